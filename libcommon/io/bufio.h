/*
 * bufio.h - large buffered reads and writes on a file descriptor.
 *
 * Hot paths never make a system call per packet: writers append to a
 * buffer of BUFIO_SIZE bytes and write it out when it is full, when the
 * caller flushes (a timer, the end), or when a record would not fit.
 */
#ifndef PK_BUFIO_H
#define PK_BUFIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BUFIO_SIZE (1u << 20)

/*
 * writeall: write all of buf, looping over short writes and EINTR.
 * Returns 0, or -1 with errno set (EPIPE when the reader went away,
 * EAGAIN for a non-blocking fd that is full: *done then says how much
 * was written).
 */
int writeall(int fd, const void *buf, size_t len, size_t *done);

struct bufout {
	int fd;
	uint8_t *buf;
	size_t len;       /* bytes waiting in buf */
	size_t cap;
	uint64_t written; /* bytes handed to the kernel so far */
	int err;          /* sticky errno of the first failed write, 0 if none */
};

/* bufout_init: allocate the buffer; exits on allocation failure. */
void bufout_init(struct bufout *o, int fd, size_t cap);
void bufout_free(struct bufout *o);
/* bufout_write: append; may flush. Returns 0 or -1 (o->err set). */
int bufout_write(struct bufout *o, const void *p, size_t n);
/*
 * bufout_reserve: room for n contiguous bytes in the buffer (flushing
 * first if needed); fill them, then bufout_commit(o, n).  NULL on error.
 */
uint8_t *bufout_reserve(struct bufout *o, size_t n);
void bufout_commit(struct bufout *o, size_t n);
int bufout_flush(struct bufout *o);
/* bytes handed to bufout so far (written + waiting) */
static inline uint64_t bufout_tell(const struct bufout *o) { return o->written + o->len; }

struct bufin {
	int fd;
	uint8_t *buf;
	size_t off;       /* start of unconsumed data */
	size_t len;       /* end of valid data */
	size_t cap;
	int eof;
	int err;          /* errno of a failed read */
};

void bufin_init(struct bufin *in, int fd, size_t cap);
void bufin_free(struct bufin *in);
/*
 * bufin_fill: make at least want bytes available at in->buf + in->off
 * (growing the buffer if want > cap).  Returns the bytes available,
 * which is less than want only at end of input or on error.
 */
size_t bufin_fill(struct bufin *in, size_t want);
static inline const uint8_t *bufin_ptr(const struct bufin *in) { return in->buf + in->off; }
static inline size_t bufin_avail(const struct bufin *in) { return in->len - in->off; }
static inline void bufin_consume(struct bufin *in, size_t n) { in->off += n; }

#endif
