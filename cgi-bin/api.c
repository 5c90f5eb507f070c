/*
 * api - the REST API, /health and /metrics (DESIGN.md "REST API").
 *
 * One table (API_ROUTES) names every route: its methods, its pattern, the
 * path the OpenAPI document uses, its handler and what must hold before the
 * handler runs (JSON body, API key, admin key).  From that one table come
 * the hub_route rows, the metrics labels and `api --routes`.  api_run()
 * refuses in STYLE order after the loop's 405/404/411/413: 415, then
 * 401/403 (503 when the database that holds the keys is down), then calls
 * the handler and counts the answer in the shared metrics region.
 *
 * Visibility: a source key sees only its own source's requests.  Another
 * source's request is 404, and `source=` naming another source lists
 * nothing (an empty page, never 403: a key cannot probe which sources
 * exist).  /health, /metrics, /api/openapi.json and /api-docs need no key;
 * protect /metrics in nginx for production.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "admin.h"
#include "apiauth.h"
#include "app.h"
#include "crypto.h"
#include "db.h"
#include "embed.h"
#include "engine.h"
#include "fcgi.h"
#include "intake.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "tmpl.h"

#define JSON_DEPTH	32
#define LIST_DEFAULT	50
#define LIST_MAX	200
#define Q_MAX		200
#define IDEMKEY_MAX	200
#define CURSOR_MAX	200

/* ------------------------------------------------------------ routes */

enum api_need {
	NEED_NONE	= 0,
	NEED_KEY	= 1u << 0,	/* any live API key */
	NEED_ADMIN	= 1u << 1,	/* an admin key (implies NEED_KEY) */
	NEED_JSON	= 1u << 2,	/* Content-Type application/json, body required */
	NEED_JSON_OPT	= 1u << 3,	/* a body, when present, is application/json */
};

#define GH	(HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD))
#define P	HUB_ROUTE_M(HUB_M_POST)
#define PA	HUB_ROUTE_M(HUB_M_PATCH)

struct hub_app_ctx;
typedef int (*api_handler)(struct hub_req *, struct hub_app_ctx *);

/* X(id, methods, pattern, documented path, handler, needs) */
#define API_ROUTES(X) \
	X(HEALTH, GH, "/health", "/health", h_health, NEED_NONE) \
	X(METRICS, GH, "/metrics", "/metrics", h_metrics, NEED_NONE) \
	X(OPENAPI, GH, "/api/openapi.json", "/api/openapi.json", h_openapi, NEED_NONE) \
	X(DOCS, GH, "/api-docs", "/api-docs", h_docs, NEED_NONE) \
	X(NEW, P, "/api/new-approval", "/api/new-approval", h_new, NEED_KEY | NEED_JSON) \
	X(LIST, GH, "/api/requests", "/api/requests", h_list, NEED_KEY) \
	X(GET, GH, "/api/requests/*", "/api/requests/{id}", h_get, NEED_KEY) \
	X(CANCEL, P, "/api/requests/*/cancel", "/api/requests/{id}/cancel", h_cancel, \
	    NEED_KEY | NEED_JSON_OPT) \
	X(REMIND, P, "/api/requests/*/remind", "/api/requests/{id}/remind", h_remind, \
	    NEED_KEY | NEED_JSON_OPT) \
	X(REASSIGN, P, "/api/requests/*/reassign", "/api/requests/{id}/reassign", h_reassign, \
	    NEED_KEY | NEED_JSON) \
	X(SOURCES, GH, "/api/sources", "/api/sources", h_sources, NEED_ADMIN) \
	X(SOURCE_ADD, P, "/api/sources", "/api/sources", h_source_add, NEED_ADMIN | NEED_JSON) \
	X(SOURCE, GH, "/api/sources/*", "/api/sources/{id}", h_source, NEED_ADMIN) \
	X(SOURCE_PATCH, PA, "/api/sources/*", "/api/sources/{id}", h_source_patch, \
	    NEED_ADMIN | NEED_JSON) \
	X(ROTATE, P, "/api/sources/*/rotate-key", "/api/sources/{id}/rotate-key", h_rotate, \
	    NEED_ADMIN | NEED_JSON_OPT) \
	X(USERS, GH, "/api/users", "/api/users", h_users, NEED_ADMIN) \
	X(USER_ADD, P, "/api/users", "/api/users", h_user_add, NEED_ADMIN | NEED_JSON) \
	X(NOTIFICATIONS, GH, "/api/notifications", "/api/notifications", h_notifications, \
	    NEED_ADMIN)

enum api_route {
#define X(id, m, pat, doc, fn, need) R_##id,
	API_ROUTES(X)
#undef X
	R__MAX
};

#define X(id, m, pat, doc, fn, need) \
	static int fn(struct hub_req *, struct hub_app_ctx *);
API_ROUTES(X)
#undef X

struct api_route_info {
	unsigned	 methods;
	const char	*doc_path;
	api_handler	 fn;
	unsigned	 need;
};

static const struct api_route_info route_info[R__MAX] = {
#define X(id, m, pat, doc, fn, need) [R_##id] = { m, doc, fn, need },
	API_ROUTES(X)
#undef X
};

static const char *const route_names[R__MAX] = {
#define X(id, m, pat, doc, fn, need) [R_##id] = doc,
	API_ROUTES(X)
#undef X
};

/* The metrics' method label: HEAD is counted with GET. */
#define METHOD_LABEL(m) ((m) & P ? "POST" : (m) & PA ? "PATCH" : "GET")
static const char *const route_methods[R__MAX] = {
#define X(id, m, pat, doc, fn, need) [R_##id] = METHOD_LABEL(m),
	API_ROUTES(X)
#undef X
};

/* What api_run established for the handler (req->user). */
struct api_call {
	struct hub_principal	 who;
	struct hub_db		*db;
};

static struct hub_metrics *metrics;

static int api_run(enum api_route, struct hub_req *, void *);

#define X(id, m, pat, doc, fn, need) \
	static int w_##id(struct hub_req *req, void *app) { return api_run(R_##id, req, app); }
API_ROUTES(X)
#undef X

static const struct hub_route routes[R__MAX] = {
#define X(id, m, pat, doc, fn, need) [R_##id] = { m, pat, w_##id },
	API_ROUTES(X)
#undef X
};

/* ------------------------------------------------------------ statements */

/* Times leave as ISO-8601 UTC with microseconds: exact, so a cursor built
 * from one finds the same row again. */
#define ISO(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/*
 * The request list: one statement per combination of filters (status,
 * source, approver, q), so each has a plan made for it instead of a
 * generic plan full of "$n IS NULL OR".  Every variant takes the same
 * parameters; the unused CTE only gives them their types.
 *   $1 status  $2 source id  $3 approver  $4 q  $5,$6 cursor  $7 limit
 */
#define LIST_HEAD \
	"WITH args AS (SELECT $1::text, $2::uuid, $3::text, $4::text," \
	" $5::timestamptz, $6::uuid, $7::int)" \
	" SELECT r.id, s.name AS source, r.external_id, r.title, r.requester_name," \
	" r.status, r.current_step, " ISO("r.created_at") " AS created_at, " \
	ISO("r.updated_at") " AS updated_at, " ISO("r.deadline") " AS deadline, " \
	ISO("r.decided_at") " AS decided_at, r.decided_by" \
	" FROM requests r JOIN sources s ON s.id = r.source_id" \
	" WHERE (r.created_at, r.id) < ($5, $6)"
#define LIST_TAIL " ORDER BY r.created_at DESC, r.id DESC LIMIT $7"
#define F0(s) ""
#define F1(s) s
#define LISTQ(st, so, ap, q) { LIST_HEAD \
	F##st(" AND r.status = $1") \
	F##so(" AND r.source_id = $2") \
	F##ap(" AND EXISTS (SELECT 1 FROM assignments a WHERE a.request_id = r.id" \
	    " AND (a.approver_value = $3 OR a.slack_user_id = $3))") \
	F##q(" AND r.search @@ websearch_to_tsquery('simple', $4)") \
	LIST_TAIL, 7 }

#define LIST_STATUS	1
#define LIST_SOURCE	2
#define LIST_APPROVER	4
#define LIST_Q		8

#define SOURCE_COLS \
	"SELECT s.id, s.name, s.description, c.name AS connection," \
	" s.default_channel AS channel, s.delivery_mode, s.default_rule AS rule," \
	" extract(epoch FROM s.default_deadline)::bigint AS deadline," \
	" extract(epoch FROM s.default_reminder)::bigint AS reminder_every," \
	" s.callback_url, CASE WHEN s.callback_secret_enc IS NULL THEN NULL" \
	" ELSE 'set' END AS callback_secret, s.allow_self_approval, s.reason_required," \
	" s.editable_fields, s.disabled," \
	" (SELECT count(*) FROM api_keys k WHERE k.source_id = s.id" \
	" AND k.revoked_at IS NULL)::int AS active_keys, " \
	ISO("s.created_at") " AS created_at, " ISO("s.updated_at") " AS updated_at" \
	" FROM sources s LEFT JOIN slack_connections c ON c.id = s.connection_id"

enum stmt {
	/* 0..15: the list variants, indexed by LIST_* bits */
	STMT_LIST_LAST = 15,
	STMT_PING,
	STMT_SOURCE_BY_NAME,
	STMT_REQUEST_JSON,
	STMT_REQUEST_STATE,
	STMT_SOURCES,
	STMT_SOURCE,
	STMT_SOURCE_UPDATE,
	STMT_CONNECTION_BY_NAME,
	STMT_USERS,
	STMT_NOTIFICATIONS,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	LISTQ(0, 0, 0, 0), LISTQ(1, 0, 0, 0), LISTQ(0, 1, 0, 0), LISTQ(1, 1, 0, 0),
	LISTQ(0, 0, 1, 0), LISTQ(1, 0, 1, 0), LISTQ(0, 1, 1, 0), LISTQ(1, 1, 1, 0),
	LISTQ(0, 0, 0, 1), LISTQ(1, 0, 0, 1), LISTQ(0, 1, 0, 1), LISTQ(1, 1, 0, 1),
	LISTQ(0, 0, 1, 1), LISTQ(1, 0, 1, 1), LISTQ(0, 1, 1, 1), LISTQ(1, 1, 1, 1),
	[STMT_PING] = { "SELECT 1", 0 },
	[STMT_SOURCE_BY_NAME] = { "SELECT id FROM sources WHERE name = $1 AND NOT disabled", 1 },
	/* The whole request as one JSON document: steps with their
	 * assignments, and the audit trail.  $2: the caller's source, NULL
	 * for an admin key. */
	[STMT_REQUEST_JSON] = {
		"SELECT json_build_object("
		"'id', r.id, 'source', s.name, 'external_id', r.external_id,"
		" 'title', r.title, 'status', r.status, 'current_step', r.current_step,"
		" 'requester_name', r.requester_name, 'requester_email', r.requester_email,"
		" 'requester_slack_id', r.requester_slack_id,"
		" 'justification', r.justification, 'metadata', r.metadata,"
		" 'deadline', " ISO("r.deadline") ","
		" 'reminder_every', extract(epoch FROM r.reminder_every)::bigint,"
		" 'valid_for', extract(epoch FROM r.valid_for)::bigint,"
		" 'valid_until', " ISO("r.valid_until") ","
		" 'callback_url', r.callback_url, 'watchers', r.watchers,"
		" 'delivery', r.delivery_mode, 'channel', r.channel,"
		" 'ai_summary', r.ai_summary, 'risk_score', r.risk_score,"
		" 'created_at', " ISO("r.created_at") ", 'updated_at', " ISO("r.updated_at") ","
		" 'decided_at', " ISO("r.decided_at") ", 'decided_by', r.decided_by,"
		" 'decision_comment', r.decision_comment,"
		" 'steps', (SELECT coalesce(json_agg(json_build_object("
		"  'position', st.position, 'rule', st.rule, 'quorum', st.quorum,"
		"  'status', st.status, 'started_at', " ISO("st.started_at") ","
		"  'decided_at', " ISO("st.decided_at") ","
		"  'assignments', (SELECT coalesce(json_agg(json_build_object("
		"   'id', a.id, 'approver', json_build_object('kind', a.approver_kind,"
		"   'value', a.approver_value), 'slack_user_id', a.slack_user_id,"
		"   'status', a.status, 'decided_by', a.decided_by,"
		"   'decided_at', " ISO("a.decided_at") ", 'comment', a.comment,"
		"   'delegate_of', a.delegate_of, 'reassigned_to', a.reassigned_to)"
		"   ORDER BY a.id), '[]'::json) FROM assignments a WHERE a.step_id = st.id))"
		"  ORDER BY st.position), '[]'::json)"
		"  FROM request_steps st WHERE st.request_id = r.id),"
		" 'audit', (SELECT coalesce(json_agg(json_build_object("
		"  'at', " ISO("al.at") ", 'actor', al.actor, 'action', al.action,"
		"  'via', al.via, 'detail', al.detail) ORDER BY al.at, al.id), '[]'::json)"
		"  FROM audit_log al WHERE al.request_id = r.id)"
		")::text FROM requests r JOIN sources s ON s.id = r.source_id"
		" WHERE r.id = $1 AND ($2::uuid IS NULL OR r.source_id = $2)", 2 },
	[STMT_REQUEST_STATE] = {
		"SELECT r.status, coalesce(r.decided_by, ''), coalesce(" ISO("r.decided_at") ", '')"
		" FROM requests r WHERE r.id = $1 AND ($2::uuid IS NULL OR r.source_id = $2)", 2 },
	[STMT_SOURCES] = { SOURCE_COLS " ORDER BY s.name", 0 },
	[STMT_SOURCE] = { SOURCE_COLS " WHERE s.id = $1", 1 },
	/* Every settable column as (present?, value): absent fields keep
	 * their value, present ones (JSON null included) replace it. */
	[STMT_SOURCE_UPDATE] = {
		"UPDATE sources SET"
		" description = CASE WHEN $2::bool THEN $3::text ELSE description END,"
		" connection_id = CASE WHEN $4::bool THEN $5::uuid ELSE connection_id END,"
		" default_channel = CASE WHEN $6::bool THEN $7::text ELSE default_channel END,"
		" delivery_mode = CASE WHEN $8::bool THEN $9::text ELSE delivery_mode END,"
		" default_rule = CASE WHEN $10::bool THEN $11::text ELSE default_rule END,"
		" default_deadline = CASE WHEN $12::bool THEN $13::bigint * interval '1 second'"
		"  ELSE default_deadline END,"
		" default_reminder = CASE WHEN $14::bool THEN $15::bigint * interval '1 second'"
		"  ELSE default_reminder END,"
		" callback_url = CASE WHEN $16::bool THEN $17::text ELSE callback_url END,"
		" callback_secret_enc = CASE WHEN $18::bool THEN $19::text ELSE callback_secret_enc END,"
		" allow_self_approval = CASE WHEN $20::bool THEN $21::bool ELSE allow_self_approval END,"
		" reason_required = CASE WHEN $22::bool THEN $23::bool ELSE reason_required END,"
		" editable_fields = CASE WHEN $24::bool THEN $25::jsonb ELSE editable_fields END,"
		" disabled = CASE WHEN $26::bool THEN $27::bool ELSE disabled END"
		" WHERE id = $1 RETURNING id", 27 },
	[STMT_CONNECTION_BY_NAME] = { "SELECT id FROM slack_connections WHERE name = $1", 1 },
	[STMT_USERS] = {
		"SELECT id, name, email, role, slack_team_id, slack_user_id, disabled, "
		ISO("last_login_at") " AS last_login_at, " ISO("created_at") " AS created_at"
		" FROM users ORDER BY name, id LIMIT 1000", 0 },
	/* Admin-only and small next to requests: one statement with optional
	 * filters is enough here. */
	[STMT_NOTIFICATIONS] = {
		"SELECT d.id, d.request_id, d.job_id, d.kind, d.transport, d.channel,"
		" d.recipient, d.status, d.retries, d.error_code, d.error_detail, "
		ISO("d.created_at") " AS created_at, " ISO("d.updated_at") " AS updated_at"
		" FROM delivery_log d"
		" WHERE ($1::uuid IS NULL OR d.request_id = $1)"
		" AND ($2::text IS NULL OR d.status = $2)"
		" AND ($3::text IS NULL OR d.kind = $3)"
		" AND ($4::text IS NULL OR d.transport = $4)"
		" AND (d.created_at, d.id) < ($5::timestamptz, $6::bigint)"
		" ORDER BY d.created_at DESC, d.id DESC LIMIT $7::int", 7 },
};

static const struct hub_stmt_table api_stmts = { "api", stmts, STMT__MAX };

/* ------------------------------------------------------------ helpers */

static const char *const request_statuses[] = {
	"Pending", "Approved", "Rejected", "Cancelled", "Expired", "Lapsed", NULL,
};
static const char *const delivery_statuses[] = {
	"queued", "sending", "delivered", "failed", "retrying", NULL,
};
static const char *const transports[] = { "slack", "webhook", "email", "callback", NULL };
static const char *const notification_kinds[] = {
	"call_for_action", "info", "delegate_call", "external_approver", "reminder",
	"manual_reminder", "decision", "watcher", "approver_added", "approver_removed",
	"deadline_expired", "mention_batch", "callback", "test", NULL,
};
static const char *const delivery_modes[] = { "dm", "group_dm", "channel", "both", NULL };
static const char *const rules[] = { "any", "all", "quorum", NULL };
static const char *const roles[] = { "admin", "requester", "viewer", NULL };

static int
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Canonical lower- or upper-case 8-4-4-4-12 hex. */
static int
uuid_ok(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int
db_error(struct hub_req *req, struct hub_app_ctx *app, int dberr)
{
	if (dberr == HUB_DB_CONN)
		return hub_app_error(app, req, 503, "database unavailable", NULL);
	hub_log(HUB_LOG_ERROR, "api_db_error", "error", hub_db_strerror(dberr),
	    "sqlstate", hub_db_last_sqlstate(app->db), NULL);
	return hub_app_error(app, req, 500, "internal error", NULL);
}

static int
respond(struct hub_req *req, int status, json_object *o)
{
	int rc;

	if (o == NULL)
		return 500;
	rc = hub_resp_json(req, status, o);
	json_object_put(o);
	return rc;
}

/* A result row as a JSON object named by the columns: NULL is null,
 * booleans and integers keep their type, json/jsonb is parsed. */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_JSON	114
#define OID_JSONB	3802

static json_object *
row_json(const PGresult *res, int row)
{
	json_object *o = json_object_new_object(), *v;
	const char *s;
	int c;

	if (o == NULL)
		return NULL;
	for (c = 0; c < PQnfields(res); c++) {
		s = PQgetvalue(res, row, c);
		v = NULL;
		if (PQgetisnull(res, row, c)) {
			v = NULL;
		} else {
			switch (PQftype(res, c)) {
			case OID_BOOL:
				v = json_object_new_boolean(s[0] == 't');
				break;
			case OID_INT2: case OID_INT4: case OID_INT8: {
				char *end;
				long long n;

				errno = 0;
				n = strtoll(s, &end, 10);
				v = errno == 0 && end != s && *end == '\0' ?
				    json_object_new_int64(n) : json_object_new_string(s);
				break;
			}
			case OID_JSON: case OID_JSONB:
				if (hub_json_parse(s, strlen(s), 4u << 20, 64, &v) != HUB_JSON_OK)
					v = NULL;
				break;
			default:
				v = json_object_new_string(s);
				break;
			}
		}
		json_object_object_add(o, PQfname(res, c), v);
	}
	return o;
}

static json_object *
rows_json(const PGresult *res, int max)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; a != NULL && i < PQntuples(res) && i < max; i++)
		json_object_array_add(a, row_json(res, i));
	return a;
}

/* Parse the body as a JSON object; an empty body is {} (a route that needs
 * fields then names the first missing one).  0, or the request was
 * answered with 400. */
static int
body_object(struct hub_req *req, struct hub_app_ctx *app, json_object **out)
{
	int rc;

	*out = NULL;
	if (req->body_len == 0) {
		*out = json_object_new_object();
		return *out != NULL ? 0 : 500;
	}
	rc = hub_json_parse_object(req->body, req->body_len, HUB_BODY_MAX_DEFAULT,
	    JSON_DEPTH, out);
	if (rc != HUB_JSON_OK) {
		char msg[128];

		snprintf(msg, sizeof(msg), "malformed JSON: %s", hub_json_strerror(rc));
		hub_app_error(app, req, 400, msg, "body");
		return 400;
	}
	return 0;
}

/* Every key of o is one of allowed; else answers 400 naming it. */
static int
only_fields(struct hub_req *req, struct hub_app_ctx *app, json_object *o,
    const char *const *allowed)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (!one_of(k, allowed)) {
			hub_app_error(app, req, 400, "unknown field", k);
			return 400;
		}
	}
	return 0;
}

static const char *
query_get(struct hub_req *req, const char *k)
{
	return hub_form_get(&req->args, k);
}

/* Every query parameter is one of allowed and given once. */
static int
only_params(struct hub_req *req, struct hub_app_ctx *app, const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i < req->args.n; i++) {
		if (!one_of(req->args.kv[i].key, allowed)) {
			hub_app_error(app, req, 400, "unknown query parameter", req->args.kv[i].key);
			return 400;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(req->args.kv[i].key, req->args.kv[j].key) == 0) {
				hub_app_error(app, req, 400, "repeated query parameter",
				    req->args.kv[i].key);
				return 400;
			}
		}
	}
	return 0;
}

static int
parse_limit(struct hub_req *req, struct hub_app_ctx *app, long *limit)
{
	const char *s = query_get(req, "limit");
	char *end;
	long v;

	*limit = LIST_DEFAULT;
	if (s == NULL)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno != 0 || *end != '\0' || v < 1 || v > LIST_MAX) {
		hub_app_error(app, req, 400, "limit must be an integer from 1 to 200", "limit");
		return 400;
	}
	*limit = v;
	return 0;
}

/* Cursors are base64url("created_at|id"): opaque to clients, checked here
 * so a forged one is a 400 and never reaches SQL as garbage.  numeric_id:
 * the id is a positive bigint (delivery_log) instead of a uuid. */
static int
ts_ok(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;

	if (n != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

static int
cursor_decode(const char *c, int numeric_id, char ts[40], char id[40])
{
	struct hub_buf b = HUB_BUF_INIT(CURSOR_MAX);
	const char *bar, *s;
	size_t i, idlen;
	int ok = 0;

	if (strlen(c) > CURSOR_MAX || hub_base64_decode(c, strlen(c), 1, &b) != HUB_CRYPTO_OK)
		goto out;
	s = hub_buf_str(&b);
	if (strlen(s) != b.len || (bar = strchr(s, '|')) == NULL || !ts_ok(s, (size_t)(bar - s)))
		goto out;
	idlen = b.len - (size_t)(bar - s) - 1;
	if (idlen == 0 || idlen >= 40)
		goto out;
	if (numeric_id) {
		for (i = 1; i <= idlen; i++)
			if (!isdigit((unsigned char)bar[i]))
				goto out;
		if (idlen > 18)
			goto out;
	} else if (!uuid_ok(bar + 1)) {
		goto out;
	}
	snprintf(ts, 40, "%.*s", (int)(bar - s), s);
	snprintf(id, 40, "%s", bar + 1);
	ok = 1;
out:
	hub_buf_release(&b);
	return ok;
}

static json_object *
cursor_encode(const char *ts, const char *id)
{
	struct hub_buf raw = HUB_BUF_INIT(CURSOR_MAX), enc = HUB_BUF_INIT(2 * CURSOR_MAX);
	json_object *o = NULL;

	if (hub_buf_printf(&raw, "%s|%s", ts, id) == 0 &&
	    hub_base64_encode(raw.data, raw.len, 1, &enc) == HUB_CRYPTO_OK)
		o = json_object_new_string(hub_buf_str(&enc));
	hub_buf_release(&raw);
	hub_buf_release(&enc);
	return o;
}

/* A list answer: {"<key>": [...limit rows], "count", "next_cursor"}; the
 * statement fetched limit + 1 rows so a next page is known without a count. */
static int
list_respond(struct hub_req *req, PGresult *res, const char *key, long limit)
{
	json_object *o = json_object_new_object(), *next = NULL;
	int n = PQntuples(res), shown = n > limit ? (int)limit : n;

	if (o == NULL)
		return 500;
	if (n > limit)
		next = cursor_encode(PQgetvalue(res, shown - 1, PQfnumber(res, "created_at")),
		    PQgetvalue(res, shown - 1, PQfnumber(res, "id")));
	json_object_object_add(o, key, rows_json(res, shown));
	json_object_object_add(o, "count", json_object_new_int(shown));
	json_object_object_add(o, "next_cursor", next);
	return respond(req, 200, o);
}

/* ------------------------------------------------------------ the gate */

static int
api_gate(enum api_route r, struct hub_req *req, struct hub_app_ctx *app, struct api_call *call)
{
	unsigned need = route_info[r].need;
	int rc;

	if ((need & NEED_JSON) ||
	    ((need & NEED_JSON_OPT) && (req->body_len > 0 || req->content_type[0] != '\0'))) {
		if (!hub_req_is_type(req, "application/json")) {
			hub_app_error(app, req, 415, "Content-Type must be application/json", NULL);
			return 415;
		}
	}
	if (!(need & (NEED_KEY | NEED_ADMIN)))
		return 0;
	call->db = hub_app_db(app);
	rc = hub_apiauth_check(call->db, hub_req_header(req, "Authorization"), &call->who);
	switch (rc) {
	case HUB_APIAUTH_OK:
		break;
	case HUB_APIAUTH_UNAVAILABLE:
		hub_app_error(app, req, 503, "database unavailable", NULL);
		return 503;
	default:
		hub_resp_header(req, "WWW-Authenticate", rc == HUB_APIAUTH_INVALID ?
		    "Bearer error=\"invalid_token\"" : "Bearer");
		hub_app_error(app, req, 401, "missing or invalid API key", NULL);
		return 401;
	}
	if ((need & NEED_ADMIN) && !call->who.is_admin) {
		hub_app_error(app, req, 403, "admin API key required", NULL);
		return 403;
	}
	return 0;
}

static int
api_run(enum api_route r, struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct api_call call;
	double t0 = now_s();
	int rc;

	memset(&call, 0, sizeof(call));
	req->user = &call;
	rc = api_gate(r, req, app, &call);
	if (rc == 0)
		rc = route_info[r].fn(req, app);
	if (!req->headers_done && rc >= 400 && rc <= 599)
		hub_app_error(app, req, rc, NULL, NULL);
	hub_metrics_observe(metrics, (size_t)r, req->headers_done ? req->status : 500,
	    now_s() - t0);
	req->user = NULL;
	return rc;
}

static struct api_call *
call_of(struct hub_req *req)
{
	return req->user;
}

static void
actor_of(const struct api_call *c, struct hub_actor *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = "api";
	a->id = c->who.key_id;
	a->display = c->who.is_admin ? "admin API key" : c->who.source_name;
	a->via = "api";
}

/* NULL for an admin key (sees every source). */
static const char *
visible_source(const struct api_call *c)
{
	return c->who.is_admin ? NULL : c->who.source_id;
}

/* ------------------------------------------------------------ /health, /metrics */

static int
h_health(struct hub_req *req, struct hub_app_ctx *app)
{
	struct hub_db *db = hub_app_db(app);
	json_object *o = json_object_new_object();
	int ok = db != NULL && hub_db_exec(db, &api_stmts, STMT_PING, NULL, NULL) == HUB_DB_OK;

	json_object_object_add(o, "status", json_object_new_string(ok ? "healthy" : "unhealthy"));
	json_object_object_add(o, "service", json_object_new_string("universal-approval-hub"));
	if (!ok)
		json_object_object_add(o, "database", json_object_new_string("unreachable"));
	return respond(req, ok ? 200 : 503, o);
}

static int
h_metrics(struct hub_req *req, struct hub_app_ctx *app)
{
	struct hub_buf b = HUB_BUF_INIT(4u << 20);
	struct hub_db *db = hub_app_db(app);
	int rc = 500, up = 0;

	if (hub_metrics_render(metrics, route_names, route_methods, &b) != 0)
		goto out;
	/* The HTTP series stay useful while the database is down. */
	if (db != NULL && hub_metrics_render_db(db, &b) == HUB_DB_OK)
		up = 1;
	if (hub_buf_printf(&b, "# HELP hub_database_up Whether PostgreSQL answered this scrape.\n"
	    "# TYPE hub_database_up gauge\nhub_database_up %d\n", up) != 0)
		goto out;
	if (hub_resp_start(req, 200, "text/plain; version=0.0.4; charset=utf-8") == 0)
		hub_resp_write(req, b.data, b.len);
	rc = 0;
out:
	hub_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------ new approval */

static int
engine_error(struct hub_req *req, struct hub_app_ctx *app, int err,
    const struct hub_engine_error *ee, const char *request_id);

static int
h_new(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	json_object *in = NULL, *norm = NULL, *o;
	struct hub_intake_error ie;
	struct hub_engine_error ee;
	struct hub_outcome oc;
	struct hub_actor actor;
	PGresult *res = NULL;
	const char *idem, *rs = NULL, *params[1];
	char source_id[HUB_ID_LEN];
	int rc;

	idem = hub_req_header(req, "Idempotency-Key");
	if (idem != NULL && (idem[0] == '\0' || strlen(idem) > IDEMKEY_MAX)) {
		rc = hub_app_error(app, req, 400, "Idempotency-Key must be 1 to 200 characters",
		    "Idempotency-Key");
		goto out;
	}
	if ((rc = body_object(req, app, &in)) != 0)
		goto out;
	/* A source key's requests are its source's: name it for intake, so
	 * the source's preset (typed metadata, title) applies. */
	if (!c->who.is_admin && (!json_object_object_get_ex(in, "request_source", &o) || o == NULL))
		json_object_object_add(in, "request_source",
		    json_object_new_string(c->who.source_name));
	memset(&ie, 0, sizeof(ie));
	rc = hub_intake_validate(in, idem, &norm, &ie);
	if (rc != HUB_INTAKE_OK) {
		rc = rc == HUB_INTAKE_INVALID ?
		    hub_app_error(app, req, 400, ie.message[0] ? ie.message : "invalid request",
		    ie.field[0] ? ie.field : NULL) : 500;
		goto out;
	}
	if (json_object_object_get_ex(norm, "request_source", &o) &&
	    json_object_is_type(o, json_type_string))
		rs = json_object_get_string(o);
	if (!c->who.is_admin) {
		if (rs != NULL && strcmp(rs, c->who.source_name) != 0) {
			rc = hub_app_error(app, req, 400,
			    "request_source must be this API key's source", "request_source");
			goto out;
		}
		snprintf(source_id, sizeof(source_id), "%s", c->who.source_id);
	} else {
		if (rs == NULL) {
			rc = hub_app_error(app, req, 400,
			    "request_source is required with an admin key", "request_source");
			goto out;
		}
		params[0] = rs;
		if ((rc = hub_db_exec(c->db, &api_stmts, STMT_SOURCE_BY_NAME, params, &res)) != HUB_DB_OK) {
			rc = db_error(req, app, rc);
			goto out;
		}
		if (PQntuples(res) != 1) {
			rc = hub_app_error(app, req, 400, "request_source names no enabled source",
			    "request_source");
			goto out;
		}
		snprintf(source_id, sizeof(source_id), "%s", PQgetvalue(res, 0, 0));
	}
	actor_of(c, &actor);
	memset(&oc, 0, sizeof(oc));
	memset(&ee, 0, sizeof(ee));
	rc = hub_engine_create(c->db, source_id, norm, &actor, &oc, &ee);
	if (rc != HUB_ENGINE_OK) {
		rc = engine_error(req, app, rc, &ee, NULL);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(oc.id));
	json_object_object_add(o, "status", json_object_new_string(oc.created ? "created" : "exists"));
	json_object_object_add(o, "message", json_object_new_string(oc.created ?
	    "Approval request created" : "Approval request already exists"));
	rc = respond(req, oc.created ? 201 : 200, o);
out:
	if (res != NULL)
		PQclear(res);
	json_object_put(in);
	json_object_put(norm);
	return rc;
}

/* ------------------------------------------------------------ requests */

static int
h_list(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = {
		"status", "source", "approver_id", "q", "limit", "cursor", NULL,
	};
	struct api_call *c = call_of(req);
	const char *status = query_get(req, "status"), *source = query_get(req, "source");
	const char *approver = query_get(req, "approver_id"), *q = query_get(req, "q");
	const char *cursor = query_get(req, "cursor"), *params[7];
	char ts[40] = "infinity", id[40] = "ffffffff-ffff-ffff-ffff-ffffffffffff";
	char source_id[HUB_ID_LEN] = "", lim[24];
	PGresult *res = NULL;
	unsigned variant = 0;
	long limit;
	int rc;

	if ((rc = only_params(req, app, allowed)) != 0 || (rc = parse_limit(req, app, &limit)) != 0)
		return rc;
	if (status != NULL && !one_of(status, request_statuses))
		return hub_app_error(app, req, 400, "status must be one of Pending, Approved,"
		    " Rejected, Cancelled, Expired, Lapsed", "status");
	if (approver != NULL && (approver[0] == '\0' || strlen(approver) > 320))
		return hub_app_error(app, req, 400, "approver_id must be 1 to 320 characters",
		    "approver_id");
	if (q != NULL && (q[0] == '\0' || strlen(q) > Q_MAX))
		return hub_app_error(app, req, 400, "q must be 1 to 200 characters", "q");
	if (source != NULL && (source[0] == '\0' || strlen(source) > 100))
		return hub_app_error(app, req, 400, "source must be 1 to 100 characters", "source");
	if (cursor != NULL && !cursor_decode(cursor, 0, ts, id))
		return hub_app_error(app, req, 400, "invalid cursor", "cursor");

	if (!c->who.is_admin) {
		/* Another source's name lists nothing rather than 403. */
		if (source != NULL && strcmp(source, c->who.source_name) != 0)
			goto empty;
		snprintf(source_id, sizeof(source_id), "%s", c->who.source_id);
	} else if (source != NULL) {
		params[0] = source;
		if ((rc = hub_db_exec(c->db, &api_stmts, STMT_SOURCE_BY_NAME, params, &res)) != HUB_DB_OK)
			return db_error(req, app, rc);
		if (PQntuples(res) != 1) {
			PQclear(res);
			goto empty;
		}
		snprintf(source_id, sizeof(source_id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		res = NULL;
	}
	variant |= status != NULL ? LIST_STATUS : 0;
	variant |= source_id[0] != '\0' ? LIST_SOURCE : 0;
	variant |= approver != NULL ? LIST_APPROVER : 0;
	variant |= q != NULL ? LIST_Q : 0;
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	params[0] = status;
	params[1] = source_id[0] != '\0' ? source_id : NULL;
	params[2] = approver;
	params[3] = q;
	params[4] = ts;
	params[5] = id;
	params[6] = lim;
	if ((rc = hub_db_exec(c->db, &api_stmts, (int)variant, params, &res)) != HUB_DB_OK)
		return rc == HUB_DB_CHECK ? hub_app_error(app, req, 400, "invalid cursor", "cursor") :
		    db_error(req, app, rc);
	rc = list_respond(req, res, "requests", limit);
	PQclear(res);
	return rc;
empty:
	{
		json_object *o = json_object_new_object();

		json_object_object_add(o, "requests", json_object_new_array());
		json_object_object_add(o, "count", json_object_new_int(0));
		json_object_object_add(o, "next_cursor", NULL);
		return respond(req, 200, o);
	}
}

static int
h_get(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	const char *params[2];
	json_object *o = NULL;
	PGresult *res = NULL;
	const char *s;
	int rc;

	if (!uuid_ok(req->captures[0]))
		return hub_app_error(app, req, 404, "request not found", NULL);
	params[0] = req->captures[0];
	params[1] = visible_source(c);
	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_REQUEST_JSON, params, &res)) != HUB_DB_OK)
		return db_error(req, app, rc);
	if (PQntuples(res) != 1) {
		rc = hub_app_error(app, req, 404, "request not found", NULL);
		goto out;
	}
	s = PQgetvalue(res, 0, 0);
	if (hub_json_parse(s, strlen(s), 64u << 20, 64, &o) != HUB_JSON_OK) {
		rc = 500;
		goto out;
	}
	rc = respond(req, 200, o);
out:
	PQclear(res);
	return rc;
}

/* The 409 text names the current status and who decided, e.g.
 * "request is Approved (decided by Ana at 2026-...)". */
static int
conflict(struct hub_req *req, struct hub_app_ctx *app, const char *request_id,
    const char *status, const char *by, const char *at)
{
	struct api_call *c = call_of(req);
	PGresult *res = NULL;
	const char *params[2] = { request_id, visible_source(c) };
	char msg[512];
	int rc;

	if ((status == NULL || status[0] == '\0') && request_id != NULL &&
	    hub_db_exec(c->db, &api_stmts, STMT_REQUEST_STATE, params, &res) == HUB_DB_OK &&
	    PQntuples(res) == 1) {
		status = PQgetvalue(res, 0, 0);
		by = PQgetvalue(res, 0, 1);
		at = PQgetvalue(res, 0, 2);
	}
	if (status == NULL || status[0] == '\0')
		snprintf(msg, sizeof(msg), "request is no longer pending");
	else if (by != NULL && by[0] != '\0')
		snprintf(msg, sizeof(msg), "request is %s (decided by %s%s%s)", status, by,
		    at != NULL && at[0] ? " at " : "", at != NULL ? at : "");
	else
		snprintf(msg, sizeof(msg), "request is %s", status);
	rc = hub_app_error(app, req, 409, msg, NULL);
	if (res != NULL)
		PQclear(res);
	return rc;
}

struct engine_map {
	int		 err;
	int		 status;
	const char	*msg;
};

static const struct engine_map engine_map[] = {
	{ HUB_ENGINE_UNAVAILABLE, 503, "database unavailable" },
	{ HUB_ENGINE_INVALID, 400, "invalid request" },
	{ HUB_ENGINE_NOTFOUND, 404, "request not found" },
	/* The API acts as the source, never as an approver: the engine says
	 * this when reassign's "from" is not an approver of the active step. */
	{ HUB_ENGINE_NOT_APPROVER, 400, "not a pending approver of the active step" },
	{ HUB_ENGINE_ALREADY_DECIDED, 409, NULL },
	{ HUB_ENGINE_CLOSED, 409, NULL },
	{ HUB_ENGINE_CONFLICT, 409, NULL },
	{ HUB_ENGINE_SELF_APPROVAL, 400, "self-approval is not allowed for this source" },
	{ HUB_ENGINE_REASON_REQUIRED, 400, "a reason is required" },
};

static int
engine_error(struct hub_req *req, struct hub_app_ctx *app, int err,
    const struct hub_engine_error *ee, const char *request_id)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(engine_map); i++) {
		if (engine_map[i].err != err)
			continue;
		if (engine_map[i].status == 409)
			return conflict(req, app, request_id, NULL, NULL, NULL);
		if (err == HUB_ENGINE_INVALID && ee != NULL && ee->message[0] != '\0')
			return hub_app_error(app, req, 400, ee->message,
			    ee->field[0] ? ee->field : NULL);
		return hub_app_error(app, req, engine_map[i].status, engine_map[i].msg,
		    ee != NULL && ee->field[0] ? ee->field : NULL);
	}
	hub_log(HUB_LOG_ERROR, "engine_error", "error", hub_engine_strerror(err), NULL);
	return hub_app_error(app, req, 500, "internal error", NULL);
}

/* The request exists and the caller may act on it: 0, or answered 404. */
static int
request_visible(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	const char *params[2] = { req->captures[0], visible_source(c) };
	PGresult *res = NULL;
	int rc;

	if (!uuid_ok(req->captures[0]))
		return hub_app_error(app, req, 404, "request not found", NULL), 404;
	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_REQUEST_STATE, params, &res)) != HUB_DB_OK)
		return db_error(req, app, rc), rc == HUB_DB_CONN ? 503 : 500;
	rc = PQntuples(res) == 1 ? 0 : 404;
	PQclear(res);
	if (rc != 0)
		hub_app_error(app, req, 404, "request not found", NULL);
	return rc;
}

static int
h_cancel(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = { "reason", NULL };
	struct api_call *c = call_of(req);
	const char *reason = NULL;
	struct hub_outcome oc;
	struct hub_actor actor;
	json_object *in = NULL, *o;
	int rc;

	if ((rc = body_object(req, app, &in)) != 0 || (rc = only_fields(req, app, in, allowed)) != 0)
		goto out;
	rc = hub_json_get_string(in, "reason", 1000, &reason);
	if (rc != HUB_JSON_OK && rc != HUB_JSON_MISSING) {
		rc = hub_app_error(app, req, 400, "reason must be a string of at most 1000 bytes",
		    "reason");
		goto out;
	}
	if ((rc = request_visible(req, app)) != 0)
		goto out;
	actor_of(c, &actor);
	memset(&oc, 0, sizeof(oc));
	rc = hub_engine_cancel(c->db, req->captures[0], &actor, reason, &oc);
	if (rc != HUB_ENGINE_OK) {
		rc = rc == HUB_ENGINE_CONFLICT || rc == HUB_ENGINE_ALREADY_DECIDED ||
		    rc == HUB_ENGINE_CLOSED ?
		    conflict(req, app, req->captures[0], oc.request_status, oc.decided_by,
		    oc.decided_at) : engine_error(req, app, rc, NULL, req->captures[0]);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(req->captures[0]));
	json_object_object_add(o, "status", json_object_new_string(
	    oc.request_status[0] ? oc.request_status : "Cancelled"));
	json_object_object_add(o, "message", json_object_new_string("Approval request cancelled"));
	rc = respond(req, 200, o);
out:
	json_object_put(in);
	return rc;
}

static int
h_remind(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = { NULL };
	struct api_call *c = call_of(req);
	struct hub_actor actor;
	json_object *in = NULL, *o;
	int rc, n = 0;

	if ((rc = body_object(req, app, &in)) != 0 || (rc = only_fields(req, app, in, allowed)) != 0)
		goto out;
	if ((rc = request_visible(req, app)) != 0)
		goto out;
	actor_of(c, &actor);
	if ((rc = hub_engine_remind(c->db, req->captures[0], &actor, &n)) != HUB_ENGINE_OK) {
		rc = engine_error(req, app, rc, NULL, req->captures[0]);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(req->captures[0]));
	json_object_object_add(o, "reminded", json_object_new_int(n));
	rc = respond(req, 200, o);
out:
	json_object_put(in);
	return rc;
}

/* An approver as intake takes it: "U…"/"W…", an email, "group:NAME", or
 * {"slack"|"email"|"group": value}.  0, or -1 with nothing set. */
static int
parse_approver(json_object *v, const char **kind, char *value, size_t valuelen)
{
	static const char *const kinds[] = { "slack", "email", "group", NULL };
	const char *s = NULL, *k = NULL;
	size_t i, n;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strncmp(s, "group:", 6) == 0) {
			k = "group";
			s += 6;
		} else if (strchr(s, '@') != NULL) {
			k = "email";
		} else {
			k = "slack";
		}
	} else if (json_object_is_type(v, json_type_object) && json_object_object_length(v) == 1) {
		json_object_object_foreach(v, key, val) {
			if (!one_of(key, kinds) || !json_object_is_type(val, json_type_string))
				return -1;
			k = kinds[0];
			for (i = 0; kinds[i] != NULL; i++)
				if (strcmp(kinds[i], key) == 0)
					k = kinds[i];
			s = json_object_get_string(val);
		}
	}
	if (s == NULL || (n = strlen(s)) == 0 || n > 320 || n >= valuelen)
		return -1;
	for (i = 0; i < n; i++)
		if (iscntrl((unsigned char)s[i]) || s[i] == ' ')
			return -1;
	if (strcmp(k, "slack") == 0) {
		if ((s[0] != 'U' && s[0] != 'W') || n < 3 || n > 32)
			return -1;
		for (i = 0; i < n; i++)
			if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
				return -1;
	}
	if (strcmp(k, "email") == 0) {
		const char *at = strchr(s, '@');

		if (at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
			return -1;
	}
	for (i = 0; i < n; i++)
		value[i] = strcmp(k, "email") == 0 ? (char)tolower((unsigned char)s[i]) : s[i];
	value[n] = '\0';
	*kind = k;
	return 0;
}

static int
h_reassign(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = { "from", "to", NULL };
	static const char *const fields[] = { "from", "to" };
	struct api_call *c = call_of(req);
	const char *kind[2];
	char value[2][321];
	struct hub_engine_error ee;
	struct hub_actor actor;
	json_object *in = NULL, *o, *v;
	size_t i;
	int rc;

	if ((rc = body_object(req, app, &in)) != 0 || (rc = only_fields(req, app, in, allowed)) != 0)
		goto out;
	for (i = 0; i < 2; i++) {
		if (!json_object_object_get_ex(in, fields[i], &v) ||
		    parse_approver(v, &kind[i], value[i], sizeof(value[i])) != 0) {
			rc = hub_app_error(app, req, 400, "an approver: Slack user id, email,"
			    " \"group:NAME\", or {\"slack\"|\"email\"|\"group\": value}", fields[i]);
			goto out;
		}
	}
	if (strcmp(kind[0], kind[1]) == 0 && strcmp(value[0], value[1]) == 0) {
		rc = hub_app_error(app, req, 400, "from and to are the same approver", "to");
		goto out;
	}
	if ((rc = request_visible(req, app)) != 0)
		goto out;
	actor_of(c, &actor);
	memset(&ee, 0, sizeof(ee));
	rc = hub_engine_reassign(c->db, req->captures[0], kind[0], value[0], kind[1], value[1],
	    &actor, &ee);
	if (rc != HUB_ENGINE_OK) {
		rc = engine_error(req, app, rc, &ee, req->captures[0]);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(req->captures[0]));
	json_object_object_add(o, "message", json_object_new_string("Approver reassigned"));
	rc = respond(req, 200, o);
out:
	json_object_put(in);
	return rc;
}

/* ------------------------------------------------------------ sources */

/*
 * The settable fields of a source: JSON name, what it must be, and its
 * (present, value) parameter pair in STMT_SOURCE_UPDATE.  JSON null clears
 * a field where the column allows it.
 */
enum fkind {
	FK_TEXT,       /* string up to max bytes, no control characters */
	FK_ENUM,       /* one of set */
	FK_CONNECTION, /* the name of a Slack connection -> its id */
	FK_CHANNEL,    /* "#name", "C…"/"G…" id: no spaces */
	FK_DURATION,   /* intake duration, at least min seconds */
	FK_URL,        /* http(s) URL */
	FK_SECRET,     /* sealed with the keyring before storing */
	FK_BOOL,
	FK_NAMES,      /* array of field names */
};

struct source_field {
	const char		*name;
	enum fkind		 kind;
	int			 param;    /* index of "present"; value at param + 1 */
	int			 nullable;
	size_t			 max;      /* FK_TEXT/URL/SECRET: bytes; FK_DURATION: min s */
	const char *const	*set;
};

static const struct source_field source_fields[] = {
	{ "description", FK_TEXT, 1, 1, 500, NULL },
	{ "connection", FK_CONNECTION, 3, 1, 100, NULL },
	{ "channel", FK_CHANNEL, 5, 1, 80, NULL },
	{ "delivery_mode", FK_ENUM, 7, 1, 0, delivery_modes },
	{ "rule", FK_ENUM, 9, 0, 0, rules },
	{ "deadline", FK_DURATION, 11, 1, 1, NULL },
	{ "reminder_every", FK_DURATION, 13, 1, 60, NULL },
	{ "callback_url", FK_URL, 15, 1, 2000, NULL },
	{ "callback_secret", FK_SECRET, 17, 1, 200, NULL },
	{ "allow_self_approval", FK_BOOL, 19, 0, 0, NULL },
	{ "reason_required", FK_BOOL, 21, 0, 0, NULL },
	{ "editable_fields", FK_NAMES, 23, 0, 50, NULL },
	{ "disabled", FK_BOOL, 25, 0, 0, NULL },
};
#define SOURCE_PARAMS 27

struct source_update {
	const char	*params[SOURCE_PARAMS];
	char		*owned[SOURCE_PARAMS];  /* values built here, freed after */
	int		 any;
};

static void
source_update_free(struct source_update *u)
{
	size_t i;

	for (i = 0; i < SOURCE_PARAMS; i++)
		free(u->owned[i]);
}

static int
text_ok(const char *s, size_t max, int spaces)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (iscntrl((unsigned char)s[i]) || (!spaces && s[i] == ' '))
			return 0;
	return 1;
}

static const char *
field_problem(struct hub_app_ctx *app, struct hub_db *db, const struct source_field *f,
    json_object *v, struct source_update *u)
{
	struct hub_keyring ring;
	struct hub_buf b = HUB_BUF_INIT(4096);
	PGresult *res = NULL;
	const char *s = NULL, *problem = NULL, *params[1];
	long long secs;
	size_t i, n;
	int p = f->param;

	u->params[p] = "true";
	u->any = 1;
	if (v == NULL) {
		if (!f->nullable)
			return "may not be null";
		return NULL;
	}
	switch (f->kind) {
	case FK_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return "must be true or false";
		u->params[p + 1] = json_object_get_boolean(v) ? "true" : "false";
		return NULL;
	case FK_DURATION:
		secs = hub_intake_duration(v);
		if (secs < 0 || secs < (long long)f->max || secs > 366LL * 86400)
			return f->max > 1 ? "must be a duration of at least a minute"
			    " (seconds, \"90m\", \"4h\", \"2d\", \"PT4H\")" :
			    "must be a duration (seconds, \"90m\", \"4h\", \"2d\", \"PT4H\")";
		if (hub_buf_printf(&b, "%lld", secs) != 0)
			return "too large";
		u->owned[p + 1] = hub_buf_detach(&b, NULL);
		u->params[p + 1] = u->owned[p + 1];
		return NULL;
	case FK_NAMES:
		if (!json_object_is_type(v, json_type_array) ||
		    (n = json_object_array_length(v)) > f->max)
			return "must be an array of at most 50 field names";
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string) ||
			    !text_ok(json_object_get_string(e), 100, 0))
				return "must be an array of at most 50 field names";
		}
		u->owned[p + 1] = strdup(hub_json_str(v, NULL));
		u->params[p + 1] = u->owned[p + 1];
		return u->owned[p + 1] != NULL ? NULL : "out of memory";
	default:
		break;
	}
	if (!json_object_is_type(v, json_type_string))
		return "must be a string";
	s = json_object_get_string(v);
	switch (f->kind) {
	case FK_TEXT:
		if (!text_ok(s, f->max, 1))
			problem = "must be 1 to 500 characters without control characters";
		break;
	case FK_ENUM:
		if (!one_of(s, f->set))
			problem = f->set == rules ? "must be any, all or quorum" :
			    "must be dm, group_dm, channel or both";
		break;
	case FK_CHANNEL:
		if (!text_ok(s, f->max, 0))
			problem = "must be a channel name or id (1 to 80 characters, no spaces)";
		break;
	case FK_URL:
		if (!text_ok(s, f->max, 0) ||
		    (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
		    strlen(s) <= 8)
			problem = "must be an http(s) URL";
		break;
	case FK_SECRET:
		if (strlen(s) < 8 || strlen(s) > f->max) {
			problem = "must be 8 to 200 characters";
			break;
		}
		memset(&ring, 0, sizeof(ring));
		if (!app->conf.have_secret_key ||
		    hub_keyring_add(&ring, app->conf.secret_key) != HUB_CRYPTO_OK ||
		    hub_box_seal(&ring, s, strlen(s), &b) != HUB_CRYPTO_OK) {
			problem = "could not be sealed";
			break;
		}
		u->owned[p + 1] = hub_buf_detach(&b, NULL);
		u->params[p + 1] = u->owned[p + 1];
		s = NULL;
		break;
	case FK_CONNECTION:
		params[0] = s;
		if (!text_ok(s, f->max, 1) ||
		    hub_db_exec(db, &api_stmts, STMT_CONNECTION_BY_NAME, params, &res) != HUB_DB_OK ||
		    PQntuples(res) != 1) {
			problem = "must name a Slack connection";
			break;
		}
		u->owned[p + 1] = strdup(PQgetvalue(res, 0, 0));
		u->params[p + 1] = u->owned[p + 1];
		s = NULL;
		break;
	default:
		problem = "unsupported";
		break;
	}
	if (problem == NULL && s != NULL)
		u->params[p + 1] = s;	/* borrowed from the body, which outlives the update */
	if (res != NULL)
		PQclear(res);
	hub_buf_release(&b);
	memset(&ring, 0, sizeof(ring));
	return problem;
}

/* Validate every field of in (skipping names in skip) into u; answers 400
 * with the field on the first problem. */
static int
source_fields_parse(struct hub_req *req, struct hub_app_ctx *app, struct hub_db *db,
    json_object *in, const char *const *skip, struct source_update *u)
{
	const char *problem;
	char msg[300];
	size_t i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < SOURCE_PARAMS; i++)
		u->params[i] = NULL;
	for (i = 0; i < HUB_NELEM(source_fields); i++) {
		u->params[source_fields[i].param] = "false";
	}
	json_object_object_foreach(in, k, v) {
		const struct source_field *f = NULL;

		if (skip != NULL && one_of(k, skip))
			continue;
		for (i = 0; i < HUB_NELEM(source_fields); i++)
			if (strcmp(source_fields[i].name, k) == 0)
				f = &source_fields[i];
		if (f == NULL)
			return hub_app_error(app, req, 400, "unknown field", k), 400;
		if ((problem = field_problem(app, db, f, v, u)) != NULL) {
			snprintf(msg, sizeof(msg), "%s %s", k, problem);
			return hub_app_error(app, req, 400, msg, k), 400;
		}
	}
	return 0;
}

static int
source_respond(struct hub_req *req, struct hub_app_ctx *app, struct hub_db *db,
    const char *id, int status, const char *new_key)
{
	const char *params[1] = { id };
	PGresult *res = NULL;
	json_object *o;
	int rc;

	if ((rc = hub_db_exec(db, &api_stmts, STMT_SOURCE, params, &res)) != HUB_DB_OK)
		return db_error(req, app, rc);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return hub_app_error(app, req, 404, "source not found", NULL);
	}
	o = row_json(res, 0);
	PQclear(res);
	if (o != NULL && new_key != NULL)
		json_object_object_add(o, "api_key", json_object_new_string(new_key));
	return respond(req, status, o);
}

static int
h_sources(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	PGresult *res = NULL;
	json_object *o;
	int rc;

	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_SOURCES, NULL, &res)) != HUB_DB_OK)
		return db_error(req, app, rc);
	o = json_object_new_object();
	json_object_object_add(o, "sources", rows_json(res, PQntuples(res)));
	json_object_object_add(o, "count", json_object_new_int(PQntuples(res)));
	PQclear(res);
	return respond(req, 200, o);
}

static int
h_source(struct hub_req *req, struct hub_app_ctx *app)
{
	if (!uuid_ok(req->captures[0]))
		return hub_app_error(app, req, 404, "source not found", NULL);
	return source_respond(req, app, call_of(req)->db, req->captures[0], 200, NULL);
}

static int
h_source_add(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const skip[] = { "name", NULL };
	struct api_call *c = call_of(req);
	struct hub_buf key = HUB_BUF_INIT(256);
	struct source_update u;
	json_object *in = NULL;
	const char *name = NULL;
	char id[HUB_UUID_LEN];
	int rc, tx = 0;

	memset(&u, 0, sizeof(u));
	if ((rc = body_object(req, app, &in)) != 0)
		goto out;
	if (hub_json_get_string(in, "name", 100, &name) != HUB_JSON_OK || !text_ok(name, 100, 1)) {
		rc = hub_app_error(app, req, 400, "name must be 1 to 100 characters", "name");
		goto out;
	}
	if ((rc = source_fields_parse(req, app, c->db, in, skip, &u)) != 0)
		goto out;
	if ((rc = hub_db_begin(c->db)) != HUB_DB_OK) {
		rc = db_error(req, app, rc);
		goto out;
	}
	tx = 1;
	switch (hub_admin_source_add(c->db, name, &key, id)) {
	case HUB_ADMIN_OK:
		break;
	case HUB_ADMIN_EXISTS:
		rc = hub_app_error(app, req, 409, "a source with this name exists", "name");
		goto out;
	case HUB_ADMIN_INVALID:
		rc = hub_app_error(app, req, 400, "name must be 1 to 100 characters", "name");
		goto out;
	default:
		rc = db_error(req, app, HUB_DB_QUERY);
		goto out;
	}
	u.params[0] = id;
	if (u.any && (rc = hub_db_exec(c->db, &api_stmts, STMT_SOURCE_UPDATE, u.params, NULL)) != HUB_DB_OK) {
		rc = rc == HUB_DB_CHECK ? hub_app_error(app, req, 400, "invalid source settings", NULL) :
		    db_error(req, app, rc);
		goto out;
	}
	if ((rc = hub_db_commit(c->db)) != HUB_DB_OK) {
		tx = 0;
		rc = db_error(req, app, rc);
		goto out;
	}
	tx = 0;
	rc = source_respond(req, app, c->db, id, 201, hub_buf_str(&key));
out:
	if (tx)
		hub_db_rollback(c->db);
	source_update_free(&u);
	hub_buf_release(&key);
	json_object_put(in);
	return rc;
}

static int
h_source_patch(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	struct source_update u;
	json_object *in = NULL;
	PGresult *res = NULL;
	int rc;

	memset(&u, 0, sizeof(u));
	if ((rc = body_object(req, app, &in)) != 0)
		goto out;
	if (!uuid_ok(req->captures[0])) {
		rc = hub_app_error(app, req, 404, "source not found", NULL);
		goto out;
	}
	if ((rc = source_fields_parse(req, app, c->db, in, NULL, &u)) != 0)
		goto out;
	u.params[0] = req->captures[0];
	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_SOURCE_UPDATE, u.params, &res)) != HUB_DB_OK) {
		rc = rc == HUB_DB_CHECK ? hub_app_error(app, req, 400, "invalid source settings", NULL) :
		    db_error(req, app, rc);
		goto out;
	}
	if (PQntuples(res) != 1) {
		rc = hub_app_error(app, req, 404, "source not found", NULL);
		goto out;
	}
	rc = source_respond(req, app, c->db, req->captures[0], 200, NULL);
out:
	if (res != NULL)
		PQclear(res);
	source_update_free(&u);
	json_object_put(in);
	return rc;
}

static int
h_rotate(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	struct hub_buf key = HUB_BUF_INIT(256);
	const char *params[1] = { req->captures[0] };
	PGresult *res = NULL;
	json_object *in = NULL, *o;
	int rc;

	if ((rc = body_object(req, app, &in)) != 0)
		goto out;
	if (json_object_object_length(in) != 0) {
		json_object_object_foreach(in, k, v) {
			(void)v;
			rc = hub_app_error(app, req, 400, "unknown field", k);
			goto out;
		}
	}
	if (!uuid_ok(req->captures[0])) {
		rc = hub_app_error(app, req, 404, "source not found", NULL);
		goto out;
	}
	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_SOURCE, params, &res)) != HUB_DB_OK) {
		rc = db_error(req, app, rc);
		goto out;
	}
	if (PQntuples(res) != 1) {
		rc = hub_app_error(app, req, 404, "source not found", NULL);
		goto out;
	}
	rc = hub_admin_key_rotate(c->db, PQgetvalue(res, 0, PQfnumber(res, "name")), &key);
	if (rc != HUB_ADMIN_OK) {
		rc = rc == HUB_ADMIN_NOTFOUND ? hub_app_error(app, req, 404, "source not found", NULL) :
		    db_error(req, app, HUB_DB_QUERY);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(req->captures[0]));
	json_object_object_add(o, "api_key", json_object_new_string(hub_buf_str(&key)));
	json_object_object_add(o, "message", json_object_new_string(
	    "New API key; every earlier key of this source is revoked. It is shown only once."));
	rc = respond(req, 200, o);
out:
	if (res != NULL)
		PQclear(res);
	hub_buf_release(&key);
	json_object_put(in);
	return rc;
}

/* ------------------------------------------------------------ users */

static int
h_users(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	PGresult *res = NULL;
	json_object *o;
	int rc;

	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_USERS, NULL, &res)) != HUB_DB_OK)
		return db_error(req, app, rc);
	o = json_object_new_object();
	json_object_object_add(o, "users", rows_json(res, PQntuples(res)));
	json_object_object_add(o, "count", json_object_new_int(PQntuples(res)));
	PQclear(res);
	return respond(req, 200, o);
}

static int
h_user_add(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = { "name", "email", "role", NULL };
	struct api_call *c = call_of(req);
	struct hub_buf pw = HUB_BUF_INIT(256);
	const char *name = NULL, *email = NULL, *role = "requester", *at;
	char id[HUB_UUID_LEN], lower[321];
	json_object *in = NULL, *o;
	size_t i;
	int rc;

	if ((rc = body_object(req, app, &in)) != 0 || (rc = only_fields(req, app, in, allowed)) != 0)
		goto out;
	if (hub_json_get_string(in, "name", 200, &name) != HUB_JSON_OK || !text_ok(name, 200, 1)) {
		rc = hub_app_error(app, req, 400, "name must be 1 to 200 characters", "name");
		goto out;
	}
	rc = hub_json_get_string(in, "email", 320, &email);
	if (rc == HUB_JSON_OK) {
		at = strchr(email, '@');
		if (!text_ok(email, 320, 0) || at == NULL || at == email || at[1] == '\0' ||
		    strchr(at + 1, '@') != NULL) {
			rc = hub_app_error(app, req, 400, "email must be an email address", "email");
			goto out;
		}
		for (i = 0; email[i] != '\0'; i++)
			lower[i] = (char)tolower((unsigned char)email[i]);
		lower[i] = '\0';
		email = lower;
	} else if (rc != HUB_JSON_MISSING) {
		rc = hub_app_error(app, req, 400, "email must be an email address", "email");
		goto out;
	}
	rc = hub_json_get_string(in, "role", 20, &role);
	if ((rc != HUB_JSON_OK && rc != HUB_JSON_MISSING) || !one_of(role, roles)) {
		rc = hub_app_error(app, req, 400, "role must be admin, requester or viewer", "role");
		goto out;
	}
	switch (hub_admin_user_add(c->db, name, email, role, NULL, &pw, id)) {
	case HUB_ADMIN_OK:
		break;
	case HUB_ADMIN_EXISTS:
		rc = hub_app_error(app, req, 409, "a user with this email exists", "email");
		goto out;
	case HUB_ADMIN_INVALID:
		rc = hub_app_error(app, req, 400, "invalid user", NULL);
		goto out;
	default:
		rc = db_error(req, app, HUB_DB_QUERY);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "email", email ? json_object_new_string(email) : NULL);
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "password", json_object_new_string(hub_buf_str(&pw)));
	json_object_object_add(o, "message", json_object_new_string(
	    "User created; the password is shown only once."));
	rc = respond(req, 201, o);
out:
	hub_buf_release(&pw);
	json_object_put(in);
	return rc;
}

/* ------------------------------------------------------------ notifications */

static int
h_notifications(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = {
		"request_id", "status", "kind", "transport", "limit", "cursor", NULL,
	};
	struct api_call *c = call_of(req);
	const char *rid = query_get(req, "request_id"), *status = query_get(req, "status");
	const char *kind = query_get(req, "kind"), *transport = query_get(req, "transport");
	const char *cursor = query_get(req, "cursor"), *params[7];
	char ts[40] = "infinity", id[40] = "9223372036854775807", lim[24];
	PGresult *res = NULL;
	long limit;
	int rc;

	if ((rc = only_params(req, app, allowed)) != 0 || (rc = parse_limit(req, app, &limit)) != 0)
		return rc;
	if (rid != NULL && !uuid_ok(rid))
		return hub_app_error(app, req, 400, "request_id must be a request id", "request_id");
	if (status != NULL && !one_of(status, delivery_statuses))
		return hub_app_error(app, req, 400, "status must be one of queued, sending,"
		    " delivered, failed, retrying", "status");
	if (kind != NULL && !one_of(kind, notification_kinds))
		return hub_app_error(app, req, 400, "unknown notification kind", "kind");
	if (transport != NULL && !one_of(transport, transports))
		return hub_app_error(app, req, 400, "transport must be one of slack, webhook,"
		    " email, callback", "transport");
	if (cursor != NULL && !cursor_decode(cursor, 1, ts, id))
		return hub_app_error(app, req, 400, "invalid cursor", "cursor");
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	params[0] = rid;
	params[1] = status;
	params[2] = kind;
	params[3] = transport;
	params[4] = ts;
	params[5] = id;
	params[6] = lim;
	if ((rc = hub_db_exec(c->db, &api_stmts, STMT_NOTIFICATIONS, params, &res)) != HUB_DB_OK)
		return rc == HUB_DB_CHECK ? hub_app_error(app, req, 400, "invalid cursor", "cursor") :
		    db_error(req, app, rc);
	rc = list_respond(req, res, "notifications", limit);
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------ documentation */

static const struct hub_embed *
openapi_doc(void)
{
	return hub_embed_find(hub_embed_templates, "openapi.json");
}

static int
h_openapi(struct hub_req *req, struct hub_app_ctx *app)
{
	const struct hub_embed *e = openapi_doc();

	if (e == NULL)
		return hub_app_error(app, req, 404, "the OpenAPI document is not built in", NULL);
	if (hub_resp_start(req, 200, "application/json") != 0)
		return 0;
	hub_resp_write(req, e->data, e->len);
	return 0;
}

/*
 * /api-docs: HTML generated from the OpenAPI document at run time, so the
 * page cannot drift from it.  Every value from the document goes through
 * hub_html_escape; the page has no script and loads nothing from elsewhere.
 */
struct docs {
	struct hub_buf	*out;
	json_object	*root;
	int		 err;
};

static void
d_raw(struct docs *d, const char *s)
{
	if (d->err == 0)
		d->err = hub_buf_adds(d->out, s);
}

static void
d_esc(struct docs *d, const char *s)
{
	if (d->err == 0 && s != NULL)
		d->err = hub_html_escape(d->out, s, strlen(s));
}

static const char *
d_str(json_object *o, const char *k)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static json_object *
d_obj(json_object *o, const char *k)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_object))
		return v;
	return NULL;
}

/* Follow a local "$ref": "#/components/schemas/X" once. */
static json_object *
d_deref(struct docs *d, json_object *o)
{
	const char *ref = d_str(o, "$ref"), *p;
	json_object *cur = d->root;
	char seg[128];
	size_t n;

	if (ref == NULL || strncmp(ref, "#/", 2) != 0)
		return o;
	for (p = ref + 2; cur != NULL && *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = d_obj(cur, seg);
	}
	return cur;
}

static void
d_type(struct docs *d, json_object *schema)
{
	json_object *s = d_deref(d, schema), *t;
	const char *ref = d_str(schema, "$ref");

	if (ref != NULL && strrchr(ref, '/') != NULL) {
		d_esc(d, strrchr(ref, '/') + 1);
		return;
	}
	if (s == NULL)
		return;
	if (json_object_object_get_ex(s, "type", &t)) {
		if (json_object_is_type(t, json_type_array))
			d_esc(d, json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
		else
			d_esc(d, json_object_get_string(t));
		if (json_object_is_type(t, json_type_string) &&
		    strcmp(json_object_get_string(t), "array") == 0 && d_obj(s, "items") != NULL) {
			d_raw(d, " of ");
			d_type(d, d_obj(s, "items"));
		}
	}
	if (json_object_object_get_ex(s, "enum", &t)) {
		d_raw(d, " <code>");
		d_esc(d, json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		d_raw(d, "</code>");
	}
}

/* The properties of an object schema as a table. */
static void
d_fields(struct docs *d, json_object *schema)
{
	json_object *s = d_deref(d, schema), *props = d_obj(s, "properties"), *req = NULL;
	size_t i;

	if (props == NULL)
		return;
	json_object_object_get_ex(s, "required", &req);
	d_raw(d, "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>\n");
	json_object_object_foreach(props, k, v) {
		int required = 0;

		for (i = 0; req != NULL && json_object_is_type(req, json_type_array) &&
		    i < json_object_array_length(req); i++)
			required |= strcmp(json_object_get_string(
			    json_object_array_get_idx(req, i)), k) == 0;
		d_raw(d, "<tr><td><code>");
		d_esc(d, k);
		d_raw(d, "</code></td><td>");
		d_type(d, v);
		d_raw(d, required ? "</td><td>yes</td><td>" : "</td><td></td><td>");
		d_esc(d, d_str(d_deref(d, v), "description"));
		d_raw(d, "</td></tr>\n");
	}
	d_raw(d, "</table>\n");
}

static void
d_operation(struct docs *d, const char *path, const char *method, json_object *op)
{
	json_object *params, *body, *resp, *content, *media;
	char upper[16];
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(upper); i++)
		upper[i] = (char)toupper((unsigned char)method[i]);
	upper[i] = '\0';
	d_raw(d, "<section class=\"endpoint\"><h3><code>");
	d_esc(d, upper);
	d_raw(d, " ");
	d_esc(d, path);
	d_raw(d, "</code></h3>\n<p><strong>");
	d_esc(d, d_str(op, "summary"));
	d_raw(d, "</strong></p>\n<p>");
	d_esc(d, d_str(op, "description"));
	d_raw(d, "</p>\n");
	if (json_object_object_get_ex(op, "parameters", &params) &&
	    json_object_is_type(params, json_type_array) && json_object_array_length(params) > 0) {
		d_raw(d, "<h4>Parameters</h4>\n<table><tr><th>name</th><th>in</th>"
		    "<th>type</th><th>description</th></tr>\n");
		for (i = 0; i < json_object_array_length(params); i++) {
			json_object *p = d_deref(d, json_object_array_get_idx(params, i));

			d_raw(d, "<tr><td><code>");
			d_esc(d, d_str(p, "name"));
			d_raw(d, "</code></td><td>");
			d_esc(d, d_str(p, "in"));
			d_raw(d, "</td><td>");
			d_type(d, d_obj(p, "schema"));
			d_raw(d, "</td><td>");
			d_esc(d, d_str(p, "description"));
			d_raw(d, "</td></tr>\n");
		}
		d_raw(d, "</table>\n");
	}
	body = d_deref(d, d_obj(op, "requestBody"));
	if ((content = d_obj(body, "content")) != NULL) {
		d_raw(d, "<h4>Request body</h4>\n");
		json_object_object_foreach(content, mt, m) {
			d_raw(d, "<p><code>");
			d_esc(d, mt);
			d_raw(d, "</code></p>\n");
			d_fields(d, d_obj(m, "schema"));
		}
	}
	if ((resp = d_obj(op, "responses")) != NULL) {
		d_raw(d, "<h4>Responses</h4>\n<table><tr><th>status</th><th>description</th>"
		    "<th>body</th></tr>\n");
		json_object_object_foreach(resp, code, r) {
			json_object *rr = d_deref(d, r);

			d_raw(d, "<tr><td>");
			d_esc(d, code);
			d_raw(d, "</td><td>");
			d_esc(d, d_str(rr, "description"));
			d_raw(d, "</td><td>");
			if ((content = d_obj(rr, "content")) != NULL) {
				json_object_object_foreach(content, mt2, m2) {
					d_esc(d, mt2);
					media = d_obj(m2, "schema");
					if (media != NULL) {
						d_raw(d, ": ");
						d_type(d, media);
					}
				}
			}
			d_raw(d, "</td></tr>\n");
		}
		d_raw(d, "</table>\n");
	}
	d_raw(d, "</section>\n");
}

/* The endpoints grouped by their first tag, in the order the tags are
 * listed; the page around them is templates/api-docs.html. */
static int
docs_render(json_object *root, struct hub_buf *out)
{
	static const char *const methods[] = { "get", "post", "patch", "put", "delete", NULL };
	struct docs d = { out, root, 0 };
	json_object *paths = d_obj(root, "paths"), *tags;
	char anchor[64];
	size_t t, ntags;
	int m;

	if (!json_object_object_get_ex(root, "tags", &tags) ||
	    !json_object_is_type(tags, json_type_array))
		tags = NULL;
	ntags = tags != NULL ? json_object_array_length(tags) : 0;
	for (t = 0; t < ntags; t++) {
		json_object *tag = json_object_array_get_idx(tags, t);
		const char *tname = d_str(tag, "name");

		if (tname == NULL || paths == NULL)
			continue;
		snprintf(anchor, sizeof(anchor), "<h2 id=\"tag-%zu\">", t);
		d_raw(&d, anchor);
		d_esc(&d, tname);
		d_raw(&d, "</h2>\n");
		json_object_object_foreach(paths, path, item) {
			for (m = 0; methods[m] != NULL; m++) {
				json_object *op = d_obj(item, methods[m]), *otags;
				const char *first;

				if (op == NULL || !json_object_object_get_ex(op, "tags", &otags) ||
				    !json_object_is_type(otags, json_type_array) ||
				    json_object_array_length(otags) == 0)
					continue;
				first = json_object_get_string(json_object_array_get_idx(otags, 0));
				if (first != NULL && strcmp(first, tname) == 0)
					d_operation(&d, path, methods[m], op);
			}
		}
	}
	return d.err;
}

static int
h_docs(struct hub_req *req, struct hub_app_ctx *app)
{
	const struct hub_embed *e = openapi_doc();
	struct hub_buf ref = HUB_BUF_INIT(4u << 20), page = HUB_BUF_INIT(8u << 20);
	json_object *root = NULL, *ctx = NULL, *info, *v;
	int rc = 500;

	if (e == NULL)
		return hub_app_error(app, req, 404, "the OpenAPI document is not built in", NULL);
	if (hub_json_parse_object(e->data, e->len, 4u << 20, 64, &root) != HUB_JSON_OK) {
		hub_log(HUB_LOG_ERROR, "openapi_unparsable", NULL);
		goto out;
	}
	if (docs_render(root, &ref) != 0 || (ctx = json_object_new_object()) == NULL)
		goto out;
	info = d_obj(root, "info");
	json_object_object_add(ctx, "title", json_object_new_string("API reference"));
	json_object_object_add(ctx, "api_title", json_object_new_string(d_str(info, "title") ?
	    d_str(info, "title") : "API"));
	json_object_object_add(ctx, "version", json_object_new_string(d_str(info, "version") ?
	    d_str(info, "version") : ""));
	json_object_object_add(ctx, "description", json_object_new_string(
	    d_str(info, "description") ? d_str(info, "description") : ""));
	json_object_object_add(ctx, "openapi", json_object_new_string(d_str(root, "openapi") ?
	    d_str(root, "openapi") : ""));
	if (json_object_object_get_ex(root, "tags", &v))
		json_object_object_add(ctx, "tags", json_object_get(v));
	json_object_object_add(ctx, "reference", json_object_new_string(hub_buf_str(&ref)));
	if ((rc = hub_tmpl_render_page("api-docs.html", ctx, &page)) != HUB_TMPL_OK) {
		hub_log(HUB_LOG_ERROR, "api_docs_render_failed", "error", hub_tmpl_errmsg(), NULL);
		rc = 500;
		goto out;
	}
	rc = hub_resp_html(req, 200, page.data, page.len);
out:
	json_object_put(ctx);
	json_object_put(root);
	hub_buf_release(&ref);
	hub_buf_release(&page);
	return rc;
}

/* ------------------------------------------------------------ main */

static const struct hub_app app = {
	.name = "api",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 1,
	.routes = routes,
	.nroutes = R__MAX,
};

/* `api --routes`: "METHOD PATH" per served route, PATH as documented. */
static int
print_routes(void)
{
	static const enum hub_method ms[] = { HUB_M_GET, HUB_M_POST, HUB_M_PUT, HUB_M_PATCH,
	    HUB_M_DELETE };
	size_t r, i;

	for (r = 0; r < R__MAX; r++)
		for (i = 0; i < HUB_NELEM(ms); i++)
			if (route_info[r].methods & HUB_ROUTE_M(ms[i]))
				printf("%s %s\n", hub_method_name(ms[i]), route_info[r].doc_path);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--routes") == 0)
		return print_routes();
	/* Before hub_app_main forks: every child inherits the same counters. */
	metrics = hub_metrics_create(R__MAX);
	return hub_app_main(&app, argc, argv);
}
