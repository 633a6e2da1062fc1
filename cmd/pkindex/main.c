/* pkindex - index archived pcap files (pkindex(1)). */
#include <err.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "indexer.h"
#include "pk.h"
#include "sidecar.h"
#include "stream.h"

static volatile sig_atomic_t stop;

static void onsig(int sig) { (void)sig; stop = 1; }

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
	return sin_next(in, r);
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-S] -d DIR [FILE.pcap ...]\n       %s --repair -d DIR\n       %s --dump FILE.idx\n",
	    pk_progname, pk_progname, pk_progname);
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { { "repair", no_argument, NULL, 'R' },
		{ "dump", required_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
	struct sigaction sa = { .sa_handler = onsig };   /* no SA_RESTART: sin_next returns SIN_AGAIN */
	struct stream_in in;
	struct pk_rec r;
	struct indexer *ix;
	struct sidecar *sc = NULL;
	const char *dir = NULL, *dump = NULL;
	int c, repair = 0, sessions = 0, rc = SIN_EOF, status;

	pk_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:S", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'R': repair = 1; break;
		case 'S': sessions = 1; break;
		case 'U': dump = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (dump)
		return dir || repair || argc ? (usage(), EX_USAGE) : indexer_dump(dump);
	if (dir == NULL || (repair && (argc || sessions)))
		usage();
	if (repair)
		return indexer_repair(dir);
	if (argc) {
		status = indexer_files(dir, argv, argc);
		c = sessions ? sidecar_files(argv, argc) : EX_OK;
		return status ? status : c;
	}
	if ((ix = indexer_new(dir)) == NULL || (sessions && (sc = sidecar_new(dir)) == NULL))
		return EX_NOINPUT;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sin_init(&in, 0, "stdin");
	while (!stop && (rc = next_record(&in, &r, ix)) != SIN_EOF && rc != SIN_ERROR)
		if (rc == SIN_RECORD) {
			indexer_record(ix, &r);
			if (sc)
				sidecar_record(sc, &r);
		}
	status = indexer_finish(ix);
	if (sc && status == EX_OK)
		status = sidecar_finish(sc);
	sidecar_free(sc);
	if (sin_report(&in) || rc == SIN_ERROR)
		status = status ? status : EX_DATAERR;
	indexer_free(ix);
	sin_free(&in);
	return status;
}
