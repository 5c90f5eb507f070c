/*
 * pageauth.c - signing in and out (/login, /logout), one's own account
 * (/account/password) and the landing page (/).  See pageauth.h.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "web/pageauth.h"
#include "approval/account.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "web/page.h"

#define LOGIN_COOKIE		"hub_login"	/* the sign-in form's own CSRF token */
#define LOGIN_COOKIE_AGE_S	3600
#define FORM_PAIRS		8
#define BAD_LOGIN_MSG		"The email or password is not right."

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
	hub_json_set_str(ctx, "next", strcmp(v->next, "/") != 0 ? v->next : NULL);
	hub_json_set_str(ctx, "email", v->email);
	hub_json_set_str(ctx, "notice", v->notice);
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
		hub_json_set_str(ctx, "error", hub_buf_str(&msg));
	rc = hub_page_send(app, req, v->status, "login.html", ctx);
out:
	json_object_put(ctx);
	hub_buf_release(&tok);
	hub_buf_release(&ck);
	hub_buf_release(&msg);
	hub_buf_release(&secs);
	return rc;
}

int
hub_pageauth_login_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct login_view v = { 200, NULL, NULL, NULL, 0, NULL };
	struct hub_session s;

	v.next = hub_session_next_path(hub_form_get(&req->args, "next"));
	if (hub_page_session(app, req, &s) == HUB_SESSION_OK)
		return hub_page_redirect(app, req, 303, v.next);
	if (hub_form_get(&req->args, "signed_out") != NULL)
		v.notice = "You are signed out.";
	return login_page(app, req, &v);
}

int
hub_pageauth_login_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct login_view v = { 401, "/", NULL, BAD_LOGIN_MSG, 0, NULL };
	struct hub_form form = { NULL, 0 };
	struct hub_buf ck = HUB_BUF_INIT(512), clear = HUB_BUF_INIT(512);
	struct hub_access_user u;
	struct hub_session s;
	struct hub_db *db;
	int rc = 0, arc;

	if (hub_page_form(app, req, FORM_PAIRS, &form) != 0)
		goto out;
	if (!hub_session_form_token_ok(hub_req_header(req, "Cookie"), LOGIN_COOKIE,
	    hub_form_get(&form, "csrf"))) {
		hub_log(HUB_LOG_WARN, "csrf_refused", "path", req->path, NULL);
		hub_page_error(app, req, 403, "This sign-in form has expired or was not sent"
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
	rc = hub_page_redirect(app, req, 303, v.next);
out:
	hub_form_free(&form);
	hub_buf_release(&ck);
	hub_buf_release(&clear);
	return rc;
}

int
hub_pageauth_logout(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_buf ck = HUB_BUF_INIT(512);
	struct hub_session s;
	int rc = 0, src;

	if (hub_page_form(app, req, FORM_PAIRS, &form) != 0)
		goto out;
	if ((src = hub_page_session(app, req, &s)) == HUB_SESSION_DB) {
		rc = 503;
		goto out;
	}
	if (src == HUB_SESSION_OK) {
		if (hub_page_csrf_refused(app, req, &s, &form))
			goto out;
		if (hub_session_close(hub_app_db(app), &s) != HUB_SESSION_OK) {
			rc = 503;
			goto out;
		}
		hub_log(HUB_LOG_INFO, "signed_out", "user", s.user.id, NULL);
	}
	if (hub_session_clear_cookie(&app->conf, &ck) == HUB_SESSION_OK)
		hub_resp_header(req, "Set-Cookie", hub_buf_str(&ck));
	rc = hub_page_redirect(app, req, 303, "/login?signed_out=1");
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
	hub_page_user(ctx, s);
	json_object_object_add(ctx, "min", json_object_new_int(HUB_ACCOUNT_PASSWORD_MIN));
	json_object_object_add(ctx, "done", json_object_new_boolean(v->done));
	hub_json_set_str(ctx, "current_error", v->current_error);
	hub_json_set_str(ctx, "fresh_error", v->fresh_error);
	hub_json_set_str(ctx, "confirm_error", v->confirm_error);
	rc = hub_page_send(app, req, v->status, "password.html", ctx);
	json_object_put(ctx);
	return rc;
}

int
hub_pageauth_password_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct password_view v = { 200, 0, NULL, NULL, NULL };
	struct hub_session s;

	if (hub_page_need(app, req, HUB_ACCESS_ACCOUNT, &s) != 0)
		return 0;
	return password_page(app, req, &s, &v);
}

int
hub_pageauth_password_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct password_view v = { 400, 0, NULL, NULL, NULL };
	struct hub_form form = { NULL, 0 };
	struct hub_session s;
	const char *cur, *fresh, *confirm;
	size_t n;
	int rc = 0, arc;

	if (hub_page_need(app, req, HUB_ACCESS_ACCOUNT, &s) != 0)
		goto out;
	if (hub_page_form(app, req, FORM_PAIRS, &form) != 0 || hub_page_csrf_refused(app, req, &s, &form))
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

int
hub_pageauth_home(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	json_object *ctx = json_object_new_object();
	struct hub_session s;
	int rc;

	if (ctx == NULL)
		return 500;
	/* Open to everyone; a signed-in person goes on to the dashboard. */
	if (hub_page_session(app, req, &s) == HUB_SESSION_OK) {
		json_object_put(ctx);
		return hub_page_redirect(app, req, 303, "/requests");
	}
	json_object_object_add(ctx, "title", json_object_new_string("Dashboard"));
	rc = hub_page_send(app, req, 200, "home.html", ctx);
	json_object_put(ctx);
	return rc;
}

