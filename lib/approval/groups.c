#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "approval/groups.h"
#include "base/json.h"
#include "store/pgjson.h"
#include "store/sqlfrag.h"

#define ISO HUB_SQL_ISO
#define DESCRIPTION_MAX	500
#define DELEG_ID_DIGITS	18

#define GROUP_COLS \
	"SELECT g.id, g.name, g.description," \
	" (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)::int AS member_count"

#define DELEG_COLS \
	"SELECT d.id, json_build_object('kind', d.approver_kind, 'value', d.approver_value)" \
	"  AS approver," \
	" json_build_object('kind', d.delegate_kind, 'value', d.delegate_value) AS delegate," \
	" to_char(d.valid_from, 'YYYY-MM-DD') AS valid_from," \
	" to_char(d.valid_to, 'YYYY-MM-DD') AS valid_to," \
	" CASE WHEN d.revoked_at IS NOT NULL THEN 'revoked'" \
	"  WHEN current_date > d.valid_to THEN 'ended'" \
	"  WHEN current_date < d.valid_from THEN 'upcoming' ELSE 'active' END AS status," \
	" d.created_by, " ISO("d.created_at") " AS created_at, " \
	ISO("d.revoked_at") " AS revoked_at FROM delegations d"

/* Who made a change, as the audit detail records it (engine.c's keys). */
#define AUDIT_WHO(kind, id) \
	"'actor_kind', " kind "::text, 'actor_id', " id "::text"

enum stmt {
	ST_LIST,
	ST_GET,
	ST_CREATE,
	ST_DELETE,
	ST_LOCK_GROUP,
	ST_MEMBER_ADD,
	ST_MEMBER_REMOVE,
	ST_DELEG_LIST,
	ST_DELEG_GET,
	ST_DELEG_LOCK,
	ST_DELEG_ADD,
	ST_DELEG_REVOKE,
	ST__MAX
};

static const struct hub_stmt stmts[ST__MAX] = {
	[ST_LIST] = { GROUP_COLS ", " ISO("g.created_at") " AS created_at"
	    " FROM groups g ORDER BY g.name", 0 },
	/* members in the order the engine expands them */
	[ST_GET] = { GROUP_COLS ", coalesce((SELECT json_agg(json_build_object("
	    "'kind', m.member_kind, 'value', m.member_value, 'added_at', " ISO("m.added_at")
	    ") ORDER BY m.added_at, m.member_value) FROM group_members m"
	    " WHERE m.group_id = g.id), '[]'::json) AS members, "
	    ISO("g.created_at") " AS created_at FROM groups g WHERE g.name = $1", 1 },
	/*
	 * The group, its members and the audit row in one statement: nothing
	 * is written when the name is taken (the id comes back NULL).
	 * $1 name, $2 description, $3 members [{kind, value}], $4 actor,
	 * $5 actor kind, $6 actor id, $7 via.
	 */
	[ST_CREATE] = {
	    "WITH g AS ("
	    " INSERT INTO groups (name, description) VALUES ($1::text, $2::text)"
	    " ON CONFLICT (name) DO NOTHING RETURNING id, name),"
	    " m AS ("
	    " INSERT INTO group_members (group_id, member_kind, member_value)"
	    " SELECT g.id, x.v->>'kind', x.v->>'value'"
	    " FROM g, jsonb_array_elements($3::jsonb) x(v) RETURNING 1),"
	    " a AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT NULL, $4::text, 'group.created', jsonb_build_object('group', g.name,"
	    "  'group_id', g.id, 'members', $3::jsonb, " AUDIT_WHO("$5", "$6") "), $7::text"
	    " FROM g RETURNING 1)"
	    " SELECT (SELECT id FROM g), (SELECT count(*) FROM m) + (SELECT count(*) FROM a)", 7 },
	/* The members go with the group (ON DELETE CASCADE); the audit row
	 * counts them from the statement's snapshot, before the delete. */
	[ST_DELETE] = {
	    "WITH d AS (DELETE FROM groups WHERE name = $1::text RETURNING id, name),"
	    " a AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT NULL, $2::text, 'group.deleted', jsonb_build_object('group', d.name,"
	    "  'group_id', d.id, 'members', (SELECT count(*) FROM group_members m"
	    "   WHERE m.group_id = d.id), " AUDIT_WHO("$3", "$4") "), $5::text"
	    " FROM d RETURNING 1)"
	    " SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM a)", 5 },
	/* Held until commit: concurrent adds to one group count in turn, so
	 * the cap holds. */
	[ST_LOCK_GROUP] = { "SELECT id FROM groups WHERE name = $1 FOR UPDATE", 1 },
	/* $1 group id, $2 kind, $3 value, $4 group name, $5 actor, $6 actor
	 * kind, $7 actor id, $8 via, $9 the cap.  Columns: members before,
	 * inserted, already a member. */
	[ST_MEMBER_ADD] = {
	    "WITH n AS (SELECT count(*) AS n FROM group_members WHERE group_id = $1::uuid),"
	    " ins AS ("
	    " INSERT INTO group_members (group_id, member_kind, member_value)"
	    " SELECT $1::uuid, $2::text, $3::text FROM n WHERE n.n < $9::int"
	    " ON CONFLICT DO NOTHING RETURNING member_kind, member_value),"
	    " a AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT NULL, $5::text, 'group.member_added', jsonb_build_object('group', $4::text,"
	    "  'group_id', $1::uuid, 'kind', ins.member_kind, 'member', ins.member_value, "
	    AUDIT_WHO("$6", "$7") "), $8::text FROM ins RETURNING 1)"
	    " SELECT n.n, (SELECT count(*) FROM ins),"
	    " EXISTS (SELECT 1 FROM group_members WHERE group_id = $1::uuid"
	    "  AND member_kind = $2::text AND member_value = $3::text)"
	    " FROM n", 9 },
	/* $1 group name, $2 kind, $3 value, $4 actor, $5 kind, $6 id, $7 via.
	 * Columns: the group exists, removed. */
	[ST_MEMBER_REMOVE] = {
	    "WITH g AS (SELECT id, name FROM groups WHERE name = $1::text),"
	    " d AS ("
	    " DELETE FROM group_members m USING g WHERE m.group_id = g.id"
	    " AND m.member_kind = $2::text AND m.member_value = $3::text"
	    " RETURNING m.group_id, m.member_kind, m.member_value),"
	    " a AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT NULL, $4::text, 'group.member_removed', jsonb_build_object("
	    "  'group', $1::text, 'group_id', d.group_id, 'kind', d.member_kind,"
	    "  'member', d.member_value, " AUDIT_WHO("$5", "$6") "), $7::text"
	    " FROM d RETURNING 1)"
	    " SELECT (SELECT count(*) FROM g), (SELECT count(*) FROM d)",
	    7 },
	/* $1 approver kind (NULL: all), $2 value, $3 active only */
	[ST_DELEG_LIST] = { DELEG_COLS
	    " WHERE ($1::text IS NULL OR (d.approver_kind = $1::text"
	    "  AND lower(d.approver_value) = lower($2::text)))"
	    " AND (NOT $3::bool OR (d.revoked_at IS NULL AND d.valid_to >= current_date))"
	    " ORDER BY d.id DESC LIMIT 1000", 3 },
	[ST_DELEG_GET] = { DELEG_COLS " WHERE d.id = $1::bigint", 1 },
	/* One approver's delegations are added one at a time (until commit),
	 * so two overlapping ones cannot both pass the check. */
	[ST_DELEG_LOCK] = { "SELECT pg_advisory_xact_lock(hashtextextended("
	    "'hub.delegation:' || $1::text || ':' || lower($2::text), 0))", 2 },
	/*
	 * Insert unless a live delegation of the approver overlaps the dates
	 * or the range is over already.  $1 approver kind, $2 value,
	 * $3 delegate kind, $4 value, $5 from, $6 to, $7 actor, $8 actor kind,
	 * $9 actor id, $10 via.  Columns: new id, overlapping id, its from,
	 * its to, today.
	 */
	[ST_DELEG_ADD] = {
	    "WITH ov AS ("
	    " SELECT id, to_char(valid_from, 'YYYY-MM-DD') AS f,"
	    "  to_char(valid_to, 'YYYY-MM-DD') AS t FROM delegations"
	    " WHERE approver_kind = $1::text AND lower(approver_value) = lower($2::text)"
	    "  AND revoked_at IS NULL AND valid_from <= $6::date AND valid_to >= $5::date"
	    " ORDER BY valid_from, id LIMIT 1),"
	    " ins AS ("
	    " INSERT INTO delegations (approver_kind, approver_value, delegate_kind,"
	    "  delegate_value, valid_from, valid_to, created_by)"
	    " SELECT $1::text, $2::text, $3::text, $4::text, $5::date, $6::date, $7::text"
	    " WHERE NOT EXISTS (SELECT 1 FROM ov) AND $6::date >= current_date"
	    " RETURNING id, approver_kind, approver_value, delegate_kind, delegate_value,"
	    "  valid_from, valid_to),"
	    " a AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT NULL, $7::text, 'delegation.added', jsonb_build_object("
	    "  'delegation_id', ins.id, 'approver_kind', ins.approver_kind,"
	    "  'approver', ins.approver_value, 'delegate_kind', ins.delegate_kind,"
	    "  'delegate', ins.delegate_value, 'valid_from', ins.valid_from,"
	    "  'valid_to', ins.valid_to, " AUDIT_WHO("$8", "$9") "), $10::text"
	    " FROM ins RETURNING 1)"
	    " SELECT (SELECT id FROM ins), ov.id, ov.f, ov.t,"
	    "  to_char(current_date, 'YYYY-MM-DD'), (SELECT count(*) FROM a)"
	    " FROM (SELECT 1) one LEFT JOIN ov ON true", 10 },
	/* $1 id, $2 actor, $3 actor kind, $4 actor id, $5 via.  Columns:
	 * revoked now, the delegation exists. */
	[ST_DELEG_REVOKE] = {
	    "WITH r AS ("
	    " UPDATE delegations SET revoked_at = now()"
	    " WHERE id = $1::bigint AND revoked_at IS NULL"
	    " RETURNING id, approver_kind, approver_value, delegate_kind, delegate_value),"
	    " a AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT NULL, $2::text, 'delegation.revoked', jsonb_build_object("
	    "  'delegation_id', r.id, 'approver_kind', r.approver_kind,"
	    "  'approver', r.approver_value, 'delegate_kind', r.delegate_kind,"
	    "  'delegate', r.delegate_value, " AUDIT_WHO("$3", "$4") "), $5::text"
	    " FROM r RETURNING 1)"
	    " SELECT (SELECT count(*) FROM r),"
	    " EXISTS (SELECT 1 FROM delegations WHERE id = $1::bigint)", 5 },
};

static const struct hub_stmt_table groups_stmts = { "groups", stmts, ST__MAX };

const char *
hub_groups_strerror(int rc)
{
	switch (rc) {
	case HUB_GROUPS_OK:		return "ok";
	case HUB_GROUPS_INVALID:	return "invalid";
	case HUB_GROUPS_EXISTS:		return "conflict";
	case HUB_GROUPS_NOTFOUND:	return "not found";
	case HUB_GROUPS_DB:		return "database error";
	case HUB_GROUPS_NOMEM:		return "out of memory";
	default:			return "unknown error";
	}
}

/* ------------------------------------------------------------ checks */

static int
dberr(struct hub_problem *p, int db)
{
	p->db = db;
	return db == HUB_DB_NOMEM ? HUB_GROUPS_NOMEM : HUB_GROUPS_DB;
}

static int
is_group_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == '-';
}

/* [a-z0-9_.-]{1,100}, as intake accepts after "group:". */
static int
group_name_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) < 1 || n > HUB_GROUPS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_group_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char name_msg[] =
    "must be 1 to 100 characters of a-z, 0-9, _ . - (as in \"group:NAME\")";

/* ^[UW][A-Z0-9]{2,}$, at most 32: intake's rule. */
static int
slack_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 3 || n > 32 || (s[0] != 'U' && s[0] != 'W'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return 1;
}

/*
 * intake's rule, so whatever is accepted here matches an approver intake
 * accepts: local@domain.tld in ASCII, local part of atext and inner dots
 * (≤ 64), domain of LDH labels (≤ 63 each, ≤ 255 in all) ending in an
 * alphabetic TLD of 2 or more letters.
 */
int
hub_groups_person(const char *s, const char **kind, char value[321], const char **why)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0) {
		*why = "must be a Slack user id (U… or W…) or an email address";
		return -1;
	}
	if (strncmp(s, "group:", 6) == 0) {
		*why = "must be a person (Slack user id or email), not a group";
		return -1;
	}
	if (strchr(s, '@') != NULL) {
		if (!hub_check_email(s)) {
			*why = "is not a valid email address";
			return -1;
		}
		for (i = 0; i < n; i++)
			value[i] = (char)tolower((unsigned char)s[i]);
		value[n] = '\0';
		*kind = "email";
		return 0;
	}
	if (!slack_id_ok(s)) {
		*why = "must be a Slack user id (U… or W…, capitals and digits) or an email address";
		return -1;
	}
	memcpy(value, s, n + 1);
	*kind = "slack";
	return 0;
}

/* YYYY-MM-DD, a real day of the Gregorian calendar, year 2000..9999. */
static int
date_ok(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i, leap;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* A delegation id as its path carries it: 1..18 digits, no sign. */
static int
deleg_id_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > DELEG_ID_DIGITS || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Every key of in is one of allowed: else INVALID naming it. */
static int
only_keys(json_object *in, const char *const *allowed, struct hub_problem *p)
{
	json_object_object_foreach(in, k, v) {
		(void)v;
		if (!hub_check_oneof(k, allowed))
			return hub_problem(p, k, "unknown field", HUB_GROUPS_INVALID);
	}
	return HUB_GROUPS_OK;
}

/* The actor's audit values: display, kind, id, via. */
struct who {
	const char *params[4];
};

static void
who_of(const struct hub_actor *a, struct who *w)
{
	w->params[0] = a != NULL && a->display != NULL ? a->display :
	    a != NULL && a->id != NULL ? a->id : "unknown";
	w->params[1] = a != NULL && a->kind != NULL ? a->kind : "unknown";
	w->params[2] = a != NULL ? a->id : NULL;
	w->params[3] = a != NULL && a->via != NULL ? a->via : "api";
}

static int
one_row(struct hub_db *db, int st, const char *const *params, PGresult **res,
    struct hub_problem *p)
{
	int rc;

	if ((rc = hub_db_exec(db, &groups_stmts, st, params, res)) != HUB_DB_OK)
		return dberr(p, rc);
	if (PQntuples(*res) != 1) {
		PQclear(*res);
		*res = NULL;
		return dberr(p, HUB_DB_QUERY);
	}
	return HUB_GROUPS_OK;
}

/* ------------------------------------------------------------ groups */

int
hub_groups_list(struct hub_db *db, json_object **out, struct hub_problem *p)
{
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = hub_db_exec(db, &groups_stmts, ST_LIST, NULL, &res)) != HUB_DB_OK)
		return dberr(p, rc);
	*out = hub_pgjson_all(res, "groups");
	PQclear(res);
	return *out != NULL ? HUB_GROUPS_OK : HUB_GROUPS_NOMEM;
}

/* One row of statement stmt for key, as JSON; missing is NOTFOUND on field. */
static int
get_one(struct hub_db *db, int stmt, const char *key, const char *field,
    const char *missing, json_object **out, struct hub_problem *p)
{
	const char *params[1] = { key };
	PGresult *res = NULL;
	int rc;

	if ((rc = hub_db_exec(db, &groups_stmts, stmt, params, &res)) != HUB_DB_OK)
		return dberr(p, rc);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return hub_problem(p, field, missing, HUB_GROUPS_NOTFOUND);
	}
	*out = hub_pgjson_row(res, 0);
	PQclear(res);
	return *out != NULL ? HUB_GROUPS_OK : HUB_GROUPS_NOMEM;
}

int
hub_groups_get(struct hub_db *db, const char *name, json_object **out, struct hub_problem *p)
{
	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!group_name_ok(name))
		return hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND);
	return get_one(db, ST_GET, name, "name", "no such group", out, p);
}

/* members (an array, may be NULL) as [{kind, value}], checked, normalized
 * and without repeats. */
static int
members_param(json_object *members, json_object **out, struct hub_problem *p)
{
	char msg[160];
	json_object *arr, *e, *o;
	const char *kind, *why;
	char value[321];
	size_t i, j, n;

	if ((arr = json_object_new_array()) == NULL)
		return HUB_GROUPS_NOMEM;
	*out = arr;
	if (members == NULL)
		return HUB_GROUPS_OK;
	if (!json_object_is_type(members, json_type_array))
		return hub_problem(p, "members", "must be an array of Slack user ids and emails",
		    HUB_GROUPS_INVALID);
	if ((n = json_object_array_length(members)) > HUB_GROUPS_MEMBERS_MAX)
		return hub_problem(p, "members", "a group has at most 500 members",
		    HUB_GROUPS_INVALID);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(members, i);
		if (!json_object_is_type(e, json_type_string) ||
		    hub_groups_person(json_object_get_string(e), &kind, value, &why) != 0) {
			snprintf(msg, sizeof(msg), "member %zu %s", i + 1,
			    json_object_is_type(e, json_type_string) ? why :
			    "must be a string: a Slack user id or an email address");
			return hub_problem(p, "members", msg, HUB_GROUPS_INVALID);
		}
		for (j = 0; j < i; j++) {
			json_object *k2, *v2, *prev = json_object_array_get_idx(arr, j);

			json_object_object_get_ex(prev, "kind", &k2);
			json_object_object_get_ex(prev, "value", &v2);
			if (strcmp(json_object_get_string(k2), kind) == 0 &&
			    strcmp(json_object_get_string(v2), value) == 0) {
				snprintf(msg, sizeof(msg), "member %zu is listed twice", i + 1);
				return hub_problem(p, "members", msg, HUB_GROUPS_INVALID);
			}
		}
		if ((o = json_object_new_object()) == NULL ||
		    json_object_array_add(arr, o) != 0)
			return HUB_GROUPS_NOMEM;
		json_object_object_add(o, "kind", json_object_new_string(kind));
		json_object_object_add(o, "value", json_object_new_string(value));
	}
	return HUB_GROUPS_OK;
}

int
hub_groups_create(struct hub_db *db, json_object *in, const struct hub_actor *actor,
    json_object **out, struct hub_problem *p)
{
	static const char *const allowed[] = { "name", "description", "members", NULL };
	json_object *members = NULL, *norm = NULL;
	const char *name = NULL, *description = NULL, *params[7];
	PGresult *res = NULL;
	struct who w;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = only_keys(in, allowed, p)) != HUB_GROUPS_OK)
		goto out;
	if (hub_json_get_string(in, "name", HUB_GROUPS_NAME_MAX, &name) != HUB_JSON_OK ||
	    !group_name_ok(name)) {
		rc = hub_problem(p, "name", name_msg, HUB_GROUPS_INVALID);
		goto out;
	}
	rc = hub_json_get_string(in, "description", DESCRIPTION_MAX, &description);
	if ((rc != HUB_JSON_OK && rc != HUB_JSON_MISSING) ||
	    (rc == HUB_JSON_OK && !hub_check_text(description, DESCRIPTION_MAX, 1))) {
		rc = hub_problem(p, "description",
		    "must be 1 to 500 characters without control characters", HUB_GROUPS_INVALID);
		goto out;
	}
	json_object_object_get_ex(in, "members", &members);
	if ((rc = members_param(members, &norm, p)) != HUB_GROUPS_OK)
		goto out;
	who_of(actor, &w);
	params[0] = name;
	params[1] = description;
	params[2] = hub_json_str(norm, NULL);
	memcpy(&params[3], w.params, sizeof(w.params));
	if ((rc = one_row(db, ST_CREATE, params, &res, p)) != HUB_GROUPS_OK)
		goto out;
	if (PQgetisnull(res, 0, 0)) {
		rc = hub_problem(p, "name", "a group with this name exists", HUB_GROUPS_EXISTS);
		goto out;
	}
	rc = hub_groups_get(db, name, out, p);
out:
	PQclear(res);
	json_object_put(norm);
	return rc;
}

int
hub_groups_delete(struct hub_db *db, const char *name, const struct hub_actor *actor,
    struct hub_problem *p)
{
	const char *params[5];
	PGresult *res = NULL;
	struct who w;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!group_name_ok(name))
		return hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND);
	who_of(actor, &w);
	params[0] = name;
	memcpy(&params[1], w.params, sizeof(w.params));
	if ((rc = one_row(db, ST_DELETE, params, &res, p)) != HUB_GROUPS_OK)
		return rc;
	rc = strcmp(PQgetvalue(res, 0, 0), "0") == 0 ?
	    hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND) : HUB_GROUPS_OK;
	PQclear(res);
	return rc;
}

int
hub_groups_member_add(struct hub_db *db, const char *name, const char *member,
    const struct hub_actor *actor, json_object **out, struct hub_problem *p)
{
	const char *params[9], *kind, *why;
	char value[321], id[HUB_UUID_TEXT_LEN + 1], cap[16];
	PGresult *res = NULL;
	struct who w;
	int rc, tx = 0;

	if (out != NULL)
		*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!group_name_ok(name))
		return hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND);
	if (hub_groups_person(member, &kind, value, &why) != 0)
		return hub_problem(p, "member", why, HUB_GROUPS_INVALID);
	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		return dberr(p, rc);
	tx = 1;
	params[0] = name;
	if ((rc = hub_db_exec(db, &groups_stmts, ST_LOCK_GROUP, params, &res)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	if (PQntuples(res) == 0) {
		rc = hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	snprintf(cap, sizeof(cap), "%d", HUB_GROUPS_MEMBERS_MAX);
	who_of(actor, &w);
	params[0] = id;
	params[1] = kind;
	params[2] = value;
	params[3] = name;
	memcpy(&params[4], w.params, sizeof(w.params));
	params[8] = cap;
	if ((rc = one_row(db, ST_MEMBER_ADD, params, &res, p)) != HUB_GROUPS_OK)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 1), "0") == 0) {
		rc = PQgetvalue(res, 0, 2)[0] == 't' ?
		    hub_problem(p, "member", "is already a member of this group", HUB_GROUPS_EXISTS) :
		    hub_problem(p, "member", "the group has 500 members, the most it may have",
		    HUB_GROUPS_INVALID);
		goto out;
	}
	tx = 0;
	if ((rc = hub_db_commit(db)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	rc = out != NULL ? hub_groups_get(db, name, out, p) : HUB_GROUPS_OK;
out:
	PQclear(res);
	if (tx)
		hub_db_rollback(db);
	return rc;
}

int
hub_groups_member_remove(struct hub_db *db, const char *name, const char *member,
    const struct hub_actor *actor, struct hub_problem *p)
{
	const char *params[7], *kind, *why;
	char value[321];
	PGresult *res = NULL;
	struct who w;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!group_name_ok(name))
		return hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND);
	/* Not a person: it cannot be a member either. */
	if (hub_groups_person(member, &kind, value, &why) != 0)
		return hub_problem(p, "member", "not a member of this group", HUB_GROUPS_NOTFOUND);
	who_of(actor, &w);
	params[0] = name;
	params[1] = kind;
	params[2] = value;
	memcpy(&params[3], w.params, sizeof(w.params));
	if ((rc = one_row(db, ST_MEMBER_REMOVE, params, &res, p)) != HUB_GROUPS_OK)
		return rc;
	if (strcmp(PQgetvalue(res, 0, 0), "0") == 0)
		rc = hub_problem(p, "name", "no such group", HUB_GROUPS_NOTFOUND);
	else if (strcmp(PQgetvalue(res, 0, 1), "0") == 0)
		rc = hub_problem(p, "member", "not a member of this group", HUB_GROUPS_NOTFOUND);
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------ delegations */

int
hub_deleg_get(struct hub_db *db, const char *id, json_object **out, struct hub_problem *p)
{
	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!deleg_id_ok(id))
		return hub_problem(p, "id", "no such delegation", HUB_GROUPS_NOTFOUND);
	return get_one(db, ST_DELEG_GET, id, "id", "no such delegation", out, p);
}

int
hub_deleg_list(struct hub_db *db, const char *approver, int active_only, json_object **out,
    struct hub_problem *p)
{
	const char *params[3] = { NULL, NULL, active_only ? "true" : "false" }, *why;
	char value[321];
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (approver != NULL) {
		if (hub_groups_person(approver, &params[0], value, &why) != 0)
			return hub_problem(p, "approver", why, HUB_GROUPS_INVALID);
		params[1] = value;
	}
	if ((rc = hub_db_exec(db, &groups_stmts, ST_DELEG_LIST, params, &res)) != HUB_DB_OK)
		return dberr(p, rc);
	*out = hub_pgjson_all(res, "delegations");
	PQclear(res);
	return *out != NULL ? HUB_GROUPS_OK : HUB_GROUPS_NOMEM;
}

/* A person field of a delegation body into kind and value. */
static int
person_field(json_object *in, const char *field, const char **kind, char value[321],
    struct hub_problem *p)
{
	const char *s = NULL, *why;

	switch (hub_json_get_string(in, field, 320, &s)) {
	case HUB_JSON_OK:
		break;
	case HUB_JSON_MISSING:
		return hub_problem(p, field, "is required: a Slack user id or an email address",
		    HUB_GROUPS_INVALID);
	default:
		return hub_problem(p, field, "must be a Slack user id or an email address",
		    HUB_GROUPS_INVALID);
	}
	if (hub_groups_person(s, kind, value, &why) != 0)
		return hub_problem(p, field, why, HUB_GROUPS_INVALID);
	return HUB_GROUPS_OK;
}

static int
date_field(json_object *in, const char *field, const char **out, struct hub_problem *p)
{
	int rc = hub_json_get_string(in, field, 10, out);

	if (rc == HUB_JSON_MISSING)
		return hub_problem(p, field, "is required: a date, YYYY-MM-DD", HUB_GROUPS_INVALID);
	if (rc != HUB_JSON_OK || !date_ok(*out))
		return hub_problem(p, field, "must be a date, YYYY-MM-DD", HUB_GROUPS_INVALID);
	return HUB_GROUPS_OK;
}

/* A delegate other than the approver, over dates in order. */
static int
deleg_pair_problem(const char *akind, const char *aval, const char *dkind,
    const char *dval, const char *from, const char *to, struct hub_problem *p)
{
	if (strcmp(akind, dkind) == 0 && strcmp(aval, dval) == 0)
		return hub_problem(p, "delegate", "must be someone other than the approver",
		    HUB_GROUPS_INVALID);
	/* YYYY-MM-DD orders as text */
	if (strcmp(from, to) > 0)
		return hub_problem(p, "valid_to", "must not be before valid_from",
		    HUB_GROUPS_INVALID);
	return HUB_GROUPS_OK;
}

/* ST_DELEG_ADD inserted nothing: the delegation it overlaps (columns
 * 1-3), or valid_to is in the past (column 4: today). */
static int
deleg_refused(PGresult *res, struct hub_problem *p)
{
	char msg[sizeof(p->message)];

	if (!PQgetisnull(res, 0, 1)) {
		snprintf(msg, sizeof(msg), "overlaps delegation %s of the same approver"
		    " (%s to %s); revoke it or choose other dates", PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
		return hub_problem(p, "valid_from", msg, HUB_GROUPS_EXISTS);
	}
	snprintf(msg, sizeof(msg), "must not be before today (%s)", PQgetvalue(res, 0, 4));
	return hub_problem(p, "valid_to", msg, HUB_GROUPS_INVALID);
}

int
hub_deleg_add(struct hub_db *db, json_object *in, const struct hub_actor *actor,
    json_object **out, struct hub_problem *p)
{
	static const char *const allowed[] = {
		"approver", "delegate", "valid_from", "valid_to", NULL,
	};
	const char *akind, *dkind, *from = NULL, *to = NULL, *params[10];
	char aval[321], dval[321], id[32];
	PGresult *res = NULL;
	struct who w;
	int rc, tx = 0;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = only_keys(in, allowed, p)) != HUB_GROUPS_OK ||
	    (rc = person_field(in, "approver", &akind, aval, p)) != HUB_GROUPS_OK ||
	    (rc = person_field(in, "delegate", &dkind, dval, p)) != HUB_GROUPS_OK ||
	    (rc = date_field(in, "valid_from", &from, p)) != HUB_GROUPS_OK ||
	    (rc = date_field(in, "valid_to", &to, p)) != HUB_GROUPS_OK)
		return rc;
	if ((rc = deleg_pair_problem(akind, aval, dkind, dval, from, to, p)) !=
	    HUB_GROUPS_OK)
		return rc;
	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		return dberr(p, rc);
	tx = 1;
	params[0] = akind;
	params[1] = aval;
	if ((rc = hub_db_exec(db, &groups_stmts, ST_DELEG_LOCK, params, NULL)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	who_of(actor, &w);
	params[2] = dkind;
	params[3] = dval;
	params[4] = from;
	params[5] = to;
	memcpy(&params[6], w.params, sizeof(w.params));
	if ((rc = one_row(db, ST_DELEG_ADD, params, &res, p)) != HUB_GROUPS_OK)
		goto out;
	if (PQgetisnull(res, 0, 0)) {
		rc = deleg_refused(res, p);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	tx = 0;
	if ((rc = hub_db_commit(db)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	rc = hub_deleg_get(db, id, out, p);
out:
	PQclear(res);
	if (tx)
		hub_db_rollback(db);
	return rc;
}

int
hub_deleg_revoke(struct hub_db *db, const char *id, const struct hub_actor *actor,
    json_object **out, struct hub_problem *p)
{
	const char *params[5];
	PGresult *res = NULL;
	struct who w;
	int rc;

	if (out != NULL)
		*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!deleg_id_ok(id))
		return hub_problem(p, "id", "no such delegation", HUB_GROUPS_NOTFOUND);
	who_of(actor, &w);
	params[0] = id;
	memcpy(&params[1], w.params, sizeof(w.params));
	if ((rc = one_row(db, ST_DELEG_REVOKE, params, &res, p)) != HUB_GROUPS_OK)
		return rc;
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		rc = HUB_GROUPS_OK;
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		rc = hub_problem(p, "id", "no such delegation", HUB_GROUPS_NOTFOUND);
	else
		rc = hub_problem(p, "id", "the delegation is already revoked", HUB_GROUPS_EXISTS);
	PQclear(res);
	if (rc == HUB_GROUPS_OK && out != NULL)
		rc = hub_deleg_get(db, id, out, p);
	return rc;
}
