/* pool.c - the index part of pkfind's search in helper threads (pool.h). */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "find.h"
#include "idx.h"
#include "ordset.h"
#include "pk.h"
#include "pool.h"
#include "query.h"
#include "stream.h"

#define DENSE_MIN 64            /* candidates in a file before a range can pay */
/*
 * A range with the candidates' bitmap when at least 1 packet in
 * BITS_SHARE is one: pkslice reads the span forward a megabyte at a
 * time and judges the candidates only; pkfind lists no offsets (the
 * packet table is most of the cost of a located answer).  Sparser ones
 * are located one by one (short reads).  Without a bitmap (too long for
 * a record) a range pays when 1 packet in DENSE_SHARE is a candidate.
 */
#define BITS_SHARE 128
#define DENSE_SHARE 4

static void
job_add(struct job *j, uint64_t offset, uint64_t ts)
{
	if (j->nm == j->cm) {
		j->cm = j->cm ? j->cm * 2 : 256;
		j->m = xreallocarray(j->m, j->cm, sizeof *j->m);
	}
	j->m[j->nm].offset = offset;
	j->m[j->nm].ts = ts;
	j->nm++;
}

static int
job_add_cb(void *arg, uint64_t offset, uint64_t ts)
{
	job_add(arg, offset, ts);
	return 0;
}

/* the last member of a set that has one (a word at a time: a broad answer has millions) */
static uint32_t
cand_last(const struct ordset *s)
{
	size_t w = ((size_t)s->n + 63) / 64;

	while (w-- > 0)
		if (s->w[w] != 0)
			return (uint32_t)(w * 64 + 63 - (size_t)__builtin_clzll(s->w[w]));
	return 0;
}

/* j->bits: bits first .. first + nbits - 1 of cand, from bit 0 (little-endian bytes) */
static void
job_bits(struct job *j, const struct ordset *cand, uint32_t first, uint32_t nbits)
{
	size_t nw = ((size_t)nbits + 63) / 64, cw = ((size_t)cand->n + 63) / 64, w0 = first / 64, k;
	unsigned sh = first % 64;

	j->nbits = nbits;
	j->bits = xcalloc(nw, 8);
	for (k = 0; k < nw; k++) {
		uint64_t lo = w0 + k < cw ? cand->w[w0 + k] : 0, hi = w0 + k + 1 < cw ? cand->w[w0 + k + 1] : 0;
		uint64_t v = sh ? lo >> sh | hi << (64 - sh) : lo;

		if (k == nw - 1 && nbits % 64)
			v &= (1ull << (nbits % 64)) - 1;    /* nothing past the span */
		put64(j->bits + 8 * k, v);
	}
}

/* the index part of a search (any thread: touches only j) */
static void
job_run(const struct find_opts *o, const struct query *q, struct job *j)
{
	const struct arch_file *af = j->af;
	char ipath[PATH_MAX];
	struct ordset cand, tr;
	struct idx *x;
	uint32_t n;

	if (snprintf(ipath, sizeof ipath, "%s%s", af->path, IDX_SUFFIX) >= (int)sizeof ipath) {
		j->out = JO_LONGPATH;
		return;
	}
	if ((x = idx_open(ipath, j->err, sizeof j->err)) == NULL) {
		j->out = JO_NOIDX;
		return;
	}
	if (!idx_check_pcap(x, af->path, &j->lt, &j->snap, &j->nsec)) {
		idx_close(x);
		j->out = JO_MISMATCH;
		return;
	}
	j->out = JO_OK;
	j->mt = *idx_get_meta(x);
	/* what index_file returns early for */
	if ((!af->named && j->mt.packets && (j->mt.last_ns < o->start || j->mt.first_ns >= o->end)) ||
	    j->mt.packets == 0 || j->mt.packets > UINT32_MAX) {
		idx_close(x);
		return;
	}
	n = (uint32_t)j->mt.packets;
	if (query_eval(q, x, j->mt.linktype, j->snap, n, &cand, &j->exact, j->err, sizeof j->err) < 0) {
		j->out = JO_CORRUPT;
		idx_close(x);
		return;
	}
	if (j->mt.first_ns < o->start || j->mt.last_ns >= o->end) {
		ordset_init(&tr, n);
		if (idx_time_range(x, o->start, o->end, &tr, j->err, sizeof j->err) < 0) {
			ordset_free(&tr);
			ordset_free(&cand);
			j->out = JO_CORRUPT;
			idx_close(x);
			return;
		}
		ordset_and(&cand, &tr);
		ordset_free(&tr);
	}
	/*
	 * Dense candidates: pkslice reads the span from the first to the last
	 * in big forward reads and lets BPF decide, as tcpdump does, rather
	 * than being told every offset (the stream, with BPF and no -n).
	 */
	j->ncand = ordset_count(&cand);
	if (o->mode == FIND_STREAM && !o->limit && j->ncand >= DENSE_MIN && j->ncand * BITS_SHARE >= n) {
		uint32_t first = ordset_next(&cand, 0), last = cand_last(&cand), nbits;
		uint64_t ts;

		nbits = last - first + 1;
		j->nbits = nbits;
		/*
		 * Without the bitmap every record of the span is a candidate:
		 * only worth it when most are, and never with -x (the index's
		 * answer is what is asked for).
		 */
		if ((nbits <= RANGE_BITS_MAX || (!o->index_only && j->ncand * DENSE_SHARE >= n)) &&
		    idx_packet(x, first, &j->r_start, &ts) == 0 &&
		    (last + 1 == n ? (j->r_end = j->mt.pcap_size, 1) : idx_packet(x, last + 1, &j->r_end, &ts) == 0)) {
			if (nbits <= RANGE_BITS_MAX)
				job_bits(j, &cand, first, nbits);
			j->dense = 1;
			ordset_free(&cand);
			idx_close(x);
			return;
		}
	}
	/* each table block decoded once, walked with one cursor */
	if (idx_packets(x, &cand, job_add_cb, j, j->err, sizeof j->err) < 0)
		j->bad = 1;
	ordset_free(&cand);
	idx_close(x);
}

/* claim the next new job within the lookahead; NULL if none (lock held) */
static struct job *
pool_claim(struct pool *p)
{
	while (p->next < p->njobs && (!p->jobs[p->next].eligible || p->jobs[p->next].state != JOB_NEW))
		p->next++;
	if (p->next >= p->njobs || p->next >= p->cur + LOOKAHEAD)
		return NULL;
	p->jobs[p->next].state = JOB_RUNNING;
	return &p->jobs[p->next++];
}

/* run j unlocked, then mark it done (lock held around) */
static void
pool_run(struct pool *p, struct job *j)
{
	pthread_mutex_unlock(&p->mu);
	job_run(p->o, p->q, j);
	pthread_mutex_lock(&p->mu);
	j->state = JOB_DONE;
	pthread_cond_broadcast(&p->cv);
}

static void *
pool_helper(void *arg)
{
	struct pool *p = arg;
	struct job *j;

	pthread_mutex_lock(&p->mu);
	while (!p->quit && p->next < p->njobs) {
		if ((j = pool_claim(p)) != NULL)
			pool_run(p, j);
		else if (p->next < p->njobs)
			pthread_cond_wait(&p->cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* a job per file of l, in search order; helper threads when they pay */
void
pool_start(struct pool *p, const struct find_opts *o, const struct query *q, const struct arch_list *l)
{
	size_t k, neligible = 0;
	long ncpu;

	memset(p, 0, sizeof *p);
	p->o = o;
	p->q = q;
	p->njobs = l->n;
	p->jobs = xcalloc(l->n + 1, sizeof *p->jobs);
	for (k = 0; k < l->n; k++) {
		const struct arch_file *af = &l->v[o->reverse ? l->n - 1 - k : k];

		p->jobs[k].af = af;
		p->jobs[k].eligible = !af->partial && af->has_idx &&
		    !(af->named && (af->max_ns < o->start || af->min_ns >= o->end));
		neligible += (size_t)p->jobs[k].eligible;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (o->limit || neligible < 2 || ncpu < 2)
		return;
	for (k = 0; k < MAXHELPERS && (long)k < ncpu - 1 && k + 1 < neligible; k++) {
		if (pthread_create(&p->th[p->nth], NULL, pool_helper, p) != 0)
			break;
		p->nth++;
	}
}

/* job k, done (by a helper, or now); this thread helps while it waits */
struct job *
pool_get(struct pool *p, size_t k)
{
	struct job *j = &p->jobs[k], *o;

	pthread_mutex_lock(&p->mu);
	p->cur = k;
	pthread_cond_broadcast(&p->cv);
	while (j->state != JOB_DONE) {
		if (j->state == JOB_NEW) {
			j->state = JOB_RUNNING;
			pool_run(p, j);
		} else if (p->nth > 0 && (o = pool_claim(p)) != NULL) {
			pool_run(p, o);
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

void
pool_end(struct pool *p)
{
	size_t k;
	int i;

	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (k = 0; k < p->njobs; k++) {
		free(p->jobs[k].m);
		free(p->jobs[k].bits);
	}
	free(p->jobs);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}
