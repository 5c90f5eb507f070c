/*
 * The whole stack through the real nginx: /health (and 503 while
 * PostgreSQL is down, 200 again after it is back), routing and error
 * shapes, security headers, and Slack's signature gate on /slack/events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testlib.h"

static const char challenge_body[] =
    "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\","
    "\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
    "\"type\":\"url_verification\"}";

static void
assert_security_headers(const struct th_resp *r)
{
	char v[512];

	cr_assert_not_null(th_header(r, "X-Content-Type-Options", v, sizeof(v)));
	cr_assert_str_eq(v, "nosniff");
	cr_assert_not_null(th_header(r, "X-Frame-Options", v, sizeof(v)));
	cr_assert_str_eq(v, "DENY");
}

Test(stack, health_is_healthy)
{
	struct th_resp r;
	json_object *o, *v;
	char ct[128];

	cr_assert_eq(th_http("GET", "/health", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, r.body);
	cr_assert_not_null(th_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_assert(strncmp(ct, "application/json", 16) == 0, "content type %s", ct);
	assert_security_headers(&r);
	cr_assert_not_null(o = th_json(&r));
	cr_assert(json_object_object_get_ex(o, "status", &v));
	cr_assert_str_eq(json_object_get_string(v), "healthy");
	cr_assert(json_object_object_get_ex(o, "service", &v));
	cr_assert_str_eq(json_object_get_string(v), "universal-approval-hub");
	json_object_put(o);
	th_resp_free(&r);
}

/* Each program's database connections carry its name, and each worker
 * lane's process its place (the lanes' parent: "relay"), so an admin reading pg_stat_activity (or
 * PostgreSQL's log with %a) can tell them apart. */
Test(stack, each_program_names_its_database_connections)
{
	struct th_resp r;
	char names[1024];

	cr_assert_eq(th_http("GET", "/health", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, r.body);
	th_resp_free(&r);
	th_sql_await("SELECT count(*) > 0 FROM pg_stat_activity"
	    " WHERE application_name = $1", "approvalhub-worker slack.0", "t");
	th_sql_value("SELECT string_agg(DISTINCT application_name, ',')"
	    " FROM pg_stat_activity WHERE application_name LIKE $1", "approvalhub%",
	    names, sizeof(names));
	cr_expect(strstr(names, "approvalhub-api") != NULL, "names: %s", names);
	cr_expect(strstr(names, "approvalhub-worker callbacks.0") != NULL, "names: %s", names);
	cr_expect(strstr(names, "approvalhub-worker home.0") != NULL, "names: %s", names);
	/* the lanes' parent, which listens for them (jobrelay.h) */
	cr_expect(strstr(names, "approvalhub-worker relay") != NULL, "names: %s", names);
}

/* 503 while the database is down; the same processes answer 200 once it is
 * back (each child reconnects by itself). */
Test(stack, health_follows_the_database)
{
	struct th_resp r;
	int i, seen503 = 0;

	cr_assert_eq(th_sh("bash \"$top_srcdir/t/integration/pgctl.sh\" stop"), 0);
	/* Two children per program: ask enough times to reach both. */
	for (i = 0; i < 6; i++) {
		cr_assert_eq(th_http("GET", "/health", NULL, NULL, 0, &r), 0);
		cr_assert_eq(r.status, 503, "database down, got %ld: %s", r.status, r.body);
		cr_assert(strstr(r.body, "\"unhealthy\"") != NULL, "%s", r.body);
		seen503++;
		th_resp_free(&r);
	}
	cr_assert_eq(th_sh("bash \"$top_srcdir/t/integration/pgctl.sh\" start"), 0);
	for (i = 0; i < 6; i++) {
		cr_assert_eq(th_http("GET", "/health", NULL, NULL, 0, &r), 0);
		cr_assert_eq(r.status, 200, "database back, got %ld: %s", r.status, r.body);
		th_resp_free(&r);
	}
	cr_assert_eq(seen503, 6);
}

struct route_case {
	const char *method;
	const char *path;
	long status;
	const char *type_prefix;  /* expected Content-Type prefix */
};

Test(stack, routing_and_error_shapes)
{
	static const struct route_case cases[] = {
		{ "GET", "/api/no-such-thing", 404, "application/json" },
		{ "GET", "/no-such-page", 404, "text/html" },
		{ "GET", "/", 200, "text/html" },
		{ "HEAD", "/health", 200, "application/json" },
		{ "GET", "/slack/events", 405, "application/json" },
		{ "DELETE", "/health", 405, "application/json" },
		{ "GET", "/static/hub.css", 200, "text/css" },
	};
	struct th_resp r;
	char ct[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(th_http(cases[i].method, cases[i].path, NULL, NULL, 0, &r), 0);
		cr_assert_eq(r.status, cases[i].status, "%s %s: %ld", cases[i].method,
		    cases[i].path, r.status);
		cr_assert_not_null(th_header(&r, "Content-Type", ct, sizeof(ct)),
		    "%s %s: no content type", cases[i].method, cases[i].path);
		cr_assert(strncmp(ct, cases[i].type_prefix, strlen(cases[i].type_prefix)) == 0,
		    "%s %s: content type %s", cases[i].method, cases[i].path, ct);
		assert_security_headers(&r);
		if (strcmp(cases[i].type_prefix, "application/json") == 0 && r.status >= 400) {
			json_object *o = th_json(&r), *e;
			cr_assert_not_null(o, "%s %s: error is not JSON: %s", cases[i].method,
			    cases[i].path, r.body);
			cr_assert(json_object_object_get_ex(o, "error", &e));
			json_object_put(o);
		}
		if (strcmp(cases[i].type_prefix, "text/html") == 0) {
			cr_assert_not_null(th_header(&r, "Content-Security-Policy", ct, sizeof(ct)));
		}
		th_resp_free(&r);
	}
}

Test(stack, html_pages_escape_the_path)
{
	struct th_resp r;

	cr_assert_eq(th_http("GET", "/%3Cscript%3Ealert(1)%3C/script%3E", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 404);
	cr_assert(strstr(r.body, "<script>") == NULL, "unescaped: %s", r.body);
	th_resp_free(&r);
}

Test(stack, url_verification_signed)
{
	struct th_resp r;
	json_object *o, *v;

	cr_assert_eq(th_slack_post("/slack/events", "application/json", challenge_body,
	    strlen(challenge_body), (long)time(NULL), &r), 0);
	cr_assert_eq(r.status, 200, "%ld: %s", r.status, r.body);
	cr_assert_not_null(o = th_json(&r));
	cr_assert(json_object_object_get_ex(o, "challenge", &v));
	cr_assert_str_eq(json_object_get_string(v),
	    "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
	json_object_put(o);
	th_resp_free(&r);
}

Test(stack, unsigned_or_stale_events_are_refused)
{
	const char *ct = "Content-Type: application/json";
	char ts_now[64], bad_sig[160];
	struct th_resp r;
	long now = (long)time(NULL);

	/* No signature headers at all. */
	{
		const char *h[] = { ct, NULL };
		cr_assert_eq(th_http("POST", "/slack/events", h, challenge_body,
		    strlen(challenge_body), &r), 0);
		cr_assert_eq(r.status, 401, "unsigned: %ld", r.status);
		cr_assert(strstr(r.body, "challenge") == NULL);
		th_resp_free(&r);
	}
	/* Stale and future timestamps, correctly signed: a minute past the
	 * 300 s window, so a slow machine cannot bring them back inside it
	 * (the exact boundary is the unit test's, t/unit/test_slacksig.c). */
	cr_assert_eq(th_slack_post("/slack/events", "application/json", challenge_body,
	    strlen(challenge_body), now - 360, &r), 0);
	cr_assert_eq(r.status, 401, "stale: %ld", r.status);
	th_resp_free(&r);
	cr_assert_eq(th_slack_post("/slack/events", "application/json", challenge_body,
	    strlen(challenge_body), now + 360, &r), 0);
	cr_assert_eq(r.status, 401, "future: %ld", r.status);
	th_resp_free(&r);
	/* A signature made with another secret. */
	snprintf(ts_now, sizeof(ts_now), "X-Slack-Request-Timestamp: %ld", now);
	snprintf(bad_sig, sizeof(bad_sig), "X-Slack-Signature: v0=%064d", 0);
	{
		const char *h[] = { ct, ts_now, bad_sig, NULL };
		cr_assert_eq(th_http("POST", "/slack/events", h, challenge_body,
		    strlen(challenge_body), &r), 0);
		cr_assert_eq(r.status, 401, "wrong signature: %ld", r.status);
		th_resp_free(&r);
	}
}

Test(stack, oversized_event_body_is_413)
{
	size_t n = 1024 * 1024 + 100;
	char *big = malloc(n + 1);
	struct th_resp r;

	memset(big, 'a', n);
	big[0] = '"';
	big[n - 1] = '"';
	big[n] = '\0';
	cr_assert_eq(th_slack_post("/slack/events", "application/json", big, n,
	    (long)time(NULL), &r), 0);
	cr_assert_eq(r.status, 413, "%ld", r.status);
	th_resp_free(&r);
	free(big);
}

Test(stack, slack_without_signing_is_not_json_parsed)
{
	/* A signed body that is not JSON is a 400 after the signature passed. */
	struct th_resp r;
	const char *body = "{not json";

	cr_assert_eq(th_slack_post("/slack/events", "application/json", body, strlen(body),
	    (long)time(NULL), &r), 0);
	cr_assert_eq(r.status, 400, "%ld: %s", r.status, r.body);
	th_resp_free(&r);
}

/* A decision link's token lets its holder decide: neither the program's
 * log nor nginx's access log may keep it. */
Test(stack, decision_tokens_stay_out_of_logs)
{
	const char *token = "12.00000000-0000-4000-8000-000000000000.1999999999.TOKENSECRETxyz";
	char path[256];
	struct th_resp r;
	int i;

	snprintf(path, sizeof(path), "/decide/%s", token);
	cr_assert_eq(th_http("GET", path, NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 404, "%ld", r.status);
	th_resp_free(&r);
	/* nginx writes its access log line after the response: give it a moment. */
	for (i = 0; i < 20 && th_sh("grep -q 'decide/\\[redacted\\]' \"$HUB_STATE/nginx/access.log\"") != 0; i++)
		usleep(50 * 1000);
	cr_assert_eq(th_sh("grep -q 'decide/\\[redacted\\]' \"$HUB_STATE/nginx/access.log\""), 0,
	    "nginx logged no redacted decide line");
	cr_assert_eq(th_sh("grep -q 'decide/\\[redacted\\]' \"$HUB_STATE/log/dashboard.log\""), 0,
	    "the dashboard logged no redacted decide line");
	cr_assert_neq(th_sh("grep -rq TOKENSECRETxyz \"$HUB_STATE/log\" \"$HUB_STATE/nginx\""), 0,
	    "the token reached a log");
}

/* Every spelling of a decision link, Slack's OAuth redirect with its code
 * and state, and the errors nginx writes a request line for (a body over
 * client_max_body_size: 413; a body nginx buffers to a file): none of
 * the capabilities reaches nginx's access or error log, or a program's. */
Test(stack, capabilities_stay_out_of_every_nginx_log)
{
	static const struct { const char *pre, *post; } paths[] = {
		{ "/%64ecide/CAPTOKa", "" },
		{ "//decide/CAPTOKb", "" },
		{ "/decide/../decide/CAPTOKc", "" },
		{ "/slack/oauth/callback?code=CAPTOKd", "&state=CAPTOKe" },
		{ "/slack/%6fauth/callback?state=CAPTOKf", "&code=x" },
	};
	static const size_t big[] = { 5u << 20, 1536u << 10 };
	const char *hdrs[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	char path[256], *body;
	struct th_resp r;
	long tag = (long)getpid();
	size_t i;
	int n;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(path, sizeof(path), "%s%ld%s", paths[i].pre, tag, paths[i].post);
		cr_assert_eq(th_http("GET", path, NULL, NULL, 0, &r), 0, "%s", path);
		cr_expect_lt(r.status, 500, "%s: %ld", path, r.status);
		th_resp_free(&r);
	}
	/* Bodies: one nginx refuses (413, logged with the request line at
	 * level error), one it buffers to a file (logged at warn). */
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		cr_assert_not_null(body = malloc(big[i]));
		memset(body, 'a', big[i]);
		snprintf(path, sizeof(path), "/decide/CAPTOKg%zu%ld", i, tag);
		if (th_http("POST", path, hdrs, body, big[i], &r) == 0) {
			cr_expect_eq(r.status, 413, "%s: %ld", path, r.status);
			th_resp_free(&r);
		}
		free(body);
	}
	/* nginx writes its log lines after the response: wait for the last. */
	for (n = 0; n < 40; n++) {
		if (th_sh("test $(grep -c '\\[redacted\\]' \"$HUB_STATE/nginx/access.log\") -ge 7") == 0)
			break;
		usleep(50 * 1000);
	}
	cr_assert_eq(th_sh("grep -q '/slack/oauth/callback?\\[redacted\\]' "
	    "\"$HUB_STATE/nginx/access.log\""), 0, "no redacted OAuth line");
	if (th_sh("grep -rq CAPTOK \"$HUB_STATE/nginx\" \"$HUB_STATE/log\"") == 0) {
		th_sh("grep -r CAPTOK \"$HUB_STATE/nginx\" \"$HUB_STATE/log\" >&2");
		cr_assert_fail("a capability reached a log (lines above)");
	}
}

/* nginx's and the programs' logs are not for every local user. */
Test(stack, logs_are_not_world_readable)
{
	cr_assert_eq(th_sh("test \"$(stat -L -c %%a \"$HUB_STATE/nginx/access.log\")\" = 640"), 0,
	    "access.log is not 0640");
	cr_assert_eq(th_sh("test \"$(stat -L -c %%a \"$HUB_STATE/nginx/error.log\")\" = 640"), 0,
	    "error.log is not 0640");
	cr_assert_eq(th_sh("test \"$(stat -L -c %%a \"$HUB_STATE/log/dashboard.log\")\" = 640"), 0,
	    "dashboard.log is not 0640");
}
