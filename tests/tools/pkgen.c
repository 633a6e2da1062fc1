/*
 * pkgen - write a deterministic classic pcap file of varied, well-formed
 * packets for the test suites (no capture, no network, no ../shared).
 *
 * usage: pkgen [-EN] [-n COUNT] [-l LINKTYPE] [-t START] [-i INTERVAL_US]
 *              [-s SEED] [-S SNAPLEN] [-m MIX] FILE|-
 *
 * The same options always give the same bytes.  Packets rotate through the
 * kinds named in MIX (default "all"); hosts, ports, flags and payload sizes
 * come from a seeded PRNG over small pools so that tests can query them:
 *   IPv4  10.0.0.1-20, 192.168.1.1-20     IPv6  2001:db8::1-20
 *   MAC   02:00:00:00:00:01-06            VLAN  10, 20 (QinQ outer 100)
 *   MPLS  mplsx (by name only): 1-3 labels of 100, 200, 300, some under VLAN 10
 *   ports 80 443 445 22 / 53 123 5353 / ephemeral 32768-60999
 * -E writes a big-endian file, -N nanosecond timestamps, -S truncates
 * packets to SNAPLEN (recorded in the file header).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bufio.h"
#include "pcapfile.h"
#include "pk.h"

enum kind {
	K_TCP, K_UDP, K_ICMP, K_TCP6, K_UDP6, K_ICMP6, K_ARP, K_VLAN, K_QINQ,
	K_MPLS, K_MPLS2, K_FRAG, K_FRAG2, K_IP6EXT, K_SCTP,
	K_ALL,                  /* the kinds of "all"; those below only by name */
	K_MPLSX = K_ALL, K_NKINDS
};
static const char *const kind_names[K_NKINDS] = {
	"tcp", "udp", "icmp", "tcp6", "udp6", "icmp6", "arp", "vlan", "qinq",
	"mpls", "mpls2", "frag", "frag2", "ip6ext", "sctp", "mplsx"
};

#define PKT_MAX 1600

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	/* splitmix64: tiny, good enough, and the same everywhere */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint32_t
pick(uint32_t n)
{
	return rnd() % n;
}

static void
ip4_host(uint8_t *a)
{
	uint32_t h = pick(40);

	if (h < 20) { a[0] = 10; a[1] = 0; a[2] = 0; a[3] = (uint8_t)(h + 1); }
	else { a[0] = 192; a[1] = 168; a[2] = 1; a[3] = (uint8_t)(h - 19); }
}

static void
ip6_host(uint8_t *a)
{
	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
	a[15] = (uint8_t)(pick(20) + 1);
}

static void
mac_host(uint8_t *a)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(a, base, 6);
	a[5] = (uint8_t)(pick(6) + 1);
}

static uint16_t
port_server(void)
{
	static const uint16_t p[] = { 80, 443, 445, 22 };
	return p[pick(4)];
}

static uint16_t
port_udp(void)
{
	static const uint16_t p[] = { 53, 123, 5353 };
	return p[pick(3)];
}

static uint16_t
port_eph(void)
{
	return (uint16_t)(32768 + pick(60999 - 32768 + 1));
}

static uint32_t
payload_len(uint32_t max)
{
	uint32_t n = pick(4) == 0 ? 0 : pick(1401);
	return n > max ? max : n;
}

static void
payload(uint8_t *p, uint32_t n)
{
	uint32_t i, x = rnd();

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(x + i * 7);
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* L4 checksum at l4[off] over the pseudo header (src, dst of alen bytes). */
static void
l4_csum(const uint8_t *src, const uint8_t *dst, int alen, uint8_t proto, uint8_t *l4, size_t len,
    size_t off)
{
	uint32_t sum = 0;
	uint16_t c;

	sum = csum_add(sum, src, (size_t)alen);
	sum = csum_add(sum, dst, (size_t)alen);
	sum += proto;
	sum += (uint32_t)len;
	putbe16(l4 + off, 0);
	sum = csum_add(sum, l4, len);
	c = csum_fold(sum);
	if (c == 0 && proto == 17)
		c = 0xffff;
	putbe16(l4 + off, c);
}

/* A transport header + payload at p; returns its length. */
static size_t
l4_build(uint8_t proto, uint8_t *p, uint32_t maxpay, int v6)
{
	uint32_t n = payload_len(maxpay);
	static const uint8_t tflags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x19, 0x29 };

	switch (proto) {
	case 6: {
		int toserver = pick(2);
		uint8_t fl = tflags[pick(sizeof tflags)];
		putbe16(p, toserver ? port_eph() : port_server());
		putbe16(p + 2, toserver ? port_server() : port_eph());
		putbe32(p + 4, rnd());
		putbe32(p + 8, (fl & 0x10) ? rnd() : 0);
		p[12] = 5 << 4;
		p[13] = fl;
		putbe16(p + 14, 65535);
		putbe16(p + 16, 0);
		putbe16(p + 18, (fl & 0x20) ? 1 : 0);
		if (fl & 0x06)
			n = 0;
		payload(p + 20, n);
		return 20 + n;
	}
	case 17: {
		int toserver = pick(2);
		uint16_t sp = port_udp();
		n = n > 512 ? n / 3 : n;
		putbe16(p, toserver ? port_eph() : sp);
		putbe16(p + 2, toserver ? sp : port_eph());
		putbe16(p + 4, (uint16_t)(8 + n));
		putbe16(p + 6, 0);
		payload(p + 8, n);
		return 8 + n;
	}
	case 1: case 58:
		p[0] = (uint8_t)(v6 ? (pick(2) ? 128 : 129) : (pick(2) ? 8 : 0));
		p[1] = 0;
		putbe16(p + 2, 0);
		putbe16(p + 4, (uint16_t)pick(65536));
		putbe16(p + 6, (uint16_t)pick(100));
		n = n > 56 ? 56 : n;
		payload(p + 8, n);
		return 8 + n;
	case 132: {
		/* common header + one DATA chunk */
		uint32_t dl = n > 200 ? 200 : n < 4 ? 4 : n;
		uint32_t cl = 16 + dl;
		putbe16(p, 7777);
		putbe16(p + 2, 7777);
		putbe32(p + 4, rnd());
		putbe32(p + 8, 0);
		p[12] = 0;               /* DATA */
		p[13] = 3;               /* B|E */
		putbe16(p + 14, (uint16_t)cl);
		putbe32(p + 16, rnd());  /* TSN */
		putbe16(p + 20, 0);
		putbe16(p + 22, 0);
		putbe32(p + 24, 0);      /* PPID */
		payload(p + 28, dl);
		memset(p + 12 + cl, 0, (4 - cl % 4) % 4);
		return 12 + cl + (4 - cl % 4) % 4;
	}
	}
	return 0;
}

static void
ip4_header(uint8_t *h, uint8_t proto, size_t l4len, const uint8_t *src, const uint8_t *dst,
    uint16_t id, uint16_t frag)
{
	h[0] = 0x45;
	h[1] = 0;
	putbe16(h + 2, (uint16_t)(20 + l4len));
	putbe16(h + 4, id);
	putbe16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	putbe16(h + 10, 0);
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	putbe16(h + 10, csum_fold(csum_add(0, h, 20)));
}

/* An IPv4 packet carrying proto; returns its length. */
static size_t
ip4_build(uint8_t *p, uint8_t proto)
{
	uint8_t src[4], dst[4];
	size_t n;

	ip4_host(src);
	do ip4_host(dst); while (!memcmp(src, dst, 4));
	n = l4_build(proto, p + 20, 1400, 0);
	if (proto == 6) l4_csum(src, dst, 4, 6, p + 20, n, 16);
	else if (proto == 17) l4_csum(src, dst, 4, 17, p + 20, n, 6);
	else if (proto == 1) putbe16(p + 22, csum_fold(csum_add(0, p + 20, n)));
	ip4_header(p, proto, n, src, dst, (uint16_t)pick(65536), 0x4000);
	return 20 + n;
}

static size_t
ip6_build(uint8_t *p, uint8_t proto, int ext)
{
	uint8_t *src = p + 8, *dst = p + 24, *l4 = p + 40;
	size_t n, el = 0;

	ip6_host(src);
	do ip6_host(dst); while (!memcmp(src, dst, 16));
	if (ext) {
		/* hop-by-hop (PadN) then an atomic fragment header */
		l4[0] = 44; l4[1] = 0;
		l4[2] = 1; l4[3] = 4; memset(l4 + 4, 0, 4);
		l4[8] = proto; l4[9] = 0;
		putbe16(l4 + 10, 0);
		putbe32(l4 + 12, rnd());
		el = 16;
	}
	n = l4_build(proto, l4 + el, 1400, 1);
	if (proto == 6) l4_csum(src, dst, 16, 6, l4 + el, n, 16);
	else if (proto == 17) l4_csum(src, dst, 16, 17, l4 + el, n, 6);
	else if (proto == 58) l4_csum(src, dst, 16, 58, l4 + el, n, 2);
	putbe32(p, 0x60000000u | pick(0x100000));
	putbe16(p + 4, (uint16_t)(el + n));
	p[6] = ext ? 0 : proto;
	p[7] = 64;
	return 40 + el + n;
}

static size_t
arp_build(uint8_t *p, uint8_t *ethdst, const uint8_t *ethsrc)
{
	int reply = pick(2);
	uint8_t spa[4], tpa[4];

	ip4_host(spa);
	do ip4_host(tpa); while (!memcmp(spa, tpa, 4));
	putbe16(p, 1);
	putbe16(p + 2, 0x0800);
	p[4] = 6; p[5] = 4;
	putbe16(p + 6, reply ? 2 : 1);
	memcpy(p + 8, ethsrc, 6);
	memcpy(p + 14, spa, 4);
	if (reply) memcpy(p + 18, ethdst, 6);
	else { memset(p + 18, 0, 6); memset(ethdst, 0xff, 6); }
	memcpy(p + 24, tpa, 4);
	return 28;
}

/* The frame being built: layer-2 parts kept apart so other link types can rewrap. */
struct frame {
	uint8_t dst[6], src[6];
	uint8_t tags[16];       /* VLAN tags / MPLS labels as on the wire, after the MACs */
	size_t taglen;
	uint16_t ethertype;     /* of the l3 part (after the tags) */
	uint16_t outer;         /* ethertype right after the MACs */
	uint8_t l3[PKT_MAX];
	size_t l3len;
	uint16_t l3type;        /* 0x0800, 0x86dd or 0x0806 of l3 */
};

static uint16_t frag_id;
static uint8_t frag_src[4], frag_dst[4];

static void
frame_build(struct frame *f, enum kind k)
{
	uint8_t *t = f->tags;

	memset(f, 0, sizeof *f);
	mac_host(f->src);
	do mac_host(f->dst); while (!memcmp(f->src, f->dst, 6));
	f->l3type = 0x0800;
	switch (k) {
	case K_TCP: f->l3len = ip4_build(f->l3, 6); break;
	case K_UDP: f->l3len = ip4_build(f->l3, 17); break;
	case K_ICMP: f->l3len = ip4_build(f->l3, 1); break;
	case K_SCTP: f->l3len = ip4_build(f->l3, 132); break;
	case K_TCP6: f->l3len = ip6_build(f->l3, 6, 0); f->l3type = 0x86dd; break;
	case K_UDP6: f->l3len = ip6_build(f->l3, 17, 0); f->l3type = 0x86dd; break;
	case K_ICMP6: f->l3len = ip6_build(f->l3, 58, 0); f->l3type = 0x86dd; break;
	case K_IP6EXT: f->l3len = ip6_build(f->l3, pick(2) ? 17 : 6, 1); f->l3type = 0x86dd; break;
	case K_ARP: f->l3len = arp_build(f->l3, f->dst, f->src); f->l3type = 0x0806; break;
	case K_VLAN:
		putbe16(t, (uint16_t)(pick(8) << 13 | (pick(2) ? 10 : 20)));
		putbe16(t + 2, 0x0800);
		f->taglen = 4;
		f->outer = 0x8100;
		f->l3len = ip4_build(f->l3, pick(2) ? 6 : 17);
		break;
	case K_QINQ:
		putbe16(t, 100);
		putbe16(t + 2, 0x8100);
		putbe16(t + 4, pick(2) ? 10 : 20);
		putbe16(t + 6, 0x0800);
		f->taglen = 8;
		f->outer = 0x88a8;
		f->l3len = ip4_build(f->l3, pick(2) ? 6 : 17);
		break;
	case K_MPLS:
		putbe32(t, (uint32_t)(16 + pick(1000)) << 12 | 1u << 8 | 64);
		f->taglen = 4;
		f->outer = 0x8847;
		f->l3len = ip4_build(f->l3, pick(2) ? 6 : 17);
		break;
	case K_MPLS2:
		putbe32(t, (uint32_t)(16 + pick(1000)) << 12 | 64);
		putbe32(t + 4, (uint32_t)(2000 + pick(1000)) << 12 | 1u << 8 | 64);
		f->taglen = 8;
		f->outer = 0x8847;
		f->l3len = ip4_build(f->l3, pick(2) ? 6 : 17);
		break;
	case K_MPLSX: {
		/*
		 * 1-3 labels from 100, 200, 300 (pkfind's "mpls N" rows), IPv4
		 * or IPv6 (UDP or TCP) below, a third of them under VLAN 10
		 */
		static const uint32_t lab[3] = { 100, 200, 300 };
		int depth = 1 + (int)pick(3), v6 = pick(2), vlan = pick(3) == 0, i;

		if (vlan) {
			putbe16(t, 10);
			putbe16(t + 2, 0x8847);
			t += 4;
			f->taglen = 4;
		}
		for (i = 0; i < depth; i++)
			putbe32(t + 4 * i, lab[pick(3)] << 12 | (i == depth - 1 ? 1u << 8 : 0) | 64);
		f->taglen += 4 * (size_t)depth;
		f->outer = vlan ? 0x8100 : 0x8847;
		if (v6) {
			f->l3len = ip6_build(f->l3, pick(2) ? 6 : 17, 0);
			f->l3type = 0x86dd;
		} else
			f->l3len = ip4_build(f->l3, pick(2) ? 6 : 17);
		break;
	}
	case K_FRAG: {
		/* first fragment: UDP header + 64 bytes, more fragments follow */
		uint8_t *u = f->l3 + 20;
		frag_id = (uint16_t)pick(65536);
		ip4_host(frag_src);
		do ip4_host(frag_dst); while (!memcmp(frag_src, frag_dst, 4));
		putbe16(u, port_eph());
		putbe16(u + 2, port_udp());
		putbe16(u + 4, 8 + 64 + 200);
		putbe16(u + 6, 0);
		payload(u + 8, 64);
		ip4_header(f->l3, 17, 72, frag_src, frag_dst, frag_id, 0x2000);
		f->l3len = 92;
		break;
	}
	case K_FRAG2:
		/* the rest of the last first fragment: offset 72 bytes = 9 units */
		if (frag_id == 0 && frag_src[0] == 0) {
			frag_id = 1;
			memcpy(frag_src, (const uint8_t[]){ 10, 0, 0, 1 }, 4);
			memcpy(frag_dst, (const uint8_t[]){ 10, 0, 0, 2 }, 4);
		}
		payload(f->l3 + 20, 200);
		ip4_header(f->l3, 17, 200, frag_src, frag_dst, frag_id, 9);
		f->l3len = 220;
		break;
	case K_NKINDS:
		break;
	}
	f->ethertype = f->l3type;
	if (f->taglen == 0)
		f->outer = f->l3type;
}

/* Wrap f for linktype into out; returns the length, 0 if it cannot be carried. */
static size_t
frame_wrap(const struct frame *f, uint32_t linktype, uint8_t *out)
{
	size_t n = 0;
	/* cooked captures: decoders know 0x8100 after the header, not 0x88a8 */
	uint16_t outer = linktype != 1 && f->outer == 0x88a8 ? 0x8100 : f->outer;

	switch (linktype) {
	case 1:
		memcpy(out, f->dst, 6);
		memcpy(out + 6, f->src, 6);
		putbe16(out + 12, f->outer);
		memcpy(out + 14, f->tags, f->taglen);
		n = 14 + f->taglen;
		break;
	case 113:
		putbe16(out, f->dst[0] == 0xff ? 1 : (f->src[5] & 1) ? 4 : 0);
		putbe16(out + 2, 1);
		putbe16(out + 4, 6);
		memcpy(out + 6, f->src, 6);
		memset(out + 12, 0, 2);
		putbe16(out + 14, outer);
		memcpy(out + 16, f->tags, f->taglen);
		n = 16 + f->taglen;
		break;
	case 276:
		putbe16(out, outer);
		putbe16(out + 2, 0);
		putbe32(out + 4, 2);
		putbe16(out + 8, 1);
		out[10] = f->dst[0] == 0xff ? 1 : (f->src[5] & 1) ? 4 : 0;
		out[11] = 6;
		memcpy(out + 12, f->src, 6);
		memset(out + 18, 0, 2);
		memcpy(out + 20, f->tags, f->taglen);
		n = 20 + f->taglen;
		break;
	case 101:
		if (f->l3type == 0x0806)
			return 0;
		break;
	case 0:
		if (f->l3type == 0x0806)
			return 0;
		/* host byte order, as BSD writes it; 24 = AF_INET6 on NetBSD/OpenBSD */
		put32(out, f->l3type == 0x0800 ? 2 : 24);
		n = 4;
		break;
	default:
		return 0;
	}
	memcpy(out + n, f->l3, f->l3len);
	return n + f->l3len;
}

static int
mix_parse(const char *s, int *kinds)
{
	char *copy, *tok, *p;
	int n = 0, k;

	if (strcmp(s, "all") == 0) {
		for (k = 0; k < K_ALL; k++)
			kinds[n++] = k;
		return n;
	}
	copy = xstrdup(s);
	for (p = copy; (tok = strsep(&p, ",")) != NULL;) {
		for (k = 0; k < K_NKINDS; k++)
			if (strcmp(tok, kind_names[k]) == 0)
				break;
		if (k == K_NKINDS)
			errx(EX_USAGE, "unknown kind in -m: %s", tok);
		if (n < 64)
			kinds[n++] = k;
	}
	free(copy);
	return n;
}

static void
put32e(uint8_t *p, uint32_t v, int big)
{
	if (big) putbe32(p, v); else put32(p, v);
}

static void
usage(void)
{
	fprintf(stderr, "usage: pkgen [-EN] [-n COUNT] [-l LINKTYPE] [-t START] [-i INTERVAL_US] [-s SEED]\n"
	    "             [-S SNAPLEN] [-m MIX] FILE|-\n"
	    "  LINKTYPE 1 (EN10MB), 113 (SLL), 276 (SLL2), 101 (RAW), 0 (NULL)\n"
	    "  MIX all, or a comma list of: tcp udp icmp tcp6 udp6 icmp6 arp vlan qinq\n"
	    "      mpls mpls2 frag frag2 ip6ext sctp mplsx (not in all: 1-3 labels of 100, 200, 300)\n");
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	long long count = 100, start = 1700000000, interval = 1000, seed = 1, snaplen = PCAP_SNAPLEN_MAX;
	long long linktype = 1;
	int nsec = 0, big = 0, kinds[64], nkinds, c, fd;
	const char *mix = "all", *e = NULL;
	struct bufout o;
	struct frame f;
	uint8_t pkt[PKT_MAX + 64], h[PCAP_FILEHDR];
	uint64_t ts, i;
	long long produced;

	pk_init(argv[0]);
	while ((c = getopt(argc, argv, "ENn:l:t:i:s:S:m:")) != -1) {
		switch (c) {
		case 'E': big = 1; break;
		case 'N': nsec = 1; break;
		case 'n': count = strtonum(optarg, 0, 100000000, &e); break;
		case 'l': linktype = strtonum(optarg, 0, 300, &e); break;
		case 't': start = strtonum(optarg, 0, 4000000000LL, &e); break;
		case 'i': interval = strtonum(optarg, 0, 3600000000LL, &e); break;
		case 's': seed = strtonum(optarg, 0, LLONG_MAX, &e); break;
		case 'S': snaplen = strtonum(optarg, 1, PCAP_SNAPLEN_MAX, &e); break;
		case 'm': mix = optarg; break;
		default: usage();
		}
		if (e != NULL)
			errx(EX_USAGE, "-%c %s: %s", c, optarg, e);
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (linktype != 1 && linktype != 113 && linktype != 276 && linktype != 101 && linktype != 0)
		errx(EX_USAGE, "-l %lld: link type must be 1, 113, 276, 101 or 0", linktype);
	nkinds = mix_parse(mix, kinds);
	for (c = 0; c < nkinds && kinds[c] == K_ARP; c++)
		;
	if (c == nkinds && (linktype == 101 || linktype == 0))
		errx(EX_USAGE, "link type %lld cannot carry ARP", linktype);
	if (strcmp(argv[0], "-") == 0)
		fd = STDOUT_FILENO;
	else if ((fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		err(EX_CANTCREAT, "%s", argv[0]);
	rng_state = (uint64_t)seed * 0x2545f4914f6cdd1dull + 1;
	bufout_init(&o, fd, BUFIO_SIZE);

	pcapw_filehdr(h, (uint32_t)linktype, (uint32_t)snaplen, nsec);
	if (big) {
		put32e(h, nsec ? PCAP_MAGIC_NS : PCAP_MAGIC_US, 1);
		putbe16(h + 4, 2); putbe16(h + 6, 4);
		put32e(h + 16, (uint32_t)snaplen, 1);
		put32e(h + 20, (uint32_t)linktype, 1);
	}
	if (bufout_write(&o, h, sizeof h) < 0)
		errc(EX_IOERR, o.err, "%s", argv[0]);
	ts = (uint64_t)start * 1000000000u;
	for (i = 0, produced = 0; produced < count; i++) {
		size_t len;
		uint32_t cap, jit;
		uint64_t t;
		uint8_t rh[PCAP_RECHDR];

		frame_build(&f, kinds[i % (uint64_t)nkinds]);
		if ((len = frame_wrap(&f, (uint32_t)linktype, pkt)) == 0)
			continue;
		/* jitter below half the interval keeps time monotonic */
		jit = interval > 1 ? pick((uint32_t)(interval / 2)) : 0;
		t = ts + (uint64_t)produced * (uint64_t)interval * 1000u + (uint64_t)jit * 1000u;
		if (nsec)
			t += 1 + pick(999);
		cap = len > (size_t)snaplen ? (uint32_t)snaplen : (uint32_t)len;
		put32e(rh, (uint32_t)(t / 1000000000u), big);
		put32e(rh + 4, (uint32_t)(nsec ? t % 1000000000u : t % 1000000000u / 1000u), big);
		put32e(rh + 8, cap, big);
		put32e(rh + 12, (uint32_t)len, big);
		if (bufout_write(&o, rh, sizeof rh) < 0 || bufout_write(&o, pkt, cap) < 0)
			errc(EX_IOERR, o.err, "%s", argv[0]);
		produced++;
	}
	if (bufout_flush(&o) < 0)
		errc(EX_IOERR, o.err, "%s", argv[0]);
	if (fd != STDOUT_FILENO && close(fd) < 0)
		err(EX_IOERR, "%s", argv[0]);
	bufout_free(&o);
	return EX_OK;
}
