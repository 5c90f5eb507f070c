/*
 * interact.c - POST /slack/interactions after the signature gate: the
 * payload (parsed by payload.h), the team gate every click and submission
 * passes, the table of block_actions by action_id, the modals they open
 * (views.open off the request's path) and the view_submission table.
 * The slash command is slashcmd.c; the answers queued for later are
 * respond.c.  See interact.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "base/buf.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "base/detach.h"
#include "store/db.h"
#include "approval/engine.h"
#include "slack/home.h"
#include "slack/interact.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/modals.h"
#include "slack/payload.h"
#include "slack/respond.h"
#include "slack/slackapi.h"
#include "store/sqlfrag.h"

#define IA_VIEWS_MARGIN_MS	300    /* Slack's answer coming back */
#define IA_VIEWS_MIN_MS		200    /* less left: do not try */

#define IA_ISO HUB_SQL_ISO_OR_EMPTY

/* A Slack user matches an assignment as its approver or resolved id. */
#define IA_MATCH HUB_SQL_IS_ASSIGNEE("a", "$3")

enum ia_stmt {
	IA_TEAM,
	IA_PRECHECK,
	IA_REQUESTER,
	IA__MAX
};

static const struct hub_stmt ia_stmts[IA__MAX] = {
	/* $1 request (may be NULL), $2 assignment or 0, $3 team.
	 * known: the hub has a connection for the team; ok: the team is the
	 * one the request went out through (sent messages of the assignment
	 * or the request first, else the configured connection; true when
	 * nothing says otherwise, e.g. no request). */
	[IA_TEAM] = {
	    "SELECT EXISTS (SELECT 1 FROM slack_connections WHERE team_id = $3),"
	    " coalesce("
	    "  (SELECT bool_or(c.team_id = $3) FROM sent_messages m"
	    "   JOIN slack_connections c ON c.id = m.connection_id"
	    "   WHERE m.request_id = $1::uuid AND ($2::bigint = 0"
	    "    OR m.assignment_id = $2::bigint OR m.assignment_id IS NULL)),"
	    "  (SELECT c.team_id = $3 FROM requests r JOIN sources s ON s.id = r.source_id"
	    "   LEFT JOIN request_steps st ON st.request_id = r.id"
	    "    AND st.position = r.current_step"
	    "   JOIN slack_connections c ON c.id = coalesce(st.connection_id, r.connection_id,"
	    "    s.connection_id, (SELECT d.id FROM slack_connections d WHERE d.is_default))"
	    "   WHERE r.id = $1::uuid AND c.team_id IS NOT NULL),"
	    "  true)", 3 },
	/* $1 request, $2 assignment or 0, $3 Slack user.  Columns: status,
	 * decided_by, decided_at, title, requester_name, reason_required,
	 * editable_fields, metadata, then the user's best assignment: id
	 * (NULL: none), status, decided_by, decided_at, step status. */
	[IA_PRECHECK] = {
	    "SELECT r.status, coalesce(r.decided_by, ''), " IA_ISO("r.decided_at") ","
	    " r.title, r.requester_name, s.reason_required, s.editable_fields::text,"
	    " r.metadata::text, x.id, x.status, coalesce(x.decided_by, ''),"
	    " " IA_ISO("x.decided_at") ", x.step_status"
	    " FROM requests r JOIN sources s ON s.id = r.source_id"
	    " LEFT JOIN LATERAL (SELECT a.id, a.status, a.decided_by, a.decided_at,"
	    "   st.status AS step_status"
	    "  FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    "  WHERE a.request_id = r.id AND ($2::bigint = 0 OR a.id = $2::bigint)"
	    "   AND a.status <> 'reassigned' AND" IA_MATCH
	    "  ORDER BY (a.status = 'pending' AND st.status = 'active') DESC,"
	    "   (a.delegate_of IS NOT NULL), a.id LIMIT 1) x ON true"
	    " WHERE r.id = $1::uuid", 3 },
	[IA_REQUESTER] = {
	    "SELECT status, coalesce(requester_slack_id, '') FROM requests"
	    " WHERE id = $1::uuid", 1 },
};

static const struct hub_stmt_table ia_table = { "hubia", ia_stmts, IA__MAX };

/* ------------------------------------------------------------ payload */

void
hub_interact_reply_error(struct hub_interact_reply *r, int status, const char *msg,
    const char *field)
{
	r->status = status;
	r->error = msg;
	snprintf(r->field, sizeof(r->field), "%s", field != NULL ? field : "");
}

static void
reply_empty(struct hub_interact_reply *r)
{
	r->status = 200;
}


/* The request a clicked element is about: its value {"r","a"}, else the
 * block "hub_actions:<id>" (the overflow has no value of its own). */
HUB_STATIC int
ia_ref(const struct hub_payload *p, struct hub_modal_ref *ref)
{
	struct hub_action_ref v;
	const char *rid;

	memset(ref, 0, sizeof(*ref));
	if (p->value != NULL && *p->value != '\0') {
		if (hub_action_value_parse(p->value, &v) != 0)
			return -1;
		memcpy(ref->request_id, v.request_id, sizeof(v.request_id));
		ref->assignment_id = v.assignment_id;
		return 0;
	}
	if (p->block_id != NULL && strncmp(p->block_id, HUB_ACTION_BLOCK_PREFIX,
	    strlen(HUB_ACTION_BLOCK_PREFIX)) == 0 &&
	    hub_check_uuid(rid = p->block_id + strlen(HUB_ACTION_BLOCK_PREFIX))) {
		memcpy(ref->request_id, rid, HUB_UUID_TEXT_LEN + 1);
		return 0;
	}
	return -1;
}

/* A private line to the person who clicked (respond.h). */
static int
ephemeral(struct hub_interact *ia, const struct hub_payload *p, const char *text)
{
	return hub_respond_note(ia->db, ia->conf, p, text);
}

/* "2024-05-01T09:30:00Z" -> "2024-05-01 09:30 UTC". */
static void
short_time(const char *iso, char *out, size_t n)
{
	if (iso == NULL || strlen(iso) < 16 || iso[10] != 'T') {
		snprintf(out, n, "%s", iso != NULL ? iso : "");
		return;
	}
	snprintf(out, n, "%.10s %.5s UTC", iso, iso + 11);
}

/* "Already approved by X at T" and friends, from an engine outcome. */
HUB_STATIC void
ia_outcome_text(const char *status, const char *by, const char *at, char *out, size_t n)
{
	static const struct {
		const char *status, *word, *lead;
	} words[] = {
		{ "Approved",  "approved",  "Already" },
		{ "Rejected",  "rejected",  "Already" },
		{ "Lapsed",    "approved (since lapsed)", "Already" },
		{ "Cancelled", "cancelled", "This request was" },
		{ "Expired",   "expired",   "This request" },
	};
	const char *word = "decided", *lead = "Already";
	char when[48], bypart[300];
	size_t i;

	for (i = 0; i < HUB_NELEM(words); i++)
		if (status != NULL && strcmp(status, words[i].status) == 0) {
			word = words[i].word;
			lead = words[i].lead;
		}
	short_time(at, when, sizeof(when));
	bypart[0] = '\0';
	if (by != NULL && *by != '\0')
		snprintf(bypart, sizeof(bypart), " by %s", by);
	snprintf(out, n, "%s %s%s%s%s", lead, word, bypart, when[0] ? " at " : "", when);
}

/* The stale click: tell the person, and drop the buttons they clicked. */
static int
stale(struct hub_interact *ia, const struct hub_payload *p, const char *status, const char *by,
    const char *at)
{
	char text[512];
	int rc;

	ia_outcome_text(status, by, at, text, sizeof(text));
	if ((rc = hub_db_begin(ia->db)) != HUB_DB_OK)
		return rc;
	if ((rc = ephemeral(ia, p, text)) != HUB_DB_OK ||
	    (rc = hub_respond_replace(ia->db, ia->conf, p, text)) != HUB_DB_OK)
		goto out;
	rc = hub_db_commit(ia->db);
out:
	if (rc != HUB_DB_OK && hub_db_in_tx(ia->db))
		hub_db_rollback(ia->db);
	return rc;
}

/* ------------------------------------------------------------ checks */

enum ia_check {
	IA_CHECK_OK = 0,
	IA_CHECK_REPLIED,    /* told the person (or answered an error) */
};

int
hub_interact_db_reply(struct hub_interact_reply *r, int rc)
{
	if (rc == HUB_DB_CONN)
		hub_interact_reply_error(r, 503, "database unavailable", NULL);
	else
		hub_interact_reply_error(r, 500, "database error", NULL);
	return IA_CHECK_REPLIED;
}

int
hub_interact_team_check(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    const char **msg)
{
	char ab[HUB_INT64_TEXT_SIZE];
	const char *pp[3];
	PGresult *res = NULL;
	int rc;

	*msg = NULL;
	snprintf(ab, sizeof(ab), "%" PRId64, ref != NULL ? ref->assignment_id : 0);
	pp[0] = ref != NULL ? ref->request_id : NULL;
	pp[1] = ab;
	pp[2] = p->team_id;
	if ((rc = hub_db_exec(ia->db, &ia_table, IA_TEAM, pp, &res)) != HUB_DB_OK)
		return rc;
	if (*PQgetvalue(res, 0, 0) != 't')
		*msg = "This workspace is not connected";
	else if (*PQgetvalue(res, 0, 1) != 't')
		*msg = "You are not an approver of this request";
	PQclear(res);
	return HUB_DB_OK;
}

/* What the user may do with the request, before a modal opens. */
struct ia_pre {
	PGresult	*res;
	int64_t		 assignment_id;
};

static int
precheck(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct ia_pre *pre, struct hub_interact_reply *r, int tell)
{
	char ab[HUB_INT64_TEXT_SIZE];
	const char *pp[3], *st;
	int rc;

	memset(pre, 0, sizeof(*pre));
	snprintf(ab, sizeof(ab), "%" PRId64, ref->assignment_id);
	pp[0] = ref->request_id;
	pp[1] = ab;
	pp[2] = p->user_id;
	if ((rc = hub_db_exec(ia->db, &ia_table, IA_PRECHECK, pp, &pre->res)) != HUB_DB_OK)
		return hub_interact_db_reply(r, rc);
	reply_empty(r);
	if (PQntuples(pre->res) != 1) {
		if (tell)
			rc = ephemeral(ia, p, "This request no longer exists");
		goto refused;
	}
	if (strcmp(st = PQgetvalue(pre->res, 0, 0), "Pending") != 0) {
		if (tell)
			rc = stale(ia, p, st, PQgetvalue(pre->res, 0, 1),
			    PQgetvalue(pre->res, 0, 2));
		goto refused;
	}
	if (PQgetisnull(pre->res, 0, 8) || strcmp(PQgetvalue(pre->res, 0, 12), "active") != 0) {
		if (tell)
			rc = ephemeral(ia, p, "You are not an approver of this request");
		goto refused;
	}
	if (strcmp(PQgetvalue(pre->res, 0, 9), "pending") != 0) {
		if (tell)
			rc = stale(ia, p, "", PQgetvalue(pre->res, 0, 10),
			    PQgetvalue(pre->res, 0, 11));
		goto refused;
	}
	if (hub_db_get_int64(pre->res, 0, 8, &pre->assignment_id) != HUB_DB_OK ||
	    pre->assignment_id <= 0) {
		rc = HUB_DB_QUERY;
		goto refused;
	}
	return IA_CHECK_OK;
refused:
	PQclear(pre->res);
	pre->res = NULL;
	if (rc != HUB_DB_OK)
		hub_interact_db_reply(r, rc);
	return IA_CHECK_REPLIED;
}

/* ------------------------------------------------------------ views.open */

/* What is left of the trigger's life for views.open, from the request's
 * arrival at nginx (the time it queued for a child counts), with room for
 * Slack's answer to come back; HUB_INTERACT_VIEWS_OPEN_MS at most. */
static long
views_budget_ms(const struct hub_interact *ia)
{
	struct timespec now;
	int64_t elapsed;
	long left;

	clock_gettime(CLOCK_REALTIME, &now);
	elapsed = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - ia->arrived_ms;
	left = HUB_INTERACT_TRIGGER_MS - IA_VIEWS_MARGIN_MS - (long)(elapsed > 0 ? elapsed : 0);
	return left < HUB_INTERACT_VIEWS_OPEN_MS ? left : HUB_INTERACT_VIEWS_OPEN_MS;
}

static int
open_view(struct hub_interact *ia, const struct hub_payload *p, json_object *view)
{
	struct hub_slack slack;
	struct hub_slack_result res;
	struct hub_conn conn;
	char id[HUB_CONN_ID_LEN];
	json_object *args = NULL;
	int rc = -1;

	hub_slack_result_init(&res);
	if (p->trigger_id == NULL || *p->trigger_id == '\0' || ia->http == NULL)
		goto out;
	if (hub_respond_team_connection(ia->db, p->team_id, id) != HUB_DB_OK ||
	    hub_connections_get(ia->db, id, &conn) != HUB_CONN_OK)
		goto out;
	memset(&slack, 0, sizeof(slack));
	slack.http = ia->http;
	slack.api_url = ia->conf->slack_api_url;
	slack.keyring = ia->keys;
	if ((slack.timeout_ms = views_budget_ms(ia)) < IA_VIEWS_MIN_MS) {
		hub_log(HUB_LOG_WARN, "views_open_failed", "error", "trigger_expiring", NULL);
		goto out;
	}
	if ((args = json_object_new_object()) == NULL ||
	    hub_json_set_str(args, "trigger_id", p->trigger_id) != 0 ||
	    json_object_object_add(args, "view", json_object_get(view)) != 0)
		goto out;
	if (hub_connections_call(ia->db, &slack, &conn, "views.open", NULL, args, &res) ==
	    HUB_CONN_OK && res.ok)
		rc = 0;
	else
		hub_log(HUB_LOG_WARN, "views_open_failed", "error", res.error,
		    "class", hub_slack_class_name(res.cls), NULL);
out:
	json_object_put(args);
	hub_slack_result_free(&res);
	return rc;
}

struct opener {
	struct hub_interact		 ia;
	const struct hub_payload	*p;
	json_object			*view;
};

/* In its own process (detach.h): a database connection and an HTTP handle
 * of its own, views.open within the trigger's budget, and the ephemeral
 * "try again" when it failed. */
static void
opener_run(void *arg)
{
	struct opener *o = arg;
	struct hub_db_limits lim;
	struct hub_db *db = NULL;

	o->ia.http = hub_httpc_new();
	hub_db_limits(&lim, HUB_DB_ROLE_WEB, o->ia.conf);
	if (o->ia.http == NULL || hub_db_connect_limits(o->ia.conf->database_url, &lim, &db) !=
	    HUB_DB_OK || db == NULL) {
		hub_log(HUB_LOG_ERROR, "views_open_failed", "error", "setup", NULL);
		goto out;
	}
	o->ia.db = db;
	if (open_view(&o->ia, o->p, o->view) != 0)
		(void)ephemeral(&o->ia, o->p, "Could not open the form, try again");
out:
	hub_db_close(db);
	hub_httpc_free(o->ia.http);
}

/* views.open off the request's path: the click is answered now and the
 * child is free for the next one, however long Slack takes. */
static int
open_view_detached(struct hub_interact *ia, const struct hub_payload *p, json_object *view)
{
	struct opener o;

	if (p->trigger_id == NULL || *p->trigger_id == '\0' || ia->conf == NULL ||
	    ia->conf->database_url == NULL || views_budget_ms(ia) < IA_VIEWS_MIN_MS)
		return -1;
	o.ia = *ia;
	o.p = p;
	o.view = view;
	return hub_detach(opener_run, &o);
}

/* ------------------------------------------------------------ actions */

typedef int (*ia_action_fn)(struct hub_interact *, const struct hub_payload *,
    const struct hub_modal_ref *, struct hub_interact_reply *);

static int
tell(struct hub_interact *ia, const struct hub_payload *p, const char *text,
    struct hub_interact_reply *r)
{
	int rc;

	reply_empty(r);
	if ((rc = ephemeral(ia, p, text)) != HUB_DB_OK)
		hub_interact_db_reply(r, rc);
	return 0;
}

static int
engine_reply(struct hub_interact *ia, const struct hub_payload *p, int rc,
    const struct hub_outcome *o, const struct hub_engine_error *err,
    struct hub_interact_reply *r)
{
	int drc;

	switch (rc) {
	case HUB_ENGINE_OK:
		reply_empty(r);
		return 0;
	case HUB_ENGINE_ALREADY_DECIDED:
	case HUB_ENGINE_CLOSED:
		reply_empty(r);
		if ((drc = stale(ia, p, o->request_status, o->decided_by, o->decided_at)) !=
		    HUB_DB_OK)
			hub_interact_db_reply(r, drc);
		return 0;
	case HUB_ENGINE_NOT_APPROVER:
		return tell(ia, p, "You are not an approver of this request", r);
	case HUB_ENGINE_NOTFOUND:
		return tell(ia, p, "This request no longer exists", r);
	case HUB_ENGINE_SELF_APPROVAL:
		return tell(ia, p, "You cannot decide your own request", r);
	case HUB_ENGINE_UNAVAILABLE:
		hub_interact_db_reply(r, HUB_DB_CONN);
		return 0;
	case HUB_ENGINE_DB:
		hub_interact_db_reply(r, HUB_DB_QUERY);
		return 0;
	default:
		return tell(ia, p, err->message[0] ? err->message : hub_engine_strerror(rc), r);
	}
}

static int
act_approve(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	struct hub_outcome o;
	struct hub_engine_error err;
	int rc;

	rc = hub_engine_decide(ia->db, ref->request_id, ref->assignment_id, &p->actor, 1,
	    NULL, NULL, &o, &err);
	hub_log(HUB_LOG_INFO, "slack_decide", "request", ref->request_id, "user", p->user_id,
	    "outcome", hub_engine_strerror(rc), NULL);
	return engine_reply(ia, p, rc, &o, &err, r);
}

/* Load what a modal shows; pre->res holds the request row. */
static int
modal_request(const struct ia_pre *pre, struct hub_modal_request *mr, json_object **meta,
    json_object **editable)
{
	const char *m = PQgetvalue(pre->res, 0, 7), *e = PQgetvalue(pre->res, 0, 6);

	memset(mr, 0, sizeof(*mr));
	*meta = *editable = NULL;
	if (hub_json_parse_object(m, strlen(m), 1024 * 1024, 64, meta) != HUB_JSON_OK ||
	    hub_json_parse(e, strlen(e), 64 * 1024, 8, editable) != HUB_JSON_OK ||
	    !json_object_is_type(*editable, json_type_array)) {
		json_object_put(*meta);
		json_object_put(*editable);
		*meta = *editable = NULL;
		return -1;
	}
	mr->title = PQgetvalue(pre->res, 0, 3);
	mr->requester = PQgetvalue(pre->res, 0, 4);
	mr->reason_required = *PQgetvalue(pre->res, 0, 5) == 't';
	mr->metadata = *meta;
	mr->editable = *editable;
	return 0;
}

/* Reject and Edit: check, build the modal, open it inline. */
static int
act_modal(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r, const char *callback_id)
{
	struct ia_pre pre;
	struct hub_modal_request mr;
	struct hub_modal_ref mref;
	struct hub_buf md = HUB_BUF_INIT(HUB_BK_MAX_METADATA);
	json_object *meta = NULL, *editable = NULL, *view = NULL;
	int edit = strcmp(callback_id, HUB_MODAL_EDIT) == 0, rc;

	if (precheck(ia, p, ref, &pre, r, 1) != IA_CHECK_OK)
		return 0;
	if (modal_request(&pre, &mr, &meta, &editable) != 0) {
		hub_interact_db_reply(r, HUB_DB_QUERY);
		goto out;
	}
	mref = *ref;
	mref.assignment_id = pre.assignment_id;
	if (hub_modal_metadata(ia->modal_key, callback_id, &mref, p->user_id, &md) !=
	    HUB_MODAL_OK) {
		hub_interact_reply_error(r, 500, "cannot build the form", NULL);
		goto out;
	}
	rc = edit ? hub_modal_edit(&mr, hub_buf_str(&md), &view) :
	    hub_modal_reject(&mr, hub_buf_str(&md), &view);
	if (rc == HUB_MODAL_FIELDS) {
		tell(ia, p, "Nothing on this request can be edited", r);
		goto out;
	}
	if (rc != HUB_MODAL_OK) {
		hub_log(HUB_LOG_ERROR, "modal_build_failed", "error", hub_modal_strerror(rc), NULL);
		tell(ia, p, "Could not open the form, try again", r);
		goto out;
	}
	if (open_view_detached(ia, p, view) != 0) {
		tell(ia, p, "Could not open the form, try again", r);
		goto out;
	}
	reply_empty(r);
out:
	json_object_put(view);
	json_object_put(meta);
	json_object_put(editable);
	hub_buf_release(&md);
	PQclear(pre.res);
	return 0;
}

static int
act_reject(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	return act_modal(ia, p, ref, r, HUB_MODAL_REJECT);
}

static int
act_edit(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	return act_modal(ia, p, ref, r, HUB_MODAL_EDIT);
}

static int
act_snooze(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	struct ia_pre pre;
	char text[160], until[HUB_ENGINE_TIME_LEN], when[48];
	int rc;

	if (p->option == NULL || (strcmp(p->option, "1h") != 0 &&
	    strcmp(p->option, "tomorrow") != 0)) {
		hub_interact_reply_error(r, 400, "must be 1h or tomorrow", "actions[0].selected_option");
		return 0;
	}
	if (precheck(ia, p, ref, &pre, r, 1) != IA_CHECK_OK)
		return 0;
	PQclear(pre.res);
	rc = hub_engine_snooze(ia->db, ref->request_id, p->option, &p->actor, until);
	if (rc == HUB_ENGINE_CONFLICT || rc == HUB_ENGINE_NOTFOUND)
		/* Decided since the check: say so like any stale click. */
		return tell(ia, p, "This request is no longer pending", r);
	if (rc != HUB_ENGINE_OK) {
		hub_interact_db_reply(r, rc == HUB_ENGINE_UNAVAILABLE ? HUB_DB_CONN : HUB_DB_QUERY);
		return 0;
	}
	short_time(until, when, sizeof(when));
	snprintf(text, sizeof(text), "Snoozed: no reminder for you before %s "
	    "(the other approvers keep theirs)", when);
	return tell(ia, p, text, r);
}

static int
act_remind(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	const char *pp[1] = { ref->request_id };
	PGresult *res = NULL;
	char text[128], conn[HUB_CONN_ID_LEN];
	int n = 0, rc;

	if ((rc = hub_db_exec(ia->db, &ia_table, IA_REQUESTER, pp, &res)) != HUB_DB_OK) {
		hub_interact_db_reply(r, rc);
		goto out;
	}
	if (PQntuples(res) != 1) {
		tell(ia, p, "This request no longer exists", r);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 1), p->user_id) != 0) {
		tell(ia, p, "Only the requester can send a reminder", r);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "Pending") != 0) {
		tell(ia, p, "This request is no longer pending", r);
		goto out;
	}
	rc = hub_engine_remind(ia->db, ref->request_id, &p->actor, &n);
	if (rc == HUB_ENGINE_CONFLICT) {
		tell(ia, p, "This request is no longer pending", r);
		goto out;
	}
	if (rc != HUB_ENGINE_OK) {
		hub_interact_db_reply(r, rc == HUB_ENGINE_UNAVAILABLE ? HUB_DB_CONN : HUB_DB_QUERY);
		goto out;
	}
	snprintf(text, sizeof(text), "Reminder sent to %d approver%s", n, n == 1 ? "" : "s");
	/* The Home tab shows when the last reminder went: republish it with
	 * the confirmation, together. */
	if ((rc = hub_db_begin(ia->db)) != HUB_DB_OK)
		goto dbfail;
	if (p->view != NULL && hub_respond_team_connection(ia->db, p->team_id, conn) == HUB_DB_OK &&
	    hub_home_enqueue(ia->db, conn, p->user_id) != HUB_HOME_OK) {
		rc = HUB_DB_QUERY;
		goto dbfail;
	}
	if ((rc = ephemeral(ia, p, text)) != HUB_DB_OK ||
	    (rc = hub_db_commit(ia->db)) != HUB_DB_OK)
		goto dbfail;
	reply_empty(r);
	goto out;
dbfail:
	if (hub_db_in_tx(ia->db))
		hub_db_rollback(ia->db);
	hub_interact_db_reply(r, rc);
out:
	PQclear(res);
	return 0;
}

static int
act_view(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	(void)ia;
	(void)p;
	(void)ref;
	reply_empty(r);
	return 0;
}

/* The Home tab's own controls (filters, search, pages): home.c keeps
 * the tab's state and republishes it.  Slack gets its 200 whatever. */
static int
act_home(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	int rc;

	(void)ref;
	if ((rc = hub_home_handle_action(ia->db, NULL, p->action_id, p->root)) != 0)
		hub_log(HUB_LOG_INFO, "home_action_refused", "action_id", p->action_id,
		    "error", hub_home_strerror(rc), NULL);
	reply_empty(r);
	return 0;
}

#define IA_NEEDS_REF	0x1
#define IA_TEAM_GATE	0x2
#define IA_PREFIX	0x4    /* action_id starts with the row's name */

static const struct ia_action {
	const char	*action_id;
	ia_action_fn	 fn;
	unsigned	 flags;
} ia_actions[] = {
	{ HUB_ACTION_APPROVE, act_approve, IA_NEEDS_REF | IA_TEAM_GATE },
	{ HUB_ACTION_REJECT,  act_reject,  IA_NEEDS_REF | IA_TEAM_GATE },
	{ HUB_ACTION_EDIT,    act_edit,    IA_NEEDS_REF | IA_TEAM_GATE },
	{ HUB_ACTION_SNOOZE,  act_snooze,  IA_NEEDS_REF | IA_TEAM_GATE },
	{ HUB_ACTION_REMIND,  act_remind,  IA_NEEDS_REF | IA_TEAM_GATE },
	{ HUB_ACTION_VIEW,    act_view,    0 },
	{ "home_",       act_home,    IA_PREFIX },
};

static int
block_actions(struct hub_interact *ia, const struct hub_payload *p, struct hub_interact_reply *r)
{
	const struct ia_action *a = NULL;
	struct hub_modal_ref ref;
	const char *msg;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(ia_actions) && a == NULL; i++)
		if ((ia_actions[i].flags & IA_PREFIX) ?
		    strncmp(ia_actions[i].action_id, p->action_id,
		    strlen(ia_actions[i].action_id)) == 0 :
		    strcmp(ia_actions[i].action_id, p->action_id) == 0)
			a = &ia_actions[i];
	if (a == NULL) {
		hub_log(HUB_LOG_INFO, "slack_action_unknown", "action_id", p->action_id, NULL);
		reply_empty(r);
		return 0;
	}
	memset(&ref, 0, sizeof(ref));
	if ((a->flags & IA_NEEDS_REF) && ia_ref(p, &ref) != 0) {
		hub_interact_reply_error(r, 400, "must name a request", "actions[0].value");
		return 0;
	}
	if (a->flags & IA_TEAM_GATE) {
		if ((rc = hub_interact_team_check(ia, p, &ref, &msg)) != HUB_DB_OK) {
			hub_interact_db_reply(r, rc);
			return 0;
		}
		if (msg != NULL) {
			hub_log(HUB_LOG_INFO, "slack_action_refused", "action_id", p->action_id,
			    "team", p->team_id, "reason", msg, NULL);
			return tell(ia, p, msg, r);
		}
	}
	return a->fn(ia, p, &ref, r);
}

/* ------------------------------------------------------------ view_submission */

static int
view_errors(struct hub_interact_reply *r, const char *block, const char *msg)
{
	json_object *b = json_object_new_object(), *e = json_object_new_object();

	if (b == NULL || e == NULL || hub_json_set_str(e, block, msg) != 0 ||
	    hub_json_set_str(b, "response_action", "errors") != 0 ||
	    json_object_object_add(b, "errors", e) != 0) {
		json_object_put(b);
		json_object_put(e);
		hub_interact_reply_error(r, 500, "out of memory", NULL);
		return 0;
	}
	r->status = 200;
	r->body = b;
	return 0;
}

static int
view_clear(struct hub_interact_reply *r)
{
	json_object *b = json_object_new_object();

	if (b == NULL || hub_json_set_str(b, "response_action", "clear") != 0) {
		json_object_put(b);
		hub_interact_reply_error(r, 500, "out of memory", NULL);
		return 0;
	}
	r->status = 200;
	r->body = b;
	return 0;
}

/* An engine answer to a submitted modal: errors under `block`. */
static int
submit_reply(int rc, const struct hub_outcome *o, const struct hub_engine_error *err,
    const char *block, struct hub_interact_reply *r)
{
	char text[512], bid[256];

	switch (rc) {
	case HUB_ENGINE_OK:
		return view_clear(r);
	case HUB_ENGINE_REASON_REQUIRED:
		return view_errors(r, HUB_MODAL_REASON_BLOCK, "A reason is required");
	case HUB_ENGINE_ALREADY_DECIDED:
	case HUB_ENGINE_CLOSED:
		ia_outcome_text(o->request_status, o->decided_by, o->decided_at, text,
		    sizeof(text));
		return view_errors(r, block, text);
	case HUB_ENGINE_NOT_APPROVER:
		return view_errors(r, block, "You are not an approver of this request");
	case HUB_ENGINE_NOTFOUND:
		return view_errors(r, block, "This request no longer exists");
	case HUB_ENGINE_SELF_APPROVAL:
		return view_errors(r, block, "You cannot decide your own request");
	case HUB_ENGINE_UNAVAILABLE:
		hub_interact_db_reply(r, HUB_DB_CONN);
		return 0;
	case HUB_ENGINE_DB:
		hub_interact_db_reply(r, HUB_DB_QUERY);
		return 0;
	default:
		/* An edit the engine refused: under that field's input. */
		if (strncmp(err->field, "edits.", 6) == 0) {
			snprintf(bid, sizeof(bid), "%s%s", HUB_MODAL_EDIT_PREFIX, err->field + 6);
			return view_errors(r, bid, err->message);
		}
		return view_errors(r, block, err->message[0] ? err->message :
		    hub_engine_strerror(rc));
	}
}

typedef int (*ia_submit_fn)(struct hub_interact *, const struct hub_payload *,
    const struct hub_modal_ref *, struct hub_interact_reply *);

static int
sub_reject(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	struct hub_outcome o;
	struct hub_engine_error err;
	const char *reason;
	int rc;

	if (hub_modal_value(p->view, HUB_MODAL_REASON_BLOCK, HUB_MODAL_REASON_ACTION,
	    &reason) != HUB_MODAL_OK) {
		hub_interact_reply_error(r, 400, "malformed state", "view.state");
		return 0;
	}
	rc = hub_engine_decide(ia->db, ref->request_id, ref->assignment_id, &p->actor, 0,
	    reason != NULL && *reason != '\0' ? reason : NULL, NULL, &o, &err);
	hub_log(HUB_LOG_INFO, "slack_reject", "request", ref->request_id, "user", p->user_id,
	    "outcome", hub_engine_strerror(rc), NULL);
	return submit_reply(rc, &o, &err, HUB_MODAL_REASON_BLOCK, r);
}

static int
sub_edit(struct hub_interact *ia, const struct hub_payload *p, const struct hub_modal_ref *ref,
    struct hub_interact_reply *r)
{
	struct ia_pre pre;
	struct hub_modal_request mr;
	struct hub_outcome o;
	struct hub_engine_error err;
	json_object *meta = NULL, *editable = NULL, *edits = NULL, *errors = NULL;
	const char *comment;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&err, 0, sizeof(err));
	/* Submitting is deciding: refusals come back on the form. */
	if (precheck(ia, p, ref, &pre, r, 0) != IA_CHECK_OK) {
		if (r->status != 200)
			return 0;
		rc = hub_engine_decide(ia->db, ref->request_id, ref->assignment_id, &p->actor,
		    1, NULL, NULL, &o, &err);
		return submit_reply(rc, &o, &err, HUB_MODAL_COMMENT_BLOCK, r);
	}
	if (modal_request(&pre, &mr, &meta, &editable) != 0) {
		hub_interact_db_reply(r, HUB_DB_QUERY);
		goto out;
	}
	if (hub_modal_value(p->view, HUB_MODAL_COMMENT_BLOCK, HUB_MODAL_COMMENT_ACTION,
	    &comment) != HUB_MODAL_OK) {
		hub_interact_reply_error(r, 400, "malformed state", "view.state");
		goto out;
	}
	rc = hub_modal_edit_values(p->view, &mr, &edits, &errors);
	if (rc == HUB_MODAL_FIELDS) {
		r->status = 200;
		if ((r->body = json_object_new_object()) == NULL ||
		    hub_json_set_str(r->body, "response_action", "errors") != 0 ||
		    json_object_object_add(r->body, "errors", errors) != 0) {
			hub_interact_reply_error(r, 500, "out of memory", NULL);
			goto out;
		}
		errors = NULL;
		goto out;
	}
	if (rc != HUB_MODAL_OK) {
		hub_interact_reply_error(r, rc == HUB_MODAL_NOMEM ? 500 : 400, "malformed state", "view.state");
		goto out;
	}
	rc = hub_engine_decide(ia->db, ref->request_id, ref->assignment_id, &p->actor, 1,
	    comment != NULL && *comment != '\0' ? comment : NULL, edits, &o, &err);
	hub_log(HUB_LOG_INFO, "slack_edit_approve", "request", ref->request_id,
	    "user", p->user_id, "outcome", hub_engine_strerror(rc), NULL);
	submit_reply(rc, &o, &err, HUB_MODAL_COMMENT_BLOCK, r);
out:
	json_object_put(edits);
	json_object_put(errors);
	json_object_put(meta);
	json_object_put(editable);
	PQclear(pre.res);
	return 0;
}

static const struct ia_submit {
	const char	*callback_id;
	ia_submit_fn	 fn;
	const char	*block;    /* where refusals show */
} ia_submits[] = {
	{ HUB_MODAL_REJECT, sub_reject, HUB_MODAL_REASON_BLOCK },
	{ HUB_MODAL_EDIT,   sub_edit,   HUB_MODAL_COMMENT_BLOCK },
};

static int
view_submission(struct hub_interact *ia, const struct hub_payload *p, struct hub_interact_reply *r)
{
	const struct ia_submit *s = NULL;
	struct hub_modal_ref ref;
	const char *cb = NULL, *md = NULL, *msg;
	size_t i;
	int rc;

	if (hub_json_opt_string(p->view, "callback_id", HUB_BK_MAX_ID, &cb) != 0 ||
	    hub_json_opt_string(p->view, "private_metadata", HUB_BK_MAX_METADATA, &md) != 0) {
		hub_interact_reply_error(r, 400, "must be a string", "view.private_metadata");
		return 0;
	}
	for (i = 0; cb != NULL && i < HUB_NELEM(ia_submits); i++)
		if (strcmp(cb, ia_submits[i].callback_id) == 0)
			s = &ia_submits[i];
	if (s == NULL) {
		hub_log(HUB_LOG_INFO, "slack_view_unknown", "callback_id", cb ? cb : "", NULL);
		reply_empty(r);
		return 0;
	}
	if ((rc = hub_modal_metadata_verify(ia->modal_key, s->callback_id, md, p->user_id,
	    &ref)) != HUB_MODAL_OK) {
		hub_log(HUB_LOG_WARN, "slack_view_refused", "reason", hub_modal_strerror(rc),
		    NULL);
		hub_interact_reply_error(r, 400, "not a form of this hub", "view.private_metadata");
		return 0;
	}
	if ((rc = hub_interact_team_check(ia, p, &ref, &msg)) != HUB_DB_OK) {
		hub_interact_db_reply(r, rc);
		return 0;
	}
	if (msg != NULL)
		return view_errors(r, s->block, msg);
	return s->fn(ia, p, &ref, r);
}

/* ------------------------------------------------------------ entry */

void
hub_interact_init(struct hub_interact *ia, struct hub_db *db, const struct hub_conf *conf,
    struct hub_httpc *http, const struct hub_keyring *keys)
{
	struct timespec now;

	memset(ia, 0, sizeof(*ia));
	clock_gettime(CLOCK_REALTIME, &now);
	ia->arrived_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	ia->db = db;
	ia->conf = conf;
	ia->http = http;
	ia->keys = keys;
	if (conf != NULL && conf->have_secret_key)
		hub_derive_key(conf->secret_key, "modal", ia->modal_key);
	else
		(void)hub_random_bytes(ia->modal_key, sizeof(ia->modal_key));
}

int
hub_interact_payload(struct hub_interact *ia, const char *payload, size_t len,
    struct hub_interact_reply *r)
{
	struct hub_payload p;
	struct hub_payload_refusal why;

	memset(r, 0, sizeof(*r));
	if (hub_payload_parse(payload, len, &p, &why) != 0) {
		hub_interact_reply_error(r, why.status, why.message, why.field);
		goto out;
	}
	if (strcmp(p.type, "block_actions") == 0)
		block_actions(ia, &p, r);
	else if (strcmp(p.type, "view_submission") == 0)
		view_submission(ia, &p, r);
	else {
		/* view_closed, shortcuts...: nothing to do, Slack wants a 200. */
		hub_log(HUB_LOG_INFO, "slack_interaction_ignored", "type", p.type, NULL);
		reply_empty(r);
	}
out:
	json_object_put(p.root);
	if (r->status == 0)
		hub_interact_reply_error(r, 500, "unanswered", NULL);
	return r->status;
}

void
hub_interact_reply_free(struct hub_interact_reply *r)
{
	json_object_put(r->body);
	r->body = NULL;
}
