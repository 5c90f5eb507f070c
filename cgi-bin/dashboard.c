/*
 * dashboard - the HTML side of the hub: the landing page now; the status
 * dashboard, request pages, web form, login, decision pages, admin and the
 * Slack OAuth install arrive with their issues.
 */
#include <json-c/json.h>

#include "app.h"
#include "buf.h"
#include "fcgi.h"
#include "log.h"
#include "tmpl.h"

#define PAGE_MAX (2u * 1024u * 1024u)

/* Render body template `name` inside the layout and send it. */
static int
send_page(struct hub_app_ctx *app, struct hub_req *req, int status,
    const char *name, json_object *ctx)
{
	struct hub_buf page = HUB_BUF_INIT(PAGE_MAX);
	int rc;

	if ((rc = hub_tmpl_render_page(name, ctx, &page)) != HUB_TMPL_OK) {
		hub_log(HUB_LOG_ERROR, "template_failed", "template", name,
		    "error", hub_tmpl_strerror(rc), NULL);
		hub_buf_release(&page);
		return hub_app_error(app, req, 500, "the page could not be rendered", NULL);
	}
	rc = hub_resp_html(req, status, page.data, page.len);
	hub_buf_release(&page);
	return rc;
}

static int
h_home(struct hub_req *req, void *arg)
{
	json_object *ctx = json_object_new_object();
	int rc;

	json_object_object_add(ctx, "title", json_object_new_string("Dashboard"));
	rc = send_page(arg, req, 200, "home.html", ctx);
	json_object_put(ctx);
	return rc;
}

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/", h_home },
};

static int
child_init(struct hub_app_ctx *app)
{
	/* A broken template is a build defect: refuse to serve rather than
	 * fail on the first visitor. */
	if (hub_tmpl_check_all() != HUB_TMPL_OK) {
		hub_log(HUB_LOG_ERROR, "templates_invalid", "error", hub_tmpl_errmsg(), NULL);
		return -1;
	}
	return 0;
}

static const struct hub_app app = {
	.name = "dashboard",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 0,
	.routes = routes,
	.nroutes = HUB_NELEM(routes),
	.child_init = child_init,
};

int
main(int argc, char **argv)
{
	return hub_app_main(&app, argc, argv);
}
