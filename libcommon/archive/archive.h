/*
 * archive.h - the archive layout shared by pkrotate (writes), pkindex
 * (--repair walks it), pkfind (lists and prunes it) and pkslice (confines
 * reads to it).  pk(7) documents it for people:
 *
 *   DIR/.lock                       flock(2) of the one pkrotate writing DIR
 *   DIR/pk-stats.log                capture statistics, one line per STATS record:
 *                                   "<ts_ns> <recv> <drop> <ifdrop> <flags> <name>"
 *                                   (counters cumulative per capture run)
 *   DIR/YYYY-MM-DD/                 date of the file's first packet (UTC), mode 0750
 *   DIR/YYYY-MM-DD/<F>.pcap.part    the file being written; F = first packet time
 *   DIR/YYYY-MM-DD/<MIN>-<MAX>.pcap a finished file, named by its smallest and
 *                                   largest packet time (equal to first and last
 *                                   unless time went backwards), mode 0640
 *   <pcap>.idx                      its index (idx.h), beside it
 *
 * A time in a name is YYYYMMDDTHHMMSS.nnnnnnnnnZ (26 characters, UTC): fixed
 * width, so names sort by time.  A name that is taken gets ".1", ".2" ...
 * before ".pcap".  Files whose names do not follow this (pcaps indexed in
 * place) are still archive members: their times come from their index.
 */
#ifndef PK_ARCHIVE_H
#define PK_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#define ARCH_TIMELEN 26            /* YYYYMMDDTHHMMSS.nnnnnnnnnZ */
#define ARCH_PART_SUFFIX ".pcap.part"
#define ARCH_PCAP_SUFFIX ".pcap"
#define ARCH_LOCK ".lock"
#define ARCH_STATS "pk-stats.log"

/* arch_fmt_time: ts_ns as YYYYMMDDTHHMMSS.nnnnnnnnnZ into buf (>= ARCH_TIMELEN + 1 = 27 bytes). */
void arch_fmt_time(uint64_t ts_ns, char *buf, size_t len);
/* arch_parse_time: the inverse; 0 or -1. */
int arch_parse_time(const char *s, uint64_t *ts_ns);

struct arch_file {
	char *path;                /* full path */
	int partial;               /* a .pcap.part being written (or left by a crash) */
	int named;                 /* name follows the layout: min_ns/max_ns below are known */
	uint64_t min_ns, max_ns;   /* from the name (finished), or first time only (partial: max = UINT64_MAX) */
	uint64_t size;
	int has_idx;               /* <path>.idx exists */
	int ival_done;             /* its time is counted already (pkfind: a catalog's intervals) */
};

struct arch_list {
	struct arch_file *v;
	size_t n, cap;
};

/*
 * arch_scan: list the pcaps (finished and partial) under dir: its date
 * folders, plus any *.pcap directly in dir or in other subfolders one
 * level down (pcaps indexed in place).  Sorted by min_ns, then path.
 * Appends to l (call once per -d).  0, or -1 with errno (dir unreadable).
 */
int arch_scan(const char *dir, struct arch_list *l);
void arch_list_free(struct arch_list *l);
/* arch_list_sort: by min_ns, then path (arch_scan's order, over several dirs). */
void arch_list_sort(struct arch_list *l);

/* ---- one folder at a time (catalogs: catalog.h) ---- */

/* a pcap of a folder, from its listing alone (no stat): what catalogs are checked against */
struct arch_dirent {
	char *name;
	uint64_t ino;              /* d_ino of the pcap */
	uint64_t idx_ino;          /* d_ino of <name>.idx, 0 if there is none */
	int partial;               /* a .pcap.part */
};

struct arch_dirlist {
	struct arch_dirent *v;
	size_t n, cap;
};

/*
 * arch_read_folder: the pcaps (finished and partial) directly in path,
 * sorted by name (= time, for layout names), with their index's inode.
 * 0, or -1 with errno.
 */
int arch_read_folder(const char *path, struct arch_dirlist *l);
void arch_dirlist_free(struct arch_dirlist *l);
/* arch_dirlist_find: the entry of that name, or NULL (l sorted) */
const struct arch_dirent *arch_dirlist_find(const struct arch_dirlist *l, const char *name);
/* arch_is_day: 1 if name is a date folder name (YYYY-MM-DD) */
int arch_is_day(const char *name);
/* arch_name_hour: the hour (0..23) of a layout file name's first time, or -1 */
int arch_name_hour(const char *name);
/* arch_add_file: append path to l as arch_scan lists it (stat, name times, index); 0 or -1 */
int arch_add_file(struct arch_list *l, const char *path, const char *name);

/* arch_has_dotdot: 1 if path has a ".." component ("..", "../x", "x/../y", "x/..") */
int arch_has_dotdot(const char *path);
/*
 * arch_path_within: 1 if path, resolved with realpath(3), lies under one
 * of roots[0..nroots) (also resolved).  Refuses ".." components outright.
 */
int arch_path_within(const char *path, char *const *roots, size_t nroots);

#endif
