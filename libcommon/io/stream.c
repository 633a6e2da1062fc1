/* stream.c - reading and writing the pk record stream (pk-stream(5)). */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pk.h"
#include "stream.h"

/* Smallest body each known type needs; 0 = any. */
static const uint32_t min_body[REC_TYPE_MAX_KNOWN + 1] = {
	[REC_HEADER] = 16,
	[REC_PACKET] = PKT_FIXED,
	[REC_FILE_OPEN] = 17,
	[REC_FILE_CLOSE] = 40,
	[REC_FILE_REMOVE] = 9,
	[REC_STATS] = 40,
	[REC_LOCATION] = 24,
	[REC_FILTER] = 25,
	[REC_NOTE] = 9,
	[REC_SOURCE] = 17,
	[REC_RANGE] = 24,
};

static int
hdr_plausible(const uint8_t *h, int need_known)
{
	uint32_t len = le32(h);
	uint16_t type = le16(h + 4);

	if (le16(h + 6) != STREAM_CHECK || len < STREAM_HDRLEN || len > STREAM_REC_MAX || len % 8)
		return 0;
	if (type == 0)
		return 0;
	if (type <= REC_TYPE_MAX_KNOWN)
		return len - STREAM_HDRLEN >= min_body[type];
	return !need_known;
}

/*
 * A named FIFO (not a pipe made for this reader) may have had a writer
 * and another reader before us: a restarted pkindex on the FIFO systemd
 * holds.  Linux names a pipe "pipe:[inode]" in /proc, a FIFO by its path.
 */
static int
named_fifo(int fd)
{
	struct stat st;
	char proc[64], target[16];
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return 0;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, target, sizeof target - 1)) < 0)
		return 1;        /* no /proc: assume the careful case */
	target[n] = '\0';
	return strncmp(target, "pipe:", 5) != 0;
}

void
sin_init(struct stream_in *s, int fd, const char *name)
{
	memset(s, 0, sizeof *s);
	bufin_init(&s->in, fd, BUFIO_SIZE);
	s->name = name ? name : "stdin";
	s->joining = named_fifo(fd);
}

void
sin_join(struct stream_in *s)
{
	s->joining = 1;
}

void
sin_free(struct stream_in *s)
{
	bufin_free(&s->in);
}

int
sin_unsure(const struct stream_in *s)
{
	return s->rec_pos < s->sure_from;
}

/* The first bytes of a pcap or pcapng file, in either byte order. */
static const char *
capture_magic(const uint8_t *p)
{
	uint32_t m = le32(p);

	switch (m) {
	case 0xa1b2c3d4: case 0xd4c3b2a1:
	case 0xa1b23c4d: case 0x4d3cb2a1:
		return "pcap";
	case 0x0a0d0d0a:
		return "pcapng";
	}
	return NULL;
}

static void
consume(struct stream_in *s, size_t n)
{
	bufin_consume(&s->in, n);
	s->pos += n;
}

/* the bytes from off to the end of a body of len are zero (writers pad with zeros) */
static int
zero_tail(const uint8_t *b, size_t off, size_t len)
{
	for (; off < len; off++)
		if (b[off] != 0)
			return 0;
	return 1;
}

/*
 * rec_valid: the whole record at p (its length already plausible) is one
 * a writer could have written: the body of a known type parses, its
 * strings are terminated, its padding is zero.  Resynchronisation trusts
 * only such records; the ordinary reading path parses them anyway.
 */
static int
rec_valid(const uint8_t *p)
{
	struct pk_rec r;
	struct pk_pkt pk;
	struct rec_file rf;
	struct rec_stats st;
	struct rec_loc l;
	struct rec_filter fl;
	struct rec_note no;
	const char *str = NULL;

	r.len = le32(p);
	r.type = le16(p + 4);
	r.raw = p;
	r.body = p + STREAM_HDRLEN;
	r.bodylen = r.len - STREAM_HDRLEN;
	switch (r.type) {
	case REC_HEADER:
		return memcmp(r.body, STREAM_MAGIC, 8) == 0;
	case REC_PACKET:
		return pkt_parse(&r, &pk) == 0 && zero_tail(pk.data, pk.caplen, PK_ALIGN8(pk.caplen));
	case REC_FILE_OPEN:
	case REC_FILE_CLOSE:
	case REC_FILE_REMOVE:
		if (rec_file_parse(&r, &rf) < 0 || (rf.path != NULL && rf.path[0] != '/'))
			return 0;
		str = rf.path;
		break;
	case REC_STATS:
		if (rec_stats_parse(&r, &st) < 0)
			return 0;
		str = r.bodylen > 40 ? st.name : NULL;
		break;
	case REC_LOCATION:
		return rec_loc_parse(&r, &l) == 0 && zero_tail(r.body, 24, r.bodylen);
	case REC_FILTER:
		if (rec_filter_parse(&r, &fl) < 0)
			return 0;
		str = fl.expr;
		break;
	case REC_NOTE:
		if (rec_note_parse(&r, &no) < 0)
			return 0;
		str = no.text;
		break;
	default:
		return 0;   /* a type this reader does not know proves nothing */
	}
	if (str == NULL)
		return zero_tail(r.body, r.type == REC_FILE_CLOSE ? 40 : r.bodylen, r.bodylen);
	return zero_tail(r.body, (size_t)((const uint8_t *)str - r.body) + strlen(str) + 1, r.bodylen);
}

/*
 * n bytes that are not records: garbage, unless we joined in the middle
 * of a stream and have not yet read far enough to be past the record we
 * joined inside (the rest of it, and bytes that merely look like records).
 */
static void
not_records(struct stream_in *s, uint64_t n)
{
	if (s->joining && (s->records == 0 || s->pos <= s->join_end))
		s->join_skip += n;
	else
		s->garbage += n;
}

static void
skipped(struct stream_in *s, size_t n)
{
	consume(s, n);
	not_records(s, n);
}

/*
 * resync: skip to the next record that proves itself: a plausible header
 * of a known type whose whole record is valid (rec_valid), followed by
 * another such record (or by the end of the input, exactly or inside the
 * follower: a writer killed).  A candidate
 * whose follower has not arrived yet is waited for, never taken on trust.
 * Records that start within STREAM_REC_MAX bytes of where it lands may
 * still lie inside a record the reader lost (a packet carrying bytes that
 * look like pk records): they are "unsure" (sin_unsure).
 * SIN_RECORD positioned on a record, SIN_EOF, SIN_AGAIN (a signal: call
 * sin_next again, the search resumes), SIN_ERROR (read error).
 */
static void
start_resync(struct stream_in *s)
{
	if (!s->resyncing) {
		s->resyncing = 1;
		s->resyncs++;
	}
}

static int
resync(struct stream_in *s)
{
	for (;;) {
		size_t avail = bufin_fill(&s->in, STREAM_HDRLEN), need;
		const uint8_t *p = bufin_ptr(&s->in);
		uint32_t len;

		if (avail < STREAM_HDRLEN) {
			if (s->in.err)
				return SIN_ERROR;
			if (!s->in.eof)
				return SIN_AGAIN;
			skipped(s, avail);
			s->resyncing = 0;
			return SIN_EOF;
		}
		if (!hdr_plausible(p, 1)) {
			skipped(s, 1);
			continue;
		}
		len = le32(p);
		need = (size_t)len + STREAM_HDRLEN;
		/* the candidate, and its follower's header: wait for them */
		if ((avail = bufin_fill(&s->in, need)) < need && !s->in.eof) {
			if (s->in.err)
				return SIN_ERROR;
			return SIN_AGAIN;
		}
		p = bufin_ptr(&s->in);
		if (avail >= len && rec_valid(p)) {
			int ok = 0;

			if (avail == len && s->in.eof)
				ok = 1;         /* it ends exactly where the input does */
			else if (avail >= need && hdr_plausible(p + len, 1)) {
				uint32_t nlen = le32(p + len);

				if ((avail = bufin_fill(&s->in, (size_t)len + nlen)) < (size_t)len + nlen && !s->in.eof) {
					if (s->in.err)
						return SIN_ERROR;
					return SIN_AGAIN;
				}
				p = bufin_ptr(&s->in);
				/* a follower cut by the end of input: a writer killed, its last record torn */
				ok = avail >= (size_t)len + nlen ? rec_valid(p + len) : s->in.eof;
			}
			if (ok) {
				s->resyncing = 0;
				s->sure_from = s->pos + STREAM_REC_MAX;
				if (s->joining && s->records == 0) {
					s->join_end = s->sure_from;
					warnx("%s: joined a stream in its middle: skipped %llu bytes to the first records "
					    "that prove themselves", s->name, (unsigned long long)s->join_skip);
				}
				return SIN_RECORD;
			}
		}
		skipped(s, 1);
	}
}

/* a header record of another version: payload, or a writer we cannot read */
static int
other_version(struct stream_in *s, const struct pk_rec *r)
{
	uint16_t v = le16(r->body + 8);

	if (sin_unsure(s)) {
		not_records(s, r->len);    /* most likely bytes of a packet we joined inside */
		return 0;
	}
	if (!s->joining && s->records == 1) {
		warnx("%s: stream version %u, this program reads version %u", s->name, v, STREAM_VERSION);
		return SIN_ERROR;
	}
	/*
	 * A reader that may join a stream (pkindex on a FIFO) never stops for
	 * good on it: it skips that writer's records until one it can read
	 * starts again with a header.
	 */
	if (!s->warned_version)
		warnx("%s: a writer of stream version %u (this program reads %u): skipping until a "
		    "version %u header", s->name, v, STREAM_VERSION, STREAM_VERSION);
	s->warned_version = 1;
	s->skipping = 1;
	s->garbage += r->len;
	return 0;
}

int
sin_next(struct stream_in *s, struct pk_rec *r)
{
	size_t avail;
	const uint8_t *p;
	uint32_t len;
	int rc;

	for (;;) {
		if (s->resyncing) {
			if ((rc = resync(s)) != SIN_RECORD) {
				if (rc == SIN_ERROR)
					warnc(s->in.err, "read error on %s", s->name);
				return rc;
			}
		}
		avail = bufin_fill(&s->in, STREAM_HDRLEN);
		if (avail < STREAM_HDRLEN) {
			if (s->in.err) {
				warnc(s->in.err, "read error on %s", s->name);
				return SIN_ERROR;
			}
			if (!s->in.eof)
				return SIN_AGAIN;
			if (avail > 0) {
				s->truncated = 1;
				consume(s, avail);
			}
			return SIN_EOF;
		}
		p = bufin_ptr(&s->in);
		if (!s->started) {
			const char *what = capture_magic(p);

			s->started = 1;
			if (what != NULL && !s->joining) {
				warnx("%s is a %s file, not a pk stream: read it with pkread -r", s->name, what);
				return SIN_ERROR;
			}
			if (what != NULL) {
				/* on a FIFO that is as likely the bytes of a packet as a pcap file */
				warnx("%s starts like a %s file, not a pk stream (a pcap is read with pkread -r); "
				    "resynchronising", s->name, what);
				start_resync(s);
				continue;
			}
			if (!hdr_plausible(p, 1)) {
				if (!s->joining)
					warnx("%s: stream does not start with a record header; resynchronising", s->name);
				start_resync(s);
				continue;
			}
			/* a stream starts with its header: joining one, anything else is its middle */
			if (s->joining && le16(p + 4) != REC_HEADER) {
				start_resync(s);
				continue;
			}
		}
		if (!hdr_plausible(p, 0)) {
			start_resync(s);
			continue;
		}
		len = le32(p);
		avail = bufin_fill(&s->in, len);
		if (avail < len) {
			if (s->in.err) {
				warnc(s->in.err, "read error on %s", s->name);
				return SIN_ERROR;
			}
			if (!s->in.eof)
				return SIN_AGAIN;
			s->truncated = 1;
			consume(s, avail);
			return SIN_EOF;
		}
		p = bufin_ptr(&s->in);
		r->len = len;
		r->type = le16(p + 4);
		r->raw = p;
		r->body = p + STREAM_HDRLEN;
		r->bodylen = len - STREAM_HDRLEN;
		s->rec_pos = s->pos;
		consume(s, len);
		s->records++;
		if (r->type == REC_HEADER) {
			if (memcmp(r->body, STREAM_MAGIC, 8) != 0) {
				/* a header type without the magic: treat as garbage */
				not_records(s, len);
				continue;
			}
			if (le16(r->body + 8) != STREAM_VERSION) {
				if ((rc = other_version(s, r)) != 0)
					return rc;
				continue;
			}
			/*
			 * A writer we can read starts here (or bytes that look like
			 * one: a header alone proves no alignment, so what was unsure
			 * stays unsure).
			 */
			s->skipping = 0;
			s->saw_header = 1;
			s->hdr_flags |= le32(r->body + 12);
		} else if (s->skipping) {
			s->garbage += len;
			continue;
		}
		return SIN_RECORD;
	}
}

int
sin_report(const struct stream_in *s)
{
	int bad = 0;

	if (s->garbage) {
		warnx("%s: skipped %llu bytes that were not pk records (%llu resynchronisations)",
		    s->name, (unsigned long long)s->garbage, (unsigned long long)s->resyncs);
		bad = 1;
	}
	if (s->truncated) {
		warnx("%s: input ended inside a record (writer killed?); the partial record was dropped",
		    s->name);
		bad = 1;
	}
	return bad;
}

int
pkt_parse(const struct pk_rec *r, struct pk_pkt *p)
{
	const uint8_t *b = r->body;
	size_t datalen, off;

	if (r->type != REC_PACKET || r->bodylen < PKT_FIXED)
		return -1;
	p->ts_ns = le64(b);
	p->caplen = le32(b + 8);
	p->wirelen = le32(b + 12);
	p->linktype = le32(b + 16);
	p->source = le32(b + 20);
	p->flags = le32(b + 24);
	p->origcap = p->caplen;
	if (p->flags & PKT_CUT) {
		p->origcap = le32(b + 28);
		if (p->origcap < p->caplen)
			return -1;
	}
	if (p->caplen > r->bodylen - PKT_FIXED)
		return -1;
	datalen = PK_ALIGN8(p->caplen);
	if (datalen > r->bodylen - PKT_FIXED)
		return -1;
	p->data = b + PKT_FIXED;
	p->ann = b + PKT_FIXED + datalen;
	p->annlen = (uint32_t)(r->bodylen - PKT_FIXED - datalen);
	/* annotations must tile the rest exactly */
	for (off = 0; off < p->annlen;) {
		size_t alen;
		if (p->annlen - off < 4)
			return -1;
		alen = PK_ALIGN8(4 + (size_t)le16(p->ann + off + 2));
		if (alen > p->annlen - off)
			return -1;
		off += alen;
	}
	return 0;
}

void
loc_put(uint8_t v[ANN_LOCATION_LEN], uint32_t file, uint64_t offset)
{
	put32(v, file);
	put32(v + 4, 0);
	put64(v + 8, offset);
}

int
loc_get(const struct pk_pkt *p, uint32_t *file, uint64_t *offset)
{
	struct pk_ann a;

	if (!pkt_ann(p, ANN_LOCATION, &a) || a.len < ANN_LOCATION_LEN)
		return 0;
	*file = le32(a.val);
	*offset = le64((const uint8_t *)a.val + 8);
	return 1;
}

int
pkt_ann(const struct pk_pkt *p, uint16_t tag, struct pk_ann *a)
{
	size_t off;

	for (off = 0; off + 4 <= p->annlen;) {
		uint16_t t = le16(p->ann + off), l = le16(p->ann + off + 2);
		if (t == tag) {
			a->tag = t;
			a->len = l;
			a->val = p->ann + off + 4;
			return 1;
		}
		off += PK_ALIGN8(4 + (size_t)l);
	}
	return 0;
}

/* A string at the end of a record body must be NUL-terminated inside it. */
static const char *
body_str(const struct pk_rec *r, size_t off)
{
	if (off >= r->bodylen || memchr(r->body + off, '\0', r->bodylen - off) == NULL)
		return NULL;
	return (const char *)r->body + off;
}

int
rec_file_parse(const struct pk_rec *r, struct rec_file *f)
{
	const uint8_t *b = r->body;

	memset(f, 0, sizeof *f);
	switch (r->type) {
	case REC_FILE_OPEN:
	case REC_SOURCE:        /* the same layout: id is the source */
		if (r->bodylen < 17)
			return -1;
		f->id = le32(b);
		f->linktype = le32(b + 4);
		f->snaplen = le32(b + 8);
		f->flags = le32(b + 12);
		return (f->path = body_str(r, 16)) ? 0 : -1;
	case REC_FILE_CLOSE:
		if (r->bodylen < 40)
			return -1;
		f->id = le32(b);
		f->flags = le32(b + 4);
		f->packets = le64(b + 8);
		f->bytes = le64(b + 16);
		f->first_ns = le64(b + 24);
		f->last_ns = le64(b + 32);
		if (r->bodylen > 40 && (f->path = body_str(r, 40)) == NULL)
			return -1;
		return 0;
	case REC_FILE_REMOVE:
		if (r->bodylen < 9)
			return -1;
		f->id = le32(b);
		f->flags = le32(b + 4);
		return (f->path = body_str(r, 8)) ? 0 : -1;
	}
	return -1;
}

int
rec_stats_parse(const struct pk_rec *r, struct rec_stats *s)
{
	const uint8_t *b = r->body;

	if (r->type != REC_STATS || r->bodylen < 40)
		return -1;
	s->ts_ns = le64(b);
	s->recv = le64(b + 8);
	s->drop = le64(b + 16);
	s->ifdrop = le64(b + 24);
	s->source = le32(b + 32);
	s->flags = le32(b + 36);
	s->name = r->bodylen > 40 ? body_str(r, 40) : "";
	return s->name ? 0 : -1;
}

int
rec_range_parse(const struct pk_rec *r, struct rec_range *g)
{
	if (r->type != REC_RANGE || r->bodylen < 24)
		return -1;
	g->file = le32(r->body);
	g->flags = le32(r->body + 4);
	g->start = le64(r->body + 8);
	g->end = le64(r->body + 16);
	g->nbits = 0;
	g->bits = NULL;
	if (g->flags & RANGE_BITS) {
		if (r->bodylen < 32)
			return -1;
		g->nbits = le32(r->body + 24);
		if ((r->bodylen - 32) / 8 < (g->nbits + 63) / 64)
			return -1;      /* the bitmap is cut short */
		g->bits = r->body + 32;
	}
	return g->start <= g->end ? 0 : -1;
}

int
rec_loc_parse(const struct pk_rec *r, struct rec_loc *l)
{
	if (r->type != REC_LOCATION || r->bodylen < 24)
		return -1;
	l->file = le32(r->body);
	l->offset = le64(r->body + 8);
	l->ts_ns = le64(r->body + 16);
	return 0;
}

int
rec_filter_parse(const struct pk_rec *r, struct rec_filter *f)
{
	if (r->type != REC_FILTER || r->bodylen < 25)
		return -1;
	f->flags = le32(r->body);
	f->start_ns = le64(r->body + 8);
	f->end_ns = le64(r->body + 16);
	return (f->expr = body_str(r, 24)) ? 0 : -1;
}

int
rec_note_parse(const struct pk_rec *r, struct rec_note *n)
{
	if (r->type != REC_NOTE || r->bodylen < 9)
		return -1;
	n->code = le32(r->body);
	n->file = le32(r->body + 4);
	return (n->text = body_str(r, 8)) ? 0 : -1;
}

/* ---- writing ---- */

void
sout_init_raw(struct stream_out *s, int fd)
{
	memset(s, 0, sizeof *s);
	bufout_init(&s->out, fd, BUFIO_SIZE);
}

void
sout_header(struct stream_out *s, const char *producer, uint32_t hdr_flags)
{
	uint8_t fixed[16];

	memcpy(fixed, STREAM_MAGIC, 8);
	put16(fixed + 8, STREAM_VERSION);
	put16(fixed + 10, 0);
	put32(fixed + 12, hdr_flags);
	(void)sout_rec_str(s, REC_HEADER, fixed, sizeof fixed, producer ? producer : pk_progname);
}

void
sout_init(struct stream_out *s, int fd, const char *producer, uint32_t hdr_flags, const char *hint)
{
	pk_refuse_tty(fd, hint);
	pk_pipe_grow(fd);
	sout_init_raw(s, fd);
	sout_header(s, producer, hdr_flags);
}

void
sout_free(struct stream_out *s)
{
	bufout_free(&s->out);
}

static int
sout_fail(struct stream_out *s)
{
	if (s->out.err == EPIPE)
		s->dead = 1;
	errno = s->out.err;
	return -1;
}

int
sout_flush(struct stream_out *s)
{
	if (bufout_flush(&s->out) < 0)
		return sout_fail(s);
	return 0;
}

/* reserve a whole record of bodylen (padded), write its header, return body */
static uint8_t *
rec_begin(struct stream_out *s, uint16_t type, size_t bodylen, size_t *total)
{
	size_t len = PK_ALIGN8(STREAM_HDRLEN + bodylen);
	uint8_t *p;

	if (len > STREAM_REC_MAX) {
		errno = EMSGSIZE;
		return NULL;
	}
	if ((p = bufout_reserve(&s->out, len)) == NULL) {
		sout_fail(s);
		return NULL;
	}
	put32(p, (uint32_t)len);
	put16(p + 4, type);
	put16(p + 6, STREAM_CHECK);
	memset(p + len - 8, 0, 8); /* padding */
	*total = len;
	return p + STREAM_HDRLEN;
}

int
sout_rec(struct stream_out *s, uint16_t type, const void *body, size_t bodylen)
{
	size_t total;
	uint8_t *b = rec_begin(s, type, bodylen, &total);

	if (b == NULL)
		return -1;
	memcpy(b, body, bodylen);
	bufout_commit(&s->out, total);
	return 0;
}

int
sout_rec_str(struct stream_out *s, uint16_t type, const void *fixed, size_t fixedlen, const char *str)
{
	size_t slen = strlen(str) + 1, total;
	uint8_t *b = rec_begin(s, type, fixedlen + slen, &total);

	if (b == NULL)
		return -1;
	memcpy(b, fixed, fixedlen);
	memcpy(b + fixedlen, str, slen);
	bufout_commit(&s->out, total);
	return 0;
}

int
sout_raw(struct stream_out *s, const struct pk_rec *r)
{
	if (bufout_write(&s->out, r->raw, r->len) < 0)
		return sout_fail(s);
	return 0;
}

static int
ann_replaced(uint16_t tag, const struct pk_ann *add, int nadd)
{
	for (int i = 0; i < nadd; i++)
		if (add[i].tag == tag)
			return 1;
	return 0;
}

int
sout_packet(struct stream_out *s, const struct pk_pkt *p, const struct pk_ann *add, int nadd)
{
	size_t keep = 0, off, bodylen, total, pos;
	uint8_t *b;
	int i;

	for (off = 0; off + 4 <= p->annlen;) {
		size_t alen = PK_ALIGN8(4 + (size_t)le16(p->ann + off + 2));
		if (!ann_replaced(le16(p->ann + off), add, nadd))
			keep += alen;
		off += alen;
	}
	bodylen = PKT_FIXED + PK_ALIGN8(p->caplen) + keep;
	for (i = 0; i < nadd; i++)
		bodylen += PK_ALIGN8(4 + (size_t)add[i].len);
	if ((b = rec_begin(s, REC_PACKET, bodylen, &total)) == NULL)
		return -1;
	put64(b, p->ts_ns);
	put32(b + 8, p->caplen);
	put32(b + 12, p->wirelen);
	put32(b + 16, p->linktype);
	put32(b + 20, p->source);
	put32(b + 24, p->flags);
	put32(b + 28, p->flags & PKT_CUT ? p->origcap : 0);
	memcpy(b + PKT_FIXED, p->data, p->caplen);
	pos = PKT_FIXED + p->caplen;
	memset(b + pos, 0, PK_ALIGN8(p->caplen) - p->caplen);
	pos = PKT_FIXED + PK_ALIGN8(p->caplen);
	for (off = 0; off + 4 <= p->annlen;) {
		size_t alen = PK_ALIGN8(4 + (size_t)le16(p->ann + off + 2));
		if (!ann_replaced(le16(p->ann + off), add, nadd)) {
			memcpy(b + pos, p->ann + off, alen);
			pos += alen;
		}
		off += alen;
	}
	for (i = 0; i < nadd; i++) {
		size_t alen = PK_ALIGN8(4 + (size_t)add[i].len);
		put16(b + pos, add[i].tag);
		put16(b + pos + 2, add[i].len);
		memcpy(b + pos + 4, add[i].val, add[i].len);
		memset(b + pos + 4 + add[i].len, 0, alen - 4 - add[i].len);
		pos += alen;
	}
	bufout_commit(&s->out, total);
	return 0;
}

int
sout_file_open(struct stream_out *s, uint32_t id, uint32_t linktype, uint32_t snaplen, uint32_t flags,
    const char *path)
{
	uint8_t b[16];

	put32(b, id);
	put32(b + 4, linktype);
	put32(b + 8, snaplen);
	put32(b + 12, flags);
	return sout_rec_str(s, REC_FILE_OPEN, b, sizeof b, path);
}

int
sout_source(struct stream_out *s, uint32_t source, uint32_t linktype, uint32_t snaplen, uint32_t flags,
    const char *name)
{
	uint8_t b[16];

	put32(b, source);
	put32(b + 4, linktype);
	put32(b + 8, snaplen);
	put32(b + 12, flags);
	return sout_rec_str(s, REC_SOURCE, b, sizeof b, name);
}

int
sout_file_close(struct stream_out *s, const struct rec_file *f)
{
	uint8_t b[40];

	put32(b, f->id);
	put32(b + 4, f->flags);
	put64(b + 8, f->packets);
	put64(b + 16, f->bytes);
	put64(b + 24, f->first_ns);
	put64(b + 32, f->last_ns);
	if (f->path != NULL)
		return sout_rec_str(s, REC_FILE_CLOSE, b, sizeof b, f->path);
	return sout_rec(s, REC_FILE_CLOSE, b, sizeof b);
}

int
sout_file_remove(struct stream_out *s, uint32_t id, const char *path)
{
	uint8_t b[8];

	put32(b, id);
	put32(b + 4, 0);
	return sout_rec_str(s, REC_FILE_REMOVE, b, sizeof b, path);
}

int
sout_stats(struct stream_out *s, const struct rec_stats *st)
{
	uint8_t b[40];

	put64(b, st->ts_ns);
	put64(b + 8, st->recv);
	put64(b + 16, st->drop);
	put64(b + 24, st->ifdrop);
	put32(b + 32, st->source);
	put32(b + 36, st->flags);
	return sout_rec_str(s, REC_STATS, b, sizeof b, st->name ? st->name : "");
}

int
sout_range(struct stream_out *s, const struct rec_range *g)
{
	size_t bytes = (g->flags & RANGE_BITS) ? ((size_t)g->nbits + 7) / 8 : 0, total;
	uint8_t *b;

	if ((g->flags & RANGE_BITS) && g->nbits > RANGE_BITS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* the bitmap is written in place: one record, however many candidates */
	if ((b = rec_begin(s, REC_RANGE, (g->flags & RANGE_BITS) ? 32 + bytes : 24, &total)) == NULL)
		return -1;
	put32(b, g->file);
	put32(b + 4, g->flags);
	put64(b + 8, g->start);
	put64(b + 16, g->end);
	if (g->flags & RANGE_BITS) {
		put32(b + 24, g->nbits);
		put32(b + 28, 0);
		memcpy(b + 32, g->bits, bytes);
	}
	bufout_commit(&s->out, total);
	return 0;
}

int
sout_loc(struct stream_out *s, const struct rec_loc *l)
{
	uint8_t b[24];

	put32(b, l->file);
	put32(b + 4, 0);
	put64(b + 8, l->offset);
	put64(b + 16, l->ts_ns);
	return sout_rec(s, REC_LOCATION, b, sizeof b);
}

int
sout_filter(struct stream_out *s, const struct rec_filter *f)
{
	uint8_t b[24];

	put32(b, f->flags);
	put32(b + 4, 0);
	put64(b + 8, f->start_ns);
	put64(b + 16, f->end_ns);
	return sout_rec_str(s, REC_FILTER, b, sizeof b, f->expr ? f->expr : "");
}

int
sout_note(struct stream_out *s, uint32_t code, uint32_t file, const char *text)
{
	uint8_t b[8];

	put32(b, code);
	put32(b + 4, file);
	return sout_rec_str(s, REC_NOTE, b, sizeof b, text);
}
