/*
 * fieldtab - print FIELD_TABLE (field_table.h), for the tests: the man
 * page's field list is checked against it (mdoc is not generated).
 *
 * usage: fieldtab [-c | -j]
 *   prints pk-index(5)'s ".It TAG Ta NAME Ta BYTES Ta DESCRIPTION" lines;
 *   -j the pkextract(1) field of each (those that have one), one a line;
 *   -c checks the table instead: tags increasing and unique, the last the
 *   largest (IDX_TAG_MAX), idx_tag_len agreeing; exit 0 or 1 with a message.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "field_table.h"
#include "idx.h"
#include "pk.h"

int
main(int argc, char **argv)
{
	int c, check = 0, json = 0, prev = 0;

	while ((c = getopt(argc, argv, "cj")) != -1) {
		if (c == 'c')
			check = 1;
		else if (c == 'j')
			json = 1;
		else
			errx(EX_USAGE, "usage: fieldtab [-c | -j]");
	}
	for (int i = 0; i < field_count(); i++) {
		const struct field_desc *d = field_at(i);

		if (check) {
			if (d->tag <= prev)
				errx(1, "tag %d after %d: not increasing", d->tag, prev);
			if (idx_tag_len(d->tag) != d->width)
				errx(1, "tag %d: idx_tag_len %zu, width %u", d->tag, idx_tag_len(d->tag), d->width);
			prev = d->tag;
			continue;
		}
		if (json) {
			if (d->json != NULL)
				printf("%s\n", d->json);
			continue;
		}
		printf(".It %d Ta %s Ta %u Ta %s\n", d->tag, d->name, d->width, d->man);
	}
	if (check && prev != IDX_TAG_MAX)
		errx(1, "IDX_TAG_MAX %d, the last tag %d", IDX_TAG_MAX, prev);
	return 0;
}
