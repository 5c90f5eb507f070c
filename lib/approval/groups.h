/*
 * groups.h - approver groups and delegations as admins manage them (the
 * admin API's /api/groups and /api/delegations, the CLI's `group` and
 * `delegate` commands).  The engine reads the same tables (engine.c: a
 * "group:NAME" approver becomes one assignment per member when a request
 * is created; an approver's delegation in force today adds the delegate's
 * own assignment when a step starts); this module only writes them.
 *
 * Group: a name of [a-z0-9_.-]{1,100} (what intake accepts after
 * "group:"), an optional description (≤ 500 bytes), at most
 * HUB_GROUPS_MEMBERS_MAX members.  A member, an approver or a delegate is a
 * Slack user id (^[UW][A-Z0-9]{2,}$, ≤ 32) or an email address, stored
 * lower-cased; a group is never a member or a delegate.
 *
 * Delegation: approver → delegate for valid_from..valid_to (dates,
 * YYYY-MM-DD, both inclusive, valid_from ≤ valid_to, valid_to not before
 * today).  The same person on both sides is refused; so is a second
 * delegation of the same approver whose dates overlap one that is not
 * revoked (EXISTS, the message names it).  Revoking sets revoked_at:
 * requests created afterwards no longer get the delegate.  A delegate's
 * assignments already made are left as they are.
 *
 * A delegation's "status": "active" (in force today), "upcoming",
 * "ended" or "revoked".  Listing with active_only keeps active and upcoming
 * ones: not revoked, not ended.
 *
 * Every change appends one audit_log row (request_id NULL): group.created,
 * group.deleted, group.member_added, group.member_removed,
 * delegation.added, delegation.revoked; actor is the hub_actor's display,
 * detail carries its kind and id, via its via.
 *
 * Objects handed out are the caller's (json_object_put).  Problems go into
 * struct hub_problem (check.h); its field is a static string or a key of
 * the caller's `in`.  Each change is one transaction.  Never logs.
 */
#ifndef HUB_GROUPS_H
#define HUB_GROUPS_H

#include <json-c/json.h>

#include "base/check.h"
#include "store/db.h"
#include "approval/engine.h"

enum hub_groups_err {
	HUB_GROUPS_OK = 0,
	HUB_GROUPS_INVALID,   /* 400: p->field, p->message */
	HUB_GROUPS_EXISTS,    /* 409: name taken, already a member, overlapping
	                       * delegation, already revoked: p->message */
	HUB_GROUPS_NOTFOUND,  /* 404: no such group, member or delegation */
	HUB_GROUPS_DB,        /* p->db: the hub_db code */
	HUB_GROUPS_NOMEM,
};

#define HUB_GROUPS_MEMBERS_MAX	500
#define HUB_GROUPS_NAME_MAX	100

const char *hub_groups_strerror(int);

/* Check and normalize a person: a Slack user id or an email (lower-cased
 * into value, which has room for 321 bytes).  *kind is "slack" or
 * "email" (static).  0, or -1 with a phrase for the user in *why. */
int	hub_groups_person(const char *s, const char **kind, char value[321],
	    const char **why);

/* {"groups": [{id, name, description, member_count, created_at}], "count"}
 * by name. */
int	hub_groups_list(struct hub_db *, json_object **out, struct hub_problem *);
/* {id, name, description, member_count, members: [{kind, value,
 * added_at}] in the order they were added, created_at}. */
int	hub_groups_get(struct hub_db *, const char *name, json_object **out,
	    struct hub_problem *);
/* in: {"name", "description"?, "members"?: ["U…" | "a@b.c", …]}; unknown
 * fields are refused.  *out is the group as hub_groups_get shows it. */
int	hub_groups_create(struct hub_db *, json_object *in, const struct hub_actor *,
	    json_object **out, struct hub_problem *);
int	hub_groups_delete(struct hub_db *, const char *name, const struct hub_actor *,
	    struct hub_problem *);
/* *out (may be NULL) is the group after the change. */
int	hub_groups_member_add(struct hub_db *, const char *name, const char *member,
	    const struct hub_actor *, json_object **out, struct hub_problem *);
int	hub_groups_member_remove(struct hub_db *, const char *name, const char *member,
	    const struct hub_actor *, struct hub_problem *);

/* in: {"approver", "delegate", "valid_from", "valid_to"}.  *out is the
 * delegation: {id, approver: {kind, value}, delegate: {kind, value},
 * valid_from, valid_to, status, created_by, created_at, revoked_at}. */
int	hub_deleg_add(struct hub_db *, json_object *in, const struct hub_actor *,
	    json_object **out, struct hub_problem *);
/* {"delegations": [...], "count"}, newest first.  approver (NULL: all) is
 * checked like a member (field "approver"). */
int	hub_deleg_list(struct hub_db *, const char *approver, int active_only,
	    json_object **out, struct hub_problem *);
int	hub_deleg_get(struct hub_db *, const char *id, json_object **out,
	    struct hub_problem *);
/* id: decimal text (anything else is NOTFOUND).  *out (may be NULL) is
 * the delegation as it now is. */
int	hub_deleg_revoke(struct hub_db *, const char *id, const struct hub_actor *,
	    json_object **out, struct hub_problem *);

#endif
