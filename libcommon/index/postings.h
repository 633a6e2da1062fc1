/*
 * postings.h - grouped posting lists in a Berkeley DB B-tree, the list
 * layout of pk-index(5) ("Lists"), shared by the per-file index (values
 * list flows, flows list packet ordinals) and the archive catalog
 * (values list file numbers).  One owner for the format: idx_build.c,
 * idx_read.c and catalog.c only call these.
 *
 * The (value, sorted u32 list) pairs of one tag, in value order, are
 * packed into records of about `chunk` bytes.  A record's key is the tag,
 * the value of its first segment and a be16 part (that value's segments
 * in earlier records).
 */
#ifndef PK_POSTINGS_H
#define PK_POSTINGS_H

#include <db.h>
#include <stddef.h>
#include <stdint.h>

#include "idx.h"

/* ---- writing (keys must come in B-tree order: a tag's values ascending) ---- */
struct pl_out {
	DB *db;
	uint64_t records;        /* records put so far (the trailer counts them) */
	size_t chunk;            /* target size of a list record */
	uint8_t *buf;
	size_t len, cap;
	/* the tag being written */
	uint8_t tag;
	size_t vlen;
	int rle;                 /* lists code runs of consecutive numbers */
	uint8_t key[1 + 16 + 2];
	uint64_t prev;           /* value of the last segment in the record */
	uint8_t *tmp;
	size_t tmpcap;
};

/* pl_init: start writing into db; chunk: target record size. */
void pl_init(struct pl_out *w, DB *db, size_t chunk);
/* pl_put: one record (key, value) of any kind; 0, or -1 with errno. */
int pl_put(struct pl_out *w, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
/* pl_begin: the lists of tag (values of vlen bytes; rle: code runs) follow. */
void pl_begin(struct pl_out *w, uint8_t tag, size_t vlen, int rle);
/* pl_add: value val (big-endian, vlen bytes, above the previous one) lists v[0..n) (ascending). */
int pl_add(struct pl_out *w, const uint8_t *val, const uint32_t *v, size_t n);
/* pl_end: the tag's last record; 0 or -1. */
int pl_end(struct pl_out *w);
void pl_free(struct pl_out *w);

/* ---- reading ---- */
/*
 * pl_seg_fn: one segment: value val (vlen bytes) and its numbers
 * list[0..n) (ascending).  A value's list may come in several segments.
 * Non-zero stops the scan with that result.
 */
typedef int (*pl_seg_fn)(void *arg, const uint8_t *val, const uint32_t *list, size_t n);

/*
 * pl_scan: the segments of tag whose values lie in lo..hi (big-endian,
 * vlen bytes), or, with want, only the values whose number is in want
 * (vlen <= 4: flow lists).  Numbers must be below limit.  rle: the tag's
 * lists code runs.  0, a callback's result, a Berkeley DB error, or -1
 * (the lists are corrupt; with want, also when a wanted value is absent).
 */
int pl_scan(DB *db, int tag, size_t vlen, const uint8_t *lo, const uint8_t *hi, const struct ordset *want,
    uint32_t limit, int rle, pl_seg_fn fn, void *arg);

/*
 * pl_iter: every segment of the list records of a database in key order,
 * for merging (catalog.c).  taglen(tag) gives a tag's value length (0:
 * not a list record, skipped), rle(tag) whether its lists code runs.
 */
struct pl_iter {
	DBC *c;
	DBT k, d;
	size_t (*taglen)(int tag);
	int (*rle)(int tag);
	uint32_t limit;
	const uint8_t *p, *end;  /* the rest of the current record */
	int tag, first;
	size_t vlen;
	uint64_t cur;
	/* the current segment */
	uint8_t val[16];
	uint32_t *list;
	size_t n, listcap;
};
int pl_iter_open(struct pl_iter *it, DB *db, size_t (*taglen)(int), int (*rle)(int), uint32_t limit);
/* pl_iter_next: 1 and it->tag, it->val, it->list[0..it->n) set; 0 at the end; -1 corrupt */
int pl_iter_next(struct pl_iter *it);
void pl_iter_close(struct pl_iter *it);

/* pl_seg_or: a pl_seg_fn that ORs the numbers into the ordset arg (numbers >= its size ignored). */
int pl_seg_or(void *arg, const uint8_t *val, const uint32_t *list, size_t n);

#endif
