/*
 * json.h - parsing untrusted JSON with json-c, with limits, and typed access.
 *
 * hub_json_parse() uses json_tokener_parse_ex with the explicit length,
 * JSON_TOKENER_STRICT and a depth limit; trailing bytes other than white
 * space are an error; a NUL inside the input is an error.  The caller owns
 * the returned object (json_object_put).  The getters borrow.  A top-level
 * JSON null is HUB_JSON_OK with *out == NULL (json-c's null), and
 * hub_json_parse_object() refuses it with HUB_JSON_NOTOBJECT.  Invalid
 * UTF-8 is a syntax error.  hub_json_get_string() refuses (HUB_JSON_RANGE)
 * a string holding \u0000, which would cut the C string short.
 */
#ifndef HUB_JSON_H
#define HUB_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

enum hub_json_err {
	HUB_JSON_OK = 0,
	HUB_JSON_NOMEM,
	HUB_JSON_SYNTAX,    /* not JSON (including truncated input) */
	HUB_JSON_TOODEEP,   /* nesting deeper than max_depth */
	HUB_JSON_TOOBIG,    /* longer than max_len */
	HUB_JSON_TRAILING,  /* bytes after the value */
	HUB_JSON_NOTOBJECT, /* hub_json_parse_object: top level is not {} */
	/* getters */
	HUB_JSON_MISSING,   /* key absent or null */
	HUB_JSON_TYPE,      /* key present with another type */
	HUB_JSON_RANGE,     /* number out of range / string too long */
	/* hub_json_parse_input */
	HUB_JSON_BIGNUM,    /* a number json-c would clamp: beyond 64 bits */
	HUB_JSON_NULKEY,    /* a key holding \u0000, which json-c would cut */
};

#define HUB_JSON_DEFAULT_DEPTH 32

int		 hub_json_parse(const char *s, size_t len, size_t max_len, int max_depth,
		    struct json_object **out);
/* Same, and the top level must be an object. */
int		 hub_json_parse_object(const char *s, size_t len, size_t max_len, int max_depth,
		    struct json_object **out);
const char	*hub_json_strerror(int);

/*
 * A request body: hub_json_parse_object, then what json-c would change
 * without a word.  An integer outside int64 or any number of magnitude
 * 2^63 or more (json-c clamps those; PostgreSQL's jsonb turns 2e19 into
 * an integer that reads back clamped) is HUB_JSON_BIGNUM; a key holding
 * \u0000 (json-c cuts the key there, so two keys can collide) is
 * HUB_JSON_NULKEY.  For those two, where (size > 0) gets the value's path
 * as intake names fields: "metadata.amount", "approvers[2]", a key as
 * written ("metadata.a\u0000b"); a top-level scalar is "body".
 */
#define HUB_JSON_WHERE_MAX	96
int		 hub_json_parse_input(const char *s, size_t len, size_t max_len, int max_depth,
		    struct json_object **out, char *where, size_t size);
/* The phrase for BIGNUM and NULKEY a 400 carries with the path. */
#define HUB_JSON_BIGNUM_MSG	"must be a number from -9223372036854775808 to " \
	"9223372036854775807 (integers beyond 64 bits are refused, not rounded)"
#define HUB_JSON_NULKEY_MSG	"key must not contain \\u0000"

/* Typed getters: HUB_JSON_OK, HUB_JSON_MISSING (absent or JSON null),
 * HUB_JSON_TYPE, HUB_JSON_RANGE.  *out is untouched unless OK. */
int	hub_json_get_string(struct json_object *, const char *key, size_t max_len, const char **out);
int	hub_json_get_int64(struct json_object *, const char *key, int64_t min, int64_t max, int64_t *out);
int	hub_json_get_bool(struct json_object *, const char *key, int *out);
int	hub_json_get_object(struct json_object *, const char *key, struct json_object **out);
int	hub_json_get_array(struct json_object *, const char *key, struct json_object **out);
/* Optional fields: as the getters, but absent (or null) is HUB_JSON_OK
 * with *out NULL. */
int	hub_json_opt_string(struct json_object *, const char *key, size_t max_len, const char **out);
int	hub_json_opt_object(struct json_object *, const char *key, struct json_object **out);

/*
 * Writers.  hub_json_set takes v in every case (json-c's add does not take
 * it when it fails): HUB_JSON_OK, or HUB_JSON_NOMEM when v is NULL (a
 * failed json_object_new_*) or the add failed.  hub_json_set_str leaves the
 * key out when s is NULL (an optional field), and is OK then.
 */
int	hub_json_set(struct json_object *, const char *key, struct json_object *v);
int	hub_json_set_str(struct json_object *, const char *key, const char *s);
int	hub_json_set_int64(struct json_object *, const char *key, int64_t n);
/* Present but empty: hub_json_put and hub_json_put_str store JSON null
 * for a NULL value (what intake's output and the audit details keep as
 * "quorum": null), else as hub_json_set; they take v in every case.
 * hub_json_push appends v to an array and takes it in every case; a NULL
 * v (a failed json_object_new_*) is HUB_JSON_NOMEM. */
int	hub_json_put(struct json_object *, const char *key, struct json_object *v);
int	hub_json_put_str(struct json_object *, const char *key, const char *s);
int	hub_json_push(struct json_object *arr, struct json_object *v);

/* Serialize compactly (JSON_C_TO_STRING_PLAIN | NOSLASHESCAPE); the string
 * belongs to obj. */
const char *hub_json_str(struct json_object *obj, size_t *len);

/*
 * Lenient readers, for JSON this process made itself or may show as
 * empty when it is not as expected (the Home tab's data and view state):
 * a member that is absent or of another type reads as NULL / dflt, never
 * as an error.  Borrowed from o, which may be NULL.
 */
struct json_object *hub_json_member(struct json_object *o, const char *key, json_type t);
const char *hub_json_member_str(struct json_object *o, const char *key);
int64_t	 hub_json_member_int(struct json_object *o, const char *key, int64_t dflt);

#endif
