/* alert.c — alert records: the ring kept for `net`, text lines and Suricata EVE JSON. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net/netpriv.h"

void xv_str_copy(char *dst, const char *src, size_t size)
{
	size_t l = strnlen(src, size - 1);
	memcpy(dst, src, l);
	dst[l] = 0;
}

void xv_alert_fill(struct xv_net_alert *a, const struct xv_pkt *p, uint64_t now, int port,
		   const char *port_name)
{
	memset(a, 0, sizeof(*a));
	a->ts_usec = now;
	a->port = port;
	if (port_name)
		xv_str_copy(a->port_name, port_name, sizeof(a->port_name));
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

/* Decimal without printf: alerts are formatted in the replay's hot path (thousands a second). */
static char *put_u(char *o, uint64_t v)
{
	char t[24];
	int k = 0;
	do {
		t[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		*o++ = t[--k];
	return o;
}

static void ip_text(const struct xv_net_alert *a, const uint8_t *ip, char *buf, size_t l)
{
	if (!a->family) {
		snprintf(buf, l, "-");
	} else if (a->family == 4 && l >= 16) {
		char *o = buf;
		for (int i = 0; i < 4; i++) {
			o = put_u(o, ip[i]);
			*o++ = i < 3 ? '.' : 0;
		}
	} else if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, ip, buf, (socklen_t)l)) {
		snprintf(buf, l, "?");
	}
}

static void mac_text(const uint8_t *m, char *b, size_t l)
{
	static const char hex[] = "0123456789abcdef";
	if (l < 18)
		return;
	for (int i = 0; i < 6; i++) {
		b[3 * i] = hex[m[i] >> 4];
		b[3 * i + 1] = hex[m[i] & 15];
		b[3 * i + 2] = i < 5 ? ':' : 0;
	}
}

/* 2026-11-23T18:02:55.123456+0000, as Suricata writes it (UTC). The date and time of day are
 * remembered per thread for the last second seen: alerts come in bursts within a second. */
static void ts_text(uint64_t usec, char *b, size_t l)
{
	static __thread time_t last = (time_t)-1;
	static __thread char day[32];
	static __thread size_t k;
	time_t t = (time_t)(usec / 1000000);
	if (t != last) {
		struct tm tm;
		if (!gmtime_r(&t, &tm)) /* a time past what struct tm holds: the epoch, not garbage */
			memset(&tm, 0, sizeof(tm));
		k = strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		day[k] = 0;
		last = t;
	}
	if (l < k + 13) {
		snprintf(b, l, "%s", day);
		return;
	}
	memcpy(b, day, k);
	b[k] = '.';
	unsigned us = (unsigned)(usec % 1000000);
	for (int i = 6; i >= 1; i--, us /= 10)
		b[k + (size_t)i] = (char)('0' + us % 10);
	memcpy(b + k + 7, "+0000", 6);
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

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!k || k > n)
		return 0;
	uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* A JSON string of the NUL-terminated s (bounded by max bytes): quotes, backslashes and control
 * characters escaped, bytes that are not UTF-8 (a msg cut at 127 bytes, a rule file in Latin-1)
 * as U+FFFD so the record stays valid JSON. o has room for 2 + 6 * max bytes. */
static char *put_str(char *o, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strnlen(s, max);
	*o++ = '"';
	for (size_t i = 0; i < n;) {
		/* runs of plain printable ASCII (nearly all text) are copied in one go */
		size_t j = i;
		while (j < n && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x7f && s[j] != '"' &&
		       s[j] != '\\')
			j++;
		memcpy(o, s + i, j - i);
		o += j - i;
		if ((i = j) >= n)
			break;
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
			if (esc) {
				memcpy(o, esc, 2);
				o += 2;
			} else {
				o[0] = '\\';
				o[1] = 'u';
				o[2] = o[3] = '0';
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				o += 6;
			}
			i++;
			continue;
		}
		size_t k = utf8_len((const unsigned char *)s + i, n - i);
		if (k) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			static const char replacement[6] = { '\\', 'u', 'f', 'f', 'f', 'd' };
			memcpy(o, replacement, sizeof(replacement));
			o += 6;
			i++;
		}
	}
	*o++ = '"';
	return o;
}

/* A string literal: its length is known at compile time. */
#define PUT_LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

static char *put_cstr(char *o, const char *s)
{
	while (*s)
		*o++ = *s++;
	return o;
}

/* Field order as Suricata's own records; json-c is not used here because the replay writes
 * thousands of these per second and building an object tree per alert was a third of its time. */
char *xv_net_alert_eve(const struct xv_net_alert *a)
{
	char ts[40], s[48], d[48], sm[18], dm[18], pb[8];
	ts_text(a->ts_usec, ts, sizeof(ts));
	ip_text(a, a->src_ip, s, sizeof(s));
	ip_text(a, a->dst_ip, d, sizeof(d));
	mac_text(a->src_mac, sm, sizeof(sm));
	mac_text(a->dst_mac, dm, sizeof(dm));
	/* fixed text and numbers < 512 bytes; each string at most 6 bytes per input byte */
	size_t cap = 512 + 6 * (sizeof(a->msg) + sizeof(a->category) + sizeof(a->port_name)) +
		     2 * sizeof(s) + 2 * sizeof(ts);
	char *buf = malloc(cap), *o = buf;
	if (!buf)
		return NULL;
	o = PUT_LIT(o, "{\"timestamp\":\"");
	o = put_cstr(o, ts);
	o = PUT_LIT(o, "\",\"event_type\":\"alert\"");
	if (a->family) {
		o = PUT_LIT(o, ",\"src_ip\":\"");
		o = put_cstr(o, s);
		o = PUT_LIT(o, "\",\"dest_ip\":\"");
		o = put_cstr(o, d);
		*o++ = '"';
	}
	if (a->proto == 6 || a->proto == 17) {
		o = PUT_LIT(o, ",\"src_port\":");
		o = put_u(o, a->src_port);
		o = PUT_LIT(o, ",\"dest_port\":");
		o = put_u(o, a->dst_port);
	}
	o = PUT_LIT(o, ",\"proto\":\"");
	o = put_cstr(o, proto_name(a, pb, sizeof(pb)));
	*o++ = '"';
	if (a->port_name[0]) {
		o = PUT_LIT(o, ",\"in_iface\":");
		o = put_str(o, a->port_name, sizeof(a->port_name));
	}
	o = PUT_LIT(o, ",\"alert\":{\"action\":\"");
	o = put_cstr(o, a->action == XV_ACT_DROP ? "blocked" : "allowed");
	o = PUT_LIT(o, "\",\"gid\":");
	o = put_u(o, a->gid);
	o = PUT_LIT(o, ",\"signature_id\":");
	o = put_u(o, a->sid);
	o = PUT_LIT(o, ",\"rev\":");
	o = put_u(o, a->rev);
	o = PUT_LIT(o, ",\"signature\":");
	o = put_str(o, a->msg, sizeof(a->msg));
	o = PUT_LIT(o, ",\"category\":");
	o = put_str(o, a->category, sizeof(a->category));
	o = PUT_LIT(o, ",\"severity\":");
	o = put_u(o, a->severity);
	o = PUT_LIT(o, "},\"ether\":{\"src_mac\":\"");
	o = put_cstr(o, sm);
	o = PUT_LIT(o, "\",\"dest_mac\":\"");
	o = put_cstr(o, dm);
	o = PUT_LIT(o, "\"}}");
	*o = 0;
	return buf;
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
