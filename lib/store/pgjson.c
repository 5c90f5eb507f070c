#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/cursor.h"
#include "store/db.h"
#include "base/json.h"
#include "store/pgjson.h"

/* The type oids a row keeps (pg_type.h; stable across releases). */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_JSON	114
#define OID_JSONB	3802

#define JSON_VALUE_MAX	(4u << 20)
#define JSON_VALUE_DEPTH 64

static json_object *
value_json(const PGresult *res, int row, int col)
{
	const char *s = PQgetvalue(res, row, col);
	json_object *v = NULL;
	int64_t n;

	if (PQgetisnull(res, row, col))
		return NULL;
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return json_object_new_boolean(s[0] == 't');
	case OID_INT2: case OID_INT4: case OID_INT8:
		return hub_db_get_int64(res, row, col, &n) == HUB_DB_OK ?
		    json_object_new_int64(n) : json_object_new_string(s);
	case OID_FLOAT4: case OID_FLOAT8:
		return json_object_new_double_s(strtod(s, NULL), s);
	case OID_JSON: case OID_JSONB:
		if (hub_json_parse(s, strlen(s), JSON_VALUE_MAX, JSON_VALUE_DEPTH, &v) != HUB_JSON_OK)
			v = NULL;
		return v;
	default:
		return json_object_new_string(s);
	}
}

json_object *
hub_pgjson_row(const PGresult *res, int row)
{
	json_object *o = json_object_new_object();
	int c;

	for (c = 0; o != NULL && c < PQnfields(res); c++)
		json_object_object_add(o, PQfname(res, c), value_json(res, row, c));
	return o;
}

json_object *
hub_pgjson_rows(const PGresult *res, int max)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; a != NULL && i < PQntuples(res) && i < max; i++)
		json_object_array_add(a, hub_pgjson_row(res, i));
	return a;
}

json_object *
hub_pgjson_all(const PGresult *res, const char *key)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, key, hub_pgjson_rows(res, PQntuples(res)));
	json_object_object_add(o, "count", json_object_new_int(PQntuples(res)));
	return o;
}

static json_object *
next_cursor(const PGresult *res, int last)
{
	struct hub_buf enc = HUB_BUF_INIT(2 * HUB_CURSOR_MAX);
	json_object *o = NULL;
	const char *ts = PQgetvalue(res, last, PQfnumber(res, "created_at"));
	const char *id = PQgetvalue(res, last, PQfnumber(res, "id"));
	int rank = PQfnumber(res, "relevance");

	/* Search results go by relevance first (store/cursor.h). */
	if ((rank >= 0 ? hub_cursor_encode_ranked(PQgetvalue(res, last, rank), ts, id, &enc) :
	    hub_cursor_encode(ts, id, &enc)) == HUB_CURSOR_OK)
		o = json_object_new_string(hub_buf_str(&enc));
	hub_buf_release(&enc);
	return o;
}

json_object *
hub_pgjson_page(const PGresult *res, const char *key, long limit)
{
	json_object *o = json_object_new_object(), *next = NULL;
	int n = res != NULL ? PQntuples(res) : 0, shown = n > limit ? (int)limit : n;

	if (o == NULL)
		return NULL;
	if (n > limit)
		next = next_cursor(res, shown - 1);
	json_object_object_add(o, key, res != NULL ? hub_pgjson_rows(res, shown) :
	    json_object_new_array());
	json_object_object_add(o, "count", json_object_new_int(shown));
	json_object_object_add(o, "next_cursor", next);
	return o;
}
