/* decode.h - a packet's headers into struct pk_fields (decode.c). */
#ifndef PK_DECODE_H
#define PK_DECODE_H

#include <stdint.h>

#include "fields.h"

/*
 * decode_packet: decode the headers of one packet of the given link type
 * (LINKTYPE_* values as in pcap files).  Always returns; f->present says
 * how far it got.
 */
void decode_packet(uint32_t linktype, const uint8_t *data, uint32_t caplen, struct pk_fields *f);

#endif
