/* test_detect.c — the built-in detectors: ARP spoofing, SYN flood, port scan (and their limits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "frames.h"
#include "net/decode.h"
#include "xvids/net.h"

static unsigned count_sid(struct xv_net *n, uint32_t sid)
{
	unsigned c = 0;
	for (unsigned i = 0; i < xv_net_alert_count(n); i++)
		c += xv_net_alert_get(n, i)->gid == XV_NET_GID_DETECTOR &&
		     xv_net_alert_get(n, i)->sid == sid;
	return c;
}

static void test_arp_spoof(void **s)
{
	(void)s;
	struct xv_net *n = xv_net_new(NULL);
	uint8_t f[64];
	uint64_t t = 1000000;
	/* the gateway announces itself, twice: no alert */
	uint32_t l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t, -1, NULL);
	xv_net_inspect(n, f, l, t + 1, -1, NULL);
	/* probes from 0.0.0.0 are not claims */
	l = arp_frame(f, MAC_EVIL, 1, 0, IP4(10, 0, 0, 1));
	xv_net_inspect(n, f, l, t + 2, 2, "vm2");
	assert_int_equal(xv_net_alert_total(n), 0);
	/* another MAC claims the gateway's IP */
	l = arp_frame(f, MAC_EVIL, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 3, 2, "vm2");
	assert_int_equal(count_sid(n, XV_DET_ARP_SPOOF), 1);
	const struct xv_net_alert *a = xv_net_alert_get(n, 0);
	assert_memory_equal(a->src_mac, MAC_EVIL, 6);
	assert_int_equal(a->family, 4);
	assert_int_equal(a->src_ip[3], 1);
	assert_string_equal(a->port_name, "vm2");
	assert_non_null(strstr(a->msg, "10.0.0.1 claimed by 52:54:00:ee:ee:ee, bound to 52:54:00:00:00:0a"));
	/* the real owner answering again is not news; the attacker repeating within a minute is
	 * not a new alert; a minute later it is */
	l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 4, -1, NULL);
	l = arp_frame(f, MAC_EVIL, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 5, 2, "vm2");
	assert_int_equal(xv_net_alert_total(n), 1);
	xv_net_inspect(n, f, l, t + 3 + 61000000, 2, "vm2");
	assert_int_equal(xv_net_alert_total(n), 2);
	/* another IP is independent */
	l = arp_frame(f, MAC_B, 1, IP4(10, 0, 0, 7), IP4(10, 0, 0, 1));
	xv_net_inspect(n, f, l, t + 3 + 61000001, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 2);
	xv_net_free(n);

	/* disabled: nothing */
	struct xv_net_config c = { .arp_spoof = -1 };
	n = xv_net_new(&c);
	l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t, -1, NULL);
	l = arp_frame(f, MAC_EVIL, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 0);
	xv_net_free(n);

	/* an old binding (beyond arp_ttl) may change without alarm */
	struct xv_net_config c2 = { .arp_ttl = 10 };
	n = xv_net_new(&c2);
	l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t, -1, NULL);
	l = arp_frame(f, MAC_EVIL, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 11000000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 0);
	xv_net_free(n);

	/* arp_ttl 10 with the owner still speaking: the claim alerts; arp_realert 5 s: the same
	 * claimant again after 3 s is quiet, after 6 s it alerts again, a second claimant at once */
	struct xv_net_config c3 = { .arp_ttl = 10, .arp_realert = 5 };
	n = xv_net_new(&c3);
	l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t, -1, NULL);
	xv_net_inspect(n, f, l, t + 8000000, -1, NULL); /* refreshed at 8 s */
	l = arp_frame(f, MAC_EVIL, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 9000000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 1);
	xv_net_inspect(n, f, l, t + 12000000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 1);
	xv_net_inspect(n, f, l, t + 15000000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 2);
	l = arp_frame(f, MAC_B, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 15500000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 3);
	assert_memory_equal(xv_net_alert_get(n, 2)->src_mac, MAC_B, 6);
	/* the owner silent since 8 s: at 18.5 s (> 10 s later) the binding may move, quietly */
	xv_net_inspect(n, f, l, t + 18500000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 3);
	/* ...and now the old owner is the one who claims another's address */
	l = arp_frame(f, MAC_A, 2, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2));
	xv_net_inspect(n, f, l, t + 19000000, -1, NULL);
	assert_int_equal(xv_net_alert_total(n), 4);
	assert_memory_equal(xv_net_alert_get(n, 3)->src_mac, MAC_A, 6);
	xv_net_free(n);
}

static void test_syn_flood(void **s)
{
	(void)s;
	struct xv_net_config c = { .syn_flood_count = 100, .syn_flood_window = 1, .port_scan = -1 };
	struct xv_net *n = xv_net_new(&c);
	uint8_t f[128];
	uint64_t t = 5000000;
	/* 90 SYNs in a second: below the threshold */
	for (int i = 0; i < 90; i++) {
		uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, IP4(172, 16, 0, (uint8_t)i), (uint16_t)(1024 + i),
					IP4(10, 0, 0, 2), 80, XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, t + (uint64_t)i * 1000, -1, NULL);
	}
	assert_int_equal(count_sid(n, XV_DET_SYN_FLOOD), 0);
	/* the next second starts a new window; 300 SYNs in it alert exactly once */
	t += 1000000;
	for (int i = 0; i < 300; i++) {
		uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, IP4(172, 16, 1, (uint8_t)i), (uint16_t)(2000 + i),
					IP4(10, 0, 0, 2), 80, XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, t + (uint64_t)i * 1000, -1, NULL);
	}
	assert_int_equal(count_sid(n, XV_DET_SYN_FLOOD), 1);
	const struct xv_net_alert *a = xv_net_alert_get(n, 0);
	assert_int_equal(a->dst_ip[3], 2);
	assert_int_equal(a->dst_port, 80);
	assert_memory_equal(a->src_mac, MAC_EVIL, 6);
	xv_net_free(n);
}

static void test_port_scan(void **s)
{
	(void)s;
	struct xv_net_config c = { .scan_ports = 20, .scan_window = 10 };
	struct xv_net *n = xv_net_new(&c);
	uint8_t f[128];
	uint64_t t = 9000000;
	/* a client opening 50 connections to the same service is not a scan */
	for (int i = 0; i < 50; i++) {
		uint32_t l = tcp4_frame(f, MAC_A, MAC_B, IP4(10, 0, 0, 5), (uint16_t)(30000 + i),
					IP4(10, 0, 0, 2), 443, XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, t, -1, NULL);
	}
	/* 15 ports in the window: still fine */
	for (int i = 0; i < 15; i++) {
		uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, IP4(10, 0, 0, 66), 50000, IP4(10, 0, 0, 2),
					(uint16_t)(1 + i), XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, t, -1, NULL);
	}
	assert_int_equal(xv_net_alert_total(n), 0);
	/* 100 ports: one alert, naming the scanner */
	for (int i = 0; i < 100; i++) {
		uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, IP4(10, 0, 0, 66), 50000, IP4(10, 0, 0, 2),
					(uint16_t)(100 + i), XV_TCP_SYN, NULL);
		xv_net_inspect(n, f, l, t + (uint64_t)i, -1, NULL);
	}
	assert_int_equal(count_sid(n, XV_DET_PORT_SCAN), 1);
	const struct xv_net_alert *a = xv_net_alert_get(n, 0);
	assert_int_equal(a->src_ip[3], 66);
	assert_memory_equal(a->src_mac, MAC_EVIL, 6);
	/* a slow scan (one port every 2 s, window 10 s) stays under the threshold */
	struct xv_net *m = xv_net_new(&c);
	for (int i = 0; i < 100; i++) {
		uint32_t l = tcp4_frame(f, MAC_EVIL, MAC_B, IP4(10, 0, 0, 67), 50000, IP4(10, 0, 0, 2),
					(uint16_t)(100 + i), XV_TCP_SYN, NULL);
		xv_net_inspect(m, f, l, t + (uint64_t)i * 2000000, -1, NULL);
	}
	assert_int_equal(xv_net_alert_total(m), 0);
	xv_net_free(m);
	/* UDP scan */
	for (int i = 0; i < 40; i++) {
		uint32_t l = udp4_frame(f, MAC_EVIL, MAC_B, IP4(10, 0, 0, 70), 40000, IP4(10, 0, 0, 3),
					(uint16_t)(200 + i), "");
		xv_net_inspect(n, f, l, t, -1, NULL);
	}
	assert_int_equal(count_sid(n, XV_DET_PORT_SCAN), 2);
	xv_net_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_spoof),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_port_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
