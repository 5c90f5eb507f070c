/*
 * callbacks.h - outbound HTTP POSTs: the "http_post" job, which carries the
 * decision callback to a source system (DESIGN "Decision callback").
 *
 * Payload {"url": "http(s)://...", "body": <JSON value or string>,
 *          "headers": {"X-Name": "value", ...}      optional,
 *          "sign_secret": "..."                     optional, or
 *          "sign_secret_sealed": "v1.<kid>...."     (hub_box_seal),
 *          "timeout_ms": 100..60000                 optional, 10000,
 *          "delivery_id": n                         optional (worker.h)}
 * A string body is sent as is, any other value serialized compactly.
 * With a secret it adds X-Hub-Request-Timestamp and
 * X-Hub-Signature: v1=hex(HMAC-SHA256(secret, "v1:" ts ":" body)) over the
 * exact bytes sent.  2xx: done.  408/429/5xx, timeouts, connect and
 * transport errors: retry (Retry-After honoured on 429/503), until the
 * job's deadline (24 hours after it was created, outbound.h).  Other
 * statuses and a malformed payload: failed for good.  Each attempt's
 * status is recorded.  Connecting may take 2 s at most.
 *
 * Circuit breaker per host:port (table callback_hosts): 3 failed
 * attempts in a row (the retry cases above) open the circuit for 30 s,
 * doubling with each further failure up to 10 minutes; while it is open
 * every queued job of that host waits (run_at moved to when it closes,
 * hub_job_defer_target) and a job claimed meanwhile is deferred without an
 * attempt.  Any answer that is not a failure of the host closes it.  The
 * worker's callbacks lane also runs at most a few jobs per host at once
 * (jobs.target, worker.h).  Never logs URLs, headers or bodies (webhook URLs
 * are secrets).
 *
 * The kind's name, retry window and the queue spec are outbound.h's: the
 * engine, one layer down, queues the decision callback itself.
 */
#ifndef HUB_CALLBACKS_H
#define HUB_CALLBACKS_H

#include <json-c/json.h>
#include "store/db.h"
#include "store/job.h"

/* Worker row: { HUB_OUTBOUND_HTTP_POST, hub_job_http_post, ... }. */
void	hub_job_http_post(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

#endif
