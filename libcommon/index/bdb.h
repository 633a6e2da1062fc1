/*
 * bdb.h - the Berkeley DB files pk writes (per-file indexes, catalogs):
 * created as a temporary file beside the target and renamed into place,
 * never edited; opened read-only after a look at the meta page.  One
 * place for what idx_build.c, idx_read.c and catalog.c share.
 */
#ifndef PK_BDB_H
#define PK_BDB_H

#include <db.h>
#include <stddef.h>
#include <stdint.h>

/*
 * bdb_plausible: 1 if path starts with a Berkeley DB B-tree meta page pk
 * could have written (version 9, sane page size, page checksums, whole
 * pages); 0 if not; -1 with errno if it cannot be read.
 */
int bdb_plausible(const char *path);

/*
 * bdb_open_ro: open path read-only as a B-tree with page checksums.
 * 0, or -1 with a message (what: "index", "catalog") in err; errno is
 * ENOENT when the file does not exist.
 */
int bdb_open_ro(const char *path, DB **dbp, char *err, size_t errlen);
/*
 * bdb_open_tail: bdb_open_ro for a file that may go on after the
 * database's last page with whole pages of other data (a version 3
 * index's flat section, pk-index(5)); Berkeley DB never reads them.
 * *dbsize: the bytes of the database's pages, *filesize: of the file.
 */
int bdb_open_tail(const char *path, DB **dbp, uint64_t *dbsize, uint64_t *filesize, char *err, size_t errlen);

/* a database being written: dst is the target, tmp = dst.tmp.PID */
struct bdb_out {
	DB *db;
	char dst[4096], tmp[4096 + 32];
	const char *group_of;      /* NULL, or a file whose group the new one gets (mode 0640) */
	const uint8_t *tail;       /* NULL, or taillen bytes bdb_commit appends after the last page */
	uint64_t taillen;
	unsigned pagesize;
};
/* bdb_create: a new B-tree with page checksums and pagesize pages at dst.tmp.PID. 0, or -1 + message. */
int bdb_create(struct bdb_out *o, const char *dst, unsigned pagesize, char *err, size_t errlen);
/*
 * bdb_commit: ok != 0: write out, close, append the tail (zeros to a
 * whole page after it: Berkeley DB refuses a file of part of a page), rename into place (no fsync:
 * these files are caches, bdb.c); ok == 0 (or any failure): close and
 * remove the temporary file.  0, or -1 with errno and a message.
 */
int bdb_commit(struct bdb_out *o, int ok, char *err, size_t errlen);
/* bdb_lasterr: the first message Berkeley DB gave since the last call ("" if none), then forgotten */
const char *bdb_lasterr(void);

#endif
