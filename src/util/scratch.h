/* scratch.h — big short-lived buffers that go back to the kernel when freed, whatever malloc decides. */
#ifndef XV_UTIL_SCRATCH_H
#define XV_UTIL_SCRATCH_H

#include <stddef.h>

/*
 * A scan window or a carving buffer lives for one step of discovery. From malloc, glibc may keep
 * it after free (its mmap threshold rises after large frees, and then large blocks come from the
 * heap and stay resident), so the process keeps a peak it no longer needs. These are mmap'd and
 * munmap'd directly; pages never written are never resident. Zero-filled. NULL (errno ENOMEM)
 * on failure; xv_scratch_free(NULL, n) is a no-op.
 */
void *xv_scratch_alloc(size_t size);
void xv_scratch_free(void *p, size_t size);

#endif
