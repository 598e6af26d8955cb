/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key attestation (AttestKey, PrepareKeyAttestation) to and from the
 * operation form: their names and bytes sit inside a mechanism oneof, and
 * PrepareKeyAttestation answers three byte strings, which the one-field rows
 * of pc_table.c do not describe. ActivateCredential is the only mechanism;
 * the attesting key's name travels as the client name (only the default
 * attesting key is served).
 */
#include <stdlib.h>
#include <string.h>

#include "psa_codec.h"
#include "wire.h"

#include "attest_key.pb.h"
#include "prepare_key_attestation.pb.h"

static void
pc_attest_in(const pb_bytes_array_t *b, struct op_bytes *in)
{
	in->ptr = b != NULL ? b->bytes : NULL;
	in->len = b != NULL ? b->size : 0;
}

/* The attested and the attesting key's names into req: ST_SUCCESS or ST_INVALID_ENCODING. */
static uint32_t
pc_attest_names(struct op_request *req, const char *attested, size_t attested_size,
    const char *attesting, size_t attesting_size)
{
	if (pc_name_get(req->key_name, attested, attested_size) == -1 ||
	    pc_name_get(req->client, attesting, attesting_size) == -1)
		return ST_INVALID_ENCODING;
	return ST_SUCCESS;
}

uint32_t
pc_attest_request(uint32_t opcode, const void *msg, struct op_request *req)
{
	const attest_key_Operation *ak = msg;
	const prepare_key_attestation_Operation *pk = msg;
	const prepare_key_attestation_PrepareKeyAttestationParams_ActivateCredential *p =
	    &pk->parameters.mechanism.activate_credential;

	if (opcode == OP_ATTEST_KEY) {
		if (!ak->has_parameters || ak->parameters.which_mechanism !=
		    attest_key_AttestationMechanismParams_activate_credential_tag)
			return ST_INVALID_ENCODING;
		pc_attest_in(ak->parameters.mechanism.activate_credential.credential_blob,
		    &req->in[0]);
		pc_attest_in(ak->parameters.mechanism.activate_credential.secret, &req->in[1]);
		return pc_attest_names(req, ak->attested_key_name, sizeof(ak->attested_key_name),
		    ak->attesting_key_name, sizeof(ak->attesting_key_name));
	}
	if (!pk->has_parameters || pk->parameters.which_mechanism !=
	    prepare_key_attestation_PrepareKeyAttestationParams_activate_credential_tag)
		return ST_INVALID_ENCODING;
	return pc_attest_names(req, p->attested_key_name, sizeof(p->attested_key_name),
	    p->attesting_key_name, sizeof(p->attesting_key_name));
}

/* A pointer bytes field holding a copy of out; freed by pb_release. */
static int
pc_attest_out(const struct op_bytes *out, pb_bytes_array_t **field)
{
	pb_bytes_array_t *b;

	if (out->len > PB_SIZE_MAX || (b = malloc(PB_BYTES_ARRAY_T_ALLOCSIZE(out->len))) == NULL)
		return -1;
	b->size = (pb_size_t)out->len;
	if (out->len > 0)
		memcpy(b->bytes, out->ptr, out->len);
	*field = b;
	return 0;
}

int
pc_attest_result_fill(uint32_t opcode, const struct op_result *r, void *res)
{
	attest_key_Result *ak = res;
	prepare_key_attestation_Result *pk = res;
	const struct op_bytes *out = r->out;

	if (opcode == OP_ATTEST_KEY) {
		ak->has_output = true;
		ak->output.which_mechanism = attest_key_AttestationOutput_activate_credential_tag;
		return pc_attest_out(&out[0], &ak->output.mechanism.activate_credential.credential);
	}
	pk->has_output = true;
	pk->output.which_mechanism =
	    prepare_key_attestation_PrepareKeyAttestationOutput_activate_credential_tag;
	/* out[1] is brokerd's (a key reference), never the client's. */
	if (pc_attest_out(&out[0], &pk->output.mechanism.activate_credential.name) == -1 ||
	    pc_attest_out(&out[2], &pk->output.mechanism.activate_credential.public) == -1 ||
	    pc_attest_out(&out[3], &pk->output.mechanism.activate_credential.attesting_key_pub) == -1)
		return -1;
	return 0;
}
