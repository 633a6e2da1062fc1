/*
 * slice_ng.c - pkslice's pcapng output: one section, one interface per
 * link type (and timestamp resolution), enhanced packet blocks.  Used
 * when an answer spans link types, which a classic pcap cannot hold.
 *
 * Interfaces are described lazily, just before their first packet (the
 * format allows an interface description anywhere before its use), so a
 * stream of packets needs no look-ahead.  Blocks are little-endian, as
 * libpcap writes them on this host; the byte-order magic says so.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pk.h"
#include "slice.h"

#define PK_ALIGN4(n) (((n) + 3u) & ~(size_t)3u)

#define NG_SHB 0x0a0d0d0au
#define NG_IDB 1u
#define NG_EPB 6u
#define NG_BOM 0x1a2b3c4du
#define NG_OPT_END 0
#define NG_OPT_USERAPPL 4      /* shb_userappl */
#define NG_OPT_TSRESOL 9       /* if_tsresol */

static int
ng_write(struct bufout *o, const uint8_t *b, size_t n)
{
	return bufout_write(o, b, n);
}

int
ng_section(struct bufout *o)
{
	char app[64];
	uint8_t b[128];
	size_t alen, n;

	alen = (size_t)snprintf(app, sizeof app, "pkslice (pk) %s", pk_version());
	if (alen >= sizeof app)
		alen = sizeof app - 1;
	n = 24 + 4 + PK_ALIGN4(alen) + 4 + 4;
	memset(b, 0, sizeof b);
	put32(b, NG_SHB);
	put32(b + 4, (uint32_t)n);
	put32(b + 8, NG_BOM);
	put16(b + 12, 1);
	put16(b + 14, 0);
	put64(b + 16, UINT64_MAX);      /* section length not given */
	put16(b + 24, NG_OPT_USERAPPL);
	put16(b + 26, (uint16_t)alen);
	memcpy(b + 28, app, alen);
	/* opt_endofopt: 4 zero bytes, already there */
	put32(b + n - 4, (uint32_t)n);
	return ng_write(o, b, n);
}

int
ng_interface(struct bufout *o, uint32_t linktype, uint32_t snaplen, int nsec)
{
	uint8_t b[32];
	size_t n = nsec ? 32 : 20;

	memset(b, 0, sizeof b);
	put32(b, NG_IDB);
	put32(b + 4, (uint32_t)n);
	put16(b + 8, (uint16_t)linktype);
	put16(b + 10, 0);
	put32(b + 12, snaplen);
	if (nsec) {
		put16(b + 16, NG_OPT_TSRESOL);
		put16(b + 18, 1);
		b[20] = 9;              /* 10^-9 s */
		/* then opt_endofopt (b + 24, zero) */
	}
	put32(b + n - 4, (uint32_t)n);
	return ng_write(o, b, n);
}

int
ng_packet(struct bufout *o, uint32_t ifid, uint64_t ts_ns, uint32_t caplen, uint32_t wirelen,
    const uint8_t *data, int nsec)
{
	size_t n = 28 + PK_ALIGN4((size_t)caplen) + 4;
	uint64_t ts = nsec ? ts_ns : ts_ns / 1000u;
	uint8_t *p = bufout_reserve(o, n);

	if (p == NULL)
		return -1;
	put32(p, NG_EPB);
	put32(p + 4, (uint32_t)n);
	put32(p + 8, ifid);
	put32(p + 12, (uint32_t)(ts >> 32));
	put32(p + 16, (uint32_t)ts);
	put32(p + 20, caplen);
	put32(p + 24, wirelen);
	memcpy(p + 28, data, caplen);
	memset(p + 28 + caplen, 0, PK_ALIGN4((size_t)caplen) - caplen);
	put32(p + n - 4, (uint32_t)n);
	bufout_commit(o, n);
	return 0;
}
