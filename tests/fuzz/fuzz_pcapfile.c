/*
 * fuzz_pcapfile - libFuzzer target: the classic-pcap reader (pcapf_*),
 * which pkindex and pkslice use on archive files that a crash may have
 * left damaged or partial.
 *
 * The input is the file (served as a memfd through /proc/self/fd).
 * Invariants: pcapf_next walks whole records and stops with -1 or 0,
 * never past the file; pcapf_read_at(offset) of every record the walk
 * found returns the same record in any order; reading at the offset where
 * the walk stopped gives the same answer twice (the reader does not depend
 * on where a failed read left the stdio position).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 256

static uint64_t
hash(const struct pcapf_rec *r)
{
	uint64_t h = 0xcbf29ce484222325ull ^ r->ts_ns ^ ((uint64_t)r->wirelen << 32);

	for (uint32_t i = 0; i < r->caplen; i++)
		h = (h ^ r->data[i]) * 0x100000001b3ull;
	return h ^ r->caplen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapf f;
	struct pcapf_rec r;
	char err[512], path[64];
	uint64_t off[MAXREC], h[MAXREC], stop;
	int fd, rc, n = 0, rc1, rc2;
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
		assert(r.offset + PCAP_RECHDR + r.caplen <= size);
		assert(r.caplen <= PCAP_SNAPLEN_MAX);
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
	pcapf_close(&f);
	close(fd);
	return 0;
}
