/* baseline.c — write policy lines that allow what the guest runs and loads right now. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/task.h"

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

int xv_baseline_procs(struct xv_kernel *k, FILE *out)
{
	struct xv_task *t;
	size_t n, nl = 0;
	char **lines;
	int rc = xv_task_list(k, &t, &n);

	if (rc < 0)
		return rc;
	lines = calloc(n ? n : 1, sizeof(*lines));
	if (!lines) {
		free(t);
		return xv_err(ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		char comm[2 * XV_COMM_LEN + 8], exe[2 * XV_PATH_MAX], uidbuf[24] = "";
		char *line = NULL;
		size_t len = 0;
		FILE *m;

		if (t[i].kthread) {
			/* Per-CPU and per-queue kernel threads: "kworker/0:1" becomes the glob kworker-slash-star. */
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
		if (!m)
			break;
		fputs(t[i].kthread ? "kthread allow comm=" : "process allow comm=", m);
		xv_policy_write_value(m, comm);
		if (!t[i].kthread) {
			fputs(" exe=", m);
			xv_policy_write_value(m, t[i].exe[0] ? exe : "");
			if (uidbuf[0])
				fprintf(m, " uid=%s", uidbuf);
		}
		fclose(m);
		lines[nl++] = line;
	}
	qsort(lines, nl, sizeof(*lines), cmp_str);
	fprintf(out, "\n# Processes (comm, exe and uid; kernel threads by name). %zu tasks seen.\n", n);
	for (size_t i = 0; i < nl; i++)
		if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0)
			fprintf(out, "%s\n", lines[i]);
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	free(t);
	return 0;
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
