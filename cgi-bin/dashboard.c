/*
 * dashboard - the HTML side of the hub: the landing page and the decision
 * page behind emailed links (/decide/<token>); the status dashboard,
 * request pages, web form, login, admin and the Slack OAuth install arrive
 * with their issues.
 */
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "web/app.h"
#include "base/buf.h"
#include "approval/decidelink.h"
#include "approval/engine.h"
#include "web/fcgi.h"
#include "base/form.h"
#include "base/log.h"
#include "slack/oauth.h"
#include "base/tmpl.h"
#include "web/origin.h"

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

/* error.html inside the layout: status, its reason phrase, a sentence. */
static int
send_error_page(struct hub_app_ctx *app, struct hub_req *req, int status,
    const char *message)
{
	json_object *ctx = json_object_new_object();
	int rc;

	if (ctx == NULL)
		return 500;
	json_object_object_add(ctx, "title", json_object_new_string(hub_status_text(status)));
	json_object_object_add(ctx, "status", json_object_new_int(status));
	json_object_object_add(ctx, "reason", json_object_new_string(hub_status_text(status)));
	json_object_object_add(ctx, "message", json_object_new_string(message));
	rc = send_page(app, req, status, "error.html", ctx);
	json_object_put(ctx);
	return rc;
}

/* ------------------------------------------------------------ /decide/<token> */

#define REASON_MAX_CHARS 2000
#define DECIDE_FORM_PAIRS 8

struct decide_link {
	const char	*token;
	int64_t		 assignment_id;
	char		 request_id[HUB_DECIDELINK_RID_LEN];
};

/* What a POST adds to the page: the status and the inline errors. */
struct decide_msgs {
	int		 status;
	const char	*notice;
	const char	*decision_error;
	const char	*reason_error;
	const char	*reason;
	int		 hide_form;
};

/* Check the token of the path; 0, or answered with the 404/410 page. */
static int
decide_link(struct hub_app_ctx *app, struct hub_req *req, struct decide_link *l)
{
	unsigned char key[32];
	int rc;

	l->token = req->ncaptures == 1 ? req->captures[0] : "";
	hub_decidelink_key(app->conf.secret_key, key);
	rc = hub_decidelink_parse(key, l->token, time(NULL), &l->assignment_id,
	    l->request_id, NULL);
	if (rc == HUB_DECIDELINK_OK)
		return 0;
	hub_log(HUB_LOG_INFO, "decide_link_refused", "error", hub_decidelink_strerror(rc), NULL);
	if (rc == HUB_DECIDELINK_EXPIRED)
		send_error_page(app, req, 410, "This decision link has expired. Ask the requester"
		    " or your approval hub administrator to send you a new one.");
	else
		send_error_page(app, req, 404, "This decision link is not valid. Check that you"
		    " opened the whole link from the message.");
	return -1;
}

/* Load the page model; NULL when answered (404, 503, 500). */
static json_object *
decide_view(struct hub_app_ctx *app, struct hub_req *req, const struct decide_link *l)
{
	struct hub_db *db = hub_app_db(app);
	json_object *view = NULL;
	int rc;

	if (db == NULL) {
		hub_app_error(app, req, 503, "the database is unavailable, try again shortly", NULL);
		return NULL;
	}
	rc = hub_decidelink_view(db, l->assignment_id, l->request_id, &view);
	if (rc == HUB_DECIDELINK_OK)
		return view;
	if (rc == HUB_DECIDELINK_NOTFOUND)
		send_error_page(app, req, 404, "This request no longer exists.");
	else if (rc == HUB_DECIDELINK_UNAVAILABLE)
		hub_app_error(app, req, 503, "the database is unavailable, try again shortly", NULL);
	else {
		hub_log(HUB_LOG_ERROR, "decide_view_failed", "error", hub_decidelink_strerror(rc),
		    NULL);
		hub_app_error(app, req, 500, "the request could not be loaded", NULL);
	}
	return NULL;
}

static void
jput_str(json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

static int
decide_render(struct hub_app_ctx *app, struct hub_req *req, const struct decide_link *l,
    json_object *view, const struct decide_msgs *m)
{
	struct hub_buf action = HUB_BUF_INIT(512);
	json_object *t;
	int rc;

	if (hub_buf_printf(&action, "/decide/%s", l->token) != HUB_BUF_OK) {
		hub_buf_release(&action);
		return 500;
	}
	if (!json_object_object_get_ex(view, "title", &t) ||
	    json_object_get_string_len(t) == 0)
		json_object_object_add(view, "title", json_object_new_string("Approval request"));
	jput_str(view, "action", hub_buf_str(&action));
	jput_str(view, "notice", m->notice);
	jput_str(view, "decision_error", m->decision_error);
	jput_str(view, "reason_error", m->reason_error);
	jput_str(view, "reason", m->reason);
	if (m->hide_form)
		json_object_object_add(view, "can_decide", json_object_new_boolean(0));
	rc = send_page(app, req, m->status, "decide.html", view);
	hub_buf_release(&action);
	return rc;
}

static int
h_decide_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct decide_msgs m = { 200, NULL, NULL, NULL, NULL, 0 };
	struct decide_link l;
	json_object *view;
	int rc;

	if (decide_link(app, req, &l) != 0)
		return 0;
	if ((view = decide_view(app, req, &l)) == NULL)
		return 0;
	rc = decide_render(app, req, &l, view, &m);
	json_object_put(view);
	return rc;
}

/* Valid UTF-8, at most REASON_MAX_CHARS characters, no control characters
 * but tab and line breaks.  NULL when fine, else the inline message. */
static const char *
reason_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;
	unsigned cp;
	int len, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
				return "The reason contains characters that are not allowed.";
			p++;
		} else {
			len = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			    (*p & 0xf8) == 0xf0 ? 4 : 0;
			if (len == 0)
				return "The reason is not valid UTF-8 text.";
			cp = *p & (0x7f >> len);
			for (i = 1; i < len; i++) {
				if ((p[i] & 0xc0) != 0x80)
					return "The reason is not valid UTF-8 text.";
				cp = cp << 6 | (p[i] & 0x3f);
			}
			if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
			    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				return "The reason is not valid UTF-8 text.";
			if (cp >= 0x80 && cp <= 0x9f)
				return "The reason contains characters that are not allowed.";
			p += len;
		}
		if (++chars > REASON_MAX_CHARS)
			return "The reason is too long: at most 2000 characters.";
	}
	return NULL;
}

static int
blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

/* An engine refusal as the page's status and messages. */
static void
decide_refusal(int rc, const struct hub_engine_error *err, struct decide_msgs *m)
{
	m->hide_form = 1;
	switch (rc) {
	case HUB_ENGINE_ALREADY_DECIDED:
	case HUB_ENGINE_CLOSED:
	case HUB_ENGINE_CONFLICT:
		m->status = 409;
		m->notice = "Your decision was not recorded: this request was already decided"
		    " or closed.";
		break;
	case HUB_ENGINE_SELF_APPROVAL:
		m->status = 403;
		m->notice = "You cannot decide your own request.";
		break;
	case HUB_ENGINE_NOT_APPROVER:
		m->status = 403;
		m->notice = "This link does not let you decide this request (any more).";
		break;
	case HUB_ENGINE_REASON_REQUIRED:
		m->status = 400;
		m->hide_form = 0;
		m->reason_error = "A reason is required to reject this request.";
		break;
	default: /* INVALID */
		m->status = 400;
		m->hide_form = 0;
		m->notice = err->message[0] != '\0' ? err->message : "The decision was refused.";
		break;
	}
}

static int
h_decide_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct decide_msgs m = { 400, NULL, NULL, NULL, NULL, 0 };
	struct hub_engine_error err;
	struct hub_outcome out;
	struct hub_actor actor;
	struct hub_form form = { NULL, 0 };
	struct hub_buf loc = HUB_BUF_INIT(1024);
	struct decide_link l;
	struct hub_db *db;
	json_object *view = NULL, *v;
	const char *decision, *reason;
	int rc = 0, erc, approve;

	if (decide_link(app, req, &l) != 0)
		goto out;
	if (!hub_req_is_type(req, "application/x-www-form-urlencoded")) {
		rc = 415;
		goto out;
	}
	/* A form on another site cannot post a decision (web/origin.h). */
	if (!hub_origin_same(app->conf.public_url, req)) {
		hub_log(HUB_LOG_WARN, "decide_cross_origin", NULL);
		send_error_page(app, req, 403, "This form was sent from another site."
		    " Open the link from your message and decide there.");
		goto out;
	}
	if ((view = decide_view(app, req, &l)) == NULL)
		goto out;
	if (hub_form_parse(req->body, req->body_len, DECIDE_FORM_PAIRS, &form) != HUB_FORM_OK) {
		m.notice = "The form could not be read; please try again.";
		rc = decide_render(app, req, &l, view, &m);
		goto out;
	}
	decision = hub_form_get(&form, "decision");
	reason = hub_form_get(&form, "reason");
	if (reason == NULL)
		reason = "";
	m.reason = reason;
	if ((m.reason_error = reason_problem(reason)) != NULL) {
		m.reason = NULL;   /* never echo what was refused as text */
		rc = decide_render(app, req, &l, view, &m);
		goto out;
	}
	if (decision == NULL ||
	    (strcmp(decision, "approve") != 0 && strcmp(decision, "reject") != 0)) {
		m.decision_error = "Choose Approve or Reject.";
		rc = decide_render(app, req, &l, view, &m);
		goto out;
	}
	approve = strcmp(decision, "approve") == 0;

	/* The token names the assignment; its approver is the actor. */
	memset(&actor, 0, sizeof(actor));
	actor.kind = json_object_object_get_ex(view, "approver_kind", &v) ?
	    json_object_get_string(v) : "";
	actor.id = json_object_object_get_ex(view, "approver_value", &v) ?
	    json_object_get_string(v) : "";
	actor.display = actor.id;
	actor.via = "web";
	if ((db = hub_app_db(app)) == NULL) {
		rc = 503;
		goto out;
	}
	erc = hub_engine_decide(db, l.request_id, l.assignment_id, &actor, approve,
	    blank(reason) ? NULL : reason, NULL, &out, &err);
	hub_log(HUB_LOG_INFO, "decide_web", "request", l.request_id,
	    "decision", decision, "result", hub_engine_strerror(erc), NULL);
	if (erc == HUB_ENGINE_OK) {
		if (hub_buf_printf(&loc, "%s/decide/%s", app->conf.public_url, l.token) !=
		    HUB_BUF_OK || hub_resp_header(req, "Location", hub_buf_str(&loc)) != 0) {
			rc = 500;
			goto out;
		}
		hub_resp_start(req, 303, "text/plain; charset=utf-8");
		hub_resp_puts(req, "Decision recorded.\n");
		goto out;
	}
	if (erc == HUB_ENGINE_UNAVAILABLE) {
		rc = 503;
		goto out;
	}
	if (erc == HUB_ENGINE_DB || erc == HUB_ENGINE_NOTFOUND) {
		hub_log(HUB_LOG_ERROR, "decide_failed", "error", hub_engine_strerror(erc), NULL);
		rc = erc == HUB_ENGINE_NOTFOUND ? 404 : 500;
		goto out;
	}
	decide_refusal(erc, &err, &m);
	/* Show the state the refusal is about (who decided, and when). */
	json_object_put(view);
	if ((view = decide_view(app, req, &l)) == NULL)
		goto out;
	rc = decide_render(app, req, &l, view, &m);
out:
	json_object_put(view);
	hub_form_free(&form);
	hub_buf_release(&loc);
	return rc;
}

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
	jput_str(ctx, "heading", heading);
	jput_str(ctx, "message", message);
	jput_str(ctx, "detail", detail);
	if (refresh_url != NULL && hub_buf_printf(&refresh, "%d; url=%s", OAUTH_REFRESH_S,
	    refresh_url) == HUB_BUF_OK) {
		jput_str(ctx, "refresh", hub_buf_str(&refresh));
		jput_str(ctx, "status_url", refresh_url);
		json_object_object_add(ctx, "pending", json_object_new_boolean(1));
	}
	json_object_object_add(ctx, "retry", json_object_new_boolean(retry));
	json_object_object_add(ctx, "installed", json_object_new_boolean(installed));
	rc = send_page(app, req, status, "oauth.html", ctx);
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

static int
h_slack_install(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf loc = HUB_BUF_INIT(8192), ck = HUB_BUF_INIT(512);
	struct hub_db *db = hub_app_db(app);
	int rc;

	if (db == NULL) {
		rc = oauth_trouble(app, req, HUB_OAUTH_UNAVAILABLE);
		goto out;
	}
	if ((rc = hub_oauth_begin(db, &app->conf, &loc, &ck)) != HUB_OAUTH_OK) {
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

static int
h_slack_callback(struct hub_req *req, void *arg)
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

static int
h_slack_status(struct hub_req *req, void *arg)
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
		rc = send_error_page(app, req, 404, "This installation status page does not exist.");
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

static const struct hub_route routes[] = {
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/", h_home },
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/decide/*", h_decide_show },
	{ HUB_ROUTE_M(HUB_M_POST), "/decide/*", h_decide_post },
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/slack/install", h_slack_install },
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/slack/oauth/callback",
	    h_slack_callback },
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/slack/oauth/status/*",
	    h_slack_status },
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
