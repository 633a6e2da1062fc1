/*
 * fuzz_decode - libFuzzer target: decode_packet() (decode.c).
 *
 * The first input byte selects the link type (an index into links[], or,
 * past its end, the byte itself as a raw LINKTYPE value), the rest is the
 * captured packet, in a buffer of exactly its length so ASan sees any read
 * past caplen.  Invariants: the offsets decode reports lie inside the
 * packet, a present bit promises a consistent value, and the ANN_FIELDS
 * wire form round-trips (encode, decode, encode gives the same bytes)
 * unless an MPLS stack has more labels than it holds (then decode refuses).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t links[] = {
	1,	/* EN10MB */
	101,	/* RAW */
	228,	/* IPV4 */
	229,	/* IPV6 */
	113,	/* LINUX_SLL */
	276,	/* LINUX_SLL2 */
	0,	/* NULL (BSD loopback, host order) */
	108,	/* LOOP (network order) */
	12,	/* RAW on OpenBSD-ish values */
	14,	/* RAW (some BSDs) */
	105,	/* IEEE802_11 */
	127,	/* IEEE802_11_RADIOTAP */
	9,	/* PPP */
	50,	/* PPP_HDLC */
	147,	/* USER0 */
};
#define NLINKS (sizeof links / sizeof links[0])

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_fields f, g;
	uint8_t w1[FIELDS_WIRELEN], w2[FIELDS_WIRELEN];
	uint32_t linktype, caplen;
	uint8_t *pkt;

	if (size < 1 || size > 262144 + 1)
		return 0;
	linktype = data[0] < NLINKS ? links[data[0]] : data[0];
	caplen = (uint32_t)(size - 1);
	/* an exact-size copy (malloc(0) may return NULL: then pass a 1-byte buffer with caplen 0) */
	pkt = malloc(caplen ? caplen : 1);
	if (pkt == NULL)
		abort();
	memcpy(pkt, data + 1, caplen);
	memset(&f, 0xa5, sizeof f);   /* decode must set everything it reports */
	decode_packet(linktype, pkt, caplen, &f);

	/* a layer marked present was read whole: its header lies inside caplen */
	if (f.present & FLD_IP4)
		assert(f.ipver == 4 && f.l3off + 20u <= caplen);
	if (f.present & FLD_IP6)
		assert(f.ipver == 6 && f.l3off + 40u <= caplen);
	if (f.present & FLD_ARP)
		assert(f.l3off + 28u <= caplen);
	if (f.present & FLD_ETH)
		assert(caplen >= 12);
	assert(!((f.present & FLD_IP4) && (f.present & FLD_IP6)));
	if (f.present & FLD_VLAN)
		assert(f.nvlan >= 1);
	if (f.present & FLD_MPLS) {
		assert(f.nmpls >= 1);
		for (int i = 0; i < f.nmpls && i < FLD_MAXMPLS; i++)
			assert(f.mpls[i] <= 0xfffff);
	}
	/* a stack the index cannot key whole is unsure (pkfind keeps the packet for BPF) */
	if (f.nmpls > FLD_MAXMPLS)
		assert(fields_unsure(&f));
	if (f.l4off != 0 && (f.present & (FLD_PORTS | FLD_ICMP | FLD_TCPFLAGS)))
		assert(f.l4off <= caplen);
	if (f.present & FLD_PORTS)
		assert(f.l4off + 4u <= caplen);
	if (f.present & FLD_TCPFLAGS)
		assert(f.l4off + 14u <= caplen);
	if (f.present & FLD_ICMP)
		assert(f.l4off + 2u <= caplen);

	fields_encode(&f, w1);
	/* the wire form keeps one label: a deeper stack is refused (its reader decodes the packet) */
	if (f.nmpls > 1) {
		assert(fields_decode(w1, sizeof w1, &g) == -1);
		free(pkt);
		return 0;
	}
	assert(fields_decode(w1, sizeof w1, &g) == 0);
	fields_encode(&g, w2);
	assert(memcmp(w1, w2, sizeof w1) == 0);
	assert(fields_decode(w1, sizeof w1 - 1, &g) == -1);
	free(pkt);
	return 0;
}
