/* random.c: psa_generate_random: lengths and statuses only (the bytes differ). */
#include <stdio.h>
#include <string.h>

#include "tp.h"

int
main(void)
{
	static const size_t lens[] = { 0, 1, 16, 32, 255, 1024, 4096 };
	static uint8_t a[4096], b[4096];
	char call[64];
	size_t i;

	tp_init();
	tp_case("random lengths");
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		snprintf(call, sizeof(call), "psa_generate_random %zu", lens[i]);
		tp_st(call, psa_generate_random(a, lens[i]));
	}
	tp_case("random differs between calls");
	tp_st("psa_generate_random", psa_generate_random(a, 32));
	tp_st("psa_generate_random", psa_generate_random(b, 32));
	tp_note("two 32-byte draws differ: %s", memcmp(a, b, 32) != 0 ? "yes" : "no");
	memset(a, 0, sizeof(a));
	tp_st("psa_generate_random", psa_generate_random(a, sizeof(a)));
	for (i = 0; i < sizeof(a) && a[i] == 0; i++)
		;
	tp_note("4096 bytes are not all zero: %s", i < sizeof(a) ? "yes" : "no");
	return tp_done();
}
