/* aead_kats.h: the AEAD known answers aead.c and aead_mp.c share: GCM (the test cases of
 * McGrew and Viega's GCM specification), CCM (SP 800-38C appendix C, RFC 3610), ChaCha20-Poly1305
 * (RFC 8439 section 2.8.2). The output is the ciphertext followed by the tag. */
#ifndef AEAD_KATS_H
#define AEAD_KATS_H

#include "tp.h"

static const struct {
	const char	*name;
	psa_key_type_t	 type;
	psa_algorithm_t	 alg;
	const char	*key, *nonce, *ad, *pt, *ct;
} aead_kats[] = {
	{ "aes128-gcm-case2", PSA_KEY_TYPE_AES, PSA_ALG_GCM,
	    "00000000000000000000000000000000", "000000000000000000000000", "",
	    "00000000000000000000000000000000",
	    "0388dace60b6a392f328c2b971b2fe78" "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "aes128-gcm-case4", PSA_KEY_TYPE_AES, PSA_ALG_GCM,
	    "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
	    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	    "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
	    "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "aes128-ccm-sp800-38c-c1", PSA_KEY_TYPE_AES,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 4),
	    "404142434445464748494a4b4c4d4e4f", "10111213141516", "0001020304050607",
	    "20212223", "7162015b" "4dac255d" },
	{ "aes128-ccm-sp800-38c-c2", PSA_KEY_TYPE_AES,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 6),
	    "404142434445464748494a4b4c4d4e4f", "1011121314151617",
	    "000102030405060708090a0b0c0d0e0f", "202122232425262728292a2b2c2d2e2f",
	    "d2a1f0e051ea5f62081a7792073d593d" "1fc64fbfaccd" },
	{ "aes128-ccm-sp800-38c-c3", PSA_KEY_TYPE_AES,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 8),
	    "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
	    "000102030405060708090a0b0c0d0e0f10111213",
	    "202122232425262728292a2b2c2d2e2f3031323334353637",
	    "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5" "484392fbc1b09951" },
	{ "aes128-ccm-rfc3610-1", PSA_KEY_TYPE_AES,
	    PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_CCM, 8),
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5", "0001020304050607",
	    "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
	    "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384" "17e8d12cfdf926e0" },
	{ "chacha20-poly1305-rfc8439", PSA_KEY_TYPE_CHACHA20, PSA_ALG_CHACHA20_POLY1305,
	    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	    "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	    /* "Ladies and Gentlemen of the class of '99: If I could offer you only one tip
	     * for the future, sunscreen would be it." */
	    "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	    "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	    "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	    "637265656e20776f756c642062652069742e",
	    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	    "3ff4def08e4b7a9de576d26586cec64b6116"
	    "1ae10b594f09e26a7e902ecbd0600691" },
};

#define AEAD_NKATS	(sizeof(aead_kats) / sizeof(aead_kats[0]))

#endif
