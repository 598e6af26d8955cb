/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-opcode table and the conversions it drives: a row says where an
 * Operation keeps its key name, algorithm, attributes, number and input bytes
 * and where its Result keeps the output; one routine per direction reads the
 * row, for the service (decode requests, fill results) and the client (build
 * requests, collect results).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "psa_codec.h"
#include "row.h"
#include "wipe.h"
#include "wire.h"

#include "attest_key.pb.h"
#include "can_do_crypto.pb.h"
#include "delete_client.pb.h"
#include "list_authenticators.pb.h"
#include "list_clients.pb.h"
#include "list_keys.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"
#include "prepare_key_attestation.pb.h"
#include "psa_aead_decrypt.pb.h"
#include "psa_aead_encrypt.pb.h"
#include "psa_asymmetric_decrypt.pb.h"
#include "psa_asymmetric_encrypt.pb.h"
#include "psa_cipher_decrypt.pb.h"
#include "psa_cipher_encrypt.pb.h"
#include "psa_destroy_key.pb.h"
#include "psa_export_key.pb.h"
#include "psa_export_public_key.pb.h"
#include "psa_generate_key.pb.h"
#include "psa_generate_random.pb.h"
#include "psa_hash_compare.pb.h"
#include "psa_hash_compute.pb.h"
#include "psa_import_key.pb.h"
#include "psa_mac_compute.pb.h"
#include "psa_mac_verify.pb.h"
#include "psa_raw_key_agreement.pb.h"
#include "psa_sign_hash.pb.h"
#include "psa_sign_message.pb.h"
#include "psa_verify_hash.pb.h"
#include "psa_verify_message.pb.h"

/* ---- row builders: P is the generated package prefix ---- */
#define OPM(P, f) offsetof(P##_Operation, f)
#define RESM(P, f) offsetof(P##_Result, f)
#define ROW(op, P, ...) \
	{ .opcode = op, .op_fields = P##_Operation_fields, .op_size = sizeof(P##_Operation), \
	  .res_fields = P##_Result_fields, .res_size = sizeof(P##_Result), __VA_ARGS__ }
#define NAME(role, P, f) .name_role = role, .name_off = OPM(P, f), \
	.name_size = sizeof(((P##_Operation *)0)->f)
#define KEY(P, f) NAME(1, P, f)
#define CLIENT(P, f) NAME(2, P, f)
#define ALG(form, P, sub) .alg_form = form, \
	.alg_tag = psa_algorithm_Algorithm_##sub##_tag, .alg_off = OPM(P, alg), \
	.alg_size = sizeof(((P##_Operation *)0)->alg)
#define ALG_MSG(P, sub) ALG(PC_ALG_MSG, P, sub), .alg_has_off = OPM(P, has_alg)
#define ATTRS(P) .attrs = 1, .attrs_off = OPM(P, attributes), \
	.attrs_has_off = OPM(P, has_attributes)
#define NUM(P, f, lo, hi) .num_size = sizeof(((P##_Operation *)0)->f), \
	.num_off = OPM(P, f), .num_min = lo, .num_max = hi
#define PTR_IN(P, f, s) { PC_POINTER, s, OPM(P, f), 0 }
#define CB_IN(P, f, s) { PC_CALLBACK, s, OPM(P, f), 0 }
#define FIXED_OUT(P, f) .out = { PC_FIXED, 0, RESM(P, f), sizeof(((P##_Result *)0)->f.bytes) }
#define PTR_OUT(P, f) .out = { PC_POINTER, 0, RESM(P, f), 0 }
#define CB_OUT(P, f) .out = { PC_CALLBACK, 0, RESM(P, f), 0 }

/*
 * Inputs by opcode (op_request.in), as the service passes them on:
 *   ImportKey: in[0] data                   SignHash: in[0] hash; VerifyHash: + in[1] signature
 *   SignMessage: in[0] message              VerifyMessage: + in[1] signature
 *   AsymmetricEncrypt/Decrypt: in[0] input, in[1] salt
 *   AeadEncrypt/Decrypt: in[0] nonce, in[1] additional data, in[2] text
 *   CipherEncrypt/Decrypt: in[0] text       MacCompute: in[0] input; MacVerify: + in[1] mac
 *   HashCompute: in[0] input                HashCompare: in[0] input, in[1] hash
 *   RawKeyAgreement: in[0] peer key
 * No input has a bound of its own: upstream's codec refuses none for its
 * length, so a hash, signature, nonce or MAC of the wrong size for the key is
 * the operation's error (PsaErrorInvalidArgument ...), not a body that fails
 * to decode. The callbacks point into the body, so memory stays within the
 * body size limit.
 */
static const struct pc_codec pc_codecs[] = {
	ROW(OP_PING, ping),
	ROW(OP_LIST_PROVIDERS, list_providers),
	ROW(OP_LIST_OPCODES, list_opcodes, NUM(list_opcodes, provider_id, 0, 0)),
	ROW(OP_LIST_AUTHENTICATORS, list_authenticators),
	ROW(OP_LIST_KEYS, list_keys),
	ROW(OP_LIST_CLIENTS, list_clients),
	ROW(OP_DELETE_CLIENT, delete_client, CLIENT(delete_client, client)),
	ROW(OP_PSA_GENERATE_RANDOM, psa_generate_random, NUM(psa_generate_random, size, 0, 0),
	    CB_OUT(psa_generate_random, random_bytes)),
	ROW(OP_PSA_GENERATE_KEY, psa_generate_key, KEY(psa_generate_key, key_name),
	    ATTRS(psa_generate_key)),
	ROW(OP_PSA_IMPORT_KEY, psa_import_key, KEY(psa_import_key, key_name),
	    ATTRS(psa_import_key), .in = { PTR_IN(psa_import_key, data, 0) }),
	ROW(OP_PSA_DESTROY_KEY, psa_destroy_key, KEY(psa_destroy_key, key_name)),
	ROW(OP_PSA_EXPORT_KEY, psa_export_key, KEY(psa_export_key, key_name),
	    PTR_OUT(psa_export_key, data)),
	ROW(OP_PSA_EXPORT_PUBLIC_KEY, psa_export_public_key,
	    KEY(psa_export_public_key, key_name), PTR_OUT(psa_export_public_key, data)),
	ROW(OP_PSA_SIGN_HASH, psa_sign_hash, KEY(psa_sign_hash, key_name),
	    ALG_MSG(psa_sign_hash, asymmetric_signature),
	    .in = { CB_IN(psa_sign_hash, hash, 0) },
	    FIXED_OUT(psa_sign_hash, signature)),
	ROW(OP_PSA_VERIFY_HASH, psa_verify_hash, KEY(psa_verify_hash, key_name),
	    ALG_MSG(psa_verify_hash, asymmetric_signature),
	    .in = { CB_IN(psa_verify_hash, hash, 0),
	    CB_IN(psa_verify_hash, signature, 1) }),
	ROW(OP_PSA_SIGN_MESSAGE, psa_sign_message, KEY(psa_sign_message, key_name),
	    ALG_MSG(psa_sign_message, asymmetric_signature),
	    .in = { CB_IN(psa_sign_message, message, 0) },
	    FIXED_OUT(psa_sign_message, signature)),
	ROW(OP_PSA_VERIFY_MESSAGE, psa_verify_message, KEY(psa_verify_message, key_name),
	    ALG_MSG(psa_verify_message, asymmetric_signature),
	    .in = { CB_IN(psa_verify_message, message, 0),
	    CB_IN(psa_verify_message, signature, 1) }),
	ROW(OP_PSA_ASYMMETRIC_ENCRYPT, psa_asymmetric_encrypt,
	    KEY(psa_asymmetric_encrypt, key_name),
	    ALG_MSG(psa_asymmetric_encrypt, asymmetric_encryption),
	    .in = { PTR_IN(psa_asymmetric_encrypt, plaintext, 0),
	    PTR_IN(psa_asymmetric_encrypt, salt, 1) },
	    PTR_OUT(psa_asymmetric_encrypt, ciphertext)),
	ROW(OP_PSA_ASYMMETRIC_DECRYPT, psa_asymmetric_decrypt,
	    KEY(psa_asymmetric_decrypt, key_name),
	    ALG_MSG(psa_asymmetric_decrypt, asymmetric_encryption),
	    .in = { PTR_IN(psa_asymmetric_decrypt, ciphertext, 0),
	    PTR_IN(psa_asymmetric_decrypt, salt, 1) },
	    PTR_OUT(psa_asymmetric_decrypt, plaintext)),
	ROW(OP_PSA_AEAD_ENCRYPT, psa_aead_encrypt, KEY(psa_aead_encrypt, key_name),
	    ALG_MSG(psa_aead_encrypt, aead),
	    .in = { CB_IN(psa_aead_encrypt, nonce, 0),
	    CB_IN(psa_aead_encrypt, additional_data, 1), CB_IN(psa_aead_encrypt, plaintext, 2) },
	    CB_OUT(psa_aead_encrypt, ciphertext)),
	ROW(OP_PSA_AEAD_DECRYPT, psa_aead_decrypt, KEY(psa_aead_decrypt, key_name),
	    ALG_MSG(psa_aead_decrypt, aead),
	    .in = { CB_IN(psa_aead_decrypt, nonce, 0),
	    CB_IN(psa_aead_decrypt, additional_data, 1), CB_IN(psa_aead_decrypt, ciphertext, 2) },
	    CB_OUT(psa_aead_decrypt, plaintext)),
	ROW(OP_PSA_CIPHER_ENCRYPT, psa_cipher_encrypt, KEY(psa_cipher_encrypt, key_name),
	    ALG(PC_ALG_ENUM, psa_cipher_encrypt, cipher),
	    .in = { CB_IN(psa_cipher_encrypt, plaintext, 0) },
	    CB_OUT(psa_cipher_encrypt, ciphertext)),
	ROW(OP_PSA_CIPHER_DECRYPT, psa_cipher_decrypt, KEY(psa_cipher_decrypt, key_name),
	    ALG(PC_ALG_ENUM, psa_cipher_decrypt, cipher),
	    .in = { CB_IN(psa_cipher_decrypt, ciphertext, 0) },
	    CB_OUT(psa_cipher_decrypt, plaintext)),
	ROW(OP_PSA_MAC_COMPUTE, psa_mac_compute, KEY(psa_mac_compute, key_name),
	    ALG_MSG(psa_mac_compute, mac), .in = { CB_IN(psa_mac_compute, input, 0) },
	    FIXED_OUT(psa_mac_compute, mac)),
	ROW(OP_PSA_MAC_VERIFY, psa_mac_verify, KEY(psa_mac_verify, key_name),
	    ALG_MSG(psa_mac_verify, mac),
	    .in = { CB_IN(psa_mac_verify, input, 0), CB_IN(psa_mac_verify, mac, 1) }),
	ROW(OP_PSA_HASH_COMPUTE, psa_hash_compute, ALG(PC_ALG_ENUM, psa_hash_compute, hash),
	    .in = { CB_IN(psa_hash_compute, input, 0) }, FIXED_OUT(psa_hash_compute, hash)),
	ROW(OP_PSA_HASH_COMPARE, psa_hash_compare, ALG(PC_ALG_ENUM, psa_hash_compare, hash),
	    .in = { CB_IN(psa_hash_compare, input, 0), CB_IN(psa_hash_compare, hash, 1) }),
	ROW(OP_PSA_RAW_KEY_AGREEMENT, psa_raw_key_agreement,
	    KEY(psa_raw_key_agreement, private_key_name),
	    ALG(PC_ALG_RAW_KA, psa_raw_key_agreement, key_agreement),
	    .in = { PTR_IN(psa_raw_key_agreement, peer_key, 0) },
	    PTR_OUT(psa_raw_key_agreement, shared_secret)),
	ROW(OP_CAN_DO_CRYPTO, can_do_crypto, ATTRS(can_do_crypto),
	    NUM(can_do_crypto, check_type, can_do_crypto_CheckType_USE,
	    can_do_crypto_CheckType_DERIVE)),
	/* Their fields are read and written by pc_attest.c. */
	ROW(OP_ATTEST_KEY, attest_key),
	ROW(OP_PREPARE_KEY_ATTESTATION, prepare_key_attestation),
};

const struct pc_codec *
pc_codec_find(uint32_t opcode)
{
	const struct pc_codec *k = ROW_FIND(pc_codecs, struct pc_codec, opcode, opcode);

	return k != NULL ? k : pc_ext_key_codec_find(opcode);
}

/* ---- field access ---- */
#define AT(msg, off) ((uint8_t *)(msg) + (off))
#define FIXED_AT(msg, off) ((pb_bytes_array_t *)AT(msg, off))
#define PTR_AT(msg, off) ((pb_bytes_array_t **)AT(msg, off))
#define CB_AT(msg, off) ((pb_callback_t *)AT(msg, off))

static bool
pc_flag(const void *msg, uint32_t off)
{
	bool v;

	memcpy(&v, AT(msg, off), sizeof(v));
	return v;
}

static void
pc_set_flag(void *msg, uint32_t off)
{
	bool v = true;

	memcpy(AT(msg, off), &v, sizeof(v));
}

static uint64_t
pc_number(const struct pc_codec *k, const void *msg)
{
	uint32_t v32;
	uint64_t v64;

	if (k->num_size == sizeof(v64)) {
		memcpy(&v64, AT(msg, k->num_off), sizeof(v64));
		return v64;
	}
	memcpy(&v32, AT(msg, k->num_off), sizeof(v32));
	return v32;
}

static bool
pc_number_ok(const struct pc_codec *k, uint64_t v)
{
	return k->num_max == 0 || (v >= k->num_min && v <= k->num_max);
}

/* The row's algorithm field, whatever its form, through the whole-Algorithm converter. */
static int
pc_alg_get(const struct pc_codec *k, const void *msg, uint32_t *alg)
{
	psa_algorithm_Algorithm a;

	memset(&a, 0, sizeof(a));
	a.which_variant = k->alg_tag;
	if (k->alg_form == PC_ALG_MSG && !pc_flag(msg, k->alg_has_off))
		return -1;
	if (k->alg_form == PC_ALG_RAW_KA) {
		a.variant.key_agreement.which_variant = psa_algorithm_Algorithm_KeyAgreement_raw_tag;
		memcpy(&a.variant.key_agreement.variant.raw, AT(msg, k->alg_off), k->alg_size);
	} else {
		memcpy(&a.variant, AT(msg, k->alg_off), k->alg_size);
	}
	return pc_alg_from_pb(&a, alg);
}

static int
pc_alg_set(const struct pc_codec *k, uint32_t alg, void *msg)
{
	psa_algorithm_Algorithm a;

	if (pc_alg_to_pb(alg, &a) == -1 || a.which_variant != k->alg_tag)
		return -1;
	if (k->alg_form == PC_ALG_RAW_KA) {
		if (a.variant.key_agreement.which_variant !=
		    psa_algorithm_Algorithm_KeyAgreement_raw_tag)
			return -1;
		memcpy(AT(msg, k->alg_off), &a.variant.key_agreement.variant.raw, k->alg_size);
		return 0;
	}
	memcpy(AT(msg, k->alg_off), &a.variant, k->alg_size);
	if (k->alg_form == PC_ALG_MSG)
		pc_set_flag(msg, k->alg_has_off);
	return 0;
}

/* ---- service side ---- */
struct pc_msg {
	const pb_msgdesc_t *fields;
	void *msg;
	size_t size;
};

void
pc_msg_free(struct pc_msg *m)
{
	if (m == NULL)
		return;
	pc_release_wiped(m->fields, m->msg, m->size);
	free(m->msg);
	free(m);
}

/* A decoded Operation into req: ST_SUCCESS or ST_INVALID_ENCODING. */
static uint32_t
pc_request_from(const struct pc_codec *k, const void *msg, struct op_request *req)
{
	size_t i;

	if (k->opcode == OP_ATTEST_KEY || k->opcode == OP_PREPARE_KEY_ATTESTATION)
		return pc_attest_request(k->opcode, msg, req);
	if (k->opcode == OP_EXT_COPY_KEY && pc_ext_key_copy_get(msg, req) != ST_SUCCESS)
		return ST_INVALID_ENCODING;
	if (k->name_role != 0 && pc_name_get(k->name_role == 1 ? req->key_name : req->client,
	    (const char *)AT(msg, k->name_off), k->name_size) == -1)
		return ST_INVALID_ENCODING;
	if (k->alg_form != PC_ALG_NONE && pc_alg_get(k, msg, &req->alg) == -1)
		return ST_INVALID_ENCODING;
	if (k->attrs && (!pc_flag(msg, k->attrs_has_off) ||
	    pc_key_attrs_from_pb((const void *)AT(msg, k->attrs_off), &req->attrs) == -1))
		return ST_INVALID_ENCODING;
	if (k->num_size != 0) {
		req->number = pc_number(k, msg);
		if (!pc_number_ok(k, req->number))
			return ST_INVALID_ENCODING;
	}
	for (i = 0; i < OP_MAX_INPUTS; i++) {
		const struct pc_field *f = &k->in[i];
		const pb_bytes_array_t *b;

		if (f->kind != PC_POINTER)
			continue;
		b = *PTR_AT(msg, f->off);
		req->in[f->slot].ptr = b != NULL ? b->bytes : NULL;
		req->in[f->slot].len = b != NULL ? b->size : 0;
	}
	return ST_SUCCESS;
}

/* req zeroed but for its opcode. */
static void
pc_request_clear(const struct pc_codec *k, struct op_request *req)
{
	memset(req, 0, sizeof(*req));
	req->opcode = k->opcode;
}

uint32_t
pc_request_decode(const struct pc_codec *k, const uint8_t *body, size_t len,
    struct op_request *req, struct pc_msg **out)
{
	struct pc_msg *m;
	uint32_t status = ST_SUCCESS;
	pb_istream_t in;
	size_t i;

	*out = NULL;
	pc_request_clear(k, req);
	if (!pc_names_valid(k->op_fields, body, len))
		return ST_PSA_INVALID_ARGUMENT;
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->msg = calloc(1, k->op_size)) == NULL) {
		free(m);
		return ST_PSA_INSUFFICIENT_MEMORY;
	}
	m->fields = k->op_fields;
	m->size = k->op_size;
	/* Large data fields decode straight into the request (pc_bytes.c). */
	for (i = 0; i < OP_MAX_INPUTS; i++)
		if (k->in[i].kind == PC_CALLBACK)
			PC_BYTES_IN(*CB_AT(m->msg, k->in[i].off), &req->in[k->in[i].slot]);
	in = pb_istream_from_buffer(body, len);
	if (!pb_decode(&in, k->op_fields, m->msg))
		status = ST_DESERIALIZING_BODY_FAILED;
	else
		status = pc_request_from(k, m->msg, req);
	if (status != ST_SUCCESS) {
		pc_msg_free(m);
		pc_request_clear(k, req);
		return status;
	}
	*out = m;
	return ST_SUCCESS;
}

int
pc_result_fill(const struct pc_codec *k, const struct op_result *r, void *res)
{
	const struct pc_field *f = &k->out;
	const struct op_bytes *out = &r->out[0];
	pb_bytes_array_t *b;

	if (k->opcode == OP_ATTEST_KEY || k->opcode == OP_PREPARE_KEY_ATTESTATION)
		return pc_attest_result_fill(k->opcode, r, res);
	switch (f->kind) {
	case PC_FIXED:
		if (out->len > f->cap)
			return -1;
		b = FIXED_AT(res, f->off);
		break;
	case PC_POINTER:
		if (out->len > PB_SIZE_MAX ||
		    (b = malloc(PB_BYTES_ARRAY_T_ALLOCSIZE(out->len))) == NULL)
			return -1;
		*PTR_AT(res, f->off) = b;
		break;
	case PC_CALLBACK:
		PC_BYTES_OUT(*CB_AT(res, f->off), out);
		return 0;
	default:
		return 0;
	}
	b->size = (pb_size_t)out->len;
	if (out->len > 0)
		memcpy(b->bytes, out->ptr, out->len);
	return 0;
}

int
pc_encode(const pb_msgdesc_t *fields, const void *msg, uint8_t **body, size_t *len)
{
	pb_ostream_t out;
	uint8_t *buf;
	size_t size;

	*body = NULL;
	*len = 0;
	if (!pb_get_encoded_size(&size, fields, msg) || (buf = malloc(size ? size : 1)) == NULL)
		return -1;
	out = pb_ostream_from_buffer(buf, size);
	if (!pb_encode(&out, fields, msg)) {
		wipe_free(buf, size);
		return -1;
	}
	*body = buf;
	*len = out.bytes_written;
	return 0;
}

/* ---- client side ---- */
/* req into an Operation, all checks before any copy: ST_SUCCESS or ST_PSA_INVALID_ARGUMENT. */
static uint32_t
pc_request_to(const struct pc_codec *k, const struct op_request *req, void *msg)
{
	size_t i;

	if (k->opcode == OP_EXT_COPY_KEY && pc_ext_key_copy_put(req, msg) != ST_SUCCESS)
		return ST_PSA_INVALID_ARGUMENT;
	if (k->name_role != 0) {
		const char *name = k->name_role == 1 ? req->key_name : req->client;
		size_t len = strnlen(name, OP_NAME_MAX);

		/* OP_NAME_MAX: no NUL, a name too long for the request form. */
		if (len == 0 || len == OP_NAME_MAX || len >= k->name_size)
			return ST_PSA_INVALID_ARGUMENT;
		memcpy(AT(msg, k->name_off), name, len + 1);
	}
	if (k->alg_form != PC_ALG_NONE && pc_alg_set(k, req->alg, msg) == -1)
		return ST_PSA_INVALID_ARGUMENT;
	if (k->attrs) {
		if (pc_key_attrs_to_pb(&req->attrs, (void *)AT(msg, k->attrs_off)) == -1)
			return ST_PSA_INVALID_ARGUMENT;
		pc_set_flag(msg, k->attrs_has_off);
	}
	if (k->num_size != 0) {
		uint32_t v32 = (uint32_t)req->number;

		if (!pc_number_ok(k, req->number))
			return ST_PSA_INVALID_ARGUMENT;
		memcpy(AT(msg, k->num_off), k->num_size == sizeof(v32) ? (void *)&v32 :
		    (void *)&req->number, k->num_size);
	}
	for (i = 0; i < OP_MAX_INPUTS; i++) {
		const struct pc_field *f = &k->in[i];
		const struct op_bytes *b = &req->in[f->slot];

		if (f->kind == PC_CALLBACK)
			PC_BYTES_OUT(*CB_AT(msg, f->off), b);
	}
	return ST_SUCCESS;
}

uint32_t
pc_request_build(const struct pc_codec *k, const struct op_request *req, void *msg)
{
	uint32_t status = pc_request_to(k, req, msg);
	size_t i;

	/* Pointer fields last: a heap copy each (empty ones stay out). */
	for (i = 0; status == ST_SUCCESS && i < OP_MAX_INPUTS; i++) {
		const struct pc_field *f = &k->in[i];
		const struct op_bytes *b = &req->in[f->slot];
		pb_bytes_array_t *copy;

		if (f->kind != PC_POINTER || b->len == 0)
			continue;
		if (b->len > PB_SIZE_MAX || (copy = malloc(PB_BYTES_ARRAY_T_ALLOCSIZE(b->len))) == NULL)
			return ST_PSA_INSUFFICIENT_MEMORY;
		copy->size = (pb_size_t)b->len;
		memcpy(copy->bytes, b->ptr, b->len);
		*PTR_AT(msg, f->off) = copy;
	}
	return status;
}

/* Wipes a heap bytes field and frees it. */
static void
pc_wipe_ptr(pb_bytes_array_t **p)
{
	if (*p != NULL) {
		wipe_free(*p, PB_BYTES_ARRAY_T_ALLOCSIZE((*p)->size));
		*p = NULL;
	}
}

void
pc_request_wipe(const struct pc_codec *k, void *msg)
{
	pc_release_wiped(k->op_fields, msg, k->op_size);
}

/* A result's large bytes field, copied straight into the caller's buffer. */
static bool
pc_sink_decode(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
	struct pc_sink *sink = *arg;

	sink->len = stream->bytes_left;
	/* Too large: skip it, keeping the length the caller needs. */
	return pb_read(stream, sink->len <= sink->cap ? sink->buf : NULL, stream->bytes_left);
}

void
pc_result_prepare(const struct pc_codec *k, void *res, struct pc_sink *sink)
{
	sink->len = 0;
	if (k->out.kind == PC_CALLBACK) {
		CB_AT(res, k->out.off)->funcs.decode = pc_sink_decode;
		CB_AT(res, k->out.off)->arg = sink;
	}
}

void
pc_result_collect(const struct pc_codec *k, void *res, struct pc_sink *sink)
{
	const pb_bytes_array_t *b;

	if (k->out.kind == PC_FIXED)
		b = FIXED_AT(res, k->out.off);
	else if (k->out.kind == PC_POINTER)
		b = *PTR_AT(res, k->out.off);
	else
		return;
	sink->len = b != NULL ? b->size : 0;
	if (sink->len > 0 && sink->len <= sink->cap)
		memcpy(sink->buf, b->bytes, sink->len);
	if (k->out.kind == PC_POINTER)
		pc_wipe_ptr(PTR_AT(res, k->out.off));
}
