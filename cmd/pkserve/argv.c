/*
 * argv.c - the command lines of pkfind and pkslice for a request.  The
 * programs are those beside pkserve; the archives are the client's (from
 * -d, never from the request); times and counts are numbers pkserve
 * formats; the expression is the one element after "--".
 */
#include <stdio.h>
#include <string.h>

#include "serve.h"

static void
add(struct argv *a, const char *s)
{
	if (a->n < (int)(sizeof a->v / sizeof a->v[0]) - 1)
		a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static const char *
fmt_time(struct argv *a, uint64_t ns)
{
	char *b = a->bufs[a->nb++];

	snprintf(b, sizeof a->bufs[0], "@%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
	    (unsigned long long)(ns % 1000000000ull));
	return b;
}

static const char *
fmt_num(struct argv *a, uint64_t n)
{
	char *b = a->bufs[a->nb++];

	snprintf(b, sizeof a->bufs[0], "%llu", (unsigned long long)n);
	return b;
}

/*
 * argv_pkfind: pkfind over the client's archives in [start, end) (0 and
 * UINT64_MAX: open), mode NULL for a stream to pkslice or "-c", "json",
 * "sessions-json"; packets > 0 stops after that many (listings)
 */
void
argv_pkfind(struct argv *a, const struct req *r, const char *mode, uint64_t start, uint64_t end,
    const char *expr)
{
	memset(a, 0, sizeof *a);
	add(a, srv.pkfind);
	for (int i = 0; i < r->ndirs; i++) {
		add(a, "-d");
		add(a, srv.dirs[r->dirs[i]]);
	}
	if (start > 0) {
		add(a, "-s");
		add(a, fmt_time(a, start));
	}
	if (end < UINT64_MAX) {
		if (start == 0) {
			/* pkfind reads an END without START from now; give the epoch */
			add(a, "-s");
			add(a, "@0");
		}
		add(a, "-e");
		add(a, fmt_time(a, end));
	}
	if (mode && strcmp(mode, "-c") == 0)
		add(a, "-c");
	else if (mode) {
		add(a, "-T");
		add(a, mode);
	}
	if (mode && r->lim_packets) {
		add(a, "-n");
		add(a, fmt_num(a, r->lim_packets));
	}
	add(a, "--");
	add(a, expr);
}

/* argv_pkslice: pkslice reading only the client's archives, writing fmt (pcap, pcapng) */
void
argv_pkslice(struct argv *a, const struct req *r, const char *fmt)
{
	memset(a, 0, sizeof *a);
	add(a, srv.pkslice);
	for (int i = 0; i < r->ndirs; i++) {
		add(a, "-R");
		add(a, srv.dirs[r->dirs[i]]);
	}
	if (fmt) {
		add(a, "-o");
		add(a, fmt);
	}
}
