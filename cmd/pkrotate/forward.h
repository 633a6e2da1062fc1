/*
 * forward.h - pkrotate's downstream: the stream passed on to the indexer,
 * which capture must never wait for.
 *
 * The fd is non-blocking and the buffer bounded (FWD_CAP).  A caller asks
 * fwd_room() before queueing a record with the sout_* writers on fwd->s;
 * when the answer is no, the record is not forwarded and the caller marks
 * the affected file FCLOSE_GAP.  The last FWD_CONTROL bytes are kept for
 * small control records (file open/close/remove, notes, stats), so that
 * a file's close still gets through when its packets did not.
 *
 * A vanished reader (EPIPE) drops what was queued and bumps fwd->epoch:
 * a file opened under an older epoch lost records.  A FIFO (-o) is
 * reopened each second until a reader is there; the new reader gets a
 * fresh REC_HEADER.  Standard output, once gone, stays gone.
 */
#ifndef PK_FORWARD_H
#define PK_FORWARD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"

#define FWD_CAP (64u << 20)  /* default (pkrotate -b): ~250k small packets, a busy indexer's pause */
#define FWD_CONTROL (64u << 10)
#define FWD_BLOCK (1u << 20)  /* the queue's unit */
#define FWD_PATIENCE 10       /* seconds a patient writer waits for a reader that takes nothing */

struct fwdblk;

struct fwd {
	struct stream_out s;
	int fd;                /* -1: no reader now */
	const char *fifo;      /* -o path, or NULL for standard output */
	int enabled;           /* there is a downstream at all */
	uint64_t epoch;        /* bumped when queued records were lost */
	uint64_t dropped;      /* records not forwarded */
	int64_t next_try;      /* monotonic seconds of the next FIFO open */
	int warned_full;
	/*
	 * The input is files (pkread -r), not a capture: nothing is lost by
	 * waiting for the reader, so a full buffer waits (FWD_PATIENCE seconds
	 * at most without progress) instead of leaving files to index from disk.
	 */
	int patient;
	size_t cap;            /* bytes that may wait for the reader */
	/*
	 * The bytes waiting: full blocks in q, oldest first (qoff bytes of
	 * the first already written), then s.out's buffer (soff written).
	 * Queued bytes never move, so a reader that lags costs no copying.
	 */
	struct fwdblk *q, *qlast;
	size_t qbytes, qoff, soff;
	uint8_t *spare;        /* a FWD_BLOCK buffer kept for the next block */
};

/* fwd_init: standard output unless it is a terminal, or the FIFO path; cap bytes of buffer (0: FWD_CAP). */
void fwd_init(struct fwd *f, const char *fifo, size_t cap);
/* fwd_room: 1 if a record of need bytes can be queued now (flushing first). */
int fwd_room(struct fwd *f, size_t need, int control);
/* fwd_pump: write what the reader takes now; reconnect a FIFO when due. */
void fwd_pump(struct fwd *f);
/* fwd_pollfd: fill p to wait for room downstream; 1 if it did, 0 if nothing to wait for. */
int fwd_pollfd(const struct fwd *f, struct pollfd *p);
/* fwd_drain: at exit, wait until the reader took everything or made no progress for patience seconds. */
void fwd_drain(struct fwd *f, int patience);
/* fwd_connected: 1 if records can reach a reader now. */
static inline int fwd_connected(const struct fwd *f) { return f->fd >= 0; }

#endif
