/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-ins for the extension calls of parsec/ext_mp.h until the service
 * serves them: each answers PsaErrorNotSupported without asking.
 */
#include "parsec/ext_mp.h"

int
parsec_ext_abort(parsec_client *c, uint32_t handle)
{
	(void)c;
	(void)handle;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_hash_setup(parsec_client *c, uint32_t alg, uint32_t *handle)
{
	(void)c;
	(void)alg;
	(void)handle;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_hash_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len)
{
	(void)c;
	(void)handle;
	(void)in;
	(void)in_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_hash_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len)
{
	(void)c;
	(void)handle;
	(void)out;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_hash_verify(parsec_client *c, uint32_t handle, const uint8_t *hash, size_t hash_len)
{
	(void)c;
	(void)handle;
	(void)hash;
	(void)hash_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_hash_clone(parsec_client *c, uint32_t handle, uint32_t *clone)
{
	(void)c;
	(void)handle;
	(void)clone;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_mac_setup(parsec_client *c, const char *key, uint32_t alg, int verify, uint32_t *handle)
{
	(void)c;
	(void)key;
	(void)alg;
	(void)verify;
	(void)handle;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_mac_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len)
{
	(void)c;
	(void)handle;
	(void)in;
	(void)in_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_mac_sign_finish(parsec_client *c, uint32_t handle, uint8_t *mac, size_t cap, size_t
    *len)
{
	(void)c;
	(void)handle;
	(void)mac;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_mac_verify_finish(parsec_client *c, uint32_t handle, const uint8_t *mac, size_t mac_len)
{
	(void)c;
	(void)handle;
	(void)mac;
	(void)mac_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_cipher_setup(parsec_client *c, const char *key, uint32_t alg, int decrypt, uint32_t
    *handle)
{
	(void)c;
	(void)key;
	(void)alg;
	(void)decrypt;
	(void)handle;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_cipher_generate_iv(parsec_client *c, uint32_t handle, uint8_t *iv, size_t cap, size_t
    *len)
{
	(void)c;
	(void)handle;
	(void)iv;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_cipher_set_iv(parsec_client *c, uint32_t handle, const uint8_t *iv, size_t iv_len)
{
	(void)c;
	(void)handle;
	(void)iv;
	(void)iv_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_cipher_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	(void)c;
	(void)handle;
	(void)in;
	(void)in_len;
	(void)out;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_cipher_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len)
{
	(void)c;
	(void)handle;
	(void)out;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_setup(parsec_client *c, const char *key, uint32_t alg, int decrypt, uint32_t
    *handle)
{
	(void)c;
	(void)key;
	(void)alg;
	(void)decrypt;
	(void)handle;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_set_lengths(parsec_client *c, uint32_t handle, uint64_t ad_len, uint64_t text_len)
{
	(void)c;
	(void)handle;
	(void)ad_len;
	(void)text_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_generate_nonce(parsec_client *c, uint32_t handle, uint8_t *nonce, size_t cap,
    size_t *len)
{
	(void)c;
	(void)handle;
	(void)nonce;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_set_nonce(parsec_client *c, uint32_t handle, const uint8_t *nonce, size_t
    nonce_len)
{
	(void)c;
	(void)handle;
	(void)nonce;
	(void)nonce_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_update_ad(parsec_client *c, uint32_t handle, const uint8_t *ad, size_t ad_len)
{
	(void)c;
	(void)handle;
	(void)ad;
	(void)ad_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len, uint8_t
    *out, size_t cap, size_t *len)
{
	(void)c;
	(void)handle;
	(void)in;
	(void)in_len;
	(void)out;
	(void)cap;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len,
    uint8_t *tag, size_t tag_cap, size_t *tag_len)
{
	(void)c;
	(void)handle;
	(void)out;
	(void)cap;
	(void)len;
	(void)tag;
	(void)tag_cap;
	(void)tag_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_aead_verify(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len,
    const uint8_t *tag, size_t tag_len)
{
	(void)c;
	(void)handle;
	(void)out;
	(void)cap;
	(void)len;
	(void)tag;
	(void)tag_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_setup(parsec_client *c, uint32_t alg, uint32_t *handle)
{
	(void)c;
	(void)alg;
	(void)handle;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_get_capacity(parsec_client *c, uint32_t handle, uint64_t *capacity)
{
	(void)c;
	(void)handle;
	(void)capacity;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_set_capacity(parsec_client *c, uint32_t handle, uint64_t capacity)
{
	(void)c;
	(void)handle;
	(void)capacity;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_input_bytes(parsec_client *c, uint32_t handle, uint32_t step, const uint8_t *data,
    size_t data_len)
{
	(void)c;
	(void)handle;
	(void)step;
	(void)data;
	(void)data_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_input_key(parsec_client *c, uint32_t handle, uint32_t step, const char *key)
{
	(void)c;
	(void)handle;
	(void)step;
	(void)key;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_key_agreement(parsec_client *c, uint32_t handle, uint32_t step, const char
    *private_key, const uint8_t *peer_key, size_t peer_key_len)
{
	(void)c;
	(void)handle;
	(void)step;
	(void)private_key;
	(void)peer_key;
	(void)peer_key_len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_output_bytes(parsec_client *c, uint32_t handle, uint8_t *out, size_t len)
{
	(void)c;
	(void)handle;
	(void)out;
	(void)len;
	return PARSEC_ERR_NOT_SUPPORTED;
}

int
parsec_ext_kdf_output_key(parsec_client *c, uint32_t handle, const char *name, const struct
    parsec_key_attributes *attributes, int is_volatile)
{
	(void)c;
	(void)handle;
	(void)name;
	(void)attributes;
	(void)is_volatile;
	return PARSEC_ERR_NOT_SUPPORTED;
}
