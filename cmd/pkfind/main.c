/* pkfind - find packets in a pk archive by pcap-filter expression and time (pkfind(1)). */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "find.h"
#include "pk.h"
#include "plan.h"
#include "query.h"
#include "query_sql.h"
#include "timeparse.h"

/* pkfind(1) SYNOPSIS */
#define USAGE "pkfind -d dir [-d dir ...] [-s start] [-e end | -D duration]\n" \
	"       [-c | -l | -T text | json | sessions | sessions-json] [-F list | -X list]\n" \
	"       [-n count] [-g seconds] [-qrvx] expression\n" \
	"       pkfind -E [-T sql] [-s start] [-e end | -D duration] expression"

/* one output mode: -c, -l, -T and -E exclude each other */
static void
set_mode(int *mode, int ch)
{
	if (*mode && *mode != ch)
		errx(EX_USAGE, "-%c and -%c conflict: choose one output", *mode, ch);
	*mode = ch;
}

/* the same archive twice would count every file twice */
static void
add_dir(struct find_opts *o, char *d)
{
	for (int i = 0; i < o->ndirs; i++)
		if (strcmp(o->dirs[i], d) == 0)
			errx(EX_USAGE, "-d %s given twice", d);
	o->dirs = xreallocarray(o->dirs, (size_t)o->ndirs + 1, sizeof *o->dirs);
	o->dirs[o->ndirs++] = d;
}

static uint64_t
when(const char *s, uint64_t now, uint64_t base)
{
	char e[256];
	uint64_t t;

	if (timeparse(s, now, base, &t, e, sizeof e) < 0)
		errx(EX_USAGE, "%s", e);
	return t;
}

/* -s, -e, -D: the window [start, end); open ends when not given */
static void
set_window(struct find_opts *o, const char *s, const char *e, const char *dur)
{
	uint64_t now = pk_now_ns(CLOCK_REALTIME), d;
	char ebuf[256];

	o->windowed = s || e || dur;
	o->start = s ? when(s, now, now) : 0;
	if (e)
		o->end = when(e, now, s ? o->start : now);
	if (dur) {
		if (durparse(dur, &d, ebuf, sizeof ebuf) < 0)
			errx(EX_USAGE, "-D: %s", ebuf);
		o->end = o->start + d;
	}
	if (o->end <= o->start)
		errx(EX_USAGE, "the window is empty: END is not after START");
}

/* -T: a listing, or with -E "sql" (*sql set) */
static void
set_format(struct find_opts *o, int *mode, const char *fmt, int *sql)
{
	static const struct { const char *name; enum find_mode mode; } f[] = {
		{ "text", FIND_TEXT }, { "json", FIND_JSON }, { "sessions", FIND_SESSIONS },
		{ "sessions-json", FIND_SESSIONS_JSON },
	};
	size_t i;

	if (strcmp(fmt, "sql") == 0) {
		*sql = 1;
		return;
	}
	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		if (strcmp(fmt, f[i].name) == 0) {
			set_mode(mode, 'T');
			o->mode = f[i].mode;
			return;
		}
	errx(EX_USAGE, "-T %s: text, json, sessions, sessions-json (or sql with -E)", fmt);
}

/* -E: how the index reads the expression; with -T sql, the fleet catalog's condition (pk-sessions(5)) */
static int
explain(struct find_opts *o, int sql, const char *s, const char *e, const char *dur)
{
	struct bpf_program prog;
	struct query *q;
	char ebuf[512];

	/* what the search would refuse is not explained either */
	if (query_compile(o->expr, 1, 0, &prog, ebuf, sizeof ebuf) < 0)
		errx(EX_DATAERR, "bad expression: %s", ebuf);
	pcap_freecode(&prog);
	q = query_parse(o->expr);
	if (sql) {
		set_window(o, s, e, dur);
		printf("start %llu\nend %llu\nwhere ", (unsigned long long)o->start, (unsigned long long)o->end);
		query_sql(q, stdout);
		putchar('\n');
	} else {
		query_print(q, stdout);
	}
	query_free(q);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EX_IOERR, "stdout");
	return EX_OK;
}

/* the expression: the arguments joined by spaces, as tcpdump does */
static char *
join_args(int n, char **v)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; i < n; i++) {
		if (i)
			strlcat(s, " ", len);
		strlcat(s, v[i], len);
	}
	return s;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct find_opts o = { .end = UINT64_MAX, .gap_ns = 60000000000ull };
	const char *s = NULL, *e = NULL, *dur = NULL, *errstr;
	char *expr;
	int ch, mode = 0, sql = 0;

	pk_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "+cd:D:e:EF:g:hln:qrs:T:vxX:", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': set_mode(&mode, ch); o.mode = FIND_COUNT; break;
		case 'd': add_dir(&o, optarg); break;
		case 'D': dur = optarg; break;
		case 'e': e = optarg; break;
		case 'E': set_mode(&mode, ch); break;
		case 'F': case 'X':
			if (o.files)
				errx(EX_USAGE, "-F and -X conflict: give one list");
			o.files = optarg;
			o.files_only = ch == 'F';
			break;
		case 'g':
			o.gap_ns = (uint64_t)strtonum(optarg, 1, 86400 * 365, &errstr) * 1000000000ull;
			if (errstr)
				errx(EX_USAGE, "-g %s: %s", optarg, errstr);
			break;
		case 'l': set_mode(&mode, ch); o.mode = FIND_LIST; break;
		case 'n':
			o.limit = (uint64_t)strtonum(optarg, 1, LLONG_MAX, &errstr);
			if (errstr)
				errx(EX_USAGE, "-n %s: %s", optarg, errstr);
			break;
		case 'q': o.quiet = 1; break;
		case 'r': o.reverse = 1; break;
		case 's': s = optarg; break;
		case 'T': set_format(&o, &mode, optarg, &sql); break;
		case 'v': o.verbose = 1; break;
		case 'x': o.index_only = 1; break;
		default: pk_stdopt(ch, USAGE);
		}
	}
	expr = join_args(argc - optind, argv + optind);
	o.expr = expr;
	if (e && dur)
		errx(EX_USAGE, "-e and -D conflict: the window ends at END or lasts DURATION");
	if (sql && mode != 'E')
		errx(EX_USAGE, "-T sql goes with -E");
	if (mode == 'E') {
		ch = explain(&o, sql, s, e, dur);
		free(expr);
		return ch;
	}
	if (o.ndirs == 0) {
		warnx("no archive: give -d DIR");
		pk_usage(USAGE, 0);
	}
	set_window(&o, s, e, dur);
	(void)plan_parts(&o.dirs, &o.ndirs);
	ch = find_run(&o);
	free(o.dirs);
	free(expr);
	return ch;
}
