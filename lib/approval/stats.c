/*
 * stats.c - the numbers behind the charts.  See stats.h.
 */
#include <stdio.h>

#include "approval/stats.h"
#include "base/common.h"
#include "store/pgjson.h"
#include "store/sqlfrag.h"

enum stmt {
	STMT_DAILY,
	STMT_DECISIONS,
	STMT__MAX
};

#define SINCE HUB_SQL_UTC_DAYS_AGO("$1")

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 days, $2 source name or NULL */
	[STMT_DAILY] = {
	    "SELECT s.name AS source, d.day, d.n FROM sources s CROSS JOIN LATERAL ("
	    " SELECT to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,"
	    "  count(*) AS n FROM requests r"
	    " WHERE r.source_id = s.id AND r.created_at >= " SINCE
	    " GROUP BY 1) d"
	    " WHERE ($2::text IS NULL OR lower(s.name) = lower($2))"
	    " ORDER BY s.name, d.day", 2 },
	/* $1 days, $2 source name or NULL, $3 sample size */
	[STMT_DECISIONS] = {
	    "SELECT s.name AS source, x.decided, x.approved, x.decided - x.approved AS rejected,"
	    " x.median_s FROM sources s CROSS JOIN LATERAL ("
	    " SELECT count(*) AS decided,"
	    "  count(*) FILTER (WHERE w.status <> 'Rejected') AS approved,"
	    "  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w.secs))::bigint AS median_s"
	    " FROM (SELECT r.status, extract(epoch FROM r.decided_at - r.created_at) AS secs"
	    "  FROM requests r WHERE r.source_id = s.id AND r.created_at >= " SINCE
	    "  AND r.status IN ('Approved', 'Rejected', 'Lapsed')"
	    "  ORDER BY r.created_at DESC, r.id DESC LIMIT $3::int) w) x"
	    " WHERE x.decided > 0 AND ($2::text IS NULL OR lower(s.name) = lower($2))"
	    " ORDER BY s.name", 3 },
};

static const struct hub_stmt_table stats_stmts = { "stats", stmts, STMT__MAX };

static int
run(struct hub_db *db, int stmt, int days, const char *source, json_object **out)
{
	char d[HUB_INT_TEXT_SIZE], n[HUB_INT_TEXT_SIZE];
	const char *params[3] = { d, source, n };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if (days < 1 || days > HUB_STATS_DAYS_MAX)
		return HUB_DB_CHECK;
	snprintf(d, sizeof(d), "%d", days);
	snprintf(n, sizeof(n), "%d", HUB_STATS_SAMPLE);
	if ((rc = hub_db_exec(db, &stats_stmts, stmt, params, &res)) != HUB_DB_OK)
		return rc;
	*out = hub_pgjson_rows(res, PQntuples(res));
	PQclear(res);
	return *out != NULL ? HUB_DB_OK : HUB_DB_NOMEM;
}

int
hub_stats_daily(struct hub_db *db, int days, const char *source, json_object **out)
{
	return run(db, STMT_DAILY, days, source, out);
}

int
hub_stats_decisions(struct hub_db *db, int days, const char *source, json_object **out)
{
	return run(db, STMT_DECISIONS, days, source, out);
}
