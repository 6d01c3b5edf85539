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

/* Typed values: what a check would otherwise misread (strtoul("abc") is uid 0; an unknown severity
 * fell back to the default) must refuse the policy, with FILE:LINE, the key and what was expected. */
static void test_typed_values(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "process allow comm=sh uid=abc\n", "p.pol:1: uid='abc': expected a decimal id" },
		{ "process allow comm=sh uid=-1\n", "p.pol:1: uid='-1': expected a decimal id" },
		{ "process allow comm=sh uid=4294967296\n", "p.pol:1: uid='4294967296'" },
		{ "process allow comm=sh uid=\" 0\"\n", "p.pol:1: uid=' 0'" },
		{ "process allow comm=sh uid=+0\n", "p.pol:1: uid='+0'" },
		{ "process allow comm=sh uid=0x10\n", "p.pol:1: uid='0x10'" },
		{ "# c\nprocess deny comm=nc severity=bogus\n",
		  "p.pol:2: severity='bogus': expected one of info, low, medium, high, critical" },
		{ "kthread deny comm=k severity=HIGH\n", "p.pol:1: severity='HIGH'" },
		{ "module deny name=dummy severity=\"\"\n", "p.pol:1: severity=''" },
		{ "file deny path=/x severity=urgent\n", "p.pol:1: severity='urgent'" },
		{ "file deny path=/x mode=0999\n", "p.pol:1: mode='0999': expected octal" },
		{ "file deny path=/x mode=17777\n", "p.pol:1: mode='17777'" },
		{ "file deny path=/x mode=/\n", "p.pol:1: mode='/'" },
		{ "file deny path=/x uid=!x\n", "p.pol:1: uid='!x': expected a decimal id" },
		{ "file deny path=/x gid=root\n", "p.pol:1: gid='root'" },
		{ "file expect path=/x size=12k\n", "p.pol:1: size='12k': expected a decimal number" },
		{ "file expect path=/x size=18446744073709551616\n", "p.pol:1: size=" },
		{ "file expect path=/x mtime=yesterday\n", "p.pol:1: mtime='yesterday'" },
		{ "file expect path=/x nlink=-1\n", "p.pol:1: nlink='-1'" },
		{ "file expect path=/x inode=1.5\n", "p.pol:1: inode='1.5'" },
		{ "file expect path=/x sha256=abc\n", "p.pol:1: sha256='abc': expected 64 hex digits" },
		{ "file deny path=/x type=regular\n", "p.pol:1: type='regular': expected file, dir" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xv_policy *p = parse(bad[i].text);

		if (p || strstr(xv_errmsg(), bad[i].msg) == NULL)
			fail_msg("case %zu: got %s, message '%s', wanted '%s'", i, p ? "a policy" : "NULL",
				 xv_errmsg(), bad[i].msg);
		assert_int_equal(errno, EINVAL);
	}
	/* The edges of every type are accepted. */
	struct xv_policy *p = parse(
		"process allow comm=sh uid=0\n"
		"process allow comm=sh uid=4294967295 severity=info\n"
		"process deny comm=nc severity=critical\n"
		"kthread deny comm=k severity=low\nmodule deny name=m severity=medium\n"
		"file deny path=/x mode=/6000 uid=!0 gid=4294967295 severity=high\n"
		"file deny path=/x mode=-0002 type=socket\n"
		"file expect path=/x type=file mode=0755 uid=0 gid=0 size=18446744073709551615 "
		"mtime=-9223372036854775808 inode=1 nlink=0 "
		"sha256=3d9f00000000000000000000000000000000000000000000000000000000ABCD\n"
		"file expect path=/y type=unknown mode=0 mtime=9223372036854775807\n");

	if (!p)
		fail_msg("valid typed values refused: %s", xv_errmsg());
	assert_int_equal(xv_policy_count(p), 9);
	xv_policy_free(p);
	assert_null(parse("file expect path=/x mtime=9223372036854775808\n"));
	assert_null(parse("file expect path=/x mtime=-9223372036854775809\n"));
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
	/* Every key of the largest kind, valid, then one more: no kind has 16 distinct keys, so the
	 * 16-key bound is never reached before the repeated key is refused. */
	assert_null(parse("file expect path=a type=file mode=1 uid=1 gid=1 size=1 mtime=1 sha256="
			  "00000000000000000000000000000000000000000000000000000000000000ff "
			  "target=1 inode=1 nlink=1 severity=low path=b\n"));
	assert_non_null(strstr(xv_errmsg(), "p.pol:1: key 'path' given twice"));
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
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_write_value_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
