/* snaps.c - snapshot length per packet source (snaps.h). */
#include <err.h>
#include <stdlib.h>

#include "pcapfile.h"
#include "pk.h"
#include "snaps.h"

static struct snap_ent *
find(struct snaps *s, uint32_t source)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].source == source)
			return &s->v[i];
	return NULL;
}

void
snaps_set(struct snaps *s, uint32_t source, uint32_t snaplen)
{
	struct snap_ent *e = find(s, source);

	if (snaplen == 0 || snaplen > PCAP_SNAPLEN_MAX)
		snaplen = PCAP_SNAPLEN_MAX;
	if (e == NULL) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 4;

			s->v = xreallocarray(s->v, cap, sizeof *e);
			s->cap = cap;
		}
		e = &s->v[s->n++];
		e->source = source;
	}
	e->snaplen = snaplen;
}

void
snaps_drop(struct snaps *s, uint32_t source)
{
	struct snap_ent *e = find(s, source);

	if (e != NULL)
		*e = s->v[--s->n];
}

uint32_t
snaps_for(struct snaps *s, uint32_t source, uint32_t caplen)
{
	struct snap_ent *e;

	/* the common case: one live source */
	e = s->n > 0 && s->v[0].source == source ? &s->v[0] : find(s, source);
	if (e == NULL)
		return PCAP_SNAPLEN_MAX;
	if (caplen > e->snaplen) {
		if (!s->warned++)
			warnx("source %u: a packet of %u bytes, over the snapshot length %u it announced: "
			    "its files say %u", source, caplen, e->snaplen, PCAP_SNAPLEN_MAX);
		e->snaplen = PCAP_SNAPLEN_MAX;
	}
	return e->snaplen;
}

void
snaps_free(struct snaps *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
