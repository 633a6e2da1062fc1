/* capture.c - live capture with libpcap into the pk stream (pkread -i). */
#include <err.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "pk.h"

/* pcap timeout: the kernel hands a block of packets over at least this often */
#define CAPTURE_TIMEOUT_MS 100
/* and the stream is flushed at least this often while packets flow */
#define CAPTURE_FLUSH_NS 200000000ull
#define FILTER_FILE_MAX (1u << 20)

volatile sig_atomic_t capture_stop;
static pcap_t *volatile sig_handle;

static void
on_stop(int sig)
{
	(void)sig;
	capture_stop = 1;
	if (sig_handle != NULL)
		pcap_breakloop(sig_handle);
}

void
capture_signals(pcap_t *p)
{
	struct sigaction sa;

	sig_handle = p;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;   /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
}

static char *
read_filter_file(const char *file)
{
	FILE *fp;
	char *buf;
	size_t n, i;

	if ((fp = fopen(file, "r")) == NULL)
		err(EX_NOINPUT, "-F %s", file);
	buf = xmalloc(FILTER_FILE_MAX + 1);
	n = fread(buf, 1, FILTER_FILE_MAX + 1, fp);
	if (ferror(fp))
		err(EX_NOINPUT, "-F %s", file);
	if (n > FILTER_FILE_MAX)
		errx(EX_USAGE, "-F %s: larger than %u bytes", file, FILTER_FILE_MAX);
	fclose(fp);
	buf[n] = '\0';
	/* as tcpdump: '#' starts a comment to the end of the line */
	for (i = 0; i < n; i++)
		if (buf[i] == '#')
			while (i < n && buf[i] != '\n')
				buf[i++] = ' ';
	return buf;
}

char *
capture_expr(int argc, char **argv, const char *file)
{
	size_t len = 0;
	char *e;
	int i;

	if (file != NULL) {
		if (argc > 0)
			errx(EX_USAGE, "an expression and -F %s: give one or the other", file);
		e = read_filter_file(file);
	} else {
		if (argc == 0)
			return NULL;
		for (i = 0; i < argc; i++)
			len += strlen(argv[i]) + 1;
		e = xmalloc(++len);
		e[0] = '\0';
		for (i = 0; i < argc; i++) {
			if (i > 0)
				strlcat(e, " ", len);
			strlcat(e, argv[i], len);
		}
	}
	if (e[strspn(e, " \t\r\n")] == '\0') {
		free(e);
		return NULL;
	}
	return e;
}

uint32_t
capture_linktype(int dlt)
{
	/* the DLT_ values that differ from the LINKTYPE_ ones written in files */
	switch (dlt) {
	case DLT_ATM_RFC1483: return 100;
	case DLT_RAW: return 101;
	case DLT_SLIP_BSDOS: return 102;
	case DLT_PPP_BSDOS: return 103;
#ifdef DLT_PFSYNC
	case DLT_PFSYNC: return 246;
#endif
#ifdef DLT_ATM_CLIP
	case DLT_ATM_CLIP: return 106;
#endif
	}
	return (uint32_t)dlt;
}

int
capture_list(void)
{
	pcap_if_t *all, *d;
	char ebuf[PCAP_ERRBUF_SIZE];
	int i = 0;

	if (pcap_findalldevs(&all, ebuf) < 0)
		errx(EX_UNAVAILABLE, "cannot list interfaces: %s", ebuf);
	for (d = all; d != NULL; d = d->next) {
		bpf_u_int32 f = d->flags, st = f & PCAP_IF_CONNECTION_STATUS;
		printf("%d.%s", ++i, d->name);
		if (d->description != NULL)
			printf(" (%s)", d->description);
		printf(" [%s%s%s%s%s]", f & PCAP_IF_UP ? "Up, " : "", f & PCAP_IF_RUNNING ? "Running, " : "",
		    f & PCAP_IF_WIRELESS ? "Wireless, " : "", f & PCAP_IF_LOOPBACK ? "Loopback, " : "",
		    st == PCAP_IF_CONNECTION_STATUS_CONNECTED ? "Connected" :
		    st == PCAP_IF_CONNECTION_STATUS_DISCONNECTED ? "Disconnected" :
		    st == PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE ? "none" : "Unknown");
		printf("\n");
	}
	pcap_freealldevs(all);
	if (i == 0)
		warnx("no interfaces available for capture (no privilege?)");
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EX_IOERR, "stdout");
	return i == 0 ? EX_UNAVAILABLE : EX_OK;
}


void
capture_open(struct capture *c, const struct cap_opts *o)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	int rc;

	memset(c, 0, sizeof *c);
	c->o = o;
	ebuf[0] = '\0';
	if ((c->p = pcap_create(o->iface, ebuf)) == NULL)
		errx(EX_UNAVAILABLE, "%s: %s", o->iface, ebuf);
	if (pcap_set_snaplen(c->p, o->snaplen) != 0 || pcap_set_promisc(c->p, o->promisc) != 0 ||
	    pcap_set_timeout(c->p, CAPTURE_TIMEOUT_MS) != 0 ||
	    (o->immediate && pcap_set_immediate_mode(c->p, 1) != 0) ||
	    (o->bufkib > 0 && pcap_set_buffer_size(c->p, (int)(o->bufkib * 1024)) != 0))
		errx(EX_SOFTWARE, "%s: cannot configure the capture handle", o->iface);
	/* ns timestamps where the platform has them; µs otherwise */
	(void)pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	c->open_ns = pk_now_ns(CLOCK_REALTIME);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = rc == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(rc);
		if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
			errx(EX_NOPERM, "%s: %s (capturing needs root or CAP_NET_RAW)", o->iface,
			    *pcap_geterr(c->p) ? pcap_geterr(c->p) : why);
		if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			errx(EX_UNAVAILABLE, "%s: %s", o->iface, *pcap_geterr(c->p) ? pcap_geterr(c->p) : why);
		/* down is not gone: a unit restarting on 75 (not on 69) waits for it to come up */
		if (rc == PCAP_ERROR_IFACE_NOT_UP)
			errx(EX_TEMPFAIL, "%s: %s", o->iface, *pcap_geterr(c->p) ? pcap_geterr(c->p) : why);
		errx(EX_UNAVAILABLE, "%s: %s", o->iface, why);
	}
	if (rc > 0)
		warnx("%s: %s", o->iface, rc == PCAP_WARNING ? pcap_geterr(c->p) : pcap_statustostr(rc));
	c->nsec = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	c->linktype = capture_linktype(pcap_datalink(c->p));
}

/*
 * PACKET_FANOUT_HASH is the kernel's flow hash, symmetric (both directions
 * of a flow in one process).  IP fragments carry no ports, so the kernel
 * hashes every fragment of a datagram by its addresses alone: they stay
 * together without PACKET_FANOUT_FLAG_DEFRAG, which would hand the capture
 * the reassembled datagram instead of the fragments on the wire.  The
 * socket is set up by pcap_activate (TPACKET_V3 ring), so it joins after
 * activation.  XXX packets that arrive between activation and joining are
 * this process's as well as the group's: a few copies while a worker starts.
 */
void
capture_fanout(struct capture *c)
{
	int fd, arg;

	if (c->o->fanout < 0)
		return;
	if ((fd = pcap_fileno(c->p)) < 0)
		errx(EX_SOFTWARE, "%s: no socket to join fanout group %lld", c->o->iface, c->o->fanout);
	arg = (int)(c->o->fanout & 0xffff) | PACKET_FANOUT_HASH << 16;
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0)
		err(EX_UNAVAILABLE, "%s: cannot join fanout group %lld%s", c->o->iface, c->o->fanout,
		    errno == EINVAL ? " (taken by another interface or fanout mode?)" : "");
}

void
capture_filter(struct capture *c)
{
	struct bpf_program prog;

	if (c->o->filter == NULL)
		return;
	if (pcap_compile(c->p, &prog, c->o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		errx(EX_DATAERR, "bad filter expression: %s", pcap_geterr(c->p));
	if (pcap_setfilter(c->p, &prog) < 0)
		errx(EX_UNAVAILABLE, "%s: cannot set the filter: %s", c->o->iface, pcap_geterr(c->p));
	pcap_freecode(&prog);
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;
	struct pk_pkt pkt;

	if (c->werr)
		return;
	memset(&pkt, 0, sizeof pkt);
	pkt.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * (c->nsec ? 1u : 1000u);
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.linktype = c->linktype;
	pkt.flags = c->nsec ? PKT_NSEC : 0;
	pkt.data = bytes;
	if (sout_packet(c->s, &pkt, NULL, 0) < 0) {
		c->werr = errno ? errno : EIO;
		pcap_breakloop(c->p);
		return;
	}
	c->packets++;
	c->bytes += h->caplen;
	if ((c->o->max_packets && c->packets >= c->o->max_packets) ||
	    (c->o->max_bytes && c->bytes >= c->o->max_bytes)) {
		c->limit_hit = 1;
		pcap_breakloop(c->p);
	}
}

static int
write_stats(struct capture *c, uint32_t flags, struct pcap_stat *ps)
{
	struct rec_stats st;

	memset(ps, 0, sizeof *ps);
	if (pcap_stats(c->p, ps) < 0) {
		warnx("%s: no statistics: %s", c->o->iface, pcap_geterr(c->p));
		return 0;
	}
	memset(&st, 0, sizeof st);
	/* the start of the run is the start of capture, so every packet lies within it */
	st.ts_ns = (flags & STATS_START) && c->open_ns ? c->open_ns : pk_now_ns(CLOCK_REALTIME);
	st.recv = ps->ps_recv;
	st.drop = ps->ps_drop;
	st.ifdrop = ps->ps_ifdrop;
	st.flags = flags;
	st.name = c->o->iface;
	if (sout_stats(c->s, &st) < 0) {
		c->werr = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* milliseconds from now until deadline (0 = none), capped at cap */
static int
wait_ms(uint64_t now, uint64_t deadline, int cap)
{
	uint64_t ms;

	if (deadline == 0)
		return cap;
	if (deadline <= now)
		return 0;
	ms = (deadline - now + 999999) / 1000000;
	return ms < (uint64_t)cap ? (int)ms : cap;
}

/*
 * The capture failed while running.  libpcap says "The interface
 * disappeared" also when it only went down, so ask the kernel: gone is
 * EX_UNAVAILABLE (a service stops, as a device unit's BindsTo= would stop
 * it, but without needing udev), anything else EX_TEMPFAIL (restart).
 */
static int
capture_lost(const struct capture *c)
{
	if (if_nametoindex(c->o->iface) == 0 && (errno == ENODEV || errno == ENXIO)) {
		warnx("%s: the interface went away (%s)", c->o->iface, pcap_geterr(c->p));
		return EX_UNAVAILABLE;
	}
	warnx("%s: capture stopped: %s (the interface still exists)", c->o->iface, pcap_geterr(c->p));
	return EX_TEMPFAIL;
}

/*
 * One pass: wait for packets (or a deadline, or a signal), take what is
 * there.  A pipe on standard output is watched too: on a quiet link
 * nothing is written, and a reader that died (pkrotate exiting on a bad
 * option) must still end the capture at once, as EPIPE would.
 */
static int
capture_step(struct capture *c, int fd, int outpipe, int timeout_ms)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDOUT_FILENO, .events = 0 } };
	int n;

	if (fd >= 0 && poll(pfd, outpipe ? 2 : 1, timeout_ms) < 0 && errno != EINTR)
		err(EX_OSERR, "poll");
	if (capture_stop)
		return 0;
	if (outpipe && (pfd[1].revents & (POLLERR | POLLHUP))) {
		c->werr = EPIPE;
		return 0;
	}
	n = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
	if (n == PCAP_ERROR_BREAK)
		return 0;
	return n;
}

int
capture_run(struct capture *c, struct stream_out *s)
{
	const struct cap_opts *o = c->o;
	uint64_t start = pk_now_ns(CLOCK_MONOTONIC), now = start, last_pkt = start, last_flush = start;
	uint64_t end = o->duration ? start + (uint64_t)o->duration * 1000000000u : 0;
	uint64_t next_stats = o->stats_every ? start + (uint64_t)o->stats_every * 1000000000u : 0;
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_stat ps;
	int fd, n, rc = EX_OK, dirty = 0, outpipe;
	struct stat st;
	uint64_t before;

	c->s = s;
	capture_signals(c->p);
	/*
	 * Before the first packet: the snapshot length (a reader's pcap
	 * header says it), and a zero statistics record marking where the
	 * drop counts begin (pkfind: drops known from here on).
	 */
	if (sout_source(s, 0, c->linktype, (uint32_t)pcap_snapshot(c->p), c->nsec ? SOURCE_NSEC : 0, o->iface) < 0)
		c->werr = errno ? errno : EIO;
	else
		(void)write_stats(c, STATS_START, &ps);
	/*
	 * non-blocking + poll: limits, stats and flushes keep time without
	 * traffic.  Without a selectable fd, stay blocking: the pcap timeout
	 * then bounds each wait.
	 */
	fd = pcap_get_selectable_fd(c->p);
	outpipe = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
	if (fd >= 0 && pcap_setnonblock(c->p, 1, ebuf) < 0)
		errx(EX_SOFTWARE, "%s: %s", o->iface, ebuf);
	while (!capture_stop && !c->limit_hit && !c->werr) {
		int t = CAPTURE_TIMEOUT_MS;
		t = wait_ms(now, end, t);
		t = wait_ms(now, next_stats, t);
		t = wait_ms(now, o->idle ? last_pkt + (uint64_t)o->idle * 1000000000u : 0, t);
		before = c->packets;
		n = capture_step(c, fd, outpipe, t);
		now = pk_now_ns(CLOCK_MONOTONIC);
		if (n < 0) {
			rc = capture_lost(c);
			break;
		}
		if (c->packets > before) {
			last_pkt = now;
			dirty = 1;
		}
		/* flush when the burst is over, and at least every 200 ms */
		if (dirty && (c->packets == before || now - last_flush >= CAPTURE_FLUSH_NS)) {
			if (sout_flush(s) < 0)
				c->werr = errno;
			last_flush = now;
			dirty = 0;
		}
		if (next_stats && now >= next_stats) {
			write_stats(c, 0, &ps);
			next_stats += (uint64_t)o->stats_every * 1000000000u;
			if (next_stats <= now)
				next_stats = now + (uint64_t)o->stats_every * 1000000000u;
		}
		if ((end && now >= end) || (o->idle && now - last_pkt >= (uint64_t)o->idle * 1000000000u))
			break;
	}
	/* take what the kernel already holds before the final count */
	if (!c->werr && !c->limit_hit && rc == EX_OK &&
	    pcap_dispatch(c->p, -1, on_packet, (u_char *)c) == PCAP_ERROR_BREAK && !c->limit_hit)
		(void)pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
	if (!c->werr)
		write_stats(c, STATS_FINAL, &ps);
	if (!c->werr && sout_flush(s) < 0)
		c->werr = errno;
	if (c->werr && c->werr != EPIPE) {
		warnc(c->werr, "write error on the stream");
		rc = EX_IOERR;
	}
	if (!o->quiet && o->keyvalue)
		fprintf(stderr, "%s: stats packets=%llu received=%u dropped=%u ifdropped=%u\n",
		    pk_progname, (unsigned long long)c->packets, ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
	else if (!o->quiet)
		fprintf(stderr, "%s: %llu packets captured, %u received by filter, %u dropped by kernel, "
		    "%u dropped by interface\n", pk_progname, (unsigned long long)c->packets,
		    ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
	pcap_close(c->p);
	c->p = NULL;
	capture_signals(NULL);
	return rc;
}
