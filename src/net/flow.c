/* flow.c — 5-tuple flow table with TCP connection state, in a fixed-size table (LRU eviction). */
#include <string.h>

#include "net/netpriv.h"

static bool ip_lt(const struct xv_ip *a, uint16_t ap, const struct xv_ip *b, uint16_t bp)
{
	if (a->hi != b->hi)
		return a->hi < b->hi;
	if (a->lo != b->lo)
		return a->lo < b->lo;
	return ap < bp;
}

static void flow_reset(struct xv_flow *f, const struct xv_pkt *p)
{
	memset(f, 0, sizeof(*f));
	f->client_ip = p->src;
	f->client_port = p->sport;
	f->first_usec = 0;
}

struct xv_flow *xv_flow_track(struct xv_net *n, const struct xv_pkt *p, bool *to_server)
{
	*to_server = true;
	if (!p->has_l4)
		return NULL;
	const struct xv_ip *a = &p->src, *b = &p->dst;
	uint16_t ap = p->sport, bp = p->dport;
	if (ip_lt(b, bp, a, ap)) {
		a = &p->dst;
		b = &p->src;
		ap = p->dport;
		bp = p->sport;
	}
	uint64_t key[5] = { a->hi, a->lo, b->hi, b->lo,
			    (uint64_t)ap << 48 | (uint64_t)bp << 32 | (uint64_t)p->proto << 16 | p->vlan };
	bool created;
	struct xv_kent *e = xv_ktab_get(&n->flows, key, n->now, true, &created);
	struct xv_flow *f = xv_kent_payload(&n->flows, e);
	uint8_t fl = p->tcp_flags;
	bool tcp = p->proto == IPPROTO_TCP;

	if (created) {
		flow_reset(f, p);
		f->first_usec = n->now;
		if (tcp) {
			if ((fl & (XV_TCP_SYN | XV_TCP_ACK)) == (XV_TCP_SYN | XV_TCP_ACK)) {
				/* we missed the SYN: the SYN-ACK's receiver is the client */
				f->client_ip = p->dst;
				f->client_port = p->dport;
				f->state = XV_TCP_SYN_RCVD;
			} else {
				f->state = (fl & XV_TCP_SYN) && !(fl & XV_TCP_RST) ? XV_TCP_SYN_SENT
										   : XV_TCP_MIDSTREAM;
			}
		}
	}
	bool from_client = f->client_port == p->sport && f->client_ip.hi == p->src.hi &&
			   f->client_ip.lo == p->src.lo;
	if (tcp && !created) {
		bool syn_only = (fl & (XV_TCP_SYN | XV_TCP_ACK | XV_TCP_RST)) == XV_TCP_SYN;
		if (fl & XV_TCP_RST) {
			f->state = XV_TCP_CLOSED;
		} else if (syn_only && (f->state == XV_TCP_CLOSED || f->state == XV_TCP_CLOSING ||
					f->state == XV_TCP_MIDSTREAM)) {
			uint64_t first = n->now;
			flow_reset(f, p); /* port reuse: a new connection */
			f->first_usec = first;
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
	f->pkts[dir]++;
	f->bytes[dir] += p->len;
	*to_server = from_client;
	return f;
}
