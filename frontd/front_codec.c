/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protobuf bodies (nanopb, every field bounded) to and from the internal
 * operation form. One table row per opcode: how to decode its Operation and
 * how to encode its Result.
 */
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "buf.h"
#include "front_crypto.h"
#include "pb_bytes.h"
#include "front_psa.h"
#include "frontd.h"

#include "delete_client.pb.h"
#include "list_authenticators.pb.h"
#include "list_clients.pb.h"
#include "list_keys.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"
#include "psa_generate_random.pb.h"

struct front_body {
	const pb_msgdesc_t *fields;
	void *msg;
};

struct front_codec {
	uint32_t opcode;
	const pb_msgdesc_t *op_fields;
	size_t op_size;
	front_prep_fn prep;
	front_to_op_fn to_op;
	const pb_msgdesc_t *res_fields;
	size_t res_size;
	front_from_result_fn from_result;
};

static void *
front_scratch_alloc(struct front_scratch *scratch, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(scratch->ptrs) / sizeof(scratch->ptrs[0]); i++) {
		if (scratch->ptrs[i] == NULL) {
			if ((scratch->ptrs[i] = calloc(1, size ? size : 1)) == NULL)
				return NULL;
			return scratch->ptrs[i];
		}
	}
	return NULL;
}

pb_bytes_array_t *
front_bytes(struct front_scratch *scratch, const struct op_bytes *b)
{
	pb_bytes_array_t *arr;

	if (b->len > PB_SIZE_MAX)
		return NULL;
	arr = front_scratch_alloc(scratch, PB_BYTES_ARRAY_T_ALLOCSIZE(b->len));
	if (arr == NULL)
		return NULL;
	arr->size = (pb_size_t)b->len;
	if (b->len > 0)
		memcpy(arr->bytes, b->ptr, b->len);
	return arr;
}

static int
front_copy_str(char *dst, size_t dstsz, const char *src)
{
	return strlcpy(dst, src, dstsz) < dstsz ? 0 : -1;
}

/* ---- core operations ---------------------------------------------------- */

static int
ping_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	ping_Result *r = msg;

	r->wire_protocol_version_maj = WIRE_VERSION_MAJ;
	r->wire_protocol_version_min = WIRE_VERSION_MIN;
	return 0;
}

static int
list_providers_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	list_providers_Result *r = msg;
	struct buf_reader rd;
	uint32_t i;

	if (res->list_count > sizeof(r->providers) / sizeof(r->providers[0]))
		return -1;
	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++) {
		struct op_provider_info info;
		list_providers_ProviderInfo *p = &r->providers[i];

		if (op_list_get_provider(&rd, &info) == -1 ||
		    front_copy_str(p->uuid, sizeof(p->uuid), info.uuid) == -1 ||
		    front_copy_str(p->description, sizeof(p->description), info.description) == -1 ||
		    front_copy_str(p->vendor, sizeof(p->vendor), info.vendor) == -1)
			return -1;
		p->version_maj = info.version_maj;
		p->version_min = info.version_min;
		p->version_rev = info.version_rev;
		p->id = info.id;
	}
	r->providers_count = (pb_size_t)res->list_count;
	return buf_reader_done(&rd) ? 0 : -1;
}

static uint32_t
list_opcodes_to(const void *msg, struct op_request *op)
{
	const list_opcodes_Operation *o = msg;

	op->number = o->provider_id;
	return ST_SUCCESS;
}

static int
list_opcodes_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	list_opcodes_Result *r = msg;
	struct buf_reader rd;
	uint32_t i;

	if (res->list_count > sizeof(r->opcodes) / sizeof(r->opcodes[0]))
		return -1;
	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++)
		r->opcodes[i] = buf_get_u32le(&rd);
	r->opcodes_count = (pb_size_t)res->list_count;
	return buf_reader_done(&rd) ? 0 : -1;
}

static int
list_authenticators_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	list_authenticators_Result *r = msg;
	struct buf_reader rd;
	uint32_t i;

	if (res->list_count > sizeof(r->authenticators) / sizeof(r->authenticators[0]))
		return -1;
	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++) {
		struct op_authenticator_info info;
		list_authenticators_AuthenticatorInfo *a = &r->authenticators[i];

		if (op_list_get_authenticator(&rd, &info) == -1 ||
		    front_copy_str(a->description, sizeof(a->description), info.description) == -1)
			return -1;
		a->version_maj = info.version_maj;
		a->version_min = info.version_min;
		a->version_rev = info.version_rev;
		a->id = info.id;
	}
	r->authenticators_count = (pb_size_t)res->list_count;
	return buf_reader_done(&rd) ? 0 : -1;
}

static int
list_keys_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	list_keys_Result *r = msg;
	struct buf_reader rd;
	char *names;
	uint32_t i;

	if (res->list_count > PB_SIZE_MAX)
		return -1;
	r->keys_count = (pb_size_t)res->list_count;
	r->keys = front_scratch_alloc(scratch, res->list_count * sizeof(*r->keys));
	names = front_scratch_alloc(scratch, (size_t)res->list_count * OP_NAME_MAX);
	if (r->keys == NULL || names == NULL)
		return -1;
	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++) {
		struct op_key_info info;

		r->keys[i].name = names + (size_t)i * OP_NAME_MAX;
		if (op_list_get_key(&rd, &info) == -1 ||
		    front_copy_str(r->keys[i].name, OP_NAME_MAX, info.name) == -1 ||
		    front_key_attrs_to_pb(&info.attrs, &r->keys[i].attributes) == -1)
			return -1;
		r->keys[i].provider_id = info.provider_id;
		r->keys[i].has_attributes = true;
	}
	return buf_reader_done(&rd) ? 0 : -1;
}

static int
list_clients_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	list_clients_Result *r = msg;
	struct buf_reader rd;
	char *names;
	uint32_t i;

	if (res->list_count > PB_SIZE_MAX)
		return -1;
	r->clients_count = (pb_size_t)res->list_count;
	r->clients = front_scratch_alloc(scratch, res->list_count * sizeof(*r->clients));
	names = front_scratch_alloc(scratch, (size_t)res->list_count * OP_NAME_MAX);
	if (r->clients == NULL || names == NULL)
		return -1;
	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++) {
		r->clients[i] = names + (size_t)i * OP_NAME_MAX;
		if (buf_get_str(&rd, r->clients[i], OP_NAME_MAX) == -1)
			return -1;
	}
	return buf_reader_done(&rd) ? 0 : -1;
}

static uint32_t
delete_client_to(const void *msg, struct op_request *op)
{
	const delete_client_Operation *o = msg;

	return front_copy_str(op->client, sizeof(op->client), o->client) == 0 ?
	    ST_SUCCESS : ST_INVALID_ENCODING;
}

/* ---- crypto operations without keys ------------------------------------------ */

static uint32_t
generate_random_to(const void *msg, struct op_request *op)
{
	const psa_generate_random_Operation *o = msg;

	op->number = o->size;
	return ST_SUCCESS;
}

static int
generate_random_from(const struct op_result *res, void *msg, struct front_scratch *scratch)
{
	PB_BYTES_OUT(((psa_generate_random_Result *)msg)->random_bytes, &res->out[0]);
	return 0;
}

#define CODEC(op, pkg, to, from) \
	{ op, pkg##_Operation_fields, sizeof(pkg##_Operation), NULL, to, pkg##_Result_fields, \
	  sizeof(pkg##_Result), from }
#define CODEC_PREP(op, pkg, prep, to, from) \
	{ op, pkg##_Operation_fields, sizeof(pkg##_Operation), prep, to, pkg##_Result_fields, \
	  sizeof(pkg##_Result), from }

static const struct front_codec front_codecs[] = {
	CODEC(OP_PING, ping, NULL, ping_from),
	CODEC(OP_LIST_PROVIDERS, list_providers, NULL, list_providers_from),
	CODEC(OP_LIST_OPCODES, list_opcodes, list_opcodes_to, list_opcodes_from),
	CODEC(OP_LIST_AUTHENTICATORS, list_authenticators, NULL, list_authenticators_from),
	CODEC(OP_LIST_KEYS, list_keys, NULL, list_keys_from),
	CODEC(OP_LIST_CLIENTS, list_clients, NULL, list_clients_from),
	CODEC(OP_DELETE_CLIENT, delete_client, delete_client_to, NULL),
	CODEC(OP_PSA_GENERATE_RANDOM, psa_generate_random, generate_random_to,
	    generate_random_from),
	CODEC(OP_PSA_GENERATE_KEY, psa_generate_key, front_generate_key_to, NULL),
	CODEC(OP_PSA_IMPORT_KEY, psa_import_key, front_import_key_to, NULL),
	CODEC(OP_PSA_DESTROY_KEY, psa_destroy_key, front_destroy_key_to, NULL),
	CODEC(OP_PSA_EXPORT_KEY, psa_export_key, front_export_key_to, front_export_key_from),
	CODEC(OP_PSA_EXPORT_PUBLIC_KEY, psa_export_public_key, front_export_public_key_to,
	    front_export_public_key_from),
	CODEC(OP_PSA_SIGN_HASH, psa_sign_hash, front_sign_hash_to, front_sign_hash_from),
	CODEC(OP_PSA_VERIFY_HASH, psa_verify_hash, front_verify_hash_to, NULL),
	CODEC_PREP(OP_PSA_SIGN_MESSAGE, psa_sign_message, front_sign_message_prep, front_sign_message_to,
	    front_sign_message_from),
	CODEC_PREP(OP_PSA_VERIFY_MESSAGE, psa_verify_message, front_verify_message_prep, front_verify_message_to, NULL),
	CODEC(OP_PSA_ASYMMETRIC_ENCRYPT, psa_asymmetric_encrypt, front_asymmetric_encrypt_to,
	    front_asymmetric_encrypt_from),
	CODEC(OP_PSA_ASYMMETRIC_DECRYPT, psa_asymmetric_decrypt, front_asymmetric_decrypt_to,
	    front_asymmetric_decrypt_from),
	CODEC_PREP(OP_PSA_AEAD_ENCRYPT, psa_aead_encrypt, front_aead_encrypt_prep, front_aead_encrypt_to,
	    front_aead_encrypt_from),
	CODEC_PREP(OP_PSA_AEAD_DECRYPT, psa_aead_decrypt, front_aead_decrypt_prep, front_aead_decrypt_to,
	    front_aead_decrypt_from),
	CODEC_PREP(OP_PSA_CIPHER_ENCRYPT, psa_cipher_encrypt, front_cipher_encrypt_prep, front_cipher_encrypt_to,
	    front_cipher_encrypt_from),
	CODEC_PREP(OP_PSA_CIPHER_DECRYPT, psa_cipher_decrypt, front_cipher_decrypt_prep, front_cipher_decrypt_to,
	    front_cipher_decrypt_from),
	CODEC_PREP(OP_PSA_MAC_COMPUTE, psa_mac_compute, front_mac_compute_prep, front_mac_compute_to, front_mac_compute_from),
	CODEC_PREP(OP_PSA_MAC_VERIFY, psa_mac_verify, front_mac_verify_prep, front_mac_verify_to, NULL),
	CODEC_PREP(OP_PSA_HASH_COMPUTE, psa_hash_compute, front_hash_compute_prep, front_hash_compute_to,
	    front_hash_compute_from),
	CODEC_PREP(OP_PSA_HASH_COMPARE, psa_hash_compare, front_hash_compare_prep, front_hash_compare_to, NULL),
	CODEC(OP_PSA_RAW_KEY_AGREEMENT, psa_raw_key_agreement, front_raw_key_agreement_to,
	    front_raw_key_agreement_from),
	CODEC(OP_CAN_DO_CRYPTO, can_do_crypto, front_can_do_crypto_to, NULL),
};

static const struct front_codec *
front_codec_find(uint32_t opcode)
{
	size_t i;

	for (i = 0; i < sizeof(front_codecs) / sizeof(front_codecs[0]); i++)
		if (front_codecs[i].opcode == opcode)
			return &front_codecs[i];
	return NULL;
}

void
front_body_free(struct front_body *storage)
{
	if (storage == NULL)
		return;
	pb_release(storage->fields, storage->msg);
	free(storage->msg);
	free(storage);
}

uint32_t
front_decode_request(uint32_t opcode, const uint8_t *body, size_t len, struct op_request *op,
    struct front_body **storage)
{
	const struct front_codec *codec = front_codec_find(opcode);
	struct front_body *fb;
	uint32_t status = ST_SUCCESS;
	pb_istream_t in;

	*storage = NULL;
	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	if (codec == NULL)
		return ST_PSA_NOT_SUPPORTED;
	if ((fb = calloc(1, sizeof(*fb))) == NULL || (fb->msg = calloc(1, codec->op_size)) == NULL) {
		free(fb);
		return ST_PSA_INSUFFICIENT_MEMORY;
	}
	fb->fields = codec->op_fields;
	if (codec->prep != NULL)
		codec->prep(fb->msg, op);
	in = pb_istream_from_buffer(body, len);
	if (!pb_decode(&in, codec->op_fields, fb->msg))
		status = ST_DESERIALIZING_BODY_FAILED;
	else if (codec->to_op != NULL)
		status = codec->to_op(fb->msg, op);
	if (status != ST_SUCCESS) {
		front_body_free(fb);
		memset(op, 0, sizeof(*op));
		op->opcode = opcode;
		return status;
	}
	*storage = fb;
	return ST_SUCCESS;
}

uint32_t
front_encode_result(uint32_t opcode, const struct op_result *res, uint8_t **body, size_t *len)
{
	const struct front_codec *codec = front_codec_find(opcode);
	struct front_scratch scratch;
	uint32_t status = ST_SERIALIZING_BODY_FAILED;
	void *msg;
	size_t size, i;

	*body = NULL;
	*len = 0;
	if (codec == NULL)
		return ST_SERIALIZING_BODY_FAILED;
	memset(&scratch, 0, sizeof(scratch));
	if ((msg = calloc(1, codec->res_size)) == NULL)
		return ST_PSA_INSUFFICIENT_MEMORY;
	if ((codec->from_result == NULL || codec->from_result(res, msg, &scratch) == 0) &&
	    pb_get_encoded_size(&size, codec->res_fields, msg)) {
		uint8_t *buf = malloc(size ? size : 1);
		pb_ostream_t out = pb_ostream_from_buffer(buf, size);

		if (buf != NULL && pb_encode(&out, codec->res_fields, msg)) {
			*body = buf;
			*len = out.bytes_written;
			status = ST_SUCCESS;
		} else {
			free(buf);
		}
	}
	for (i = 0; i < sizeof(scratch.ptrs) / sizeof(scratch.ptrs[0]); i++)
		free(scratch.ptrs[i]);
	free(msg);
	return status;
}

uint32_t
front_parse_request(const uint8_t *buf, size_t len, uint32_t body_limit,
    struct front_request *req)
{
	enum wire_hdr_check check;
	const uint8_t *body;

	memset(req, 0, sizeof(*req));
	check = wire_decode_request_hdr(buf, len, body_limit, &req->hdr);
	if (check != WIRE_HDR_OK)
		return wire_hdr_check_status(check);
	if (len - WIRE_HDR_LEN != (size_t)req->hdr.body_len + req->hdr.auth_len)
		return ST_CONNECTION_ERROR;
	if (req->hdr.provider >= WIRE_PROVIDER_COUNT)
		return ST_PROVIDER_DOES_NOT_EXIST;
	if (!wire_opcode_known(req->hdr.opcode))
		return ST_OPCODE_DOES_NOT_EXIST;
	body = buf + WIRE_HDR_LEN;
	req->auth = body + req->hdr.body_len;
	req->auth_len = req->hdr.auth_len;
	return front_decode_request(req->hdr.opcode, body, req->hdr.body_len, &req->op,
	    &req->storage);
}
