/*
 * slice.h - pkslice(1): packets to one classic pcap (or pcapng when they
 * span link types, or a pk stream), from a stream of packets, from
 * pkfind's locations, or cut by time out of pcap files.
 *
 * slice.c        the output side (deferred pcap header, link type check,
 *                pcapng interfaces, stream form), the filter record, the
 *                time window; the file, location and root tables
 * slice_ng.c     pcapng blocks
 * slice_stream.c reading the input stream (packets, or locations to read)
 * slice_merge.c  reading pcap files: per-file cursors merged by time
 * slice_bulk.c   runs of records copied to the pcap as they lie in the file
 * slice_idx.c    a file's packets in the time window from its index
 * slice_seek.c   the time window found by binary search in a file
 * slice_confine.c located files only under the archive roots, race-free
 *
 * Calls run one way: main.c -> slice_stream.c -> slice_merge.c ->
 * slice_bulk.c, slice_idx.c, slice_seek.c, slice_confine.c -> slice.c -> slice_ng.c.
 */
#ifndef PK_SLICE_H
#define PK_SLICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pcap/pcap.h>

#include "bufio.h"
#include "pcapfile.h"
#include "stream.h"

enum slice_fmt { SLICE_PCAP, SLICE_PCAPNG, SLICE_STREAM };

/* a pcapng interface: one per link type (and resolution), described before its first packet */
struct slice_ngif {
	uint32_t linktype, snaplen;   /* snaplen 0: not known (no limit) */
	int nsec;
	int written;
	uint32_t id;                  /* its number in the file, once written */
	uint32_t max_caplen;          /* of its packets */
	uint64_t snap_at;             /* offset of its snaplen field in the output */
};

struct slice_loc {
	uint64_t off, ts;      /* offset of the pcap record header; time pkfind gave */
	uint64_t end;          /* a range (REC_RANGE): every record from off to end; 0: the one at off */
	int exact;             /* a range whose every candidate matches (RANGE_EXACT): no filter */
	uint8_t *bits;         /* a range's candidates (RANGE_BITS, owned), or NULL: every record */
	uint32_t nbits;
};

/* where a range stands: what slice_bulk and the cursor share */
struct slice_span {
	uint64_t end;          /* records that start before this offset */
	int exact;             /* no filter on the candidates */
	const uint8_t *bits;   /* NULL: every record is a candidate */
	uint32_t nbits;
	uint64_t k;            /* the record at the reader's offset is the k-th of the range */
};

/* slice_span_cand: the k-th record of the range is a candidate */
static inline int
slice_span_cand(const struct slice_span *sp, uint64_t k)
{
	return sp->bits == NULL || (k < sp->nbits && (sp->bits[k / 8] >> (k % 8)) & 1);
}

/* a pcap file to read: named by a FILE_OPEN record or on the command line */
struct slice_file {
	uint32_t id;           /* the stream's file id (location mode) */
	char *path;
	int root;              /* located: the root it lies under (slice_confine) */
	char *rel;             /* its name under that root; NULL: a command-line file, opened as named */
	uint32_t flags;        /* FILE_OPEN flags */
	struct slice_loc *loc; /* locations (location mode), sorted by offset at the end */
	size_t n, cap;
	/* from the file's own header (slice_merge.c) */
	int scan;              /* read every packet (no locations, no usable index) */
	int usable;
	uint32_t linktype, snaplen;
	int nsec;
	uint64_t first_ts;     /* of its first record (0 if none): when a scan is due */
	int announced;         /* stream output: FILE_OPEN written */
};

struct slice {
	/* options */
	enum slice_fmt fmt;
	int fmt_given;         /* -o: no automatic pcapng */
	int no_filter;         /* -x */
	char **roots;          /* -R, else NOTE_ROOT texts */
	size_t nroots;
	int *rootfd;           /* slice_confine: each root's directory, opened once (-1: none) */
	char **rootreal;       /* and its resolved name */
	int roots_given;
	uint64_t win_start, win_end;  /* -s/-e and FILTER_WINDOW combined: [start, end) */

	/* output */
	int fd;
	const char *outname;
	struct bufout bo;      /* pcap */
	struct stream_out so;  /* stream */
	int started;           /* pcap header / stream header written */
	uint32_t linktype, snaplen;
	uint32_t max_caplen;   /* of the packets written */
	off_t out_start;       /* where the pcap header went in a seekable output, or -1 */
	int nsec;
	uint8_t *pending;      /* stream output: records seen before the header could be written */
	size_t npending, pendcap;
	struct slice_ngif *ngif;   /* pcapng output */
	size_t nngif;
	uint32_t ng_next_id;

	/* what the input said */
	uint32_t hdr_flags;
	uint32_t open_snaplen, open_linktype;
	int open_nsec, saw_open;
	struct slice_file *files;
	size_t nfiles, filecap;
	int have_filter;
	uint32_t filter_flags;
	char *filter_expr;
	uint32_t bpf_linktype;  /* link type bpf was compiled for */
	struct bpf_program bpf;
	int bpf_ok;

	/* counts and state */
	uint64_t packets, filtered, bad_locs, bad_pkts, ignored;
	int status;            /* exit status so far (the worst: pk_exit_merge) */
	int stop;              /* stop reading: output gone or a fatal data error */
};

void slice_init(struct slice *sl);
/* slice_open_out: -w path or stdout (NULL); refuses a terminal.  Exits on error. */
void slice_open_out(struct slice *sl, const char *path);
/*
 * slice_begin: write the pcap file header (or the stream header and the
 * records held back so far).  0 or -1 (sl->stop set).
 */
int slice_begin(struct slice *sl, uint32_t linktype, uint32_t snaplen, int nsec);
/* slice_pending: stream output: pass a record through (held back until slice_begin). */
void slice_pending(struct slice *sl, const struct pk_rec *r);
/*
 * slice_emit: one packet, after the time window and the filter.  raw is
 * its stream record (packet mode, passed through as is to a stream) or
 * NULL; file is the slice_file it was read from (or NULL) at offset;
 * judged: the index found it matches (an exact range), no filter.
 * 0, or -1 when reading should stop (sl->stop, sl->status set).
 */
int slice_emit(struct slice *sl, const struct pk_pkt *p, const struct pk_rec *raw,
    struct slice_file *file, uint64_t offset, int judged);
/* slice_set_filter: the REC_FILTER record (copied). */
void slice_set_filter(struct slice *sl, const struct rec_filter *f);
/*
 * slice_filter_prog: the BPF program the filter record asks packets of
 * linktype to pass (*prog), or NULL when none applies; -1 when the
 * expression does not compile there (said, sl->stop set).
 */
int slice_filter_prog(struct slice *sl, uint32_t linktype, const struct bpf_program **prog);
/* slice_finish: an empty pcap if nothing was written, flush, check, free; the exit status. */
int slice_finish(struct slice *sl);
void slice_worse(struct slice *sl, int status);
/*
 * slice_ng_plan: pcapng output: the interface for linktype (the largest
 * snaplen of its files, nanoseconds if any has them), described when its
 * first packet is written.
 */
void slice_ng_plan(struct slice *sl, uint32_t linktype, uint32_t snaplen, int nsec);
/* slice_ltname: "EN10MB (1)" into buf */
const char *slice_ltname(uint32_t linktype, char *buf, size_t len);

/* slice_add_root: an archive root (-R, or a NOTE_ROOT record when no -R was given) */
void slice_add_root(struct slice *sl, const char *dir);
struct slice_file *slice_file_add(struct slice *sl, uint32_t id, const char *path, uint32_t flags);
void slice_loc_add(struct slice_file *f, uint64_t offset, uint64_t ts_ns);
/*
 * slice_range_add: the records whose headers start in [start, end), those
 * of bits (nbits, copied) when not NULL; exact: they all match the query
 */
void slice_range_add(struct slice_file *f, uint64_t start, uint64_t end, int exact, const uint8_t *bits,
    uint32_t nbits);

/* slice_stream.c: read a pk stream from fd and slice it. */
int slice_stream(struct slice *sl, int fd);

/*
 * slice_merge.c: slice_locations reads the located packets of sl->files,
 * confined to sl->roots; slice_files reads every packet of each file
 * (the time window decides).  Either way files are merged by packet time.
 */
int slice_locations(struct slice *sl);
int slice_files(struct slice *sl, char **paths, int npaths);
/*
 * slice_confine.c: slice_confine judges a located file's path (0 under a
 * root: f->path resolved, f->root and f->rel set; 1 it is gone; -1
 * refused, said); slice_open opens f (a located file from its root's
 * descriptor, following no link on the way), a regular file or -1 with
 * errno (EPERM: refused, EINVAL: not a regular file).
 */
int slice_confine(struct slice *sl, struct slice_file *f);
int slice_open(struct slice *sl, const struct slice_file *f);

/*
 * slice_idx.c: the packets of f in the time window from its index
 * (<path>.idx) when one exists and covers the file exactly; 1 if used,
 * 0 if the file must be scanned.
 */
int slice_idx_locate(struct slice *sl, struct slice_file *f);

/* where a run of one file stops: the next record of the other files in merge order */
struct slice_bound {
	int none;              /* no other file: no bound */
	uint64_t ts;
	uint32_t ord;          /* that file's order: ties go to the lower */
};

/*
 * slice_bulk.c: slice_bulk copies the records of pf from pf->next on to
 * the pcap output as they lie in the file (file ord of the merge), one
 * copy per run of records taken and no packet built, as long as each
 * starts before sp->end, comes before b in merge order, and is one that
 * slice_emit would write byte for byte the same (same link type and
 * precision as the output, not cut by the snapshot, a fraction below a
 * second); a record that is not one of sp's candidates is passed over,
 * and the time window and (unless sp->exact) the filter decide on the
 * others as slice_emit does.  It stops at the first record it cannot
 * judge or copy so, with pf->next on it (sp->k counts the records passed):
 * the caller reads it the ordinary way.
 */
void slice_bulk(struct slice *sl, struct pcapf *pf, uint32_t ord, struct slice_span *sp,
    const struct slice_bound *b);

/* slice_ng.c: pcapng blocks into o; 0 or -1 (o->err set) */
int ng_section(struct bufout *o);
int ng_interface(struct bufout *o, uint32_t linktype, uint32_t snaplen, int nsec);
int ng_packet(struct bufout *o, uint32_t ifid, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
    const uint8_t *data, int nsec);

/*
 * slice_seek.c: slice_seek_span: for a file without an index, [*from, *to)
 * holds the time window as a binary search over the file finds it (time
 * order assumed, within a second); 1 if found, 0 if the file is to be read
 * whole (small, not seekable, no window).
 */
int slice_seek_span(struct slice *sl, struct slice_file *f, uint64_t *from, uint64_t *to);

/* slice_time: a -s/-e argument (RFC 3339, epoch seconds[.frac], see timeparse.h) */
int slice_time(const char *s, uint64_t base_ns, uint64_t *out);

#endif
