/*
 * interactions - Slack's interactivity and slash-command endpoints:
 * POST /slack/interactions (and its /slack/interactive alias),
 * POST /slack/commands.  Signature first, then the form body.
 */
#include "app.h"
#include "fcgi.h"
#include "form.h"
#include "slackreq.h"

#define INTERACTIONS_BODY_MAX (1024u * 1024u)

static int
h_interaction(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	int rc;

	if (hub_slackreq_accept(app, req, INTERACTIONS_BODY_MAX))
		return 0;
	if (!hub_req_is_type(req, "application/x-www-form-urlencoded"))
		return hub_app_error(app, req, 415, "expected application/x-www-form-urlencoded", NULL);
	if ((rc = hub_form_parse(req->body, req->body_len, 64, &form)) != HUB_FORM_OK)
		return hub_app_error(app, req, 400, hub_form_strerror(rc), NULL);
	/* Actions, modals and commands arrive with issue 5: acknowledge. */
	rc = hub_resp_text(req, 200, "");
	hub_form_free(&form);
	return rc;
}

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/interactions", h_interaction },
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/interactive", h_interaction },
	{ HUB_ROUTE_M(HUB_M_POST), "/slack/commands", h_interaction },
};

static const struct hub_app app = {
	.name = "interactions",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 1,
	.routes = routes,
	.nroutes = HUB_NELEM(routes),
	.body_max = INTERACTIONS_BODY_MAX,
};

int
main(int argc, char **argv)
{
	return hub_app_main(&app, argc, argv);
}
