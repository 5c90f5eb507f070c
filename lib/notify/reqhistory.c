/*
 * reqhistory.c - the messages, emails and callbacks of one request, for
 * its page.  See reqhistory.h.
 */
#include <stdlib.h>
#include <string.h>

#include "notify/reqhistory.h"
#include "base/buf.h"
#include "base/common.h"
#include "base/json.h"
#include "slack/bkhtml.h"
#include "store/pgjson.h"
#include "store/sqlfrag.h"

#define SHOWN HUB_SQL_SHOWN_TIME
#define STR(s) #s
#define XSTR(s) STR(s)
#define LIMIT " LIMIT " XSTR(HUB_REQHISTORY_MAX)
/* A preview's HTML: bkhtml output of at most a stored preview. */
#define PREVIEW_HTML_MAX	(8u * HUB_REQHISTORY_PREVIEW_MAX)

enum stmt {
	STMT_MESSAGES,
	STMT_EMAILS,
	STMT_CALLBACKS,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 request.  A copy's rows (one per assignment it speaks to) are
	 * one message here. */
	[STMT_MESSAGES] = {
	    "SELECT d.id, d.kind, d.transport, coalesce(c.name, '') AS connection,"
	    " coalesce(d.channel, '') AS channel, coalesce(d.recipient, '') AS recipient,"
	    " d.status, coalesce(d.error_code, '') AS error_code,"
	    " coalesce(d.error_detail, '') AS error_detail,"
	    " " SHOWN("d.created_at") " AS created, " SHOWN("d.updated_at") " AS updated,"
	    " " SHOWN("m.synced") " AS synced, coalesce(m.gone_reason, '') AS gone_reason,"
	    " m.shown IS NOT NULL AS updated_copy,"
	    " coalesce(m.shown, d.preview)::text AS preview"
	    " FROM delivery_log d LEFT JOIN slack_connections c ON c.id = d.connection_id"
	    " LEFT JOIN LATERAL (SELECT max(sm.synced_at) AS synced, max(sm.gone_reason)"
	    "  AS gone_reason, (array_agg(sm.shown ORDER BY sm.synced_at DESC NULLS LAST)"
	    "  FILTER (WHERE sm.shown IS NOT NULL))[1] AS shown"
	    "  FROM sent_messages sm WHERE sm.request_id = d.request_id"
	    "  AND sm.connection_id = d.connection_id AND sm.channel = d.channel"
	    "  AND sm.ts = d.ts) m ON true"
	    " WHERE d.request_id = $1::uuid AND d.transport IN ('slack', 'webhook')"
	    " ORDER BY d.created_at, d.id" LIMIT, 1 },
	[STMT_EMAILS] = {
	    "SELECT d.id, d.kind, coalesce(d.recipient, '') AS recipient,"
	    " coalesce(d.preview->>'subject', '') AS subject, d.status, d.retries,"
	    " coalesce(d.error_code, '') AS error_code,"
	    " coalesce(d.error_detail, '') AS error_detail,"
	    " " SHOWN("d.created_at") " AS created, " SHOWN("d.updated_at") " AS updated"
	    " FROM delivery_log d WHERE d.request_id = $1::uuid AND d.transport = 'email'"
	    " ORDER BY d.created_at, d.id" LIMIT, 1 },
	/* The answer of an attempt is what the worker recorded: "HTTP 200",
	 * "HTTP 503", a transport error; never the URL's path or a body. */
	[STMT_CALLBACKS] = {
	    "SELECT d.id, coalesce(substring(j.payload->>'url' FROM '^https?://[^/?#@]*'), '')"
	    " AS target, d.status, d.retries, coalesce(d.error_code, '') AS error_code,"
	    " " SHOWN("d.created_at") " AS created, " SHOWN("d.updated_at") " AS updated,"
	    " (SELECT coalesce(json_agg(json_build_object('attempt', ja.attempt,"
	    "  'at', to_char(ja.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),"
	    "  'ok', ja.ok, 'answer', coalesce(ja.detail, ja.error, ''))"
	    "  ORDER BY ja.attempt), '[]'::json) FROM job_attempts ja WHERE ja.job_id = d.job_id)"
	    " AS attempts"
	    " FROM delivery_log d LEFT JOIN jobs j ON j.id = d.job_id"
	    " WHERE d.request_id = $1::uuid AND d.transport = 'callback'"
	    " ORDER BY d.created_at, d.id" LIMIT, 1 },
};

static const struct hub_stmt_table reqhistory_stmts = { "reqhistory", stmts, STMT__MAX };

/* Replace each message's stored preview by its HTML. */
static int
previews(json_object *messages)
{
	struct hub_buf html = HUB_BUF_INIT(PREVIEW_HTML_MAX);
	json_object *m, *p;
	size_t i, n = json_object_array_length(messages);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		m = json_object_array_get_idx(messages, i);
		hub_buf_reset(&html);
		if (json_object_object_get_ex(m, "preview", &p) &&
		    json_object_is_type(p, json_type_string))
			/* An unreadable preview shows none rather than failing the page. */
			(void)hub_bkhtml_render(json_object_get_string(p),
			    (size_t)json_object_get_string_len(p), &html);
		json_object_object_del(m, "preview");
		rc = hub_json_set_str(m, "preview_html", hub_buf_str(&html));
	}
	hub_buf_release(&html);
	return rc;
}

int
hub_reqhistory_load(struct hub_db *db, const char *request_id, json_object **out,
    int *dbrc)
{
	static const char *const keys[STMT__MAX] = { "messages", "emails", "callbacks" };
	const char *params[1] = { request_id };
	json_object *o = json_object_new_object(), *rows;
	PGresult *res = NULL;
	int i;

	*out = NULL;
	*dbrc = HUB_DB_OK;
	if (o == NULL)
		return HUB_REQHISTORY_NOMEM;
	for (i = 0; i < STMT__MAX; i++) {
		if ((*dbrc = hub_db_exec(db, &reqhistory_stmts, i, params, &res)) != HUB_DB_OK) {
			json_object_put(o);
			return HUB_REQHISTORY_DB;
		}
		rows = hub_pgjson_rows(res, HUB_REQHISTORY_MAX);
		PQclear(res);
		if (hub_json_set(o, keys[i], rows) != 0 ||
		    (i == STMT_MESSAGES && previews(rows) != 0)) {
			json_object_put(o);
			return HUB_REQHISTORY_NOMEM;
		}
	}
	*out = o;
	return HUB_REQHISTORY_OK;
}

/* One object as stored JSON text, or NULL past the limit. */
static char *
stored(json_object *o)
{
	size_t len = 0;
	const char *s = o != NULL ? hub_json_str(o, &len) : NULL;
	char *copy = s != NULL && len <= HUB_REQHISTORY_PREVIEW_MAX ? strdup(s) : NULL;

	json_object_put(o);
	return copy;
}

char *
hub_reqhistory_preview(json_object *blocks, const char *text)
{
	json_object *o = json_object_new_object();

	if (o == NULL || (blocks != NULL && hub_json_set(o, "blocks", json_object_get(blocks)) !=
	    0) || hub_json_set_str(o, "text", text) != 0) {
		json_object_put(o);
		return NULL;
	}
	return stored(o);
}

char *
hub_reqhistory_email_preview(const char *subject)
{
	json_object *o = json_object_new_object();

	if (o == NULL || hub_json_set_str(o, "subject", subject) != 0) {
		json_object_put(o);
		return NULL;
	}
	return stored(o);
}
