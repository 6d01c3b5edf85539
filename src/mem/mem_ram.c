/* mem_ram.c — the ram:PATH@BASE source: a raw guest-RAM file mapped read-only at one base address. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem_internal.h"
#include "xvids/err.h"

struct ram_priv {
	struct xv_mem_file f;
};

static void ram_close(struct xv_mem *mem)
{
	struct ram_priv *rp = mem->priv;

	if (rp) {
		xv_mem_unmap_file(&rp->f);
		free(rp);
	}
}

static const struct xv_mem_ops ram_ops = { .close = ram_close };

/* Strict hex: optional 0x, at least one digit, nothing after, fits 64 bits. */
static int parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (v >> 60)
			return -1;
		v = (v << 4) | (uint64_t)d;
	}
	if (digits == 0)
		return -1;
	*out = v;
	return 0;
}

int xv_mem_open_ram(const char *arg, struct xv_mem *mem)
{
	const char *at = strrchr(arg, '@');
	struct ram_priv *rp;
	struct xv_mem_part part;
	uint64_t base;
	char *path;
	int rc;

	if (!at)
		return xv_err(EINVAL, "ram source '%s' has no base address: use ram:PATH@BASE, e.g. ram:/run/vm/ram@0x40000000",
			      arg);
	if (parse_hex(at + 1, &base) < 0)
		return xv_err(EINVAL, "ram source base '%s' is not a hexadecimal address (e.g. 0x40000000)",
			      at + 1);
	if (at == arg)
		return xv_err(EINVAL, "ram source '%s' has no file path before '@'", arg);
	path = strndup(arg, (size_t)(at - arg));
	rp = calloc(1, sizeof(*rp));
	if (!path || !rp) {
		free(path);
		free(rp);
		return xv_err(ENOMEM, "out of memory opening a ram source");
	}
	rc = xv_mem_map_file(path, &rp->f);
	if (rc < 0) {
		free(path);
		free(rp);
		return rc;
	}
	mem->priv = rp;
	mem->ops = &ram_ops;
	if (base + rp->f.len - 1 < base) {
		rc = xv_err(EINVAL, "ram file %s (%zu bytes) at base 0x%llx runs past the end of the physical address space",
			    path, rp->f.len, (unsigned long long)base);
		free(path);
		return rc;
	}
	part = (struct xv_mem_part){ .start = base, .size = rp->f.len, .backing = XV_SEG_MAPPED,
				     .data = rp->f.base, .fmap = rp->f.base, .fd = rp->f.fd };
	rc = xv_mem_add(mem, &part);
	if (rc == 0) {
		if (rp->f.len >= (1u << 20))
			snprintf(mem->desc, sizeof(mem->desc), "ram file %s (%zu MiB at 0x%llx)", path,
				 rp->f.len >> 20, (unsigned long long)base);
		else
			snprintf(mem->desc, sizeof(mem->desc), "ram file %s (%zu bytes at 0x%llx)", path,
				 rp->f.len, (unsigned long long)base);
	}
	free(path);
	return rc;
}
