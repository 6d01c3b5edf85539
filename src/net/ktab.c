/* ktab.c — bucketed hash table used for flows, thresholds, detectors and the MAC table. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "net/ktab.h"

static uint64_t key_words[8];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ z >> 27) * 0x94d049bb133111ebull;
	return z ^ z >> 31;
}

/* One secret per process (every table shares it; what matters is that a sender cannot know it).
 * XVIDS_HASH_SEED=N fixes it, so that a fuzzer's or a test's run can be replayed exactly. */
static void key_init(void)
{
	const char *fixed = getenv("XVIDS_HASH_SEED");
	struct timespec ts;
	uint64_t x;

	if (!(fixed && *fixed) &&
	    getrandom(key_words, sizeof(key_words), GRND_NONBLOCK) == (ssize_t)sizeof(key_words))
		return;
	if (fixed && *fixed) {
		x = strtoull(fixed, NULL, 0);
	} else { /* no entropy yet (early boot): still unknown to a remote sender, if weaker */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)(uintptr_t)&ts;
	}
	for (int i = 0; i < 8; i++)
		key_words[i] = splitmix64(&x);
}

/* Anonymous mappings: page-aligned (so 64-byte entries never straddle cache lines), zero pages
 * that cost nothing until touched, and on large tables transparent huge pages, which spare a fresh
 * process one page fault per 4 KiB of a table that random keys touch all over. */
static void *zmap(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (size >= (2u << 20))
		madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

int xv_ktab_init(struct xv_ktab *t, uint32_t capacity, uint32_t kwords, uint32_t payload,
		 uint64_t timeout_usec)
{
	uint32_t n = 1;
	memset(t, 0, sizeof(*t));
	if (kwords < 1 || kwords > 8) /* the hash has a constant for each of 8 words */
		return -EINVAL;
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
	pthread_once(&key_once, key_init);
	memcpy(t->seed, key_words, sizeof(t->seed));
	t->mem_size = (size_t)n * XV_KTAB_WAYS * t->esize;
	t->tags_size = (size_t)n * XV_KTAB_WAYS * sizeof(*t->tags);
	t->mem = zmap(t->mem_size);
	t->tags = zmap(t->tags_size);
	if (!t->mem || !t->tags) {
		xv_ktab_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void xv_ktab_fini(struct xv_ktab *t)
{
	if (t->mem)
		munmap(t->mem, t->mem_size);
	if (t->tags)
		munmap(t->tags, t->tags_size);
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

struct xv_kent *xv_ktab_get(struct xv_ktab *t, const uint64_t *key, uint64_t now, bool create,
			    bool *created)
{
	return xv_ktab_get_hk(t, key, t->kwords, xv_ktab_hash_n(t, key, t->kwords), now, create,
			      created);
}

struct xv_kent *xv_ktab_find(const struct xv_ktab *t, const uint64_t *key, uint64_t now)
{
	uint64_t h = xv_ktab_hash_n(t, key, t->kwords);
	uint32_t b = (uint32_t)h & (t->nbuckets - 1);
	uint16_t hash = (uint16_t)(h >> 48) | 1;
	for (uint32_t w = 0; w < XV_KTAB_WAYS; w++) {
		if (t->tags[(size_t)b * XV_KTAB_WAYS + w] != hash)
			continue;
		struct xv_kent *e = slot(t, b, w);
		if (!memcmp(e->key, key, 8 * t->kwords))
			return expired(t, e, now) ? NULL : e;
	}
	return NULL;
}

struct xv_kent *xv_ktab_insert(struct xv_ktab *t, const uint64_t *key, uint64_t h, uint64_t now,
			       int w_expired)
{
	uint32_t b = (uint32_t)h & (t->nbuckets - 1);
	uint16_t hash = (uint16_t)(h >> 48) | 1;
	uint16_t *tags = t->tags + (size_t)b * XV_KTAB_WAYS;
	struct xv_kent *victim = NULL;
	uint32_t vw = 0;

	if (w_expired >= 0) {
		vw = (uint32_t)w_expired;
		victim = slot(t, b, vw);
	} else {
		for (uint32_t w = 0; w < XV_KTAB_WAYS; w++) {
			struct xv_kent *e = slot(t, b, w);
			if (!tags[w] || expired(t, e, now)) {
				victim = e;
				vw = w;
				break;
			}
			if (!victim || e->last < victim->last) {
				victim = e;
				vw = w;
			}
		}
		if (tags[vw] && !expired(t, victim, now))
			t->evictions++;
	}
	memset(victim, 0, t->esize);
	tags[vw] = hash;
	victim->last = now;
	memcpy(victim->key, key, 8 * t->kwords);
	t->inserts++;
	return victim;
}

uint64_t xv_ktab_live(const struct xv_ktab *t, uint64_t now)
{
	uint64_t n = 0;
	for (uint32_t b = 0; b < t->nbuckets; b++)
		for (uint32_t w = 0; w < XV_KTAB_WAYS; w++)
			n += t->tags[(size_t)b * XV_KTAB_WAYS + w] && !expired(t, slot(t, b, w), now);
	return n;
}
