/* persist.c: a persistent key outlives the process that made it: "persist make" imports
 * and generates keys under fixed ids and exits; "persist use" (another process of the
 * same application) finds them, uses and destroys them. The runner joins the two
 * transcripts case by case. */
#include <stdio.h>
#include <string.h>

#include "tp.h"

#define PERSIST_AES	((psa_key_id_t)0x3f5a0101)
#define PERSIST_ECC	((psa_key_id_t)0x3f5a0102)

static void
persist_make(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t key[16] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0xef, 0xcd, 0xab,
	    0x89, 0x67, 0x45, 0x23, 0x01 };
	psa_key_id_t id = 0;

	tp_case("persist aes");
	psa_set_key_id(&attr, PERSIST_AES);
	psa_set_key_type(&attr, PSA_KEY_TYPE_AES);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_ENCRYPT);
	psa_set_key_algorithm(&attr, PSA_ALG_ECB_NO_PADDING);
	tp_st("psa_import_key aes", psa_import_key(&attr, key, sizeof(key), &id));
	psa_reset_key_attributes(&attr);
	tp_case("persist ecc");
	psa_set_key_id(&attr, PERSIST_ECC);
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	tp_st("psa_generate_key ecc", psa_generate_key(&attr, &id));
}

static void
persist_use(void)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t out[64], hash[32] = { 7 };
	size_t len = 0;
	psa_status_t st;

	tp_case("persist aes");
	st = psa_get_key_attributes(PERSIST_AES, &attr);
	tp_st("psa_get_key_attributes aes", st);
	if (st == PSA_SUCCESS)
		tp_note("type=0x%04x bits=%zu lifetime=0x%08x", (unsigned)psa_get_key_type(&attr),
		    psa_get_key_bits(&attr), (unsigned)psa_get_key_lifetime(&attr));
	st = psa_export_key(PERSIST_AES, out, sizeof(out), &len);
	tp_hex("psa_export_key aes", st, out, len);
	st = psa_cipher_encrypt(PERSIST_AES, PSA_ALG_ECB_NO_PADDING, hash, 16, out, sizeof(out),
	    &len);
	tp_hex("psa_cipher_encrypt aes", st, out, len);
	tp_st("psa_destroy_key aes", psa_destroy_key(PERSIST_AES));
	tp_st("psa_export_key aes destroyed", psa_export_key(PERSIST_AES, out, sizeof(out),
	    &len));
	tp_case("persist ecc");
	st = psa_sign_hash(PERSIST_ECC, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, sizeof(hash), out,
	    sizeof(out), &len);
	tp_len("psa_sign_hash ecc", st, len);
	tp_st("psa_verify_hash ecc", psa_verify_hash(PERSIST_ECC, PSA_ALG_ECDSA(PSA_ALG_SHA_256),
	    hash, sizeof(hash), out, len));
	tp_st("psa_destroy_key ecc", psa_destroy_key(PERSIST_ECC));
}

int
main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "make") != 0 && strcmp(argv[1], "use") != 0)) {
		fprintf(stderr, "usage: persist make|use\n");
		return 2;
	}
	tp_init();
	if (strcmp(argv[1], "make") == 0)
		persist_make();
	else
		persist_use();
	return tp_done();
}
