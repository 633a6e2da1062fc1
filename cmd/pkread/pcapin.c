/* pcapin.c - pcap and pcapng files into the pk stream (pkread -r). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "pcapfile.h"
#include "pcapin.h"
#include "pk.h"
#include "query.h"

/* How far into an input we look for its interface descriptions. */
#define PEEK_MAX (1u << 20)
#define PEEK_STEP 65536u
#define NG_BLOCK_MAX (16u << 20)

#define NG_SHB 0x0a0d0d0au
#define NG_IDB 1u
#define NG_PB 2u
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_OPT_TSRESOL 9u

enum { WALK_MORE = 0, WALK_DONE = 1 };

struct ngwalk {
	size_t off;
	int swapped;
	int nsec;
	int have_linktype;
	uint32_t linktype, snaplen;
};


/* if_tsresol: finer than a microsecond means the stream keeps ns */
static int
tsresol_fine(uint8_t r)
{
	return (r & 0x80) ? (r & 0x7f) >= 20 : r > 6;
}

static void
ng_idb(struct ngwalk *w, const uint8_t *b, uint32_t blen)
{
	size_t o = 16, end = blen - 4;

	if (blen < 20)
		return;
	if (!w->have_linktype) {
		w->linktype = pcap_rd16(b + 8, w->swapped);
		w->snaplen = pcap_rd32(b + 12, w->swapped);
		w->have_linktype = 1;
	}
	while (o + 4 <= end) {
		uint16_t code = pcap_rd16(b + o, w->swapped), olen = pcap_rd16(b + o + 2, w->swapped);
		if (code == 0 || o + 4 + olen > end)
			break;
		if (code == NG_OPT_TSRESOL && olen >= 1 && tsresol_fine(b[o + 4]))
			w->nsec = 1;
		o += 4 + (((size_t)olen + 3) & ~(size_t)3);
	}
}

/*
 * Walk pcapng blocks in b[0..len) from w->off: the IDBs before the first
 * packet.  WALK_MORE wants more bytes; WALK_DONE at the first packet
 * block or at anything malformed (libpcap will say what is wrong).
 * XXX an IDB after the first packet does not count towards "ns"; libpcap
 * 1.10 refuses most such files anyway (differing link types or snaplens).
 */
static int
ng_walk(struct ngwalk *w, const uint8_t *b, size_t len)
{
	for (;;) {
		const uint8_t *p = b + w->off;
		uint32_t type, blen;

		if (w->off + 12 > len)
			return WALK_MORE;
		type = pcap_rd32(p, w->swapped);
		if (le32(p) == NG_SHB) {
			uint32_t bom = le32(p + 8);
			if (bom == 0x1a2b3c4du) w->swapped = 0;
			else if (bom == 0x4d3c2b1au) w->swapped = 1;
			else return WALK_DONE;
			type = NG_SHB;
		}
		blen = pcap_rd32(p + 4, w->swapped);
		if (blen < 12 || blen % 4 || blen > NG_BLOCK_MAX)
			return WALK_DONE;
		if (type == NG_PB || type == NG_SPB || type == NG_EPB)
			return WALK_DONE;
		if (w->off + blen > len)
			return WALK_MORE;
		if (type == NG_IDB)
			ng_idb(w, p, blen);
		w->off += blen;
	}
}

/* What kind of input is in b[0..len)?  WALK_MORE if it cannot tell yet. */
static int
peek_kind(struct pcapin_file *f, struct ngwalk *w, const uint8_t *b, size_t len)
{
	struct pcapf_hdr ph;
	char e[160];
	uint32_t m;

	if (len < 4)
		return WALK_MORE;
	if (le32(b) == NG_SHB) {
		int rc = ng_walk(w, b, len);
		f->nsec = w->nsec;
		f->have_linktype = w->have_linktype;
		f->linktype = w->linktype;
		f->snaplen = w->snaplen;
		return rc;
	}
	if (len < PCAP_FILEHDR)
		return WALK_MORE;
	m = le32(b);
	f->classic_magic = m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS || be32(b) == PCAP_MAGIC_US ||
	    be32(b) == PCAP_MAGIC_NS || m == 0xa1b2cd34u || be32(b) == 0xa1b2cd34u;
	if (pcapf_hdr_parse(b, &ph, e, sizeof e) == 0) {
		/* pcapfile reads it, as libpcap would */
		f->classic = 1;
		f->nsec = ph.nsec;
		f->have_linktype = 1;
		f->linktype = ph.linktype;
		f->snaplen = ph.snaplen;
	}
	/* other formats: libpcap decides, µs, no offsets */
	return WALK_DONE;
}

/* Read the head of the input; keep it when the input cannot be read twice. */
static void
peek_file(struct pcapin_file *f)
{
	struct ngwalk w;
	struct stat st;
	size_t len = 0, cap = 0;
	uint8_t *buf = NULL;
	ssize_t got;

	memset(&w, 0, sizeof w);
	if (strcmp(f->name, "-") == 0)
		f->fd = STDIN_FILENO;
	else if ((f->fd = open(f->name, O_RDONLY | O_CLOEXEC)) < 0) {
		warn("%s", f->name);
		f->failed = 1;
		return;
	}
	if (fstat(f->fd, &st) < 0)
		memset(&st, 0, sizeof st);
	if (S_ISDIR(st.st_mode)) {
		warnx("%s: is a directory", f->name);
		close(f->fd);
		f->fd = -1;
		f->failed = 1;
		return;
	}
	/* a regular file is read twice (here, then by libpcap) and has offsets */
	if (S_ISREG(st.st_mode) && f->fd != STDIN_FILENO) {
		f->regular = 1;
		f->path = realpath(f->name, NULL);
	}
	while (len < PEEK_MAX) {
		if (peek_kind(f, &w, buf, len) == WALK_DONE)
			break;
		if (len == cap) {
			cap += PEEK_STEP;
			buf = xreallocarray(buf, cap, 1);
		}
		got = read(f->fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR && !capture_stop)
			continue;
		if (got <= 0)
			break;  /* end or error: libpcap will tell */
		len += (size_t)got;
	}
	if (f->regular) {
		close(f->fd);
		f->fd = -1;
		free(buf);
	} else {
		f->prefix = buf;
		f->prefixlen = len;
	}
}

void
pcapin_init(struct pcapin *r, char **names, int n)
{
	int i, nstdin = 0;

	memset(r, 0, sizeof *r);
	r->f = xcalloc((size_t)n, sizeof *r->f);
	r->n = n;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], "-") == 0 && ++nstdin > 1)
			errx(EX_USAGE, "-r -: standard input can be read only once");
	for (i = 0; i < n; i++) {
		r->f[i].name = names[i];
		r->f[i].fd = -1;
		peek_file(&r->f[i]);
		if (r->f[i].failed)
			r->status = EX_NOINPUT;
		else if (r->f[i].nsec)
			r->any_nsec = 1;
	}
}

void
pcapin_free(struct pcapin *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		free(r->f[i].path);
		free(r->f[i].prefix);
		if (r->f[i].fd >= 0)
			close(r->f[i].fd);
	}
	free(r->f);
	r->f = NULL;
}

/* ---- the stream from a pipe: flushed on a timer, whatever the input does ---- */

/*
 * A pipe (pkread -r - behind a live tcpdump -U -w -, netsniff-ng) may
 * pause for long: what was read must not wait for the next packet.  The
 * stream is flushed at most PIPE_FLUSH_MS after a packet went into it:
 * by emit() while packets flow, and before a read of the input that
 * would wait (peek_read for libpcap, next_record for classic pcap).  The
 * coarse clock is read from the vDSO, not with a system call; the poll()
 * is one per read(2) of the input, not one per packet.
 */
#define PIPE_FLUSH_MS 200

static int64_t pipe_flushed_ms;

static int64_t
coarse_ms(void)
{
	return (int64_t)(pk_now_ns(CLOCK_MONOTONIC_COARSE) / 1000000u);
}

static int
pipe_flush(struct pcapin *r)
{
	pipe_flushed_ms = coarse_ms();
	if (sout_flush(r->s) < 0) {
		r->werr = errno ? errno : EIO;
		r->done = 1;
		return -1;
	}
	return 0;
}

/* about to read fd: flush first if the oldest unflushed packet would wait too long */
static int
pipe_wait(struct pcapin *r, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left;

	if (r->s == NULL || r->s->out.len == 0 || r->werr)
		return 0;
	left = PIPE_FLUSH_MS - (coarse_ms() - pipe_flushed_ms);
	if (left <= 0 || poll(&p, 1, (int)left) == 0)
		return pipe_flush(r);
	return 0;
}

/* ---- a FILE that first gives back the peeked bytes, then the rest of the fd ---- */

struct peekcookie {
	struct pcapin *r;
	int fd;
	uint8_t *buf;
	size_t len, off;
};

static ssize_t
peek_read(void *cookie, char *out, size_t n)
{
	struct peekcookie *c = cookie;
	ssize_t got;

	if (c->off < c->len) {
		size_t k = c->len - c->off < n ? c->len - c->off : n;
		memcpy(out, c->buf + c->off, k);
		c->off += k;
		return (ssize_t)k;
	}
	if (pipe_wait(c->r, c->fd) < 0) {
		errno = EPIPE; /* the stream's reader went away: r->done ends the run quietly */
		return -1;
	}
	do
		got = read(c->fd, out, n);
	while (got < 0 && errno == EINTR && !capture_stop);
	return got;
}

static int
peek_close(void *cookie)
{
	struct peekcookie *c = cookie;

	if (c->fd != STDIN_FILENO)
		close(c->fd);
	free(c->buf);
	free(c);
	return 0;
}

static FILE *
peek_fopen(struct pcapin *r, struct pcapin_file *f)
{
	struct peekcookie *c;
	cookie_io_functions_t io = { .read = peek_read, .close = peek_close };
	FILE *fp;

	c = xcalloc(1, sizeof *c);
	c->r = r;
	c->fd = f->fd;
	c->buf = f->prefix;
	c->len = f->prefixlen;
	if ((fp = fopencookie(c, "r", io)) == NULL)
		err(EX_OSERR, "fopencookie");
	/* the cookie owns them now */
	f->fd = -1;
	f->prefix = NULL;
	return fp;
}

/* ---- one input ---- */

/*
 * Classic pcap (a file or a pipe) is read by pcapfile.c, which reads it
 * as libpcap does but from large reads into one buffer, with no copy of
 * a record, and knows each record's offset.  Everything else (pcapng, the
 * variants pcapfile does not read) is read by libpcap, without offsets.
 */
struct filerun {
	struct pcapin *r;
	struct pcapin_file *f;
	uint32_t id;
	struct pcapf pf;        /* classic */
	int classic;
	pcap_t *p;              /* libpcap reads it */
	FILE *fp;
	char *iobuf;            /* fp's buffer */
	int classic_magic;      /* libpcap reads a classic variant: 32-bit seconds */
	struct bpf_program prog;
	int filtered;
	int located;
	uint32_t linktype;
	uint64_t next;          /* offset just past the last record read */
	struct rec_file close;  /* counts for REC_FILE_CLOSE */
};

struct inrec {
	uint64_t ts_ns, off;
	uint32_t caplen, wirelen;
	const uint8_t *data;
};

static int
emit(struct filerun *fr, const struct inrec *in)
{
	struct pcapin *r = fr->r;
	struct pk_pkt pkt;
	struct pk_ann ann;
	uint8_t loc[ANN_LOCATION_LEN];

	memset(&pkt, 0, sizeof pkt);
	pkt.ts_ns = in->ts_ns;
	pkt.caplen = in->caplen;
	pkt.wirelen = in->wirelen;
	pkt.linktype = fr->linktype;
	pkt.source = fr->id;
	pkt.flags = fr->f->nsec ? PKT_NSEC : 0;
	pkt.data = in->data;
	ann.tag = ANN_LOCATION;
	ann.len = ANN_LOCATION_LEN;
	ann.val = loc;
	loc_put(loc, fr->id, in->off);
	if (sout_packet(r->s, &pkt, &ann, fr->located ? 1 : 0) < 0) {
		r->werr = errno ? errno : EIO;
		return -1;
	}
	r->packets++;
	r->bytes += in->caplen;
	/* a pipe: see pipe_wait() */
	if (!fr->f->regular && coarse_ms() - pipe_flushed_ms >= PIPE_FLUSH_MS)
		return pipe_flush(r);
	return 0;
}

/* the worst problem wins (pk_exit_merge): cannot open (66) over an I/O error (74) over damaged (65) */
static void
set_status(struct pcapin *r, int st)
{
	r->status = pk_exit_merge(r->status, st);
}

static int
limit_reached(const struct pcapin *r)
{
	return (r->max_packets && r->packets >= r->max_packets) ||
	    (r->max_bytes && r->bytes >= r->max_bytes);
}

/* the next record: 1, 0 at the end, -1 an error (said; status set), -2 stopped by a signal */
static int
next_record(struct filerun *fr, struct inrec *in)
{
	char e[PATH_MAX + 256];
	int rc;

	if (fr->classic) {
		struct pcapf_rec rec;

		if (!fr->f->regular && !pcapf_buffered(&fr->pf) && pipe_wait(fr->r, fr->pf.fd) < 0)
			return -2;      /* the stream's reader went away (r->done) */
		while ((rc = pcapf_next(&fr->pf, &rec, e, sizeof e)) < 0 && fr->pf.ioerr == EINTR)
			if (capture_stop)
				return -2;
		if (rc < 0) {
			warnx("%s", e);
			set_status(fr->r, fr->pf.ioerr ? EX_IOERR : EX_DATAERR);
			return -1;
		}
		if (rc == 0)
			return 0;
		in->ts_ns = rec.ts_ns;
		in->off = rec.offset;
		in->caplen = rec.caplen;
		in->wirelen = rec.wirelen;
		in->data = rec.data;
		fr->next = pcapf_rec_end(&rec);
		return 1;
	} else {
		struct pcap_pkthdr *h;
		const u_char *data;
		uint64_t sec;

		rc = pcap_next_ex(fr->p, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			if (capture_stop)
				return -2;  /* a signal while reading a pipe reads as an I/O error: it is not one */
			warnx("%s: %s", fr->f->name, pcap_geterr(fr->p));
			set_status(fr->r, EX_DATAERR);
			return -1;
		}
		/* libpcap 1.10 takes a classic file's seconds as signed: they are not */
		sec = fr->classic_magic ? (uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;
		in->ts_ns = sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		in->off = 0;
		in->caplen = h->caplen;
		in->wirelen = h->len;
		in->data = data;
		return 1;
	}
}

static int
filter_match(const struct filerun *fr, const struct inrec *in)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof h);
	h.caplen = in->caplen;
	h.len = in->wirelen;
	return pcap_offline_filter(&fr->prog, &h, in->data) != 0;
}

/* Read every record of fr; sets r->done when the run must end early. */
static void
file_loop(struct filerun *fr)
{
	struct pcapin *r = fr->r;
	struct inrec in;
	int rc;

	while ((rc = next_record(fr, &in)) == 1) {
		/* smallest and largest time, as pk-stream(5) says: files go back in time */
		if (fr->close.packets++ == 0 || in.ts_ns < fr->close.first_ns)
			fr->close.first_ns = in.ts_ns;
		if (in.ts_ns > fr->close.last_ns)
			fr->close.last_ns = in.ts_ns;
		fr->close.bytes = fr->next;
		if (fr->filtered && !filter_match(fr, &in)) {
			fr->close.flags |= FCLOSE_GAP;
			continue;
		}
		if (emit(fr, &in) < 0 || capture_stop) {
			r->done = 1;
			break;
		}
		if (limit_reached(r)) {
			r->done = 1;
			/* a gap only if the file had more */
			if (next_record(fr, &in) == 1)
				fr->close.flags |= FCLOSE_GAP;
			return;
		}
	}
	if (r->done || capture_stop || rc == -2) {
		r->done = 1;
		fr->close.flags |= FCLOSE_GAP;
	}
}

/* open f for reading: pcapfile for classic pcap, else libpcap; 0 or -1 (said) */
static int
file_open(struct filerun *fr)
{
	struct pcapin_file *f = fr->f;
	char ebuf[PCAP_ERRBUF_SIZE + PATH_MAX];
	int rc;

	if (f->classic) {
		fr->classic = 1;
		if (f->regular)
			rc = pcapf_open(&fr->pf, f->name, ebuf, sizeof ebuf);
		else {
			rc = pcapf_fdopen(&fr->pf, f->fd, f->name, f->prefix, f->prefixlen, ebuf, sizeof ebuf);
			f->fd = -1;     /* the pcap owns it now */
		}
		if (rc < 0) {
			warnx("%s", ebuf);
			set_status(fr->r, errno == ENOENT || errno == EACCES ? EX_NOINPUT : EX_DATAERR);
			return -1;
		}
		fr->linktype = fr->pf.linktype;
		return 0;
	}
	if (f->regular) {
		if ((fr->fp = fopen(f->name, "rb")) == NULL) {
			warn("%s", f->name);
			set_status(fr->r, EX_NOINPUT);
			return -1;
		}
	} else
		fr->fp = peek_fopen(fr->r, f);
	/* large reads: stdio's default is a read(2) every 4 KiB (glibc needs the buffer given) */
	fr->iobuf = xmalloc(PEEK_MAX);
	(void)setvbuf(fr->fp, fr->iobuf, _IOFBF, PEEK_MAX);
	ebuf[0] = '\0';
	fr->p = pcap_fopen_offline_with_tstamp_precision(fr->fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (fr->p == NULL) {
		warnx("%s: %s", f->name, ebuf);
		fclose(fr->fp);
		free(fr->iobuf);
		fr->iobuf = NULL;
		set_status(fr->r, EX_DATAERR);
		return -1;
	}
	fr->classic_magic = f->classic_magic;
	fr->linktype = f->have_linktype ? f->linktype : capture_linktype(pcap_datalink(fr->p));
	return 0;
}

static void
file_close(struct filerun *fr)
{
	if (fr->filtered)
		pcap_freecode(&fr->prog);
	if (fr->classic)
		pcapf_close(&fr->pf);
	else
		pcap_close(fr->p);  /* closes fr->fp */
	free(fr->iobuf);
}

/* compile the filter for this file, as tcpdump -r does (netmask 0); 0 or -1 (said) */
static int
file_filter(struct filerun *fr)
{
	struct pcapin *r = fr->r;
	char e[PCAP_ERRBUF_SIZE + 64];
	int rc;

	if (r->filter == NULL)
		return 0;
	if (fr->classic)
		rc = query_compile(r->filter, fr->pf.linktype, fr->pf.snaplen, &fr->prog, e, sizeof e);
	else if ((rc = pcap_compile(fr->p, &fr->prog, r->filter, 1, 0)) < 0)
		snprintf(e, sizeof e, "%s", pcap_geterr(fr->p));
	if (rc < 0) {
		/* wrong everywhere, most likely: stop before any output */
		if (!r->compiled)
			errx(EX_DATAERR, "%s: bad filter expression: %s", fr->f->name, e);
		warnx("%s: bad filter expression: %s", fr->f->name, e);
		set_status(r, EX_DATAERR);
		return -1;
	}
	fr->filtered = 1;
	return 0;
}

static void
file_run(struct pcapin *r, int i)
{
	struct pcapin_file *f = &r->f[i];
	struct filerun fr;

	memset(&fr, 0, sizeof fr);
	fr.r = r;
	fr.f = f;
	fr.id = (uint32_t)i;
	if (file_open(&fr) < 0)
		return;
	if (file_filter(&fr) < 0) {
		file_close(&fr);
		return;
	}
	r->compiled = 1;
	fr.located = f->regular && f->classic && f->path != NULL;
	fr.next = PCAP_FILEHDR;
	fr.close.id = fr.id;
	fr.close.bytes = PCAP_FILEHDR;
	if (fr.located && sout_file_open(r->s, fr.id, fr.linktype, f->snaplen,
	    FOPEN_INPUT | (f->nsec ? FOPEN_NSEC : 0), f->path) < 0) {
		r->werr = errno;
		r->done = 1;
	} else
		file_loop(&fr);
	if (fr.located && !r->werr && sout_file_close(r->s, &fr.close) < 0)
		r->werr = errno;
	file_close(&fr);
}

int
pcapin_run(struct pcapin *r, struct stream_out *s)
{
	int i;

	r->s = s;
	capture_signals(NULL);
	for (i = 0; i < r->n && !r->done && !r->werr && !capture_stop; i++)
		if (!r->f[i].failed)
			file_run(r, i);
	if (!r->werr && sout_flush(s) < 0)
		r->werr = errno;
	if (r->werr && r->werr != EPIPE) {
		warnc(r->werr, "write error on the stream");
		return EX_IOERR;
	}
	return r->status;
}
