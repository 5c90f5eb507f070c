/*
 * events - Slack's Events API endpoint, POST /slack/events.
 * Every request is signature-checked before anything else is looked at
 * (DESIGN.md "Slack facts"); url_verification is answered here, and
 * event_callback envelopes go to lib/slackevents (once per event_id, in
 * one transaction).  Nothing here waits on Slack: the answer is a 2xx in
 * milliseconds, or a 5xx when the database cannot record the event, so
 * Slack retries it.
 */
#include <string.h>
#include <json-c/json.h>

#include "web/app.h"
#include "base/crypto.h"
#include "web/fcgi.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/slackenvelope.h"
#include "slack/slackevents.h"
#include "web/slackreq.h"

#define EVENTS_BODY_MAX (1024u * 1024u)
#define EVENTS_PURGE_ONE_IN 64

/* HTTP status per hub_sev_err. */
static const int sev_status[] = {
	[HUB_SEV_OK] = 200,
	[HUB_SEV_INVALID] = 400,
	[HUB_SEV_UNAVAILABLE] = 503,
	[HUB_SEV_DB] = 500,
};

static const char *const sev_outcome[] = {
	[HUB_SEV_HANDLED] = "handled",
	[HUB_SEV_DUPLICATE] = "duplicate",
	[HUB_SEV_IGNORED] = "ignored",
};

/* Seen event ids are kept a day; trim them now and then, off no one's
 * critical path but this request's few milliseconds. */
static void
maybe_purge(struct hub_db *db)
{
	unsigned char r;
	int n = 0;

	if (hub_random_bytes(&r, 1) != HUB_CRYPTO_OK || r % EVENTS_PURGE_ONE_IN != 0)
		return;
	if (hub_slackevents_purge(db, &n) != HUB_SEV_OK)
		hub_log(HUB_LOG_WARN, "events_purge_failed", NULL);
}

static int
event_callback(struct hub_app_ctx *app, struct hub_req *req,
    const struct hub_slackenvelope *body)
{
	struct hub_sev_result r;
	struct hub_db *db;
	const char *retry = hub_req_header(req, "X-Slack-Retry-Num");
	int rc;

	if ((db = hub_app_db(app)) == NULL)
		return hub_app_error(app, req, 503, "database unavailable", NULL);
	rc = hub_slackevents_handle(db, body, &r);
	if (rc < 0 || (size_t)rc >= HUB_NELEM(sev_status))
		rc = HUB_SEV_DB;
	hub_log(rc == HUB_SEV_OK ? HUB_LOG_INFO : HUB_LOG_WARN, "slack_event",
	    "type", r.type, "outcome", rc == HUB_SEV_OK ? sev_outcome[r.outcome] :
	    hub_slackevents_strerror(rc), "retry", retry ? retry : "0", NULL);
	if (rc != HUB_SEV_OK)
		return hub_app_error(app, req, sev_status[rc],
		    rc == HUB_SEV_INVALID ? r.message : hub_slackevents_strerror(rc),
		    rc == HUB_SEV_INVALID ? r.field : NULL);
	rc = hub_resp_text(req, 200, "");
	maybe_purge(db);
	return rc;
}

static int
h_events(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_slackenvelope env;
	json_object *reply;
	int rc;

	if (hub_slackreq_accept(app, req, EVENTS_BODY_MAX, "application/json"))
		return 0;
	if (hub_slackenvelope_parse(req->body, req->body_len, EVENTS_BODY_MAX, &env) != 0)
		return hub_app_error(app, req, 400, env.message, env.field);
	switch (env.kind) {
	case HUB_SLACKENVELOPE_URL_VERIFICATION:
		reply = json_object_new_object();
		json_object_object_add(reply, "challenge", json_object_new_string(env.challenge));
		rc = hub_resp_json(req, 200, reply);
		json_object_put(reply);
		break;
	case HUB_SLACKENVELOPE_EVENT_CALLBACK:
		rc = event_callback(app, req, &env);
		break;
	default:	/* app_rate_limited and envelopes to come: acknowledged */
		rc = hub_resp_text(req, 200, "");
		break;
	}
	hub_slackenvelope_free(&env);
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
