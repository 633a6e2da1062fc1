/*
 * indexer.c - pkindex's work (pkindex(1)): index the files a stream
 * announces as their packets go by, index pcaps in place, repair an
 * archive, dump an index.
 *
 * Stream mode keeps one builder per open file and nothing else.  A file
 * is indexed from the stream only when the stream saw all of it (the
 * close record's packet count matches, no gap, not recovered, and the
 * last packet ends where the file ends); otherwise it is indexed from
 * disk, which is always right because the pcap is the truth.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "catalog.h"
#include "catmaint.h"
#include "decode.h"
#include "fields.h"
#include "hook.h"
#include "idx.h"
#include "indexer.h"
#include "pcapfile.h"
#include "pk.h"
#include "stream.h"

struct ofile {
	uint32_t id;
	char *path;
	int ignored;             /* outside the archive: packets are skipped */
	int nsec;
	struct idx_builder *b;
	uint64_t expect;         /* where the next record must start: the stream covers the file from 24 */
	const char *broken;      /* why the stream cannot be the whole file, or NULL */
	struct pcapf_rec first, last;   /* as the stream gave them (offset, time, caplen) */
};

struct indexer {
	char **roots;            /* resolved -d directories */
	struct catmaint **cats;  /* their catalogs (NULL: off) */
	size_t nroots;
	struct ofile *f;
	size_t n, cap;
	size_t hit;              /* where ofile_find last found a file: the next packet's, nearly always */
	int status;
	uint64_t indexed, fromdisk, failed, removed, gone, kept, unsure;
};

/* -z: after an index is in place (indexer_hook) */
static const char *index_hook;

void
indexer_hook(const char *cmd)
{
	index_hook = cmd;
}

static void
indexed(const char *pcap)
{
	if (index_hook != NULL)
		(void)hook_run(index_hook, pcap);
}

struct indexer *
indexer_new(char **dirs, size_t ndirs)
{
	struct indexer *ix;
	char rp[PATH_MAX];

	ix = xcalloc(1, sizeof *ix);
	ix->roots = xcalloc(ndirs, sizeof *ix->roots);
	ix->cats = xcalloc(ndirs, sizeof *ix->cats);
	for (size_t i = 0; i < ndirs; i++) {
		/*
		 * Started beside a pkrotate that has not created the archive yet
		 * (both ends of a pipe start at once): create it as pkrotate would.
		 */
		if (realpath(dirs[i], rp) == NULL && (errno != ENOENT || pk_mkdirs(dirs[i], 0750) < 0 ||
		    realpath(dirs[i], rp) == NULL)) {
			warn("%s", dirs[i]);
			indexer_free(ix);
			return NULL;
		}
		ix->roots[ix->nroots] = xstrdup(rp);
		ix->cats[ix->nroots++] = catm_new(rp);
	}
	return ix;
}

/*
 * Called per packet; pkrotate may hold up to 64 finished files open
 * before their close records (its batches), so the last hit goes first.
 */
static struct ofile *
ofile_find(struct indexer *ix, uint32_t id)
{
	if (ix->hit < ix->n && ix->f[ix->hit].id == id)
		return &ix->f[ix->hit];
	for (size_t i = 0; i < ix->n; i++)
		if (ix->f[i].id == id)
			return &ix->f[ix->hit = i];
	return NULL;
}

static void
ofile_drop(struct indexer *ix, struct ofile *o)
{
	idxb_free(o->b);
	free(o->path);
	*o = ix->f[--ix->n];
}

/*
 * within: path lies under the archive.  Judged by its directory: the
 * file itself may be gone already (a .part renamed, a pcap aged out)
 * by the time its record arrives here.
 */
static int
within(struct indexer *ix, const char *path)
{
	char dir[PATH_MAX], *slash;

	if (strlcpy(dir, path, sizeof dir) >= sizeof dir || (slash = strrchr(dir, '/')) == NULL ||
	    slash[1] == '\0' || strcmp(slash + 1, "..") == 0 || strcmp(slash + 1, ".") == 0)
		return 0;
	*(slash == dir ? slash + 1 : slash) = '\0';
	if (arch_path_within(dir, ix->roots, ix->nroots))
		return 1;
	/*
	 * Its folder gone too (retention emptied and removed it before this
	 * record came): judged by the name alone, a root and no "." or ".."
	 * on the way, so that it is counted as removed, not as foreign.
	 */
	if (access(dir, F_OK) == 0 || errno != ENOENT || strstr(path, "/./") || strstr(path, "/../"))
		return 0;
	for (size_t i = 0; i < ix->nroots; i++) {
		size_t n = strlen(ix->roots[i]);
		if (strncmp(path, ix->roots[i], n) == 0 && path[n] == '/')
			return 1;
	}
	return 0;
}

/* the catalogs of the root that holds path hear about it (catmaint ignores paths not its own) */
static void
cat_indexed(struct indexer *ix, const char *path)
{
	for (size_t i = 0; i < ix->nroots; i++)
		catm_indexed(ix->cats[i], path);
}

static void
cat_tick(struct indexer *ix, int final)
{
	for (size_t i = 0; i < ix->nroots; i++)
		catm_tick(ix->cats[i], final);
}

/* "DIR" or "DIR1 or DIR2 ...", for messages */
static const char *
roots_text(const struct indexer *ix)
{
	static char t[PATH_MAX + 16];

	snprintf(t, sizeof t, "%s%s", ix->roots[0], ix->nroots > 1 ? " (or the other -d)" : "");
	return t;
}

/*
 * index a pcap from disk; reason says why on stderr (NULL: quietly).
 * 0, -1 failed, 1 the pcap is gone (gone_ok: retention deleted it before
 * we got to it, which is not a failure: nothing is left to index).
 */
static int
build_disk(const char *path, const char *reason, int *status, int gone_ok)
{
	char e[1024];
	uint64_t n;

	if (gone_ok && access(path, F_OK) < 0 && errno == ENOENT)
		return 1;
	if (reason)
		warnx("%s: %s: indexing from disk", path, reason);
	if (idx_build_from_pcap(path, &n, e, sizeof e) < 0) {
		if (gone_ok && errno == ENOENT)
			return 1;
		warnx("%s", e);
		*status = pk_exit_merge(*status, errno == ENOENT || errno == EACCES ? EX_NOINPUT : EX_DATAERR);
		return -1;
	}
	if (e[0]) {
		/* the file is damaged there (tcpdump stops there too): indexed, but data is lost */
		warnx("%s (indexed the %llu whole packets before it)", e, (unsigned long long)n);
		*status = pk_exit_merge(*status, EX_DATAERR);
	}
	indexed(path);
	return 0;
}

static void
on_open(struct indexer *ix, const struct rec_file *rf)
{
	struct ofile *o;

	if ((o = ofile_find(ix, rf->id)) != NULL)
		ofile_drop(ix, o);     /* reopened without a close: the old one is lost */
	if (ix->n == ix->cap) {
		size_t nc = ix->cap ? ix->cap * 2 : 8;
		void *nf = xreallocarray(ix->f, nc, sizeof *ix->f);
		ix->f = nf;
		ix->cap = nc;
	}
	o = &ix->f[ix->n++];
	memset(o, 0, sizeof *o);
	o->id = rf->id;
	o->path = xstrdup(rf->path);
	o->nsec = rf->flags & FOPEN_NSEC ? 1 : 0;
	o->expect = PCAP_FILEHDR;
	if (!within(ix, rf->path)) {
		warnx("%s: not under %s: not indexed", rf->path, roots_text(ix));
		o->ignored = 1;
		return;
	}
	o->b = idxb_new(rf->linktype, rf->snaplen, o->nsec);
}

static void
on_packet(struct indexer *ix, const struct pk_rec *r)
{
	struct pk_pkt p;
	struct pk_ann a;
	struct pk_fields f;
	struct ofile *o;
	uint64_t ts, off;
	uint32_t id;

	if (pkt_parse(r, &p) < 0 || !loc_get(&p, &id, &off))
		return;
	if ((o = ofile_find(ix, id)) == NULL || o->ignored)
		return;
	if (!pkt_ann(&p, ANN_FIELDS, &a) || fields_decode(a.val, a.len, &f) < 0) {
		decode_packet(p.linktype, p.data, p.caplen, &f);
		/*
		 * Headers that run past the bytes pkrotate forwarded (-H): only
		 * the pcap can tell what they hold, and the index must say what
		 * an index built from it says.  Rare (an 800-byte IPv6 header
		 * chain); the file is indexed from disk when it closes.
		 */
		if ((p.flags & PKT_CUT) && (f.present & FLD_TRUNC) && o->broken == NULL)
			o->broken = "a packet's headers run past the bytes forwarded (pkrotate -H)";
	}
	/* the time as the file holds it: a microsecond file truncates */
	ts = o->nsec ? p.ts_ns : p.ts_ns - p.ts_ns % 1000;
	/*
	 * The stream must be the whole file, record after record from the
	 * first at 24: a packet it skips would be a packet the index hides.
	 * (A record cut to the file's snapshot length breaks the chain too:
	 * such a file is indexed from disk.)
	 */
	if (o->broken == NULL && off != o->expect)
		o->broken = "a record of the file is not in the stream (offsets not contiguous)";
	/* origcap: the record in the file, whether or not its payload was forwarded */
	o->expect = off <= UINT64_MAX - PCAP_RECHDR - p.origcap ? off + PCAP_RECHDR + p.origcap : UINT64_MAX;
	o->last.offset = off;
	o->last.ts_ns = ts;
	o->last.caplen = p.origcap;
	if (idxb_count(o->b) == 0)
		o->first = o->last;
	idxb_add(o->b, off, ts, p.origcap, &f);
}

/*
 * The stream's first and last records are the pcap's (two reads): with
 * the chain of offsets and the size, a stream that does not describe this
 * pcap is caught here, one that lies only in between by --repair.
 */
static const char *
ends_match(const struct ofile *o, const char *path)
{
	const struct pcapf_rec *want[2] = { &o->first, &o->last };
	struct pcapf pf;
	struct pcapf_rec r;
	char e[1024];
	const char *why = NULL;

	if (idxb_count(o->b) == 0)
		return NULL;
	if (pcapf_open(&pf, path, e, sizeof e) < 0)
		return "cannot read the pcap";
	for (int i = 0; i < 2 && why == NULL; i++)
		if (pcapf_read_at(&pf, want[i]->offset, &r, e, sizeof e) < 0 || r.ts_ns != want[i]->ts_ns ||
		    r.caplen != want[i]->caplen || r.disklen != r.caplen)
			why = i == 0 ? "the stream's first record is not the pcap's" :
			    "the stream's last record is not the pcap's";
	pcapf_close(&pf);
	return why;
}

static void
on_close(struct indexer *ix, const struct rec_file *rf)
{
	struct ofile *o = ofile_find(ix, rf->id);
	const char *path;
	const char *why = NULL;
	struct stat st;
	char e[1024];
	int rc;

	if (o == NULL) {
		/*
		 * We joined after this file was opened (pkindex restarted on
		 * its FIFO): the close names the published file, so the pcap
		 * on disk is complete; index it from there.
		 */
		if (rf->path == NULL || !within(ix, rf->path))
			return;
		if ((rc = build_disk(rf->path, "opened before this pkindex started", &ix->status, 1)) == 0)
			ix->fromdisk++;
		else if (rc > 0)
			ix->gone++;
		else
			ix->failed++;
		cat_indexed(ix, rf->path);
		cat_tick(ix, 0);
		return;
	}
	if (o->ignored) {
		ofile_drop(ix, o);
		return;
	}
	path = rf->path ? rf->path : o->path;
	if (rf->path && !within(ix, path)) {
		warnx("%s: not under %s: not indexed", path, roots_text(ix));
		ofile_drop(ix, o);
		return;
	}
	if (rf->flags & FCLOSE_RECOVERED)
		why = "recovered after a crash";
	else if (rf->flags & FCLOSE_GAP)
		why = "not every packet was forwarded";
	else if (idxb_count(o->b) != rf->packets)
		why = "packet count differs from the stream's";
	else if (o->broken)
		why = o->broken;
	else if (stat(path, &st) < 0)
		why = "cannot stat";
	else if ((uint64_t)st.st_size != o->expect)
		why = "the stream's last record does not end where the file ends";
	else
		why = ends_match(o, path);
	if (why == NULL && idxb_write(o->b, path, (uint64_t)st.st_size, e, sizeof e) < 0) {
		warnx("%s", e);
		why = "index write failed";
	}
	if (why == NULL) {
		ix->indexed++;
		indexed(path);
	} else if ((rc = build_disk(path, why, &ix->status, 1)) == 0)
		ix->fromdisk++;
	else if (rc > 0)
		ix->gone++;         /* retention took it first: -A on old data */
	else
		ix->failed++;
	cat_indexed(ix, path);   /* before the drop: path may be o->path */
	ofile_drop(ix, o);
	cat_tick(ix, 0);
}

static void
on_remove(struct indexer *ix, const struct rec_file *rf)
{
	struct ofile *o = ofile_find(ix, rf->id);
	char ipath[PATH_MAX];
	struct stat st;

	if (o != NULL && strcmp(o->path, rf->path) == 0)
		ofile_drop(ix, o);
	if (!within(ix, rf->path) ||
	    (size_t)snprintf(ipath, sizeof ipath, "%s%s", rf->path, IDX_SUFFIX) >= sizeof ipath)
		return;
	/* pkrotate removes the pcap first: an index whose pcap is still there is not an orphan */
	if (lstat(rf->path, &st) == 0 || errno != ENOENT) {
		if (ix->kept++ == 0)
			warnx("%s: removal announced but the file is still there: its index is kept", rf->path);
		return;
	}
	if (unlink(ipath) == 0)
		ix->removed++;
	else if (errno != ENOENT)
		warn("%s", ipath);
	for (size_t i = 0; i < ix->nroots; i++)
		catm_removed(ix->cats[i], rf->path);
}

void
indexer_lost(struct indexer *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		if (ix->f[i].broken == NULL)
			ix->f[i].broken = "records were lost in the stream (garbage, a resynchronisation)";
}

void
indexer_record(struct indexer *ix, const struct pk_rec *r, int unsure)
{
	struct rec_file rf;

	switch (r->type) {
	case REC_PACKET:
		on_packet(ix, r);
		break;
	case REC_FILE_OPEN:
	case REC_FILE_CLOSE:
	case REC_FILE_REMOVE:
		/*
		 * Just after a resynchronisation a record may be bytes of a
		 * packet: what it would make us do (index, replace, remove) is
		 * not done; --repair indexes what this leaves out.
		 */
		if (unsure) {
			ix->unsure++;
			break;
		}
		if (rec_file_parse(r, &rf) < 0) {
			warnx("malformed file record (type %u) skipped", r->type);
			ix->status = pk_exit_merge(ix->status, EX_DATAERR);
		} else if (r->type == REC_FILE_OPEN) {
			on_open(ix, &rf);
		} else if (r->type == REC_FILE_CLOSE) {
			on_close(ix, &rf);
		} else {
			on_remove(ix, &rf);
		}
		break;
	default:
		break;      /* pkindex is the end of a pipeline */
	}
}

int
indexer_finish(struct indexer *ix)
{
	size_t open = 0;

	for (size_t i = 0; i < ix->n; i++)
		open += !ix->f[i].ignored;
	if (open)
		warnx("%zu file(s) still open at end of input: not indexed (pkindex --repair will)", open);
	cat_tick(ix, 1);
	if (ix->fromdisk || ix->failed || ix->gone)
		warnx("indexed %llu from the stream, %llu from disk, %llu failed, %llu removed before they "
		    "could be indexed", (unsigned long long)ix->indexed, (unsigned long long)ix->fromdisk,
		    (unsigned long long)ix->failed, (unsigned long long)ix->gone);
	if (ix->unsure)
		warnx("%llu file records just after a resynchronisation were not acted on "
		    "(pkindex --repair indexes their files)", (unsigned long long)ix->unsure);
	if (ix->kept)
		warnx("%llu removals of files that are still there: their indexes were kept",
		    (unsigned long long)ix->kept);
	return ix->status;
}

void
indexer_free(struct indexer *ix)
{
	if (ix == NULL)
		return;
	while (ix->n > 0)
		ofile_drop(ix, &ix->f[ix->n - 1]);
	free(ix->f);
	for (size_t i = 0; i < ix->nroots; i++) {
		free(ix->roots[i]);
		catm_free(ix->cats[i]);
	}
	free(ix->roots);
	free(ix->cats);
	free(ix);
}

void
indexer_idle(struct indexer *ix)
{
	cat_tick(ix, CATM_IDLE);
}

int
indexer_files(char **dirs, size_t ndirs, char **files, int nfiles)
{
	struct catmaint **cats;
	char rp[PATH_MAX];
	int status = EX_OK;

	cats = xcalloc(ndirs + 1, sizeof *cats);
	for (size_t i = 0; i < ndirs; i++) {
		if (access(dirs[i], F_OK) < 0 || realpath(dirs[i], rp) == NULL) {
			warn("%s", dirs[i]);
			while (i-- > 0)
				catm_free(cats[i]);
			free(cats);
			return EX_NOINPUT;
		}
		cats[i] = catm_new(rp);
	}
	for (int i = 0; i < nfiles; i++) {
		if (access(files[i], R_OK) < 0) {
			warn("%s", files[i]);
			status = pk_exit_merge(status, EX_NOINPUT);
		} else if (!arch_path_within(files[i], dirs, ndirs)) {
			warnx("%s: not under %s%s: not indexed", files[i], dirs[0], ndirs > 1 ? " (or the other -d)" : "");
			status = pk_exit_merge(status, EX_USAGE);
		} else if (build_disk(files[i], NULL, &status, 0) == 0 && realpath(files[i], rp) != NULL) {
			/* pcapfile says what is not a classic pcap (pcapng: how to convert it) */
			for (size_t d = 0; d < ndirs; d++)
				catm_indexed(cats[d], rp);
		}
	}
	for (size_t d = 0; d < ndirs; d++) {
		catm_tick(cats[d], 1);
		catm_free(cats[d]);
	}
	free(cats);
	return status;
}

/*
 * 1 if the index of pcap is usable as it is; deep: its records are the
 * pcap's, one by one.  An index of an older version that is still read
 * (version 2: pkfind uses it until now) is rebuilt in the current one:
 * 0 and *old set.
 */
static int
index_ok(const char *pcap, const char *ipath, int deep, int *old)
{
	char e[1024];
	struct idx *x = idx_open(ipath, e, sizeof e);
	int ok;

	*old = 0;
	if (x == NULL) {
		warnx("%s", e);
		return 0;
	}
	if (idx_get_meta(x)->version < idx_write_version()) {
		warnx("%s: index version %u: rebuilt as version %u", ipath, idx_get_meta(x)->version,
		    idx_write_version());
		idx_close(x);
		*old = 1;
		return 0;
	}
	ok = idx_matches_pcap(x, pcap);
	if (!ok)
		warnx("%s: does not match its pcap", ipath);
	else if (idx_verify(x, e, sizeof e) < 0) {
		warnx("%s", e);
		ok = 0;
	} else if (deep && (ok = verify_records(x, pcap, e, sizeof e)) <= 0) {
		warnx("%s: %s", ipath, e);
		ok = 0;
	}
	idx_close(x);
	return ok;
}

/*
 * Indexes whose pcap is gone (deleted while no pkindex was reading the
 * stream), and temporary files of builders that died: removed.  Walks dir
 * and two levels below, as deep as the archive layout goes.
 */
static void
remove_orphans(const char *dir, int depth, uint64_t *removed)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX], pcap[PATH_MAX];
	struct stat st;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *tmp;
		size_t len = strlen(n);
		if (n[0] == '.' || (size_t)snprintf(path, sizeof path, "%s/%s", dir, n) >= sizeof path ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < 2)
				remove_orphans(path, depth + 1, removed);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if ((tmp = strstr(n, IDX_SUFFIX ".tmp.")) != NULL) {
			long pid = strtol(tmp + strlen(IDX_SUFFIX ".tmp."), NULL, 10);
			if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
				if (unlink(path) == 0)
					(*removed)++;
			}
			continue;
		}
		if (len <= strlen(IDX_SUFFIX) || strcmp(n + len - strlen(IDX_SUFFIX), IDX_SUFFIX) != 0)
			continue;
		strlcpy(pcap, path, sizeof pcap);
		pcap[strlen(pcap) - strlen(IDX_SUFFIX)] = '\0';
		if (access(pcap, F_OK) < 0 && errno == ENOENT && unlink(path) == 0)
			(*removed)++;
	}
	closedir(d);
}

static int
repair_dir(const char *dir)
{
	struct arch_list l;
	struct timespec began, stamp;
	char ipath[PATH_MAX], rp[PATH_MAX];
	uint64_t checked = 0, built = 0, rebuilt = 0, failed = 0, removed = 0, upgraded = 0;
	int status = EX_OK, tty = isatty(2), have_stamp;

	memset(&l, 0, sizeof l);
	clock_gettime(CLOCK_REALTIME, &began);
	have_stamp = stamp_read(dir, &stamp) == 0;
	if (arch_scan(dir, &l) < 0) {
		warn("%s", dir);
		return EX_NOINPUT;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct arch_file *a = &l.v[i];
		int had, old = 0;
		if (a->partial)
			continue;
		checked++;
		if (tty)
			fprintf(stderr, "\r%s: checking %zu/%zu", pk_progname, i + 1, l.n);
		if ((size_t)snprintf(ipath, sizeof ipath, "%s%s", a->path, IDX_SUFFIX) >= sizeof ipath)
			continue;
		had = access(ipath, F_OK) == 0;
		/* an index the last repair checked record by record needs only the cheap checks */
		if (had && index_ok(a->path, ipath, !have_stamp || !stamp_older(&stamp, ipath), &old))
			continue;
		if (tty)
			fputc('\n', stderr);
		if (build_disk(a->path, NULL, &status, 1) < 0)
			failed++;
		else if (had) {
			rebuilt++;
			upgraded += old;
		}
		else
			built++;
	}
	if (tty && l.n)
		fputc('\n', stderr);
	arch_list_free(&l);
	remove_orphans(dir, 0, &removed);
	if (removed)
		warnx("removed %llu index file(s) without a pcap or left by a dead builder", (unsigned long long)removed);
	printf("checked %llu, built %llu, rebuilt %llu, failed %llu", (unsigned long long)checked,
	    (unsigned long long)built, (unsigned long long)rebuilt, (unsigned long long)failed);
	if (upgraded)
		printf("; %llu of an older index version rebuilt as version %u", (unsigned long long)upgraded,
		    idx_write_version());
	putchar('\n');
	if (realpath(dir, rp) != NULL) {
		struct catm_counts cn = { 0, 0, 0, 0 };
		catm_repair(rp, &cn);
		printf("catalogs: folders %llu, built %llu, removed %llu, failed %llu\n", (unsigned long long)cn.checked,
		    (unsigned long long)cn.built, (unsigned long long)cn.removed, (unsigned long long)cn.failed);
		if (cn.failed) {
			status = pk_exit_merge(status, EX_IOERR);
			failed++;
		}
	}
	/* what was built or checked before this run began is checked for good */
	if (failed == 0)
		stamp_write(dir, &began);
	return status;
}

int
indexer_repair(char **dirs, size_t ndirs)
{
	int status = EX_OK;

	for (size_t i = 0; i < ndirs; i++) {
		int st = repair_dir(dirs[i]);
		status = pk_exit_merge(status, st);
	}
	return status;
}

static int
dump_catalog(const char *path)
{
	char e[1024];
	struct catalog *c = cat_open(path, e, sizeof e);
	int rc;

	if (c == NULL) {
		warnx("%s", e);
		return access(path, R_OK) < 0 ? EX_NOINPUT : EX_DATAERR;
	}
	rc = cat_dump(c, stdout);
	cat_close(c);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			warn("stdout");
		return EX_IOERR;
	}
	return rc < 0 ? EX_DATAERR : EX_OK;
}

int
indexer_dump(const char *ipath)
{
	char e[1024];
	struct idx *x;
	size_t n = strlen(ipath);
	int rc;

	if (n > strlen(CAT_SUFFIX) && strcmp(ipath + n - strlen(CAT_SUFFIX), CAT_SUFFIX) == 0)
		return dump_catalog(ipath);
	x = idx_open(ipath, e, sizeof e);
	if (x == NULL) {
		warnx("%s", e);
		return access(ipath, R_OK) < 0 ? EX_NOINPUT : EX_DATAERR;
	}
	rc = idx_dump(x, stdout);
	idx_close(x);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			warn("stdout");
		return EX_IOERR;
	}
	return rc < 0 ? EX_DATAERR : EX_OK;
}
