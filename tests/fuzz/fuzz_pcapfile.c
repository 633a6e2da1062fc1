/*
 * fuzz_pcapfile - libFuzzer target: the classic-pcap reader (pcapf_*),
 * which every pk program uses on files a crash may have left damaged and
 * on offsets that indexes and location streams (which may lie) name.
 *
 * The input is the file (served as a memfd through /proc/self/fd).
 * Invariants: pcapf_next walks whole records and stops with -1 or 0,
 * never past the file; pcapf_read_at(offset) of every record the walk
 * found returns the same record in any order; reading at the offset where
 * the walk stopped gives the same answer twice (the reader does not depend
 * on where a failed read left it); pcapf_read_at at offsets nobody found
 * (from the input's own bytes, around the end of the file, near 2^63 and
 * 2^64) returns a record inside the file or -1, never reads outside its
 * buffers; and the same file read through a pipe (forward only) gives the
 * same records and the same end.
 */
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 256

static uint64_t
hash(const struct pcapf_rec *r)
{
	uint64_t h = 0xcbf29ce484222325ull ^ r->ts_ns ^ ((uint64_t)r->wirelen << 32);

	for (uint32_t i = 0; i < r->caplen; i++)
		h = (h ^ r->data[i]) * 0x100000001b3ull;
	return h ^ r->caplen ^ ((uint64_t)r->disklen << 20);
}

/* a record pcapf returned must lie inside the file and respect the header */
static void
check_rec(const struct pcapf *f, const struct pcapf_rec *r, size_t size)
{
	assert(r->offset >= PCAP_FILEHDR);
	assert(r->offset <= size && size - r->offset >= PCAP_RECHDR);
	assert(r->disklen <= size - r->offset - PCAP_RECHDR);
	assert(r->caplen <= r->disklen && r->caplen <= f->h.snapshot && r->disklen <= f->h.maxcap);
	assert(r->ts_ns <= PCAP_TS_MAX);
	(void)hash(r);
}

/* the same walk through a pipe: same records, same end */
static void
pipe_walk(const uint8_t *data, size_t size, int n, const uint64_t *off, const uint64_t *h, int endrc)
{
	struct pcapf f;
	struct pcapf_rec r;
	char err[512];
	int p[2], i = 0, rc;

	if (size > 60000 || pipe(p) < 0)
		return;
	if (size > 0 && write(p[1], data, size) != (ssize_t)size)
		abort();
	close(p[1]);
	if (pcapf_fdopen(&f, p[0], "pipe", NULL, 0, err, sizeof err) < 0)
		abort();        /* the file opened: so must the pipe */
	while (i < MAXREC && (rc = pcapf_next(&f, &r, err, sizeof err)) == 1) {
		assert(i < n && r.offset == off[i] && hash(&r) == h[i]);
		i++;
	}
	if (i < MAXREC)
		assert(i == n && rc == endrc);
	pcapf_close(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapf f;
	struct pcapf_rec r;
	char err[512], path[64];
	uint64_t off[MAXREC], h[MAXREC], stop, odd[40];
	int fd, rc = 0, n = 0, rc1, rc2, nodd = 0;
	uint64_t h1 = 0, h2 = 0;

	if ((fd = memfd_create("fuzz_pcapfile", 0)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (pcapf_open(&f, path, err, sizeof err) < 0) {
		assert(err[0] != '\0');
		close(fd);
		return 0;
	}
	assert(f.size == size);
	while (n < MAXREC && (rc = pcapf_next(&f, &r, err, sizeof err)) == 1) {
		check_rec(&f, &r, size);
		assert(f.next == pcapf_rec_end(&r));
		off[n] = r.offset;
		h[n++] = hash(&r);
	}
	stop = f.next;
	for (int i = n - 1; i >= 0; i--) {
		assert(pcapf_read_at(&f, off[i], &r, err, sizeof err) == 1);
		assert(r.offset == off[i] && hash(&r) == h[i]);
	}
	/* where the walk stopped: the same answer twice, whatever came before */
	rc1 = pcapf_read_at(&f, stop, &r, err, sizeof err);
	if (rc1 == 1)
		h1 = hash(&r);
	if (n > 0)
		(void)pcapf_read_at(&f, off[0], &r, err, sizeof err);
	rc2 = pcapf_read_at(&f, stop, &r, err, sizeof err);
	if (rc2 == 1)
		h2 = hash(&r);
	assert(rc1 == rc2 && h1 == h2);
	rc1 = pcapf_read_at(&f, stop, &r, err, sizeof err);
	assert(rc1 == rc2);
	/* offsets nobody found: what an index or a location stream may claim */
	if (size >= 8) {
		odd[nodd++] = le64(data + size - 8);
		odd[nodd++] = UINT64_MAX - (le64(data + size - 8) & 0xff);
	}
	if (size >= 32)
		odd[nodd++] = le64(data + 24);
	for (uint64_t k = 0; k < 18; k++)
		odd[nodd++] = size >= k ? size - k : k;
	odd[nodd++] = UINT64_MAX;
	odd[nodd++] = UINT64_MAX - PCAP_RECHDR + 1;
	odd[nodd++] = 0xfffffffffffffff8ull;
	odd[nodd++] = (uint64_t)INT64_MAX;
	odd[nodd++] = (uint64_t)INT64_MAX - PCAP_RECHDR;
	odd[nodd++] = 1ull << 63;
	odd[nodd++] = 0;
	odd[nodd++] = n > 0 ? off[n - 1] + 1 : 25;
	for (int i = 0; i < nodd; i++) {
		/* after a record at a true offset, and cold */
		if (n > 0 && (i & 1))
			(void)pcapf_read_at(&f, off[n - 1], &r, err, sizeof err);
		pcapf_hint(&f, i % 3 == 0 ? odd[i] + 4096 : 0);
		if (pcapf_read_at(&f, odd[i], &r, err, sizeof err) == 1) {
			check_rec(&f, &r, size);
			assert(r.offset == odd[i]);
		} else
			assert(err[0] != '\0');
	}
	pcapf_hint(&f, 0);
	pcapf_close(&f);
	close(fd);
	if (n < MAXREC)
		pipe_walk(data, size, n, off, h, rc);
	return 0;
}
