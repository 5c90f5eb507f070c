/*
 * throttle.c - failed sign-ins per account and per address.  See throttle.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "approval/throttle.h"

enum stmt {
	STMT_WAIT,
	STMT_FAIL,
	STMT_LOCK,
	STMT_RESET,
	STMT_PRUNE,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_WAIT] = {
		"SELECT coalesce(ceil(extract(epoch FROM max(locked_until) - now())), 0)::bigint"
		" FROM login_throttle WHERE locked_until > now()"
		" AND ((kind = 'account' AND key = $1) OR (kind = 'address' AND key = $2))", 2 },
	/* A stale, unlocked count starts over at this failure. */
	[STMT_FAIL] = {
		"INSERT INTO login_throttle AS t (kind, key, failures, last_failure_at)"
		" VALUES ($1, $2, 1, now()) ON CONFLICT (kind, key) DO UPDATE SET"
		" failures = CASE WHEN t.last_failure_at < now() - interval '1 hour'"
		"   AND coalesce(t.locked_until, '-infinity') < now() THEN 1"
		"   ELSE t.failures + 1 END,"
		" last_failure_at = now() RETURNING failures", 2 },
	[STMT_LOCK] = {
		"UPDATE login_throttle SET locked_until = now() + $3::integer * interval '1 second'"
		" WHERE kind = $1 AND key = $2", 3 },
	[STMT_RESET] = {
		"DELETE FROM login_throttle WHERE (kind = 'account' AND key = $1)"
		" OR (kind = 'address' AND key = $2)", 2 },
	/* $1 batch.  The same hour as STMT_FAIL's starting over. */
	[STMT_PRUNE] = {
		"DELETE FROM login_throttle WHERE (kind, key) IN (SELECT kind, key"
		" FROM login_throttle WHERE last_failure_at < now() - interval '1 hour'"
		" AND coalesce(locked_until, '-infinity') < now() LIMIT $1::integer)", 1 },
};

static const struct hub_stmt_table throttle_stmts = { "throttle", stmts, STMT__MAX };

/* An empty key (no address from nginx) is never counted. */
static const char *
key_or_null(const char *k)
{
	return k != NULL && k[0] != '\0' && strlen(k) <= 320 ? k : NULL;
}

int
hub_throttle_wait(struct hub_db *db, const char *account, const char *address, long *wait_s)
{
	const char *params[2] = { key_or_null(account), key_or_null(address) };
	PGresult *res = NULL;

	*wait_s = 0;
	if (hub_db_exec(db, &throttle_stmts, STMT_WAIT, params, &res) != HUB_DB_OK)
		return HUB_THROTTLE_DB;
	if (PQntuples(res) == 1)
		*wait_s = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return HUB_THROTTLE_OK;
}

/* Seconds of lock after `failures` failures (0 while still free). */
static long
lock_seconds(long failures)
{
	long s = HUB_THROTTLE_BASE_S;
	long k;

	if (failures < HUB_THROTTLE_FREE)
		return 0;
	for (k = HUB_THROTTLE_FREE; k < failures && s < HUB_THROTTLE_MAX_S; k++)
		s *= 2;
	return s < HUB_THROTTLE_MAX_S ? s : HUB_THROTTLE_MAX_S;
}

static int
fail_one(struct hub_db *db, const char *kind, const char *key, long *wait_s)
{
	const char *params[3] = { kind, key, NULL };
	PGresult *res = NULL;
	char secs[24];
	long n, s;

	if (key == NULL)
		return HUB_THROTTLE_OK;
	if (hub_db_exec(db, &throttle_stmts, STMT_FAIL, params, &res) != HUB_DB_OK)
		return HUB_THROTTLE_DB;
	n = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	if ((s = lock_seconds(n)) == 0)
		return HUB_THROTTLE_OK;
	snprintf(secs, sizeof(secs), "%ld", s);
	params[2] = secs;
	if (hub_db_exec(db, &throttle_stmts, STMT_LOCK, params, NULL) != HUB_DB_OK)
		return HUB_THROTTLE_DB;
	if (s > *wait_s)
		*wait_s = s;
	return HUB_THROTTLE_OK;
}

int
hub_throttle_fail(struct hub_db *db, const char *account, const char *address, long *wait_s)
{
	int rc;

	*wait_s = 0;
	if ((rc = fail_one(db, "account", key_or_null(account), wait_s)) != HUB_THROTTLE_OK)
		return rc;
	return fail_one(db, "address", key_or_null(address), wait_s);
}

int
hub_throttle_reset(struct hub_db *db, const char *account, const char *address)
{
	const char *params[2] = { key_or_null(account), key_or_null(address) };

	return hub_db_exec(db, &throttle_stmts, STMT_RESET, params, NULL) == HUB_DB_OK ?
	    HUB_THROTTLE_OK : HUB_THROTTLE_DB;
}

int
hub_throttle_prune(struct hub_db *db, long *deleted)
{
	char batch[HUB_INT_TEXT_SIZE];
	const char *params[1] = { batch };
	int64_t n = 0;
	int rc;

	snprintf(batch, sizeof(batch), "%d", HUB_THROTTLE_PRUNE_BATCH);
	rc = hub_db_delete_batches(db, &throttle_stmts, STMT_PRUNE, params,
	    HUB_THROTTLE_PRUNE_BATCH, HUB_THROTTLE_PRUNE_ROUNDS, &n);
	*deleted = (long)n;
	if (rc == HUB_DB_OK)
		return HUB_THROTTLE_OK;
	return rc == HUB_DB_CONN ? HUB_THROTTLE_UNAVAILABLE : HUB_THROTTLE_DB;
}
