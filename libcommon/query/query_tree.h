/*
 * query_tree.h - the index's reading of an expression (query.h): built by
 * query_parse.c, walked by query_eval.c and query_print.c, and by
 * cmd/pkfind/query_sql.c, which writes the same tree as a condition on
 * pk-sessions(5) columns.
 *
 * A leaf (Q_KEYS) holds up to QMAXKEYS key ranges of one class, OR-ed:
 * the packets having a key of tag `tag` with lo <= value <= hi (values
 * big-endian, idx_tag_len(tag) bytes).  Q_MAYBE is every packet, Q_ALL
 * the empty expression (exactly every packet).
 */
#ifndef PK_QUERY_TREE_H
#define PK_QUERY_TREE_H

#include <stdint.h>

enum qkind { Q_ALL, Q_MAYBE, Q_AND, Q_OR, Q_NOT, Q_KEYS };
enum qclass { QC_PLAIN, QC_MAC, QC_VLAN, QC_MPLS };

#define QMAXKEYS 4

struct qkey {
	uint8_t tag;
	uint8_t lo[16], hi[16];
};

struct qnode {
	enum qkind kind;
	enum qclass cls;
	struct qnode *a, *b;     /* Q_AND, Q_OR: both; Q_NOT: a */
	int nk;
	struct qkey k[QMAXKEYS];
};

struct query {
	struct qnode *root;
	int vlan_mode;   /* "vlan" appears: only vlan leaves are judged */
	int blind;       /* pppoes & co appear, or mpls where the index cannot follow it: nothing is judged */
	int nmpls;       /* "mpls" primitives in the expression */
};

#endif
