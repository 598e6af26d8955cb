/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded byte readers and writers. Errors are sticky: once a read or write
 * would cross the end, every later call is a no-op returning zeros, and
 * buf_reader_ok()/buf_writer_ok() report the failure once at the end.
 */
#ifndef PARSEC_BUF_H
#define PARSEC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t off;
	int failed;
};

struct buf_writer {
	uint8_t *data;
	size_t cap;
	size_t off;
	int failed;
};

void buf_reader_init(struct buf_reader *rd, const void *data, size_t len);
uint8_t buf_get_u8(struct buf_reader *rd);
uint16_t buf_get_u16le(struct buf_reader *rd);
uint32_t buf_get_u32le(struct buf_reader *rd);
uint64_t buf_get_u64le(struct buf_reader *rd);
/* Points into the reader's data; NULL (and failure) if fewer than len bytes remain. */
const uint8_t *buf_get_bytes(struct buf_reader *rd, size_t len);
/* A u32 length then that many bytes, capped by max_len. */
const uint8_t *buf_get_blob(struct buf_reader *rd, size_t max_len, size_t *out_len);
/* A blob holding a string without NUL bytes, copied NUL-terminated into out[outsz]. */
int buf_get_str(struct buf_reader *rd, char *out, size_t outsz);
size_t buf_remaining(const struct buf_reader *rd);
int buf_reader_ok(const struct buf_reader *rd);
/* ok and every byte consumed: the mandatory end-of-message check. */
int buf_reader_done(const struct buf_reader *rd);

void buf_writer_init(struct buf_writer *wr, void *data, size_t cap);
void buf_put_u8(struct buf_writer *wr, uint8_t v);
void buf_put_u16le(struct buf_writer *wr, uint16_t v);
void buf_put_u32le(struct buf_writer *wr, uint32_t v);
void buf_put_u64le(struct buf_writer *wr, uint64_t v);
void buf_put_bytes(struct buf_writer *wr, const void *data, size_t len);
void buf_put_blob(struct buf_writer *wr, const void *data, size_t len);
void buf_put_str(struct buf_writer *wr, const char *s);
int buf_writer_ok(const struct buf_writer *wr);

#endif
