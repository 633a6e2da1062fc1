/*
 * print.c - decoded packets for people and scripts (see print.h and
 * pkextract(1), which lists the field names and the formats).
 *
 * Every format is built from one table of fields: a field yields a
 * string, a number, a boolean or an array of numbers, or nothing when
 * the packet does not have it.  JSON, ClickHouse and Elasticsearch
 * output omit absent fields; CSV leaves the cell empty; text -f prints "-".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "fields.h"
#include "pk.h"
#include "print.h"
#include "stream.h"

/* one writer per stream: skip stdio's per-character locking (hot path) */
#define putc(c, f) putc_unlocked((c), (f))
#define fputs(s, f) fputs_unlocked((s), (f))

/* ---- small formatters (no printf on the per-packet path) ---- */

/* decimal of v into b (at least 21 bytes), NUL-terminated; returns the length */
static size_t
fmt_u64(char *b, uint64_t v)
{
	char t[20];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		b[i] = t[n - 1 - i];
	b[n] = '\0';
	return n;
}

/* n digits of v, zero-padded */
static void
fmt_pad(char *b, uint32_t v, int n)
{
	while (n-- > 0) {
		b[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * "YYYY-MM-DD?hh:mm:ss" for t into b[19], with sep between date and time;
 * gmtime_r runs once per second of packet time, not once per packet.
 */
static void
fmt_date(char *b, time_t t, char sep)
{
	static __thread time_t last = (time_t)-1;
	static __thread char cache[20];
	struct tm tm;

	if (t != last) {
		gmtime_r(&t, &tm);
		fmt_pad(cache, (uint32_t)(tm.tm_year + 1900) % 10000, 4);
		cache[4] = '-';
		fmt_pad(cache + 5, (uint32_t)tm.tm_mon + 1, 2);
		cache[7] = '-';
		fmt_pad(cache + 8, (uint32_t)tm.tm_mday, 2);
		fmt_pad(cache + 11, (uint32_t)tm.tm_hour, 2);
		cache[13] = ':';
		fmt_pad(cache + 14, (uint32_t)tm.tm_min, 2);
		cache[16] = ':';
		fmt_pad(cache + 17, (uint32_t)tm.tm_sec, 2);
		last = t;
	}
	memcpy(b, cache, 19);
	b[10] = sep;
}

void
print_time(FILE *out, uint64_t ts_ns, int nsec)
{
	char b[32];
	uint32_t frac = (uint32_t)(ts_ns % 1000000000u);

	fmt_date(b, (time_t)(ts_ns / 1000000000u), 'T');
	b[19] = '.';
	if (nsec)
		fmt_pad(b + 20, frac, 9);
	else
		fmt_pad(b + 20, frac / 1000, 6);
	b[nsec ? 29 : 26] = 'Z';
	b[nsec ? 30 : 27] = '\0';
	fputs(b, out);
}

void
print_mac(char *b, const uint8_t *m)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		b[3 * i] = hex[m[i] >> 4];
		b[3 * i + 1] = hex[m[i] & 15];
		b[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}

void
print_ip(char *b, size_t n, int ipver, const uint8_t *a)
{
	if (ipver != 6) {
		for (int i = 0; i < 4; i++) {
			b += fmt_u64(b, a[i]);
			if (i < 3)
				*b++ = '.';
		}
		return;
	}
	if (inet_ntop(AF_INET6, a, b, (socklen_t)n) == NULL)
		snprintf(b, n, "?");
}

/* tcp.flags in field form: one letter per bit, FIN first ("SA" = SYN+ACK) */
static void
fmt_tcpflags(char *b, uint8_t fl)
{
	static const char letters[] = "FSRPAUEC";
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (fl & (1u << i))
			b[n++] = letters[i];
	b[n] = '\0';
}

void
print_tcpflags(char *b, uint8_t fl)
{
	int n = 0;

	b[n++] = '[';
	if (fl & 0x02) b[n++] = 'S';
	if (fl & 0x01) b[n++] = 'F';
	if (fl & 0x08) b[n++] = 'P';
	if (fl & 0x04) b[n++] = 'R';
	if (fl & 0x20) b[n++] = 'U';
	if (fl & 0x40) b[n++] = 'E';
	if (fl & 0x80) b[n++] = 'W';
	if (fl & 0x10) b[n++] = '.';
	if (n == 1) b[n++] = 'n', b[n++] = 'o', b[n++] = 'n', b[n++] = 'e';
	b[n++] = ']';
	b[n] = '\0';
}

static const char *
transport_name(const struct pk_fields *f)
{
	switch (f->proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 132: return "sctp";
	case 1: return f->ipver == 4 ? "icmp" : NULL;
	case 58: return f->ipver == 6 ? "ipv6-icmp" : NULL;
	case 2: return "igmp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	}
	return NULL;
}

static const char *
icmp_name(uint8_t type)
{
	switch (type) {
	case 0: return "echo reply";
	case 3: return "destination unreachable";
	case 4: return "source quench";
	case 5: return "redirect";
	case 8: return "echo request";
	case 9: return "router advertisement";
	case 10: return "router solicitation";
	case 11: return "time exceeded";
	case 12: return "parameter problem";
	case 13: return "time stamp request";
	case 14: return "time stamp reply";
	}
	return NULL;
}

static const char *
icmp6_name(uint8_t type)
{
	switch (type) {
	case 1: return "destination unreachable";
	case 2: return "packet too big";
	case 3: return "time exceeded";
	case 4: return "parameter problem";
	case 128: return "echo request";
	case 129: return "echo reply";
	case 130: return "multicast listener query";
	case 131: return "multicast listener report";
	case 133: return "router solicitation";
	case 134: return "router advertisement";
	case 135: return "neighbor solicitation";
	case 136: return "neighbor advertisement";
	case 137: return "redirect";
	case 143: return "multicast listener report v2";
	}
	return NULL;
}

/* ---- the one-line summary ---- */

void
print_summary(FILE *out, const struct pk_fields *f, uint32_t wirelen, uint32_t caplen)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], m[32];
	const char *name;
	int i;

	(void)caplen;
	for (i = 0; i < f->nvlan && i < FLD_MAXVLAN; i++)
		fprintf(out, "vlan %u, ", f->vlan[i]);
	if (f->nvlan > FLD_MAXVLAN)
		fprintf(out, "(%d more vlan tags), ", f->nvlan - FLD_MAXVLAN);
	if (f->present & FLD_MPLS)
		fprintf(out, "MPLS (label %u%s), ", f->mpls[0], f->nmpls > 1 ? ", stacked" : "");
	if (f->present & FLD_ARP) {
		print_ip(s, sizeof s, f->ipver, f->src);
		print_ip(d, sizeof d, f->ipver, f->dst);
		fputs(f->ethertype == 0x8035 ? "RARP, " : "ARP, ", out);
		if (f->icmp_type == 1)
			fprintf(out, "Request who-has %s tell %s", d, s);
		else if (f->icmp_type == 2) {
			fprintf(out, "Reply %s", s);
			if (f->present & FLD_ETH) {
				print_mac(m, f->mac_src);
				fprintf(out, " is-at %s", m);
			}
		} else
			fprintf(out, "opcode %u, %s > %s", f->icmp_type, s, d);
	} else if (f->present & (FLD_IP4 | FLD_IP6)) {
		print_ip(s, sizeof s, f->ipver, f->src);
		print_ip(d, sizeof d, f->ipver, f->dst);
		fputs(f->ipver == 6 ? "IP6 " : "IP ", out);
		if (f->present & FLD_PORTS)
			fprintf(out, "%s.%u > %s.%u: ", s, f->sport, d, f->dport);
		else
			fprintf(out, "%s > %s: ", s, d);
		if (f->present & FLD_ICMP) {
			name = f->ipver == 6 ? icmp6_name(f->icmp_type) : icmp_name(f->icmp_type);
			fputs(f->ipver == 6 ? "ICMP6 " : "ICMP ", out);
			if (name)
				fputs(name, out);
			else
				fprintf(out, "type %u", f->icmp_type);
			if (f->icmp_code)
				fprintf(out, " code %u", f->icmp_code);
		} else if (f->proto == 17 && (f->present & FLD_PORTS))
			fputs("UDP", out);
		else if (f->present & FLD_TCPFLAGS) {
			print_tcpflags(m, f->tcp_flags);
			fprintf(out, "tcp %s", m);
		} else if ((name = transport_name(f)) != NULL)
			fputs(name, out);
		else
			fprintf(out, "ip-proto-%u", f->proto);
		if ((f->present & FLD_FRAG) && !f->frag_first)
			fputs(" (fragment)", out);
		else if (f->present & FLD_FRAG)
			fputs(" (first fragment)", out);
	} else if (f->present & FLD_ETHERTYPE) {
		fprintf(out, "ethertype 0x%04x", f->ethertype);
		if (f->present & FLD_ETH) {
			print_mac(s, f->mac_src);
			print_mac(d, f->mac_dst);
			fprintf(out, ", %s > %s", s, d);
		}
	} else if (f->present & FLD_ETH) {
		print_mac(s, f->mac_src);
		print_mac(d, f->mac_dst);
		fprintf(out, "802.3, %s > %s", s, d);
	} else
		fputs("unknown", out);
	fprintf(out, ", length %u", wirelen);
	if (f->present & FLD_TRUNC)
		fputs(" [truncated]", out);
}

/* ---- the field table ---- */

enum kind { K_NONE, K_STR, K_NUM, K_BOOL, K_ARR, K_TIME };

struct ctx {
	const struct printer *pr;
	const struct pk_pkt *pkt;
	const struct pk_fields *f;
	int have_loc;
	uint32_t loc_file;
	uint64_t loc_off;
};

typedef enum kind (*getter)(const struct ctx *c, char *b, size_t n);

static enum kind
g_time(const struct ctx *c, char *b, size_t n) { (void)c; (void)b; (void)n; return K_TIME; }
static enum kind
g_bytes(const struct ctx *c, char *b, size_t n) { fmt_u64(b, c->pkt->wirelen); return K_NUM; }
static enum kind
g_caplen(const struct ctx *c, char *b, size_t n) { fmt_u64(b, c->pkt->caplen); return K_NUM; }
static enum kind
g_linktype(const struct ctx *c, char *b, size_t n) { fmt_u64(b, c->pkt->linktype); return K_NUM; }

static enum kind
g_smac(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_ETH))
		return K_NONE;
	print_mac(b, c->f->mac_src);
	return K_STR;
}

static enum kind
g_dmac(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_ETH))
		return K_NONE;
	print_mac(b, c->f->mac_dst);
	return K_STR;
}

static enum kind
g_vlan(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_VLAN) || c->f->nvlan == 0)
		return K_NONE;
	fmt_u64(b, c->f->vlan[0]);
	return K_NUM;
}

static enum kind
g_vlans(const struct ctx *c, char *b, size_t n)
{
	size_t o = 0;

	if (!(c->f->present & FLD_VLAN) || c->f->nvlan == 0)
		return K_NONE;
	for (int i = 0; i < c->f->nvlan && i < FLD_MAXVLAN; i++) {
		if (i)
			b[o++] = ',';
		o += fmt_u64(b + o, c->f->vlan[i]);
	}
	return K_ARR;
}

static enum kind
g_vlancount(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_VLAN))
		return K_NONE;
	fmt_u64(b, c->f->nvlan);
	return K_NUM;
}

static enum kind
g_mpls(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_MPLS))
		return K_NONE;
	fmt_u64(b, c->f->mpls[0]);
	return K_NUM;
}

static enum kind
g_mplslabels(const struct ctx *c, char *b, size_t n)
{
	size_t o = 0;

	if (!(c->f->present & FLD_MPLS) || c->f->nmpls == 0)
		return K_NONE;
	for (int i = 0; i < c->f->nmpls && i < FLD_MAXMPLS; i++) {
		if (i)
			b[o++] = ',';
		o += fmt_u64(b + o, c->f->mpls[i]);
	}
	return K_ARR;
}

static enum kind
g_mplscount(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_MPLS))
		return K_NONE;
	fmt_u64(b, c->f->nmpls);
	return K_NUM;
}

static enum kind
g_ethertype(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_ETHERTYPE))
		return K_NONE;
	fmt_u64(b, c->f->ethertype);
	return K_NUM;
}

static enum kind
g_ntype(const struct ctx *c, char *b, size_t n)
{
	const struct pk_fields *f = c->f;

	if (f->present & FLD_ARP)
		snprintf(b, n, "arp");
	else if (f->present & FLD_IP4)
		snprintf(b, n, "ipv4");
	else if (f->present & FLD_IP6)
		snprintf(b, n, "ipv6");
	else
		return K_NONE;
	return K_STR;
}

static enum kind
g_transport(const struct ctx *c, char *b, size_t n)
{
	const char *name;

	if (!(c->f->present & FLD_PROTO))
		return K_NONE;
	if ((name = transport_name(c->f)) != NULL)
		snprintf(b, n, "%s", name);
	else
		fmt_u64(b, c->f->proto);
	return K_STR;
}

static enum kind
g_iana(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_PROTO))
		return K_NONE;
	fmt_u64(b, c->f->proto);
	return K_NUM;
}

static enum kind
g_sip(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & (FLD_IP4 | FLD_IP6 | FLD_ARP)))
		return K_NONE;
	print_ip(b, n, c->f->ipver, c->f->src);
	return K_STR;
}

static enum kind
g_dip(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & (FLD_IP4 | FLD_IP6 | FLD_ARP)))
		return K_NONE;
	print_ip(b, n, c->f->ipver, c->f->dst);
	return K_STR;
}

static enum kind
g_sport(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_PORTS))
		return K_NONE;
	fmt_u64(b, c->f->sport);
	return K_NUM;
}

static enum kind
g_dport(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_PORTS))
		return K_NONE;
	fmt_u64(b, c->f->dport);
	return K_NUM;
}

static enum kind
g_icmptype(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_ICMP))
		return K_NONE;
	fmt_u64(b, c->f->icmp_type);
	return K_NUM;
}

static enum kind
g_icmpcode(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_ICMP))
		return K_NONE;
	fmt_u64(b, c->f->icmp_code);
	return K_NUM;
}

static enum kind
g_tcpflags(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_TCPFLAGS) || n < 9)
		return K_NONE;
	fmt_tcpflags(b, c->f->tcp_flags);
	return K_STR;
}

static enum kind
g_tcpflagsv(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_TCPFLAGS))
		return K_NONE;
	fmt_u64(b, c->f->tcp_flags);
	return K_NUM;
}

static enum kind
g_arpop(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_ARP))
		return K_NONE;
	fmt_u64(b, c->f->icmp_type);
	return K_NUM;
}

static enum kind
g_frag(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & (FLD_IP4 | FLD_IP6)))
		return K_NONE;
	snprintf(b, n, "%s", (c->f->present & FLD_FRAG) ? "true" : "false");
	return K_BOOL;
}

static enum kind
g_fragfirst(const struct ctx *c, char *b, size_t n)
{
	if (!(c->f->present & FLD_FRAG))
		return K_NONE;
	snprintf(b, n, "%s", c->f->frag_first ? "true" : "false");
	return K_BOOL;
}

static enum kind
g_trunc(const struct ctx *c, char *b, size_t n)
{
	snprintf(b, n, "%s", (c->f->present & FLD_TRUNC) ? "true" : "false");
	return K_BOOL;
}

static enum kind
g_file(const struct ctx *c, char *b, size_t n)
{
	if (!c->have_loc)
		return K_NONE;
	for (int i = 0; i < c->pr->nfiles; i++)
		if (c->pr->files[i].id == c->loc_file && c->pr->files[i].path) {
			snprintf(b, n, "%s", c->pr->files[i].path);
			return K_STR;
		}
	return K_NONE;
}

static enum kind
g_offset(const struct ctx *c, char *b, size_t n)
{
	if (!c->have_loc)
		return K_NONE;
	fmt_u64(b, c->loc_off);
	return K_NUM;
}

static const struct field {
	const char *name;
	getter get;
	const char *chtype; /* ClickHouse column type, for the man page */
} fields[] = {
	{ "@timestamp", g_time, "UInt64" },
	{ "network.bytes", g_bytes, "UInt32" },
	{ "pk.caplen", g_caplen, "UInt32" },
	{ "pk.linktype", g_linktype, "UInt16" },
	{ "source.mac", g_smac, "Nullable(String)" },
	{ "destination.mac", g_dmac, "Nullable(String)" },
	{ "vlan.id", g_vlan, "Nullable(UInt16)" },
	{ "vlan.ids", g_vlans, "Array(UInt16)" },
	{ "vlan.count", g_vlancount, "Nullable(UInt8)" },
	{ "mpls.label", g_mpls, "Nullable(UInt32)" },
	{ "mpls.labels", g_mplslabels, "Array(UInt32)" },
	{ "mpls.count", g_mplscount, "Nullable(UInt8)" },
	{ "network.ethertype", g_ethertype, "Nullable(UInt16)" },
	{ "network.type", g_ntype, "Nullable(String)" },
	{ "network.transport", g_transport, "Nullable(String)" },
	{ "network.iana_number", g_iana, "Nullable(UInt8)" },
	{ "source.ip", g_sip, "Nullable(String)" },
	{ "destination.ip", g_dip, "Nullable(String)" },
	{ "source.port", g_sport, "Nullable(UInt16)" },
	{ "destination.port", g_dport, "Nullable(UInt16)" },
	{ "icmp.type", g_icmptype, "Nullable(UInt8)" },
	{ "icmp.code", g_icmpcode, "Nullable(UInt8)" },
	{ "tcp.flags", g_tcpflags, "Nullable(String)" },
	{ "tcp.flags_value", g_tcpflagsv, "Nullable(UInt8)" },
	{ "arp.opcode", g_arpop, "Nullable(UInt16)" },
	{ "ip.fragment", g_frag, "Nullable(UInt8)" },
	{ "ip.fragment_first", g_fragfirst, "Nullable(UInt8)" },
	{ "pk.truncated", g_trunc, "UInt8" },
	{ "pk.file", g_file, "Nullable(String)" },
	{ "pk.offset", g_offset, "Nullable(UInt64)" },
};
#define NFIELDS ((int)(sizeof fields / sizeof fields[0]))

/* ---- set-up ---- */

int
printer_init(struct printer *p, FILE *out, const char *fmt, const char *list, char *err, size_t errlen)
{
	static const char *fmts[] = { "text", "json", "csv", "clickhouse", "es" };
	int i;

	memset(p, 0, sizeof *p);
	p->out = out;
	for (i = 0; i < 5; i++)
		if (strcmp(fmt, fmts[i]) == 0)
			break;
	if (i == 5) {
		snprintf(err, errlen, "unknown format %s (text, json, csv, clickhouse or es)", fmt);
		return -1;
	}
	p->fmt = (enum print_fmt)i;
	while (list != NULL && *list != '\0') {
		size_t len = strcspn(list, ",");
		for (i = 0; i < NFIELDS; i++)
			if (strlen(fields[i].name) == len && strncmp(fields[i].name, list, len) == 0)
				break;
		if (i == NFIELDS) {
			snprintf(err, errlen, "unknown field %.*s (see pkextract(1))", (int)len, list);
			return -1;
		}
		if (p->nsel == PRINT_MAXSEL) {
			snprintf(err, errlen, "too many fields");
			return -1;
		}
		p->sel[p->nsel++] = i;
		list += len;
		if (*list == ',')
			list++;
	}
	if (p->nsel == 0) {
		for (i = 0; i < NFIELDS; i++)
			p->sel[i] = i;
		p->nsel = NFIELDS;
		p->all = 1;
	}
	return 0;
}

void
printer_free(struct printer *p)
{
	for (int i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	p->nfiles = 0;
}

void
printer_file(struct printer *p, const struct rec_file *f)
{
	int i;
	char *path;

	if (f->path == NULL)
		return;
	path = xstrdup(f->path);
	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].id == f->id)
			break;
	if (i == PRINT_MAXFILES)
		i = (int)(f->id % PRINT_MAXFILES); /* full: forget an old one */
	else if (i == p->nfiles)
		p->nfiles++;
	free(p->files[i].path);
	p->files[i].id = f->id;
	p->files[i].path = path;
}

/* ---- output ---- */

void
print_json_str(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			putc('\\', out);
			putc(ch, out);
		} else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			putc(ch, out);
	}
	putc('"', out);
}

static void
put_csv(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', out);
		putc(*s, out);
	}
	putc('"', out);
}

static void
put_name(FILE *out, const char *name, enum print_fmt fmt)
{
	putc('"', out);
	if (fmt == PF_CLICKHOUSE) {
		if (*name == '@')
			name++;
		for (; *name; name++)
			putc(*name == '.' ? '_' : *name, out);
	} else
		fputs(name, out);
	fputs("\":", out);
}

/* ClickHouse: nanoseconds as a quoted UInt64, as ClickHouse itself writes 64-bit integers */
static void
put_time_ch(FILE *out, uint64_t ts_ns)
{
	char b[24];

	b[0] = '"';
	fmt_u64(b + 1, ts_ns);
	fputs(b, out);
	putc('"', out);
}

static void
print_object(const struct printer *p, const struct ctx *c)
{
	char b[512];
	int first = 1;

	putc('{', p->out);
	for (int i = 0; i < p->nsel; i++) {
		const struct field *fl = &fields[p->sel[i]];
		enum kind k = fl->get(c, b, sizeof b);

		if (k == K_NONE)
			continue;
		if (!first)
			putc(',', p->out);
		first = 0;
		put_name(p->out, fl->name, p->fmt);
		switch (k) {
		case K_TIME:
			if (p->fmt == PF_CLICKHOUSE)
				put_time_ch(p->out, c->pkt->ts_ns);
			else {
				putc('"', p->out);
				print_time(p->out, c->pkt->ts_ns, 1);
				putc('"', p->out);
			}
			break;
		case K_STR:
			print_json_str(p->out, b);
			break;
		case K_ARR:
			putc('[', p->out);
			fputs(b, p->out);
			putc(']', p->out);
			break;
		case K_BOOL:
			/* ClickHouse before 21.12 has no Bool: UInt8 */
			fputs(p->fmt != PF_CLICKHOUSE ? b : b[0] == 't' ? "1" : "0", p->out);
			break;
		default:
			fputs(b, p->out);
		}
	}
	fputs("}\n", p->out);
}

static void
print_csv(struct printer *p, const struct ctx *c)
{
	char b[512];
	int i;

	if (!p->header_done) {
		for (i = 0; i < p->nsel; i++) {
			if (i)
				putc(',', p->out);
			put_csv(p->out, fields[p->sel[i]].name);
		}
		fputs("\r\n", p->out);
		p->header_done = 1;
	}
	for (i = 0; i < p->nsel; i++) {
		enum kind k = fields[p->sel[i]].get(c, b, sizeof b);
		if (i)
			putc(',', p->out);
		if (k == K_TIME)
			print_time(p->out, c->pkt->ts_ns, 1);
		else if (k != K_NONE)
			put_csv(p->out, b);
	}
	fputs("\r\n", p->out);
}

static void
print_text(const struct printer *p, const struct ctx *c)
{
	char b[512];

	if (p->all) {
		print_time(p->out, c->pkt->ts_ns, (c->pkt->flags & PKT_NSEC) != 0);
		putc(' ', p->out);
		print_summary(p->out, c->f, c->pkt->wirelen, c->pkt->caplen);
		putc('\n', p->out);
		return;
	}
	for (int i = 0; i < p->nsel; i++) {
		enum kind k = fields[p->sel[i]].get(c, b, sizeof b);
		if (i)
			putc('\t', p->out);
		if (k == K_TIME)
			print_time(p->out, c->pkt->ts_ns, (c->pkt->flags & PKT_NSEC) != 0);
		else
			fputs(k == K_NONE ? "-" : b, p->out);
	}
	putc('\n', p->out);
}

void
printer_packet(struct printer *p, const struct pk_pkt *pkt, const struct pk_fields *f)
{
	struct pk_fields mine;
	struct pk_ann a;
	struct ctx c;

	if (f == NULL) {
		decode_packet(pkt->linktype, pkt->data, pkt->caplen, &mine);
		f = &mine;
	}
	memset(&c, 0, sizeof c);
	c.pr = p;
	c.pkt = pkt;
	c.f = f;
	if (pkt_ann(pkt, ANN_LOCATION, &a) && a.len >= ANN_LOCATION_LEN) {
		c.have_loc = 1;
		c.loc_file = le32(a.val);
		c.loc_off = le64((const uint8_t *)a.val + 8);
	}
	switch (p->fmt) {
	case PF_TEXT:
		print_text(p, &c);
		break;
	case PF_CSV:
		print_csv(p, &c);
		break;
	case PF_ES: {
		time_t t = (time_t)(pkt->ts_ns / 1000000000u);
		struct tm tm;
		gmtime_r(&t, &tm);
		fprintf(p->out, "{\"index\":{\"_index\":\"packets-%04d-%02d-%02d\"}}\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
		/* FALLTHROUGH */
	case PF_JSON:
	case PF_CLICKHOUSE:
		print_object(p, &c);
		break;
	}
}
