/*
 * timeparse.h - times and durations given by people on command lines
 * (pkfind -s/-e/-D, pkslice -s/-e).  Documented in pkfind(1).
 *
 * Accepted times:
 *   2026-11-22T14:00Z, 2026-11-22T14:00:05.123456789+01:00, 2026-11-22 14:00
 *       RFC 3339 / ISO 8601; seconds and a fraction (up to 9 digits) are
 *       optional; 'T', 't' or one space between date and time; a zone is
 *       Z, +HH:MM, +HHMM or +HH.  No zone means UTC (never local time:
 *       an archive is named in UTC and answers must not depend on TZ).
 *   2026-11-22          midnight UTC of that day
 *   @1700000000.5       epoch seconds, optional fraction
 *   1700000000          plain digits, at least 9 of them, are epoch seconds
 *   now                 now_ns
 *   -1h -90m -30s -2d   relative to now_ns (units: s m h d w; fraction ok)
 *   +10m                relative to base_ns (for an END: START + 10 minutes)
 */
#ifndef PK_TIMEPARSE_H
#define PK_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * timeparse: parse s into nanoseconds since the epoch.  0, or -1 with a
 * one-line reason in err (no program name).
 */
int timeparse(const char *s, uint64_t now_ns, uint64_t base_ns, uint64_t *out_ns, char *err, size_t errlen);

/*
 * durparse: a duration: digits with an optional fraction and a unit
 * (ns us ms s m h d w; none = seconds), several may follow each other
 * ("1h30m").  0, or -1 with err.
 */
int durparse(const char *s, uint64_t *out_ns, char *err, size_t errlen);

/*
 * time_fmt_iso: ts_ns as 2026-11-22T14:00:05.123456789Z into buf
 * (>= 31 bytes); ns digits are dropped when ns_digits is 0 and the
 * fraction is zero.
 */
void time_fmt_iso(uint64_t ts_ns, int ns_digits, char *buf, size_t len);

#endif
