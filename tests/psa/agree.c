/* agree.c: raw key agreement: ECDH P-256 (RFC 5903 section 8.1) and X25519 (RFC 7748
 * section 6.1), generated pairs, and the errors. */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "tp.h"

static void
agree_kat(const char *name, psa_key_type_t type, const char *priv, const char *peer_hex,
    const char *want)
{
	uint8_t peer[128], out[128];
	size_t plen, len = 0;
	psa_key_id_t id;
	psa_status_t st;

	tp_case(name);
	id = tp_import("psa_import_key", type, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH, priv);
	plen = tp_unhex(peer_hex, peer, sizeof(peer));
	st = psa_raw_key_agreement(PSA_ALG_ECDH, id, peer, plen, out, sizeof(out), &len);
	tp_hex("psa_raw_key_agreement", st, out, len);
	tp_kat(name, st, out, len, want);
	tp_st("psa_raw_key_agreement short-buffer", psa_raw_key_agreement(PSA_ALG_ECDH, id, peer,
	    plen, out, len - 1, &len));
	peer[plen - 1] ^= 1;
	tp_st("psa_raw_key_agreement bad-peer", psa_raw_key_agreement(PSA_ALG_ECDH, id, peer,
	    plen, out, sizeof(out), &len));
	tp_st("psa_raw_key_agreement short-peer", psa_raw_key_agreement(PSA_ALG_ECDH, id, peer,
	    plen - 1, out, sizeof(out), &len));
	tp_st("psa_raw_key_agreement not-agreement", psa_raw_key_agreement(PSA_ALG_HKDF(
	    PSA_ALG_SHA_256), id, peer, plen, out, sizeof(out), &len));
	tp_destroy(id);
}

static void
agree_generated(const char *name, psa_key_type_t type, size_t bits)
{
	uint8_t pa[160], pb[160], sa[80], sb[80];
	size_t la = 0, lb = 0, na = 0, nb = 0;
	psa_key_id_t a, b;
	psa_status_t st;

	tp_case(name);
	a = tp_generate("psa_generate_key", type, bits, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
	b = tp_generate("psa_generate_key", type, bits, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH);
	st = psa_export_public_key(a, pa, sizeof(pa), &la);
	tp_len("psa_export_public_key", st, la);
	st = psa_export_public_key(b, pb, sizeof(pb), &lb);
	tp_len("psa_export_public_key", st, lb);
	st = psa_raw_key_agreement(PSA_ALG_ECDH, a, pb, lb, sa, sizeof(sa), &na);
	tp_len("psa_raw_key_agreement a", st, na);
	st = psa_raw_key_agreement(PSA_ALG_ECDH, b, pa, la, sb, sizeof(sb), &nb);
	tp_len("psa_raw_key_agreement b", st, nb);
	tp_note("both sides agree: %s", na == nb && na > 0 && memcmp(sa, sb, na) == 0 ? "yes" :
	    "no");
	tp_destroy(a);
	tp_destroy(b);
}

static void
agree_errors(void)
{
	uint8_t peer[65], out[32];
	size_t len = 0;
	psa_key_id_t id;

	tp_case("agree errors");
	tp_unhex(FIX_5903_GR, peer, sizeof(peer));
	id = tp_import("psa_import_key sign-only", PSA_KEY_TYPE_ECC_KEY_PAIR(
	    PSA_ECC_FAMILY_SECP_R1), PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
	    FIX_5903_I);
	tp_want("psa_raw_key_agreement not-permitted", psa_raw_key_agreement(PSA_ALG_ECDH, id,
	    peer, sizeof(peer), out, sizeof(out), &len), PSA_ERROR_NOT_PERMITTED);
	tp_destroy(id);
	id = tp_import("psa_import_key x25519", PSA_KEY_TYPE_ECC_KEY_PAIR(
	    PSA_ECC_FAMILY_MONTGOMERY), PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH, FIX_X25519_A);
	tp_st("psa_raw_key_agreement p256-peer-on-x25519", psa_raw_key_agreement(PSA_ALG_ECDH,
	    id, peer, sizeof(peer), out, sizeof(out), &len));
	tp_destroy(id);
	tp_want("psa_raw_key_agreement destroyed", psa_raw_key_agreement(PSA_ALG_ECDH, id,
	    peer, sizeof(peer), out, sizeof(out), &len), PSA_ERROR_INVALID_HANDLE);
}

int
main(void)
{
	tp_init();
	agree_kat("ecdh-p256-rfc5903-initiator", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    FIX_5903_I, FIX_5903_GR, FIX_5903_GIR);
	agree_kat("ecdh-p256-rfc5903-responder", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1),
	    FIX_5903_R, FIX_5903_GI, FIX_5903_GIR);
	agree_kat("x25519-rfc7748", PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_MONTGOMERY),
	    FIX_X25519_A, FIX_X25519_B_PUB, FIX_X25519_K);
	agree_generated("agree generated ecdh-p256", PSA_KEY_TYPE_ECC_KEY_PAIR(
	    PSA_ECC_FAMILY_SECP_R1), 256);
	agree_generated("agree generated ecdh-p384", PSA_KEY_TYPE_ECC_KEY_PAIR(
	    PSA_ECC_FAMILY_SECP_R1), 384);
	agree_generated("agree generated x25519", PSA_KEY_TYPE_ECC_KEY_PAIR(
	    PSA_ECC_FAMILY_MONTGOMERY), 255);
	agree_errors();
	return tp_done();
}
