/*
 * catalog_format.h - a catalog file's records and the offsets in them,
 * the one place catalog.c reads and writes them from (pk-index(5),
 * "Catalogs", is the specification; keep both in step).
 */
#ifndef PK_CATALOG_FORMAT_H
#define PK_CATALOG_FORMAT_H

#define CATK_META     0x00          /* key 00 'M' */
#define CATK_UNJUDGED 0xe0
#define CATK_NOTETHER 0xe1
#define CATK_SCAN     0xe2
#define CATK_FILE     0xf1          /* key f1 be32 file: a file entry */
#define CATK_TIMES    0xf2          /* key f2 be32 block: the times of CAT_TIMES_BLOCK files */
#define CATK_IVAL     0xf3          /* key f3 be32 n: intervals */
#define CATK_TRAILER  0xff
#define CAT_MAGIC     "pkcatlg"     /* 8 bytes with the NUL */
#define CAT_TIMES_BLOCK 64
#define CAT_PAGESIZE  4096
#define CAT_IVAL_CHUNK 512          /* intervals per record */

/* metadata offsets */
#define CAT_META_LEN  96
#define CATM_VERSION   8     /* u32 */
#define CATM_NFILES    12    /* u32 */
#define CATM_FLAGS     16    /* u32: 1 some file has no known time */
#define CATM_HOUR      20    /* u32: 0..23, or all ones for a whole folder */
#define CATM_MIN       24    /* u64: smallest packet time, ns */
#define CATM_MAX       32    /* u64: largest packet time, ns */
#define CATM_DIRINO    40    /* u64: the sealed folder's inode (0: not sealed) */
#define CATM_DIRMTIME  48    /* u64: and its modification time, ns */
#define CATM_PACKETS   56    /* u64 */
#define CATM_BYTES     64    /* u64: pcap bytes */
#define CATM_NIVALREC  72    /* u32: interval records */
#define CATM_NTIMES    76    /* u32: time blocks */
#define CATM_FIELDS    80    /* u32: bit 1 << tag for every field tag listed (0: older, FF_BASE fields) */
#define CATM_CRC       92    /* u32: CRC-32 of bytes 0..91 (84..91 zero) */

/* file entry offsets: the fixed part, then the name, then a CRC-32 of all before it */
#define CATE_PCAPSIZE  0     /* u64 */
#define CATE_PCAPINO   8     /* u64 */
#define CATE_IDXINO    16    /* u64 */
#define CATE_IDXSIZE   24    /* u64 */
#define CATE_PACKETS   32    /* u64 */
#define CATE_FIRST     40    /* u64: smallest time, ns */
#define CATE_LAST      48    /* u64: largest time, ns */
#define CATE_LINKTYPE  56    /* u32 */
#define CATE_SNAPLEN   60    /* u32 */
#define CATE_FLAGS     64    /* u32: CATF_ */
#define CATE_IDENTITY  68    /* u32: the index's identity */
#define CATE_NAMELEN   72    /* u16 */
#define CATE_NAME      74    /* the name, CATE_NAMELEN bytes */
#define CAT_ENTRY_FIXED CATE_NAME   /* file entry before the name */

/* trailer offsets, as in an index */
#define CAT_TRAILER_LEN 16
#define CATT_RECORDS   0     /* u64: records before the trailer */
#define CATT_METACRC   8     /* u32: CRC-32 of the whole metadata value */
#define CATT_CRC       12    /* u32: CRC-32 of bytes 0..11 */

#endif
