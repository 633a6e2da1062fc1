/*
 * fuzz_query - libFuzzer target: the index's view of a pcap-filter
 * expression (libcommon/query/), checked against libpcap's BPF: the one promise
 * that makes pkfind's answers equal tcpdump's.
 *
 * Input: an expression (bytes up to the first NUL, at most 256), a link
 * type selector byte, then packets as [u16 little-endian length][bytes]
 * (at most 32).  When libpcap accepts the expression for that link type:
 * the packets are decoded and indexed (idxb_* into a temporary directory,
 * read back with idx_open), the query is evaluated over the index, and
 * every packet BPF matches must be among the candidates; when query_eval
 * says the answer is exact, candidates and BPF matches must be equal.
 * query_print and query_sql (the fleet catalog's reading) run on every
 * tree.  FUZZ_QUERY_SUPERSET_ONLY=1 in the
 * environment checks only the superset promise (to look past a known
 * exactness bug).  Expressions libpcap refuses are not
 * given to query_parse (pkfind validates first, and so does the contract).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "decode.h"
#include "fields.h"
#include "idx.h"
#include "ordset.h"
#include "pcapfile.h"
#include "pk.h"
#include "query.h"
#include "query_sql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXPKT 32

static const uint32_t links[] = { 1, 101, 228, 229, 113, 276, 0, 108 };

static char dir[64];
static FILE *devnull;
static int superset_only;

static void
setup(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof dir, "/tmp/fuzz_query.%d", (int)getpid());
	if (mkdir(dir, 0700) < 0 && access(dir, W_OK) < 0)
		abort();
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	superset_only = getenv("FUZZ_QUERY_SUPERSET_ONLY") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size < 257 ? size : 257), *p, *end = data + size;
	const uint8_t *pkt[MAXPKT];
	uint32_t len[MAXPKT], linktype, n = 0, i;
	char expr[260], err[512], pcap_path[128], idx_path[160];
	struct bpf_program prog;
	struct idx_builder *b;
	struct pk_fields f;
	struct query *q;
	struct idx *x;
	struct ordset cand;
	uint64_t off = 24;
	uint8_t h[PCAP_FILEHDR];
	FILE *pf;
	int exact;

	setup();
	if (nul == NULL || nul + 1 >= end)
		return 0;
	memcpy(expr, data, (size_t)(nul - data));
	expr[nul - data] = '\0';
	linktype = links[nul[1] % (sizeof links / sizeof links[0])];
	for (p = nul + 2; p + 2 <= end && n < MAXPKT; n++) {
		uint32_t l = (uint32_t)(p[0] | p[1] << 8);
		p += 2;
		if (l > (uint32_t)(end - p))
			l = (uint32_t)(end - p);
		pkt[n] = p;
		len[n] = l;
		p += l;
	}
	if (n == 0)
		return 0;
	if (query_compile(expr, linktype, 65535, &prog, err, sizeof err) < 0)
		return 0;

	q = query_parse(expr);
	query_print(q, devnull);
	query_sql(q, devnull);
	snprintf(pcap_path, sizeof pcap_path, "%s/x.pcap", dir);
	snprintf(idx_path, sizeof idx_path, "%s%s", pcap_path, IDX_SUFFIX);
	unlink(idx_path);
	/* the pcap the index covers: the builder checks it against its own count and size */
	if ((pf = fopen(pcap_path, "wb")) == NULL)
		abort();
	pcapw_filehdr(h, linktype, 65535, 0);
	fwrite(h, 1, sizeof h, pf);
	b = idxb_new(linktype, 65535, 0);
	for (i = 0; i < n; i++) {
		uint8_t rh[16] = { 0 };

		put32(rh, 1700000000u);
		put32(rh + 4, i);
		put32(rh + 8, len[i]);
		put32(rh + 12, len[i]);
		fwrite(rh, 1, sizeof rh, pf);
		fwrite(pkt[i], 1, len[i], pf);
		decode_packet(linktype, pkt[i], len[i], &f);
		idxb_add(b, off, 1700000000000000000ull + i * 1000ull, len[i], &f);
		off += 16 + len[i];
	}
	if (fclose(pf) != 0)
		abort();
	if (idxb_write(b, pcap_path, off, err, sizeof err) < 0) {
		fprintf(stderr, "idxb_write: %s\n", err);
		abort();
	}
	idxb_free(b);
	if ((x = idx_open(idx_path, err, sizeof err)) == NULL) {
		fprintf(stderr, "idx_open of a fresh index: %s\n", err);
		abort();
	}
	assert(idx_get_meta(x)->packets == n);
	if (query_eval(q, x, linktype, 65535, n, &cand, &exact, err, sizeof err) < 0) {
		fprintf(stderr, "query_eval on a fresh index: %s\n", err);
		abort();
	}
	for (i = 0; i < n; i++) {
		int match = bpf_filter(prog.bf_insns, pkt[i], len[i], len[i]) != 0;
		if (match && !ordset_has(&cand, i)) {
			fprintf(stderr, "'%s' (linktype %u): packet %u matches BPF but the index ruled it out\n",
			    expr, linktype, i);
			query_print(q, stderr);
			abort();
		}
		if (exact && !superset_only && match != ordset_has(&cand, i)) {
			fprintf(stderr, "'%s' (linktype %u): answer said exact, packet %u: BPF %d index %d\n",
			    expr, linktype, i, match, ordset_has(&cand, i));
			abort();
		}
	}
	ordset_free(&cand);
	idx_close(x);
	unlink(idx_path);
	query_free(q);
	pcap_freecode(&prog);
	return 0;
}
