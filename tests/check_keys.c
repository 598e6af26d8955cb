/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End to end through a real daemon: key life cycle in the software provider,
 * per-application namespaces with Direct authentication, persistence across
 * a full restart, and signatures checked by OpenSSL.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "list_keys.pb.h"
#include "psa_codec.h"
#include "psa_destroy_key.pb.h"
#include "psa_export_public_key.pb.h"
#include "psa_generate_key.pb.h"
#include "psa_sign_hash.pb.h"
#include "psa_verify_hash.pb.h"
#include "testlib.h"

static struct test_daemon dut;

static void
setup(void)
{
	ck_assert_msg(test_daemon_start(&dut, NULL, "workers = 2") == 0, "parsecd did not start");
}

static void
teardown(void)
{
	test_daemon_stop(&dut);
}

/*
 * Sends one request as application app and returns the status; on success the
 * answer is decoded into res (unless res_fields is NULL).
 */
static int
call(const char *app, uint8_t provider, uint32_t opcode, const pb_msgdesc_t *fields,
    const void *msg, const pb_msgdesc_t *res_fields, void *res)
{
	uint8_t buf[4096], *body;
	pb_ostream_t out = pb_ostream_from_buffer(buf, sizeof(buf));
	struct wire_hdr hdr;
	size_t body_len;
	int fd;

	ck_assert(pb_encode(&out, fields, msg));
	fd = test_connect(dut.socket_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(test_send_request(fd, provider, opcode, app ? WIRE_AUTH_DIRECT : 0, app,
	    app ? strlen(app) : 0, buf, out.bytes_written, 1), 0);
	ck_assert_int_eq(test_read_response(fd, &hdr, &body, &body_len), 0);
	close(fd);
	return test_answer(&hdr, body, body_len, res_fields, res);
}

static int
generate_p256(const char *app, const char *name)
{
	psa_generate_key_Operation op = psa_generate_key_Operation_init_zero;

	strcpy(op.key_name, name);
	op.has_attributes = true;
	test_p256_attributes(&op.attributes, 1);
	return call(app, 1, OP_PSA_GENERATE_KEY, psa_generate_key_Operation_fields, &op, NULL,
	    NULL);
}

static int
export_public(const char *app, const char *name, uint8_t *pub, size_t *pub_len)
{
	psa_export_public_key_Operation op = psa_export_public_key_Operation_init_zero;
	psa_export_public_key_Result r = psa_export_public_key_Result_init_zero;
	int st;

	strcpy(op.key_name, name);
	st = call(app, 1, OP_PSA_EXPORT_PUBLIC_KEY, psa_export_public_key_Operation_fields, &op,
	    psa_export_public_key_Result_fields, &r);
	if (st == ST_SUCCESS) {
		ck_assert_ptr_nonnull(r.data);
		ck_assert_uint_le(r.data->size, 1024);
		memcpy(pub, r.data->bytes, r.data->size);
		*pub_len = r.data->size;
		pb_release(psa_export_public_key_Result_fields, &r);
	}
	return st;
}

static int
sign_hash(const char *app, const char *name, const uint8_t hash[32], uint8_t *sig,
    size_t *sig_len)
{
	psa_sign_hash_Operation op = psa_sign_hash_Operation_init_zero;
	psa_sign_hash_Result r = psa_sign_hash_Result_init_zero;
	struct op_bytes in = { hash, 32 };
	int st;

	strcpy(op.key_name, name);
	op.has_alg = true;
	test_ecdsa_sha256(&op.alg);
	PC_BYTES_OUT(op.hash, &in);
	st = call(app, 1, OP_PSA_SIGN_HASH, psa_sign_hash_Operation_fields, &op,
	    psa_sign_hash_Result_fields, &r);
	if (st == ST_SUCCESS) {
		memcpy(sig, r.signature.bytes, r.signature.size);
		*sig_len = r.signature.size;
	}
	return st;
}

static int
verify_hash(const char *app, const char *name, const uint8_t hash[32], const uint8_t *sig,
    size_t sig_len)
{
	psa_verify_hash_Operation op = psa_verify_hash_Operation_init_zero;
	struct op_bytes in = { hash, 32 }, signature = { sig, sig_len };

	strcpy(op.key_name, name);
	op.has_alg = true;
	test_ecdsa_sha256(&op.alg);
	PC_BYTES_OUT(op.hash, &in);
	PC_BYTES_OUT(op.signature, &signature);
	return call(app, 1, OP_PSA_VERIFY_HASH, psa_verify_hash_Operation_fields, &op, NULL, NULL);
}

static int
destroy(const char *app, const char *name)
{
	psa_destroy_key_Operation op = psa_destroy_key_Operation_init_zero;

	strcpy(op.key_name, name);
	return call(app, 1, OP_PSA_DESTROY_KEY, psa_destroy_key_Operation_fields, &op, NULL, NULL);
}

/* Number of keys the application sees; the first name goes to first (if any). */
static int
list_keys(const char *app, char *first, size_t first_len)
{
	list_keys_Operation op = list_keys_Operation_init_zero;
	list_keys_Result r = list_keys_Result_init_zero;
	int n;

	ck_assert_int_eq(call(app, 0, OP_LIST_KEYS, list_keys_Operation_fields, &op,
	    list_keys_Result_fields, &r), ST_SUCCESS);
	n = r.keys_count;
	if (n > 0 && first != NULL) {
		snprintf(first, first_len, "%s", r.keys[0].name);
		ck_assert_uint_eq(r.keys[0].provider_id, 1);
		ck_assert(r.keys[0].has_attributes);
		ck_assert_uint_eq(r.keys[0].attributes.key_bits, 256);
		ck_assert(r.keys[0].attributes.key_policy.key_usage_flags.sign_hash);
	}
	pb_release(list_keys_Result_fields, &r);
	return n;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* DER INTEGER from a big-endian unsigned value. */
static size_t
der_int(uint8_t *out, const uint8_t *v, size_t len)
{
	size_t n = 0;

	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	out[n++] = 0x02;
	out[n++] = (uint8_t)(len + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		out[n++] = 0;
	memcpy(out + n, v, len);
	return n + len;
}

/* OpenSSL checks a raw r||s P-256 signature over hash with the exported point. */
static int
openssl_verifies(const uint8_t *point, size_t point_len, const uint8_t hash[32],
    const uint8_t *sig, size_t sig_len)
{
	static const uint8_t spki_prefix[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
		0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
		0x07, 0x03, 0x42, 0x00 };
	uint8_t spki[sizeof(spki_prefix) + 65], der[80], body[76];
	char cmd[1024];
	size_t n;

	ck_assert_uint_eq(point_len, 65);
	ck_assert_uint_eq(sig_len, 64);
	memcpy(spki, spki_prefix, sizeof(spki_prefix));
	memcpy(spki + sizeof(spki_prefix), point, 65);
	n = der_int(body, sig, 32);
	n += der_int(body + n, sig + 32, 32);
	der[0] = 0x30;
	der[1] = (uint8_t)n;
	memcpy(der + 2, body, n);
	snprintf(cmd, sizeof(cmd), "%s/pub.der", dut.dir);
	write_file(cmd, spki, sizeof(spki));
	snprintf(cmd, sizeof(cmd), "%s/hash.bin", dut.dir);
	write_file(cmd, hash, 32);
	snprintf(cmd, sizeof(cmd), "%s/sig.der", dut.dir);
	write_file(cmd, der, n + 2);
	snprintf(cmd, sizeof(cmd),
	    "openssl pkeyutl -verify -pubin -keyform DER -inkey %1$s/pub.der -in %1$s/hash.bin "
	    "-sigfile %1$s/sig.der >/dev/null 2>&1", dut.dir);
	return system(cmd) == 0;
}

static const uint8_t test_hash[32] = {
	0x2c, 0xf2, 0x4d, 0xba, 0x5f, 0xb0, 0xa3, 0x0e, 0x26, 0xe8, 0x3b, 0x2a, 0xc5, 0xb9, 0xe2,
	0x9e, 0x1b, 0x16, 0x1e, 0x5c, 0x1f, 0xa7, 0x42, 0x5e, 0x73, 0x04, 0x33, 0x62, 0x93, 0x8b,
	0x98, 0x24,
};

START_TEST(t_life_cycle_and_openssl)
{
	uint8_t pub[1024], sig[1024];
	size_t pub_len, sig_len;

	ck_assert_int_eq(generate_p256("alice", "signer"), ST_SUCCESS);
	ck_assert_int_eq(generate_p256("alice", "signer"), ST_PSA_ALREADY_EXISTS);
	ck_assert_int_eq(export_public("alice", "signer", pub, &pub_len), ST_SUCCESS);
	ck_assert_uint_eq(pub_len, 65);
	ck_assert_uint_eq(pub[0], 0x04);
	ck_assert_int_eq(sign_hash("alice", "signer", test_hash, sig, &sig_len), ST_SUCCESS);
	ck_assert(openssl_verifies(pub, pub_len, test_hash, sig, sig_len));
	ck_assert_int_eq(verify_hash("alice", "signer", test_hash, sig, sig_len), ST_SUCCESS);
	sig[10] ^= 1;
	ck_assert(!openssl_verifies(pub, pub_len, test_hash, sig, sig_len));
	ck_assert_int_eq(verify_hash("alice", "signer", test_hash, sig, sig_len),
	    ST_PSA_INVALID_SIGNATURE);
	ck_assert_int_eq(destroy("alice", "signer"), ST_SUCCESS);
	ck_assert_int_eq(sign_hash("alice", "signer", test_hash, sig, &sig_len),
	    ST_PSA_DOES_NOT_EXIST);
	ck_assert_int_eq(destroy("alice", "signer"), ST_PSA_DOES_NOT_EXIST);
	/* The name is free again. */
	ck_assert_int_eq(generate_p256("alice", "signer"), ST_SUCCESS);
	ck_assert_int_eq(list_keys("alice", NULL, 0), 1);
}
END_TEST

START_TEST(t_namespaces)
{
	uint8_t pub[1024], sig[1024], pub_b[1024];
	size_t pub_len, sig_len, pub_b_len;
	char name[256] = "";

	ck_assert_int_eq(generate_p256("alice", "shared-name"), ST_SUCCESS);
	/* Bob sees nothing of Alice's. */
	ck_assert_int_eq(sign_hash("bob", "shared-name", test_hash, sig, &sig_len),
	    ST_PSA_DOES_NOT_EXIST);
	ck_assert_int_eq(export_public("bob", "shared-name", pub, &pub_len), ST_PSA_DOES_NOT_EXIST);
	ck_assert_int_eq(destroy("bob", "shared-name"), ST_PSA_DOES_NOT_EXIST);
	ck_assert_int_eq(list_keys("bob", NULL, 0), 0);
	/* And may use the same name for a key of his own. */
	ck_assert_int_eq(generate_p256("bob", "shared-name"), ST_SUCCESS);
	ck_assert_int_eq(export_public("alice", "shared-name", pub, &pub_len), ST_SUCCESS);
	ck_assert_int_eq(export_public("bob", "shared-name", pub_b, &pub_b_len), ST_SUCCESS);
	ck_assert(pub_len != pub_b_len || memcmp(pub, pub_b, pub_len) != 0);
	ck_assert_int_eq(list_keys("alice", name, sizeof(name)), 1);
	ck_assert_str_eq(name, "shared-name");
	/* No identity, no keys. */
	ck_assert_int_eq(sign_hash(NULL, "shared-name", test_hash, sig, &sig_len),
	    ST_NOT_AUTHENTICATED);
}
END_TEST

START_TEST(t_survives_restart)
{
	uint8_t pub[1024], pub2[1024], sig[1024];
	size_t pub_len, pub2_len, sig_len;
	int status;

	ck_assert_int_eq(generate_p256("carol", "long-lived"), ST_SUCCESS);
	ck_assert_int_eq(export_public("carol", "long-lived", pub, &pub_len), ST_SUCCESS);
	status = test_daemon_stop_status(&dut);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(test_daemon_launch(&dut), 0);
	ck_assert_int_eq(list_keys("carol", NULL, 0), 1);
	ck_assert_int_eq(export_public("carol", "long-lived", pub2, &pub2_len), ST_SUCCESS);
	ck_assert_uint_eq(pub_len, pub2_len);
	ck_assert_mem_eq(pub, pub2, pub_len);
	ck_assert_int_eq(sign_hash("carol", "long-lived", test_hash, sig, &sig_len), ST_SUCCESS);
	ck_assert(openssl_verifies(pub, pub_len, test_hash, sig, sig_len));
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "software provider", 60, setup, teardown, {
			TEST(t_life_cycle_and_openssl), TEST(t_namespaces), TEST(t_survives_restart)
		} },
	};

	return test_main("keys", cases, sizeof(cases) / sizeof(cases[0]));
}
