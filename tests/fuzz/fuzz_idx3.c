/*
 * fuzz_idx3 - libFuzzer target: decoding a version 3 index's flat section
 * (idx_flat.c), the bytes a search reads per packet with no Berkeley DB
 * page checksum in front of them.
 *
 * fuzz_idx damages whole index files, and almost every damage there ends
 * at a failed CRC-32C; here the checks are made to hold so that the
 * decoders behind them see the garbage.  Input: a 20-byte header, then
 * the section:
 *   0  u8   flags: 1 = recompute every block's check, 2 = the directory's
 *   1  u8   unused
 *   2  u16  table blocks      4  u16  flow-list blocks
 *   6  u16  packets per block 8  u32  flows
 *   12 u32  packets           16 u32  pcap size
 * (little-endian).  The section is copied to a buffer of exactly its size
 * (reads past it are ASan's findings).  If flat_open accepts it: every
 * table block whole and in part, every flow's packets, a few flows alone.
 * First, the two CRC-32C codes (SSE4.2 and the table) must agree on the
 * input, and on the standard's check value.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "idx_flat.h"
#include "ordset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 20
#define SALT 0x5a17u

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t off[IDX_BLOCK_MAX], ts[IDX_BLOCK_MAX];
	struct flat f;
	struct ordset fs, out;
	const char *why;
	uint8_t *sec;
	uint32_t n;
	size_t dirlen;

	crc32c_soft = 1;
	n = crc32c_update(0, data, size);
	assert(crc32c_update(0, "123456789", 9) == 0xe3069283u);
	crc32c_soft = 0;
	assert(crc32c_update(0, data, size) == n);
	assert(crc32c_update(0, "123456789", 9) == 0xe3069283u);
	if (size < HDR || size - HDR > (1u << 20))
		return 0;
	memset(&f, 0, sizeof f);
	f.ntab = le16(data + 2);
	f.nflb = le16(data + 4);
	f.bpk = le16(data + 6);
	f.nflows = le32(data + 8);
	f.packets = le32(data + 12);
	f.pcap_size = le32(data + 16);
	f.salt = SALT;
	f.len = size - HDR;
	/* the ordsets below are as big as the counts say: keep them small */
	if (f.nflows > (1u << 16) || f.packets > (1u << 20))
		return 0;
	sec = malloc(f.len ? f.len : 1);
	memcpy(sec, data + HDR, f.len);
	dirlen = (size_t)f.ntab * IDX3_TDIR_LEN + (size_t)f.nflb * IDX3_FDIR_LEN;
	if ((data[0] & 1) && dirlen <= f.len) {
		/* checks that hold for every block the directory puts inside the section */
		for (uint32_t i = 0; i < f.ntab + f.nflb; i++) {
			uint8_t *d = i < f.ntab ? sec + (size_t)i * IDX3_TDIR_LEN :
			    sec + (size_t)f.ntab * IDX3_TDIR_LEN + (size_t)(i - f.ntab) * IDX3_FDIR_LEN;
			uint64_t pos = le64(d), len = le32(d + 8);
			uint32_t tagged = i < f.ntab ? i : (i - f.ntab) | IDX3_FLOWTAG;
			if (pos <= f.len && len <= f.len - pos)
				put32(d + 12, flat_block_crc(SALT, tagged, sec + pos, (size_t)len));
		}
	}
	f.dircrc = (data[0] & 2) && dirlen <= f.len ? crc32c_update(0, sec, dirlen) : 0;
	f.sec = sec;
	if (flat_open(&f, &why) == 0) {
		for (uint32_t b = 0; b < f.ntab; b++) {
			(void)flat_block(&f, b, b % 70, b % 70 + b % 5, off, ts, &n, &why);
			(void)flat_block(&f, b, 0, b % 3, off, ts, &n, &why);
			(void)flat_block(&f, b, 0, UINT32_MAX, off, ts, &n, &why);
		}
		ordset_init(&fs, f.nflows);
		ordset_init(&out, (uint32_t)f.packets);
		ordset_fill(&fs);
		(void)flat_flows_packets(&f, &fs, &out, &why);
		ordset_free(&fs);
		ordset_init(&fs, f.nflows);
		for (uint32_t i = 0; i < f.nflows; i += 7)
			ordset_add(&fs, i);
		(void)flat_flows_packets(&f, &fs, &out, &why);
		ordset_free(&fs);
		ordset_free(&out);
		flat_close(&f);
	}
	free(sec);
	return 0;
}
