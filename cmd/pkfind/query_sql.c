/*
 * query_sql.c - the index's reading of an expression as a condition on
 * the columns of a sessions table (query_sql.h, pk-sessions(5)), for the
 * fleet catalog: which sensors and files hold candidates.
 *
 * The rules are query_eval.c's, lifted from packets to sessions.  A leaf is
 * true of a session when some packet of it could have such a key: a
 * source key holds for side a if a sent packets, and for side b if b did;
 * a key without direction (VLAN, ethertype, protocol) for the session.
 * That is a superset of the sessions holding a packet the leaf matches,
 * and AND and OR of supersets are supersets, so a session holding a
 * matching packet always satisfies the condition.  As in query_eval, a
 * NOT of anything inexact is every session, a leaf the index would not
 * judge (vlan mode, MACs off Ethernet) is every session, and so is a
 * session of a file the index does not judge or of unsure packets.  A
 * field the sessions do not carry (MPLS labels: field_table.h without
 * FF_SESS) is every session; its packets' addresses and ports, below the
 * labels, are the sessions' own.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "linktype.h"
#include "pk.h"
#include "query.h"
#include "query_sql.h"
#include "query_tree.h"

/* a condition: text, or the constants true/false */
struct cond {
	char *s;
	int val;                 /* 1 true, 0 false, -1 the text */
};

static struct cond
cconst(int v)
{
	struct cond c = { NULL, v };

	return c;
}

static struct cond
ctext(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct cond
ctext(const char *fmt, ...)
{
	struct cond c = { NULL, -1 };
	va_list ap;

	va_start(ap, fmt);
	c.s = xvasprintf(fmt, ap);
	va_end(ap);
	return c;
}

static struct cond
cboth(int and, struct cond a, struct cond b)
{
	struct cond c;

	if (a.val >= 0 || b.val >= 0) {
		struct cond k = a.val >= 0 ? a : b, o = a.val >= 0 ? b : a;

		/* true AND x = x, false AND x = false; true OR x = true, false OR x = x */
		if (k.val == (and ? 1 : 0))
			return o;
		free(o.s);
		return cconst(k.val);
	}
	c = ctext("(%s %s %s)", a.s, and ? "AND" : "OR", b.s);
	free(a.s);
	free(b.s);
	return c;
}

static int
exact(const struct qnode *n)
{
	switch (n->kind) {
	case Q_ALL: return 1;
	case Q_AND: case Q_OR: return exact(n->a) && exact(n->b);
	case Q_NOT: return exact(n->a);
	default: return 0;
	}
}

static int
is_point(const struct qkey *k)
{
	return memcmp(k->lo, k->hi, idx_tag_len(k->tag)) == 0;
}

/* "col = v" or "col BETWEEN lo AND hi" for a numeric key */
static struct cond
num_range(const char *col, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		return ctext("%s = %u", col, lo);
	return ctext("(%s BETWEEN %u AND %u)", col, lo, hi);
}

static uint32_t
knum(const uint8_t *v, size_t len)
{
	uint32_t x = 0;

	for (size_t i = 0; i < len; i++)
		x = x << 8 | v[i];
	return x;
}

/* the condition on one side's column for an address key (MAC, IPv4, IPv6) */
static struct cond
addr_side(const struct qkey *k, const char *col)
{
	char lo[64], hi[64];
	int i;

	switch (k->tag) {
	case IDX_MAC_SRC: case IDX_MAC_DST:
		snprintf(lo, sizeof lo, "%02x:%02x:%02x:%02x:%02x:%02x", k->lo[0], k->lo[1], k->lo[2], k->lo[3],
		    k->lo[4], k->lo[5]);
		snprintf(hi, sizeof hi, "%02x:%02x:%02x:%02x:%02x:%02x", k->hi[0], k->hi[1], k->hi[2], k->hi[3],
		    k->hi[4], k->hi[5]);
		/* fixed-width lower-case hex: string order is numeric order */
		return is_point(k) ? ctext("%s = '%s'", col, lo) : ctext("(%s BETWEEN '%s' AND '%s')", col, lo, hi);
	case IDX_IP4_SRC: case IDX_IP4_DST:
		if (is_point(k)) {
			inet_ntop(AF_INET, k->lo, lo, sizeof lo);
			return ctext("%s = '%s'", col, lo);
		}
		return ctext("(IPv4StringToNum(%s) BETWEEN %u AND %u)", col, be32(k->lo), be32(k->hi));
	default:  /* IPv6 */
		if (is_point(k)) {
			inet_ntop(AF_INET6, k->lo, lo, sizeof lo);
			return ctext("%s = '%s'", col, lo);
		}
		for (i = 0; i < 16; i++) {
			snprintf(lo + 2 * i, 3, "%02x", k->lo[i]);
			snprintf(hi + 2 * i, 3, "%02x", k->hi[i]);
		}
		return ctext("(IPv6StringToNum(%s) >= unhex('%s') AND IPv6StringToNum(%s) <= unhex('%s'))", col, lo,
		    col, hi);
	}
}

/*
 * a directional key: side a as the source of a->b packets or the
 * destination of b->a packets, and side b the other way round
 */
static struct cond
dir_key(const struct qkey *k, const char *col_a, const char *col_b, int src)
{
	struct cond a = addr_side(k, col_a), b = addr_side(k, col_b), c;

	c = ctext("((%s AND packets_%s > 0) OR (%s AND packets_%s > 0))", a.s, src ? "ab" : "ba", b.s,
	    src ? "ba" : "ab");
	free(a.s);
	free(b.s);
	return c;
}

static struct cond
port_key(const struct qkey *k, int src)
{
	uint32_t lo = be16(k->lo), hi = be16(k->hi);
	struct cond a = num_range("port_a", lo, hi), b = num_range("port_b", lo, hi), c;

	c = ctext("((%s AND packets_%s > 0) OR (%s AND packets_%s > 0))", a.s, src ? "ab" : "ba", b.s,
	    src ? "ba" : "ab");
	free(a.s);
	free(b.s);
	return c;
}

/* 1 if keys i and i + 1 are the source and destination forms of one range ("host X") */
static int
either_pair(const struct qnode *n, int i)
{
	const struct qkey *s = &n->k[i], *d = &n->k[i + 1];
	size_t len = idx_tag_len(s->tag);

	if (i + 1 >= n->nk || d->tag != s->tag + 1 || memcmp(s->lo, d->lo, len) != 0 || memcmp(s->hi, d->hi, len) != 0)
		return 0;
	return s->tag == IDX_MAC_SRC || s->tag == IDX_IP4_SRC || s->tag == IDX_IP6_SRC || s->tag == IDX_PORT_SRC;
}

/* either side, whichever way its packets went: "host X", "port P" */
static struct cond
either_key(const struct qkey *k)
{
	struct cond a, b;

	switch (k->tag) {
	case IDX_PORT_SRC:
		return cboth(0, num_range("port_a", be16(k->lo), be16(k->hi)), num_range("port_b", be16(k->lo),
		    be16(k->hi)));
	case IDX_MAC_SRC:
		return cboth(0, addr_side(k, "mac_a"), addr_side(k, "mac_b"));
	}
	a = addr_side(k, "ip_a");
	b = addr_side(k, "ip_b");
	return cboth(1, ctext("ip_version = %d", k->tag == IDX_IP4_SRC ? 4 : 6), cboth(0, a, b));
}

static struct cond
key_sql(const struct qkey *k)
{
	uint32_t lo, hi;
	struct cond c;

	switch (k->tag) {
	case IDX_MAC_SRC: case IDX_MAC_DST:
		return dir_key(k, "mac_a", "mac_b", k->tag == IDX_MAC_SRC);
	case IDX_IP4_SRC: case IDX_IP4_DST:
		c = dir_key(k, "ip_a", "ip_b", k->tag == IDX_IP4_SRC);
		return cboth(1, ctext("ip_version = 4"), c);
	case IDX_IP6_SRC: case IDX_IP6_DST:
		c = dir_key(k, "ip_a", "ip_b", k->tag == IDX_IP6_SRC);
		return cboth(1, ctext("ip_version = 6"), c);
	case IDX_PORT_SRC: case IDX_PORT_DST:
		return port_key(k, k->tag == IDX_PORT_SRC);
	case IDX_VLAN:
		lo = be16(k->lo), hi = be16(k->hi);
		if (lo == 0 && hi == 0xffff)
			return ctext("notEmpty(vlans)");
		if (lo == hi)
			return ctext("has(vlans, %u)", lo);
		return ctext("arrayExists(v -> v >= %u AND v <= %u, vlans)", lo, hi);
	}
	/* a scalar field the sessions carry: its column (field_table.h); any other is every session */
	{
		const struct field_desc *d = field_by_tag(k->tag);

		if (d != NULL && d->sql != NULL && (d->flags & FF_SESS))
			return num_range(d->sql, knum(k->lo, d->width), knum(k->hi, d->width));
	}
	return cconst(1);
}

static struct cond
node_sql(const struct query *q, const struct qnode *n)
{
	struct cond c;
	int i;

	switch (n->kind) {
	case Q_ALL:
		return cconst(1);
	case Q_MAYBE:
		return cconst(1);
	case Q_AND:
	case Q_OR:
		c = node_sql(q, n->a);
		return cboth(n->kind == Q_AND, c, node_sql(q, n->b));
	case Q_NOT:
		if (!exact(n->a))
			return cconst(1);
		c = node_sql(q, n->a);
		if (c.val >= 0)
			return cconst(!c.val);
		{
			struct cond r = ctext("NOT %s", c.s);

			free(c.s);
			return r;
		}
	case Q_KEYS:
		if (q->vlan_mode && n->cls != QC_VLAN)
			return cconst(1);
		c = cconst(0);
		for (i = 0; i < n->nk; i++) {
			if (either_pair(n, i))
				c = cboth(0, c, either_key(&n->k[i++]));
			else
				c = cboth(0, c, key_sql(&n->k[i]));
		}
		if (n->cls == QC_MAC)
			c = cboth(0, ctext("linktype != %u", LINKTYPE_MAC), c);
		return c;
	}
	return cconst(1);
}

void
query_sql(const struct query *q, FILE *out)
{
	struct cond c = q->blind ? cconst(1) : node_sql(q, q->root);

	/* query_eval adds the unsure packets to every answer; unjudged files are all candidates */
	if (c.val != 1)
		c = cboth(0, ctext("(unsure = 1 OR judged = 0)"), c);
	if (c.val >= 0)
		fprintf(out, "%d", c.val);
	else
		fputs(c.s, out);
	free(c.s);
}
