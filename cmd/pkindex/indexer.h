/*
 * indexer.h - pkindex's work: the stream-driven indexing state machine,
 * in-place and repair builds (pkindex(1)), and index checks beyond idx.h.
 */
#ifndef PK_INDEXER_H
#define PK_INDEXER_H

#include <stdint.h>

#include "idx.h"
#include "stream.h"

struct indexer;
/* indexer_new: index files under dir (resolved with realpath). NULL if dir is unusable. */
struct indexer *indexer_new(const char *dir);
/* indexer_record: consume one stream record. */
void indexer_record(struct indexer *ix, const struct pk_rec *r);
/* indexer_idle: the input is quiet: write the catalogs that are due. */
void indexer_idle(struct indexer *ix);
/* indexer_finish: end of input: drop unfinished files; returns the exit status so far. */
int indexer_finish(struct indexer *ix);
void indexer_free(struct indexer *ix);

/* indexer_files: index existing classic pcaps in place; exit status. */
int indexer_files(const char *dir, char **files, int nfiles);
/* indexer_repair: build missing and rebuild mismatched indexes under dir; exit status. */
int indexer_repair(const char *dir);
/* indexer_dump: print an index for humans; exit status. */
int indexer_dump(const char *idx_path);

#endif
