/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA's one-shot operations, each one request of the wire protocol: hash,
 * MAC, cipher, AEAD, signatures, asymmetric encryption, raw key agreement and
 * random. An output's length is 0 unless the call succeeded.
 */
#include <string.h>

#include "lpsa.h"

/* libparsec's keyed call with one input and one output (sign, MAC, cipher, agree). */
typedef int (*lpsa_keyed_fn)(parsec_client *, const char *, uint32_t, const uint8_t *, size_t,
    uint8_t *, size_t, size_t *);
/* libparsec's keyed check of an input against a reference (signature, MAC). */
typedef int (*lpsa_check_fn)(parsec_client *, const char *, uint32_t, const uint8_t *, size_t,
    const uint8_t *, size_t);

static psa_status_t
lpsa_keyed(lpsa_keyed_fn fn, psa_key_usage_t need, psa_key_id_t key, psa_algorithm_t alg,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_size, size_t *out_len)
{
	struct lpsa_call call;
	psa_status_t st;
	size_t len = 0;

	*out_len = 0;
	if ((st = lpsa_begin_sized(&call, key, in_len, 0)) != PSA_SUCCESS)
		return st;
	lpsa_call_policy(&call, need, alg);
	st = lpsa_end(&call, fn(call.client, call.name, alg, in, in_len, out, out_size, &len));
	if (st == PSA_SUCCESS)
		*out_len = len;
	return st;
}

static psa_status_t
lpsa_check(lpsa_check_fn fn, psa_key_usage_t need, psa_key_id_t key, psa_algorithm_t alg,
    const uint8_t *in, size_t in_len, const uint8_t *ref, size_t ref_len)
{
	struct lpsa_call call;
	psa_status_t st;

	if ((st = lpsa_begin_sized(&call, key, in_len, ref_len)) != PSA_SUCCESS)
		return st;
	lpsa_call_policy(&call, need, alg);
	return lpsa_end(&call, fn(call.client, call.name, alg, in, in_len, ref, ref_len));
}

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
	if ((st = lpsa_hash_wildcard(alg)) != PSA_SUCCESS)
		return st;
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_hash_parts(alg, input, input_length,
	    NULL, hash, hash_size, hash_length)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	if ((st = lpsa_begin_sized(&call, LPSA_NO_KEY, input_length, 0)) != PSA_SUCCESS)
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

	if ((st = lpsa_hash_wildcard(alg)) != PSA_SUCCESS)
		return st;
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_hash_parts(alg, input, input_length,
	    hash, NULL, hash_length, NULL)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	st = lpsa_begin_sized(&call, LPSA_NO_KEY, input_length, hash_length);
	if (st != PSA_SUCCESS)
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
	return lpsa_keyed(parsec_mac_compute, PSA_KEY_USAGE_SIGN_MESSAGE, key, alg, input,
	    input_length, mac, mac_size, mac_length);
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
	return lpsa_check(parsec_mac_verify, PSA_KEY_USAGE_VERIFY_MESSAGE, key, alg, input,
	    input_length, mac, mac_length);
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
	return lpsa_keyed(decrypt ? parsec_cipher_decrypt : parsec_cipher_encrypt,
	    decrypt ? PSA_KEY_USAGE_DECRYPT : PSA_KEY_USAGE_ENCRYPT, key, alg,
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
	return lpsa_keyed(parsec_sign_hash, PSA_KEY_USAGE_SIGN_HASH, key, alg, hash, hash_length,
	    signature, signature_size, signature_length);
}

psa_status_t
psa_verify_hash(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *hash, size_t hash_length,
    const uint8_t *signature, size_t signature_length)
{
	return lpsa_check(parsec_verify_hash, PSA_KEY_USAGE_VERIFY_HASH, key, alg, hash,
	    hash_length, signature, signature_length);
}

/*
 * A long message to sign (into out) or verify (out NULL: against ref) with a
 * hash-and-sign algorithm:
 * hashed here, in parts, then signed or verified as that hash. The key's
 * policy permits that exactly when it permits the message form: same
 * algorithm, and a usage with the hash flag, which implies the message one.
 * A key with the message flag alone is not asked for what it lacks:
 * NOT_SUPPORTED, and the one-shot is tried (the service then says whether
 * the message fits one request).
 */
static psa_status_t
lpsa_message_parts(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *ref, size_t ref_len, uint8_t *out, size_t out_size,
    size_t *out_len)
{
	psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_usage_t need = out != NULL ? PSA_KEY_USAGE_SIGN_HASH : PSA_KEY_USAGE_VERIFY_HASH;
	uint8_t hash[PSA_HASH_MAX_SIZE];
	size_t hash_length = 0;
	psa_status_t st;

	if (!PSA_ALG_IS_HASH_AND_SIGN(alg) || PSA_ALG_SIGN_GET_HASH(alg) == PSA_ALG_ANY_HASH)
		return PSA_ERROR_NOT_SUPPORTED;
	if ((st = psa_get_key_attributes(key, &attributes)) != PSA_SUCCESS)
		return st;
	if ((psa_get_key_usage_flags(&attributes) & need) == 0)
		st = PSA_ERROR_NOT_SUPPORTED;
	psa_reset_key_attributes(&attributes);
	if (st == PSA_SUCCESS)
		st = psa_hash_compute(PSA_ALG_SIGN_GET_HASH(alg), input, input_length, hash,
		    sizeof(hash), &hash_length);
	if (st != PSA_SUCCESS)
		return st;
	if (out != NULL)
		return psa_sign_hash(key, alg, hash, hash_length, out, out_size, out_len);
	return psa_verify_hash(key, alg, hash, hash_length, ref, ref_len);
}

psa_status_t
psa_sign_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, uint8_t *signature, size_t signature_size, size_t *signature_length)
{
	psa_status_t st;

	*signature_length = 0;
	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_message_parts(key, alg, input,
	    input_length, NULL, 0, signature, signature_size, signature_length)) !=
	    PSA_ERROR_NOT_SUPPORTED)
		return st;
	return lpsa_keyed(parsec_sign_message, PSA_KEY_USAGE_SIGN_MESSAGE, key, alg, input,
	    input_length, signature, signature_size, signature_length);
}

psa_status_t
psa_verify_message(psa_key_id_t key, psa_algorithm_t alg, const uint8_t *input,
    size_t input_length, const uint8_t *signature, size_t signature_length)
{
	psa_status_t st;

	if (input_length > LPSA_ONESHOT_MAX && (st = lpsa_message_parts(key, alg, input,
	    input_length, signature, signature_length, NULL, 0, NULL)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	return lpsa_check(parsec_verify_message, PSA_KEY_USAGE_VERIFY_MESSAGE, key, alg, input,
	    input_length, signature, signature_length);
}

psa_status_t
psa_raw_key_agreement(psa_algorithm_t alg, psa_key_id_t private_key, const uint8_t *peer_key,
    size_t peer_key_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	return lpsa_keyed(parsec_raw_key_agreement, PSA_KEY_USAGE_DERIVE, private_key, alg,
	    peer_key, peer_key_length, output, output_size, output_length);
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
	if ((st = lpsa_begin_sized(&call, key, input_length, salt_length)) != PSA_SUCCESS)
		return st;
	lpsa_call_policy(&call, decrypt ? PSA_KEY_USAGE_DECRYPT : PSA_KEY_USAGE_ENCRYPT, alg);
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

/* One AEAD one-shot's inputs and output, as the multipart path takes them. */
struct lpsa_aead_args {
	int decrypt;
	psa_key_id_t key;
	psa_algorithm_t alg;
	const uint8_t *nonce, *ad, *input;
	size_t nonce_length, ad_length, input_length;
	uint8_t *output;
	size_t output_size;
};

/*
 * The text and the tag after it: an encryption's text is the plaintext, all
 * of it; a decryption's is the ciphertext before its tag.
 */
static psa_status_t
lpsa_aead_parts_text(psa_aead_operation_t *op, const struct lpsa_aead_args *a, size_t tag_len,
    size_t *out_len)
{
	size_t text_len = a->input_length - (a->decrypt ? tag_len : 0), len = 0, last = 0, tlen;
	psa_status_t st;

	if ((st = psa_aead_set_lengths(op, a->ad_length, text_len)) != PSA_SUCCESS ||
	    (st = psa_aead_set_nonce(op, a->nonce, a->nonce_length)) != PSA_SUCCESS)
		return st;
	/* The one-shot's own refusal of too small a buffer, before any work. */
	if (a->output_size < text_len + (a->decrypt ? 0 : tag_len))
		return PSA_ERROR_BUFFER_TOO_SMALL;
	if ((st = psa_aead_update_ad(op, a->ad, a->ad_length)) != PSA_SUCCESS ||
	    (st = psa_aead_update(op, a->input, text_len, a->output, a->output_size,
	    &len)) != PSA_SUCCESS)
		return st;
	if (a->decrypt)
		st = psa_aead_verify(op, a->output + len, a->output_size - len, &last,
		    a->input + text_len, tag_len);
	else if ((st = psa_aead_finish(op, a->output + len, a->output_size - len, &last,
	    a->output + text_len, a->output_size - text_len, &tlen)) == PSA_SUCCESS &&
	    (len + last != text_len || tlen != tag_len))
		st = PSA_ERROR_CORRUPTION_DETECTED;
	*out_len = len + last + (a->decrypt ? 0 : tag_len);
	return st;
}

/*
 * A long one-shot AEAD as parsecd's multipart extension: the same bytes out,
 * in requests of a part each. NOT_SUPPORTED when the provider serves no
 * multipart AEAD for it (then the one-shot is tried, and the service says
 * whether the input fits one request). No plaintext a failed decryption
 * wrote stays in the caller's buffer.
 */
static psa_status_t
lpsa_aead_parts(const struct lpsa_aead_args *a, size_t *output_length)
{
	psa_aead_operation_t op = PSA_AEAD_OPERATION_INIT;
	size_t tag_len = PSA_ALG_AEAD_GET_TAG_LENGTH(a->alg), len = 0;
	psa_status_t st;

	if (a->decrypt && a->input_length < tag_len)
		return PSA_ERROR_NOT_SUPPORTED;
	st = a->decrypt ? psa_aead_decrypt_setup(&op, a->key, a->alg) :
	    psa_aead_encrypt_setup(&op, a->key, a->alg);
	if (st == PSA_SUCCESS)
		st = lpsa_aead_parts_text(&op, a, tag_len, &len);
	psa_aead_abort(&op);
	if (st == PSA_SUCCESS)
		*output_length = len;
	else if (a->decrypt) /* parts an update gave before the step that failed included */
		memset(a->output, 0, a->input_length < a->output_size ? a->input_length :
		    a->output_size);
	return st;
}

/* AEAD encryption or decryption in one request, or in parts for a long input. */
static psa_status_t
lpsa_aead(int decrypt, psa_key_id_t key, psa_algorithm_t alg, const uint8_t *nonce,
    size_t nonce_length, const uint8_t *ad, size_t ad_length, const uint8_t *input,
    size_t input_length, uint8_t *output, size_t output_size, size_t *output_length)
{
	const struct lpsa_aead_args args = { decrypt, key, alg, nonce, ad, input, nonce_length,
		ad_length, input_length, output, output_size };
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
	if ((input_length > LPSA_ONESHOT_MAX || ad_length > LPSA_ONESHOT_MAX - input_length) &&
	    (st = lpsa_aead_parts(&args, output_length)) != PSA_ERROR_NOT_SUPPORTED)
		return st;
	if ((st = lpsa_begin_sized(&call, key, input_length, ad_length)) != PSA_SUCCESS)
		return st;
	lpsa_call_policy(&call, decrypt ? PSA_KEY_USAGE_DECRYPT : PSA_KEY_USAGE_ENCRYPT, alg);
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
