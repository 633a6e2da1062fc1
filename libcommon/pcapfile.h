/*
 * pcapfile.h - classic pcap files: writing (pcapw_*) and reading records
 * at known byte offsets (pcapf_*).
 *
 * The archive is classic pcap written by pkrotate, so the index can name
 * a packet by the byte offset of its 16-byte record header.  Reading is
 * ours, not libpcap's, because libpcap cannot seek; pcapng is read with
 * libpcap (pkread -r) and has no offsets.
 */
#ifndef PK_PCAPFILE_H
#define PK_PCAPFILE_H

#include <stdint.h>
#include <stdio.h>

#include "bufio.h"

#define PCAP_FILEHDR 24
#define PCAP_RECHDR 16
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_SNAPLEN_MAX 262144u   /* libpcap's MAXIMUM_SNAPLEN */

/* ---- writing (little-endian, as libpcap writes on this host) ---- */
void pcapw_filehdr(uint8_t out[PCAP_FILEHDR], uint32_t linktype, uint32_t snaplen, int nsec);
int pcapw_header(struct bufout *o, uint32_t linktype, uint32_t snaplen, int nsec);
/* ts_ns is written in the file's unit (µs: truncated, as libpcap does). */
int pcapw_record(struct bufout *o, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
    const uint8_t *data, int nsec);

/* ---- reading ---- */
struct pcapf {
	FILE *fp;
	char *path;
	int swapped;           /* big-endian file on this host */
	int nsec;
	uint32_t linktype, snaplen;
	uint64_t size;         /* at open */
	uint64_t next;         /* offset of the next record for pcapf_next */
	uint8_t *buf;          /* record data */
	size_t bufcap;
	/*
	 * pcapf_read_at reads with pread(2) into a small window (one call
	 * per packet at most, none when the next record is already in it),
	 * not through stdio: sparse packets do not each cost a seek and a
	 * refill.  fp_off: where stdio stands (UINT64_MAX: unknown).
	 */
	uint8_t *win;
	size_t win_cap;        /* allocated */
	size_t win_want;       /* last read size: grows while reads run forward */
	uint64_t win_off;
	size_t win_len;
	uint64_t fp_off;
	uint64_t hint_end;     /* pcapf_hint */
};

struct pcapf_rec {
	uint64_t offset;       /* of the record header */
	uint64_t ts_ns;
	uint32_t caplen, wirelen;
	const uint8_t *data;   /* valid until the next call */
};

/*
 * pcapf_open: open a classic pcap file.  0, or -1 with a reason in
 * err (one line, no program name).
 */
int pcapf_open(struct pcapf *f, const char *path, char *err, size_t errlen);
void pcapf_close(struct pcapf *f);
/* pcapf_parsehdr: parse a 24-byte file header; 0 or -1. */
int pcapf_parsehdr(const uint8_t *h, int *swapped, int *nsec, uint32_t *linktype, uint32_t *snaplen);
/*
 * pcapf_next: the next record in file order.  1 got one, 0 clean end of
 * file, -1 a damaged or partial record at f->next (the file ends there
 * as far as whole records go; err says why).
 */
int pcapf_next(struct pcapf *f, struct pcapf_rec *r, char *err, size_t errlen);
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
