/*
 * json.c - parsing untrusted JSON with json-c under explicit limits, and
 * typed getters that check the type before reading.  See json.h.
 *
 * Why not json_tokener_parse(): it takes a C string (a NUL inside the body
 * silently ends the document), accepts trailing garbage, and is lenient
 * about syntax.  Two parsers reading the same bytes differently is how
 * validation gets bypassed, so we are strict.
 */
#include <string.h>

#include "common.h"
#include "json.h"

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

int
hub_json_parse(const char *s, size_t len, size_t max_len, int max_depth,
    struct json_object **out)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error je;
	size_t end;
	int rc = HUB_JSON_OK;

	*out = NULL;
	if (len > max_len || len > INT32_MAX) {
		rc = HUB_JSON_TOOBIG;
		goto out;
	}
	if (max_depth <= 0)
		max_depth = HUB_JSON_DEFAULT_DEPTH;
	if (len == 0 || s == NULL || memchr(s, '\0', len) != NULL) {
		rc = HUB_JSON_SYNTAX;
		goto out;
	}
	if ((tok = json_tokener_new_ex(max_depth)) == NULL) {
		rc = HUB_JSON_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	je = json_tokener_get_error(tok);
	if (obj == NULL && je == json_tokener_continue) {
		/*
		 * A top-level number ("42") is not known to be complete until
		 * a delimiter follows; one space ends it.  Truncated input
		 * ('{"a":') stays incomplete and is a syntax error.
		 */
		obj = json_tokener_parse_ex(tok, " ", 1);
		je = json_tokener_get_error(tok);
		/* Everything was consumed: nothing can trail. */
		rc = je == json_tokener_continue ? HUB_JSON_SYNTAX : tokerr(je);
		goto out;
	}
	/* obj == NULL with success is a top-level JSON null. */
	if ((rc = tokerr(je)) != HUB_JSON_OK)
		goto out;
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!is_ws(s[end])) {
			rc = HUB_JSON_TRAILING;
			goto out;
		}
out:
	if (tok != NULL)
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
