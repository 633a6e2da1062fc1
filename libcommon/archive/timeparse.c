/* timeparse.c - times and durations from the command line (timeparse.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeparse.h"

#define NS 1000000000ull

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm) */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
mdays(int y, unsigned m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* exactly n digits at *p into *v; advances p */
static int
digits(const char **p, int n, unsigned *v)
{
	unsigned x = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* a fraction after '.' or ',': up to 9 digits count, more are dropped */
static int
fraction(const char **p, uint64_t *ns)
{
	uint64_t x = 0, scale = 100000000ull;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		x += (uint64_t)(*s - '0') * scale;
		scale /= 10;
	}
	*p = s;
	*ns = x;
	return 0;
}

static int
fail(char *err, size_t errlen, const char *s, const char *why)
{
	snprintf(err, errlen, "bad time '%s': %s", s, why);
	return -1;
}

static int
parse_iso(const char *s, uint64_t *out, char *err, size_t errlen)
{
	const char *p = s;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	uint64_t frac = 0;
	int64_t days, t, off = 0;

	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    digits(&p, 2, &d) < 0)
		return fail(err, errlen, s, "expected YYYY-MM-DD");
	if (mo < 1 || mo > 12 || d < 1 || (int)d > mdays((int)y, mo))
		return fail(err, errlen, s, "no such date");
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
			return fail(err, errlen, s, "expected HH:MM after the date");
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) < 0)
				return fail(err, errlen, s, "expected SS after HH:MM:");
			if ((*p == '.' || *p == ',') && (p++, fraction(&p, &frac) < 0))
				return fail(err, errlen, s, "expected digits after the decimal point");
		}
		if (h > 23 || mi > 59 || sec > 60)
			return fail(err, errlen, s, "no such time of day");
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int neg = *p++ == '-';

			if (digits(&p, 2, &oh) < 0)
				return fail(err, errlen, s, "expected a zone offset +HH:MM");
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &om) < 0)
				return fail(err, errlen, s, "expected a zone offset +HH:MM");
			if (oh > 23 || om > 59)
				return fail(err, errlen, s, "no such zone offset");
			off = ((int64_t)oh * 3600 + om * 60) * (neg ? -1 : 1);
		}
	}
	if (*p != '\0')
		return fail(err, errlen, s, "unexpected characters after the time");
	days = days_from_civil(y, mo, d);
	t = days * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0)
		return fail(err, errlen, s, "before 1970");
	*out = (uint64_t)t * NS + frac;
	return 0;
}

/* number with optional fraction, then an optional unit; advances p */
static int
dur_term(const char **pp, uint64_t *ns)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", NS }, { "m", 60 * NS },
		{ "h", 3600 * NS }, { "d", 86400 * NS }, { "w", 7 * 86400 * NS },
	};
	const char *p = *pp;
	uint64_t ip = 0, frac = 0, mul = NS;
	size_t i, n = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++, n++) {
		if (n > 12)
			return -1;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.' && (p++, fraction(&p, &frac) < 0))
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t l = strlen(units[i].u);

		if (strncmp(p, units[i].u, l) == 0 && !isalpha((unsigned char)p[l])) {
			mul = units[i].ns;
			p += l;
			break;
		}
	}
	if (isalpha((unsigned char)*p))
		return -1;
	/* frac is in ns-of-a-unit-of-one-second scale: rescale to the unit */
	*ns = ip * mul + (uint64_t)((long double)frac * (long double)mul / (long double)NS);
	*pp = p;
	return 0;
}

int
durparse(const char *s, uint64_t *out_ns, char *err, size_t errlen)
{
	const char *p = s;
	uint64_t total = 0, t;

	if (*p == '\0') {
		snprintf(err, errlen, "bad duration '': empty");
		return -1;
	}
	while (*p != '\0') {
		if (dur_term(&p, &t) < 0) {
			snprintf(err, errlen, "bad duration '%s': expected a number and a unit (s m h d)", s);
			return -1;
		}
		total += t;
	}
	*out_ns = total;
	return 0;
}

int
timeparse(const char *s, uint64_t now_ns, uint64_t base_ns, uint64_t *out_ns, char *err, size_t errlen)
{
	const char *p;
	uint64_t d;
	size_t n;

	if (s == NULL || *s == '\0')
		return fail(err, errlen, s ? s : "", "empty");
	if (strcmp(s, "now") == 0) {
		*out_ns = now_ns;
		return 0;
	}
	if (s[0] == '-' || s[0] == '+') {
		if (durparse(s + 1, &d, err, errlen) < 0)
			return fail(err, errlen, s, "expected -N or +N with a unit (s m h d), e.g. -1h or +10m");
		if (s[0] == '-') {
			if (d > now_ns)
				return fail(err, errlen, s, "before 1970");
			*out_ns = now_ns - d;
		} else {
			*out_ns = base_ns + d;
		}
		return 0;
	}
	p = s[0] == '@' ? s + 1 : s;
	n = strspn(p, "0123456789");
	if (n > 0 && (p[n] == '\0' || p[n] == '.') && (s[0] == '@' || n >= 9)) {
		uint64_t sec = 0, frac = 0;
		const char *q = p + n;

		if (n > 11)
			return fail(err, errlen, s, "epoch seconds out of range");
		for (size_t i = 0; i < n; i++)
			sec = sec * 10 + (uint64_t)(p[i] - '0');
		if (*q == '.' && (q++, fraction(&q, &frac) < 0 || *q != '\0'))
			return fail(err, errlen, s, "expected digits after the decimal point");
		*out_ns = sec * NS + frac;
		return 0;
	}
	if (s[0] == '@')
		return fail(err, errlen, s, "expected epoch seconds after '@'");
	return parse_iso(s, out_ns, err, errlen);
}

void
time_fmt_iso(uint64_t ts_ns, int ns_digits, char *buf, size_t len)
{
	int64_t days = (int64_t)(ts_ns / NS / 86400);
	uint64_t sod = ts_ns / NS % 86400, frac = ts_ns % NS;
	unsigned m, d;
	int y;

	civil_from_days(days, &y, &m, &d);
	if (ns_digits || frac)
		snprintf(buf, len, "%04d-%02u-%02uT%02u:%02u:%02u.%09lluZ", y, m, d, (unsigned)(sod / 3600),
		    (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), (unsigned long long)frac);
	else
		snprintf(buf, len, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, (unsigned)(sod / 3600),
		    (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}
