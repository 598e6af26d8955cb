/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA's one-shot operations, each one request of the wire protocol: hash,
 * MAC, cipher, AEAD, signatures, asymmetric encryption, raw key agreement and
 * random. An output's length is 0 unless the call succeeded.
 */
#include "lpsa.h"

/* libparsec's keyed call with one input and one output (sign, MAC, cipher, agree). */
typedef int (*lpsa_keyed_fn)(parsec_client *, const char *, uint32_t, const uint8_t *, size_t,
    uint8_t *, size_t, size_t *);
/* libparsec's keyed check of an input against a reference (signature, MAC). */
typedef int (*lpsa_check_fn)(parsec_client *, const char *, uint32_t, const uint8_t *, size_t,
    const uint8_t *, size_t);

static psa_status_t
lpsa_keyed(lpsa_keyed_fn fn, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_size, size_t *out_len)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*out_len = 0;
	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	st = lpsa_end(&call, fn(call.client, call.name, alg, in, in_len, out, out_size, &len));
	if (st == PSA_SUCCESS)
		*out_len = len;
	return st;
}

static psa_status_t
lpsa_check(lpsa_check_fn fn, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *ref, size_t ref_len)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	return lpsa_end(&call, fn(call.client, call.name, alg, in, in_len, ref, ref_len));
}

/*
 * A request carries at most the service's body limit (1 MiB unless its
 * configuration says otherwise): a longer input to a hash or a MAC goes
 * through a multipart operation, in parts, where the service has them.
 */
#define LPSA_ONESHOT_MAX (2u * LPSA_PART)

/*
 * The hash of a long input: into hash, or (want set) compared with want.
 * NOT_SUPPORTED when the service has no multipart hash.
 */
static psa_status_t
lpsa_hash_parts(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
    const uint8_t *want, uint8_t *hash, size_t hash_size, size_t *hash_length)
{
	psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;
	psa_status_t st;

	if ((st = psa_hash_setup(&op, alg)) != PSA_SUCCESS ||
	    (st = psa_hash_update(&op, input, input_length)) != PSA_SUCCESS)
		return st;
	return want != NULL ? psa_hash_verify(&op, want, hash_size) :
	    psa_hash_finish(&op, hash, hash_size, hash_length);
}

/* The same for a MAC: made into mac, or (want set) checked against want. */
static psa_status_t
lpsa_mac_parts(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *want, uint8_t *mac, size_t mac_size, size_t *mac_length)
{
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	psa_status_t st = want != NULL ? psa_mac_verify_setup(&op, key, alg) :
	    psa_mac_sign_setup(&op, key, alg);

	if (st != PSA_SUCCESS || (st = psa_mac_update(&op, input, input_length)) != PSA_SUCCESS)
		return st;
	return want != NULL ? psa_mac_verify_finish(&op, want, mac_size) :
	    psa_mac_sign_finish(&op, mac, mac_size, mac_length);
}

psa_status_t
psa_hash_compute(psa_algorithm_t alg, const uint8_t *input, size_t input_length, uint8_t *hash,
    size_t hash_size, size_t *hash_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*hash_length = 0;
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_hash_parts(alg, input, input_length,
	    NULL, hash, hash_size, hash_length)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	if ((st = lpsa_begin(&call, LPSA_NO_KEY)) != PSA_SUCCESS)
		return st;
	st = lpsa_end(&call, parsec_hash_compute(call.client, alg, input, input_length, hash,
	    hash_size, &len));
	if (st == PSA_SUCCESS)
		*hash_length = len;
	return st;
}

psa_status_t
psa_hash_compare(psa_algorithm_t alg, const uint8_t *input, size_t input_length,
    const uint8_t *hash, size_t hash_length)
{
	struct lpsa_call call;
	psa_status_t st;

	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_hash_parts(alg, input, input_length,
	    hash, NULL, hash_length, NULL)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	if ((st = lpsa_begin(&call, LPSA_NO_KEY)) != PSA_SUCCESS)
		return st;
	return lpsa_end(&call, parsec_hash_compare(call.client, alg, input, input_length, hash,
	    hash_length));
}

psa_status_t
psa_mac_compute(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input, size_t input_length,
    uint8_t *mac, size_t mac_size, size_t *mac_length)
{
	psa_status_t st;

	*mac_length = 0;
	if (!PSA_ALG_IS_MAC(alg))
		return lpsa_mac_alg_refused(key, alg);
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_mac_parts(key, alg, input, input_length,
	    NULL, mac, mac_size, mac_length)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	return lpsa_keyed(parsec_mac_compute, key, alg, input, input_length, mac, mac_size,
	    mac_length);
}

psa_status_t
psa_mac_verify(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input, size_t input_length,
    const uint8_t *mac, size_t mac_length)
{
	psa_status_t st;

	if (!PSA_ALG_IS_MAC(alg))
		return lpsa_mac_alg_refused(key, alg);
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_mac_parts(key, alg, input, input_length,
	    mac, NULL, mac_length, NULL)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	return lpsa_check(parsec_mac_verify, key, alg, input, input_length, mac, mac_length);
}

/*
 * The IV a decryption finds at the start of its input: the key's type says
 * how long (asked of the service, for long inputs only).
 */
static psa_status_t
lpsa_cipher_iv_length(psa_key_id_t key, psa_algorithm_t alg, size_t *iv_length)
{
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_status_t st = psa_get_key_attributes(key, &attributes);

	*iv_length = PSA_CIPHER_IV_LENGTH(psa_get_key_type(&attributes), alg);
	return st;
}

/*
 * A long input's one-shot cipher as a multipart operation: the IV made (or
 * read from the input) first, then the text in parts. NOT_SUPPORTED when the
 * service has no multipart cipher.
 */
static psa_status_t
lpsa_cipher_parts(int decrypt, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	psa_cipher_operation_t op = PSA_CIPHER_OPERATION_INIT;
	size_t iv_len = 0, len = 0, last = 0;
	psa_status_t st;

	if (decrypt && (st = lpsa_cipher_iv_length(key, alg, &iv_len)) != PSA_SUCCESS)
		return st;
	st = decrypt ? psa_cipher_decrypt_setup(&op, key, alg) :
	    psa_cipher_encrypt_setup(&op, key, alg);
	if (st == PSA_SUCCESS && decrypt && iv_len > 0)
		st = psa_cipher_set_iv(&op, input, iv_len);
	else if (st == PSA_SUCCESS && !decrypt && alg != PSA_ALG_ECB_NO_PADDING)
		st = psa_cipher_generate_iv(&op, output, output_size, &iv_len);
	if (st == PSA_SUCCESS && decrypt)
		st = psa_cipher_update(&op, input + iv_len, input_length - iv_len, output,
		    output_size, &len);
	else if (st == PSA_SUCCESS)
		st = psa_cipher_update(&op, input, input_length, output + iv_len,
		    output_size - iv_len, &len);
	if (!decrypt)
		len += iv_len;
	if (st == PSA_SUCCESS)
		st = psa_cipher_finish(&op, output + len, output_size - len, &last);
	psa_cipher_abort(&op);
	if (st == PSA_SUCCESS)
		*output_length = len + last;
	return st;
}

/* Encryption or decryption in one request, or in parts for a long input. */
static psa_status_t
lpsa_cipher(int decrypt, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	psa_status_t st;

	*output_length = 0;
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_cipher_parts(decrypt, key, alg, input,
	    input_length, output, output_size, output_length)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	return lpsa_keyed(decrypt ? parsec_cipher_decrypt : parsec_cipher_encrypt, key, alg,
	    input, input_length, output, output_size, output_length);
}

psa_status_t
psa_cipher_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	return lpsa_cipher(0, key, alg, input, input_length, output, output_size, output_length);
}

psa_status_t
psa_cipher_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	return lpsa_cipher(1, key, alg, input, input_length, output, output_size, output_length);
}

psa_status_t
psa_sign_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash, size_t hash_length,
    uint8_t *signature, size_t signature_size, size_t *signature_length)
{
	return lpsa_keyed(parsec_sign_hash, key, alg, hash, hash_length, signature,
	    signature_size, signature_length);
}

psa_status_t
psa_verify_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash, size_t hash_length,
    const uint8_t *signature, size_t signature_length)
{
	return lpsa_check(parsec_verify_hash, key, alg, hash, hash_length, signature,
	    signature_length);
}

psa_status_t
psa_sign_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, uint8_t *signature, size_t signature_size, size_t *signature_length)
{
	return lpsa_keyed(parsec_sign_message, key, alg, input, input_length, signature,
	    signature_size, signature_length);
}

psa_status_t
psa_verify_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *signature, size_t signature_length)
{
	return lpsa_check(parsec_verify_message, key, alg, input, input_length, signature,
	    signature_length);
}

psa_status_t
psa_raw_key_agreement(psa_algorithm_t alg, psa_key_id_t private_key, const uint8_t *peer_key,
    size_t peer_key_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	return lpsa_keyed(parsec_raw_key_agreement, private_key, alg, peer_key, peer_key_length,
	    output, output_size, output_length);
}

/* Asymmetric encryption or decryption, with the optional salt (OAEP's label). */
static psa_status_t
lpsa_asymmetric(int decrypt, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *salt, size_t salt_length, uint8_t *output,
    size_t output_size, size_t *output_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;
	int wire;

	*output_length = 0;
	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	wire = (decrypt ? parsec_asymmetric_decrypt : parsec_asymmetric_encrypt)(call.client,
	    call.name, alg, input, input_length, salt, salt_length, output, output_size, &len);
	if ((st = lpsa_end(&call, wire)) == PSA_SUCCESS)
		*output_length = len;
	return st;
}

psa_status_t
psa_asymmetric_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *salt, size_t salt_length, uint8_t *output,
    size_t output_size, size_t *output_length)
{
	return lpsa_asymmetric(0, key, alg, input, input_length, salt, salt_length, output,
	    output_size, output_length);
}

psa_status_t
psa_asymmetric_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *salt, size_t salt_length, uint8_t *output,
    size_t output_size, size_t *output_length)
{
	return lpsa_asymmetric(1, key, alg, input, input_length, salt, salt_length, output,
	    output_size, output_length);
}

/* AEAD encryption or decryption in one request. */
static psa_status_t
lpsa_aead(int decrypt, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
    size_t nonce_length, const uint8_t *ad, size_t ad_length, const uint8_t *input,
    size_t input_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;
	int wire;

	*output_length = 0;
	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	/* As the API says (and Mbed TLS answers), before the key is looked at. */
	if (!PSA_ALG_IS_AEAD(alg) || PSA_ALG_IS_WILDCARD(alg))
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = lpsa_begin(&call, key)) != PSA_SUCCESS)
		return st;
	wire = (decrypt ? parsec_aead_decrypt : parsec_aead_encrypt)(call.client, call.name, alg,
	    nonce, nonce_length, ad, ad_length, input, input_length, output, output_size, &len);
	if ((st = lpsa_end(&call, wire)) == PSA_SUCCESS)
		*output_length = len;
	return st;
}

psa_status_t
psa_aead_encrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
    size_t nonce_length, const uint8_t *additional_data, size_t additional_data_length,
    const uint8_t *plaintext, size_t plaintext_length, uint8_t *ciphertext,
    size_t ciphertext_size, size_t *ciphertext_length)
{
	return lpsa_aead(0, key, alg, nonce, nonce_length, additional_data,
	    additional_data_length, plaintext, plaintext_length, ciphertext, ciphertext_size,
	    ciphertext_length);
}

psa_status_t
psa_aead_decrypt(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
    size_t nonce_length, const uint8_t *additional_data, size_t additional_data_length,
    const uint8_t *ciphertext, size_t ciphertext_length, uint8_t *plaintext,
    size_t plaintext_size, size_t *plaintext_length)
{
	return lpsa_aead(1, key, alg, nonce, nonce_length, additional_data,
	    additional_data_length, ciphertext, ciphertext_length, plaintext, plaintext_size,
	    plaintext_length);
}

/* The service's answer is bounded by its buffer limit: a large request goes in parts. */
#define LPSA_RANDOM_CHUNK 65536

psa_status_t
psa_generate_random(uint8_t *output, size_t output_size)
{
	struct lpsa_call call;
	psa_status_t st = PSA_SUCCESS;
	size_t done = 0;

	if ((st = lpsa_begin(&call, LPSA_NO_KEY)) != PSA_SUCCESS)
		return st;
	while (st == PSA_SUCCESS && done < output_size) {
		size_t n = output_size - done < LPSA_RANDOM_CHUNK ? output_size - done :
		    LPSA_RANDOM_CHUNK;

		st = lpsa_status(parsec_generate_random(call.client, output + done, n));
		done += n;
	}
	lpsa_end(&call, PARSEC_SUCCESS);
	return st;
}
