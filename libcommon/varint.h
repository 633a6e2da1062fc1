/*
 * varint.h - LEB128 unsigned varints, zigzag for signed deltas, and the
 * index record layout shared by the index writer and reader
 * (pk-index(5) is the specification; keep both in step).
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

/* ---- index record layout (pk-index(5)) ---- */
#define IDXK_META    0x00    /* key 00 'M' */
#define IDXK_FLOW    0xf0    /* key f0 be32 flow be16 part: ordinal list */
#define IDXK_BLOCK   0xfe    /* key fe be32 block: packet table */
#define IDXK_TRAILER 0xff    /* key ff: last record */
#define IDX_MAGIC    "pkindex"   /* 8 bytes with the NUL */
#define IDX_META_LEN 104
/* metadata offsets (pk-index(5) "Metadata and trailer") */
#define IDXM_VERSION   8     /* u32 */
#define IDXM_LINKTYPE  12    /* u32 */
#define IDXM_NSEC      16    /* u32: 1 nanosecond pcap */
#define IDXM_SNAPLEN   20    /* u32: the pcap's snap length */
#define IDXM_PCAPSIZE  24    /* u64: bytes covered */
#define IDXM_PACKETS   32    /* u64 */
#define IDXM_FIRST     40    /* u64: smallest time, ns */
#define IDXM_LAST      48    /* u64: largest time, ns */
#define IDXM_FLOWS     56    /* u32 */
#define IDXM_BPK       60    /* u32: packets per table block */
#define IDXM_LISTFLAGS 64    /* u32 */
#define IDXM_BASE      68    /* u64: the first time rounded down to a microsecond, ns */
#define IDXM_MTIME     76    /* u64: the pcap's modification time, ns */
#define IDXM_DISORDER  84    /* u64: how far, at most, a time lies below an earlier one, ns */
#define IDXM_CRC       100   /* u32: CRC-32 of bytes 0..99 (92..99 zero) */
/* varints of a table block's header after the count: offset, first time, first - min, max - min, runmax - max */
#define IDX_BLOCK_HDR 5
#define IDX_TRAILER_LEN 16
#define IDX_BLOCK_MAX 1024
/* meta list flags: which lists code runs of consecutive numbers */
#define IDX_LIST_RLE_KEYS  0x1u
#define IDX_LIST_RLE_FLOWS 0x2u
#ifndef IDX_RLE_KEYS
#define IDX_RLE_KEYS 1
#endif
#ifndef IDX_RLE_FLOWS
#define IDX_RLE_FLOWS 1
#endif   /* packets per table block, upper bound a reader accepts */

#endif
