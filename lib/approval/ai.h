/*
 * ai.h - AI analysis and embeddings of requests: the worker's jobs
 * ai_analyze and ai_embed (queued by the engine at creation, outbound.h),
 * the backfill of missing embeddings (`approvalhub embed --missing`), and
 * the request's "ai" object as the API, Slack and the dashboard show it.
 *
 * Analysis (INFERENCE_URL): the whole request (source, title, requester,
 * amounts, dates, metadata, justification, approvers) goes to the chat
 * endpoint at temperature 0 as one JSON document fenced between the lines
 * "<<<REQUEST" and "REQUEST>>>" and declared as data, never instructions.
 * JSON text holds no raw newline, so nothing in the request can close the
 * fence.  The answer is checked (base/inference.h) before it is stored
 * with the model and the time; an answer that fails the checks is asked
 * for once more in the same attempt, then the analysis is recorded as
 * failed.  A service that does not answer (timeout, 5xx, 429 with its
 * Retry-After) is retried by the job with backoff; when the job runs out
 * of attempts the analysis is recorded as failed.  Done or failed, every
 * Slack copy of the request is updated (a sync job).
 *
 * Embeddings (EMBEDDING_URL): the request's title, justification,
 * requester, source and metadata values as one text, stored in
 * request_embeddings as real[] with the model and the time.  Failures are
 * retried with backoff (a 429's Retry-After honoured); intake never waits.
 *
 * Timeouts: INFERENCE_TIMEOUT_MS (default 20000) per call, never past the
 * job's lease.
 */
#ifndef HUB_AI_H
#define HUB_AI_H

#include "base/conf.h"
#include "base/httpc.h"
#include "store/db.h"
#include "store/job.h"
#include "store/sqlfrag.h"

/* Jobs give up this long after the request was created. */
#define HUB_AI_JOB_MAX_AGE_S	86400

/*
 * The request's "ai" object as SQL (r: the alias of requests):
 * {"status": off|pending|done|failed, "summary", "risk_score",
 * "risk_reasons", "model", "analyzed_at", "error"}.  The answer's fields
 * are null unless the status is done (never a made-up 0), error unless
 * failed.
 */
#define HUB_AI_JSON(r) \
	"json_build_object('status', " r ".ai_status," \
	" 'summary', CASE WHEN " r ".ai_status = 'done' THEN " r ".ai_summary END," \
	" 'risk_score', CASE WHEN " r ".ai_status = 'done' THEN " r ".risk_score END," \
	" 'risk_reasons', CASE WHEN " r ".ai_status = 'done' THEN " r ".ai_reasons END," \
	" 'model', " r ".ai_model," \
	" 'analyzed_at', " HUB_SQL_ISO(r ".ai_analyzed_at") "," \
	" 'error', CASE WHEN " r ".ai_status = 'failed' THEN " r ".ai_error END)"

/* The worker's handlers (job.h). */
void	hub_job_ai_analyze(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);
void	hub_job_ai_embed(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

/* Embed every request that has no embedding, oldest first, in batches;
 * progress (may be NULL) is called after each request with the counts so
 * far and the total at the start.  Stops at the first failure of the
 * service (a hub_ai code) or the database.  0 = HUB_AI_OK. */
enum hub_ai_err {
	HUB_AI_OK = 0,
	HUB_AI_NOT_CONFIGURED,	/* EMBEDDING_URL is not set */
	HUB_AI_SERVICE,		/* the service failed: why says how */
	HUB_AI_DB,
	HUB_AI_NOMEM,
};
typedef void (*hub_ai_progress)(void *arg, long done, long total);
int	hub_ai_embed_missing(struct hub_db *, const struct hub_conf *, struct hub_httpc *,
	    hub_ai_progress, void *arg, long *done, char *why, size_t whylen);

/* The embedding text of a request: its fields as the statements build it,
 * bounded (characters). */
#define HUB_AI_EMBED_TEXT_MAX	8000

#endif
