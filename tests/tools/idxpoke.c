/*
 * idxpoke - forge an index's packet table, for the tests: an index that
 * passes every check of its own (page checksums, metadata and trailer
 * CRCs, record count) but names offsets its pcap does not have, as a
 * damaged disk or a hostile writer could leave it.
 *
 * usage: idxpoke FILE.idx ORDINAL OFFSET
 *   sets the offset of packet ORDINAL to OFFSET (decimal or 0x hex) in
 *   its packet-table block (pk-index(5)); the other packets keep theirs,
 *   however far the deltas must wrap to get back to them.
 * Exit 0, 65 when the index cannot be read or the block decoded.
 */
#include <db.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "idx_format.h"
#include "pcapfile.h"
#include "pk.h"
#include "varint.h"

int
main(int argc, char **argv)
{
	uint8_t key[5] = { IDXK_BLOCK }, out[IDX_BLOCK_MAX * 2 * VARINT_MAX + 5 * VARINT_MAX], *o;
	uint64_t off[IDX_BLOCK_MAX], dt[IDX_BLOCK_MAX], cnt, v, hdr[IDX_BLOCK_HDR];
	const uint8_t *p, *end;
	unsigned long long ord, newoff;
	uint8_t mkey[2] = { IDXK_META, 'M' };
	uint32_t bpk;
	DB *db;
	DBT k, d;
	char *e1, *e2;

	if (argc != 4)
		errx(EX_USAGE, "usage: idxpoke FILE.idx ORDINAL OFFSET");
	ord = strtoull(argv[2], &e1, 0);
	newoff = strtoull(argv[3], &e2, 0);
	if (*e1 || *e2)
		errx(EX_USAGE, "ORDINAL and OFFSET are numbers");
	if (db_create(&db, NULL, 0) != 0 || db->set_flags(db, DB_CHKSUM) != 0 ||
	    db->open(db, NULL, argv[1], NULL, DB_BTREE, 0, 0) != 0)
		errx(EX_DATAERR, "%s: cannot open", argv[1]);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = mkey;
	k.size = sizeof mkey;
	if (db->get(db, NULL, &k, &d, 0) != 0 || d.size != IDX_META_LEN ||
	    (bpk = le32((const uint8_t *)d.data + IDXM_BPK)) == 0 || bpk > IDX_BLOCK_MAX)
		errx(EX_DATAERR, "%s: no metadata", argv[1]);
	memset(&d, 0, sizeof d);
	putbe32(key + 1, (uint32_t)(ord / bpk));
	k.data = key;
	k.size = sizeof key;
	if (db->get(db, NULL, &k, &d, 0) != 0)
		errx(EX_DATAERR, "%s: no table block %llu", argv[1], ord / bpk);
	p = d.data;
	end = p + d.size;
	/* count<<1|µs, first offset, first time, first-min, max-min, runmax-max, then (gap, dt) pairs */
	if (varint_get(&p, end, &cnt) < 0 || varint_get(&p, end, &off[0]) < 0)
		errx(EX_DATAERR, "bad block");
	for (int i = 0; i < IDX_BLOCK_HDR - 1; i++)
		if (varint_get(&p, end, &hdr[i]) < 0)
			errx(EX_DATAERR, "bad block");
	for (uint64_t i = 1; i < cnt >> 1; i++) {
		if (varint_get(&p, end, &v) < 0 || varint_get(&p, end, &dt[i]) < 0)
			errx(EX_DATAERR, "bad block");
		off[i] = off[i - 1] + v + PCAP_RECHDR;
	}
	if (ord % bpk >= cnt >> 1)
		errx(EX_DATAERR, "no packet %llu", ord);
	off[ord % bpk] = newoff;
	o = out;
	o += varint_put(o, cnt);
	o += varint_put(o, off[0]);
	for (int i = 0; i < IDX_BLOCK_HDR - 1; i++)
		o += varint_put(o, hdr[i]);
	for (uint64_t i = 1; i < cnt >> 1; i++) {
		o += varint_put(o, off[i] - off[i - 1] - PCAP_RECHDR);   /* wraps as the reader unwraps */
		o += varint_put(o, dt[i]);
	}
	d.data = out;
	d.size = (u_int32_t)(o - out);
	if (db->put(db, NULL, &k, &d, 0) != 0 || db->close(db, 0) != 0)
		errx(EX_DATAERR, "%s: cannot write", argv[1]);
	return 0;
}
