/* obj.h — typed access to guest kernel objects by kernel-source names (the seed's LLView, in C). */
#ifndef XVIDS_OBJ_H
#define XVIDS_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include "xvids/kernel.h"

/*
 * Paths are written as in kernel source, relative to an object of a named struct type:
 *   "comm", "tasks.next", "cred->uid.val", "mm->exe_file->f_path.dentry->d_name.name".
 * Offsets come from the guest's BTF at run time; a path is compiled once per kernel and cached,
 * so hot loops cost a hash lookup plus the reads. Every "->" is a guest pointer that is checked
 * and translated through the guest's page tables.
 */

enum xv_kind { XV_KIND_INT, XV_KIND_PTR, XV_KIND_ARRAY, XV_KIND_STRUCT, XV_KIND_ENUM, XV_KIND_OTHER };

struct xv_fieldinfo {
	uint64_t addr;     /* guest-virtual address of the final field */
	uint32_t size;     /* bytes */
	enum xv_kind kind;
	int is_signed;
	int is_char_array; /* char[N]: read as a string */
	int is_char_ptr;   /* char *: dereference and read a string */
	uint32_t bit_off;  /* bitfields: bit offset inside addr's unit, and width; 0/0 otherwise */
	uint32_t bit_size;
	int32_t type_id;   /* BTF id of the field's type (typedefs and qualifiers stripped) */
	const char *type_name; /* e.g. "list_head", "int", "char" ("" if anonymous) */
};

/* Offset of a member path that has no "->" (e.g. "task_struct", "pids[0].node"). Cached. */
int xv_off(struct xv_kernel *k, const char *type, const char *path, uint32_t *off);

/* sizeof(struct type) from BTF. */
int xv_sizeof(struct xv_kernel *k, const char *type, uint32_t *size);

/* Resolve path on the object at obj (following "->" pointers) and describe the final field. */
int xv_obj_field(struct xv_kernel *k, const char *type, const char *path, uint64_t obj,
		 struct xv_fieldinfo *fi);

/* Read an integer, enum or pointer field (1, 2, 4 or 8 bytes; bitfields extracted), extended to
 * 64 bits with its signedness. */
int xv_obj_u64(struct xv_kernel *k, const char *type, const char *path, uint64_t obj, uint64_t *v);

/* Read a string field: char[N] copied, char * dereferenced. Always NUL-terminates buf. */
int xv_obj_str(struct xv_kernel *k, const char *type, const char *path, uint64_t obj, char *buf,
	       size_t size);

/* Visit each entry of a list_head list: head is the address of the list_head that anchors the
 * list; member_off the offset of the list_head inside each entry; the callback gets the entry's
 * (container's) address and stops the walk by returning non-zero (returned as is). The walk is
 * bounded by max entries (-E2BIG) and stops on cycles that do not pass through head (-ELOOP) or
 * on a pointer that cannot be read (-EFAULT), with a message that says where. */
typedef int (*xv_list_cb)(struct xv_kernel *k, uint64_t entry, void *ctx);
int xv_list_walk(struct xv_kernel *k, uint64_t head, uint32_t member_off, size_t max, xv_list_cb cb,
		 void *ctx);

/* The same for an hlist_head (singly linked, NULL-terminated). */
int xv_hlist_walk(struct xv_kernel *k, uint64_t head, uint32_t member_off, size_t max,
		  xv_list_cb cb, void *ctx);

/* Visit every entry of the struct xarray at xa (an IDR's idr_rt, a page cache's i_pages) in index
 * order: the callback gets the index and the raw entry (a pointer, or a value entry with bit 0
 * set: shadow/swap entries of the page cache). Internal entries are not passed. Bounded by max
 * entries (-E2BIG) and by the tree's shift structure (a cycle or a bad node is -EINVAL). */
typedef int (*xv_xa_cb)(struct xv_kernel *k, uint64_t index, uint64_t entry, void *ctx);
int xv_xarray_walk(struct xv_kernel *k, uint64_t xa, size_t max, xv_xa_cb cb, void *ctx);

#endif
