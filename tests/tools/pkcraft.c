/*
 * pkcraft - write pk stream records from text lines, for the tests: well
 * formed streams without a capture, and hostile ones (paths outside the
 * archive, garbage, records cut short).
 *
 * usage: pkcraft < SCRIPT > STREAM
 *
 * One record per line; numbers are decimal or 0x hex; '#' starts a comment.
 *   header [FLAGS]                            REC_HEADER
 *   open ID LINKTYPE SNAPLEN FLAGS PATH       REC_FILE_OPEN
 *   source ID LINKTYPE SNAPLEN FLAGS NAME     REC_SOURCE
 *   close ID FLAGS PACKETS BYTES FIRST LAST [PATH]
 *   remove ID PATH                            REC_FILE_REMOVE
 *   loc ID OFFSET TS                          REC_LOCATION
 *   range ID START END                        REC_RANGE
 *   erange ID START END                       REC_RANGE, RANGE_EXACT
 *   brange ID START END FLAGS 0110...         REC_RANGE, RANGE_BITS (FLAGS 1: RANGE_EXACT)
 *   filter FLAGS START END EXPR...            REC_FILTER (END "max" = UINT64_MAX)
 *   note CODE ID TEXT...                      REC_NOTE (code 5 = NOTE_ROOT)
 *   stats TS RECV DROP IFDROP FLAGS NAME      REC_STATS
 *   packet TS LINKTYPE HEXBYTES [FLAGS [FILE OFFSET]]
 *                                             REC_PACKET (FILE OFFSET: ANN_LOCATION)
 *   raw TYPE HEXBYTES                         a record of any type with that body
 *   garbage HEXBYTES                          the bytes as they are
 *   truncate N                                write only the first N bytes of the next record
 * A line that cannot be parsed is fatal (exit 65, naming the line).
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pk.h"
#include "stream.h"

static struct stream_out so;
static long lineno;
static long truncate_next = -1;

static void
bad(const char *why)
{
	errx(EX_DATAERR, "line %ld: %s", lineno, why);
}

static char *
word(char **s)
{
	char *w;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	if (**s == '\0')
		return NULL;
	w = *s;
	while (**s != '\0' && **s != ' ' && **s != '\t')
		(*s)++;
	if (**s != '\0')
		*(*s)++ = '\0';
	return w;
}

/* the rest of the line, leading blanks skipped ("" if none) */
static char *
rest(char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
	return *s;
}

static uint64_t
num(char **s)
{
	char *w = word(s), *end;
	unsigned long long v;

	if (w == NULL)
		bad("a number is missing");
	if (strcmp(w, "max") == 0)
		return UINT64_MAX;
	errno = 0;
	v = strtoull(w, &end, 0);
	if (errno != 0 || *end != '\0')
		bad("not a number");
	return v;
}

/* hex digits (blanks and ':' allowed between bytes) into a new buffer */
static uint8_t *
hex(const char *w, size_t *len)
{
	uint8_t *b = xmalloc(strlen(w) / 2 + 1);
	size_t n = 0;

	if (b == NULL)
		err(EX_OSERR, "malloc");
	while (*w != '\0') {
		unsigned v;

		if (*w == ':' || *w == ' ') {
			w++;
			continue;
		}
		if (!isxdigit((unsigned char)w[0]) || !isxdigit((unsigned char)w[1]) || sscanf(w, "%2x", &v) != 1)
			bad("bad hex bytes");
		b[n++] = (uint8_t)v;
		w += 2;
	}
	*len = n;
	return b;
}

static void
out_check(int rc)
{
	if (rc < 0)
		err(EX_IOERR, "write");
}

static void
craft(char *s)
{
	char *cmd = word(&s), *w;
	uint8_t *bytes;
	size_t len;

	if (cmd == NULL || cmd[0] == '#')
		return;
	if (strcmp(cmd, "header") == 0) {
		uint32_t flags = *rest(&s) ? (uint32_t)num(&s) : 0;
		sout_header(&so, "pkcraft", flags);
	} else if (strcmp(cmd, "source") == 0) {
		uint32_t id = (uint32_t)num(&s), lt = (uint32_t)num(&s), snap = (uint32_t)num(&s);
		uint32_t flags = (uint32_t)num(&s);
		out_check(sout_source(&so, id, lt, snap, flags, rest(&s)));
	} else if (strcmp(cmd, "open") == 0) {
		uint32_t id = (uint32_t)num(&s), lt = (uint32_t)num(&s), snap = (uint32_t)num(&s);
		uint32_t flags = (uint32_t)num(&s);
		out_check(sout_file_open(&so, id, lt, snap, flags, rest(&s)));
	} else if (strcmp(cmd, "close") == 0) {
		struct rec_file f;
		memset(&f, 0, sizeof f);
		f.id = (uint32_t)num(&s);
		f.flags = (uint32_t)num(&s);
		f.packets = num(&s);
		f.bytes = num(&s);
		f.first_ns = num(&s);
		f.last_ns = num(&s);
		f.path = *rest(&s) ? rest(&s) : NULL;
		out_check(sout_file_close(&so, &f));
	} else if (strcmp(cmd, "remove") == 0) {
		uint32_t id = (uint32_t)num(&s);
		out_check(sout_file_remove(&so, id, rest(&s)));
	} else if (strcmp(cmd, "loc") == 0) {
		struct rec_loc l;
		l.file = (uint32_t)num(&s);
		l.offset = num(&s);
		l.ts_ns = num(&s);
		out_check(sout_loc(&so, &l));
	} else if (strcmp(cmd, "range") == 0 || strcmp(cmd, "erange") == 0 || strcmp(cmd, "brange") == 0) {
		struct rec_range g;
		uint8_t bits[4096];
		/* erange: a range whose records all match (RANGE_EXACT) */
		g.flags = strcmp(cmd, "erange") == 0 ? RANGE_EXACT : 0;
		g.file = (uint32_t)num(&s);
		g.start = num(&s);
		g.end = num(&s);
		g.nbits = 0;
		g.bits = NULL;
		if (strcmp(cmd, "brange") == 0) {
			/* brange ID START END FLAGS 0110...: the candidates' bitmap, one digit a record */
			char *b;

			g.flags = (uint32_t)num(&s) | RANGE_BITS;
			if ((b = word(&s)) == NULL || strlen(b) > 8 * sizeof bits)
				bad("brange: a bitmap of 0 and 1 is missing or too long");
			memset(bits, 0, sizeof bits);
			for (; b[g.nbits] != '\0'; g.nbits++)
				if (b[g.nbits] == '1')
					bits[g.nbits / 8] |= (uint8_t)(1u << (g.nbits % 8));
			g.bits = bits;
		}
		out_check(sout_range(&so, &g));
	} else if (strcmp(cmd, "filter") == 0) {
		struct rec_filter f;
		f.flags = (uint32_t)num(&s);
		f.start_ns = num(&s);
		f.end_ns = num(&s);
		f.expr = rest(&s);
		out_check(sout_filter(&so, &f));
	} else if (strcmp(cmd, "note") == 0) {
		uint32_t code = (uint32_t)num(&s), id = (uint32_t)num(&s);
		out_check(sout_note(&so, code, id, rest(&s)));
	} else if (strcmp(cmd, "stats") == 0) {
		struct rec_stats st;
		st.ts_ns = num(&s);
		st.recv = num(&s);
		st.drop = num(&s);
		st.ifdrop = num(&s);
		st.source = 0;
		st.flags = (uint32_t)num(&s);
		st.name = rest(&s);
		out_check(sout_stats(&so, &st));
	} else if (strcmp(cmd, "packet") == 0) {
		struct pk_pkt p;
		uint8_t loc[ANN_LOCATION_LEN];
		struct pk_ann ann = { ANN_LOCATION, ANN_LOCATION_LEN, loc };
		int nadd = 0;

		memset(&p, 0, sizeof p);
		p.ts_ns = num(&s);
		p.linktype = (uint32_t)num(&s);
		if ((w = word(&s)) == NULL)
			bad("packet bytes missing");
		bytes = hex(w, &len);
		p.caplen = p.wirelen = (uint32_t)len;
		p.data = bytes;
		if (*rest(&s))
			p.flags = (uint32_t)num(&s);
		if (*rest(&s)) {
			p.source = (uint32_t)num(&s);
			put32(loc, p.source);
			put32(loc + 4, 0);
			put64(loc + 8, num(&s));
			nadd = 1;
		}
		out_check(sout_packet(&so, &p, &ann, nadd));
		free(bytes);
	} else if (strcmp(cmd, "raw") == 0) {
		uint16_t type = (uint16_t)num(&s);
		bytes = hex(rest(&s), &len);
		out_check(sout_rec(&so, type, bytes, len));
		free(bytes);
	} else if (strcmp(cmd, "garbage") == 0) {
		bytes = hex(rest(&s), &len);
		out_check(bufout_write(&so.out, bytes, len));
		free(bytes);
		return;
	} else if (strcmp(cmd, "truncate") == 0) {
		truncate_next = (long)num(&s);
		out_check(sout_flush(&so));
		return;
	} else
		bad("unknown command");
	if (truncate_next >= 0) {
		/* the record is alone in the buffer (flushed before it): cut it */
		if ((size_t)truncate_next < so.out.len)
			so.out.len = (size_t)truncate_next;
		truncate_next = -1;
		out_check(sout_flush(&so));
	}
}

int
main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	pk_init(argv[0]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s < SCRIPT > STREAM\n", pk_progname);
		return EX_USAGE;
	}
	sout_init_raw(&so, STDOUT_FILENO);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		craft(line);
	}
	free(line);
	out_check(sout_flush(&so));
	if (close(STDOUT_FILENO) < 0)
		err(EX_IOERR, "close stdout");
	return 0;
}
