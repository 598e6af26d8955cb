/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec's operations: each public function puts its arguments into a
 * struct op_request, the service's own form of an operation (op.h); the
 * codec library's table (proto/psa_codec.h) says which fields of the request
 * and result they travel in, and wire.c's table which provider and whether
 * the client's identity goes with it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "libparsec.h"
#include "psa_codec.h"

#include "list_authenticators.pb.h"
#include "list_clients.pb.h"
#include "list_keys.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"

/* A bounded, always terminated string copy (no libbsd in the library). */
static void
parsec_copy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* A name into a name of req (libparsec.h). */
void
parsec_name(char *dst, const char *name)
{
	size_t len = name != NULL ? strnlen(name, OP_NAME_MAX) : 0;

	if (len > 0)
		memcpy(dst, name, len);
	if (len < OP_NAME_MAX)
		dst[len] = '\0';
}

/* One operation through opcode's row of the codec table (libparsec.h). */
int
parsec_run(parsec_client *c, uint32_t opcode, const struct op_request *req, struct pc_sink *out,
    void *typed)
{
	const struct pc_codec *codec = pc_codec_find(opcode);
	struct pc_sink none = { NULL, 0, 0 };
	void *op = calloc(1, codec->op_size);
	void *res = typed != NULL ? typed : calloc(1, codec->res_size);
	int st = PARSEC_ERR_INSUFFICIENT_MEMORY;

	if (out == NULL)
		out = &none;
	if (op != NULL && res != NULL &&
	    (st = (int)pc_request_build(codec, req, op)) == PARSEC_SUCCESS) {
		pc_result_prepare(codec, res, out);
		st = parsec_call(c, wire_opcode_is_core(opcode) ? PARSEC_PROVIDER_CORE :
		    PARSEC_USE_CLIENT_PROVIDER, opcode, wire_opcode_needs_auth(opcode),
		    codec->op_fields, op, codec->res_fields, res);
		pc_result_collect(codec, res, out);
	}
	if (st == PARSEC_SUCCESS && out->len > out->cap)
		st = PARSEC_ERR_BUFFER_TOO_SMALL; /* out->len says what is needed */
	else if (st != PARSEC_SUCCESS)
		out->len = 0;
	if (op != NULL)
		pc_request_wipe(codec, op);
	free(op);
	if (typed == NULL && res != NULL)
		pc_release_wiped(codec->res_fields, res, codec->res_size);
	if (typed == NULL)
		free(res);
	return st;
}

/* An operation whose output goes to out[cap], *len its length. */
static int
parsec_out(parsec_client *c, uint32_t opcode, const struct op_request *req, uint8_t *out,
    size_t cap, size_t *len)
{
	struct pc_sink sink = { out, cap, 0 };
	int st = parsec_run(c, opcode, req, &sink, NULL);

	*len = sink.len;
	return st;
}

static struct op_key_attrs
parsec_attrs(const struct parsec_key_attributes *a)
{
	return (struct op_key_attrs){ a->type, a->bits, a->usage, a->alg };
}

/* The version and id every provider and authenticator description carries. */
#define COPY_VERSION(d, s) ((d)->version_maj = (s)->version_maj, \
	(d)->version_min = (s)->version_min, (d)->version_rev = (s)->version_rev, (d)->id = (s)->id)

#define NO_ARGS ((struct op_request){ 0 })
#define BYTES(p, n) { (p), (n) }

/* ---- core operations: typed Results, copied into the caller's structures ---- */

/*
 * A list operation: where its Result holds the item count (a pb_size_t), and
 * how item i goes into the caller's array at out.
 */
struct parsec_lister {
	uint32_t opcode;
	size_t count_at;
	void (*copy)(const void *res, size_t i, void *out);
};

/* Up to max items into out, *count how many were listed: BUFFER_TOO_SMALL when some did not fit. */
static int
parsec_list(parsec_client *c, const struct parsec_lister *l, void *res, void *out, size_t max,
    size_t *count)
{
	int st = parsec_run(c, l->opcode, &NO_ARGS, NULL, res);
	size_t i, n = st == PARSEC_SUCCESS ? *(const pb_size_t *)((const char *)res + l->count_at) : 0;

	for (i = 0; i < n && i < max; i++)
		l->copy(res, i, out);
	*count = n;
	pb_release(pc_codec_find(l->opcode)->res_fields, res);
	if (st == PARSEC_SUCCESS && n > max)
		st = PARSEC_ERR_BUFFER_TOO_SMALL;
	return st;
}

int
parsec_ping(parsec_client *c, uint8_t *major, uint8_t *minor)
{
	ping_Result res = ping_Result_init_zero;
	int st = parsec_run(c, OP_PING, &NO_ARGS, NULL, &res);

	if (st == PARSEC_SUCCESS) {
		*major = (uint8_t)res.wire_protocol_version_maj;
		*minor = (uint8_t)res.wire_protocol_version_min;
	}
	return st;
}

static void
providers_copy(const void *res, size_t i, void *out)
{
	const list_providers_ProviderInfo *p = &((const list_providers_Result *)res)->providers[i];
	struct parsec_provider_info *o = (struct parsec_provider_info *)out + i;

	memset(o, 0, sizeof(*o));
	parsec_copy(o->uuid, p->uuid, sizeof(o->uuid));
	parsec_copy(o->description, p->description, sizeof(o->description));
	parsec_copy(o->vendor, p->vendor, sizeof(o->vendor));
	COPY_VERSION(o, p);
}

int
parsec_list_providers(parsec_client *c, struct parsec_provider_info *out, size_t max,
    size_t *count)
{
	static const struct parsec_lister l = { OP_LIST_PROVIDERS,
		offsetof(list_providers_Result, providers_count), providers_copy };
	list_providers_Result res = list_providers_Result_init_zero;

	return parsec_list(c, &l, &res, out, max, count);
}

int
parsec_list_opcodes(parsec_client *c, uint32_t provider_id, uint32_t *out, size_t max,
    size_t *count)
{
	list_opcodes_Result res = list_opcodes_Result_init_zero;
	struct op_request a = NO_ARGS;
	int st;

	a.number = provider_id;
	*count = 0;
	if ((st = parsec_run(c, OP_LIST_OPCODES, &a, NULL, &res)) != PARSEC_SUCCESS)
		return st;
	memcpy(out, res.opcodes, (res.opcodes_count < max ? res.opcodes_count : max) * sizeof(*out));
	*count = res.opcodes_count;
	return res.opcodes_count > max ? PARSEC_ERR_BUFFER_TOO_SMALL : PARSEC_SUCCESS;
}

static void
authenticators_copy(const void *res, size_t i, void *out)
{
	const list_authenticators_AuthenticatorInfo *p =
	    &((const list_authenticators_Result *)res)->authenticators[i];
	struct parsec_authenticator_info *o = (struct parsec_authenticator_info *)out + i;

	memset(o, 0, sizeof(*o));
	parsec_copy(o->description, p->description, sizeof(o->description));
	COPY_VERSION(o, p);
}

int
parsec_list_authenticators(parsec_client *c, struct parsec_authenticator_info *out, size_t max,
    size_t *count)
{
	static const struct parsec_lister l = { OP_LIST_AUTHENTICATORS,
		offsetof(list_authenticators_Result, authenticators_count), authenticators_copy };
	list_authenticators_Result res = list_authenticators_Result_init_zero;

	return parsec_list(c, &l, &res, out, max, count);
}

static void
keys_copy(const void *res, size_t i, void *out)
{
	const list_keys_KeyInfo *k = &((const list_keys_Result *)res)->keys[i];
	struct parsec_key_info *o = (struct parsec_key_info *)out + i;
	struct op_key_attrs a;

	memset(o, 0, sizeof(*o));
	parsec_copy(o->name, k->name ? k->name : "", sizeof(o->name));
	o->provider_id = k->provider_id;
	if (pc_key_attrs_from_pb(&k->attributes, &a) == 0)
		o->attributes = (struct parsec_key_attributes){ a.type, a.bits, a.usage, a.alg };
}

int
parsec_list_keys(parsec_client *c, struct parsec_key_info *out, size_t max, size_t *count)
{
	static const struct parsec_lister l = { OP_LIST_KEYS,
		offsetof(list_keys_Result, keys_count), keys_copy };
	list_keys_Result res = list_keys_Result_init_zero;

	return parsec_list(c, &l, &res, out, max, count);
}

static void
clients_copy(const void *res, size_t i, void *out)
{
	parsec_copy(((char (*)[PARSEC_NAME_MAX + 1])out)[i],
	    ((const list_clients_Result *)res)->clients[i], PARSEC_NAME_MAX + 1);
}

int
parsec_list_clients(parsec_client *c, char (*names)[PARSEC_NAME_MAX + 1], size_t max,
    size_t *count)
{
	static const struct parsec_lister l = { OP_LIST_CLIENTS,
		offsetof(list_clients_Result, clients_count), clients_copy };
	list_clients_Result res = list_clients_Result_init_zero;

	return parsec_list(c, &l, &res, names, max, count);
}

int
parsec_delete_client(parsec_client *c, const char *client_name)
{
	struct op_request a = NO_ARGS;

	parsec_name(a.client, client_name);
	return parsec_run(c, OP_DELETE_CLIENT, &a, NULL, NULL);
}

/* ---- PSA operations: arguments into their slots of op_request ---- */

int
parsec_generate_key(parsec_client *c, const char *name, const struct parsec_key_attributes *attrs)
{
	struct op_request a = { .attrs = parsec_attrs(attrs) };

	parsec_name(a.key_name, name);
	return parsec_run(c, OP_PSA_GENERATE_KEY, &a, NULL, NULL);
}

int
parsec_import_key(parsec_client *c, const char *name, const struct parsec_key_attributes *attrs,
    const uint8_t *data, size_t data_len)
{
	struct op_request a = { .attrs = parsec_attrs(attrs),
		.in = { BYTES(data, data_len) } };

	parsec_name(a.key_name, name);
	return parsec_run(c, OP_PSA_IMPORT_KEY, &a, NULL, NULL);
}

int
parsec_destroy_key(parsec_client *c, const char *name)
{
	struct op_request a = NO_ARGS;

	parsec_name(a.key_name, name);
	return parsec_run(c, OP_PSA_DESTROY_KEY, &a, NULL, NULL);
}

/* A key's data, public or whole. */
static int
parsec_export(parsec_client *c, uint32_t opcode, const char *name, uint8_t *out, size_t cap,
    size_t *len)
{
	struct op_request a = NO_ARGS;

	parsec_name(a.key_name, name);
	return parsec_out(c, opcode, &a, out, cap, len);
}

int
parsec_export_key(parsec_client *c, const char *name, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_export(c, OP_PSA_EXPORT_KEY, name, out, cap, len);
}

int
parsec_export_public_key(parsec_client *c, const char *name, uint8_t *out, size_t cap,
    size_t *len)
{
	return parsec_export(c, OP_PSA_EXPORT_PUBLIC_KEY, name, out, cap, len);
}

/* A keyed operation on one input with one output: sign, encrypt, MAC, agree. */
static int
parsec_keyed(parsec_client *c, uint32_t opcode, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct op_request a = { .alg = alg, .in = { BYTES(in, in_len) } };

	parsec_name(a.key_name, name);
	return parsec_out(c, opcode, &a, out, cap, len);
}

/* A check of in against a reference (signature, MAC, hash): name NULL for keyless ones. */
static int
parsec_check(parsec_client *c, uint32_t opcode, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, const uint8_t *ref, size_t ref_len)
{
	struct op_request a = { .alg = alg,
		.in = { BYTES(in, in_len), BYTES(ref, ref_len) } };

	parsec_name(a.key_name, name);
	return parsec_run(c, opcode, &a, NULL, NULL);
}

int
parsec_sign_hash(parsec_client *c, const char *name, uint32_t alg, const uint8_t *hash,
    size_t hash_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_SIGN_HASH, name, alg, hash, hash_len, out, cap, len);
}

int
parsec_verify_hash(parsec_client *c, const char *name, uint32_t alg, const uint8_t *hash,
    size_t hash_len, const uint8_t *signature, size_t signature_len)
{
	return parsec_check(c, OP_PSA_VERIFY_HASH, name, alg, hash, hash_len, signature,
	    signature_len);
}

int
parsec_sign_message(parsec_client *c, const char *name, uint32_t alg, const uint8_t *message,
    size_t message_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_SIGN_MESSAGE, name, alg, message, message_len, out, cap, len);
}

int
parsec_verify_message(parsec_client *c, const char *name, uint32_t alg, const uint8_t *message,
    size_t message_len, const uint8_t *signature, size_t signature_len)
{
	return parsec_check(c, OP_PSA_VERIFY_MESSAGE, name, alg, message, message_len, signature,
	    signature_len);
}

/* RSA encryption: input and salt. */
static int
parsec_asymmetric(parsec_client *c, uint32_t opcode, const char *name, uint32_t alg,
    const uint8_t *in, size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out,
    size_t cap, size_t *len)
{
	struct op_request a = { .alg = alg,
		.in = { BYTES(in, in_len), BYTES(salt, salt_len) } };

	parsec_name(a.key_name, name);
	return parsec_out(c, opcode, &a, out, cap, len);
}

int
parsec_asymmetric_encrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_asymmetric(c, OP_PSA_ASYMMETRIC_ENCRYPT, name, alg, in, in_len, salt,
	    salt_len, out, cap, len);
}

int
parsec_asymmetric_decrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *salt, size_t salt_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_asymmetric(c, OP_PSA_ASYMMETRIC_DECRYPT, name, alg, in, in_len, salt,
	    salt_len, out, cap, len);
}

/* AEAD: nonce, additional data, text. */
static int
parsec_aead(parsec_client *c, uint32_t opcode, const char *name, uint32_t alg,
    const uint8_t *nonce, size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct op_request a = { .alg = alg,
		.in = { BYTES(nonce, nonce_len), BYTES(ad, ad_len), BYTES(in, in_len) } };

	parsec_name(a.key_name, name);
	return parsec_out(c, opcode, &a, out, cap, len);
}

int
parsec_aead_encrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	return parsec_aead(c, OP_PSA_AEAD_ENCRYPT, name, alg, nonce, nonce_len, ad, ad_len, in,
	    in_len, out, cap, len);
}

int
parsec_aead_decrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	return parsec_aead(c, OP_PSA_AEAD_DECRYPT, name, alg, nonce, nonce_len, ad, ad_len, in,
	    in_len, out, cap, len);
}

int
parsec_cipher_encrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_CIPHER_ENCRYPT, name, alg, in, in_len, out, cap, len);
}

int
parsec_cipher_decrypt(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_CIPHER_DECRYPT, name, alg, in, in_len, out, cap, len);
}

int
parsec_mac_compute(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_MAC_COMPUTE, name, alg, in, in_len, out, cap, len);
}

int
parsec_mac_verify(parsec_client *c, const char *name, uint32_t alg, const uint8_t *in,
    size_t in_len, const uint8_t *mac, size_t mac_len)
{
	return parsec_check(c, OP_PSA_MAC_VERIFY, name, alg, in, in_len, mac, mac_len);
}

int
parsec_hash_compute(parsec_client *c, uint32_t alg, const uint8_t *in, size_t in_len,
    uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_HASH_COMPUTE, NULL, alg, in, in_len, out, cap, len);
}

int
parsec_hash_compare(parsec_client *c, uint32_t alg, const uint8_t *in, size_t in_len,
    const uint8_t *hash, size_t hash_len)
{
	return parsec_check(c, OP_PSA_HASH_COMPARE, NULL, alg, in, in_len, hash, hash_len);
}

int
parsec_raw_key_agreement(parsec_client *c, const char *private_key_name, uint32_t alg,
    const uint8_t *peer_key, size_t peer_key_len, uint8_t *out, size_t cap, size_t *len)
{
	return parsec_keyed(c, OP_PSA_RAW_KEY_AGREEMENT, private_key_name, alg, peer_key,
	    peer_key_len, out, cap, len);
}

int
parsec_generate_random(parsec_client *c, uint8_t *out, size_t len)
{
	struct op_request a = NO_ARGS;
	size_t got;
	int st;

	a.number = len;
	st = parsec_out(c, OP_PSA_GENERATE_RANDOM, &a, out, len, &got);
	return st == PARSEC_SUCCESS && got != len ? PARSEC_ERR_INVALID_ENCODING : st;
}

int
parsec_can_do_crypto(parsec_client *c, uint32_t check_type,
    const struct parsec_key_attributes *attrs)
{
	struct op_request a = { .number = check_type, .attrs = parsec_attrs(attrs) };

	return parsec_run(c, OP_CAN_DO_CRYPTO, &a, NULL, NULL);
}
