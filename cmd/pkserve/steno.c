/*
 * steno.c - Stenographer's query language, translated into a pcap-filter
 * expression and a time window.
 *
 *   query := term { ("and" | "&&" | "or" | "||") term }    equal precedence, left to right
 *   term  := "(" query ")" | "host" IP | "net" IP/N | "net" IP "mask" MASK
 *          | "port" N | "ip" "proto" N | "tcp" | "udp" | "icmp"
 *          | "vlan" N | "mpls" N | "before" T | "after" T
 *   T     := RFC 3339 (a fraction allowed) | N"h ago" | N"m ago" (also "N h ago")
 *
 * Because and/or bind equally, every combination is parenthesised in the
 * output, so that pcap-filter's precedence (and over or) cannot regroup it.
 * "before" and "after" become the window [after, before): exact times,
 * where Stenographer picks whole files.  A time term must be joined to
 * the rest by "and" all the way up; under an "or" it has no window
 * meaning and is refused (pkserve(8)).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pk.h"
#include "serve.h"
#include "timeparse.h"

#define TOK_MAX 4096
#define DEPTH_MAX 64

struct parser {
	const char *s;
	char *tok[TOK_MAX];
	int ntok, pos;
	uint64_t now, start, end;
	char *out;
	size_t olen, ocap;
	char *why;
	size_t wlen;
	int failed;
};

static void
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(p->why, p->wlen, fmt, ap);
	va_end(ap);
}

/* append to the expression; the output is at most a few times the input */
static void
emit(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->out + p->olen, p->ocap - p->olen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= p->ocap - p->olen) {
		fail(p, "query too long");
		return;
	}
	p->olen += (size_t)n;
}

/* words, "(", ")", "&&", "||" */
static int
tokenize(struct parser *p, char *buf)
{
	char *s = buf;

	while (*s) {
		if (isspace((unsigned char)*s)) {
			*s++ = '\0';
			continue;
		}
		if (p->ntok == TOK_MAX) {
			fail(p, "query too long");
			return -1;
		}
		if (*s == '(' || *s == ')') {
			/* a parenthesis is a token of its own: move it into its own string */
			p->tok[p->ntok++] = *s == '(' ? "(" : ")";
			*s++ = '\0';
			continue;
		}
		if ((s[0] == '&' && s[1] == '&') || (s[0] == '|' && s[1] == '|')) {
			p->tok[p->ntok++] = s[0] == '&' ? "&&" : "||";
			*s = '\0';
			s += 2;
			continue;
		}
		p->tok[p->ntok++] = s;
		while (*s && !isspace((unsigned char)*s) && *s != '(' && *s != ')' &&
		    !(s[0] == '&' && s[1] == '&') && !(s[0] == '|' && s[1] == '|'))
			s++;
		if (*s && !isspace((unsigned char)*s)) {
			/* a word ends at an operator: keep the operator for the next round */
			char c = *s;
			memmove(s + 1, s, strlen(s) + 1);
			*s++ = '\0';
			*s = c;
		}
	}
	return 0;
}

static const char *
next(struct parser *p)
{
	return p->pos < p->ntok ? p->tok[p->pos++] : NULL;
}

static const char *
want(struct parser *p, const char *after)
{
	const char *t = next(p);

	if (t == NULL)
		fail(p, "'%s' needs an argument", after);
	return t;
}

/* a decimal number 0..max, as Stenographer reads them */
static int
number(struct parser *p, const char *t, long max, long *v)
{
	char *end;

	if (t == NULL)
		return -1;
	if (!isdigit((unsigned char)*t) || strlen(t) > 10) {
		fail(p, "'%s' is not a number", t);
		return -1;
	}
	*v = strtol(t, &end, 10);
	if (*end || *v > max) {
		fail(p, "'%s' is not a number from 0 to %ld", t, max);
		return -1;
	}
	return 0;
}

/* an address (v4 or v6) in canonical form, masked to bits when bits >= 0 */
static int
address(struct parser *p, const char *t, int bits, char *out, size_t olen, int *v6)
{
	unsigned char a[16];
	int len;

	if (inet_pton(AF_INET, t, a) == 1)
		*v6 = 0, len = 4;
	else if (inet_pton(AF_INET6, t, a) == 1)
		*v6 = 1, len = 16;
	else {
		fail(p, "'%s' is not an IP address", t);
		return -1;
	}
	if (bits > len * 8) {
		fail(p, "/%d is too long for %s", bits, t);
		return -1;
	}
	for (int i = 0; bits >= 0 && i < len; i++) {
		int keep = bits - i * 8;
		a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	inet_ntop(*v6 ? AF_INET6 : AF_INET, a, out, (socklen_t)olen);
	return 0;
}

/* "net A/N" or "net A mask M" */
static void
net(struct parser *p)
{
	const char *t = want(p, "net");
	char a[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN], buf[128], *slash;
	long bits;
	int v6, mv6;

	if (t == NULL)
		return;
	if (strlcpy(buf, t, sizeof buf) >= sizeof buf) {
		fail(p, "'%s' is not a network", t);
		return;
	}
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (number(p, slash + 1, 128, &bits) < 0 || address(p, buf, (int)bits, a, sizeof a, &v6) < 0)
			return;
		emit(p, "net %s/%ld", a, bits);
		return;
	}
	if (p->pos < p->ntok && strcmp(p->tok[p->pos], "mask") == 0) {
		p->pos++;
		if ((t = want(p, "mask")) == NULL || address(p, t, -1, m, sizeof m, &mv6) < 0 ||
		    address(p, buf, -1, a, sizeof a, &v6) < 0)
			return;
		if (v6 || mv6) {
			fail(p, "'net ... mask' is for IPv4: use net A/N");
			return;
		}
		/* the network address, so that libpcap does not refuse host bits */
		struct in_addr ia, im;
		inet_pton(AF_INET, a, &ia);
		inet_pton(AF_INET, m, &im);
		ia.s_addr &= im.s_addr;
		inet_ntop(AF_INET, &ia, a, sizeof a);
		emit(p, "net %s mask %s", a, m);
		return;
	}
	fail(p, "net %s: give net A/N or net A mask M", t);
}

/* T: RFC 3339, or "N{h,m} ago" (also "Nh ago", "N h ago") */
static int
when(struct parser *p, const char *kw, uint64_t *t)
{
	const char *a = want(p, kw), *u = NULL;
	char e[256], *end;
	long n;

	if (a == NULL)
		return -1;
	if (isdigit((unsigned char)a[0]) && strchr(a, '-') == NULL) {
		n = strtol(a, &end, 10);
		if (*end == '\0' && p->pos < p->ntok)
			u = p->tok[p->pos++];	/* "3 h ago" */
		else
			u = end;
		if ((strcmp(u, "h") != 0 && strcmp(u, "m") != 0 && strcmp(u, "s") != 0 && strcmp(u, "d") != 0) ||
		    n < 0 || n > 100000 || p->pos >= p->ntok || strcmp(p->tok[p->pos], "ago") != 0) {
			fail(p, "%s %s: give an RFC 3339 time or N{h,m} ago", kw, a);
			return -1;
		}
		p->pos++;
		uint64_t unit = u[0] == 'h' ? 3600 : u[0] == 'm' ? 60 : u[0] == 'd' ? 86400 : 1;
		uint64_t ago = (uint64_t)n * unit * 1000000000ull;
		*t = ago > p->now ? 0 : p->now - ago;
		return 0;
	}
	/* RFC 3339 only: a date, then T and a time (pk's other forms are not Stenographer's) */
	if (strlen(a) < 11 || a[4] != '-' || a[7] != '-' || (a[10] != 'T' && a[10] != 't') ||
	    timeparse(a, p->now, p->now, t, e, sizeof e) < 0) {
		fail(p, "%s %s: give an RFC 3339 time or N{h,m} ago", kw, a);
		return -1;
	}
	return 0;
}

static int query(struct parser *p, int under_or, int depth);

/*
 * term: writes its pcap-filter text, or nothing for a time term; 1 when
 * it wrote something, 0 when not, -1 on error
 */
static int
term(struct parser *p, int under_or, int depth)
{
	const char *t = next(p);
	char a[INET6_ADDRSTRLEN];
	uint64_t at;
	long v;
	int v6, r;

	if (t == NULL) {
		fail(p, "the query ends where a term is expected");
		return -1;
	}
	if (strcmp(t, "(") == 0) {
		if (depth >= DEPTH_MAX) {
			fail(p, "parentheses nested too deep");
			return -1;
		}
		r = query(p, under_or, depth + 1);
		if (r >= 0 && ((t = next(p)) == NULL || strcmp(t, ")") != 0)) {
			fail(p, "missing ')'");
			return -1;
		}
		return r;
	}
	if (strcmp(t, "before") == 0 || strcmp(t, "after") == 0) {
		if (under_or) {
			fail(p, "'%s' under 'or' is not supported: a time is a window for the whole query", t);
			return -1;
		}
		if (when(p, t, &at) < 0)
			return -1;
		if (t[0] == 'b' && at < p->end)
			p->end = at;
		if (t[0] == 'a' && at > p->start)
			p->start = at;
		return 0;
	}
	if (strcmp(t, "host") == 0) {
		if ((t = want(p, "host")) == NULL || address(p, t, -1, a, sizeof a, &v6) < 0)
			return -1;
		emit(p, "host %s", a);
	} else if (strcmp(t, "net") == 0) {
		net(p);
	} else if (strcmp(t, "port") == 0) {
		if (number(p, want(p, "port"), 65535, &v) < 0)
			return -1;
		emit(p, "port %ld", v);
	} else if (strcmp(t, "ip") == 0) {
		if ((t = want(p, "ip")) == NULL || strcmp(t, "proto") != 0) {
			fail(p, "'ip' goes with 'proto N'");
			return -1;
		}
		if (number(p, want(p, "ip proto"), 255, &v) < 0)
			return -1;
		emit(p, "(ip proto %ld or ip6 proto %ld)", v, v);
	} else if (strcmp(t, "tcp") == 0 || strcmp(t, "udp") == 0 || strcmp(t, "icmp") == 0) {
		emit(p, "%s", t);
	} else if (strcmp(t, "vlan") == 0 || strcmp(t, "mpls") == 0) {
		const char *kw = t;
		if (number(p, want(p, kw), kw[0] == 'v' ? 4095 : 1048575, &v) < 0)
			return -1;
		emit(p, "%s %ld", kw, v);
	} else {
		fail(p, "unknown term '%s'", t);
		return -1;
	}
	return p->failed ? -1 : 1;
}

/* query: terms joined left to right; each join parenthesised */
static int
query(struct parser *p, int under_or, int depth)
{
	/* the operators of this level, read ahead: a term under any "or" of its level is under_or */
	int save = p->pos, lvl = 0, anyor = under_or;

	for (int i = p->pos; i < p->ntok; i++) {
		const char *t = p->tok[i];
		if (strcmp(t, "(") == 0)
			lvl++;
		else if (strcmp(t, ")") == 0) {
			if (lvl-- == 0)
				break;
		} else if (lvl == 0 && (strcmp(t, "or") == 0 || strcmp(t, "||") == 0))
			anyor = 1;
	}
	p->pos = save;

	/* build into a scratch buffer: each step wraps what came before */
	size_t mark = p->olen;
	int wrote = term(p, anyor, depth);
	if (wrote < 0)
		return -1;
	while (p->pos < p->ntok && strcmp(p->tok[p->pos], ")") != 0) {
		const char *op = next(p);
		int isand = strcmp(op, "and") == 0 || strcmp(op, "&&") == 0;
		if (!isand && strcmp(op, "or") != 0 && strcmp(op, "||") != 0) {
			fail(p, "expected 'and' or 'or' before '%s'", op);
			return -1;
		}
		size_t before = p->olen;
		emit(p, " %s ", isand ? "and" : "or");
		size_t opend = p->olen;
		int w = term(p, anyor, depth);
		if (w < 0)
			return -1;
		if (w == 0 || !wrote) {
			/* a time term: drop the operator (and it is "and": checked above) */
			memmove(p->out + before, p->out + opend, p->olen - opend + 1);
			p->olen -= opend - before;
			p->out[p->olen] = '\0';
		} else {
			/* "(" + what came before + ")" + op + term, parenthesised whole */
			if (p->olen + 4 >= p->ocap) {
				fail(p, "query too long");
				return -1;
			}
			memmove(p->out + mark + 1, p->out + mark, p->olen - mark + 1);
			p->out[mark] = '(';
			p->olen++;
			emit(p, ")");
		}
		wrote |= w;
	}
	return p->failed ? -1 : wrote;
}

/*
 * steno_parse: q (NUL-terminated) into out->expr (malloc'd) and the
 * window.  0, or -1 with a one-line reason.
 */
int
steno_parse(const char *q, uint64_t now_ns, struct steno_q *out, char *why, size_t wlen)
{
	struct parser p = { .now = now_ns, .end = UINT64_MAX, .why = why, .wlen = wlen };
	size_t qlen = strlen(q);
	char *buf;

	/* the tokenizer may insert one byte per operator: room for all */
	buf = xmalloc(qlen * 2 + 1);
	p.out = xmalloc(qlen * 8 + 64);
	p.ocap = qlen * 8 + 64;
	p.out[0] = '\0';
	memcpy(buf, q, qlen + 1);
	if (tokenize(&p, buf) == 0) {
		if (p.ntok == 0)
			fail(&p, "empty query");
		else if (query(&p, 0, 0) >= 0 && p.pos < p.ntok)
			fail(&p, "unexpected '%s'", p.tok[p.pos]);
	}
	free(buf);
	if (p.failed) {
		free(p.out);
		return -1;
	}
	if (p.start >= p.end) {
		snprintf(why, wlen, "the window is empty: 'after' is not before 'before'");
		free(p.out);
		return -1;
	}
	out->expr = p.out;
	out->start = p.start;
	out->end = p.end;
	return 0;
}
