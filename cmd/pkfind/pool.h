/*
 * pool.h - the index part of pkfind's search, ahead of the writer, in
 * helper threads (find.c).
 *
 * Opening an index, checking it against its pcap, evaluating the query
 * and listing the candidates' offsets is most of a search and touches
 * nothing shared, so on a machine with more than one CPU helper threads
 * do it for the next few indexed files (at most LOOKAHEAD ahead of the
 * one being written) while this thread writes; everything that is said
 * or written (warnings, BPF, pcap reads, the stream) stays in this
 * thread, in file order.  Without helpers (one CPU, -n) the same job runs
 * inline.
 */
#ifndef PK_POOL_H
#define PK_POOL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "find.h"
#include "idx.h"
#include "query.h"

/* a packet found: its record's offset in the pcap and its time */
struct match {
	uint64_t offset, ts;
};

#define LOOKAHEAD 8
#define MAXHELPERS 3

enum { JOB_NEW, JOB_RUNNING, JOB_DONE };
enum { JO_LONGPATH, JO_NOIDX, JO_MISMATCH, JO_OK, JO_CORRUPT };

struct job {
	const struct arch_file *af;
	int eligible;           /* indexed and not pruned by its name */
	int state;              /* JOB_*, under the pool's lock */
	int out;                /* JO_* */
	struct idx_meta mt;
	uint32_t lt, snap;      /* the pcap's own header */
	int nsec;
	int exact;
	struct match *m;        /* candidates, file order */
	size_t nm, cm;
	int bad;                /* the packet table failed after the nm candidates (err says why) */
	int dense;              /* many candidates: one range (r_start, r_end) instead of m */
	uint8_t *bits;          /* dense: the candidates among the span's records (RANGE_BITS), or NULL */
	uint32_t nbits;         /* dense: records in the span */
	uint64_t r_start, r_end, ncand;
	char err[512];
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jobs;       /* in search order */
	size_t njobs, next, cur;   /* next to claim; the one being written */
	int quit;
	const struct find_opts *o;
	const struct query *q;
	pthread_t th[MAXHELPERS];
	int nth;
};

/* pool_start: a job per file of l, in search order; helper threads when they pay */
void pool_start(struct pool *p, const struct find_opts *o, const struct query *q, const struct arch_list *l);
/* pool_get: job k, done (by a helper, or now); this thread helps while it waits */
struct job *pool_get(struct pool *p, size_t k);
/* pool_end: stop and join the helpers, free the jobs */
void pool_end(struct pool *p);

#endif
