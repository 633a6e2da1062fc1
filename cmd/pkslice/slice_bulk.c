/*
 * slice_bulk.c - pkslice's dense answers: a run of records that go to
 * the pcap unchanged is copied as it lies in the file (slice.h).
 *
 * Read record by record (pcapf_next, a packet built, slice_emit, a
 * header written anew, the merge heap consulted), a broad answer cost
 * several times what copying its bytes costs.  Here a record is only
 * looked at: its header (time, lengths) decides, BPF runs on it in place
 * unless the index judged it exactly, and the records taken in a row
 * leave in one copy.  Whatever this cannot vouch for byte for byte (a
 * record cut by the snapshot, a fraction of a second out of range, a
 * swapped file, another precision or link type than the output's, the
 * end of the file or damage) is left to the ordinary path.
 */
#include <err.h>
#include <errno.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcapfile.h"
#include "pk.h"
#include "slice.h"

/* the records taken in a row: one copy to the output; -1 on a write error (said, sl->stop) */
static int
put_run(struct slice *sl, const uint8_t *run, size_t len)
{
	if (len == 0 || bufout_write(&sl->bo, run, len) == 0)
		return 0;
	if (sl->bo.err != EPIPE) {
		warnc(sl->bo.err, "write error on %s", sl->outname);
		slice_worse(sl, EX_IOERR);
	}
	sl->stop = 1;
	return -1;
}

/*
 * the window moved to off with at least need bytes: what was taken goes
 * out first (the run points into the window); NULL on a write error or
 * when the file has no more
 */
static const uint8_t *
refill(struct slice *sl, struct pcapf *pf, uint64_t off, size_t need, const uint8_t **run, size_t *runlen,
    size_t *left)
{
	if (put_run(sl, *run, *runlen) < 0)
		return NULL;
	*run = NULL, *runlen = 0;
	(void)pcapf_seek(pf, off);
	return pcapf_peek(pf, need, left);
}

void
slice_bulk(struct slice *sl, struct pcapf *pf, uint32_t ord, struct slice_span *sp, const struct slice_bound *b)
{
	const struct bpf_program *prog = NULL;
	const uint8_t *p = NULL, *run = NULL;
	size_t left = 0, runlen = 0;
	uint64_t off = pf->next, unit = pf->nsec ? 1 : 1000, k = sp->k;
	uint32_t maxfrac = pf->nsec ? 1000000000u : 1000000u, maxcap = pf->h.snapshot;
	struct pcap_pkthdr h;

	if (sl->stop || sl->fmt != SLICE_PCAP || !sl->started || pf->swapped || pf->h.lenswap == 1 ||
	    pf->linktype != sl->linktype || pf->nsec != sl->nsec)
		return;
	if (!sp->exact && slice_filter_prog(sl, pf->linktype, &prog) < 0)
		return;
	/* emit_file skips longer packets (counted as bad): the ordinary path does that */
	if (pf->h.maxcap < maxcap)
		maxcap = pf->h.maxcap;
	if (PCAP_SNAPLEN_MAX < maxcap)
		maxcap = PCAP_SNAPLEN_MAX;
	memset(&h, 0, sizeof h);
	while (off < sp->end) {
		uint32_t sec, frac, caplen, wirelen;
		uint64_t ts;
		size_t need;
		int take;

		if (left < PCAP_RECHDR && (p = refill(sl, pf, off, PCAP_RECHDR, &run, &runlen, &left)) == NULL)
			break;
		sec = le32(p + PCAPR_SEC);
		frac = le32(p + PCAPR_FRAC);
		caplen = le32(p + PCAPR_CAPLEN);
		wirelen = le32(p + PCAPR_WIRELEN);
		/* what pcapw_record would not write back the same, or libpcap would mend or refuse */
		if (caplen > maxcap || frac >= maxfrac || (pf->h.lenswap == 2 && caplen > wirelen))
			break;
		need = PCAP_RECHDR + (size_t)caplen;
		if (left < need && (p = refill(sl, pf, off, need, &run, &runlen, &left)) == NULL)
			break;
		ts = (uint64_t)sec * 1000000000u + (uint64_t)frac * unit;
		/* another file's packet comes first: the merge takes over */
		if (!b->none && (ts > b->ts || (ts == b->ts && ord > b->ord)))
			break;
		/* not a candidate: not the query's, passed over as pkfind would have */
		take = slice_span_cand(sp, k) && ts >= sl->win_start && ts < sl->win_end;
		if (take && prog != NULL) {
			h.caplen = caplen;
			h.len = wirelen;
			take = pcap_offline_filter(prog, &h, p + PCAP_RECHDR) != 0;
		}
		if (take) {
			if (run == NULL)
				run = p;
			runlen += need;
			sl->packets++;
			if (caplen > sl->max_caplen)
				sl->max_caplen = caplen;
		} else {
			if (put_run(sl, run, runlen) < 0)
				break;
			run = NULL, runlen = 0;
			sl->filtered++;
		}
		p += need;
		left -= need;
		off += need;
		k++;
	}
	if (!sl->stop)
		(void)put_run(sl, run, runlen);
	(void)pcapf_seek(pf, off);
	sp->k = k;
}
