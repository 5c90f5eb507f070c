/*
 * job.h - the contract between the worker and a job handler: what a
 * handler gets to work with (the environment), what it reports (a result
 * with a verdict), and the helper every handler uses to set it.
 *
 * A handler runs one attempt of one claimed job and reports the outcome in
 * the result; it never commits the job's state itself (the runner,
 * worker.h, does, with hub_job_done / hub_job_fail / hub_job_release).  It
 * may run its own short transactions on env->db for the state it owns
 * (sent messages, delivery log), but must leave no transaction open.
 *
 * Handlers and sweeps include this header, never worker.h: the worker program
 * (bin/approvalhub-worker.c) owns the table that maps a job kind to its
 * handler, as a cgi-bin program owns its route table.
 */
#ifndef HUB_JOB_H
#define HUB_JOB_H

#include <signal.h>
#include "base/common.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/httpc.h"
#include "base/smtp.h"
#include "store/db.h"
#include "store/jobs.h"

struct hub_job_env {
	struct hub_db			*db;
	struct hub_httpc		*http;   /* one libcurl handle per process */
	struct hub_smtp			*smtp;   /* the process's SMTP session (NULL: a
						  * connection per message) */
	const struct hub_keyring	*keys;   /* opens sealed secrets */
	const struct hub_conf		*conf;   /* PUBLIC_URL, SLACK_API_URL, SMTP_URL... */
	const volatile sig_atomic_t	*stop;   /* shutdown asked: give the job back */
	int				 lease_s; /* the job is ours this long: bound timeouts by it */
	const char			*lane;   /* the lane running the job; NULL: lanes
						  * are off (WORKER_LANES=off, --once) */
};

enum hub_job_verdict {
	HUB_JOB_DONE = 0,  /* remote effect confirmed */
	HUB_JOB_RETRY,     /* transient: try again later */
	HUB_JOB_FAIL,      /* permanent */
	HUB_JOB_RELEASE,   /* interrupted by shutdown: give back, no attempt counted */
	HUB_JOB_DEFER,     /* not now (no rate-limit token, an open circuit): run
			    * again in defer_ms, no attempt counted, nothing slept */
};

#define HUB_JOB_CODE_MAX	32
#define HUB_JOB_DETAIL_MAX	256

/* What a handler reports about one attempt. */
struct hub_job_result {
	int		 verdict;
	int		 retry_after;  /* seconds, -1 = exponential backoff */
	long		 defer_ms;     /* HUB_JOB_DEFER: run again this much later */
	const char	*lane;         /* HUB_JOB_DEFER: in this lane from now on (static;
				        * NULL: its own) */
	const char	*reason;       /* static, safe to log: "HTTP 503", "timeout"... */
	char		 code[HUB_JOB_CODE_MAX];     /* delivery_log.error_code: "http_503"... */
	char		 detail[HUB_JOB_DETAIL_MAX]; /* stored with the attempt; never a URL or a body */
};

typedef void (*hub_job_handler)(struct hub_job_env *, const struct hub_job *,
    struct hub_job_result *);

/* A periodic sweep the worker runs (expiry, reminders, retention, token
 * refresh): it works in bounded batches, logs what it did and its own
 * failures, and returns HUB_JOB_SWEEP_OK, or HUB_JOB_SWEEP_DB_DOWN when
 * the database did not answer (the worker backs off).  Safe on any number
 * of workers at once. */
enum { HUB_JOB_SWEEP_OK = 0, HUB_JOB_SWEEP_DB_DOWN };
typedef int (*hub_job_sweep)(struct hub_job_env *);

/* Empty result: DONE, backoff retry_after, no reason, code or detail. */
void	hub_job_result_init(struct hub_job_result *);
/*
 * The verdict of this attempt, replacing whatever was set before: reason
 * is static text for the log, code the delivery_log error code (NULL:
 * none; a longer one, such as a Slack error name, is cut, not refused),
 * the detail formatted and cut to fit.  retry_after goes back to -1
 * (backoff) and lane to NULL: set them afterwards for a RETRY that knows
 * better, a DEFER that hands the job to another lane.
 */
void	hub_job_result_set(struct hub_job_result *, int verdict, const char *reason,
	    const char *code, const char *fmt, ...) HUB_PRINTF(5, 6);
/* HUB_JOB_DEFER for delay_ms, with a static reason.  0: due at once, and
 * the requeue wakes the idle workers (a later run_at wakes nobody). */
void	hub_job_result_defer(struct hub_job_result *, long delay_ms, const char *reason);
/* Append to the detail (cut to fit). */
void	hub_job_result_append(struct hub_job_result *, const char *fmt, ...) HUB_PRINTF(2, 3);

#endif
