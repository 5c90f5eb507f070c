/*
 * adminlog.h - the audit log as the admin pages read it (/admin/audit),
 * and a global setting changed with its audit row.
 *
 * The audit log (audit_log, engine.h) records every transition of a
 * request; groups.h appends its own changes and audit.h every other admin
 * action (request_id NULL).  Action names of admin actions:
 *   source.created, source.updated, source.key_rotated (sourceadmin.h),
 *   user.created, user.updated, user.password_reset (admin.h),
 *   setting.changed, setting.reset (hub_adminlog_setting below),
 *   connection.* (connadmin.h), group.* and delegation.* (groups.h),
 *   delivery.retried (notify/problems.h).
 * Details never hold a secret: an API key, a password or a callback secret
 * is at most "set".
 *
 * Listing: newest first, keyset pages (cursor.h, HUB_CURSOR_NUMERIC over
 * (at, id)), filtered by request, actor, action and a range of UTC dates.
 * Each filter combination is served by an index (migration 0017): the
 * statement is chosen by the most selective filter given (request, then
 * actor, then action), so no page reads the whole log.
 *
 * Objects handed out are the caller's; problems go into struct hub_problem
 * (check.h).  Never logs.
 */
#ifndef HUB_ADMINLOG_H
#define HUB_ADMINLOG_H

#include <stddef.h>

#include <json-c/json.h>

#include "approval/engine.h"
#include "base/check.h"
#include "store/db.h"

enum hub_adminlog_err {
	HUB_ADMINLOG_OK = 0,
	HUB_ADMINLOG_INVALID,	/* p->field, p->message (setting: err) */
	HUB_ADMINLOG_DB,	/* p->db: the hub_db code */
	HUB_ADMINLOG_NOMEM,
};

#define HUB_ADMINLOG_ACTOR_MAX	256
#define HUB_ADMINLOG_PAGE_MAX	200

/* The action names an admin may filter by (the engine's and every admin
 * action's), NULL-terminated. */
extern const char *const hub_adminlog_actions[];

/* NULL members filter nothing. */
struct hub_adminlog_filter {
	const char	*request_id;	/* a request's uuid */
	const char	*actor;		/* the actor column, exactly */
	const char	*action;	/* one of hub_adminlog_actions */
	const char	*from;		/* YYYY-MM-DD, UTC, inclusive */
	const char	*to;		/* YYYY-MM-DD, UTC, inclusive */
	const char	*cursor;
	long		 limit;		/* 1..HUB_ADMINLOG_PAGE_MAX */
};

/* {"entries": [{id, request_id, actor, action, via, detail, detail_text,
 * created_at}], "count", "next_cursor"}; detail_text is the detail without
 * actor_kind and actor_id, as compact JSON. */
int	hub_adminlog_list(struct hub_db *, const struct hub_adminlog_filter *,
	    json_object **out, struct hub_problem *);

/* Set (value) or reset to its default (value NULL) a global setting
 * (settings.h) with its audit row, in one transaction.  INVALID with the
 * reason in err (settings.h's words), DB. */
int	hub_adminlog_setting(struct hub_db *, const struct hub_actor *, const char *key,
	    const char *value, char *err, size_t errlen);

const char *hub_adminlog_strerror(int);

#endif
