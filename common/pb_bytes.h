/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes fields larger than nanopb's 16-bit sizes allow (Debian's nanopb is
 * built so): decoded as a pointer into the buffer being decoded, encoded from
 * an op_bytes. The arg of the pb_callback_t is a struct op_bytes *.
 */
#ifndef PARSEC_PB_BYTES_H
#define PARSEC_PB_BYTES_H

#include <pb_decode.h>
#include <pb_encode.h>

#include "op.h"

/* Only for streams made by pb_istream_from_buffer: the bytes stay in that buffer. */
bool pb_bytes_capture(pb_istream_t *stream, const pb_field_t *field, void **arg);
bool pb_bytes_emit(pb_ostream_t *stream, const pb_field_t *field, void *const *arg);

/* Sets a callback field to decode into, or encode from, b. */
#define PB_BYTES_IN(cb, b) ((cb).funcs.decode = pb_bytes_capture, (cb).arg = (b))
#define PB_BYTES_OUT(cb, b) ((cb).funcs.encode = pb_bytes_emit, (cb).arg = (void *)(b))

#endif
