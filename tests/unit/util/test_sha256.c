/* test_sha256.c — SHA-256: FIPS 180-4 test vectors, split updates, and the built-in one against the build's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/sha256.h"

typedef int (*init_fn)(struct xv_sha256 *);
typedef int (*update_fn)(struct xv_sha256 *, const void *, size_t);
typedef int (*final_fn)(struct xv_sha256 *, uint8_t *);

struct impl {
	init_fn init;
	update_fn update;
	final_fn final;
};

static const struct impl impls[] = {
	{ xv_sha256_soft_init, xv_sha256_soft_update, xv_sha256_soft_final },
	{ xv_sha256_init, xv_sha256_update, xv_sha256_final },
};

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void digest(const struct impl *im, const void *p, size_t n, size_t step, char out[65])
{
	struct xv_sha256 s;
	uint8_t d[32];

	assert_int_equal(im->init(&s), 0);
	for (size_t o = 0; o < n; o += step)
		assert_int_equal(im->update(&s, (const uint8_t *)p + o, n - o < step ? n - o : step), 0);
	assert_int_equal(im->final(&s, d), 0);
	hex(d, out);
}

static void test_vectors(void **state)
{
	static const struct {
		const char *msg;
		const char *want;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
		  "nopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char got[65];
	char *million = malloc(1000000);

	(void)state;
	assert_non_null(million);
	memset(million, 'a', 1000000);
	for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++) {
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			for (size_t step = 1; step <= 128; step = step * 2 + 1) {
				digest(&impls[k], v[i].msg, strlen(v[i].msg), step, got);
				assert_string_equal(got, v[i].want);
			}
		}
		digest(&impls[k], million, 1000000, 4096, got);
		assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	free(million);
}

/* Every length around the block and padding boundaries, and odd split points: both agree. */
static void test_soft_equals_build(void **state)
{
	uint8_t buf[1200];
	char a[65], b[65];
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t n = 0; n <= sizeof(buf); n += (n < 200 ? 1 : 37)) {
		digest(&impls[0], buf, n, n % 7 + 1, a);
		digest(&impls[1], buf, n, 64, b);
		assert_string_equal(a, b);
	}
	printf("[ info ] this build's SHA-256: %s\n", xv_sha256_impl());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_soft_equals_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
