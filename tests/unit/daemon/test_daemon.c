/* test_daemon.c — unit tests of xvidsd: config directives (switch, detectors, passwords), telnet
 * line editing, word splitting, password hashes and constant-time compare, per-address login
 * limits, finding dedup, syslog. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/xvidsd.h"
#include "xvids/err.h"

/* xvd_log lives in main.c; the tests provide a quiet one. */
void xvd_log(const char *fmt, ...)
{
	(void)fmt;
}

double xvd_now(void)
{
	return 0;
}

static int line(struct xvd_config *c, const char *text)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", text);
	return xvd_config_line(c, buf, "t.conf", 7);
}

static void test_config(void **state)
{
	struct xvd_config c;
	(void)state;
	xvd_config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:2323");
	assert_int_equal(line(&c, "  # a comment"), 0);
	assert_int_equal(line(&c, ""), 0);
	assert_int_equal(line(&c, "listen 127.0.0.9:4000  # trailing comment"), 0);
	assert_string_equal(c.listen, "127.0.0.9:4000");
	assert_int_equal(line(&c, "vm web ram:/tmp/r#1@0x40000000"), 0);
	assert_string_equal(c.vm[0].spec, "ram:/tmp/r#1@0x40000000"); /* '#' inside a word stays */
	assert_int_equal(line(&c, "vm db \"qmp:/run/q m.sock\""), 0);
	assert_string_equal(c.vm[1].spec, "qmp:/run/q m.sock");
	assert_int_equal(c.nvm, 2);
	assert_true(line(&c, "vm web qmp:/x") < 0); /* duplicate */
	assert_non_null(strstr(xv_errmsg(), "t.conf:7"));
	assert_true(line(&c, "vm bad/name qmp:/x") < 0);
	assert_true(line(&c, "vm x nonsense:/x") < 0);
	assert_int_equal(line(&c, "policy web /etc/xvids/web.policy"), 0);
	assert_string_equal(c.vm[0].policy, "/etc/xvids/web.policy");
	assert_true(line(&c, "policy nope /x") < 0);
	assert_int_equal(line(&c, "watch pchk web every 10s"), 0);
	assert_int_equal(line(&c, "watch mchk db every 5m"), 0);
	assert_int_equal(c.nwatch, 2);
	assert_int_equal(c.watch[1].every, 300);
	assert_true(line(&c, "watch pchk web every 0s") < 0);
	assert_true(line(&c, "watch pchk web 10s") < 0);
	assert_int_equal(line(&c, "max-clients 50"), 0);
	assert_int_equal(c.max_clients, 50);
	assert_true(line(&c, "max-clients 0") < 0);
	assert_true(line(&c, "max-line 10") < 0);
	assert_int_equal(line(&c, "syslog udp:127.0.0.1:5514 local3"), 0);
	assert_string_equal(c.syslog_facility, "local3");
	assert_true(line(&c, "syslog tcp:1.2.3.4:1") < 0);
	assert_true(line(&c, "syslog unix:/dev/log nosuchfacility") < 0);
	assert_int_equal(line(&c, "hook /usr/bin/logger -t xvids \"two words\""), 0);
	assert_string_equal(c.hook, "/usr/bin/logger -t xvids \"two words\"");
	assert_int_equal(line(&c, "sandbox off"), 0);
	assert_int_equal(c.sandbox, 0);
	assert_true(line(&c, "frobnicate 1") < 0);
	assert_non_null(strstr(xv_errmsg(), "unknown directive"));
	assert_true(line(&c, "listen nowhere") < 0);
	assert_int_equal(line(&c, "check-args fichk --rules /etc/x.yar --strings \"/etc/bad words\""), 0);
	assert_int_equal(c.ncargs, 1);
	assert_string_equal(c.cargs[0].check, "fichk");
	assert_string_equal(c.cargs[0].args, "--rules /etc/x.yar --strings \"/etc/bad words\"");
	assert_true(line(&c, "check-args fichk") < 0);
	assert_true(line(&c, "check-args fichk --rules \"unbalanced") < 0);
	assert_int_equal(xvd_config_add_vm(&c, "third=dump:/x.core"), 0);
	assert_true(xvd_config_add_vm(&c, "noequals") < 0);
}

/* The switch, inline drop and the detectors: names and meanings of the CLI's net/switch
 * options, stored as the engine's own struct xv_net_config. */
static void test_config_net(void **state)
{
	struct xvd_config c;
	(void)state;
	xvd_config_defaults(&c);
	/* defaults: inline drop on, no mirror, every detector at the engine's defaults (0 = on) */
	assert_int_equal(c.inline_drop, 1);
	assert_string_equal(c.mirror, "");
	assert_int_equal(c.net.arp_spoof, 0);
	assert_int_equal(c.net.syn_flood, 0);
	assert_int_equal(c.net.port_scan, 0);
	assert_int_equal(line(&c, "switch-mirror /var/log/xvids/mirror.pcap"), 0);
	assert_string_equal(c.mirror, "/var/log/xvids/mirror.pcap");
	assert_int_equal(line(&c, "switch-mirror tap:xvmirror0"), 0);
	assert_string_equal(c.mirror, "tap:xvmirror0");
	assert_true(line(&c, "switch-mirror") < 0);
	assert_int_equal(line(&c, "inline-drop off"), 0);
	assert_int_equal(c.inline_drop, 0);
	assert_int_equal(line(&c, "inline-drop on"), 0);
	assert_int_equal(c.inline_drop, 1);
	assert_true(line(&c, "inline-drop maybe") < 0);
	assert_non_null(strstr(xv_errmsg(), "t.conf:7: inline-drop on|off"));
	/* per detector, and all at once */
	assert_int_equal(line(&c, "detector port-scan off"), 0);
	assert_int_equal(c.net.port_scan, -1);
	assert_int_equal(c.net.arp_spoof, 0);
	assert_int_equal(c.net.syn_flood, 0);
	assert_int_equal(line(&c, "detector arp-spoof off"), 0);
	assert_int_equal(c.net.arp_spoof, -1);
	assert_int_equal(line(&c, "detector port-scan on"), 0);
	assert_int_equal(c.net.port_scan, 1);
	assert_int_equal(line(&c, "detector all off"), 0);
	assert_true(c.net.arp_spoof < 0 && c.net.syn_flood < 0 && c.net.port_scan < 0);
	assert_int_equal(line(&c, "detector all on"), 0);
	assert_true(c.net.arp_spoof > 0 && c.net.syn_flood > 0 && c.net.port_scan > 0);
	assert_true(line(&c, "detector dns-tunnel off") < 0);
	assert_non_null(strstr(xv_errmsg(), "no detector 'dns-tunnel'"));
	assert_true(line(&c, "detector syn-flood") < 0);
	assert_true(line(&c, "detector syn-flood yes") < 0);
	/* parameters: counts are numbers, windows and the ARP binding time durations */
	assert_int_equal(line(&c, "scan-ports 500"), 0);
	assert_int_equal(c.net.scan_ports, 500);
	assert_int_equal(line(&c, "scan-window 1m"), 0);
	assert_int_equal(c.net.scan_window, 60);
	assert_int_equal(line(&c, "syn-flood 2000"), 0);
	assert_int_equal(c.net.syn_flood_count, 2000);
	assert_int_equal(line(&c, "syn-window 5"), 0);
	assert_int_equal(c.net.syn_flood_window, 5);
	assert_int_equal(line(&c, "arp-ttl 2h"), 0);
	assert_int_equal(c.net.arp_ttl, 7200);
	assert_int_equal(line(&c, "arp-realert 5m"), 0);
	assert_int_equal(c.net.arp_realert, 300);
	assert_true(line(&c, "arp-realert 0") < 0);
	assert_int_equal(line(&c, "net-alerts-kept 4096"), 0);
	assert_int_equal(c.net.alert_ring, 4096);
	assert_true(line(&c, "scan-ports 0") < 0);
	assert_true(line(&c, "scan-ports many") < 0);
	assert_true(line(&c, "scan-window 0s") < 0);
	assert_true(line(&c, "scan-window 2d") < 0);
	assert_true(line(&c, "syn-window 86401") < 0);
	assert_non_null(strstr(xv_errmsg(), "syn-window wants a duration from 1s to 86400s"));
	assert_true(line(&c, "arp-ttl") < 0);
	/* what failed left the values alone */
	assert_int_equal(c.net.scan_ports, 500);
	assert_int_equal(c.net.syn_flood_window, 5);
}

/* A password unless the admin opts out explicitly (main.c refuses the rest at start-up). */
static void test_config_password(void **state)
{
	struct xvd_config c;
	(void)state;
	xvd_config_defaults(&c);
	assert_int_equal(c.no_password, 0);
	assert_string_equal(c.password_file, "");
	assert_int_equal(line(&c, "no-password"), 0);
	assert_int_equal(c.no_password, 1);
	assert_true(line(&c, "no-password yes") < 0);
	assert_int_equal(line(&c, "password-file /etc/xvids/passwd"), 0);
	assert_string_equal(c.password_file, "/etc/xvids/passwd");
}

static void test_duration_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	(void)state;
	assert_int_equal(xvd_parse_duration("10"), 10);
	assert_int_equal(xvd_parse_duration("10s"), 10);
	assert_int_equal(xvd_parse_duration("2m"), 120);
	assert_int_equal(xvd_parse_duration("1h"), 3600);
	assert_int_equal(xvd_parse_duration("1d"), -1);
	assert_int_equal(xvd_parse_duration("-1"), -1);
	assert_int_equal(xvd_parse_duration(""), -1);
	assert_int_equal(xvd_parse_hostport("127.0.0.1:23", &ss, &len), 0);
	assert_true(xvd_addr_is_loopback(&ss));
	assert_int_equal(xvd_parse_hostport("127.45.6.7:0", &ss, &len), 0);
	assert_true(xvd_addr_is_loopback(&ss));
	assert_int_equal(xvd_parse_hostport("0.0.0.0:23", &ss, &len), 0);
	assert_false(xvd_addr_is_loopback(&ss));
	assert_int_equal(xvd_parse_hostport("10.1.2.3:23", &ss, &len), 0);
	assert_false(xvd_addr_is_loopback(&ss));
	assert_int_equal(xvd_parse_hostport("[::1]:23", &ss, &len), 0);
	assert_true(xvd_addr_is_loopback(&ss));
	assert_int_equal(xvd_parse_hostport("[::]:23", &ss, &len), 0);
	assert_false(xvd_addr_is_loopback(&ss));
	assert_int_equal(xvd_parse_hostport("[::ffff:127.0.0.1]:23", &ss, &len), 0);
	assert_true(xvd_addr_is_loopback(&ss));
	assert_true(xvd_parse_hostport("127.0.0.1:65536", &ss, &len) < 0);
	assert_true(xvd_parse_hostport("127.0.0.1", &ss, &len) < 0);
	assert_true(xvd_parse_hostport("example.org:23", &ss, &len) < 0);
}

/* Feed a string; collect completed lines joined by '|', events as letters. */
static void feed(struct xvd_lineed *le, const char *in, size_t n, char *out, size_t size,
		 char *echo_out)
{
	(void)size;
	out[0] = 0;
	if (echo_out)
		echo_out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		char echo[8];
		size_t elen;
		int ev = xvd_lineed_byte(le, (unsigned char)in[i], echo, &elen);
		if (echo_out)
			strncat(echo_out, echo, elen);
		if (ev == XVD_LE_LINE) {
			strcat(out, le->buf);
			strcat(out, "|");
		} else if (ev == XVD_LE_INTR) {
			strcat(out, "^C|");
		} else if (ev == XVD_LE_EOF) {
			strcat(out, "^D|");
		} else if (ev == XVD_LE_TOOLONG) {
			strcat(out, "LONG|");
		}
	}
}

static void test_lineed(void **state)
{
	struct xvd_lineed le;
	char out[256], echo[256];
	(void)state;
	assert_int_equal(xvd_lineed_init(&le, 16), 0);
	/* CR LF, CR NUL, bare LF: one line each; no empty line from the LF/NUL after CR. */
	feed(&le, "ab\r\ncd\r\0ef\ngh\r", 14, out, sizeof(out), NULL);
	assert_string_equal(out, "ab|cd|ef|gh|");
	feed(&le, "\nij\n", 4, out, sizeof(out), NULL);
	assert_string_equal(out, "ij|");
	/* backspace and DEL; echo shows the erase */
	feed(&le, "pz\x7fs\b\bps a1\n", 12, out, sizeof(out), echo);
	assert_string_equal(out, "ps a1|");
	assert_non_null(strstr(echo, "\b \b"));
	/* backspace on an empty line does nothing */
	feed(&le, "\x7f\x7fx\n", 4, out, sizeof(out), NULL);
	assert_string_equal(out, "x|");
	/* ^C drops the line; ^D only ends the session on an empty line; ^U kills the line */
	feed(&le, "junk\x03ok\n", 8, out, sizeof(out), NULL);
	assert_string_equal(out, "^C|ok|");
	feed(&le, "a\x04" "b\n\x04", 5, out, sizeof(out), NULL);
	assert_string_equal(out, "ab|^D|");
	feed(&le, "zzz\x15quit\n", 9, out, sizeof(out), NULL);
	assert_string_equal(out, "quit|");
	/* control bytes are dropped, tab becomes a space, UTF-8 passes */
	feed(&le, "a\x01\tb\xc3\xa9\n", 7, out, sizeof(out), NULL);
	assert_string_equal(out, "a b\xc3\xa9|");
	/* backspace removes a whole UTF-8 character */
	feed(&le, "x\xc3\xa9\x7f\n", 5, out, sizeof(out), NULL);
	assert_string_equal(out, "x|");
	/* a line longer than the cap is reported once and discarded entirely */
	char big[100];
	memset(big, 'A', sizeof(big));
	big[99] = '\n';
	feed(&le, big, sizeof(big), out, sizeof(out), NULL);
	assert_string_equal(out, "LONG|");
	feed(&le, "next\n", 5, out, sizeof(out), NULL);
	assert_string_equal(out, "next|");
	/* exactly cap-1 bytes fit */
	memset(big, 'B', 15);
	big[15] = '\n';
	feed(&le, big, 16, out, sizeof(out), NULL);
	assert_string_equal(out, "BBBBBBBBBBBBBBB|");
	xvd_lineed_free(&le);
}

static void test_split(void **state)
{
	char buf[256], *argv[8];
	(void)state;
	strcpy(buf, "  ps   a1 -j ");
	assert_int_equal(xvd_split(buf, argv, 8), 3);
	assert_string_equal(argv[0], "ps");
	assert_string_equal(argv[1], "a1");
	assert_string_equal(argv[2], "-j");
	strcpy(buf, "eval vm \"a b\" 'c d' e\\ f \"q\\\"x\" \"\"");
	assert_int_equal(xvd_split(buf, argv, 8), 7);
	assert_string_equal(argv[6], "");
	assert_string_equal(argv[2], "a b");
	assert_string_equal(argv[3], "c d");
	assert_string_equal(argv[4], "e f");
	assert_string_equal(argv[5], "q\"x");
	strcpy(buf, "x \"unbalanced");
	assert_int_equal(xvd_split(buf, argv, 8), -1);
	strcpy(buf, "a b c d e f g h i j");
	assert_int_equal(xvd_split(buf, argv, 4), 4);
	strcpy(buf, "   ");
	assert_int_equal(xvd_split(buf, argv, 8), 0);
}

static void test_auth(void **state)
{
	struct xvd_auth a;
	char path[] = "/tmp/xvd-test-pw-XXXXXX";
	(void)state;
	assert_true(xvd_ct_streq("abc", "abc"));
	assert_false(xvd_ct_streq("abc", "abd"));
	assert_false(xvd_ct_streq("abc", "abcd"));
	assert_false(xvd_ct_streq("", "a"));
	assert_true(xvd_ct_streq("", ""));

	char *h = xvd_auth_hash("correct horse");
	assert_non_null(h);
	assert_true(strncmp(h, "$y$", 3) == 0 || strncmp(h, "$6$", 3) == 0);
	char *h2 = xvd_auth_hash("correct horse");
	assert_string_not_equal(h, h2); /* salted */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "# comment\n\nadmin:%s\n%s\n", h, h2);
	fclose(f);
	assert_int_equal(xvd_auth_load(&a, path), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.label[0], "admin");
	assert_true(xvd_auth_check(&a, "correct horse"));
	assert_false(xvd_auth_check(&a, "correct hors"));
	assert_false(xvd_auth_check(&a, ""));
	assert_false(xvd_auth_check(&a, h)); /* the hash is not the password */
	xvd_auth_free(&a);
	/* Weak or foreign formats are refused, the whole file with them. */
	f = fopen(path, "w");
	fprintf(f, "%s\nold:$1$abc$def\n", h);
	fclose(f);
	assert_true(xvd_auth_load(&a, path) < 0);
	assert_non_null(strstr(xv_errmsg(), ":2:"));
	f = fopen(path, "w");
	fprintf(f, "plaintext\n");
	fclose(f);
	assert_true(xvd_auth_load(&a, path) < 0);
	f = fopen(path, "w");
	fprintf(f, "# nothing\n");
	fclose(f);
	assert_true(xvd_auth_load(&a, path) < 0);
	unlink(path);
	free(h);
	free(h2);
}

static void addr(struct sockaddr_storage *ss, const char *s)
{
	socklen_t len;
	assert_int_equal(xvd_parse_hostport(s, ss, &len), 0);
}

static void test_ratelimit(void **state)
{
	static struct xvd_ratelimit rl;
	struct sockaddr_storage a, b, other;
	(void)state;
	memset(&rl, 0, sizeof(rl));
	addr(&a, "10.0.0.1:1000");
	addr(&b, "10.0.0.1:2000"); /* same address, other port: same source */
	addr(&other, "10.0.0.2:1000");
	for (int i = 0; i < 4; i++) {
		assert_false(xvd_rl_blocked(&rl, &a, 5, 60, 100));
		xvd_rl_fail(&rl, i % 2 ? &a : &b, 60, 100 + i);
	}
	assert_false(xvd_rl_blocked(&rl, &a, 5, 60, 110));
	xvd_rl_fail(&rl, &a, 60, 110);
	assert_true(xvd_rl_blocked(&rl, &a, 5, 60, 111));
	assert_true(xvd_rl_blocked(&rl, &b, 5, 60, 111));
	assert_false(xvd_rl_blocked(&rl, &other, 5, 60, 111));
	/* the window passes: allowed again */
	assert_false(xvd_rl_blocked(&rl, &a, 5, 60, 161));
	/* many sources: the table recycles the oldest, never grows */
	char s[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "192.168.%d.%d:1", i / 250, i % 250);
		addr(&other, s);
		xvd_rl_fail(&rl, &other, 60, 200 + i);
	}
	addr(&other, "192.168.3.249:1");
	for (int i = 0; i < 4; i++)
		xvd_rl_fail(&rl, &other, 1000, 1300);
	assert_true(xvd_rl_blocked(&rl, &other, 5, 1000, 1300));
}

static void test_dedup(void **state)
{
	struct xvd_find f[3];
	char **keys = NULL;
	size_t nkeys = 0;
	int isnew[3];
	(void)state;
	memset(f, 0, sizeof(f));
	strcpy(f[0].key, "pchk unauthorized pid=1 comm=a");
	strcpy(f[1].key, "pchk hidden pid=2 comm=b");
	strcpy(f[2].key, "pchk unauthorized pid=1 comm=a"); /* same finding twice in one run */
	assert_int_equal(xvd_dedup(&keys, &nkeys, f, 3, isnew), 2);
	assert_true(isnew[0] && isnew[1] && !isnew[2]);
	assert_int_equal(nkeys, 2);
	/* the same findings again: nothing new */
	assert_int_equal(xvd_dedup(&keys, &nkeys, f, 2, isnew), 0);
	/* one goes away, a new one comes */
	strcpy(f[0].key, "pchk unauthorized pid=3 comm=c");
	assert_int_equal(xvd_dedup(&keys, &nkeys, f, 2, isnew), 1);
	assert_true(isnew[0] && !isnew[1]);
	/* the one that went away comes back: a new occurrence, alerted again */
	strcpy(f[0].key, "pchk unauthorized pid=1 comm=a");
	assert_int_equal(xvd_dedup(&keys, &nkeys, f, 1, isnew), 1);
	/* nothing at all */
	assert_int_equal(xvd_dedup(&keys, &nkeys, f, 0, isnew), 0);
	assert_int_equal(nkeys, 0);
	free(keys);
}

static void test_finds_json(void **state)
{
	struct xvd_find *f;
	(void)state;
	int n = xvd_finds_from_json("fchk",
		"{\"findings\":[{\"kind\":\"modified\",\"severity\":\"high\",\"key\":\"fchk m /etc/x\","
		"\"summary\":\"/etc/x changed\"},{\"kind\":\"new\",\"path\":\"/tmp/y\"}]}", &f);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].kind, "modified");
	assert_int_equal(f[0].severity, 3);
	assert_string_equal(f[0].key, "fchk m /etc/x");
	assert_string_equal(f[0].summary, "/etc/x changed");
	/* no key: the object itself identifies the finding; no severity: medium */
	assert_non_null(strstr(f[1].key, "/tmp/y"));
	assert_int_equal(f[1].severity, 2);
	xvd_finds_free(f, n);
	assert_int_equal(xvd_finds_from_json("ps", "[{\"pid\":1}]", &f), -EPROTO);
	assert_int_equal(xvd_finds_from_json("x", "not json", &f), -EPROTO);
	assert_int_equal(xvd_finds_from_json("x", "{\"findings\":[]}", &f), 0);
	xvd_finds_free(f, 0);
}

static void test_syslog(void **state)
{
	struct xvd_alert a;
	char buf[2048];
	(void)state;
	memset(&a, 0, sizeof(a));
	a.ts.tv_sec = 1700000000;
	a.ts.tv_nsec = 123456789;
	strcpy(a.vm, "web");
	strcpy(a.source, "pchk");
	strcpy(a.kind, "hidden");
	a.severity = 4;
	strcpy(a.key, "pchk hidden pid=9 comm=\"x]\\");
	strcpy(a.summary, "hidden process");
	a.json = "{\"a\":1}";
	int fac = xvd_syslog_facility("local0");
	assert_int_equal(fac, 16);
	assert_int_equal(xvd_syslog_facility("daemon"), 3);
	assert_int_equal(xvd_syslog_facility("local8"), -1);
	int n = xvd_syslog_format(buf, sizeof(buf), fac, &a, "sensor1", 42);
	assert_true(n > 0);
	/* <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG; critical = 2 */
	assert_true(strncmp(buf, "<130>1 2023-11-14T22:13:20.123456Z sensor1 xvidsd 42 pchk "
				 "[xvids@32473 vm=\"web\" check=\"pchk\" kind=\"hidden\" "
				 "severity=\"critical\" key=\"pchk hidden pid=9 comm=\\\"x\\]\\\\\"] "
				 "{\"a\":1}", (size_t)n) == 0);
	assert_int_equal((size_t)n, strlen(buf));
	/* too small a buffer: refused, not truncated */
	assert_int_equal(xvd_syslog_format(buf, 40, fac, &a, "h", 1), -1);
	assert_string_equal(xvd_sev_name(0), "info");
	assert_int_equal(xvd_sev_parse("high"), 3);
	assert_int_equal(xvd_sev_parse("bogus"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),   cmocka_unit_test(test_config_net),
		cmocka_unit_test(test_config_password), cmocka_unit_test(test_duration_addr),
		cmocka_unit_test(test_lineed),   cmocka_unit_test(test_split),
		cmocka_unit_test(test_auth),     cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_dedup),    cmocka_unit_test(test_finds_json),
		cmocka_unit_test(test_syslog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
