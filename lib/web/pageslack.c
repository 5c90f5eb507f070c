/*
 * pageslack.c - adding the app to a Slack workspace from the browser
 * (OAuth v2, admins only).  See pageslack.h.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "web/pageslack.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/oauth.h"
#include "web/page.h"

/* ------------------------------------------------------------ Slack install */

#define OAUTH_REFRESH_S 2

/* oauth.html inside the layout.  refresh_url: the page reloads itself
 * there (the exchange runs in the worker, DESIGN.md rule 1). */
static int
oauth_page(struct hub_app_ctx *app, struct hub_req *req, int status, const char *heading,
    const char *message, const char *detail, const char *refresh_url, int retry, int installed)
{
	struct hub_buf refresh = HUB_BUF_INIT(1024);
	json_object *ctx = json_object_new_object();
	int rc;

	if (ctx == NULL)
		return 500;
	json_object_object_add(ctx, "title", json_object_new_string("Install to Slack"));
	hub_json_set_str(ctx, "heading", heading);
	hub_json_set_str(ctx, "message", message);
	hub_json_set_str(ctx, "detail", detail);
	if (refresh_url != NULL && hub_buf_printf(&refresh, "%d; url=%s", OAUTH_REFRESH_S,
	    refresh_url) == HUB_BUF_OK) {
		hub_json_set_str(ctx, "refresh", hub_buf_str(&refresh));
		hub_json_set_str(ctx, "status_url", refresh_url);
		json_object_object_add(ctx, "pending", json_object_new_boolean(1));
	}
	json_object_object_add(ctx, "retry", json_object_new_boolean(retry));
	json_object_object_add(ctx, "installed", json_object_new_boolean(installed));
	rc = hub_page_send(app, req, status, "oauth.html", ctx);
	json_object_put(ctx);
	hub_buf_release(&refresh);
	return rc;
}

static int
oauth_trouble(struct hub_app_ctx *app, struct hub_req *req, int rc)
{
	if (rc == HUB_OAUTH_NOTCONFIGURED)
		return oauth_page(app, req, 503, "Slack install is not set up",
		    "Set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (from the Slack app's Basic "
		    "Information page) and restart the hub.", NULL, NULL, 0, 0);
	if (rc == HUB_OAUTH_UNAVAILABLE)
		return hub_app_error(app, req, 503, "the database is unavailable, try again shortly",
		    NULL);
	hub_log(HUB_LOG_ERROR, "oauth_failed", "error", hub_oauth_strerror(rc), NULL);
	return hub_app_error(app, req, 500, "the installation could not be started", NULL);
}

int
hub_pageslack_install(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf loc = HUB_BUF_INIT(8192), ck = HUB_BUF_INIT(512);
	struct hub_session s;
	struct hub_db *db;
	int rc = 0;

	/* Connecting a workspace is an admin's act. */
	if (hub_page_need(app, req, HUB_ACCESS_SLACK_INSTALL, &s) != 0)
		goto out;
	if ((db = hub_app_db(app)) == NULL) {
		rc = oauth_trouble(app, req, HUB_OAUTH_UNAVAILABLE);
		goto out;
	}
	if ((rc = hub_oauth_begin(db, &app->conf, s.user.id, &loc, &ck)) != HUB_OAUTH_OK) {
		rc = oauth_trouble(app, req, rc);
		goto out;
	}
	if (hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck)) != 0 ||
	    hub_resp_header(req, "Location", hub_buf_str(&loc)) != 0) {
		rc = 500;
		goto out;
	}
	hub_resp_start(req, 302, "text/plain; charset=utf-8");
	hub_resp_puts(req, "Continue to Slack to install the app.\n");
	rc = 0;
out:
	hub_buf_release(&loc);
	hub_buf_release(&ck);
	return rc;
}

/* The state cookie has done its job (or failed it): drop it. */
static void
oauth_drop_cookie(struct hub_app_ctx *app, struct hub_req *req)
{
	struct hub_buf ck = HUB_BUF_INIT(512);

	if (hub_oauth_clear_cookie(&app->conf, &ck) == HUB_OAUTH_OK)
		hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck));
	hub_buf_release(&ck);
}

int
hub_pageslack_callback(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf status = HUB_BUF_INIT(512);
	struct hub_db *db = hub_app_db(app);
	const char *code = hub_form_get(&req->args, "code");
	const char *state = hub_form_get(&req->args, "state");
	const char *error = hub_form_get(&req->args, "error");
	const char *cookie = hub_req_header(req, "Cookie");
	int rc;

	if (db == NULL) {
		rc = oauth_trouble(app, req, HUB_OAUTH_UNAVAILABLE);
		goto out;
	}
	if (error != NULL) {
		/* The person said no on Slack's page, or Slack refused: spend
		 * the state either way, store nothing. */
		hub_oauth_abandon(db, state, cookie);
		oauth_drop_cookie(app, req);
		hub_log(HUB_LOG_INFO, "oauth_install_declined", "error",
		    strcmp(error, "access_denied") == 0 ? "access_denied" : "other", NULL);
		rc = strcmp(error, "access_denied") == 0 ?
		    oauth_page(app, req, 200, "Installation cancelled",
		    "The app was not installed: the installation was cancelled on Slack's page. "
		    "Nothing was changed.", NULL, NULL, 1, 0) :
		    oauth_page(app, req, 400, "Installation not completed",
		    "Slack did not complete the installation. Nothing was changed.",
		    "Slack's reason is shown in the address bar (error=...).", NULL, 1, 0);
		goto out;
	}
	rc = hub_oauth_finish(db, &app->conf, code, state, cookie, &status);
	if (rc == HUB_OAUTH_BADSTATE) {
		hub_log(HUB_LOG_WARN, "oauth_state_refused", NULL);
		rc = oauth_page(app, req, 400, "This installation link cannot be used",
		    "Installation links work once, for 10 minutes, in the browser that started "
		    "them. Nothing was changed.", NULL, NULL, 1, 0);
		goto out;
	}
	if (rc != HUB_OAUTH_OK) {
		rc = oauth_trouble(app, req, rc);
		goto out;
	}
	oauth_drop_cookie(app, req);
	rc = oauth_page(app, req, 200, "Finishing the installation…",
	    "Slack approved the installation; the hub is fetching the app's token.", NULL,
	    hub_buf_str(&status), 0, 0);
out:
	hub_buf_release(&status);
	return rc;
}

int
hub_pageslack_status(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf self = HUB_BUF_INIT(512), msg = HUB_BUF_INIT(512);
	struct hub_oauth_status st;
	struct hub_db *db = hub_app_db(app);
	int rc;

	if (db == NULL) {
		rc = oauth_trouble(app, req, HUB_OAUTH_UNAVAILABLE);
		goto out;
	}
	rc = hub_oauth_status(db, req->captures[0], &st);
	if (rc == HUB_OAUTH_NOTFOUND) {
		rc = hub_page_error(app, req, 404, "This installation status page does not exist.");
		goto out;
	}
	if (rc != HUB_OAUTH_OK) {
		rc = oauth_trouble(app, req, rc);
		goto out;
	}
	switch (st.phase) {
	case HUB_OAUTH_INSTALLED:
		hub_buf_printf(&msg, "Installed to %s.", st.team_name[0] ? st.team_name : "Slack");
		rc = oauth_page(app, req, 200, hub_buf_str(&msg),
		    st.connection[0] ? "The workspace is now a Slack connection of the hub." :
		    NULL, st.connection[0] ? st.connection : NULL, NULL, 0, 1);
		break;
	case HUB_OAUTH_FAILED:
		rc = oauth_page(app, req, 200, "The installation failed",
		    "Slack did not give the hub a token for the app.",
		    st.error[0] ? st.error : NULL, NULL, 1, 0);
		break;
	default:
		hub_buf_printf(&self, "/slack/oauth/status/%s", req->captures[0]);
		rc = oauth_page(app, req, 200, "Finishing the installation…",
		    "The hub is fetching the app's token from Slack.", NULL, hub_buf_str(&self),
		    0, 0);
		break;
	}
out:
	hub_buf_release(&self);
	hub_buf_release(&msg);
	return rc;
}

