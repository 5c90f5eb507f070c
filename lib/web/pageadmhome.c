/*
 * pageadmhome.c - the admin landing page (see pageadmhome.h).
 */
#include <json-c/json.h>

#include "web/pageadmhome.h"
#include "web/page.h"

int
hub_pageadmhome_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_session s;
	json_object *ctx;
	int rc;

	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, &s) != 0)
		return 0;
	if ((ctx = json_object_new_object()) == NULL)
		return 500;
	json_object_object_add(ctx, "title", json_object_new_string("Administration"));
	hub_page_user(ctx, &s);
	rc = hub_page_send(app, req, 200, "admin.html", ctx);
	json_object_put(ctx);
	return rc;
}
