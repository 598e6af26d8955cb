/* SPDX-License-Identifier: Apache-2.0 */
/* A numbered key's reference read and written in one place (keyref.h). */
#include "buf.h"
#include "keyref.h"

int
keyref_id(const uint8_t *ref, size_t len, uint32_t *id)
{
	if (ref == NULL || len != KEYREF_ID_LEN)
		return -1;
	*id = buf_le32(ref);
	return 0;
}

size_t
keyref_put(uint32_t id, uint8_t *ref)
{
	buf_set_le32(ref, id);
	return KEYREF_ID_LEN;
}
