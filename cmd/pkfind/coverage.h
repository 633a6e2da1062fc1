/*
 * coverage.h - what a search covered, said in one line (pkfind(1),
 * "Coverage"): the window, the files and how each was answered, the gaps
 * in the archive (located), the capture drops when they are known, the
 * packets.  find.c reports the time spans of the archive's files as it
 * meets them and the counts at the end; this file owns the line.
 *
 * Drops are known for a time only when a capture run in the archive's
 * pk-stats.log spans it: from the run's start record (pkread writes one
 * before its first packet) or, in older logs, its first line, to its
 * final record (a run cut short: to the next run, or on while it is the
 * last).  Packets imported from pcap files (pkread -r, pkindex in place)
 * have no run: their drops are unknown, never "0".
 */
#ifndef PK_COVERAGE_H
#define PK_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

/* how the files of the window were answered, and what was found */
struct cov_counts {
	size_t n_catalog;       /* ruled out by a catalog, unopened */
	size_t n_indexed;       /* answered by their index */
	size_t n_scanned;       /* read record by record */
	size_t n_damaged;       /* of those, files whose index was there but damaged (or unreadable) */
	uint64_t found;         /* packets written or counted */
	int inexact;            /* some were written unchecked: "candidates" */
};

struct coverage;

/*
 * cov_new: for the archives dirs[0..ndirs) (as given: resolved here) and
 * the window [start, end) (0 and UINT64_MAX: open).  A hole longer than
 * gap_ns is a gap; verbose lists every gap, not only the first and last.
 */
struct coverage *cov_new(char *const *dirs, int ndirs, uint64_t start, uint64_t end, uint64_t gap_ns,
    int verbose);
/* cov_dir_of: the index of the archive path lies under, or -1 */
int cov_dir_of(const struct coverage *c, const char *path);
/* cov_span: archive dir (-1: unknown) holds packets from lo to hi (a file's first and last) */
void cov_span(struct coverage *c, int dir, uint64_t lo, uint64_t hi);
/* cov_line: the line, without the program name (malloc'd; the caller frees) */
char *cov_line(struct coverage *c, const struct cov_counts *n);
void cov_free(struct coverage *c);

#endif
