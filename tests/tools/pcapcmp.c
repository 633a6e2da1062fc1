/*
 * pcapcmp - read a classic pcap with libpcap and with pk's reader
 * (libcommon/io/pcapfile.c) and compare them record by record: offset,
 * time, caplen, len, the bytes, and where and how each stops.
 *
 * usage: pcapcmp [-p] FILE
 *   -p  pk reads the file through a pipe (forward only), not by pread
 *
 * libpcap 1.10 gives a classic file's seconds and fraction as signed
 * 32-bit numbers; the file holds them unsigned (pcap-savefile(5)), and
 * pk takes them so: the comparison reads libpcap's back as unsigned.
 * Prints one line, "N records agree, ...".  Exit 0 agree, 1 differ, 2
 * pk refuses a file libpcap reads (the line says why), 64 usage.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pk.h"

static int
pipe_of(const char *path, pid_t *pid)
{
	int p[2], fd;

	if (pipe(p) < 0)
		err(1, "pipe");
	if ((*pid = fork()) < 0)
		err(1, "fork");
	if (*pid == 0) {
		char b[4096];
		ssize_t n;

		close(p[0]);
		if ((fd = open(path, O_RDONLY)) < 0)
			_exit(1);
		/* small, uneven writes: records straddle what one read gets */
		while ((n = read(fd, b, 1 + (size_t)(rand() % (int)sizeof b))) > 0)
			if (write(p[1], b, (size_t)n) != n)
				_exit(0);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

int
main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE], e[1024];
	struct pcapf f;
	struct pcapf_rec r;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0, off;
	int usepipe = 0, c, lrc, prc, fd;
	pid_t pid = 0;
	pcap_t *p;
	FILE *fp;

	while ((c = getopt(argc, argv, "p")) != -1) {
		if (c != 'p')
			errx(64, "usage: pcapcmp [-p] FILE");
		usepipe = 1;
	}
	if (optind + 1 != argc)
		errx(64, "usage: pcapcmp [-p] FILE");
	signal(SIGPIPE, SIG_IGN);
	if ((fp = fopen(argv[optind], "rb")) == NULL)
		err(1, "%s", argv[optind]);
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (usepipe) {
		fd = pipe_of(argv[optind], &pid);
		prc = pcapf_fdopen(&f, fd, argv[optind], NULL, 0, e, sizeof e);
	} else
		prc = pcapf_open(&f, argv[optind], e, sizeof e);
	if (p == NULL || prc < 0) {
		if (p == NULL && prc < 0) {
			printf("0 records agree, both refuse the file: libpcap: %s; pk: %s\n", ebuf, e);
			return 0;
		}
		if (p == NULL) {
			printf("pk reads a file libpcap refuses (%s)\n", ebuf);
			return 1;
		}
		printf("pk refuses a file libpcap reads: %s\n", e);
		return 2;
	}
	for (;;) {
		off = (uint64_t)ftello(fp);
		lrc = pcap_next_ex(p, &h, &data);
		prc = pcapf_next(&f, &r, e, sizeof e);
		if (lrc != 1 || prc != 1)
			break;
		uint32_t sec = (uint32_t)h->ts.tv_sec;
		uint32_t frac = f.nsec ? (uint32_t)h->ts.tv_usec : (uint32_t)(h->ts.tv_usec / 1000);
		uint64_t ts = (uint64_t)sec * 1000000000u + (f.nsec ? frac : (uint64_t)frac * 1000u);

		if (r.offset != off || r.ts_ns != ts || r.caplen != h->caplen || r.wirelen != h->len ||
		    memcmp(r.data, data, h->caplen) != 0 || pcapf_rec_end(&r) != (uint64_t)ftello(fp)) {
			printf("record %llu differs: libpcap offset %llu time %llu caplen %u len %u; "
			    "pk offset %llu time %llu caplen %u len %u disklen %u\n", (unsigned long long)n,
			    (unsigned long long)off, (unsigned long long)ts, h->caplen, h->len,
			    (unsigned long long)r.offset, (unsigned long long)r.ts_ns, r.caplen, r.wirelen, r.disklen);
			return 1;
		}
		/* the same record again, by its offset */
		if (!usepipe) {
			struct pcapf_rec again;
			uint64_t next = f.next;

			if (pcapf_read_at(&f, off, &again, e, sizeof e) != 1 || again.ts_ns != ts ||
			    again.caplen != h->caplen || memcmp(again.data, data, h->caplen) != 0) {
				printf("record %llu at offset %llu: pcapf_read_at differs (%s)\n", (unsigned long long)n,
				    (unsigned long long)off, e);
				return 1;
			}
			f.next = next;
		}
		n++;
	}
	if ((lrc == PCAP_ERROR_BREAK) != (prc == 0) || (lrc == PCAP_ERROR) != (prc < 0)) {
		printf("after %llu records: libpcap %s (%s), pk %s (%s)\n", (unsigned long long)n,
		    lrc == 1 ? "has another" : lrc == PCAP_ERROR_BREAK ? "ends" : "fails",
		    lrc == PCAP_ERROR ? pcap_geterr(p) : "", prc == 1 ? "has another" : prc == 0 ? "ends" : "fails",
		    prc < 0 ? e : "");
		return 1;
	}
	if (lrc == PCAP_ERROR)
		printf("%llu records agree, both stop: libpcap: %s; pk: %s\n", (unsigned long long)n, pcap_geterr(p), e);
	else
		printf("%llu records agree, both end cleanly\n", (unsigned long long)n);
	pcap_close(p);
	pcapf_close(&f);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return 0;
}
