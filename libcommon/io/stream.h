/*
 * stream.h - the pk record stream (specified in pk-stream(5)).
 *
 * Every record: u32 length (whole record incl. this 8-byte header, a
 * multiple of 8, 8..STREAM_REC_MAX), u16 type, u16 check (STREAM_CHECK),
 * then the body.  All integers little-endian.  Records of a type a stage
 * does not consume are passed through untouched.
 */
#ifndef PK_STREAM_H
#define PK_STREAM_H

#include <stdint.h>

#include "bufio.h"

#define STREAM_CHECK   0x6b70u        /* bytes 'p' 'k' */
#define STREAM_REC_MAX (1u << 20)     /* 1 MiB: a 256 KiB packet + annotations fits */
#define STREAM_HDRLEN  8
#define STREAM_MAGIC   "pkstream"
#define STREAM_VERSION 1

enum rec_type {
	REC_HEADER = 1,  /* magic[8] u16 version u16 minor u32 flags, producer name */
	REC_PACKET = 2,  /* see struct pk_pkt */
	REC_FILE_OPEN = 3,   /* u32 id u32 linktype u32 snaplen u32 flags, path */
	REC_FILE_CLOSE = 4,  /* u32 id u32 flags u64 packets u64 bytes u64 first_ns u64 last_ns [, final path] */
	REC_FILE_REMOVE = 5, /* u32 id u32 flags, path */
	REC_STATS = 6,   /* u64 ts_ns u64 recv u64 drop u64 ifdrop u32 source u32 flags, name */
	REC_LOCATION = 7,/* u32 file id u32 0 u64 offset u64 ts_ns */
	REC_FILTER = 8,  /* u32 flags u32 0 u64 start_ns u64 end_ns, expression */
	REC_NOTE = 9,    /* u32 code u32 file id, text */
	REC_SOURCE = 10, /* u32 source u32 linktype u32 snaplen u32 flags, interface name */
	REC_RANGE = 11,  /* u32 file id u32 flags u64 start u64 end: every record whose header starts in [start, end) */
	REC_TYPE_MAX_KNOWN = 11
};

/* REC_HEADER flags */
#define HDR_NSEC 0x1u          /* some packets carry nanosecond timestamps */

/* REC_FILE_OPEN flags */
#define FOPEN_NSEC 0x1u        /* the pcap has nanosecond timestamps */
#define FOPEN_INPUT 0x2u       /* an input file read in place (pkread -r), not an archive file */

/* REC_FILE_CLOSE flags */
#define FCLOSE_GAP 0x1u        /* not every packet of the file was forwarded: index from disk */
#define FCLOSE_RECOVERED 0x2u  /* finished at start-up after a crash */

/* REC_STATS flags */
#define STATS_FINAL 0x1u
#define STATS_START 0x2u       /* the capture starts: drops are counted from here */

/* REC_SOURCE flags */
#define SOURCE_NSEC 0x1u       /* the source's timestamps are nanoseconds */

/* REC_FILTER flags */
#define FILTER_APPLY 0x1u      /* pkslice must apply the expression with BPF */
#define FILTER_WINDOW 0x2u     /* start_ns/end_ns bound the answer */

/* REC_NOTE codes */
#define NOTE_FORWARD_GAP 1     /* forwarding of file id stopped (downstream full or gone) */
#define NOTE_COVERAGE 2        /* pkfind's coverage line */
#define NOTE_TEXT 3            /* anything else worth a human's attention */
#define NOTE_ROOT 5            /* an archive root: location readers read only files under the roots */

/* Packet record body: fixed part */
#define PKT_FIXED 32           /* u64 ts_ns u32 caplen u32 wirelen u32 linktype u32 source u32 flags u32 0 */
#define PKT_NSEC 0x1u          /* timestamp has nanosecond precision */
#define PKT_CUT 0x2u           /* the record holds only the first caplen bytes of a packet
                                  captured with origcap (the u32 at body offset 28): pkrotate
                                  forwards headers, not payloads, to the indexer.  Such a
                                  packet is never archived nor given out as a packet. */

/* Annotations: u16 tag, u16 value length, value, padded to 8 */
enum ann_tag {
	ANN_LOCATION = 1,      /* u32 file id, u32 0, u64 offset of the pcap record header */
	ANN_FIELDS = 2,        /* struct pk_fields wire form, see fields.h */
};
#define ANN_LOCATION_LEN 16

struct pk_rec {
	uint32_t len;          /* whole record */
	uint16_t type;
	const uint8_t *body;   /* len - 8 bytes; valid until the next read */
	uint32_t bodylen;
	const uint8_t *raw;    /* the whole record, header included */
};

struct pk_pkt {
	uint64_t ts_ns;
	uint32_t caplen, wirelen, linktype, source, flags;
	uint32_t origcap;      /* PKT_CUT: the packet's captured length (pkt_parse sets it
	                          to caplen otherwise; sout_packet writes it only with PKT_CUT) */
	const uint8_t *data;
	const uint8_t *ann;    /* annotations area */
	uint32_t annlen;
};

struct pk_ann {
	uint16_t tag;
	uint16_t len;
	const void *val;
};

/* ---- reading ---- */

enum { SIN_RECORD = 1, SIN_EOF = 0, SIN_ERROR = -1, SIN_AGAIN = -2 };

struct stream_in {
	struct bufin in;
	const char *name;
	int started;           /* first bytes examined */
	int saw_header;
	uint32_t hdr_flags;
	uint64_t records;
	uint64_t garbage;      /* bytes skipped while resynchronising */
	uint64_t resyncs;
	int truncated;         /* input ended inside a record */
	int joining;           /* may start mid-stream (a named FIFO, or sin_join) */
	uint64_t join_skip;    /* bytes skipped after joining, within the record joined inside (not garbage) */
	uint64_t join_end;     /* that record ends before this position */
	int resyncing;         /* looking for a record that proves itself */
	int skipping;          /* a writer of another version: its records are skipped */
	int warned_version;
	uint64_t pos;          /* bytes consumed */
	uint64_t rec_pos;      /* where the record last returned starts */
	uint64_t sure_from;    /* records from here on are aligned with the writer's (sin_unsure) */
};

/* sin_init: read fd; a named FIFO is read as sin_join says. */
void sin_init(struct stream_in *s, int fd, const char *name);
/*
 * sin_join: the input may start in the middle of a stream (another reader
 * had the rest): the first bytes are resynchronised on unless they are a
 * header record, a pcap magic there is not fatal, and a header of another
 * version never ends the reading (that writer's records are skipped).
 */
void sin_join(struct stream_in *s);
void sin_free(struct stream_in *s);
/*
 * sin_next: the next record.  SIN_RECORD, SIN_EOF, SIN_ERROR (message
 * printed; read error, a pcap file, a stream of another version), or
 * SIN_AGAIN (a signal interrupted the read: check your flags and call
 * again).  Garbage is skipped (counted in s->garbage, reported by
 * sin_report) by resynchronising on the next record that proves itself:
 * a valid record followed by another (pk-stream(5)).  REC_HEADER records
 * are returned too.
 */
int sin_next(struct stream_in *s, struct pk_rec *r);
/*
 * sin_unsure: 1 if the record sin_next returned last may be bytes of a
 * record the reader lost (it starts less than STREAM_REC_MAX bytes after a
 * resynchronisation): act on nothing in it that cannot be undone.
 */
int sin_unsure(const struct stream_in *s);
/* sin_report: at the end, warn about garbage/truncation; returns 1 if any. */
int sin_report(const struct stream_in *s);

/* pkt_parse: validate a REC_PACKET record.  0 or -1 (malformed). */
int pkt_parse(const struct pk_rec *r, struct pk_pkt *p);
/* pkt_ann: find an annotation by tag; 1 found, 0 not. */
int pkt_ann(const struct pk_pkt *p, uint16_t tag, struct pk_ann *a);
/* loc_put: the value of an ANN_LOCATION annotation for (file, offset) */
void loc_put(uint8_t v[ANN_LOCATION_LEN], uint32_t file, uint64_t offset);
/* loc_get: the packet's location annotation; 1 found (file, offset set), 0 none or too short */
int loc_get(const struct pk_pkt *p, uint32_t *file, uint64_t *offset);

/* Parsed forms of the small records. */
struct rec_file {
	uint32_t id, linktype, snaplen, flags;
	const char *path;      /* NUL-terminated inside the record (FILE_OPEN, FILE_REMOVE;
	                          FILE_CLOSE: the name the file was published under, or NULL;
	                          SOURCE: the interface, id the source) */
	uint64_t packets, bytes, first_ns, last_ns; /* FILE_CLOSE */
};
struct rec_stats {
	uint64_t ts_ns, recv, drop, ifdrop;
	uint32_t source, flags;
	const char *name;
};
struct rec_loc {
	uint32_t file;
	uint64_t offset, ts_ns;
};
struct rec_range {
	uint32_t file;
	uint32_t flags;         /* RANGE_EXACT, RANGE_BITS */
	uint64_t start, end;
	uint32_t nbits;         /* RANGE_BITS: the bitmap's length in records */
	const uint8_t *bits;    /* bit k (k % 8 of byte k / 8): the k-th record from start is a candidate */
};
/*
 * every record of the range matches the query (the index judged each one
 * exactly): the reader copies them without applying the filter record's
 * expression (the time window still applies).  Old writers wrote 0 here.
 */
#define RANGE_EXACT 0x1u
/*
 * a bitmap of candidates follows (u32 nbits, u32 zero, the bits): the
 * records of the range in file order, a record whose bit is clear (or
 * past nbits) is not one.  Readers that ignore it read every record of
 * the range and let the filter decide, which gives the same answer.
 */
#define RANGE_BITS 0x2u
/* the largest bitmap a range record carries (the record stays under STREAM_REC_MAX) */
#define RANGE_BITS_MAX ((STREAM_REC_MAX - 64u) * 8u)
struct rec_filter {
	uint32_t flags;
	uint64_t start_ns, end_ns;
	const char *expr;
};
struct rec_note {
	uint32_t code, file;
	const char *text;
};
int rec_file_parse(const struct pk_rec *r, struct rec_file *f);
int rec_stats_parse(const struct pk_rec *r, struct rec_stats *s);
int rec_loc_parse(const struct pk_rec *r, struct rec_loc *l);
int rec_range_parse(const struct pk_rec *r, struct rec_range *g);
int rec_filter_parse(const struct pk_rec *r, struct rec_filter *f);
int rec_note_parse(const struct pk_rec *r, struct rec_note *n);

/* ---- writing ---- */

struct stream_out {
	struct bufout out;
	int dead;              /* the reader went away (EPIPE) */
};

/*
 * sout_init: set up a writer on fd and queue the header record.  Refuses
 * (exits EX_USAGE) when fd is a terminal; hint names what to pipe into.
 */
void sout_init(struct stream_out *s, int fd, const char *producer, uint32_t hdr_flags, const char *hint);
/* sout_init_raw: as sout_init without the header or the terminal check. */
void sout_init_raw(struct stream_out *s, int fd);
void sout_header(struct stream_out *s, const char *producer, uint32_t hdr_flags);
void sout_free(struct stream_out *s);
/* All writers return 0, or -1 with errno (EPIPE: the reader went away). */
int sout_rec(struct stream_out *s, uint16_t type, const void *body, size_t bodylen);
/* a record whose body is fixed bytes followed by a NUL-terminated string */
int sout_rec_str(struct stream_out *s, uint16_t type, const void *fixed, size_t fixedlen, const char *str);
int sout_raw(struct stream_out *s, const struct pk_rec *r);
/*
 * sout_packet: write packet p with its annotations, except those whose
 * tag appears in add[], followed by add[0..nadd).  data may be p->data.
 */
int sout_packet(struct stream_out *s, const struct pk_pkt *p, const struct pk_ann *add, int nadd);
int sout_file_open(struct stream_out *s, uint32_t id, uint32_t linktype, uint32_t snaplen, uint32_t flags, const char *path);
int sout_file_close(struct stream_out *s, const struct rec_file *f);
/* sout_source: a live source (pkread -i): the snapshot length it captures with */
int sout_source(struct stream_out *s, uint32_t source, uint32_t linktype, uint32_t snaplen, uint32_t flags,
    const char *name);
int sout_file_remove(struct stream_out *s, uint32_t id, const char *path);
int sout_stats(struct stream_out *s, const struct rec_stats *st);
int sout_loc(struct stream_out *s, const struct rec_loc *l);
int sout_range(struct stream_out *s, const struct rec_range *g);
int sout_filter(struct stream_out *s, const struct rec_filter *f);
int sout_note(struct stream_out *s, uint32_t code, uint32_t file, const char *text);
int sout_flush(struct stream_out *s);

#endif
