/* coverage.c - pkfind's coverage line (coverage.h). */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "coverage.h"
#include "pk.h"
#include "stream.h"
#include "timeparse.h"

struct span {
	uint64_t lo, hi;
	int dir;
};

struct coverage {
	char **roots;           /* resolved -d directories ("" when unresolvable) */
	int nroots;
	uint64_t start, end, gap_ns;
	int verbose;
	struct span *sp;
	size_t n, cap;
};

/* what one archive's pk-stats.log says about the window */
struct runs {
	struct span *v;         /* capture runs, in log (time) order; dir unused */
	size_t n, cap;
	uint64_t drops;         /* kernel + interface drops in the window */
};

struct coverage *
cov_new(char *const *dirs, int ndirs, uint64_t start, uint64_t end, uint64_t gap_ns, int verbose)
{
	struct coverage *c;
	char rp[PATH_MAX];

	c = xcalloc(1, sizeof *c);
	c->roots = xcalloc((size_t)ndirs + 1, sizeof *c->roots);
	for (int i = 0; i < ndirs; i++)
		c->roots[i] = xstrdup(realpath(dirs[i], rp) ? rp : "");
	c->nroots = ndirs;
	c->start = start;
	c->end = end;
	c->gap_ns = gap_ns;
	c->verbose = verbose;
	return c;
}

int
cov_dir_of(const struct coverage *c, const char *path)
{
	for (int i = 0; i < c->nroots; i++) {
		size_t n = strlen(c->roots[i]);

		if (n > 0 && strncmp(path, c->roots[i], n) == 0 && (path[n] == '/' || path[n] == '\0'))
			return i;
	}
	return -1;
}

static void
span_add(struct span **v, size_t *n, size_t *cap, uint64_t lo, uint64_t hi, int dir)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[*n].lo = lo;
	(*v)[*n].hi = hi < lo ? lo : hi;
	(*v)[*n].dir = dir;
	(*n)++;
}

void
cov_span(struct coverage *c, int dir, uint64_t lo, uint64_t hi)
{
	span_add(&c->sp, &c->n, &c->cap, lo, hi, dir);
}

void
cov_free(struct coverage *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->nroots; i++)
		free(c->roots[i]);
	free(c->roots);
	free(c->sp);
	free(c);
}

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * DIR/pk-stats.log: the drops in the window (per run deltas of drop +
 * ifdrop, counted when the interval they cover overlaps it) and the
 * capture runs.  A run starts at a start record, a first line, a line
 * after a final one, another source, or counters that went back; it ends
 * at its final record, else where the next begins, else never (running).
 */
static void
read_runs(const struct coverage *c, const char *dir, struct runs *r)
{
	char path[PATH_MAX], line[512], name[256], pname[256] = "";
	unsigned long long ts, recv, drop, ifdrop, flags;
	uint64_t prev = 0, prev_ts = 0;
	int have = 0, final = 0;
	FILE *fp;

	memset(r, 0, sizeof *r);
	if (dir[0] == '\0' || snprintf(path, sizeof path, "%s/%s", dir, ARCH_STATS) >= (int)sizeof path)
		return;
	if ((fp = fopen(path, "r")) == NULL) {
		/* a log that is there but unreadable: the drops are unknown, and that is said, not "0 drops" */
		if (errno != ENOENT)
			warn("%s: capture drops unknown", path);
		return;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		uint64_t cum, delta, from;

		name[0] = '\0';
		if (sscanf(line, "%llu %llu %llu %llu %llu %255s", &ts, &recv, &drop, &ifdrop, &flags, name) < 5)
			continue;
		cum = drop + ifdrop;
		if (!have || final || strcmp(name, pname) != 0 || cum < prev || (flags & STATS_START)) {
			if (r->n > 0 && !final && r->v[r->n - 1].hi == UINT64_MAX)
				r->v[r->n - 1].hi = ts;         /* cut short: ends where this one begins */
			span_add(&r->v, &r->n, &r->cap, ts, UINT64_MAX, 0);
			delta = cum;
			from = ts;
		} else {
			delta = cum - prev;
			from = prev_ts;
		}
		if (delta && ts >= c->start && from < c->end)
			r->drops += delta;
		if (flags & STATS_FINAL)
			r->v[r->n - 1].hi = ts;
		have = 1;
		final = (flags & STATS_FINAL) != 0;
		prev = cum;
		prev_ts = ts;
		strlcpy(pname, name, sizeof pname);
	}
	fclose(fp);
}

/* [lo, hi] lies within one run */
static int
in_runs(const struct runs *r, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].lo <= lo && hi <= r->v[i].hi)
			return 1;
	return 0;
}

static int
runs_overlap(const struct runs *r, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].lo < hi && r->v[i].hi >= lo)
			return 1;
	return 0;
}

static void
fmt_dur(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000u, d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
	size_t n = 0;

	buf[0] = '\0';
	if (ns > 0 && s == 0) {
		strlcpy(buf, "under 1 s", len);
		return;
	}
	if (d)
		n += (size_t)snprintf(buf + n, len - n, "%llu d ", (unsigned long long)d);
	if (h && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%llu h ", (unsigned long long)h);
	if (m && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%llu min ", (unsigned long long)m);
	if ((s % 60 || n == 0) && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%llu s ", (unsigned long long)(s % 60));
	if (n > 0 && n <= len)
		buf[n - 1] = '\0';
}

/* a gap: A..B */
static void
put_gap(FILE *fp, const struct span *g)
{
	char a[40], b[40];

	/* to the second: where to look, for a person */
	time_fmt_iso(g->lo - g->lo % 1000000000u, 0, a, sizeof a);
	time_fmt_iso(g->hi - g->hi % 1000000000u, 0, b, sizeof b);
	fprintf(fp, "%s..%s", a, b);
}

/* the holes longer than gap_ns in [wlo, whi) between the spans (sorted) */
static void
gaps(const struct coverage *c, uint64_t wlo, uint64_t whi, FILE *fp)
{
	struct span *g = NULL;
	size_t ng = 0, cg = 0, i;
	uint64_t cur = wlo, total = 0;
	char d[64];

	for (i = 0; i < c->n && cur < whi; i++) {
		uint64_t lo = c->sp[i].lo < whi ? c->sp[i].lo : whi;

		if (lo > cur && lo - cur > c->gap_ns)
			span_add(&g, &ng, &cg, cur, lo, 0);
		if (c->sp[i].hi + 1 > cur)
			cur = c->sp[i].hi + 1;
	}
	if (cur < whi && whi - cur > c->gap_ns)
		span_add(&g, &ng, &cg, cur, whi, 0);
	for (i = 0; i < ng; i++)
		total += g[i].hi - g[i].lo;
	fmt_dur(total, d, sizeof d);
	fprintf(fp, "%zu gap%s", ng, ng == 1 ? "" : "s");
	if (ng == 1 || (ng > 1 && c->verbose)) {
		fprintf(fp, " (%s: ", d);
		for (i = 0; i < ng; i++) {
			fputs(i ? ", " : "", fp);
			put_gap(fp, &g[i]);
		}
		fputs(")", fp);
	} else if (ng > 1) {
		fprintf(fp, " (%s; first ", d);
		put_gap(fp, &g[0]);
		fputs(", last ", fp);
		put_gap(fp, &g[ng - 1]);
		fputs(")", fp);
	}
	free(g);
}

/* drops in [wlo, whi), and whether they are known for the packets there */
static void
drops(const struct coverage *c, uint64_t wlo, uint64_t whi, FILE *fp)
{
	struct runs *r;
	uint64_t total = 0, unknown_ns = 0;
	size_t known = 0, unknown = 0, i;
	int any_run = 0;
	char d[64];

	r = xcalloc((size_t)c->nroots + 1, sizeof *r);
	for (int k = 0; k < c->nroots; k++) {
		read_runs(c, c->roots[k], &r[k]);
		total += r[k].drops;
		any_run |= runs_overlap(&r[k], wlo, whi);
	}
	for (i = 0; i < c->n; i++) {
		const struct span *s = &c->sp[i];
		uint64_t lo = s->lo > wlo ? s->lo : wlo, hi = s->hi < whi ? s->hi : whi;

		if (s->lo >= whi || s->hi < wlo)
			continue;
		if (s->dir >= 0 && in_runs(&r[s->dir], lo, hi)) {
			known++;
		} else {
			unknown++;
			unknown_ns += hi - lo;
		}
	}
	/* no packet there: known if a capture ran, else there is nothing to know */
	if (unknown == 0 && (known > 0 || any_run))
		fprintf(fp, "%llu drop%s", (unsigned long long)total, total == 1 ? "" : "s");
	else if (known == 0)
		fputs("drops unknown", fp);
	else {
		fmt_dur(unknown_ns, d, sizeof d);
		fprintf(fp, "%llu drop%s (unknown for %s of packets)", (unsigned long long)total, total == 1 ? "" : "s", d);
	}
	for (int k = 0; k < c->nroots; k++)
		free(r[k].v);
	free(r);
}

char *
cov_line(struct coverage *c, const struct cov_counts *n)
{
	uint64_t wlo = c->start, whi = c->end, amin = UINT64_MAX, amax = 0, now = pk_now_ns(CLOCK_REALTIME);
	size_t nfiles = n->n_catalog + n->n_indexed + n->n_scanned, i, len;
	char a[40], b[40], t[40], *buf = NULL;
	int future = 0;
	FILE *fp;

	for (i = 0; i < c->n; i++) {
		if (c->sp[i].lo < amin)
			amin = c->sp[i].lo;
		if (c->sp[i].hi > amax)
			amax = c->sp[i].hi;
	}
	if (c->n > 1)
		qsort(c->sp, c->n, sizeof *c->sp, span_cmp);
	/* an open end of the window is the archive's end */
	if (c->start == 0)
		wlo = amin == UINT64_MAX ? 0 : amin;
	if (c->end == UINT64_MAX)
		whi = amin == UINT64_MAX || amax + 1 < wlo ? wlo : amax + 1;  /* never before the start */
	time_fmt_iso(wlo, 0, a, sizeof a);
	/* an open end is shown as the archive's last packet */
	time_fmt_iso(c->end == UINT64_MAX && whi > wlo ? whi - 1 : whi, 0, b, sizeof b);
	if (amin == UINT64_MAX && c->start == 0 && c->end == UINT64_MAX)
		strlcpy(a, "an empty archive", sizeof a), b[0] = '\0';
	/*
	 * What has not happened yet is no gap and has no drops.  (An archive
	 * with packets after now has a clock that is behind: no judgement.)
	 */
	if (amin != UINT64_MAX && amax >= now)
		future = 0;
	else if (c->start > now)
		future = 2;
	else if (c->end != UINT64_MAX && c->end > now) {
		future = 1;
		whi = now;
	}
	if ((fp = open_memstream(&buf, &len)) == NULL)
		err(EX_OSERR, "open_memstream");
	fprintf(fp, "searched %s%s%s", a, b[0] ? ".." : "", b);
	if (future == 2)
		fputs(", a window in the future", fp);
	else if (future == 1) {
		time_fmt_iso(now, 0, t, sizeof t);
		fprintf(fp, " (in the future from %s on)", t);
	}
	fprintf(fp, ": %zu file%s (%zu from catalogs, %zu indexed, %zu scanned", nfiles, nfiles == 1 ? "" : "s",
	    n->n_catalog, n->n_indexed, n->n_scanned);
	/* a damaged index costs a scan and wants pkindex --repair: said where the operator looks */
	if (n->n_damaged)
		fprintf(fp, ", %zu damaged ind%s", n->n_damaged, n->n_damaged == 1 ? "ex" : "exes");
	fputc(')', fp);
	if (future != 2) {
		fputs(", ", fp);
		gaps(c, wlo, whi, fp);
		fputs(", ", fp);
		drops(c, wlo, whi, fp);
	}
	fprintf(fp, "; %llu %s%s", (unsigned long long)n->found, n->inexact ? "candidate" : "packet",
	    n->found == 1 ? "" : "s");
	if (fclose(fp) != 0 || buf == NULL)
		err(EX_OSERR, "open_memstream");
	return buf;
}
