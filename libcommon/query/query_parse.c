/*
 * query_parse.c - the index's view of a pcap-filter expression (query.h):
 * the tokeniser and the parser, text to a tree (query_tree.h).
 *
 * A recursive-descent reading of tcpdump's grammar: "not" binds tightest,
 * "and" and "or" have equal precedence and associate to the left, and a
 * bare id after and/or repeats the last qualifiers ("host a or b").  A
 * primitive becomes a leaf of index key ranges when the index agrees with
 * BPF up to a superset (decode.c lists where it looks deeper than BPF);
 * anything else is MAYBE.  The expression has already been accepted by
 * libpcap, so the parser never reports errors: when it cannot follow the
 * text it skips to the next and/or/")" and calls that part MAYBE.
 *
 * Known limits (XXX): leaves are never "exact" (the index looks inside
 * VLAN tags, IPv6 extension headers and LLC/SNAP where BPF does not), so
 * "not X" is every packet; only the empty expression is exact.  With "vlan"
 * in the expression BPF shifts the offsets of what follows, so only the
 * vlan leaves are judged; with pppoes/geneve/vxlan nothing is.
 *
 * "mpls [N]" (libpcap's gen_mpls) checks the outermost label and moves
 * the offsets of everything after it past that label, the next "mpls"
 * checks the next label, and an "ip" or "host" after them wants the last
 * label stepped over to be the bottom of the stack.  The shift applies
 * whether or not the label check held: in "mpls or host X" the host test
 * reads four bytes further into packets that have no MPLS at all, bytes
 * no key describes.  So mpls is judged only when every "mpls" primitive
 * is a conjunct of the whole expression (the root's AND chain): then a
 * match has the labels BPF stepped over, the decoder walked the same
 * stack, and the keys it took below it (field_table.h FF_MPLS: addresses,
 * protocol, ports) are what BPF reads there.  A leaf after an "mpls" of
 * any other field (ethertype: "ip" tests the version nibble under MPLS;
 * MACs, VLANs) is MAYBE.  An "mpls N" leaf is "some label of the packet
 * is N", a superset of "the label at that depth is N"; with "vlan" too,
 * or an "mpls" under or/not, nothing is judged.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "pk.h"
#include "query.h"
#include "query_tree.h"

/* ---- tokens ---- */

enum tok { T_END, T_WORD, T_LP, T_RP, T_LB, T_RB, T_NOT, T_AND, T_OR, T_OP };

struct ptok {
	enum tok t;
	char *s;
};

struct parser {
	struct ptok *v;
	size_t n, i;
	struct query *q;
	int mdepth;      /* "mpls" primitives read so far: BPF's offsets are past that many labels */
	/* the last explicit qualifiers, for bare ids */
	int have_last;
	int lp, ld, la;
};

static int
wordch(int c)
{
	return isalnum(c) || c == '.' || c == ':' || c == '_' || c == '-' || c == '/' || c == '\\' || c == '$' ||
	    c == '%';
}

static void
tokenize(struct parser *p, const char *s)
{
	size_t cap = 16;

	p->v = xcalloc(cap, sizeof *p->v);
	for (;;) {
		struct ptok t = { T_END, NULL };
		size_t len = 1;

		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (wordch((unsigned char)*s)) {
			for (len = 0; wordch((unsigned char)s[len]); len++)
				;
			t.t = T_WORD;
			if ((len == 3 && strncmp(s, "and", 3) == 0))
				t.t = T_AND;
			else if (len == 2 && strncmp(s, "or", 2) == 0)
				t.t = T_OR;
			else if (len == 3 && strncmp(s, "not", 3) == 0)
				t.t = T_NOT;
		} else if (*s == '(') {
			t.t = T_LP;
		} else if (*s == ')') {
			t.t = T_RP;
		} else if (*s == '[') {
			t.t = T_LB;
		} else if (*s == ']') {
			t.t = T_RB;
		} else if (s[0] == '&' && s[1] == '&') {
			t.t = T_AND;
			len = 2;
		} else if (s[0] == '|' && s[1] == '|') {
			t.t = T_OR;
			len = 2;
		} else if (s[0] == '!' && s[1] != '=') {
			t.t = T_NOT;
		} else {
			t.t = T_OP;
			len = (s[1] == '=' || (s[0] == '<' && s[1] == '<') || (s[0] == '>' && s[1] == '>')) ? 2 : 1;
		}
		t.s = xstrndup(s, len);
		s += len;
		if (p->n + 1 >= cap) {
			cap *= 2;
			p->v = xreallocarray(p->v, cap, sizeof *p->v);
		}
		p->v[p->n++] = t;
	}
	p->v[p->n].t = T_END;
	p->v[p->n].s = NULL;
}

static enum tok
peek(const struct parser *p, size_t ahead)
{
	return p->i + ahead < p->n ? p->v[p->i + ahead].t : T_END;
}

static const char *
peekw(const struct parser *p, size_t ahead)
{
	return peek(p, ahead) == T_WORD ? p->v[p->i + ahead].s : "";
}

static int
boundary(enum tok t)
{
	return t == T_END || t == T_AND || t == T_OR || t == T_RP;
}

/* skip the rest of a primitive we do not judge: up to and/or/")" at depth 0 */
static void
skip_primitive(struct parser *p)
{
	int depth = 0;

	while (p->i < p->n) {
		enum tok t = p->v[p->i].t;

		if (depth == 0 && boundary(t))
			return;
		if (t == T_LP || t == T_LB)
			depth++;
		else if ((t == T_RP || t == T_RB) && depth > 0)
			depth--;
		p->i++;
	}
}

/* ---- nodes ---- */

static void query_free_node(struct qnode *n);

static struct qnode *
node(enum qkind k)
{
	struct qnode *n = xcalloc(1, sizeof *n);

	n->kind = k;
	return n;
}

static struct qnode *
node2(enum qkind k, struct qnode *a, struct qnode *b)
{
	struct qnode *n = node(k);

	n->a = a;
	n->b = b;
	return n;
}

static struct qnode *
maybe(void)
{
	return node(Q_MAYBE);
}

/* key i of leaf n; a leaf gets at most two keys (dir_leaf: src or dst) */
_Static_assert(QMAXKEYS >= 2, "dir_leaf puts two keys in one leaf");
static void
setkey(struct qnode *n, int i, int tag, const uint8_t *lo, const uint8_t *hi)
{
	n->k[i].tag = (uint8_t)tag;
	memcpy(n->k[i].lo, lo, idx_tag_len(tag));
	memcpy(n->k[i].hi, hi, idx_tag_len(tag));
}

/* a leaf of one key range */
static struct qnode *
keys(enum qclass cls, int tag, const uint8_t *lo, const uint8_t *hi)
{
	struct qnode *n = node(Q_KEYS);

	n->cls = cls;
	n->nk = 1;
	setkey(n, 0, tag, lo, hi);
	return n;
}

/* v big-endian in the width of a numeric tag (field_table.h): the key's own bytes */
static void
numkey(int tag, uint32_t v, uint8_t out[16])
{
	size_t w = idx_tag_len(tag);

	memset(out, 0, 16);
	for (size_t i = 0; i < w && i < 4; i++)
		out[w - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* a leaf of the numbers lo..hi of a numeric tag */
static struct qnode *
keynum(int tag, uint32_t lo, uint32_t hi)
{
	uint8_t l[16], h[16];

	numkey(tag, lo, l);
	numkey(tag, hi, h);
	return keys(tag == IDX_VLAN ? QC_VLAN : tag == IDX_MPLS ? QC_MPLS : QC_PLAIN, tag, l, h);
}

static void
query_free_node(struct qnode *n)
{
	if (n == NULL)
		return;
	query_free_node(n->a);
	query_free_node(n->b);
	free(n);
}

/*
 * A primitive read after an "mpls": leaves of fields the decoder does not
 * take below the label stack become MAYBE (see the top of this file).
 */
static struct qnode *
past_mpls(struct qnode *n)
{
	if (n == NULL)
		return n;
	if (n->kind == Q_KEYS) {
		for (int i = 0; i < n->nk; i++) {
			const struct field_desc *d = field_by_tag(n->k[i].tag);

			if (d == NULL || !(d->flags & FF_MPLS)) {
				query_free_node(n);
				return maybe();
			}
		}
		return n;
	}
	n->a = past_mpls(n->a);
	n->b = past_mpls(n->b);
	return n;
}

/* the "mpls" leaves among the conjuncts of the whole expression */
static int
mpls_conjuncts(const struct qnode *n)
{
	if (n->kind == Q_AND)
		return mpls_conjuncts(n->a) + mpls_conjuncts(n->b);
	return n->kind == Q_KEYS && n->cls == QC_MPLS;
}

/* ---- qualifiers ---- */

enum { P_NONE, P_ETHER, P_IP, P_IP6, P_ARP, P_RARP, P_TCP, P_UDP, P_SCTP, P_ICMP, P_ICMP6, P_IGMP,
	P_IGRP, P_PIM, P_VRRP, P_CARP, P_OTHER };
enum { D_NONE, D_SRC, D_DST, D_OR, D_AND, D_OTHER };
enum { A_NONE, A_HOST, A_NET, A_PORT, A_PORTRANGE, A_PROTO, A_OTHER };

static const struct { const char *name; int p; } protos[] = {
	{ "ether", P_ETHER }, { "ip", P_IP }, { "ip6", P_IP6 }, { "arp", P_ARP }, { "rarp", P_RARP },
	{ "tcp", P_TCP }, { "udp", P_UDP }, { "sctp", P_SCTP }, { "icmp", P_ICMP }, { "icmp6", P_ICMP6 },
	{ "igmp", P_IGMP }, { "igrp", P_IGRP }, { "pim", P_PIM }, { "vrrp", P_VRRP }, { "carp", P_CARP },
	/* qualifiers the index cannot judge */
	{ "fddi", P_OTHER }, { "tr", P_OTHER }, { "wlan", P_OTHER }, { "ppp", P_OTHER }, { "slip", P_OTHER },
	{ "link", P_OTHER }, { "ah", P_OTHER }, { "esp", P_OTHER }, { "atalk", P_OTHER }, { "aarp", P_OTHER },
	{ "decnet", P_OTHER }, { "lat", P_OTHER }, { "sca", P_OTHER }, { "moprc", P_OTHER },
	{ "mopdl", P_OTHER }, { "iso", P_OTHER }, { "esis", P_OTHER }, { "es-is", P_OTHER },
	{ "isis", P_OTHER }, { "is-is", P_OTHER }, { "clnp", P_OTHER }, { "stp", P_OTHER }, { "ipx", P_OTHER },
	{ "netbeui", P_OTHER }, { "radio", P_OTHER }, { "l1", P_OTHER }, { "l2", P_OTHER }, { "iih", P_OTHER },
	{ "lsp", P_OTHER }, { "snp", P_OTHER }, { "csnp", P_OTHER }, { "psnp", P_OTHER },
};

static int
proto_qual(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof protos / sizeof protos[0]; i++)
		if (strcmp(w, protos[i].name) == 0)
			return protos[i].p;
	return -1;
}

static int
dir_word(const char *w)
{
	if (strcmp(w, "src") == 0)
		return D_SRC;
	if (strcmp(w, "dst") == 0)
		return D_DST;
	if (strcmp(w, "ra") == 0 || strcmp(w, "ta") == 0 || strcmp(w, "addr1") == 0 || strcmp(w, "addr2") == 0 ||
	    strcmp(w, "addr3") == 0 || strcmp(w, "addr4") == 0)
		return D_OTHER;
	return -1;
}

static int
addr_qual(const char *w)
{
	if (strcmp(w, "host") == 0)
		return A_HOST;
	if (strcmp(w, "net") == 0)
		return A_NET;
	if (strcmp(w, "port") == 0)
		return A_PORT;
	if (strcmp(w, "portrange") == 0)
		return A_PORTRANGE;
	if (strcmp(w, "proto") == 0)
		return A_PROTO;
	if (strcmp(w, "gateway") == 0 || strcmp(w, "protochain") == 0)
		return A_OTHER;
	return -1;
}

/* IP protocol number of a pname qualifier, 0 if it has none */
static int
pname_proto(int p)
{
	switch (p) {
	case P_TCP: return 6;
	case P_UDP: return 17;
	case P_SCTP: return 132;
	case P_ICMP: return 1;
	case P_ICMP6: return 58;
	case P_IGMP: return 2;
	case P_IGRP: return 9;
	case P_PIM: return 103;
	case P_VRRP: case P_CARP: return 112;
	}
	return 0;
}

/* IPv6 extension headers: the index keys the protocol after them, BPF the first one */
static int
ip6_ext(unsigned n)
{
	return n == 0 || n == 43 || n == 44 || n == 50 || n == 51 || n == 60 || n == 135 || n == 139 ||
	    n == 140 || n == 253 || n == 254;
}

/* ---- ids ---- */

/*
 * Numbers as libpcap's scanner reads them.  A number token (a port, a
 * protocol, a VLAN id, a prefix length, a lone "net 10") is C-like:
 * 0x hex, a leading 0 octal (8 and 9 are errors there), else decimal.
 * The octets of a dotted address are decimal (__pcap_atoin), and so are
 * the bounds of a portrange (sscanf "%d-%d"): "10.0.0.010" is 10.0.0.10,
 * "portrange 0440-0450" is 440-450.
 */
static int
parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 0);
	return (*end != '\0' || errno || *v > max) ? -1 : 0;
}

/* decimal digits only, up to maxdigits of them */
static int
parse_dec(const char *s, size_t maxdigits, unsigned long max, unsigned long *v)
{
	size_t n = strlen(s);

	if (n == 0 || n > maxdigits || strspn(s, "0123456789") != n)
		return -1;
	*v = strtoul(s, NULL, 10);
	return *v > max ? -1 : 0;
}

/* IPv4, possibly abbreviated ("10", "10.1"): *parts = how many were given */
static int
parse_ip4(const char *s, uint8_t a[4], int *parts)
{
	unsigned long v;
	char buf[64], *p, *dot;
	int n = 0;

	if (strlen(s) >= sizeof buf || *s == '\0')
		return -1;
	strlcpy(buf, s, sizeof buf);
	memset(a, 0, 4);
	/* a lone number is a number token; dotted, each octet is decimal (leading zeros too) */
	if (strchr(buf, '.') == NULL) {
		if (parse_uint(buf, 255, &v) < 0)
			return -1;
		a[0] = (uint8_t)v;
		*parts = 1;
		return 0;
	}
	for (p = buf; p != NULL; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		if (n == 4 || parse_dec(p, sizeof buf, 255, &v) < 0)
			return -1;
		a[n++] = (uint8_t)v;
	}
	*parts = n;
	return 0;
}

static int
parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	int n = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &n) == 6 ||
	    sscanf(s, "%2x-%2x-%2x-%2x-%2x-%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &n) == 6) {
		if (s[n] != '\0' || strspn(s, "0123456789abcdefABCDEF:-") != strlen(s))
			return -1;
	} else {
		unsigned a, b, c;

		if (strlen(s) != 14 || sscanf(s, "%4x.%4x.%4x%n", &a, &b, &c, &n) != 3 || s[n] != '\0')
			return -1;
		v[0] = a >> 8, v[1] = a & 0xff, v[2] = b >> 8, v[3] = b & 0xff, v[4] = c >> 8, v[5] = c & 0xff;
	}
	for (n = 0; n < 6; n++)
		m[n] = (uint8_t)v[n];
	return 0;
}

/* lo/hi of a prefix of len bits over a value of nbytes */
static void
prefix_range(const uint8_t *v, int nbytes, int len, uint8_t *lo, uint8_t *hi)
{
	int i;

	for (i = 0; i < nbytes; i++) {
		int bits = len - i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		lo[i] = v[i] & mask;
		hi[i] = (uint8_t)(v[i] | (uint8_t)~mask);
	}
}

/* leaf over the src/dst tag pair for direction d (AND for "src and dst") */
static struct qnode *
dir_leaf(enum qclass cls, int d, int tsrc, int tdst, const uint8_t *lo, const uint8_t *hi)
{
	struct qnode *n;

	switch (d) {
	case D_SRC:
		return keys(cls, tsrc, lo, hi);
	case D_DST:
		return keys(cls, tdst, lo, hi);
	case D_AND:
		return node2(Q_AND, keys(cls, tsrc, lo, hi), keys(cls, tdst, lo, hi));
	case D_NONE:
	case D_OR:
		n = keys(cls, tsrc, lo, hi);
		setkey(n, 1, tdst, lo, hi);
		n->nk = 2;
		return n;
	}
	return maybe();
}

static struct qnode *
ethertype_leaf(uint16_t et)
{
	return keynum(IDX_ETHERTYPE, et, et);
}

/* port leaf, narrowed by a protocol qualifier */
static struct qnode *
port_leaf(int pq, int d, uint16_t lo, uint16_t hi)
{
	uint8_t l[16], h[16];
	struct qnode *n;

	numkey(IDX_PORT_SRC, lo, l);
	numkey(IDX_PORT_SRC, hi, h);
	n = dir_leaf(QC_PLAIN, d, IDX_PORT_SRC, IDX_PORT_DST, l, h);
	switch (pq) {
	case P_TCP: case P_UDP: case P_SCTP:
		return node2(Q_AND, keynum(IDX_PROTO, (uint32_t)pname_proto(pq), (uint32_t)pname_proto(pq)), n);
	case P_IP:
		return node2(Q_AND, ethertype_leaf(0x0800), n);
	case P_IP6:
		return node2(Q_AND, ethertype_leaf(0x86dd), n);
	case P_NONE:
		return n;
	}
	query_free_node(n);
	return maybe();
}

static int
port_number(const char *s, int pq, unsigned long *a, unsigned long *b)
{
	struct servent *se;
	const char *w = s[0] == '\\' ? s + 1 : s;
	int n = 0;

	if (parse_uint(w, 65535, a) == 0) {
		*b = *a;
		return 1;
	}
	if (pq != P_UDP && (se = getservbyname(w, "tcp")) != NULL) {
		*a = ntohs((uint16_t)se->s_port);
		n = 1;
	}
	if (pq != P_TCP && (se = getservbyname(w, "udp")) != NULL) {
		if (n == 0)
			*a = ntohs((uint16_t)se->s_port);
		*b = ntohs((uint16_t)se->s_port);
		return 2;
	}
	*b = *a;
	return n;
}

static int
proto_number(const char *s, unsigned long *v)
{
	static const struct { const char *n; unsigned v; } names[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "icmp6", 58 }, { "sctp", 132 },
		{ "igrp", 9 }, { "pim", 103 }, { "vrrp", 112 }, { "carp", 112 }, { "esp", 50 }, { "ah", 51 },
	};
	const char *w = s[0] == '\\' ? s + 1 : s;
	size_t i;

	if (parse_uint(w, 255, v) == 0)
		return 0;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(w, names[i].n) == 0) {
			*v = names[i].v;
			return 0;
		}
	return -1;
}

/* the leaf for qualifiers (pq, d, a) and id s; may consume "mask M" */
static struct qnode *
id_leaf(struct parser *p, int pq, int d, int a, const char *s)
{
	uint8_t v[16], lo[16], hi[16], mac[6];
	unsigned long x, y;
	int parts, len = -1;
	char buf[80];
	const char *slash;

	if (pq == P_OTHER || d == D_OTHER || a == A_OTHER)
		return maybe();
	if (a == A_PROTO) {
		if (pq == P_ETHER) {
			static const struct { const char *n; uint16_t v; } et[] = {
				{ "ip", 0x0800 }, { "ip6", 0x86dd }, { "arp", 0x0806 }, { "rarp", 0x8035 },
			};
			const char *w = s[0] == '\\' ? s + 1 : s;
			size_t i;

			for (i = 0; i < sizeof et / sizeof et[0]; i++)
				if (strcmp(w, et[i].n) == 0)
					return ethertype_leaf(et[i].v);
			/* tags the decoder walks through (VLAN, MPLS) and 802.3 lengths: not judged */
			if (parse_uint(w, 65535, &x) < 0 || x <= 1500 || x == 0x8100 || x == 0x88a8 ||
			    x == 0x9100 || x == 0x8847 || x == 0x8848)
				return maybe();
			return ethertype_leaf((uint16_t)x);
		}
		if ((pq != P_NONE && pq != P_IP && pq != P_IP6) || proto_number(s, &x) < 0)
			return maybe();
		if (pq != P_IP && ip6_ext((unsigned)x))
			return maybe();
		return keynum(IDX_PROTO, (uint32_t)x, (uint32_t)x);
	}
	if (a == A_PORT || a == A_PORTRANGE) {
		if (a == A_PORTRANGE) {
			const char *dash = strchr(s, '-');

			if (dash == NULL || (size_t)(dash - s) >= sizeof buf)
				return maybe();
			memcpy(buf, s, (size_t)(dash - s));
			buf[dash - s] = '\0';
			if (parse_dec(buf, 5, 65535, &x) < 0 || parse_dec(dash + 1, 5, 65535, &y) < 0)
				return maybe();
			if (x > y) {
				unsigned long t = x;
				x = y;
				y = t;
			}
			return port_leaf(pq, d, (uint16_t)x, (uint16_t)y);
		}
		switch (port_number(s, pq, &x, &y)) {
		case 1:
			return port_leaf(pq, d, (uint16_t)x, (uint16_t)x);
		case 2:
			return node2(Q_OR, port_leaf(pq, d, (uint16_t)x, (uint16_t)x),
			    port_leaf(pq, d, (uint16_t)y, (uint16_t)y));
		}
		return maybe();
	}
	/* host, net or unqualified: an address */
	if (parse_mac(s, mac) == 0) {
		if ((a != A_NONE && a != A_HOST) || (pq != P_NONE && pq != P_ETHER))
			return maybe();
		return dir_leaf(QC_MAC, d, IDX_MAC_SRC, IDX_MAC_DST, mac, mac);
	}
	if (pq == P_ETHER)
		return maybe();
	if (a == A_NONE && (pq == P_TCP || pq == P_UDP || pq == P_SCTP) && parse_uint(s, 65535, &x) == 0)
		return port_leaf(pq, d, (uint16_t)x, (uint16_t)x);
	if ((slash = strchr(s, '/')) != NULL) {
		if ((size_t)(slash - s) >= sizeof buf || parse_uint(slash + 1, 128, &x) < 0)
			return maybe();
		memcpy(buf, s, (size_t)(slash - s));
		buf[slash - s] = '\0';
		len = (int)x;
		s = buf;
		if (a == A_NONE)
			a = A_NET;
	}
	if (a != A_NONE && a != A_HOST && a != A_NET)
		return maybe();
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, v) != 1 || (pq != P_NONE && pq != P_IP6))
			return maybe();
		if (len < 0)
			len = 128;
		if (len > 128 || (a == A_HOST && len != 128))
			return maybe();
		prefix_range(v, 16, len, lo, hi);
		return dir_leaf(QC_PLAIN, d, IDX_IP6_SRC, IDX_IP6_DST, lo, hi);
	}
	if (parse_ip4(s, v, &parts) < 0 || (pq != P_NONE && pq != P_IP && pq != P_ARP && pq != P_RARP))
		return maybe();
	if (len < 0 && a == A_NET && peek(p, 0) == T_WORD && strcmp(peekw(p, 0), "mask") == 0) {
		uint8_t m[4];
		int mparts;
		uint32_t mm;

		if (parse_ip4(peekw(p, 1), m, &mparts) < 0 || mparts != 4)
			return maybe();
		p->i += 2;
		mm = be32(m);
		for (len = 0; len < 32 && (mm & (0x80000000u >> len)); len++)
			;
		if ((uint32_t)(mm << len) != 0)
			return maybe(); /* non-contiguous mask */
	}
	if (len < 0) {
		if (a == A_NET)
			len = parts * 8;
		else if (parts == 4)
			len = 32;
		else
			return maybe();
	}
	if (len > 32 || (a == A_HOST && len != 32))
		return maybe();
	prefix_range(v, 4, len, lo, hi);
	return dir_leaf(QC_PLAIN, d, IDX_IP4_SRC, IDX_IP4_DST, lo, hi);
}

/* ---- grammar ---- */

static struct qnode *parse_expr(struct parser *p);

/* words that begin a primitive the index does not judge */
static int
opaque_word(const char *w)
{
	static const char *const words[] = {
		"less", "greater", "len", "broadcast", "multicast", "inbound", "outbound", "ifname", "on",
		"rnr", "rulenum", "reason", "rset", "ruleset", "srnr", "subrulenum", "action", "llc", "type",
		"subtype", "dir", "protochain", "gateway", "hatype", "fcsize", NULL,
	};
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(w, words[i]) == 0)
			return 1;
	return 0;
}

/* the rest of a primitive must be a boundary; if not, the whole primitive is MAYBE */
static struct qnode *
finish(struct parser *p, struct qnode *n)
{
	if (boundary(peek(p, 0)))
		return n;
	query_free_node(n);
	skip_primitive(p);
	return maybe();
}

static struct qnode *
parse_prim1(struct parser *p)
{
	int pq = P_NONE, d = D_NONE, a = A_NONE, any = 0, x;
	const char *w;
	struct qnode *n;

	if (peek(p, 0) != T_WORD) {
		p->have_last = 0;
		skip_primitive(p);
		return maybe();
	}
	w = peekw(p, 0);
	/*
	 * As in libpcap, only "qualifiers id" leaves qualifiers for a bare
	 * id; after anything else a bare id is an error libpcap has already
	 * refused, so we never see one.  Forget them to stay safe.
	 */
	if (strcmp(w, "vlan") == 0 || strcmp(w, "mpls") == 0 || strcmp(w, "pppoes") == 0 ||
	    strcmp(w, "pppoed") == 0 || strcmp(w, "geneve") == 0 || strcmp(w, "vxlan") == 0 || opaque_word(w) ||
	    (proto_qual(w) >= 0 && boundary(peek(p, 1))))
		p->have_last = 0;
	if (strcmp(w, "vlan") == 0) {
		unsigned long v;

		p->q->vlan_mode = 1;
		p->i++;
		if (peek(p, 0) == T_WORD && parse_uint(peekw(p, 0), 4095, &v) == 0) {
			p->i++;
			return finish(p, keynum(IDX_VLAN, (uint16_t)v, (uint16_t)v));
		}
		return finish(p, keynum(IDX_VLAN, 0, 0xffff));
	}
	if (strcmp(w, "mpls") == 0) {
		unsigned long v;
		uint32_t lo = 0, hi = 0xfffff;

		p->q->nmpls++;
		p->mdepth++;
		p->i++;
		if (peek(p, 0) == T_WORD && parse_uint(peekw(p, 0), 0xfffff, &v) == 0) {
			p->i++;
			lo = hi = (uint32_t)v;
		}
		return finish(p, keynum(IDX_MPLS, lo, hi));
	}
	if (strcmp(w, "pppoes") == 0 || strcmp(w, "pppoed") == 0 ||
	    strcmp(w, "geneve") == 0 || strcmp(w, "vxlan") == 0) {
		p->q->blind = 1;
		skip_primitive(p);
		return maybe();
	}
	if (opaque_word(w)) {
		skip_primitive(p);
		return maybe();
	}
	if ((x = proto_qual(w)) >= 0) {
		pq = x;
		any = 1;
		p->i++;
		if (boundary(peek(p, 0))) {
			/* a protocol name alone */
			int ip = pname_proto(pq);

			switch (pq) {
			case P_IP: return ethertype_leaf(0x0800);
			case P_IP6: return ethertype_leaf(0x86dd);
			case P_ARP: return ethertype_leaf(0x0806);
			case P_RARP: return ethertype_leaf(0x8035);
			}
			return ip ? keynum(IDX_PROTO, (uint32_t)ip, (uint32_t)ip) : maybe();
		}
		if (peek(p, 0) != T_WORD) { /* tcp[13] & 2 != 0 and the like */
			skip_primitive(p);
			return maybe();
		}
	}
	if ((x = dir_word(peekw(p, 0))) >= 0) {
		d = x;
		any = 1;
		p->i++;
		if ((peek(p, 0) == T_OR || peek(p, 0) == T_AND) && dir_word(peekw(p, 1)) >= 0) {
			int other = dir_word(peekw(p, 1));

			if (d == D_OTHER || other == D_OTHER)
				d = D_OTHER;
			else
				d = peek(p, 0) == T_OR ? D_OR : D_AND;
			p->i += 2;
		}
	}
	if ((x = addr_qual(peekw(p, 0))) >= 0) {
		a = x;
		any = 1;
		p->i++;
	}
	if (!any) {
		/* a bare id: the last qualifiers apply ("host a or b") */
		if (!p->have_last) {
			skip_primitive(p);
			return maybe();
		}
		pq = p->lp, d = p->ld, a = p->la;
	} else {
		p->have_last = 1;
		p->lp = pq, p->ld = d, p->la = a;
	}
	if (peek(p, 0) == T_LP) {
		/* "host (a or b)": ids in the group take these qualifiers */
		p->i++;
		n = parse_expr(p);
		if (peek(p, 0) != T_RP) {
			query_free_node(n);
			skip_primitive(p);
			return maybe();
		}
		p->i++;
		return finish(p, n);
	}
	if (peek(p, 0) != T_WORD || opaque_word(peekw(p, 0))) {
		skip_primitive(p);
		return maybe();
	}
	w = peekw(p, 0);
	p->i++;
	return finish(p, id_leaf(p, pq, d, a, w));
}

/* a primitive; after an "mpls", read as past the labels */
static struct qnode *
parse_prim(struct parser *p)
{
	int depth = p->mdepth;
	struct qnode *n = parse_prim1(p);

	return depth > 0 ? past_mpls(n) : n;
}

static struct qnode *
parse_term(struct parser *p)
{
	struct qnode *n;

	if (peek(p, 0) == T_NOT) {
		p->i++;
		return node2(Q_NOT, parse_term(p), NULL);
	}
	if (peek(p, 0) == T_LP) {
		/* libpcap: a group leaves the qualifiers from before it */
		int hl = p->have_last, lp = p->lp, ld = p->ld, la = p->la;

		p->i++;
		n = parse_expr(p);
		if (peek(p, 0) == T_RP)
			p->i++;
		p->have_last = hl, p->lp = lp, p->ld = ld, p->la = la;
		/* "(ip[2:2] - 20) > 100": the group was arithmetic */
		return finish(p, n);
	}
	return parse_prim(p);
}

static struct qnode *
parse_expr(struct parser *p)
{
	struct qnode *n = parse_term(p);

	while (peek(p, 0) == T_AND || peek(p, 0) == T_OR) {
		enum qkind k = peek(p, 0) == T_AND ? Q_AND : Q_OR;

		p->i++;
		n = node2(k, n, parse_term(p));
	}
	return n;
}

struct query *
query_parse(const char *expr)
{
	struct query *q = xcalloc(1, sizeof *q);
	struct parser p;
	size_t i;

	memset(&p, 0, sizeof p);
	p.q = q;
	tokenize(&p, expr ? expr : "");
	if (p.n == 0) {
		q->root = node(Q_ALL);
	} else {
		q->root = parse_expr(&p);
		/* anything left over (an unbalanced ")") means we lost track */
		if (p.i != p.n) {
			query_free_node(q->root);
			q->root = maybe();
		}
	}
	/* mpls is judged only as conjuncts of the whole, and not with vlan's offsets (top of file) */
	if (q->nmpls > 0 && (q->vlan_mode || mpls_conjuncts(q->root) != q->nmpls))
		q->blind = 1;
	for (i = 0; i < p.n; i++)
		free(p.v[i].s);
	free(p.v);
	return q;
}

void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	query_free_node(q->root);
	free(q);
}
