/* addr.c — address and port lists of the rule language: any, CIDR, ranges, [lists], !negation, $VARS. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/netpriv.h"
#include "xvids/err.h"

/* Variables nest (EXTERNAL_NET -> HOME_NET -> ...); a loop is an error, not a stack overflow. */
#define MAX_DEPTH 8
#define MAX_ITEMS 4096

const char *xv_var_get(const struct xv_net *n, const char *name)
{
	for (uint32_t i = 0; i < n->nvars; i++)
		if (!strcmp(n->vars[i].name, name))
			return n->vars[i].value;
	return NULL;
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

/* Split "[a,[b,c],d]"'s inside at top-level commas; calls fn on each element. */
static int split_list(char *s, int (*fn)(void *ctx, char *item), void *ctx)
{
	int lvl = 0;
	char *start = s;
	for (char *p = s;; p++) {
		if (*p == '[')
			lvl++;
		else if (*p == ']')
			lvl--;
		if (lvl < 0)
			return xv_err(EINVAL, "unbalanced ']'");
		if (*p == 0 || (*p == ',' && lvl == 0)) {
			char c = *p;
			*p = 0;
			int r = fn(ctx, trim(start));
			if (r < 0)
				return r;
			if (!c)
				break;
			start = p + 1;
		}
	}
	return lvl ? xv_err(EINVAL, "unbalanced '['") : 0;
}

/* ---- addresses ---- */

static void prefix_mask(struct xv_ip *m, unsigned bits)
{
	m->hi = bits >= 64 ? ~0ull : bits ? ~0ull << (64 - bits) : 0;
	m->lo = bits >= 128 ? ~0ull : bits > 64 ? ~0ull << (128 - bits) : 0;
}

static int parse_cidr(const char *s, struct xv_cidr *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t l = slash ? (size_t)(slash - s) : strlen(s);
	uint8_t b[16];
	unsigned bits, max;

	if (l == 0 || l >= sizeof(buf))
		return xv_err(EINVAL, "bad address '%s'", s);
	memcpy(buf, s, l);
	buf[l] = 0;
	if (inet_pton(AF_INET, buf, b) == 1) {
		xv_ip_from4(&c->net, xv_be32(b));
		max = 32;
	} else if (inet_pton(AF_INET6, buf, b) == 1) {
		xv_ip_from16(&c->net, b);
		max = 128;
	} else {
		return xv_err(EINVAL, "bad address '%s'", s);
	}
	bits = max;
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || v > max)
			return xv_err(EINVAL, "bad prefix length in '%s'", s);
		bits = (unsigned)v;
	}
	prefix_mask(&c->mask, max == 32 ? 96 + bits : bits);
	c->net.hi &= c->mask.hi;
	c->net.lo &= c->mask.lo;
	return 0;
}

struct actx {
	const struct xv_net *n;
	struct xv_addrset *out;
	bool neg;
	int depth;
};

static int addr_item(void *vctx, char *s);
static int addr_text(struct actx *c, const char *text);

static int addr_push(struct xv_addrset *o, const struct xv_cidr *c)
{
	if (o->n >= MAX_ITEMS)
		return xv_err(E2BIG, "address list longer than %d entries", MAX_ITEMS);
	struct xv_cidr *v = realloc(o->v, (o->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->v = v;
	v[o->n++] = *c;
	if (!c->neg)
		o->has_pos = true;
	return 0;
}

/* A list or variable: parsed on its own, then merged (all-positive) or kept as a sub-set. */
static int addr_composite(struct actx *c, char *s)
{
	struct xv_addrset *set = calloc(1, sizeof(*set));
	struct actx sub = { c->n, set, false, c->depth + 1 };
	int r;
	if (!set)
		return -ENOMEM;
	if (*s == '[') {
		size_t l = strlen(s);
		if (s[l - 1] != ']') {
			free(set);
			return xv_err(EINVAL, "unterminated list '%s'", s);
		}
		s[l - 1] = 0;
		r = split_list(s + 1, addr_item, &sub);
	} else {
		const char *v = xv_var_get(c->n, s + 1);
		r = v ? addr_text(&sub, v) : xv_err(ENOENT, "undefined variable '%s'", s);
	}
	if (r < 0)
		goto out;
	bool simple = !set->nsubs;
	for (uint32_t i = 0; i < set->n && simple; i++)
		simple = !set->v[i].neg;
	if (simple) {
		for (uint32_t i = 0; i < set->n && r == 0; i++) {
			struct xv_cidr e = set->v[i];
			e.neg = c->neg;
			r = addr_push(c->out, &e);
		}
		goto out;
	}
	struct xv_addrset *o = c->out;
	struct xv_addrsub *ns = realloc(o->subs, (o->nsubs + 1) * sizeof(*ns));
	if (!ns) {
		r = -ENOMEM;
		goto out;
	}
	o->subs = ns;
	ns[o->nsubs].set = set;
	ns[o->nsubs].neg = c->neg;
	o->nsubs++;
	if (!c->neg)
		o->has_pos = true;
	return 0;
out:
	xv_addrset_free(set);
	free(set);
	return r;
}

void xv_addrset_free(struct xv_addrset *s)
{
	for (uint32_t i = 0; i < s->nsubs; i++) {
		xv_addrset_free(s->subs[i].set);
		free(s->subs[i].set);
	}
	free(s->subs);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int addr_text(struct actx *c, const char *text)
{
	char *dup = strdup(text);
	if (!dup)
		return -ENOMEM;
	int r = addr_item(c, dup);
	free(dup);
	return r;
}

static int addr_item(void *vctx, char *s)
{
	struct actx *c = vctx;
	s = trim(s);
	if (c->depth > MAX_DEPTH)
		return xv_err(ELOOP, "address variables nest too deep (a loop?)");
	if (!*s)
		return xv_err(EINVAL, "empty address");
	if (*s == '!') {
		struct actx sub = *c;
		sub.neg = !c->neg;
		sub.depth++;
		return addr_item(&sub, s + 1);
	}
	if (*s == '[' || *s == '$')
		return addr_composite(c, s);
	struct xv_cidr cidr;
	if (!strcmp(s, "any")) {
		if (c->neg)
			return xv_err(EINVAL, "'!any' matches nothing");
		memset(&cidr, 0, sizeof(cidr));
	} else {
		int r = parse_cidr(s, &cidr);
		if (r < 0)
			return r;
	}
	cidr.neg = c->neg;
	return addr_push(c->out, &cidr);
}

int xv_addrset_parse(const struct xv_net *n, const char *s, struct xv_addrset *out, int depth)
{
	struct actx c = { n, out, false, depth };
	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "any")) {
		out->any = true;
		return 0;
	}
	int r = addr_text(&c, s);
	if (r < 0)
		xv_addrset_free(out);
	else
		out->single = out->n == 1 && !out->nsubs && !out->v[0].neg && !out->neg;
	return r;
}

bool xv_addrset_match(const struct xv_addrset *s, const struct xv_ip *a)
{
	if (s->any)
		return true;
	bool pos = !s->has_pos;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct xv_cidr *c = &s->v[i];
		if ((a->hi & c->mask.hi) == c->net.hi && (a->lo & c->mask.lo) == c->net.lo) {
			if (c->neg)
				return s->neg;
			pos = true;
		}
	}
	for (uint32_t i = 0; i < s->nsubs; i++) {
		if (!xv_addrset_match(s->subs[i].set, a))
			continue;
		if (s->subs[i].neg)
			return s->neg;
		pos = true;
	}
	return pos != s->neg;
}

/* ---- ports ---- */

struct pctx {
	const struct xv_net *n;
	struct xv_portset *out;
	bool neg;
	int depth;
};

static int port_item(void *vctx, char *s);

static int port_num(const char *s, size_t l, unsigned def, uint16_t *out)
{
	char buf[8], *end;
	if (l == 0) {
		*out = (uint16_t)def;
		return 0;
	}
	if (l >= sizeof(buf))
		return xv_err(EINVAL, "bad port '%.*s'", (int)l, s);
	memcpy(buf, s, l);
	buf[l] = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (*end || v > 65535 || !isdigit((unsigned char)buf[0]))
		return xv_err(EINVAL, "bad port '%s'", buf);
	*out = (uint16_t)v;
	return 0;
}

static int port_text(struct pctx *c, const char *text)
{
	char *dup = strdup(text);
	if (!dup)
		return -ENOMEM;
	int r = port_item(c, dup);
	free(dup);
	return r;
}

static int port_item(void *vctx, char *s)
{
	struct pctx *c = vctx;
	s = trim(s);
	if (c->depth > MAX_DEPTH)
		return xv_err(ELOOP, "port variables nest too deep (a loop?)");
	if (!*s)
		return xv_err(EINVAL, "empty port");
	if (*s == '!') {
		struct pctx sub = *c;
		sub.neg = !c->neg;
		sub.depth++;
		return port_item(&sub, s + 1);
	}
	if (*s == '[') {
		size_t l = strlen(s);
		if (s[l - 1] != ']')
			return xv_err(EINVAL, "unterminated list '%s'", s);
		s[l - 1] = 0;
		struct pctx sub = *c;
		sub.depth++;
		return split_list(s + 1, port_item, &sub);
	}
	if (*s == '$') {
		const char *v = xv_var_get(c->n, s + 1);
		if (!v)
			return xv_err(ENOENT, "undefined variable '%s'", s);
		struct pctx sub = *c;
		sub.depth++;
		return port_text(&sub, v);
	}
	struct xv_prange pr = { 0, 65535, c->neg };
	if (strcmp(s, "any")) {
		const char *colon = strchr(s, ':');
		int r;
		if (colon) {
			r = port_num(s, (size_t)(colon - s), 0, &pr.lo);
			if (!r)
				r = port_num(colon + 1, strlen(colon + 1), 65535, &pr.hi);
		} else {
			r = port_num(s, strlen(s), 0, &pr.lo);
			pr.hi = pr.lo;
		}
		if (r < 0)
			return r;
		if (pr.lo > pr.hi)
			return xv_err(EINVAL, "empty port range '%s'", s);
	} else if (c->neg) {
		return xv_err(EINVAL, "'!any' matches nothing");
	}
	struct xv_portset *o = c->out;
	if (o->n >= MAX_ITEMS)
		return xv_err(E2BIG, "port list longer than %d entries", MAX_ITEMS);
	struct xv_prange *v = realloc(o->v, (o->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	o->v = v;
	v[o->n++] = pr;
	if (!pr.neg)
		o->has_pos = true;
	return 0;
}

int xv_portset_parse(const struct xv_net *n, const char *s, struct xv_portset *out, int depth)
{
	struct pctx c = { n, out, false, depth };
	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "any")) {
		out->any = true;
		return 0;
	}
	int r = port_text(&c, s);
	if (r < 0) {
		free(out->v);
		memset(out, 0, sizeof(*out));
	}
	return r;
}

bool xv_portset_match(const struct xv_portset *s, uint16_t port)
{
	if (s->any)
		return true;
	bool pos = !s->has_pos;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct xv_prange *r = &s->v[i];
		if (port >= r->lo && port <= r->hi) {
			if (r->neg)
				return s->neg;
			pos = true;
		}
	}
	return pos != s->neg;
}
