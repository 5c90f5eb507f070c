/*
 * audit.c - admin actions in the audit log (see audit.h).
 */
#include <string.h>

#include "approval/audit.h"
#include "base/json.h"

enum stmt {
	ST_ADMIN,
	ST__MAX
};

static const struct hub_stmt stmts[ST__MAX] = {
	/* $1 actor, $2 action, $3 detail, $4 via */
	[ST_ADMIN] = {
	    "INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " VALUES (NULL, $1, $2, $3::jsonb, $4)", 4 },
};

static const struct hub_stmt_table audit_stmts = { "audit", stmts, ST__MAX };

static const char *
or_else(const char *a, const char *b)
{
	return a != NULL && *a != '\0' ? a : b;
}

int
hub_audit_admin(struct hub_db *db, const struct hub_actor *a, const char *action,
    json_object *detail)
{
	json_object *d;
	const char *p[4];
	int rc;

	/* A copy: the caller's detail keeps its own keys only. */
	d = NULL;
	if (detail == NULL)
		d = json_object_new_object();
	else if (json_object_deep_copy(detail, &d, NULL) != 0)
		d = NULL;
	if (d == NULL)
		return HUB_DB_NOMEM;
	json_object_object_add(d, "actor_kind", a != NULL && a->kind != NULL ?
	    json_object_new_string(a->kind) : NULL);
	json_object_object_add(d, "actor_id", a != NULL && a->id != NULL ?
	    json_object_new_string(a->id) : NULL);
	p[0] = a != NULL ? or_else(a->display, or_else(a->id, "unknown")) : "unknown";
	p[1] = action;
	p[2] = hub_json_str(d, NULL);
	p[3] = a != NULL ? or_else(a->via, "web") : "web";
	rc = hub_db_exec(db, &audit_stmts, ST_ADMIN, p, NULL);
	json_object_put(d);
	return rc;
}
