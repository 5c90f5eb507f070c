/*
 * stepmsg.c - the shared message of a step (stepmsg.h): one channel,
 * webhook or group DM post for all the step's undecided approvers Slack
 * reaches, mentions past the first batch as thread replies, and the
 * batches of people it is built from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/log.h"
#include "notify/notifyjob.h"
#include "notify/msgctx.h"
#include "notify/outbox.h"
#include "notify/slackpost.h"
#include "notify/recipient.h"
#include "notify/stepmsg.h"

#define DL_MAX_BATCH		600     /* intake allows 500 approvers in all */

enum stepmsg_stmt {
	DL_BATCH,
	DL_STEP_PEOPLE,
	STEPMSG__MAX
};

static const struct hub_stmt stepmsg_stmts[STEPMSG__MAX] = {
	/* $1 step id, $2 't' for delegates: the undecided approvers a shared
	 * message of the step speaks to */
	[DL_BATCH] = {
	    "SELECT a.id, a.approver_kind, a.approver_value, coalesce(a.slack_user_id, ''),"
	    " a.status, 0, coalesce(o.approver_value, '')"
	    " FROM assignments a LEFT JOIN assignments o ON o.id = a.delegate_of"
	    " WHERE a.step_id = $1::bigint AND a.status = 'pending'"
	    "  AND (a.delegate_of IS NOT NULL) = $2::boolean ORDER BY a.id", 2 },
	/* $1 step id: the approvers a deadline left undecided */
	[DL_STEP_PEOPLE] = {
	    "SELECT a.id, a.approver_kind, a.approver_value, coalesce(a.slack_user_id, ''),"
	    " a.status, 0, ''"
	    " FROM assignments a WHERE a.step_id = $1::bigint AND a.delegate_of IS NULL"
	    "  AND a.status IN ('pending', 'skipped') ORDER BY a.id", 1 },
};

static const struct hub_stmt_table stepmsg_table = { "stepmsg", stepmsg_stmts, STEPMSG__MAX };

static int
dq(struct hub_notify *d, int stmt, const char *const *p, PGresult **res)
{
	return hub_db_exec(d->env->db, &stepmsg_table, stmt, p, res);
}

enum hub_stepmsg_state
hub_stepmsg_state(struct hub_notify *d, const char *key, struct hub_person *me)
{
	struct hub_intent in;
	int rc = hub_outbox_get(d, key, &in);

	if (rc < 0)
		return HUB_STEPMSG_WAIT;
	if (rc == 0)
		return HUB_STEPMSG_GO;
	if (strcmp(in.status, "delivered") == 0)
		return hub_outbox_covers_has(in.covers, me->asg) ? HUB_STEPMSG_DONE :
		    HUB_STEPMSG_ALONE;
	if (strcmp(in.status, "failed") == 0) {
		switch (hub_slackpost_replay(d, &in)) {
		case HUB_UO_AUTH:
			hub_recipient_fallback(d, me, HUB_UO_AUTH);
			return HUB_STEPMSG_DONE;
		case HUB_UO_NOUSER:
			return HUB_STEPMSG_ALONE;
		default:
			return HUB_STEPMSG_DONE;   /* the failure is recorded on the job */
		}
	}
	if (!in.mine && in.owner_live && in.age_s < DL_STALE_INTENT_S) {
		hub_notifyjob_retry(d, DL_BUSY_RETRY_S, "busy", "another job is sending %s",
		    key);
		return HUB_STEPMSG_WAIT;
	}
	return HUB_STEPMSG_GO;
}

static int
is_delegate_kind(const struct hub_notify *d)
{
	return d->rk == HUB_RENDER_DELEGATE_CALL;
}

void
hub_stepmsg_batch_free(struct hub_batch *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

int
hub_stepmsg_batch_load(struct hub_notify *d, int undecided, struct hub_batch *b)
{
	int stmt = undecided ? DL_STEP_PEOPLE : DL_BATCH;
	const char *p[2] = { d->step_id, !undecided && is_delegate_kind(d) ? "t" : "f" };
	PGresult *res = NULL;
	int rc, i, n;

	memset(b, 0, sizeof(*b));
	if ((rc = dq(d, stmt, p, &res)) != HUB_DB_OK) {
		hub_notifyjob_retry(d, -1, "database", "database: %s", hub_db_strerror(rc));
		return -1;
	}
	n = PQntuples(res);
	if (n > DL_MAX_BATCH)
		n = DL_MAX_BATCH;
	if (n > 0 && (b->p = calloc((size_t)n, sizeof(*b->p))) == NULL) {
		PQclear(res);
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		hub_notifyjob_person_row(res, i, &b->p[b->n++]);
	PQclear(res);
	return 0;
}

/* Keep the people of the batch whose assignment id is in ids (a JSON array
 * of group members), or, with ids NULL, those in no group (excl). */
void
hub_stepmsg_batch_filter(struct hub_batch *b, json_object *ids, json_object *excl)
{
	size_t i, j, k, out = 0;
	json_object *m, *v;
	int keep;

	for (i = 0; i < b->n; i++) {
		json_object *list = ids != NULL ? ids : excl;

		keep = ids == NULL;
		for (j = 0; list != NULL && j < json_object_array_length(list); j++) {
			m = json_object_array_get_idx(list, j);
			if (json_object_is_type(m, json_type_array)) {
				for (k = 0; k < json_object_array_length(m); k++) {
					v = json_object_array_get_idx(m, k);
					if (json_object_get_int64(v) == b->p[i].asg)
						keep = ids != NULL;
				}
			} else if (json_object_get_int64(m) == b->p[i].asg)
				keep = ids != NULL;
		}
		if (keep)
			b->p[out++] = b->p[i];
	}
	b->n = out;
}

/* Whom a shared message reaches, gathered from its batch. */
struct audience {
	json_object	*ids;           /* the Slack ids it mentions */
	json_object	*who;           /* webhook: the approvers it names */
	struct hub_buf	 names;         /* plain webhook: names in its text */
	int64_t		*cov;           /* the assignments it covers */
	size_t		 nc;
	int		 me_in;         /* the job's own person is among them */
	enum hub_reach	 mine;          /* how Slack reaches the job's own person */
};

static void
audience_free(struct audience *a)
{
	json_object_put(a->ids);
	json_object_put(a->who);
	hub_buf_release(&a->names);
	free(a->cov);
}

/* Resolve the batch into a (me: the job's own person, updated from the
 * batch).  -1 when nothing more is to be done (out of memory noted, or
 * stopping). */
static int
gather(struct hub_notify *d, struct hub_person *me, struct hub_batch *b, int webhook,
    struct audience *a)
{
	size_t i;
	int me_seen = 0;
	enum hub_reach r;

	a->mine = HUB_REACH_FAIL;
	if ((a->ids = json_object_new_array()) == NULL ||
	    (webhook && (a->who = hub_msgctx_approvers_new()) == NULL) ||
	    (a->cov = calloc(b->n + 1, sizeof(*a->cov))) == NULL) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	for (i = 0; i < b->n && !d->stop && !hub_notifyjob_stopping(d); i++) {
		r = hub_recipient_resolve(d, &b->p[i]);
		if (b->p[i].asg == me->asg) {
			me_seen = 1;
			a->mine = r;
			*me = b->p[i];
		}
		if (r == HUB_REACH_SLACK) {
			json_object_array_add(a->ids, json_object_new_string(b->p[i].slack));
			a->cov[a->nc++] = b->p[i].asg;
		} else if (r == HUB_REACH_NAME) {
			if (a->names.len > 0)
				hub_buf_adds(&a->names, ", ");
			hub_buf_adds(&a->names, b->p[i].value);
			a->cov[a->nc++] = b->p[i].asg;
		}
		if (b->p[i].asg == me->asg && (r == HUB_REACH_SLACK || r == HUB_REACH_NAME))
			a->me_in = 1;
		/* a webhook post names everyone it asks; each is emailed their
		 * own link (hub_recipient_link), also those Slack does not know */
		if (a->who != NULL && (r == HUB_REACH_SLACK || r == HUB_REACH_NAME ||
		    r == HUB_REACH_NOUSER))
			hub_msgctx_approvers_add(a->who, &b->p[i], r == HUB_REACH_SLACK);
	}
	if (d->stop || hub_notifyjob_stopping(d))
		return -1;
	if (!me_seen)
		a->mine = hub_recipient_resolve(d, me);
	return 0;
}

/* Mentions past the first 50: thread replies under the message po sent
 * (Slack apps only). */
static void
thread_replies(struct hub_notify *d, const char *key, json_object *ids,
    const struct hub_post *po, const char *target)
{
	json_object *batches = NULL;
	char parent[sizeof(po->ts)];
	size_t i;

	if (hub_render_mentions(ids, HUB_RENDER_APP, &batches) != HUB_RENDER_OK)
		return;
	hub_notifyjob_copy(parent, sizeof(parent), po->ts);
	for (i = 1; i < json_object_array_length(batches) && !d->stop; i++) {
		struct hub_post t;

		memset(&t, 0, sizeof(t));
		snprintf(t.key, sizeof(t.key), "%s:t%zu", key, i);
		t.transport = "slack";
		t.target = po->channel[0] ? po->channel : target;
		t.thread_ts = parent;
		t.kind = "mention_batch";
		t.recipient = t.target;
		t.text = json_object_get_string(json_object_array_get_idx(batches, i));
		if (hub_slackpost_send(d, &t) != HUB_UO_OK)
			break;
	}
	json_object_put(batches);
}

/*
 * The shared message of a step (channel post, webhook post, group DM):
 * resolve the batch, post once for all Slack-reachable people in it,
 * mention batches past the first as thread replies.  me is the job's own
 * assignment; only its fallback is this job's business.
 */
void
hub_stepmsg_post(struct hub_notify *d, struct hub_person *me, const char *key,
    struct hub_batch *b, const char *target, int webhook)
{
	struct audience a = { .names = HUB_BUF_INIT(3000) };
	struct hub_render_out ro;
	struct hub_post po;
	int alone;
	enum hub_uo u;

	memset(&ro, 0, sizeof(ro));
	if (gather(d, me, b, webhook, &a) != 0)
		goto out;
	if (a.nc == 0) {
		(void)hub_recipient_unreachable(d, me, a.mine);
		goto out;
	}
	alone = a.nc == 1 && a.me_in;
	if (hub_msgctx_set(d, alone ? me : NULL, a.names.len > 0 && !alone ?
	    hub_buf_str(&a.names) : NULL, webhook, webhook ? NULL : a.ids, a.who, 0) != 0) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		goto out;
	}
	if (hub_msgctx_render(d, d->rk, &ro) != 0)
		goto out;
	memset(&po, 0, sizeof(po));
	hub_notifyjob_copy(po.key, sizeof(po.key), key);
	po.transport = webhook ? "webhook" : "slack";
	po.target = webhook ? NULL : target;
	po.kind = d->kind;
	po.recipient = target != NULL ? target : "webhook";
	po.asg = a.nc == 1 ? a.cov[0] : 0;
	po.covers = a.cov;
	po.ncovers = a.nc;
	po.blocks = ro.blocks;
	po.text = ro.text;
	u = hub_slackpost_send(d, &po);
	if (u == HUB_UO_AUTH) {
		hub_recipient_fallback(d, me, HUB_UO_AUTH);
		goto out;
	}
	if (u != HUB_UO_OK)
		goto out;
	if (!webhook && po.ts[0] != '\0')
		thread_replies(d, key, a.ids, &po, target);
	if (!a.me_in)
		(void)hub_recipient_unreachable(d, me, a.mine);
out:
	hub_render_out_free(&ro);
	audience_free(&a);
}

/* Channel (or webhook) post for the step, once; me alone when it went out
 * before me. */
void
hub_stepmsg_channel(struct hub_notify *d, struct hub_person *me, int webhook)
{
	struct hub_batch b;
	char key[DL_KEY_MAX + 1];

	if (!hub_notifyjob_shared(d) || me->asg <= 0) {
		hub_recipient_send(d, me, webhook ? "webhook" : d->channel, webhook);
		return;
	}
	snprintf(key, sizeof(key), "notify:%s:s%d:%s:%s:%s", d->req, d->step, d->kind, d->gen,
	    webhook ? "webhook" : "channel");
	switch (hub_stepmsg_state(d, key, me)) {
	case HUB_STEPMSG_DONE:
	case HUB_STEPMSG_WAIT:
		return;
	case HUB_STEPMSG_ALONE:
		hub_recipient_send(d, me, webhook ? "webhook" : d->channel, webhook);
		return;
	case HUB_STEPMSG_GO:
		break;
	}
	if (hub_stepmsg_batch_load(d, 0, &b) != 0)
		return;
	hub_stepmsg_post(d, me, key, &b, webhook ? NULL : d->channel, webhook);
	hub_stepmsg_batch_free(&b);
}
