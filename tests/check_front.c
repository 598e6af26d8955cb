/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: the codec library's protobuf <-> PSA conversions (literal PSA
 * encodings, round trips, rejection of out-of-range enums) and frontd's
 * request parser.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_encode.h>

#include "psa_codec.h"
#include "frontd.h"
#include "log.h"
#include "list_keys.pb.h"
#include "psa_sign_hash.pb.h"
#include "testlib.h"

static psa_algorithm_Algorithm
sig(pb_size_t variant, int hash)
{
	psa_algorithm_Algorithm a = psa_algorithm_Algorithm_init_zero;
	psa_algorithm_Algorithm_AsymmetricSignature_SignHash *h = NULL;

	a.which_variant = psa_algorithm_Algorithm_asymmetric_signature_tag;
	a.variant.asymmetric_signature.which_variant = variant;
	switch (variant) {
	case psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag:
		a.variant.asymmetric_signature.variant.ecdsa.has_hash_alg = true;
		h = &a.variant.asymmetric_signature.variant.ecdsa.hash_alg;
		break;
	case psa_algorithm_Algorithm_AsymmetricSignature_rsa_pss_tag:
		a.variant.asymmetric_signature.variant.rsa_pss.has_hash_alg = true;
		h = &a.variant.asymmetric_signature.variant.rsa_pss.hash_alg;
		break;
	case psa_algorithm_Algorithm_AsymmetricSignature_rsa_pkcs1v15_sign_tag:
		a.variant.asymmetric_signature.variant.rsa_pkcs1v15_sign.has_hash_alg = true;
		h = &a.variant.asymmetric_signature.variant.rsa_pkcs1v15_sign.hash_alg;
		break;
	case psa_algorithm_Algorithm_AsymmetricSignature_deterministic_ecdsa_tag:
		a.variant.asymmetric_signature.variant.deterministic_ecdsa.has_hash_alg = true;
		h = &a.variant.asymmetric_signature.variant.deterministic_ecdsa.hash_alg;
		break;
	}
	if (h != NULL && hash < 0) {
		h->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_SignHash_any_tag;
	} else if (h != NULL) {
		h->which_variant = psa_algorithm_Algorithm_AsymmetricSignature_SignHash_specific_tag;
		h->variant.specific = (psa_algorithm_Algorithm_Hash)hash;
	}
	return a;
}

/* Literal encodings from the PSA Crypto API, so a wrong macro use shows. */
struct alg_case {
	const char *name;
	psa_algorithm_Algorithm pb;
	uint32_t psa;
};

static struct alg_case alg_cases[24];
static size_t alg_case_count;

static void
add_case(const char *name, psa_algorithm_Algorithm pb, uint32_t psa)
{
	ck_assert_uint_lt(alg_case_count, sizeof(alg_cases) / sizeof(alg_cases[0]));
	alg_cases[alg_case_count].name = name;
	alg_cases[alg_case_count].pb = pb;
	alg_cases[alg_case_count].psa = psa;
	alg_case_count++;
}

/* Truncated MACs and shortened AEAD tags, exact or "at least" (parsecd's field 1000). */
static void
build_length_cases(void)
{
	psa_algorithm_Algorithm a;
	psa_algorithm_Algorithm_Mac_Truncated *mac = &a.variant.mac.variant.truncated;
	psa_algorithm_Algorithm_Aead_AeadWithShortenedTag *aead =
	    &a.variant.aead.variant.aead_with_shortened_tag;

	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_mac_tag;
	a.variant.mac.which_variant = psa_algorithm_Algorithm_Mac_truncated_tag;
	mac->has_mac_alg = true;
	mac->mac_alg.which_variant = psa_algorithm_Algorithm_Mac_FullLength_hmac_tag;
	mac->mac_alg.variant.hmac.hash_alg = psa_algorithm_Algorithm_Hash_SHA_256;
	mac->mac_length = 12;
	add_case("hmac sha256 truncated to 12", a, 0x038c0009);
	/* parsecd's extension field: a shortest length, PSA_ALG_AT_LEAST_THIS_LENGTH_MAC. */
	mac->at_least_this_length = true;
	add_case("hmac sha256 of at least 12", a, 0x038c8009);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_aead_tag;
	a.variant.aead.which_variant = psa_algorithm_Algorithm_Aead_aead_with_shortened_tag_tag;
	aead->aead_alg = psa_algorithm_Algorithm_Aead_AeadWithDefaultLengthTag_GCM;
	aead->tag_length = 12;
	add_case("gcm tag 12", a, 0x054c0200);
	aead->at_least_this_length = true;
	add_case("gcm tag of at least 12", a, 0x054c8200);
	/* "At least" the default tag: the shortened form, the one that can say it. */
	aead->tag_length = 16;
	add_case("gcm tag of at least 16", a, 0x05508200);
}

static void
build_cases(void)
{
	psa_algorithm_Algorithm a;

	alg_case_count = 0;
	add_case("ecdsa sha256", sig(psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag,
	    psa_algorithm_Algorithm_Hash_SHA_256), 0x06000609);
	add_case("rsa pss any hash", sig(psa_algorithm_Algorithm_AsymmetricSignature_rsa_pss_tag,
	    -1), 0x060003ff);
	add_case("pkcs1v15 sha384", sig(psa_algorithm_Algorithm_AsymmetricSignature_rsa_pkcs1v15_sign_tag,
	    psa_algorithm_Algorithm_Hash_SHA_384), 0x0600020a);
	add_case("deterministic ecdsa sha512",
	    sig(psa_algorithm_Algorithm_AsymmetricSignature_deterministic_ecdsa_tag,
	    psa_algorithm_Algorithm_Hash_SHA_512), 0x0600070b);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_hash_tag;
	a.variant.hash = psa_algorithm_Algorithm_Hash_SHA_256;
	add_case("sha256", a, 0x02000009);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_mac_tag;
	a.variant.mac.which_variant = psa_algorithm_Algorithm_Mac_full_length_tag;
	a.variant.mac.variant.full_length.which_variant =
	    psa_algorithm_Algorithm_Mac_FullLength_hmac_tag;
	a.variant.mac.variant.full_length.variant.hmac.hash_alg =
	    psa_algorithm_Algorithm_Hash_SHA_256;
	add_case("hmac sha256", a, 0x03800009);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_mac_tag;
	a.variant.mac.which_variant = psa_algorithm_Algorithm_Mac_full_length_tag;
	a.variant.mac.variant.full_length.which_variant =
	    psa_algorithm_Algorithm_Mac_FullLength_cmac_tag;
	add_case("cmac", a, 0x03c00200);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_cipher_tag;
	a.variant.cipher = psa_algorithm_Algorithm_Cipher_CBC_PKCS7;
	add_case("cbc pkcs7", a, 0x04404100);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_aead_tag;
	a.variant.aead.which_variant = psa_algorithm_Algorithm_Aead_aead_with_default_length_tag_tag;
	a.variant.aead.variant.aead_with_default_length_tag =
	    psa_algorithm_Algorithm_Aead_AeadWithDefaultLengthTag_GCM;
	add_case("gcm", a, 0x05500200);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_asymmetric_encryption_tag;
	a.variant.asymmetric_encryption.which_variant =
	    psa_algorithm_Algorithm_AsymmetricEncryption_rsa_oaep_tag;
	a.variant.asymmetric_encryption.variant.rsa_oaep.hash_alg =
	    psa_algorithm_Algorithm_Hash_SHA_256;
	add_case("oaep sha256", a, 0x07000309);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_key_agreement_tag;
	a.variant.key_agreement.which_variant = psa_algorithm_Algorithm_KeyAgreement_raw_tag;
	a.variant.key_agreement.variant.raw = psa_algorithm_Algorithm_KeyAgreement_Raw_ECDH;
	add_case("ecdh", a, 0x09020000);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_key_derivation_tag;
	a.variant.key_derivation.which_variant = psa_algorithm_Algorithm_KeyDerivation_hkdf_tag;
	a.variant.key_derivation.variant.hkdf.hash_alg = psa_algorithm_Algorithm_Hash_SHA_256;
	add_case("hkdf sha256", a, 0x08000109);
	a.variant.key_derivation.which_variant =
	    psa_algorithm_Algorithm_KeyDerivation_tls12_psk_to_ms_tag;
	a.variant.key_derivation.variant.tls12_psk_to_ms.hash_alg =
	    psa_algorithm_Algorithm_Hash_SHA_384;
	add_case("tls12 psk to ms sha384", a, 0x0800030a);
	memset(&a, 0, sizeof(a));
	a.which_variant = psa_algorithm_Algorithm_none_tag;
	add_case("none", a, 0);
	build_length_cases();
}

START_TEST(t_alg_literals_and_round_trip)
{
	uint32_t psa;
	psa_algorithm_Algorithm back;
	size_t i;

	build_cases();
	for (i = 0; i < alg_case_count; i++) {
		ck_assert_msg(pc_alg_from_pb(&alg_cases[i].pb, &psa) == 0, "%s", alg_cases[i].name);
		ck_assert_msg(psa == alg_cases[i].psa, "%s: 0x%08x, want 0x%08x", alg_cases[i].name,
		    psa, alg_cases[i].psa);
		ck_assert_msg(pc_alg_to_pb(psa, &back) == 0, "%s back", alg_cases[i].name);
		ck_assert_msg(memcmp(&back, &alg_cases[i].pb, sizeof(back)) == 0, "%s round trip",
		    alg_cases[i].name);
	}
}
END_TEST

START_TEST(t_alg_rejects)
{
	psa_algorithm_Algorithm a = psa_algorithm_Algorithm_init_zero;
	uint32_t psa;

	/* An empty oneof. */
	ck_assert_int_eq(pc_alg_from_pb(&a, &psa), -1);
	/* Enum numbers out of range, as a hostile peer can send. */
	a.which_variant = psa_algorithm_Algorithm_hash_tag;
	a.variant.hash = (psa_algorithm_Algorithm_Hash)99;
	ck_assert_int_eq(pc_alg_from_pb(&a, &psa), -1);
	a.variant.hash = (psa_algorithm_Algorithm_Hash)-1;
	ck_assert_int_eq(pc_alg_from_pb(&a, &psa), -1);
	a.variant.hash = psa_algorithm_Algorithm_Hash_HASH_NONE;
	ck_assert_int_eq(pc_alg_from_pb(&a, &psa), -1);
	a.which_variant = psa_algorithm_Algorithm_cipher_tag;
	a.variant.cipher = (psa_algorithm_Algorithm_Cipher)9;
	ck_assert_int_eq(pc_alg_from_pb(&a, &psa), -1);
	/* A signature without its hash. */
	a = sig(psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag, 7);
	a.variant.asymmetric_signature.variant.ecdsa.has_hash_alg = false;
	ck_assert_int_eq(pc_alg_from_pb(&a, &psa), -1);
	/* A PSA value with no protobuf form. */
	ck_assert_int_eq(pc_alg_to_pb(0x7f000000, &a), -1);
	/* A MAC or tag of "at least nothing": no length PSA defines. */
	ck_assert_int_eq(pc_alg_to_pb(0x03808009, &a), -1);
	ck_assert_int_eq(pc_alg_to_pb(0x05408200, &a), -1);
}
END_TEST

START_TEST(t_key_attrs)
{
	psa_key_attributes_KeyAttributes pb = psa_key_attributes_KeyAttributes_init_zero, back;
	struct op_key_attrs attrs;

	pb.has_key_type = true;
	pb.key_type.which_variant = psa_key_attributes_KeyType_ecc_key_pair_tag;
	pb.key_type.variant.ecc_key_pair.curve_family = psa_key_attributes_KeyType_EccFamily_SECP_R1;
	pb.key_bits = 256;
	pb.has_key_policy = true;
	pb.key_policy.has_key_usage_flags = true;
	pb.key_policy.key_usage_flags.sign_hash = true;
	pb.key_policy.key_usage_flags.export = true;
	pb.key_policy.has_key_algorithm = true;
	pb.key_policy.key_algorithm = sig(psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag,
	    psa_algorithm_Algorithm_Hash_SHA_256);
	ck_assert_int_eq(pc_key_attrs_from_pb(&pb, &attrs), 0);
	ck_assert_uint_eq(attrs.type, 0x7112);
	ck_assert_uint_eq(attrs.bits, 256);
	ck_assert_uint_eq(attrs.usage, 0x00001001);
	ck_assert_uint_eq(attrs.alg, 0x06000609);
	ck_assert_int_eq(pc_key_attrs_to_pb(&attrs, &back), 0);
	ck_assert_mem_eq(&back, &pb, sizeof(pb));

	pb.key_type.which_variant = psa_key_attributes_KeyType_aes_tag;
	ck_assert_int_eq(pc_key_attrs_from_pb(&pb, &attrs), 0);
	ck_assert_uint_eq(attrs.type, 0x2400);
	pb.key_type.which_variant = psa_key_attributes_KeyType_ecc_public_key_tag;
	pb.key_type.variant.ecc_public_key.curve_family =
	    psa_key_attributes_KeyType_EccFamily_ECC_FAMILY_NONE;
	ck_assert_int_eq(pc_key_attrs_from_pb(&pb, &attrs), -1);
	pb.has_key_type = false;
	ck_assert_int_eq(pc_key_attrs_from_pb(&pb, &attrs), -1);
}
END_TEST

/* As front_conn.c does: the header decoded once, then the request parsed. */
static uint32_t
parse_request(const uint8_t *buf, size_t len, struct front_request *req)
{
	struct wire_hdr hdr;
	enum wire_hdr_check check = wire_decode_request_hdr(buf, WIRE_HDR_LEN, 4096, &hdr);

	return front_parse_request(&hdr, check, buf, len, req);
}

/* The request parser: a sign request becomes the internal form with PSA values. */
START_TEST(t_parse_sign_request)
{
	psa_sign_hash_Operation op = psa_sign_hash_Operation_init_zero;
	uint8_t buf[512], zeros[32] = { 0 };
	pb_ostream_t out = pb_ostream_from_buffer(buf + WIRE_HDR_LEN, sizeof(buf) - WIRE_HDR_LEN);
	struct front_request req;
	struct op_bytes hash = { zeros, sizeof(zeros) };

	strcpy(op.key_name, "k");
	op.has_alg = true;
	op.alg = sig(psa_algorithm_Algorithm_AsymmetricSignature_ecdsa_tag,
	    psa_algorithm_Algorithm_Hash_SHA_256).variant.asymmetric_signature;
	PC_BYTES_OUT(op.hash, &hash);
	ck_assert(pb_encode(&out, psa_sign_hash_Operation_fields, &op));
	test_build_hdr(buf, 1, OP_PSA_SIGN_HASH, WIRE_AUTH_DIRECT, (uint32_t)out.bytes_written, 3,
	    9);
	memcpy(buf + WIRE_HDR_LEN + out.bytes_written, "app", 3);
	ck_assert_uint_eq(parse_request(buf, WIRE_HDR_LEN + out.bytes_written + 3, &req),
	    ST_SUCCESS);
	ck_assert_str_eq(req.op.key_name, "k");
	ck_assert_uint_eq(req.op.alg, 0x06000609);
	ck_assert_uint_eq(req.op.in[0].len, 32);
	ck_assert_uint_eq(req.auth_len, 3);
	ck_assert_mem_eq(req.auth, "app", 3);
	pc_msg_free(req.storage);

	/* The signature algorithm missing: the body decodes but means nothing. */
	op.has_alg = false;
	out = pb_ostream_from_buffer(buf + WIRE_HDR_LEN, sizeof(buf) - WIRE_HDR_LEN);
	ck_assert(pb_encode(&out, psa_sign_hash_Operation_fields, &op));
	test_build_hdr(buf, 1, OP_PSA_SIGN_HASH, 0, (uint32_t)out.bytes_written, 0, 9);
	ck_assert_uint_eq(parse_request(buf, WIRE_HDR_LEN + out.bytes_written, &req),
	    ST_INVALID_ENCODING);
	/*
	 * A hash longer than any digest (upstream's e2e verify_hash_bad_format_rsa
	 * sends 257 bytes): the body decodes, and the length is the operation's
	 * to refuse (PsaErrorInvalidArgument), as upstream's codec bounds no field.
	 */
	{
		static const uint8_t long_hash[257];

		hash = (struct op_bytes){ long_hash, sizeof(long_hash) };
		op.has_alg = true;
		out = pb_ostream_from_buffer(buf + WIRE_HDR_LEN, sizeof(buf) - WIRE_HDR_LEN);
		ck_assert(pb_encode(&out, psa_sign_hash_Operation_fields, &op));
		test_build_hdr(buf, 1, OP_PSA_SIGN_HASH, 0, (uint32_t)out.bytes_written, 0, 9);
		ck_assert_uint_eq(parse_request(buf, WIRE_HDR_LEN + out.bytes_written, &req),
		    ST_SUCCESS);
		ck_assert_uint_eq(req.op.in[0].len, 257);
		pc_msg_free(req.storage);
	}
}
END_TEST

/*
 * ListKeys answers are written by hand (front_list_keys.c): byte for byte
 * what nanopb encodes for the same keys, whatever their attributes, names
 * (one long enough for a two-byte length) and provider ids (0 left out).
 */
START_TEST(t_list_keys_encoding)
{
	static const struct op_key_attrs kinds[] = {
		{ 0x7112, 256, 0x00001001, 0x06000609 },  /* ECC P-256 pair, ECDSA SHA-256 */
		{ 0x7112, 256, 0x00001001, 0x06000609 },  /* the same again: reused */
		{ 0x7001, 2048, 0x00003000, 0x06000309 }, /* RSA pair, PSS SHA-256 */
		{ 0x1001, 128, 0x00000001, 0 },           /* raw data, exportable */
		{ 0x2400, 128, 0x00000300, 0x05500100 },  /* AES, CCM */
		{ 0x7112, 256, 0x00001001, 0x06000609 },
	};
	uint8_t list[8192], *mine, *ref;
	struct buf_writer wr;
	struct op_result res;
	list_keys_Result msg = list_keys_Result_init_zero;
	size_t mine_len, ref_len, i, n = sizeof(kinds) / sizeof(kinds[0]);

	buf_writer_init(&wr, list, sizeof(list));
	msg.keys = calloc(n, sizeof(*msg.keys));
	ck_assert_ptr_nonnull(msg.keys);
	msg.keys_count = (pb_size_t)n;
	for (i = 0; i < n; i++) {
		struct op_key_info k = { (uint32_t)(i % 4), "", kinds[i] };
		struct op_key_attrs a = { kinds[i].type, kinds[i].bits, kinds[i].usage,
			kinds[i].alg };

		if (i == 2)
			memset(k.name, 'n', 200);
		else
			snprintf(k.name, sizeof(k.name), "key-%zu", i);
		op_list_put_key(&wr, &k);
		msg.keys[i].provider_id = k.provider_id;
		msg.keys[i].name = strdup(k.name);
		msg.keys[i].has_attributes = true;
		ck_assert_int_eq(pc_key_attrs_to_pb(&a, &msg.keys[i].attributes), 0);
	}
	ck_assert(!wr.failed);
	memset(&res, 0, sizeof(res));
	res.list_count = (uint32_t)n;
	res.list = (struct op_bytes){ list, wr.off };
	ck_assert_int_eq(pc_encode(list_keys_Result_fields, &msg, &ref, &ref_len), 0);
	ck_assert_uint_eq(front_encode_result(OP_LIST_KEYS, &res, &mine, &mine_len), ST_SUCCESS);
	ck_assert_uint_eq(mine_len, ref_len);
	ck_assert_mem_eq(mine, ref, ref_len);
	free(mine);
	free(ref);
	pb_release(list_keys_Result_fields, &msg);
	/* A list cut short, or with bytes left over, is refused. */
	res.list.len = wr.off - 1;
	ck_assert_uint_eq(front_encode_result(OP_LIST_KEYS, &res, &mine, &mine_len),
	    ST_SERIALIZING_BODY_FAILED);
	res.list.len = wr.off;
	res.list_count = (uint32_t)n - 1;
	ck_assert_uint_eq(front_encode_result(OP_LIST_KEYS, &res, &mine, &mine_len),
	    ST_SERIALIZING_BODY_FAILED);
	/* No keys: an empty body. */
	res.list_count = 0;
	res.list.len = 0;
	ck_assert_uint_eq(front_encode_result(OP_LIST_KEYS, &res, &mine, &mine_len), ST_SUCCESS);
	ck_assert_uint_eq(mine_len, 0);
	free(mine);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "conversions", 0, NULL, NULL, {
			TEST(t_alg_literals_and_round_trip), TEST(t_alg_rejects), TEST(t_key_attrs),
			TEST(t_parse_sign_request), TEST(t_list_keys_encoding)
		} },
	};

	log_init("check_front", LOG_LVL_ERROR, 0);
	return test_main("front", cases, sizeof(cases) / sizeof(cases[0]));
}
