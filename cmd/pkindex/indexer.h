/*
 * indexer.h - pkindex's work: the stream-driven indexing state machine,
 * in-place and repair builds (pkindex(1)), and index checks beyond idx.h.
 */
#ifndef PK_INDEXER_H
#define PK_INDEXER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "idx.h"
#include "stream.h"

struct indexer;
/* indexer_new: index files under the dirs (resolved with realpath). NULL if one is unusable. */
struct indexer *indexer_new(char **dirs, size_t ndirs);
/*
 * indexer_record: consume one stream record; unsure: it may be bytes of a
 * record the reader lost (sin_unsure), so file records are not acted on.
 */
void indexer_record(struct indexer *ix, const struct pk_rec *r, int unsure);
/* indexer_lost: records were lost (garbage): the files open now are indexed from disk. */
void indexer_lost(struct indexer *ix);
/* indexer_idle: the input is quiet: write the catalogs that are due. */
void indexer_idle(struct indexer *ix);
/* indexer_finish: end of input: drop unfinished files; returns the exit status so far. */
int indexer_finish(struct indexer *ix);
void indexer_free(struct indexer *ix);

/*
 * indexer_hook: run cmd (hook.h) on each pcap whose index this run
 * renames into place, from the stream or from disk; NULL: none.
 */
void indexer_hook(const char *cmd);

/* indexer_files: index existing classic pcaps under one of the dirs in place; exit status. */
int indexer_files(char **dirs, size_t ndirs, char **files, int nfiles);
/* indexer_repair: build missing and rebuild mismatched indexes under each dir; exit status. */
int indexer_repair(char **dirs, size_t ndirs);
/* indexer_dump: print an index for humans; exit status. */
int indexer_dump(const char *idx_path);

/* ---- verify.c: --repair's deep check ---- */

#define REPAIR_STAMP ".repair"   /* in the archive directory: when the last repair began */
/*
 * verify_records: the records of pcap are exactly those index x lists
 * (count, offsets, times): 1; 0 they are not (why in err); -1 the pcap
 * could not be read (err).
 */
int verify_records(struct idx *x, const char *pcap, char *err, size_t errlen);
/* stamp_read: when the last repair of dir that finished began; 0, or -1 (none). */
int stamp_read(const char *dir, struct timespec *t);
/* stamp_write: that time; quietly nothing when dir cannot be written. */
void stamp_write(const char *dir, const struct timespec *t);
/* stamp_older: the index at ipath was put in place before the stamp (checked by that repair) */
int stamp_older(const struct timespec *stamp, const char *ipath);

#endif
