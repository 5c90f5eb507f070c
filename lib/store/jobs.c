/*
 * jobs.c - the PostgreSQL job queue (see jobs.h).
 *
 * A claimed job's `attempts` value is its fencing token: done/fail/release
 * only touch the row while it is still running with the attempts value the
 * claim returned.  Reclaiming an expired lease counts the lost attempt, so a
 * worker that outlived its lease cannot finish a job another worker owns.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/common.h"
#include "store/db.h"
#include "store/jobs.h"
#include "base/log.h"

/* Backoff when the caller does not say (-1): 10 s doubling to 1 h. */
#define JOB_BACKOFF_BASE_S	10
#define JOB_BACKOFF_CAP_S	3600
#define JOB_PAYLOAD_DEPTH	32
#define JOB_KINDS_TEXT		1024    /* a lane's kinds as a text[] literal */

/* A job of lane $a, whose kinds are $b (text[]), also taking kinds no
 * lane names when $c (those that are named: $d). */
#define JOB_IN_LANE(a, b, c, d) \
	"(CASE WHEN j.lane IS NOT NULL THEN j.lane = $" a \
	" ELSE j.kind = ANY($" b "::text[])" \
	"  OR ($" c "::boolean AND NOT j.kind = ANY($" d "::text[])) END)"

/*
 * What a claim takes, at most $n rows (cond narrows them, on jobs j):
 * queued jobs due now (q) and running jobs whose lease ran out (e), each
 * read in its own index's order (jobs_due, jobs_lease) up to the first
 * not due, locked as read, skipping rows another claim holds.  One
 * condition with OR over both states had no index order to stop in: its
 * generic plan read every queued job, due or not, by state
 * (jobs_live_kind), or both indexes as bitmaps, which never mark the
 * entries of jobs gone from the queue dead, so every job run since the
 * last VACUUM was read again by each claim.  When q and e both find
 * rows, the oldest $n of them are claimed; the others' locks end with
 * the statement.  test_plans.py holds claims to this.
 */
#define JOB_PICK(state, cond, n) \
	" SELECT j.id, j.run_at FROM jobs j WHERE " state cond \
	" ORDER BY j.run_at, j.id LIMIT $" n "::integer FOR UPDATE SKIP LOCKED"
#define JOB_PICKS(cond, n) \
	"q AS MATERIALIZED (" JOB_PICK("j.state = 'queued' AND j.run_at <= now()", cond, n) \
	"), e AS MATERIALIZED (" \
	JOB_PICK("j.state = 'running' AND j.locked_until < now()", cond, n) "),"
/* A claim of at most $n of the rows JOB_PICKS finds: each gets its own
 * lease (JOB_CLAIMED_SQL ends it). */
#define JOB_CLAIM_SQL(cond, n) \
	"WITH " JOB_PICKS(cond, n) \
	" c AS (UPDATE jobs SET state = 'running', locked_by = $1," \
	" locked_until = now() + make_interval(secs => $2::integer)," \
	" started_at = now(), updated_at = now()," \
	" attempts = attempts + CASE WHEN state = 'running' THEN 1 ELSE 0 END" \
	" WHERE id = ANY (ARRAY(SELECT id FROM" \
	"  (SELECT id, run_at FROM q UNION ALL SELECT id, run_at FROM e) x" \
	"  ORDER BY run_at, id LIMIT $" n "::integer))" \
	JOB_CLAIMED_SQL

/* The end of a claim: the claimed rows, oldest first (claim_row reads
 * them in this column order).  A worker ($1) that claims a job is no
 * longer waiting: its waiter row goes in the same statement (none when
 * it claimed nothing, or a producer naming it took the row already). */
#define JOB_CLAIMED_SQL \
	" RETURNING id, kind, payload::text AS body, attempts, max_attempts," \
	"  extract(epoch FROM created_at)::bigint AS created," \
	"  coalesce(extract(epoch FROM deadline)::bigint, 0) AS until, dedupe_key, run_at," \
	"  attempts = 0 AND run_at = created_at AS first)," \
	" awake AS (DELETE FROM job_waiters WHERE worker = $1 AND EXISTS (SELECT 1 FROM c))" \
	" SELECT id, kind, body, attempts, max_attempts, created, until, dedupe_key, first" \
	" FROM c ORDER BY run_at, id"

enum job_stmt {
	JOB_ENQUEUE,
	JOB_FIND_DEDUPE,
	JOB_CLAIM,
	JOB_DONE,
	JOB_FAIL,
	JOB_RELEASE,
	JOB_CLAIM_IN,
	JOB_LANE_LOCK,
	JOB_DEFER,
	JOB_DEFER_TARGET,
	JOB_GRANT_ATTEMPT,
	JOB_RETRY,
	JOB_LISTEN,
	JOB_STAND,
	JOB__MAX
};

static const struct hub_stmt job_stmts[JOB__MAX] = {
	/* $1 kind, $2 payload, $3 dedupe key, $4 run_at (epoch s or NULL),
	 * $5 max age s (NULL: no deadline), $6 max attempts (NULL: default),
	 * $7 target, $8 lane */
	[JOB_ENQUEUE] = {
	    "WITH ins AS ("
	    " INSERT INTO jobs (kind, payload, dedupe_key, run_at, deadline, max_attempts,"
	    "  target, lane)"
	    " VALUES ($1, $2::jsonb, $3,"
	    "  coalesce(to_timestamp($4::bigint), now()),"
	    "  now() + make_interval(secs => $5::integer),"
	    "  coalesce($6::integer, 10), $7, $8)"
	    HUB_JOB_ON_DEDUPE_SQL
	    " RETURNING id)"
	    " SELECT id FROM ins"
	    " UNION ALL"
	    " SELECT id FROM jobs WHERE dedupe_key = $3"
	    "  AND state IN ('queued', 'running')"
	    "  AND NOT EXISTS (SELECT 1 FROM ins)"
	    " LIMIT 1", 8 },
	[JOB_FIND_DEDUPE] = {
	    "SELECT id FROM jobs WHERE dedupe_key = $1"
	    " AND state IN ('queued', 'running')", 1 },
	/* $1 worker id, $2 lease seconds, $3 how many at most.  The due
	 * rows are picked once (ARRAY of the sub-select), each gets its own
	 * lease; they come back oldest first, the order they run in. */
	[JOB_CLAIM] = { JOB_CLAIM_SQL("", "3"), 3 },
	/* $1 id, $2 attempts (fence), $3 detail */
	[JOB_DONE] = {
	    "WITH a AS ("
	    " INSERT INTO job_attempts (job_id, attempt, worker, started_at, ok, detail)"
	    " SELECT id, attempts + 1, locked_by, started_at, true, $3 FROM jobs"
	    " WHERE id = $1::bigint AND state = 'running' AND attempts = $2::integer)"
	    " UPDATE jobs SET state = 'done', attempts = attempts + 1,"
	    "  locked_by = NULL, locked_until = NULL, last_error = NULL,"
	    "  updated_at = now()"
	    " WHERE id = $1::bigint AND state = 'running' AND attempts = $2::integer"
	    " RETURNING id", 3 },
	/* $1 id, $2 attempts (fence), $3 error, $4 delay s, $5 permanent.
	 * Past the deadline the job fails; a retry never runs after it.  A
	 * retry never comes before a run_at moved while the job ran (its
	 * target's circuit opened: JOB_DEFER_TARGET); otherwise run_at is
	 * the past due time the claim took it at. */
	[JOB_FAIL] = {
	    "WITH a AS ("
	    " INSERT INTO job_attempts (job_id, attempt, worker, started_at, ok, error)"
	    " SELECT id, attempts + 1, locked_by, started_at, false, $3 FROM jobs"
	    " WHERE id = $1::bigint AND state = 'running' AND attempts = $2::integer)"
	    " UPDATE jobs SET attempts = attempts + 1, last_error = $3,"
	    "  locked_by = NULL, locked_until = NULL, updated_at = now(),"
	    "  state = CASE WHEN $5::boolean OR attempts + 1 >= max_attempts"
	    "   OR (deadline IS NOT NULL AND deadline <= now())"
	    "   THEN 'failed' ELSE 'queued' END,"
	    "  run_at = CASE WHEN deadline IS NULL"
	    "   THEN greatest(run_at, now() + make_interval(secs => $4::integer))"
	    "   ELSE least(greatest(run_at, now() + make_interval(secs => $4::integer)),"
	    "    deadline) END"
	    " WHERE id = $1::bigint AND state = 'running' AND attempts = $2::integer"
	    " RETURNING state", 5 },
	/* $1 id, $2 attempts (fence) */
	[JOB_RELEASE] = {
	    "UPDATE jobs SET state = 'queued', locked_by = NULL,"
	    " locked_until = NULL, updated_at = now()"
	    " WHERE id = $1::bigint AND state = 'running' AND attempts = $2::integer"
	    " RETURNING id", 2 },
	/* As JOB_CLAIM, for one lane (hub_job_filter): $3 lane, $4 its kinds,
	 * $5 also kinds no lane names, $6 every kind a lane names, $7 the cap
	 * per target (NULL: none), $8 how many at most (1 with a cap: the
	 * count of a target's running jobs does not see the rows this same
	 * statement claims). */
	[JOB_CLAIM_IN] = {
	    JOB_CLAIM_SQL(
	    "  AND " JOB_IN_LANE("3", "4", "5", "6")
	    "  AND ($7::integer IS NULL OR j.target IS NULL OR (SELECT count(*) FROM jobs r"
	    "   WHERE r.state = 'running' AND r.target = j.target AND r.id <> j.id"
	    "   AND r.locked_until >= now()) < $7::integer)", "8"), 8 },
	/* $1 lane: one claim at a time in a lane with a cap per target */
	[JOB_LANE_LOCK] = {
	    "SELECT pg_advisory_xact_lock(hashtext('hub_jobs_lane:' || $1))", 1 },
	/* $1 id, $2 attempts (fence), $3 delay ms, $4 the lane it runs in
	 * from now on (NULL: its own) */
	[JOB_DEFER] = {
	    "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL,"
	    " updated_at = now(), lane = coalesce($4, lane),"
	    " run_at = now() + make_interval(secs => $3::double precision / 1000)"
	    " WHERE id = $1::bigint AND state = 'running' AND attempts = $2::integer"
	    " RETURNING id", 4 },
	/* $1 target, $2 delay s.  Running jobs too: one that fails after
	 * this keeps the later run_at (JOB_FAIL), instead of coming back at
	 * its own backoff while the circuit is still open. */
	[JOB_DEFER_TARGET] = {
	    "UPDATE jobs SET updated_at = now(),"
	    " run_at = least(now() + make_interval(secs => $2::integer),"
	    "  coalesce(deadline, 'infinity'))"
	    " WHERE (state = 'queued' OR state = 'running') AND target = $1"
	    " AND run_at < least(now() + make_interval(secs => $2::integer),"
	    "  coalesce(deadline, 'infinity'))", 2 },
	/* $1 id */
	[JOB_GRANT_ATTEMPT] = {
	    "UPDATE jobs SET max_attempts = max_attempts + 1"
	    " WHERE id = $1::bigint AND state = 'running'", 1 },
	/* $1 id, $2 more attempts.  A job with a deadline gets a window as
	 * long as its first one, from now. */
	[JOB_RETRY] = {
	    "UPDATE jobs SET state = 'queued', run_at = now(), updated_at = now(),"
	    " max_attempts = attempts + $2::integer,"
	    " deadline = CASE WHEN deadline IS NULL THEN NULL"
	    "  ELSE now() + greatest(deadline - created_at, interval '1 hour') END"
	    " WHERE id = $1::bigint AND state IN ('failed', 'queued')"
	    " RETURNING id", 2 },
	[JOB_LISTEN] = { "LISTEN hub_jobs", 0 },
	/* $1 worker, $2 its longest wait (ms), $3..$6 its lane as $3..$6 of
	 * JOB_CLAIM_IN (all NULL: every job), $7 its shortest wait, $8 the
	 * wait ends when a job of the lane falls due (a timekeeper: a
	 * scheduled job fires no NOTIFY when it becomes due), $9 its longest
	 * wait when nothing of the lane is queued and no lease runs.  Answers due:
	 * ms until a job of the lane is due or any lease runs out (-1 none;
	 * greatest(0, NULL) would be 0, an idle lane polling every 10 ms),
	 * the wait, and how many jobs of the lane are due now (at most 2);
	 * the waiter row lasts the wait and a second more.
	 * Rows of workers killed while waiting go once they are an hour past
	 * their wait (they count for nothing already).  named: a commit may
	 * wake this one alone (0029); a timekeeper's row is also named for a
	 * job queued for later that falls due before its wait ends (0032). */
	[JOB_STAND] = {
	    /* the lane's first two queued jobs: the next due time, and
	     * whether none, one or more are due now, from one index scan */
	    "WITH f AS (SELECT j.run_at FROM jobs j WHERE j.state = 'queued'"
	    "  AND ($3::text IS NULL OR " JOB_IN_LANE("3", "4", "5", "6") ")"
	    "  ORDER BY j.run_at LIMIT 2),"
	    " d AS (SELECT CASE WHEN x IS NULL THEN -1"
	    "  ELSE greatest(0, ceil(x * 1000)) END::bigint AS due, n"
	    " FROM (SELECT extract(epoch FROM least((SELECT min(run_at) FROM f),"
	    "  (SELECT min(locked_until) FROM jobs WHERE state = 'running'))"
	    "  - now()) AS x,"
	    "  (SELECT count(*) FROM f WHERE run_at <= now()) AS n) y),"
	    " w AS (SELECT due, n, greatest($7::integer, CASE WHEN due < 0 THEN $9::integer"
	    "  WHEN $8::boolean THEN least($2::integer, due + 10) ELSE $2::integer END)::integer"
	    "  AS ms FROM d),"
	    " gone AS (DELETE FROM job_waiters"
	    "  WHERE until < now() - interval '1 hour' AND worker <> $1),"
	    " ins AS (INSERT INTO job_waiters (worker, until, named, lane, kinds, others, all_kinds,"
	    "   timekeeper)"
	    "  SELECT $1, now() + make_interval(secs => (w.ms + 1000) / 1000.0), true,"
	    "   $3, $4::text[], coalesce($5::boolean, false), $6::text[], $8::boolean FROM w"
	    "  ON CONFLICT (worker) DO UPDATE SET until = EXCLUDED.until, named = true,"
	    "   lane = EXCLUDED.lane, kinds = EXCLUDED.kinds, others = EXCLUDED.others,"
	    "   all_kinds = EXCLUDED.all_kinds, timekeeper = EXCLUDED.timekeeper)"
	    " SELECT due, ms, n FROM w", 9 },
};

static const struct hub_stmt_table job_table = { "hubjob", job_stmts, JOB__MAX };

/* A reconnect loses LISTEN: remember the backend each connection listened
 * on and listen again when it changed.  One connection per process in the
 * programs; a few in tests. */
#define JOB_LISTENERS	16
static struct {
	const struct hub_db	*db;
	int			 pid;
} job_listeners[JOB_LISTENERS];

static int
parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Over 60 lines: the statement's eight parameters, then the second look
 * for a job with the same dedupe key. */
int
hub_job_enqueue(struct hub_db *db, const struct hub_job_spec *spec, int64_t *id)
{
	PGresult *r = NULL;
	const char *params[8], *dedupe_key;
	char runbuf[32], agebuf[16], attbuf[16];
	long long v;
	int err, tries;

	if (id != NULL)
		*id = 0;
	if (spec == NULL || spec->kind == NULL ||
	    strlen(spec->kind) >= sizeof(((struct hub_job *)0)->kind) ||
	    spec->max_age_s < 0 || spec->max_attempts < 0)
		return HUB_DB_CHECK;
	dedupe_key = spec->dedupe_key;
	params[0] = spec->kind;
	params[1] = spec->payload != NULL ? json_object_to_json_string_ext(spec->payload,
	    JSON_C_TO_STRING_PLAIN) : "{}";
	if (params[1] == NULL)
		return HUB_DB_NOMEM;
	params[2] = dedupe_key;
	params[3] = params[4] = params[5] = NULL;
	params[6] = spec->target;
	params[7] = spec->lane;
	if (spec->run_at > 0) {
		snprintf(runbuf, sizeof(runbuf), "%lld", (long long)spec->run_at);
		params[3] = runbuf;
	}
	if (spec->max_age_s > 0) {
		snprintf(agebuf, sizeof(agebuf), "%d", spec->max_age_s);
		params[4] = agebuf;
	}
	if (spec->max_attempts > 0) {
		snprintf(attbuf, sizeof(attbuf), "%d", spec->max_attempts);
		params[5] = attbuf;
	}

	/* Its id not wanted, inside a transaction: the job is there when the
	 * transaction commits, inserted or one like it already queued or
	 * running (the dedupe key); sent with the transaction's next
	 * statement (hub_db_exec_later). */
	if (id == NULL && hub_db_in_tx(db))
		return hub_db_exec_later(db, &job_table, JOB_ENQUEUE, params);
	/* A conflicting job committed after this statement's snapshot is
	 * not visible to it: look again with a fresh statement. */
	for (tries = 0; tries < 3; tries++) {
		if ((err = hub_db_exec(db, &job_table, JOB_ENQUEUE, params, &r)) != HUB_DB_OK)
			return err;
		if (PQntuples(r) == 0 && dedupe_key != NULL) {
			PQclear(r);
			if ((err = hub_db_exec(db, &job_table, JOB_FIND_DEDUPE,
			    &params[2], &r)) != HUB_DB_OK)
				return err;
		}
		if (PQntuples(r) == 1)
			break;
		PQclear(r);
		r = NULL;
	}
	if (r == NULL)
		return HUB_DB_NOTFOUND;
	err = parse_ll(PQgetvalue(r, 0, 0), &v) == 0 ? HUB_DB_OK : HUB_DB_QUERY;
	if (err == HUB_DB_OK && id != NULL)
		*id = v;
	PQclear(r);
	return err;
}

void
hub_job_clear(struct hub_job *job)
{
	if (job == NULL)
		return;
	if (job->payload != NULL)
		json_object_put(job->payload);
	free(job->dedupe_key);
	memset(job, 0, sizeof(*job));
}

static json_object *
parse_payload(const char *s)
{
	json_tokener *tok;
	json_object *o;

	if ((tok = json_tokener_new_ex(JOB_PAYLOAD_DEPTH)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Row i of a claim (JOB_CLAIMED_SQL) into *job. */
static int
claim_row(PGresult *r, int i, struct hub_job *job)
{
	long long v[5];
	int c;

	memset(job, 0, sizeof(*job));
	if (parse_ll(PQgetvalue(r, i, 0), &v[0]) != 0)
		return HUB_DB_QUERY;
	for (c = 3; c < 7; c++)
		if (parse_ll(PQgetvalue(r, i, c), &v[c - 2]) != 0)
			return HUB_DB_QUERY;
	job->id = v[0];
	snprintf(job->kind, sizeof(job->kind), "%s", PQgetvalue(r, i, 1));
	job->attempts = (int)v[1];
	job->max_attempts = (int)v[2];
	job->created_at = (time_t)v[3];
	job->deadline = (time_t)v[4];
	/* Queued to run at once and never run, failed, put back or moved to
	 * another lane since (each moves run_at or counts an attempt); a job
	 * given back at shutdown counts as not run. */
	job->first_run = *PQgetvalue(r, i, 8) == 't';
	if (!PQgetisnull(r, i, 7) && (job->dedupe_key = strdup(PQgetvalue(r, i, 7))) == NULL)
		return HUB_DB_NOMEM;
	/* jsonb always holds valid JSON; a NULL here means out of memory or
	 * depth beyond the limit: keep the job so it can be failed. */
	if ((job->payload = parse_payload(PQgetvalue(r, i, 2))) == NULL) {
		hub_log(HUB_LOG_WARN, "job_payload_unparsable", "kind", job->kind, NULL);
		job->payload = json_object_new_object();
	}
	return HUB_DB_OK;
}

/* The claimed rows into jobs[]; r is freed.  A row that cannot be read
 * stays claimed: its lease runs out and it is claimed again. */
static int
claim_rows(PGresult *r, struct hub_job *jobs, int *got)
{
	int i, n = PQntuples(r), err = HUB_DB_OK;

	*got = 0;
	for (i = 0; i < n; i++) {
		if ((err = claim_row(r, i, &jobs[*got])) != HUB_DB_OK) {
			hub_job_clear(&jobs[*got]);
			hub_log(HUB_LOG_ERROR, "job_claim_bad_row", NULL);
			continue;
		}
		(*got)++;
	}
	PQclear(r);
	if (*got > 0)
		return HUB_DB_OK;
	return n == 0 ? HUB_DB_NOTFOUND : err;
}

/* A PostgreSQL text[] literal of job kinds ([a-z0-9_.], no quoting needed). */
static int
kinds_array(const char *const *k, size_t n, char *out, size_t len)
{
	size_t i, used = 1;

	if (len < 3)
		return -1;
	out[0] = '{';
	out[1] = '\0';
	for (i = 0; i < n; i++) {
		if (strlen(k[i]) + 2 > len - used)
			return -1;
		if (i > 0)
			out[used++] = ',';
		memcpy(out + used, k[i], strlen(k[i]) + 1);
		used += strlen(k[i]);
	}
	out[used++] = '}';
	out[used] = '\0';
	return 0;
}

/* The filter as the four parameters of JOB_IN_LANE (bufs: two arrays). */
static int
filter_params(const struct hub_job_filter *f, const char **p, char *kinds, char *all,
    size_t len)
{
	if (kinds_array(f->kinds, f->nkinds, kinds, len) != 0 ||
	    kinds_array(f->all_kinds, f->nall, all, len) != 0)
		return -1;
	p[0] = f->lane;
	p[1] = kinds;
	p[2] = f->others ? "true" : "false";
	p[3] = all;
	return 0;
}

/* Claim in a lane with a cap per target: one claim at a time in the lane.
 * The lock and the claim are two statements (the claim's snapshot, taken
 * after the lock, sees the running jobs the last claimer committed), in
 * one round trip: BEGIN, the lock, the claim and COMMIT sent together. */
static int
claim_capped(struct hub_db *db, const struct hub_job_filter *f, const char **params,
    PGresult **r)
{
	int err;

	if ((err = hub_db_begin(db)) != HUB_DB_OK)
		return err;
	if ((err = hub_db_exec_later(db, &job_table, JOB_LANE_LOCK, &f->lane)) == HUB_DB_OK &&
	    (err = hub_db_exec_commit(db, &job_table, JOB_CLAIM_IN, params, r)) == HUB_DB_OK)
		return HUB_DB_OK;
	PQclear(*r);
	*r = NULL;
	hub_db_rollback(db);
	return err;
}

/* A claim's statement and parameters (their text lives here). */
struct claim_args {
	const char	*params[8];
	char		 lease[HUB_INT_TEXT_SIZE], cap[HUB_INT_TEXT_SIZE], n[HUB_INT_TEXT_SIZE];
	char		 kinds[JOB_KINDS_TEXT], all[JOB_KINDS_TEXT];
	int		 stmt;	 /* JOB_CLAIM or JOB_CLAIM_IN */
	int		 capped; /* claim_capped: in a transaction */
};

static int
claim_args(struct claim_args *a, const char *worker_id, int lease_s,
    const struct hub_job_filter *f, int n)
{
	memset(a, 0, sizeof(*a));
	if (worker_id == NULL || lease_s <= 0 || n < 1)
		return HUB_DB_QUERY;
	snprintf(a->lease, sizeof(a->lease), "%d", lease_s);
	snprintf(a->n, sizeof(a->n), "%d", n);
	a->params[0] = worker_id;
	a->params[1] = a->lease;
	if (f == NULL) {
		a->stmt = JOB_CLAIM;
		a->params[2] = a->n;
		return HUB_DB_OK;
	}
	if (f->lane == NULL || filter_params(f, &a->params[2], a->kinds, a->all,
	    sizeof(a->kinds)) != 0)
		return HUB_DB_QUERY;
	a->stmt = JOB_CLAIM_IN;
	if (f->target_cap > 0) {
		snprintf(a->cap, sizeof(a->cap), "%d", f->target_cap);
		a->params[6] = a->cap;
		a->params[7] = "1";
		a->capped = 1;
	} else
		a->params[7] = a->n;
	return HUB_DB_OK;
}

int
hub_job_claim_batch(struct hub_db *db, const char *worker_id, int lease_s,
    const struct hub_job_filter *f, struct hub_job *jobs, int n, int *got)
{
	struct claim_args a;
	PGresult *r = NULL;
	int err;

	*got = 0;
	if (n < 1)
		return HUB_DB_QUERY;
	memset(jobs, 0, sizeof(*jobs) * (size_t)n);
	if ((err = claim_args(&a, worker_id, lease_s, f, n)) != HUB_DB_OK)
		return err;
	if (a.capped)
		err = claim_capped(db, f, a.params, &r);
	else
		err = hub_db_exec(db, &job_table, a.stmt, a.params, &r);
	if (err != HUB_DB_OK)
		return err;
	return claim_rows(r, jobs, got);
}

int
hub_job_claim_in(struct hub_db *db, const char *worker_id, int lease_s,
    const struct hub_job_filter *f, struct hub_job *job)
{
	int got;

	return hub_job_claim_batch(db, worker_id, lease_s, f, job, 1, &got);
}

/* A fenced statement's answer for job id: HUB_DB_NOTFOUND (logged) when
 * it touched no row, the lease being lost (the row moved on). */
static int
job_fence(int err, const PGresult *r, const char *id)
{
	if (err == HUB_DB_OK && PQntuples(r) != 1) {
		hub_log(HUB_LOG_WARN, "job_lease_lost", "job", id, NULL);
		return HUB_DB_NOTFOUND;
	}
	return err;
}

/* Run a fenced statement for `job` (job_fence). */
static int
job_fenced(struct hub_db *db, int stmt, const char **params, char **state)
{
	PGresult *r = NULL;
	int err;

	err = hub_db_exec(db, &job_table, stmt, params, &r);
	if ((err = job_fence(err, r, params[0])) != HUB_DB_OK) {
		PQclear(r);
		return err;
	}
	if (state != NULL)
		*state = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return HUB_DB_OK;
}

int
hub_job_done(struct hub_db *db, struct hub_job *job, const char *detail)
{
	const char *params[3];
	char idbuf[32], attbuf[16];
	int err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)job->id);
	snprintf(attbuf, sizeof(attbuf), "%d", job->attempts);
	params[0] = idbuf;
	params[1] = attbuf;
	params[2] = detail;
	if ((err = job_fenced(db, JOB_DONE, params, NULL)) == HUB_DB_OK)
		job->attempts++;
	return err;
}

int
hub_job_fail(struct hub_db *db, struct hub_job *job, const char *error,
    int retry_after_s, int permanent)
{
	const char *params[5];
	char idbuf[32], attbuf[16], delaybuf[16], nbuf[16];
	char *state = NULL;
	int err, delay;

	delay = retry_after_s >= 0 ? retry_after_s :
	    hub_job_backoff(job->attempts + 1, JOB_BACKOFF_BASE_S, JOB_BACKOFF_CAP_S);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)job->id);
	snprintf(attbuf, sizeof(attbuf), "%d", job->attempts);
	snprintf(delaybuf, sizeof(delaybuf), "%d", delay);
	params[0] = idbuf;
	params[1] = attbuf;
	params[2] = error;
	params[3] = delaybuf;
	params[4] = permanent ? "true" : "false";
	if ((err = job_fenced(db, JOB_FAIL, params, &state)) != HUB_DB_OK)
		return err;
	job->attempts++;
	snprintf(nbuf, sizeof(nbuf), "%d", job->attempts);
	hub_log(state != NULL && strcmp(state, "failed") == 0 ?
	    HUB_LOG_ERROR : HUB_LOG_WARN, "job_failed", "job", idbuf,
	    "kind", job->kind, "attempt", nbuf,
	    "state", state != NULL ? state : "", "retry_in", delaybuf,
	    "error", error != NULL ? error : "", NULL);
	free(state);
	return HUB_DB_OK;
}

int
hub_job_grant_attempt(struct hub_db *db, const struct hub_job *job)
{
	const char *params[1];
	char idbuf[32];

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)job->id);
	params[0] = idbuf;
	return hub_db_exec(db, &job_table, JOB_GRANT_ATTEMPT, params, NULL);
}

int
hub_job_retry(struct hub_db *db, int64_t id)
{
	const char *params[2];
	char idbuf[HUB_INT64_TEXT_SIZE], more[HUB_INT_TEXT_SIZE];
	PGresult *r = NULL;
	int err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	snprintf(more, sizeof(more), "%d", HUB_JOB_RETRY_ATTEMPTS);
	params[0] = idbuf;
	params[1] = more;
	if ((err = hub_db_exec(db, &job_table, JOB_RETRY, params, &r)) != HUB_DB_OK)
		return err;
	err = PQntuples(r) == 1 ? HUB_DB_OK : HUB_DB_NOTFOUND;
	PQclear(r);
	return err;
}

int
hub_job_release(struct hub_db *db, struct hub_job *job)
{
	const char *params[2];
	char idbuf[32], attbuf[16];

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)job->id);
	snprintf(attbuf, sizeof(attbuf), "%d", job->attempts);
	params[0] = idbuf;
	params[1] = attbuf;
	return job_fenced(db, JOB_RELEASE, params, NULL);
}

int
hub_job_defer(struct hub_db *db, struct hub_job *job, long delay_ms, const char *lane)
{
	const char *params[4];
	char idbuf[32], attbuf[16], msbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)job->id);
	snprintf(attbuf, sizeof(attbuf), "%d", job->attempts);
	snprintf(msbuf, sizeof(msbuf), "%ld", delay_ms > 0 ? delay_ms : 0);
	params[0] = idbuf;
	params[1] = attbuf;
	params[2] = msbuf;
	params[3] = lane;
	return job_fenced(db, JOB_DEFER, params, NULL);
}

int
hub_job_defer_target(struct hub_db *db, const char *target, int delay_s, long *moved)
{
	PGresult *r = NULL;
	const char *params[2];
	char sbuf[16];
	int64_t n = 0;
	int err;

	if (moved != NULL)
		*moved = 0;
	if (target == NULL || *target == '\0')
		return HUB_DB_CHECK;
	snprintf(sbuf, sizeof(sbuf), "%d", delay_s > 0 ? delay_s : 0);
	params[0] = target;
	params[1] = sbuf;
	if ((err = hub_db_exec(db, &job_table, JOB_DEFER_TARGET, params, &r)) != HUB_DB_OK)
		return err;
	if (moved != NULL && hub_db_cmd_rows(r, &n) == HUB_DB_OK)
		*moved = (long)n;
	PQclear(r);
	return HUB_DB_OK;
}

/* Per-process generator: seeded from the kernel, reseeded after fork so
 * preforked workers do not share a jitter sequence. */
static uint64_t
job_random(void)
{
	static uint64_t state;
	static pid_t seeded;
	pid_t pid = getpid();

	if (seeded != pid || state == 0) {
		if (getrandom(&state, sizeof(state), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(state))
			state = ((uint64_t)pid << 32) ^ (uint64_t)time(NULL);
		if (state == 0)
			state = 0x9e3779b97f4a7c15ULL;
		seeded = pid;
	}
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

int
hub_job_backoff(int attempts, int base_s, int cap_s)
{
	long long d;
	int i, lo;

	if (base_s <= 0 || cap_s <= 0)
		return 0;
	if (attempts < 1)
		attempts = 1;
	d = base_s;
	for (i = 1; i < attempts && d < cap_s; i++)
		d *= 2;
	if (d > cap_s)
		d = cap_s;
	lo = (int)(d / 2);
	return lo + (int)(job_random() % (uint64_t)(d - lo + 1));
}

static int
job_listen_slot(const struct hub_db *db)
{
	int i, free_slot = -1;

	for (i = 0; i < JOB_LISTENERS; i++) {
		if (job_listeners[i].db == db)
			return i;
		if (job_listeners[i].db == NULL && free_slot < 0)
			free_slot = i;
	}
	return free_slot;
}

int
hub_job_listen(struct hub_db *db)
{
	int err, slot;

	/* Still the backend that listened: LISTEN holds for its life. */
	if ((slot = job_listen_slot(db)) >= 0 && job_listeners[slot].db == db &&
	    hub_db_conn(db) != NULL && PQstatus(hub_db_conn(db)) == CONNECTION_OK &&
	    job_listeners[slot].pid == PQbackendPID(hub_db_conn(db)))
		return HUB_DB_OK;
	if ((err = hub_db_exec(db, &job_table, JOB_LISTEN, NULL, NULL)) != HUB_DB_OK)
		return err;
	if ((slot = job_listen_slot(db)) >= 0) {
		job_listeners[slot].db = db;
		job_listeners[slot].pid = PQbackendPID(hub_db_conn(db));
	}
	return HUB_DB_OK;
}

/* JOB_STAND's statement and parameters. */
struct stand_args {
	const char	*params[9];
	char		 max[HUB_INT_TEXT_SIZE], floor[HUB_INT_TEXT_SIZE], quiet[HUB_INT_TEXT_SIZE];
	char		 kinds[JOB_KINDS_TEXT], all[JOB_KINDS_TEXT];
};

static int
stand_args(struct stand_args *a, const char *worker_id, const struct hub_job_filter *f,
    const struct hub_job_stand *st)
{
	memset(a, 0, sizeof(*a));
	if (worker_id == NULL)
		return HUB_DB_QUERY;
	snprintf(a->max, sizeof(a->max), "%d", st->max_ms);
	snprintf(a->floor, sizeof(a->floor), "%d", st->floor_ms > 0 ? st->floor_ms : 0);
	a->params[0] = worker_id;
	a->params[1] = a->max;
	if (f != NULL && (f->lane == NULL ||
	    filter_params(f, &a->params[2], a->kinds, a->all, sizeof(a->kinds)) != 0))
		return HUB_DB_QUERY;
	snprintf(a->quiet, sizeof(a->quiet), "%d", st->quiet_ms > 0 ? st->quiet_ms : st->max_ms);
	a->params[6] = a->floor;
	a->params[7] = st->timekeeper ? "true" : "false";
	a->params[8] = a->quiet;
	return HUB_DB_OK;
}

/* JOB_STAND's row into st; r is freed. */
static int
stand_row(PGresult *r, struct hub_job_stand *st)
{
	long long due, ms, n;
	int err = HUB_DB_QUERY;

	if (PQntuples(r) == 1 && parse_ll(PQgetvalue(r, 0, 0), &due) == 0 &&
	    parse_ll(PQgetvalue(r, 0, 1), &ms) == 0 && ms >= 0 && ms <= INT_MAX &&
	    parse_ll(PQgetvalue(r, 0, 2), &n) == 0 && n >= 0 && n <= 2) {
		st->due_ms = due;
		st->wait_ms = (int)ms;
		st->due_now = (int)n;
		err = HUB_DB_OK;
	}
	PQclear(r);
	return err;
}

int
hub_job_stand(struct hub_db *db, const char *worker_id, const struct hub_job_filter *f,
    struct hub_job_stand *st)
{
	struct stand_args a;
	PGresult *r = NULL;
	int err;

	st->due_ms = -1;
	st->due_now = 0;
	st->wait_ms = 0;
	if ((err = stand_args(&a, worker_id, f, st)) != HUB_DB_OK ||
	    (err = hub_db_exec(db, &job_table, JOB_STAND, a.params, &r)) != HUB_DB_OK)
		return err;
	return stand_row(r, st);
}

/* A note's statement and its parameters (JOB_DONE or JOB_DEFER). */
struct note_args {
	const char	*params[4];
	char		 id[HUB_INT64_TEXT_SIZE], att[HUB_INT_TEXT_SIZE], ms[24];
	int		 stmt;
};

static void
note_args(struct note_args *a, const struct hub_job_note *n)
{
	snprintf(a->id, sizeof(a->id), "%lld", (long long)n->job->id);
	snprintf(a->att, sizeof(a->att), "%d", n->job->attempts);
	snprintf(a->ms, sizeof(a->ms), "%ld", n->delay_ms > 0 ? n->delay_ms : 0);
	a->params[0] = a->id;
	a->params[1] = a->att;
	a->params[2] = n->defer ? a->ms : n->detail;
	a->params[3] = n->defer ? n->lane : NULL;
	a->stmt = n->defer ? JOB_DEFER : JOB_DONE;
}

/* The note's answer (job_fence). */
static void
note_result(struct hub_job_note *n, const struct note_args *a, int err, PGresult *r)
{
	err = job_fence(err, r, a->id);
	if (err == HUB_DB_OK && !n->defer)
		n->job->attempts++;
	n->err = err;
}

int
hub_job_stand_look(struct hub_db *db, const char *worker_id, int lease_s,
    const struct hub_job_filter *f, struct hub_job_stand *st, struct hub_job *job)
{
	return hub_job_stand_look_after(db, NULL, worker_id, lease_s, f, st, job);
}

int
hub_job_stand_look_after(struct hub_db *db, struct hub_job_note *note, const char *worker_id,
    int lease_s, const struct hub_job_filter *f, struct hub_job_stand *st, struct hub_job *job)
{
	struct hub_db_call c[3];
	struct note_args na;
	struct stand_args sa;
	struct claim_args ca;
	size_t k = 0;
	int err, got;

	memset(job, 0, sizeof(*job));
	st->due_ms = -1;
	st->due_now = 0;
	st->wait_ms = 0;
	if (note != NULL)
		note_args(&na, note);
	if ((err = stand_args(&sa, worker_id, f, st)) != HUB_DB_OK ||
	    (err = claim_args(&ca, worker_id, lease_s, f, 1)) != HUB_DB_OK) {
		if (note != NULL)
			note->err = err;
		return err;
	}
	memset(c, 0, sizeof(c));
	if (note != NULL) {
		c[k].table = &job_table;
		c[k].id = na.stmt;
		c[k].params = na.params;
		c[k++].res_wanted = 1;
	}
	c[k].table = c[k + 1].table = &job_table;
	c[k].id = JOB_STAND;
	c[k].params = sa.params;
	c[k + 1].id = ca.stmt;
	c[k + 1].params = ca.params;
	c[k].res_wanted = c[k + 1].res_wanted = 1;
	/* One claim at a time in a capped lane: its claim is a transaction of
	 * its own (claim_capped), in a round trip after the note's and the
	 * stand's. */
	hub_db_exec_each(db, c, ca.capped ? k + 1 : k + 2);
	if (note != NULL) {
		note_result(note, &na, c[0].err, c[0].res);
		PQclear(c[0].res);
	}
	err = c[k].err == HUB_DB_OK ? stand_row(c[k].res, st) : c[k].err;
	if (ca.capped) {
		if (err != HUB_DB_OK)
			return err;
		c[k + 1].err = claim_capped(db, f, ca.params, &c[k + 1].res);
	}
	/* A job claimed is run, stood or not. */
	if (c[k + 1].err == HUB_DB_OK && claim_rows(c[k + 1].res, job, &got) == HUB_DB_OK)
		return HUB_DB_OK;
	return err != HUB_DB_OK ? err : HUB_DB_NOTFOUND;
}

/* Are the len bytes at p the string s (a kind, or a lane)? */
static int
job_kind_is(const char *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

/*
 * Is a notification's payload (hub_jobs_notify(): the job's kind, or
 * "kind@lane" when its producer chose a lane, then " worker" when it
 * woke one waiter by name, and " later" after it for a job due later,
 * hub_jobs_notify_later()) one of the filter's jobs?  2: it names
 * worker_id (whose waiter row the producer deleted); 3: the same, for a
 * job not due yet; 1: a job of the filter for any waiter of it; 0: not
 * ours (another lane's, or named for another process).  A caller
 * without a worker id takes a named job as any other.  Anything unknown
 * wakes: a payload this code does not know may be ours.
 */
static int
job_notice_ours(const struct hub_job_filter *f, const char *worker_id, const char *payload)
{
	static const char later[] = " later";
	const char *at, *sp;
	size_t i, len, wl;

	if (payload == NULL || *payload == '\0')
		return 1;
	if ((sp = strchr(payload, ' ')) != NULL && worker_id != NULL) {
		wl = strlen(worker_id);
		if (strncmp(sp + 1, worker_id, wl) != 0)
			return 0;
		if (sp[1 + wl] == '\0')
			return 2;
		return strcmp(sp + 1 + wl, later) == 0 ? 3 : 0;
	}
	if (f == NULL)
		return 1;
	/* The job's part, before any " worker". */
	len = sp != NULL ? (size_t)(sp - payload) : strlen(payload);
	if ((at = memchr(payload, '@', len)) != NULL)
		return f->lane == NULL ||
		    job_kind_is(at + 1, len - (size_t)(at + 1 - payload), f->lane);
	for (i = 0; i < f->nkinds; i++)
		if (job_kind_is(payload, len, f->kinds[i]))
			return 1;
	if (!f->others)
		return 0;
	for (i = 0; i < f->nall; i++)
		if (job_kind_is(payload, len, f->all_kinds[i]))
			return 0;
	return 1;
}

void
hub_job_heard_add(struct hub_job_heard *h, const struct hub_job_filter *f,
    const char *worker_id, const char *payload)
{
	switch (job_notice_ours(f, worker_id, payload)) {
	case 3:
		h->later = 1;
		break;
	case 2:
		h->named = 1;
		break;
	case 1:
		h->any = 1;
		break;
	}
}

int
hub_job_heard_rc(const struct hub_job_heard *h)
{
	if (h->named || (h->later && h->any))
		return 2;
	return h->later ? 3 : h->any;
}

/* Drain queued notifications into hub_job_heard_rc's answer. */
static int
job_drain(PGconn *conn, const struct hub_job_filter *f, const char *worker_id)
{
	struct hub_job_heard h = { 0, 0, 0 };
	PGnotify *n;

	while ((n = PQnotifies(conn)) != NULL) {
		hub_job_heard_add(&h, f, worker_id, n->extra);
		PQfreemem(n);
	}
	return hub_job_heard_rc(&h);
}

int
hub_job_poll(int fd, long long until)
{
	struct pollfd pfd;
	long long left = until - hub_mono_ms();
	int rc;

	if (left <= 0)
		return 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, (int)left);
	return rc < 0 ? -1 : rc > 0;	/* EINTR included: a signal wants attention */
}

int
hub_job_wait(struct hub_db *db, int timeout_ms, const struct hub_job_filter *filter,
    const char *worker_id)
{
	PGconn *conn;
	long long until;
	int slot, rc, fd;

	if (db == NULL || (conn = hub_db_conn(db)) == NULL)
		return -1;
	/* Reconnected since LISTEN (or never connected well): listen again
	 * and report a wake-up, since notifications may have been missed
	 * (one that named this worker too: its row may be gone). */
	slot = job_listen_slot(db);
	if (PQstatus(conn) != CONNECTION_OK ||
	    (slot >= 0 && job_listeners[slot].db == db &&
	    job_listeners[slot].pid != PQbackendPID(conn))) {
		if (hub_db_ping(db) != HUB_DB_OK || hub_job_listen(db) != HUB_DB_OK)
			return -1;
		return worker_id != NULL ? 2 : 1;
	}
	if (!PQconsumeInput(conn))
		return -1;
	if ((rc = job_drain(conn, filter, worker_id)) > 0)
		return rc;
	if ((fd = PQsocket(conn)) < 0)
		return -1;
	until = hub_mono_ms() + timeout_ms;
	/* Another lane's notifications are read and dropped without a
	 * statement: only the filter's own wake this worker. */
	for (;;) {
		if ((rc = hub_job_poll(fd, until)) <= 0)
			return rc;
		if (!PQconsumeInput(conn))
			return -1;
		if ((rc = job_drain(conn, filter, worker_id)) > 0)
			return rc;
	}
}
