/* flow.c — 5-tuple flow table with TCP connection state, in a fixed-size table (LRU eviction). */
#include <string.h>

#include "net/netpriv.h"

/* One cache line per flow: the entry header, the 5-word key and the state. */
_Static_assert(XV_FLOW_KWORDS == 5, "the last-flow check compares five words");
_Static_assert(sizeof(struct xv_kent) + XV_FLOW_KWORDS * 8 + sizeof(struct xv_flow) <= 64,
	       "a flow entry must fit one cache line");

static bool ip_lt(const struct xv_ip *a, uint16_t ap, const struct xv_ip *b, uint16_t bp)
{
	if (a->hi != b->hi)
		return a->hi < b->hi;
	if (a->lo != b->lo)
		return a->lo < b->lo;
	return ap < bp;
}

static void flow_reset(struct xv_flow *f, uint8_t client_side)
{
	memset(f, 0, sizeof(*f));
	f->client_side = client_side;
}

struct xv_flow *xv_flow_track(struct xv_net *n, const struct xv_pkt *p, bool *to_server,
			      bool *fresh)
{
	*to_server = true;
	*fresh = false;
	if (!p->has_l4)
		return NULL;
	/* the key holds the lower endpoint first, so both directions find one entry; src_side says
	 * which of the two this packet's source is */
	uint8_t src_side = ip_lt(&p->dst, p->dport, &p->src, p->sport);
	const struct xv_ip *a = src_side ? &p->dst : &p->src, *b = src_side ? &p->src : &p->dst;
	uint16_t ap = src_side ? p->dport : p->sport, bp = src_side ? p->sport : p->dport;
	uint64_t key[XV_FLOW_KWORDS] = {
		a->hi, a->lo, b->hi, b->lo,
		(uint64_t)ap << 48 | (uint64_t)bp << 32 | (uint64_t)p->proto << 16 | p->vlan
	};
	bool created = false;
	/* packets come in trains of one flow: the previous packet's entry is checked first (it is
	 * still that flow's if it holds the key and has not idled out; an eviction reuses the slot
	 * for another key) before the hash and the bucket */
	struct xv_kent *e = n->last_flow;
	struct xv_ktab *t = &n->flows;
	if (e && !((e->key[0] ^ key[0]) | (e->key[1] ^ key[1]) | (e->key[2] ^ key[2]) |
		   (e->key[3] ^ key[3]) | (e->key[4] ^ key[4])) &&
	    !(t->timeout && n->now > e->last && n->now - e->last > t->timeout)) {
		if (n->now > e->last)
			e->last = n->now;
	} else {
		uint64_t h = xv_ktab_hash_end(XV_FLOW_KWORDS + xv_ktab_hash_word(t, key[0], 0) +
					      xv_ktab_hash_word(t, key[1], 1) +
					      xv_ktab_hash_word(t, key[2], 2) +
					      xv_ktab_hash_word(t, key[3], 3) +
					      xv_ktab_hash_word(t, key[4], 4));
		e = xv_ktab_get_hk(t, key, XV_FLOW_KWORDS, h, n->now, true, &created);
		n->last_flow = e;
	}
	struct xv_flow *f = xv_kent_payload(&n->flows, e);
	uint8_t fl = p->tcp_flags;
	bool tcp = p->proto == IPPROTO_TCP;

	if (created) {
		flow_reset(f, src_side);
		if (tcp) {
			if ((fl & (XV_TCP_SYN | XV_TCP_ACK)) == (XV_TCP_SYN | XV_TCP_ACK)) {
				/* we missed the SYN: the SYN-ACK's receiver is the client */
				f->client_side = src_side ^ 1;
				f->state = XV_TCP_SYN_RCVD;
			} else {
				f->state = (fl & XV_TCP_SYN) && !(fl & XV_TCP_RST) ? XV_TCP_SYN_SENT
										   : XV_TCP_MIDSTREAM;
			}
		}
	}
	/* a packet to itself (same address and port) has both sides equal: it is the client's */
	bool from_client = f->client_side == src_side ||
			   (a->hi == b->hi && a->lo == b->lo && ap == bp);
	if (tcp && !created) {
		bool syn_only = (fl & (XV_TCP_SYN | XV_TCP_ACK | XV_TCP_RST)) == XV_TCP_SYN;
		if (fl & XV_TCP_RST) {
			f->state = XV_TCP_CLOSED;
		} else if (syn_only && (f->state == XV_TCP_CLOSED || f->state == XV_TCP_CLOSING ||
					f->state == XV_TCP_MIDSTREAM)) {
			flow_reset(f, src_side); /* port reuse: a new connection */
			f->state = XV_TCP_SYN_SENT;
			from_client = true;
		} else {
			switch (f->state) {
			case XV_TCP_SYN_SENT:
				if (!from_client && (fl & XV_TCP_SYN) && (fl & XV_TCP_ACK))
					f->state = XV_TCP_SYN_RCVD;
				break;
			case XV_TCP_SYN_RCVD:
				if (from_client && (fl & XV_TCP_ACK) && !(fl & XV_TCP_SYN))
					f->state = XV_TCP_ESTABLISHED;
				break;
			case XV_TCP_ESTABLISHED:
				if (fl & XV_TCP_FIN)
					f->state = XV_TCP_CLOSING;
				break;
			default:
				break;
			}
		}
	}
	int dir = from_client ? 0 : 1;
	f->seen |= (uint8_t)(1 << dir);
	*fresh = f->pkts[0] + f->pkts[1] == 0;
	if (f->pkts[dir] != UINT32_MAX)
		f->pkts[dir]++;
	*to_server = from_client;
	return f;
}
