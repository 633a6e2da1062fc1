/* pk.c - program start-up shared by every pk program. */
#include <err.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pk.h"

const char *pk_progname = "pk";

void
pk_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	pk_progname = slash ? slash + 1 : (argv0 ? argv0 : "pk");
	setprogname(pk_progname);
	signal(SIGPIPE, SIG_IGN);
}

void
pk_pipe_grow(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

void
pk_refuse_tty(int fd, const char *what_to_pipe_into)
{
	if (isatty(fd))
		errx(EX_USAGE, "refusing to write a binary pk stream to a terminal; pipe it into %s",
		    what_to_pipe_into ? what_to_pipe_into : "pkslice, pkextract -T text or pkrotate");
}
