/*
 * session.c - sessions of decoded packets (session.h, pk-sessions(5)).
 *
 * The key is the index's flow tuple (idx_build.c groups packets the same
 * way) with both directions folded onto the smaller byte string, plus the
 * link type.  Sessions live in an array found through an open-addressing
 * hash of their keys; the last session looked up is tried first, since
 * packets of one flow come in bursts.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fields.h"
#include "pk.h"
#include "print.h"
#include "query.h"
#include "session.h"
#include "timeparse.h"

/* key layout (bytes): the a->b orientation is "source first" */
#define K_PRES 0        /* u16 present bits of the key */
#define K_MACS 2        /* 6 source MAC */
#define K_MACD 8        /* 6 destination MAC */
#define K_NVLAN 14
#define K_PROTO 15
#define K_VLAN 16       /* FLD_MAXVLAN x u16 */
#define K_ETYPE 24
#define K_SPORT 26
#define K_DPORT 28
#define K_IPVER 30
#define K_UNSURE 31
#define K_IPS 32        /* 16 */
#define K_IPD 48        /* 16 */
#define K_LT 64         /* u32 link type */

#define KEY_FIELDS (FLD_ETH | FLD_VLAN | FLD_ETHERTYPE | FLD_IP4 | FLD_IP6 | FLD_ARP | FLD_PROTO | FLD_PORTS)

struct sfile {
	char *path;
	uint32_t linktype;
	int judged;
};

struct sess_table {
	struct sess *v;
	size_t n, cap;
	uint32_t *ht;           /* session index + 1; 0 empty */
	size_t htcap;           /* power of two */
	size_t last;            /* the session looked up last, + 1 */
	struct sfile *f;
	uint32_t nf, cf, cur;
	uint64_t packets;
	char *sensor;
};

const char *
sess_sensor_name(void)
{
	static char host[256];
	const char *e = getenv("PK_SENSOR");

	if (e != NULL && *e != '\0')
		return e;
	if (host[0] == '\0' && gethostname(host, sizeof host - 1) < 0)
		strlcpy(host, "localhost", sizeof host);
	return host;
}

struct sess_table *
sess_new(const char *sensor)
{
	struct sess_table *t = xcalloc(1, sizeof *t);

	t->sensor = xstrdup(sensor ? sensor : sess_sensor_name());
	t->htcap = 1024;
	t->ht = xcalloc(t->htcap, sizeof *t->ht);
	return t;
}

void
sess_clear(struct sess_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].files);
	for (i = 0; i < t->nf; i++)
		free(t->f[i].path);
	t->n = 0;
	t->nf = 0;
	t->cur = 0;
	t->last = 0;
	t->packets = 0;
	memset(t->ht, 0, t->htcap * sizeof *t->ht);
}

void
sess_free(struct sess_table *t)
{
	if (t == NULL)
		return;
	sess_clear(t);
	free(t->v);
	free(t->ht);
	free(t->f);
	free(t->sensor);
	free(t);
}

void
sess_file(struct sess_table *t, const char *path, uint32_t linktype, uint32_t snaplen)
{
	uint32_t i;

	for (i = t->nf; i > 0; i--)
		if (strcmp(t->f[i - 1].path, path) == 0) {
			t->cur = i - 1;
			return;
		}
	if (t->nf == t->cf) {
		t->cf = t->cf ? t->cf * 2 : 16;
		t->f = xreallocarray(t->f, t->cf, sizeof *t->f);
	}
	t->f[t->nf].path = xstrdup(path);
	t->f[t->nf].linktype = linktype;
	t->f[t->nf].judged = query_judged(linktype, snaplen);
	t->cur = t->nf++;
}

void
sess_file_update(struct sess_table *t, const char *path, uint32_t snaplen)
{
	struct sfile *f;

	if (t->nf == 0)
		return;
	f = &t->f[t->cur];
	free(f->path);
	f->path = xstrdup(path);
	f->judged = query_judged(f->linktype, snaplen);
}

int
sess_judged(const struct sess_table *t, const struct sess *s)
{
	for (uint32_t i = 0; i < s->nfiles; i++)
		if (!t->f[s->files[i]].judged)
			return 0;
	return 1;
}

/* the packet's tuple, source first */
static void
key_make(const struct pk_fields *f, uint32_t linktype, uint8_t k[SESS_KEYLEN])
{
	memset(k, 0, SESS_KEYLEN);
	putbe16(k + K_PRES, (uint16_t)(f->present & KEY_FIELDS));
	if (f->present & FLD_ETH) {
		memcpy(k + K_MACS, f->mac_src, 6);
		memcpy(k + K_MACD, f->mac_dst, 6);
	}
	if (f->present & FLD_VLAN) {
		int nv = f->nvlan < FLD_MAXVLAN ? f->nvlan : FLD_MAXVLAN;

		k[K_NVLAN] = (uint8_t)nv;
		for (int i = 0; i < nv; i++)
			putbe16(k + K_VLAN + 2 * i, f->vlan[i]);
	}
	if (f->present & FLD_PROTO)
		k[K_PROTO] = f->proto;
	if (f->present & FLD_ETHERTYPE)
		putbe16(k + K_ETYPE, f->ethertype);
	if (f->present & FLD_PORTS) {
		putbe16(k + K_SPORT, f->sport);
		putbe16(k + K_DPORT, f->dport);
	}
	k[K_UNSURE] = (uint8_t)fields_unsure(f);
	if (f->present & (FLD_IP4 | FLD_ARP)) {
		k[K_IPVER] = 4;
		memcpy(k + K_IPS, f->src, 4);
		memcpy(k + K_IPD, f->dst, 4);
	} else if (f->present & FLD_IP6) {
		k[K_IPVER] = 6;
		memcpy(k + K_IPS, f->src, 16);
		memcpy(k + K_IPD, f->dst, 16);
	}
	put32(k + K_LT, linktype);
}

static void
key_reverse(const uint8_t k[SESS_KEYLEN], uint8_t r[SESS_KEYLEN])
{
	memcpy(r, k, SESS_KEYLEN);
	memcpy(r + K_MACS, k + K_MACD, 6);
	memcpy(r + K_MACD, k + K_MACS, 6);
	memcpy(r + K_SPORT, k + K_DPORT, 2);
	memcpy(r + K_DPORT, k + K_SPORT, 2);
	memcpy(r + K_IPS, k + K_IPD, 16);
	memcpy(r + K_IPD, k + K_IPS, 16);
}

/* FNV-1a, 64 bits */
static uint64_t
key_hash(const uint8_t *k)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < SESS_KEYLEN; i++) {
		h ^= k[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void
ht_grow(struct sess_table *t)
{
	size_t i, j, mask;

	free(t->ht);
	t->htcap *= 2;
	t->ht = xcalloc(t->htcap, sizeof *t->ht);
	mask = t->htcap - 1;
	for (i = 0; i < t->n; i++) {
		for (j = (size_t)t->v[i].flow & mask; t->ht[j]; j = (j + 1) & mask)
			;
		t->ht[j] = (uint32_t)(i + 1);
	}
}

/*
 * the session of canonical key k (created if new; swapped: its a->b is
 * the reverse of k), or NULL when the table is full
 */
static struct sess *
lookup(struct sess_table *t, const uint8_t *k, int swapped)
{
	uint64_t h;
	size_t j, mask;
	struct sess *s;

	if (t->last && memcmp(t->v[t->last - 1].key, k, SESS_KEYLEN) == 0)
		return &t->v[t->last - 1];
	h = key_hash(k);
	mask = t->htcap - 1;
	for (j = (size_t)h & mask; t->ht[j]; j = (j + 1) & mask) {
		s = &t->v[t->ht[j] - 1];
		if (s->flow == h && memcmp(s->key, k, SESS_KEYLEN) == 0) {
			t->last = t->ht[j];
			return s;
		}
	}
	if (t->n == UINT32_MAX - 1)
		return NULL;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	s = &t->v[t->n];
	memset(s, 0, sizeof *s);
	memcpy(s->key, k, SESS_KEYLEN);
	s->swapped = swapped;
	s->flow = h;
	s->first_ns = UINT64_MAX;
	t->ht[j] = (uint32_t)(t->n + 1);
	t->last = ++t->n;
	if (t->n * 2 > t->htcap) {
		ht_grow(t);
		s = &t->v[t->n - 1];
	}
	return s;
}

int
sess_add(struct sess_table *t, uint64_t ts_ns, uint32_t wirelen, const struct pk_fields *f)
{
	uint8_t k[SESS_KEYLEN], r[SESS_KEYLEN];
	const uint8_t *canon;
	struct sess *s;
	int fwd, dir;

	if (t->nf == 0)
		sess_file(t, "-", 0, 0);
	key_make(f, t->f[t->cur].linktype, k);
	key_reverse(k, r);
	fwd = memcmp(k, r, SESS_KEYLEN) <= 0;
	canon = fwd ? k : r;
	if ((s = lookup(t, canon, !fwd)) == NULL)
		return -1;
	/* direction 0 (a->b) when the packet runs the way the first one did */
	dir = fwd == !s->swapped ? 0 : 1;
	s->pkts[dir]++;
	s->bytes[dir] += wirelen;
	if (f->present & FLD_TCPFLAGS) {
		s->flags[dir] |= f->tcp_flags;
		s->has_flags = 1;
	}
	if (ts_ns < s->first_ns)
		s->first_ns = ts_ns;
	if (ts_ns > s->last_ns)
		s->last_ns = ts_ns;
	if (s->nfiles == 0 || s->files[s->nfiles - 1] != t->cur) {
		uint32_t i;

		for (i = 0; i < s->nfiles && s->files[i] != t->cur; i++)
			;
		if (i == s->nfiles) {
			if (s->nfiles == s->cfiles) {
				s->cfiles = s->cfiles ? s->cfiles * 2 : 1;
				s->files = xreallocarray(s->files, s->cfiles, sizeof *s->files);
			}
			s->files[s->nfiles++] = t->cur;
		}
	}
	t->packets++;
	return 0;
}

size_t
sess_count(const struct sess_table *t)
{
	return t->n;
}

const struct sess *
sess_get(const struct sess_table *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}

const char *
sess_file_path(const struct sess_table *t, uint32_t file)
{
	return file < t->nf ? t->f[file].path : "";
}

static int
cmp_first(const void *a, const void *b)
{
	const struct sess *x = a, *y = b;

	if (x->first_ns != y->first_ns)
		return x->first_ns < y->first_ns ? -1 : 1;
	if (x->last_ns != y->last_ns)
		return x->last_ns < y->last_ns ? -1 : 1;
	return memcmp(x->key, y->key, SESS_KEYLEN);
}

void
sess_sort(struct sess_table *t, int reverse)
{
	size_t i;

	if (t->n > 1)
		qsort(t->v, t->n, sizeof *t->v, cmp_first);
	if (reverse)
		for (i = 0; i < t->n / 2; i++) {
			struct sess x = t->v[i];

			t->v[i] = t->v[t->n - 1 - i];
			t->v[t->n - 1 - i] = x;
		}
	/* the hash table points into the old order: rebuild it */
	memset(t->ht, 0, t->htcap * sizeof *t->ht);
	t->last = 0;
	for (i = 0; i < t->n; i++) {
		size_t j, mask = t->htcap - 1;

		for (j = (size_t)t->v[i].flow & mask; t->ht[j]; j = (j + 1) & mask)
			;
		t->ht[j] = (uint32_t)(i + 1);
	}
}

void
sess_fields(const struct sess *s, struct sess_fields *o)
{
	uint8_t k[SESS_KEYLEN];
	int i;

	if (s->swapped)
		key_reverse(s->key, k);
	else
		memcpy(k, s->key, SESS_KEYLEN);
	memset(o, 0, sizeof *o);
	o->present = be16(k + K_PRES);
	o->linktype = le32(k + K_LT);
	memcpy(o->mac_a, k + K_MACS, 6);
	memcpy(o->mac_b, k + K_MACD, 6);
	o->nvlan = k[K_NVLAN];
	for (i = 0; i < o->nvlan && i < FLD_MAXVLAN; i++)
		o->vlan[i] = be16(k + K_VLAN + 2 * i);
	o->ethertype = be16(k + K_ETYPE);
	o->ipver = k[K_IPVER];
	memcpy(o->ip_a, k + K_IPS, 16);
	memcpy(o->ip_b, k + K_IPD, 16);
	o->proto = k[K_PROTO];
	o->port_a = be16(k + K_SPORT);
	o->port_b = be16(k + K_DPORT);
	o->unsure = k[K_UNSURE];
}

/* ---- printing ---- */

int
sess_print_json(FILE *out, const struct sess_table *t, const struct sess *s)
{
	struct sess_fields f;
	char a[64], b[64];
	uint32_t i;

	sess_fields(s, &f);
	fputs("{\"sensor\":", out);
	print_json_str(out, t->sensor);
	fputs(",\"files\":[", out);
	for (i = 0; i < s->nfiles; i++) {
		if (i)
			putc(',', out);
		print_json_str(out, sess_file_path(t, s->files[i]));
	}
	fprintf(out, "],\"linktype\":%u,\"judged\":%d,\"unsure\":%d,\"first_ns\":\"%llu\",\"last_ns\":\"%llu\"",
	    f.linktype, sess_judged(t, s), f.unsure, (unsigned long long)s->first_ns, (unsigned long long)s->last_ns);
	if (f.present & FLD_ETH) {
		print_mac(a, f.mac_a);
		print_mac(b, f.mac_b);
		fprintf(out, ",\"mac_a\":\"%s\",\"mac_b\":\"%s\"", a, b);
	}
	if (f.nvlan) {
		fputs(",\"vlans\":[", out);
		for (i = 0; i < f.nvlan; i++)
			fprintf(out, "%s%u", i ? "," : "", f.vlan[i]);
		putc(']', out);
	}
	if (f.present & FLD_ETHERTYPE)
		fprintf(out, ",\"ethertype\":%u", f.ethertype);
	if (f.ipver) {
		print_ip(a, sizeof a, f.ipver, f.ip_a);
		print_ip(b, sizeof b, f.ipver, f.ip_b);
		fprintf(out, ",\"ip_version\":%u,\"ip_a\":\"%s\",\"ip_b\":\"%s\"", f.ipver, a, b);
	}
	if (f.present & FLD_PROTO)
		fprintf(out, ",\"proto\":%u", f.proto);
	if (f.present & FLD_PORTS)
		fprintf(out, ",\"port_a\":%u,\"port_b\":%u", f.port_a, f.port_b);
	fprintf(out, ",\"packets_ab\":%llu,\"bytes_ab\":%llu,\"packets_ba\":%llu,\"bytes_ba\":%llu",
	    (unsigned long long)s->pkts[0], (unsigned long long)s->bytes[0], (unsigned long long)s->pkts[1],
	    (unsigned long long)s->bytes[1]);
	if (s->has_flags)
		fprintf(out, ",\"tcp_flags_ab\":%u,\"tcp_flags_ba\":%u", s->flags[0], s->flags[1]);
	fprintf(out, ",\"flow\":\"%llu\"}\n", (unsigned long long)s->flow);
	return ferror(out) ? -1 : 0;
}

static const char *
proto_name(const struct sess_fields *f, char *b, size_t n)
{
	if (f->present & FLD_ARP)
		return f->ethertype == 0x8035 ? "rarp" : "arp";
	if (f->ipver && (f->present & FLD_PROTO)) {
		switch (f->proto) {
		case 6: return "tcp";
		case 17: return "udp";
		case 132: return "sctp";
		case 1: return f->ipver == 4 ? "icmp" : "ip-proto-1";
		case 58: return f->ipver == 6 ? "icmp6" : "ip-proto-58";
		case 2: return "igmp";
		case 47: return "gre";
		case 50: return "esp";
		case 51: return "ah";
		case 89: return "ospf";
		case 103: return "pim";
		case 112: return "vrrp";
		}
		snprintf(b, n, "ip-proto-%u", f->proto);
		return b;
	}
	if (f->ipver)
		return f->ipver == 6 ? "ip6" : "ip";
	if (f->present & FLD_ETHERTYPE) {
		snprintf(b, n, "ethertype-0x%04x", f->ethertype);
		return b;
	}
	return (f->present & FLD_ETH) ? "802.3" : "unknown";
}

/* an endpoint: address.port as tcpdump -nn writes it, or a MAC address */
static void
fmt_end(char *b, size_t n, const struct sess_fields *f, int side)
{
	char ip[64];

	if (f->ipver) {
		print_ip(ip, sizeof ip, f->ipver, side ? f->ip_b : f->ip_a);
		if (f->present & FLD_PORTS)
			snprintf(b, n, "%s.%u", ip, side ? f->port_b : f->port_a);
		else
			snprintf(b, n, "%s", ip);
	} else if (f->present & FLD_ETH) {
		print_mac(b, side ? f->mac_b : f->mac_a);
	} else {
		snprintf(b, n, "-");
	}
}

int
sess_print_text(FILE *out, const struct sess_table *t, const struct sess *s)
{
	struct sess_fields f;
	char first[40], a[96], b[96], pn[32], fa[12], fb[12];
	uint64_t d = s->last_ns - s->first_ns;
	uint32_t i;

	sess_fields(s, &f);
	time_fmt_iso(s->first_ns, 1, first, sizeof first);
	fmt_end(a, sizeof a, &f, 0);
	fmt_end(b, sizeof b, &f, 1);
	fprintf(out, "%s %llu.%09llus %s %s <> %s: %llu/%llu packets, %llu/%llu bytes", first,
	    (unsigned long long)(d / 1000000000u), (unsigned long long)(d % 1000000000u),
	    proto_name(&f, pn, sizeof pn), a, b, (unsigned long long)s->pkts[0], (unsigned long long)s->pkts[1],
	    (unsigned long long)s->bytes[0], (unsigned long long)s->bytes[1]);
	if (s->has_flags) {
		print_tcpflags(fa, s->flags[0]);
		print_tcpflags(fb, s->flags[1]);
		fprintf(out, ", flags %s/%s", fa, fb);
	}
	for (i = 0; i < f.nvlan; i++)
		fprintf(out, "%s%u", i ? "," : ", vlan ", f.vlan[i]);
	if (f.unsure)
		fputs(", unsure", out);
	fputs(", ", out);
	for (i = 0; i < s->nfiles; i++) {
		if (i)
			putc(' ', out);
		fputs(sess_file_path(t, s->files[i]), out);
	}
	putc('\n', out);
	return ferror(out) ? -1 : 0;
}
