/* test_text.c — guest strings become printable, valid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/text.h"

static void check(const char *in, const char *want)
{
	char buf[64];

	strcpy(buf, in);
	xv_text_sanitize(buf);
	assert_string_equal(buf, want);
}

static void test_sanitize(void **state)
{
	(void)state;
	check("sleep", "sleep");
	check("caf\xc3\xa9", "caf\xc3\xa9");              /* valid 2-byte sequence kept */
	check("\xe2\x82\xac 5", "\xe2\x82\xac 5");        /* valid 3-byte */
	check("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");    /* valid 4-byte */
	check("ev\xe9l", "ev?l");                         /* lone Latin-1 byte */
	check("a\nb\x1b[2Jc\x7f", "a?b?[2Jc?");           /* control characters */
	check("\xc0\xaf", "??");                          /* overlong '/' */
	check("\xed\xa0\x80", "???");                     /* surrogate */
	check("\xf4\x90\x80\x80", "????");                /* past U+10FFFF */
	check("\xe2\x82", "??");                          /* truncated sequence */
	check("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_sanitize) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
