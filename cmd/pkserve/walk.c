/*
 * walk.c - an answer passed on as it is read, in whole units: a pcap
 * record by record (its header gathered whole, across reads, and judged
 * against the packet and byte limits before any of it goes out), pkfind's
 * JSON lines one line at a time, each made into Mercury's (mercury.c).
 * Both read r->first from r->firstoff and write at most max bytes; *stop
 * is set when a limit ends the answer.
 */
#include <string.h>

#include "pk.h"
#include "serve.h"

/* a record header is complete: may its packet go out? */
static int
admit(struct req *r)
{
	const uint8_t *h = r->rec + 8;
	uint32_t caplen = r->swapped ? be32(h) : le32(h);

	if ((r->lim_packets && r->packets + 1 > r->lim_packets) ||
	    (r->lim_bytes && r->bytes + 16 + caplen > r->lim_bytes)) {
		r->cut = 1;
		r->cut_by = r->lim_packets && r->packets + 1 > r->lim_packets ? "packets" : "bytes";
		return 0;
	}
	r->packets++;
	r->bytes += 16 + (uint64_t)caplen;
	r->reclen = caplen;
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
	uint32_t caplen;

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
				if ((r->hdrfill += k) == 24) {
					uint32_t m = le32(r->hdr);
					r->swapped = m == 0xd4c3b2a1u || m == 0x4d3cb2a1u;
					/* XXX: pcapng (a /v1/pcap over link types) is passed whole: no packet or byte limit */
					r->raw = !r->swapped && m != 0xa1b2c3d4u && m != 0xa1b23c4du;
				}
			} else if (!r->raw)
				r->reclen -= k;
			continue;
		}
		/* the next record */
		if (r->cut) {
			*stop = 1;	/* the run-time limit: here, between packets */
			break;
		}
		if (avail < 16)
			break;
		caplen = r->swapped ? be32(in + 8) : le32(in + 8);
		if (16 + (uint64_t)caplen <= sizeof r->first && avail < 16 + (size_t)caplen)
			break;
		memcpy(r->rec, in, 16);
		r->firstoff += 16;
		if (!admit(r)) {
			*stop = 1;
			break;
		}
		r->recout = 16;
	}
	return o;
}

/*
 * walk_torn: 1 if ending the programs now could end the answer within a
 * packet: a record bigger than r->first is being passed on and its rest is
 * still in the pipe, or a pcapng (passed whole) is
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

