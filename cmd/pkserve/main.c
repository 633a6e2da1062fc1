/* pkserve - pk's query service over HTTPS with client certificates (pkserve(8)). */
#include <err.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pk.h"
#include "serve.h"

/* pkserve(8) SYNOPSIS */
#define USAGE "pkserve -d dir [-d dir ...] -k certdir [-l addr:port] [-a aclfile]\n" \
	"       [-b bytes] [-n packets] [-t seconds] [-m requests] [-i seconds]"

struct serve srv = { .max_requests = 8, .max_seconds = 300, .timeout = 30 };

static void
add_dir(const char *d)
{
	char *real;

	if (srv.ndirs == SERVE_DIRS_MAX)
		errx(EX_USAGE, "at most %d archives", SERVE_DIRS_MAX);
	if ((real = realpath(d, NULL)) == NULL)
		err(EX_NOINPUT, "%s", d);
	srv.dirs[srv.ndirs++] = real;
}

/* pkfind and pkslice: the ones installed beside this program */
static void
find_programs(void)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n < 0)
		err(EX_OSERR, "readlink /proc/self/exe");
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	if (snprintf(srv.pkfind, sizeof srv.pkfind, "%s/pkfind", self) >= (int)sizeof srv.pkfind ||
	    snprintf(srv.pkslice, sizeof srv.pkslice, "%s/pkslice", self) >= (int)sizeof srv.pkslice)
		errx(EX_UNAVAILABLE, "%s: path too long", self);
	if (access(srv.pkfind, X_OK) < 0 || access(srv.pkslice, X_OK) < 0)
		err(EX_UNAVAILABLE, "pkfind and pkslice must be beside pkserve in %s", self);
}

static long long
num(const char *s, long long max, int opt)
{
	const char *errstr;
	long long v = strtonum(s, 0, max, &errstr);

	if (errstr)
		errx(EX_USAGE, "-%c %s: %s", opt, s, errstr);
	return v;
}

/* MHD's messages (a refused handshake, a bad request line) in pk's form */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("pkserve: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static struct MHD_Daemon *
start(int fd)
{
	return MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL, NULL, route_access, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_HTTPS_MEM_KEY, srv.key_pem,
	    MHD_OPTION_HTTPS_MEM_CERT, srv.cert_pem,
	    MHD_OPTION_HTTPS_MEM_TRUST, srv.ca_pem,
	    MHD_OPTION_NOTIFY_CONNECTION, route_notify, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, route_done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, srv.timeout,
	    MHD_OPTION_CONNECTION_LIMIT, srv.max_requests * 4 + 16,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv.max_requests * 2 + 8,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)131072,
	    MHD_OPTION_END);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = { PK_LONGOPTS, { NULL, 0, NULL, 0 } };
	const char *listen = NULL, *certdir = NULL, *acl = NULL;
	struct MHD_Daemon *d;
	sigset_t set;
	int ch, fd, sig;

	pk_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "a:b:d:hi:k:l:m:n:t:", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': acl = optarg; break;
		case 'b': srv.max_bytes = (uint64_t)num(optarg, LLONG_MAX, ch); break;
		case 'd': add_dir(optarg); break;
		case 'i': srv.timeout = (unsigned)num(optarg, 86400, ch); break;
		case 'k': certdir = optarg; break;
		case 'l': listen = optarg; break;
		case 'm': srv.max_requests = (unsigned)num(optarg, 1000, ch); break;
		case 'n': srv.max_packets = (uint64_t)num(optarg, LLONG_MAX, ch); break;
		case 't': srv.max_seconds = (unsigned)num(optarg, 86400, ch); break;
		default: pk_stdopt(ch, USAGE);
		}
	}
	if (optind != argc || srv.ndirs == 0 || certdir == NULL)
		pk_usage(USAGE, 0);
	find_programs();
	certs_load(certdir);
	if (acl)
		acl_load(acl);
	if ((fd = listen_systemd()) < 0 && (listen == NULL || (fd = listen_socket(listen)) < 0))
		errx(EX_USAGE, "give -l ADDR:PORT, or run from a socket unit");
	/* every thread inherits this mask: the signals are taken here, by sigwait */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	srv.started_ns = pk_now_ns(CLOCK_REALTIME);
	if ((d = start(fd)) == NULL)
		errx(EX_SOFTWARE, "cannot start the HTTPS server (see the message above)");
	if (watch_start() < 0)
		errx(EX_OSERR, "cannot start the request deadline thread");
	listen_say(fd);
	fprintf(stderr, "pkserve: serving %d archive%s, at most %u queries at once\n", srv.ndirs,
	    srv.ndirs == 1 ? "" : "s", srv.max_requests);
	/* HUP: the rules and the certificates read again (new connections get them) */
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		acl_reload();
		certs_reload();
	}
	MHD_stop_daemon(d);
	fprintf(stderr, "pkserve: stopped: %llu answered, %llu refused, %llu too slow to ask\n",
	    (unsigned long long)atomic_load(&srv.served), (unsigned long long)atomic_load(&srv.refused), watch_cut());
	return EX_OK;
}
