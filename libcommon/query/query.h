/*
 * query.h - pcap-filter(7) expressions: validation with libpcap, and the
 * subset the index can judge, as a tree evaluated over one file's index.
 *
 * The tree only ever narrows: evaluating it over an index gives a set of
 * candidate packets that contains every packet tcpdump's filter would
 * match (a superset); the exact BPF then decides.  Whatever the parser
 * does not understand is MAYBE (every packet).  pkfind(1) documents which
 * primitives the index judges.
 */
#ifndef PK_QUERY_H
#define PK_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "idx.h"

struct query;

/*
 * query_parse: the tree for expr (NULL or "" = every packet).  Never
 * fails on an expression libpcap accepts: the parts it cannot follow
 * become MAYBE.  Exits on allocation failure.
 */
struct query *query_parse(const char *expr);
void query_free(struct query *q);

/*
 * A set source for query_match: the universe [0, n) is a file's flows
 * (query_eval) or a catalog's files (catalog.c).
 */
struct qsource {
	uint32_t n;
	/* OR into out the members having a tag value in lo..hi; 0, or -1 with a message */
	int (*lookup)(void *arg, int tag, const uint8_t *lo, const uint8_t *hi, struct ordset *out, char *err,
	    size_t errlen);
	void *arg;
	const struct ordset *unjudged;   /* members whose keys no leaf can trust (NULL: none) */
	const struct ordset *not_ether;  /* members that are not Ethernet: MAC leaves cannot judge them */
};

/*
 * query_match: the members of src that may hold a matching packet into
 * out (initialised here, src->n bits); *exact = 1 when out is exactly
 * the members with a matching packet.  0, or -1 with a message.
 */
int query_match(const struct query *q, const struct qsource *src, struct ordset *out, int *exact, char *err,
    size_t errlen);

/* query_judged: 1 if the index's keys agree with BPF (up to a superset) on this link type and snaplen */
int query_judged(uint32_t linktype, uint32_t snaplen);

/*
 * query_eval: the candidates among the n packets of index x (a pcap of
 * the given link type and snaplen) into out (initialised here, n bits),
 * and *exact = 1 when out is exactly the packets the filter matches.
 * 0, or -1 with a message (corrupt index).
 */
int query_eval(const struct query *q, struct idx *x, uint32_t linktype, uint32_t snaplen, uint32_t n,
    struct ordset *out, int *exact, char *err, size_t errlen);

/* query_print: the tree in a readable prefix form (tests, pkfind -E). */
void query_print(const struct query *q, FILE *out);

/*
 * query_compile: compile expr with libpcap for a pcap of this LINKTYPE_
 * value exactly as tcpdump -r does (a savefile handle: libpcap's own
 * LINKTYPE-to-DLT mapping and savefile code, optimised, netmask 0).
 * pkslice and anything else that must agree with tcpdump should use it
 * rather than pcap_open_dead.  0, or -1 with libpcap's message in err.
 */
int query_compile(const char *expr, uint32_t linktype, uint32_t snaplen, struct bpf_program *prog, char *err,
    size_t errlen);

#endif
