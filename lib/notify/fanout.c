/*
 * fanout.c - one notify job turned into per-person work (fanout.h): an
 * approver in the resolved mode, the requester, the watchers, the people a
 * deadline left undecided, and the Home tabs after a decision.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/log.h"
#include "slack/connections.h"
#include "slack/slackapi.h"
#include "notify/notifyjob.h"
#include "notify/recipient.h"
#include "notify/stepmsg.h"
#include "notify/groupdm.h"
#include "notify/fanout.h"

#define DL_MAX_WATCHERS		50

enum fanout_stmt {
	DL_REQUESTER_EMAIL,
	DL_REQUESTER_SET,
	FANOUT__MAX
};

static const struct hub_stmt fanout_stmts[FANOUT__MAX] = {
	/* $1 request: a requester email not looked up yet */
	[DL_REQUESTER_EMAIL] = {
	    "SELECT requester_email FROM requests WHERE id = $1::uuid"
	    " AND requester_email IS NOT NULL AND requester_slack_resolved IS NULL", 1 },
	/* $1 request, $2 the Slack id ('' for none): what the engine's
	 * self-approval check compares approvers with (hub_is_requester) */
	[DL_REQUESTER_SET] = {
	    "UPDATE requests SET requester_slack_resolved = $2 WHERE id = $1::uuid", 2 },
};

static const struct hub_stmt_table fanout_table = { "fanout", fanout_stmts, FANOUT__MAX };

static int
dq(struct hub_notify *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &fanout_table, stmt, p, res);
}

/*
 * The requester's Slack id for their email (users.lookupByEmail through
 * this connection, cached), looked up before an approver is first told of
 * the request: an approver listed by Slack id who is the requester is then
 * refused when they click (engine.h, self-approval).  0 go on, -1 the job
 * is tried again later (noted).  A dead token or a missing scope is left
 * to the approvers' own delivery, which meets it and says so.
 */
static int
resolve_requester(struct hub_notify *d)
{
	struct hub_slack_result res;
	char id[HUB_SLACK_ID_LEN];
	const char *p[2] = { d->req, NULL };
	PGresult *r = NULL;
	int rc, out = 0;

	if (!hub_notifyjob_decides(d) || !d->have_conn || d->conn.disabled ||
	    d->conn.type == HUB_CONN_INCOMING_WEBHOOK)
		return 0;
	if (dq(d, DL_REQUESTER_EMAIL, p, &r) != HUB_DB_OK) {
		hub_notifyjob_retry(d, -1, "database",
		    "database while resolving the requester");
		return -1;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	hub_slack_result_init(&res);
	rc = hub_slack_lookup_email(d->env->db, &d->sl, &d->conn, PQgetvalue(r, 0, 0), id,
	    &res);
	if (rc == HUB_CONN_OK || rc == HUB_CONN_NOTFOUND) {
		p[1] = rc == HUB_CONN_OK ? id : "";
		if (dq(d, DL_REQUESTER_SET, p, NULL) != HUB_DB_OK) {
			hub_notifyjob_retry(d, -1, "database",
			    "database while resolving the requester");
			out = -1;
		}
	} else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_RATELIMITED) {
		hub_notifyjob_limited(d, &res, "users.lookupByEmail");
		out = -1;
	} else if (rc == HUB_CONN_DB || (rc == HUB_CONN_SLACK &&
	    res.cls == HUB_SLACK_TRANSIENT)) {
		hub_notifyjob_retry(d, res.retry_after > 0 ? res.retry_after : -1,
		    rc == HUB_CONN_DB ? "database" : res.error,
		    "users.lookupByEmail for the requester: %s",
		    rc == HUB_CONN_DB ? "database" : res.error);
		out = -1;
	}
	hub_slack_result_free(&res);
	PQclear(r);
	return out;
}

/* An approver, in the resolved mode. */
void
hub_fanout_approver(struct hub_notify *d, struct hub_person *me)
{
	int webhook = d->have_conn && d->conn.type != HUB_CONN_SLACK_APP;

	if (!d->have_conn) {
		hub_recipient_fallback(d, me, HUB_UO_NOCONN);
		return;
	}
	if (d->conn.disabled) {
		hub_recipient_fallback(d, me, HUB_UO_AUTH);
		return;
	}
	if (resolve_requester(d) != 0)
		return;
	if (webhook) {
		hub_stepmsg_channel(d, me, 1);
		if (hub_notifyjob_decides(d) && !d->stop && !hub_notifyjob_stopping(d))
			hub_recipient_link(d, me);
		return;
	}
	if (strcmp(d->mode, "group_dm") == 0)
		hub_groupdm_send(d, me);
	else if (strcmp(d->mode, "channel") == 0)
		hub_stepmsg_channel(d, me, 0);
	else {
		hub_recipient_send(d, me, NULL, 0);
		if (strcmp(d->mode, "both") == 0 && !d->stop)
			hub_stepmsg_channel(d, me, 0);
	}
}

/* A requester or watcher: a DM (the webhook's channel on webhooks). */
static void
to_person(struct hub_notify *d, struct hub_person *p)
{
	if (!d->have_conn) {
		hub_recipient_fallback(d, p, HUB_UO_NOCONN);
		return;
	}
	if (d->conn.disabled) {
		hub_recipient_fallback(d, p, HUB_UO_AUTH);
		return;
	}
	if (d->conn.type != HUB_CONN_SLACK_APP)
		hub_recipient_send(d, p, "webhook", 1);
	else
		hub_recipient_send(d, p, NULL, 0);
}

static void
requester(struct hub_notify *d, PGresult *req, struct hub_person *p)
{
	json_object *r = json_object_object_get(d->ctx, "request");
	const char *sid = json_object_get_string(json_object_object_get(r,
	    "requester_slack_id"));
	const char *em = json_object_get_string(json_object_object_get(r, "requester_email"));

	(void)req;
	memset(p, 0, sizeof(*p));
	if (sid != NULL && *sid != '\0') {
		hub_notifyjob_person_set(p, "slack", sid, "req");
		if (em != NULL)
			hub_notifyjob_copy(p->email, sizeof(p->email), em);
	} else if (em != NULL && *em != '\0')
		hub_notifyjob_person_set(p, "email", em, "req");
}

void
hub_fanout_request(struct hub_notify *d, PGresult *req)
{
	struct hub_person p;
	struct hub_batch b;
	json_object *w, *k, *v;
	char tag[16];
	size_t i;

	if (d->rk != HUB_RENDER_WATCHER) {
		requester(d, req, &p);
		if (p.value[0] != '\0')
			to_person(d, &p);
	}
	if (d->rk == HUB_RENDER_WATCHER && json_object_is_type(d->watchers, json_type_array)) {
		for (i = 0; i < json_object_array_length(d->watchers) && i < DL_MAX_WATCHERS &&
		    !d->stop && !hub_notifyjob_stopping(d); i++) {
			w = json_object_array_get_idx(d->watchers, i);
			if (!json_object_object_get_ex(w, "kind", &k) ||
			    !json_object_object_get_ex(w, "value", &v) ||
			    !json_object_is_type(v, json_type_string))
				continue;
			snprintf(tag, sizeof(tag), "w%zu", i);
			hub_notifyjob_person_set(&p,
			    strcmp(json_object_get_string(k), "slack") == 0 ? "slack" : "email",
			    json_object_get_string(v), tag);
			to_person(d, &p);
		}
	}
	if (d->rk == HUB_RENDER_DEADLINE_EXPIRED && d->step_id[0] != '\0' &&
	    hub_stepmsg_batch_load(d, 1, &b) == 0) {
		for (i = 0; i < b.n && !d->stop && !hub_notifyjob_stopping(d); i++)
			to_person(d, &b.p[i]);
		hub_stepmsg_batch_free(&b);
	}
	/* The Home tabs of a finished request are refreshed by the sync the
	 * finish queued with this note (msgsync.c), not here. */
}
