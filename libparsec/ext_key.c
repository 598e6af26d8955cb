/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd's key extensions, client side (parsec/ext_key.h): volatile
 * creations and key copy, through the codec rows of proto/pc_ext_key.c. A
 * volatile key lives as long as the client's connection, which libparsec
 * keeps open (keep-alive) for the process's life.
 */
#include <stddef.h>

#include "libparsec.h"
#include "parsec/ext_key.h"
#include "psa_codec.h"

static struct op_key_attrs
ext_key_attrs(const struct parsec_key_attributes *a)
{
	return (struct op_key_attrs){ a->type, a->bits, a->usage, a->alg };
}

int
parsec_ext_generate_volatile(parsec_client *c, const char *name, const struct parsec_key_attributes
    *attributes)
{
	struct op_request a = { .attrs = ext_key_attrs(attributes) };

	parsec_name(a.key_name, name);
	return parsec_run(c, OP_EXT_GENERATE_VOLATILE, &a, NULL, NULL);
}

int
parsec_ext_import_volatile(parsec_client *c, const char *name, const struct parsec_key_attributes
    *attributes, const uint8_t *data, size_t data_len)
{
	struct op_request a = { .attrs = ext_key_attrs(attributes),
		.in = { { data, data_len } } };

	parsec_name(a.key_name, name);
	return parsec_run(c, OP_EXT_IMPORT_VOLATILE, &a, NULL, NULL);
}

int
parsec_ext_copy_key(parsec_client *c, const char *source, const char *target, const struct
    parsec_key_attributes *attributes, int is_volatile)
{
	struct op_request a = { .attrs = ext_key_attrs(attributes), .number = is_volatile ? 1 : 0 };

	parsec_name(a.key_name, target);
	parsec_name(a.client, source);
	return parsec_run(c, OP_EXT_COPY_KEY, &a, NULL, NULL);
}
