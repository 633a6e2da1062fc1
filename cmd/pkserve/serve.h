/*
 * serve.h - pkserve's parts (pkserve(8)): the server's settings, one
 * request's state, and the functions each file owns.
 *
 * A request is answered by a pipeline of pk programs run by fork and exec
 * (pipeline.c); its output is streamed to the client by respond.c.  Every
 * value taken from a request reaches a program as one argv element after
 * the options (an expression) or as a number pkserve formatted itself (a
 * time, a count): never as an option or a path.
 */
#ifndef PKSERVE_H
#define PKSERVE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>

struct certset;		/* certs.c */

#define SERVE_DIRS_MAX 16
#define SERVE_BODY_MAX 65536		/* a bigger body is 413 */
#define SERVE_NAME_MAX 256		/* a certificate name kept for the log and the ACL */
/* past -t, how long the programs may go on to finish the packet being sent */
#define CUT_GRACE_NS 250000000ull

/* one client certificate name (subject CN or a SAN) may read these archives */
struct acl_rule {
	char *name;			/* "*" matches every authenticated client */
	int ndirs;
	int dirs[SERVE_DIRS_MAX];	/* indexes into serve.dirs */
};

struct serve {
	const char *dirs[SERVE_DIRS_MAX];	/* -d, real paths */
	int ndirs;
	char pkfind[4096], pkslice[4096];	/* the programs beside pkserve */
	char *ca_pem, *cert_pem, *key_pem;	/* CERTDIR's files */
	struct acl_rule *acl;		/* -c FILE; NULL: every valid client reads every archive */
	int nacl;
	uint64_t max_bytes;		/* per request; 0: none */
	uint64_t max_packets;
	unsigned max_seconds;		/* run time of a pipeline */
	unsigned max_requests;		/* at once; more get 503 */
	unsigned timeout;		/* idle connection, seconds */
	atomic_uint active;		/* requests being answered */
	atomic_ullong served, refused;
	uint64_t started_ns;
};

extern struct serve srv;

/* the output of a request's pipeline (pipeline.c) */
struct pipeline {
	pid_t pgid;			/* the first program's pid = the group */
	pid_t pid[2];
	int n;
	int out;			/* read end of the last program's stdout */
	int err;			/* memfd: both programs' stderr */
	int code[2], done[2];		/* each program's status once reaped */
	int status;			/* the pipeline's exit status: the first nonzero, else 0 */
	int reaped;
	atomic_int expired;		/* killed at its deadline by watch.c */
};

/* the form of an answer, for respond.c */
enum answer { ANS_PCAP, ANS_TEXT, ANS_MERCURY };

struct req {
	struct MHD_Connection *conn;
	char client[SERVE_NAME_MAX];	/* the certificate's CN, for the log */
	char peer[64];			/* address:port */
	int dirs[SERVE_DIRS_MAX];	/* archives this client may read */
	int ndirs;
	char *body;
	size_t blen;
	int too_big;
	int counted;			/* holds one of srv.active */
	char what[512];			/* the question, for the log */
	struct pipeline p;
	int running;
	enum answer ans;
	int json;			/* pk's own API: errors as JSON */
	struct MHD_Response *resp;	/* a streamed answer, destroyed when the request ends */
	int covered;			/* the coverage line went in a header */
	uint64_t lim_bytes, lim_packets;	/* for this answer; 0: none */
	uint64_t deadline_ns;
	/* the pcap walker: counts packets and stops at the limits */
	uint8_t hdr[24];
	size_t hdrfill;			/* bytes of the file header seen */
	int swapped;
	int ng;				/* a pcapng: walked block by block */
	int raw;			/* neither pcap nor pcapng: passed on as it is */
	uint8_t rec[16];
	size_t recout;			/* bytes of an admitted record header still to send */
	uint64_t reclen;		/* bytes of record data still to pass */
	uint64_t packets, bytes, sent;
	int cut;			/* a limit ended the answer */
	const char *cut_by;		/* which: "packets", "bytes", "time" (the Pk-Cut trailer) */
	unsigned status;		/* HTTP status sent */
	uint64_t t0;
	int fd;				/* the client's socket, to see it go away */
	char first[65536];		/* output read before the answer was queued */
	size_t firstlen, firstoff;
	char mout[8192];		/* a Mercury line not yet sent */
	size_t mlen, moff;
};

/* pipeline.c */
int pipeline_start(struct pipeline *p, char *const *a1, char *const *a2);
void pipeline_kill(struct pipeline *p);
int pipeline_wait(struct pipeline *p);
int pipeline_reap(struct pipeline *p, int i);
void pipeline_close(struct pipeline *p);
size_t pipeline_errors(struct pipeline *p, char *buf, size_t len);

/* tlsauth.c: 0 and the certificate's name, or -1 and a reason */
int tlsauth_client(struct MHD_Connection *c, char *name, size_t nlen, char *why, size_t wlen);
void tlsauth_require(struct MHD_Connection *c, struct certset *cs);
int tlsauth_names(struct MHD_Connection *c, char names[][SERVE_NAME_MAX], int max);

/* acl.c */
void acl_load(const char *path);
void acl_reload(void);
int acl_dirs(struct MHD_Connection *c, int *dirs);

/* steno.c: Stenographer's query language */
struct steno_q {
	char *expr;			/* pcap-filter */
	uint64_t start, end;		/* [start, end), 0 and UINT64_MAX when open */
};
int steno_parse(const char *q, uint64_t now_ns, struct steno_q *out, char *why, size_t wlen);

/* walk.c */
size_t walk_pcap(struct req *r, uint8_t *out, size_t max, int *stop);
int walk_torn(const struct req *r);
size_t walk_mercury(struct req *r, char *out, size_t max, int *stop);

/* mercury.c */
size_t mercury_line(const char *in, size_t len, char *out, size_t olen);

/* respond.c */
enum MHD_Result respond_text(struct req *r, unsigned status, const char *ctype, const char *text);
enum MHD_Result respond_error(struct req *r, unsigned status, int exitcode, const char *msg);
enum MHD_Result respond_run(struct req *r, char *const *a1, char *const *a2, const char *ctype);

/* argv.c: the pkfind and pkslice command lines */
struct argv {
	char *v[64];
	int n;
	char bufs[8][64];
	int nb;
};
void argv_pkfind(struct argv *a, const struct req *r, const char *mode, uint64_t start, uint64_t end,
    const char *expr);
void argv_pkslice(struct argv *a, const struct req *r, const char *fmt);

/* api_steno.c (with the debug pages), api_pk.c, api_mercury.c */
enum MHD_Result api_steno_query(struct req *r);
enum MHD_Result api_steno_stats(struct req *r);
enum MHD_Result api_steno_config(struct req *r);
enum MHD_Result api_pk(struct req *r, const char *url);
enum MHD_Result api_mercury(struct req *r);

/* route.c: the MHD callbacks */
enum MHD_Result route_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *data, size_t *dlen, void **ctx);
void route_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode why);
void route_notify(void *cls, struct MHD_Connection *c, void **sctx, enum MHD_ConnectionNotificationCode code);

/* certs.c */
void certs_load(const char *dir);
void certs_reload(void);
struct certset *certs_take(void);
void *certs_cred(struct certset *cs);
void certs_drop(struct certset *cs);

/* a connection's own state (MHD's socket context): its deadline's entry, its certificates */
struct conn {
	void *watch;
	struct certset *certs;
};

/* listen.c */
int listen_socket(const char *addr);
int listen_systemd(void);
void listen_say(int fd);

/* watch.c */
void watch_open(struct MHD_Connection *c, void **sctx);
void watch_close(void **sctx);
void watch_set(struct MHD_Connection *c, int waiting);
int watch_start(void);
unsigned long long watch_cut(void);
void watch_pipeline(struct pipeline *p, uint64_t deadline);
void watch_forget(struct pipeline *p);

/* reqlog.c */
void reqlog(const struct req *r);

#endif
