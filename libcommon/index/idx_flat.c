/*
 * idx_flat.c - the flat section of a version 3 index (idx_flat.h,
 * pk-index(5) "Flat section").
 *
 * What a search reads per packet - the packet table and the flow lists -
 * was most of its time in Berkeley DB (page checksums of the mpool, a
 * cursor step and a function call per posting): here it is plain memory,
 * a directory of fixed-size entries and blocks each checked once per open
 * by a CRC-32C (an instruction per eight bytes).  The check of a block is
 * salted with its index's metadata and its number, so that a block copied
 * from another index, or to another place, fails it like a damaged one.
 */
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "idx_flat.h"
#include "pcapfile.h"
#include "varint.h"

/* ---- writing ---- */

static void
grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need > *cap) {
		size_t nc = *cap ? *cap : 4096;
		while (nc < need)
			nc *= 2;
		*buf = xreallocarray(*buf, nc, 1);
		*cap = nc;
	}
}

void
flat_table_add(struct flat_out *o, const uint64_t *off, const uint64_t *ts, unsigned n, uint64_t runmax)
{
	uint64_t mn = UINT64_MAX, mx = 0, u = 1000;
	uint8_t *p, *d, *start, *seg;

	for (unsigned i = 0; i < n; i++) {
		mn = ts[i] < mn ? ts[i] : mn;
		mx = ts[i] > mx ? ts[i] : mx;
		u = ts[i] % 1000 ? 1 : u;
	}
	grow(&o->tab, &o->tabcap, o->tablen + (size_t)(n + 1) * 2 * VARINT_MAX + 2 * (n / IDX3_SEG));
	grow(&o->tdir, &o->tdircap, (o->ntab + 1) * IDX3_TDIR_LEN);
	start = p = o->tab + o->tablen;
	/* times in microseconds when the whole block allows it: deltas of one byte more often */
	p += varint_put(p, (uint64_t)n << 1 | (u == 1000));
	/*
	 * Where each segment starts, and its first packet coded from the
	 * block's first offset and smallest time rather than from the packet
	 * before: a search decodes only the segments that hold candidates.
	 */
	seg = p;
	p += 2 * ((n - 1) / IDX3_SEG);
	p += varint_put(p, (ts[0] - mn) / u);
	for (unsigned i = 1; i < n; i++) {
		if (i % IDX3_SEG == 0) {
			put16(seg + 2 * (i / IDX3_SEG - 1), (uint16_t)(p - start));
			p += varint_put(p, off[i] - off[0]);
			p += varint_put(p, (ts[i] - mn) / u);
			continue;
		}
		p += varint_put(p, off[i] - off[i - 1] - PCAP_RECHDR);
		/* times are at most PCAP_TS_MAX (< 2^63): their signed differences are defined */
		p += varint_put(p, zigzag_enc(((int64_t)ts[i] - (int64_t)ts[i - 1]) / (int64_t)u));
	}
	d = o->tdir + o->ntab * IDX3_TDIR_LEN;
	memset(d, 0, IDX3_TDIR_LEN);
	put64(d + IDX3T_POS, o->tablen);
	put32(d + IDX3T_LEN, (uint32_t)(p - start));
	put64(d + IDX3T_OFFSET, off[0]);
	put64(d + IDX3T_MIN, mn);
	put64(d + IDX3T_MAX, mx);
	put64(d + IDX3T_RUNMAX, runmax);
	o->tablen = (size_t)(p - o->tab);
	o->ntab++;
}

static void
flow_block_end(struct flat_out *o, size_t start, uint32_t first, uint32_t flows)
{
	uint8_t *d;

	if (flows == 0)
		return;
	grow(&o->fdir, &o->fdircap, (o->nflb + 1) * IDX3_FDIR_LEN);
	d = o->fdir + o->nflb * IDX3_FDIR_LEN;
	memset(d, 0, IDX3_FDIR_LEN);
	put64(d + IDX3F_POS, start);
	put32(d + IDX3F_LEN, (uint32_t)(o->fllen - start));
	put32(d + IDX3F_FIRST, first);
	put32(d + IDX3F_FLOWS, flows);
	o->nflb++;
}

void
flat_flows(struct flat_out *o, const uint32_t *flow, uint64_t n, uint32_t nflows)
{
	uint32_t *start, *ord, first = 0, inblk = 0;
	uint8_t *tmp;
	size_t tmpcap = 1024, bstart = o->fllen;

	start = xcalloc((size_t)nflows + 1, sizeof *start);
	ord = xreallocarray(NULL, n + 1, sizeof *ord);
	tmp = xmalloc(tmpcap);
	for (uint64_t i = 0; i < n; i++)
		start[flow[i] + 1]++;
	for (uint32_t f = 0; f < nflows; f++)
		start[f + 1] += start[f];
	for (uint64_t i = 0; i < n; i++)     /* counting sort: each list comes out sorted */
		ord[start[flow[i]]++] = (uint32_t)i;
	for (uint32_t f = 0, s = 0; f < nflows; s = start[f], f++) {
		const uint32_t *v = ord + s;
		uint32_t cnt = start[f] - s;
		size_t tl = 0;

		/* the list as postings.c codes it: odd x a run of (x >> 1) + 1, even a gap of (x >> 1) + 2 */
		grow(&tmp, &tmpcap, (size_t)cnt * VARINT_MAX + VARINT_MAX);
		tl += varint_put(tmp, v[0]);
		for (uint32_t m = 1; m < cnt; m++) {
			uint32_t d = v[m] - v[m - 1], r;
			if (d > 1) {
				tl += varint_put(tmp + tl, (uint64_t)(d - 2) << 1);
				continue;
			}
			for (r = 1; m + r < cnt && v[m + r] - v[m + r - 1] == 1; r++)
				;
			tl += varint_put(tmp + tl, (uint64_t)(r - 1) << 1 | 1);
			m += r - 1;
		}
		grow(&o->fl, &o->flcap, o->fllen + 2 * VARINT_MAX + tl);
		o->fllen += varint_put(o->fl + o->fllen, cnt);
		o->fllen += varint_put(o->fl + o->fllen, tl);
		memcpy(o->fl + o->fllen, tmp, tl);
		o->fllen += tl;
		inblk++;
		if (o->fllen - bstart >= IDX3_FLOW_BLOCK) {
			flow_block_end(o, bstart, first, inblk);
			first = f + 1;
			inblk = 0;
			bstart = o->fllen;
		}
	}
	flow_block_end(o, bstart, first, inblk);
	free(start);
	free(ord);
	free(tmp);
}

uint32_t
flat_salt(const uint8_t *meta)
{
	return crc32c_update(0, meta, IDXM_CRC);
}

uint32_t
flat_block_crc(uint32_t salt, uint32_t tagged, const uint8_t *p, size_t len)
{
	uint8_t h[8];

	put32(h, salt);
	put32(h + 4, tagged);
	return crc32c_update(crc32c_update(0, h, sizeof h), p, len);
}

uint8_t *
flat_finish(struct flat_out *o, uint32_t salt, uint64_t *len, uint32_t *dircrc)
{
	size_t dirlen = o->ntab * IDX3_TDIR_LEN + o->nflb * IDX3_FDIR_LEN, total = dirlen + o->tablen + o->fllen;
	uint8_t *s = xmalloc(total ? total : 1), *d;

	for (size_t i = 0; i < o->ntab; i++) {
		d = o->tdir + i * IDX3_TDIR_LEN;
		put32(d + IDX3T_CRC, flat_block_crc(salt, (uint32_t)i, o->tab + le64(d + IDX3T_POS), le32(d + IDX3T_LEN)));
		put64(d + IDX3T_POS, le64(d + IDX3T_POS) + dirlen);
	}
	for (size_t i = 0; i < o->nflb; i++) {
		d = o->fdir + i * IDX3_FDIR_LEN;
		put32(d + IDX3F_CRC, flat_block_crc(salt, (uint32_t)i | IDX3_FLOWTAG, o->fl + le64(d + IDX3F_POS),
		    le32(d + IDX3F_LEN)));
		put64(d + IDX3F_POS, le64(d + IDX3F_POS) + dirlen + o->tablen);
	}
	if (o->ntab)
		memcpy(s, o->tdir, o->ntab * IDX3_TDIR_LEN);
	if (o->nflb)
		memcpy(s + o->ntab * IDX3_TDIR_LEN, o->fdir, o->nflb * IDX3_FDIR_LEN);
	if (o->tablen)
		memcpy(s + dirlen, o->tab, o->tablen);
	if (o->fllen)
		memcpy(s + dirlen + o->tablen, o->fl, o->fllen);
	*dircrc = crc32c_update(0, s, dirlen);
	*len = total;
	return s;
}

void
flat_out_free(struct flat_out *o)
{
	free(o->tab);
	free(o->tdir);
	free(o->fl);
	free(o->fdir);
	memset(o, 0, sizeof *o);
}

/* ---- reading ---- */

/* varint_get with the one-byte case (most deltas) inline */
static inline int
vget(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 0;
	}
	return varint_get(p, end, v);
}

int
flat_open(struct flat *f, const char **why)
{
	uint64_t dirlen = (uint64_t)f->ntab * IDX3_TDIR_LEN + (uint64_t)f->nflb * IDX3_FDIR_LEN, prev = 0, rmax = 0;
	uint64_t want = f->bpk ? (f->packets + f->bpk - 1) / f->bpk : UINT64_MAX;
	uint32_t flows = 0;

	f->ok = NULL;
	if (dirlen > f->len || crc32c_update(0, f->sec, (size_t)dirlen) != f->dircrc)
		return *why = "flat section directory", -1;
	if (f->bpk == 0 || f->bpk > IDX_BLOCK_MAX || want != f->ntab || (f->packets > 0) != (f->nflows > 0) ||
	    f->nflb > f->nflows || f->pcap_size < PCAP_FILEHDR + PCAP_RECHDR * (f->packets > 0))
		return *why = "flat section counts", -1;
	for (uint32_t i = 0; i < f->ntab; i++) {
		const uint8_t *d = flat_tdir(f, i);
		uint64_t pos = le64(d + IDX3T_POS), len = le32(d + IDX3T_LEN), off = le64(d + IDX3T_OFFSET);
		uint64_t mn = le64(d + IDX3T_MIN), mx = le64(d + IDX3T_MAX), rm = le64(d + IDX3T_RUNMAX);

		/* blocks in the section, offsets in the pcap in file order, times consistent */
		if (pos < dirlen || len == 0 || pos > f->len || len > f->len - pos ||
		    off < PCAP_FILEHDR || off > f->pcap_size - PCAP_RECHDR || (i > 0 && off < prev + PCAP_RECHDR) ||
		    mn > mx || rm != (mx > rmax ? mx : rmax))
			return *why = "flat section table directory", -1;
		prev = off;
		rmax = rm;
	}
	for (uint32_t i = 0; i < f->nflb; i++) {
		const uint8_t *d = f->sec + (size_t)f->ntab * IDX3_TDIR_LEN + (size_t)i * IDX3_FDIR_LEN;
		uint64_t pos = le64(d + IDX3F_POS), len = le32(d + IDX3F_LEN);

		if (pos < dirlen || len == 0 || pos > f->len || len > f->len - pos || le32(d + IDX3F_FIRST) != flows ||
		    le32(d + IDX3F_FLOWS) == 0 || le32(d + IDX3F_FLOWS) > f->nflows - flows)
			return *why = "flat section flow directory", -1;
		flows += le32(d + IDX3F_FLOWS);
	}
	if (flows != f->nflows)
		return *why = "flat section flow directory", -1;
	f->ok = xcalloc((size_t)f->ntab + f->nflb + 1, 1);
	return 0;
}

void
flat_close(struct flat *f)
{
	free(f->ok);
	f->ok = NULL;
}

/* the bytes of block i (tables 0..ntab-1, flow lists ntab..), checked once */
static const uint8_t *
block_bytes(struct flat *f, const uint8_t *d, uint32_t i, uint32_t tagged, size_t *len)
{
	const uint8_t *p = f->sec + le64(d);    /* POS and LEN lie at the same places in both entries */

	*len = le32(d + IDX3T_LEN);
	if (!f->ok[i]) {
		if (flat_block_crc(f->salt, tagged, p, *len) != le32(d + IDX3T_CRC))
			return NULL;
		f->ok[i] = 1;
	}
	return p;
}

int
flat_block(struct flat *f, uint32_t blk, uint32_t from, uint32_t upto, uint64_t *off, uint64_t *ts, uint32_t *n,
    const char **why)
{
	const uint8_t *d, *p, *start, *end, *seg;
	uint64_t cnt, u, v, o, t, mn, mx, first, want, room, nseg, i0, last;
	int whole = from == 0 && upto == UINT32_MAX;
	size_t len;

	*n = 0;
	if (blk >= f->ntab)
		return *why = "packet table block missing", -1;
	d = flat_tdir(f, blk);
	if ((p = block_bytes(f, d, blk, blk, &len)) == NULL)
		return *why = "packet table block check (CRC-32C) failed", -1;
	start = p;
	end = p + len;
	mn = le64(d + IDX3T_MIN);
	mx = le64(d + IDX3T_MAX);
	first = le64(d + IDX3T_OFFSET);
	want = blk + 1 < f->ntab ? f->bpk : f->packets - (uint64_t)blk * f->bpk;
	if (vget(&p, end, &cnt) < 0 || (u = cnt & 1 ? 1000 : 1, cnt >> 1) != want || want == 0)
		return *why = "bad packet table block", -1;
	cnt >>= 1;
	nseg = (cnt - 1) / IDX3_SEG;
	if ((uint64_t)(end - p) < 2 * nseg)
		return *why = "bad packet table block", -1;
	seg = p;
	p += 2 * nseg;
	last = upto < cnt - 1 ? upto : cnt - 1;
	if (from > last)
		return *why = "packet beyond its block", -1;
	/* start at the segment that holds from: its first packet is coded from the block's first and smallest */
	i0 = from / IDX3_SEG * IDX3_SEG;
	if (i0 == 0) {
		if (vget(&p, end, &v) < 0 || v > (mx - mn) / u)
			return *why = "bad packet table block", -1;
		o = first;
	} else {
		uint64_t pos = le16(seg + 2 * (i0 / IDX3_SEG - 1));
		if (pos < (uint64_t)(p - start) || pos >= len)
			return *why = "bad packet table block", -1;
		p = start + pos;
		if (vget(&p, end, &o) < 0 || o > f->pcap_size - PCAP_RECHDR - first || vget(&p, end, &v) < 0 ||
		    v > (mx - mn) / u)
			return *why = "bad packet table block", -1;
		o += first;
	}
	t = mn + v * u;
	off[i0] = o;
	ts[i0] = t;
	/* the checks of the loop: each record header inside the pcap, in file order, each time inside the block's range */
	for (uint64_t i = i0 + 1; i <= last; i++) {
		if (i % IDX3_SEG == 0) {
			uint64_t a;
			/* a segment's start, when the block is read whole, must be where its directory says */
			if ((whole && (uint64_t)(p - start) != le16(seg + 2 * (i / IDX3_SEG - 1))) ||
			    vget(&p, end, &a) < 0 || a > f->pcap_size - PCAP_RECHDR - first || a < o - first + PCAP_RECHDR ||
			    vget(&p, end, &v) < 0 || v > (mx - mn) / u)
				return *why = "bad packet table block", -1;
			off[i] = o = first + a;
			ts[i] = t = mn + v * u;
			continue;
		}
		if (vget(&p, end, &v) < 0)
			return *why = "bad packet table block", -1;
		room = f->pcap_size - PCAP_RECHDR - o;     /* o <= pcap_size - 16 holds */
		if (room < PCAP_RECHDR || v > room - PCAP_RECHDR)
			return *why = "packet table offset outside the pcap", -1;
		o += v + PCAP_RECHDR;
		if (vget(&p, end, &v) < 0)
			return *why = "bad packet table block", -1;
		t += (uint64_t)zigzag_dec(v) * u;      /* wrapping on damage: caught just below */
		if (t < mn || t > mx)
			return *why = "packet table time outside its block", -1;
		off[i] = o;
		ts[i] = t;
	}
	if (whole && p != end)
		return *why = "bad packet table block", -1;
	*n = (uint32_t)cnt;
	return 0;
}

/* out |= [a, a + n) */
static void
or_range(struct ordset *s, uint32_t a, uint32_t n)
{
	uint32_t b = a + n;

	while (a < b && (a & 63)) {
		ordset_add(s, a);
		a++;
	}
	for (; a + 64 <= b; a += 64)
		s->w[a >> 6] = ~0ull;
	for (; a < b; a++)
		ordset_add(s, a);
}

/* one flow's list at [p, end): exactly n ascending numbers below limit, ORed into out */
static int
list_or(const uint8_t *p, const uint8_t *end, uint64_t n, uint32_t limit, struct ordset *out)
{
	uint64_t v, prev, i;

	if (vget(&p, end, &v) < 0 || v >= limit)
		return -1;
	ordset_add(out, (uint32_t)v);
	for (prev = v, i = 1; i < n; i++) {
		if (vget(&p, end, &v) < 0)
			return -1;
		if (v & 1) {
			/* a run of (v >> 1) + 1 consecutive numbers */
			uint64_t r = (v >> 1) + 1;
			if (r > n - i || r >= limit - prev)
				return -1;
			or_range(out, (uint32_t)prev + 1, (uint32_t)r);
			prev += r;
			i += r - 1;
			continue;
		}
		if ((v >> 1) + 2 >= limit - prev)
			return -1;
		prev += (v >> 1) + 2;
		ordset_add(out, (uint32_t)prev);
	}
	return p == end ? 0 : -1;
}

int
flat_flows_packets(struct flat *f, const struct ordset *fs, struct ordset *out, const char **why)
{
	const uint8_t *fdir = f->sec + (size_t)f->ntab * IDX3_TDIR_LEN;
	uint32_t lim = (uint32_t)f->packets;

	if (out->n < f->packets)
		return *why = "ordinal set smaller than the index", -1;
	for (uint32_t b = 0; b < f->nflb; b++) {
		const uint8_t *d = fdir + (size_t)b * IDX3_FDIR_LEN, *p, *end;
		uint32_t first = le32(d + IDX3F_FIRST), nf = le32(d + IDX3F_FLOWS), next;
		size_t len;

		if (first >= fs->n)
			break;
		if ((next = ordset_next(fs, first)) == UINT32_MAX)
			break;
		if (next - first >= nf)
			continue;
		if ((p = block_bytes(f, d, f->ntab + b, b | IDX3_FLOWTAG, &len)) == NULL)
			return *why = "flow-list block check (CRC-32C) failed", -1;
		end = p + len;
		for (uint32_t k = 0; k < nf; k++) {
			uint64_t n, nb;
			if (vget(&p, end, &n) < 0 || vget(&p, end, &nb) < 0 || n == 0 || n > lim ||
			    nb > (uint64_t)(end - p))
				return *why = "bad flow-list block", -1;
			if (first + k < fs->n && ordset_has(fs, first + k) && list_or(p, p + nb, n, lim, out) < 0)
				return *why = "bad flow list", -1;
			p += nb;
		}
		if (p != end)
			return *why = "bad flow-list block", -1;
	}
	return 0;
}
