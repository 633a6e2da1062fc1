/*
 * postings.c - grouped posting lists (postings.h, pk-index(5) "Lists").
 *
 * A segment is the value (a varint delta from the previous segment's
 * value in the record, 0 for the first whose value is in the key; IPv6
 * addresses: the 16 bytes as they are), a varint count, then the list:
 * the first number, then for each further one a varint x: with run
 * coding, odd x is a run of (x >> 1) + 1 consecutive numbers and even x
 * a gap of (x >> 1) + 2; without, the gap minus one.  A long list
 * continues in the next record as further segments of the same value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ordset.h"
#include "pk.h"
#include "postings.h"
#include "varint.h"

void
pl_init(struct pl_out *w, DB *db, size_t chunk)
{
	memset(w, 0, sizeof *w);
	w->db = db;
	w->chunk = chunk;
}

void
pl_free(struct pl_out *w)
{
	free(w->buf);
	free(w->tmp);
	w->buf = w->tmp = NULL;
	w->cap = w->tmpcap = 0;
}

int
pl_put(struct pl_out *w, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	DBT k, d;
	int rc;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)klen;
	d.data = (void *)(uintptr_t)val;
	d.size = (u_int32_t)vlen;
	if ((rc = w->db->put(w->db, NULL, &k, &d, 0)) != 0) {
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	w->records++;
	return 0;
}

static void
room(struct pl_out *w, size_t n)
{
	if (w->len + n > w->cap) {
		size_t nc = (w->len + n) * 2;
		uint8_t *nb = xreallocarray(w->buf, nc, 1);
		w->buf = nb;
		w->cap = nc;
	}
}

static int
flush(struct pl_out *w)
{
	int rc = 0;

	if (w->len > 0)
		rc = pl_put(w, w->key, 1 + w->vlen + 2, w->buf, w->len);
	w->len = 0;
	return rc;
}

void
pl_begin(struct pl_out *w, uint8_t tag, size_t vlen, int rle)
{
	w->tag = tag;
	w->vlen = vlen;
	w->rle = rle;
	w->len = 0;
	w->prev = 0;
}

int
pl_end(struct pl_out *w)
{
	return flush(w);
}

int
pl_add(struct pl_out *w, const uint8_t *val, const uint32_t *v, size_t n)
{
	size_t i = 0, hdr = (w->vlen > 8 ? 16 : VARINT_MAX) + VARINT_MAX;
	uint16_t seg = 0;

	if (w->tmpcap < w->chunk + VARINT_MAX) {
		free(w->tmp);
		w->tmpcap = w->chunk + VARINT_MAX;
		w->tmp = xmalloc(w->tmpcap);
	}
	room(w, w->chunk + hdr + VARINT_MAX);
	while (i < n) {
		size_t m = 0, tl = 0;
		if (w->len > 0 && w->len + hdr + VARINT_MAX > w->chunk && flush(w) < 0)
			return -1;
		if (w->len == 0) {
			w->key[0] = w->tag;
			memcpy(w->key + 1, val, w->vlen);
			putbe16(w->key + 1 + w->vlen, seg);
			w->prev = w->vlen <= 8 ? be_num(val, w->vlen) : 0;
		}
		tl += varint_put(w->tmp, v[i]);
		for (m = 1; i + m < n && w->len + hdr + tl + VARINT_MAX <= w->chunk; m++) {
			uint32_t d = v[i + m] - v[i + m - 1], r;
			if (!w->rle) {
				tl += varint_put(w->tmp + tl, (uint64_t)d - 1);
				continue;
			}
			if (d > 1) {
				tl += varint_put(w->tmp + tl, (uint64_t)(d - 2) << 1);
				continue;
			}
			/* a run of r consecutive numbers */
			for (r = 1; i + m + r < n && v[i + m + r] - v[i + m + r - 1] == 1; r++)
				;
			tl += varint_put(w->tmp + tl, (uint64_t)(r - 1) << 1 | 1);
			m += r - 1;
		}
		if (w->vlen > 8) {
			memcpy(w->buf + w->len, val, 16);
			w->len += 16;
		} else {
			uint64_t num = be_num(val, w->vlen);
			w->len += varint_put(w->buf + w->len, num - w->prev);
			w->prev = num;
		}
		w->len += varint_put(w->buf + w->len, m);
		memcpy(w->buf + w->len, w->tmp, tl);
		w->len += tl;
		i += m;
		seg++;
	}
	return 0;
}

/* ---- reading ---- */

struct scan {
	DBC *c;
	DBT k, d;
	int tag;
	size_t vlen;
	uint32_t *list;
	size_t listcap;
};

static void
num_val(uint64_t n, uint8_t *v, size_t len)
{
	for (size_t i = len; i-- > 0; n >>= 8)
		v[i] = (uint8_t)n;
}

static int
rec_is(const struct scan *s)
{
	return s->k.size == 1 + s->vlen + 2 && ((const uint8_t *)s->k.data)[0] == s->tag;
}

/* position on the record holding the first segment of value v (or the first after it) */
static int
seek_val(struct scan *s, const uint8_t *v)
{
	uint8_t key[1 + 16 + 2];
	int rc;

	key[0] = (uint8_t)s->tag;
	memcpy(key + 1, v, s->vlen);
	putbe16(key + 1 + s->vlen, 0);
	s->k.data = key;
	s->k.size = (u_int32_t)(1 + s->vlen + 2);
	rc = s->c->get(s->c, &s->k, &s->d, DB_SET_RANGE);
	if (rc == 0 && s->k.size == 1 + s->vlen + 2 && memcmp(s->k.data, key, s->k.size) == 0)
		return 0;
	if (rc != 0 && rc != DB_NOTFOUND)
		return rc;
	/* v may begin inside the previous record */
	rc = s->c->get(s->c, &s->k, &s->d, rc == DB_NOTFOUND ? DB_LAST : DB_PREV);
	if (rc == 0 && !rec_is(s))
		rc = s->c->get(s->c, &s->k, &s->d, DB_NEXT);
	return rc;
}

/* decode the n numbers of a segment at *pp into *listp (room: *capp); 0 or -1 */
static int
decode_list(uint32_t **listp, size_t *capp, const uint8_t **pp, const uint8_t *end, uint64_t n, uint32_t limit,
    int rle)
{
	const uint8_t *p = *pp;
	uint32_t *list;
	uint64_t v;

	if (n > *capp) {
		free(*listp);
		*capp = n;
		*listp = xreallocarray(NULL, n, sizeof **listp);
	}
	list = *listp;
	for (uint64_t i = 0, prev = 0; i < n; i++) {
		if (varint_get(&p, end, &v) < 0 || v > UINT32_MAX)
			return -1;
		if (i > 0 && rle && (v & 1)) {
			/* a run of (v >> 1) + 1 consecutive numbers */
			uint64_t r = (v >> 1) + 1;
			if (r > n - i || prev + r >= limit)
				return -1;
			while (r-- > 0)
				list[i++] = (uint32_t)++prev;
			i--;
			continue;
		}
		v = i == 0 ? v : rle ? prev + (v >> 1) + 2 : prev + v + 1;
		if (v >= limit)
			return -1;
		list[i] = (uint32_t)(prev = v);
	}
	*pp = p;
	return 0;
}

static int
seg_list(struct scan *s, const uint8_t **pp, const uint8_t *end, uint64_t n, uint32_t limit, int rle)
{
	return decode_list(&s->list, &s->listcap, pp, end, n, limit, rle);
}

int
pl_scan(DB *db, int tag, size_t vlen, const uint8_t *lo, const uint8_t *hi, const struct ordset *want,
    uint32_t limit, int rle, pl_seg_fn fn, void *arg)
{
	struct scan s;
	uint8_t val[16], w[16];
	uint64_t lon = vlen <= 8 ? be_num(lo, vlen) : 0, hin = vlen <= 8 ? be_num(hi, vlen) : 0;
	uint64_t found = 0, lastv = UINT64_MAX;
	int rc, done = 0;

	memset(&s, 0, sizeof s);
	s.tag = tag;
	s.vlen = vlen;
	if ((rc = db->cursor(db, NULL, &s.c, 0)) != 0)
		return rc;
	if (want) {
		uint32_t f = ordset_next(want, (uint32_t)lon);
		if (f == UINT32_MAX || f > hin)
			goto out;
		num_val(f, w, vlen);
		rc = seek_val(&s, w);
	} else {
		rc = seek_val(&s, lo);
	}
	for (; rc == 0 && !done && rec_is(&s); rc = s.c->get(s.c, &s.k, &s.d, DB_NEXT)) {
		const uint8_t *p = s.d.data, *end = p + s.d.size;
		uint64_t cur = vlen <= 8 ? be_num((const uint8_t *)s.k.data + 1, vlen) : 0, n, dv;
		int first = 1;

		if (want && lastv != UINT64_MAX) {
			/* jump over records with nothing wanted */
			uint32_t f = ordset_next(want, (uint32_t)(cur > lastv ? lastv + 1 : lastv));
			if (f == UINT32_MAX || f > hin)
				break;
			if (f > cur + 256) {
				num_val(f, w, vlen);
				if ((rc = seek_val(&s, w)) != 0 || !rec_is(&s))
					break;
				p = s.d.data;
				end = p + s.d.size;
				cur = be_num((const uint8_t *)s.k.data + 1, vlen);
			}
		}
		while (p < end) {
			if (vlen > 8) {
				if (end - p < 16) {
					rc = -1;
					goto out;
				}
				memcpy(val, p, 16);
				p += 16;
			} else {
				if (varint_get(&p, end, &dv) < 0 || (first && dv != 0) || dv > UINT64_MAX - cur) {
					rc = -1;
					goto out;
				}
				cur += dv;
				num_val(cur, val, vlen);
			}
			first = 0;
			if (varint_get(&p, end, &n) < 0 || n == 0 || n > limit || (!rle && n > (uint64_t)(end - p)) ||
			    seg_list(&s, &p, end, n, limit, rle) < 0) {
				rc = -1;
				goto out;
			}
			if (vlen > 8 ? memcmp(val, lo, vlen) < 0 : cur < lon)
				continue;
			if (vlen > 8 ? memcmp(val, hi, vlen) > 0 : cur > hin) {
				done = 1;
				break;
			}
			if (want && (cur >= want->n || !ordset_has(want, (uint32_t)cur)))
				continue;
			if (cur != lastv || vlen > 8)
				found++;
			lastv = cur;
			if ((rc = fn(arg, val, s.list, (size_t)n)) != 0)
				goto out;
		}
	}
	if (rc == DB_NOTFOUND)
		rc = 0;
	/* every wanted flow exists: one that is not found means damage */
	if (rc == 0 && want && found != ordset_count(want))
		rc = -1;
out:
	s.c->close(s.c);
	free(s.list);
	return rc;
}

int
pl_seg_or(void *arg, const uint8_t *val, const uint32_t *list, size_t n)
{
	struct ordset *o = arg;

	(void)val;
	for (size_t i = 0; i < n; i++)
		if (list[i] < o->n)
			ordset_add(o, list[i]);
	return 0;
}

int
pl_iter_open(struct pl_iter *it, DB *db, size_t (*taglen)(int), int (*rle)(int), uint32_t limit)
{
	memset(it, 0, sizeof *it);
	it->taglen = taglen;
	it->rle = rle;
	it->limit = limit;
	return db->cursor(db, NULL, &it->c, 0);
}

void
pl_iter_close(struct pl_iter *it)
{
	if (it->c)
		it->c->close(it->c);
	free(it->list);
	it->c = NULL;
	it->list = NULL;
}

int
pl_iter_next(struct pl_iter *it)
{
	uint64_t n, dv;
	int rc;

	while (it->p == NULL || it->p >= it->end) {
		const uint8_t *k;

		if ((rc = it->c->get(it->c, &it->k, &it->d, DB_NEXT)) == DB_NOTFOUND)
			return 0;
		if (rc != 0)
			return -1;
		k = it->k.data;
		it->p = NULL;
		if (it->k.size < 1 || (it->vlen = it->taglen(k[0])) == 0)
			continue;           /* not a list record */
		if (it->k.size != 1 + it->vlen + 2)
			return -1;
		it->tag = k[0];
		it->cur = it->vlen <= 8 ? be_num(k + 1, it->vlen) : 0;
		it->first = 1;
		it->p = it->d.data;
		it->end = it->p + it->d.size;
		if (it->p == it->end)
			return -1;          /* list records are never empty */
	}
	if (it->vlen > 8) {
		if (it->end - it->p < 16)
			return -1;
		memcpy(it->val, it->p, 16);
		it->p += 16;
	} else {
		if (varint_get(&it->p, it->end, &dv) < 0 || (it->first && dv != 0) || dv > UINT64_MAX - it->cur)
			return -1;
		it->cur += dv;
		num_val(it->cur, it->val, it->vlen);
	}
	it->first = 0;
	if (varint_get(&it->p, it->end, &n) < 0 || n == 0 || n > it->limit ||
	    decode_list(&it->list, &it->listcap, &it->p, it->end, n, it->limit, it->rle(it->tag)) < 0)
		return -1;
	it->n = (size_t)n;
	return 1;
}
