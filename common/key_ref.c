/* SPDX-License-Identifier: Apache-2.0 */
/* The key id inside a 4-byte key reference (key_ref.h). */
#include "buf.h"
#include "key_ref.h"

int
key_ref_id(const uint8_t *key_ref, size_t key_ref_len, uint32_t *id)
{
	if (key_ref == NULL || key_ref_len != KEY_REF_ID_LEN)
		return -1;
	*id = buf_le32(key_ref);
	return 0;
}

void
key_ref_put_id(uint8_t *key_ref, uint32_t id)
{
	buf_set_le32(key_ref, id);
}
