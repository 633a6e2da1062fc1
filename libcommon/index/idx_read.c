/*
 * idx_read.c - opening, checking and querying a per-pcap index (idx.h).
 *
 * Every page is checksummed by Berkeley DB (DB_CHKSUM); the metadata and
 * trailer records carry CRC-32s of their own; every varint and ordinal
 * is bounds-checked while decoding.  Any inconsistency makes the call
 * return -1 with a message, and the caller treats the index as absent.
 *
 * Version 3 keeps the packet table and the flow lists in the flat section
 * after the pages (idx_flat.c); version 2 keeps them in the B-tree and is
 * still read, until pkindex --repair rebuilds it.  x->v3 tells which.
 */
#include <arpa/inet.h>
#include <db.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdb.h"
#include "crc32.h"
#include "idx.h"
#include "idx_flat.h"
#include "idx_format.h"
#include "ordset.h"
#include "pcapfile.h"
#include "pk.h"
#include "postings.h"
#include "varint.h"

struct idx {
	DB *db;
	char *path;
	struct idx_meta meta;
	uint32_t nflows, bpk, nblocks, listflags;
	uint32_t fields;         /* IDXM_FIELDS: bit 1 << tag for each tag keyed, 0 in older indexes */
	uint64_t base;           /* first packet's time in units: table times are relative to it */
	uint64_t records;
	uint64_t crunmax;        /* the cached block's largest time so far (its own and earlier blocks') */
	uint32_t metacrc;        /* CRC-32 of the whole metadata value: the index's identity */
	uint32_t cblock;         /* cached block, UINT32_MAX: none */
	uint32_t ccount;
	uint64_t coff[IDX_BLOCK_MAX], cts[IDX_BLOCK_MAX];
	/* version 3: the flat section, read whole (small) or mapped */
	int v3;
	struct flat fl;
	uint8_t *secbuf;
	void *map;
	size_t maplen;
};

/* a section up to this size is read with one pread, a bigger one mapped (only what is touched is read) */
#define SECTION_READ_MAX (64u << 10)

size_t
idx_tag_len(int tag)
{
	const struct field_desc *d = field_by_tag(tag);

	return d ? d->width : 0;
}

static const char *
tag_name(int tag)
{
	const struct field_desc *d = field_by_tag(tag);

	return d ? d->name : "?";
}

static int
fail(struct idx *x, char *errbuf, size_t errlen, const char *what, int rc)
{
	const char *m = bdb_lasterr();

	snprintf(errbuf, errlen, "%s: corrupt index: %s%s%s", x->path, what, rc || m[0] ? ": " : "",
	    m[0] ? m : rc ? db_strerror(rc) : "");
	return -1;
}

static int
get(struct idx *x, const uint8_t *key, size_t klen, DBT *d)
{
	DBT k;

	memset(&k, 0, sizeof k);
	memset(d, 0, sizeof *d);
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)klen;
	return x->db->get(x->db, NULL, &k, d, 0);
}

/*
 * open_flat: the flat section of a version 3 index: the file holds the
 * database's pages, then the section and zeros to a whole page (a file
 * cut short, or grown, is damaged); its directory is checked here, each
 * block when it is first read.  0, or -1 with a message.
 */
static int
open_flat(struct idx *x, const uint8_t *m, uint64_t dbsize, uint64_t filesize, char *errbuf, size_t errlen)
{
	uint64_t len = le64(m + IDXM_FLATLEN), pad;
	uint32_t pg = 0;
	const char *why;
	int fd;

	x->v3 = 1;
	if (x->db->get_pagesize(x->db, &pg) != 0 || pg == 0)
		return fail(x, errbuf, errlen, "page size", 0);
	pad = (pg - len % pg) % pg;
	if (len > filesize || filesize - dbsize != len + pad)
		return fail(x, errbuf, errlen, "flat section cut short or grown", 0);
	x->fl.len = len;
	x->fl.ntab = le32(m + IDXM_NTAB);
	x->fl.nflb = le32(m + IDXM_NFLB);
	x->fl.dircrc = le32(m + IDXM_DIRCRC);
	x->fl.bpk = x->bpk;
	x->fl.nflows = x->nflows;
	x->fl.packets = x->meta.packets;
	x->fl.pcap_size = x->meta.pcap_size;
	x->fl.salt = flat_salt(m);
	if (len == 0) {
		static const uint8_t none[1];
		x->fl.sec = none;
	} else {
		/*
		 * A second open of the path: an index renamed over it meanwhile
		 * has other metadata, so its directory fails the check below.
		 */
		if ((fd = open(x->path, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(errbuf, errlen, "%s: %s", x->path, strerror(errno));
			return -1;
		}
		if (len <= SECTION_READ_MAX) {
			x->secbuf = xmalloc((size_t)len);
			if (pread(fd, x->secbuf, (size_t)len, (off_t)dbsize) != (ssize_t)len) {
				close(fd);
				return fail(x, errbuf, errlen, "flat section unreadable", 0);
			}
			x->fl.sec = x->secbuf;
		} else {
			/* dbsize is a multiple of the database's page size, not always of the system's */
			uint64_t at = dbsize - dbsize % (uint64_t)sysconf(_SC_PAGESIZE);
			x->maplen = (size_t)(dbsize - at + len);
			x->map = mmap(NULL, x->maplen, PROT_READ, MAP_PRIVATE, fd, (off_t)at);
			if (x->map == MAP_FAILED) {
				x->map = NULL;
				close(fd);
				return fail(x, errbuf, errlen, "flat section unreadable", 0);
			}
			x->fl.sec = (const uint8_t *)x->map + (dbsize - at);
		}
		close(fd);
	}
	if (flat_open(&x->fl, &why) < 0)
		return fail(x, errbuf, errlen, why, 0);
	return 0;
}

struct idx *
idx_open(const char *idx_path, char *errbuf, size_t errlen)
{
	struct idx *x;
	uint8_t mkey[2] = { IDXK_META, 'M' };
	const uint8_t *m;
	uint64_t dbsize, filesize;
	uint32_t version;
	DBT d;
	int rc;

	x = xcalloc(1, sizeof *x);
	x->path = xstrdup(idx_path);
	x->cblock = UINT32_MAX;
	if (bdb_open_tail(idx_path, &x->db, &dbsize, &filesize, errbuf, errlen) < 0) {
		if (errno != ENOENT)
			snprintf(errbuf + strlen(errbuf), errlen - strlen(errbuf), " (corrupt index)");
		goto bad;
	}
	if ((rc = get(x, mkey, 2, &d)) != 0) {
		fail(x, errbuf, errlen, "no metadata", rc == DB_NOTFOUND ? 0 : rc);
		goto bad;
	}
	m = d.data;
	version = d.size >= 12 ? le32(m + IDXM_VERSION) : 0;
	if (d.size >= 12 && memcmp(m, IDX_MAGIC, 8) == 0 && version != 2 && version != IDX_VERSION) {
		/* an index of the first version says so: it is rebuilt like any other that does not fit */
		snprintf(errbuf, errlen, "%s: index version %u, not %u", idx_path, version, IDX_VERSION);
		goto bad;
	}
	if (d.size != (version == 2 ? IDX_META_LEN : IDX3_META_LEN) || memcmp(m, IDX_MAGIC, 8) != 0 ||
	    le32(m + IDXM_CRC) != crc32_update(0, m, IDXM_CRC) ||
	    (version == 3 && le32(m + IDXM_CRC3) != crc32_update(0, m, IDXM_CRC3))) {
		fail(x, errbuf, errlen, "bad metadata", 0);
		goto bad;
	}
	x->meta.version = le32(m + IDXM_VERSION);
	x->meta.linktype = le32(m + IDXM_LINKTYPE);
	x->meta.nsec = le32(m + IDXM_NSEC) & 1;
	x->meta.snaplen = le32(m + IDXM_SNAPLEN);
	x->meta.pcap_size = le64(m + IDXM_PCAPSIZE);
	x->meta.packets = le64(m + IDXM_PACKETS);
	x->meta.first_ns = le64(m + IDXM_FIRST);
	x->meta.last_ns = le64(m + IDXM_LAST);
	x->nflows = le32(m + IDXM_FLOWS);
	x->bpk = le32(m + IDXM_BPK);
	x->listflags = le32(m + IDXM_LISTFLAGS);
	x->fields = le32(m + IDXM_FIELDS);
	x->base = le64(m + IDXM_BASE);
	x->meta.pcap_mtime = le64(m + IDXM_MTIME);
	x->meta.disorder = le64(m + IDXM_DISORDER);
	if (x->bpk == 0 || x->bpk > IDX_BLOCK_MAX ||
	    x->meta.packets > UINT32_MAX - 1 || x->nflows > x->meta.packets) {
		fail(x, errbuf, errlen, "bad metadata values", 0);
		goto bad;
	}
	x->nblocks = (uint32_t)((x->meta.packets + x->bpk - 1) / x->bpk);
	x->metacrc = crc32_update(0, m, d.size);
	if (version == 2 ? filesize != dbsize : open_flat(x, m, dbsize, filesize, errbuf, errlen) < 0) {
		if (version == 2)
			fail(x, errbuf, errlen, "data after the last page", 0);
		goto bad;
	}
	/*
	 * The trailer (the last key) is read by idx_verify, not here: a file
	 * cut short fails bdb_plausible (its size is not its page count) and a
	 * damaged page fails its checksum when it is read, so a search need not
	 * read the last page of every index it opens.
	 */
	return x;
bad:
	idx_close(x);
	return NULL;
}

/* the trailer: the number of records and the metadata's CRC (a whole file, written to its end) */
static int
check_trailer(struct idx *x, char *errbuf, size_t errlen)
{
	const uint8_t *t;
	DBC *c;
	DBT k, d;
	int rc;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	if ((rc = x->db->cursor(x->db, NULL, &c, 0)) != 0)
		return fail(x, errbuf, errlen, "cursor", rc);
	if ((rc = c->get(c, &k, &d, DB_LAST)) != 0) {
		c->close(c);
		return fail(x, errbuf, errlen, "no trailer", rc == DB_NOTFOUND ? 0 : rc);
	}
	t = d.data;
	if (k.size != 1 || ((uint8_t *)k.data)[0] != IDXK_TRAILER || d.size != IDX_TRAILER_LEN ||
	    le32(t + IDXT_CRC) != crc32_update(0, t, IDXT_CRC) || le32(t + IDXT_METACRC) != x->metacrc) {
		c->close(c);
		return fail(x, errbuf, errlen, "bad trailer", 0);
	}
	x->records = le64(t + IDXT_RECORDS);
	c->close(c);
	return 0;
}

void
idx_close(struct idx *x)
{
	if (x == NULL)
		return;
	if (x->db)
		x->db->close(x->db, 0);
	flat_close(&x->fl);
	free(x->secbuf);
	if (x->map)
		munmap(x->map, x->maplen);
	free(x->path);
	free(x);
}

const struct idx_meta *
idx_get_meta(const struct idx *x)
{
	return &x->meta;
}

int
idx_check_pcap(const struct idx *x, const char *pcap_path, uint32_t *linktype, uint32_t *snaplen, int *nsec)
{
	struct stat st;

	/*
	 * The index recorded its pcap's size, modification time and header:
	 * one stat tells whether the pcap is still the one it indexed (pk
	 * only ever renames files into place; a pcap replaced or written to
	 * has another time).
	 */
	*linktype = x->meta.linktype;
	*snaplen = x->meta.snaplen;
	*nsec = x->meta.nsec;
	return stat(pcap_path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == x->meta.pcap_size &&
	    x->meta.pcap_mtime == (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec &&
	    (x->meta.packets > 0 || st.st_size == PCAP_FILEHDR);
}

int
idx_matches_pcap(const struct idx *x, const char *pcap_path)
{
	uint32_t lt, snap;
	int nsec;

	return idx_check_pcap(x, pcap_path, &lt, &snap, &nsec);
}

/* decode table block blk into the cache */
static int
load_block_upto(struct idx *x, uint32_t blk, char *errbuf, size_t errlen, uint64_t *mn, uint64_t *mx,
    const DBT *have, uint32_t upto)
{
	uint8_t key[5] = { IDXK_BLOCK };
	const uint8_t *p, *end;
	uint64_t cnt, off, t, dmin, span, rmax, v, u, room;
	uint32_t want;
	DBT d;
	int rc;

	if (x->v3) {
		const char *why;
		x->cblock = UINT32_MAX;
		if (flat_block(&x->fl, blk, 0, upto, x->coff, x->cts, &x->ccount, &why) < 0)
			return fail(x, errbuf, errlen, why, 0);
		if (mn) {
			*mn = flat_min(&x->fl, blk);
			*mx = flat_max(&x->fl, blk);
		}
		x->crunmax = flat_runmax(&x->fl, blk);
		if (upto == UINT32_MAX)
			x->cblock = blk;       /* decoded whole: idx_packet may use it again */
		return 0;
	}
	if (have) {
		d = *have;
	} else {
		putbe32(key + 1, blk);
		if ((rc = get(x, key, 5, &d)) != 0)
			return fail(x, errbuf, errlen, "packet table block missing", rc == DB_NOTFOUND ? 0 : rc);
	}
	p = d.data;
	end = p + d.size;
	want = blk + 1 < x->nblocks ? x->bpk : (uint32_t)(x->meta.packets - (uint64_t)blk * x->bpk);
	if (blk >= x->nblocks || varint_get(&p, end, &cnt) < 0 || (u = cnt & 1 ? 1000 : 1, cnt >>= 1) != want ||
	    varint_get(&p, end, &off) < 0 || varint_get(&p, end, &t) < 0 || varint_get(&p, end, &dmin) < 0 ||
	    varint_get(&p, end, &span) < 0 || varint_get(&p, end, &rmax) < 0)
		return fail(x, errbuf, errlen, "bad packet table block", 0);
	/* every record header lies inside the pcap the index covers, in file order */
	if (off < PCAP_FILEHDR || x->meta.pcap_size < PCAP_FILEHDR + PCAP_RECHDR ||
	    off > x->meta.pcap_size - PCAP_RECHDR)
		return fail(x, errbuf, errlen, "packet table offset outside the pcap", 0);
	/* times in ns; wrapping arithmetic on damaged data gives wrong times, never a crash */
	t = x->base + (uint64_t)zigzag_dec(t) * u;
	if (mn) {
		*mn = t - dmin * u;
		*mx = *mn + span * u;
	}
	x->crunmax = t - dmin * u + span * u + rmax * u;
	x->cblock = UINT32_MAX;
	x->coff[0] = off;
	x->cts[0] = t;
	for (uint32_t i = 1; i < cnt; i++) {
		if (i > upto) {
			/* decoded as far as asked: the rest is not checked, and the block is not cached */
			x->ccount = i;
			return 0;
		}
		if (varint_get(&p, end, &v) < 0)
			return fail(x, errbuf, errlen, "bad packet table block", 0);
		room = x->meta.pcap_size - PCAP_RECHDR - off;     /* off <= pcap_size - 16 holds */
		if (room < PCAP_RECHDR || v > room - PCAP_RECHDR)
			return fail(x, errbuf, errlen, "packet table offset outside the pcap", 0);
		off += v + PCAP_RECHDR;
		if (varint_get(&p, end, &v) < 0)
			return fail(x, errbuf, errlen, "bad packet table block", 0);
		t += (uint64_t)zigzag_dec(v) * u;
		x->coff[i] = off;
		x->cts[i] = t;
	}
	if (p != end)
		return fail(x, errbuf, errlen, "bad packet table block", 0);
	x->cblock = blk;
	x->ccount = (uint32_t)cnt;
	return 0;
}

static int
load_block(struct idx *x, uint32_t blk, char *errbuf, size_t errlen, uint64_t *mn, uint64_t *mx,
    const DBT *have)
{
	return load_block_upto(x, blk, errbuf, errlen, mn, mx, have, UINT32_MAX);
}

int
idx_packets(struct idx *x, const struct ordset *cand, int (*fn)(void *arg, uint64_t offset, uint64_t ts_ns),
    void *arg, char *errbuf, size_t errlen)
{
	uint8_t key[5] = { IDXK_BLOCK };
	uint32_t i = ordset_next(cand, 0), cur = 0;
	int rc = 0, have = 0;
	DBC *c;
	DBT k, d;

	if (i == UINT32_MAX)
		return 0;
	if (x->v3) {
		/*
		 * No cursor, and only the segments with a candidate decoded, each
		 * as far as its last one: a selective search decodes a few dozen
		 * packets per match, not a whole block.
		 */
		const char *why;
		while (i != UINT32_MAX && rc == 0) {
			uint32_t blk = i / x->bpk, lo = blk * x->bpk, send = lo + (i - lo) / IDX3_SEG * IDX3_SEG + IDX3_SEG;
			uint32_t last = i, j, n;

			if (i >= x->meta.packets)
				return fail(x, errbuf, errlen, "candidate beyond the packet table", 0);
			if (send > lo + x->bpk)
				send = lo + x->bpk;
			for (j = i; j != UINT32_MAX && j < send; j = ordset_next(cand, j + 1))
				last = j;
			if (flat_block(&x->fl, blk, i - lo, last - lo, x->coff, x->cts, &n, &why) < 0)
				return fail(x, errbuf, errlen, why, 0);
			for (j = i; j != UINT32_MAX && j <= last && rc == 0; j = ordset_next(cand, j + 1))
				rc = fn(arg, x->coff[j - lo], x->cts[j - lo]);
			i = j;
		}
		x->cblock = UINT32_MAX;
		return rc;
	}
	if ((rc = x->db->cursor(x->db, NULL, &c, 0)) != 0)
		return fail(x, errbuf, errlen, "cursor", rc);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while (i != UINT32_MAX && rc == 0) {
		uint32_t blk = i / x->bpk, lo = blk * x->bpk, last = i, j;

		if (i >= x->meta.packets) {
			rc = fail(x, errbuf, errlen, "candidate beyond the packet table", 0);
			break;
		}
		for (j = i; j != UINT32_MAX && j - lo < x->bpk; j = ordset_next(cand, j + 1))
			last = j;
		/* the next block with a candidate: a few steps on the cursor, else a seek */
		if (have && blk > cur && blk - cur <= 8) {
			while (cur < blk && (rc = c->get(c, &k, &d, DB_NEXT)) == 0)
				cur++;
		} else {
			putbe32(key + 1, blk);
			k.data = key;
			k.size = 5;
			rc = c->get(c, &k, &d, DB_SET);
			cur = blk;
		}
		have = 1;
		if (rc != 0 || k.size != 5 || ((uint8_t *)k.data)[0] != IDXK_BLOCK || be32((uint8_t *)k.data + 1) != blk) {
			rc = fail(x, errbuf, errlen, "packet table block missing", rc == DB_NOTFOUND ? 0 : rc);
			break;
		}
		if ((rc = load_block_upto(x, blk, errbuf, errlen, NULL, NULL, &d, last - lo)) < 0)
			break;
		for (j = i; j != UINT32_MAX && j - lo < x->bpk && rc == 0; j = ordset_next(cand, j + 1))
			rc = fn(arg, x->coff[j - lo], x->cts[j - lo]);
		i = j;
	}
	x->cblock = UINT32_MAX;
	c->close(c);
	return rc;
}

int
idx_packet(struct idx *x, uint32_t ordinal, uint64_t *offset, uint64_t *ts_ns)
{
	char e[256];

	if (ordinal >= x->meta.packets)
		return -1;
	if (x->cblock != ordinal / x->bpk && load_block(x, ordinal / x->bpk, e, sizeof e, NULL, NULL, NULL) < 0)
		return -1;
	*offset = x->coff[ordinal % x->bpk];
	*ts_ns = x->cts[ordinal % x->bpk];
	return 0;
}

/*
 * time_blocks: the blocks *b0..*b1 that can hold a time in [start, end)
 * (*b0 > *b1: none), by binary search over the running maximum each block
 * records: a packet at or after start lies in a block whose running
 * maximum is at least start, and a packet before end in a block whose
 * predecessor's running maximum is below end + the file's disorder (the
 * most any time falls below an earlier one; one microsecond more for
 * maxima rounded up to their block's unit).  0, or -1 (corrupt).
 */
static int
time_blocks(struct idx *x, uint64_t start, uint64_t end, uint32_t *b0, uint32_t *b1, char *errbuf, size_t errlen)
{
	uint64_t stop = end > UINT64_MAX - x->meta.disorder - 1000 ? UINT64_MAX : end + x->meta.disorder + 1000;
	uint32_t lo, hi;

	*b0 = 1;
	*b1 = 0;
	if (x->meta.packets == 0 || start >= end || x->meta.last_ns < start || x->meta.first_ns >= end)
		return 0;
	for (lo = 0, hi = x->nblocks; lo < hi;) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (x->v3)
			x->crunmax = flat_runmax(&x->fl, mid);   /* the directory has it: nothing to decode */
		else if (load_block(x, mid, errbuf, errlen, NULL, NULL, NULL) < 0)
			return -1;
		if (x->crunmax >= start)
			hi = mid;
		else
			lo = mid + 1;
	}
	*b0 = lo;
	for (lo = *b0, hi = x->nblocks; lo < hi;) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (x->v3)
			x->crunmax = flat_runmax(&x->fl, mid);
		else if (load_block(x, mid, errbuf, errlen, NULL, NULL, NULL) < 0)
			return -1;
		if (x->crunmax >= stop)
			hi = mid;
		else
			lo = mid + 1;
	}
	*b1 = lo < x->nblocks ? lo : x->nblocks - 1;
	return 0;
}

int
idx_time_span(struct idx *x, uint64_t start_ns, uint64_t end_ns, uint64_t *from, uint64_t *to, char *errbuf,
    size_t errlen)
{
	uint32_t b0, b1;

	*from = *to = 0;
	if (time_blocks(x, start_ns, end_ns, &b0, &b1, errbuf, errlen) < 0)
		return -1;
	if (b0 > b1)
		return 0;
	if (x->v3) {
		/* the directory has each block's first offset; its blocks are checked when read */
		*from = flat_first_off(&x->fl, b0);
		*to = b1 + 1 >= x->nblocks ? x->meta.pcap_size : flat_first_off(&x->fl, b1 + 1);
		return *from <= *to ? 0 : fail(x, errbuf, errlen, "packet table out of order", 0);
	}
	if (load_block(x, b0, errbuf, errlen, NULL, NULL, NULL) < 0)
		return -1;
	*from = x->coff[0];
	if (b1 + 1 >= x->nblocks) {
		*to = x->meta.pcap_size;
	} else {
		if (load_block(x, b1 + 1, errbuf, errlen, NULL, NULL, NULL) < 0)
			return -1;
		*to = x->coff[0];
	}
	return *from <= *to ? 0 : fail(x, errbuf, errlen, "packet table out of order", 0);
}

int
idx_time_range(struct idx *x, uint64_t start_ns, uint64_t end_ns, struct ordset *out, char *errbuf,
    size_t errlen)
{
	uint8_t key[5] = { IDXK_BLOCK };
	DBC *c;
	DBT k, d;
	uint32_t blk, b0, b1;
	int rc;

	if (time_blocks(x, start_ns, end_ns, &b0, &b1, errbuf, errlen) < 0)
		return -1;
	if (b0 > b1)
		return 0;
	if (x->v3) {
		for (blk = b0; blk <= b1; blk++) {
			uint64_t base = (uint64_t)blk * x->bpk;
			/* blocks wholly inside or outside the window by their directory entries */
			if (flat_max(&x->fl, blk) < start_ns || flat_min(&x->fl, blk) >= end_ns)
				continue;
			if (load_block(x, blk, errbuf, errlen, NULL, NULL, NULL) < 0)
				return -1;
			for (uint32_t i = 0; i < x->ccount; i++)
				if (x->cts[i] >= start_ns && x->cts[i] < end_ns && base + i < out->n)
					ordset_add(out, (uint32_t)(base + i));
		}
		return 0;
	}
	if ((rc = x->db->cursor(x->db, NULL, &c, 0)) != 0)
		return fail(x, errbuf, errlen, "cursor", rc);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	putbe32(key + 1, b0);
	k.data = key;
	k.size = 5;
	blk = b0;
	for (rc = c->get(c, &k, &d, DB_SET_RANGE); rc == 0 && blk <= b1; rc = c->get(c, &k, &d, DB_NEXT), blk++) {
		uint64_t mn, mx, base = (uint64_t)blk * x->bpk;
		if (k.size != 5 || ((uint8_t *)k.data)[0] != IDXK_BLOCK || be32(k.data + 1) != blk)
			break;
		if (load_block(x, blk, errbuf, errlen, &mn, &mx, &d) < 0) {
			c->close(c);
			return -1;
		}
		if (mx < start_ns || mn >= end_ns)
			continue;
		for (uint32_t i = 0; i < x->ccount; i++)
			if (x->cts[i] >= start_ns && x->cts[i] < end_ns && base + i < out->n)
				ordset_add(out, (uint32_t)(base + i));
	}
	c->close(c);
	if (blk != b1 + 1)
		return fail(x, errbuf, errlen, "packet table incomplete", rc == DB_NOTFOUND ? 0 : rc);
	return 0;
}

static int
gscan(struct idx *x, int tag, size_t vlen, const uint8_t *lo, const uint8_t *hi, const struct ordset *want,
    uint32_t limit, pl_seg_fn fn, void *arg)
{
	return pl_scan(x->db, tag, vlen, lo, hi, want, limit,
	    (x->listflags & (tag == IDXK_FLOW ? IDX_LIST_RLE_FLOWS : IDX_LIST_RLE_KEYS)) != 0, fn, arg);
}

/* OR the packets of the flows in fs into out */
static int
flows_to_packets(struct idx *x, const struct ordset *fs, struct ordset *out, char *errbuf, size_t errlen)
{
	uint8_t lo[4] = { 0, 0, 0, 0 }, hi[4] = { 0xff, 0xff, 0xff, 0xff };
	int rc;

	if (ordset_next(fs, 0) == UINT32_MAX)
		return 0;
	if (out->n < x->meta.packets)
		return fail(x, errbuf, errlen, "ordinal set smaller than the index", 0);
	if (x->v3) {
		const char *why;
		return flat_flows_packets(&x->fl, fs, out, &why) < 0 ? fail(x, errbuf, errlen, why, 0) : 0;
	}
	if ((rc = gscan(x, IDXK_FLOW, 4, lo, hi, fs, (uint32_t)x->meta.packets, pl_seg_or, out)) != 0)
		return fail(x, errbuf, errlen, "flow lists", rc > 0 || rc < -1 ? rc : 0);
	return 0;
}

/* the flows of every key tag:lo..hi */
static int
keys_to_flows(struct idx *x, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *fs, char *errbuf,
    size_t errlen)
{
	int rc;

	if ((rc = gscan(x, tag, idx_tag_len(tag), lo, hi, NULL, x->nflows, pl_seg_or, fs)) != 0)
		return fail(x, errbuf, errlen, "key lists", rc > 0 || rc < -1 ? rc : 0);
	return 0;
}

uint32_t
idx_identity(const struct idx *x)
{
	return x->metacrc;
}

struct eachkey {
	int (*fn)(void *, const uint8_t *);
	void *arg;
	size_t vlen;
	int have;
	uint8_t last[16];
};

/* one call per distinct value: a long list comes in several segments */
static int
eachkey_seg(void *arg, const uint8_t *val, const uint32_t *list, size_t n)
{
	struct eachkey *e = arg;

	(void)list;
	(void)n;
	if (e->have && memcmp(e->last, val, e->vlen) == 0)
		return 0;
	memcpy(e->last, val, e->vlen);
	e->have = 1;
	return e->fn(e->arg, val);
}

int
idx_each_key(struct idx *x, int tag, int (*fn)(void *arg, const uint8_t *val), void *arg, char *errbuf,
    size_t errlen)
{
	struct eachkey e = { fn, arg, idx_tag_len(tag), 0, { 0 } };
	uint8_t lo[16], hi[16];
	int rc;

	if (e.vlen == 0) {
		snprintf(errbuf, errlen, "%s: unknown index tag %d", x->path, tag);
		return -1;
	}
	memset(lo, 0, sizeof lo);
	memset(hi, 0xff, sizeof hi);
	if ((rc = gscan(x, tag, e.vlen, lo, hi, NULL, x->nflows, eachkey_seg, &e)) != 0)
		return fail(x, errbuf, errlen, "key lists", rc > 0 || rc < -1 ? rc : 0);
	return 0;
}

int
idx_judges(const struct idx *x, int tag)
{
	const struct field_desc *d = field_by_tag(tag);

	if (d == NULL)
		return 0;
	return x->fields ? (x->fields >> tag & 1) != 0 : (d->flags & FF_BASE) != 0;
}

uint32_t
idx_flows(const struct idx *x)
{
	return x->nflows;
}

int
idx_lookup_flows(struct idx *x, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out,
    char *errbuf, size_t errlen)
{
	if (idx_tag_len(tag) == 0) {
		snprintf(errbuf, errlen, "%s: unknown index tag %d", x->path, tag);
		return -1;
	}
	if (!idx_judges(x, tag)) {
		ordset_fill(out);
		return 0;
	}
	if (memcmp(lo, hi, idx_tag_len(tag)) > 0)
		return 0;
	return keys_to_flows(x, tag, lo, hi, out, errbuf, errlen);
}

int
idx_flows_packets(struct idx *x, const struct ordset *fs, struct ordset *out, char *errbuf, size_t errlen)
{
	return flows_to_packets(x, fs, out, errbuf, errlen);
}

int
idx_lookup_range(struct idx *x, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out,
    char *errbuf, size_t errlen)
{
	struct ordset fs;
	int rc;

	if (idx_tag_len(tag) != 0 && !idx_judges(x, tag)) {
		ordset_fill(out);	/* every packet, without going through every flow */
		return 0;
	}
	ordset_init(&fs, x->nflows);
	rc = idx_lookup_flows(x, tag, lo, hi, &fs, errbuf, errlen);
	if (rc == 0)
		rc = flows_to_packets(x, &fs, out, errbuf, errlen);
	ordset_free(&fs);
	return rc;
}

static void
print_value(FILE *out, int tag, const uint8_t *v)
{
	const struct field_desc *d = field_by_tag(tag);
	char s[INET6_ADDRSTRLEN];
	uint32_t n = 0;

	switch (d ? d->fmt : FV_DEC) {
	case FV_MAC:
		fprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2], v[3], v[4], v[5]);
		break;
	case FV_IP4:
		fputs(inet_ntop(AF_INET, v, s, sizeof s), out);
		break;
	case FV_IP6:
		fputs(inet_ntop(AF_INET6, v, s, sizeof s), out);
		break;
	case FV_HEX:
		fprintf(out, "0x%04x", be16(v));
		break;
	case FV_DEC:
		for (unsigned i = 0; d && i < d->width && i < 4; i++)
			n = n << 8 | v[i];
		fprintf(out, "%u", n);
		break;
	}
}

/* the dump's times: seconds.nanoseconds since the epoch (print_time is ISO 8601) */
static void
print_epoch(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
}

struct dumpst {
	struct idx *x;
	FILE *out;
	int tag, have, bad;
	uint8_t cur[16];
	struct ordset fs, ps;
};

/* one key: its packets, then the key line */
static void
dump_key(struct dumpst *ds)
{
	char e[512];
	uint32_t i;

	ordset_free(&ds->ps);
	ordset_init(&ds->ps, (uint32_t)ds->x->meta.packets);
	if (flows_to_packets(ds->x, &ds->fs, &ds->ps, e, sizeof e) < 0) {
		warnx("%s", e);
		ds->bad = 1;
		return;
	}
	fprintf(ds->out, "key %s ", tag_name(ds->tag));
	print_value(ds->out, ds->tag, ds->cur);
	fprintf(ds->out, " flows %" PRIu64 " packets %" PRIu64 ":", ordset_count(&ds->fs), ordset_count(&ds->ps));
	for (i = ordset_next(&ds->ps, 0); i != UINT32_MAX; i = ordset_next(&ds->ps, i + 1))
		fprintf(ds->out, " %u", i);
	fputc('\n', ds->out);
	ordset_free(&ds->fs);
	ordset_init(&ds->fs, ds->x->nflows);
}

static int
dump_seg(void *arg, const uint8_t *val, const uint32_t *list, size_t n)
{
	struct dumpst *ds = arg;
	size_t len = idx_tag_len(ds->tag);

	if (ds->have && memcmp(ds->cur, val, len) != 0) {
		dump_key(ds);
		if (ds->bad)
			return -1;
	}
	memcpy(ds->cur, val, len);
	ds->have = 1;
	return pl_seg_or(&ds->fs, val, list, n);
}

int
idx_dump(struct idx *x, FILE *out)
{
	struct dumpst ds;
	uint8_t lo[16], hi[16];
	uint64_t off, ts;
	char e[512];
	int bad = 0;

	if (check_trailer(x, e, sizeof e) < 0) {
		warnx("%s", e);
		return -1;
	}
	fprintf(out, "version %u\nlinktype %u\nprecision %s\npcap_size %" PRIu64 "\npackets %" PRIu64 "\n",
	    x->meta.version, x->meta.linktype, x->meta.nsec ? "nsec" : "usec", x->meta.pcap_size, x->meta.packets);
	fputs("first ", out);
	print_epoch(out, x->meta.first_ns);
	fputs("\nlast ", out);
	print_epoch(out, x->meta.last_ns);
	fprintf(out, "\nflows %u\nrecords %" PRIu64 "\n", x->nflows, x->records);
	memset(lo, 0, sizeof lo);
	memset(hi, 0xff, sizeof hi);
	memset(&ds, 0, sizeof ds);
	ds.x = x;
	ds.out = out;
	ordset_init(&ds.fs, x->nflows);
	ordset_init(&ds.ps, 1);
	for (int tag = 1; tag <= IDX_TAG_MAX && !bad; tag++) {
		ds.tag = tag;
		ds.have = 0;
		if (gscan(x, tag, idx_tag_len(tag), lo, hi, NULL, x->nflows, dump_seg, &ds) != 0 || ds.bad)
			bad = 1;
		else if (ds.have)
			dump_key(&ds);
		bad |= ds.bad;
	}
	ordset_free(&ds.fs);
	ordset_free(&ds.ps);
	for (uint32_t i = 0; i < x->meta.packets && !bad; i++) {
		if (idx_packet(x, i, &off, &ts) < 0) {
			bad = 1;
			break;
		}
		fprintf(out, "packet %u offset %" PRIu64 " time ", i, off);
		print_epoch(out, ts);
		fputc('\n', out);
	}
	if (bad)
		warnx("%s: corrupt index", x->path);
	return bad ? -1 : 0;
}

/*
 * idx_verify: read every record of the index (pkindex --repair): page
 * checksums, record layout, ordinal bounds.  0, or -1 with a message.
 */
int
idx_verify(struct idx *x, char *errbuf, size_t errlen)
{
	struct ordset all, fs;
	char e[256];
	int rc;

	if (check_trailer(x, errbuf, errlen) < 0)
		return -1;
	ordset_init(&all, (uint32_t)x->meta.packets);
	ordset_init(&fs, x->nflows);
	ordset_fill(&fs);
	rc = flows_to_packets(x, &fs, &all, errbuf, errlen);
	if (rc == 0 && ordset_count(&all) != x->meta.packets)
		rc = fail(x, errbuf, errlen, "flow lists do not cover every packet", 0);
	if (rc == 0) {
		ordset_free(&all);
		ordset_init(&all, (uint32_t)x->meta.packets);
		rc = idx_time_range(x, 0, UINT64_MAX, &all, errbuf, errlen);
		if (rc == 0 && ordset_count(&all) != x->meta.packets)
			rc = fail(x, errbuf, errlen, "packet table does not cover every packet", 0);
	}
	if (rc == 0) {
		uint8_t lo[16], hi[16];
		memset(lo, 0, sizeof lo);
		memset(hi, 0xff, sizeof hi);
		ordset_free(&fs);
		ordset_init(&fs, x->nflows);
		for (int tag = 1; tag <= IDX_TAG_MAX && rc == 0; tag++)
			rc = keys_to_flows(x, tag, lo, hi, &fs, errbuf, errlen);
	}
	(void)e;
	ordset_free(&all);
	ordset_free(&fs);
	return rc;
}
