/*
 * filelist.h - pkfind -F / -X: search only the archive files a list
 * names, or all but those (the fleet query names the files its catalog
 * found candidates in, pkfind-remote(1)).
 */
#ifndef PK_FIND_FILELIST_H
#define PK_FIND_FILELIST_H

#include "archive.h"
#include "find.h"

/*
 * filelist_apply: read the list of o->files ("-": standard input; one
 * path a line) and keep in l only the files it names (o->files_only) or
 * only those it does not.  Paths are compared after realpath(3); a named
 * file that is gone is ignored.  0, or -1 with a message printed.
 */
int filelist_apply(const struct find_opts *o, struct arch_list *l);

/* filelist_unique: drop the second listing of a file (a -d given twice, or under two names) from a sorted l */
void filelist_unique(struct arch_list *l);

#endif
