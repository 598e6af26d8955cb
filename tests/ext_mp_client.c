/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec's extension calls (parsec/ext_mp.h) against a real parsecd, for
 * tests/e2e_ext_mp.py: multipart hash, MAC and cipher and key derivation
 * through the client library, one line per step on stdout, "name status hex"
 * (the status a wire status, hex the output or "-"). The Python side holds
 * the known answers.
 *
 * Usage: ext_mp_client  (PARSEC_SERVICE_ENDPOINT names the service)
 */
#include <stdio.h>
#include <string.h>

#include <parsec/client.h>
#include <parsec/ext_mp.h>
#include <parsec/psa.h>

static void
report(const char *name, int st, const uint8_t *out, size_t len)
{
	size_t i;

	printf("%s %d ", name, st);
	for (i = 0; out != NULL && i < len; i++)
		printf("%02x", out[i]);
	printf("%s\n", out == NULL || len == 0 ? "-" : "");
}

static void
run_hash(parsec_client *c)
{
	uint8_t out[64];
	uint32_t h = 0, clone = 0;
	size_t len = 0;
	int st;

	st = parsec_ext_hash_setup(c, PARSEC_PSA_ALG_SHA_256, &h);
	report("hash_setup", st, NULL, 0);
	parsec_ext_hash_update(c, h, (const uint8_t *)"a", 1);
	st = parsec_ext_hash_clone(c, h, &clone);
	report("hash_clone", st == 0 && clone != 0 && clone != h ? 0 : st ? st : -1, NULL, 0);
	parsec_ext_hash_update(c, h, (const uint8_t *)"bc", 2);
	st = parsec_ext_hash_finish(c, h, out, sizeof(out), &len);
	report("hash_abc", st, out, len);
	parsec_ext_hash_update(c, clone, (const uint8_t *)"bc", 2);
	st = parsec_ext_hash_finish(c, clone, out, 16, &len);
	report("hash_small_buffer", st, NULL, len);
	st = parsec_ext_hash_update(c, h, (const uint8_t *)"x", 1);
	report("hash_after_finish", st, NULL, 0);
	report("abort_gone", parsec_ext_abort(c, h), NULL, 0);
}

static void
run_mac(parsec_client *c)
{
	struct parsec_key_attributes at = { PARSEC_PSA_KEY_TYPE_HMAC, 32,
		PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE,
		PARSEC_PSA_ALG_HMAC(PARSEC_PSA_ALG_SHA_256) };
	const char *data = "what do ya want for nothing?";
	uint8_t mac[64];
	uint32_t h = 0;
	size_t len = 0;
	int st;

	report("mac_import", parsec_import_key(c, "client-jefe", &at, (const uint8_t *)"Jefe", 4),
	    NULL, 0);
	st = parsec_ext_mac_setup(c, "client-jefe", at.alg, 0, &h);
	parsec_ext_mac_update(c, h, (const uint8_t *)data, 10);
	parsec_ext_mac_update(c, h, (const uint8_t *)data + 10, strlen(data) - 10);
	st = st ? st : parsec_ext_mac_sign_finish(c, h, mac, sizeof(mac), &len);
	report("mac_sign", st, mac, len);
	st = parsec_ext_mac_setup(c, "client-jefe", at.alg, 1, &h);
	parsec_ext_mac_update(c, h, (const uint8_t *)data, strlen(data));
	report("mac_verify", st ? st : parsec_ext_mac_verify_finish(c, h, mac, len), NULL, 0);
}

static void
run_cipher(parsec_client *c, const uint8_t *key, const uint8_t *iv, const uint8_t *text)
{
	struct parsec_key_attributes at = { PARSEC_PSA_KEY_TYPE_AES, 128,
		PARSEC_PSA_KEY_USAGE_ENCRYPT | PARSEC_PSA_KEY_USAGE_DECRYPT, PARSEC_PSA_ALG_CTR };
	uint8_t out[96];
	size_t len = 0, total = 0;
	uint32_t h = 0;
	int st;

	report("cipher_import", parsec_import_key(c, "client-aes", &at, key, 16), NULL, 0);
	st = parsec_ext_cipher_setup(c, "client-aes", PARSEC_PSA_ALG_CTR, 0, &h);
	st = st ? st : parsec_ext_cipher_set_iv(c, h, iv, 16);
	st = st ? st : parsec_ext_cipher_update(c, h, text, 7, out, sizeof(out), &len);
	total += len;
	st = st ? st : parsec_ext_cipher_update(c, h, text + 7, 57, out + total,
	    sizeof(out) - total, &len);
	total += len;
	st = st ? st : parsec_ext_cipher_finish(c, h, out + total, sizeof(out) - total, &len);
	total += len;
	report("cipher_ctr", st, out, total);
	st = parsec_ext_aead_setup(c, "client-aes", PARSEC_PSA_ALG_GCM, 0, &h); /* a CTR key: its policy says no */
	report("aead_setup", st, NULL, 0);
}

static void
run_kdf(parsec_client *c)
{
	static const uint8_t salt[13] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const uint8_t info[10] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9 };
	struct parsec_key_attributes at = { PARSEC_PSA_KEY_TYPE_DERIVE, 176,
		PARSEC_PSA_KEY_USAGE_DERIVE, PARSEC_PSA_ALG_HKDF(PARSEC_PSA_ALG_SHA_256) };
	struct parsec_key_attributes out_at = { PARSEC_PSA_KEY_TYPE_AES, 128,
		PARSEC_PSA_KEY_USAGE_EXPORT, PARSEC_PSA_ALG_CTR };
	uint8_t ikm[22], okm[42], key[16];
	uint64_t capacity = 0;
	uint32_t h = 0;
	size_t len = 0;
	int i, st;

	memset(ikm, 0x0b, sizeof(ikm));
	report("kdf_import", parsec_import_key(c, "client-ikm", &at, ikm, sizeof(ikm)), NULL, 0);
	for (i = 0; i < 2; i++) {
		st = parsec_ext_kdf_setup(c, at.alg, &h);
		st = st ? st : parsec_ext_kdf_input_bytes(c, h, 0x0202, salt, sizeof(salt));
		st = st ? st : parsec_ext_kdf_input_key(c, h, 0x0101, "client-ikm");
		st = st ? st : parsec_ext_kdf_input_bytes(c, h, 0x0203, info, sizeof(info));
		if (i == 0) {
			st = st ? st : parsec_ext_kdf_get_capacity(c, h, &capacity);
			printf("kdf_capacity %d %llu\n", st, (unsigned long long)capacity);
			st = st ? st : parsec_ext_kdf_output_bytes(c, h, okm, sizeof(okm));
			report("kdf_hkdf", st, okm, sizeof(okm));
		} else {
			st = st ? st : parsec_ext_kdf_output_key(c, h, "client-derived", &out_at, 0);
			report("kdf_output_key", st, NULL, 0);
			st = st ? st : parsec_export_key(c, "client-derived", key, sizeof(key), &len);
			report("kdf_derived_key", st, key, len);
		}
		parsec_ext_abort(c, h);
	}
}

int
main(void)
{
	static const uint8_t key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab,
		0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
	static const uint8_t iv[16] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff };
	uint8_t text[64];
	parsec_client *c;
	int st, i;

	if ((st = parsec_client_new(&c, "ext-client")) != 0) {
		report("client_new", st, NULL, 0);
		return 1;
	}
	for (i = 0; i < 64; i++)
		text[i] = (uint8_t)i;
	run_hash(c);
	run_mac(c);
	run_cipher(c, key, iv, text);
	run_kdf(c);
	parsec_client_free(c);
	return 0;
}
