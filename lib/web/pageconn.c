/*
 * pageconn.c - the Slack connections admin pages (see pageconn.h).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pageconn.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/connadmin.h"
#include "slack/connections.h"
#include "web/page.h"

#define FORM_PAIRS	16
#define LIST_PATH	"/admin/connections"
#define TEST_REFRESH_S	1
#define PAGE_TEXT_MAX	4096	/* any string of a connection row */

/* What a change did, shown after the 303 back to the list (?done=). */
static const struct done {
	const char	*code;
	const char	*text;      /* after the connection's name, or alone */
	int		 named;     /* 1: "“name” " + text */
} dones[] = {
	{ "added", "was added. Send a test message to see it work.", 1 },
	{ "default", "is now the default connection.", 1 },
	{ "disabled", "is disabled: nothing is sent through it until it is enabled again.",
	  1 },
	{ "enabled", "is enabled again.", 1 },
	{ "acknowledged", "is acknowledged: the banner stays away until its state changes "
	  "again.", 1 },
	{ "channel_ok", "can post to the channel: Slack says the bot is in it.", 1 },
	{ "channel_saved", "was checked with Slack and its default channel saved.", 1 },
	{ "disconnected_revoked", "The connection was disconnected: Slack revoked its token "
	  "and the hub deleted its secrets.", 0 },
	{ "disconnected_kept", "The connection was disconnected: the hub deleted its secrets, "
	  "but Slack did not revoke the token. Revoke it in the Slack app's settings "
	  "(OAuth & Permissions).", 0 },
	{ "disconnected_webhook", "The connection was disconnected: the hub deleted its "
	  "webhook URL. Remove the webhook in the Slack app's settings (Incoming Webhooks) "
	  "if it should stop working.", 0 },
};

/* A refusal or a field error, rendered on the list page. */
struct conn_view {
	int		 status;
	const char	*error;       /* page level */
	const char	*row_id;      /* the connection a row error is about */
	const char	*row_error;
	const char	*add_form;    /* "webhook" | "bot": the add form in error */
	const char	*add_error;
	const char	*add_name;
	const char	*add_channel;
};

/* A string member of o, NULL when absent, null or not a string. */
static const char *
str(json_object *o, const char *key)
{
	const char *v = NULL;

	return hub_json_get_string(o, key, PAGE_TEXT_MAX, &v) == HUB_JSON_OK ? v : NULL;
}

/* The signed-in admin as the audit log names them. */
static void
actor_of(const struct hub_session *s, struct hub_actor *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = "user";
	a->id = s->user.id;
	a->display = s->user.email;
	a->via = "web";
}

static const char *
type_label(const char *type)
{
	if (type == NULL)
		return "";
	if (strcmp(type, "INCOMING_WEBHOOK") == 0)
		return "Incoming webhook";
	if (strcmp(type, "INCOMING_WEBHOOK_LOOKUP") == 0)
		return "Incoming webhook + lookup token";
	return "Slack app (bot token)";
}

/* What the template needs beyond the overview's columns; the notice of
 * ?done= names the connection it is about. */
static void
decorate(json_object *list, const struct conn_view *v, const char *done_id,
    const char **done_name)
{
	size_t i, n = json_object_array_length(list);

	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(list, i);
		const char *id = str(c, "id");
		const char *type = str(c, "type");

		json_object_object_add(c, "type_label", json_object_new_string(type_label(type)));
		json_object_object_add(c, "is_app", json_object_new_boolean(
		    type != NULL && strcmp(type, "SLACK_APP") == 0));
		json_object_object_add(c, "has_token", json_object_new_boolean(
		    type != NULL && strcmp(type, "INCOMING_WEBHOOK") != 0));
		if (id == NULL)
			continue;
		if (v != NULL && v->row_id != NULL && strcmp(v->row_id, id) == 0)
			hub_json_set_str(c, "row_error", v->row_error);
		if (done_id != NULL && strcmp(done_id, id) == 0)
			*done_name = str(c, "name");
	}
}

/* The ?done= notice: "Connection “name” was added." */
static void
done_notice(struct hub_req *req, const char *name, struct hub_buf *out)
{
	const char *code = hub_form_get(&req->args, "done");
	size_t i;

	if (code == NULL)
		return;
	for (i = 0; i < HUB_NELEM(dones); i++) {
		if (strcmp(dones[i].code, code) != 0)
			continue;
		if (!dones[i].named)
			hub_buf_adds(out, dones[i].text);
		else if (name != NULL)
			hub_buf_printf(out, "Connection “%s” %s", name, dones[i].text);
		return;
	}
}

/* The list page: with v (a refusal) its status and messages, else 200
 * and the ?done= notice. */
static int
list_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct conn_view *v)
{
	struct hub_buf notice = HUB_BUF_INIT(1024);
	struct hub_problem p;
	json_object *ctx = NULL, *all = NULL, *list = NULL, *add;
	const char *done_name = NULL;
	int rc;

	if (hub_connadm_overview(hub_app_db(app), &all, &p) != HUB_CONNADM_OK) {
		rc = hub_page_error(app, req, 503, "The connections could not be read; try again "
		    "shortly.");
		goto out;
	}
	rc = 500;
	if ((ctx = json_object_new_object()) == NULL || (add = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(ctx, "add", add);
	json_object_object_add(ctx, "title", json_object_new_string("Slack connections"));
	hub_page_user(ctx, s);
	if (json_object_object_get_ex(all, "connections", &list))
		decorate(list, v, v == NULL ? hub_form_get(&req->args, "c") : NULL, &done_name);
	json_object_object_add(ctx, "connections", json_object_get(list));
	json_object_object_add(ctx, "oauth", json_object_new_boolean(
	    app->conf.slack_client_id != NULL && app->conf.slack_client_id[0] != '\0'));
	if (v == NULL) {
		done_notice(req, done_name, &notice);
		if (notice.len > 0)
			hub_json_set_str(ctx, "notice", hub_buf_str(&notice));
	} else {
		hub_json_set_str(ctx, "error", v->error);
		if (v->add_form != NULL) {
			json_object_object_add(add, v->add_form, json_object_new_boolean(1));
			hub_json_set_str(add, "error", v->add_error);
			hub_json_set_str(add, "name", v->add_name);
			hub_json_set_str(add, "channel", v->add_channel);
		}
	}
	rc = hub_page_send(app, req, v != NULL ? v->status : 200, "admin-connections.html", ctx);
out:
	json_object_put(ctx);
	json_object_put(all);
	hub_buf_release(&notice);
	return rc;
}

int
hub_pageconn_list(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_session s;

	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, &s) != 0)
		return 0;
	return list_page(app, req, &s, NULL);
}

/* 303 to the list with ?done=code&c=id (the anchor of its row). */
static int
back_to_list(struct hub_app_ctx *app, struct hub_req *req, const char *code, const char *id)
{
	struct hub_buf path = HUB_BUF_INIT(512);
	int rc = 500;

	if ((id != NULL ? hub_buf_printf(&path, LIST_PATH "?done=%s&c=%s#conn-%s", code, id, id) :
	    hub_buf_printf(&path, LIST_PATH "?done=%s", code)) == HUB_BUF_OK)
		rc = hub_page_redirect(app, req, 303, hub_buf_str(&path));
	hub_buf_release(&path);
	return rc;
}

/* The guard of every POST here: an admin, a same-origin form, its CSRF
 * token.  0, or answered. */
static int
admin_post(struct hub_app_ctx *app, struct hub_req *req, struct hub_session *s,
    struct hub_form *form)
{
	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, s) != 0 ||
	    hub_page_form(app, req, FORM_PAIRS, form) != 0 ||
	    hub_page_csrf_refused(app, req, s, form))
		return -1;
	return 0;
}

/* A connadmin refusal as the list page's answer about one connection. */
static int
refused(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const char *id, int crc, const struct hub_problem *p)
{
	struct conn_view v;

	memset(&v, 0, sizeof(v));
	switch (crc) {
	case HUB_CONNADM_NOTFOUND:
		return hub_page_error(app, req, 404, "There is no such Slack connection (it may "
		    "have been disconnected).");
	case HUB_CONNADM_INVALID:
	case HUB_CONNADM_EXISTS:
		v.status = crc == HUB_CONNADM_EXISTS ? 409 : 400;
		break;
	case HUB_CONNADM_UNAVAILABLE:
		v.status = 503;
		break;
	default:
		hub_log(HUB_LOG_ERROR, "connection_change_failed", "error", p->message, NULL);
		return hub_page_error(app, req, 503, "The change could not be saved; try again "
		    "shortly.");
	}
	v.row_id = id;
	v.row_error = p->message;
	v.error = p->message;
	return list_page(app, req, s, &v);
}

/* ------------------------------------------------------------ add */

/* The add forms as connadmin's create body. */
static json_object *
add_body(const struct hub_form *form, int bot)
{
	const char *token = hub_form_get(form, "token"), *url = hub_form_get(form, "webhook_url"),
	    *ch = hub_form_get(form, "channel"), *def = hub_form_get(form, "default");
	json_object *in = json_object_new_object();
	int has_token = token != NULL && token[0] != '\0';

	if (in == NULL)
		return NULL;
	hub_json_set_str(in, "name", hub_form_get(form, "name"));
	hub_json_set_str(in, "type", bot ? "SLACK_APP" : has_token ? "INCOMING_WEBHOOK_LOOKUP" :
	    "INCOMING_WEBHOOK");
	if (bot || has_token)
		hub_json_set_str(in, "token", token != NULL ? token : "");
	if (!bot)
		hub_json_set_str(in, "webhook_url", url != NULL ? url : "");
	if (bot && ch != NULL && ch[0] != '\0')
		hub_json_set_str(in, "default_channel", ch);
	if (def != NULL && strcmp(def, "1") == 0)
		json_object_object_add(in, "default", json_object_new_boolean(1));
	return in;
}

int
hub_pageconn_add(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_problem p;
	struct hub_session s;
	struct hub_actor a;
	struct conn_view v;
	json_object *in = NULL, *out = NULL;
	const char *kind;
	int rc = 0, crc, bot;

	if (admin_post(app, req, &s, &form) != 0)
		goto out;
	kind = hub_form_get(&form, "kind");
	if (kind == NULL || (strcmp(kind, "bot") != 0 && strcmp(kind, "webhook") != 0)) {
		rc = hub_page_error(app, req, 400, "The form could not be read; please try again.");
		goto out;
	}
	bot = strcmp(kind, "bot") == 0;
	if ((in = add_body(&form, bot)) == NULL) {
		rc = 500;
		goto out;
	}
	actor_of(&s, &a);
	crc = hub_connadm_create(hub_app_db(app), &app->conf, app->http, in, &a, &out, &p);
	if (crc == HUB_CONNADM_OK) {
		rc = back_to_list(app, req, "added", str(out, "id"));
		goto out;
	}
	if (crc != HUB_CONNADM_INVALID && crc != HUB_CONNADM_EXISTS &&
	    crc != HUB_CONNADM_UNAVAILABLE) {
		rc = refused(app, req, &s, NULL, crc, &p);
		goto out;
	}
	/* The secrets typed in are never sent back; the name and channel are. */
	memset(&v, 0, sizeof(v));
	v.status = crc == HUB_CONNADM_EXISTS ? 409 : crc == HUB_CONNADM_UNAVAILABLE ? 503 : 400;
	v.add_form = bot ? "bot" : "webhook";
	v.add_error = p.message;
	v.add_name = hub_form_get(&form, "name");
	v.add_channel = hub_form_get(&form, "channel");
	rc = list_page(app, req, &s, &v);
out:
	json_object_put(in);
	json_object_put(out);
	hub_form_free(&form);
	return rc;
}

/* ------------------------------------------------------------ changes */

/* A PATCH of connadmin built from one field; 303 with done on success. */
static int
patch(struct hub_req *req, struct hub_app_ctx *app, json_object *in, const char *done)
{
	struct hub_form form = { NULL, 0 };
	struct hub_problem p;
	struct hub_session s;
	struct hub_actor a;
	json_object *out = NULL;
	const char *id = req->captures[0], *reason, *next;
	int rc = 0, crc;

	if (admin_post(app, req, &s, &form) != 0)
		goto out;
	reason = hub_form_get(&form, "reason");
	if (json_object_object_get_ex(in, "disabled", NULL) &&
	    json_object_get_boolean(json_object_object_get(in, "disabled")) &&
	    reason != NULL && reason[0] != '\0')
		hub_json_set_str(in, "reason", reason);
	actor_of(&s, &a);
	crc = hub_connadm_patch(hub_app_db(app), &app->conf, app->http, id, in, &a, &out, &p);
	if (crc != HUB_CONNADM_OK) {
		rc = refused(app, req, &s, id, crc, &p);
		goto out;
	}
	/* From the banner: back to the page it was on. */
	next = hub_form_get(&form, "next");
	if (strcmp(done, "acknowledged") == 0 && next != NULL &&
	    strcmp(hub_session_next_path(next), LIST_PATH) != 0)
		rc = hub_page_redirect(app, req, 303, hub_session_next_path(next));
	else
		rc = back_to_list(app, req, done, id);
out:
	json_object_put(out);
	hub_form_free(&form);
	return rc;
}

/* One {key: bool} body for patch(). */
static int
patch_bool(struct hub_req *req, void *arg, const char *key, int value, const char *done)
{
	json_object *in = json_object_new_object();
	int rc;

	if (in == NULL)
		return 500;
	json_object_object_add(in, key, json_object_new_boolean(value));
	rc = patch(req, arg, in, done);
	json_object_put(in);
	return rc;
}

int
hub_pageconn_default(struct hub_req *req, void *app)
{
	return patch_bool(req, app, "default", 1, "default");
}

int
hub_pageconn_disable(struct hub_req *req, void *app)
{
	return patch_bool(req, app, "disabled", 1, "disabled");
}

int
hub_pageconn_enable(struct hub_req *req, void *app)
{
	return patch_bool(req, app, "disabled", 0, "enabled");
}

int
hub_pageconn_acknowledge(struct hub_req *req, void *app)
{
	return patch_bool(req, app, "acknowledge", 1, "acknowledged");
}

/* ------------------------------------------------------------ channel */

int
hub_pageconn_channel(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_problem p;
	struct hub_session s;
	struct hub_actor a;
	json_object *in = NULL, *out = NULL;
	const char *id = req->captures[0], *action, *channel;
	int rc = 0, crc, save;

	if (admin_post(app, req, &s, &form) != 0)
		goto out;
	action = hub_form_get(&form, "action");
	channel = hub_form_get(&form, "channel");
	save = action != NULL && strcmp(action, "save") == 0;
	if (save) {
		if ((in = json_object_new_object()) == NULL) {
			rc = 500;
			goto out;
		}
		json_object_object_add(in, "default_channel", channel != NULL && channel[0] ?
		    json_object_new_string(channel) : NULL);
		actor_of(&s, &a);
		crc = hub_connadm_patch(hub_app_db(app), &app->conf, app->http, id, in, &a, &out,
		    &p);
	} else
		crc = hub_connadm_channel_check(hub_app_db(app), &app->conf, app->http, id,
		    channel, &out, &p);
	if (crc != HUB_CONNADM_OK)
		rc = refused(app, req, &s, id, crc, &p);
	else
		rc = back_to_list(app, req, save ? "channel_saved" : "channel_ok", id);
out:
	json_object_put(in);
	json_object_put(out);
	hub_form_free(&form);
	return rc;
}

/* ------------------------------------------------------------ test */

int
hub_pageconn_test(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_buf path = HUB_BUF_INIT(256);
	struct hub_problem p;
	struct hub_session s;
	struct hub_actor a;
	json_object *in = NULL, *out = NULL;
	const char *id = req->captures[0], *channel;
	int rc = 0, crc;

	if (admin_post(app, req, &s, &form) != 0)
		goto out;
	if ((in = json_object_new_object()) == NULL) {
		rc = 500;
		goto out;
	}
	channel = hub_form_get(&form, "channel");
	if (channel != NULL && channel[0] != '\0')
		hub_json_set_str(in, "channel", channel);
	actor_of(&s, &a);
	crc = hub_connadm_test_start(hub_app_db(app), id, in, &a, &out, &p);
	if (crc != HUB_CONNADM_OK) {
		rc = refused(app, req, &s, id, crc, &p);
		goto out;
	}
	rc = 500;
	if (hub_buf_printf(&path, LIST_PATH "/%s/test/%lld", id, (long long)json_object_get_int64(
	    json_object_object_get(out, "job"))) == HUB_BUF_OK)
		rc = hub_page_redirect(app, req, 303, hub_buf_str(&path));
out:
	json_object_put(in);
	json_object_put(out);
	hub_buf_release(&path);
	hub_form_free(&form);
	return rc;
}

/* The test's status as the page shows it: pending, delivered or failed. */
static void
test_state(json_object *ctx, json_object *test)
{
	const char *st = str(test, "status");

	if (st != NULL && strcmp(st, "delivered") == 0)
		json_object_object_add(ctx, "delivered", json_object_new_boolean(1));
	else if (st != NULL && strcmp(st, "failed") == 0)
		json_object_object_add(ctx, "failed", json_object_new_boolean(1));
	else
		json_object_object_add(ctx, "pending", json_object_new_boolean(1));
}

int
hub_pageconn_test_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_buf self = HUB_BUF_INIT(256), refresh = HUB_BUF_INIT(300);
	struct hub_problem p;
	struct hub_session s;
	json_object *ctx = NULL, *conn = NULL, *test = NULL;
	const char *id = req->captures[0];
	int rc = 0, crc;

	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, &s) != 0)
		goto out;
	if ((crc = hub_connadm_get(hub_app_db(app), id, &conn, &p)) != HUB_CONNADM_OK ||
	    (crc = hub_connadm_test_get(hub_app_db(app), id, req->captures[1], &test, &p)) !=
	    HUB_CONNADM_OK) {
		rc = crc == HUB_CONNADM_NOTFOUND ? hub_page_error(app, req, 404, "There is no such "
		    "connection test.") : hub_page_error(app, req, 503, "The test could not be "
		    "read; try again shortly.");
		goto out;
	}
	rc = 500;
	if ((ctx = json_object_new_object()) == NULL ||
	    hub_buf_printf(&self, LIST_PATH "/%s/test/%s", id, req->captures[1]) != HUB_BUF_OK)
		goto out;
	json_object_object_add(ctx, "title", json_object_new_string("Connection test"));
	hub_page_user(ctx, &s);
	json_object_object_add(ctx, "connection", json_object_get(conn));
	json_object_object_add(ctx, "test", json_object_get(test));
	test_state(ctx, test);
	hub_json_set_str(ctx, "self", hub_buf_str(&self));
	if (json_object_object_get_ex(ctx, "pending", NULL) &&
	    hub_buf_printf(&refresh, "%d; url=%s", TEST_REFRESH_S, hub_buf_str(&self)) ==
	    HUB_BUF_OK)
		hub_json_set_str(ctx, "refresh", hub_buf_str(&refresh));
	rc = hub_page_send(app, req, 200, "admin-conntest.html", ctx);
out:
	json_object_put(ctx);
	json_object_put(conn);
	json_object_put(test);
	hub_buf_release(&self);
	hub_buf_release(&refresh);
	return rc;
}

/* ------------------------------------------------------------ disconnect */

int
hub_pageconn_disconnect(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_problem p;
	struct hub_session s;
	struct hub_actor a;
	json_object *out = NULL;
	const char *id = req->captures[0], *force, *answer;
	int rc = 0, crc;

	if (admin_post(app, req, &s, &form) != 0)
		goto out;
	force = hub_form_get(&form, "force");
	actor_of(&s, &a);
	crc = hub_connadm_disconnect(hub_app_db(app), &app->conf, app->http, id,
	    force != NULL && strcmp(force, "1") == 0, &a, &out, &p);
	if (crc != HUB_CONNADM_OK) {
		rc = refused(app, req, &s, id, crc, &p);
		goto out;
	}
	answer = str(out, "slack_answer");
	rc = back_to_list(app, req, answer == NULL ? "disconnected_webhook" :
	    json_object_get_boolean(json_object_object_get(out, "revoked")) ?
	    "disconnected_revoked" : "disconnected_kept", NULL);
out:
	json_object_put(out);
	hub_form_free(&form);
	return rc;
}
