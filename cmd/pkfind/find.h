/*
 * find.h - search an archive (pkfind(1)): prune files by the times in
 * their names, narrow with each file's index, scan what has no usable
 * index with BPF, and write the matches' locations (or a count, a file
 * list, a listing) plus a coverage line.
 */
#ifndef PK_FIND_H
#define PK_FIND_H

#include <stdint.h>

enum find_mode { FIND_STREAM, FIND_COUNT, FIND_LIST, FIND_TEXT, FIND_JSON, FIND_SESSIONS, FIND_SESSIONS_JSON };

struct find_opts {
	char **dirs;            /* -d, at least one */
	int ndirs;
	uint64_t start, end;    /* window [start, end); end UINT64_MAX = open */
	int windowed;           /* -s, -e or -D given */
	enum find_mode mode;
	uint64_t limit;         /* -n, 0 = none */
	int reverse;            /* -r: newest first */
	int index_only;         /* -x: the index's answer, no BPF on indexed files */
	int quiet;              /* -q: no coverage line on stderr */
	int verbose;            /* -v: the coverage line lists every gap */
	uint64_t gap_ns;        /* -g: a hole longer than this is a gap */
	const char *expr;       /* "" = every packet */
	const char *files;      /* -F or -X: a list of files (filelist.h), NULL = none */
	int files_only;         /* -F: only those; -X: all but those */
};

/* find_run: do it; returns the exit status (messages printed). */
int find_run(const struct find_opts *o);

#endif
