/*
 * test_jobs.c - lib/store/jobs.c against a real PostgreSQL: enqueue, claim,
 * dedupe, SKIP LOCKED, leases, retries, release, NOTIFY and backoff.
 *
 * Every test migrates its own fresh database t_<random> (DATABASE_URL
 * names the server, see t/integration/env.sh) and drops it at the end.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "store/db.h"
#include "store/jobs.h"
#include "store/migrate.h"
#include "testlib.h"

/* ------------------------------------------------------------ fixtures */

/* Checked integer from a result cell. */
static long long
cell_ll(const PGresult *r, int row, int col)
{
	const char *s = PQgetvalue(r, row, col);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	cr_assert(errno == 0 && end != s && *end == '\0', "not an integer: '%s'", s);
	return v;
}

static struct th_db freshdb;
#define fresh_url (freshdb.url)
static struct hub_db *db;

static struct hub_db *
connect_fresh(void)
{
	struct hub_db *d = NULL;

	cr_assert_eq(hub_db_connect_limits(fresh_url, NULL, &d), HUB_DB_OK);
	return d;
}

static void
setup(void)
{
	th_db_create(&freshdb);
	cr_assert_eq(hub_db_connect_limits(fresh_url, NULL, &db), HUB_DB_OK);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
	th_db_drop(&freshdb);
}

TestSuite(jobs, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------ helpers */

enum q_stmt {
	Q_STATE,
	Q_COUNT,
	Q_ATTEMPTS,
	Q_EXPIRE_LEASE,
	Q_SET_MAX,
	Q_SET_DEADLINE_PAST,
	Q_MAKE_DUE,
	Q_PID,
	Q_SPEC,
	Q_WAITERS_EXPIRE,
	Q_WAITERS,
	Q_WAITERS_HOLD,
	Q_WAITER_OLD,
	Q_WAITER_LEFT,
	Q_WAITER_DROP,
	Q_DROP_FROM,
	Q__MAX
};

static const struct hub_stmt q_stmts[Q__MAX] = {
	/* state, attempts, seconds until run_at, last_error */
	[Q_STATE] = { "SELECT state, attempts,"
	    " round(extract(epoch FROM run_at - now()))::integer, last_error"
	    " FROM jobs WHERE id = $1::bigint", 1 },
	[Q_COUNT] = { "SELECT count(*) FROM jobs", 0 },
	/* attempts recorded: count, count ok */
	[Q_ATTEMPTS] = { "SELECT count(*), count(*) FILTER (WHERE ok)"
	    " FROM job_attempts WHERE job_id = $1::bigint", 1 },
	[Q_EXPIRE_LEASE] = { "UPDATE jobs SET locked_until = now() - interval '1 second'"
	    " WHERE id = $1::bigint", 1 },
	[Q_SET_MAX] = { "UPDATE jobs SET max_attempts = $2::integer WHERE id = $1::bigint", 2 },
	[Q_SET_DEADLINE_PAST] = { "UPDATE jobs SET deadline = now() - interval '1 second'"
	    " WHERE id = $1::bigint", 1 },
	[Q_MAKE_DUE] = { "UPDATE jobs SET run_at = now() WHERE id = $1::bigint", 1 },
	[Q_PID] = { "SELECT pg_backend_pid()", 0 },
	/* seconds from creation to the deadline (NULL: none), max_attempts */
	[Q_SPEC] = { "SELECT extract(epoch FROM deadline - created_at)::bigint, max_attempts"
	    " FROM jobs WHERE id = $1::bigint", 1 },
	[Q_WAITERS_EXPIRE] = { "UPDATE job_waiters SET until = now() - interval '1 second'", 0 },
	/* the waiters standing, by name */
	[Q_WAITERS] = { "SELECT coalesce(string_agg(worker, ',' ORDER BY worker), '')"
	    " FROM job_waiters", 0 },
	/* in a transaction: hold every waiter's row, as a commit naming one does */
	[Q_WAITERS_HOLD] = { "SELECT worker FROM job_waiters FOR UPDATE", 0 },
	/* the row a worker of an older version writes: no lane, not named */
	[Q_WAITER_OLD] = { "INSERT INTO job_waiters (worker, until)"
	    " VALUES ($1, now() + interval '1 minute')", 1 },
	/* ms until the row of worker $1 runs out */
	[Q_WAITER_LEFT] = { "SELECT round(extract(epoch FROM until - now()) * 1000)::bigint"
	    " FROM job_waiters WHERE worker = $1", 1 },
	/* a waiter gone (as a claim that gives it a job takes its row) */
	[Q_WAITER_DROP] = { "DELETE FROM job_waiters WHERE worker = $1", 1 },
	/* queued jobs from this id on */
	[Q_DROP_FROM] = { "DELETE FROM jobs WHERE state = 'queued' AND id >= $1::bigint", 1 },
};

static const struct hub_stmt_table q_table = { "tjobs", q_stmts, Q__MAX };

struct jstate {
	char	state[16];
	int	attempts;
	int	due_in;
	char	last_error[64];
};

static void
job_state(struct hub_db *d, int64_t id, struct jstate *js)
{
	char idbuf[32];
	const char *p[1] = { idbuf };
	PGresult *r = NULL;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	cr_assert_eq(hub_db_exec(d, &q_table, Q_STATE, p, &r), HUB_DB_OK);
	cr_assert_eq(PQntuples(r), 1, "job %s exists", idbuf);
	snprintf(js->state, sizeof(js->state), "%s", PQgetvalue(r, 0, 0));
	js->attempts = (int)cell_ll(r, 0, 1);
	js->due_in = (int)cell_ll(r, 0, 2);
	snprintf(js->last_error, sizeof(js->last_error), "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
}

static void
q_id(int stmt, int64_t id, const char *extra)
{
	char idbuf[32];
	const char *p[2] = { idbuf, extra };

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	cr_assert_eq(hub_db_exec(db, &q_table, stmt, p, NULL), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
}

static void
attempts_recorded(int64_t id, int *n, int *ok)
{
	char idbuf[32];
	const char *p[1] = { idbuf };
	PGresult *r = NULL;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_ATTEMPTS, p, &r), HUB_DB_OK);
	*n = (int)cell_ll(r, 0, 0);
	*ok = (int)cell_ll(r, 0, 1);
	PQclear(r);
}

static int64_t
enqueue(struct hub_db *d, const char *kind, const char *key, time_t run_at)
{
	json_object *p = json_object_new_object();
	int64_t id = 0;

	json_object_object_add(p, "kind_was", json_object_new_string(kind));
	json_object_object_add(p, "n", json_object_new_int(7));
	cr_assert_eq(hub_job_enqueue(d, &(struct hub_job_spec){ .kind = kind, .payload = p,
	    .dedupe_key = key, .run_at = run_at }, &id), HUB_DB_OK,
	    "%s", hub_db_last_error(d));
	cr_assert_gt(id, 0);
	json_object_put(p);
	return id;
}

/* A job of kind "k" for a target (a capped lane's). */
static int64_t
enqueue_target(const char *target)
{
	int64_t id = 0;

	cr_assert_eq(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = "k",
	    .target = target }, &id), HUB_DB_OK, "%s", hub_db_last_error(db));
	return id;
}

/* A waiter gone, as if awake. */
static void
awake(struct hub_db *d, const char *worker)
{
	cr_assert_eq(hub_db_exec(d, &q_table, Q_WAITER_DROP, &worker, NULL), HUB_DB_OK);
}

static void
waiters_are(const char *want)
{
	PGresult *r = NULL;

	cr_assert_eq(hub_db_exec(db, &q_table, Q_WAITERS, NULL, &r), HUB_DB_OK);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), want);
	PQclear(r);
}

/* A worker stands for a wait of ms (hub_job_stand with no due time). */
static int
waiting(struct hub_db *d, const char *worker, int ms, const struct hub_job_filter *f)
{
	struct hub_job_stand st;

	memset(&st, 0, sizeof(st));
	st.max_ms = st.floor_ms = ms;
	return hub_job_stand(d, worker, f, &st);
}

/* ------------------------------------------------------------ tests */

Test(jobs, enqueue_claim_done)
{
	struct hub_job job;
	struct jstate js;
	json_object *v;
	int64_t id;
	int n, ok;

	id = enqueue(db, "slack.post", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w1", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.id, id);
	cr_expect_str_eq(job.kind, "slack.post");
	cr_expect_eq(job.attempts, 0);
	cr_expect_eq(job.max_attempts, 10);
	cr_expect_eq(job.deadline, 0);
	cr_expect_leq(labs((long)(job.created_at - time(NULL))), 5);
	cr_assert_not_null(job.payload);
	cr_assert(json_object_object_get_ex(job.payload, "n", &v));
	cr_expect_eq(json_object_get_int(v), 7);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "running");

	cr_expect_eq(hub_job_claim_in(db, "w2", 30, NULL, &(struct hub_job){ 0 }), HUB_DB_NOTFOUND,
	    "a running job is not claimed twice");
	cr_assert_eq(hub_job_done(db, &job, "ts=1.2"), HUB_DB_OK);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "done");
	cr_expect_eq(js.attempts, 1);
	attempts_recorded(id, &n, &ok);
	cr_expect_eq(n, 1);
	cr_expect_eq(ok, 1);
	cr_expect_eq(hub_job_done(db, &job, NULL), HUB_DB_NOTFOUND, "done twice");
	hub_job_clear(&job);
	cr_expect_null(job.payload);
	cr_expect_eq(hub_job_claim_in(db, "w1", 30, NULL, &job), HUB_DB_NOTFOUND);
}

/*
 * The outcome of the job a worker process just ran goes with its next
 * stand and look, in one round trip and before them, each in its own
 * transaction: done (its attempt recorded), or put back (the stand
 * already sees it due later); a lost lease is said as such and the stand
 * and look happen all the same.
 */
Test(jobs, an_outcome_goes_with_the_next_stand_in_one_round_trip)
{
	struct hub_job a, b, none;
	struct hub_job_stand st;
	struct hub_job_note note;
	struct jstate js;
	FILE *trace;
	int64_t ida, idb;
	int n, ok;

	ida = enqueue(db, "slack.post", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w1", 30, NULL, &a), HUB_DB_OK);
	cr_assert_eq(a.id, ida);
	idb = enqueue(db, "slack.post", NULL, 0);
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	memset(&note, 0, sizeof(note));
	note.job = &a;
	note.detail = "ts=9.9";
	memset(&st, 0, sizeof(st));
	st.max_ms = 1000;
	cr_expect_eq(hub_job_stand_look_after(db, &note, "w1", 30, NULL, &st, &b), HUB_DB_OK);
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 1, "the outcome, the stand and the look together");
	fclose(trace);
	cr_expect_eq(note.err, HUB_DB_OK);
	cr_expect_eq(a.attempts, 1);
	job_state(db, ida, &js);
	cr_expect_str_eq(js.state, "done");
	cr_expect_eq(js.attempts, 1);
	attempts_recorded(ida, &n, &ok);
	cr_expect_eq(n, 1);
	cr_expect_eq(ok, 1);
	cr_expect_eq(b.id, idb, "the look took the next job");

	/* Put back for a minute: the stand after it sees nothing due now,
	 * the next due time in about a minute, and the look takes nothing. */
	note.job = &b;
	note.defer = 1;
	note.delay_ms = 60000;
	note.detail = NULL;
	cr_expect_eq(hub_job_stand_look_after(db, &note, "w1", 30, NULL, &st, &none),
	    HUB_DB_NOTFOUND);
	cr_expect_eq(note.err, HUB_DB_OK);
	job_state(db, idb, &js);
	cr_expect_str_eq(js.state, "queued");
	cr_expect_eq(js.attempts, 0, "put back, no attempt counted");
	cr_expect_eq(st.due_now, 0);
	cr_expect_gt(st.due_ms, 50000, "due in %lld ms", st.due_ms);

	/* Written already: the fence says the lease is gone. */
	note.job = &a;
	note.defer = 0;
	cr_expect_eq(hub_job_stand_look_after(db, &note, "w1", 30, NULL, &st, &none),
	    HUB_DB_NOTFOUND);
	cr_expect_eq(note.err, HUB_DB_NOTFOUND);
	cr_expect_eq(a.attempts, 1);
	cr_expect_gt(st.due_ms, 50000, "stood all the same");
	hub_job_clear(&a);
	hub_job_clear(&b);
}

Test(jobs, bad_arguments)
{
	struct hub_job job;
	char longkind[80];

	memset(longkind, 'a', sizeof(longkind) - 1);
	longkind[sizeof(longkind) - 1] = '\0';
	cr_expect_eq(hub_job_enqueue(db,
	    &(struct hub_job_spec){ .kind = longkind }, NULL), HUB_DB_CHECK);
	cr_expect_eq(hub_job_enqueue(db,
	    &(struct hub_job_spec){ .kind = NULL }, NULL), HUB_DB_CHECK);
	cr_expect_eq(hub_job_enqueue(db,
	    &(struct hub_job_spec){ .kind = "Not A Kind" }, NULL), HUB_DB_CHECK,
	    "the schema refuses malformed kinds");
	cr_expect_eq(hub_job_claim_in(db, "w", 0, NULL, &job), HUB_DB_QUERY);
	cr_expect_eq(hub_job_claim_in(db, NULL, 10, NULL, &job), HUB_DB_QUERY);
	/* NULL payload is an empty object */
	cr_assert_eq(hub_job_enqueue(db,
	    &(struct hub_job_spec){ .kind = "x" }, NULL), HUB_DB_OK);
	cr_assert_eq(hub_job_claim_in(db, "w", 10, NULL, &job), HUB_DB_OK);
	cr_expect(json_object_is_type(job.payload, json_type_object));
	cr_expect_eq(json_object_object_length(job.payload), 0);
	hub_job_clear(&job);
}

Test(jobs, dedupe_key)
{
	struct hub_job job;
	int64_t a, b, c, d;
	PGresult *r = NULL;

	a = enqueue(db, "callback", "cb:req1", 0);
	b = enqueue(db, "callback", "cb:req1", 0);
	cr_expect_eq(a, b, "same live key, same job");
	c = enqueue(db, "callback", "cb:req2", 0);
	cr_expect_neq(a, c);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_COUNT, NULL, &r), HUB_DB_OK);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "2");
	PQclear(r);

	/* Still deduped while running; a new job once it is done. */
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(job.id, a);
	cr_expect_eq(enqueue(db, "callback", "cb:req1", 0), a);
	cr_assert_eq(hub_job_done(db, &job, NULL), HUB_DB_OK);
	hub_job_clear(&job);
	d = enqueue(db, "callback", "cb:req1", 0);
	cr_expect_neq(d, a);

	/* Inside the producer's transaction, rolled back with it. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	enqueue(db, "callback", "cb:req3", 0);
	hub_db_rollback(db);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_COUNT, NULL, &r), HUB_DB_OK);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "3");
	PQclear(r);
}

/* The spec's retry window and attempts are written with the job (no
 * producer updates the row afterwards); the claim hands back the dedupe
 * key; a granted attempt raises max_attempts of the running job only. */
Test(jobs, spec_window_key_and_granted_attempt)
{
	struct hub_job job;
	PGresult *r = NULL;
	const char *p[1];
	char idb[24];
	int64_t id, plain;

	cr_assert_eq(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = "callback",
	    .dedupe_key = "cb:spec", .max_age_s = 86400, .max_attempts = 50 }, &id), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	plain = enqueue(db, "callback", NULL, time(NULL) + 3600);
	snprintf(idb, sizeof(idb), "%lld", (long long)id);
	p[0] = idb;
	cr_assert_eq(hub_db_exec(db, &q_table, Q_SPEC, p, &r), HUB_DB_OK);
	cr_expect_eq(cell_ll(r, 0, 0), 86400);
	cr_expect_eq(cell_ll(r, 0, 1), 50);
	PQclear(r);
	snprintf(idb, sizeof(idb), "%lld", (long long)plain);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_SPEC, p, &r), HUB_DB_OK);
	cr_expect(PQgetisnull(r, 0, 0), "no max age: no deadline");
	cr_expect_eq(cell_ll(r, 0, 1), 10, "the table's default");
	PQclear(r);

	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(job.id, id);
	cr_assert_not_null(job.dedupe_key);
	cr_expect_str_eq(job.dedupe_key, "cb:spec");
	cr_expect_eq(job.max_attempts, 50);
	cr_assert_eq(hub_job_grant_attempt(db, &job), HUB_DB_OK);
	snprintf(idb, sizeof(idb), "%lld", (long long)id);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_SPEC, p, &r), HUB_DB_OK);
	cr_expect_eq(cell_ll(r, 0, 1), 51);
	PQclear(r);
	cr_assert_eq(hub_job_done(db, &job, NULL), HUB_DB_OK);
	hub_job_clear(&job);

	/* Not running: nothing granted. */
	job.id = plain;
	cr_assert_eq(hub_job_grant_attempt(db, &job), HUB_DB_OK);
	snprintf(idb, sizeof(idb), "%lld", (long long)plain);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_SPEC, p, &r), HUB_DB_OK);
	cr_expect_eq(cell_ll(r, 0, 1), 10);
	PQclear(r);
}

Test(jobs, future_run_at_is_not_due)
{
	struct hub_job job;
	int64_t id;

	id = enqueue(db, "reminder", NULL, time(NULL) + 3600);
	cr_expect_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_NOTFOUND);
	q_id(Q_MAKE_DUE, id, NULL);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.id, id);
	hub_job_clear(&job);
}

Test(jobs, skip_locked_two_connections)
{
	struct hub_db *db2 = connect_fresh();
	struct hub_job j1, j2, j3;
	int64_t a, b;

	a = enqueue(db, "k", NULL, 0);
	b = enqueue(db, "k", NULL, 0);
	/* db holds its claimed row locked in an open transaction ... */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_job_claim_in(db, "w1", 30, NULL, &j1), HUB_DB_OK);
	/* ... db2 skips it instead of waiting, and takes the other one. */
	cr_assert_eq(hub_job_claim_in(db2, "w2", 30, NULL, &j2), HUB_DB_OK);
	cr_expect_neq(j1.id, j2.id);
	cr_expect((j1.id == a && j2.id == b) || (j1.id == b && j2.id == a));
	cr_expect_eq(hub_job_claim_in(db2, "w2", 30, NULL, &j3), HUB_DB_NOTFOUND);
	cr_assert_eq(hub_db_commit(db), HUB_DB_OK);
	cr_expect_eq(hub_job_claim_in(db2, "w2", 30, NULL, &j3), HUB_DB_NOTFOUND,
	    "committed claim holds its lease");
	hub_job_clear(&j1);
	hub_job_clear(&j2);
	hub_db_close(db2);
}

Test(jobs, expired_lease_is_claimed_again_and_fenced)
{
	struct hub_job old, fresh;
	struct jstate js;
	int64_t id;
	int n, ok;

	id = enqueue(db, "k", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "dead-worker", 30, NULL, &old), HUB_DB_OK);
	cr_expect_eq(hub_job_claim_in(db, "w2", 30, NULL, &fresh), HUB_DB_NOTFOUND);
	q_id(Q_EXPIRE_LEASE, id, NULL);
	cr_assert_eq(hub_job_claim_in(db, "w2", 30, NULL, &fresh), HUB_DB_OK);
	cr_expect_eq(fresh.id, id);
	cr_expect_eq(fresh.attempts, 1, "the lost attempt counts");
	/* The worker that lost its lease can no longer finish or fail it. */
	cr_expect_eq(hub_job_done(db, &old, NULL), HUB_DB_NOTFOUND);
	cr_expect_eq(hub_job_fail(db, &old, "late", 0, 0), HUB_DB_NOTFOUND);
	cr_expect_eq(hub_job_release(db, &old), HUB_DB_NOTFOUND);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "running");
	cr_assert_eq(hub_job_done(db, &fresh, NULL), HUB_DB_OK);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "done");
	cr_expect_eq(js.attempts, 2);
	attempts_recorded(id, &n, &ok);
	cr_expect_eq(n, 1);
	cr_expect_eq(ok, 1);
	hub_job_clear(&old);
	hub_job_clear(&fresh);
}

/*
 * A batch claim takes the oldest due jobs, each with its own lease; the
 * batch of a worker that died is claimed again when the leases run out,
 * each lost attempt counted and the dead worker fenced out.
 */
Test(jobs, batch_claim_leases_each_job_and_a_dead_batch_comes_back)
{
	struct hub_job dead[3], other[4], again[4];
	struct jstate js;
	int64_t id[5];
	int got, i;

	for (i = 0; i < 5; i++)
		id[i] = enqueue(db, "k", NULL, 0);
	cr_assert_eq(hub_job_claim_batch(db, "dead", 30, NULL, dead, 3, &got), HUB_DB_OK);
	cr_assert_eq(got, 3);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(dead[i].id, id[i], "oldest first");
		job_state(db, id[i], &js);
		cr_expect_str_eq(js.state, "running");
	}
	cr_assert_eq(hub_job_claim_batch(db, "w2", 30, NULL, other, 4, &got), HUB_DB_OK);
	cr_expect_eq(got, 2, "the rest, not the leased ones");
	cr_expect(other[0].id == id[3] && other[1].id == id[4]);
	for (i = 0; i < got; i++)
		hub_job_clear(&other[i]);
	cr_expect_eq(hub_job_claim_batch(db, "w2", 30, NULL, other, 4, &got), HUB_DB_NOTFOUND);
	for (i = 0; i < 3; i++)
		q_id(Q_EXPIRE_LEASE, id[i], NULL);
	cr_assert_eq(hub_job_claim_batch(db, "w3", 30, NULL, again, 4, &got), HUB_DB_OK);
	cr_assert_eq(got, 3);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(again[i].id, id[i]);
		cr_expect_eq(again[i].attempts, 1, "the lost attempt counts");
		cr_expect_eq(hub_job_done(db, &dead[i], NULL), HUB_DB_NOTFOUND);
		cr_expect_eq(hub_job_done(db, &again[i], NULL), HUB_DB_OK);
		hub_job_clear(&dead[i]);
		hub_job_clear(&again[i]);
	}
}

/* A lane with a cap per target claims one job at a time whatever the
 * batch asked: the cap could not count the jobs of one statement. */
Test(jobs, batch_claim_in_a_capped_lane_takes_one)
{
	static const char *const kinds[] = { "k" };
	struct hub_job_filter f = { "capped", kinds, 1, 0, kinds, 1, 1 };
	struct hub_job jobs[4];
	int got, i;

	for (i = 0; i < 3; i++)
		cr_assert_eq(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = "k",
		    .target = "host:1" }, NULL), HUB_DB_OK);
	cr_assert_eq(hub_job_claim_batch(db, "w", 30, &f, jobs, 4, &got), HUB_DB_OK);
	cr_expect_eq(got, 1);
	hub_job_clear(&jobs[0]);
	cr_expect_eq(hub_job_claim_batch(db, "w", 30, &f, jobs, 4, &got), HUB_DB_NOTFOUND,
	    "the target is at its cap of one");
}

/* A capped lane's claim is a transaction of its own (the lane's lock,
 * then the claim): BEGIN, both statements and COMMIT in one round trip.
 * Its outcome and stand go together first, its look after them: two. */
Test(jobs, a_capped_lane_claims_in_one_round_trip)
{
	static const char *const kinds[] = { "k" };
	struct hub_job_filter f = { "capped", kinds, 1, 0, kinds, 1, 1 };
	struct hub_job a, b, c;
	struct hub_job_stand st;
	struct hub_job_note note;
	struct jstate js;
	FILE *trace;
	int64_t ida;

	ida = enqueue_target("host:1");
	enqueue_target("host:2");
	enqueue_target("host:2");
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(hub_job_claim_in(db, "w1", 30, &f, &a), HUB_DB_OK);
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 1, "BEGIN, the lock, the claim and COMMIT at once");
	fclose(trace);
	cr_assert_eq(a.id, ida);
	cr_expect_eq(hub_db_in_tx(db), 0);

	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	memset(&note, 0, sizeof(note));
	note.job = &a;
	memset(&st, 0, sizeof(st));
	st.max_ms = 1000;
	cr_expect_eq(hub_job_stand_look_after(db, &note, "w1", 30, &f, &st, &b), HUB_DB_OK);
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 2, "the outcome and the stand, then the claim");
	fclose(trace);
	cr_expect_eq(note.err, HUB_DB_OK);
	job_state(db, ida, &js);
	cr_expect_str_eq(js.state, "done");
	/* The other host's first job; its second waits for the cap. */
	cr_expect_neq(b.id, 0);
	cr_expect_eq(hub_job_claim_in(db, "w2", 30, &f, &c), HUB_DB_NOTFOUND,
	    "host:2 is at its cap of one");
	cr_expect_eq(hub_db_in_tx(db), 0);
	hub_job_clear(&a);
	hub_job_clear(&b);
}

Test(jobs, real_lease_timeout)
{
	struct hub_job a, b;

	enqueue(db, "k", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w1", 1, NULL, &a), HUB_DB_OK);
	cr_expect_eq(hub_job_claim_in(db, "w2", 1, NULL, &b), HUB_DB_NOTFOUND);
	usleep(1300 * 1000);
	cr_assert_eq(hub_job_claim_in(db, "w2", 30, NULL, &b), HUB_DB_OK);
	cr_expect_eq(a.id, b.id);
	hub_job_clear(&a);
	hub_job_clear(&b);
}

Test(jobs, fail_with_retry_after)
{
	struct hub_job job;
	struct jstate js;
	int64_t id;
	int n, ok;

	id = enqueue(db, "slack.post", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(hub_job_fail(db, &job, "ratelimited", 120, 0), HUB_DB_OK);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "queued");
	cr_expect_eq(js.attempts, 1);
	cr_expect(js.due_in >= 118 && js.due_in <= 121, "due in %d s", js.due_in);
	cr_expect_str_eq(js.last_error, "ratelimited");
	attempts_recorded(id, &n, &ok);
	cr_expect_eq(n, 1);
	cr_expect_eq(ok, 0);
	hub_job_clear(&job);
	cr_expect_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_NOTFOUND, "not due yet");

	/* -1: exponential backoff, first retry in [5, 10] s */
	q_id(Q_MAKE_DUE, id, NULL);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.attempts, 1);
	cr_assert_eq(hub_job_fail(db, &job, "timeout", -1, 0), HUB_DB_OK);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "queued");
	/* attempt 2 -> base 10 * 2 = 20, jitter [10, 20] */
	cr_expect(js.due_in >= 9 && js.due_in <= 21, "due in %d s", js.due_in);
	hub_job_clear(&job);
}

/*
 * A target's circuit opens while one of its jobs runs (another job's
 * failure opened it: hub_job_defer_target).  When the running one fails
 * after that, its retry comes when the circuit closes, not at its own
 * shorter backoff: with it, test_isolation.py's breaker check failed now
 * and then, two callbacks in flight as the circuit opened and grew.
 */
Test(jobs, retry_of_a_running_job_keeps_its_targets_deferral)
{
	struct hub_job job;
	struct jstate js;
	int64_t id;
	long moved = 0;

	cr_assert_eq(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = "http_post",
	    .target = "host:9" }, &id), HUB_DB_OK);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(hub_job_defer_target(db, "host:9", 120, &moved), HUB_DB_OK);
	cr_expect_eq(moved, 1, "the running job is moved too");
	cr_assert_eq(hub_job_fail(db, &job, "connect", 2, 0), HUB_DB_OK);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "queued");
	cr_expect(js.due_in >= 118, "the retry waits for the circuit: due in %d s", js.due_in);
	hub_job_clear(&job);

	/* Without a deferral the retry is the backoff asked for. */
	q_id(Q_MAKE_DUE, id, NULL);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(hub_job_fail(db, &job, "connect", 2, 0), HUB_DB_OK);
	job_state(db, id, &js);
	cr_expect(js.due_in >= 1 && js.due_in <= 3, "due in %d s", js.due_in);
	hub_job_clear(&job);
}

Test(jobs, gives_up)
{
	static const struct {
		const char	*why;
		int		 max_attempts;
		int		 permanent;
		int		 deadline_past;
		const char	*states[3];	/* after each failed attempt */
	} cases[] = {
		{ "max_attempts 2", 2, 0, 0, { "queued", "failed", NULL } },
		{ "max_attempts 1", 1, 0, 0, { "failed", NULL, NULL } },
		{ "permanent", 10, 1, 0, { "failed", NULL, NULL } },
		{ "deadline passed", 10, 0, 1, { "failed", NULL, NULL } },
		{ "plenty left", 10, 0, 0, { "queued", "queued", "queued" } },
	};
	struct hub_job job;
	struct jstate js;
	char maxbuf[8];
	size_t i, k;
	int64_t id;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		id = enqueue(db, "callback", NULL, 0);
		snprintf(maxbuf, sizeof(maxbuf), "%d", cases[i].max_attempts);
		q_id(Q_SET_MAX, id, maxbuf);
		if (cases[i].deadline_past)
			q_id(Q_SET_DEADLINE_PAST, id, NULL);
		for (k = 0; k < 3 && cases[i].states[k] != NULL; k++) {
			cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK, "%s", cases[i].why);
			cr_assert_eq(job.id, id);
			if (cases[i].deadline_past)
				cr_expect_gt(job.deadline, 0);
			cr_assert_eq(hub_job_fail(db, &job, "HTTP 500", 0,
			    cases[i].permanent), HUB_DB_OK);
			hub_job_clear(&job);
			job_state(db, id, &js);
			cr_expect_str_eq(js.state, cases[i].states[k], "%s, attempt %zu",
			    cases[i].why, k + 1);
		}
		/* whatever is left must not block the next case */
		if (strcmp(js.state, "queued") == 0) {
			cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
			cr_assert_eq(hub_job_done(db, &job, NULL), HUB_DB_OK);
			hub_job_clear(&job);
		}
		cr_expect_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_NOTFOUND, "%s", cases[i].why);
	}
}

Test(jobs, release_counts_no_attempt)
{
	struct hub_job job;
	struct jstate js;
	int64_t id;
	int n, ok;

	id = enqueue(db, "k", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(hub_job_release(db, &job), HUB_DB_OK);
	cr_expect_eq(hub_job_release(db, &job), HUB_DB_NOTFOUND, "released twice");
	hub_job_clear(&job);
	job_state(db, id, &js);
	cr_expect_str_eq(js.state, "queued");
	cr_expect_eq(js.attempts, 0);
	attempts_recorded(id, &n, &ok);
	cr_expect_eq(n, 0);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK, "claimable at once");
	cr_expect_eq(job.id, id);
	cr_expect_eq(job.attempts, 0);
	hub_job_clear(&job);
}

/* A job's first run is the one the change that queued it started: not
 * after it was put back or failed (the sync refreshes Home tabs at its
 * first run only); a job given back at shutdown did not run. */
Test(jobs, first_run_is_the_one_its_change_started)
{
	struct hub_job job;
	int64_t id;

	id = enqueue(db, "k", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.first_run, 1);
	cr_assert_eq(hub_job_release(db, &job), HUB_DB_OK);
	hub_job_clear(&job);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.first_run, 1, "given back, it had not run");
	cr_assert_eq(hub_job_defer(db, &job, 0, NULL), HUB_DB_OK);
	hub_job_clear(&job);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.id, id);
	cr_expect_eq(job.first_run, 0, "put back");
	cr_assert_eq(hub_job_done(db, &job, "ok"), HUB_DB_OK);
	hub_job_clear(&job);

	id = enqueue(db, "k", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_assert_eq(hub_job_fail(db, &job, "timeout", 1, 0), HUB_DB_OK);
	hub_job_clear(&job);
	q_id(Q_MAKE_DUE, id, NULL);
	cr_assert_eq(hub_job_claim_in(db, "w", 30, NULL, &job), HUB_DB_OK);
	cr_expect_eq(job.id, id);
	cr_expect_eq(job.first_run, 0, "a retry");
	hub_job_clear(&job);
}

Test(jobs, notify_wakes_waiter)
{
	struct hub_db *prod = connect_fresh();
	struct timespec t0, t1;
	long ms;

	cr_assert_eq(hub_job_listen(db), HUB_DB_OK);
	cr_assert_eq(waiting(db, "w1", 60000, NULL), HUB_DB_OK);
	cr_expect_eq(hub_job_wait(db, 100, NULL, "w1"), 0, "nothing yet: timeout");

	/* Uncommitted enqueue does not wake anyone; the commit does. */
	cr_assert_eq(hub_db_begin(prod), HUB_DB_OK);
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 200, NULL, "w1"), 0, "not before commit");
	cr_assert_eq(hub_db_commit(prod), HUB_DB_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_expect_eq(hub_job_wait(db, 5000, NULL, "w1"), 2, "woken by name");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	cr_expect_lt(ms, 2000, "woken by NOTIFY, not by the timeout (%ld ms)", ms);
	/* Consumed: the next wait times out again. */
	cr_expect_eq(hub_job_wait(db, 100, NULL, "w1"), 0);

	/* Named, the waiter's row went with the notification: it stands
	 * again, and an autocommit enqueue wakes it too. */
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 300, NULL, "w1"), 0, "its row was taken: nothing sent");
	cr_assert_eq(waiting(db, "w1", 60000, NULL), HUB_DB_OK);
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 5000, NULL, "w1"), 2);
	hub_db_close(prod);
}

/* While no worker waits, a job commits without a NOTIFY (whose commit
 * would hold the cluster-wide notification lock for nobody); a worker
 * that says it waits is notified, until it is awake again or its wait
 * has run out. */
Test(jobs, notify_only_while_a_worker_waits)
{
	struct hub_db *prod = connect_fresh(), *other = connect_fresh();
	struct hub_job job;

	cr_assert_eq(hub_job_listen(db), HUB_DB_OK);
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 300, NULL, NULL), 0, "no waiter: no NOTIFY");

	/* Another worker waits: the commit notifies (every listener hears it). */
	cr_assert_eq(waiting(other, "w2", 60000, NULL), HUB_DB_OK);
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 5000, NULL, NULL), 1, "a waiter: NOTIFY");
	/* ... and no longer once it is awake: the claim that gives it a
	 * job takes its row. */
	cr_assert_eq(hub_job_claim_in(other, "w2", 30, NULL, &job), HUB_DB_OK);
	hub_job_clear(&job);
	waiters_are("");
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 300, NULL, NULL), 0, "awake again: no NOTIFY");

	/* A waiter whose wait ran out (killed while waiting) counts for nothing. */
	cr_assert_eq(waiting(other, "w3", 0, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_WAITERS_EXPIRE, NULL, NULL), HUB_DB_OK);
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 300, NULL, NULL), 0, "an expired waiter: no NOTIFY");

	/* A waiter seen when the producer commits, not when it inserted. */
	cr_assert_eq(hub_db_begin(prod), HUB_DB_OK);
	enqueue(prod, "k", NULL, 0);
	cr_assert_eq(waiting(other, "w4", 60000, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_commit(prod), HUB_DB_OK);
	cr_expect_eq(hub_job_wait(db, 5000, NULL, NULL), 1, "registered before the commit: NOTIFY");
	hub_db_close(other);
	hub_db_close(prod);
}

/* Three lanes for the wake-up tests: slack takes k_slack and every kind
 * no lane names, home takes k_home, email names no kind of its own. */
static const char *const lane_kinds_all[] = { "k_slack", "k_home" };
static const char *const lane_kinds_slack[] = { "k_slack" };
static const char *const lane_kinds_home[] = { "k_home" };
static const struct hub_job_filter lane_slack = {
	"slack", lane_kinds_slack, 1, 1, lane_kinds_all, 2, 0 };
static const struct hub_job_filter lane_home = {
	"home", lane_kinds_home, 1, 0, lane_kinds_all, 2, 0 };
static const struct hub_job_filter lane_email = { "email", NULL, 0, 0, lane_kinds_all, 2, 0 };

/* Every listener hears every NOTIFY; a lane's worker wakes only for its
 * own jobs: its kinds, kinds no lane names when it takes those, and a job
 * moved into it whatever its kind. */
Test(jobs, notify_wakes_only_the_jobs_lane)
{
	struct hub_db *prod = connect_fresh(), *hdb = connect_fresh(), *edb = connect_fresh();
	struct hub_job job;

	cr_assert_eq(hub_job_listen(db), HUB_DB_OK);
	cr_assert_eq(hub_job_listen(hdb), HUB_DB_OK);
	cr_assert_eq(hub_job_listen(edb), HUB_DB_OK);
	/* A waiter of no lane is named for every job (its row goes with each
	 * notification: it stands again before each).  The listeners here,
	 * with no worker id of their own, hear every notification and keep
	 * what their filter lets through. */
#define STAND()	cr_assert_eq(waiting(prod, "w1", 60000, NULL), HUB_DB_OK)

	STAND();
	enqueue(prod, "k_home", NULL, 0);
	cr_expect_eq(hub_job_wait(hdb, 5000, &lane_home, NULL), 1, "its kind wakes the home lane");
	cr_expect_eq(hub_job_wait(db, 300, &lane_slack, NULL), 0, "another lane's kind: no wake");
	cr_expect_eq(hub_job_wait(edb, 300, &lane_email, NULL), 0);

	STAND();
	enqueue(prod, "k_unnamed", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 5000, &lane_slack, NULL), 1, "a kind no lane names: the catch-all lane");
	cr_expect_eq(hub_job_wait(hdb, 300, &lane_home, NULL), 0);

	/* A k_slack job moved to "email" and put back: only email wakes. */
	STAND();
	enqueue(prod, "k_slack", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 5000, &lane_slack, NULL), 1);
	cr_assert_eq(hub_job_claim_in(prod, "w", 30, &lane_slack, &job), HUB_DB_OK);
	STAND();
	cr_assert_eq(hub_job_defer(prod, &job, 0, "email"), HUB_DB_OK);
	cr_expect_eq(hub_job_wait(edb, 5000, &lane_email, NULL), 1, "moved into the lane: wakes it");
	cr_expect_eq(hub_job_wait(db, 300, &lane_slack, NULL), 0, "moved out of the lane: no wake");
	hub_job_clear(&job);
	/* NULL: every notification wakes (one process without lanes). */
	STAND();
	enqueue(prod, "k_home", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 5000, NULL, NULL), 1);
#undef STAND
	hub_db_close(edb);
	hub_db_close(hdb);
	hub_db_close(prod);
}


/* A job handed to another lane (a notification about to send an email)
 * is put back into it with the worker's next wait: one round trip for
 * the move, the stand and the look, which no longer sees it. */
Test(jobs, a_hand_over_goes_with_the_next_wait)
{
	struct hub_job a, b, c;
	struct hub_job_stand st;
	struct hub_job_note note;
	FILE *trace;
	int64_t id;

	id = enqueue(db, "k_slack", NULL, 0);
	cr_assert_eq(hub_job_claim_in(db, "w1", 30, &lane_slack, &a), HUB_DB_OK);
	cr_assert_eq(a.id, id);
	memset(&note, 0, sizeof(note));
	note.job = &a;
	note.defer = 1;
	note.lane = "email";
	memset(&st, 0, sizeof(st));
	st.max_ms = 1000;
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_expect_eq(hub_job_stand_look_after(db, &note, "w1", 30, &lane_slack, &st, &b),
	    HUB_DB_NOTFOUND, "the slack lane's look takes the job it handed over");
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 1, "the move, the stand and the look together");
	fclose(trace);
	cr_expect_eq(note.err, HUB_DB_OK);
	cr_assert_eq(hub_job_claim_in(db, "w2", 30, &lane_email, &c), HUB_DB_OK);
	cr_expect_eq(c.id, id, "the email lane runs it");
	cr_expect_eq(c.attempts, 0, "no attempt counted");
	hub_job_clear(&a);
	hub_job_clear(&c);
}

/*
 * A job's commit wakes one waiting process of its lane, by name, and
 * takes its row; the lane's other waiters and other lanes sleep on.  With
 * no waiter of the lane nothing is sent.  When every waiter of the lane
 * is held by another commit, or a row says no lane (a worker of an older
 * version), the notification names nobody and every listener of the lane
 * wakes.
 */
Test(jobs, a_commit_wakes_one_waiter_of_its_lane_by_name)
{
	struct hub_db *prod = connect_fresh(), *a = connect_fresh(), *b = connect_fresh();
	struct hub_db *h = connect_fresh(), *holder = connect_fresh();
	const char *old = "old-worker";
	int ra, rb;

	cr_assert_eq(hub_job_listen(a), HUB_DB_OK);
	cr_assert_eq(hub_job_listen(b), HUB_DB_OK);
	cr_assert_eq(hub_job_listen(h), HUB_DB_OK);
	cr_assert_eq(waiting(a, "wa", 60000, &lane_slack), HUB_DB_OK);
	cr_assert_eq(waiting(b, "wb", 60000, &lane_slack), HUB_DB_OK);
	cr_assert_eq(waiting(h, "wh", 60000, &lane_home), HUB_DB_OK);

	/* One of the two slack waiters is named; its row is gone. */
	enqueue(prod, "k_slack", NULL, 0);
	ra = hub_job_wait(a, 1500, &lane_slack, "wa");
	rb = hub_job_wait(b, ra == 2 ? 300 : 1500, &lane_slack, "wb");
	cr_expect((ra == 2 && rb == 0) || (ra == 0 && rb == 2),
	    "exactly one slack waiter woken, by name (a %d, b %d)", ra, rb);
	cr_expect_eq(hub_job_wait(h, 300, &lane_home, "wh"), 0, "another lane sleeps on");
	waiters_are(ra == 2 ? "wb,wh" : "wa,wh");

	/* The next job names the other one. */
	enqueue(prod, "k_slack", NULL, 0);
	if (ra == 2)
		cr_expect_eq(hub_job_wait(b, 5000, &lane_slack, "wb"), 2);
	else
		cr_expect_eq(hub_job_wait(a, 5000, &lane_slack, "wa"), 2);
	waiters_are("wh");

	/* No slack process waits (they claim when their job is done): no
	 * notification at all, not even to the home lane's listener.  (Each
	 * connection drops first what named another.) */
	cr_expect_eq(hub_job_wait(a, 100, &lane_slack, "wa"), 0);
	cr_expect_eq(hub_job_wait(b, 100, &lane_slack, "wb"), 0);
	enqueue(prod, "k_slack", NULL, 0);
	cr_expect_eq(hub_job_wait(a, 300, NULL, NULL), 0, "no waiter of the lane: nothing sent");

	/* Both slack waiters held by another commit: named nobody, both wake,
	 * their rows stand. */
	cr_assert_eq(waiting(a, "wa", 60000, &lane_slack), HUB_DB_OK);
	cr_assert_eq(waiting(b, "wb", 60000, &lane_slack), HUB_DB_OK);
	cr_assert_eq(hub_db_begin(holder), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(holder, &q_table, Q_WAITERS_HOLD, NULL, NULL), HUB_DB_OK);
	enqueue(prod, "k_slack", NULL, 0);
	cr_expect_eq(hub_job_wait(a, 5000, &lane_slack, "wa"), 1, "held: every waiter of the lane");
	cr_expect_eq(hub_job_wait(b, 5000, &lane_slack, "wb"), 1);
	cr_expect_eq(hub_job_wait(h, 300, &lane_home, "wh"), 0);
	hub_db_rollback(holder);
	waiters_are("wa,wb,wh");

	/* A row of an older worker (no lane, not named): everyone hears,
	 * nobody's row is taken. */
	awake(a, "wa");
	awake(b, "wb");
	awake(h, "wh");
	cr_assert_eq(hub_db_exec(prod, &q_table, Q_WAITER_OLD, &old, NULL), HUB_DB_OK);
	enqueue(prod, "k_home", NULL, 0);
	cr_expect_eq(hub_job_wait(h, 5000, &lane_home, "wh"), 1, "an older worker waits: named nobody");
	waiters_are("old-worker");

	/* A worker without lanes (NULL filter) is named for any job. */
	cr_expect_eq(hub_job_wait(a, 100, &lane_slack, "wa"), 0, "k_home is not the slack lane's");
	awake(prod, old);
	cr_assert_eq(waiting(a, "wa", 60000, NULL), HUB_DB_OK);
	enqueue(prod, "k_other", NULL, 0);
	cr_expect_eq(hub_job_wait(a, 5000, NULL, "wa"), 2);
	waiters_are("");
	hub_db_close(holder);
	hub_db_close(h);
	hub_db_close(b);
	hub_db_close(a);
	hub_db_close(prod);
}

/* ms left of worker's waiter row. */
static long long
waiter_left(const char *worker)
{
	PGresult *r = NULL;
	long long v;

	cr_assert_eq(hub_db_exec(db, &q_table, Q_WAITER_LEFT, &worker, &r), HUB_DB_OK);
	cr_assert_eq(PQntuples(r), 1, "%s stands", worker);
	v = cell_ll(r, 0, 0);
	PQclear(r);
	return v;
}

static int
stand(struct hub_db *d, const char *worker, const struct hub_job_filter *f, int max_ms,
    int floor_ms, int timekeeper, struct hub_job_stand *st)
{
	memset(st, 0, sizeof(*st));
	st->max_ms = max_ms;
	st->floor_ms = floor_ms;
	st->timekeeper = timekeeper;
	return hub_job_stand(d, worker, f, st);
}

/*
 * A worker's stand (one statement): its waiter row lasts the wait and a
 * second more; the wait is its longest one unless a job of its lane falls
 * due sooner and it is the lane's timekeeper, and never below its
 * shortest; due says when the lane's next job is due (0: now, -1: none).
 * Another lane's jobs count for nothing.  Stand-and-look claims a job
 * committed before it, and the claim takes the waiter row.
 */
Test(jobs, a_stand_says_how_long_to_wait_and_what_is_due)
{
	struct hub_job_stand st;
	struct hub_job job;
	long long left;
	int64_t id;

	cr_assert_eq(stand(db, "wa", &lane_slack, 5000, 0, 1, &st), HUB_DB_OK);
	cr_expect_eq(st.due_ms, -1, "nothing queued");
	cr_expect_eq(st.wait_ms, 5000);
	left = waiter_left("wa");
	cr_expect(left > 5500 && left <= 6000, "the row lasts the wait and a second: %lld ms", left);

	/* A home job in 3 s: the home lane's timekeeper wakes for it, its
	 * other processes and the slack lane do not. */
	enqueue(db, "k_home", NULL, time(NULL) + 3);
	cr_assert_eq(stand(db, "wh", &lane_home, 5000, 0, 1, &st), HUB_DB_OK);
	cr_expect(st.due_ms > 1000 && st.due_ms <= 3000, "due in %lld ms", st.due_ms);
	cr_expect_eq(st.wait_ms, st.due_ms + 10, "just past the due time");
	cr_expect_eq(st.due_now, 0, "queued for later is not due now");
	left = waiter_left("wh");
	cr_expect(left > st.wait_ms + 500 && left <= st.wait_ms + 1000, "row: %lld ms", left);
	cr_assert_eq(stand(db, "wh2", &lane_home, 5000, 0, 0, &st), HUB_DB_OK);
	cr_expect_eq(st.wait_ms, 5000, "not the timekeeper");
	cr_expect(st.due_ms > 1000 && st.due_ms <= 3000);
	cr_assert_eq(stand(db, "wa", &lane_slack, 5000, 0, 1, &st), HUB_DB_OK);
	cr_expect_eq(st.due_ms, -1, "another lane's job");
	cr_expect_eq(st.wait_ms, 5000);
	/* A due time past the longest wait; the shortest wait wins. */
	cr_assert_eq(stand(db, "wh", &lane_home, 1000, 0, 1, &st), HUB_DB_OK);
	cr_expect_eq(st.wait_ms, 1000);
	cr_assert_eq(stand(db, "wh", &lane_home, 5000, 4000, 1, &st), HUB_DB_OK);
	cr_expect_eq(st.wait_ms, 4000);
	/* The longer wait of a quiet lane: only when nothing of it is queued. */
	memset(&st, 0, sizeof(st));
	st.max_ms = 5000;
	st.quiet_ms = 30000;
	cr_assert_eq(hub_job_stand(db, "wh2", &lane_home, &st), HUB_DB_OK);
	cr_expect_eq(st.wait_ms, 5000, "a home job is queued");
	cr_assert_eq(hub_job_stand(db, "wa", &lane_slack, &st), HUB_DB_OK);
	cr_expect_eq(st.wait_ms, 30000, "nothing of the slack lane");
	left = waiter_left("wa");
	cr_expect(left > 30500 && left <= 31000, "row: %lld ms", left);

	/* Due now: stand and look claims it, and the claim takes the row.
	 * The stand counts the lane's jobs due now, up to two. */
	id = enqueue(db, "k_slack", NULL, 0);
	cr_assert_eq(stand(db, "wa", &lane_slack, 5000, 0, 0, &st), HUB_DB_OK);
	cr_expect_eq(st.due_ms, 0, "a slack job is due now");
	cr_expect_eq(st.due_now, 1);
	cr_assert_eq(stand(db, "wh", &lane_home, 5000, 0, 1, &st), HUB_DB_OK);
	cr_expect_eq(st.due_now, 0, "another lane's");
	memset(&st, 0, sizeof(st));
	st.max_ms = 5000;
	cr_assert_eq(hub_job_stand_look(db, "wa", 30, &lane_slack, &st, &job), HUB_DB_OK);
	cr_expect_eq(job.id, id);
	cr_expect_str_eq(job.kind, "k_slack");
	hub_job_clear(&job);
	waiters_are("wh,wh2");
	/* Two due, three due: "two or more". */
	id = enqueue(db, "k_slack", NULL, 0);
	enqueue(db, "k_slack", NULL, 0);
	cr_assert_eq(stand(db, "wa", &lane_slack, 5000, 0, 0, &st), HUB_DB_OK);
	cr_expect_eq(st.due_now, 2);
	enqueue(db, "k_slack", NULL, 0);
	cr_assert_eq(stand(db, "wa", &lane_slack, 5000, 0, 0, &st), HUB_DB_OK);
	cr_expect_eq(st.due_now, 2);
	q_id(Q_DROP_FROM, id, NULL);
	/* Nothing left for the lane: standing, none found. */
	cr_expect_eq(hub_job_stand_look(db, "wa", 30, &lane_slack, &st, &job), HUB_DB_NOTFOUND);
	cr_expect(st.due_ms > 28000 && st.due_ms <= 30000,
	    "the claimed job's lease is the next due time: %lld ms", st.due_ms);
	cr_expect_eq(st.wait_ms, 5000);
	waiters_are("wa,wh,wh2");
}

/*
 * A job queued for later wakes nobody (nothing is due), except the lane's
 * waiting timekeeper when its wait would end after the job is due: it is
 * named, stands again and waits until just past the new due time.  A job
 * due now names a waiter as before.
 */
Test(jobs, a_job_for_later_names_only_a_timekeeper_that_would_sleep_past_it)
{
	struct hub_db *prod = connect_fresh(), *a = connect_fresh(), *t = connect_fresh();
	struct hub_job_stand st;
	time_t due;

	cr_assert_eq(hub_job_listen(a), HUB_DB_OK);
	cr_assert_eq(hub_job_listen(t), HUB_DB_OK);
	cr_assert_eq(stand(a, "wa", &lane_slack, 60000, 0, 0, &st), HUB_DB_OK);

	/* No timekeeper waits: nothing is sent at all. */
	enqueue(prod, "k_slack", NULL, time(NULL) + 30);
	cr_expect_eq(hub_job_wait(a, 500, NULL, NULL), 0, "a job for later: no notification");
	waiters_are("wa");

	/* The timekeeper sleeps a minute: a job due in 5 s names it alone,
	 * as a job for later (it stands again, nothing to claim yet). */
	cr_assert_eq(stand(t, "wt", &lane_slack, 60000, 0, 1, &st), HUB_DB_OK);
	cr_expect(st.wait_ms > 25000, "the timekeeper waits for the job in 30 s: %d", st.wait_ms);
	due = time(NULL) + 5;
	enqueue(prod, "k_slack", NULL, due);
	cr_expect_eq(hub_job_wait(t, 1500, &lane_slack, "wt"), 3,
	    "the timekeeper is named, for later");
	cr_expect_eq(hub_job_wait(a, 300, &lane_slack, "wa"), 0, "the other process sleeps on");
	waiters_are("wa");
	/* It stands again: now it wakes just past the new job's due time. */
	cr_assert_eq(stand(t, "wt", &lane_slack, 60000, 0, 1, &st), HUB_DB_OK);
	cr_expect(st.due_ms > 3000 && st.due_ms <= 5000, "due in %lld ms", st.due_ms);
	cr_expect_eq(st.wait_ms, st.due_ms + 10);
	/* Another job due at the same time: it wakes for both anyway
	 * (within 100 ms of the job), nobody is named. */
	enqueue(prod, "k_slack", NULL, due);
	cr_expect_eq(hub_job_wait(t, 500, NULL, NULL), 0, "the same due time wakes nobody");
	waiters_are("wa,wt");
	/* One due two seconds sooner names it again. */
	enqueue(prod, "k_slack", NULL, due - 2);
	cr_expect_eq(hub_job_wait(t, 1500, &lane_slack, "wt"), 3, "a sooner one names it");
	waiters_are("wa");
	cr_assert_eq(stand(t, "wt", &lane_slack, 60000, 0, 1, &st), HUB_DB_OK);
	cr_expect(st.due_ms > 1000 && st.due_ms <= 3000, "due in %lld ms", st.due_ms);

	/* A job due after the timekeeper wakes anyway: nobody is named. */
	enqueue(prod, "k_slack", NULL, time(NULL) + 20);
	cr_expect_eq(hub_job_wait(t, 500, NULL, NULL), 0, "it finds that one on its own");
	waiters_are("wa,wt");
	/* Another lane's job for later: not its timekeeper's. */
	enqueue(prod, "k_home", NULL, time(NULL) + 3);
	cr_expect_eq(hub_job_wait(t, 500, NULL, NULL), 0);
	waiters_are("wa,wt");

	/* Due now: a waiter of the lane is named, as ever. */
	enqueue(prod, "k_slack", NULL, 0);
	cr_expect_eq(hub_job_wait(t, 1500, NULL, NULL), 1, "a job due now notifies");
	hub_db_close(t);
	hub_db_close(a);
	hub_db_close(prod);
}

Test(jobs, listen_survives_reconnect)
{
	struct hub_db *prod = connect_fresh();
	PGresult *r = NULL;
	char sql[96];
	int pid;

	cr_assert_eq(hub_job_listen(db), HUB_DB_OK);
	cr_assert_eq(waiting(prod, "w1", 60000, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &q_table, Q_PID, NULL, &r), HUB_DB_OK);
	pid = (int)cell_ll(r, 0, 0);
	PQclear(r);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	th_admin_sql(sql);
	usleep(200 * 1000);
	/* Some statement notices the loss and reconnects ... */
	cr_assert_eq(hub_db_exec(db, &q_table, Q_COUNT, NULL, NULL), HUB_DB_OK);
	/* ... the next wait re-LISTENs (reporting a wake-up, notifications may
	 * have been missed), and later notifications arrive. */
	cr_expect_eq(hub_job_wait(db, 100, NULL, NULL), 1);
	cr_expect_eq(hub_job_wait(db, 100, NULL, NULL), 0);
	enqueue(prod, "k", NULL, 0);
	cr_expect_eq(hub_job_wait(db, 5000, NULL, NULL), 1);
	hub_db_close(prod);
}

Test(jobs, backoff_bounds)
{
	static const struct {
		int attempts, base, cap, lo, hi;
	} cases[] = {
		{ 1, 10, 3600, 5, 10 },
		{ 2, 10, 3600, 10, 20 },
		{ 3, 10, 3600, 20, 40 },
		{ 9, 10, 3600, 1280, 2560 },
		{ 10, 10, 3600, 1800, 3600 },
		{ 1000, 10, 3600, 1800, 3600 },	/* no overflow */
		{ 0, 10, 3600, 5, 10 },		/* treated as the first */
		{ -5, 10, 3600, 5, 10 },
		{ 1, 1, 1, 0, 1 },
		{ 3, 100, 50, 25, 50 },		/* cap below base */
		{ 1, 0, 3600, 0, 0 },
		{ 1, 10, 0, 0, 0 },
	};
	size_t i;
	int k, d, min, max;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		min = 1 << 30;
		max = -1;
		for (k = 0; k < 500; k++) {
			d = hub_job_backoff(cases[i].attempts, cases[i].base, cases[i].cap);
			if (d < min)
				min = d;
			if (d > max)
				max = d;
		}
		cr_expect_geq(min, cases[i].lo, "case %zu: min %d", i, min);
		cr_expect_leq(max, cases[i].hi, "case %zu: max %d", i, max);
		/* jitter: wide ranges are actually used */
		if (cases[i].hi - cases[i].lo >= 10)
			cr_expect_gt(max - min, (cases[i].hi - cases[i].lo) / 2,
			    "case %zu: spread %d..%d", i, min, max);
	}
}
