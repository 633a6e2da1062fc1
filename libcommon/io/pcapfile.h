/*
 * pcapfile.h - classic pcap files: writing (pcapw_*) and reading
 * (pcapf_*), the one owner of the format in pk.
 *
 * The archive is classic pcap written by pkrotate, so the index can name
 * a packet by the byte offset of its 16-byte record header.  Reading is
 * ours, not libpcap's, because libpcap cannot seek and copies every
 * record twice; pcapng is read with libpcap (pkread -r) and has no
 * offsets.  Every program that reads a classic pcap reads it here, and
 * here it is read as libpcap 1.10 reads it, record for record:
 *
 *   - files libpcap refuses are refused (versions other than 2.0-2.4 and
 *     543.0); caplen and len are exchanged in files before 2.3 (and in
 *     2.3 when caplen > len), as libpcap does;
 *   - seconds are unsigned 32-bit (a record stamped in 2038 or later is a
 *     record, not a negative time), and the fraction is taken as it is,
 *     also when it is 10^6 (µs) or 10^9 (ns) or more: the time is
 *     sec * 10^9 + frac * unit, at most PCAP_TS_MAX;
 *   - a caplen above the link type's maximum is damage (the file ends
 *     there, as for libpcap); a caplen above the file's snapshot length
 *     (the header's snaplen, or that maximum if it is 0 or larger) is
 *     cut to the snapshot length and the rest of the record skipped;
 *   - caplen 0 is a record;
 *   - a byte-swapped file is read, but libpcap's repairs of the pseudo
 *     headers of a few link types in such files (Linux cooked CAN, USB,
 *     NFLOG) are not made: pcapf_open refuses those (XXX).
 *
 * Reads are large (a window of the file, no system call per record):
 * pread(2) on a regular file, read(2) on a pipe (forward only).
 */
#ifndef PK_PCAPFILE_H
#define PK_PCAPFILE_H

#include <stdint.h>
#include <stdio.h>

#include "bufio.h"
#include "pk.h"

/* a pcap or pcapng field in the byte order of its writer (swapped: the other one) */
static inline uint32_t pcap_rd32(const uint8_t *p, int swapped) { return swapped ? be32(p) : le32(p); }
static inline uint16_t pcap_rd16(const uint8_t *p, int swapped) { return swapped ? be16(p) : le16(p); }

#define PCAP_FILEHDR 24
/* file header offsets (after the 4-byte magic), in the writer's byte order */
#define PCAPH_MAJOR    4     /* u16 */
#define PCAPH_MINOR    6     /* u16 */
#define PCAPH_THISZONE 8     /* s32, 0 */
#define PCAPH_SIGFIGS  12    /* u32, 0 */
#define PCAPH_SNAPLEN  16    /* u32 */
#define PCAPH_LINKTYPE 20    /* u32: the link type, FCS bits above it */
#define PCAP_RECHDR 16
/* record header offsets */
#define PCAPR_SEC      0     /* u32 */
#define PCAPR_FRAC     4     /* u32: microseconds, or nanoseconds */
#define PCAPR_CAPLEN   8     /* u32: bytes that follow */
#define PCAPR_WIRELEN  12    /* u32: the packet's length on the wire */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_SNAPLEN_MAX 262144u   /* libpcap's MAXIMUM_SNAPLEN */
/* the latest time a classic pcap record can say (unsigned seconds, a fraction of 2^32 - 1) */
#define PCAP_TS_MAX ((uint64_t)UINT32_MAX * 1000000000u + (uint64_t)UINT32_MAX * 1000u)

/* ---- writing (little-endian, as libpcap writes on this host) ---- */
void pcapw_filehdr(uint8_t out[PCAP_FILEHDR], uint32_t linktype, uint32_t snaplen, int nsec);
int pcapw_header(struct bufout *o, uint32_t linktype, uint32_t snaplen, int nsec);
/* pcapw_rechdr: a record header for ts_ns in the file's unit (µs: truncated, as libpcap does). */
void pcapw_rechdr(uint8_t out[PCAP_RECHDR], uint64_t ts_ns, uint32_t caplen, uint32_t wirelen, int nsec);
/* pcapw_record: the header and caplen bytes of data. */
int pcapw_record(struct bufout *o, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
    const uint8_t *data, int nsec);

/* ---- the file header ---- */
struct pcapf_hdr {
	int swapped;           /* written in the other byte order */
	int nsec;              /* nanosecond magic */
	uint16_t major, minor;
	uint32_t linktype;     /* LINKTYPE_ value (the FCS bits above it dropped) */
	uint32_t snaplen;      /* as the header says */
	uint32_t snapshot;     /* libpcap's: longer records are cut to it */
	uint32_t maxcap;       /* the link type's maximum: a longer record is damage */
	int lenswap;           /* caplen and len exchanged: 0 never, 1 always, 2 when caplen > len */
};

/*
 * pcapf_hdr_parse: a 24-byte file header as libpcap takes it.  0, or -1
 * with a reason in err (one line, no file name): not a classic pcap, a
 * version libpcap does not read, a variant pk does not read.
 */
int pcapf_hdr_parse(const uint8_t *h, struct pcapf_hdr *ph, char *err, size_t errlen);
/* pcapf_parsehdr: pcapf_hdr_parse, the fields most callers want; 0 or -1. */
int pcapf_parsehdr(const uint8_t *h, int *swapped, int *nsec, uint32_t *linktype, uint32_t *snaplen);
/* pcapf_head: the file header of the pcap at path (one open and one read); 0, or -1 with err (and errno). */
int pcapf_head(const char *path, struct pcapf_hdr *ph, char *err, size_t errlen);

/* ---- records ---- */
struct pcapf_rec {
	uint64_t offset;       /* of the record header */
	uint64_t ts_ns;
	uint32_t caplen, wirelen;  /* as libpcap gives them */
	uint32_t disklen;      /* data bytes in the file: caplen, or more when cut to the snapshot */
	const uint8_t *data;   /* caplen bytes, valid until the next call */
};

/* the offset just past record r */
static inline uint64_t pcapf_rec_end(const struct pcapf_rec *r)
{
	return r->offset + PCAP_RECHDR + r->disklen;
}

/*
 * pcapf_rechdr: decode the 16-byte record header p found at offset off
 * (r->data is left alone).  0, or -1 with libpcap's reason in err.
 */
int pcapf_rechdr(const struct pcapf_hdr *ph, const uint8_t *p, uint64_t off, struct pcapf_rec *r,
    char *err, size_t errlen);

/* ---- reading ---- */
struct pcapf {
	int fd;
	char *path;            /* the name messages use */
	struct pcapf_hdr h;
	/* copies of h's fields most callers use */
	int swapped, nsec;
	uint32_t linktype, snaplen;
	uint64_t size;         /* at open (regular files; 0 for a pipe) */
	uint64_t next;         /* offset of the next record for pcapf_next */
	int seekable;          /* a regular file: pread; else read forward only */
	int ioerr;             /* errno of the failed read when the last call returned -1 for one */
	/*
	 * The window: bytes [win_off, win_off + win_len) of the file.
	 * pcapf_next refills it SEQ_READ bytes at a time; pcapf_read_at with
	 * small reads after a jump that double while reads run forward (see
	 * pcapf_hint).  A record in the window costs no system call.
	 */
	uint8_t *win;
	size_t win_cap;
	size_t win_want;       /* last read size of pcapf_read_at */
	uint64_t win_off;
	size_t win_len;
	uint64_t rd_off;       /* a pipe: bytes consumed from fd (>= win_off + win_len) */
	uint64_t hint_end;     /* pcapf_hint */
	int own_fd;            /* close fd at pcapf_close */
};

/*
 * pcapf_open: open a classic pcap file.  0, or -1 with a reason in err
 * (one line starting with the path, no program name) and errno set.
 */
int pcapf_open(struct pcapf *f, const char *path, char *err, size_t errlen);
/*
 * pcapf_fdopen: the same on fd, already open (the pcap owns it from now,
 * also on failure); name is for messages.  A regular file is read with
 * pread from any offset, anything else forward only.  pre[0..prelen):
 * bytes already read from fd (its start: at least the file header, or
 * nothing).
 */
int pcapf_fdopen(struct pcapf *f, int fd, const char *name, const uint8_t *pre, size_t prelen, char *err,
    size_t errlen);
void pcapf_close(struct pcapf *f);
/*
 * pcapf_next: the next record in file order.  1 got one, 0 clean end of
 * file, -1 a damaged or partial record at f->next (the file ends there
 * as far as whole records go; err says why in libpcap's words) or a read
 * error (f->ioerr; EINTR on a pipe: a signal came, call again).  After a
 * partial record f->next stays on it, so a file still being written can
 * be read on later.
 */
int pcapf_next(struct pcapf *f, struct pcapf_rec *r, char *err, size_t errlen);
/*
 * pcapf_peek: the file's bytes from f->next on, as read in memory: their
 * address and *avail (at least need), read forward SEQ_READ at a time;
 * NULL at the end of the file, before a partial record or on a read
 * error (pcapf_next then says which).  Valid until the next call; the
 * caller moves on with pcapf_seek.  For copying records as they lie.
 */
const uint8_t *pcapf_peek(struct pcapf *f, size_t need, size_t *avail);
/* pcapf_buffered: 1 if pcapf_next has its next record whole in memory (it will not read) */
int pcapf_buffered(const struct pcapf *f);
/* pcapf_read_at: the record whose header is at offset; 1, or -1 with err. */
int pcapf_read_at(struct pcapf *f, uint64_t offset, struct pcapf_rec *r, char *err, size_t errlen);
/*
 * pcapf_hint: the records the caller reads next with pcapf_read_at end
 * about at offset end (0: unknown), so that a read from disk takes them
 * all and no more.
 */
void pcapf_hint(struct pcapf *f, uint64_t end);
/* pcapf_seek: set the offset pcapf_next reads from. */
int pcapf_seek(struct pcapf *f, uint64_t offset);

#endif
