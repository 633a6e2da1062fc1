/*
 * snaps.h - the snapshot length of each packet source, for the pcap
 * header of the files pkrotate writes: announced by pkread (a source
 * record for a live capture: pkread -s; a file-open record for an input
 * file: its own header), PCAP_SNAPLEN_MAX when nothing was said.
 */
#ifndef PK_SNAPS_H
#define PK_SNAPS_H

#include <stddef.h>
#include <stdint.h>

struct snaps {
	struct snap_ent { uint32_t source, snaplen; } *v;
	size_t n, cap;
	int warned;
};

/* snaps_set: source captures with snaplen (0: not known) */
void snaps_set(struct snaps *s, uint32_t source, uint32_t snaplen);
/* snaps_drop: the source ended (its file was closed) */
void snaps_drop(struct snaps *s, uint32_t source);
/*
 * snaps_for: the snaplen for a packet of source with caplen bytes.  A
 * packet longer than its source said makes that source's snaplen the
 * largest (readers cut records beyond the header's snaplen), said once.
 */
uint32_t snaps_for(struct snaps *s, uint32_t source, uint32_t caplen);
void snaps_free(struct snaps *s);

#endif
