/*
 * catmaint.c - pkindex keeping the archive's catalogs (catmaint.h).
 *
 * Hour catalogs (FOLDER.HH.cat) are rewritten once CATM_BATCH files of
 * that hour were indexed over CATM_AGE_NS, and when a later hour begins;
 * each rewrite lists the folder and takes every finished, indexed file of
 * the hour, so a restarted pkindex or a file indexed from disk is picked
 * up by the next one.  A folder is complete once a file of a later folder has been
 * indexed (or at the end of input, or by --repair); a complete folder
 * without a file being written gets one catalog (FOLDER.cat) sealed with
 * the folder's inode and modification time, taken when the folder had
 * been still for CAT_SETTLE_NS, and its hour catalogs are removed.
 * Removals (retention) unseal a folder; it is rebuilt after 16 of them,
 * at the end of input, or by --repair.  Every catalog is built in a
 * temporary file and renamed, so kill -9 leaves the old one or the new one.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "catalog.h"
#include "catmaint.h"
#include "pk.h"

#define REMOVALS_REBUILD 16

struct pend {
	char *folder;
	int hour;
	unsigned n;              /* files indexed since its catalog was written */
	uint64_t since;          /* when the first of them was */
	int due;
};

struct fold {
	char *folder;
	int complete;            /* a later folder has begun */
	unsigned removed;
};

struct catmaint {
	char *root;
	struct pend *p;
	size_t np;
	struct fold *f;
	size_t nf;
	char last_folder[NAME_MAX + 1];
	int last_hour;
};

static uint64_t
mtime_of(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

struct catmaint *
catm_new(const char *root)
{
	struct catmaint *m;

	if (getenv("PK_NO_CATALOG") != NULL)
		return NULL;
	m = xcalloc(1, sizeof *m);
	m->root = xstrdup(root);
	m->last_hour = -2;
	return m;
}

void
catm_free(struct catmaint *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->np; i++)
		free(m->p[i].folder);
	for (size_t i = 0; i < m->nf; i++)
		free(m->f[i].folder);
	free(m->p);
	free(m->f);
	free(m->root);
	free(m);
}

/* path = ROOT/FOLDER/NAME with FOLDER one level down: folder and name into the buffers */
static int
split(const struct catmaint *m, const char *path, char folder[NAME_MAX + 1], char name[NAME_MAX + 1])
{
	size_t rl = strlen(m->root);
	const char *rest, *slash;

	if (strncmp(path, m->root, rl) != 0 || path[rl] != '/')
		return -1;
	rest = path + rl + 1;
	if ((slash = strchr(rest, '/')) == NULL || slash == rest || strchr(slash + 1, '/') != NULL ||
	    (size_t)(slash - rest) > NAME_MAX || strlen(slash + 1) > NAME_MAX || rest[0] == '.')
		return -1;
	memcpy(folder, rest, (size_t)(slash - rest));
	folder[slash - rest] = '\0';
	strlcpy(name, slash + 1, NAME_MAX + 1);
	return 0;
}

static struct fold *
fold_get(struct catmaint *m, const char *folder)
{
	struct fold *f;

	for (size_t i = 0; i < m->nf; i++)
		if (strcmp(m->f[i].folder, folder) == 0)
			return &m->f[i];
	f = xreallocarray(m->f, m->nf + 1, sizeof *m->f);
	m->f = f;
	f = &m->f[m->nf++];
	memset(f, 0, sizeof *f);
	f->folder = xstrdup(folder);
	return f;
}

static void
pend_mark(struct catmaint *m, const char *folder, int hour, int due)
{
	struct pend *p;

	for (size_t i = 0; i < m->np; i++)
		if (m->p[i].hour == hour && strcmp(m->p[i].folder, folder) == 0) {
			m->p[i].n += !due;
			m->p[i].due |= due;
			return;
		}
	if (due)
		return;
	p = xreallocarray(m->p, m->np + 1, sizeof *m->p);
	m->p = p;
	p = &m->p[m->np++];
	memset(p, 0, sizeof *p);
	p->folder = xstrdup(folder);
	p->hour = hour;
	p->n = 1;
	p->since = pk_now_ns(CLOCK_REALTIME);
}

void
catm_indexed(struct catmaint *m, const char *path)
{
	char folder[NAME_MAX + 1], name[NAME_MAX + 1];
	int hour;

	if (m == NULL || split(m, path, folder, name) < 0)
		return;
	hour = arch_is_day(folder) ? arch_name_hour(name) : CAT_WHOLE;
	if (arch_is_day(folder) && hour < 0)
		hour = CAT_WHOLE;    /* not a layout name: picked up when the folder is sealed */
	/* files arrive in time order: a new hour completes the last one, a new folder the last folder */
	if (m->last_folder[0] && (strcmp(m->last_folder, folder) != 0 || m->last_hour != hour)) {
		pend_mark(m, m->last_folder, m->last_hour, 1);
		if (strcmp(m->last_folder, folder) != 0)
			fold_get(m, m->last_folder)->complete = 1;
	}
	strlcpy(m->last_folder, folder, sizeof m->last_folder);
	m->last_hour = hour;
	if (hour != CAT_WHOLE || !arch_is_day(folder))
		pend_mark(m, folder, hour, 0);
	(void)fold_get(m, folder);
}

void
catm_removed(struct catmaint *m, const char *path)
{
	char folder[NAME_MAX + 1], name[NAME_MAX + 1];

	if (m == NULL || split(m, path, folder, name) < 0)
		return;
	fold_get(m, folder)->removed++;
}

/* ---- building ---- */

/* a catalog that opens (and with check, reads whole), or NULL: it is rebuilt */
static struct catalog *
open_source(const char *path, int check)
{
	char e[512];
	struct catalog *c = cat_open(path, e, sizeof e);

	if (c == NULL) {
		if (errno != ENOENT)
			warnx("%s (rebuilding it)", e);
		return NULL;
	}
	if (check && cat_verify(c, e, sizeof e) < 0) {
		warnx("%s (rebuilding it)", e);
		cat_close(c);
		return NULL;
	}
	return c;
}

/* which listed files a source catalog still describes: same name, same inodes, once */
struct keepctx {
	const struct arch_dirlist *l;
	uint8_t *taken;
	int hour;                /* only files of this hour, or CAT_WHOLE */
};

static int
keep_listed(void *arg, const struct cat_file *f)
{
	struct keepctx *k = arg;
	const struct arch_dirent *d = arch_dirlist_find(k->l, f->name);
	size_t i;

	if (d == NULL || d->partial || d->ino != f->pcap_ino || (k->hour != CAT_WHOLE && arch_name_hour(f->name) != k->hour))
		return 0;
	/* a file to scan stays only while it still has no index; an indexed one while it has the same */
	if ((f->flags & CATF_SCAN) ? d->idx_ino != 0 : d->idx_ino != f->idx_ino)
		return 0;
	i = (size_t)(d - k->l->v);
	if (k->taken[i])
		return 0;
	k->taken[i] = 1;
	return 1;
}

/*
 * build: the catalog at cpath for the listed files of hour (CAT_WHOLE: all)
 * from the sources that still describe them and, for the rest, their
 * indexes (unindexed files only when whole).  Sealed with st when seal.
 * 0 written (or removed, when nothing is left), -1 failed.
 */
static int
build(struct catmaint *m, const char *folder, const struct arch_dirlist *l, int hour, struct catalog **src,
    size_t nsrc, const char *cpath, const struct stat *seal)
{
	char fpath[PATH_MAX], e[1024];
	struct cat_builder *b = catb_new();
	struct keepctx k = { l, xcalloc(l->n + 1, 1), hour };
	int rc = 0;

	snprintf(fpath, sizeof fpath, "%s/%s", m->root, folder);
	catb_folder(b, fpath);
	for (size_t s = 0; s < nsrc && rc == 0; s++)
		if (src[s] && catb_add_catalog(b, src[s], keep_listed, &k, e, sizeof e) < 0) {
			warnx("%s", e);
			rc = -1;
		}
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		const struct arch_dirent *d = &l->v[i];
		if (k.taken[i] || d->partial || (hour != CAT_WHOLE && arch_name_hour(d->name) != hour) ||
		    (hour != CAT_WHOLE && d->idx_ino == 0))
			continue;
		if (catb_add_file(b, fpath, d->name, e, sizeof e) < 0 && errno != ENOENT)
			warnx("%s", e);   /* gone since the listing: nothing to catalog */
	}
	if (rc == 0) {
		if (catb_count(b) == 0) {
			if (unlink(cpath) < 0 && errno != ENOENT)
				warn("%s", cpath);
		} else if (catb_write(b, cpath, hour, seal ? (uint64_t)seal->st_ino : 0, seal ? mtime_of(seal) : 0, e,
		    sizeof e) < 0) {
			warnx("%s", e);
			rc = -1;
		}
	}
	catb_free(b);
	free(k.taken);
	return rc;
}

/* DIR/.catalog, made with the archive's group (the root's, as pkrotate -g gives it) */
static int
catdir(const struct catmaint *m)
{
	char d[PATH_MAX];
	struct stat rs;

	struct stat cs;

	snprintf(d, sizeof d, "%s/%s", m->root, CAT_DIRNAME);
	if (mkdir(d, 0750) < 0 && errno != EEXIST) {
		warn("%s", d);
		return -1;
	}
	/* also later: the root may get its group after we made the folder (pkrotate -g starting beside us) */
	if (stat(m->root, &rs) == 0 && stat(d, &cs) == 0 && cs.st_gid != rs.st_gid &&
	    (chown(d, (uid_t)-1, rs.st_gid) < 0 || chmod(d, 0750) < 0))
		warn("cannot give %s the group of %s", d, m->root);
	return 0;
}

/* rewrite the catalog of one hour of a folder (or a whole non-date folder, unsealed) */
static int
write_part(struct catmaint *m, const char *folder, int hour, int check)
{
	char fpath[PATH_MAX], cpath[PATH_MAX];
	struct arch_dirlist l;
	struct catalog *old;
	int rc;

	if (snprintf(fpath, sizeof fpath, "%s/%s", m->root, folder) >= (int)sizeof fpath ||
	    cat_path(m->root, folder, hour, cpath, sizeof cpath) < 0 || catdir(m) < 0)
		return -1;
	if (arch_read_folder(fpath, &l) < 0)
		return errno == ENOENT ? 0 : -1;
	old = open_source(cpath, check);
	rc = build(m, folder, &l, hour, &old, 1, cpath, NULL);
	cat_close(old);
	arch_dirlist_free(&l);
	return rc;
}

/*
 * seal: one sealed catalog for the whole folder, from its catalogs and the
 * indexes of files they lack; the hour catalogs go.  wait: sleep until the
 * folder is still.  1 sealed, 0 not now (a file is being written, or the
 * folder is not still), -1 failed.
 */
static int
seal(struct catmaint *m, const char *folder, int wait, int check)
{
	char fpath[PATH_MAX], cpath[PATH_MAX], hpath[PATH_MAX];
	struct catalog *src[25];
	struct arch_dirlist l;
	struct stat st0, st1;
	uint64_t t, settle;
	int rc, partial = 0;

	if (snprintf(fpath, sizeof fpath, "%s/%s", m->root, folder) >= (int)sizeof fpath ||
	    cat_path(m->root, folder, CAT_WHOLE, cpath, sizeof cpath) < 0 || catdir(m) < 0)
		return -1;
	if (stat(fpath, &st0) < 0) {
		if (errno != ENOENT)
			return -1;
		/* the folder is gone (retention): so are its catalogs */
		(void)unlink(cpath);
		for (int h = 0; h < 24; h++)
			if (cat_path(m->root, folder, h, hpath, sizeof hpath) == 0)
				(void)unlink(hpath);
		return 1;
	}
	t = pk_now_ns(CLOCK_REALTIME);
	settle = st0.st_mtim.tv_nsec == 0 ? CAT_SETTLE_COARSE_NS : CAT_SETTLE_NS;
	if (mtime_of(&st0) + settle > t) {
		uint64_t d = mtime_of(&st0) + settle - t;
		struct timespec ts = { (time_t)(d / 1000000000u), (long)(d % 1000000000u) };

		if (!wait || mtime_of(&st0) > t)
			return 0;
		nanosleep(&ts, NULL);
		if (stat(fpath, &st0) < 0 || mtime_of(&st0) + settle > pk_now_ns(CLOCK_REALTIME))
			return 0;
	}
	if (arch_read_folder(fpath, &l) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++)
		partial |= l.v[i].partial;
	if (partial) {
		arch_dirlist_free(&l);
		return 0;
	}
	src[0] = open_source(cpath, check);
	for (int h = 0; h < 24; h++)
		src[1 + h] = cat_path(m->root, folder, h, hpath, sizeof hpath) == 0 ? open_source(hpath, check) : NULL;
	/* what was listed is what the seal vouches for: the folder must not have changed meanwhile */
	rc = build(m, folder, &l, CAT_WHOLE, src, 25, cpath, &st0);
	if (rc == 0 && (stat(fpath, &st1) < 0 || st1.st_ino != st0.st_ino || mtime_of(&st1) != mtime_of(&st0))) {
		/* changed under us: the catalog stays, unsealed in effect (its seal no longer matches) */
		rc = 0;
	}
	for (int i = 0; i < 25; i++)
		cat_close(src[i]);
	if (rc == 0)
		for (int h = 0; h < 24; h++)
			if (cat_path(m->root, folder, h, hpath, sizeof hpath) == 0 && unlink(hpath) < 0 &&
			    errno != ENOENT)
				warn("%s", hpath);
	arch_dirlist_free(&l);
	return rc == 0 ? 1 : -1;
}

/* a folder with removals: rebuilt sealed, or its hour catalogs rewritten while a file is being written */
static int
rebuild_folder(struct catmaint *m, const char *folder, int wait, int check)
{
	char hpath[PATH_MAX];
	struct stat st;
	int rc = seal(m, folder, wait, check);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	for (int h = 0; h < 24; h++)
		if (cat_path(m->root, folder, h, hpath, sizeof hpath) == 0 && stat(hpath, &st) == 0 &&
		    write_part(m, folder, h, check) < 0)
			rc = -1;
	return rc;
}

void
catm_tick(struct catmaint *m, int final)
{
	size_t i, j;
	int idle = final == CATM_IDLE;

	if (idle)
		final = 0;

	if (m == NULL)
		return;
	for (i = j = 0; i < m->np; i++) {
		struct pend *p = &m->p[i];
		/*
		 * A batch waits CATM_AGE_NS too: files that arrive faster (an
		 * import) are catalogued once their hour is complete, not every
		 * few files, while a live capture's hour catalog trails it by
		 * CATM_BATCH files.
		 */
		if ((p->n >= CATM_BATCH && pk_now_ns(CLOCK_REALTIME) - p->since >= CATM_AGE_NS) || p->due || final || idle) {
			(void)write_part(m, p->folder, p->hour, 0);
			free(p->folder);
		} else {
			m->p[j++] = *p;
		}
	}
	m->np = j;
	for (i = j = 0; i < m->nf; i++) {
		struct fold *f = &m->f[i];
		int done = 0;
		/* non-date folders (pcaps indexed in place) are sealed at the end, as a whole */
		if (f->complete || final || f->removed >= REMOVALS_REBUILD)
			done = (f->removed ? rebuild_folder(m, f->folder, final, 0) : seal(m, f->folder, final, 0)) != 0 ||
			    final;
		if (done) {
			free(f->folder);
		} else {
			if (f->removed >= REMOVALS_REBUILD)
				f->removed = 0;     /* rewritten as parts; count afresh */
			m->f[j++] = *f;
		}
	}
	m->nf = j;
}

/* ---- repair ---- */

static void
remove_orphans(struct catmaint *m, struct catm_counts *n)
{
	char d[PATH_MAX], p[PATH_MAX], folder[NAME_MAX + 1];
	struct dirent *e;
	struct stat st;
	DIR *dp;

	snprintf(d, sizeof d, "%s/%s", m->root, CAT_DIRNAME);
	if ((dp = opendir(d)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		const char *nm = e->d_name, *tmp, *dot;
		int orphan = 0;

		if (nm[0] == '.' || snprintf(p, sizeof p, "%s/%s", d, nm) >= (int)sizeof p)
			continue;
		if ((tmp = strstr(nm, CAT_SUFFIX ".tmp.")) != NULL) {
			long pid = strtol(tmp + strlen(CAT_SUFFIX ".tmp."), NULL, 10);
			orphan = pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
		} else if (strlen(nm) > strlen(CAT_SUFFIX) && strcmp(nm + strlen(nm) - strlen(CAT_SUFFIX), CAT_SUFFIX) == 0) {
			/* FOLDER.cat or FOLDER.HH.cat: the folder must exist */
			size_t fl = strlen(nm) - strlen(CAT_SUFFIX);
			if ((dot = memrchr(nm, '.', fl)) != NULL && fl - (size_t)(dot - nm) == 3 &&
			    dot[1] >= '0' && dot[1] <= '2' && dot[2] >= '0' && dot[2] <= '9')
				fl = (size_t)(dot - nm);
			if (fl > NAME_MAX)
				continue;
			memcpy(folder, nm, fl);
			folder[fl] = '\0';
			char fp[PATH_MAX];
			if (snprintf(fp, sizeof fp, "%s/%s", m->root, folder) < (int)sizeof fp)
				orphan = stat(fp, &st) < 0 && errno == ENOENT;
		}
		if (orphan && unlink(p) == 0)
			n->removed++;
	}
	closedir(dp);
}

/* a sealed whole catalog that still matches its folder and reads whole */
static int
sealed_ok(struct catmaint *m, const char *folder)
{
	char fpath[PATH_MAX], cpath[PATH_MAX], e[512];
	struct catalog *c;
	struct stat st;
	int ok;

	snprintf(fpath, sizeof fpath, "%s/%s", m->root, folder);
	if (cat_path(m->root, folder, CAT_WHOLE, cpath, sizeof cpath) < 0 || stat(fpath, &st) < 0 ||
	    (c = cat_open(cpath, e, sizeof e)) == NULL)
		return 0;
	ok = cat_head(c)->dir_ino == (uint64_t)st.st_ino && cat_head(c)->dir_mtime_ns == mtime_of(&st);
	if (ok && cat_verify(c, e, sizeof e) < 0) {
		warnx("%s", e);
		ok = 0;
	}
	cat_close(c);
	return ok;
}

void
catm_repair(const char *root, struct catm_counts *n)
{
	struct catmaint *m = catm_new(root);
	struct dirent *e;
	DIR *dp;

	if (m == NULL)
		return;
	if ((dp = opendir(root)) == NULL) {
		catm_free(m);
		return;
	}
	while ((e = readdir(dp)) != NULL) {
		char fpath[PATH_MAX];
		struct arch_dirlist l;
		struct stat st;
		int rc, hours = 0;

		if (e->d_name[0] == '.' || snprintf(fpath, sizeof fpath, "%s/%s", root, e->d_name) >= (int)sizeof fpath ||
		    stat(fpath, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		n->checked++;
		if (sealed_ok(m, e->d_name)) {
			char hpath[PATH_MAX];
			for (int h = 0; h < 24; h++)
				if (cat_path(root, e->d_name, h, hpath, sizeof hpath) == 0)
					(void)unlink(hpath);    /* left by a crash between seal and cleanup */
			continue;
		}
		if ((rc = seal(m, e->d_name, 1, 1)) != 0) {
			if (rc > 0)
				n->built++;
			else
				n->failed++;
			continue;
		}
		/* a file is being written: hour catalogs (or the folder's, for other folders) */
		if (arch_read_folder(fpath, &l) < 0)
			continue;
		for (int h = 0; h < 24; h++) {
			int any = 0;
			for (size_t i = 0; i < l.n && !any; i++)
				any = !l.v[i].partial && l.v[i].idx_ino && arch_name_hour(l.v[i].name) == h;
			if (any && arch_is_day(e->d_name)) {
				hours++;
				if (write_part(m, e->d_name, h, 1) < 0)
					n->failed++;
			}
		}
		if (!arch_is_day(e->d_name) && write_part(m, e->d_name, CAT_WHOLE, 1) < 0)
			n->failed++;
		else if (hours || !arch_is_day(e->d_name))
			n->built++;
		arch_dirlist_free(&l);
	}
	closedir(dp);
	remove_orphans(m, n);
	catm_free(m);
}
