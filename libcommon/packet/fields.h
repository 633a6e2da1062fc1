/*
 * fields.h - decoded header fields of one packet, and their wire form in
 * the ANN_FIELDS annotation (pk-stream(5) documents the byte layout).
 *
 * The decoder (decode.c) fills a struct pk_fields from the captured bytes;
 * pkextract puts it in the stream, pkindex keys its index on it, and
 * pkextract -T prints it.  Decoding never reads past caplen: a truncated
 * or unknown header stops it at the last good layer (FLD_TRUNC says so).
 */
#ifndef PK_FIELDS_H
#define PK_FIELDS_H

#include <stdint.h>

/* present bits */
#define FLD_ETH       0x0001u  /* mac_src, mac_dst */
#define FLD_VLAN      0x0002u  /* nvlan >= 1, vlan[] (outermost first) */
#define FLD_MPLS      0x0004u  /* nmpls >= 1, mpls[] (outermost first) */
#define FLD_ETHERTYPE 0x0008u  /* ethertype of the payload after tags */
#define FLD_IP4       0x0010u  /* ipver 4, src/dst first 4 bytes */
#define FLD_IP6       0x0020u  /* ipver 6, src/dst */
#define FLD_ARP       0x0040u  /* ARP over IPv4: src/dst = sender/target IP (ipver 4) */
#define FLD_PROTO     0x0080u  /* proto: IP protocol (IPv6: after extension headers) */
#define FLD_PORTS     0x0100u  /* sport, dport (TCP, UDP, SCTP; first fragment only) */
#define FLD_ICMP      0x0200u  /* icmp_type, icmp_code (ICMP or ICMPv6 by proto) */
#define FLD_TCPFLAGS  0x0400u  /* tcp_flags */
#define FLD_FRAG      0x0800u  /* an IP fragment; frag_first says whether it is the first */
#define FLD_TRUNC     0x1000u  /* decoding stopped at a truncated or malformed header */

#define FLD_MAXVLAN 4
#define FLD_MAXMPLS 4

struct pk_fields {
	uint32_t present;
	uint16_t ethertype;
	uint8_t ipver;          /* 0, 4 or 6 */
	uint8_t proto;
	uint8_t mac_src[6], mac_dst[6];
	uint8_t nvlan;          /* tags seen (may exceed FLD_MAXVLAN; only that many kept) */
	uint8_t nmpls;
	uint16_t l3off;         /* offset of the IP/ARP header in the packet */
	uint16_t vlan[FLD_MAXVLAN];
	uint32_t mpls[FLD_MAXMPLS];  /* labels (20 bits), outermost first; nmpls may exceed FLD_MAXMPLS */
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
	uint8_t icmp_type, icmp_code, tcp_flags;
	uint8_t frag_first;     /* with FLD_FRAG: 1 if offset 0 */
	uint16_t l4off;         /* offset of the transport header, 0 if none */
};

#define FIELDS_WIRELEN 80

/*
 * fields_unsure: 1 if the fields cannot stand for what BPF would see in
 * the packet — decoding stopped at a cut or malformed header, never
 * reached a network layer (a link type the decoder does not know, 802.3
 * without SNAP), or met more VLAN tags or MPLS labels than are kept (a
 * "vlan N" for the fifth would find no key).  The index lists such packets apart, and a
 * search always keeps them as candidates, so that BPF decides (exactness
 * over speed).
 */
static inline int
fields_unsure(const struct pk_fields *f)
{
	return (f->present & FLD_TRUNC) || !(f->present & FLD_ETHERTYPE) || f->nvlan > FLD_MAXVLAN ||
	    f->nmpls > FLD_MAXMPLS;
}

void fields_encode(const struct pk_fields *f, uint8_t out[FIELDS_WIRELEN]);
/* fields_decode: 0, or -1 if len is too short or the packet has more than one MPLS label (decode it). */
int fields_decode(const uint8_t *in, size_t len, struct pk_fields *f);

#endif
