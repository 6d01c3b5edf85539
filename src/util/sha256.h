/* sha256.h — SHA-256 for file hashes (fchk, baselines): libcrypto's when built with it, else our own. */
#ifndef XV_UTIL_SHA256_H
#define XV_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* With libcrypto (-Dcrypto, the default when libssl-dev is there) its EVP SHA-256 does the work
 * (it uses the CPU's SHA instructions); without it, a portable implementation of FIPS 180-4 in
 * sha256.c. Same digests either way: a baseline made by one build checks with the other. */
struct xv_sha256 {
	void *evp;      /* EVP_MD_CTX, libcrypto builds */
	uint32_t h[8];  /* built-in state */
	uint64_t bytes;
	uint8_t buf[64];
	size_t nbuf;
};

/* 0, or -errno with a message (ENOMEM, or libcrypto failing). After a failure, or after
 * xv_sha256_final(), the state holds nothing to free. */
int xv_sha256_init(struct xv_sha256 *s);
int xv_sha256_update(struct xv_sha256 *s, const void *data, size_t len);
int xv_sha256_final(struct xv_sha256 *s, uint8_t out[32]);
/* Give up on a digest (frees libcrypto's context). */
void xv_sha256_abort(struct xv_sha256 *s);
/* "libcrypto" or "built-in". */
const char *xv_sha256_impl(void);

/* The built-in implementation itself, whichever the build uses (for the tests). */
int xv_sha256_soft_init(struct xv_sha256 *s);
int xv_sha256_soft_update(struct xv_sha256 *s, const void *data, size_t len);
int xv_sha256_soft_final(struct xv_sha256 *s, uint8_t out[32]);

#endif
