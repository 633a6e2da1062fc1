/*
 * slice_idx.c - pkslice -s/-e on files with an index: the packet table
 * gives the offsets in the time window, so only those records are read.
 * An index that does not cover its pcap exactly is ignored (the pcap is
 * the truth) and the file is scanned.
 */
#include <stdio.h>
#include <string.h>

#include "idx.h"
#include "pk.h"
#include "slice.h"

int
slice_idx_locate(struct slice *sl, struct slice_file *f)
{
	char path[4096], e[256];
	struct idx *x;
	struct ordset s;
	const struct idx_meta *m;
	uint64_t off, ts;
	int used = 0;

	if ((size_t)snprintf(path, sizeof path, "%s%s", f->path, IDX_SUFFIX) >= sizeof path)
		return 0;
	if ((x = idx_open(path, e, sizeof e)) == NULL)
		return 0;      /* absent or unreadable: scan, which is always right */
	m = idx_get_meta(x);
	if (!idx_matches_pcap(x, f->path) || m->packets > UINT32_MAX) {
		idx_close(x);
		return 0;
	}
	ordset_init(&s, (uint32_t)m->packets);
	if (idx_time_range(x, sl->win_start, sl->win_end, &s, e, sizeof e) == 0) {
		used = 1;
		for (uint32_t i = ordset_next(&s, 0); i != UINT32_MAX; i = ordset_next(&s, i + 1)) {
			if (idx_packet(x, i, &off, &ts) < 0) {
				/* a damaged table: forget what it said and scan */
				f->n = 0;
				used = 0;
				break;
			}
			slice_loc_add(f, off, ts);
		}
	}
	ordset_free(&s);
	idx_close(x);
	return used;
}
