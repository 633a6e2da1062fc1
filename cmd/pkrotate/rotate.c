/* rotate.c - pkrotate's engine: stream to rotating pcap files (rotate.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "dwrite.h"
#include "forward.h"
#include "hook.h"
#include "pcapfile.h"
#include "pk.h"
#include "rotate.h"
#include "snaps.h"
#include "stream.h"

/* the file being written */
struct pfile {
	int fd;                /* -1: none (state NONE); written through rot.w */
	uint64_t size;         /* bytes, once finished */
	uint32_t id, linktype, snaplen;
	int nsec;
	size_t dir;
	char part[PATH_MAX];
	uint64_t first_ns, min_ns, max_ns, packets;
	uint64_t epoch;        /* fwd epoch when opened */
	int gap;               /* some record of this file was not forwarded */
	uint64_t judged;       /* packets when liveness was last judged (clock_close) */
	int live;              /* its newest packet was stamped near the clock on arrival */
};

/*
 * A file written whole, waiting to be published.  Files that finish in
 * quick succession (a replay, or a fast link with small files) are made
 * durable together, one filesystem sync for the batch instead of a file
 * sync and a folder sync each (on this project's machine 0.6 ms per file,
 * most of an import's time); a batch waits at most until the input pauses,
 * a second passes, or it holds ROT_BATCH_FILES files or ROT_BATCH_BYTES.
 */
#define ROT_BATCH_FILES 64
#define ROT_BATCH_BYTES (64u << 20)
#define ROT_BATCH_MS 1000
struct done {
	int fd;
	size_t dir;
	char path[PATH_MAX];   /* the .part; once renamed, the published name */
	uint32_t id;
	int gap;
	uint64_t packets, size, min_ns, max_ns;
};

struct rot {
	const struct rot_conf *c;
	struct stream_in in;
	struct fwd fwd;
	struct pfile f;
	struct dwriter w;      /* the writer of f: direct I/O, asynchronous (dwrite.h) */
	struct done batch[ROT_BATCH_FILES];
	size_t nbatch;
	uint64_t batch_bytes;
	int64_t batch_since;   /* mono_ms() when its first file was added */
	struct snaps snaps;    /* snaplen per upstream source */
	uint32_t next_id;
	uint32_t note_file;    /* a NOTE_FORWARD_GAP to send when there is room; 0 none */
	int64_t last_flush;
	uint64_t files, packets, toobig, malformed, lost_ctl;
	int warned_gap, paused;
	int live;              /* a capture feeds us (REC_SOURCE seen) */
};

static volatile sig_atomic_t got_term, got_hup, got_tick;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGALRM)
		got_tick = 1;
	else
		got_term = 1;
}

static int64_t
mono_ms(void)
{
	/* read for every record: the coarse clock (a few ms) costs a memory read, not rdtsc */
	return (int64_t)(pk_now_ns(CLOCK_MONOTONIC_COARSE) / 1000000u);
}

/* ---- the downstream ---- */

static void
fwd_lost(struct rot *r, struct pfile *f)
{
	if (f != NULL && !f->gap) {
		f->gap = 1;
		r->note_file = f->id;
		if (!r->warned_gap && fwd_connected(&r->fwd)) {
			warnx("the stream reader is not keeping up: forwarding of file %u stopped; "
			    "the archive is complete (index such files from disk)", f->id);
			r->warned_gap = 1;
		}
	}
}

/* a small record that should reach the reader even when packets do not */
static int
ctl_room(struct rot *r, size_t need)
{
	if (fwd_room(&r->fwd, PK_ALIGN8(STREAM_HDRLEN + need) + 8, 1))
		return 1;
	if (r->fwd.enabled)
		r->lost_ctl++;
	return 0;
}

static void
send_note(struct rot *r)
{
	char text[96];

	if (r->note_file == 0 || !fwd_connected(&r->fwd))
		return;
	snprintf(text, sizeof text, "forwarding of file %u stopped: index it from disk", r->note_file);
	if (!fwd_room(&r->fwd, 64 + sizeof text, 1))
		return;
	(void)sout_note(&r->fwd.s, NOTE_FORWARD_GAP, r->note_file, text);
	r->note_file = 0;
}

static void
file_removed(void *arg, const char *path)
{
	struct rot *r = arg;

	if (ctl_room(r, 16 + strlen(path)))
		(void)sout_file_remove(&r->fwd.s, 0, path);
}

/* ---- writing the pcap ---- */

static void batch_publish(struct rot *r);

/*
 * The disk is full (dwrite.c has cut the file back to whole records):
 * make room by retention, or pause a second; dwrite.c then writes again.
 */
static void
nospace(void *arg, const char *path)
{
	struct rot *r = arg;
	struct stat st;

	if (r->nbatch > 0) {
		/* files waiting in the batch become finished files, which retention may delete */
		batch_publish(r);
		return;
	}
	if (fstat(r->f.fd, &st) == 0) {
		int n = ret_free_on(st.st_dev, r->c->dirs, r->c->ndirs, file_removed, r);
		if (n > 0) {
			/* deleting captured data is worth a line, every time */
			warnx("%s: disk full: deleted the %d oldest finished file%s to make room",
			    path, n, n == 1 ? "" : "s");
			return;
		}
	}
	if (got_term)
		errx(EX_TEMPFAIL, "%s: disk full, nothing left to delete; exiting on signal "
		    "(the file is whole up to its last record and is finished at next start)", path);
	if (!r->paused)
		warnx("%s: disk full and no finished file left to delete; pausing, retrying each second", path);
	r->paused = 1;
	sleep(1);
}

/* written up to the newest packet: readable by tcpdump, findable by pkfind; with wait, once it is so */
static void
file_flush(struct rot *r, int wait)
{
	if (r->f.fd < 0)
		return;
	dw_flush(&r->w, wait);
	if (r->paused && (wait || !r->w.inflight)) {
		warnx("%s: disk space back, writing resumed", r->f.part);
		r->paused = 0;
	}
	r->last_flush = mono_ms();
}

/* the directory with the most free space (f_bavail) */
static size_t
pick_dir(const struct rot_conf *c)
{
	size_t best = 0;
	unsigned long long bestfree = 0;

	for (size_t i = 0; i < c->ndirs; i++) {
		struct statvfs sv;
		unsigned long long fr;

		if (statvfs(c->dirs[i], &sv) < 0)
			continue;
		fr = (unsigned long long)sv.f_bavail * sv.f_frsize;
		if (i == 0 || fr > bestfree) {
			best = i;
			bestfree = fr;
		}
	}
	return best;
}

static void
set_owner(const struct rot_conf *c, int fd, const char *path, mode_t mode)
{
	/* explicit modes: the umask must not make the archive world-readable or unreadable */
	if (fchmod(fd, mode) < 0)
		warn("chmod %s", path);
	if (c->set_gid && fchown(fd, (uid_t)-1, c->gid) < 0)
		warn("chgrp %s", path);
}

static void
fsync_dir(const char *path)
{
	char d[PATH_MAX], *slash;
	int fd;

	strlcpy(d, path, sizeof d);
	if ((slash = strrchr(d, '/')) != NULL)
		*slash = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) < 0)
		warn("fsync %s", d);
	if (fd >= 0)
		close(fd);
}

/* DIR/YYYY-MM-DD for ts, created 0750 when missing */
static void
day_dir(const struct rot_conf *c, size_t dir, uint64_t ts_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ts_ns / 1000000000u);
	struct tm tm;
	char day[16];
	int fd;

	gmtime_r(&sec, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	if (snprintf(buf, len, "%s/%s", c->dirs[dir], day) >= (int)len)
		errx(EX_CANTCREAT, "%s: path too long", c->dirs[dir]);
	if (mkdir(buf, 0750) < 0) {
		if (errno != EEXIST)
			err(EX_CANTCREAT, "cannot create %s", buf);
		return;
	}
	if ((fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		set_owner(c, fd, buf, 0750);
		close(fd);
	}
	fsync_dir(buf); /* the new folder's entry in dir */
}

/*
 * Rename part to FOLDER/<MIN>-<MAX>[.n].pcap without replacing anything;
 * final receives the name.  0 or -1 (message printed).
 */
static int
publish_name(const char *part, uint64_t min, uint64_t max, char *final, size_t len)
{
	char folder[PATH_MAX], a[ARCH_TIMELEN + 1], b[ARCH_TIMELEN + 1], *slash;

	strlcpy(folder, part, sizeof folder);
	if ((slash = strrchr(folder, '/')) != NULL)
		*slash = '\0';
	arch_fmt_time(min, a, sizeof a);
	arch_fmt_time(max, b, sizeof b);
	for (unsigned n = 0; n < 1000; n++) {
		int w;

		if (n == 0)
			w = snprintf(final, len, "%s/%s-%s%s", folder, a, b, ARCH_PCAP_SUFFIX);
		else
			w = snprintf(final, len, "%s/%s-%s.%u%s", folder, a, b, n, ARCH_PCAP_SUFFIX);
		if (w < 0 || (size_t)w >= len) {
			warnx("%s: final name too long", part);
			return -1;
		}
		if (renameat2(AT_FDCWD, part, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		if (errno == EINVAL || errno == ENOSYS) {
			/* no RENAME_NOREPLACE here: check, then rename (we hold the lock) */
			if (access(final, F_OK) == 0)
				continue;
			if (rename(part, final) == 0)
				return 0;
		}
		warn("cannot rename %s to %s", part, final);
		return -1;
	}
	warnx("cannot rename %s: 1000 names taken", part);
	return -1;
}

static void
announce_close(struct rot *r, uint32_t id, uint32_t flags, uint64_t packets, uint64_t bytes,
    uint64_t min, uint64_t max, const char *final)
{
	struct rec_file rf;

	memset(&rf, 0, sizeof rf);
	rf.id = id;
	rf.flags = flags;
	rf.packets = packets;
	rf.bytes = bytes;
	rf.first_ns = min;
	rf.last_ns = max;
	rf.path = final;
	if (ctl_room(r, 48 + strlen(final)))
		(void)sout_file_close(&r->fwd.s, &rf);
}

/* after a file is published: the hook, then retention */
static void
finished(struct rot *r, const char *final)
{
	r->files++;
	if (r->c->hook != NULL)
		(void)hook_run(r->c->hook, final);
	(void)ret_apply(&r->c->ret, r->c->dirs, r->c->ndirs, file_removed, r);
}

/* do paths a and b name entries of one folder? */
static int
same_folder(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');

	return sa != NULL && sb != NULL && sa - a == sb - b && memcmp(a, b, (size_t)(sa - a)) == 0;
}

/* the batch's files durable: one sync per filesystem (an fsync when alone) */
static void
batch_sync(struct rot *r)
{
	for (size_t i = 0; i < r->nbatch; i++) {
		struct done *d = &r->batch[i];
		size_t j;
		int rc;

		for (j = 0; j < i && r->batch[j].dir != d->dir; j++)
			;
		if (j < i)
			continue;  /* that directory's filesystem is synced already */
		while ((rc = r->nbatch == 1 ? fsync(d->fd) : syncfs(d->fd)) < 0 && errno == EINTR)
			;
		if (rc < 0)
			err(EX_IOERR, "cannot sync %s", d->path);
	}
}

/*
 * BATCH -> SYNC -> RENAME -> FSYNC DIR -> ANNOUNCE -> HOOK -> RETAIN: each
 * step for the whole batch, in order, so that no file is announced before
 * its name is durable; each folder is synced once.
 */
static void
batch_publish(struct rot *r)
{
	char final[PATH_MAX];
	size_t i, j;

	if (r->nbatch == 0)
		return;
	batch_sync(r);
	for (i = 0; i < r->nbatch; i++) {
		struct done *d = &r->batch[i];

		if (close(d->fd) < 0)
			err(EX_IOERR, "cannot close %s", d->path);
		if (publish_name(d->path, d->min_ns, d->max_ns, final, sizeof final) < 0)
			exit(EX_CANTCREAT); /* the .part stays, whole: finished at next start */
		strlcpy(d->path, final, sizeof d->path);
	}
	for (i = 0; i < r->nbatch; i++) {
		for (j = 0; j < i && !same_folder(r->batch[j].path, r->batch[i].path); j++)
			;
		if (j == i)
			fsync_dir(r->batch[i].path);
	}
	for (i = 0; i < r->nbatch; i++) {
		struct done *d = &r->batch[i];

		announce_close(r, d->id, d->gap ? FCLOSE_GAP : 0, d->packets, d->size, d->min_ns, d->max_ns, d->path);
		finished(r, d->path);
	}
	r->nbatch = 0;
	r->batch_bytes = 0;
}

/* WRITING -> FLUSH -> BATCH: the file is whole; published with its batch */
static void
file_finish(struct rot *r)
{
	struct pfile *f = &r->f;
	struct done *d;

	if (f->fd < 0)
		return;
	file_flush(r, 1);
	f->size = dw_close(&r->w);
	if (f->epoch != r->fwd.epoch)
		fwd_lost(r, f);
	if (r->nbatch == 0)
		r->batch_since = mono_ms();
	d = &r->batch[r->nbatch++];
	d->fd = f->fd;
	d->dir = f->dir;
	strlcpy(d->path, f->part, sizeof d->path);
	d->id = f->id;
	d->gap = f->gap;
	d->packets = f->packets;
	d->size = f->size;
	d->min_ns = f->min_ns;
	d->max_ns = f->max_ns;
	r->batch_bytes += f->size;
	f->fd = -1;
	if (r->nbatch == ROT_BATCH_FILES || r->batch_bytes >= ROT_BATCH_BYTES)
		batch_publish(r);
}

/* the file being written and the batch waiting, published now */
static void
file_publish(struct rot *r)
{
	file_finish(r);
	batch_publish(r);
}

static void
file_start(struct rot *r, const struct pk_pkt *p, int nsec, uint32_t snaplen)
{
	struct pfile *f = &r->f;
	char folder[PATH_MAX], t[ARCH_TIMELEN + 1];

	f->dir = pick_dir(r->c);
	day_dir(r->c, f->dir, p->ts_ns, folder, sizeof folder);
	arch_fmt_time(p->ts_ns, t, sizeof t);
	if (snprintf(f->part, sizeof f->part, "%s/%s%s", folder, t, ARCH_PART_SUFFIX) >= (int)sizeof f->part)
		errx(EX_CANTCREAT, "%s: path too long", folder);
	while ((f->fd = open(f->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EEXIST && r->nbatch > 0) {
			/* a file of the batch began at the same time: publishing it frees the name */
			batch_publish(r);
			continue;
		}
		err(EX_CANTCREAT, "cannot create %s", f->part);
	}
	set_owner(r->c, f->fd, f->part, 0640);
	dw_open(&r->w, f->fd, f->part);
	pcapw_filehdr(dw_reserve(&r->w, PCAP_FILEHDR), p->linktype, snaplen, nsec);
	dw_commit(&r->w, PCAP_FILEHDR);
	f->id = r->next_id++;
	f->linktype = p->linktype;
	f->snaplen = snaplen;
	f->nsec = nsec;
	f->first_ns = f->min_ns = f->max_ns = p->ts_ns;
	f->packets = 0;
	f->gap = 0;
	f->judged = 0;
	f->live = 0;
	f->epoch = r->fwd.epoch;
	if (ctl_room(r, 24 + strlen(f->part)))
		(void)sout_file_open(&r->fwd.s, f->id, f->linktype, snaplen, nsec ? FOPEN_NSEC : 0,
		    f->part);
	else
		fwd_lost(r, f);
}

/* does p belong in a new file? */
static int
must_rotate(const struct rot *r, const struct pk_pkt *p, int nsec, uint32_t snaplen)
{
	const struct pfile *f = &r->f;
	const struct rot_conf *c = r->c;

	if (p->linktype != f->linktype || nsec != f->nsec || snaplen != f->snaplen)
		return 1;
	if (c->max_packets && f->packets >= c->max_packets)
		return 1;
	/* -G: clock-aligned buckets of packet time */
	if (c->period_ns && p->ts_ns / c->period_ns > f->first_ns / c->period_ns)
		return 1;
	/* -C: never exceeded, unless one packet alone does */
	return c->max_bytes && f->packets > 0 &&
	    dw_tell(&r->w) + PCAP_RECHDR + p->caplen > c->max_bytes;
}

static void
write_packet(struct rot *r, const struct pk_pkt *p)
{
	struct pfile *f = &r->f;
	int nsec = (p->flags & PKT_NSEC) != 0;
	uint64_t off;
	uint8_t loc[ANN_LOCATION_LEN], *rec;
	struct pk_ann ann;
	struct pk_pkt hdrs;
	size_t need;
	uint32_t snaplen;

	if (p->caplen > PCAP_SNAPLEN_MAX || p->ts_ns / 1000000000u > UINT32_MAX) {
		if (r->toobig++ == 0)
			warnx("packet with caplen %u or time beyond 2106 cannot go in a pcap file: dropped "
			    "(counted)", p->caplen);
		return;
	}
	snaplen = snaps_for(&r->snaps, p->source, p->caplen);
	if (f->fd >= 0 && must_rotate(r, p, nsec, snaplen))
		file_finish(r);
	if (f->fd < 0)
		file_start(r, p, nsec, snaplen);
	off = dw_tell(&r->w);
	rec = dw_reserve(&r->w, PCAP_RECHDR + (size_t)p->caplen);
	pcapw_rechdr(rec, p->ts_ns, p->caplen, p->wirelen, nsec);
	memcpy(rec + PCAP_RECHDR, p->data, p->caplen);
	dw_commit(&r->w, PCAP_RECHDR + (size_t)p->caplen);
	f->packets++;
	r->packets++;
	if (p->ts_ns < f->min_ns)
		f->min_ns = p->ts_ns;
	if (p->ts_ns > f->max_ns)
		f->max_ns = p->ts_ns;
	if (f->epoch != r->fwd.epoch)
		fwd_lost(r, f);
	if (!f->gap) {
		loc_put(loc, f->id, off);
		ann.tag = ANN_LOCATION;
		ann.len = ANN_LOCATION_LEN;
		ann.val = loc;
		/* the indexer reads headers: the payload stays here (PKT_CUT) */
		hdrs = *p;
		if (r->c->fwd_headers && hdrs.caplen > r->c->fwd_headers) {
			hdrs.origcap = p->caplen;
			hdrs.caplen = r->c->fwd_headers;
			hdrs.flags |= PKT_CUT;
		}
		need = STREAM_HDRLEN + PKT_FIXED + PK_ALIGN8(hdrs.caplen) + p->annlen + 4 + ANN_LOCATION_LEN + 8;
		if (r->note_file)
			send_note(r);
		if (fwd_room(&r->fwd, need, 0))
			(void)sout_packet(&r->fwd.s, &hdrs, &ann, 1);
		else
			fwd_lost(r, f);
	}
	if (f->gap && r->fwd.enabled)
		r->fwd.dropped++;
	if (r->c->max_packets && f->packets >= r->c->max_packets)
		file_finish(r);
}

/* ---- other records ---- */

/* the stats log as the archive's files: 0640 and the archive group (-g), set only when it differs */
static void
stats_owner(const struct rot_conf *c, int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || ((st.st_mode & 07777) == 0640 && (!c->set_gid || st.st_gid == c->gid)))
		return;
	set_owner(c, fd, path, 0640);
}

static void
stats_log(struct rot *r, const struct pk_rec *rec)
{
	struct rec_stats st;
	char line[512], path[PATH_MAX];
	int n;

	if (rec_stats_parse(rec, &st) < 0)
		return;
	n = snprintf(line, sizeof line, "%llu %llu %llu %llu %u %s\n", (unsigned long long)st.ts_ns,
	    (unsigned long long)st.recv, (unsigned long long)st.drop, (unsigned long long)st.ifdrop,
	    st.flags, st.name && *st.name ? st.name : "-");
	if (n < 0 || n >= (int)sizeof line)
		return;
	for (size_t i = 0; i < r->c->ndirs; i++) {
		int fd;

		snprintf(path, sizeof path, "%s/%s", r->c->dirs[i], ARCH_STATS);
		if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) >= 0)
			stats_owner(r->c, fd, path);   /* readers of the archive read its drops */
		if (fd < 0 || writeall(fd, line, (size_t)n, NULL) < 0)
			warn("%s", path);
		if (fd >= 0)
			close(fd);
	}
}

static void
handle(struct rot *r, const struct pk_rec *rec)
{
	struct pk_pkt p;
	struct rec_file rf;

	switch (rec->type) {
	case REC_PACKET:
		if (pkt_parse(rec, &p) < 0) {
			if (r->malformed++ == 0)
				warnx("malformed packet record dropped (counted)");
			return;
		}
		if (p.flags & PKT_CUT) {
			/* another pkrotate's forwarding: headers without their payload */
			if (r->malformed++ == 0)
				warnx("packet record without its payload (PKT_CUT) cannot be archived: dropped (counted)");
			return;
		}
		write_packet(r, &p);
		return;
	case REC_HEADER:
		return; /* we wrote our own */
	case REC_FILE_OPEN:
	case REC_FILE_CLOSE:
		/* an input file's snaplen is its packets' (pkread -r) */
		if (rec_file_parse(rec, &rf) == 0 && (rec->type == REC_FILE_CLOSE || (rf.flags & FOPEN_INPUT))) {
			if (rec->type == REC_FILE_OPEN) {
				snaps_set(&r->snaps, rf.id, rf.snaplen);
				/* files, not a capture: the indexer may be waited for */
				r->fwd.patient = !r->live;
			} else
				snaps_drop(&r->snaps, rf.id);
		}
		return;
	case REC_FILE_REMOVE:
	case REC_LOCATION:
		/* upstream's files: their locations were replaced by ours */
		return;
	case REC_SOURCE:
		/* a capture: it never waits for the indexer */
		r->live = 1;
		r->fwd.patient = 0;
		if (rec_file_parse(rec, &rf) == 0)
			snaps_set(&r->snaps, rf.id, rf.snaplen);
		break;
	case REC_STATS:
		stats_log(r, rec);
		break;
	}
	if (ctl_room(r, rec->len))
		(void)sout_raw(&r->fwd.s, rec);
}

/* ---- start-up ---- */

static void
lock_dir(const struct rot_conf *c, const char *dir)
{
	char path[PATH_MAX];
	int fd;

	/*
	 * Made here (with its missing parents), or a moment ago by the pkindex
	 * beside us in the pipeline (which creates a missing archive too):
	 * either way the archive group must reach it, or analysts cannot walk in.
	 */
	if ((fd = pk_mkdirs(dir, 0750)) < 0)
		err(EX_CANTCREAT, "cannot create %s", dir);
	if ((fd > 0 || c->set_gid) && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		set_owner(c, fd, dir, 0750);
		close(fd);
	}
	snprintf(path, sizeof path, "%s/%s", dir, ARCH_LOCK);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
		err(EX_CANTCREAT, "cannot open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			errx(EX_TEMPFAIL, "%s is in use by another pkrotate (lock %s held)", dir, path);
		err(EX_OSERR, "flock %s", path);
	}
	/* fd stays open (and locked) until exit */
}

/*
 * Finish a .pcap.part left by a crash: cut it after its last whole
 * record, sync, publish, announce as FILE_OPEN + FILE_CLOSE(RECOVERED).
 */
static void
recover(struct rot *r, const char *part)
{
	struct pcapf pf;
	struct pcapf_rec pr;
	char e[512], final[PATH_MAX];
	uint64_t n = 0, min = UINT64_MAX, max = 0, end;
	int rc, fd;
	struct stat st;

	if (pcapf_open(&pf, part, e, sizeof e) < 0) {
		if (stat(part, &st) == 0 && st.st_size < PCAP_FILEHDR) {
			warnx("%s: left by a crash before any packet; removed", part);
			(void)unlink(part);
		} else
			warnx("%s; left as it is", e);
		return;
	}
	end = PCAP_FILEHDR;
	while ((rc = pcapf_next(&pf, &pr, e, sizeof e)) == 1) {
		/* stricter than a reader: a torn tail must not pass for a record (nor one cut to the snaplen) */
		if (pr.wirelen < pr.caplen || pr.disklen != pr.caplen) {
			rc = -1;
			break;
		}
		end = pf.next;
		n++;
		if (pr.ts_ns < min)
			min = pr.ts_ns;
		if (pr.ts_ns > max)
			max = pr.ts_ns;
	}
	if (n == 0) {
		warnx("%s: left by a crash before any packet; removed", part);
		(void)unlink(part);
		pcapf_close(&pf);
		return;
	}
	if ((fd = open(part, O_WRONLY | O_CLOEXEC)) < 0 || ftruncate(fd, (off_t)end) < 0 || fsync(fd) < 0)
		err(EX_IOERR, "cannot finish %s", part);
	set_owner(r->c, fd, part, 0640);
	close(fd);
	if (publish_name(part, min, max, final, sizeof final) < 0)
		exit(EX_CANTCREAT);
	fsync_dir(final);
	warnx("finished %s left by a crash: %llu packets, %llu bytes cut%s", final, (unsigned long long)n,
	    (unsigned long long)(pf.size - end), rc < 0 ? " (partial last record)" : "");
	if (ctl_room(r, 24 + strlen(part)))
		(void)sout_file_open(&r->fwd.s, r->next_id, pf.linktype, pf.snaplen, pf.nsec ? FOPEN_NSEC : 0,
		    part);
	announce_close(r, r->next_id, FCLOSE_RECOVERED, n, end, min, max, final);
	r->next_id++;
	pcapf_close(&pf);
	finished(r, final);
}

struct rot *
rot_open(const struct rot_conf *c)
{
	struct rot *r;
	struct arch_list l;

	r = xcalloc(1, sizeof *r);
	r->c = c;
	r->next_id = 1;
	r->f.fd = -1;
	for (size_t i = 0; i < c->ndirs; i++) {
		char *abs;

		lock_dir(c, c->dirs[i]);
		/* absolute paths in the stream: the reader may run elsewhere */
		if ((abs = realpath(c->dirs[i], NULL)) == NULL)
			err(EX_NOINPUT, "%s", c->dirs[i]);
		c->dirs[i] = abs;
	}
	/* after the locks: a second pkrotate on the archive fails before it sets anything up */
	dw_init(&r->w, nospace, r);
	fwd_init(&r->fwd, c->fifo, c->fwd_bytes);
	for (size_t i = 0; i < c->ndirs; i++) {
		memset(&l, 0, sizeof l);
		if (arch_scan(c->dirs[i], &l) < 0)
			err(EX_NOINPUT, "%s", c->dirs[i]);
		for (size_t j = 0; j < l.n; j++)
			if (l.v[j].partial)
				recover(r, l.v[j].path);
		arch_list_free(&l);
	}
	(void)ret_apply(&c->ret, c->dirs, c->ndirs, file_removed, r);
	sin_init(&r->in, STDIN_FILENO, "stdin");
	return r;
}

/* ---- the loop ---- */

/*
 * -G on live input: finish the file when the clock passes the end of its
 * interval, so that on a quiet link the last file is published (indexed,
 * hooked) on time instead of when the next packet comes; that packet
 * then opens the next file.  Live means the file's newest packet was
 * stamped within ROT_LIVE_SLACK of the clock when it arrived (judged once
 * a tick, not per packet): a replay of old packets is cut by packet time
 * alone, however it pauses.  ROT_CLOSE_GRACE leaves time for the
 * interval's last packets to come through pkread's buffers; a packet
 * later than that starts a file of its own (nothing is lost).
 */
#define ROT_LIVE_SLACK_NS (5 * 1000000000ull)
#define ROT_CLOSE_GRACE_NS 1000000000ull

static void
clock_close(struct rot *r)
{
	struct pfile *f = &r->f;
	uint64_t period = r->c->period_ns, now, end;

	if (f->fd < 0 || period == 0)
		return;
	now = pk_now_ns(CLOCK_REALTIME);
	if (f->packets != f->judged) {
		f->judged = f->packets;
		f->live = f->max_ns <= now + ROT_LIVE_SLACK_NS && now <= f->max_ns + ROT_LIVE_SLACK_NS;
	}
	end = (f->first_ns / period + 1) * period;
	if (f->live && now >= end + ROT_CLOSE_GRACE_NS)
		file_publish(r);
}

/* a whole record is already buffered: sin_next will not read */
static int
record_buffered(const struct stream_in *s)
{
	size_t avail = bufin_avail(&s->in);

	return avail >= STREAM_HDRLEN && avail >= le32(bufin_ptr(&s->in));
}

static void
tick(struct rot *r)
{
	got_tick = 0;
	clock_close(r);
	if (r->nbatch > 0 && mono_ms() - r->batch_since >= ROT_BATCH_MS)
		batch_publish(r);
	file_flush(r, 0); /* readable by tcpdump up to here as soon as the write is done */
	r->last_flush = mono_ms();
	fwd_pump(&r->fwd);
	send_note(r);
}

static void
signals(void)
{
	struct sigaction sa;
	struct itimerval it = { { 1, 0 }, { 1, 0 } };

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a read blocked inside a record returns each second */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

int
rot_run(struct rot *r)
{
	struct pk_rec rec;
	int status = EX_OK, rc;

	signals();
	r->last_flush = mono_ms();
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			file_publish(r);
		}
		if (got_tick || mono_ms() - r->last_flush >= 1000)
			tick(r);
		/* a finished write: the next starts (a memory read when none has finished) */
		if (r->w.inflight)
			(void)dw_reap(&r->w, 0);
		if (!record_buffered(&r->in)) {
			struct pollfd p[3] = { { .fd = STDIN_FILENO, .events = POLLIN } };
			int n = 1 + fwd_pollfd(&r->fwd, &p[1]), fw = n > 1, wr = -1;

			/* the input pauses: nothing to gain by holding finished files back */
			if (r->nbatch > 0 && poll(p, 1, 0) == 0)
				batch_publish(r);
			if (dw_pollfd(&r->w) >= 0) {
				wr = n++;
				p[wr].fd = dw_pollfd(&r->w);
				p[wr].events = POLLIN;
			}
			/* input paused: the pcap is made readable to its last packet within 50 ms */
			rc = poll(p, (nfds_t)n, r->f.fd >= 0 && dw_pending(&r->w) > 0 ? 50 : 1000);
			if (rc == 0)
				tick(r);
			if (wr > 0 && p[wr].revents)
				(void)dw_reap(&r->w, 1);
			if (fw && p[1].revents)
				fwd_pump(&r->fwd);
			if (rc <= 0 || p[0].revents == 0)
				continue;
		}
		rc = sin_next(&r->in, &rec);
		if (rc == SIN_RECORD)
			handle(r, &rec);
		else if (rc == SIN_EOF)
			break;
		else if (rc == SIN_ERROR) {
			status = r->in.in.err ? EX_IOERR : EX_DATAERR;
			break;
		}
	}
	file_publish(r);
	send_note(r);
	fwd_drain(&r->fwd, 10);
	warnx("%llu packets written to %llu files%s", (unsigned long long)r->packets,
	    (unsigned long long)r->files, got_term ? " (stopped by signal)" : "");
	if (sin_report(&r->in))
		status = pk_exit_merge(status, EX_DATAERR);
	if (r->toobig || r->malformed) {
		warnx("%llu packets too big for pcap, %llu malformed records: dropped",
		    (unsigned long long)r->toobig, (unsigned long long)r->malformed);
		/* packets were lost: the exit status says so */
		status = pk_exit_merge(status, EX_DATAERR);
	}
	if (r->fwd.dropped || r->lost_ctl)
		warnx("%llu packets not forwarded (their files are flagged: index them from disk), "
		    "%llu file records lost", (unsigned long long)r->fwd.dropped, (unsigned long long)r->lost_ctl);
	sin_free(&r->in);
	sout_free(&r->fwd.s);
	dw_free(&r->w);
	snaps_free(&r->snaps);
	for (size_t i = 0; i < r->c->ndirs; i++)
		free(r->c->dirs[i]); /* from realpath() in rot_open */
	free(r);
	return status;
}
