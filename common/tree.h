/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Red-black trees from libbsd's <sys/tree.h>. Its RB_GENERATE_STATIC relies on
 * a __unused macro that libbsd leaves undefined on Linux, so we spell it out.
 */
#ifndef PARSEC_TREE_H
#define PARSEC_TREE_H

#include <sys/tree.h>

#define TREE_GENERATE_STATIC(name, type, field, cmp) \
	RB_GENERATE_INTERNAL(name, type, field, cmp, __attribute__((unused)) static)

#endif
