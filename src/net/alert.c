/* alert.c — alert records: the ring kept for `net`, text lines and Suricata EVE JSON. */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net/netpriv.h"

void xv_alert_fill(struct xv_net_alert *a, const struct xv_pkt *p, uint64_t now, int port,
		   const char *port_name)
{
	memset(a, 0, sizeof(*a));
	a->ts_usec = now;
	a->port = port;
	if (port_name)
		snprintf(a->port_name, sizeof(a->port_name), "%s", port_name);
	if (p->src_mac) {
		memcpy(a->src_mac, p->src_mac, 6);
		memcpy(a->dst_mac, p->dst_mac, 6);
	}
	if (p->l3 == XV_L3_ARP) {
		a->family = 4;
		for (int i = 0; i < 4; i++) {
			a->src_ip[i] = (uint8_t)(p->arp_spa >> (24 - 8 * i));
			a->dst_ip[i] = (uint8_t)(p->arp_tpa >> (24 - 8 * i));
		}
		return;
	}
	if (p->l3 == XV_L3_IP4 || p->l3 == XV_L3_IP6) {
		a->family = (uint8_t)xv_ip_to_bytes(&p->src, a->src_ip);
		xv_ip_to_bytes(&p->dst, a->dst_ip);
		a->proto = p->proto;
		if (p->has_l4 && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)) {
			a->src_port = p->sport;
			a->dst_port = p->dport;
		}
	}
}

void xv_alert_emit(struct xv_net *n, const struct xv_net_alert *a)
{
	uint32_t slot = (n->ring_head + n->ring_count) % n->ring_cap;
	if (n->ring_count == n->ring_cap) {
		slot = n->ring_head;
		n->ring_head = (n->ring_head + 1) % n->ring_cap;
	} else {
		n->ring_count++;
	}
	n->ring[slot] = *a;
	n->alert_total++;
	n->st.alerts++;
	if (n->cfg.on_alert)
		n->cfg.on_alert(&n->ring[slot], n->cfg.on_alert_arg);
}

unsigned xv_net_alert_count(const struct xv_net *n)
{
	return n->ring_count;
}

const struct xv_net_alert *xv_net_alert_get(const struct xv_net *n, unsigned i)
{
	if (i >= n->ring_count)
		return NULL;
	return &n->ring[(n->ring_head + i) % n->ring_cap];
}

uint64_t xv_net_alert_total(const struct xv_net *n)
{
	return n->alert_total;
}

static const char *proto_name(const struct xv_net_alert *a, char *buf, size_t l)
{
	if (!a->proto)
		return a->family ? "ARP" : "ETH";
	switch (a->proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "IPv6-ICMP";
	default:
		snprintf(buf, l, "%u", a->proto);
		return buf;
	}
}

static void ip_text(const struct xv_net_alert *a, const uint8_t *ip, char *buf, size_t l)
{
	if (!a->family)
		snprintf(buf, l, "-");
	else if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)l))
		snprintf(buf, l, "?");
}

static void mac_text(const uint8_t *m, char *b, size_t l)
{
	snprintf(b, l, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* 2026-11-23T18:02:55.123456+0000, as Suricata writes it (UTC) */
static void ts_text(uint64_t usec, char *b, size_t l)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t k = strftime(b, l, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(b + k, l - k, ".%06u+0000", (unsigned)(usec % 1000000));
}

void xv_net_alert_format(const struct xv_net_alert *a, char *buf, size_t size)
{
	char ts[40], s[48], d[48], sm[18], dm[18], pb[8], sp[8] = "", dp[8] = "";
	ts_text(a->ts_usec, ts, sizeof(ts));
	ip_text(a, a->src_ip, s, sizeof(s));
	ip_text(a, a->dst_ip, d, sizeof(d));
	mac_text(a->src_mac, sm, sizeof(sm));
	mac_text(a->dst_mac, dm, sizeof(dm));
	bool ports = a->proto == 6 || a->proto == 17, v6 = ports && a->family == 6;
	if (ports) {
		snprintf(sp, sizeof(sp), ":%u", a->src_port);
		snprintf(dp, sizeof(dp), ":%u", a->dst_port);
	}
	/* [v6]:port, as in URLs, so the port cannot be read as part of the address */
	snprintf(buf, size, "%s %s [%u:%u:%u] %s [%s] {%s} %s%s%s%s (%s) -> %s%s%s%s (%s)%s%s", ts,
		 a->action == XV_ACT_DROP ? "DROP" : "ALERT", a->gid, a->sid, a->rev, a->msg,
		 a->category[0] ? a->category : "-", proto_name(a, pb, sizeof(pb)), v6 ? "[" : "", s,
		 v6 ? "]" : "", sp, sm, v6 ? "[" : "", d, v6 ? "]" : "", dp, dm,
		 a->port_name[0] ? " port " : "", a->port_name);
}

char *xv_net_alert_eve(const struct xv_net_alert *a)
{
	char ts[40], s[48], d[48], sm[18], dm[18], pb[8];
	ts_text(a->ts_usec, ts, sizeof(ts));
	ip_text(a, a->src_ip, s, sizeof(s));
	ip_text(a, a->dst_ip, d, sizeof(d));
	mac_text(a->src_mac, sm, sizeof(sm));
	mac_text(a->dst_mac, dm, sizeof(dm));

	json_object *o = json_object_new_object(), *al = json_object_new_object(),
		    *eth = json_object_new_object();
	if (!o || !al || !eth) {
		json_object_put(o);
		json_object_put(al);
		json_object_put(eth);
		return NULL;
	}
	json_object_object_add(o, "timestamp", json_object_new_string(ts));
	json_object_object_add(o, "event_type", json_object_new_string("alert"));
	if (a->family) {
		json_object_object_add(o, "src_ip", json_object_new_string(s));
		json_object_object_add(o, "dest_ip", json_object_new_string(d));
	}
	if (a->proto == 6 || a->proto == 17) {
		json_object_object_add(o, "src_port", json_object_new_int(a->src_port));
		json_object_object_add(o, "dest_port", json_object_new_int(a->dst_port));
	}
	json_object_object_add(o, "proto", json_object_new_string(proto_name(a, pb, sizeof(pb))));
	if (a->port_name[0])
		json_object_object_add(o, "in_iface", json_object_new_string(a->port_name));
	json_object_object_add(al, "action",
			       json_object_new_string(a->action == XV_ACT_DROP ? "blocked" : "allowed"));
	json_object_object_add(al, "gid", json_object_new_int64(a->gid));
	json_object_object_add(al, "signature_id", json_object_new_int64(a->sid));
	json_object_object_add(al, "rev", json_object_new_int64(a->rev));
	json_object_object_add(al, "signature", json_object_new_string(a->msg));
	json_object_object_add(al, "category", json_object_new_string(a->category));
	json_object_object_add(al, "severity", json_object_new_int(a->severity));
	json_object_object_add(o, "alert", al);
	json_object_object_add(eth, "src_mac", json_object_new_string(sm));
	json_object_object_add(eth, "dest_mac", json_object_new_string(dm));
	json_object_object_add(o, "ether", eth);
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	char *r = txt ? strdup(txt) : NULL;
	json_object_put(o);
	return r;
}

void xv_net_alerts_print(const struct xv_net *n, FILE *f, int json)
{
	for (unsigned i = 0; i < n->ring_count; i++) {
		const struct xv_net_alert *a = xv_net_alert_get(n, i);
		if (json) {
			char *s = xv_net_alert_eve(a);
			if (s)
				fprintf(f, "%s\n", s);
			free(s);
		} else {
			char line[512];
			xv_net_alert_format(a, line, sizeof(line));
			fprintf(f, "%s\n", line);
		}
	}
}
