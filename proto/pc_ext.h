/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The codec of parsecd's extension opcodes' bodies (ext_mp.proto): one
 * Operation and one Result for every multipart and key derivation opcode,
 * to and from the internal operation form (op.h). Apart from the per-opcode
 * table of pc_table.c, whose rows describe upstream's contracts.
 */
#ifndef PARSEC_PC_EXT_H
#define PARSEC_PC_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "op.h"

/*
 * A step that gives output carries the caller's room for it in op->number2
 * (output_size), or PC_EXT_NO_LIMIT when the request did not say.
 */
#define PC_EXT_NO_LIMIT UINT64_MAX

/* Whether opcode is an extension opcode this codec carries. */
int pc_ext_carries(uint32_t opcode);

/*
 * Decodes body as opcode's Operation into op (zeroed first; its bytes point
 * into body). ST_SUCCESS, ST_DESERIALIZING_BODY_FAILED for a body that is
 * not an Operation, ST_INVALID_ENCODING for key attributes with no PSA
 * counterpart or missing where the opcode needs them, ST_PSA_INVALID_ARGUMENT
 * for a key name that is not UTF-8 or holds a NUL byte.
 */
uint32_t pc_ext_request_decode(uint32_t opcode, const uint8_t *body, size_t len,
    struct op_request *op);

/*
 * A result's Result body, malloc'd: out[0] the output, out[2] the tag, out[3]
 * the number (PC_EXT_NUMBER_LEN bytes, little-endian: a new handle, or the
 * capacity). ST_SUCCESS or ST_SERIALIZING_BODY_FAILED.
 */
#define PC_EXT_NUMBER_LEN 8
uint32_t pc_ext_result_encode(uint32_t opcode, const struct op_result *res, uint8_t **body,
    size_t *len);

#endif
