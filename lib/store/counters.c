/*
 * counters.c - folding metric_deltas into metric_counters.  See counters.h.
 */
#include <stdio.h>

#include "base/common.h"
#include "base/log.h"
#include "store/counters.h"

enum stmt {
	STMT_FOLD,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 batch.  The deltas are taken by their ctid (a TID scan); a
	 * delta another fold took first is gone when the DELETE gets to it
	 * and is skipped, so each is added once.  Counter rows are written
	 * in (name, labels) order, so two folds never deadlock.
	 * metric_deltas holds only what came since the last fold. */
	[STMT_FOLD] = {
	    "WITH d AS (DELETE FROM metric_deltas WHERE ctid = ANY (ARRAY("
	    "  SELECT ctid FROM metric_deltas LIMIT $1::int)) RETURNING name, labels, delta),"
	    " i AS (INSERT INTO metric_counters (name, labels, value)"
	    "  SELECT name, labels, sum(delta)::bigint FROM d GROUP BY 1, 2 ORDER BY 1, 2"
	    "  ON CONFLICT (name, labels)"
	    "  DO UPDATE SET value = metric_counters.value + excluded.value)"
	    " SELECT count(*) FROM d", 1 },
};

static const struct hub_stmt_table counter_stmts = { "counters", stmts, STMT__MAX };

int
hub_counters_fold(struct hub_db *db, int64_t *folded)
{
	char batch[HUB_INT_TEXT_SIZE];
	const char *params[1] = { batch };
	PGresult *res = NULL;
	int64_t n, total = 0;
	int round, rc = HUB_DB_OK;

	snprintf(batch, sizeof(batch), "%d", HUB_COUNTERS_FOLD_BATCH);
	for (round = 0; round < HUB_COUNTERS_FOLD_ROUNDS; round++) {
		if ((rc = hub_db_exec(db, &counter_stmts, STMT_FOLD, params, &res)) != HUB_DB_OK)
			break;
		rc = hub_db_get_int64(res, 0, 0, &n);
		PQclear(res);
		res = NULL;
		if (rc != HUB_DB_OK)
			break;
		total += n;
		if (n < HUB_COUNTERS_FOLD_BATCH)
			break;
	}
	if (folded != NULL)
		*folded = total;
	return rc;
}

int
hub_counters_sweep(struct hub_job_env *env)
{
	int64_t folded = 0;
	int rc;

	rc = hub_counters_fold(env->db, &folded);
	if (rc == HUB_DB_CONN)
		return HUB_JOB_SWEEP_DB_DOWN;
	if (rc != HUB_DB_OK)
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "metric_counters",
		    "error", hub_db_strerror(rc), NULL);
	return HUB_JOB_SWEEP_OK;
}
