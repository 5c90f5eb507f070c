/*
 * metrics.c - see metrics.h.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "base/common.h"
#include "store/counters.h"
#include "web/metrics.h"

#define STATUS_MIN 100
#define STATUS_N   500
/* Seconds; an intake answer is a few milliseconds, a slow one hundreds. */
static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NBUCKETS HUB_NELEM(buckets)

struct route_slot {
	uint64_t	status[STATUS_N];
	uint64_t	bucket[NBUCKETS];   /* non-cumulative; summed when rendered */
	uint64_t	count;
	uint64_t	sum_us;
};

struct hub_metrics {
	size_t			nroutes;
	size_t			size;
	struct route_slot	routes[];
};

struct hub_metrics *
hub_metrics_create(size_t nroutes)
{
	struct hub_metrics *m;
	size_t size;
	void *p;

	if (nroutes == 0 || nroutes > HUB_METRICS_MAX_ROUTES)
		return NULL;
	size = sizeof(*m) + nroutes * sizeof(struct route_slot);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	m = p;	/* zero-filled by the kernel */
	m->nroutes = nroutes;
	m->size = size;
	return m;
}

HUB_STATIC HUB_UNUSED void
hub_metrics_destroy(struct hub_metrics *m)
{
	if (m != NULL)
		munmap(m, m->size);
}

void
hub_metrics_observe(struct hub_metrics *m, size_t route, int status, double seconds)
{
	struct route_slot *r;
	size_t b;

	if (m == NULL || route >= m->nroutes || status < STATUS_MIN ||
	    status >= STATUS_MIN + STATUS_N)
		return;
	if (seconds < 0)
		seconds = 0;
	r = &m->routes[route];
	__atomic_add_fetch(&r->status[status - STATUS_MIN], 1, __ATOMIC_RELAXED);
	for (b = 0; b < NBUCKETS && seconds > buckets[b]; b++)
		;
	if (b < NBUCKETS)
		__atomic_add_fetch(&r->bucket[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->sum_us, (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->count, 1, __ATOMIC_RELAXED);
}

/* Label value escaping of the text format: \ " and newline. */
static int
label(struct hub_buf *out, const char *s)
{
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		if (*s == '\\')
			rc = hub_buf_adds(out, "\\\\");
		else if (*s == '"')
			rc = hub_buf_adds(out, "\\\"");
		else if (*s == '\n')
			rc = hub_buf_adds(out, "\\n");
		else
			rc = hub_buf_addc(out, *s);
	}
	return rc;
}

/* route="…",method="…" */
static int
labels(struct hub_buf *out, const char *name, const char *method)
{
	return hub_buf_adds(out, "route=\"") || label(out, name) ||
	    hub_buf_adds(out, "\",method=\"") || label(out, method) || hub_buf_addc(out, '"');
}

static int
render_route(const struct route_slot *r, const char *name, const char *method,
    struct hub_buf *out)
{
	uint64_t v, cum = 0;
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		cum += __atomic_load_n(&r->bucket[i], __ATOMIC_RELAXED);
		if (hub_buf_adds(out, "hub_http_request_duration_seconds_bucket{") ||
		    labels(out, name, method) ||
		    hub_buf_printf(out, ",le=\"%g\"} %llu\n", buckets[i], (unsigned long long)cum))
			return -1;
	}
	v = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
	if (hub_buf_adds(out, "hub_http_request_duration_seconds_bucket{") ||
	    labels(out, name, method) ||
	    hub_buf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)v) ||
	    hub_buf_adds(out, "hub_http_request_duration_seconds_sum{") ||
	    labels(out, name, method) ||
	    hub_buf_printf(out, "} %.6f\n",
	    (double)__atomic_load_n(&r->sum_us, __ATOMIC_RELAXED) / 1e6) ||
	    hub_buf_adds(out, "hub_http_request_duration_seconds_count{") ||
	    labels(out, name, method) ||
	    hub_buf_printf(out, "} %llu\n", (unsigned long long)v))
		return -1;
	return 0;
}

int
hub_metrics_render(const struct hub_metrics *m, const char *const *names,
    const char *const *methods, struct hub_buf *out)
{
	uint64_t v;
	size_t i, s;

	if (m == NULL)
		return 0;
	if (hub_buf_adds(out, "# HELP hub_http_requests_total HTTP requests answered, by route, method and status.\n"
	    "# TYPE hub_http_requests_total counter\n"))
		return -1;
	for (i = 0; i < m->nroutes; i++) {
		for (s = 0; s < STATUS_N; s++) {
			v = __atomic_load_n(&m->routes[i].status[s], __ATOMIC_RELAXED);
			if (v == 0)
				continue;
			if (hub_buf_adds(out, "hub_http_requests_total{") ||
			    labels(out, names[i], methods[i]) ||
			    hub_buf_printf(out, ",status=\"%zu\"} %llu\n", s + STATUS_MIN,
			    (unsigned long long)v))
				return -1;
		}
	}
	if (hub_buf_adds(out, "# HELP hub_http_request_duration_seconds Time to answer, by route and method.\n"
	    "# TYPE hub_http_request_duration_seconds histogram\n"))
		return -1;
	for (i = 0; i < m->nroutes; i++)
		if (render_route(&m->routes[i], names[i], methods[i], out) != 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------ database */

enum stmt {
	STMT_JOBS,
	STMT_JOBS_FAILED_TOTAL,
	STMT_DELIVERIES,
	STMT_DELIVERIES_TOTAL,
	STMT_SLACK_ERRORS_TOTAL,
	STMT_REQUESTS,
	STMT_CONNECTIONS,
	STMT__MAX
};

/*
 * Every statement costs what the live set or the counters hold, never the
 * size of a table that grows with use: no gauge counts history rows
 * (README "Metrics").  Counters are events kept in metric_counters (0007,
 * 0022), folded from metric_deltas just before (store/counters.h);
 * hub_requests is the sum of request_counts (0021).
 */
static const struct hub_stmt stmts[STMT__MAX] = {
	/* Jobs waiting or running (jobs_due, jobs_lease: partial indexes);
	 * finished ones are history, failures a counter. */
	[STMT_JOBS] = { "SELECT kind, state, count(*) FROM jobs"
	    " WHERE state IN ('queued', 'running') GROUP BY 1, 2 ORDER BY 1, 2", 0 },
	[STMT_JOBS_FAILED_TOTAL] = { "SELECT labels->>'kind', value FROM metric_counters"
	    " WHERE name = 'hub_jobs_failed_total' ORDER BY 1", 0 },
	/* Deliveries still moving (delivery_log_status_created); delivered
	 * and failed ones are history, counted by hub_deliveries_total. */
	[STMT_DELIVERIES] = { "SELECT transport, status, count(*) FROM delivery_log"
	    " WHERE status IN ('queued', 'sending', 'retrying') GROUP BY 1, 2 ORDER BY 1, 2", 0 },
	[STMT_DELIVERIES_TOTAL] = { "SELECT labels->>'transport', labels->>'status', value"
	    " FROM metric_counters WHERE name = 'hub_deliveries_total' ORDER BY 1, 2", 0 },
	[STMT_SLACK_ERRORS_TOTAL] = { "SELECT labels->>'code', value FROM metric_counters"
	    " WHERE name = 'hub_slack_errors_total' ORDER BY 1", 0 },
	/* Every status, zero included: a series does not vanish when its
	 * last request moves on.  request_counts (0021) is kept by a trigger
	 * on requests: a few rows per source and status. */
	[STMT_REQUESTS] = { "SELECT s.status, coalesce(sum(c.n), 0) FROM (VALUES ('Approved'),"
	    " ('Cancelled'), ('Expired'), ('Lapsed'), ('Pending'), ('Rejected')) AS s (status)"
	    " LEFT JOIN request_counts c ON c.status = s.status GROUP BY 1 ORDER BY 1", 0 },
	/* Every state, zero included, so an alert on "disabled > 0" has a series. */
	[STMT_CONNECTIONS] = { "SELECT s.state, count(c.id) FROM (VALUES ('ok'), ('disabled'),"
	    " ('attention')) AS s (state) LEFT JOIN slack_connections c ON s.state ="
	    " CASE WHEN c.disabled THEN 'disabled' WHEN c.needs_admin_attention THEN 'attention'"
	    " ELSE 'ok' END GROUP BY 1 ORDER BY 1", 0 },
};

static const struct hub_stmt_table metric_stmts = { "metrics", stmts, STMT__MAX };

/* One family: the statement's first columns are label values named by
 * labels[], its last column the value. */
struct family {
	int		 stmt;
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*labels[2];
	int		 nlabels;
};

static const struct family families[] = {
	{ STMT_JOBS, "hub_jobs", "gauge", "Jobs waiting (queued) or running, by kind.",
	    { "kind", "state" }, 2 },
	{ STMT_JOBS_FAILED_TOTAL, "hub_jobs_failed_total", "counter",
	    "Jobs that gave up (no attempt left, or a permanent error), by kind.",
	    { "kind", NULL }, 1 },
	{ STMT_DELIVERIES, "hub_delivery_rows", "gauge",
	    "Deliveries not finished yet (queued, sending, retrying) by transport.",
	    { "transport", "status" }, 2 },
	{ STMT_DELIVERIES_TOTAL, "hub_deliveries_total", "counter",
	    "Delivery attempt outcomes (delivered, failed, retrying) by transport.",
	    { "transport", "status" }, 2 },
	{ STMT_SLACK_ERRORS_TOTAL, "hub_slack_errors_total", "counter",
	    "Slack delivery attempts that ended with an error code.", { "code", NULL }, 1 },
	{ STMT_REQUESTS, "hub_requests", "gauge", "Approval requests by status.",
	    { "status", NULL }, 1 },
	{ STMT_CONNECTIONS, "hub_slack_connections", "gauge",
	    "Slack connections: ok, disabled, or enabled but flagged for an admin (attention).",
	    { "state", NULL }, 1 },
};

static int
render_family(struct hub_db *db, const struct family *f, struct hub_buf *out)
{
	PGresult *res = NULL;
	int i, j, rc;

	if ((rc = hub_db_exec(db, &metric_stmts, f->stmt, NULL, &res)) != HUB_DB_OK)
		return rc;
	rc = HUB_DB_NOMEM;
	if (hub_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
	    f->name, f->type))
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		if (hub_buf_adds(out, f->name) || hub_buf_addc(out, '{'))
			goto out;
		for (j = 0; j < f->nlabels; j++)
			if (hub_buf_printf(out, "%s%s=\"", j ? "," : "", f->labels[j]) ||
			    label(out, PQgetvalue(res, i, j)) || hub_buf_addc(out, '"'))
				goto out;
		if (hub_buf_printf(out, "} %s\n", PQgetvalue(res, i, f->nlabels)))
			goto out;
	}
	rc = HUB_DB_OK;
out:
	PQclear(res);
	return rc;
}

int
hub_metrics_render_db(struct hub_db *db, struct hub_buf *out)
{
	size_t i;
	int rc;

	/* The events counted since the last fold first (bounded by them). */
	if ((rc = hub_counters_fold(db, NULL)) != HUB_DB_OK)
		return rc;
	for (i = 0; i < HUB_NELEM(families); i++)
		if ((rc = render_family(db, &families[i], out)) != HUB_DB_OK)
			return rc;
	return HUB_DB_OK;
}
