/* files_bench.c — warm timings of fchk and fichk: the kernel model is opened once, as xvidsd keeps it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"
#include "xvids/kernel.h"
#include "xvids/policy.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of the whole process (all threads): on a busy host wall time mostly measures waiting. */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* usage: files_bench SPEC POLICY RULES|- STRINGS|- RUNS */
int main(int argc, char **argv)
{
	struct xv_mem *m;
	struct xv_kernel *k;
	struct xv_policy *p;
	int runs;
	double t[64], c[64];

	if (argc != 6) {
		fprintf(stderr, "usage: files_bench SPEC POLICY RULES|- STRINGS|- RUNS\n");
		return 2;
	}
	runs = atoi(argv[5]);
	if (runs < 1 || runs > 64)
		runs = 10;
	if (xv_mem_open(argv[1], NULL, &m) < 0 || xv_kernel_open(m, NULL, &k) < 0 ||
	    !(p = xv_policy_load(argv[2]))) {
		fprintf(stderr, "files_bench: %s\n", xv_errmsg());
		return 2;
	}
	size_t nf = 0;

	for (int i = 0; i < runs; i++) {
		struct xv_findings f = { 0 };
		double t0 = now_ms(), c0 = cpu_ms();

		if (xv_fchk(k, p, &f) < 0) {
			fprintf(stderr, "fchk: %s\n", xv_errmsg());
			return 2;
		}
		t[i] = now_ms() - t0;
		c[i] = cpu_ms() - c0;
		nf = f.n;
		xv_findings_free(&f);
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_d);
	qsort(c, (size_t)runs, sizeof(c[0]), cmp_d);
	printf("fchk_warm_ms_median %.2f\nfchk_warm_ms_min %.2f\nfchk_warm_cpu_ms_median %.2f\n"
	       "fchk_findings %zu\n", t[runs / 2], t[0], c[runs / 2], nf);
	for (int i = 0; i < runs; i++) {
		struct xv_findings f = { 0 };
		struct xv_fichk_opts o = { .rules_path = strcmp(argv[3], "-") ? argv[3] : NULL,
					   .strings_path = strcmp(argv[4], "-") ? argv[4] : NULL };
		double t0 = now_ms(), c0 = cpu_ms();

		if (xv_fichk(k, &o, &f) < 0) {
			fprintf(stderr, "fichk: %s\n", xv_errmsg());
			return 2;
		}
		t[i] = now_ms() - t0;
		c[i] = cpu_ms() - c0;
		if (i == 0)
			printf("fichk_files %" PRIu64 "\nfichk_bytes %" PRIu64 "\n", o.files_scanned,
			       o.bytes_scanned);
		if (i == runs - 1)
			printf("fichk_findings %zu\n", f.n);
		xv_findings_free(&f);
		t[i] = t[i] > 0 ? o.bytes_scanned / (t[i] / 1e3) / 1e6 : 0;
		c[i] = c[i] > 0 ? o.bytes_scanned / (c[i] / 1e3) / 1e6 : 0;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_d);
	qsort(c, (size_t)runs, sizeof(c[0]), cmp_d);
	printf("fichk_warm_MBps_median %.1f\nfichk_warm_MB_per_cpu_s_median %.1f\n", t[runs / 2],
	       c[runs / 2]);
	xv_policy_free(p);
	xv_kernel_close(k);
	xv_mem_close(m);
	return 0;
}
