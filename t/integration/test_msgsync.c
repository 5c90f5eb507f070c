/*
 * test_msgsync.c - the "sync" job against the fake Slack: every sent copy
 * of a call for action follows the request (decided / no action required
 * / progress / cancelled), a second run costs no call, a message Slack
 * lost is dropped, a 429 leaves the rest for a retry without repeating
 * what was done, webhook copies are skipped, finished requests refresh
 * Home tabs; and the retention sweep.
 *
 * Each test has its own database (th_db_create), so the stack's worker
 * never runs these jobs: the test runs the handler itself, as the worker
 * would, and sees every verdict.  Copies are made the way delivery makes
 * them: chat.postMessage to the fake (so it knows the message) plus a
 * sent_messages row.  Each test has its own team, so the fake's rate
 * windows and the recorded calls of other tests never mix in.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/engine.h"
#include "base/httpc.h"
#include "store/job.h"
#include "base/json.h"
#include "notify/msgsync.h"
#include "testlib.h"

#define NAPPROVERS	3

static struct hub_conf conf;
static struct hub_keyring keyring;
static struct th_db fresh;
static struct hub_db *db;
static char team[12], bot_user[12], token[64], conn_id[40], source_id[40];
static char users[NAPPROVERS][12];

enum t_stmt {
	T_CONN_ADD,
	T_WEBHOOK_ADD,
	T_SOURCE_ADD,
	T_ASSIGNMENTS,
	T_SENT_ADD,
	T_SENT_STATE,
	T_JOBS_OF,
	T_HOME_MARKS,
	T_HOME_MARKED,
	T_BUCKETS_CLEAR,
	T_BUCKET_ONE,
	T_SENT_AGED,
	T_CACHE_ADD,
	T_COUNT_SENT,
	T_COUNT_CACHE,
	T_SETTING,
	T_SENT_UNASSIGN,
	T_LOCK,
	T_UNLOCK,
	T_CONN_DISABLED,
	T_COPIES,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	/* name, team, bot user, sealed token */
	[T_CONN_ADD] = {
	    "INSERT INTO slack_connections (name, type, team_id, bot_user_id, bot_token_enc,"
	    " is_default) VALUES ($1, 'SLACK_APP', $2, $3, $4, true) RETURNING id", 4 },
	/* name, sealed webhook URL */
	[T_WEBHOOK_ADD] = {
	    "INSERT INTO slack_connections (name, type, webhook_url_enc)"
	    " VALUES ($1, 'INCOMING_WEBHOOK', $2) RETURNING id", 2 },
	[T_SOURCE_ADD] = { "INSERT INTO sources (name) VALUES ($1) RETURNING id", 1 },
	/* assignment ids and approvers of a request, in creation order */
	[T_ASSIGNMENTS] = {
	    "SELECT id, approver_value FROM assignments WHERE request_id = $1::uuid"
	    " ORDER BY id", 1 },
	/* request, assignment (NULL), connection, channel, ts, kind */
	[T_SENT_ADD] = {
	    "INSERT INTO sent_messages (request_id, assignment_id, connection_id, channel, ts,"
	    " kind) VALUES ($1::uuid, $2::bigint, $3::uuid, $4, $5, $6)", 6 },
	/* shown hash set?, gone reason, by channel */
	[T_SENT_STATE] = {
	    "SELECT channel, shown_hash IS NOT NULL, coalesce(gone_reason, '')"
	    " FROM sent_messages WHERE request_id = $1::uuid ORDER BY id", 1 },
	[T_JOBS_OF] = {
	    "SELECT count(*) FROM jobs WHERE kind = $2 AND payload->>'request_id' = $1", 2 },
	[T_HOME_MARKS] = {
	    "SELECT slack_user_id FROM home_publish WHERE connection_id = $1::uuid"
	    " ORDER BY 1", 1 },
	/* marks of the connection's Home tabs that are (not) dirty: marked
	 * again while their publish was queued or in flight */
	[T_HOME_MARKED] = {
	    "SELECT count(*) FROM home_publish WHERE connection_id = $1::uuid"
	    " AND in_flight AND dirty = $2::boolean", 2 },
	/* time passes: the 429 block our buckets took is over */
	[T_BUCKETS_CLEAR] = { "DELETE FROM rate_buckets", 0 },
	/* the team's chat.update bucket (Tier 3) down to its last token */
	[T_BUCKET_ONE] = {
	    "INSERT INTO rate_buckets (bucket, tokens, capacity, refill_per_s,"
	    " next_allowed_at, updated_at) VALUES ($1 || ':chat.update', 1, 50, 50.0 / 60,"
	    " now(), now())", 1 },
	/* request, connection, channel, ts, age in days */
	[T_SENT_AGED] = {
	    "INSERT INTO sent_messages (request_id, connection_id, channel, ts, kind,"
	    " created_at) VALUES ($1::uuid, $2::uuid, $3, $4, 'call_for_action',"
	    " now() - make_interval(days => $5::integer))", 5 },
	/* connection, email, expires in minutes (negative: expired) */
	[T_CACHE_ADD] = {
	    "INSERT INTO slack_user_cache (connection_id, email, slack_user_id, expires_at)"
	    " VALUES ($1::uuid, $2, 'U0CACHED', now() + make_interval(mins => $3::integer))", 3 },
	[T_COUNT_SENT] = {
	    "SELECT coalesce(string_agg(ts, ',' ORDER BY ts), '') FROM sent_messages", 0 },
	[T_COUNT_CACHE] = {
	    "SELECT coalesce(string_agg(email, ',' ORDER BY email), '') FROM slack_user_cache", 0 },
	[T_SETTING] = {
	    "INSERT INTO settings (key, value) VALUES ($1, $2::jsonb)"
	    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", 2 },
	/* channel, ts: the row stands for several people */
	[T_SENT_UNASSIGN] = {
	    "UPDATE sent_messages SET assignment_id = NULL WHERE channel = $1 AND ts = $2", 2 },
	/* what a sync already running on the request holds (msgsync.c) */
	[T_LOCK] = {
	    "SELECT pg_advisory_lock(hashtextextended('hub_msgsync:' || $1, 0))", 1 },
	[T_UNLOCK] = {
	    "SELECT pg_advisory_unlock(hashtextextended('hub_msgsync:' || $1, 0))", 1 },
	/* what delivery recorded: channel, ts per call-for-action copy */
	[T_COPIES] = {
	    "SELECT m.channel, m.ts, a.approver_value FROM sent_messages m"
	    " JOIN assignments a ON a.id = m.assignment_id"
	    " WHERE m.request_id = $1::uuid AND m.kind = 'call_for_action'"
	    " ORDER BY a.approver_value", 1 },
	[T_CONN_DISABLED] = {
	    "SELECT disabled FROM slack_connections WHERE id = $1::uuid", 1 },
};

static const struct hub_stmt_table t_table = { "tmsync", t_stmts, T__MAX };

/* ------------------------------------------------------------ helpers */

static PGresult *
tq(int stmt, const char *a, const char *b, const char *c, const char *d, const char *e,
    const char *f)
{
	const char *p[6] = { a, b, c, d, e, f };
	PGresult *r = NULL;

	cr_assert_eq(hub_db_exec(db, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s", stmt,
	    hub_db_last_error(db));
	return r;
}

static long long
tq_ll(int stmt, const char *a, const char *b)
{
	PGresult *r = tq(stmt, a, b, NULL, NULL, NULL, NULL);
	char *end;
	long long v;

	cr_assert_eq(PQntuples(r), 1);
	errno = 0;
	v = strtoll(PQgetvalue(r, 0, 0), &end, 10);
	cr_assert(errno == 0 && *end == '\0');
	PQclear(r);
	return v;
}

static char *
tq_str(int stmt, const char *a)
{
	PGresult *r = tq(stmt, a, NULL, NULL, NULL, NULL, NULL);
	char *s;

	cr_assert_eq(PQntuples(r), 1);
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

static void
rand_id(char *out, size_t n, char first)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[32];
	size_t i;

	cr_assert_lt(n, sizeof(r));
	cr_assert_eq(getrandom(r, n, 0), (ssize_t)n);
	out[0] = first;
	for (i = 1; i < n - 1; i++)
		out[i] = al[r[i] % (sizeof(al) - 1)];
	out[n - 1] = '\0';
}

static void
fake_post(const char *path, const char *body)
{
	json_object *o = th_fake("FAKE_SLACK_URL", "POST", path, body);

	cr_assert_not_null(o, "fake %s", path);
	json_object_put(o);
}

static void
setup(void)
{
	struct hub_buf sealed = HUB_BUF_INIT(4096);
	char err[256], body[512], name[32];
	PGresult *r;
	int i;

	cr_assert_eq(hub_conf_load(&conf, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	    err, sizeof(err)), 0, "%s", err);
	memset(&keyring, 0, sizeof(keyring));
	cr_assert_eq(hub_keyring_add(&keyring, conf.secret_key), HUB_CRYPTO_OK);
	th_db_create(&fresh);
	cr_assert_eq(hub_db_connect_limits(fresh.url, NULL, &db), HUB_DB_OK);

	rand_id(team, sizeof(team), 'T');
	rand_id(bot_user, sizeof(bot_user), 'U');
	snprintf(token, sizeof(token), "xoxb-msync-%s", team);
	cr_assert_eq(hub_box_seal(&keyring, token, strlen(token), &sealed), HUB_CRYPTO_OK);
	snprintf(name, sizeof(name), "ws-%s", team);
	r = tq(T_CONN_ADD, name, team, bot_user, hub_buf_str(&sealed), NULL, NULL);
	snprintf(conn_id, sizeof(conn_id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	hub_buf_release(&sealed);
	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\",\"team_name\":\"T\","
	    "\"bot_user_id\":\"%s\",\"bot_id\":\"B0MSYNC\"}]", token, team, bot_user);
	fake_post("/_fake/tokens", body);
	for (i = 0; i < NAPPROVERS; i++) {
		rand_id(users[i], sizeof(users[i]), 'U');
		snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"team\":\"%s\",\"name\":\"a%d\"}]",
		    users[i], team, i);
		fake_post("/_fake/users", body);
	}
	r = tq(T_SOURCE_ADD, "erp", NULL, NULL, NULL, NULL, NULL);
	snprintf(source_id, sizeof(source_id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void
teardown(void)
{
	fake_post("/_fake/config", "{\"rate_limits\": false,"
	    " \"method_limits\": {\"chat.update\": null}}");
	hub_db_close(db);
	db = NULL;
	th_db_drop(&fresh);
	hub_conf_free(&conf);
}

TestSuite(msgsync, .init = setup, .fini = teardown, .timeout = 90);

static const struct hub_actor api_actor = { "api", "erp-key", NULL, "ERP", "api" };

/* A one-step request for the NAPPROVERS users under rule ("any", "all"). */
static void
create(const char *rule, char id[HUB_ID_LEN])
{
	struct hub_outcome o;
	struct hub_engine_error err;
	char buf[4096], ext[24];
	json_object *req;
	int rc;

	rand_id(ext, 12, 'X');
	snprintf(buf, sizeof(buf),
	    "{\"request_source\": null, \"external_id\": \"%s\", \"idempotency_key\": null,"
	    " \"title\": \"New laptop\", \"requester_name\": \"Rita Requester\","
	    " \"requester_email\": \"rita@example.com\", \"requester_slack_id\": null,"
	    " \"justification\": \"old one broke\", \"metadata\": {\"amount\": 1200},"
	    " \"preset\": null, \"steps\": [{\"rule\": \"%s\", \"quorum\": null,"
	    "  \"approvers\": [{\"kind\": \"slack\", \"value\": \"%s\"},"
	    "   {\"kind\": \"slack\", \"value\": \"%s\"}, {\"kind\": \"slack\", \"value\": \"%s\"}],"
	    "  \"delivery\": null, \"channel\": null, \"connection\": null}],"
	    " \"deadline\": null, \"reminder_every\": null, \"valid_for\": null,"
	    " \"callback_url\": null, \"watchers\": [], \"delivery\": null,"
	    " \"channel\": null, \"connection\": null}",
	    ext, rule, users[0], users[1], users[2]);
	req = json_tokener_parse(buf);
	cr_assert_not_null(req, "bad test JSON: %s", buf);
	memset(&err, 0, sizeof(err));
	rc = hub_engine_create(db, source_id, req, &api_actor, &o, &err);
	json_object_put(req);
	cr_assert_eq(rc, HUB_ENGINE_OK, "create: %s (%s: %s) %s", hub_engine_strerror(rc),
	    err.field, err.message, hub_db_last_error(db));
	snprintf(id, HUB_ID_LEN, "%s", o.id);
}

static void
decide(const char *id, int who, int approve)
{
	static const char *const names[] = { "Ana Lopez", "Ben Okafor", "Chloe Wu" };
	struct hub_actor a = { "slack", users[who], team, names[who], "slack" };
	struct hub_engine_error err;
	struct hub_outcome o;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = hub_engine_decide(db, id, 0, &a, approve, approve ? NULL : "too expensive", NULL,
	    &o, &err);
	cr_assert_eq(rc, HUB_ENGINE_OK, "decide: %s (%s)", hub_engine_strerror(rc), err.message);
}

/* A sent copy: the message as delivery posts it (text, an actions block
 * with Approve/Reject), and its row. */
struct copy {
	char	channel[32];
	char	ts[32];
	char	asg[24];
};

static void
post_message(const char *channel, struct copy *c)
{
	struct th_resp resp;
	char url[512], auth[128];
	const char *hdrs[] = { "Content-Type: application/json; charset=utf-8", auth, NULL };
	char body[1024];
	json_object *o;
	const char *s;

	snprintf(url, sizeof(url), "%s/api/chat.postMessage", th_env("FAKE_SLACK_URL"));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(body, sizeof(body), "{\"channel\":\"%s\",\"text\":\"Approval required\","
	    "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","
	    "\"text\":\"*Approval required*\"}},{\"type\":\"actions\",\"block_id\":\"hub_actions:x\","
	    "\"elements\":[{\"type\":\"button\",\"action_id\":\"hub_approve\",\"text\":"
	    "{\"type\":\"plain_text\",\"text\":\"Approve\"},\"value\":\"x\"},{\"type\":\"button\","
	    "\"action_id\":\"hub_reject\",\"text\":{\"type\":\"plain_text\",\"text\":\"Reject\"},"
	    "\"value\":\"x\"}]}]}", channel);
	cr_assert_eq(th_http("POST", url, hdrs, body, strlen(body), &resp), 0);
	cr_assert_eq(resp.status, 200);
	o = th_json(&resp);
	cr_assert_not_null(o);
	cr_assert_eq(hub_json_get_string(o, "channel", 31, &s), HUB_JSON_OK, "%s", resp.body);
	snprintf(c->channel, sizeof(c->channel), "%s", s);
	cr_assert_eq(hub_json_get_string(o, "ts", 31, &s), HUB_JSON_OK);
	snprintf(c->ts, sizeof(c->ts), "%s", s);
	json_object_put(o);
	th_resp_free(&resp);
}

/* One DM per approver, with its sent_messages row. */
static void
post_copies(const char *id, struct copy c[NAPPROVERS])
{
	PGresult *r = tq(T_ASSIGNMENTS, id, NULL, NULL, NULL, NULL, NULL);
	int i;

	cr_assert_eq(PQntuples(r), NAPPROVERS);
	for (i = 0; i < NAPPROVERS; i++) {
		cr_assert_str_eq(PQgetvalue(r, i, 1), users[i]);
		snprintf(c[i].asg, sizeof(c[i].asg), "%s", PQgetvalue(r, i, 0));
		post_message(users[i], &c[i]);
		PQclear(tq(T_SENT_ADD, id, c[i].asg, conn_id, c[i].channel, c[i].ts,
		    "call_for_action"));
	}
	PQclear(r);
}

/* Run the sync handler for the request as the worker would; buckets:
 * with the rate buckets as they are, else with Slack's whole chat.update
 * budget (most tests look at other things than our bucket's refusal);
 * first: the first run of a job a change queued, else a job put back. */
static int
run_sync_job(const char *id, struct hub_job_result *res, int buckets, int first)
{
	static volatile sig_atomic_t stop;
	struct hub_job_env env = { .db = db, .keys = &keyring, .conf = &conf, .stop = &stop,
	    .lease_s = 60 };
	struct hub_job job;

	if (!buckets)
		PQclear(PQexec(hub_db_conn(db), "DELETE FROM rate_buckets"));
	memset(&job, 0, sizeof(job));
	memset(res, 0, sizeof(*res));
	res->retry_after = -1;
	job.id = 1;
	job.max_attempts = 10;
	job.first_run = first;
	snprintf(job.kind, sizeof(job.kind), "sync");
	job.payload = json_object_new_object();
	json_object_object_add(job.payload, "request_id", json_object_new_string(id));
	cr_assert_not_null(env.http = hub_httpc_new());
	hub_job_sync(&env, &job, res);
	hub_httpc_free(env.http);
	json_object_put(job.payload);
	return res->verdict;
}

static int
run_sync_buckets(const char *id, struct hub_job_result *res, int buckets)
{
	return run_sync_job(id, res, buckets, 1);
}

static int
run_sync(const char *id, struct hub_job_result *res)
{
	return run_sync_buckets(id, res, 0);
}

/* The fake's current message (channel, ts) as JSON text: blocks + text. */
static char *
shown(const struct copy *c)
{
	char path[128];
	json_object *list, *m, *v;
	const char *ts;
	char *out = NULL;
	size_t i;

	snprintf(path, sizeof(path), "/_fake/messages?channel=%s", c->channel);
	list = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
	cr_assert(list != NULL && json_object_is_type(list, json_type_array));
	for (i = 0; i < json_object_array_length(list); i++) {
		m = json_object_array_get_idx(list, i);
		if (hub_json_get_string(m, "ts", 64, &ts) == HUB_JSON_OK && strcmp(ts, c->ts) == 0) {
			json_object *o = json_object_new_object();

			if (json_object_object_get_ex(m, "text", &v))
				json_object_object_add(o, "text", json_object_get(v));
			if (json_object_object_get_ex(m, "blocks", &v))
				json_object_object_add(o, "blocks", json_object_get(v));
			out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
		}
	}
	json_object_put(list);
	cr_assert_not_null(out, "no message %s in %s", c->ts, c->channel);
	return out;
}

/* chat.update calls recorded for a channel since seq (exclusive); *last
 * gets the highest seq seen (may be NULL).  Only calls Slack answered ok
 * count when ok_only. */
static int
updates(const char *channel, long long since, int ok_only, long long *last)
{
	json_object *list, *call, *args, *resp, *v;
	const char *ch;
	size_t i;
	int n = 0;

	list = th_fake("FAKE_SLACK_URL", "GET", "/_fake/calls?method=chat.update", NULL);
	cr_assert(list != NULL && json_object_is_type(list, json_type_array));
	for (i = 0; i < json_object_array_length(list); i++) {
		long long seq;

		call = json_object_array_get_idx(list, i);
		seq = json_object_object_get_ex(call, "seq", &v) ? json_object_get_int64(v) : 0;
		if (last != NULL && seq > *last)
			*last = seq;
		if (seq <= since || !json_object_object_get_ex(call, "args", &args) ||
		    hub_json_get_string(args, "channel", 64, &ch) != HUB_JSON_OK ||
		    (channel != NULL && strcmp(ch, channel) != 0))
			continue;
		if (ok_only && (!json_object_object_get_ex(call, "response", &resp) ||
		    !json_object_object_get_ex(resp, "ok", &v) || !json_object_get_boolean(v)))
			continue;
		n++;
	}
	json_object_put(list);
	return n;
}

static long long
last_seq(void)
{
	long long seq = 0;

	updates(NULL, 0, 0, &seq);
	return seq;
}

#define HAS(s, x)	(strstr((s), (x)) != NULL)

/* A sync of a request whose cards are all up to date (first: its first
 * run) waits on PostgreSQL twice: its lock with what it reads, and the
 * unlock. */
static void
expect_repeat_in_two_turns(const char *id, int first)
{
	struct hub_job_result res;
	FILE *trace = tmpfile();
	int turns;

	cr_assert_not_null(trace);
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(run_sync_job(id, &res, 1, first), HUB_JOB_DONE, "%s", res.detail);
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	turns = th_trace_turns(trace);
	fclose(trace);
	cr_expect_eq(turns, 2, "lock and read, unlock: %d", turns);
	cr_expect_str_eq(res.detail, "0 updated, 3 unchanged, 0 webhook, 0 disabled,"
	    " 0 gone, 0 failed");
}

/* ------------------------------------------------------------ tests */

Test(msgsync, any_rule_decided_copy_and_no_action_on_the_others)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], *s;
	long long seq;
	int i;

	create("any", id);
	post_copies(id, c);
	decide(id, 0, 1);
	cr_expect_geq(tq_ll(T_JOBS_OF, id, "sync"), 1, "the engine queues a sync");
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_str_eq(res.detail, "3 updated, 0 unchanged, 0 webhook, 0 disabled, 0 gone,"
	    " 0 failed");

	s = shown(&c[0]);
	cr_expect(HAS(s, "Approved") && HAS(s, "by Ana Lopez"), "decided copy: %s", s);
	cr_expect(!HAS(s, "No action required"), "decided copy: %s", s);
	cr_expect(!HAS(s, "hub_approve") && !HAS(s, "\"actions\""), "buttons left: %s", s);
	free(s);
	for (i = 1; i < NAPPROVERS; i++) {
		s = shown(&c[i]);
		cr_expect(HAS(s, "No action required — Approved by Ana Lopez") ||
		    HAS(s, "No action required — *Approved* by Ana Lopez"), "copy %d: %s", i, s);
		cr_expect(!HAS(s, "hub_approve") && !HAS(s, "hub_reject"), "buttons left: %s", s);
		free(s);
	}
	for (i = 0; i < NAPPROVERS; i++)
		cr_expect_eq(updates(c[i].channel, seq, 1, NULL), 1, "copy %d: one chat.update", i);

	/* A finished request leaves the approvers' Home tabs. */
	{
		PGresult *r = tq(T_HOME_MARKS, conn_id, NULL, NULL, NULL, NULL, NULL);

		cr_expect_eq(PQntuples(r), NAPPROVERS, "home marks: %d", PQntuples(r));
		PQclear(r);
	}

	/* A second sync job changes nothing and costs no call. */
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_str_eq(res.detail, "0 updated, 3 unchanged, 0 webhook, 0 disabled, 0 gone,"
	    " 0 failed");
	cr_expect_eq(updates(NULL, seq, 0, NULL), 0, "no chat.update on a repeat");

	/* Such a sync, put back before (not its first run: the Home tabs
	 * were refreshed then), waits on PostgreSQL twice: its lock with
	 * what it reads (the request, its steps, assignments and copies:
	 * five statements in one round trip), and the unlock. */
	expect_repeat_in_two_turns(id, 0);
}

/* The card a reassigned-to approver gets (approver_added) follows the
 * request like every card that asks to decide, and keeps its own words
 * while it still asks. */
Test(msgsync, approver_added_copy_follows_and_keeps_its_words)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], *s;
	PGresult *r;
	int i;

	create("all", id);
	r = tq(T_ASSIGNMENTS, id, NULL, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), NAPPROVERS);
	for (i = 0; i < NAPPROVERS; i++) {
		snprintf(c[i].asg, sizeof(c[i].asg), "%s", PQgetvalue(r, i, 0));
		post_message(users[i], &c[i]);
		PQclear(tq(T_SENT_ADD, id, c[i].asg, conn_id, c[i].channel, c[i].ts,
		    i == 0 ? "approver_added" : "call_for_action"));
	}
	PQclear(r);

	decide(id, 1, 1);
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	s = shown(&c[0]);
	cr_expect(HAS(s, "You were added as an approver.") && HAS(s, "waiting for you"),
	    "live approver_added card: %s", s);
	cr_expect(HAS(s, "hub_approve"), "buttons gone from a live card: %s", s);
	free(s);
	s = shown(&c[2]);
	cr_expect(HAS(s, "asks for your approval") && HAS(s, "waiting for you"), "%s", s);
	free(s);

	decide(id, 0, 1);
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	s = shown(&c[0]);
	cr_expect(HAS(s, "by Ana Lopez") && !HAS(s, "hub_approve"), "decided card: %s", s);
	free(s);
}

Test(msgsync, all_rule_progress_then_cancel)
{
	struct hub_job_result res;
	struct hub_outcome o;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], *s;
	long long seq;
	int i;

	create("all", id);
	post_copies(id, c);
	decide(id, 1, 1);
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);

	/* the approver's own copy: its decision and the tally, no buttons */
	s = shown(&c[1]);
	cr_expect(HAS(s, "Approved") && HAS(s, "by Ben Okafor"), "own copy: %s", s);
	cr_expect(HAS(s, "Approved: 1 of 3"), "own copy shows the tally: %s", s);
	cr_expect(!HAS(s, "waiting for you"), "own copy: %s", s);
	cr_expect(!HAS(s, "hub_approve"), "own copy keeps buttons: %s", s);
	free(s);
	/* the others: progress, buttons kept */
	for (i = 0; i < NAPPROVERS; i += 2) {
		s = shown(&c[i]);
		cr_expect(HAS(s, "Approved: 1 of 3 — waiting for you") ||
		    HAS(s, "Approved: 1 of 3* — waiting for you"), "copy %d: %s", i, s);
		cr_expect(HAS(s, "hub_approve") && HAS(s, "hub_reject"), "copy %d lost buttons: %s",
		    i, s);
		free(s);
	}
	cr_expect_eq(updates(NULL, seq, 1, NULL), 3);

	/* Home tabs stay until the request finishes. */
	{
		PGresult *r = tq(T_HOME_MARKS, conn_id, NULL, NULL, NULL, NULL, NULL);

		cr_expect_eq(PQntuples(r), 0, "a pending request republished Home tabs");
		PQclear(r);
	}
	/* A first run asks whose tabs to refresh in the round trip of its
	 * reads: nobody's yet, and no round trip more. */
	expect_repeat_in_two_turns(id, 1);

	cr_assert_eq(hub_engine_cancel(db, id, &api_actor, "budget frozen", &o), HUB_ENGINE_OK);
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	for (i = 0; i < NAPPROVERS; i++) {
		s = shown(&c[i]);
		cr_expect(HAS(s, "Cancelled") && HAS(s, "budget frozen"), "copy %d: %s", i, s);
		cr_expect(!HAS(s, "hub_approve") && !HAS(s, "waiting for you"), "copy %d: %s", i, s);
		free(s);
	}
	cr_expect_eq(updates(NULL, seq, 1, NULL), 3);

	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_eq(updates(NULL, seq, 0, NULL), 0, "no chat.update on a repeat");
}

Test(msgsync, message_not_found_drops_the_copy)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], body[256], *s;
	long long seq;
	PGresult *r;

	create("any", id);
	post_copies(id, c);
	/* Someone deleted the first DM. */
	{
		struct th_resp resp;
		char url[512], auth[128];
		const char *hdrs[] = { "Content-Type: application/json; charset=utf-8", auth, NULL };

		snprintf(url, sizeof(url), "%s/api/chat.delete", th_env("FAKE_SLACK_URL"));
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		snprintf(body, sizeof(body), "{\"channel\":\"%s\",\"ts\":\"%s\"}", c[0].channel,
		    c[0].ts);
		cr_assert_eq(th_http("POST", url, hdrs, body, strlen(body), &resp), 0);
		cr_assert(HAS(resp.body, "\"ok\":true") || HAS(resp.body, "\"ok\": true"), "%s",
		    resp.body);
		th_resp_free(&resp);
	}
	decide(id, 2, 0);
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_str_eq(res.detail, "2 updated, 0 unchanged, 0 webhook, 0 disabled, 1 gone,"
	    " 0 failed");
	s = shown(&c[1]);
	cr_expect(HAS(s, "No action required") && HAS(s, "Rejected"), "%s", s);
	free(s);

	r = tq(T_SENT_STATE, id, NULL, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), NAPPROVERS);
	cr_expect_str_eq(PQgetvalue(r, 0, 2), "message_not_found");
	cr_expect_str_eq(PQgetvalue(r, 1, 2), "");
	PQclear(r);

	/* dropped for good: the next run does not try it again */
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_eq(updates(c[0].channel, seq, 0, NULL), 1, "the lost copy was tried once");
}

Test(msgsync, ratelimited_second_update_retries_without_repeating_the_first)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], *s;
	long long seq;
	PGresult *r;
	int i;

	create("any", id);
	post_copies(id, c);
	decide(id, 0, 1);
	/* Slack allows this team one chat.update a minute from now on. */
	fake_post("/_fake/config", "{\"rate_limits\": true,"
	    " \"method_limits\": {\"chat.update\": 1}}");
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_RETRY, "%s", res.detail);
	cr_expect_geq(res.retry_after, 1, "Retry-After honoured: %d", res.retry_after);
	cr_expect_str_eq(res.code, "ratelimited");
	cr_expect_eq(updates(c[0].channel, seq, 1, NULL), 1);
	cr_expect_eq(updates(c[1].channel, seq, 0, NULL), 1, "the second was tried (429)");
	cr_expect_eq(updates(c[1].channel, seq, 1, NULL), 0);
	cr_expect_eq(updates(c[2].channel, seq, 0, NULL), 0, "nothing after the 429");
	r = tq(T_SENT_STATE, id, NULL, NULL, NULL, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 1), "t", "the first copy's state is kept");
	cr_expect_str_eq(PQgetvalue(r, 1, 1), "f");
	PQclear(r);

	/* Later: the window has passed. */
	fake_post("/_fake/config", "{\"rate_limits\": false,"
	    " \"method_limits\": {\"chat.update\": null}}");
	PQclear(tq(T_BUCKETS_CLEAR, NULL, NULL, NULL, NULL, NULL, NULL));
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_str_eq(res.detail, "2 updated, 1 unchanged, 0 webhook, 0 disabled, 0 gone,"
	    " 0 failed");
	cr_expect_eq(updates(c[0].channel, seq, 0, NULL), 1, "the first was not repeated");
	for (i = 1; i < NAPPROVERS; i++) {
		s = shown(&c[i]);
		cr_expect(HAS(s, "No action required"), "copy %d: %s", i, s);
		free(s);
	}
}

/* Our own bucket says later: the job is put back until its place in line,
 * the same job (no attempt counted, no new sync job queued), and what it
 * did stays done. */
Test(msgsync, our_bucket_puts_the_same_job_back_until_its_place_in_line)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN];
	long long seq, jobs;

	create("any", id);
	post_copies(id, c);
	decide(id, 0, 1);
	jobs = tq_ll(T_JOBS_OF, id, "sync");
	PQclear(tq(T_BUCKETS_CLEAR, NULL, NULL, NULL, NULL, NULL, NULL));
	PQclear(tq(T_BUCKET_ONE, team, NULL, NULL, NULL, NULL, NULL));
	seq = last_seq();
	cr_assert_eq(run_sync_buckets(id, &res, 1), HUB_JOB_DEFER, "%s", res.detail);
	/* Tier 3 refills a token in 1.2 s */
	cr_expect(res.defer_ms > 0 && res.defer_ms <= 1300, "deferred %ld ms", res.defer_ms);
	cr_expect_str_eq(res.reason, "rate limit");
	cr_expect(HAS(res.detail, "1 updated"), "%s", res.detail);
	cr_expect_eq(tq_ll(T_JOBS_OF, id, "sync"), jobs, "no other sync job queued");
	cr_expect_eq(updates(c[0].channel, seq, 0, NULL), 1);
	cr_expect_eq(updates(c[1].channel, seq, 0, NULL), 0, "our bucket stopped the second");
	/* The Home tabs did not wait for the cards: marked at the first run. */
	cr_expect_eq(tq_ll(T_HOME_MARKED, conn_id, "f"), NAPPROVERS);

	/* Its turn: the rest, the first copy not again, and no second mark
	 * of the tabs (which would ask their publish for a follow-up). */
	cr_assert_eq(run_sync_job(id, &res, 0, 0), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_eq(tq_ll(T_HOME_MARKED, conn_id, "t"), 0, "marked again");
	cr_expect_str_eq(res.detail, "2 updated, 1 unchanged, 0 webhook, 0 disabled, 0 gone,"
	    " 0 failed");
	cr_expect_eq(updates(c[0].channel, seq, 0, NULL), 1, "the first was not repeated");
}

Test(msgsync, channel_copy_once_and_webhook_copies_skipped)
{
	struct hub_job_result res;
	struct hub_buf sealed = HUB_BUF_INIT(4096);
	struct copy ch, c[NAPPROVERS];
	char id[HUB_ID_LEN], chan[12], body[256], hook[40], *s;
	const char *p[6];
	long long seq;
	PGresult *r;
	int i, rc;

	create("any", id);
	r = tq(T_ASSIGNMENTS, id, NULL, NULL, NULL, NULL, NULL);
	for (i = 0; i < NAPPROVERS; i++)
		snprintf(c[i].asg, sizeof(c[i].asg), "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	/* One channel message for the three, recorded per assignment the
	 * way delivery does where the schema allows it, else once. */
	rand_id(chan, sizeof(chan), 'C');
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"name\":\"approvals-%s\",\"team\":\"%s\"}]",
	    chan, chan, team);
	fake_post("/_fake/channels", body);
	post_message(chan, &ch);
	p[0] = id;
	p[2] = conn_id;
	p[3] = ch.channel;
	p[4] = ch.ts;
	p[5] = "call_for_action";
	for (i = 0; i < NAPPROVERS; i++) {
		p[1] = c[i].asg;
		rc = hub_db_exec(db, &t_table, T_SENT_ADD, p, NULL);
		if (rc == HUB_DB_UNIQUE) {
			/* one row, no assignment: a message for several people */
			cr_assert_eq(i, 1);
			PQclear(tq(T_SENT_UNASSIGN, ch.channel, ch.ts, NULL, NULL, NULL, NULL));
			break;
		}
		cr_assert_eq(rc, HUB_DB_OK, "%s", hub_db_last_error(db));
	}
	/* The requester's decision DM is not a copy of the call for action. */
	PQclear(tq(T_SENT_ADD, id, NULL, conn_id, "D0REQUESTER", "1700000000.999999", "decision"));
	/* A webhook post: no ts to update. */
	cr_assert_eq(hub_box_seal(&keyring, "http://127.0.0.1:9/services/T/B/x", 33, &sealed),
	    HUB_CRYPTO_OK);
	r = tq(T_WEBHOOK_ADD, "hook", hub_buf_str(&sealed), NULL, NULL, NULL, NULL);
	snprintf(hook, sizeof(hook), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	hub_buf_release(&sealed);
	PQclear(tq(T_SENT_ADD, id, c[0].asg, hook, "C0HOOK", "webhook-1", "call_for_action"));

	decide(id, 0, 1);
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect(HAS(res.detail, "1 webhook"), "%s", res.detail);
	cr_expect_eq(updates(ch.channel, seq, 1, NULL), 1, "the channel message once");
	cr_expect_eq(updates("D0REQUESTER", seq, 0, NULL), 0, "decision DM untouched");
	s = shown(&ch);
	cr_expect(HAS(s, "No action required") && !HAS(s, "hub_approve"), "%s", s);
	free(s);
}

Test(msgsync, retention_deletes_only_old_rows)
{
	char id[HUB_ID_LEN], *s;
	int deleted = -1;

	create("any", id);
	PQclear(tq(T_SENT_AGED, id, conn_id, "D1", "1.000001", "31", NULL));
	PQclear(tq(T_SENT_AGED, id, conn_id, "D1", "1.000002", "29", NULL));
	PQclear(tq(T_SENT_AGED, id, conn_id, "D1", "1.000003", "0", NULL));
	PQclear(tq(T_CACHE_ADD, conn_id, "old@example.com", "-1", NULL, NULL, NULL));
	PQclear(tq(T_CACHE_ADD, conn_id, "new@example.com", "60", NULL, NULL, NULL));

	cr_assert_eq(hub_msgsync_retention_sweep(db, &deleted), HUB_MSGSYNC_OK, "%s",
	    hub_db_last_error(db));
	cr_expect_eq(deleted, 2, "one sent row, one cache row: %d", deleted);
	s = tq_str(T_COUNT_SENT, NULL);
	cr_expect_str_eq(s, "1.000002,1.000003");
	free(s);
	s = tq_str(T_COUNT_CACHE, NULL);
	cr_expect_str_eq(s, "new@example.com");
	free(s);

	/* The period is a setting; a malformed one keeps the default. */
	PQclear(tq(T_SETTING, "retention.sent_messages_days", "\"soon\"", NULL, NULL, NULL, NULL));
	cr_assert_eq(hub_msgsync_retention_sweep(db, &deleted), HUB_MSGSYNC_OK);
	cr_expect_eq(deleted, 0);
	PQclear(tq(T_SETTING, "retention.sent_messages_days", "7", NULL, NULL, NULL, NULL));
	cr_assert_eq(hub_msgsync_retention_sweep(db, &deleted), HUB_MSGSYNC_OK);
	cr_expect_eq(deleted, 1);
	s = tq_str(T_COUNT_SENT, NULL);
	cr_expect_str_eq(s, "1.000003");
	free(s);
}

Test(msgsync, one_sync_per_request_at_a_time)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	struct hub_db *other = NULL;
	const char *p[1];
	char id[HUB_ID_LEN];
	long long seq;

	create("any", id);
	post_copies(id, c);
	decide(id, 0, 1);
	cr_assert_eq(hub_db_connect_limits(fresh.url, NULL, &other), HUB_DB_OK);
	p[0] = id;
	cr_assert_eq(hub_db_exec(other, &t_table, T_LOCK, p, NULL), HUB_DB_OK);
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_RETRY, "%s", res.detail);
	cr_expect_str_eq(res.code, "busy");
	cr_expect_geq(res.retry_after, 1);
	cr_expect_eq(updates(NULL, seq, 0, NULL), 0, "nothing sent while another sync runs");
	/* Unlock, not just close: the server ends a backend (and drops its
	 * locks) after the client has gone. */
	cr_assert_eq(hub_db_exec(other, &t_table, T_UNLOCK, p, NULL), HUB_DB_OK);
	hub_db_close(other);
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect(HAS(res.detail, "3 updated"), "%s", res.detail);
}

Test(msgsync, revoked_token_disables_the_connection_and_skips_its_copies)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], body[128], *s;
	long long seq;

	create("any", id);
	post_copies(id, c);
	decide(id, 0, 1);
	snprintf(body, sizeof(body), "{\"token\":\"%s\"}", token);
	fake_post("/_fake/revoke", body);
	seq = last_seq();
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_str_eq(res.detail, "0 updated, 0 unchanged, 0 webhook, 3 disabled, 0 gone,"
	    " 0 failed");
	cr_expect_eq(updates(NULL, seq, 0, NULL), 1, "one call found the token dead");
	s = tq_str(T_CONN_DISABLED, conn_id);
	cr_expect_str_eq(s, "t");
	free(s);
}

Test(msgsync, slack_errors_retry_with_nothing_lost)
{
	struct hub_job_result res;
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], *s;
	int i;

	create("any", id);
	post_copies(id, c);
	decide(id, 0, 1);
	fake_post("/_fake/fail", "{\"method\":\"chat.update\",\"error\":\"internal_error\","
	    "\"http_status\":503,\"count\":2}");
	cr_assert_eq(run_sync(id, &res), HUB_JOB_RETRY, "%s", res.detail);
	cr_expect_eq(res.retry_after, -1, "backoff for 5xx");
	cr_assert_eq(run_sync(id, &res), HUB_JOB_DONE, "%s", res.detail);
	cr_expect_str_eq(res.detail, "3 updated, 0 unchanged, 0 webhook, 0 disabled, 0 gone,"
	    " 0 failed");
	for (i = 1; i < NAPPROVERS; i++) {
		s = shown(&c[i]);
		cr_expect(HAS(s, "No action required"), "copy %d: %s", i, s);
		free(s);
	}
}

/* The worker of the build on this test's database, until nothing is due. */
static void
worker_once(void)
{
	const char *top = getenv("top_builddir");
	int rc;

	rc = th_sh("DATABASE_URL='%s' WORKER_BACKOFF_BASE_MS=300 %s/bin/approvalhub-worker"
	    " --id msync --once --sweep-seconds 0 >>%s/log/msync-worker.log 2>&1",
	    fresh.url, top ? top : ".", th_env("HUB_STATE"));
	cr_assert_eq(rc, 0, "worker --once failed (see msync-worker.log)");
}

/* End to end with the real delivery: the worker posts the DMs and
 * records them, a decision queues the sync, the worker updates them. */
Test(msgsync, delivered_copies_follow_the_decision_through_the_worker)
{
	struct copy c[NAPPROVERS];
	char id[HUB_ID_LEN], *s;
	PGresult *r;
	int i, decider = -1;

	create("any", id);
	worker_once();
	r = tq(T_COPIES, id, NULL, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), NAPPROVERS, "delivery recorded %d copies", PQntuples(r));
	for (i = 0; i < NAPPROVERS; i++) {
		snprintf(c[i].channel, sizeof(c[i].channel), "%s", PQgetvalue(r, i, 0));
		snprintf(c[i].ts, sizeof(c[i].ts), "%s", PQgetvalue(r, i, 1));
		if (strcmp(PQgetvalue(r, i, 2), users[0]) == 0)
			decider = i;
	}
	PQclear(r);
	cr_assert_geq(decider, 0);
	s = shown(&c[decider]);
	cr_expect(HAS(s, "hub_approve"), "delivered with buttons: %s", s);
	free(s);

	decide(id, 0, 1);
	worker_once();
	for (i = 0; i < NAPPROVERS; i++) {
		s = shown(&c[i]);
		cr_expect(!HAS(s, "hub_approve"), "copy %d keeps buttons: %s", i, s);
		if (i == decider)
			cr_expect(HAS(s, "by Ana Lopez") && !HAS(s, "No action required"), "%s", s);
		else
			cr_expect(HAS(s, "No action required"), "copy %d: %s", i, s);
		free(s);
	}
}
