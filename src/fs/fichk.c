/* fichk.c — scan the guest's file contents (from its page cache) with YARA rules or forbidden strings. */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs_internal.h"
#include "xv_config.h"
#include "xvids/check.h"
#include "xvids/err.h"

#if XV_HAVE_YARA
#include <yara.h>
#endif

#define MAX_MATCHES_PER_STRING 16
#define LIST_NS "xvids_string_list" /* YARA namespace of the --strings rule */
#define MAX_STRINGS 100000

int xv_fichk_have_yara(void)
{
	return XV_HAVE_YARA;
}

struct strlist {
	char **s;
	size_t *len;
	size_t n;
};

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/* One forbidden string per line, taken literally (no escapes); empty lines are skipped. */
static int strlist_load(const char *path, struct strlist *l)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t r;
	int lineno = 0;

	memset(l, 0, sizeof(*l));
	if (!f)
		return xv_err(errno, "cannot open string list %s: %s", path, strerror(errno));
	while ((r = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r'))
			line[--r] = '\0';
		if (r == 0)
			continue;
		if (l->n >= MAX_STRINGS) {
			fclose(f);
			free(line);
			strlist_free(l);
			return xv_err(E2BIG, "%s:%d: more than %d strings", path, lineno, MAX_STRINGS);
		}
		char **ns = realloc(l->s, (l->n + 1) * sizeof(*ns));
		size_t *nl = ns ? realloc(l->len, (l->n + 1) * sizeof(*nl)) : NULL;

		if (ns)
			l->s = ns;
		if (nl)
			l->len = nl;
		if (!ns || !nl || !(l->s[l->n] = malloc((size_t)r))) {
			fclose(f);
			free(line);
			strlist_free(l);
			return xv_err(ENOMEM, "out of memory");
		}
		memcpy(l->s[l->n], line, (size_t)r);
		l->len[l->n++] = (size_t)r;
	}
	free(line);
	fclose(f);
	if (l->n == 0)
		return xv_err(EINVAL, "%s: no strings", path);
	return 0;
}

/* Matched bytes for humans: printable ASCII as is, the rest as \xNN, bounded. */
static void show_bytes(char *out, size_t size, const uint8_t *p, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < size; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
}

/*
 * Reading the guest's kernel structures is single-threaded (the kernel model and its caches are
 * not shared), and cheap: one thread walks the tree and, for each file, only finds where its
 * pages are (extents: runs of physically consecutive pages). The workers copy the bytes out of
 * guest RAM themselves (the memory source is read-only and thread-safe) into a buffer each keeps
 * from file to file, and scan it with their own YARA scanner over the shared compiled rules.
 * So the copying is spread over the CPUs, no memory is faulted in per file, and the bytes stay
 * in cache between the copy and the scan. YARA needs one contiguous buffer per file (a string
 * may cross a page boundary). The copy is also what a live guest cannot change under YARA's
 * module parsers while they check and then use a length (scanning the guest's pages in place
 * would let it race them).
 */
#define QUEUE_JOBS 64
#define MAX_WORKERS 8
/* A worker keeps its buffer up to this size; bigger files get a buffer of their own, one at a
 * time, so that memory stays bounded by workers * KEEP_BUF + the largest file. */
#define KEEP_BUF (16u << 20)

struct job {
	char *path;
	struct xv_fs_extents ex;
	struct xv_fs_readinfo ri;
	struct job *next;
};

struct worker;

struct shared {
	pthread_mutex_t mu;
	pthread_cond_t have_job, have_space;
	pthread_mutex_t big; /* held while a file over KEEP_BUF is copied and scanned */
	struct job *head, *tail, *pool;
	size_t queued, npool;
	struct worker *self; /* the walking thread's own scanner and buffer */
	size_t keep;         /* it scans a job itself when more than this many are queued */
	int done;
	struct xv_findings *out;
	struct xv_mem *mem;
	int rc;
	struct strlist strs;
	uint64_t bytes, files;
	size_t max_file;
#if XV_HAVE_YARA
	YR_RULES *rules; /* the rule file and the string list (in its own namespace): one pass */
	char key[2 * 4096 + 256]; /* what they were compiled from (rules_key), "" if unknown */
#endif
};

struct worker {
	struct shared *sh;
	pthread_t th;
	const char *path;
	const uint8_t *data;
	size_t len;
	uint8_t *buf;
	size_t cap;
	struct json_object *matches;
#if XV_HAVE_YARA
	YR_SCANNER *sc;
#endif
};

static void add_locked(struct shared *sh, const char *kind, enum xv_severity sev,
		       struct json_object *o, const char *key, const char *sum)
{
	char clean[512];
	size_t i;

	/* Guest-chosen names must not forge lines in text output (JSON escapes them anyway). */
	for (i = 0; sum[i] && i + 1 < sizeof(clean); i++)
		clean[i] = (unsigned char)sum[i] < 0x20 || sum[i] == 0x7f ? '?' : sum[i];
	clean[i] = '\0';
	pthread_mutex_lock(&sh->mu);
	if (xv_findings_add(sh->out, "fichk", kind, sev, o, key, "%s", clean) < 0 && sh->rc == 0)
		sh->rc = -ENOMEM;
	pthread_mutex_unlock(&sh->mu);
}

static void add_match(struct worker *w, const char *rule, const char *sid, uint64_t off, size_t mlen)
{
	struct json_object *m = json_object_new_object();
	char shown[200];

	show_bytes(shown, sizeof(shown), w->data + off, mlen > 48 ? 48 : mlen);
	json_object_object_add(m, "rule", json_object_new_string(rule));
	json_object_object_add(m, "string", json_object_new_string(sid));
	json_object_object_add(m, "offset", json_object_new_int64((int64_t)off));
	json_object_object_add(m, "length", json_object_new_int64((int64_t)mlen));
	json_object_object_add(m, "data", json_object_new_string(shown));
	json_object_array_add(w->matches, m);
}

static void report(struct worker *w, const char *rule, const char *kind)
{
	struct json_object *o = json_object_new_object();
	size_t n = json_object_array_length(w->matches);
	char key[512], sum[512];
	size_t sl;

	json_object_object_add(o, "path", json_object_new_string(w->path));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(o, "matches", json_object_get(w->matches));
	snprintf(key, sizeof(key), "fichk %s path=%.200s rule=%.200s", kind, w->path, rule);
	sl = (size_t)snprintf(sum, sizeof(sum), "%.200s: %s", w->path, rule);
	for (size_t i = 0; i < n && i < 3 && sl < sizeof(sum); i++) {
		struct json_object *m = json_object_array_get_idx(w->matches, i);
		struct json_object *sid, *off, *data;

		json_object_object_get_ex(m, "string", &sid);
		json_object_object_get_ex(m, "offset", &off);
		json_object_object_get_ex(m, "data", &data);
		sl += (size_t)snprintf(sum + sl, sizeof(sum) - sl, "%s %s@%" PRId64 " \"%.40s\"",
				       i ? "," : "", json_object_get_string(sid),
				       json_object_get_int64(off), json_object_get_string(data));
	}
	if (n > 3 && sl < sizeof(sum))
		snprintf(sum + sl, sizeof(sum) - sl, " (+%zu more)", n - 3);
	add_locked(w->sh, kind, XV_SEV_HIGH, o, key, sum);
}

#if XV_HAVE_YARA
static int yr_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *arg)
{
	struct worker *w = arg;
	YR_RULE *rule = data;
	YR_STRING *str;
	int is_list;

	if (msg != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	is_list = rule->ns && rule->ns->name && strcmp(rule->ns->name, LIST_NS) == 0;
	w->matches = json_object_new_array();
	yr_rule_strings_foreach(rule, str)
	{
		int k = 0;
		const YR_MATCH *p = ctx->matches[str->idx].head;

		/* Not yr_string_matches_foreach: libyara 4.2 puts a YR_MATCH right after the bytes of
		 * the previous match in its notebook, so it may be misaligned; copy each one out. */
		for (int steps = 0; p && steps < 65536; steps++) {
			YR_MATCH mm;
			const YR_MATCH *m = &mm;

			memcpy(&mm, p, sizeof(mm));
			p = mm.next;
			if (mm.is_private)
				continue;
			if (k++ >= MAX_MATCHES_PER_STRING)
				break;
			if ((uint64_t)m->offset + (uint64_t)m->match_length > w->len)
				continue;
			if (is_list) {
				/* $sN is string N of the list: show the string itself. */
				size_t idx = strtoul(str->identifier + 2, NULL, 10);
				char shown[200];

				if (idx >= w->sh->strs.n)
					continue;
				show_bytes(shown, sizeof(shown), (const uint8_t *)w->sh->strs.s[idx],
					   w->sh->strs.len[idx] > 48 ? 48 : w->sh->strs.len[idx]);
				add_match(w, "forbidden-string", shown, (uint64_t)m->offset,
					  (size_t)m->match_length);
			} else {
				add_match(w, rule->identifier, str->identifier, (uint64_t)m->offset,
					  (size_t)m->match_length);
			}
		}
	}
	report(w, is_list ? "forbidden-string" : rule->identifier,
	       is_list ? "forbidden-string" : "yara");
	json_object_put(w->matches);
	w->matches = NULL;
	return CALLBACK_CONTINUE;
}

static void yr_compile_err(int level, const char *file, int line, const YR_RULE *rule,
			   const char *msg, void *arg)
{
	char *out = arg;

	(void)rule;
	if (level == YARA_ERROR_LEVEL_ERROR && !out[0])
		snprintf(out, 512, "%s:%d: %s", file ? file : "rules", line, msg);
}

/* The rule file (default namespace) and the string list's rule (its own namespace, so that the
 * file's global rules and names do not touch it) compile into one rule set: each file is
 * scanned once for both. */
static int compile(const char *file, const char *text, YR_RULES **rules)
{
	YR_COMPILER *c;
	char err[512] = "";
	int bad = 0;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return xv_err(ENOMEM, "YARA: cannot create a compiler");
	yr_compiler_set_callback(c, yr_compile_err, err);
	if (file) {
		FILE *f = fopen(file, "re");

		if (!f) {
			yr_compiler_destroy(c);
			return xv_err(errno, "cannot open rules %s: %s", file, strerror(errno));
		}
		bad = yr_compiler_add_file(c, f, NULL, file);
		fclose(f);
	}
	if (!bad && text)
		bad = yr_compiler_add_string(c, text, LIST_NS);
	if (bad || yr_compiler_get_rules(c, rules) != ERROR_SUCCESS) {
		yr_compiler_destroy(c);
		return xv_err(EINVAL, "YARA: %s", err[0] ? err : "rules do not compile");
	}
	yr_compiler_destroy(c);
	return 0;
}

static int scanner(YR_RULES *rules, YR_SCANNER **sc, struct worker *w)
{
	if (!rules)
		return 0;
	if (yr_scanner_create(rules, sc) != ERROR_SUCCESS)
		return xv_err(ENOMEM, "YARA: cannot create a scanner");
	yr_scanner_set_callback(*sc, yr_cb, w);
	yr_scanner_set_flags(*sc, SCAN_FLAGS_REPORT_RULES_MATCHING);
	return 0;
}

/*
 * Compiled rules are kept for the next call with the same files: xvidsd scans on a schedule with
 * the same rules, and compiling them (YARA builds its Aho-Corasick tables) is a good part of a
 * scan of a small RAM disk. One entry; a call takes it for itself (never two calls on one
 * YR_RULES: YARA bounds the scanners per rule set), or compiles its own when it is taken or the
 * files changed (path, device, inode, size, mtime, ctime), and leaves its rules there at the end.
 * The cache holds one yr_initialize of its own, so that a call's yr_finalize keeps them valid.
 */
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static char cache_key[sizeof(((struct shared *)0)->key)];
static YR_RULES *cache_rules;
static int cache_holds_init;

static void rules_key(const char *rules, const char *strings, char *key, size_t size)
{
	const char *p[2] = { rules, strings };
	size_t l = 0;

	key[0] = '\0';
	for (int i = 0; i < 2; i++) {
		struct stat st;
		int n;

		if (!p[i])
			n = snprintf(key + l, size - l, "-|");
		else if (stat(p[i], &st) < 0)
			n = -1;
		else
			n = snprintf(key + l, size - l, "%s:%ju:%ju:%jd:%jd.%09ld:%jd.%09ld|", p[i],
				     (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
				     (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
				     (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
		if (n < 0 || (size_t)n >= size - l) {
			key[0] = '\0'; /* unknown: compile, do not cache */
			return;
		}
		l += (size_t)n;
	}
}

static int rules_get(struct shared *sh, const char *file, const char *text)
{
	if (sh->key[0]) {
		pthread_mutex_lock(&cache_mu);
		if (cache_rules && strcmp(cache_key, sh->key) == 0) {
			sh->rules = cache_rules;
			cache_rules = NULL;
		}
		pthread_mutex_unlock(&cache_mu);
		if (sh->rules)
			return 0;
	}
	return compile(file, text, &sh->rules);
}

static void rules_put(struct shared *sh)
{
	YR_RULES *old = NULL;

	if (!sh->rules)
		return;
	pthread_mutex_lock(&cache_mu);
	if (sh->key[0] && !cache_holds_init && yr_initialize() == ERROR_SUCCESS)
		cache_holds_init = 1;
	if (sh->key[0] && cache_holds_init) {
		old = cache_rules;
		cache_rules = sh->rules;
		snprintf(cache_key, sizeof(cache_key), "%s", sh->key);
	} else {
		old = sh->rules;
	}
	pthread_mutex_unlock(&cache_mu);
	sh->rules = NULL;
	if (old)
		yr_rules_destroy(old);
}

/* The string list becomes one YARA rule of hex strings: one pass over the data (Aho-Corasick)
 * whatever the number of strings. */
static char *strings_rule(const struct strlist *l)
{
	size_t cap = 64, len = 0;
	char *t;

	for (size_t i = 0; i < l->n; i++)
		cap += 24 + 3 * l->len[i];
	t = malloc(cap);
	if (!t)
		return NULL;
	len += (size_t)snprintf(t + len, cap - len, "rule forbidden { strings:\n");
	for (size_t i = 0; i < l->n; i++) {
		len += (size_t)snprintf(t + len, cap - len, "$s%zu = {", i);
		for (size_t j = 0; j < l->len[i]; j++)
			len += (size_t)snprintf(t + len, cap - len, " %02x", (uint8_t)l->s[i][j]);
		len += (size_t)snprintf(t + len, cap - len, " }\n");
	}
	snprintf(t + len, cap - len, "condition: any of them }\n");
	return t;
}
#endif

#if !XV_HAVE_YARA
/* Without libyara: the string list with memmem, one string at a time. */
static void scan_strings_plain(struct worker *w)
{
	const struct strlist *l = &w->sh->strs;

	for (size_t i = 0; i < l->n; i++) {
		const uint8_t *p = w->data, *end = w->data + w->len, *hit;
		int k = 0;
		char shown[200];

		show_bytes(shown, sizeof(shown), (const uint8_t *)l->s[i], l->len[i] > 48 ? 48 : l->len[i]);
		while (p < end && k < MAX_MATCHES_PER_STRING &&
		       (hit = memmem(p, (size_t)(end - p), l->s[i], l->len[i]))) {
			if (!w->matches)
				w->matches = json_object_new_array();
			add_match(w, "forbidden-string", shown, (uint64_t)(hit - w->data), l->len[i]);
			p = hit + 1;
			k++;
		}
	}
	if (w->matches) {
		report(w, "forbidden-string", "forbidden-string");
		json_object_put(w->matches);
		w->matches = NULL;
	}
}
#endif

static void scan_job(struct worker *w, const struct job *j)
{
	w->path = j->path;
	w->len = (size_t)j->ex.size;
#if XV_HAVE_YARA
	if (w->sc)
		yr_scanner_scan_mem(w->sc, w->data, w->len);
#else
	if (w->sh->strs.n)
		scan_strings_plain(w);
#endif
}

static void finding(struct shared *sh, const char *kind, enum xv_severity sev, const char *path,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Copy the file out of guest RAM into a buffer of this worker, then scan it. */
static void run_job(struct worker *w, struct job *j)
{
	struct shared *sh = w->sh;
	size_t size = (size_t)j->ex.size;
	uint8_t *own = NULL, *dst;
	uint64_t bad = 0;
	int big = size > KEEP_BUF;

	if (big) {
		pthread_mutex_lock(&sh->big);
		dst = own = malloc(size);
	} else {
		if (w->cap < size || !w->buf) {
			size_t cap = (size + 0xffff) & ~(size_t)0xffff;
			uint8_t *nb = realloc(w->buf, cap ? cap : 1);

			if (nb) {
				w->buf = nb;
				w->cap = cap ? cap : 1;
			}
		}
		dst = w->cap >= size ? w->buf : NULL;
	}
	if (!dst) {
		finding(sh, "not-scanned", XV_SEV_MEDIUM, j->path, "out of memory for %zu bytes", size);
	} else if (xv_fs_extents_copy(sh->mem, &j->ex, dst, &bad) < 0) {
		finding(sh, "not-scanned", XV_SEV_MEDIUM, j->path, "unreadable: %s", xv_errmsg());
		xv_err_clear();
	} else {
		j->ri.resident -= bad < j->ri.resident ? bad : j->ri.resident;
		j->ri.missing += bad;
		if (j->ri.missing)
			finding(sh, "partial", XV_SEV_LOW, j->path, "%" PRIu64 " of %" PRIu64 " pages "
				"not in RAM (scanned as zeros)", j->ri.missing, j->ri.pages);
		w->data = dst;
		scan_job(w, j);
	}
	if (big) {
		free(own);
		pthread_mutex_unlock(&sh->big);
	}
}

/* The first queued job (sh->mu held), or NULL. */
static struct job *pop_locked(struct shared *sh)
{
	struct job *j = sh->head;

	if (j) {
		sh->head = j->next;
		if (!sh->head)
			sh->tail = NULL;
		sh->queued--;
		pthread_cond_signal(&sh->have_space);
	}
	return j;
}

static void finish_job(struct worker *w, struct job *j)
{
	struct shared *sh = w->sh;

	run_job(w, j);
	free(j->path);
	j->path = NULL;
	pthread_mutex_lock(&sh->mu);
	j->next = sh->pool;
	sh->pool = j;
	sh->npool++;
	pthread_mutex_unlock(&sh->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&sh->mu);
		while (!sh->head && !sh->done)
			pthread_cond_wait(&sh->have_job, &sh->mu);
		j = pop_locked(sh);
		pthread_mutex_unlock(&sh->mu);
		if (!j)
			return NULL;
		finish_job(w, j);
	}
}

/*
 * The walking thread scans too, whenever more jobs are queued than the other workers can start
 * on right away (and at the end, until the queue is empty): no thread idles while there is work,
 * and with --threads 1 nothing is handed over at all. On a busy host every hand-over to a thread
 * that must first be scheduled costs time.
 */
static void help(struct shared *sh, size_t keep)
{
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&sh->mu);
		j = sh->queued > keep ? pop_locked(sh) : NULL;
		pthread_mutex_unlock(&sh->mu);
		if (!j)
			return;
		finish_job(sh->self, j);
	}
}

static void finding(struct shared *sh, const char *kind, enum xv_severity sev, const char *path,
		    const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char key[512], msg[400], sum[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "reason", json_object_new_string(msg));
	snprintf(key, sizeof(key), "fichk %s path=%.400s", kind, path);
	snprintf(sum, sizeof(sum), "%.200s: %s", path, msg);
	add_locked(sh, kind, sev, o, key, sum);
}

static int visit(struct xv_fs *fs, const char *path, const struct xv_fs_node *n,
		 const struct xv_fs_stat *st, void *arg)
{
	struct shared *sh = arg;
	struct job *j;

	if (!st->memfs)
		return 1;
	if (st->type != XV_FT_REG)
		return 0;
	if (st->size > sh->max_file) {
		finding(sh, "not-scanned", XV_SEV_LOW, path, "%" PRIu64 " bytes, over the %zu-byte limit",
			st->size, sh->max_file);
		return 0;
	}
	pthread_mutex_lock(&sh->mu);
	j = sh->pool;
	if (j) {
		sh->pool = j->next;
		sh->npool--;
	}
	pthread_mutex_unlock(&sh->mu);
	if (!j && !(j = calloc(1, sizeof(*j))))
		return xv_err(ENOMEM, "out of memory");
	j->next = NULL;
	if (xv_fs_extents_get(fs, n, sh->max_file, &j->ex, &j->ri) < 0) {
		finding(sh, "not-scanned", XV_SEV_MEDIUM, path, "unreadable: %s", xv_errmsg());
		xv_err_clear();
		goto back_to_pool;
	}
	if (!(j->path = strdup(path))) {
		xv_fs_extents_free(&j->ex);
		free(j);
		return xv_err(ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&sh->mu);
	while (sh->queued >= QUEUE_JOBS)
		pthread_cond_wait(&sh->have_space, &sh->mu);
	sh->queued++;
	sh->files++;
	sh->bytes += j->ex.size;
	if (sh->tail)
		sh->tail->next = j;
	else
		sh->head = j;
	sh->tail = j;
	pthread_cond_signal(&sh->have_job);
	int rc = sh->rc;

	pthread_mutex_unlock(&sh->mu);
	help(sh, sh->keep);
	return rc;

back_to_pool:
	pthread_mutex_lock(&sh->mu);
	j->next = sh->pool;
	sh->pool = j;
	sh->npool++;
	pthread_mutex_unlock(&sh->mu);
	return 0;
}

static void on_err(struct xv_fs *fs, const char *path, int rc, const char *msg, void *arg)
{
	(void)fs;
	(void)rc;
	finding(arg, "corrupt-fs", XV_SEV_HIGH, path, "file tree cannot be walked: %s", msg);
}

/* Workers finish in any order: sort this run's findings so that output is stable. */
static int by_key(const void *a, const void *b)
{
	const struct xv_finding *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int nworkers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

int xv_fichk(struct xv_kernel *k, struct xv_fichk_opts *o, struct xv_findings *out)
{
	static const char *const root[] = { "/", NULL };
	const char *const *paths = o->paths && o->paths[0] ? o->paths : root;
	struct shared *sh = calloc(1, sizeof(*sh));
	struct worker w[MAX_WORKERS];
	size_t first = out->n;
	struct xv_fs *fs = NULL;
	int rc = 0, nw = 0, want = o->threads > 0 && o->threads <= MAX_WORKERS ? o->threads : nworkers();
#if XV_HAVE_YARA
	int yr_ready = 0;
#endif

	if (!sh)
		return xv_err(ENOMEM, "out of memory");
	memset(w, 0, sizeof(w));
	pthread_mutex_init(&sh->mu, NULL);
	pthread_mutex_init(&sh->big, NULL);
	pthread_cond_init(&sh->have_job, NULL);
	pthread_cond_init(&sh->have_space, NULL);
	sh->out = out;
	sh->mem = xv_kernel_mem(k);
	sh->max_file = o->max_file ? o->max_file : (size_t)256 << 20;
	if (!o->rules_path && !o->strings_path) {
		rc = xv_err(EINVAL, "fichk needs --rules FILE.yar or --strings FILE");
		goto out;
	}
#if !XV_HAVE_YARA
	if (o->rules_path) {
		rc = xv_err(ENOTSUP, "built without YARA: fichk --rules needs libyara; plain string "
				     "lists still work");
		goto out;
	}
#else
	if (yr_initialize() != ERROR_SUCCESS) {
		rc = xv_err(EIO, "YARA: initialisation failed");
		goto out;
	}
	yr_ready = 1;
#endif
	if (o->strings_path && (rc = strlist_load(o->strings_path, &sh->strs)) < 0)
		goto out;
#if XV_HAVE_YARA
	{
		char *text = o->strings_path ? strings_rule(&sh->strs) : NULL;

		if (o->strings_path && !text) {
			rc = xv_err(ENOMEM, "out of memory");
			goto out;
		}
		rules_key(o->rules_path, o->strings_path, sh->key, sizeof(sh->key));
		rc = rules_get(sh, o->rules_path, text);
		free(text);
		if (rc < 0)
			goto out;
	}
#endif
	if ((rc = xv_fs_open(k, &fs)) < 0)
		goto out;
	/* w[0] is this thread's; want - 1 more threads. */
	sh->self = &w[0];
	sh->keep = 2 * (size_t)(want - 1);
	for (int i = 0; i < want && rc == 0; i++) {
		w[i].sh = sh;
#if XV_HAVE_YARA
		if ((rc = scanner(sh->rules, &w[i].sc, &w[i])) < 0)
			break;
#endif
		if (i == 0)
			continue;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
			rc = xv_err(EAGAIN, "cannot start a scanning thread");
			break;
		}
		nw = i;
	}
	for (size_t i = 0; paths[i] && rc == 0; i++) {
		rc = xv_fs_walk(fs, paths[i], visit, on_err, sh);
		if (rc < 0)
			xv_err_ctx(-rc, "fichk %s: ", paths[i]);
	}
	if (rc == 0)
		help(sh, 0);
	pthread_mutex_lock(&sh->mu);
	sh->done = 1;
	pthread_cond_broadcast(&sh->have_job);
	pthread_mutex_unlock(&sh->mu);
	for (int i = 1; i <= nw; i++)
		pthread_join(w[i].th, NULL);
	if (rc == 0 && sh->rc < 0)
		rc = xv_err(-sh->rc, "fichk: out of memory");
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(*out->v), by_key);
out:
	o->bytes_scanned = sh->bytes;
	o->files_scanned = sh->files;
	xv_fs_close(fs);
	for (struct job *j = sh->head, *nx; j; j = nx) {
		nx = j->next;
		free(j->path);
		xv_fs_extents_free(&j->ex);
		free(j);
	}
	for (struct job *j = sh->pool, *nx; j; j = nx) {
		nx = j->next;
		xv_fs_extents_free(&j->ex);
		free(j);
	}
	for (int i = 0; i < MAX_WORKERS; i++)
		free(w[i].buf);
#if XV_HAVE_YARA
	for (int i = 0; i < MAX_WORKERS; i++) {
		if (w[i].sc)
			yr_scanner_destroy(w[i].sc);
	}
	rules_put(sh);
	if (yr_ready)
		yr_finalize(); /* only after a successful yr_initialize: the count must not go below 0 */
#endif
	strlist_free(&sh->strs);
	pthread_mutex_destroy(&sh->mu);
	pthread_mutex_destroy(&sh->big);
	pthread_cond_destroy(&sh->have_job);
	pthread_cond_destroy(&sh->have_space);
	free(sh);
	return rc;
}
