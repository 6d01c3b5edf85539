/* net_bench.c — engine throughput (frames preloaded in memory, one core), the pcap replay without
 * process start-up, and switch forwarding rate/latency between two datagram ports. Driven by
 * bench/net.sh. */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "xvids/err.h"
#include "xvids/net.h"
#include "xvids/switch.h"

/* CPU time of this thread: the figure for "one core" even when the machine is shared */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct frames {
	uint8_t *buf;
	uint32_t *off, *len;
	uint64_t *ts;
	size_t n, cap, bytes;
};

static int load(const char *path, struct frames *f)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, eb);
	if (!pc) {
		fprintf(stderr, "%s\n", eb);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t bcap = 1 << 20;
	f->buf = malloc(bcap);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 4096;
			f->off = realloc(f->off, f->cap * sizeof(*f->off));
			f->len = realloc(f->len, f->cap * sizeof(*f->len));
			f->ts = realloc(f->ts, f->cap * sizeof(*f->ts));
		}
		while (f->bytes + h->caplen > bcap) {
			bcap *= 2;
			f->buf = realloc(f->buf, bcap);
		}
		memcpy(f->buf + f->bytes, d, h->caplen);
		f->off[f->n] = (uint32_t)f->bytes;
		f->len[f->n] = h->caplen;
		f->ts[f->n] = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		f->bytes += h->caplen;
		f->n++;
	}
	pcap_close(pc);
	return 0;
}

static int bench_engine(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: engine PCAP RULES|- HOME_NET [SECONDS] [--no-detectors]\n");
		return 2;
	}
	double secs = argc > 5 ? atof(argv[5]) : 3.0;
	int nodet = argc > 6 && !strcmp(argv[6], "--no-detectors");
	struct frames f = { 0 };
	if (load(argv[2], &f) < 0)
		return 2;
	struct xv_net_config cfg = { 0 };
	if (nodet)
		cfg.arp_spoof = cfg.syn_flood = cfg.port_scan = -1;
	struct xv_net *n = xv_net_new(&cfg);
	if (xv_net_set_var(n, "HOME_NET", argv[4]) < 0 ||
	    (strcmp(argv[3], "-") && xv_net_load_rules(n, argv[3]) < 0)) {
		fprintf(stderr, "%s\n", xv_errmsg());
		return 2;
	}
	/* warm-up pass, then whole passes until the time is used; time shifts per pass so flows,
	 * windows and thresholds see a capture that goes on */
	uint64_t shift = f.ts[f.n - 1] - f.ts[0] + 1000000, pkts = 0, passes = 0;
	for (size_t i = 0; i < f.n; i++)
		xv_net_inspect(n, f.buf + f.off[i], f.len[i], f.ts[i], -1, NULL);
	uint64_t a0 = xv_net_alert_total(n);
	double t0 = now_s(), c0 = cpu_s(), t, c;
	do {
		passes++;
		for (size_t i = 0; i < f.n; i++)
			xv_net_inspect(n, f.buf + f.off[i], f.len[i], f.ts[i] + passes * shift, -1, NULL);
		pkts += f.n;
		c = cpu_s();
	} while (c - c0 < secs);
	t = now_s();
	double pps = (double)pkts / (c - c0);
	printf("engine: %zu frames x %llu passes, %u rules%s: %.2f Mpps per core-second of CPU "
	       "(%.2f Gbit/s; wall clock %.2f Mpps), %llu alerts/pass\n",
	       f.n, (unsigned long long)passes, xv_net_rule_count(n), nodet ? ", no detectors" : "",
	       pps / 1e6, pps * ((double)f.bytes / (double)f.n) * 8 / 1e9,
	       (double)pkts / (t - t0) / 1e6,
	       (unsigned long long)((xv_net_alert_total(n) - a0) / passes));
	xv_net_free(n);
	return 0;
}

/* The whole offline path minus process start-up and alert output: a fresh engine per run loads
 * the rules and replays the capture through libpcap (xv_net_run_pcap), timed by the process's CPU
 * clock (user + system, so the file reads count). Min and median of RUNS. */
static int cmp_dbl(const void *a, const void *b);

static int bench_replay(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: replay PCAP RULES|- HOME_NET [RUNS] [--no-detectors]\n");
		return 2;
	}
	int runs = argc > 5 ? atoi(argv[5]) : 10, nodet = argc > 6 && !strcmp(argv[6], "--no-detectors");
	if (runs < 1 || runs > 1000)
		runs = 10;
	double *cpu = malloc((size_t)runs * sizeof(double));
	long frames = 0;
	uint64_t alerts = 0;
	unsigned nrules = 0;
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		struct xv_net_config cfg = { 0 };
		if (nodet)
			cfg.arp_spoof = cfg.syn_flood = cfg.port_scan = -1;
		struct xv_net *n = xv_net_new(&cfg);
		if (!n || xv_net_set_var(n, "HOME_NET", argv[4]) < 0 ||
		    (strcmp(argv[3], "-") && xv_net_load_rules(n, argv[3]) < 0) ||
		    (frames = xv_net_run_pcap(n, argv[2])) < 0) {
			fprintf(stderr, "%s\n", xv_errmsg());
			return 2;
		}
		alerts = xv_net_alert_total(n);
		nrules = xv_net_rule_count(n);
		xv_net_free(n);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		cpu[i] = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	}
	qsort(cpu, (size_t)runs, sizeof(double), cmp_dbl);
	printf("replay: %ld frames, %u rules%s, %llu alerts: CPU min %.1f ms = %.2f Mpps, median "
	       "%.1f ms = %.2f Mpps (%d runs; rules loaded and capture read through libpcap each run)\n",
	       frames, nrules, nodet ? ", no detectors" : "", (unsigned long long)alerts,
	       cpu[0] * 1e3, (double)frames / cpu[0] / 1e6, cpu[runs / 2] * 1e3,
	       (double)frames / cpu[runs / 2] / 1e6, runs);
	free(cpu);
	return 0;
}

/* ---- switch ---- */

static int dgram_at(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	int sz = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0)
		return -1;
	return fd;
}

static volatile int sw_stop;
static volatile double sw_cpu; /* CPU seconds the switch thread has used */

static void *sw_thread(void *arg)
{
	while (!sw_stop) {
		xv_switch_step(arg, 50);
		sw_cpu = cpu_s();
	}
	return NULL;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int bench_switch(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	const char *rules = argc > 3 ? argv[3] : "-";
	char pa[108], pb[108], ca[108], cb[108], spec[256];
	snprintf(pa, sizeof(pa), "%s/swa.sock", dir);
	snprintf(pb, sizeof(pb), "%s/swb.sock", dir);
	snprintf(ca, sizeof(ca), "%s/cla.sock", dir);
	snprintf(cb, sizeof(cb), "%s/clb.sock", dir);
	struct xv_net *n = xv_net_new(NULL);
	xv_net_set_var(n, "HOME_NET", "10.0.0.0/8");
	if (strcmp(rules, "-") && xv_net_load_rules(n, rules) < 0) {
		fprintf(stderr, "%s\n", xv_errmsg());
		return 2;
	}
	struct xv_switch_config cfg = { .engine = n };
	struct xv_switch *sw = xv_switch_new(&cfg);
	snprintf(spec, sizeof(spec), "a=dgram:unix:%s,peer=%s", pa, ca);
	if (!sw || xv_switch_add_port(sw, spec) < 0)
		goto fail;
	snprintf(spec, sizeof(spec), "b=dgram:unix:%s,peer=%s", pb, cb);
	if (xv_switch_add_port(sw, spec) < 0)
		goto fail;
	struct sockaddr_un sa_a, sa_b, to_a;
	int fa = dgram_at(ca, &sa_a), fb = dgram_at(cb, &sa_b);
	memset(&to_a, 0, sizeof(to_a));
	to_a.sun_family = AF_UNIX;
	snprintf(to_a.sun_path, sizeof(to_a.sun_path), "%s", pa);
	/* a 128-byte TCP frame from MAC ...0a to ...0b; teach the switch where 0b lives first */
	uint8_t fr[128] = { 0x52, 0x54, 0, 0, 0, 0x0b, 0x52, 0x54, 0, 0, 0, 0x0a, 0x08, 0x00,
			    0x45, 0, 0, 114, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			    0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff };
	uint8_t learn[64] = { 0x52, 0x54, 0, 0, 0, 0x0a, 0x52, 0x54, 0, 0, 0, 0x0b, 0x88, 0xb5 };
	struct sockaddr_un to_b = to_a;
	snprintf(to_b.sun_path, sizeof(to_b.sun_path), "%s", pb);
	pthread_t th;
	pthread_create(&th, NULL, sw_thread, sw);
	sendto(fb, learn, sizeof(learn), 0, (struct sockaddr *)&to_b, sizeof(to_b));
	uint8_t rb[2048];
	recv(fa, rb, sizeof(rb), 0); /* flooded to a */
	/* latency: one frame at a time, a -> switch -> b */
	enum { NLAT = 20000 };
	double *lat = malloc(NLAT * sizeof(double));
	for (int i = 0; i < NLAT; i++) {
		double t0 = now_s();
		sendto(fa, fr, sizeof(fr), 0, (struct sockaddr *)&to_a, sizeof(to_a));
		recv(fb, rb, sizeof(rb), 0);
		lat[i] = (now_s() - t0) * 1e6;
	}
	qsort(lat, NLAT, sizeof(double), cmp_d);
	/* the same round trip without the switch: a -> b directly */
	double *base = malloc(NLAT * sizeof(double));
	for (int i = 0; i < NLAT; i++) {
		double t0 = now_s();
		sendto(fa, fr, sizeof(fr), 0, (struct sockaddr *)&sa_b, sizeof(sa_b));
		recv(fb, rb, sizeof(rb), 0);
		base[i] = (now_s() - t0) * 1e6;
	}
	qsort(base, NLAT, sizeof(double), cmp_d);
	printf("switch latency (128-byte frames, unix dgram ports, %u rules): median %.1f us, "
	       "p99 %.1f us; direct socket median %.1f us -> added %.1f us\n",
	       xv_net_rule_count(n), lat[NLAT / 2], lat[NLAT * 99 / 100], base[NLAT / 2],
	       lat[NLAT / 2] - base[NLAT / 2]);
	/* throughput: windowed blast (at most W frames in flight so socket buffers never drop) */
	enum { W = 256 };
	uint64_t sent = 0, got = 0, total = 2000000;
	double t0 = now_s(), cpu0 = sw_cpu;
	while (got < total) {
		while (sent < total && sent - got < W) {
			sendto(fa, fr, sizeof(fr), 0, (struct sockaddr *)&to_a, sizeof(to_a));
			sent++;
		}
		while (got < sent && recv(fb, rb, sizeof(rb), got + W <= sent ? 0 : MSG_DONTWAIT) > 0)
			got++;
		if (now_s() - t0 > 20)
			break;
	}
	double dt = now_s() - t0, dcpu = sw_cpu - cpu0;
	printf("switch forwarding: %llu frames in %.2f s = %.3f Mpps wall (sender, switch and "
	       "receiver threads on %ld CPUs); switch thread CPU %.2f s = %.2f us/frame = %.3f Mpps "
	       "per core\n",
	       (unsigned long long)got, dt, (double)got / dt / 1e6, sysconf(_SC_NPROCESSORS_ONLN),
	       dcpu, dcpu / (double)got * 1e6, (double)got / dcpu / 1e6);
	sw_stop = 1;
	pthread_join(th, NULL);
	xv_switch_free(sw);
	xv_net_free(n);
	close(fa);
	close(fb);
	unlink(ca);
	unlink(cb);
	free(lat);
	free(base);
	return 0;
fail:
	fprintf(stderr, "%s\n", xv_errmsg());
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "engine"))
		return bench_engine(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "switch"))
		return bench_switch(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "replay"))
		return bench_replay(argc, argv);
	fprintf(stderr, "usage: net_bench engine PCAP RULES HOME_NET [SECONDS] [--no-detectors]\n"
			"       net_bench replay PCAP RULES HOME_NET [RUNS] [--no-detectors]\n"
			"       net_bench switch [DIR] [RULES]\n");
	return 2;
}
