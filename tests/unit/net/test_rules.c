/* test_rules.c — rule parser: accepted and rejected rules, address/port lists, and matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"
#include "net/netpriv.h"
#include "xvids/err.h"

static struct xv_net *mk(void)
{
	struct xv_net_config c = { .arp_spoof = -1, .syn_flood = -1, .port_scan = -1 };
	struct xv_net *n = xv_net_new(&c);
	assert_non_null(n);
	return n;
}

static void test_accept(void **s)
{
	(void)s;
	static const char *good[] = {
		"alert tcp any any -> any 2001 (msg:\"backdoor\"; sid:1;)",
		"alert tcp $HOME_NET any -> $EXTERNAL_NET [80,443,8000:8080] (msg:\"web\"; sid:2; rev:3;)",
		"drop udp !10.0.0.0/8 :1023 -> [10.1.0.0/16,!10.1.2.0/24] 1024: (sid:3;)",
		"pass ip any any <> fd00::/8 any (msg:\"v6 ok\"; sid:4;)",
		"alert tcp any any -> any any (msg:\"SYN only\"; flags:S,12; sid:5;)",
		"alert tcp any any -> any any (flags:+SA; flow:to_client; sid:6;)",
		"alert tcp any any -> any 80 (content:\"GET\"; offset:0; depth:3; content:\"|2f 65 74 63|\"; nocase; sid:7;)",
		"alert tcp any any -> any any (msg:\"semi\\; colon \\\"quoted\\\"\"; content:\"a\\;b\"; sid:8;)",
		"alert tcp any any -> any 22 (flow:to_server,established; threshold: type limit, track by_src, count 1, seconds 60; sid:9;)",
		"alert tcp any any -> any 22 (detection_filter: track by_dst, count 5, seconds 10; classtype:attempted-admin; priority:1; reference:url,example.org; metadata:a b; sid:10;)",
		"alert icmp any any -> any any (msg:\"ping\"; sid:11;)",
		"alert tcp any any -> any ![22,80] (content:!\"benign\"; sid:12;)",
		"alert tcp any any -> any $HTTP_PORTS (sid:13;)",
	};
	struct xv_net *n = mk();
	assert_int_equal(xv_net_set_var(n, "HOME_NET", "[10.0.0.0/8,192.168.0.0/16]"), 0);
	assert_int_equal(xv_net_set_var(n, "HTTP_PORTS", "[80,8080]"), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r = xv_net_load_rules_str(n, good[i], "good.rules");
		if (r != 1)
			fail_msg("rejected: %s: %s", good[i], xv_errmsg());
	}
	assert_int_equal(xv_net_rule_count(n), sizeof(good) / sizeof(good[0]));
	const struct xv_rule *r = &n->rules[7];
	assert_string_equal(r->msg, "semi; colon \"quoted\"");
	assert_int_equal(r->contents[0].len, 3);
	r = &n->rules[6];
	assert_int_equal(r->ncontents, 2);
	assert_memory_equal(r->contents[1].pat, "/etc", 4);
	assert_true(r->contents[1].nocase);
	assert_int_equal(r->contents[0].depth, 3);
	r = &n->rules[9];
	assert_int_equal(r->severity, 1);
	assert_int_equal(r->dfilter.count, 5);
	assert_int_equal(r->dfilter.track, XV_TRACK_DST);
	assert_string_equal(r->classtype, "attempted-admin");
	xv_net_free(n);
}

static void test_reject(void **s)
{
	(void)s;
	static const struct {
		const char *rule, *want;
	} bad[] = {
		{ "alert tcp any any -> any 80 (msg:\"x\"; pcre:\"/a/\"; sid:1;)", "unsupported option 'pcre'" },
		{ "alert tcp any any -> any 80 (msg:\"x\";)", "no sid" },
		{ "reject tcp any any -> any 80 (sid:1;)", "unsupported action" },
		{ "alert sctp any any -> any 80 (sid:1;)", "unsupported protocol" },
		{ "alert tcp any any => any 80 (sid:1;)", "expected '->'" },
		{ "alert tcp 10.0.0.300 any -> any 80 (sid:1;)", "bad address" },
		{ "alert tcp 10.0.0.0/33 any -> any 80 (sid:1;)", "prefix" },
		{ "alert tcp any 70000 -> any 80 (sid:1;)", "bad port" },
		{ "alert tcp any 90:80 -> any 80 (sid:1;)", "empty port range" },
		{ "alert tcp $NOPE any -> any 80 (sid:1;)", "undefined variable" },
		{ "alert tcp [1.2.3.4 any -> any 80 (sid:1;)", "" },
		{ "alert tcp any any -> any 80 (nocase; sid:1;)", "nocase without" },
		{ "alert tcp any any -> any 80 (content:\"abc\"; depth:2; sid:1;)", "shorter" },
		{ "alert tcp any any -> any 80 (content:\"|4g|\"; sid:1;)", "hex" },
		{ "alert tcp any any -> any 80 (flags:SX; sid:1;)", "unknown flag" },
		{ "alert tcp any any -> any 80 (flow:to_server,to_client; sid:1;)", "never match" },
		{ "alert tcp any any -> any 80 (flow:sideways; sid:1;)", "unsupported keyword" },
		{ "alert tcp any any -> any 80 (threshold: type limit, count 1, seconds 1; sid:1;)", "track" },
		{ "alert tcp any any -> any 80 (threshold: type often, track by_src, count 1, seconds 1; sid:1;)", "unknown type" },
		{ "alert tcp any any -> any 80 (detection_filter: track by_rule, count 1, seconds 1; sid:1;)", "unsupported track" },
		{ "alert tcp any any -> any 80 (msg:\"unterminated; sid:1;)", "unterminated" },
		{ "alert tcp any any -> any 80 (sid:1;", "must end with ')'" },
		{ "alert tcp any any -> any 80", "no options" },
		{ "alert icmp any 80 -> any any (sid:1;)", "ports given" },
		{ "alert udp any any -> any any (flags:S; sid:1;)", "non-TCP" },
		{ "alert tcp any any -> any !any (sid:1;)", "matches nothing" },
		{ "alert tcp any any -> any 80 (sid:0;)", "positive" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xv_net *n = mk();
		char text[512];
		snprintf(text, sizeof(text), "# comment\n\n%s\n", bad[i].rule);
		int r = xv_net_load_rules_str(n, text, "bad.rules");
		if (r >= 0)
			fail_msg("accepted: %s", bad[i].rule);
		const char *m = xv_errmsg();
		if (strncmp(m, "bad.rules:3: ", 13) || !strstr(m, bad[i].want))
			fail_msg("rule %s: message '%s' lacks FILE:LINE or '%s'", bad[i].rule, m,
				 bad[i].want);
		assert_int_equal(xv_net_rule_count(n), 0);
		xv_net_free(n);
	}
	/* duplicate sids; the first rule stays loaded */
	struct xv_net *n = mk();
	assert_true(xv_net_load_rules_str(n, "alert ip any any -> any any (sid:5;)\n"
					     "alert ip any any -> any any (sid:5;)\n", "d") < 0);
	assert_non_null(strstr(xv_errmsg(), "d:2: duplicate sid 5"));
	assert_int_equal(xv_net_rule_count(n), 1);
	/* a variable loop */
	assert_int_equal(xv_net_set_var(n, "A", "1.2.3.4"), 0);
	assert_int_equal(xv_net_set_var(n, "B", "[$A,5.6.7.8]"), 0);
	assert_true(xv_net_set_var(n, "A", "$B") < 0);
	xv_net_free(n);
}

static void test_lists(void **s)
{
	(void)s;
	struct xv_net *n = mk();
	struct xv_addrset a;
	struct xv_portset p;
	struct xv_ip ip;
	assert_int_equal(xv_net_set_var(n, "HOME_NET", "[10.0.0.0/8,!10.9.0.0/16]"), 0);
	assert_int_equal(xv_addrset_parse(n, "$HOME_NET", &a, 0), 0);
	xv_ip_from4(&ip, IP4(10, 1, 2, 3));
	assert_true(xv_addrset_match(&a, &ip));
	xv_ip_from4(&ip, IP4(10, 9, 2, 3));
	assert_false(xv_addrset_match(&a, &ip));
	xv_ip_from4(&ip, IP4(11, 0, 0, 1));
	assert_false(xv_addrset_match(&a, &ip));
	xv_addrset_free(&a);
	assert_int_equal(xv_addrset_parse(n, "$EXTERNAL_NET", &a, 0), 0);
	assert_true(xv_addrset_match(&a, &ip)); /* 11.0.0.1 is external */
	xv_ip_from4(&ip, IP4(10, 1, 2, 3));
	assert_false(xv_addrset_match(&a, &ip));
	xv_addrset_free(&a);
	/* IPv6 prefixes; an IPv4 rule never matches an IPv6 address */
	assert_int_equal(xv_addrset_parse(n, "[fd00::/8, 0.0.0.0/0]", &a, 0), 0);
	uint8_t b6[16] = { 0xfd, 0x12 };
	xv_ip_from16(&ip, b6);
	assert_true(xv_addrset_match(&a, &ip));
	b6[0] = 0xfe;
	xv_ip_from16(&ip, b6);
	assert_false(xv_addrset_match(&a, &ip));
	xv_addrset_free(&a);
	assert_int_equal(xv_portset_parse(n, "[1:1024,!80,8080]", &p, 0), 0);
	assert_true(xv_portset_match(&p, 22));
	assert_false(xv_portset_match(&p, 80));
	assert_true(xv_portset_match(&p, 8080));
	assert_false(xv_portset_match(&p, 8081));
	free(p.v);
	assert_int_equal(xv_portset_parse(n, "!:1023", &p, 0), 0);
	assert_false(xv_portset_match(&p, 22));
	assert_true(xv_portset_match(&p, 40000));
	free(p.v);
	xv_net_free(n);
}

static unsigned run(struct xv_net *n, const uint8_t *f, uint32_t l, uint64_t t)
{
	uint64_t before = xv_net_alert_total(n);
	xv_net_inspect(n, f, l, t, -1, NULL);
	return (unsigned)(xv_net_alert_total(n) - before);
}

static void test_match(void **s)
{
	(void)s;
	struct xv_net *n = mk();
	assert_int_equal(xv_net_set_var(n, "HOME_NET", "10.0.0.0/24"), 0);
	const char *rules =
		"alert tcp any any -> $HOME_NET 2001 (msg:\"backdoor\"; flags:S; sid:100;)\n"
		"alert tcp any any -> $HOME_NET 80 (msg:\"passwd\"; flow:to_server,established; "
		"content:\"/ETC/passwd\"; nocase; sid:101;)\n"
		"alert tcp any any -> any 80 (msg:\"GET at start\"; content:\"GET\"; depth:3; sid:102;)\n"
		"drop tcp any any -> any 6666 (msg:\"drop me\"; sid:103;)\n"
		"pass tcp 10.0.0.9 any -> any 6666 (sid:104;)\n"
		"alert tcp any any -> any 7000 (msg:\"limited\"; threshold: type limit, track by_src, count 2, seconds 60; sid:105;)\n"
		"alert tcp any any -> any 7001 (msg:\"filtered\"; detection_filter: track by_src, count 3, seconds 60; sid:106;)\n"
		"alert tcp any any -> any 7002 (msg:\"every 2nd\"; threshold: type threshold, track by_dst, count 2, seconds 60; sid:107;)\n";
	assert_int_equal(xv_net_load_rules_str(n, rules, "m.rules"), 8);
	uint8_t f[512];
	uint32_t cl = IP4(192, 168, 1, 5), sv = IP4(10, 0, 0, 2);
	uint64_t t = 1700000000000000ull;
	uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, cl, 40000, sv, 2001, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, t), 1);
	const struct xv_net_alert *a = xv_net_alert_get(n, 0);
	assert_int_equal(a->sid, 100);
	assert_memory_equal(a->src_mac, MAC_EVIL, 6);
	assert_int_equal(a->src_ip[0], 192);
	assert_int_equal(a->dst_port, 2001);
	/* SYN-ACK back is not "flags:S" (exact) */
	l = tcp4_frame(f, MAC_B, MAC_EVIL, sv, 2001, cl, 40000, XV_TCP_SYN | XV_TCP_ACK, NULL);
	assert_int_equal(run(n, f, l, t), 0);
	/* outside HOME_NET: no alert */
	l = tcp4_frame(f, MAC_EVIL, MAC_B, cl, 40000, IP4(10, 0, 1, 2), 2001, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, t), 0);

	/* content with flow: only after the handshake, only to the server */
	l = tcp4_frame(f, MAC_A, MAC_B, cl, 41000, sv, 80, XV_TCP_PSH | XV_TCP_ACK, "GET /etc/PASSWD");
	assert_int_equal(run(n, f, l, t), 1); /* midstream: only the depth-3 GET rule */
	assert_int_equal(xv_net_alert_get(n, 1)->sid, 102);
	l = tcp4_frame(f, MAC_A, MAC_B, cl, 41001, sv, 80, XV_TCP_SYN, NULL);
	run(n, f, l, t);
	l = tcp4_frame(f, MAC_B, MAC_A, sv, 80, cl, 41001, XV_TCP_SYN | XV_TCP_ACK, NULL);
	run(n, f, l, t);
	l = tcp4_frame(f, MAC_A, MAC_B, cl, 41001, sv, 80, XV_TCP_ACK, NULL);
	run(n, f, l, t);
	l = tcp4_frame(f, MAC_A, MAC_B, cl, 41001, sv, 80, XV_TCP_PSH | XV_TCP_ACK, "xx GET /etc/PASSWD");
	assert_int_equal(run(n, f, l, t), 1);
	assert_int_equal(xv_net_alert_get(n, 2)->sid, 101);
	/* the same bytes from the server are not to_server */
	l = tcp4_frame(f, MAC_B, MAC_A, sv, 80, cl, 41001, XV_TCP_PSH | XV_TCP_ACK, "xx GET /etc/PASSWD");
	assert_int_equal(run(n, f, l, t), 0);

	/* drop verdict, and pass wins */
	l = tcp4_frame(f, MAC_A, MAC_B, cl, 42000, sv, 6666, XV_TCP_SYN, NULL);
	assert_int_equal(xv_net_inspect(n, f, l, t, -1, NULL), XV_VERDICT_DROP);
	assert_int_equal(xv_net_alert_get(n, 3)->action, XV_ACT_DROP);
	l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 9), 42000, sv, 6666, XV_TCP_SYN, NULL);
	uint64_t before = xv_net_alert_total(n);
	assert_int_equal(xv_net_inspect(n, f, l, t, -1, NULL), XV_VERDICT_FORWARD);
	assert_int_equal(xv_net_alert_total(n), before);

	/* threshold limit 2 per minute per source */
	unsigned got = 0;
	for (int i = 0; i < 5; i++) {
		l = tcp4_frame(f, MAC_A, MAC_B, cl, (uint16_t)(43000 + i), sv, 7000, XV_TCP_SYN, NULL);
		got += run(n, f, l, t + (uint64_t)i);
	}
	assert_int_equal(got, 2);
	/* a new window lets it alert again */
	l = tcp4_frame(f, MAC_A, MAC_B, cl, 43100, sv, 7000, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, t + 61000000ull), 1);
	t += 61000000ull;
	/* detection_filter count 3: the 4th and later matches alert */
	got = 0;
	for (int i = 0; i < 6; i++) {
		l = tcp4_frame(f, MAC_A, MAC_B, cl, (uint16_t)(44000 + i), sv, 7001, XV_TCP_SYN, NULL);
		unsigned k = run(n, f, l, t);
		if (i < 3)
			assert_int_equal(k, 0);
		got += k;
	}
	assert_int_equal(got, 3);
	/* threshold type threshold count 2: every 2nd */
	got = 0;
	for (int i = 0; i < 6; i++) {
		l = tcp4_frame(f, MAC_A, MAC_B, cl, (uint16_t)(45000 + i), sv, 7002, XV_TCP_SYN, NULL);
		got += run(n, f, l, t);
	}
	assert_int_equal(got, 3);
	xv_net_free(n);
}

/* Many rules: the grouping by port must give the same answers as checking every rule. */
static void test_grouping(void **s)
{
	(void)s;
	struct xv_net *n = mk();
	char *text = malloc(1 << 20), *p = text;
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "alert %s any any -> 10.0.0.0/8 %d (msg:\"r%d\"; sid:%d;)\n",
			     i % 2 ? "udp" : "tcp", 1000 + i, i, 1000 + i);
	p += sprintf(p, "alert tcp any 5555 -> any any (msg:\"sport\"; sid:1;)\n");
	p += sprintf(p, "alert tcp any any -> any [3000:3100] (msg:\"range\"; sid:2;)\n");
	p += sprintf(p, "alert ip any any -> 10.0.0.99 any (msg:\"ip\"; sid:3;)\n");
	assert_int_equal(xv_net_load_rules_str(n, text, "many"), 303);
	free(text);
	uint8_t f[256];
	uint64_t t = 1;
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(1, 1, 1, 1), 5555, IP4(10, 0, 0, 99), 1000,
				XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, t), 3); /* dport 1000 tcp, sport 5555, ip */
	l = tcp4_frame(f, MAC_A, MAC_B, IP4(1, 1, 1, 1), 1, IP4(10, 0, 0, 1), 1001, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, t), 0); /* 1001 is a UDP rule */
	l = udp4_frame(f, MAC_A, MAC_B, IP4(1, 1, 1, 1), 1, IP4(10, 0, 0, 1), 1001, "x");
	assert_int_equal(run(n, f, l, t), 1);
	l = tcp4_frame(f, MAC_A, MAC_B, IP4(1, 1, 1, 1), 1, IP4(10, 0, 0, 1), 3050, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, t), 1);
	xv_net_free(n);
}

/* "<>" matches both directions, the ports swapping with the addresses; "->" only one way. */
static void test_bidir(void **s)
{
	(void)s;
	struct xv_net *n = mk();
	assert_int_equal(xv_net_load_rules_str(n,
		"alert tcp 10.0.0.5 any <> 10.0.0.9 22 (msg:\"ssh either way\"; sid:1;)\n"
		"alert udp 10.0.0.5 any -> 10.0.0.9 53 (msg:\"dns one way\"; sid:2;)\n", "b"), 2);
	uint8_t f[256];
	uint32_t a = IP4(10, 0, 0, 5), b = IP4(10, 0, 0, 9), c = IP4(10, 0, 0, 7);
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, a, 40000, b, 22, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, 1), 1);
	/* the reply: source and destination (and ports) swapped still matches */
	l = tcp4_frame(f, MAC_B, MAC_A, b, 22, a, 40000, XV_TCP_SYN | XV_TCP_ACK, NULL);
	assert_int_equal(run(n, f, l, 2), 1);
	const struct xv_net_alert *al = xv_net_alert_get(n, 1);
	assert_int_equal(al->sid, 1);
	assert_int_equal(al->src_ip[3], 9); /* the alert reports the packet as it was */
	assert_int_equal(al->src_port, 22);
	/* addresses swapped but the port on the wrong side: neither direction fits */
	l = tcp4_frame(f, MAC_B, MAC_A, b, 40000, a, 22, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, 3), 0);
	/* a third host: no */
	l = tcp4_frame(f, MAC_A, MAC_B, c, 40000, b, 22, XV_TCP_SYN, NULL);
	assert_int_equal(run(n, f, l, 4), 0);
	/* "->" does not match the reverse direction */
	l = udp4_frame(f, MAC_A, MAC_B, a, 5353, b, 53, "q");
	assert_int_equal(run(n, f, l, 5), 1);
	l = udp4_frame(f, MAC_B, MAC_A, b, 53, a, 5353, "r");
	assert_int_equal(run(n, f, l, 6), 0);
	xv_net_free(n);
}

/* content offset/depth bound where the pattern may start and end within the payload. */
static void test_offset(void **s)
{
	(void)s;
	struct xv_net *n = mk();
	assert_int_equal(xv_net_load_rules_str(n,
		"alert tcp any any -> any 80 (msg:\"abc from 4\"; content:\"abc\"; offset:4; sid:1;)\n"
		"alert tcp any any -> any 81 (msg:\"GET in [2,5)\"; content:\"GET\"; offset:2; depth:3; sid:2;)\n"
		"alert tcp any any -> any 82 (content:\"AbC\"; nocase; offset:1; sid:3;)\n", "o"), 3);
	uint8_t f[256];
	uint32_t c = IP4(10, 0, 0, 1), sv = IP4(10, 0, 0, 2);
	static const struct {
		uint16_t port;
		const char *payload;
		unsigned want;
	} cases[] = {
		{ 80, "abc", 0 },          /* only before the offset */
		{ 80, "abcXabc", 1 },      /* at 4 */
		{ 80, "XXXXXXabc", 1 },    /* after 4: offset is a start, not an anchor */
		{ 80, "XXXXab", 0 },       /* cut short */
		{ 80, "Xabc", 0 },
		{ 81, "xxGETyy", 1 },      /* exactly in the window */
		{ 81, "xGETyy", 0 },       /* starts before the offset */
		{ 81, "xxxGET", 0 },       /* ends past offset + depth */
		{ 81, "xxGE", 0 },
		{ 82, "xaBcx", 1 },
		{ 82, "aBc", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, c, (uint16_t)(40000 + i), sv, cases[i].port,
					XV_TCP_PSH | XV_TCP_ACK, cases[i].payload);
		if (run(n, f, l, 1 + i) != cases[i].want)
			fail_msg("port %u payload '%s': want %u alerts", cases[i].port, cases[i].payload,
				 cases[i].want);
	}
	xv_net_free(n);
}

/* threshold type both: one alert when the count is reached in a window, per tracked address;
 * detection_filter track by_dst counts matches towards one destination whatever their source. */
static void test_rate_kinds(void **s)
{
	(void)s;
	struct xv_net *n = mk();
	assert_int_equal(xv_net_load_rules_str(n,
		"alert tcp any any -> any 23 (msg:\"telnet burst\"; threshold: type both, track by_src, count 3, seconds 60; sid:1;)\n"
		"alert tcp any any -> any 3389 (msg:\"rdp to a host\"; detection_filter: track by_dst, count 2, seconds 60; sid:2;)\n",
		"t"), 2);
	uint8_t f[256];
	uint64_t t = 1700000000000000ull;
	uint32_t c1 = IP4(192, 168, 1, 1), c2 = IP4(192, 168, 1, 2), sv = IP4(10, 0, 0, 2);
	uint32_t sv2 = IP4(10, 0, 0, 3);
	unsigned got[8];
	/* source 1: the 3rd match alerts, the 4th..6th do not */
	for (int i = 0; i < 6; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, c1, (uint16_t)(41000 + i), sv, 23, XV_TCP_SYN, NULL);
		got[i] = run(n, f, l, t + (uint64_t)i);
	}
	unsigned want1[6] = { 0, 0, 1, 0, 0, 0 };
	assert_memory_equal(got, want1, sizeof(want1));
	/* source 2 has its own count */
	for (int i = 0; i < 3; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, c2, (uint16_t)(42000 + i), sv, 23, XV_TCP_SYN, NULL);
		got[i] = run(n, f, l, t + 10 + (uint64_t)i);
	}
	unsigned want2[3] = { 0, 0, 1 };
	assert_memory_equal(got, want2, sizeof(want2));
	/* a new window for source 1: once more at its 3rd */
	for (int i = 0; i < 4; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, c1, (uint16_t)(43000 + i), sv, 23, XV_TCP_SYN, NULL);
		got[i] = run(n, f, l, t + 61000000ull + (uint64_t)i);
	}
	unsigned want3[4] = { 0, 0, 1, 0 };
	assert_memory_equal(got, want3, sizeof(want3));

	/* detection_filter by_dst count 2: two different sources to sv are matches 1 and 2 (no
	 * alert), a third source's is the 3rd match to sv (alert); sv2 counts on its own */
	uint32_t srcs[4] = { c1, c2, IP4(192, 168, 1, 3), IP4(192, 168, 1, 4) };
	for (int i = 0; i < 4; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, srcs[i], 44000, sv, 3389, XV_TCP_SYN, NULL);
		got[i] = run(n, f, l, t + 100 + (uint64_t)i);
	}
	unsigned want4[4] = { 0, 0, 1, 1 };
	assert_memory_equal(got, want4, sizeof(want4));
	for (int i = 0; i < 3; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, srcs[i], 45000, sv2, 3389, XV_TCP_SYN, NULL);
		got[i] = run(n, f, l, t + 200 + (uint64_t)i);
	}
	unsigned want5[3] = { 0, 0, 1 };
	assert_memory_equal(got, want5, sizeof(want5));
	xv_net_free(n);
}

/* The rule indexes (ports, IPv4 /16s) are only a shortcut: on random rules and random packets an
 * engine with them finds exactly the alerts of one that checks every rule on every packet. */
static void test_index_oracle(void **s)
{
	(void)s;
	static const char *addrs[] = {
		"any", "10.0.0.0/24", "10.0.0.7", "10.1.0.0/16", "10.0.0.0/8", "!10.0.0.0/24",
		"[10.0.0.0/24,192.168.0.0/16]", "[10.0.0.0/16,!10.0.0.7]", "192.168.5.0/24",
		"fd00::/8", "[fd00::/8,10.0.0.0/24]", "$HOME_NET", "$EXTERNAL_NET", "0.0.0.0/0",
		"10.0.0.0/7", "[10.0.0.0/24,![10.0.0.128/25,!10.0.0.130]]",
		/* positive sub-lists (kept apart because they hold a negation): not indexable */
		"[$EXTERNAL_NET,10.0.0.7]", "[[10.0.0.0/24,!10.0.0.7],192.168.5.0/24]",
	};
	static const char *ports[] = { "any", "22", "80", "[80,443]", "1024:", ":1023", "!80",
				       "[1000:1100,!1050]", "53", "2001", "[22,80,2001]" };
	static const char *protos[] = { "tcp", "udp", "ip", "icmp" };
	srand(4242);
	char *text = malloc(1 << 20), *o = text;
	for (int i = 0; i < 300; i++) {
		const char *pr = protos[rand() % 4];
		bool icmp = !strcmp(pr, "icmp") || !strcmp(pr, "ip");
		o += sprintf(o, "alert %s %s %s %s %s %s (sid:%d;)\n", pr, addrs[rand() % 18],
			     icmp ? "any" : ports[rand() % 11], rand() % 5 ? "->" : "<>",
			     addrs[rand() % 18], icmp ? "any" : ports[rand() % 11], i + 1);
	}
	struct xv_net *ix = mk(), *all = mk();
	all->index_off = true;
	assert_int_equal(xv_net_set_var(ix, "HOME_NET", "10.0.0.0/24"), 0);
	assert_int_equal(xv_net_set_var(all, "HOME_NET", "10.0.0.0/24"), 0);
	assert_int_equal(xv_net_load_rules_str(ix, text, "rand"), 300);
	assert_int_equal(xv_net_load_rules_str(all, text, "rand"), 300);
	free(text);
	/* the oracle really has no index, the other one does */
	unsigned used = 0;
	for (int g = 0; g < XV_P__COUNT; g++) {
		used |= ix->groups[g].used;
		assert_int_equal(all->groups[g].used, 0);
	}
	assert_int_equal(used, (1u << XV_IX__COUNT) - 1);
	static const uint32_t hosts[] = { IP4(10, 0, 0, 7), IP4(10, 0, 0, 1), IP4(10, 0, 0, 130),
					  IP4(10, 1, 2, 3), IP4(192, 168, 5, 5), IP4(11, 0, 0, 1),
					  IP4(10, 200, 0, 1), IP4(192, 168, 9, 9) };
	static const uint16_t pp[] = { 22, 80, 443, 53, 2001, 1050, 1060, 40000, 5, 1023 };
	uint8_t f[256];
	uint64_t total = 0, capped = 0;
	for (int i = 0; i < 20000; i++) {
		uint32_t sa = hosts[rand() % 8], da = hosts[rand() % 8], l;
		uint16_t sp = pp[rand() % 10], dp = pp[rand() % 10];
		int kind = rand() % 5;
		if (kind == 4) {
			/* IPv6, half of them IPv4-mapped (::ffff:a.b.c.d: the same address to a rule) */
			uint8_t t6[20];
			uint32_t tl = tcp(t6, sp, dp, XV_TCP_SYN, NULL, 0);
			l = eth(f, MAC_A, MAC_B, 0x86dd);
			memset(f + l, 0, 40);
			f[l] = 0x60;
			put16(f + l + 4, (uint16_t)tl);
			f[l + 6] = 6;
			f[l + 7] = 64;
			if (rand() % 2) {
				f[l + 8] = 0xfd;
				f[l + 23] = (uint8_t)sa;
				f[l + 24] = 0xfd;
				f[l + 39] = (uint8_t)da;
			} else {
				f[l + 18] = f[l + 19] = f[l + 34] = f[l + 35] = 0xff;
				put32be(f + l + 20, sa);
				put32be(f + l + 36, da);
			}
			memcpy(f + l + 40, t6, tl);
			l += 40 + tl;
		} else if (kind == 0)
			l = udp4_frame(f, MAC_A, MAC_B, sa, sp, da, dp, "u");
		else if (kind == 1) {
			uint32_t off = eth(f, MAC_A, MAC_B, 0x0800);
			off += ip4(f + off, sa, da, 1, 8);
			memset(f + off, 0, 8);
			f[off] = 8;
			l = off + 8;
		} else {
			l = tcp4_frame(f, MAC_A, MAC_B, sa, sp, da, dp, XV_TCP_SYN, NULL);
		}
		uint64_t a0 = xv_net_alert_total(ix), b0 = xv_net_alert_total(all);
		xv_net_inspect(ix, f, l, 1 + (uint64_t)i, -1, NULL);
		xv_net_inspect(all, f, l, 1 + (uint64_t)i, -1, NULL);
		uint64_t na = xv_net_alert_total(ix) - a0, nb = xv_net_alert_total(all) - b0;
		if (na != nb)
			fail_msg("packet %d: %llu alerts with the indexes, %llu checking every rule", i,
				 (unsigned long long)na, (unsigned long long)nb);
		/* a packet keeps at most 64 matches, which ones depends on the order rules are
		 * visited in: those packets only compare counts */
		if (na >= 64) {
			capped++;
			continue;
		}
		/* the same rules (visited in another order: compare as sets) */
		uint32_t sa_[64], sb_[64];
		for (uint64_t k = 0; k < na; k++) {
			sa_[k] = xv_net_alert_get(ix, xv_net_alert_count(ix) - 1 - (unsigned)k)->sid;
			sb_[k] = xv_net_alert_get(all, xv_net_alert_count(all) - 1 - (unsigned)k)->sid;
		}
		for (uint64_t k = 0; k < na; k++) {
			bool found = false;
			for (uint64_t j = 0; j < na; j++)
				found |= sa_[k] == sb_[j];
			if (!found)
				fail_msg("packet %d: sid %u only with the indexes", i, sa_[k]);
		}
		total += na;
	}
	assert_true(total > 20000); /* plenty of matches were compared */
	assert_true(capped < 200);
	xv_net_free(ix);
	xv_net_free(all);
}

/* Mutated rules are accepted or rejected, never crash the parser (run under ASan). */
static void test_parser_fuzz(void **s)
{
	(void)s;
	static const char *seeds[] = {
		"alert tcp [10.0.0.0/8,!10.1.0.0/16] ![1:1024,8080] <> $HOME_NET any (msg:\"a\\\"b\"; "
		"content:!\"|41 42|x\"; nocase; offset:1; depth:9; flow:to_server,established; "
		"flags:+SA,12; threshold: type both, track by_dst, count 3, seconds 9; sid:7; rev:2;)",
		"ipvar X [1.2.3.4,fd00::/8]\nportvar P [80:90,!85]\n"
		"drop udp $X $P -> any any (detection_filter: track by_src, count 1, seconds 1; sid:9;)",
	};
	const char chars[] = "[]!$,:;()\"|\\ -><0123456789abcSAF/.";
	srand(99);
	unsigned accepted = 0, rejected = 0;
	struct xv_net_config c = { .flow_capacity = 16, .alert_ring = 4 };
	for (int i = 0; i < 3000; i++) {
		struct xv_net *n = xv_net_new(&c);
		xv_net_set_var(n, "HOME_NET", "10.0.0.0/8");
		char buf[512];
		snprintf(buf, sizeof(buf), "%s", seeds[i % 2]);
		size_t l = strlen(buf);
		for (int k = 0, m = 1 + rand() % 3; k < m; k++) {
			size_t at = (size_t)rand() % l;
			switch (rand() % 3) {
			case 0: buf[at] = chars[rand() % (sizeof(chars) - 1)]; break;
			case 1: memmove(buf + at, buf + at + 1, l - at); l--; break;
			default: buf[at] = 0; l = at ? at : 1; break;
			}
			if (!l || !buf[0])
				break;
		}
		if (xv_net_load_rules_str(n, buf, "fuzz") > 0)
			accepted++;
		else
			rejected++;
		uint8_t f[128];
		uint32_t fl = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 80, IP4(10, 2, 0, 1), 85,
					 XV_TCP_SYN | XV_TCP_ACK, "ABxAB");
		xv_net_inspect(n, f, fl, 1, -1, NULL);
		xv_net_free(n);
	}
	assert_true(accepted > 50 && rejected > 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept), cmocka_unit_test(test_reject),
		cmocka_unit_test(test_lists),  cmocka_unit_test(test_match),
		cmocka_unit_test(test_grouping), cmocka_unit_test(test_bidir),
		cmocka_unit_test(test_offset),   cmocka_unit_test(test_rate_kinds),
		cmocka_unit_test(test_index_oracle), cmocka_unit_test(test_parser_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
