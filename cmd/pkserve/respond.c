/*
 * respond.c - answers: short text or JSON ones, and the streamed output of
 * a pipeline.
 *
 * A pipeline's answer is queued only once its first bytes (or its end)
 * are there: pkslice reads pkfind's whole stream before it writes, so by
 * then an error (a bad expression, link types a pcap cannot hold) can
 * still be told with its own status, and the coverage line is known for
 * a header.  Then the output is passed on as it is read.  Waiting on the
 * pipe also watches the client's socket: when the peer hangs up the
 * process group is killed at once, whether or not MHD has noticed.
 *
 * A pcap is walked record by record (walk.c) so that the limits
 * (Steno-Limit-*, the server's own) cut it between whole packets.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "pk.h"
#include "serve.h"

enum MHD_Result
respond_text(struct req *r, unsigned status, const char *ctype, const char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	return ret;
}

/* the meaning of pk's exit statuses (pk.h), for JSON errors */
static const char *
exit_name(int code)
{
	switch (code) {
	case EX_OK: return "ok";
	case EX_USAGE: return "usage";
	case EX_DATAERR: return "dataerr";
	case EX_NOINPUT: return "noinput";
	case EX_UNAVAILABLE: return "unavailable";
	case EX_SOFTWARE: return "software";
	case EX_OSERR: return "oserr";
	case EX_IOERR: return "ioerr";
	case EX_TEMPFAIL: return "tempfail";
	case EX_NOPERM: return "noperm";
	case EX_CONFIG: return "config";
	default: return "error";
	}
}

/* JSON string body, escaped; msg is one line of ours or a program's */
static void
json_esc(char *out, size_t olen, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < olen; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, olen - o, "\\u%04x", ch);
		} else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/*
 * respond_error: the same error in the form of the API asked: JSON for
 * pk's /v1/ (with the exit status and its name), one text line otherwise
 */
enum MHD_Result
respond_error(struct req *r, unsigned status, int exitcode, const char *msg)
{
	char esc[2048], body[2300];

	if (r->json) {
		json_esc(esc, sizeof esc, msg);
		snprintf(body, sizeof body, "{\"error\":\"%s\",\"status\":%d,\"meaning\":\"%s\"}\n", esc, exitcode,
		    exit_name(exitcode));
		return respond_text(r, status, "application/json", body);
	}
	snprintf(body, sizeof body, "%s\n", msg);
	return respond_text(r, status, "text/plain", body);
}

/* the buffer: read more from the pipeline, watching the client and the clock; >0, 0 at the end, -1 gone */
static ssize_t
fill(struct req *r)
{
	struct pollfd pf[2] = { { .fd = r->p.out, .events = POLLIN }, { .fd = r->fd, .events = POLLRDHUP } };
	uint64_t now;
	ssize_t n;
	int ms;

	for (;;) {
		now = pk_now_ns(CLOCK_REALTIME);
		if (r->deadline_ns && now >= r->deadline_ns) {
			/*
			 * the run-time limit: the answer ends at the next whole packet
			 * (walk_pcap stops there once cut is set); the programs go on
			 * for at most CUT_GRACE_NS to finish the one being sent
			 */
			r->cut = 1;
			r->cut_by = "time";
			if (!walk_torn(r) || now >= r->deadline_ns + CUT_GRACE_NS) {
				pipeline_kill(&r->p);
				return walk_torn(r) ? -1 : 0;
			}
		}
		ms = r->deadline_ns ? (int)((r->deadline_ns + (r->cut ? CUT_GRACE_NS : 0) - now) / 1000000 + 1) : -1;
		if (ms > 1000 || ms < 0)
			ms = 1000;
		if (poll(pf, r->fd >= 0 ? 2 : 1, ms) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r->fd >= 0 && (pf[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			pipeline_kill(&r->p);
			return -1;
		}
		if (pf[0].revents == 0)
			continue;
		if (atomic_load(&r->p.expired)) {
			r->cut = 1;	/* the deadline killed it (watch.c): what is still in the pipe ends the answer */
			r->cut_by = "time";
		}
		/* what is left unread (a partial line) moves to the front; the rest is read after it */
		memmove(r->first, r->first + r->firstoff, r->firstlen - r->firstoff);
		r->firstlen -= r->firstoff;
		r->firstoff = 0;
		if (r->firstlen == sizeof r->first)
			return -1;	/* a line longer than the buffer: not pkfind's */
		while ((n = read(r->p.out, r->first + r->firstlen, sizeof r->first - r->firstlen)) < 0 && errno == EINTR)
			;
		if (n < 0)
			return -1;
		/*
		 * the end within a packet: the programs were killed in the middle
		 * of one too big to be held back whole (walk_pcap), or of a pcapng.
		 * An error, so that the transfer is aborted: a pcap ending in a
		 * torn record must not look whole to the client
		 */
		if (n == 0 && walk_torn(r) && (!r->raw || r->cut))
			return -1;
		r->firstlen += (size_t)n;
		return n;
	}
}

static void coverage(struct req *r, char *out, size_t olen);
static void failure(struct req *r, char *out, size_t olen);

/*
 * the answer is complete: trailers (announced by the Trailer header) say
 * how it ended, which the 200 sent before it could not: Pk-Status, the
 * programs' exit status and its meaning (and why, when it is not 0: a
 * failure after the first bytes); Pk-Cut, the limit that ended it; and the
 * coverage line when it was not known for a header (a listing streams
 * while pkfind still searches)
 */
static void
trailer(struct req *r)
{
	char cov[2048], why[1024], st[1200];
	int code;

	if (r->resp == NULL)
		return;
	code = pipeline_wait(&r->p);
	if (r->cut) {
		MHD_add_response_footer(r->resp, "Pk-Cut", r->cut_by ? r->cut_by : "limit");
		code = 0;	/* killed by us, at a limit: what was sent is whole and right */
	}
	if (code == 0)
		snprintf(st, sizeof st, "0 ok");
	else {
		failure(r, why, sizeof why);
		snprintf(st, sizeof st, "%d %s: %s", code, exit_name(code), why);
	}
	MHD_add_response_footer(r->resp, "Pk-Status", st);
	if (r->covered)
		return;
	coverage(r, cov, sizeof cov);
	if (cov[0])
		MHD_add_response_footer(r->resp, "Pk-Coverage", cov);
}

/* MHD asks for more of the answer */
static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct req *r = cls;
	size_t o = 0;
	int stop = 0;
	ssize_t n;

	(void)pos;
	while (r->ans == ANS_MERCURY) {
		o += walk_mercury(r, buf + o, max - o, &stop);
		if (stop || o > 0)
			break;
		/* nothing to send: no whole line yet */
		if ((n = fill(r)) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (n == 0)
			break;	/* the end (a partial last line is not pkfind's: dropped) */
	}
	while (r->ans == ANS_PCAP) {
		o += walk_pcap(r, (uint8_t *)buf + o, max - o, &stop);
		if (stop || o > 0)
			break;
		/* it needs more: a record is not whole yet (one cut short by the end is dropped) */
		if ((n = fill(r)) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (n == 0)
			break;
	}
	while (r->ans == ANS_TEXT) {
		if (r->firstoff == r->firstlen) {
			if ((n = fill(r)) < 0)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			if (n == 0)
				break;
		}
		size_t k = r->firstlen - r->firstoff;
		if (k > max)
			k = max;
		if (r->lim_bytes && r->sent + k > r->lim_bytes) {
			k = r->lim_bytes - r->sent;
			stop = 1;
			r->cut = 1;
			r->cut_by = "bytes";
		}
		memcpy(buf, r->first + r->firstoff, k);
		r->firstoff += k, o = k;
		break;
	}
	r->sent += o;
	if (stop)
		pipeline_kill(&r->p);
	if (o > 0)
		return (ssize_t)o;
	trailer(r);
	return MHD_CONTENT_READER_END_OF_STREAM;
}

/* the coverage line among the programs' messages: "pkfind: searched ..." without the prefix */
static void
coverage(struct req *r, char *out, size_t olen)
{
	char msg[8192], *s, *e;

	out[0] = '\0';
	pipeline_errors(&r->p, msg, sizeof msg);
	if ((s = strstr(msg, "pkfind: searched ")) == NULL)
		return;
	s += strlen("pkfind: ");
	if ((e = strchr(s, '\n')) != NULL)
		*e = '\0';
	strlcpy(out, s, olen);
}

/* the last line a program wrote on stderr that is not the coverage line: the reason it failed */
static void
failure(struct req *r, char *out, size_t olen)
{
	char msg[8192], *line, *save = NULL;

	strlcpy(out, "the query failed", olen);
	pipeline_errors(&r->p, msg, sizeof msg);
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, ": searched ") == NULL)
			strlcpy(out, line, olen);
}

static unsigned
http_status(int code)
{
	switch (code) {
	case EX_USAGE: case EX_DATAERR: return MHD_HTTP_BAD_REQUEST;
	case EX_NOINPUT: return MHD_HTTP_NOT_FOUND;
	case EX_NOPERM: return MHD_HTTP_FORBIDDEN;
	case EX_TEMPFAIL: case EX_UNAVAILABLE: return MHD_HTTP_SERVICE_UNAVAILABLE;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/*
 * respond_run: run a1 | a2 and answer with its output (ctype), or with an
 * error when it fails before writing anything
 */
enum MHD_Result
respond_run(struct req *r, char *const *a1, char *const *a2, const char *ctype)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char cov[2048], why[1024];
	ssize_t n;
	int st;

	if (pipeline_start(&r->p, a1, a2) < 0)
		return respond_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, EX_OSERR, "cannot run the query");
	r->running = 1;
	if (srv.max_seconds) {
		r->deadline_ns = pk_now_ns(CLOCK_REALTIME) + (uint64_t)srv.max_seconds * 1000000000ull;
		watch_pipeline(&r->p, r->deadline_ns + CUT_GRACE_NS);
	}
	if ((n = fill(r)) < 0) {
		pipeline_kill(&r->p);
		pipeline_wait(&r->p);
		return MHD_NO;	/* the client is gone */
	}
	if (n == 0 && r->cut) {
		pipeline_wait(&r->p);
		return respond_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, EX_TEMPFAIL,
		    "the query ran out of time before its first packet (pkserve -t)");
	}
	if (n == 0) {
		st = pipeline_wait(&r->p);
		if (st != 0) {
			failure(r, why, sizeof why);
			return respond_error(r, http_status(st), st, why);
		}
	}
	if (a2 && n > 0 && (st = pipeline_reap(&r->p, 0)) > 0) {
		/* pkfind has closed its stream, so it is ending: a failure of its own is the answer */
		pipeline_kill(&r->p);
		pipeline_wait(&r->p);
		failure(r, why, sizeof why);
		return respond_error(r, http_status(st), st, why);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, reader, r, NULL);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "Trailer", "Pk-Status, Pk-Cut, Pk-Coverage");
	if (n == 0 || a2) {
		/* pkfind is done: its coverage line goes in a header */
		coverage(r, cov, sizeof cov);
		if (cov[0])
			MHD_add_response_header(resp, "Pk-Coverage", cov);
		r->covered = 1;
	}
	r->resp = resp;
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	r->status = MHD_HTTP_OK;
	return ret;
}
