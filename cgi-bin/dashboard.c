/*
 * dashboard - the HTML side of the hub: the landing page, signing in and
 * out (/login, /logout), the account page (/account/password), the
 * decision page behind emailed links (/decide/<token>) and the Slack
 * OAuth install (admins only); the status dashboard, request pages, web
 * form and admin pages arrive with their issues.  Who may see or do what
 * is decided by approval/access.h, for every page and action.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "web/app.h"
#include "approval/access.h"
#include "approval/account.h"
#include "base/buf.h"
#include "approval/decidelink.h"
#include "approval/engine.h"
#include "web/fcgi.h"
#include "base/form.h"
#include "base/log.h"
#include "slack/oauth.h"
#include "base/tmpl.h"
#include "store/settings.h"
#include "base/utf8.h"
#include "web/origin.h"
#include "web/session.h"

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
	size_t chars = 0, left = strlen(s), len;
	unsigned cp;

	for (; left > 0; s += len, left -= len) {
		if ((len = hub_utf8_seq(s, left, &cp)) == 0)
			return "The reason is not valid UTF-8 text.";
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    (cp >= 0x7f && cp <= 0x9f))
			return "The reason contains characters that are not allowed.";
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

/* ------------------------------------------------------------ sessions */

#define LOGIN_COOKIE		"hub_login"	/* the sign-in form's own CSRF token */
#define LOGIN_COOKIE_AGE_S	3600
#define LOGIN_FORM_PAIRS	8
#define LOGIN_URL_MAX		(3 * HUB_SESSION_NEXT_MAX + 64)
#define BAD_LOGIN_MSG		"The email or password is not right."

/* 303 (or status) to path on this hub. */
static int
redirect(struct hub_app_ctx *app, struct hub_req *req, int status, const char *path)
{
	struct hub_buf loc = HUB_BUF_INIT(LOGIN_URL_MAX + 512);
	int rc = 500;

	if (hub_buf_printf(&loc, "%s%s", app->conf.public_url, path) == HUB_BUF_OK &&
	    hub_resp_header(req, "Location", hub_buf_str(&loc)) == 0) {
		hub_resp_start(req, status, "text/plain; charset=utf-8");
		hub_resp_puts(req, "See the new location.\n");
		rc = 0;
	}
	hub_buf_release(&loc);
	return rc;
}

/* Is single sign-on through nginx's REMOTE_USER switched on? */
static int
trust_remote_user(struct hub_db *db)
{
	struct hub_buf v = HUB_BUF_INIT(16);
	int on;

	on = hub_settings_get(db, "auth.trust_remote_user", &v) == HUB_SETTINGS_OK &&
	    strcmp(hub_buf_str(&v), "on") == 0;
	hub_buf_release(&v);
	return on;
}

/*
 * With auth.trust_remote_user on, nginx (auth_request, auth_basic...)
 * vouches for the person: the user whose email is the REMOTE_USER FastCGI
 * parameter is signed in without a password.  A session of someone else
 * in the same browser gives way.  Only nginx sets FastCGI parameters; a
 * client's header arrives as HTTP_*, never as REMOTE_USER.
 */
static int
remote_user_session(struct hub_app_ctx *app, struct hub_req *req, struct hub_db *db,
    const char *remote, int rc, struct hub_session *s)
{
	struct hub_buf ck = HUB_BUF_INIT(512);
	struct hub_access_user u;

	if (rc == HUB_SESSION_OK && strcasecmp(s->user.email, remote) == 0)
		return rc;
	if (hub_account_by_email(db, remote, &u) != HUB_ACCOUNT_OK) {
		hub_log(HUB_LOG_WARN, "remote_user_unknown", NULL);
		return rc == HUB_SESSION_DB ? rc : HUB_SESSION_NONE;
	}
	rc = hub_session_open(db, &app->conf, &u, hub_req_header(req, "Cookie"),
	    hub_req_header(req, "User-Agent"), req->remote_addr, s, &ck);
	if (rc == HUB_SESSION_OK && hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck)) != 0)
		rc = HUB_SESSION_DB;
	if (rc == HUB_SESSION_OK)
		hub_log(HUB_LOG_INFO, "signed_in", "user", u.id, "via", "remote_user", NULL);
	hub_buf_release(&ck);
	return rc;
}

/* The request's session: HUB_SESSION_OK (s filled), _NONE, or _DB. */
static int
current_session(struct hub_app_ctx *app, struct hub_req *req, struct hub_session *s)
{
	struct hub_db *db = hub_app_db(app);
	const char *remote;
	int rc;

	memset(s, 0, sizeof(*s));
	if (db == NULL)
		return HUB_SESSION_DB;
	rc = hub_session_load(db, hub_req_header(req, "Cookie"), s);
	remote = req->io.param != NULL ? req->io.param(req->io.ctx, "REMOTE_USER") : NULL;
	if (rc != HUB_SESSION_DB && remote != NULL && remote[0] != '\0' && trust_remote_user(db))
		rc = remote_user_session(app, req, db, remote, rc, s);
	return rc;
}

/* The signed-in person for the layout: user {name, email, role}, csrf. */
static void
ctx_user(json_object *ctx, const struct hub_session *s)
{
	json_object *u;

	if (s == NULL || s->user.id[0] == '\0' || (u = json_object_new_object()) == NULL)
		return;
	json_object_object_add(u, "name", json_object_new_string(s->user.name));
	json_object_object_add(u, "email", json_object_new_string(s->user.email));
	json_object_object_add(u, "role", json_object_new_string(
	    hub_access_role_name(s->user.role)));
	json_object_object_add(ctx, "user", u);
	json_object_object_add(ctx, "csrf", json_object_new_string(s->csrf));
}

/* Send a visitor without a session to /login?next=<this page>. */
static int
to_login(struct hub_app_ctx *app, struct hub_req *req)
{
	struct hub_buf path = HUB_BUF_INIT(LOGIN_URL_MAX);
	const char *uri = req->io.param != NULL ? req->io.param(req->io.ctx, "REQUEST_URI") : NULL;
	const char *next = hub_session_next_path(uri);
	int rc = 500;

	if (hub_buf_adds(&path, "/login") == HUB_BUF_OK &&
	    (strcmp(next, "/") == 0 || (hub_buf_adds(&path, "?next=") == HUB_BUF_OK &&
	    hub_url_encode(next, strlen(next), &path) == 0)))
		rc = redirect(app, req, 303, hub_buf_str(&path));
	hub_buf_release(&path);
	return rc;
}

/*
 * Every page and action that needs a person asks here: 0 when the
 * signed-in user may do action (s filled), else the answer is sent (303
 * to /login without a session, 403 for a role that may not, 503).
 */
static int
need(struct hub_app_ctx *app, struct hub_req *req, enum hub_access_action action,
    struct hub_session *s)
{
	int rc = current_session(app, req, s);

	if (rc == HUB_SESSION_DB) {
		hub_app_error(app, req, 503, "the database is unavailable, try again shortly", NULL);
		return -1;
	}
	if (rc != HUB_SESSION_OK) {
		to_login(app, req);
		return -1;
	}
	if (!hub_access_can(&s->user, action, NULL)) {
		hub_log(HUB_LOG_WARN, "access_refused", "user", s->user.id, "path", req->path, NULL);
		send_error_page(app, req, 403, "Your account may not open this page. Ask an"
		    " administrator of the hub if you need to.");
		return -1;
	}
	return 0;
}

/* A browser form's POST: from this hub's own pages (Origin), of the form
 * type, parsed into form.  0, or answered (415, 403, 400). */
static int
form_post(struct hub_app_ctx *app, struct hub_req *req, struct hub_form *form)
{
	if (!hub_req_is_type(req, "application/x-www-form-urlencoded")) {
		hub_app_error(app, req, 415, "send the form as application/x-www-form-urlencoded",
		    NULL);
		return -1;
	}
	if (!hub_origin_same(app->conf.public_url, req)) {
		hub_log(HUB_LOG_WARN, "form_cross_origin", "path", req->path, NULL);
		send_error_page(app, req, 403, "This form was sent from another site.");
		return -1;
	}
	if (hub_form_parse(req->body, req->body_len, LOGIN_FORM_PAIRS, form) != HUB_FORM_OK) {
		send_error_page(app, req, 400, "The form could not be read; please try again.");
		return -1;
	}
	return 0;
}

/* The session's CSRF token must come with every form it posts. */
static int
csrf_refused(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct hub_form *form)
{
	if (hub_session_csrf_ok(s, hub_form_get(form, "csrf")))
		return 0;
	hub_log(HUB_LOG_WARN, "csrf_refused", "path", req->path, NULL);
	send_error_page(app, req, 403, "This form has expired or was not sent from the hub's"
	    " own page. Go back, reload the page and try again.");
	return -1;
}

/* ------------------------------------------------------------ /login */

/* "30 seconds", "2 minutes": how long a throttled visitor waits. */
static void
wait_text(long s, struct hub_buf *out)
{
	long m = (s + 59) / 60;

	if (s < 60)
		hub_buf_printf(out, "%ld second%s", s, s == 1 ? "" : "s");
	else
		hub_buf_printf(out, "%ld minute%s", m, m == 1 ? "" : "s");
}

struct login_view {
	int		 status;
	const char	*next;
	const char	*email;
	const char	*error;
	long		 wait_s;
	const char	*notice;
};

/* The sign-in form with a fresh form token (cookie + hidden field). */
static int
login_page(struct hub_app_ctx *app, struct hub_req *req, const struct login_view *v)
{
	struct hub_buf tok = HUB_BUF_INIT(128), ck = HUB_BUF_INIT(512), msg = HUB_BUF_INIT(512),
	    secs = HUB_BUF_INIT(32);
	json_object *ctx = json_object_new_object();
	int rc = 500;

	if (ctx == NULL || hub_session_form_cookie(&app->conf, LOGIN_COOKIE, "/login",
	    LOGIN_COOKIE_AGE_S, &tok, &ck) != HUB_SESSION_OK ||
	    hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck)) != 0)
		goto out;
	json_object_object_add(ctx, "title", json_object_new_string("Sign in"));
	json_object_object_add(ctx, "csrf", json_object_new_string(hub_buf_str(&tok)));
	jput_str(ctx, "next", strcmp(v->next, "/") != 0 ? v->next : NULL);
	jput_str(ctx, "email", v->email);
	jput_str(ctx, "notice", v->notice);
	if (v->error != NULL)
		hub_buf_adds(&msg, v->error);
	if (v->wait_s > 0) {
		wait_text(v->wait_s, &secs);
		hub_buf_printf(&msg, "%sToo many failed sign-ins: wait %s before trying again.",
		    msg.len > 0 ? " " : "", hub_buf_str(&secs));
		hub_buf_reset(&secs);
		hub_buf_printf(&secs, "%ld", v->wait_s);
		hub_resp_header(req, "Retry-After", hub_buf_str(&secs));
	}
	if (msg.len > 0)
		jput_str(ctx, "error", hub_buf_str(&msg));
	rc = send_page(app, req, v->status, "login.html", ctx);
out:
	json_object_put(ctx);
	hub_buf_release(&tok);
	hub_buf_release(&ck);
	hub_buf_release(&msg);
	hub_buf_release(&secs);
	return rc;
}

static int
h_login_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct login_view v = { 200, NULL, NULL, NULL, 0, NULL };
	struct hub_session s;

	v.next = hub_session_next_path(hub_form_get(&req->args, "next"));
	if (current_session(app, req, &s) == HUB_SESSION_OK)
		return redirect(app, req, 303, v.next);
	if (hub_form_get(&req->args, "signed_out") != NULL)
		v.notice = "You are signed out.";
	return login_page(app, req, &v);
}

static int
h_login_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct login_view v = { 401, "/", NULL, BAD_LOGIN_MSG, 0, NULL };
	struct hub_form form = { NULL, 0 };
	struct hub_buf ck = HUB_BUF_INIT(512), clear = HUB_BUF_INIT(512);
	struct hub_access_user u;
	struct hub_session s;
	struct hub_db *db;
	int rc = 0, arc;

	if (form_post(app, req, &form) != 0)
		goto out;
	if (!hub_session_form_token_ok(hub_req_header(req, "Cookie"), LOGIN_COOKIE,
	    hub_form_get(&form, "csrf"))) {
		hub_log(HUB_LOG_WARN, "csrf_refused", "path", req->path, NULL);
		send_error_page(app, req, 403, "This sign-in form has expired or was not sent"
		    " from the hub's own page. Open the sign-in page again.");
		goto out;
	}
	if ((db = hub_app_db(app)) == NULL) {
		rc = 503;
		goto out;
	}
	v.next = hub_session_next_path(hub_form_get(&form, "next"));
	v.email = hub_form_get(&form, "email");
	arc = hub_account_login(db, v.email, hub_form_get(&form, "password"), req->remote_addr,
	    &u, &v.wait_s);
	hub_log(HUB_LOG_INFO, "sign_in", "result", hub_account_strerror(arc),
	    "user", arc == HUB_ACCOUNT_OK ? u.id : NULL, NULL);
	if (arc == HUB_ACCOUNT_THROTTLED) {
		v.status = 429;
		v.error = NULL;
	}
	if (arc == HUB_ACCOUNT_THROTTLED || arc == HUB_ACCOUNT_BADLOGIN) {
		rc = login_page(app, req, &v);
		goto out;
	}
	if (arc != HUB_ACCOUNT_OK) {
		rc = arc == HUB_ACCOUNT_DB ? 503 : 500;
		goto out;
	}
	if (hub_session_open(db, &app->conf, &u, hub_req_header(req, "Cookie"),
	    hub_req_header(req, "User-Agent"), req->remote_addr, &s, &ck) != HUB_SESSION_OK ||
	    hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck)) != 0) {
		rc = 503;
		goto out;
	}
	/* The form's token has done its job. */
	if (hub_buf_printf(&clear, LOGIN_COOKIE "=; Path=/login; HttpOnly; SameSite=Lax;"
	    " Max-Age=0") == HUB_BUF_OK)
		hub_resp_header(req, "Set-Cookie", hub_buf_str(&clear));
	rc = redirect(app, req, 303, v.next);
out:
	hub_form_free(&form);
	hub_buf_release(&ck);
	hub_buf_release(&clear);
	return rc;
}

static int
h_logout(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_buf ck = HUB_BUF_INIT(512);
	struct hub_session s;
	int rc = 0, src;

	if (form_post(app, req, &form) != 0)
		goto out;
	if ((src = current_session(app, req, &s)) == HUB_SESSION_DB) {
		rc = 503;
		goto out;
	}
	if (src == HUB_SESSION_OK) {
		if (csrf_refused(app, req, &s, &form))
			goto out;
		if (hub_session_close(hub_app_db(app), &s) != HUB_SESSION_OK) {
			rc = 503;
			goto out;
		}
		hub_log(HUB_LOG_INFO, "signed_out", "user", s.user.id, NULL);
	}
	if (hub_session_clear_cookie(&app->conf, &ck) == HUB_SESSION_OK)
		hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck));
	rc = redirect(app, req, 303, "/login?signed_out=1");
out:
	hub_form_free(&form);
	hub_buf_release(&ck);
	return rc;
}

/* ------------------------------------------------------------ /account/password */

struct password_view {
	int		 status;
	int		 done;
	const char	*current_error;
	const char	*fresh_error;
	const char	*confirm_error;
};

static int
password_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct password_view *v)
{
	json_object *ctx = json_object_new_object();
	int rc;

	if (ctx == NULL)
		return 500;
	json_object_object_add(ctx, "title", json_object_new_string("Your account"));
	ctx_user(ctx, s);
	json_object_object_add(ctx, "min", json_object_new_int(HUB_ACCOUNT_PASSWORD_MIN));
	json_object_object_add(ctx, "done", json_object_new_boolean(v->done));
	jput_str(ctx, "current_error", v->current_error);
	jput_str(ctx, "fresh_error", v->fresh_error);
	jput_str(ctx, "confirm_error", v->confirm_error);
	rc = send_page(app, req, v->status, "password.html", ctx);
	json_object_put(ctx);
	return rc;
}

static int
h_password_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct password_view v = { 200, 0, NULL, NULL, NULL };
	struct hub_session s;

	if (need(app, req, HUB_ACCESS_ACCOUNT, &s) != 0)
		return 0;
	return password_page(app, req, &s, &v);
}

static int
h_password_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct password_view v = { 400, 0, NULL, NULL, NULL };
	struct hub_form form = { NULL, 0 };
	struct hub_session s;
	const char *cur, *fresh, *confirm;
	size_t n;
	int rc = 0, arc;

	if (need(app, req, HUB_ACCESS_ACCOUNT, &s) != 0)
		goto out;
	if (form_post(app, req, &form) != 0 || csrf_refused(app, req, &s, &form))
		goto out;
	cur = hub_form_get(&form, "current");
	fresh = hub_form_get(&form, "fresh");
	confirm = hub_form_get(&form, "confirm");
	n = fresh != NULL ? strlen(fresh) : 0;
	if (cur == NULL || cur[0] == '\0')
		v.current_error = "Type your current password.";
	if (n < HUB_ACCOUNT_PASSWORD_MIN)
		v.fresh_error = "The new password is too short: at least 8 characters.";
	else if (n > HUB_ACCOUNT_PASSWORD_MAX)
		v.fresh_error = "The new password is too long: at most 200 characters.";
	else if (confirm == NULL || strcmp(fresh, confirm) != 0)
		v.confirm_error = "The two new passwords differ.";
	if (v.current_error != NULL || v.fresh_error != NULL || v.confirm_error != NULL) {
		rc = password_page(app, req, &s, &v);
		goto out;
	}
	arc = hub_account_set_password(hub_app_db(app), s.user.id, cur, fresh);
	hub_log(HUB_LOG_INFO, "password_change", "user", s.user.id,
	    "result", hub_account_strerror(arc), NULL);
	if (arc == HUB_ACCOUNT_BADLOGIN) {
		v.current_error = "Your current password is not right.";
		rc = password_page(app, req, &s, &v);
		goto out;
	}
	if (arc != HUB_ACCOUNT_OK) {
		rc = arc == HUB_ACCOUNT_DB ? 503 : 500;
		goto out;
	}
	/* Whoever else held a session of this account is out now. */
	if (hub_session_close_others(hub_app_db(app), &s) != HUB_SESSION_OK)
		hub_log(HUB_LOG_WARN, "sessions_close_failed", "user", s.user.id, NULL);
	v.status = 200;
	v.done = 1;
	rc = password_page(app, req, &s, &v);
out:
	hub_form_free(&form);
	return rc;
}

static int
h_home(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	json_object *ctx = json_object_new_object();
	struct hub_session s;
	int rc;

	if (ctx == NULL)
		return 500;
	/* Open to everyone; a signed-in person sees who they are. */
	if (current_session(app, req, &s) == HUB_SESSION_OK)
		ctx_user(ctx, &s);
	json_object_object_add(ctx, "title", json_object_new_string("Dashboard"));
	rc = send_page(app, req, 200, "home.html", ctx);
	json_object_put(ctx);
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
	struct hub_session s;
	struct hub_db *db;
	int rc = 0;

	/* Connecting a workspace is an admin's act. */
	if (need(app, req, HUB_ACCESS_SLACK_INSTALL, &s) != 0)
		goto out;
	if ((db = hub_app_db(app)) == NULL) {
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
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/login", h_login_show },
	{ HUB_ROUTE_M(HUB_M_POST), "/login", h_login_post },
	{ HUB_ROUTE_M(HUB_M_POST), "/logout", h_logout },
	{ HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD), "/account/password",
	    h_password_show },
	{ HUB_ROUTE_M(HUB_M_POST), "/account/password", h_password_post },
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
	/* The dummy hash unknown emails are checked against, made before the
	 * first sign-in so that one costs what every other does. */
	if (hub_account_prepare() != HUB_ACCOUNT_OK) {
		hub_log(HUB_LOG_ERROR, "account_prepare_failed", NULL);
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
