/*
 * pagerequest.c - a request's own page and its actions.  See
 * pagerequest.h.  The data comes from approval/reqview and
 * notify/reqhistory; every change goes through approval/engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pagerequest.h"
#include "approval/engine.h"
#include "approval/intake.h"
#include "approval/reqview.h"
#include "base/json.h"
#include "base/log.h"
#include "notify/reqhistory.h"
#include "web/page.h"

#define ACTION_FORM_PAIRS	8
#define DONE_URL_MAX		(sizeof("/requests/?done=") + HUB_ID_LEN + 16)

/* What a POST adds to the page: its status and the inline messages. */
struct page_msgs {
	int		 status;
	const char	*notice;
	const char	*done;
	const char	*decision_error;
	const char	*reason_error;
	const char	*reason;
	const char	*cancel_reason;
	const char	*reassign_error;
	const char	*reassign_to;
};

/* One request on its page, for one signed-in person. */
struct rq {
	struct hub_app_ctx	*app;
	struct hub_req		*req;
	struct hub_session	 s;
	struct hub_reqview	 rv;
	const char		*id;
};

/* ?done=<key> after an action: fixed sentences, nothing of the URL shown. */
static const struct {
	const char *key, *text;
} done_texts[] = {
	{ "approved", "Your approval is recorded. Every Slack copy, the requester and the"
	    " source are being told." },
	{ "rejected", "Your rejection is recorded. Every Slack copy, the requester and the"
	    " source are being told." },
	{ "cancelled", "The request is cancelled. The approvers, the requester and the source"
	    " are being told." },
	{ "reminded", "The pending approvers are being reminded." },
	{ "reassigned", "The approver was replaced; both are being told." },
};

static void
rq_init(struct rq *q, struct hub_req *req, void *app)
{
	memset(q, 0, sizeof(*q));
	q->app = app;
	q->req = req;
	q->id = "";
}

static int
db_trouble(struct rq *q, int dbrc)
{
	if (dbrc == HUB_DB_CONN)
		return hub_app_error(q->app, q->req, 503,
		    "the database is unavailable, try again shortly", NULL);
	hub_log(HUB_LOG_ERROR, "request_page_failed", "error", hub_db_strerror(dbrc), NULL);
	return hub_app_error(q->app, q->req, 500, "the request could not be loaded", NULL);
}

static int
not_found(struct rq *q)
{
	return hub_page_error(q->app, q->req, 404, "There is no such request, or your account"
	    " may not see it.");
}

/* Load the request for the signed-in user: 0, or answered (404, 503...).
 * A request the user may not see is 404, as if it did not exist. */
static int
rq_load(struct rq *q)
{
	struct hub_db *db = hub_app_db(q->app);
	int rc, dbrc = HUB_DB_CONN;

	q->id = q->req->ncaptures >= 1 ? q->req->captures[0] : "";
	if (db == NULL) {
		db_trouble(q, dbrc);
		return -1;
	}
	rc = hub_reqview_load(db, q->id, q->s.user.id, &q->rv, &dbrc);
	if (rc == HUB_REQVIEW_NOTFOUND) {
		not_found(q);
		return -1;
	}
	if (rc != HUB_REQVIEW_OK) {
		db_trouble(q, rc == HUB_REQVIEW_DB ? dbrc : HUB_DB_QUERY);
		return -1;
	}
	if (!hub_access_can(&q->s.user, HUB_ACCESS_REQUEST_VIEW, &q->rv.access)) {
		hub_log(HUB_LOG_INFO, "request_hidden", "user", q->s.user.id, "request", q->id, NULL);
		hub_reqview_free(&q->rv);
		not_found(q);
		return -1;
	}
	return 0;
}

/* What the signed-in user may do here: can {decide, cancel, remind,
 * reassign, any}.  Nothing on a request that is no longer pending. */
static int
add_can(struct rq *q, json_object *ctx)
{
	const struct hub_access_user *u = &q->s.user;
	const struct hub_access_request *a = &q->rv.access;
	json_object *can = json_object_new_object(), *list;
	int pending = q->rv.pending, cancel, reassign, decide;

	cancel = pending && hub_access_can(u, HUB_ACCESS_REQUEST_CANCEL, a);
	reassign = pending && hub_access_can(u, HUB_ACCESS_REQUEST_REASSIGN, a) &&
	    json_object_object_get_ex(ctx, "reassignable", &list) &&
	    json_object_array_length(list) > 0;
	decide = q->rv.can_decide && hub_access_can(u, HUB_ACCESS_REQUEST_DECIDE, a);
	if (hub_json_set(ctx, "can", can) != 0 ||
	    hub_json_set(can, "decide", json_object_new_boolean(decide)) != 0 ||
	    hub_json_set(can, "cancel", json_object_new_boolean(cancel)) != 0 ||
	    hub_json_set(can, "remind", json_object_new_boolean(cancel)) != 0 ||
	    hub_json_set(can, "reassign", json_object_new_boolean(reassign)) != 0 ||
	    hub_json_set(can, "any", json_object_new_boolean(cancel || reassign)) != 0)
		return -1;
	return 0;
}

static int
add_msgs(struct rq *q, json_object *ctx, const struct page_msgs *m)
{
	char action[sizeof("/requests//decide") + HUB_ID_LEN];

	snprintf(action, sizeof(action), "/requests/%s/decide", q->id);
	if (hub_json_set_str(ctx, "action", action) != 0 ||
	    hub_json_set_str(ctx, "approver_value", q->s.user.name[0] != '\0' ?
	    q->s.user.name : q->s.user.email) != 0 ||
	    hub_json_set_str(ctx, "notice", m->notice) != 0 ||
	    hub_json_set_str(ctx, "done", m->done) != 0 ||
	    hub_json_set_str(ctx, "decision_error", m->decision_error) != 0 ||
	    hub_json_set_str(ctx, "reason_error", m->reason_error) != 0 ||
	    hub_json_set_str(ctx, "reason", m->reason) != 0 ||
	    hub_json_set_str(ctx, "cancel_reason", m->cancel_reason) != 0 ||
	    hub_json_set_str(ctx, "reassign_error", m->reassign_error) != 0 ||
	    hub_json_set_str(ctx, "reassign_to", m->reassign_to) != 0)
		return -1;
	return 0;
}

/* The page for the loaded request, with m's status and messages. */
static int
rq_render(struct rq *q, const struct page_msgs *m)
{
	json_object *ctx = q->rv.view, *hist = NULL, *v;
	int rc, dbrc;
	size_t i;
	static const char *const keys[] = { "messages", "emails", "callbacks" };

	rc = hub_reqhistory_load(hub_app_db(q->app), q->id, &hist, &dbrc);
	if (rc != HUB_REQHISTORY_OK)
		return db_trouble(q, rc == HUB_REQHISTORY_DB ? dbrc : HUB_DB_QUERY);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(hist, keys[i], &v) &&
		    hub_json_set(ctx, keys[i], json_object_get(v)) != 0)
			goto nomem;
	if (add_can(q, ctx) != 0 || add_msgs(q, ctx, m) != 0)
		goto nomem;
	hub_page_user(ctx, &q->s);
	json_object_put(hist);
	return hub_page_send(q->app, q->req, m->status, "request.html", ctx);
nomem:
	json_object_put(hist);
	return hub_app_error(q->app, q->req, 500, "out of memory", NULL);
}

int
hub_pagerequest_show(struct hub_req *req, void *arg)
{
	struct rq q;
	struct page_msgs m = { 200, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	const char *done = hub_form_get(&req->args, "done");
	size_t i;
	int rc;

	rq_init(&q, req, arg);
	if (hub_page_need(q.app, req, HUB_ACCESS_SIGNED_IN, &q.s) != 0 || rq_load(&q) != 0)
		return 0;
	for (i = 0; done != NULL && i < sizeof(done_texts) / sizeof(done_texts[0]); i++)
		if (strcmp(done, done_texts[i].key) == 0)
			m.done = done_texts[i].text;
	rc = rq_render(&q, &m);
	hub_reqview_free(&q.rv);
	return rc;
}

/* ------------------------------------------------------------ actions */

static void
actor_of(const struct rq *q, struct hub_actor *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = "user";
	a->id = q->s.user.id;
	a->display = q->s.user.name[0] != '\0' ? q->s.user.name : q->s.user.email;
	a->via = "web";
}

/*
 * An engine refusal as the page's status and message; 0, or -1 when the
 * answer is not a page (database trouble: answered here).
 */
static int
refusal(struct rq *q, int erc, const struct hub_engine_error *err, struct page_msgs *m)
{
	switch (erc) {
	case HUB_ENGINE_ALREADY_DECIDED:
	case HUB_ENGINE_CLOSED:
	case HUB_ENGINE_CONFLICT:
		m->status = 409;
		m->notice = "Nothing was changed: this request was already decided or closed.";
		return 0;
	case HUB_ENGINE_SELF_APPROVAL:
		m->status = 403;
		m->notice = "You cannot decide your own request.";
		return 0;
	case HUB_ENGINE_NOT_APPROVER:
		m->status = 409;
		m->notice = "Nothing was changed: that approver has nothing pending in the"
		    " active step (any more).";
		return 0;
	case HUB_ENGINE_REASON_REQUIRED:
		m->status = 400;
		m->reason_error = "A reason is required to reject this request.";
		return 0;
	case HUB_ENGINE_INVALID:
		m->status = 400;
		m->notice = err != NULL && err->message[0] != '\0' ? err->message :
		    "The change was refused.";
		return 0;
	case HUB_ENGINE_NOTFOUND:
		not_found(q);
		return -1;
	default:
		db_trouble(q, erc == HUB_ENGINE_UNAVAILABLE ? HUB_DB_CONN : HUB_DB_QUERY);
		return -1;
	}
}

static int
blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

/*
 * Each action: 0 done (*done names it), 1 refused (m says why: the page
 * is shown again), -1 answered already.
 */
typedef int (*action_fn)(struct rq *, const struct hub_form *, struct page_msgs *,
    const char **done);

static int
do_decide(struct rq *q, const struct hub_form *f, struct page_msgs *m, const char **done)
{
	const char *decision = hub_form_get(f, "decision"), *reason = hub_form_get(f, "reason");
	struct hub_engine_error err;
	struct hub_outcome out;
	struct hub_actor actor;
	int approve, erc;

	m->reason = reason = reason != NULL ? reason : "";
	if ((m->reason_error = hub_page_reason_problem(reason)) != NULL) {
		m->reason = NULL;   /* never echo what was refused as text */
		return 1;
	}
	if (decision == NULL ||
	    (strcmp(decision, "approve") != 0 && strcmp(decision, "reject") != 0)) {
		m->decision_error = "Choose Approve or Reject.";
		return 1;
	}
	approve = strcmp(decision, "approve") == 0;
	actor_of(q, &actor);
	memset(&err, 0, sizeof(err));
	erc = hub_engine_decide(hub_app_db(q->app), q->id, 0, &actor, approve,
	    blank(reason) ? NULL : reason, NULL, &out, &err);
	hub_log(HUB_LOG_INFO, "decide_page", "request", q->id, "user", q->s.user.id,
	    "decision", decision, "result", hub_engine_strerror(erc), NULL);
	if (erc == HUB_ENGINE_OK) {
		*done = approve ? "approved" : "rejected";
		return 0;
	}
	if (erc == HUB_ENGINE_NOT_APPROVER) {
		m->status = 409;
		m->notice = "Nothing was changed: you have no pending decision in the active step"
		    " of this request.";
		return 1;
	}
	return refusal(q, erc, &err, m) == 0 ? 1 : -1;
}

static int
do_cancel(struct rq *q, const struct hub_form *f, struct page_msgs *m, const char **done)
{
	const char *reason = hub_form_get(f, "reason");
	struct hub_outcome out;
	struct hub_actor actor;
	int erc;

	m->cancel_reason = reason = reason != NULL ? reason : "";
	if ((m->notice = hub_page_reason_problem(reason)) != NULL) {
		m->cancel_reason = NULL;
		return 1;
	}
	actor_of(q, &actor);
	memset(&out, 0, sizeof(out));
	erc = hub_engine_cancel(hub_app_db(q->app), q->id, &actor, blank(reason) ? NULL : reason,
	    &out);
	hub_log(HUB_LOG_INFO, "cancel_page", "request", q->id, "user", q->s.user.id,
	    "result", hub_engine_strerror(erc), NULL);
	if (erc == HUB_ENGINE_OK) {
		*done = "cancelled";
		return 0;
	}
	return refusal(q, erc, NULL, m) == 0 ? 1 : -1;
}

static int
do_remind(struct rq *q, const struct hub_form *f, struct page_msgs *m, const char **done)
{
	struct hub_actor actor;
	int erc, n = 0;

	(void)f;
	actor_of(q, &actor);
	erc = hub_engine_remind(hub_app_db(q->app), q->id, &actor, &n);
	hub_log(HUB_LOG_INFO, "remind_page", "request", q->id, "user", q->s.user.id,
	    "result", hub_engine_strerror(erc), NULL);
	if (erc == HUB_ENGINE_OK) {
		*done = "reminded";
		return 0;
	}
	return refusal(q, erc, NULL, m) == 0 ? 1 : -1;
}

/* to: a Slack user id or an email, checked as the API's reassign checks
 * it (hub_intake_party); 0 with kind/value in party, else m says why. */
static int
reassign_to(const char *to, json_object **party, struct page_msgs *m)
{
	struct hub_intake_error ie;
	json_object *v = to != NULL && !blank(to) ? json_object_new_string(to) : NULL;
	int rc = hub_intake_party(v, "to", party, &ie);

	json_object_put(v);
	if (rc == HUB_INTAKE_OK)
		return 0;
	m->status = 400;
	m->reassign_error = blank(to) ? "Enter the new approver's Slack user id or email." :
	    "Enter a Slack user id (U…) or an email address.";
	return -1;
}

static int
do_reassign(struct rq *q, const struct hub_form *f, struct page_msgs *m, const char **done)
{
	const char *from = hub_form_get(f, "from"), *to = hub_form_get(f, "to");
	const char *fk, *fv, *tk, *tv;
	struct hub_engine_error err;
	struct hub_actor actor;
	json_object *party = NULL;
	char *end = NULL;
	long long aid = from != NULL ? strtoll(from, &end, 10) : 0;
	int erc, rc = 1;

	m->reassign_to = to;
	if (from == NULL || end == from || *end != '\0' ||
	    hub_reqview_reassignable(&q->rv, aid, &fk, &fv) != 0) {
		m->status = 409;
		m->notice = "Nothing was changed: that approver has nothing pending in the active"
		    " step (any more).";
		return 1;
	}
	if (reassign_to(to, &party, m) != 0)
		return 1;
	tk = json_object_get_string(json_object_object_get(party, "kind"));
	tv = json_object_get_string(json_object_object_get(party, "value"));
	actor_of(q, &actor);
	memset(&err, 0, sizeof(err));
	erc = hub_engine_reassign(hub_app_db(q->app), q->id, fk, fv, tk, tv, &actor, &err);
	hub_log(HUB_LOG_INFO, "reassign_page", "request", q->id, "user", q->s.user.id,
	    "result", hub_engine_strerror(erc), NULL);
	if (erc == HUB_ENGINE_OK) {
		*done = "reassigned";
		rc = 0;
	} else if (erc == HUB_ENGINE_INVALID && strcmp(err.field, "to") == 0) {
		m->status = 400;
		m->reassign_error = "That person is already an approver of this step.";
	} else if (refusal(q, erc, &err, m) != 0)
		rc = -1;
	json_object_put(party);
	return rc;
}

/* After a refusal: the page as it is now, with the message. */
static int
rq_again(struct rq *q, struct page_msgs *m)
{
	hub_reqview_free(&q->rv);
	if (rq_load(q) != 0)
		return 0;
	return rq_render(q, m);
}

/*
 * Every action: a session, a form from this hub with the session's CSRF
 * token, a request the user may see (404), a role that may act on it
 * (403), then the action.
 */
static int
act(struct hub_req *req, void *arg, enum hub_access_action need, action_fn fn)
{
	struct rq q;
	struct page_msgs m = { 400, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	struct hub_form form = { NULL, 0 };
	char url[DONE_URL_MAX];
	const char *done = NULL;
	int rc = 0, r;

	rq_init(&q, req, arg);
	if (hub_page_need(q.app, req, HUB_ACCESS_SIGNED_IN, &q.s) != 0 ||
	    hub_page_form(q.app, req, ACTION_FORM_PAIRS, &form) != 0 ||
	    hub_page_csrf_refused(q.app, req, &q.s, &form) != 0 || rq_load(&q) != 0)
		goto out;
	if (!hub_access_can(&q.s.user, need, &q.rv.access)) {
		hub_log(HUB_LOG_WARN, "access_refused", "user", q.s.user.id, "path", req->path,
		    NULL);
		rc = hub_page_error(q.app, req, 403, "Your account may not do this on this"
		    " request.");
		goto out;
	}
	if ((r = fn(&q, &form, &m, &done)) == 0) {
		snprintf(url, sizeof(url), "/requests/%s?done=%s", q.id, done);
		rc = hub_page_redirect(q.app, req, 303, url);
	} else if (r > 0)
		rc = rq_again(&q, &m);
out:
	hub_reqview_free(&q.rv);
	hub_form_free(&form);
	return rc;
}

int
hub_pagerequest_decide(struct hub_req *req, void *arg)
{
	return act(req, arg, HUB_ACCESS_REQUEST_DECIDE, do_decide);
}

int
hub_pagerequest_cancel(struct hub_req *req, void *arg)
{
	return act(req, arg, HUB_ACCESS_REQUEST_CANCEL, do_cancel);
}

int
hub_pagerequest_remind(struct hub_req *req, void *arg)
{
	return act(req, arg, HUB_ACCESS_REQUEST_CANCEL, do_remind);
}

int
hub_pagerequest_reassign(struct hub_req *req, void *arg)
{
	return act(req, arg, HUB_ACCESS_REQUEST_REASSIGN, do_reassign);
}
