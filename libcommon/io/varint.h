/*
 * varint.h - LEB128 unsigned varints and zigzag for signed deltas, as
 * the index and the catalog code their numbers (pk-index(5)).
 */
#ifndef PK_VARINT_H
#define PK_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX 10

/* varint_put: encode v at p (room for VARINT_MAX bytes); returns bytes written. */
static inline size_t
varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* varint_get: decode from [*p, end); 0 and *p advanced, or -1 (truncated or too long). */
static inline int
varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	unsigned shift = 0;
	const uint8_t *q = *p;

	while (q < end && shift < 64) {
		uint8_t b = *q++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*p = q;
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/* be_num: a big-endian key value of len <= 8 bytes as a number (ranges of keys) */
static inline uint64_t
be_num(const uint8_t *v, size_t len)
{
	uint64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n = n << 8 | v[i];
	return n;
}

static inline uint64_t zigzag_enc(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t zigzag_dec(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

#endif
