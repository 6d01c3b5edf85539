/* mtree.c — parser for QEMU's `info mtree -f` flat views (text meant for people, so parse leniently). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mtree.h"
#include "xvids/err.h"

/* A flat view with more ranges than this is not a VM we can make sense of. */
#define MTREE_MAX_RANGES 65536

static int parse_hex_n(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;

	for (;; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n >= 16)
			return -1;
		x = (x << 4) | (uint64_t)d;
	}
	if (n == 0)
		return -1;
	*p = s;
	*v = x;
	return 0;
}

/* "  START-END (prio P, TYPE): NAME[ @OFFSET]" → range; -1 if the line is not a range. */
static int parse_range(const char *line, size_t len, struct xv_mtree_range *r)
{
	char tmp[512];
	const char *p, *colon, *type, *name, *at;
	size_t tl, nl;

	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	p = tmp + strspn(tmp, " \t");
	memset(r, 0, sizeof(*r));
	if (parse_hex_n(&p, &r->start) < 0 || *p++ != '-' || parse_hex_n(&p, &r->end) < 0)
		return -1;
	if (r->end < r->start || strncmp(p, " (prio ", 7) != 0)
		return -1;
	type = strchr(p, ',');
	colon = strstr(p, "): ");
	if (!type || !colon || type > colon)
		return -1;
	type++;
	type += strspn(type, " ");
	tl = (size_t)(colon - type);
	if (tl == 0 || tl >= sizeof(r->type))
		return -1;
	memcpy(r->type, type, tl);
	name = colon + 3;
	at = strstr(name, " @");
	nl = at ? (size_t)(at - name) : strcspn(name, " \r");
	if (nl == 0 || nl >= sizeof(r->name))
		return -1;
	memcpy(r->name, name, nl);
	if (at) {
		const char *o = at + 2;

		if (parse_hex_n(&o, &r->offset) < 0)
			return -1;
	}
	return 0;
}

int xv_mtree_parse(const char *text, const char *as_name, struct xv_mtree_range **out, size_t *n)
{
	struct xv_mtree_range *v = NULL;
	size_t cnt = 0, cap = 0, aslen = strlen(as_name);
	int in_view = 0, found = 0;
	const char *line = text;

	*out = NULL;
	*n = 0;
	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *s = line + strspn(line, " \t");
		size_t ll = len - (size_t)(s - line);

		if (ll > 0 && s[ll - 1] == '\r')
			ll--;
		if (strncmp(s, "FlatView #", 10) == 0) {
			if (found)
				break; /* only the first view serving the address space counts */
			in_view = 0;
		} else if (ll > 4 && strncmp(s, "AS \"", 4) == 0) {
			if (ll > 4 + aslen && strncmp(s + 4, as_name, aslen) == 0 && s[4 + aslen] == '"') {
				in_view = 1;
				found = 1;
			}
		} else if (in_view) {
			struct xv_mtree_range r;

			if (parse_range(s, ll, &r) == 0) {
				if (cnt == MTREE_MAX_RANGES) {
					free(v);
					return xv_err(E2BIG, "QEMU memory map has more than %d ranges",
						      MTREE_MAX_RANGES);
				}
				if (cnt == cap) {
					size_t nc = cap ? cap * 2 : 32;
					struct xv_mtree_range *nv = realloc(v, nc * sizeof(*nv));

					if (!nv) {
						free(v);
						return xv_err(ENOMEM, "out of memory parsing the QEMU memory map");
					}
					v = nv;
					cap = nc;
				}
				v[cnt++] = r;
			}
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	if (!found) {
		free(v);
		return xv_err(ENOENT, "QEMU memory map (info mtree -f) has no flat view for address space \"%s\"",
			      as_name);
	}
	*out = v;
	*n = cnt;
	return 0;
}
