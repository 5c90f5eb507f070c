/*
 * test_metrics.c - /metrics through nginx after known operations, now that
 * its figures are kept as things happen (request_counts of 0021, the
 * counters of 0022_metric_deltas.sql and store/counters.h) instead of
 * counted from whole tables at each scrape:
 *
 *  - hub_requests{status} follows creates, a cancel and a deletion through
 *    the API and stays equal to what the requests table holds;
 *  - a job that gives up counts in hub_jobs_failed_total{kind}, and
 *    hub_jobs shows waiting jobs but no finished ones;
 *  - hub_delivery_rows shows only deliveries still moving, the outcomes
 *    are hub_deliveries_total's.
 *
 * Each test uses names of its own (source, job kinds); only the first
 * makes requests, so its exact figures are its own (this binary has its
 * own stack).  The stack's worker runs the jobs and folds the events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "testlib.h"

static const char *const statuses[] = {
	"Approved", "Cancelled", "Expired", "Lapsed", "Pending", "Rejected",
};

static void
uniq(const char *prefix, char *out, size_t len)
{
	static int n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%s-%d-%ld-%d", prefix, (int)getpid(), ts.tv_nsec, ++n);
}

/* The whole /metrics text (caller frees). */
static char *
scrape(void)
{
	struct th_resp r;
	char *body;

	th_api("GET", "/metrics", NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "hub_database_up 1\n") != NULL, "%s", r.body);
	cr_assert_not_null(body = strdup(r.body));
	th_resp_free(&r);
	return body;
}

/* The value of the series (its name and labels, exactly); -1 when absent. */
static long long
series(const char *body, const char *name)
{
	char want[512];
	const char *p;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "\n%s ", name);
	cr_assert(n < sizeof(want));
	if ((p = strstr(body, want)) == NULL)
		return -1;
	return strtoll(p + n, NULL, 10);
}

static long long
requests_gauge(const char *body, const char *status)
{
	char name[128];

	snprintf(name, sizeof(name), "hub_requests{status=\"%s\"}", status);
	return series(body, name);
}

static long long
sql_ll(const char *sql, const char *p1)
{
	char v[64];

	th_sql_value(sql, p1, v, sizeof(v));
	return strtoll(v, NULL, 10);
}

static void
create(const char *key, char *id)
{
	struct th_resp r;
	json_object *o, *v;

	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"Ana Lopez\","
	    "\"approver_id\":\"approver@example.com\",\"justification_text\":\"a new laptop\","
	    "\"metadata\":{}}", &r);
	o = th_expect(&r, 201, NULL);
	cr_assert(json_object_object_get_ex(o, "id", &v));
	snprintf(id, 37, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

/* Every status of the gauge is what the table holds, zero included. */
static void
gauge_matches_table(const char *body)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		cr_expect_eq(requests_gauge(body, statuses[i]),
		    sql_ll("SELECT count(*) FROM requests WHERE status = $1", statuses[i]),
		    "hub_requests{status=\"%s\"} is not the table's count:\n%s", statuses[i], body);
}

Test(metrics_flat, requests_by_status_follow_create_cancel_and_delete)
{
	char name[64], key[256], id[3][37], path[128];
	struct th_resp r;
	char *a, *b, *c, *d;
	int i;

	uniq("metrics", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	a = scrape();
	gauge_matches_table(a);
	for (i = 0; i < 3; i++)
		create(key, id[i]);
	b = scrape();
	cr_assert_eq(requests_gauge(b, "Pending"), requests_gauge(a, "Pending") + 3, "%s", b);

	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id[0]);
	th_api("POST", path, key, NULL, "{}", &r);
	json_object_put(th_expect(&r, 200, NULL));
	th_resp_free(&r);
	c = scrape();
	cr_assert_eq(requests_gauge(c, "Pending"), requests_gauge(a, "Pending") + 2, "%s", c);
	cr_assert_eq(requests_gauge(c, "Cancelled"), requests_gauge(a, "Cancelled") + 1, "%s", c);

	/* Retention deleting a request takes it off the gauge. */
	th_sql_value("DELETE FROM requests WHERE id = $1::uuid", id[1], path, sizeof(path));
	d = scrape();
	cr_assert_eq(requests_gauge(d, "Pending"), requests_gauge(a, "Pending") + 1, "%s", d);
	gauge_matches_table(d);
	/* Every status has a series, even at zero. */
	cr_expect_eq(requests_gauge(d, "Lapsed"), 0, "%s", d);

	/* The approver's email went out: an outcome, counted, and no longer
	 * a row of the gauge of deliveries still moving. */
	th_sql_await("SELECT count(*) FROM delivery_log WHERE request_id = $1::uuid"
	    " AND transport = 'email' AND status = 'delivered'", id[2], "1");
	free(d);
	d = scrape();
	cr_assert(strstr(d, "# TYPE hub_delivery_rows gauge\n") != NULL, "%s", d);
	cr_expect_geq(series(d, "hub_deliveries_total{transport=\"email\",status=\"delivered\"}"),
	    1, "%s", d);
	cr_expect(strstr(d, "hub_delivery_rows{transport=\"email\",status=\"delivered\"}") == NULL,
	    "%s", d);
	free(a);
	free(b);
	free(c);
	free(d);
}

Test(metrics_flat, failed_jobs_are_counted_and_finished_jobs_are_not_a_gauge)
{
	char kind[80], later[80], failed[160], waiting[200], v[32];
	char *a, *b, *c;

	uniq("metricstest.fail", kind, sizeof(kind));
	uniq("metricstest.later", later, sizeof(later));
	/* The kinds are for this test alone: lower case, as jobs.kind wants. */
	for (char *p = kind; *p; p++)
		if (*p == '-')
			*p = '_';
	for (char *p = later; *p; p++)
		if (*p == '-')
			*p = '_';
	snprintf(failed, sizeof(failed), "hub_jobs_failed_total{kind=\"%s\"}", kind);
	snprintf(waiting, sizeof(waiting), "hub_jobs{kind=\"%s\",state=\"queued\"}", later);

	a = scrape();
	cr_assert_eq(series(a, failed), -1, "%s", a);
	/* A kind no worker knows: the stack's worker gives it up at once. */
	th_sql_value("INSERT INTO jobs (kind) VALUES ($1) RETURNING id", kind, v, sizeof(v));
	th_sql_await("SELECT state FROM jobs WHERE kind = $1", kind, "failed");
	/* One waiting an hour: queued now. */
	th_sql_value("INSERT INTO jobs (kind, run_at) VALUES ($1, now() + interval '1 hour')"
	    " RETURNING id", later, v, sizeof(v));
	b = scrape();
	cr_assert_eq(series(b, failed), 1, "%s", b);
	cr_assert_eq(series(b, waiting), 1, "%s", b);
	cr_assert(strstr(b, "# TYPE hub_jobs_failed_total counter\n") != NULL, "%s", b);
	/* Finished jobs are history, not a gauge that grows with it. */
	cr_expect(strstr(b, "state=\"done\"") == NULL, "%s", b);
	cr_expect(strstr(b, "state=\"failed\"") == NULL, "%s", b);

	/* Gone from the queue, gone from the gauge; the counter stays. */
	th_sql_value("DELETE FROM jobs WHERE kind = $1", kind, v, sizeof(v));
	th_sql_value("DELETE FROM jobs WHERE kind = $1", later, v, sizeof(v));
	c = scrape();
	cr_assert_eq(series(c, waiting), -1, "%s", c);
	cr_assert_eq(series(c, failed), 1, "%s", c);
	free(a);
	free(b);
	free(c);
}
