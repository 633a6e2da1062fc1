/*
 * rotate.h - pkrotate's engine: stream in, rotating pcap files out, the
 * stream passed on annotated with file ids and offsets.
 *
 * One file is written at a time.  Its life is a small state machine,
 * each step of which can fail and be resumed:
 *
 *   NONE --first packet--> WRITING (DIR/DAY/<FIRST>.pcap.part)
 *   WRITING --limit, HUP, TERM, EOF--> FLUSH -> FSYNC -> RENAME
 *       (<MIN>-<MAX>.pcap, no clobber) -> FSYNC DIR -> ANNOUNCE (FILE_CLOSE)
 *       -> HOOK (-z) -> RETAIN -> NONE
 *
 * A write that fails with ENOSPC truncates the file back to its last
 * whole record, runs retention and retries; with nothing left to delete
 * it pauses and retries each second.  At start-up a .pcap.part left by
 * a crash is finished the same way (truncated to whole records).
 */
#ifndef PK_ROTATE_H
#define PK_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "retention.h"

struct rot_conf {
	char **dirs;           /* -d, at least one */
	size_t ndirs;
	uint64_t max_bytes;    /* -C; 0 = none */
	uint64_t period_ns;    /* -G; 0 = none */
	uint64_t max_packets;  /* -c; 0 = none */
	struct ret_policy ret; /* -M -F -A -N */
	gid_t gid;             /* -g */
	int set_gid;
	const char *fifo;      /* -o, or NULL: standard output */
	const char *hook;      /* -z, or NULL */
	size_t fwd_bytes;      /* -b: forward buffer; 0 = FWD_CAP */
	uint32_t fwd_headers;  /* -H: bytes of each packet forwarded; 0 = all */
};

/*
 * -H default: what the indexer decodes (pk-stream(5) PKT_CUT).  Ethernet
 * with a QinQ stack, MPLS labels, IPv6 with extension headers and TCP with
 * options end well inside it; a packet whose headers do not is decoded as
 * truncated, and so indexed as unsure (a candidate for every question).
 */
#define ROT_FWD_HEADERS 256

struct rot;

/* rot_open: lock every dir (exit 75 if taken), finish crashed files, set up the downstream. */
struct rot *rot_open(const struct rot_conf *c);
/* rot_run: read the stream on standard input until EOF or TERM; the exit status.  Frees r. */
int rot_run(struct rot *r);

#endif
