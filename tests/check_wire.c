/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the wire header codec and the bounded buffers, every error path. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wire.h"
#include "testlib.h"

static void
good_hdr(uint8_t out[WIRE_HDR_LEN])
{
	struct wire_hdr h;

	memset(&h, 0, sizeof(h));
	h.provider = 1;
	h.session = 0x1122334455667788ull;
	h.auth_type = WIRE_AUTH_DIRECT;
	h.body_len = 100;
	h.auth_len = 5;
	h.opcode = OP_PSA_SIGN_HASH;
	wire_encode_hdr(&h, out);
}

START_TEST(t_roundtrip)
{
	uint8_t raw[WIRE_HDR_LEN];
	struct wire_hdr h;

	good_hdr(raw);
	/* Published layout: magic, then hdr_size 30, version 1.0, little endian. */
	ck_assert_uint_eq(raw[0], 0x10);
	ck_assert_uint_eq(raw[3], 0x5E);
	ck_assert_uint_eq(raw[4], 30);
	ck_assert_uint_eq(raw[6], 1);
	ck_assert_uint_eq(raw[7], 0);
	ck_assert_uint_eq(raw[10], 1);
	ck_assert_uint_eq(raw[11], 0x88);
	ck_assert_uint_eq(raw[21], WIRE_AUTH_DIRECT);
	ck_assert_uint_eq(raw[22], 100);
	ck_assert_uint_eq(raw[26], 5);
	ck_assert_uint_eq(raw[28], OP_PSA_SIGN_HASH);
	ck_assert_int_eq(wire_decode_request_hdr(raw, sizeof(raw), 1000, &h), WIRE_HDR_OK);
	ck_assert_uint_eq(h.session, 0x1122334455667788ull);
	ck_assert_uint_eq(h.body_len, 100);
	ck_assert_uint_eq(h.auth_len, 5);
	ck_assert_uint_eq(h.opcode, OP_PSA_SIGN_HASH);
	ck_assert_uint_eq(h.provider, 1);
}
END_TEST

struct fault_case {
	int offset;
	uint8_t value;
	enum wire_hdr_check check;
	enum wire_status status;
};

static const struct fault_case faults[] = {
	{ 0, 0x11, WIRE_HDR_BAD_MAGIC, ST_INVALID_HEADER },
	{ 3, 0x00, WIRE_HDR_BAD_MAGIC, ST_INVALID_HEADER },
	{ 4, 29, WIRE_HDR_BAD_SIZE, ST_INVALID_HEADER },
	{ 5, 1, WIRE_HDR_BAD_SIZE, ST_INVALID_HEADER },
	{ 6, 2, WIRE_HDR_BAD_VERSION, ST_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED },
	{ 7, 1, WIRE_HDR_BAD_VERSION, ST_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED },
	{ 34, 1, WIRE_HDR_BAD_RESERVED, ST_INVALID_HEADER },
	{ 35, 0x80, WIRE_HDR_BAD_RESERVED, ST_INVALID_HEADER },
	{ 19, 1, WIRE_HDR_BAD_CONTENT_TYPE, ST_CONTENT_TYPE_NOT_SUPPORTED },
	{ 20, 1, WIRE_HDR_BAD_ACCEPT_TYPE, ST_ACCEPT_TYPE_NOT_SUPPORTED },
	{ 24, 1, WIRE_HDR_BODY_TOO_LARGE, ST_BODY_SIZE_EXCEEDS_LIMIT },
};

START_TEST(t_faults)
{
	uint8_t raw[WIRE_HDR_LEN];
	struct wire_hdr h;
	const struct fault_case *fc = &faults[_i];

	good_hdr(raw);
	raw[fc->offset] = fc->value;
	ck_assert_int_eq(wire_decode_request_hdr(raw, sizeof(raw), 1000, &h), fc->check);
	ck_assert_int_eq(wire_hdr_check_status(fc->check), fc->status);
	ck_assert_str_ne(wire_hdr_check_str(fc->check), "unknown header fault");
}
END_TEST

START_TEST(t_short_and_limits)
{
	uint8_t raw[WIRE_HDR_LEN];
	struct wire_hdr h;

	good_hdr(raw);
	ck_assert_int_eq(wire_decode_request_hdr(raw, WIRE_HDR_LEN - 1, 1000, &h),
	    WIRE_HDR_BAD_SIZE);
	/* The limit is inclusive: a body of exactly the limit is fine. */
	ck_assert_int_eq(wire_decode_request_hdr(raw, sizeof(raw), 100, &h), WIRE_HDR_OK);
	ck_assert_int_eq(wire_decode_request_hdr(raw, sizeof(raw), 99, &h),
	    WIRE_HDR_BODY_TOO_LARGE);
	/* Flags are ignored on requests. */
	raw[8] = 0xff;
	ck_assert_int_eq(wire_decode_request_hdr(raw, sizeof(raw), 1000, &h), WIRE_HDR_OK);
	/* A response decoder accepts any body length. */
	raw[25] = 0xff;
	ck_assert_int_eq(wire_decode_response_hdr(raw, sizeof(raw), &h), 0);
	raw[0] = 0;
	ck_assert_int_eq(wire_decode_response_hdr(raw, sizeof(raw), &h), -1);
}
END_TEST

/*
 * Upstream's order (parsec-interface 0.27, WireHeader::read_from_stream and
 * Request::read_from_stream): the magic number once its 4 bytes are in, a
 * header size once that many bytes follow it, the body length before the
 * content type.
 */
START_TEST(t_upstream_order)
{
	uint8_t raw[WIRE_HDR_LEN];
	struct wire_hdr h;
	size_t need;

	good_hdr(raw);
	ck_assert_int_eq(wire_peek_request_hdr(raw, 3, &need), WIRE_HDR_OK);
	ck_assert_uint_eq(need, 4);
	ck_assert_int_eq(wire_peek_request_hdr(raw, 5, &need), WIRE_HDR_OK);
	ck_assert_uint_eq(need, 6);
	ck_assert_int_eq(wire_peek_request_hdr(raw, 6, &need), WIRE_HDR_OK);
	ck_assert_uint_eq(need, WIRE_HDR_LEN);
	raw[0] = 0;
	ck_assert_int_eq(wire_peek_request_hdr(raw, 4, &need), WIRE_HDR_BAD_MAGIC);
	good_hdr(raw);
	raw[4] = 29;
	ck_assert_int_eq(wire_peek_request_hdr(raw, 34, &need), WIRE_HDR_OK);
	ck_assert_uint_eq(need, 35);
	ck_assert_int_eq(wire_peek_request_hdr(raw, 35, &need), WIRE_HDR_BAD_SIZE);
	raw[4] = 31;
	ck_assert_int_eq(wire_peek_request_hdr(raw, WIRE_HDR_LEN, &need), WIRE_HDR_OK);
	ck_assert_uint_eq(need, 37);
	good_hdr(raw);
	raw[19] = 0xff;
	ck_assert_int_eq(wire_decode_request_hdr(raw, sizeof(raw), 99, &h),
	    WIRE_HDR_BODY_TOO_LARGE);
}
END_TEST

START_TEST(t_tables)
{
	ck_assert_str_eq(wire_status_name(ST_INVALID_HEADER), "InvalidHeader");
	ck_assert_str_eq(wire_status_name(ST_PSA_INVALID_SIGNATURE), "PsaErrorInvalidSignature");
	ck_assert_str_eq(wire_status_name(ST_PSA_DATA_INVALID), "PsaErrorDataInvalid");
	ck_assert_str_eq(wire_status_name(1144), "unknown status");
	ck_assert_str_eq(wire_status_name(23), "unknown status");
	ck_assert_str_eq(wire_provider_uuid(1), "1c1139dc-ad7c-47dc-ad6b-db6fdb466552");
	ck_assert_ptr_null(wire_provider_uuid(6));
	ck_assert(wire_opcode_is_core(OP_PING));
	ck_assert(!wire_opcode_is_core(OP_PSA_SIGN_HASH));
	ck_assert(!wire_opcode_known(0x1D));
	ck_assert(!wire_opcode_known(0x21));
	ck_assert(wire_opcode_known(OP_CAN_DO_CRYPTO));
	ck_assert(!wire_opcode_needs_auth(OP_PSA_GENERATE_RANDOM));
	ck_assert(wire_opcode_needs_auth(OP_LIST_KEYS));
	ck_assert(wire_opcode_is_admin(OP_DELETE_CLIENT));
	ck_assert(!wire_opcode_is_admin(OP_LIST_KEYS));
}
END_TEST

START_TEST(t_buf_bounds)
{
	uint8_t data[8] = { 3, 0, 0, 0, 'a', 'b', 'c', 9 };
	uint8_t nul[6] = { 2, 0, 0, 0, 'a', 0 };
	uint8_t out[4];
	struct buf_reader rd;
	struct buf_writer wr;
	char s[8];

	buf_reader_init(&rd, data, sizeof(data));
	ck_assert_int_eq(buf_get_str(&rd, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "abc");
	ck_assert(!buf_reader_done(&rd));
	ck_assert_uint_eq(buf_get_u8(&rd), 9);
	ck_assert(buf_reader_done(&rd));
	/* Reading past the end fails and stays failed. */
	ck_assert_uint_eq(buf_get_u32le(&rd), 0);
	ck_assert(!buf_reader_ok(&rd));
	ck_assert_uint_eq(buf_remaining(&rd), 0);

	/* A string too long for its destination. */
	buf_reader_init(&rd, data, sizeof(data));
	ck_assert_int_eq(buf_get_str(&rd, s, 3), -1);
	/* An embedded NUL. */
	buf_reader_init(&rd, nul, sizeof(nul));
	ck_assert_int_eq(buf_get_str(&rd, s, sizeof(s)), -1);
	/* A length larger than the data. */
	data[0] = 200;
	buf_reader_init(&rd, data, sizeof(data));
	ck_assert_int_eq(buf_get_str(&rd, s, sizeof(s)), -1);

	buf_writer_init(&wr, out, sizeof(out));
	buf_put_u32le(&wr, 1);
	ck_assert(buf_writer_ok(&wr));
	buf_put_u8(&wr, 1);
	ck_assert(!buf_writer_ok(&wr));
	ck_assert_uint_eq(wr.off, 4);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "header", 0, NULL, NULL, {
			TEST(t_roundtrip), TEST_LOOP(t_faults, sizeof(faults) / sizeof(faults[0])),
			TEST(t_short_and_limits), TEST(t_upstream_order), TEST(t_tables),
			TEST(t_buf_bounds)
		} },
	};

	return test_main("wire", cases, sizeof(cases) / sizeof(cases[0]));
}
