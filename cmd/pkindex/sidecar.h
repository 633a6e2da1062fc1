/*
 * sidecar.h - pkindex -S: the sessions (pk-sessions(5)) of each file
 * pkindex indexes, written beside it as FILE.pcap.sessions for a shipper
 * (pk-ship-clickhouse(1) ships and removes them).
 *
 * It reads the same stream as the indexer, after it, and keeps to the
 * indexer's verdicts: a file gets a sidecar when its index exists once
 * its close record has been handled; the sessions come from the stream's
 * packets when the stream carried the whole file, else from the pcap.
 */
#ifndef PK_SIDECAR_H
#define PK_SIDECAR_H

#include <stddef.h>

#include "stream.h"

#define SIDECAR_SUFFIX ".sessions"

struct sidecar;

/* sidecar_new: for files under the archive roots dirs; NULL if one is unusable */
struct sidecar *sidecar_new(char **dirs, size_t ndirs);
/*
 * sidecar_record: one stream record, after indexer_record has seen it;
 * unsure (a record just after a resynchronisation, that may be payload):
 * a file record is not acted on, as the indexer does not.
 */
void sidecar_record(struct sidecar *sc, const struct pk_rec *r, int unsure);
/* sidecar_lost: records went missing: the open files' sessions come from their pcaps */
void sidecar_lost(struct sidecar *sc);
/* sidecar_finish: the exit status of what sidecar_record did (0, or a pk.h code) */
int sidecar_finish(struct sidecar *sc);
void sidecar_free(struct sidecar *sc);

/* sidecar_files: the sidecars of pcaps indexed in place (those whose index exists); exit status */
int sidecar_files(char **files, int nfiles);

#endif
