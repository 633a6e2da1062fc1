/*
 * output.c - pkfind -T json and -T sessions (output.h).
 *
 * -T json builds, for each match, the packet record pkextract would see
 * after pkread -r (its file named by a location annotation), so that the
 * two print the same fields through print.c.  -T sessions feeds the
 * matches to a session table (session.h) and lists it at the end, in
 * time order (newest first with -r).
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fields.h"
#include "find.h"
#include "output.h"
#include "pcapfile.h"
#include "pk.h"
#include "print.h"
#include "session.h"
#include "stream.h"

struct output {
	enum find_mode mode;
	int reverse;
	struct printer pr;          /* -T json */
	uint32_t file_id;
	char *path;                 /* the file the last packet came from */
	struct sess_table *st;      /* -T sessions */
	char err[512];
};

struct output *
output_new(const struct find_opts *o)
{
	struct output *out;

	if (o->mode != FIND_JSON && o->mode != FIND_SESSIONS && o->mode != FIND_SESSIONS_JSON)
		return NULL;
	out = xcalloc(1, sizeof *out);
	out->mode = o->mode;
	out->reverse = o->reverse;
	if (o->mode == FIND_JSON) {
		if (printer_init(&out->pr, stdout, "json", NULL, out->err, sizeof out->err) < 0)
			errx(EX_SOFTWARE, "%s", out->err);
	} else {
		out->st = sess_new(NULL);
	}
	return out;
}

/* a new file: the printer learns its path, the session table its link type */
static void
new_file(struct output *out, const char *path, const struct pcapf *pf)
{
	free(out->path);
	out->path = xstrdup(path);
	if (out->st) {
		sess_file(out->st, path, pf->linktype, pf->snaplen);
	} else {
		struct rec_file rf = { .id = ++out->file_id, .linktype = pf->linktype, .snaplen = pf->snaplen,
			.path = path };

		printer_file(&out->pr, &rf);
	}
}

int
output_packet(struct output *out, const char *path, struct pcapf *pf, uint64_t offset)
{
	struct pcapf_rec r;
	struct pk_fields f;

	if (pcapf_read_at(pf, offset, &r, out->err, sizeof out->err) < 0) {
		warnx("%s", out->err);
		return 1;
	}
	if (out->path == NULL || strcmp(out->path, path) != 0)
		new_file(out, path, pf);
	decode_packet(pf->linktype, r.data, r.caplen, &f);
	if (out->st) {
		if (sess_add(out->st, r.ts_ns, r.wirelen, &f) < 0)
			errx(EX_SOFTWARE, "too many sessions");
	} else {
		/* the location annotation: u16 tag, u16 length, u32 file, u32 0, u64 offset */
		uint8_t ann[4 + ANN_LOCATION_LEN + 4];
		struct pk_pkt p = { .ts_ns = r.ts_ns, .caplen = r.caplen, .wirelen = r.wirelen,
			.linktype = pf->linktype, .flags = pf->nsec ? PKT_NSEC : 0, .data = r.data, .ann = ann,
			.annlen = sizeof ann };

		memset(ann, 0, sizeof ann);
		put16(ann, ANN_LOCATION);
		put16(ann + 2, ANN_LOCATION_LEN);
		loc_put(ann + 4, out->file_id, offset);
		printer_packet(&out->pr, &p, &f);
	}
	return ferror(stdout) ? -1 : 0;
}

int
output_end(struct output *out)
{
	size_t i, n;

	if (out->st) {
		sess_sort(out->st, out->reverse);
		n = sess_count(out->st);
		for (i = 0; i < n; i++) {
			const struct sess *s = sess_get(out->st, i);

			if ((out->mode == FIND_SESSIONS_JSON ? sess_print_json(stdout, out->st, s) :
			    sess_print_text(stdout, out->st, s)) < 0)
				return -1;
		}
	}
	return fflush(stdout) == EOF || ferror(stdout) ? -1 : 0;
}

void
output_free(struct output *out)
{
	if (out == NULL)
		return;
	if (out->st)
		sess_free(out->st);
	else
		printer_free(&out->pr);
	free(out->path);
	free(out);
}
