/* bufio.c - buffered I/O with short-write and EINTR handling. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bufio.h"
#include "pk.h"

int
writeall(int fd, const void *buf, size_t len, size_t *done)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (done)
				*done = off;
			return -1;
		}
		off += (size_t)n;
	}
	if (done)
		*done = off;
	return 0;
}

void
bufout_init(struct bufout *o, int fd, size_t cap)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->cap = cap ? cap : BUFIO_SIZE;
	o->buf = xmalloc(o->cap);
}

void
bufout_free(struct bufout *o)
{
	free(o->buf);
	o->buf = NULL;
}

int
bufout_flush(struct bufout *o)
{
	size_t done = 0;

	if (o->err)
		return -1;
	if (o->len == 0)
		return 0;
	if (writeall(o->fd, o->buf, o->len, &done) < 0) {
		o->err = errno;
		/* keep what was not written, so a retry can resume (EAGAIN, ENOSPC) */
		memmove(o->buf, o->buf + done, o->len - done);
		o->len -= done;
		o->written += done;
		return -1;
	}
	o->written += o->len;
	o->len = 0;
	return 0;
}

uint8_t *
bufout_reserve(struct bufout *o, size_t n)
{
	if (o->err)
		return NULL;
	if (n > o->cap - o->len) {
		if (bufout_flush(o) < 0)
			return NULL;
		if (n > o->cap) {
			uint8_t *nb = xreallocarray(o->buf, n, 1);
			o->buf = nb;
			o->cap = n;
		}
	}
	return o->buf + o->len;
}

void
bufout_commit(struct bufout *o, size_t n)
{
	o->len += n;
}

int
bufout_write(struct bufout *o, const void *p, size_t n)
{
	uint8_t *dst;

	if (n > o->cap) {
		/* larger than the buffer: flush and write through */
		if (bufout_flush(o) < 0)
			return -1;
		if (writeall(o->fd, p, n, NULL) < 0) {
			o->err = errno;
			return -1;
		}
		o->written += n;
		return 0;
	}
	if ((dst = bufout_reserve(o, n)) == NULL)
		return -1;
	memcpy(dst, p, n);
	bufout_commit(o, n);
	return 0;
}

void
bufin_init(struct bufin *in, int fd, size_t cap)
{
	memset(in, 0, sizeof *in);
	in->fd = fd;
	in->cap = cap ? cap : BUFIO_SIZE;
	in->buf = xmalloc(in->cap);
}

void
bufin_free(struct bufin *in)
{
	free(in->buf);
	in->buf = NULL;
}

size_t
bufin_fill(struct bufin *in, size_t want)
{
	while (in->len - in->off < want && !in->eof && !in->err) {
		ssize_t n;

		if (in->off > 0 && (in->cap - in->len < want || in->off == in->len)) {
			memmove(in->buf, in->buf + in->off, in->len - in->off);
			in->len -= in->off;
			in->off = 0;
		}
		if (want > in->cap - in->off) {
			uint8_t *nb = xreallocarray(in->buf, want + in->off, 1);
			in->buf = nb;
			in->cap = want + in->off;
		}
		n = read(in->fd, in->buf + in->len, in->cap - in->len);
		if (n < 0) {
			if (errno == EINTR)
				return in->len - in->off; /* let the caller see signals */
			in->err = errno;
		} else if (n == 0)
			in->eof = 1;
		else
			in->len += (size_t)n;
	}
	return in->len - in->off;
}
