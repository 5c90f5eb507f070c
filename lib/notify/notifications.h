/*
 * notifications.h - the delivery history (delivery_log) for admins: every
 * Slack message, webhook post, email and source callback the worker made
 * or is making, newest first, keyset-paginated like the request list.
 *
 * Admin-only and small next to requests: one statement with optional
 * filters is enough.  The cursor's id is delivery_log's bigint
 * (HUB_CURSOR_NUMERIC).  Objects handed out are the caller's; problems
 * are reported in a struct hub_problem (check.h).  Never logs.
 */
#ifndef HUB_NOTIFICATIONS_H
#define HUB_NOTIFICATIONS_H

#include <json-c/json.h>

#include "base/check.h"
#include "store/db.h"

enum hub_notif_err {
	HUB_NOTIF_OK = 0,
	HUB_NOTIF_INVALID,   /* p->field, p->message */
	HUB_NOTIF_DB,        /* p->db: the hub_db code */
	HUB_NOTIF_NOMEM,
};

/* NULL members filter nothing. */
struct hub_notif_filter {
	const char	*request_id;  /* a request's uuid */
	const char	*status;      /* queued, sending, delivered, failed, retrying */
	const char	*kind;        /* call_for_action, info, … (notifications.c) */
	const char	*transport;   /* slack, webhook, email, callback */
	const char	*cursor;
	long		 limit;       /* rows per page, checked by the caller */
};

/* {"notifications": [...], "count", "next_cursor"}. */
int	hub_notif_list(struct hub_db *, const struct hub_notif_filter *, json_object **out,
	    struct hub_problem *);

#endif
