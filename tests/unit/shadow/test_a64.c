/* test_a64.c — the arm64 ADRP/ADD/LDR reader that finds kernel data without data symbols. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shadow/shadow.h"

/* Encoders written from the Arm ARM field layout, independent of the decoder under test. */
static uint32_t adrp(unsigned rd, int64_t pages)
{
	uint32_t imm = (uint32_t)pages & 0x1fffff;

	return 0x90000000u | ((imm & 3) << 29) | ((imm >> 2) << 5) | rd;
}

static uint32_t add(unsigned rd, unsigned rn, unsigned imm, int lsl12)
{
	return 0x91000000u | ((uint32_t)!!lsl12 << 22) | (imm << 10) | (rn << 5) | rd;
}

static uint32_t ldr(unsigned rt, unsigned rn, unsigned byte_off)
{
	return 0xf9400000u | ((byte_off / 8) << 10) | (rn << 5) | rt;
}

static size_t put(uint8_t *b, const uint32_t *ins, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		b[4 * i] = (uint8_t)ins[i];
		b[4 * i + 1] = (uint8_t)(ins[i] >> 8);
		b[4 * i + 2] = (uint8_t)(ins[i] >> 16);
		b[4 * i + 3] = (uint8_t)(ins[i] >> 24);
	}
	return 4 * n;
}

static void two_adds_then_loads(void **state)
{
	/* As Debian 6.1's get_avenrun: mov x9, x30; nop; adrp x3; add; add; paciasp; ...; ldr */
	const uint64_t pc = 0xffff800008123f40ull;
	uint32_t ins[] = { 0xaa1e03e9, 0xd503201f, adrp(3, 0x1234), add(3, 3, 0xec0, 0),
			   add(3, 3, 0x228, 0), 0xd503233f, ldr(4, 3, 0), ldr(5, 3, 8),
			   ldr(6, 3, 16) };
	uint8_t code[64] = { 0 };
	uint64_t a = 0;

	(void)state;
	size_t n = put(code, ins, sizeof(ins) / 4);

	assert_int_equal(sh_a64_data_ref(code, n, pc, &a), 0);
	assert_int_equal(a, ((pc + 8) & ~0xfffull) + 0x1234000ull + 0xec0 + 0x228);
}

static void lowest_load_wins(void **state)
{
	const uint64_t pc = 0xffffd15179f00000ull;
	uint32_t ins[] = { adrp(1, -3), ldr(2, 1, 0x10 + 0x9a0), ldr(0, 1, 0x9a0), ldr(7, 1, 0x8 + 0x9a0) };
	uint8_t code[16];
	uint64_t a = 0;

	(void)state;
	put(code, ins, 4);
	assert_int_equal(sh_a64_data_ref(code, sizeof(code), pc, &a), 0);
	assert_int_equal(a, (pc & ~0xfffull) - 3 * 4096ull + 0x9a0);
}

static void add_shifted(void **state)
{
	const uint64_t pc = 0x1000;
	uint32_t ins[] = { adrp(0, 2), add(0, 0, 0x5, 1), add(0, 0, 0x18, 0) };
	uint8_t code[12];
	uint64_t a = 0;

	(void)state;
	put(code, ins, 3);
	assert_int_equal(sh_a64_data_ref(code, sizeof(code), pc, &a), 0);
	assert_int_equal(a, 0x1000 + 0x2000 + 0x5000 + 0x18);
}

static void nothing_to_find(void **state)
{
	uint32_t none[] = { 0xd503201f, 0xd65f03c0 };                 /* nop; ret */
	uint32_t unused[] = { adrp(4, 1), ldr(0, 5, 8), 0xd65f03c0 };   /* loads through another reg */
	uint8_t code[12];
	uint64_t a = 42;

	(void)state;
	put(code, none, 2);
	assert_int_equal(sh_a64_data_ref(code, 8, 0x4000, &a), -ENOENT);
	put(code, unused, 3);
	assert_int_equal(sh_a64_data_ref(code, 12, 0x4000, &a), -ENOENT);
	assert_int_equal(a, 42);
	assert_int_equal(sh_a64_data_ref(code, 3, 0x4000, &a), -ENOENT); /* shorter than one insn */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_adds_then_loads),
		cmocka_unit_test(lowest_load_wins),
		cmocka_unit_test(add_shifted),
		cmocka_unit_test(nothing_to_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
