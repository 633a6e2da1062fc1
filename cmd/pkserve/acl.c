/*
 * acl.c - which client certificates may read which archives (pkserve -a).
 *
 * One rule a line: a certificate name (its subject CN or a DNS, e-mail or
 * URI SAN; "*" for every client the CA signed) and the archives it may
 * read, each one of the -d directories:
 *
 *     # name            archives
 *     analyst.example   /var/lib/pk/eth0 /var/lib/pk/eth1
 *     soc-onion         /var/lib/pk/eth0
 *
 * With a file, a client that no rule names reads nothing (403).  Without
 * one, every client the CA signed reads every archive.  SIGHUP reads the
 * file again (acl_reload); requests take the rules under a read lock.
 */
#include <err.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pk.h"
#include "serve.h"

static const char *acl_path;
static int acl_on;		/* -a given: a client no rule names reads nothing */
static pthread_rwlock_t acl_lock = PTHREAD_RWLOCK_INITIALIZER;

static void acl_free(struct acl_rule *acl, int n);

static int
dir_index(const char *d)
{
	char real[PATH_MAX];

	if (realpath(d, real) == NULL)
		return -1;
	for (int i = 0; i < srv.ndirs; i++)
		if (strcmp(srv.dirs[i], real) == 0)
			return i;
	return -1;
}

/* the rules of one file; -1 with a message naming the line (nothing kept) */
static int
acl_read(const char *path, struct acl_rule **out, int *nout)
{
	FILE *f = fopen(path, "r");
	struct acl_rule *acl = NULL, *r;
	char *line = NULL, *w, *save;
	size_t cap = 0;
	int lineno = 0, n = 0, bad = 0;

	if (f == NULL) {
		warn("cannot open %s", path);
		return -1;
	}
	while (!bad && getline(&line, &cap, f) > 0) {
		lineno++;
		if ((w = strtok_r(line, " \t\r\n", &save)) == NULL || w[0] == '#')
			continue;
		acl = xreallocarray(acl, (size_t)n + 1, sizeof *acl);
		r = &acl[n++];
		memset(r, 0, sizeof *r);
		r->name = xstrdup(w);
		if (strlen(w) >= SERVE_NAME_MAX) {
			warnx("%s:%d: name too long", path, lineno);
			bad = 1;
		}
		while (!bad && (w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			int i = dir_index(w);
			if (i < 0) {
				warnx("%s:%d: %s is not one of the -d archives", path, lineno, w);
				bad = 1;
			} else if (r->ndirs < SERVE_DIRS_MAX)
				r->dirs[r->ndirs++] = i;
		}
		if (!bad && r->ndirs == 0) {
			warnx("%s:%d: %s: no archive named", path, lineno, r->name);
			bad = 1;
		}
	}
	if (!bad && ferror(f)) {
		warn("cannot read %s", path);
		bad = 1;
	}
	free(line);
	fclose(f);
	if (bad) {
		acl_free(acl, n);
		return -1;
	}
	*out = acl;
	*nout = n;
	return 0;
}

static void
acl_free(struct acl_rule *acl, int n)
{
	for (int i = 0; i < n; i++)
		free(acl[i].name);
	free(acl);
}

/* acl_load: the rules at start, or exit EX_CONFIG */
void
acl_load(const char *path)
{
	acl_path = path;
	if (acl_read(path, &srv.acl, &srv.nacl) < 0)
		exit(EX_CONFIG);
	acl_on = 1;
}

/* acl_reload: on SIGHUP, the file again; a bad one leaves the rules as they were */
void
acl_reload(void)
{
	struct acl_rule *acl, *old;
	int n, nold;

	if (!acl_on)
		return;
	if (acl_read(acl_path, &acl, &n) < 0) {
		warnx("%s: the rules in force are kept", acl_path);
		return;
	}
	pthread_rwlock_wrlock(&acl_lock);
	old = srv.acl, nold = srv.nacl;
	srv.acl = acl, srv.nacl = n;
	pthread_rwlock_unlock(&acl_lock);
	acl_free(old, nold);
	fprintf(stderr, "pkserve: %s: %d rule%s reloaded\n", acl_path, n, n == 1 ? "" : "s");
}

/* acl_dirs: the archives this client may read (indexes into srv.dirs); how many */
int
acl_dirs(struct MHD_Connection *c, int *dirs)
{
	char names[16][SERVE_NAME_MAX];
	int allowed[SERVE_DIRS_MAX] = { 0 }, n = 0, nn;

	if (!acl_on) {
		for (int i = 0; i < srv.ndirs; i++)
			dirs[i] = i;
		return srv.ndirs;
	}
	nn = tlsauth_names(c, names, 16);
	pthread_rwlock_rdlock(&acl_lock);
	for (int k = 0; k < srv.nacl; k++) {
		int match = strcmp(srv.acl[k].name, "*") == 0;
		for (int j = 0; j < nn && !match; j++)
			match = strcmp(srv.acl[k].name, names[j]) == 0;
		if (match)
			for (int i = 0; i < srv.acl[k].ndirs; i++)
				allowed[srv.acl[k].dirs[i]] = 1;
	}
	pthread_rwlock_unlock(&acl_lock);
	for (int i = 0; i < srv.ndirs; i++)
		if (allowed[i])
			dirs[n++] = i;
	return n;
}
