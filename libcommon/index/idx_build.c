/*
 * idx_build.c - building a per-pcap index (idx.h, pk-index(5)).
 *
 * Packets are grouped into flows: every distinct tuple of the indexed
 * fields gets a flow number in order of first appearance.  A field key
 * stores the sorted list of flows having that value, a flow stores the
 * ordinals of its packets, and the packet table stores offset and time.
 * Most packets repeat a tuple, so a packet costs about one small gap in
 * one flow list plus its table entry, instead of ~10 posting entries.
 *
 * The packet table is encoded as packets arrive; flow numbers (4 bytes a
 * packet) and flow tuples wait in memory for idxb_write, which emits
 * every record in key order (so B-tree pages fill completely) into a
 * temporary Berkeley DB file, appends the flat section (version 3: the
 * packet table and the flow lists, idx_flat.c) after its last page and
 * renames it into place.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdb.h"
#include "crc32.h"
#include "decode.h"
#include "idx.h"
#include "idx_flat.h"
#include "idx_format.h"
#include "pcapfile.h"
#include "pk.h"
#include "postings.h"
#include "varint.h"

/*
 * A flow tuple: the indexed fields of a packet in a fixed byte layout
 * derived from FIELD_TABLE (field_table.h), unused bytes zero, so that
 * equal flows are equal bytes (in memory only: the file holds the keys
 * tuple_keys makes of it).  Each field has a count byte at TUP_<ID> and
 * room for MAXN values of WIDTH bytes after it.
 */
enum {
#define X(id, tag, w, maxn, ...) TUP_##id, TUP_##id##_LAST = TUP_##id + (maxn) * (w),
	FIELD_TABLE(X)
#undef X
	TUP_USED,
	TUPLE_LEN = (TUP_USED + 15) / 16 * 16   /* whole pairs of words for tuple_hash */
};
/* the most keys one tuple makes (every value of every field) */
enum {
#define X(id, tag, w, maxn, ...) + (maxn)
	MAXKEYS = 0 FIELD_TABLE(X)
#undef X
};
#define TABLE_BLOCK 64           /* packets per packet-table record (version 2) */
#define IDX_SMALL_FILE 4096      /* packets: below this, 1 KiB pages */


struct idx_builder {
	uint32_t linktype, snaplen;
	int nsec;
	uint64_t n, cap;
	uint32_t *flow;          /* per packet: its flow */
	/* the packet table, encoded as packets arrive (pk-index(5)) */
	uint64_t base;           /* first packet's time rounded down to a microsecond, ns */
	uint64_t first, last;    /* smallest and largest time, ns */
	uint64_t runmax;         /* largest time so far (first..last in file order) */
	uint64_t disorder;       /* largest amount a time fell below runmax */
	uint64_t lastoff;
	uint64_t poff[IDX_BLOCK_MAX], pts[IDX_BLOCK_MAX];
	unsigned pn;             /* packets pending in poff/pts */
	unsigned bpk;            /* packets per table block */
	int v2;                  /* write version 2 (PK_INDEX_VERSION=2: tests make indexes of before) */
	struct flat_out fo;      /* version 3: the flat section's blocks */
	uint8_t *tab;            /* encoded blocks, back to back */
	size_t tablen, tabcap;
	size_t *blk;             /* start of each block in tab */
	size_t nblk, blkcap;
	uint8_t (*tuple)[TUPLE_LEN];
	uint32_t nflows, flowcap;
	uint32_t *ht;            /* open addressing: flow + 1, 0 = empty */
	uint32_t mru[2];         /* the last two flows looked up, latest first */
	uint32_t htcap;          /* power of two */
	int bad;                 /* 1: offsets did not increase by a whole record, 2: a time beyond PCAP_TS_MAX */
	uint64_t badoff;
};

/* the tuple of f (NULL: nothing decoded) */
static void
tuple_make(const struct pk_fields *f, uint8_t t[TUPLE_LEN])
{
	memset(t, 0, TUPLE_LEN);
	if (f == NULL) {
		t[TUP_UNSURE] = 1;       /* nothing decoded: unsure */
		t[TUP_UNSURE + 1] = 1;
		return;
	}
#define X(id, tag, w, maxn, take, ...) t[TUP_##id] = (uint8_t)take(f, t + TUP_##id + 1);
	FIELD_TABLE(X)
#undef X
}

/* the keys of a tuple with tag want (0: every tag): tag byte + value; returns how many */
struct key {
	uint8_t k[17];           /* tag + value, zero padded: memcmp order = key order */
	uint32_t flow;
};

static int
tuple_keys(const uint8_t t[TUPLE_LEN], uint32_t flow, int want, struct key *out)
{
	int n = 0;

#define X(id, tag, w, ...) \
	if (want == 0 || want == (tag)) \
		for (int i = 0; i < t[TUP_##id]; i++, n++) { \
			memset(&out[n], 0, sizeof out[n]); \
			out[n].k[0] = (tag); \
			memcpy(out[n].k + 1, t + TUP_##id + 1 + i * (w), (w)); \
			out[n].flow = flow; \
		}
	FIELD_TABLE(X)
#undef X
	return n;
}

/* the most values of one field a packet has: the keys of one tag per flow */
static size_t
field_maxn(void)
{
	size_t m = 1;

	for (int i = 0; i < field_count(); i++)
		if (field_at(i)->maxn > m)
			m = field_at(i)->maxn;
	return m;
}

/* bit 1 << tag for every field this builder keys (IDXM_FIELDS) */
static uint32_t
fields_keyed(void)
{
	uint32_t m = 0;

	for (int i = 0; i < field_count(); i++)
		m |= 1u << field_at(i)->tag;
	return m;
}

/*
 * The flow table's hash: four independent 64x64->128 multiplies over the
 * tuple's words.  The byte-wise FNV it replaces was a 64-step chain of
 * multiplies and most of pkindex's time.  Nothing on disk depends on it.
 */
static uint64_t
mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint32_t
tuple_hash(const uint8_t *t)
{
	static const uint64_t s[] = {
		0xa0761d6478bd642fu, 0xe7037ed1a0b428dbu, 0x8ebc6af09c88c6e3u, 0x589965cc75374cc3u,
		0x1d8e4e27c47d124fu, 0x9e3779b97f4a7c15u, 0xff51afd7ed558ccdu, 0xc4ceb9fe1a85ec53u,
		0x2127599bf4325c37u, 0x880355f21e6d1965u, 0xd6e8feb86659fd93u, 0xcbf29ce484222325u,
	};
	_Static_assert(sizeof s == TUPLE_LEN, "a seed for every word of the tuple");
	uint64_t w[TUPLE_LEN / 8], h = 0;

	memcpy(w, t, sizeof w);
	/* independent products: no chain through the whole tuple */
	for (int i = 0; i < TUPLE_LEN / 8; i += 2)
		h ^= mum(w[i] ^ s[i], w[i + 1] ^ s[i + 1]);
	return (uint32_t)mum(h ^ s[0], s[1]);
}

uint32_t
idx_write_version(void)
{
	const char *v = getenv("PK_INDEX_VERSION");

	return v != NULL && strcmp(v, "2") == 0 ? 2 : IDX_VERSION;
}

struct idx_builder *
idxb_new(uint32_t linktype, uint32_t snaplen, int nsec)
{
	struct idx_builder *b = xcalloc(1, sizeof *b);

	b->linktype = linktype;
	b->snaplen = snaplen;
	b->nsec = nsec;
	b->first = UINT64_MAX;
	b->htcap = 1024;
	b->ht = xcalloc(b->htcap, sizeof *b->ht);
	b->v2 = idx_write_version() == 2;
	b->bpk = b->v2 ? TABLE_BLOCK : IDX3_BPK;
	return b;
}

static void
ht_grow(struct idx_builder *b)
{
	uint32_t ncap = b->htcap * 2, *nh = xcalloc(ncap, sizeof *nh);

	for (uint32_t f = 0; f < b->nflows; f++) {
		uint32_t i = tuple_hash(b->tuple[f]) & (ncap - 1);
		while (nh[i])
			i = (i + 1) & (ncap - 1);
		nh[i] = f + 1;
	}
	free(b->ht);
	b->ht = nh;
	b->htcap = ncap;
}

static uint32_t
flow_of(struct idx_builder *b, const uint8_t t[TUPLE_LEN])
{
	uint32_t i = tuple_hash(t) & (b->htcap - 1);

	while (b->ht[i]) {
		if (memcmp(b->tuple[b->ht[i] - 1], t, TUPLE_LEN) == 0)
			return b->ht[i] - 1;
		i = (i + 1) & (b->htcap - 1);
	}
	if (b->nflows == b->flowcap) {
		uint32_t nc = b->flowcap ? b->flowcap * 2 : 256;
		void *nt = xreallocarray(b->tuple, nc, TUPLE_LEN);
		b->tuple = nt;
		b->flowcap = nc;
	}
	memcpy(b->tuple[b->nflows], t, TUPLE_LEN);
	b->ht[i] = b->nflows + 1;
	b->nflows++;
	if ((uint64_t)b->nflows * 2 > b->htcap)
		ht_grow(b);
	return b->nflows - 1;
}

/* flow_of, first trying the last two flows: half the packets of a capture, about */
static uint32_t
flow_cached(struct idx_builder *b, const uint8_t t[TUPLE_LEN])
{
	uint32_t f;

	if (b->nflows > 0) {
		if (memcmp(b->tuple[b->mru[0]], t, TUPLE_LEN) == 0)
			return b->mru[0];
		if (memcmp(b->tuple[b->mru[1]], t, TUPLE_LEN) == 0) {
			f = b->mru[1];
			b->mru[1] = b->mru[0];
			return b->mru[0] = f;
		}
	}
	f = flow_of(b, t);
	b->mru[1] = b->mru[0];
	return b->mru[0] = f;
}

/* encode the pending packets as one table block */
static void
table_flush(struct idx_builder *b)
{
	uint64_t mn = UINT64_MAX, mx = 0, u = 1000;
	uint8_t *p;

	if (b->pn == 0)
		return;
	if (!b->v2) {
		flat_table_add(&b->fo, b->poff, b->pts, b->pn, b->runmax);
		b->pn = 0;
		return;
	}
	if (b->tablen + (size_t)(b->pn + 1) * 2 * VARINT_MAX + 3 * VARINT_MAX > b->tabcap) {
		size_t nc = b->tabcap ? b->tabcap * 2 : 65536;
		uint8_t *nt = xreallocarray(b->tab, nc, 1);
		b->tab = nt;
		b->tabcap = nc;
	}
	if (b->nblk == b->blkcap) {
		size_t nc = b->blkcap ? b->blkcap * 2 : 256;
		size_t *nb = xreallocarray(b->blk, nc, sizeof *nb);
		b->blk = nb;
		b->blkcap = nc;
	}
	b->blk[b->nblk++] = b->tablen;
	/* times in microseconds when the whole block allows it, else nanoseconds */
	for (unsigned i = 0; i < b->pn; i++) {
		mn = b->pts[i] < mn ? b->pts[i] : mn;
		mx = b->pts[i] > mx ? b->pts[i] : mx;
		u = b->pts[i] % 1000 ? 1 : u;
	}
	p = b->tab + b->tablen;
	p += varint_put(p, (uint64_t)b->pn << 1 | (u == 1000));
	p += varint_put(p, b->poff[0]);
	/* times are at most PCAP_TS_MAX (< 2^63): their signed differences are defined */
	p += varint_put(p, zigzag_enc(((int64_t)b->pts[0] - (int64_t)b->base) / (int64_t)u));
	p += varint_put(p, (b->pts[0] - mn) / u);
	p += varint_put(p, (mx - mn) / u);
	/* the largest time up to the end of this block: a time search can binary-search the blocks */
	p += varint_put(p, (b->runmax - mx + u - 1) / u);
	for (unsigned i = 1; i < b->pn; i++) {
		p += varint_put(p, b->poff[i] - b->poff[i - 1] - PCAP_RECHDR);
		p += varint_put(p, zigzag_enc(((int64_t)b->pts[i] - (int64_t)b->pts[i - 1]) / (int64_t)u));
	}
	b->tablen = (size_t)(p - b->tab);
	b->pn = 0;
}

void
idxb_add(struct idx_builder *b, uint64_t offset, uint64_t ts_ns, uint32_t caplen,
    const struct pk_fields *f)
{
	uint8_t t[TUPLE_LEN];

	if (b->n == b->cap) {
		uint64_t nc = b->cap ? b->cap * 2 : 4096;
		uint32_t *nf = xreallocarray(b->flow, nc, sizeof *nf);
		b->flow = nf;
		b->cap = nc;
	}
	/*
	 * The table stores offset deltas minus a record header (file order,
	 * whole records) and time deltas as signed numbers: a packet that
	 * breaks either (a stream can say anything) makes the index unwritable;
	 * a time is clamped so that the signed arithmetic of table_flush stays
	 * defined (offsets are unsigned: they may wrap, harmlessly).
	 */
	if (!b->bad && (offset < PCAP_FILEHDR || offset > (uint64_t)INT64_MAX ||
	    (b->n > 0 && offset < b->lastoff + PCAP_RECHDR))) {
		b->bad = 1;
		b->badoff = offset;
	}
	if (ts_ns > PCAP_TS_MAX) {
		if (!b->bad) {
			b->bad = 2;
			b->badoff = offset;
		}
		ts_ns = PCAP_TS_MAX;
	}
	(void)caplen;
	if (!b->nsec)
		ts_ns -= ts_ns % 1000;   /* as a microsecond pcap holds it */
	if (b->n == 0)
		b->base = ts_ns - ts_ns % 1000;
	b->first = ts_ns < b->first ? ts_ns : b->first;
	b->last = ts_ns > b->last ? ts_ns : b->last;
	if (b->pn == b->bpk)
		table_flush(b);
	if (b->n > 0 && ts_ns < b->runmax && b->runmax - ts_ns > b->disorder)
		b->disorder = b->runmax - ts_ns;
	if (b->n == 0 || ts_ns > b->runmax)
		b->runmax = ts_ns;
	b->lastoff = offset;
	b->poff[b->pn] = offset;
	b->pts[b->pn++] = ts_ns;
	tuple_make(f, t);
	b->flow[b->n] = flow_cached(b, t);
	b->n++;
}

uint64_t
idxb_count(const struct idx_builder *b)
{
	return b->n;
}

void
idxb_free(struct idx_builder *b)
{
	if (b == NULL)
		return;
	free(b->tab);
	free(b->blk);
	free(b->flow);
	free(b->tuple);
	free(b->ht);
	flat_out_free(&b->fo);
	free(b);
}

/* ---- writing ---- */

/*
 * Sort the keys of one tag into (value bytes in memcmp order, flow) order.
 * They arrive in flow order, so a stable sort on the value is enough: an
 * LSD radix sort, one pass per value byte that is not the same in all.
 * The result is in k; tmp has room for n keys.
 */
static void
keys_sort(struct key *k, struct key *tmp, size_t n)
{
	struct key *src = k, *dst = tmp, *sw;
	size_t count[256];

	for (int byte = (int)sizeof k->k - 1; byte >= 1; byte--) {
		size_t sum = 0, c;

		memset(count, 0, sizeof count);
		for (size_t i = 0; i < n; i++)
			count[src[i].k[byte]]++;
		if (n == 0 || count[src[0].k[byte]] == n)
			continue;        /* every key has this byte: order stays */
		for (int v = 0; v < 256; v++) {
			c = count[v];
			count[v] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[src[i].k[byte]]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != k)
		memcpy(k, src, n * sizeof *k);
}

static int
write_keys(struct idx_builder *b, struct pl_out *w)
{
	struct key *keys, *tmp;
	uint32_t *flows;
	size_t nk = 0, i, j;
	int rc = 0;

	/* one tag at a time: memory for the pairs of one tag only (VLAN, MPLS: up to 4 per flow) */
	keys = xreallocarray(NULL, (size_t)b->nflows * field_maxn() + 1, sizeof *keys);
	tmp = xreallocarray(NULL, (size_t)b->nflows * field_maxn() + 1, sizeof *tmp);
	flows = xreallocarray(NULL, (size_t)b->nflows + 1, sizeof *flows);
	for (int tag = 1; tag <= IDX_TAG_MAX && rc == 0; tag++) {
		nk = 0;
		for (uint32_t f = 0; f < b->nflows; f++) {
			struct key fk[MAXKEYS];
			int m = tuple_keys(b->tuple[f], f, tag, fk);
			for (int q = 0; q < m; q++)
				keys[nk++] = fk[q];
		}
		if (nk == 0)
			continue;
		keys_sort(keys, tmp, nk);
		pl_begin(w, (uint8_t)tag, idx_tag_len(tag), IDX_RLE_KEYS);
		for (i = 0; i < nk && rc == 0; i = j) {
			size_t n = 0;
			for (j = i; j < nk && memcmp(keys[j].k, keys[i].k, sizeof keys[i].k) == 0; j++)
				if (n == 0 || flows[n - 1] != keys[j].flow)
					flows[n++] = keys[j].flow;
			rc = pl_add(w, keys[i].k + 1, flows, n);
		}
		if (rc == 0)
			rc = pl_end(w);
	}
	free(keys);
	free(tmp);
	free(flows);
	return rc;
}

static int
write_flows(struct idx_builder *b, struct pl_out *w)
{
	uint32_t *start, *ord;
	int rc = 0;

	start = xcalloc((size_t)b->nflows + 1, sizeof *start);
	ord = xreallocarray(NULL, b->n + 1, sizeof *ord);
	for (uint64_t i = 0; i < b->n; i++)
		start[b->flow[i] + 1]++;
	for (uint32_t f = 0; f < b->nflows; f++)
		start[f + 1] += start[f];
	for (uint64_t i = 0; i < b->n; i++)     /* counting sort: each list comes out sorted */
		ord[start[b->flow[i]]++] = (uint32_t)i;
	pl_begin(w, IDXK_FLOW, 4, IDX_RLE_FLOWS);
	for (uint32_t f = 0, s = 0; f < b->nflows && rc == 0; f++) {
		uint8_t fv[4];
		putbe32(fv, f);
		rc = pl_add(w, fv, ord + s, start[f] - s);
		s = start[f];
	}
	if (rc == 0)
		rc = pl_end(w);
	free(start);
	free(ord);
	return rc;
}

static int
write_table(struct idx_builder *b, struct pl_out *w)
{
	uint8_t key[5];

	table_flush(b);
	key[0] = IDXK_BLOCK;
	for (size_t i = 0; i < b->nblk; i++) {
		size_t end = i + 1 < b->nblk ? b->blk[i + 1] : b->tablen;
		putbe32(key + 1, (uint32_t)i);
		if (pl_put(w, key, 5, b->tab + b->blk[i], end - b->blk[i]) < 0)
			return -1;
	}
	return 0;
}

/*
 * write_all: every record in key order; version 3 leaves the flow lists
 * and the packet table to the flat section, made here (*sec, *seclen) and
 * appended by bdb_commit after the last page.
 */
static int
write_all(struct idx_builder *b, struct pl_out *w, uint64_t pcap_size, uint64_t pcap_mtime, uint8_t **sec,
    uint64_t *seclen)
{
	uint8_t meta[IDX3_META_LEN], tr[IDX_TRAILER_LEN], mkey[2] = { IDXK_META, 'M' }, tkey[1] = { IDXK_TRAILER };
	uint64_t first = b->n ? b->first : 0, last = b->last;
	size_t mlen = b->v2 ? IDX_META_LEN : IDX3_META_LEN;
	uint32_t dircrc;

	memset(meta, 0, sizeof meta);
	memcpy(meta, IDX_MAGIC, 8);
	put32(meta + IDXM_VERSION, b->v2 ? 2 : IDX_VERSION);
	put32(meta + IDXM_LINKTYPE, b->linktype);
	put32(meta + IDXM_NSEC, b->nsec ? 1 : 0);
	put32(meta + IDXM_SNAPLEN, b->snaplen);
	put64(meta + IDXM_PCAPSIZE, pcap_size);
	put64(meta + IDXM_PACKETS, b->n);
	put64(meta + IDXM_FIRST, first);
	put64(meta + IDXM_LAST, last);
	put32(meta + IDXM_FLOWS, b->nflows);
	put32(meta + IDXM_BPK, b->bpk);
	put32(meta + IDXM_LISTFLAGS, (IDX_RLE_KEYS ? IDX_LIST_RLE_KEYS : 0) | (IDX_RLE_FLOWS ? IDX_LIST_RLE_FLOWS : 0));
	put64(meta + IDXM_BASE, b->base);
	put64(meta + IDXM_MTIME, pcap_mtime);
	put64(meta + IDXM_DISORDER, b->disorder);
	put32(meta + IDXM_FIELDS, fields_keyed());
	put32(meta + IDXM_CRC, crc32_update(0, meta, IDXM_CRC));
	if (!b->v2) {
		table_flush(b);
		flat_flows(&b->fo, b->flow, b->n, b->nflows);
		*sec = flat_finish(&b->fo, flat_salt(meta), seclen, &dircrc);
		put64(meta + IDXM_FLATLEN, *seclen);
		put32(meta + IDXM_NTAB, (uint32_t)b->fo.ntab);
		put32(meta + IDXM_NFLB, (uint32_t)b->fo.nflb);
		put32(meta + IDXM_DIRCRC, dircrc);
		put32(meta + IDXM_CRC3, crc32_update(0, meta, IDXM_CRC3));
	}
	if (pl_put(w, mkey, 2, meta, mlen) < 0 || write_keys(b, w) < 0 ||
	    (b->v2 && (write_flows(b, w) < 0 || write_table(b, w) < 0)))
		return -1;
	put64(tr + IDXT_RECORDS, w->records);
	put32(tr + IDXT_METACRC, crc32_update(0, meta, mlen));
	put32(tr + IDXT_CRC, crc32_update(0, tr, IDXT_CRC));
	return pl_put(w, tkey, 1, tr, sizeof tr);
}

int
idxb_write(struct idx_builder *b, const char *pcap_path, uint64_t pcap_size, char *errbuf, size_t errlen)
{
	struct bdb_out o;
	struct pl_out w;
	struct stat st;
	char dst[4096];
	unsigned pgsize;
	uint8_t *sec = NULL;
	uint64_t seclen = 0;
	int rc;

	if (b->bad) {
		snprintf(errbuf, errlen, b->bad == 2 ? "%s: a packet time no pcap can hold (at %llu)" :
		    "%s: packet offsets not in file order (at %llu)", pcap_path, (unsigned long long)b->badoff);
		errno = EINVAL;
		return -1;
	}
	if ((size_t)snprintf(dst, sizeof dst, "%s%s", pcap_path, IDX_SUFFIX) >= sizeof dst) {
		snprintf(errbuf, errlen, "%s: path too long", pcap_path);
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * Small pages for small files: a one-minute file of a few hundred
	 * packets fits a few 1 KiB pages where 4 KiB pages stay mostly empty
	 * (4SICS in one-minute files: 13.8 bytes/packet against 18.8), and
	 * Berkeley DB checksums every whole page it reads.  Big files keep
	 * 4 KiB pages (one file of 246k packets: 6.6 bytes/packet against 8.7).
	 */
	pgsize = b->n < IDX_SMALL_FILE ? 1024 : 4096;
	if (bdb_create(&o, dst, pgsize, errbuf, errlen) < 0)
		return -1;
	o.group_of = pcap_path;        /* read by whoever may read the pcap */
	/*
	 * Records of about a tenth of a page pack pages well and stay far
	 * below the overflow-page threshold.
	 */
	pl_init(&w, o.db, pgsize / 10);
	errbuf[0] = '\0';
	/* the pcap's modification time: a pcap replaced by another of the same size is told apart */
	rc = stat(pcap_path, &st) < 0 ? -1 : write_all(b, &w, pcap_size,
	    (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec, &sec, &seclen);
	pl_free(&w);
	o.tail = sec;
	o.taillen = seclen;
	rc = bdb_commit(&o, rc == 0, errbuf, errlen);
	free(sec);
	return rc;
}

int
idx_build_from_pcap(const char *pcap_path, uint64_t *packets, char *errbuf, size_t errlen)
{
	struct pcapf pf;
	struct pcapf_rec r;
	struct pk_fields f;
	struct idx_builder *b;
	char rerr[512] = "";
	int rc;

	*packets = 0;
	if (pcapf_open(&pf, pcap_path, errbuf, errlen) < 0)
		return -1;
	b = idxb_new(pf.linktype, pf.snaplen, pf.nsec);
	while ((rc = pcapf_next(&pf, &r, rerr, sizeof rerr)) == 1) {
		decode_packet(pf.linktype, r.data, r.caplen, &f);
		idxb_add(b, r.offset, r.ts_ns, r.caplen, &f);
	}
	/*
	 * A damaged tail (rc < 0): index the whole records before it, covering
	 * the file's full size so the index matches the file as it is; tcpdump
	 * stops reading at the same place.  The caller gets the reason in errbuf.
	 */
	*packets = idxb_count(b);
	rc = idxb_write(b, pcap_path, pf.size, errbuf, errlen);
	if (rc == 0)
		snprintf(errbuf, errlen, "%s", rerr);
	idxb_free(b);
	pcapf_close(&pf);
	return rc;
}
