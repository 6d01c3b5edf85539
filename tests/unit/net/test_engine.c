/* test_engine.c — engine plumbing: malformed counters, bounded flows, the alert ring, EVE JSON. */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "frames.h"
#include "net/decode.h"
#include "xvids/err.h"
#include "xvids/net.h"

static void test_malformed_counted(void **s)
{
	(void)s;
	struct xv_net *n = xv_net_new(NULL);
	uint8_t f[128];
	uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 2, 0x10, "x");
	xv_net_inspect(n, f, 10, 1, -1, NULL);
	xv_net_inspect(n, f, l - 5, 1, -1, NULL);
	put16(f + 16, 9000);
	xv_net_inspect(n, f, l, 1, -1, NULL);
	struct xv_net_stats st;
	xv_net_get_stats(n, &st);
	assert_int_equal(st.packets, 3);
	assert_int_equal(st.malformed, 3);
	assert_int_equal(st.malformed_by[1], 1); /* eth-short */
	assert_string_equal(xv_net_malformed_name(1), "eth-short");
	xv_net_free(n);
}

static void test_flow_bound(void **s)
{
	(void)s;
	struct xv_net_config c = { .flow_capacity = 1024, .port_scan = -1, .syn_flood = -1 };
	struct xv_net *n = xv_net_new(&c);
	uint8_t f[128];
	for (int i = 0; i < 100000; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, (uint8_t)(i >> 8), (uint8_t)i),
					(uint16_t)(1024 + i % 30000), IP4(10, 1, 0, 1), 80, XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, 1000 + (uint64_t)i, -1, NULL);
	}
	struct xv_net_stats st;
	xv_net_get_stats(n, &st);
	assert_true(st.flows_active <= 1024);
	assert_true(st.flows_active > 512);
	assert_true(st.flows_evicted > 90000);
	assert_int_equal(st.flows_created, 100000);
	/* after the idle timeout (120 s) old flows make room without evictions (100 new flows in
	 * 256 buckets of 4: no bucket overflows) */
	uint64_t ev = st.flows_evicted;
	for (int i = 0; i < 100; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 2, (uint8_t)(i >> 8), (uint8_t)i),
					40000, IP4(10, 1, 0, 1), 443, XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, 200000000ull + (uint64_t)i, -1, NULL);
	}
	xv_net_get_stats(n, &st);
	assert_int_equal(st.flows_evicted, ev);
	assert_int_equal(st.flows_active, 100);
	/* a known flow is found again, not re-created */
	uint32_t l = tcp4_frame(f, MAC_B, MAC_A, IP4(10, 1, 0, 1), 443, IP4(10, 2, 0, 7), 40000,
				XV_TCP_SYN | XV_TCP_ACK, NULL);
	xv_net_inspect(n, f, l, 200001000ull, -1, NULL);
	xv_net_get_stats(n, &st);
	assert_int_equal(st.flows_created, 100100);
	xv_net_free(n);
}

static void test_ring_and_eve(void **s)
{
	(void)s;
	struct xv_net_config c = { .alert_ring = 4, .port_scan = -1 };
	struct xv_net *n = xv_net_new(&c);
	assert_int_equal(xv_net_load_rules_str(n,
		"alert tcp any any -> any 2001 (msg:\"backdoor \\\"x\\\"\"; classtype:trojan-activity; "
		"sid:9001; rev:2;)", "r"), 1);
	uint8_t f[128];
	for (int i = 0; i < 10; i++) {
		uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, IP4(10, 0, 0, 66), (uint16_t)(40000 + i),
					IP4(10, 0, 0, 2), 2001, XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, 1763920975123456ull + (uint64_t)i, 3, "guest1");
	}
	assert_int_equal(xv_net_alert_total(n), 10);
	assert_int_equal(xv_net_alert_count(n), 4);
	assert_int_equal(xv_net_alert_get(n, 0)->src_port, 40006); /* oldest kept */
	assert_int_equal(xv_net_alert_get(n, 3)->src_port, 40009);
	assert_null(xv_net_alert_get(n, 4));
	char *j = xv_net_alert_eve(xv_net_alert_get(n, 3));
	assert_non_null(j);
	json_object *o = json_tokener_parse(j);
	assert_non_null(o);
	json_object *v, *al, *eth;
	assert_true(json_object_object_get_ex(o, "timestamp", &v));
	assert_string_equal(json_object_get_string(v), "2025-11-23T18:02:55.123465+0000");
	assert_true(json_object_object_get_ex(o, "event_type", &v));
	assert_string_equal(json_object_get_string(v), "alert");
	assert_true(json_object_object_get_ex(o, "src_ip", &v));
	assert_string_equal(json_object_get_string(v), "10.0.0.66");
	assert_true(json_object_object_get_ex(o, "src_port", &v));
	assert_int_equal(json_object_get_int(v), 40009);
	assert_true(json_object_object_get_ex(o, "dest_ip", &v));
	assert_string_equal(json_object_get_string(v), "10.0.0.2");
	assert_true(json_object_object_get_ex(o, "dest_port", &v));
	assert_int_equal(json_object_get_int(v), 2001);
	assert_true(json_object_object_get_ex(o, "proto", &v));
	assert_string_equal(json_object_get_string(v), "TCP");
	assert_true(json_object_object_get_ex(o, "alert", &al));
	assert_true(json_object_object_get_ex(al, "signature_id", &v));
	assert_int_equal(json_object_get_int(v), 9001);
	assert_true(json_object_object_get_ex(al, "rev", &v));
	assert_int_equal(json_object_get_int(v), 2);
	assert_true(json_object_object_get_ex(al, "gid", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(al, "signature", &v));
	assert_string_equal(json_object_get_string(v), "backdoor \"x\"");
	assert_true(json_object_object_get_ex(al, "category", &v));
	assert_string_equal(json_object_get_string(v), "trojan-activity");
	assert_true(json_object_object_get_ex(al, "severity", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(al, "action", &v));
	assert_string_equal(json_object_get_string(v), "allowed");
	assert_true(json_object_object_get_ex(o, "ether", &eth));
	assert_true(json_object_object_get_ex(eth, "src_mac", &v));
	assert_string_equal(json_object_get_string(v), "52:54:00:ee:ee:ee");
	assert_true(json_object_object_get_ex(eth, "dest_mac", &v));
	assert_string_equal(json_object_get_string(v), "52:54:00:00:00:0b");
	json_object_put(o);
	free(j);
	char line[512];
	xv_net_alert_format(xv_net_alert_get(n, 3), line, sizeof(line));
	assert_non_null(strstr(line, "[1:9001:2] backdoor \"x\""));
	assert_non_null(strstr(line, "10.0.0.66:40009 (52:54:00:ee:ee:ee) -> 10.0.0.2:2001"));
	assert_non_null(strstr(line, "port guest1"));
	xv_net_free(n);
}

/* EVE strings: whatever bytes a msg, category or port name holds, the record parses as JSON and
 * gives the text back (control characters escaped, bytes that are not UTF-8 as U+FFFD); an IPv6
 * ICMP alert has no ports and its proto named. */
static void test_eve_escaping(void **s)
{
	(void)s;
	struct xv_net_alert a = { .ts_usec = 1763920975000001ull, .action = XV_ACT_DROP, .gid = 1,
				  .sid = 7, .rev = 3, .severity = 2, .family = 6, .proto = 58,
				  .port = 1 };
	snprintf(a.msg, sizeof(a.msg), "q\"b\\s/t\tn\nc\x01" "d\x7f" "e\xc3\xa9" "l\xff" "o\xe2\x82");
	snprintf(a.category, sizeof(a.category), "cat\x1f");
	snprintf(a.port_name, sizeof(a.port_name), "vm\"1");
	a.src_ip[0] = 0xfd;
	a.src_ip[15] = 0x66;
	a.dst_ip[0] = 0xfd;
	a.dst_ip[15] = 2;
	char *j = xv_net_alert_eve(&a);
	assert_non_null(j);
	assert_null(strchr(j, '\n'));
	json_object *o = json_tokener_parse(j), *v, *al;
	if (!o)
		fail_msg("not JSON: %s", j);
	assert_true(json_object_object_get_ex(o, "alert", &al));
	assert_true(json_object_object_get_ex(al, "signature", &v));
	assert_string_equal(json_object_get_string(v),
			    "q\"b\\s/t\tn\nc\x01" "d\x7f" "e\xc3\xa9" "l\xef\xbf\xbd" "o\xef\xbf\xbd\xef\xbf\xbd");
	assert_true(json_object_object_get_ex(al, "category", &v));
	assert_string_equal(json_object_get_string(v), "cat\x1f");
	assert_true(json_object_object_get_ex(al, "action", &v));
	assert_string_equal(json_object_get_string(v), "blocked");
	assert_true(json_object_object_get_ex(o, "in_iface", &v));
	assert_string_equal(json_object_get_string(v), "vm\"1");
	assert_true(json_object_object_get_ex(o, "proto", &v));
	assert_string_equal(json_object_get_string(v), "IPv6-ICMP");
	assert_true(json_object_object_get_ex(o, "src_ip", &v));
	assert_string_equal(json_object_get_string(v), "fd00::66");
	assert_false(json_object_object_get_ex(o, "src_port", &v));
	assert_true(json_object_object_get_ex(o, "timestamp", &v));
	assert_string_equal(json_object_get_string(v), "2025-11-23T18:02:55.000001+0000");
	json_object_put(o);
	free(j);
	/* a message filling the whole field, of 2-byte characters cut in the middle */
	memset(a.msg, 0, sizeof(a.msg));
	for (size_t i = 0; i + 1 < sizeof(a.msg); i += 2) {
		a.msg[i] = (char)0xc3;
		a.msg[i + 1] = i + 2 < sizeof(a.msg) - 1 ? (char)0xa9 : 0;
	}
	j = xv_net_alert_eve(&a);
	o = json_tokener_parse(j);
	assert_non_null(o);
	json_object_put(o);
	free(j);
}

static void test_rules_file_errors(void **s)
{
	(void)s;
	char path[] = "/tmp/xvnet-rules-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "alert tcp any any -> any 1 (sid:1;)\n"
			   "alert tcp any any -> any 2 (msg:\"multi\"; \\\n sid:2;)\n"
			   "\n"
			   "alert tcp any any -> any 3 (sid:3; byte_test:1,>,2,0;)\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct xv_net *n = xv_net_new(NULL);
	assert_true(xv_net_load_rules(n, path) < 0);
	char want[128];
	snprintf(want, sizeof(want), "%s:5: unsupported option 'byte_test'", path);
	assert_string_equal(xv_errmsg(), want);
	assert_int_equal(xv_net_rule_count(n), 2);
	assert_true(xv_net_load_rules(n, "/nonexistent/x.rules") < 0);
	unlink(path);
	xv_net_free(n);
}

/* Mutated frames of every kind through the whole engine with rules loaded: no crash (ASan),
 * every frame counted. */
static void test_engine_fuzz(void **s)
{
	(void)s;
	struct xv_net_config c = { .flow_capacity = 256, .alert_ring = 8, .scan_ports = 3,
				   .syn_flood_count = 5 };
	struct xv_net *n = xv_net_new(&c);
	assert_int_equal(xv_net_load_rules_str(n,
		"alert tcp any any -> any any (content:\"ab\"; nocase; sid:1;)\n"
		"alert udp any any -> any 53 (content:\"x\"; offset:2; depth:3; sid:2;)\n"
		"drop ip any any -> 10.0.0.0/8 any (threshold: type limit, track by_src, count 1, seconds 1; sid:3;)\n"
		"alert icmp any any -> any any (sid:4;)\n", "f"), 4);
	uint8_t base[4][256], f[256];
	uint32_t bl[4];
	bl[0] = tcp4_frame(base[0], MAC_A, MAC_B, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 2, 0x18, "xxABxx");
	bl[1] = udp4_frame(base[1], MAC_A, MAC_B, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 53, "abxxxx");
	bl[2] = arp_frame(base[2], MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	bl[3] = tcp4_frame(base[3], MAC_A, MAC_B, IP4(10, 0, 0, 1), 1, IP4(10, 0, 0, 2), 2, 0x02, NULL);
	put16(base[3] + 12, 0x86dd); /* an "IPv6" frame made of IPv4 bytes: mostly garbage */
	srand(7);
	for (int i = 0; i < 100000; i++) {
		int k = i % 4;
		memcpy(f, base[k], bl[k]);
		for (int m = rand() % 4; m >= 0; m--)
			f[rand() % bl[k]] = (uint8_t)rand();
		uint32_t len = bl[k] - (uint32_t)(rand() % 8 == 0 ? rand() % (int)bl[k] : 0);
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, f, len);
		xv_net_inspect(n, copy, len, (uint64_t)i * 1000, i % 3, "p");
		free(copy);
	}
	struct xv_net_stats st;
	xv_net_get_stats(n, &st);
	assert_int_equal(st.packets, 100000);
	assert_true(st.malformed > 0 && st.alerts > 0);
	assert_true(xv_net_alert_count(n) <= 8);
	xv_net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_counted),
		cmocka_unit_test(test_flow_bound),
		cmocka_unit_test(test_ring_and_eve),
		cmocka_unit_test(test_eve_escaping),
		cmocka_unit_test(test_rules_file_errors),
		cmocka_unit_test(test_engine_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
