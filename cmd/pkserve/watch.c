/*
 * watch.c - a deadline for a whole request to arrive.  MHD's connection
 * timeout (-i) closes a connection that is silent; a client that sends
 * its headers a byte at a time is never silent.  Every connection is
 * listed here from its start to its close; a thread shuts down, once a
 * second, those whose request (headers and body) has been arriving for
 * longer than -i seconds.  The list is under a mutex that MHD's close
 * notification also takes, before MHD closes the descriptor, so a
 * descriptor is never shut down after it has been reused.
 *
 * It also ends a pipeline that has run longer than -t: a client that reads
 * slowly leaves its answer's writer blocked and the reader unasked, so the
 * deadline cannot wait for the next read.  A pipeline leaves this list
 * (pipeline_wait) before it is reaped, so its process group cannot have
 * been reused when it is killed.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include "pk.h"
#include "serve.h"

struct watched {
	int fd;
	uint64_t since;		/* when the request started arriving */
	int waiting;		/* a request is arriving: the deadline runs */
	struct watched *prev, *next;
};

struct timed {
	struct pipeline *p;
	uint64_t deadline;
	struct timed *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct watched *head;
static struct timed *timed;
static atomic_ullong cut;

/* watch_open: a connection started (MHD_CONNECTION_NOTIFY_STARTED) */
void
watch_open(struct MHD_Connection *c, void **sctx)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct watched *w;

	if (ci == NULL)
		return;
	w = xcalloc(1, sizeof *w);
	w->fd = ci->connect_fd;
	w->since = pk_now_ns(CLOCK_REALTIME);
	w->waiting = 1;
	pthread_mutex_lock(&mu);
	w->next = head;
	if (head)
		head->prev = w;
	head = w;
	pthread_mutex_unlock(&mu);
	*sctx = w;
}

/* watch_close: the connection is closing (MHD_CONNECTION_NOTIFY_CLOSED) */
void
watch_close(void **sctx)
{
	struct watched *w = *sctx;

	if (w == NULL)
		return;
	pthread_mutex_lock(&mu);
	if (w->prev)
		w->prev->next = w->next;
	else
		head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&mu);
	free(w);
	*sctx = NULL;
}

/* watch_set: the request is in (waiting 0), or the next may start arriving (1) */
void
watch_set(struct MHD_Connection *c, int waiting)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *cn = ci ? ci->socket_context : NULL;
	struct watched *w = cn ? cn->watch : NULL;

	if (w == NULL)
		return;
	pthread_mutex_lock(&mu);
	w->waiting = waiting;
	w->since = pk_now_ns(CLOCK_REALTIME);
	pthread_mutex_unlock(&mu);
}

/* watch_pipeline: kill p's group at deadline (ns) unless it is forgotten first */
void
watch_pipeline(struct pipeline *p, uint64_t deadline)
{
	struct timed *t = xcalloc(1, sizeof *t);

	t->p = p;
	t->deadline = deadline;
	pthread_mutex_lock(&mu);
	t->next = timed;
	timed = t;
	pthread_mutex_unlock(&mu);
}

/* watch_forget: p is about to be reaped */
void
watch_forget(struct pipeline *p)
{
	struct timed **tp, *t;

	pthread_mutex_lock(&mu);
	for (tp = &timed; (t = *tp) != NULL; tp = &t->next)
		if (t->p == p) {
			*tp = t->next;
			free(t);
			break;
		}
	pthread_mutex_unlock(&mu);
}

/* under mu: the pipelines past their deadline */
static void
expire(uint64_t now)
{
	struct timed **tp = &timed, *t;

	while ((t = *tp) != NULL) {
		if (now < t->deadline) {
			tp = &t->next;
			continue;
		}
		atomic_store(&t->p->expired, 1);
		(void)kill(-t->p->pgid, SIGKILL);
		*tp = t->next;
		free(t);
	}
}

static void *
watch_run(void *arg)
{
	(void)arg;
	for (;;) {
		sleep(1);
		uint64_t now = pk_now_ns(CLOCK_REALTIME), limit = (uint64_t)srv.timeout * 1000000000ull;
		if (limit == 0)
			limit = UINT64_MAX;
		pthread_mutex_lock(&mu);
		for (struct watched *w = head; w; w = w->next)
			if (w->waiting && now - w->since > limit) {
				(void)shutdown(w->fd, SHUT_RDWR);
				w->waiting = 0;
				atomic_fetch_add(&cut, 1);
			}
		expire(now);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

/* watch_start: the watching thread (signals are blocked in it, as in every thread but main's sigwait) */
int
watch_start(void)
{
	pthread_t t;

	if (srv.timeout == 0 && srv.max_seconds == 0)
		return 0;
	if (pthread_create(&t, NULL, watch_run, NULL) != 0)
		return -1;
	pthread_detach(t);
	return 0;
}

/* watch_cut: connections shut down for a request too slow to arrive */
unsigned long long
watch_cut(void)
{
	return atomic_load(&cut);
}
