/* match.c — rule grouping by protocol and port, and per-packet rule evaluation. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "net/netpriv.h"

/* A rule whose port list covers at most this many ports goes into per-port buckets; one whose
 * address list covers at most this many IPv4 /16s (prefixes of /8 or longer) into per-/16 ones. */
#define MAX_INDEXED_PORTS 256
#define MAX_INDEXED_NETS 256
/* Matches remembered per packet before deciding (pass wins over drop/alert). */
#define MAX_HITS 64

static uint8_t lower_tab[256];

static bool port_indexable(const struct xv_portset *s)
{
	if (s->any || s->neg || !s->has_pos)
		return false;
	uint32_t span = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (s->v[i].neg)
			return false;
		span += (uint32_t)s->v[i].hi - s->v[i].lo + 1;
	}
	return span <= MAX_INDEXED_PORTS;
}

/* An IPv4 CIDR (::ffff:a.b.c.d/96+p) of prefix p >= 8: the /16 keys it covers. */
static bool cidr_v4(const struct xv_cidr *c, uint32_t *first, uint32_t *count)
{
	if (c->mask.hi != ~0ull || c->net.hi || (c->mask.lo >> 32) != 0xffffffffull ||
	    (c->net.lo >> 32) != 0xffff)
		return false;
	uint32_t m = (uint32_t)c->mask.lo;
	unsigned p = (unsigned)__builtin_popcount(m);
	if (p < 8)
		return false;
	*first = (uint32_t)c->net.lo >> 16;
	*count = p >= 16 ? 1 : 1u << (16 - p);
	return true;
}

/* A set can only match an address inside one of its positive CIDRs (when it has one and no
 * positive sub-list); negated entries only narrow it further. */
static bool addr_indexable(const struct xv_addrset *s)
{
	if (s->any || s->neg || !s->has_pos)
		return false;
	for (uint32_t i = 0; i < s->nsubs; i++)
		if (!s->subs[i].neg)
			return false;
	uint32_t span = 0, first, count;
	for (uint32_t i = 0; i < s->n; i++) {
		if (s->v[i].neg)
			continue;
		if (!cidr_v4(&s->v[i], &first, &count))
			return false;
		span += count;
	}
	return span <= MAX_INDEXED_NETS;
}

static bool in_group(const struct xv_rule *r, int g)
{
	return r->proto == XV_P_IP || r->proto == g;
}

/* The index a rule goes into (XV_IX_*), or -1 for the generic list. A "<>" rule matches with the
 * addresses and ports swapped too, so no one field is required of the packet: generic. */
static int placement(const struct xv_net *n, const struct xv_rule *r, int g)
{
	if (r->bidir || n->index_off)
		return -1;
	if ((g == XV_P_TCP || g == XV_P_UDP) && r->proto != XV_P_IP) {
		if (port_indexable(&r->dp))
			return XV_IX_DPORT;
		if (port_indexable(&r->sp))
			return XV_IX_SPORT;
	}
	if (addr_indexable(&r->src))
		return XV_IX_SRC16;
	if (addr_indexable(&r->dst))
		return XV_IX_DST16;
	return -1;
}

/* Calls fn for every key of rule r in index ix. */
static void rule_keys(const struct xv_rule *r, int ix, void (*fn)(void *, uint32_t), void *arg)
{
	if (ix == XV_IX_DPORT || ix == XV_IX_SPORT) {
		const struct xv_portset *ps = ix == XV_IX_DPORT ? &r->dp : &r->sp;
		for (uint32_t k = 0; k < ps->n; k++)
			for (uint32_t p = ps->v[k].lo; p <= ps->v[k].hi; p++)
				fn(arg, p);
		return;
	}
	const struct xv_addrset *as = ix == XV_IX_SRC16 ? &r->src : &r->dst;
	uint32_t first, count;
	for (uint32_t k = 0; k < as->n; k++)
		if (!as->v[k].neg && cidr_v4(&as->v[k], &first, &count))
			for (uint32_t j = 0; j < count; j++)
				fn(arg, first + j);
}

struct pairs {
	uint64_t *v; /* key << 32 | rule */
	size_t n, cap;
	uint32_t rule;
	bool oom;
};

static void put_pair(void *arg, uint32_t key)
{
	struct pairs *c = arg;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		uint64_t *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->oom = true;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (uint64_t)key << 32 | c->rule;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* (key, rule) pairs sorted: the rules of a key come together and in rule order, a rule listed
 * twice for a key (overlapping ranges) only once. */
static int build_index(const struct xv_net *n, int g, int ix, struct xv_index *out)
{
	struct pairs c = { 0 };
	for (uint32_t i = 0; i < n->nrules; i++)
		if (in_group(&n->rules[i], g) && placement(n, &n->rules[i], g) == ix) {
			c.rule = i;
			rule_keys(&n->rules[i], ix, put_pair, &c);
		}
	if (c.oom) {
		free(c.v);
		return -ENOMEM;
	}
	if (!c.n)
		return 0;
	qsort(c.v, c.n, sizeof(*c.v), cmp_u64);
	size_t m = 0, nkeys = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (m && c.v[m - 1] == c.v[i])
			continue;
		if (!m || c.v[m - 1] >> 32 != c.v[i] >> 32)
			nkeys++;
		c.v[m++] = c.v[i];
	}
	out->off = malloc((nkeys + 1) * sizeof(uint32_t));
	out->rules = malloc(m * sizeof(uint32_t));
	if (!out->off || !out->rules) {
		free(c.v);
		return -ENOMEM;
	}
	uint32_t k = 0;
	for (size_t i = 0; i < m; i++) {
		uint32_t key = (uint32_t)(c.v[i] >> 32);
		if (!i || key != (uint32_t)(c.v[i - 1] >> 32)) {
			out->off[k++] = (uint32_t)i;
			out->any[key >> 6] |= 1ull << (key & 63);
		}
		out->rules[i] = (uint32_t)c.v[i];
	}
	out->off[k] = (uint32_t)m;
	for (uint32_t w = 0, sum = 0; w < 1024; w++) {
		out->base[w] = sum;
		sum += (uint32_t)__builtin_popcountll(out->any[w]);
	}
	free(c.v);
	return 0;
}

void xv_groups_free(struct xv_net *n)
{
	for (int g = 0; g < XV_P__COUNT; g++) {
		struct xv_group *gr = &n->groups[g];
		for (int ix = 0; ix < XV_IX__COUNT; ix++) {
			free(gr->ix[ix].off);
			free(gr->ix[ix].rules);
		}
		free(gr->generic);
		memset(gr, 0, sizeof(*gr));
	}
}

int xv_groups_build(struct xv_net *n)
{
	for (int c = 0; c < 256; c++)
		lower_tab[c] = (uint8_t)tolower(c);
	xv_groups_free(n);
	/* nocase patterns are compared against lowered payload bytes */
	for (uint32_t i = 0; i < n->nrules; i++)
		for (uint32_t k = 0; k < n->rules[i].ncontents; k++) {
			struct xv_content *c = &n->rules[i].contents[k];
			if (c->nocase)
				for (uint32_t j = 0; j < c->len; j++)
					c->pat[j] = lower_tab[c->pat[j]];
		}
	for (int g = 0; g < XV_P__COUNT; g++) {
		struct xv_group *gr = &n->groups[g];
		for (int ix = 0; ix < XV_IX__COUNT; ix++) {
			int e = build_index(n, g, ix, &gr->ix[ix]);
			if (e < 0)
				return e;
			if (gr->ix[ix].off)
				gr->used |= 1u << ix;
		}
		gr->generic = malloc((n->nrules + 1) * sizeof(uint32_t));
		if (!gr->generic)
			return -ENOMEM;
		for (uint32_t i = 0; i < n->nrules; i++)
			if (in_group(&n->rules[i], g) && placement(n, &n->rules[i], g) < 0)
				gr->generic[gr->ngeneric++] = i;
	}
	n->groups_dirty = false;
	return 0;
}

static bool content_match(const struct xv_content *c, const uint8_t *pl, uint32_t len)
{
	if (c->offset >= len)
		return false;
	uint32_t end = len;
	if (c->depth && c->offset + c->depth < end)
		end = c->offset + c->depth;
	if (end - c->offset < c->len)
		return false;
	const uint8_t *s = pl + c->offset;
	uint32_t n = end - c->offset;
	if (!c->nocase)
		return memmem(s, n, c->pat, c->len) != NULL;
	uint8_t first = c->pat[0];
	for (uint32_t i = 0; i + c->len <= n; i++) {
		if (lower_tab[s[i]] != first)
			continue;
		uint32_t j = 1;
		while (j < c->len && lower_tab[s[i + j]] == c->pat[j])
			j++;
		if (j == c->len)
			return true;
	}
	return false;
}

static bool hdr_match(const struct xv_rule *r, const struct xv_ip *s, const struct xv_ip *d,
		      uint16_t sp, uint16_t dp)
{
	/* "any" is the common case: test it inline before calling out */
	return (r->dp.any || xv_portset_match(&r->dp, dp)) &&
	       (r->sp.any || xv_portset_match(&r->sp, sp)) &&
	       xv_addr_ok(&r->dst, d) && xv_addr_ok(&r->src, s);
}

static bool flow_ok(const struct xv_rule *r, const struct xv_pkt *p, const struct xv_flow *f,
		    bool to_server)
{
	uint8_t fl = r->flow;
	if (!fl || fl == XV_FLOW_STATELESS)
		return true;
	if (!f)
		return false;
	if ((fl & XV_FLOW_TO_SERVER) && !to_server)
		return false;
	if ((fl & XV_FLOW_TO_CLIENT) && to_server)
		return false;
	bool est = p->proto == IPPROTO_TCP ? f->state == XV_TCP_ESTABLISHED ||
						       f->state == XV_TCP_CLOSING
					   : f->seen == 3;
	if ((fl & XV_FLOW_ESTABLISHED) && !est)
		return false;
	if ((fl & XV_FLOW_NOT_ESTABLISHED) && est)
		return false;
	return true;
}

static bool rule_match(const struct xv_rule *r, const struct xv_pkt *p, const struct xv_flow *f,
		       bool to_server)
{
	uint16_t sp = p->has_l4 ? p->sport : 0, dp = p->has_l4 ? p->dport : 0;
	if (!hdr_match(r, &p->src, &p->dst, sp, dp) &&
	    !(r->bidir && hdr_match(r, &p->dst, &p->src, dp, sp)))
		return false;
	if (r->has_flags) {
		if (p->proto != IPPROTO_TCP || !p->has_l4)
			return false;
		uint8_t fl = p->tcp_flags & (uint8_t)~r->flags_ignore;
		switch (r->flags_mode) {
		case XV_FLAGS_EXACT: if (fl != r->flags_val) return false; break;
		case XV_FLAGS_PLUS: if ((fl & r->flags_val) != r->flags_val) return false; break;
		case XV_FLAGS_ANY: if (!(fl & r->flags_val)) return false; break;
		default: if (fl & r->flags_val) return false; break;
		}
	}
	if (r->flow && !flow_ok(r, p, f, to_server))
		return false;
	for (uint32_t i = 0; i < r->ncontents; i++)
		if (content_match(&r->contents[i], p->payload, p->payload_len) == r->contents[i].neg)
			return false;
	return true;
}

/* Advance a rate counter; returns true when the event counts (fires). */
static bool rate_step(struct xv_net *n, uint32_t idx, const struct xv_rate *rt, bool is_df,
		      const struct xv_pkt *p)
{
	const struct xv_ip *ip = rt->track == XV_TRACK_SRC ? &p->src : &p->dst;
	uint64_t key[3] = { (uint64_t)idx << 2 | (is_df ? 2 : 0) | (rt->track == XV_TRACK_DST),
			    ip->hi, ip->lo };
	struct xv_kent *e = xv_ktab_get(&n->rates, key, n->now, true, NULL);
	struct { uint64_t start; uint32_t count, alerted; } *st = xv_kent_payload(&n->rates, e);
	uint64_t win = (uint64_t)rt->seconds * 1000000;
	if (!st->start || n->now - st->start >= win) {
		st->start = n->now ? n->now : 1;
		st->count = 0;
		st->alerted = 0;
	}
	st->count++;
	if (is_df)
		return st->count > rt->count;
	switch (rt->type) {
	case XV_THR_LIMIT:
		return st->count <= rt->count;
	case XV_THR_THRESHOLD:
		if (st->count >= rt->count) {
			st->count = 0;
			return true;
		}
		return false;
	default: /* both */
		if (st->count >= rt->count && !st->alerted) {
			st->alerted = 1;
			return true;
		}
		return false;
	}
}

static inline void check_list(const struct xv_net *n, const uint32_t *list, uint32_t cnt,
			      const struct xv_pkt *p, const struct xv_flow *f, bool to_server,
			      uint32_t *hits, uint32_t *nhits)
{
	for (uint32_t i = 0; i < cnt; i++) {
		const struct xv_rule *r = &n->rules[list[i]];
		if (rule_match(r, p, f, to_server) && *nhits < MAX_HITS)
			hits[(*nhits)++] = list[i];
	}
}

struct span {
	const uint32_t *list;
	uint32_t cnt;
};

/* Out of line so that the packets without candidates (most) do not pay for its stack frame. */
static enum xv_net_verdict rules_eval(struct xv_net *n, const struct xv_pkt *p,
				      const struct xv_flow *f, bool to_server, const struct span *sp,
				      unsigned nsp, int port, const char *port_name)
	__attribute__((noinline));

/* The common case is cheap: a few bitmap tests find no candidate and the packet is done. */
enum xv_net_verdict xv_rules_run(struct xv_net *n, const struct xv_pkt *p, const struct xv_flow *f,
				 bool to_server, int port, const char *port_name)
{
	int g = XV_P_IP;
	if (p->has_l4) {
		if (p->proto == IPPROTO_TCP)
			g = XV_P_TCP;
		else if (p->proto == IPPROTO_UDP)
			g = XV_P_UDP;
		else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
			g = XV_P_ICMP;
	}
	const struct xv_group *gr = &n->groups[g];
	struct span sp[XV_IX__COUNT + 1];
	unsigned nsp = 0;
	/* a rule sits in one index only, so each candidate is checked once; the /16 indexes hold
	 * IPv4-only rules, which an IPv6 address cannot match */
	if (gr->used) {
		uint32_t key[XV_IX__COUNT] = { p->dport, p->sport, (uint32_t)p->src.lo >> 16,
					       (uint32_t)p->dst.lo >> 16 };
		unsigned used = gr->used;
		if (!xv_ip_is4(&p->src))
			used &= ~(1u << XV_IX_SRC16);
		if (!xv_ip_is4(&p->dst))
			used &= ~(1u << XV_IX_DST16);
		for (; used; used &= used - 1) {
			int ix = __builtin_ctz(used);
			if (xv_index_find(&gr->ix[ix], key[ix], &sp[nsp].list, &sp[nsp].cnt))
				nsp++;
		}
	}
	if (gr->ngeneric)
		sp[nsp++] = (struct span){ gr->generic, gr->ngeneric };
	if (!nsp)
		return XV_VERDICT_FORWARD;
	return rules_eval(n, p, f, to_server, sp, nsp, port, port_name);
}

static enum xv_net_verdict rules_eval(struct xv_net *n, const struct xv_pkt *p,
				      const struct xv_flow *f, bool to_server, const struct span *sp,
				      unsigned nsp, int port, const char *port_name)
{
	uint32_t hits[MAX_HITS], nhits = 0;
	for (unsigned i = 0; i < nsp; i++)
		check_list(n, sp[i].list, sp[i].cnt, p, f, to_server, hits, &nhits);
	if (!nhits)
		return XV_VERDICT_FORWARD;

	/* detection_filter decides whether a match counts at all */
	uint32_t k = 0;
	for (uint32_t i = 0; i < nhits; i++) {
		const struct xv_rule *r = &n->rules[hits[i]];
		if (!r->dfilter.type || rate_step(n, hits[i], &r->dfilter, true, p))
			hits[k++] = hits[i];
	}
	nhits = k;
	for (uint32_t i = 0; i < nhits; i++)
		if (n->rules[hits[i]].action == XV_ACT_PASS) {
			n->st.passes++;
			return XV_VERDICT_FORWARD;
		}
	enum xv_net_verdict v = XV_VERDICT_FORWARD;
	for (uint32_t i = 0; i < nhits; i++) {
		const struct xv_rule *r = &n->rules[hits[i]];
		if (r->action == XV_ACT_DROP)
			v = XV_VERDICT_DROP;
		if (r->threshold.type && !rate_step(n, hits[i], &r->threshold, false, p))
			continue;
		struct xv_net_alert a;
		xv_alert_fill(&a, p, n->now, port, port_name);
		a.action = r->action;
		a.gid = r->gid;
		a.sid = r->sid;
		a.rev = r->rev;
		a.severity = r->severity;
		xv_str_copy(a.msg, r->msg, sizeof(a.msg));
		xv_str_copy(a.category, r->classtype ? r->classtype : "", sizeof(a.category));
		xv_alert_emit(n, &a);
	}
	if (v == XV_VERDICT_DROP)
		n->st.drops++;
	return v;
}
