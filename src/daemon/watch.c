/* watch.c — scheduled checks: run a check on a VM every N seconds and raise one alert per new
 * finding (findings are identified by their key). */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xvids/check.h"
#include "xvids/err.h"
#include "xvids/fs.h"

void xvd_finds_free(struct xvd_find *f, int n)
{
	for (int i = 0; i < n; i++)
		json_object_put(f[i].obj);
	free(f);
}

static int from_findings(const char *check, struct xv_findings *xf, struct xvd_find **out)
{
	struct xvd_find *f = calloc(xf->n ? xf->n : 1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < xf->n; i++) {
		snprintf(f[i].kind, sizeof(f[i].kind), "%s", xf->v[i].kind);
		f[i].severity = (int)xf->v[i].severity;
		if (xf->v[i].key[0])
			snprintf(f[i].key, sizeof(f[i].key), "%s", xf->v[i].key);
		else
			snprintf(f[i].key, sizeof(f[i].key), "%s %s %.200s", check,
				 xf->v[i].kind, xf->v[i].summary);
		snprintf(f[i].summary, sizeof(f[i].summary), "%s", xf->v[i].summary);
		f[i].obj = xf->v[i].obj ? json_object_get(xf->v[i].obj) : NULL;
	}
	*out = f;
	return (int)xf->n;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

int xvd_finds_from_json(const char *check, const char *text, struct xvd_find **out)
{
	struct json_object *root = json_tokener_parse(text), *arr = NULL;

	*out = NULL;
	if (!root)
		return xv_err(EPROTO, "%s: output is not JSON", check);
	if (json_object_is_type(root, json_type_object))
		json_object_object_get_ex(root, "findings", &arr);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return xv_err(EPROTO, "%s does not report findings ({\"findings\": [...]})", check);
	}
	size_t n = json_object_array_length(arr);
	if (n > 100000) {
		json_object_put(root);
		return xv_err(E2BIG, "%s: %zu findings, too many", check, n);
	}
	struct xvd_find *f = calloc(n ? n : 1, sizeof(*f));
	if (!f) {
		json_object_put(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *kind = jstr(o, "kind"), *key = jstr(o, "key");
		const char *sum = jstr(o, "summary");
		const char *plain = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE);
		snprintf(f[i].kind, sizeof(f[i].kind), "%s", kind ? kind : "finding");
		int sev = xvd_sev_parse(jstr(o, "severity"));
		f[i].severity = sev < 0 ? 2 : sev;
		/* Without a key the whole object identifies the finding. */
		snprintf(f[i].key, sizeof(f[i].key), "%s", key ? key : plain);
		snprintf(f[i].summary, sizeof(f[i].summary), "%s", sum ? sum : plain);
		f[i].obj = json_object_get(o);
	}
	json_object_put(root);
	*out = f;
	return (int)n;
}

/* Run a table command with -j and collect its findings. */
static int run_table(struct xvd *d, struct xvd_vm *vm, const char *check, struct xvd_find **out)
{
	const struct xv_cmd *cmd = xv_cmd_lookup(check);
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	char *argv[40];
	int argc = 0, n;

	if (!cmd || !xvd_cmd_offered(cmd) || !(cmd->flags & XV_CMD_NEEDS_VM))
		return xv_err(ENOENT, "no check named '%s' in this build", check);
	argv[argc++] = (char *)cmd->name;
	argv[argc++] = "-j";
	if (vm->policy_path[0] && strstr(cmd->synopsis, "--policy")) {
		argv[argc++] = "--policy";
		argv[argc++] = vm->policy_path;
	}
	argc = xvd_check_args(d, check, argv, argc, (int)(sizeof(argv) / sizeof(argv[0])) - 1);
	argv[argc] = NULL;
	FILE *o = open_memstream(&obuf, &olen), *e = open_memstream(&ebuf, &elen);
	if (!o || !e) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		free(obuf);
		free(ebuf);
		return -ENOMEM;
	}
	vm->ctx.out = o;
	vm->ctx.err = e;
	vm->ctx.json = 1;
	optind = 0;
	int rc = cmd->run(&vm->ctx, argc, argv);
	vm->ctx.out = vm->ctx.err = NULL;
	vm->ctx.json = 0;
	fclose(o);
	fclose(e);
	if (rc == XV_EXIT_ERROR) {
		size_t l = elen;
		while (l && (ebuf[l - 1] == '\n'))
			ebuf[--l] = 0;
		n = xv_err(EIO, "%s", l ? ebuf : "failed");
	} else {
		n = xvd_finds_from_json(check, obuf ? obuf : "", out);
	}
	free(obuf);
	free(ebuf);
	return n;
}

int xvd_run_check(struct xvd *d, struct xvd_vm *vm, const char *check, struct xvd_find **out)
{
	struct xv_kernel *k;
	int rc;

	*out = NULL;
	if (!vm->up && xvd_vm_attach(d, vm) < 0)
		return xv_err(ENODEV, "vm %s is not attached: %s", vm->name, vm->error);
	/* pchk, mchk and fchk through the library, with the VM's policy object; other checks
	 * (fichk, ...) through the command table and their JSON. */
	int (*fn)(struct xv_kernel *, const struct xv_policy *, struct xv_findings *) =
		strcmp(check, "pchk") == 0 ? xv_pchk :
		strcmp(check, "mchk") == 0 ? xv_mchk :
		strcmp(check, "fchk") == 0 ? xv_fchk : NULL;
	if (fn) {
		struct xv_findings xf = { 0 };
		if (xv_ctx_kernel(&vm->ctx, &k) < 0)
			return -EIO;
		rc = fn(k, vm->policy, &xf);
		if (rc >= 0)
			rc = from_findings(check, &xf, out);
		xv_findings_free(&xf);
		return rc;
	}
	return run_table(d, vm, check, out);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int xvd_dedup(char ***keys, size_t *nkeys, const struct xvd_find *f, int n, int *isnew)
{
	char **nk = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	size_t m = 0;
	int fresh = 0;

	if (!nk)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const char *key = f[i].key;
		isnew[i] = 0;
		if (*nkeys && bsearch(&key, *keys, *nkeys, sizeof(char *), cmpstr))
			continue;
		/* Two findings with one key in the same run alert once. */
		int dup = 0;
		for (int j = 0; j < i; j++)
			if (isnew[j] && strcmp(f[j].key, key) == 0)
				dup = 1;
		if (!dup) {
			isnew[i] = 1;
			fresh++;
		}
	}
	for (int i = 0; i < n; i++) {
		char *s = strdup(f[i].key);
		if (s)
			nk[m++] = s;
	}
	qsort(nk, m, sizeof(char *), cmpstr);
	/* Drop duplicates so the set stays a set. */
	size_t u = 0;
	for (size_t i = 0; i < m; i++) {
		if (u && strcmp(nk[u - 1], nk[i]) == 0) {
			free(nk[i]);
			continue;
		}
		nk[u++] = nk[i];
	}
	for (size_t i = 0; i < *nkeys; i++)
		free((*keys)[i]);
	free(*keys);
	*keys = nk;
	*nkeys = u;
	return fresh;
}

void xvd_watch_free(struct xvd_watch *w)
{
	for (size_t i = 0; i < w->nkeys; i++)
		free(w->keys[i]);
	free(w->keys);
	w->keys = NULL;
	w->nkeys = 0;
}

int xvd_watch_add(struct xvd *d, const char *check, const char *vm, unsigned every)
{
	if (!xvd_vm_find(d, vm))
		return xv_err(ENOENT, "no VM named '%s' (vm list)", vm);
	/* Checks are the table's *chk commands (pchk, mchk, fchk, fichk): they report findings. */
	const struct xv_cmd *c = xv_cmd_lookup(check);
	size_t n = strlen(check);
	int lib = !strcmp(check, "pchk") || !strcmp(check, "mchk") || !strcmp(check, "fchk");
	if (!lib && (!c || !xvd_cmd_offered(c) || !(c->flags & XV_CMD_NEEDS_VM) || n < 4 ||
		     strcmp(check + n - 3, "chk") != 0))
		return xv_err(ENOENT, "no check named '%s' in this build (checks: the *chk commands "
				      "in help)", check);
	if (d->nwatch == XVD_MAX_WATCHES)
		return xv_err(E2BIG, "too many watches (max %d)", XVD_MAX_WATCHES);
	if (strlen(check) >= sizeof(d->watch[0].check))
		return xv_err(EINVAL, "bad check name");
	struct xvd_watch *w = &d->watch[d->nwatch++];
	memset(w, 0, sizeof(*w));
	w->id = ++d->next_watch_id;
	snprintf(w->check, sizeof(w->check), "%s", check);
	snprintf(w->vm, sizeof(w->vm), "%s", vm);
	w->every = every;
	w->next = xvd_now(); /* first run at once */
	snprintf(w->last, sizeof(w->last), "not run yet");
	return (int)w->id;
}

int xvd_watch_del(struct xvd *d, unsigned id)
{
	for (unsigned i = 0; i < d->nwatch; i++)
		if (d->watch[i].id == id) {
			xvd_watch_free(&d->watch[i]);
			memmove(&d->watch[i], &d->watch[i + 1],
				(d->nwatch - i - 1) * sizeof(d->watch[0]));
			d->nwatch--;
			return 0;
		}
	return xv_err(ENOENT, "no watch %u (watch list)", id);
}

static void run_watch(struct xvd *d, struct xvd_watch *w)
{
	struct xvd_vm *vm = xvd_vm_find(d, w->vm);
	struct xvd_find *f = NULL;

	w->runs++;
	if (!vm) {
		w->errors++;
		snprintf(w->last, sizeof(w->last), "error: VM gone");
		return;
	}
	int n = xvd_run_check(d, vm, w->check, &f);
	if (n < 0) {
		w->errors++;
		snprintf(w->last, sizeof(w->last), "error: %.140s", xv_errmsg());
		if (vm->up && xvd_vm_healthy(vm) < 0)
			xvd_vm_detach(d, vm, xv_errmsg());
		return;
	}
	int *isnew = calloc(n ? (size_t)n : 1, sizeof(int));
	int fresh = isnew ? xvd_dedup(&w->keys, &w->nkeys, f, n, isnew) : -ENOMEM;
	for (int i = 0; i < n && fresh > 0; i++) {
		if (!isnew[i])
			continue;
		xvd_alert_raise(d->alerts, vm->name, w->check, f[i].kind, f[i].severity, f[i].key,
				f[i].summary, f[i].obj);
		f[i].obj = NULL; /* owned by the alert now */
	}
	snprintf(w->last, sizeof(w->last), "%d finding%s, %d new", n, n == 1 ? "" : "s",
		 fresh < 0 ? 0 : fresh);
	free(isnew);
	xvd_finds_free(f, n);
}

void xvd_watch_tick(struct xvd *d, double now)
{
	/* Run what is due; a watch deleted meanwhile simply does not exist any more. */
	for (unsigned i = 0; i < d->nwatch; i++) {
		struct xvd_watch *w = &d->watch[i];
		if (w->next > now)
			continue;
		run_watch(d, w);
		d->dirty = 1;
		w->next = xvd_now() + w->every;
	}
}

double xvd_watch_next(struct xvd *d)
{
	double t = -1;
	for (unsigned i = 0; i < d->nwatch; i++)
		if (t < 0 || d->watch[i].next < t)
			t = d->watch[i].next;
	return t;
}
