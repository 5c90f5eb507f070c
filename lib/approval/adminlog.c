/*
 * adminlog.c - admin actions in the audit log and the audit log's pages
 * for /admin/audit (adminlog.h).
 */
#include <stdio.h>
#include <string.h>

#include "approval/adminlog.h"
#include "approval/audit.h"
#include "base/json.h"
#include "store/cursor.h"
#include "store/pgjson.h"
#include "store/settings.h"
#include "store/sqlfrag.h"

#define ISO HUB_SQL_ISO

const char *const hub_adminlog_actions[] = {
	/* engine.h */
	"request.created", "delegate.added", "step.started", "request.edited",
	"assignment.approved", "assignment.rejected", "step.approved", "step.rejected",
	"request.approved", "request.rejected", "request.cancelled", "request.expired",
	"request.lapsed", "approver.reassigned", "request.reminded", "request.snoozed",
	/* groups.h */
	"group.created", "group.deleted", "group.member_added", "group.member_removed",
	"delegation.added", "delegation.revoked",
	/* connadmin.h, the connections pages */
	"connection.added", "connection.installed", "connection.tested", "connection.channel_set",
	"connection.default_set", "connection.disabled", "connection.enabled",
	"connection.acknowledged", "connection.disconnected",
	/* notify/problems.h */
	"delivery.retried",
	/* adminlog.h */
	"source.created", "source.updated", "source.key_rotated",
	"user.created", "user.updated", "user.password_reset",
	"setting.changed", "setting.reset",
	NULL,
};

/* The columns of a listed entry, and the filters every listing shares:
 * the date range and the cursor, numbered from d (from), d+1 (to),
 * d+2 (cursor time), d+3 (cursor id), d+4 (limit). */
#define AL_COLS \
	"SELECT a.id, a.request_id, a.actor, a.action, a.via, a.detail," \
	" (a.detail - 'actor_kind' - 'actor_id')::text AS detail_text, " \
	ISO("a.at") " AS created_at FROM audit_log a WHERE "
#define AL_TAIL(from, to, ts, id, lim) \
	" AND a.at >= coalesce(" from "::date::timestamp AT TIME ZONE 'UTC', '-infinity')" \
	" AND a.at < coalesce((" to "::date + 1)::timestamp AT TIME ZONE 'UTC', 'infinity')" \
	" AND a.at <= " ts "::timestamptz" \
	" AND (a.at, a.id) < (" ts "::timestamptz, " id "::bigint)" \
	" ORDER BY a.at DESC, a.id DESC LIMIT " lim "::int"

enum stmt {
	STMT_BY_REQUEST,
	STMT_BY_ACTOR,
	STMT_BY_ACTION,
	STMT_ALL,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 request, $2 actor, $3 action (audit_log_request) */
	[STMT_BY_REQUEST] = { AL_COLS "a.request_id = $1::uuid"
		" AND ($2::text IS NULL OR a.actor = $2::text)"
		" AND ($3::text IS NULL OR a.action = $3::text)"
		AL_TAIL("$4", "$5", "$6", "$7", "$8"), 8 },
	/* $1 actor, $2 action (audit_log_actor) */
	[STMT_BY_ACTOR] = { AL_COLS "a.actor = $1::text"
		" AND ($2::text IS NULL OR a.action = $2::text)"
		AL_TAIL("$3", "$4", "$5", "$6", "$7"), 7 },
	/* $1 action (audit_log_action) */
	[STMT_BY_ACTION] = { AL_COLS "a.action = $1::text"
		AL_TAIL("$2", "$3", "$4", "$5", "$6"), 6 },
	/* audit_log_at */
	[STMT_ALL] = { AL_COLS "true" AL_TAIL("$1", "$2", "$3", "$4", "$5"), 5 },
};

static const struct hub_stmt_table adminlog_stmts = { "adminlog", stmts, STMT__MAX };

const char *
hub_adminlog_strerror(int rc)
{
	switch (rc) {
	case HUB_ADMINLOG_OK:		return "ok";
	case HUB_ADMINLOG_INVALID:	return "invalid";
	case HUB_ADMINLOG_DB:		return "database error";
	case HUB_ADMINLOG_NOMEM:	return "out of memory";
	default:			return "unknown error";
	}
}

/* YYYY-MM-DD with digits where they belong (PostgreSQL judges the date). */
static int
date_shaped(const char *s)
{
	size_t i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static int
invalid(struct hub_problem *p, const char *field, const char *message)
{
	return hub_problem(p, field, message, HUB_ADMINLOG_INVALID);
}

static int
filter_check(const struct hub_adminlog_filter *f, struct hub_problem *p)
{
	if (f->request_id != NULL && !hub_check_uuid(f->request_id))
		return invalid(p, "request", "must be a request id (a uuid)");
	if (f->actor != NULL && (strlen(f->actor) > HUB_ADMINLOG_ACTOR_MAX ||
	    !hub_check_text(f->actor, HUB_ADMINLOG_ACTOR_MAX, 1)))
		return invalid(p, "actor", "must be 1 to 256 characters");
	if (f->action != NULL && !hub_check_oneof(f->action, hub_adminlog_actions))
		return invalid(p, "action", "is not an action the audit log records");
	if (f->from != NULL && !date_shaped(f->from))
		return invalid(p, "from", "must be a date (YYYY-MM-DD)");
	if (f->to != NULL && !date_shaped(f->to))
		return invalid(p, "to", "must be a date (YYYY-MM-DD)");
	if (f->limit < 1 || f->limit > HUB_ADMINLOG_PAGE_MAX)
		return invalid(p, "limit", "must be from 1 to 200");
	return HUB_ADMINLOG_OK;
}

int
hub_adminlog_list(struct hub_db *db, const struct hub_adminlog_filter *f, json_object **out,
    struct hub_problem *p)
{
	char ts[HUB_CURSOR_PART] = "infinity", id[HUB_CURSOR_PART] = "9223372036854775807";
	char lim[HUB_INT64_TEXT_SIZE];
	const char *params[8];
	PGresult *res = NULL;
	int n = 0, st, rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = filter_check(f, p)) != HUB_ADMINLOG_OK)
		return rc;
	if (f->cursor != NULL &&
	    hub_cursor_decode(f->cursor, HUB_CURSOR_NUMERIC, ts, id) != HUB_CURSOR_OK)
		return invalid(p, "cursor", "is not a page of this list; start again");
	snprintf(lim, sizeof(lim), "%ld", f->limit + 1);
	/* The most selective filter given drives the statement (its index);
	 * the others narrow it. */
	if (f->request_id != NULL) {
		st = STMT_BY_REQUEST;
		params[n++] = f->request_id;
		params[n++] = f->actor;
		params[n++] = f->action;
	} else if (f->actor != NULL) {
		st = STMT_BY_ACTOR;
		params[n++] = f->actor;
		params[n++] = f->action;
	} else if (f->action != NULL) {
		st = STMT_BY_ACTION;
		params[n++] = f->action;
	} else {
		st = STMT_ALL;
	}
	params[n++] = f->from;
	params[n++] = f->to;
	params[n++] = ts;
	params[n++] = id;
	params[n++] = lim;
	if ((rc = hub_db_exec(db, &adminlog_stmts, st, params, &res)) != HUB_DB_OK) {
		/* 22xxx: a date or a cursor's time that is no real time */
		if (rc == HUB_DB_CHECK)
			return f->cursor != NULL ?
			    invalid(p, "cursor", "is not a page of this list; start again") :
			    invalid(p, "from", "from and to must be real dates");
		p->db = rc;
		return HUB_ADMINLOG_DB;
	}
	*out = hub_pgjson_page(res, "entries", f->limit);
	PQclear(res);
	return *out != NULL ? HUB_ADMINLOG_OK : HUB_ADMINLOG_NOMEM;
}

/* The audit detail of a setting's change: key, the value it had, and the
 * new one (absent when reset). */
static json_object *
setting_detail(struct hub_db *db, const char *key, const char *value)
{
	struct hub_buf prev = HUB_BUF_INIT(4096);
	json_object *d = json_object_new_object();

	if (d == NULL)
		return NULL;
	hub_json_set_str(d, "key", key);
	if (hub_settings_get(db, key, &prev) == HUB_SETTINGS_OK)
		hub_json_set_str(d, "previous", prev.len > 0 ? hub_buf_str(&prev) : NULL);
	if (value != NULL)
		hub_json_set_str(d, "value", value);
	hub_buf_release(&prev);
	return d;
}

int
hub_adminlog_setting(struct hub_db *db, const struct hub_actor *actor, const char *key,
    const char *value, char *err, size_t errlen)
{
	const struct hub_setting *s = hub_settings_find(key);
	json_object *detail = NULL;
	int rc;

	err[0] = '\0';
	if (s == NULL) {
		snprintf(err, errlen, "unknown setting '%.80s'", key);
		return HUB_ADMINLOG_INVALID;
	}
	if (value != NULL && hub_settings_check(s, value, err, errlen) != HUB_SETTINGS_OK)
		return HUB_ADMINLOG_INVALID;
	if ((detail = setting_detail(db, key, value)) == NULL)
		return HUB_ADMINLOG_NOMEM;
	if (hub_db_begin(db) != HUB_DB_OK) {
		rc = HUB_ADMINLOG_DB;
		goto out;
	}
	rc = value != NULL ? hub_settings_set(db, key, value, actor->display, err, errlen) :
	    hub_settings_unset(db, key);
	if (rc == HUB_SETTINGS_OK)
		rc = hub_audit_admin(db, actor, value != NULL ? "setting.changed" :
		    "setting.reset", detail) == HUB_DB_OK ? HUB_ADMINLOG_OK : HUB_ADMINLOG_DB;
	else
		rc = rc == HUB_SETTINGS_INVALID ? HUB_ADMINLOG_INVALID : HUB_ADMINLOG_DB;
	if (rc != HUB_ADMINLOG_OK)
		hub_db_rollback(db);
	else if (hub_db_commit(db) != HUB_DB_OK)
		rc = HUB_ADMINLOG_DB;
out:
	if (rc != HUB_ADMINLOG_OK && err[0] == '\0')
		snprintf(err, errlen, "%s", hub_adminlog_strerror(rc));
	json_object_put(detail);
	return rc;
}
