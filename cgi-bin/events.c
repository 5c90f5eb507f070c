/*
 * events - Slack's Events API endpoint, POST /slack/events.
 * Every request is signature-checked before anything else is looked at
 * (DESIGN.md "Slack facts"); url_verification is answered here.
 */
#include <string.h>
#include <json-c/json.h>

#include "app.h"
#include "fcgi.h"
#include "json.h"
#include "log.h"
#include "slackreq.h"

#define EVENTS_BODY_MAX (1024u * 1024u)

static int
h_events(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	json_object *body = NULL, *reply;
	const char *type = NULL, *challenge = NULL;
	int rc;

	if (hub_slackreq_accept(app, req, EVENTS_BODY_MAX))
		return 0;
	if (!hub_req_is_type(req, "application/json"))
		return hub_app_error(app, req, 415, "expected application/json", NULL);
	if ((rc = hub_json_parse_object(req->body, req->body_len, EVENTS_BODY_MAX,
	    HUB_JSON_DEFAULT_DEPTH, &body)) != HUB_JSON_OK)
		return hub_app_error(app, req, 400, hub_json_strerror(rc), NULL);
	if (hub_json_get_string(body, "type", 64, &type) != HUB_JSON_OK) {
		rc = hub_app_error(app, req, 400, "missing event type", "type");
		goto out;
	}
	if (strcmp(type, "url_verification") == 0) {
		if (hub_json_get_string(body, "challenge", 512, &challenge) != HUB_JSON_OK) {
			rc = hub_app_error(app, req, 400, "missing challenge", "challenge");
			goto out;
		}
		reply = json_object_new_object();
		json_object_object_add(reply, "challenge", json_object_new_string(challenge));
		rc = hub_resp_json(req, 200, reply);
		json_object_put(reply);
		goto out;
	}
	/* Other events are acknowledged; their handling arrives with issue 5. */
	rc = hub_resp_text(req, 200, "");
out:
	json_object_put(body);
	return rc;
}

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/events", h_events },
};

static const struct hub_app app = {
	.name = "events",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 1,
	.routes = routes,
	.nroutes = HUB_NELEM(routes),
	.body_max = EVENTS_BODY_MAX,
};

int
main(int argc, char **argv)
{
	return hub_app_main(&app, argc, argv);
}
