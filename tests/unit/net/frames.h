/* frames.h — builders of crafted Ethernet frames for the net unit tests. */
#ifndef XV_TEST_FRAMES_H
#define XV_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

static inline void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void put32be(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t MAC_EVIL[6] = { 0x52, 0x54, 0x00, 0xee, 0xee, 0xee };

static inline uint32_t eth(uint8_t *f, const uint8_t *src, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return 14;
}

/* IPv4 header (no options) at f; returns its length. */
static inline uint32_t ip4(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4len)
{
	memset(f, 0, 20);
	f[0] = 0x45;
	put16(f + 2, (uint16_t)(20 + l4len));
	f[8] = 64;
	f[9] = proto;
	put32be(f + 12, src);
	put32be(f + 16, dst);
	return 20;
}

static inline uint32_t tcp(uint8_t *f, uint16_t sp, uint16_t dp, uint8_t flags, const void *pl,
			   uint32_t plen)
{
	memset(f, 0, 20);
	put16(f, sp);
	put16(f + 2, dp);
	put32be(f + 4, 1000);
	f[12] = 5 << 4;
	f[13] = flags;
	put16(f + 14, 65535);
	if (plen)
		memcpy(f + 20, pl, plen);
	return 20 + plen;
}

/* A whole Ethernet/IPv4/TCP frame; returns its length. */
static inline uint32_t tcp4_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac, uint32_t src,
				  uint16_t sp, uint32_t dst, uint16_t dp, uint8_t flags, const char *pl)
{
	uint32_t plen = pl ? (uint32_t)strlen(pl) : 0;
	uint32_t o = eth(f, smac, dmac, 0x0800);
	o += ip4(f + o, src, dst, 6, 20 + plen);
	o += tcp(f + o, sp, dp, flags, pl, plen);
	return o;
}

static inline uint32_t udp4_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac, uint32_t src,
				  uint16_t sp, uint32_t dst, uint16_t dp, const char *pl)
{
	uint32_t plen = pl ? (uint32_t)strlen(pl) : 0;
	uint32_t o = eth(f, smac, dmac, 0x0800);
	o += ip4(f + o, src, dst, 17, 8 + plen);
	put16(f + o, sp);
	put16(f + o + 2, dp);
	put16(f + o + 4, (uint16_t)(8 + plen));
	put16(f + o + 6, 0);
	memcpy(f + o + 8, pl ? pl : "", plen);
	return o + 8 + plen;
}

static inline uint32_t arp_frame(uint8_t *f, const uint8_t *smac, uint16_t op, uint32_t spa,
				 uint32_t tpa)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t o = eth(f, smac, op == 1 ? bcast : MAC_B, 0x0806);
	put16(f + o, 1);
	put16(f + o + 2, 0x0800);
	f[o + 4] = 6;
	f[o + 5] = 4;
	put16(f + o + 6, op);
	memcpy(f + o + 8, smac, 6);
	put32be(f + o + 14, spa);
	memset(f + o + 18, 0, 6);
	put32be(f + o + 24, tpa);
	return o + 28;
}

#endif
