/*
 * pgjson.h - query results as JSON, the one way the API shapes rows.
 *
 * A row becomes an object named by its columns: SQL NULL is null, booleans
 * and integers keep their type, json/jsonb columns are parsed (an
 * unparsable value becomes null), everything else is a string.  Statements
 * print their times as text already (ISO-8601 UTC), so nothing here
 * formats a date.
 *
 * Every function returns a new object the caller owns (json_object_put), or
 * NULL when out of memory.  The PGresult stays the caller's.  Never logs.
 */
#ifndef HUB_PGJSON_H
#define HUB_PGJSON_H

#include <json-c/json.h>
#include <libpq-fe.h>

json_object	*hub_pgjson_row(const PGresult *, int row);
/* The first max rows as an array. */
json_object	*hub_pgjson_rows(const PGresult *, int max);
/* {"<key>": [every row], "count": n}. */
json_object	*hub_pgjson_all(const PGresult *, const char *key);
/*
 * One page of a keyset listing: {"<key>": [...], "count", "next_cursor"}.
 * The statement fetched limit + 1 rows, so a next page is known without a
 * count; next_cursor (cursor.h) is built from the "created_at" and "id"
 * columns of the last row shown, and is null on the last page.  res NULL:
 * an empty page.
 */
json_object	*hub_pgjson_page(const PGresult *, const char *key, long limit);

#endif
