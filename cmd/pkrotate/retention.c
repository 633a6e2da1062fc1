/* retention.c - delete the oldest finished archive files (retention.h). */
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "catalog.h"
#include "pk.h"
#include "retention.h"

struct cand {
	const struct arch_file *f;
	size_t dir;
	dev_t dev;
	uint64_t bytes;        /* pcap + index (or what its index will take) */
	int gone;
};

/* a catalog: DIR/.catalog/DAY.cat or DAY.HH.cat, removed with DAY's last file */
struct catf {
	size_t dir;
	char day[11];          /* YYYY-MM-DD */
	char *path;
	uint64_t bytes;
	int gone;
};

struct cands {
	struct arch_list *lists;
	size_t nlists;
	struct cand *v;
	size_t n;
	struct catf *cat;
	size_t ncat;
	uint64_t cat_bytes;    /* of the catalogs not removed */
};

static int
is_day(const char *s)
{
	static const char pat[] = "dddd-dd-dd";

	for (size_t i = 0; i < sizeof pat - 1; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return 0;
	return 1;
}

/* the catalogs pkindex keeps beside the pcaps of dir (names begin with their day) */
static void
cats_load(struct cands *c, size_t dir, const char *root)
{
	char cdir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (snprintf(cdir, sizeof cdir, "%s/%s", root, CAT_DIRNAME) >= (int)sizeof cdir ||
	    (d = opendir(cdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), sl = strlen(CAT_SUFFIX);
		struct catf *k;

		/* DAY.cat, DAY.HH.cat; not a builder's DAY....tmp.PID */
		if (n < 10 + sl || !is_day(de->d_name) || (de->d_name[10] != '.') ||
		    strcmp(de->d_name + n - sl, CAT_SUFFIX) != 0 ||
		    snprintf(path, sizeof path, "%s/%s", cdir, de->d_name) >= (int)sizeof path ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		c->cat = xreallocarray(c->cat, c->ncat + 1, sizeof *c->cat);
		k = &c->cat[c->ncat++];
		k->dir = dir;
		memcpy(k->day, de->d_name, 10);
		k->day[10] = '\0';
		k->path = xstrdup(path);
		k->bytes = (uint64_t)st.st_size;
		k->gone = 0;
		c->cat_bytes += k->bytes;
	}
	closedir(d);
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->f->min_ns != y->f->min_ns)
		return x->f->min_ns < y->f->min_ns ? -1 : 1;
	if (x->f->max_ns != y->f->max_ns)
		return x->f->max_ns < y->f->max_ns ? -1 : 1;
	return strcmp(x->f->path, y->f->path);
}

/* the finished, layout-named files of every dir, oldest first */
static void
cands_load(struct cands *c, char *const *dirs, size_t ndirs)
{
	size_t i, j, n = 0, nidx = 0;
	uint64_t idx_pcap = 0;
	double ratio = 0;

	memset(c, 0, sizeof *c);
	c->lists = xcalloc(ndirs ? ndirs : 1, sizeof *c->lists);
	c->nlists = ndirs;
	for (i = 0; i < ndirs; i++) {
		if (arch_scan(dirs[i], &c->lists[i]) < 0)
			warn("%s", dirs[i]);
		n += c->lists[i].n;
	}
	c->v = xcalloc(n ? n : 1, sizeof *c->v);
	for (i = 0; i < ndirs; i++) {
		for (j = 0; j < c->lists[i].n; j++) {
			const struct arch_file *f = &c->lists[i].v[j];
			struct cand *k = &c->v[c->n];
			struct stat st;
			char idx[PATH_MAX];

			if (f->partial || !f->named || stat(f->path, &st) < 0)
				continue;
			k->f = f;
			k->dir = i;
			k->dev = st.st_dev;
			k->bytes = f->size;
			if (f->has_idx && snprintf(idx, sizeof idx, "%s.idx", f->path) < (int)sizeof idx &&
			    stat(idx, &st) == 0) {
				k->bytes += (uint64_t)st.st_size;
				/* the largest index per pcap byte: what an index to come may take */
				if (f->size > 0 && (double)st.st_size / (double)f->size > ratio)
					ratio = (double)st.st_size / (double)f->size;
				idx_pcap += f->size;
				nidx++;
			} else
				k->gone = -1;   /* no index yet: estimated below */
			c->n++;
		}
		cats_load(c, i, dirs[i]);
	}
	/*
	 * A file just finished has no index yet: pkindex builds it, and adds
	 * the file to a catalog, after reading the close record, so after this
	 * retention ran.  Count what they will take, as the archive's indexed
	 * files say (nothing when no file is indexed: no pkindex at work), or
	 * the limit is overshot by the newest files' indexes.
	 */
	if (nidx > 0 && idx_pcap > 0)
		ratio += (double)c->cat_bytes / (double)idx_pcap;
	for (j = 0; j < c->n; j++)
		if (c->v[j].gone < 0) {
			c->v[j].gone = 0;
			c->v[j].bytes += (uint64_t)((double)c->v[j].bytes * ratio);
		}
	if (c->n > 1)
		qsort(c->v, c->n, sizeof *c->v, cand_cmp);
}

static void
cands_free(struct cands *c)
{
	for (size_t i = 0; i < c->nlists; i++)
		arch_list_free(&c->lists[i]);
	free(c->lists);
	free(c->v);
	for (size_t i = 0; i < c->ncat; i++)
		free(c->cat[i].path);
	free(c->cat);
}

/* the day folder of dir is gone: its catalogs go too; the bytes freed */
static uint64_t
remove_cats(struct cands *c, size_t dir, const char *day)
{
	uint64_t freed = 0;

	for (size_t i = 0; i < c->ncat; i++) {
		struct catf *k = &c->cat[i];

		if (k->gone || k->dir != dir || strcmp(k->day, day) != 0)
			continue;
		if (unlink(k->path) < 0 && errno != ENOENT) {
			warn("cannot remove %s", k->path);
			continue;
		}
		k->gone = 1;
		freed += k->bytes;
		c->cat_bytes -= k->bytes;
	}
	return freed;
}

/*
 * delete a pcap, then its index, then its date folder if now empty and
 * that day's catalogs with it; the bytes freed (0: nothing was deleted)
 */
static uint64_t
remove_file(struct cands *c, struct cand *k, char *const *dirs, ret_removed_fn fn, void *arg)
{
	char idx[PATH_MAX], parent[PATH_MAX], *slash, *day;
	const char *path = k->f->path;
	uint64_t freed = k->bytes;

	if (unlink(path) < 0 && errno != ENOENT) {
		warn("cannot remove %s", path);
		return 0;
	}
	if (snprintf(idx, sizeof idx, "%s.idx", path) < (int)sizeof idx && unlink(idx) < 0 &&
	    errno != ENOENT)
		warn("cannot remove %s", idx);
	k->gone = 1;
	if (fn != NULL)
		fn(arg, path);
	strlcpy(parent, path, sizeof parent);
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		/* fails while the folder holds anything: fine */
		if (strcmp(parent, dirs[k->dir]) != 0 && rmdir(parent) == 0 && (day = strrchr(parent, '/')) != NULL &&
		    is_day(day + 1) && day[11] == '\0')
			freed += remove_cats(c, k->dir, day + 1);
	}
	return freed > 0 ? freed : 1;
}

double
ret_free_pct(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0 || sv.f_blocks == 0)
		return 100.0;
	return 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
}

int
ret_apply(const struct ret_policy *p, char *const *dirs, size_t ndirs, ret_removed_fn fn, void *arg)
{
	struct cands c;
	uint64_t total = 0, count, now = pk_now_ns(CLOCK_REALTIME), freed;
	int removed = 0;
	size_t i;

	if (!p->max_bytes && !p->max_age_ns && !p->max_files && !p->min_free_pct)
		return 0;
	cands_load(&c, dirs, ndirs);
	count = c.n;
	total = c.cat_bytes;
	for (i = 0; i < c.n; i++)
		total += c.v[i].bytes;
	for (i = 0; i < c.n; i++) {
		struct cand *k = &c.v[i];
		int why = (p->max_bytes && total > p->max_bytes) ||
		    (p->max_files && count > p->max_files) ||
		    (p->max_age_ns && k->f->max_ns < now && now - k->f->max_ns > p->max_age_ns) ||
		    (p->min_free_pct && ret_free_pct(dirs[k->dir]) < (double)p->min_free_pct);

		if (!why || (freed = remove_file(&c, k, dirs, fn, arg)) == 0)
			continue;
		total -= freed < total ? freed : total;
		count--;
		removed++;
	}
	cands_free(&c);
	return removed;
}

int
ret_free_on(dev_t dev, char *const *dirs, size_t ndirs, ret_removed_fn fn, void *arg)
{
	struct cands c;
	int removed = 0;

	cands_load(&c, dirs, ndirs);
	for (size_t i = 0; i < c.n && !removed; i++)
		if (c.v[i].dev == dev)
			removed = remove_file(&c, &c.v[i], dirs, fn, arg) > 0;
	cands_free(&c);
	return removed;
}
