/* pcapfile.c - classic pcap writing and offset-addressed reading. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pk.h"

void
pcapw_filehdr(uint8_t h[PCAP_FILEHDR], uint32_t linktype, uint32_t snaplen, int nsec)
{
	put32(h, nsec ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
	put16(h + 4, 2);
	put16(h + 6, 4);
	put32(h + 8, 0);
	put32(h + 12, 0);
	put32(h + 16, snaplen);
	put32(h + 20, linktype);
}

int
pcapw_header(struct bufout *o, uint32_t linktype, uint32_t snaplen, int nsec)
{
	uint8_t h[PCAP_FILEHDR];

	pcapw_filehdr(h, linktype, snaplen, nsec);
	return bufout_write(o, h, sizeof h);
}

int
pcapw_record(struct bufout *o, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen, const uint8_t *data,
    int nsec)
{
	uint8_t *p = bufout_reserve(o, PCAP_RECHDR + (size_t)caplen);
	uint64_t sec = ts_ns / 1000000000u, frac = ts_ns % 1000000000u;

	if (p == NULL)
		return -1;
	put32(p, (uint32_t)sec);
	put32(p + 4, (uint32_t)(nsec ? frac : frac / 1000u));
	put32(p + 8, caplen);
	put32(p + 12, wirelen);
	memcpy(p + PCAP_RECHDR, data, caplen);
	bufout_commit(o, PCAP_RECHDR + (size_t)caplen);
	return 0;
}

static uint32_t
rd32(const uint8_t *p, int swapped)
{
	return swapped ? be32(p) : le32(p);
}

int
pcapf_parsehdr(const uint8_t *h, int *swapped, int *nsec, uint32_t *linktype, uint32_t *snaplen)
{
	uint32_t m = le32(h);

	switch (m) {
	case PCAP_MAGIC_US: *swapped = 0; *nsec = 0; break;
	case PCAP_MAGIC_NS: *swapped = 0; *nsec = 1; break;
	default:
		m = be32(h);
		if (m == PCAP_MAGIC_US) { *swapped = 1; *nsec = 0; }
		else if (m == PCAP_MAGIC_NS) { *swapped = 1; *nsec = 1; }
		else return -1;
	}
	*snaplen = rd32(h + 16, *swapped);
	/* upper 16 bits of the link-type field carry FCS info; keep the type */
	*linktype = rd32(h + 20, *swapped) & 0x03ffffffu;
	return 0;
}

/*
 * Random access (pcapf_read_at) reads with pread(2) into a window that
 * starts at the requested record: WIN_MIN bytes after a jump, doubling up
 * to WIN_MAX while requests keep running forward (dense answers read like
 * a scan).  A record already in the window costs no call at all.
 */
#define WIN_MIN 8192u
#define WIN_MAX (256u * 1024u)
#define NEAR_GAP 512u

int
pcapf_open(struct pcapf *f, const char *path, char *errbuf, size_t errlen)
{
	uint8_t h[PCAP_FILEHDR];
	struct stat st;

	memset(f, 0, sizeof *f);
	if ((f->fp = fopen(path, "rb")) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f->fp), &st) == 0)
		f->size = (uint64_t)st.st_size;
	/* large stdio buffer: sequential scans make one read per 256 KiB */
	setvbuf(f->fp, NULL, _IOFBF, 256 * 1024);
	/* the header by pread: stdio fills its buffer only if pcapf_next is used */
	if (pread(fileno(f->fp), h, sizeof h, 0) != (ssize_t)sizeof h ||
	    pcapf_parsehdr(h, &f->swapped, &f->nsec, &f->linktype, &f->snaplen) < 0) {
		snprintf(errbuf, errlen, "%s: not a classic pcap file", path);
		fclose(f->fp);
		f->fp = NULL;
		return -1;
	}
	if ((f->path = strdup(path)) == NULL)
		err(EX_OSERR, "strdup");
	f->next = PCAP_FILEHDR;
	f->fp_off = 0;
	return 0;
}

void
pcapf_close(struct pcapf *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->path);
	free(f->buf);
	free(f->win);
	memset(f, 0, sizeof *f);
}

int
pcapf_seek(struct pcapf *f, uint64_t offset)
{
	if (fseeko(f->fp, (off_t)offset, SEEK_SET) < 0) {
		f->fp_off = UINT64_MAX;
		return -1;
	}
	f->next = offset;
	f->fp_off = offset;
	return 0;
}

/*
 * After a short read, put the stream back on the record's start: a file
 * still being written (a .pcap.part) may have the rest later, and stdio's
 * end-of-file flag would otherwise stick.
 */
static int
rewind_partial(struct pcapf *f)
{
	clearerr(f->fp);
	(void)fseeko(f->fp, (off_t)f->next, SEEK_SET);
	return -1;
}

/* check a record header h (at f->next) into r; 0, or -1 with err */
static int
parse_rechdr(struct pcapf *f, const uint8_t *h, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	uint32_t frac;

	r->offset = f->next;
	frac = rd32(h + 4, f->swapped);
	r->caplen = rd32(h + 8, f->swapped);
	r->wirelen = rd32(h + 12, f->swapped);
	if (r->caplen > PCAP_SNAPLEN_MAX || frac >= (f->nsec ? 1000000000u : 1000000u)) {
		snprintf(errbuf, errlen, "%s: bad record header at offset %llu (caplen %u)", f->path,
		    (unsigned long long)f->next, r->caplen);
		return -1;
	}
	r->ts_ns = (uint64_t)rd32(h, f->swapped) * 1000000000u + (f->nsec ? frac : (uint64_t)frac * 1000u);
	return 0;
}

static void
buf_need(struct pcapf *f, size_t n)
{
	if (n > f->bufcap) {
		uint8_t *nb = realloc(f->buf, n);
		if (nb == NULL)
			err(EX_OSERR, "realloc");
		f->buf = nb;
		f->bufcap = n;
	}
}

/* read the record at the current stream position, which is f->next */
static int
read_here(struct pcapf *f, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	uint8_t h[PCAP_RECHDR];
	size_t n = fread(h, 1, sizeof h, f->fp);

	if (n == 0 && feof(f->fp)) {
		clearerr(f->fp);
		return 0;
	}
	if (n != sizeof h) {
		snprintf(errbuf, errlen, "%s: partial record header at offset %llu", f->path,
		    (unsigned long long)f->next);
		return rewind_partial(f);
	}
	if (parse_rechdr(f, h, r, errbuf, errlen) < 0)
		return rewind_partial(f);
	buf_need(f, r->caplen);
	if (fread(f->buf, 1, r->caplen, f->fp) != r->caplen) {
		snprintf(errbuf, errlen, "%s: partial record at offset %llu", f->path,
		    (unsigned long long)f->next);
		return rewind_partial(f);
	}
	r->data = f->buf;
	f->next += PCAP_RECHDR + (uint64_t)r->caplen;
	return 1;
}

int
pcapf_next(struct pcapf *f, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	int rc;

	/* pcapf_read_at does not move the stream: catch up with f->next */
	if (f->fp_off != f->next) {
		if (fseeko(f->fp, (off_t)f->next, SEEK_SET) < 0) {
			snprintf(errbuf, errlen, "%s: cannot seek to %llu: %s", f->path,
			    (unsigned long long)f->next, strerror(errno));
			f->fp_off = UINT64_MAX;
			return -1;
		}
		f->fp_off = f->next;
	}
	rc = read_here(f, r, errbuf, errlen);
	/* read_here leaves the stream at f->next, whatever happened */
	f->fp_off = f->next;
	return rc;
}

/* pread up to len bytes at off into dst; the count, or -1 */
static ssize_t
pread_full(int fd, uint8_t *dst, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, dst + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* fill the window from off: at least need bytes wanted; 0 or -1 (errno) */
static int
win_fill(struct pcapf *f, uint64_t off, size_t need)
{
	uint64_t end = f->win_off + f->win_len;
	size_t want;
	ssize_t n;

	/* the caller said how far its next records go; else forward and close to the last read: more at once */
	if (f->hint_end > off)
		want = f->hint_end - off > WIN_MAX ? WIN_MAX : (size_t)(f->hint_end - off);
	else if (f->win_len > 0 && off >= f->win_off && off <= end + NEAR_GAP)
		want = f->win_want * 2 > WIN_MAX ? WIN_MAX : f->win_want * 2;
	else
		want = WIN_MIN;
	if (want < need)
		want = need;
	if (want > f->win_cap) {
		uint8_t *nw = realloc(f->win, want);
		if (nw == NULL)
			err(EX_OSERR, "realloc");
		f->win = nw;
		f->win_cap = want;
	}
	f->win_want = want;
	f->win_off = off;
	f->win_len = 0;
	if ((n = pread_full(fileno(f->fp), f->win, want, off)) < 0)
		return -1;
	f->win_len = (size_t)n;
	return 0;
}

void
pcapf_hint(struct pcapf *f, uint64_t end)
{
	f->hint_end = end;
}

int
pcapf_read_at(struct pcapf *f, uint64_t offset, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	uint64_t end = f->win_off + f->win_len;
	size_t need;

	f->next = offset;
	if (f->win_len == 0 || offset < f->win_off || offset + PCAP_RECHDR > end) {
		if (win_fill(f, offset, PCAP_RECHDR) < 0) {
			snprintf(errbuf, errlen, "%s: cannot read at %llu: %s", f->path,
			    (unsigned long long)offset, strerror(errno));
			return -1;
		}
		end = f->win_off + f->win_len;
	}
	if (offset + PCAP_RECHDR > end) {
		if (offset >= end)
			snprintf(errbuf, errlen, "%s: no record at offset %llu (end of file)", f->path,
			    (unsigned long long)offset);
		else
			snprintf(errbuf, errlen, "%s: partial record header at offset %llu", f->path,
			    (unsigned long long)offset);
		return -1;
	}
	if (parse_rechdr(f, f->win + (offset - f->win_off), r, errbuf, errlen) < 0)
		return -1;
	need = PCAP_RECHDR + (size_t)r->caplen;
	if (offset + need > end) {
		if (need <= WIN_MAX) {
			/* again from the record's start, with room for all of it */
			if (win_fill(f, offset, need) < 0) {
				snprintf(errbuf, errlen, "%s: cannot read at %llu: %s", f->path,
				    (unsigned long long)offset, strerror(errno));
				return -1;
			}
			end = f->win_off + f->win_len;
		}
		if (offset + need > end) {
			ssize_t n;

			/* bigger than a window (or the window ends early): its own read */
			buf_need(f, r->caplen);
			if ((n = pread_full(fileno(f->fp), f->buf, r->caplen, offset + PCAP_RECHDR)) < 0 ||
			    (size_t)n != r->caplen) {
				snprintf(errbuf, errlen, "%s: partial record at offset %llu", f->path,
				    (unsigned long long)offset);
				return -1;
			}
			r->data = f->buf;
			f->next = offset + need;
			return 1;
		}
	}
	r->data = f->win + (offset - f->win_off) + PCAP_RECHDR;
	f->next = offset + need;
	return 1;
}
