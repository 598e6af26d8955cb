/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crypto operation bodies: protobuf Operation to the internal form and the
 * internal result back to protobuf Result. Algorithms and key attributes are
 * converted to PSA values here (front_psa.c), so nothing past frontd parses
 * protobuf.
 */
#include <string.h>

#include "front_crypto.h"
#include "pb_bytes.h"
#include "front_psa.h"

#define PTR_BYTES(f) ((struct op_bytes){ (f) != NULL ? (f)->bytes : NULL, (f) != NULL ? (f)->size : 0 })
#define FIXED_BYTES(f) ((struct op_bytes){ (f).bytes, (f).size })

/* Runs one sub-algorithm through the whole-Algorithm converter. */
static uint32_t
front_alg(pb_size_t tag, const void *sub, size_t sub_size, uint32_t *alg)
{
	psa_algorithm_Algorithm a;

	memset(&a, 0, sizeof(a));
	a.which_variant = tag;
	memcpy(&a.variant, sub, sub_size);
	return front_alg_from_pb(&a, alg) == 0 ? ST_SUCCESS : ST_INVALID_ENCODING;
}

#define ALG_MSG(o, tag, out) \
	((o)->has_alg ? front_alg(tag, &(o)->alg, sizeof((o)->alg), out) : ST_INVALID_ENCODING)
#define ALG_ENUM(o, tag, out) front_alg(tag, &(o)->alg, sizeof((o)->alg), out)

static uint32_t
front_name(char *dst, const char *src)
{
	if (strlcpy(dst, src, OP_NAME_MAX) >= OP_NAME_MAX)
		return ST_INVALID_ENCODING;
	return ST_SUCCESS;
}

static uint32_t
front_attrs(bool has, const psa_key_attributes_KeyAttributes *pb, struct op_key_attrs *attrs)
{
	if (!has || front_key_attrs_from_pb(pb, attrs) == -1)
		return ST_INVALID_ENCODING;
	return ST_SUCCESS;
}

/* Copies a result into a fixed-size protobuf bytes field. */
#define PUT_FIXED(field, b) front_put_fixed((field).bytes, sizeof((field).bytes), &(field).size, &(b))

static int
front_put_fixed(uint8_t *bytes, size_t cap, pb_size_t *size, const struct op_bytes *b)
{
	if (b->len > cap)
		return -1;
	*size = (pb_size_t)b->len;
	if (b->len > 0)
		memcpy(bytes, b->ptr, b->len);
	return 0;
}

uint32_t
front_generate_key_to(const void *msg, struct op_request *op)
{
	const psa_generate_key_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	return st ? st : front_attrs(o->has_attributes, &o->attributes, &op->attrs);
}

uint32_t
front_import_key_to(const void *msg, struct op_request *op)
{
	const psa_import_key_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	if (st == ST_SUCCESS)
		st = front_attrs(o->has_attributes, &o->attributes, &op->attrs);
	op->in[0] = PTR_BYTES(o->data);
	return st;
}

uint32_t
front_destroy_key_to(const void *msg, struct op_request *op)
{
	return front_name(op->key_name, ((const psa_destroy_key_Operation *)msg)->key_name);
}

uint32_t
front_export_key_to(const void *msg, struct op_request *op)
{
	return front_name(op->key_name, ((const psa_export_key_Operation *)msg)->key_name);
}

uint32_t
front_export_public_key_to(const void *msg, struct op_request *op)
{
	return front_name(op->key_name, ((const psa_export_public_key_Operation *)msg)->key_name);
}

int
front_export_key_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	psa_export_key_Result *r = msg;

	return (r->data = front_bytes(scratch, &res->out[0])) != NULL ? 0 : -1;
}

int
front_export_public_key_from(const struct op_result *res, void *msg,
    struct front_scratch *scratch)
{
	psa_export_public_key_Result *r = msg;

	return (r->data = front_bytes(scratch, &res->out[0])) != NULL ? 0 : -1;
}

uint32_t
front_sign_hash_to(const void *msg, struct op_request *op)
{
	const psa_sign_hash_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[0] = FIXED_BYTES(o->hash);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_asymmetric_signature_tag, &op->alg);
}

int
front_sign_hash_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	return PUT_FIXED(((psa_sign_hash_Result *)msg)->signature, res->out[0]);
}

uint32_t
front_verify_hash_to(const void *msg, struct op_request *op)
{
	const psa_verify_hash_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[0] = FIXED_BYTES(o->hash);
	op->in[1] = FIXED_BYTES(o->signature);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_asymmetric_signature_tag, &op->alg);
}

uint32_t
front_sign_message_to(const void *msg, struct op_request *op)
{
	const psa_sign_message_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_asymmetric_signature_tag, &op->alg);
}

int
front_sign_message_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	return PUT_FIXED(((psa_sign_message_Result *)msg)->signature, res->out[0]);
}

uint32_t
front_verify_message_to(const void *msg, struct op_request *op)
{
	const psa_verify_message_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[1] = FIXED_BYTES(o->signature);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_asymmetric_signature_tag, &op->alg);
}

uint32_t
front_asymmetric_encrypt_to(const void *msg, struct op_request *op)
{
	const psa_asymmetric_encrypt_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[0] = PTR_BYTES(o->plaintext);
	op->in[1] = PTR_BYTES(o->salt);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_asymmetric_encryption_tag, &op->alg);
}

int
front_asymmetric_encrypt_from(const struct op_result *res, void *msg,
    struct front_scratch *scratch)
{
	psa_asymmetric_encrypt_Result *r = msg;

	return (r->ciphertext = front_bytes(scratch, &res->out[0])) != NULL ? 0 : -1;
}

uint32_t
front_asymmetric_decrypt_to(const void *msg, struct op_request *op)
{
	const psa_asymmetric_decrypt_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[0] = PTR_BYTES(o->ciphertext);
	op->in[1] = PTR_BYTES(o->salt);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_asymmetric_encryption_tag, &op->alg);
}

int
front_asymmetric_decrypt_from(const struct op_result *res, void *msg,
    struct front_scratch *scratch)
{
	psa_asymmetric_decrypt_Result *r = msg;

	return (r->plaintext = front_bytes(scratch, &res->out[0])) != NULL ? 0 : -1;
}

uint32_t
front_aead_encrypt_to(const void *msg, struct op_request *op)
{
	const psa_aead_encrypt_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[0] = FIXED_BYTES(o->nonce);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_aead_tag, &op->alg);
}

int
front_aead_encrypt_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	PB_BYTES_OUT(((psa_aead_encrypt_Result *)msg)->ciphertext, &res->out[0]);
	return 0;
}

uint32_t
front_aead_decrypt_to(const void *msg, struct op_request *op)
{
	const psa_aead_decrypt_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[0] = FIXED_BYTES(o->nonce);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_aead_tag, &op->alg);
}

int
front_aead_decrypt_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	PB_BYTES_OUT(((psa_aead_decrypt_Result *)msg)->plaintext, &res->out[0]);
	return 0;
}

uint32_t
front_cipher_encrypt_to(const void *msg, struct op_request *op)
{
	const psa_cipher_encrypt_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	return st ? st : ALG_ENUM(o, psa_algorithm_Algorithm_cipher_tag, &op->alg);
}

int
front_cipher_encrypt_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	PB_BYTES_OUT(((psa_cipher_encrypt_Result *)msg)->ciphertext, &res->out[0]);
	return 0;
}

uint32_t
front_cipher_decrypt_to(const void *msg, struct op_request *op)
{
	const psa_cipher_decrypt_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	return st ? st : ALG_ENUM(o, psa_algorithm_Algorithm_cipher_tag, &op->alg);
}

int
front_cipher_decrypt_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	PB_BYTES_OUT(((psa_cipher_decrypt_Result *)msg)->plaintext, &res->out[0]);
	return 0;
}

uint32_t
front_mac_compute_to(const void *msg, struct op_request *op)
{
	const psa_mac_compute_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_mac_tag, &op->alg);
}

int
front_mac_compute_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	return PUT_FIXED(((psa_mac_compute_Result *)msg)->mac, res->out[0]);
}

uint32_t
front_mac_verify_to(const void *msg, struct op_request *op)
{
	const psa_mac_verify_Operation *o = msg;
	uint32_t st = front_name(op->key_name, o->key_name);

	op->in[1] = FIXED_BYTES(o->mac);
	return st ? st : ALG_MSG(o, psa_algorithm_Algorithm_mac_tag, &op->alg);
}

uint32_t
front_hash_compute_to(const void *msg, struct op_request *op)
{
	const psa_hash_compute_Operation *o = msg;

	return ALG_ENUM(o, psa_algorithm_Algorithm_hash_tag, &op->alg);
}

int
front_hash_compute_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	return PUT_FIXED(((psa_hash_compute_Result *)msg)->hash, res->out[0]);
}

uint32_t
front_hash_compare_to(const void *msg, struct op_request *op)
{
	const psa_hash_compare_Operation *o = msg;

	op->in[1] = FIXED_BYTES(o->hash);
	return ALG_ENUM(o, psa_algorithm_Algorithm_hash_tag, &op->alg);
}

uint32_t
front_raw_key_agreement_to(const void *msg, struct op_request *op)
{
	const psa_raw_key_agreement_Operation *o = msg;
	psa_algorithm_Algorithm_KeyAgreement ka;
	uint32_t st = front_name(op->key_name, o->private_key_name);

	memset(&ka, 0, sizeof(ka));
	ka.which_variant = psa_algorithm_Algorithm_KeyAgreement_raw_tag;
	ka.variant.raw = o->alg;
	op->in[0] = PTR_BYTES(o->peer_key);
	return st ? st : front_alg(psa_algorithm_Algorithm_key_agreement_tag, &ka, sizeof(ka),
	    &op->alg);
}

int
front_raw_key_agreement_from(const struct op_result *res, void *msg,
    struct front_scratch *scratch)
{
	psa_raw_key_agreement_Result *r = msg;

	return (r->shared_secret = front_bytes(scratch, &res->out[0])) != NULL ? 0 : -1;
}

uint32_t
front_can_do_crypto_to(const void *msg, struct op_request *op)
{
	const can_do_crypto_Operation *o = msg;

	if (o->check_type < can_do_crypto_CheckType_USE ||
	    o->check_type > can_do_crypto_CheckType_DERIVE)
		return ST_INVALID_ENCODING;
	op->number = (uint64_t)o->check_type;
	return front_attrs(o->has_attributes, &o->attributes, &op->attrs);
}

/* Large data fields decode straight into the request's inputs (pb_bytes.h). */
void
front_sign_message_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_sign_message_Operation *)msg)->message, &op->in[0]);
}

void
front_verify_message_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_verify_message_Operation *)msg)->message, &op->in[0]);
}

void
front_aead_encrypt_prep(void *msg, struct op_request *op)
{
	psa_aead_encrypt_Operation *o = msg;

	PB_BYTES_IN(o->additional_data, &op->in[1]);
	PB_BYTES_IN(o->plaintext, &op->in[2]);
}

void
front_aead_decrypt_prep(void *msg, struct op_request *op)
{
	psa_aead_decrypt_Operation *o = msg;

	PB_BYTES_IN(o->additional_data, &op->in[1]);
	PB_BYTES_IN(o->ciphertext, &op->in[2]);
}

void
front_cipher_encrypt_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_cipher_encrypt_Operation *)msg)->plaintext, &op->in[0]);
}

void
front_cipher_decrypt_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_cipher_decrypt_Operation *)msg)->ciphertext, &op->in[0]);
}

void
front_mac_compute_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_mac_compute_Operation *)msg)->input, &op->in[0]);
}

void
front_mac_verify_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_mac_verify_Operation *)msg)->input, &op->in[0]);
}

void
front_hash_compute_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_hash_compute_Operation *)msg)->input, &op->in[0]);
}

void
front_hash_compare_prep(void *msg, struct op_request *op)
{
	PB_BYTES_IN(((psa_hash_compare_Operation *)msg)->input, &op->in[0]);
}
