/*
 * test_slackapi.c - the Slack client, the shared rate buckets, connections
 * and the `approvalhub connection` commands against t/fakes/fake_slack.py.
 *
 * Every test gets the fake reset and loaded with the same workspace (two
 * tokens, users, channels) and its own freshly migrated database next to
 * DATABASE_URL, so connection rows, buckets and the lookup cache start
 * empty.  The CLI runs as a subprocess with DATABASE_URL pointing there.
 */
/* The headers' unit-test declarations, as in the library copy this test
 * links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "store/db.h"
#include "base/httpc.h"
#include "base/json.h"
#include "store/migrate.h"
#include "slack/ratelimit.h"
#include "slack/slackapi.h"
#include "testlib.h"

#define TOKEN1	"xoxb-111-test-token-one"
#define TOKEN2	"xoxb-222-test-token-two"
#define TEXT	"hello from the hub"

static PGconn *admin;
static struct hub_db *db;
static char dbname[64];
static char dburl[1024];
static struct hub_keyring keyring;
static struct hub_slack slack;
static char api_url[512];

/* ------------------------------------------------------------ helpers */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* POST to the fake's control API; asserts it answered JSON. */
static void
fake(const char *path, const char *fmt, ...) HUB_PRINTF(2, 3);

static void
fake(const char *path, const char *fmt, ...)
{
	char body[4096];
	json_object *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	o = th_fake("FAKE_SLACK_URL", "POST", path, body);
	cr_assert_not_null(o, "fake %s %s", path, body);
	json_object_put(o);
}

/* The calls the fake recorded for method ("" = all); caller puts. */
static json_object *
calls(const char *method)
{
	char path[256];
	json_object *o;

	snprintf(path, sizeof(path), "/_fake/calls?method=%s", method);
	o = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
	cr_assert(o != NULL && json_object_is_type(o, json_type_array));
	return o;
}

static size_t
ncalls(const char *method)
{
	json_object *o = calls(method);
	size_t n = json_object_array_length(o);

	json_object_put(o);
	return n;
}

/* Header of the last recorded call of method, copied into out. */
static const char *
last_header(const char *method, const char *name, char *out, size_t len)
{
	json_object *o = calls(method), *c, *h, *v;
	size_t n = json_object_array_length(o);

	out[0] = '\0';
	cr_assert(n > 0, "no %s call", method);
	c = json_object_array_get_idx(o, n - 1);
	if (json_object_object_get_ex(c, "headers", &h) && json_object_object_get_ex(h, name, &v))
		snprintf(out, len, "%s", json_object_get_string(v));
	json_object_put(o);
	return out;
}

static void
admin_exec(const char *sql)
{
	PGresult *r = PQexec(admin, sql);

	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(admin));
	PQclear(r);
}

/* One value of a query on the test database, into a static buffer ("" for
 * no row, "NULL" for NULL). */
static const char *
q1(const char *fmt, ...) HUB_PRINTF(1, 2);

static const char *
q1(const char *fmt, ...)
{
	static char out[8192];
	char sql[2048];
	PGresult *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(hub_db_conn(db), sql);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", sql, PQerrorMessage(hub_db_conn(db)));
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0)
		out[0] = '\0';
	else if (PQgetisnull(r, 0, 0))
		snprintf(out, sizeof(out), "NULL");
	else
		snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return out;
}

static void
keyring_setup(void)
{
	struct hub_buf k = HUB_BUF_INIT(64);
	const char *sk = th_env("SECRET_KEY");

	memset(&keyring, 0, sizeof(keyring));
	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &k), HUB_CRYPTO_OK);
	cr_assert_eq(k.len, 32);
	cr_assert_eq(hub_keyring_add(&keyring, (const unsigned char *)k.data), HUB_CRYPTO_OK);
	hub_buf_release(&k);
}

static void
workspace(void)
{
	fake("/_fake/reset", "{}");
	fake("/_fake/tokens", "[{\"token\":\"%s\",\"team_id\":\"T1\",\"team_name\":\"Team One\","
	    "\"bot_user_id\":\"UB1\",\"user_name\":\"hubbot\"},"
	    "{\"token\":\"%s\",\"team_id\":\"T2\",\"team_name\":\"Team Two\","
	    "\"bot_user_id\":\"UB2\",\"user_name\":\"hubbot2\"}]", TOKEN1, TOKEN2);
	fake("/_fake/users", "[{\"id\":\"U1\",\"email\":\"alice@example.com\",\"name\":\"alice\"},"
	    "{\"id\":\"U2\",\"email\":\"bob@example.com\",\"name\":\"bob\"}]");
	fake("/_fake/channels", "[{\"id\":\"C1\",\"name\":\"approvals\"},"
	    "{\"id\":\"C2\",\"name\":\"secret\",\"is_member\":false},"
	    "{\"id\":\"C3\",\"name\":\"old\",\"is_archived\":true}]");
}

/* A channel of T1's workspace that only the calling test posts to, so a
 * count of its messages is this test's alone. */
static void
fresh_channel(char *out, size_t len)
{
	static int k;

	snprintf(out, len, "CT%ld%d", (long)getpid(), ++k);
	fake("/_fake/channels", "[{\"id\":\"%s\",\"name\":\"t-%s\"}]", out, out);
}

static void
setup(void)
{
	const char *base = getenv("DATABASE_URL");
	char sql[160];
	static int n;

	if (base == NULL || *base == '\0' || getenv("FAKE_SLACK_URL") == NULL)
		cr_skip_test("run under t/integration/env.sh");
	unsetenv("APPROVALHUB_CONF");
	keyring_setup();
	snprintf(api_url, sizeof(api_url), "%s", th_env("SLACK_API_URL"));
	memset(&slack, 0, sizeof(slack));
	cr_assert_not_null(slack.http = hub_httpc_new());
	slack.api_url = api_url;
	slack.timeout_ms = 5000;
	slack.keyring = &keyring;

	admin = PQconnectdb(base);
	cr_assert(PQstatus(admin) == CONNECTION_OK, "%s", PQerrorMessage(admin));
	snprintf(dbname, sizeof(dbname), "hub_slackapi_%ld_%d", (long)getpid(), n++);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
	admin_exec(sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
	admin_exec(sql);
	th_db_url(dbname, dburl, sizeof(dburl));
	cr_assert_eq(hub_db_connect_limits(dburl, NULL, &db), HUB_DB_OK);
	cr_assert_eq(hub_migrate_run(db, NULL), HUB_MIGRATE_OK, "%s", hub_db_last_error(db));
	/* The worker of the SLACK_BOT_TOKEN test posts to the loopback receiver. */
	th_allow_loopback_callbacks(db);
	workspace();
}

static void
teardown(void)
{
	char sql[160];
	PGresult *r;

	hub_db_close(db);
	db = NULL;
	if (admin != NULL) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		r = PQexec(admin, sql);
		PQclear(r);
		PQfinish(admin);
		admin = NULL;
	}
	hub_httpc_free(slack.http);
	slack.http = NULL;
}

static json_object *
msg(const char *channel, const char *text)
{
	json_object *o = json_object_new_object();

	if (channel != NULL)
		json_object_object_add(o, "channel", json_object_new_string(channel));
	if (text != NULL)
		json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

/* Post text to channel with token; returns the class, res filled. */
static int
post(const char *token, const char *channel, const char *text, struct hub_slack_result *res)
{
	json_object *m = msg(channel, text);
	int cls = hub_slack_call(&slack, "chat.postMessage", token, m, res);

	json_object_put(m);
	return cls;
}

/* ------------------------------------------------------------ Web API */

TestSuite(api, .init = setup, .fini = teardown, .timeout = 60);

Test(api, post_ok_sends_json_with_bearer)
{
	struct hub_slack_result res;
	char h[256];
	const char *ts = NULL;

	hub_slack_result_init(&res);
	cr_assert_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_OK, "%s", res.error);
	cr_expect(res.ok);
	cr_expect_eq(res.status, 200);
	cr_expect_eq(res.retry_after, -1);
	cr_assert_eq(hub_json_get_string(res.resp, "ts", 64, &ts), HUB_JSON_OK);
	cr_expect(strchr(ts, '.') != NULL);
	cr_expect_str_eq(last_header("chat.postMessage", "Content-Type", h, sizeof(h)),
	    "application/json; charset=utf-8");
	cr_expect_str_eq(last_header("chat.postMessage", "Authorization", h, sizeof(h)),
	    "Bearer " TOKEN1);
	hub_slack_result_free(&res);
}

Test(api, read_methods_go_as_a_form)
{
	struct hub_slack_result res;
	json_object *a = json_object_new_object(), *user;
	const char *id = NULL;
	char h[256];

	hub_slack_result_init(&res);
	json_object_object_add(a, "email", json_object_new_string("Alice@Example.com"));
	cr_assert_eq(hub_slack_call(&slack, "users.lookupByEmail", TOKEN1, a, &res), HUB_SLACK_OK,
	    "%s", res.error);
	cr_assert_eq(hub_json_get_object(res.resp, "user", &user), HUB_JSON_OK);
	cr_assert_eq(hub_json_get_string(user, "id", 32, &id), HUB_JSON_OK);
	cr_expect_str_eq(id, "U1");
	cr_expect_str_eq(last_header("users.lookupByEmail", "Content-Type", h, sizeof(h)),
	    "application/x-www-form-urlencoded");
	json_object_put(a);
	hub_slack_result_free(&res);
}

/* Real answers of the fake, not injected: each class from its cause. */
Test(api, classes_from_real_answers)
{
	struct hub_slack_result res;
	json_object *a, *blocks, *b;
	int i;

	hub_slack_result_init(&res);
	cr_expect_eq(post("xoxb-unknown", "C1", TEXT, &res), HUB_SLACK_AUTH);
	cr_expect_str_eq(res.error, "invalid_auth");
	cr_expect_eq(post(NULL, "C1", TEXT, &res), HUB_SLACK_AUTH);
	cr_expect_str_eq(res.error, "not_authed");
	cr_expect_eq(post("xoxb-bad\r\nX-Injected: 1", "C1", TEXT, &res), HUB_SLACK_AUTH);
	cr_expect_str_eq(res.error, "malformed_token");
	cr_expect_eq(post(TOKEN1, "C2", TEXT, &res), HUB_SLACK_CHANNEL);
	cr_expect_str_eq(res.error, "not_in_channel");
	cr_expect_eq(post(TOKEN1, "C3", TEXT, &res), HUB_SLACK_CHANNEL);
	cr_expect_str_eq(res.error, "is_archived");
	cr_expect_eq(post(TOKEN1, "C999", TEXT, &res), HUB_SLACK_CHANNEL);
	cr_expect_str_eq(res.error, "channel_not_found");
	cr_expect_eq(post(TOKEN1, "C1", NULL, &res), HUB_SLACK_INVALID);
	cr_expect_str_eq(res.error, "no_text");

	a = msg("C1", TEXT);
	blocks = json_object_new_array();
	for (i = 0; i < 51; i++) {
		b = json_object_new_object();
		json_object_object_add(b, "type", json_object_new_string("divider"));
		json_object_array_add(blocks, b);
	}
	json_object_object_add(a, "blocks", blocks);
	cr_expect_eq(hub_slack_call(&slack, "chat.postMessage", TOKEN1, a, &res),
	    HUB_SLACK_INVALID);
	cr_expect_str_eq(res.error, "invalid_blocks");
	cr_expect(strstr(res.detail, "json-pointer:/blocks") != NULL, "%s", res.detail);
	json_object_put(a);

	a = json_object_new_object();
	json_object_object_add(a, "email", json_object_new_string("nobody@example.com"));
	cr_expect_eq(hub_slack_call(&slack, "users.lookupByEmail", TOKEN1, a, &res),
	    HUB_SLACK_NOT_FOUND_USER);
	cr_expect_str_eq(res.error, "users_not_found");
	json_object_put(a);

	cr_expect_eq(hub_slack_call(&slack, "no.suchMethod", TOKEN1, NULL, &res), HUB_SLACK_OTHER);
	cr_expect_str_eq(res.error, "unknown_method");
	cr_expect_eq(res.status, 404);
	cr_expect_eq(hub_slack_call(&slack, "../x", TOKEN1, NULL, &res), HUB_SLACK_INVALID);

	fake("/_fake/revoke", "{\"token\":\"%s\"}", TOKEN2);
	cr_expect_eq(post(TOKEN2, "C1", TEXT, &res), HUB_SLACK_AUTH);
	cr_expect_str_eq(res.error, "token_revoked");
	fake("/_fake/tokens", "{\"token\":\"xoxb-expiring\",\"team_id\":\"T1\"}");
	fake("/_fake/expire", "{\"token\":\"xoxb-expiring\"}");
	cr_expect_eq(post("xoxb-expiring", "C1", TEXT, &res), HUB_SLACK_AUTH);
	cr_expect_str_eq(res.error, "token_expired");
	hub_slack_result_free(&res);
}

/* Every documented code, injected at HTTP 200 with ok=false. */
Test(api, classes_of_injected_codes)
{
	static const struct {
		const char		*code;
		enum hub_slack_class	 cls;
	} tab[] = {
		{ "invalid_auth", HUB_SLACK_AUTH },
		{ "token_revoked", HUB_SLACK_AUTH },
		{ "account_inactive", HUB_SLACK_AUTH },
		{ "not_authed", HUB_SLACK_AUTH },
		{ "token_expired", HUB_SLACK_AUTH },
		{ "users_not_found", HUB_SLACK_NOT_FOUND_USER },
		{ "user_not_found", HUB_SLACK_NOT_FOUND_USER },
		{ "not_in_channel", HUB_SLACK_CHANNEL },
		{ "channel_not_found", HUB_SLACK_CHANNEL },
		{ "is_archived", HUB_SLACK_CHANNEL },
		{ "invalid_blocks", HUB_SLACK_INVALID },
		{ "invalid_arguments", HUB_SLACK_INVALID },
		{ "msg_too_long", HUB_SLACK_INVALID },
		{ "no_text", HUB_SLACK_INVALID },
		{ "invalid_something_new", HUB_SLACK_INVALID },
		{ "fatal_error", HUB_SLACK_TRANSIENT },
		{ "internal_error", HUB_SLACK_TRANSIENT },
		{ "service_unavailable", HUB_SLACK_TRANSIENT },
		{ "request_timeout", HUB_SLACK_TRANSIENT },
		{ "ratelimited", HUB_SLACK_RATELIMITED },
		{ "missing_scope", HUB_SLACK_OTHER },
		{ "something_else_entirely", HUB_SLACK_OTHER },
	};
	struct hub_slack_result res;
	size_t i;

	hub_slack_result_init(&res);
	for (i = 0; i < HUB_NELEM(tab); i++) {
		fake("/_fake/fail", "{\"method\":\"chat.postMessage\",\"error\":\"%s\"}", tab[i].code);
		cr_expect_eq(post(TOKEN1, "C1", TEXT, &res), tab[i].cls, "%s: class %s",
		    tab[i].code, hub_slack_class_name(res.cls));
		cr_expect_str_eq(res.error, tab[i].code);
		cr_expect_eq(res.status, 200);
		cr_expect_eq(hub_slack_classify(tab[i].code), tab[i].cls, "%s", tab[i].code);
	}
	hub_slack_result_free(&res);
}

Test(api, ratelimited_429_carries_retry_after)
{
	struct hub_slack_result res;

	hub_slack_result_init(&res);
	fake("/_fake/ratelimit", "{\"method\":\"chat.postMessage\",\"retry_after\":7}");
	cr_assert_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_RATELIMITED);
	cr_expect_eq(res.status, 429);
	cr_expect_eq(res.retry_after, 7);
	cr_expect_str_eq(res.error, "ratelimited");
	/* The next call goes through. */
	cr_expect_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_OK);
	hub_slack_result_free(&res);
}

Test(api, http_5xx_timeout_and_connect_are_transient)
{
	struct hub_slack_result res;
	double t0;
	int i;

	hub_slack_result_init(&res);
	fake("/_fake/fail", "{\"method\":\"chat.postMessage\",\"error\":\"internal_error\","
	    "\"http_status\":500}");
	cr_expect_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_TRANSIENT);
	cr_expect_eq(res.status, 500);
	cr_expect_str_eq(res.error, "internal_error");
	fake("/_fake/fail", "{\"method\":\"chat.postMessage\",\"error\":\"service_unavailable\","
	    "\"http_status\":503}");
	cr_expect_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_TRANSIENT);
	cr_expect_eq(res.status, 503);

	fake("/_fake/stall", "{\"method\":\"chat.postMessage\",\"seconds\":3}");
	slack.timeout_ms = 500;
	t0 = now_s();
	cr_expect_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_TRANSIENT);
	cr_expect_str_eq(res.error, "timeout");
	cr_expect_eq(res.status, 0);
	cr_expect(now_s() - t0 < 2.0, "the timeout held");
	/* The fake still posts the stalled message when its 3 s are over:
	 * wait for that here, or it lands in whichever test runs then. */
	for (i = 0; i < 100 && ncalls("chat.postMessage") < 3; i++)
		sleep_ms(50);
	cr_assert_eq(ncalls("chat.postMessage"), 3, "the stalled call never finished");

	slack.api_url = "http://127.0.0.1:1/api/";
	cr_expect_eq(post(TOKEN1, "C1", TEXT, &res), HUB_SLACK_TRANSIENT);
	cr_expect_str_eq(res.error, "connect");
	slack.api_url = api_url;
	hub_slack_result_free(&res);
}

Test(api, oauth_access_is_a_form_without_bearer)
{
	struct hub_slack_result res;
	json_object *a, *code;
	const char *c = NULL, *tok = NULL;
	char h[256];

	hub_slack_result_init(&res);
	code = th_fake("FAKE_SLACK_URL", "POST", "/_fake/oauth_code",
	    "{\"team_id\":\"T9\",\"team_name\":\"Nine\",\"bot_user_id\":\"UB9\"}");
	cr_assert_not_null(code);
	cr_assert_eq(hub_json_get_string(code, "code", 200, &c), HUB_JSON_OK);
	a = json_object_new_object();
	json_object_object_add(a, "code", json_object_new_string(c));
	json_object_object_add(a, "client_id", json_object_new_string("1111.2222"));
	json_object_object_add(a, "client_secret", json_object_new_string("fake-client-secret"));
	cr_assert_eq(hub_slack_call(&slack, "oauth.v2.access", NULL, a, &res), HUB_SLACK_OK,
	    "%s", res.error);
	cr_expect_eq(hub_json_get_string(res.resp, "access_token", 200, &tok), HUB_JSON_OK);
	cr_expect_str_eq(last_header("oauth.v2.access", "Authorization", h, sizeof(h)), "");
	/* Used code, wrong secret. */
	cr_expect_eq(hub_slack_call(&slack, "oauth.v2.access", NULL, a, &res), HUB_SLACK_OTHER);
	cr_expect_str_eq(res.error, "invalid_code");
	json_object_object_add(a, "client_secret", json_object_new_string("wrong"));
	cr_expect_eq(hub_slack_call(&slack, "oauth.v2.access", NULL, a, &res), HUB_SLACK_OTHER);
	cr_expect_str_eq(res.error, "bad_client_secret");
	cr_expect(strstr(hub_slack_fix(res.error), "SLACK_CLIENT_SECRET") != NULL);
	json_object_put(a);
	json_object_put(code);
	hub_slack_result_free(&res);
}

Test(api, fixes_name_the_remedy)
{
	cr_expect(strstr(hub_slack_fix("not_in_channel"), "/invite @") != NULL);
	cr_expect(strstr(hub_slack_fix("token_revoked"), "Reinstall the app") != NULL);
	cr_expect(strstr(hub_slack_fix("channel_not_found"), "channel id") != NULL);
	cr_expect(strstr(hub_slack_fix("invalid_blocks"), "bug") != NULL);
	cr_expect(strstr(hub_slack_fix("channel_is_archived"), "archived") != NULL);
	cr_expect(strstr(hub_slack_fix("no_service"), "webhook") != NULL);
	cr_expect_not_null(hub_slack_fix("never_heard_of_it"));
	cr_expect_not_null(hub_slack_fix(NULL));
}

/* ------------------------------------------------------------ webhooks */

TestSuite(webhook, .init = setup, .fini = teardown, .timeout = 60);

static int
hook(const char *path, json_object *body, struct hub_slack_result *res)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", th_env("FAKE_SLACK_URL"), path);
	return hub_slack_webhook_post(&slack, url, body, res);
}

Test(webhook, ok_and_every_error_status)
{
	static const struct {
		const char		*state;
		long			 status;
		const char		*error;
		enum hub_slack_class	 cls;
	} tab[] = {
		{ "archived", 410, "channel_is_archived", HUB_SLACK_CHANNEL },
		{ "channel_not_found", 404, "channel_not_found", HUB_SLACK_CHANNEL },
		{ "prohibited", 403, "action_prohibited", HUB_SLACK_CHANNEL },
		{ "revoked", 404, "no_service", HUB_SLACK_AUTH },
		{ "invalid_token", 403, "invalid_token", HUB_SLACK_AUTH },
	};
	struct hub_slack_result res;
	json_object *m = msg(NULL, TEXT), *arr, *empty;
	char path[128], ch[32];
	size_t i;

	hub_slack_result_init(&res);
	fresh_channel(ch, sizeof(ch));
	fake("/_fake/webhooks", "{\"path\":\"/services/T1/B1/okhook\",\"channel\":\"%s\"}", ch);
	cr_assert_eq(hook("/services/T1/B1/okhook", m, &res), HUB_SLACK_OK, "%s", res.error);
	cr_expect(res.ok);
	cr_expect_eq(res.status, 200);
	snprintf(path, sizeof(path), "/_fake/messages?channel=%s", ch);
	arr = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
	cr_assert(arr != NULL && json_object_array_length(arr) == 1);
	json_object_put(arr);

	for (i = 0; i < HUB_NELEM(tab); i++) {
		snprintf(path, sizeof(path), "/services/T1/B%zu/%s", i + 10, tab[i].state);
		fake("/_fake/webhooks", "{\"path\":\"%s\",\"channel\":\"C1\",\"state\":\"%s\"}",
		    path, tab[i].state);
		cr_expect_eq(hook(path, m, &res), tab[i].cls, "%s: %s", tab[i].state,
		    hub_slack_class_name(res.cls));
		cr_expect_eq(res.status, tab[i].status, "%s", tab[i].state);
		cr_expect_str_eq(res.error, tab[i].error);
	}
	/* unknown hook */
	cr_expect_eq(hook("/services/T1/B9/gone", m, &res), HUB_SLACK_AUTH);
	cr_expect_str_eq(res.error, "no_service");

	/* payload problems: our bug */
	empty = json_object_new_object();
	cr_expect_eq(hook("/services/T1/B1/okhook", empty, &res), HUB_SLACK_INVALID);
	cr_expect_eq(res.status, 400);
	cr_expect_str_eq(res.error, "no_text");
	json_object_put(empty);
	arr = json_object_new_array();
	cr_expect_eq(hook("/services/T1/B1/okhook", arr, &res), HUB_SLACK_INVALID);
	cr_expect_str_eq(res.error, "invalid_payload");
	json_object_put(arr);

	fake("/_fake/ratelimit", "{\"method\":\"webhook\",\"retry_after\":4}");
	cr_expect_eq(hook("/services/T1/B1/okhook", m, &res), HUB_SLACK_RATELIMITED);
	cr_expect_eq(res.status, 429);
	cr_expect_eq(res.retry_after, 4);

	fake("/_fake/fail", "{\"method\":\"webhook\",\"error\":\"rollup_error\"}");
	cr_expect_eq(hook("/services/T1/B1/okhook", m, &res), HUB_SLACK_TRANSIENT);
	cr_expect_eq(res.status, 500);

	fake("/_fake/stall", "{\"method\":\"webhook\",\"seconds\":3}");
	slack.timeout_ms = 400;
	cr_expect_eq(hook("/services/T1/B1/okhook", m, &res), HUB_SLACK_TRANSIENT);
	cr_expect_str_eq(res.error, "timeout");
	json_object_put(m);
	hub_slack_result_free(&res);
}

/* ------------------------------------------------------------ buckets */

TestSuite(ratelimit, .init = setup, .fini = teardown, .timeout = 60);

Test(ratelimit, burst_then_wait_then_refill)
{
	long w = -1;
	int i;

	for (i = 0; i < 3; i++) {
		cr_assert_eq(hub_ratelimit_acquire(db, "T1:test", 60, 3, &w), HUB_RATELIMIT_OK,
		    "token %d", i);
		cr_expect_eq(w, 0);
	}
	cr_assert_eq(hub_ratelimit_acquire(db, "T1:test", 60, 3, &w), HUB_RATELIMIT_WAIT);
	cr_expect(w > 0 && w <= 1000, "wait %ld", w);
	sleep_ms(w + 30);
	cr_expect_eq(hub_ratelimit_acquire(db, "T1:test", 60, 3, &w), HUB_RATELIMIT_OK);
	cr_expect_eq(hub_ratelimit_acquire(db, "T1:test", 60, 3, &w), HUB_RATELIMIT_WAIT);
	/* another key is another budget */
	cr_expect_eq(hub_ratelimit_acquire(db, "T1:other", 60, 3, &w), HUB_RATELIMIT_OK);
	cr_expect_str_eq(q1("SELECT count(*) FROM rate_buckets"), "2");

	/* cleanup: only buckets full again go */
	q1("UPDATE rate_buckets SET updated_at = now() - interval '4 seconds' "
	    "WHERE bucket = 'T1:other'");
	cr_expect_eq(hub_ratelimit_cleanup(db, &w), HUB_RATELIMIT_OK);
	cr_expect_eq(w, 1);
	cr_expect_str_eq(q1("SELECT string_agg(bucket, ',') FROM rate_buckets"), "T1:test");

	cr_expect_eq(hub_ratelimit_acquire(db, "", 60, 3, &w), HUB_RATELIMIT_INVALID);
	cr_expect_eq(hub_ratelimit_acquire(db, "k", 0, 3, &w), HUB_RATELIMIT_INVALID);
	cr_expect_eq(hub_ratelimit_acquire(db, "k", 60, 0, &w), HUB_RATELIMIT_INVALID);
}

Test(ratelimit, n_acquires_give_exactly_burst)
{
	long w;
	int i, granted = 0;

	long first = 0;

	for (i = 0; i < 20; i++) {
		granted += hub_ratelimit_acquire(db, "T1:n", 6, 5, &w) == HUB_RATELIMIT_OK;
		if (i == 5)
			first = w;
	}
	cr_expect_eq(granted, 5);
	/* 6/min: the next token is about 10 s away; each refused taker after
	 * the first gets its place in line one token (10 s) later. */
	cr_expect(first > 8000 && first <= 10000, "wait %ld", first);
	cr_expect(w - first > 14 * 10000 - 500 && w - first <= 14 * 10000 + 500,
	    "the 15th refusal waits %ld, the first %ld", w, first);
}

Test(ratelimit, penalize_blocks_until_retry_after)
{
	long w = 0;

	cr_assert_eq(hub_ratelimit_acquire(db, "T1:pen", 600, 10, &w), HUB_RATELIMIT_OK);
	cr_assert_eq(hub_ratelimit_penalize(db, "T1:pen", 2), HUB_RATELIMIT_OK);
	cr_assert_eq(hub_ratelimit_acquire(db, "T1:pen", 600, 10, &w), HUB_RATELIMIT_WAIT);
	cr_expect(w > 1500 && w <= 2000, "wait %ld", w);
	/* a shorter 429 later does not shorten the block */
	cr_assert_eq(hub_ratelimit_penalize(db, "T1:pen", 1), HUB_RATELIMIT_OK);
	cr_assert_eq(hub_ratelimit_acquire(db, "T1:pen", 600, 10, &w), HUB_RATELIMIT_WAIT);
	/* the second refused taker's place is one token (100 ms) after it */
	cr_expect(w > 1600, "wait %ld", w);
	sleep_ms(w - 100 + 20);
	/* one token at the end of the block, not a refilled burst */
	cr_expect_eq(hub_ratelimit_acquire(db, "T1:pen", 600, 10, &w), HUB_RATELIMIT_OK);
	cr_expect_eq(hub_ratelimit_acquire(db, "T1:pen", 600, 10, &w), HUB_RATELIMIT_WAIT);
	/* behind the two places handed out during the block */
	cr_expect(w <= 300, "wait %ld", w);
	/* a blocked bucket survives cleanup */
	cr_expect_eq(hub_ratelimit_cleanup(db, &w), HUB_RATELIMIT_OK);
	cr_expect_str_eq(q1("SELECT count(*) FROM rate_buckets WHERE bucket = 'T1:pen'"), "1");
	/* penalize creates an unknown bucket */
	cr_assert_eq(hub_ratelimit_penalize(db, "T1:new", 3), HUB_RATELIMIT_OK);
	cr_expect_eq(hub_ratelimit_acquire(db, "T1:new", 60, 3, &w), HUB_RATELIMIT_WAIT);
	cr_expect(w > 2000 && w <= 3000, "wait %ld", w);
}

/* Several processes, each with its own connection, hammer one bucket: the
 * grants over the window never exceed burst + rate * window.  They start
 * together once all are connected: on a busy machine connecting alone can
 * take longer than the window. */
Test(ratelimit, processes_share_one_budget)
{
	enum { PROCS = 4, RATE = 600, BURST = 10 };
	const double window = 2.0, starve_s = 15.0;
	int fds[PROCS][2], ready[2], go[2], i, total = 0, st;
	pid_t pid[PROCS];
	double t0, t1;
	char c;

	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(go), 0);
	for (i = 0; i < PROCS; i++) {
		cr_assert_eq(pipe(fds[i]), 0);
		pid[i] = fork();
		cr_assert(pid[i] >= 0);
		if (pid[i] == 0) {
			struct hub_db *mine = NULL;
			int got = 0;
			long w;
			double start;

			close(fds[i][0]);
			close(ready[0]);
			close(go[1]);
			/* never touch the parent's connection */
			if (hub_db_connect_limits(dburl, NULL, &mine) != HUB_DB_OK)
				_exit(3);
			/* connected: wait for the others (EOF on go is the start) */
			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 0)
				_exit(6);
			start = now_s();
			/*
			 * Ask for the whole window, and on until this process has
			 * had one grant: which process wins a refilled token is the
			 * scheduler's choice, and on two busy cores one of four
			 * can lose every race of a 2 s window.  Starving for
			 * starve_s is still a failure below.
			 */
			while (now_s() - start < window ||
			    (got == 0 && now_s() - start < starve_s)) {
				int rc = hub_ratelimit_acquire(mine, "T1:shared", RATE, BURST, &w);

				if (rc == HUB_RATELIMIT_OK)
					got++;
				else if (rc == HUB_RATELIMIT_WAIT)
					sleep_ms(w < 3 ? w : 3);
				else
					_exit(4);
			}
			if (write(fds[i][1], &got, sizeof(got)) != (ssize_t)sizeof(got))
				_exit(5);
			hub_db_close(mine);
			_exit(0);
		}
		close(fds[i][1]);
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < PROCS; i++)
		cr_assert_eq(read(ready[0], &c, 1), 1, "a child could not connect");
	close(ready[0]);
	t0 = now_s();
	close(go[1]);
	for (i = 0; i < PROCS; i++) {
		int got = 0;

		cr_assert_eq(read(fds[i][0], &got, sizeof(got)), (ssize_t)sizeof(got));
		close(fds[i][0]);
		cr_assert_eq(waitpid(pid[i], &st, 0), pid[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: %d", i, st);
		cr_expect(got > 0, "child %d got nothing in %.0f s", i, starve_s);
		total += got;
	}
	t1 = now_s();
	/* Grants happen inside [t0, t1]: burst + 10/s over it, +1 in flight. */
	cr_expect(total <= BURST + (int)((t1 - t0) * RATE / 60) + 1,
	    "%d grants in %.2f s", total, t1 - t0);
	/* ... and the budget is actually used. */
	cr_expect(total >= BURST + (int)(window * RATE / 60 / 2), "%d grants", total);
}

Test(ratelimit, method_buckets_and_workspace_cap)
{
	struct hub_ratelimit_bucket b[4];
	size_t n;

	n = hub_slack_method_bucket("chat.postMessage", "T1", "C1", 0, b, HUB_NELEM(b));
	cr_assert_eq(n, 2);
	cr_expect_str_eq(b[0].key, "T1:chat.postMessage:C1");
	cr_expect_eq(b[0].per_minute, 60);
	cr_expect_str_eq(b[1].key, "T1:chat.postMessage");
	cr_expect_eq(b[1].per_minute, HUB_RATELIMIT_WORKSPACE_CAP);
	n = hub_slack_method_bucket("chat.update", "T1", NULL, 0, b, HUB_NELEM(b));
	cr_assert_eq(n, 1);
	cr_expect_str_eq(b[0].key, "T1:chat.update");
	cr_expect_eq(b[0].per_minute, 50);
	n = hub_slack_method_bucket("users.lookupByEmail", "T1", NULL, 0, b, HUB_NELEM(b));
	cr_expect_eq(b[0].per_minute, 50);
	n = hub_slack_method_bucket("views.publish", "T1", NULL, 0, b, HUB_NELEM(b));
	cr_expect_eq(b[0].per_minute, 100);
	n = hub_slack_method_bucket("some.tier2", "T1", NULL, 0, b, HUB_NELEM(b));
	cr_expect_eq(b[0].per_minute, 20);
	cr_expect_eq(hub_slack_method_bucket("oauth.v2.access", "T1", NULL, 0, b, 4), 0);
	hub_slack_webhook_bucket("abc", &b[0]);
	cr_expect_str_eq(b[0].key, "webhook:abc");
	cr_expect_eq(b[0].per_minute, 60);
	cr_expect_eq(b[0].burst, 1);

	cr_expect_eq(hub_ratelimit_workspace_cap(db), HUB_RATELIMIT_WORKSPACE_CAP);
	q1("INSERT INTO settings (key, value) VALUES ('slack.workspace_cap_per_minute', '120')");
	cr_expect_eq(hub_ratelimit_workspace_cap(db), 120);
	q1("UPDATE settings SET value = '\"lots\"' WHERE key = 'slack.workspace_cap_per_minute'");
	cr_expect_eq(hub_ratelimit_workspace_cap(db), HUB_RATELIMIT_WORKSPACE_CAP);
}

/* A 429 blocks the buckets: the next call waits without reaching Slack. */
Test(ratelimit, call_limited_obeys_429)
{
	struct hub_slack_result res;
	json_object *m = msg("C1", TEXT);

	hub_slack_result_init(&res);
	cr_assert_eq(hub_slack_call_limited(db, &slack, "T1", "chat.postMessage", "C1", TOKEN1, m,
	    &res), HUB_SLACK_OK, "%s", res.error);
	fake("/_fake/ratelimit", "{\"method\":\"chat.postMessage\",\"retry_after\":3}");
	cr_assert_eq(hub_slack_call_limited(db, &slack, "T1", "chat.postMessage", "C1", TOKEN1, m,
	    &res), HUB_SLACK_RATELIMITED);
	cr_expect_eq(res.retry_after, 3);
	cr_expect_eq(ncalls("chat.postMessage"), 2);
	cr_assert_eq(hub_slack_call_limited(db, &slack, "T1", "chat.postMessage", "C1", TOKEN1, m,
	    &res), HUB_SLACK_RATELIMITED);
	cr_expect_str_eq(res.error, "local_ratelimit");
	cr_expect(res.wait_ms > 2000 && res.wait_ms <= 3000, "wait %ld", res.wait_ms);
	cr_expect_eq(ncalls("chat.postMessage"), 2, "no call reached Slack");
	/* the whole workspace waits too (which bucket Slack counted is unknown) */
	cr_expect_eq(hub_slack_call_limited(db, &slack, "T1", "chat.postMessage", "C9", TOKEN1, m,
	    &res), HUB_SLACK_RATELIMITED);
	/* another workspace does not */
	cr_expect_eq(hub_slack_call_limited(db, &slack, "T2", "chat.postMessage", "C1", TOKEN2, m,
	    &res), HUB_SLACK_OK, "%s", res.error);
	/* per channel: 3 at once, then wait */
	cr_expect_eq(hub_slack_call_limited(db, &slack, "T2", "chat.postMessage", "C1", TOKEN2, m,
	    &res), HUB_SLACK_OK);
	cr_expect_eq(hub_slack_call_limited(db, &slack, "T2", "chat.postMessage", "C1", TOKEN2, m,
	    &res), HUB_SLACK_OK);
	cr_expect_eq(hub_slack_call_limited(db, &slack, "T2", "chat.postMessage", "C1", TOKEN2, m,
	    &res), HUB_SLACK_RATELIMITED);
	cr_expect_str_eq(res.error, "local_ratelimit");
	json_object_put(m);
	hub_slack_result_free(&res);
}

/* ------------------------------------------------------------ connections */

TestSuite(conn, .init = setup, .fini = teardown, .timeout = 60);

static int
add(const char *name, enum hub_conn_type type, const char *token, const char *url,
    const char *channel, int is_default, struct hub_conn *out, struct hub_buf *fix)
{
	struct hub_conn_spec spec = { name, type, token, url, channel, is_default };
	struct hub_slack_result res;
	struct hub_conn tmp;
	int rc;

	hub_slack_result_init(&res);
	rc = hub_connections_add(db, &slack, &spec, out ? out : &tmp, &res, fix);
	hub_slack_result_free(&res);
	return rc;
}

static char hook_url[512];

static const char *
webhook(const char *path, const char *channel)
{
	fake("/_fake/webhooks", "{\"path\":\"%s\",\"channel\":\"%s\"}", path, channel);
	snprintf(hook_url, sizeof(hook_url), "%s%s", th_env("FAKE_SLACK_URL"), path);
	return hook_url;
}

Test(conn, add_seals_secrets_and_learns_the_team)
{
	struct hub_conn c, g;
	struct hub_buf open = HUB_BUF_INIT(1024);
	const char *url;

	cr_assert_eq(add("app", HUB_CONN_SLACK_APP, TOKEN1, NULL, "C1", 0, &c, NULL), HUB_CONN_OK);
	cr_expect_str_eq(c.team_id, "T1");
	cr_expect_str_eq(c.team_name, "Team One");
	cr_expect_str_eq(c.bot_user_id, "UB1");
	cr_expect_str_eq(c.default_channel, "C1");
	cr_expect(c.is_default, "the first connection becomes the default");
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections "
	    "WHERE row_to_json(slack_connections)::text LIKE '%%%s%%'", TOKEN1), "0");
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections "
	    "WHERE row_to_json(slack_connections)::text LIKE '%%111-test%%'"), "0");
	cr_expect_str_eq(q1("SELECT left(bot_token_enc, 3) FROM slack_connections"), "v1.");

	url = webhook("/services/T1/B1/supersecretpart", "C1");
	cr_assert_eq(add("hook", HUB_CONN_INCOMING_WEBHOOK, NULL, url, NULL, 0, &c, NULL),
	    HUB_CONN_OK);
	cr_expect_str_eq(c.team_id, "T1", "from the webhook's path");
	cr_expect(!c.is_default);
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections "
	    "WHERE row_to_json(slack_connections)::text LIKE '%%supersecretpart%%'"), "0");

	cr_assert_eq(hub_connections_get(db, "hook", &g), HUB_CONN_OK);
	cr_assert_eq(hub_connections_open_webhook(&slack, &g, &open), HUB_CONN_OK);
	cr_expect_str_eq(hub_buf_str(&open), url);
	hub_buf_reset(&open);
	cr_expect_eq(hub_connections_open_token(&slack, &g, &open), HUB_CONN_INVALID);
	cr_assert_eq(hub_connections_get(db, c.id, &g), HUB_CONN_OK, "by id");
	cr_expect_str_eq(g.name, "hook");

	cr_assert_eq(add("lookup", HUB_CONN_INCOMING_WEBHOOK_LOOKUP, TOKEN2,
	    webhook("/services/T2/B2/other", "C1"), NULL, 0, &c, NULL), HUB_CONN_OK);
	cr_expect_str_eq(c.team_id, "T2");
	cr_assert_eq(hub_connections_get(db, "lookup", &g), HUB_CONN_OK);
	hub_buf_reset(&open);
	cr_assert_eq(hub_connections_open_token(&slack, &g, &open), HUB_CONN_OK);
	cr_expect_str_eq(hub_buf_str(&open), TOKEN2);
	hub_buf_release(&open);
}

Test(conn, add_refuses_bad_input)
{
	struct hub_buf fix = HUB_BUF_INIT(1024);
	const char *url = webhook("/services/T1/B1/x", "C1");

	cr_expect_eq(add("", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, NULL, NULL, NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, url, NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_INCOMING_WEBHOOK, TOKEN1, url, NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_INCOMING_WEBHOOK_LOOKUP, NULL, url, NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_INCOMING_WEBHOOK, NULL, "ftp://x/y", NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, "not-a-token", NULL, NULL, 0, NULL, &fix),
	    HUB_CONN_INVALID);
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, "#general", 0, NULL, &fix),
	    HUB_CONN_INVALID);
	/* Slack says no */
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, "xoxb-unknown", NULL, NULL, 0, NULL, &fix),
	    HUB_CONN_SLACK);
	cr_expect(strstr(hub_buf_str(&fix), "invalid_auth") != NULL, "%s", hub_buf_str(&fix));
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections"), "0");
	/* a name once */
	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, NULL, &fix), HUB_CONN_OK);
	cr_expect_eq(add("a", HUB_CONN_INCOMING_WEBHOOK, NULL, url, NULL, 0, NULL, &fix),
	    HUB_CONN_EXISTS);
	hub_buf_release(&fix);
}

Test(conn, channel_is_checked_on_add_with_the_fix)
{
	struct hub_buf fix = HUB_BUF_INIT(1024);
	struct hub_slack_result res;
	struct hub_conn c;

	hub_slack_result_init(&res);
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, "C2", 0, NULL, &fix),
	    HUB_CONN_SLACK);
	cr_expect(strstr(hub_buf_str(&fix), "/invite @hubbot") != NULL, "%s", hub_buf_str(&fix));
	cr_expect(strstr(hub_buf_str(&fix), "#secret") != NULL, "%s", hub_buf_str(&fix));
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, "C404", 0, NULL, &fix),
	    HUB_CONN_SLACK);
	cr_expect(strstr(hub_buf_str(&fix), "check the channel id") != NULL, "%s",
	    hub_buf_str(&fix));
	cr_expect_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, "C3", 0, NULL, &fix),
	    HUB_CONN_SLACK);
	cr_expect(strstr(hub_buf_str(&fix), "archived") != NULL, "%s", hub_buf_str(&fix));
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections"), "0");

	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, &c, &fix), HUB_CONN_OK);
	cr_expect_eq(hub_connections_check_channel(db, &slack, &c, "C1", &res, &fix), HUB_CONN_OK);
	cr_expect_eq(hub_connections_check_channel(db, &slack, &c, "C2", &res, &fix),
	    HUB_CONN_SLACK);
	cr_expect(strstr(hub_buf_str(&fix), "invite the bot with /invite @hubbot") != NULL, "%s",
	    hub_buf_str(&fix));
	cr_expect_eq(hub_connections_check_channel(db, &slack, &c, "C404", &res, &fix),
	    HUB_CONN_SLACK);
	cr_expect_str_eq(res.error, "channel_not_found");
	cr_expect(strstr(hub_buf_str(&fix), "check the channel id") != NULL);
	hub_slack_result_free(&res);
	hub_buf_release(&fix);
}

Test(conn, exactly_one_default)
{
	struct hub_conn c;

	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, NULL, NULL), HUB_CONN_OK);
	cr_assert_eq(add("b", HUB_CONN_SLACK_APP, TOKEN2, NULL, NULL, 0, NULL, NULL), HUB_CONN_OK);
	cr_expect_str_eq(q1("SELECT name FROM slack_connections WHERE is_default"), "a");
	cr_assert_eq(add("c", HUB_CONN_SLACK_APP, TOKEN2, NULL, NULL, 1, NULL, NULL), HUB_CONN_OK);
	cr_expect_str_eq(q1("SELECT string_agg(name, ',') FROM slack_connections WHERE is_default"),
	    "c");
	cr_assert_eq(hub_connections_set_default(db, "b"), HUB_CONN_OK);
	cr_expect_str_eq(q1("SELECT string_agg(name, ',') FROM slack_connections WHERE is_default"),
	    "b");
	cr_assert_eq(hub_connections_set_default(db, "b"), HUB_CONN_OK, "again: no change");
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections WHERE is_default"), "1");
	cr_expect_eq(hub_connections_set_default(db, "nope"), HUB_CONN_NOTFOUND);
	cr_expect_str_eq(q1("SELECT name FROM slack_connections WHERE is_default"), "b");
	cr_assert_eq(hub_connections_get_default(db, &c), HUB_CONN_OK);
	cr_expect_str_eq(c.name, "b");
}

Test(conn, disable_raises_the_banner_and_enable_clears_it)
{
	struct hub_conn c;
	struct hub_slack_result res;
	json_object *m = msg("C1", TEXT);

	hub_slack_result_init(&res);
	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, NULL, NULL), HUB_CONN_OK);
	cr_assert_eq(hub_connections_disable(db, "a", "key rotated"), HUB_CONN_OK);
	cr_assert_eq(hub_connections_get(db, "a", &c), HUB_CONN_OK);
	cr_expect(c.disabled && c.needs_admin_attention);
	cr_expect_str_eq(c.disabled_reason, "key rotated");
	cr_expect_str_eq(q1("SELECT disabled_at IS NOT NULL FROM slack_connections"), "t");
	cr_expect_eq(hub_connections_call(db, &slack, &c, "chat.postMessage", "C1", m, &res),
	    HUB_CONN_DISABLED);
	cr_expect_eq(ncalls("chat.postMessage"), 0);
	cr_assert_eq(hub_connections_enable(db, "a"), HUB_CONN_OK);
	cr_assert_eq(hub_connections_get(db, "a", &c), HUB_CONN_OK);
	cr_expect(!c.disabled && !c.needs_admin_attention && c.disabled_reason[0] == '\0');
	cr_expect_eq(hub_connections_call(db, &slack, &c, "chat.postMessage", "C1", m, &res),
	    HUB_CONN_OK, "%s", res.error);
	cr_expect_eq(hub_connections_disable(db, "nope", NULL), HUB_CONN_NOTFOUND);
	json_object_put(m);
	hub_slack_result_free(&res);
}

Test(conn, revoked_token_disables_the_connection)
{
	struct hub_conn c;
	struct hub_slack_result res;
	json_object *m = msg("C1", TEXT);

	hub_slack_result_init(&res);
	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN2, NULL, NULL, 0, &c, NULL), HUB_CONN_OK);
	fake("/_fake/revoke", "{\"token\":\"%s\"}", TOKEN2);
	cr_expect_eq(hub_connections_call(db, &slack, &c, "chat.postMessage", "C1", m, &res),
	    HUB_CONN_SLACK);
	cr_expect_eq(res.cls, HUB_SLACK_AUTH);
	cr_assert_eq(hub_connections_get(db, "a", &c), HUB_CONN_OK);
	cr_expect(c.disabled && c.needs_admin_attention);
	cr_expect(strstr(c.disabled_reason, "token_revoked") != NULL, "%s", c.disabled_reason);
	cr_expect(strstr(c.disabled_reason, "Reinstall") != NULL, "%s", c.disabled_reason);
	json_object_put(m);
	hub_slack_result_free(&res);
}

Test(conn, webhook_post_through_the_connection)
{
	struct hub_conn c;
	struct hub_slack_result res;
	json_object *m = msg(NULL, TEXT);
	long w;

	hub_slack_result_init(&res);
	cr_assert_eq(add("h", HUB_CONN_INCOMING_WEBHOOK, NULL,
	    webhook("/services/T1/B1/abc", "C1"), NULL, 0, &c, NULL), HUB_CONN_OK);
	cr_expect_eq(hub_connections_webhook_post(db, &slack, &c, m, &res), HUB_CONN_OK, "%s",
	    res.error);
	/* 1/s per webhook, no burst */
	cr_expect_eq(hub_connections_webhook_post(db, &slack, &c, m, &res), HUB_CONN_SLACK);
	cr_expect_eq(res.cls, HUB_SLACK_RATELIMITED);
	cr_expect(res.wait_ms > 0 && res.wait_ms <= 1000);
	cr_expect_eq(ncalls("webhook"), 1);
	/* a removed webhook disables the connection */
	fake("/_fake/webhooks", "{\"path\":\"/services/T1/B1/abc\",\"channel\":\"C1\","
	    "\"state\":\"revoked\"}");
	sleep_ms(res.wait_ms + 20);
	cr_expect_eq(hub_connections_webhook_post(db, &slack, &c, m, &res), HUB_CONN_SLACK);
	cr_expect_eq(res.cls, HUB_SLACK_AUTH);
	cr_assert_eq(hub_connections_get(db, "h", &c), HUB_CONN_OK);
	cr_expect(c.disabled && c.needs_admin_attention);
	(void)w;
	json_object_put(m);
	hub_slack_result_free(&res);
}

Test(conn, bootstrap_from_env_is_idempotent)
{
	struct hub_conf conf;
	struct hub_slack_result res;
	struct hub_buf tok = HUB_BUF_INIT(1024);
	struct hub_conn c;
	char t1[] = TOKEN1, t2[] = TOKEN2;

	hub_slack_result_init(&res);
	memset(&conf, 0, sizeof(conf));
	cr_expect_eq(hub_connections_bootstrap_env(db, &slack, &conf, &res), HUB_CONN_OK);
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections"), "0");

	conf.slack_bot_token = t1;
	cr_assert_eq(hub_connections_bootstrap_env(db, &slack, &conf, &res), HUB_CONN_OK);
	cr_assert_eq(hub_connections_get(db, "default", &c), HUB_CONN_OK);
	cr_expect_eq(c.type, HUB_CONN_SLACK_APP);
	cr_expect_str_eq(c.team_id, "T1");
	cr_expect(c.is_default);
	cr_expect_eq(ncalls("auth.test"), 1);
	cr_assert_eq(hub_connections_bootstrap_env(db, &slack, &conf, &res), HUB_CONN_OK);
	cr_assert_eq(hub_connections_bootstrap_env(db, &slack, &conf, &res), HUB_CONN_OK);
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections"), "1");
	cr_expect_eq(ncalls("auth.test"), 1, "an unchanged token is not checked again");

	/* a new token in the environment replaces the stored one */
	conf.slack_bot_token = t2;
	cr_assert_eq(hub_connections_bootstrap_env(db, &slack, &conf, &res), HUB_CONN_OK);
	cr_assert_eq(hub_connections_get(db, "default", &c), HUB_CONN_OK);
	cr_expect_str_eq(c.team_id, "T2");
	cr_assert_eq(hub_connections_open_token(&slack, &c, &tok), HUB_CONN_OK);
	cr_expect_str_eq(hub_buf_str(&tok), TOKEN2);
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections"), "1");
	hub_buf_release(&tok);
	hub_slack_result_free(&res);
}

Test(conn, bootstrap_keeps_an_admins_default)
{
	struct hub_conf conf;
	struct hub_slack_result res;
	struct hub_conn c;
	char t1[] = TOKEN1;

	hub_slack_result_init(&res);
	cr_assert_eq(add("mine", HUB_CONN_SLACK_APP, TOKEN2, NULL, NULL, 1, NULL, NULL),
	    HUB_CONN_OK);
	memset(&conf, 0, sizeof(conf));
	conf.slack_bot_token = t1;
	cr_assert_eq(hub_connections_bootstrap_env(db, &slack, &conf, &res), HUB_CONN_OK);
	cr_assert_eq(hub_connections_get(db, "default", &c), HUB_CONN_OK);
	cr_expect(!c.is_default);
	cr_expect_str_eq(q1("SELECT name FROM slack_connections WHERE is_default"), "mine");
	hub_slack_result_free(&res);
}

/* Lines of file holding both needles (needle2 may be NULL). */
static int
count_lines(const char *file, const char *needle, const char *needle2)
{
	char line[4096];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL && (needle2 == NULL || strstr(line, needle2) != NULL))
			n++;
	fclose(f);
	return n;
}

/*
 * The single-workspace setup as an admin runs it: SLACK_BOT_TOKEN in the
 * worker's environment.  Slack answers 503 twice at first; the worker
 * keeps running its other jobs, logs each failure with the next try, and
 * makes the token the default connection once Slack answers.
 */
Test(conn, slack_bot_token_becomes_the_default_through_the_worker)
{
	static const char *const env[] = { "SLACK_BOT_TOKEN=" TOKEN1, "LOG_LEVEL=info", NULL };
	static const char *const args[] = { "--sweep-seconds", "0", NULL };
	char log[1024], cb[512];
	json_object *body;
	pid_t pid;
	int i, st;

	fake("/_fake/fail", "{\"method\":\"auth.test\",\"error\":\"service_unavailable\","
	    "\"http_status\":503,\"count\":2}");
	snprintf(cb, sizeof(cb), "%s/cb/bootstrap-%ld", th_env("FAKE_CALLBACK_URL"), (long)getpid());
	body = json_object_new_object();
	th_callback_queue(db, cb, body, th_env("HUB_TEST_CALLBACK_SECRET"));
	json_object_put(body);
	snprintf(log, sizeof(log), "%s/log/slackapi-bootstrap-%ld.log", th_env("HUB_STATE"),
	    (long)getpid());
	unlink(log);
	pid = th_worker_start(dburl, log, env, args);
	/* Other jobs run while Slack does not answer. */
	for (i = 0; i < 50 && strcmp(q1("SELECT state FROM jobs WHERE kind = 'http_post'"),
	    "done") != 0; i++)
		sleep_ms(100);
	cr_expect_str_eq(q1("SELECT state FROM jobs WHERE kind = 'http_post'"), "done");
	cr_expect_str_eq(q1("SELECT count(*) FROM slack_connections"), "0",
	    "the connection exists before Slack answered");
	/* Tries after 1 s and 2 s; the third call succeeds. */
	for (i = 0; i < 150 && strcmp(q1("SELECT count(*) FROM slack_connections"), "1") != 0;
	    i++)
		sleep_ms(100);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	cr_assert_str_eq(q1("SELECT name || ' ' || type || ' ' || team_id || ' ' || is_default"
	    " FROM slack_connections"), "default SLACK_APP T1 true", "see %s", log);
	cr_expect_eq(ncalls("auth.test"), 3);
	cr_expect_eq(count_lines(log, "event=env_connection_failed", "retry_in=1s"), 1,
	    "see %s", log);
	cr_expect_eq(count_lines(log, "event=env_connection_failed", "retry_in=2s"), 1,
	    "see %s", log);
	cr_expect_eq(count_lines(log, "event=env_connection_failed", NULL), 2, "see %s", log);
	cr_expect_eq(count_lines(log, "event=env_connection_ready", NULL), 1, "see %s", log);
	cr_expect_eq(count_lines(log, TOKEN1, NULL), 0, "the token was logged");
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

Test(conn, lookup_cache_hit_miss_negative_drop)
{
	struct hub_slack_result res;
	struct hub_conn c, h;
	char id[HUB_SLACK_ID_LEN];

	hub_slack_result_init(&res);
	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, &c, NULL), HUB_CONN_OK);
	cr_assert_eq(hub_slack_lookup_email(db, &slack, &c, "alice@example.com", id, &res),
	    HUB_CONN_OK, "%s", res.error);
	cr_expect_str_eq(id, "U1");
	cr_expect_eq(ncalls("users.lookupByEmail"), 1);
	cr_assert_eq(hub_slack_lookup_email(db, &slack, &c, "ALICE@example.COM", id, NULL),
	    HUB_CONN_OK);
	cr_expect_str_eq(id, "U1");
	cr_expect_eq(ncalls("users.lookupByEmail"), 1, "hit, any case");
	cr_expect_str_eq(q1("SELECT round(extract(epoch FROM expires_at - fetched_at)) "
	    "FROM slack_user_cache WHERE email = 'alice@example.com'"), "86400");

	cr_expect_eq(hub_slack_lookup_email(db, &slack, &c, "ghost@example.com", id, &res),
	    HUB_CONN_NOTFOUND);
	cr_expect_eq(ncalls("users.lookupByEmail"), 2);
	cr_expect_eq(hub_slack_lookup_email(db, &slack, &c, "ghost@example.com", id, &res),
	    HUB_CONN_NOTFOUND);
	cr_expect_eq(ncalls("users.lookupByEmail"), 2, "negative hit");
	cr_expect_str_eq(q1("SELECT round(extract(epoch FROM expires_at - fetched_at)) "
	    "FROM slack_user_cache WHERE email = 'ghost@example.com'"), "3600");

	/* the ghost joins; the negative entry expires after an hour */
	fake("/_fake/users", "{\"id\":\"U7\",\"email\":\"ghost@example.com\"}");
	q1("UPDATE slack_user_cache SET expires_at = now() - interval '1 second' "
	    "WHERE email = 'ghost@example.com'");
	cr_expect_eq(hub_slack_lookup_email(db, &slack, &c, "ghost@example.com", id, &res),
	    HUB_CONN_OK);
	cr_expect_str_eq(id, "U7");
	cr_expect_eq(ncalls("users.lookupByEmail"), 3);

	/* a send said users_not_found: drop, look again */
	cr_assert_eq(hub_slack_cache_drop(db, &c, "Alice@Example.com"), HUB_CONN_OK);
	cr_expect_eq(hub_slack_lookup_email(db, &slack, &c, "alice@example.com", id, &res),
	    HUB_CONN_OK);
	cr_expect_eq(ncalls("users.lookupByEmail"), 4);

	/* the cache is per connection */
	cr_assert_eq(add("b", HUB_CONN_SLACK_APP, TOKEN2, NULL, NULL, 0, &h, NULL), HUB_CONN_OK);
	cr_expect_eq(hub_slack_lookup_email(db, &slack, &h, "alice@example.com", id, &res),
	    HUB_CONN_OK);
	cr_expect_eq(ncalls("users.lookupByEmail"), 5);

	/* a plain webhook has no token to look with; bad emails are refused */
	cr_assert_eq(add("w", HUB_CONN_INCOMING_WEBHOOK, NULL, webhook("/services/T1/B5/z", "C1"),
	    NULL, 0, &h, NULL), HUB_CONN_OK);
	cr_expect_eq(hub_slack_lookup_email(db, &slack, &h, "alice@example.com", id, &res),
	    HUB_CONN_INVALID);
	cr_expect_eq(hub_slack_lookup_email(db, &slack, &c, "not-an-email", id, &res),
	    HUB_CONN_INVALID);
	cr_expect_eq(ncalls("users.lookupByEmail"), 5);
	hub_slack_result_free(&res);
}

Test(conn, lookup_respects_the_tier3_bucket)
{
	struct hub_slack_result res;
	struct hub_conn c;
	char id[HUB_SLACK_ID_LEN], email[64];
	int i, limited = 0;

	hub_slack_result_init(&res);
	cr_assert_eq(add("a", HUB_CONN_SLACK_APP, TOKEN1, NULL, NULL, 0, &c, NULL), HUB_CONN_OK);
	for (i = 0; i < 8; i++) {
		snprintf(email, sizeof(email), "nobody%d@example.com", i);
		if (hub_slack_lookup_email(db, &slack, &c, email, id, &res) == HUB_CONN_SLACK &&
		    res.cls == HUB_SLACK_RATELIMITED && res.wait_ms > 0)
			limited++;
	}
	cr_expect_eq(ncalls("users.lookupByEmail"), 5, "Tier 3 burst");
	cr_expect_eq(limited, 3);
	hub_slack_result_free(&res);
}

/* ------------------------------------------------------------ CLI */

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 90);

/* Run approvalhub with args against the test database; stdin_text (may be
 * NULL) on its standard input; stdout+stderr into out.  Exit status. */
static int
cli(struct hub_buf *out, const char *stdin_text, const char *args)
{
	char in[256], line[1024];
	struct hub_buf cmd = HUB_BUF_INIT(8192);
	FILE *f;
	int st;

	snprintf(in, sizeof(in), "%s/t/tmp/slackapi_stdin_%ld", th_env("top_builddir"),
	    (long)getpid());
	f = fopen(in, "w");
	cr_assert_not_null(f);
	if (stdin_text != NULL)
		fputs(stdin_text, f);
	fclose(f);
	hub_buf_printf(&cmd, "DATABASE_URL='%s' '%s/bin/approvalhub' %s <'%s' 2>&1", dburl,
	    th_env("top_builddir"), args, in);
	f = popen(cmd.data, "r");
	cr_assert_not_null(f);
	hub_buf_reset(out);
	while (fgets(line, sizeof(line), f) != NULL)
		hub_buf_adds(out, line);
	st = pclose(f);
	unlink(in);
	hub_buf_release(&cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli, connection_commands)
{
	struct hub_buf out = HUB_BUF_INIT(65536);
	json_object *msgs;
	const char *url;
	char args[1024], cmd[256], ch[32];
	int rc;

	/* Its own channel: the count of test messages below is this test's. */
	fresh_channel(ch, sizeof(ch));
	snprintf(cmd, sizeof(cmd), "connection add app --type SLACK_APP --token-stdin "
	    "--channel %s --default", ch);
	rc = cli(&out, TOKEN1 "\n", cmd);
	cr_assert_eq(rc, 0, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "connection app added") != NULL, "%s", out.data);
	cr_expect(strstr(hub_buf_str(&out), TOKEN1) == NULL);

	rc = cli(&out, NULL, "connection add app2 --type SLACK_APP --token " TOKEN1
	    " --channel C2");
	cr_expect_eq(rc, 1, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "/invite @hubbot") != NULL, "%s", hub_buf_str(&out));
	rc = cli(&out, NULL, "connection add app2 --type SLACK_APP --token xoxb-nope");
	cr_expect_eq(rc, 1);
	cr_expect(strstr(hub_buf_str(&out), "invalid_auth") != NULL, "%s", hub_buf_str(&out));
	rc = cli(&out, NULL, "connection add app2 --type WHATEVER");
	cr_expect_eq(rc, 2);

	url = webhook("/services/T1/B1/clisecretpart", ch);
	snprintf(args, sizeof(args), "%s\n", url);
	rc = cli(&out, args, "connection add hook --type INCOMING_WEBHOOK --webhook-url-stdin");
	cr_assert_eq(rc, 0, "%s", hub_buf_str(&out));

	url = webhook("/services/T2/B2/lookuphook", ch);
	snprintf(args, sizeof(args), "%s\n", url);
	rc = cli(&out, args, "connection add lk --type INCOMING_WEBHOOK_LOOKUP --token " TOKEN2
	    " --webhook-url-stdin");
	cr_assert_eq(rc, 0, "%s", hub_buf_str(&out));
	rc = cli(&out, NULL, "connection test lk");
	cr_expect_eq(rc, 0, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "lookup token is valid") != NULL, "%s",
	    hub_buf_str(&out));

	rc = cli(&out, NULL, "connection list");
	cr_assert_eq(rc, 0, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "SLACK_APP") != NULL);
	cr_expect(strstr(hub_buf_str(&out), "INCOMING_WEBHOOK") != NULL);
	cr_expect(strstr(hub_buf_str(&out), "Team One (T1)") != NULL, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "clisecretpart") == NULL);
	cr_expect(strstr(hub_buf_str(&out), "xoxb-") == NULL);
	cr_expect(strstr(hub_buf_str(&out), "v1.") == NULL, "no sealed text either");

	rc = cli(&out, NULL, "connection test app");
	cr_expect_eq(rc, 0, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "ok:") != NULL);
	rc = cli(&out, NULL, "connection test hook");
	cr_expect_eq(rc, 0, "%s", hub_buf_str(&out));
	snprintf(args, sizeof(args), "/_fake/messages?channel=%s", ch);
	msgs = th_fake("FAKE_SLACK_URL", "GET", args, NULL);
	cr_assert_not_null(msgs);
	cr_expect_eq(json_object_array_length(msgs), 3);
	cr_expect(strstr(json_object_to_json_string(msgs), "Approval hub connection test") != NULL);
	json_object_put(msgs);

	rc = cli(&out, NULL, "connection test app --channel C2");
	cr_expect_eq(rc, 1);
	cr_expect(strstr(hub_buf_str(&out), "not_in_channel") != NULL, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "/invite @hubbot") != NULL, "%s", hub_buf_str(&out));

	rc = cli(&out, NULL, "connection set-default hook");
	cr_expect_eq(rc, 0, "%s", hub_buf_str(&out));
	cr_expect_str_eq(q1("SELECT name FROM slack_connections WHERE is_default"), "hook");
	cr_expect_eq(cli(&out, NULL, "connection set-default nope"), 1);

	rc = cli(&out, NULL, "connection disable app --reason 'moving workspaces'");
	cr_expect_eq(rc, 0, "%s", hub_buf_str(&out));
	rc = cli(&out, NULL, "connection list");
	cr_expect(strstr(hub_buf_str(&out), "disabled: moving workspaces") != NULL, "%s",
	    hub_buf_str(&out));
	rc = cli(&out, NULL, "connection enable app");
	cr_expect_eq(rc, 0);
	cr_expect_str_eq(q1("SELECT disabled FROM slack_connections WHERE name = 'app'"), "f");

	fake("/_fake/revoke", "{\"token\":\"%s\"}", TOKEN1);
	rc = cli(&out, NULL, "connection test app");
	cr_expect_eq(rc, 1);
	cr_expect(strstr(hub_buf_str(&out), "token_revoked") != NULL, "%s", hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), "Reinstall the app") != NULL, "%s",
	    hub_buf_str(&out));
	cr_expect(strstr(hub_buf_str(&out), TOKEN1) == NULL);
	cr_expect_str_eq(q1("SELECT disabled AND needs_admin_attention FROM slack_connections "
	    "WHERE name = 'app'"), "t");
	hub_buf_release(&out);
}
