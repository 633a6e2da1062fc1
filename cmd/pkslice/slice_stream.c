/*
 * slice_stream.c - pkslice reading a pk stream: a stream of packets is
 * written out as it comes; a stream of locations (pkfind) is collected
 * to the end, then the located packets are read from their files.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile.h"
#include "pk.h"
#include "slice.h"

enum { MODE_UNDECIDED, MODE_PACKETS, MODE_LOCATIONS };

/* the file a location names: the latest FILE_OPEN with that id */
static struct slice_file *
file_by_id(struct slice *sl, uint32_t id)
{
	for (size_t i = sl->nfiles; i-- > 0;)
		if (sl->files[i].id == id)
			return &sl->files[i];
	return NULL;
}

static void
loc_add(struct slice *sl, const struct rec_loc *l)
{
	struct slice_file *f = file_by_id(sl, l->file);

	if (f == NULL) {
		sl->bad_locs++;
		return;
	}
	slice_loc_add(f, l->offset, l->ts_ns);
}

/* one record; returns -1 when reading should stop */
static int
slice_record(struct slice *sl, const struct pk_rec *r, int *mode)
{
	struct rec_file f;
	struct rec_loc l;
	struct rec_range g;
	struct slice_file *rf;
	struct rec_filter flt;
	struct rec_note n;
	struct pk_pkt p;

	switch (r->type) {
	case REC_HEADER:
		return 0;      /* we write our own */
	case REC_FILE_OPEN:
		if (rec_file_parse(r, &f) < 0) {
			sl->bad_pkts++;
			return 0;
		}
		slice_file_add(sl, f.id, f.path, f.flags);
		if (!sl->started) {
			if (!sl->saw_open)
				sl->open_linktype = f.linktype;
			sl->saw_open = 1;
			if (f.snaplen > sl->open_snaplen)
				sl->open_snaplen = f.snaplen;
			if (f.flags & FOPEN_NSEC)
				sl->open_nsec = 1;
		}
		if (*mode != MODE_LOCATIONS)
			slice_pending(sl, r);
		return 0;
	case REC_SOURCE:
		/* a live source's snaplen goes in the header, as a file's does */
		if (rec_file_parse(r, &f) == 0 && !sl->started) {
			if (!sl->saw_open)
				sl->open_linktype = f.linktype;
			sl->saw_open = 1;
			if (f.snaplen > sl->open_snaplen)
				sl->open_snaplen = f.snaplen;
			if (f.flags & SOURCE_NSEC)
				sl->open_nsec = 1;
		}
		slice_pending(sl, r);
		return 0;
	case REC_LOCATION:
		if (*mode == MODE_PACKETS) {
			sl->ignored++;
			return 0;
		}
		*mode = MODE_LOCATIONS;
		if (rec_loc_parse(r, &l) < 0) {
			sl->bad_locs++;
			return 0;
		}
		loc_add(sl, &l);
		return 0;
	case REC_RANGE:
		if (*mode == MODE_PACKETS) {
			sl->ignored++;
			return 0;
		}
		*mode = MODE_LOCATIONS;
		if (rec_range_parse(r, &g) < 0 || (rf = file_by_id(sl, g.file)) == NULL) {
			sl->bad_locs++;
			return 0;
		}
		slice_range_add(rf, g.start, g.end, (g.flags & RANGE_EXACT) != 0, g.bits, g.nbits);
		return 0;
	case REC_FILTER:
		if (rec_filter_parse(r, &flt) < 0) {
			warnx("malformed filter record");
			slice_worse(sl, EX_DATAERR);
			sl->stop = 1;
			return -1;
		}
		slice_set_filter(sl, &flt);
		return 0;
	case REC_NOTE:
		if (rec_note_parse(r, &n) == 0 && n.code == NOTE_ROOT) {
			if (!sl->roots_given)
				slice_add_root(sl, n.text);
			return 0;
		}
		slice_pending(sl, r);
		return 0;
	case REC_PACKET:
		if (*mode == MODE_LOCATIONS) {
			sl->ignored++;
			return 0;
		}
		*mode = MODE_PACKETS;
		/* a headers-only packet (PKT_CUT, pkrotate's forwarding) has no payload to give */
		if (pkt_parse(r, &p) < 0 || (p.flags & PKT_CUT)) {
			sl->bad_pkts++;
			return 0;
		}
		return slice_emit(sl, &p, r, NULL, 0, 0);
	default:
		slice_pending(sl, r);
		return 0;
	}
}

int
slice_stream(struct slice *sl, int fd)
{
	struct stream_in in;
	struct pk_rec r;
	int rc, mode = MODE_UNDECIDED;

	sin_init(&in, fd, "stdin");
	while (!sl->stop && (rc = sin_next(&in, &r)) != SIN_EOF) {
		if (rc == SIN_AGAIN)
			continue;
		if (rc == SIN_ERROR) {
			/* not a stream at all (a pcap on stdin: the message names pkread) */
			slice_worse(sl, EX_DATAERR);
			sl->stop = 1;
			break;
		}
		sl->hdr_flags = in.hdr_flags;
		if (slice_record(sl, &r, &mode) < 0)
			break;
	}
	if (sin_report(&in))
		slice_worse(sl, EX_DATAERR);
	sin_free(&in);
	if (mode == MODE_LOCATIONS && !sl->stop)
		return slice_locations(sl);
	return sl->status;
}
