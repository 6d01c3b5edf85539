/* rules.c — parser for the documented Snort/Suricata rule subset; anything unknown is a load error. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/netpriv.h"
#include "xvids/err.h"

#define MAX_RULE_LEN 65536 /* 64 KiB */
#define MAX_CONTENTS 32
#define MAX_RULES (1u << 20)

static const struct {
	const char *name;
	uint8_t prio;
} classtypes[] = {
	{ "not-suspicious", 3 }, { "unknown", 3 }, { "bad-unknown", 2 }, { "attempted-recon", 2 },
	{ "successful-recon-limited", 2 }, { "successful-recon-largescale", 2 },
	{ "attempted-dos", 2 }, { "successful-dos", 2 }, { "attempted-user", 1 },
	{ "unsuccessful-user", 1 }, { "successful-user", 1 }, { "attempted-admin", 1 },
	{ "successful-admin", 1 }, { "rpc-portmap-decode", 2 }, { "shellcode-detect", 1 },
	{ "string-detect", 3 }, { "suspicious-filename-detect", 2 }, { "suspicious-login", 2 },
	{ "system-call-detect", 2 }, { "tcp-connection", 4 }, { "trojan-activity", 1 },
	{ "unusual-client-port-connection", 2 }, { "network-scan", 3 }, { "denial-of-service", 2 },
	{ "non-standard-protocol", 2 }, { "protocol-command-decode", 3 }, { "web-application-activity", 2 },
	{ "web-application-attack", 1 }, { "misc-activity", 3 }, { "misc-attack", 2 },
	{ "icmp-event", 3 }, { "inappropriate-content", 1 }, { "policy-violation", 1 },
	{ "default-login-attempt", 2 }, { "targeted-activity", 1 }, { "exploit-kit", 1 },
	{ "external-ip-check", 2 }, { "domain-c2", 1 }, { "pup-activity", 2 },
	{ "credential-theft", 1 }, { "social-engineering", 2 }, { "coin-mining", 2 },
	{ "command-and-control", 1 },
};

void xv_rule_free(struct xv_rule *r)
{
	xv_addrset_free(&r->src);
	xv_addrset_free(&r->dst);
	free(r->sp.v);
	free(r->dp.v);
	free(r->msg);
	free(r->classtype);
	for (uint32_t i = 0; i < r->ncontents; i++)
		free(r->contents[i].pat);
	free(r->contents);
	memset(r, 0, sizeof(*r));
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Next header token; a token may contain [ ... ] with spaces inside. */
static char *next_tok(char **sp)
{
	char *s = *sp;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	char *start = s;
	int lvl = 0;
	while (*s && (lvl > 0 || !isspace((unsigned char)*s))) {
		if (*s == '[')
			lvl++;
		else if (*s == ']')
			lvl--;
		s++;
	}
	if (*s)
		*s++ = 0;
	*sp = s;
	return start;
}

static int parse_uint(const char *v, uint32_t *out, const char *what)
{
	char *end;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x > 0xffffffffu || !isdigit((unsigned char)*v))
		return xv_err(EINVAL, "%s: '%s' is not a number", what, v);
	*out = (uint32_t)x;
	return 0;
}

/* Quoted string with \" \\ \; \: escapes. Returns malloc'd text. */
static int unquote(const char *v, char **out, uint32_t *outlen, bool hex)
{
	size_t l = strlen(v);
	if (l < 2 || v[0] != '"' || v[l - 1] != '"')
		return xv_err(EINVAL, "expected a quoted string, got '%s'", v);
	uint8_t *b = malloc(l + 1);
	if (!b)
		return -ENOMEM;
	uint32_t n = 0;
	bool inhex = false;
	int nib = -1;
	for (size_t i = 1; i < l - 1; i++) {
		char c = v[i];
		if (hex && c == '|') {
			if (inhex && nib >= 0) {
				free(b);
				return xv_err(EINVAL, "odd number of hex digits in %s", v);
			}
			inhex = !inhex;
			continue;
		}
		if (inhex) {
			if (isspace((unsigned char)c))
				continue;
			if (!isxdigit((unsigned char)c)) {
				free(b);
				return xv_err(EINVAL, "bad hex digit '%c' in %s", c, v);
			}
			int d = isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
			if (nib < 0) {
				nib = d;
			} else {
				b[n++] = (uint8_t)(nib << 4 | d);
				nib = -1;
			}
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= l - 1) {
				free(b);
				return xv_err(EINVAL, "dangling backslash in %s", v);
			}
			c = v[++i];
		} else if (c == '"') {
			free(b);
			return xv_err(EINVAL, "unescaped '\"' inside %s", v);
		}
		b[n++] = (uint8_t)c;
	}
	if (inhex) {
		free(b);
		return xv_err(EINVAL, "unterminated |hex| in %s", v);
	}
	b[n] = 0;
	*out = (char *)b;
	if (outlen)
		*outlen = n;
	return 0;
}

static int parse_flags(struct xv_rule *r, char *v)
{
	char *comma = strchr(v, ',');
	uint8_t *dst = &r->flags_val;
	if (comma)
		*comma = 0;
	v = trim(v);
	r->flags_mode = XV_FLAGS_EXACT;
	if (*v == '+' || *v == '*' || *v == '!') {
		r->flags_mode = *v == '+' ? XV_FLAGS_PLUS : *v == '*' ? XV_FLAGS_ANY : XV_FLAGS_NOT;
		v++;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (!*v && pass == 0)
			return xv_err(EINVAL, "flags: no flags given");
		for (; *v; v++) {
			switch (*v) {
			case 'F': *dst |= XV_TCP_FIN; break;
			case 'S': *dst |= XV_TCP_SYN; break;
			case 'R': *dst |= XV_TCP_RST; break;
			case 'P': *dst |= XV_TCP_PSH; break;
			case 'A': *dst |= XV_TCP_ACK; break;
			case 'U': *dst |= XV_TCP_URG; break;
			case 'E': case '2': *dst |= XV_TCP_ECE; break;
			case 'C': case '1': *dst |= XV_TCP_CWR; break;
			case '0': break;
			default:
				return xv_err(EINVAL, "flags: unknown flag '%c'", *v);
			}
		}
		if (!comma)
			break;
		v = trim(comma + 1);
		dst = &r->flags_ignore;
		comma = NULL;
	}
	r->has_flags = true;
	return 0;
}

static int parse_flow(struct xv_rule *r, char *v)
{
	for (char *save, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (!strcmp(t, "to_server") || !strcmp(t, "from_client"))
			r->flow |= XV_FLOW_TO_SERVER;
		else if (!strcmp(t, "to_client") || !strcmp(t, "from_server"))
			r->flow |= XV_FLOW_TO_CLIENT;
		else if (!strcmp(t, "established"))
			r->flow |= XV_FLOW_ESTABLISHED;
		else if (!strcmp(t, "not_established"))
			r->flow |= XV_FLOW_NOT_ESTABLISHED;
		else if (!strcmp(t, "stateless"))
			r->flow |= XV_FLOW_STATELESS;
		else
			return xv_err(EINVAL, "flow: unsupported keyword '%s'", t);
	}
	if ((r->flow & XV_FLOW_TO_SERVER) && (r->flow & XV_FLOW_TO_CLIENT))
		return xv_err(EINVAL, "flow: to_server and to_client together never match");
	if ((r->flow & XV_FLOW_ESTABLISHED) && (r->flow & XV_FLOW_NOT_ESTABLISHED))
		return xv_err(EINVAL, "flow: established and not_established together never match");
	return 0;
}

/* "type limit, track by_src, count 1, seconds 60" */
static int parse_rate(struct xv_rate *rt, char *v, bool is_threshold, const char *what)
{
	bool have_count = false, have_secs = false;
	for (char *save, *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		char *sp = t;
		while (*sp && !isspace((unsigned char)*sp))
			sp++;
		if (!*sp)
			return xv_err(EINVAL, "%s: '%s' needs a value", what, t);
		*sp++ = 0;
		char *val = trim(sp);
		int r = 0;
		if (!strcmp(t, "type") && is_threshold) {
			if (!strcmp(val, "limit"))
				rt->type = XV_THR_LIMIT;
			else if (!strcmp(val, "threshold"))
				rt->type = XV_THR_THRESHOLD;
			else if (!strcmp(val, "both"))
				rt->type = XV_THR_BOTH;
			else
				return xv_err(EINVAL, "%s: unknown type '%s'", what, val);
		} else if (!strcmp(t, "track")) {
			if (!strcmp(val, "by_src"))
				rt->track = XV_TRACK_SRC;
			else if (!strcmp(val, "by_dst"))
				rt->track = XV_TRACK_DST;
			else
				return xv_err(EINVAL, "%s: unsupported track '%s'", what, val);
		} else if (!strcmp(t, "count")) {
			r = parse_uint(val, &rt->count, what);
			have_count = true;
		} else if (!strcmp(t, "seconds")) {
			r = parse_uint(val, &rt->seconds, what);
			have_secs = true;
		} else {
			return xv_err(EINVAL, "%s: unsupported parameter '%s'", what, t);
		}
		if (r < 0)
			return r;
	}
	if ((is_threshold && !rt->type) || !rt->track || !have_count || !have_secs)
		return xv_err(EINVAL, "%s: needs %strack, count and seconds", what,
			      is_threshold ? "type, " : "");
	if (!rt->count || !rt->seconds)
		return xv_err(EINVAL, "%s: count and seconds must be positive", what);
	if (!is_threshold)
		rt->type = 1;
	return 0;
}

static int parse_content(struct xv_rule *r, char *v)
{
	if (r->ncontents >= MAX_CONTENTS)
		return xv_err(E2BIG, "more than %d content matches", MAX_CONTENTS);
	struct xv_content c = { 0 };
	v = trim(v);
	if (*v == '!') {
		c.neg = true;
		v = trim(v + 1);
	}
	char *pat;
	int e = unquote(v, &pat, &c.len, true);
	if (e < 0)
		return e;
	if (!c.len) {
		free(pat);
		return xv_err(EINVAL, "content: empty pattern");
	}
	c.pat = (uint8_t *)pat;
	struct xv_content *nv = realloc(r->contents, (r->ncontents + 1) * sizeof(*nv));
	if (!nv) {
		free(pat);
		return -ENOMEM;
	}
	r->contents = nv;
	nv[r->ncontents++] = c;
	return 0;
}

/* Split the option block at ';' outside quotes; backslash escapes the next character. */
static int parse_options(struct xv_rule *r, char *s)
{
	bool inq = false, have_sid = false;
	char *start = s;
	for (char *p = s;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		if (*p && (*p != ';' || inq))
			continue;
		if (!*p && inq)
			return xv_err(EINVAL, "unterminated string in options");
		char end = *p;
		*p = 0;
		char *opt = trim(start), *val = NULL;
		if (*opt) {
			char *colon = strchr(opt, ':');
			if (colon) {
				*colon = 0;
				val = trim(colon + 1);
				opt = trim(opt);
			}
			int e = 0;
			struct xv_content *last = r->ncontents ? &r->contents[r->ncontents - 1] : NULL;
#define NEED_VAL() do { if (!val || !*val) return xv_err(EINVAL, "option '%s' needs a value", opt); } while (0)
			if (!strcmp(opt, "msg")) {
				NEED_VAL();
				free(r->msg); /* a second msg: replaces the first */
				r->msg = NULL; /* a failed unquote leaves it unset, not dangling */
				e = unquote(val, &r->msg, NULL, false);
			} else if (!strcmp(opt, "sid")) {
				NEED_VAL();
				e = parse_uint(val, &r->sid, "sid");
				if (!e && !r->sid)
					e = xv_err(EINVAL, "sid must be positive");
				have_sid = true;
			} else if (!strcmp(opt, "rev")) {
				NEED_VAL();
				e = parse_uint(val, &r->rev, "rev");
			} else if (!strcmp(opt, "gid")) {
				NEED_VAL();
				e = parse_uint(val, &r->gid, "gid");
			} else if (!strcmp(opt, "priority")) {
				uint32_t pr = 0; /* read below even when the parse failed */
				NEED_VAL();
				e = parse_uint(val, &pr, "priority");
				if (!e && (pr < 1 || pr > 255))
					e = xv_err(EINVAL, "priority out of range");
				r->severity = (uint8_t)pr;
			} else if (!strcmp(opt, "classtype")) {
				NEED_VAL();
				free(r->classtype);
				r->classtype = strdup(val);
				if (!r->classtype)
					return -ENOMEM;
				for (size_t i = 0; i < sizeof(classtypes) / sizeof(classtypes[0]); i++)
					if (!strcmp(classtypes[i].name, val) && !r->severity)
						r->severity = classtypes[i].prio;
			} else if (!strcmp(opt, "reference") || !strcmp(opt, "metadata")) {
				/* informational only; they change nothing about what matches */
			} else if (!strcmp(opt, "flags")) {
				NEED_VAL();
				e = parse_flags(r, val);
			} else if (!strcmp(opt, "flow")) {
				NEED_VAL();
				e = parse_flow(r, val);
			} else if (!strcmp(opt, "content")) {
				NEED_VAL();
				e = parse_content(r, val);
			} else if (!strcmp(opt, "nocase")) {
				if (!last)
					return xv_err(EINVAL, "nocase without a preceding content");
				if (val)
					return xv_err(EINVAL, "nocase takes no value");
				last->nocase = true;
			} else if (!strcmp(opt, "offset") || !strcmp(opt, "depth")) {
				uint32_t x;
				NEED_VAL();
				if (!last)
					return xv_err(EINVAL, "%s without a preceding content", opt);
				e = parse_uint(val, &x, opt);
				if (!e && opt[0] == 'o')
					last->offset = x;
				else if (!e) {
					if (x < last->len)
						return xv_err(EINVAL, "depth %u is shorter than the content", x);
					last->depth = x;
				}
			} else if (!strcmp(opt, "threshold")) {
				NEED_VAL();
				if (r->threshold.type)
					return xv_err(EINVAL, "threshold given twice");
				e = parse_rate(&r->threshold, val, true, "threshold");
			} else if (!strcmp(opt, "detection_filter")) {
				NEED_VAL();
				if (r->dfilter.type)
					return xv_err(EINVAL, "detection_filter given twice");
				e = parse_rate(&r->dfilter, val, false, "detection_filter");
			} else {
				return xv_err(ENOTSUP, "unsupported option '%s'", opt);
			}
#undef NEED_VAL
			if (e < 0)
				return e;
		}
		if (!end)
			break;
		start = p + 1;
	}
	if (!have_sid)
		return xv_err(EINVAL, "rule has no sid");
	return 0;
}

static int parse_rule(struct xv_net *n, char *line, struct xv_rule *r)
{
	char *s = line;
	char *tok[7];
	int e;

	memset(r, 0, sizeof(*r));
	xv_err_clear();
	/* the options start at the first '(' (addresses and ports never contain one) */
	char *opts = strchr(line, '(');
	if (!opts)
		return xv_err(EINVAL, "rule has no options block '( ... )'");
	*opts = 0;
	for (int i = 0; i < 7; i++) {
		tok[i] = next_tok(&s);
		if (!tok[i])
			return xv_err(EINVAL, "rule header needs 'action proto src sport -> dst dport'");
	}
	if (next_tok(&s))
		return xv_err(EINVAL, "extra words in the rule header");
	if (!strcmp(tok[0], "alert"))
		r->action = XV_ACT_ALERT;
	else if (!strcmp(tok[0], "drop"))
		r->action = XV_ACT_DROP;
	else if (!strcmp(tok[0], "pass"))
		r->action = XV_ACT_PASS;
	else
		return xv_err(ENOTSUP, "unsupported action '%s' (alert, drop, pass)", tok[0]);
	if (!strcmp(tok[1], "ip"))
		r->proto = XV_P_IP;
	else if (!strcmp(tok[1], "tcp"))
		r->proto = XV_P_TCP;
	else if (!strcmp(tok[1], "udp"))
		r->proto = XV_P_UDP;
	else if (!strcmp(tok[1], "icmp"))
		r->proto = XV_P_ICMP;
	else
		return xv_err(ENOTSUP, "unsupported protocol '%s' (ip, tcp, udp, icmp)", tok[1]);
	if (!strcmp(tok[4], "<>"))
		r->bidir = true;
	else if (strcmp(tok[4], "->"))
		return xv_err(EINVAL, "expected '->' or '<>', got '%s'", tok[4]);
	if ((e = xv_addrset_parse(n, tok[2], &r->src, 0)) < 0 ||
	    (e = xv_portset_parse(n, tok[3], &r->sp, 0)) < 0 ||
	    (e = xv_addrset_parse(n, tok[5], &r->dst, 0)) < 0 ||
	    (e = xv_portset_parse(n, tok[6], &r->dp, 0)) < 0)
		return e;
	if ((r->proto == XV_P_IP || r->proto == XV_P_ICMP) && (!r->sp.any || !r->dp.any))
		return xv_err(EINVAL, "ports given for protocol '%s' (use 'any')", tok[1]);
	s = opts + 1;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		l--;
	if (l < 1 || s[l - 1] != ')')
		return xv_err(EINVAL, "options must end with ')'");
	s[l - 1] = 0;
	if ((e = parse_options(r, s)) < 0)
		return e;
	if (r->has_flags && r->proto != XV_P_TCP && r->proto != XV_P_IP)
		return xv_err(EINVAL, "flags on a non-TCP rule");
	if (!r->gid)
		r->gid = 1;
	if (!r->severity)
		r->severity = 3;
	if (!r->msg && !(r->msg = strdup("")))
		return -ENOMEM;
	return 0;
}

static int set_var(struct xv_net *n, char *rest)
{
	char *name = rest;
	while (*rest && !isspace((unsigned char)*rest))
		rest++;
	if (!*rest)
		return xv_err(EINVAL, "variable '%s' has no value", name);
	*rest++ = 0;
	return xv_net_set_var(n, name, trim(rest));
}

int xv_rules_parse(struct xv_net *n, const char *text, const char *name)
{
	const char *p = text;
	unsigned lineno = 0, loaded = 0;
	char *buf = malloc(MAX_RULE_LEN + 1);
	if (!buf)
		return -ENOMEM;

	while (*p) {
		size_t bl = 0;
		unsigned first = lineno + 1;
		/* join lines ending in a backslash */
		for (;;) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			lineno++;
			while (l && (p[l - 1] == '\r'))
				l--;
			bool cont = l && p[l - 1] == '\\';
			if (cont)
				l--;
			if (bl + l > MAX_RULE_LEN) {
				free(buf);
				return xv_err(E2BIG, "%s:%u: rule longer than %d bytes", name, first, MAX_RULE_LEN);
			}
			memcpy(buf + bl, p, l);
			bl += l;
			p = nl ? nl + 1 : p + strlen(p);
			if (!cont || !*p)
				break;
		}
		buf[bl] = 0;
		char *s = trim(buf);
		if (!*s || *s == '#')
			continue;
		int e;
		if (!strncmp(s, "ipvar ", 6) || !strncmp(s, "portvar ", 8) || !strncmp(s, "var ", 4)) {
			e = set_var(n, trim(strchr(s, ' ')));
			if (e < 0)
				goto fail;
			continue;
		}
		if (n->nrules >= MAX_RULES) {
			e = xv_err(E2BIG, "more than %u rules", MAX_RULES);
			goto fail;
		}
		if (n->nrules == n->rules_cap) {
			uint32_t cap = n->rules_cap ? n->rules_cap * 2 : 64;
			struct xv_rule *nr = realloc(n->rules, cap * sizeof(*nr));
			if (!nr) {
				e = -ENOMEM;
				goto fail;
			}
			n->rules = nr;
			n->rules_cap = cap;
		}
		struct xv_rule *r = &n->rules[n->nrules];
		e = parse_rule(n, s, r);
		if (e < 0) {
			xv_rule_free(r);
			goto fail;
		}
		for (uint32_t i = 0; i < n->nrules; i++)
			if (n->rules[i].sid == r->sid && n->rules[i].gid == r->gid) {
				e = xv_err(EEXIST, "duplicate sid %u (first on line %u)", r->sid,
					   n->rules[i].line);
				xv_rule_free(r);
				goto fail;
			}
		r->line = first;
		n->nrules++;
		n->groups_dirty = true;
		loaded++;
		continue;
fail:
		free(buf);
		return xv_err_ctx(-e, "%s:%u: ", name, first);
	}
	free(buf);
	return (int)loaded;
}
