/* test_policy.c — the policy file: what it accepts, what it refuses and how it says so. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xvids/err.h"
#include "xvids/policy.h"

static struct xv_policy *parse(const char *s)
{
	return xv_policy_parse(s, strlen(s), "p.pol");
}

static void test_accepts(void **state)
{
	(void)state;
	struct xv_policy *p = parse("# comment\n\n"
				    "process allow comm=sleep exe=/bin/busybox uid=0   # trailing\n"
				    "module deny name=\"evil mod\" severity=critical\r\n"
				    "kthread allow comm=kworker/*\n"
				    "process deny comm=\"a \\\"q\\\" \\\\b\"\n"
				    "tree include path=/\n");
	assert_non_null(p);
	assert_int_equal(xv_policy_count(p), 5);
	const struct xv_policy_entry *e = xv_policy_get(p, 0);

	assert_string_equal(e->kind, "process");
	assert_string_equal(e->action, "allow");
	assert_int_equal(e->nkv, 3);
	assert_string_equal(xv_policy_value(e, "exe"), "/bin/busybox");
	assert_string_equal(xv_policy_value(e, "uid"), "0");
	assert_int_equal(e->line, 3);
	e = xv_policy_get(p, 1);
	assert_string_equal(xv_policy_value(e, "name"), "evil mod");
	assert_string_equal(xv_policy_value(e, "severity"), "critical");
	assert_string_equal(xv_policy_value(xv_policy_get(p, 3), "comm"), "a \"q\" \\b");
	assert_null(xv_policy_value(e, "nothere"));
	assert_null(xv_policy_get(p, 5));
	xv_policy_free(p);
}

/* Each bad line must be refused with FILE:LINE and a reason naming the problem. */
static void test_rejects(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "process allow comm=a\nproces allow comm=b\n", "p.pol:2: unknown kind 'proces'" },
		{ "process permit comm=b\n", "p.pol:1: 'process permit': unknown action" },
		{ "process\n", "p.pol:1: 'process' needs an action" },
		{ "module allow colour=red\n", "p.pol:1: 'module' takes no key 'colour'" },
		{ "module allow name=\"open\n", "p.pol:1: unterminated quoted string" },
		{ "module allow name=\"a\"b\n", "p.pol:1: text right after a closing quote" },
		{ "module allow name=\n", "p.pol:1: key 'name' has no value" },
		{ "module allow name=a name=b\n", "p.pol:1: key 'name' given twice" },
		{ "module allow justaword\n", "p.pol:1: expected key=value" },
		{ "module allow\n", "p.pol:1: 'module allow' matches everything" },
		{ "module allow name=a\x01\n", "p.pol:1: control character" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xv_policy *p = parse(bad[i].text);

		if (p || strstr(xv_errmsg(), bad[i].msg) == NULL)
			fail_msg("case %zu: got %s, message '%s', wanted '%s'", i, p ? "a policy" : "NULL",
				 xv_errmsg(), bad[i].msg);
		assert_int_equal(errno, EINVAL);
	}
}

static void test_hostile_sizes(void **state)
{
	(void)state;
	static char line[XV_POLICY_MAX_LINE + 64];

	memset(line, 'a', sizeof(line) - 1);
	memcpy(line, "module allow name=", 18);
	line[sizeof(line) - 1] = '\0';
	assert_null(parse(line));
	assert_non_null(strstr(xv_errmsg(), "line longer than"));
	char nul[] = "module allow name=a\0b\n";

	assert_null(xv_policy_parse(nul, sizeof(nul) - 1, "p.pol"));
	assert_non_null(strstr(xv_errmsg(), "NUL byte"));
	/* 17 keys: more than XV_POLICY_MAX_KEYS; every key must be valid, so repeat a legal one. */
	assert_null(parse("file expect path=a type=f mode=1 uid=1 gid=1 size=1 mtime=1 sha256=1 "
			  "target=1 inode=1 nlink=1 severity=low path=b\n"));
}

static void test_write_value_roundtrip(void **state)
{
	static const char *const vals[] = { "plain", "with space", "q\"uote", "back\\slash", "h#sh",
					    "eq=al", "" };
	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		fputs("module allow name=", f);
		xv_policy_write_value(f, vals[i]);
		fputc('\n', f);
		fclose(f);
		struct xv_policy *p = parse(buf);

		if (vals[i][0] == '\0') {
			/* an empty quoted value parses as an empty string */
			assert_non_null(p);
			assert_string_equal(xv_policy_value(xv_policy_get(p, 0), "name"), "");
		} else {
			assert_non_null(p);
			assert_string_equal(xv_policy_value(xv_policy_get(p, 0), "name"), vals[i]);
		}
		xv_policy_free(p);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_write_value_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
