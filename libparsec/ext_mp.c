/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client calls of parsecd's extension operations (parsec/ext_mp.h):
 * multipart hash, MAC, cipher and AEAD, and key derivation, each one request
 * of ext_mp.proto's Operation on the client's connection, which holds the
 * operation's handle (the library keeps its connection open).
 */
#include <stdbool.h>
#include <string.h>

#include "libparsec.h"
#include "parsec/ext_mp.h"
#include "psa_codec.h"

#include "ext_mp.pb.h"

/* Where a Result's bytes field goes: the caller's buffer, or only its length when too small. */
struct ext_sink {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static bool
ext_sink_decode(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
	struct ext_sink *sink = *arg;

	sink->len = stream->bytes_left;
	return pb_read(stream, sink->len <= sink->cap ? sink->buf : NULL, stream->bytes_left);
}

/* What one call sends besides its handle, and where its answer goes. */
struct ext_call {
	struct op_bytes input, expected;
	struct ext_sink output, tag;
	uint32_t handle;  /* answered: a setup's or clone's */
	uint64_t capacity; /* answered: KdfGetCapacity */
};

/*
 * Sends op (its bytes fields from x) as opcode and reads the Result into x.
 * BUFFER_TOO_SMALL when an output did not fit (its len says what it needs).
 */
static int
ext_run(parsec_client *c, uint32_t opcode, ext_mp_Operation *op, struct ext_call *x)
{
	ext_mp_Result res = ext_mp_Result_init_zero;
	int st;

	PC_BYTES_OUT(op->input, &x->input);
	PC_BYTES_OUT(op->expected, &x->expected);
	res.output.funcs.decode = ext_sink_decode;
	res.output.arg = &x->output;
	res.tag.funcs.decode = ext_sink_decode;
	res.tag.arg = &x->tag;
	st = parsec_call(c, PARSEC_USE_CLIENT_PROVIDER, opcode, 1, ext_mp_Operation_fields, op,
	    ext_mp_Result_fields, &res);
	explicit_bzero(op, sizeof(*op));
	if (st != PARSEC_SUCCESS) {
		x->output.len = x->tag.len = 0;
		return st;
	}
	x->handle = res.handle;
	x->capacity = res.capacity;
	if (x->output.len > x->output.cap || x->tag.len > x->tag.cap)
		return PARSEC_ERR_BUFFER_TOO_SMALL;
	return PARSEC_SUCCESS;
}

/* An Operation naming handle; 0 never names one. */
#define EXT_OP(h) { .handle = (h) }

/* The key's name into op: INVALID_ARGUMENT if there is none or it is too long. */
static int
ext_key(ext_mp_Operation *op, const char *key)
{
	if (key == NULL || key[0] == '\0' || strlen(key) >= sizeof(op->key_name))
		return PARSEC_ERR_INVALID_ARGUMENT;
	memcpy(op->key_name, key, strlen(key) + 1);
	return PARSEC_SUCCESS;
}

/* A call with only a status to answer. */
static int
ext_simple(parsec_client *c, uint32_t opcode, ext_mp_Operation *op, const uint8_t *in,
    size_t in_len, const uint8_t *expected, size_t expected_len)
{
	struct ext_call x = { { in, in_len }, { expected, expected_len }, { NULL, 0, 0 },
		{ NULL, 0, 0 }, 0, 0 };

	return ext_run(c, opcode, op, &x);
}

/* A call whose output goes to out[cap], *len its length. */
static int
ext_output(parsec_client *c, uint32_t opcode, ext_mp_Operation *op, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct ext_call x = { { in, in_len }, { NULL, 0 }, { out, cap, 0 }, { NULL, 0, 0 }, 0, 0 };
	int st;

	/* The service's PSA judges the room, and ends the operation as the API says. */
	op->has_output_size = true;
	op->output_size = cap;
	st = ext_run(c, opcode, op, &x);
	*len = x.output.len;
	return st;
}

/* A setup, a clone or a resume (in: its state): the new handle in *handle (0 when it failed). */
static int
ext_start_in(parsec_client *c, uint32_t opcode, ext_mp_Operation *op, const uint8_t *in,
    size_t in_len, uint32_t *handle)
{
	struct ext_call x = { { in, in_len }, { NULL, 0 }, { NULL, 0, 0 }, { NULL, 0, 0 }, 0, 0 };
	int st = ext_run(c, opcode, op, &x);

	*handle = st == PARSEC_SUCCESS ? x.handle : 0;
	if (st == PARSEC_SUCCESS && x.handle == 0)
		return PARSEC_ERR_INVALID_ENCODING;
	return st;
}

static int
ext_start(parsec_client *c, uint32_t opcode, ext_mp_Operation *op, uint32_t *handle)
{
	return ext_start_in(c, opcode, op, NULL, 0, handle);
}

/* A keyed setup: MAC, cipher, AEAD. */
static int
ext_keyed_setup(parsec_client *c, uint32_t opcode, const char *key, uint32_t alg, int reverse,
    uint32_t *handle)
{
	ext_mp_Operation op = { .alg = alg, .reverse = reverse != 0 };
	int st;

	*handle = 0;
	if ((st = ext_key(&op, key)) != PARSEC_SUCCESS)
		return st;
	return ext_start(c, opcode, &op, handle);
}

int
parsec_ext_abort(parsec_client *c, uint32_t handle)
{
	ext_mp_Operation op = EXT_OP(handle);

	return handle == 0 ? PARSEC_SUCCESS : ext_simple(c, OP_EXT_ABORT, &op, NULL, 0, NULL, 0);
}

/* ---- hash ---- */
int
parsec_ext_hash_setup(parsec_client *c, uint32_t alg, uint32_t *handle)
{
	ext_mp_Operation op = { .alg = alg };

	return ext_start(c, OP_EXT_HASH_SETUP, &op, handle);
}

int
parsec_ext_hash_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_HASH_UPDATE, &op, in, in_len, NULL, 0);
}

int
parsec_ext_hash_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_HASH_FINISH, &op, NULL, 0, out, cap, len);
}

int
parsec_ext_hash_verify(parsec_client *c, uint32_t handle, const uint8_t *hash, size_t hash_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_HASH_VERIFY, &op, NULL, 0, hash, hash_len);
}

int
parsec_ext_hash_clone(parsec_client *c, uint32_t handle, uint32_t *clone)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_start(c, OP_EXT_HASH_CLONE, &op, clone);
}

int
parsec_ext_hash_suspend(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_HASH_SUSPEND, &op, NULL, 0, out, cap, len);
}

int
parsec_ext_hash_resume(parsec_client *c, const uint8_t *state, size_t state_len,
    uint32_t *handle)
{
	ext_mp_Operation op = EXT_OP(0);

	return ext_start_in(c, OP_EXT_HASH_RESUME, &op, state, state_len, handle);
}

/* ---- MAC ---- */
int
parsec_ext_mac_setup(parsec_client *c, const char *key, uint32_t alg, int verify,
    uint32_t *handle)
{
	return ext_keyed_setup(c, OP_EXT_MAC_SETUP, key, alg, verify, handle);
}

int
parsec_ext_mac_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_MAC_UPDATE, &op, in, in_len, NULL, 0);
}

int
parsec_ext_mac_sign_finish(parsec_client *c, uint32_t handle, uint8_t *mac, size_t cap,
    size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_MAC_SIGN_FINISH, &op, NULL, 0, mac, cap, len);
}

int
parsec_ext_mac_verify_finish(parsec_client *c, uint32_t handle, const uint8_t *mac,
    size_t mac_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_MAC_VERIFY_FINISH, &op, NULL, 0, mac, mac_len);
}

/* ---- cipher ---- */
int
parsec_ext_cipher_setup(parsec_client *c, const char *key, uint32_t alg, int decrypt,
    uint32_t *handle)
{
	return ext_keyed_setup(c, OP_EXT_CIPHER_SETUP, key, alg, decrypt, handle);
}

int
parsec_ext_cipher_generate_iv(parsec_client *c, uint32_t handle, uint8_t *iv, size_t cap,
    size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_CIPHER_GENERATE_IV, &op, NULL, 0, iv, cap, len);
}

int
parsec_ext_cipher_set_iv(parsec_client *c, uint32_t handle, const uint8_t *iv, size_t iv_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_CIPHER_SET_IV, &op, iv, iv_len, NULL, 0);
}

int
parsec_ext_cipher_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_CIPHER_UPDATE, &op, in, in_len, out, cap, len);
}

int
parsec_ext_cipher_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap,
    size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_CIPHER_FINISH, &op, NULL, 0, out, cap, len);
}

/* ---- AEAD ---- */
int
parsec_ext_aead_setup(parsec_client *c, const char *key, uint32_t alg, int decrypt,
    uint32_t *handle)
{
	return ext_keyed_setup(c, OP_EXT_AEAD_SETUP, key, alg, decrypt, handle);
}

int
parsec_ext_aead_set_lengths(parsec_client *c, uint32_t handle, uint64_t ad_len,
    uint64_t text_len)
{
	ext_mp_Operation op = { .handle = handle, .number = ad_len, .text_length = text_len };

	return ext_simple(c, OP_EXT_AEAD_SET_LENGTHS, &op, NULL, 0, NULL, 0);
}

int
parsec_ext_aead_generate_nonce(parsec_client *c, uint32_t handle, uint8_t *nonce, size_t cap,
    size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_AEAD_GENERATE_NONCE, &op, NULL, 0, nonce, cap, len);
}

int
parsec_ext_aead_set_nonce(parsec_client *c, uint32_t handle, const uint8_t *nonce,
    size_t nonce_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_AEAD_SET_NONCE, &op, nonce, nonce_len, NULL, 0);
}

int
parsec_ext_aead_update_ad(parsec_client *c, uint32_t handle, const uint8_t *ad, size_t ad_len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_simple(c, OP_EXT_AEAD_UPDATE_AD, &op, ad, ad_len, NULL, 0);
}

int
parsec_ext_aead_update(parsec_client *c, uint32_t handle, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	ext_mp_Operation op = EXT_OP(handle);

	return ext_output(c, OP_EXT_AEAD_UPDATE, &op, in, in_len, out, cap, len);
}

int
parsec_ext_aead_finish(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len,
    uint8_t *tag, size_t tag_cap, size_t *tag_len)
{
	ext_mp_Operation op = EXT_OP(handle);
	struct ext_call x = { { NULL, 0 }, { NULL, 0 }, { out, cap, 0 }, { tag, tag_cap, 0 }, 0,
		0 };
	int st = ext_run(c, OP_EXT_AEAD_FINISH, &op, &x);

	*len = x.output.len;
	*tag_len = x.tag.len;
	return st;
}

int
parsec_ext_aead_verify(parsec_client *c, uint32_t handle, uint8_t *out, size_t cap, size_t *len,
    const uint8_t *tag, size_t tag_len)
{
	ext_mp_Operation op = EXT_OP(handle);
	struct ext_call x = { { NULL, 0 }, { tag, tag_len }, { out, cap, 0 }, { NULL, 0, 0 }, 0,
		0 };
	int st = ext_run(c, OP_EXT_AEAD_VERIFY, &op, &x);

	*len = x.output.len;
	return st;
}

/* ---- key derivation ---- */
int
parsec_ext_kdf_setup(parsec_client *c, uint32_t alg, uint32_t *handle)
{
	ext_mp_Operation op = { .alg = alg };

	return ext_start(c, OP_EXT_KDF_SETUP, &op, handle);
}

int
parsec_ext_kdf_get_capacity(parsec_client *c, uint32_t handle, uint64_t *capacity)
{
	ext_mp_Operation op = EXT_OP(handle);
	struct ext_call x = { { NULL, 0 }, { NULL, 0 }, { NULL, 0, 0 }, { NULL, 0, 0 }, 0, 0 };
	int st = ext_run(c, OP_EXT_KDF_GET_CAPACITY, &op, &x);

	*capacity = st == PARSEC_SUCCESS ? x.capacity : 0;
	return st;
}

int
parsec_ext_kdf_set_capacity(parsec_client *c, uint32_t handle, uint64_t capacity)
{
	ext_mp_Operation op = { .handle = handle, .number = capacity };

	return ext_simple(c, OP_EXT_KDF_SET_CAPACITY, &op, NULL, 0, NULL, 0);
}

int
parsec_ext_kdf_input_bytes(parsec_client *c, uint32_t handle, uint32_t step, const uint8_t *data,
    size_t data_len)
{
	ext_mp_Operation op = { .handle = handle, .step = step };

	return ext_simple(c, OP_EXT_KDF_INPUT_BYTES, &op, data, data_len, NULL, 0);
}

int
parsec_ext_kdf_input_key(parsec_client *c, uint32_t handle, uint32_t step, const char *key)
{
	ext_mp_Operation op = { .handle = handle, .step = step };
	int st;

	if ((st = ext_key(&op, key)) != PARSEC_SUCCESS)
		return st;
	return ext_simple(c, OP_EXT_KDF_INPUT_KEY, &op, NULL, 0, NULL, 0);
}

int
parsec_ext_kdf_key_agreement(parsec_client *c, uint32_t handle, uint32_t step,
    const char *private_key, const uint8_t *peer_key, size_t peer_key_len)
{
	ext_mp_Operation op = { .handle = handle, .step = step };
	int st;

	if ((st = ext_key(&op, private_key)) != PARSEC_SUCCESS)
		return st;
	return ext_simple(c, OP_EXT_KDF_KEY_AGREEMENT, &op, NULL, 0, peer_key, peer_key_len);
}

int
parsec_ext_kdf_output_bytes(parsec_client *c, uint32_t handle, uint8_t *out, size_t len)
{
	ext_mp_Operation op = { .handle = handle, .number = len };
	size_t got = 0;
	int st = ext_output(c, OP_EXT_KDF_OUTPUT_BYTES, &op, NULL, 0, out, len, &got);

	/* Exactly the bytes asked for, or none. */
	if (st == PARSEC_SUCCESS && got != len)
		st = PARSEC_ERR_INVALID_ENCODING;
	if (st != PARSEC_SUCCESS && len > 0)
		explicit_bzero(out, len);
	return st;
}

int
parsec_ext_kdf_output_key(parsec_client *c, uint32_t handle, const char *name,
    const struct parsec_key_attributes *attributes, int is_volatile)
{
	ext_mp_Operation op = { .handle = handle, .is_volatile = is_volatile != 0 };
	struct op_key_attrs attrs = { attributes->type, attributes->bits, attributes->usage,
		attributes->alg };
	int st;

	if ((st = ext_key(&op, name)) != PARSEC_SUCCESS)
		return st;
	if (pc_key_attrs_to_pb(&attrs, &op.attributes) == -1)
		return PARSEC_ERR_INVALID_ARGUMENT;
	op.has_attributes = true;
	return ext_simple(c, OP_EXT_KDF_OUTPUT_KEY, &op, NULL, 0, NULL, 0);
}
