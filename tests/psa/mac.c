/* mac.c: the MAC family, one-shot and multipart: HMAC (RFC 4231, RFC 2202) and CMAC
 * (SP 800-38B), truncated MACs and the policies that permit them. */
#include <stdio.h>
#include <string.h>

#include "tp.h"

#define MAC_USAGE	(PSA_KEY_USAGE_SIGN_MESSAGE | PSA_KEY_USAGE_VERIFY_MESSAGE)

#define MAC_AA80	MAC_AA16 MAC_AA16 MAC_AA16 MAC_AA16 MAC_AA16
#define MAC_AA16	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MAC_AA131	MAC_AA80 MAC_AA16 MAC_AA16 MAC_AA16 "aaaaaa"
#define MAC_RFC4231_6	"Test Using Larger Than Block-Size Key - Hash Key First"
/* A key every HMAC-SHA-256 takes (some tokens refuse one shorter than the hash). */
#define MAC_KEY32	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const struct {
	const char	*name;
	psa_key_type_t	 type;
	psa_algorithm_t	 alg;
	const char	*key;
	const char	*msg;		/* text */
	const char	*mac;
} mac_kats[] = {
	/* RFC 4231 test case 1 */
	{ "hmac-sha224-rfc4231-1", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_224),
	    "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	    "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22" },
	{ "hmac-sha256-rfc4231-1", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_256),
	    "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "hmac-sha384-rfc4231-1", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_384),
	    "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	    "faea9ea9076ede7f4af152e8b2fa9cb6" },
	{ "hmac-sha512-rfc4231-1", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_512),
	    "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	/* RFC 4231 test case 2: a key shorter than the output */
	{ "hmac-sha256-rfc4231-2", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_256),
	    "4a656665", "what do ya want for nothing?",
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	/* RFC 4231 test case 5: truncated to 128 bits */
	{ "hmac-sha256-128-rfc4231-5", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 16),
	    "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
	    "a3b6167473100ee06e0c796c2955552b" },
	/* HMAC-SHA-1 (RFC 2202 test case 1) */
	{ "hmac-sha1-rfc2202-1", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_1),
	    "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
	    "b617318655057264e28bc0b6fb378c8ef146be00" },
	/*
	 * RFC 4231 test case 6 and RFC 2202 test case 6: keys longer than a block,
	 * which tokens that refuse HMAC keys shorter than the hash take.
	 */
	{ "hmac-sha224-rfc4231-6", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_224), MAC_AA131,
	    MAC_RFC4231_6, "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e" },
	{ "hmac-sha256-rfc4231-6", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_256), MAC_AA131,
	    MAC_RFC4231_6, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "hmac-sha384-rfc4231-6", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_384), MAC_AA131,
	    MAC_RFC4231_6, "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	    "0c2ef6ab4030fe8296248df163f44952" },
	{ "hmac-sha512-rfc4231-6", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_512), MAC_AA131,
	    MAC_RFC4231_6, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	    "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	/* The same MAC truncated to 128 bits: its first 16 bytes. */
	{ "hmac-sha256-128-rfc4231-6", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 16), MAC_AA131, MAC_RFC4231_6,
	    "60e431591ee0b67f0d8a26aacbf5b77f" },
	{ "hmac-sha1-rfc2202-6", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_1),
	    MAC_AA80, MAC_RFC4231_6, "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	{ "hmac-sha1-96-rfc2202-6", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_1), 12),
	    MAC_AA80, MAC_RFC4231_6, "aa4ae5e15272d00e95705637" },
	/* SP 800-38B, AES-128 example 1 (empty message) */
	{ "cmac-aes128-sp800-38b-1", PSA_KEY_TYPE_AES, PSA_ALG_CMAC,
	    "2b7e151628aed2a6abf7158809cf4f3c", "", "bb1d6929e95937287fa37d129b756746" },
};

static uint8_t	 mac_msg[700];

static void
mac_kat(size_t i)
{
	uint8_t out[PSA_MAC_MAX_SIZE];
	size_t len = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(mac_kats[i].name);
	id = tp_import("psa_import_key", mac_kats[i].type, MAC_USAGE, mac_kats[i].alg,
	    mac_kats[i].key);
	st = psa_mac_compute(id, mac_kats[i].alg, (const uint8_t *)mac_kats[i].msg,
	    strlen(mac_kats[i].msg), out, sizeof(out), &len);
	tp_hex("psa_mac_compute", st, out, len);
	tp_kat(mac_kats[i].name, st, out, len, mac_kats[i].mac);
	tp_st("psa_mac_verify good", psa_mac_verify(id, mac_kats[i].alg,
	    (const uint8_t *)mac_kats[i].msg, strlen(mac_kats[i].msg), out, len));
	out[0] ^= 0x80;
	tp_st("psa_mac_verify flipped", psa_mac_verify(id, mac_kats[i].alg,
	    (const uint8_t *)mac_kats[i].msg, strlen(mac_kats[i].msg), out, len));
	tp_destroy(id);
}

/* Sign and verify across odd update sizes; one-shot over the same bytes to compare. */
static void
mac_multipart(const char *name, psa_key_type_t type, psa_algorithm_t alg, const char *key)
{
	static const size_t cuts[] = { 0, 1, 15, 16, 17, 63, 64, 65, 200, 700 };
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	uint8_t out[PSA_MAC_MAX_SIZE], one[PSA_MAC_MAX_SIZE];
	size_t len = 0, onelen = 0, at, i, n;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(name);
	id = tp_import("psa_import_key", type, MAC_USAGE, alg, key);
	st = psa_mac_compute(id, alg, mac_msg, sizeof(mac_msg), one, sizeof(one), &onelen);
	tp_hex("psa_mac_compute", st, one, onelen);
	tp_st("psa_mac_sign_setup", psa_mac_sign_setup(&op, id, alg));
	for (i = 0, at = 0; i < sizeof(cuts) / sizeof(cuts[0]) && at < sizeof(mac_msg); i++) {
		n = cuts[i] < sizeof(mac_msg) - at ? cuts[i] : sizeof(mac_msg) - at;
		tp_st("psa_mac_update", psa_mac_update(&op, mac_msg + at, n));
		at += n;
	}
	tp_want("psa_mac_verify_finish on-sign", psa_mac_verify_finish(&op, one, onelen),
	    PSA_ERROR_BAD_STATE);
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_st("psa_mac_sign_setup", psa_mac_sign_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, 333));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg + 333, sizeof(mac_msg) - 333));
	st = psa_mac_sign_finish(&op, out, sizeof(out), &len);
	tp_hex("psa_mac_sign_finish", st, out, len);
	tp_note("multipart %s one-shot", st == PSA_SUCCESS && len == onelen &&
	    memcmp(out, one, len) == 0 ? "equals" : "differs from");
	tp_st("psa_mac_sign_setup", psa_mac_sign_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, 10));
	st = psa_mac_sign_finish(&op, out, PSA_MAC_LENGTH(type, 128, alg) - 1, &len);
	tp_st("psa_mac_sign_finish short-buffer", st);
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_st("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, 1));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg + 1, sizeof(mac_msg) - 1));
	tp_want("psa_mac_sign_finish on-verify", psa_mac_sign_finish(&op, out, sizeof(out), &len),
	    PSA_ERROR_BAD_STATE);
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_st("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, sizeof(mac_msg)));
	tp_st("psa_mac_verify_finish good", psa_mac_verify_finish(&op, one, onelen));
	tp_st("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, sizeof(mac_msg) - 1));
	tp_st("psa_mac_verify_finish bad", psa_mac_verify_finish(&op, one, onelen));
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_st("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, sizeof(mac_msg)));
	tp_st("psa_mac_verify_finish short", psa_mac_verify_finish(&op, one, onelen - 1));
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_destroy(id);
}

/*
 * A key whose policy is a shortest MAC: lengths below, at and above it, the
 * full length, the policy itself asked as an operation (a wildcard), and the
 * policy as the key's attributes give it back.
 */
static void
mac_at_least(const char *name, psa_key_type_t type, psa_algorithm_t full, const char *key)
{
	/* Allowed lengths first: a device without truncated MACs stops the case at the first. */
	static const size_t lens[] = { 12, 13, 16, 8, 11 };
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	const psa_algorithm_t policy = PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(full, 12);
	uint8_t out[PSA_MAC_MAX_SIZE];
	char call[64];
	size_t i, len = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(name);
	id = tp_import("psa_import_key at-least-12", type, MAC_USAGE, policy, key);
	tp_policy(id);
	st = psa_mac_compute(id, full, mac_msg, 100, out, sizeof(out), &len);
	tp_hex("psa_mac_compute full-length", st, out, len);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		psa_algorithm_t alg = PSA_ALG_TRUNCATED_MAC(full, lens[i]);

		snprintf(call, sizeof(call), "psa_mac_compute length-%zu", lens[i]);
		st = psa_mac_compute(id, alg, mac_msg, 100, out, sizeof(out), &len);
		tp_hex(call, st, out, len);
		snprintf(call, sizeof(call), "psa_mac_verify length-%zu", lens[i]);
		tp_st(call, psa_mac_verify(id, alg, mac_msg, 100, out, st == PSA_SUCCESS ? len :
		    lens[i]));
		snprintf(call, sizeof(call), "psa_mac_sign_setup length-%zu", lens[i]);
		tp_st(call, psa_mac_sign_setup(&op, id, alg));
		tp_st("psa_mac_abort", psa_mac_abort(&op));
	}
	tp_st("psa_mac_compute the-policy", psa_mac_compute(id, policy, mac_msg, 100, out,
	    sizeof(out), &len));
	tp_st("psa_mac_compute at-least-16", psa_mac_compute(id,
	    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(full, 16), mac_msg, 100, out, sizeof(out), &len));
	tp_destroy(id);
}

/* Policies that forbid, wrong key types, wrong states. */
static void
mac_errors(void)
{
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	const psa_algorithm_t hmac = PSA_ALG_HMAC(PSA_ALG_SHA_256);
	const char *key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	uint8_t out[PSA_MAC_MAX_SIZE];
	size_t len = 0;
	psa_key_id_t id;

	tp_case("mac errors");
	tp_want("psa_mac_update inactive", psa_mac_update(&op, mac_msg, 1), PSA_ERROR_BAD_STATE);
	tp_want("psa_mac_sign_finish inactive", psa_mac_sign_finish(&op, out, sizeof(out), &len),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_mac_verify_finish inactive", psa_mac_verify_finish(&op, out, 32),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_mac_abort inactive", psa_mac_abort(&op), PSA_SUCCESS);
	tp_want("psa_mac_compute no-such-key", psa_mac_compute(0x3ffffff0, hmac, mac_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_HANDLE);
	tp_want("psa_mac_compute key-zero", psa_mac_compute(0, hmac, mac_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_HANDLE);
	id = tp_import("psa_import_key verify-only", PSA_KEY_TYPE_HMAC,
	    PSA_KEY_USAGE_VERIFY_MESSAGE, hmac, key);
	tp_want("psa_mac_compute not-permitted", psa_mac_compute(id, hmac, mac_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_NOT_PERMITTED);
	tp_want("psa_mac_sign_setup not-permitted", psa_mac_sign_setup(&op, id, hmac),
	    PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_want("psa_mac_verify_setup other-alg", psa_mac_verify_setup(&op, id,
	    PSA_ALG_HMAC(PSA_ALG_SHA_512)), PSA_ERROR_NOT_PERMITTED);
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	tp_want("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, hmac), PSA_SUCCESS);
	tp_want("psa_mac_verify_setup again", psa_mac_verify_setup(&op, id, hmac),
	    PSA_ERROR_BAD_STATE);
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	/* Policy or algorithm first: the specification allows either answer. */
	tp_st("psa_mac_compute not-a-mac", psa_mac_compute(id, PSA_ALG_SHA_256, mac_msg, 3, out,
	    sizeof(out), &len));
	tp_destroy(id);
	id = tp_import("psa_import_key aes-for-hmac", PSA_KEY_TYPE_AES, MAC_USAGE, hmac,
	    "000102030405060708090a0b0c0d0e0f");
	tp_want("psa_mac_compute wrong-key-type", psa_mac_compute(id, hmac, mac_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_ARGUMENT);
	tp_destroy(id);
	/*
	 * A MAC policy admits nothing on a key it cannot run on, even an algorithm
	 * whose length agrees with it: the policy's refusal, not the wrong key type.
	 */
	id = tp_import("psa_import_key aes-for-hmac-truncated-32", PSA_KEY_TYPE_AES, MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(hmac, 32), "000102030405060708090a0b0c0d0e0f");
	tp_st("psa_mac_compute wrong-key-type full-length", psa_mac_compute(id, hmac, mac_msg, 3,
	    out, sizeof(out), &len));
	tp_destroy(id);
	tp_want("psa_mac_compute destroyed", psa_mac_compute(id, hmac, mac_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_HANDLE);
}

/*
 * One key with policy, asked for alg: the one-shot MAC, its check at its own
 * length and one byte shorter, and a multipart check.
 */
static void
mac_policy_one(const char *name, psa_key_usage_t usage, psa_algorithm_t policy,
    psa_algorithm_t alg)
{
	psa_mac_operation_t op = PSA_MAC_OPERATION_INIT;
	uint8_t out[PSA_MAC_MAX_SIZE];
	size_t len = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(name);
	id = tp_import("psa_import_key", PSA_KEY_TYPE_HMAC, usage, policy, MAC_KEY32);
	st = psa_mac_compute(id, alg, mac_msg, 100, out, sizeof(out), &len);
	tp_hex("psa_mac_compute", st, out, len);
	if (st != PSA_SUCCESS) {
		/* A verify-only key: the MAC it must accept, from the same key made signing. */
		psa_key_id_t signer = tp_import("psa_import_key signer", PSA_KEY_TYPE_HMAC,
		    MAC_USAGE, alg, MAC_KEY32);

		st = psa_mac_compute(signer, alg, mac_msg, 100, out, sizeof(out), &len);
		tp_hex("psa_mac_compute signer", st, out, len);
		tp_destroy(signer);
	}
	tp_st("psa_mac_verify", psa_mac_verify(id, alg, mac_msg, 100, out, len));
	tp_st("psa_mac_verify shorter", psa_mac_verify(id, alg, mac_msg, 100, out,
	    len > 0 ? len - 1 : 0));
	tp_st("psa_mac_verify_setup", psa_mac_verify_setup(&op, id, alg));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg, 60));
	tp_st("psa_mac_update", psa_mac_update(&op, mac_msg + 60, 40));
	tp_st("psa_mac_verify_finish", psa_mac_verify_finish(&op, out, len));
	tp_st("psa_mac_abort", psa_mac_abort(&op));
	out[len > 0 ? len - 1 : 0] ^= 1;
	tp_st("psa_mac_verify last-byte-flipped", psa_mac_verify(id, alg, mac_msg, 100, out, len));
	tp_destroy(id);
}

/* Which truncated MACs a policy permits, as PSA's rules say (all on HMAC-SHA-256). */
static void
mac_policies(void)
{
	const psa_algorithm_t h = PSA_ALG_HMAC(PSA_ALG_SHA_256);

	mac_policy_one("mac policy full, truncated asked", MAC_USAGE, h,
	    PSA_ALG_TRUNCATED_MAC(h, 16));
	mac_policy_one("mac policy full, full-length truncation asked", MAC_USAGE, h,
	    PSA_ALG_TRUNCATED_MAC(h, 32));
	mac_policy_one("mac policy truncated, full asked", MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(h, 16), h);
	mac_policy_one("mac policy truncated, same asked", MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(h, 16), PSA_ALG_TRUNCATED_MAC(h, 16));
	mac_policy_one("mac policy truncated, other length asked", MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(h, 16), PSA_ALG_TRUNCATED_MAC(h, 20));
	mac_policy_one("mac policy truncated to full length, full asked", MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(h, 32), h);
	mac_policy_one("mac policy at-least-16, 20 asked", MAC_USAGE,
	    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(h, 16), PSA_ALG_TRUNCATED_MAC(h, 20));
	mac_policy_one("mac policy at-least-16, 10 asked", MAC_USAGE,
	    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(h, 16), PSA_ALG_TRUNCATED_MAC(h, 10));
	mac_policy_one("mac policy at-least-16, full asked", MAC_USAGE,
	    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(h, 16), h);
	mac_policy_one("mac policy at-least-16, the wildcard asked", MAC_USAGE,
	    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(h, 16), PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(h, 16));
	mac_policy_one("mac policy truncated, verify-only key", PSA_KEY_USAGE_VERIFY_MESSAGE,
	    PSA_ALG_TRUNCATED_MAC(h, 16), PSA_ALG_TRUNCATED_MAC(h, 16));
	mac_policy_one("mac policy sha-1 truncated to 10", MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_1), 10),
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_1), 10));
	mac_policy_one("mac policy truncated longer than the hash", MAC_USAGE,
	    PSA_ALG_TRUNCATED_MAC(h, 40), PSA_ALG_TRUNCATED_MAC(h, 40));
	/* Last: under 4 bytes is NOT_SUPPORTED in Mbed TLS, which ends a case's comparison. */
	mac_policy_one("mac policy truncated to 3", MAC_USAGE, PSA_ALG_TRUNCATED_MAC(h, 3),
	    PSA_ALG_TRUNCATED_MAC(h, 3));
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(mac_msg); i++)
		mac_msg[i] = (uint8_t)(i * 13 % 253);
	tp_init();
	for (i = 0; i < sizeof(mac_kats) / sizeof(mac_kats[0]); i++)
		mac_kat(i);
	mac_multipart("mac hmac-sha256 multipart", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_HMAC(PSA_ALG_SHA_256), "00112233445566778899aabbccddeeff0123456789");
	mac_multipart("mac hmac-sha512 multipart", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_HMAC(PSA_ALG_SHA_512),
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	mac_multipart("mac hmac-sha256-truncated-20 multipart", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 20), "0f0e0d0c0b0a09080706");
	mac_multipart("mac hmac-sha256 multipart, 32-byte key", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_HMAC(PSA_ALG_SHA_256), MAC_KEY32);
	mac_multipart("mac hmac-sha256-truncated-20 multipart, 32-byte key", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_256), 20), MAC_KEY32);
	mac_multipart("mac hmac-sha1 multipart", PSA_KEY_TYPE_HMAC, PSA_ALG_HMAC(PSA_ALG_SHA_1),
	    MAC_KEY32);
	mac_multipart("mac hmac-sha1-truncated-4 multipart", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_HMAC(PSA_ALG_SHA_1), 4), MAC_KEY32);
	mac_multipart("mac cmac-aes128-truncated-8 multipart", PSA_KEY_TYPE_AES,
	    PSA_ALG_TRUNCATED_MAC(PSA_ALG_CMAC, 8), "2b7e151628aed2a6abf7158809cf4f3c");
	mac_multipart("mac cmac-aes256 multipart", PSA_KEY_TYPE_AES, PSA_ALG_CMAC,
	    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
	mac_at_least("mac hmac-sha256 at-least-12", PSA_KEY_TYPE_HMAC,
	    PSA_ALG_HMAC(PSA_ALG_SHA_256),
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	mac_at_least("mac cmac-aes128 at-least-12", PSA_KEY_TYPE_AES, PSA_ALG_CMAC,
	    "2b7e151628aed2a6abf7158809cf4f3c");
	mac_errors();
	mac_policies();
	return tp_done();
}
