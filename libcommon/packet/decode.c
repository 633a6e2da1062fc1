/*
 * decode.c - decode the link, network and transport headers of one packet
 * into struct pk_fields (fields.h).
 *
 * Invariants: no allocation, no system call, and no byte read at or past
 * caplen: every access below is preceded by a length check against
 * `len` (bytes left from `p`).  Decoding stops at the last good layer;
 * FLD_TRUNC says that a header was cut short or malformed.
 *
 * Agreement with BPF (pkindex keys on these fields and pkfind narrows
 * with them before BPF decides, so a field must be present whenever
 * tcpdump's filter could match it; decoding deeper than BPF is harmless):
 *  - IPv4 addresses are taken as BPF reads them (fixed offsets 12/16)
 *    even if the version nibble is not 4; such a header is marked
 *    FLD_TRUNC and not decoded further.  XXX an IHL below 5 stops
 *    decoding, while BPF would still read "ports" at offset 4*IHL.
 *  - Ports only from an unfragmented packet or the first fragment
 *    (BPF's "port" tests ip[6:2] & 0x1fff = 0); FLD_PROTO is set on
 *    every fragment ("ip proto tcp" matches all of them).
 *  - ARP and RARP: sender and target protocol addresses are read at the
 *    fixed offsets 14 and 24 of the ARP header, as BPF's "host" does,
 *    whatever the hardware/protocol lengths say.  The ARP opcode is
 *    kept in icmp_type (FLD_ICMP not set): 1 request, 2 reply.
 *  - IPv6: extension headers are walked (hop-by-hop, routing, fragment,
 *    destination options, AH); BPF only looks at the first next-header
 *    (and behind one fragment header), so its matches are a subset.
 *  - VLAN and MPLS payloads are decoded too; tcpdump needs "vlan"/"mpls"
 *    in the expression to look inside them (a superset again).  MPLS:
 *    ethertypes 0x8847 and 0x8848 (BPF's "mpls" only 0x8847), also
 *    under VLAN tags; every label is kept (FLD_MAXMPLS, more: unsure).
 *  - XXX a header cut short yields no field at all, while BPF may still
 *    match the bytes that were captured (e.g. "src host" needs only the
 *    first 16 bytes of an IPv4 header); only a snap length shorter than
 *    the headers (under 58 bytes for Ethernet + IPv6 + ports) meets this.
 *    Ethernet addresses are kept from 12 bytes on, as "ether host" reads.
 *  - PPPoE sessions are decoded; tcpdump needs "pppoes" to look inside.
 *    Tunnels (GRE, VXLAN, GTP, IP in IP) are not entered: the outermost
 *    IP header is what the fields describe, as for "host" in BPF.
 *  - Linux SLL/SLL2 and raw/NULL/LOOP links have no Ethernet addresses:
 *    FLD_ETH is not set.  The ethertype of raw/NULL/LOOP links is the
 *    implied 0x0800 or 0x86dd.
 */
#include <string.h>

#include "decode.h"
#include "fields.h"
#include "linktype.h"
#include "pk.h"

#define ET_IP4   0x0800
#define ET_ARP   0x0806
#define ET_RARP  0x8035
#define ET_VLAN  0x8100
#define ET_QINQ  0x88a8
#define ET_QINQ1 0x9100
#define ET_IP6   0x86dd
#define ET_MPLS  0x8847
#define ET_MPLSM 0x8848
#define ET_PPPOES 0x8864

static void decode_ip4(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f);
static void decode_ip6(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f);
static void decode_rawip(const uint8_t *data, uint32_t off, uint32_t caplen, int ver, struct pk_fields *f);

/*
 * Each decoder gets the packet (base, caplen) and the offset of its
 * header; `p` is formed only once `len` says the header starts inside
 * the packet.
 */
static void
decode_l4(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f)
{
	uint32_t len = off < caplen ? caplen - off : 0;
	const uint8_t *p = len ? base + off : base;

	switch (f->proto) {
	case 6:  /* TCP */
	case 17: /* UDP */
	case 132: /* SCTP */
		if (len < 4) {
			f->present |= FLD_TRUNC;
			return;
		}
		f->l4off = (uint16_t)off;
		f->sport = be16(p);
		f->dport = be16(p + 2);
		f->present |= FLD_PORTS;
		if (f->proto == 6) {
			if (len < 14) {
				f->present |= FLD_TRUNC;
				return;
			}
			f->tcp_flags = p[13];
			f->present |= FLD_TCPFLAGS;
			if (len < 20 || (p[12] >> 4) < 5)
				f->present |= FLD_TRUNC;
		} else if (len < 8)
			f->present |= FLD_TRUNC;
		return;
	case 1:  /* ICMP, only inside IPv4 */
	case 58: /* ICMPv6, only inside IPv6 */
		if ((f->proto == 1) != (f->ipver == 4))
			return;
		if (len < 2) {
			f->present |= FLD_TRUNC;
			return;
		}
		f->l4off = (uint16_t)off;
		f->icmp_type = p[0];
		f->icmp_code = p[1];
		f->present |= FLD_ICMP;
		if (len < 4)
			f->present |= FLD_TRUNC;
		return;
	}
}

static void
decode_ip4(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f)
{
	uint32_t len = off < caplen ? caplen - off : 0, hlen, fo;
	const uint8_t *p = len ? base + off : base;

	if (len < 20) {
		f->present |= FLD_TRUNC;
		return;
	}
	f->l3off = (uint16_t)off;
	f->ipver = 4;
	memcpy(f->src, p + 12, 4);
	memcpy(f->dst, p + 16, 4);
	f->proto = p[9];
	f->present |= FLD_IP4 | FLD_PROTO;
	hlen = (uint32_t)(p[0] & 0x0f) * 4;
	if ((p[0] >> 4) != 4 || hlen < 20 || hlen > len) {
		f->present |= FLD_TRUNC;
		return;
	}
	fo = be16(p + 6);
	if (fo & 0x3fff) { /* MF or an offset */
		f->present |= FLD_FRAG;
		f->frag_first = (fo & 0x1fff) == 0;
		if (!f->frag_first)
			return;
	}
	decode_l4(base, off + hlen, caplen, f);
}

static void
decode_ip6(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f)
{
	uint32_t len = off < caplen ? caplen - off : 0, hl;
	const uint8_t *p = len ? base + off : base;
	uint8_t nh;

	if (len < 40) {
		f->present |= FLD_TRUNC;
		return;
	}
	f->l3off = (uint16_t)off;
	f->ipver = 6;
	memcpy(f->src, p + 8, 16);
	memcpy(f->dst, p + 24, 16);
	nh = p[6];
	f->present |= FLD_IP6;
	off += 40;
	/* every extension header is at least 8 bytes, so this ends within caplen */
	for (;;) {
		len = off < caplen ? caplen - off : 0;
		p = len ? base + off : base;
		switch (nh) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
		case 51: /* AH */
			if (len < 2) {
				f->proto = nh;
				f->present |= FLD_PROTO | FLD_TRUNC;
				return;
			}
			hl = nh == 51 ? ((uint32_t)p[1] + 2) * 4 : ((uint32_t)p[1] + 1) * 8;
			nh = p[0];
			off += hl;
			continue;
		case 44: /* fragment */
			if (len < 8) {
				f->proto = nh;
				f->present |= FLD_PROTO | FLD_TRUNC;
				return;
			}
			f->present |= FLD_FRAG;
			f->frag_first = (be16(p + 2) & 0xfff8) == 0;
			nh = p[0];
			off += 8;
			if (!f->frag_first) {
				f->proto = nh;
				f->present |= FLD_PROTO;
				return;
			}
			continue;
		}
		break;
	}
	f->proto = nh;
	f->present |= FLD_PROTO;
	decode_l4(base, off, caplen, f);
}

static void
decode_arp(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f)
{
	uint32_t len = off < caplen ? caplen - off : 0;
	const uint8_t *p = len ? base + off : base;

	if (len < 28) {
		f->present |= FLD_TRUNC;
		return;
	}
	f->l3off = (uint16_t)off;
	f->ipver = 4;
	memcpy(f->src, p + 14, 4);
	memcpy(f->dst, p + 24, 4);
	f->icmp_type = (uint8_t)be16(p + 6);
	f->present |= FLD_ARP;
}

/*
 * MPLS label stack: every label, outermost first (FLD_MAXVLAN-like: more
 * than FLD_MAXMPLS makes the packet unsure), up to the bottom-of-stack
 * bit; then IPv4 or IPv6 guessed from the first nibble, as BPF's "mpls
 * and ip" does (BPF also wants the last label it stepped over to be the
 * bottom one: the decoder stops only there, so it reads the same bytes).
 */
static void
decode_mpls(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f)
{
	for (;;) {
		uint32_t len = off < caplen ? caplen - off : 0, e;

		if (len < 4) {
			f->present |= FLD_TRUNC;
			return;
		}
		e = be32(base + off);
		if (f->nmpls < FLD_MAXMPLS)
			f->mpls[f->nmpls] = e >> 12;
		if (f->nmpls < 255)
			f->nmpls++;
		f->present |= FLD_MPLS;
		off += 4;
		if (e & 0x100)
			break;
	}
	if (off >= caplen) {
		f->present |= FLD_TRUNC;
		return;
	}
	switch (base[off] >> 4) {
	case 4:
		decode_ip4(base, off, caplen, f);
		break;
	case 6:
		decode_ip6(base, off, caplen, f);
		break;
	}
}

static void decode_ethertype(const uint8_t *base, uint32_t off, uint32_t caplen, uint16_t type,
    struct pk_fields *f);

/* PPP protocol field at off (2 bytes, or 1 when compressed): IPv4 and IPv6 only */
static void
decode_ppp(const uint8_t *base, uint32_t off, uint32_t caplen, struct pk_fields *f)
{
	uint32_t len = off < caplen ? caplen - off : 0;
	uint16_t proto;

	if (len < 1) {
		f->present |= FLD_TRUNC;
		return;
	}
	if (base[off] & 1) { /* protocol-field compression */
		proto = base[off];
		off += 1;
	} else {
		if (len < 2) {
			f->present |= FLD_TRUNC;
			return;
		}
		proto = be16(base + off);
		off += 2;
	}
	/* inside PPPoE the ethertype stays 0x8864, as BPF sees it */
	if (f->present & FLD_ETHERTYPE) {
		if (proto == 0x0021)
			decode_ip4(base, off, caplen, f);
		else if (proto == 0x0057)
			decode_ip6(base, off, caplen, f);
	} else if (proto == 0x0021)
		decode_rawip(base, off, caplen, 4, f);
	else if (proto == 0x0057)
		decode_rawip(base, off, caplen, 6, f);
}

/* payload of an Ethernet-like header: type at off - 2, payload at off */
static void
decode_ethertype(const uint8_t *base, uint32_t off, uint32_t caplen, uint16_t type, struct pk_fields *f)
{
	for (;;) {
		uint32_t len = off < caplen ? caplen - off : 0;

		if (type == ET_VLAN || type == ET_QINQ || type == ET_QINQ1) {
			if (len < 4) {
				f->present |= FLD_TRUNC;
				return;
			}
			if (f->nvlan < FLD_MAXVLAN)
				f->vlan[f->nvlan] = be16(base + off) & 0x0fff;
			if (f->nvlan < 255)
				f->nvlan++;
			f->present |= FLD_VLAN;
			type = be16(base + off + 2);
			off += 4;
			continue;
		}
		if (type <= 1500) {
			/* 802.3 length: only LLC/SNAP with OUI 0 carries an ethertype */
			if (len < 8 || base[off] != 0xaa || base[off + 1] != 0xaa || base[off + 2] != 0x03 ||
			    base[off + 3] || base[off + 4] || base[off + 5])
				return;
			type = be16(base + off + 6);
			off += 8;
			if (type <= 1500)
				return;
			continue;
		}
		break;
	}
	f->ethertype = type;
	f->present |= FLD_ETHERTYPE;
	switch (type) {
	case ET_IP4:
		decode_ip4(base, off, caplen, f);
		break;
	case ET_IP6:
		decode_ip6(base, off, caplen, f);
		break;
	case ET_ARP:
	case ET_RARP:
		decode_arp(base, off, caplen, f);
		break;
	case ET_MPLS:
	case ET_MPLSM:
		decode_mpls(base, off, caplen, f);
		break;
	case ET_PPPOES: /* 6-byte PPPoE session header, then PPP */
		decode_ppp(base, off + 6, caplen, f);
		break;
	}
}

static void
decode_rawip(const uint8_t *data, uint32_t off, uint32_t caplen, int ver, struct pk_fields *f)
{
	if (ver == 0) {
		if (off >= caplen) {
			f->present |= FLD_TRUNC;
			return;
		}
		ver = data[off] >> 4;
	}
	if (ver == 4) {
		f->ethertype = ET_IP4;
		f->present |= FLD_ETHERTYPE;
		decode_ip4(data, off, caplen, f);
	} else if (ver == 6) {
		f->ethertype = ET_IP6;
		f->present |= FLD_ETHERTYPE;
		decode_ip6(data, off, caplen, f);
	}
}

void
decode_packet(uint32_t linktype, const uint8_t *data, uint32_t caplen, struct pk_fields *f)
{
	const struct linktype *lt = linktype_find(linktype);
	uint32_t af;

	memset(f, 0, sizeof *f);
	/* offsets are kept in 16 bits; nothing we decode lies beyond 64 KiB */
	if (caplen > 65535)
		caplen = 65535;
	if (lt == NULL)
		return;
	switch (lt->frame) {
	case LTF_NONE:
		return;
	case LTF_ETHER:
		/* BPF's "ether host" needs only the 12 address bytes */
		if (caplen >= 12) {
			memcpy(f->mac_dst, data, 6);
			memcpy(f->mac_src, data + 6, 6);
			f->present |= FLD_ETH;
		}
		/* FALLTHROUGH */
	case LTF_ETHERTYPE:
		if (caplen < lt->hdrlen) {
			f->present |= FLD_TRUNC;
			return;
		}
		decode_ethertype(data, lt->hdrlen, caplen, be16(data + lt->arg), f);
		return;
	case LTF_RAWIP:
		decode_rawip(data, 0, caplen, lt->arg, f);
		return;
	case LTF_PPP_HDLC:
		if (caplen >= 2 && data[0] == 0xff && data[1] == 0x03)
			decode_ppp(data, 2, caplen, f);
		else
			decode_ppp(data, 0, caplen, f);
		return;
	case LTF_PPP:
		decode_ppp(data, lt->arg, caplen, f);
		return;
	case LTF_AF:
		if (caplen < lt->hdrlen) {
			f->present |= FLD_TRUNC;
			return;
		}
		/* the writer's byte order is unknown: accept either */
		af = le32(data);
		if (af > 0xffff)
			af = be32(data);
		if (af == 2)
			decode_rawip(data, lt->hdrlen, caplen, 4, f);
		else if (af == 24 || af == 28 || af == 30)
			decode_rawip(data, lt->hdrlen, caplen, 6, f);
		return;
	}
}
