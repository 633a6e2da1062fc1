/*
 * pcapin.h - pcap and pcapng files into the pk stream (pkread -r).
 *
 * Classic pcap is read by pcapfile.c (as libpcap reads it, faster, with
 * each record's offset); pcapng and other formats by libpcap.  This module
 * decides what libpcap does not say: the file's native timestamp
 * resolution (classic magic, pcapng if_tsresol), its LINKTYPE_ value,
 * and, for seekable classic pcap files, the byte offset of every record
 * (ANN_LOCATION) between a REC_FILE_OPEN and a REC_FILE_CLOSE, so the
 * stream can index the file in place.
 */
#ifndef PK_PCAPIN_H
#define PK_PCAPIN_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct pcapin_file {
	const char *name;       /* as given; "-" is stdin */
	char *path;             /* absolute path of a regular file, else NULL */
	int fd;                 /* non-seekable inputs stay open: the peeked bytes are theirs */
	uint8_t *prefix;        /* bytes read while peeking a non-seekable input */
	size_t prefixlen;
	int failed;             /* could not be opened (already reported) */
	int regular;            /* a regular file: seekable, has offsets */
	int classic;            /* classic pcap that pcapfile reads (not pcapng, not a variant) */
	int classic_magic;      /* classic or a variant of it (libpcap: 32-bit seconds) */
	int nsec;               /* native resolution finer than a microsecond */
	int have_linktype;
	uint32_t linktype, snaplen;
};

struct pcapin {
	struct pcapin_file *f;
	int n;
	int any_nsec;           /* HDR_NSEC for the stream header */
	const char *filter;     /* BPF expression, compiled per file; NULL = none */
	uint64_t max_packets;   /* stop after this many packets (0 = no limit) */
	uint64_t max_bytes;     /* stop once this many captured bytes were written */
	uint64_t packets, bytes;/* written */
	int status;             /* EX_OK, EX_DATAERR (damage, bad filter), EX_IOERR, EX_NOINPUT */
	int werr;               /* errno of a failed stream write */
	int done;               /* a limit, a signal or the reader ended the run */
	int compiled;           /* the filter compiled for some input already */
	struct stream_out *s;
};

/*
 * pcapin_init: look at every input before any packet is written (the
 * stream header must say whether any is ns).  Inputs that cannot be
 * opened are reported now, one line each, and skipped later.  At most one
 * input may be "-".
 */
void pcapin_init(struct pcapin *r, char **names, int n);

/* pcapin_run: every input in order into s; returns the exit code. */
int pcapin_run(struct pcapin *r, struct stream_out *s);

void pcapin_free(struct pcapin *r);

#endif
