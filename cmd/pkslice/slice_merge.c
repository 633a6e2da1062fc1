/*
 * slice_merge.c - pkslice reading pcap files: one cursor per file, the
 * cursors merged by packet time (a binary heap; ties go to the earlier
 * file, then the lower offset).  Within a file packets keep file order.
 *
 * A cursor is not opened until its first packet's time comes up, and is
 * closed after its last packet: archive files (and tcpdump rotations)
 * hardly overlap in time, so only a few are open at once however many
 * the answer spans.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "pcapfile.h"
#include "pk.h"
#include "slice.h"

#define WARN_MAX 5   /* per-location warnings before we only count */
#define HINT_SPAN (192u * 1024u)   /* located records read from disk at once */
#define HINT_TAIL 512u             /* bytes guessed for the last one's record */
#define HINT_GAP 4096u             /* larger gaps between located records: another read */

struct cursor {
	struct slice_file *f;
	uint32_t ord;          /* file order: the tie-break and the output file id */
	int scan;              /* every packet, not locations */
	int open, have;        /* file open; rec holds the next packet */
	size_t next;           /* next location */
	struct slice_span sp;  /* reading a range: where it ends, its candidates */
	int in_range;
	uint64_t hint_end;     /* where the locations of the last read from disk end */
	struct pcapf pf;
	struct pcapf_rec rec;
	uint64_t key_ts, key_off;
};

struct heap {
	struct cursor **v;
	size_t n;
};

static int
cur_less(const struct cursor *a, const struct cursor *b)
{
	if (a->key_ts != b->key_ts)
		return a->key_ts < b->key_ts;
	if (a->ord != b->ord)
		return a->ord < b->ord;
	return a->key_off < b->key_off;
}

static void
heap_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct cursor *t;

		if (l < h->n && cur_less(h->v[l], h->v[m]))
			m = l;
		if (l + 1 < h->n && cur_less(h->v[l + 1], h->v[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

static void
heap_pop(struct heap *h)
{
	h->v[0] = h->v[--h->n];
	heap_down(h, 0);
}

static int
loc_cmp(const void *a, const void *b)
{
	const struct slice_loc *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* sort by offset and drop repeats: each packet once, in file order */
static void
locs_sort(struct slice_file *f)
{
	size_t i, j;

	/* pkfind writes each file's locations in file order already */
	for (i = 1; i < f->n && f->loc[i].off >= f->loc[i - 1].off; i++)
		;
	if (i < f->n)
		qsort(f->loc, f->n, sizeof *f->loc, loc_cmp);
	for (i = j = 0; i < f->n; i++) {
		if (j > 0 && f->loc[i].off == f->loc[j - 1].off) {
			/* the same record twice: once, as the wider of the two */
			struct slice_loc *k = &f->loc[j - 1];

			if (f->loc[i].end > k->end)
				k->end = f->loc[i].end;
			if (k->bits != NULL || f->loc[i].bits != NULL) {
				/* two lists of candidates: every record is one, and the filter decides */
				free(k->bits);
				k->bits = NULL;
				k->nbits = 0;
				k->exact = 0;
			}
			/* exact only if both say so: a location is judged by the filter */
			k->exact &= f->loc[i].exact;
			free(f->loc[i].bits);
			f->loc[i].bits = NULL;
			continue;
		}
		f->loc[j++] = f->loc[i];
	}
	f->n = j;
	/*
	 * Anything located inside a range with a list of candidates is a
	 * candidate the list may leave out: every record of it is one then.
	 */
	for (i = 0; i + 1 < f->n; i++)
		if (f->loc[i].bits != NULL && f->loc[i + 1].off < f->loc[i].end) {
			free(f->loc[i].bits);
			f->loc[i].bits = NULL;
			f->loc[i].nbits = 0;
			f->loc[i].exact = 0;
		}
}

/*
 * published: a .pcap.part that is gone was most likely finished and
 * renamed by pkrotate to <MIN>-<MAX>[.n].pcap beside it, the same bytes
 * (MIN is the part's time unless time went backwards: XXX not found then).
 * Take the one such name; the located times check that it is the file.
 */
static int
published(struct slice_file *f)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 1], found[PATH_MAX], *slash;
	size_t plen, n = strlen(f->path), sufl = strlen(ARCH_PART_SUFFIX), hits = 0;
	struct dirent *de;
	DIR *d;

	if (n <= sufl || strcmp(f->path + n - sufl, ARCH_PART_SUFFIX) != 0 || n >= sizeof dir)
		return 0;
	strlcpy(dir, f->path, sizeof dir);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	if (strlen(slash + 1) - sufl + 2 > sizeof prefix)
		return 0;
	plen = strlen(slash + 1) - sufl;
	memcpy(prefix, slash + 1, plen);
	prefix[plen++] = '-';
	prefix[plen] = '\0';
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t dl = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, plen) == 0 && dl > strlen(ARCH_PCAP_SUFFIX) &&
		    strcmp(de->d_name + dl - strlen(ARCH_PCAP_SUFFIX), ARCH_PCAP_SUFFIX) == 0 &&
		    snprintf(found, sizeof found, "%s/%s", dir, de->d_name) < (int)sizeof found)
			hits++;
	}
	closedir(d);
	if (hits != 1)
		return 0;
	free(f->path);
	f->path = xstrdup(found);
	return 1;
}

/* a failed slice_open: said, and counted as the caller counts it */
static void
open_failed(struct slice *sl, const struct slice_file *f)
{
	if (errno == EPERM) {
		warnx("refusing to read %s: it changed into a link or a non-file since it was checked", f->path);
		slice_worse(sl, EX_NOPERM);
	} else if (errno == EINVAL) {
		warnx("%s: not a regular file", f->path);
		slice_worse(sl, EX_NOINPUT);
	} else {
		warn("%s", f->path);
		slice_worse(sl, EX_NOINPUT);
	}
}

/* peek: the file's own header (link type, snaplen, precision) and first time; 0 or -1 */
static int
peek(struct slice *sl, struct slice_file *f)
{
	uint8_t h[PCAP_FILEHDR + PCAP_RECHDR];
	struct pcapf_hdr ph;
	struct pcapf_rec r;
	char e[256];
	int fd;
	ssize_t n;

	if ((fd = slice_open(sl, f)) < 0) {
		open_failed(sl, f);
		return -1;
	}
	n = read(fd, h, sizeof h);
	close(fd);
	if (n < PCAP_FILEHDR) {
		warnx("%s: not a classic pcap file", f->path);
		slice_worse(sl, EX_DATAERR);
		return -1;
	}
	if (pcapf_hdr_parse(h, &ph, e, sizeof e) < 0) {
		warnx("%s: %s", f->path, e);
		slice_worse(sl, EX_DATAERR);
		return -1;
	}
	f->nsec = ph.nsec;
	f->linktype = ph.linktype;
	f->snaplen = ph.snaplen;
	if (n == (ssize_t)sizeof h && pcapf_rechdr(&ph, h + PCAP_FILEHDR, PCAP_FILEHDR, &r, e, sizeof e) == 0)
		f->first_ts = r.ts_ns;
	f->usable = 1;
	return 0;
}

/* the next packet of c into c->rec: 1, or 0 when c is done (closed) */
static int
cur_next(struct slice *sl, struct cursor *c)
{
	char e[PATH_MAX + 128];
	int rc;

	if (!c->open) {
		int fd = slice_open(sl, c->f);

		if (fd < 0) {
			open_failed(sl, c->f);
			sl->bad_locs += c->scan ? 0 : c->f->n;
			return 0;
		}
		if (pcapf_fdopen(&c->pf, fd, c->f->path, NULL, 0, e, sizeof e) < 0) {
			warnx("%s", e);
			slice_worse(sl, EX_DATAERR);
			sl->bad_locs += c->scan ? 0 : c->f->n;
			return 0;
		}
		c->open = 1;
		if (c->pf.linktype != c->f->linktype || c->pf.nsec != c->f->nsec) {
			warnx("%s: the file changed while being read", c->f->path);
			sl->bad_locs += c->scan ? 0 : c->f->n;
			goto done;
		}
	}
	if (c->scan) {
		if ((rc = pcapf_next(&c->pf, &c->rec, e, sizeof e)) < 0) {
			warnx("%s (the rest of the file is skipped)", e);
			slice_worse(sl, c->pf.ioerr ? EX_IOERR : EX_DATAERR);
		}
		if (rc > 0)
			return 1;
		goto done;
	}
	for (;;) {
		const struct slice_loc *l;

		/* a range: its candidates, read forward in big reads */
		while (c->in_range) {
			/* read up to its end (slice_bulk): the record there is not the range's to judge */
			rc = c->pf.next < c->sp.end ? pcapf_next(&c->pf, &c->rec, e, sizeof e) : 0;
			if (rc == 1 && c->rec.offset < c->sp.end) {
				if (slice_span_cand(&c->sp, c->sp.k++))
					return 1;
				continue;
			}
			if (rc < 0 && c->sp.k == 0) {
				if (sl->bad_locs++ < WARN_MAX)
					warnx("%s (a range that does not start at a record)", e);
			} else if (rc < 0) {
				warnx("%s (the rest of the range is skipped)", e);
				slice_worse(sl, c->pf.ioerr ? EX_IOERR : EX_DATAERR);
			}
			c->in_range = 0;
			/* locations inside the range were read with it */
			while (c->next < c->f->n && c->f->loc[c->next].off < c->sp.end)
				c->next++;
		}
		if (c->next >= c->f->n)
			break;
		l = &c->f->loc[c->next++];
		if (l->end) {
			c->sp.end = l->end;
			c->sp.exact = l->exact;
			c->sp.bits = l->bits;
			c->sp.nbits = l->nbits;
			c->sp.k = 0;
			if (pcapf_seek(&c->pf, l->off) == 0)
				c->in_range = 1;
			else
				while (c->next < c->f->n && c->f->loc[c->next].off < c->sp.end)
					c->next++;
			continue;
		}

		/*
		 * ascending offsets: one read from disk takes a run of
		 * located records, each less than HINT_GAP after the one
		 * before (a call costs about as much as copying that much),
		 * up to HINT_SPAN; the last one's length is a guess (a longer
		 * record costs a read of its own)
		 */
		if (l->off >= c->hint_end) {
			size_t m = c->next;

			while (m < c->f->n && c->f->loc[m].off - l->off < HINT_SPAN &&
			    c->f->loc[m].off - c->f->loc[m - 1].off < HINT_GAP)
				m++;
			/* offsets come from a stream: saturate rather than wrap */
			c->hint_end = c->f->loc[m - 1].off <= UINT64_MAX - PCAP_RECHDR - HINT_TAIL ?
			    c->f->loc[m - 1].off + PCAP_RECHDR + HINT_TAIL : UINT64_MAX;
			pcapf_hint(&c->pf, c->hint_end);
		}
		if (pcapf_read_at(&c->pf, l->off, &c->rec, e, sizeof e) == 1) {
			/* a time that differs: not the packet the query found (file replaced?) */
			if (l->ts == 0 || l->ts == c->rec.ts_ns)
				return 1;
			snprintf(e, sizeof e, "%s: the packet at offset %llu is not the one located "
			    "(its time differs)", c->f->path, (unsigned long long)l->off);
		}
		if (sl->bad_locs++ < WARN_MAX)
			warnx("%s", e);
	}
done:
	pcapf_close(&c->pf);
	c->open = 0;
	return 0;
}

/*
 * After c's packet, the records that follow it in its file up to the
 * next packet of another file go out in bulk (a range or a scan): the
 * root's children hold the earliest of the other files.
 */
static void
cur_bulk(struct slice *sl, struct heap *h, struct cursor *c)
{
	struct slice_bound b = { 1, 0, 0 };
	const struct cursor *o = NULL;

	if (!c->in_range && !c->scan)
		return;
	if (h->n > 1)
		o = h->v[1];
	if (h->n > 2 && cur_less(h->v[2], o))
		o = h->v[2];
	if (o != NULL) {
		b.none = 0;
		b.ts = o->key_ts;
		b.ord = o->ord;
	}
	if (c->scan) {
		struct slice_span all = { UINT64_MAX, 0, NULL, 0, 0 };

		slice_bulk(sl, &c->pf, c->ord, &all, &b);
		return;
	}
	/*
	 * Range after range (pkfind's runs of candidates lie close
	 * together): the next one is entered here, without a packet of its
	 * own through the merge, as long as each is read to its end.
	 */
	for (;;) {
		const struct slice_loc *l;

		slice_bulk(sl, &c->pf, c->ord, &c->sp, &b);
		if (sl->stop || c->pf.next < c->sp.end)
			return;
		/* locations inside the range were read with it */
		while (c->next < c->f->n && c->f->loc[c->next].off < c->sp.end)
			c->next++;
		if (c->next >= c->f->n || (l = &c->f->loc[c->next])->end == 0 || pcapf_seek(&c->pf, l->off) < 0)
			return;
		c->next++;
		c->sp.end = l->end;
		c->sp.exact = l->exact;
		c->sp.bits = l->bits;
		c->sp.nbits = l->nbits;
		c->sp.k = 0;
	}
}

static void
cur_emit(struct slice *sl, struct cursor *c)
{
	struct pk_pkt p;

	memset(&p, 0, sizeof p);
	p.ts_ns = c->rec.ts_ns;
	p.caplen = c->rec.caplen;
	p.wirelen = c->rec.wirelen;
	p.linktype = c->pf.linktype;
	p.source = c->ord;
	p.flags = c->pf.nsec ? PKT_NSEC : 0;
	p.data = c->rec.data;
	(void)slice_emit(sl, &p, NULL, c->f, c->rec.offset, c->in_range && c->sp.exact);
}

/* files that will be read: usable and with something to read */
static int
to_read(const struct slice_file *f)
{
	return f->usable && (f->scan || f->n > 0);
}

/*
 * The output's form from the files' own headers, before anything is
 * written: a classic pcap (one link type, the largest snaplen,
 * nanoseconds if any file has them), or pcapng with one interface per
 * link type when they differ, unless -o pcap asked for a classic pcap.
 * 0, or -1 when the answer does not fit the format asked for.
 */
static int
choose_format(struct slice *sl, struct slice_file **first, uint32_t *snaplen, int *nsec)
{
	struct slice_file *other = NULL;
	char a[64], b[64];
	size_t i;

	*first = NULL;
	*snaplen = 0;
	*nsec = 0;
	for (i = 0; i < sl->nfiles; i++) {
		struct slice_file *f = &sl->files[i];

		if (!to_read(f))
			continue;
		if (*first == NULL)
			*first = f;
		else if (f->linktype != (*first)->linktype && other == NULL)
			other = f;
		if (f->snaplen > *snaplen)
			*snaplen = f->snaplen;
		*nsec |= f->nsec;
	}
	if (other != NULL && sl->fmt == SLICE_PCAP) {
		if (sl->fmt_given) {
			warnx("%s is %s but %s is %s: a pcap holds one link type (use -o pcapng)",
			    (*first)->path, slice_ltname((*first)->linktype, a, sizeof a), other->path,
			    slice_ltname(other->linktype, b, sizeof b));
			slice_worse(sl, EX_DATAERR);
			sl->stop = 1;
			return -1;
		}
		warnx("the packets span link types (%s in %s, %s in %s): writing pcapng, "
		    "one interface per link type", slice_ltname((*first)->linktype, a, sizeof a), (*first)->path,
		    slice_ltname(other->linktype, b, sizeof b), other->path);
		sl->fmt = SLICE_PCAPNG;
	}
	if (sl->fmt == SLICE_PCAPNG)
		for (i = 0; i < sl->nfiles; i++)
			if (to_read(&sl->files[i]))
				slice_ng_plan(sl, sl->files[i].linktype, sl->files[i].snaplen, sl->files[i].nsec);
	return 0;
}

/* merge: every file with something to read, by packet time */
static int
merge(struct slice *sl)
{
	struct cursor *cs;
	struct heap h = { NULL, 0 };
	struct slice_file *first;
	uint32_t snaplen;
	int nsec;
	size_t i;

	cs = xcalloc(sl->nfiles + 1, sizeof *cs);
	h.v = xcalloc(sl->nfiles + 1, sizeof *h.v);
	if (choose_format(sl, &first, &snaplen, &nsec) < 0)
		goto out;
	for (i = 0; i < sl->nfiles; i++) {
		struct slice_file *f = &sl->files[i];
		struct cursor *c = &cs[i];

		if (!to_read(f))
			continue;
		c->f = f;
		c->ord = (uint32_t)i;
		c->scan = f->scan;
		/*
		 * an unopened cursor waits, keyed by its first packet's time (a
		 * scan: the file's first record; locations: the time given; a
		 * range, which has none: the file's first record, a lower bound
		 * in a file in time order).  Keyed 0, every such file would be
		 * opened at once, and held open, before the first packet.
		 */
		c->key_ts = f->scan || f->loc[0].ts == 0 ? f->first_ts : f->loc[0].ts;
		c->key_off = f->scan ? 0 : f->loc[0].off;
		h.v[h.n++] = c;
	}
	for (i = h.n / 2 + 1; i-- > 0;)
		heap_down(&h, i);
	if (first != NULL && slice_begin(sl, first->linktype, snaplen, nsec) < 0)
		goto out;
	while (h.n > 0 && !sl->stop) {
		struct cursor *c = h.v[0];

		if (c->have) {
			cur_emit(sl, c);
			cur_bulk(sl, &h, c);
		}
		if ((c->have = cur_next(sl, c)) != 0) {
			c->key_ts = c->rec.ts_ns;
			c->key_off = c->rec.offset;
			heap_down(&h, 0);
		} else
			heap_pop(&h);
	}
out:
	for (i = 0; i < sl->nfiles; i++)
		if (cs[i].open)
			pcapf_close(&cs[i].pf);
	free(cs);
	free(h.v);
	return sl->status;
}

int
slice_locations(struct slice *sl)
{
	int refused = 0;
	size_t i;

	for (i = 0; i < sl->nfiles; i++) {
		struct slice_file *f = &sl->files[i];
		int rc;

		if (f->n == 0)
			continue;
		locs_sort(f);
		if ((rc = slice_confine(sl, f)) > 0 && published(f))
			rc = slice_confine(sl, f);
		if (rc < 0)
			refused = 1;
		else if (rc > 0) {
			warnx("%s: no such file (aged out of the archive?): %zu packets missing", f->path, f->n);
			slice_worse(sl, EX_NOINPUT);
		} else if (peek(sl, f) < 0)
			sl->bad_locs += f->n;
	}
	if (refused) {
		/* nothing is written: not even the pcap header */
		slice_worse(sl, EX_NOPERM);
		sl->stop = 1;
		return sl->status;
	}
	return merge(sl);
}

int
slice_files(struct slice *sl, char **paths, int npaths)
{
	char rp[PATH_MAX];

	for (int i = 0; i < npaths; i++) {
		/* a stream names files by absolute path, as pkread -r does */
		const char *p = sl->fmt == SLICE_STREAM && realpath(paths[i], rp) ? rp : paths[i];
		struct slice_file *f = slice_file_add(sl, (uint32_t)i, p, 0);

		uint64_t from, to;

		if (peek(sl, f) == 0 && !slice_idx_locate(sl, f)) {
			if (slice_seek_span(sl, f, &from, &to))
				slice_range_add(f, from, to, 0, NULL, 0);
			else
				f->scan = 1;
		} else {
			locs_sort(f);
		}
	}
	return merge(sl);
}
