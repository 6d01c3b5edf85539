/* test_mem_qemu.c — qmp: against a real, stopped (-S) QEMU: a 5 GiB x86 `pc` guest on a sparse
 * shared RAM file (the hole below 4 GiB), plain -m RAM read through process_vm_readv, and an
 * aarch64 `virt` guest at 0x40000000. Skipped when the QEMU binaries are missing. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "xvids/err.h"
#include "xvids/mem.h"

static char dir[64];
static pid_t qemu_pid; /* the QEMU this test started, killed in teardown if a check failed */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/xvids-mem-qemu-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int have(const char *bin)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", bin);
	return system(cmd) == 0;
}

static int can_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Start QEMU stopped (-S) with its QMP socket at DIR/qmp.sock; returns its pid. */
static pid_t start_qemu(char *const argv[])
{
	char sock[128];
	struct stat st;
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/qmp.sock", dir);
	unlink(sock);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	qemu_pid = pid;
	/* The socket file appears at bind(), a moment before listen(): wait for a connect. */
	for (int i = 0; i < 200; i++) {
		if (stat(sock, &st) == 0 && can_connect(sock))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("%s exited before opening its QMP socket", argv[0]);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("%s did not open its QMP socket in 10 s", argv[0]);
	return -1;
}

static void stop_qemu(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	qemu_pid = 0;
}

static int kill_leftover(void **state)
{
	(void)state;
	if (qemu_pid > 0)
		stop_qemu(qemu_pid);
	return 0;
}

static void put_at(int fd, off_t off, uint8_t seed)
{
	uint8_t b[4096];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(seed + i * 3);
	assert_int_equal(pwrite(fd, b, sizeof(b), off), (ssize_t)sizeof(b));
}

static void expect_page(struct xv_mem *mem, uint64_t gpa, uint8_t seed)
{
	uint8_t b[4096];

	if (xv_mem_read(mem, gpa, b, sizeof(b)) != 0)
		fail_msg("read 0x%llx: %s", (unsigned long long)gpa, xv_errmsg());
	for (size_t i = 0; i < sizeof(b); i++)
		if (b[i] != (uint8_t)(seed + i * 3))
			fail_msg("gpa 0x%llx byte %zu: 0x%02x, want 0x%02x", (unsigned long long)gpa, i,
				 b[i], (uint8_t)(seed + i * 3));
}

static void test_x86_pc_file_hole(void **state)
{
	char ram[96], obj[192], qmp[128], spec[160], rspec[160];
	struct xv_mem *mem, *raw;
	uint8_t a[512], b[512];
	pid_t pid;
	int fd;

	(void)state;
	if (!have("qemu-system-x86_64"))
		skip();
	snprintf(ram, sizeof(ram), "%s/ram", dir);
	fd = open(ram, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 5ll << 30), 0); /* sparse: costs nothing */
	put_at(fd, 0x7000, 1);
	put_at(fd, 0xbffff000, 2);  /* last page below the hole */
	put_at(fd, 0xc0000000, 3);  /* first page above 4 GiB */
	put_at(fd, 0x13ffff000, 4); /* last page of RAM */
	close(fd);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=ram0,size=5G,mem-path=%s,share=on", ram);
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off", dir);
	{
		char *argv[] = { "qemu-system-x86_64", "-M", "pc,memory-backend=ram0", "-accel", "tcg",
				 "-m", "5G", "-object", obj, "-display", "none", "-S", "-nodefaults",
				 "-qmp", qmp, NULL };

		pid = start_qemu(argv);
	}
	snprintf(spec, sizeof(spec), "qmp:%s/qmp.sock", dir);
	if (xv_mem_open(spec, NULL, &mem) != 0) {
		stop_qemu(pid);
		fail_msg("open: %s", xv_errmsg());
	}
	assert_int_equal(xv_mem_arch(mem), XV_MEM_ARCH_X86_64);
	/* 0-640K and 1M-3G below the hole, 4G-6G above it; 5 GiB minus the legacy hole. */
	assert_int_equal(xv_mem_nsegs(mem), 3);
	assert_int_equal(xv_mem_segs(mem)[1].start, 0x100000);
	assert_int_equal(xv_mem_segs(mem)[1].size, 0xc0000000 - 0x100000);
	assert_int_equal(xv_mem_segs(mem)[2].start, 0x100000000ull);
	assert_int_equal(xv_mem_segs(mem)[2].size, 0x80000000ull);
	expect_page(mem, 0x7000, 1);
	expect_page(mem, 0xbffff000, 2);
	expect_page(mem, 0x100000000ull, 3);
	expect_page(mem, 0x17ffff000ull, 4);
	assert_int_equal(xv_mem_read(mem, 0xc0000000, a, 1), -EFAULT);
	assert_non_null(xv_mem_view(mem, 0x100000000ull, 4096));
	/* Below the hole the qmp: view equals ram:FILE@0 byte for byte. */
	snprintf(rspec, sizeof(rspec), "ram:%s@0", ram);
	assert_int_equal(xv_mem_open(rspec, NULL, &raw), 0);
	assert_int_equal(xv_mem_read(raw, 0xbffff000, a, sizeof(a)), 0);
	assert_int_equal(xv_mem_read(mem, 0xbffff000, b, sizeof(b)), 0);
	assert_memory_equal(a, b, sizeof(a));
	xv_mem_close(raw);
	assert_int_equal(xv_mem_pause(mem), 0);
	assert_int_equal(xv_mem_resume(mem), 0);
	assert_int_equal(xv_mem_refresh(mem), 0);
	assert_int_equal(xv_mem_nsegs(mem), 3);
	expect_page(mem, 0x100000000ull, 3);
	xv_mem_close(mem);
	stop_qemu(pid);
}

static void test_x86_plain_ram_process(void **state)
{
	char blob[96], loader[192], qmp[128], spec[160];
	struct xv_mem *mem;
	pid_t pid;
	int fd;

	(void)state;
	if (!have("qemu-system-x86_64"))
		skip();
	/* QEMU's generic loader copies our pattern into guest RAM at reset. */
	snprintf(blob, sizeof(blob), "%s/blob", dir);
	fd = open(blob, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	put_at(fd, 0, 9);
	close(fd);
	snprintf(loader, sizeof(loader), "loader,file=%s,addr=0x2345000,force-raw=on", blob);
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off", dir);
	{
		char *argv[] = { "qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "64",
				 "-device", loader, "-display", "none", "-S", "-nodefaults", "-qmp", qmp,
				 NULL };

		pid = start_qemu(argv);
	}
	snprintf(spec, sizeof(spec), "qmp:%s/qmp.sock", dir);
	if (xv_mem_open(spec, NULL, &mem) != 0) {
		stop_qemu(pid);
		fail_msg("open: %s", xv_errmsg());
	}
	assert_non_null(strstr(xv_mem_describe(mem), "process memory"));
	/* -nodefaults: no VGA window, so only 768K-1M (option ROMs, BIOS) is not RAM. */
	assert_int_equal(xv_mem_size(mem), 64ull * 1024 * 1024 - 0x40000);
	expect_page(mem, 0x2345000, 9);
	assert_null(xv_mem_view(mem, 0x2345000, 16));
	xv_mem_close(mem);
	stop_qemu(pid);
}

static void test_aarch64_virt(void **state)
{
	char ram[96], obj[192], qmp[128], spec[160];
	struct xv_mem *mem;
	pid_t pid;
	int fd;

	(void)state;
	if (!have("qemu-system-aarch64"))
		skip();
	snprintf(ram, sizeof(ram), "%s/ram", dir);
	fd = open(ram, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 96 << 20), 0);
	put_at(fd, 0x123000, 5);
	close(fd);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=ram0,size=96M,mem-path=%s,share=on", ram);
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off", dir);
	{
		char *argv[] = { "qemu-system-aarch64", "-M", "virt,memory-backend=ram0", "-cpu",
				 "cortex-a57", "-m", "96M", "-object", obj, "-display", "none", "-S",
				 "-nodefaults", "-qmp", qmp, NULL };

		pid = start_qemu(argv);
	}
	snprintf(spec, sizeof(spec), "qmp:%s/qmp.sock", dir);
	if (xv_mem_open(spec, NULL, &mem) != 0) {
		stop_qemu(pid);
		fail_msg("open: %s", xv_errmsg());
	}
	assert_int_equal(xv_mem_arch(mem), XV_MEM_ARCH_AARCH64);
	assert_int_equal(xv_mem_nsegs(mem), 1);
	assert_int_equal(xv_mem_segs(mem)[0].start, 0x40000000);
	assert_int_equal(xv_mem_segs(mem)[0].size, 96 << 20);
	expect_page(mem, 0x40123000, 5);
	xv_mem_close(mem);
	stop_qemu(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_x86_pc_file_hole, kill_leftover),
		cmocka_unit_test_teardown(test_x86_plain_ram_process, kill_leftover),
		cmocka_unit_test_teardown(test_aarch64_virt, kill_leftover),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
