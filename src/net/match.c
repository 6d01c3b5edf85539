/* match.c — rule grouping by protocol and port, and per-packet rule evaluation. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "net/netpriv.h"

/* A rule whose port list covers at most this many ports goes into per-port buckets. */
#define MAX_INDEXED_PORTS 256
/* Matches remembered per packet before deciding (pass wins over drop/alert). */
#define MAX_HITS 64

static uint8_t lower_tab[256];

static bool indexable(const struct xv_portset *s)
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

static bool in_group(const struct xv_rule *r, int g)
{
	return r->proto == XV_P_IP || r->proto == g;
}

/* where: 0 generic, 1 dport buckets, 2 sport buckets */
static int placement(const struct xv_rule *r, int g)
{
	if (g != XV_P_TCP && g != XV_P_UDP)
		return 0;
	if (r->bidir || r->proto == XV_P_IP)
		return 0;
	if (indexable(&r->dp))
		return 1;
	if (indexable(&r->sp))
		return 2;
	return 0;
}

static int build_csr(const struct xv_net *n, int g, int where, uint32_t **off_out,
		     uint32_t **rules_out)
{
	uint32_t *off = calloc(65537, sizeof(*off));
	uint32_t total = 0;
	if (!off)
		return -ENOMEM;
	for (uint32_t i = 0; i < n->nrules; i++) {
		const struct xv_rule *r = &n->rules[i];
		if (!in_group(r, g) || placement(r, g) != where)
			continue;
		const struct xv_portset *ps = where == 1 ? &r->dp : &r->sp;
		for (uint32_t k = 0; k < ps->n; k++)
			for (uint32_t p = ps->v[k].lo; p <= ps->v[k].hi; p++) {
				off[p + 1]++;
				total++;
			}
	}
	if (!total) {
		free(off);
		*off_out = NULL;
		*rules_out = NULL;
		return 0;
	}
	for (uint32_t p = 0; p < 65536; p++)
		off[p + 1] += off[p];
	uint32_t *rules = malloc(total * sizeof(*rules));
	uint32_t *fill = malloc(65536 * sizeof(*fill));
	if (!rules || !fill) {
		free(off);
		free(rules);
		free(fill);
		return -ENOMEM;
	}
	memcpy(fill, off, 65536 * sizeof(*fill));
	for (uint32_t i = 0; i < n->nrules; i++) {
		const struct xv_rule *r = &n->rules[i];
		if (!in_group(r, g) || placement(r, g) != where)
			continue;
		const struct xv_portset *ps = where == 1 ? &r->dp : &r->sp;
		for (uint32_t k = 0; k < ps->n; k++)
			for (uint32_t p = ps->v[k].lo; p <= ps->v[k].hi; p++) {
				/* overlapping ranges of one rule must not list it twice in a bucket */
				uint32_t b = off[p];
				bool dup = false;
				for (uint32_t j = b; j < fill[p]; j++)
					dup |= rules[j] == i;
				if (!dup)
					rules[fill[p]++] = i;
			}
	}
	/* compact duplicates away: rebuild offsets from fill */
	uint32_t w = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t b = off[p], e = fill[p];
		off[p] = w;
		for (uint32_t j = b; j < e; j++)
			rules[w++] = rules[j];
	}
	off[65536] = w;
	free(fill);
	*off_out = off;
	*rules_out = rules;
	return 0;
}

void xv_groups_free(struct xv_net *n)
{
	for (int g = 0; g < XV_P__COUNT; g++) {
		struct xv_group *gr = &n->groups[g];
		free(gr->dport_off);
		free(gr->dport_rules);
		free(gr->sport_off);
		free(gr->sport_rules);
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
		int e;
		if ((e = build_csr(n, g, 1, &gr->dport_off, &gr->dport_rules)) < 0 ||
		    (e = build_csr(n, g, 2, &gr->sport_off, &gr->sport_rules)) < 0)
			return e;
		for (uint32_t p = 0; p < 65536; p++) {
			if (gr->dport_off && gr->dport_off[p + 1] > gr->dport_off[p])
				gr->dport_any[p >> 6] |= 1ull << (p & 63);
			if (gr->sport_off && gr->sport_off[p + 1] > gr->sport_off[p])
				gr->sport_any[p >> 6] |= 1ull << (p & 63);
		}
		gr->generic = malloc((n->nrules + 1) * sizeof(uint32_t));
		if (!gr->generic)
			return -ENOMEM;
		for (uint32_t i = 0; i < n->nrules; i++)
			if (in_group(&n->rules[i], g) && placement(&n->rules[i], g) == 0)
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
	uint32_t hits[MAX_HITS], nhits = 0;

	if (gr->dport_off && (gr->dport_any[p->dport >> 6] >> (p->dport & 63) & 1))
		check_list(n, gr->dport_rules + gr->dport_off[p->dport],
			   gr->dport_off[p->dport + 1] - gr->dport_off[p->dport], p, f, to_server, hits,
			   &nhits);
	if (gr->sport_off && (gr->sport_any[p->sport >> 6] >> (p->sport & 63) & 1))
		check_list(n, gr->sport_rules + gr->sport_off[p->sport],
			   gr->sport_off[p->sport + 1] - gr->sport_off[p->sport], p, f, to_server, hits,
			   &nhits);
	check_list(n, gr->generic, gr->ngeneric, p, f, to_server, hits, &nhits);
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
		snprintf(a.msg, sizeof(a.msg), "%s", r->msg);
		snprintf(a.category, sizeof(a.category), "%s", r->classtype ? r->classtype : "");
		xv_alert_emit(n, &a);
	}
	if (v == XV_VERDICT_DROP)
		n->st.drops++;
	return v;
}
