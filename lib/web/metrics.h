/*
 * metrics.h - Prometheus counters shared by every prefork child of a
 * program, and the gauges read from the database at scrape time.
 *
 * hub_metrics_create() maps one anonymous MAP_SHARED region; call it in
 * main() BEFORE hub_app_main() forks the children, so they all inherit the
 * same pages and add to them with __atomic operations (no locks, STYLE 10).
 * The table is fixed-size: nroutes routes x HTTP status 100..599, plus a
 * latency histogram per route.  Nothing allocates after creation; observe
 * never blocks or fails.
 *
 * Exposition is text format 0.0.4:
 *   hub_http_requests_total{route,method,status}
 *   hub_http_request_duration_seconds_bucket{route,method,le} / _sum / _count
 * and, from the database (hub_metrics_render_db), at a cost that does not
 * grow with the tables: gauges of the live sets, read through partial
 * indexes,
 *   hub_jobs{kind,state} (queued, running), hub_delivery_rows{transport,
 *   status} (queued, sending, retrying), hub_slack_connections{state},
 *   hub_requests{status} (request_counts of 0021, kept by a trigger);
 * and counters of events kept in metric_counters (0007, 0022;
 * store/counters.h, folded just before they are read; never lowered,
 * not touched by retention):
 *   hub_deliveries_total{transport,status}, hub_slack_errors_total{code},
 *   hub_jobs_failed_total{kind}.
 * Label values are escaped (\\ \" \n) as the format requires.
 */
#ifndef HUB_METRICS_H
#define HUB_METRICS_H

#include <stddef.h>
#include "base/buf.h"
#include "store/db.h"

#define HUB_METRICS_MAX_ROUTES 64

struct hub_metrics;

/* NULL when mmap fails or nroutes is 0 or over HUB_METRICS_MAX_ROUTES. */
struct hub_metrics *hub_metrics_create(size_t nroutes);
/* Count one request.  route >= nroutes or a status outside 100..599 is
 * ignored; m may be NULL. */
void	hub_metrics_observe(struct hub_metrics *, size_t route, int status, double seconds);
/* Append the HTTP series; route i is labelled route=names[i],
 * method=methods[i] (one route table row may share its path with another
 * row of another method).  0 or -1 (buffer full). */
int	hub_metrics_render(const struct hub_metrics *, const char *const *names,
	    const char *const *methods, struct hub_buf *out);
/* Append the database series (folding the pending events first): HUB_DB_OK
 * or the hub_db_exec error. */
int	hub_metrics_render_db(struct hub_db *, struct hub_buf *out);

#ifdef HUB_UNITTEST
/* Only in the tests' copy: a program keeps its counters until it exits. */
void	hub_metrics_destroy(struct hub_metrics *);
#endif

#endif
