/* pkrotate - write a pk stream to rotating pcap files, pass it on annotated. */
#include <err.h>
#include <grp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pk.h"
#include "rotate.h"
#include "timeparse.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s -d dir [-d dir ...] [-C MB] [-G seconds] [-c count] [-M MB] [-F pct]\n"
	    "\t[-A age] [-N count] [-g group] [-b MB] [-o fifo] [-z command]\n", pk_progname);
	exit(EX_USAGE);
}

/* megabytes (10^6 bytes, as tcpdump -C), fractions allowed: "0.5" */
static uint64_t
megabytes(const char *s, char opt)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v * 1e6 < 1 || v > 1e9)
		errx(EX_USAGE, "-%c %s: a size in megabytes, e.g. 128 or 0.5", opt, s);
	return (uint64_t)(v * 1e6);
}

int
main(int argc, char **argv)
{
	static char *dirs[64];
	struct rot_conf c = { .dirs = dirs };
	const char *errstr = NULL;
	char e[128];
	struct group *gr;
	int ch;

	pk_init(argv[0]);
	while ((ch = getopt(argc, argv, "A:C:F:G:M:N:b:c:d:g:o:z:")) != -1) {
		switch (ch) {
		case 'A':
			if (durparse(optarg, &c.ret.max_age_ns, e, sizeof e) < 0 || !c.ret.max_age_ns)
				errx(EX_USAGE, "-A %s: an age such as 90m, 7d", optarg);
			break;
		case 'C': c.max_bytes = megabytes(optarg, 'C'); break;
		case 'F': c.ret.min_free_pct = (unsigned)strtonum(optarg, 1, 99, &errstr); break;
		case 'G': c.period_ns = (uint64_t)strtonum(optarg, 1, 86400 * 366, &errstr) * 1000000000u; break;
		case 'M': c.ret.max_bytes = megabytes(optarg, 'M'); break;
		case 'N': c.ret.max_files = (uint64_t)strtonum(optarg, 1, 100000000, &errstr); break;
		case 'b': c.fwd_bytes = (size_t)strtonum(optarg, 2, 4096, &errstr) << 20; break;
		case 'c': c.max_packets = (uint64_t)strtonum(optarg, 1, 1000000000000LL, &errstr); break;
		case 'd':
			if (c.ndirs == sizeof dirs / sizeof dirs[0])
				errx(EX_USAGE, "too many -d");
			dirs[c.ndirs++] = optarg;
			break;
		case 'g':
			gr = getgrnam(optarg);
			c.gid = gr ? gr->gr_gid : (gid_t)strtonum(optarg, 0, INT32_MAX, &errstr);
			c.set_gid = 1;
			break;
		case 'o': c.fifo = optarg; break;
		case 'z': c.hook = optarg; break;
		default: usage();
		}
		if (errstr)
			errx(EX_USAGE, "-%c %s: %s", ch, optarg, errstr);
	}
	if (optind != argc || c.ndirs == 0)
		usage();
	if (!c.max_bytes && !c.period_ns && !c.max_packets)
		c.max_bytes = 128000000;
	return rot_run(rot_open(&c));
}
