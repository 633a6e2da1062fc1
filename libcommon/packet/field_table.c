/* field_table.c - FIELD_TABLE (field_table.h) as data, for code that walks every field. */
#include <stddef.h>

#include "field_table.h"

static const struct field_desc fields[] = {
#define X(id, tag, w, maxn, take, fmt, flags, name, qname, json, sql, man) \
	{ tag, w, maxn, flags, fmt, name, qname, json, sql, man },
	FIELD_TABLE(X)
#undef X
};

/* keys hold a tag byte and up to 16 value bytes (idx_build.c, query_tree.h); tags fit IDXM_FIELDS */
#define X(id, tag, w, maxn, ...) \
	_Static_assert((w) >= 1 && (w) <= 16 && (maxn) >= 1 && (maxn) <= 255 && (tag) >= 1 && (tag) < 32, \
	    "field " #id ": width 1..16, at most 255 values, tag 1..31");
FIELD_TABLE(X)
#undef X

int
field_count(void)
{
	return (int)(sizeof fields / sizeof fields[0]);
}

const struct field_desc *
field_at(int i)
{
	return i >= 0 && i < field_count() ? &fields[i] : NULL;
}

const struct field_desc *
field_by_tag(int tag)
{
	for (int i = 0; i < field_count(); i++)
		if (fields[i].tag == tag)
			return &fields[i];
	return NULL;
}
