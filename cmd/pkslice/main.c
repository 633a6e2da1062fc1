/*
 * pkslice - packets to one pcap: from a pk stream of packets, from
 * pkfind's locations (read from the archive, merged by time, the query's
 * filter applied), or cut by time out of pcap files like tcpslice.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pk.h"
#include "slice.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-x] [-o pcap|stream] [-R DIR] [-s START] [-e END] [-w FILE]\n"
	    "       %s [-o pcap|stream] [-s START] [-e END] [-w FILE] FILE.pcap ...\n",
	    pk_progname, pk_progname);
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	struct slice sl;
	const char *wfile = NULL, *start = NULL, *end = NULL;
	int ch;

	pk_init(argv[0]);
	slice_init(&sl);
	while ((ch = getopt(argc, argv, "e:o:R:s:w:x")) != -1) {
		switch (ch) {
		case 'e': end = optarg; break;
		case 'o':
			if (strcmp(optarg, "pcap") == 0)
				sl.fmt = SLICE_PCAP;
			else if (strcmp(optarg, "stream") == 0)
				sl.fmt = SLICE_STREAM;
			else
				usage();
			break;
		case 'R':
			slice_add_root(&sl, optarg);
			sl.roots_given = 1;
			break;
		case 's': start = optarg; break;
		case 'w': wfile = optarg; break;
		case 'x': sl.no_filter = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((start != NULL && slice_time(start, 0, &sl.win_start) < 0) ||
	    (end != NULL && slice_time(end, sl.win_start, &sl.win_end) < 0))
		exit(EX_USAGE);
	slice_open_out(&sl, wfile);
	if (argc > 0)
		(void)slice_files(&sl, argv, argc);
	else
		(void)slice_stream(&sl, STDIN_FILENO);
	return slice_finish(&sl);
}
