/*
 * walk.c - an answer passed on as it is read, in whole units: a pcap
 * record by record, or a pcapng block by block (each judged against the
 * packet and byte limits, and held back until whole, before any of it goes
 * out), pkfind's JSON lines one line at a time, each made into Mercury's
 * (mercury.c).  Both read r->first from r->firstoff and write at most max
 * bytes; *stop is set when a limit ends the answer.
 */
#include <string.h>

#include "pk.h"
#include "serve.h"

/* may a packet of size bytes (its record, or its pcapng block) go out? */
static int
admit(struct req *r, uint64_t size)
{
	if ((r->lim_packets && r->packets + 1 > r->lim_packets) || (r->lim_bytes && r->bytes + size > r->lim_bytes)) {
		r->cut = 1;
		r->cut_by = r->lim_packets && r->packets + 1 > r->lim_packets ? "packets" : "bytes";
		return 0;
	}
	r->packets++;
	r->bytes += size;
	return 1;
}

#define NG_SHB 0x0a0d0d0au	/* pcapng: section header, interface description, packets */
#define NG_EPB 6u
#define NG_SPB 3u
#define NG_OPB 2u

/* the file's first 24 bytes are in: which form, which byte order */
static void
file_header(struct req *r)
{
	uint32_t m = le32(r->hdr), len;

	r->swapped = m == 0xd4c3b2a1u || m == 0x4d3cb2a1u;
	if (r->swapped || m == 0xa1b2c3d4u || m == 0xa1b23c4du)
		return;
	r->ng = 1;
	r->swapped = le32(r->hdr + 8) == 0x4d3c2b1au;	/* the section's byte-order magic */
	len = r->swapped ? be32(r->hdr + 4) : le32(r->hdr + 4);
	if (m != NG_SHB || (!r->swapped && le32(r->hdr + 8) != 0x1a2b3c4du) || len < 28 || len % 4)
		r->raw = 1;	/* neither: passed on as it is, no limit can be told */
	else
		r->reclen = len - 24;	/* the rest of the section header block */
}

/* the next record (classic) or block (pcapng) at in, whole in avail bytes: 1 if it was taken */
static int
next_unit(struct req *r, const uint8_t *in, size_t avail, int *stop)
{
	uint32_t len, type;

	if (avail < (r->ng ? 8u : 16u))
		return 0;
	if (r->ng) {
		type = r->swapped ? be32(in) : le32(in);
		len = r->swapped ? be32(in + 4) : le32(in + 4);
		if (len < 12 || len % 4) {
			r->raw = 1;	/* not a block: the rest is passed on as it is */
			return 1;
		}
	} else
		len = 16 + (r->swapped ? be32(in + 8) : le32(in + 8));
	if ((uint64_t)len <= sizeof r->first && avail < len)
		return 0;	/* held back until whole */
	if (r->ng && type != NG_EPB && type != NG_SPB && type != NG_OPB) {
		r->reclen = len;	/* a section or interface block: not a packet */
		return 1;
	}
	if (!admit(r, len)) {
		*stop = 1;
		return 0;
	}
	if (r->ng)
		r->reclen = len;
	else {
		memcpy(r->rec, in, 16);
		r->firstoff += 16;
		r->recout = 16;
		r->reclen = len - 16;
	}
	return 1;
}

/*
 * the next bytes of a pcap: the header as it is, each record only when
 * admitted and, when it fits r->first, only once it is whole there: so
 * whatever ends the programs (the run-time limit kills them) the answer
 * ends between packets.  0 with *stop clear: more input is needed.
 */
size_t
walk_pcap(struct req *r, uint8_t *out, size_t max, int *stop)
{
	size_t o = 0, avail, k;

	while (o < max && !*stop) {
		if (r->recout > 0) {	/* an admitted record header, not all sent yet */
			k = r->recout < max - o ? r->recout : max - o;
			memcpy(out + o, r->rec + 16 - r->recout, k);
			r->recout -= k, o += k;
			continue;
		}
		avail = r->firstlen - r->firstoff;
		const uint8_t *in = (const uint8_t *)r->first + r->firstoff;
		if (r->hdrfill < 24 || r->raw || r->reclen > 0) {
			if (avail == 0)
				break;
			k = avail < max - o ? avail : max - o;
			if (r->hdrfill < 24 && k > 24 - r->hdrfill)
				k = 24 - r->hdrfill;
			else if (!r->raw && r->hdrfill == 24 && k > r->reclen)
				k = (size_t)r->reclen;
			memcpy(out + o, in, k);
			r->firstoff += k, o += k;
			if (r->hdrfill < 24) {
				memcpy(r->hdr + r->hdrfill, in, k);
				if ((r->hdrfill += k) == 24)
					file_header(r);
			} else if (!r->raw)
				r->reclen -= k;
			continue;
		}
		if (r->cut) {
			*stop = 1;	/* the run-time limit: here, between packets */
			break;
		}
		if (!next_unit(r, in, avail, stop))
			break;
	}
	return o;
}

/*
 * walk_torn: 1 if ending the programs now could end the answer within a
 * packet: a record or block bigger than r->first is being passed on and
 * its rest is still in the pipe, or a form walk_pcap cannot walk is
 */
int
walk_torn(const struct req *r)
{
	if (r->ans != ANS_PCAP)
		return 0;
	return r->raw || (r->hdrfill > 0 && r->hdrfill < 24) || r->reclen > r->firstlen - r->firstoff;
}

/* Mercury's lines, made from pkfind's whole lines; a limit of packets counts lines */
size_t
walk_mercury(struct req *r, char *out, size_t max, int *stop)
{
	size_t o = 0, k;
	char *nl;

	while (o < max) {
		if (r->moff < r->mlen) {
			k = r->mlen - r->moff < max - o ? r->mlen - r->moff : max - o;
			memcpy(out + o, r->mout + r->moff, k);
			r->moff += k, o += k;
			continue;
		}
		nl = memchr(r->first + r->firstoff, '\n', r->firstlen - r->firstoff);
		if (nl == NULL)
			break;	/* a partial line: fill() keeps it and reads the rest */
		if (r->lim_packets && r->packets >= r->lim_packets) {
			r->cut = 1;
			r->cut_by = "packets";
			*stop = 1;
			break;
		}
		r->mlen = mercury_line(r->first + r->firstoff, (size_t)(nl - (r->first + r->firstoff)), r->mout, sizeof r->mout);
		r->moff = 0;
		r->firstoff = (size_t)(nl - r->first) + 1;
		if (r->mlen)
			r->packets++;
	}
	return o;
}

