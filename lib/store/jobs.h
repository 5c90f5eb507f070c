/*
 * jobs.h - the PostgreSQL job queue the worker runs.
 *
 * Producers enqueue inside their own transaction (hub_job_enqueue does not
 * begin or commit), so the state change and its jobs commit together; the
 * insert fires NOTIFY hub_jobs, delivered at commit.
 * A dedupe key makes enqueue idempotent: a second job with the same key
 * while the first exists is not added (the existing id is returned).
 *
 * This module is the only writer of the jobs table.  A producer that must
 * enqueue inside a statement of its own (the engine's one-round-trip
 * create) writes the row with HUB_JOB_INSERT_SQL ... HUB_JOB_ON_DEDUPE_SQL
 * below instead of spelling the INSERT itself.
 *
 * The worker claims due jobs with FOR UPDATE SKIP LOCKED, several in one
 * statement when it can, each with its own lease (locked_by,
 * locked_until); a worker killed with SIGKILL loses its leases when they
 * run out and the jobs are claimed again.  Every attempt is
 * recorded in job_attempts.  A job is finished only after its remote effect
 * is confirmed.
 */
#ifndef HUB_JOBS_H
#define HUB_JOBS_H

#include <stdint.h>
#include <time.h>
#include <json-c/json.h>
#include "store/db.h"

/*
 * The jobs row a producer writes in its own statement: followed by a SELECT
 * of (kind, payload jsonb, dedupe_key text) and then HUB_JOB_ON_DEDUPE_SQL,
 * so a job whose key is queued or running already is not added twice.
 * Such rows take the table's defaults (run now, 10 attempts, no deadline).
 */
#define HUB_JOB_INSERT_SQL	"INSERT INTO jobs (kind, payload, dedupe_key)"
/* The same with the time it is due: a SELECT of (kind, payload,
 * dedupe_key, run_at timestamptz). */
#define HUB_JOB_INSERT_AT_SQL	"INSERT INTO jobs (kind, payload, dedupe_key, run_at)"
#define HUB_JOB_ON_DEDUPE_SQL \
	" ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL" \
	"  AND state IN ('queued', 'running') DO NOTHING"

/* What to enqueue. */
struct hub_job_spec {
	const char	*kind;          /* [a-z][a-z0-9_.]{0,62} */
	json_object	*payload;       /* borrowed (serialized); NULL = {} */
	const char	*dedupe_key;    /* NULL: none */
	time_t		 run_at;        /* 0 = now */
	int		 max_age_s;     /* deadline = creation + this; 0 = none */
	int		 max_attempts;  /* 0 = 10, the table's default */
	const char	*target;        /* where it goes (host:port); NULL: nowhere in
					 * particular.  A lane may cap jobs per target. */
	const char	*lane;          /* [a-z][a-z0-9_]{0,30}; NULL: its kind's lane */
};

/*
 * Which jobs a claim may take (one lane of the worker, worker.h): jobs
 * whose lane column names this lane, or that have none and whose kind is
 * one of kinds; with others, also jobs of a kind no lane names (all_kinds).
 * target_cap > 0: a job with a target is taken only while fewer than that
 * many jobs of its target run; claims of the lane are then serialised (an
 * advisory lock for the claim's transaction) so the count holds.
 */
struct hub_job_filter {
	const char		*lane;
	const char *const	*kinds;
	size_t			 nkinds;
	int			 others;
	const char *const	*all_kinds;
	size_t			 nall;
	int			 target_cap;
};

struct hub_job {
	int64_t		 id;
	char		 kind[64];
	json_object	*payload;      /* owned by the job; freed by hub_job_clear */
	char		*dedupe_key;   /* owned; NULL when the job has none */
	int		 attempts;     /* attempts before this one */
	int		 max_attempts;
	time_t		 created_at;
	time_t		 deadline;     /* give up after this (0 = max_attempts only) */
	int		 first_run;    /* never run nor put back before: the run
				        * the change that queued it started */
};

/* Enqueue in the caller's transaction.  *id (may be NULL): the new job's,
 * or the queued or running job's that has the same dedupe key. */
int	hub_job_enqueue(struct hub_db *, const struct hub_job_spec *, int64_t *id);
/* Claim one due job the filter lets through (NULL: any kind) for lease_s
 * seconds.  HUB_DB_NOTFOUND when none is due. */
int	hub_job_claim_in(struct hub_db *, const char *worker_id, int lease_s,
	    const struct hub_job_filter *, struct hub_job *);
/* The same for up to n due jobs in one statement, oldest first, into
 * jobs[0 .. *got - 1] (the caller clears each), every one with a lease of
 * lease_s seconds from now.  A filter with a target_cap claims one: the
 * cap counts a target's running jobs, which rows claimed by the same
 * statement would not see. */
int	hub_job_claim_batch(struct hub_db *, const char *worker_id, int lease_s,
	    const struct hub_job_filter *, struct hub_job *jobs, int n, int *got);
/* Finished: record the attempt as ok and mark the job done. */
int	hub_job_done(struct hub_db *, struct hub_job *, const char *detail);
/* Failed attempt. retry_after_s >= 0 retries after that many seconds
 * (e.g. Retry-After); -1 uses exponential backoff with jitter
 * (hub_job_backoff); permanent != 0, or past max_attempts/deadline, marks
 * the job failed for good. */
int	hub_job_fail(struct hub_db *, struct hub_job *, const char *error,
	    int retry_after_s, int permanent);
/* An admin's retry (in the caller's transaction): a failed job, or a
 * queued one waiting out its backoff, runs now, with
 * HUB_JOB_RETRY_ATTEMPTS more attempts and, when it has a deadline, a
 * window as long as its first one (at least an hour) from now.
 * HUB_DB_NOTFOUND when the job is running, done or gone; HUB_DB_UNIQUE when
 * another live job holds its dedupe key (that one will do the work). */
#define HUB_JOB_RETRY_ATTEMPTS	3
int	hub_job_retry(struct hub_db *, int64_t id);
/* Give the job back untouched (shutdown): no attempt is counted. */
int	hub_job_release(struct hub_db *, struct hub_job *);
/* Give the job back to run again in delay_ms (a rate limit with no token
 * yet, an open circuit): no attempt is counted.  lane (NULL: its own):
 * the job runs in that lane from now on (its handler hands it over), and
 * every later run, retry or claim after a lost lease is the lane's; a
 * job due now then wakes that lane.  HUB_DB_NOTFOUND when the lease was
 * lost. */
int	hub_job_defer(struct hub_db *, struct hub_job *, long delay_ms, const char *lane);
/* Every queued job of this target due before delay_s from now waits until
 * then (or its deadline, if sooner); a running one that fails later is
 * retried no sooner.  *moved: how many (may be NULL). */
int	hub_job_defer_target(struct hub_db *, const char *target, int delay_s, long *moved);
/* One more attempt for a running job whose handler waited on something
 * that was not its failure (a lock held by another job's run). */
int	hub_job_grant_attempt(struct hub_db *, const struct hub_job *);
void	hub_job_clear(struct hub_job *);
/* Delay before attempt n+1 (n >= 1): min(cap, base * 2^(n-1)) with full
 * jitter in [d/2, d]. */
int	hub_job_backoff(int attempts, int base_s, int cap_s);
/* LISTEN hub_jobs on this connection (no statement when this backend
 * already listens). */
int	hub_job_listen(struct hub_db *);
/*
 * NOTIFY hub_jobs is sent only while some worker waits for it: a
 * notifying commit holds a lock of the whole cluster, which would make
 * busy producers commit one at a time for nobody.  A worker about to wait
 * calls hub_job_stand with the filter it claims with (its row lasts the
 * wait and a second more), then looks for a due job once more, then
 * waits in hub_job_wait; the claim that gives it a job deletes its row
 * in the same statement (it is awake).  A job
 * committed after that second look notifies; a commit racing it exactly
 * is caught by the wait's timeout.
 *
 * A job's commit wakes one waiter of its lane by name and deletes its
 * row (0029_named_wakeup.sql): hub_job_wait answers 2 to that one, which
 * is then no longer waiting for anyone.  When its claim finds nothing
 * (another process took the job) it stands and looks once more
 * (hub_job_stand_look) before it waits.  The lane's other waiters are not
 * woken.  A job queued for later wakes nobody, except the lane's waiting
 * timekeeper when its wait would end after the job is due
 * (0032_scheduled_wakeup.sql): it stands again and waits for that job.
 */
/*
 * The row of a worker about to wait, which learns in the same statement
 * how long to wait: at most max_ms, at least floor_ms, and for a
 * timekeeper (the lane's process that waits for scheduled jobs, which
 * fire no NOTIFY when they fall due) until just past the next one; at
 * most quiet_ms instead (0: max_ms) when nothing of the filter is queued
 * and no lease runs, so nothing but a NOTIFY can give it work.
 * due_ms: ms until a job the filter lets through is due or any lease
 * runs out, 0 when one is due now, -1 none.  due_now: how many jobs the
 * filter lets through are due now, 0, 1 or 2 (two or more).
 */
struct hub_job_stand {
	int		 max_ms;	/* in */
	int		 floor_ms;	/* in */
	int		 timekeeper;	/* in */
	int		 quiet_ms;	/* in */
	long long	 due_ms;	/* out */
	int		 wait_ms;	/* out */
	int		 due_now;	/* out */
};
int	hub_job_stand(struct hub_db *, const char *worker_id, const struct hub_job_filter *,
	    struct hub_job_stand *);
/* Stand, then look once (hub_job_claim_in) in one round trip
 * (hub_db_exec_each): the look is its own transaction after the stand's
 * commit, so a job committed before it is found and one committed after
 * it notifies.  HUB_DB_OK with a job claimed (and the row gone with the
 * claim), HUB_DB_NOTFOUND standing with none, or the stand's error. */
int	hub_job_stand_look(struct hub_db *, const char *worker_id, int lease_s,
	    const struct hub_job_filter *, struct hub_job_stand *, struct hub_job *);
/*
 * The outcome of the job a worker process just ran, done or put back for
 * later (as hub_job_done, hub_job_defer), written in the same round trip
 * as its next stand and look (hub_job_stand_look_after), before them and
 * in a transaction of its own: the process's next wait costs no round
 * trip of its own for it.  err (out): HUB_DB_OK when written (job->attempts
 * counts a done attempt), HUB_DB_NOTFOUND when the lease was lost,
 * anything else when it was not written (write it again: hub_job_done...).
 */
struct hub_job_note {
	struct hub_job	*job;
	int		 defer;		/* 0: done, 1: put back */
	long		 delay_ms;	/* put back this much later */
	const char	*lane;		/* put back into this lane (NULL: its own) */
	const char	*detail;	/* done: the attempt's detail */
	int		 err;		/* out */
};
int	hub_job_stand_look_after(struct hub_db *, struct hub_job_note *,
	    const char *worker_id, int lease_s, const struct hub_job_filter *,
	    struct hub_job_stand *, struct hub_job *);
/*
 * What a waiting process heard, notification by notification (the
 * payloads of hub_jobs_notify(), read from its connection or relayed by
 * the lanes' parent, jobrelay.h), and what hub_job_wait answers for it:
 * 2 one named worker_id (or one named it for later and another was for
 * the filter's jobs: a claim, then a stand), 3 one named it for a job
 * due later and none other was ours, 1 one was for the filter's jobs, 0
 * none.  An empty payload is for every waiter.
 */
struct hub_job_heard {
	int	named, later, any;
};
void	hub_job_heard_add(struct hub_job_heard *, const struct hub_job_filter *,
	    const char *worker_id, const char *payload);
int	hub_job_heard_rc(const struct hub_job_heard *);
/* Until fd is readable or hub_mono_ms() reaches until: 1 readable, 0
 * the time is up, -1 an error or a signal.  fd -1 only sleeps. */
int	hub_job_poll(int fd, long long until);
/* Wait up to timeout_ms for a notification of a job the filter lets
 * through (NULL: any job; another lane's are dropped unread): 2 woken by
 * a notification that names worker_id, or reconnected (some may have
 * been missed): its waiter row may be gone; 3 named for a job due later
 * (0034_later_wakeup_margin.sql): its row is gone, nothing is due yet;
 * 1 woken by one for any waiter of the filter; 0 timeout, -1 error or
 * signal.  worker_id NULL: a named notification counts as any other (1). */
int	hub_job_wait(struct hub_db *, int timeout_ms, const struct hub_job_filter *,
	    const char *worker_id);

#endif
