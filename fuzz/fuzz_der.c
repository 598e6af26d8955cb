/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: an imported RSA public key through the device backends'
 * DER reader; whatever it accepts must write back byte for byte (canonical).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *n, *e;
	size_t n_len, e_len, len;
	uint8_t *out;

	if (der_rsa_public_parse(data, size, &n, &n_len, &e, &e_len) == -1)
		return 0;
	len = der_rsa_public_write(n, n_len, e, e_len, NULL, 0);
	if (len == 0)
		return 0; /* a magnitude too large to write back is refused on export */
	if ((out = malloc(len)) == NULL)
		abort();
	if (der_rsa_public_write(n, n_len, e, e_len, out, len) != len || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
	return 0;
}
