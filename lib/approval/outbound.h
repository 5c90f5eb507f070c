/*
 * outbound.h - the jobs the approval engine hands to the worker: their
 * kinds, payloads, dedupe keys and retry windows, built and read here and
 * nowhere else.
 *
 * The engine (this layer) produces them; their consumers sit a layer up
 * (notify/deliver.c runs "notify", notify/msgsync.c "sync",
 * notify/callbacks.c "http_post") and cannot be included from here, so a
 * kind's wire format lives with its producer and the consumer reads it
 * through this header.  Enqueueing happens in the caller's transaction
 * (jobs.h).
 *
 *   notify     {"request_id", "kind", "assignment_id"?, "step"?, "reason"?}
 *              dedupe "notify:<request>:<kind>:<assignment or step>:<gen>";
 *              gen is 1, or the reminder's epoch time for reminders, and
 *              names the notification's generation (deliver.h).
 *   sync       {"request_id"}: update every sent copy; no dedupe key (a
 *              sync already running may have read the state before the
 *              change that queues the next one).  One behind the rate
 *              limit or past its time budget is put back, the same job.
 *   http_post  {"url", "body", "sign_secret_sealed"?, "delivery_id"?, ...}
 *              (callbacks.h has the whole payload), retried for 24 hours
 *              with at least 50 attempts; the decision callback's dedupe
 *              key is "callback:<request>:<status>"; the job's target is
 *              the URL's host:port (per-host cap and circuit breaker).
 */
#ifndef HUB_OUTBOUND_H
#define HUB_OUTBOUND_H

#include <stdint.h>
#include <json-c/json.h>
#include "store/db.h"
#include "store/jobs.h"

#define HUB_OUTBOUND_NOTIFY		"notify"
#define HUB_OUTBOUND_SYNC		"sync"
#define HUB_OUTBOUND_HTTP_POST		"http_post"
/* {"request_id"}, dedupe "<kind>:<request>": the engine queues them at
 * creation when embeddings / inference are configured; approval/ai.c
 * runs them. */
#define HUB_OUTBOUND_AI_EMBED		"ai_embed"
#define HUB_OUTBOUND_AI_ANALYZE		"ai_analyze"
/* A decision callback is retried this long (DESIGN "Decision callback"),
 * with enough attempts for the default backoff to span it. */
#define HUB_OUTBOUND_HTTP_POST_MAX_AGE_S	86400
#define HUB_OUTBOUND_HTTP_POST_ATTEMPTS		50
#define HUB_OUTBOUND_KEY_MAX		300   /* jobs.dedupe_key's limit */
#define HUB_OUTBOUND_TARGET_MAX		301   /* jobs.target: host:port, 300 */

/*
 * The notify dedupe key as SQL, for a producer that writes its notify jobs
 * in a statement of its own (the engine's one-round-trip create, with
 * HUB_JOB_INSERT_SQL): each argument is an SQL expression (text or a
 * number).  The same format as hub_outbound_notify_key.
 */
#define HUB_OUTBOUND_NOTIFY_KEY_SQL(req, kind, target, gen) \
	"'notify:' || " req " || ':' || " kind " || ':' || " target " || ':' || " gen

/* The worker's lane that sends emails (bin/approvalhub-worker.c): a
 * notify job about to send one is handed over to it (notify/mailout.c),
 * and one that can only end in an email starts there. */
#define HUB_OUTBOUND_LANE_EMAIL		"email"

/* Queue a notify job; asg 0 = none (target is then the step), step 0 =
 * none, reason may be NULL, lane NULL: its kind's.  A hub_db_err. */
int	hub_outbound_notify(struct hub_db *, const char *request_id, const char *kind,
	    int64_t asg, int step, const char *reason, long long gen, const char *lane);
/* The generation of a notify job: the last part of its dedupe key, or
 * the job id when it has no key of that form.  out gets at most n bytes. */
void	hub_outbound_notify_gen(const struct hub_job *, char *out, size_t n);

/* Queue a sync of every sent copy of a request, due now.  A hub_db_err. */
int	hub_outbound_sync(struct hub_db *, const char *request_id);

/* Queue an http_post job: url, body (borrowed), the signing secret sealed
 * with SECRET_KEY (NULL: unsigned), the delivery_log row it reports to
 * (0: none), the source whose callback allowlist applies (NULL: the global
 * one, netpolicy.h), dedupe_key (NULL: none).  *id may be NULL. */
int	hub_outbound_http_post(struct hub_db *, const char *url, json_object *body,
	    const char *sign_secret_sealed, int64_t delivery_id, const char *source_id,
	    const char *dedupe_key, int64_t *id);
/* The decision callback of a request that reached status: an http_post
 * with the dedupe key "callback:<request>:<status>", so each outcome is
 * called back once. */
int	hub_outbound_callback(struct hub_db *, const char *request_id, const char *status,
	    const char *url, json_object *body, const char *sign_secret_sealed,
	    int64_t delivery_id, const char *source_id, int64_t *id);

#endif
