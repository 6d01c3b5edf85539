/* mtree.h — parse QEMU's `info mtree -f` text into the flat guest-physical ranges of one address space. */
#ifndef XV_MEM_MTREE_H
#define XV_MEM_MTREE_H

#include <stddef.h>
#include <stdint.h>

struct xv_mtree_range {
	uint64_t start, end; /* guest-physical, end inclusive as QEMU prints it */
	uint64_t offset;     /* offset inside the memory region (the "@..." suffix), 0 if absent */
	char type[16];       /* "ram", "rom", "i/o", "romd", "ramd", "nv-ram", ... */
	char name[128];      /* memory region name: a backend id such as "pc.ram" or "mem0" */
};

/* The ranges of the first flat view that serves address space as_name (QEMU calls the system
 * one "memory"). *out is malloc'd. -ENOENT if no flat view serves that address space. */
int xv_mtree_parse(const char *text, const char *as_name, struct xv_mtree_range **out, size_t *n);

#endif
