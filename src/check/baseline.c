/* baseline.c — write policy lines that allow what the guest runs and loads right now. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/task.h"
#include "xvids/vat.h"

/* A literal name as a glob: escape the characters fnmatch() would interpret. */
static void glob_literal(char *out, size_t n, const char *s, const char *suffix)
{
	size_t j = 0;

	for (; *s && j + 2 < n; s++) {
		if (strchr("*?[\\", *s))
			out[j++] = '\\';
		out[j++] = *s;
	}
	out[j] = '\0';
	if (suffix && j + strlen(suffix) < n)
		strcat(out, suffix);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct lines {
	char **v;
	size_t n, cap;
};

static int lines_add(struct lines *l, char *line)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 128;
		char **nv = nc <= (1u << 20) ? realloc(l->v, nc * sizeof(*nv)) : NULL;

		if (!nv) {
			free(line);
			return xv_err(ENOMEM, "out of memory for baseline lines");
		}
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = line;
	return 0;
}

/* One policy line per task of one sample of the task list. */
static int sample(struct xv_kernel *k, struct lines *out, size_t *ntasks)
{
	struct xv_task *t;
	size_t n;
	int rc = xv_task_list(k, &t, &n);

	if (rc < 0)
		return rc;
	*ntasks = n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char comm[2 * XV_COMM_LEN + 8], exe[2 * XV_PATH_MAX], uidbuf[24] = "";
		char *line = NULL;
		size_t len = 0;
		FILE *m;

		if (t[i].exiting || (!t[i].kthread && !t[i].exe[0]))
			continue; /* on its way out: no exe to record */
		if (t[i].kthread) {
			/* Per-CPU and per-queue kernel threads ("kworker/0:1"): the name up to '/' and a glob. */
			char base[XV_COMM_LEN + 1], *slash;

			snprintf(base, sizeof(base), "%s", t[i].comm);
			slash = strchr(base, '/');
			if (slash)
				*slash = '\0';
			glob_literal(comm, sizeof(comm), base, slash ? "/*" : NULL);
		} else {
			int same_uid = 1;

			glob_literal(comm, sizeof(comm), t[i].comm, NULL);
			glob_literal(exe, sizeof(exe), t[i].exe, NULL);
			/* uid only where it is stable: every task with this comm and exe has it. */
			for (size_t j = 0; j < n; j++)
				if (!t[j].kthread && strcmp(t[j].comm, t[i].comm) == 0 &&
				    strcmp(t[j].exe, t[i].exe) == 0 && t[j].uid != t[i].uid)
					same_uid = 0;
			if (same_uid)
				snprintf(uidbuf, sizeof(uidbuf), "%u", t[i].uid);
		}
		m = open_memstream(&line, &len);
		if (!m) {
			rc = xv_err(ENOMEM, "out of memory");
			break;
		}
		fputs(t[i].kthread ? "kthread allow comm=" : "process allow comm=", m);
		xv_policy_write_value(m, comm);
		if (!t[i].kthread) {
			fputs(" exe=", m);
			xv_policy_write_value(m, exe);
			if (uidbuf[0])
				fprintf(m, " uid=%s", uidbuf);
		}
		fclose(m);
		rc = lines_add(out, line);
	}
	free(t);
	return rc;
}

int xv_baseline_procs(struct xv_kernel *k, FILE *out, unsigned learn_ms)
{
	struct lines l = { 0 };
	struct timespec t0, now;
	size_t ntasks = 0, nsamples = 0;
	int rc;

	/* Learning over a period catches the short-lived processes a busy guest keeps starting. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		xv_vat_flush(xv_kernel_vat(k));
		rc = sample(k, &l, &ntasks);
		nsamples++;
		if (rc < 0 || learn_ms == 0)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20L * 1000 * 1000 }, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < learn_ms);
	if (rc == 0) {
		if (l.n) /* no tasks read: l.v is NULL, and qsort(NULL, 0) is undefined */
			qsort(l.v, l.n, sizeof(*l.v), cmp_str);
		fprintf(out, "\n# Processes (comm, exe and uid where stable; kernel threads by name): "
			     "%zu samples over %u ms, %zu tasks in the last.\n", nsamples, learn_ms, ntasks);
		for (size_t i = 0; i < l.n; i++)
			if (i == 0 || strcmp(l.v[i], l.v[i - 1]) != 0)
				fprintf(out, "%s\n", l.v[i]);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return rc;
}

int xv_baseline_modules(struct xv_kernel *k, FILE *out)
{
	struct xv_module *m;
	size_t n;
	int rc = xv_module_list(k, &m, &n);

	if (rc < 0)
		return rc;
	fprintf(out, "\n# Kernel modules. %zu loaded.\n", n);
	for (size_t i = 0; i < n; i++) {
		char g[2 * XV_MODNAME_LEN];

		glob_literal(g, sizeof(g), m[i].name, NULL);
		fputs("module allow name=", out);
		xv_policy_write_value(out, g);
		fputc('\n', out);
	}
	free(m);
	return 0;
}
