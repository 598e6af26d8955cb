/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoded and filled protobuf messages released wiped: pb_release frees the
 * heap bytes fields (imported keys, exported keys, plaintexts, shared
 * secrets) as they are, so they are wiped first, and the message after.
 */
#include <string.h>

#include <pb_common.h>

#include "psa_codec.h"

/* Wipes every heap bytes field of msg, in its sub-messages and oneof members too. */
static void
pc_wipe_heap_bytes(const pb_msgdesc_t *desc, void *msg)
{
	pb_field_iter_t it;

	if (!pb_field_iter_begin(&it, desc, msg))
		return;
	do {
		pb_type_t type = it.type;

		if (PB_HTYPE(type) == PB_HTYPE_ONEOF && *(const pb_size_t *)it.pSize != it.tag)
			continue; /* another member holds the union */
		if (PB_HTYPE(type) == PB_HTYPE_REPEATED)
			continue; /* lists of names: nothing secret */
		if (PB_ATYPE(type) == PB_ATYPE_POINTER && PB_LTYPE(type) == PB_LTYPE_BYTES) {
			pb_bytes_array_t *bytes = *(pb_bytes_array_t **)it.pField;

			if (bytes != NULL)
				explicit_bzero(bytes->bytes, bytes->size);
		} else if (PB_ATYPE(type) == PB_ATYPE_STATIC && PB_LTYPE_IS_SUBMSG(type) &&
		    it.submsg_desc != NULL) {
			pc_wipe_heap_bytes(it.submsg_desc, it.pData);
		}
	} while (pb_field_iter_next(&it));
}

void
pc_release_wiped(const pb_msgdesc_t *desc, void *msg, size_t size)
{
	if (msg == NULL)
		return;
	pc_wipe_heap_bytes(desc, msg);
	pb_release(desc, msg);
	explicit_bzero(msg, size);
}
