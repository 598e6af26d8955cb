/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for the extension calls of parsec/ext_key.h until the service
 * serves them: each answers PsaErrorNotSupported without asking.
 */
#include "parsec/ext_key.h"

int
parsec_ext_generate_volatile(parsec_client *c, const char *name, const struct parsec_key_attributes
    *attributes)
{
	(void)c;
	(void)name;
	(void)attributes;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_import_volatile(parsec_client *c, const char *name, const struct parsec_key_attributes
    *attributes, const uint8_t *data, size_t data_len)
{
	(void)c;
	(void)name;
	(void)attributes;
	(void)data;
	(void)data_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_copy_key(parsec_client *c, const char *source, const char *target, const struct
    parsec_key_attributes *attributes, int is_volatile)
{
	(void)c;
	(void)source;
	(void)target;
	(void)attributes;
	(void)is_volatile;
	return PARSEC_ERR_NOT_SUPPORTED;
}
