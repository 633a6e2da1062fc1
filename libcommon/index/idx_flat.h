/*
 * idx_flat.h - the flat section of a version 3 index (pk-index(5) "Flat
 * section"): the packet table and the flow lists, the parts a search
 * reads per packet, in blocks each checked by its own CRC-32C, after the
 * Berkeley DB pages of the same file.  idx_build.c writes it with
 * flat_out, idx_read.c reads it with struct flat; the fuzz target calls
 * the reader on bytes of its own.
 */
#ifndef PK_IDX_FLAT_H
#define PK_IDX_FLAT_H

#include <stddef.h>
#include <stdint.h>

#include "idx_format.h"
#include "ordset.h"
#include "pk.h"

/* ---- writing ---- */
struct flat_out {
	uint8_t *tab;            /* table blocks, back to back */
	size_t tablen, tabcap;
	uint8_t *tdir;           /* their directory entries (positions relative to tab until flat_finish) */
	size_t ntab, tdircap;
	uint8_t *fl;             /* flow-list blocks */
	size_t fllen, flcap;
	uint8_t *fdir;
	size_t nflb, fdircap;
};

/* flat_table_add: the next table block: n (1..IDX_BLOCK_MAX) packets; runmax: largest time so far */
void flat_table_add(struct flat_out *o, const uint64_t *off, const uint64_t *ts, unsigned n, uint64_t runmax);
/* flat_flows: the flow lists of n packets, flow[i] the flow of packet i (each < nflows) */
void flat_flows(struct flat_out *o, const uint32_t *flow, uint64_t n, uint32_t nflows);
/* flat_salt: the salt of an index's block checks, from its metadata (IDX3_META_LEN bytes) */
uint32_t flat_salt(const uint8_t *meta);
/* flat_block_crc: a block's check: CRC-32C of salt and tagged number (le32 each), then its bytes */
uint32_t flat_block_crc(uint32_t salt, uint32_t tagged, const uint8_t *p, size_t len);
/* flat_finish: the section (xmalloc'd, *len bytes) with every block's check; *dircrc the directories' */
uint8_t *flat_finish(struct flat_out *o, uint32_t salt, uint64_t *len, uint32_t *dircrc);
void flat_out_free(struct flat_out *o);

/* ---- reading ---- */
struct flat {
	/* given by the caller */
	const uint8_t *sec;      /* the section's bytes */
	uint64_t len;            /* IDXM_FLATLEN */
	uint32_t ntab, nflb, bpk, nflows, salt, dircrc;
	uint64_t packets, pcap_size;
	/* flat_open's */
	uint8_t *ok;             /* per block (tables, then flow lists): 1 once its check matched */
};

/* flat_open: check the directories against the fields given.  0, or -1 with *why. */
int flat_open(struct flat *f, const char **why);
void flat_close(struct flat *f);
/*
 * flat_block: decode packets from..upto of table block blk (from rounded
 * down to its segment's start; upto past the end: to the end) into off[]
 * and ts[] (IDX_BLOCK_MAX each, indexed by the packet's place in the
 * block); *n the block's packets.  0..UINT32_MAX reads the whole block and
 * checks every byte of it.  0, or -1 with *why.
 */
int flat_block(struct flat *f, uint32_t blk, uint32_t from, uint32_t upto, uint64_t *off, uint64_t *ts,
    uint32_t *n, const char **why);
/* flat_flows_packets: OR into out the packets of the flows in fs.  0, or -1 with *why. */
int flat_flows_packets(struct flat *f, const struct ordset *fs, struct ordset *out, const char **why);

/* a table block's directory: its first packet's offset, smallest and largest time, the running maximum */
static inline const uint8_t *flat_tdir(const struct flat *f, uint32_t blk) { return f->sec + (size_t)blk * IDX3_TDIR_LEN; }
static inline uint64_t flat_first_off(const struct flat *f, uint32_t blk) { return le64(flat_tdir(f, blk) + IDX3T_OFFSET); }
static inline uint64_t flat_min(const struct flat *f, uint32_t blk) { return le64(flat_tdir(f, blk) + IDX3T_MIN); }
static inline uint64_t flat_max(const struct flat *f, uint32_t blk) { return le64(flat_tdir(f, blk) + IDX3T_MAX); }
static inline uint64_t flat_runmax(const struct flat *f, uint32_t blk) { return le64(flat_tdir(f, blk) + IDX3T_RUNMAX); }

#endif
