/*
 * page.c - what every HTML page of the dashboard program shares: rendering
 * a body template inside the layout, error pages, redirects, the
 * request's session (with optional REMOTE_USER single sign-on), the one
 * guard every page and action passes (web/page.h), form posts and CSRF.
 */
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "web/page.h"
#include "approval/account.h"
#include "base/json.h"
#include "base/log.h"
#include "base/tmpl.h"
#include "slack/connadmin.h"
#include "base/utf8.h"
#include "store/settings.h"
#include "web/origin.h"

#define PAGE_MAX (2u * 1024u * 1024u)

/*
 * The Slack connection banner (slack/connadmin.h) on every page of a
 * signed-in person: the layout shows it, with a link to the fix and an
 * acknowledge button for admins (nav.admin), which brings them back here
 * (banner_next).  A failed lookup costs the banner, never the page.
 */
static void
page_banner(struct hub_app_ctx *app, struct hub_req *req, json_object *ctx)
{
	json_object *list = NULL;
	struct hub_db *db;
	const char *uri;

	if (!json_object_object_get_ex(ctx, "user", NULL) ||
	    json_object_object_get_ex(ctx, "banner", NULL) || (db = hub_app_db(app)) == NULL)
		return;
	if (hub_connadm_banner(db, &list) != HUB_CONNADM_OK) {
		hub_log(HUB_LOG_WARN, "banner_unavailable", NULL);
		return;
	}
	if (json_object_array_length(list) == 0) {
		json_object_put(list);
		return;
	}
	json_object_object_add(ctx, "banner", list);
	uri = req->io.param != NULL ? req->io.param(req->io.ctx, "REQUEST_URI") : NULL;
	json_object_object_add(ctx, "banner_next", json_object_new_string(
	    hub_session_next_path(uri)));
}

/* Render body template `name` inside the layout and send it. */
int
hub_page_send(struct hub_app_ctx *app, struct hub_req *req, int status,
    const char *name, json_object *ctx)
{
	struct hub_buf page = HUB_BUF_INIT(PAGE_MAX);
	int rc;

	page_banner(app, req, ctx);
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
int
hub_page_error(struct hub_app_ctx *app, struct hub_req *req, int status,
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
	rc = hub_page_send(app, req, status, "error.html", ctx);
	json_object_put(ctx);
	return rc;
}


#define PAGE_URL_MAX		(3 * HUB_SESSION_NEXT_MAX + 64)

/* 303 (or status) to path on this hub. */
int
hub_page_redirect(struct hub_app_ctx *app, struct hub_req *req, int status, const char *path)
{
	struct hub_buf loc = HUB_BUF_INIT(PAGE_URL_MAX + 512);
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
int
hub_page_session(struct hub_app_ctx *app, struct hub_req *req, struct hub_session *s)
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

/* The signed-in person for the layout: user, csrf, nav. */
void
hub_page_user(json_object *ctx, const struct hub_session *s)
{
	json_object *u, *nav;

	if (s == NULL || s->user.id[0] == '\0' || (u = json_object_new_object()) == NULL)
		return;
	json_object_object_add(u, "name", json_object_new_string(s->user.name));
	json_object_object_add(u, "email", json_object_new_string(s->user.email));
	json_object_object_add(u, "role", json_object_new_string(
	    hub_access_role_name(s->user.role)));
	json_object_object_add(ctx, "user", u);
	json_object_object_add(ctx, "csrf", json_object_new_string(s->csrf));
	if ((nav = json_object_new_object()) == NULL)
		return;
	json_object_object_add(nav, "requests", json_object_new_boolean(
	    hub_access_can(&s->user, HUB_ACCESS_SIGNED_IN, NULL)));
	json_object_object_add(nav, "create", json_object_new_boolean(
	    hub_access_can(&s->user, HUB_ACCESS_REQUEST_CREATE, NULL)));
	json_object_object_add(nav, "admin", json_object_new_boolean(
	    hub_access_can(&s->user, HUB_ACCESS_ADMIN, NULL)));
	json_object_object_add(ctx, "nav", nav);
}

/* Send a visitor without a session to /login?next=<this page>. */
static int
to_login(struct hub_app_ctx *app, struct hub_req *req)
{
	struct hub_buf path = HUB_BUF_INIT(PAGE_URL_MAX);
	const char *uri = req->io.param != NULL ? req->io.param(req->io.ctx, "REQUEST_URI") : NULL;
	const char *next = hub_session_next_path(uri);
	int rc = 500;

	if (hub_buf_adds(&path, "/login") == HUB_BUF_OK &&
	    (strcmp(next, "/") == 0 || (hub_buf_adds(&path, "?next=") == HUB_BUF_OK &&
	    hub_url_encode(next, strlen(next), &path) == 0)))
		rc = hub_page_redirect(app, req, 303, hub_buf_str(&path));
	hub_buf_release(&path);
	return rc;
}

/*
 * Every page and action that needs a person asks here: 0 when the
 * signed-in user may do action (s filled), else the answer is sent (303
 * to /login without a session, 403 for a role that may not, 503).
 */
int
hub_page_need(struct hub_app_ctx *app, struct hub_req *req, enum hub_access_action action,
    struct hub_session *s)
{
	int rc = hub_page_session(app, req, s);

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
		hub_page_error(app, req, 403, "Your account may not open this page. Ask an"
		    " administrator of the hub if you need to.");
		return -1;
	}
	return 0;
}

/* A browser form's POST: from this hub's own pages (Origin), of the form
 * type, parsed into form.  0, or answered (415, 403, 400). */
int
hub_page_form(struct hub_app_ctx *app, struct hub_req *req, size_t pairs,
    struct hub_form *form)
{
	if (!hub_req_is_type(req, "application/x-www-form-urlencoded")) {
		hub_app_error(app, req, 415, "send the form as application/x-www-form-urlencoded",
		    NULL);
		return -1;
	}
	if (!hub_origin_same(app->conf.public_url, req)) {
		hub_log(HUB_LOG_WARN, "form_cross_origin", "path", req->path, NULL);
		hub_page_error(app, req, 403, "This form was sent from another site.");
		return -1;
	}
	if (hub_form_parse(req->body, req->body_len, pairs, form) != HUB_FORM_OK) {
		hub_page_error(app, req, 400, "The form could not be read; please try again.");
		return -1;
	}
	return 0;
}

/* The session's CSRF token must come with every form it posts. */
int
hub_page_csrf_refused(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct hub_form *form)
{
	if (hub_session_csrf_ok(s, hub_form_get(form, "csrf")))
		return 0;
	hub_log(HUB_LOG_WARN, "csrf_refused", "path", req->path, NULL);
	hub_page_error(app, req, 403, "This form has expired or was not sent from the hub's"
	    " own page. Go back, reload the page and try again.");
	return -1;
}

/* Valid UTF-8, at most HUB_PAGE_REASON_MAX_CHARS characters, no control
 * characters but tab and line breaks. */
const char *
hub_page_reason_problem(const char *s)
{
	size_t chars = 0, left = strlen(s), len;
	unsigned cp;

	for (; left > 0; s += len, left -= len) {
		if ((len = hub_utf8_seq(s, left, &cp)) == 0)
			return "The reason is not valid UTF-8 text.";
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    (cp >= 0x7f && cp <= 0x9f))
			return "The reason contains characters that are not allowed.";
		if (++chars > HUB_PAGE_REASON_MAX_CHARS)
			return "The reason is too long: at most 2000 characters.";
	}
	return NULL;
}
