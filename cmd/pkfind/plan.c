/*
 * plan.c - the files a search reads (plan.h).
 *
 * A sealed catalog vouches for its whole folder as it was (inode and
 * modification time): while the folder still has both, no file was added,
 * removed or renamed there since, so the folder is not even listed; its
 * times prune it, and its keys name the files to open.  A folder that is
 * listed (unsealed, changed, or without catalogs) is matched name by
 * name against its catalogs: a file whose pcap and index have the inodes
 * a catalog recorded is judged by that catalog; any other (new, the
 * .pcap.part being written, re-indexed, replaced) goes to the search as
 * arch_scan would list it.  A catalog that does not open is ignored.
 *
 * XXX a file rewritten in place (same name and inode, e.g. cp over it)
 * inside a sealed folder is not noticed until the folder changes or
 * pkindex --repair runs; pk itself only ever renames files into place.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "ordset.h"
#include "pk.h"
#include "plan.h"

#define MAXCATS 25               /* a folder's: the whole one and 24 hours */

static void
add_ival(struct plan *p, uint64_t lo, uint64_t hi)
{
	if (p->niv == p->civ) {
		p->civ = p->civ ? p->civ * 2 : 64;
		p->iv = xreallocarray(p->iv, p->civ, sizeof *p->iv);
	}
	p->iv[p->niv].lo = lo;
	p->iv[p->niv].hi = hi < lo ? lo : hi;
	p->niv++;
}

static void
ival_cb(void *arg, uint64_t lo, uint64_t hi)
{
	add_ival(arg, lo, hi);
}

/* a catalogued file the search must read: as arch_scan lists it, times from the catalog */
static void
add_candidate(struct plan *p, const char *folder, const struct cat_file *f, int ival_done)
{
	struct arch_list *l = &p->files;
	struct arch_file *a;
	char path[PATH_MAX];

	if (snprintf(path, sizeof path, "%s/%s", folder, f->name) >= (int)sizeof path)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	a = &l->v[l->n++];
	memset(a, 0, sizeof *a);
	a->path = xstrdup(path);
	a->size = f->pcap_size;
	a->has_idx = !(f->flags & CATF_SCAN);
	a->named = !(f->flags & CATF_NOTIME);
	a->min_ns = a->named ? f->first_ns : 0;
	a->max_ns = a->named ? f->last_ns : UINT64_MAX;
	a->ival_done = ival_done;
}

static int
in_window(const struct cat_file *f, uint64_t start, uint64_t end)
{
	return (f->flags & CATF_NOTIME) || (f->first_ns < end && f->last_ns >= start);
}

/* a sealed catalog that still matches its folder: the folder is answered without listing it */
static int
sealed(struct plan *p, const char *folder, struct catalog *c, const struct query *q, uint64_t start, uint64_t end)
{
	const struct cat_head *h = cat_head(c);
	struct ordset cand, win;
	char e[512];
	uint32_t i;
	size_t nfiles = p->files.n, niv = p->niv;

	p->nsealed++;
	if (!h->untimed && (h->nfiles == 0 || h->max_ns < start || h->min_ns >= end))
		return 0;
	if (cat_candidates(c, q, start, end, &cand, e, sizeof e) < 0)
		goto bad;
	if (cat_in_window(c, start, end, &win, e, sizeof e) < 0) {
		ordset_free(&cand);
		goto bad;
	}
	if (cat_intervals(c, ival_cb, p, e, sizeof e) < 0) {
		ordset_free(&cand);
		ordset_free(&win);
		goto bad;
	}
	for (i = ordset_next(&cand, 0); i != UINT32_MAX; i = ordset_next(&cand, i + 1)) {
		struct cat_file f;
		if (cat_file(c, i, &f, e, sizeof e) < 0) {
			ordset_free(&cand);
			ordset_free(&win);
			goto bad;
		}
		add_candidate(p, folder, &f, 1);
	}
	p->ncatalog += ordset_count(&win) - ordset_count(&cand);
	ordset_free(&cand);
	ordset_free(&win);
	return 0;
bad:
	/* the folder is listed instead: forget what this catalog added */
	while (p->files.n > nfiles)
		free(p->files.v[--p->files.n].path);
	p->niv = niv;
	p->nsealed--;
	warnx("%s (searching without it)", e);
	return -1;
}

struct believed {
	struct catalog *c;
	struct cat_file *f;      /* the table, in file-number order */
	uint32_t n;
	uint32_t *byname;        /* file numbers sorted by name */
	struct ordset cand;
};

static int
byname_cmp(const void *a, const void *b, void *arg)
{
	const struct cat_file *f = arg;

	return strcmp(f[*(const uint32_t *)a].name, f[*(const uint32_t *)b].name);
}

/* load a catalog's table, an order by name, and its candidates */
static int
believe(struct believed *b, struct catalog *c, const struct query *q, uint64_t start, uint64_t end)
{
	char e[512];

	memset(b, 0, sizeof *b);
	b->c = c;
	if (cat_files(c, &b->f, e, sizeof e) < 0) {
		warnx("%s (searching without it)", e);
		return -1;
	}
	if (cat_candidates(c, q, start, end, &b->cand, e, sizeof e) < 0) {
		warnx("%s (searching without it)", e);
		free(b->f);
		return -1;
	}
	b->n = cat_head(c)->nfiles;
	b->byname = xreallocarray(NULL, (size_t)b->n + 1, sizeof *b->byname);
	for (uint32_t i = 0; i < b->n; i++)
		b->byname[i] = i;
	if (b->n > 1)
		qsort_r(b->byname, b->n, sizeof *b->byname, byname_cmp, b->f);
	return 0;
}

static void
unbelieve(struct believed *b)
{
	free(b->f);
	free(b->byname);
	ordset_free(&b->cand);
}

/* the file number of a listed file that a catalog recorded with these inodes, or UINT32_MAX */
static uint32_t
lookup(struct believed *b, size_t nb, const struct arch_dirent *d, struct believed **which)
{
	for (size_t i = 0; i < nb; i++) {
		size_t lo = 0, hi = b[i].n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct cat_file *f = &b[i].f[b[i].byname[mid]];
			int r = strcmp(f->name, d->name);
			if (r < 0) {
				lo = mid + 1;
			} else if (r > 0) {
				hi = mid;
			} else {
				if (f->pcap_ino == d->ino &&
				    ((f->flags & CATF_SCAN) ? d->idx_ino == 0 : f->idx_ino == d->idx_ino)) {
					*which = &b[i];
					return b[i].byname[mid];
				}
				break;
			}
		}
	}
	return UINT32_MAX;
}

/* list a folder; its catalogs decide for the files they recorded */
static int
listed(struct plan *p, const char *folder, struct catalog **cats, size_t ncats, const struct query *q,
    uint64_t start, uint64_t end)
{
	struct believed b[MAXCATS];
	struct arch_dirlist l;
	char path[PATH_MAX];
	size_t nb = 0;

	p->nlisted++;
	if (arch_read_folder(folder, &l) < 0)
		return errno == ENOENT ? 0 : -1;
	for (size_t i = 0; i < ncats && l.n > 0; i++)
		if (believe(&b[nb], cats[i], q, start, end) == 0)
			nb++;
	for (size_t i = 0; i < l.n; i++) {
		const struct arch_dirent *d = &l.v[i];
		struct believed *w = NULL;
		uint32_t num;

		if (!d->partial && (num = lookup(b, nb, d, &w)) != UINT32_MAX) {
			const struct cat_file *f = &w->f[num];

			if (ordset_has(&w->cand, num)) {
				add_candidate(p, folder, f, 0);
			} else {
				if (!(f->flags & CATF_NOTIME) && (f->packets || (f->flags & CATF_SCAN)))
					add_ival(p, f->first_ns, f->last_ns);
				p->ncatalog += in_window(f, start, end);
			}
			continue;
		}
		if (snprintf(path, sizeof path, "%s/%s", folder, d->name) < (int)sizeof path)
			(void)arch_add_file(&p->files, path, d->name);
	}
	for (size_t i = 0; i < nb; i++)
		unbelieve(&b[i]);
	arch_dirlist_free(&l);
	return 0;
}

static uint64_t
mtime_of(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in DIR/.catalog, sorted (one listing, not 25 tries per folder) */
struct catnames {
	char **v;
	size_t n, cap;
};

static void
read_catnames(const char *cdir, struct catnames *cn)
{
	struct dirent *e;
	DIR *d;

	memset(cn, 0, sizeof *cn);
	if ((d = opendir(cdir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l <= strlen(CAT_SUFFIX) || strcmp(e->d_name + l - strlen(CAT_SUFFIX), CAT_SUFFIX) != 0)
			continue;
		if (cn->n == cn->cap) {
			cn->cap = cn->cap ? cn->cap * 2 : 64;
			cn->v = xreallocarray(cn->v, cn->cap, sizeof *cn->v);
		}
		cn->v[cn->n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (cn->n > 1)
		qsort(cn->v, cn->n, sizeof *cn->v, str_cmp);
}

static void
free_catnames(struct catnames *cn)
{
	for (size_t i = 0; i < cn->n; i++)
		free(cn->v[i]);
	free(cn->v);
}

/* the catalogs of one folder: whole first, then hours */
static size_t
open_cats(const char *root, const char *name, const struct catnames *cn, struct catalog **cats)
{
	char cpath[PATH_MAX], e[512];
	size_t n = 0;

	for (int h = CAT_WHOLE; h < 24; h++) {
		struct catalog *c;
		const char *base;
		if (cat_path(root, name, h, cpath, sizeof cpath) < 0)
			continue;
		base = strrchr(cpath, '/') + 1;
		if (cn->n == 0 || bsearch(&base, cn->v, cn->n, sizeof *cn->v, str_cmp) == NULL)
			continue;
		if ((c = cat_open(cpath, e, sizeof e)) == NULL) {
			if (errno != ENOENT)
				warnx("%s (searching without it)", e);
			continue;
		}
		cats[n++] = c;
	}
	return n;
}

int
plan_dir(struct plan *p, const char *root, const struct query *q, uint64_t start, uint64_t end)
{
	struct catalog *cats[MAXCATS];
	char path[PATH_MAX], cdir[PATH_MAX];
	struct catnames cn;
	struct dirent *e;
	struct stat st;
	int have_cats;
	DIR *d;

	if ((d = opendir(root)) == NULL)
		return -1;
	memset(&cn, 0, sizeof cn);
	have_cats = snprintf(cdir, sizeof cdir, "%s/%s", root, CAT_DIRNAME) < (int)sizeof cdir &&
	    getenv("PK_NO_CATALOG") == NULL;
	if (have_cats)
		read_catnames(cdir, &cn);
	while ((e = readdir(d)) != NULL) {
		size_t ncats = 0;
		int isdir;

		if (e->d_name[0] == '.' || snprintf(path, sizeof path, "%s/%s", root, e->d_name) >= (int)sizeof path)
			continue;
		if (e->d_type == DT_REG) {
			(void)arch_add_file(&p->files, path, e->d_name);
			continue;
		}
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		if (stat(path, &st) < 0)
			continue;
		isdir = S_ISDIR(st.st_mode);
		if (!isdir) {
			if (S_ISREG(st.st_mode))
				(void)arch_add_file(&p->files, path, e->d_name);
			continue;
		}
		if (cn.n)
			ncats = open_cats(root, e->d_name, &cn, cats);
		if (ncats > 0 && cat_head(cats[0])->hour == CAT_WHOLE && cat_head(cats[0])->dir_ino == (uint64_t)st.st_ino &&
		    cat_head(cats[0])->dir_mtime_ns == mtime_of(&st) && cat_head(cats[0])->dir_mtime_ns != 0 &&
		    sealed(p, path, cats[0], q, start, end) == 0) {
			for (size_t i = 0; i < ncats; i++)
				cat_close(cats[i]);
			continue;
		}
		(void)listed(p, path, cats, ncats, q, start, end);
		for (size_t i = 0; i < ncats; i++)
			cat_close(cats[i]);
	}
	closedir(d);
	free_catnames(&cn);
	return 0;
}

void
plan_free(struct plan *p)
{
	arch_list_free(&p->files);
	free(p->iv);
	memset(p, 0, sizeof *p);
}

/* the N of a worker part's name "wN" (pk-index(5), FILES), or -1 */
static long
part_number(const char *name)
{
	const char *errstr;
	long n;

	if (name[0] != 'w' || name[1] < '0' || name[1] > '9' || (name[1] == '0' && name[2] != '\0'))
		return -1;
	n = (long)strtonum(name + 1, 0, PLAN_MAXPARTS - 1, &errstr);
	return errstr == NULL ? n : -1;
}

static int
part_cmp(const void *a, const void *b)
{
	long x = part_number(strrchr(*(char *const *)a, '/') + 1);
	long y = part_number(strrchr(*(char *const *)b, '/') + 1);

	return x < y ? -1 : x > y;
}

int
plan_parts(char ***dirs, int *ndirs)
{
	char **v = NULL, *path;
	int nv = 0, i, first;
	struct dirent *e;
	struct stat st;
	DIR *d;

	for (i = 0; i < *ndirs; i++) {
		first = nv;
		if ((d = opendir((*dirs)[i])) != NULL) {
			while ((e = readdir(d)) != NULL) {
				if (part_number(e->d_name) < 0)
					continue;
				path = xasprintf("%s/%s", (*dirs)[i], e->d_name);
				if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
					free(path);
					continue;
				}
				v = xreallocarray(v, (size_t)nv + 1, sizeof *v);
				v[nv++] = path;
			}
			closedir(d);
		}
		if (nv > first)
			qsort(v + first, (size_t)(nv - first), sizeof *v, part_cmp);
		/* after its parts: their files are theirs (coverage takes the first root that holds a file) */
		v = xreallocarray(v, (size_t)nv + 1, sizeof *v);
		v[nv++] = (*dirs)[i];
	}
	free(*dirs);
	*dirs = v;
	i = nv - *ndirs;
	*ndirs = nv;
	return i;
}
