/* bench_warm.c — warm in-process timings: open the guest once, then repeat ps, lsmod, pchk, mchk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/kernel.h"
#include "xvids/mem.h"
#include "xvids/task.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Current resident set (VmRSS) of this process, KiB. */
static long rss_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and 90th percentile of n timed runs of one operation. */
#define BENCH(name, n, body)                                                                    \
	do {                                                                                    \
		double *t = calloc(n, sizeof(double)), t0;                                      \
		size_t items = 0;                                                               \
		for (int i = 0; i < (n); i++) {                                                 \
			t0 = now_us();                                                          \
			body;                                                                   \
			t[i] = now_us() - t0;                                                   \
		}                                                                               \
		qsort(t, n, sizeof(double), cmp_d);                                             \
		printf("%-8s %6d runs  median %9.1f us  p90 %9.1f us  (%zu objects)\n", name, n, \
		       t[(n) / 2], t[(n) * 9 / 10], items);                                     \
		free(t);                                                                        \
	} while (0)

int main(int argc, char **argv)
{
	struct xv_mem *mem;
	struct xv_kernel *k;
	int n = argc > 2 ? atoi(argv[2]) : 1000;
	double t0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_warm SPEC [RUNS]\n");
		return 2;
	}
	t0 = now_us();
	if (xv_mem_open(argv[1], NULL, &mem) < 0 || xv_kernel_open(mem, NULL, &k) < 0) {
		fprintf(stderr, "bench_warm: %s\n", xv_errmsg());
		return 2;
	}
	printf("open     discovery (VMCOREINFO, page tables, kallsyms, BTF, init_task): %.1f ms, "
	       "RSS after %ld KiB\n", (now_us() - t0) / 1000, rss_kib());
	BENCH("ps", n, {
		struct xv_task *v;
		if (xv_task_list(k, &v, &items) < 0)
			return 2;
		free(v);
	});
	BENCH("lsmod", n, {
		struct xv_module *v;
		if (xv_module_list(k, &v, &items) < 0)
			return 2;
		free(v);
	});
	BENCH("pchk", n, {
		struct xv_findings f = { 0 };
		if (xv_pchk(k, NULL, &f) < 0)
			return 2;
		items = f.n;
		xv_findings_free(&f);
	});
	BENCH("mchk", n, {
		struct xv_findings f = { 0 };
		if (xv_mchk(k, NULL, &f) < 0)
			return 2;
		items = f.n;
		xv_findings_free(&f);
	});
	printf("RSS after the runs: %ld KiB\n", rss_kib());
	xv_kernel_close(k);
	xv_mem_close(mem);
	return 0;
}
