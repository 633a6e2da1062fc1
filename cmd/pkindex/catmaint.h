/*
 * catmaint.h - pkindex keeping an archive's catalogs (catalog.h,
 * pk-index(5)): hour catalogs as files are indexed, a whole-folder catalog
 * sealed once a folder is complete and still, rebuilt after removals;
 * checked and rebuilt by --repair.
 */
#ifndef PK_CATMAINT_H
#define PK_CATMAINT_H

#include <stdint.h>

/* files of one hour indexed, and for how long, before that hour's catalog is rewritten */
#define CATM_BATCH 8
#define CATM_AGE_NS 60000000000ull

struct catmaint;
/* catm_new: for the archive at root (resolved); NULL if catalogs are off (PK_NO_CATALOG set) */
struct catmaint *catm_new(const char *root);
/* catm_indexed: the index of the pcap at path (under root) was just written */
void catm_indexed(struct catmaint *m, const char *path);
/* catm_removed: the pcap at path was removed (retention) */
void catm_removed(struct catmaint *m, const char *path);
/*
 * catm_tick: write the catalogs that are due; with CATM_IDLE (the input
 * is quiet) every pending hour catalog too; with CATM_FINAL everything
 * (end of input: folders without a file being written are sealed, waiting
 * up to CAT_SETTLE_NS for them to be still).
 */
#define CATM_FINAL 1
#define CATM_IDLE 2
void catm_tick(struct catmaint *m, int final);
void catm_free(struct catmaint *m);

/* catm_repair: check every catalog of the archive, rebuild and seal what needs it; counts added */
struct catm_counts {
	uint64_t checked, built, removed, failed;
};
void catm_repair(const char *root, struct catm_counts *n);

#endif
