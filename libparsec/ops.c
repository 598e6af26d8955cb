/* SPDX-License-Identifier: Apache-2.0 */
/* libparsec's operations: C values to protobuf requests and back. */
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>

#include "front_crypto.h"
#include "front_psa.h"
#include "libparsec.h"
#include "pb_bytes.h"

#include "delete_client.pb.h"
#include "list_authenticators.pb.h"
#include "list_clients.pb.h"
#include "list_keys.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"
#include "psa_generate_random.pb.h"

#define ST_INVALID_ARGUMENT 1135

/* A bounded, always terminated string copy (no libbsd in the library). */
static void
parsec_copy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Copies a result out, or says how much room it needs. */
static int
parsec_put(uint8_t *out, size_t cap, size_t *len, const uint8_t *src, size_t src_len)
{
	*len = src_len;
	if (src_len > cap)
		return PARSEC_ERR_BUFFER_TOO_SMALL;
	if (src_len > 0)
		memcpy(out, src, src_len);
	return PARSEC_SUCCESS;
}

/* A result's large bytes field, copied straight into the caller's buffer. */
struct parsec_sink {
	uint8_t *out;
	size_t cap;
	size_t len;
};

static bool
parsec_sink_decode(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
	struct parsec_sink *sink = *arg;

	sink->len = stream->bytes_left;
	/* Too large: skip it, keeping the length the caller needs. */
	return pb_read(stream, sink->len <= sink->cap ? sink->out : NULL, stream->bytes_left);
}

#define SINK(cb, sink) ((cb).funcs.decode = parsec_sink_decode, (cb).arg = (sink))

static int
parsec_sunk(int st, const struct parsec_sink *sink, size_t *len)
{
	*len = sink->len;
	if (st == PARSEC_SUCCESS && sink->len > sink->cap)
		return PARSEC_ERR_BUFFER_TOO_SMALL;
	if (st != PARSEC_SUCCESS)
		*len = 0;
	return st;
}

/* A heap copy for an FT_POINTER bytes field; NULL for empty input. */
static pb_bytes_array_t *
parsec_bytes(const uint8_t *data, size_t len, int *failed)
{
	pb_bytes_array_t *b;

	if (len == 0)
		return NULL;
	if (len > PB_SIZE_MAX || (b = malloc(PB_BYTES_ARRAY_T_ALLOCSIZE(len))) == NULL) {
		*failed = 1;
		return NULL;
	}
	b->size = (pb_size_t)len;
	memcpy(b->bytes, data, len);
	return b;
}

#define FIXED(field, data, len) \
	(((len) <= sizeof((field).bytes)) ? \
	    ((field).size = (pb_size_t)(len), ((len) ? memcpy((field).bytes, (data), (len)) : NULL), 0) : -1)

static int
parsec_name(char *dst, const char *name)
{
	if (name == NULL || strlen(name) == 0 || strlen(name) > PARSEC_NAME_MAX)
		return -1;
	memcpy(dst, name, strlen(name) + 1);
	return 0;
}

/* Wraps a PSA algorithm into the sub-message an operation carries. */
static int
parsec_alg(uint32_t alg, pb_size_t tag, void *sub, size_t sub_size)
{
	psa_algorithm_Algorithm a;

	if (front_alg_to_pb(alg, &a) == -1 || a.which_variant != tag)
		return -1;
	memcpy(sub, &a.variant, sub_size);
	return 0;
}

#define CALL(op, res, opcode, auth, pkg) \
	parsec_call(c, PARSEC_USE_CLIENT_PROVIDER, opcode, auth, pkg##_Operation_fields, &(op), \
	    pkg##_Result_fields, &(res))
#define CALL_CORE(op, res, opcode, auth, pkg) \
	parsec_call(c, PARSEC_PROVIDER_CORE, opcode, auth, pkg##_Operation_fields, &(op), \
	    pkg##_Result_fields, &(res))

int
parsec_ping(parsec_client *c, uint8_t *major, uint8_t *minor)
{
	ping_Operation op = ping_Operation_init_zero;
	ping_Result res = ping_Result_init_zero;
	int st = CALL_CORE(op, res, OP_PING, 0, ping);

	if (st == PARSEC_SUCCESS) {
		*major = (uint8_t)res.wire_protocol_version_maj;
		*minor = (uint8_t)res.wire_protocol_version_min;
	}
	return st;
}

int
parsec_list_providers(parsec_client *c, struct parsec_provider_info *out, size_t max,
    size_t *count)
{
	list_providers_Operation op = list_providers_Operation_init_zero;
	list_providers_Result res = list_providers_Result_init_zero;
	int st = CALL_CORE(op, res, OP_LIST_PROVIDERS, 0, list_providers);
	size_t i;

	*count = 0;
	if (st != PARSEC_SUCCESS)
		return st;
	for (i = 0; i < res.providers_count && i < max; i++) {
		const list_providers_ProviderInfo *p = &res.providers[i];

		memset(&out[i], 0, sizeof(out[i]));
		parsec_copy(out[i].uuid, p->uuid, sizeof(out[i].uuid));
		parsec_copy(out[i].description, p->description, sizeof(out[i].description));
		parsec_copy(out[i].vendor, p->vendor, sizeof(out[i].vendor));
		out[i].version_maj = p->version_maj;
		out[i].version_min = p->version_min;
		out[i].version_rev = p->version_rev;
		out[i].id = p->id;
	}
	*count = res.providers_count;
	return res.providers_count > max ? PARSEC_ERR_BUFFER_TOO_SMALL : PARSEC_SUCCESS;
}

int
parsec_list_opcodes(parsec_client *c, uint32_t provider_id, uint32_t *out, size_t max,
    size_t *count)
{
	list_opcodes_Operation op = list_opcodes_Operation_init_zero;
	list_opcodes_Result res = list_opcodes_Result_init_zero;
	int st;

	op.provider_id = provider_id;
	*count = 0;
	if ((st = CALL_CORE(op, res, OP_LIST_OPCODES, 0, list_opcodes)) != PARSEC_SUCCESS)
		return st;
	*count = res.opcodes_count;
	memcpy(out, res.opcodes, (res.opcodes_count < max ? res.opcodes_count : max) * sizeof(*out));
	return res.opcodes_count > max ? PARSEC_ERR_BUFFER_TOO_SMALL : PARSEC_SUCCESS;
}

int
parsec_list_authenticators(parsec_client *c, struct parsec_authenticator_info *out, size_t max,
    size_t *count)
{
	list_authenticators_Operation op = list_authenticators_Operation_init_zero;
	list_authenticators_Result res = list_authenticators_Result_init_zero;
	size_t i;
	int st;

	*count = 0;
	if ((st = CALL_CORE(op, res, OP_LIST_AUTHENTICATORS, 0, list_authenticators)) != 0)
		return st;
	for (i = 0; i < res.authenticators_count && i < max; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		parsec_copy(out[i].description, res.authenticators[i].description,
		    sizeof(out[i].description));
		out[i].version_maj = res.authenticators[i].version_maj;
		out[i].version_min = res.authenticators[i].version_min;
		out[i].version_rev = res.authenticators[i].version_rev;
		out[i].id = res.authenticators[i].id;
	}
	*count = res.authenticators_count;
	return res.authenticators_count > max ? PARSEC_ERR_BUFFER_TOO_SMALL : PARSEC_SUCCESS;
}

int
parsec_list_keys(parsec_client *c, struct parsec_key_info *out, size_t max, size_t *count)
{
	list_keys_Operation op = list_keys_Operation_init_zero;
	list_keys_Result res = list_keys_Result_init_zero;
	size_t i;
	int st;

	*count = 0;
	if ((st = CALL_CORE(op, res, OP_LIST_KEYS, 1, list_keys)) != PARSEC_SUCCESS)
		return st;
	for (i = 0; i < res.keys_count && i < max; i++) {
		struct op_key_attrs a;

		memset(&out[i], 0, sizeof(out[i]));
		parsec_copy(out[i].name, res.keys[i].name ? res.keys[i].name : "",
		    sizeof(out[i].name));
		out[i].provider_id = res.keys[i].provider_id;
		if (front_key_attrs_from_pb(&res.keys[i].attributes, &a) == 0) {
			out[i].attributes.type = a.type;
			out[i].attributes.bits = a.bits;
			out[i].attributes.usage = a.usage;
			out[i].attributes.alg = a.alg;
		}
	}
	*count = res.keys_count;
	st = res.keys_count > max ? PARSEC_ERR_BUFFER_TOO_SMALL : PARSEC_SUCCESS;
	pb_release(list_keys_Result_fields, &res);
	return st;
}

int
parsec_list_clients(parsec_client *c, char (*names)[PARSEC_NAME_MAX + 1], size_t max,
    size_t *count)
{
	list_clients_Operation op = list_clients_Operation_init_zero;
	list_clients_Result res = list_clients_Result_init_zero;
	size_t i;
	int st;

	*count = 0;
	if ((st = CALL_CORE(op, res, OP_LIST_CLIENTS, 1, list_clients)) != PARSEC_SUCCESS)
		return st;
	for (i = 0; i < res.clients_count && i < max; i++)
		parsec_copy(names[i], res.clients[i], sizeof(names[i]));
	*count = res.clients_count;
	st = res.clients_count > max ? PARSEC_ERR_BUFFER_TOO_SMALL : PARSEC_SUCCESS;
	pb_release(list_clients_Result_fields, &res);
	return st;
}

int
parsec_delete_client(parsec_client *c, const char *client_name)
{
	delete_client_Operation op = delete_client_Operation_init_zero;
	delete_client_Result res = delete_client_Result_init_zero;

	if (parsec_name(op.client, client_name) == -1)
		return ST_INVALID_ARGUMENT;
	return CALL_CORE(op, res, OP_DELETE_CLIENT, 1, delete_client);
}

static int
parsec_attrs(const struct parsec_key_attributes *in, psa_key_attributes_KeyAttributes *pb)
{
	struct op_key_attrs a = { in->type, in->bits, in->usage, in->alg };

	return front_key_attrs_to_pb(&a, pb);
}

int
parsec_generate_key(parsec_client *c, const char *name, const struct parsec_key_attributes *attrs)
{
	psa_generate_key_Operation op = psa_generate_key_Operation_init_zero;
	psa_generate_key_Result res = psa_generate_key_Result_init_zero;

	if (parsec_name(op.key_name, name) == -1 || parsec_attrs(attrs, &op.attributes) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_attributes = true;
	return CALL(op, res, OP_PSA_GENERATE_KEY, 1, psa_generate_key);
}

int
parsec_import_key(parsec_client *c, const char *name, const struct parsec_key_attributes *attrs,
    const uint8_t *data, size_t data_len)
{
	psa_import_key_Operation op = psa_import_key_Operation_init_zero;
	psa_import_key_Result res = psa_import_key_Result_init_zero;
	int failed = 0, st;

	if (parsec_name(op.key_name, name) == -1 || parsec_attrs(attrs, &op.attributes) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_attributes = true;
	op.data = parsec_bytes(data, data_len, &failed);
	st = failed ? PSA_INSUFFICIENT_MEMORY_STATUS :
	    CALL(op, res, OP_PSA_IMPORT_KEY, 1, psa_import_key);
	if (op.data != NULL)
		explicit_bzero(op.data, PB_BYTES_ARRAY_T_ALLOCSIZE(data_len));
	free(op.data);
	return st;
}

int
parsec_destroy_key(parsec_client *c, const char *name)
{
	psa_destroy_key_Operation op = psa_destroy_key_Operation_init_zero;
	psa_destroy_key_Result res = psa_destroy_key_Result_init_zero;

	if (parsec_name(op.key_name, name) == -1)
		return ST_INVALID_ARGUMENT;
	return CALL(op, res, OP_PSA_DESTROY_KEY, 1, psa_destroy_key);
}

/* Operations whose result is one FT_POINTER bytes field. */
static int
parsec_take(int st, pb_bytes_array_t *field, uint8_t *out, size_t cap, size_t *len)
{
	*len = 0;
	if (st == PARSEC_SUCCESS)
		st = parsec_put(out, cap, len, field ? field->bytes : NULL, field ? field->size : 0);
	if (field != NULL) {
		explicit_bzero(field->bytes, field->size);
		free(field);
	}
	return st;
}

int
parsec_export_key(parsec_client *c, const char *name, uint8_t *out, size_t cap, size_t *len)
{
	psa_export_key_Operation op = psa_export_key_Operation_init_zero;
	psa_export_key_Result res = psa_export_key_Result_init_zero;
	int st;

	if (parsec_name(op.key_name, name) == -1)
		return ST_INVALID_ARGUMENT;
	st = CALL(op, res, OP_PSA_EXPORT_KEY, 1, psa_export_key);
	return parsec_take(st, res.data, out, cap, len);
}

int
parsec_export_public_key(parsec_client *c, const char *name, uint8_t *out, size_t cap,
    size_t *len)
{
	psa_export_public_key_Operation op = psa_export_public_key_Operation_init_zero;
	psa_export_public_key_Result res = psa_export_public_key_Result_init_zero;
	int st;

	if (parsec_name(op.key_name, name) == -1)
		return ST_INVALID_ARGUMENT;
	st = CALL(op, res, OP_PSA_EXPORT_PUBLIC_KEY, 1, psa_export_public_key);
	return parsec_take(st, res.data, out, cap, len);
}

int
parsec_sign_hash(parsec_client *c, const char *name, uint32_t alg, const uint8_t *hash,
    size_t hash_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_sign_hash_Operation op = psa_sign_hash_Operation_init_zero;
	psa_sign_hash_Result res = psa_sign_hash_Result_init_zero;
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 || FIXED(op.hash, hash, hash_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_asymmetric_signature_tag, &op.alg,
	    sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	if ((st = CALL(op, res, OP_PSA_SIGN_HASH, 1, psa_sign_hash)) != PARSEC_SUCCESS)
		return st;
	return parsec_put(out, cap, len, res.signature.bytes, res.signature.size);
}

int
parsec_verify_hash(parsec_client *c, const char *name, uint32_t alg, const uint8_t *hash,
    size_t hash_len, const uint8_t *signature, size_t signature_len)
{
	psa_verify_hash_Operation op = psa_verify_hash_Operation_init_zero;
	psa_verify_hash_Result res = psa_verify_hash_Result_init_zero;

	if (parsec_name(op.key_name, name) == -1 || FIXED(op.hash, hash, hash_len) == -1 ||
	    FIXED(op.signature, signature, signature_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_asymmetric_signature_tag, &op.alg,
	    sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	return CALL(op, res, OP_PSA_VERIFY_HASH, 1, psa_verify_hash);
}

int
parsec_sign_message(parsec_client *c, const char *name, uint32_t alg, const uint8_t *message,
    size_t message_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_sign_message_Operation op = psa_sign_message_Operation_init_zero;
	psa_sign_message_Result res = psa_sign_message_Result_init_zero;
	struct op_bytes in = { message, message_len };
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_asymmetric_signature_tag, &op.alg,
	    sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	PB_BYTES_OUT(op.message, &in);
	st = CALL(op, res, OP_PSA_SIGN_MESSAGE, 1, psa_sign_message);
	if (st != PARSEC_SUCCESS)
		return st;
	return parsec_put(out, cap, len, res.signature.bytes, res.signature.size);
}

int
parsec_verify_message(parsec_client *c, const char *name, uint32_t alg, const uint8_t *message,
    size_t message_len, const uint8_t *signature, size_t signature_len)
{
	psa_verify_message_Operation op = psa_verify_message_Operation_init_zero;
	psa_verify_message_Result res = psa_verify_message_Result_init_zero;
	struct op_bytes in = { message, message_len };

	if (parsec_name(op.key_name, name) == -1 ||
	    FIXED(op.signature, signature, signature_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_asymmetric_signature_tag, &op.alg,
	    sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	PB_BYTES_OUT(op.message, &in);
	return CALL(op, res, OP_PSA_VERIFY_MESSAGE, 1, psa_verify_message);
}

int
parsec_asymmetric_encrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_asymmetric_encrypt_Operation op = psa_asymmetric_encrypt_Operation_init_zero;
	psa_asymmetric_encrypt_Result res = psa_asymmetric_encrypt_Result_init_zero;
	int failed = 0, st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_asymmetric_encryption_tag, &op.alg,
	    sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	op.plaintext = parsec_bytes(in, in_len, &failed);
	op.salt = parsec_bytes(salt, salt_len, &failed);
	st = failed ? PSA_INSUFFICIENT_MEMORY_STATUS :
	    CALL(op, res, OP_PSA_ASYMMETRIC_ENCRYPT, 1, psa_asymmetric_encrypt);
	free(op.plaintext);
	free(op.salt);
	return parsec_take(st, res.ciphertext, out, cap, len);
}

int
parsec_asymmetric_decrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_asymmetric_decrypt_Operation op = psa_asymmetric_decrypt_Operation_init_zero;
	psa_asymmetric_decrypt_Result res = psa_asymmetric_decrypt_Result_init_zero;
	int failed = 0, st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_asymmetric_encryption_tag, &op.alg,
	    sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	op.ciphertext = parsec_bytes(in, in_len, &failed);
	op.salt = parsec_bytes(salt, salt_len, &failed);
	st = failed ? PSA_INSUFFICIENT_MEMORY_STATUS :
	    CALL(op, res, OP_PSA_ASYMMETRIC_DECRYPT, 1, psa_asymmetric_decrypt);
	free(op.ciphertext);
	free(op.salt);
	return parsec_take(st, res.plaintext, out, cap, len);
}

int
parsec_aead_encrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	psa_aead_encrypt_Operation op = psa_aead_encrypt_Operation_init_zero;
	psa_aead_encrypt_Result res = psa_aead_encrypt_Result_init_zero;
	struct op_bytes ad_b = { ad, ad_len }, in_b = { in, in_len };
	struct parsec_sink sink = { out, cap, 0 };
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 || FIXED(op.nonce, nonce, nonce_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_aead_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	PB_BYTES_OUT(op.additional_data, &ad_b);
	PB_BYTES_OUT(op.plaintext, &in_b);
	SINK(res.ciphertext, &sink);
	st = CALL(op, res, OP_PSA_AEAD_ENCRYPT, 1, psa_aead_encrypt);
	return parsec_sunk(st, &sink, len);
}

int
parsec_aead_decrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	psa_aead_decrypt_Operation op = psa_aead_decrypt_Operation_init_zero;
	psa_aead_decrypt_Result res = psa_aead_decrypt_Result_init_zero;
	struct op_bytes ad_b = { ad, ad_len }, in_b = { in, in_len };
	struct parsec_sink sink = { out, cap, 0 };
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 || FIXED(op.nonce, nonce, nonce_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_aead_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	PB_BYTES_OUT(op.additional_data, &ad_b);
	PB_BYTES_OUT(op.ciphertext, &in_b);
	SINK(res.plaintext, &sink);
	st = CALL(op, res, OP_PSA_AEAD_DECRYPT, 1, psa_aead_decrypt);
	return parsec_sunk(st, &sink, len);
}

int
parsec_cipher_encrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_cipher_encrypt_Operation op = psa_cipher_encrypt_Operation_init_zero;
	psa_cipher_encrypt_Result res = psa_cipher_encrypt_Result_init_zero;
	struct op_bytes in_b = { in, in_len };
	struct parsec_sink sink = { out, cap, 0 };
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_cipher_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	PB_BYTES_OUT(op.plaintext, &in_b);
	SINK(res.ciphertext, &sink);
	st = CALL(op, res, OP_PSA_CIPHER_ENCRYPT, 1, psa_cipher_encrypt);
	return parsec_sunk(st, &sink, len);
}

int
parsec_cipher_decrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_cipher_decrypt_Operation op = psa_cipher_decrypt_Operation_init_zero;
	psa_cipher_decrypt_Result res = psa_cipher_decrypt_Result_init_zero;
	struct op_bytes in_b = { in, in_len };
	struct parsec_sink sink = { out, cap, 0 };
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_cipher_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	PB_BYTES_OUT(op.ciphertext, &in_b);
	SINK(res.plaintext, &sink);
	st = CALL(op, res, OP_PSA_CIPHER_DECRYPT, 1, psa_cipher_decrypt);
	return parsec_sunk(st, &sink, len);
}

int
parsec_mac_compute(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_mac_compute_Operation op = psa_mac_compute_Operation_init_zero;
	psa_mac_compute_Result res = psa_mac_compute_Result_init_zero;
	struct op_bytes in_b = { in, in_len };
	int st;

	*len = 0;
	if (parsec_name(op.key_name, name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_mac_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	PB_BYTES_OUT(op.input, &in_b);
	st = CALL(op, res, OP_PSA_MAC_COMPUTE, 1, psa_mac_compute);
	if (st != PARSEC_SUCCESS)
		return st;
	return parsec_put(out, cap, len, res.mac.bytes, res.mac.size);
}

int
parsec_mac_verify(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *mac, size_t mac_len)
{
	psa_mac_verify_Operation op = psa_mac_verify_Operation_init_zero;
	psa_mac_verify_Result res = psa_mac_verify_Result_init_zero;
	struct op_bytes in_b = { in, in_len };

	if (parsec_name(op.key_name, name) == -1 || FIXED(op.mac, mac, mac_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_mac_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	op.has_alg = true;
	PB_BYTES_OUT(op.input, &in_b);
	return CALL(op, res, OP_PSA_MAC_VERIFY, 1, psa_mac_verify);
}

int
parsec_hash_compute(parsec_client *c, uint32_t alg, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	psa_hash_compute_Operation op = psa_hash_compute_Operation_init_zero;
	psa_hash_compute_Result res = psa_hash_compute_Result_init_zero;
	struct op_bytes in_b = { in, in_len };
	int st;

	*len = 0;
	if (parsec_alg(alg, psa_algorithm_Algorithm_hash_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	PB_BYTES_OUT(op.input, &in_b);
	st = CALL(op, res, OP_PSA_HASH_COMPUTE, 0, psa_hash_compute);
	if (st != PARSEC_SUCCESS)
		return st;
	return parsec_put(out, cap, len, res.hash.bytes, res.hash.size);
}

int
parsec_hash_compare(parsec_client *c, uint32_t alg, const uint8_t *in, size_t in_len,
    const uint8_t *hash, size_t hash_len)
{
	psa_hash_compare_Operation op = psa_hash_compare_Operation_init_zero;
	psa_hash_compare_Result res = psa_hash_compare_Result_init_zero;
	struct op_bytes in_b = { in, in_len };

	if (FIXED(op.hash, hash, hash_len) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_hash_tag, &op.alg, sizeof(op.alg)) == -1)
		return ST_INVALID_ARGUMENT;
	PB_BYTES_OUT(op.input, &in_b);
	return CALL(op, res, OP_PSA_HASH_COMPARE, 0, psa_hash_compare);
}

int
parsec_raw_key_agreement(parsec_client *c, const char *private_key_name, uint32_t alg,
    const uint8_t *peer_key, size_t peer_key_len, uint8_t *out, size_t cap, size_t *len)
{
	psa_raw_key_agreement_Operation op = psa_raw_key_agreement_Operation_init_zero;
	psa_raw_key_agreement_Result res = psa_raw_key_agreement_Result_init_zero;
	psa_algorithm_Algorithm_KeyAgreement ka;
	int failed = 0, st;

	*len = 0;
	if (parsec_name(op.private_key_name, private_key_name) == -1 ||
	    parsec_alg(alg, psa_algorithm_Algorithm_key_agreement_tag, &ka, sizeof(ka)) == -1 ||
	    ka.which_variant != psa_algorithm_Algorithm_KeyAgreement_raw_tag)
		return ST_INVALID_ARGUMENT;
	op.alg = ka.variant.raw;
	op.peer_key = parsec_bytes(peer_key, peer_key_len, &failed);
	st = failed ? PSA_INSUFFICIENT_MEMORY_STATUS :
	    CALL(op, res, OP_PSA_RAW_KEY_AGREEMENT, 1, psa_raw_key_agreement);
	free(op.peer_key);
	return parsec_take(st, res.shared_secret, out, cap, len);
}

int
parsec_generate_random(parsec_client *c, uint8_t *out, size_t len)
{
	psa_generate_random_Operation op = psa_generate_random_Operation_init_zero;
	psa_generate_random_Result res = psa_generate_random_Result_init_zero;
	struct parsec_sink sink = { out, len, 0 };
	size_t got;
	int st;

	op.size = len;
	SINK(res.random_bytes, &sink);
	st = parsec_sunk(CALL(op, res, OP_PSA_GENERATE_RANDOM, 0, psa_generate_random), &sink, &got);
	return st == PARSEC_SUCCESS && got != len ? PARSEC_ERR_INVALID_ENCODING : st;
}

int
parsec_can_do_crypto(parsec_client *c, uint32_t check_type, const struct parsec_key_attributes *attrs)
{
	can_do_crypto_Operation op = can_do_crypto_Operation_init_zero;
	can_do_crypto_Result res = can_do_crypto_Result_init_zero;

	if (check_type < 1 || check_type > 4 || parsec_attrs(attrs, &op.attributes) == -1)
		return ST_INVALID_ARGUMENT;
	op.check_type = (can_do_crypto_CheckType)check_type;
	op.has_attributes = true;
	return CALL(op, res, OP_CAN_DO_CRYPTO, 1, can_do_crypto);
}
