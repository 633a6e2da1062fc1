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
 * A version 3 index (pk-index(5) "Flat section"): the block is coded
 * anew, put at the section's end and its directory entry, the block and
 * directory checks, the metadata and the trailer made to agree.
 * Exit 0, 65 when the index cannot be read or the block decoded.
 */
#include <db.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "idx.h"
#include "idx_flat.h"
#include "idx_format.h"
#include "pcapfile.h"
#include "pk.h"
#include "varint.h"

/* the flat section of path, removed from the file (the database's pages stay); *pg its page size */
static uint8_t *
cut_section(const char *path, uint64_t *dbsize, uint64_t *len, uint32_t *pg)
{
	uint8_t h[64], *sec;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDWR)) < 0 || fstat(fd, &st) < 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h)
		err(EX_DATAERR, "%s", path);
	*pg = le32(h + 20);
	*dbsize = ((uint64_t)le32(h + 32) + 1) * *pg;
	if ((uint64_t)st.st_size < *dbsize)
		errx(EX_DATAERR, "%s: cut short", path);
	*len = (uint64_t)st.st_size - *dbsize;
	sec = xmalloc(*len + 1);
	if (pread(fd, sec, *len, (off_t)*dbsize) != (ssize_t)*len || ftruncate(fd, (off_t)*dbsize) < 0)
		err(EX_DATAERR, "%s", path);
	close(fd);
	return sec;
}

/* version 3: packet ord of the flat section sec (the metadata m, changed to agree) gets offset newoff */
static uint8_t *
poke3(uint8_t *m, uint8_t *sec, unsigned long long ord, unsigned long long newoff, uint64_t *outlen)
{
	uint64_t off[IDX_BLOCK_MAX], ts[IDX_BLOCK_MAX], cnt, v, a, u, mn, len = le64(m + IDXM_FLATLEN);
	uint32_t bpk = le32(m + IDXM_BPK), ntab = le32(m + IDXM_NTAB), nflb = le32(m + IDXM_NFLB), blk;
	struct flat_out fo;
	const uint8_t *p, *end;
	uint8_t *d;

	if (bpk == 0 || (blk = (uint32_t)(ord / bpk)) >= ntab)
		errx(EX_DATAERR, "no packet %llu", ord);
	d = sec + (size_t)blk * IDX3_TDIR_LEN;
	p = sec + le64(d + IDX3T_POS);
	end = p + le32(d + IDX3T_LEN);
	mn = le64(d + IDX3T_MIN);
	off[0] = le64(d + IDX3T_OFFSET);
	/* the block as pk-index(5) codes it: count, segment places, then the packets */
	if (varint_get(&p, end, &cnt) < 0 || (cnt >> 1) == 0 || (cnt >> 1) > IDX_BLOCK_MAX)
		errx(EX_DATAERR, "bad block");
	u = cnt & 1 ? 1000 : 1;
	cnt >>= 1;
	p += 2 * ((cnt - 1) / IDX3_SEG);
	if (varint_get(&p, end, &v) < 0)
		errx(EX_DATAERR, "bad block");
	ts[0] = mn + v * u;
	for (uint64_t i = 1; i < cnt; i++) {
		if (varint_get(&p, end, &a) < 0 || varint_get(&p, end, &v) < 0)
			errx(EX_DATAERR, "bad block");
		if (i % IDX3_SEG == 0) {
			off[i] = off[0] + a;
			ts[i] = mn + v * u;
		} else {
			off[i] = off[i - 1] + a + PCAP_RECHDR;
			ts[i] = ts[i - 1] + (uint64_t)zigzag_dec(v) * u;
		}
	}
	if (ord % bpk >= cnt)
		errx(EX_DATAERR, "no packet %llu", ord);
	off[ord % bpk] = newoff;
	/* coded anew (offsets that go back wrap, as the reader unwraps them), put at the section's end */
	memset(&fo, 0, sizeof fo);
	flat_table_add(&fo, off, ts, (unsigned)cnt, le64(d + IDX3T_RUNMAX));
	sec = xreallocarray(sec, len + fo.tablen + 1, 1);
	d = sec + (size_t)blk * IDX3_TDIR_LEN;
	memcpy(sec + len, fo.tab, fo.tablen);
	put64(d + IDX3T_POS, len);
	put32(d + IDX3T_LEN, (uint32_t)fo.tablen);
	put32(d + IDX3T_CRC, flat_block_crc(flat_salt(m), blk, fo.tab, fo.tablen));
	put64(d + IDX3T_OFFSET, off[0]);
	len += fo.tablen;
	flat_out_free(&fo);
	put64(m + IDXM_FLATLEN, len);
	put32(m + IDXM_DIRCRC, crc32c_update(0, sec, (size_t)ntab * IDX3_TDIR_LEN + (size_t)nflb * IDX3_FDIR_LEN));
	put32(m + IDXM_CRC3, crc32_update(0, m, IDXM_CRC3));
	*outlen = len;
	return sec;
}

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
	uint8_t *sec, m3[IDX3_META_LEN], tkey[1] = { IDXK_TRAILER }, tr[IDX_TRAILER_LEN];
	uint64_t dbsize, seclen;
	uint32_t pg;

	if (argc != 4)
		errx(EX_USAGE, "usage: idxpoke FILE.idx ORDINAL OFFSET");
	ord = strtoull(argv[2], &e1, 0);
	newoff = strtoull(argv[3], &e2, 0);
	if (*e1 || *e2)
		errx(EX_USAGE, "ORDINAL and OFFSET are numbers");
	/* Berkeley DB writes only its own pages; the section goes back after them */
	sec = cut_section(argv[1], &dbsize, &seclen, &pg);
	if (db_create(&db, NULL, 0) != 0 || db->set_flags(db, DB_CHKSUM) != 0 ||
	    db->open(db, NULL, argv[1], NULL, DB_BTREE, 0, 0) != 0)
		errx(EX_DATAERR, "%s: cannot open", argv[1]);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = mkey;
	k.size = sizeof mkey;
	if (db->get(db, NULL, &k, &d, 0) == 0 && d.size == IDX3_META_LEN) {
		FILE *fp;
		memcpy(m3, d.data, sizeof m3);
		sec = poke3(m3, sec, ord, newoff, &seclen);
		d.data = m3;
		if (db->put(db, NULL, &k, &d, 0) != 0)
			errx(EX_DATAERR, "%s: cannot write", argv[1]);
		k.data = tkey;
		k.size = 1;
		memset(&d, 0, sizeof d);
		if (db->get(db, NULL, &k, &d, 0) != 0 || d.size != IDX_TRAILER_LEN)
			errx(EX_DATAERR, "%s: no trailer", argv[1]);
		memcpy(tr, d.data, sizeof tr);
		put32(tr + IDXT_METACRC, crc32_update(0, m3, sizeof m3));
		put32(tr + IDXT_CRC, crc32_update(0, tr, IDXT_CRC));
		d.data = tr;
		if (db->put(db, NULL, &k, &d, 0) != 0 || db->close(db, 0) != 0)
			errx(EX_DATAERR, "%s: cannot write", argv[1]);
		if ((fp = fopen(argv[1], "r+")) == NULL || fseeko(fp, 0, SEEK_END) != 0 ||
		    (uint64_t)ftello(fp) != dbsize || fwrite(sec, 1, seclen, fp) != seclen)
			errx(EX_DATAERR, "%s: cannot append", argv[1]);
		for (uint64_t i = seclen; i % pg; i++)
			putc(0, fp);
		if (fclose(fp) != 0)
			errx(EX_DATAERR, "%s: cannot append", argv[1]);
		free(sec);
		return 0;
	}
	if (d.size != IDX_META_LEN ||
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
