/*
 * deliver.h - the "notify" job: every notification of a request reaches
 * its people through Slack (DM, group DM, channel post with @mentions, an
 * incoming webhook) or by email, exactly once.
 *
 * Payload (approval/outbound.h): {"request_id", "kind", "assignment_id"?, "step"?,
 * "reason"?}.  Assignment kinds (call_for_action, delegate_call, reminder,
 * manual_reminder, approver_added, approver_removed) reach that approver;
 * request kinds reach decision -> the requester, watcher -> each watcher,
 * deadline_expired -> the requester and the step's undecided approvers
 * (each in words of their own: render.h "audience").
 *
 * Resolution, first set wins: connection step -> request -> source ->
 * default connection; channel step -> request -> source -> settings
 * "delivery.channel" -> the connection's default channel; mode step ->
 * request -> source -> settings "delivery.mode" (default "dm").  Webhook
 * connections always post to their own channel, which everyone there
 * reads: a post asking to decide carries no decision link, it names the
 * approvers, and each approver gets their own link by email (no address
 * known: a failed delivery_log row, no_email).  Requesters and watchers
 * get DMs (the webhook's channel on webhook connections).
 *
 * Modes (SLACK_APP): dm, one chat.postMessage per person; group_dm, the
 * undecided approvers of the step (of their hub group when they came from
 * one), 2..8 of them, share one conversations.open mpim message; channel,
 * ONE message per step and notification with @mentions of its undecided
 * approvers, batches past 50 as thread replies (the first job posts it,
 * the others find it and are done); both, dm + channel.  An assignment
 * added after the shared message went out gets a message of its own.
 *
 * People: Slack ids as they are; emails through hub_slack_lookup_email
 * (the resolved id is stored in assignments.slack_user_id).  Not in Slack
 * -> settings "delivery.user_not_found": "EMAIL" (default; the email form
 * with a decision link, external_approver for a call for action), "SKIP"
 * or "LOG_ONLY" (a failed delivery_log row, error users_not_found).  A
 * plain INCOMING_WEBHOOK cannot look up: the message names them.  A
 * send answered user_not_found drops the cached lookup.  A dead token
 * (connections.c disables the connection) or a disabled connection ->
 * email to everyone the message was for.
 *
 * Exactly once: every message is a delivery_log row with a unique
 * delivery_key, inserted and committed ('sending') before the post; the
 * post carries metadata {"event_type":"hub_delivery","event_payload":
 * {"key"}}; the ts is stored with the sent_messages rows (one per
 * assignment the message reaches) in one transaction.  A retry that finds
 * its intent without a ts asks conversations.history (from 60 s before the
 * intent) for a message with that key and adopts it instead of posting
 * again.  Webhook posts, thread replies and emails cannot be looked up:
 * they are at least once (only a crash between the send and the commit
 * repeats one).
 *
 * Verdicts: ratelimited -> RETRY after Retry-After (the shared bucket is
 * penalised by hub_connections_call); transient (5xx, timeout) -> RETRY
 * with backoff; channel errors (not_in_channel, channel_not_found,
 * is_archived) -> FAIL with the fix in the delivery_log row; invalid
 * (a bug) -> FAIL, Slack's messages logged; SMTP transient -> RETRY,
 * permanent -> FAIL.  No connection resolves at all (none on the step,
 * request or source, no default): for each person a failed Slack
 * delivery_log row (no_connection, the fix in its detail), then
 * "delivery.user_not_found" as for someone Slack does not know (EMAIL:
 * the email form; SKIP, LOG_ONLY: nothing more).
 *
 * After a decision the step's approvers' Home tabs are republished
 * (hub_home_enqueue) when the connection is a SLACK_APP.
 *
 * The work is done by the modules beside this one (README.md): routing.h
 * (resolution), fanout.h (who), stepmsg.h and groupdm.h (shared
 * messages), recipient.h (one person), outbox.h (exactly once),
 * slackpost.h and mailout.h (one Slack message, one email), msgctx.h
 * (what a message says), notifyjob.h (the state they share).
 */
#ifndef HUB_DELIVER_H
#define HUB_DELIVER_H

#include "store/job.h"

/* The "notify" job (bin/approvalhub-worker.c's kinds table); payload and
 * dedupe key are approval/outbound.h's. */
void	hub_job_notify(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

#endif
