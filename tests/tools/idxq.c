/*
 * idxq - query one index through the idx.h API, for tests/pkindex.bats.
 *
 * usage: idxq FILE.idx range TAG LOHEX HIHEX   packets whose TAG value is in [LO, HI]
 *        idxq FILE.idx time START_NS END_NS    packets with START <= time < END
 *        idxq FILE.idx not TAG LOHEX HIHEX     the complement of range
 *        idxq FILE.idx both TAG LOHEX HIHEX START_NS END_NS   range and time
 * Prints the number of packets, then their ordinals one per line.
 * Exit 65 with the message when the index is corrupt.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "ordset.h"
#include "pk.h"

static void
hex(const char *s, uint8_t *out, size_t len)
{
	if (strlen(s) != 2 * len)
		errx(EX_USAGE, "%s: want %zu hex bytes", s, len);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			errx(EX_USAGE, "%s: bad hex", s);
		out[i] = (uint8_t)v;
	}
}

int
main(int argc, char **argv)
{
	char e[512];
	struct idx *x;
	struct ordset s, t;
	uint8_t lo[16], hi[16];
	uint32_t n;
	int tag = 0;

	pk_init(argv[0]);
	if (argc < 5)
		errx(EX_USAGE, "usage: idxq FILE.idx range|not|both TAG LO HI [START END] | time START END");
	if ((x = idx_open(argv[1], e, sizeof e)) == NULL)
		errx(EX_DATAERR, "%s", e);
	n = (uint32_t)idx_get_meta(x)->packets;
	ordset_init(&s, n);
	if (strcmp(argv[2], "time") == 0) {
		if (idx_time_range(x, strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), &s, e, sizeof e) < 0)
			errx(EX_DATAERR, "%s", e);
	} else {
		if (argc < 6 || (tag = atoi(argv[3])) < 1 || idx_tag_len(tag) == 0)
			errx(EX_USAGE, "bad tag");
		hex(argv[4], lo, idx_tag_len(tag));
		hex(argv[5], hi, idx_tag_len(tag));
		if (idx_lookup_range(x, tag, lo, hi, &s, e, sizeof e) < 0)
			errx(EX_DATAERR, "%s", e);
		if (strcmp(argv[2], "not") == 0)
			ordset_not(&s);
		if (strcmp(argv[2], "both") == 0) {
			if (argc < 8)
				errx(EX_USAGE, "both needs START END");
			ordset_init(&t, n);
			if (idx_time_range(x, strtoull(argv[6], NULL, 10), strtoull(argv[7], NULL, 10), &t, e,
			    sizeof e) < 0)
				errx(EX_DATAERR, "%s", e);
			ordset_and(&s, &t);
			ordset_free(&t);
		}
	}
	printf("%" PRIu64 "\n", ordset_count(&s));
	for (uint32_t i = ordset_next(&s, 0); i != UINT32_MAX; i = ordset_next(&s, i + 1)) {
		uint64_t off, ts;
		if (idx_packet(x, i, &off, &ts) < 0)
			errx(EX_DATAERR, "packet %u: corrupt", i);
		printf("%u %" PRIu64 " %" PRIu64 "\n", i, off, ts);
	}
	ordset_free(&s);
	idx_close(x);
	return 0;
}
