/* test_json.c - strict, limited JSON parsing and the typed getters. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/json.h"

#define S(s) s, sizeof(s) - 1

struct parse_case {
	const char	*in;
	size_t		 len;
	size_t		 max_len;
	int		 depth;
	int		 rc;
	enum json_type	 type;	/* of the result when rc is OK */
};

static const struct parse_case parse_cases[] = {
	{ S("{}"), 100, 0, HUB_JSON_OK, json_type_object },
	{ S("  {\"a\": [1, 2.5, \"x\", true, null]}\n\r\t "), 100, 0, HUB_JSON_OK, json_type_object },
	{ S("[]"), 100, 0, HUB_JSON_OK, json_type_array },
	{ S("42"), 100, 0, HUB_JSON_OK, json_type_int },
	{ S("-1.5e3"), 100, 0, HUB_JSON_OK, json_type_double },
	{ S("\"s\""), 100, 0, HUB_JSON_OK, json_type_string },
	{ S("true"), 100, 0, HUB_JSON_OK, json_type_boolean },
	{ S("null"), 100, 0, HUB_JSON_OK, json_type_null },
	{ S("{\"s\":\"\\u00e9\xc3\xa9\"}"), 100, 0, HUB_JSON_OK, json_type_object },
	/* truncated */
	{ S(""), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("   "), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{\"a\":"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{\"a\":1"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[1,2"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("\"abc"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("tru"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("-"), 100, 0, HUB_JSON_SYNTAX, 0 },
	/* not strict JSON */
	{ S("{'a':1}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{\"a\":1,}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[1,]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{a:1}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("NaN"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{\"a\":\"\xff\"}"), 100, 0, HUB_JSON_SYNTAX, 0 },	/* bad UTF-8 */
	/* leniencies of json-c's strict mode that we refuse */
	{ S("{'a':1}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{\"a\":'b'}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[\"a\tb\"]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[\"a\nb\"]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[Infinity]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[1.]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("1."), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[01]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("[1/*c*/]"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{'a':1} x"), 100, 0, HUB_JSON_SYNTAX, 0 },
	/* escapes and brackets inside strings are content */
	{ S("[\"\\\"]\\t\\n\\u0041{\"]"), 100, 1, HUB_JSON_OK, json_type_array },
	/* trailing garbage */
	{ S("{}x"), 100, 0, HUB_JSON_TRAILING, 0 },
	{ S("{} {}"), 100, 0, HUB_JSON_TRAILING, 0 },
	{ S("[1]]"), 100, 0, HUB_JSON_TRAILING, 0 },
	{ S("{}\n,"), 100, 0, HUB_JSON_TRAILING, 0 },
	{ S("1 2"), 100, 0, HUB_JSON_TRAILING, 0 },
	/* NUL inside the input */
	{ S("{}\0"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("{\"a\":\"x\0y\"}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	{ S("\0{}"), 100, 0, HUB_JSON_SYNTAX, 0 },
	/* depth: [[1]] is depth 2 */
	{ S("[[1]]"), 100, 2, HUB_JSON_OK, json_type_array },
	{ S("[[[1]]]"), 100, 2, HUB_JSON_TOODEEP, 0 },
	{ S("{\"a\":{\"b\":{}}}"), 100, 2, HUB_JSON_TOODEEP, 0 },
	/* size limit, exactly at and one past */
	{ S("[1,2,3]"), 7, 0, HUB_JSON_OK, json_type_array },
	{ S("[1,2,3]"), 6, 0, HUB_JSON_TOOBIG, 0 },
};

static void
check_parse(const struct parse_case *c)
{
	struct json_object *o = (void *)1;
	int rc;

	rc = hub_json_parse(c->in, c->len, c->max_len, c->depth, &o);
	cr_assert_eq(rc, c->rc, "'%.*s': rc %d (%s) want %d", (int)c->len, c->in,
	    rc, hub_json_strerror(rc), c->rc);
	if (rc == HUB_JSON_OK)
		cr_assert(json_object_is_type(o, c->type), "'%s': type %d",
		    c->in, json_object_get_type(o));
	else
		cr_assert_null(o);
	json_object_put(o);
}

Test(json, parse)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(parse_cases); i++)
		check_parse(&parse_cases[i]);
}

static char *
nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);
	int i;

	cr_assert_not_null(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[depth * 2 - 1 - i] = ']';
	}
	s[depth * 2] = '\0';
	return s;
}

Test(json, default_depth)
{
	struct json_object *o;
	char *s;

	s = nested(HUB_JSON_DEFAULT_DEPTH);
	cr_assert_eq(hub_json_parse(s, strlen(s), 1 << 20, 0, &o), HUB_JSON_OK);
	json_object_put(o);
	free(s);
	s = nested(HUB_JSON_DEFAULT_DEPTH + 1);
	cr_assert_eq(hub_json_parse(s, strlen(s), 1 << 20, 0, &o), HUB_JSON_TOODEEP);
	cr_assert_null(o);
	free(s);
	/* Far deeper than any stack should see is refused, not crashed on. */
	s = nested(100000);
	cr_assert_eq(hub_json_parse(s, strlen(s), 1 << 20, 0, &o), HUB_JSON_TOODEEP);
	free(s);
}

Test(json, parse_object)
{
	static const struct { const char *in; int rc; } cases[] = {
		{ "{\"a\":1}", HUB_JSON_OK },
		{ "[]", HUB_JSON_NOTOBJECT },
		{ "\"x\"", HUB_JSON_NOTOBJECT },
		{ "1", HUB_JSON_NOTOBJECT },
		{ "null", HUB_JSON_NOTOBJECT },
		{ "{", HUB_JSON_SYNTAX },
		{ "{}garbage", HUB_JSON_TRAILING },
	};
	struct json_object *o;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		rc = hub_json_parse_object(cases[i].in, strlen(cases[i].in), 100, 0, &o);
		cr_assert_eq(rc, cases[i].rc, "'%s': %d", cases[i].in, rc);
		cr_assert_eq(o != NULL, rc == HUB_JSON_OK);
		json_object_put(o);
	}
}

static const char doc[] =
    "{\"s\":\"hello\",\"empty\":\"\",\"nul\":\"a\\u0000b\",\"i\":42,\"neg\":-7,"
    "\"big\":9223372036854775807,\"huge\":18446744073709551615,"
    "\"d\":1.5,\"t\":true,\"f\":false,\"n\":null,\"o\":{\"x\":1},\"a\":[1,2],"
    "\"snum\":\"42\",\"ibool\":1}";

static struct json_object *
load_doc(void)
{
	struct json_object *o;

	cr_assert_eq(hub_json_parse_object(doc, sizeof(doc) - 1, 4096, 0, &o), HUB_JSON_OK);
	return o;
}

Test(json, get_string)
{
	static const struct { const char *key; size_t max; int rc; const char *want; } cases[] = {
		{ "s", 100, HUB_JSON_OK, "hello" },
		{ "s", 5, HUB_JSON_OK, "hello" },
		{ "s", 4, HUB_JSON_RANGE, NULL },
		{ "empty", 0, HUB_JSON_OK, "" },
		{ "nul", 100, HUB_JSON_RANGE, NULL },
		{ "missing", 100, HUB_JSON_MISSING, NULL },
		{ "n", 100, HUB_JSON_MISSING, NULL },
		{ "i", 100, HUB_JSON_TYPE, NULL },
		{ "t", 100, HUB_JSON_TYPE, NULL },
		{ "o", 100, HUB_JSON_TYPE, NULL },
		{ "a", 100, HUB_JSON_TYPE, NULL },
	};
	struct json_object *o = load_doc();
	const char *v;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		v = "untouched";
		rc = hub_json_get_string(o, cases[i].key, cases[i].max, &v);
		cr_assert_eq(rc, cases[i].rc, "%s: %d", cases[i].key, rc);
		cr_assert_str_eq(v, cases[i].want ? cases[i].want : "untouched", "%s", cases[i].key);
	}
	json_object_put(o);
}

Test(json, get_int64)
{
	static const struct {
		const char *key; int64_t min, max; int rc; int64_t want;
	} cases[] = {
		{ "i", 0, 100, HUB_JSON_OK, 42 },
		{ "i", 42, 42, HUB_JSON_OK, 42 },
		{ "i", 43, 100, HUB_JSON_RANGE, -1 },
		{ "i", 0, 41, HUB_JSON_RANGE, -1 },
		{ "neg", INT64_MIN, INT64_MAX, HUB_JSON_OK, -7 },
		{ "neg", 0, INT64_MAX, HUB_JSON_RANGE, -1 },
		{ "big", INT64_MIN, INT64_MAX, HUB_JSON_OK, INT64_MAX },
		{ "huge", INT64_MIN, INT64_MAX, HUB_JSON_RANGE, -1 },
		{ "d", INT64_MIN, INT64_MAX, HUB_JSON_TYPE, -1 },
		{ "snum", INT64_MIN, INT64_MAX, HUB_JSON_TYPE, -1 },
		{ "t", INT64_MIN, INT64_MAX, HUB_JSON_TYPE, -1 },
		{ "n", INT64_MIN, INT64_MAX, HUB_JSON_MISSING, -1 },
		{ "missing", INT64_MIN, INT64_MAX, HUB_JSON_MISSING, -1 },
	};
	struct json_object *o = load_doc();
	int64_t v;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		v = -1;
		rc = hub_json_get_int64(o, cases[i].key, cases[i].min, cases[i].max, &v);
		cr_assert_eq(rc, cases[i].rc, "%s: %d", cases[i].key, rc);
		cr_assert_eq(v, cases[i].want, "%s: %lld", cases[i].key, (long long)v);
	}
	json_object_put(o);
}

Test(json, get_bool_object_array)
{
	struct json_object *o = load_doc(), *sub = NULL;
	int b = -1;

	cr_assert_eq(hub_json_get_bool(o, "t", &b), HUB_JSON_OK);
	cr_assert_eq(b, 1);
	cr_assert_eq(hub_json_get_bool(o, "f", &b), HUB_JSON_OK);
	cr_assert_eq(b, 0);
	b = -1;
	cr_assert_eq(hub_json_get_bool(o, "ibool", &b), HUB_JSON_TYPE);
	cr_assert_eq(hub_json_get_bool(o, "s", &b), HUB_JSON_TYPE);
	cr_assert_eq(hub_json_get_bool(o, "n", &b), HUB_JSON_MISSING);
	cr_assert_eq(b, -1);

	cr_assert_eq(hub_json_get_object(o, "o", &sub), HUB_JSON_OK);
	cr_assert(json_object_is_type(sub, json_type_object));
	cr_assert_eq(hub_json_get_object(o, "a", &sub), HUB_JSON_TYPE);
	cr_assert_eq(hub_json_get_object(o, "n", &sub), HUB_JSON_MISSING);
	cr_assert_eq(hub_json_get_array(o, "a", &sub), HUB_JSON_OK);
	cr_assert_eq(json_object_array_length(sub), 2);
	cr_assert_eq(hub_json_get_array(o, "o", &sub), HUB_JSON_TYPE);
	cr_assert_eq(hub_json_get_array(o, "missing", &sub), HUB_JSON_MISSING);

	/* Getters on something that is not an object. */
	cr_assert_eq(hub_json_get_bool(sub, "t", &b), HUB_JSON_TYPE);
	cr_assert_eq(hub_json_get_bool(NULL, "t", &b), HUB_JSON_TYPE);
	json_object_put(o);
}

Test(json, str_is_compact_and_keeps_slashes)
{
	struct json_object *o;
	const char in[] = "{ \"url\" : \"https://x/y\", \"a\" : [ 1, 2 ] }";
	const char *s;
	size_t n = 0;

	cr_assert_eq(hub_json_parse(in, sizeof(in) - 1, 100, 0, &o), HUB_JSON_OK);
	s = hub_json_str(o, &n);
	cr_assert_str_eq(s, "{\"url\":\"https://x/y\",\"a\":[1,2]}");
	cr_assert_eq(n, strlen(s));
	json_object_put(o);
}

Test(json, strerror)
{
	cr_assert_str_eq(hub_json_strerror(HUB_JSON_OK), "ok");
	cr_assert_str_neq(hub_json_strerror(HUB_JSON_TRAILING), hub_json_strerror(HUB_JSON_SYNTAX));
	cr_assert_str_eq(hub_json_strerror(-3), "unknown JSON error");
	cr_assert_str_eq(hub_json_strerror(1000), "unknown JSON error");
}

Test(json, writers_take_the_value_in_every_case)
{
	json_object *o = json_object_new_object();

	cr_assert_eq(hub_json_set_str(o, "s", "x"), HUB_JSON_OK);
	cr_assert_eq(hub_json_set_str(o, "none", NULL), HUB_JSON_OK);
	cr_assert_eq(hub_json_set_int64(o, "n", -7), HUB_JSON_OK);
	cr_assert_eq(hub_json_set(o, "b", json_object_new_boolean(1)), HUB_JSON_OK);
	cr_expect_eq(hub_json_set(o, "null", NULL), HUB_JSON_NOMEM);
	/* no object: the value is freed, not leaked (ASan checks) */
	cr_expect_eq(hub_json_set(NULL, "k", json_object_new_string("v")), HUB_JSON_NOMEM);
	cr_expect_str_eq(hub_json_str(o, NULL), "{\"s\":\"x\",\"n\":-7,\"b\":true}");
	json_object_put(o);
}

Test(json, put_keeps_null_and_push_refuses_it)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	cr_assert_eq(hub_json_put_str(o, "s", "x"), HUB_JSON_OK);
	cr_assert_eq(hub_json_put_str(o, "none", NULL), HUB_JSON_OK);
	cr_assert_eq(hub_json_put(o, "q", NULL), HUB_JSON_OK);
	cr_assert_eq(hub_json_put(o, "n", json_object_new_int64(2)), HUB_JSON_OK);
	cr_expect_eq(hub_json_put(NULL, "k", json_object_new_string("v")), HUB_JSON_NOMEM);
	cr_expect_str_eq(hub_json_str(o, NULL), "{\"s\":\"x\",\"none\":null,\"q\":null,\"n\":2}");
	cr_assert_eq(hub_json_push(a, json_object_new_string("a")), HUB_JSON_OK);
	cr_expect_eq(hub_json_push(a, NULL), HUB_JSON_NOMEM);
	cr_expect_eq(hub_json_push(NULL, json_object_new_string("b")), HUB_JSON_NOMEM);
	cr_expect_str_eq(hub_json_str(a, NULL), "[\"a\"]");
	json_object_put(o);
	json_object_put(a);
}
