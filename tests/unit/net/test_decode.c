/* test_decode.c — crafted frames for every decoder, including truncated and lying lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "frames.h"
#include "net/decode.h"
#include "xvids/net.h"

static void test_eth_short(void **s)
{
	(void)s;
	uint8_t f[64] = { 0 };
	struct xv_pkt p;
	for (uint32_t l = 0; l < 14; l++)
		assert_int_equal(xv_decode(&p, f, l), XV_BAD_ETH_SHORT);
	put16(f + 12, 0x1234); /* unknown ethertype: fine, L2 only */
	assert_int_equal(xv_decode(&p, f, 14), XV_BAD_NONE);
	assert_int_equal(p.l3, XV_L3_NONE);
	assert_int_equal(p.ethertype, 0x1234);
}

static void test_tcp4(void **s)
{
	(void)s;
	uint8_t f[256];
	struct xv_pkt p;
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 40000, IP4(10, 0, 0, 2), 2001,
				0x02, "hello");
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.l3, XV_L3_IP4);
	assert_int_equal(p.proto, 6);
	assert_true(p.has_l4);
	assert_int_equal(p.src4, IP4(10, 0, 0, 1));
	assert_int_equal(p.dst4, IP4(10, 0, 0, 2));
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 2001);
	assert_int_equal(p.tcp_flags, 0x02);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(p.payload, "hello", 5);
	assert_memory_equal(p.src_mac, MAC_A, 6);
	/* Ethernet padding after the IP datagram is not payload */
	memset(f + l, 0xAA, 20);
	assert_int_equal(xv_decode(&p, f, l + 20), XV_BAD_NONE);
	assert_int_equal(p.payload_len, 5);
	/* every truncation is caught */
	for (uint32_t t = 14; t < l; t++) {
		enum xv_malformed r = xv_decode(&p, f, t);
		assert_int_not_equal(r, XV_BAD_NONE);
	}
}

static void test_ip4_lies(void **s)
{
	(void)s;
	uint8_t f[256];
	struct xv_pkt p;
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 2, 0x10, "x");
	/* total length beyond the frame */
	put16(f + 16, 1500);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_LEN);
	/* total length smaller than the header */
	put16(f + 16, 10);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_LEN);
	put16(f + 16, (uint16_t)(l - 14));
	/* IHL < 5 */
	f[14] = 0x44;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_HDR);
	/* IHL = 15 (60 bytes) > datagram */
	f[14] = 0x4f;
	assert_int_equal(xv_decode(&p, f, 14 + 40), XV_BAD_IP4_HDR);
	/* version 5 */
	f[14] = 0x55;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_HDR);
	/* TCP data offset past the segment */
	f[14] = 0x45;
	f[14 + 20 + 12] = 0xf0;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_TCP);
	f[14 + 20 + 12] = 0x40; /* < 5 */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_TCP);
}

static void test_ip4_options(void **s)
{
	(void)s;
	uint8_t f[256];
	struct xv_pkt p;
	uint32_t o = eth(f, MAC_A, MAC_B, 0x0800);
	/* IHL 7: NOP, NOP, record-route (len 6), EOL */
	ip4(f + o, IP4(1, 2, 3, 4), IP4(5, 6, 7, 8), 17, 8);
	f[o] = 0x47;
	put16(f + o + 2, 28 + 8);
	uint8_t opts[8] = { 1, 1, 7, 6, 4, 0, 0, 0 };
	memcpy(f + o + 20, opts, 8);
	uint8_t *u = f + o + 28;
	put16(u, 53);
	put16(u + 2, 53);
	put16(u + 4, 8);
	put16(u + 6, 0);
	uint32_t l = o + 28 + 8;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.ip4_opt_len, 8);
	assert_int_equal(p.dport, 53);
	/* an option that claims to run past the header */
	f[o + 20 + 3] = 9;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_OPT);
	/* option length 0 or 1 would loop forever in a naive walker */
	f[o + 20 + 3] = 0;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_OPT);
	f[o + 20 + 3] = 1;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_OPT);
	/* option type at the last byte with no room for its length */
	memset(f + o + 20, 1, 8);
	f[o + 27] = 7;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP4_OPT);
}

static void test_ip4_fragments(void **s)
{
	(void)s;
	uint8_t f[256];
	struct xv_pkt p;
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 1234, IP4(10, 0, 0, 2), 80, 0x18,
				"GET / HTTP/1.0");
	/* first fragment (MF set, offset 0): L4 header decoded */
	put16(f + 20, 0x2000);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_true(p.frag);
	assert_true(p.frag_first);
	assert_true(p.has_l4);
	assert_int_equal(p.dport, 80);
	/* a later fragment: no L4 header, the bytes are opaque payload */
	put16(f + 20, 0x0003); /* offset 24 bytes, last fragment */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_true(p.frag);
	assert_false(p.frag_first);
	assert_false(p.has_l4);
	assert_int_equal(p.frag_offset, 24);
	assert_int_equal(p.payload_len, 20 + 14);
	/* a tiny first fragment that cannot hold the TCP header is malformed */
	put16(f + 20, 0x2000);
	put16(f + 16, 20 + 8);
	assert_int_equal(xv_decode(&p, f, 14 + 28), XV_BAD_TCP);
}

static void test_vlan(void **s)
{
	(void)s;
	uint8_t f[256], g[256];
	struct xv_pkt p;
	uint32_t l = udp4_frame(f, MAC_A, MAC_B, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 53, "q");
	/* insert an 802.1Q tag (VLAN 42) */
	memcpy(g, f, 12);
	put16(g + 12, 0x8100);
	put16(g + 14, 42);
	memcpy(g + 16, f + 12, l - 12);
	assert_int_equal(xv_decode(&p, g, l + 4), XV_BAD_NONE);
	assert_int_equal(p.vlan, 42);
	assert_int_equal(p.vlan_depth, 1);
	assert_int_equal(p.dport, 53);
	assert_int_equal(xv_decode(&p, g, 16), XV_BAD_VLAN_SHORT);
	/* a frame made only of tags */
	uint8_t h[64];
	memcpy(h, f, 12);
	for (int i = 0; i < 12; i++) {
		put16(h + 12 + 4 * i, 0x8100);
		put16(h + 14 + 4 * i, 1);
	}
	assert_int_equal(xv_decode(&p, h, 60), XV_BAD_VLAN_SHORT);
}

static void test_udp_lies(void **s)
{
	(void)s;
	uint8_t f[256];
	struct xv_pkt p;
	uint32_t l = udp4_frame(f, MAC_A, MAC_B, IP4(10, 1, 1, 1), 5000, IP4(10, 1, 1, 2), 53, "abcd");
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.payload_len, 4);
	put16(f + 34 + 4, 200); /* UDP length beyond the datagram */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_UDP);
	put16(f + 34 + 4, 7); /* shorter than its header */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_UDP);
	put16(f + 34 + 4, 10); /* shorter than the datagram: trust the smaller */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.payload_len, 2);
	put16(f + 16, 20 + 4); /* IP says only 4 bytes of UDP */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_UDP);
}

static void test_arp(void **s)
{
	(void)s;
	uint8_t f[64];
	struct xv_pkt p;
	uint32_t l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.l3, XV_L3_ARP);
	assert_int_equal(p.arp_op, 2);
	assert_int_equal(p.arp_spa, IP4(10, 0, 0, 1));
	assert_memory_equal(p.arp_sha, MAC_A, 6);
	assert_int_equal(xv_decode(&p, f, l - 1), XV_BAD_ARP);
	f[14 + 4] = 8; /* hardware size that is not Ethernet's */
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_ARP);
}

static uint32_t ip6_frame(uint8_t *f, uint8_t nh, const uint8_t *ext, uint32_t extlen,
			  const uint8_t *l4, uint32_t l4len)
{
	uint32_t o = eth(f, MAC_A, MAC_B, 0x86dd);
	memset(f + o, 0, 40);
	f[o] = 0x60;
	put16(f + o + 4, (uint16_t)(extlen + l4len));
	f[o + 6] = nh;
	f[o + 7] = 64;
	f[o + 8] = 0xfd;
	f[o + 23] = 1;
	f[o + 24] = 0xfd;
	f[o + 39] = 2;
	if (extlen)
		memcpy(f + o + 40, ext, extlen);
	memcpy(f + o + 40 + extlen, l4, l4len);
	return o + 40 + extlen + l4len;
}

static void test_ip6(void **s)
{
	(void)s;
	uint8_t f[512], t[64];
	struct xv_pkt p;
	uint32_t tl = tcp(t, 33000, 22, 0x02, NULL, 0);
	/* hop-by-hop (8 bytes, PadN) then destination options (16 bytes) then TCP */
	uint8_t ext[24] = { 60, 0, 1, 4, 0, 0, 0, 0, 6, 1, 1, 12 };
	uint32_t l = ip6_frame(f, 0, ext, 24, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.l3, XV_L3_IP6);
	assert_int_equal(p.ip6_ext_count, 2);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.dport, 22);
	assert_false(xv_ip_is4(&p.src));
	char buf[64];
	assert_string_equal(xv_ip_str(&p.src, buf, sizeof(buf)), "fd00::1");
	/* ext header length pointing past the packet */
	f[14 + 40 + 8 + 1] = 20;
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
	/* payload length lies */
	f[14 + 40 + 8 + 1] = 1;
	put16(f + 14 + 4, 1000);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_LEN);
	assert_int_equal(xv_decode(&p, f, 14 + 39), XV_BAD_IP6_SHORT);
	/* a chain of many hop-by-hop headers is cut off */
	uint8_t many[80];
	for (int i = 0; i < 10; i++) {
		memset(many + 8 * i, 0, 8);
		many[8 * i] = i == 9 ? 6 : 60;
	}
	l = ip6_frame(f, 60, many, 80, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
	/* fragment header: first fragment decodes TCP, a later one does not */
	uint8_t fh[8] = { 6, 0, 0x00, 0x01, 0, 0, 0, 7 };
	l = ip6_frame(f, 44, fh, 8, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_true(p.frag && p.frag_first && p.has_l4);
	fh[2] = 0x01; /* offset 256 bytes */
	l = ip6_frame(f, 44, fh, 8, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_true(p.frag && !p.frag_first && !p.has_l4);
	assert_int_equal(p.frag_offset, 256);
}

/* Routing (43), AH (51, length in 4-byte units minus 2) and mobility (135) headers are walked to
 * the TCP header behind them; each cut short or lying about its length is an ext error. */
static void test_ip6_ext_kinds(void **s)
{
	(void)s;
	uint8_t f[512], t[64];
	struct xv_pkt p;
	uint32_t tl = tcp(t, 33000, 2001, 0x02, "x", 1);
	/* routing type 4 (segment routing) with one 16-byte segment: hdr ext len 2 -> 24 bytes;
	 * then AH with a 12-byte ICV: payload len (12 + 12) / 4 - 2 = 4 -> 24 bytes; then TCP */
	uint8_t ext[48] = { 51, 2, 4, 0, 0, 0, 0, 0, [8] = 0xfd, [23] = 9,
			    [24] = 6, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1 };
	uint32_t l = ip6_frame(f, 43, ext, 48, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.ip6_ext_count, 2);
	assert_int_equal(p.proto, 6);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 33000);
	assert_int_equal(p.dport, 2001);
	assert_int_equal(p.payload_len, 1);
	assert_int_equal(p.payload[0], 'x');
	/* every truncation of the frame (the IPv6 payload length then lies) is caught */
	for (uint32_t k = 14; k < l; k++)
		assert_int_not_equal(xv_decode(&p, f, k), XV_BAD_NONE);
	/* a datagram that ends inside the AH header (payload length agrees): ext error, not a read
	 * past the end */
	l = ip6_frame(f, 43, ext, 24 + 6, t, 0);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
	/* AH claiming more than what follows */
	ext[25] = 200;
	l = ip6_frame(f, 43, ext, 48, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
	ext[25] = 4;
	/* routing header claiming 8 * (1 + 10) bytes */
	ext[1] = 10;
	l = ip6_frame(f, 43, ext, 48, t, tl);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
	/* mobility header (binding refresh request, 8 bytes, payload proto 59 = none) then nothing:
	 * an IP-level packet, no L4 */
	uint8_t mh[8] = { 59, 0, 0, 0, 0, 0, 0, 0 };
	l = ip6_frame(f, 135, mh, 8, t, 0);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.ip6_ext_count, 1);
	assert_int_equal(p.proto, 59);
	assert_false(p.has_l4);
	/* mobility shorter than its 8-byte minimum */
	l = ip6_frame(f, 135, mh, 6, t, 0);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
	/* mobility header length past the packet */
	mh[1] = 3;
	l = ip6_frame(f, 135, mh, 8, t, 0);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_IP6_EXT);
}

static void test_icmp(void **s)
{
	(void)s;
	uint8_t f[128], ic[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };
	struct xv_pkt p;
	uint32_t o = eth(f, MAC_A, MAC_B, 0x0800);
	o += ip4(f + o, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 1, 8);
	memcpy(f + o, ic, 8);
	assert_int_equal(xv_decode(&p, f, o + 8), XV_BAD_NONE);
	assert_int_equal(p.icmp_type, 8);
	assert_true(p.has_l4);
	put16(f + 16, 20 + 3);
	assert_int_equal(xv_decode(&p, f, o + 8), XV_BAD_ICMP);
	/* ICMPv6 echo request */
	uint8_t ic6[8] = { 128, 0, 0, 0, 0, 1, 0, 1 };
	uint32_t l = ip6_frame(f, 58, NULL, 0, ic6, 8);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, 128);
	/* ICMPv6 cut below its 4-byte header (payload length agrees), directly and behind a
	 * destination-options header: counted as bad ICMP, no L4 */
	for (uint32_t k = 0; k < 4; k++) {
		l = ip6_frame(f, 58, ic6, 0, ic6, k);
		assert_int_equal(xv_decode(&p, f, l), XV_BAD_ICMP);
		assert_false(p.has_l4);
	}
	uint8_t dst[8] = { 58, 0, 1, 4, 0, 0, 0, 0 };
	l = ip6_frame(f, 60, dst, 8, ic6, 3);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_ICMP);
	l = ip6_frame(f, 60, dst, 8, ic6, 4);
	assert_int_equal(xv_decode(&p, f, l), XV_BAD_NONE);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(p.payload_len, 0);
	/* truncated ICMPv6 reaches the engine as malformed, not as an alert or a crash */
	struct xv_net *n = xv_net_new(NULL);
	assert_int_equal(xv_net_load_rules_str(n, "alert icmp any any -> any any (sid:1;)", "r"), 1);
	l = ip6_frame(f, 58, ic6, 0, ic6, 2);
	xv_net_inspect(n, f, l, 1, -1, NULL);
	struct xv_net_stats st;
	xv_net_get_stats(n, &st);
	assert_int_equal(st.malformed_by[XV_BAD_ICMP], 1);
	assert_int_equal(xv_net_alert_total(n), 0);
	l = ip6_frame(f, 58, ic6, 0, ic6, 8);
	xv_net_inspect(n, f, l, 2, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 1);
	xv_net_free(n);
}

/* Random garbage and random mutations of valid frames must never crash (run under ASan). */
static void test_fuzz(void **s)
{
	(void)s;
	uint8_t base[256], f[256];
	struct xv_pkt p;
	uint32_t l = tcp4_frame(base, MAC_A, MAC_B, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 2, 0x18,
				"payload payload");
	srand(1234);
	unsigned ok = 0, bad = 0;
	for (int i = 0; i < 200000; i++) {
		memcpy(f, base, l);
		int n = 1 + rand() % 4;
		for (int k = 0; k < n; k++)
			f[rand() % l] = (uint8_t)rand();
		if (i % 3 == 0)
			put16(f + 12, (uint16_t)(i % 2 ? 0x86dd : 0x8100));
		uint32_t len = (uint32_t)(rand() % (int)(l + 1));
		uint8_t *copy = malloc(len ? len : 1); /* exact-size buffer: ASan catches overreads */
		memcpy(copy, f, len);
		if (xv_decode(&p, copy, len) == XV_BAD_NONE)
			ok++;
		else
			bad++;
		free(copy);
	}
	assert_true(ok > 0 && bad > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_short),    cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_ip4_lies),     cmocka_unit_test(test_ip4_options),
		cmocka_unit_test(test_ip4_fragments), cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_udp_lies),     cmocka_unit_test(test_arp),
		cmocka_unit_test(test_ip6),          cmocka_unit_test(test_ip6_ext_kinds),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
