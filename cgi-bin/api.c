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
 * The admin resources (sources, users, the delivery history, connections,
 * groups, delegations) share one handler: each of their routes is a row of
 * resources[] below, served by lib/web/resource.c with the body and query
 * parsers and the refusal maps every API handler uses.
 *
 * Visibility: a source key sees only its own source's requests.  Another
 * source's request is 404, and `source=` naming another source lists
 * nothing (an empty page, never 403: a key cannot probe which sources
 * exist).  /health, /metrics, /api/openapi.json and /api-docs need no key;
 * protect /metrics in nginx for production.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "approval/admin.h"
#include "approval/apiauth.h"
#include "web/apidocs.h"
#include "web/app.h"
#include "base/check.h"
#include "slack/connadmin.h"
#include "slack/connections.h"
#include "store/db.h"
#include "store/netpolicy.h"
#include "approval/engine.h"
#include "web/fcgi.h"
#include "approval/groups.h"
#include "approval/intake.h"
#include "base/json.h"
#include "base/log.h"
#include "web/metrics.h"
#include "notify/notifications.h"
#include "approval/reqquery.h"
#include "approval/semantic.h"
#include "approval/sourceadmin.h"
#include "web/resource.h"

#define LIST_DEFAULT	50
#define LIST_MAX	200
#define IDEMKEY_MAX	200

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
#define D	HUB_ROUTE_M(HUB_M_DELETE)

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
	X(SOURCES, GH, "/api/sources", "/api/sources", h_resource, NEED_ADMIN) \
	X(SOURCE_ADD, P, "/api/sources", "/api/sources", h_resource, NEED_ADMIN | NEED_JSON) \
	X(SOURCE, GH, "/api/sources/*", "/api/sources/{id}", h_resource, NEED_ADMIN) \
	X(SOURCE_PATCH, PA, "/api/sources/*", "/api/sources/{id}", h_resource, \
	    NEED_ADMIN | NEED_JSON) \
	X(ROTATE, P, "/api/sources/*/rotate-key", "/api/sources/{id}/rotate-key", h_resource, \
	    NEED_ADMIN | NEED_JSON_OPT) \
	X(USERS, GH, "/api/users", "/api/users", h_resource, NEED_ADMIN) \
	X(USER_ADD, P, "/api/users", "/api/users", h_resource, NEED_ADMIN | NEED_JSON) \
	X(NOTIFICATIONS, GH, "/api/notifications", "/api/notifications", h_resource, \
	    NEED_ADMIN) \
	X(CONNECTIONS, GH, "/api/connections", "/api/connections", h_resource, NEED_ADMIN) \
	X(CONNECTION_ADD, P, "/api/connections", "/api/connections", h_resource, \
	    NEED_ADMIN | NEED_JSON) \
	X(CONNECTION, GH, "/api/connections/*", "/api/connections/{id}", h_resource, \
	    NEED_ADMIN) \
	X(CONNECTION_PATCH, PA, "/api/connections/*", "/api/connections/{id}", \
	    h_resource, NEED_ADMIN | NEED_JSON) \
	X(CONNECTION_TEST, P, "/api/connections/*/test", "/api/connections/{id}/test", \
	    h_resource, NEED_ADMIN | NEED_JSON_OPT) \
	X(CONNECTION_TEST_GET, GH, "/api/connections/*/test/*", \
	    "/api/connections/{id}/test/{job}", h_resource, NEED_ADMIN) \
	X(GROUPS, GH, "/api/groups", "/api/groups", h_resource, NEED_ADMIN) \
	X(GROUP_ADD, P, "/api/groups", "/api/groups", h_resource, NEED_ADMIN | NEED_JSON) \
	X(GROUP, GH, "/api/groups/*", "/api/groups/{name}", h_resource, NEED_ADMIN) \
	X(GROUP_DELETE, D, "/api/groups/*", "/api/groups/{name}", h_resource, NEED_ADMIN) \
	X(GROUP_MEMBER_ADD, P, "/api/groups/*/members", "/api/groups/{name}/members", \
	    h_resource, NEED_ADMIN | NEED_JSON) \
	X(GROUP_MEMBER_REMOVE, D, "/api/groups/*/members/*", \
	    "/api/groups/{name}/members/{member}", h_resource, NEED_ADMIN) \
	X(DELEGATIONS, GH, "/api/delegations", "/api/delegations", h_resource, NEED_ADMIN) \
	X(DELEGATION_ADD, P, "/api/delegations", "/api/delegations", h_resource, \
	    NEED_ADMIN | NEED_JSON) \
	X(DELEGATION, GH, "/api/delegations/*", "/api/delegations/{id}", h_resource, \
	    NEED_ADMIN) \
	X(DELEGATION_REVOKE, D, "/api/delegations/*", "/api/delegations/{id}", \
	    h_resource, NEED_ADMIN)

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
#define METHOD_LABEL(m) ((m) & P ? "POST" : (m) & PA ? "PATCH" : (m) & D ? "DELETE" : "GET")
static const char *const route_methods[R__MAX] = {
#define X(id, m, pat, doc, fn, need) [R_##id] = METHOD_LABEL(m),
	API_ROUTES(X)
#undef X
};

/* What api_run established for the handler (req->user). */
struct api_call {
	struct hub_principal	 who;
	struct hub_db		*db;
	enum api_route		 route;
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

/* ------------------------------------------------------------ helpers */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
query_get(struct hub_req *req, const char *k)
{
	return hub_form_get(&req->args, k);
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
	call.route = r;
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

/* ------------------------------------------------------------ /health, /metrics */

static int
h_health(struct hub_req *req, struct hub_app_ctx *app)
{
	struct hub_db *db = hub_app_db(app);
	json_object *o = json_object_new_object();
	int ok = db != NULL && hub_db_ping(db) == HUB_DB_OK;

	json_object_object_add(o, "status", json_object_new_string(ok ? "healthy" : "unhealthy"));
	json_object_object_add(o, "service", json_object_new_string("universal-approval-hub"));
	if (!ok)
		json_object_object_add(o, "database", json_object_new_string("unreachable"));
	return hub_resource_respond(req, ok ? 200 : 503, o);
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

static void
add_warning(json_object **w, const char *code, const char *msg)
{
	json_object *one;

	if (*w == NULL && (*w = json_object_new_array()) == NULL)
		return;
	if ((one = json_object_new_object()) == NULL)
		return;
	hub_json_set_str(one, "code", code);
	hub_json_set_str(one, "message", msg);
	json_object_array_add(*w, one);
}

/* What the caller should know about a request it made: some of its people
 * get email only, because no Slack connection resolves for a step or the
 * one that does is disabled. */
static void
create_warnings(struct hub_db *db, const char *id, json_object *o)
{
	char msg[HUB_CONN_NAME_MAX + 1024];
	struct hub_conn_reach reach;
	json_object *w = NULL;

	if (o == NULL || hub_connections_unresolved(db, id, &reach) != HUB_CONN_OK)
		return;
	if (reach.missing) {
		snprintf(msg, sizeof(msg), "No Slack connection applies to this request (none "
		    "on its steps, the request or the source, and no default): people are "
		    "reached by email as the setting delivery.user_not_found says. %s",
		    hub_slack_fix("no_connection"));
		add_warning(&w, "no_slack_connection", msg);
	}
	if (reach.disabled_name[0] != '\0') {
		snprintf(msg, sizeof(msg), "The Slack connection %s that applies to this "
		    "request is disabled (%s): people are reached by email until an admin "
		    "enables it again (PUBLIC_URL/admin/connections, or approvalhub "
		    "connection enable %s).", reach.disabled_name,
		    reach.disabled_reason[0] != '\0' ? reach.disabled_reason :
		    "disabled by an admin", reach.disabled_name);
		add_warning(&w, "slack_connection_disabled", msg);
	}
	if (w != NULL)
		json_object_object_add(o, "warnings", w);
}

/* A callback_url must not reach an internal address (netpolicy.h): 0,
 * or -1 when the request was answered (400 naming callback_url, 503;
 * *rc: the handler's return).  Nothing is created then. */
static int
callback_url_refused(struct hub_req *req, struct hub_app_ctx *app, struct hub_db *db,
    const char *source_id, json_object *norm, int *rc)
{
	char why[HUB_NETGUARD_WHY_MAX];
	json_object *o;
	int ng;

	if (!json_object_object_get_ex(norm, "callback_url", &o) ||
	    !json_object_is_type(o, json_type_string))
		return 0;
	ng = hub_netpolicy_check_url(db, source_id, NULL, json_object_get_string(o),
	    why, sizeof(why));
	if (ng == HUB_NETGUARD_OK)
		return 0;
	*rc = ng < 0 ? hub_resource_db_error(req, app, HUB_DB_CONN) :
	    hub_app_error(app, req, 400, why, "callback_url");
	return -1;
}

/* The source a new request is for, into source_id: a source key's own;
 * an admin key's request_source (required), by name in any case.  0, or
 * -1 when the request was answered (*rc: the handler's return). */
static int
new_source(struct hub_req *req, struct hub_app_ctx *app, struct api_call *c,
    json_object *norm, char source_id[HUB_ID_LEN], int *rc)
{
	struct hub_problem p;
	json_object *o;
	const char *rs = NULL;
	int qrc;

	if (json_object_object_get_ex(norm, "request_source", &o) &&
	    json_object_is_type(o, json_type_string))
		rs = json_object_get_string(o);
	if (c->who.is_admin && rs == NULL) {
		*rc = hub_app_error(app, req, 400,
		    "request_source is required with an admin key", "request_source");
		return -1;
	}
	/* A source's name in any case ("Workday" is "workday"), compared
	 * where names are kept unique that way: in the database. */
	if (rs != NULL && (c->who.is_admin || strcmp(rs, c->who.source_name) != 0)) {
		qrc = hub_reqquery_source_id(c->db, rs, source_id, &p);
		if (qrc == HUB_REQQUERY_OK && !c->who.is_admin &&
		    strcmp(source_id, c->who.source_id) != 0)
			qrc = HUB_REQQUERY_NOTFOUND;
		if (qrc != HUB_REQQUERY_OK) {
			*rc = qrc != HUB_REQQUERY_NOTFOUND ?
			    hub_resource_refused(req, app, 0, &p, NULL) :
			    hub_app_error(app, req, 400, c->who.is_admin ?
			    "request_source names no enabled source" :
			    "request_source must be this API key's source", "request_source");
			return -1;
		}
	}
	if (!c->who.is_admin)
		snprintf(source_id, HUB_ID_LEN, "%s", c->who.source_id);
	return 0;
}

/* 201 with the new request's id (and its warnings), or 200 naming the
 * one that already existed. */
static int
new_answer(struct hub_req *req, struct hub_db *db, const struct hub_outcome *oc)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(oc->id));
	json_object_object_add(o, "status", json_object_new_string(oc->created ? "created" :
	    "exists"));
	json_object_object_add(o, "message", json_object_new_string(oc->created ?
	    "Approval request created" : "Approval request already exists"));
	create_warnings(db, oc->id, o);
	return hub_resource_respond(req, oc->created ? 201 : 200, o);
}

static int
h_new(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	json_object *in = NULL, *norm = NULL, *o;
	struct hub_intake_error ie;
	struct hub_engine_error ee;
	struct hub_outcome oc;
	struct hub_actor actor;
	const char *idem;
	char source_id[HUB_ID_LEN];
	int rc;

	idem = hub_req_header(req, "Idempotency-Key");
	if (idem != NULL && (idem[0] == '\0' || strlen(idem) > IDEMKEY_MAX)) {
		rc = hub_app_error(app, req, 400, "Idempotency-Key must be 1 to 200 characters",
		    "Idempotency-Key");
		goto out;
	}
	if ((rc = hub_resource_body(req, app, &in)) != 0)
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
	if (new_source(req, app, c, norm, source_id, &rc) != 0)
		goto out;
	if (callback_url_refused(req, app, c->db, source_id, norm, &rc) != 0)
		goto out;
	actor_of(c, &actor);
	memset(&oc, 0, sizeof(oc));
	memset(&ee, 0, sizeof(ee));
	rc = hub_engine_create(c->db, source_id, norm, &actor, &oc, &ee);
	if (rc != HUB_ENGINE_OK) {
		/* The engine names a step; one step sent as approver_id or
		 * approvers[] is named as it was sent. */
		if (strcmp(ee.field, "steps[0]") == 0 &&
		    (!json_object_object_get_ex(in, "steps", &o) || o == NULL))
			snprintf(ee.field, sizeof(ee.field), "%s",
			    json_object_object_get_ex(in, "approver_id", &o) && o != NULL ?
			    "approver_id" : "approvers");
		rc = engine_error(req, app, rc, &ee, NULL);
		goto out;
	}
	rc = new_answer(req, c->db, &oc);
out:
	json_object_put(in);
	json_object_put(norm);
	return rc;
}

/* ------------------------------------------------------------ requests */

static int
h_list(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = {
		"status", "source", "approver_id", "q", "flag", "limit", "cursor", NULL,
	};
	struct api_call *c = call_of(req);
	struct hub_reqquery_filter f;
	struct hub_problem p;
	json_object *o;
	float *qvec = NULL;
	char why[64];
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = hub_resource_only_params(req, app, allowed)) != 0 ||
	    (rc = hub_resource_limit(req, app, LIST_DEFAULT, LIST_MAX, &f.limit)) != 0)
		return rc;
	f.status = query_get(req, "status");
	f.source = query_get(req, "source");
	f.approver = query_get(req, "approver_id");
	f.q = query_get(req, "q");
	f.cursor = query_get(req, "cursor");
	f.flag = query_get(req, "flag");
	/* Semantic search: the words' embedding, or why not (full text then). */
	if (f.q != NULL && f.cursor == NULL && app->conf.embedding_url != NULL) {
		if (hub_semantic_query_vector(&app->conf, app->http, f.q, &qvec, &f.qdim, why,
		    sizeof(why)) == 0)
			f.qvec = qvec;
		else
			f.semantic_down = why;
	}
	rc = hub_reqquery_list(c->db, &c->who, &f, &o, &p);
	free(qvec);
	if (rc != HUB_REQQUERY_OK)
		return hub_resource_refused(req, app,
		    hub_resource_status(rc, HUB_REQQUERY_INVALID, -1, -1), &p, NULL);
	return hub_resource_respond(req, 200, o);
}

static int
h_get(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	struct hub_problem p;
	json_object *o;
	int rc;

	rc = hub_reqquery_get(c->db, &c->who, req->captures[0], &o, &p);
	if (rc != HUB_REQQUERY_OK)
		return hub_resource_refused(req, app,
		    hub_resource_status(rc, -1, HUB_REQQUERY_NOTFOUND, -1), &p,
		    "request not found");
	return hub_resource_respond(req, 200, o);
}

/* The 409 text names the current status and who decided, e.g.
 * "request is Approved (decided by Ana at 2026-...)". */
static int
conflict(struct hub_req *req, struct hub_app_ctx *app, const char *request_id,
    const char *status, const char *by, const char *at)
{
	struct api_call *c = call_of(req);
	struct hub_reqquery_state st;
	struct hub_problem p;
	char msg[640];	/* status, a decided_by of up to 511 bytes, the time */

	if ((status == NULL || status[0] == '\0') && request_id != NULL &&
	    hub_reqquery_state(c->db, &c->who, request_id, &st, &p) == HUB_REQQUERY_OK) {
		status = st.status;
		by = st.decided_by;
		at = st.decided_at;
	}
	if (status == NULL || status[0] == '\0')
		snprintf(msg, sizeof(msg), "request is no longer pending");
	else if (by != NULL && by[0] != '\0')
		snprintf(msg, sizeof(msg), "request is %s (decided by %s%s%s)", status, by,
		    at != NULL && at[0] ? " at " : "", at != NULL ? at : "");
	else
		snprintf(msg, sizeof(msg), "request is %s", status);
	return hub_app_error(app, req, 409, msg, NULL);
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
	/* The same key promises the same request: another body is refused. */
	{ HUB_ENGINE_IDEMPOTENCY, 422, NULL },
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
		if ((err == HUB_ENGINE_INVALID || err == HUB_ENGINE_IDEMPOTENCY) && ee != NULL &&
		    ee->message[0] != '\0')
			return hub_app_error(app, req, engine_map[i].status, ee->message,
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
	struct hub_reqquery_state st;
	struct hub_problem p;
	int rc;

	rc = hub_reqquery_state(c->db, &c->who, req->captures[0], &st, &p);
	if (rc == HUB_REQQUERY_OK)
		return 0;
	hub_resource_refused(req, app, hub_resource_status(rc, -1, HUB_REQQUERY_NOTFOUND, -1), &p,
	    "request not found");
	return rc == HUB_REQQUERY_NOTFOUND ? 404 : p.db == HUB_DB_CONN ? 503 : 500;
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

	if ((rc = hub_resource_body(req, app, &in)) != 0 ||
	    (rc = hub_resource_only_fields(req, app, in, allowed)) != 0)
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
	rc = hub_resource_respond(req, 200, o);
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

	if ((rc = hub_resource_body(req, app, &in)) != 0 ||
	    (rc = hub_resource_only_fields(req, app, in, allowed)) != 0)
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
	rc = hub_resource_respond(req, 200, o);
out:
	json_object_put(in);
	return rc;
}

static int
h_reassign(struct hub_req *req, struct hub_app_ctx *app)
{
	static const char *const allowed[] = { "from", "to", NULL };
	static const char *const fields[] = { "from", "to" };
	struct api_call *c = call_of(req);
	const char *kind[2], *value[2];
	json_object *party[2] = { NULL, NULL };
	struct hub_intake_error ie;
	struct hub_engine_error ee;
	struct hub_actor actor;
	json_object *in = NULL, *o, *v;
	size_t i;
	int rc;

	if ((rc = hub_resource_body(req, app, &in)) != 0 ||
	    (rc = hub_resource_only_fields(req, app, in, allowed)) != 0)
		goto out;
	/* The same forms and checks as the approvers of a new request. */
	for (i = 0; i < 2; i++) {
		if (!json_object_object_get_ex(in, fields[i], &v))
			v = NULL;
		rc = hub_intake_party(v, fields[i], &party[i], &ie);
		if (rc != HUB_INTAKE_OK) {
			rc = rc == HUB_INTAKE_INVALID ?
			    hub_app_error(app, req, 400, ie.message, ie.field) : 500;
			goto out;
		}
		json_object_object_get_ex(party[i], "kind", &v);
		kind[i] = json_object_get_string(v);
		json_object_object_get_ex(party[i], "value", &v);
		value[i] = json_object_get_string(v);
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
	rc = hub_resource_respond(req, 200, o);
out:
	json_object_put(party[0]);
	json_object_put(party[1]);
	json_object_put(in);
	return rc;
}

/* ------------------------------------------------------------ admin resources */
/*
 * Sources, users, the delivery history, connections, groups and delegations
 * are rows of one table (web/resource.h): each row names the lib call, the
 * status of success, the body and query it accepts, the refusal map of its
 * module and what its 404 says.  The functions below only adapt a lib
 * call's arguments to the one shape the table calls.
 */

static const struct hub_resource_refusals srcadm_refusals = {
	HUB_SRCADM_OK, HUB_SRCADM_INVALID, HUB_SRCADM_NOTFOUND, HUB_SRCADM_EXISTS, -1, 0,
};
static const struct hub_resource_refusals admin_refusals = {
	HUB_ADMIN_OK, HUB_ADMIN_INVALID, -1, HUB_ADMIN_EXISTS, -1, 0,
};
static const struct hub_resource_refusals notif_refusals = {
	HUB_NOTIF_OK, HUB_NOTIF_INVALID, -1, -1, -1, 0,
};
/* Saving a connection waits for Slack's verdict (connadmin.h says why):
 * Slack unreachable is 503; the test is a job, 202 and a job id to poll. */
static const struct hub_resource_refusals connadm_refusals = {
	HUB_CONNADM_OK, HUB_CONNADM_INVALID, HUB_CONNADM_NOTFOUND, HUB_CONNADM_EXISTS,
	HUB_CONNADM_UNAVAILABLE, 0,
};
/* groups.c names what it did not find (a member, a group). */
static const struct hub_resource_refusals groups_refusals = {
	HUB_GROUPS_OK, HUB_GROUPS_INVALID, HUB_GROUPS_NOTFOUND, HUB_GROUPS_EXISTS, -1, 1,
};

#define RES_ARGS const struct hub_resource_call *c, json_object **o, struct hub_problem *p
#define CAP(i) (c->req->captures[i])

static int src_list(RES_ARGS) { return hub_srcadm_list(c->db, o, p); }
static int src_get(RES_ARGS) { return hub_srcadm_get(c->db, CAP(0), o, p); }
static int src_create(RES_ARGS)
{
	return hub_srcadm_create(c->db, &c->app->conf, c->in, c->actor, o, p);
}
static int src_patch(RES_ARGS)
{
	return hub_srcadm_patch(c->db, &c->app->conf, CAP(0), c->in, c->actor, o, p);
}
static int src_rotate(RES_ARGS) { return hub_srcadm_rotate(c->db, CAP(0), c->actor, o, p); }
static int user_list(RES_ARGS) { return hub_admin_users_json(c->db, o, p); }
static int user_add(RES_ARGS) { return hub_admin_user_add_json(c->db, c->in, c->actor, o, p); }

static int
notif_list(RES_ARGS)
{
	struct hub_notif_filter f;

	memset(&f, 0, sizeof(f));
	if (hub_resource_limit_parse(query_get(c->req, "limit"), LIST_DEFAULT, LIST_MAX,
	    &f.limit, p) != 0)
		return HUB_NOTIF_INVALID;
	f.request_id = query_get(c->req, "request_id");
	f.status = query_get(c->req, "status");
	f.kind = query_get(c->req, "kind");
	f.transport = query_get(c->req, "transport");
	f.cursor = query_get(c->req, "cursor");
	return hub_notif_list(c->db, &f, o, p);
}

static int conn_list(RES_ARGS) { return hub_connadm_list(c->db, o, p); }
static int conn_get(RES_ARGS) { return hub_connadm_get(c->db, CAP(0), o, p); }
static int conn_create(RES_ARGS)
{
	return hub_connadm_create(c->db, &c->app->conf, c->app->http, c->in, c->actor, o, p);
}
static int conn_patch(RES_ARGS)
{
	return hub_connadm_patch(c->db, &c->app->conf, c->app->http, CAP(0), c->in, c->actor, o,
	    p);
}
static int conn_test(RES_ARGS)
{
	return hub_connadm_test_start(c->db, CAP(0), c->in, c->actor, o, p);
}
static int conn_test_get(RES_ARGS) { return hub_connadm_test_get(c->db, CAP(0), CAP(1), o, p); }

static int grp_list(RES_ARGS) { return hub_groups_list(c->db, o, p); }
static int grp_get(RES_ARGS) { return hub_groups_get(c->db, CAP(0), o, p); }
static int grp_create(RES_ARGS) { return hub_groups_create(c->db, c->in, c->actor, o, p); }

static int
grp_delete(RES_ARGS)
{
	int rc;

	if ((rc = hub_groups_delete(c->db, CAP(0), c->actor, p)) != HUB_GROUPS_OK)
		return rc;
	*o = json_object_new_object();
	json_object_object_add(*o, "name", json_object_new_string(CAP(0)));
	json_object_object_add(*o, "message", json_object_new_string("Group deleted"));
	return HUB_GROUPS_OK;
}

static int
grp_member_add(RES_ARGS)
{
	const char *member = NULL;

	if (hub_json_get_string(c->in, "member", 320, &member) != HUB_JSON_OK)
		return hub_problem(p, "member", "is required: a Slack user id or an email address",
		    HUB_GROUPS_INVALID);
	return hub_groups_member_add(c->db, CAP(0), member, c->actor, o, p);
}

/* The answer is the group as it is now. */
static int
grp_member_remove(RES_ARGS)
{
	int rc;

	if ((rc = hub_groups_member_remove(c->db, CAP(0), CAP(1), c->actor, p)) != HUB_GROUPS_OK)
		return rc;
	return hub_groups_get(c->db, CAP(0), o, p);
}

static int
deleg_list(RES_ARGS)
{
	static const char *const bools[] = { "true", "false", NULL };
	const char *active = query_get(c->req, "active");

	if (active != NULL && !hub_check_oneof(active, bools))
		return hub_problem(p, "active", "active must be true or false", HUB_GROUPS_INVALID);
	return hub_deleg_list(c->db, query_get(c->req, "approver"),
	    active != NULL && strcmp(active, "true") == 0, o, p);
}

static int deleg_get(RES_ARGS) { return hub_deleg_get(c->db, CAP(0), o, p); }
static int deleg_add(RES_ARGS) { return hub_deleg_add(c->db, c->in, c->actor, o, p); }
static int deleg_revoke(RES_ARGS) { return hub_deleg_revoke(c->db, CAP(0), c->actor, o, p); }

#undef RES_ARGS
#undef CAP

static const char *const no_fields[] = { NULL };
static const char *const user_fields[] = { "name", "email", "role", NULL };
static const char *const member_fields[] = { "member", NULL };
static const char *const notif_params[] = {
	"request_id", "status", "kind", "transport", "limit", "cursor", NULL,
};
static const char *const deleg_params[] = { "approver", "active", NULL };

#define B	HUB_RESOURCE_BODY
#define LOC	HUB_RESOURCE_LOCATION

/* route -> { call, status, flags, body keys, query parameters, refusals, 404 text } */
static const struct hub_resource_op resources[R__MAX] = {
	[R_SOURCES] = { src_list, 200, 0, NULL, NULL, &srcadm_refusals, "source not found" },
	[R_SOURCE] = { src_get, 200, 0, NULL, NULL, &srcadm_refusals, "source not found" },
	[R_SOURCE_ADD] = { src_create, 201, B, NULL, NULL, &srcadm_refusals, "source not found" },
	[R_SOURCE_PATCH] = { src_patch, 200, B, NULL, NULL, &srcadm_refusals,
	    "source not found" },
	[R_ROTATE] = { src_rotate, 200, B, no_fields, NULL, &srcadm_refusals,
	    "source not found" },
	[R_USERS] = { user_list, 200, 0, NULL, NULL, &admin_refusals, NULL },
	[R_USER_ADD] = { user_add, 201, B, user_fields, NULL, &admin_refusals, NULL },
	[R_NOTIFICATIONS] = { notif_list, 200, 0, NULL, notif_params, &notif_refusals, NULL },
	[R_CONNECTIONS] = { conn_list, 200, 0, NULL, NULL, &connadm_refusals, NULL },
	[R_CONNECTION] = { conn_get, 200, 0, NULL, NULL, &connadm_refusals,
	    "connection not found" },
	[R_CONNECTION_ADD] = { conn_create, 201, B, NULL, NULL, &connadm_refusals, NULL },
	[R_CONNECTION_PATCH] = { conn_patch, 200, B, NULL, NULL, &connadm_refusals,
	    "connection not found" },
	[R_CONNECTION_TEST] = { conn_test, 202, B | LOC, NULL, NULL, &connadm_refusals,
	    "connection not found" },
	[R_CONNECTION_TEST_GET] = { conn_test_get, 200, 0, NULL, NULL, &connadm_refusals,
	    "connection test not found" },
	[R_GROUPS] = { grp_list, 200, 0, NULL, NULL, &groups_refusals, NULL },
	[R_GROUP] = { grp_get, 200, 0, NULL, NULL, &groups_refusals, "no such group" },
	[R_GROUP_ADD] = { grp_create, 201, B, NULL, NULL, &groups_refusals, NULL },
	[R_GROUP_DELETE] = { grp_delete, 200, 0, NULL, NULL, &groups_refusals, "no such group" },
	[R_GROUP_MEMBER_ADD] = { grp_member_add, 201, B, member_fields, NULL, &groups_refusals,
	    "no such group" },
	[R_GROUP_MEMBER_REMOVE] = { grp_member_remove, 200, 0, NULL, NULL, &groups_refusals,
	    "no such group" },
	[R_DELEGATIONS] = { deleg_list, 200, 0, NULL, deleg_params, &groups_refusals, NULL },
	[R_DELEGATION] = { deleg_get, 200, 0, NULL, NULL, &groups_refusals,
	    "no such delegation" },
	[R_DELEGATION_ADD] = { deleg_add, 201, B, NULL, NULL, &groups_refusals, NULL },
	[R_DELEGATION_REVOKE] = { deleg_revoke, 200, 0, NULL, NULL, &groups_refusals,
	    "no such delegation" },
};

#undef B
#undef LOC

/* The handler of every admin resource route: its row of resources[]. */
static int
h_resource(struct hub_req *req, struct hub_app_ctx *app)
{
	struct api_call *c = call_of(req);
	struct hub_actor actor;

	actor_of(c, &actor);
	return hub_resource_serve(&resources[c->route], req, app, c->db, &actor);
}

/* ------------------------------------------------------------ documentation */

static int
h_openapi(struct hub_req *req, struct hub_app_ctx *app)
{
	const struct hub_embed *e = hub_apidocs_openapi();

	if (e == NULL)
		return hub_app_error(app, req, 404, "the OpenAPI document is not built in", NULL);
	if (hub_resp_start(req, 200, "application/json") != 0)
		return 0;
	hub_resp_write(req, e->data, e->len);
	return 0;
}

static int
h_docs(struct hub_req *req, struct hub_app_ctx *app)
{
	struct hub_buf page = HUB_BUF_INIT(8u << 20);
	int rc;

	switch (hub_apidocs_page(&page)) {
	case HUB_APIDOCS_OK:
		rc = hub_resp_html(req, 200, page.data, page.len);
		break;
	case HUB_APIDOCS_NOTBUILT:
		rc = hub_app_error(app, req, 404, "the OpenAPI document is not built in", NULL);
		break;
	default:
		rc = 500;
		break;
	}
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

