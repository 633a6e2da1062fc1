/*
 * find.c - archive search for pkfind(1) (find.h).
 *
 * Per file, cheapest first: the times in a finished file's name prune it
 * before anything is opened; an index that exists and matches its pcap
 * gives candidates (query_eval) and the window (idx_time_range) without
 * reading the pcap; everything else (the .pcap.part being written, a
 * file whose index is missing, damaged or stale) is read record by
 * record and filtered with BPF.  The pcap is the truth: an index is only
 * believed when idx_matches_pcap says it covers the file as it is now.
 *
 * Exactness: the stream carries candidates (a superset) and a FILTER
 * record, and pkslice applies the BPF; -c, -l, -T and -n need exact
 * matches here, so the candidates are read and filtered (a read per
 * candidate, sequential ones share the stdio buffer).
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "archive.h"
#include "coverage.h"
#include "decode.h"
#include "fields.h"
#include "filelist.h"
#include "find.h"
#include "idx.h"
#include "ordset.h"
#include "output.h"
#include "pcapfile.h"
#include "pk.h"
#include "plan.h"
#include "pool.h"
#include "print.h"
#include "query.h"
#include "stream.h"
#include "timeparse.h"

#define MAXLT 16

struct bpfc {
	uint32_t linktype;
	int ok;                 /* compiled; 0: the expression is invalid for this link type */
	struct bpf_program prog;
};

struct fctx {
	const struct find_opts *o;
	struct query *q;
	struct stream_out so;
	uint32_t next_id;
	uint64_t found;         /* packets written (or counted) */
	int inexact;            /* some written candidates were not checked with BPF */
	size_t ncatalog, nindexed, nscanned;   /* files answered by a catalog, an index, a scan */
	size_t ndamaged;        /* scanned because their index was damaged */
	int stop;               /* -n reached or the reader went away */
	struct coverage *cov;   /* the time spans of the archive's files, for the coverage line */
	struct bpfc bpf[MAXLT];
	int nbpf;
	struct match *m;        /* this file's matches */
	size_t nm, cm;
	int have_head;          /* the indexed file's own header, read when its index was checked */
	uint32_t h_linktype, h_snaplen;
	int h_nsec;
	struct output *out;     /* -T json, sessions (output.h) */
	char err[512];
};

/* the file at path holds packets from lo to hi */
static void
add_ival(struct fctx *c, const char *path, uint64_t lo, uint64_t hi)
{
	cov_span(c->cov, cov_dir_of(c->cov, path), lo, hi);
}

static void
add_match(struct fctx *c, uint64_t offset, uint64_t ts)
{
	if (c->nm == c->cm) {
		c->cm = c->cm ? c->cm * 2 : 256;
		c->m = xreallocarray(c->m, c->cm, sizeof *c->m);
	}
	c->m[c->nm].offset = offset;
	c->m[c->nm].ts = ts;
	c->nm++;
}

/* the BPF program for a link type; NULL if the expression is invalid there (said once) */
static const struct bpf_program *
bpf_for(struct fctx *c, uint32_t linktype, uint32_t snaplen)
{
	int i;

	for (i = 0; i < c->nbpf; i++)
		if (c->bpf[i].linktype == linktype)
			return c->bpf[i].ok ? &c->bpf[i].prog : NULL;
	if (c->nbpf == MAXLT)
		errx(EX_SOFTWARE, "more than %d link types in one archive", MAXLT);
	c->bpf[i].linktype = linktype;
	c->bpf[i].ok = query_compile(c->o->expr, linktype, snaplen, &c->bpf[i].prog, c->err, sizeof c->err) == 0;
	if (!c->bpf[i].ok)
		warnx("files of link type %u skipped: the expression does not apply to them: %s", linktype, c->err);
	c->nbpf++;
	return c->bpf[i].ok ? &c->bpf[i].prog : NULL;
}

static int
bpf_match(const struct bpf_program *prog, const struct pcapf_rec *r)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof h);
	h.caplen = r->caplen;
	h.len = r->wirelen;
	return pcap_offline_filter(prog, &h, r->data) != 0;
}

static int
in_window(const struct find_opts *o, uint64_t ts)
{
	return ts >= o->start && ts < o->end;
}

/* link type, snaplen and precision from a pcap's file header, without reading records */
static int
pcap_head(const char *path, uint32_t *linktype, uint32_t *snaplen, int *nsec)
{
	struct pcapf_hdr ph;
	char e[256];

	if (pcapf_head(path, &ph, e, sizeof e) < 0)
		return -1;
	*linktype = ph.linktype;
	*snaplen = ph.snaplen;
	*nsec = ph.nsec;
	return 0;
}

static void
out_fail(struct fctx *c)
{
	if (errno == EPIPE) {
		c->stop = 1;
		return;
	}
	err(EX_IOERR, "stdout");
}

/*
 * emit this file's matches (c->m, file order) in the mode's form, newest
 * first with -r, up to -n.  pf: the open pcap, or NULL (opened if needed).
 */
static void
emit_file(struct fctx *c, const char *path, struct pcapf *pf, int checked)
{
	const struct find_opts *o = c->o;
	struct pcapf own;
	uint32_t lt, snap;
	int nsec, opened = 0;
	size_t k, lo, hi;

	if (c->nm == 0 || c->stop)
		return;
	if ((o->mode == FIND_TEXT || c->out) && pf == NULL) {
		if (pcapf_open(&own, path, c->err, sizeof c->err) < 0) {
			warnx("%s", c->err);
			return;
		}
		pf = &own;
		opened = 1;
	}
	if (pf) {
		lt = pf->linktype, snap = pf->snaplen, nsec = pf->nsec;
	} else if (c->have_head) {
		lt = c->h_linktype, snap = c->h_snaplen, nsec = c->h_nsec;
	} else if (pcap_head(path, &lt, &snap, &nsec) < 0) {
		warn("%s", path);
		return;
	}
	if (o->mode == FIND_STREAM && sout_file_open(&c->so, ++c->next_id, lt, snap, nsec ? FOPEN_NSEC : 0, path) < 0)
		out_fail(c);
	if (o->mode == FIND_LIST && printf("%s\n", path) < 0)
		out_fail(c);
	/* -n: the first (or, with -r, the last) matches of the file */
	lo = 0, hi = c->nm;
	if (o->limit && hi - lo > o->limit - c->found) {
		if (o->reverse)
			lo = hi - (size_t)(o->limit - c->found);
		else
			hi = lo + (size_t)(o->limit - c->found);
	}
	/* the stream keeps file order (pkslice reads forward); people get -r */
	for (k = 0; k < hi - lo && !c->stop; k++) {
		const struct match *m = &c->m[o->reverse && o->mode != FIND_STREAM ? hi - 1 - k : lo + k];

		c->found++;
		if (!checked)
			c->inexact = 1;
		if (o->mode == FIND_STREAM) {
			struct rec_loc l = { c->next_id, m->offset, m->ts };

			if (sout_loc(&c->so, &l) < 0)
				out_fail(c);
		} else if (o->mode == FIND_TEXT) {
			struct pcapf_rec r;
			struct pk_fields f;
			char t[40];

			if (pcapf_read_at(pf, m->offset, &r, c->err, sizeof c->err) < 0) {
				warnx("%s", c->err);
				continue;
			}
			decode_packet(lt, r.data, r.caplen, &f);
			time_fmt_iso(r.ts_ns, 1, t, sizeof t);
			printf("%s %s %llu ", t, path, (unsigned long long)m->offset);
			print_summary(stdout, &f, r.wirelen, r.caplen);
			if (putchar('\n') == EOF)
				out_fail(c);
		} else if (c->out && output_packet(c->out, path, pf, m->offset) < 0) {
			out_fail(c);
		}
	}
	if (o->limit && c->found >= o->limit)
		c->stop = 1;
	if (opened)
		pcapf_close(&own);
}

static void scan_file(struct fctx *c, const struct arch_file *af);
static void emit_range(struct fctx *c, const char *path, const struct job *j);

/*
 * The .pcap.part we listed was finished while we searched: pkrotate
 * renamed it to <first>-<last>.pcap (archive.h).  Read that instead, so
 * that no packet falls between the listing and the rename.
 */
static void
scan_finished(struct fctx *c, const struct arch_file *af)
{
	size_t len = strlen(af->path), plen = strlen(ARCH_PART_SUFFIX);
	char pat[PATH_MAX];
	glob_t g;
	size_t i;

	if (len <= plen || len - plen + 8 >= sizeof pat)
		return;
	memcpy(pat, af->path, len - plen);
	strlcpy(pat + len - plen, "-*" ARCH_PCAP_SUFFIX, sizeof pat - (len - plen));
	if (glob(pat, 0, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc; i++) {
		struct arch_file f = *af;

		f.path = g.gl_pathv[i];
		f.partial = 0;
		f.named = 0;
		c->nm = 0;
		scan_file(c, &f);
	}
	globfree(&g);
}

/* read a pcap record by record, BPF and window: the file has no usable index */
static void
scan_file(struct fctx *c, const struct arch_file *af)
{
	const struct find_opts *o = c->o;
	const struct bpf_program *prog;
	struct pcapf pf;
	struct pcapf_rec r;
	uint64_t lo = UINT64_MAX, hi = 0;
	int rc;

	errno = 0;
	if (pcapf_open(&pf, af->path, c->err, sizeof c->err) < 0) {
		/*
		 * A .pcap.part may not have its header yet, or may have been
		 * finished (renamed) since the listing; a finished file may
		 * have aged out.
		 */
		if (errno == ENOENT && af->partial)
			scan_finished(c, af);
		else if (errno != ENOENT && (!af->partial || af->size >= PCAP_FILEHDR))
			warnx("%s", c->err);
		return;
	}
	c->nscanned++;
	if ((prog = bpf_for(c, pf.linktype, pf.snaplen)) == NULL) {
		pcapf_close(&pf);
		return;
	}
	/* a file being written is read up to its last whole record as of now */
	while ((rc = pcapf_next(&pf, &r, c->err, sizeof c->err)) == 1) {
		if (r.ts_ns < lo)
			lo = r.ts_ns;
		if (r.ts_ns > hi)
			hi = r.ts_ns;
		if (!in_window(o, r.ts_ns) || !bpf_match(prog, &r))
			continue;
		add_match(c, r.offset, r.ts_ns);
		if (o->limit && !o->reverse && c->found + c->nm >= o->limit)
			break;
	}
	if (rc < 0 && !af->partial)
		warnx("%s", c->err);
	/* a .pcap.part's span is what it holds now */
	if ((!af->named || af->partial) && lo <= hi)
		add_ival(c, af->path, lo, hi);
	emit_file(c, af->path, &pf, 1);
	pcapf_close(&pf);
}

/* a dense file's candidates as one range of the stream, with their bitmap (job_run) */
static void
emit_range(struct fctx *c, const char *path, const struct job *j)
{
	struct rec_range g;

	if (c->stop)
		return;
	if (sout_file_open(&c->so, ++c->next_id, j->lt, j->snap, j->nsec ? FOPEN_NSEC : 0, path) < 0) {
		out_fail(c);
		return;
	}
	g.file = c->next_id;
	/* the filter decides on the candidates, unless the index judged them exactly */
	g.flags = (j->exact && (j->bits || j->ncand == j->nbits) ? RANGE_EXACT : 0) | (j->bits ? RANGE_BITS : 0);
	g.start = j->r_start;
	g.end = j->r_end;
	g.nbits = j->nbits;
	g.bits = j->bits;
	if (sout_range(&c->so, &g) < 0)
		out_fail(c);
	c->found += j->ncand;
	if (!j->exact && !c->o->index_only)
		c->inexact = 1;
}

/* candidates from the index (job j), checked with BPF when the mode needs exact answers */
static void
index_file(struct fctx *c, const struct arch_file *af, struct job *j)
{
	const struct find_opts *o = c->o;
	const struct idx_meta *mt = &j->mt;
	const struct bpf_program *prog;
	struct pcapf pf;
	int verify, pf_open = 0;
	size_t k;

	if (!af->named) {
		add_ival(c, af->path, mt->first_ns, mt->last_ns);
		if (mt->packets && (mt->last_ns < o->start || mt->first_ns >= o->end))
			return;
	}
	c->nindexed++;
	if (mt->packets == 0 || mt->packets > UINT32_MAX)
		return;
	if ((prog = bpf_for(c, mt->linktype, 0)) == NULL)
		return;
	if (j->out == JO_CORRUPT) {
		strlcpy(c->err, j->err, sizeof c->err);
		goto corrupt;
	}
	if (j->dense) {
		emit_range(c, af->path, j);
		return;
	}
	/* -c, -l, -T and -n count exact matches; the stream leaves that to pkslice */
	verify = !o->index_only && !j->exact && (o->mode != FIND_STREAM || o->limit);
	if (verify || o->mode == FIND_TEXT || c->out) {
		if (pcapf_open(&pf, af->path, c->err, sizeof c->err) < 0) {
			warnx("%s", c->err);
			return;
		}
		pf_open = 1;
	}
	for (k = 0; k < j->nm; k++) {
		uint64_t off = j->m[k].offset, ts = j->m[k].ts;
		struct pcapf_rec r;

		if (verify) {
			if (pcapf_read_at(&pf, off, &r, c->err, sizeof c->err) < 0) {
				/* the index names a record the pcap does not have: believe the pcap */
				pcapf_close(&pf);
				c->nm = 0;
				goto corrupt;
			}
			if (!bpf_match(prog, &r))
				continue;
		}
		add_match(c, off, ts);
		if (o->limit && !o->reverse && c->found + c->nm >= o->limit)
			break;
	}
	if (k == j->nm && j->bad) {
		strlcpy(c->err, j->err, sizeof c->err);      /* the decoder's reason */
		if (pf_open)
			pcapf_close(&pf);
		goto corrupt;
	}
	emit_file(c, af->path, pf_open ? &pf : NULL, verify || j->exact || o->index_only);
	if (pf_open)
		pcapf_close(&pf);
	return;
corrupt:
	/* nothing of this file was written yet: fall back to reading it */
	warnx("%s%s: index unusable, scanning the pcap: %s", af->path, IDX_SUFFIX, c->err);
	c->nindexed--;
	c->ndamaged++;
	c->nm = 0;
	c->have_head = 0;
	scan_file(c, af);
}

/* file k of the search order */
static void
search_file(struct fctx *c, struct pool *p, size_t k)
{
	const struct arch_file *af = p->jobs[k].af;
	struct job *j;

	c->nm = 0;
	c->have_head = 0;
	if (!af->partial && af->has_idx) {
		j = pool_get(p, k);
		switch (j->out) {
		case JO_LONGPATH:
			warnx("%s: path too long", af->path);
			return;
		case JO_NOIDX:
			warnx("index unusable, scanning the pcap: %s", j->err);
			c->ndamaged++;
			break;
		case JO_MISMATCH:
			/* aged out since the listing: nothing to say */
			if (access(af->path, F_OK) < 0 && errno == ENOENT)
				return;
			warnx("%s%s: index does not match its pcap; scanning the pcap", af->path, IDX_SUFFIX);
			break;
		default:
			c->have_head = 1;
			c->h_linktype = j->lt;
			c->h_snaplen = j->snap;
			c->h_nsec = j->nsec;
			index_file(c, af, j);
			c->have_head = 0;
			free(j->m);
			j->m = NULL;
			free(j->bits);
			j->bits = NULL;
			return;
		}
	}
	scan_file(c, af);
}

/* ---- the whole search ---- */

static uint64_t
mtime_ns(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
}

int
find_run(const struct find_opts *o)
{
	struct fctx c;
	struct plan plan;
	struct arch_list *lp;
	struct bpf_program prog;
	struct pool pool;
	struct cov_counts n;
	char *line, rp[PATH_MAX];
	size_t i, k, niv;
	int d, status = EX_OK;

	memset(&c, 0, sizeof c);
	memset(&plan, 0, sizeof plan);
	c.o = o;
	/*
	 * Each index open allocates (and frees) Berkeley DB's private cache:
	 * keep such blocks in the heap for the next file, not a fresh mmap
	 * (page faults, and unmap shootdowns once helper threads run).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* libpcap judges the expression once, as tcpdump would on Ethernet */
	if (query_compile(o->expr, 1, 0, &prog, c.err, sizeof c.err) < 0) {
		warnx("bad expression: %s", c.err);
		return EX_DATAERR;
	}
	pcap_freecode(&prog);
	c.q = query_parse(o->expr);
	c.cov = cov_new(o->dirs, o->ndirs, o->windowed ? o->start : 0, o->windowed ? o->end : UINT64_MAX,
	    o->gap_ns, o->verbose);
	for (d = 0; d < o->ndirs; d++) {
		niv = plan.niv;
		if (realpath(o->dirs[d], rp) == NULL || plan_dir(&plan, rp, c.q, o->start, o->end) < 0) {
			warn("%s", o->dirs[d]);
			plan_free(&plan);
			query_free(c.q);
			cov_free(c.cov);
			return EX_NOINPUT;
		}
		/* what the catalogs of this archive covered, unlisted */
		for (i = niv; i < plan.niv; i++)
			cov_span(c.cov, d, plan.iv[i].lo, plan.iv[i].hi);
	}
	lp = &plan.files;
	arch_list_sort(lp);     /* one list in time order */
	filelist_unique(lp);    /* an archive under two names is searched once */
	if (o->files && filelist_apply(o, lp) < 0) {
		plan_free(&plan);
		query_free(c.q);
		cov_free(c.cov);
		return EX_NOINPUT;
	}
	c.out = output_new(o);
	c.ncatalog = plan.ncatalog;
	pool_start(&pool, o, c.q, lp);
	if (o->mode == FIND_STREAM) {
		sout_init(&c.so, STDOUT_FILENO, "pkfind", 0, "pkslice (pkfind ... | pkslice | tcpdump -r -)");
		for (d = 0; d < o->ndirs && !c.stop; d++)
			if (realpath(o->dirs[d], rp) != NULL && sout_note(&c.so, NOTE_ROOT, 0, rp) < 0)
				out_fail(&c);
		/*
		 * The filter goes first: a stream cut short (pkfind killed) must
		 * still make pkslice apply it to the candidates that did arrive.
		 */
		if (!c.stop) {
			struct rec_filter f = { (o->index_only ? 0 : FILTER_APPLY) |
				(o->windowed ? FILTER_WINDOW : 0), o->start, o->end, o->expr };

			if (sout_filter(&c.so, &f) < 0)
				out_fail(&c);
		}
	}
	for (k = 0; k < lp->n; k++) {
		struct arch_file *af = &lp->v[o->reverse ? lp->n - 1 - k : k];

		if (af->partial && c.stop) {
			/* not read: its span runs from its name to its last write */
			uint64_t mt = mtime_ns(af->path);

			add_ival(&c, af->path, af->min_ns, mt > af->min_ns ? mt : af->min_ns);
		} else if (af->named && !af->partial) {
			if (!af->ival_done)
				add_ival(&c, af->path, af->min_ns, af->max_ns);
			if (af->max_ns < o->start || af->min_ns >= o->end)
				continue;
		}
		if (!c.stop)
			search_file(&c, &pool, k);
	}
	pool_end(&pool);
	n.n_catalog = c.ncatalog;
	n.n_indexed = c.nindexed;
	n.n_scanned = c.nscanned;
	n.n_damaged = c.ndamaged;
	n.found = c.found;
	n.inexact = c.inexact;
	line = cov_line(c.cov, &n);
	if (o->mode == FIND_STREAM && !c.so.dead) {
		if (sout_note(&c.so, NOTE_COVERAGE, 0, line) < 0 || sout_flush(&c.so) < 0)
			if (errno != EPIPE)
				err(EX_IOERR, "stdout");
		sout_free(&c.so);
	}
	if (c.out && output_end(c.out) < 0 && errno != EPIPE)
		status = EX_IOERR;
	output_free(c.out);
	if (o->mode == FIND_COUNT)
		printf("%llu\n", (unsigned long long)c.found);
	if (o->mode != FIND_STREAM && (fflush(stdout) == EOF || ferror(stdout)) && errno != EPIPE) {
		warn("stdout");
		status = EX_IOERR;
	}
	if (!o->quiet)
		fprintf(stderr, "%s: %s\n", pk_progname, line);
	for (i = 0; i < (size_t)c.nbpf; i++)
		if (c.bpf[i].ok)
			pcap_freecode(&c.bpf[i].prog);
	query_free(c.q);
	cov_free(c.cov);
	free(line);
	free(c.m);
	plan_free(&plan);
	return status;
}
