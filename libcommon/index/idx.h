/*
 * idx.h - the per-pcap index (a Berkeley DB B-tree, then the flat section
 * of packet table and flow lists), pk-index(5)/pkindex(1).
 *
 * One index per archived pcap, at "<pcap path>.idx", built in a temporary
 * file beside it and renamed into place; never edited in place.  The pcap
 * is the truth: an index records what it covers (size, packet count,
 * first/last time, link type) and a reader that finds a mismatch treats
 * the index as absent.
 *
 * Keys are a field tag byte followed by the value in big-endian bytes, so
 * a B-tree range cursor answers CIDR prefixes and port ranges.  Lookups
 * return sets of packet ordinals (0-based, file order).
 */
#ifndef PK_IDX_H
#define PK_IDX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "field_table.h"
#include "fields.h"
#include "ordset.h"

#define IDX_SUFFIX ".idx"
#define IDX_VERSION 3

/*
 * Field tags (first key byte), one per row of FIELD_TABLE (field_table.h),
 * which also gives each value's fixed length.
 */
enum idx_tag {
#define X(id, tag, ...) IDX_##id = tag,
	FIELD_TABLE(X)
#undef X
};
/*
 * IDX_TAG_MAX: the last row's tag, the largest (rows are in increasing tag
 * order; tests/tools/fieldtab -c checks).  Each row adds "* 0 + tag", so
 * every tag but the last is multiplied by zero.
 */
enum {
#define X(id, tag, ...) * 0 + (tag)
	IDX_TAG_MAX = 0 FIELD_TABLE(X)
#undef X
};

/* idx_tag_len: value length of a tag, 0 if unknown. */
size_t idx_tag_len(int tag);

/* What an index covers; compared against the pcap before it is trusted. */
struct idx_meta {
	uint32_t version;
	uint32_t linktype;
	uint64_t pcap_size;     /* bytes of pcap covered (file size when built) */
	uint64_t pcap_mtime;    /* its modification time then, ns; 0: not recorded (older indexes) */
	uint32_t snaplen;       /* the pcap's snap length */
	uint64_t disorder;      /* no packet's time is more than this below an earlier packet's, ns */
	uint64_t packets;
	uint64_t first_ns, last_ns;   /* smallest and largest packet time (not file order) */
	int nsec;
};

/* ---- building ---- */
/*
 * idx_write_version: the version idxb_write writes: IDX_VERSION, or 2 when
 * the environment has PK_INDEX_VERSION=2 (the tests make indexes of before
 * with it; pkindex --repair rebuilds only what is older than this).
 */
uint32_t idx_write_version(void);
struct idx_builder;
struct idx_builder *idxb_new(uint32_t linktype, uint32_t snaplen, int nsec);
/* idxb_add: the next packet in file order (its ordinal is the count so far). */
void idxb_add(struct idx_builder *b, uint64_t offset, uint64_t ts_ns, uint32_t caplen,
    const struct pk_fields *f);
uint64_t idxb_count(const struct idx_builder *b);
/*
 * idxb_write: write the index for the pcap at pcap_path (pcap_size bytes
 * covered) to pcap_path + IDX_SUFFIX via a temporary file, fsync, rename.
 * 0, or -1 with errno and a message in err.
 */
int idxb_write(struct idx_builder *b, const char *pcap_path, uint64_t pcap_size, char *err, size_t errlen);
void idxb_free(struct idx_builder *b);
/*
 * idx_build_from_pcap: read a classic pcap from disk, decode every packet
 * and write its index.  0, or -1 with a message.  *packets gets the count.
 */
int idx_build_from_pcap(const char *pcap_path, uint64_t *packets, char *err, size_t errlen);

/* ---- reading ---- */
struct idx;
/* idx_open: open and verify an index (format, checksums of what is read). NULL + err. */
struct idx *idx_open(const char *idx_path, char *err, size_t errlen);
void idx_close(struct idx *x);
const struct idx_meta *idx_get_meta(const struct idx *x);
/*
 * idx_matches_pcap: 1 if the index covers exactly the pcap at path
 * (size, modification time and, cheaply, the last record), 0 if not.
 */
int idx_matches_pcap(const struct idx *x, const char *pcap_path);
/* idx_check_pcap: idx_matches_pcap, and the pcap's own header (when 1) in one open. */
int idx_check_pcap(const struct idx *x, const char *pcap_path, uint32_t *linktype, uint32_t *snaplen, int *nsec);
/*
 * idx_lookup_range: OR into out every packet whose tag value v has
 * lo <= v <= hi (big-endian byte strings of idx_tag_len(tag)).
 * 0, or -1 (corrupt index: message in err).
 */
int idx_lookup_range(struct idx *x, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out,
    char *err, size_t errlen);
/*
 * idx_judges: 1 if the index holds the keys of tag.  An index written
 * before a field was added (FIELD_TABLE without FF_BASE, IDXM_FIELDS)
 * has none of its keys, which must not read as "no packet has it":
 * idx_lookup_range and idx_lookup_flows then answer every packet.
 */
int idx_judges(const struct idx *x, int tag);
/* idx_identity: the CRC-32 of the index's metadata, recorded by catalogs (pk-index(5)) */
uint32_t idx_identity(const struct idx *x);
/*
 * idx_each_key: call fn once per distinct value of tag, in value order
 * (fn returns 0; anything else stops the walk as an error).  0, or -1
 * with a message (corrupt).
 */
int idx_each_key(struct idx *x, int tag, int (*fn)(void *arg, const uint8_t *val), void *arg, char *err,
    size_t errlen);
/* idx_flows: the number of flows (distinct tuples of the indexed fields) */
uint32_t idx_flows(const struct idx *x);
/* idx_lookup_flows: as idx_lookup_range, the flows (out has idx_flows() bits). 0 or -1. */
int idx_lookup_flows(struct idx *x, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out,
    char *err, size_t errlen);
/* idx_flows_packets: OR into out (idx packets bits) the packets of the flows in fs. 0 or -1. */
int idx_flows_packets(struct idx *x, const struct ordset *fs, struct ordset *out, char *err, size_t errlen);
/*
 * idx_time_range: OR into out every packet with start_ns <= ts < end_ns
 * (exact per packet; file order need not be time order).  0 or -1.
 */
int idx_time_range(struct idx *x, uint64_t start_ns, uint64_t end_ns, struct ordset *out, char *err,
    size_t errlen);
/*
 * idx_time_span: [*from, *to) is the part of the pcap (whole records)
 * that holds every packet with start_ns <= ts < end_ns, found by binary
 * search over the packet table (a superset when the file's order is not
 * time order; empty: *from == *to).  0 or -1.
 */
int idx_time_span(struct idx *x, uint64_t start_ns, uint64_t end_ns, uint64_t *from, uint64_t *to, char *err,
    size_t errlen);
/*
 * idx_packets: fn(arg, offset, time) for every packet of cand, in file
 * order, decoding each packet-table block once, walking the blocks with
 * one cursor.  0, fn's non-zero result, or -1 with a message (corrupt).
 */
int idx_packets(struct idx *x, const struct ordset *cand, int (*fn)(void *arg, uint64_t offset, uint64_t ts_ns),
    void *arg, char *err, size_t errlen);
/* idx_packet: offset and time of packet ordinal.  0 or -1. */
int idx_packet(struct idx *x, uint32_t ordinal, uint64_t *offset, uint64_t *ts_ns);
/* idx_verify: read every record of an open index (pkindex --repair); 0, or -1 with a message. */
int idx_verify(struct idx *x, char *err, size_t errlen);
/* idx_dump: print keys, lists and the packet table for humans (pkindex --dump). */
int idx_dump(struct idx *x, FILE *out);

#endif
