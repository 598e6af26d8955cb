/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Zero-copy bytes fields for nanopb callbacks: fields larger than nanopb's
 * 16-bit sizes allow (Debian's nanopb is built so) are decoded as a pointer
 * into the buffer being decoded and encoded from borrowed bytes.
 */
#include "psa_codec.h"

bool
pc_bytes_capture(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
	struct op_bytes *b = *arg;

	/* A buffer stream's state is its read position. */
	b->ptr = (const uint8_t *)stream->state;
	b->len = stream->bytes_left;
	return pb_read(stream, NULL, stream->bytes_left);
}

bool
pc_bytes_emit(pb_ostream_t *stream, const pb_field_t *field, void *const *arg)
{
	const struct op_bytes *b = *arg;

	/* proto3 leaves an empty bytes field out. */
	if (b == NULL || b->len == 0)
		return true;
	return pb_encode_tag_for_field(stream, field) && pb_encode_string(stream, b->ptr, b->len);
}
