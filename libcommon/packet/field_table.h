/*
 * field_table.h - the one table of indexed fields.
 *
 * Every field the index keys on is one row of FIELD_TABLE; the index's
 * tags (enum idx_tag), value widths, flow tuple and keys (idx_build.c),
 * its dump (idx_read.c), the catalog's tag names, the query tree's names
 * (query_print.c), the SQL columns (pkfind's query_sql.c) and the field
 * list of pk-index(5) (checked by tests/tools/fieldtab and pkindex.bats)
 * are all derived from it.  A field's tag and width are written here and
 * nowhere else.  Adding a field: a row here, a TAKE function below, the
 * decoder filling struct pk_fields, the primitive in query_parse.c, and
 * the man page line the test prints.
 *
 * X(ID, TAG, WIDTH, MAXN, TAKE, FMT, FLAGS, NAME, QNAME, JSON, SQL, MAN)
 *   ID     IDX_<ID> in enum idx_tag
 *   TAG    the key's first byte (1..254; never reuse a number)
 *   WIDTH  value bytes, big-endian in keys
 *   MAXN   values a packet may have (more: the packet is unsure)
 *   TAKE   int TAKE(const struct pk_fields *, uint8_t *v): writes the
 *          packet's values (up to MAXN of WIDTH bytes) at v, returns how many
 *   FMT    how pkindex --dump prints a value (enum field_fmt)
 *   FLAGS  FF_BASE: every index of version 2 has the field (newer fields
 *          are judged only where the index says it has them, IDXM_FIELDS);
 *          FF_MPLS: the value is what BPF reads after "mpls" keywords (the
 *          decoder takes it below the label stack), so a leaf of it stays
 *          judged there;
 *          FF_SESS: pk-sessions(5) carries it (SQL names the column)
 *   NAME   the name in pkindex --dump, catalogs and pk-index(5)
 *   QNAME  the name in pkfind -E
 *   JSON   the pkextract(1) field (JSON, CSV, ClickHouse) that shows the
 *          value, or NULL (pkextract.bats checks each is one)
 *   SQL    the pk-sessions(5) column of a scalar field, or NULL
 *   MAN    pk-index(5)'s description, and the pcap-filter primitives it
 *          judges (always up to a superset: BPF decides)
 */
#ifndef PK_FIELD_TABLE_H
#define PK_FIELD_TABLE_H

#include <stdint.h>
#include <string.h>

#include "fields.h"
#include "pk.h"

enum field_fmt { FV_MAC, FV_IP4, FV_IP6, FV_HEX, FV_DEC };

#define FF_BASE 0x1
#define FF_MPLS 0x2
#define FF_SESS 0x4

#define FIELD_TABLE(X) \
	X(MAC_SRC,    1,  6, 1, fx_mac_src, FV_MAC, FF_BASE | FF_SESS, "ether.src", "mac_src", "source.mac", NULL, \
	    "Ethernet source (ether src, ether host)") \
	X(MAC_DST,    2,  6, 1, fx_mac_dst, FV_MAC, FF_BASE | FF_SESS, "ether.dst", "mac_dst", "destination.mac", NULL, \
	    "Ethernet destination (ether dst, ether host)") \
	X(VLAN,       3,  2, FLD_MAXVLAN, fx_vlan, FV_DEC, FF_BASE | FF_SESS, "vlan", "vlan", "vlan.ids", NULL, \
	    "every VLAN id of the packet (vlan); up to 4, a packet with more is unsure") \
	X(ETHERTYPE,  4,  2, 1, fx_ethertype, FV_HEX, FF_BASE | FF_SESS, "ether.type", "ethertype", "network.ethertype", "ethertype", \
	    "innermost ethertype (ip, ip6, arp, rarp, ether proto); 0x8847 or 0x8848 under MPLS") \
	X(IP4_SRC,    5,  4, 1, fx_ip4_src, FV_IP4, FF_BASE | FF_MPLS | FF_SESS, "ip.src", "ip4_src", "source.ip", NULL, \
	    "IPv4 source; ARP sender address (src host, src net)") \
	X(IP4_DST,    6,  4, 1, fx_ip4_dst, FV_IP4, FF_BASE | FF_MPLS | FF_SESS, "ip.dst", "ip4_dst", "destination.ip", NULL, \
	    "IPv4 destination; ARP target address (dst host, dst net)") \
	X(IP6_SRC,    7, 16, 1, fx_ip6_src, FV_IP6, FF_BASE | FF_MPLS | FF_SESS, "ip6.src", "ip6_src", "source.ip", NULL, \
	    "IPv6 source (src host, src net)") \
	X(IP6_DST,    8, 16, 1, fx_ip6_dst, FV_IP6, FF_BASE | FF_MPLS | FF_SESS, "ip6.dst", "ip6_dst", "destination.ip", NULL, \
	    "IPv6 destination (dst host, dst net)") \
	X(PROTO,      9,  1, 1, fx_proto, FV_DEC, FF_BASE | FF_MPLS | FF_SESS, "ip.proto", "proto", "network.iana_number", "proto", \
	    "IP protocol, IPv6: after extension headers (tcp, udp, icmp, proto)") \
	X(PORT_SRC,  10,  2, 1, fx_port_src, FV_DEC, FF_BASE | FF_MPLS | FF_SESS, "port.src", "port_src", "source.port", NULL, \
	    "TCP, UDP, SCTP source port, not in later fragments (src port, portrange)") \
	X(PORT_DST,  11,  2, 1, fx_port_dst, FV_DEC, FF_BASE | FF_MPLS | FF_SESS, "port.dst", "port_dst", "destination.port", NULL, \
	    "destination port (dst port, portrange)") \
	X(UNSURE,    12,  1, 1, fx_unsure, FV_DEC, FF_BASE, "unsure", "unsure", NULL, NULL, \
	    "value 1: packets the decoder could not judge (a header cut short or malformed, a link type it does not decode): every search takes them as candidates") \
	X(MPLS,      13,  3, FLD_MAXMPLS, fx_mpls, FV_DEC, FF_MPLS, "mpls", "mpls", "mpls.labels", NULL, \
	    "every MPLS label of the packet, ethertype 0x8847 or 0x8848, also under VLAN tags (mpls); up to 4, a packet with more is unsure")

/* ---- TAKE: a packet's values of each field (f is never NULL) ---- */

static inline int
fx_mac_src(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_ETH))
		return 0;
	memcpy(v, f->mac_src, 6);
	return 1;
}

static inline int
fx_mac_dst(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_ETH))
		return 0;
	memcpy(v, f->mac_dst, 6);
	return 1;
}

static inline int
fx_vlan(const struct pk_fields *f, uint8_t *v)
{
	int n = (f->present & FLD_VLAN) ? (f->nvlan < FLD_MAXVLAN ? f->nvlan : FLD_MAXVLAN) : 0;

	for (int i = 0; i < n; i++)
		putbe16(v + 2 * i, f->vlan[i]);
	return n;
}

static inline int
fx_ethertype(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_ETHERTYPE))
		return 0;
	putbe16(v, f->ethertype);
	return 1;
}

/* IPv4 addresses: of an IPv4 header, or an ARP packet's sender and target */
static inline int
fx_ip4_src(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & (FLD_IP4 | FLD_ARP)))
		return 0;
	memcpy(v, f->src, 4);
	return 1;
}

static inline int
fx_ip4_dst(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & (FLD_IP4 | FLD_ARP)))
		return 0;
	memcpy(v, f->dst, 4);
	return 1;
}

static inline int
fx_ip6_src(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_IP6) || (f->present & (FLD_IP4 | FLD_ARP)))
		return 0;
	memcpy(v, f->src, 16);
	return 1;
}

static inline int
fx_ip6_dst(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_IP6) || (f->present & (FLD_IP4 | FLD_ARP)))
		return 0;
	memcpy(v, f->dst, 16);
	return 1;
}

static inline int
fx_proto(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_PROTO))
		return 0;
	v[0] = f->proto;
	return 1;
}

static inline int
fx_port_src(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_PORTS))
		return 0;
	putbe16(v, f->sport);
	return 1;
}

static inline int
fx_port_dst(const struct pk_fields *f, uint8_t *v)
{
	if (!(f->present & FLD_PORTS))
		return 0;
	putbe16(v, f->dport);
	return 1;
}

static inline int
fx_unsure(const struct pk_fields *f, uint8_t *v)
{
	if (!fields_unsure(f))
		return 0;
	v[0] = 1;
	return 1;
}

/* labels are 20 bits: three bytes, big-endian */
static inline int
fx_mpls(const struct pk_fields *f, uint8_t *v)
{
	int n = (f->present & FLD_MPLS) ? (f->nmpls < FLD_MAXMPLS ? f->nmpls : FLD_MAXMPLS) : 0;

	for (int i = 0; i < n; i++) {
		v[3 * i] = (uint8_t)(f->mpls[i] >> 16);
		v[3 * i + 1] = (uint8_t)(f->mpls[i] >> 8);
		v[3 * i + 2] = (uint8_t)f->mpls[i];
	}
	return n;
}

/* ---- the table as data, for code that walks it (field_table.c) ---- */

struct field_desc {
	int tag;
	unsigned width, maxn, flags;
	enum field_fmt fmt;
	const char *name, *qname, *json, *sql, *man;
};

/* field_by_tag: the row of a tag, NULL if none */
const struct field_desc *field_by_tag(int tag);
/* field_count, field_at: every row, in table order */
int field_count(void);
const struct field_desc *field_at(int i);

#endif
