/*
 * interactions - Slack's interactivity and slash-command endpoints:
 * POST /slack/interactions (and its /slack/interactive alias),
 * POST /slack/commands.  Signature first, then the form body; what to do
 * and what to answer is lib/slack/interact.c's (clicks, modals) and
 * lib/slack/slashcmd.c's (slash commands).
 */
#include <string.h>

#include "web/app.h"
#include "base/crypto.h"
#include "web/fcgi.h"
#include "base/form.h"
#include "slack/interact.h"
#include "slack/slashcmd.h"
#include "web/slackreq.h"

#define INTERACTIONS_BODY_MAX (1024u * 1024u)
#define INTERACTIONS_MAX_PAIRS 64

/* Opens the bot tokens views.open needs; filled once per child. */
static struct hub_keyring keyring;

static int
child_init(struct hub_app_ctx *app)
{
	memset(&keyring, 0, sizeof(keyring));
	if (app->conf.have_secret_key &&
	    hub_keyring_add(&keyring, app->conf.secret_key) != HUB_CRYPTO_OK)
		return -1;
	return 0;
}

static int
answer(struct hub_app_ctx *app, struct hub_req *req, struct hub_interact_reply *r)
{
	int rc;

	if (r->status != 200)
		rc = hub_app_error(app, req, r->status, r->error, r->field[0] ? r->field : NULL);
	else if (r->body != NULL)
		rc = hub_resp_json(req, 200, r->body);
	else
		rc = hub_resp_text(req, 200, "");
	hub_interact_reply_free(r);
	return rc;
}

/* Media type, signature, form: the common gate.  Non-zero when answered. */
static int
gate(struct hub_app_ctx *app, struct hub_req *req, struct hub_form *form)
{
	int rc;

	if (hub_slackreq_accept(app, req, INTERACTIONS_BODY_MAX,
	    "application/x-www-form-urlencoded"))
		return 1;
	if ((rc = hub_form_parse(req->body, req->body_len, INTERACTIONS_MAX_PAIRS, form)) !=
	    HUB_FORM_OK) {
		hub_app_error(app, req, rc == HUB_FORM_TOOBIG ? 413 : 400,
		    hub_form_strerror(rc), NULL);
		return 1;
	}
	return 0;
}

static int
h_interaction(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_interact ia;
	struct hub_interact_reply r;
	struct hub_db *db;
	const char *payload;
	int rc;

	memset(&r, 0, sizeof(r));
	if (gate(app, req, &form)) {
		rc = 0;
		goto out;
	}
	if ((payload = hub_form_get(&form, "payload")) == NULL) {
		rc = hub_app_error(app, req, 400, "required", "payload");
		goto out;
	}
	if ((db = hub_app_db(app)) == NULL) {
		rc = hub_app_error(app, req, 503, "database unavailable", NULL);
		goto out;
	}
	hub_interact_init(&ia, db, &app->conf, app->http, &keyring);
	ia.arrived_ms = req->arrived_ms;
	hub_interact_payload(&ia, payload, strlen(payload), &r);
	rc = answer(app, req, &r);
out:
	hub_form_free(&form);
	return rc;
}

static int
h_command(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_interact ia;
	struct hub_interact_reply r;
	struct hub_db *db;
	int rc;

	memset(&r, 0, sizeof(r));
	if (gate(app, req, &form)) {
		rc = 0;
		goto out;
	}
	if ((db = hub_app_db(app)) == NULL) {
		rc = hub_app_error(app, req, 503, "database unavailable", NULL);
		goto out;
	}
	hub_interact_init(&ia, db, &app->conf, app->http, &keyring);
	ia.arrived_ms = req->arrived_ms;
	hub_slashcmd_run(&ia, &form, &r);
	rc = answer(app, req, &r);
out:
	hub_form_free(&form);
	return rc;
}

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/interactions", h_interaction },
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/interactive", h_interaction },
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/commands", h_command },
};

static const struct hub_app app = {
	.name = "interactions",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 1,
	.routes = routes,
	.nroutes = HUB_NELEM(routes),
	.body_max = INTERACTIONS_BODY_MAX,
	.child_init = child_init,
};

int
main(int argc, char **argv)
{
	return hub_app_main(&app, argc, argv);
}
