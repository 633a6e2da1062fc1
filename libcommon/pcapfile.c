/* pcapfile.c - classic pcap writing and offset-addressed reading. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	if (fread(h, 1, sizeof h, f->fp) != sizeof h ||
	    pcapf_parsehdr(h, &f->swapped, &f->nsec, &f->linktype, &f->snaplen) < 0) {
		snprintf(errbuf, errlen, "%s: not a classic pcap file", path);
		fclose(f->fp);
		f->fp = NULL;
		return -1;
	}
	if ((f->path = strdup(path)) == NULL)
		err(EX_OSERR, "strdup");
	f->next = PCAP_FILEHDR;
	return 0;
}

void
pcapf_close(struct pcapf *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->path);
	free(f->buf);
	memset(f, 0, sizeof *f);
}

int
pcapf_seek(struct pcapf *f, uint64_t offset)
{
	if (fseeko(f->fp, (off_t)offset, SEEK_SET) < 0)
		return -1;
	f->next = offset;
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

/* read the record at the current stream position, which is f->next */
static int
read_here(struct pcapf *f, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	uint8_t h[PCAP_RECHDR];
	size_t n = fread(h, 1, sizeof h, f->fp);
	uint32_t frac;

	if (n == 0 && feof(f->fp)) {
		clearerr(f->fp);
		return 0;
	}
	if (n != sizeof h) {
		snprintf(errbuf, errlen, "%s: partial record header at offset %llu", f->path,
		    (unsigned long long)f->next);
		return rewind_partial(f);
	}
	r->offset = f->next;
	frac = rd32(h + 4, f->swapped);
	r->caplen = rd32(h + 8, f->swapped);
	r->wirelen = rd32(h + 12, f->swapped);
	if (r->caplen > PCAP_SNAPLEN_MAX || frac >= (f->nsec ? 1000000000u : 1000000u)) {
		snprintf(errbuf, errlen, "%s: bad record header at offset %llu (caplen %u)", f->path,
		    (unsigned long long)f->next, r->caplen);
		return rewind_partial(f);
	}
	r->ts_ns = (uint64_t)rd32(h, f->swapped) * 1000000000u + (f->nsec ? frac : (uint64_t)frac * 1000u);
	if (r->caplen > f->bufcap) {
		uint8_t *nb = realloc(f->buf, r->caplen);
		if (nb == NULL)
			err(EX_OSERR, "realloc");
		f->buf = nb;
		f->bufcap = r->caplen;
	}
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
	return read_here(f, r, errbuf, errlen);
}

int
pcapf_read_at(struct pcapf *f, uint64_t offset, struct pcapf_rec *r, char *errbuf, size_t errlen)
{
	int rc;

	/* the stream always stands at f->next (read_here rewinds after a short read) */
	if (offset != f->next && pcapf_seek(f, offset) < 0) {
		snprintf(errbuf, errlen, "%s: cannot seek to %llu: %s", f->path,
		    (unsigned long long)offset, strerror(errno));
		return -1;
	}
	rc = read_here(f, r, errbuf, errlen);
	if (rc == 0) {
		snprintf(errbuf, errlen, "%s: no record at offset %llu (end of file)", f->path,
		    (unsigned long long)offset);
		return -1;
	}
	return rc;
}
