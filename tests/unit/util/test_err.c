/* test_err.c — error messages: codes are negative errnos, context stacks, a message may quote the last. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "xvids/err.h"

static void test_codes(void **state)
{
	(void)state;
	assert_int_equal(xv_err(ENOENT, "no %s", "thing"), -ENOENT);
	assert_string_equal(xv_errmsg(), "no thing");
	assert_int_equal(errno, ENOENT);
	assert_int_equal(xv_err(-EINVAL, "x"), -EINVAL);   /* either sign */
	assert_int_equal(xv_err(0, "zero"), -EIO);         /* never reads as success */
}

static void test_ctx(void **state)
{
	(void)state;
	xv_err(EFAULT, "page table at 0x1000 unreadable");
	assert_int_equal(xv_err_ctx(-EFAULT, "reading %s: ", "init_uts_ns"), -EFAULT);
	assert_string_equal(xv_errmsg(), "reading init_uts_ns: page table at 0x1000 unreadable");
}

/* xv_err("... (%s)", xv_errmsg()) formats the message into the buffer it reads from: it must
 * come out whole, not garbled (the source of "bad1.pol:1: bad1.pol:1:" seen in fchk). */
static void test_quotes_itself(void **state)
{
	(void)state;
	xv_err(EINVAL, "policy.txt:3: bad mode");
	assert_int_equal(xv_err(EIO, "guest memory unreadable (%s)", xv_errmsg()), -EIO);
	assert_string_equal(xv_errmsg(), "guest memory unreadable (policy.txt:3: bad mode)");
	xv_err(EINVAL, "a");
	xv_err(EINVAL, "%s%s%s", xv_errmsg(), xv_errmsg(), xv_errmsg());
	assert_string_equal(xv_errmsg(), "aaa");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_ctx),
		cmocka_unit_test(test_quotes_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
