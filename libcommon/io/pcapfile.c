/* pcapfile.c - classic pcap writing and reading (pcapfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linktype.h"
#include "pcapfile.h"
#include "pk.h"

void
pcapw_filehdr(uint8_t h[PCAP_FILEHDR], uint32_t linktype, uint32_t snaplen, int nsec)
{
	put32(h, nsec ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
	put16(h + PCAPH_MAJOR, 2);
	put16(h + PCAPH_MINOR, 4);
	put32(h + PCAPH_THISZONE, 0);
	put32(h + PCAPH_SIGFIGS, 0);
	put32(h + PCAPH_SNAPLEN, snaplen);
	put32(h + PCAPH_LINKTYPE, linktype);
}

int
pcapw_header(struct bufout *o, uint32_t linktype, uint32_t snaplen, int nsec)
{
	uint8_t h[PCAP_FILEHDR];

	pcapw_filehdr(h, linktype, snaplen, nsec);
	return bufout_write(o, h, sizeof h);
}

void
pcapw_rechdr(uint8_t p[PCAP_RECHDR], uint64_t ts_ns, uint32_t caplen, uint32_t wirelen, int nsec)
{
	uint64_t sec = ts_ns / 1000000000u, frac = ts_ns % 1000000000u;

	put32(p + PCAPR_SEC, (uint32_t)sec);
	put32(p + PCAPR_FRAC, (uint32_t)(nsec ? frac : frac / 1000u));
	put32(p + PCAPR_CAPLEN, caplen);
	put32(p + PCAPR_WIRELEN, wirelen);
}

int
pcapw_record(struct bufout *o, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen, const uint8_t *data,
    int nsec)
{
	uint8_t *p = bufout_reserve(o, PCAP_RECHDR + (size_t)caplen);

	if (p == NULL)
		return -1;
	pcapw_rechdr(p, ts_ns, caplen, wirelen, nsec);
	/* a caplen-0 record may come with no data pointer at all */
	if (caplen > 0)
		memcpy(p + PCAP_RECHDR, data, caplen);
	bufout_commit(o, PCAP_RECHDR + (size_t)caplen);
	return 0;
}

/* ---- the file header ---- */


/* libpcap's max_snaplen_for_dlt (these LINKTYPE_ values equal their DLT_) */
static uint32_t
max_caplen(uint32_t linktype)
{
	const struct linktype *t = linktype_find(linktype);

	return t != NULL && t->maxcap ? t->maxcap : PCAP_SNAPLEN_MAX;
}

int
pcapf_hdr_parse(const uint8_t *h, struct pcapf_hdr *ph, char *errbuf, size_t errlen)
{
	uint32_t m = le32(h);

	memset(ph, 0, sizeof *ph);
	switch (m) {
	case PCAP_MAGIC_US: break;
	case PCAP_MAGIC_NS: ph->nsec = 1; break;
	default:
		m = be32(h);
		if (m == PCAP_MAGIC_US)
			ph->swapped = 1;
		else if (m == PCAP_MAGIC_NS)
			ph->swapped = ph->nsec = 1;
		else if (le32(h) == 0x0a0d0d0au) {
			snprintf(errbuf, errlen, "a pcapng file, not a classic pcap (convert it with editcap -F pcap)");
			return -1;
		} else {
			snprintf(errbuf, errlen, "not a classic pcap file");
			return -1;
		}
	}
	ph->major = pcap_rd16(h + PCAPH_MAJOR, ph->swapped);
	ph->minor = pcap_rd16(h + PCAPH_MINOR, ph->swapped);
	if (ph->major < 2) {
		snprintf(errbuf, errlen, "not a classic pcap file: archaic pcap savefile format");
		return -1;
	}
	if (!((ph->major == 2 && ph->minor <= 4) || (ph->major == 543 && ph->minor == 0))) {
		snprintf(errbuf, errlen, "not a classic pcap file: unsupported pcap savefile version %u.%u",
		    ph->major, ph->minor);
		return -1;
	}
	ph->snaplen = pcap_rd32(h + PCAPH_SNAPLEN, ph->swapped);
	/* the upper bits of the link-type field carry FCS information; keep the type */
	ph->linktype = pcap_rd32(h + PCAPH_LINKTYPE, ph->swapped) & 0x03ffffffu;
	ph->maxcap = max_caplen(ph->linktype);
	ph->snapshot = ph->snaplen == 0 || ph->snaplen > ph->maxcap ? ph->maxcap : ph->snaplen;
	/* the fields were exchanged at 2.3, and not by every writer of 2.3 (DG/UX wrote 543.0) */
	ph->lenswap = ph->major == 543 || ph->minor < 3 ? 1 : ph->minor == 3 ? 2 : 0;
	if (ph->swapped && linktype_has(ph->linktype, LT_SWAPPED)) {
		snprintf(errbuf, errlen, "a byte-swapped pcap of link type %u: pk does not repair its pseudo-headers "
		    "as libpcap does (rewrite it with editcap)", ph->linktype);
		return -1;
	}
	return 0;
}

int
pcapf_parsehdr(const uint8_t *h, int *swapped, int *nsec, uint32_t *linktype, uint32_t *snaplen)
{
	struct pcapf_hdr ph;
	char e[160];

	if (pcapf_hdr_parse(h, &ph, e, sizeof e) < 0)
		return -1;
	*swapped = ph.swapped;
	*nsec = ph.nsec;
	*linktype = ph.linktype;
	*snaplen = ph.snaplen;
	return 0;
}

int
pcapf_head(const char *path, struct pcapf_hdr *ph, char *errbuf, size_t errlen)
{
	uint8_t h[PCAP_FILEHDR];
	char e[160];
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = pread(fd, h, sizeof h, 0);
	saved = errno;
	close(fd);
	if (n < 0) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (n < (ssize_t)sizeof h) {
		snprintf(errbuf, errlen, "%s: not a classic pcap file (%zd bytes)", path, n);
		errno = EINVAL;
		return -1;
	}
	if (pcapf_hdr_parse(h, ph, e, sizeof e) < 0) {
		snprintf(errbuf, errlen, "%s: %s", path, e);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* ---- records ---- */

int
pcapf_rechdr(const struct pcapf_hdr *ph, const uint8_t *p, uint64_t off, struct pcapf_rec *r, char *errbuf,
    size_t errlen)
{
	uint32_t sec = pcap_rd32(p + PCAPR_SEC, ph->swapped), frac = pcap_rd32(p + PCAPR_FRAC, ph->swapped), t;

	r->offset = off;
	r->caplen = pcap_rd32(p + PCAPR_CAPLEN, ph->swapped);
	r->wirelen = pcap_rd32(p + PCAPR_WIRELEN, ph->swapped);
	if (ph->lenswap == 1 || (ph->lenswap == 2 && r->caplen > r->wirelen)) {
		t = r->caplen;
		r->caplen = r->wirelen;
		r->wirelen = t;
	}
	r->disklen = r->caplen;
	if (r->caplen > ph->maxcap) {
		if (r->caplen > ph->snapshot)
			snprintf(errbuf, errlen, "invalid packet capture length %u, bigger than snaplen of %u "
			    "(record at offset %llu)", r->caplen, ph->snapshot, (unsigned long long)off);
		else
			snprintf(errbuf, errlen, "invalid packet capture length %u, bigger than maximum of %u "
			    "(record at offset %llu)", r->caplen, ph->maxcap, (unsigned long long)off);
		return -1;
	}
	if (r->caplen > ph->snapshot)
		r->caplen = ph->snapshot;      /* libpcap reads the snapshot and skips the rest */
	/* unsigned seconds; a fraction out of range is taken as it is (at most PCAP_TS_MAX) */
	r->ts_ns = (uint64_t)sec * 1000000000u + (ph->nsec ? (uint64_t)frac : (uint64_t)frac * 1000u);
	return 0;
}

/* ---- reading ---- */

#define SEQ_READ (1u << 20)     /* pcapf_next: bytes read at once */
/*
 * pcapf_read_at reads WIN_MIN bytes after a jump, doubling up to WIN_MAX
 * while requests keep running forward (dense answers read like a scan).
 */
#define WIN_MIN 8192u
#define WIN_MAX (256u * 1024u)
#define NEAR_GAP 512u

static void
win_room(struct pcapf *f, size_t n)
{
	if (n > f->win_cap) {
		uint8_t *nw = xreallocarray(f->win, n, 1);
		f->win = nw;
		f->win_cap = n;
	}
}

static int
setup(struct pcapf *f, const char *name, char *errbuf, size_t errlen)
{
	struct stat st;
	char e[200];
	ssize_t n;

	if (fstat(f->fd, &st) < 0) {
		snprintf(errbuf, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: is a directory", name);
		errno = EISDIR;
		return -1;
	}
	f->seekable = S_ISREG(st.st_mode);
	f->size = f->seekable ? (uint64_t)st.st_size : 0;
	f->path = xstrdup(name);
	if (f->win_len < PCAP_FILEHDR) {
		/* the header alone: the window is filled when records are read */
		uint8_t h[PCAP_FILEHDR];
		size_t have = f->win_len;

		if (have > 0)
			memcpy(h, f->win, have);
		while (have < sizeof h) {
			n = f->seekable ? pread(f->fd, h + have, sizeof h - have, (off_t)have) :
			    read(f->fd, h + have, sizeof h - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(errbuf, errlen, "%s: %s", name, strerror(errno));
				return -1;
			}
			if (n == 0)
				break;
			have += (size_t)n;
		}
		if (have < sizeof h) {
			snprintf(errbuf, errlen, "%s: not a classic pcap file (%zu bytes)", name, have);
			errno = EINVAL;
			return -1;
		}
		win_room(f, WIN_MIN);
		memcpy(f->win, h, sizeof h);
		f->win_len = sizeof h;
		f->rd_off = f->seekable ? 0 : sizeof h;
	}
	if (pcapf_hdr_parse(f->win, &f->h, e, sizeof e) < 0) {
		snprintf(errbuf, errlen, "%s: %s", name, e);
		errno = EINVAL;
		return -1;
	}
	f->swapped = f->h.swapped;
	f->nsec = f->h.nsec;
	f->linktype = f->h.linktype;
	f->snaplen = f->h.snaplen;
	f->next = PCAP_FILEHDR;
	return 0;
}

int
pcapf_fdopen(struct pcapf *f, int fd, const char *name, const uint8_t *pre, size_t prelen, char *errbuf,
    size_t errlen)
{
	int saved;

	memset(f, 0, sizeof *f);
	f->fd = fd;
	f->own_fd = 1;
	if (prelen > 0) {
		f->win = xmalloc(prelen > WIN_MIN ? prelen : WIN_MIN);
		f->win_cap = prelen > WIN_MIN ? prelen : WIN_MIN;
		memcpy(f->win, pre, prelen);
		f->win_len = prelen;
		f->rd_off = prelen;
	}
	if (setup(f, name, errbuf, errlen) < 0) {
		saved = errno;
		pcapf_close(f);
		errno = saved;
		return -1;
	}
	/* a regular file is read with pread from anywhere: what was read before is read again */
	if (f->seekable && prelen > 0)
		f->rd_off = 0;
	return 0;
}

int
pcapf_open(struct pcapf *f, const char *path, char *errbuf, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int saved = errno;

		memset(f, 0, sizeof *f);
		f->fd = -1;
		snprintf(errbuf, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	return pcapf_fdopen(f, fd, path, NULL, 0, errbuf, errlen);
}

void
pcapf_close(struct pcapf *f)
{
	if (f->own_fd && f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->win);
	memset(f, 0, sizeof *f);
	f->fd = -1;
}

int
pcapf_seek(struct pcapf *f, uint64_t offset)
{
	if (!f->seekable && offset < f->win_off) {
		errno = ESPIPE;
		return -1;
	}
	f->next = offset;
	return 0;
}

void
pcapf_hint(struct pcapf *f, uint64_t end)
{
	f->hint_end = end;
}

/* read into dst from the file at off (a pipe: from where it stands); count, or -1 (errno) */
static ssize_t
get_bytes(struct pcapf *f, uint8_t *dst, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = f->seekable ? pread(f->fd, dst + got, len - got, (off_t)(off + got)) :
		    read(f->fd, dst + got, len - got);

		if (n < 0) {
			/* a signal on a pipe is the caller's to look at (a stop flag, a flush) */
			if (errno == EINTR && (f->seekable || got == 0)) {
				if (f->seekable)
					continue;
				return -1;
			}
			if (errno == EINTR)
				break;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (!f->seekable) {
			f->rd_off += (uint64_t)n;
			break;      /* a pipe gives what it has: do not wait for more than needed */
		}
	}
	return (ssize_t)got;
}

/* a pipe: read and drop what lies between where it stands and off */
static int
pipe_skip(struct pcapf *f, uint64_t off)
{
	uint8_t junk[65536];

	while (f->rd_off < off) {
		size_t k = off - f->rd_off < sizeof junk ? (size_t)(off - f->rd_off) : sizeof junk;
		ssize_t n = get_bytes(f, junk, k, f->rd_off);

		if (n <= 0)
			return n < 0 ? -1 : 0;
	}
	return 1;
}

/*
 * win_get: make [off, off + need) available in the window, reading want
 * bytes (at least need) when the window must be refilled.  The window's
 * address, or NULL with *avail the bytes there are (fewer: end of file)
 * and errno set for a read error (else 0).  Arithmetic is checked: off
 * comes from indexes and streams, which may lie.
 */
int
pcapf_buffered(const struct pcapf *f)
{
	uint64_t off = f->next;
	size_t have;
	struct pcapf_rec r;
	char e[64];

	if (off < f->win_off || off - f->win_off > f->win_len)
		return 0;
	have = f->win_len - (size_t)(off - f->win_off);
	return have >= PCAP_RECHDR && pcapf_rechdr(&f->h, f->win + (off - f->win_off), off, &r, e, sizeof e) == 0 &&
	    have - PCAP_RECHDR >= r.disklen;
}

static const uint8_t *
win_get(struct pcapf *f, uint64_t off, size_t need, size_t want, size_t *avail)
{
	size_t keep = 0;

	errno = 0;
	*avail = 0;
	if (off >= f->win_off && off - f->win_off <= f->win_len) {
		keep = f->win_len - (size_t)(off - f->win_off);
		if (keep >= need)
			return f->win + (off - f->win_off);
	}
	if (off > (uint64_t)INT64_MAX - need) {
		errno = 0;
		*avail = 0;
		return NULL;    /* no file is that long */
	}
	if (want < need)
		want = need;
	if (!f->seekable) {
		/* forward only: what the window held before off is gone, and so is what was skipped */
		if (off < f->win_off || (keep == 0 && off < f->rd_off) ||
		    (keep > 0 && f->rd_off != f->win_off + f->win_len)) {
			errno = ESPIPE;
			return NULL;
		}
		if (keep == 0 && off >= f->rd_off) {
			int rc = pipe_skip(f, off);
			if (rc <= 0)
				return NULL;
		}
	}
	win_room(f, want);
	f->win_want = want;
	if (keep > 0 && off != f->win_off)
		memmove(f->win, f->win + (off - f->win_off), keep);
	f->win_off = off;
	f->win_len = keep;
	while (f->win_len < need) {
		ssize_t n = get_bytes(f, f->win + f->win_len, want - f->win_len, off + f->win_len);

		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		f->win_len += (size_t)n;
	}
	*avail = f->win_len;
	if (f->win_len < need) {
		errno = 0;
		return NULL;
	}
	return f->win;
}

static int
read_fail(struct pcapf *f, char *errbuf, size_t errlen, uint64_t off)
{
	f->ioerr = errno ? errno : EIO;
	snprintf(errbuf, errlen, "%s: error reading dump file at offset %llu: %s", f->path,
	    (unsigned long long)off, strerror(f->ioerr));
	return -1;
}

/*
 * The part of a record beyond its snapshot (cut records only) must be in
 * the file, or libpcap calls the record truncated.  1 whole, 0 short, -1
 * read error.
 */
static int
rest_there(struct pcapf *f, const struct pcapf_rec *r, size_t *got)
{
	uint64_t end = pcapf_rec_end(r), wend = f->win_off + f->win_len;
	uint8_t b;
	ssize_t n;

	if (end <= wend)
		return 1;
	if (f->seekable) {
		struct stat st;

		do
			n = pread(f->fd, &b, 1, (off_t)(end - 1));
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		if (n == 1)
			return 1;
		*got = fstat(f->fd, &st) == 0 && (uint64_t)st.st_size > r->offset + PCAP_RECHDR ?
		    (size_t)((uint64_t)st.st_size - r->offset - PCAP_RECHDR) : 0;
		return 0;
	}
	/* a pipe: consume the rest now; the window keeps the record's data */
	f->win_len = (size_t)(r->offset + PCAP_RECHDR + r->caplen - f->win_off);
	n = pipe_skip(f, end);
	if (n <= 0) {
		*got = (size_t)(f->rd_off - r->offset - PCAP_RECHDR);
		return n < 0 ? -1 : 0;
	}
	return 1;
}

const uint8_t *
pcapf_peek(struct pcapf *f, size_t need, size_t *avail)
{
	const uint8_t *p;

	/* the same large forward reads as pcapf_next: a run of records costs one read */
	if ((p = win_get(f, f->next, need, SEQ_READ, avail)) == NULL)
		return NULL;
	/* p is f->next's byte in the window (win_get refills from there) */
	*avail = f->win_len - (size_t)(f->next - f->win_off);
	return p;
}

int
pcapf_next(struct pcapf *f, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	uint64_t off = f->next;
	const uint8_t *p;
	size_t avail, got = 0;
	int rc;

	f->ioerr = 0;
	if ((p = win_get(f, off, PCAP_RECHDR, SEQ_READ, &avail)) == NULL) {
		if (errno)
			return read_fail(f, errbuf, errlen, off);
		if (avail == 0)
			return 0;
		snprintf(errbuf, errlen, "%s: truncated dump file; tried to read %u header bytes, only got %zu "
		    "(record at offset %llu)", f->path, PCAP_RECHDR, avail, (unsigned long long)off);
		return -1;
	}
	if (pcapf_rechdr(&f->h, p, off, r, errbuf, errlen) < 0) {
		char e[256];

		snprintf(e, sizeof e, "%s", errbuf);
		snprintf(errbuf, errlen, "%s: %s", f->path, e);
		return -1;
	}
	if ((p = win_get(f, off, PCAP_RECHDR + (size_t)r->caplen, SEQ_READ, &avail)) == NULL) {
		if (errno)
			return read_fail(f, errbuf, errlen, off);
		snprintf(errbuf, errlen, "%s: truncated dump file; tried to read %u captured bytes, only got %zu "
		    "(record at offset %llu)", f->path, r->disklen, avail - PCAP_RECHDR, (unsigned long long)off);
		return -1;
	}
	if (r->disklen > r->caplen && (rc = rest_there(f, r, &got)) <= 0) {
		if (rc < 0)
			return read_fail(f, errbuf, errlen, off);
		snprintf(errbuf, errlen, "%s: truncated dump file; tried to read %u captured bytes, only got %zu "
		    "(record at offset %llu)", f->path, r->disklen, got, (unsigned long long)off);
		return -1;
	}
	r->data = p + PCAP_RECHDR;
	f->next = pcapf_rec_end(r);
	return 1;
}

/* how much pcapf_read_at reads when it must go to the file at off */
static size_t
at_want(struct pcapf *f, uint64_t off)
{
	uint64_t end = f->win_off + f->win_len;

	/* the caller said how far its next records go; else forward and close to the last read: more at once */
	if (f->hint_end > off)
		return f->hint_end - off > WIN_MAX ? WIN_MAX : (size_t)(f->hint_end - off);
	if (f->win_len > 0 && off >= f->win_off && off <= end + NEAR_GAP && f->win_want > 0)
		return f->win_want * 2 > WIN_MAX ? WIN_MAX : f->win_want * 2;
	return WIN_MIN;
}

int
pcapf_read_at(struct pcapf *f, uint64_t offset, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	const uint8_t *p;
	size_t avail, want = at_want(f, offset), got = 0;
	int rc;

	f->ioerr = 0;
	if (offset < PCAP_FILEHDR) {
		snprintf(errbuf, errlen, "%s: no record at offset %llu (inside the file header)", f->path,
		    (unsigned long long)offset);
		return -1;
	}
	if ((p = win_get(f, offset, PCAP_RECHDR, want, &avail)) == NULL) {
		if (errno)
			return read_fail(f, errbuf, errlen, offset);
		if (avail == 0)
			snprintf(errbuf, errlen, "%s: no record at offset %llu (end of file)", f->path,
			    (unsigned long long)offset);
		else
			snprintf(errbuf, errlen, "%s: partial record header at offset %llu", f->path,
			    (unsigned long long)offset);
		return -1;
	}
	if (pcapf_rechdr(&f->h, p, offset, r, errbuf, errlen) < 0) {
		char e[256];

		snprintf(e, sizeof e, "%s", errbuf);
		snprintf(errbuf, errlen, "%s: %s", f->path, e);
		return -1;
	}
	if ((p = win_get(f, offset, PCAP_RECHDR + (size_t)r->caplen, want, &avail)) == NULL) {
		if (errno)
			return read_fail(f, errbuf, errlen, offset);
		snprintf(errbuf, errlen, "%s: partial record at offset %llu", f->path, (unsigned long long)offset);
		return -1;
	}
	if (r->disklen > r->caplen && (rc = rest_there(f, r, &got)) <= 0) {
		if (rc < 0)
			return read_fail(f, errbuf, errlen, offset);
		snprintf(errbuf, errlen, "%s: partial record at offset %llu", f->path, (unsigned long long)offset);
		return -1;
	}
	r->data = p + PCAP_RECHDR;
	f->next = pcapf_rec_end(r);
	return 1;
}
