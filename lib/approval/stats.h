/*
 * stats.h - the numbers behind the charts (web/pagecharts): requests per
 * day by source, and per source the time to decision and how many were
 * approved.
 *
 * Cheap whatever the hub's age: every statement starts from the sources
 * (a small table) and walks one source's requests_source_created over
 * the period, never older rows.  The decisions of a source are those of
 * its newest HUB_STATS_SAMPLE decided requests made in the period, so a
 * busy source costs no more than that.  Days are UTC days; "the last N
 * days" includes today.
 *
 * Read only.  Objects handed out are the caller's.  Return a hub_db code.
 * Never logs.
 */
#ifndef HUB_STATS_H
#define HUB_STATS_H

#include <json-c/json.h>

#include "store/db.h"

#define HUB_STATS_SAMPLE	1000
#define HUB_STATS_DAYS_MAX	366

/* [{"source", "day": "YYYY-MM-DD", "n"}], days with no request left out.
 * source: a source's name (any case) or NULL for all. */
int	hub_stats_daily(struct hub_db *, int days, const char *source, json_object **out);
/* [{"source", "decided", "approved", "rejected", "median_s"}] for each
 * source with a decided request made in the period: approved counts Approved and
 * Lapsed (approved, then expired), decided is approved + rejected (a
 * cancelled or expired request was never decided), median_s the median
 * seconds from creation to decision. */
int	hub_stats_decisions(struct hub_db *, int days, const char *source, json_object **out);

#endif
