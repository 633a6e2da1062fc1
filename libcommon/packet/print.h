/*
 * print.h - packets and their decoded fields for people and scripts:
 * a one-line text summary (tcpdump -q -nn style), JSON Lines, CSV,
 * ClickHouse JSONEachRow and Elasticsearch _bulk.  pkextract(1) documents
 * the field names and formats.
 */
#ifndef PK_PRINT_H
#define PK_PRINT_H

#include <stdint.h>
#include <stdio.h>

#include "fields.h"
#include "stream.h"

/*
 * print_summary: one line without time or newline, e.g.
 *   "IP 10.0.0.1.443 > 10.0.0.2.51000: tcp [S.], length 74"
 *   "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 60"
 * (length = wire length of the frame).
 */
void print_summary(FILE *out, const struct pk_fields *f, uint32_t wirelen, uint32_t caplen);

/*
 * print_time: ISO 8601 UTC, 9 digits if nsec else 6, e.g. 2026-11-22T14:00:01.123456Z:
 * time_fmt_iso's text for packets, with the date kept from the last call
 * (so not for threads: they call time_fmt_iso).
 */
void print_time(FILE *out, uint64_t ts_ns, int nsec);
/* print_mac: a MAC address as aa:bb:cc:dd:ee:ff into b (18 bytes) */
void print_mac(char *b, const uint8_t *m);
/*
 * print_ip: an IPv4 (ipver 4) or IPv6 (6) address as inet_ntop(3) writes
 * it (what pkfind -E -T sql compares with) into b (n, INET6_ADDRSTRLEN will do)
 */
void print_ip(char *b, size_t n, int ipver, const uint8_t *a);
/* print_tcpflags: TCP flags as tcpdump prints them ([S.], [P.], [R], [none]) into b (12 bytes hold any) */
void print_tcpflags(char *b, uint8_t fl);
/* print_json_str: s as a JSON string, quoted, with '"', '\\' and control characters escaped */
void print_json_str(FILE *out, const char *s);

enum print_fmt { PF_TEXT, PF_JSON, PF_CSV, PF_CLICKHOUSE, PF_ES };

#define PRINT_MAXSEL 64
#define PRINT_MAXFILES 256

struct printer {
	FILE *out;
	enum print_fmt fmt;
	int nsel;                   /* 0: every field */
	int sel[PRINT_MAXSEL];      /* indexes into the field table */
	int all;                    /* no -f: every field (text: the summary line) */
	int header_done;            /* CSV header written */
	struct {                    /* paths from REC_FILE_OPEN, by id */
		uint32_t id;
		char *path;
	} files[PRINT_MAXFILES];
	int nfiles;
};

/*
 * printer_init: fmt is "text", "json", "csv", "clickhouse" or "es";
 * fields is NULL or "name,name,...".  0, or -1 with a message in err.
 */
int printer_init(struct printer *p, FILE *out, const char *fmt, const char *fields, char *err, size_t errlen);
void printer_free(struct printer *p);
/* printer_file: note the path of a REC_FILE_OPEN (for pk.file) */
void printer_file(struct printer *p, const struct rec_file *f);
/* printer_packet: print one packet; f NULL means decode it here. */
void printer_packet(struct printer *p, const struct pk_pkt *pkt, const struct pk_fields *f);

#endif
