/* dwrite.c - direct, asynchronous pcap writing for pkrotate (dwrite.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dwrite.h"
#include "pk.h"

static struct dw_buf *
filling(struct dwriter *w)
{
	return &w->b[(w->head + w->nsealed) % DW_NBUF];
}

static uint64_t
align_down(const struct dwriter *w, uint64_t v)
{
	return w->aligned ? v - v % DW_ALIGN : v;
}

uint64_t
dw_tell(const struct dwriter *w)
{
	const struct dw_buf *c = &w->b[(w->head + w->nsealed) % DW_NBUF];

	return c->off + c->len;
}

void
dw_init(struct dwriter *w, void (*nospace)(void *, const char *), void *arg)
{
	struct iovec iov[DW_NBUF];
	int e;

	memset(w, 0, sizeof *w);
	w->fd = w->dfd = w->efd = -1;
	w->nospace = nospace;
	w->arg = arg;
	for (size_t i = 0; i < DW_NBUF; i++)
		if ((e = posix_memalign((void **)&w->b[i].mem, DW_ALIGN, DW_BUFSZ)) != 0)
			errc(EX_OSERR, e, "cannot allocate the write buffers");
	w->ring = xcalloc(1, sizeof *w->ring);
	if ((e = io_uring_queue_init(DW_NBUF, w->ring, 0)) < 0) {
		warnc(-e, "io_uring is not available: pcap files are written through the page cache");
		free(w->ring);
		w->ring = NULL;
		return;
	}
	/*
	 * Registered buffers are pinned once instead of at every write (a
	 * tenth of the writing's CPU otherwise); they count against
	 * RLIMIT_MEMLOCK, and without it the writes pin as they go.
	 */
	for (size_t i = 0; i < DW_NBUF; i++)
		iov[i] = (struct iovec){ w->b[i].mem, DW_BUFSZ };
	w->fixed = io_uring_register_buffers(w->ring, iov, DW_NBUF) == 0;
	/* a completion wakes the poll loop, which then writes the tail that makes the file whole */
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0 && io_uring_register_eventfd(w->ring, w->efd) < 0) {
		close(w->efd);
		w->efd = -1;
	}
}

void
dw_free(struct dwriter *w)
{
	if (w->ring != NULL) {
		io_uring_queue_exit(w->ring);
		free(w->ring);
	}
	if (w->efd >= 0)
		close(w->efd);
	for (size_t i = 0; i < DW_NBUF; i++)
		free(w->b[i].mem);
}

void
dw_open(struct dwriter *w, int fd, const char *path)
{
	w->fd = fd;
	w->path = path;
	w->head = w->nsealed = 0;
	w->inflight = 0;
	w->whole = 0;
	w->b[0].off = 0;
	w->b[0].len = w->b[0].copied = 0;
	w->dfd = -1;
	/* buffers start on block boundaries from here on; the O_DIRECT descriptor waits for a full one */
	w->aligned = w->ring != NULL;
	w->opened = 0;
}

/*
 * The O_DIRECT descriptor, opened when the file's first full buffer is to
 * be written: a file that ends smaller than a buffer never costs the open
 * (75 us each on the project's machine: a third of an import of one-minute
 * files).  -1 if the filesystem refuses it (said once).
 */
static int
direct_fd(struct dwriter *w)
{
	if (w->opened || !w->aligned)
		return w->dfd;
	w->opened = 1;
	if ((w->dfd = open(w->path, O_WRONLY | O_DIRECT | O_CLOEXEC)) < 0 && !w->warned_direct) {
		warn("%s: direct I/O refused: written through the page cache", w->path);
		w->warned_direct = 1;
	}
	return w->dfd;
}

/*
 * ENOSPC, EDQUOT: cut what a short write added (back to from, or to the
 * last whole record when that is further), make room (or pause); the
 * caller then writes again from from.
 */
static void
no_space(struct dwriter *w, int e, uint64_t from)
{
	if (e != ENOSPC && e != EDQUOT)
		errc(EX_IOERR, e, "cannot write %s", w->path);
	if (w->whole > from)
		from = w->whole;
	if (ftruncate(w->fd, (off_t)from) < 0)
		err(EX_IOERR, "cannot truncate %s back to %llu bytes", w->path, (unsigned long long)from);
	w->nospace(w->arg, w->path);
}

/* write [off, off + len) of the file from p through the page cache */
static void
write_buffered(struct dwriter *w, const uint8_t *p, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(w->fd, p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the whole of it again: a buffer starts where a record does */
			no_space(w, n < 0 ? errno : ENOSPC, off);
			done = 0;
			continue;
		}
		done += (size_t)n;
	}
}

/*
 * The head buffer is written: all of it (whole), or by a direct write up
 * to its last aligned boundary; then, when no other buffer waits, its
 * tail too (whole records to the end).  Released.
 */
static void
head_done(struct dwriter *w, int whole)
{
	struct dw_buf *h = &w->b[w->head];
	uint64_t end = h->off + h->len, a = align_down(w, end);

	if (whole)
		w->whole = end;
	else if (w->nsealed == 1) {
		if (end > a)
			write_buffered(w, h->mem + (a - h->off), (size_t)(end - a), a);
		w->whole = end;
	}
	w->head = (w->head + 1) % DW_NBUF;
	w->nsealed--;
}

/* start writing the head buffer, or write it now when it cannot go direct */
static void
kick(struct dwriter *w)
{
	while (!w->inflight && w->nsealed > 0) {
		struct dw_buf *h = &w->b[w->head];
		uint64_t a = align_down(w, h->off + h->len);
		struct io_uring_sqe *sqe;
		int e;

		/*
		 * A buffer a flush or the file's end sealed before it was full
		 * goes through the page cache, at once (no write is in flight
		 * before it): a small file (one-minute files of a quiet link)
		 * then costs no device round trip before it can be published,
		 * and a busy one a partial buffer a second.
		 */
		if (!h->full || a == h->off || direct_fd(w) < 0) {
			write_buffered(w, h->mem, h->len, h->off);
			head_done(w, 1);
			continue;
		}
		if ((sqe = io_uring_get_sqe(w->ring)) == NULL)
			errx(EX_SOFTWARE, "io_uring: no submission entry free");
		w->wlen = (size_t)(a - h->off);
		if (w->fixed)
			io_uring_prep_write_fixed(sqe, w->dfd, h->mem, (unsigned)w->wlen, h->off, (int)w->head);
		else
			io_uring_prep_write(sqe, w->dfd, h->mem, (unsigned)w->wlen, h->off);
		while ((e = io_uring_submit(w->ring)) == -EINTR || e == -EAGAIN)
			;
		if (e < 0)
			errc(EX_IOERR, -e, "io_uring: cannot submit the write of %s", w->path);
		w->inflight = 1;
	}
}

/* a direct write finished with res (bytes, or -errno) */
static void
complete(struct dwriter *w, int res)
{
	struct dw_buf *h = &w->b[w->head];

	w->inflight = 0;
	if (res == -EINVAL || res == -EOPNOTSUPP) {
		/* the filesystem took O_DIRECT at open but not this write: go buffered for the file */
		if (!w->warned_direct)
			warnc(-res, "%s: direct write refused: written through the page cache", w->path);
		w->warned_direct = 1;
		close(w->dfd);
		w->dfd = -1;
		return;
	}
	if (res < 0 || (size_t)res < w->wlen) {
		/* the head starts on a block boundary the file already reached: cut there, retry */
		no_space(w, res < 0 ? -res : ENOSPC, h->off);
		return;
	}
	head_done(w, 0);
}

int
dw_reap(struct dwriter *w, int woken)
{
	struct io_uring_cqe *cqe;
	uint64_t v;
	int any = woken;

	while (w->inflight && io_uring_peek_cqe(w->ring, &cqe) == 0) {
		int res = cqe->res;

		io_uring_cqe_seen(w->ring, cqe);
		complete(w, res);
		kick(w);
		any = 1;
	}
	if (any && w->efd >= 0)
		(void)read(w->efd, &v, sizeof v);
	return w->inflight;
}

/* wait for the write in flight (or do the next buffered one) */
static void
wait_one(struct dwriter *w)
{
	struct io_uring_cqe *cqe;
	int e;

	if (!w->inflight) {
		kick(w);
		return;
	}
	while ((e = io_uring_wait_cqe(w->ring, &cqe)) == -EINTR)
		;
	if (e < 0)
		errc(EX_IOERR, -e, "io_uring: cannot wait for the write of %s", w->path);
	e = cqe->res;
	io_uring_cqe_seen(w->ring, cqe);
	complete(w, e);
	kick(w);
}

/* the buffer being filled is sealed and queued; the next one starts with its tail */
static void
seal(struct dwriter *w, int full)
{
	struct dw_buf *c = filling(w), *n;
	uint64_t end = c->off + c->len, start;

	if (c->len == c->copied)
		return; /* nothing new since the last seal */
	/* one buffer always stays free for filling */
	while (w->nsealed >= DW_NBUF - 1)
		wait_one(w);
	c = filling(w);
	c->full = full;
	w->nsealed++;
	n = filling(w);
	start = align_down(w, end);
	n->off = start;
	n->len = n->copied = (size_t)(end - start);
	memcpy(n->mem, c->mem + (start - c->off), n->len);
	kick(w);
}

uint8_t *
dw_reserve(struct dwriter *w, size_t n)
{
	struct dw_buf *c = filling(w);

	if (n > DW_BUFSZ / 2)
		errx(EX_SOFTWARE, "a pcap record of %zu bytes", n);
	if (c->len + n > DW_BUFSZ) {
		seal(w, 1);
		c = filling(w);
	}
	return c->mem + c->len;
}

void
dw_flush(struct dwriter *w, int wait)
{
	seal(w, 0);
	kick(w);
	while (wait && (w->nsealed > 0 || w->inflight))
		wait_one(w);
	if (!wait)
		(void)dw_reap(w, 0);
}

uint64_t
dw_close(struct dwriter *w)
{
	uint64_t size;

	dw_flush(w, 1);
	size = dw_tell(w);
	if (w->dfd >= 0)
		close(w->dfd);
	w->dfd = -1;
	w->fd = -1;
	return size;
}
