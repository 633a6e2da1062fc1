/*
 * slice_seek.c - pkslice -s/-e on a pcap without an index: find the part
 * of the file that holds the window by binary search over its bytes, as
 * tcpslice does, instead of reading it all.
 *
 * From any offset the next record is found by resynchronising on record
 * headers: a position is taken for a record only when SYNC_RECORDS
 * headers in a row there are plausible (lengths within the snapshot and
 * the file, times within the file's first and last, no further apart than
 * the file's span) and chain exactly, one after the other.  The search
 * assumes what tcpslice assumes, that packets come in time order, but
 * allows them to be out of order by up to SEEK_MARGIN_NS: the part read
 * starts that much before the window and ends that much after it, and
 * every packet's own time still decides (slice_emit), so within that
 * margin the cut is exact to the nanosecond.  XXX a packet further out of
 * order than that is not seen; an index (pkindex) makes any order exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pk.h"
#include "slice.h"

#define SEEK_MARGIN_NS 1000000000ull   /* out of time order by up to a second */
#define SEEK_MIN_SIZE (1u << 20)       /* smaller files are simply read */
#define SEEK_WINDOW (256u * 1024u)     /* bytes read at a probe */
#define SYNC_RECORDS 3

struct seekf {
	int fd;
	uint64_t size;
	struct pcapf_hdr h;
	uint64_t first, last;      /* times of the first record and of one near the end */
	uint8_t *buf;
};

/* the first record at or after off whose header starts a chain of SYNC_RECORDS; 0 and *rec_off, *ts, or -1 */
static int
resync(struct seekf *s, uint64_t off, uint64_t *rec_off, uint64_t *ts)
{
	ssize_t n = pread(s->fd, s->buf, SEEK_WINDOW, (off_t)off);
	char e[128];

	if (n < PCAP_RECHDR)
		return -1;
	for (size_t i = 0; i + PCAP_RECHDR <= (size_t)n; i++) {
		uint64_t at = off + i, t0 = 0;
		size_t p = i;
		int k;

		for (k = 0; k < SYNC_RECORDS; k++) {
			struct pcapf_rec r;
			if (p + PCAP_RECHDR > (size_t)n || pcapf_rechdr(&s->h, s->buf + p, off + p, &r, e, sizeof e) < 0 ||
			    r.ts_ns < s->first || r.ts_ns > s->last + SEEK_MARGIN_NS ||
			    pcapf_rec_end(&r) > s->size)
				break;
			if (k == 0)
				t0 = r.ts_ns;
			p += PCAP_RECHDR + r.disklen;
			if (pcapf_rec_end(&r) == s->size) {
				k = SYNC_RECORDS;  /* the file's last record chains to its end */
				break;
			}
		}
		if (k == SYNC_RECORDS) {
			*rec_off = at;
			*ts = t0;
			return 0;
		}
	}
	return -1;
}

/*
 * walk: from the record at off, forward record by record: the offset of
 * the first one with a time >= t (the file's size if none); *maxts gets
 * the largest time seen.  Reads SEEK_WINDOW bytes at a time.
 */
static uint64_t
walk(struct seekf *s, uint64_t off, uint64_t t, uint64_t *maxts)
{
	char e[128];

	*maxts = 0;
	while (off < s->size) {
		ssize_t n = pread(s->fd, s->buf, SEEK_WINDOW, (off_t)off);
		size_t p = 0;

		if (n < PCAP_RECHDR)
			return s->size;
		while (p + PCAP_RECHDR <= (size_t)n) {
			struct pcapf_rec r;
			if (pcapf_rechdr(&s->h, s->buf + p, off + p, &r, e, sizeof e) < 0)
				return s->size;        /* damage: read on to the end, as a scan would */
			if (r.ts_ns >= t)
				return off + p;
			*maxts = r.ts_ns > *maxts ? r.ts_ns : *maxts;
			if (PCAP_RECHDR + (uint64_t)r.disklen > (uint64_t)n - p)
				break;                 /* the next window starts with this record */
			p += PCAP_RECHDR + r.disklen;
		}
		if (p == 0) {
			/* a record longer than the window: step over it */
			struct pcapf_rec r;
			if (pcapf_rechdr(&s->h, s->buf, off, &r, e, sizeof e) < 0)
				return s->size;
			p = PCAP_RECHDR + r.disklen;
		}
		off += p;
	}
	return s->size;
}

/* the offset of the first record with a time >= t, time order assumed: binary search, then a walk */
static uint64_t
search(struct seekf *s, uint64_t t)
{
	uint64_t lo = PCAP_FILEHDR, hi = s->size, r, ts, mx;

	/* invariant: the record at or after lo is before t (or lo is the first record) */
	while (hi - lo > SEEK_WINDOW) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (resync(s, mid, &r, &ts) < 0 || ts >= t)
			hi = mid;
		else
			lo = r;
	}
	if (lo != PCAP_FILEHDR && resync(s, lo, &r, &ts) == 0)
		lo = r;
	return walk(s, lo, t, &mx);
}

int
slice_seek_span(struct slice *sl, struct slice_file *f, uint64_t *from, uint64_t *to)
{
	struct seekf s;
	struct stat st;
	uint8_t h[PCAP_FILEHDR + PCAP_RECHDR];
	struct pcapf_rec r;
	uint64_t off, ts, lo, hi;
	char e[128];
	int ok = 0;

	if (sl->win_start == 0 && sl->win_end == UINT64_MAX)
		return 0;
	memset(&s, 0, sizeof s);
	if ((s.fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(s.fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < SEEK_MIN_SIZE ||
	    pread(s.fd, h, sizeof h, 0) != (ssize_t)sizeof h || pcapf_hdr_parse(h, &s.h, e, sizeof e) < 0 ||
	    pcapf_rechdr(&s.h, h + PCAP_FILEHDR, PCAP_FILEHDR, &r, e, sizeof e) < 0)
		goto out;
	s.buf = xmalloc(SEEK_WINDOW);
	s.size = (uint64_t)st.st_size;
	s.first = r.ts_ns;
	s.last = UINT64_MAX - SEEK_MARGIN_NS;
	/* the file's last time, from the records near its end */
	if (resync(&s, s.size > SEEK_WINDOW ? s.size - SEEK_WINDOW : PCAP_FILEHDR, &off, &ts) < 0)
		goto out;
	(void)walk(&s, off, UINT64_MAX, &s.last);
	if (s.last < ts)
		s.last = ts;
	lo = sl->win_start > SEEK_MARGIN_NS ? sl->win_start - SEEK_MARGIN_NS : 0;
	hi = sl->win_end > UINT64_MAX - SEEK_MARGIN_NS ? UINT64_MAX : sl->win_end + SEEK_MARGIN_NS;
	*from = lo <= s.first ? PCAP_FILEHDR : search(&s, lo);
	*to = hi > s.last ? s.size : search(&s, hi);
	if (*to < *from)
		*to = *from;
	ok = 1;
out:
	free(s.buf);
	close(s.fd);
	return ok;
}
