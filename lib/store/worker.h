/*
 * worker.h - the job runner behind approvalhub-worker.
 *
 * One job at a time per process (run more processes to scale): claim a due
 * job (jobs.h), run the handler its kind names in a static table, record
 * the outcome with hub_job_done / hub_job_fail, or give the job back with
 * hub_job_release when shutdown interrupted it.  When nothing is due it
 * LISTENs and waits up to idle_wait_ms for a NOTIFY, so scheduled retries
 * are picked up without one.  When PostgreSQL goes away it keeps trying
 * with backoff and logs once per failure streak.  A job is never lost: if
 * the outcome cannot be written the lease runs out and the job is claimed
 * again (delivery is at least once; receivers dedupe).
 *
 * Job kinds:
 *   http_post  {"url": "http(s)://...", "body": <JSON value or string>,
 *               "headers": {"X-Name": "value", ...}      optional,
 *               "sign_secret": "..."                     optional, or
 *               "sign_secret_sealed": "v1.<kid>...."     (hub_box_seal),
 *               "timeout_ms": 100..60000                 optional, 10000}
 *     A string body is sent as is, any other value serialized compactly.
 *     With a secret it adds X-Hub-Request-Timestamp and
 *     X-Hub-Signature: v1=hex(HMAC-SHA256(secret, "v1:" ts ":" body)) over
 *     the exact bytes sent.  2xx: done.  408/429/5xx, timeouts, connect and
 *     transport errors: retry (Retry-After honoured on 429/503), until the
 *     job's deadline or 24 hours after it was created.  Other statuses and a
 *     malformed payload: failed for good.  Each attempt's status is recorded.
 *
 *   notify         {"request_id", "kind", ...} (engine.h): Slack messages,
 *                  webhook posts and emails (deliver.h).
 *   sync           {"request_id"}: chat.update of every sent copy (msgsync.h).
 *   slack_respond  a response_url reply: ephemeral notes, stale buttons
 *                  removed (interact.h).
 *   home_publish   an approver's App Home tab (home.h).
 *   Handlers outside this file have the hub_job_handler signature of
 *   jobenv.h; the kinds table in worker.c is the only place they meet.
 *
 * Delivery tracking, for every kind: a payload with "delivery_id" names a
 * delivery_log row.  It reads 'sending' during an attempt, then, in the
 * same transaction as the job's outcome, 'delivered', 'retrying' (retries =
 * failed attempts so far, error_code such as "http_503", "timeout",
 * "connect", error_detail) or 'failed' (permanent, or the job gave up;
 * retries = attempts - 1).
 *
 * Sweeps: every sweep_s seconds, and once at start, the engine's
 * hub_engine_expire_due / remind_due / lapse_due run in batches of 100.
 * Safe on any number of workers (the engine skips locked rows).  A line is
 * logged only when something was swept.
 *
 * SLACK_BOT_TOKEN: before the first job the worker makes it the SLACK_APP
 * connection "default" (hub_connections_bootstrap_env).  While Slack or
 * the database does not answer it tries again between jobs, 1 s doubling
 * to 60 s, logging each failure (env_connection_failed ... retry_in=);
 * other jobs keep running meanwhile, but notifications are retried with
 * the usual backoff (error code slack_env_pending) instead of being run,
 * so none is dropped for want of a connection.  A token Slack refuses is
 * logged once as an error and not retried.
 *
 * Never logs URLs, headers or bodies (webhook URLs are secrets).
 */
#ifndef HUB_WORKER_H
#define HUB_WORKER_H

#include <signal.h>
#include <stdint.h>
#include <json-c/json.h>
#include "base/conf.h"
#include "store/db.h"
#include "store/jobs.h"

struct hub_worker_opts {
	const char		*database_url;
	const unsigned char	*secret_key;      /* 32 bytes, opens sealed secrets; may be NULL */
	const char		*id;              /* locked_by */
	int			 lease_s;         /* default 60 */
	int			 once;            /* exit when nothing is due */
	int			 backoff_base_ms; /* -1: hub_job_fail's own backoff */
	int			 idle_wait_ms;    /* default 5000 */
	int			 sweep_s;         /* engine sweeps every n s; 0: never */
	const struct hub_conf	*conf;            /* handed to job handlers (PUBLIC_URL, SLACK_API_URL...) */
};

enum hub_worker_verdict {
	HUB_WORKER_DONE = 0,  /* remote effect confirmed */
	HUB_WORKER_RETRY,     /* transient: try again later */
	HUB_WORKER_FAIL,      /* permanent */
	HUB_WORKER_RELEASE,   /* interrupted by shutdown: give back, no attempt counted */
};

/* What a handler reports about one attempt. */
struct hub_worker_result {
	int		 verdict;
	int		 retry_after;  /* seconds, -1 = exponential backoff */
	const char	*reason;      /* static, safe to log: "HTTP 503", "timeout"... */
	char		 code[32];    /* delivery_log.error_code: "http_503", "timeout"... */
	char		 detail[256]; /* stored with the attempt; never a URL or a body */
};

/* Run until *stop is set (or, with opts->once, until nothing is due).
 * 0 on a clean exit, -1 on a fatal error (logged). */
int	hub_worker_run(const struct hub_worker_opts *, const volatile sig_atomic_t *stop);

/* Enqueue an http_post job inside the caller's transaction (see jobs.h).
 * The signing secret is sealed with SECRET_KEY (hub_conf_get) before it is
 * stored; NULL sends the request unsigned.  body is borrowed; dedupe_key may
 * be NULL.  Returns a hub_db_err (HUB_DB_CHECK for a bad URL, or a secret
 * that cannot be sealed). */
int	hub_worker_enqueue_http_post(struct hub_db *, const char *url, json_object *body,
	    const char *sign_secret, const char *dedupe_key);

#endif
