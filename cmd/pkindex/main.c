/* pkindex - index archived pcap files (pkindex(1)). */
#include <err.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "indexer.h"
#include "sidecar.h"
#include "pk.h"
#include "stream.h"

static volatile sig_atomic_t stop;

static void onsig(int sig) { (void)sig; stop = 1; }

/* pkindex(1) SYNOPSIS */
#define USAGE "pkindex [-S] -d dir [-d dir ...] [-z command] [file.pcap ...]\n" \
	"pkindex --repair -d dir [-d dir ...] [-z command]\n" \
	"pkindex --dump file.idx | file.cat"

/*
 * next_record: sin_next, but while the input is quiet the catalogs that
 * are due get written (a folder becomes still a moment after its last
 * file), every IDLE_MS.
 */
#define IDLE_MS 1000
static int
next_record(struct stream_in *in, struct pk_rec *r, struct indexer *ix)
{
	struct pollfd p = { 0, POLLIN, 0 };

	while (bufin_avail(&in->in) == 0 && !in->in.eof && !stop && poll(&p, 1, IDLE_MS) == 0)
		indexer_idle(ix);
	/* TERM while polling: a read now would block until more input, maybe forever */
	if (stop)
		return SIN_AGAIN;
	return sin_next(in, r);
}

/* the stream on standard input into the indexes of the files under dirs (and their sessions, -S) */
static int
index_stream(char **dirs, size_t ndirs, int sessions)
{
	struct sigaction sa = { .sa_handler = onsig };   /* no SA_RESTART: sin_next returns SIN_AGAIN */
	struct stream_in in;
	struct pk_rec r;
	struct indexer *ix;
	struct sidecar *sc = NULL;
	uint64_t resyncs = 0;
	int rc = SIN_EOF, status;

	pk_refuse_tty_in(STDIN_FILENO, "pkread -r X.pcap | pkrotate -d DIR | pkindex -d DIR");
	if ((ix = indexer_new(dirs, ndirs)) == NULL || (sessions && (sc = sidecar_new(dirs, ndirs)) == NULL))
		return EX_NOINPUT;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sin_init(&in, 0, "stdin");
	while (!stop && (rc = next_record(&in, &r, ix)) != SIN_EOF && rc != SIN_ERROR) {
		if (in.resyncs != resyncs) {
			resyncs = in.resyncs;
			indexer_lost(ix);
			if (sc)
				sidecar_lost(sc);
		}
		if (rc == SIN_RECORD) {
			indexer_record(ix, &r, sin_unsure(&in));
			if (sc)
				sidecar_record(sc, &r, sin_unsure(&in));
		}
	}
	status = indexer_finish(ix);
	if (sc && status == EX_OK)
		status = sidecar_finish(sc);
	sidecar_free(sc);
	if (sin_report(&in) || rc == SIN_ERROR)
		status = pk_exit_merge(status, EX_DATAERR);
	indexer_free(ix);
	sin_free(&in);
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { { "repair", no_argument, NULL, 'R' },
		{ "dump", required_argument, NULL, 'U' }, PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	char **dirs = NULL;
	size_t ndirs = 0;
	const char *dump = NULL, *hook = NULL;
	int c, repair = 0, sessions = 0, rc;

	pk_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:hSz:", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			/* every disk of a pkrotate -d d1 -d d2 archive */
			dirs = xreallocarray(dirs, ndirs + 1, sizeof *dirs);
			dirs[ndirs++] = optarg;
			break;
		case 'R': repair = 1; break;
		case 'S': sessions = 1; break;
		case 'U': dump = optarg; break;
		case 'z': hook = optarg; break;
		default: pk_stdopt(c, USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (dump) {
		if (ndirs || repair || hook || sessions || argc)
			errx(EX_USAGE, "--dump prints one index or catalog: no -d, --repair, -S, -z or files with it");
		return indexer_dump(dump);
	}
	if (ndirs == 0) {
		warnx("no archive: give -d DIR");
		pk_usage(USAGE, 0);
	}
	if (repair && argc)
		errx(EX_USAGE, "--repair walks the whole archive: no files with it");
	if (repair && sessions)
		errx(EX_USAGE, "-S and --repair conflict: pk-ship-clickhouse computes the sessions of a file that has none");
	indexer_hook(hook);
	if (repair)
		rc = indexer_repair(dirs, ndirs);
	else if (argc) {
		rc = indexer_files(dirs, ndirs, argv, argc);
		c = sessions ? sidecar_files(argv, argc) : EX_OK;
		rc = pk_exit_merge(rc, c);
	} else
		rc = index_stream(dirs, ndirs, sessions);
	free(dirs);
	return rc;
}
