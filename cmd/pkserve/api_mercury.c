/*
 * api_mercury.c - the Mercury packet archiver's query API, for its clients:
 *
 *   GET /v1/q?startTime=RFC3339&duration=24h&queryType=ip|port|mac|protocol&query=VALUE
 *            [&showAll=true][&encode=true]
 *
 * One JSON object per packet a line with Mercury's field names (timestamp,
 * length, text, srcMAC, dstMAC, srcIP, dstIP, srcPort, dstPort, proto,
 * ipv6), made from pkfind -T json's lines (mercury.c); with encode=true
 * the packets themselves, a pcap.  The query becomes a pcap-filter
 * expression here, from a value checked for its type: an address, a
 * number, a MAC, a protocol name.  showAll=true without a query: every
 * packet of the window.  No startTime: the window ends now; no duration: 1h.
 */
#include <arpa/inet.h>
#include <ctype.h>
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

static int
is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

/* the expression for queryType and query; 0 or -1 with why */
static int
mercury_expr(const char *type, const char *q, char *out, size_t olen, char *why, size_t wlen)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", "icmp6", "arp", "sctp", "igmp", "ip", "ip6" };
	unsigned char a[16];
	char canon[INET6_ADDRSTRLEN];
	const char *errstr;
	long long n;

	if (strcmp(type, "ip") == 0) {
		int v6 = inet_pton(AF_INET6, q, a) == 1;
		if (!v6 && inet_pton(AF_INET, q, a) != 1)
			return snprintf(why, wlen, "query: '%s' is not an IP address", q), -1;
		inet_ntop(v6 ? AF_INET6 : AF_INET, a, canon, sizeof canon);
		snprintf(out, olen, "host %s", canon);
		return 0;
	}
	if (strcmp(type, "port") == 0) {
		n = strtonum(q, 0, 65535, &errstr);
		if (errstr)
			return snprintf(why, wlen, "query: '%s' is not a port", q), -1;
		snprintf(out, olen, "port %lld", n);
		return 0;
	}
	if (strcmp(type, "mac") == 0) {
		unsigned m[6];
		char end;
		if (strlen(q) != 17 || sscanf(q, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &end) != 6)
			return snprintf(why, wlen, "query: '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", q), -1;
		snprintf(out, olen, "ether host %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		return 0;
	}
	if (strcmp(type, "protocol") == 0) {
		char low[16];
		size_t i;
		for (i = 0; q[i] && i < sizeof low - 1; i++)
			low[i] = (char)tolower((unsigned char)q[i]);
		low[i] = '\0';
		for (i = 0; i < sizeof protos / sizeof protos[0]; i++)
			if (strcmp(low, protos[i]) == 0) {
				snprintf(out, olen, "%s", protos[i]);
				return 0;
			}
		n = strtonum(q, 0, 255, &errstr);
		if (errstr)
			return snprintf(why, wlen, "query: '%s' is not a protocol (tcp, udp, icmp, icmp6, arp, sctp, igmp or 0-255)", q), -1;
		snprintf(out, olen, "(ip proto %lld or ip6 proto %lld)", n, n);
		return 0;
	}
	return snprintf(why, wlen, "queryType: ip, port, mac or protocol"), -1;
}

enum MHD_Result
api_mercury(struct req *r)
{
	const char *st = arg(r, "startTime"), *du = arg(r, "duration"), *type = arg(r, "queryType"),
	    *q = arg(r, "query");
	char expr[128], why[320], e[256];
	uint64_t now = pk_now_ns(CLOCK_REALTIME), start, dur = 3600000000000ull;
	struct argv f, s;

	snprintf(r->what, sizeof r->what, "GET /v1/q %s=%s", type ? type : "-", q ? q : "-");
	if (du && durparse(du, &dur, e, sizeof e) < 0) {
		snprintf(why, sizeof why, "duration: %s", e);
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, why);
	}
	if (st) {
		if (strlen(st) < 11 || st[4] != '-' || timeparse(st, now, now, &start, e, sizeof e) < 0) {
			snprintf(why, sizeof why, "startTime: give an RFC 3339 time");
			return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, why);
		}
	} else
		start = now > dur ? now - dur : 0;
	if (dur == 0)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "duration: the window is empty");
	if (type == NULL && q == NULL && is_true(arg(r, "showAll")))
		expr[0] = '\0';
	else if (type == NULL || q == NULL)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, "give queryType and query (or showAll=true)");
	else if (mercury_expr(type, q, expr, sizeof expr, why, sizeof why) < 0)
		return respond_error(r, MHD_HTTP_BAD_REQUEST, EX_USAGE, why);
	r->lim_bytes = srv.max_bytes;
	r->lim_packets = srv.max_packets;
	if (is_true(arg(r, "encode"))) {
		r->ans = ANS_PCAP;
		argv_pkfind(&f, r, NULL, start, start + dur, expr);
		argv_pkslice(&s, r, "pcap");
		return respond_run(r, f.v, s.v, "application/vnd.tcpdump.pcap");
	}
	r->ans = ANS_MERCURY;
	argv_pkfind(&f, r, "json", start, start + dur, expr);
	return respond_run(r, f.v, NULL, "application/x-ndjson");
}
