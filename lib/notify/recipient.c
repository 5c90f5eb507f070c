/*
 * recipient.c - per-person delivery of the notify job (recipient.h): a
 * person's Slack id, their own message (a DM, or a channel or webhook post
 * naming them), and what happens when Slack cannot reach them (email,
 * skip, or a record for the admin).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/log.h"
#include "slack/connections.h"
#include "slack/slackapi.h"
#include "notify/notifyjob.h"
#include "notify/msgctx.h"
#include "notify/outbox.h"
#include "notify/slackpost.h"
#include "notify/mailout.h"
#include "notify/recipient.h"

enum recipient_stmt {
	DL_USER_EMAIL,
	DL_SET_SLACK_ID,
	RECIPIENT__MAX
};

static const struct hub_stmt recipient_stmts[RECIPIENT__MAX] = {
	[DL_USER_EMAIL] = {
	    "SELECT email FROM users WHERE slack_user_id = $1 AND email IS NOT NULL"
	    " AND NOT disabled LIMIT 1", 1 },
	/* The engine lets a Slack user decide for an email approver through
	 * the id the lookup found. */
	[DL_SET_SLACK_ID] = {
	    "UPDATE assignments SET slack_user_id = $2"
	    " WHERE id = $1::bigint AND slack_user_id IS DISTINCT FROM $2", 2 },
};

static const struct hub_stmt_table recipient_table = { "recipient", recipient_stmts,
    RECIPIENT__MAX };

static int
dq(struct hub_notify *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &recipient_table, stmt, p, res);
}

/* An email for a Slack-id person, from the hub's users. */
static const char *
person_email(struct hub_notify *d, struct hub_person *p)
{
	const char *params[1];
	PGresult *res = NULL;

	if (p->email[0] != '\0' || strcmp(p->kind, "slack") != 0)
		return p->email[0] ? p->email : NULL;
	params[0] = p->value;
	if (dq(d, DL_USER_EMAIL, params, &res) == HUB_DB_OK && PQntuples(res) == 1)
		hub_notifyjob_copy(p->email, sizeof(p->email), PQgetvalue(res, 0, 0));
	PQclear(res);
	return p->email[0] ? p->email : NULL;
}

/* The email form of a notification: a call for action to someone Slack
 * does not know is the external approver's. */
static enum hub_render_kind
email_kind(const struct hub_notify *d, const struct hub_person *p)
{
	if (d->rk == HUB_RENDER_CALL_FOR_ACTION && strcmp(p->kind, "email") == 0)
		return HUB_RENDER_EXTERNAL_APPROVER;
	return d->rk;
}

/*
 * Slack cannot reach p: why is HUB_UO_NOUSER (not in the workspace), HUB_UO_AUTH
 * (the connection is dead or disabled) or HUB_UO_NOCONN (no connection at
 * all).  Without a connection the failed Slack delivery is always on
 * record with the fix, whatever the setting: it is the admin's to mend.
 */
void
hub_recipient_fallback(struct hub_notify *d, struct hub_person *p, enum hub_uo why)
{
	char key[DL_KEY_MAX + 1], detail[DL_FIX_MAX];
	const char *email;

	if (why == HUB_UO_NOUSER && p->from_lookup && d->have_conn)
		hub_slack_cache_drop(d->env->db, &d->conn, p->email);
	email = person_email(d, p);
	if (why == HUB_UO_NOCONN) {
		snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:noconn", d->req, p->tag, d->kind,
		    d->gen);
		snprintf(detail, sizeof(detail), "No Slack connection for this request "
		    "(step, request, source or default); %s. %s", strcmp(d->notfound, "EMAIL") != 0 ?
		    "not notified (delivery.user_not_found)" : email != NULL ? "falling back to email" :
		    "no email address to fall back to", hub_slack_fix("no_connection"));
		hub_outbox_log(d, key, d->kind, "slack", p->value, p->asg, "no_connection",
		    detail);
		if (strcmp(d->notfound, "EMAIL") != 0 || email == NULL)
			return;
		(void)hub_mailout_send(d, p, email_kind(d, p));
		return;
	}
	snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:fallback", d->req, p->tag, d->kind,
	    d->gen);
	if (why == HUB_UO_NOUSER && strcmp(d->notfound, "SKIP") == 0) {
		hub_log(HUB_LOG_INFO, "delivery_skipped", "request", d->req, "recipient",
		    p->tag, "why", "users_not_found", NULL);
		return;
	}
	if (why == HUB_UO_NOUSER && strcmp(d->notfound, "LOG_ONLY") == 0) {
		snprintf(detail, sizeof(detail), "%.120s is not in Slack workspace "
		    "\"%.60s\"; not notified (delivery.user_not_found = LOG_ONLY)", p->value, d->conn.name);
		hub_outbox_log(d, key, d->kind, "slack", p->value, p->asg, "users_not_found",
		    detail);
		return;
	}
	if (email == NULL) {
		snprintf(detail, sizeof(detail), "%.120s cannot be reached in Slack "
		    "(%s) and has no email address", p->value, why == HUB_UO_AUTH ? "connection unusable" :
		    "not in the workspace");
		hub_outbox_log(d, key, d->kind, "slack", p->value, p->asg,
		    why == HUB_UO_AUTH ? "connection_disabled" : "users_not_found", detail);
		return;
	}
	(void)hub_mailout_send(d, p, email_kind(d, p));
}

/* The id a lookup found: p's from now on, and the assignment's (the
 * engine lets a Slack user decide for an email approver through it). */
static void
remember(struct hub_notify *d, struct hub_person *p, const char *id)
{
	char asg[HUB_INT64_TEXT_SIZE];
	const char *params[2] = { asg, id };

	hub_notifyjob_copy(p->slack, sizeof(p->slack), id);
	p->from_lookup = 1;
	if (p->asg > 0) {
		snprintf(asg, sizeof(asg), "%lld", (long long)p->asg);
		(void)dq(d, DL_SET_SLACK_ID, params, NULL);
	}
}

/* What Slack's refusal of users.lookupByEmail means for the person. */
static enum hub_reach
lookup_refused(struct hub_notify *d, const struct hub_slack_result *res)
{
	switch (res->cls) {
	case HUB_SLACK_RATELIMITED:
		hub_notifyjob_limited(d, res, "users.lookupByEmail");
		return HUB_REACH_RETRY;
	case HUB_SLACK_AUTH:
		return HUB_REACH_AUTH;
	case HUB_SLACK_NOT_FOUND_USER:
		return HUB_REACH_NOUSER;
	case HUB_SLACK_TRANSIENT:
		hub_notifyjob_retry(d, -1, res->error, "users.lookupByEmail: %s", res->error);
		return HUB_REACH_RETRY;
	default:
		hub_notifyjob_fail(d, res->error, "users.lookupByEmail: %s: %s", res->error,
		    hub_slack_fix(res->error));
		return HUB_REACH_FAIL;
	}
}

enum hub_reach
hub_recipient_resolve(struct hub_notify *d, struct hub_person *p)
{
	struct hub_slack_result res;
	char id[HUB_SLACK_ID_LEN];
	int rc;
	enum hub_reach out;

	if (p->slack[0] != '\0')
		return HUB_REACH_SLACK;
	if (!d->have_conn || d->conn.disabled)
		return HUB_REACH_AUTH;
	if (d->conn.type == HUB_CONN_INCOMING_WEBHOOK)
		return HUB_REACH_NAME;
	hub_slack_result_init(&res);
	rc = hub_slack_lookup_email(d->env->db, &d->sl, &d->conn, p->email, id, &res);
	switch (rc) {
	case HUB_CONN_OK:
		remember(d, p, id);
		out = HUB_REACH_SLACK;
		break;
	case HUB_CONN_NOTFOUND:
		/* The cache now holds this "not found" for an hour: there is
		 * no user id to forget (from_lookup stays 0). */
		out = HUB_REACH_NOUSER;
		break;
	case HUB_CONN_DISABLED:
		out = HUB_REACH_AUTH;
		break;
	case HUB_CONN_SLACK:
		out = lookup_refused(d, &res);
		break;
	case HUB_CONN_DB:
		hub_notifyjob_retry(d, -1, "database", "database during lookup");
		out = HUB_REACH_RETRY;
		break;
	default:
		hub_notifyjob_fail(d, "lookup", "lookup: %s", hub_conn_strerror(rc));
		out = HUB_REACH_FAIL;
		break;
	}
	hub_slack_result_free(&res);
	return out;
}

/* After hub_recipient_resolve(): the person's own fallback when Slack
 * cannot reach them.  1 when handled here (nothing to post to them). */
int
hub_recipient_unreachable(struct hub_notify *d, struct hub_person *p, enum hub_reach r)
{
	switch (r) {
	case HUB_REACH_NOUSER:
		hub_recipient_fallback(d, p, HUB_UO_NOUSER);
		return 1;
	case HUB_REACH_AUTH:
		hub_recipient_fallback(d, p, HUB_UO_AUTH);
		return 1;
	case HUB_REACH_RETRY:
	case HUB_REACH_FAIL:
		return 1;
	default:
		return 0;
	}
}

/* One message to one person: their DM, or (channel) a post naming them. */
void
hub_recipient_send(struct hub_notify *d, struct hub_person *p, const char *where, int webhook)
{
	struct hub_render_out ro;
	struct hub_post po;
	json_object *ids = NULL, *who = NULL;
	enum hub_reach r = hub_recipient_resolve(d, p);
	enum hub_uo u;
	int rc;

	if (hub_recipient_unreachable(d, p, r))
		return;
	memset(&po, 0, sizeof(po));
	/* a webhook post asking to decide names its approver instead */
	if (webhook && hub_notifyjob_decides(d)) {
		if ((who = hub_msgctx_approvers_new()) != NULL)
			hub_msgctx_approvers_add(who, p, r == HUB_REACH_SLACK);
	} else if (where != NULL && r == HUB_REACH_SLACK &&
	    (ids = json_object_new_array()) != NULL)
		json_object_array_add(ids, json_object_new_string(p->slack));
	rc = webhook && hub_notifyjob_decides(d) && who == NULL ? -1 :
	    hub_msgctx_set(d, p, NULL, webhook, ids, who, 0);
	json_object_put(ids);
	json_object_put(who);
	if (rc != 0) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return;
	}
	if (hub_msgctx_render(d, d->rk, &ro) != 0)
		return;
	snprintf(po.key, sizeof(po.key), "notify:%s:%s:%s:%s:%s", d->req, p->tag, d->kind,
	    d->gen, webhook ? "webhook" : where != NULL ? "channel" : "dm");
	po.transport = webhook ? "webhook" : "slack";
	po.target = webhook ? NULL : where != NULL ? where : p->slack;
	po.kind = d->kind;
	po.recipient = p->value;
	po.asg = p->asg;
	po.covers = p->asg > 0 ? &p->asg : NULL;
	po.ncovers = p->asg > 0 ? 1 : 0;
	po.blocks = ro.blocks;
	po.text = ro.text;
	u = hub_slackpost_send(d, &po);
	hub_render_out_free(&ro);
	if (u == HUB_UO_AUTH || u == HUB_UO_NOUSER)
		hub_recipient_fallback(d, p, u);
}

/* A webhook post is read by the whole channel, so an approver's decision
 * link reaches them alone, by email (the email form of the notification,
 * as for someone Slack cannot reach; the same key, so never twice).  No
 * address known: a failed delivery_log row tells the admin. */
void
hub_recipient_link(struct hub_notify *d, struct hub_person *p)
{
	char key[DL_KEY_MAX + 1], detail[DL_FIX_MAX];

	if (person_email(d, p) != NULL) {
		(void)hub_mailout_send(d, p, email_kind(d, p));
		return;
	}
	snprintf(key, sizeof(key), "notify:%s:%s:%s:%s:noemail", d->req, p->tag, d->kind,
	    d->gen);
	snprintf(detail, sizeof(detail), "%.120s has no email address in the hub, so the "
	    "webhook connection \"%.60s\" cannot give them a personal decision link (add "
	    "their email to the hub's users, or use a Slack app connection)", p->value,
	    d->conn.name);
	hub_outbox_log(d, key, d->kind, "email", p->value, p->asg, "no_email", detail);
}
