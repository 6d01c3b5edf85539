/* daemon_link.c — the two daemon symbols alert.c/hook.c reference but the parsers never reach
 * (logging and privilege dropping live in main.c, which cannot be linked: it has main()). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "daemon/xvidsd.h"

void xvd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int xvd_drop_user(uid_t uid, gid_t gid)
{
	(void)uid, (void)gid;
	return -EPERM;
}
