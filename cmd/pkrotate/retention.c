/* retention.c - delete the oldest finished archive files (retention.h). */
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
#include "pk.h"
#include "retention.h"

struct cand {
	const struct arch_file *f;
	size_t dir;
	dev_t dev;
	uint64_t bytes;        /* pcap + index */
	int gone;
};

struct cands {
	struct arch_list *lists;
	size_t nlists;
	struct cand *v;
	size_t n;
};

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
	size_t i, j, n = 0;

	memset(c, 0, sizeof *c);
	if ((c->lists = calloc(ndirs ? ndirs : 1, sizeof *c->lists)) == NULL)
		err(EX_OSERR, "calloc");
	c->nlists = ndirs;
	for (i = 0; i < ndirs; i++) {
		if (arch_scan(dirs[i], &c->lists[i]) < 0)
			warn("%s", dirs[i]);
		n += c->lists[i].n;
	}
	if ((c->v = calloc(n ? n : 1, sizeof *c->v)) == NULL)
		err(EX_OSERR, "calloc");
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
			    stat(idx, &st) == 0)
				k->bytes += (uint64_t)st.st_size;
			c->n++;
		}
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
}

/* delete a pcap, then its index, then its date folder if now empty */
static int
remove_file(struct cand *k, char *const *dirs, ret_removed_fn fn, void *arg)
{
	char idx[PATH_MAX], parent[PATH_MAX], *slash;
	const char *path = k->f->path;

	if (unlink(path) < 0 && errno != ENOENT) {
		warn("unable to remove %s", path);
		return 0;
	}
	if (snprintf(idx, sizeof idx, "%s.idx", path) < (int)sizeof idx && unlink(idx) < 0 &&
	    errno != ENOENT)
		warn("unable to remove %s", idx);
	k->gone = 1;
	if (fn != NULL)
		fn(arg, path);
	strlcpy(parent, path, sizeof parent);
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		if (strcmp(parent, dirs[k->dir]) != 0)
			(void)rmdir(parent); /* fails while the folder holds anything: fine */
	}
	return 1;
}

double
ret_free_pct(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0 || sv.f_blocks == 0)
		return 100.0;
	return 100.0 * (double)sv.f_bavail / (double)sv.f_blocks;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
ret_apply(const struct ret_policy *p, char *const *dirs, size_t ndirs, ret_removed_fn fn, void *arg)
{
	struct cands c;
	uint64_t total = 0, count, now = now_ns();
	int removed = 0;
	size_t i;

	if (!p->max_bytes && !p->max_age_ns && !p->max_files && !p->min_free_pct)
		return 0;
	cands_load(&c, dirs, ndirs);
	count = c.n;
	for (i = 0; i < c.n; i++)
		total += c.v[i].bytes;
	for (i = 0; i < c.n; i++) {
		struct cand *k = &c.v[i];
		int why = (p->max_bytes && total > p->max_bytes) ||
		    (p->max_files && count > p->max_files) ||
		    (p->max_age_ns && k->f->max_ns < now && now - k->f->max_ns > p->max_age_ns) ||
		    (p->min_free_pct && ret_free_pct(dirs[k->dir]) < (double)p->min_free_pct);

		if (!why || !remove_file(k, dirs, fn, arg))
			continue;
		total -= k->bytes;
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
			removed = remove_file(&c.v[i], dirs, fn, arg);
	cands_free(&c);
	return removed;
}
