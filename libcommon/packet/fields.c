/* fields.c - the ANN_FIELDS wire form (see pk-stream(5)). */
#include <string.h>

#include "fields.h"
#include "pk.h"

/*
 * Layout (little-endian):
 *  0 u32 present   4 u16 ethertype  6 u8 ipver  7 u8 proto
 *  8 mac_src[6]   14 mac_dst[6]    20 u8 nvlan 21 u8 nmpls 22 u16 l3off
 * 24 u16 vlan[4]  32 u32 mpls[0] (the outermost label) 36 u16 sport 38 u16 dport
 * 40 src[16]      56 dst[16]
 * 72 u8 icmp_type 73 u8 icmp_code 74 u8 tcp_flags 75 u8 frag_first
 * 76 u16 l4off    78 u16 zero
 */
void
fields_encode(const struct pk_fields *f, uint8_t o[FIELDS_WIRELEN])
{
	memset(o, 0, FIELDS_WIRELEN);
	put32(o, f->present);
	put16(o + 4, f->ethertype);
	o[6] = f->ipver;
	o[7] = f->proto;
	memcpy(o + 8, f->mac_src, 6);
	memcpy(o + 14, f->mac_dst, 6);
	o[20] = f->nvlan;
	o[21] = f->nmpls;
	put16(o + 22, f->l3off);
	for (int i = 0; i < FLD_MAXVLAN; i++)
		put16(o + 24 + 2 * i, f->vlan[i]);
	put32(o + 32, f->mpls[0]);
	put16(o + 36, f->sport);
	put16(o + 38, f->dport);
	memcpy(o + 40, f->src, 16);
	memcpy(o + 56, f->dst, 16);
	o[72] = f->icmp_type;
	o[73] = f->icmp_code;
	o[74] = f->tcp_flags;
	o[75] = f->frag_first;
	put16(o + 76, f->l4off);
}

int
fields_decode(const uint8_t *in, size_t len, struct pk_fields *f)
{
	if (len < FIELDS_WIRELEN)
		return -1;
	memset(f, 0, sizeof *f);
	f->present = le32(in);
	f->ethertype = le16(in + 4);
	f->ipver = in[6];
	f->proto = in[7];
	memcpy(f->mac_src, in + 8, 6);
	memcpy(f->mac_dst, in + 14, 6);
	f->nvlan = in[20];
	f->nmpls = in[21];
	f->l3off = le16(in + 22);
	for (int i = 0; i < FLD_MAXVLAN; i++)
		f->vlan[i] = le16(in + 24 + 2 * i);
	f->mpls[0] = le32(in + 32);
	f->sport = le16(in + 36);
	f->dport = le16(in + 38);
	memcpy(f->src, in + 40, 16);
	memcpy(f->dst, in + 56, 16);
	f->icmp_type = in[72];
	f->icmp_code = in[73];
	f->tcp_flags = in[74];
	f->frag_first = in[75];
	f->l4off = le16(in + 76);
	/*
	 * The wire form keeps the outermost MPLS label only: a deeper stack
	 * must be read from the packet (the caller decodes it), or the index
	 * would lack the labels below the first.
	 */
	if (f->nmpls > 1)
		return -1;
	return 0;
}
