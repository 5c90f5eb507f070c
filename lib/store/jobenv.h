/*
 * jobenv.h - what a worker job handler gets to work with, so handlers can
 * live in their own modules (delivery, Home tab, responses) and the worker
 * only keeps the table that maps a job kind to its handler.
 *
 * A handler runs one attempt of one claimed job and reports the outcome in
 * the result; it never commits the job's state itself (the runner does,
 * with hub_job_done / hub_job_fail / hub_job_release).  It may run its own
 * short transactions on env->db for the state it owns (sent messages,
 * delivery log), but must leave no transaction open.
 */
#ifndef HUB_JOBENV_H
#define HUB_JOBENV_H

#include <signal.h>
#include "base/conf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "base/httpc.h"
#include "store/jobs.h"

struct hub_worker_result;

struct hub_worker_env {
	struct hub_db			*db;
	struct hub_httpc		*http;   /* one libcurl handle per process */
	const struct hub_keyring	*keys;   /* opens sealed secrets */
	const struct hub_conf		*conf;   /* PUBLIC_URL, SLACK_API_URL, SMTP_URL... */
	const volatile sig_atomic_t	*stop;   /* shutdown asked: give the job back */
	int				 lease_s; /* the job is ours this long: bound timeouts by it */
};

typedef void (*hub_job_handler)(struct hub_worker_env *, const struct hub_job *,
    struct hub_worker_result *);

#endif
