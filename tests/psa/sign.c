/* sign.c: sign and verify (hash and message) and asymmetric encryption. Known answers:
 * RFC 6979 A.2.5 (deterministic ECDSA P-256), PKCS #1 v2.1's PSS example 1.1 (verify).
 * Randomized outputs cross between the builds: "sign PEER-IN PEER-OUT" verifies or
 * decrypts what the other build wrote to PEER-IN and writes its own to PEER-OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "tp.h"

#define SIGN_USAGE	(PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH | \
			PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE)
#define CRYPT_USAGE	(PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT)
#define PEER_MAX	16

static struct {
	char	 tag[48];
	uint8_t	 data[512];
	size_t	 len;
} peer_in[PEER_MAX];
static size_t	 peer_n;
static FILE	*peer_out;

static const uint8_t	 sign_msg[] = "sample";

static void
peer_load(const char *path)
{
	static char line[2048];
	FILE *f;
	char *sp;

	if ((f = fopen(path, "r")) == NULL)
		return;
	while (peer_n < PEER_MAX && fgets(line, sizeof(line), f) != NULL) {
		if ((sp = strchr(line, ' ')) == NULL || (size_t)(sp - line) >=
		    sizeof(peer_in[0].tag))
			continue;
		*sp = '\0';
		memcpy(peer_in[peer_n].tag, line, (size_t)(sp - line) + 1);
		peer_in[peer_n].len = tp_unhex(sp + 1, peer_in[peer_n].data,
		    sizeof(peer_in[0].data));
		peer_n++;
	}
	fclose(f);
}

static void
peer_save(const char *tag, const uint8_t *data, size_t len)
{
	size_t i;

	if (peer_out == NULL)
		return;
	fprintf(peer_out, "%s ", tag);
	for (i = 0; i < len; i++)
		fprintf(peer_out, "%02x", data[i]);
	fprintf(peer_out, "\n");
}

static const uint8_t *
peer_get(const char *tag, size_t *len)
{
	size_t i;

	for (i = 0; i < peer_n; i++)
		if (strcmp(peer_in[i].tag, tag) == 0) {
			*len = peer_in[i].len;
			return peer_in[i].data;
		}
	return NULL;
}

/* Sign (hash and message), verify the result, a tampered one and the peer's. */
static void
sign_run(const char *tag, psa_key_id_t id, psa_algorithm_t alg, int deterministic)
{
	uint8_t hash[PSA_HASH_MAX_SIZE], sig[PSA_SIGNATURE_MAX_SIZE];
	size_t hlen = 0, slen = 0, plen = 0;
	const uint8_t *p;
	psa_status_t st;
	char ptag[64];

	/* The digests of "sample" written out: a provider that cannot hash must still sign. */
	hlen = tp_unhex(PSA_ALG_SIGN_GET_HASH(alg) == PSA_ALG_SHA_384 ?
	    "9a9083505bc92276aec4be312696ef7bf3bf603f4bbd381196a029f340585312"
	    "313bca4a9b5b890efee42c77b1ee25fe" :
	    "af2bdbe1aa9b6ec1e2ade1d694f41fc71a831d0268e9891562113d8a62add1bf", hash, sizeof(hash));
	st = psa_sign_hash(id, alg, hash, hlen, sig, sizeof(sig), &slen);
	deterministic ? tp_hex("psa_sign_hash", st, sig, slen) : tp_len("psa_sign_hash", st, slen);
	if (st == PSA_SUCCESS) {
		tp_st("psa_verify_hash own", psa_verify_hash(id, alg, hash, hlen, sig, slen));
		snprintf(ptag, sizeof(ptag), "%s-hash", tag);
		peer_save(ptag, sig, slen);
		/* The last bit: the value stays in range, so the answer is the same each run. */
		sig[slen - 1] ^= 0x01;
		tp_st("psa_verify_hash tampered", psa_verify_hash(id, alg, hash, hlen, sig, slen));
		tp_st("psa_verify_hash truncated", psa_verify_hash(id, alg, hash, hlen, sig,
		    slen - 1));
		tp_st("psa_sign_hash short-buffer", psa_sign_hash(id, alg, hash, hlen, sig,
		    slen - 1, &slen));
	}
	st = psa_sign_message(id, alg, sign_msg, sizeof(sign_msg) - 1, sig, sizeof(sig), &slen);
	deterministic ? tp_hex("psa_sign_message", st, sig, slen) :
	    tp_len("psa_sign_message", st, slen);
	if (st == PSA_SUCCESS) {
		tp_st("psa_verify_message own", psa_verify_message(id, alg, sign_msg,
		    sizeof(sign_msg) - 1, sig, slen));
		tp_st("psa_verify_hash of-message", psa_verify_hash(id, alg, hash, hlen, sig,
		    slen));
		snprintf(ptag, sizeof(ptag), "%s-message", tag);
		peer_save(ptag, sig, slen);
		tp_st("psa_verify_message other", psa_verify_message(id, alg, sign_msg,
		    sizeof(sign_msg) - 2, sig, slen));
	}
	snprintf(ptag, sizeof(ptag), "%s-hash", tag);
	if ((p = peer_get(ptag, &plen)) != NULL)
		tp_st("psa_verify_hash peer", psa_verify_hash(id, alg, hash, hlen, p, plen));
	snprintf(ptag, sizeof(ptag), "%s-message", tag);
	if ((p = peer_get(ptag, &plen)) != NULL)
		tp_st("psa_verify_message peer", psa_verify_message(id, alg, sign_msg,
		    sizeof(sign_msg) - 1, p, plen));
	tp_st("psa_verify_hash wrong-hash-length", psa_verify_hash(id, alg, hash, hlen - 1, sig,
	    slen));
}

static void
sign_imported(void)
{
	psa_key_id_t id;

	tp_case("sign ecdsa-p256 deterministic rfc6979");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    SIGN_USAGE, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PRIV);
	sign_run("ecdsa-det", id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), 1);
	{
		uint8_t sig[64];
		size_t len = 0;
		psa_status_t st;

		st = psa_sign_message(id, PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256), sign_msg,
		    sizeof(sign_msg) - 1, sig, sizeof(sig), &len);
		tp_kat("ecdsa-p256-sha256-rfc6979-a.2.5-sample", st, sig, len,
		    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
		    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
	}
	tp_destroy(id);

	tp_case("sign ecdsa-p256 randomized");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    SIGN_USAGE, PSA_ALG_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PRIV);
	sign_run("ecdsa", id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), 0);
	tp_destroy(id);

	tp_case("sign ecdsa-p256 verify rfc6979 with the public key");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1),
	    PSA_KEY_USAGE_VERIFY_MESSAGE, PSA_ALG_ECDSA(PSA_ALG_SHA_256), FIX_P256_6979_PUB);
	{
		uint8_t sig[64];
		size_t len;

		len = tp_unhex("efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
		    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8", sig,
		    sizeof(sig));
		tp_kat("ecdsa-p256-rfc6979-verify", psa_verify_message(id,
		    PSA_ALG_ECDSA(PSA_ALG_SHA_256), sign_msg, sizeof(sign_msg) - 1, sig, len), sig,
		    0, "");
		tp_want("psa_sign_message with-public-key", psa_sign_message(id,
		    PSA_ALG_ECDSA(PSA_ALG_SHA_256), sign_msg, 6, sig, sizeof(sig), &len),
		    PSA_ERROR_NOT_PERMITTED);
	}
	tp_destroy(id);

	tp_case("sign rsa-2048 pkcs1v15 sha-256");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_RSA_KEY_PAIR, SIGN_USAGE,
	    PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), FIX_RSA2048);
	sign_run("rsa-pkcs1", id, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), 1);
	tp_destroy(id);

	tp_case("sign rsa-2048 pss sha-384");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_RSA_KEY_PAIR, SIGN_USAGE,
	    PSA_ALG_RSA_PSS(PSA_ALG_SHA_384), FIX_RSA2048);
	sign_run("rsa-pss", id, PSA_ALG_RSA_PSS(PSA_ALG_SHA_384), 0);
	tp_destroy(id);

	tp_case("sign rsa pss verify pkcs1-v2.1 example 1.1");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_RSA_PUBLIC_KEY, PSA_KEY_USAGE_VERIFY_MESSAGE,
	    PSA_ALG_RSA_PSS(PSA_ALG_SHA_1), FIX_PSS_1_PUB);
	{
		static uint8_t msg[256], sig[128];
		size_t mlen, slen;

		mlen = tp_unhex(FIX_PSS_1_1_MSG, msg, sizeof(msg));
		slen = tp_unhex(FIX_PSS_1_1_SIG, sig, sizeof(sig));
		tp_kat("rsa-pss-sha1-example-1.1-verify", psa_verify_message(id,
		    PSA_ALG_RSA_PSS(PSA_ALG_SHA_1), msg, mlen, sig, slen), sig, 0, "");
		sig[0] ^= 1;
		tp_st("psa_verify_message tampered", psa_verify_message(id,
		    PSA_ALG_RSA_PSS(PSA_ALG_SHA_1), msg, mlen, sig, slen));
	}
	tp_destroy(id);
}

static void
sign_generated(void)
{
	static uint8_t pub[TP_BUF];
	size_t publen = 0;
	psa_key_id_t id, pid;
	psa_status_t st;
	uint8_t hash[32] = { 1, 2, 3 }, sig[PSA_SIGNATURE_MAX_SIZE];
	size_t slen = 0;

	tp_case("sign generated ecdsa-p256, verified with its exported public key");
	id = tp_generate("psa_generate_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    256, PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	st = psa_sign_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof(sig), &slen);
	tp_len("psa_sign_hash", st, slen);
	st = psa_export_public_key(id, pub, sizeof(pub), &publen);
	tp_len("psa_export_public_key", st, publen);
	pid = 0;
	if (st == PSA_SUCCESS) {
		psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;

		psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
		psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_VERIFY_HASH);
		psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
		tp_st("psa_import_key public", psa_import_key(&attr, pub, publen, &pid));
		tp_st("psa_verify_hash public", psa_verify_hash(pid, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
		    hash, 32, sig, slen));
		tp_destroy(pid);
	}
	tp_want("psa_sign_hash other-alg", psa_sign_hash(id, PSA_ALG_ECDSA(PSA_ALG_SHA_384), hash,
	    32, sig, sizeof(sig), &slen), PSA_ERROR_NOT_PERMITTED);
	/* SIGN_HASH implies SIGN_MESSAGE (PSA Crypto API 1.0.1, section 9.5). */
	tp_want("psa_sign_message implied", psa_sign_message(id,
	    PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof(sig), &slen), PSA_SUCCESS);
	tp_want("psa_verify_hash not-permitted", psa_verify_hash(id,
	    PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, 64), PSA_ERROR_NOT_PERMITTED);
	tp_destroy(id);

	tp_case("sign generated rsa-2048 pkcs1v15");
	id = tp_generate("psa_generate_key", PSA_KEY_TYPE_RSA_KEY_PAIR, 2048, SIGN_USAGE,
	    PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256));
	st = psa_sign_hash(id, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), hash, 32, sig,
	    sizeof(sig), &slen);
	tp_len("psa_sign_hash", st, slen);
	tp_st("psa_verify_hash", psa_verify_hash(id, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256),
	    hash, 32, sig, slen));
	tp_destroy(id);

	tp_case("sign ecdsa-any policy");
	id = tp_import("psa_import_key", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    SIGN_USAGE, PSA_ALG_ECDSA_ANY, FIX_P256_6979_PRIV);
	st = psa_sign_hash(id, PSA_ALG_ECDSA_ANY, hash, 32, sig, sizeof(sig), &slen);
	tp_len("psa_sign_hash ecdsa-any", st, slen);
	tp_st("psa_verify_hash ecdsa-any", psa_verify_hash(id, PSA_ALG_ECDSA_ANY, hash, 32, sig,
	    slen));
	tp_st("psa_sign_message ecdsa-any", psa_sign_message(id, PSA_ALG_ECDSA_ANY, hash, 32, sig,
	    sizeof(sig), &slen));
	tp_destroy(id);
}

/* Encrypt with the key pair, decrypt own and peer's; labels for OAEP. */
static void
crypt_run(const char *tag, psa_algorithm_t alg)
{
	static const uint8_t secret[] = "attack at dawn";
	static const uint8_t label[] = "label";
	uint8_t ct[512], pt[512];
	size_t clen = 0, plen = 0, peerlen = 0;
	const uint8_t *peer;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(tag);
	id = tp_import("psa_import_key", PSA_KEY_TYPE_RSA_KEY_PAIR, CRYPT_USAGE, alg,
	    FIX_RSA2048);
	st = psa_asymmetric_encrypt(id, alg, secret, sizeof(secret), NULL, 0, ct, sizeof(ct),
	    &clen);
	tp_len("psa_asymmetric_encrypt", st, clen);
	if (st == PSA_SUCCESS) {
		peer_save(tag + 6, ct, clen);
		st = psa_asymmetric_decrypt(id, alg, ct, clen, NULL, 0, pt, sizeof(pt), &plen);
		tp_hex("psa_asymmetric_decrypt own", st, pt, plen);
		tp_st("psa_asymmetric_decrypt short-buffer", psa_asymmetric_decrypt(id, alg, ct,
		    clen, NULL, 0, pt, sizeof(secret) - 1, &plen));
		ct[5] ^= 0x40;
		tp_st("psa_asymmetric_decrypt tampered", psa_asymmetric_decrypt(id, alg, ct, clen,
		    NULL, 0, pt, sizeof(pt), &plen));
	}
	if ((peer = peer_get(tag + 6, &peerlen)) != NULL) {
		st = psa_asymmetric_decrypt(id, alg, peer, peerlen, NULL, 0, pt, sizeof(pt), &plen);
		tp_hex("psa_asymmetric_decrypt peer", st, pt, plen);
	}
	st = psa_asymmetric_encrypt(id, alg, secret, sizeof(secret), label, sizeof(label), ct,
	    sizeof(ct), &clen);
	tp_len("psa_asymmetric_encrypt label", st, clen);
	if (st == PSA_SUCCESS) {
		st = psa_asymmetric_decrypt(id, alg, ct, clen, label, sizeof(label), pt, sizeof(pt),
		    &plen);
		tp_hex("psa_asymmetric_decrypt label", st, pt, plen);
		tp_st("psa_asymmetric_decrypt other-label", psa_asymmetric_decrypt(id, alg, ct,
		    clen, label, sizeof(label) - 1, pt, sizeof(pt), &plen));
	}
	tp_st("psa_asymmetric_encrypt short-buffer", psa_asymmetric_encrypt(id, alg, secret,
	    sizeof(secret), NULL, 0, ct, 255, &clen));
	tp_st("psa_asymmetric_encrypt too-long", psa_asymmetric_encrypt(id, alg, pt, 250, NULL,
	    0, ct, sizeof(ct), &clen));
	tp_st("psa_asymmetric_decrypt garbage", psa_asymmetric_decrypt(id, alg, pt, 256, NULL, 0,
	    ct, sizeof(ct), &clen));
	tp_want("psa_asymmetric_decrypt other-alg", psa_asymmetric_decrypt(id,
	    PSA_ALG_RSA_OAEP(PSA_ALG_SHA_512), ct, 256, NULL, 0, pt, sizeof(pt), &plen),
	    PSA_ERROR_NOT_PERMITTED);
	tp_destroy(id);
}

static void
crypt_errors(void)
{
	uint8_t ct[512];
	size_t clen = 0;
	psa_key_id_t id;

	tp_case("crypt errors");
	id = tp_import("psa_import_key encrypt-only", PSA_KEY_TYPE_RSA_KEY_PAIR,
	    PSA_KEY_USAGE_ENCRYPT, PSA_ALG_RSA_PKCS1V15_CRYPT, FIX_RSA2048);
	tp_want("psa_asymmetric_decrypt not-permitted", psa_asymmetric_decrypt(id,
	    PSA_ALG_RSA_PKCS1V15_CRYPT, ct, 256, NULL, 0, ct, sizeof(ct), &clen),
	    PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_asymmetric_encrypt no-such-key", psa_asymmetric_encrypt(0x3fffff00,
	    PSA_ALG_RSA_PKCS1V15_CRYPT, ct, 16, NULL, 0, ct, sizeof(ct), &clen));
	tp_destroy(id);
	id = tp_import("psa_import_key ecc", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    CRYPT_USAGE, PSA_ALG_RSA_PKCS1V15_CRYPT, FIX_P256_6979_PRIV);
	tp_st("psa_asymmetric_encrypt ecc-key", psa_asymmetric_encrypt(id,
	    PSA_ALG_RSA_PKCS1V15_CRYPT, ct, 16, NULL, 0, ct, sizeof(ct), &clen));
	tp_destroy(id);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-") != 0)
		peer_load(argv[1]);
	if (argc > 2 && (peer_out = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 2;
	}
	tp_init();
	sign_imported();
	sign_generated();
	crypt_run("crypt rsa-pkcs1v15", PSA_ALG_RSA_PKCS1V15_CRYPT);
	crypt_run("crypt rsa-oaep-sha256", PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256));
	crypt_run("crypt rsa-oaep-sha1", PSA_ALG_RSA_OAEP(PSA_ALG_SHA_1));
	crypt_errors();
	if (peer_out != NULL)
		fclose(peer_out);
	return tp_done();
}
