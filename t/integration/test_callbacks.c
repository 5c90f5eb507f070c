/*
 * test_callbacks.c - decision callbacks end to end: the engine decides on
 * DATABASE_URL, the stack's background worker (env.sh) delivers the
 * signed POST to the fake source system (t/fakes/callback_receiver.py),
 * and delivery_log / job_attempts tell the story.  Also the worker's
 * sweep (expiry) and its stand-in notify / sync handlers.
 *
 * Every test uses its own callback path (/cb/<test>), so a retry still
 * pending from another test can never be counted here.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/engine.h"
#include "testlib.h"

#define POLL_MS		15000

static struct hub_db *db;
static char source_id[HUB_ID_LEN];
static char source_name[32];

enum t_stmt {
	T_SOURCE,
	T_DELIVERY,
	T_ATTEMPTS,
	T_DEADLINE_PAST,
	T_REQ_STATUS,
	T_JOBS_OF,
	T_SLACK_DELIVERY,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	/* name, sealed callback secret */
	[T_SOURCE] = {
	    "INSERT INTO sources (name, callback_secret_enc) VALUES ($1, $2) RETURNING id", 2 },
	/* the request's callback delivery: status, retries, error_code,
	 * error_detail, job id */
	[T_DELIVERY] = {
	    "SELECT status, retries, coalesce(error_code, ''), coalesce(error_detail, ''),"
	    " coalesce(job_id, 0) FROM delivery_log"
	    " WHERE request_id = $1::uuid AND kind = 'callback' ORDER BY id", 1 },
	/* attempts of a job: ok flags in order */
	[T_ATTEMPTS] = {
	    "SELECT coalesce(string_agg(CASE WHEN ok THEN 'ok' ELSE 'err' END, ','"
	    " ORDER BY attempt), '') FROM job_attempts WHERE job_id = $1::bigint", 1 },
	[T_DEADLINE_PAST] = {
	    "UPDATE requests SET deadline = now() - interval '1 second'"
	    " WHERE id = $1::uuid", 1 },
	[T_REQ_STATUS] = { "SELECT status FROM requests WHERE id = $1::uuid", 1 },
	/* jobs of a kind for a request: state and last attempt's detail */
	[T_JOBS_OF] = {
	    "SELECT j.state, coalesce((SELECT a.detail FROM job_attempts a"
	    "  WHERE a.job_id = j.id ORDER BY a.attempt DESC LIMIT 1), '')"
	    " FROM jobs j WHERE j.kind = $2 AND j.payload->>'request_id' = $1 ORDER BY j.id", 2 },
	/* notification rows the notify handler wrote */
	[T_SLACK_DELIVERY] = {
	    "SELECT kind, status, coalesce(error_code, ''), coalesce(error_detail, ''),"
	    " job_id IS NOT NULL FROM delivery_log"
	    " WHERE request_id = $1::uuid AND transport = 'slack' ORDER BY id", 1 },
};

static const struct hub_stmt_table t_table = { "tcallbk", t_stmts, T__MAX };

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long long
cell_ll(const PGresult *r, int row, int col)
{
	const char *s = PQgetvalue(r, row, col);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	cr_assert(errno == 0 && end != s && *end == '\0', "not an integer: '%s'", s);
	return v;
}

static PGresult *
tq(int stmt, const char *a, const char *b)
{
	const char *p[2] = { a, b };
	PGresult *r = NULL;

	cr_assert_eq(hub_db_exec(db, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s", stmt,
	    hub_db_last_error(db));
	return r;
}

static void
setup(void)
{
	struct hub_buf sealed = HUB_BUF_INIT(4096);
	unsigned char rnd[4];
	const char *p[2];
	PGresult *r = NULL;

	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(source_name, sizeof(source_name), "erp-%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3]);
	th_seal(th_env("HUB_TEST_CALLBACK_SECRET"), &sealed);
	p[0] = source_name;
	p[1] = hub_buf_str(&sealed);
	cr_assert_eq(hub_db_exec(db, &t_table, T_SOURCE, p, &r), HUB_DB_OK, "%s",
	    hub_db_last_error(db));
	snprintf(source_id, sizeof(source_id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	hub_buf_release(&sealed);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
}

TestSuite(callbacks, .init = setup, .fini = teardown, .timeout = 90);

/* ------------------------------------------------------------ helpers */

static const struct hub_actor api_actor = { "api", "src-key", NULL, "Source key", "api" };
static const struct hub_actor ana = { "slack", "UANA", "T1", "Ana Lopez", "slack" };

/* A one-step request for UANA (intake.h's normalized shape) calling back
 * to $FAKE_CALLBACK_URL<path>. */
static void
create(const char *external_id, const char *path, char id[HUB_ID_LEN])
{
	struct hub_outcome o;
	struct hub_engine_error err;
	char buf[4096];
	json_object *req;
	int rc;

	snprintf(buf, sizeof(buf),
	    "{\"request_source\": null, \"external_id\": \"%s\", \"idempotency_key\": null,"
	    " \"title\": \"Laptop\", \"requester_name\": \"Rita Requester\","
	    " \"requester_email\": \"rita@example.com\", \"requester_slack_id\": \"UREQ\","
	    " \"justification\": \"old one broke\", \"metadata\": {\"amount\": 1200},"
	    " \"preset\": null, \"steps\": [{\"rule\": \"any\", \"quorum\": null,"
	    "  \"approvers\": [{\"kind\": \"slack\", \"value\": \"UANA\"}],"
	    "  \"delivery\": null, \"channel\": null, \"connection\": null}],"
	    " \"deadline\": null, \"reminder_every\": null, \"valid_for\": null,"
	    " \"callback_url\": \"%s%s\", \"watchers\": [], \"delivery\": null,"
	    " \"channel\": null, \"connection\": null}",
	    external_id, th_env("FAKE_CALLBACK_URL"), path);
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
decide(const char *id, int approve, const char *comment)
{
	struct hub_outcome o;
	struct hub_engine_error err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = hub_engine_decide(db, id, 0, &ana, approve, comment, NULL, &o, &err);
	cr_assert_eq(rc, HUB_ENGINE_OK, "decide: %s (%s: %s)", hub_engine_strerror(rc),
	    err.field, err.message);
}

/* The receiver should fail the next `count` callbacks to path. */
static void
receiver_fail(const char *path, int count, int status)
{
	char body[256];
	json_object *o;

	snprintf(body, sizeof(body), "{\"count\": %d, \"status\": %d, \"path\": \"%s\"}",
	    count, status, path);
	o = th_fake("FAKE_CALLBACK_URL", "POST", "/_fake/fail", body);
	cr_assert_not_null(o, "receiver /_fake/fail did not answer");
	json_object_put(o);
}

/* The callbacks the receiver saw on path (caller puts). */
static json_object *
receiver_calls(const char *path)
{
	char q[256];
	json_object *o;

	snprintf(q, sizeof(q), "/_fake/calls?path=%s", path);
	o = th_fake("FAKE_CALLBACK_URL", "GET", q, NULL);
	cr_assert(o != NULL && json_object_is_type(o, json_type_array), "receiver calls");
	return o;
}

struct delivery {
	char		status[16];
	long		retries;
	char		code[32];
	char		detail[256];
	long long	job;
};

/* The request's callback delivery row; 0 when there is none yet. */
static int
delivery(const char *req, struct delivery *d)
{
	PGresult *r = tq(T_DELIVERY, req, NULL);
	int n = PQntuples(r);

	cr_assert_leq(n, 1, "one callback delivery per request, got %d", n);
	if (n == 1) {
		snprintf(d->status, sizeof(d->status), "%s", PQgetvalue(r, 0, 0));
		d->retries = (long)cell_ll(r, 0, 1);
		snprintf(d->code, sizeof(d->code), "%s", PQgetvalue(r, 0, 2));
		snprintf(d->detail, sizeof(d->detail), "%s", PQgetvalue(r, 0, 3));
		d->job = cell_ll(r, 0, 4);
	}
	PQclear(r);
	return n;
}

/* Wait until the callback delivery reaches `want` (or ms). */
static void
await_delivery_ms(const char *req, const char *want, struct delivery *d, long ms)
{
	long waited;

	memset(d, 0, sizeof(*d));
	for (waited = 0; waited < ms; waited += 100) {
		if (delivery(req, d) == 1 && strcmp(d->status, want) == 0)
			return;
		sleep_ms(100);
	}
	cr_assert_fail("delivery of %s is '%s' after %ld ms, want '%s'", req, d->status,
	    ms, want);
}

static void
await_delivery(const char *req, const char *want, struct delivery *d)
{
	await_delivery_ms(req, want, d, POLL_MS);
}

static char *
attempts(long long job)
{
	char jb[24];
	PGresult *r;
	char *s;

	snprintf(jb, sizeof(jb), "%lld", job);
	r = tq(T_ATTEMPTS, jb, NULL);
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int
is_iso8601(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return 0;
	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	return 1;
}

/* The only callback on path: verified, POST, with its JSON body (borrowed
 * from *calls, which the caller puts). */
static json_object *
only_call(const char *path, json_object **calls)
{
	json_object *c;

	*calls = receiver_calls(path);
	cr_assert_eq(json_object_array_length(*calls), 1, "callbacks on %s: %s", path,
	    json_object_get_string(*calls));
	c = json_object_array_get_idx(*calls, 0);
	cr_expect_str_eq(jstr(c, "method"), "POST");
	cr_expect(json_object_get_boolean(json_object_object_get(c, "verified")),
	    "signature not verified: %s", jstr(c, "reason"));
	cr_assert(json_object_is_type(json_object_object_get(c, "json"), json_type_object),
	    "body is not JSON: %s", jstr(c, "body"));
	return json_object_object_get(c, "json");
}

/* ------------------------------------------------------------ tests */

Test(callbacks, approved_is_delivered_once_signed)
{
	char id[HUB_ID_LEN], *att;
	struct delivery d;
	json_object *calls, *b;

	create("CB-APPROVE", "/cb/approve", id);
	decide(id, 1, "looks good");
	await_delivery(id, "delivered", &d);

	b = only_call("/cb/approve", &calls);
	cr_expect_str_eq(jstr(b, "id"), id);
	cr_expect_str_eq(jstr(b, "external_id"), "CB-APPROVE");
	cr_expect_str_eq(jstr(b, "source"), source_name);
	cr_expect_str_eq(jstr(b, "status"), "Approved");
	cr_expect_str_eq(jstr(b, "decided_by"), "Ana Lopez");
	cr_expect_str_eq(jstr(b, "comment"), "looks good");
	cr_expect(is_iso8601(jstr(b, "decided_at")), "decided_at: %s", jstr(b, "decided_at"));
	json_object_put(calls);

	cr_expect_eq(d.retries, 0);
	cr_expect_str_eq(d.code, "");
	cr_assert_gt(d.job, 0, "delivery names its job");
	att = attempts(d.job);
	cr_expect_str_eq(att, "ok");
	free(att);
}

Test(callbacks, two_failures_then_delivered)
{
	char id[HUB_ID_LEN], *att;
	struct delivery d;
	json_object *calls;
	size_t i;

	receiver_fail("/cb/retry", 2, 500);
	create("CB-RETRY", "/cb/retry", id);
	decide(id, 1, NULL);
	await_delivery(id, "delivered", &d);

	calls = receiver_calls("/cb/retry");
	cr_assert_eq(json_object_array_length(calls), 3);
	for (i = 0; i < 3; i++)
		cr_expect_eq(json_object_get_int(json_object_object_get(
		    json_object_array_get_idx(calls, i), "status")), i < 2 ? 500 : 200);
	json_object_put(calls);
	cr_expect_eq(d.retries, 2);
	att = attempts(d.job);
	cr_expect_str_eq(att, "err,err,ok");
	free(att);
}

Test(callbacks, failure_shows_retrying_with_its_reason)
{
	char id[HUB_ID_LEN];
	struct delivery d;

	receiver_fail("/cb/retrying", 1, 503);
	create("CB-RETRYING", "/cb/retrying", id);
	decide(id, 1, NULL);
	/* Backoff is at least a second: the row is seen between attempts. */
	await_delivery(id, "retrying", &d);
	cr_expect_eq(d.retries, 1);
	cr_expect_str_eq(d.code, "http_503");
	cr_expect_str_eq(d.detail, "HTTP 503");
	await_delivery(id, "delivered", &d);
	cr_expect_eq(d.retries, 1);
	cr_expect_str_eq(d.code, "", "a delivered row carries no error");
}

Test(callbacks, client_error_fails_for_good)
{
	char id[HUB_ID_LEN], *att;
	struct delivery d;
	json_object *calls;

	receiver_fail("/cb/refused", 1, 400);
	create("CB-REFUSED", "/cb/refused", id);
	decide(id, 1, NULL);
	await_delivery(id, "failed", &d);
	cr_expect_eq(d.retries, 0);
	cr_expect_str_eq(d.code, "http_400");
	cr_expect_str_eq(d.detail, "HTTP 400");
	att = attempts(d.job);
	cr_expect_str_eq(att, "err");
	free(att);
	/* Not tried again: still one call a while later. */
	sleep_ms(1500);
	calls = receiver_calls("/cb/refused");
	cr_expect_eq(json_object_array_length(calls), 1);
	json_object_put(calls);
}

Test(callbacks, rejected_carries_status_and_comment)
{
	char id[HUB_ID_LEN];
	struct delivery d;
	json_object *calls, *b;

	create("CB-REJECT", "/cb/reject", id);
	decide(id, 0, "over budget");
	await_delivery(id, "delivered", &d);
	b = only_call("/cb/reject", &calls);
	cr_expect_str_eq(jstr(b, "status"), "Rejected");
	cr_expect_str_eq(jstr(b, "comment"), "over budget");
	cr_expect_str_eq(jstr(b, "decided_by"), "Ana Lopez");
	json_object_put(calls);
}

/* A worker of our own sweeping every second, on the same database. */
static pid_t
sweeping_worker(void)
{
	static const char *const env[] = { "WORKER_BACKOFF_BASE_MS=300", NULL };
	static const char *const args[] = { "--id", "sweeper", "--sweep-seconds", "1", NULL };
	char log[1024];

	snprintf(log, sizeof(log), "%s/log/sweeper.log", th_env("HUB_STATE"));
	return th_worker_start(NULL, log, env, args);
}

Test(callbacks, expired_by_the_sweep_calls_back)
{
	char id[HUB_ID_LEN], st[16] = "";
	struct delivery d;
	json_object *calls, *b;
	PGresult *r;
	pid_t pid;
	int status;

	pid = sweeping_worker();
	create("CB-EXPIRE", "/cb/expire", id);
	/* The worker has made its start-up sweep by now: what expires this
	 * request is a periodic one. */
	sleep_ms(300);
	PQclear(tq(T_DEADLINE_PAST, id, NULL));
	/* Well before the stack worker's own 15 s sweep comes round (most
	 * of the time): this waits for ours. */
	await_delivery_ms(id, "delivered", &d, 5000);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sweeper exit status %d", status);

	r = tq(T_REQ_STATUS, id, NULL);
	snprintf(st, sizeof(st), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_expect_str_eq(st, "Expired");
	b = only_call("/cb/expire", &calls);
	cr_expect_str_eq(jstr(b, "id"), id);
	cr_expect_str_eq(jstr(b, "status"), "Expired");
	cr_expect(is_iso8601(jstr(b, "decided_at")), "decided_at: %s", jstr(b, "decided_at"));
	json_object_put(calls);
}

/* Without a Slack connection: the call for action is recorded as failed
 * for want of one (with the fix), and the sync after the decision has
 * nothing to update; both jobs finish. */
Test(callbacks, notify_and_sync_finish_without_slack)
{
	char id[HUB_ID_LEN];
	struct delivery d;
	PGresult *r;
	int i;

	create("CB-NOTIFY", "/cb/notify", id);
	/* The call for action first: decided before it runs, it would have
	 * nobody left to call (the assignment is no longer pending). */
	for (i = 0; i < 150; i++) {
		r = tq(T_JOBS_OF, id, "notify");
		if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "done") == 0)
			break;
		PQclear(r);
		r = NULL;
		sleep_ms(100);
	}
	cr_assert_not_null(r, "call_for_action not done");
	PQclear(r);
	decide(id, 1, NULL);
	await_delivery(id, "delivered", &d);
	/* The callback was enqueued last; give the others a moment more. */
	for (i = 0; i < 50; i++) {
		r = tq(T_JOBS_OF, id, "sync");
		if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "done") == 0)
			break;
		PQclear(r);
		r = NULL;
		sleep_ms(100);
	}
	cr_assert_not_null(r, "sync job not done");
	cr_expect_str_eq(PQgetvalue(r, 0, 1), "no sent messages");
	PQclear(r);

	/* The decision's notify job runs beside the sync (lanes of several
	 * places): wait for it as well. */
	for (i = 0; i < 50; i++) {
		r = tq(T_JOBS_OF, id, "notify");
		if (PQntuples(r) >= 2 && strcmp(PQgetvalue(r, PQntuples(r) - 1, 0), "done") == 0)
			break;
		PQclear(r);
		sleep_ms(100);
	}
	r = tq(T_JOBS_OF, id, "notify");
	cr_assert_geq(PQntuples(r), 2, "call_for_action and decision");
	for (i = 0; i < PQntuples(r); i++) {
		cr_expect_str_eq(PQgetvalue(r, i, 0), "done");
		cr_expect(strstr(PQgetvalue(r, i, 1), "logged") != NULL, "%s", PQgetvalue(r, i, 1));
	}
	PQclear(r);

	r = tq(T_SLACK_DELIVERY, id, NULL);
	cr_assert_geq(PQntuples(r), 2);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "call_for_action");
	for (i = 0; i < PQntuples(r); i++) {
		cr_expect_str_eq(PQgetvalue(r, i, 1), "failed");
		cr_expect_str_eq(PQgetvalue(r, i, 2), "no_connection");
		cr_expect(strstr(PQgetvalue(r, i, 3), "approvalhub connection add") != NULL,
		    "the fix: %s", PQgetvalue(r, i, 3));
		cr_expect_str_eq(PQgetvalue(r, i, 4), "t", "names its job");
	}
	PQclear(r);
}
