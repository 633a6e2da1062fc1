/*
 * catalog.c - the archive catalog (catalog.h, pk-index(5) "Catalogs").
 *
 * Records in key order:
 *
 *   00 'M'              metadata (CAT_META_LEN bytes, CRC-32 at the end)
 *   tag value part      file lists, the field tags of the per-file index (field_table.h)
 *   e0 01 part          files whose keys cannot be trusted (link type or snaplen)
 *   e1 01 part          files that are not Ethernet (MAC keys cannot judge them)
 *   e2 01 part          files catalogued to be scanned (no usable index)
 *   f1 be32             file table entry
 *   f2 be32             times of 64 files (first, last), for time windows
 *   f3 be32             covered intervals
 *   ff                  trailer: records before it, CRC of the metadata, own CRC
 *
 * Lists are postings.c's.  A builder merges its sources in key order: the
 * keys of the files it read (sorted in memory) and the lists of the
 * catalogs it takes files from (read with a cursor, file numbers mapped),
 * so merging 24 hours into a day holds one key's list at a time.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "bdb.h"
#include "catalog_format.h"
#include "crc32.h"
#include "catalog.h"
#include "linktype.h"
#include "ordset.h"
#include "pcapfile.h"
#include "pk.h"
#include "postings.h"
#include "varint.h"

/* ---- names ---- */

int
cat_path(const char *root, const char *folder, int hour, char *buf, size_t len)
{
	int n = hour == CAT_WHOLE ? snprintf(buf, len, "%s/%s/%s%s", root, CAT_DIRNAME, folder, CAT_SUFFIX) :
	    snprintf(buf, len, "%s/%s/%s.%02d%s", root, CAT_DIRNAME, folder, hour, CAT_SUFFIX);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* value length of a list tag of the catalog; 0: not a list */
static size_t
cat_taglen(int tag)
{
	if (tag >= 1 && tag <= IDX_TAG_MAX)
		return idx_tag_len(tag);
	return tag == CATK_UNJUDGED || tag == CATK_NOTETHER || tag == CATK_SCAN ? 1 : 0;
}

/* file lists code runs (consecutive file numbers are common: a busy key is in every file) */
static int
cat_rle(int tag)
{
	(void)tag;
	return 1;
}

/* ---- reading ---- */

struct catalog {
	DB *db;
	char *path;
	struct cat_head h;
	uint32_t ntimes, nivalrec;
	uint32_t metacrc;
	uint32_t fields;         /* CATM_FIELDS: bit 1 << tag for each field listed, 0 in older catalogs */
};

/* every field tag this code lists (CATM_FIELDS of what it writes) */
static uint32_t
cat_fields_all(void)
{
	uint32_t m = 0;

	for (int i = 0; i < field_count(); i++)
		m |= 1u << field_at(i)->tag;
	return m;
}

/*
 * cat_judges: 1 if the catalog's lists of a field tag are complete.  A
 * catalog written before a field was added has no list of it, which must
 * not read as "no file has it" (as idx_judges).
 */
static int
cat_judges(const struct catalog *c, int tag)
{
	const struct field_desc *d = field_by_tag(tag);

	if (d == NULL)
		return 1;        /* not a field: the catalog's own flags */
	return c->fields ? (c->fields >> tag & 1) != 0 : (d->flags & FF_BASE) != 0;
}

static int
cfail(const char *path, char *errbuf, size_t errlen, const char *what, int rc)
{
	const char *m = bdb_lasterr();

	snprintf(errbuf, errlen, "%s: corrupt catalog: %s%s%s", path, what, rc || m[0] ? ": " : "",
	    m[0] ? m : rc > 0 ? db_strerror(rc) : "");
	return -1;
}

static int
dbget(DB *db, const uint8_t *key, size_t klen, DBT *d)
{
	DBT k;

	memset(&k, 0, sizeof k);
	memset(d, 0, sizeof *d);
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)klen;
	return db->get(db, NULL, &k, d, 0);
}

struct catalog *
cat_open(const char *path, char *errbuf, size_t errlen)
{
	static const uint8_t mkey[2] = { CATK_META, 'M' };
	struct catalog *c;
	const uint8_t *m;
	DBT d;
	int rc;

	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	if (bdb_open_ro(path, &c->db, errbuf, errlen) < 0)
		goto bad;
	if ((rc = dbget(c->db, mkey, 2, &d)) != 0) {
		cfail(path, errbuf, errlen, "no metadata", rc == DB_NOTFOUND ? 0 : rc);
		goto bad;
	}
	m = d.data;
	if (d.size != CAT_META_LEN || memcmp(m, CAT_MAGIC, 8) != 0 ||
	    le32(m + CATM_CRC) != crc32_update(0, m, CATM_CRC)) {
		cfail(path, errbuf, errlen, "bad metadata", 0);
		goto bad;
	}
	if (le32(m + CATM_VERSION) != CAT_VERSION) {
		snprintf(errbuf, errlen, "%s: catalog version %u, not %u", path, le32(m + CATM_VERSION), CAT_VERSION);
		goto bad;
	}
	c->h.nfiles = le32(m + CATM_NFILES);
	c->h.hour = le32(m + CATM_HOUR) == UINT32_MAX ? CAT_WHOLE : (int)le32(m + CATM_HOUR);
	c->h.min_ns = le64(m + CATM_MIN);
	c->h.max_ns = le64(m + CATM_MAX);
	c->h.dir_ino = le64(m + CATM_DIRINO);
	c->h.dir_mtime_ns = le64(m + CATM_DIRMTIME);
	c->h.packets = le64(m + CATM_PACKETS);
	c->h.bytes = le64(m + CATM_BYTES);
	c->nivalrec = le32(m + CATM_NIVALREC);
	c->ntimes = le32(m + CATM_NTIMES);
	c->h.untimed = (le32(m + CATM_FLAGS) & 1) != 0;
	c->fields = le32(m + CATM_FIELDS);
	if ((c->h.hour != CAT_WHOLE && (c->h.hour < 0 || c->h.hour > 23)) || c->h.min_ns > c->h.max_ns ||
	    c->ntimes != (c->h.nfiles + CAT_TIMES_BLOCK - 1) / CAT_TIMES_BLOCK || c->h.nfiles > UINT32_MAX - 64) {
		cfail(path, errbuf, errlen, "bad metadata values", 0);
		goto bad;
	}
	/* the trailer is cat_verify's: see idx_open */
	c->metacrc = crc32_update(0, m, CAT_META_LEN);
	return c;
bad:
	cat_close(c);
	return NULL;
}

void
cat_close(struct catalog *c)
{
	if (c == NULL)
		return;
	if (c->db)
		c->db->close(c->db, 0);
	free(c->path);
	free(c);
}

const struct cat_head *
cat_head(const struct catalog *c)
{
	return &c->h;
}

static int
entry_decode(const uint8_t *p, size_t len, struct cat_file *f)
{
	size_t nl;

	if (len < CAT_ENTRY_FIXED + 4 || le32(p + len - 4) != crc32_update(0, p, len - 4))
		return -1;
	nl = le16(p + CATE_NAMELEN);
	if (nl == 0 || nl >= sizeof f->name || CAT_ENTRY_FIXED + nl + 4 != len || memchr(p + CATE_NAME, '/', nl) ||
	    memchr(p + CATE_NAME, '\0', nl))
		return -1;
	f->pcap_size = le64(p + CATE_PCAPSIZE);
	f->pcap_ino = le64(p + CATE_PCAPINO);
	f->idx_ino = le64(p + CATE_IDXINO);
	f->idx_size = le64(p + CATE_IDXSIZE);
	f->packets = le64(p + CATE_PACKETS);
	f->first_ns = le64(p + CATE_FIRST);
	f->last_ns = le64(p + CATE_LAST);
	f->linktype = le32(p + CATE_LINKTYPE);
	f->snaplen = le32(p + CATE_SNAPLEN);
	f->flags = le32(p + CATE_FLAGS);
	f->identity = le32(p + CATE_IDENTITY);
	memcpy(f->name, p + CATE_NAME, nl);
	f->name[nl] = '\0';
	return f->first_ns > f->last_ns ? -1 : 0;
}

static size_t
entry_encode(const struct cat_file *f, uint8_t *p)
{
	size_t nl = strlen(f->name);

	put64(p + CATE_PCAPSIZE, f->pcap_size);
	put64(p + CATE_PCAPINO, f->pcap_ino);
	put64(p + CATE_IDXINO, f->idx_ino);
	put64(p + CATE_IDXSIZE, f->idx_size);
	put64(p + CATE_PACKETS, f->packets);
	put64(p + CATE_FIRST, f->first_ns);
	put64(p + CATE_LAST, f->last_ns);
	put32(p + CATE_LINKTYPE, f->linktype);
	put32(p + CATE_SNAPLEN, f->snaplen);
	put32(p + CATE_FLAGS, f->flags);
	put32(p + CATE_IDENTITY, f->identity);
	put16(p + CATE_NAMELEN, (uint16_t)nl);
	memcpy(p + CATE_NAME, f->name, nl);
	put32(p + CATE_NAME + nl, crc32_update(0, p, CATE_NAME + nl));
	return CATE_NAME + nl + 4;
}

int
cat_file(struct catalog *c, uint32_t i, struct cat_file *f, char *errbuf, size_t errlen)
{
	uint8_t key[5] = { CATK_FILE };
	DBT d;
	int rc;

	if (i >= c->h.nfiles)
		return cfail(c->path, errbuf, errlen, "file number out of range", 0);
	putbe32(key + 1, i);
	if ((rc = dbget(c->db, key, 5, &d)) != 0)
		return cfail(c->path, errbuf, errlen, "file entry missing", rc == DB_NOTFOUND ? 0 : rc);
	if (entry_decode(d.data, d.size, f) < 0)
		return cfail(c->path, errbuf, errlen, "bad file entry", 0);
	return 0;
}

static int time_files(struct catalog *c, uint64_t start, uint64_t end, struct ordset *out, char *errbuf,
    size_t errlen);

int
cat_files(struct catalog *c, struct cat_file **out, char *errbuf, size_t errlen)
{
	uint8_t key[5] = { CATK_FILE, 0, 0, 0, 0 };
	struct cat_file *v;
	DBC *cur;
	DBT k, d;
	uint32_t i = 0;
	int rc;

	*out = NULL;
	v = xreallocarray(NULL, (size_t)c->h.nfiles + 1, sizeof *v);
	if ((rc = c->db->cursor(c->db, NULL, &cur, 0)) != 0) {
		free(v);
		return cfail(c->path, errbuf, errlen, "cursor", rc);
	}
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key;
	k.size = 5;
	for (rc = cur->get(cur, &k, &d, DB_SET_RANGE); rc == 0 && i < c->h.nfiles; rc = cur->get(cur, &k, &d, DB_NEXT), i++) {
		if (k.size != 5 || ((uint8_t *)k.data)[0] != CATK_FILE || be32((uint8_t *)k.data + 1) != i ||
		    entry_decode(d.data, d.size, &v[i]) < 0)
			break;
	}
	cur->close(cur);
	if (i != c->h.nfiles) {
		free(v);
		return cfail(c->path, errbuf, errlen, "bad file table", rc == 0 || rc == DB_NOTFOUND ? 0 : rc);
	}
	*out = v;
	return 0;
}

int
cat_in_window(struct catalog *c, uint64_t start, uint64_t end, struct ordset *out, char *errbuf, size_t errlen)
{
	ordset_init(out, c->h.nfiles);
	if (start == 0 && end == UINT64_MAX) {
		ordset_fill(out);
		return 0;
	}
	if (time_files(c, start, end, out, errbuf, errlen) < 0) {
		ordset_free(out);
		return -1;
	}
	return 0;
}

static int
cat_lookup(void *arg, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out, char *errbuf, size_t errlen)
{
	struct catalog *c = arg;
	size_t vlen = cat_taglen(tag);
	int rc;

	if (vlen == 0)
		return cfail(c->path, errbuf, errlen, "unknown tag", 0);
	if (!cat_judges(c, tag)) {
		ordset_fill(out);
		return 0;
	}
	if (memcmp(lo, hi, vlen) > 0 || c->h.nfiles == 0)
		return 0;
	if ((rc = pl_scan(c->db, tag, vlen, lo, hi, NULL, c->h.nfiles, cat_rle(tag), pl_seg_or, out)) != 0)
		return cfail(c->path, errbuf, errlen, "file lists", rc > 0 || rc < -1 ? rc : 0);
	return 0;
}

static int
flagset(struct catalog *c, int tag, struct ordset *out, char *errbuf, size_t errlen)
{
	static const uint8_t one = 1;

	ordset_init(out, c->h.nfiles);
	if (cat_lookup(c, tag, &one, &one, out, errbuf, errlen) < 0) {
		ordset_free(out);
		return -1;
	}
	return 0;
}

/* OR into out the files with a time in [start, end) (or no known time) */
static int
time_files(struct catalog *c, uint64_t start, uint64_t end, struct ordset *out, char *errbuf, size_t errlen)
{
	uint8_t key[5] = { CATK_TIMES };
	uint64_t first = 0;          /* deltas run on from block to block */
	uint32_t i = 0;

	for (uint32_t blk = 0; blk < c->ntimes; blk++) {
		const uint8_t *p, *e;
		uint64_t cnt, d, span;
		DBT v;
		int rc;

		putbe32(key + 1, blk);
		if ((rc = dbget(c->db, key, 5, &v)) != 0)
			return cfail(c->path, errbuf, errlen, "times missing", rc == DB_NOTFOUND ? 0 : rc);
		p = v.data;
		e = p + v.size;
		if (varint_get(&p, e, &cnt) < 0 || cnt != (blk + 1 < c->ntimes ? CAT_TIMES_BLOCK :
		    c->h.nfiles - (uint64_t)blk * CAT_TIMES_BLOCK))
			return cfail(c->path, errbuf, errlen, "bad times", 0);
		for (uint64_t j = 0; j < cnt; j++, i++) {
			if (varint_get(&p, e, &d) < 0 || varint_get(&p, e, &span) < 0)
				return cfail(c->path, errbuf, errlen, "bad times", 0);
			first += (uint64_t)zigzag_dec(d);
			/* span UINT64_MAX: no known time (stored as 0 + 1 wraps): always in */
			if (span == 0 || (first < end && first + (span - 1) >= start))
				ordset_add(out, i);
		}
		if (p != e)
			return cfail(c->path, errbuf, errlen, "bad times", 0);
	}
	return 0;
}

int
cat_candidates(struct catalog *c, const struct query *q, uint64_t start, uint64_t end, struct ordset *out,
    char *errbuf, size_t errlen)
{
	struct qsource src = { c->h.nfiles, cat_lookup, c, NULL, NULL };
	struct ordset unjudged, notether, scan, tw;
	int exact, rc = -1;

	if (flagset(c, CATK_UNJUDGED, &unjudged, errbuf, errlen) < 0)
		return -1;
	if (flagset(c, CATK_NOTETHER, &notether, errbuf, errlen) < 0) {
		ordset_free(&unjudged);
		return -1;
	}
	if (flagset(c, CATK_SCAN, &scan, errbuf, errlen) < 0)
		goto out2;
	src.unjudged = &unjudged;
	src.not_ether = &notether;
	if (query_match(q, &src, out, &exact, errbuf, errlen) < 0)
		goto out1;
	ordset_or(out, &scan);
	if (start > 0 || end < UINT64_MAX) {
		ordset_init(&tw, c->h.nfiles);
		if (time_files(c, start, end, &tw, errbuf, errlen) < 0) {
			ordset_free(&tw);
			ordset_free(out);
			goto out1;
		}
		ordset_and(out, &tw);
		ordset_free(&tw);
	}
	rc = 0;
out1:
	ordset_free(&scan);
out2:
	ordset_free(&unjudged);
	ordset_free(&notether);
	return rc;
}

int
cat_intervals(struct catalog *c, void (*fn)(void *, uint64_t, uint64_t), void *arg, char *errbuf, size_t errlen)
{
	uint8_t key[5] = { CATK_IVAL };
	uint64_t t = 0;

	for (uint32_t r = 0; r < c->nivalrec; r++) {
		const uint8_t *p, *e;
		uint64_t cnt, gap, len;
		DBT v;
		int rc;

		putbe32(key + 1, r);
		if ((rc = dbget(c->db, key, 5, &v)) != 0)
			return cfail(c->path, errbuf, errlen, "intervals missing", rc == DB_NOTFOUND ? 0 : rc);
		p = v.data;
		e = p + v.size;
		if (varint_get(&p, e, &cnt) < 0 || cnt == 0 || cnt > CAT_IVAL_CHUNK)
			return cfail(c->path, errbuf, errlen, "bad intervals", 0);
		while (cnt-- > 0) {
			if (varint_get(&p, e, &gap) < 0 || varint_get(&p, e, &len) < 0 || gap > UINT64_MAX - t ||
			    len > UINT64_MAX - t - gap)
				return cfail(c->path, errbuf, errlen, "bad intervals", 0);
			t += gap;
			fn(arg, t, t + len);
			t += len;
		}
		if (p != e)
			return cfail(c->path, errbuf, errlen, "bad intervals", 0);
	}
	return 0;
}

int
cat_verify(struct catalog *c, char *errbuf, size_t errlen)
{
	struct pl_iter it;
	struct cat_file f;
	struct ordset all;
	const uint8_t *t;
	uint64_t records = 0;
	DBC *cur;
	DBT k, d;
	int rc;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	if ((rc = c->db->cursor(c->db, NULL, &cur, 0)) != 0)
		return cfail(c->path, errbuf, errlen, "cursor", rc);
	rc = cur->get(cur, &k, &d, DB_LAST);
	t = d.data;
	if (rc != 0 || k.size != 1 || ((uint8_t *)k.data)[0] != CATK_TRAILER || d.size != CAT_TRAILER_LEN ||
	    le32(t + CATT_CRC) != crc32_update(0, t, CATT_CRC) || le32(t + CATT_METACRC) != c->metacrc) {
		cur->close(cur);
		return cfail(c->path, errbuf, errlen, "bad trailer", rc == DB_NOTFOUND ? 0 : rc);
	}
	cur->close(cur);

	for (uint32_t i = 0; i < c->h.nfiles; i++)
		if (cat_file(c, i, &f, errbuf, errlen) < 0)
			return -1;
	ordset_init(&all, c->h.nfiles);
	rc = time_files(c, 0, UINT64_MAX, &all, errbuf, errlen);
	ordset_free(&all);
	if (rc < 0)
		return -1;
	if (pl_iter_open(&it, c->db, cat_taglen, cat_rle, c->h.nfiles ? c->h.nfiles : 1) != 0)
		return cfail(c->path, errbuf, errlen, "cursor", 0);
	while ((rc = pl_iter_next(&it)) == 1)
		records++;
	pl_iter_close(&it);
	if (rc < 0)
		return cfail(c->path, errbuf, errlen, "file lists", 0);
	(void)records;
	return 0;
}

static void
dump_ival(void *arg, uint64_t lo, uint64_t hi)
{
	fprintf(arg, "interval %llu.%09llu %llu.%09llu\n", (unsigned long long)(lo / 1000000000u),
	    (unsigned long long)(lo % 1000000000u), (unsigned long long)(hi / 1000000000u),
	    (unsigned long long)(hi % 1000000000u));
}

static const char *
cat_tagname(int tag)
{
	const struct field_desc *d = field_by_tag(tag);

	if (d != NULL)
		return d->name;
	return tag == CATK_UNJUDGED ? "unjudged" : tag == CATK_NOTETHER ? "not-ethernet" : tag == CATK_SCAN ? "scan" : "?";
}

int
cat_dump(struct catalog *c, FILE *out)
{
	struct pl_iter it;
	struct cat_file *f;
	char e[512];
	int rc;

	if (cat_verify(c, e, sizeof e) < 0 || cat_files(c, &f, e, sizeof e) < 0) {
		warnx("%s", e);
		return -1;
	}
	fprintf(out, "catalog version %u\nfiles %u\nspan %s%.0d\n", CAT_VERSION, c->h.nfiles,
	    c->h.hour == CAT_WHOLE ? "folder" : "hour ", c->h.hour == CAT_WHOLE ? 0 : c->h.hour);
	if (c->h.dir_mtime_ns)
		fprintf(out, "sealed inode %llu mtime %llu.%09llu\n", (unsigned long long)c->h.dir_ino,
		    (unsigned long long)(c->h.dir_mtime_ns / 1000000000u), (unsigned long long)(c->h.dir_mtime_ns % 1000000000u));
	else
		fputs("not sealed\n", out);
	fprintf(out, "packets %llu\nbytes %llu\n", (unsigned long long)c->h.packets, (unsigned long long)c->h.bytes);
	for (uint32_t i = 0; i < c->h.nfiles; i++)
		fprintf(out, "file %u %s size %llu inode %llu index-inode %llu packets %llu first %llu last %llu "
		    "linktype %u snaplen %u%s%s\n", i, f[i].name, (unsigned long long)f[i].pcap_size,
		    (unsigned long long)f[i].pcap_ino, (unsigned long long)f[i].idx_ino, (unsigned long long)f[i].packets,
		    (unsigned long long)f[i].first_ns, (unsigned long long)f[i].last_ns, f[i].linktype, f[i].snaplen,
		    f[i].flags & CATF_SCAN ? " scan" : "", f[i].flags & CATF_NOTIME ? " untimed" : "");
	free(f);
	if (cat_intervals(c, dump_ival, out, e, sizeof e) < 0) {
		warnx("%s", e);
		return -1;
	}
	if (pl_iter_open(&it, c->db, cat_taglen, cat_rle, c->h.nfiles ? c->h.nfiles : 1) != 0)
		return -1;
	while ((rc = pl_iter_next(&it)) == 1) {
		fprintf(out, "key %s ", cat_tagname(it.tag));
		for (size_t i = 0; i < it.vlen; i++)
			fprintf(out, "%02x", it.val[i]);
		fputs(" files", out);
		for (size_t i = 0; i < it.n; i++)
			fprintf(out, " %u", it.list[i]);
		fputc('\n', out);
	}
	pl_iter_close(&it);
	return rc < 0 ? -1 : 0;
}

/* ---- building ---- */

struct pair {
	uint8_t k[17];           /* tag + value, zero padded: memcmp order = key order */
	uint32_t file;
};

struct csrc {                  /* files taken from a catalog */
	struct catalog *c;
	uint32_t *map;           /* its file number -> ours, UINT32_MAX: dropped */
};

struct cat_builder {
	struct cat_file *f;
	uint32_t n, cap;
	struct pair *p;          /* keys of the files read here */
	size_t np, pcap;
	struct csrc *src;
	size_t nsrc;
	uint32_t cur;            /* the file whose keys are being collected */
	char folder[4096];       /* of the files read: the catalog gets its group */
};

struct cat_builder *
catb_new(void)
{
	struct cat_builder *b = xcalloc(1, sizeof *b);

	return b;
}

void
catb_free(struct cat_builder *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nsrc; i++)
		free(b->src[i].map);
	free(b->src);
	free(b->f);
	free(b->p);
	free(b);
}

void
catb_folder(struct cat_builder *b, const char *folder)
{
	strlcpy(b->folder, folder, sizeof b->folder);
}

uint32_t
catb_count(const struct cat_builder *b)
{
	return b->n;
}

static struct cat_file *
new_file(struct cat_builder *b)
{
	if (b->n == b->cap) {
		uint32_t nc = b->cap ? b->cap * 2 : 64;
		struct cat_file *nf = xreallocarray(b->f, nc, sizeof *nf);
		b->f = nf;
		b->cap = nc;
	}
	memset(&b->f[b->n], 0, sizeof *b->f);
	return &b->f[b->n++];
}

static void
add_pair(struct cat_builder *b, int tag, const uint8_t *val, size_t vlen)
{
	struct pair *q;

	if (b->np == b->pcap) {
		size_t nc = b->pcap ? b->pcap * 2 : 4096;
		struct pair *np = xreallocarray(b->p, nc, sizeof *np);
		b->p = np;
		b->pcap = nc;
	}
	q = &b->p[b->np++];
	memset(q->k, 0, sizeof q->k);
	q->k[0] = (uint8_t)tag;
	memcpy(q->k + 1, val, vlen);
	q->file = b->cur;
}

struct keyctx {
	struct cat_builder *b;
	int tag;
};

static int
key_add(void *arg, const uint8_t *val)
{
	struct keyctx *k = arg;

	add_pair(k->b, k->tag, val, idx_tag_len(k->tag));
	return 0;
}

/* times from a layout name when the index cannot tell (a file to scan) */
static int
name_times(const char *name, uint64_t *lo, uint64_t *hi)
{
	size_t n = strlen(name);

	if (n < 2 * ARCH_TIMELEN + 1 || name[ARCH_TIMELEN] != '-' || arch_parse_time(name, lo) < 0 ||
	    arch_parse_time(name + ARCH_TIMELEN + 1, hi) < 0 || *lo > *hi)
		return -1;
	return 0;
}

int
catb_add_file(struct cat_builder *b, const char *folder, const char *name, char *errbuf, size_t errlen)
{
	char pcap[4096], ipath[4096], e[512];
	struct stat ps, is;
	struct cat_file *f;
	struct idx *x = NULL;
	static const uint8_t one = 1;
	uint32_t lt = 0, snap = 0;
	int nsec = 0, ok = 0, lacks = 0;
	size_t mark = b->np;

	if (strlen(name) >= sizeof f->name || strchr(name, '/') != NULL ||
	    (size_t)snprintf(pcap, sizeof pcap, "%s/%s", folder, name) >= sizeof pcap ||
	    (size_t)snprintf(ipath, sizeof ipath, "%s%s", pcap, IDX_SUFFIX) >= sizeof ipath) {
		snprintf(errbuf, errlen, "%s/%s: name too long", folder, name);
		return -1;
	}
	if (stat(pcap, &ps) < 0) {
		snprintf(errbuf, errlen, "%s: %s", pcap, strerror(errno));
		return -1;
	}
	strlcpy(b->folder, folder, sizeof b->folder);
	f = new_file(b);
	b->cur = b->n - 1;
	strlcpy(f->name, name, sizeof f->name);
	f->pcap_size = (uint64_t)ps.st_size;
	f->pcap_ino = (uint64_t)ps.st_ino;
	if (stat(ipath, &is) == 0 && (x = idx_open(ipath, e, sizeof e)) != NULL &&
	    idx_check_pcap(x, pcap, &lt, &snap, &nsec)) {
		const struct idx_meta *mt = idx_get_meta(x);
		struct keyctx kc = { b, 0 };

		ok = 1;
		for (int i = 0; i < field_count() && ok; i++) {
			kc.tag = field_at(i)->tag;
			/* an index without a field's keys (older than the field): the file is judged by nothing */
			if (!idx_judges(x, kc.tag))
				lacks = 1;
			else
				ok = idx_each_key(x, kc.tag, key_add, &kc, e, sizeof e) == 0;
		}
		if (ok) {
			f->idx_ino = (uint64_t)is.st_ino;
			f->idx_size = (uint64_t)is.st_size;
			f->identity = idx_identity(x);
			f->packets = mt->packets;
			f->first_ns = mt->packets ? mt->first_ns : 0;
			f->last_ns = mt->packets ? mt->last_ns : 0;
			f->linktype = mt->linktype;
			f->snaplen = snap;
			f->flags = mt->nsec ? CATF_NSEC : 0;
		}
	}
	idx_close(x);
	if (!ok) {
		/* searched by reading it, whatever the keys say */
		b->np = mark;
		f->flags = CATF_SCAN;
		if (name_times(name, &f->first_ns, &f->last_ns) < 0) {
			f->flags |= CATF_NOTIME;
			f->first_ns = 0;
			f->last_ns = 0;
		}
		add_pair(b, CATK_SCAN, &one, 1);
		return 0;
	}
	if (!query_judged(f->linktype, f->snaplen) || lacks)
		add_pair(b, CATK_UNJUDGED, &one, 1);
	if (f->linktype != LINKTYPE_MAC)
		add_pair(b, CATK_NOTETHER, &one, 1);
	return 0;
}

int
catb_add_catalog(struct cat_builder *b, struct catalog *c, int (*keep)(void *, const struct cat_file *), void *arg,
    char *errbuf, size_t errlen)
{
	struct csrc *s;
	struct cat_file f;

	s = xreallocarray(b->src, b->nsrc + 1, sizeof *b->src);
	b->src = s;
	s = &b->src[b->nsrc];
	s->c = c;
	s->map = xreallocarray(NULL, (size_t)c->h.nfiles + 1, sizeof *s->map);
	for (uint32_t i = 0; i < c->h.nfiles; i++) {
		s->map[i] = UINT32_MAX;
		if (cat_file(c, i, &f, errbuf, errlen) < 0) {
			free(s->map);
			return -1;
		}
		if (keep && !keep(arg, &f))
			continue;
		s->map[i] = b->n;
		*new_file(b) = f;
		/* a catalog older than a field lists no file for it: what it held is judged by nothing */
		if ((c->fields & cat_fields_all()) != cat_fields_all()) {
			static const uint8_t one = 1;

			b->cur = b->n - 1;
			add_pair(b, CATK_UNJUDGED, &one, 1);
		}
	}
	b->nsrc++;
	return 0;
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int r = memcmp(x->k, y->k, sizeof x->k);

	return r ? r : x->file < y->file ? -1 : x->file > y->file;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* one source's next key, as a padded 17-byte key and its list (already mapped) */
struct head {
	int live;
	uint8_t k[17];
	struct pl_iter it;       /* catalog sources */
	size_t pi;               /* the memory source: next pair */
};

static int
src_next(struct cat_builder *b, size_t s, struct head *h)
{
	if (s == b->nsrc) {      /* the memory source */
		h->live = h->pi < b->np;
		if (h->live)
			memcpy(h->k, b->p[h->pi].k, sizeof h->k);
		return 0;
	}
	for (;;) {
		int rc = pl_iter_next(&h->it);

		if (rc <= 0) {
			h->live = 0;
			return rc;
		}
		/* a segment whose files were all dropped is skipped */
		for (size_t i = 0; i < h->it.n; i++)
			if (h->it.list[i] < b->src[s].c->h.nfiles && b->src[s].map[h->it.list[i]] != UINT32_MAX) {
				memset(h->k, 0, sizeof h->k);
				h->k[0] = (uint8_t)h->it.tag;
				memcpy(h->k + 1, h->it.val, h->it.vlen);
				h->live = 1;
				return 0;
			}
	}
}

static void
push(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		uint32_t *nv = xreallocarray(*v, nc, sizeof *nv);
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
}

static int
write_lists(struct cat_builder *b, struct pl_out *w, char *errbuf, size_t errlen)
{
	size_t ns = b->nsrc + 1, nl = 0, lcap = 0;
	struct head *h = xcalloc(ns, sizeof *h);
	uint32_t *list = NULL;
	int rc = 0, curtag = -1;

	for (size_t s = 0; s < b->nsrc && rc == 0; s++)
		if (pl_iter_open(&h[s].it, b->src[s].c->db, cat_taglen, cat_rle, b->src[s].c->h.nfiles) != 0 ||
		    src_next(b, s, &h[s]) < 0)
			rc = cfail(b->src[s].c->path, errbuf, errlen, "file lists", 0);
	if (rc == 0)
		src_next(b, b->nsrc, &h[b->nsrc]);
	while (rc == 0) {
		uint8_t k[17];
		int have = 0, sorted = 1;

		for (size_t s = 0; s < ns; s++)
			if (h[s].live && (!have || memcmp(h[s].k, k, sizeof k) < 0)) {
				memcpy(k, h[s].k, sizeof k);
				have = 1;
			}
		if (!have)
			break;
		nl = 0;
		for (size_t s = 0; s < ns && rc == 0; s++) {
			while (h[s].live && memcmp(h[s].k, k, sizeof k) == 0) {
				if (s == b->nsrc) {
					push(&list, &nl, &lcap, b->p[h[s].pi++].file);
				} else {
					for (size_t i = 0; i < h[s].it.n; i++) {
						uint32_t o = h[s].it.list[i];
						if (o < b->src[s].c->h.nfiles && b->src[s].map[o] != UINT32_MAX)
							push(&list, &nl, &lcap, b->src[s].map[o]);
					}
				}
				if (src_next(b, s, &h[s]) < 0)
					rc = cfail(b->src[s].c->path, errbuf, errlen, "file lists", 0);
			}
		}
		if (rc)
			break;
		for (size_t i = 1; i < nl && sorted; i++)
			sorted = list[i] > list[i - 1];
		if (!sorted) {
			size_t j = 0;
			qsort(list, nl, sizeof *list, u32_cmp);
			for (size_t i = 0; i < nl; i++)
				if (j == 0 || list[i] != list[j - 1])
					list[j++] = list[i];
			nl = j;
		}
		if (k[0] != curtag) {
			if (curtag >= 0 && pl_end(w) < 0)
				rc = -1;
			curtag = k[0];
			pl_begin(w, k[0], cat_taglen(k[0]), cat_rle(k[0]));
		}
		if (rc == 0 && pl_add(w, k + 1, list, nl) < 0)
			rc = -1;
	}
	if (rc == 0 && curtag >= 0 && pl_end(w) < 0)
		rc = -1;
	for (size_t s = 0; s < b->nsrc; s++)
		pl_iter_close(&h[s].it);
	free(h);
	free(list);
	return rc;
}

struct ival {
	uint64_t lo, hi;
};

static int
ival_cmp(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int
write_tables(struct cat_builder *b, struct pl_out *w, struct ival *iv, size_t niv)
{
	uint8_t key[5], *buf;
	size_t cap = (size_t)CAT_TIMES_BLOCK * 2 * VARINT_MAX + VARINT_MAX + 512;
	uint64_t prev = 0;
	int rc = 0;

	if (cap < (size_t)CAT_IVAL_CHUNK * 2 * VARINT_MAX + VARINT_MAX)
		cap = (size_t)CAT_IVAL_CHUNK * 2 * VARINT_MAX + VARINT_MAX;
	buf = xmalloc(cap);
	key[0] = CATK_FILE;
	for (uint32_t i = 0; i < b->n && rc == 0; i++) {
		putbe32(key + 1, i);
		rc = pl_put(w, key, 5, buf, entry_encode(&b->f[i], buf));
	}
	key[0] = CATK_TIMES;
	for (uint32_t blk = 0; blk * (uint64_t)CAT_TIMES_BLOCK < b->n && rc == 0; blk++) {
		uint32_t lo = blk * CAT_TIMES_BLOCK, hi = lo + CAT_TIMES_BLOCK < b->n ? lo + CAT_TIMES_BLOCK : b->n;
		uint8_t *p = buf;

		p += varint_put(p, hi - lo);
		for (uint32_t i = lo; i < hi; i++) {
			const struct cat_file *f = &b->f[i];
			int untimed = (f->flags & CATF_NOTIME) != 0;
			p += varint_put(p, zigzag_enc((int64_t)(f->first_ns - prev)));
			/* span + 1, 0 for "no known time" */
			p += varint_put(p, untimed ? 0 : f->last_ns - f->first_ns + 1);
			prev = f->first_ns;
		}
		putbe32(key + 1, blk);
		rc = pl_put(w, key, 5, buf, (size_t)(p - buf));
	}
	key[0] = CATK_IVAL;
	prev = 0;
	for (size_t r = 0; r * CAT_IVAL_CHUNK < niv && rc == 0; r++) {
		size_t lo = r * CAT_IVAL_CHUNK, hi = lo + CAT_IVAL_CHUNK < niv ? lo + CAT_IVAL_CHUNK : niv;
		uint8_t *p = buf;

		p += varint_put(p, hi - lo);
		for (size_t i = lo; i < hi; i++) {
			p += varint_put(p, iv[i].lo - prev);
			p += varint_put(p, iv[i].hi - iv[i].lo);
			prev = iv[i].hi;
		}
		putbe32(key + 1, (uint32_t)r);
		rc = pl_put(w, key, 5, buf, (size_t)(p - buf));
	}
	free(buf);
	return rc;
}

/* the union of the files' time spans, holes of at most CAT_HOLE_NS merged */
static size_t
intervals(const struct cat_builder *b, struct ival **out)
{
	struct ival *iv;
	size_t n = 0, m = 0;

	iv = xreallocarray(NULL, (size_t)b->n + 1, sizeof *iv);
	for (uint32_t i = 0; i < b->n; i++)
		if (!(b->f[i].flags & CATF_NOTIME) && (b->f[i].packets || (b->f[i].flags & CATF_SCAN))) {
			iv[n].lo = b->f[i].first_ns;
			iv[n].hi = b->f[i].last_ns;
			n++;
		}
	if (n > 1)
		qsort(iv, n, sizeof *iv, ival_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && (iv[i].lo <= iv[m - 1].hi || iv[i].lo - iv[m - 1].hi <= CAT_HOLE_NS)) {
			if (iv[i].hi > iv[m - 1].hi)
				iv[m - 1].hi = iv[i].hi;
		} else {
			iv[m++] = iv[i];
		}
	}
	*out = iv;
	return m;
}

int
catb_write(struct cat_builder *b, const char *path, int hour, uint64_t dir_ino, uint64_t dir_mtime_ns, char *errbuf,
    size_t errlen)
{
	static const uint8_t mkey[2] = { CATK_META, 'M' }, tkey[1] = { CATK_TRAILER };
	uint8_t meta[CAT_META_LEN], tr[CAT_TRAILER_LEN];
	uint64_t mn = UINT64_MAX, mx = 0, packets = 0, bytes = 0;
	struct bdb_out o;
	struct pl_out w;
	struct ival *iv;
	size_t niv;
	int rc, untimed = 0;

	if (b->np > 1)
		qsort(b->p, b->np, sizeof *b->p, pair_cmp);
	for (uint32_t i = 0; i < b->n; i++) {
		const struct cat_file *f = &b->f[i];
		packets += f->packets;
		bytes += f->pcap_size;
		if (f->flags & CATF_NOTIME) {
			untimed = 1;
			continue;
		}
		if (!f->packets && !(f->flags & CATF_SCAN))
			continue;
		mn = f->first_ns < mn ? f->first_ns : mn;
		mx = f->last_ns > mx ? f->last_ns : mx;
	}
	if (mn > mx)
		mn = mx = 0;
	niv = intervals(b, &iv);
	memset(meta, 0, sizeof meta);
	memcpy(meta, CAT_MAGIC, 8);
	put32(meta + CATM_VERSION, CAT_VERSION);
	put32(meta + CATM_NFILES, b->n);
	put32(meta + CATM_FLAGS, untimed ? 1 : 0);
	put32(meta + CATM_HOUR, hour == CAT_WHOLE ? UINT32_MAX : (uint32_t)hour);
	put64(meta + CATM_MIN, mn);
	put64(meta + CATM_MAX, mx);
	put64(meta + CATM_DIRINO, dir_ino);
	put64(meta + CATM_DIRMTIME, dir_mtime_ns);
	put64(meta + CATM_PACKETS, packets);
	put64(meta + CATM_BYTES, bytes);
	put32(meta + CATM_NIVALREC, (uint32_t)((niv + CAT_IVAL_CHUNK - 1) / CAT_IVAL_CHUNK));
	put32(meta + CATM_NTIMES, (b->n + CAT_TIMES_BLOCK - 1) / CAT_TIMES_BLOCK);
	put32(meta + CATM_FIELDS, cat_fields_all());
	put32(meta + CATM_CRC, crc32_update(0, meta, CATM_CRC));
	if (bdb_create(&o, path, CAT_PAGESIZE, errbuf, errlen) < 0) {
		free(iv);
		return -1;
	}
	errbuf[0] = '\0';
	if (b->folder[0])
		o.group_of = b->folder;
	pl_init(&w, o.db, CAT_PAGESIZE / 10);
	rc = pl_put(&w, mkey, 2, meta, sizeof meta) == 0 && write_lists(b, &w, errbuf, errlen) == 0 &&
	    write_tables(b, &w, iv, niv) == 0 ? 0 : -1;
	if (rc == 0) {
		put64(tr + CATT_RECORDS, w.records);
		put32(tr + CATT_METACRC, crc32_update(0, meta, sizeof meta));
		put32(tr + CATT_CRC, crc32_update(0, tr, CATT_CRC));
		rc = pl_put(&w, tkey, 1, tr, sizeof tr);
	}
	pl_free(&w);
	free(iv);
	return bdb_commit(&o, rc == 0, errbuf, errlen);
}
