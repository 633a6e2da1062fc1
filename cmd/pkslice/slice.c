/* slice.c - pkslice's output side: one pcap or a pk stream (slice.h). */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linktype.h"
#include "pcapfile.h"
#include "pk.h"
#include "query.h"
#include "slice.h"
#include "timeparse.h"

void
slice_init(struct slice *sl)
{
	memset(sl, 0, sizeof *sl);
	sl->fmt = SLICE_PCAP;
	sl->win_end = UINT64_MAX;
	sl->fd = -1;
}

void
slice_worse(struct slice *sl, int status)
{
	sl->status = pk_exit_merge(sl->status, status);
}

void
slice_open_out(struct slice *sl, const char *path)
{
	if (path != NULL && strcmp(path, "-") != 0) {
		/* a slice of the archive is as private as the archive (0640) */
		if ((sl->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
			err(EX_CANTCREAT, "%s", path);
		sl->outname = path;
	} else {
		sl->fd = STDOUT_FILENO;
		sl->outname = "stdout";
		if (sl->fmt == SLICE_STREAM)
			pk_refuse_tty(sl->fd, "pkextract -T json");
		else if (isatty(sl->fd))
			errx(EX_USAGE, "refusing to write a %s to a terminal; "
			    "pipe it into tcpdump -r - or use -w FILE", sl->fmt == SLICE_PCAPNG ? "pcapng" : "pcap");
	}
	sl->out_start = lseek(sl->fd, 0, SEEK_CUR);
	if (sl->fmt != SLICE_STREAM)
		bufout_init(&sl->bo, sl->fd, BUFIO_SIZE);
	else
		sout_init_raw(&sl->so, sl->fd);
}

static struct bufout *
out_buf(struct slice *sl)
{
	return sl->fmt == SLICE_STREAM ? &sl->so.out : &sl->bo;
}

/* a failed write: a reader that went away ends us quietly (exit 0) */
static int
out_fail(struct slice *sl)
{
	int e = out_buf(sl)->err;

	if (e != EPIPE) {
		warnc(e, "write error on %s", sl->outname);
		slice_worse(sl, EX_IOERR);
	}
	sl->stop = 1;
	return -1;
}

const char *
slice_ltname(uint32_t linktype, char *buf, size_t len)
{
	const char *n = pcap_datalink_val_to_name((int)linktype);

	snprintf(buf, len, "%s (%u)", n ? n : "LINKTYPE", linktype);
	return buf;
}

int
slice_begin(struct slice *sl, uint32_t linktype, uint32_t snaplen, int nsec)
{
	if (sl->started)
		return 0;
	sl->started = 1;
	sl->linktype = linktype;
	sl->snaplen = snaplen == 0 || snaplen > PCAP_SNAPLEN_MAX ? PCAP_SNAPLEN_MAX : snaplen;
	sl->nsec = nsec;
	if (sl->fmt == SLICE_PCAP)
		return pcapw_header(&sl->bo, sl->linktype, sl->snaplen, nsec) < 0 ? out_fail(sl) : 0;
	if (sl->fmt == SLICE_PCAPNG)
		return ng_section(&sl->bo) < 0 ? out_fail(sl) : 0;
	sout_header(&sl->so, NULL, nsec ? HDR_NSEC : 0);
	if (sl->npending > 0 && bufout_write(&sl->so.out, sl->pending, sl->npending) < 0)
		return out_fail(sl);
	free(sl->pending);
	sl->pending = NULL;
	sl->npending = sl->pendcap = 0;
	return sl->so.out.err ? out_fail(sl) : 0;
}

void
slice_pending(struct slice *sl, const struct pk_rec *r)
{
	if (sl->fmt != SLICE_STREAM || sl->stop)
		return;
	if (sl->started) {
		if (sout_raw(&sl->so, r) < 0)
			out_fail(sl);
		return;
	}
	if (sl->npending + r->len > sl->pendcap) {
		size_t cap = sl->pendcap ? sl->pendcap : 65536;
		uint8_t *nb;

		while (cap < sl->npending + r->len)
			cap *= 2;
		nb = xreallocarray(sl->pending, cap, 1);
		sl->pending = nb;
		sl->pendcap = cap;
	}
	memcpy(sl->pending + sl->npending, r->raw, r->len);
	sl->npending += r->len;
}

void
slice_set_filter(struct slice *sl, const struct rec_filter *f)
{
	if (sl->no_filter)
		return;
	free(sl->filter_expr);
	sl->filter_expr = xstrdup(f->expr);
	sl->filter_flags = f->flags;
	sl->have_filter = 1;
	if (sl->bpf_ok) {
		pcap_freecode(&sl->bpf);
		sl->bpf_ok = 0;
	}
	if (f->flags & FILTER_WINDOW) {
		if (f->start_ns > sl->win_start)
			sl->win_start = f->start_ns;
		if (f->end_ns < sl->win_end)
			sl->win_end = f->end_ns;
	}
}

/* compile the filter record's expression for linktype (once per link type) */
static int
filter_compile(struct slice *sl, uint32_t linktype)
{
	char e[PCAP_ERRBUF_SIZE + 256];

	if (sl->bpf_ok && sl->bpf_linktype == linktype)
		return 0;
	if (sl->bpf_ok)
		pcap_freecode(&sl->bpf);
	sl->bpf_ok = 0;
	/* compiled exactly as tcpdump -r compiles it for a file of this link type */
	if (query_compile(sl->filter_expr, linktype, PCAP_SNAPLEN_MAX, &sl->bpf, e, sizeof e) < 0) {
		warnx("filter record: %s: %s", sl->filter_expr, e);
		slice_worse(sl, EX_DATAERR);
		sl->stop = 1;
		return -1;
	}
	sl->bpf_linktype = linktype;
	sl->bpf_ok = 1;
	return 0;
}

int
slice_filter_prog(struct slice *sl, uint32_t linktype, const struct bpf_program **prog)
{
	*prog = NULL;
	if (!sl->have_filter || !(sl->filter_flags & FILTER_APPLY))
		return 0;
	if (filter_compile(sl, linktype) < 0)
		return -1;
	*prog = &sl->bpf;
	return 0;
}

static struct slice_ngif *
ng_add(struct slice *sl, uint32_t linktype, uint32_t snaplen, int nsec)
{
	struct slice_ngif *v;

	v = xreallocarray(sl->ngif, sl->nngif + 1, sizeof *v);
	sl->ngif = v;
	v = &sl->ngif[sl->nngif++];
	memset(v, 0, sizeof *v);
	v->linktype = linktype;
	v->snaplen = snaplen > PCAP_SNAPLEN_MAX ? PCAP_SNAPLEN_MAX : snaplen;
	v->nsec = nsec;
	return v;
}

void
slice_ng_plan(struct slice *sl, uint32_t linktype, uint32_t snaplen, int nsec)
{
	for (size_t i = 0; i < sl->nngif; i++)
		if (sl->ngif[i].linktype == linktype) {
			if (snaplen > sl->ngif[i].snaplen)
				sl->ngif[i].snaplen = snaplen;
			sl->ngif[i].nsec |= nsec;
			return;
		}
	(void)ng_add(sl, linktype, snaplen, nsec);
}

/*
 * The interface a packet of linktype goes to: a nanosecond one takes
 * microsecond packets exactly, not the other way round.  Described in
 * the output on first use.  NULL on a write error.
 */
static struct slice_ngif *
ng_iface(struct slice *sl, uint32_t linktype, int nsec)
{
	struct slice_ngif *v = NULL;

	for (size_t i = 0; i < sl->nngif && v == NULL; i++)
		if (sl->ngif[i].linktype == linktype && (sl->ngif[i].nsec || !nsec))
			v = &sl->ngif[i];
	if (v == NULL)
		v = ng_add(sl, linktype, sl->saw_open ? sl->open_snaplen : 0, nsec);
	if (v->written)
		return v;
	v->written = 1;
	v->id = sl->ng_next_id++;
	v->snap_at = bufout_tell(&sl->bo) + 12;
	return ng_interface(&sl->bo, v->linktype, v->snaplen, v->nsec) < 0 ? NULL : v;
}

/* one packet into the pcap or pcapng output */
static int
emit_file(struct slice *sl, const struct pk_pkt *p)
{
	struct slice_ngif *v;
	char a[64], b[64];

	if (sl->fmt == SLICE_PCAP && p->linktype != sl->linktype) {
		warnx("link type changes from %s to %s after %llu packets: a pcap holds one link "
		    "type (use -o pcapng)", slice_ltname(sl->linktype, a, sizeof a),
		    slice_ltname(p->linktype, b, sizeof b), (unsigned long long)sl->packets);
		slice_worse(sl, EX_DATAERR);
		sl->stop = 1;
		return -1;
	}
	if (p->caplen > PCAP_SNAPLEN_MAX) {
		sl->bad_pkts++;
		return 1;
	}
	if (sl->fmt == SLICE_PCAP) {
		if (pcapw_record(&sl->bo, p->ts_ns, p->caplen, p->wirelen, p->data, sl->nsec) < 0)
			return out_fail(sl);
	} else {
		/* each packet says its precision: a microsecond one fits either interface exactly */
		if ((v = ng_iface(sl, p->linktype, (p->flags & PKT_NSEC) != 0)) == NULL ||
		    ng_packet(&sl->bo, v->id, p->ts_ns, p->caplen, p->wirelen, p->data, v->nsec) < 0)
			return out_fail(sl);
		if (p->caplen > v->max_caplen)
			v->max_caplen = p->caplen;
	}
	if (p->caplen > sl->max_caplen)
		sl->max_caplen = p->caplen;
	return 0;
}

int
slice_emit(struct slice *sl, const struct pk_pkt *p, const struct pk_rec *raw, struct slice_file *file,
    uint64_t offset, int judged)
{
	int rc;

	if (sl->stop)
		return -1;
	if (p->ts_ns < sl->win_start || p->ts_ns >= sl->win_end) {
		sl->filtered++;
		return 0;
	}
	if (sl->have_filter && (sl->filter_flags & FILTER_APPLY) && !judged) {
		struct pcap_pkthdr h;

		if (filter_compile(sl, p->linktype) < 0)
			return -1;
		memset(&h, 0, sizeof h);
		h.caplen = p->caplen;
		h.len = p->wirelen;
		if (pcap_offline_filter(&sl->bpf, &h, p->data) == 0) {
			sl->filtered++;
			return 0;
		}
	}
	if (!sl->started && slice_begin(sl, p->linktype, sl->saw_open ? sl->open_snaplen : 0,
	    (sl->hdr_flags & HDR_NSEC) || sl->open_nsec || (p->flags & PKT_NSEC)) < 0)
		return -1;
	if (sl->fmt != SLICE_STREAM) {
		if ((rc = emit_file(sl, p)) != 0)
			return rc < 0 ? -1 : 0;
	} else if (raw != NULL) {
		if (sout_raw(&sl->so, raw) < 0)
			return out_fail(sl);
	} else {
		uint8_t loc[ANN_LOCATION_LEN];
		struct pk_ann ann = { ANN_LOCATION, ANN_LOCATION_LEN, loc };

		if (file != NULL && !file->announced) {
			file->announced = 1;
			if (sout_file_open(&sl->so, p->source, p->linktype, file->snaplen,
			    FOPEN_INPUT | (file->nsec ? FOPEN_NSEC : 0), file->path) < 0)
				return out_fail(sl);
		}
		loc_put(loc, p->source, offset);
		if (sout_packet(&sl->so, p, &ann, file != NULL) < 0)
			return out_fail(sl);
	}
	sl->packets++;
	return 0;
}

/*
 * A stream can bring a packet longer than the snapshot length chosen for
 * the header (file-open records after the first packet); readers would
 * cut it.  In a file the header is mended; in a pipe we can only say so.
 */
static void
mend_snaplen(struct slice *sl, uint32_t max_caplen, uint32_t snaplen, uint64_t at, const char *where)
{
	uint8_t v[4];
	struct stat st;

	put32(v, PCAP_SNAPLEN_MAX);
	if (sl->out_start >= 0 && fstat(sl->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    pwrite(sl->fd, v, sizeof v, sl->out_start + (off_t)at) == (ssize_t)sizeof v)
		return;
	warnx("a packet of %u bytes exceeds the snapshot length %u in the %s; "
	    "readers may truncate it (use -w FILE)", max_caplen, snaplen, where);
}

static void
fix_snaplen(struct slice *sl)
{
	if (!sl->started || sl->bo.err)
		return;
	if (sl->fmt == SLICE_PCAP && sl->max_caplen > sl->snaplen)
		mend_snaplen(sl, sl->max_caplen, sl->snaplen, PCAPH_SNAPLEN, "pcap header");
	for (size_t i = 0; sl->fmt == SLICE_PCAPNG && i < sl->nngif; i++) {
		const struct slice_ngif *v = &sl->ngif[i];

		if (v->written && v->snaplen && v->max_caplen > v->snaplen)
			mend_snaplen(sl, v->max_caplen, v->snaplen, v->snap_at, "pcapng interface");
	}
}

/*
 * The tables the readers fill (slice_stream.c, slice_merge.c, slice_idx.c)
 * and slice_free empties: files, their locations, the archive roots.
 */
struct slice_file *
slice_file_add(struct slice *sl, uint32_t id, const char *path, uint32_t flags)
{
	struct slice_file *f;

	if (sl->nfiles == sl->filecap) {
		size_t cap = sl->filecap ? sl->filecap * 2 : 16;
		f = xreallocarray(sl->files, cap, sizeof *f);
		sl->files = f;
		sl->filecap = cap;
	}
	f = &sl->files[sl->nfiles++];
	memset(f, 0, sizeof *f);
	f->id = id;
	f->flags = flags;
	f->path = xstrdup(path);
	return f;
}

void
slice_loc_add(struct slice_file *f, uint64_t offset, uint64_t ts_ns)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct slice_loc *v;
		v = xreallocarray(f->loc, cap, sizeof *v);
		f->loc = v;
		f->cap = cap;
	}
	f->loc[f->n].off = offset;
	f->loc[f->n].ts = ts_ns;
	f->loc[f->n].end = 0;
	f->loc[f->n].exact = 0;
	f->loc[f->n].bits = NULL;
	f->loc[f->n].nbits = 0;
	f->n++;
}

void
slice_range_add(struct slice_file *f, uint64_t start, uint64_t end, int exact, const uint8_t *bits,
    uint32_t nbits)
{
	struct slice_loc *l;

	if (end <= start)
		return;
	slice_loc_add(f, start, 0);
	l = &f->loc[f->n - 1];
	l->end = end;
	l->exact = exact;
	if (bits != NULL) {
		/* one per range (a file), not per packet */
		l->bits = xmalloc(((size_t)nbits + 7) / 8 + 1);
		memcpy(l->bits, bits, ((size_t)nbits + 7) / 8);
		l->nbits = nbits;
	}
}

void
slice_add_root(struct slice *sl, const char *dir)
{
	char **r;

	r = xreallocarray(sl->roots, sl->nroots + 1, sizeof *r);
	sl->roots = r;
	sl->roots[sl->nroots++] = xstrdup(dir);
}

static void
slice_free(struct slice *sl)
{
	for (size_t i = 0; i < sl->nfiles; i++) {
		free(sl->files[i].path);
		free(sl->files[i].rel);
		for (size_t k = 0; k < sl->files[i].n; k++)
			free(sl->files[i].loc[k].bits);
		free(sl->files[i].loc);
	}
	free(sl->files);
	for (size_t i = 0; i < sl->nroots; i++) {
		free(sl->roots[i]);
		if (sl->rootfd && sl->rootfd[i] >= 0)
			close(sl->rootfd[i]);
		if (sl->rootreal)
			free(sl->rootreal[i]);
	}
	free(sl->roots);
	free(sl->rootfd);
	free(sl->rootreal);
	free(sl->filter_expr);
	free(sl->pending);
	free(sl->ngif);
	if (sl->bpf_ok)
		pcap_freecode(&sl->bpf);
	if (sl->fmt != SLICE_STREAM)
		bufout_free(&sl->bo);
	else
		sout_free(&sl->so);
}

int
slice_finish(struct slice *sl)
{
	struct bufout *o = out_buf(sl);

	/* nothing matched: still a valid (empty) pcap, so tcpdump -r - reads it */
	if (!sl->started && !sl->stop)
		(void)slice_begin(sl, sl->saw_open ? sl->open_linktype : LINKTYPE_ETHERNET, sl->saw_open ? sl->open_snaplen : 0,
		    (sl->hdr_flags & HDR_NSEC) || sl->open_nsec);
	/* and a pcapng that readers can open needs an interface */
	if (sl->fmt == SLICE_PCAPNG && !sl->stop && sl->ng_next_id == 0)
		(void)ng_iface(sl, sl->nngif ? sl->ngif[0].linktype : sl->saw_open ? sl->open_linktype : LINKTYPE_ETHERNET,
		    (sl->hdr_flags & HDR_NSEC) || sl->open_nsec);
	if (bufout_flush(o) < 0 && o->err != EPIPE) {
		warnc(o->err, "write error on %s", sl->outname);
		slice_worse(sl, EX_IOERR);
	}
	fix_snaplen(sl);
	/* late write errors (NFS, a full disk) show up at close */
	if (close(sl->fd) < 0 && errno != EPIPE) {
		warn("close %s", sl->outname);
		slice_worse(sl, EX_IOERR);
	}
	if (sl->bad_pkts > 0) {
		warnx("%llu malformed, oversized or headers-only packets skipped", (unsigned long long)sl->bad_pkts);
		slice_worse(sl, EX_DATAERR);
	}
	if (sl->bad_locs > 0) {
		warnx("%llu locations could not be read", (unsigned long long)sl->bad_locs);
		slice_worse(sl, EX_DATAERR);
	}
	if (sl->ignored > 0)
		warnx("%llu records ignored (a stream carries packets or locations, not both)",
		    (unsigned long long)sl->ignored);
	slice_free(sl);
	return sl->status;
}

int
slice_time(const char *s, uint64_t base_ns, uint64_t *out)
{
	char errbuf[160], at[64];

	/* plain epoch seconds with a fraction ("1700000000.25"): timeparse wants '@' */
	if (isdigit((unsigned char)s[0]) && strspn(s, "0123456789.") == strlen(s) && strlen(s) < sizeof at - 1) {
		snprintf(at, sizeof at, "@%s", s);
		s = at;
	}
	if (timeparse(s, pk_now_ns(CLOCK_REALTIME), base_ns, out, errbuf, sizeof errbuf) < 0) {
		warnx("%s", errbuf);
		return -1;
	}
	return 0;
}
