/*
 * verify.c - pkindex --repair's deep check: an index lists exactly the
 * records of its pcap (indexer.h).
 *
 * The cheap checks (idx_matches_pcap: size, the last record; idx_verify:
 * the index's own records) cannot see an index that covers its pcap's
 * bytes but names fewer records than it holds: one written from a stream
 * that lied, or from a stream of another file.  Reading the pcap's record
 * headers can, and costs a read of the pcap, so --repair does it once per
 * index: for those made since the last repair that finished (its stamp,
 * REPAIR_STAMP in the archive directory; the index's ctime changes when
 * it is renamed into place and cannot be set back).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "idx.h"
#include "indexer.h"
#include "pcapfile.h"
#include "pk.h"

int
verify_records(struct idx *x, const char *pcap, char *errbuf, size_t errlen)
{
	const struct idx_meta *m = idx_get_meta(x);
	struct pcapf pf;
	struct pcapf_rec r;
	char e[1024];
	uint64_t n = 0, off, ts;
	int rc;

	if (pcapf_open(&pf, pcap, e, sizeof e) < 0) {
		snprintf(errbuf, errlen, "%s", e);
		return -1;
	}
	while ((rc = pcapf_next(&pf, &r, e, sizeof e)) == 1) {
		/* a microsecond pcap's times are whole microseconds, as the index keeps them */
		if (n >= m->packets || idx_packet(x, (uint32_t)n, &off, &ts) < 0 || off != r.offset ||
		    ts != r.ts_ns) {
			if (n >= m->packets)
				snprintf(errbuf, errlen, "the pcap has more than the %llu records its index lists",
				    (unsigned long long)m->packets);
			else
				snprintf(errbuf, errlen, "record %llu of the pcap (offset %llu) is not the index's",
				    (unsigned long long)n, (unsigned long long)r.offset);
			pcapf_close(&pf);
			return 0;
		}
		n++;
	}
	pcapf_close(&pf);
	if (rc < 0 && pf.ioerr) {
		snprintf(errbuf, errlen, "%s", e);
		return -1;
	}
	if (n != m->packets) {
		snprintf(errbuf, errlen, "the pcap holds %llu records, its index lists %llu", (unsigned long long)n,
		    (unsigned long long)m->packets);
		return 0;
	}
	return 1;
}

int
stamp_read(const char *dir, struct timespec *t)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, REPAIR_STAMP) >= sizeof path ||
	    stat(path, &st) < 0)
		return -1;
	*t = st.st_mtim;
	return 0;
}

void
stamp_write(const char *dir, const struct timespec *t)
{
	char path[4096];
	struct timespec ts[2];
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, REPAIR_STAMP) >= sizeof path)
		return;
	/* an analyst running --repair cannot write the archive: the next run checks again */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0)
		return;
	ts[0] = ts[1] = *t;
	(void)futimens(fd, ts);
	close(fd);
}

int
stamp_older(const struct timespec *stamp, const char *ipath)
{
	struct stat st;

	if (stat(ipath, &st) < 0)
		return 0;
	return st.st_ctim.tv_sec < stamp->tv_sec ||
	    (st.st_ctim.tv_sec == stamp->tv_sec && st.st_ctim.tv_nsec < stamp->tv_nsec);
}
