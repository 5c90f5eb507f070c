/*
 * home.c - the App Home tab's state and what feeds its view: the view
 * state codec (stored state, private_metadata), the pager's button value,
 * the loader (the SQL that reads what the tab shows, for homeview.c to
 * build from), and the tab's own actions (filters, search, pages, remind)
 * that change the state and ask for a publish.  The builder is
 * homeview.c, the home_publish table and job are homepub.c.  See home.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "approval/engine.h"
#include "slack/home.h"
#include "base/json.h"
#include "slack/payload.h"
#include "store/sqlfrag.h"
#include "approval/search.h"

#define HOME_DATA_MAX		(4u * 1024u * 1024u)
#define HOME_JSON_DEPTH		16

static const char *const statuses[] = { HUB_HOME_STATUSES };

static const char section_codes[HUB_HOME__SECTIONS] = { 'w', 'm', 'd' };

const char *
hub_home_strerror(int rc)
{
	static const char *const msg[] = {
		[HUB_HOME_OK] = "ok",
		[HUB_HOME_INVALID] = "invalid input",
		[HUB_HOME_FORBIDDEN] = "not allowed",
		[HUB_HOME_NOTFOUND] = "not found",
		[HUB_HOME_DB] = "database error",
		[HUB_HOME_NOMEM] = "out of memory",
		[HUB_HOME_TOOBIG] = "view too large",
	};

	if (rc < 0 || (size_t)rc >= HUB_NELEM(msg) || msg[rc] == NULL)
		return "unknown error";
	return msg[rc];
}

/* A Slack user / team id (payload.h's rule; NULL is none). */
static int
home_slack_id_ok(const char *s)
{
	return s != NULL && hub_payload_slack_id_ok(s);
}

/* ------------------------------------------------------------ state */

int
hub_home_status_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	if (*s == '\0')
		return 1;
	for (i = 0; i < HUB_NELEM(statuses); i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

void
hub_home_state_init(struct hub_home_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* Copy s into dst when it has at most max characters and no control
 * bytes; otherwise leave dst as it is. */
static void
state_copy(char *dst, size_t dstlen, const char *s, size_t max)
{
	const unsigned char *p;
	size_t n;

	if (s == NULL || hub_bk_strlen(s) > max || (n = strlen(s)) >= dstlen)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return;
	memcpy(dst, s, n + 1);
}

void
hub_home_state_from_json(json_object *o, struct hub_home_state *st)
{
	json_object *arr, *v;
	const char *s;
	size_t i;
	int64_t off;

	hub_home_state_init(st);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return;
	state_copy(st->source, sizeof(st->source), hub_json_member_str(o, "src"), HUB_HOME_MAX_SOURCE);
	if ((s = hub_json_member_str(o, "st")) != NULL && hub_home_status_valid(s))
		state_copy(st->status, sizeof(st->status), s, sizeof(st->status) - 1);
	state_copy(st->q, sizeof(st->q), hub_json_member_str(o, "q"), HUB_HOME_MAX_Q);
	if ((arr = hub_json_member(o, "o", json_type_array)) == NULL)
		return;
	for (i = 0; i < HUB_HOME__SECTIONS && i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_int))
			continue;
		off = json_object_get_int64(v);
		if (off >= 0 && off <= HUB_HOME_MAX_OFFSET)
			st->offset[i] = (int)off;
	}
}

json_object *
hub_home_state_to_json(const struct hub_home_state *st)
{
	json_object *o, *arr;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((arr = json_object_new_array()) == NULL) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "src", json_object_new_string(st->source));
	json_object_object_add(o, "st", json_object_new_string(st->status));
	json_object_object_add(o, "q", json_object_new_string(st->q));
	for (i = 0; i < HUB_HOME__SECTIONS; i++)
		json_object_array_add(arr, json_object_new_int(st->offset[i]));
	json_object_object_add(o, "o", arr);
	return o;
}

void
hub_home_state_parse(const char *s, struct hub_home_state *st)
{
	json_object *o = NULL;

	hub_home_state_init(st);
	if (s == NULL || hub_json_parse_object(s, strlen(s), HUB_BK_MAX_METADATA * 4,
	    4, &o) != HUB_JSON_OK)
		return;
	hub_home_state_from_json(o, st);
	json_object_put(o);
}

int
hub_home_state_filtered(const struct hub_home_state *st)
{
	return st->source[0] != '\0' || st->status[0] != '\0' || st->q[0] != '\0';
}

char
hub_home_section_code(int sec)
{
	return sec >= 0 && sec < HUB_HOME__SECTIONS ? section_codes[sec] : '?';
}

int
hub_home_page_value(char *out, size_t n, int sec, int64_t offset)
{
	int len = snprintf(out, n, "%c:%" PRId64, hub_home_section_code(sec), offset);

	return len > 0 && (size_t)len < n ? 0 : -1;
}

/* ------------------------------------------------------------ statements */

/* The filters every list shares: $2 source name, $3 status, $4 search
 * ("" = off; the hub's one search, approval/search.h) and $7 its close
 * spellings (the same words when none). */
#define HOME_FILTERS \
	" AND ($2::text = '' OR s.name = $2)" \
	" AND ($3::text = '' OR r.status = $3)" \
	" AND ($4::text = '' OR " HUB_SEARCH_MATCH("r", "$4", "$7::text") ")"

/* Ids of the requests the user ($1) asked for or is an approver of
 * (kind: a further condition on the approver's row, "" or "… AND "),
 * each through its own index (assignments_approver_list,
 * assignments_slack_user, requests_requester_slack). */
#define HOME_USER_REQUESTS(kind) \
	"SELECT a.request_id AS id FROM assignments a WHERE " kind "a.approver_value = $1" \
	" UNION SELECT a.request_id FROM assignments a WHERE a.slack_user_id = $1" \
	" UNION SELECT r.id FROM requests r WHERE r.requester_slack_id = $1"

/* The requests the user ($1) asked for, with their status, through
 * requests_requester_slack; the caller picks the status outside (OFFSET 0:
 * see HUB_SQL_LIVE_ASSIGNED, the same holds for requests_status_created). */
#define HOME_ASKED \
	"SELECT x.id, x.status FROM requests x WHERE x.requester_slack_id = $1 OFFSET 0"

#define EPOCH(x) "extract(epoch FROM " x ")::bigint"
enum home_stmt {
	HS_WAITING,
	HS_MINE,
	HS_DECIDED,
	HS_COUNTS,
	HS_SOURCES,
	HS_CONN_BY_TEAM,
	HS_REQUESTER,
	HS__MAX
};

static const struct hub_stmt home_stmts[HS__MAX] = {
	/* $1 user, $2..$4 filters, $5 offset, $6 limit, $7 the search's close
	 * spellings (HOME_FILTERS).  One row per
	 * request (a user who is also a delegate there sees it once, own
	 * assignment first); most urgent first. */
	[HS_WAITING] = {
	    "WITH w AS (SELECT DISTINCT ON (r.id) r.id, a.id AS a, r.title, s.name AS source,"
	    " r.requester_name AS requester, r.requester_slack_id,"
	    " left(r.justification, 1000) AS justification,"
	    " " EPOCH("r.created_at") " AS created, " EPOCH("r.deadline") " AS deadline,"
	    " st.position AS step,"
	    " (SELECT count(*) FROM request_steps x WHERE x.request_id = r.id) AS steps,"
	    " r.ai_status, CASE WHEN r.ai_status = 'done' THEN r.risk_score END AS risk_score,"
	    " CASE WHEN r.ai_status = 'done' THEN left(r.ai_summary, 300) END AS ai_summary,"
	    " r.risk_flags, r.created_at AS c, r.deadline AS dl"
	    " FROM (" HUB_SQL_LIVE_ASSIGNED("$1") ") a"
	    " JOIN request_steps st ON st.id = a.step_id"
	    " JOIN requests r ON r.id = a.request_id"
	    " JOIN sources s ON s.id = r.source_id"
	    " WHERE true" HOME_FILTERS
	    " ORDER BY r.id, a.delegate_of NULLS FIRST, a.id),"
	    " p AS (SELECT w.*, count(*) OVER () AS total FROM w"
	    "  ORDER BY dl NULLS LAST, c, id OFFSET $5::int LIMIT $6::int)"
	    " SELECT json_build_object('total', coalesce(max(total), 0), 'offset', $5::int,"
	    " 'items', coalesce(json_agg(json_build_object('id', id, 'a', a, 'title', title,"
	    "  'source', source, 'requester', requester,"
	    "  'requester_slack_id', requester_slack_id, 'justification', justification,"
	    "  'created', created, 'deadline', deadline, 'step', step, 'steps', steps,"
	    "  'ai_status', ai_status, 'risk_score', risk_score, 'ai_summary', ai_summary,"
	    "  'risk_flags', risk_flags)"
	    "  ORDER BY dl NULLS LAST, c, id), '[]'))::text FROM p", 7 },
	/* $1 user ...: pending requests the user asked for, newest first,
	 * with whom they wait on and the last manual reminder. */
	[HS_MINE] = {
	    "WITH p AS (SELECT r.id, r.title, s.name AS source, r.status,"
	    " " EPOCH("r.created_at") " AS created, r.created_at AS c,"
	    " (SELECT json_agg(coalesce(a.slack_user_id, a.approver_value) ORDER BY a.id)"
	    "  FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    "  AND st.status = 'active' WHERE a.request_id = r.id"
	    "  AND a.status = 'pending' AND a.delegate_of IS NULL) AS waiting_on,"
	    " (SELECT " EPOCH("max(al.at)") " FROM audit_log al WHERE al.request_id = r.id"
	    "  AND al.action = 'request.reminded') AS reminded,"
	    " count(*) OVER () AS total"
	    " FROM (" HOME_ASKED ") x JOIN requests r ON r.id = x.id"
	    " JOIN sources s ON s.id = r.source_id"
	    " WHERE x.status = 'Pending'" HOME_FILTERS
	    " ORDER BY r.created_at DESC, r.id DESC OFFSET $5::int LIMIT $6::int)"
	    " SELECT json_build_object('total', coalesce(max(total), 0), 'offset', $5::int,"
	    " 'items', coalesce(json_agg(json_build_object('id', id, 'title', title,"
	    "  'source', source, 'status', status, 'created', created,"
	    "  'waiting_on', coalesce(waiting_on, '[]'), 'reminded', reminded)"
	    "  ORDER BY c DESC, id DESC), '[]'))::text FROM p", 7 },
	/* $1 user ...: finished in the last 30 days, as approver or
	 * requester, newest first.  From the user's own requests
	 * (HOME_USER_REQUESTS), not from every request finished lately:
	 * the cost is the user's, not the hub's. */
	[HS_DECIDED] = {
	    "WITH u AS (" HOME_USER_REQUESTS("a.approver_kind = 'slack' AND ") "),"
	    " p AS (SELECT r.id, r.title, s.name AS source, r.status, r.decided_by,"
	    " " EPOCH("coalesce(r.decided_at, r.updated_at)") " AS decided,"
	    " coalesce(r.decided_at, r.updated_at) AS d, count(*) OVER () AS total"
	    " FROM u JOIN requests r ON r.id = u.id JOIN sources s ON s.id = r.source_id"
	    " WHERE r.status <> 'Pending'"
	    " AND coalesce(r.decided_at, r.updated_at) > now() - interval '30 days'"
	    HOME_FILTERS
	    " ORDER BY d DESC, r.id DESC OFFSET $5::int LIMIT $6::int)"
	    " SELECT json_build_object('total', coalesce(max(total), 0), 'offset', $5::int,"
	    " 'items', coalesce(json_agg(json_build_object('id', id, 'title', title,"
	    "  'source', source, 'status', status, 'decided_by', decided_by,"
	    "  'decided', decided) ORDER BY d DESC, id DESC), '[]'))::text FROM p", 7 },
	/* $1 user: the counts, never filtered.  Approved and rejected in
	 * the last 30 days among the user's own requests (they used to be
	 * counted among every request decided lately: 0.85 s a publish at
	 * 100 000 requests). */
	[HS_COUNTS] = {
	    "WITH u AS (" HOME_USER_REQUESTS("") "),"
	    " d AS (SELECT r.status FROM u JOIN requests r ON r.id = u.id"
	    "  WHERE r.status IN ('Approved', 'Rejected')"
	    "  AND r.decided_at > now() - interval '30 days')"
	    " SELECT json_build_object("
	    " 'waiting', (SELECT count(DISTINCT a.request_id)"
	    "  FROM (" HUB_SQL_LIVE_ASSIGNED("$1") ") a),"
	    " 'mine', (SELECT count(*) FROM (" HOME_ASKED ") r WHERE r.status = 'Pending'),"
	    " 'approved', (SELECT count(*) FROM d WHERE status = 'Approved'),"
	    " 'rejected', (SELECT count(*) FROM d WHERE status = 'Rejected'))::text", 1 },
	[HS_SOURCES] = {
	    "SELECT coalesce(json_agg(name ORDER BY name), '[]')::text FROM"
	    " (SELECT name FROM sources WHERE NOT disabled ORDER BY name LIMIT 98) x", 0 },
	[HS_CONN_BY_TEAM] = {
	    "SELECT id FROM slack_connections WHERE team_id = $1 AND type = 'SLACK_APP'"
	    " AND NOT disabled ORDER BY is_default DESC, created_at, id LIMIT 1", 1 },
	/* $1 request, $2 user: may this user remind about it? */
	[HS_REQUESTER] = {
	    "SELECT status FROM requests WHERE id = $1::uuid AND requester_slack_id = $2", 2 },
};

static const struct hub_stmt_table home_table = { "home", home_stmts, HS__MAX };

int
hub_home_from_db(int rc)
{
	switch (rc) {
	case HUB_DB_OK:		return HUB_HOME_OK;
	case HUB_DB_NOTFOUND:	return HUB_HOME_NOTFOUND;
	case HUB_DB_NOMEM:	return HUB_HOME_NOMEM;
	case HUB_DB_CHECK:	return HUB_HOME_INVALID;
	default:		return HUB_HOME_DB;
	}
}

/* A result whose one row, one column is JSON text, parsed. */
static int
json_cell(const PGresult *res, json_object **out)
{
	const char *s;

	*out = NULL;
	if (res == NULL || PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		return HUB_HOME_DB;
	s = PQgetvalue(res, 0, 0);
	return hub_json_parse(s, strlen(s), HOME_DATA_MAX, HOME_JSON_DEPTH, out) == HUB_JSON_OK &&
	    *out != NULL ? HUB_HOME_OK : HUB_HOME_DB;
}

/* The parts of a view's data, each one statement's JSON. */
static const struct {
	const char	*key;
	int		 stmt;
	int		 section;   /* -1: not a list */
} home_parts[] = {
	{ "counts", HS_COUNTS, -1 },
	{ "sources", HS_SOURCES, -1 },
	{ "waiting", HS_WAITING, HUB_HOME_WAITING },
	{ "mine", HS_MINE, HUB_HOME_MINE },
	{ "decided", HS_DECIDED, HUB_HOME_DECIDED },
};
#define HOME_NPARTS	HUB_NELEM(home_parts)

/* Every part into d, read apart from each other (each its own snapshot,
 * as one statement after another would be) in one round trip; words:
 * the search's words as corrected. */
static int
load_parts(struct hub_db *db, const char *user, const struct hub_home_state *st,
    const char *words, json_object *d)
{
	const char *params[HOME_NPARTS][7];
	char off[HOME_NPARTS][HUB_INT_TEXT_SIZE], lim[HUB_INT_TEXT_SIZE];
	struct hub_db_call c[HOME_NPARTS];
	json_object *part;
	size_t i;
	int rc;

	snprintf(lim, sizeof(lim), "%d", HUB_HOME_PAGE);
	memset(c, 0, sizeof(c));
	for (i = 0; i < HOME_NPARTS; i++) {
		snprintf(off[i], sizeof(off[i]), "%d",
		    home_parts[i].section >= 0 ? st->offset[home_parts[i].section] : 0);
		params[i][0] = user;
		params[i][1] = st->source;
		params[i][2] = st->status;
		params[i][3] = st->q;
		params[i][4] = off[i];
		params[i][5] = lim;
		params[i][6] = words;
		c[i].table = &home_table;
		c[i].id = home_parts[i].stmt;
		c[i].params = params[i];
		c[i].res_wanted = 1;
	}
	rc = hub_home_from_db(hub_db_exec_each(db, c, HOME_NPARTS));
	for (i = 0; i < HOME_NPARTS; i++) {
		if (rc == HUB_HOME_OK && (rc = json_cell(c[i].res, &part)) == HUB_HOME_OK)
			json_object_object_add(d, home_parts[i].key, part);
		PQclear(c[i].res);
	}
	return rc;
}

int
hub_home_load(struct hub_db *db, const char *connection_id, const char *user,
    const struct hub_home_state *st, json_object **data)
{
	char fixed[HUB_SEARCH_FIXED_MAX] = "";
	json_object *d;
	int rc = HUB_HOME_OK;

	(void)connection_id;
	*data = NULL;
	if (!home_slack_id_ok(user))
		return HUB_HOME_INVALID;
	if ((d = json_object_new_object()) == NULL)
		return HUB_HOME_NOMEM;
	json_object_object_add(d, "user", json_object_new_string(user));
	json_object_object_add(d, "now", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(d, "state", hub_home_state_to_json(st));
	if (st->q[0] != '\0' && (rc = hub_home_from_db(hub_search_correct(db, st->q, fixed,
	    sizeof(fixed)))) != HUB_HOME_OK)
		goto out;
	if ((rc = load_parts(db, user, st, fixed[0] != '\0' ? fixed : st->q, d)) != HUB_HOME_OK)
		goto out;
	*data = d;
	d = NULL;
out:
	json_object_put(d);
	return rc;
}

/* ------------------------------------------------------------ actions */


/* One statement, at most two parameters. */
static int
exec2(struct hub_db *db, int stmt, const char *a, const char *b, PGresult **res)
{
	const char *params[2] = { a, b };

	return hub_db_exec(db, &home_table, stmt, params, res);
}

/* The enabled SLACK_APP connection of team. */
static int
connection_of_team(struct hub_db *db, const char *team, char out[HUB_ID_LEN])
{
	PGresult *res = NULL;
	int rc;

	if (!home_slack_id_ok(team))
		return HUB_HOME_INVALID;
	if ((rc = hub_home_from_db(exec2(db, HS_CONN_BY_TEAM, team, NULL, &res))) != HUB_HOME_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = HUB_HOME_NOTFOUND;
	else
		snprintf(out, HUB_ID_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The value an action carries: a select's option value, an input's text,
 * a button's value. */
static const char *
action_value(json_object *action)
{
	json_object *opt = hub_json_member(action, "selected_option", json_type_object);

	if (opt != NULL)
		return hub_json_member_str(opt, "value");
	return hub_json_member_str(action, "value");
}

static int
act_source(struct hub_home_state *st, const char *v)
{
	if (v == NULL || hub_bk_strlen(v) > HUB_HOME_MAX_SOURCE ||
	    strlen(v) >= sizeof(st->source))
		return HUB_HOME_INVALID;
	snprintf(st->source, sizeof(st->source), "%s", strcmp(v, "*") == 0 ? "" : v);
	memset(st->offset, 0, sizeof(st->offset));
	return HUB_HOME_OK;
}

static int
act_status(struct hub_home_state *st, const char *v)
{
	if (v == NULL)
		return HUB_HOME_INVALID;
	if (strcmp(v, "*") == 0)
		v = "";
	if (!hub_home_status_valid(v))
		return HUB_HOME_INVALID;
	snprintf(st->status, sizeof(st->status), "%s", v);
	memset(st->offset, 0, sizeof(st->offset));
	return HUB_HOME_OK;
}

/* Search text: trimmed, no control characters (newlines become spaces),
 * at most HUB_HOME_MAX_Q characters; empty clears the search. */
static int
act_search(struct hub_home_state *st, const char *v)
{
	char q[sizeof(st->q)];
	size_t n, i;

	if (v == NULL)
		v = "";
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	if ((n = strlen(v)) >= sizeof(q) || hub_bk_strlen(v) > HUB_HOME_MAX_Q)
		return HUB_HOME_INVALID;
	memcpy(q, v, n + 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			q[i] = ' ';
	while (n > 0 && q[n - 1] == ' ')
		q[--n] = '\0';
	memcpy(st->q, q, n + 1);
	memset(st->offset, 0, sizeof(st->offset));
	return HUB_HOME_OK;
}

/* "w:20": section code, new offset. */
static int
act_page(struct hub_home_state *st, const char *v)
{
	const char *code;
	char *end;
	long off;

	if (v == NULL || v[0] == '\0' || v[1] != ':' ||
	    (code = memchr(section_codes, v[0], sizeof(section_codes))) == NULL)
		return HUB_HOME_INVALID;
	off = strtol(v + 2, &end, 10);
	if (end == v + 2 || *end != '\0' || off < 0 || off > HUB_HOME_MAX_OFFSET)
		return HUB_HOME_INVALID;
	st->offset[code - section_codes] = (int)off;
	return HUB_HOME_OK;
}

static int
act_clear(struct hub_home_state *st, const char *v)
{
	(void)v;
	hub_home_state_init(st);
	return HUB_HOME_OK;
}

static const struct home_action {
	const char	*action_id;
	int		(*apply)(struct hub_home_state *, const char *value);
} home_actions[] = {
	{ "home_filter_source", act_source },
	{ "home_filter_status", act_status },
	{ "home_search", act_search },
	{ "home_more", act_page },
	{ "home_back", act_page },
	{ "home_clear", act_clear },
};

/* Remind: only the requester, only while pending. */
static int
remind(struct hub_db *db, const char *user, const char *team, const char *value)
{
	struct hub_actor actor = { "slack", user, team, user, "slack" };
	struct hub_action_ref ref;
	PGresult *res = NULL;
	const char *id = ref.request_id;
	int rc, n = 0;

	if (hub_action_value_parse(value, &ref) != 0) {
		rc = HUB_HOME_INVALID;
		goto out;
	}
	if ((rc = hub_home_from_db(exec2(db, HS_REQUESTER, id, user, &res))) != HUB_HOME_OK)
		goto out;
	if (PQntuples(res) != 1) {
		rc = HUB_HOME_FORBIDDEN;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "Pending") != 0) {
		rc = HUB_HOME_OK;   /* decided meanwhile: the republish shows it */
		goto out;
	}
	switch (hub_engine_remind(db, id, &actor, &n)) {
	case HUB_ENGINE_OK:
	case HUB_ENGINE_CONFLICT:
		rc = HUB_HOME_OK;
		break;
	case HUB_ENGINE_NOTFOUND:
		rc = HUB_HOME_NOTFOUND;
		break;
	default:
		rc = HUB_HOME_DB;
		break;
	}
out:
	PQclear(res);
	return rc;
}


/* The action named action_id among the payload's actions, or NULL. */
static json_object *
find_action(json_object *payload, const char *action_id)
{
	json_object *actions = hub_json_member(payload, "actions", json_type_array), *a;
	const char *aid;
	size_t i;

	for (i = 0; actions != NULL && i < json_object_array_length(actions); i++) {
		a = json_object_array_get_idx(actions, i);
		aid = hub_json_member_str(a, "action_id");
		if (aid != NULL && strcmp(aid, action_id) == 0)
			return a;
	}
	return NULL;
}

/* A filter, search or page action applied to st. */
static int
apply_action(struct hub_home_state *st, const char *action_id, const char *value)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(home_actions); i++)
		if (strcmp(home_actions[i].action_id, action_id) == 0)
			return home_actions[i].apply(st, value);
	return HUB_HOME_INVALID;
}

int
hub_home_handle_action(struct hub_db *db, const char *connection_id,
    const char *action_id, json_object *payload)
{
	struct hub_home_state st;
	json_object *uo, *act;
	const char *user, *team, *value;
	char conn[HUB_ID_LEN];
	int rc;

	if (db == NULL || action_id == NULL || payload == NULL)
		return HUB_HOME_INVALID;
	uo = hub_json_member(payload, "user", json_type_object);
	user = hub_json_member_str(uo, "id");
	team = hub_json_member_str(hub_json_member(payload, "team", json_type_object), "id");
	if (team == NULL)
		team = hub_json_member_str(uo, "team_id");
	if (!home_slack_id_ok(user) || (act = find_action(payload, action_id)) == NULL)
		return HUB_HOME_INVALID;
	value = action_value(act);
	if (connection_id != NULL)
		snprintf(conn, sizeof(conn), "%s", connection_id);
	else if ((rc = connection_of_team(db, team, conn)) != HUB_HOME_OK)
		return rc;
	/* What the user saw, changed by the action, stored with a publish. */
	hub_home_state_parse(hub_json_member_str(hub_json_member(payload, "view",
	    json_type_object), "private_metadata"), &st);
	rc = strcmp(action_id, HUB_ACTION_REMIND) == 0 ? remind(db, user, team, value) :
	    apply_action(&st, action_id, value);
	if (rc != HUB_HOME_OK)
		return rc;
	return hub_home_state_save(db, conn, user, &st);
}
