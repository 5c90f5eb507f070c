/*
 * msgsync.h - keeping the Slack copies of a request up to date, and
 * forgetting them after the retention period (DESIGN.md "Slack delivery":
 * "after each decision the worker chat.updates every copy").
 *
 * The "sync" job {"request_id"} (engine.h enqueues it after every change
 * a sent copy should show: decisions, progress under all/quorum, cancel,
 * expiry, reassignment):
 *   - loads the request, its steps (with the tally the engine uses), its
 *     assignments and every live sent_messages row of the request whose
 *     kind carries the call to act (call_for_action, delegate_call,
 *     external_approver, reminder, manual_reminder, approver_added; never
 *     the requester's decision DM, info, watcher or mention thread replies);
 *   - for each copy, i.e. each distinct (connection, channel, ts), builds
 *     the render context (render.h) of that copy's assignment, step and
 *     the kind it was sent as (a live card keeps its words),
 *     picks the variant (hub_render_sync_pick; a Cancelled or Expired
 *     request shows CANCELLED / EXPIRED on every copy, also on those of
 *     approvers who had decided) and renders it.  A copy
 *     whose rows name several assignments (a channel message for a group)
 *     is rendered once, without an assignment, and updated once.  A copy
 *     without an assignment belongs to the step that was active when it
 *     was posted;
 *   - skips the copy when sent_messages.shown_hash already equals the
 *     SHA-256 of the rendered blocks and text, else chat.updates it
 *     (channel, ts, blocks, text) through hub_connections_call with the
 *     copy's connection and stores the hash with the answer.  Retries and
 *     duplicate sync jobs therefore cost no Slack call;
 *   - skips webhook copies (an incoming webhook returns no ts: nothing to
 *     update) and copies of disabled connections, and counts them;
 *   - answers: message_not_found, cant_update_message, channel_not_found,
 *     is_archived -> the copy is marked gone (gone_at) and never tried
 *     again; other channel errors -> skipped this time; ratelimited ->
 *     RETRY after Retry-After (a short refusal by our own bucket, up to
 *     3 s, is waited out in place while the lease allows); AUTH -> the
 *     connection is disabled (connections.c) and its copies skipped;
 *     transient -> RETRY; invalid payloads -> logged, job FAIL at the end.
 *     Copies done before a RETRY keep their hash: the retry skips them;
 *   - one sync per request at a time (a session advisory lock): a second
 *     job for the same request waits (RETRY in 2 s) instead of racing an
 *     older view of the request onto the messages;
 *   - once the request is finished and this run changed a copy (or there
 *     were none to change), marks a Home tab publish (hub_home_enqueue)
 *     for every approver and the requester with a Slack id, on the
 *     connection of their copy or the request's resolved connection, so
 *     the request leaves "Waiting for you" / "Your requests".
 * The job's detail counts: updated, unchanged, webhook, disabled, gone,
 * failed.
 *
 * Retention: hub_msgsync_retention_sweep() deletes sent_messages rows
 * older than settings "retention.sent_messages_days" (a JSON number of
 * days, 1..3650; default 30, absent or malformed -> 30) and
 * slack_user_cache rows past expires_at, in batches of
 * HUB_MSGSYNC_RETENTION_BATCH, at most HUB_MSGSYNC_RETENTION_ROUNDS
 * batches per table per call (the rest waits for the next sweep).  Each
 * batch is its own statement, safe on any number of workers.  The worker
 * runs it with its other sweeps (hub_msgsync_sweep, --sweep-seconds).  To keep
 * records 90 days:
 *   INSERT INTO settings (key, value) VALUES ('retention.sent_messages_days',
 *     '90') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
 *
 * Never logs tokens, message bodies or channel contents; a log line names
 * the request, the channel id and Slack's error code.
 */
#ifndef HUB_MSGSYNC_H
#define HUB_MSGSYNC_H

#include "store/db.h"
#include "store/job.h"

enum hub_msgsync_err {
	HUB_MSGSYNC_OK = 0,
	HUB_MSGSYNC_DB,		/* database error (hub_db_last_error) */
	HUB_MSGSYNC_UNAVAILABLE,/* database unreachable */
};

#define HUB_MSGSYNC_RETENTION_BATCH	1000
#define HUB_MSGSYNC_RETENTION_ROUNDS	10

/* Worker job "sync" {"request_id"}.  Worker row: { "sync", hub_job_sync, 0 }. */
void	hub_job_sync(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

/* Delete expired sent-message records and lookup-cache rows (above);
 * *deleted (may be NULL) gets how many rows went. */
int	hub_msgsync_retention_sweep(struct hub_db *, int *deleted);
/* The same as the worker's sweep (job.h), logging what it deleted. */
int	hub_msgsync_sweep(struct hub_job_env *);

const char *hub_msgsync_strerror(int);

#endif
