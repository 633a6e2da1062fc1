/*
 * session.h - sessions (flows) of decoded packets: pk-sessions(5).
 *
 * A session is one tuple of the fields the index keys (MACs, VLAN ids,
 * ethertype, IP addresses, protocol, ports, "unsure"), plus the link
 * type, with both directions joined: a packet from B to A belongs to the
 * session A<>B.  Side a is the source of the session's first packet.
 * Counts and TCP flags are kept per direction; times are the smallest and
 * largest packet time seen.
 *
 * A table is fed packets file by file (sess_file, then sess_add); a
 * session that goes on in the next file stays one session, listing both
 * files.  pkindex -S clears the table per file, so that each of its
 * records covers exactly one file (the catalog's unit, pk-ship-clickhouse).
 */
#ifndef PK_SESSION_H
#define PK_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fields.h"

#define SESS_KEYLEN 72

struct sess {
	uint8_t key[SESS_KEYLEN];  /* canonical tuple: the smaller of a->b and b->a */
	int swapped;               /* a->b is the reverse of key */
	uint64_t flow;             /* hash of key: the same in every file and on every sensor */
	uint64_t first_ns, last_ns;
	uint64_t pkts[2], bytes[2];  /* [0] a->b, [1] b->a; bytes are wire lengths */
	uint8_t flags[2];          /* TCP flags seen, OR-ed */
	int has_flags;
	uint32_t *files;           /* file numbers (sess_file), first seen first */
	uint32_t nfiles, cfiles;
};

/* the fields of a session's key, a->b oriented (sess_fields) */
struct sess_fields {
	uint32_t present;          /* FLD_ETH, FLD_VLAN, FLD_ETHERTYPE, FLD_IP4/IP6/ARP, FLD_PROTO, FLD_PORTS */
	uint32_t linktype;
	uint8_t mac_a[6], mac_b[6];
	uint8_t nvlan;
	uint16_t vlan[FLD_MAXVLAN];
	uint16_t ethertype;
	uint8_t ipver;             /* 0, 4 or 6 */
	uint8_t ip_a[16], ip_b[16];
	uint8_t proto;
	uint16_t port_a, port_b;
	int unsure;
};

struct sess_table;

/* sess_new: an empty table; sensor NULL means sess_sensor_name(). Exits on allocation failure. */
struct sess_table *sess_new(const char *sensor);
void sess_free(struct sess_table *t);
/* sess_clear: forget every session and file (the sensor stays). */
void sess_clear(struct sess_table *t);
/*
 * sess_file: the packets that follow come from this pcap (its path as it
 * should be recorded, link type and snap length); a path met before is
 * the same file again.
 */
void sess_file(struct sess_table *t, const char *path, uint32_t linktype, uint32_t snaplen);
/* sess_file_update: the current file's final path and snap length (a .part published) */
void sess_file_update(struct sess_table *t, const char *path, uint32_t snaplen);
/* sess_judged: 1 if the index judges every file of s (query_judged) */
int sess_judged(const struct sess_table *t, const struct sess *s);
/* sess_add: one packet of the current file; 0, or -1 if the table is full (2^32 - 2 sessions). */
int sess_add(struct sess_table *t, uint64_t ts_ns, uint32_t wirelen, const struct pk_fields *f);
/* sess_count, sess_get: the sessions, in the order sess_sort left them */
size_t sess_count(const struct sess_table *t);
const struct sess *sess_get(const struct sess_table *t, size_t i);
/* sess_sort: by first packet time (then flow); newest first if reverse */
void sess_sort(struct sess_table *t, int reverse);
void sess_fields(const struct sess *s, struct sess_fields *out);
const char *sess_file_path(const struct sess_table *t, uint32_t file);

/*
 * sess_print_json: one record as a JSON line (pk-sessions(5)).
 * sess_print_text: one line for people.  Both return -1 on a write error.
 */
int sess_print_json(FILE *out, const struct sess_table *t, const struct sess *s);
int sess_print_text(FILE *out, const struct sess_table *t, const struct sess *s);

/* sess_sensor_name: $PK_SENSOR, else the host name (as pk-sessions(5) says) */
const char *sess_sensor_name(void);

#endif
