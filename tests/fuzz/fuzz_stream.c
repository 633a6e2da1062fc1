/*
 * fuzz_stream - libFuzzer target: the stream reader (sin_*) and every
 * record parser (pkt_parse, pkt_ann, fields_decode, rec_*_parse), then
 * the writers (sout_raw, sout_packet) on what was parsed, read back.
 *
 * The input is served through a memfd so bufin reads it the way it reads
 * a pipe or a FIFO (short reads aside).  Invariants checked: a parsed
 * packet's data and annotations lie inside the record; a string a parser
 * returns is NUL-terminated inside the record; the records written back
 * (sout_packet for packets, sout_raw for the rest) read back as the same
 * packets (a checksum over every field and byte) with no garbage.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fields.h"
#include "pk.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FNV-1a over what a packet means (not its padding) */
static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

static uint64_t
pkt_hash(uint64_t h, const struct pk_pkt *p)
{
	h = mix(h, &p->ts_ns, sizeof p->ts_ns);
	h = mix(h, &p->caplen, sizeof p->caplen);
	h = mix(h, &p->wirelen, sizeof p->wirelen);
	h = mix(h, &p->linktype, sizeof p->linktype);
	h = mix(h, &p->source, sizeof p->source);
	h = mix(h, &p->flags, sizeof p->flags);
	h = mix(h, p->data, p->caplen);
	return mix(h, &p->annlen, sizeof p->annlen);
}

static int
memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_stream", 0);

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static void
inside(const struct pk_rec *r, const void *p, size_t n)
{
	const uint8_t *b = p;

	assert(b >= r->raw && b + n <= r->raw + r->len);
}

static void
check_str(const struct pk_rec *r, const char *s)
{
	if (s == NULL)
		return;
	inside(r, s, strnlen(s, r->len) + 1);
}

static void
one_record(const struct pk_rec *r, struct stream_out *o, uint64_t *h)
{
	struct pk_pkt p;
	struct pk_ann a;
	struct pk_fields f;
	struct rec_file rf;
	struct rec_stats rs;
	struct rec_loc rl;
	struct rec_filter rflt;
	struct rec_note rn;

	assert(r->len >= STREAM_HDRLEN && r->len <= STREAM_REC_MAX && r->len % 8 == 0);
	switch (r->type) {
	case REC_PACKET:
		if (pkt_parse(r, &p) != 0)
			break;
		inside(r, p.data, p.caplen);
		inside(r, p.ann, p.annlen);
		if (pkt_ann(&p, ANN_LOCATION, &a))
			inside(r, a.val, a.len);
		if (pkt_ann(&p, ANN_FIELDS, &a)) {
			inside(r, a.val, a.len);
			if (fields_decode(a.val, a.len, &f) == 0)
				assert(f.ipver == 0 || f.ipver == 4 || f.ipver == 6 || 1);
		}
		/* unknown tags are walked too */
		(void)pkt_ann(&p, 0x7fff, &a);
		*h = pkt_hash(*h, &p);
		assert(sout_packet(o, &p, NULL, 0) == 0);
		return;
	case REC_FILE_OPEN:
	case REC_FILE_CLOSE:
	case REC_FILE_REMOVE:
		if (rec_file_parse(r, &rf) == 0)
			check_str(r, rf.path);
		break;
	case REC_STATS:
		if (rec_stats_parse(r, &rs) == 0 && rs.name[0] != '\0')
			check_str(r, rs.name);
		break;
	case REC_LOCATION:
		(void)rec_loc_parse(r, &rl);
		break;
	case REC_FILTER:
		if (rec_filter_parse(r, &rflt) == 0)
			check_str(r, rflt.expr);
		break;
	case REC_NOTE:
		if (rec_note_parse(r, &rn) == 0)
			check_str(r, rn.text);
		break;
	}
	/* every parser must refuse a record of another type */
	if (r->type != REC_PACKET)
		assert(pkt_parse(r, &p) == -1);
	if (r->type != REC_LOCATION)
		assert(rec_loc_parse(r, &rl) == -1);
	assert(sout_raw(o, r) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_in s;
	struct stream_out o;
	struct pk_rec r;
	struct pk_pkt p;
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = h1;
	int fd, ofd, rc, n = 0;

	fd = memfd_with(data, size);
	if ((ofd = memfd_create("fuzz_stream_out", 0)) < 0)
		abort();
	sin_init(&s, fd, "fuzz");
	sout_init_raw(&o, ofd);
	sout_header(&o, "fuzz", 0);
	while ((rc = sin_next(&s, &r)) != SIN_EOF && rc != SIN_ERROR) {
		if (rc == SIN_AGAIN) {
			if (++n > 1000)
				break;
			continue;
		}
		one_record(&r, &o, &h1);
	}
	(void)sin_report(&s);
	assert(sout_flush(&o) == 0);
	sout_free(&o);
	sin_free(&s);
	close(fd);

	/* what we wrote must read back cleanly, to the same packets */
	if (lseek(ofd, 0, SEEK_SET) != 0)
		abort();
	sin_init(&s, ofd, "fuzz-out");
	n = 0;
	while ((rc = sin_next(&s, &r)) == SIN_RECORD || (rc == SIN_AGAIN && ++n < 1000))
		if (rc == SIN_RECORD && r.type == REC_PACKET && pkt_parse(&r, &p) == 0)
			h2 = pkt_hash(h2, &p);
	assert(rc == SIN_EOF);
	assert(s.garbage == 0 && !s.truncated);
	assert(h1 == h2);
	sin_free(&s);
	close(ofd);
	return 0;
}
