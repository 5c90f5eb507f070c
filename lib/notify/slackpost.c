/*
 * slackpost.c - one Slack message of the notify job, exactly once
 * (slackpost.h): the post through the outbox, the search for a post a
 * crash may have hidden, and what Slack's refusal means.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/log.h"
#include "slack/connections.h"
#include "slack/slackapi.h"
#include "notify/notifyjob.h"
#include "notify/outbox.h"
#include "notify/slackpost.h"

#define DL_HISTORY_BACK_S	60
#define DL_HISTORY_LIMIT	50

void
hub_slackpost_arg(json_object *a, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(a, k, json_object_new_string(v));
}

/* The conversation a DM to a user id lives in. */
static int
im_channel(struct hub_notify *d, const char *user, char *out, size_t n)
{
	struct hub_slack_result res;
	json_object *args = json_object_new_object(), *ch, *id;
	int rc, ret = -1;

	hub_slack_result_init(&res);
	if (args == NULL)
		return -1;
	hub_slackpost_arg(args, "users", user);
	rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "conversations.open", NULL,
	    args, &res);
	if (rc == HUB_CONN_OK && json_object_object_get_ex(res.resp, "channel", &ch) &&
	    json_object_object_get_ex(ch, "id", &id) &&
	    json_object_is_type(id, json_type_string)) {
		hub_notifyjob_copy(out, n, json_object_get_string(id));
		ret = 0;
	} else if (rc == HUB_CONN_SLACK && (res.cls == HUB_SLACK_RATELIMITED ||
	    res.cls == HUB_SLACK_TRANSIENT))
		ret = -2;
	hub_slack_result_free(&res);
	json_object_put(args);
	return ret;
}

/* The ts of the message in a conversations.history answer whose
 * metadata carries key (post_args); NULL when none does. */
static const char *
find_key(json_object *resp, const char *key)
{
	json_object *msgs, *m, *md, *pl, *k, *ts;
	size_t i, n;

	if (!json_object_object_get_ex(resp, "messages", &msgs) ||
	    !json_object_is_type(msgs, json_type_array))
		return NULL;
	n = json_object_array_length(msgs);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(msgs, i);
		if (json_object_object_get_ex(m, "metadata", &md) &&
		    json_object_object_get_ex(md, "event_payload", &pl) &&
		    json_object_object_get_ex(pl, "key", &k) &&
		    json_object_is_type(k, json_type_string) &&
		    strcmp(json_object_get_string(k), key) == 0 &&
		    json_object_object_get_ex(m, "ts", &ts))
			return json_object_get_string(ts);
	}
	return NULL;
}

/*
 * Was the message with this key posted before the last run died?  Reads
 * the conversation from a minute before the intent.  1 found (po->ts,
 * po->channel set), 0 not there, -1 cannot tell now (retry recorded).
 */
static int
recover(struct hub_notify *d, struct hub_post *po, const struct hub_intent *in)
{
	struct hub_slack_result res;
	json_object *args = NULL;
	const char *ts;
	char ch[DL_CHANNEL_MAX], oldest[32];
	int rc, ret = 0;

	hub_slack_result_init(&res);
	hub_notifyjob_copy(ch, sizeof(ch), in->channel[0] ? in->channel : po->target);
	if (hub_notifyjob_is_user_id(ch)) {
		rc = im_channel(d, ch, ch, sizeof(ch));
		if (rc == -2) {
			hub_notifyjob_retry(d, -1, "recover",
			    "cannot open the DM to look for a lost post");
			return -1;
		}
		if (rc != 0)
			return 0;   /* no such DM: nothing was posted there */
	}
	snprintf(oldest, sizeof(oldest), "%lld.000000",
	    in->created > DL_HISTORY_BACK_S ? in->created - DL_HISTORY_BACK_S : 0);
	if ((args = json_object_new_object()) == NULL) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return -1;
	}
	hub_slackpost_arg(args, "channel", ch);
	json_object_object_add(args, "include_all_metadata", json_object_new_boolean(1));
	json_object_object_add(args, "limit", json_object_new_int(DL_HISTORY_LIMIT));
	hub_slackpost_arg(args, "oldest", oldest);
	rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "conversations.history", ch,
	    args, &res);
	if (rc != HUB_CONN_OK) {
		if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_RATELIMITED) {
			hub_notifyjob_limited(d, &res, "conversations.history");
			ret = -1;
		} else if (rc == HUB_CONN_SLACK && res.cls == HUB_SLACK_TRANSIENT) {
			hub_notifyjob_retry(d, res.retry_after > 0 ? res.retry_after :
			    res.wait_ms > 0 ? (int)(res.wait_ms / 1000 + 1) : -1,
			    res.error[0] ? res.error : "recover",
			    "conversations.history: %s", res.error);
			ret = -1;
		}
		/* Anything else: the post below meets the same problem and
		 * reports it properly. */
		goto out;
	}
	if ((ts = find_key(res.resp, po->key)) != NULL) {
		hub_notifyjob_copy(po->ts, sizeof(po->ts), ts);
		hub_notifyjob_copy(po->channel, sizeof(po->channel), ch);
		hub_log(HUB_LOG_INFO, "delivery_recovered", "key", po->key, NULL);
		ret = 1;
	}
out:
	json_object_put(args);
	hub_slack_result_free(&res);
	return ret;
}

/* Sort an error answer into an outcome, and say it on the intent.  Long
 * because it is the table of verdicts (deliver.h, "Verdicts"): one case
 * per class of Slack's answer, kept together so they read as one. */
static enum hub_uo
slack_error(struct hub_notify *d, struct hub_post *po, int64_t intent, int rc,
    const struct hub_slack_result *res)
{
	char detail[DL_FIX_MAX];
	const char *code = res->error[0] ? res->error : "slack";
	int after;

	if (rc == HUB_CONN_DISABLED) {
		hub_outbox_error(d, intent, "failed", "connection_disabled",
		    "the connection is disabled; reaching the recipient by email");
		return HUB_UO_AUTH;
	}
	if (rc == HUB_CONN_DB) {
		hub_outbox_error(d, intent, "retrying", "database", "database error");
		hub_notifyjob_retry(d, -1, "database", "database error before sending");
		return HUB_UO_RETRY;
	}
	if (rc != HUB_CONN_SLACK) {
		hub_outbox_error(d, intent, "failed", "connection", hub_conn_strerror(rc));
		hub_notifyjob_fail(d, "connection", "connection: %s", hub_conn_strerror(rc));
		return HUB_UO_FAIL;
	}
	switch (res->cls) {
	case HUB_SLACK_RATELIMITED:
		after = res->retry_after > 0 ? res->retry_after :
		    res->wait_ms > 0 ? (int)(res->wait_ms / 1000 + 1) : 1;
		snprintf(detail, sizeof(detail), "Slack rate limit for connection \"%s\", "
		    "retrying after %d s", d->conn.name, after);
		hub_outbox_error(d, intent, "retrying", code, detail);
		hub_notifyjob_limited(d, res, "chat.postMessage");
		return HUB_UO_RETRY;
	case HUB_SLACK_AUTH:
		snprintf(detail, sizeof(detail), "%s for connection \"%s\": %s; "
		    "reaching the recipient by email", code, d->conn.name, hub_slack_fix(code));
		hub_outbox_error(d, intent, "failed", code, detail);
		return HUB_UO_AUTH;
	case HUB_SLACK_NOT_FOUND_USER:
		hub_outbox_error(d, intent, "failed", code, hub_slack_fix(code));
		return HUB_UO_NOUSER;
	case HUB_SLACK_CHANNEL:
		/* A DM to a user id that does not exist answers channel_not_found. */
		if (po->target != NULL && hub_notifyjob_is_user_id(po->target) &&
		    po->thread_ts == NULL) {
			hub_outbox_error(d, intent, "failed", code,
			    hub_slack_fix("user_not_found"));
			return HUB_UO_NOUSER;
		}
		snprintf(detail, sizeof(detail), "%s in %s (connection \"%s\"): %s", code,
		    po->target ? po->target : "the webhook's channel", d->conn.name,
		    hub_slack_fix(code));
		hub_outbox_error(d, intent, "failed", code, detail);
		hub_notifyjob_fail(d, code, "%s", detail);
		return HUB_UO_FAIL;
	case HUB_SLACK_TRANSIENT:
		snprintf(detail, sizeof(detail), "%s: %s", code, hub_slack_fix(code));
		hub_outbox_error(d, intent, "retrying", code, detail);
		hub_notifyjob_retry(d, -1, code, "%s", detail);
		return HUB_UO_RETRY;
	case HUB_SLACK_INVALID:
		hub_log(HUB_LOG_ERROR, "slack_refused_message", "error", code,
		    "messages", res->detail, "key", po->key, NULL);
		/* FALLTHROUGH */
	default:
		snprintf(detail, sizeof(detail), "%s: %.120s%s%.100s", code,
		    hub_slack_fix(code), res->detail[0] ? " — " : "", res->detail);
		hub_outbox_error(d, intent, "failed", code, detail);
		hub_notifyjob_fail(d, code, "%s", detail);
		return HUB_UO_FAIL;
	}
}

/* The outcome an intent that ended already stands for. */
enum hub_uo
hub_slackpost_replay(struct hub_notify *d, const struct hub_intent *in)
{
	switch (hub_slack_classify(in->code)) {
	case HUB_SLACK_AUTH:
		return HUB_UO_AUTH;
	case HUB_SLACK_NOT_FOUND_USER:
		return HUB_UO_NOUSER;
	default:
		break;
	}
	if (strcmp(in->code, "connection_disabled") == 0)
		return HUB_UO_AUTH;
	if (strcmp(in->code, "user_not_found") == 0 ||
	    strcmp(in->code, "channel_not_found") == 0)
		return HUB_UO_NOUSER;
	hub_notifyjob_fail(d, in->code[0] ? in->code : "failed", "%s",
	    in->detail[0] ? in->detail : "an earlier attempt failed for good");
	return HUB_UO_FAIL;
}

/* The message's intent: 1 it is ours to post now (in filled), 0 not (*out
 * says why: delivered before, found after a crash, another job's, failed
 * for good, or trouble). */
static int
post_claim(struct hub_notify *d, struct hub_post *po, struct hub_intent *in,
    enum hub_uo *out)
{
	int fresh, rc, webhook = strcmp(po->transport, "webhook") == 0;

	*out = HUB_UO_RETRY;
	if ((fresh = hub_outbox_claim(d, po, in)) < 0)
		return 0;
	if (fresh)
		return 1;
	if (strcmp(in->status, "delivered") == 0) {
		hub_notifyjob_copy(po->ts, sizeof(po->ts), in->ts);
		hub_notifyjob_copy(po->channel, sizeof(po->channel), in->channel);
		*out = HUB_UO_OK;
		return 0;
	}
	if (!in->mine && in->owner_live && in->age_s < DL_STALE_INTENT_S &&
	    strcmp(in->status, "failed") != 0) {
		hub_notifyjob_retry(d, DL_BUSY_RETRY_S, "busy", "another job is sending %s",
		    po->key);
		*out = HUB_UO_BUSY;
		return 0;
	}
	if (strcmp(in->status, "failed") == 0) {
		*out = hub_slackpost_replay(d, in);
		return 0;
	}
	if (hub_outbox_take(d, in) != 0)
		return 0;
	/* Posted before a crash or a lost answer?  A refusal by a rate limit
	 * certainly posted nothing. */
	if (!webhook && po->thread_ts == NULL && d->conn.type == HUB_CONN_SLACK_APP &&
	    strcmp(in->code, "ratelimited") != 0 &&
	    strcmp(in->code, "local_ratelimit") != 0) {
		rc = recover(d, po, in);
		if (rc < 0)
			return 0;
		if (rc == 1) {
			*out = hub_outbox_done(d, in->id, po) == 0 ? HUB_UO_OK : HUB_UO_RETRY;
			return 0;
		}
	}
	return 1;
}

/* The arguments of chat.postMessage (or of the webhook post), the key in
 * the message's metadata; NULL when out of memory. */
static json_object *
post_args(const struct hub_post *po, int webhook)
{
	json_object *args, *md, *pl;

	if ((args = json_object_new_object()) == NULL)
		return NULL;
	if (!webhook)
		hub_slackpost_arg(args, "channel", po->target);
	hub_slackpost_arg(args, "text", po->text);
	if (po->blocks != NULL)
		json_object_object_add(args, "blocks", json_object_get(po->blocks));
	if (po->thread_ts != NULL)
		hub_slackpost_arg(args, "thread_ts", po->thread_ts);
	if (webhook)
		return args;
	json_object_object_add(args, "unfurl_links", json_object_new_boolean(0));
	json_object_object_add(args, "unfurl_media", json_object_new_boolean(0));
	if ((md = json_object_new_object()) == NULL ||
	    json_object_object_add(args, "metadata", md) != 0 ||
	    (pl = json_object_new_object()) == NULL) {
		json_object_put(args);
		return NULL;
	}
	json_object_object_add(md, "event_type", json_object_new_string("hub_delivery"));
	json_object_object_add(md, "event_payload", pl);
	json_object_object_add(pl, "key", json_object_new_string(po->key));
	return args;
}

/*
 * Send one Slack message exactly once (webhooks: at least once).  The
 * intent is committed before the post; a run that finds its own intent
 * without a ts looks for the message by key first.
 */
enum hub_uo
hub_slackpost_send(struct hub_notify *d, struct hub_post *po)
{
	struct hub_slack_result res;
	struct hub_intent in;
	json_object *args, *v;
	int rc, webhook = strcmp(po->transport, "webhook") == 0;
	enum hub_uo out;

	po->ts[0] = po->channel[0] = '\0';
	if (!post_claim(d, po, &in, &out))
		return out;
	if (hub_notifyjob_stopping(d)) {
		d->stop = 1;
		return HUB_UO_RETRY;
	}
	if ((args = post_args(po, webhook)) == NULL) {
		hub_notifyjob_retry(d, -1, "nomem", "out of memory");
		return HUB_UO_RETRY;
	}
	hub_slack_result_init(&res);
	if (!webhook)
		rc = hub_connections_call(d->env->db, &d->sl, &d->conn, "chat.postMessage",
		    po->target, args, &res);
	else
		rc = hub_connections_webhook_post(d->env->db, &d->sl, &d->conn, args, &res);
	if (rc == HUB_CONN_OK) {
		if (!webhook && json_object_object_get_ex(res.resp, "ts", &v))
			hub_notifyjob_copy(po->ts, sizeof(po->ts), json_object_get_string(v));
		if (!webhook && json_object_object_get_ex(res.resp, "channel", &v))
			hub_notifyjob_copy(po->channel, sizeof(po->channel),
			    json_object_get_string(v));
		out = hub_outbox_done(d, in.id, po) == 0 ? HUB_UO_OK : HUB_UO_RETRY;
		if (out == HUB_UO_OK)
			d->sent++;
	} else
		out = slack_error(d, po, in.id, rc, &res);
	json_object_put(args);
	hub_slack_result_free(&res);
	return out;
}
