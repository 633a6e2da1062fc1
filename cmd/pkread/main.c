/*
 * pkread - packets from a live interface or from pcap/pcapng files into
 * the pk record stream on standard output.  See pkread(1).
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "pcapin.h"
#include "pk.h"
#include "privdrop.h"
#include "stream.h"

/* pkread(1) SYNOPSIS */
#define USAGE "pkread [-kmpq] [-i iface | -r file ...] [-s snaplen] [-B kib] [-c count]\n" \
	"       [-b bytes] [-t seconds] [-I seconds] [-S seconds] [-j group] [-Z user]\n" \
	"       [-F filterfile] [expression]\n" \
	"pkread -D"

static long long
num(int c, const char *s, long long lo, long long hi)
{
	const char *e;
	long long v = strtonum(s, lo, hi, &e);

	if (e != NULL)
		errx(EX_USAGE, "-%c %s: %s", c, s, e);
	return v;
}

/* Options into o; returns the index of the first operand. live_only: a -i-only option seen. */
static int
parse(int argc, char **argv, struct cap_opts *o, char ***files, int *nfiles, const char **user,
    const char **ffile, int *list, int *live_only)
{
	static const struct option lo[] = { PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	int c, others = 0;

	while ((c = getopt_long(argc, argv, "DhkmpqB:b:c:F:I:i:j:r:S:s:t:Z:", lo, NULL)) != -1) {
		if (c > 0 && c < 128 && strchr("kmpBIjsSt", c) != NULL)
			*live_only = c;
		switch (c) {
		case 'D': *list = 1; break;
		case 'k': o->keyvalue = 1; break;
		case 'm': o->immediate = 1; break;
		case 'p': o->promisc = 0; break;
		case 'q': o->quiet = 1; break;
		case 'B': o->bufkib = num(c, optarg, 1, INT_MAX / 1024); break;
		case 'b': o->max_bytes = (uint64_t)num(c, optarg, 1, LLONG_MAX); break;
		case 'c': o->max_packets = (uint64_t)num(c, optarg, 1, LLONG_MAX); break;
		case 'F': *ffile = optarg; break;
		case 'I': o->idle = num(c, optarg, 1, INT_MAX); break;
		case 'i':
			if (o->iface != NULL && strcmp(o->iface, optarg) != 0)
				errx(EX_USAGE, "-i %s and -i %s: one interface at a time", o->iface, optarg);
			o->iface = optarg;
			break;
		case 'j': o->fanout = num(c, optarg, 0, 65535); break;
		case 'r':
			*files = xreallocarray(*files, (size_t)*nfiles + 1, sizeof **files);
			(*files)[(*nfiles)++] = optarg;
			break;
		case 'S': o->stats_every = num(c, optarg, 0, INT_MAX); break;
		case 's': o->snaplen = (int)num(c, optarg, 1, CAPTURE_SNAPLEN); break;
		case 't': o->duration = num(c, optarg, 1, INT_MAX); break;
		case 'Z': *user = optarg; break;
		default: pk_stdopt(c, USAGE);
		}
		others += c != 'D';
	}
	/* -D with anything else: -1, said as a conflict */
	if (*list && others)
		*list = -1;
	return optind;
}

/*
 * With -r, operands that name existing files (or "-") are more input files,
 * so that "pkread -r *.pcap 'tcp port 80'" works; the expression starts at
 * the first operand that is not a file.  Returns the new first operand.
 */
static int
more_files(int argc, char **argv, int first, char ***files, int *nfiles)
{
	struct stat st;

	for (; first < argc; first++) {
		if (strcmp(argv[first], "-") != 0 && (stat(argv[first], &st) < 0 || !S_ISREG(st.st_mode)))
			break;
		*files = xreallocarray(*files, (size_t)*nfiles + 1, sizeof **files);
		(*files)[(*nfiles)++] = argv[first];
	}
	return first;
}

int
main(int argc, char **argv)
{
	struct cap_opts o = { .snaplen = CAPTURE_SNAPLEN, .promisc = 1, .stats_every = 10, .fanout = -1 };
	const char *user = NULL, *ffile = NULL;
	char **files = NULL, *expr;
	int nfiles = 0, list = 0, live_only = 0, first, rc;
	struct stream_out s;
	struct capture c;
	struct pcapin r;

	pk_init(argv[0]);
	first = parse(argc, argv, &o, &files, &nfiles, &user, &ffile, &list, &live_only);
	if (list)
		return list > 0 && first == argc && o.iface == NULL && nfiles == 0 ? capture_list() :
		    (errx(EX_USAGE, "-D lists the interfaces: nothing else goes with it"), EX_USAGE);
	if (nfiles > 0)
		first = more_files(argc, argv, first, &files, &nfiles);
	if (o.iface != NULL && nfiles > 0)
		errx(EX_USAGE, "-i and -r conflict: capture from an interface or read files, not both");
	if (o.iface == NULL && nfiles == 0) {
		warnx("nothing to read: give -i IFACE or -r FILE");
		pk_usage(USAGE, 0);
	}
	if (nfiles > 0 && live_only)
		errx(EX_USAGE, "-%c applies to live capture (-i) only", live_only);
	o.filter = expr = capture_expr(argc - first, argv + first, ffile);
	pk_refuse_tty(STDOUT_FILENO, CAPTURE_HINT);
	if (nfiles > 0) {
		if (user != NULL)
			privdrop_user(user);
		pcapin_init(&r, files, nfiles);
		r.filter = o.filter;
		r.max_packets = o.max_packets;
		r.max_bytes = o.max_bytes;
		sout_init(&s, STDOUT_FILENO, "pkread", r.any_nsec ? HDR_NSEC : 0, CAPTURE_HINT);
		rc = pcapin_run(&r, &s);
		pcapin_free(&r);
	} else {
		capture_open(&c, &o);
		capture_fanout(&c);
		if (user != NULL)
			privdrop_user(user);
		capture_filter(&c);
		sout_init(&s, STDOUT_FILENO, "pkread", c.nsec ? HDR_NSEC : 0, CAPTURE_HINT);
		rc = capture_run(&c, &s);
	}
	sout_free(&s);
	free(files);
	free(expr);
	return rc;
}
