/*
 * pkextract - decode packet headers: add an ANN_FIELDS annotation to every
 * packet of a pk stream (stage mode), or print the packets as text, JSON
 * Lines, CSV, ClickHouse JSONEachRow or Elasticsearch _bulk (-T).
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "decode.h"
#include "fields.h"
#include "pk.h"
#include "print.h"
#include "stream.h"

#define HINT "pkrotate, pkindex or pkslice (or use pkextract -T text)"

static uint64_t malformed;

/* pkextract(1) SYNOPSIS */
#define USAGE "pkextract [-T text | json | csv | clickhouse | es] [-f field,...]"

/* the input is idle (nothing buffered): push out what we have */
static int
idle(const struct stream_in *in)
{
	return bufin_avail(&in->in) == 0;
}

/* stage mode: returns the exit status */
static int
run_stage(struct stream_in *in)
{
	struct stream_out out;
	struct pk_rec r;
	struct pk_pkt p;
	struct pk_fields f;
	uint8_t wire[FIELDS_WIRELEN];
	struct pk_ann add = { ANN_FIELDS, FIELDS_WIRELEN, wire };
	int rc, started = 0, w = 0;

	pk_refuse_tty(STDOUT_FILENO, HINT);
	sout_init_raw(&out, STDOUT_FILENO);
	while ((rc = sin_next(in, &r)) != SIN_EOF) {
		if (rc == SIN_AGAIN)
			continue;
		if (rc == SIN_ERROR)
			break;
		if (!started) {
			/* the header goes out first, with the flags of the input's header */
			sout_header(&out, pk_progname, in->hdr_flags);
			started = 1;
		}
		if (r.type == REC_HEADER)
			continue;
		if (r.type != REC_PACKET)
			w = sout_raw(&out, &r);
		else if (pkt_parse(&r, &p) < 0) {
			malformed++;
			w = sout_raw(&out, &r);
		} else {
			decode_packet(p.linktype, p.data, p.caplen, &f);
			fields_encode(&f, wire);
			w = sout_packet(&out, &p, &add, 1);
			if (w < 0 && out.out.err == 0) /* EMSGSIZE: no room left for fields */
				w = sout_raw(&out, &r);
		}
		if (w == 0 && idle(in))
			w = sout_flush(&out);
		if (w < 0)
			break;
	}
	if (w == 0) {
		if (!started)
			sout_header(&out, pk_progname, 0);
		w = sout_flush(&out);
	}
	if (w < 0 && !out.dead)
		errc(EX_IOERR, out.out.err, "write");
	sout_free(&out);
	/* the reader went away: stop quietly */
	return rc == SIN_ERROR && w == 0 ? EX_DATAERR : EX_OK;
}

/* -T: print every packet; returns the exit status */
static int
run_print(struct stream_in *in, struct printer *pr)
{
	struct pk_rec r;
	struct pk_pkt p;
	struct rec_file rf;
	int rc;

	while ((rc = sin_next(in, &r)) != SIN_EOF) {
		if (rc == SIN_AGAIN)
			continue;
		if (rc == SIN_ERROR)
			break;
		if (r.type == REC_FILE_OPEN && rec_file_parse(&r, &rf) == 0)
			printer_file(pr, &rf);
		else if (r.type == REC_PACKET) {
			if (pkt_parse(&r, &p) < 0)
				malformed++;
			else
				printer_packet(pr, &p, NULL);
		}
		if (idle(in))
			fflush(stdout);
		if (ferror(stdout)) {
			if (errno == EPIPE)
				return EX_OK;
			err(EX_IOERR, "stdout");
		}
	}
	if (fflush(stdout) == EOF && errno != EPIPE)
		err(EX_IOERR, "stdout");
	return rc == SIN_ERROR ? EX_DATAERR : EX_OK;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct stream_in in;
	struct printer pr;
	const char *fmt = NULL, *list = NULL;
	char msg[256];
	int ch, status;

	pk_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "hT:f:", lo, NULL)) != -1) {
		switch (ch) {
		case 'T': fmt = optarg; break;
		case 'f': list = optarg; break;
		default: pk_stdopt(ch, USAGE);
		}
	}
	if (optind != argc)
		pk_usage(USAGE, 0);
	if (list != NULL && fmt == NULL)
		errx(EX_USAGE, "-f chooses the fields that -T prints: it needs -T");
	if (fmt != NULL && printer_init(&pr, stdout, fmt, list, msg, sizeof msg) < 0)
		errx(EX_USAGE, "%s", msg);
	pk_refuse_tty_in(STDIN_FILENO, "pkread -r X.pcap | pkextract -T text");
	sin_init(&in, STDIN_FILENO, "stdin");
	status = fmt == NULL ? run_stage(&in) : run_print(&in, &pr);
	if (fmt != NULL)
		printer_free(&pr);
	if (malformed)
		warnx("%llu malformed packet records %s", (unsigned long long)malformed,
		    fmt == NULL ? "passed through undecoded" : "skipped");
	if (sin_report(&in) || malformed)
		status = pk_exit_merge(status, EX_DATAERR);
	sin_free(&in);
	return status;
}
