/* telnet_link.c — what fuzz_telnet needs from xvidsd's main.c (which has main() and cannot be
 * linked): the clock and the log. The log is formatted and dropped (a line per failed login
 * would flood the fuzzer's output). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "daemon/xvidsd.h"

double xvd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void xvd_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}
