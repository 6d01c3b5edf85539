/* test_ktab.c — the bucketed table behind flows, detectors and MACs: its hash is keyed by a
 * per-process secret, so keys a sender picks to share one bucket at one seed spread at another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/ktab.h"

#define NB 16 /* buckets of the test table (64 entries) */

static uint32_t bucket(const struct xv_ktab *t, uint64_t k)
{
	return (uint32_t)xv_ktab_hash_n(t, &k, 1) & (t->nbuckets - 1);
}

static void test_seeded(void **state)
{
	struct xv_ktab t;
	uint64_t any = 0;

	(void)state;
	assert_int_equal(xv_ktab_init(&t, NB * XV_KTAB_WAYS, 1, 8, 0), 0);
	assert_int_equal(t.nbuckets, NB);
	for (int i = 0; i < 8; i++)
		any |= t.seed[i];
	assert_true(any != 0); /* the process secret was filled in (all zero: 2^-512) */
	xv_ktab_fini(&t);
}

/* 12 keys that share bucket 0 under one seed (what an attacker who knew the hash would send):
 * that bucket holds 4, so 8 evictions. Under another seed the same keys spread out. */
static void test_collisions_depend_on_seed(void **state)
{
	struct xv_ktab t;
	uint64_t keys[12];
	int n = 0, still = 0;

	(void)state;
	assert_int_equal(xv_ktab_init(&t, NB * XV_KTAB_WAYS, 1, 8, 0), 0);
	memset(t.seed, 0, sizeof(t.seed));
	for (uint64_t k = 1; n < 12; k++)
		if (bucket(&t, k) == 0)
			keys[n++] = k;
	for (int i = 0; i < 12; i++)
		assert_non_null(xv_ktab_get(&t, &keys[i], 1000 + (uint64_t)i, true, NULL));
	assert_int_equal(t.evictions, 8);
	xv_ktab_fini(&t);

	assert_int_equal(xv_ktab_init(&t, NB * XV_KTAB_WAYS, 1, 8, 0), 0);
	for (int i = 0; i < 8; i++)
		t.seed[i] = 0x0123456789abcdefull * (uint64_t)(i + 1);
	for (int i = 0; i < 12; i++) {
		still += bucket(&t, keys[i]) == 0;
		assert_non_null(xv_ktab_get(&t, &keys[i], 1000 + (uint64_t)i, true, NULL));
	}
	assert_true(still <= 4);
	assert_true(t.evictions < 8);
	xv_ktab_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_collisions_depend_on_seed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
