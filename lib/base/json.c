/*
 * json.c - parsing untrusted JSON with json-c under explicit limits, and
 * typed getters that check the type before reading.  See json.h.
 *
 * Why not json_tokener_parse(): it takes a C string (a NUL inside the body
 * silently ends the document), accepts trailing garbage, and is lenient
 * about syntax.  Two parsers reading the same bytes differently is how
 * validation gets bypassed, so we are strict.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/json.h"
#include "base/utf8.h"

static const char *const json_errs[] = {
	[HUB_JSON_OK]        = "ok",
	[HUB_JSON_NOMEM]     = "out of memory",
	[HUB_JSON_SYNTAX]    = "malformed JSON",
	[HUB_JSON_TOODEEP]   = "JSON nested too deeply",
	[HUB_JSON_TOOBIG]    = "JSON body too large",
	[HUB_JSON_TRAILING]  = "unexpected data after the JSON value",
	[HUB_JSON_NOTOBJECT] = "JSON body must be an object",
	[HUB_JSON_MISSING]   = "missing value",
	[HUB_JSON_TYPE]      = "wrong type",
	[HUB_JSON_RANGE]     = "value out of range",
	[HUB_JSON_BIGNUM]    = "number beyond 64 bits",
	[HUB_JSON_NULKEY]    = "key holds \\u0000",
};

const char *
hub_json_strerror(int e)
{
	if (e < 0 || (size_t)e >= HUB_NELEM(json_errs) || json_errs[e] == NULL)
		return "unknown JSON error";
	return json_errs[e];
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * json-c 0.16 in strict mode still takes single-quoted keys, raw control
 * bytes inside strings, "Infinity" and "1.".  This lexical pass refuses
 * them in the bytes json-c accepted as the value.
 */
static int
lex_ok(const char *s, size_t len)
{
	size_t i;
	int in_str = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0')
			return 0;
		if (in_str) {
			if (c < 0x20)
				return 0;
			if (c == '\\')
				i++;	/* json-c validates the escape itself */
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '.' && (i + 1 == len || s[i + 1] < '0' || s[i + 1] > '9'))
			return 0;
		else if (!strchr(" \t\r\n{}[],:-+.0123456789eEtruefalsn", c))
			return 0;
	}
	return 1;
}

/*
 * Deepest nesting of [] and {} outside strings.  json-c counts a scalar
 * inside the innermost container as one more level; we count containers.
 */
static int
nesting(const char *s, size_t len)
{
	size_t i;
	int d = 0, max = 0, in_str = 0;

	for (i = 0; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
		} else if (s[i] == '"') {
			in_str = 1;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++d > max)
				max = d;
		} else if ((s[i] == ']' || s[i] == '}') && d > 0) {
			d--;
		}
	}
	return max;
}

static int
tokerr(enum json_tokener_error je)
{
	switch (je) {
	case json_tokener_success:
		return HUB_JSON_OK;
	case json_tokener_error_depth:
		return HUB_JSON_TOODEEP;
	default:
		return HUB_JSON_SYNTAX;
	}
}

/*
 * Strict json-c reports bytes after a value as a plain parse error; is
 * s[0..len) on its own a complete value?  Then the error was trailing data.
 */
static int
complete(const char *s, size_t len, int max_depth)
{
	struct json_tokener *tok;
	struct json_object *obj;
	int ok;

	if ((tok = json_tokener_new_ex(max_depth + 1)) == NULL)
		return 0;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, " ", 1);
	ok = json_tokener_get_error(tok) == json_tokener_success;
	json_object_put(obj);
	json_tokener_free(tok);
	return ok;
}

/* s through tok (made for max_depth) into *obj: a complete value, with
 * nothing but white space after it, that also passes what json-c lets
 * through.  *obj may be set even when this fails. */
static int
tokenize(struct json_tokener *tok, const char *s, size_t len, int max_depth,
    struct json_object **obj)
{
	enum json_tokener_error je;
	size_t end, i;
	int rc;

	*obj = json_tokener_parse_ex(tok, s, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (*obj == NULL && je == json_tokener_continue) {
		/*
		 * A top-level number ("42") is not known to be complete until
		 * a delimiter follows; one space ends it.  Truncated input
		 * ('{"a":') stays incomplete and is a syntax error.
		 */
		*obj = json_tokener_parse_ex(tok, " ", 1);
		je = json_tokener_get_error(tok);
		rc = je == json_tokener_continue ? HUB_JSON_SYNTAX : tokerr(je);
		end = len;	/* everything was consumed: nothing can trail */
	} else if ((rc = tokerr(je)) == HUB_JSON_SYNTAX && end > 0 && end < len &&
	    complete(s, end, max_depth)) {
		/* Strict json-c reports bytes after the value as a parse error. */
		rc = HUB_JSON_TRAILING;
	} else if (rc == HUB_JSON_OK) {
		/* obj == NULL here is a top-level JSON null. */
		for (i = end; i < len; i++)
			if (!is_ws(s[i])) {
				rc = HUB_JSON_TRAILING;
				break;
			}
	}
	/* The value itself must also pass what json-c lets through. */
	if ((rc == HUB_JSON_OK || rc == HUB_JSON_TRAILING) && !lex_ok(s, end))
		rc = HUB_JSON_SYNTAX;
	return rc;
}

int
hub_json_parse(const char *s, size_t len, size_t max_len, int max_depth,
    struct json_object **out)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	int rc;

	*out = NULL;
	if (len > max_len || len > INT32_MAX)
		return HUB_JSON_TOOBIG;
	if (max_depth <= 0)
		max_depth = HUB_JSON_DEFAULT_DEPTH;
	if (max_depth > 10000)
		max_depth = 10000;
	if (len == 0 || s == NULL || memchr(s, '\0', len) != NULL)
		return HUB_JSON_SYNTAX;
	if (nesting(s, len) > max_depth)
		return HUB_JSON_TOODEEP;
	if ((tok = json_tokener_new_ex(max_depth + 1)) == NULL)
		return HUB_JSON_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	rc = tokenize(tok, s, len, max_depth, &obj);
	json_tokener_free(tok);
	if (rc != HUB_JSON_OK) {
		json_object_put(obj);
		obj = NULL;
	}
	*out = obj;
	return rc;
}

int
hub_json_parse_object(const char *s, size_t len, size_t max_len, int max_depth,
    struct json_object **out)
{
	int rc;

	if ((rc = hub_json_parse(s, len, max_len, max_depth, out)) != HUB_JSON_OK)
		return rc;
	if (!json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return HUB_JSON_NOTOBJECT;
	}
	return HUB_JSON_OK;
}

/* ------------------------------------------------------------ input */

/* One open container of the scan: its kind, the key being read (object)
 * or the element index (array). */
struct scan_frame {
	char	kind;		/* '{' or '[' */
	int	want_key;
	size_t	key_off, key_len;
	size_t	idx;
};

/* "-12" within int64?  s[0..n) is an integer literal json-c accepted. */
static int
int64_literal_ok(const char *s, size_t n)
{
	static const char max[] = "9223372036854775807";
	static const char min[] = "9223372036854775808";
	const char *lim = max;
	size_t lim_len = sizeof(max) - 1;

	if (n > 0 && s[0] == '-') {
		lim = min;
		s++;
		n--;
	}
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	if (n != lim_len)
		return n < lim_len;
	return memcmp(s, lim, n) <= 0;
}

/* Longest non-integer literal looked at; longer is refused outright. */
#define JSON_NUMBER_TEXT_MAX	512

/* A number literal at s[0..n): 1 when json-c and jsonb keep it as sent. */
static int
number_ok(const char *s, size_t n)
{
	char buf[JSON_NUMBER_TEXT_MAX];
	double d;
	size_t i;

	for (i = 0; i < n && s[i] != '.' && s[i] != 'e' && s[i] != 'E'; i++)
		;
	if (i == n)	/* an integer literal: no fraction, no exponent */
		return int64_literal_ok(s, n);
	if (n >= sizeof(buf))
		return 0;	/* 500 digits of a number no one means */
	memcpy(buf, s, n);
	buf[n] = '\0';
	d = strtod(buf, NULL);
	return isfinite(d) && fabs(d) < 9223372036854775808.0;
}

/* End of the string literal whose opening quote is s[i]: the index of the
 * closing quote; *nul = 1 when it holds \u0000. */
static size_t
string_end(const char *s, size_t len, size_t i, int *nul)
{
	*nul = 0;
	for (i++; i < len && s[i] != '"'; i++) {
		if (s[i] != '\\')
			continue;
		if (i + 5 < len && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
			*nul = 1;
		i++;
	}
	return i;
}

/* The path of the value the scan is at, as intake names fields. */
static void
scan_path(const char *s, const struct scan_frame *f, size_t n, char *where, size_t size)
{
	size_t i, used = 0, k;
	int w;

	if (size == 0)
		return;
	where[0] = '\0';
	for (i = 0; i < n && used + 1 < size; i++) {
		if (f[i].kind == '[') {
			w = snprintf(where + used, size - used, "[%zu]", f[i].idx);
		} else {
			k = hub_utf8_cut(s + f[i].key_off, f[i].key_len, 64);
			w = snprintf(where + used, size - used, "%s%.*s", used ? "." : "",
			    (int)k, s + f[i].key_off);
		}
		if (w < 0 || (size_t)w >= size - used) {
			/* cut short: never inside a character */
			where[used + hub_utf8_cut(where + used, strlen(where + used),
			    size - used - 1)] = '\0';
			return;
		}
		used += (size_t)w;
	}
	if (used == 0)
		snprintf(where, size, "body");
}

/*
 * Walk the bytes json-c accepted (valid JSON: no syntax checks here) for
 * numbers beyond 64 bits and keys holding \u0000.
 */
static int
scan_input(const char *s, size_t len, int max_depth, char *where, size_t size)
{
	struct scan_frame *f;
	size_t i, j, n = 0;
	int nul, rc = HUB_JSON_OK;

	if ((f = calloc((size_t)max_depth + 2, sizeof(*f))) == NULL)
		return HUB_JSON_NOMEM;
	for (i = 0; i < len && rc == HUB_JSON_OK; i++) {
		switch (s[i]) {
		case '{':
		case '[':
			if (n > (size_t)max_depth) {
				rc = HUB_JSON_TOODEEP;
				break;
			}
			memset(&f[n], 0, sizeof(f[n]));
			f[n].kind = s[i];
			f[n++].want_key = s[i] == '{';
			break;
		case '}':
		case ']':
			n -= n > 0;
			break;
		case ',':
			if (n > 0 && f[n - 1].kind == '{')
				f[n - 1].want_key = 1;
			else if (n > 0)
				f[n - 1].idx++;
			break;
		case '"':
			j = string_end(s, len, i, &nul);
			if (n > 0 && f[n - 1].kind == '{' && f[n - 1].want_key) {
				f[n - 1].want_key = 0;
				f[n - 1].key_off = i + 1;
				f[n - 1].key_len = j - i - 1;
				if (nul) {
					rc = HUB_JSON_NULKEY;
					scan_path(s, f, n, where, size);
				}
			}
			i = j;
			break;
		default:
			if (s[i] != '-' && (s[i] < '0' || s[i] > '9'))
				break;
			for (j = i; j < len && strchr("+-.0123456789eE", s[j]) != NULL; j++)
				;
			if (!number_ok(s + i, j - i)) {
				rc = HUB_JSON_BIGNUM;
				scan_path(s, f, n, where, size);
			}
			i = j - 1;
			break;
		}
	}
	free(f);
	return rc;
}

int
hub_json_parse_input(const char *s, size_t len, size_t max_len, int max_depth,
    struct json_object **out, char *where, size_t size)
{
	int rc;

	if (size > 0)
		where[0] = '\0';
	if ((rc = hub_json_parse_object(s, len, max_len, max_depth, out)) != HUB_JSON_OK)
		return rc;
	if (max_depth <= 0 || max_depth > 10000)
		max_depth = max_depth <= 0 ? HUB_JSON_DEFAULT_DEPTH : 10000;
	if ((rc = scan_input(s, len, max_depth, where, size)) != HUB_JSON_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* Look up key; MISSING for absent or null, TYPE if o is not an object. */
static int
lookup(struct json_object *o, const char *key, enum json_type want,
    struct json_object **val)
{
	struct json_object *v = NULL;

	if (o == NULL || key == NULL || !json_object_is_type(o, json_type_object))
		return HUB_JSON_TYPE;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return HUB_JSON_MISSING;
	if (!json_object_is_type(v, want))
		return HUB_JSON_TYPE;
	*val = v;
	return HUB_JSON_OK;
}

int
hub_json_get_string(struct json_object *o, const char *key, size_t max_len,
    const char **out)
{
	struct json_object *v;
	int rc;

	if ((rc = lookup(o, key, json_type_string, &v)) != HUB_JSON_OK)
		return rc;
	/* A \u0000 escape would cut the C string short of what was checked. */
	if ((size_t)json_object_get_string_len(v) > max_len)
		return HUB_JSON_RANGE;
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return HUB_JSON_RANGE;
	*out = json_object_get_string(v);
	return HUB_JSON_OK;
}

int
hub_json_get_int64(struct json_object *o, const char *key, int64_t min,
    int64_t max, int64_t *out)
{
	struct json_object *v;
	int64_t n;
	int rc;

	if ((rc = lookup(o, key, json_type_int, &v)) != HUB_JSON_OK)
		return rc;
	n = json_object_get_int64(v);
	/* json-c saturates unsigned values above INT64_MAX. */
	if (n == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return HUB_JSON_RANGE;
	if (n < min || n > max)
		return HUB_JSON_RANGE;
	*out = n;
	return HUB_JSON_OK;
}

int
hub_json_get_bool(struct json_object *o, const char *key, int *out)
{
	struct json_object *v;
	int rc;

	if ((rc = lookup(o, key, json_type_boolean, &v)) != HUB_JSON_OK)
		return rc;
	*out = json_object_get_boolean(v) ? 1 : 0;
	return HUB_JSON_OK;
}

int
hub_json_get_object(struct json_object *o, const char *key, struct json_object **out)
{
	struct json_object *v;
	int rc;

	if ((rc = lookup(o, key, json_type_object, &v)) != HUB_JSON_OK)
		return rc;
	*out = v;
	return HUB_JSON_OK;
}

int
hub_json_get_array(struct json_object *o, const char *key, struct json_object **out)
{
	struct json_object *v;
	int rc;

	if ((rc = lookup(o, key, json_type_array, &v)) != HUB_JSON_OK)
		return rc;
	*out = v;
	return HUB_JSON_OK;
}

int
hub_json_opt_string(struct json_object *o, const char *key, size_t max_len,
    const char **out)
{
	int rc = hub_json_get_string(o, key, max_len, out);

	if (rc == HUB_JSON_MISSING) {
		*out = NULL;
		return HUB_JSON_OK;
	}
	return rc;
}

int
hub_json_opt_object(struct json_object *o, const char *key, struct json_object **out)
{
	int rc = hub_json_get_object(o, key, out);

	if (rc == HUB_JSON_MISSING) {
		*out = NULL;
		return HUB_JSON_OK;
	}
	return rc;
}

int
hub_json_set(struct json_object *o, const char *key, struct json_object *v)
{
	if (v == NULL)
		return HUB_JSON_NOMEM;
	if (o == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return HUB_JSON_NOMEM;
	}
	return HUB_JSON_OK;
}

int
hub_json_set_str(struct json_object *o, const char *key, const char *s)
{
	if (s == NULL)
		return HUB_JSON_OK;
	return hub_json_set(o, key, json_object_new_string(s));
}

int
hub_json_set_int64(struct json_object *o, const char *key, int64_t n)
{
	return hub_json_set(o, key, json_object_new_int64(n));
}

int
hub_json_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (o == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return HUB_JSON_NOMEM;
	}
	return HUB_JSON_OK;
}

int
hub_json_put_str(struct json_object *o, const char *key, const char *s)
{
	json_object *v = NULL;

	if (s != NULL && (v = json_object_new_string(s)) == NULL)
		return HUB_JSON_NOMEM;
	return hub_json_put(o, key, v);
}

int
hub_json_push(struct json_object *arr, struct json_object *v)
{
	if (v == NULL || arr == NULL || json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		return HUB_JSON_NOMEM;
	}
	return HUB_JSON_OK;
}

const char *
hub_json_str(struct json_object *obj, size_t *len)
{
	const char *s;
	size_t n = 0;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (len)
		*len = n;
	return s;
}

struct json_object *
hub_json_member(struct json_object *o, const char *key, json_type t)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *
hub_json_member_str(struct json_object *o, const char *key)
{
	json_object *v = hub_json_member(o, key, json_type_string);

	return v != NULL ? json_object_get_string(v) : NULL;
}

int64_t
hub_json_member_int(struct json_object *o, const char *key, int64_t dflt)
{
	json_object *v = hub_json_member(o, key, json_type_int);

	return v != NULL ? json_object_get_int64(v) : dflt;
}
