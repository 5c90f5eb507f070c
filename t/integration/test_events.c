/*
 * test_events.c - POST /slack/events through the real nginx with
 * Slack-shaped, Slack-signed envelopes, and the Home tab publish job
 * against the fake Slack.
 *
 * Events: app_home_opened queues one home_publish job; a retry of the same
 * event_id (X-Slack-Retry-Num) does nothing; a burst for one user keeps one
 * publish in flight (+ at most one follow-up); app_uninstalled and
 * tokens_revoked disable the team's connection with the admin banner;
 * unknown events and the Messages tab are 200 and write nothing;
 * unsigned/stale requests are 401, malformed JSON and a missing event_id
 * 400, and write nothing.  Each test uses its own team id, so the stack's
 * database is shared safely.
 *
 * Home tab: the job (called directly, on a fresh database the stack's
 * worker never sees) publishes a view to the fake that passes Slack's
 * limits and shows the user's pending approvals with their buttons; a
 * mark made while a publish runs queues exactly one follow-up; a filter
 * chosen in the tab is kept and shown by the next publish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/engine.h"
#include "slack/home.h"
#include "base/httpc.h"
#include "approval/intake.h"
#include "store/jobs.h"
#include "base/json.h"
#include "slack/slackevents.h"
#include "slack/slacksig.h"
#include "testlib.h"
#include "store/job.h"

/* ------------------------------------------------------------ fixtures */

static struct hub_db *db;        /* the stack's database */
static struct hub_conf conf;
static struct hub_keyring keyring;
static char team[16], app_id[16], bot_user[16], conn_id[40], token[64];

static void
rand_upper(char *out, size_t n, char first)
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

enum t_stmt {
	T_CONN_ADD,
	T_JOBS_FOR,
	T_SEEN,
	T_CONN_STATE,
	T_SOURCE_ADD,
	T_HOME_ROW,
	T_JOB_ONE,
	T_SEEN_OLD,
	T_FOLLOW_UP,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	/* name, team, app, bot user, sealed token */
	[T_CONN_ADD] = {
	    "INSERT INTO slack_connections (name, type, team_id, app_id, bot_user_id,"
	    " bot_token_enc) VALUES ($1, 'SLACK_APP', $2, $3, $4, $5) RETURNING id", 5 },
	/* home_publish jobs of (connection, user) */
	[T_JOBS_FOR] = {
	    "SELECT count(*) FROM jobs WHERE kind = 'home_publish'"
	    " AND payload->>'connection_id' = $1 AND payload->>'user' = $2", 2 },
	[T_SEEN] = { "SELECT count(*) FROM slack_events_seen WHERE event_id = $1", 1 },
	/* disabled, needs_admin_attention, reason */
	[T_CONN_STATE] = {
	    "SELECT disabled, needs_admin_attention, coalesce(disabled_reason, '')"
	    " FROM slack_connections WHERE id = $1::uuid", 1 },
	[T_SOURCE_ADD] = { "INSERT INTO sources (name) VALUES ($1) RETURNING id", 1 },
	/* in_flight, dirty, state */
	[T_HOME_ROW] = {
	    "SELECT in_flight, dirty, state::text FROM home_publish"
	    " WHERE connection_id = $1::uuid AND slack_user_id = $2", 2 },
	/* the oldest queued home_publish job: id, payload */
	[T_JOB_ONE] = {
	    "SELECT id, payload::text, attempts, max_attempts FROM jobs"
	    " WHERE kind = 'home_publish' AND state = 'queued' ORDER BY id LIMIT 1", 0 },
	[T_SEEN_OLD] = {
	    "INSERT INTO slack_events_seen (event_id, team_id, seen_at)"
	    " VALUES ($1, 'T0OLD', now() - interval '2 days')", 1 },
	/* the follow-up of (connection, user)'s first home_publish job: its
	 * dedupe key is that job's (queue_job), it is queued, due in 2 s */
	[T_FOLLOW_UP] = {
	    "SELECT f.dedupe_key = 'home_publish:' || $1 || ':' || $2 || ':after:' || j.id,"
	    " f.state, f.run_at > now() AND f.run_at <= now() + interval '3 seconds'"
	    " FROM jobs j JOIN jobs f ON f.kind = j.kind AND f.id > j.id"
	    "  AND f.payload = j.payload"
	    " WHERE j.kind = 'home_publish' AND j.payload->>'connection_id' = $1"
	    "  AND j.payload->>'user' = $2 ORDER BY j.id, f.id LIMIT 1", 2 },
};

static const struct hub_stmt_table t_table = { "tevents", t_stmts, T__MAX };

static PGresult *
tq(struct hub_db *d, int stmt, const char *a, const char *b, const char *c,
    const char *e, const char *f)
{
	const char *p[5] = { a, b, c, e, f };
	PGresult *r = NULL;

	cr_assert_eq(hub_db_exec(d, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s",
	    stmt, hub_db_last_error(d));
	return r;
}

static long long
tq_count(struct hub_db *d, int stmt, const char *a, const char *b)
{
	PGresult *r = tq(d, stmt, a, b, NULL, NULL, NULL);
	long long n;
	char *end;

	cr_assert_eq(PQntuples(r), 1);
	n = strtoll(PQgetvalue(r, 0, 0), &end, 10);
	cr_assert(*end == '\0');
	PQclear(r);
	return n;
}

/* A SLACK_APP connection for team in d, its token known to the fake. */
static void
connection_make(struct hub_db *d, const char *t, char *id_out)
{
	struct hub_buf sealed = HUB_BUF_INIT(4096);
	char name[64], body[512];
	PGresult *r;
	json_object *o;

	snprintf(name, sizeof(name), "ws-%s", t);
	cr_assert_eq(hub_box_seal(&keyring, token, strlen(token), &sealed), HUB_CRYPTO_OK);
	r = tq(d, T_CONN_ADD, name, t, app_id, bot_user, hub_buf_str(&sealed));
	snprintf(id_out, 40, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	hub_buf_release(&sealed);
	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\",\"team_name\":\"Test\","
	    "\"bot_user_id\":\"%s\",\"bot_id\":\"B0TEST\"}]", token, t, bot_user);
	o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body);
	cr_assert_not_null(o, "fake tokens");
	json_object_put(o);
}

static void
fake_user(const char *user, const char *t)
{
	char body[256];
	json_object *o;

	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"team\":\"%s\",\"name\":\"someone\"}]",
	    user, t);
	o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body);
	cr_assert_not_null(o);
	json_object_put(o);
}

static void
setup(void)
{
	char err[256];

	cr_assert_eq(hub_conf_load(&conf, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	    err, sizeof(err)), 0, "%s", err);
	memset(&keyring, 0, sizeof(keyring));
	cr_assert_eq(hub_keyring_add(&keyring, conf.secret_key), HUB_CRYPTO_OK);
	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
	rand_upper(team, 11, 'T');
	rand_upper(app_id, 11, 'A');
	rand_upper(bot_user, 11, 'U');
	snprintf(token, sizeof(token), "xoxb-test-%s", team);
	connection_make(db, team, conn_id);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
	hub_conf_free(&conf);
}

TestSuite(events, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------ posting */

/* POST body signed like Slack (at ts; 0 = now), with X-Slack-Retry-Num
 * when retry > 0, or unsigned when sign is 0.  Returns the status. */
static long
post_raw(const char *body, int retry, long ts, int sign)
{
	char tsbuf[32], sig[HUB_SIG_LEN], h_ts[64], h_sig[128], h_retry[64];
	const char *hdrs[6];
	struct th_resp r;
	size_t n = 0;
	long status;

	if (ts == 0)
		ts = (long)time(NULL);
	snprintf(tsbuf, sizeof(tsbuf), "%ld", ts);
	hub_sig_sign("v0", th_env("SLACK_SIGNING_SECRET"), tsbuf, body, strlen(body), sig);
	snprintf(h_ts, sizeof(h_ts), "X-Slack-Request-Timestamp: %s", tsbuf);
	snprintf(h_sig, sizeof(h_sig), "X-Slack-Signature: %s", sig);
	snprintf(h_retry, sizeof(h_retry), "X-Slack-Retry-Num: %d", retry);
	hdrs[n++] = "Content-Type: application/json";
	if (sign) {
		hdrs[n++] = h_ts;
		hdrs[n++] = h_sig;
	}
	if (retry > 0) {
		hdrs[n++] = h_retry;
		hdrs[n++] = "X-Slack-Retry-Reason: http_timeout";
	}
	hdrs[n] = NULL;
	cr_assert_eq(th_http("POST", "/slack/events", hdrs, body, strlen(body), &r), 0);
	status = r.status;
	th_resp_free(&r);
	return status;
}

static void
new_event_id(char *out)
{
	rand_upper(out, 12, 'E');
	out[1] = 'v';
}

/* The envelope Slack sends for event (a JSON object text). */
static char *
envelope(const char *event_id, const char *t, const char *event)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
	    "{\"token\":\"XXYYZZ\",\"team_id\":\"%s\",\"context_team_id\":\"%s\","
	    "\"api_app_id\":\"%s\",\"event\":%s,\"type\":\"event_callback\","
	    "\"event_id\":\"%s\",\"event_time\":%ld,"
	    "\"authorizations\":[{\"enterprise_id\":null,\"team_id\":\"%s\","
	    "\"user_id\":\"%s\",\"is_bot\":true,\"is_enterprise_install\":false}],"
	    "\"is_ext_shared_channel\":false}",
	    t, t, app_id, event, event_id, (long)time(NULL), t, bot_user);
	return buf;
}

static char *
home_opened(const char *event_id, const char *user, const char *tab)
{
	char ev[512];

	snprintf(ev, sizeof(ev), "{\"type\":\"app_home_opened\",\"user\":\"%s\","
	    "\"channel\":\"D0HOME\",\"tab\":\"%s\",\"event_ts\":\"%ld.000100\"}",
	    user, tab, (long)time(NULL));
	return envelope(event_id, team, ev);
}

/* ------------------------------------------------------------ events */

Test(events, home_opened_queues_one_publish_and_a_retry_does_nothing)
{
	char eid[16], user[12];

	new_event_id(eid);
	rand_upper(user, 11, 'U');
	cr_assert_eq(post_raw(home_opened(eid, user, "home"), 0, 0, 1), 200);
	cr_assert_eq(tq_count(db, T_JOBS_FOR, conn_id, user), 1);
	cr_assert_eq(tq_count(db, T_SEEN, eid, NULL), 1);

	/* Slack's retry of the same event: 200, nothing new */
	cr_assert_eq(post_raw(home_opened(eid, user, "home"), 1, 0, 1), 200);
	cr_assert_eq(post_raw(home_opened(eid, user, "home"), 2, 0, 1), 200);
	cr_assert_eq(tq_count(db, T_JOBS_FOR, conn_id, user), 1);
	cr_assert_eq(tq_count(db, T_SEEN, eid, NULL), 1);
}

Test(events, burst_keeps_one_publish_in_flight)
{
	PGresult *r;
	char eid[16], user[12];
	int i;

	rand_upper(user, 11, 'U');
	fake_user(user, team);
	for (i = 0; i < 20; i++) {
		new_event_id(eid);
		cr_assert_eq(post_raw(home_opened(eid, user, "home"), 0, 0, 1), 200);
	}
	cr_assert_leq(tq_count(db, T_JOBS_FOR, conn_id, user), 2,
	    "a burst costs one publish and at most one follow-up");
	cr_assert_geq(tq_count(db, T_JOBS_FOR, conn_id, user), 1);
	r = tq(db, T_HOME_ROW, conn_id, user, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), 1);
	PQclear(r);
}

Test(events, messages_tab_and_unknown_events_are_ignored)
{
	char eid[16], eid2[16], eid3[16], user[12];

	rand_upper(user, 11, 'U');
	new_event_id(eid);
	cr_assert_eq(post_raw(home_opened(eid, user, "messages"), 0, 0, 1), 200);
	new_event_id(eid2);
	cr_assert_eq(post_raw(envelope(eid2, team, "{\"type\":\"reaction_added\","
	    "\"user\":\"U0X\",\"reaction\":\"thumbsup\"}"), 0, 0, 1), 200);
	new_event_id(eid3);
	cr_assert_eq(post_raw("{\"token\":\"x\",\"team_id\":\"T0X\",\"minute_rate_limited\":1518467820,"
	    "\"api_app_id\":\"A0X\",\"type\":\"app_rate_limited\"}", 0, 0, 1), 200);
	cr_assert_eq(tq_count(db, T_JOBS_FOR, conn_id, user), 0);
	cr_assert_eq(tq_count(db, T_SEEN, eid, NULL), 0);
	cr_assert_eq(tq_count(db, T_SEEN, eid2, NULL), 0);
}

static void
assert_conn(const char *id, const char *disabled, const char *reason)
{
	PGresult *r = tq(db, T_CONN_STATE, id, NULL, NULL, NULL, NULL);

	cr_assert_eq(PQntuples(r), 1);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), disabled);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), disabled, "banner follows disabled");
	cr_assert_str_eq(PQgetvalue(r, 0, 2), reason);
	PQclear(r);
}

Test(events, app_uninstalled_disables_the_team_with_a_banner)
{
	char eid[16], other_team[12], other[40];

	rand_upper(other_team, 11, 'T');
	connection_make(db, other_team, other);
	new_event_id(eid);
	cr_assert_eq(post_raw(envelope(eid, team, "{\"type\":\"app_uninstalled\","
	    "\"event_ts\":\"1700000000.000100\"}"), 0, 0, 1), 200);
	assert_conn(conn_id, "t", "app_uninstalled");
	assert_conn(other, "f", "");
	/* the retry changes nothing and still gets its 200 */
	cr_assert_eq(post_raw(envelope(eid, team, "{\"type\":\"app_uninstalled\"}"), 1, 0, 1), 200);
	assert_conn(conn_id, "t", "app_uninstalled");
}

Test(events, tokens_revoked_disables_only_for_the_bot_token)
{
	char eid[16], ev[256];

	new_event_id(eid);
	cr_assert_eq(post_raw(envelope(eid, team, "{\"type\":\"tokens_revoked\","
	    "\"tokens\":{\"oauth\":[\"U0SOMEUSER\"]}}"), 0, 0, 1), 200);
	assert_conn(conn_id, "f", "");
	new_event_id(eid);
	snprintf(ev, sizeof(ev), "{\"type\":\"tokens_revoked\",\"tokens\":{\"oauth\":[],"
	    "\"bot\":[\"%s\"]},\"event_ts\":\"1700000000.000100\"}", bot_user);
	cr_assert_eq(post_raw(envelope(eid, team, ev), 0, 0, 1), 200);
	assert_conn(conn_id, "t", "tokens_revoked");
}

Test(events, refusals_write_nothing)
{
	static const struct {
		const char	*name;
		const char	*body;   /* NULL: the home_opened envelope */
		int		 sign;
		long		 age;
		long		 status;
	} cases[] = {
		{ "unsigned", NULL, 0, 0, 401 },
		{ "stale", NULL, 1, 600, 401 },
		{ "from the future", NULL, 1, -600, 401 },
		{ "malformed JSON", "{\"type\":\"event_callback\",", 1, 0, 400 },
		{ "not an object", "[1,2]", 1, 0, 400 },
		{ "missing event_id", "{\"type\":\"event_callback\",\"team_id\":\"T0X\","
		    "\"event\":{\"type\":\"app_home_opened\",\"user\":\"U0X\",\"tab\":\"home\"}}",
		    1, 0, 400 },
		{ "event not an object", "{\"type\":\"event_callback\",\"team_id\":\"T0X\","
		    "\"event_id\":\"Ev1\",\"event\":\"app_home_opened\"}", 1, 0, 400 },
		{ "no user", "{\"type\":\"event_callback\",\"team_id\":\"T0X\","
		    "\"event_id\":\"Ev0NOUSER\",\"event\":{\"type\":\"app_home_opened\",\"tab\":\"home\"}}",
		    1, 0, 400 },
	};
	char eid[16], user[12];
	size_t i;

	rand_upper(user, 11, 'U');
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		new_event_id(eid);
		cr_assert_eq(post_raw(cases[i].body ? cases[i].body : home_opened(eid, user, "home"),
		    0, (long)time(NULL) - cases[i].age, cases[i].sign), cases[i].status,
		    "%s", cases[i].name);
		cr_assert_eq(tq_count(db, T_SEEN, eid, NULL), 0, "%s", cases[i].name);
	}
	cr_assert_eq(tq_count(db, T_SEEN, "Ev0NOUSER", NULL), 0);
	cr_assert_eq(tq_count(db, T_JOBS_FOR, conn_id, user), 0);
}

Test(events, old_seen_ids_are_purged)
{
	char eid[16];
	int n = 0;

	new_event_id(eid);
	tq(db, T_SEEN_OLD, eid, NULL, NULL, NULL, NULL);
	cr_assert_eq(hub_slackevents_purge(db, &n), HUB_SEV_OK);
	cr_assert_geq(n, 1);
	cr_assert_eq(tq_count(db, T_SEEN, eid, NULL), 0);
}

/* ------------------------------------------------------------ the job */

static struct th_db fresh;
static struct hub_db *fdb;
static char fconn[40], source_id[40];

static void
job_setup(void)
{
	setup();
	th_db_create(&fresh);
	cr_assert_eq(hub_db_connect_limits(fresh.url, NULL, &fdb), HUB_DB_OK);
	connection_make(fdb, team, fconn);
	{
		PGresult *r = tq(fdb, T_SOURCE_ADD, "Workday", NULL, NULL, NULL, NULL);

		snprintf(source_id, sizeof(source_id), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
	}
}

static void
job_teardown(void)
{
	hub_db_close(fdb);
	fdb = NULL;
	th_db_drop(&fresh);
	teardown();
}

TestSuite(home_job, .init = job_setup, .fini = job_teardown, .timeout = 90);

static void
request_for(const char *approver, const char *title, const char *requester_slack)
{
	struct hub_actor actor = { "api", source_id, NULL, "Workday", "api" };
	struct hub_intake_error ierr;
	struct hub_engine_error eerr;
	struct hub_outcome out;
	json_object *in = json_object_new_object(), *norm = NULL;

	json_object_object_add(in, "request_source", json_object_new_string("Workday"));
	json_object_object_add(in, "requester_name", json_object_new_string("Ana <Lopez>"));
	json_object_object_add(in, "approver_id", json_object_new_string(approver));
	json_object_object_add(in, "justification_text", json_object_new_string("Family trip"));
	json_object_object_add(in, "title", json_object_new_string(title));
	if (requester_slack != NULL)
		json_object_object_add(in, "requester_slack_id",
		    json_object_new_string(requester_slack));
	json_object_object_add(in, "metadata", json_object_new_object());
	cr_assert_eq(hub_intake_validate(in, NULL, &norm, &ierr), HUB_INTAKE_OK, "%s %s",
	    ierr.field, ierr.message);
	cr_assert_eq(hub_engine_create(fdb, source_id, norm, &actor, &out, &eerr), HUB_ENGINE_OK,
	    "%s %s", eerr.field, eerr.message);
	json_object_put(norm);
	json_object_put(in);
}

static void
enqueue(struct hub_db *d, const char *user)
{
	cr_assert_eq(hub_db_begin(d), HUB_DB_OK);
	cr_assert_eq(hub_home_enqueue(d, fconn, user), HUB_HOME_OK);
	cr_assert_eq(hub_db_commit(d), HUB_DB_OK);
}

/* Run the oldest queued home_publish job of d with the handler, as the
 * worker would; returns the verdict. */
static int
run_job(struct hub_db *d)
{
	static volatile sig_atomic_t stop;
	struct hub_job_env env = { .db = d, .keys = &keyring, .conf = &conf, .stop = &stop };
	struct hub_job_result res;
	struct hub_job job;
	PGresult *r = tq(d, T_JOB_ONE, NULL, NULL, NULL, NULL, NULL);
	const char *p;
	char *end;

	cr_assert_eq(PQntuples(r), 1, "no queued home_publish job");
	memset(&job, 0, sizeof(job));
	memset(&res, 0, sizeof(res));
	job.id = strtoll(PQgetvalue(r, 0, 0), &end, 10);
	snprintf(job.kind, sizeof(job.kind), "home_publish");
	p = PQgetvalue(r, 0, 1);
	cr_assert_eq(hub_json_parse_object(p, strlen(p), 4096, 8, &job.payload), HUB_JSON_OK);
	job.attempts = 0;
	job.max_attempts = 10;
	PQclear(r);
	cr_assert_not_null(env.http = hub_httpc_new());
	hub_job_home_publish(&env, &job, &res);
	hub_httpc_free(env.http);
	json_object_put(job.payload);
	return res.verdict;
}

/* The last Home view the fake holds for user, without what Slack adds
 * (id, hash, state, team_id...): what the hub sent. */
static json_object *
last_view(const char *user)
{
	static const char *const sent[] = { "type", "blocks", "callback_id",
	    "private_metadata" };
	char path[128];
	json_object *list, *v, *stored, *x;
	size_t n, i;

	snprintf(path, sizeof(path), "/_fake/views?user=%s", user);
	list = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
	cr_assert_not_null(list);
	cr_assert(json_object_is_type(list, json_type_array), "%s", json_object_to_json_string(list));
	n = json_object_array_length(list);
	cr_assert_gt(n, 0, "no view published for %s", user);
	stored = json_object_array_get_idx(list, n - 1);
	v = json_object_new_object();
	for (i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		if (json_object_object_get_ex(stored, sent[i], &x))
			json_object_object_add(v, sent[i], json_object_get(x));
	json_object_put(list);
	return v;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
		n++;
	return n;
}

Test(home_job, publishes_pending_approvals_within_limits)
{
	char user[12], other[12], err[256] = "", title[64];
	json_object *view, *blocks;
	const char *js;
	PGresult *r;
	int i;

	rand_upper(user, 11, 'U');
	rand_upper(other, 11, 'U');
	fake_user(user, team);
	request_for(user, "New laptop", NULL);
	request_for(user, "Trip to Lisbon", NULL);
	request_for(other, "Someone else's", NULL);
	request_for(other, "Mine, waiting on other", user);
	enqueue(fdb, user);
	cr_assert_eq(run_job(fdb), HUB_JOB_DONE);

	view = last_view(user);
	cr_assert_eq(hub_bk_validate(view, HUB_BK_HOME, err, sizeof(err)), HUB_BK_OK, "%s", err);
	blocks = json_object_object_get(view, "blocks");
	cr_assert_leq(json_object_array_length(blocks), 100);
	js = json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN);
	cr_assert_not_null(strstr(js, "New laptop"));
	cr_assert_not_null(strstr(js, "Trip to Lisbon"));
	cr_assert_null(strstr(js, "Someone else"));
	cr_assert_not_null(strstr(js, "Mine, waiting on other"));
	cr_assert_eq(count_str(js, "\"action_id\":\"hub_approve\""), 2, "%s", js);
	cr_assert_eq(count_str(js, "\"action_id\":\"hub_reject\""), 2);
	cr_assert_eq(count_str(js, "\"action_id\":\"hub_remind\""), 1);
	cr_assert_not_null(strstr(js, "Ana &lt;Lopez&gt;"), "requester escaped");
	json_object_put(view);

	/* the mark is cleared: the next app_home_opened queues a new job */
	r = tq(fdb, T_HOME_ROW, fconn, user, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "f");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "f");
	PQclear(r);

	/* 40 more waiting: one page, "Show more", still within the limits */
	for (i = 0; i < 40; i++) {
		snprintf(title, sizeof(title), "Expense %d", i);
		request_for(user, title, NULL);
	}
	enqueue(fdb, user);
	cr_assert_eq(run_job(fdb), HUB_JOB_DONE);
	view = last_view(user);
	cr_assert_eq(hub_bk_validate(view, HUB_BK_HOME, err, sizeof(err)), HUB_BK_OK, "%s", err);
	cr_assert_leq(json_object_array_length(json_object_object_get(view, "blocks")), 100);
	js = json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN);
	cr_assert_leq(strlen(js), 250u * 1024u);
	cr_assert_eq(count_str(js, "\"action_id\":\"hub_approve\""), HUB_HOME_PAGE);
	cr_assert_not_null(strstr(js, "\"action_id\":\"home_more\""));
	cr_assert_not_null(strstr(js, "of 42"), "%s", js);
	json_object_put(view);
}

Test(home_job, a_mark_during_a_publish_queues_one_follow_up)
{
	char user[12], sql[256];
	json_object *o;
	pid_t pid;
	int status;
	PGresult *r;

	rand_upper(user, 11, 'U');
	fake_user(user, team);
	request_for(user, "Laptop", NULL);
	enqueue(fdb, user);
	/* every Slack call takes a second (a one-shot stall could be taken
	 * by the stack's own worker); marks arrive meanwhile */
	snprintf(sql, sizeof(sql), "{\"latency_ms\":1000}");
	o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/config", sql);
	json_object_put(o);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct hub_db *cdb = NULL;

		if (hub_db_connect_limits(fresh.url, NULL, &cdb) != HUB_DB_OK)
			_exit(2);
		_exit(run_job(cdb) == HUB_JOB_DONE ? 0 : 1);
	}
	usleep(400 * 1000);
	enqueue(fdb, user);
	enqueue(fdb, user);
	enqueue(fdb, user);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/config", "{\"latency_ms\":0}");
	json_object_put(o);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child publish failed");
	/* the first job plus exactly one follow-up; still in flight */
	cr_assert_eq(tq_count(fdb, T_JOBS_FOR, fconn, user), 2);
	r = tq(fdb, T_HOME_ROW, fconn, user, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "t");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "f");
	PQclear(r);
	/* the follow-up, queued by the publish's last statement */
	r = tq(fdb, T_FOLLOW_UP, fconn, user, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), 1);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "t", "dedupe key after the first job");
	cr_expect_str_eq(PQgetvalue(r, 0, 1), "queued");
	cr_expect_str_eq(PQgetvalue(r, 0, 2), "t", "due in the next seconds");
	PQclear(r);
}

/* A publish waits on PostgreSQL four times: its start with the
 * connection's row, the views.publish token, the view's five reads, and
 * the end of the publish (the mark cleared, a follow-up queued when
 * marked meanwhile) in one statement. */
Test(home_job, a_publish_waits_on_postgres_four_times)
{
	FILE *trace = tmpfile();
	char user[12];

	cr_assert_not_null(trace);
	rand_upper(user, 11, 'U');
	fake_user(user, team);
	request_for(user, "Laptop", NULL);
	/* once before: the statements are prepared, as in a running worker */
	enqueue(fdb, user);
	cr_assert_eq(run_job(fdb), HUB_JOB_DONE);
	enqueue(fdb, user);
	PQtrace(hub_db_conn(fdb), trace);
	PQsetTraceFlags(hub_db_conn(fdb), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(run_job(fdb), HUB_JOB_DONE);
	PQuntrace(hub_db_conn(fdb));
	fflush(trace);
	/* run_job's own read of the job is one more */
	cr_expect_eq(th_trace_turns(trace), 5, "turns: %d", th_trace_turns(trace));
	fclose(trace);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(last_view(user),
	    "type")), "home");
}

/* A block_actions payload from the Home tab, as Slack sends it. */
static json_object *
home_action(const char *user, const char *action_id, const char *action_json,
    const char *private_metadata)
{
	char buf[2048];
	json_object *o = NULL;

	snprintf(buf, sizeof(buf),
	    "{\"type\":\"block_actions\",\"user\":{\"id\":\"%s\",\"team_id\":\"%s\"},"
	    "\"api_app_id\":\"%s\",\"team\":{\"id\":\"%s\",\"domain\":\"t\"},"
	    "\"container\":{\"type\":\"view\",\"view_id\":\"V1\"},\"trigger_id\":\"1.2.3\","
	    "\"view\":{\"id\":\"V1\",\"type\":\"home\",\"callback_id\":\"hub_home\","
	    "\"private_metadata\":%s,\"state\":{\"values\":{}}},"
	    "\"actions\":[%s]}",
	    user, team, app_id, team, private_metadata, action_json);
	cr_assert_eq(hub_json_parse_object(buf, strlen(buf), sizeof(buf), 16, &o), HUB_JSON_OK,
	    "%s", buf);
	(void)action_id;
	return o;
}

Test(home_job, filter_and_search_are_kept_and_shown)
{
	char user[12], act[512];
	json_object *p, *view;
	const char *js;
	PGresult *r;

	rand_upper(user, 11, 'U');
	fake_user(user, team);
	request_for(user, "Laptop for Bob", NULL);
	request_for(user, "Trip to Lisbon", NULL);

	/* status filter from the select; the state in the view was empty */
	snprintf(act, sizeof(act), "{\"type\":\"static_select\",\"action_id\":\"home_filter_status\","
	    "\"block_id\":\"home_filters\",\"selected_option\":{\"text\":{\"type\":\"plain_text\","
	    "\"text\":\"Pending\"},\"value\":\"Pending\"},\"action_ts\":\"1.2\"}");
	p = home_action(user, "home_filter_status", act, "\"\"");
	cr_assert_eq(hub_home_handle_action(fdb, NULL, "home_filter_status", p), HUB_HOME_OK);
	json_object_put(p);
	r = tq(fdb, T_HOME_ROW, fconn, user, NULL, NULL, NULL);
	cr_assert_not_null(strstr(PQgetvalue(r, 0, 2), "\"st\": \"Pending\""), "%s",
	    PQgetvalue(r, 0, 2));
	PQclear(r);
	cr_assert_eq(tq_count(fdb, T_JOBS_FOR, fconn, user), 1);

	/* search typed into the box (dispatch_action on Enter), on top of
	 * the state the view carried */
	snprintf(act, sizeof(act), "{\"type\":\"plain_text_input\",\"action_id\":\"home_search\","
	    "\"block_id\":\"home_search.1\",\"value\":\"  lisbon \",\"action_ts\":\"1.3\"}");
	p = home_action(user, "home_search", act,
	    "\"{\\\"src\\\":\\\"\\\",\\\"st\\\":\\\"Pending\\\",\\\"q\\\":\\\"\\\",\\\"o\\\":[0,0,0]}\"");
	cr_assert_eq(hub_home_handle_action(fdb, NULL, "home_search", p), HUB_HOME_OK);
	json_object_put(p);
	/* coalesced: still the one job in flight */
	cr_assert_eq(tq_count(fdb, T_JOBS_FOR, fconn, user), 1);

	cr_assert_eq(run_job(fdb), HUB_JOB_DONE);
	view = last_view(user);
	js = json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN);
	cr_assert_not_null(strstr(js, "Trip to Lisbon"));
	cr_assert_null(strstr(js, "Laptop for Bob"), "search applies");
	cr_assert_not_null(strstr(js, "\"initial_value\":\"lisbon\""), "%s", js);
	cr_assert_not_null(strstr(js, "\"home_clear\""));
	json_object_put(view);

	/* a typo in the box finds the same request (approval/search.h) */
	snprintf(act, sizeof(act), "{\"type\":\"plain_text_input\",\"action_id\":\"home_search\","
	    "\"block_id\":\"home_search.1\",\"value\":\"trip lisbn\",\"action_ts\":\"1.4\"}");
	p = home_action(user, "home_search", act,
	    "\"{\\\"src\\\":\\\"\\\",\\\"st\\\":\\\"Pending\\\",\\\"q\\\":\\\"\\\",\\\"o\\\":[0,0,0]}\"");
	cr_assert_eq(hub_home_handle_action(fdb, NULL, "home_search", p), HUB_HOME_OK);
	json_object_put(p);
	cr_assert_eq(run_job(fdb), HUB_JOB_DONE);
	view = last_view(user);
	js = json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN);
	cr_assert_not_null(strstr(js, "Trip to Lisbon"), "%s", js);
	cr_assert_null(strstr(js, "Laptop for Bob"), "%s", js);
	json_object_put(view);

	/* a tampered page value is refused and writes nothing */
	snprintf(act, sizeof(act), "{\"type\":\"button\",\"action_id\":\"home_more\","
	    "\"value\":\"x:-5\"}");
	p = home_action(user, "home_more", act, "\"\"");
	cr_assert_eq(hub_home_handle_action(fdb, NULL, "home_more", p), HUB_HOME_INVALID);
	json_object_put(p);
	r = tq(fdb, T_HOME_ROW, fconn, user, NULL, NULL, NULL);
	cr_assert_not_null(strstr(PQgetvalue(r, 0, 2), "trip lisbn"));
	PQclear(r);
}
