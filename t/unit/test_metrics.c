/* test_metrics.c - the shared counters: counts from a forked child reach
 * the parent, statuses and buckets land where they should, bad input is
 * ignored, label values are escaped. */
/* The headers' unit-test declarations, as in the library copy this test
 * links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "web/metrics.h"

static const char *const names[] = { "/a", "/b/{id}" };
static const char *const methods[] = { "GET", "POST" };

static char *
render(struct hub_metrics *m)
{
	struct hub_buf b = HUB_BUF_INIT(1u << 20);

	cr_assert_eq(hub_metrics_render(m, names, methods, &b), 0);
	return hub_buf_detach(&b, NULL);
}

Test(metrics, create_refuses_bad_sizes)
{
	cr_assert_null(hub_metrics_create(0));
	cr_assert_null(hub_metrics_create(HUB_METRICS_MAX_ROUTES + 1));
}

Test(metrics, children_add_to_the_same_counters)
{
	struct hub_metrics *m = hub_metrics_create(2);
	pid_t pid;
	int st, i;
	char *s;

	cr_assert_not_null(m);
	cr_assert((pid = fork()) >= 0);
	if (pid == 0) {
		for (i = 0; i < 1000; i++)
			hub_metrics_observe(m, 1, 201, 0.002);
		_exit(0);
	}
	for (i = 0; i < 1000; i++)
		hub_metrics_observe(m, 1, 201, 0.002);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	s = render(m);
	cr_assert(strstr(s, "hub_http_requests_total{route=\"/b/{id}\",method=\"POST\",status=\"201\"} 2000\n")
	    != NULL, "%s", s);
	cr_assert(strstr(s, "hub_http_request_duration_seconds_count{route=\"/b/{id}\",method=\"POST\"} 2000\n")
	    != NULL, "%s", s);
	free(s);
	hub_metrics_destroy(m);
}

Test(metrics, buckets_are_cumulative)
{
	struct hub_metrics *m = hub_metrics_create(1);
	char *s;

	hub_metrics_observe(m, 0, 200, 0.0005);  /* le 0.001 */
	hub_metrics_observe(m, 0, 200, 0.003);   /* le 0.005 */
	hub_metrics_observe(m, 0, 404, 30);      /* only +Inf */
	s = render(m);
	cr_assert(strstr(s, "{route=\"/a\",method=\"GET\",le=\"0.001\"} 1\n") != NULL, "%s", s);
	cr_assert(strstr(s, "{route=\"/a\",method=\"GET\",le=\"0.0025\"} 1\n") != NULL, "%s", s);
	cr_assert(strstr(s, "{route=\"/a\",method=\"GET\",le=\"0.005\"} 2\n") != NULL, "%s", s);
	cr_assert(strstr(s, "{route=\"/a\",method=\"GET\",le=\"10\"} 2\n") != NULL, "%s", s);
	cr_assert(strstr(s, "{route=\"/a\",method=\"GET\",le=\"+Inf\"} 3\n") != NULL, "%s", s);
	cr_assert(strstr(s, "status=\"404\"} 1\n") != NULL, "%s", s);
	free(s);
	hub_metrics_destroy(m);
}

Test(metrics, out_of_range_is_ignored)
{
	struct hub_metrics *m = hub_metrics_create(1);
	char *s;

	hub_metrics_observe(NULL, 0, 200, 1);
	hub_metrics_observe(m, 1, 200, 1);
	hub_metrics_observe(m, 0, 99, 1);
	hub_metrics_observe(m, 0, 600, 1);
	s = render(m);
	cr_assert(strstr(s, "hub_http_requests_total{") == NULL, "%s", s);
	cr_assert(strstr(s, "_count{route=\"/a\",method=\"GET\"} 0\n") != NULL, "%s", s);
	free(s);
	hub_metrics_destroy(m);
}

Test(metrics, label_values_are_escaped)
{
	static const char *const odd[] = { "/x\"y\\z\n" };
	static const char *const get[] = { "GET" };
	struct hub_metrics *m = hub_metrics_create(1);
	struct hub_buf b = HUB_BUF_INIT(1u << 20);

	hub_metrics_observe(m, 0, 200, 0);
	cr_assert_eq(hub_metrics_render(m, odd, get, &b), 0);
	cr_assert(strstr(hub_buf_str(&b), "route=\"/x\\\"y\\\\z\\n\"") != NULL, "%s", hub_buf_str(&b));
	hub_buf_release(&b);
	hub_metrics_destroy(m);
}

Test(metrics, render_fails_cleanly_when_the_buffer_is_full)
{
	struct hub_metrics *m = hub_metrics_create(2);
	struct hub_buf b = HUB_BUF_INIT(64);

	hub_metrics_observe(m, 0, 200, 0);
	cr_assert_eq(hub_metrics_render(m, names, methods, &b), -1);
	hub_buf_release(&b);
	hub_metrics_destroy(m);
}
