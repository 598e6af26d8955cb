/* SPDX-License-Identifier: Apache-2.0 */
/* psa_copy_key's policy rule (broker_copy.c), for the key life cycle and its tests. */
#ifndef PARSEC_BROKER_COPY_H
#define PARSEC_BROKER_COPY_H

#include <stdint.h>

#include "op.h"

/*
 * The policy of a copy of a key whose policy is source: target's usage and
 * algorithm narrowed to the source's, its type and size the source's.
 * ST_SUCCESS, or why not (broker_copy.c).
 */
uint32_t broker_copy_policy(const struct op_key_attrs *source, struct op_key_attrs *target);

#endif
