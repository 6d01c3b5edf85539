/* test_mem_qmp.c — qmp:SOCKET against a fake QMP server thread: layout from canned `info mtree -f`,
 * RAM via a shared file or via process_vm_readv (of this very process), pause/resume, timeouts. */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/mtree.h"
#include "xvids/err.h"
#include "xvids/mem.h"

#define RAM_LEN 0x300000

/* Shaped like QEMU 7.2 on x86 `pc` with a RAM hole; vga.vram is RAM but not guest RAM. */
static const char mtree_text[] =
	"FlatView #0\r\n"
	" AS \"i440FX\", root: bus master container\r\n"
	" Root memory region: (none)\r\n"
	"  No rendered FlatView\r\n"
	"\r\n"
	"FlatView #1\r\n"
	" AS \"memory\", root: system\r\n"
	" AS \"cpu-memory-0\", root: system\r\n"
	" Root memory region: system\r\n"
	"  0000000000000000-000000000009ffff (prio 0, ram): mem0\r\n"
	"  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\r\n"
	"  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\r\n"
	"  00000000000e0000-00000000000fffff (prio 0, rom): pc.bios @0000000000020000\r\n"
	"  0000000000100000-00000000001fffff (prio 0, ram): mem0 @0000000000100000\r\n"
	"  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\r\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
	"  0000000100000000-00000001000fffff (prio 0, ram): mem0 @0000000000200000\r\n"
	"\r\n"
	"FlatView #2\r\n"
	" AS \"I/O\", root: io\r\n"
	" Root memory region: io\r\n"
	"  0000000000000000-0000000000000007 (prio 0, ram): mem0\r\n"
	"\r\n";

static uint64_t gpa_to_off(uint64_t gpa)
{
	return gpa >= 0x100000000ull ? gpa - 0x100000000ull + 0x200000 : gpa;
}

struct fake {
	int lfd;
	char sock[128];
	char ram_path[128];
	uint8_t *ram;      /* the RAM file's bytes, also the "QEMU process memory" */
	int share;         /* memdev share flag */
	int mode;          /* 0 = normal, 1 = silent (no greeting), 2 = garbage, 3 = pretty */
	int64_t memsize;   /* what query-memdev claims */
	int running;
	int n_stop, n_cont, n_mtree, n_gpa2hva;
	pthread_t th;
};

static int pretty; /* QEMU's mode=control,pretty=on: multi-line messages */

static void send_line(int fd, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, pretty ? JSON_C_TO_STRING_PRETTY :
								   JSON_C_TO_STRING_PLAIN);

	/* The client may already have hung up (that is what some tests check). */
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) > 0)
		send(fd, "\r\n", 2, MSG_NOSIGNAL);
	json_object_put(o);
}

static json_object *reply(struct fake *f, const char *cmd, json_object *args)
{
	json_object *v;

	if (!strcmp(cmd, "qmp_capabilities") || !strcmp(cmd, "stop") || !strcmp(cmd, "cont")) {
		if (!strcmp(cmd, "stop")) {
			f->n_stop++;
			f->running = 0;
		} else if (!strcmp(cmd, "cont")) {
			f->n_cont++;
			f->running = 1;
		}
		return json_object_new_object();
	}
	if (!strcmp(cmd, "query-target")) {
		v = json_object_new_object();
		json_object_object_add(v, "arch", json_object_new_string("x86_64"));
		return v;
	}
	if (!strcmp(cmd, "query-status")) {
		v = json_object_new_object();
		json_object_object_add(v, "running", json_object_new_boolean(f->running));
		return v;
	}
	if (!strcmp(cmd, "query-memdev")) {
		json_object *a = json_object_new_array(), *m = json_object_new_object();

		json_object_object_add(m, "id", json_object_new_string("mem0"));
		json_object_object_add(m, "size", json_object_new_int64(f->memsize));
		json_object_object_add(m, "share", json_object_new_boolean(f->share));
		json_object_array_add(a, m);
		return a;
	}
	if (!strcmp(cmd, "qom-get")) {
		json_object *p;

		json_object_object_get_ex(args, "path", &p);
		if (strcmp(json_object_get_string(p), "/objects/mem0") != 0)
			return NULL;
		return json_object_new_string(f->ram_path);
	}
	if (!strcmp(cmd, "human-monitor-command")) {
		json_object *cl;
		const char *line;
		unsigned long long gpa;
		char out[160];

		json_object_object_get_ex(args, "command-line", &cl);
		line = json_object_get_string(cl);
		if (!strcmp(line, "info mtree -f")) {
			f->n_mtree++;
			return json_object_new_string(mtree_text);
		}
		if (sscanf(line, "gpa2hva 0x%llx", &gpa) == 1) {
			f->n_gpa2hva++;
			snprintf(out, sizeof(out), "Host virtual address for 0x%llx (mem0) is %p\r\n", gpa,
				 (void *)(f->ram + gpa_to_off(gpa)));
			return json_object_new_string(out);
		}
	}
	return NULL;
}

static void *server(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	char buf[65536];
	size_t len = 0;

	if (fd < 0)
		return NULL;
	if (f->mode == 1) {
		/* Wedged: never greet, wait for the client to give up. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		return NULL;
	}
	if (f->mode == 2) {
		send(fd, "{\"QMP\": {}}\r\nnot json at all\r\n", 30, MSG_NOSIGNAL);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		return NULL;
	}
	pretty = f->mode == 3;
	send_line(fd, json_tokener_parse("{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}"));
	for (;;) {
		char *nl;
		ssize_t got = read(fd, buf + len, sizeof(buf) - len - 1);

		if (got <= 0)
			break;
		len += (size_t)got;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			json_object *req, *ex, *args = NULL, *id = NULL, *ret, *msg = json_object_new_object();

			*nl = '\0';
			req = json_tokener_parse(buf);
			memmove(buf, nl + 1, len - (size_t)(nl + 1 - buf) + 1);
			len = strlen(buf);
			assert_non_null(req);
			json_object_object_get_ex(req, "execute", &ex);
			json_object_object_get_ex(req, "arguments", &args);
			json_object_object_get_ex(req, "id", &id);
			/* An asynchronous event before every answer. */
			send_line(fd, json_tokener_parse("{\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}}"));
			ret = reply(f, json_object_get_string(ex), args);
			if (ret) {
				json_object_object_add(msg, "return", ret);
			} else {
				json_object *e = json_object_new_object();

				json_object_object_add(e, "class", json_object_new_string("GenericError"));
				json_object_object_add(e, "desc", json_object_new_string("not supported here"));
				json_object_object_add(msg, "error", e);
			}
			if (id)
				json_object_object_add(msg, "id", json_object_get(id));
			send_line(fd, msg);
			json_object_put(req);
		}
	}
	close(fd);
	return NULL;
}

static char tmpdir[64];

static void fake_start_size(struct fake *f, int share, int mode, int64_t memsize)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	FILE *fp;

	memset(f, 0, sizeof(*f));
	f->share = share;
	f->mode = mode;
	f->memsize = memsize;
	f->running = 1;
	snprintf(f->sock, sizeof(f->sock), "%s/qmp.sock", tmpdir);
	snprintf(f->ram_path, sizeof(f->ram_path), "%s/ram", tmpdir);
	f->ram = malloc(RAM_LEN);
	for (size_t i = 0; i < RAM_LEN; i++)
		f->ram[i] = (uint8_t)(i * 13 + (i >> 12));
	fp = fopen(f->ram_path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f->ram, 1, RAM_LEN, fp), RAM_LEN);
	fclose(fp);
	unlink(f->sock);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(pthread_create(&f->th, NULL, server, f), 0);
}

static void fake_start(struct fake *f, int share, int mode)
{
	fake_start_size(f, share, mode, RAM_LEN);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
	free(f->ram);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xvids-qmp-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_mtree_parse(void **state)
{
	struct xv_mtree_range *r;
	size_t n;

	(void)state;
	assert_int_equal(xv_mtree_parse(mtree_text, "memory", &r, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].end, 0x9ffff);
	assert_string_equal(r[0].name, "mem0");
	assert_string_equal(r[0].type, "ram");
	assert_string_equal(r[1].type, "i/o");
	assert_int_equal(r[3].offset, 0x20000);
	assert_string_equal(r[3].name, "pc.bios");
	assert_int_equal(r[7].start, 0x100000000ull);
	assert_int_equal(r[7].offset, 0x200000);
	free(r);
	assert_int_equal(xv_mtree_parse(mtree_text, "I/O", &r, &n), 0);
	assert_int_equal(n, 1);
	free(r);
	assert_int_equal(xv_mtree_parse(mtree_text, "nosuch", &r, &n), -ENOENT);
	assert_int_equal(xv_mtree_parse("garbage\n  zz-yy (prio\n", "memory", &r, &n), -ENOENT);
}

static void check_layout_and_bytes(struct fake *f, struct xv_mem *mem)
{
	uint8_t out[64];
	const struct xv_mem_seg *s = xv_mem_segs(mem);

	assert_int_equal(xv_mem_arch(mem), XV_MEM_ARCH_X86_64);
	assert_int_equal(xv_mem_nsegs(mem), 3);
	assert_int_equal(s[0].start, 0);
	assert_int_equal(s[0].size, 0xa0000);
	assert_int_equal(s[1].start, 0x100000);
	assert_int_equal(s[1].size, 0x100000);
	assert_int_equal(s[2].start, 0x100000000ull);
	assert_int_equal(s[2].size, 0x100000);
	assert_int_equal(xv_mem_read(mem, 0x100000000ull + 0x1234, out, sizeof(out)), 0);
	assert_memory_equal(out, f->ram + 0x201234, sizeof(out));
	assert_int_equal(xv_mem_read(mem, 0x9ffe0, out, 32), 0);
	assert_memory_equal(out, f->ram + 0x9ffe0, 32);
	assert_int_equal(xv_mem_read(mem, 0x9ffe0, out, 64), -EFAULT);
	assert_int_equal(xv_mem_read(mem, 0xfd000000, out, 1), -EFAULT); /* video RAM is not guest RAM */
}

static void test_qmp_file_backed(void **state)
{
	struct fake f;
	struct xv_mem *mem;
	char spec[160];

	(void)state;
	fake_start(&f, 1, 0);
	snprintf(spec, sizeof(spec), "qmp:%s", f.sock);
	if (xv_mem_open(spec, NULL, &mem) != 0)
		fail_msg("open: %s", xv_errmsg());
	check_layout_and_bytes(&f, mem);
	/* Mapped from the file: zero-copy views work and no gpa2hva was needed. */
	assert_non_null(xv_mem_view(mem, 0x100000, 0x1000));
	assert_int_equal(f.n_gpa2hva, 0);
	assert_non_null(strstr(xv_mem_describe(mem), "RAM file"));
	/* Pause and resume are QMP stop/cont, once each. */
	assert_int_equal(xv_mem_pause(mem), 0);
	assert_int_equal(xv_mem_pause(mem), 0);
	assert_int_equal(xv_mem_resume(mem), 0);
	assert_int_equal(xv_mem_resume(mem), 0);
	assert_int_equal(f.n_stop, 1);
	assert_int_equal(f.n_cont, 1);
	assert_int_equal(xv_mem_refresh(mem), 0);
	assert_int_equal(f.n_mtree, 2);
	check_layout_and_bytes(&f, mem);
	/* Closing while paused resumes the guest. */
	assert_int_equal(xv_mem_pause(mem), 0);
	xv_mem_close(mem);
	fake_stop(&f);
	assert_int_equal(f.n_stop, 2);
	assert_int_equal(f.n_cont, 2);
}

static void test_qmp_pretty(void **state)
{
	struct fake f;
	struct xv_mem *mem;
	char spec[160];

	(void)state;
	fake_start(&f, 1, 3);
	snprintf(spec, sizeof(spec), "qmp:%s", f.sock);
	if (xv_mem_open(spec, NULL, &mem) != 0)
		fail_msg("open: %s", xv_errmsg());
	check_layout_and_bytes(&f, mem);
	xv_mem_close(mem);
	fake_stop(&f);
}

static void test_qmp_process_memory(void **state)
{
	struct fake f;
	struct xv_mem *mem;
	char spec[160];

	(void)state;
	fake_start(&f, 0, 0);
	/* Change the "process" copy so a read from the file would be caught. */
	f.ram[0x201234] ^= 0x55;
	snprintf(spec, sizeof(spec), "qmp:%s", f.sock);
	if (xv_mem_open(spec, NULL, &mem) != 0)
		fail_msg("open: %s", xv_errmsg());
	check_layout_and_bytes(&f, mem);
	assert_int_equal(f.n_gpa2hva, 3);
	assert_null(xv_mem_view(mem, 0x100000, 16));
	assert_non_null(strstr(xv_mem_describe(mem), "process memory"));
	/* A guest already stopped by someone else stays stopped after our resume. */
	f.running = 0;
	assert_int_equal(xv_mem_pause(mem), 0);
	assert_int_equal(xv_mem_resume(mem), 0);
	xv_mem_close(mem);
	fake_stop(&f);
	assert_int_equal(f.n_stop, 0);
	assert_int_equal(f.n_cont, 0);
}

static void test_qmp_failures(void **state)
{
	struct fake f;
	struct xv_mem *mem = NULL;
	char spec[160];
	int rc;

	(void)state;
	setenv("XVIDS_QMP_TIMEOUT_MS", "300", 1);
	fake_start(&f, 1, 1);
	snprintf(spec, sizeof(spec), "qmp:%s", f.sock);
	rc = xv_mem_open(spec, NULL, &mem);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_non_null(strstr(xv_errmsg(), "greeting"));
	assert_null(mem);
	fake_stop(&f);

	fake_start(&f, 1, 2);
	rc = xv_mem_open(spec, NULL, &mem);
	assert_int_equal(rc, -EPROTO);
	assert_non_null(strstr(xv_errmsg(), "invalid JSON"));
	fake_stop(&f);
	unsetenv("XVIDS_QMP_TIMEOUT_MS");

	/* A memory map that points past the end of its backend is not believed. */
	fake_start_size(&f, 0, 0, 0x280000);
	rc = xv_mem_open(spec, NULL, &mem);
	assert_int_equal(rc, -EPROTO);
	assert_non_null(strstr(xv_errmsg(), "past its size"));
	fake_stop(&f);

	snprintf(spec, sizeof(spec), "qmp:%s/nosuch.sock", tmpdir);
	rc = xv_mem_open(spec, NULL, &mem);
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(xv_errmsg(), "cannot connect"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtree_parse),
		cmocka_unit_test(test_qmp_file_backed),
		cmocka_unit_test(test_qmp_pretty),
		cmocka_unit_test(test_qmp_process_memory),
		cmocka_unit_test(test_qmp_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
