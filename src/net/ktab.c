/* ktab.c — bucketed hash table used for flows, thresholds, detectors and the MAC table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/ktab.h"

int xv_ktab_init(struct xv_ktab *t, uint32_t capacity, uint32_t kwords, uint32_t payload,
		 uint64_t timeout_usec)
{
	uint32_t n = 1;
	memset(t, 0, sizeof(*t));
	if (capacity < XV_KTAB_WAYS)
		capacity = XV_KTAB_WAYS;
	if (capacity > (1u << 26))
		capacity = 1u << 26;
	while (n * XV_KTAB_WAYS < capacity)
		n <<= 1;
	t->nbuckets = n;
	t->kwords = kwords;
	t->esize = (uint32_t)((sizeof(struct xv_kent) + 8 * kwords + payload + 7) & ~7u);
	t->timeout = timeout_usec;
	t->mem = calloc((size_t)n * XV_KTAB_WAYS, t->esize);
	t->tags = calloc((size_t)n * XV_KTAB_WAYS, sizeof(*t->tags));
	if (!t->mem || !t->tags) {
		xv_ktab_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void xv_ktab_fini(struct xv_ktab *t)
{
	free(t->mem);
	free(t->tags);
	t->mem = NULL;
	t->tags = NULL;
}

static inline struct xv_kent *slot(const struct xv_ktab *t, uint32_t b, uint32_t w)
{
	return (struct xv_kent *)(t->mem + ((size_t)b * XV_KTAB_WAYS + w) * t->esize);
}

static inline bool expired(const struct xv_ktab *t, const struct xv_kent *e, uint64_t now)
{
	return t->timeout && now > e->last && now - e->last > t->timeout;
}

static inline bool key_eq(const uint64_t *a, const uint64_t *b, uint32_t n)
{
	uint64_t d = 0;
	for (uint32_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

struct xv_kent *xv_ktab_get(struct xv_ktab *t, const uint64_t *key, uint64_t now, bool create,
			    bool *created)
{
	/* multiply-rotate per word, one full mix at the end: cheap and well spread */
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < t->kwords; i++)
		h = ((h ^ key[i]) * 0xff51afd7ed558ccdull) << 31 | ((h ^ key[i]) * 0xff51afd7ed558ccdull) >> 33;
	h = xv_mix64(h);
	uint32_t b = (uint32_t)h & (t->nbuckets - 1), hash = (uint32_t)(h >> 32) | 1;
	uint32_t *tags = t->tags + (size_t)b * XV_KTAB_WAYS;
	struct xv_kent *free_slot = NULL, *lru = NULL, *victim;

	if (created)
		*created = false;
	for (uint32_t w = 0; w < XV_KTAB_WAYS; w++) {
		if (tags[w] != hash)
			continue;
		struct xv_kent *e = slot(t, b, w);
		if (!key_eq(e->key, key, t->kwords))
			continue;
		if (expired(t, e, now)) {
			/* an idle entry is a new one in the same slot, or none at all */
			if (!create)
				return NULL;
			victim = e;
			goto fill;
		}
		if (now > e->last)
			e->last = now;
		return e;
	}
	if (!create)
		return NULL;
	for (uint32_t w = 0; w < XV_KTAB_WAYS; w++) {
		struct xv_kent *e = slot(t, b, w);
		if (!tags[w] || expired(t, e, now)) {
			free_slot = e;
			break;
		}
		if (!lru || e->last < lru->last)
			lru = e;
	}
	victim = free_slot;
	if (!victim) {
		victim = lru;
		t->evictions++;
	}
fill:
	memset(victim, 0, t->esize);
	tags[((uint8_t *)victim - t->mem) / t->esize - (size_t)b * XV_KTAB_WAYS] = hash;
	victim->used = 1;
	victim->hash = hash;
	victim->last = now;
	memcpy(victim->key, key, 8 * t->kwords);
	t->inserts++;
	if (created)
		*created = true;
	return victim;
}

uint64_t xv_ktab_live(const struct xv_ktab *t, uint64_t now)
{
	uint64_t n = 0;
	for (uint32_t b = 0; b < t->nbuckets; b++)
		for (uint32_t w = 0; w < XV_KTAB_WAYS; w++) {
			const struct xv_kent *e = slot(t, b, w);
			n += e->used && !expired(t, e, now);
		}
	return n;
}
