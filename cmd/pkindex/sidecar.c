/*
 * sidecar.c - pkindex -S (sidecar.h).
 *
 * Like an index, a sidecar is written to a temporary file beside its
 * pcap, synced and renamed into place, so a reader sees a whole one or
 * none; it is a spool file, not a cache: the shipper removes it once the
 * catalog holds it, and FILE_REMOVE removes an unshipped one with its pcap.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "decode.h"
#include "fields.h"
#include "idx.h"
#include "pcapfile.h"
#include "pk.h"
#include "session.h"
#include "sidecar.h"
#include "stream.h"

struct sfile {
	uint32_t id;
	int nsec;
	struct sess_table *t;
	uint64_t packets;
	uint64_t end;           /* offset just past the last packet seen */
	int broken;             /* records were lost while it was open */
};

struct sidecar {
	char **roots;
	size_t nroots;
	struct sfile *f;
	size_t n, cap;
	size_t hit;         /* where find last found a file (see indexer.c's ofile_find) */
	int status;
};

struct sidecar *
sidecar_new(char **dirs, size_t ndirs)
{
	struct sidecar *sc;
	char rp[PATH_MAX];

	sc = xcalloc(1, sizeof *sc);
	sc->roots = xcalloc(ndirs, sizeof *sc->roots);
	for (size_t i = 0; i < ndirs; i++) {
		if (realpath(dirs[i], rp) == NULL) {
			sidecar_free(sc);
			return NULL;
		}
		sc->roots[sc->nroots++] = xstrdup(rp);
	}
	return sc;
}

static struct sfile *
find(struct sidecar *sc, uint32_t id)
{
	if (sc->hit < sc->n && sc->f[sc->hit].id == id)
		return &sc->f[sc->hit];
	for (size_t i = 0; i < sc->n; i++)
		if (sc->f[i].id == id)
			return &sc->f[sc->hit = i];
	return NULL;
}

static void
drop(struct sidecar *sc, struct sfile *f)
{
	sess_free(f->t);
	*f = sc->f[--sc->n];
}

/* write t's sessions to <pcap>.sessions (temporary file, fsync, rename); 0 or -1 (said) */
static int
write_sidecar(const char *pcap, struct sess_table *t)
{
	char dst[PATH_MAX], tmp[PATH_MAX];
	FILE *fp;
	int fd, rc = 0;
	size_t i, n;

	if ((size_t)snprintf(dst, sizeof dst, "%s%s", pcap, SIDECAR_SUFFIX) >= sizeof dst ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid()) >= sizeof tmp) {
		warnx("%s: path too long", pcap);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		warn("%s", tmp);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	sess_sort(t, 0);
	n = sess_count(t);
	for (i = 0; i < n && rc == 0; i++)
		rc = sess_print_json(fp, t, sess_get(t, i));
	if (rc < 0 || fflush(fp) == EOF || fsync(fd) < 0 || ferror(fp)) {
		warn("%s", tmp);
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(fp) == EOF || rename(tmp, dst) < 0) {
		warn("%s", dst);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* the sessions of a pcap on disk into its sidecar; 0 or -1 (said) */
static int
from_disk(const char *path, int *status)
{
	struct pcapf pf;
	struct pcapf_rec r;
	struct pk_fields f;
	struct sess_table *t;
	char e[1024], rp[PATH_MAX];
	int rc;

	if (realpath(path, rp) == NULL || pcapf_open(&pf, rp, e, sizeof e) < 0) {
		warnx("%s: no sessions: %s", path, realpath(path, rp) == NULL ? strerror(errno) : e);
		*status = pk_exit_merge(*status, EX_NOINPUT);
		return -1;
	}
	t = sess_new(NULL);
	sess_file(t, rp, pf.linktype, pf.snaplen);
	while ((rc = pcapf_next(&pf, &r, e, sizeof e)) == 1) {
		decode_packet(pf.linktype, r.data, r.caplen, &f);
		if (sess_add(t, r.ts_ns, r.wirelen, &f) < 0)
			errx(EX_SOFTWARE, "too many sessions");
	}
	/* a damaged tail: the index covers the whole records before it, and so do we */
	pcapf_close(&pf);
	rc = write_sidecar(rp, t);
	sess_free(t);
	if (rc < 0)
		*status = pk_exit_merge(*status, EX_CANTCREAT);
	return rc;
}

static int
has_index(const char *pcap)
{
	char ipath[PATH_MAX];

	return (size_t)snprintf(ipath, sizeof ipath, "%s%s", pcap, IDX_SUFFIX) < sizeof ipath &&
	    access(ipath, F_OK) == 0;
}

static void
on_open(struct sidecar *sc, const struct rec_file *rf)
{
	char dir[PATH_MAX], *slash;
	struct sfile *f;

	if ((f = find(sc, rf->id)) != NULL)
		drop(sc, f);
	/* files outside the archive are not indexed: judged by their directory, as pkindex does */
	if (strlcpy(dir, rf->path, sizeof dir) >= sizeof dir || (slash = strrchr(dir, '/')) == NULL)
		return;
	*(slash == dir ? slash + 1 : slash) = '\0';
	if (!arch_path_within(dir, sc->roots, sc->nroots))
		return;
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 8;
		sc->f = xreallocarray(sc->f, sc->cap, sizeof *sc->f);
	}
	f = &sc->f[sc->n++];
	memset(f, 0, sizeof *f);
	f->id = rf->id;
	f->nsec = (rf->flags & FOPEN_NSEC) != 0;
	f->t = sess_new(NULL);
	sess_file(f->t, rf->path, rf->linktype, rf->snaplen);
}

static void
on_packet(struct sidecar *sc, const struct pk_rec *r)
{
	struct pk_pkt p;
	struct pk_ann a;
	struct pk_fields fl;
	struct sfile *f;
	uint64_t off;
	uint32_t id;

	if (pkt_parse(r, &p) < 0 || !loc_get(&p, &id, &off) || (f = find(sc, id)) == NULL)
		return;
	if (!pkt_ann(&p, ANN_FIELDS, &a) || fields_decode(a.val, a.len, &fl) < 0)
		decode_packet(p.linktype, p.data, p.caplen, &fl);
	/* the time as the file holds it: a microsecond file truncates */
	if (sess_add(f->t, f->nsec ? p.ts_ns : p.ts_ns - p.ts_ns % 1000, p.wirelen, &fl) < 0)
		errx(EX_SOFTWARE, "too many sessions");
	f->packets++;
	f->end = off + PCAP_RECHDR + p.origcap;
}

static void
on_close(struct sidecar *sc, const struct rec_file *rf)
{
	struct sfile *f = find(sc, rf->id);
	const char *path = rf->path;
	uint32_t lt, snap;
	char rp[PATH_MAX];
	struct stat st;
	int swapped, nsec, fd, whole;
	uint8_t h[PCAP_FILEHDR];

	if (path == NULL && f != NULL)
		path = sess_file_path(f->t, 0);
	/* no index, no sidecar: the indexer refused or failed the file (and said why) */
	if (path == NULL || realpath(path, rp) == NULL || !has_index(rp)) {
		if (f)
			drop(sc, f);
		return;
	}
	whole = f != NULL && !f->broken && !(rf->flags & (FCLOSE_GAP | FCLOSE_RECOVERED)) && f->packets == rf->packets &&
	    stat(rp, &st) == 0 && (uint64_t)st.st_size == (f->packets ? f->end : PCAP_FILEHDR);
	if (whole && (fd = open(rp, O_RDONLY | O_CLOEXEC)) >= 0) {
		/* the snap length the file was written with decides whether the index judges it */
		whole = pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h &&
		    pcapf_parsehdr(h, &swapped, &nsec, &lt, &snap) == 0;
		close(fd);
		if (whole) {
			sess_file_update(f->t, rp, snap);
			if (write_sidecar(rp, f->t) < 0)
				sc->status = pk_exit_merge(sc->status, EX_CANTCREAT);
		}
	}
	if (!whole)
		(void)from_disk(rp, &sc->status);
	if (f)
		drop(sc, f);
}

static void
on_remove(struct sidecar *sc, const struct rec_file *rf)
{
	struct sfile *f = find(sc, rf->id);
	char spath[PATH_MAX];

	if (f)
		drop(sc, f);
	if ((size_t)snprintf(spath, sizeof spath, "%s%s", rf->path, SIDECAR_SUFFIX) < sizeof spath &&
	    unlink(spath) < 0 && errno != ENOENT)
		warn("%s", spath);
}

void
sidecar_lost(struct sidecar *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		sc->f[i].broken = 1;
}

void
sidecar_record(struct sidecar *sc, const struct pk_rec *r, int unsure)
{
	struct rec_file rf;

	if (r->type == REC_PACKET) {
		on_packet(sc, r);
		return;
	}
	/* a malformed one: the indexer said so; a doubtful one: the indexer left it too */
	if ((r->type != REC_FILE_OPEN && r->type != REC_FILE_CLOSE && r->type != REC_FILE_REMOVE) || unsure ||
	    rec_file_parse(r, &rf) < 0)
		return;
	if (r->type == REC_FILE_OPEN)
		on_open(sc, &rf);
	else if (r->type == REC_FILE_CLOSE)
		on_close(sc, &rf);
	else
		on_remove(sc, &rf);
}

int
sidecar_finish(struct sidecar *sc)
{
	return sc->status;
}

void
sidecar_free(struct sidecar *sc)
{
	if (sc == NULL)
		return;
	while (sc->n > 0)
		drop(sc, &sc->f[sc->n - 1]);
	free(sc->f);
	for (size_t i = 0; i < sc->nroots; i++)
		free(sc->roots[i]);
	free(sc->roots);
	free(sc);
}

int
sidecar_files(char **files, int nfiles)
{
	char rp[PATH_MAX];
	int status = EX_OK;

	for (int i = 0; i < nfiles; i++)
		if (realpath(files[i], rp) != NULL && has_index(rp))
			(void)from_disk(rp, &status);
	return status;
}
