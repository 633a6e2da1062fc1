/*
 * slice_idx.c - pkslice -s/-e on files with an index: the packet table
 * gives the part of the file that holds the time window, so only that is
 * read.
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
	uint64_t from, to;
	int used = 0;

	if ((size_t)snprintf(path, sizeof path, "%s%s", f->path, IDX_SUFFIX) >= sizeof path)
		return 0;
	if ((x = idx_open(path, e, sizeof e)) == NULL)
		return 0;      /* absent or unreadable: scan, which is always right */
	/*
	 * The packet table's binary search gives the part of the file that
	 * holds the window; it is read forward and every packet's time still
	 * decides (slice_emit), so the cut is exact whatever the file's order.
	 */
	if (idx_matches_pcap(x, f->path) && idx_time_span(x, sl->win_start, sl->win_end, &from, &to, e, sizeof e) == 0) {
		used = 1;
		slice_range_add(f, from, to, 0, NULL, 0);
	}
	idx_close(x);
	return used;
}
