/* resource.c - admin resources served from a table (resource.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/resource.h"
#include "base/json.h"
#include "base/log.h"
#include "store/db.h"

#define JSON_DEPTH	32
#define LIMIT_MSG_MAX	64

int
hub_resource_db_error(struct hub_req *req, struct hub_app_ctx *app, int dberr)
{
	if (dberr == HUB_DB_CONN)
		return hub_app_error(app, req, 503, "database unavailable", NULL);
	hub_log(HUB_LOG_ERROR, "api_db_error", "error", hub_db_strerror(dberr),
	    "sqlstate", hub_db_last_sqlstate(app->db), NULL);
	return hub_app_error(app, req, 500, "internal error", NULL);
}

int
hub_resource_respond(struct hub_req *req, int status, json_object *o)
{
	int rc;

	if (o == NULL)
		return 500;
	rc = hub_resp_json(req, status, o);
	json_object_put(o);
	return rc;
}

int
hub_resource_status(int rc, int invalid, int notfound, int exists)
{
	return rc == invalid ? 400 : rc == notfound ? 404 : rc == exists ? 409 : 0;
}

int
hub_resource_refused(struct hub_req *req, struct hub_app_ctx *app, int status,
    const struct hub_problem *p, const char *notfound)
{
	if (status == 404)
		return hub_app_error(app, req, 404, notfound, NULL);
	if (status != 0)
		return hub_app_error(app, req, status, p->message, p->field);
	return p->db != HUB_DB_OK ? hub_resource_db_error(req, app, p->db) : 500;
}

int
hub_resource_body(struct hub_req *req, struct hub_app_ctx *app, json_object **out)
{
	char where[HUB_JSON_WHERE_MAX];
	int rc;

	*out = NULL;
	if (req->body_len == 0) {
		*out = json_object_new_object();
		return *out != NULL ? 0 : 500;
	}
	rc = hub_json_parse_input(req->body, req->body_len, HUB_BODY_MAX_DEFAULT,
	    JSON_DEPTH, out, where, sizeof(where));
	/* What json-c would clamp or cut is refused by name, not changed. */
	if (rc == HUB_JSON_BIGNUM || rc == HUB_JSON_NULKEY) {
		hub_app_error(app, req, 400, rc == HUB_JSON_BIGNUM ? HUB_JSON_BIGNUM_MSG :
		    HUB_JSON_NULKEY_MSG, where);
		return 400;
	}
	if (rc != HUB_JSON_OK) {
		char msg[sizeof(((struct hub_problem *)0)->message)];

		snprintf(msg, sizeof(msg), "malformed JSON: %s", hub_json_strerror(rc));
		hub_app_error(app, req, 400, msg, "body");
		return 400;
	}
	return 0;
}

int
hub_resource_only_fields(struct hub_req *req, struct hub_app_ctx *app, json_object *o,
    const char *const *allowed)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (!hub_check_oneof(k, allowed)) {
			hub_app_error(app, req, 400, "unknown field", k);
			return 400;
		}
	}
	return 0;
}

int
hub_resource_only_params(struct hub_req *req, struct hub_app_ctx *app,
    const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i < req->args.n; i++) {
		if (!hub_check_oneof(req->args.kv[i].key, allowed)) {
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

int
hub_resource_limit_parse(const char *s, long def, long max, long *limit,
    struct hub_problem *p)
{
	char msg[LIMIT_MSG_MAX], *end;
	long v;

	*limit = def;
	if (s == NULL)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno != 0 || *end != '\0' || v < 1 || v > max) {
		snprintf(msg, sizeof(msg), "limit must be an integer from 1 to %ld", max);
		return hub_problem(p, "limit", msg, -1);
	}
	*limit = v;
	return 0;
}

int
hub_resource_limit(struct hub_req *req, struct hub_app_ctx *app, long def, long max,
    long *limit)
{
	struct hub_problem p;

	if (hub_resource_limit_parse(hub_form_get(&req->args, "limit"), def, max, limit,
	    &p) == 0)
		return 0;
	hub_app_error(app, req, 400, p.message, p.field);
	return 400;
}

/* The refusal a module's code maps to, answered. */
static int
refuse(const struct hub_resource_op *op, struct hub_req *req, struct hub_app_ctx *app,
    int rc, const struct hub_problem *p)
{
	const struct hub_resource_refusals *m = op->refusals;
	const char *notfound = op->notfound;

	if (m->unavailable != -1 && rc == m->unavailable)
		return hub_app_error(app, req, 503, p->message, p->field);
	if (m->notfound_says && rc == m->notfound && p->message[0] != '\0')
		notfound = p->message;
	return hub_resource_refused(req, app,
	    hub_resource_status(rc, m->invalid, m->notfound, m->exists), p, notfound);
}

int
hub_resource_serve(const struct hub_resource_op *op, struct hub_req *req,
    struct hub_app_ctx *app, struct hub_db *db, const struct hub_actor *actor)
{
	struct hub_resource_call c;
	struct hub_problem p;
	json_object *in = NULL, *o = NULL, *u;
	int rc;

	memset(&p, 0, sizeof(p));
	if (op->params != NULL && (rc = hub_resource_only_params(req, app, op->params)) != 0)
		return rc;
	if ((op->flags & HUB_RESOURCE_BODY) &&
	    ((rc = hub_resource_body(req, app, &in)) != 0 ||
	    (op->fields != NULL && (rc = hub_resource_only_fields(req, app, in, op->fields)) != 0)))
		goto out;
	c.db = db;
	c.app = app;
	c.req = req;
	c.in = in;
	c.actor = actor;
	if ((rc = op->fn(&c, &o, &p)) != op->refusals->ok) {
		rc = refuse(op, req, app, rc, &p);
		goto out;
	}
	if ((op->flags & HUB_RESOURCE_LOCATION) && o != NULL &&
	    json_object_object_get_ex(o, "status_url", &u))
		hub_resp_header(req, "Location", json_object_get_string(u));
	rc = hub_resource_respond(req, op->status, o);
out:
	json_object_put(in);
	return rc;
}
