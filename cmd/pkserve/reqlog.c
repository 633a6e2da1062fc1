/* reqlog.c - one line per request on standard error (the journal under systemd) */
#include <stdio.h>
#include <time.h>

#include "pk.h"
#include "serve.h"

void
reqlog(const struct req *r)
{
	char q[sizeof r->what];
	size_t i;

	/* the question on one line: control characters become '?' */
	for (i = 0; r->what[i] && i < sizeof q - 1; i++)
		q[i] = (unsigned char)r->what[i] < 0x20 || r->what[i] == 0x7f ? '?' : r->what[i];
	q[i] = '\0';
	fprintf(stderr, "pkserve: %s client=%s status=%u packets=%llu bytes=%llu ms=%llu%s question=\"%s\"\n",
	    r->peer, r->client, r->status, (unsigned long long)r->packets, (unsigned long long)r->sent,
	    (unsigned long long)((pk_now_ns(CLOCK_REALTIME) - r->t0) / 1000000ull), r->cut ? " cut" : "", q);
}
