/*
 * plan.h - which files of an archive a search must read (find.c), decided
 * folder by folder before any file is listed: a folder whose sealed
 * catalog (catalog.h) still matches it is pruned by the catalog's times
 * and answered by its keys, unlisted; any other folder is listed, and its
 * catalogs are believed only for the files whose inodes they recorded.
 */
#ifndef PK_PLAN_H
#define PK_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "query.h"

struct plan_ival {
	uint64_t lo, hi;
};

struct plan {
	struct arch_list files;          /* to search: candidates, and everything no catalog answers for */
	struct plan_ival *iv;            /* time covered by files the search does not see */
	size_t niv, civ;
	size_t ncatalog;                 /* files in the window a catalog ruled out, unopened */
	size_t nsealed, nlisted;         /* folders answered by a sealed catalog, folders listed */
};

/*
 * plan_dir: add what the archive at root (resolved) holds for q in
 * [start, end) to p.  0, or -1 with errno (root unreadable).
 */
int plan_dir(struct plan *p, const char *root, const struct query *q, uint64_t start, uint64_t end);
void plan_free(struct plan *p);

#define PLAN_MAXPARTS 1000       /* worker parts w0 ... w999 */

/*
 * plan_parts: put before each archive of dirs[0..ndirs) its worker parts,
 * the folders DIR/wN that parallel captures write (pk-index(5), FILES),
 * so that a search sees them as one archive with DIR's own files.
 * Replaces *dirs (the part paths are allocated, never freed: they live
 * as long as the search).  Returns how many parts were added.
 */
int plan_parts(char ***dirs, int *ndirs);

#endif
