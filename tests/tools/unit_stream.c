/*
 * unit_stream - unit tests of libcommon's stream reader and writer.
 *
 *   unit_stream roundtrip   records of every type survive write + read
 *   unit_stream resync      garbage before and between records is skipped
 *   unit_stream truncated   a record cut short at the end is reported
 *   unit_stream pcapmagic   a pcap file on input is refused with the pkread hint
 *   unit_stream big         a 256 KiB packet crosses buffer boundaries intact
 *
 * Prints "ok NAME" or "FAIL NAME: why" and exits 0 or 1.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fields.h"
#include "pk.h"
#include "stream.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __func__, __LINE__); \
	printf(__VA_ARGS__); printf("\n"); failures++; return; } } while (0)

/* a temporary file holding what the writer wrote; returns an fd at offset 0 */
static int
tmpfd(void)
{
	char path[] = "/tmp/unit_stream.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		err(1, "mkstemp");
	unlink(path);
	return fd;
}

static void
write_sample(struct stream_out *so, uint32_t npkt)
{
	uint8_t data[1500];
	struct pk_fields f;
	uint8_t fw[FIELDS_WIRELEN];
	uint8_t loc[ANN_LOCATION_LEN];
	struct rec_file close = { .id = 7, .flags = FCLOSE_GAP, .packets = npkt, .bytes = 999,
	    .first_ns = 1, .last_ns = 2, .path = "/a/final.pcap" };
	struct rec_stats st = { .ts_ns = 5, .recv = 10, .drop = 2, .ifdrop = 1, .source = 0,
	    .flags = STATS_FINAL, .name = "eth0" };
	struct rec_loc l = { .file = 7, .offset = 24, .ts_ns = 123 };
	struct rec_filter flt = { .flags = FILTER_APPLY, .start_ns = 1, .end_ns = 9, .expr = "tcp port 80" };

	memset(&f, 0, sizeof f);
	f.present = FLD_IP4 | FLD_PORTS;
	f.sport = 443;
	f.dport = 51000;
	f.src[0] = 10;
	fields_encode(&f, fw);
	sout_file_open(so, 7, 1, 65535, FOPEN_NSEC, "/a/b.pcap.part");
	for (uint32_t i = 0; i < npkt; i++) {
		struct pk_pkt p = { .ts_ns = 1000000000ull * i + i, .caplen = i % 1500, .wirelen = 1500,
		    .linktype = 1, .source = 0, .flags = PKT_NSEC, .data = data };
		struct pk_ann ann[2];
		for (uint32_t k = 0; k < p.caplen; k++)
			data[k] = (uint8_t)(i + k);
		put32(loc, 7);
		put32(loc + 4, 0);
		put64(loc + 8, 24 + (uint64_t)i * 100);
		ann[0] = (struct pk_ann){ ANN_LOCATION, ANN_LOCATION_LEN, loc };
		ann[1] = (struct pk_ann){ ANN_FIELDS, FIELDS_WIRELEN, fw };
		if (sout_packet(so, &p, ann, i % 3 == 0 ? 2 : 1) < 0)
			err(1, "sout_packet");
	}
	sout_file_close(so, &close);
	sout_stats(so, &st);
	sout_loc(so, &l);
	sout_filter(so, &flt);
	sout_note(so, NOTE_TEXT, 7, "hello");
	/* an unknown type must survive as is */
	sout_rec(so, 4242, "unknown body", 12);
	if (sout_flush(so) < 0)
		err(1, "flush");
}

static void
check_sample(int fd, uint32_t npkt, int expect_garbage)
{
	struct stream_in si;
	struct pk_rec r;
	uint32_t pkts = 0, types = 0;
	int rc;

	sin_init(&si, fd, "sample");
	while ((rc = sin_next(&si, &r)) == SIN_RECORD) {
		struct pk_pkt p;
		struct pk_ann a;
		struct rec_file f;
		struct rec_stats st;
		struct rec_loc l;
		struct rec_filter flt;
		struct rec_note n;
		struct pk_fields fl;

		switch (r.type) {
		case REC_HEADER:
			types |= 1;
			break;
		case REC_PACKET:
			CHECK(pkt_parse(&r, &p) == 0, "packet %u does not parse", pkts);
			CHECK(p.ts_ns == 1000000000ull * pkts + pkts, "ts of packet %u", pkts);
			CHECK(p.caplen == pkts % 1500, "caplen of packet %u", pkts);
			for (uint32_t k = 0; k < p.caplen; k++)
				CHECK(p.data[k] == (uint8_t)(pkts + k), "byte %u of packet %u", k, pkts);
			CHECK(pkt_ann(&p, ANN_LOCATION, &a) && a.len == 16 &&
			    le64((const uint8_t *)a.val + 8) == 24 + (uint64_t)pkts * 100, "location of %u", pkts);
			if (pkts % 3 == 0) {
				CHECK(pkt_ann(&p, ANN_FIELDS, &a) && fields_decode(a.val, a.len, &fl) == 0 &&
				    fl.sport == 443 && fl.dport == 51000 && fl.src[0] == 10, "fields of %u", pkts);
			} else
				CHECK(!pkt_ann(&p, ANN_FIELDS, &a), "unexpected fields on %u", pkts);
			pkts++;
			break;
		case REC_FILE_OPEN:
			CHECK(rec_file_parse(&r, &f) == 0 && f.id == 7 && f.snaplen == 65535 &&
			    strcmp(f.path, "/a/b.pcap.part") == 0, "file open");
			types |= 2;
			break;
		case REC_FILE_CLOSE:
			CHECK(rec_file_parse(&r, &f) == 0 && f.packets == npkt && f.flags == FCLOSE_GAP &&
			    f.path && strcmp(f.path, "/a/final.pcap") == 0, "file close");
			types |= 4;
			break;
		case REC_STATS:
			CHECK(rec_stats_parse(&r, &st) == 0 && st.drop == 2 && strcmp(st.name, "eth0") == 0, "stats");
			types |= 8;
			break;
		case REC_LOCATION:
			CHECK(rec_loc_parse(&r, &l) == 0 && l.offset == 24 && l.ts_ns == 123, "location");
			types |= 16;
			break;
		case REC_FILTER:
			CHECK(rec_filter_parse(&r, &flt) == 0 && strcmp(flt.expr, "tcp port 80") == 0, "filter");
			types |= 32;
			break;
		case REC_NOTE:
			CHECK(rec_note_parse(&r, &n) == 0 && strcmp(n.text, "hello") == 0, "note");
			types |= 64;
			break;
		case 4242:
			CHECK(r.bodylen == 16 && memcmp(r.body, "unknown body", 12) == 0, "unknown type");
			types |= 128;
			break;
		default:
			CHECK(0, "unexpected type %u", r.type);
		}
	}
	CHECK(rc == SIN_EOF, "reader ended with %d", rc);
	CHECK(pkts == npkt, "read %u packets, wrote %u", pkts, npkt);
	CHECK(types == 255, "record types seen: %#x", types);
	CHECK(expect_garbage ? si.garbage > 0 : si.garbage == 0, "garbage %llu", (unsigned long long)si.garbage);
	sin_free(&si);
}

static void
t_roundtrip(void)
{
	struct stream_out so;
	int fd = tmpfd();

	sout_init_raw(&so, fd);
	sout_header(&so, "unit", 0);
	write_sample(&so, 3000);
	lseek(fd, 0, SEEK_SET);
	check_sample(fd, 3000, 0);
	sout_free(&so);
	close(fd);
	if (!failures)
		printf("ok roundtrip\n");
}

static void
t_resync(void)
{
	struct stream_out so;
	int fd = tmpfd();
	/* garbage that even contains the check bytes at odd places */
	static const uint8_t junk[] = { 0x13, 0x00, 0x00, 0x00, 0x02, 0x00, 0x70, 0x6b,
	    0x70, 0x6b, 0xff, 0xff, 0x01, 0x02, 0x03 };
	int before = failures;

	if (write(fd, junk, sizeof junk) != (ssize_t)sizeof junk)
		err(1, "write");
	sout_init_raw(&so, fd);
	sout_header(&so, "unit", 0);
	write_sample(&so, 500);
	lseek(fd, 0, SEEK_SET);
	check_sample(fd, 500, 1);
	sout_free(&so);
	close(fd);
	if (failures == before)
		printf("ok resync\n");
}

static void
t_truncated(void)
{
	struct stream_out so;
	struct stream_in si;
	struct pk_rec r;
	int fd = tmpfd(), n = 0;
	off_t end;

	sout_init_raw(&so, fd);
	sout_header(&so, "unit", 0);
	write_sample(&so, 10);
	end = lseek(fd, 0, SEEK_END);
	CHECK(ftruncate(fd, end - 5) == 0, "ftruncate");
	lseek(fd, 0, SEEK_SET);
	sin_init(&si, fd, "truncated");
	while (sin_next(&si, &r) == SIN_RECORD)
		n++;
	CHECK(si.truncated == 1, "truncation not noticed");
	CHECK(n == 1 + 1 + 10 + 5, "records before the cut: %d", n); /* all but the cut one */
	sin_free(&si);
	sout_free(&so);
	close(fd);
	printf("ok truncated\n");
}

static void
t_pcapmagic(void)
{
	static const uint8_t pcap[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	struct stream_in si;
	struct pk_rec r;
	int fd = tmpfd();

	CHECK(write(fd, pcap, sizeof pcap) == (ssize_t)sizeof pcap, "write");
	lseek(fd, 0, SEEK_SET);
	sin_init(&si, fd, "capture.pcap");
	CHECK(sin_next(&si, &r) == SIN_ERROR, "pcap accepted as a stream");
	sin_free(&si);
	close(fd);
	printf("ok pcapmagic\n");
}

static void
t_big(void)
{
	struct stream_out so;
	struct stream_in si;
	struct pk_rec r;
	struct pk_pkt p;
	static uint8_t data[262144];
	int fd = tmpfd(), n = 0;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	sout_init_raw(&so, fd);
	sout_header(&so, "unit", 0);
	for (int i = 0; i < 9; i++) {
		p = (struct pk_pkt){ .ts_ns = (uint64_t)i, .caplen = sizeof data, .wirelen = sizeof data,
		    .linktype = 1, .data = data };
		CHECK(sout_packet(&so, &p, NULL, 0) == 0, "write big");
	}
	CHECK(sout_flush(&so) == 0, "flush");
	lseek(fd, 0, SEEK_SET);
	sin_init(&si, fd, "big");
	while (sin_next(&si, &r) == SIN_RECORD) {
		if (r.type != REC_PACKET)
			continue;
		CHECK(pkt_parse(&r, &p) == 0 && p.caplen == sizeof data &&
		    memcmp(p.data, data, sizeof data) == 0, "big packet %d differs", n);
		n++;
	}
	CHECK(n == 9, "big packets read: %d", n);
	sin_free(&si);
	sout_free(&so);
	close(fd);
	printf("ok big\n");
}

int
main(int argc, char **argv)
{
	pk_init(argv[0]);
	if (argc != 2)
		errx(EX_USAGE, "usage: unit_stream roundtrip|resync|truncated|pcapmagic|big");
	if (strcmp(argv[1], "roundtrip") == 0)
		t_roundtrip();
	else if (strcmp(argv[1], "resync") == 0)
		t_resync();
	else if (strcmp(argv[1], "truncated") == 0)
		t_truncated();
	else if (strcmp(argv[1], "pcapmagic") == 0)
		t_pcapmagic();
	else if (strcmp(argv[1], "big") == 0)
		t_big();
	else
		errx(EX_USAGE, "unknown test %s", argv[1]);
	return failures ? 1 : 0;
}
