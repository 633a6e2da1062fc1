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

/* pkslice(1) SYNOPSIS */
#define USAGE "pkslice [-x] [-o pcap | pcapng | stream] [-R dir] [-s start] [-e end]\n" \
	"        [-w file]\n" \
	"pkslice [-o pcap | pcapng | stream] [-s start] [-e end] [-w file] file.pcap ..."

int
main(int argc, char **argv)
{
	static const struct option lo[] = { PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct slice sl;
	const char *wfile = NULL, *start = NULL, *end = NULL;
	enum slice_fmt fmt = SLICE_PCAP;
	int ch;

	pk_init(argv[0]);
	slice_init(&sl);
	while ((ch = getopt_long(argc, argv, "e:ho:R:s:w:x", lo, NULL)) != -1) {
		switch (ch) {
		case 'e': end = optarg; break;
		case 'o':
			if (strcmp(optarg, "pcap") == 0)
				sl.fmt = SLICE_PCAP;
			else if (strcmp(optarg, "pcapng") == 0)
				sl.fmt = SLICE_PCAPNG;
			else if (strcmp(optarg, "stream") == 0)
				sl.fmt = SLICE_STREAM;
			else
				errx(EX_USAGE, "-o %s: pcap, pcapng or stream", optarg);
			if (sl.fmt_given && sl.fmt != fmt)
				errx(EX_USAGE, "-o given twice with different formats");
			sl.fmt_given = 1;
			fmt = sl.fmt;
			break;
		case 'R':
			slice_add_root(&sl, optarg);
			sl.roots_given = 1;
			break;
		case 's': start = optarg; break;
		case 'w': wfile = optarg; break;
		case 'x': sl.no_filter = 1; break;
		default: pk_stdopt(ch, USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && (sl.no_filter || sl.roots_given))
		errx(EX_USAGE, "-%c applies to a stream of locations (pkfind's), not to files", sl.no_filter ? 'x' : 'R');
	if (argc == 0)
		pk_refuse_tty_in(STDIN_FILENO, "pkfind -d DIR EXPR | pkslice");
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
