/* fuzz_policy.c — the policy file parser (pchk/mchk/fchk policies) on arbitrary text. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz.h"
#include "xvids/policy.h"

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct xv_policy *p = xv_policy_parse((const char *)data, size, "fuzz.policy");

	if (p) {
		size_t n = xv_policy_count(p);
		static FILE *null;

		if (!null)
			null = fopen("/dev/null", "w");

		for (size_t i = 0; i <= n && i < 256; i++) {
			const struct xv_policy_entry *e = xv_policy_get(p, i);

			if (e) {
				const char *v = xv_policy_value(e, "path");

				if (v && null)
					xv_policy_write_value(null, v);
				xv_policy_value(e, "");
			}
		}
		xv_policy_free(p);
	}
	return 0;
}
