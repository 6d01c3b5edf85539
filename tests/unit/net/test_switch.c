/* test_switch.c — the switch over real sockets: learning, ageing, flooding, stream framing, drop,
 * mirror (pcap file, FIFO, TAP). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "net/decode.h"
#include "xvids/err.h"
#include "xvids/switch.h"

static char dir[64];

static void path_of(char *buf, size_t l, const char *name)
{
	snprintf(buf, l, "%s/%s", dir, name);
}

static int dgram_client(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	path_of(sa.sun_path, sizeof(sa.sun_path), name);
	unlink(sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void dgram_send(int fd, const char *to, const uint8_t *f, uint32_t l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	path_of(sa.sun_path, sizeof(sa.sun_path), to);
	assert_int_equal(sendto(fd, f, l, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)l);
}

static int stream_client(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	path_of(sa.sun_path, sizeof(sa.sun_path), name);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void pump(struct xv_switch *sw)
{
	for (int i = 0; i < 5; i++)
		xv_switch_step(sw, 20);
}

/* Frames waiting on a datagram client. */
static int dgram_pending(int fd, uint8_t *last, uint32_t *lastlen)
{
	uint8_t buf[2048];
	int n = 0;
	ssize_t k;
	while ((k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		if (last) {
			memcpy(last, buf, (size_t)k);
			*lastlen = (uint32_t)k;
		}
		n++;
	}
	return n;
}

/* Length-prefixed frames waiting on a stream client. */
static int stream_pending(int fd)
{
	uint8_t buf[65536];
	ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	int n = 0;
	for (ssize_t off = 0; k > 0 && off + 4 <= k;) {
		uint32_t l = (uint32_t)buf[off] << 24 | buf[off + 1] << 16 | buf[off + 2] << 8 | buf[off + 3];
		off += 4 + l;
		n++;
	}
	return n;
}

static void test_switching(void **s)
{
	(void)s;
	snprintf(dir, sizeof(dir), "/tmp/xvsw-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char spec[256], mirror[128];
	path_of(mirror, sizeof(mirror), "mirror.pcap");

	struct xv_net *n = xv_net_new(NULL);
	assert_int_equal(xv_net_load_rules_str(n,
		"drop tcp any any -> any 6666 (msg:\"blocked port\"; sid:1;)\n"
		"alert tcp any any -> any 2001 (msg:\"backdoor\"; sid:2;)\n", "r"), 2);
	struct xv_switch_config cfg = { .engine = n, .inline_drop = 1, .mirror = mirror };
	struct xv_switch *sw = xv_switch_new(&cfg);
	assert_non_null(sw);
	snprintf(spec, sizeof(spec), "vmA=dgram:unix:%s/a.sock", dir);
	assert_int_equal(xv_switch_add_port(sw, spec), 0);
	snprintf(spec, sizeof(spec), "vmB=dgram:unix:%s/b.sock,peer=%s/cb", dir, dir);
	assert_int_equal(xv_switch_add_port(sw, spec), 1);
	snprintf(spec, sizeof(spec), "vmC=stream:unix:%s/c.sock", dir);
	assert_int_equal(xv_switch_add_port(sw, spec), 2);
	assert_true(xv_switch_add_port(sw, "bogus:thing") < 0);
	assert_true(xv_switch_add_port(sw, "vmA=dgram:unix:/tmp/other.sock") < 0); /* name taken */
	assert_int_equal(xv_switch_port_count(sw), 3);

	int ca = dgram_client("ca"), cb = dgram_client("cb"), cc = stream_client("c.sock");
	pump(sw); /* accept vmC */
	struct xv_switch_port_stats st;
	assert_int_equal(xv_switch_port_stats(sw, 2, &st), 0);
	assert_true(st.up);
	assert_string_equal(st.name, "vmC");

	uint8_t f[256], got[2048];
	uint32_t gl = 0;
	/* A -> B, B unknown: flooded to B and C */
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 40000, IP4(10, 0, 0, 2), 22, XV_TCP_SYN, NULL);
	dgram_send(ca, "a.sock", f, l);
	pump(sw);
	assert_int_equal(dgram_pending(cb, got, &gl), 1);
	assert_int_equal(gl, l);
	assert_memory_equal(got, f, l);
	assert_int_equal(stream_pending(cc), 1);
	/* B -> A, A learned: only to A */
	l = tcp4_frame(f, MAC_B, MAC_A, IP4(10, 0, 0, 2), 22, IP4(10, 0, 0, 1), 40000, XV_TCP_SYN | XV_TCP_ACK, NULL);
	dgram_send(cb, "b.sock", f, l);
	pump(sw);
	assert_int_equal(dgram_pending(ca, NULL, NULL), 1);
	assert_int_equal(stream_pending(cc), 0);
	/* C sends two frames in one write plus a frame split across writes; framing holds */
	uint8_t buf[1024];
	uint32_t o = 0;
	for (int i = 0; i < 3; i++) {
		l = tcp4_frame(f, MAC_EVIL, MAC_A, IP4(10, 0, 0, 3), (uint16_t)(50000 + i), IP4(10, 0, 0, 1),
			       (uint16_t)(i == 2 ? 2001 : 80), XV_TCP_SYN, NULL);
		buf[o] = 0;
		buf[o + 1] = 0;
		buf[o + 2] = (uint8_t)(l >> 8);
		buf[o + 3] = (uint8_t)l;
		memcpy(buf + o + 4, f, l);
		o += 4 + l;
	}
	assert_int_equal(write(cc, buf, o - 30), (ssize_t)(o - 30));
	pump(sw);
	assert_int_equal(write(cc, buf + o - 30, 30), 30);
	pump(sw);
	assert_int_equal(dgram_pending(ca, NULL, NULL), 3);
	assert_int_equal(dgram_pending(cb, NULL, NULL), 0);
	/* the backdoor alert names the port */
	assert_int_equal(xv_net_alert_total(n), 1);
	assert_string_equal(xv_net_alert_get(n, 0)->port_name, "vmC");
	assert_int_equal(xv_net_alert_get(n, 0)->port, 2);
	/* a drop rule stops the frame */
	l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 40001, IP4(10, 0, 0, 2), 6666, XV_TCP_SYN, NULL);
	dgram_send(ca, "a.sock", f, l);
	pump(sw);
	assert_int_equal(dgram_pending(cb, NULL, NULL), 0);
	assert_int_equal(xv_switch_port_stats(sw, 0, &st), 0);
	assert_int_equal(st.ids_dropped, 1);
	assert_int_equal(st.rx_frames, 2);
	/* a runt is an error, not a crash */
	dgram_send(ca, "a.sock", f, 5);
	pump(sw);
	assert_int_equal(xv_switch_port_stats(sw, 0, &st), 0);
	assert_int_equal(st.rx_errors, 1);
	/* a lying stream length (> 64 KiB) drops the connection; a new one is accepted */
	uint8_t lie[8] = { 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4 };
	assert_int_equal(write(cc, lie, 8), 8);
	pump(sw);
	assert_int_equal(xv_switch_port_stats(sw, 2, &st), 0);
	assert_false(st.up);
	close(cc);
	cc = stream_client("c.sock");
	pump(sw);
	assert_int_equal(xv_switch_port_stats(sw, 2, &st), 0);
	assert_true(st.up);
	assert_int_equal(xv_switch_mac_count(sw), 3);
	char *cbuf;
	size_t clen;
	FILE *mf = open_memstream(&cbuf, &clen);
	xv_switch_print_counters(sw, mf);
	fclose(mf);
	assert_non_null(strstr(cbuf, "vmC"));
	free(cbuf);

	xv_switch_free(sw);
	/* the mirror holds every received frame, including the dropped one */
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(mirror, eb);
	assert_non_null(pc);
	struct pcap_pkthdr *h;
	const u_char *d;
	int frames = 0;
	while (pcap_next_ex(pc, &h, &d) == 1)
		frames++;
	pcap_close(pc);
	assert_int_equal(frames, 6); /* 1 + 1 + 3 + the dropped one; the runt is no frame */
	xv_net_free(n);
	close(ca);
	close(cb);
	close(cc);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

struct fifo_reader {
	char path[128];
	uint8_t buf[8192];
	size_t len;
};

static void *read_fifo(void *arg)
{
	struct fifo_reader *r = arg;
	int fd = open(r->path, O_RDONLY);
	ssize_t k;
	while (fd >= 0 && r->len < sizeof(r->buf) &&
	       (k = read(fd, r->buf + r->len, sizeof(r->buf) - r->len)) > 0)
		r->len += (size_t)k;
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The mirror into a FIFO: a reader sees a pcap stream with every frame, as it happens. */
static void test_mirror_fifo(void **s)
{
	(void)s;
	snprintf(dir, sizeof(dir), "/tmp/xvsw-XXXXXX");
	assert_non_null(mkdtemp(dir));
	struct fifo_reader r = { .len = 0 };
	path_of(r.path, sizeof(r.path), "mirror.fifo");
	assert_int_equal(mkfifo(r.path, 0600), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, read_fifo, &r), 0);
	struct xv_switch_config cfg = { .mirror = r.path };
	struct xv_switch *sw = xv_switch_new(&cfg); /* opens once the reader is there */
	assert_non_null(sw);
	char spec[160];
	snprintf(spec, sizeof(spec), "a=dgram:unix:%s/a.sock", dir);
	assert_int_equal(xv_switch_add_port(sw, spec), 0);
	int ca = dgram_client("ca");
	uint8_t f[128];
	uint32_t l = udp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 1000, IP4(10, 0, 0, 2), 53, "mirror-me");
	dgram_send(ca, "a.sock", f, l);
	dgram_send(ca, "a.sock", f, l);
	pump(sw);
	xv_switch_free(sw);
	pthread_join(th, NULL);
	/* 24-byte header (magic, Ethernet) and two 16-byte record headers with the frame */
	assert_int_equal(r.len, 24 + 2 * (16 + l));
	uint32_t magic, link, caplen;
	memcpy(&magic, r.buf, 4);
	memcpy(&link, r.buf + 20, 4);
	memcpy(&caplen, r.buf + 24 + 8, 4);
	assert_int_equal(magic, 0xa1b2c3d4);
	assert_int_equal(link, 1);
	assert_int_equal(caplen, l);
	assert_memory_equal(r.buf + 24 + 16, f, l);
	close(ca);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static uint64_t fake_now;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* MAC ageing on a clock the test steps: a learned address is unicast to until it has been silent
 * (as a source) for the ageing time, then its frames are flooded again; traffic towards it does
 * not keep it alive, its own frames do. */
static void test_mac_ageing(void **s)
{
	(void)s;
	snprintf(dir, sizeof(dir), "/tmp/xvsw-XXXXXX");
	assert_non_null(mkdtemp(dir));
	fake_now = 1700000000000000ull;
	struct xv_switch_config cfg = { .mac_ageing = 30, .clock = fake_clock };
	struct xv_switch *sw = xv_switch_new(&cfg);
	assert_non_null(sw);
	char spec[320];
	const char *names[3] = { "a", "b", "c" };
	int cl[3];
	for (int i = 0; i < 3; i++) {
		char cn[16];
		snprintf(cn, sizeof(cn), "c%s", names[i]);
		cl[i] = dgram_client(cn);
		snprintf(spec, sizeof(spec), "%s=dgram:unix:%s/%s.sock,peer=%s/%s", names[i], dir,
			 names[i], dir, cn);
		assert_int_equal(xv_switch_add_port(sw, spec), i);
	}
	uint8_t f[128];
	uint32_t la = udp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 1000, IP4(10, 0, 0, 2), 2000, "a->b");
	uint8_t fb[128];
	uint32_t lb = udp4_frame(fb, MAC_B, MAC_A, IP4(10, 0, 0, 2), 2000, IP4(10, 0, 0, 1), 1000, "b->a");
	/* A speaks (B unknown: flooded), then B -> A goes to A only */
	dgram_send(cl[0], "a.sock", f, la);
	pump(sw);
	assert_int_equal(dgram_pending(cl[1], NULL, NULL), 1);
	assert_int_equal(dgram_pending(cl[2], NULL, NULL), 1);
	dgram_send(cl[1], "b.sock", fb, lb);
	pump(sw);
	assert_int_equal(dgram_pending(cl[0], NULL, NULL), 1);
	assert_int_equal(dgram_pending(cl[2], NULL, NULL), 0);
	assert_int_equal(xv_switch_mac_count(sw), 2);
	/* 29 s later A has not spoken, only been spoken to; B keeps talking to it */
	for (int t = 5; t <= 29; t += 6) {
		fake_now = 1700000000000000ull + (uint64_t)t * 1000000;
		dgram_send(cl[1], "b.sock", fb, lb);
		pump(sw);
		assert_int_equal(dgram_pending(cl[0], NULL, NULL), 1);
		assert_int_equal(dgram_pending(cl[2], NULL, NULL), 0); /* still unicast */
	}
	/* 31 s after A last spoke: A aged out (B, refreshed by its own frames, has not) */
	fake_now = 1700000000000000ull + 31000000ull;
	assert_int_equal(xv_switch_mac_count(sw), 1);
	dgram_send(cl[1], "b.sock", fb, lb);
	pump(sw);
	assert_int_equal(dgram_pending(cl[0], NULL, NULL), 1);
	assert_int_equal(dgram_pending(cl[2], NULL, NULL), 1); /* flooded again */
	struct xv_switch_port_stats st;
	assert_int_equal(xv_switch_port_stats(sw, 1, &st), 0);
	assert_int_equal(st.flooded, 1);
	/* A speaks again: learned again, unicast again */
	dgram_send(cl[0], "a.sock", f, la);
	pump(sw);
	assert_int_equal(dgram_pending(cl[1], NULL, NULL), 1);
	assert_int_equal(dgram_pending(cl[2], NULL, NULL), 0); /* B was still known */
	dgram_send(cl[1], "b.sock", fb, lb);
	pump(sw);
	assert_int_equal(dgram_pending(cl[0], NULL, NULL), 1);
	assert_int_equal(dgram_pending(cl[2], NULL, NULL), 0);
	/* A moves to port c: its next frame re-learns it there at once */
	dgram_send(cl[2], "c.sock", f, la);
	pump(sw);
	dgram_pending(cl[1], NULL, NULL);
	dgram_send(cl[1], "b.sock", fb, lb);
	pump(sw);
	assert_int_equal(dgram_pending(cl[2], NULL, NULL), 1);
	assert_int_equal(dgram_pending(cl[0], NULL, NULL), 0);
	xv_switch_free(sw);
	for (int i = 0; i < 3; i++)
		close(cl[i]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The body of test_mirror_tap, in a child in a network namespace of its own: returns 0, 77 when
 * namespaces or TAP devices are not available, 1 on a failed check (with a message). */
static int mirror_tap_child(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 77;
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		return 77;
	struct xv_switch_config cfg = { .mirror = "tap:xvmir0" };
	struct xv_switch *sw = xv_switch_new(&cfg);
	if (!sw) {
		fprintf(stderr, "switch with a TAP mirror: %s\n", xv_errmsg());
		return 77;
	}
	char spec[160];
	snprintf(spec, sizeof(spec), "a=dgram:unix:%s/a.sock", dir);
	if (xv_switch_add_port(sw, spec) != 0)
		return 1;
	/* bring the mirror up and listen on it as tcpdump would (a packet socket) */
	int ctl = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "xvmir0");
	if (ctl < 0 || ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0)
		return 1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0 || ioctl(ctl, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "xvmir0 up: %s\n", strerror(errno));
		return 1;
	}
	int ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = ifr.ifr_ifindex };
	if (ps < 0 || bind(ps, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "packet socket: %s\n", strerror(errno));
		return 1;
	}
	int ca = dgram_client("ca");
	uint8_t f[3][128];
	uint32_t l[3];
	for (int i = 0; i < 3; i++) {
		char pl[32];
		snprintf(pl, sizeof(pl), "mirrored frame %d", i);
		l[i] = udp4_frame(f[i], MAC_A, MAC_B, IP4(10, 0, 0, 1), (uint16_t)(1000 + i),
				  IP4(10, 0, 0, 2), 53, pl);
		dgram_send(ca, "a.sock", f[i], l[i]);
	}
	pump(sw);
	/* what the kernel received on xvmir0: our three frames, in order (frames the kernel itself
	 * sends out of the interface, IPv6 autoconfiguration, are outgoing and skipped) */
	struct timeval tv = { 2, 0 };
	setsockopt(ps, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int got = 0;
	for (int tries = 0; got < 3 && tries < 50; tries++) {
		uint8_t buf[2048];
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t k = recvfrom(ps, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (k < 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((uint32_t)k != l[got] || memcmp(buf, f[got], l[got])) {
			fprintf(stderr, "frame %d on the mirror TAP differs (%zd bytes)\n", got, k);
			return 1;
		}
		got++;
	}
	if (got != 3) {
		fprintf(stderr, "%d of 3 frames seen on the mirror TAP\n", got);
		return 1;
	}
	xv_switch_free(sw);
	close(ca);
	close(ps);
	close(ctl);
	return 0;
}

/* --mirror tap:IF: every frame the switch receives comes out of the TAP device unchanged, where
 * tcpdump/Snort would read it. Needs root (a network namespace and a TAP); skipped otherwise. */
static void test_mirror_tap(void **s)
{
	(void)s;
	snprintf(dir, sizeof(dir), "/tmp/xvsw-XXXXXX");
	assert_non_null(mkdtemp(dir));
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mirror_tap_child());
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		print_message("no network namespace or TAP here (needs root): skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switching),
		cmocka_unit_test(test_mirror_fifo),
		cmocka_unit_test(test_mac_ageing),
		cmocka_unit_test(test_mirror_tap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
