/*
 * dwrite.h - pkrotate's pcap writer: direct I/O in large aligned blocks,
 * submitted asynchronously through io_uring, the file whole at every
 * flush.
 *
 * Why: a buffered write(2) costs the kernel about 3 ns a byte on the
 * project's machine (the page cache copy, then writeback), which at a few
 * Gbit/s is the whole of a core.  Written with O_DIRECT, the bytes go from
 * our buffer to the device; submitted through io_uring, the writing thread
 * goes on reading the stream while the device works.  io_uring rather than
 * Linux AIO (libaio): ext4 performs an O_DIRECT write that extends the
 * file synchronously (IOMAP_DIO_FORCE_WAIT), inside io_submit(2) with
 * libaio, where io_uring hands it to a kernel worker and returns; and
 * every pcap write extends its file.
 *
 * The ring: DW_NBUF buffers of DW_BUFSZ bytes each.  Records are appended
 * to the buffer being filled; a full buffer is sealed and written, one
 * write at a time per file, in order, while the next buffer fills.  A
 * buffer that a flush (each second, an input pause, the file's end) seals
 * before it is full is written through the page cache instead, once the
 * writes before it are done: a file smaller than a buffer then costs no
 * device round trip, and a busy link one partial buffer a second.  A slow device shows as a ring of sealed buffers; only when
 * every buffer is sealed does dw_reserve() wait.
 *
 * Alignment: a direct write covers [buffer start, the last DW_ALIGN
 * boundary before its last whole record); the few bytes after it (the
 * "tail", less than DW_ALIGN) are copied to the start of the next buffer,
 * which begins at that boundary, and - when no further buffer is waiting
 * - also written through an ordinary descriptor, so that the file ends on
 * its last whole record as soon as the writes have caught up.  The file
 * therefore never holds padding or zeros: what a reader sees is whole
 * records, followed at most (while a write is in flight) by part of one.
 *
 * Fallback: where io_uring cannot be set up (an old kernel, a seccomp
 * filter, kernel.io_uring_disabled) or the filesystem refuses O_DIRECT,
 * the same buffers are written with pwrite(2) through the page cache,
 * whole records only, as pkrotate always did; the reason is said once
 * on standard error.
 *
 * Errors: ENOSPC and EDQUOT truncate the file back to its last whole
 * record and call the nospace callback (retention; it returns when
 * trying again makes sense, or exits); any other write error is fatal
 * (EX_IOERR), as before.
 */
#ifndef PK_DWRITE_H
#define PK_DWRITE_H

#include <stddef.h>
#include <stdint.h>

#define DW_ALIGN 4096u          /* offsets, lengths and memory of direct writes */
#define DW_BUFSZ (4u << 20)     /* one buffer: one write at full speed */
#define DW_NBUF 8               /* 32 MiB may wait for the device */

struct dw_buf {
	uint8_t *mem;           /* DW_ALIGN-aligned, DW_BUFSZ bytes */
	uint64_t off;           /* file offset of mem[0] (aligned when direct) */
	size_t len;             /* bytes in mem: whole records, except a tail copied in first */
	size_t copied;          /* that tail's length: len == copied is nothing new to write */
	int full;               /* sealed because the next record did not fit (else by a flush) */
};

struct io_uring;

struct dwriter {
	struct io_uring *ring;  /* NULL: writes go through pwrite(2) */
	int efd;                /* an eventfd that completions signal, or -1 */
	int fixed;              /* the buffers are registered with the ring (pinned once, not per write) */
	struct dw_buf b[DW_NBUF];
	size_t head;            /* the oldest sealed buffer (being written, or next to be) */
	size_t nsealed;         /* sealed buffers from head; b[(head + nsealed) % DW_NBUF] fills */
	int inflight;           /* the head's write is submitted and not yet reaped */
	size_t wlen;            /* the length of that write */
	/* the file */
	int fd;                 /* the caller's descriptor (buffered): tails, fallback, fsync */
	int dfd;                /* an O_DIRECT descriptor of the same file, or -1 */
	int aligned;            /* the file's buffers start on DW_ALIGN boundaries (direct I/O possible) */
	int opened;             /* dfd was opened (or refused) for this file */
	const char *path;
	uint64_t whole;         /* the file is whole records up to here, and written */
	int warned_uring, warned_direct;
	/* ENOSPC/EDQUOT: retention; returns to retry (or exits) */
	void (*nospace)(void *arg, const char *path);
	void *arg;
};

/* dw_init: the buffers, and io_uring if it can be had (said once if not). */
void dw_init(struct dwriter *w, void (*nospace)(void *, const char *), void *arg);
void dw_free(struct dwriter *w);
/* dw_open: write the new, empty file fd (opened for writing) at path from offset 0. */
void dw_open(struct dwriter *w, int fd, const char *path);
/* dw_reserve: room for n contiguous bytes (n <= DW_BUFSZ / 2); fill, then dw_commit(w, n). */
uint8_t *dw_reserve(struct dwriter *w, size_t n);
static inline void dw_commit(struct dwriter *w, size_t n) { w->b[(w->head + w->nsealed) % DW_NBUF].len += n; }
/* dw_tell: the file offset of the next byte */
uint64_t dw_tell(const struct dwriter *w);
/* dw_pending: bytes appended and not yet known written whole */
static inline uint64_t dw_pending(const struct dwriter *w) { return dw_tell(w) - w->whole; }
/* dw_flush: start writing everything appended; with wait, return once the file is whole up to dw_tell(). */
void dw_flush(struct dwriter *w, int wait);
/*
 * dw_reap: take finished writes and start the next (never waits); 1 if
 * writes remain in flight.  woken: dw_pollfd() was readable (it is cleared).
 */
int dw_reap(struct dwriter *w, int woken);
/* dw_close: dw_flush(w, 1), then forget the file (the caller keeps fd); its size. */
uint64_t dw_close(struct dwriter *w);
/* dw_pollfd: a descriptor readable when a write finishes, or -1 */
static inline int dw_pollfd(const struct dwriter *w) { return w->inflight ? w->efd : -1; }

#endif
