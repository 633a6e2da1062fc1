/*
 * api_steno.c - Stenographer's API, for its clients unchanged (stenoread,
 * stenocurl, Security Onion, docket): POST /query, GET /debug/stats and
 * /debug/config.
 *
 * The answer to /query is a classic pcap (application/octet-stream), the
 * 24-byte header alone when nothing matches.  A classic pcap holds one
 * link type: a question whose packets span several is refused (400,
 * pkslice's reason) rather than answered as pcapng, which tcpdump, the
 * reader every Stenographer client pipes into, reads only in part.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "pk.h"
#include "serve.h"

/* a Steno-Limit-* header: 0 when absent; -1 when not a number */
static int
limit_header(struct req *r, const char *name, uint64_t *v)
{
	const char *s = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
	const char *errstr;

	*v = 0;
	if (s == NULL || *s == '\0')
		return 0;
	*v = (uint64_t)strtonum(s, 0, LLONG_MAX, &errstr);
	return errstr ? -1 : 0;
}

/* the smaller of two limits, 0 meaning none */
static uint64_t
lim(uint64_t a, uint64_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

enum MHD_Result
api_steno_query(struct req *r)
{
	struct steno_q q;
	struct argv f, s;
	char why[512];
	uint64_t lb, lp;
	enum MHD_Result ret;

	r->ans = ANS_PCAP;
	snprintf(r->what, sizeof r->what, "POST /query %s", r->body ? r->body : "");
	if (limit_header(r, "Steno-Limit-Bytes", &lb) < 0 || limit_header(r, "Steno-Limit-Packets", &lp) < 0)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "Steno-Limit-Bytes and Steno-Limit-Packets are numbers");
	if (memchr(r->body ? r->body : "", '\0', r->blen) != NULL)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "the query holds a NUL byte");
	if (steno_parse(r->body ? r->body : "", pk_now_ns(CLOCK_REALTIME), &q, why, sizeof why) < 0)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, why);
	r->lim_bytes = lim(lb, srv.max_bytes);
	r->lim_packets = lim(lp, srv.max_packets);
	argv_pkfind(&f, r, NULL, q.start, q.end, q.expr);
	argv_pkslice(&s, r, "pcap");
	ret = respond_run(r, f.v, s.v, "application/octet-stream");
	free(q.expr);
	return ret;
}

/* the oldest packet time of one archive, from its names: the first day's first file; 0 when none */
static uint64_t
oldest(const char *dir)
{
	char best[16] = "", path[4200], first[ARCH_TIMELEN + 1] = "";
	struct dirent *e;
	uint64_t t = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strlen(e->d_name) == 10 && e->d_name[4] == '-' && e->d_name[7] == '-' &&
		    (best[0] == '\0' || strcmp(e->d_name, best) < 0))
			strlcpy(best, e->d_name, sizeof best);
	closedir(d);
	if (best[0] == '\0' || snprintf(path, sizeof path, "%s/%s", dir, best) >= (int)sizeof path ||
	    (d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strlen(e->d_name) > ARCH_TIMELEN && (first[0] == '\0' || strncmp(e->d_name, first, ARCH_TIMELEN) < 0))
			strlcpy(first, e->d_name, sizeof first);
	closedir(d);
	if (first[0] == '\0' || arch_parse_time(first, &t) < 0)
		return 0;
	return t;
}

/* GET /debug/stats: name<TAB>value lines, as Stenographer's */
enum MHD_Result
api_steno_stats(struct req *r)
{
	uint64_t t = 0, o;
	char body[1024];

	for (int i = 0; i < r->ndirs; i++)
		if ((o = oldest(srv.dirs[r->dirs[i]])) != 0 && (t == 0 || o < t))
			t = o;
	snprintf(body, sizeof body,
	    "oldest_timestamp\t%llu\n"
	    "indexfile_current_reads\t%u\n"
	    "requests_active\t%u\n"
	    "requests_served\t%llu\n"
	    "requests_refused\t%llu\n"
	    "uptime_seconds\t%llu\n",
	    (unsigned long long)(t / 1000000000ull), atomic_load(&srv.active), atomic_load(&srv.active),
	    (unsigned long long)atomic_load(&srv.served), (unsigned long long)atomic_load(&srv.refused),
	    (unsigned long long)((pk_now_ns(CLOCK_REALTIME) - srv.started_ns) / 1000000000ull));
	return respond_text(r, MHD_HTTP_OK, "text/plain", body);
}

/* GET /debug/config: what this client may read and the limits, as JSON */
enum MHD_Result
api_steno_config(struct req *r)
{
	char body[8192];
	size_t o = 0;

	o += (size_t)snprintf(body + o, sizeof body - o, "{\"Server\":\"pkserve %s\",\"Archives\":[", pk_version());
	for (int i = 0; i < r->ndirs && o < sizeof body - 512; i++)
		o += (size_t)snprintf(body + o, sizeof body - o, "%s\"%s\"", i ? "," : "", srv.dirs[r->dirs[i]]);
	snprintf(body + o, sizeof body - o,
	    "],\"MaxBytes\":%llu,\"MaxPackets\":%llu,\"MaxSeconds\":%u,\"MaxRequests\":%u,\"Timeout\":%u}\n",
	    (unsigned long long)srv.max_bytes, (unsigned long long)srv.max_packets, srv.max_seconds,
	    srv.max_requests, srv.timeout);
	return respond_text(r, MHD_HTTP_OK, "application/json", body);
}
