/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a service's response as libparsec reads it: the header,
 * then the body as each operation's Result, with key attributes converted
 * back to PSA values as parsec_list_keys does.
 */
#include <stdint.h>
#include <string.h>

#include <pb_decode.h>

#include "front_crypto.h"
#include "front_psa.h"
#include "list_authenticators.pb.h"
#include "list_clients.pb.h"
#include "list_keys.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"
#include "psa_generate_random.pb.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const pb_msgdesc_t *const fuzz_results[] = {
	ping_Result_fields, list_providers_Result_fields, list_opcodes_Result_fields,
	list_authenticators_Result_fields, list_clients_Result_fields,
	psa_generate_random_Result_fields, psa_export_public_key_Result_fields,
	psa_sign_hash_Result_fields, psa_asymmetric_decrypt_Result_fields,
	psa_aead_encrypt_Result_fields, psa_hash_compute_Result_fields,
	psa_raw_key_agreement_Result_fields,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		list_keys_Result keys;
		uint8_t any[64 * 1024];
	} res;
	struct wire_hdr hdr;
	const uint8_t *body;
	size_t body_len, i;
	pb_istream_t in;

	if (wire_decode_response_hdr(data, size, &hdr) == -1)
		return 0;
	body = data + WIRE_HDR_LEN;
	body_len = size - WIRE_HDR_LEN;
	if (hdr.body_len < body_len)
		body_len = hdr.body_len;
	for (i = 0; i < sizeof(fuzz_results) / sizeof(fuzz_results[0]); i++) {
		memset(&res, 0, sizeof(res));
		in = pb_istream_from_buffer(body, body_len);
		if (pb_decode(&in, fuzz_results[i], &res))
			pb_release(fuzz_results[i], &res);
	}
	memset(&res, 0, sizeof(res));
	in = pb_istream_from_buffer(body, body_len);
	if (pb_decode(&in, list_keys_Result_fields, &res.keys)) {
		for (i = 0; i < res.keys.keys_count; i++) {
			struct op_key_attrs attrs;

			(void)front_key_attrs_from_pb(&res.keys.keys[i].attributes, &attrs);
		}
		pb_release(list_keys_Result_fields, &res.keys);
	}
	return 0;
}
