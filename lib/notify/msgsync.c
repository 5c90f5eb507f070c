/*
 * msgsync.c - the "sync" job (chat.update every sent copy of a request
 * after a change) and the retention sweep of sent-message records.
 * See msgsync.h for the behaviour; comments here say why.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "approval/outbound.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "slack/home.h"
#include "approval/intake.h"
#include "base/json.h"
#include "base/log.h"
#include "notify/msgsync.h"
#include "notify/reqhistory.h"
#include "store/settings.h"
#include "store/pgjson.h"
#include "slack/render.h"
#include "slack/slackapi.h"
#include "store/sqlfrag.h"

#define SYNC_COUNTS_MAX	160	/* the counts line of a run's detail */
#define SYNC_MAX_COPIES		5000	/* per run; a request has at most 500 approvers */
#define SYNC_LOCK_RETRY_S	3	/* another sync of the request holds the lock */
#define SYNC_MAX_TRANSIENT	2	/* in a row: Slack is unwell, come back later */
#define SYNC_ID_MAX		36
#define SYNC_URL_MAX		2048

/* Text columns as ISO-8601 UTC: what render.h parses. */
#define ISO HUB_SQL_ISO

/* The kinds that carry the call to act, whose copies follow the request. */
#define SYNC_KINDS \
	"('call_for_action', 'delegate_call', 'external_approver', 'reminder'," \
	" 'manual_reminder', 'approver_added')"

enum ms_stmt {
	MS_LOCK,
	MS_UNLOCK,
	MS_REQUEST,
	MS_STEPS,
	MS_ASSIGNMENTS,
	MS_COPIES,
	MS_MARK_SHOWN,
	MS_MARK_GONE,
	MS_HOME_TARGETS,
	MS_RETAIN_SENT,
	MS_RETAIN_CACHE,
	MS__MAX
};

static const struct hub_stmt ms_stmts[MS__MAX] = {
	/* One sync per request at a time: two runs racing could leave the
	 * older view of the request on a message.  Session level, released
	 * by MS_UNLOCK (or by the connection closing). */
	[MS_LOCK] = {
	    "SELECT pg_try_advisory_lock(hashtextextended('hub_msgsync:' || $1, 0))", 1 },
	[MS_UNLOCK] = {
	    "SELECT pg_advisory_unlock(hashtextextended('hub_msgsync:' || $1, 0))", 1 },
	/* The request as render.h's "request" object; _templates and
	 * _editable_fields are taken out before rendering. */
	[MS_REQUEST] = {
	    "SELECT r.id, r.title, r.status, s.name AS source, r.preset AS _preset,"
	    " r.requester_name,"
	    " r.requester_slack_id, r.requester_email, r.justification, r.metadata,"
	    " " ISO("r.deadline") " AS deadline, " ISO("r.created_at") " AS created_at,"
	    " r.decided_by, " ISO("r.decided_at") " AS decided_at, r.decision_comment,"
	    " r.ai_summary, r.risk_score, r.ai_status, to_jsonb(r.risk_flags) AS risk_flags,"
	    " r.current_step,"
	    " (SELECT count(*) FROM request_steps x WHERE x.request_id = r.id) AS step_count,"
	    " s.templates AS _templates, s.editable_fields AS _editable_fields"
	    " FROM requests r JOIN sources s ON s.id = r.source_id WHERE r.id = $1::uuid", 1 },
	/* Steps with the engine's tally (engine.c ST_STEP_TALLY). */
	[MS_STEPS] = {
	    "SELECT st.id, st.position, st.rule, st.quorum,"
	    " count(a.id) FILTER (WHERE a.status <> 'reassigned') AS total,"
	    " count(a.id) FILTER (WHERE a.status = 'approved') AS approved,"
	    " count(a.id) FILTER (WHERE a.status = 'rejected') AS rejected"
	    " FROM request_steps st LEFT JOIN assignments a"
	    "  ON a.step_id = st.id AND a.delegate_of IS NULL"
	    " WHERE st.request_id = $1::uuid GROUP BY st.id ORDER BY st.id", 1 },
	[MS_ASSIGNMENTS] = {
	    "SELECT a.id, a.step_id, a.approver_kind, a.approver_value, a.slack_user_id,"
	    " a.status, a.decided_by, " ISO("a.decided_at") " AS decided_at, a.comment,"
	    " o.approver_value AS delegate_for"
	    " FROM assignments a LEFT JOIN assignments o ON o.id = a.delegate_of"
	    " WHERE a.request_id = $1::uuid ORDER BY a.id", 1 },
	/*
	 * One row per copy (connection, channel, ts), oldest first.  A copy
	 * recorded for several assignments (a channel message to a group) has
	 * no assignment of its own.  Its step: its assignment's, else the
	 * step active when it was posted, else the current one.
	 * Columns: id, connection, channel, ts, assignment (NULL), shown
	 * hash (""), step id, connection type, disabled, ts usable, the kind
	 * it was sent as.
	 */
	[MS_COPIES] = {
	    "WITH g AS (SELECT min(m.id) AS id, m.connection_id, m.channel, m.ts,"
	    "  CASE WHEN count(DISTINCT m.assignment_id) = 1"
	    "   AND count(m.assignment_id) = count(*) THEN min(m.assignment_id) END AS asg,"
	    "  CASE WHEN count(DISTINCT coalesce(m.shown_hash, '')) = 1"
	    "   THEN min(m.shown_hash) END AS shown,"
	    "  min(m.created_at) AS created_at, min(m.kind) AS kind"
	    " FROM sent_messages m WHERE m.request_id = $1::uuid AND m.gone_at IS NULL"
	    "  AND m.kind IN " SYNC_KINDS
	    " GROUP BY m.connection_id, m.channel, m.ts)"
	    " SELECT g.id, g.connection_id, g.channel, g.ts, g.asg, coalesce(g.shown, ''),"
	    "  coalesce((SELECT a.step_id FROM assignments a WHERE a.id = g.asg),"
	    "   (SELECT st.id FROM request_steps st WHERE st.request_id = $1::uuid"
	    "    AND st.started_at <= g.created_at ORDER BY st.position DESC LIMIT 1),"
	    "   (SELECT st.id FROM request_steps st JOIN requests r ON r.id = st.request_id"
	    "    WHERE r.id = $1::uuid AND st.position = r.current_step)),"
	    "  c.type, c.disabled, g.ts ~ '^[0-9]+\\.[0-9]+$', g.kind"
	    " FROM g JOIN slack_connections c ON c.id = g.connection_id"
	    " ORDER BY g.id LIMIT 5000", 1 },
	/* $1 request, $2 connection, $3 channel, $4 ts, $5 hash, $6 what it
	 * shows now (notify/reqhistory.h; NULL: keep) */
	[MS_MARK_SHOWN] = {
	    "UPDATE sent_messages SET shown_hash = $5, synced_at = now(), updated_at = now(),"
	    " shown = coalesce($6::jsonb, shown)"
	    " WHERE request_id = $1::uuid AND connection_id = $2::uuid AND channel = $3"
	    " AND ts = $4", 6 },
	/* $1 request, $2 connection, $3 channel, $4 ts, $5 Slack's error */
	[MS_MARK_GONE] = {
	    "UPDATE sent_messages SET gone_at = now(), gone_reason = left($5, 64),"
	    " updated_at = now()"
	    " WHERE request_id = $1::uuid AND connection_id = $2::uuid AND channel = $3"
	    " AND ts = $4", 5 },
	/*
	 * Whose Home tab shows the request, once it is finished: approvers
	 * with a Slack id and the requester, each on the connection of their
	 * own copy, else the request's (step, request, source, default),
	 * SLACK_APP and enabled.  None while it is pending.
	 */
	[MS_HOME_TARGETS] = {
	    "WITH base AS (SELECT r.id, coalesce(st.connection_id, r.connection_id,"
	    "   s.connection_id, (SELECT d.id FROM slack_connections d WHERE d.is_default))"
	    "   AS conn, r.requester_slack_id"
	    "  FROM requests r JOIN sources s ON s.id = r.source_id"
	    "  LEFT JOIN request_steps st ON st.request_id = r.id"
	    "   AND st.position = r.current_step"
	    "  WHERE r.id = $1::uuid AND r.status <> 'Pending'),"
	    " who AS (SELECT coalesce((SELECT m.connection_id FROM sent_messages m"
	    "   WHERE m.assignment_id = a.id ORDER BY m.id LIMIT 1), base.conn) AS conn,"
	    "   coalesce(a.slack_user_id,"
	    "    CASE WHEN a.approver_kind = 'slack' THEN a.approver_value END) AS uid"
	    "  FROM assignments a, base WHERE a.request_id = base.id"
	    "  UNION SELECT coalesce((SELECT m.connection_id FROM sent_messages m"
	    "   WHERE m.request_id = base.id ORDER BY m.id LIMIT 1), base.conn),"
	    "   base.requester_slack_id FROM base)"
	    " SELECT DISTINCT who.conn, who.uid FROM who"
	    " JOIN slack_connections c ON c.id = who.conn"
	    "  AND c.type = 'SLACK_APP' AND NOT c.disabled"
	    " WHERE who.uid IS NOT NULL ORDER BY 1, 2", 1 },
	/* $1 batch, $2 default days.  The setting wins when it is a number
	 * of days in 1..3650.  The batch's ids go in as an array, so the
	 * delete probes the key for each instead of hashing the batch and
	 * reading the whole table against it (t/integration/test_plans.py). */
	[MS_RETAIN_SENT] = {
	    "DELETE FROM sent_messages WHERE id = ANY (ARRAY(SELECT id FROM sent_messages"
	    " WHERE created_at < now() - make_interval(days => $2::integer)"
	    " ORDER BY created_at LIMIT $1::integer FOR UPDATE SKIP LOCKED))", 2 },
	/* $1 batch */
	[MS_RETAIN_CACHE] = {
	    "DELETE FROM slack_user_cache WHERE (connection_id, email) IN"
	    " (SELECT connection_id, email FROM slack_user_cache WHERE expires_at < now()"
	    "  ORDER BY expires_at LIMIT $1::integer FOR UPDATE SKIP LOCKED)", 1 },
};

static const struct hub_stmt_table ms_table = { "hubmsync", ms_stmts, MS__MAX };

_Static_assert(SYNC_MAX_COPIES == 5000, "MS_COPIES's LIMIT says 5000");

/* Columns of MS_COPIES. */
enum { C_ID, C_CONN, C_CHANNEL, C_TS, C_ASG, C_SHOWN, C_STEP, C_TYPE, C_DISABLED, C_TS_OK,
	C_KIND };

/* Counts for the job's detail. */
struct sync_counts {
	int	updated, unchanged, webhook, disabled, gone, failed;
};

/* Everything one run knows.  json objects are owned here. */
struct sync_run {
	struct hub_job_env	*env;
	const struct hub_job	*job;
	const char		*req_id;
	json_object		*request;    /* render "request" */
	json_object		*templates;  /* sources.templates, or NULL */
	int			 editable;
	json_object		*links;
	json_object		*steps;      /* array of {id, position, ...} */
	json_object		*asgs;       /* array of assignment objects, by id */
	PGresult		*copies;
	PGresult		*home;       /* MS_HOME_TARGETS, at a first run */
	struct hub_conn		*conns;      /* connections met so far */
	size_t			 nconns;
	struct hub_slack	 slack;
	struct timespec		 start;
	long			 budget_ms;  /* stop and go on later (defer_ms 0) after this */
	struct sync_counts	 n;
	int			 transient;  /* in a row */
	int			 retry;      /* a copy is left for a retry */
	int			 retry_after;
	long			 defer_ms;   /* go on this much later, the same job; -1 none */
	const char		*fail_code;  /* static text, or slack_code */
	char			 slack_code[sizeof(((struct hub_slack_result *)0)->error)];
};

/* ------------------------------------------------------------ helpers */


static int
map_db(int rc)
{
	if (rc == HUB_DB_OK)
		return HUB_MSGSYNC_OK;
	return rc == HUB_DB_CONN ? HUB_MSGSYNC_UNAVAILABLE : HUB_MSGSYNC_DB;
}

static int
exec(struct hub_db *db, int stmt, const char *const *params, PGresult **res)
{
	return hub_db_exec(db, &ms_table, stmt, params, res);
}

static int
cell_true(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && strcmp(PQgetvalue(res, row, col), "t") == 0;
}

static long long
cell_ll(const PGresult *res, int row, int col)
{
	int64_t v;

	return hub_db_get_int64(res, row, col, &v) == HUB_DB_OK ? v : -1;
}

/* Rows a DELETE took (PQcmdTuples), 0 when it does not say. */
static long long
count_of(PGresult *res)
{
	int64_t v;

	return hub_db_cmd_rows(res, &v) == HUB_DB_OK ? v : 0;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Object member by key, when it has that type. */
static json_object *
member(json_object *o, const char *key, enum json_type t)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) && v != NULL &&
	    json_object_is_type(v, t) ? v : NULL;
}

static int64_t
int_member(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_int);

	return v != NULL ? json_object_get_int64(v) : -1;
}

/* ------------------------------------------------------------ loading */

/* The request's sync lock (*locked: taken), then, when taken, the
 * request, steps and assignments as render.h objects and the copies
 * (s->copies), all read in one round trip: each its own statement, as
 * one after the other would be, the reads after the lock is held.  At a
 * first run, whose Home tabs to refresh (s->home, lock or not) too. */
static int
load_state(struct sync_run *s, int *locked)
{
	enum { L_LOCK, L_REQUEST, L_STEPS, L_ASSIGNMENTS, L_COPIES, L_HOME, L__MAX };
	static const int stmt[L__MAX] = { MS_LOCK, MS_REQUEST, MS_STEPS, MS_ASSIGNMENTS,
	    MS_COPIES, MS_HOME_TARGETS };
	size_t n = s->job->first_run ? L__MAX : L_HOME;
	const char *params[1] = { s->req_id };
	const char *pub = s->env->conf != NULL ? s->env->conf->public_url : NULL;
	const char *preset;
	struct hub_db_call c[L__MAX];
	json_object *v;
	char url[SYNC_URL_MAX];
	int rc, i;

	memset(c, 0, sizeof(c));
	for (i = 0; i < L__MAX; i++) {
		c[i].table = &ms_table;
		c[i].id = stmt[i];
		c[i].params = params;
		c[i].res_wanted = 1;
	}
	rc = hub_db_exec_each(s->env->db, c, n);
	*locked = c[L_LOCK].err == HUB_DB_OK && PQntuples(c[L_LOCK].res) == 1 &&
	    cell_true(c[L_LOCK].res, 0, 0);
	if (n == L__MAX && c[L_HOME].err == HUB_DB_OK) {
		s->home = c[L_HOME].res;
		c[L_HOME].res = NULL;
	}
	if (rc != HUB_DB_OK || !*locked)
		goto out;
	if (PQntuples(c[L_REQUEST].res) != 1) {
		rc = HUB_DB_NOTFOUND;
		goto out;
	}
	rc = HUB_DB_NOMEM;
	if ((s->request = hub_pgjson_row(c[L_REQUEST].res, 0)) == NULL ||
	    (s->steps = hub_pgjson_rows(c[L_STEPS].res, PQntuples(c[L_STEPS].res))) == NULL ||
	    (s->asgs = hub_pgjson_rows(c[L_ASSIGNMENTS].res,
	    PQntuples(c[L_ASSIGNMENTS].res))) == NULL)
		goto out;
	s->copies = c[L_COPIES].res;
	c[L_COPIES].res = NULL;
	if ((v = member(s->request, "_templates", json_type_object)) != NULL)
		s->templates = json_object_get(v);
	s->editable = hub_render_editable(member(s->request, "_editable_fields",
	    json_type_array));
	json_object_object_del(s->request, "_templates");
	json_object_object_del(s->request, "_editable_fields");
	/* render.h picks the preset's fields by name, as decidelink.c does:
	 * the one stored with the request, else its source's */
	v = member(s->request, "_preset", json_type_string);
	preset = hub_intake_preset_of(v != NULL ? json_object_get_string(v) : NULL,
	    json_object_get_string(member(s->request, "source", json_type_string)));
	json_object_object_del(s->request, "_preset");
	if (preset != NULL)
		json_object_object_add(s->request, "preset", json_object_new_string(preset));

	if ((s->links = json_object_new_object()) == NULL)
		goto out;
	if (pub != NULL && snprintf(url, sizeof(url), "%s/requests/%s", pub, s->req_id) <
	    (int)sizeof(url))
		json_object_object_add(s->links, "view", json_object_new_string(url));
	rc = HUB_DB_OK;
out:
	for (i = 0; i < L__MAX; i++)
		PQclear(c[i].res);
	return rc;
}

/* Element of an array of rows by its "id"; NULL when absent. */
static json_object *
row_by_id(json_object *arr, int64_t id)
{
	size_t i, n = json_object_array_length(arr);

	if (id < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		if (int_member(o, "id") == id)
			return o;
	}
	return NULL;
}

/* The step object render.h reads (without our id). */
static json_object *
step_ctx(json_object *row)
{
	static const char *const keys[] = { "position", "rule", "quorum", "approved",
	    "rejected", "total" };
	json_object *o = json_object_new_object(), *v;
	size_t i;

	if (o == NULL || row == NULL)
		return o;
	for (i = 0; i < HUB_NELEM(keys); i++)
		if (json_object_object_get_ex(row, keys[i], &v) && v != NULL)
			json_object_object_add(o, keys[i], json_object_get(v));
	return o;
}

static const struct hub_conn *
conn_get(struct sync_run *s, const char *id)
{
	struct hub_conn *grown;
	size_t i;

	for (i = 0; i < s->nconns; i++)
		if (strcmp(s->conns[i].id, id) == 0)
			return &s->conns[i];
	if ((grown = realloc(s->conns, (s->nconns + 1) * sizeof(*grown))) == NULL)
		return NULL;
	s->conns = grown;
	if (hub_connections_get(s->env->db, id, &s->conns[s->nconns]) != HUB_CONN_OK)
		return NULL;
	return &s->conns[s->nconns++];
}

/* ------------------------------------------------------------ one copy */

/* Render the copy of row i: *out and its hash (hex).  0, or -1. */
static int
render_copy(struct sync_run *s, int i, struct hub_render_out *out,
    char hash[2 * HUB_SHA256_LEN + 1], enum hub_render_sync *variant)
{
	json_object *ctx = json_object_new_object(), *asg = NULL;
	unsigned char md[HUB_SHA256_LEN];
	struct hub_buf b = HUB_BUF_INIT(4 * 1024 * 1024);
	const char *blocks, *status;
	size_t blen;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	json_object_object_add(ctx, "request", json_object_get(s->request));
	json_object_object_add(ctx, "step",
	    step_ctx(row_by_id(s->steps, cell_ll(s->copies, i, C_STEP))));
	if ((asg = row_by_id(s->asgs, cell_ll(s->copies, i, C_ASG))) != NULL)
		json_object_object_add(ctx, "assignment", json_object_get(asg));
	json_object_object_add(ctx, "links", json_object_get(s->links));
	json_object_object_add(ctx, "mode", json_object_new_string("app"));
	json_object_object_add(ctx, "sent_kind",
	    json_object_new_string(PQgetvalue(s->copies, i, C_KIND)));
	json_object_object_add(ctx, "editable", json_object_new_boolean(s->editable));
	if (s->templates != NULL)
		json_object_object_add(ctx, "templates", json_object_get(s->templates));

	/* A cancelled or expired request says so on every copy, also on
	 * the copies of those who had decided: their decision no longer
	 * stands for anything. */
	status = json_object_get_string(member(s->request, "status", json_type_string));
	if (status != NULL && strcmp(status, "Cancelled") == 0)
		*variant = HUB_SYNC_CANCELLED;
	else if (status != NULL && strcmp(status, "Expired") == 0)
		*variant = HUB_SYNC_EXPIRED;
	else
		*variant = hub_render_sync_pick(ctx);
	if (hub_render_sync(*variant, ctx, out) != HUB_RENDER_OK)
		goto out;
	/* What Slack will show: the blocks and the text, nothing else. */
	if ((blocks = hub_json_str(out->blocks, &blen)) == NULL ||
	    hub_buf_add(&b, blocks, blen) != HUB_BUF_OK || hub_buf_addc(&b, '\n') != HUB_BUF_OK ||
	    hub_buf_adds(&b, out->text) != HUB_BUF_OK)
		goto out;
	hub_sha256(b.data, b.len, md);
	hub_hex_encode(md, sizeof(md), hash);
	rc = 0;
out:
	hub_buf_release(&b);
	json_object_put(ctx);
	return rc;
}

/* Slack's answers that mean the message is not there to update. */
static int
gone_error(const char *e)
{
	static const char *const codes[] = { "message_not_found", "cant_update_message",
	    "channel_not_found", "is_archived" };
	size_t i;

	for (i = 0; i < HUB_NELEM(codes); i++)
		if (strcmp(e, codes[i]) == 0)
			return 1;
	return 0;
}

static void
mark(struct sync_run *s, int stmt, int i, const char *value, const char *shown)
{
	const char *params[6] = { s->req_id, PQgetvalue(s->copies, i, C_CONN),
	    PQgetvalue(s->copies, i, C_CHANNEL), PQgetvalue(s->copies, i, C_TS), value, shown };
	int rc;

	/* A lost mark costs one more chat.update later (or one more
	 * message_not_found), never a wrong message. */
	if ((rc = exec(s->env->db, stmt, params, NULL)) != HUB_DB_OK)
		hub_log(HUB_LOG_WARN, "sync_mark_failed", "request", s->req_id,
		    "error", hub_db_strerror(rc), NULL);
}

enum step_outcome { STEP_NEXT = 0, STEP_STOP };

/* What Slack's refusal of copy i's update means for the copy and the run. */
static enum step_outcome
slack_refused(struct sync_run *s, int i, const struct hub_conn *c,
    enum hub_render_sync variant, const struct hub_slack_result *res)
{
	const char *channel = PQgetvalue(s->copies, i, C_CHANNEL);
	enum step_outcome ret = STEP_NEXT;

	switch (res->cls) {
	case HUB_SLACK_RATELIMITED:
		if (res->status == 0) {
			/* Our bucket said later: what is done stays done, and
			 * this job carries on at its place in line. */
			s->defer_ms = res->wait_ms > 0 ? res->wait_ms : 1000;
		} else {
			s->retry = 1;
			s->retry_after = res->retry_after > 0 ? res->retry_after : 1;
			s->fail_code = "ratelimited";
		}
		ret = STEP_STOP;
		break;
	case HUB_SLACK_AUTH:
		/* connections.c has disabled it; its other copies are skipped */
		for (size_t k = 0; k < s->nconns; k++)
			if (strcmp(s->conns[k].id, c->id) == 0)
				s->conns[k].disabled = 1;
		hub_log(HUB_LOG_WARN, "sync_connection_disabled", "request", s->req_id,
		    "connection", c->id, "error", res->error, NULL);
		s->n.disabled++;
		break;
	case HUB_SLACK_TRANSIENT:
		s->retry = 1;
		if (res->error[0] != '\0') {
			snprintf(s->slack_code, sizeof(s->slack_code), "%s", res->error);
			s->fail_code = s->slack_code;
		} else
			s->fail_code = "transient";
		if (++s->transient >= SYNC_MAX_TRANSIENT)
			ret = STEP_STOP;
		break;
	default:
		if (gone_error(res->error)) {
			hub_log(HUB_LOG_INFO, "sync_copy_gone", "request", s->req_id,
			    "channel", channel, "error", res->error, NULL);
			mark(s, MS_MARK_GONE, i, res->error, NULL);
			s->n.gone++;
		} else {
			hub_log(HUB_LOG_ERROR, "sync_update_failed", "request", s->req_id,
			    "channel", channel, "variant", hub_render_sync_name(variant),
			    "error", res->error, "detail", res->detail, NULL);
			s->n.failed++;
			s->fail_code = "slack";
		}
		break;
	}
	return ret;
}

/*
 * Bring copy i up to date.  STEP_STOP ends the run (retry, go on later in the
 * same job, or shutdown); the run's fields say which.  Over 60 lines as one
 * ladder from the skips to Slack's answer, so that each copy is counted
 * exactly once (the counts are the job's report); what Slack's refusals
 * mean is slack_refused's.
 */
static enum step_outcome
sync_copy(struct sync_run *s, int i, struct hub_job_result *r)
{
	const char *channel = PQgetvalue(s->copies, i, C_CHANNEL);
	const char *ts = PQgetvalue(s->copies, i, C_TS);
	const char *type = PQgetvalue(s->copies, i, C_TYPE);
	const struct hub_conn *c;
	struct hub_render_out out;
	struct hub_slack_result res;
	enum hub_render_sync variant;
	char hash[2 * HUB_SHA256_LEN + 1], *shown;
	json_object *args = NULL;
	enum step_outcome ret = STEP_NEXT;
	int rc;

	memset(&out, 0, sizeof(out));
	hub_slack_result_init(&res);
	/* An incoming webhook gives no ts back: there is nothing to update. */
	if (strcmp(type, "SLACK_APP") != 0 || !cell_true(s->copies, i, C_TS_OK)) {
		s->n.webhook++;
		goto out;
	}
	if (cell_true(s->copies, i, C_DISABLED)) {
		s->n.disabled++;
		goto out;
	}
	if (render_copy(s, i, &out, hash, &variant) != 0) {
		hub_log(HUB_LOG_ERROR, "sync_render_failed", "request", s->req_id,
		    "channel", channel, NULL);
		s->n.failed++;
		s->fail_code = "render";
		goto out;
	}
	if (strcmp(hash, PQgetvalue(s->copies, i, C_SHOWN)) == 0) {
		s->n.unchanged++;
		goto out;
	}
	if ((c = conn_get(s, PQgetvalue(s->copies, i, C_CONN))) == NULL) {
		s->retry = 1;
		s->fail_code = "database";
		ret = STEP_STOP;
		goto out;
	}
	if (c->disabled) {
		s->n.disabled++;
		goto out;
	}
	if ((args = json_object_new_object()) == NULL) {
		s->retry = 1;
		ret = STEP_STOP;
		goto out;
	}
	json_object_object_add(args, "channel", json_object_new_string(channel));
	json_object_object_add(args, "ts", json_object_new_string(ts));
	json_object_object_add(args, "blocks", json_object_get(out.blocks));
	json_object_object_add(args, "text", json_object_new_string(out.text));

	/* Our own bucket's refusal is not slept out: the job is put back
	 * until our place in line (slack_refused sets defer_ms). */
	rc = hub_connections_call(s->env->db, &s->slack, c, "chat.update", channel, args, &res);
	if (rc == HUB_CONN_OK) {
		s->transient = 0;
		s->n.updated++;
		shown = hub_reqhistory_preview(out.blocks, out.text);
		mark(s, MS_MARK_SHOWN, i, hash, shown);
		free(shown);
		goto out;
	}
	if (rc == HUB_CONN_DISABLED) {
		s->n.disabled++;
		goto out;
	}
	if (rc == HUB_CONN_DB || rc == HUB_CONN_NOMEM) {
		s->retry = 1;
		s->fail_code = "database";
		ret = STEP_STOP;
		goto out;
	}
	if (rc != HUB_CONN_SLACK) {
		/* no token to open (SECRET_KEY changed?): nothing a retry fixes */
		hub_log(HUB_LOG_ERROR, "sync_update_failed", "request", s->req_id,
		    "channel", channel, "error", hub_conn_strerror(rc), NULL);
		s->n.failed++;
		s->fail_code = "connection";
		goto out;
	}
	ret = slack_refused(s, i, c, variant, &res);
out:
	json_object_put(args);
	hub_render_out_free(&out);
	hub_slack_result_free(&res);
	return ret;
}

/* ------------------------------------------------------------ after */

/* Home tabs stop listing a finished request.  Best effort: a tab that
 * misses this shows the truth the next time it is opened.  Done at the
 * first run of the sync that the finish queued (hub_job_sync), before the
 * cards: a card update waits its turn behind chat.update's rate limit, or
 * a retry, and the tabs need not.  Nothing else refreshes them for a
 * finish (a decision's note to the requester used to as well: two marks
 * of the same change, and often a second publish of the same view). */
static void
home_refresh(struct sync_run *s)
{
	struct hub_db *db = s->env->db;
	PGresult *res = s->home;
	int i, rc;

	if (res == NULL || PQntuples(res) == 0)
		return;
	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		goto fail;
	for (i = 0; i < PQntuples(res); i++) {
		rc = hub_home_enqueue(db, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		if (rc == HUB_HOME_INVALID)
			continue;	/* not a Slack id shape: nobody's tab */
		if (rc != HUB_HOME_OK) {
			hub_db_rollback(db);
			goto fail_home;
		}
	}
	if ((rc = hub_db_commit(db)) == HUB_DB_OK)
		return;
fail:
	if (hub_db_in_tx(db))
		hub_db_rollback(db);
	hub_log(HUB_LOG_WARN, "sync_home_failed", "request", s->req_id,
	    "error", hub_db_strerror(rc), NULL);
	return;
fail_home:
	hub_log(HUB_LOG_WARN, "sync_home_failed", "request", s->req_id,
	    "error", hub_home_strerror(rc), NULL);
}

static void
run_free(struct sync_run *s)
{
	json_object_put(s->request);
	json_object_put(s->templates);
	json_object_put(s->links);
	json_object_put(s->steps);
	json_object_put(s->asgs);
	PQclear(s->copies);
	PQclear(s->home);
	if (s->conns != NULL) {
		/* sealed secrets only, but no need to leave them around */
		memset(s->conns, 0, s->nconns * sizeof(*s->conns));
		free(s->conns);
	}
}

/* ------------------------------------------------------------ the job */

static void
run_init(struct sync_run *s, struct hub_job_env *env, const struct hub_job *job)
{
	memset(s, 0, sizeof(*s));
	s->env = env;
	s->job = job;
	s->defer_ms = -1;
	s->retry_after = -1;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	/* Stay well inside the lease: another worker takes the job after it. */
	s->budget_ms = (long)(env->lease_s > 20 ? env->lease_s - 10 : 10) * 1000;
	s->slack.http = env->http;
	s->slack.api_url = env->conf != NULL ? env->conf->slack_api_url : NULL;
	s->slack.keyring = env->keys;
}

/* Each copy in turn until all are done, the budget is spent or a copy
 * stops the run.  -1: shutdown gave the job back (r says so). */
static int
sync_copies(struct sync_run *s, struct hub_job_result *r)
{
	int i, n = PQntuples(s->copies);

	for (i = 0; i < n; i++) {
		if (*s->env->stop) {
			hub_job_result_set(r, HUB_JOB_RELEASE, "interrupted", NULL,
			    "interrupted by shutdown");
			return -1;
		}
		if (elapsed_ms(&s->start) >= s->budget_ms) {
			s->defer_ms = 0;
			break;
		}
		if (sync_copy(s, i, r) == STEP_STOP) {
			if (r->verdict == HUB_JOB_RELEASE)
				return -1;
			break;
		}
	}
	return 0;
}

/* The verdict once the copies are walked: retry what is left, carry on
 * later in the same job (put back, no attempt counted: a long sync or one
 * behind our rate limit is not failing), or done/failed with the counts. */
static void
run_verdict(struct sync_run *s, struct hub_job_result *r)
{
	char counts[SYNC_COUNTS_MAX];

	snprintf(counts, sizeof(counts), "%d updated, %d unchanged, %d webhook, %d disabled,"
	    " %d gone, %d failed", s->n.updated, s->n.unchanged, s->n.webhook, s->n.disabled,
	    s->n.gone, s->n.failed);
	if (s->retry) {
		hub_job_result_set(r, HUB_JOB_RETRY, s->fail_code && strcmp(s->fail_code,
		    "ratelimited") == 0 ? "ratelimited" : "retry",
		    s->fail_code ? s->fail_code : "retry", "%s; the rest later", counts);
		r->retry_after = s->retry_after;
		return;
	}
	if (s->defer_ms >= 0) {
		/* The lock goes when the job returns (hub_job_sync), before
		 * the job is put back: whoever takes it next finds it free. */
		hub_job_result_defer(r, s->defer_ms, s->defer_ms > 0 ? "rate limit" : "time budget");
		hub_job_result_append(r, "%s; the rest later", counts);
		return;
	}
	if (PQntuples(s->copies) == 0)
		hub_job_result_set(r, HUB_JOB_DONE, "synced", NULL, "no sent messages");
	else if (s->n.failed > 0)
		hub_job_result_set(r, HUB_JOB_FAIL, "failed", s->fail_code ? s->fail_code :
		    "failed", "%s", counts);
	else
		hub_job_result_set(r, HUB_JOB_DONE, "synced", NULL, "%s", counts);
	if (s->n.webhook > 0 || s->n.gone > 0)
		hub_log(HUB_LOG_INFO, "sync_skipped", "request", s->req_id, "counts", counts, NULL);
}

void
hub_job_sync(struct hub_job_env *env, const struct hub_job *job, struct hub_job_result *r)
{
	struct sync_run s;
	const char *params[1];
	int locked = 0, rc;

	run_init(&s, env, job);
	r->retry_after = -1;
	if (hub_json_get_string(job->payload, "request_id", SYNC_ID_MAX, &s.req_id) !=
	    HUB_JSON_OK) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: request_id is required");
		return;
	}
	rc = load_state(&s, &locked);
	/* Whatever the lock: the tabs do not need it, and a sync retried
	 * for it is not its first run any more. */
	home_refresh(&s);
	if (!locked && rc == HUB_DB_OK) {
		/* Waiting for the lock is not a failed attempt: give the job
		 * one more so a long sync ahead cannot use its attempts up. */
		(void)hub_job_grant_attempt(env->db, job);
		hub_job_result_set(r, HUB_JOB_RETRY, "busy", "busy",
		    "another sync of this request is running");
		r->retry_after = SYNC_LOCK_RETRY_S;
		goto out;
	}
	if (rc == HUB_DB_NOTFOUND) {
		hub_job_result_set(r, HUB_JOB_DONE, "gone", NULL,
		    "request not found (deleted?)");
		goto out;
	}
	if (rc != HUB_DB_OK)
		goto dberr;
	if (sync_copies(&s, r) == 0)
		run_verdict(&s, r);
	goto out;
dberr:
	hub_job_result_set(r, rc == HUB_DB_CHECK ? HUB_JOB_FAIL : HUB_JOB_RETRY, "database",
	    "database", "database: %s", hub_db_strerror(rc));
out:
	if (locked) {
		params[0] = s.req_id;
		(void)exec(env->db, MS_UNLOCK, params, NULL);
	}
	run_free(&s);
}

/* ------------------------------------------------------------ retention */

int
hub_msgsync_retention_sweep(struct hub_db *db, int *deleted)
{
	char batch[HUB_INT_TEXT_SIZE], days[HUB_INT_TEXT_SIZE];
	const char *params[2] = { batch, days };
	PGresult *res = NULL;
	int stmts[] = { MS_RETAIN_SENT, MS_RETAIN_CACHE };
	int total = 0, round, rc = HUB_DB_OK;
	long long n;
	size_t k;

	snprintf(batch, sizeof(batch), "%d", HUB_MSGSYNC_RETENTION_BATCH);
	/* settings.h knows the key's bounds and default (30 days). */
	snprintf(days, sizeof(days), "%ld", hub_settings_get_int(db, "retention.sent_messages_days"));
	for (k = 0; k < HUB_NELEM(stmts); k++) {
		for (round = 0; round < HUB_MSGSYNC_RETENTION_ROUNDS; round++) {
			if ((rc = exec(db, stmts[k], params, &res)) != HUB_DB_OK)
				goto out;
			n = count_of(res);
			PQclear(res);
			res = NULL;
			total += (int)n;
			if (n < HUB_MSGSYNC_RETENTION_BATCH)
				break;
		}
	}
out:
	if (deleted != NULL)
		*deleted = total;
	return map_db(rc);
}

const char *
hub_msgsync_strerror(int rc)
{
	static const char *const msgs[] = {
		[HUB_MSGSYNC_OK] = "ok",
		[HUB_MSGSYNC_DB] = "database error",
		[HUB_MSGSYNC_UNAVAILABLE] = "database unavailable",
	};

	return rc >= 0 && (size_t)rc < HUB_NELEM(msgs) ? msgs[rc] : "unknown error";
}

/* The worker's retention sweep (job.h): bounded batches, the rest waits
 * for the next sweep. */
int
hub_msgsync_sweep(struct hub_job_env *env)
{
	char gone[16];
	int deleted = 0, rc;

	rc = hub_msgsync_retention_sweep(env->db, &deleted);
	if (rc == HUB_MSGSYNC_UNAVAILABLE)
		return HUB_JOB_SWEEP_DB_DOWN;
	if (rc != HUB_MSGSYNC_OK)
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "retention",
		    "error", hub_msgsync_strerror(rc), NULL);
	if (deleted > 0) {
		snprintf(gone, sizeof(gone), "%d", deleted);
		hub_log(HUB_LOG_INFO, "sweep", "retention_deleted", gone, NULL);
	}
	return HUB_JOB_SWEEP_OK;
}
