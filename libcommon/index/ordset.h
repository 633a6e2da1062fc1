/* ordset.h - a set of packet ordinals, as a bitmap over [0, n) (ordset.c). */
#ifndef PK_ORDSET_H
#define PK_ORDSET_H

#include <stdint.h>

struct ordset {
	uint64_t *w;
	uint32_t n;
};
void ordset_init(struct ordset *s, uint32_t n);   /* all clear */
void ordset_fill(struct ordset *s);               /* all set */
void ordset_free(struct ordset *s);
static inline void ordset_add(struct ordset *s, uint32_t i) { s->w[i >> 6] |= 1ull << (i & 63); }
static inline int ordset_has(const struct ordset *s, uint32_t i) { return (s->w[i >> 6] >> (i & 63)) & 1; }
void ordset_and(struct ordset *a, const struct ordset *b);
void ordset_or(struct ordset *a, const struct ordset *b);
void ordset_not(struct ordset *a);
uint64_t ordset_count(const struct ordset *s);
/* ordset_next: first member >= from, or UINT32_MAX */
uint32_t ordset_next(const struct ordset *s, uint32_t from);

#endif
