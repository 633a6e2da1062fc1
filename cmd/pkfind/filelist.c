/* filelist.c - pkfind -F and -X (filelist.h). */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "filelist.h"
#include "find.h"
#include "pk.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the resolved paths of the list, sorted; -1 if it cannot be read */
static int
read_list(const char *name, char ***out, size_t *n)
{
	FILE *fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	char *line = NULL, rp[PATH_MAX], **v = NULL;
	size_t cap = 0, nv = 0, cv = 0;
	ssize_t len;

	if (fp == NULL) {
		warn("%s", name);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		/* a file aged out since the list was made is simply not there */
		if (len == 0 || realpath(line, rp) == NULL)
			continue;
		if (nv == cv) {
			cv = cv ? cv * 2 : 64;
			v = xreallocarray(v, cv, sizeof *v);
		}
		v[nv++] = xstrdup(rp);
	}
	free(line);
	if (ferror(fp)) {
		warn("%s", name);
		if (fp != stdin)
			fclose(fp);
		while (nv > 0)
			free(v[--nv]);
		free(v);
		return -1;
	}
	if (fp != stdin)
		fclose(fp);
	if (nv > 1)
		qsort(v, nv, sizeof *v, cmp_str);
	*out = v;
	*n = nv;
	return 0;
}

int
filelist_apply(const struct find_opts *o, struct arch_list *l)
{
	char **v, *key;
	size_t nv, i, k = 0;

	if (read_list(o->files, &v, &nv) < 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		key = l->v[i].path;
		/* (an empty list is no array at all: bsearch must not see it) */
		if ((nv > 0 && bsearch(&key, v, nv, sizeof *v, cmp_str) != NULL) == o->files_only)
			l->v[k++] = l->v[i];
		else
			free(l->v[i].path);
	}
	l->n = k;
	for (i = 0; i < nv; i++)
		free(v[i]);
	free(v);
	return 0;
}

void
filelist_unique(struct arch_list *l)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		/* arch_list_sort orders by time, then path: copies are neighbours */
		if (k > 0 && l->v[k - 1].min_ns == l->v[i].min_ns && strcmp(l->v[k - 1].path, l->v[i].path) == 0) {
			free(l->v[i].path);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}
