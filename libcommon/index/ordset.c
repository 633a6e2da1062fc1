/* ordset.c - sets of packet ordinals as bitmaps over [0, n) (ordset.h). */
#include <stdlib.h>

#include "ordset.h"
#include "pk.h"

static size_t words(uint32_t n) { return ((size_t)n + 63) / 64; }

void
ordset_init(struct ordset *s, uint32_t n)
{
	/* one spare word so that an empty set still has a valid pointer */
	s->w = xcalloc(words(n) + 1, sizeof *s->w);
	s->n = n;
}

void
ordset_fill(struct ordset *s)
{
	size_t nw = words(s->n);

	for (size_t i = 0; i < nw; i++)
		s->w[i] = ~0ull;
	if (s->n & 63)
		s->w[nw - 1] = (1ull << (s->n & 63)) - 1;
}

void
ordset_free(struct ordset *s)
{
	free(s->w);
	s->w = NULL;
	s->n = 0;
}

void
ordset_and(struct ordset *a, const struct ordset *b)
{
	size_t na = words(a->n), nb = words(b->n);

	for (size_t i = 0; i < na; i++)
		a->w[i] &= i < nb ? b->w[i] : 0;
}

void
ordset_or(struct ordset *a, const struct ordset *b)
{
	size_t na = words(a->n), nb = words(b->n);

	for (size_t i = 0; i < na && i < nb; i++)
		a->w[i] |= b->w[i];
	if (a->n & 63)   /* b may be longer: keep the invariant that bits >= n are clear */
		a->w[na - 1] &= (1ull << (a->n & 63)) - 1;
}

void
ordset_not(struct ordset *a)
{
	size_t nw = words(a->n);

	for (size_t i = 0; i < nw; i++)
		a->w[i] = ~a->w[i];
	if (a->n & 63)
		a->w[nw - 1] &= (1ull << (a->n & 63)) - 1;
}

uint64_t
ordset_count(const struct ordset *s)
{
	uint64_t c = 0;
	size_t nw = words(s->n);

	for (size_t i = 0; i < nw; i++)
		c += (uint64_t)__builtin_popcountll(s->w[i]);
	return c;
}

uint32_t
ordset_next(const struct ordset *s, uint32_t from)
{
	size_t nw = words(s->n), i;
	uint64_t w;

	if (from >= s->n)
		return UINT32_MAX;
	i = from >> 6;
	w = s->w[i] & (~0ull << (from & 63));
	for (;;) {
		if (w)
			return (uint32_t)(i * 64 + (size_t)__builtin_ctzll(w));
		if (++i >= nw)
			return UINT32_MAX;
		w = s->w[i];
	}
}
