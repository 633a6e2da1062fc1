/*
 * mercury.c - one line of pkfind -T json (a flat object; pkfind writes
 * it, values are JSON already) as one line with Mercury's field names.
 * Values are copied as they are; a missing one is left out.
 */
#include <stdio.h>
#include <string.h>

#include "serve.h"

enum { F_TS, F_LEN, F_SMAC, F_DMAC, F_SIP, F_DIP, F_SPORT, F_DPORT, F_PROTO, F_TYPE, F_N };
static const char *const from[F_N] = {
	"@timestamp", "network.bytes", "source.mac", "destination.mac", "source.ip", "destination.ip",
	"source.port", "destination.port", "network.transport", "network.type",
};
static const char *const to[F_N] = {
	"timestamp", "length", "srcMAC", "dstMAC", "srcIP", "dstIP", "srcPort", "dstPort", "proto", NULL,
};

/* the end of the value at s: past a string (escapes skipped) or up to , } at depth 0 */
static const char *
value_end(const char *s, const char *end)
{
	int depth = 0;

	if (s < end && *s == '"') {
		for (s++; s < end && *s != '"'; s++)
			if (*s == '\\')
				s++;
		return s < end ? s + 1 : end;
	}
	for (; s < end; s++) {
		if (*s == '[' || *s == '{')
			depth++;
		else if ((*s == ']' || *s == '}') && depth > 0)
			depth--;
		else if ((*s == ',' || *s == '}') && depth == 0)
			break;
	}
	return s;
}

/* unquoted: a string value without its quotes (for "text"), at most olen-1 bytes */
static void
unquoted(const char *v, size_t n, char *out, size_t olen)
{
	if (n >= 2 && v[0] == '"')
		v++, n -= 2;
	if (n >= olen)
		n = olen - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* mercury_line: in (one line, no newline) into out with a newline; its length, 0 when not an object */
size_t
mercury_line(const char *in, size_t len, char *out, size_t olen)
{
	const char *v[F_N] = { NULL }, *p = in, *end = in + len, *k, *ve;
	size_t vl[F_N] = { 0 }, o = 0;
	char text[256], sip[64] = "?", dip[64] = "?", sp[16] = "", dp[16] = "", proto[16] = "";
	int first = 1;

	if (len == 0 || in[0] != '{')
		return 0;
	for (p++; p < end;) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p >= end || *p != '"')
			break;
		k = ++p;
		while (p < end && *p != '"')
			p++;
		size_t kl = (size_t)(p - k);
		if (p + 1 >= end || p[1] != ':')
			break;
		p += 2;
		ve = value_end(p, end);
		for (int i = 0; i < F_N; i++)
			if (strlen(from[i]) == kl && memcmp(from[i], k, kl) == 0) {
				v[i] = p;
				vl[i] = (size_t)(ve - p);
			}
		p = ve;
	}
	/* text: what Mercury shows for a packet, "proto src:port > dst:port" */
	if (v[F_SIP])
		unquoted(v[F_SIP], vl[F_SIP], sip, sizeof sip);
	if (v[F_DIP])
		unquoted(v[F_DIP], vl[F_DIP], dip, sizeof dip);
	if (v[F_SPORT])
		snprintf(sp, sizeof sp, ":%.*s", (int)(vl[F_SPORT] < 8 ? vl[F_SPORT] : 8), v[F_SPORT]);
	if (v[F_DPORT])
		snprintf(dp, sizeof dp, ":%.*s", (int)(vl[F_DPORT] < 8 ? vl[F_DPORT] : 8), v[F_DPORT]);
	if (v[F_PROTO])
		unquoted(v[F_PROTO], vl[F_PROTO], proto, sizeof proto);
	else if (v[F_TYPE])
		unquoted(v[F_TYPE], vl[F_TYPE], proto, sizeof proto);
	snprintf(text, sizeof text, "%s %s%s > %s%s", proto[0] ? proto : "?", sip, sp, dip, dp);

	o += (size_t)snprintf(out + o, olen - o, "{");
	for (int i = 0; i < F_N; i++) {
		if (to[i] == NULL || v[i] == NULL || o + vl[i] + 32 >= olen)
			continue;
		o += (size_t)snprintf(out + o, olen - o, "%s\"%s\":%.*s", first ? "" : ",", to[i], (int)vl[i], v[i]);
		first = 0;
	}
	if (o + strlen(text) * 6 + 64 >= olen)
		return 0;
	o += (size_t)snprintf(out + o, olen - o, "%s\"text\":\"", first ? "" : ",");
	for (const char *t = text; *t; t++)	/* text is built of JSON-safe pieces; escape anyway */
		o += (size_t)(*t == '"' || *t == '\\' ? snprintf(out + o, olen - o, "\\%c", *t) :
		    (unsigned char)*t < 0x20 ? snprintf(out + o, olen - o, "\\u%04x", *t) : snprintf(out + o, olen - o, "%c", *t));
	o += (size_t)snprintf(out + o, olen - o, "\",\"ipv6\":%s}\n",
	    v[F_TYPE] && vl[F_TYPE] == 6 && memcmp(v[F_TYPE], "\"ipv6\"", 6) == 0 ? "true" : "false");
	return o;
}
