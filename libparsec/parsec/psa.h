/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSA Crypto API 1.0 encodings of key types, algorithms and usage flags, as
 * libparsec's calls take them, under a PARSEC_PSA_ prefix so this header and
 * mbedtls's <psa/crypto.h> can be included together.
 */
#ifndef PARSEC_PSA_H
#define PARSEC_PSA_H

#include <stdint.h>

/* ---- key types (psa_key_type_t) ---- */
#define PARSEC_PSA_KEY_TYPE_NONE 0x0000u
#define PARSEC_PSA_KEY_TYPE_RAW_DATA 0x1001u
#define PARSEC_PSA_KEY_TYPE_HMAC 0x1100u
#define PARSEC_PSA_KEY_TYPE_DERIVE 0x1200u
#define PARSEC_PSA_KEY_TYPE_AES 0x2400u
#define PARSEC_PSA_KEY_TYPE_DES 0x2301u
#define PARSEC_PSA_KEY_TYPE_CAMELLIA 0x2403u
#define PARSEC_PSA_KEY_TYPE_CHACHA20 0x2004u
#define PARSEC_PSA_KEY_TYPE_RSA_PUBLIC_KEY 0x4001u
#define PARSEC_PSA_KEY_TYPE_RSA_KEY_PAIR 0x7001u

/* Elliptic curve families, for PARSEC_PSA_KEY_TYPE_ECC_*(family). */
#define PARSEC_PSA_ECC_FAMILY_SECP_K1 0x17u
#define PARSEC_PSA_ECC_FAMILY_SECP_R1 0x12u
#define PARSEC_PSA_ECC_FAMILY_SECP_R2 0x1bu
#define PARSEC_PSA_ECC_FAMILY_SECT_K1 0x27u
#define PARSEC_PSA_ECC_FAMILY_SECT_R1 0x22u
#define PARSEC_PSA_ECC_FAMILY_SECT_R2 0x2bu
#define PARSEC_PSA_ECC_FAMILY_BRAINPOOL_P_R1 0x30u
#define PARSEC_PSA_ECC_FAMILY_MONTGOMERY 0x41u
#define PARSEC_PSA_ECC_FAMILY_TWISTED_EDWARDS 0x42u
#define PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(family) (0x7100u | (uint32_t)(family))
#define PARSEC_PSA_KEY_TYPE_ECC_PUBLIC_KEY(family) (0x4100u | (uint32_t)(family))

/* Diffie-Hellman group families, for PARSEC_PSA_KEY_TYPE_DH_*(family). */
#define PARSEC_PSA_DH_FAMILY_RFC7919 0x03u
#define PARSEC_PSA_KEY_TYPE_DH_KEY_PAIR(family) (0x7200u | (uint32_t)(family))
#define PARSEC_PSA_KEY_TYPE_DH_PUBLIC_KEY(family) (0x4200u | (uint32_t)(family))

/* The public key type that goes with a key pair type. */
#define PARSEC_PSA_KEY_TYPE_PUBLIC_KEY_OF_KEY_PAIR(type) ((uint32_t)(type) & ~0x3000u)
#define PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(type) (((uint32_t)(type) & 0x7000u) == 0x7000u)

/* ---- usage flags (psa_key_usage_t), or'ed together ---- */
#define PARSEC_PSA_KEY_USAGE_EXPORT 0x00000001u
#define PARSEC_PSA_KEY_USAGE_COPY 0x00000002u
#define PARSEC_PSA_KEY_USAGE_CACHE 0x00000004u
#define PARSEC_PSA_KEY_USAGE_ENCRYPT 0x00000100u
#define PARSEC_PSA_KEY_USAGE_DECRYPT 0x00000200u
#define PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE 0x00000400u
#define PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE 0x00000800u
#define PARSEC_PSA_KEY_USAGE_SIGN_HASH 0x00001000u
#define PARSEC_PSA_KEY_USAGE_VERIFY_HASH 0x00002000u
#define PARSEC_PSA_KEY_USAGE_DERIVE 0x00004000u

/* ---- algorithms (psa_algorithm_t) ---- */
#define PARSEC_PSA_ALG_NONE 0x00000000u

/* Hashes; the signature and MAC macros below take one of them. */
#define PARSEC_PSA_ALG_MD5 0x02000003u
#define PARSEC_PSA_ALG_RIPEMD160 0x02000004u
#define PARSEC_PSA_ALG_SHA_1 0x02000005u
#define PARSEC_PSA_ALG_SHA_224 0x02000008u
#define PARSEC_PSA_ALG_SHA_256 0x02000009u
#define PARSEC_PSA_ALG_SHA_384 0x0200000au
#define PARSEC_PSA_ALG_SHA_512 0x0200000bu
#define PARSEC_PSA_ALG_SHA_512_224 0x0200000cu
#define PARSEC_PSA_ALG_SHA_512_256 0x0200000du
#define PARSEC_PSA_ALG_SHA3_224 0x02000010u
#define PARSEC_PSA_ALG_SHA3_256 0x02000011u
#define PARSEC_PSA_ALG_SHA3_384 0x02000012u
#define PARSEC_PSA_ALG_SHA3_512 0x02000013u
/* In a key's policy: the signature algorithm with any hash. */
#define PARSEC_PSA_ALG_ANY_HASH 0x020000ffu
/* The hash a signature, MAC or OAEP algorithm is built on. */
#define PARSEC_PSA_ALG_GET_HASH(alg) (0x02000000u | ((uint32_t)(alg) & 0xffu))

#define PARSEC_PSA_ALG_HASH_PART(hash) ((uint32_t)(hash) & 0xffu)

/* MACs. */
#define PARSEC_PSA_ALG_HMAC(hash) (0x03800000u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_CBC_MAC 0x03c00100u
#define PARSEC_PSA_ALG_CMAC 0x03c00200u

/* Unauthenticated ciphers. */
#define PARSEC_PSA_ALG_STREAM_CIPHER 0x04800100u
#define PARSEC_PSA_ALG_CTR 0x04c01000u
#define PARSEC_PSA_ALG_CFB 0x04c01100u
#define PARSEC_PSA_ALG_OFB 0x04c01200u
#define PARSEC_PSA_ALG_XTS 0x0440ff00u
#define PARSEC_PSA_ALG_ECB_NO_PADDING 0x04404400u
#define PARSEC_PSA_ALG_CBC_NO_PADDING 0x04404000u
#define PARSEC_PSA_ALG_CBC_PKCS7 0x04404100u

/* AEAD. */
#define PARSEC_PSA_ALG_CCM 0x05500100u
#define PARSEC_PSA_ALG_GCM 0x05500200u
#define PARSEC_PSA_ALG_CHACHA20_POLY1305 0x05100500u

/* Signatures. */
#define PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN(hash) (0x06000200u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_RSA_PKCS1V15_SIGN_RAW 0x06000200u
#define PARSEC_PSA_ALG_RSA_PSS(hash) (0x06000300u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_ECDSA(hash) (0x06000600u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_ECDSA_ANY 0x06000600u
#define PARSEC_PSA_ALG_DETERMINISTIC_ECDSA(hash) (0x06000700u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_PURE_EDDSA 0x06000800u

/* Asymmetric encryption. */
#define PARSEC_PSA_ALG_RSA_PKCS1V15_CRYPT 0x07000200u
#define PARSEC_PSA_ALG_RSA_OAEP(hash) (0x07000300u | PARSEC_PSA_ALG_HASH_PART(hash))

/* Key derivation and agreement. */
#define PARSEC_PSA_ALG_HKDF(hash) (0x08000100u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_TLS12_PRF(hash) (0x08000200u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_TLS12_PSK_TO_MS(hash) (0x08000300u | PARSEC_PSA_ALG_HASH_PART(hash))
#define PARSEC_PSA_ALG_FFDH 0x09010000u
#define PARSEC_PSA_ALG_ECDH 0x09020000u

#endif
