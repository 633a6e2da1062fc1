/*
 * slice_confine.c - pkslice reads located files only under the archive
 * roots (slice.h), and the check cannot be raced.
 *
 * A location's path is first judged by name (no "..", a root declared,
 * its resolved name under a root's resolved name), which gives the file's
 * name relative to that root.  Every open then goes from a descriptor of
 * the root, opened once, down that relative name without following a
 * symbolic link at any step (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS,
 * or openat O_NOFOLLOW component by component where openat2 is missing),
 * and what was opened must be a regular file.  A file or directory
 * swapped for a link after the check is refused, not followed out.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "archive.h"
#include "pk.h"
#include "slice.h"

/* the roots' resolved names and descriptors, once */
static void
roots_open(struct slice *sl)
{
	char r[PATH_MAX];

	if (sl->rootfd != NULL)
		return;
	sl->rootfd = xcalloc(sl->nroots + 1, sizeof *sl->rootfd);
	sl->rootreal = xcalloc(sl->nroots + 1, sizeof *sl->rootreal);
	for (size_t i = 0; i < sl->nroots; i++) {
		sl->rootfd[i] = -1;
		if (realpath(sl->roots[i], r) == NULL)
			continue;     /* a root that is not there holds nothing */
		sl->rootreal[i] = xstrdup(r);
		sl->rootfd[i] = open(r, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
}

/* the root whose resolved name rp lies under, and the rest of rp after it; -1 if none */
static int
root_of(const struct slice *sl, const char *rp, const char **rel)
{
	for (size_t i = 0; i < sl->nroots; i++) {
		const char *r = sl->rootreal[i];
		size_t n;

		if (r == NULL || sl->rootfd[i] < 0)
			continue;
		n = strcmp(r, "/") == 0 ? 0 : strlen(r);
		if (strncmp(rp, r, n) == 0 && rp[n] == '/' && rp[n + 1] != '\0') {
			*rel = rp + n + 1;
			return (int)i;
		}
	}
	return -1;
}

/*
 * resolved: the resolved name of path into rp when path is a regular
 * file (not a symbolic link) in a directory: its directory's resolved
 * name (the last one is remembered: located files come a directory at a
 * time) and its own name.  0, or -1: take the long way (realpath).  Only
 * a first judgement: the open (slice_open) is what cannot be fooled.
 */
static int
resolved(const char *path, char rp[PATH_MAX])
{
	static char last_dir[PATH_MAX], last_real[PATH_MAX];
	char dir[PATH_MAX];
	const char *base = strrchr(path, '/');
	struct stat st;
	size_t dl;

	if (base == NULL || base == path || base[1] == '\0' || strcmp(base + 1, ".") == 0 ||
	    strcmp(base + 1, "..") == 0 || (dl = (size_t)(base - path)) >= sizeof dir)
		return -1;
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	if (last_dir[0] == '\0' || strcmp(dir, last_dir) != 0) {
		last_dir[0] = '\0';
		if (realpath(dir, last_real) == NULL)
			return -1;
		strlcpy(last_dir, dir, sizeof last_dir);
	}
	if (snprintf(rp, PATH_MAX, "%s/%s", strcmp(last_real, "/") == 0 ? "" : last_real, base + 1) >= PATH_MAX)
		return -1;
	return 0;
}

int
slice_confine(struct slice *sl, struct slice_file *f)
{
	char rp[PATH_MAX];
	const char *rel;
	int r;

	if (arch_has_dotdot(f->path)) {
		warnx("refusing to read %s: the path has a '..' component", f->path);
		return -1;
	}
	if (sl->nroots == 0) {
		warnx("refusing to read %s: no archive root declared (no root note in the stream, no -R)",
		    f->path);
		return -1;
	}
	roots_open(sl);
	if (resolved(f->path, rp) < 0 && realpath(f->path, rp) == NULL) {
		if (errno == ENOENT)
			return 1;     /* aged out since the query: nothing to read */
		warn("refusing to read %s", f->path);
		return -1;
	}
	if ((r = root_of(sl, rp, &rel)) < 0) {
		warnx("refusing to read %s: not under the archive root%s %s%s", f->path,
		    sl->nroots > 1 ? "s" : "", sl->roots[0], sl->nroots > 1 ? " ..." : "");
		return -1;
	}
	free(f->path);
	free(f->rel);
	f->path = xstrdup(rp);
	f->rel = xstrdup(rel);
	f->root = r;
	return 0;
}

/* rel from dirfd, no symbolic link at any step: openat2, else one component at a time */
static int
open_beneath(int dirfd, const char *rel)
{
	struct open_how how;
	char buf[PATH_MAX], *p, *slash;
	int fd, d = dirfd, saved;

	memset(&how, 0, sizeof how);
	how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	if ((fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how)) >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	/* no openat2 (or a seccomp filter that refuses it): walk */
	if (strlcpy(buf, rel, sizeof buf) >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		*slash = '\0';
		if (*p == '\0' || strcmp(p, ".") == 0)
			continue;
		fd = openat(d, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		saved = errno;
		if (d != dirfd)
			close(d);
		if (fd < 0) {
			errno = saved;
			return -1;
		}
		d = fd;
	}
	fd = openat(d, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	saved = errno;
	if (d != dirfd)
		close(d);
	errno = saved;
	return fd;
}

int
slice_open(struct slice *sl, const struct slice_file *f)
{
	struct stat st;
	int fd;

	if (f->rel == NULL)
		fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	else if ((fd = open_beneath(sl->rootfd[f->root], f->rel)) < 0 && (errno == ELOOP || errno == EXDEV))
		errno = EPERM;   /* a link appeared on the way: not followed */
	if (fd < 0)
		return -1;
	/* O_NONBLOCK: a FIFO put there does not hang us; it is refused here */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = f->rel ? EPERM : EINVAL;
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}
