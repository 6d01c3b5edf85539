/* buf.c — a growable text buffer for the generated /proc files. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/shadow.h"

#define SH_BUF_MAX (64u << 20) /* no generated file is allowed to grow beyond this */

static int grow(struct sh_buf *b, size_t need)
{
	if (b->oom)
		return -1;
	if (b->len + need + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;

	while (cap < b->len + need + 1)
		cap *= 2;
	char *p = cap <= SH_BUF_MAX ? realloc(b->p, cap) : NULL;

	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void sh_printf(struct sh_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);

	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		memcpy(b->p + b->len, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sh_putn(struct sh_buf *b, const void *data, size_t n)
{
	if (grow(b, n) < 0)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sh_pad(struct sh_buf *b, size_t start, size_t width)
{
	/* seq_pad(m, '\n'): spaces up to width-1 columns, then the newline. */
	while (b->len - start < width - 1 && !b->oom)
		sh_putn(b, " ", 1);
	sh_putn(b, "\n", 1);
}

void sh_buf_free(struct sh_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
