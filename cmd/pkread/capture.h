/*
 * capture.h - live capture with libpcap into the pk stream (pkread -i),
 * plus what live capture and file reading share: the filter expression,
 * the stop signals and DLT-to-LINKTYPE mapping.
 */
#ifndef PK_CAPTURE_H
#define PK_CAPTURE_H

#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>

#include "stream.h"

#define CAPTURE_HINT "pkslice, pkextract -T text or pkrotate"
#define CAPTURE_SNAPLEN 262144

struct cap_opts {
	const char *iface;
	const char *filter;     /* BPF expression or NULL */
	int snaplen;            /* default CAPTURE_SNAPLEN */
	int promisc;            /* default 1; -p clears */
	int immediate;          /* -m */
	long long bufkib;       /* -B, 0 = libpcap's default */
	uint64_t max_packets;   /* -c, 0 = none */
	uint64_t max_bytes;     /* -b, captured bytes, 0 = none */
	long long duration;     /* -t seconds, 0 = none */
	long long idle;         /* -I seconds, 0 = none */
	long long stats_every;  /* -S seconds, 0 = final stats only */
	int quiet;              /* -q: no summary line */
	long long fanout;       /* -j: PACKET_FANOUT group, -1 = none */
	int keyvalue;           /* -k: the summary as key=value pairs */
};

struct capture {
	pcap_t *p;
	const struct cap_opts *o;
	struct stream_out *s;
	int nsec;               /* timestamps from the kernel are ns */
	uint64_t open_ns;       /* the real-time clock before activation: no packet is older */
	uint32_t linktype;      /* LINKTYPE_ value for the stream */
	uint64_t packets, bytes;
	int limit_hit;          /* -c or -b reached */
	int werr;               /* errno of a failed stream write */
};

/* Set by SIGINT/SIGTERM; checked by every read loop. */
extern volatile sig_atomic_t capture_stop;

/*
 * capture_signals: INT and TERM set capture_stop (and break p's loop if
 * p is not NULL); HUP is ignored.
 */
void capture_signals(pcap_t *p);

/*
 * capture_expr: the filter expression from the words left on the command
 * line (joined by spaces, as tcpdump does) or from file (# comments
 * blanked).  NULL when there is none.  Exits EX_USAGE/EX_NOINPUT.
 */
char *capture_expr(int argc, char **argv, const char *file);

/* capture_linktype: the LINKTYPE_ (file) value of a libpcap DLT_ value. */
uint32_t capture_linktype(int dlt);

/* capture_list: print the interfaces as tcpdump -D does; returns an exit code. */
int capture_list(void);

/*
 * capture_open: create, configure and activate the handle on o->iface.
 * Exits EX_NOPERM (no capture privilege), EX_UNAVAILABLE (no such or
 * unusable interface), EX_TEMPFAIL (the interface is down).
 */
void capture_open(struct capture *c, const struct cap_opts *o);

/*
 * capture_fanout: join the handle's socket to PACKET_FANOUT group
 * o->fanout (flow hash), so that the processes of one group share the
 * interface's packets, each flow in one of them.  Exits EX_UNAVAILABLE
 * when the kernel refuses (no fanout, or the group is taken by another
 * interface or fanout mode).
 */
void capture_fanout(struct capture *c);

/* capture_filter: compile and set o->filter; exits EX_DATAERR when bad. */
void capture_filter(struct capture *c);

/*
 * capture_run: capture into s until a limit, a signal, the end of the
 * interface, or the reader going away.  Writes periodic and final
 * REC_STATS, flushes, prints the summary.  Returns the exit code:
 * EX_UNAVAILABLE when the interface went away, EX_TEMPFAIL when the
 * capture failed on an interface that still exists.
 */
int capture_run(struct capture *c, struct stream_out *s);

#endif
