/*
 * route.c - MHD's callbacks: a connection starts (require a certificate),
 * a request arrives (who, which archives, the body, which API), a request
 * ends (kill what still runs, reap, log).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pk.h"
#include "serve.h"

void
route_notify(void *cls, struct MHD_Connection *c, void **sctx, enum MHD_ConnectionNotificationCode code)
{
	struct conn *cn;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		cn = xcalloc(1, sizeof *cn);
		cn->certs = certs_take();
		tlsauth_require(c, cn->certs);
		watch_open(c, &cn->watch);
		*sctx = cn;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && (cn = *sctx) != NULL) {
		watch_close(&cn->watch);
		certs_drop(cn->certs);
		free(cn);
		*sctx = NULL;
	}
}

static void
peer_name(struct req *r)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ci && ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ci->client_addr;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
		port = ntohs(s->sin_port);
	} else if (ci && ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ci->client_addr;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
		port = ntohs(s->sin6_port);
	}
	snprintf(r->peer, sizeof r->peer, "%s:%u", a, port);
}

/* the first call for a request: who asks, may they, and is the body small enough */
static enum MHD_Result
begin(struct req *r, const char *url, const char *method)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const char *cl;
	char why[256];

	r->fd = ci ? ci->connect_fd : -1;
	r->t0 = pk_now_ns(CLOCK_REALTIME);
	peer_name(r);
	snprintf(r->what, sizeof r->what, "%s %s", method, url);
	if (strncmp(url, "/v1/", 4) == 0 && strncmp(url, "/v1/q", 5) != 0)
		r->json = 1;	/* pk's own API: JSON errors (see respond_error) */
	if (tlsauth_client(r->conn, r->client, sizeof r->client, why, sizeof why) < 0) {
		strlcpy(r->client, "-", sizeof r->client);
		return respond_error(r, MHD_HTTP_FORBIDDEN, EX_NOPERM, why);
	}
	if ((r->ndirs = acl_dirs(r->conn, r->dirs)) == 0)
		return respond_error(r, MHD_HTTP_FORBIDDEN, EX_NOPERM, "this certificate may read no archive");
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && (strlen(cl) > 9 || strtoul(cl, NULL, 10) > SERVE_BODY_MAX))
		return respond_error(r, MHD_HTTP_CONTENT_TOO_LARGE, EX_USAGE, "request body too large");
	return MHD_YES;
}

/* the body is complete: answer */
static enum MHD_Result
dispatch(struct req *r, const char *url, const char *method)
{
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;

	if (r->too_big)
		return respond_error(r, MHD_HTTP_CONTENT_TOO_LARGE, EX_USAGE, "request body too large");
	if (strcmp(url, "/debug/stats") == 0 && get)
		return api_steno_stats(r);
	if (strcmp(url, "/debug/config") == 0 && get)
		return api_steno_config(r);
	if (!((strcmp(url, "/query") == 0 && post) || (strncmp(url, "/v1/", 4) == 0 && (get || post))))
		return respond_error(r, MHD_HTTP_NOT_FOUND, EX_USAGE, "no such API: POST /query, GET /v1/q, /v1/pcap, "
		    "/v1/count, /v1/packets, /v1/sessions, GET /debug/stats, /debug/config");
	/* a query: one of the limited number that may run at once */
	if (atomic_fetch_add(&srv.active, 1) >= srv.max_requests) {
		atomic_fetch_sub(&srv.active, 1);
		return respond_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, EX_TEMPFAIL, "too many queries at once: retry later");
	}
	r->counted = 1;
	if (strcmp(url, "/query") == 0)
		return api_steno_query(r);
	if (strcmp(url, "/v1/q") == 0 && get)
		return api_mercury(r);
	return api_pk(r, url);
}

enum MHD_Result
route_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *dlen, void **ctx)
{
	struct req *r = *ctx;

	(void)cls, (void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->conn = c;
		r->fd = -1;
		r->p.out = r->p.err = -1;
		*ctx = r;
		return begin(r, url, method);
	}
	if (r->status) {
		*dlen = 0;	/* answered already (a refusal): the rest of the body is dropped */
		return MHD_YES;
	}
	if (*dlen) {
		if (!r->too_big && r->blen + *dlen <= SERVE_BODY_MAX) {
			r->body = xreallocarray(r->body, r->blen + *dlen + 1, 1);
			memcpy(r->body + r->blen, data, *dlen);
			r->blen += *dlen;
			r->body[r->blen] = '\0';
		} else
			r->too_big = 1;
		*dlen = 0;
		return MHD_YES;
	}
	watch_set(c, 0);	/* the request is in: its answer may take as long as -t allows */
	return dispatch(r, url, method);
}

/* the request is over, answered or not: nothing of it may outlive it */
void
route_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode why)
{
	struct req *r = *ctx;

	(void)cls;
	if (r == NULL)
		return;
	if (r->running) {
		if (atomic_load(&r->p.expired)) {
			r->cut = 1;	/* -t ended it, whether or not the client read to the end */
			r->cut_by = "time";
		}
		pipeline_kill(&r->p);
		(void)pipeline_wait(&r->p);
		pipeline_close(&r->p);
	}
	if (why != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status == MHD_HTTP_OK)
		r->status = 499;	/* the client went away (nginx's word for it) */
	if (r->counted)
		atomic_fetch_sub(&srv.active, 1);
	if (r->status >= 400)
		atomic_fetch_add(&srv.refused, 1);
	else
		atomic_fetch_add(&srv.served, 1);
	reqlog(r);
	watch_set(c, 1);	/* kept alive: the next request has -i seconds to arrive */
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->body);
	free(r);
	*ctx = NULL;
}
