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
 * one, every client the CA signed reads every archive.
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pk.h"
#include "serve.h"

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

/* acl_load: the rules, or exit EX_CONFIG naming the line */
int
acl_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *w, *save;
	size_t cap = 0;
	int lineno = 0;

	if (f == NULL)
		err(EX_CONFIG, "unable to open %s", path);
	while (getline(&line, &cap, f) > 0) {
		struct acl_rule *r;
		lineno++;
		if ((w = strtok_r(line, " \t\r\n", &save)) == NULL || w[0] == '#')
			continue;
		if ((srv.acl = reallocarray(srv.acl, (size_t)srv.nacl + 1, sizeof *srv.acl)) == NULL)
			err(EX_OSERR, "reallocarray");
		r = &srv.acl[srv.nacl++];
		memset(r, 0, sizeof *r);
		if (strlen(w) >= SERVE_NAME_MAX || (r->name = strdup(w)) == NULL)
			errx(EX_CONFIG, "%s:%d: name too long", path, lineno);
		while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			int i = dir_index(w);
			if (i < 0)
				errx(EX_CONFIG, "%s:%d: %s is not one of the -d archives", path, lineno, w);
			if (r->ndirs < SERVE_DIRS_MAX)
				r->dirs[r->ndirs++] = i;
		}
		if (r->ndirs == 0)
			errx(EX_CONFIG, "%s:%d: %s: no archive named", path, lineno, r->name);
	}
	if (ferror(f))
		err(EX_CONFIG, "unable to read %s", path);
	free(line);
	fclose(f);
	return 0;
}

/* acl_dirs: the archives this client may read (indexes into srv.dirs); how many */
int
acl_dirs(struct MHD_Connection *c, int *dirs)
{
	char names[16][SERVE_NAME_MAX];
	int allowed[SERVE_DIRS_MAX] = { 0 }, n = 0, nn;

	if (srv.acl == NULL) {
		for (int i = 0; i < srv.ndirs; i++)
			dirs[i] = i;
		return srv.ndirs;
	}
	nn = tlsauth_names(c, names, 16);
	for (int k = 0; k < srv.nacl; k++) {
		int match = strcmp(srv.acl[k].name, "*") == 0;
		for (int j = 0; j < nn && !match; j++)
			match = strcmp(srv.acl[k].name, names[j]) == 0;
		if (match)
			for (int i = 0; i < srv.acl[k].ndirs; i++)
				allowed[srv.acl[k].dirs[i]] = 1;
	}
	for (int i = 0; i < srv.ndirs; i++)
		if (allowed[i])
			dirs[n++] = i;
	return n;
}
