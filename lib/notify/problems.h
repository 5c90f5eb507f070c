/*
 * problems.h - delivery problems for the admin (web/pagedeliveries):
 * Slack messages, webhook posts, emails and source callbacks that failed
 * or are waiting to be tried again, what went wrong with the fix, the job
 * queue by kind and state, the outcomes of recent deliveries (a chart),
 * and an admin's Retry.
 *
 * Every read is bounded by an index of 0015 or 0001: the problem rows
 * (delivery_log_problems), the live queue (jobs_live_kind), the jobs that
 * finished in the last 24 hours (jobs_finished), outcomes in a window
 * (delivery_log_status_created).
 *
 * Retry is the one change: in one transaction it requeues the delivery's
 * job through store/jobs (hub_job_retry: run now, a few more attempts),
 * marks every failed delivery of that job "retrying" (so the notify job
 * sends them again instead of replaying the failure, deliver.c), and
 * appends "delivery.retried" to the audit log (engine.h).  The worker
 * then does the work as for any job.
 *
 * Objects handed out are the caller's.  Never logs.
 */
#ifndef HUB_PROBLEMS_H
#define HUB_PROBLEMS_H

#include <stdint.h>
#include <json-c/json.h>

#include "approval/engine.h"
#include "store/db.h"

enum hub_problems_err {
	HUB_PROBLEMS_OK = 0,
	HUB_PROBLEMS_NOTFOUND,     /* no such delivery */
	HUB_PROBLEMS_CONFLICT,     /* nothing to retry: delivered, sending, no job, job running */
	HUB_PROBLEMS_UNAVAILABLE,  /* the database is unreachable */
	HUB_PROBLEMS_DB,
};

#define HUB_PROBLEMS_LIST_MAX	200

/* The newest failed and retrying deliveries (at most limit, <=
 * HUB_PROBLEMS_LIST_MAX): [{"id", "request_id", "title", "job_id", "kind",
 * "transport", "channel", "recipient", "status", "retries", "error_code",
 * "error_detail", "created_at", "updated_at", "job_state", "attempts",
 * "max_attempts", "run_at", "last_error", "fix", "can_retry"}]. */
int	hub_problems_list(struct hub_db *, int limit, json_object **out);
/* [{"kind", "state", "n"}]: queued and running jobs, and the jobs that
 * finished (done, failed) in the last 24 hours. */
int	hub_problems_queue(struct hub_db *, json_object **out);
/* [{"status", "n"}] of the deliveries made in the last days days (UTC days,
 * today included), one row per status. */
int	hub_problems_outcomes(struct hub_db *, int days, json_object **out);
/* The fix an admin can apply for a delivery's error code on transport
 * (slack, webhook, email, callback); never NULL. */
const char *hub_problems_fix(const char *transport, const char *code);
/* Retry delivery id as actor (see above).  *job_id (may be NULL) gets the
 * job requeued. */
int	hub_problems_retry(struct hub_db *, int64_t id, const struct hub_actor *,
	    int64_t *job_id);

#endif
