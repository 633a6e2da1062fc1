/*
 * idxold - make an index or a catalog look as one written before a field
 * was added, for the tests: the lists of every field without FF_BASE
 * (field_table.h) are deleted and the fields word (IDXM_FIELDS,
 * CATM_FIELDS) is zeroed, with the metadata CRC, the trailer's record
 * count and metadata CRC made right again, so that the file passes its
 * own checks and only lacks the newer fields.
 *
 * usage: idxold FILE.idx | FILE.cat
 * Prints the number of records deleted.  Exit 0, 65 when the file cannot
 * be read or written.
 */
#include <db.h>
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "catalog_format.h"
#include "crc32.h"
#include "field_table.h"
#include "idx.h"
#include "idx_format.h"
#include "pk.h"

int
main(int argc, char **argv)
{
	uint8_t mkey[2] = { IDXK_META, 'M' }, tkey[1] = { IDXK_TRAILER }, meta[IDX_META_LEN], tr[IDX_TRAILER_LEN];
	size_t mlen, fieldsoff, crcoff;
	uint64_t gone = 0;
	DB *db;
	DBC *cur;
	DBT k, d;
	int rc;

	if (argc != 2)
		errx(EX_USAGE, "usage: idxold FILE.idx | FILE.cat");
	if (db_create(&db, NULL, 0) != 0 || db->set_flags(db, DB_CHKSUM) != 0 ||
	    db->open(db, NULL, argv[1], NULL, DB_BTREE, 0, 0) != 0 || db->cursor(db, NULL, &cur, 0) != 0)
		errx(EX_DATAERR, "%s: cannot open", argv[1]);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while ((rc = cur->get(cur, &k, &d, DB_NEXT)) == 0) {
		const struct field_desc *f = k.size ? field_by_tag(((uint8_t *)k.data)[0]) : NULL;

		if (f != NULL && !(f->flags & FF_BASE)) {
			if (cur->del(cur, 0) != 0)
				errx(EX_DATAERR, "%s: cannot delete a key", argv[1]);
			gone++;
		}
	}
	if (rc != DB_NOTFOUND || cur->close(cur) != 0)
		errx(EX_DATAERR, "%s: cannot walk", argv[1]);
	k.data = mkey;
	k.size = sizeof mkey;
	if (db->get(db, NULL, &k, &d, 0) != 0 || d.size < 8)
		errx(EX_DATAERR, "%s: no metadata", argv[1]);
	if (d.size == CAT_META_LEN && memcmp(d.data, CAT_MAGIC, 8) == 0) {
		mlen = CAT_META_LEN, fieldsoff = CATM_FIELDS, crcoff = CATM_CRC;
		_Static_assert(CAT_META_LEN <= IDX_META_LEN, "a catalog's metadata fits");
	} else if (d.size == IDX_META_LEN && memcmp(d.data, IDX_MAGIC, 8) == 0)
		mlen = IDX_META_LEN, fieldsoff = IDXM_FIELDS, crcoff = IDXM_CRC;
	else
		errx(EX_DATAERR, "%s: neither an index nor a catalog", argv[1]);
	memcpy(meta, d.data, mlen);
	put32(meta + fieldsoff, 0);
	put32(meta + crcoff, crc32_update(0, meta, crcoff));
	d.data = meta;
	d.size = (u_int32_t)mlen;
	if (db->put(db, NULL, &k, &d, 0) != 0)
		errx(EX_DATAERR, "%s: cannot write the metadata", argv[1]);
	k.data = tkey;
	k.size = sizeof tkey;
	memset(&d, 0, sizeof d);
	if (db->get(db, NULL, &k, &d, 0) != 0 || d.size != IDX_TRAILER_LEN)
		errx(EX_DATAERR, "%s: no trailer", argv[1]);
	memcpy(tr, d.data, sizeof tr);
	put64(tr + IDXT_RECORDS, le64(tr + IDXT_RECORDS) - gone);
	put32(tr + IDXT_METACRC, crc32_update(0, meta, mlen));
	put32(tr + IDXT_CRC, crc32_update(0, tr, IDXT_CRC));
	d.data = tr;
	d.size = sizeof tr;
	if (db->put(db, NULL, &k, &d, 0) != 0 || db->close(db, 0) != 0)
		errx(EX_DATAERR, "%s: cannot write", argv[1]);
	printf("%llu\n", (unsigned long long)gone);
	return 0;
}
