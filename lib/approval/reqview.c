/*
 * reqview.c - one request as its page shows it.  See reqview.h.
 *
 * One statement builds the whole request as JSON (request, steps with
 * their assignments, delegations in force, the audit timeline); the C
 * below only adds what people read: fields per preset, rule sentences,
 * status classes, action names, and what the signed-in user may do.
 */
#include <stdio.h>
#include <string.h>

#include "approval/ai.h"
#include "approval/engine.h"
#include "approval/reqview.h"
#include "approval/intake.h"
#include "approval/metadisplay.h"
#include "base/check.h"
#include "base/common.h"
#include "base/json.h"
#include "store/sqlfrag.h"

#define SHOWN HUB_SQL_SHOWN_TIME
#define VIEW_JSON_MAX	(64u << 20)
#define VIEW_JSON_DEPTH	64
#define LABEL_MAX	512

enum stmt {
	STMT_VIEW,
	STMT__MAX
};

#define STR(s) #s
#define XSTR(s) STR(s)

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 request, $2 the signed-in user's id (NULL: none) */
	[STMT_VIEW] = {
	    "SELECT json_build_object("
	    "'id', r.id, 'source', s.name, 'external_id', coalesce(r.external_id, ''),"
	    " 'preset', coalesce(r.preset, ''),"
	    " 'title', r.title, 'status', r.status, 'current_step', r.current_step,"
	    " 'requester', r.requester_name, 'requester_email', coalesce(r.requester_email, ''),"
	    " 'requester_user_id', coalesce(r.requester_user_id::text, ''),"
	    " 'justification', r.justification, 'metadata', r.metadata,"
	    " 'created', " SHOWN("r.created_at") ", 'updated', " SHOWN("r.updated_at") ","
	    " 'deadline', " SHOWN("r.deadline") ", 'valid_until', " SHOWN("r.valid_until") ","
	    " 'decided_at', " SHOWN("r.decided_at") ", 'decided_by', coalesce(r.decided_by, ''),"
	    " 'decision_comment', coalesce(r.decision_comment, ''),"
	    " 'ai', " HUB_AI_JSON("r") ", 'risk_flags', to_jsonb(r.risk_flags),"
	    " 'step_list', (SELECT coalesce(json_agg(json_build_object("
	    "  'position', st.position, 'rule', st.rule, 'quorum', st.quorum,"
	    "  'status', st.status, 'started', " SHOWN("st.started_at") ","
	    "  'decided', " SHOWN("st.decided_at") ","
	    "  'assignments', (SELECT coalesce(json_agg(json_build_object("
	    "   'id', a.id, 'kind', a.approver_kind, 'value', a.approver_value,"
	    "   'slack_user_id', coalesce(a.slack_user_id, ''), 'status', a.status,"
	    "   'decided_by', coalesce(a.decided_by, ''), 'decided_at', " SHOWN("a.decided_at") ","
	    "   'comment', coalesce(a.comment, ''), 'delegate_for', coalesce((SELECT o.approver_value"
	    "    FROM assignments o WHERE o.id = a.delegate_of), ''),"
	    "   'mine', $2::text IS NOT NULL AND" HUB_SQL_USER_IS_ASSIGNEE("a", "$2::text") ")"
	    "   ORDER BY a.id), '[]'::json) FROM assignments a WHERE a.step_id = st.id))"
	    "  ORDER BY st.position), '[]'::json)"
	    "  FROM request_steps st WHERE st.request_id = r.id),"
	    " 'delegations', (SELECT coalesce(json_agg(json_build_object("
	    "  'approver', d.approver_value, 'delegate', d.delegate_value,"
	    "  'from', d.valid_from::text, 'to', d.valid_to::text) ORDER BY d.id), '[]'::json)"
	    "  FROM delegations d WHERE d.revoked_at IS NULL"
	    "  AND current_date BETWEEN d.valid_from AND d.valid_to"
	    "  AND EXISTS (SELECT 1 FROM assignments x WHERE x.request_id = r.id"
	    "   AND x.approver_kind = d.approver_kind AND x.approver_value = d.approver_value)),"
	    " 'timeline', (SELECT coalesce(json_agg(json_build_object("
	    "  'at', to_char(al.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),"
	    "  'actor', al.actor, 'action', al.action, 'via', al.via,"
	    "  'note', coalesce(al.detail->>'comment', al.detail->>'reason',"
	    "   CASE WHEN al.action = 'approver.reassigned'"
	    "    THEN (al.detail->>'from') || ' \xe2\x86\x92 ' || (al.detail->>'to') END,"
	    "   CASE WHEN al.detail ? 'step' THEN 'Step ' || (al.detail->>'step') END, ''))"
	    "  ORDER BY al.at, al.id), '[]'::json)"
	    "  FROM (SELECT * FROM audit_log WHERE request_id = r.id ORDER BY at, id"
	    "   LIMIT " XSTR(HUB_REQVIEW_TIMELINE_MAX) ") al)"
	    ")::text FROM requests r JOIN sources s ON s.id = r.source_id"
	    " WHERE r.id = $1::uuid", 2 },
};

static const struct hub_stmt_table reqview_stmts = { "reqview", stmts, STMT__MAX };

/* Audit actions as people read them; others show as they are. */
static const struct {
	const char *action, *what;
} actions[] = {
	{ "request.created", "Request created" },
	{ "delegate.added", "Delegate added" },
	{ "step.started", "Step started" },
	{ "request.edited", "Fields edited" },
	{ "assignment.approved", "Approved" },
	{ "assignment.rejected", "Rejected" },
	{ "step.approved", "Step approved" },
	{ "step.rejected", "Step rejected" },
	{ "request.approved", "Request approved" },
	{ "request.rejected", "Request rejected" },
	{ "request.cancelled", "Request cancelled" },
	{ "request.expired", "Request expired" },
	{ "request.lapsed", "Approval lapsed" },
	{ "approver.reassigned", "Approver reassigned" },
	{ "request.reminded", "Approvers reminded" },
	{ "request.snoozed", "Reminders snoozed" },
};

static const char *
get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

static int
flag(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static const char *
status_class(const char *status)
{
	static const char *const known[] = { "Pending", "Approved", "Rejected", "Expired" };
	static const char *const cls[] = {
		"status-Pending", "status-Approved", "status-Rejected", "status-Expired",
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(known); i++)
		if (strcmp(status, known[i]) == 0)
			return cls[i];
	return "status-Closed";
}

static const char *
asg_class(const char *status)
{
	return strcmp(status, "approved") == 0 ? "status-Approved" :
	    strcmp(status, "rejected") == 0 ? "status-Rejected" :
	    strcmp(status, "pending") == 0 ? "status-Pending" : "status-Closed";
}

/* "Any one approver", "All approvers", "2 of 3 approvers". */
static int
rule_text(json_object *step, size_t approvers)
{
	const char *rule = get(step, "rule");
	char text[64];
	json_object *q;

	if (strcmp(rule, "all") == 0)
		snprintf(text, sizeof(text), "All approvers");
	else if (strcmp(rule, "quorum") == 0 && json_object_object_get_ex(step, "quorum", &q))
		snprintf(text, sizeof(text), "%d of %zu approvers", json_object_get_int(q),
		    approvers);
	else
		snprintf(text, sizeof(text), "Any one approver");
	return hub_json_set_str(step, "rule_text", text);
}

/* Assignments: classes, "pending" for the user's own open ones; returns
 * -1 out of memory.  The request is the user's to see when any is mine. */
static int
mark_assignments(struct hub_reqview *rv, json_object *step, int active, json_object *reasg)
{
	json_object *list, *a, *o;
	size_t i, n, people = 0;
	char label[LABEL_MAX];
	int mine, pending;

	if (!json_object_object_get_ex(step, "assignments", &list))
		return 0;
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(list, i);
		mine = flag(a, "mine");
		pending = strcmp(get(a, "status"), "pending") == 0;
		rv->access.assignee |= mine;
		if (get(a, "delegate_for")[0] == '\0' && strcmp(get(a, "status"), "reassigned") != 0)
			people++;
		if (mine && pending && active && rv->pending)
			rv->can_decide = 1;
		if (hub_json_set_str(a, "status_class", asg_class(get(a, "status"))) != 0 ||
		    hub_json_set(a, "pending", json_object_new_boolean(mine && pending && active &&
		    rv->pending)) != 0)
			return -1;
		if (!active || !pending || !rv->pending || get(a, "delegate_for")[0] != '\0')
			continue;
		snprintf(label, sizeof(label), "%s", get(a, "value"));
		if ((o = json_object_new_object()) == NULL ||
		    json_object_array_add(reasg, o) != 0 ||
		    hub_json_set(o, "id", json_object_new_int64(json_object_get_int64(
		    json_object_object_get(a, "id")))) != 0 || hub_json_set_str(o, "label", label) != 0)
			return -1;
	}
	return rule_text(step, people);
}

static int
steps(struct hub_reqview *rv)
{
	json_object *list, *st, *reasg = json_object_new_array();
	int64_t current = json_object_get_int64(json_object_object_get(rv->view, "current_step"));
	size_t i, n;
	int active;

	if (reasg == NULL || hub_json_set(rv->view, "reassignable", reasg) != 0)
		return -1;
	if (!json_object_object_get_ex(rv->view, "step_list", &list))
		return -1;
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		st = json_object_array_get_idx(list, i);
		active = strcmp(get(st, "status"), "active") == 0;
		if (hub_json_set(st, "active", json_object_new_boolean(active)) != 0 ||
		    mark_assignments(rv, st, active, reasg) != 0)
			return -1;
	}
	if (hub_json_set_int64(rv->view, "step", current) != 0 ||
	    hub_json_set_int64(rv->view, "steps", (int64_t)n) != 0 ||
	    hub_json_set(rv->view, "multi_step", json_object_new_boolean(n > 1)) != 0)
		return -1;
	return 0;
}

static int
timeline(json_object *view)
{
	json_object *list, *e;
	const char *what;
	size_t i, n, k;

	if (!json_object_object_get_ex(view, "timeline", &list))
		return -1;
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		what = get(e, "action");
		for (k = 0; k < HUB_NELEM(actions); k++)
			if (strcmp(actions[k].action, what) == 0) {
				what = actions[k].what;
				break;
			}
		if (hub_json_set_str(e, "what", what) != 0)
			return -1;
	}
	return 0;
}

/*
 * The risk as people read it: risk {flags[] (the engine's words),
 * analysed (the AI's answer is in ai), words ("AI analysis pending",
 * failed, off: never a made-up score)}.
 */
static int
risk(json_object *v)
{
	json_object *ai = json_object_object_get(v, "ai"), *fl, *r, *words;
	const char *st = ai != NULL ? get(ai, "status") : "";
	size_t i;

	if ((r = json_object_new_object()) == NULL || hub_json_set(v, "risk", r) != 0 ||
	    (words = json_object_new_array()) == NULL || hub_json_set(r, "flags", words) != 0)
		return -1;
	if (json_object_object_get_ex(v, "risk_flags", &fl) &&
	    json_object_is_type(fl, json_type_array))
		for (i = 0; i < json_object_array_length(fl); i++)
			if (hub_json_push(words, json_object_new_string(hub_engine_flag_words(
			    json_object_get_string(json_object_array_get_idx(fl, i)), 0))) != 0)
				return -1;
	if (strcmp(st, "done") == 0)
		return hub_json_set(r, "analysed", json_object_new_boolean(1));
	return hub_json_set_str(r, "words", strcmp(st, "pending") == 0 ? "AI analysis pending" :
	    strcmp(st, "failed") == 0 ? "AI analysis failed" : "AI analysis off");
}

/* What people read, added to the raw row. */
static int
decorate(struct hub_reqview *rv)
{
	json_object *v = rv->view, *md, *fields = NULL;

	rv->pending = strcmp(get(v, "status"), "Pending") == 0;
	if (get(v, "title")[0] == '\0' && hub_json_set_str(v, "title", "Approval request") != 0)
		return -1;
	if (hub_json_set_str(v, "outcome_class", status_class(get(v, "status"))) != 0)
		return -1;
	md = json_object_object_get(v, "metadata");
	if (hub_metadisplay_fields(hub_intake_preset_of(get(v, "preset"), get(v, "source")), md,
	    &fields) != HUB_INTAKE_OK || hub_json_set(v, "fields", fields) != 0)
		return -1;
	json_object_object_del(v, "metadata");
	if (steps(rv) != 0 || timeline(v) != 0 || risk(v) != 0)
		return -1;
	rv->access.requester_user_id = get(v, "requester_user_id");
	rv->access.requester_email = get(v, "requester_email");
	return 0;
}

int
hub_reqview_load(struct hub_db *db, const char *id, const char *user_id,
    struct hub_reqview *rv, int *dbrc)
{
	const char *params[2] = { id, user_id }, *s;
	PGresult *res = NULL;
	int rc;

	memset(rv, 0, sizeof(*rv));
	*dbrc = HUB_DB_OK;
	if (id == NULL || !hub_check_uuid(id))
		return HUB_REQVIEW_NOTFOUND;
	if ((*dbrc = hub_db_exec(db, &reqview_stmts, STMT_VIEW, params, &res)) != HUB_DB_OK)
		return HUB_REQVIEW_DB;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return HUB_REQVIEW_NOTFOUND;
	}
	s = PQgetvalue(res, 0, 0);
	rc = hub_json_parse(s, strlen(s), VIEW_JSON_MAX, VIEW_JSON_DEPTH, &rv->view);
	PQclear(res);
	if (rc != HUB_JSON_OK || !json_object_is_type(rv->view, json_type_object) ||
	    decorate(rv) != 0) {
		hub_reqview_free(rv);
		return HUB_REQVIEW_NOMEM;
	}
	return HUB_REQVIEW_OK;
}

void
hub_reqview_free(struct hub_reqview *rv)
{
	json_object_put(rv->view);
	memset(rv, 0, sizeof(*rv));
}

int
hub_reqview_reassignable(const struct hub_reqview *rv, int64_t id, const char **kind,
    const char **value)
{
	json_object *steps_l, *st, *list, *a;
	size_t i, j;

	if (!json_object_object_get_ex(rv->view, "step_list", &steps_l))
		return -1;
	for (i = 0; i < json_object_array_length(steps_l); i++) {
		st = json_object_array_get_idx(steps_l, i);
		if (!flag(st, "active") || !json_object_object_get_ex(st, "assignments", &list))
			continue;
		for (j = 0; j < json_object_array_length(list); j++) {
			a = json_object_array_get_idx(list, j);
			if (json_object_get_int64(json_object_object_get(a, "id")) != id ||
			    strcmp(get(a, "status"), "pending") != 0 || get(a, "delegate_for")[0])
				continue;
			*kind = get(a, "kind");
			*value = get(a, "value");
			return 0;
		}
	}
	return -1;
}
