/* forward.c - the non-blocking, bounded downstream of pkrotate (forward.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forward.h"
#include "pk.h"

static int64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

struct fwdblk {
	struct fwdblk *next;
	uint8_t *buf;
	size_t len, cap;
};

/* the most that sout_* may write beyond what its caller asked room for */
#define FWD_SLOP 256

static size_t
pending(const struct fwd *f)
{
	return f->qbytes - f->qoff + f->s.out.len - f->soff;
}

static void
blk_release(struct fwd *f, uint8_t *buf, size_t cap)
{
	if (f->spare == NULL && cap == FWD_BLOCK)
		f->spare = buf;
	else
		free(buf);
}

/* drop every waiting byte */
static void
discard(struct fwd *f)
{
	struct fwdblk *b;

	while ((b = f->q) != NULL) {
		f->q = b->next;
		blk_release(f, b->buf, b->cap);
		free(b);
	}
	f->qlast = NULL;
	f->qbytes = f->qoff = f->soff = 0;
	f->s.out.len = 0;
}

/* s.out's buffer joins the queue; s.out gets an empty one with room for need */
static void
blk_retire(struct fwd *f, size_t need)
{
	struct bufout *o = &f->s.out;
	size_t size = need > FWD_BLOCK ? need : FWD_BLOCK;
	struct fwdblk *b;

	if (o->len > f->soff) {
		if ((b = malloc(sizeof *b)) == NULL)
			err(EX_OSERR, "malloc");
		b->next = NULL;
		b->buf = o->buf;
		b->len = o->len;
		b->cap = o->cap;
		if (f->q == NULL) {
			f->q = b;
			f->qoff = f->soff;  /* s.out is written only when the queue is empty */
		} else
			f->qlast->next = b;
		f->qlast = b;
		f->qbytes += b->len;
		o->buf = NULL;
	} else if (size > o->cap) {
		blk_release(f, o->buf, o->cap);
		o->buf = NULL;
	}
	if (o->buf == NULL) {
		if (size == FWD_BLOCK && f->spare != NULL) {
			o->buf = f->spare;
			f->spare = NULL;
		} else if ((o->buf = malloc(size)) == NULL)
			err(EX_OSERR, "malloc");
		o->cap = size;
	}
	o->len = 0;
	f->soff = 0;
}

/* write what the reader takes of p[*off..n); 0 all of it, -1 not all (gone: disconnected) */
static void disconnect(struct fwd *f);

static int
fwd_write(struct fwd *f, const uint8_t *p, size_t n, size_t *off)
{
	size_t done = 0;
	int rc = writeall(f->fd, p + *off, n - *off, &done);

	*off += done;
	f->s.out.written += done;
	if (rc == 0)
		return 0;
	/* EAGAIN: the rest waits; anything else: the reader is gone */
	if (errno != EAGAIN && errno != EINTR)
		disconnect(f);
	return -1;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		err(EX_OSERR, "fcntl O_NONBLOCK");
	pk_pipe_grow(fd);
}

static void
connect_fifo(struct fwd *f)
{
	int fd;

	f->next_try = mono_s() + 1;
	/* O_NONBLOCK: ENXIO until a reader opens the FIFO; we never wait for one */
	if ((fd = open(f->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENXIO && errno != ENOENT && errno != EINTR)
			warn("%s", f->fifo);
		return;
	}
	pk_pipe_grow(fd);
	f->fd = fd;
	f->s.out.fd = fd;
	discard(f);
	f->s.out.err = 0;
	f->s.dead = 0;
	/* a reader joining mid-stream starts on a header of its own */
	sout_header(&f->s, pk_progname, HDR_NSEC);
}

void
fwd_init(struct fwd *f, const char *fifo, size_t cap)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->fifo = fifo;
	sout_init_raw(&f->s, -1);
	bufout_free(&f->s.out);
	f->cap = cap >= 2 * FWD_CONTROL + STREAM_REC_MAX ? cap : FWD_CAP;
	bufout_init(&f->s.out, -1, FWD_BLOCK);
	if (fifo != NULL) {
		struct stat st;

		if (stat(fifo, &st) < 0) {
			if (errno != ENOENT || mkfifo(fifo, 0640) < 0)
				err(EX_CANTCREAT, "mkfifo %s", fifo);
		} else if (!S_ISFIFO(st.st_mode))
			errx(EX_USAGE, "-o %s: not a FIFO", fifo);
		f->enabled = 1;
		connect_fifo(f);
		return;
	}
	if (isatty(STDOUT_FILENO) || fcntl(STDOUT_FILENO, F_GETFL) < 0)
		return;
	f->enabled = 1;
	f->fd = STDOUT_FILENO;
	f->s.out.fd = STDOUT_FILENO;
	set_nonblock(STDOUT_FILENO);
	sout_header(&f->s, pk_progname, HDR_NSEC);
}

static void
disconnect(struct fwd *f)
{
	warnx("the stream reader went away; the archive is still written (files since then: index them from disk)");
	if (f->fd != STDOUT_FILENO)
		close(f->fd);
	f->fd = -1;
	f->s.out.fd = -1;
	discard(f);
	f->s.out.err = 0;
	f->epoch++;
	if (f->fifo == NULL)
		f->enabled = 0;
	else
		f->next_try = mono_s() + 1;
}

void
fwd_pump(struct fwd *f)
{
	if (f->fd < 0) {
		if (f->fifo != NULL && mono_s() >= f->next_try) {
			connect_fifo(f);
			if (f->fd >= 0)
				warnx("stream reader connected on %s", f->fifo);
		}
		return;
	}
	while (f->q != NULL) {
		struct fwdblk *b = f->q;

		if (fwd_write(f, b->buf, b->len, &f->qoff) < 0)
			return;
		f->q = b->next;
		if (f->q == NULL)
			f->qlast = NULL;
		f->qbytes -= b->len;
		f->qoff = 0;
		blk_release(f, b->buf, b->cap);
		free(b);
	}
	if (f->s.out.len > f->soff && fwd_write(f, f->s.out.buf, f->s.out.len, &f->soff) < 0)
		return;
	f->s.out.len = f->soff = 0;
}

int
fwd_room(struct fwd *f, size_t need, int control)
{
	size_t limit = control ? f->cap : f->cap - FWD_CONTROL;

	if (f->fd < 0)
		return 0;
	if (pending(f) + need > limit)
		fwd_pump(f);
	for (int idle = 0; f->patient && f->fd >= 0 && pending(f) + need > limit;) {
		struct pollfd p = { .fd = f->fd, .events = POLLOUT };
		size_t before = pending(f);
		int rc = poll(&p, 1, 1000);

		if (rc < 0 && errno != EINTR)
			break;
		fwd_pump(f);
		if (pending(f) < before)
			idle = 0;
		else if (rc == 0 && ++idle >= FWD_PATIENCE) {
			warnx("the stream reader took nothing for %d s: no longer waited for", FWD_PATIENCE);
			f->patient = 0;
		}
	}
	if (f->fd < 0 || pending(f) + need > limit)
		return 0;
	/* the record goes in one piece into s.out's buffer, never past it (that would write) */
	if (f->s.out.len + need + FWD_SLOP > f->s.out.cap)
		blk_retire(f, need + FWD_SLOP);
	return 1;
}

int
fwd_pollfd(const struct fwd *f, struct pollfd *p)
{
	if (f->fd < 0 || pending(f) == 0)
		return 0;
	p->fd = f->fd;
	p->events = POLLOUT;
	p->revents = 0;
	return 1;
}

void
fwd_drain(struct fwd *f, int patience)
{
	int idle = 0;

	while (f->fd >= 0 && pending(f) > 0 && idle < patience) {
		struct pollfd p;
		size_t before = pending(f);

		fwd_pollfd(f, &p);
		if (poll(&p, 1, 1000) <= 0) {
			idle++;
			continue;
		}
		fwd_pump(f);
		idle = pending(f) < before ? 0 : idle + 1;
	}
	if (f->fd >= 0 && pending(f) > 0)
		warnx("the stream reader took nothing for %d s; %zu bytes of stream not forwarded",
		    patience, pending(f));
	discard(f);
	free(f->spare);
	f->spare = NULL;
}
