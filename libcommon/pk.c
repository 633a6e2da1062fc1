/* pk.c - program start-up shared by every pk program. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pk.h"

#ifndef PK_VERSION
#error "PK_VERSION comes from the VERSION file (the Makefile passes -DPK_VERSION)"
#endif

const char *pk_progname = "pk";

void
pk_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	pk_progname = slash ? slash + 1 : (argv0 ? argv0 : "pk");
	setprogname(pk_progname);
	signal(SIGPIPE, SIG_IGN);
}

/* the largest pipe an unprivileged process may ask for (fs.pipe-max-size), within [1, 64] MiB */
static int
pipe_max(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
	long v = 0;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v < (1 << 20) ? 1 << 20 : v > (64 << 20) ? 64 << 20 : (int)v;
}

void
pk_pipe_grow(int fd)
{
	struct stat st;

	/* a bigger pipe is a longer burst the reader may lag; the user's pipe budget may refuse it */
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fcntl(fd, F_SETPIPE_SZ, pipe_max()) < 0)
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

void
pk_refuse_tty(int fd, const char *what_to_pipe_into)
{
	if (isatty(fd))
		errx(EX_USAGE, "refusing to write a binary pk stream to a terminal; pipe it into %s",
		    what_to_pipe_into ? what_to_pipe_into : "pkslice, pkextract -T text or pkrotate");
}

void
pk_refuse_tty_in(int fd, const char *example)
{
	if (isatty(fd))
		errx(EX_USAGE, "standard input is a terminal, and a pk stream cannot be typed; pipe one in, "
		    "e.g. %s", example);
}

int
pk_mkdirs(const char *dir, unsigned mode)
{
	char p[PATH_MAX];
	struct stat st;
	size_t i, n;

	if (mkdir(dir, (mode_t)mode) == 0)
		return 1;
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT || (n = strlcpy(p, dir, sizeof p)) >= sizeof p)
		return -1;
	/* each missing parent, top down; one that appears meanwhile is fine */
	for (i = 1; i < n; i++) {
		if (p[i] != '/' || p[i - 1] == '/' || p[i + 1] == '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			return -1;
		if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		p[i] = '/';
	}
	if (mkdir(dir, (mode_t)mode) == 0)
		return 1;
	return errno == EEXIST ? 0 : -1;
}

uint64_t
pk_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
exit_rank(int st)
{
	/* least serious first; the index is the rank */
	static const int order[] = { EX_OK, -1, EX_DATAERR, EX_TEMPFAIL, EX_IOERR, EX_NOINPUT,
		EX_UNAVAILABLE, EX_CANTCREAT, EX_NOPERM, EX_CONFIG, EX_USAGE, EX_OSERR, EX_SOFTWARE };

	for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
		if (order[i] == st)
			return i;
	return 1; /* unlisted: the -1 slot, just above EX_OK */
}

int
pk_exit_merge(int a, int b)
{
	return exit_rank(b) > exit_rank(a) ? b : a;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		err(EX_OSERR, "malloc");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = n && size ? calloc(n, size) : calloc(1, 1);

	if (p == NULL)
		err(EX_OSERR, "calloc");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *np = n && size ? reallocarray(p, n, size) : reallocarray(p, 1, 1);

	if (np == NULL)
		err(EX_OSERR, "reallocarray");
	return np;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		err(EX_OSERR, "strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		err(EX_OSERR, "strndup");
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		err(EX_OSERR, "vasprintf");
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* exit 0 only if everything reached stdout: "pkfind --help > /dev/full" is an error */
static void __attribute__((noreturn))
out_exit(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EX_IOERR, "stdout");
	exit(EX_OK);
}

void
pk_usage(const char *synopsis, int asked)
{
	FILE *fp = asked ? stdout : stderr;
	const char *s, *nl;

	/* continuation lines line up under the first, after "usage: " */
	fputs("usage: ", fp);
	for (s = synopsis; *s; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		fprintf(fp, "%s%.*s\n", s == synopsis ? "" : "       ", (int)(nl - s), s);
		if (*nl == '\0')
			break;
	}
	if (asked)
		out_exit();
	exit(EX_USAGE);
}

const char *
pk_version(void)
{
	return PK_VERSION;
}

void
pk_stdopt(int ch, const char *synopsis)
{
	if (ch == 'h')
		pk_usage(synopsis, 1);
	if (ch == PK_OPT_VERSION) {
		printf("%s (pk) %s\n", pk_progname, PK_VERSION);
		out_exit();
	}
	pk_usage(synopsis, 0);
}
