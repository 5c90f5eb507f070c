/*
 * ratelimit.c - shared token buckets in rate_buckets.
 *
 * The acquire statement, per bucket row b and the caller's settings
 * (EXCLUDED.capacity = burst, EXCLUDED.refill_per_s = rate / 60):
 *
 *   blocked  = b.blocked_until > now()
 *   refill   = from greatest(updated_at, blocked_until): a bucket refills
 *              only after a 429 block ends, starting from the one token
 *              hub_ratelimit_penalize() left in it
 *   avail    = least(capacity, tokens + refill_per_s * max(0, elapsed))
 *   granted  = not blocked and avail >= 1 -> tokens = avail - 1
 *
 * next_allowed_at records the answer: now() when a token was taken,
 * otherwise the moment to come back (blocked_until, or now() + the time
 * the missing fraction of a token takes, at least 1 ms), so RETURNING
 * "next_allowed_at = now()" is the grant, exactly.
 *
 * Places in line: a refused taker is told to come back at its slot, no
 * earlier than queued_until, which then moves one token's time further.
 * Workers defer a refused job to its slot instead of sleeping (worker.h),
 * so 400 jobs refused at once return one per token, not all at the next
 * token to be refused 399 times again.  A slot is not a reservation: a
 * newcomer may take the token first, and the one displaced goes to the
 * end of the line; the bucket never grants more than its rate.
 *
 * Concurrency: ON CONFLICT DO UPDATE locks the row and evaluates SET on the
 * newest committed version, so a second taker waits and then sees the
 * first one's tokens.  now() is the statement's start (autocommit): a
 * taker that waited for the lock may hold a now() older than the row's
 * updated_at; elapsed is then clamped to 0 and updated_at never moves
 * back, so a late taker can only under-refill, never over-grant.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/ratelimit.h"
#include "store/job.h"
#include "store/settings.h"

#define REFILL_FROM "greatest(b.updated_at, coalesce(b.blocked_until, b.updated_at))"
#define ELAPSED "greatest(0, extract(epoch FROM now() - " REFILL_FROM "))"
#define AVAIL "least(EXCLUDED.capacity, b.tokens + EXCLUDED.refill_per_s * " ELAPSED ")"
#define BLOCKED "(b.blocked_until IS NOT NULL AND b.blocked_until > now())"
#define GRANTED "(NOT " BLOCKED " AND " AVAIL " >= 1)"
/* When a refused taker comes back: when a token will be there (or the block
 * ends), but not before the place in line of the one refused before it. */
#define SLOT "greatest(CASE WHEN " BLOCKED " THEN b.blocked_until " \
	"ELSE now() + make_interval(secs => greatest(0.001, " \
	"(1 - " AVAIL ") / EXCLUDED.refill_per_s)) END, coalesce(b.queued_until, now()))"

enum stmt {
	STMT_ACQUIRE,
	STMT_PENALIZE,
	STMT_CLEANUP,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_ACQUIRE] = {
		"INSERT INTO rate_buckets AS b (bucket, tokens, capacity, refill_per_s, "
		"    next_allowed_at, updated_at) "
		"VALUES ($1, $2::float8 - 1, $2::float8, $3::float8 / 60, now(), now()) "
		"ON CONFLICT (bucket) DO UPDATE SET "
		"  tokens = CASE WHEN " BLOCKED " THEN least(EXCLUDED.capacity, b.tokens) "
		"    WHEN " AVAIL " >= 1 THEN " AVAIL " - 1 "
		"    ELSE " AVAIL " END, "
		"  next_allowed_at = CASE WHEN " GRANTED " THEN now() ELSE " SLOT " END, "
		"  queued_until = CASE WHEN " GRANTED " THEN b.queued_until "
		"    ELSE " SLOT " + make_interval(secs => 1 / EXCLUDED.refill_per_s) END, "
		"  updated_at = CASE WHEN " BLOCKED " THEN b.updated_at "
		"    ELSE greatest(b.updated_at, now()) END, "
		"  blocked_until = CASE WHEN " BLOCKED " THEN b.blocked_until END, "
		"  capacity = EXCLUDED.capacity, "
		"  refill_per_s = EXCLUDED.refill_per_s "
		"RETURNING next_allowed_at = now(), "
		"  ceil(1000 * extract(epoch FROM next_allowed_at - now()))::bigint", 3 },
	/* One token waits at the end of the block; a longer block stays. */
	[STMT_PENALIZE] = {
		"INSERT INTO rate_buckets AS b (bucket, tokens, capacity, refill_per_s, "
		"    next_allowed_at, blocked_until, updated_at) "
		"VALUES ($1, 1, 1, 1, now() + make_interval(secs => $2::int), "
		"    now() + make_interval(secs => $2::int), now()) "
		"ON CONFLICT (bucket) DO UPDATE SET "
		"  blocked_until = greatest(b.blocked_until, EXCLUDED.blocked_until), "
		"  next_allowed_at = greatest(b.blocked_until, EXCLUDED.blocked_until), "
		"  tokens = least(b.capacity, 1), "
		"  updated_at = greatest(b.updated_at, now())", 2 },
	/* Only buckets that are full by now and have nobody in line:
	 * recreating one full on its next use changes nothing. */
	[STMT_CLEANUP] = {
		"DELETE FROM rate_buckets WHERE (blocked_until IS NULL OR blocked_until < now()) "
		"AND (queued_until IS NULL OR queued_until < now()) "
		"AND updated_at + make_interval(secs => capacity / refill_per_s) < now()", 0 },
};

static const struct hub_stmt_table rl_stmts = { "ratelimit", stmts, STMT__MAX };

static int
key_ok(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	return n >= 1 && n <= HUB_RATELIMIT_KEY_MAX;
}

int
hub_ratelimit_acquire(struct hub_db *db, const char *key, int rate_per_minute, int burst,
    long *wait_ms)
{
	char rate[16], cap[16];
	const char *params[3];
	PGresult *res = NULL;
	const char *w;
	char *end;
	long v;
	int rc;

	*wait_ms = 0;
	if (!key_ok(key) || rate_per_minute < 1 || rate_per_minute > 1000000 ||
	    burst < 1 || burst > 1000000)
		return HUB_RATELIMIT_INVALID;
	snprintf(cap, sizeof(cap), "%d", burst);
	snprintf(rate, sizeof(rate), "%d", rate_per_minute);
	params[0] = key;
	params[1] = cap;
	params[2] = rate;
	if (hub_db_exec(db, &rl_stmts, STMT_ACQUIRE, params, &res) != HUB_DB_OK ||
	    PQntuples(res) != 1) {
		rc = HUB_RATELIMIT_DB;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		rc = HUB_RATELIMIT_OK;
		goto out;
	}
	w = PQgetvalue(res, 0, 1);
	v = strtol(w, &end, 10);
	if (end == w || *end != '\0' || v < 1)
		v = 1;
	*wait_ms = v;
	rc = HUB_RATELIMIT_WAIT;
out:
	PQclear(res);
	return rc;
}

int
hub_ratelimit_acquire_all(struct hub_db *db, const struct hub_ratelimit_bucket *b, size_t n,
    long *wait_ms)
{
	size_t i;
	int rc;

	*wait_ms = 0;
	for (i = 0; i < n; i++)
		if ((rc = hub_ratelimit_acquire(db, b[i].key, b[i].per_minute, b[i].burst,
		    wait_ms)) != HUB_RATELIMIT_OK)
			return rc;
	return HUB_RATELIMIT_OK;
}

int
hub_ratelimit_penalize(struct hub_db *db, const char *key, int retry_after_s)
{
	char secs[16];
	const char *params[2];

	if (!key_ok(key))
		return HUB_RATELIMIT_INVALID;
	if (retry_after_s < 1)
		retry_after_s = 1;
	if (retry_after_s > 86400)
		retry_after_s = 86400;
	snprintf(secs, sizeof(secs), "%d", retry_after_s);
	params[0] = key;
	params[1] = secs;
	if (hub_db_exec(db, &rl_stmts, STMT_PENALIZE, params, NULL) != HUB_DB_OK)
		return HUB_RATELIMIT_DB;
	return HUB_RATELIMIT_OK;
}

int
hub_ratelimit_workspace_cap(struct hub_db *db)
{
	long cap = hub_settings_get_int(db, "slack.workspace_cap_per_minute");

	return cap >= 1 ? (int)cap : HUB_RATELIMIT_WORKSPACE_CAP;
}

HUB_STATIC int
hub_ratelimit_cleanup(struct hub_db *db, long *deleted)
{
	PGresult *res = NULL;
	int64_t n;
	int rc = HUB_RATELIMIT_OK;

	*deleted = 0;
	if (hub_db_exec(db, &rl_stmts, STMT_CLEANUP, NULL, &res) != HUB_DB_OK) {
		rc = HUB_RATELIMIT_DB;
		goto out;
	}
	if (hub_db_cmd_rows(res, &n) == HUB_DB_OK)
		*deleted = (long)n;
out:
	PQclear(res);
	return rc;
}

int
hub_ratelimit_sweep(struct hub_job_env *env)
{
	char n[HUB_INT64_TEXT_SIZE];
	long deleted;

	if (hub_ratelimit_cleanup(env->db, &deleted) != HUB_RATELIMIT_OK) {
		if (hub_db_ping(env->db) != HUB_DB_OK)
			return HUB_JOB_SWEEP_DB_DOWN;
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "rate_buckets", NULL);
	} else if (deleted > 0) {
		/* Most sweeps delete some: idle buckets refill within seconds. */
		snprintf(n, sizeof(n), "%ld", deleted);
		hub_log(HUB_LOG_DEBUG, "sweep", "rate_buckets_deleted", n, NULL);
	}
	return HUB_JOB_SWEEP_OK;
}
