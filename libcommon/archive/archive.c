/* archive.c - names and listing of the pcap archive (layout in archive.h). */
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "pk.h"

void
arch_fmt_time(uint64_t ts_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ts_ns / 1000000000u);
	struct tm tm;
	char date[32];

	if (gmtime_r(&sec, &tm) == NULL || strftime(date, sizeof date, "%Y%m%dT%H%M%S", &tm) != 15)
		strlcpy(date, "00000000T000000", sizeof date);
	snprintf(buf, len, "%s.%09lluZ", date, (unsigned long long)(ts_ns % 1000000000u));
}

/* n decimal digits at s into *v; 0 or -1 */
static int
digits(const char *s, int n, unsigned long long *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long long)(s[i] - '0');
	}
	return 0;
}

/*
 * Reads exactly ARCH_TIMELEN characters; what follows them is the
 * caller's business (file names continue with "-", "." or ".pcap").
 */
int
arch_parse_time(const char *s, uint64_t *ts_ns)
{
	unsigned long long y, mo, d, h, mi, se, ns;
	struct tm tm;
	time_t t;

	if (strnlen(s, ARCH_TIMELEN) < ARCH_TIMELEN || s[8] != 'T' || s[15] != '.' || s[ARCH_TIMELEN - 1] != 'Z')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 4, 2, &mo) < 0 || digits(s + 6, 2, &d) < 0 ||
	    digits(s + 9, 2, &h) < 0 || digits(s + 11, 2, &mi) < 0 || digits(s + 13, 2, &se) < 0 ||
	    digits(s + 16, 9, &ns) < 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)se;
	if ((t = timegm(&tm)) == (time_t)-1 || t < 0)
		return -1;
	*ts_ns = (uint64_t)t * 1000000000u + ns;
	return 0;
}

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* "<T>.pcap.part" */
static int
parse_part_name(const char *name, uint64_t *min)
{
	return strlen(name) == ARCH_TIMELEN + strlen(ARCH_PART_SUFFIX) &&
	    arch_parse_time(name, min) == 0 && strcmp(name + ARCH_TIMELEN, ARCH_PART_SUFFIX) == 0;
}

/* "<MIN>-<MAX>.pcap" or "<MIN>-<MAX>.<n>.pcap" */
static int
parse_pcap_name(const char *name, uint64_t *min, uint64_t *max)
{
	const char *rest = name + 2 * ARCH_TIMELEN + 1;

	if (strlen(name) < 2 * ARCH_TIMELEN + 1 + strlen(ARCH_PCAP_SUFFIX) ||
	    arch_parse_time(name, min) < 0 || name[ARCH_TIMELEN] != '-' ||
	    arch_parse_time(name + ARCH_TIMELEN + 1, max) < 0)
		return 0;
	if (strcmp(rest, ARCH_PCAP_SUFFIX) == 0)
		return 1;
	if (*rest++ != '.' || *rest < '0' || *rest > '9')
		return 0;
	while (*rest >= '0' && *rest <= '9')
		rest++;
	return strcmp(rest, ARCH_PCAP_SUFFIX) == 0;
}

int
arch_add_file(struct arch_list *l, const char *path, const char *name)
{
	struct arch_file *f;
	struct stat st;
	char idx[PATH_MAX];
	int partial = ends_with(name, ARCH_PART_SUFFIX);

	if (!partial && !ends_with(name, ARCH_PCAP_SUFFIX))
		return -1;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 64;
		struct arch_file *nv = xreallocarray(l->v, ncap, sizeof *nv);
		l->v = nv;
		l->cap = ncap;
	}
	f = &l->v[l->n];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->partial = partial;
	f->size = (uint64_t)st.st_size;
	/* unknown times span everything, so time pruning never skips such a file */
	f->min_ns = 0;
	f->max_ns = UINT64_MAX;
	if (partial)
		f->named = parse_part_name(name, &f->min_ns);
	else
		f->named = parse_pcap_name(name, &f->min_ns, &f->max_ns);
	if (!f->named) {
		f->min_ns = 0;
		f->max_ns = UINT64_MAX;
	}
	if (snprintf(idx, sizeof idx, "%s.idx", path) < (int)sizeof idx)
		f->has_idx = stat(idx, &st) == 0;
	l->n++;
	return 0;
}

/* the pcaps directly in dir; recurse one level when depth allows */
static int
scan_dir(const char *dir, struct arch_list *l, int depth)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				(void)scan_dir(path, l, depth - 1);
		} else if (S_ISREG(st.st_mode))
			(void)arch_add_file(l, path, e->d_name);
	}
	closedir(d);
	return 0;
}

static int
file_cmp(const void *a, const void *b)
{
	const struct arch_file *x = a, *y = b;

	if (x->min_ns != y->min_ns)
		return x->min_ns < y->min_ns ? -1 : 1;
	return strcmp(x->path, y->path);
}

void
arch_list_sort(struct arch_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, file_cmp);
}

int
arch_scan(const char *dir, struct arch_list *l)
{
	size_t len = strlen(dir);
	char d[PATH_MAX];

	/* no trailing slash, so paths come out as DIR/DAY/NAME */
	if (strlcpy(d, dir, sizeof d) >= sizeof d) {
		errno = ENAMETOOLONG;
		return -1;
	}
	while (len > 1 && d[len - 1] == '/')
		d[--len] = '\0';
	if (scan_dir(d, l, 1) < 0)
		return -1;
	if (l->n > 1)
		arch_list_sort(l);
	return 0;
}

void
arch_list_free(struct arch_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- one folder ---- */

static int
dirent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct arch_dirent *)a)->name, ((const struct arch_dirent *)b)->name);
}

const struct arch_dirent *
arch_dirlist_find(const struct arch_dirlist *l, const char *name)
{
	struct arch_dirent k = { (char *)(uintptr_t)name, 0, 0, 0 };

	return l->n ? bsearch(&k, l->v, l->n, sizeof *l->v, dirent_cmp) : NULL;
}

int
arch_read_folder(const char *path, struct arch_dirlist *l)
{
	struct { char *name; uint64_t ino; } *idx = NULL;
	size_t nidx = 0, cidx = 0;
	struct dirent *e;
	DIR *d;

	memset(l, 0, sizeof *l);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		int partial = ends_with(n, ARCH_PART_SUFFIX);

		if (n[0] == '.' || (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
			continue;
		if (ends_with(n, ARCH_PCAP_SUFFIX ".idx") && len > 4) {
			if (nidx == cidx) {
				cidx = cidx ? cidx * 2 : 256;
				idx = xreallocarray(idx, cidx, sizeof *idx);
			}
			idx[nidx].name = xstrndup(n, len - 4);
			idx[nidx++].ino = (uint64_t)e->d_ino;
			continue;
		}
		if (!partial && !ends_with(n, ARCH_PCAP_SUFFIX))
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 256;
			l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
		}
		l->v[l->n].name = xstrdup(n);
		l->v[l->n].ino = (uint64_t)e->d_ino;
		l->v[l->n].idx_ino = 0;
		l->v[l->n].partial = partial;
		l->n++;
	}
	closedir(d);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, dirent_cmp);
	for (size_t i = 0; i < nidx; i++) {
		struct arch_dirent *p = (struct arch_dirent *)(uintptr_t)arch_dirlist_find(l, idx[i].name);
		if (p != NULL && !p->partial)
			p->idx_ino = idx[i].ino;
		free(idx[i].name);
	}
	free(idx);
	return 0;
}

void
arch_dirlist_free(struct arch_dirlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof *l);
}

int
arch_is_day(const char *n)
{
	return strlen(n) == 10 && n[4] == '-' && n[7] == '-' && strspn(n, "0123456789-") == 10;
}

int
arch_name_hour(const char *name)
{
	uint64_t t;

	if (arch_parse_time(name, &t) < 0)
		return -1;
	return (int)(t / 3600000000000ull % 24);
}

int
arch_has_dotdot(const char *p)
{
	size_t n = strlen(p);

	return strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 || strstr(p, "/../") != NULL ||
	    (n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

int
arch_path_within(const char *path, char *const *roots, size_t nroots)
{
	char rp[PATH_MAX], rr[PATH_MAX];

	if (arch_has_dotdot(path) || realpath(path, rp) == NULL)
		return 0;
	for (size_t i = 0; i < nroots; i++) {
		size_t n;

		if (realpath(roots[i], rr) == NULL)
			continue;
		n = strlen(rr);
		if (strcmp(rr, "/") == 0)
			return 1;
		if (strncmp(rp, rr, n) == 0 && (rp[n] == '/' || rp[n] == '\0'))
			return 1;
	}
	return 0;
}
