/* btfpath.h — compile C-like field paths ("mm->exe_file->f_path.dentry") on BTF types, and follow them. */
#ifndef XV_KERNEL_BTFPATH_H
#define XV_KERNEL_BTFPATH_H

#include <stddef.h>
#include <stdint.h>

struct btf;

#ifndef XV_READ_FN_DEFINED
#define XV_READ_FN_DEFINED
/* Copy len bytes at guest-virtual va; 0 or -errno, all or nothing (e.g. over xv_vat_read). */
typedef int (*xv_read_fn)(void *ctx, uint64_t va, void *buf, size_t len);
#endif

/*
 * Path grammar (whitespace allowed between tokens):
 *   path   := "" | member { "." member | "->" member | "[" index "]" }
 *   index  := decimal | 0xhex
 * The root is a struct or union named as in kernel source ("task_struct", "struct task_struct",
 * "union bpf_attr") or a typedef of one. Members of anonymous structs/unions are found as C finds
 * them; typedef/const/volatile/restrict/type tags are stripped everywhere. "->" dereferences a
 * pointer (8 bytes, little-endian), "[i]" indexes an array in place (bounds-checked unless it is
 * a flexible array) or a pointer (dereference + i * sizeof(*p)). A bitfield may only end a path.
 *
 * The compiled form is offsets separated by dereferences:
 *   addr = base + off[0]; for k in 1..nderef: addr = read_u64(addr) + off[k]
 * Paths without "->" are a single offset (xv_btfpath_offset) for hot loops.
 */

enum xv_bp_kind {
	XV_BP_INT = 1, /* integers, char, bool */
	XV_BP_PTR,
	XV_BP_ARRAY,
	XV_BP_STRUCT,
	XV_BP_UNION,
	XV_BP_ENUM,
	XV_BP_FLOAT,
	XV_BP_FWD,     /* declared only (no layout in BTF) */
	XV_BP_OTHER,   /* function prototypes, void */
};

/* What the final field is. */
struct xv_btfpath_info {
	uint32_t root_id;    /* the resolved root struct/union */
	uint32_t decl_id;    /* the field's type as declared (may be a typedef) */
	uint32_t type_id;    /* with typedefs and qualifiers stripped */
	enum xv_bp_kind kind;
	int is_signed;       /* INT/ENUM */
	int is_bool;         /* INT with the BOOL encoding */
	uint64_t size;       /* bytes of the field (arrays: whole array); bitfields: bytes spanned */
	/* arrays */
	uint32_t elem_id;    /* stripped element type */
	uint64_t elem_size;
	uint32_t nelems;     /* 0 for flexible arrays */
	int is_string;       /* array of 1-byte ints (char comm[16]) */
	/* pointers */
	uint32_t target_id;  /* stripped pointee; 0 for void * */
	/* bitfields: the field starts bit_shift bits into the byte at its address */
	unsigned bit_shift, bit_size; /* bit_size 0: not a bitfield */
	size_t nderef;
};

struct xv_btfpath;

/* Compile path on type_name. 0, or -ENOENT/-EINVAL with a message such as
 * "struct task_struct has no member 'foo'", "'comm' is not a pointer, cannot use ->",
 * "'mm' is a pointer, use -> not .". */
int xv_btfpath_compile(const struct btf *btf, const char *type_name, const char *path,
		       struct xv_btfpath **out);
/* Same, starting from a type id (struct/union, or typedef/qualifier of one). */
int xv_btfpath_compile_id(const struct btf *btf, uint32_t type_id, const char *path,
			  struct xv_btfpath **out);
void xv_btfpath_free(struct xv_btfpath *p);

const struct xv_btfpath_info *xv_btfpath_info(const struct xv_btfpath *p);
/* The path text as compiled ("task_struct.mm->exe_file"). */
const char *xv_btfpath_str(const struct xv_btfpath *p);

/* The offset of a path with no dereference; -EINVAL (message) if it has any. */
int xv_btfpath_offset(const struct xv_btfpath *p, uint64_t *off);
/* The k-th offset (k <= nderef) of the compiled form. */
int64_t xv_btfpath_step(const struct xv_btfpath *p, size_t k);

/* Follow the path from base: *addr_out is the address of the final field. -EFAULT with a message
 * naming the pointer ("task_struct.mm is NULL", or the read that failed). */
int xv_btfpath_eval(const struct xv_btfpath *p, xv_read_fn read, void *ctx, uint64_t base,
		    uint64_t *addr_out);

/* eval + read the field's bytes (len must be <= info.size for non-bitfields). */
int xv_btfpath_read(const struct xv_btfpath *p, xv_read_fn read, void *ctx, uint64_t base,
		    void *buf, size_t len);

/* eval + read an integer, enum, bool or pointer (any size 1..8, bitfields included) as a u64;
 * signed values are sign-extended. -EINVAL for other kinds. */
int xv_btfpath_read_u64(const struct xv_btfpath *p, xv_read_fn read, void *ctx, uint64_t base,
			uint64_t *val);

/* Extract a little-endian bitfield of bit_size bits (1..64) starting bit_shift (0..7) bits into
 * bytes (which must hold (bit_shift + bit_size + 7) / 8 bytes). */
uint64_t xv_bitfield_extract(const uint8_t *bytes, unsigned bit_shift, unsigned bit_size,
			     int is_signed);

/* Convenience: byte offset of a member path without dereferences ("tasks", "se.vruntime"). */
int xv_btf_member_offset(const struct btf *btf, const char *type_name, const char *member,
			 uint64_t *off);
/* Size in bytes of a struct/union/typedef by name. */
int xv_btf_type_size(const struct btf *btf, const char *type_name, uint64_t *size);
/* Find the root type: struct, then union, then typedef (name may carry "struct "/"union ").
 * Returns the id or -ENOENT with a message. */
int xv_btf_find_type(const struct btf *btf, const char *type_name);

#endif
