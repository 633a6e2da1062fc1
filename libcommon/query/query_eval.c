/*
 * query_eval.c - a query's tree (query_tree.h) evaluated over a set
 * source: a file's flows (query_eval) or a catalog's files (query_match).
 */
#include <stdint.h>

#include "idx.h"
#include "linktype.h"
#include "ordset.h"
#include "query.h"
#include "query_tree.h"

/*
 * Link types whose decoding (decode.c) agrees with BPF up to a superset.
 * XXX a header cut short by the snaplen is not decoded while BPF still
 * matches the bytes that were captured (an IPv6 source address in a
 * 50-byte packet), so files with a snaplen below what BPF reads (link
 * header + 60 bytes of IPv4 options or IPv6 + fragment header + ports)
 * are not judged at all.
 */
#define JUDGE_SNAPLEN 128

int
query_judged(uint32_t lt, uint32_t snaplen)
{
	return snaplen >= JUDGE_SNAPLEN && linktype_has(lt, LT_JUDGED);
}

struct ectx {
	const struct query *q;
	const struct qsource *src;
	char *err;
	size_t errlen;
};

static void
or_opt(struct ordset *out, const struct ordset *s)
{
	if (s != NULL)
		ordset_or(out, s);
}

static int
eval(const struct ectx *c, const struct qnode *nd, struct ordset *out, int *exact)
{
	const struct qsource *src = c->src;
	struct ordset tmp;
	int e2, i;

	switch (nd->kind) {
	case Q_ALL:
		ordset_init(out, src->n);
		ordset_fill(out);
		*exact = 1;
		return 0;
	case Q_MAYBE:
		break;
	case Q_KEYS:
		if (c->q->blind || (c->q->vlan_mode && nd->cls != QC_VLAN))
			break;
		ordset_init(out, src->n);
		for (i = 0; i < nd->nk; i++)
			if (src->lookup(src->arg, nd->k[i].tag, nd->k[i].lo, nd->k[i].hi, out, c->err, c->errlen) < 0) {
				ordset_free(out);
				return -1;
			}
		/* members whose keys cannot be trusted for this leaf are candidates whatever it says */
		or_opt(out, src->unjudged);
		if (nd->cls == QC_MAC)
			or_opt(out, src->not_ether);
		/*
		 * Never exact, not even when empty: the index sees inside tags
		 * where BPF does not, and a header cut short may hold bytes BPF
		 * matches that the decoder did not keep (fuzz_query regress).
		 */
		*exact = src->n == 0;
		return 0;
	case Q_AND:
	case Q_OR:
		if (eval(c, nd->a, out, exact) < 0)
			return -1;
		/* nothing AND x is nothing (a superset of nothing is nothing) */
		if (nd->kind == Q_AND && ordset_next(out, 0) == UINT32_MAX)
			return 0;
		if (eval(c, nd->b, &tmp, &e2) < 0) {
			ordset_free(out);
			return -1;
		}
		if (nd->kind == Q_AND)
			ordset_and(out, &tmp);
		else
			ordset_or(out, &tmp);
		ordset_free(&tmp);
		*exact = *exact && e2;
		return 0;
	case Q_NOT:
		if (eval(c, nd->a, out, exact) < 0)
			return -1;
		if (*exact)
			ordset_not(out);
		else
			ordset_fill(out);
		return 0;
	}
	ordset_init(out, src->n);
	ordset_fill(out);
	*exact = src->n == 0;
	return 0;
}

int
query_match(const struct query *q, const struct qsource *src, struct ordset *out, int *exact, char *err,
    size_t errlen)
{
	struct ectx c = { q, src, err, errlen };
	static const uint8_t one = 1;
	struct ordset unsure;

	if (eval(&c, q->root, out, exact) < 0)
		return -1;
	/*
	 * Members holding packets the decoder could not judge (fields_unsure():
	 * a cut or malformed header, a link type it does not decode) carry no
	 * trustworthy keys: they stay candidates whatever the expression
	 * says, and BPF decides.
	 */
	ordset_init(&unsure, src->n);
	if (src->lookup(src->arg, IDX_UNSURE, &one, &one, &unsure, err, errlen) < 0) {
		ordset_free(&unsure);
		ordset_free(out);
		return -1;
	}
	if (ordset_next(&unsure, 0) != UINT32_MAX) {
		ordset_or(out, &unsure);
		*exact = 0;
	}
	ordset_free(&unsure);
	return 0;
}

static int
flow_lookup(void *arg, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out, char *err, size_t errlen)
{
	return idx_lookup_flows(arg, tag, lo, hi, out, err, errlen);
}

int
query_eval(const struct query *q, struct idx *x, uint32_t linktype, uint32_t snaplen, uint32_t n,
    struct ordset *out, int *exact, char *err, size_t errlen)
{
	struct qsource src = { idx_flows(x), flow_lookup, x, NULL, NULL };
	struct ordset all, flows;
	int rc;

	/*
	 * Every indexed field is part of a flow's tuple, so a key holds for
	 * a packet exactly when it holds for the packet's flow: the whole
	 * expression is judged over the flows, and only its result becomes
	 * packets.
	 */
	if (!query_judged(linktype, snaplen) || linktype != LINKTYPE_MAC) {
		ordset_init(&all, src.n);
		ordset_fill(&all);
		if (!query_judged(linktype, snaplen))
			src.unjudged = &all;
		else
			src.not_ether = &all;
	}
	rc = query_match(q, &src, &flows, exact, err, errlen);
	if (src.unjudged || src.not_ether)
		ordset_free(&all);
	if (rc < 0)
		return -1;
	ordset_init(out, n);
	if (*exact && ordset_count(&flows) == src.n)
		ordset_fill(out);
	else if (idx_flows_packets(x, &flows, out, err, errlen) < 0)
		rc = -1;
	ordset_free(&flows);
	if (rc < 0)
		ordset_free(out);
	return rc;
}
