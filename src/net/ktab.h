/* ktab.h — fixed-size 4-way bucketed hash table with LRU eviction: bounded memory for all state. */
#ifndef XV_NET_KTAB_H
#define XV_NET_KTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Entry header; key words follow, then the caller's payload. Whether a slot is in use is in the
 * tag array, so an entry carries nothing else: a flow (5 key words + 16 payload bytes) is exactly
 * one 64-byte cache line. */
struct xv_kent {
	uint64_t last;  /* last use time (usec) */
	uint64_t key[];
};

struct xv_ktab {
	uint8_t *mem;        /* nbuckets * WAYS entries, 64-byte aligned (mmap) */
	uint16_t *tags;      /* per slot: 16 hash bits | 1, or 0 when never used; 8 bytes per bucket
			      * tell which slot can hold a key before any entry is touched (a
			      * 65,536-flow table has 128 KiB of them: they stay in the L2 cache) */
	size_t mem_size, tags_size;
	uint32_t nbuckets;   /* power of two */
	uint32_t esize;      /* bytes per entry */
	uint32_t kwords;     /* key size in 64-bit words */
	uint64_t timeout;    /* usec of idleness after which an entry is free; 0: never */
	uint64_t evictions;  /* live entries thrown out to make room */
	uint64_t inserts;
	/* Per-process secret, one word per key word, mixed in before each word's multiply: the
	 * keys come from the network (addresses, ports), and without it a sender could choose keys
	 * that share one bucket and evict a victim flow or detector entry at will. */
	uint64_t seed[8];
};

#define XV_KTAB_WAYS 4

/* capacity is rounded up to a power of two >= 4. Returns 0 or -ENOMEM. */
int xv_ktab_init(struct xv_ktab *t, uint32_t capacity, uint32_t kwords, uint32_t payload,
		 uint64_t timeout_usec);
void xv_ktab_fini(struct xv_ktab *t);

/* The hash of a key: each word multiplied by its own odd constant (independent multiplies, not a
 * chain: the bucket address is on the critical path of every lookup), summed, then one full mix.
 * In pieces so that the flow table (5 words) can spell it out: the same value as xv_ktab_hash_n. */
static inline uint64_t xv_ktab_hash_word(const struct xv_ktab *t, uint64_t w, unsigned i)
{
	static const uint64_t mul[8] = {
		0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
		0xd6e8feb86659fd93ull, 0xff51afd7ed558ccdull, 0xc4ceb9fe1a85ec53ull,
		0x94d049bb133111ebull, 0xbf58476d1ce4e5b9ull,
	};
	uint64_t k = (w ^ t->seed[i & 7]) * mul[i & 7];
	return k ^ k >> 29;
}

static inline uint64_t xv_ktab_hash_end(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline uint64_t xv_ktab_hash_n(const struct xv_ktab *t, const uint64_t *key,
				      uint32_t kwords)
{
	uint64_t h = kwords;
	for (uint32_t i = 0; i < kwords; i++)
		h += xv_ktab_hash_word(t, key[i], i);
	return xv_ktab_hash_end(h);
}

/* Find key; if absent and create, take a free/expired slot or evict the least recently used one
 * of the bucket (payload zeroed, *created set). Updates last. NULL if absent and !create. */
struct xv_kent *xv_ktab_get(struct xv_ktab *t, const uint64_t *key, uint64_t now, bool create,
			    bool *created);
/* Find key without creating it or refreshing its last use (an expired entry is not found). */
struct xv_kent *xv_ktab_find(const struct xv_ktab *t, const uint64_t *key, uint64_t now);
/* The part of a lookup after a miss: a new entry for key in hash h's bucket (or the expired
 * entry at way w_expired, or none: -1). */
struct xv_kent *xv_ktab_insert(struct xv_ktab *t, const uint64_t *key, uint64_t h, uint64_t now,
			       int w_expired);

/* xv_ktab_get() with the hash already known and kwords (== t->kwords) a constant at the call
 * site, inline: the hit path of the per-packet flow lookup without a loop over key words. */
static inline struct xv_kent *xv_ktab_get_hk(struct xv_ktab *t, const uint64_t *key, uint32_t kwords,
					     uint64_t h, uint64_t now, bool create, bool *created)
{
	uint32_t b = (uint32_t)h & (t->nbuckets - 1);
	uint16_t hash = (uint16_t)(h >> 48) | 1;
	const uint8_t *ents = t->mem + (size_t)b * XV_KTAB_WAYS * t->esize;
	/* the bucket's entries are fetched while its tags are compared: for a new (or long unused)
	 * key two cache misses overlap instead of following each other */
	for (uint32_t w = 0; w < XV_KTAB_WAYS; w++)
		__builtin_prefetch(ents + w * t->esize, 1);
	if (created)
		*created = false;
	/* the four tags at once: a lane of x is zero where the tag matches. The borrow trick may
	 * also flag a lane above a match; the key compare sorts that out, and no match is missed. */
	uint64_t t4;
	memcpy(&t4, t->tags + (size_t)b * XV_KTAB_WAYS, 8);
	uint64_t x = t4 ^ (hash * 0x0001000100010001ull);
	uint64_t m = (x - 0x0001000100010001ull) & ~x & 0x8000800080008000ull;
	for (; m; m &= m - 1) {
		uint32_t w = (uint32_t)__builtin_ctzll(m) / 16;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = XV_KTAB_WAYS - 1 - w; /* tags[0] is then the most significant lane */
#endif
		struct xv_kent *e = (struct xv_kent *)(ents + w * t->esize);
		uint64_t d = 0;
		for (uint32_t i = 0; i < kwords; i++)
			d |= e->key[i] ^ key[i];
		if (d)
			continue;
		if (t->timeout && now > e->last && now - e->last > t->timeout) {
			/* an idle entry is a new one in the same slot, or none at all */
			if (!create)
				return NULL;
			if (created)
				*created = true;
			return xv_ktab_insert(t, key, h, now, (int)w);
		}
		if (now > e->last)
			e->last = now;
		return e;
	}
	if (!create)
		return NULL;
	if (created)
		*created = true;
	return xv_ktab_insert(t, key, h, now, -1);
}

static inline void *xv_kent_payload(const struct xv_ktab *t, struct xv_kent *e)
{
	return (uint8_t *)e + sizeof(*e) + 8 * t->kwords;
}

/* Entries in use and not expired at now. O(capacity) over the tags; touches only used entries. */
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
