/*
 * retention.h - ageing out the archive: delete the oldest finished files
 * (with their .idx) until every limit holds.
 *
 * Only finished files whose names follow the layout (archive.h) are ever
 * deleted: never a .pcap.part, never a pcap someone put beside the archive
 * to be indexed in place.  With several directories the oldest file
 * overall goes first; the free-space limit is judged per filesystem, and
 * only files on a filesystem that is short of space are deleted for it.
 */
#ifndef PK_RETENTION_H
#define PK_RETENTION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ret_policy {
	uint64_t max_bytes;    /* -M: finished pcaps + their indexes; 0 = no limit */
	uint64_t max_age_ns;   /* -A: now - newest packet of a file; 0 = no limit */
	uint64_t max_files;    /* -N; 0 = no limit */
	unsigned min_free_pct; /* -F: free space (f_bavail) of each filesystem; 0 = no limit */
};

/* called after each deletion, with the pcap path */
typedef void (*ret_removed_fn)(void *arg, const char *path);

/* ret_apply: enforce p over dirs; the number of files deleted. */
int ret_apply(const struct ret_policy *p, char *const *dirs, size_t ndirs, ret_removed_fn fn, void *arg);
/*
 * ret_free_on: the disk is full: delete the oldest finished file on
 * the filesystem dev.  1 if one was deleted, 0 if there is none.
 */
int ret_free_on(dev_t dev, char *const *dirs, size_t ndirs, ret_removed_fn fn, void *arg);
/* ret_free_pct: free space of the filesystem holding path, in percent (100 if unknown). */
double ret_free_pct(const char *path);

#endif
