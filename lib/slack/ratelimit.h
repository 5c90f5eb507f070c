/*
 * ratelimit.h - token buckets shared by every worker on every host through
 * PostgreSQL's rate_buckets table, so all of them together respect one
 * Slack budget.
 *
 * A bucket holds up to `burst` tokens and refills at rate_per_minute / 60
 * tokens a second.  hub_ratelimit_acquire() is ONE statement (INSERT ... ON
 * CONFLICT DO UPDATE ... RETURNING): the row lock it takes serialises
 * concurrent takers, and the refill is computed from the latest committed
 * row under that lock, so two takers never both get the last token.  Time
 * is the database server's now(), one clock for all hosts.  Call it outside
 * a transaction: inside one, now() is the transaction's start (the answer
 * stays safe — it can only under-grant — but the row stays locked until
 * commit).
 *
 * A 429 from Slack calls hub_ratelimit_penalize(): nobody takes a token from
 * that bucket before Retry-After has passed, and afterwards it restarts with
 * one token.
 *
 * Keys used by the hub (see hub_slack_method_bucket() in slackapi.h):
 *   "<team>:<method>"                  per-method tier (Tier 2 20/min,
 *                                      Tier 3 50/min, Tier 4 100/min)
 *   "<team>:chat.postMessage:<channel>" 1/s per channel, bursts of 3
 *   "<team>:chat.postMessage"          workspace cap, settings key
 *                                      "slack.workspace_cap_per_minute",
 *                                      default HUB_RATELIMIT_WORKSPACE_CAP
 *   "webhook:<connection id>"          1/s per incoming webhook
 * Never calls Slack; only the sweep logs.
 */
#ifndef HUB_RATELIMIT_H
#define HUB_RATELIMIT_H

#include "store/db.h"
#include "store/job.h"

enum hub_ratelimit_err {
	HUB_RATELIMIT_OK = 0,    /* a token was taken (acquire) or the block set */
	HUB_RATELIMIT_WAIT,      /* no token: *wait_ms says when to come back */
	HUB_RATELIMIT_INVALID,   /* bad key, rate or burst */
	HUB_RATELIMIT_DB,        /* see hub_db_last_error */
};

/* Slack documents "several hundred messages a minute" per workspace for
 * chat.postMessage without a number; 300 is the low end of that. */
#define HUB_RATELIMIT_WORKSPACE_CAP	300
#define HUB_RATELIMIT_KEY_MAX		200   /* rate_buckets.bucket CHECK */

struct hub_ratelimit_bucket {
	char	key[HUB_RATELIMIT_KEY_MAX + 1];
	int	per_minute;   /* refill */
	int	burst;        /* capacity */
};

/* Take one token from `key`.  HUB_RATELIMIT_OK with *wait_ms = 0, or
 * HUB_RATELIMIT_WAIT with *wait_ms > 0: when to come back, at the caller's
 * place in line behind those refused before (a token or the end of a 429
 * block, ratelimit.c).  Nobody waits here: a job is deferred that long
 * (job.h HUB_JOB_DEFER), a request handler answers without it.  A bucket is created full on first use; a changed rate or burst
 * applies from the next call. */
int	hub_ratelimit_acquire(struct hub_db *, const char *key, int rate_per_minute,
	    int burst, long *wait_ms);
/* Take a token from each bucket in order; stops at the first refusal with
 * its wait (tokens already taken from earlier buckets are spent: the budget
 * is under-used, never exceeded).  Put the scarcest bucket first. */
int	hub_ratelimit_acquire_all(struct hub_db *, const struct hub_ratelimit_bucket *,
	    size_t n, long *wait_ms);
/* Slack answered 429 with Retry-After: block the bucket that long (a longer
 * block already in place is kept).  retry_after_s < 1 counts as 1. */
int	hub_ratelimit_penalize(struct hub_db *, const char *key, int retry_after_s);
/* settings "slack.workspace_cap_per_minute" (a JSON number 1..100000), or
 * HUB_RATELIMIT_WORKSPACE_CAP when absent or malformed. */
int	hub_ratelimit_workspace_cap(struct hub_db *);
/* The worker's sweep (store/job.h): deletes buckets that have refilled
 * completely, are not blocked and have nobody in line (one per channel
 * ever posted to would pile up otherwise); a later acquire recreates them
 * full, which is what they hold.  Logs what it deleted at debug level. */
int	hub_ratelimit_sweep(struct hub_job_env *);

#ifdef HUB_UNITTEST
/* HUB_STATIC in ratelimit.c: the sweep's statement, *deleted rows. */
int	hub_ratelimit_cleanup(struct hub_db *, long *deleted);
#endif

#endif
