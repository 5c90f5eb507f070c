/*
 * deliver.c - the notify job (deliver.h).
 *
 * One job = one notification for one assignment (or one request-level
 * notification).  The work is cut into messages; each message is an
 * intent row in delivery_log with a unique key made from the job's
 * generation, so a job run again after a crash, a lease loss or a retry
 * finds what was already sent and sends only the rest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "slack/connections.h"
#include "approval/decidelink.h"
#include "approval/outbound.h"
#include "notify/deliver.h"
#include "notify/reqhistory.h"
#include "approval/engine.h"
#include "slack/home.h"
#include "approval/intake.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/render.h"
#include "store/settings.h"
#include "slack/slackapi.h"
#include "notify/smtp.h"
#include "store/sqlfrag.h"

#define DL_KEY_MAX		300
#define DL_VALUE_MAX		324     /* approver values are <= 320 */
#define DL_MAX_BATCH		600     /* intake allows 500 approvers in all */
#define DL_MAX_WATCHERS		50
#define DL_GROUP_DM_MAX		8
#define DL_BUSY_RETRY_S		3       /* another job is posting the shared message */
#define DL_STALE_INTENT_S	600     /* an intent untouched this long has no live owner */
#define DL_HISTORY_BACK_S	60
#define DL_HISTORY_LIMIT	50
#define DL_JSON_MAX		(256 * 1024)

enum dl_stmt {
	DL_REQUEST,
	DL_STEP,
	DL_ASSIGNMENT,
	DL_BATCH,
	DL_STEP_PEOPLE,
	DL_GROUPS,
	DL_USER_EMAIL,
	DL_SET_SLACK_ID,
	DL_INTENT_CLAIM,
	DL_INTENT_GET,
	DL_INTENT_TAKE,
	DL_INTENT_DONE,
	DL_INTENT_ERROR,
	DL_SENT_INSERT,
	DL_LOG_ONCE,
	DL_HOME_USERS,
	DL_REQUESTER_EMAIL,
	DL_REQUESTER_SET,
	DL__MAX
};

static const struct hub_stmt dl_stmts[DL__MAX] = {
	/* $1 request id: the render context's request, then what delivery
	 * resolves with */
	[DL_REQUEST] = {
	    "SELECT json_build_object('id', r.id, 'title', r.title, 'status', r.status,"
	    "  'source', s.name, 'requester_name', r.requester_name,"
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
	/* $1 step id, $2 't' for delegates: the undecided approvers a shared
	 * message of the step speaks to */
	[DL_BATCH] = {
	    "SELECT a.id, a.approver_kind, a.approver_value, coalesce(a.slack_user_id, ''),"
	    " a.status, 0, coalesce(o.approver_value, '')"
	    " FROM assignments a LEFT JOIN assignments o ON o.id = a.delegate_of"
	    " WHERE a.step_id = $1::bigint AND a.status = 'pending'"
	    "  AND (a.delegate_of IS NOT NULL) = $2::boolean ORDER BY a.id", 2 },
	/* $1 step id: the approvers a deadline left undecided */
	[DL_STEP_PEOPLE] = {
	    "SELECT a.id, a.approver_kind, a.approver_value, coalesce(a.slack_user_id, ''),"
	    " a.status, 0, ''"
	    " FROM assignments a WHERE a.step_id = $1::bigint AND a.delegate_of IS NULL"
	    "  AND a.status IN ('pending', 'skipped') ORDER BY a.id", 1 },
	/* $1 request: which assignments came from which group */
	[DL_GROUPS] = {
	    "SELECT coalesce(detail->'groups', '[]')::text FROM audit_log"
	    " WHERE request_id = $1::uuid AND action = 'request.created' ORDER BY id LIMIT 1", 1 },
	[DL_USER_EMAIL] = {
	    "SELECT email FROM users WHERE slack_user_id = $1 AND email IS NOT NULL"
	    " AND NOT disabled LIMIT 1", 1 },
	/* The engine lets a Slack user decide for an email approver through
	 * the id the lookup found. */
	[DL_SET_SLACK_ID] = {
	    "UPDATE assignments SET slack_user_id = $2"
	    " WHERE id = $1::bigint AND slack_user_id IS DISTINCT FROM $2", 2 },
	/* The intent, committed on its own before anything is sent. */
	[DL_INTENT_CLAIM] = {
	    "INSERT INTO delivery_log (delivery_key, request_id, job_id, connection_id, kind,"
	    " transport, channel, recipient, assignment_id, covers, status, retries, preview)"
	    " VALUES ($1, $2::uuid, $3::bigint, $4::uuid, $5, $6, $7, $8, $9::bigint,"
	    "  $10::bigint[], 'sending', $11::integer, $12::jsonb)"
	    " ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING RETURNING id", 12 },
	/* $1 key, $2 our job */
	[DL_INTENT_GET] = {
	    "SELECT d.id, d.status, coalesce(d.ts, ''), coalesce(d.channel, ''),"
	    " coalesce(d.job_id = $2::bigint, false),"
	    " EXISTS (SELECT 1 FROM jobs j WHERE j.id = d.job_id"
	    "  AND j.state IN ('queued', 'running')),"
	    " extract(epoch FROM d.created_at)::bigint,"
	    " extract(epoch FROM now() - d.updated_at)::bigint,"
	    " coalesce(d.error_code, ''), coalesce(d.error_detail, ''), d.covers::text"
	    " FROM delivery_log d WHERE d.delivery_key = $1", 2 },
	/* $1 id, $2 job, $3 retries */
	[DL_INTENT_TAKE] = {
	    "UPDATE delivery_log SET job_id = $2::bigint, status = 'sending', retries = $3::integer"
	    " WHERE id = $1::bigint", 3 },
	/* $1 id, $2 ts, $3 channel, $4 thread_ts, $5 preview (NULL: keep) */
	[DL_INTENT_DONE] = {
	    "UPDATE delivery_log SET status = 'delivered', ts = $2, channel = coalesce($3, channel),"
	    " thread_ts = $4, error_code = NULL, error_detail = NULL,"
	    " preview = coalesce($5::jsonb, preview) WHERE id = $1::bigint", 5 },
	/* $1 id, $2 status, $3 code, $4 detail */
	[DL_INTENT_ERROR] = {
	    "UPDATE delivery_log SET status = $2, error_code = $3, error_detail = $4"
	    " WHERE id = $1::bigint", 4 },
	/* $1 request, $2 assignments ('{NULL}' for none), $3 connection,
	 * $4 channel, $5 ts, $6 thread_ts, $7 kind */
	[DL_SENT_INSERT] = {
	    "INSERT INTO sent_messages (request_id, assignment_id, connection_id, channel, ts,"
	    " thread_ts, kind)"
	    " SELECT $1::uuid, x, $3::uuid, $4, $5, $6, $7 FROM unnest($2::bigint[]) x"
	    " ON CONFLICT (connection_id, channel, ts, (coalesce(assignment_id, 0))) DO NOTHING", 7 },
	/* A row that records without sending (users_not_found, no recipient). */
	[DL_LOG_ONCE] = {
	    "INSERT INTO delivery_log (delivery_key, request_id, job_id, connection_id, kind,"
	    " transport, recipient, assignment_id, status, error_code, error_detail)"
	    " VALUES ($1, $2::uuid, $3::bigint, $4::uuid, $5, $6, $7, $8::bigint, 'failed', $9, $10)"
	    " ON CONFLICT (delivery_key) WHERE delivery_key IS NOT NULL DO NOTHING", 10 },
	/* $1 request, $2 position: the Slack users of a step */
	[DL_HOME_USERS] = {
	    "SELECT DISTINCT coalesce(a.slack_user_id, a.approver_value)"
	    " FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    " WHERE a.request_id = $1::uuid AND st.position = $2::integer"
	    "  AND (a.slack_user_id IS NOT NULL OR a.approver_kind = 'slack')", 2 },
	/* $1 request: a requester email not looked up yet */
	[DL_REQUESTER_EMAIL] = {
	    "SELECT requester_email FROM requests WHERE id = $1::uuid"
	    " AND requester_email IS NOT NULL AND requester_slack_resolved IS NULL", 1 },
	/* $1 request, $2 the Slack id ('' for none): what the engine's
	 * self-approval check compares approvers with (hub_is_requester) */
	[DL_REQUESTER_SET] = {
	    "UPDATE requests SET requester_slack_resolved = $2 WHERE id = $1::uuid", 2 },
};

static const struct hub_stmt_table dl_table = { "hubdlv", dl_stmts, DL__MAX };

/* What one send came to. */
enum uo {
	UO_OK = 0,
	UO_RETRY,	/* recorded in the job's result: try the job again */
	UO_FAIL,	/* recorded: permanent */
	UO_AUTH,	/* connection dead or disabled: reach them by email */
	UO_NOUSER,	/* the Slack user does not exist: fallback setting */
	UO_NOCONN,	/* no connection resolves at all: on record, fallback setting */
	UO_BUSY,	/* another job is sending this shared message */
};

/* How a person can be reached in Slack. */
enum reach {
	R_SLACK = 0,	/* p->slack holds the id */
	R_NAME,		/* plain webhook: named in the text only */
	R_NOUSER,
	R_AUTH,
	R_RETRY,	/* recorded */
	R_FAIL,		/* recorded */
};

struct person {
	int64_t	asg;                        /* 0: requester or watcher */
	char	kind[8];                    /* slack | email */
	char	value[DL_VALUE_MAX];
	char	slack[HUB_SLACK_ID_LEN];
	char	email[DL_VALUE_MAX];
	char	delegate_for[DL_VALUE_MAX];
	char	status[16];
	char	tag[32];                    /* key part: a12, req, w3 */
	int	from_lookup;                /* slack came from the email lookup */
};

struct intent {
	int64_t		id;
	char		status[16];
	char		ts[40];
	char		channel[80];
	int		mine;
	int		owner_live;
	long long	created;
	long long	age_s;
	char		code[64];
	char		detail[256];
	char		covers[4096];
};

struct post {
	char		 key[DL_KEY_MAX + 1];
	const char	*transport;     /* slack | webhook */
	const char	*target;        /* channel or user id; NULL for a webhook */
	const char	*thread_ts;
	const char	*kind;          /* delivery_log / sent_messages kind */
	const char	*recipient;
	int64_t		 asg;
	const int64_t	*covers;
	size_t		 ncovers;
	json_object	*blocks;        /* borrowed; NULL: text only */
	const char	*text;
	const char	*subject;       /* an email's, for its preview */
	char		 ts[40];
	char		 channel[80];
};

struct dl {
	struct hub_job_env		*env;
	const struct hub_job		*job;
	struct hub_job_result	*r;
	struct hub_slack		 sl;
	char		 req[HUB_ID_LEN];
	const char	*kind;
	enum hub_render_kind rk;
	int64_t		 asg;
	int		 step;
	char		 gen[32];
	char		 jobid[24];
	char		 step_id[24];
	long long	 deadline;
	int		 current_step;
	/* resolution inputs: step, request, source */
	char		 conn_ids[3][HUB_CONN_ID_LEN];
	char		 channels[3][80];
	char		 modes[3][16];
	struct hub_conn	 conn;
	int		 have_conn;
	char		 mode[16];
	char		 channel[80];
	char		 notfound[16];
	json_object	*ctx;          /* render context, changed per message */
	json_object	*watchers;
	/* the job's outcome, gathered over its messages */
	int		 retry;
	int		 retry_after;
	long		 defer_ms;     /* our own rate bucket said later: defer the job */
	int		 handed;       /* moved to the email lane: its emails go out there */
	int		 fail;
	int		 stop;         /* ratelimited or shutdown: send no more */
	int		 sent;
	int		 emailed;
	int		 logged;
	char		 code[32];
	char		 detail[256];
};

/* ------------------------------------------------------------ helpers */

static int
dq(struct dl *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &dl_table, stmt, p, res);
}

static long long
cell_ll(const PGresult *r, int row, int col)
{
	int64_t v = 0;

	(void)hub_db_get_int64(r, row, col, &v);
	return v;
}

/* Truncating copy: every destination is sized for what it holds. */
static void
copy(char *dst, size_t n, const char *src)
{
	size_t l = src != NULL ? strlen(src) : 0;

	if (l > n - 1)
		l = n - 1;

	if (l > 0)
		memcpy(dst, src, l);
	dst[l] = '\0';
}

static int
shutting_down(const struct dl *d)
{
	return d->env->stop != NULL && *d->env->stop;
}

/* A retry for the whole job; the shortest Retry-After asked wins. */
HUB_PRINTF(4, 5) static void
note_retry(struct dl *d, int after, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!d->retry || (after >= 0 && (d->retry_after < 0 || after < d->retry_after)))
		d->retry_after = after;
	d->retry = 1;
	copy(d->code, sizeof(d->code), code);
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

/*
 * A rate limit.  Our own bucket had no token: the job is deferred to its
 * place in line (ratelimit.h), no attempt spent and nothing slept, and
 * stops here.  Slack's own 429: a retry after its Retry-After.
 */
static void
note_limited(struct dl *d, const struct hub_slack_result *res, const char *what)
{
	if (strcmp(res->error, "local_ratelimit") == 0 && res->wait_ms > 0) {
		if (d->defer_ms == 0)
			d->defer_ms = res->wait_ms;
	} else
		note_retry(d, res->retry_after > 0 ? res->retry_after :
		    res->wait_ms > 0 ? (int)(res->wait_ms / 1000 + 1) : 1, "ratelimited",
		    "%s rate limited (connection \"%s\")", what, d->conn.name);
	d->stop = 1;
}

HUB_PRINTF(3, 4) static void
note_fail(struct dl *d, const char *code, const char *fmt, ...)
{
	va_list ap;

	d->fail = 1;
	if (d->retry)
		return;   /* the retry's reason stays on the job */
	copy(d->code, sizeof(d->code), code);
	va_start(ap, fmt);
	vsnprintf(d->detail, sizeof(d->detail), fmt, ap);
	va_end(ap);
}

static int
is_user_id(const char *s)
{
	return s != NULL && (s[0] == 'U' || s[0] == 'W');
}

static int
kind_shared(const struct dl *d)
{
	return d->rk == HUB_RENDER_CALL_FOR_ACTION || d->rk == HUB_RENDER_DELEGATE_CALL ||
	    d->rk == HUB_RENDER_REMINDER || d->rk == HUB_RENDER_MANUAL_REMINDER;
}

static int
kind_decides(const struct dl *d)
{
	return kind_shared(d) || d->rk == HUB_RENDER_APPROVER_ADDED;
}

/* "{1,2,3}" */
static int
covers_text(const int64_t *v, size_t n, struct hub_buf *b)
{
	size_t i;

	if (hub_buf_addc(b, '{') != HUB_BUF_OK)
		return -1;
	if (n == 0 && hub_buf_adds(b, "NULL") != HUB_BUF_OK)
		return -1;
	for (i = 0; i < n; i++)
		if (hub_buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]) != HUB_BUF_OK)
			return -1;
	return hub_buf_addc(b, '}') == HUB_BUF_OK ? 0 : -1;
}

static int
covers_has(const char *text, int64_t id)
{
	const char *s = text;
	char *end;
	long long v;

	while (*s != '\0') {
		if (*s < '0' || *s > '9') {
			s++;
			continue;
		}
		v = strtoll(s, &end, 10);
		if (v == id)
			return 1;
		s = end;
	}
	return 0;
}

/* A global setting (settings.h), or dflt when it is unset or unreadable. */
static const char *
setting(struct dl *d, const char *key, char *out, size_t n, const char *dflt)
{
	struct hub_buf v = HUB_BUF_INIT(256);

	copy(out, n, dflt);
	if (hub_settings_get(d->env->db, key, &v) == HUB_SETTINGS_OK && v.len > 0)
		copy(out, n, v.data);
	hub_buf_release(&v);
	return out;
}

static void
person_from_row(const PGresult *r, int i, struct person *p)
{
	memset(p, 0, sizeof(*p));
	p->asg = cell_ll(r, i, 0);
	copy(p->kind, sizeof(p->kind), PQgetvalue(r, i, 1));
	copy(p->value, sizeof(p->value), PQgetvalue(r, i, 2));
	copy(p->slack, sizeof(p->slack), PQgetvalue(r, i, 3));
	copy(p->status, sizeof(p->status), PQgetvalue(r, i, 4));
	copy(p->delegate_for, sizeof(p->delegate_for), PQgetvalue(r, i, 6));
	if (strcmp(p->kind, "slack") == 0)
		copy(p->slack, sizeof(p->slack), p->value);
	else
		copy(p->email, sizeof(p->email), p->value);
	snprintf(p->tag, sizeof(p->tag), "a%lld", (long long)p->asg);
}

static void
person_set(struct person *p, const char *kind, const char *value, const char *tag)
{
	memset(p, 0, sizeof(*p));
	copy(p->kind, sizeof(p->kind), kind);
	copy(p->value, sizeof(p->value), value);
	copy(p->tag, sizeof(p->tag), tag);
	if (strcmp(kind, "slack") == 0)
		copy(p->slack, sizeof(p->slack), value);
	else
		copy(p->email, sizeof(p->email), value);
}

/* An email for a Slack-id person, from the hub's users. */
static const char *
person_email(struct dl *d, struct person *p)
{
	const char *params[1];
	PGresult *res = NULL;

	if (p->email[0] != '\0' || strcmp(p->kind, "slack") != 0)
		return p->email[0] ? p->email : NULL;
	params[0] = p->value;
	if (dq(d, DL_USER_EMAIL, params, &res) == HUB_DB_OK && PQntuples(res) == 1)
		copy(p->email, sizeof(p->email), PQgetvalue(res, 0, 0));
	PQclear(res);
	return p->email[0] ? p->email : NULL;
}

static const char *
person_display(const struct person *p)
{
	return p->value;
}

/* ------------------------------------------------------------ context */

static int
jset(json_object *o, const char *k, json_object *v)
{
	if (v == NULL) {
		json_object_object_del(o, k);
		return 0;
	}
	return json_object_object_add(o, k, v);
}

static int
jset_str(json_object *o, const char *k, const char *v)
{
	if (v == NULL || *v == '\0') {
		json_object_object_del(o, k);
		return 0;
	}
	return json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *
links(struct dl *d)
{
	json_object *l = json_object_object_get(d->ctx, "links");

	if (l == NULL) {
		l = json_object_new_object();
		json_object_object_add(d->ctx, "links", l);
	}
	return l;
}

/* The decision link of one assignment (email, webhook buttons). */
static int
decide_link(struct dl *d, int64_t asg, struct hub_buf *out)
{
	const struct hub_conf *c = d->env->conf;

	if (c == NULL || !c->have_secret_key || c->public_url == NULL || asg <= 0)
		return -1;
	return hub_decidelink_make_url(c->secret_key, c->public_url, asg, d->req, time(NULL),
	    (time_t)d->deadline, out) == HUB_DECIDELINK_OK ? 0 : -1;
}

/* The context for one message: who it is for (NULL: shared), the mode,
 * mentions and the approvers a webhook post names (both borrowed), and
 * the decision link when the message should carry one (email only: a
 * webhook post is read by the whole channel). */
static int
ctx_for(struct dl *d, const struct person *p, const char *display, int webhook,
    json_object *mentions, json_object *approvers, int with_decide)
{
	struct hub_buf url = HUB_BUF_INIT(2048);
	json_object *a = NULL;
	int rc = -1;

	if (p != NULL || display != NULL) {
		if ((a = json_object_new_object()) == NULL)
			goto out;
		if (p != NULL && p->asg > 0)
			json_object_object_add(a, "id", json_object_new_int64(p->asg));
		if (p != NULL) {
			jset_str(a, "approver_kind", p->kind);
			jset_str(a, "approver_value", p->value);
			jset_str(a, "slack_user_id", p->slack);
			jset_str(a, "delegate_for", p->delegate_for);
			jset_str(a, "status", p->status);
		}
		jset_str(a, "display", display != NULL ? display : person_display(p));
	}
	if (jset(d->ctx, "assignment", a) != 0)
		goto out;
	a = NULL;
	/* An approver reads a request-level notification in words for them. */
	if (jset_str(d->ctx, "audience", p != NULL && p->asg > 0 ? "approver" : NULL) != 0)
		goto out;
	if (jset_str(d->ctx, "mode", webhook ? "webhook" : "app") != 0 ||
	    jset(d->ctx, "mentions", mentions ? json_object_get(mentions) : NULL) != 0 ||
	    jset(d->ctx, "approvers", approvers ? json_object_get(approvers) : NULL) != 0)
		goto out;
	if (with_decide && p != NULL && p->asg > 0 && kind_decides(d) &&
	    decide_link(d, p->asg, &url) == 0) {
		if (jset_str(links(d), "decide", hub_buf_str(&url)) != 0)
			goto out;
	} else
		json_object_object_del(links(d), "decide");
	rc = 0;
out:
	json_object_put(a);
	hub_buf_release(&url);
	return rc;
}

/* {"slack_user_ids": [], "names": []}: whom a webhook post asking to
 * decide names (render.h "approvers"); NULL when out of memory. */
static json_object *
approvers_new(void)
{
	json_object *o = json_object_new_object();

	if (o != NULL && (json_object_object_add(o, "slack_user_ids",
	    json_object_new_array()) != 0 || json_object_object_add(o, "names",
	    json_object_new_array()) != 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* p in the list: a mention when Slack knows them, else their name. */
static void
approvers_add(json_object *o, const struct person *p, int in_slack)
{
	json_object_array_add(json_object_object_get(o, in_slack ? "slack_user_ids" : "names"),
	    json_object_new_string(in_slack ? p->slack : person_display(p)));
}

static int
render(struct dl *d, enum hub_render_kind k, struct hub_render_out *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = hub_render(k, d->ctx, out)) != HUB_RENDER_OK) {
		hub_log(HUB_LOG_ERROR, "render_failed", "kind", hub_render_kind_name(k),
		    "error", hub_render_strerror(rc), NULL);
		if (rc == HUB_RENDER_NOMEM)
			note_retry(d, -1, "nomem", "out of memory rendering %s",
			    hub_render_kind_name(k));
		else
			note_fail(d, "render", "cannot render %s: %s", hub_render_kind_name(k),
			    hub_render_strerror(rc));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ intents */

static int
intent_get(struct dl *d, const char *key, struct intent *in)
{
	const char *p[2] = { key, d->jobid };
	PGresult *res = NULL;
	int rc;

	memset(in, 0, sizeof(*in));
	if ((rc = dq(d, DL_INTENT_GET, p, &res)) != HUB_DB_OK) {
		note_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return -1;
	}
	rc = PQntuples(res) == 1;
	if (rc) {
		in->id = cell_ll(res, 0, 0);
		copy(in->status, sizeof(in->status), PQgetvalue(res, 0, 1));
		copy(in->ts, sizeof(in->ts), PQgetvalue(res, 0, 2));
		copy(in->channel, sizeof(in->channel), PQgetvalue(res, 0, 3));
		in->mine = *PQgetvalue(res, 0, 4) == 't';
		in->owner_live = *PQgetvalue(res, 0, 5) == 't';
		in->created = cell_ll(res, 0, 6);
		in->age_s = cell_ll(res, 0, 7);
		copy(in->code, sizeof(in->code), PQgetvalue(res, 0, 8));
		copy(in->detail, sizeof(in->detail), PQgetvalue(res, 0, 9));
		copy(in->covers, sizeof(in->covers), PQgetvalue(res, 0, 10));
	}
	PQclear(res);
	return rc;
}

/* Insert the intent: 1 it is ours and new, 0 one exists (in filled),
 * -1 database trouble (recorded). */
static int
intent_claim(struct dl *d, struct post *po, struct intent *in)
{
	struct hub_buf cov = HUB_BUF_INIT(16384);
	const char *p[12];
	char asg[HUB_INT64_TEXT_SIZE], retries[HUB_INT_TEXT_SIZE], *preview = NULL;
	PGresult *res = NULL;
	int rc, ret = -1;

	snprintf(asg, sizeof(asg), "%lld", (long long)po->asg);
	snprintf(retries, sizeof(retries), "%d", d->job->attempts);
	if (covers_text(po->covers, po->ncovers, &cov) != 0) {
		note_retry(d, -1, "nomem", "out of memory");
		goto out;
	}
	p[0] = po->key;
	p[1] = d->req;
	p[2] = d->jobid;
	p[3] = d->have_conn && strcmp(po->transport, "email") != 0 ? d->conn.id : NULL;
	p[4] = po->kind;
	p[5] = po->transport;
	p[6] = po->target;
	p[7] = po->recipient;
	p[8] = po->asg > 0 ? asg : NULL;
	p[9] = po->ncovers > 0 ? hub_buf_str(&cov) : "{}";
	p[10] = retries;
	/* What the request page previews (notify/reqhistory.h). */
	if (strcmp(po->transport, "email") != 0)
		preview = hub_reqhistory_preview(po->blocks, po->text);
	p[11] = preview;
	if ((rc = dq(d, DL_INTENT_CLAIM, p, &res)) != HUB_DB_OK) {
		note_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		goto out;
	}
	if (PQntuples(res) == 1) {
		memset(in, 0, sizeof(*in));
		in->id = cell_ll(res, 0, 0);
		copy(in->status, sizeof(in->status), "sending");
		in->mine = 1;
		in->created = (long long)time(NULL);
		ret = 1;
	} else
		ret = intent_get(d, po->key, in) == 1 ? 0 : -1;
out:
	PQclear(res);
	hub_buf_release(&cov);
	free(preview);
	return ret;
}

static int
intent_take(struct dl *d, const struct intent *in)
{
	char id[HUB_INT64_TEXT_SIZE], retries[HUB_INT_TEXT_SIZE];
	const char *p[3] = { id, d->jobid, retries };
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)in->id);
	snprintf(retries, sizeof(retries), "%d", d->job->attempts);
	if ((rc = dq(d, DL_INTENT_TAKE, p, NULL)) != HUB_DB_OK) {
		note_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return -1;
	}
	return 0;
}

static void
intent_error(struct dl *d, int64_t intent, const char *status, const char *code,
    const char *detail)
{
	char id[HUB_INT64_TEXT_SIZE];
	const char *p[4] = { id, status, code, detail };

	snprintf(id, sizeof(id), "%lld", (long long)intent);
	if (dq(d, DL_INTENT_ERROR, p, NULL) != HUB_DB_OK)
		hub_log(HUB_LOG_WARN, "delivery_log_update_failed", "code", code, NULL);
}

/* Delivered: the ts on the intent and the sent_messages rows, together. */
static int
intent_done(struct dl *d, int64_t intent, struct post *po)
{
	struct hub_buf cov = HUB_BUF_INIT(16384);
	const char *p[7];
	char id[HUB_INT64_TEXT_SIZE], *preview = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)intent);
	if (covers_text(po->covers, po->ncovers, &cov) != 0) {
		hub_buf_release(&cov);
		note_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	if ((rc = hub_db_begin(d->env->db)) != HUB_DB_OK)
		goto fail;
	p[0] = id;
	p[1] = po->ts[0] ? po->ts : NULL;
	p[2] = po->channel[0] ? po->channel : NULL;
	p[3] = po->thread_ts;
	/* An email's subject is known once it was rendered. */
	p[4] = po->subject != NULL ? (preview = hub_reqhistory_email_preview(po->subject)) : NULL;
	if ((rc = dq(d, DL_INTENT_DONE, p, NULL)) != HUB_DB_OK)
		goto fail;
	if (po->ts[0] != '\0' && d->have_conn) {
		p[0] = d->req;
		p[1] = hub_buf_str(&cov);
		p[2] = d->conn.id;
		p[3] = po->channel;
		p[4] = po->ts;
		p[5] = po->thread_ts;
		p[6] = po->kind;
		if ((rc = dq(d, DL_SENT_INSERT, p, NULL)) != HUB_DB_OK)
			goto fail;
	}
	if ((rc = hub_db_commit(d->env->db)) != HUB_DB_OK)
		goto fail;
	hub_buf_release(&cov);
	free(preview);
	return 0;
fail:
	if (hub_db_in_tx(d->env->db))
		hub_db_rollback(d->env->db);
	hub_buf_release(&cov);
	free(preview);
	/* The message is out; the next run finds it by its key. */
	note_retry(d, -1, "database", "database after sending: %s", hub_db_strerror(rc));
	return -1;
}

/* A row for an admin without sending anything; once per key. */
static void
log_once(struct dl *d, const char *key, const char *kind, const char *transport,
    const char *recipient, int64_t asg, const char *code, const char *detail)
{
	const char *p[10];
	char a[HUB_INT64_TEXT_SIZE];
	int rc;

	snprintf(a, sizeof(a), "%lld", (long long)asg);
	p[0] = key;
	p[1] = d->req;
	p[2] = d->jobid;
	p[3] = d->have_conn ? d->conn.id : NULL;
	p[4] = kind;
	p[5] = transport;
	p[6] = recipient;
	p[7] = asg > 0 ? a : NULL;
	p[8] = code;
	p[9] = detail;
	if ((rc = dq(d, DL_LOG_ONCE, p, NULL)) != HUB_DB_OK)
		note_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
	else
		d->logged++;
}

/* ------------------------------------------------------------ Slack */

static void
slack_args_str(json_object *a, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(a, k, json_object_new_string(v));
}

/* The conversation a DM to a user id lives in. */
static int
im_channel(struct dl *d, const char *user, char *out, size_t n)
{
	struct hub_slack_result res;
	json_object *args = json_object_new_object(), *ch, *id;
	int rc, ret = -1;

	hub_slack_result_init(&res);
	if (args == NULL)
		return -1;
	slack_args_str(args, "users", user);
	rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "conversations.open", NULL,
	    args, &res);
	if (rc == HUB_CONN_OK && json_object_object_get_ex(res.resp, "channel", &ch) &&
	    json_object_object_get_ex(ch, "id", &id) &&
	    json_object_is_type(id, json_type_string)) {
		copy(out, n, json_object_get_string(id));
		ret = 0;
	} else if (rc == HUB_CONN_SLACK && (res.cls == HUB_SLACK_RATELIMITED ||
	    res.cls == HUB_SLACK_TRANSIENT))
		ret = -2;
	hub_slack_result_free(&res);
	json_object_put(args);
	return ret;
}

/*
 * Was the message with this key posted before the last run died?  Reads
 * the conversation from a minute before the intent.  1 found (po->ts,
 * po->channel set), 0 not there, -1 cannot tell now (retry recorded).
 */
static int
recover(struct dl *d, struct post *po, const struct intent *in)
{
	struct hub_slack_result res;
	json_object *args = NULL, *msgs, *m, *md, *pl, *k, *ts;
	char ch[80], oldest[32];
	size_t i, n;
	int rc, ret = 0;

	hub_slack_result_init(&res);
	copy(ch, sizeof(ch), in->channel[0] ? in->channel : po->target);
	if (is_user_id(ch)) {
		rc = im_channel(d, ch, ch, sizeof(ch));
		if (rc == -2) {
			note_retry(d, -1, "recover", "cannot open the DM to look for a lost post");
			return -1;
		}
		if (rc != 0)
			return 0;   /* no such DM: nothing was posted there */
	}
	snprintf(oldest, sizeof(oldest), "%lld.000000",
	    in->created > DL_HISTORY_BACK_S ? in->created - DL_HISTORY_BACK_S : 0);
	if ((args = json_object_new_object()) == NULL) {
		note_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	slack_args_str(args, "channel", ch);
	json_object_object_add(args, "include_all_metadata", json_object_new_boolean(1));
	json_object_object_add(args, "limit", json_object_new_int(DL_HISTORY_LIMIT));
	slack_args_str(args, "oldest", oldest);
	rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "conversations.history", ch,
	    args, &res);
	if (rc != HUB_CONN_OK) {
		if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_RATELIMITED) {
			note_limited(d, &res, "conversations.history");
			ret = -1;
		} else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_TRANSIENT) {
			note_retry(d, res.retry_after > 0 ? res.retry_after :
			    res.wait_ms > 0 ? (int)(res.wait_ms / 1000 + 1) : -1,
			    res.error[0] ? res.error : "recover",
			    "conversations.history: %s", res.error);
			ret = -1;
		}
		/* Anything else: the post below meets the same problem and
		 * reports it properly. */
		goto out;
	}
	if (!json_object_object_get_ex(res.resp, "messages", &msgs) ||
	    !json_object_is_type(msgs, json_type_array))
		goto out;
	n = json_object_array_length(msgs);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(msgs, i);
		if (!json_object_object_get_ex(m, "metadata", &md) ||
		    !json_object_object_get_ex(md, "event_payload", &pl) ||
		    !json_object_object_get_ex(pl, "key", &k) ||
		    !json_object_is_type(k, json_type_string) ||
		    strcmp(json_object_get_string(k), po->key) != 0 ||
		    !json_object_object_get_ex(m, "ts", &ts))
			continue;
		copy(po->ts, sizeof(po->ts), json_object_get_string(ts));
		copy(po->channel, sizeof(po->channel), ch);
		hub_log(HUB_LOG_INFO, "delivery_recovered", "key", po->key, NULL);
		ret = 1;
		break;
	}
out:
	json_object_put(args);
	hub_slack_result_free(&res);
	return ret;
}

/* Sort an error answer into an outcome, and say it on the intent. */
static enum uo
slack_error(struct dl *d, struct post *po, int64_t intent, int rc,
    const struct hub_slack_result *res)
{
	char detail[512];
	const char *code = res->error[0] ? res->error : "slack";
	int after;

	if (rc == HUB_CONN_DISABLED) {
		intent_error(d, intent, "failed", "connection_disabled",
		    "the connection is disabled; reaching the recipient by email");
		return UO_AUTH;
	}
	if (rc == HUB_CONN_DB) {
		intent_error(d, intent, "retrying", "database", "database error");
		note_retry(d, -1, "database", "database error before sending");
		return UO_RETRY;
	}
	if (rc != HUB_CONN_SLACK) {
		intent_error(d, intent, "failed", "connection", hub_conn_strerror(rc));
		note_fail(d, "connection", "connection: %s", hub_conn_strerror(rc));
		return UO_FAIL;
	}
	switch (res->cls) {
	case HUB_SLACK_RATELIMITED:
		after = res->retry_after > 0 ? res->retry_after :
		    res->wait_ms > 0 ? (int)(res->wait_ms / 1000 + 1) : 1;
		snprintf(detail, sizeof(detail), "Slack rate limit for connection \"%s\", "
		    "retrying after %d s", d->conn.name, after);
		intent_error(d, intent, "retrying", code, detail);
		note_limited(d, res, "chat.postMessage");
		return UO_RETRY;
	case HUB_SLACK_AUTH:
		snprintf(detail, sizeof(detail), "%s for connection \"%s\": %s; "
		    "reaching the recipient by email", code, d->conn.name, hub_slack_fix(code));
		intent_error(d, intent, "failed", code, detail);
		return UO_AUTH;
	case HUB_SLACK_NOT_FOUND_USER:
		intent_error(d, intent, "failed", code, hub_slack_fix(code));
		return UO_NOUSER;
	case HUB_SLACK_CHANNEL:
		/* A DM to a user id that does not exist answers channel_not_found. */
		if (po->target != NULL && is_user_id(po->target) && po->thread_ts == NULL) {
			intent_error(d, intent, "failed", code, hub_slack_fix("user_not_found"));
			return UO_NOUSER;
		}
		snprintf(detail, sizeof(detail), "%s in %s (connection \"%s\"): %s", code,
		    po->target ? po->target : "the webhook's channel", d->conn.name,
		    hub_slack_fix(code));
		intent_error(d, intent, "failed", code, detail);
		note_fail(d, code, "%s", detail);
		return UO_FAIL;
	case HUB_SLACK_TRANSIENT:
		snprintf(detail, sizeof(detail), "%s: %s", code, hub_slack_fix(code));
		intent_error(d, intent, "retrying", code, detail);
		note_retry(d, -1, code, "%s", detail);
		return UO_RETRY;
	case HUB_SLACK_INVALID:
		hub_log(HUB_LOG_ERROR, "slack_refused_message", "error", code,
		    "messages", res->detail, "key", po->key, NULL);
		/* FALLTHROUGH */
	default:
		snprintf(detail, sizeof(detail), "%s: %.120s%s%.100s", code, hub_slack_fix(code),
		    res->detail[0] ? " — " : "", res->detail);
		intent_error(d, intent, "failed", code, detail);
		note_fail(d, code, "%s", detail);
		return UO_FAIL;
	}
}

/* The outcome an intent that ended already stands for. */
static enum uo
replay(struct dl *d, const struct intent *in)
{
	switch (hub_slack_classify(in->code)) {
	case HUB_SLACK_AUTH:
		return UO_AUTH;
	case HUB_SLACK_NOT_FOUND_USER:
		return UO_NOUSER;
	default:
		break;
	}
	if (strcmp(in->code, "connection_disabled") == 0)
		return UO_AUTH;
	if (strcmp(in->code, "user_not_found") == 0 || strcmp(in->code, "channel_not_found") == 0)
		return UO_NOUSER;
	note_fail(d, in->code[0] ? in->code : "failed", "%s", in->detail[0] ? in->detail :
	    "an earlier attempt failed for good");
	return UO_FAIL;
}

/*
 * Send one Slack message exactly once (webhooks: at least once).  The
 * intent is committed before the post; a run that finds its own intent
 * without a ts looks for the message by key first.
 */
static enum uo
post_once(struct dl *d, struct post *po)
{
	struct hub_slack_result res;
	struct intent in;
	json_object *args = NULL, *md, *pl, *v;
	int fresh, rc, webhook = strcmp(po->transport, "webhook") == 0;
	enum uo out = UO_FAIL;

	hub_slack_result_init(&res);
	po->ts[0] = po->channel[0] = '\0';
	if ((fresh = intent_claim(d, po, &in)) < 0)
		return UO_RETRY;
	if (!fresh) {
		if (strcmp(in.status, "delivered") == 0) {
			copy(po->ts, sizeof(po->ts), in.ts);
			copy(po->channel, sizeof(po->channel), in.channel);
			return UO_OK;
		}
		if (!in.mine && in.owner_live && in.age_s < DL_STALE_INTENT_S &&
		    strcmp(in.status, "failed") != 0) {
			note_retry(d, DL_BUSY_RETRY_S, "busy", "another job is sending %s", po->key);
			return UO_BUSY;
		}
		if (strcmp(in.status, "failed") == 0)
			return replay(d, &in);
		if (intent_take(d, &in) != 0)
			return UO_RETRY;
		/* Posted before a crash or a lost answer?  A refusal by a
		 * rate limit certainly posted nothing. */
		if (!webhook && po->thread_ts == NULL && d->conn.type == HUB_CONN_SLACK_APP &&
		    strcmp(in.code, "ratelimited") != 0 && strcmp(in.code, "local_ratelimit") != 0) {
			rc = recover(d, po, &in);
			if (rc < 0)
				return UO_RETRY;
			if (rc == 1)
				return intent_done(d, in.id, po) == 0 ? UO_OK : UO_RETRY;
		}
	}
	if (shutting_down(d)) {
		d->stop = 1;
		return UO_RETRY;
	}

	if ((args = json_object_new_object()) == NULL)
		goto nomem;
	if (!webhook)
		slack_args_str(args, "channel", po->target);
	slack_args_str(args, "text", po->text);
	if (po->blocks != NULL)
		json_object_object_add(args, "blocks", json_object_get(po->blocks));
	if (po->thread_ts != NULL)
		slack_args_str(args, "thread_ts", po->thread_ts);
	if (!webhook) {
		json_object_object_add(args, "unfurl_links", json_object_new_boolean(0));
		json_object_object_add(args, "unfurl_media", json_object_new_boolean(0));
		if ((md = json_object_new_object()) == NULL ||
		    json_object_object_add(args, "metadata", md) != 0 ||
		    (pl = json_object_new_object()) == NULL)
			goto nomem;
		json_object_object_add(md, "event_type", json_object_new_string("hub_delivery"));
		json_object_object_add(md, "event_payload", pl);
		json_object_object_add(pl, "key", json_object_new_string(po->key));
		rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "chat.postMessage",
		    po->target, args, &res);
	} else
		rc = hub_connections_webhook_post(d->env->db, &d->sl, &d->conn, args, &res);

	if (rc == HUB_CONN_OK) {
		if (!webhook) {
			if (json_object_object_get_ex(res.resp, "ts", &v))
				copy(po->ts, sizeof(po->ts), json_object_get_string(v));
			if (json_object_object_get_ex(res.resp, "channel", &v))
				copy(po->channel, sizeof(po->channel), json_object_get_string(v));
		}
		out = intent_done(d, in.id, po) == 0 ? UO_OK : UO_RETRY;
		if (out == UO_OK)
			d->sent++;
	} else
		out = slack_error(d, po, in.id, rc, &res);
	goto done;
nomem:
	note_retry(d, -1, "nomem", "out of memory");
	out = UO_RETRY;
done:
	json_object_put(args);
	hub_slack_result_free(&res);
	return out;
}

/* ------------------------------------------------------------ email */

#define DL_EMAIL_LANE	"email"

/*
 * A slow SMTP server must not hold the places of the lane running us
 * (slack): in another lane than email, the job moves to the email lane
 * instead of sending, and goes on with its Slack messages; finish() then
 * defers it at once, and the email lane runs it again, the messages
 * already sent skipped by their intents.  1 when the email is not ours to
 * send here (handed over, or the move failed: a retry).
 */
static int
email_handover(struct dl *d)
{
	int rc;

	if (d->env->lane == NULL || strcmp(d->env->lane, DL_EMAIL_LANE) == 0)
		return 0;
	if (d->handed)
		return 1;
	if ((rc = hub_job_set_lane(d->env->db, d->job, DL_EMAIL_LANE)) != HUB_DB_OK) {
		note_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return 1;
	}
	d->handed = 1;
	return 1;
}

static enum uo
email_once(struct dl *d, struct person *p, enum hub_render_kind k)
{
	const struct hub_conf *c = d->env->conf;
	struct hub_render_out ro;
	struct intent in;
	struct post po;
	char err[HUB_SMTP_ERR_MAX], key[DL_KEY_MAX + 1];
	int fresh, rc;
	enum uo out = UO_FAIL;

	memset(&ro, 0, sizeof(ro));
	memset(&po, 0, sizeof(po));
	snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:email", d->req, p->tag, d->kind, d->gen);
	copy(po.key, sizeof(po.key), key);
	po.transport = "email";
	po.kind = hub_render_kind_name(k);
	po.recipient = p->email;
	po.asg = p->asg;
	if (email_handover(d))
		return UO_RETRY;
	if ((fresh = intent_claim(d, &po, &in)) < 0)
		return UO_RETRY;
	if (!fresh) {
		if (strcmp(in.status, "delivered") == 0)
			return UO_OK;
		if (!in.mine && in.owner_live && in.age_s < DL_STALE_INTENT_S &&
		    strcmp(in.status, "failed") != 0) {
			note_retry(d, DL_BUSY_RETRY_S, "busy", "another job is sending %s", key);
			return UO_BUSY;
		}
		if (strcmp(in.status, "failed") == 0) {
			note_fail(d, in.code, "%s", in.detail);
			return UO_FAIL;
		}
		if (intent_take(d, &in) != 0)
			return UO_RETRY;
	}
	if (c == NULL || c->smtp_url == NULL || c->smtp_from == NULL) {
		intent_error(d, in.id, "failed", "no_smtp",
		    "SMTP_URL and SMTP_FROM are needed to reach people by email");
		note_fail(d, "no_smtp", "no SMTP server configured for %s", p->tag);
		return UO_FAIL;
	}
	if (ctx_for(d, p, NULL, 0, NULL, NULL, 1) != 0) {
		note_retry(d, -1, "nomem", "out of memory");
		return UO_RETRY;
	}
	if (render(d, k, &ro) != 0) {
		intent_error(d, in.id, "failed", "render", "cannot render the email");
		return d->retry ? UO_RETRY : UO_FAIL;
	}
	err[0] = '\0';
	po.subject = ro.email_subject;
	rc = hub_smtp_send(c->smtp_url, c->smtp_from, p->email, ro.email_subject,
	    ro.email_text, ro.email_html, err, sizeof(err));
	switch (rc) {
	case HUB_SMTP_OK:
		out = intent_done(d, in.id, &po) == 0 ? UO_OK : UO_RETRY;
		if (out == UO_OK)
			d->emailed++;
		break;
	case HUB_SMTP_TRANSIENT:
	case HUB_SMTP_NOMEM:
		intent_error(d, in.id, "retrying", "smtp_transient", err);
		note_retry(d, -1, "smtp_transient", "email: %s", err);
		out = UO_RETRY;
		break;
	default:
		intent_error(d, in.id, "failed", rc == HUB_SMTP_PERMANENT ? "smtp_permanent" :
		    "smtp_invalid", err);
		note_fail(d, rc == HUB_SMTP_PERMANENT ? "smtp_permanent" : "smtp_invalid",
		    "email: %s", err);
		out = UO_FAIL;
		break;
	}
	hub_render_out_free(&ro);
	return out;
}

/* The email form of a notification: a call for action to someone Slack
 * does not know is the external approver's. */
static enum hub_render_kind
email_kind(const struct dl *d, const struct person *p)
{
	if (d->rk == HUB_RENDER_CALL_FOR_ACTION && strcmp(p->kind, "email") == 0)
		return HUB_RENDER_EXTERNAL_APPROVER;
	return d->rk;
}

/*
 * Slack cannot reach p: why is UO_NOUSER (not in the workspace), UO_AUTH
 * (the connection is dead or disabled) or UO_NOCONN (no connection at
 * all).  Without a connection the failed Slack delivery is always on
 * record with the fix, whatever the setting: it is the admin's to mend.
 */
static void
fallback(struct dl *d, struct person *p, enum uo why)
{
	char key[DL_KEY_MAX + 1], detail[512];
	const char *email;

	if (why == UO_NOUSER && p->from_lookup && d->have_conn)
		hub_slack_cache_drop(d->env->db, &d->conn, p->email);
	email = person_email(d, p);
	if (why == UO_NOCONN) {
		snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:noconn", d->req, p->tag, d->kind,
		    d->gen);
		snprintf(detail, sizeof(detail), "No Slack connection for this request "
		    "(step, request, source or default); %s. %s", strcmp(d->notfound, "EMAIL") != 0 ?
		    "not notified (delivery.user_not_found)" : email != NULL ? "falling back to email" :
		    "no email address to fall back to", hub_slack_fix("no_connection"));
		log_once(d, key, d->kind, "slack", p->value, p->asg, "no_connection", detail);
		if (strcmp(d->notfound, "EMAIL") != 0 || email == NULL)
			return;
		(void)email_once(d, p, email_kind(d, p));
		return;
	}
	snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:fallback", d->req, p->tag, d->kind,
	    d->gen);
	if (why == UO_NOUSER && strcmp(d->notfound, "SKIP") == 0) {
		hub_log(HUB_LOG_INFO, "delivery_skipped", "request", d->req, "recipient", p->tag,
		    "why", "users_not_found", NULL);
		return;
	}
	if (why == UO_NOUSER && strcmp(d->notfound, "LOG_ONLY") == 0) {
		snprintf(detail, sizeof(detail), "%.120s is not in Slack workspace \"%.60s\"; not "
		    "notified (delivery.user_not_found = LOG_ONLY)", p->value, d->conn.name);
		log_once(d, key, d->kind, "slack", p->value, p->asg, "users_not_found", detail);
		return;
	}
	if (email == NULL) {
		snprintf(detail, sizeof(detail), "%.120s cannot be reached in Slack (%s) and has no "
		    "email address", p->value, why == UO_AUTH ? "connection unusable" :
		    "not in the workspace");
		log_once(d, key, d->kind, "slack", p->value, p->asg,
		    why == UO_AUTH ? "connection_disabled" : "users_not_found", detail);
		return;
	}
	(void)email_once(d, p, email_kind(d, p));
}

/* ------------------------------------------------------------ people */

static enum reach
resolve(struct dl *d, struct person *p)
{
	struct hub_slack_result res;
	char id[HUB_SLACK_ID_LEN], asg[HUB_INT64_TEXT_SIZE];
	const char *params[2];
	int rc;
	enum reach out;

	if (p->slack[0] != '\0')
		return R_SLACK;
	if (!d->have_conn || d->conn.disabled)
		return R_AUTH;
	if (d->conn.type == HUB_CONN_INCOMING_WEBHOOK)
		return R_NAME;
	hub_slack_result_init(&res);
	rc = hub_slack_lookup_email(d->env->db, &d->sl, &d->conn, p->email, id, &res);
	switch (rc) {
	case HUB_CONN_OK:
		copy(p->slack, sizeof(p->slack), id);
		p->from_lookup = 1;
		if (p->asg > 0) {
			snprintf(asg, sizeof(asg), "%lld", (long long)p->asg);
			params[0] = asg;
			params[1] = id;
			(void)dq(d, DL_SET_SLACK_ID, params, NULL);
		}
		out = R_SLACK;
		break;
	case HUB_CONN_NOTFOUND:
		/* The cache now holds this "not found" for an hour: there is
		 * no user id to forget (from_lookup stays 0). */
		out = R_NOUSER;
		break;
	case HUB_CONN_DISABLED:
		out = R_AUTH;
		break;
	case HUB_CONN_SLACK:
		if (res.cls == HUB_SLACK_RATELIMITED) {
			note_limited(d, &res, "users.lookupByEmail");
			out = R_RETRY;
		} else if (res.cls == HUB_SLACK_AUTH)
			out = R_AUTH;
		else if (res.cls == HUB_SLACK_NOT_FOUND_USER)
			out = R_NOUSER;
		else if (res.cls == HUB_SLACK_TRANSIENT) {
			note_retry(d, -1, res.error, "users.lookupByEmail: %s", res.error);
			out = R_RETRY;
		} else {
			note_fail(d, res.error, "users.lookupByEmail: %s: %s", res.error,
			    hub_slack_fix(res.error));
			out = R_FAIL;
		}
		break;
	case HUB_CONN_DB:
		note_retry(d, -1, "database", "database during lookup");
		out = R_RETRY;
		break;
	default:
		note_fail(d, "lookup", "lookup: %s", hub_conn_strerror(rc));
		out = R_FAIL;
		break;
	}
	hub_slack_result_free(&res);
	return out;
}

/* After resolve(): the person's own fallback when Slack cannot reach them.
 * 1 when handled here (nothing to post to them). */
static int
unreachable(struct dl *d, struct person *p, enum reach r)
{
	switch (r) {
	case R_NOUSER:
		fallback(d, p, UO_NOUSER);
		return 1;
	case R_AUTH:
		fallback(d, p, UO_AUTH);
		return 1;
	case R_RETRY:
	case R_FAIL:
		return 1;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ messages */

/* One message to one person: their DM, or (channel) a post naming them. */
static void
to_one(struct dl *d, struct person *p, const char *where, int webhook)
{
	struct hub_render_out ro;
	struct post po;
	json_object *ids = NULL, *who = NULL;
	enum reach r = resolve(d, p);
	enum uo u;
	int rc;

	if (unreachable(d, p, r))
		return;
	memset(&po, 0, sizeof(po));
	/* a webhook post asking to decide names its approver instead */
	if (webhook && kind_decides(d)) {
		if ((who = approvers_new()) != NULL)
			approvers_add(who, p, r == R_SLACK);
	} else if (where != NULL && r == R_SLACK && (ids = json_object_new_array()) != NULL)
		json_object_array_add(ids, json_object_new_string(p->slack));
	rc = webhook && kind_decides(d) && who == NULL ? -1 :
	    ctx_for(d, p, NULL, webhook, ids, who, 0);
	json_object_put(ids);
	json_object_put(who);
	if (rc != 0) {
		note_retry(d, -1, "nomem", "out of memory");
		return;
	}
	if (render(d, d->rk, &ro) != 0)
		return;
	snprintf(po.key, sizeof(po.key), "notify:%s:%s:%s:%s:%s", d->req, p->tag, d->kind,
	    d->gen, webhook ? "webhook" : where != NULL ? "channel" : "dm");
	po.transport = webhook ? "webhook" : "slack";
	po.target = webhook ? NULL : where != NULL ? where : p->slack;
	po.kind = d->kind;
	po.recipient = p->value;
	po.asg = p->asg;
	po.covers = p->asg > 0 ? &p->asg : NULL;
	po.ncovers = p->asg > 0 ? 1 : 0;
	po.blocks = ro.blocks;
	po.text = ro.text;
	u = post_once(d, &po);
	hub_render_out_free(&ro);
	if (u == UO_AUTH || u == UO_NOUSER)
		fallback(d, p, u);
}

/* What a shared message's intent says about `me`. */
enum shared_state { SH_GO = 0, SH_DONE, SH_ALONE, SH_WAIT };

static enum shared_state
shared_state(struct dl *d, const char *key, struct person *me)
{
	struct intent in;
	int rc = intent_get(d, key, &in);

	if (rc < 0)
		return SH_WAIT;
	if (rc == 0)
		return SH_GO;
	if (strcmp(in.status, "delivered") == 0)
		return covers_has(in.covers, me->asg) ? SH_DONE : SH_ALONE;
	if (strcmp(in.status, "failed") == 0) {
		switch (replay(d, &in)) {
		case UO_AUTH:
			fallback(d, me, UO_AUTH);
			return SH_DONE;
		case UO_NOUSER:
			return SH_ALONE;
		default:
			return SH_DONE;   /* the failure is recorded on the job */
		}
	}
	if (!in.mine && in.owner_live && in.age_s < DL_STALE_INTENT_S) {
		note_retry(d, DL_BUSY_RETRY_S, "busy", "another job is sending %s", key);
		return SH_WAIT;
	}
	return SH_GO;
}

struct batch {
	struct person	*p;
	size_t		 n;
};

static void
batch_free(struct batch *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

static int
batch_load(struct dl *d, int stmt, int delegates, struct batch *b)
{
	const char *p[2] = { d->step_id, delegates ? "t" : "f" };
	PGresult *res = NULL;
	int rc, i, n;

	memset(b, 0, sizeof(*b));
	if ((rc = dq(d, stmt, p, &res)) != HUB_DB_OK) {
		note_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return -1;
	}
	n = PQntuples(res);
	if (n > DL_MAX_BATCH)
		n = DL_MAX_BATCH;
	if (n > 0 && (b->p = calloc((size_t)n, sizeof(*b->p))) == NULL) {
		PQclear(res);
		note_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		person_from_row(res, i, &b->p[b->n++]);
	PQclear(res);
	return 0;
}

/* Keep the people of the batch whose assignment id is in ids (a JSON array
 * of group members), or, with ids NULL, those in no group (excl). */
static void
batch_filter(struct batch *b, json_object *ids, json_object *excl)
{
	size_t i, j, k, out = 0;
	json_object *m, *v;
	int keep;

	for (i = 0; i < b->n; i++) {
		json_object *list = ids != NULL ? ids : excl;

		keep = ids == NULL;
		for (j = 0; list != NULL && j < json_object_array_length(list); j++) {
			m = json_object_array_get_idx(list, j);
			if (json_object_is_type(m, json_type_array)) {
				for (k = 0; k < json_object_array_length(m); k++) {
					v = json_object_array_get_idx(m, k);
					if (json_object_get_int64(v) == b->p[i].asg)
						keep = ids != NULL;
				}
			} else if (json_object_get_int64(m) == b->p[i].asg)
				keep = ids != NULL;
		}
		if (keep)
			b->p[out++] = b->p[i];
	}
	b->n = out;
}

/*
 * The shared message of a step (channel post, webhook post, group DM):
 * resolve the batch, post once for all Slack-reachable people in it,
 * mention batches past the first as thread replies.  me is the job's own
 * assignment; only its fallback is this job's business.
 */
static void
shared_post(struct dl *d, struct person *me, const char *key, struct batch *b,
    const char *target, int webhook)
{
	struct hub_render_out ro;
	struct hub_buf names = HUB_BUF_INIT(3000);
	struct post po;
	json_object *ids = NULL, *batches = NULL, *who = NULL;
	int64_t *cov = NULL;
	size_t i, nc = 0;
	int me_in = 0, me_seen = 0;
	enum reach r, mine = R_FAIL;
	enum uo u;

	memset(&ro, 0, sizeof(ro));
	if ((ids = json_object_new_array()) == NULL ||
	    (webhook && (who = approvers_new()) == NULL) ||
	    (cov = calloc(b->n + 1, sizeof(*cov))) == NULL) {
		note_retry(d, -1, "nomem", "out of memory");
		goto out;
	}
	for (i = 0; i < b->n && !d->stop && !shutting_down(d); i++) {
		r = resolve(d, &b->p[i]);
		if (b->p[i].asg == me->asg) {
			me_seen = 1;
			mine = r;
			*me = b->p[i];
		}
		if (r == R_SLACK) {
			json_object_array_add(ids, json_object_new_string(b->p[i].slack));
			cov[nc++] = b->p[i].asg;
		} else if (r == R_NAME) {
			if (names.len > 0)
				hub_buf_adds(&names, ", ");
			hub_buf_adds(&names, b->p[i].value);
			cov[nc++] = b->p[i].asg;
		}
		if (b->p[i].asg == me->asg && (r == R_SLACK || r == R_NAME))
			me_in = 1;
		/* a webhook post names everyone it asks; each is emailed
		 * their own link (to_approver), also those Slack does not know */
		if (who != NULL && (r == R_SLACK || r == R_NAME || r == R_NOUSER))
			approvers_add(who, &b->p[i], r == R_SLACK);
	}
	if (d->stop || shutting_down(d))
		goto out;
	if (!me_seen)
		mine = resolve(d, me);
	if (nc == 0) {
		(void)unreachable(d, me, mine);
		goto out;
	}
	if (ctx_for(d, nc == 1 && me_in ? me : NULL, names.len > 0 && !(nc == 1 && me_in) ?
	    hub_buf_str(&names) : NULL, webhook, webhook ? NULL : ids, who, 0) != 0) {
		note_retry(d, -1, "nomem", "out of memory");
		goto out;
	}
	if (render(d, d->rk, &ro) != 0)
		goto out;
	memset(&po, 0, sizeof(po));
	copy(po.key, sizeof(po.key), key);
	po.transport = webhook ? "webhook" : "slack";
	po.target = webhook ? NULL : target;
	po.kind = d->kind;
	po.recipient = target != NULL ? target : "webhook";
	po.asg = nc == 1 ? cov[0] : 0;
	po.covers = cov;
	po.ncovers = nc;
	po.blocks = ro.blocks;
	po.text = ro.text;
	u = post_once(d, &po);
	if (u == UO_AUTH) {
		fallback(d, me, UO_AUTH);
		goto out;
	}
	if (u != UO_OK)
		goto out;
	/* Mentions past the first 50: thread replies (Slack apps only). */
	if (!webhook && po.ts[0] != '\0' &&
	    hub_render_mentions(ids, HUB_RENDER_APP, &batches) == HUB_RENDER_OK) {
		char parent[40];

		copy(parent, sizeof(parent), po.ts);
		for (i = 1; i < json_object_array_length(batches) && !d->stop; i++) {
			struct post t;

			memset(&t, 0, sizeof(t));
			snprintf(t.key, sizeof(t.key), "%s:t%zu", key, i);
			t.transport = "slack";
			t.target = po.channel[0] ? po.channel : target;
			t.thread_ts = parent;
			t.kind = "mention_batch";
			t.recipient = t.target;
			t.text = json_object_get_string(json_object_array_get_idx(batches, i));
			if (post_once(d, &t) != UO_OK)
				break;
		}
	}
	if (!me_in)
		(void)unreachable(d, me, mine);
out:
	hub_render_out_free(&ro);
	json_object_put(ids);
	json_object_put(who);
	json_object_put(batches);
	hub_buf_release(&names);
	free(cov);
}

static int
is_delegate_kind(const struct dl *d)
{
	return d->rk == HUB_RENDER_DELEGATE_CALL;
}

/* Channel (or webhook) post for the step, once; me alone when it went out
 * before me. */
static void
to_channel(struct dl *d, struct person *me, int webhook)
{
	struct batch b;
	char key[DL_KEY_MAX + 1];

	if (!kind_shared(d) || me->asg <= 0) {
		to_one(d, me, webhook ? "webhook" : d->channel, webhook);
		return;
	}
	snprintf(key, sizeof(key), "notify:%s:s%d:%s:%s:%s", d->req, d->step, d->kind, d->gen,
	    webhook ? "webhook" : "channel");
	switch (shared_state(d, key, me)) {
	case SH_DONE:
	case SH_WAIT:
		return;
	case SH_ALONE:
		to_one(d, me, webhook ? "webhook" : d->channel, webhook);
		return;
	case SH_GO:
		break;
	}
	if (batch_load(d, DL_BATCH, is_delegate_kind(d), &b) != 0)
		return;
	shared_post(d, me, key, &b, webhook ? NULL : d->channel, webhook);
	batch_free(&b);
}

/* The group an assignment came from, in request.created's audit detail:
 * the members' assignment ids (an array the caller puts), its index; NULL
 * when none; *all collects every grouped id of the step. */
static json_object *
group_of(struct dl *d, int64_t asg, int *index, json_object **all)
{
	const char *p[1] = { d->req };
	PGresult *res = NULL;
	json_object *groups = NULL, *g, *members, *m, *id, *mine = NULL, *ids;
	size_t i, j;

	*all = json_object_new_array();
	if (dq(d, DL_GROUPS, p, &res) != HUB_DB_OK || PQntuples(res) != 1 ||
	    hub_json_parse(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), DL_JSON_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &groups) != HUB_JSON_OK ||
	    !json_object_is_type(groups, json_type_array))
		goto out;
	for (i = 0; i < json_object_array_length(groups); i++) {
		g = json_object_array_get_idx(groups, i);
		if (!json_object_object_get_ex(g, "step_id", &id) ||
		    json_object_get_int64(id) != strtoll(d->step_id, NULL, 10) ||
		    !json_object_object_get_ex(g, "members", &members) ||
		    !json_object_is_type(members, json_type_array))
			continue;
		if ((ids = json_object_new_array()) == NULL)
			goto out;
		for (j = 0; j < json_object_array_length(members); j++) {
			m = json_object_array_get_idx(members, j);
			if (json_object_object_get_ex(m, "assignment_id", &id))
				json_object_array_add(ids, json_object_new_int64(
				    json_object_get_int64(id)));
		}
		if (mine == NULL && covers_has(json_object_to_json_string(ids), asg)) {
			mine = json_object_get(ids);
			*index = (int)i;
		}
		json_object_array_add(*all, ids);
	}
out:
	json_object_put(groups);
	PQclear(res);
	return mine;
}

/* Group DM: the undecided approvers of my group (or the step's ungrouped
 * ones), 2..8 of them reachable in Slack, share one mpim message. */
static void
to_group(struct dl *d, struct person *me)
{
	struct hub_slack_result res;
	struct hub_buf users = HUB_BUF_INIT(512);
	struct batch b;
	json_object *members, *all = NULL, *args = NULL, *ch, *id;
	char key[DL_KEY_MAX + 1], mpim[80] = "";
	size_t i, reach = 0;
	int gi = -1, rc;

	hub_slack_result_init(&res);
	if (!kind_shared(d) || me->asg <= 0) {
		to_one(d, me, NULL, 0);
		return;
	}
	members = group_of(d, me->asg, &gi, &all);
	if (gi >= 0)
		snprintf(key, sizeof(key), "notify:%s:s%d:%s:%s:group%d", d->req, d->step, d->kind,
		    d->gen, gi);
	else
		snprintf(key, sizeof(key), "notify:%s:s%d:%s:%s:group", d->req, d->step, d->kind,
		    d->gen);
	switch (shared_state(d, key, me)) {
	case SH_DONE:
	case SH_WAIT:
		goto out0;
	case SH_ALONE:
		to_one(d, me, NULL, 0);
		goto out0;
	case SH_GO:
		break;
	}
	if (batch_load(d, DL_BATCH, is_delegate_kind(d), &b) != 0)
		goto out0;
	batch_filter(&b, members, members == NULL ? all : NULL);
	for (i = 0; i < b.n && !d->stop; i++)
		if (resolve(d, &b.p[i]) == R_SLACK) {
			if (reach < DL_GROUP_DM_MAX + 1)
				hub_buf_printf(&users, "%s%s", reach ? "," : "", b.p[i].slack);
			reach++;
		}
	if (d->stop)
		goto out;
	if (reach < 2 || reach > DL_GROUP_DM_MAX) {
		/* Too small for a group, or too big for an mpim. */
		if (reach > DL_GROUP_DM_MAX && d->channel[0] != '\0')
			to_channel(d, me, 0);
		else
			to_one(d, me, NULL, 0);
		goto out;
	}
	if ((args = json_object_new_object()) == NULL) {
		note_retry(d, -1, "nomem", "out of memory");
		goto out;
	}
	slack_args_str(args, "users", hub_buf_str(&users));
	rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "conversations.open", NULL,
	    args, &res);
	if (rc == HUB_CONN_OK && json_object_object_get_ex(res.resp, "channel", &ch) &&
	    json_object_object_get_ex(ch, "id", &id))
		copy(mpim, sizeof(mpim), json_object_get_string(id));
	else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_RATELIMITED) {
		note_limited(d, &res, "conversations.open");
		goto out;
	} else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_TRANSIENT) {
		note_retry(d, -1, res.error, "conversations.open: %s", res.error);
		goto out;
	} else if (rc == HUB_CONN_DISABLED || (rc == HUB_CONN_SLACK &&
	    res.cls == HUB_SLACK_AUTH)) {
		fallback(d, me, UO_AUTH);
		goto out;
	}
	if (mpim[0] == '\0') {
		/* A member Slack refuses in a group: everyone on their own. */
		hub_log(HUB_LOG_WARN, "group_dm_refused", "error", res.error, NULL);
		to_one(d, me, NULL, 0);
		goto out;
	}
	shared_post(d, me, key, &b, mpim, 0);
out:
	batch_free(&b);
out0:
	json_object_put(args);
	json_object_put(members);
	json_object_put(all);
	hub_buf_release(&users);
	hub_slack_result_free(&res);
}

/* A webhook post is read by the whole channel, so an approver's decision
 * link reaches them alone, by email (the email form of the notification,
 * as for someone Slack cannot reach; the same key, so never twice).  No
 * address known: a failed delivery_log row tells the admin. */
static void
personal_link(struct dl *d, struct person *p)
{
	char key[DL_KEY_MAX + 1], detail[512];

	if (person_email(d, p) != NULL) {
		(void)email_once(d, p, email_kind(d, p));
		return;
	}
	snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:noemail", d->req, p->tag, d->kind,
	    d->gen);
	snprintf(detail, sizeof(detail), "%.120s has no email address in the hub, so the "
	    "webhook connection \"%.60s\" cannot give them a personal decision link (add "
	    "their email to the hub's users, or use a Slack app connection)", p->value,
	    d->conn.name);
	log_once(d, key, d->kind, "email", p->value, p->asg, "no_email", detail);
}

static int resolve_requester(struct dl *);

/* An approver, in the resolved mode. */
static void
to_approver(struct dl *d, struct person *me)
{
	int webhook = d->have_conn && d->conn.type != HUB_CONN_SLACK_APP;

	if (!d->have_conn) {
		fallback(d, me, UO_NOCONN);
		return;
	}
	if (d->conn.disabled) {
		fallback(d, me, UO_AUTH);
		return;
	}
	if (resolve_requester(d) != 0)
		return;
	if (webhook) {
		to_channel(d, me, 1);
		if (kind_decides(d) && !d->stop && !shutting_down(d))
			personal_link(d, me);
		return;
	}
	if (strcmp(d->mode, "group_dm") == 0)
		to_group(d, me);
	else if (strcmp(d->mode, "channel") == 0)
		to_channel(d, me, 0);
	else {
		to_one(d, me, NULL, 0);
		if (strcmp(d->mode, "both") == 0 && !d->stop)
			to_channel(d, me, 0);
	}
}

/* A requester or watcher: a DM (the webhook's channel on webhooks). */
static void
to_person(struct dl *d, struct person *p)
{
	if (!d->have_conn) {
		fallback(d, p, UO_NOCONN);
		return;
	}
	if (d->conn.disabled) {
		fallback(d, p, UO_AUTH);
		return;
	}
	if (d->conn.type != HUB_CONN_SLACK_APP)
		to_one(d, p, "webhook", 1);
	else
		to_one(d, p, NULL, 0);
}

/* ------------------------------------------------------------ the job */

static int
load_request(struct dl *d, PGresult **out)
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
	if ((preset = hub_intake_preset(json_object_get_string(
	    json_object_object_get(req, "source")))) != NULL)
		json_object_object_add(req, "preset", json_object_new_string(preset));
	json_object_object_add(d->ctx, "request", req);
	json_object_object_add(d->ctx, "templates", tmpl);
	json_object_object_add(d->ctx, "editable",
	    json_object_new_boolean(hub_render_editable(editable)));
	json_object_put(editable);
	d->deadline = cell_ll(res, 0, 1);
	copy(d->conn_ids[1], sizeof(d->conn_ids[1]), PQgetvalue(res, 0, 2));
	copy(d->channels[1], sizeof(d->channels[1]), PQgetvalue(res, 0, 3));
	copy(d->modes[1], sizeof(d->modes[1]), PQgetvalue(res, 0, 4));
	copy(d->conn_ids[2], sizeof(d->conn_ids[2]), PQgetvalue(res, 0, 5));
	copy(d->channels[2], sizeof(d->channels[2]), PQgetvalue(res, 0, 6));
	copy(d->modes[2], sizeof(d->modes[2]), PQgetvalue(res, 0, 7));
	d->current_step = (int)cell_ll(res, 0, 10);
	*out = res;
	return HUB_DB_OK;
}

static int
load_step(struct dl *d)
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
		copy(d->step_id, sizeof(d->step_id), PQgetvalue(res, 0, 0));
		if (hub_json_parse(PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1),
		    DL_JSON_MAX, HUB_JSON_DEFAULT_DEPTH, &st) == HUB_JSON_OK)
			json_object_object_add(d->ctx, "step", st);
		copy(d->conn_ids[0], sizeof(d->conn_ids[0]), PQgetvalue(res, 0, 2));
		copy(d->channels[0], sizeof(d->channels[0]), PQgetvalue(res, 0, 3));
		copy(d->modes[0], sizeof(d->modes[0]), PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return HUB_DB_OK;
}

/* Step -> request -> source -> default.  1 found, 0 none, -1 db. */
static int
pick_connection(struct dl *d)
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

static void
resolve_mode(struct dl *d)
{
	char dflt[DL_KEY_MAX + 1];
	int i;

	d->mode[0] = d->channel[0] = '\0';
	for (i = 0; i < 3 && d->mode[0] == '\0'; i++)
		copy(d->mode, sizeof(d->mode), d->modes[i]);
	if (d->mode[0] == '\0')
		setting(d, "delivery.mode", d->mode, sizeof(d->mode), "dm");
	for (i = 0; i < 3 && d->channel[0] == '\0'; i++)
		copy(d->channel, sizeof(d->channel), d->channels[i]);
	if (d->channel[0] == '\0')
		setting(d, "delivery.channel", d->channel, sizeof(d->channel),
		    d->conn.default_channel);
	if (strcmp(d->mode, "dm") != 0 && strcmp(d->mode, "group_dm") != 0 &&
	    strcmp(d->mode, "channel") != 0 && strcmp(d->mode, "both") != 0)
		copy(d->mode, sizeof(d->mode), "dm");
	setting(d, "delivery.user_not_found", d->notfound, sizeof(d->notfound), "EMAIL");
	if (strcmp(d->notfound, "SKIP") != 0 && strcmp(d->notfound, "LOG_ONLY") != 0)
		copy(d->notfound, sizeof(d->notfound), "EMAIL");
	/* A channel mode without a channel still reaches people: by DM, and
	 * the admin is told once per notification. */
	if (d->conn.type == HUB_CONN_SLACK_APP && d->channel[0] == '\0' &&
	    (strcmp(d->mode, "channel") == 0 || strcmp(d->mode, "both") == 0)) {
		snprintf(dflt, sizeof(dflt), "notify:%s:s%d:%s:%s:nochannel", d->req, d->step,
		    d->kind, d->gen);
		log_once(d, dflt, d->kind, "slack", NULL, 0, "no_channel",
		    "delivery mode is channel but no channel is set (step, request, source or "
		    "settings delivery.channel); sent as DMs instead");
		copy(d->mode, sizeof(d->mode), "dm");
	}
}

/* After a decision the step's approvers see it on their Home tabs. */
static void
home_refresh(struct dl *d)
{
	char pos[16];
	const char *p[2] = { d->req, pos };
	PGresult *res = NULL;
	int i;

	if (!d->have_conn || d->conn.disabled || d->conn.type != HUB_CONN_SLACK_APP)
		return;
	snprintf(pos, sizeof(pos), "%d", d->step);
	if (dq(d, DL_HOME_USERS, p, &res) != HUB_DB_OK || hub_db_begin(d->env->db) != HUB_DB_OK) {
		PQclear(res);
		return;
	}
	for (i = 0; i < PQntuples(res); i++)
		if (hub_home_enqueue(d->env->db, d->conn.id, PQgetvalue(res, i, 0)) != HUB_HOME_OK)
			break;
	if (i < PQntuples(res) || hub_db_commit(d->env->db) != HUB_DB_OK) {
		hub_db_rollback(d->env->db);
		hub_log(HUB_LOG_WARN, "home_refresh_failed", "request", d->req, NULL);
	}
	PQclear(res);
}

/*
 * The requester's Slack id for their email (users.lookupByEmail through
 * this connection, cached), looked up before an approver is first told of
 * the request: an approver listed by Slack id who is the requester is then
 * refused when they click (engine.h, self-approval).  0 go on, -1 the job
 * is tried again later (noted).  A dead token or a missing scope is left
 * to the approvers' own delivery, which meets it and says so.
 */
static int
resolve_requester(struct dl *d)
{
	struct hub_slack_result res;
	char id[HUB_SLACK_ID_LEN];
	const char *p[2] = { d->req, NULL };
	PGresult *r = NULL;
	int rc, out = 0;

	if (!kind_decides(d) || !d->have_conn || d->conn.disabled ||
	    d->conn.type == HUB_CONN_INCOMING_WEBHOOK)
		return 0;
	if (dq(d, DL_REQUESTER_EMAIL, p, &r) != HUB_DB_OK) {
		note_retry(d, -1, "database", "database while resolving the requester");
		return -1;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	hub_slack_result_init(&res);
	rc = hub_slack_lookup_email(d->env->db, &d->sl, &d->conn, PQgetvalue(r, 0, 0), id, &res);
	if (rc == HUB_CONN_OK || rc == HUB_CONN_NOTFOUND) {
		p[1] = rc == HUB_CONN_OK ? id : "";
		if (dq(d, DL_REQUESTER_SET, p, NULL) != HUB_DB_OK) {
			note_retry(d, -1, "database", "database while resolving the requester");
			out = -1;
		}
	} else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_RATELIMITED) {
		note_limited(d, &res, "users.lookupByEmail");
		out = -1;
	} else if (rc == HUB_CONN_DB || (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_TRANSIENT)) {
		note_retry(d, res.retry_after > 0 ? res.retry_after : -1,
		    rc == HUB_CONN_DB ? "database" : res.error,
		    "users.lookupByEmail for the requester: %s",
		    rc == HUB_CONN_DB ? "database" : res.error);
		out = -1;
	}
	hub_slack_result_free(&res);
	PQclear(r);
	return out;
}

static void
requester(struct dl *d, PGresult *req, struct person *p)
{
	json_object *r = json_object_object_get(d->ctx, "request");
	const char *sid = json_object_get_string(json_object_object_get(r, "requester_slack_id"));
	const char *em = json_object_get_string(json_object_object_get(r, "requester_email"));

	(void)req;
	memset(p, 0, sizeof(*p));
	if (sid != NULL && *sid != '\0') {
		person_set(p, "slack", sid, "req");
		if (em != NULL)
			copy(p->email, sizeof(p->email), em);
	} else if (em != NULL && *em != '\0')
		person_set(p, "email", em, "req");
}

static void
request_kind(struct dl *d, PGresult *req)
{
	struct person p;
	struct batch b;
	json_object *w, *k, *v;
	char tag[16];
	size_t i;

	if (d->rk != HUB_RENDER_WATCHER) {
		requester(d, req, &p);
		if (p.value[0] != '\0')
			to_person(d, &p);
	}
	if (d->rk == HUB_RENDER_WATCHER && json_object_is_type(d->watchers, json_type_array)) {
		for (i = 0; i < json_object_array_length(d->watchers) && i < DL_MAX_WATCHERS &&
		    !d->stop && !shutting_down(d); i++) {
			w = json_object_array_get_idx(d->watchers, i);
			if (!json_object_object_get_ex(w, "kind", &k) ||
			    !json_object_object_get_ex(w, "value", &v) ||
			    !json_object_is_type(v, json_type_string))
				continue;
			snprintf(tag, sizeof(tag), "w%zu", i);
			person_set(&p, strcmp(json_object_get_string(k), "slack") == 0 ? "slack" :
			    "email", json_object_get_string(v), tag);
			to_person(d, &p);
		}
	}
	if (d->rk == HUB_RENDER_DEADLINE_EXPIRED && d->step_id[0] != '\0' &&
	    batch_load(d, DL_STEP_PEOPLE, 0, &b) == 0) {
		for (i = 0; i < b.n && !d->stop && !shutting_down(d); i++)
			to_person(d, &b.p[i]);
		batch_free(&b);
	}
	if (d->rk == HUB_RENDER_DECISION)
		home_refresh(d);
}

/*
 * The job's verdict.  Handed to the email lane (email_handover), the job
 * is already that lane's: a retry or a rate limit's deferral it needs
 * anyway keeps its delay (and runs there); otherwise it is deferred at
 * once, no attempt spent, before any failure of another message is
 * final, since its emails are not sent yet.
 */
static void
finish(struct dl *d, struct hub_job_result *r)
{
	if (shutting_down(d) && (d->retry || d->stop)) {
		hub_job_result_set(r, HUB_JOB_RELEASE, "interrupted", NULL,
		    "interrupted by shutdown");
		return;
	}
	if (d->retry) {
		hub_job_result_set(r, HUB_JOB_RETRY, "retry", d->code, "%s", d->detail);
		r->retry_after = d->retry_after;
	} else if (d->defer_ms > 0)
		hub_job_result_defer(r, d->defer_ms, "rate limit");
	else if (d->handed)
		hub_job_result_defer(r, 0, "handed to the email lane");
	else if (d->fail)
		hub_job_result_set(r, HUB_JOB_FAIL, "failed", d->code, "%s", d->detail);
	else
		hub_job_result_set(r, HUB_JOB_DONE, "delivered", NULL,
		    "%s: %d Slack, %d email, %d logged",
		    d->kind, d->sent, d->emailed, d->logged);
}

void
hub_job_notify(struct hub_job_env *env, const struct hub_job *job,
    struct hub_job_result *r)
{
	struct dl d;
	struct person me;
	PGresult *req = NULL, *res = NULL;
	const char *s, *p[2];
	int64_t v;
	int rc;

	memset(&d, 0, sizeof(d));
	d.env = env;
	d.job = job;
	d.r = r;
	d.retry_after = -1;
	d.sl.http = env->http;
	d.sl.api_url = env->conf != NULL ? env->conf->slack_api_url : NULL;
	d.sl.keyring = env->keys;
	/* Never hold the job past its lease. */
	if (env->lease_s > 10)
		d.sl.timeout_ms = (long)(env->lease_s - 5) * 1000 < HUB_SLACK_TIMEOUT_MS ?
		    (long)(env->lease_s - 5) * 1000 : HUB_SLACK_TIMEOUT_MS;
	snprintf(d.jobid, sizeof(d.jobid), "%lld", (long long)job->id);

	if (hub_json_get_string(job->payload, "request_id", HUB_ID_LEN - 1, &s) != HUB_JSON_OK ||
	    hub_json_get_string(job->payload, "kind", 31, &d.kind) != HUB_JSON_OK ||
	    hub_render_kind_from_name(d.kind, &d.rk) != HUB_RENDER_OK) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: request_id and a known kind are required");
		return;
	}
	copy(d.req, sizeof(d.req), s);
	if (hub_json_get_int64(job->payload, "assignment_id", 1, INT64_MAX, &v) == HUB_JSON_OK)
		d.asg = v;
	if (hub_json_get_int64(job->payload, "step", 1, 50, &v) == HUB_JSON_OK)
		d.step = (int)v;

	/* The generation, from the engine's dedupe key (outbound.h). */
	hub_outbound_notify_gen(job, d.gen, sizeof(d.gen));

	if ((d.ctx = json_object_new_object()) == NULL) {
		note_retry(&d, -1, "nomem", "out of memory");
		goto out;
	}
	rc = load_request(&d, &req);
	if (rc == HUB_DB_NOTFOUND) {
		hub_job_result_set(r, HUB_JOB_DONE, "request gone", NULL,
		    "the request no longer exists");
		goto done;
	}
	if (rc == HUB_DB_CHECK) {
		note_fail(&d, "bad_payload", "bad payload: request_id is not a uuid");
		goto out;
	}
	if (rc != HUB_DB_OK) {
		note_retry(&d, -1, "database", "database: %s", hub_db_strerror(rc));
		goto out;
	}

	memset(&me, 0, sizeof(me));
	if (d.asg > 0) {
		char a[HUB_INT64_TEXT_SIZE];

		snprintf(a, sizeof(a), "%lld", (long long)d.asg);
		p[0] = a;
		p[1] = d.req;
		if ((rc = dq(&d, DL_ASSIGNMENT, p, &res)) != HUB_DB_OK) {
			note_retry(&d, -1, "database", "database: %s", hub_db_strerror(rc));
			goto out;
		}
		if (PQntuples(res) != 1) {
			hub_job_result_set(r, HUB_JOB_DONE, "assignment gone", NULL,
			    "the assignment no longer exists");
			goto done;
		}
		person_from_row(res, 0, &me);
		d.step = (int)cell_ll(res, 0, 5);
		PQclear(res);
		res = NULL;
	}
	if (d.step == 0)
		d.step = d.current_step;
	if ((rc = load_step(&d)) != HUB_DB_OK) {
		note_retry(&d, -1, "database", "database: %s", hub_db_strerror(rc));
		goto out;
	}
	if (d.asg > 0 && kind_decides(&d) && strcmp(me.status, "pending") != 0) {
		hub_job_result_set(r, HUB_JOB_DONE, "not pending", NULL,
		    "%s: the assignment is %s, nothing to send", d.kind, me.status);
		goto done;
	}

	rc = pick_connection(&d);
	if (rc < 0) {
		note_retry(&d, -1, "database", "database while picking the connection");
		goto out;
	}
	/* None at all: each person is a fallback (to_approver, to_person). */
	d.have_conn = rc == 1;
	resolve_mode(&d);
	{
		struct hub_buf view = HUB_BUF_INIT(2048);
		json_object *l = json_object_new_object();

		if (l != NULL && env->conf != NULL && env->conf->public_url != NULL &&
		    hub_buf_printf(&view, "%s/requests/%s", env->conf->public_url, d.req) ==
		    HUB_BUF_OK)
			json_object_object_add(l, "view", json_object_new_string(hub_buf_str(&view)));
		json_object_object_add(d.ctx, "links", l);
		hub_buf_release(&view);
	}
	{
		json_object *rq = json_object_object_get(d.ctx, "request");
		const char *by = json_object_get_string(json_object_object_get(rq, "decided_by"));
		const char *why = json_object_get_string(json_object_object_get(rq,
		    "decision_comment"));

		if (by != NULL)
			json_object_object_add(d.ctx, "actor_display", json_object_new_string(by));
		if (why != NULL)
			json_object_object_add(d.ctx, "reason", json_object_new_string(why));
		else if (hub_json_get_string(job->payload, "reason", 2000, &s) == HUB_JSON_OK &&
		    d.asg > 0)
			json_object_object_add(d.ctx, "reason", json_object_new_string(s));
	}

	if (d.asg > 0)
		to_approver(&d, &me);
	else
		request_kind(&d, req);
out:
	finish(&d, r);
done:
	PQclear(req);
	PQclear(res);
	json_object_put(d.ctx);
	json_object_put(d.watchers);
}
