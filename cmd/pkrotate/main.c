/* pkrotate - write a pk stream to rotating pcap files, pass it on annotated. */
#include <err.h>
#include <grp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pk.h"
#include "rotate.h"
#include "timeparse.h"

/* pkrotate(1) SYNOPSIS */
#define USAGE "pkrotate -d dir [-d dir ...] [-C MB] [-G seconds] [-c count] [-M MB]\n" \
	"         [-F pct] [-A age] [-N count] [-g group] [-b MiB] [-H bytes]\n" \
	"         [-o fifo] [-z command]"

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

/* the same directory twice: two locks on one archive */
static void
add_dir(struct rot_conf *c, char *d)
{
	struct stat a, b;

	if (c->ndirs == 64)
		errx(EX_USAGE, "too many -d");
	for (size_t i = 0; i < c->ndirs; i++)
		if (strcmp(c->dirs[i], d) == 0 ||
		    (stat(c->dirs[i], &a) == 0 && stat(d, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			errx(EX_USAGE, "-d %s and -d %s are the same directory", c->dirs[i], d);
	c->dirs[c->ndirs++] = d;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	static char *dirs[64];
	struct rot_conf c = { .dirs = dirs, .fwd_headers = ROT_FWD_HEADERS };
	const char *errstr = NULL;
	char e[128];
	struct group *gr;
	int ch;

	pk_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "A:C:F:G:H:M:N:b:c:d:g:ho:z:", lo, NULL)) != -1) {
		switch (ch) {
		case 'A':
			if (durparse(optarg, &c.ret.max_age_ns, e, sizeof e) < 0 || !c.ret.max_age_ns)
				errx(EX_USAGE, "-A %s: an age such as 90m, 7d", optarg);
			break;
		case 'C': c.max_bytes = megabytes(optarg, 'C'); break;
		case 'F': c.ret.min_free_pct = (unsigned)strtonum(optarg, 1, 99, &errstr); break;
		case 'G': c.period_ns = (uint64_t)strtonum(optarg, 1, 86400 * 366, &errstr) * 1000000000u; break;
		case 'H': c.fwd_headers = (uint32_t)strtonum(optarg, 0, PCAP_SNAPLEN_MAX, &errstr); break;
		case 'M': c.ret.max_bytes = megabytes(optarg, 'M'); break;
		case 'N': c.ret.max_files = (uint64_t)strtonum(optarg, 1, 100000000, &errstr); break;
		case 'b': c.fwd_bytes = (size_t)strtonum(optarg, 2, 4096, &errstr) << 20; break;
		case 'c': c.max_packets = (uint64_t)strtonum(optarg, 1, 1000000000000LL, &errstr); break;
		case 'd': add_dir(&c, optarg); break;
		case 'g':
			gr = getgrnam(optarg);
			c.gid = gr ? gr->gr_gid : (gid_t)strtonum(optarg, 0, INT32_MAX, &errstr);
			c.set_gid = 1;
			break;
		case 'o': c.fifo = optarg; break;
		case 'z': c.hook = optarg; break;
		default: pk_stdopt(ch, USAGE);
		}
		if (errstr)
			errx(EX_USAGE, "-%c %s: %s", ch, optarg, errstr);
	}
	if (optind != argc)
		pk_usage(USAGE, 0);
	if (c.ndirs == 0) {
		warnx("no archive: give -d DIR");
		pk_usage(USAGE, 0);
	}
	pk_refuse_tty_in(STDIN_FILENO, "pkread -i eth0 | pkrotate -d DIR");
	if (!c.max_bytes && !c.period_ns && !c.max_packets)
		c.max_bytes = 128000000;
	return rot_run(rot_open(&c));
}
