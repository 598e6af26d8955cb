/* cipher.c: the unauthenticated cipher family, one-shot and multipart, against
 * SP 800-38A's AES-128 examples (F.1 ECB, F.2 CBC, F.3 CFB128, F.4 OFB, F.5 CTR). */
#include <stdio.h>
#include <string.h>

#include "tp.h"

#define CIPHER_USAGE	(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT)
#define KEY128		"2b7e151628aed2a6abf7158809cf4f3c"
#define PT		"6bc1bee22e409f96e93d7e117393172a" "ae2d8a571e03ac9c9eb76fac45af8e51" \
			"30c81c46a35ce411e5fbc1191a0a52ef" "f69f2445df4f9b17ad2b417be66c3710"
#define IV		"000102030405060708090a0b0c0d0e0f"

static const struct {
	const char	*name;
	psa_algorithm_t	 alg;
	const char	*iv;
	const char	*ct;
} cipher_kats[] = {
	{ "aes128-ecb-sp800-38a-f1", PSA_ALG_ECB_NO_PADDING, "",
	    "3ad77bb40d7a3660a89ecaf32466ef97" "f5d3d58503b9699de785895a96fdbaaf"
	    "43b1cd7f598ece23881b00e3ed030688" "7b0c785e27e8ad3f8223207104725dd4" },
	{ "aes128-cbc-sp800-38a-f2", PSA_ALG_CBC_NO_PADDING, IV,
	    "7649abac8119b246cee98e9b12e9197d" "5086cb9b507219ee95db113a917678b2"
	    "73bed6b8e3c1743b7116e69e22229516" "3ff1caa1681fac09120eca307586e1a7" },
	{ "aes128-cfb128-sp800-38a-f3", PSA_ALG_CFB, IV,
	    "3b3fd92eb72dad20333449f8e83cfb4a" "c8a64537a0b3a93fcde3cdad9f1ce58b"
	    "26751f67a3cbb140b1808cf187a4f4df" "c04b05357c5d1c0eeac4c66f9ff7f2e6" },
	{ "aes128-ofb-sp800-38a-f4", PSA_ALG_OFB, IV,
	    "3b3fd92eb72dad20333449f8e83cfb4a" "7789508d16918f03f53c52dac54ed825"
	    "9740051e9c5fecf64344f7a82260edcc" "304c6528f659c77866a510d9c1d6ae5e" },
	{ "aes128-ctr-sp800-38a-f5", PSA_ALG_CTR, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	    "874d6191b620e3261bef6864990db6ce" "9806f66b7970fdff8617187bb9fffdff"
	    "5ae4df3edbd5d35e5b4f09020db03eab" "1e031dda2fbe03d1792170a0f3009cee" },
};

static uint8_t	 cipher_msg[300];

/* A multipart run in updates of cuts[]; prints every status and the whole output. */
static psa_status_t
cipher_mp(const char *what, psa_key_id_t id, psa_algorithm_t alg, int encrypt,
    const uint8_t *iv, size_t ivlen, const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	static const size_t cuts[] = { 1, 15, 16, 17, 5, 31, 64, 300 };
	psa_cipher_operation_t op = PSA_CIPHER_OPERATION_INIT;
	size_t at = 0, total = 0, n, got, i;
	char call[96];
	psa_status_t st;

	snprintf(call, sizeof(call), "psa_cipher_%s_setup %s", encrypt ? "encrypt" : "decrypt",
	    what);
	st = encrypt ? psa_cipher_encrypt_setup(&op, id, alg) :
	    psa_cipher_decrypt_setup(&op, id, alg);
	if (tp_st(call, st) != PSA_SUCCESS)
		return st;
	if (ivlen > 0 && tp_st("psa_cipher_set_iv", psa_cipher_set_iv(&op, iv, ivlen)) !=
	    PSA_SUCCESS) {
		psa_cipher_abort(&op);
		return st;
	}
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) && at < len; i++) {
		n = cuts[i] < len - at ? cuts[i] : len - at;
		got = 0;
		st = psa_cipher_update(&op, in + at, n, out + total, TP_BUF - total, &got);
		tp_st("psa_cipher_update", st);
		if (st != PSA_SUCCESS) {
			psa_cipher_abort(&op);
			return st;
		}
		at += n;
		total += got;
	}
	got = 0;
	st = psa_cipher_finish(&op, out + total, TP_BUF - total, &got);
	total += got;
	*outlen = total;
	snprintf(call, sizeof(call), "psa_cipher_finish %s", what);
	tp_hex(call, st, out, total);
	psa_cipher_abort(&op);
	return st;
}

static void
cipher_kat(size_t k)
{
	static uint8_t pt[64], ct[TP_BUF], in[TP_BUF], out[TP_BUF];
	size_t ptlen, ivlen, len = 0;
	uint8_t iv[16];
	psa_key_id_t id;
	psa_status_t st;
	char name[96];

	tp_case(cipher_kats[k].name);
	ptlen = tp_unhex(PT, pt, sizeof(pt));
	ivlen = tp_unhex(cipher_kats[k].iv, iv, sizeof(iv));
	id = tp_import("psa_import_key", PSA_KEY_TYPE_AES, CIPHER_USAGE, cipher_kats[k].alg,
	    KEY128);
	st = cipher_mp("kat", id, cipher_kats[k].alg, 1, iv, ivlen, pt, ptlen, ct, &len);
	snprintf(name, sizeof(name), "%s-encrypt", cipher_kats[k].name);
	tp_kat(name, st, ct, len, cipher_kats[k].ct);
	/* One-shot decryption takes the IV in front of the ciphertext. */
	memcpy(in, iv, ivlen);
	len = tp_unhex(cipher_kats[k].ct, in + ivlen, sizeof(in) - ivlen);
	st = psa_cipher_decrypt(id, cipher_kats[k].alg, in, ivlen + len, out, sizeof(out), &len);
	tp_hex("psa_cipher_decrypt", st, out, len);
	snprintf(name, sizeof(name), "%s-decrypt", cipher_kats[k].name);
	tp_kat(name, st, out, len, PT);
	len = 0;
	st = cipher_mp("kat-decrypt", id, cipher_kats[k].alg, 0, iv, ivlen, in + ivlen, ptlen,
	    out, &len);
	snprintf(name, sizeof(name), "%s-multipart-decrypt", cipher_kats[k].name);
	tp_kat(name, st, out, len, PT);
	tp_destroy(id);
}

/* A mode over a message of odd length (or whole blocks where the mode needs them):
 * multipart with a fixed IV, one-shot with a random one, each decrypted. */
static void
cipher_mode(const char *name, psa_key_type_t type, const char *key, psa_algorithm_t alg,
    size_t ivlen, size_t len)
{
	static uint8_t ct[TP_BUF], pt[TP_BUF];
	uint8_t iv[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
	    0xab, 0xac, 0xad, 0xae, 0xaf };
	size_t ctlen = 0, ptlen = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(name);
	id = tp_import("psa_import_key", type, CIPHER_USAGE, alg, key);
	st = cipher_mp("fixed-iv", id, alg, 1, iv, ivlen, cipher_msg, len, ct, &ctlen);
	if (st == PSA_SUCCESS)
		cipher_mp("fixed-iv", id, alg, 0, iv, ivlen, ct, ctlen, pt, &ptlen);
	if (ivlen > 0) {
		/* The IV travels in front: one-shot decryption of the multipart result. */
		memmove(ct + ivlen, ct, ctlen);
		memcpy(ct, iv, ivlen);
		st = psa_cipher_decrypt(id, alg, ct, ivlen + ctlen, pt, sizeof(pt), &ptlen);
		tp_hex("psa_cipher_decrypt fixed-iv", st, pt, ptlen);
	}
	st = psa_cipher_encrypt(id, alg, cipher_msg, len, ct, sizeof(ct), &ctlen);
	tp_len("psa_cipher_encrypt", st, ctlen);
	if (ivlen == 0)
		tp_hex("psa_cipher_encrypt no-iv", st, ct, ctlen);
	st = psa_cipher_decrypt(id, alg, ct, ctlen, pt, sizeof(pt), &ptlen);
	tp_st("psa_cipher_decrypt", st);
	tp_note("round trip %s", st == PSA_SUCCESS && ptlen == len &&
	    memcmp(pt, cipher_msg, len) == 0 ? "equal" : "different");
	st = psa_cipher_encrypt(id, alg, cipher_msg, len, ct, ivlen + len - 1, &ctlen);
	tp_st("psa_cipher_encrypt short-buffer", st);
	tp_destroy(id);
}

static void
cipher_errors(void)
{
	psa_cipher_operation_t op = PSA_CIPHER_OPERATION_INIT;
	static uint8_t out[TP_BUF];
	uint8_t iv[16] = { 0 };
	size_t len = 0;
	psa_key_id_t id, enc;

	tp_case("cipher errors");
	tp_want("psa_cipher_update inactive", psa_cipher_update(&op, cipher_msg, 16, out,
	    sizeof(out), &len), PSA_ERROR_BAD_STATE);
	tp_want("psa_cipher_finish inactive", psa_cipher_finish(&op, out, sizeof(out), &len),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_cipher_set_iv inactive", psa_cipher_set_iv(&op, iv, 16), PSA_ERROR_BAD_STATE);
	tp_want("psa_cipher_generate_iv inactive", psa_cipher_generate_iv(&op, iv, 16, &len),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_cipher_abort inactive", psa_cipher_abort(&op), PSA_SUCCESS);
	id = tp_import("psa_import_key cbc", PSA_KEY_TYPE_AES, CIPHER_USAGE, PSA_ALG_CBC_PKCS7,
	    KEY128);
	tp_want("psa_cipher_encrypt_setup", psa_cipher_encrypt_setup(&op, id, PSA_ALG_CBC_PKCS7),
	    PSA_SUCCESS);
	tp_want("psa_cipher_update before-iv", psa_cipher_update(&op, cipher_msg, 16, out,
	    sizeof(out), &len), PSA_ERROR_BAD_STATE);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_st("psa_cipher_encrypt_setup", psa_cipher_encrypt_setup(&op, id, PSA_ALG_CBC_PKCS7));
	tp_want("psa_cipher_set_iv short", psa_cipher_set_iv(&op, iv, 8),
	    PSA_ERROR_INVALID_ARGUMENT);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_st("psa_cipher_encrypt_setup", psa_cipher_encrypt_setup(&op, id, PSA_ALG_CBC_PKCS7));
	tp_len("psa_cipher_generate_iv", psa_cipher_generate_iv(&op, iv, sizeof(iv), &len), 16);
	tp_want("psa_cipher_set_iv after-generate", psa_cipher_set_iv(&op, iv, 16),
	    PSA_ERROR_BAD_STATE);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_st("psa_cipher_encrypt_setup", psa_cipher_encrypt_setup(&op, id, PSA_ALG_CBC_PKCS7));
	tp_want("psa_cipher_generate_iv short-buffer", psa_cipher_generate_iv(&op, iv, 15, &len),
	    PSA_ERROR_BUFFER_TOO_SMALL);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_want("psa_cipher_encrypt_setup other-alg", psa_cipher_encrypt_setup(&op, id,
	    PSA_ALG_CTR), PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_want("psa_cipher_encrypt_setup", psa_cipher_encrypt_setup(&op, id, PSA_ALG_CBC_PKCS7),
	    PSA_SUCCESS);
	tp_want("psa_cipher_decrypt_setup again", psa_cipher_decrypt_setup(&op, id,
	    PSA_ALG_CBC_PKCS7), PSA_ERROR_BAD_STATE);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	/* A wrong key decrypts to bad padding (this ciphertext's last block is not padding). */
	memset(out, 0, 32);
	tp_want("psa_cipher_decrypt bad-padding", psa_cipher_decrypt(id, PSA_ALG_CBC_PKCS7,
	    cipher_msg, 48, out + 64, sizeof(out) - 64, &len), PSA_ERROR_INVALID_PADDING);
	tp_st("psa_cipher_decrypt not-whole-blocks", psa_cipher_decrypt(id, PSA_ALG_CBC_PKCS7,
	    cipher_msg, 40, out, sizeof(out), &len));
	tp_st("psa_cipher_decrypt iv-only", psa_cipher_decrypt(id, PSA_ALG_CBC_PKCS7,
	    cipher_msg, 16, out, sizeof(out), &len));
	tp_destroy(id);
	enc = tp_import("psa_import_key encrypt-only", PSA_KEY_TYPE_AES, PSA_KEY_USAGE_ENCRYPT,
	    PSA_ALG_CTR, KEY128);
	tp_want("psa_cipher_decrypt not-permitted", psa_cipher_decrypt(enc, PSA_ALG_CTR,
	    cipher_msg, 48, out, sizeof(out), &len), PSA_ERROR_NOT_PERMITTED);
	tp_want("psa_cipher_decrypt_setup not-permitted", psa_cipher_decrypt_setup(&op, enc,
	    PSA_ALG_CTR), PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_st("psa_cipher_encrypt not-a-cipher", psa_cipher_encrypt(enc, PSA_ALG_CMAC,
	    cipher_msg, 48, out, sizeof(out), &len));
	tp_destroy(enc);
	id = tp_import("psa_import_key ecb", PSA_KEY_TYPE_AES, CIPHER_USAGE,
	    PSA_ALG_ECB_NO_PADDING, KEY128);
	tp_st("psa_cipher_encrypt ecb-partial-block", psa_cipher_encrypt(id,
	    PSA_ALG_ECB_NO_PADDING, cipher_msg, 20, out, sizeof(out), &len));
	tp_st("psa_cipher_encrypt_setup ecb", psa_cipher_encrypt_setup(&op, id,
	    PSA_ALG_ECB_NO_PADDING));
	tp_st("psa_cipher_set_iv ecb", psa_cipher_set_iv(&op, iv, 16));
	tp_st("psa_cipher_abort", psa_cipher_abort(&op));
	tp_destroy(id);
	tp_st("psa_import_key no-type", psa_import_key(&(psa_key_attributes_t)
	    PSA_KEY_ATTRIBUTES_INIT, cipher_msg, 16, &id));
	id = tp_import("psa_import_key aes-17-bytes", PSA_KEY_TYPE_AES, CIPHER_USAGE, PSA_ALG_CTR,
	    "000102030405060708090a0b0c0d0e0f10");
	tp_destroy(id);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cipher_msg); i++)
		cipher_msg[i] = (uint8_t)(i * 11 % 247);
	tp_init();
	for (i = 0; i < sizeof(cipher_kats) / sizeof(cipher_kats[0]); i++)
		cipher_kat(i);
	cipher_mode("cipher aes256-ctr odd", PSA_KEY_TYPE_AES,
	    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", PSA_ALG_CTR, 16, 277);
	cipher_mode("cipher aes192-cfb odd", PSA_KEY_TYPE_AES,
	    "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", PSA_ALG_CFB, 16, 131);
	cipher_mode("cipher aes128-ofb odd", PSA_KEY_TYPE_AES, KEY128, PSA_ALG_OFB, 16, 99);
	cipher_mode("cipher aes128-cbc-pkcs7 odd", PSA_KEY_TYPE_AES, KEY128, PSA_ALG_CBC_PKCS7,
	    16, 77);
	cipher_mode("cipher aes128-cbc-pkcs7 whole", PSA_KEY_TYPE_AES, KEY128, PSA_ALG_CBC_PKCS7,
	    16, 64);
	cipher_mode("cipher aes256-cbc-nopad", PSA_KEY_TYPE_AES,
	    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	    PSA_ALG_CBC_NO_PADDING, 16, 160);
	cipher_mode("cipher aes128-ecb", PSA_KEY_TYPE_AES, KEY128, PSA_ALG_ECB_NO_PADDING, 0, 96);
	cipher_mode("cipher chacha20", PSA_KEY_TYPE_CHACHA20,
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    PSA_ALG_STREAM_CIPHER, 12, 201);
	cipher_errors();
	return tp_done();
}
