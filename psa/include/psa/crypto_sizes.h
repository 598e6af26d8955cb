/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-psa: buffer sizes of the PSA Cryptography API 1.0.1: what an output
 * needs for a given key type, size and algorithm (*_SIZE), and enough for any
 * key or algorithm this library supports (*_MAX_SIZE). The limits (RSA keys up to
 * 4096 bits, curves up to 521 bits, hashes up to 64 bytes) are those of Debian's
 * Mbed TLS 2.28, so that a buffer sized for one fits the other.
 */
#ifndef PARSEC_PSA_CRYPTO_SIZES_H
#define PARSEC_PSA_CRYPTO_SIZES_H

#include "crypto_values.h"

#define PSA_BITS_TO_BYTES(bits) (((bits) + 7) / 8)
#define PSA_BYTES_TO_BITS(bytes) ((bytes) * 8)
#define PSA_ROUND_UP_TO_MULTIPLE(block_size, length) \
	(((length) + (block_size) - 1) / (block_size) * (block_size))

/* The largest keys this library's limits allow for. */
#define PSA_VENDOR_RSA_MAX_KEY_BITS 4096
#define PSA_VENDOR_ECC_MAX_CURVE_BITS 521

/* ==== hashes ==== */
/* The digest length of a hash, or of the hash inside an HMAC; 0 if unknown. */
#define PSA_HASH_LENGTH(alg) \
	(PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_MD2 ? 16 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_MD4 ? 16 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_MD5 ? 16 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_RIPEMD160 ? 20 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_1 ? 20 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_224 ? 28 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_256 ? 32 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_384 ? 48 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_512 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_512_224 ? 28 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_512_256 ? 32 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_224 ? 28 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_256 ? 32 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_384 ? 48 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_512 ? 64 : 0)
/* The input block of a hash (what HMAC pads its key to); 0 if unknown. */
#define PSA_HASH_BLOCK_LENGTH(alg) \
	(PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_MD2 ? 16 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_MD4 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_MD5 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_RIPEMD160 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_1 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_224 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_256 ? 64 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_384 ? 128 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_512 ? 128 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_512_224 ? 128 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA_512_256 ? 128 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_224 ? 144 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_256 ? 136 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_384 ? 104 : \
	 PSA_ALG_HMAC_GET_HASH(alg) == PSA_ALG_SHA3_512 ? 72 : 0)
#define PSA_HASH_MAX_SIZE 64
#define PSA_HMAC_MAX_HASH_BLOCK_SIZE 128

/*
 * psa_hash_suspend()'s output: the algorithm (4 bytes), the input length so far,
 * the hash state and the unprocessed part of a block, for the hashes whose format
 * the API gives (MD2, MD4, MD5, RIPEMD-160, SHA-1, SHA-224, SHA-256, SHA-384,
 * SHA-512, SHA-512/256); 0 for any other.
 */
#define PSA_HASH_SUSPEND_ALGORITHM_FIELD_LENGTH ((size_t)4)
#define PSA_HASH_SUSPEND_INPUT_LENGTH_FIELD_LENGTH(alg) \
	((alg) == PSA_ALG_MD2 ? 1 : \
	 (alg) == PSA_ALG_MD4 || (alg) == PSA_ALG_MD5 || (alg) == PSA_ALG_RIPEMD160 || \
	 (alg) == PSA_ALG_SHA_1 || (alg) == PSA_ALG_SHA_224 || (alg) == PSA_ALG_SHA_256 ? 8 : \
	 (alg) == PSA_ALG_SHA_384 || (alg) == PSA_ALG_SHA_512 || (alg) == PSA_ALG_SHA_512_256 ? 16 : 0)
#define PSA_HASH_SUSPEND_HASH_STATE_FIELD_LENGTH(alg) \
	((alg) == PSA_ALG_MD2 ? 64 : \
	 (alg) == PSA_ALG_MD4 || (alg) == PSA_ALG_MD5 ? 16 : \
	 (alg) == PSA_ALG_RIPEMD160 || (alg) == PSA_ALG_SHA_1 ? 20 : \
	 (alg) == PSA_ALG_SHA_224 || (alg) == PSA_ALG_SHA_256 ? 32 : \
	 (alg) == PSA_ALG_SHA_384 || (alg) == PSA_ALG_SHA_512 || (alg) == PSA_ALG_SHA_512_256 ? 64 : 0)
#define PSA_HASH_SUSPEND_OUTPUT_SIZE(alg) \
	(PSA_HASH_SUSPEND_INPUT_LENGTH_FIELD_LENGTH(alg) == 0 ? 0 : \
	 PSA_HASH_SUSPEND_ALGORITHM_FIELD_LENGTH + PSA_HASH_SUSPEND_INPUT_LENGTH_FIELD_LENGTH(alg) + \
	 PSA_HASH_SUSPEND_HASH_STATE_FIELD_LENGTH(alg) + PSA_HASH_BLOCK_LENGTH(alg) - 1)
/* SHA-512's: 4 + 16 + 64 + 127. */
#define PSA_HASH_SUSPEND_OUTPUT_MAX_SIZE 211

/* ==== MACs ==== */
#define PSA_MAC_MAX_SIZE PSA_HASH_MAX_SIZE
/* A MAC's length: its truncation if any, else the hash's or the cipher block's. */
#define PSA_MAC_LENGTH(key_type, key_bits, alg) \
	((alg) & PSA_ALG_MAC_TRUNCATION_MASK ? PSA_MAC_TRUNCATED_LENGTH(alg) : \
	 PSA_ALG_IS_HMAC(alg) ? PSA_HASH_LENGTH(PSA_ALG_HMAC_GET_HASH(alg)) : \
	 PSA_ALG_IS_BLOCK_CIPHER_MAC(alg) ? PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) : \
	 ((void)(key_type), (void)(key_bits), 0))

/* ==== AEAD ==== */
/* Whether two AEAD algorithms are the same but for their tag length and policy flag. */
#define PSA_ALG_AEAD_EQUAL_IGNORING_TAG_(a, b) \
	((((a) ^ (b)) & ~(PSA_ALG_AEAD_TAG_LENGTH_MASK | PSA_ALG_AEAD_AT_LEAST_THIS_LENGTH_FLAG)) == 0)
#define PSA_AEAD_NONCE_LENGTH(key_type, alg) \
	(PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) == 16 ? \
	 (PSA_ALG_AEAD_EQUAL_IGNORING_TAG_(alg, PSA_ALG_CCM) ? 13 : \
	  PSA_ALG_AEAD_EQUAL_IGNORING_TAG_(alg, PSA_ALG_GCM) ? 12 : 0) : \
	 (key_type) == PSA_KEY_TYPE_CHACHA20 && \
	 PSA_ALG_AEAD_EQUAL_IGNORING_TAG_(alg, PSA_ALG_CHACHA20_POLY1305) ? 12 : 0)
#define PSA_AEAD_NONCE_MAX_SIZE 13
#define PSA_AEAD_TAG_LENGTH(key_type, key_bits, alg) \
	(PSA_AEAD_NONCE_LENGTH(key_type, alg) != 0 ? PSA_ALG_AEAD_GET_TAG_LENGTH(alg) : \
	 ((void)(key_bits), 0))
#define PSA_AEAD_TAG_MAX_SIZE 16
#define PSA_AEAD_ENCRYPT_OUTPUT_SIZE(key_type, alg, plaintext_length) \
	(PSA_AEAD_NONCE_LENGTH(key_type, alg) != 0 ? \
	 (plaintext_length) + PSA_ALG_AEAD_GET_TAG_LENGTH(alg) : 0)
#define PSA_AEAD_ENCRYPT_OUTPUT_MAX_SIZE(plaintext_length) \
	((plaintext_length) + PSA_AEAD_TAG_MAX_SIZE)
#define PSA_AEAD_DECRYPT_OUTPUT_SIZE(key_type, alg, ciphertext_length) \
	(PSA_AEAD_NONCE_LENGTH(key_type, alg) != 0 && \
	 (ciphertext_length) > PSA_ALG_AEAD_GET_TAG_LENGTH(alg) ? \
	 (ciphertext_length) - PSA_ALG_AEAD_GET_TAG_LENGTH(alg) : 0)
#define PSA_AEAD_DECRYPT_OUTPUT_MAX_SIZE(ciphertext_length) (ciphertext_length)
/* A block-cipher AEAD may hold back up to a block between calls. */
#define PSA_AEAD_UPDATE_OUTPUT_SIZE(key_type, alg, input_length) \
	(PSA_AEAD_NONCE_LENGTH(key_type, alg) != 0 ? \
	 (PSA_ALG_IS_AEAD_ON_BLOCK_CIPHER(alg) ? \
	  PSA_ROUND_UP_TO_MULTIPLE(PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type), (input_length)) : \
	  (input_length)) : 0)
#define PSA_AEAD_UPDATE_OUTPUT_MAX_SIZE(input_length) \
	(PSA_ROUND_UP_TO_MULTIPLE(PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE, (input_length)))
#define PSA_AEAD_FINISH_OUTPUT_SIZE(key_type, alg) \
	(PSA_AEAD_NONCE_LENGTH(key_type, alg) != 0 && PSA_ALG_IS_AEAD_ON_BLOCK_CIPHER(alg) ? \
	 PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) : 0)
#define PSA_AEAD_FINISH_OUTPUT_MAX_SIZE (PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE)
#define PSA_AEAD_VERIFY_OUTPUT_SIZE(key_type, alg) PSA_AEAD_FINISH_OUTPUT_SIZE(key_type, alg)
#define PSA_AEAD_VERIFY_OUTPUT_MAX_SIZE (PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE)

/* ==== asymmetric ==== */
/* The smallest overhead of RSA encryption padding: OAEP's, else PKCS#1 v1.5's 11. */
#define PSA_RSA_MINIMUM_PADDING_SIZE(alg) \
	(PSA_ALG_IS_RSA_OAEP(alg) ? 2 * PSA_HASH_LENGTH(PSA_ALG_RSA_OAEP_GET_HASH(alg)) + 1 : 11)
/* An ECDSA signature is r then s, each as long as the curve's order. */
#define PSA_ECDSA_SIGNATURE_SIZE(curve_bits) (PSA_BITS_TO_BYTES(curve_bits) * 2)
#define PSA_SIGN_OUTPUT_SIZE(key_type, key_bits, alg) \
	(PSA_KEY_TYPE_IS_RSA(key_type) ? ((void)(alg), PSA_BITS_TO_BYTES(key_bits)) : \
	 PSA_KEY_TYPE_IS_ECC(key_type) ? PSA_ECDSA_SIGNATURE_SIZE(key_bits) : ((void)(alg), 0))
#define PSA_VENDOR_ECDSA_SIGNATURE_MAX_SIZE PSA_ECDSA_SIGNATURE_SIZE(PSA_VENDOR_ECC_MAX_CURVE_BITS)
#define PSA_SIGNATURE_MAX_SIZE \
	(PSA_BITS_TO_BYTES(PSA_VENDOR_RSA_MAX_KEY_BITS) > PSA_VENDOR_ECDSA_SIGNATURE_MAX_SIZE ? \
	 PSA_BITS_TO_BYTES(PSA_VENDOR_RSA_MAX_KEY_BITS) : PSA_VENDOR_ECDSA_SIGNATURE_MAX_SIZE)
#define PSA_ASYMMETRIC_ENCRYPT_OUTPUT_SIZE(key_type, key_bits, alg) \
	(PSA_KEY_TYPE_IS_RSA(key_type) ? ((void)(alg), PSA_BITS_TO_BYTES(key_bits)) : 0)
#define PSA_ASYMMETRIC_ENCRYPT_OUTPUT_MAX_SIZE (PSA_BITS_TO_BYTES(PSA_VENDOR_RSA_MAX_KEY_BITS))
#define PSA_ASYMMETRIC_DECRYPT_OUTPUT_SIZE(key_type, key_bits, alg) \
	(PSA_KEY_TYPE_IS_RSA(key_type) ? \
	 PSA_BITS_TO_BYTES(key_bits) - PSA_RSA_MINIMUM_PADDING_SIZE(alg) : 0)
#define PSA_ASYMMETRIC_DECRYPT_OUTPUT_MAX_SIZE (PSA_BITS_TO_BYTES(PSA_VENDOR_RSA_MAX_KEY_BITS))

/* ==== key export ==== */
/*
 * Upper bounds of the DER forms: an INTEGER of n bits takes at most n/8 + 5
 * bytes; RSAPublicKey is two integers (e at most 32 bits) in a SEQUENCE;
 * RSAPrivateKey has nine, the CRT ones half the modulus. ECC public keys are
 * the uncompressed point 04 || x || y, private keys the bare scalar.
 */
#define PSA_KEY_EXPORT_ASN1_INTEGER_MAX_SIZE(bits) ((bits) / 8 + 5)
#define PSA_KEY_EXPORT_RSA_PUBLIC_KEY_MAX_SIZE(key_bits) \
	(PSA_KEY_EXPORT_ASN1_INTEGER_MAX_SIZE(key_bits) + 11)
#define PSA_KEY_EXPORT_RSA_KEY_PAIR_MAX_SIZE(key_bits) \
	(9 * PSA_KEY_EXPORT_ASN1_INTEGER_MAX_SIZE((key_bits) / 2 + 1) + 14)
#define PSA_KEY_EXPORT_ECC_PUBLIC_KEY_MAX_SIZE(key_bits) (2 * PSA_BITS_TO_BYTES(key_bits) + 1)
#define PSA_KEY_EXPORT_ECC_KEY_PAIR_MAX_SIZE(key_bits) (PSA_BITS_TO_BYTES(key_bits))
#define PSA_EXPORT_KEY_OUTPUT_SIZE(key_type, key_bits) \
	(PSA_KEY_TYPE_IS_UNSTRUCTURED(key_type) ? PSA_BITS_TO_BYTES(key_bits) : \
	 (key_type) == PSA_KEY_TYPE_RSA_KEY_PAIR ? PSA_KEY_EXPORT_RSA_KEY_PAIR_MAX_SIZE(key_bits) : \
	 (key_type) == PSA_KEY_TYPE_RSA_PUBLIC_KEY ? \
	 PSA_KEY_EXPORT_RSA_PUBLIC_KEY_MAX_SIZE(key_bits) : \
	 PSA_KEY_TYPE_IS_ECC_KEY_PAIR(key_type) ? PSA_KEY_EXPORT_ECC_KEY_PAIR_MAX_SIZE(key_bits) : \
	 PSA_KEY_TYPE_IS_ECC_PUBLIC_KEY(key_type) ? \
	 PSA_KEY_EXPORT_ECC_PUBLIC_KEY_MAX_SIZE(key_bits) : 0)
#define PSA_EXPORT_PUBLIC_KEY_OUTPUT_SIZE(key_type, key_bits) \
	(PSA_KEY_TYPE_IS_RSA(key_type) ? PSA_KEY_EXPORT_RSA_PUBLIC_KEY_MAX_SIZE(key_bits) : \
	 PSA_KEY_TYPE_IS_ECC(key_type) ? PSA_KEY_EXPORT_ECC_PUBLIC_KEY_MAX_SIZE(key_bits) : 0)
#define PSA_EXPORT_KEY_PAIR_MAX_SIZE \
	(PSA_KEY_EXPORT_RSA_KEY_PAIR_MAX_SIZE(PSA_VENDOR_RSA_MAX_KEY_BITS) > \
	 PSA_KEY_EXPORT_ECC_KEY_PAIR_MAX_SIZE(PSA_VENDOR_ECC_MAX_CURVE_BITS) ? \
	 PSA_KEY_EXPORT_RSA_KEY_PAIR_MAX_SIZE(PSA_VENDOR_RSA_MAX_KEY_BITS) : \
	 PSA_KEY_EXPORT_ECC_KEY_PAIR_MAX_SIZE(PSA_VENDOR_ECC_MAX_CURVE_BITS))
#define PSA_EXPORT_PUBLIC_KEY_MAX_SIZE \
	(PSA_KEY_EXPORT_RSA_PUBLIC_KEY_MAX_SIZE(PSA_VENDOR_RSA_MAX_KEY_BITS) > \
	 PSA_KEY_EXPORT_ECC_PUBLIC_KEY_MAX_SIZE(PSA_VENDOR_ECC_MAX_CURVE_BITS) ? \
	 PSA_KEY_EXPORT_RSA_PUBLIC_KEY_MAX_SIZE(PSA_VENDOR_RSA_MAX_KEY_BITS) : \
	 PSA_KEY_EXPORT_ECC_PUBLIC_KEY_MAX_SIZE(PSA_VENDOR_ECC_MAX_CURVE_BITS))

/* ==== key agreement and derivation ==== */
#define PSA_RAW_KEY_AGREEMENT_OUTPUT_SIZE(key_type, key_bits) \
	(PSA_KEY_TYPE_IS_ECC_KEY_PAIR(key_type) ? PSA_BITS_TO_BYTES(key_bits) : 0)
#define PSA_RAW_KEY_AGREEMENT_OUTPUT_MAX_SIZE (PSA_BITS_TO_BYTES(PSA_VENDOR_ECC_MAX_CURVE_BITS))
/* The longest pre-shared key TLS 1.2 PSK-to-MS takes. */
#define PSA_TLS12_PSK_TO_MS_PSK_MAX_SIZE 128

/* ==== unauthenticated ciphers ==== */
#define PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE 16
#define PSA_CIPHER_IV_LENGTH(key_type, alg) \
	(PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) > 1 && \
	 ((alg) == PSA_ALG_CTR || (alg) == PSA_ALG_CFB || (alg) == PSA_ALG_OFB || \
	  (alg) == PSA_ALG_XTS || (alg) == PSA_ALG_CBC_NO_PADDING || \
	  (alg) == PSA_ALG_CBC_PKCS7) ? PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) : \
	 (key_type) == PSA_KEY_TYPE_CHACHA20 && (alg) == PSA_ALG_STREAM_CIPHER ? 12 : 0)
#define PSA_CIPHER_IV_MAX_SIZE 16
/* One-shot encryption writes the IV first; PKCS#7 padding adds up to a block. */
#define PSA_CIPHER_ENCRYPT_OUTPUT_SIZE(key_type, alg, input_length) \
	((alg) == PSA_ALG_CBC_PKCS7 ? \
	 (PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) != 0 ? \
	  PSA_ROUND_UP_TO_MULTIPLE(PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type), (input_length) + 1) + \
	  PSA_CIPHER_IV_LENGTH((key_type), (alg)) : 0) : \
	 (PSA_ALG_IS_CIPHER(alg) ? (input_length) + PSA_CIPHER_IV_LENGTH((key_type), (alg)) : 0))
#define PSA_CIPHER_ENCRYPT_OUTPUT_MAX_SIZE(input_length) \
	(PSA_ROUND_UP_TO_MULTIPLE(PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE, (input_length) + 1) + \
	 PSA_CIPHER_IV_MAX_SIZE)
#define PSA_CIPHER_DECRYPT_OUTPUT_SIZE(key_type, alg, input_length) \
	(PSA_ALG_IS_CIPHER(alg) && \
	 ((key_type) & PSA_KEY_TYPE_CATEGORY_MASK) == PSA_KEY_TYPE_CATEGORY_SYMMETRIC ? \
	 (input_length) : 0)
#define PSA_CIPHER_DECRYPT_OUTPUT_MAX_SIZE(input_length) (input_length)
#define PSA_CIPHER_UPDATE_OUTPUT_SIZE(key_type, alg, input_length) \
	(PSA_ALG_IS_CIPHER(alg) && PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) != 0 ? \
	 ((alg) == PSA_ALG_CBC_PKCS7 || (alg) == PSA_ALG_CBC_NO_PADDING || \
	  (alg) == PSA_ALG_ECB_NO_PADDING ? \
	  PSA_ROUND_UP_TO_MULTIPLE(PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type), (input_length)) : \
	  (input_length)) : 0)
#define PSA_CIPHER_UPDATE_OUTPUT_MAX_SIZE(input_length) \
	(PSA_ROUND_UP_TO_MULTIPLE(PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE, (input_length)))
#define PSA_CIPHER_FINISH_OUTPUT_SIZE(key_type, alg) \
	(PSA_ALG_IS_CIPHER(alg) && (alg) == PSA_ALG_CBC_PKCS7 ? \
	 PSA_BLOCK_CIPHER_BLOCK_LENGTH(key_type) : 0)
#define PSA_CIPHER_FINISH_OUTPUT_MAX_SIZE (PSA_BLOCK_CIPHER_BLOCK_MAX_SIZE)

#endif /* PARSEC_PSA_CRYPTO_SIZES_H */
