/*
 * query_compile.c - an expression compiled with libpcap as tcpdump -r
 * compiles it (query.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcapfile.h"
#include "query.h"

int
query_compile(const char *expr, uint32_t linktype, uint32_t snaplen, struct bpf_program *prog, char *err,
    size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	uint8_t h[PCAP_FILEHDR];
	pcap_t *pc;
	FILE *fp;
	int rc = 0;

	/*
	 * Compile as tcpdump -r does: against a savefile handle (an empty
	 * pcap in memory), so that libpcap maps the file's LINKTYPE_ value to
	 * its DLT_ and generates savefile code (DLT_NULL: the BSD address
	 * family values, not this host's), which pcap_open_dead does not.
	 */
	pcapw_filehdr(h, linktype, snaplen ? snaplen : PCAP_SNAPLEN_MAX, 0);
	if ((fp = fmemopen(h, sizeof h, "rb")) == NULL) {
		snprintf(err, errlen, "fmemopen: %s", strerror(errno));
		return -1;
	}
	if ((pc = pcap_fopen_offline(fp, ebuf)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "link type %u: %s", linktype, ebuf);
		return -1;
	}
	if (pcap_compile(pc, prog, expr ? expr : "", 1, 0) < 0) {
		snprintf(err, errlen, "%s", pcap_geterr(pc));
		rc = -1;
	}
	pcap_close(pc);
	return rc;
}
