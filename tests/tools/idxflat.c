/*
 * idxflat - where the blocks of a version 3 index's flat section lie in
 * its file (pk-index(5) "Flat section"), for the tests that damage them.
 *
 * usage: idxflat FILE.idx
 *   section START LEN      the section's first byte in the file, its length
 *   table I POS LEN        table block I: file position, length
 *   flows I POS LEN        flow-list block I
 * Exit 0, 65 when the file is not a version 3 index.
 */
#include <db.h>
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx_format.h"
#include "pk.h"

int
main(int argc, char **argv)
{
	uint8_t h[64], mkey[2] = { IDXK_META, 'M' }, *dir;
	uint64_t start;
	uint32_t ntab, nflb;
	const uint8_t *m;
	size_t dlen;
	DB *db;
	DBT k, d;
	int fd;

	if (argc != 2)
		errx(EX_USAGE, "usage: idxflat FILE.idx");
	if ((fd = open(argv[1], O_RDONLY)) < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h)
		err(EX_DATAERR, "%s", argv[1]);
	start = ((uint64_t)le32(h + 32) + 1) * le32(h + 20);
	if (db_create(&db, NULL, 0) != 0 || db->open(db, NULL, argv[1], NULL, DB_BTREE, DB_RDONLY, 0) != 0)
		errx(EX_DATAERR, "%s: cannot open", argv[1]);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = mkey;
	k.size = sizeof mkey;
	if (db->get(db, NULL, &k, &d, 0) != 0 || d.size != IDX3_META_LEN)
		errx(EX_DATAERR, "%s: not a version 3 index", argv[1]);
	m = d.data;
	ntab = le32(m + IDXM_NTAB);
	nflb = le32(m + IDXM_NFLB);
	printf("section %" PRIu64 " %" PRIu64 "\n", start, le64(m + IDXM_FLATLEN));
	dlen = (size_t)ntab * IDX3_TDIR_LEN + (size_t)nflb * IDX3_FDIR_LEN;
	dir = xmalloc(dlen + 1);
	if (pread(fd, dir, dlen, (off_t)start) != (ssize_t)dlen)
		errx(EX_DATAERR, "%s: cut short", argv[1]);
	for (uint32_t i = 0; i < ntab; i++)
		printf("table %u %" PRIu64 " %u\n", i, start + le64(dir + (size_t)i * IDX3_TDIR_LEN + IDX3T_POS),
		    le32(dir + (size_t)i * IDX3_TDIR_LEN + IDX3T_LEN));
	for (uint32_t i = 0; i < nflb; i++) {
		const uint8_t *e = dir + (size_t)ntab * IDX3_TDIR_LEN + (size_t)i * IDX3_FDIR_LEN;
		printf("flows %u %" PRIu64 " %u\n", i, start + le64(e + IDX3F_POS), le32(e + IDX3F_LEN));
	}
	free(dir);
	db->close(db, 0);
	close(fd);
	return 0;
}
