/* detect.c — built-in detectors that need no rules: ARP spoofing, SYN floods, port scans. */
#include <stdio.h>
#include <string.h>

#include "net/netpriv.h"

/* The binding stays with the MAC that held it first; a different MAC claiming the IP alerts (once
 * per arp_realert seconds per claimant) until the bound MAC has been silent for arp_ttl, then it
 * may take over. */
struct arp_ent {
	uint8_t mac[6], claimant[6];
	uint64_t seen;      /* last time the bound MAC said so */
	uint64_t alerted;   /* last alert about claimant */
};

struct rate_ent {
	uint64_t start;
	uint32_t count, alerted;
};

/* Distinct (dst IP, port) pairs are counted in a 1024-bit set: bounded memory per source; a rare
 * hash collision only undercounts. */
struct scan_ent {
	uint64_t start;
	uint32_t count, alerted;
	uint64_t bits[16];
};

int xv_detect_init(struct xv_net *n)
{
	if (xv_ktab_init(&n->arp, 4096, 1, sizeof(struct arp_ent), 0) ||
	    xv_ktab_init(&n->syn, 4096, 2, sizeof(struct rate_ent), 0) ||
	    xv_ktab_init(&n->scan, 8192, 2, sizeof(struct scan_ent), 0))
		return -1;
	return 0;
}

void xv_detect_fini(struct xv_net *n)
{
	xv_ktab_fini(&n->arp);
	xv_ktab_fini(&n->syn);
	xv_ktab_fini(&n->scan);
}

static void det_alert(struct xv_net *n, const struct xv_pkt *p, int port, const char *port_name,
		      uint32_t sid, uint8_t sev, const char *cat, const char *msg)
{
	struct xv_net_alert a;
	xv_alert_fill(&a, p, n->now, port, port_name);
	a.action = XV_ACT_ALERT;
	a.gid = XV_NET_GID_DETECTOR;
	a.sid = sid;
	a.rev = 1;
	a.severity = sev;
	snprintf(a.msg, sizeof(a.msg), "%s", msg);
	snprintf(a.category, sizeof(a.category), "%s", cat);
	xv_alert_emit(n, &a);
}

static void ip4_str(uint32_t v, char *b, size_t l)
{
	snprintf(b, l, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
}

static void mac_str(const uint8_t *m, char *b, size_t l)
{
	snprintf(b, l, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void arp_check(struct xv_net *n, const struct xv_pkt *p, int port, const char *pn)
{
	/* 0.0.0.0 senders are address probes (RFC 5227), not claims */
	if (!p->arp_spa || (p->arp_op != 1 && p->arp_op != 2))
		return;
	uint64_t key[1] = { p->arp_spa };
	bool created;
	struct xv_kent *e = xv_ktab_get(&n->arp, key, n->now, true, &created);
	struct arp_ent *a = xv_kent_payload(&n->arp, e);
	uint64_t ttl = (uint64_t)n->cfg.arp_ttl * 1000000;
	if (created || !memcmp(a->mac, p->arp_sha, 6) || n->now - a->seen > ttl) {
		memcpy(a->mac, p->arp_sha, 6);
		a->seen = n->now;
		return;
	}
	if (!memcmp(a->claimant, p->arp_sha, 6) && a->alerted &&
	    n->now - a->alerted < (uint64_t)n->cfg.arp_realert * 1000000)
		return;
	memcpy(a->claimant, p->arp_sha, 6);
	a->alerted = n->now ? n->now : 1;
	char ip[16], m1[18], m2[18], msg[128];
	ip4_str(p->arp_spa, ip, sizeof(ip));
	mac_str(a->mac, m1, sizeof(m1));
	mac_str(p->arp_sha, m2, sizeof(m2));
	snprintf(msg, sizeof(msg), "ARP spoofing: %s claimed by %s, bound to %s", ip, m2, m1);
	det_alert(n, p, port, pn, XV_DET_ARP_SPOOF, 1, "arp-spoof", msg);
}

static void syn_check(struct xv_net *n, const struct xv_pkt *p, int port, const char *pn)
{
	uint64_t key[2] = { p->dst.hi, p->dst.lo };
	struct xv_kent *e = xv_ktab_get(&n->syn, key, n->now, true, NULL);
	struct rate_ent *r = xv_kent_payload(&n->syn, e);
	uint64_t win = (uint64_t)n->cfg.syn_flood_window * 1000000;
	if (!r->start || n->now - r->start >= win) {
		r->start = n->now ? n->now : 1;
		r->count = 0;
		r->alerted = 0;
	}
	if (++r->count > n->cfg.syn_flood_count && !r->alerted) {
		char ip[48], msg[128];
		r->alerted = 1;
		snprintf(msg, sizeof(msg), "SYN flood: more than %u SYNs to %s in %us",
			 n->cfg.syn_flood_count, xv_ip_str(&p->dst, ip, sizeof(ip)),
			 n->cfg.syn_flood_window);
		det_alert(n, p, port, pn, XV_DET_SYN_FLOOD, 2, "syn-flood", msg);
	}
}

static void scan_check(struct xv_net *n, const struct xv_pkt *p, int port, const char *pn)
{
	uint64_t key[2] = { p->src.hi, p->src.lo };
	struct xv_kent *e = xv_ktab_get(&n->scan, key, n->now, true, NULL);
	struct scan_ent *s = xv_kent_payload(&n->scan, e);
	uint64_t win = (uint64_t)n->cfg.scan_window * 1000000;
	if (!s->start || n->now - s->start >= win) {
		memset(s, 0, sizeof(*s));
		s->start = n->now ? n->now : 1;
	}
	uint64_t h = xv_mix64(p->dst.lo ^ p->dst.hi ^ ((uint64_t)p->dport << 40) ^
			      ((uint64_t)p->proto << 56));
	uint32_t bit = (uint32_t)h & 1023;
	if (s->bits[bit >> 6] & (1ull << (bit & 63)))
		return;
	s->bits[bit >> 6] |= 1ull << (bit & 63);
	if (++s->count > n->cfg.scan_ports && !s->alerted) {
		char ip[48], msg[128];
		s->alerted = 1;
		snprintf(msg, sizeof(msg), "port scan: %s probed more than %u ports in %us",
			 xv_ip_str(&p->src, ip, sizeof(ip)), n->cfg.scan_ports, n->cfg.scan_window);
		det_alert(n, p, port, pn, XV_DET_PORT_SCAN, 2, "port-scan", msg);
	}
}

void xv_detect_run(struct xv_net *n, const struct xv_pkt *p, bool new_flow, int port,
		   const char *port_name)
{
	if (p->l3 == XV_L3_ARP) {
		if (n->cfg.arp_spoof >= 0)
			arp_check(n, p, port, port_name);
		return;
	}
	if (!p->has_l4)
		return;
	/* connection attempts: SYN, or the ACK-less probes of FIN/NULL/Xmas scans */
	bool tcp_probe = p->proto == IPPROTO_TCP && !(p->tcp_flags & (XV_TCP_ACK | XV_TCP_RST));
	bool syn = tcp_probe && (p->tcp_flags & XV_TCP_SYN);
	if (syn && n->cfg.syn_flood >= 0)
		syn_check(n, p, port, port_name);
	/* UDP: only the first datagram of a flow, so a busy server's replies are not a scan */
	if ((tcp_probe || (p->proto == IPPROTO_UDP && new_flow)) && n->cfg.port_scan >= 0)
		scan_check(n, p, port, port_name);
}
