/*
 * api - the REST API, /health and /metrics (DESIGN.md "REST API").
 * A route table and thin handlers; the work is in lib/.
 */
#include <json-c/json.h>

#include "app.h"
#include "db.h"
#include "fcgi.h"

enum stmt {
	STMT_PING,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_PING] = { "SELECT 1", 0 },
};

static const struct hub_stmt_table api_stmts = { "api", stmts, STMT__MAX };

/* GET /health: 200 when PostgreSQL answers a query, 503 when it does not. */
static int
h_health(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_db *db = hub_app_db(app);
	json_object *o = json_object_new_object();
	int ok = db != NULL && hub_db_exec(db, &api_stmts, STMT_PING, NULL, NULL) == HUB_DB_OK;
	int rc;

	json_object_object_add(o, "status", json_object_new_string(ok ? "healthy" : "unhealthy"));
	json_object_object_add(o, "service", json_object_new_string("universal-approval-hub"));
	if (!ok)
		json_object_object_add(o, "database", json_object_new_string("unreachable"));
	rc = hub_resp_json(req, ok ? 200 : 503, o);
	json_object_put(o);
	return rc;
}

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/health", h_health },
};

static const struct hub_app app = {
	.name = "api",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 1,
	.routes = routes,
	.nroutes = HUB_NELEM(routes),
};

int
main(int argc, char **argv)
{
	return hub_app_main(&app, argc, argv);
}
