/* bdb.c - creating, committing and opening pk's Berkeley DB files (bdb.h). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bdb.h"
#include "pk.h"

static _Thread_local char lasterr[256];
static _Thread_local char lastbuf[256];

static void
errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	/* the first message is the cause; a panic message follows it */
	if (lasterr[0] == '\0')
		strlcpy(lasterr, msg, sizeof lasterr);
}

const char *
bdb_lasterr(void)
{
	strlcpy(lastbuf, lasterr, sizeof lastbuf);
	lasterr[0] = '\0';
	return lastbuf;
}

/*
 * libdb trusts the meta page (a page size of 0 divides by zero in
 * DB->open) and checksums only what it says is checksummed, so look
 * first.  Layout (db_page.h, DBMETA): magic at 12, version at 16, page
 * size at 20, encryption at 24, metaflags at 26 (0x1: checksums), last
 * page at 32; native byte order, as pk writes it.
 */
static int
plausible(const char *path, int tail, uint64_t *dbsize, uint64_t *filesize)
{
	uint8_t h[64];
	struct stat st;
	uint32_t pgsz, last;
	uint64_t fsz, dsz;
	int fd, ok;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	ok = fstat(fd, &st) == 0 && pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h;
	close(fd);
	if (!ok)
		return 0;
	pgsz = le32(h + 20);
	last = le32(h + 32);
	fsz = (uint64_t)st.st_size;
	dsz = ((uint64_t)last + 1) * pgsz;
	*dbsize = dsz;
	*filesize = fsz;
	/* a tail: whole pages after the last (libdb refuses a file of part of a page) */
	return le32(h + 12) == 0x053162u && le32(h + 16) == 9 && pgsz >= 512 && pgsz <= 65536 &&
	    (pgsz & (pgsz - 1)) == 0 && h[24] == 0 && (h[26] & 0x1) &&
	    (tail ? fsz >= dsz && fsz % pgsz == 0 : fsz == dsz);
}

int
bdb_plausible(const char *path)
{
	uint64_t d, f;

	return plausible(path, 0, &d, &f);
}

/*
 * Files opened to read share one private environment per thread: without
 * one, every DB->open builds (and every close tears down) an environment
 * and its cache of its own, a third of the cost of looking up one key in
 * a small index.  Per thread, because an environment without DB_THREAD
 * (whose mutexes cost as much again) is not to be shared; never freed,
 * as a thread's environment lives as long as the thread reads indexes.
 */
#define READ_CACHE (2u << 20)

static _Thread_local DB_ENV *read_env;

static DB_ENV *
reader_env(void)
{
	DB_ENV *env;

	if (read_env != NULL)
		return read_env;
	if (db_env_create(&env, 0) != 0)
		return NULL;
	env->set_errcall(env, errcall);
	if (env->set_cachesize(env, 0, READ_CACHE, 1) != 0 ||
	    env->open(env, NULL, DB_CREATE | DB_PRIVATE | DB_INIT_MPOOL, 0) != 0) {
		env->close(env, 0);
		return NULL;
	}
	return read_env = env;
}

static int
open_ro(const char *path, DB **dbp, int tail, uint64_t *dbsize, uint64_t *filesize, char *errbuf, size_t errlen)
{
	uint32_t flags = 0;
	DB *db;
	int rc;

	*dbp = NULL;
	lasterr[0] = '\0';
	if ((rc = plausible(path, tail, dbsize, filesize)) <= 0) {
		if (rc < 0)
			snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		else
			snprintf(errbuf, errlen, "%s: not written by pk (bad Berkeley DB meta page)", path);
		if (rc == 0)
			errno = EINVAL;
		return -1;
	}
	/*
	 * A damaged page (a checksum that fails) panics the environment, and
	 * a panicked one refuses everything after: leave it to the handles
	 * still open in it (they fail as they would anyway) and start anew.
	 */
	if ((rc = db_create(&db, reader_env(), 0)) == DB_RUNRECOVERY) {
		read_env = NULL;
		rc = db_create(&db, reader_env(), 0);
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "db_create: %s", db_strerror(rc));
		errno = EIO;
		return -1;
	}
	if (read_env == NULL)
		db->set_errcall(db, errcall);
	if ((rc = db->open(db, NULL, path, NULL, DB_BTREE, DB_RDONLY, 0)) == DB_RUNRECOVERY && read_env != NULL) {
		db->close(db, 0);
		read_env = NULL;
		if ((rc = db_create(&db, reader_env(), 0)) != 0) {
			snprintf(errbuf, errlen, "db_create: %s", db_strerror(rc));
			errno = EIO;
			return -1;
		}
		rc = db->open(db, NULL, path, NULL, DB_BTREE, DB_RDONLY, 0);
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "%s: %s", path, rc == ENOENT ? strerror(rc) :
		    lasterr[0] ? bdb_lasterr() : db_strerror(rc));
		db->close(db, 0);
		errno = rc == ENOENT ? ENOENT : EINVAL;
		return -1;
	}
	/*
	 * pk always writes page checksums; a file without them was not
	 * written by pk (or its meta page is damaged), and libdb does not
	 * survive every damaged page it does not checksum.
	 */
	if (db->get_flags(db, &flags) != 0 || !(flags & DB_CHKSUM)) {
		snprintf(errbuf, errlen, "%s: no page checksums", path);
		db->close(db, 0);
		errno = EINVAL;
		return -1;
	}
	*dbp = db;
	return 0;
}

int
bdb_open_ro(const char *path, DB **dbp, char *errbuf, size_t errlen)
{
	uint64_t d, f;

	return open_ro(path, dbp, 0, &d, &f, errbuf, errlen);
}

int
bdb_open_tail(const char *path, DB **dbp, uint64_t *dbsize, uint64_t *filesize, char *errbuf, size_t errlen)
{
	return open_ro(path, dbp, 1, dbsize, filesize, errbuf, errlen);
}

/* append o->tail and zeros to a whole page at the end of the closed temporary file; 0, or -1 with errno */
static int
append_tail(struct bdb_out *o)
{
	static const uint8_t zero[4096];
	struct stat st;
	uint64_t done = 0, pad;
	int fd, rc = 0;

	if ((fd = open(o->tmp, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || o->pagesize == 0 || (uint64_t)st.st_size % o->pagesize != 0) {
		close(fd);
		errno = EIO;
		return -1;
	}
	pad = (o->pagesize - o->taillen % o->pagesize) % o->pagesize;
	while (rc == 0 && done < o->taillen + pad) {
		const uint8_t *p = done < o->taillen ? o->tail + done : zero;
		size_t n = done < o->taillen ? (size_t)(o->taillen - done) : (size_t)(o->taillen + pad - done);
		ssize_t w;
		if (n > sizeof zero && p == zero)
			n = sizeof zero;
		if ((w = pwrite(fd, p, n, st.st_size + (off_t)done)) <= 0)
			rc = -1;
		else
			done += (uint64_t)w;
	}
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

/*
 * An index or a catalog is read by whoever may read the archive: the
 * archive group (pkrotate -g) that its pcap or folder has, mode 0640
 * whatever the umask.  A group this process may not give is said once:
 * analysts would find the file unreadable and every search would scan.
 */
static void
give_group(const char *path, const char *like)
{
	static int warned;
	struct stat ls, st;

	(void)chmod(path, 0640);
	if (stat(like, &ls) < 0 || stat(path, &st) < 0 || st.st_gid == ls.st_gid)
		return;
	if (chown(path, (uid_t)-1, ls.st_gid) < 0 && !warned++)
		warn("cannot give %s the group of %s (%lu)", path, like, (unsigned long)ls.st_gid);
}

/*
 * Indexes and catalogs are caches of the pcaps: they are written without
 * fsync(2) (Berkeley DB's own syncs are turned into no-ops).  A power
 * failure may leave one cut short or empty under its final name; its size
 * then fails bdb_plausible or a page its checksum, and it is rebuilt like
 * any damaged index.  kill -9 loses nothing the kernel was given.  With
 * one-minute files the syncs were most of pkindex's time (three per file,
 * about 0.6 ms each on a virtual disk).
 */
static int
no_fsync(int fd)
{
	(void)fd;
	return 0;
}

int
bdb_create(struct bdb_out *o, const char *dst, unsigned pagesize, char *errbuf, size_t errlen)
{
	static int nosync;
	int rc;

	if (!nosync) {
		(void)db_env_set_func_fsync(no_fsync);
		nosync = 1;
	}

	o->db = NULL;
	o->group_of = NULL;
	o->tail = NULL;
	o->taillen = 0;
	o->pagesize = pagesize;
	if (strlcpy(o->dst, dst, sizeof o->dst) >= sizeof o->dst ||
	    (size_t)snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", dst, (long)getpid()) >= sizeof o->tmp) {
		snprintf(errbuf, errlen, "%s: path too long", dst);
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(o->tmp);
	lasterr[0] = '\0';
	if ((rc = db_create(&o->db, NULL, 0)) != 0) {
		snprintf(errbuf, errlen, "db_create: %s", db_strerror(rc));
		o->db = NULL;
		errno = EIO;
		return -1;
	}
	o->db->set_errcall(o->db, errcall);
	if ((rc = o->db->set_pagesize(o->db, pagesize)) != 0 || (rc = o->db->set_flags(o->db, DB_CHKSUM)) != 0 ||
	    (rc = o->db->open(o->db, NULL, o->tmp, NULL, DB_BTREE, DB_CREATE | DB_EXCL, 0640)) != 0) {
		snprintf(errbuf, errlen, "%s: %s", o->tmp, lasterr[0] ? bdb_lasterr() : db_strerror(rc));
		o->db->close(o->db, 0);
		o->db = NULL;
		unlink(o->tmp);
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	return 0;
}

int
bdb_commit(struct bdb_out *o, int ok, char *errbuf, size_t errlen)
{
	int rc = ok ? 0 : -1, e = errno;

	if (o->db == NULL)
		return -1;
	if (rc == 0 && (rc = o->db->sync(o->db, 0)) != 0)
		e = rc > 0 ? rc : EIO;
	if (o->db->close(o->db, 0) != 0 && rc == 0) {
		rc = -1;
		e = EIO;
	}
	o->db = NULL;
	if (rc == 0 && o->tail != NULL && append_tail(o) < 0) {
		rc = -1;
		e = errno ? errno : EIO;
	}
	if (rc == 0 && o->group_of != NULL)
		give_group(o->tmp, o->group_of);
	if (rc == 0 && rename(o->tmp, o->dst) < 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		const char *m = bdb_lasterr();
		if (ok || errbuf[0] == '\0')
			snprintf(errbuf, errlen, "%s: %s", o->tmp, m[0] ? m : strerror(e));
		unlink(o->tmp);
		errno = e;
		return -1;
	}
	return 0;
}
