/*
 * fuzz_idx - libFuzzer target: reading a damaged index (idx_read.c).
 * An index is a cache that may be cut short or corrupted (a crash, a
 * bad disk, a stray write); pkfind must reject it or read it without a
 * memory error, never trust garbage.
 *
 * At start-up a valid index of 48 varied packets is built (idxb_*) in a
 * temporary directory.  Each input damages a copy of its bytes, chosen by
 * the first byte: 0 = flip bytes at (u32 offset, u8 value) pairs, 1 = cut
 * the file at a u32 offset, 2 = the input itself is the whole file.  Then
 * idx_open; if it accepts the file: the time range, every tag's whole key
 * range and a point lookup, every packet's table entry, and idx_dump.
 * Memory errors are findings; frames inside libdb are Berkeley DB's own
 * (it does not promise to survive corrupt pages: say so, don't chase).
 * Leaks are not looked for: Berkeley DB keeps memory of a handle whose
 * file it found corrupt even after DB->close (seen with a flipped meta
 * page: 8 KiB per rejected file, allocated under idx_open's db->open).
 *
 * pk-fuzz-options: -detect_leaks=0
 */
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "fields.h"
#include "idx.h"
#include "ordset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], pcap_path[128], idx_path[160];
static uint8_t *good;
static size_t goodlen;
static FILE *devnull;

/* a handful of packets with every kind of key */
static void
packet(uint8_t *p, uint32_t *len, unsigned i)
{
	static const uint8_t eth4[] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0 };
	static const uint8_t eth6[] = {
		0x02, 0, 0, 0, 0, 3, 0x02, 0, 0, 0, 0, 4, 0x86, 0xdd,
		0x60, 0, 0, 0, 0, 8, 17, 64,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0, 53, 0xc0, 0, 0, 8, 0, 0 };
	static const uint8_t vlan[] = {
		0x02, 0, 0, 0, 0, 5, 0x02, 0, 0, 0, 0, 6, 0x81, 0x00, 0, 10, 0x08, 0x06,
		0, 1, 8, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 5, 192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 192, 168, 1, 2 };
	/* two MPLS labels (100, then 200 at the bottom) over IPv4 UDP: the mpls keys */
	static const uint8_t mpls[] = {
		0x02, 0, 0, 0, 0, 7, 0x02, 0, 0, 0, 0, 8, 0x88, 0x47, 0x00, 0x06, 0x40, 0x40, 0x00, 0x0c, 0x81, 0x40,
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0 };

	if (i % 4 == 3) {
		memcpy(p, mpls, sizeof mpls);
		p[16] = (uint8_t)(0x40 + (i & 0x30));   /* the outer label varies */
		*len = sizeof mpls;
		return;
	}
	switch (i % 3) {
	case 0:
		memcpy(p, eth4, sizeof eth4);
		p[29] = (uint8_t)(i & 7);        /* source host varies */
		p[37] = (uint8_t)(80 + (i & 3)); /* and the port */
		*len = sizeof eth4;
		break;
	case 1:
		memcpy(p, eth6, sizeof eth6);
		p[37] = (uint8_t)i;
		*len = sizeof eth6;
		break;
	default:
		memcpy(p, vlan, sizeof vlan);
		p[15] = (uint8_t)(10 + (i & 1) * 10);
		*len = sizeof vlan;
		break;
	}
}

static void
setup(void)
{
	struct idx_builder *b;
	struct pk_fields f;
	struct stat st;
	uint8_t p[128];
	uint32_t len;
	uint64_t off = 24;
	char err[512];
	int fd;

	snprintf(dir, sizeof dir, "/tmp/fuzz_idx.%d", (int)getpid());
	if (mkdir(dir, 0700) < 0 && access(dir, W_OK) < 0)
		abort();
	snprintf(pcap_path, sizeof pcap_path, "%s/x.pcap", dir);
	snprintf(idx_path, sizeof idx_path, "%s%s", pcap_path, IDX_SUFFIX);
	unlink(idx_path);
	b = idxb_new(1, 65535, 0);
	for (unsigned i = 0; i < 48; i++) {
		packet(p, &len, i);
		decode_packet(1, p, len, &f);
		idxb_add(b, off, 1700000000000000000ull + i * 1000000ull, len, &f);
		off += 16 + len;
	}
	/* an index records its pcap's modification time: the pcap must be there */
	{
		FILE *pf = fopen(pcap_path, "a");
		if (pf == NULL || fclose(pf) != 0)
			abort();
	}
	if (idxb_write(b, pcap_path, off, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_idx: idxb_write: %s\n", err);
		abort();
	}
	idxb_free(b);
	if ((fd = open(idx_path, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
		abort();
	goodlen = (size_t)st.st_size;
	if ((good = malloc(goodlen)) == NULL || read(fd, good, goodlen) != (ssize_t)goodlen)
		abort();
	close(fd);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
}

static void
write_file(const uint8_t *p, size_t n)
{
	int fd;

	unlink(idx_path);
	if ((fd = open(idx_path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idx *x;
	const struct idx_meta *m;
	struct ordset s;
	uint8_t lo[16], hi[16], *copy;
	uint64_t off, ts;
	char err[512];
	size_t i, cut;

	if (good == NULL)
		setup();
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if ((copy = malloc(goodlen)) == NULL)
			abort();
		memcpy(copy, good, goodlen);
		for (i = 1; i + 5 <= size; i += 5) {
			uint32_t o = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
			    (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
			copy[o % goodlen] = data[i + 4];
		}
		write_file(copy, goodlen);
		free(copy);
		break;
	case 1:
		cut = size >= 5 ? ((uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16) % goodlen : 0;
		write_file(good, cut);
		break;
	default:
		write_file(data + 1, size - 1);
		break;
	}
	if ((x = idx_open(idx_path, err, sizeof err)) == NULL) {
		assert(err[0] != '\0');
		return 0;
	}
	m = idx_get_meta(x);
	if (m->packets > (1u << 20)) {
		/* a forged count passed the checksums; don't allocate for it */
		idx_close(x);
		return 0;
	}
	ordset_init(&s, (uint32_t)m->packets);
	(void)idx_time_range(x, 0, UINT64_MAX, &s, err, sizeof err);
	(void)idx_time_range(x, m->first_ns, m->first_ns + 5000000, &s, err, sizeof err);
	memset(lo, 0, sizeof lo);
	memset(hi, 0xff, sizeof hi);
	for (int tag = 0; tag <= IDX_TAG_MAX + 1; tag++) {
		if (idx_tag_len(tag) == 0)
			continue;
		(void)idx_lookup_range(x, tag, lo, hi, &s, err, sizeof err);
		(void)idx_lookup_range(x, tag, hi, hi, &s, err, sizeof err);
		lo[0] = 10;
		(void)idx_lookup_range(x, tag, lo, lo, &s, err, sizeof err);
		lo[0] = 0;
	}
	for (uint32_t k = 0; k < m->packets; k++)
		(void)idx_packet(x, k, &off, &ts);
	(void)idx_packet(x, (uint32_t)m->packets, &off, &ts);
	(void)idx_dump(x, devnull);
	(void)idx_matches_pcap(x, pcap_path);
	ordset_free(&s);
	idx_close(x);
	return 0;
}
