/*
 * audit.h - admin actions in the audit log (audit_log, the engine's
 * table): a change an admin makes to the hub's setup rather than to a
 * request (a Slack connection added, disabled, disconnected ...) is one
 * row with request_id NULL, action "<thing>.<verb>" (e.g.
 * "connection.disabled"), actor the hub_actor's display (else its id),
 * via its via, and detail = the caller's detail plus "actor_kind" and
 * "actor_id", the keys the engine's own rows carry.
 *
 * Runs inside the caller's transaction when one is open, so the change
 * and its row commit together.  detail is borrowed (NULL: {}) and not
 * modified.  Never logs.
 */
#ifndef HUB_AUDIT_H
#define HUB_AUDIT_H

#include <json-c/json.h>

#include "approval/engine.h"
#include "store/db.h"

/* HUB_DB_OK, or the hub_db error (HUB_DB_QUERY for a bad action name). */
int	hub_audit_admin(struct hub_db *, const struct hub_actor *, const char *action,
	    json_object *detail);

#endif
