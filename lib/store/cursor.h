/*
 * cursor.h - keyset pagination cursors.
 *
 * A cursor is base64url("<created_at>|<id>") of the last row of a page:
 * opaque to clients, and checked here, byte for byte, so a forged one is a
 * 400 and never reaches SQL as garbage.  created_at has exactly the shape
 * the listing statements print (ISO-8601 UTC with microseconds,
 * "2026-01-02T03:04:05.123456Z"); the id is a uuid (requests) or, with
 * HUB_CURSOR_NUMERIC, 1 to 18 decimal digits (a bigint key such as
 * delivery_log's).  Whether the timestamp is a real date is left to
 * PostgreSQL (a 22xxx error: the caller's "invalid cursor").
 *
 * A ranked cursor (search results, ordered by relevance first) is
 * base64url("<rank>|<created_at>|<id>"), rank being the real PostgreSQL
 * printed for the row (digits, '.', 'e', '+', '-'; at most 24 bytes).
 *
 * Strings are borrowed; hub_cursor_encode appends to the caller's buffer.
 * Never logs.
 */
#ifndef HUB_CURSOR_H
#define HUB_CURSOR_H

#include "base/buf.h"

#define HUB_CURSOR_MAX	200   /* longest encoded cursor accepted */
#define HUB_CURSOR_PART	40    /* size of the ts and id buffers (with NUL) */

enum hub_cursor_err {
	HUB_CURSOR_OK = 0,
	HUB_CURSOR_INVALID,   /* not a cursor of the expected kind */
	HUB_CURSOR_NOMEM,     /* allocation failed, or out's maximum reached */
};

enum hub_cursor_kind {
	HUB_CURSOR_UUID = 0,
	HUB_CURSOR_NUMERIC,
};

/* Decode c (NUL-terminated) into ts and id, both NUL-terminated on OK;
 * untouched otherwise. */
int	hub_cursor_decode(const char *c, enum hub_cursor_kind,
	    char ts[HUB_CURSOR_PART], char id[HUB_CURSOR_PART]);
/* Append the cursor of (ts, id) to out.  The values are not checked: they
 * come from the database; a pair that would not decode again is the
 * statement's bug. */
int	hub_cursor_encode(const char *ts, const char *id, struct hub_buf *out);
/* The ranked forms (uuid ids); rank gets at most HUB_CURSOR_PART bytes. */
int	hub_cursor_decode_ranked(const char *c, char rank[HUB_CURSOR_PART],
	    char ts[HUB_CURSOR_PART], char id[HUB_CURSOR_PART]);
int	hub_cursor_encode_ranked(const char *rank, const char *ts, const char *id,
	    struct hub_buf *out);

#endif
