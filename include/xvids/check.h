/* check.h — IDS checks (pchk, mchk, fchk, fichk): pure functions of (kernel model, policy) → findings. */
#ifndef XVIDS_CHECK_H
#define XVIDS_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xvids/kernel.h"
#include "xvids/policy.h"

struct json_object;

/*
 * A finding: what a check reports. `check` names the check ("pchk"), `kind` the finding kind
 * ("hidden", "unauthorized", ...), `key` a stable identity used to raise one alert per new
 * finding across repeated runs (e.g. "pchk hidden pid=96 comm=evil"), `summary` one line for
 * humans, `obj` the JSON object with every field (kind, severity, pid, comm, ...; owned).
 */
enum xv_severity { XV_SEV_INFO = 0, XV_SEV_LOW, XV_SEV_MEDIUM, XV_SEV_HIGH, XV_SEV_CRITICAL };

struct xv_finding {
	char check[8];
	char kind[32];
	enum xv_severity severity;
	char key[256];
	char summary[512];
	struct json_object *obj;
};

struct xv_findings {
	struct xv_finding *v;
	size_t n, cap;
};

const char *xv_severity_name(enum xv_severity s);

/* Append a finding; takes ownership of obj (adds "check", "kind" and "severity" to it). */
int xv_findings_add(struct xv_findings *f, const char *check, const char *kind,
		    enum xv_severity sev, struct json_object *obj, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
void xv_findings_free(struct xv_findings *f);

/* {"findings": [ {...}, ... ]} — takes a reference to each finding's object. */
struct json_object *xv_findings_json(const struct xv_findings *f);

/* Append each finding to an EVE JSON file (Suricata's envelope: timestamp, event_type "xvids",
 * host, and our object under "xvids"). -errno on I/O error. */
int xv_findings_eve(const struct xv_findings *f, const char *path, const char *host);

/* The checks. policy may be NULL (then only policy-free findings such as `hidden`). */
int xv_pchk(struct xv_kernel *k, const struct xv_policy *p, struct xv_findings *out);
int xv_mchk(struct xv_kernel *k, const struct xv_policy *p, struct xv_findings *out);

/* Write the process/module part of a baseline policy for the guest's current state; procs samples
 * the task list repeatedly for learn_ms milliseconds (0: once). */
int xv_baseline_procs(struct xv_kernel *k, FILE *out, unsigned learn_ms);
int xv_baseline_modules(struct xv_kernel *k, FILE *out);

#endif
