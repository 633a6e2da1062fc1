/*
 * api_pk.c - pk's own API: a pcap-filter expression and a window, answered
 * as pkfind and pkslice answer them.
 *
 *   /v1/pcap      ?expr=&start=&end=|duration=[&format=pcap|pcapng]   pkfind | pkslice
 *   /v1/count     the same arguments                                  pkfind -c
 *   /v1/packets   the same, [&limit=N]                                pkfind -T json
 *   /v1/sessions  the same                                            pkfind -T sessions-json
 *
 * GET or POST; with POST the body, when there is one, is the expression.
 * Times are pkfind's forms (pkfind(1)), parsed here: only numbers reach
 * the programs.  The coverage line is the Pk-Coverage header.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pk.h"
#include "serve.h"
#include "timeparse.h"

static const char *
arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* the window from start=, end=, duration=; 0 or -1 with why */
static int
window(struct req *r, uint64_t *start, uint64_t *end, char *why, size_t wlen)
{
	const char *s = arg(r, "start"), *e = arg(r, "end"), *d = arg(r, "duration");
	uint64_t now = pk_now_ns(CLOCK_REALTIME), dur;
	char err[256];

	*start = 0;
	*end = UINT64_MAX;
	if (e && d)
		return snprintf(why, wlen, "end and duration conflict"), -1;
	if (s && timeparse(s, now, now, start, err, sizeof err) < 0)
		return snprintf(why, wlen, "start: %s", err), -1;
	if (e && timeparse(e, now, s ? *start : now, end, err, sizeof err) < 0)
		return snprintf(why, wlen, "end: %s", err), -1;
	if (d) {
		if (durparse(d, &dur, err, sizeof err) < 0)
			return snprintf(why, wlen, "duration: %s", err), -1;
		if (s == NULL)
			*start = now > dur ? now - dur : 0;	/* the last DURATION */
		*end = *start + dur;
	}
	if (*end <= *start)
		return snprintf(why, wlen, "the window is empty: end is not after start"), -1;
	return 0;
}

enum MHD_Result
api_pk(struct req *r, const char *url)
{
	static const struct { const char *url, *mode, *ctype; } ep[] = {
		{ "/v1/pcap", NULL, "application/vnd.tcpdump.pcap" },
		{ "/v1/count", "-c", "text/plain" },
		{ "/v1/packets", "json", "application/x-ndjson" },
		{ "/v1/sessions", "sessions-json", "application/x-ndjson" },
	};
	const char *expr = arg(r, "expr"), *fmt = arg(r, "format"), *limit = arg(r, "limit"), *errstr;
	uint64_t start, end;
	struct argv f, s;
	char why[512];
	size_t i;

	for (i = 0; i < sizeof ep / sizeof ep[0]; i++)
		if (strcmp(url, ep[i].url) == 0)
			break;
	if (i == sizeof ep / sizeof ep[0])
		return respond_error(r, MHD_HTTP_NOT_FOUND, EX_USAGE, "no such API: /v1/pcap, /v1/count, /v1/packets, /v1/sessions, /v1/q");
	if (r->blen > 0) {
		if (expr)
			return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "the expression twice: expr= and a body");
		if (memchr(r->body, '\0', r->blen) != NULL)
			return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "the expression holds a NUL byte");
		expr = r->body;
	}
	if (expr == NULL)
		expr = "";
	if (window(r, &start, &end, why, sizeof why) < 0)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, why);
	if (fmt && strcmp(fmt, "pcap") != 0 && strcmp(fmt, "pcapng") != 0)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "format: pcap or pcapng");
	r->lim_bytes = srv.max_bytes;
	r->lim_packets = srv.max_packets;
	if (limit) {
		uint64_t n = (uint64_t)strtonum(limit, 1, LLONG_MAX, &errstr);
		if (errstr)
			return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "limit: a number of packets");
		if (r->lim_packets == 0 || n < r->lim_packets)
			r->lim_packets = n;
	}
	snprintf(r->what, sizeof r->what, "%s %s", url, expr);
	r->ans = ep[i].mode ? ANS_TEXT : ANS_PCAP;
	/* counts and sessions read every packet: a packet limit would change their meaning */
	if (ep[i].mode && strcmp(ep[i].mode, "json") != 0)
		r->lim_packets = 0;
	argv_pkfind(&f, r, ep[i].mode, start, end, expr);
	if (ep[i].mode)
		return respond_run(r, f.v, NULL, ep[i].ctype);
	argv_pkslice(&s, r, fmt);
	return respond_run(r, f.v, s.v, fmt && strcmp(fmt, "pcapng") == 0 ? "application/x-pcapng" : ep[i].ctype);
}
