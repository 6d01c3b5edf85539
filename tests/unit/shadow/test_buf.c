/* test_buf.c — the text buffer behind generated /proc files: growth, seq_pad()-style padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shadow/shadow.h"

static void grows_past_small_and_page(void **state)
{
	struct sh_buf b = { 0 };
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 5; i++)
		sh_printf(&b, "%d:%s\n", i, big);
	assert_false(b.oom);
	assert_int_equal(b.len, 5 * (2 + 2999 + 1));
	assert_int_equal(strlen(b.p), b.len);
	assert_memory_equal(b.p + 3002, "1:xx", 4);
	sh_putn(&b, "end", 3);
	assert_string_equal(b.p + b.len - 3, "end");
	sh_buf_free(&b);
	assert_null(b.p);
}

static void pads_like_seq_pad(void **state)
{
	/* /proc/net/tcp lines are padded to 149 columns plus the newline (TMPSZ 150). */
	struct sh_buf b = { 0 };

	(void)state;
	sh_printf(&b, "header\n");
	size_t start = b.len;

	sh_printf(&b, "%4d: %08X:%04X", 0, 0x0100007Fu, 8080);
	sh_pad(&b, start, 150);
	assert_int_equal(b.len - start, 150);
	assert_int_equal(b.p[b.len - 1], '\n');
	assert_int_equal(b.p[b.len - 2], ' ');
	assert_memory_equal(b.p + start, "   0: 0100007F:1F90 ", 20);
	/* a line already longer than the width only gets its newline */
	start = b.len;
	for (int i = 0; i < 20; i++)
		sh_printf(&b, "0123456789");
	sh_pad(&b, start, 150);
	assert_int_equal(b.len - start, 201);
	sh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_past_small_and_page),
		cmocka_unit_test(pads_like_seq_pad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
