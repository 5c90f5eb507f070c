/*
 * worker.c - claim, dispatch, record: the loop of approvalhub-worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/common.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/httpc.h"
#include "base/json.h"
#include "base/log.h"
#include "store/db.h"
#include "store/job.h"
#include "store/jobs.h"
#include "store/jobrelay.h"
#include "store/worker.h"

#define WORKER_DEFAULT_LEASE_S	60
#define WORKER_DEFAULT_IDLE_MS	5000
/* A lane's other processes, when nothing of the lane is queued: its
 * watcher looks every WORKER_DEFAULT_IDLE_MS, and a new job names one of
 * them (jobs.h). */
#define WORKER_QUIET_IDLE_MS	30000
#define WORKER_BACKOFF_CAP_MS	(3600 * 1000)
#define WORKER_DB_RETRY_MAX_S	30
/* A lane with a cap per target may have due jobs it cannot take yet (their
 * host is at its cap): nothing NOTIFYs when a place frees, so look again
 * this often. */
#define WORKER_CAPPED_POLL_MS	200
#define WORKER_STOP_GRACE_S	30     /* then SIGKILL the children */
/*
 * Claims in batches (one statement for up to this many due jobs, each
 * with its own lease), while the queue is behind: a claim starts at one
 * job and doubles up to this while every claim comes back full, and is one
 * again after the queue ran dry.  So an idle lane's children still share a
 * burst between them, and a backlog costs one claim per few jobs.
 */
#define WORKER_CLAIM_BATCH	4
/* A batched job not started this long after its claim goes back to the
 * queue untouched (no attempt counted): it must not wait behind a slow
 * job of the batch while another worker could run it, nor start with
 * much of its lease gone. */
#define WORKER_BATCH_HOLD_MS	2000
#define WORKER_RESPAWN_MS	1000   /* a child that died waits this long */
#define WORKER_POOL_IDLE_MS	60000  /* the parent's longest sleep */

struct hub_worker {
	struct hub_job_env		 env;      /* what handlers see */
	const struct hub_worker_opts	*opts;
	const volatile sig_atomic_t	*stop;
	struct hub_db			*db;
	struct hub_httpc		*http;
	struct hub_smtp			*smtp;
	struct hub_keyring		 keys;
	int				 lease_s;
	int				 db_down;     /* in a failure streak */
	int				 db_fails;
	long long			 next_sweep;  /* hub_mono_ms() */
	volatile int			*setup_pending; /* opts->setup not done yet; shared
						  * by the lanes' children */
	int				 setup_leader;  /* this process runs the setup */
	int				 setup_delay_s;
	long long			 setup_next;    /* hub_mono_ms() */
	const struct hub_job_filter	*filter;  /* NULL: every kind */
	int				 sweeper;  /* runs the sweeps */
	int				 timekeeper; /* wakes at due times (see stand_for) */
	int				 watcher;  /* its idle wait stays short (stand_for) */
	const char			*id;      /* locked_by */
	int				 relay_fd; /* a lane child's pipe from the parent
						    * (jobrelay.h); -1: it listens itself */
	int				 batch;   /* jobs the next claim takes */
	int				 rewait;  /* a wake-up's job done: wait again
						   * without a claim first (loop_once) */
	struct hub_job			 held;    /* run, its outcome not written yet */
	struct hub_job_result		 held_r;  /* (holding: see run_job_hold) */
	int				 holding;
};

enum worker_stmt {
	WORKER_DELIVERY_SENDING,
	WORKER_DELIVERY_OUTCOME,
	WORKER__MAX
};

static const struct hub_stmt worker_stmts[WORKER__MAX] = {
	/* $1 delivery id, $2 job id */
	[WORKER_DELIVERY_SENDING] = {
	    "UPDATE delivery_log SET status = 'sending', job_id = coalesce(job_id, $2::bigint)"
	    " WHERE id = $1::bigint", 2 },
	/* $1 delivery id, $2 job id, $3 error code, $4 error detail (NULL:
	 * keep).  Read from the job row just written in the same transaction,
	 * so the delivery says what the queue will do: done, failed for good
	 * (also when max_attempts or the deadline ran out), or queued again
	 * (retrying; queued when a release gave back a first attempt). */
	[WORKER_DELIVERY_OUTCOME] = {
	    "UPDATE delivery_log d SET job_id = coalesce(d.job_id, j.id),"
	    " status = CASE j.state WHEN 'done' THEN 'delivered' WHEN 'failed' THEN 'failed'"
	    "  WHEN 'queued' THEN CASE WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END"
	    "  ELSE d.status END,"
	    " retries = CASE WHEN j.state = 'queued' THEN j.attempts"
	    "  ELSE greatest(j.attempts - 1, 0) END,"
	    " error_code = CASE WHEN j.state = 'done' THEN NULL"
	    "  ELSE coalesce($3, d.error_code) END,"
	    " error_detail = CASE WHEN j.state = 'done' THEN NULL"
	    "  ELSE coalesce($4, d.error_detail) END"
	    " FROM jobs j WHERE d.id = $1::bigint AND j.id = $2::bigint", 4 },
};

static const struct hub_stmt_table worker_table = { "hubwrk", worker_stmts, WORKER__MAX };

/* ------------------------------------------------------------ helpers */

/* ------------------------------------------------------------ the loop */

/* Sleep ms, cut short by a signal (the flag is checked by the caller). */
static void
nap(const volatile sig_atomic_t *stop, long ms)
{
	struct timespec ts;

	if (*stop)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static unsigned
random_u32(void)
{
	unsigned v = 0;

	if (hub_random_bytes(&v, sizeof(v)) != HUB_CRYPTO_OK)
		v = (unsigned)time(NULL) ^ (unsigned)clock();
	return v;
}

/* Like hub_job_backoff, in milliseconds (tests use a tiny base); seconds
 * rounded up so a non-zero base never retries at once. */
HUB_STATIC int
worker_backoff_s(int attempt, int base_ms)
{
	long long d = base_ms, lo;
	int i;

	if (base_ms <= 0)
		return 0;
	for (i = 1; i < attempt && d < WORKER_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > WORKER_BACKOFF_CAP_MS)
		d = WORKER_BACKOFF_CAP_MS;
	lo = d / 2;
	d = lo + (long long)(random_u32() % (unsigned)(d - lo + 1));
	return (int)((d + 999) / 1000);
}

static void
db_trouble(struct hub_worker *w, const char *what, int rc)
{
	if (!w->db_down) {
		hub_log(HUB_LOG_ERROR, "db_unavailable", "during", what,
		    "error", hub_db_strerror(rc), NULL);
		w->db_down = 1;
	}
	w->db_fails++;
}

static void
db_ok(struct hub_worker *w)
{
	if (w->db_down)
		hub_log(HUB_LOG_INFO, "db_recovered", NULL);
	w->db_down = 0;
	w->db_fails = 0;
}

/* After fails failures in a row: 1 s, doubling, at most
 * WORKER_DB_RETRY_MAX_S. */
static long
db_retry_ms(int fails)
{
	long s = 1;
	int i;

	for (i = 1; i < fails && s < WORKER_DB_RETRY_MAX_S; i++)
		s *= 2;
	return (s > WORKER_DB_RETRY_MAX_S ? WORKER_DB_RETRY_MAX_S : s) * 1000;
}

/*
 * After a failure: back off, then wait until the server answers a ping
 * before touching the connection again, so db.c does not log a failed
 * reconnect on every round of a long outage.
 */
static void
db_wait(struct hub_worker *w, int rc)
{
	nap(w->stop, db_retry_ms(w->db_fails));
	if (rc != HUB_DB_CONN)
		return;
	while (!*w->stop && PQping(w->opts->database_url) != PQPING_OK) {
		w->db_fails++;
		nap(w->stop, db_retry_ms(w->db_fails));
	}
}

static const struct hub_worker_kind *
kind_find(const struct hub_worker *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->opts->nkinds; i++)
		if (strcmp(w->opts->kinds[i].kind, name) == 0)
			return &w->opts->kinds[i];
	return NULL;
}

/* The delivery_log row a job's payload names; 0 when none. */
static int64_t
delivery_id(const struct hub_job *job)
{
	int64_t id = 0;
	int rc = hub_json_get_int64(job->payload, "delivery_id", 1, INT64_MAX, &id);

	if (rc != HUB_JSON_OK && rc != HUB_JSON_MISSING)
		hub_log(HUB_LOG_WARN, "delivery_id_invalid", "kind", job->kind, NULL);
	return rc == HUB_JSON_OK ? id : 0;
}

/* 'sending' before the attempt.  Only what admins see: the outcome below
 * sets the real state whatever happens here. */
static void
delivery_sending(struct hub_worker *w, const struct hub_job *job, int64_t did)
{
	const char *params[2];
	char db[24], jb[24];
	int rc;

	snprintf(db, sizeof(db), "%lld", (long long)did);
	snprintf(jb, sizeof(jb), "%lld", (long long)job->id);
	params[0] = db;
	params[1] = jb;
	if ((rc = hub_db_exec(w->db, &worker_table, WORKER_DELIVERY_SENDING, params, NULL)) !=
	    HUB_DB_OK)
		db_trouble(w, "delivery", rc);
}

static int
delivery_outcome(struct hub_worker *w, const struct hub_job *job, int64_t did,
    const struct hub_job_result *r)
{
	const char *params[4];
	char db[24], jb[24];
	int release = r->verdict == HUB_JOB_RELEASE || r->verdict == HUB_JOB_DEFER;

	snprintf(db, sizeof(db), "%lld", (long long)did);
	snprintf(jb, sizeof(jb), "%lld", (long long)job->id);
	params[0] = db;
	params[1] = jb;
	params[2] = release || r->code[0] == '\0' ? NULL : r->code;
	params[3] = release ? NULL : r->detail;
	return hub_db_exec_commit(w->db, &worker_table, WORKER_DELIVERY_OUTCOME, params, NULL);
}

/* The job's outcome, and its delivery row's in the same transaction (the
 * delivery row's statement commits it). */
static int
record_once(struct hub_worker *w, struct hub_job *job, const struct hub_job_result *r,
    int64_t did)
{
	int attempts = job->attempts, rc;

	if (did > 0 && (rc = hub_db_begin(w->db)) != HUB_DB_OK)
		return rc;
	switch (r->verdict) {
	case HUB_JOB_DONE:
		rc = hub_job_done(w->db, job, r->detail);
		break;
	case HUB_JOB_RETRY:
		rc = hub_job_fail(w->db, job, r->detail, r->retry_after, 0);
		break;
	case HUB_JOB_FAIL:
		rc = hub_job_fail(w->db, job, r->detail, -1, 1);
		break;
	case HUB_JOB_DEFER:
		rc = hub_job_defer(w->db, job, r->defer_ms, r->lane);
		break;
	default:
		rc = hub_job_release(w->db, job);
		break;
	}
	if (did > 0) {
		if (rc == HUB_DB_OK)
			rc = delivery_outcome(w, job, did, r);
		if (rc != HUB_DB_OK) {
			hub_db_rollback(w->db);
			/* The fence must match the row again on the next try. */
			job->attempts = attempts;
		}
	}
	return rc;
}

/*
 * Write the outcome.  A few tries across a database hiccup; if it still
 * cannot be written the lease runs out and the job is run again.
 */
static void
record(struct hub_worker *w, struct hub_job *job, const struct hub_job_result *r,
    int64_t did)
{
	int rc = HUB_DB_OK, tries;

	for (tries = 0; tries < 5; tries++) {
		rc = record_once(w, job, r, did);
		if (rc == HUB_DB_OK) {
			db_ok(w);
			return;
		}
		db_trouble(w, "record", rc);
		if (rc != HUB_DB_CONN || *w->stop)
			break;
		nap(w->stop, 500L << tries);
	}
	hub_log(HUB_LOG_ERROR, "job_unrecorded", "kind", job->kind,
	    "error", hub_db_strerror(rc), NULL);
}

/* Run the job; r says what came of it, and *did is its delivery row (0:
 * none), whose 'sending' mark is written before the run. */
static void
run_job_only(struct hub_worker *w, struct hub_job *job, struct hub_job_result *rp,
    int64_t *didp)
{
	const struct hub_worker_kind *k = kind_find(w, job->kind);
	const struct hub_worker_setup *setup = w->opts->setup;
	struct hub_job_result r;
	time_t now, deadline = job->deadline;
	char id[24], attempt[16];
	int64_t did = delivery_id(job);

	hub_job_result_init(&r);
	snprintf(id, sizeof(id), "%lld", (long long)job->id);
	snprintf(attempt, sizeof(attempt), "%d", job->attempts + 1);

	if (did > 0)
		delivery_sending(w, job, did);
	if (k == NULL)
		hub_job_result_set(&r, HUB_JOB_FAIL, "unknown kind", "unknown_kind",
		    "unknown job kind");
	else if (k->after_setup && *w->setup_pending)
		/* As in any outage of what the setup waits for: retried with
		 * the usual backoff. */
		hub_job_result_set(&r, HUB_JOB_RETRY, setup->reason, setup->code, "%s",
		    setup->detail);
	else
		k->run(&w->env, job, &r);

	if (r.verdict == HUB_JOB_RETRY || r.verdict == HUB_JOB_DEFER) {
		now = time(NULL);
		if (k != NULL && k->max_age_s > 0 && job->created_at > 0 &&
		    (deadline == 0 || job->created_at + k->max_age_s < deadline))
			deadline = job->created_at + k->max_age_s;
		if (r.verdict == HUB_JOB_RETRY && r.retry_after < 0 &&
		    w->opts->backoff_base_ms >= 0)
			r.retry_after = worker_backoff_s(job->attempts + 1, w->opts->backoff_base_ms);
		if (deadline > 0 && now >= deadline) {
			r.verdict = HUB_JOB_FAIL;
			hub_job_result_append(&r, " (deadline passed, giving up)");
		}
	}
	/* hub_job_fail logs failures itself, with the detail; deferrals
	 * behind a rate limit come by the hundred. */
	if (r.verdict == HUB_JOB_DEFER)
		hub_log(HUB_LOG_DEBUG, "job_deferred", "job", id, "kind", job->kind,
		    "reason", r.reason ? r.reason : "", NULL);
	else if (r.verdict == HUB_JOB_DONE || r.verdict == HUB_JOB_RELEASE)
		hub_log(HUB_LOG_INFO, r.verdict == HUB_JOB_DONE ? "job_done" : "job_released",
		    "job", id, "kind", job->kind, "attempt", attempt,
		    "outcome", r.reason ? r.reason : "", NULL);
	*rp = r;
	*didp = did;
}

static void
run_job(struct hub_worker *w, struct hub_job *job)
{
	struct hub_job_result r;
	int64_t did;

	run_job_only(w, job, &r, &did);
	record(w, job, &r, did);
}

/* Write a held outcome now (before anything else of this process). */
static void
flush_held(struct hub_worker *w)
{
	if (!w->holding)
		return;
	w->holding = 0;
	record(w, &w->held, &w->held_r, 0);
	hub_job_clear(&w->held);
}

/*
 * The job of a wake-up, run: when the process goes straight back to its
 * wait (w->rewait) and the job is done or put back, with no delivery row
 * to write with it in one transaction, its outcome is held and written in
 * the wait's round trip (hub_job_stand_look_after); otherwise now.  The
 * job is the process's to clear either way.
 */
static void
run_job_hold(struct hub_worker *w, struct hub_job *job)
{
	struct hub_job_result r;
	int64_t did;

	run_job_only(w, job, &r, &did);
	if (w->rewait && !w->opts->once && did == 0 && !w->holding &&
	    (r.verdict == HUB_JOB_DONE || r.verdict == HUB_JOB_DEFER)) {
		w->held = *job;
		w->held_r = r;
		w->holding = 1;
		memset(job, 0, sizeof(*job));
		return;
	}
	record(w, job, &r, did);
	hub_job_clear(job);
}

/* What came of a held outcome written with a stand (note): when it was
 * not written, the usual tries (record). */
static void
held_written(struct hub_worker *w, const struct hub_job_note *note)
{
	if (note->err == HUB_DB_OK) {
		db_ok(w);
		w->holding = 0;
		hub_job_clear(&w->held);
		return;
	}
	flush_held(w);
}

/* ------------------------------------------------------------ sweeps */

static long
ms_until(long long t)
{
	return (long)(t - hub_mono_ms());
}

static int
sweep_due(const struct hub_worker *w)
{
	return w->sweeper && w->opts->sweep_s > 0 && ms_until(w->next_sweep) <= 0;
}

/* What the idle wait asks of its stand (hub_job_stand): until the next
 * sweep or setup try at most, and the next scheduled job for the
 * timekeeper. */
static void
stand_for(struct hub_worker *w, struct hub_job_stand *st)
{
	long ms = w->opts->idle_wait_ms > 0 ? w->opts->idle_wait_ms : WORKER_DEFAULT_IDLE_MS;
	long cap = WORKER_QUIET_IDLE_MS;

	/* The next sweep or setup try ends any wait. */
	if (w->sweeper && w->opts->sweep_s > 0 && ms_until(w->next_sweep) < cap)
		cap = ms_until(w->next_sweep);
	if (w->setup_leader && *w->setup_pending && ms_until(w->setup_next) < cap)
		cap = ms_until(w->setup_next);
	if (cap < ms)
		ms = cap;
	memset(st, 0, sizeof(*st));
	st->max_ms = ms > 0 ? (int)ms : 0;
	/* Nothing of the lane queued, no lease running: only a NOTIFY can
	 * bring work, and it names a waiter.  The lane's watcher still
	 * looks every idle wait, for a job whose commit raced its stand
	 * (jobs.h); the others sleep longer: an idle hub wakes one process
	 * per lane, not all of them. */
	st->quiet_ms = w->watcher ? st->max_ms : cap > 0 ? (int)cap : 0;
	/* Jobs put back for later (a rate limit's place in line, a retry's
	 * backoff) notify nobody when they fall due.  Only the lane's
	 * timekeeper waits for them: all of a lane's processes waking at the
	 * same due time cost an empty claim each but one.  The others join
	 * on the next NOTIFY or their idle wait, and the timekeeper claims
	 * more at once while it finds them waiting (loop_once). */
	st->timekeeper = w->timekeeper;
	/* A capped lane polls no faster: its due jobs may all wait for
	 * their targets' places. */
	if (w->filter != NULL && w->filter->target_cap > 0)
		st->floor_ms = WORKER_CAPPED_POLL_MS;
}

/*
 * The setup step (worker.h): tried when due, then again after the delay
 * it asks for; the runner's own delay doubles from 1 s between tries.
 */
static int
setup_due(const struct hub_worker *w)
{
	return w->setup_leader && *w->setup_pending && !*w->stop && ms_until(w->setup_next) <= 0;
}

static void
setup_step(struct hub_worker *w)
{
	int wait_s;

	if (!setup_due(w))
		return;
	if ((wait_s = w->opts->setup->run(&w->env, w->setup_delay_s)) <= 0) {
		*w->setup_pending = 0;
		return;
	}
	w->setup_next = hub_mono_ms() + wait_s * 1000LL;
	w->setup_delay_s = wait_s * 2;
}

/* Every sweep of the table in turn; each one logs what it did. */
static void
sweep_all(struct hub_worker *w)
{
	size_t i;

	w->next_sweep = hub_mono_ms() + w->opts->sweep_s * 1000LL;
	for (i = 0; i < w->opts->nsweeps && !*w->stop; i++)
		if (w->opts->sweeps[i](&w->env) == HUB_JOB_SWEEP_DB_DOWN)
			db_trouble(w, "sweep", HUB_DB_CONN);
}

static int
worker_connect(struct hub_worker *w)
{
	struct hub_db_limits lim;
	const char *place = strrchr(w->id, '/');
	char app[64];
	int rc;

	hub_db_limits(&lim, HUB_DB_ROLE_WORKER, w->opts->conf);
	/* "approvalhub-worker slack.0" in pg_stat_activity: the lane's
	 * place (its id without the host and pid). */
	snprintf(app, sizeof(app), "approvalhub-worker%s%s", place != NULL ? " " : "",
	    place != NULL ? place + 1 : "");
	lim.app_name = app;
	while (!*w->stop) {
		if ((rc = hub_db_connect_limits(w->opts->database_url, &lim, &w->db)) ==
		    HUB_DB_OK && w->db) {
			db_ok(w);
			return 0;
		}
		db_trouble(w, "connect", rc);
		if (w->opts->once)
			return -1;
		db_wait(w, rc);
	}
	return -1;
}

/* hub_job_stand_look, with the held outcome when there is one. */
static int
stand_look(struct hub_worker *w, struct hub_job_stand *st, struct hub_job *job)
{
	struct hub_job_note note;
	int rc;

	if (!w->holding)
		return hub_job_stand_look(w->db, w->id, w->lease_s, w->filter, st, job);
	memset(&note, 0, sizeof(note));
	note.job = &w->held;
	note.defer = w->held_r.verdict == HUB_JOB_DEFER;
	note.delay_ms = w->held_r.defer_ms;
	note.lane = w->held_r.lane;
	note.detail = w->held_r.detail;
	rc = hub_job_stand_look_after(w->db, &note, w->id, w->lease_s, w->filter, st, job);
	held_written(w, &note);
	return rc;
}

/*
 * Nothing was due: say so (jobs.h: producers notify only while a worker
 * waits) and look once more for a job committed before that, both in one
 * round trip (hub_job_stand_look), then wait for a NOTIFY of this lane's
 * jobs or the next due time.  A commit wakes one waiting process of its
 * lane by name and takes its row; that one claims, and when the job went
 * to a busy process first, stands again and looks once more before it
 * waits.  A process that finds the job gone after any other wake-up (a
 * notification that named nobody) goes on waiting with its row standing.
 * When the wait is over, the process stands for the next wait and looks
 * again, in one round trip.  0: go on.
 */
static int
idle_wait(struct hub_worker *w)
{
	struct hub_job_stand st;
	struct hub_job job;
	long long until, left;
	int rc, named = 0, woken = 0;

	/* LISTEN again after a silent reconnect inside db.c (no statement
	 * while the backend is the one that listened).  A lane child does
	 * not listen: the parent relays what concerns it. */
	if (w->relay_fd < 0 && (rc = hub_job_listen(w->db)) != HUB_DB_OK) {
		db_trouble(w, "listen", rc);
		db_wait(w, rc);
		return 0;
	}
	stand_for(w, &st);
	if ((rc = stand_look(w, &st, &job)) == HUB_DB_OK) {
		woken = st.due_now <= 1;
		goto run;
	}
	if (rc != HUB_DB_NOTFOUND) {
		db_trouble(w, "wait", rc);
		db_wait(w, rc);
		return 0;
	}
	/* The row lasts the wait and a second more. */
	until = hub_mono_ms() + st.wait_ms;
	for (;;) {
		if (*w->stop)
			return 0;
		if ((left = until - hub_mono_ms()) > 0) {
			rc = w->relay_fd >= 0 ?
			    hub_job_relay_wait(w->relay_fd, (int)left, w->filter, w->id) :
			    hub_job_wait(w->db, (int)left, w->filter, w->id);
			if (rc < 0)
				return 0;
			if (rc == 0) {
				if (sweep_due(w) || setup_due(w))
					return 0;
				continue;
			}
			/* Woken by a job of ours: claim.  Named for a job due
			 * later (the timekeeper): nothing to claim yet, stand
			 * again for its due time. */
			named = rc >= 2;
			woken = 1;
			if (rc != 3 && hub_job_claim_in(w->db, w->id, w->lease_s, w->filter,
			    &job) == HUB_DB_OK)
				break;
			if (!named)
				continue;
			/* Named, and the job went to another process: this
			 * one waits for nobody now.  Stand again and look once
			 * more, for what is left of the wait. */
			named = 0;
			stand_for(w, &st);
			left = until - hub_mono_ms();
			st.max_ms = left > 0 && left < st.max_ms ? (int)left : st.max_ms;
			if ((rc = stand_look(w, &st, &job)) == HUB_DB_OK)
				break;
			if (rc != HUB_DB_NOTFOUND)
				return 0;
			until = hub_mono_ms() + st.wait_ms;
			continue;
		}
		/* The wait is over: stand for the next one and look, in one
		 * round trip.  Most timed wake-ups are a timekeeper's, for a
		 * job that just fell due; a second round trip for its claim
		 * would find the backend asleep again. */
		if (sweep_due(w) || setup_due(w))
			return 0;
		stand_for(w, &st);
		if ((rc = stand_look(w, &st, &job)) == HUB_DB_OK) {
			woken = st.due_now <= 1;
			break;
		}
		woken = 0;
		if (rc != HUB_DB_NOTFOUND)
			return 0;
		until = hub_mono_ms() + st.wait_ms;
	}
run:
	/* Woken for one job, most likely the only one, or it was the only
	 * one due when the look found it (a job put back for later, now due):
	 * the next claim would find nothing, and the wait's own look claims
	 * anyway.  When the look's stand saw more due, back to claiming (in
	 * batches).  Its waiter row went with the claim (JOB_CLAIMED_SQL);
	 * its outcome may go with the next wait's stand (run_job_hold). */
	w->rewait = woken;
	run_job_hold(w, &job);
	return 0;
}

/*
 * The jobs of one claim, in order.  A job not started by stop or within
 * WORKER_BATCH_HOLD_MS of the claim goes back untouched; a job that
 * starts later than its claim is told the lease it has left.
 */
static void
run_batch(struct hub_worker *w, struct hub_job *jobs, int n)
{
	long long claimed;
	long held;
	int i;

	claimed = hub_mono_ms();
	for (i = 0; i < n; i++) {
		held = -ms_until(claimed);
		if (i == 0 || (!*w->stop && held < WORKER_BATCH_HOLD_MS)) {
			w->env.lease_s = w->lease_s - (int)((held + 999) / 1000);
			run_job(w, &jobs[i]);
		} else if (hub_job_release(w->db, &jobs[i]) != HUB_DB_OK)
			/* Its lease runs out and it is claimed again. */
			hub_log(HUB_LOG_WARN, "job_unreleased", "kind", jobs[i].kind, NULL);
		hub_job_clear(&jobs[i]);
	}
	w->env.lease_s = w->lease_s;
}

/* One round: claim and run jobs, or wait.  0 go on, 1 done (once), -1 fatal. */
static int
loop_once(struct hub_worker *w)
{
	struct hub_job jobs[WORKER_CLAIM_BATCH];
	int rc, got = 0;

	/* A held outcome goes with the wait's stand, or now. */
	if (w->holding && (!w->rewait || w->opts->once || *w->stop || sweep_due(w) ||
	    setup_due(w)))
		flush_held(w);
	setup_step(w);
	if (sweep_due(w))
		sweep_all(w);
	if (w->batch < 1 || w->batch > WORKER_CLAIM_BATCH)
		w->batch = 1;
	if (w->rewait && !w->opts->once) {
		w->rewait = 0;
		return idle_wait(w);
	}
	w->rewait = 0;
	rc = hub_job_claim_batch(w->db, w->id, w->lease_s, w->filter, jobs, w->batch, &got);
	if (rc == HUB_DB_OK) {
		db_ok(w);
		/* Full: more may be due than this claim took. */
		w->batch = got < w->batch ? 1 : w->batch * 2 > WORKER_CLAIM_BATCH ?
		    WORKER_CLAIM_BATCH : w->batch * 2;
		run_batch(w, jobs, got);
		return 0;
	}
	w->batch = 1;
	if (rc == HUB_DB_NOTFOUND) {
		db_ok(w);
		if (w->opts->once)
			return 1;
		return idle_wait(w);
	}
	db_trouble(w, "claim", rc);
	if (w->opts->once)
		return -1;
	db_wait(w, rc);
	return 0;
}

/* What one process of the worker does (the lanes' children, or the one
 * process without lanes). */
struct loop_role {
	const struct hub_job_filter	*filter;  /* NULL: every kind */
	int				 sweeper;
	int				 timekeeper;
	int				 setup_leader;
	volatile int			*setup_pending;
	const char			*id;
	int				 watcher;
	int				 relay_fd;	/* -1: none */
};

/* The loop of one process: the lane's jobs (filter; NULL: all of them). */
static int
loop_run(const struct hub_worker_opts *opts, const volatile sig_atomic_t *stop,
    const struct loop_role *role)
{
	struct hub_worker w;
	const struct hub_job_filter *filter = role->filter;
	const char *id = role->id;
	int rc = 0, ret = 0;

	memset(&w, 0, sizeof(w));
	w.opts = opts;
	w.stop = stop;
	w.filter = filter;
	w.sweeper = role->sweeper;
	w.timekeeper = role->timekeeper;
	w.watcher = role->watcher;
	w.setup_leader = role->setup_leader;
	w.setup_pending = role->setup_pending;
	w.id = id;
	w.relay_fd = role->relay_fd;
	w.lease_s = opts->lease_s > 0 ? opts->lease_s : WORKER_DEFAULT_LEASE_S;
	if (opts->secret_key != NULL && hub_keyring_add(&w.keys, opts->secret_key) != HUB_CRYPTO_OK) {
		hub_log(HUB_LOG_ERROR, "worker_init", "error", "keyring", NULL);
		return -1;
	}
	if ((w.http = hub_httpc_new()) == NULL) {
		hub_log(HUB_LOG_ERROR, "worker_init", "error", "curl", NULL);
		return -1;
	}
	hub_httpc_set_abort(w.http, stop);
	if ((w.smtp = hub_smtp_new()) == NULL) {
		hub_log(HUB_LOG_ERROR, "worker_init", "error", "curl", NULL);
		hub_httpc_free(w.http);
		return -1;
	}
	if (worker_connect(&w) != 0) {
		ret = *stop ? 0 : -1;
		goto out;
	}
	hub_log(HUB_LOG_INFO, "worker_start", "worker", id,
	    "lane", filter != NULL ? filter->lane : "all", NULL);
	w.env.db = w.db;
	w.env.http = w.http;
	w.env.smtp = w.smtp;
	w.env.keys = &w.keys;
	w.env.lease_s = w.lease_s;
	w.env.stop = w.stop;
	w.env.conf = opts->conf;
	w.env.lane = filter != NULL ? filter->lane : NULL;
	/* The first sweep and the setup step run at once. */
	w.next_sweep = hub_mono_ms();
	w.setup_next = w.next_sweep;
	w.setup_delay_s = 1;
	while (!*stop && (rc = loop_once(&w)) == 0)
		;
	flush_held(&w);
	ret = rc < 0 ? -1 : 0;
	hub_log(HUB_LOG_INFO, "worker_stop", "worker", id, NULL);
out:
	hub_db_close(w.db);
	hub_httpc_free(w.http);
	hub_smtp_free(w.smtp);
	OPENSSL_cleanse(&w.keys, sizeof(w.keys));
	return ret;
}

/* ------------------------------------------------------------ lanes */

struct pool_slot {
	pid_t				 pid;     /* 0: not running */
	const struct hub_worker_lane	*lane;
	int				 index;   /* within the lane */
	long long			 start_after; /* hub_mono_ms() */
	struct hub_job_filter		 filter;  /* the lane's jobs */
	char				 id[HUB_WORKER_ID_MAX];
	int				 pipe[2]; /* the parent's relay: read end
						   * the child's, write end the parent's */
};

struct pool {
	const struct hub_worker_opts	*opts;
	const volatile sig_atomic_t	*stop;
	struct pool_slot		 slot[HUB_WORKER_CHILDREN_MAX];
	size_t				 n;
	const char			*all[HUB_WORKER_LANE_KINDS_MAX];
	size_t				 nall;
	pid_t				 parent;
	const struct pool_slot		*setup_leader;   /* NULL: no setup */
	volatile int			*setup_pending;  /* shared with the children */
	sigset_t			 mask;     /* the caller's, for the children */
	struct sigaction		 chld;     /* the caller's SIGCHLD action */
	struct hub_db			*relay;    /* listens for the children */
	long long			 relay_next; /* connect again then */
	int				 relay_fails; /* in a row */
};

/* Does a kind of this lane wait for the setup step? */
static int
lane_needs_setup(const struct hub_worker_opts *o, const struct hub_worker_lane *l)
{
	size_t i, k;

	for (i = 0; i < l->nkinds; i++)
		for (k = 0; k < o->nkinds; k++)
			if (o->kinds[k].after_setup && strcmp(o->kinds[k].kind, l->kinds[i]) == 0)
				return 1;
	return l->others;
}

/* In the child: run the slot's lane until stopped, then exit. */
static void
pool_child(struct pool *p, const struct pool_slot *sl)
{
	struct loop_role role;
	size_t i;
	int rc;

	/* A supervisor killed outright takes its children with it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != p->parent)
		exit(0);
	/* Of the parent's descriptors, only its own pipe's read end. */
	for (i = 0; i < p->n; i++) {
		close(p->slot[i].pipe[1]);
		if (&p->slot[i] != sl)
			close(p->slot[i].pipe[0]);
	}
	if ((rc = hub_job_relay_socket(p->relay)) >= 0)
		close(rc);
	role.filter = &sl->filter;
	role.sweeper = sl == &p->slot[0];
	/* One process per lane wakes at due times; a lane with a cap per
	 * target polls in all of them (a place freed notifies nobody). */
	role.timekeeper = sl->index == 0 || sl->lane->target_cap > 0;
	role.watcher = sl->index == 0;
	role.setup_leader = sl == p->setup_leader;
	role.setup_pending = p->setup_pending;
	role.id = sl->id;
	role.relay_fd = sl->pipe[0];
	rc = loop_run(p->opts, p->stop, &role);
	exit(rc == 0 ? 0 : 1);
}

static void
pool_start(struct pool *p, struct pool_slot *sl)
{
	pid_t pid;

	if (ms_until(sl->start_after) > 0)
		return;
	if ((pid = fork()) < 0) {
		hub_log(HUB_LOG_ERROR, "worker_fork", "error", strerror(errno), NULL);
		sl->start_after = hub_mono_ms() + WORKER_RESPAWN_MS;
		return;
	}
	if (pid == 0) {
		/* The parent's waiting arrangements are not the child's. */
		sigaction(SIGCHLD, &p->chld, NULL);
		sigprocmask(SIG_SETMASK, &p->mask, NULL);
		pool_child(p, sl);
	}
	sl->pid = pid;
}

/* Reap children that ended; their slots start again after a pause. */
static void
pool_reap(struct pool *p)
{
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < p->n; i++) {
			if (p->slot[i].pid != pid)
				continue;
			p->slot[i].pid = 0;
			if (!*p->stop)
				hub_log(HUB_LOG_WARN, "worker_child_exit", "lane",
				    p->slot[i].lane->name, "status",
				    WIFEXITED(st) ? "exit" : "signal", NULL);
			p->slot[i].start_after = hub_mono_ms() + WORKER_RESPAWN_MS;
		}
}

static size_t
pool_alive(const struct pool *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->slot[i].pid != 0;
	return n;
}

/* SIGTERM to every child; SIGKILL to those still there after the grace. */
static void
pool_stop(struct pool *p)
{
	volatile sig_atomic_t never = 0;
	size_t i;
	int waited;

	for (i = 0; i < p->n; i++)
		if (p->slot[i].pid > 0)
			kill(p->slot[i].pid, SIGTERM);
	for (waited = 0; pool_alive(p) > 0 && waited < WORKER_STOP_GRACE_S * 10; waited++) {
		nap(&never, 100);
		pool_reap(p);
	}
	for (i = 0; i < p->n; i++)
		if (p->slot[i].pid > 0)
			kill(p->slot[i].pid, SIGKILL);
	while (pool_alive(p) > 0 && waitpid(-1, NULL, 0) > 0)
		pool_reap(p);
}

/* The parent's connection and pipes, once the children are gone. */
static void
pool_close(struct pool *p)
{
	size_t i;

	hub_db_close(p->relay);
	p->relay = NULL;
	for (i = 0; i < p->n; i++) {
		if (p->slot[i].pipe[0] >= 0)
			close(p->slot[i].pipe[0]);
		if (p->slot[i].pipe[1] >= 0)
			close(p->slot[i].pipe[1]);
		p->slot[i].pipe[0] = p->slot[i].pipe[1] = -1;
	}
}

/* The slots, lane by lane, and every kind a lane names. */
static int
pool_init(struct pool *p, const struct hub_worker_opts *opts, const volatile sig_atomic_t *stop)
{
	size_t l, k;
	int i;

	memset(p, 0, sizeof(*p));
	p->opts = opts;
	p->stop = stop;
	p->parent = getpid();
	for (l = 0; l < opts->nlanes; l++) {
		for (k = 0; k < opts->lanes[l].nkinds; k++) {
			if (p->nall >= HUB_NELEM(p->all))
				return -1;
			p->all[p->nall++] = opts->lanes[l].kinds[k];
		}
		for (i = 0; i < opts->lanes[l].concurrency; i++) {
			if (p->n >= HUB_NELEM(p->slot))
				return -1;
			p->slot[p->n].lane = &opts->lanes[l];
			p->slot[p->n].pipe[0] = p->slot[p->n].pipe[1] = -1;
			p->slot[p->n++].index = i;
		}
	}
	for (k = 0; k < p->n; k++) {
		struct pool_slot *sl = &p->slot[k];

		sl->filter.lane = sl->lane->name;
		sl->filter.kinds = sl->lane->kinds;
		sl->filter.nkinds = sl->lane->nkinds;
		sl->filter.others = sl->lane->others;
		sl->filter.all_kinds = p->all;
		sl->filter.nall = p->nall;
		sl->filter.target_cap = sl->lane->target_cap;
		snprintf(sl->id, sizeof(sl->id), "%s/%s.%d", opts->id, sl->lane->name,
		    sl->index);
		if (pipe2(sl->pipe, O_CLOEXEC | O_NONBLOCK) != 0)
			return -1;
	}
	for (i = 0; opts->setup != NULL && (size_t)i < p->n && p->setup_leader == NULL; i++)
		if (lane_needs_setup(opts, p->slot[i].lane))
			p->setup_leader = &p->slot[i];
	/* One setup for all the children: the leader's outcome, seen by all. */
	p->setup_pending = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->setup_pending == MAP_FAILED)
		return -1;
	*p->setup_pending = p->setup_leader != NULL;
	return p->n > 0 ? 0 : -1;
}

/*
 * The relay (jobrelay.h): the parent's connection listens for every
 * child.  A notification goes to each running child it concerns: the one
 * it names, or each child of its lane when it names nobody; one that
 * names a process of another host goes nowhere.
 */
static void
relay_route(void *arg, const char *payload)
{
	struct pool *p = arg;
	struct hub_job_heard h;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->slot[i].pid == 0)
			continue;
		memset(&h, 0, sizeof(h));
		hub_job_heard_add(&h, &p->slot[i].filter, p->slot[i].id, payload);
		if (hub_job_heard_rc(&h) > 0)
			(void)hub_job_relay_send(p->slot[i].pipe[1], payload);
	}
}

/* Connect and LISTEN when it is time to.  Notifications sent while the
 * parent did not listen are lost: an empty record then wakes every
 * child, to stand and look. */
static void
relay_connect(struct pool *p)
{
	struct hub_db_limits lim;
	size_t i;
	int rc;

	if (p->relay != NULL || ms_until(p->relay_next) > 0)
		return;
	hub_db_limits(&lim, HUB_DB_ROLE_WORKER, p->opts->conf);
	lim.app_name = "approvalhub-worker relay";
	if ((rc = hub_db_connect_limits(p->opts->database_url, &lim, &p->relay)) == HUB_DB_OK &&
	    p->relay != NULL && (rc = hub_job_listen(p->relay)) == HUB_DB_OK) {
		p->relay_fails = 0;
		for (i = 0; i < p->n; i++)
			if (p->slot[i].pid != 0)
				(void)hub_job_relay_send(p->slot[i].pipe[1], "");
		return;
	}
	hub_log(HUB_LOG_WARN, "worker_relay", "error", hub_db_strerror(rc), NULL);
	hub_db_close(p->relay);
	p->relay = NULL;
	p->relay_next = hub_mono_ms() + db_retry_ms(++p->relay_fails);
}

/* What the connection brought; a lost one is closed and connected again
 * at once. */
static void
relay_take(struct pool *p)
{
	if (hub_job_relay_take(p->relay, relay_route, p) == 0)
		return;
	hub_log(HUB_LOG_WARN, "worker_relay", "error", "connection lost", NULL);
	hub_db_close(p->relay);
	p->relay = NULL;
	p->relay_next = hub_mono_ms();
}

/* Until a slot's restart or the relay's reconnection is due, a signal
 * comes (unblocked only inside pselect), or the relay's connection
 * brings notifications, which are passed on. */
static void
pool_sleep(struct pool *p)
{
	long ms = WORKER_POOL_IDLE_MS, left;
	struct timespec ts;
	fd_set rfds;
	size_t i;
	int fd;

	for (i = 0; i < p->n; i++)
		if (p->slot[i].pid == 0 && (left = ms_until(p->slot[i].start_after)) < ms)
			ms = left > 0 ? left : 0;
	if (p->relay == NULL && (left = ms_until(p->relay_next)) < ms)
		ms = left > 0 ? left : 0;
	FD_ZERO(&rfds);
	if ((fd = hub_job_relay_socket(p->relay)) >= 0 && fd < FD_SETSIZE)
		FD_SET(fd, &rfds);
	else
		fd = -1;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	if (pselect(fd + 1, &rfds, NULL, NULL, &ts, &p->mask) > 0 && fd >= 0 &&
	    FD_ISSET(fd, &rfds))
		relay_take(p);
}

/* SIGCHLD only has to end the parent's pselect. */
static void
on_child(int sig)
{
	(void)sig;
}

static int
pool_run(const struct hub_worker_opts *opts, const volatile sig_atomic_t *stop)
{
	struct pool p;
	struct sigaction sa;
	sigset_t block;
	size_t i;

	if (pool_init(&p, opts, stop) != 0) {
		hub_log(HUB_LOG_ERROR, "worker_init", "error", "too many lanes or kinds", NULL);
		pool_close(&p);
		return -1;
	}
	/*
	 * The parent sleeps until a child ends, a stop signal comes, a
	 * slot's restart is due or its relay connection (jobrelay.h) brings
	 * notifications for the children: SIGCHLD, SIGTERM and SIGINT stay blocked
	 * except inside pselect, so one that arrives between the checks and
	 * the sleep ends the sleep at once.  (It used to wake five times a
	 * second to look.)
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, &p.chld);
	sigprocmask(SIG_BLOCK, &block, &p.mask);
	hub_log(HUB_LOG_INFO, "worker_pool_start", "worker", opts->id, NULL);
	/* Listening before the first child stands: nothing is missed. */
	relay_connect(&p);
	while (!*stop) {
		for (i = 0; i < p.n && !*stop; i++)
			if (p.slot[i].pid == 0)
				pool_start(&p, &p.slot[i]);
		if (!*stop)
			pool_sleep(&p);
		pool_reap(&p);
		relay_connect(&p);
	}
	sigprocmask(SIG_SETMASK, &p.mask, NULL);
	pool_stop(&p);
	pool_close(&p);
	sigaction(SIGCHLD, &p.chld, NULL);
	hub_log(HUB_LOG_INFO, "worker_pool_stop", "worker", opts->id, NULL);
	return 0;
}

int
hub_worker_run(const struct hub_worker_opts *opts, const volatile sig_atomic_t *stop)
{
	if (opts->nlanes > 0 && !opts->once)
		return pool_run(opts, stop);
	int pending = opts->setup != NULL;
	struct loop_role role = { NULL, 1, 1, 1, &pending, opts->id, 1, -1 };

	return loop_run(opts, stop, &role);
}
