/* decode.h — bounds-checked decoders for Ethernet, 802.1Q, ARP, IPv4, IPv6, TCP, UDP, ICMP(v6). */
#ifndef XV_NET_DECODE_H
#define XV_NET_DECODE_H

#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>

/* Why a frame was rejected (xv_net_stats.malformed_by index). */
enum xv_malformed {
	XV_BAD_NONE = 0,
	XV_BAD_ETH_SHORT,     /* fewer than 14 bytes */
	XV_BAD_VLAN_SHORT,    /* 802.1Q tag truncated, or too many nested tags */
	XV_BAD_ARP,           /* ARP shorter than its header, or not Ethernet/IPv4 sizes */
	XV_BAD_IP4_SHORT,     /* fewer than 20 bytes */
	XV_BAD_IP4_HDR,       /* version != 4, IHL < 5, or header longer than the frame */
	XV_BAD_IP4_LEN,       /* total length < header, or longer than the frame */
	XV_BAD_IP4_OPT,       /* an option runs past the header */
	XV_BAD_IP6_SHORT,     /* fewer than 40 bytes, or version != 6 */
	XV_BAD_IP6_LEN,       /* payload length longer than the frame */
	XV_BAD_IP6_EXT,       /* an extension header runs past the packet, or too many of them */
	XV_BAD_TCP,           /* TCP header truncated or data offset < 5 / past the packet */
	XV_BAD_UDP,           /* UDP header truncated or length lies */
	XV_BAD_ICMP,          /* ICMP header truncated */
	XV_BAD__COUNT
};

/* Address in 16 bytes; IPv4 is stored as ::ffff:a.b.c.d so one mask compare serves both. hi/lo
 * are the two halves in host order (big-endian interpretation) for fast prefix compares. */
struct xv_ip {
	uint64_t hi, lo;
};

enum { XV_L3_NONE = 0, XV_L3_ARP, XV_L3_IP4, XV_L3_IP6 };

struct xv_pkt {
	const uint8_t *frame;
	uint32_t len;
	const uint8_t *dst_mac, *src_mac; /* point into frame */
	uint16_t ethertype;               /* after VLAN tags */
	uint16_t vlan;                    /* innermost VLAN id */
	uint8_t vlan_depth;
	uint8_t l3;                       /* XV_L3_* */
	/* ARP */
	uint16_t arp_op;
	const uint8_t *arp_sha, *arp_tha; /* sender/target MAC */
	uint32_t arp_spa, arp_tpa;        /* sender/target IPv4, host order */
	/* IP */
	uint8_t proto;                    /* final upper-layer protocol (after IPv6 ext headers) */
	uint8_t ttl;
	bool frag;                        /* part of a fragmented datagram */
	bool frag_first;                  /* offset 0: carries the L4 header */
	uint16_t frag_offset;             /* in bytes */
	uint16_t ip_id;
	uint8_t ip4_opt_len;              /* IPv4 option bytes */
	uint8_t ip6_ext_count;
	struct xv_ip src, dst;
	uint32_t src4, dst4;              /* IPv4 host order (0 for IPv6) */
	/* L4, valid when has_l4 */
	bool has_l4;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload;           /* L4 payload (or IP payload of non-first fragments) */
	uint32_t payload_len;
};

#define XV_TCP_FIN 0x01
#define XV_TCP_SYN 0x02
#define XV_TCP_RST 0x04
#define XV_TCP_PSH 0x08
#define XV_TCP_ACK 0x10
#define XV_TCP_URG 0x20
#define XV_TCP_ECE 0x40
#define XV_TCP_CWR 0x80

/* Decode a frame. Returns XV_BAD_NONE or the reason; p holds whatever decoded before the error
 * (L2 fields are always valid when the frame has >= 14 bytes). */
enum xv_malformed xv_decode(struct xv_pkt *p, const uint8_t *frame, uint32_t len);

static inline uint16_t xv_be16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t xv_be32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static inline void xv_ip_from4(struct xv_ip *a, uint32_t v4)
{
	a->hi = 0;
	a->lo = 0x0000ffff00000000ull | v4;
}

static inline bool xv_ip_is4(const struct xv_ip *a)
{
	return a->hi == 0 && (a->lo >> 32) == 0xffff;
}

static inline void xv_ip_from16(struct xv_ip *a, const uint8_t *b)
{
	a->hi = ((uint64_t)xv_be32(b) << 32) | xv_be32(b + 4);
	a->lo = ((uint64_t)xv_be32(b + 8) << 32) | xv_be32(b + 12);
}

/* Bytes in network order: 4 for IPv4, 16 for IPv6; returns the family (4 or 6). */
int xv_ip_to_bytes(const struct xv_ip *a, uint8_t out[16]);
/* Text form; buf at least 46 bytes. */
const char *xv_ip_str(const struct xv_ip *a, char *buf, unsigned size);

#endif
