/*
 * counters.h - Prometheus counters kept in the database (metric_counters,
 * 0007 and 0022).
 *
 * Whoever records an event (a trigger, in the event's own transaction)
 * appends a delta to metric_deltas: an insert into a heap with no index,
 * so concurrent transactions counting the same thing never wait for each
 * other.  hub_counters_fold() moves the committed deltas into
 * metric_counters, summed per (name, labels); the /metrics scrape folds
 * before it reads, and the worker's sweep folds so the deltas stay few
 * when nobody scrapes.  Safe to run anywhere any number of times at once:
 * a delta is deleted by exactly one fold, in the transaction that adds it.
 * Cost: the deltas since the last fold, never the size of the data.
 */
#ifndef HUB_COUNTERS_H
#define HUB_COUNTERS_H

#include <stdint.h>
#include "store/db.h"
#include "store/job.h"

/* One fold statement takes at most this many deltas, and one call runs at
 * most this many statements: the rest waits for the next call. */
#define HUB_COUNTERS_FOLD_BATCH		5000
#define HUB_COUNTERS_FOLD_ROUNDS	20

/* Fold committed deltas into metric_counters.  *folded (may be NULL): the
 * deltas taken, also on error.  HUB_DB_OK or the hub_db_exec error. */
int	hub_counters_fold(struct hub_db *, int64_t *folded);
/* The worker's sweep (job.h) around hub_counters_fold. */
int	hub_counters_sweep(struct hub_job_env *);

#endif
