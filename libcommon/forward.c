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
	f->s.out.len = 0;
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
	bufout_init(&f->s.out, -1, f->cap);
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
	f->s.out.len = 0;
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
	if (f->s.out.len == 0)
		return;
	if (bufout_flush(&f->s.out) == 0)
		return;
	/* EAGAIN: bufout kept the unwritten bytes; anything else: the reader is gone */
	if (f->s.out.err == EAGAIN || f->s.out.err == EINTR)
		f->s.out.err = 0;
	else
		disconnect(f);
}

int
fwd_room(struct fwd *f, size_t need, int control)
{
	size_t limit = control ? f->cap : f->cap - FWD_CONTROL;

	if (f->fd < 0)
		return 0;
	if (f->s.out.len + need > limit)
		fwd_pump(f);
	return f->fd >= 0 && f->s.out.len + need <= limit;
}

int
fwd_pollfd(const struct fwd *f, struct pollfd *p)
{
	if (f->fd < 0 || f->s.out.len == 0)
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

	while (f->fd >= 0 && f->s.out.len > 0 && idle < patience) {
		struct pollfd p;
		size_t before = f->s.out.len;

		fwd_pollfd(f, &p);
		if (poll(&p, 1, 1000) <= 0) {
			idle++;
			continue;
		}
		fwd_pump(f);
		idle = f->s.out.len < before ? 0 : idle + 1;
	}
	if (f->fd >= 0 && f->s.out.len > 0)
		warnx("the stream reader took nothing for %d s; %zu bytes of stream not forwarded",
		    patience, f->s.out.len);
}
