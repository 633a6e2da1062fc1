/*
 * idx_format.h - the index file's records and the offsets in them, the
 * one place the writer (idx_build.c) and the reader (idx_read.c) take
 * them from (pk-index(5) is the specification; keep both in step).
 */
#ifndef PK_IDX_FORMAT_H
#define PK_IDX_FORMAT_H

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
#define IDXM_FIELDS    92    /* u32: bit 1 << tag for every field tag keyed (0: older, FF_BASE fields) */
#define IDXM_CRC       100   /* u32: CRC-32 of bytes 0..99 (96..99 zero) */
/* version 3: the metadata is IDX3_META_LEN bytes, 0..103 as above, then the flat section's */
#define IDX3_META_LEN  128
#define IDXM_FLATLEN   104   /* u64: flat section bytes (before the padding to a whole page) */
#define IDXM_NTAB      112   /* u32: packet-table blocks */
#define IDXM_NFLB      116   /* u32: flow-list blocks */
#define IDXM_DIRCRC    120   /* u32: CRC-32C of the two directories */
#define IDXM_CRC3      124   /* u32: CRC-32 of bytes 0..123 */
/* the flat section (pk-index(5) "Flat section"): directory entries, then blocks */
#define IDX3_TDIR_LEN  48    /* a table block's directory entry */
#define IDX3T_POS      0     /* u64: its bytes, from the section's start */
#define IDX3T_LEN      8     /* u32 */
#define IDX3T_CRC      12    /* u32: CRC-32C of salt, tagged block number, bytes */
#define IDX3T_OFFSET   16    /* u64: pcap offset of its first packet */
#define IDX3T_MIN      24    /* u64: smallest time, ns */
#define IDX3T_MAX      32    /* u64: largest time, ns */
#define IDX3T_RUNMAX   40    /* u64: largest time of this and every earlier block, ns */
#define IDX3_FDIR_LEN  24    /* a flow-list block's directory entry */
#define IDX3F_POS      0     /* u64 */
#define IDX3F_LEN      8     /* u32 */
#define IDX3F_CRC      12    /* u32 */
#define IDX3F_FIRST    16    /* u32: its first flow */
#define IDX3F_FLOWS    20    /* u32: flows in it */
#define IDX3_FLOWTAG   0x80000000u   /* the tagged number of a flow-list block */
#define IDX3_BPK       256   /* packets per table block written */
#define IDX3_SEG       32    /* packets per segment of a table block: a reader may start at any */
#define IDX3_FLOW_BLOCK 4096 /* bytes of flow lists per block written, about */
/* varints of a table block's header after the count: offset, first time, first - min, max - min, runmax - max */
#define IDX_BLOCK_HDR 5
#define IDX_TRAILER_LEN 16
/* trailer offsets (the last record: the whole file was written) */
#define IDXT_RECORDS   0     /* u64: records before the trailer */
#define IDXT_METACRC   8     /* u32: CRC-32 of the whole metadata value */
#define IDXT_CRC       12    /* u32: CRC-32 of bytes 0..11 */
#define IDX_BLOCK_MAX 1024  /* packets per table block, upper bound a reader accepts */
/* meta list flags: which lists code runs of consecutive numbers */
#define IDX_LIST_RLE_KEYS  0x1u
#define IDX_LIST_RLE_FLOWS 0x2u
#ifndef IDX_RLE_KEYS
#define IDX_RLE_KEYS 1
#endif
#ifndef IDX_RLE_FLOWS
#define IDX_RLE_FLOWS 1
#endif

#endif
