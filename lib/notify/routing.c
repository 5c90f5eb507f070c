/*
 * routing.c - which connection, channel and delivery mode a notification
 * uses (routing.h), from the step, the request, its source, the settings
 * and the default connection; and the rows they are read from.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/json.h"
#include "approval/intake.h"
#include "slack/connections.h"
#include "slack/render.h"
#include "store/sqlfrag.h"
#include "notify/notifyjob.h"
#include "notify/outbox.h"
#include "notify/routing.h"

enum routing_stmt {
	DL_REQUEST,
	DL_STEP,
	DL_ASSIGNMENT,
	ROUTING__MAX
};

static const struct hub_stmt routing_stmts[ROUTING__MAX] = {
	/* $1 request id: the render context's request, then what delivery
	 * resolves with */
	[DL_REQUEST] = {
	    "SELECT json_build_object('id', r.id, 'title', r.title, 'status', r.status,"
	    "  'source', s.name, 'preset', r.preset, 'requester_name', r.requester_name,"
	    "  'requester_slack_id', r.requester_slack_id,"
	    "  'requester_email', r.requester_email, 'justification', r.justification,"
	    "  'metadata', r.metadata,"
	    "  'deadline', " HUB_SQL_ISO("r.deadline") ","
	    "  'created_at', " HUB_SQL_ISO("r.created_at") ","
	    "  'decided_by', r.decided_by,"
	    "  'decided_at', " HUB_SQL_ISO("r.decided_at") ","
	    "  'decision_comment', r.decision_comment, 'ai_summary', r.ai_summary,"
	    "  'risk_score', r.risk_score, 'ai_status', r.ai_status, 'risk_flags', r.risk_flags,"
	    "  'current_step', r.current_step,"
	    "  'step_count', (SELECT count(*) FROM request_steps x WHERE x.request_id = r.id))::text,"
	    " coalesce(extract(epoch FROM r.deadline)::bigint, 0),"
	    " coalesce(r.connection_id::text, ''), coalesce(r.channel, ''),"
	    " coalesce(r.delivery_mode, ''), coalesce(s.connection_id::text, ''),"
	    " coalesce(s.default_channel, ''), coalesce(s.delivery_mode, ''),"
	    " s.templates::text, r.watchers::text, r.current_step, s.editable_fields::text"
	    " FROM requests r JOIN sources s ON s.id = r.source_id WHERE r.id = $1::uuid", 1 },
	/* $1 request, $2 position */
	[DL_STEP] = {
	    "SELECT st.id, json_build_object('position', st.position, 'rule', st.rule,"
	    "  'quorum', st.quorum,"
	    "  'approved', count(a.id) FILTER (WHERE a.status = 'approved' AND a.delegate_of IS NULL),"
	    "  'rejected', count(a.id) FILTER (WHERE a.status = 'rejected' AND a.delegate_of IS NULL),"
	    "  'total', count(a.id) FILTER (WHERE a.delegate_of IS NULL"
	    "   AND a.status <> 'reassigned'))::text,"
	    " coalesce(st.connection_id::text, ''), coalesce(st.channel, ''),"
	    " coalesce(st.delivery_mode, '')"
	    " FROM request_steps st LEFT JOIN assignments a ON a.step_id = st.id"
	    " WHERE st.request_id = $1::uuid AND st.position = $2::integer GROUP BY st.id", 2 },
	/* $1 assignment, $2 request */
	[DL_ASSIGNMENT] = {
	    "SELECT a.id, a.approver_kind, a.approver_value, coalesce(a.slack_user_id, ''),"
	    " a.status, st.position, coalesce(o.approver_value, '')"
	    " FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    " LEFT JOIN assignments o ON o.id = a.delegate_of"
	    " WHERE a.id = $1::bigint AND a.request_id = $2::uuid", 2 },
};

static const struct hub_stmt_table routing_table = { "routing", routing_stmts, ROUTING__MAX };

static int
dq(struct hub_notify *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &routing_table, stmt, p, res);
}

int
hub_routing_load_request(struct hub_notify *d, PGresult **out)
{
	const char *p[1] = { d->req };
	json_object *req = NULL, *tmpl = NULL, *editable = NULL;
	PGresult *res = NULL;
	const char *preset;
	int rc;

	if ((rc = dq(d, DL_REQUEST, p, &res)) != HUB_DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return HUB_DB_NOTFOUND;
	}
	if (hub_json_parse(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), DL_JSON_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &req) != HUB_JSON_OK ||
	    hub_json_parse(PQgetvalue(res, 0, 8), (size_t)PQgetlength(res, 0, 8), DL_JSON_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &tmpl) != HUB_JSON_OK ||
	    hub_json_parse(PQgetvalue(res, 0, 9), (size_t)PQgetlength(res, 0, 9), DL_JSON_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &d->watchers) != HUB_JSON_OK ||
	    hub_json_parse(PQgetvalue(res, 0, 11), (size_t)PQgetlength(res, 0, 11), DL_JSON_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &editable) != HUB_JSON_OK) {
		json_object_put(req);
		json_object_put(tmpl);
		json_object_put(editable);
		PQclear(res);
		return HUB_DB_QUERY;
	}
	/* The preset the request was made with (a web form's type), else its
	 * source's; the string is intake's, not the JSON's. */
	preset = hub_intake_preset_of(json_object_get_string(
	    json_object_object_get(req, "preset")), json_object_get_string(
	    json_object_object_get(req, "source")));
	json_object_object_del(req, "preset");
	if (preset != NULL)
		json_object_object_add(req, "preset", json_object_new_string(preset));
	json_object_object_add(d->ctx, "request", req);
	json_object_object_add(d->ctx, "templates", tmpl);
	json_object_object_add(d->ctx, "editable",
	    json_object_new_boolean(hub_render_editable(editable)));
	json_object_put(editable);
	d->deadline = hub_notifyjob_cell(res, 0, 1);
	hub_notifyjob_copy(d->conn_ids[1], sizeof(d->conn_ids[1]), PQgetvalue(res, 0, 2));
	hub_notifyjob_copy(d->channels[1], sizeof(d->channels[1]), PQgetvalue(res, 0, 3));
	hub_notifyjob_copy(d->modes[1], sizeof(d->modes[1]), PQgetvalue(res, 0, 4));
	hub_notifyjob_copy(d->conn_ids[2], sizeof(d->conn_ids[2]), PQgetvalue(res, 0, 5));
	hub_notifyjob_copy(d->channels[2], sizeof(d->channels[2]), PQgetvalue(res, 0, 6));
	hub_notifyjob_copy(d->modes[2], sizeof(d->modes[2]), PQgetvalue(res, 0, 7));
	d->current_step = (int)hub_notifyjob_cell(res, 0, 10);
	*out = res;
	return HUB_DB_OK;
}

int
hub_routing_load_step(struct hub_notify *d)
{
	char pos[16];
	const char *p[2] = { d->req, pos };
	json_object *st = NULL;
	PGresult *res = NULL;
	int rc;

	snprintf(pos, sizeof(pos), "%d", d->step);
	if ((rc = dq(d, DL_STEP, p, &res)) != HUB_DB_OK)
		return rc;
	if (PQntuples(res) == 1) {
		hub_notifyjob_copy(d->step_id, sizeof(d->step_id), PQgetvalue(res, 0, 0));
		if (hub_json_parse(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1),
		    DL_JSON_MAX, HUB_JSON_DEFAULT_DEPTH, &st) == HUB_JSON_OK)
			json_object_object_add(d->ctx, "step", st);
		hub_notifyjob_copy(d->conn_ids[0], sizeof(d->conn_ids[0]),
		    PQgetvalue(res, 0, 2));
		hub_notifyjob_copy(d->channels[0], sizeof(d->channels[0]),
		    PQgetvalue(res, 0, 3));
		hub_notifyjob_copy(d->modes[0], sizeof(d->modes[0]), PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return HUB_DB_OK;
}

/* Step -> request -> source -> default.  1 found, 0 none, -1 db. */
int
hub_routing_connection(struct hub_notify *d)
{
	int i, rc;

	for (i = 0; i < 3; i++) {
		if (d->conn_ids[i][0] == '\0')
			continue;
		rc = hub_connections_get(d->env->db, d->conn_ids[i], &d->conn);
		if (rc == HUB_CONN_OK)
			return 1;
		if (rc != HUB_CONN_NOTFOUND)
			return -1;
	}
	rc = hub_connections_get_default(d->env->db, &d->conn);
	if (rc == HUB_CONN_OK)
		return 1;
	return rc == HUB_CONN_NOTFOUND ? 0 : -1;
}

void
hub_routing_mode(struct hub_notify *d)
{
	struct hub_notifyjob_want w[3];
	char dflt[DL_KEY_MAX + 1];
	size_t n = 0;
	int i;

	d->mode[0] = d->channel[0] = '\0';
	for (i = 0; i < 3 && d->mode[0] == '\0'; i++)
		hub_notifyjob_copy(d->mode, sizeof(d->mode), d->modes[i]);
	for (i = 0; i < 3 && d->channel[0] == '\0'; i++)
		hub_notifyjob_copy(d->channel, sizeof(d->channel), d->channels[i]);
	/* The global settings the step, request and source left open, in
	 * one round trip. */
	if (d->mode[0] == '\0')
		w[n++] = (struct hub_notifyjob_want){ "delivery.mode", d->mode, sizeof(d->mode),
		    "dm" };
	if (d->channel[0] == '\0')
		w[n++] = (struct hub_notifyjob_want){ "delivery.channel", d->channel,
		    sizeof(d->channel), d->conn.default_channel };
	w[n++] = (struct hub_notifyjob_want){ "delivery.user_not_found", d->notfound,
	    sizeof(d->notfound), "EMAIL" };
	hub_notifyjob_settings(d, w, n);
	if (strcmp(d->mode, "dm") != 0 && strcmp(d->mode, "group_dm") != 0 &&
	    strcmp(d->mode, "channel") != 0 && strcmp(d->mode, "both") != 0)
		hub_notifyjob_copy(d->mode, sizeof(d->mode), "dm");
	if (strcmp(d->notfound, "SKIP") != 0 && strcmp(d->notfound, "LOG_ONLY") != 0)
		hub_notifyjob_copy(d->notfound, sizeof(d->notfound), "EMAIL");
	/* A channel mode without a channel still reaches people: by DM, and
	 * the admin is told once per notification. */
	if (d->conn.type == HUB_CONN_SLACK_APP && d->channel[0] == '\0' &&
	    (strcmp(d->mode, "channel") == 0 || strcmp(d->mode, "both") == 0)) {
		snprintf(dflt, sizeof(dflt), "notify:%s:s%d:%s:%s:nochannel", d->req, d->step,
		    d->kind, d->gen);
		hub_outbox_log(d, dflt, d->kind, "slack", NULL, 0, "no_channel",
		    "delivery mode is channel but no channel is set (step, request, source or "
		    "settings delivery.channel); sent as DMs instead");
		hub_notifyjob_copy(d->mode, sizeof(d->mode), "dm");
	}
}

int
hub_routing_load_assignment(struct hub_notify *d, struct hub_person *me)
{
	char a[HUB_INT64_TEXT_SIZE];
	const char *p[2] = { a, d->req };
	PGresult *res = NULL;
	int rc;

	snprintf(a, sizeof(a), "%lld", (long long)d->asg);
	if ((rc = dq(d, DL_ASSIGNMENT, p, &res)) != HUB_DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return HUB_DB_NOTFOUND;
	}
	hub_notifyjob_person_row(res, 0, me);
	d->step = (int)hub_notifyjob_cell(res, 0, 5);
	PQclear(res);
	return HUB_DB_OK;
}
