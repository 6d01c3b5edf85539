/* findings.c — what checks report: a list of findings, as JSON and as EVE records. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "xvids/check.h"
#include "xvids/err.h"

const char *xv_severity_name(enum xv_severity s)
{
	static const char *const n[] = { "info", "low", "medium", "high", "critical" };

	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

int xv_findings_add(struct xv_findings *f, const char *check, const char *kind,
		    enum xv_severity sev, struct json_object *obj, const char *key, const char *fmt, ...)
{
	struct xv_finding *x;
	va_list ap;

	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 16;
		struct xv_finding *nv = realloc(f->v, nc * sizeof(*nv));

		if (!nv) {
			json_object_put(obj);
			return xv_err(ENOMEM, "out of memory");
		}
		f->v = nv;
		f->cap = nc;
	}
	x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->check, sizeof(x->check), "%s", check);
	snprintf(x->kind, sizeof(x->kind), "%s", kind);
	x->severity = sev;
	snprintf(x->key, sizeof(x->key), "%s %s %s", check, kind, key);
	va_start(ap, fmt);
	vsnprintf(x->summary, sizeof(x->summary), fmt, ap);
	va_end(ap);
	if (!obj)
		obj = json_object_new_object();
	/* kind and severity first: they are what a reader scans for. */
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "severity", json_object_new_string(xv_severity_name(sev)));
	json_object_object_foreach(obj, k, v) json_object_object_add(o, k, json_object_get(v));
	json_object_object_add(o, "summary", json_object_new_string(x->summary));
	json_object_put(obj);
	x->obj = o;
	return 0;
}

void xv_findings_free(struct xv_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		json_object_put(f->v[i].obj);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

struct json_object *xv_findings_json(const struct xv_findings *f)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();

	for (size_t i = 0; i < f->n; i++)
		json_object_array_add(arr, json_object_get(f->v[i].obj));
	json_object_object_add(root, "findings", arr);
	return root;
}

/* Suricata's EVE timestamp: 2026-11-23T18:30:00.123456+0000 */
static void eve_time(char *buf, size_t n)
{
	struct timeval tv;
	struct tm tm;
	char base[32], zone[8];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, n, "%s.%06ld%s", base, (long)tv.tv_usec, zone);
}

int xv_findings_eve(const struct xv_findings *f, const char *path, const char *host)
{
	FILE *out;
	char ts[64];

	if (f->n == 0)
		return 0;
	out = fopen(path, "ae");
	if (!out)
		return xv_err(errno, "cannot open EVE file %s: %s", path, strerror(errno));
	eve_time(ts, sizeof(ts));
	for (size_t i = 0; i < f->n; i++) {
		struct json_object *rec = json_object_new_object();

		json_object_object_add(rec, "timestamp", json_object_new_string(ts));
		json_object_object_add(rec, "event_type", json_object_new_string("xvids"));
		json_object_object_add(rec, "host", json_object_new_string(host ? host : ""));
		json_object_object_add(rec, "xvids", json_object_get(f->v[i].obj));
		fprintf(out, "%s\n", json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(rec);
	}
	if (fclose(out) != 0)
		return xv_err(errno, "writing EVE file %s: %s", path, strerror(errno));
	return 0;
}
