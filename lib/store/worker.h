/*
 * worker.h - the job runner behind approvalhub-worker: it claims, dispatches,
 * records and waits; what the job kinds and sweeps are is the program's
 * table (bin/approvalhub-worker.c), as a cgi-bin program owns its routes.
 *
 * Lanes: with opts->lanes (and without once) the runner is a supervisor
 * that forks, for each lane, `concurrency` children (respawned when they
 * die, SIGTERM passed on at shutdown).  Each child is the loop below with
 * its own database connection and HTTP handle, claiming only its lane's
 * jobs (hub_job_filter), so a lane whose jobs hang (a tarpitted callback
 * host) holds its own places and no other lane's.  A lane with target_cap
 * also runs at most that many jobs per target at once.  The first child
 * of the first lane runs the sweeps.  Without lanes (or with once): one
 * process runs every kind.
 *
 * One job at a time per loop: claim due jobs (jobs.h; several in one
 * statement while the queue is behind, worker.c says how many, never in a
 * lane with a cap per target), run each in turn with the handler its
 * kind names in the table (job.h), record the outcome with hub_job_done /
 * hub_job_fail, or give the job back with hub_job_release when shutdown
 * interrupted it.  A claimed job that did not start soon (shutdown, a
 * slow job before it) goes back untouched, no attempt counted.  A RETRY past
 * the kind's max_age_s (counted from the job's creation) or the job's
 * deadline fails for good.  An unknown kind fails for good.  When nothing
 * is due it LISTENs and waits up to idle_wait_ms for a NOTIFY, so
 * scheduled retries are picked up without one.  When PostgreSQL goes away
 * it keeps trying with backoff and logs once per failure streak.  A job is
 * never lost: if the outcome cannot be written the lease runs out and the
 * job is claimed again (delivery is at least once; receivers dedupe).
 *
 * Delivery tracking, for every kind: a payload with "delivery_id" names a
 * delivery_log row.  It reads 'sending' during an attempt, then, in the
 * same transaction as the job's outcome, 'delivered', 'retrying' (retries =
 * failed attempts so far, error_code such as "http_503", "timeout",
 * "connect", error_detail) or 'failed' (permanent, or the job gave up;
 * retries = attempts - 1).
 *
 * Sweeps: every sweep_s seconds, and once at start, each sweep of the
 * table runs in turn (each must be safe on any number of workers).
 *
 * Setup: an optional step that must succeed before the kinds marked
 * after_setup may run (SLACK_BOT_TOKEN becoming a connection).  It is
 * tried before the first job, then between jobs after the delay it asks
 * for, until it says it is done; other jobs keep running meanwhile, and
 * after_setup jobs are retried with the usual backoff (the setup's code
 * and detail recorded) instead of being run, so none is dropped.
 */
#ifndef HUB_WORKER_H
#define HUB_WORKER_H

#include <signal.h>
#include <stddef.h>
#include "base/conf.h"
#include "store/job.h"

struct hub_worker_kind {
	const char	*kind;
	hub_job_handler	 run;
	int		 max_age_s;    /* stop retrying this long after creation; 0 = no limit */
	int		 after_setup;  /* retried, not run, while the setup is pending */
};

/* A lane: its name (jobs.lane), its kinds, how many jobs it runs at once,
 * how many of one target (0: no cap).  others: it also runs kinds that no
 * lane names (and unknown ones, which then fail). */
struct hub_worker_lane {
	const char		*name;
	const char *const	*kinds;
	size_t			 nkinds;
	int			 others;
	int			 concurrency;
	int			 target_cap;
};

#define HUB_WORKER_LANE_KINDS_MAX	32   /* kinds in all lanes together */
#define HUB_WORKER_CHILDREN_MAX		256
#define HUB_WORKER_ID_MAX		400  /* locked_by of a lane child: id/lane.n */

struct hub_worker_setup {
	/* One try.  0: done (also when it gave up for good, which it
	 * logged); else the seconds until the next try.  delay_s is the
	 * runner's backoff so far (1, 2, 4 ...): what to ask for unless the
	 * other side said otherwise. */
	int		(*run)(struct hub_job_env *, int delay_s);
	const char	*reason;   /* what held-back jobs record */
	const char	*code;
	const char	*detail;
};

struct hub_worker_opts {
	const char	*database_url;
	const unsigned char *secret_key;  /* 32 bytes, opens sealed secrets; may be NULL */
	const char	*id;              /* locked_by */
	int		 lease_s;         /* default 60 */
	int		 once;            /* exit when nothing is due */
	int		 backoff_base_ms; /* -1: hub_job_fail's own backoff */
	int		 idle_wait_ms;    /* default 5000 */
	int		 sweep_s;         /* sweeps every n s; 0: never */
	const struct hub_conf *conf;      /* handed to job handlers (PUBLIC_URL, SLACK_API_URL...) */
	const struct hub_worker_kind *kinds;
	size_t		 nkinds;
	const hub_job_sweep *sweeps;
	size_t		 nsweeps;
	const struct hub_worker_setup *setup;  /* NULL: none */
	const struct hub_worker_lane *lanes;   /* NULL: one process, every kind */
	size_t		 nlanes;
};

/* Run until *stop is set (or, with opts->once, until nothing is due).
 * 0 on a clean exit, -1 on a fatal error (logged). */
int	hub_worker_run(const struct hub_worker_opts *, const volatile sig_atomic_t *stop);

#endif
