/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsec's protobuf algorithm and key-attribute messages to and from PSA
 * Crypto API values. Every function returns 0, or -1 for a value that has no
 * counterpart (an unknown enum number, an empty oneof).
 */
#ifndef FRONT_PSA_H
#define FRONT_PSA_H

#include <stdint.h>

#include "op.h"
#include "psa_algorithm.pb.h"
#include "psa_key_attributes.pb.h"

int front_alg_from_pb(const psa_algorithm_Algorithm *pb, uint32_t *alg);
int front_alg_to_pb(uint32_t alg, psa_algorithm_Algorithm *pb);
int front_key_attrs_from_pb(const psa_key_attributes_KeyAttributes *pb, struct op_key_attrs *attrs);
int front_key_attrs_to_pb(const struct op_key_attrs *attrs, psa_key_attributes_KeyAttributes *pb);

#endif
