/*
 * pagedecide.c - the decision page behind emailed links (/decide/<token>).
 * See pagedecide.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "web/pagedecide.h"
#include "approval/decidelink.h"
#include "approval/engine.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "web/origin.h"
#include "web/page.h"

/* ------------------------------------------------------------ /decide/<token> */

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
		hub_page_error(app, req, 410, "This decision link has expired. Ask the requester"
		    " or your approval hub administrator to send you a new one.");
	else
		hub_page_error(app, req, 404, "This decision link is not valid. Check that you"
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
		hub_page_error(app, req, 404, "This request no longer exists.");
	else if (rc == HUB_DECIDELINK_UNAVAILABLE)
		hub_app_error(app, req, 503, "the database is unavailable, try again shortly", NULL);
	else {
		hub_log(HUB_LOG_ERROR, "decide_view_failed", "error", hub_decidelink_strerror(rc),
		    NULL);
		hub_app_error(app, req, 500, "the request could not be loaded", NULL);
	}
	return NULL;
}

static int
decide_render(struct hub_app_ctx *app, struct hub_req *req, const struct decide_link *l,
    json_object *view, const struct decide_msgs *m)
{
	struct hub_buf action = HUB_BUF_INIT(512);
	char request_url[sizeof("/requests/") + HUB_DECIDELINK_RID_LEN];
	json_object *t;
	int rc;

	if (hub_buf_printf(&action, "/decide/%s", l->token) != HUB_BUF_OK) {
		hub_buf_release(&action);
		return 500;
	}
	/* The request's own page (sign-in needed), in the same look. */
	snprintf(request_url, sizeof(request_url), "/requests/%s", l->request_id);
	hub_json_set_str(view, "request_url", request_url);
	if (!json_object_object_get_ex(view, "title", &t) ||
	    json_object_get_string_len(t) == 0)
		json_object_object_add(view, "title", json_object_new_string("Approval request"));
	hub_json_set_str(view, "action", hub_buf_str(&action));
	hub_json_set_str(view, "notice", m->notice);
	hub_json_set_str(view, "decision_error", m->decision_error);
	hub_json_set_str(view, "reason_error", m->reason_error);
	hub_json_set_str(view, "reason", m->reason);
	if (m->hide_form)
		json_object_object_add(view, "can_decide", json_object_new_boolean(0));
	rc = hub_page_send(app, req, m->status, "decide.html", view);
	hub_buf_release(&action);
	return rc;
}

int
hub_pagedecide_show(struct hub_req *req, void *arg)
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

/* The posted decision (*approve) and reason (*reason, "" when none), or
 * -1 with what is wrong with the form in m. */
static int
read_decision(struct hub_req *req, struct hub_form *form, struct decide_msgs *m,
    int *approve, const char **reason)
{
	const char *decision;

	if (hub_form_parse(req->body, req->body_len, DECIDE_FORM_PAIRS, form) != HUB_FORM_OK) {
		m->notice = "The form could not be read; please try again.";
		return -1;
	}
	decision = hub_form_get(form, "decision");
	*reason = hub_form_get(form, "reason");
	if (*reason == NULL)
		*reason = "";
	m->reason = *reason;
	if ((m->reason_error = hub_page_reason_problem(*reason)) != NULL) {
		m->reason = NULL;   /* never echo what was refused as text */
		return -1;
	}
	if (decision == NULL ||
	    (strcmp(decision, "approve") != 0 && strcmp(decision, "reject") != 0)) {
		m->decision_error = "Choose Approve or Reject.";
		return -1;
	}
	*approve = strcmp(decision, "approve") == 0;
	return 0;
}

/* The token names the assignment; its approver is the actor. */
static void
link_actor(json_object *view, struct hub_actor *actor)
{
	json_object *v;

	memset(actor, 0, sizeof(*actor));
	actor->kind = json_object_object_get_ex(view, "approver_kind", &v) ?
	    json_object_get_string(v) : "";
	actor->id = json_object_object_get_ex(view, "approver_value", &v) ?
	    json_object_get_string(v) : "";
	actor->display = actor->id;
	actor->via = "web";
}

/* Recorded: 303 back to the link's page, which shows the outcome. */
static int
decided(struct hub_app_ctx *app, struct hub_req *req, const struct decide_link *l)
{
	struct hub_buf loc = HUB_BUF_INIT(1024);
	int rc = 0;

	if (hub_buf_printf(&loc, "%s/decide/%s", app->conf.public_url, l->token) !=
	    HUB_BUF_OK || hub_resp_header(req, "Location", hub_buf_str(&loc)) != 0)
		rc = 500;
	else {
		hub_resp_start(req, 303, "text/plain; charset=utf-8");
		hub_resp_puts(req, "Decision recorded.\n");
	}
	hub_buf_release(&loc);
	return rc;
}

/* The engine's answer erc to the posted decision: recorded (303), or
 * the page again with the refusal (m) and the state it is about. */
static int
decide_answer(struct hub_app_ctx *app, struct hub_req *req, const struct decide_link *l,
    int erc, const struct hub_engine_error *err, struct decide_msgs *m)
{
	json_object *view;
	int rc;

	if (erc == HUB_ENGINE_OK)
		return decided(app, req, l);
	if (erc == HUB_ENGINE_UNAVAILABLE)
		return 503;
	if (erc == HUB_ENGINE_DB || erc == HUB_ENGINE_NOTFOUND) {
		hub_log(HUB_LOG_ERROR, "decide_failed", "error", hub_engine_strerror(erc), NULL);
		return erc == HUB_ENGINE_NOTFOUND ? 404 : 500;
	}
	decide_refusal(erc, err, m);
	/* Show the state the refusal is about (who decided, and when). */
	if ((view = decide_view(app, req, l)) == NULL)
		return 0;
	rc = decide_render(app, req, l, view, m);
	json_object_put(view);
	return rc;
}

int
hub_pagedecide_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct decide_msgs m = { 400, NULL, NULL, NULL, NULL, 0 };
	struct hub_engine_error err;
	struct hub_outcome out;
	struct hub_actor actor;
	struct hub_form form = { NULL, 0 };
	struct decide_link l;
	struct hub_db *db;
	json_object *view = NULL;
	const char *reason;
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
		hub_page_error(app, req, 403, "This form was sent from another site."
		    " Open the link from your message and decide there.");
		goto out;
	}
	if ((view = decide_view(app, req, &l)) == NULL)
		goto out;
	if (read_decision(req, &form, &m, &approve, &reason) != 0) {
		rc = decide_render(app, req, &l, view, &m);
		goto out;
	}
	link_actor(view, &actor);
	if ((db = hub_app_db(app)) == NULL) {
		rc = 503;
		goto out;
	}
	erc = hub_engine_decide(db, l.request_id, l.assignment_id, &actor, approve,
	    blank(reason) ? NULL : reason, NULL, &out, &err);
	hub_log(HUB_LOG_INFO, "decide_web", "request", l.request_id,
	    "decision", approve ? "approve" : "reject", "result", hub_engine_strerror(erc),
	    NULL);
	rc = decide_answer(app, req, &l, erc, &err, &m);
out:
	json_object_put(view);
	hub_form_free(&form);
	return rc;
}

