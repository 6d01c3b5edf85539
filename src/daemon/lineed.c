/* lineed.c — server-side line editing of telnet input (CR LF / CR NUL, backspace, ^C, ^D, ^U)
 * and splitting command lines into words. */
#include <stdlib.h>
#include <string.h>

#include "daemon/xvidsd.h"

int xvd_lineed_init(struct xvd_lineed *le, size_t cap)
{
	memset(le, 0, sizeof(*le));
	le->buf = malloc(cap);
	if (!le->buf)
		return -1;
	le->cap = cap;
	le->buf[0] = 0;
	return 0;
}

void xvd_lineed_free(struct xvd_lineed *le)
{
	free(le->buf);
	le->buf = NULL;
}

int xvd_lineed_byte(struct xvd_lineed *le, unsigned char ch, char *echo, size_t *echolen)
{
	size_t dummy;

	if (!echolen)
		echolen = &dummy;
	*echolen = 0;
	if (le->cr) {
		/* NVT end of line is CR LF; a bare CR is sent as CR NUL. */
		le->cr = 0;
		if (ch == '\n' || ch == 0)
			return XVD_LE_NONE;
	}
	switch (ch) {
	case '\r':
		le->cr = 1;
		/* fall through */
	case '\n': {
		int over = le->overflow;
		le->overflow = 0;
		le->buf[le->len] = 0;
		le->len = 0;
		if (echo) {
			echo[0] = '\r';
			echo[1] = '\n';
			*echolen = 2;
		}
		return over ? XVD_LE_TOOLONG : XVD_LE_LINE;
	}
	case 0x7f:
	case 0x08:
		if (le->len && !le->overflow) {
			le->len--;
			/* Remove a whole UTF-8 sequence, not half of it. */
			while (le->len && ((unsigned char)le->buf[le->len] & 0xc0) == 0x80)
				le->len--;
			if (echo) {
				echo[0] = '\b';
				echo[1] = ' ';
				echo[2] = '\b';
				*echolen = 3;
			}
		}
		return XVD_LE_NONE;
	case 0x03: /* ^C: drop the line */
		le->len = 0;
		le->overflow = 0;
		return XVD_LE_INTR;
	case 0x04: /* ^D on an empty line: end of session */
		if (le->len == 0 && !le->overflow)
			return XVD_LE_EOF;
		return XVD_LE_NONE;
	case 0x15: /* ^U: kill the line */
		le->len = 0;
		le->overflow = 0;
		if (echo) {
			echo[0] = '\r';
			echo[1] = '\n';
			*echolen = 2;
		}
		return XVD_LE_NONE;
	case '\t':
		ch = ' ';
		break;
	default:
		if (ch < 0x20)
			return XVD_LE_NONE;
		break;
	}
	if (le->overflow)
		return XVD_LE_NONE;
	if (le->len + 1 >= le->cap) {
		le->overflow = 1;
		return XVD_LE_NONE;
	}
	le->buf[le->len++] = (char)ch;
	if (echo) {
		echo[0] = (char)ch;
		*echolen = 1;
	}
	return XVD_LE_NONE;
}

int xvd_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (argc == max)
			return argc;
		argv[argc++] = w;
		char q = 0;
		while (*r) {
			if (q) {
				if (*r == q) {
					q = 0;
					r++;
				} else if (*r == '\\' && q == '"' && r[1]) {
					r++;
					*w++ = *r++;
				} else {
					*w++ = *r++;
				}
			} else if (*r == '"' || *r == '\'') {
				q = *r++;
			} else if (*r == '\\' && r[1]) {
				r++;
				*w++ = *r++;
			} else if (*r == ' ' || *r == '\t') {
				break;
			} else {
				*w++ = *r++;
			}
		}
		if (q)
			return -1;
		int end = *r != 0;
		if (end)
			r++; /* past the separator */
		*w = 0;  /* w <= the separator's position, so this never clobbers unread input */
		w = r;
		if (!end)
			break;
	}
	return argc;
}
