/* ktab.h — fixed-size 4-way bucketed hash table with LRU eviction: bounded memory for all state. */
#ifndef XV_NET_KTAB_H
#define XV_NET_KTAB_H

#include <stdbool.h>
#include <stdint.h>

/* Entry header; key words follow, then the caller's payload. */
struct xv_kent {
	uint64_t last;  /* last use time (usec) */
	uint32_t used;
	uint32_t hash;
	uint64_t key[];
};

struct xv_ktab {
	uint8_t *mem;
	uint32_t *tags;      /* per slot: hash | 1, or 0 when never used; one cache line per bucket
			      * tells which slot can hold a key before any entry is touched */
	uint32_t nbuckets;   /* power of two */
	uint32_t esize;      /* bytes per entry */
	uint32_t kwords;     /* key size in 64-bit words */
	uint64_t timeout;    /* usec of idleness after which an entry is free; 0: never */
	uint64_t evictions;  /* live entries thrown out to make room */
	uint64_t inserts;
};

#define XV_KTAB_WAYS 4

/* capacity is rounded up to a power of two >= 4. Returns 0 or -ENOMEM. */
int xv_ktab_init(struct xv_ktab *t, uint32_t capacity, uint32_t kwords, uint32_t payload,
		 uint64_t timeout_usec);
void xv_ktab_fini(struct xv_ktab *t);

/* Find key; if absent and create, take a free/expired slot or evict the least recently used one
 * of the bucket (payload zeroed, *created set). Updates last. NULL if absent and !create. */
struct xv_kent *xv_ktab_get(struct xv_ktab *t, const uint64_t *key, uint64_t now, bool create,
			    bool *created);

static inline void *xv_kent_payload(const struct xv_ktab *t, struct xv_kent *e)
{
	return (uint8_t *)e + sizeof(*e) + 8 * t->kwords;
}

/* Entries in use and not expired at now. O(capacity). */
uint64_t xv_ktab_live(const struct xv_ktab *t, uint64_t now);

static inline uint64_t xv_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

#endif
