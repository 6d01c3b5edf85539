/* err.c — thread-local error messages behind the negative-errno convention. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define XV_ERR_IMPL /* the definitions below, not the analyzer's model of them */
#include "xvids/err.h"

static _Thread_local char xv_msg[512];

int xv_err(int code, const char *fmt, ...)
{
	char msg[sizeof(xv_msg)];
	va_list ap;

	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO; /* an error must not read as success */
	/* Through a copy: callers may pass xv_errmsg() itself as an argument ("... (%s)"). */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(xv_msg, msg, sizeof(xv_msg));
	errno = code;
	return -code;
}

int xv_err_ctx(int code, const char *fmt, ...)
{
	char prefix[256], old[sizeof(xv_msg)];
	va_list ap;

	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (xv_msg[0] == '\0')
		snprintf(xv_msg, sizeof(xv_msg), "%s", strerror(code));
	memcpy(old, xv_msg, sizeof(old));
	size_t pl = strnlen(prefix, sizeof(prefix)), ol = strnlen(old, sizeof(old) - 1);

	if (pl > sizeof(xv_msg) - 1)
		pl = sizeof(xv_msg) - 1;
	if (ol > sizeof(xv_msg) - 1 - pl)
		ol = sizeof(xv_msg) - 1 - pl;
	memcpy(xv_msg, prefix, pl);
	memcpy(xv_msg + pl, old, ol);
	xv_msg[pl + ol] = '\0';
	errno = code;
	return -code;
}

const char *xv_errmsg(void)
{
	if (xv_msg[0] == '\0')
		return strerror(errno ? errno : EINVAL);
	return xv_msg;
}

void xv_err_clear(void)
{
	xv_msg[0] = '\0';
}
