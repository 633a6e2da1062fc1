/*
 * pk.h - things every pk program shares: exit codes and their merge, allocation,
 * the clock, version, byte helpers.
 *
 * Exit codes follow sysexits(3) so that systemd units can list the ones
 * not worth a restart (RestartPreventExitStatus=64 65 66 78).  Every man
 * page repeats this table under EXIT STATUS.
 */
#ifndef PK_H
#define PK_H

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

/*
 * The shared vocabulary (see pk(7)):
 *   0  EX_OK        success
 *   64 EX_USAGE     bad option or argument
 *   65 EX_DATAERR   bad input data (stream garbage, bad expression, bad time)
 *   66 EX_NOINPUT   an input file or directory cannot be opened
 *   69 EX_UNAVAILABLE an interface or service is not available
 *   70 EX_SOFTWARE  internal error (a bug)
 *   71 EX_OSERR     a system call failed (fork, privilege drop)
 *   73 EX_CANTCREAT an output file cannot be created
 *   74 EX_IOERR     read or write error
 *   75 EX_TEMPFAIL  temporary failure (lock held, disk full after retention, interface down)
 *   77 EX_NOPERM    permission denied (capture privilege, confinement)
 *   78 EX_CONFIG    configuration error
 */

/*
 * pk_exit_merge: of two exit statuses, the one a program reports when it
 * met both problems (one file missing, another damaged): the more serious,
 * whichever came first.  From the most serious down:
 *   70 a bug, 71 the system failed, 64 78 the command line or the
 *   configuration is wrong, 77 refused (confinement, permission),
 *   73 an output cannot be created, 69 66 an input (an interface, a
 *   file) cannot be opened, 74 a read or write failed, 75 try again
 *   later, 65 bad data, 0.
 * What stopped the work outranks what interrupted it, which outranks what
 * was worked around (bad data is skipped and counted); a temporary failure
 * outranks bad data so that a unit is still restarted after it.  A status
 * not in this list ranks just above 0.
 */
int pk_exit_merge(int a, int b);

/* Little-endian load/store: the stream is little-endian on every host. */
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* Big-endian, for index keys (sort order = numeric order) and packet headers. */
static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void putbe16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void putbe32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#define PK_ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

/*
 * Allocation: the one place that checks.  A failed allocation is fatal
 * ("PROG: malloc: Cannot allocate memory", exit EX_OSERR) in libcommon as
 * in the programs, so nothing else tests for NULL after allocating.  A
 * zero count allocates one byte: NULL never means "empty".
 * xreallocarray(p, n, 1) grows a byte buffer.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * pk_now_ns: the clock clk in nanoseconds, the one clock every program
 * reads: CLOCK_REALTIME for times that go into the archive and for "now"
 * in time expressions, CLOCK_MONOTONIC (or _COARSE) for intervals.
 */
uint64_t pk_now_ns(clockid_t clk);

/* Program name for messages; set by pk_init(). */
extern const char *pk_progname;

/*
 * pk_init: set the program name, ignore SIGPIPE (EPIPE is handled where
 * writes happen, so a vanished reader never kills us with a signal).
 */
void pk_init(const char *argv0);

/*
 * pk_pipe_grow: if fd is a pipe or FIFO, ask for the largest pipe buffer
 * allowed (fs.pipe-max-size, 1 MiB unless raised; at most 64 MiB) with
 * F_SETPIPE_SZ, else 1 MiB, else keep the default quietly, so a reader
 * that pauses briefly does not stall the writer.
 */
void pk_pipe_grow(int fd);

/* Refuse to write a binary stream to a terminal; exits EX_USAGE with a hint. */
void pk_refuse_tty(int fd, const char *what_to_pipe_into);

/*
 * pk_refuse_tty_in: a binary stream cannot be typed: when fd (standard
 * input) is a terminal, say what to pipe in (example) and exit EX_USAGE
 * instead of waiting there.
 */
void pk_refuse_tty_in(int fd, const char *example);

/*
 * pk_mkdirs: create dir with mode, and its missing parents as mkdir -p
 * does (0777 less the umask).  1 created, 0 it was there, -1 error (errno).
 */
int pk_mkdirs(const char *dir, unsigned mode);

/*
 * The options every program answers (pk(7)): -h and --help print the
 * usage, which is the man page's SYNOPSIS, on standard output and exit 0;
 * --version prints "PROG (pk) VERSION" and exits 0; a bad option prints
 * the usage on standard error and exits EX_USAGE.  A program puts
 * PK_LONGOPTS in its getopt_long(3) table and 'h' in its short options,
 * and ends its option switch with "default: pk_stdopt(ch, USAGE);".
 * The version is the VERSION file's, passed by the Makefile as -DPK_VERSION.
 */
#define PK_OPT_VERSION 0x100
#define PK_LONGOPTS { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, PK_OPT_VERSION }

/* pk_version: the version (the VERSION file's) */
const char *pk_version(void);
/* pk_usage: "usage: " and synopsis (its lines indented to match); asked: stdout and 0, else stderr and 64. */
void pk_usage(const char *synopsis, int asked) __attribute__((noreturn));
/* pk_stdopt: what getopt_long returned that is not a program option: -h, --version, or a usage error. */
void pk_stdopt(int ch, const char *synopsis) __attribute__((noreturn));

#endif
