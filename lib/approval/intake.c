/*
 * intake.c - validate and normalize a new approval request.  See intake.h.
 *
 * Every input key has a row in a static table (top level, step, approver
 * object, preset metadata field); a key without a row is an "unknown field"
 * so that a client's typo is a 400, not a silently dropped option.  Checks
 * run in table order and the first problem is reported with its path.
 *
 * This file may only use json.c and buf.c: the fuzz target links nothing
 * else.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "base/buf.h"
#include "base/check.h"
#include "base/json.h"
#include "base/utf8.h"
#include "approval/intake.h"

#define MAX_STEPS		20
#define MAX_APPROVERS		HUB_INTAKE_MAX_APPROVERS
#define MAX_WATCHERS		50
#define MAX_META_BYTES		HUB_INTAKE_META_MAX
#define MAX_META_KEYS		100
#define MAX_META_DEPTH		5
#define MAX_DURATION		(365LL * 86400)
#define MAX_IDEMPOTENCY		200
#define MAX_URL			2000
#define MAX_EPOCH		253402300799LL	/* 9999-12-31T23:59:59Z */

/* Tests set this to pin "now"; 0 means time(NULL). */
HUB_STATIC time_t intake_now = 0;

struct intake {
	struct hub_intake_error	*err;
	json_object		*out;
	int			 napprovers;	/* across all steps */
};

/* Flags of a string field. */
#define F_REQUIRED	0x01u	/* absent or null is an error */
#define F_NONEMPTY	0x02u	/* "" and blanks are an error */
#define F_MULTILINE	0x04u	/* \n, \t (and \r\n, stored as \n) allowed */
#define F_LOWER		0x08u	/* stored in ASCII lower case */

struct spec;
typedef int (*conv_fn)(struct intake *, const struct spec *, const char *path,
    json_object *, json_object **);
typedef int (*syntax_fn)(const char *);

struct spec {
	const char		*key;
	const char		*out;	/* output key; NULL: assembled by build_steps */
	conv_fn			 conv;
	size_t			 max;	/* characters (strings) */
	unsigned		 flags;
	syntax_fn		 syntax;	/* strings: 1 when well-formed */
	const char		*bad;	/* message when syntax fails */
	long long		 min;	/* durations: least seconds */
};

/* ------------------------------------------------------------ errors */

/* Copy at most the field's room, never ending in a cut UTF-8 sequence
 * (a path built from a long key may already have been cut). */
static void
set_field(struct hub_intake_error *e, const char *field)
{
	size_t n = hub_utf8_cut(field, strlen(field), sizeof(e->field) - 1);

	memcpy(e->field, field, n);
	e->field[n] = '\0';
}

static int HUB_PRINTF(3, 4)
fail(struct intake *ix, const char *field, const char *fmt, ...)
{
	va_list ap;

	set_field(ix->err, field);
	va_start(ap, fmt);
	vsnprintf(ix->err->message, sizeof(ix->err->message), fmt, ap);
	va_end(ap);
	return HUB_INTAKE_INVALID;
}

/* A field path; a long user key is cut (set_field keeps UTF-8 whole). */
static void HUB_PRINTF(3, 4)
mkpath(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* An object key as a path component: "" is shown quoted, not as nothing. */
static const char *
keyname(const char *key)
{
	return key[0] != '\0' ? key : "\"\"";
}

/* ------------------------------------------------------------ text */

enum text_err { TEXT_OK, TEXT_UTF8, TEXT_CTRL, TEXT_LONG, TEXT_EMPTY };

/* C0 (but \n, \t and \r\n when multiline), DEL and C1 controls. */
static int
has_control(const char *str, size_t len, int multiline)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == 0x7f)
			return 1;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return 1;
		if (s[i] >= 0x20)
			continue;
		if (multiline && (s[i] == '\n' || s[i] == '\t'))
			continue;
		if (multiline && s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		return 1;
	}
	return 0;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static enum text_err
text_check(const char *s, size_t len, size_t max, unsigned flags)
{
	long n;

	if ((n = hub_utf8_count(s, len)) < 0)
		return TEXT_UTF8;
	if ((size_t)n > max)
		return TEXT_LONG;
	if (has_control(s, len, (flags & F_MULTILINE) != 0))
		return TEXT_CTRL;
	if ((flags & F_NONEMPTY) && blank(s, len))
		return TEXT_EMPTY;
	return TEXT_OK;
}

static int
text_fail(struct intake *ix, const char *path, enum text_err e, size_t max)
{
	switch (e) {
	case TEXT_UTF8:
		return fail(ix, path, "must be valid UTF-8");
	case TEXT_CTRL:
		return fail(ix, path, "must not contain control characters");
	case TEXT_EMPTY:
		return fail(ix, path, "must not be empty");
	default:
		return fail(ix, path, "must be a string of at most %zu characters", max);
	}
}

/*
 * A string value checked for type, UTF-8, length, controls; *s and *len
 * point into v.  A JSON string holding \u0000 is a control character.
 */
static int
get_text(struct intake *ix, const char *path, json_object *v, size_t max,
    unsigned flags, const char **s, size_t *len)
{
	enum text_err e;

	if (!json_object_is_type(v, json_type_string))
		return fail(ix, path, "must be a string of at most %zu characters", max);
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	if ((e = text_check(*s, *len, max, flags)) != TEXT_OK)
		return text_fail(ix, path, e, max);
	return HUB_INTAKE_OK;
}

/* ------------------------------------------------------------ syntax */

static int
is_upper_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ^[UW][A-Z0-9]{2,}$, at most 32 characters. */
HUB_STATIC int
intake_is_slack_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 3 || n > 32 || (s[0] != 'U' && s[0] != 'W'))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_upper_alnum((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * local@domain.tld in ASCII: local part of atext and inner dots (≤ 64),
 * domain of LDH labels (≤ 63 each, ≤ 255 in all) ending in an alphabetic
 * TLD of 2 or more letters.  Internationalized addresses are refused.
 */
static int
is_group_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == '-';
}

/* NAME of "group:NAME": [a-z0-9_.-]{1,100}. */
static int
is_group_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 100)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_group_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * A Slack channel: an id ^[CG][A-Z0-9]{2,}$ or "#name" of lower-case
 * letters, digits, - _ . and non-ASCII letters (Slack allows those).
 */
static int
is_channel(const char *s)
{
	size_t i, n = strlen(s);

	if (n >= 3 && (s[0] == 'C' || s[0] == 'G')) {
		for (i = 1; i < n; i++)
			if (!is_upper_alnum((unsigned char)s[i]))
				return 0;
		return 1;
	}
	if (n < 2 || s[0] != '#')
		return 0;
	for (i = 1; i < n; i++)
		if (!is_group_char((unsigned char)s[i]) && (unsigned char)s[i] < 0x80)
			return 0;
	return 1;
}

/*
 * http:// or https:// (scheme in any case), a host, an optional port, then
 * anything printable: no spaces, no controls, no non-ASCII, no user info.
 */
int
hub_intake_is_url(const char *s)
{
	const char *host, *end, *p, *colon = NULL;
	size_t i, n = strlen(s);
	long port;

	if (n > MAX_URL)
		return 0;
	if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	end = host + strcspn(host, "/?#");
	if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL)
		return 0;
	if (*host == '[') {
		if ((p = memchr(host, ']', (size_t)(end - host))) == NULL || p == host + 1)
			return 0;
		for (i = 1; host + i < p; i++)
			if (!isxdigit((unsigned char)host[i]) && host[i] != ':' && host[i] != '.')
				return 0;
		if (p + 1 < end) {
			if (p[1] != ':')
				return 0;
			colon = p + 1;
		}
	} else {
		for (p = host; p < end && *p != ':'; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return 0;
		if (p == host)
			return 0;
		if (p < end)
			colon = p;
	}
	if (colon != NULL) {
		if (colon + 1 == end || end - colon - 1 > 5)
			return 0;
		port = 0;
		for (p = colon + 1; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return 0;
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return 0;
	}
	return 1;
}

int
hub_intake_is_currency(const char *s)
{
	return strlen(s) == 3 && isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]) && isupper((unsigned char)s[2]) &&
	    (unsigned char)s[0] < 0x80 && (unsigned char)s[1] < 0x80 &&
	    (unsigned char)s[2] < 0x80;
}

/* ^[A-Z][A-Z0-9]+-[0-9]+$ */
static int
is_jira_key(const char *s)
{
	size_t i = 1;

	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	while (is_upper_alnum((unsigned char)s[i]))
		i++;
	if (i < 2 || s[i] != '-' || s[i + 1] == '\0')
		return 0;
	for (i++; s[i] != '\0'; i++)
		if (!(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return 1;
}

static int
is_delivery(const char *s)
{
	static const char *const modes[] = { "dm", "group_dm", "channel", "both" };
	size_t i;

	for (i = 0; i < HUB_NELEM(modes); i++)
		if (strcmp(s, modes[i]) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ dates */

/* Exactly n digits at s. */
static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* A whole string "YYYY-MM-DD". */
HUB_STATIC int
intake_is_date(const char *s, long long *days)
{
	return hub_check_date(s, days);
}

/*
 * Seconds since the epoch of an ISO-8601 date-time with a zone:
 * YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|+hh:mm|-hh:mm); the fraction is
 * dropped.  A bare date YYYY-MM-DD is the last second of that day, UTC.
 * -1 when malformed or past 9999-12-31T23:59:59Z.
 */
HUB_STATIC long long
intake_parse_datetime(const char *s)
{
	long long days, t;
	int hh, mi, ss = 0, oh, om, sign, i;
	size_t n = strlen(s);
	const char *p;

	if (n < 10 || !hub_check_date_at(s, &days))
		return -1;
	if (n == 10) {
		t = days * 86400 + 86399;
		return t > MAX_EPOCH ? -1 : t;
	}
	p = s + 10;
	if (*p != 'T' || !digits(p + 1, 2, &hh) || p[3] != ':' || !digits(p + 4, 2, &mi))
		return -1;
	p += 6;
	if (*p == ':') {
		if (!digits(p + 1, 2, &ss))
			return -1;
		p += 3;
		if (*p == '.') {
			for (i = 1; p[i] >= '0' && p[i] <= '9'; i++)
				;
			if (i == 1 || i > 10)
				return -1;
			p += i;
		}
	}
	if (hh > 23 || mi > 59 || ss > 59)
		return -1;
	if (*p == 'Z') {
		sign = 0;
		oh = om = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	t = days * 86400 + hh * 3600 + mi * 60 + ss - sign * (oh * 3600 + om * 60);
	return t < 0 || t > MAX_EPOCH ? -1 : t;
}

/* ------------------------------------------------------------ durations */

/* Up to 9 digits at *pp; advances *pp. */
static int
number(const char **pp, long long *out)
{
	const char *p = *pp;
	long long v = 0;
	int n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > 9)
			return 0;
		v = v * 10 + (*p++ - '0');
	}
	if (n == 0)
		return 0;
	*pp = p;
	*out = v;
	return 1;
}

/* ISO-8601 PnW or P[nD][T[nH][nM][nS]]: no years or months, whose length varies. */
static long long
iso_duration(const char *p)
{
	static const struct { char unit; long long secs; int in_time; } parts[] = {
		{ 'D', 86400, 0 }, { 'H', 3600, 1 }, { 'M', 60, 1 }, { 'S', 1, 1 },
	};
	const char *q;
	long long v, total = 0;
	size_t next = 0, i;
	int in_time = 0, any = 0;

	if (*p++ != 'P')
		return -1;
	q = p;
	if (number(&q, &v) && *q == 'W')
		return q[1] == '\0' ? v * 604800 : -1;
	for (;;) {
		if (*p == '\0')
			break;
		if (*p == 'T') {
			if (in_time || p[1] == '\0')
				return -1;
			in_time = 1;
			p++;
			continue;
		}
		if (!number(&p, &v))
			return -1;
		for (i = next; i < HUB_NELEM(parts); i++)
			if (parts[i].unit == *p && parts[i].in_time == in_time)
				break;
		if (i == HUB_NELEM(parts))
			return -1;
		total += v * parts[i].secs;
		next = i + 1;
		any = 1;
		p++;
	}
	return any ? total : -1;
}

long long
hub_intake_duration(json_object *v)
{
	static const struct { char unit; long long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	const char *s, *p;
	long long n, r = -1;
	size_t i;

	if (v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		if (n == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
			return -1;
		return n > 0 ? n : -1;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return -1;
	if (s[0] == 'P') {
		r = iso_duration(s);
	} else {
		p = s;
		if (!number(&p, &n))
			return -1;
		for (i = 0; i < HUB_NELEM(units); i++)
			if (p[0] == units[i].unit && p[1] == '\0')
				r = n * units[i].secs;
	}
	return r > 0 ? r : -1;
}

/* ------------------------------------------------------------ converters */

/* A string field: text checks, then the row's syntax, then case. */
static int
conv_string(struct intake *ix, const struct spec *f, const char *path,
    json_object *v, json_object **res)
{
	const char *s;
	char *copy = NULL;
	size_t len, i, j;
	int rc;

	if ((rc = get_text(ix, path, v, f->max, f->flags, &s, &len)) != HUB_INTAKE_OK)
		return rc;
	if (f->syntax != NULL && !f->syntax(s))
		return fail(ix, path, "%s", f->bad);
	if ((f->flags & (F_LOWER | F_MULTILINE)) == 0) {
		*res = json_object_new_string_len(s, (int)len);
		return *res == NULL ? HUB_INTAKE_NOMEM : HUB_INTAKE_OK;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return HUB_INTAKE_NOMEM;
	for (i = j = 0; i < len; i++) {
		if ((f->flags & F_MULTILINE) && s[i] == '\r')
			continue;	/* has_control() let only \r\n through */
		copy[j++] = (f->flags & F_LOWER) ? (char)tolower((unsigned char)s[i]) : s[i];
	}
	*res = json_object_new_string_len(copy, (int)j);
	free(copy);
	return *res == NULL ? HUB_INTAKE_NOMEM : HUB_INTAKE_OK;
}

static time_t
now(void)
{
	return intake_now != 0 ? intake_now : time(NULL);
}

static int
conv_deadline(struct intake *ix, const struct spec *f, const char *path,
    json_object *v, json_object **res)
{
	const char *s;
	char out[80];
	struct tm tm;
	size_t len;
	long long t;
	time_t tt;
	int rc;

	if ((rc = get_text(ix, path, v, f->max, 0, &s, &len)) != HUB_INTAKE_OK ||
	    (t = intake_parse_datetime(s)) < 0)
		return fail(ix, path, "must be an ISO-8601 date-time with a time zone "
		    "(2030-01-31T17:00:00Z, +01:00) or a date (YYYY-MM-DD)");
	if (t <= (long long)now())
		return fail(ix, path, "must be in the future");
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL)
		return fail(ix, path, "must be an ISO-8601 date-time with a time zone");
	snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	*res = json_object_new_string(out);
	return *res == NULL ? HUB_INTAKE_NOMEM : HUB_INTAKE_OK;
}

static int
conv_duration(struct intake *ix, const struct spec *f, const char *path,
    json_object *v, json_object **res)
{
	long long d = hub_intake_duration(v);

	if (d < 0)
		return fail(ix, path, "must be a duration: seconds, \"90m\", \"4h\", \"2d\" "
		    "or ISO-8601 \"PT4H\"");
	if (d < f->min)
		return fail(ix, path, "must be at least %lld seconds", f->min);
	if (d > MAX_DURATION)
		return fail(ix, path, "must be at most 365 days");
	*res = json_object_new_int64(d);
	return *res == NULL ? HUB_INTAKE_NOMEM : HUB_INTAKE_OK;
}

/* ------------------------------------------------------------ metadata */

static int
meta_walk(struct intake *ix, const char *path, json_object *v, int depth)
{
	char sub[64];
	const char *s;
	size_t len, i, n;
	enum text_err e;
	int rc;

	switch (json_object_get_type(v)) {
	case json_type_object:
		if (depth > MAX_META_DEPTH)
			return fail(ix, "metadata", "must not nest deeper than %d levels",
			    MAX_META_DEPTH);
		if (json_object_object_length(v) > MAX_META_KEYS)
			return fail(ix, path, "must have at most %d keys", MAX_META_KEYS);
		json_object_object_foreach(v, key, val) {
			mkpath(sub, sizeof(sub), "%s.%s", path, keyname(key));
			if ((e = text_check(key, strlen(key), 200, F_NONEMPTY)) != TEXT_OK)
				return e == TEXT_LONG ?
				    fail(ix, sub, "key must be at most 200 characters") :
				    text_fail(ix, sub, e, 200);
			if ((rc = meta_walk(ix, sub, val, depth + 1)) != HUB_INTAKE_OK)
				return rc;
		}
		return HUB_INTAKE_OK;
	case json_type_array:
		if (depth > MAX_META_DEPTH)
			return fail(ix, "metadata", "must not nest deeper than %d levels",
			    MAX_META_DEPTH);
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			mkpath(sub, sizeof(sub), "%s[%zu]", path, i);
			rc = meta_walk(ix, sub, json_object_array_get_idx(v, i), depth + 1);
			if (rc != HUB_INTAKE_OK)
				return rc;
		}
		return HUB_INTAKE_OK;
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if ((e = text_check(s, len, MAX_META_BYTES, F_MULTILINE)) != TEXT_OK)
			return text_fail(ix, path, e, MAX_META_BYTES);
		return HUB_INTAKE_OK;
	case json_type_double:
		if (!isfinite(json_object_get_double(v)))
			return fail(ix, path, "must be a finite number");
		return HUB_INTAKE_OK;
	default:
		return HUB_INTAKE_OK;
	}
}

static int
conv_metadata(struct intake *ix, const struct spec *f, const char *path,
    json_object *v, json_object **res)
{
	size_t len = 0;
	int rc;

	if (!json_object_is_type(v, json_type_object))
		return fail(ix, path, "must be an object");
	if ((rc = meta_walk(ix, path, v, 1)) != HUB_INTAKE_OK)
		return rc;
	if (hub_json_str(v, &len) == NULL)
		return HUB_INTAKE_NOMEM;
	if (len > MAX_META_BYTES)
		return fail(ix, path, "must be at most %d bytes as JSON", MAX_META_BYTES);
	*res = NULL;
	if (json_object_deep_copy(v, res, NULL) != 0)
		return HUB_INTAKE_NOMEM;
	return HUB_INTAKE_OK;
}

/* ------------------------------------------------------------ approvers */

/* The object form of an approver: {"slack"|"email"|"group": "…"}. */
static const struct party_kind {
	const char	*kind;
	size_t		 max;
	syntax_fn	 syntax;
	const char	*bad;
} party_kinds[] = {
	{ "slack", 32, intake_is_slack_id, "must be a Slack user id (U… or W…)" },
	{ "email", 320, hub_check_email, "is not a valid email address" },
	{ "group", 106, is_group_name,
	    "must be group:NAME with NAME of a-z, 0-9, _ . - (at most 100)" },
};

static int
make_party(const char *kind, const char *value, json_object **res)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return HUB_INTAKE_NOMEM;
	if (hub_json_put_str(o, "kind", kind) != HUB_JSON_OK ||
	    hub_json_put_str(o, "value", value) != HUB_JSON_OK) {
		json_object_put(o);
		return HUB_INTAKE_NOMEM;
	}
	*res = o;
	return HUB_INTAKE_OK;
}

/* Check s as a value of kind k and normalize it (emails lower case,
 * groups without the "group:" prefix). */
static int
party_value(struct intake *ix, const char *path, const struct party_kind *k,
    const char *s, json_object **res)
{
	char email[321];
	size_t i, n;

	if (strcmp(k->kind, "group") == 0 && strncmp(s, "group:", 6) == 0)
		s += 6;
	if (!k->syntax(s))
		return fail(ix, path, "%s", k->bad);
	if (strcmp(k->kind, "email") == 0) {
		n = strlen(s);	/* ≤ 320: hub_check_email checked it */
		for (i = 0; i < n; i++)
			email[i] = (char)tolower((unsigned char)s[i]);
		email[n] = '\0';
		s = email;
	}
	return make_party(k->kind, s, res);
}

static int
parse_party(struct intake *ix, const char *path, json_object *v, json_object **res)
{
	const struct party_kind *k = NULL;
	json_object *val = NULL;
	char sub[64];
	const char *s;
	size_t len, i;
	int rc;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, kv) {
			for (i = 0; i < HUB_NELEM(party_kinds); i++)
				if (strcmp(key, party_kinds[i].kind) == 0)
					break;
			if (i == HUB_NELEM(party_kinds)) {
				mkpath(sub, sizeof(sub), "%s.%s", path, keyname(key));
				return fail(ix, sub, "unknown field");
			}
			if (k != NULL)
				return fail(ix, path, "must have exactly one of slack, email, group");
			k = &party_kinds[i];
			val = kv;
		}
		if (k == NULL)
			return fail(ix, path, "must have exactly one of slack, email, group");
		mkpath(sub, sizeof(sub), "%s.%s", path, k->kind);
		if ((rc = get_text(ix, sub, val, k->max, 0, &s, &len)) != HUB_INTAKE_OK)
			return rc;
		return party_value(ix, sub, k, s, res);
	}
	if (!json_object_is_type(v, json_type_string))
		return fail(ix, path, "must be a Slack user id (U…/W…), an email address, "
		    "group:NAME or an object {\"slack\"|\"email\"|\"group\": …}");
	if ((rc = get_text(ix, path, v, 320, 0, &s, &len)) != HUB_INTAKE_OK)
		return rc;
	if (strncmp(s, "group:", 6) == 0)
		k = &party_kinds[2];
	else if (strchr(s, '@') != NULL)
		k = &party_kinds[1];
	else if (intake_is_slack_id(s))
		k = &party_kinds[0];
	else
		return fail(ix, path, "must be a Slack user id (U…/W…), an email address "
		    "or group:NAME");
	return party_value(ix, path, k, s, res);
}

static int
same_party(json_object *a, json_object *b)
{
	json_object *ka, *kb, *va, *vb;

	json_object_object_get_ex(a, "kind", &ka);
	json_object_object_get_ex(b, "kind", &kb);
	json_object_object_get_ex(a, "value", &va);
	json_object_object_get_ex(b, "value", &vb);
	return strcmp(json_object_get_string(ka), json_object_get_string(kb)) == 0 &&
	    strcmp(json_object_get_string(va), json_object_get_string(vb)) == 0;
}

/*
 * Parse the parties of list (an array, or one value when single) into arr;
 * what names them in errors is "<name>[i]" (or name when single).
 */
static int
parse_parties(struct intake *ix, const char *name, json_object *list, int single,
    json_object *arr)
{
	json_object *p;
	char path[64];
	size_t n, i, j;
	int rc;

	n = single ? 1 : json_object_array_length(list);
	for (i = 0; i < n; i++) {
		if (single)
			mkpath(path, sizeof(path), "%s", name);
		else
			mkpath(path, sizeof(path), "%s[%zu]", name, i);
		rc = parse_party(ix, path, single ? list : json_object_array_get_idx(list, i), &p);
		if (rc != HUB_INTAKE_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (same_party(p, json_object_array_get_idx(arr, j))) {
				json_object_put(p);
				return fail(ix, path, "duplicates %s[%zu]", name, j);
			}
		if (hub_json_push(arr, p) != HUB_JSON_OK)
			return HUB_INTAKE_NOMEM;
	}
	return HUB_INTAKE_OK;
}

static int
conv_watchers(struct intake *ix, const struct spec *f, const char *path,
    json_object *v, json_object **res)
{
	int rc;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > MAX_WATCHERS)
		return fail(ix, path, "must be an array of at most %d people", MAX_WATCHERS);
	if ((*res = json_object_new_array()) == NULL)
		return HUB_INTAKE_NOMEM;
	if ((rc = parse_parties(ix, path, v, 0, *res)) != HUB_INTAKE_OK) {
		json_object_put(*res);
		*res = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------ tables */

#define STR(key, out, max, flags) \
	{ key, out, conv_string, max, flags, NULL, NULL, 0 }
#define SYN(key, out, max, flags, fn, bad) \
	{ key, out, conv_string, max, flags, fn, bad, 0 }
#define LATER(key) { key, NULL, NULL, 0, 0, NULL, NULL, 0 }

#define BAD_URL "must be an http:// or https:// URL of at most 2000 characters, " \
	"without spaces or user info"
#define BAD_DELIVERY "must be one of dm, group_dm, channel, both"
#define BAD_CHANNEL "must be a Slack channel id (C…/G…) or #name"

/* Top-level keys, in the order they are checked. */
static const struct spec top_specs[] = {
	STR("request_source", "request_source", 100, F_NONEMPTY),
	STR("requester_name", "requester_name", 200, F_REQUIRED | F_NONEMPTY),
	STR("justification_text", "justification", 10000, F_REQUIRED | F_MULTILINE),
	STR("external_id", "external_id", 200, F_NONEMPTY),
	STR("title", "title", 300, F_NONEMPTY),
	SYN("requester_email", "requester_email", 320, F_LOWER, hub_check_email,
	    "is not a valid email address"),
	SYN("requester_slack_id", "requester_slack_id", 32, 0, intake_is_slack_id,
	    "must be a Slack user id (U… or W…)"),
	{ "metadata", "metadata", conv_metadata, 0, 0, NULL, NULL, 0 },
	LATER("approver_id"),
	LATER("approvers"),
	LATER("rule"),
	LATER("quorum"),
	LATER("steps"),
	{ "deadline", "deadline", conv_deadline, 40, 0, NULL, NULL, 0 },
	{ "reminder_every", "reminder_every", conv_duration, 0, 0, NULL, NULL, 60 },
	{ "valid_for", "valid_for", conv_duration, 0, 0, NULL, NULL, 1 },
	SYN("callback_url", "callback_url", MAX_URL, 0, hub_intake_is_url, BAD_URL),
	{ "watchers", "watchers", conv_watchers, 0, 0, NULL, NULL, 0 },
	SYN("delivery", "delivery", 20, 0, is_delivery, BAD_DELIVERY),
	SYN("channel", "channel", 80, 0, is_channel, BAD_CHANNEL),
	STR("connection", "connection", 100, F_NONEMPTY),
};

/* Keys of one element of steps[]. */
static const struct spec step_specs[] = {
	LATER("approvers"),
	LATER("rule"),
	LATER("quorum"),
	SYN("delivery", "delivery", 20, 0, is_delivery, BAD_DELIVERY),
	SYN("channel", "channel", 80, 0, is_channel, BAD_CHANNEL),
	STR("connection", "connection", 100, F_NONEMPTY),
};

static const char *const rules[] = { "any", "all", "quorum" };

/* Unknown keys of obj against tab; prefix names them ("", "steps[1]."). */
static int
check_keys(struct intake *ix, json_object *obj, const struct spec *tab, size_t n,
    const char *prefix)
{
	char path[64];
	size_t i;

	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; i < n; i++)
			if (strcmp(key, tab[i].key) == 0)
				break;
		if (i == n) {
			mkpath(path, sizeof(path), "%s%s", prefix, keyname(key));
			return fail(ix, path, "unknown field");
		}
	}
	return HUB_INTAKE_OK;
}

/* Run the converters of tab over obj into dst. */
static int
convert(struct intake *ix, json_object *obj, const struct spec *tab, size_t n,
    const char *prefix, json_object *dst)
{
	json_object *v, *res;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (tab[i].conv == NULL)
			continue;
		mkpath(path, sizeof(path), "%s%s", prefix, tab[i].key);
		res = NULL;
		if ((v = json_object_object_get(obj, tab[i].key)) == NULL) {
			if (tab[i].flags & F_REQUIRED)
				return fail(ix, path, "required");
		} else if ((rc = tab[i].conv(ix, &tab[i], path, v, &res)) != HUB_INTAKE_OK)
			return rc;
		if (hub_json_put(dst, tab[i].out, res) != HUB_JSON_OK)
			return HUB_INTAKE_NOMEM;
	}
	return HUB_INTAKE_OK;
}

/* ------------------------------------------------------------ steps */

/*
 * One step.  list: the approvers (an array, or the single approver_id when
 * single); rule_v, quorum_v: may be NULL; stepobj: the steps[] element (its
 * delivery, channel, connection) or NULL.  prefix names fields ("",
 * "steps[1].").
 */
static int
build_step(struct intake *ix, const char *prefix, json_object *list, int single,
    json_object *rule_v, json_object *quorum_v, json_object *stepobj, json_object **res)
{
	json_object *step = NULL, *arr = NULL, *q = NULL;
	const char *rule = "any";
	char path[64], name[64];
	size_t n, i;
	int64_t quorum = 0;
	int rc;

	if ((step = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL) {
		rc = HUB_INTAKE_NOMEM;
		goto out;
	}
	mkpath(name, sizeof(name), "%s%s", prefix, single ? "approver_id" : "approvers");
	if (!single && (!json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) == 0)) {
		rc = fail(ix, name, "must be a non-empty array of approvers");
		goto out;
	}
	n = single ? 1 : json_object_array_length(list);
	if (n > MAX_APPROVERS || (size_t)ix->napprovers + n > MAX_APPROVERS) {
		rc = fail(ix, name, "too many approvers: at most %d in all", MAX_APPROVERS);
		goto out;
	}
	if ((rc = parse_parties(ix, name, list, single, arr)) != HUB_INTAKE_OK)
		goto out;
	ix->napprovers += (int)n;

	mkpath(path, sizeof(path), "%srule", prefix);
	if (rule_v != NULL) {
		rule = NULL;
		if (json_object_is_type(rule_v, json_type_string))
			for (i = 0; i < HUB_NELEM(rules); i++)
				if (strcmp(json_object_get_string(rule_v), rules[i]) == 0)
					rule = rules[i];
		if (rule == NULL) {
			rc = fail(ix, path, "must be one of any, all, quorum");
			goto out;
		}
	}
	mkpath(path, sizeof(path), "%squorum", prefix);
	if (strcmp(rule, "quorum") == 0) {
		if (quorum_v == NULL) {
			rc = fail(ix, path, "required when rule is quorum");
			goto out;
		}
		if (!json_object_is_type(quorum_v, json_type_int) ||
		    (quorum = json_object_get_int64(quorum_v)) < 1 || quorum > (int64_t)n) {
			rc = fail(ix, path, "must be an integer from 1 to %zu "
			    "(the number of approvers)", n);
			goto out;
		}
		if ((q = json_object_new_int64(quorum)) == NULL) {
			rc = HUB_INTAKE_NOMEM;
			goto out;
		}
	} else if (quorum_v != NULL) {
		rc = fail(ix, path, "only allowed when rule is quorum");
		goto out;
	}
	if (hub_json_put_str(step, "rule", rule) != HUB_JSON_OK ||
	    hub_json_put(step, "quorum", q) != HUB_JSON_OK) {
		rc = HUB_INTAKE_NOMEM;
		goto out;
	}
	rc = hub_json_put(step, "approvers", arr) == HUB_JSON_OK ? HUB_INTAKE_OK :
	    HUB_INTAKE_NOMEM;
	arr = NULL;
	if (rc != HUB_INTAKE_OK)
		goto out;
	rc = convert(ix, stepobj, step_specs, HUB_NELEM(step_specs), prefix, step);
out:
	json_object_put(arr);
	if (rc != HUB_INTAKE_OK) {
		json_object_put(step);
		step = NULL;
	}
	*res = step;
	return rc;
}

static int
build_steps(struct intake *ix, json_object *in)
{
	/* json_object_object_get: NULL for an absent key and for JSON null
	 * alike, both read as not given (here and in every converter). */
	json_object *id = json_object_object_get(in, "approver_id");
	json_object *list = json_object_object_get(in, "approvers");
	json_object *steps = json_object_object_get(in, "steps");
	json_object *rule = json_object_object_get(in, "rule");
	json_object *quorum = json_object_object_get(in, "quorum");
	json_object *arr, *step, *el;
	char prefix[64];
	size_t n, i;
	int rc;

	if ((arr = json_object_new_array()) == NULL)
		return HUB_INTAKE_NOMEM;
	if (hub_json_put(ix->out, "steps", arr) != HUB_JSON_OK)
		return HUB_INTAKE_NOMEM;
	if (steps != NULL && (id != NULL || list != NULL))
		return fail(ix, "steps", "cannot be combined with approver_id or approvers");
	if (id != NULL && list != NULL)
		return fail(ix, "approvers", "cannot be combined with approver_id");
	if (steps != NULL && rule != NULL)
		return fail(ix, "rule", "must be given in each step when steps is used");
	if (steps != NULL && quorum != NULL)
		return fail(ix, "quorum", "must be given in each step when steps is used");
	if (id != NULL || list != NULL) {
		if ((rc = build_step(ix, "", id != NULL ? id : list, id != NULL, rule,
		    quorum, NULL, &step)) != HUB_INTAKE_OK)
			return rc;
		return hub_json_push(arr, step) == HUB_JSON_OK ? HUB_INTAKE_OK :
		    HUB_INTAKE_NOMEM;
	}
	if (steps == NULL)
		return fail(ix, "approver_id", "required: give approver_id, approvers or steps");
	if (!json_object_is_type(steps, json_type_array) ||
	    (n = json_object_array_length(steps)) == 0 || n > MAX_STEPS)
		return fail(ix, "steps", "must be an array of 1 to %d steps", MAX_STEPS);
	for (i = 0; i < n; i++) {
		el = json_object_array_get_idx(steps, i);
		mkpath(prefix, sizeof(prefix), "steps[%zu]", i);
		if (!json_object_is_type(el, json_type_object))
			return fail(ix, prefix, "must be an object");
		mkpath(prefix, sizeof(prefix), "steps[%zu].", i);
		if ((rc = check_keys(ix, el, step_specs, HUB_NELEM(step_specs), prefix)) !=
		    HUB_INTAKE_OK)
			return rc;
		mkpath(prefix, sizeof(prefix), "steps[%zu].approvers", i);
		if (json_object_object_get(el, "approvers") == NULL)
			return fail(ix, prefix, "required");
		mkpath(prefix, sizeof(prefix), "steps[%zu].", i);
		if ((rc = build_step(ix, prefix, json_object_object_get(el, "approvers"), 0,
		    json_object_object_get(el, "rule"), json_object_object_get(el, "quorum"), el,
		    &step)) != HUB_INTAKE_OK)
			return rc;
		if (hub_json_push(arr, step) != HUB_JSON_OK)
			return HUB_INTAKE_NOMEM;
	}
	return HUB_INTAKE_OK;
}

/* ------------------------------------------------------------ presets */

#define PTEXT(k, l, n) { k, l, HUB_META_TEXT, HUB_SHOW_TEXT, n, 0, 0 }
#define PNUM(k, l, show, lo, hi) { k, l, HUB_META_NUMBER, show, 0, lo, hi }
#define PTYPE(k, l, t, show) { k, l, t, show, 0, 0, 0 }

static const struct hub_preset_field workday_fields[] = {
	PTYPE("date_range", "Dates", HUB_META_RANGE, HUB_SHOW_TEXT),
	PNUM("days_requested", "Days requested", HUB_SHOW_NUMBER, 0, HUGE_VAL),
	PNUM("remaining_pto", "Remaining PTO", HUB_SHOW_NUMBER, -HUGE_VAL, HUGE_VAL),
};
static const struct hub_preset_field concur_fields[] = {
	PNUM("amount", "Amount", HUB_SHOW_MONEY, -HUGE_VAL, HUGE_VAL),
	PTYPE("currency", "Currency", HUB_META_CURRENCY, HUB_SHOW_TEXT),
	PTEXT("category", "Category", 200),
	PTYPE("trip_dates", "Trip dates", HUB_META_DATES, HUB_SHOW_TEXT),
	PTYPE("date", "Date", HUB_META_DATE, HUB_SHOW_TEXT),
	PTYPE("receipt_url", "Receipt", HUB_META_URL, HUB_SHOW_LINK),
};
static const struct hub_preset_field salesforce_fields[] = {
	PTEXT("customer_name", "Customer", 200),
	PNUM("deal_value", "Deal value", HUB_SHOW_MONEY, -HUGE_VAL, HUGE_VAL),
	PTYPE("currency", "Currency", HUB_META_CURRENCY, HUB_SHOW_TEXT),
	PTYPE("close_date", "Close date", HUB_META_DATE, HUB_SHOW_TEXT),
	PTEXT("stage", "Stage", 100),
	PNUM("discount_percent", "Discount", HUB_SHOW_PERCENT, 0, 100),
};
static const struct hub_preset_field jira_fields[] = {
	PTYPE("issue_key", "Issue", HUB_META_JIRA_KEY, HUB_SHOW_TEXT),
	PTEXT("summary", "Summary", 300),
	PTYPE("url", "Link", HUB_META_URL, HUB_SHOW_LINK),
};

/*
 * A preset is chosen by request_source alone (ASCII case-insensitive, whole
 * value): the source is authenticated by its API key, while a metadata
 * "type" would be one more field a client could get wrong.
 */
static const struct hub_preset presets[] = {
	{ "workday", "workday_pto", "Time off request", workday_fields,
	    HUB_NELEM(workday_fields) },
	{ "concur", "concur_expense", "Expense report", concur_fields,
	    HUB_NELEM(concur_fields) },
	{ "salesforce", "salesforce_deal", "Deal approval", salesforce_fields,
	    HUB_NELEM(salesforce_fields) },
	{ "jira", "jira_issue", "Jira issue", jira_fields, HUB_NELEM(jira_fields) },
};

/* The preset of a request_source ("Workday" -> "workday_pto"), or NULL. */
static const char *
source_preset(const char *request_source)
{
	size_t i;

	for (i = 0; request_source != NULL && i < HUB_NELEM(presets); i++)
		if (strcasecmp(request_source, presets[i].source) == 0)
			return presets[i].name;
	return NULL;
}

const char *
hub_intake_preset_of(const char *stored, const char *request_source)
{
	const struct hub_preset *p = hub_intake_preset_def(stored);

	return p != NULL ? p->name : source_preset(request_source);
}

const struct hub_preset *
hub_intake_preset_def(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < HUB_NELEM(presets); i++)
		if (strcmp(name, presets[i].name) == 0)
			return &presets[i];
	return NULL;
}

/* "YYYY-MM-DD to YYYY-MM-DD" with start ≤ end: 1, reversed: -1, else 0. */
static int
range_string(const char *s)
{
	long long a, b;

	if (strlen(s) != 24 || strncmp(s + 10, " to ", 4) != 0 ||
	    !hub_check_date_at(s, &a) || !hub_check_date_at(s + 14, &b))
		return 0;
	return a <= b ? 1 : -1;
}

static int
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double);
}

static const char *
range_msg(enum hub_meta_type t)
{
	return t == HUB_META_RANGE ?
	    "must be \"YYYY-MM-DD to YYYY-MM-DD\" or {\"start\": date, \"end\": date}" :
	    "must be a date YYYY-MM-DD, \"YYYY-MM-DD to YYYY-MM-DD\" or "
	    "{\"start\": date, \"end\": date}";
}

/* {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"} and nothing else. */
static int
range_object(struct intake *ix, const char *path, json_object *v)
{
	static const char *const keys[] = { "start", "end" };
	json_object *part;
	long long d[2];
	char sub[64];
	size_t i;

	json_object_object_foreach(v, key, val) {
		(void)val;
		if (strcmp(key, "start") != 0 && strcmp(key, "end") != 0) {
			mkpath(sub, sizeof(sub), "%s.%s", path, keyname(key));
			return fail(ix, sub, "unknown field");
		}
	}
	for (i = 0; i < HUB_NELEM(keys); i++) {
		mkpath(sub, sizeof(sub), "%s.%s", path, keys[i]);
		if ((part = json_object_object_get(v, keys[i])) == NULL)
			return fail(ix, sub, "required");
		if (!json_object_is_type(part, json_type_string) ||
		    !intake_is_date(json_object_get_string(part), &d[i]))
			return fail(ix, sub, "must be a date YYYY-MM-DD");
	}
	if (d[1] < d[0])
		return fail(ix, path, "must not end before it starts");
	return HUB_INTAKE_OK;
}

static int
check_pfield(struct intake *ix, const char *path, const struct hub_preset_field *f, json_object *v)
{
	const char *s = NULL;
	size_t len;
	double d;
	int r;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (strlen(s) != len)
			return fail(ix, path, "must not contain control characters");
	}
	switch (f->type) {
	case HUB_META_TEXT:
		return get_text(ix, path, v, f->max, F_MULTILINE, &s, &len);
	case HUB_META_NUMBER:
		if (!is_number(v))
			return fail(ix, path, "must be a number");
		d = json_object_get_double(v);
		if (!isfinite(d) || d < f->min || d > f->maxv) {
			if (f->maxv != HUGE_VAL)
				return fail(ix, path, "must be a number from %g to %g",
				    f->min, f->maxv);
			return fail(ix, path, "must be a number of at least %g", f->min);
		}
		return HUB_INTAKE_OK;
	case HUB_META_CURRENCY:
		if (s == NULL || !hub_intake_is_currency(s))
			return fail(ix, path, "must be an ISO 4217 currency code "
			    "(three capital letters, e.g. USD)");
		return HUB_INTAKE_OK;
	case HUB_META_DATE:
		if (s == NULL || !intake_is_date(s, NULL))
			return fail(ix, path, "must be a date YYYY-MM-DD");
		return HUB_INTAKE_OK;
	case HUB_META_RANGE:
	case HUB_META_DATES:
		if (json_object_is_type(v, json_type_object))
			return range_object(ix, path, v);
		if (s == NULL)
			return fail(ix, path, "%s", range_msg(f->type));
		if (f->type == HUB_META_DATES && intake_is_date(s, NULL))
			return HUB_INTAKE_OK;
		if ((r = range_string(s)) < 0)
			return fail(ix, path, "must not end before it starts");
		return r == 1 ? HUB_INTAKE_OK : fail(ix, path, "%s", range_msg(f->type));
	case HUB_META_URL:
		if (s == NULL || !hub_intake_is_url(s))
			return fail(ix, path, BAD_URL);
		return HUB_INTAKE_OK;
	case HUB_META_JIRA_KEY:
		if (s == NULL || strlen(s) > 100 || !is_jira_key(s))
			return fail(ix, path, "must be a Jira issue key like ABC-123");
		return HUB_INTAKE_OK;
	}
	return HUB_INTAKE_OK;
}

static int
check_preset(struct intake *ix, const struct hub_preset *p, json_object *meta)
{
	json_object *v;
	char path[64];
	size_t i;
	int rc;

	for (i = 0; i < p->nfields; i++) {
		if ((v = json_object_object_get(meta, p->fields[i].key)) == NULL)
			continue;
		mkpath(path, sizeof(path), "metadata.%s", p->fields[i].key);
		if ((rc = check_pfield(ix, path, &p->fields[i], v)) != HUB_INTAKE_OK)
			return rc;
	}
	return HUB_INTAKE_OK;
}

/* ------------------------------------------------------------ validate */

static int
check_idempotency(struct intake *ix, const char *key)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > MAX_IDEMPOTENCY)
		goto bad;
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f)
			goto bad;
	return HUB_INTAKE_OK;
bad:
	return fail(ix, "Idempotency-Key", "must be 1 to %d printable ASCII characters",
	    MAX_IDEMPOTENCY);
}

/* "<preset title or Approval request> from <requester>" when none was given. */
static int
default_title(struct intake *ix, const struct hub_preset *p)
{
	json_object *t, *name;
	struct hub_buf b = HUB_BUF_INIT(2048);
	int rc;

	if (json_object_object_get_ex(ix->out, "title", &t) && t != NULL)
		return HUB_INTAKE_OK;
	json_object_object_get_ex(ix->out, "requester_name", &name);
	if (hub_buf_printf(&b, "%s from %s", p != NULL ? p->title : "Approval request",
	    json_object_get_string(name)) != HUB_BUF_OK)
		rc = HUB_INTAKE_NOMEM;
	else
		rc = hub_json_put_str(ix->out, "title", hub_buf_str(&b)) == HUB_JSON_OK ?
		    HUB_INTAKE_OK : HUB_INTAKE_NOMEM;
	hub_buf_release(&b);
	return rc;
}

/* Absent collections are empty, not null. */
static int
empty_collections(json_object *out)
{
	json_object *v;

	if ((!json_object_object_get_ex(out, "metadata", &v) || v == NULL) &&
	    hub_json_set(out, "metadata", json_object_new_object()) != HUB_JSON_OK)
		return HUB_INTAKE_NOMEM;
	if ((!json_object_object_get_ex(out, "watchers", &v) || v == NULL) &&
	    hub_json_set(out, "watchers", json_object_new_array()) != HUB_JSON_OK)
		return HUB_INTAKE_NOMEM;
	return HUB_INTAKE_OK;
}

int
hub_intake_validate(json_object *in, const char *idempotency_key, json_object **out,
    struct hub_intake_error *err)
{
	struct intake ix;
	struct hub_intake_error dummy;
	const struct hub_preset *p = NULL;
	json_object *v;
	int rc;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	memset(&ix, 0, sizeof(ix));
	ix.err = err;
	*out = NULL;
	if (in == NULL || !json_object_is_type(in, json_type_object))
		return fail(&ix, "body", "must be a JSON object");
	if ((ix.out = json_object_new_object()) == NULL)
		return HUB_INTAKE_NOMEM;
	if ((rc = check_keys(&ix, in, top_specs, HUB_NELEM(top_specs), "")) != HUB_INTAKE_OK)
		goto out;
	if (idempotency_key != NULL &&
	    (rc = check_idempotency(&ix, idempotency_key)) != HUB_INTAKE_OK)
		goto out;
	if (hub_json_put_str(ix.out, "idempotency_key", idempotency_key) != HUB_JSON_OK) {
		rc = HUB_INTAKE_NOMEM;
		goto out;
	}
	if ((rc = convert(&ix, in, top_specs, HUB_NELEM(top_specs), "", ix.out)) !=
	    HUB_INTAKE_OK)
		goto out;
	if ((rc = build_steps(&ix, in)) != HUB_INTAKE_OK)
		goto out;

	if ((rc = empty_collections(ix.out)) != HUB_INTAKE_OK)
		goto out;
	if ((v = json_object_object_get(in, "request_source")) != NULL)
		p = hub_intake_preset_def(source_preset(json_object_get_string(v)));
	if (p != NULL && (v = json_object_object_get(in, "metadata")) != NULL &&
	    (rc = check_preset(&ix, p, v)) != HUB_INTAKE_OK)
		goto out;
	if (hub_json_put_str(ix.out, "preset", p != NULL ? p->name : NULL) != HUB_JSON_OK) {
		rc = HUB_INTAKE_NOMEM;
		goto out;
	}
	rc = default_title(&ix, p);
out:
	if (rc != HUB_INTAKE_OK) {
		json_object_put(ix.out);
		return rc;
	}
	*out = ix.out;
	return HUB_INTAKE_OK;
}

int
hub_intake_party(json_object *v, const char *field, json_object **out,
    struct hub_intake_error *err)
{
	struct intake ix;

	memset(err, 0, sizeof(*err));
	memset(&ix, 0, sizeof(ix));
	ix.err = err;
	*out = NULL;
	if (v == NULL)
		return fail(&ix, field, "required");
	return parse_party(&ix, field, v, out);
}
