/* err.h — xvids error convention: negative errno plus a thread-local message that carries context. */
#ifndef XVIDS_ERR_H
#define XVIDS_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define XV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define XV_PRINTF(a, b)
#endif

/*
 * Every library function returns 0 or a negative errno (pointer functions: NULL and errno set).
 * Before returning an error it records one sentence saying what failed and where (which address
 * faulted, which field was missing); callers may prepend their own context with xv_err_ctx().
 * The message lives in thread-local storage, so front ends print it once at the top.
 */

/* Record a message and return -code (code is a positive errno; 0 is taken as EIO, so an error
 * never reads as success). Sets errno = code. */
int xv_err(int code, const char *fmt, ...) XV_PRINTF(2, 3);

/* Prepend context ("reading task list: ") to the current message; returns -code. */
int xv_err_ctx(int code, const char *fmt, ...) XV_PRINTF(2, 3);

#if defined(__clang_analyzer__) && !defined(XV_ERR_IMPL)
/* For the static analyzer (scripts/lint) only: both return a negative value, always (a code of 0
 * becomes EIO). Without this model every "if ((rc = f(&out)) < 0) return rc;" after a callee
 * that failed through xv_err looks like a path on which out was never set. A statement
 * expression, not a function: the analyzer stops inlining calls a few levels deep. */
#define xv_err(...) __extension__({ int xv_rc_ = xv_err(__VA_ARGS__); xv_rc_ < 0 ? xv_rc_ : -1; })
#define xv_err_ctx(...) \
	__extension__({ int xv_rc_ = xv_err_ctx(__VA_ARGS__); xv_rc_ < 0 ? xv_rc_ : -1; })
#endif

/* The last message recorded on this thread, or strerror of errno if none. Never NULL. */
const char *xv_errmsg(void);

void xv_err_clear(void);

#endif
