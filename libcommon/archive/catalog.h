/*
 * catalog.h - the archive's second level of index (pk-index(5), "Catalogs").
 *
 * A per-file index says which packets of one pcap have key K; a catalog
 * says which files of one folder of the archive have key K, for all of
 * them at once, so that a search opens only the per-file indexes of files
 * that can match.  Same (tag, value) keys as the per-file index, listing
 * file numbers, plus a table of the files as they were when catalogued
 * (name, sizes, inodes, index identity, times, link type).
 *
 * Catalogs live in DIR/.catalog/: FOLDER.cat covers a whole folder,
 * FOLDER.HH.cat the files of hour HH (UTC, by name) that pkindex has
 * indexed so far.  pkindex writes them in a temporary file that is synced
 * and renamed: never edited in place.
 *
 * A catalog is a cache of the per-file indexes, as they are caches of the
 * pcaps: a reader believes it for a file only while the file and its
 * index are those it recorded (same name, same inodes), and believes that
 * it covers its whole folder only while the folder is the one it recorded
 * (sealed: the folder's inode and modification time, taken when the
 * folder had been still for a while).  Everything else is searched as if
 * there were no catalog.
 */
#ifndef PK_CATALOG_H
#define PK_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "idx.h"
#include "query.h"

#define CAT_DIRNAME ".catalog"
#define CAT_SUFFIX ".cat"
#define CAT_WHOLE (-1)           /* hour of a whole-folder catalog */
#define CAT_VERSION 1
/*
 * A folder is sealed only when its last change is at least this old: a
 * file time is the kernel's coarse clock (one tick, 1-10 ms), and a change
 * within the tick of the sealed mtime would go unseen.  A filesystem that
 * keeps whole seconds (its mtimes have no nanoseconds) waits CAT_SETTLE_COARSE_NS.
 */
#define CAT_SETTLE_NS 20000000ull
#define CAT_SETTLE_COARSE_NS 1100000000ull

/* a file as catalogued */
struct cat_file {
	char name[256];          /* within the folder */
	uint64_t pcap_size, pcap_ino, idx_ino, idx_size;
	uint64_t packets, first_ns, last_ns;   /* from its index: smallest and largest time */
	uint32_t linktype, snaplen;
	uint32_t identity;       /* idx_identity() of its index */
	uint32_t flags;          /* CATF_* */
};
#define CATF_NSEC   0x1u
#define CATF_SCAN   0x2u         /* no usable index when catalogued: always searched by reading it */
#define CATF_NOTIME 0x4u         /* times unknown (CATF_SCAN and not named by the layout) */

struct cat_head {
	uint32_t nfiles;
	int hour;                /* 0..23, or CAT_WHOLE */
	uint64_t min_ns, max_ns;   /* over files with known times; 0 and 0 if none */
	uint64_t dir_ino, dir_mtime_ns;   /* the folder when sealed; 0 and 0: not sealed */
	uint64_t packets, bytes;
	int untimed;             /* some file has CATF_NOTIME */
};

/* cat_path: DIR/.catalog/FOLDER.cat or DIR/.catalog/FOLDER.HH.cat; 0 or -1 (too long) */
int cat_path(const char *root, const char *folder, int hour, char *buf, size_t len);

/* ---- reading ---- */
struct catalog;
/* cat_open: open and check a catalog (format, checksums, metadata). NULL + message. */
struct catalog *cat_open(const char *path, char *err, size_t errlen);
void cat_close(struct catalog *c);
const struct cat_head *cat_head(const struct catalog *c);
/* cat_file: entry i of the file table; 0, or -1 with a message */
int cat_file(struct catalog *c, uint32_t i, struct cat_file *f, char *err, size_t errlen);
/* cat_files: the whole file table (malloc'd, *n entries, in file-number order); 0 or -1 */
int cat_files(struct catalog *c, struct cat_file **out, char *err, size_t errlen);
/*
 * cat_candidates: into out (initialised here, nfiles bits) the files that
 * may hold a packet matching q with a time in [start, end): what the keys
 * say, plus every file catalogued to be scanned.  0, or -1 with a message.
 */
int cat_candidates(struct catalog *c, const struct query *q, uint64_t start, uint64_t end, struct ordset *out,
    char *err, size_t errlen);
/* cat_in_window: into out (initialised here) the files with a packet time in [start, end) or none known */
int cat_in_window(struct catalog *c, uint64_t start, uint64_t end, struct ordset *out, char *err, size_t errlen);
/*
 * cat_intervals: the time the files cover, as intervals in time order
 * (holes of at most CAT_HOLE_NS between files merged); fn per interval.
 * 0, or -1 with a message.
 */
#define CAT_HOLE_NS 1000000000ull
int cat_intervals(struct catalog *c, void (*fn)(void *arg, uint64_t lo, uint64_t hi), void *arg, char *err,
    size_t errlen);
/* cat_dump: the metadata, the file table and the keys for people (pkindex --dump); 0 or -1 */
int cat_dump(struct catalog *c, FILE *out);
/* cat_verify: read every record (pkindex --repair); 0, or -1 with a message */
int cat_verify(struct catalog *c, char *err, size_t errlen);

/* ---- building ---- */
struct cat_builder;
struct cat_builder *catb_new(void);
void catb_free(struct cat_builder *b);
/*
 * catb_add_file: folder/name and its index (read now).  A file whose index
 * is missing, unusable or does not match it is added to be scanned.  0, or
 * -1 with a message (the pcap itself cannot be read).
 */
int catb_add_file(struct cat_builder *b, const char *folder, const char *name, char *err, size_t errlen);
/*
 * catb_add_catalog: the files of c that keep(arg, file) accepts (keep NULL:
 * all); their keys are merged from c when the catalog is written, so c
 * must stay open until catb_write.  0, or -1 with a message.
 */
int catb_add_catalog(struct cat_builder *b, struct catalog *c, int (*keep)(void *arg, const struct cat_file *f),
    void *arg, char *err, size_t errlen);
uint32_t catb_count(const struct cat_builder *b);
/* catb_folder: the folder catalogued: the catalog gets its group (the archive's) */
void catb_folder(struct cat_builder *b, const char *folder);
/*
 * catb_write: the catalog into path through path.tmp.PID (fsync, rename,
 * directory fsync).  hour: 0..23 or CAT_WHOLE; dir_ino/dir_mtime_ns: the
 * seal (0, 0: none).  0, or -1 with a message.
 */
int catb_write(struct cat_builder *b, const char *path, int hour, uint64_t dir_ino, uint64_t dir_mtime_ns,
    char *err, size_t errlen);

#endif
