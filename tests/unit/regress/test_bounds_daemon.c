/* test_bounds_daemon.c — xvidsd's command line bound: MAX_ARGS (cmds.c, 64) words per command;
 * the 64th word is refused with a message, 63 are run. See the bounds table in docs/fuzzing.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemon/xvidsd.h"

/* xvd_log and xvd_now live in main.c (it has main()); the test provides quiet ones. */
void xvd_log(const char *fmt, ...)
{
	(void)fmt;
}

double xvd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "help" and words-1 more words through xvd_exec; returns what the client would read. */
static char *run(struct xvd *d, int words)
{
	char line[1024] = "help";
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	for (int i = 1; i < words; i++)
		strcat(line, " w");
	assert_int_equal(xvd_exec(d, line, out), 0);
	fclose(out);
	return buf;
}

static void test_max_args(void **state)
{
	static struct xvd d;
	char *o;

	(void)state;
	xvd_config_defaults(&d.cfg);
	o = run(&d, 63);
	assert_non_null(strstr(o, "no command 'w'")); /* run: help describes its first operand */
	free(o);
	assert_int_equal(d.commands, 1);
	o = run(&d, 64);
	assert_string_equal(o, "error: too many words (max 63)\n");
	free(o);
	assert_int_equal(d.commands, 1); /* not run */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
