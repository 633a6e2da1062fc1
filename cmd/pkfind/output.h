/*
 * output.h - pkfind's listings for scripts and people beyond -T text:
 * -T json (a JSON line per packet, pkextract -T json's fields) and
 * -T sessions / sessions-json (the sessions of the matching packets,
 * pk-sessions(5)).  find.c hands over each matching packet in the
 * mode's order; sessions are written at the end.
 */
#ifndef PK_FIND_OUTPUT_H
#define PK_FIND_OUTPUT_H

#include <stdint.h>

#include "find.h"
#include "pcapfile.h"

struct output;

/* output_new: the writer of mode on stdout, or NULL if find.c writes that mode itself */
struct output *output_new(const struct find_opts *o);
/*
 * output_packet: the matching packet at offset of the open pcap pf
 * (path as listed).  0; 1 if the packet could not be read (said on
 * stderr); -1 with errno on a write error.
 */
int output_packet(struct output *out, const char *path, struct pcapf *pf, uint64_t offset);
/* output_end: write what waits for the end (sessions), flush; 0 or -1 with errno */
int output_end(struct output *out);
void output_free(struct output *out);

#endif
