/* decode.c — frame decoders: every field is read only after its length has been checked. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "net/decode.h"

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_IPV6 0x86dd

/* Q-in-Q in practice nests two tags; more than this is a crafted frame. */
#define MAX_VLAN_DEPTH 4
#define MAX_IP6_EXT 8

static enum xv_malformed decode_l4(struct xv_pkt *p, const uint8_t *b, uint32_t len)
{
	p->payload = b;
	p->payload_len = len;
	switch (p->proto) {
	case IPPROTO_TCP: {
		if (len < 20)
			return XV_BAD_TCP;
		uint32_t doff = (uint32_t)(b[12] >> 4) * 4;
		if (doff < 20 || doff > len)
			return XV_BAD_TCP;
		p->sport = xv_be16(b);
		p->dport = xv_be16(b + 2);
		p->seq = xv_be32(b + 4);
		p->ack = xv_be32(b + 8);
		p->tcp_flags = b[13];
		p->payload = b + doff;
		p->payload_len = len - doff;
		break;
	}
	case IPPROTO_UDP: {
		if (len < 8)
			return XV_BAD_UDP;
		uint32_t ulen = xv_be16(b + 4);
		/* A fragmented datagram's UDP length covers all fragments, so only check when whole. */
		if (!p->frag && (ulen < 8 || ulen > len))
			return XV_BAD_UDP;
		p->sport = xv_be16(b);
		p->dport = xv_be16(b + 2);
		p->payload = b + 8;
		p->payload_len = (p->frag ? len : ulen) - 8;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len < 4)
			return XV_BAD_ICMP;
		p->icmp_type = b[0];
		p->icmp_code = b[1];
		p->payload = b + 4;
		p->payload_len = len - 4;
		break;
	default:
		return XV_BAD_NONE; /* other protocols: IP-level only */
	}
	p->has_l4 = true;
	return XV_BAD_NONE;
}

static enum xv_malformed decode_ip4(struct xv_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 20)
		return XV_BAD_IP4_SHORT;
	uint32_t ihl = (uint32_t)(b[0] & 0x0f) * 4;
	if ((b[0] >> 4) != 4 || ihl < 20 || ihl > len)
		return XV_BAD_IP4_HDR;
	uint32_t tot = xv_be16(b + 2);
	if (tot < ihl || tot > len)
		return XV_BAD_IP4_LEN;
	/* Options: EOL ends, NOP is one byte, anything else is type/length/value within the header. */
	for (uint32_t i = 20; i < ihl;) {
		uint8_t t = b[i];
		if (t == 0)
			break;
		if (t == 1) {
			i++;
			continue;
		}
		if (i + 1 >= ihl || b[i + 1] < 2 || i + b[i + 1] > ihl)
			return XV_BAD_IP4_OPT;
		i += b[i + 1];
	}
	p->l3 = XV_L3_IP4;
	p->ip4_opt_len = (uint8_t)(ihl - 20);
	p->ttl = b[8];
	p->proto = b[9];
	p->ip_id = xv_be16(b + 4);
	p->src4 = xv_be32(b + 12);
	p->dst4 = xv_be32(b + 16);
	xv_ip_from4(&p->src, p->src4);
	xv_ip_from4(&p->dst, p->dst4);
	uint16_t fo = xv_be16(b + 6);
	p->frag_offset = (uint16_t)((fo & 0x1fff) * 8);
	p->frag = (fo & 0x2000) || p->frag_offset;
	p->frag_first = p->frag_offset == 0;
	if (p->frag && !p->frag_first) {
		p->payload = b + ihl;
		p->payload_len = tot - ihl;
		return XV_BAD_NONE;
	}
	return decode_l4(p, b + ihl, tot - ihl);
}

static enum xv_malformed decode_ip6(struct xv_pkt *p, const uint8_t *b, uint32_t len)
{
	if (len < 40 || (b[0] >> 4) != 6)
		return XV_BAD_IP6_SHORT;
	uint32_t plen = xv_be16(b + 4);
	/* plen 0 means a jumbogram (hop-by-hop option); we do not accept those on Ethernet. */
	if (plen > len - 40)
		return XV_BAD_IP6_LEN;
	p->l3 = XV_L3_IP6;
	p->ttl = b[7];
	xv_ip_from16(&p->src, b + 8);
	xv_ip_from16(&p->dst, b + 24);
	p->frag_first = true;
	uint8_t nh = b[6];
	const uint8_t *q = b + 40;
	uint32_t left = plen;
	for (unsigned n = 0;; n++) {
		uint32_t hl;
		switch (nh) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
			if (left < 8)
				return XV_BAD_IP6_EXT;
			hl = ((uint32_t)q[1] + 1) * 8;
			break;
		case 44: /* fragment */
			if (left < 8)
				return XV_BAD_IP6_EXT;
			hl = 8;
			p->frag_offset = (uint16_t)(xv_be16(q + 2) & 0xfff8);
			p->frag = p->frag_offset || (q[3] & 1);
			p->frag_first = p->frag_offset == 0;
			p->ip_id = (uint16_t)xv_be32(q + 4);
			break;
		case 51: /* AH: length in 4-byte units minus 2 */
			if (left < 8)
				return XV_BAD_IP6_EXT;
			hl = ((uint32_t)q[1] + 2) * 4;
			break;
		default:
			goto upper;
		}
		if (n >= MAX_IP6_EXT || hl > left)
			return XV_BAD_IP6_EXT;
		p->ip6_ext_count++;
		nh = q[0];
		q += hl;
		left -= hl;
	}
upper:
	p->proto = nh;
	if (p->frag && !p->frag_first) {
		p->payload = q;
		p->payload_len = left;
		return XV_BAD_NONE;
	}
	return decode_l4(p, q, left);
}

static enum xv_malformed decode_arp(struct xv_pkt *p, const uint8_t *b, uint32_t len)
{
	/* Only Ethernet/IPv4 ARP exists on our segment: htype 1, ptype 0x0800, sizes 6 and 4. */
	if (len < 28 || xv_be16(b) != 1 || xv_be16(b + 2) != ETH_P_IP || b[4] != 6 || b[5] != 4)
		return XV_BAD_ARP;
	p->l3 = XV_L3_ARP;
	p->arp_op = xv_be16(b + 6);
	p->arp_sha = b + 8;
	p->arp_spa = xv_be32(b + 14);
	p->arp_tha = b + 18;
	p->arp_tpa = xv_be32(b + 24);
	return XV_BAD_NONE;
}

enum xv_malformed xv_decode(struct xv_pkt *p, const uint8_t *frame, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->frame = frame;
	p->len = len;
	if (len < 14)
		return XV_BAD_ETH_SHORT;
	p->dst_mac = frame;
	p->src_mac = frame + 6;
	uint32_t off = 14;
	uint16_t et = xv_be16(frame + 12);
	while (et == ETH_P_8021Q || et == ETH_P_8021AD) {
		if (p->vlan_depth >= MAX_VLAN_DEPTH || off + 4 > len)
			return XV_BAD_VLAN_SHORT;
		p->vlan = xv_be16(frame + off) & 0x0fff;
		et = xv_be16(frame + off + 2);
		p->vlan_depth++;
		off += 4;
	}
	p->ethertype = et;
	switch (et) {
	case ETH_P_IP:
		return decode_ip4(p, frame + off, len - off);
	case ETH_P_IPV6:
		return decode_ip6(p, frame + off, len - off);
	case ETH_P_ARP:
		return decode_arp(p, frame + off, len - off);
	default:
		return XV_BAD_NONE;
	}
}

int xv_ip_to_bytes(const struct xv_ip *a, uint8_t out[16])
{
	if (xv_ip_is4(a)) {
		uint32_t v = (uint32_t)a->lo;
		out[0] = (uint8_t)(v >> 24);
		out[1] = (uint8_t)(v >> 16);
		out[2] = (uint8_t)(v >> 8);
		out[3] = (uint8_t)v;
		memset(out + 4, 0, 12);
		return 4;
	}
	for (int i = 0; i < 8; i++) {
		out[i] = (uint8_t)(a->hi >> (56 - 8 * i));
		out[8 + i] = (uint8_t)(a->lo >> (56 - 8 * i));
	}
	return 6;
}

const char *xv_ip_str(const struct xv_ip *a, char *buf, unsigned size)
{
	uint8_t b[16];
	int fam = xv_ip_to_bytes(a, b);
	if (!inet_ntop(fam == 4 ? AF_INET : AF_INET6, b, buf, size))
		snprintf(buf, size, "?");
	return buf;
}
