/* query_print.c - a query's tree in a readable prefix form (query.h). */
#include <stdio.h>
#include <string.h>

#include "idx.h"
#include "query.h"
#include "query_tree.h"

static void
print_key(const struct qkey *k, FILE *out)
{
	const struct field_desc *d = field_by_tag(k->tag);
	size_t i, len = idx_tag_len(k->tag);

	fprintf(out, "%s=", d ? d->qname : "?");
	for (i = 0; i < len; i++)
		fprintf(out, "%02x", k->lo[i]);
	if (memcmp(k->lo, k->hi, len) != 0) {
		fputs("..", out);
		for (i = 0; i < len; i++)
			fprintf(out, "%02x", k->hi[i]);
	}
}

static void
print_node(const struct qnode *n, FILE *out)
{
	int i;

	switch (n->kind) {
	case Q_ALL: fputs("all", out); return;
	case Q_MAYBE: fputs("maybe", out); return;
	case Q_NOT: fputs("(not ", out); print_node(n->a, out); fputc(')', out); return;
	case Q_AND: case Q_OR:
		fprintf(out, "(%s ", n->kind == Q_AND ? "and" : "or");
		print_node(n->a, out);
		fputc(' ', out);
		print_node(n->b, out);
		fputc(')', out);
		return;
	case Q_KEYS:
		fputc('{', out);
		for (i = 0; i < n->nk; i++) {
			if (i)
				fputc(' ', out);
			print_key(&n->k[i], out);
		}
		fputc('}', out);
		return;
	}
}

void
query_print(const struct query *q, FILE *out)
{
	print_node(q->root, out);
	if (q->vlan_mode)
		fputs(" [vlan: only vlan keys judged]", out);
	if (q->blind)
		fputs(" [mpls/pppoe/tunnel: nothing judged]", out);
	else if (q->nmpls)
		fputs(" [mpls: keys below the labels judged]", out);
	fputc('\n', out);
}
