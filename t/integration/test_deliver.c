/*
 * test_deliver.c - the notify job end to end: requests created with the
 * engine in a fresh database, a worker of our own (approvalhub-worker on
 * that database, no sweeps) delivering them to the fake Slack and the SMTP
 * sink, and what the fakes recorded as the assertions.  Every message the
 * fake received passed its Block Kit validation (no invalid_blocks).
 *
 * The deliver_stack tests run on the stack's own database instead, with
 * the stack's worker: the emailed decision link opens through nginx, and
 * requests are made, /metrics scraped and the history read through nginx.
 * So do the deliver_api tests, each in a workspace of its own (team,
 * connection, source, people) that it names in its requests, changing
 * nothing the stack shares.
 */
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

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "slack/connections.h"
#include "slack/home.h"
#include "slack/homepub.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/engine.h"
#include "base/httpc.h"
#include "testlib.h"

#define TOKEN	"xoxb-deliver-test-token"
#define TEAM	"TDLV"

static struct th_db tdb;
static struct hub_db *db;
static const char *dburl;
static char source_id[HUB_ID_LEN];
static struct hub_keyring keyring;
static struct hub_slack slack;
static pid_t worker;
static int own_db;

/* ------------------------------------------------------------ helpers */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static json_object *
fake(const char *method, const char *path, const char *fmt, ...)
{
	char body[8192];
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(body, sizeof(body), fmt, ap);
		va_end(ap);
	}
	return th_fake("FAKE_SLACK_URL", method, path, fmt != NULL ? body : NULL);
}

/* One-off SQL on the test's database (no parameters, results wanted). */
static PGresult *
sql(const char *fmt, ...)
{
	char q[4096];
	va_list ap;
	PGresult *r;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	r = PQexec(hub_db_conn(db), q);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", q, PQresultErrorMessage(r));
	return r;
}

static long long
sql_ll(const char *fmt, ...)
{
	char q[4096];
	va_list ap;
	PGresult *r;
	long long v;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	r = sql("%s", q);
	cr_assert_eq(PQntuples(r), 1, "%s", q);
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* Until the lead adds 0004 to the build's migration list, apply it here
 * (a no-op once the migration is embedded). */
static void
ensure_0004(void)
{
	const char *top = getenv("top_srcdir");
	char path[1024], buf[16384];
	size_t n;
	FILE *f;

	if (sql_ll("SELECT count(*) FROM information_schema.columns WHERE table_name ="
	    " 'delivery_log' AND column_name = 'delivery_key'") > 0)
		return;
	snprintf(path, sizeof(path), "%s/db/migrations/0004_delivery.sql", top ? top : ".");
	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	PQclear(sql("BEGIN; %s; COMMIT", buf));
}

static void
keyring_setup(void)
{
	const char *b64 = th_env("SECRET_KEY");
	struct hub_buf k = HUB_BUF_INIT(64);

	memset(&keyring, 0, sizeof(keyring));
	cr_assert_eq(hub_base64_decode(b64, strlen(b64), 0, &k), HUB_CRYPTO_OK);
	cr_assert_eq(k.len, 32);
	cr_assert_eq(hub_keyring_add(&keyring, (const unsigned char *)k.data), HUB_CRYPTO_OK);
	hub_buf_release(&k);
}

static void
common_setup(const char *url)
{
	PGresult *r;

	dburl = url;
	cr_assert_eq(hub_db_connect_limits(url, NULL, &db), HUB_DB_OK);
	ensure_0004();
	keyring_setup();
	cr_assert_not_null(slack.http = hub_httpc_new());
	slack.api_url = th_env("SLACK_API_URL");
	slack.keyring = &keyring;
	json_object_put(fake("POST", "/_fake/reset", "{}"));
	json_object_put(th_fake("FAKE_SMTP_CONTROL_URL", "POST", "/_fake/reset", "{}"));
	json_object_put(fake("POST", "/_fake/tokens", "[{\"token\":\"%s\",\"team_id\":\"%s\","
	    "\"team_name\":\"Deliver\",\"bot_user_id\":\"UBOT\"}]", TOKEN, TEAM));
	json_object_put(fake("POST", "/_fake/channels", "[{\"id\":\"C1\",\"name\":\"approvals\"},"
	    "{\"id\":\"C2\",\"name\":\"outside\",\"is_member\":false}]"));
	r = sql("INSERT INTO sources (name) VALUES ('erp-' || substr(md5(random()::text), 1, 8))"
	    " RETURNING id");
	snprintf(source_id, sizeof(source_id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	/* No workspace cap worth the name: the tests are about delivery. */
	PQclear(sql("INSERT INTO settings (key, value) VALUES"
	    " ('slack.workspace_cap_per_minute', '100000') ON CONFLICT (key) DO UPDATE"
	    " SET value = excluded.value"));
}

static void
setup(void)
{
	th_db_create(&tdb);
	own_db = 1;
	common_setup(tdb.url);
}

static void
stop_worker(void)
{
	int st;

	if (worker > 0) {
		kill(worker, SIGTERM);
		waitpid(worker, &st, 0);
		worker = 0;
	}
}

static void
teardown(void)
{
	stop_worker();
	hub_db_close(db);
	db = NULL;
	hub_httpc_free(slack.http);
	slack.http = NULL;
	if (own_db)
		th_db_drop(&tdb);
	own_db = 0;
}

TestSuite(deliver, .init = setup, .fini = teardown, .timeout = 90);

/* Users the fake knows: U1..Un with uN@example.com. */
static void
fake_users(int from, int to)
{
	struct hub_buf b = HUB_BUF_INIT(1 << 20);
	json_object *r;
	int i;

	hub_buf_addc(&b, '[');
	for (i = from; i <= to; i++)
		hub_buf_printf(&b, "%s{\"id\":\"U%d\",\"email\":\"u%d@example.com\",\"name\":\"u%d\"}",
		    i > from ? "," : "", i, i, i);
	hub_buf_addc(&b, ']');
	r = th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", hub_buf_str(&b));
	json_object_put(r);
	hub_buf_release(&b);
}

static void
add_app(const char *name, int is_default)
{
	struct hub_conn_spec spec = { name, HUB_CONN_SLACK_APP, TOKEN, NULL, NULL, is_default };
	struct hub_slack_result res;
	struct hub_conn c;
	int rc;

	hub_slack_result_init(&res);
	rc = hub_connections_add(db, &slack, &spec, &c, &res, NULL);
	cr_assert_eq(rc, HUB_CONN_OK, "add: %s (%s) %s", hub_conn_strerror(rc), res.error,
	    hub_db_last_error(db));
	hub_slack_result_free(&res);
}

static void
add_webhook(const char *name, enum hub_conn_type type)
{
	char url[512];
	struct hub_conn_spec spec = { name, type, type == HUB_CONN_INCOMING_WEBHOOK ? NULL : TOKEN,
	    url, NULL, 1 };
	struct hub_slack_result res;
	struct hub_conn c;
	int rc;

	json_object_put(fake("POST", "/_fake/webhooks",
	    "{\"path\":\"/services/%s/B1/hook\",\"channel\":\"C1\"}", TEAM));
	snprintf(url, sizeof(url), "%s/services/%s/B1/hook", th_env("FAKE_SLACK_URL"), TEAM);
	hub_slack_result_init(&res);
	rc = hub_connections_add(db, &slack, &spec, &c, &res, NULL);
	cr_assert_eq(rc, HUB_CONN_OK, "add: %s (%s)", hub_conn_strerror(rc), res.error);
	hub_slack_result_free(&res);
}

static const struct hub_actor api_actor = { "api", "src-key", NULL, "Source key", "api" };

/* A one-step request; approvers is the JSON array of {"kind","value"}. */
static void
create(const char *ext, const char *approvers, const char *rule, const char *delivery,
    const char *channel, char id[HUB_ID_LEN])
{
	struct hub_outcome o;
	struct hub_engine_error err;
	struct hub_buf b = HUB_BUF_INIT(1 << 20);
	json_object *req;
	int rc;

	hub_buf_printf(&b,
	    "{\"request_source\": null, \"external_id\": \"%s\", \"idempotency_key\": null,"
	    " \"title\": \"Laptop\", \"requester_name\": \"Rita Requester\","
	    " \"requester_email\": \"rita@example.com\", \"requester_slack_id\": null,"
	    " \"justification\": \"old one broke\", \"metadata\": {\"amount\": 1200},"
	    " \"preset\": null, \"steps\": [{\"rule\": \"%s\", \"quorum\": null,"
	    "  \"approvers\": %s, \"delivery\": %s%s%s, \"channel\": %s%s%s,"
	    "  \"connection\": null}],"
	    " \"deadline\": null, \"reminder_every\": null, \"valid_for\": null,"
	    " \"callback_url\": null, \"watchers\": [], \"delivery\": null,"
	    " \"channel\": null, \"connection\": null}",
	    ext, rule, approvers, delivery ? "\"" : "", delivery ? delivery : "null",
	    delivery ? "\"" : "", channel ? "\"" : "", channel ? channel : "null",
	    channel ? "\"" : "");
	req = json_tokener_parse(hub_buf_str(&b));
	cr_assert_not_null(req, "bad test JSON");
	memset(&err, 0, sizeof(err));
	rc = hub_engine_create(db, source_id, req, &api_actor, &o, &err);
	json_object_put(req);
	hub_buf_release(&b);
	cr_assert_eq(rc, HUB_ENGINE_OK, "create: %s (%s: %s) %s", hub_engine_strerror(rc),
	    err.field, err.message, hub_db_last_error(db));
	snprintf(id, HUB_ID_LEN, "%s", o.id);
}

/* [{"kind":"slack","value":"U<from>"}, …] */
static char *
slack_approvers(int from, int to)
{
	struct hub_buf b = HUB_BUF_INIT(1 << 20);
	int i;

	hub_buf_addc(&b, '[');
	for (i = from; i <= to; i++)
		hub_buf_printf(&b, "%s{\"kind\":\"slack\",\"value\":\"U%d\"}", i > from ? "," : "", i);
	hub_buf_addc(&b, ']');
	return hub_buf_detach(&b, NULL);
}

/* A worker on the test's database; sweep "0": never (the others). */
static void
start_worker_with(const char *name, const char *sweep, const char *more_env)
{
	const char *const args[] = { "--id", name, "--sweep-seconds", sweep, "--lease", "10",
	    "--backoff-base-ms", "300", NULL };
	/* One job at a time: these tests count Slack calls that concurrent
	 * jobs would each make once (a lookup cache both miss, a group DM
	 * both open); lanes are test_isolation.py's. */
	const char *const env[] = { "WORKER_LANES=off", more_env, NULL };
	char log[1024];

	snprintf(log, sizeof(log), "%s/log/deliver-%s.log", th_env("HUB_STATE"), name);
	worker = th_worker_start(dburl, log, env, args);
}

static void
start_worker_sweeping(const char *name, const char *sweep)
{
	start_worker_with(name, sweep, NULL);
}

static void
start_worker(const char *name)
{
	start_worker_sweeping(name, "0");
}

/* Wait until no notify job is queued or running (jobs exist first). */
static void
await_notify(long ms)
{
	long waited;

	for (waited = 0; waited < ms; waited += 100) {
		if (sql_ll("SELECT count(*) FROM jobs WHERE kind = 'notify'"
		    " AND state IN ('queued', 'running')") == 0)
			return;
		sleep_ms(100);
	}
	cr_assert_fail("notify jobs still pending after %ld ms", ms);
}

static void
run_all(long ms)
{
	if (worker == 0)
		start_worker("w1");
	await_notify(ms);
}

/* The fake's recorded calls of a method; caller puts. */
static json_object *
calls(const char *method)
{
	char path[256];
	json_object *c;

	snprintf(path, sizeof(path), "/_fake/calls?method=%s", method);
	c = fake("GET", path, NULL);
	cr_assert(c != NULL && json_object_is_type(c, json_type_array), "calls %s", method);
	return c;
}

/* users.lookupByEmail calls for the approvers: every one but those for
 * the requester's email, which the worker looks up once per request
 * before the first approver is told (identity-aware self-approval). */
#define REQUESTER_EMAIL "rita@example.com"
static json_object *
approver_lookups(void)
{
	json_object *all = calls("users.lookupByEmail"), *out = json_object_new_array(), *c, *a;
	size_t i;

	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		if (json_object_object_get_ex(c, "args", &a) &&
		    json_object_object_get_ex(a, "email", &a) &&
		    strcmp(json_object_get_string(a), REQUESTER_EMAIL) == 0)
			continue;
		json_object_array_add(out, json_object_get(c));
	}
	json_object_put(all);
	return out;
}

static const char *
jpath(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

static int
call_ok(json_object *c)
{
	json_object *resp, *ok;

	return json_object_object_get_ex(c, "response", &resp) &&
	    json_object_object_get_ex(resp, "ok", &ok) && json_object_get_boolean(ok);
}

/* Successful chat.postMessage calls; every call passed Block Kit. */
static json_object *
posts_ok(size_t *n)
{
	json_object *all = calls("chat.postMessage"), *out = json_object_new_array(), *c;
	const char *err;
	size_t i;

	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		err = jpath(c, "response", "error");
		cr_expect(err == NULL || strncmp(err, "invalid_blocks", 14) != 0,
		    "Block Kit refused: %s", json_object_to_json_string(c));
		if (call_ok(c))
			json_object_array_add(out, json_object_get(c));
	}
	json_object_put(all);
	*n = json_object_array_length(out);
	return out;
}

static const char *
arg(json_object *call, const char *k)
{
	return jpath(call, "args", k);
}

static long long
sent_rows(const char *req)
{
	return sql_ll("SELECT count(*) FROM sent_messages WHERE request_id = '%s'", req);
}

/* ------------------------------------------------------------ modes */

Test(deliver, dm_one_message_per_approver_with_metadata)
{
	char id[HUB_ID_LEN];
	json_object *p, *lk;
	size_t n, i;
	int seen1 = 0, seen2 = 0;

	fake_users(1, 2);
	add_app("app", 1);
	create("DM", "[{\"kind\":\"slack\",\"value\":\"U1\"},"
	    "{\"kind\":\"email\",\"value\":\"u2@example.com\"}]", "all", "dm", NULL, id);
	run_all(20000);
	p = posts_ok(&n);
	cr_assert_eq(n, 2);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(p, i);
		const char *ch = arg(c, "channel");
		json_object *md = NULL;

		seen1 += strcmp(ch, "U1") == 0;
		seen2 += strcmp(ch, "U2") == 0;
		cr_expect(json_object_object_get_ex(json_object_object_get(c, "args"), "metadata",
		    &md), "metadata on every post");
		cr_expect_str_eq(jpath(md, "event_type", NULL), "hub_delivery");
		cr_expect_not_null(jpath(md, "event_payload", "key"));
	}
	cr_expect(seen1 == 1 && seen2 == 1);
	json_object_put(p);
	cr_expect_eq(sent_rows(id), 2);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND status = 'delivered' AND ts IS NOT NULL", id), 2);
	/* the lookup's answer is kept on the assignment for Slack decisions */
	cr_expect_eq(sql_ll("SELECT count(*) FROM assignments WHERE request_id = '%s'"
	    " AND approver_kind = 'email' AND slack_user_id = 'U2'", id), 1);
	lk = approver_lookups();
	cr_expect_eq(json_object_array_length(lk), 1);
	json_object_put(lk);
	/* and the requester's own email, once, kept on the request */
	lk = calls("users.lookupByEmail");
	cr_expect_eq(json_object_array_length(lk), 2);
	json_object_put(lk);
	cr_expect_eq(sql_ll("SELECT count(*) FROM requests WHERE id = '%s'"
	    " AND requester_slack_resolved IS NOT NULL", id), 1);
}

Test(deliver, group_dm_opens_one_mpim)
{
	char id[HUB_ID_LEN], *ap = slack_approvers(1, 3);
	json_object *p, *o;
	size_t n;

	fake_users(1, 3);
	add_app("app", 1);
	create("GDM", ap, "all", "group_dm", NULL, id);
	free(ap);
	run_all(20000);
	o = calls("conversations.open");
	cr_assert_eq(json_object_array_length(o), 1);
	cr_expect_str_eq(arg(json_object_array_get_idx(o, 0), "users"), "U1,U2,U3");
	json_object_put(o);
	p = posts_ok(&n);
	cr_assert_eq(n, 1);
	cr_expect_eq(arg(json_object_array_get_idx(p, 0), "channel")[0], 'G');
	json_object_put(p);
	cr_expect_eq(sent_rows(id), 3);
	cr_expect_eq(sql_ll("SELECT count(DISTINCT (channel, ts)) FROM sent_messages"
	    " WHERE request_id = '%s'", id), 1);
}

Test(deliver, channel_one_message_mentions_everyone)
{
	char id[HUB_ID_LEN], *ap = slack_approvers(1, 3);
	json_object *p;
	const char *text;
	size_t n;

	fake_users(1, 3);
	add_app("app", 1);
	create("CH", ap, "any", "channel", "C1", id);
	free(ap);
	run_all(20000);
	p = posts_ok(&n);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(arg(json_object_array_get_idx(p, 0), "channel"), "C1");
	text = json_object_to_json_string(json_object_object_get(json_object_array_get_idx(p, 0),
	    "args"));
	cr_expect(strstr(text, "<@U1>") && strstr(text, "<@U2>") && strstr(text, "<@U3>"),
	    "mentions: %s", text);
	json_object_put(p);
	cr_expect_eq(sent_rows(id), 3);
}

Test(deliver, channel_120_mentions_continue_in_the_thread, .timeout = 120)
{
	char id[HUB_ID_LEN], *ap = slack_approvers(1, 120);
	json_object *p;
	const char *main_ts = NULL;
	size_t n, i, replies = 0;

	fake_users(1, 120);
	add_app("app", 1);
	create("CH120", ap, "any", "channel", "C1", id);
	free(ap);
	run_all(60000);
	p = posts_ok(&n);
	cr_assert_eq(n, 3, "main message + 2 thread replies, got %zu", n);
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(p, i);

		cr_expect_str_eq(arg(c, "channel"), "C1");
		if (arg(c, "thread_ts") == NULL)
			main_ts = jpath(c, "response", "ts");
	}
	cr_assert_not_null(main_ts);
	for (i = 0; i < n; i++)
		if (arg(json_object_array_get_idx(p, i), "thread_ts") != NULL) {
			cr_expect_str_eq(arg(json_object_array_get_idx(p, i), "thread_ts"), main_ts);
			replies++;
		}
	cr_expect_eq(replies, 2);
	json_object_put(p);
	cr_expect_eq(sql_ll("SELECT count(*) FROM sent_messages WHERE request_id = '%s'"
	    " AND kind = 'call_for_action'", id), 120);
	cr_expect_eq(sql_ll("SELECT count(*) FROM sent_messages WHERE request_id = '%s'"
	    " AND kind = 'mention_batch'", id), 2);
}

Test(deliver, both_is_a_dm_and_a_channel_post)
{
	char id[HUB_ID_LEN];
	json_object *p;
	size_t n;

	fake_users(1, 1);
	add_app("app", 1);
	create("BOTH", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "both", "C1", id);
	run_all(20000);
	p = posts_ok(&n);
	cr_assert_eq(n, 2);
	cr_expect(strcmp(arg(json_object_array_get_idx(p, 0), "channel"), "U1") == 0 ||
	    strcmp(arg(json_object_array_get_idx(p, 1), "channel"), "U1") == 0);
	cr_expect(strcmp(arg(json_object_array_get_idx(p, 0), "channel"), "C1") == 0 ||
	    strcmp(arg(json_object_array_get_idx(p, 1), "channel"), "C1") == 0);
	json_object_put(p);
	cr_expect_eq(sent_rows(id), 2);
}

/* A webhook post is read by the whole channel: it names the approver and
 * carries no decision link; the link goes to the approver alone, by email. */
Test(deliver, webhook_post_names_the_approver_and_the_link_goes_by_email)
{
	char id[HUB_ID_LEN];
	json_object *all, *c, *m;
	const char *body;
	size_t i, n = 0;

	fake_users(1, 1);
	add_webhook("hook", HUB_CONN_INCOMING_WEBHOOK_LOOKUP);
	create("HOOK", "[{\"kind\":\"email\",\"value\":\"u1@example.com\"}]", "any", NULL, NULL,
	    id);
	run_all(20000);
	all = fake("GET", "/_fake/calls", NULL);
	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		if (strcmp(jpath(c, "kind", NULL), "webhook") != 0)
			continue;
		n++;
		cr_expect_eq(json_object_get_int(json_object_object_get(c, "status")), 200);
		body = json_object_to_json_string_ext(json_object_object_get(c, "args"),
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		cr_expect(strstr(body, "/decide/") == NULL, "a decision link in the channel: %s",
		    body);
		cr_expect(strstr(body, "Approver:* <@U1> — was sent a personal link by email") !=
		    NULL, "names the approver: %s", body);
	}
	json_object_put(all);
	cr_expect_eq(n, 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'webhook' AND status = 'delivered'", id), 1);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", "/_fake/messages?rcpt=u1@example.com", NULL);
	cr_assert_eq(json_object_array_length(m), 1);
	cr_expect(strstr(json_object_to_json_string_ext(m, JSON_C_TO_STRING_NOSLASHESCAPE),
	    "/decide/") != NULL, "no link in the email");
	json_object_put(m);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'email' AND status = 'delivered'", id), 1);
}

/* A webhook approver the hub has no email address for cannot get a
 * personal link: the post still names them, and the admin sees why. */
Test(deliver, webhook_approver_without_email_is_logged_no_email)
{
	char id[HUB_ID_LEN];
	json_object *m;

	add_webhook("hook", HUB_CONN_INCOMING_WEBHOOK);
	create("NOMAIL", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", NULL, NULL, id);
	run_all(20000);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'webhook' AND status = 'delivered'", id), 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'email' AND status = 'failed' AND error_code = 'no_email'"
	    " AND error_detail LIKE '%%U1 has no email address%%'", id), 1);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", "/_fake/messages", NULL);
	cr_expect_eq(json_object_array_length(m), 0);
	json_object_put(m);
}

Test(deliver, lookup_cache_serves_the_second_request)
{
	char a[HUB_ID_LEN], b[HUB_ID_LEN];
	json_object *lk;
	size_t n;

	fake_users(1, 1);
	add_app("app", 1);
	create("LK1", "[{\"kind\":\"email\",\"value\":\"u1@example.com\"}]", "any", "dm", NULL, a);
	create("LK2", "[{\"kind\":\"email\",\"value\":\"u1@example.com\"}]", "any", "dm", NULL, b);
	run_all(20000);
	lk = approver_lookups();
	cr_expect_eq(json_object_array_length(lk), 1);
	json_object_put(lk);
	json_object_put(posts_ok(&n));
	cr_expect_eq(n, 2);
}

/* users_not_found is cached for an hour: the second request to the same
 * unknown address asks Slack nothing (DESIGN: negative results 1 h). */
Test(deliver, unknown_email_is_looked_up_once_an_hour)
{
	char a[HUB_ID_LEN], b[HUB_ID_LEN];
	json_object *lk;

	add_app("app", 1);
	create("NEG1", "[{\"kind\":\"email\",\"value\":\"ghost@example.com\"}]", "any", "dm",
	    NULL, a);
	run_all(20000);
	cr_assert_eq(sql_ll("SELECT count(*) FROM slack_user_cache WHERE email ="
	    " 'ghost@example.com' AND slack_user_id IS NULL AND expires_at BETWEEN"
	    " now() + interval '59 minutes' AND now() + interval '61 minutes'"), 1,
	    "the users_not_found answer is not cached for an hour");
	create("NEG2", "[{\"kind\":\"email\",\"value\":\"ghost@example.com\"}]", "any", "dm",
	    NULL, b);
	run_all(20000);
	lk = approver_lookups();
	cr_expect_eq(json_object_array_length(lk), 1, "lookups: %s",
	    json_object_to_json_string(lk));
	json_object_put(lk);
	/* Both still reached the person by email (the fallback). */
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id IN ('%s', '%s')"
	    " AND transport = 'email' AND status = 'delivered'", a, b), 2);
}

/* The email lane keeps its SMTP connection between messages: a worker of
 * one process, sending as an address of its own so a failure armed for
 * it spares the stack's worker. */
#define KEEP_FROM "keep@example.test"

static void
start_mail_worker(void)
{
	start_worker_with("mail", "0", "SMTP_FROM=" KEEP_FROM);
}

/* An approver Slack does not know, reached by email: the request made,
 * its notify job run, and the SMTP session its email came in on. */
static int
emailed_on_session(const char *ext, const char *to)
{
	char approvers[256], path[256], id[HUB_ID_LEN];
	json_object *m, *v;
	int session;

	snprintf(approvers, sizeof(approvers), "[{\"kind\":\"email\",\"value\":\"%s\"}]", to);
	create(ext, approvers, "any", "dm", NULL, id);
	if (worker == 0)
		start_mail_worker();
	await_notify(20000);
	snprintf(path, sizeof(path), "/_fake/messages?rcpt=%s", to);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", path, NULL);
	cr_assert_eq(json_object_array_length(m), 1, "%s: %s", to, json_object_to_json_string(m));
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(m, 0), "session", &v));
	session = json_object_get_int(v);
	json_object_put(m);
	cr_assert_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'email' AND status = 'delivered'", id), 1);
	return session;
}

/* Every notify job done at its first attempt, nothing failed on the way. */
static void
expect_first_attempts(void)
{
	cr_expect_eq(sql_ll("SELECT count(*) FROM jobs WHERE kind = 'notify'"
	    " AND (state <> 'done' OR attempts <> 1 OR last_error IS NOT NULL)"), 0);
}

Test(deliver, emails_go_on_one_smtp_connection)
{
	int s1, s2;

	add_app("app", 1);
	s1 = emailed_on_session("KEEP1", "kept1@example.org");
	s2 = emailed_on_session("KEEP2", "kept2@example.org");
	cr_expect_eq(s1, s2, "a new SMTP connection for the second email");
	expect_first_attempts();
}

/* A server that closes an idle connection (421, then the close, as real
 * ones do after a few minutes) costs nothing: the next email opens a new
 * one and goes at its first attempt. */
Test(deliver, a_connection_the_server_closed_when_idle_is_replaced)
{
	int s1, s2;

	add_app("app", 1);
	json_object_put(th_fake("FAKE_SMTP_CONTROL_URL", "POST", "/_fake/idle",
	    "{\"seconds\": 1}"));
	s1 = emailed_on_session("IDLE1", "idle1@example.org");
	sleep_ms(1500);
	s2 = emailed_on_session("IDLE2", "idle2@example.org");
	cr_expect_neq(s1, s2);
	expect_first_attempts();
}

/* A kept connection answered 421 and closed (a server shutting down)
 * before any of the message went: the message goes at once on a new
 * connection, in the same attempt. */
Test(deliver, a_421_on_a_kept_connection_is_sent_again_on_a_new_one)
{
	int s1, s2;

	add_app("app", 1);
	s1 = emailed_on_session("BYE1", "bye1@example.org");
	json_object_put(th_fake("FAKE_SMTP_CONTROL_URL", "POST", "/_fake/fail",
	    "{\"stage\": \"mail\", \"code\": 421, \"close\": true, \"mail_from\": \"" KEEP_FROM
	    "\", \"message\": \"4.3.2 service shutting down\"}"));
	s2 = emailed_on_session("BYE2", "bye2@example.org");
	cr_expect_neq(s1, s2);
	expect_first_attempts();
}

/* The note of a decision goes to the requester alone.  When no Slack
 * account was found for the requester's email (when the approver was
 * told), it can only be an email: it starts in the email lane instead of
 * being handed over there by the slack lane.  A requester Slack knows:
 * its kind's lane. */
static void
decided_note_in(const char *ext, const char *resolved, const char *lane, const char *transport)
{
	static const struct hub_actor one = { "slack", "U1", TEAM, "One", "slack" };
	char id[HUB_ID_LEN];
	struct hub_outcome o;
	struct hub_engine_error err;

	create(ext, "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	run_all(20000);
	cr_assert_eq(sql_ll("SELECT count(*) FROM requests WHERE id = '%s'"
	    " AND requester_slack_resolved = '%s'", id, resolved), 1, "%s", ext);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(hub_engine_decide(db, id, 0, &one, 1, "fine", NULL, &o, &err),
	    HUB_ENGINE_OK, "%s", err.message);
	cr_expect_eq(sql_ll("SELECT count(*) FROM jobs WHERE kind = 'notify'"
	    " AND payload->>'request_id' = '%s' AND payload->>'kind' = 'decision'"
	    " AND lane IS NOT DISTINCT FROM %s", id, lane), 1, "%s: lane %s", ext, lane);
	run_all(20000);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND kind = 'decision' AND transport = '%s' AND status = 'delivered'", id,
	    transport), 1, "%s: by %s", ext, transport);
}

Test(deliver, a_decision_note_only_email_can_carry_starts_in_the_email_lane)
{
	fake_users(1, 1);
	add_app("app", 1);
	decided_note_in("LANE1", "", "'email'", "email");	/* rita is not in Slack */
	/* Rita joins Slack (and the hub forgets what it looked up). */
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/users",
	    "[{\"id\":\"U1\",\"email\":\"u1@example.com\",\"name\":\"u1\"},"
	    "{\"id\":\"U7\",\"email\":\"rita@example.com\",\"name\":\"rita\"}]"));
	PQclear(sql("DELETE FROM slack_user_cache"));
	decided_note_in("LANE2", "U7", "NULL", "slack");
}

/* A cached user id that Slack no longer knows (the DM answers
 * channel_not_found) is forgotten, so the next request looks it up. */
Test(deliver, users_not_found_at_send_drops_the_cached_id)
{
	char id[HUB_ID_LEN];
	json_object *lk;

	add_app("app", 1);
	PQclear(sql("INSERT INTO slack_user_cache (connection_id, email, slack_user_id,"
	    " expires_at) SELECT id, 'left@example.com', 'UGONE', now() + interval '1 day'"
	    " FROM slack_connections WHERE name = 'app'"));
	create("GONE", "[{\"kind\":\"email\",\"value\":\"left@example.com\"}]", "any", "dm",
	    NULL, id);
	run_all(20000);
	lk = approver_lookups();
	cr_expect_eq(json_object_array_length(lk), 0, "the cached id was not used");
	json_object_put(lk);
	cr_expect_eq(sql_ll("SELECT count(*) FROM slack_user_cache WHERE email ="
	    " 'left@example.com'"), 0, "the stale id is still cached");
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'email' AND status = 'delivered'", id), 1);
}

/* The decision reaches the requester (not in Slack here: by email) and
 * the approver's Home tab is republished. */
Test(deliver, decision_tells_the_requester_and_refreshes_home)
{
	static const struct hub_actor one = { "slack", "U1", TEAM, "One", "slack" };
	char id[HUB_ID_LEN];
	struct hub_outcome o;
	struct hub_engine_error err;
	json_object *m;
	const char *js;
	int i;

	fake_users(1, 1);
	add_app("app", 1);
	create("DEC", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(hub_engine_decide(db, id, 0, &one, 1, "fine", NULL, &o, &err),
	    HUB_ENGINE_OK, "%s", err.message);
	run_all(20000);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", "/_fake/messages?rcpt=rita@example.com", NULL);
	cr_expect_eq(json_object_array_length(m), 1);
	json_object_put(m);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND kind = 'decision' AND transport = 'email' AND status = 'delivered'", id), 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM home_publish WHERE slack_user_id = 'U1'"), 1);
	/* The republished Home counts the approval among the approver's own
	 * requests decided lately, and lists it there (the publish is its
	 * own job, 2 s at the earliest after the one the request made). */
	for (i = 0, js = ""; i < 100 && strstr(js, "Approved (30 days)*\\n1") == NULL; i++) {
		if (i > 0) {
			json_object_put(m);
			sleep_ms(100);
		}
		m = fake("GET", "/_fake/views?user=U1", NULL);
		cr_assert(m != NULL && json_object_is_type(m, json_type_array));
		js = json_object_array_length(m) == 0 ? "" : json_object_to_json_string(
		    json_object_array_get_idx(m, json_object_array_length(m) - 1));
	}
	cr_expect(strstr(js, "Approved (30 days)*\\n1") != NULL, "%s", js);
	cr_expect(strstr(js, "Rejected (30 days)*\\n0") != NULL, "%s", js);
	cr_expect(strstr(js, "Waiting for you*\\n0") != NULL, "%s", js);
	cr_expect(strstr(js, "Laptop") != NULL, "the decided request is not listed: %s", js);
	json_object_put(m);
}

Test(deliver, log_only_records_users_not_found)
{
	char id[HUB_ID_LEN];
	json_object *m;

	add_app("app", 1);
	PQclear(sql("INSERT INTO settings (key, value) VALUES ('delivery.user_not_found',"
	    " '\"LOG_ONLY\"')"));
	create("LOGONLY", "[{\"kind\":\"email\",\"value\":\"nobody@example.com\"}]", "any",
	    "dm", NULL, id);
	run_all(20000);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND status = 'failed' AND error_code = 'users_not_found'", id), 1);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", "/_fake/messages", NULL);
	cr_expect_eq(json_object_array_length(m), 0);
	json_object_put(m);
}

/*
 * The global delivery settings route a request whose step, request and
 * source name no mode or channel: all three are read together (one round
 * trip), each into its own place.  Channel mode to the settings' channel,
 * and an approver Slack does not know is logged, not emailed.
 */
Test(deliver, global_delivery_settings_route_a_step_that_sets_none)
{
	char id[HUB_ID_LEN];
	json_object *p, *m;
	const char *text;
	size_t n;

	fake_users(1, 2);
	add_app("app", 1);
	PQclear(sql("INSERT INTO settings (key, value) VALUES ('delivery.mode', '\"channel\"'),"
	    " ('delivery.channel', '\"C1\"'), ('delivery.user_not_found', '\"LOG_ONLY\"')"));
	create("GLOBAL", "[{\"kind\":\"slack\",\"value\":\"U1\"},"
	    "{\"kind\":\"slack\",\"value\":\"U2\"},"
	    "{\"kind\":\"email\",\"value\":\"nobody@example.com\"}]", "any", NULL, NULL, id);
	run_all(20000);
	p = posts_ok(&n);
	cr_assert_eq(n, 1, "one channel post, no DM: %s", json_object_to_json_string(p));
	cr_expect_str_eq(arg(json_object_array_get_idx(p, 0), "channel"), "C1");
	text = json_object_to_json_string(json_object_object_get(json_object_array_get_idx(p, 0),
	    "args"));
	cr_expect(strstr(text, "<@U1>") && strstr(text, "<@U2>"), "mentions: %s", text);
	json_object_put(p);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND status = 'failed' AND error_code = 'users_not_found'", id), 1);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", "/_fake/messages", NULL);
	cr_expect_eq(json_object_array_length(m), 0, "LOG_ONLY sends no email");
	json_object_put(m);
}

/* The text of the one successful chat.postMessage to channel whose text
 * has needle (malloc'd); fails when there is not exactly one. */
static char *
post_text(const char *channel, const char *needle)
{
	json_object *p = posts_ok(&(size_t){ 0 }), *c;
	const char *t;
	char *out = NULL;
	size_t i;
	int n = 0;

	for (i = 0; i < json_object_array_length(p); i++) {
		c = json_object_array_get_idx(p, i);
		if (strcmp(arg(c, "channel"), channel) != 0 || (t = arg(c, "text")) == NULL ||
		    strstr(t, needle) == NULL)
			continue;
		n++;
		free(out);
		out = strdup(t);
	}
	json_object_put(p);
	cr_assert_eq(n, 1, "%d posts to %s with \"%s\"", n, channel, needle);
	return out;
}

/* The worker's sweep expires the request: the requester and the approver
 * are told, each in their own words. */
Test(deliver, expiry_tells_requester_and_approver_in_their_own_words)
{
	char id[HUB_ID_LEN], *req, *apr;
	int i;

	fake_users(1, 1);
	json_object_put(fake("POST", "/_fake/users",
	    "[{\"id\":\"URITA\",\"email\":\"rita@example.com\",\"name\":\"rita\"}]"));
	add_app("app", 1);
	create("EXP", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	PQclear(sql("UPDATE requests SET deadline = now() - interval '1 second'"
	    " WHERE id = '%s'", id));
	start_worker_sweeping("x1", "1");
	for (i = 0; i < 200 && sql_ll("SELECT count(*) FROM jobs WHERE kind = 'notify'"
	    " AND payload->>'kind' = 'deadline_expired'") == 0; i++)
		sleep_ms(100);
	cr_assert_eq(sql_ll("SELECT count(*) FROM requests WHERE id = '%s'"
	    " AND status = 'Expired'", id), 1, "the sweep expired nothing");
	await_notify(20000);

	req = post_text("URITA", "xpired");
	cr_expect(strstr(req, "Your request expired") != NULL, "requester: %s", req);
	apr = post_text("U1", "xpired");
	cr_expect(strstr(apr, "before a decision; no action needed") != NULL,
	    "approver: %s", apr);
	cr_expect(strstr(apr, "Your request") == NULL, "approver: %s", apr);
	free(req);
	free(apr);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND kind = 'deadline_expired' AND status = 'delivered'", id), 2);
}

/* ------------------------------------------------------------ errors */

Test(deliver, token_revoked_disables_and_emails)
{
	char id[HUB_ID_LEN];
	json_object *m;

	fake_users(1, 1);
	add_app("app", 1);
	PQclear(sql("INSERT INTO users (name, email, slack_user_id, slack_team_id)"
	    " VALUES ('One', 'u1@example.com', 'U1', '%s')", TEAM));
	json_object_put(fake("POST", "/_fake/revoke", "{\"token\":\"%s\"}", TOKEN));
	create("REVOKED", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	run_all(20000);
	cr_expect_eq(sql_ll("SELECT count(*) FROM slack_connections WHERE name = 'app'"
	    " AND disabled AND needs_admin_attention"), 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND error_code = 'token_revoked' AND status = 'failed'", id), 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'email' AND status = 'delivered'", id), 1);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", "/_fake/messages?rcpt=u1@example.com", NULL);
	cr_expect_eq(json_object_array_length(m), 1);
	cr_expect(strstr(json_object_to_json_string_ext(m, JSON_C_TO_STRING_NOSLASHESCAPE),
	    "/decide/") != NULL);
	json_object_put(m);
}

Test(deliver, not_in_channel_is_logged_with_the_fix)
{
	char id[HUB_ID_LEN];
	PGresult *r;

	fake_users(1, 1);
	add_app("app", 1);
	create("NIC", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "channel", "C2", id);
	run_all(20000);
	r = sql("SELECT status, error_code, error_detail FROM delivery_log"
	    " WHERE request_id = '%s' AND transport = 'slack'", id);
	cr_assert_eq(PQntuples(r), 1);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "failed");
	cr_expect_str_eq(PQgetvalue(r, 0, 1), "not_in_channel");
	cr_expect(strstr(PQgetvalue(r, 0, 2), "/invite") != NULL, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	cr_expect_eq(sql_ll("SELECT count(*) FROM jobs WHERE kind = 'notify'"
	    " AND state = 'failed'"), 1);
}

/* 429 then 200: the job waits Retry-After and posts once. */
Test(deliver, ratelimited_retries_after_retry_after)
{
	char id[HUB_ID_LEN];
	json_object *all;
	size_t n;
	double t429 = 0, tok = 0;
	size_t i;

	fake_users(1, 1);
	add_app("app", 1);
	json_object_put(fake("POST", "/_fake/ratelimit",
	    "{\"method\":\"chat.postMessage\",\"retry_after\":2,\"count\":1}"));
	create("RL", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	run_all(30000);
	all = calls("chat.postMessage");
	cr_assert_eq(json_object_array_length(all), 2);
	for (i = 0; i < 2; i++) {
		json_object *c = json_object_array_get_idx(all, i);
		double ts = json_object_get_double(json_object_object_get(c, "ts"));

		if (json_object_get_int(json_object_object_get(c, "status")) == 429)
			t429 = ts;
		else if (call_ok(c))
			tok = ts;
	}
	json_object_put(all);
	cr_expect(t429 > 0 && tok > 0 && tok - t429 >= 1.9, "waited %.2f s", tok - t429);
	json_object_put(posts_ok(&n));
	cr_expect_eq(n, 1);
	cr_expect_eq(sent_rows(id), 1);
}

Test(deliver, server_error_is_retried)
{
	char id[HUB_ID_LEN];
	size_t n;

	fake_users(1, 1);
	add_app("app", 1);
	json_object_put(fake("POST", "/_fake/fail",
	    "{\"method\":\"chat.postMessage\",\"error\":\"internal_error\",\"http_status\":500}"));
	create("E500", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	run_all(30000);
	json_object_put(posts_ok(&n));
	cr_expect_eq(n, 1);
	cr_expect_eq(sent_rows(id), 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
	    " WHERE j.kind = 'notify' AND NOT a.ok"), 1);
}

/* ------------------------------------------------------------ writes */

/* Every other backend gone from the database and its counts flushed:
 * pg_stat_user_tables holds all they did. */
static void
stats_settled(void)
{
	long waited;

	PQclear(sql("SELECT pg_stat_force_next_flush()"));
	for (waited = 0; sql_ll("SELECT count(*) FROM pg_stat_activity WHERE datname ="
	    " current_database() AND pid <> pg_backend_pid()"
	    " AND backend_type = 'client backend'") > 0; waited += 50) {
		cr_assert_lt(waited, 20000, "other backends still on the database");
		sleep_ms(50);
	}
}

/*
 * Rows written so far in the test's database (inserted + updated +
 * deleted, as PostgreSQL's statistics count them), by table, into o.
 * Every other backend of the database must be gone: a backend reports
 * what it wrote before it leaves pg_stat_activity.  Our own pending
 * counts are flushed first (pg_stat_force_next_flush, then idle).
 * job_waiters is left out: a worker writes it per idle wait, not per job.
 */
static void
table_writes(json_object *o)
{
	PGresult *r;
	int i;

	stats_settled();
	r = sql("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"
	    " WHERE relname <> 'job_waiters'");
	for (i = 0; i < PQntuples(r); i++)
		json_object_object_add(o, PQgetvalue(r, i, 0),
		    json_object_new_int64(strtoll(PQgetvalue(r, i, 1), NULL, 10)));
	PQclear(r);
}

/* Rows the worker wrote between two table_writes; per table in diff. */
static long long
writes_between(json_object *before, json_object *after, json_object *diff)
{
	long long total = 0, d;

	json_object_object_foreach(after, k, v) {
		json_object *b = NULL;

		d = json_object_get_int64(v);
		if (json_object_object_get_ex(before, k, &b))
			d -= json_object_get_int64(b);
		if (d != 0)
			json_object_object_add(diff, k, json_object_new_int64(d));
		total += d;
	}
	return total;
}

/* The rows one delivered DM writes, by table (README.md, Performance). */
#define ONE_DM_ROW_WRITES	12
static const struct {
	const char	*table;
	long long	 rows;
} record[] = {
	{ "jobs", 2 }, { "job_attempts", 1 }, { "delivery_log", 2 },
	{ "sent_messages", 1 }, { "metric_deltas", 1 },
};

static long long
table_delta(json_object *diff, const char *table)
{
	json_object *v = NULL;

	return json_object_object_get_ex(diff, table, &v) ? json_object_get_int64(v) : 0;
}

/*
 * What one delivered DM costs the database: the worker's row writes for a
 * one-approver request from the claim of its notify job to the job's
 * done, counted by table.  The per-message record (the job, its attempt,
 * the intent and its outcome, the sent-message row, the delivery metric)
 * must not grow unnoticed; lib/notify/README.md explains each row.
 */
Test(deliver, one_dm_costs_a_fixed_number_of_row_writes)
{
	char id[HUB_ID_LEN];
	json_object *before = json_object_new_object(), *after = json_object_new_object();
	json_object *diff = json_object_new_object();
	long long total, hot;
	size_t n, i;

	fake_users(1, 1);
	add_app("app", 1);
	create("WRITES", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	/* Requests created after it fill its page, as on a busy hub. */
	PQclear(sql("INSERT INTO requests (source_id, external_id, requester_name, title)"
	    " SELECT source_id, 'FILL-' || g, requester_name, title FROM requests,"
	    " generate_series(1, 200) g WHERE id = '%s'", id));
	table_writes(before);
	hot = sql_ll("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'requests'");
	run_all(20000);
	stop_worker();
	table_writes(after);
	total = writes_between(before, after, diff);
	/* The request's one update (the requester's Slack id) changes no
	 * indexed column and its page has room (0028): no index is touched. */
	cr_expect_eq(table_delta(diff, "requests"), 1);
	cr_expect_eq(sql_ll("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname ="
	    " 'requests'") - hot, 1, "the requester's update of the request is a HOT update");
	/* No page shows that Slack id: the dashboard's counts (its live
	 * refresh's ETag) stay as they were (0031). */
	cr_expect_eq(table_delta(diff, "request_counts"), 0,
	    "the requester's Slack id bumped the dashboard's counts");
	cr_log_info("row writes for one delivered DM: %lld %s", total,
	    json_object_to_json_string(diff));
	json_object_put(posts_ok(&n));
	cr_expect_eq(n, 1);
	cr_expect_eq(sent_rows(id), 1);
	/* The delivery's own record: the job claimed and done, its attempt,
	 * the intent inserted then delivered, one sent-message row, the
	 * delivery counted.  Each is what exactly-once or a reader needs. */
	for (i = 0; i < HUB_NELEM(record); i++)
		cr_expect_eq(table_delta(diff, record[i].table), record[i].rows,
		    "%s: %lld row writes, want %lld", record[i].table,
		    table_delta(diff, record[i].table), record[i].rows);
	/* The rest is per request or per Slack call (the requester's lookup,
	 * its cache, the rate-limit buckets, the dashboard's counts). */
	cr_expect_leq(total, ONE_DM_ROW_WRITES, "row writes for one DM: %lld %s", total,
	    json_object_to_json_string(diff));
	json_object_put(before);
	json_object_put(after);
	json_object_put(diff);
}

/* Index and sequential scans of a table so far (stats_settled first). */
static long long
table_reads(const char *table)
{
	stats_settled();
	return sql_ll("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0)"
	    " FROM pg_stat_user_tables WHERE relname = '%s'", table);
}

/* Wait until the Home publish job satisfies cond (SQL on jobs). */
static void
await_home_job(const char *cond)
{
	long waited;

	for (waited = 0; sql_ll("SELECT count(*) FROM jobs WHERE kind = 'home_publish'"
	    " AND %s", cond) == 0; waited += 100) {
		cr_assert_lt(waited, 20000, "no home_publish job with %s", cond);
		sleep_ms(100);
	}
}

/*
 * A Home publish that views.publish's budget turns away reads no view:
 * it takes the rate token before it loads the user's requests, and comes
 * back at its place in line.  A burst of decisions queues more publishes
 * than the 100 a minute Slack allows; each used to read and build its
 * view every time it was turned away.
 */
Test(deliver, rate_limited_home_publish_reads_no_view)
{
	char id[HUB_ID_LEN];
	json_object *v;
	PGresult *r;
	long long before, after;
	size_t views;

	fake_users(1, 1);
	add_app("app", 1);
	create("HOMERL", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	run_all(20000);
	r = sql("SELECT id FROM slack_connections WHERE name = 'app'");
	cr_assert_eq(PQntuples(r), 1);
	/* The user opened the Home tab once: published. */
	cr_assert_eq(hub_home_enqueue(db, PQgetvalue(r, 0, 0), "U1"), 0);
	await_home_job("state = 'done'");
	stop_worker();
	v = calls("views.publish");
	views = json_object_array_length(v);
	json_object_put(v);
	cr_assert_eq(views, 1, "the first publish");
	PQclear(sql("UPDATE rate_buckets SET blocked_until = now() + interval '1 hour'"
	    " WHERE bucket LIKE '%%:views.publish'"));
	cr_assert_eq(hub_home_enqueue(db, PQgetvalue(r, 0, 0), "U1"), 0);

	before = table_reads("assignments");
	start_worker("w2");
	await_home_job("state = 'queued' AND run_at > now() + interval '30 minutes'");
	stop_worker();
	after = table_reads("assignments");
	cr_expect_eq(after - before, 0, "turned away, the publish read assignments %lld times",
	    after - before);
	v = calls("views.publish");
	cr_expect_eq(json_object_array_length(v), views, "no views.publish while blocked");
	json_object_put(v);

	/* Its turn: now it reads and publishes (and the counter sees reads). */
	PQclear(sql("UPDATE rate_buckets SET blocked_until = NULL WHERE bucket LIKE '%%:views.publish'"));
	PQclear(sql("UPDATE jobs SET run_at = now() WHERE kind = 'home_publish' AND state = 'queued'"));
	before = table_reads("assignments");
	start_worker("w3");
	await_home_job("state = 'done' AND attempts >= 1 AND updated_at > now() - interval '1 minute'"
	    " AND NOT EXISTS (SELECT 1 FROM jobs q WHERE q.kind = 'home_publish'"
	    " AND q.state <> 'done')");
	stop_worker();
	after = table_reads("assignments");
	cr_expect_gt(after - before, 0, "the publish reads the user's requests");
	v = calls("views.publish");
	cr_expect_eq(json_object_array_length(v), views + 1);
	json_object_put(v);
	PQclear(r);
}

/*
 * The five parts of a Home view (counts, sources, waiting, mine, decided)
 * are read in one round trip, each its own statement: a publish used to
 * wait on PostgreSQL five times.
 */
Test(deliver, a_home_view_is_read_in_one_round_trip)
{
	char id[HUB_ID_LEN];
	struct hub_home_state st;
	json_object *data = NULL, *v, *w;
	FILE *trace;
	PGresult *r;

	fake_users(1, 1);
	add_app("app", 1);
	create("HOMERT", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	r = sql("SELECT id FROM slack_connections WHERE name = 'app'");
	cr_assert_eq(PQntuples(r), 1);
	hub_home_state_parse("", &st);
	/* Once to prepare the statements, once counted. */
	cr_assert_eq(hub_home_load(db, PQgetvalue(r, 0, 0), "U1", &st, &data), HUB_HOME_OK);
	json_object_put(data);
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(hub_home_load(db, PQgetvalue(r, 0, 0), "U1", &st, &data), HUB_HOME_OK);
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 1, "five statements, one round trip");
	fclose(trace);
	cr_assert_not_null(data);
	cr_assert(json_object_object_get_ex(data, "waiting", &v), "%s", json_object_to_json_string(data));
	cr_expect(json_object_object_get_ex(data, "counts", &w));
	cr_expect(json_object_object_get_ex(data, "sources", &w));
	cr_expect(json_object_object_get_ex(data, "mine", &w));
	cr_expect(json_object_object_get_ex(data, "decided", &w));
	cr_expect_not_null(strstr(json_object_to_json_string(v), id),
	    "the request waits for U1: %s", json_object_to_json_string(v));
	json_object_put(data);
	PQclear(r);
}

/* Buffers of requests (heap and indexes) read so far, as PostgreSQL's
 * statistics count them (stats_settled first). */
static long long
request_buffers(void)
{
	stats_settled();
	return sql_ll("SELECT heap_blks_hit + heap_blks_read + coalesce(idx_blks_hit, 0)"
	    " + coalesce(idx_blks_read, 0) FROM pg_statio_user_tables WHERE relname = 'requests'");
}

/*
 * A Home publish reads the user's own rows, also when PostgreSQL's
 * statistics are behind: 3 000 requests became Pending since the last
 * ANALYZE (a burst of new requests before autovacuum comes round; it is
 * off here so it cannot catch up mid-test).  The queries used to start
 * from every Pending request then, the statistics counting next to none,
 * and read all 3 000 on every publish (about 7 000 buffers); from the
 * user's own assignments and requests it is a few dozen.
 */
Test(deliver, home_publish_reads_the_users_rows_with_stale_statistics)
{
	char id[HUB_ID_LEN];
	json_object *v;
	PGresult *r;
	long long before, after;

	fake_users(1, 1);
	add_app("app", 1);
	create("HOMEST", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	run_all(20000);
	stop_worker();
	PQclear(sql("ALTER TABLE requests SET (autovacuum_enabled = false)"));
	PQclear(sql("INSERT INTO requests (source_id, external_id, title, requester_name, status)"
	    " SELECT '%s', 'burst-' || g, 'Burst ' || g, 'Someone else', 'Approved'"
	    " FROM generate_series(1, 3000) g", source_id));
	PQclear(sql("ANALYZE requests"));
	PQclear(sql("UPDATE requests SET status = 'Pending' WHERE external_id LIKE 'burst-%%'"));
	r = sql("SELECT id FROM slack_connections WHERE name = 'app'");
	cr_assert_eq(PQntuples(r), 1);
	cr_assert_eq(hub_home_enqueue(db, PQgetvalue(r, 0, 0), "U1"), 0);
	PQclear(r);

	before = request_buffers();
	start_worker("w2");
	await_home_job("state = 'done'");
	stop_worker();
	after = request_buffers();
	cr_expect_lt(after - before, 300, "one Home publish read %lld buffers of requests"
	    " (3 000 Pending, none of them the user's)", after - before);
	/* And the view is the user's: the one request waiting on U1. */
	v = calls("views.publish");
	cr_assert_eq(json_object_array_length(v), 1);
	cr_expect(strstr(json_object_to_json_string(v), "Laptop") != NULL,
	    "the published Home shows the user's request");
	cr_expect(strstr(json_object_to_json_string(v), "Burst") == NULL,
	    "and nobody else's");
	json_object_put(v);
}

/*
 * One DM; the worker dies after Slack took the post and before the
 * outcome was recorded (the fake holds its answer, stores the message,
 * and the worker is SIGKILLed meanwhile).  The next worker finds the
 * message by its key and records it in the one statement of the outcome:
 * one post, one sent-message row, the intent delivered.
 */
Test(deliver, crash_between_post_and_record_posts_once, .timeout = 120)
{
	char id[HUB_ID_LEN];
	json_object *h;
	size_t n, i;
	int st;

	fake_users(1, 1);
	add_app("app", 1);
	json_object_put(fake("POST", "/_fake/stall",
	    "{\"method\":\"chat.postMessage\",\"seconds\":2,\"count\":1}"));
	create("CRASH", "[{\"kind\":\"slack\",\"value\":\"U1\"}]", "any", "dm", NULL, id);
	start_worker("c1");
	for (i = 0; i < 200 && sql_ll("SELECT count(*) FROM delivery_log WHERE request_id ="
	    " '%s' AND status = 'sending'", id) == 0; i++)
		sleep_ms(50);
	cr_assert_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND status = 'sending'", id), 1, "the intent is committed before the post");
	sleep_ms(500);
	kill(worker, SIGKILL);
	waitpid(worker, &st, 0);
	worker = 0;
	sleep_ms(2000);   /* the held post lands with nobody waiting */
	cr_expect_eq(sent_rows(id), 0, "nothing recorded by the dead worker");
	start_worker("c2");
	await_notify(60000);
	json_object_put(posts_ok(&n));
	cr_expect_eq(n, 1, "successful posts: %zu", n);
	cr_expect_eq(sent_rows(id), 1);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND status = 'delivered' AND ts IS NOT NULL", id), 1);
	h = calls("conversations.history");
	cr_expect_geq(json_object_array_length(h), 1, "the post was looked up, not repeated");
	json_object_put(h);
}

/*
 * 200 DMs; the worker is SIGKILLed mid fan-out while a post is in flight
 * (the fake stalls it, then stores the message after the worker died).
 * The restarted worker finds that message by its metadata key instead of
 * posting it again: 200 posts to 200 people, 200 sent_messages rows.
 */
Test(deliver, sigkill_mid_fanout_posts_each_dm_once, .timeout = 240)
{
	char id[HUB_ID_LEN], *ap = slack_approvers(1, 200);
	json_object *p, *seen, *h;
	size_t n, i;
	int st;

	fake_users(1, 200);
	add_app("app", 1);
	json_object_put(fake("POST", "/_fake/config", "{\"latency_ms\":20}"));
	create("KILL", ap, "all", "dm", NULL, id);
	free(ap);
	start_worker("k1");
	for (i = 0; i < 600 && sent_rows(id) < 60; i++)
		sleep_ms(50);
	cr_assert_geq(sent_rows(id), 60, "the worker got going");
	json_object_put(fake("POST", "/_fake/stall",
	    "{\"method\":\"chat.postMessage\",\"seconds\":2,\"count\":1}"));
	sleep_ms(700);
	kill(worker, SIGKILL);
	waitpid(worker, &st, 0);
	worker = 0;
	sleep_ms(2000);   /* the stalled post lands with nobody waiting */
	start_worker("k2");
	await_notify(180000);

	p = posts_ok(&n);
	cr_expect_eq(n, 200, "successful posts: %zu", n);
	seen = json_object_new_object();
	for (i = 0; i < n; i++) {
		const char *ch = arg(json_object_array_get_idx(p, i), "channel");

		cr_expect(!json_object_object_get_ex(seen, ch, NULL), "%s got two DMs", ch);
		json_object_object_add(seen, ch, NULL);
	}
	cr_expect_eq(json_object_object_length(seen), 200);
	json_object_put(seen);
	json_object_put(p);
	cr_expect_eq(sent_rows(id), 200);
	cr_expect_eq(sql_ll("SELECT count(DISTINCT assignment_id) FROM sent_messages"
	    " WHERE request_id = '%s'", id), 200);
	h = calls("conversations.history");
	cr_expect_geq(json_object_array_length(h), 1, "the lost post was looked up");
	json_object_put(h);
}

/* ------------------------------------------------------------ stack database */

static void
stack_setup(void)
{
	own_db = 0;
	common_setup(th_env("DATABASE_URL"));
}

TestSuite(deliver_stack, .init = stack_setup, .fini = teardown, .timeout = 90);

/* Not in Slack: the email form with a decision link that opens through
 * nginx.  The stack's own worker delivers. */
Test(deliver_stack, users_not_found_emails_a_working_decision_link)
{
	char id[HUB_ID_LEN], url[1024];
	json_object *m = NULL;
	struct th_resp resp;
	const char *text, *s, *e;
	int i;

	PQclear(sql("DELETE FROM slack_connections"));
	add_app("app", 1);
	create("NOTFOUND", "[{\"kind\":\"email\",\"value\":\"ext@partner.example\"}]", "any",
	    "dm", NULL, id);
	for (i = 0; i < 200; i++) {
		m = th_fake("FAKE_SMTP_CONTROL_URL", "GET",
		    "/_fake/messages?rcpt=ext@partner.example", NULL);
		if (m != NULL && json_object_array_length(m) > 0)
			break;
		json_object_put(m);
		m = NULL;
		sleep_ms(100);
	}
	cr_assert_not_null(m, "no email");
	text = json_object_get_string(json_object_object_get(json_object_array_get_idx(m, 0),
	    "text"));
	cr_assert_not_null(text);
	s = strstr(text, "/decide/");
	cr_assert_not_null(s, "%s", text);
	for (e = s; *e && *e != ' ' && *e != '\r' && *e != '\n' && *e != '>' && *e != ')'; e++)
		;
	snprintf(url, sizeof(url), "%.*s", (int)(e - s), s);
	memset(&resp, 0, sizeof(resp));
	cr_assert_eq(th_http("GET", url, NULL, NULL, 0, &resp), 0);
	cr_expect_eq(resp.status, 200, "%s -> %ld", url, resp.status);
	th_resp_free(&resp);
	json_object_put(m);
	cr_expect_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND transport = 'email' AND kind = 'external_approver' AND status = 'delivered'",
	    id), 1);
	PQclear(sql("DELETE FROM slack_connections"));
}

/* ------------------------------------------------------------ through nginx */

/* GET /metrics through nginx; the body (caller frees). */
static char *
scrape(void)
{
	struct th_resp r;
	char *body;

	memset(&r, 0, sizeof(r));
	th_api("GET", "/metrics", NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(body = strdup(r.body));
	th_resp_free(&r);
	return body;
}

/* The value of one series ("name{labels}"), 0 when absent: the text
 * format has one "series value" line each. */
static long long
series_value(const char *body, const char *series)
{
	const char *p = body;
	size_t n = strlen(series);
	char *end;
	long long v;

	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, series, n) != 0 || p[n] != ' ')
			continue;
		errno = 0;
		v = strtoll(p + n + 1, &end, 10);
		cr_assert(errno == 0 && end != p + n + 1, "bad value: %.80s", p);
		return v;
	}
	return 0;
}

/* Every counter series of before is in after, not lower. */
static void
counters_never_decrease(const char *before, const char *after)
{
	static const char *const counters[] = { "hub_deliveries_total{", "hub_slack_errors_total{" };
	char series[512];
	const char *p, *sp;
	size_t i, seen = 0;

	for (p = before; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		for (i = 0; i < 2; i++)
			if (strncmp(p, counters[i], strlen(counters[i])) == 0)
				break;
		if (i == 2 || (sp = strchr(p, ' ')) == NULL)
			continue;
		snprintf(series, sizeof(series), "%.*s", (int)(sp - p), p);
		cr_expect_geq(series_value(after, series), series_value(before, series),
		    "%s went down", series);
		seen++;
	}
	cr_expect_gt(seen, 0, "no counter series to compare:\n%s", before);
}

/* A source of our own and its key, for POST /api/new-approval. */
static void
api_source(char *name, size_t namelen, char *key, size_t keylen)
{
	/* Each test is a fork of one process: the pid tells them apart. */
	snprintf(name, namelen, "src-%ld-%ld", (long)time(NULL), (long)getpid());
	th_source_key(name, key, keylen);
}

/* POST /api/new-approval with one approver; the answer's JSON (caller puts). */
static json_object *
api_create(const char *key, const char *approver, char id[HUB_ID_LEN])
{
	char body[1024];
	struct th_resp r;
	json_object *o;

	snprintf(body, sizeof(body), "{\"requester_name\": \"Rita Requester\", \"approver_id\":"
	    " \"%s\", \"justification_text\": \"new laptop\", \"metadata\": {}}", approver);
	memset(&r, 0, sizeof(r));
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	th_resp_free(&r);
	snprintf(id, HUB_ID_LEN, "%s", json_object_get_string(json_object_object_get(o, "id")));
	return o;
}

/* Wait for a delivery_log row of the request matching cond (SQL). */
static void
await_row(const char *id, const char *cond)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s' AND %s",
		    id, cond) > 0)
			return;
		sleep_ms(100);
	}
	cr_assert_fail("no delivery_log row of %s with %s", id, cond);
}

/* A Slack user of the fake with an id intake takes (U + 2 or more). */
static void
fake_user(const char *id)
{
	json_object_put(fake("POST", "/_fake/users", "[{\"id\":\"%s\",\"email\":"
	    "\"%s@example.com\",\"name\":\"%s\"}]", id, id, id));
}

/* A 429 that is then delivered stays counted: the counters are events,
 * not the rows' current state (which moved on to delivered). */
Test(deliver_stack, ratelimited_then_delivered_stays_counted)
{
	static const char rl[] = "hub_slack_errors_total{code=\"ratelimited\"}";
	static const char ok[] = "hub_deliveries_total{transport=\"slack\",status=\"delivered\"}";
	static const char retry[] = "hub_deliveries_total{transport=\"slack\",status=\"retrying\"}";
	char name[64], key[256], id[HUB_ID_LEN];
	char *a, *b, *c;

	PQclear(sql("DELETE FROM slack_connections"));
	add_app("app", 1);
	fake_user("URL1");
	api_source(name, sizeof(name), key, sizeof(key));
	a = scrape();
	json_object_put(fake("POST", "/_fake/ratelimit",
	    "{\"method\":\"chat.postMessage\",\"retry_after\":1,\"count\":1}"));
	json_object_put(api_create(key, "URL1", id));
	await_row(id, "transport = 'slack' AND status = 'delivered'");
	cr_assert_eq(sql_ll("SELECT count(*) FROM delivery_log WHERE request_id = '%s'"
	    " AND error_code IS NOT NULL", id), 0, "the row itself no longer shows the 429");
	b = scrape();
	cr_expect_geq(series_value(b, rl), series_value(a, rl) + 1, "ratelimited:\n%s", b);
	cr_expect_geq(series_value(b, retry), series_value(a, retry) + 1, "retrying:\n%s", b);
	cr_expect_geq(series_value(b, ok), series_value(a, ok) + 1, "delivered:\n%s", b);
	cr_expect(strstr(b, "# TYPE hub_slack_errors_total counter\n") != NULL);
	cr_expect(strstr(b, "# TYPE hub_delivery_rows gauge\n") != NULL);
	counters_never_decrease(a, b);
	/* Retention deleting history rows lowers the gauge, never a counter. */
	PQclear(sql("DELETE FROM delivery_log WHERE request_id = '%s'", id));
	c = scrape();
	counters_never_decrease(b, c);
	free(a);
	free(b);
	free(c);
	PQclear(sql("DELETE FROM slack_connections"));
}

/* No Slack connection at all: the approver is emailed (the default of
 * delivery.user_not_found), the history says why with the fix, /metrics
 * counts it, doctor warns, and the API's answer warns the caller. */
Test(deliver_stack, no_connection_emails_records_counts_and_warns)
{
	static const char nc[] = "hub_slack_errors_total{code=\"no_connection\"}";
	char name[64], key[256], admin[256], id[HUB_ID_LEN], id2[HUB_ID_LEN], email[128];
	char cmd[1024], path[256], line[1024], *a, *b;
	json_object *o, *w, *m = NULL, *rows, *row;
	struct th_resp r;
	const char *code, *detail, *text;
	int i, warned = 0, slack_row = 0, email_row = 0;
	FILE *f;

	PQclear(sql("DELETE FROM slack_connections"));
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" doctor 2>&1", th_env("top_builddir"));
	cr_assert_not_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "warn no Slack connection", 24) == 0 &&
		    strstr(line, "approvalhub connection add") != NULL &&
		    strstr(line, "/slack/install") != NULL)
			warned = 1;
	pclose(f);
	cr_expect(warned, "doctor printed no warning about the missing connection");

	api_source(name, sizeof(name), key, sizeof(key));
	th_admin_key(admin, sizeof(admin));
	snprintf(email, sizeof(email), "%s@partner.example", name);
	a = scrape();
	o = api_create(key, email, id);
	cr_assert(json_object_object_get_ex(o, "warnings", &w) &&
	    json_object_is_type(w, json_type_array) && json_object_array_length(w) == 1,
	    "%s", json_object_to_json_string(o));
	w = json_object_array_get_idx(w, 0);
	cr_expect_str_eq(jpath(w, "code", NULL), "no_slack_connection");
	cr_expect(strstr(jpath(w, "message", NULL), "approvalhub connection add") != NULL,
	    "%s", jpath(w, "message", NULL));
	json_object_put(o);

	snprintf(path, sizeof(path), "/_fake/messages?rcpt=%s", email);
	for (i = 0; i < 200; i++) {
		m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", path, NULL);
		if (m != NULL && json_object_array_length(m) > 0)
			break;
		json_object_put(m);
		m = NULL;
		sleep_ms(100);
	}
	cr_assert_not_null(m, "no email to %s", email);
	text = jpath(json_object_array_get_idx(m, 0), "text", NULL);
	cr_expect(text != NULL && strstr(text, "/decide/") != NULL, "no decision link: %s", text);
	json_object_put(m);

	await_row(id, "transport = 'email' AND status = 'delivered'");
	snprintf(path, sizeof(path), "/api/notifications?request_id=%s", id);
	th_api("GET", path, admin, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	th_resp_free(&r);
	cr_assert(json_object_object_get_ex(o, "notifications", &rows));
	for (i = 0; i < (int)json_object_array_length(rows); i++) {
		row = json_object_array_get_idx(rows, i);
		code = jpath(row, "error_code", NULL);
		detail = jpath(row, "error_detail", NULL);
		if (strcmp(jpath(row, "transport", NULL), "slack") == 0 && code != NULL &&
		    strcmp(code, "no_connection") == 0 &&
		    strcmp(jpath(row, "status", NULL), "failed") == 0 && detail != NULL &&
		    strstr(detail, "approvalhub connection add") != NULL &&
		    strstr(detail, "/slack/install") != NULL)
			slack_row++;
		if (strcmp(jpath(row, "transport", NULL), "email") == 0 &&
		    strcmp(jpath(row, "status", NULL), "delivered") == 0)
			email_row++;
	}
	cr_expect_eq(slack_row, 1, "%s", json_object_to_json_string(o));
	cr_expect_eq(email_row, 1, "%s", json_object_to_json_string(o));
	json_object_put(o);

	b = scrape();
	cr_expect_geq(series_value(b, nc), series_value(a, nc) + 1, "no_connection:\n%s", b);
	free(a);
	free(b);

	/* With a default connection the same call has nothing to warn about. */
	add_app("app", 1);
	fake_user("UNC1");
	o = api_create(key, "UNC1", id2);
	cr_expect(!json_object_object_get_ex(o, "warnings", NULL), "%s",
	    json_object_to_json_string(o));
	json_object_put(o);
	await_row(id2, "transport = 'slack' AND status = 'delivered'");
	PQclear(sql("DELETE FROM slack_connections"));
}

/* The default connection is disabled (`approvalhub connection disable`):
 * the request is created, its approver is emailed, and the API's answer
 * names the connection, the reason and how to enable it again. */
Test(deliver_stack, disabled_connection_warns_and_emails)
{
	char name[64], key[256], id[HUB_ID_LEN], email[128], cmd[1024];
	json_object *o, *w;
	const char *msg;

	PQclear(sql("DELETE FROM slack_connections"));
	add_app("offline-app", 1);
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" connection disable offline-app"
	    " --reason 'token under review' >/dev/null 2>&1", th_env("top_builddir"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);

	api_source(name, sizeof(name), key, sizeof(key));
	snprintf(email, sizeof(email), "%s@partner.example", name);
	o = api_create(key, email, id);
	cr_assert(json_object_object_get_ex(o, "warnings", &w) &&
	    json_object_is_type(w, json_type_array) && json_object_array_length(w) == 1,
	    "%s", json_object_to_json_string(o));
	w = json_object_array_get_idx(w, 0);
	cr_expect_str_eq(jpath(w, "code", NULL), "slack_connection_disabled");
	msg = jpath(w, "message", NULL);
	cr_expect(msg != NULL && strstr(msg, "offline-app") != NULL &&
	    strstr(msg, "token under review") != NULL &&
	    strstr(msg, "approvalhub connection enable offline-app") != NULL, "%s", msg);
	json_object_put(o);
	await_row(id, "transport = 'email' AND status = 'delivered'");

	/* Enabled again: no warning. */
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" connection enable offline-app"
	    " >/dev/null 2>&1", th_env("top_builddir"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	o = api_create(key, "UDIS1", id);
	cr_expect(!json_object_object_get_ex(o, "warnings", NULL), "%s",
	    json_object_to_json_string(o));
	json_object_put(o);
	PQclear(sql("DELETE FROM slack_connections"));
}

/* ------------------------------------------------------------ through the API */

/*
 * Requests made with POST /api/new-approval through nginx, on the stack's
 * database, delivered by the stack's worker.  Each test has a workspace
 * (team, token, connection, source, people) of its own, named in the
 * request, so nothing else on the stack mixes into what the fakes record;
 * nothing global (default connection, fake state) is changed.
 */
static void
api_setup(void)
{
	own_db = 0;
	dburl = th_env("DATABASE_URL");
	cr_assert_eq(hub_db_connect_limits(dburl, NULL, &db), HUB_DB_OK);
	keyring_setup();
	cr_assert_not_null(slack.http = hub_httpc_new());
	slack.api_url = th_env("SLACK_API_URL");
	slack.keyring = &keyring;
}

TestSuite(deliver_api, .init = api_setup, .fini = teardown, .timeout = 120);

struct ws {
	char	sfx[24];
	char	team[32];
	char	conn[48];
	char	hook[128];      /* the webhook's path, for webhook connections */
	char	key[128];       /* the source's API key */
};

static void
ws_make(struct ws *w, enum hub_conn_type type)
{
	static int k;
	unsigned char rb[4];
	char token[64], url[512], src[64];
	struct hub_conn_spec spec;
	struct hub_slack_result res;
	struct hub_conn c;
	int rc;

	memset(w, 0, sizeof(*w));
	cr_assert_eq(hub_random_bytes(rb, sizeof(rb)), HUB_CRYPTO_OK);
	snprintf(w->sfx, sizeof(w->sfx), "%X%02X%02X%02X%02X%X", (unsigned)getpid() & 0xFFFF,
	    rb[0], rb[1], rb[2], rb[3], ++k);
	snprintf(w->team, sizeof(w->team), "T%s", w->sfx);
	snprintf(w->conn, sizeof(w->conn), "api-%s", w->sfx);
	snprintf(token, sizeof(token), "xoxb-api-%s", w->sfx);
	memset(&spec, 0, sizeof(spec));
	spec.name = w->conn;
	spec.type = type;
	if (type == HUB_CONN_INCOMING_WEBHOOK) {
		snprintf(w->hook, sizeof(w->hook), "/services/%s/B1/hook", w->team);
		json_object_put(fake("POST", "/_fake/webhooks", "{\"path\":\"%s\","
		    "\"channel\":\"C%s\"}", w->hook, w->sfx));
		snprintf(url, sizeof(url), "%s%s", th_env("FAKE_SLACK_URL"), w->hook);
		spec.webhook_url = url;
	} else {
		json_object_put(fake("POST", "/_fake/tokens", "[{\"token\":\"%s\",\"team_id\":"
		    "\"%s\",\"team_name\":\"API %s\",\"bot_user_id\":\"UB%s\"}]", token, w->team,
		    w->sfx, w->sfx));
		spec.token = token;
	}
	hub_slack_result_init(&res);
	rc = hub_connections_add(db, &slack, &spec, &c, &res, NULL);
	cr_assert_eq(rc, HUB_CONN_OK, "add: %s (%s)", hub_conn_strerror(rc), res.error);
	hub_slack_result_free(&res);
	snprintf(src, sizeof(src), "src-%s", w->sfx);
	th_source_key(src, w->key, sizeof(w->key));
}

/* A person of the workspace the fake knows (Slack user id out). */
static void
ws_user(const struct ws *w, const char *tag, char *id, size_t n)
{
	snprintf(id, n, "U%s%s", tag, w->sfx);
	json_object_put(fake("POST", "/_fake/users", "[{\"id\":\"%s\",\"team\":\"%s\","
	    "\"name\":\"%s\"}]", id, w->team, tag));
}

/* POST /api/new-approval on the workspace's connection; approvers is the
 * JSON of the approver fields. */
static void
ws_create(const struct ws *w, const char *approvers, char id[HUB_ID_LEN])
{
	struct th_resp r;
	json_object *o, *v;
	char body[2048];

	snprintf(body, sizeof(body), "{\"requester_name\":\"Rita Requester\","
	    "\"justification_text\":\"old one broke\",\"title\":\"Laptop\","
	    "\"metadata\":{\"amount\":1200},\"connection\":\"%s\",%s}", w->conn, approvers);
	th_api("POST", "/api/new-approval", w->key, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	cr_assert(json_object_object_get_ex(o, "id", &v), "%s", r.body);
	snprintf(id, HUB_ID_LEN, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

/* Until no notify or sync job of the request waits or runs. */
static void
await_request(const char *id, long ms)
{
	long waited;

	for (waited = 0; waited < ms; waited += 100) {
		if (sql_ll("SELECT count(*) FROM jobs WHERE kind IN ('notify', 'sync')"
		    " AND payload->>'request_id' = '%s' AND state IN ('queued', 'running')",
		    id) == 0)
			return;
		sleep_ms(100);
	}
	cr_assert_fail("jobs of %s still pending after %ld ms", id, ms);
}

/* Successful chat.postMessage calls to channel (a user id: the DM). */
static json_object *
posts_to(const char *channel)
{
	json_object *all = calls("chat.postMessage"), *out = json_object_new_array(), *c;
	size_t i;

	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		if (call_ok(c) && strcmp(arg(c, "channel"), channel) == 0)
			json_object_array_add(out, json_object_get(c));
	}
	json_object_put(all);
	return out;
}

static int
has_buttons(json_object *call)
{
	json_object *args = json_object_object_get(call, "args");

	return strstr(json_object_to_json_string(json_object_object_get(args, "blocks")),
	    "hub_approve") != NULL;
}

/* After a reassign the new approver has one card to decide from, and the
 * old approver's card is updated to lose its buttons. */
Test(deliver_api, reassign_one_card_for_the_new_approver_and_the_old_one_closed)
{
	struct ws w;
	char id[HUB_ID_LEN], old[48], neu[48], body[256], path[128], ch[48], ts[48];
	json_object *p, *msgs, *m;
	struct th_resp r;
	size_t i, cards = 0;
	int tries, found = 0;

	ws_make(&w, HUB_CONN_SLACK_APP);
	ws_user(&w, "OLD", old, sizeof(old));
	ws_user(&w, "NEW", neu, sizeof(neu));
	snprintf(body, sizeof(body), "\"approver_id\":\"%s\"", old);
	ws_create(&w, body, id);
	await_request(id, 30000);
	p = posts_to(old);
	cr_assert_eq(json_object_array_length(p), 1, "the first approver's card");
	cr_assert(has_buttons(json_object_array_get_idx(p, 0)));
	snprintf(ch, sizeof(ch), "%s", jpath(json_object_array_get_idx(p, 0), "response",
	    "channel"));
	snprintf(ts, sizeof(ts), "%s", jpath(json_object_array_get_idx(p, 0), "response", "ts"));
	json_object_put(p);

	snprintf(path, sizeof(path), "/api/requests/%s/reassign", id);
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\"}", old, neu);
	th_api("POST", path, w.key, NULL, body, &r);
	json_object_put(th_expect(&r, 200, NULL));
	th_resp_free(&r);
	for (tries = 0; tries < 300; tries++) {
		await_request(id, 30000);
		p = posts_to(neu);
		found = json_object_array_length(p) > 0;
		json_object_put(p);
		if (found)
			break;
		sleep_ms(100);
	}
	cr_assert(found, "nothing reached the new approver");
	sleep_ms(1000);   /* a second card would be on its way by now */
	await_request(id, 30000);

	p = posts_to(neu);
	for (i = 0; i < json_object_array_length(p); i++)
		cards += has_buttons(json_object_array_get_idx(p, i));
	cr_expect_eq(cards, 1, "cards with buttons to the new approver: %zu of %zu posts", cards,
	    json_object_array_length(p));
	json_object_put(p);

	snprintf(path, sizeof(path), "/_fake/messages?channel=%s", ch);
	msgs = fake("GET", path, NULL);
	found = 0;
	for (i = 0; i < json_object_array_length(msgs); i++) {
		m = json_object_array_get_idx(msgs, i);
		if (strcmp(jpath(m, "ts", NULL), ts) != 0)
			continue;
		found = 1;
		cr_expect(json_object_object_get_ex(m, "edited", NULL), "the old card was not updated");
		cr_expect(strstr(json_object_to_json_string(json_object_object_get(m, "blocks")),
		    "hub_approve") == NULL, "the old card keeps its buttons: %s",
		    json_object_to_json_string(m));
	}
	cr_expect(found, "the old card is gone");
	json_object_put(msgs);
}

/* The link inside an email's text, "/decide/…" (malloc'd). */
static char *
link_in(json_object *mail)
{
	const char *text = jpath(mail, "text", NULL), *s, *e;

	cr_assert_not_null(text);
	s = strstr(text, "/decide/");
	cr_assert_not_null(s, "no decision link in: %s", text);
	for (e = s; *e && *e != ' ' && *e != '\r' && *e != '\n' && *e != '>' && *e != ')'; e++)
		;
	return strndup(s, (size_t)(e - s));
}

/* A webhook with three approvers: the channel post names them all and holds
 * no link; each gets their own link by email, and one decides with it. */
Test(deliver_api, webhook_three_approvers_each_get_their_own_link_by_email)
{
	static const char *const who[] = { "ann", "bob", "cy" };
	struct ws w;
	char id[HUB_ID_LEN], addr[3][96], body[1024], q[400], origin[512], *links[3];
	const char *hdrs[] = { "Content-Type: application/x-www-form-urlencoded", origin, NULL };
	json_object *all, *c, *m;
	struct th_resp r;
	const char *post;
	size_t i, n = 0;
	int tries;

	ws_make(&w, HUB_CONN_INCOMING_WEBHOOK);
	for (i = 0; i < 3; i++) {
		snprintf(addr[i], sizeof(addr[i]), "%s-%s@example.com", who[i], w.sfx);
		for (char *a = addr[i]; *a != '\0'; a++)   /* as the hub keeps emails */
			if (*a >= 'A' && *a <= 'Z')
				*a = (char)(*a - 'A' + 'a');
	}
	for (i = 0; i < 3; i++)
		for (size_t j = i + 1; j < 3; j++)
			cr_assert_str_neq(addr[i], addr[j]);
	snprintf(body, sizeof(body), "\"approvers\":[\"%s\",\"%s\",\"%s\"],\"rule\":\"any\"",
	    addr[0], addr[1], addr[2]);
	ws_create(&w, body, id);
	await_request(id, 30000);

	all = fake("GET", "/_fake/calls", NULL);
	for (i = 0; i < json_object_array_length(all); i++) {
		c = json_object_array_get_idx(all, i);
		if (strcmp(jpath(c, "kind", NULL), "webhook") != 0 ||
		    jpath(c, "path", NULL) == NULL || strcmp(jpath(c, "path", NULL), w.hook) != 0)
			continue;
		n++;
		cr_expect_eq(json_object_get_int(json_object_object_get(c, "status")), 200);
		post = json_object_to_json_string_ext(json_object_object_get(c, "args"),
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		cr_expect(strstr(post, "/decide/") == NULL, "a decision link in the channel: %s",
		    post);
		cr_expect(strstr(post, "each was sent a personal link by email") != NULL,
		    "how they were reached: %s", post);
		for (size_t j = 0; j < 3; j++)
			cr_expect(strstr(post, addr[j]) != NULL, "%s not named: %s", addr[j], post);
	}
	json_object_put(all);
	cr_expect_eq(n, 1, "webhook posts: %zu", n);

	for (i = 0; i < 3; i++) {
		snprintf(q, sizeof(q), "/_fake/messages?rcpt=%s", addr[i]);
		for (tries = 0; tries < 100; tries++) {
			m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", q, NULL);
			if (m != NULL && json_object_array_length(m) > 0)
				break;
			json_object_put(m);
			m = NULL;
			sleep_ms(100);
		}
		cr_assert_not_null(m, "no email to %s", addr[i]);
		cr_assert_eq(json_object_array_length(m), 1, "emails to %s", addr[i]);
		links[i] = link_in(json_object_array_get_idx(m, 0));
		json_object_put(m);
	}
	cr_expect_str_neq(links[0], links[1]);
	cr_expect_str_neq(links[1], links[2]);
	cr_expect_str_neq(links[0], links[2]);

	/* Bob decides with his own link, through nginx. */
	snprintf(origin, sizeof(origin), "Origin: %s", th_env("HUB_URL"));
	cr_assert_eq(th_http("POST", links[1], hdrs, "decision=approve&reason=",
	    strlen("decision=approve&reason="), &r), 0);
	cr_expect_eq(r.status, 303, "%ld: %s", r.status, r.body);
	th_resp_free(&r);
	cr_expect_eq(sql_ll("SELECT count(*) FROM requests WHERE id = '%s' AND status ="
	    " 'Approved' AND decided_by = '%s'", id, addr[1]), 1);
	for (i = 0; i < 3; i++)
		free(links[i]);
}
