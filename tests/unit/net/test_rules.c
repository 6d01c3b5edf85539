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
		cmocka_unit_test(test_grouping), cmocka_unit_test(test_parser_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
