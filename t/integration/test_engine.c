/*
 * test_engine.c - lib/approval/engine.c against a real PostgreSQL: rules any / all /
 * quorum, sequential steps, delegation, reassignment, self-approval, reason
 * required, edits, repeated and refused decisions (which write nothing),
 * idempotent and concurrent creates, concurrent decisions, expiry,
 * reminders with their throttle, lapse, the audit trail and the callback.
 *
 * Every test migrates its own fresh database t_<random> so the stack's
 * worker (running on DATABASE_URL) never consumes the jobs looked at here.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "store/db.h"
#include "approval/engine.h"
#include "store/migrate.h"
#include "testlib.h"

/* ------------------------------------------------------------ fixtures */

static struct th_db freshdb;
#define fresh_url (freshdb.url)
static struct hub_db *db;

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

static void
setup(void)
{
	th_db_create(&freshdb);
	cr_assert_eq(hub_db_connect_limits(fresh_url, NULL, &db), HUB_DB_OK);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
	th_db_drop(&freshdb);
}

TestSuite(engine, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ SQL helpers */

enum t_stmt {
	T_SOURCE,
	T_SOURCE_DEFAULTS,
	T_GROUP,
	T_MEMBER,
	T_DELEGATION,
	T_DELEGATION_REVOKE,
	T_DELEGATION_PAST,
	T_SNAPSHOT,
	T_ASG,
	T_REQ,
	T_STEPS,
	T_NOTIFY,
	T_JOBS_KIND,
	T_CALLBACK,
	T_DELIVERY,
	T_AUDIT,
	T_AUDIT_DETAIL,
	T_COUNT_REQ,
	T_DEADLINE_PAST,
	T_DEADLINE_SOON,
	T_REMIND_PAST,
	T_VALID_PAST,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	/* name, callback_url, secret, allow self, reason required, editable */
	[T_SOURCE] = {
	    "INSERT INTO sources (name, callback_url, callback_secret_enc,"
	    " allow_self_approval, reason_required, editable_fields)"
	    " VALUES ($1, $2, $3, $4::boolean, $5::boolean, coalesce($6::jsonb, '[]'))"
	    " RETURNING id", 6 },
	[T_SOURCE_DEFAULTS] = {
	    "UPDATE sources SET default_deadline = interval '2 days',"
	    " default_reminder = interval '1 hour' WHERE id = $1::uuid", 1 },
	[T_GROUP] = { "INSERT INTO groups (name) VALUES ($1) RETURNING id", 1 },
	[T_MEMBER] = {
	    "INSERT INTO group_members (group_id, member_kind, member_value)"
	    " VALUES ($1::uuid, $2, $3)", 3 },
	[T_DELEGATION] = {
	    "INSERT INTO delegations (approver_kind, approver_value, delegate_kind,"
	    " delegate_value, valid_from, valid_to)"
	    " VALUES ('slack', $1, 'slack', $2, current_date - 1, current_date + 1)", 2 },
	[T_DELEGATION_REVOKE] = {
	    "UPDATE delegations SET revoked_at = now()", 0 },
	[T_DELEGATION_PAST] = {
	    "UPDATE delegations SET valid_from = current_date - 10,"
	    " valid_to = current_date - 1", 0 },
	/* Everything a refused call must leave untouched. */
	[T_SNAPSHOT] = {
	    "SELECT concat_ws('|',"
	    " (SELECT count(*) FROM requests), (SELECT count(*) FROM request_steps),"
	    " (SELECT count(*) FROM assignments), (SELECT count(*) FROM audit_log),"
	    " (SELECT count(*) FROM jobs), (SELECT count(*) FROM delivery_log),"
	    " (SELECT string_agg(status || ':' || coalesce(decided_by, '-'), ',' ORDER BY id)"
	    "  FROM assignments),"
	    " (SELECT string_agg(status || ':' || current_step || ':' || metadata::text,"
	    "  ',' ORDER BY id) FROM requests),"
	    " (SELECT string_agg(status, ',' ORDER BY id) FROM request_steps))", 0 },
	/* id, status, decided_by, delegate_of, approver_value, reassigned_to, kind */
	[T_ASG] = {
	    "SELECT id, status, coalesce(decided_by, ''), coalesce(delegate_of, 0),"
	    " approver_value, coalesce(reassigned_to, 0), approver_kind"
	    " FROM assignments WHERE request_id = $1::uuid ORDER BY id", 1 },
	/* status, current_step, decided_by, valid_until set, metadata,
	 * deadline set, next reminder set, comment */
	[T_REQ] = {
	    "SELECT status, current_step, coalesce(decided_by, ''),"
	    " valid_until IS NOT NULL, metadata::text, deadline IS NOT NULL,"
	    " next_reminder_at IS NOT NULL, coalesce(decision_comment, ''),"
	    " next_reminder_at > now()"
	    " FROM requests WHERE id = $1::uuid", 1 },
	[T_STEPS] = {
	    "SELECT string_agg(status, ',' ORDER BY position) FROM request_steps"
	    " WHERE request_id = $1::uuid", 1 },
	/* notify jobs: kind, assignment id, dedupe key */
	[T_NOTIFY] = {
	    "SELECT payload->>'kind', coalesce(payload->>'assignment_id', ''), dedupe_key"
	    " FROM jobs WHERE kind = 'notify' AND payload->>'request_id' = $1 ORDER BY id", 1 },
	[T_JOBS_KIND] = {
	    "SELECT count(*) FROM jobs WHERE kind = $2"
	    " AND (payload->>'request_id' = $1 OR payload->'body'->>'id' = $1)", 2 },
	/* payload, 24 h deadline, max_attempts, id */
	[T_CALLBACK] = {
	    "SELECT payload::text, deadline = created_at + interval '24 hours',"
	    " max_attempts, id FROM jobs WHERE kind = 'http_post'"
	    " AND payload->'body'->>'id' = $1 ORDER BY id", 1 },
	/* id, job_id, kind, transport, status */
	[T_DELIVERY] = {
	    "SELECT id, coalesce(job_id, 0), kind, transport, status FROM delivery_log"
	    " WHERE request_id = $1::uuid ORDER BY id", 1 },
	[T_AUDIT] = {
	    "SELECT coalesce(string_agg(action, ',' ORDER BY id), '') FROM audit_log"
	    " WHERE request_id = $1::uuid", 1 },
	[T_AUDIT_DETAIL] = {
	    "SELECT detail::text, actor, via FROM audit_log WHERE request_id = $1::uuid"
	    " AND action = $2 ORDER BY id", 2 },
	[T_COUNT_REQ] = { "SELECT count(*) FROM requests", 0 },
	[T_DEADLINE_PAST] = {
	    "UPDATE requests SET deadline = now() - interval '1 minute'"
	    " WHERE id = $1::uuid", 1 },
	[T_DEADLINE_SOON] = {
	    "UPDATE requests SET deadline = now() + interval '10 minutes'"
	    " WHERE id = $1::uuid", 1 },
	[T_REMIND_PAST] = {
	    "UPDATE requests SET next_reminder_at = now() - interval '1 second'"
	    " WHERE id = $1::uuid", 1 },
	[T_VALID_PAST] = {
	    "UPDATE requests SET valid_until = now() - interval '1 second'"
	    " WHERE id = $1::uuid", 1 },
};

static const struct hub_stmt_table t_table = { "tengine", t_stmts, T__MAX };

static PGresult *
tq(int stmt, const char *a, const char *b, const char *c)
{
	const char *p[6] = { a, b, c, NULL, NULL, NULL };
	PGresult *r = NULL;
	int rc = hub_db_exec(db, &t_table, stmt, p, &r);

	cr_assert_eq(rc, HUB_DB_OK, "test stmt %d: %s", stmt, hub_db_last_error(db));
	return r;
}

/* First cell of a one-row statement. */
static char *
tq_str(int stmt, const char *a, const char *b)
{
	PGresult *r = tq(stmt, a, b, NULL);
	char *s;

	cr_assert_eq(PQntuples(r), 1, "stmt %d rows", stmt);
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_assert_not_null(s);
	return s;
}

static long long
tq_ll(int stmt, const char *a, const char *b)
{
	PGresult *r = tq(stmt, a, b, NULL);
	long long v;

	cr_assert_eq(PQntuples(r), 1);
	v = cell_ll(r, 0, 0);
	PQclear(r);
	return v;
}

struct src_opts {
	const char	*callback_url;
	const char	*secret;
	int		 allow_self;
	int		 reason_required;
	const char	*editable;
};

static char source_id[HUB_ID_LEN];

static void
make_source(const char *name, const struct src_opts *o, char *out)
{
	static const struct src_opts none = { NULL, NULL, 0, 0, NULL };
	const char *p[6];
	PGresult *r = NULL;

	if (o == NULL)
		o = &none;
	p[0] = name;
	p[1] = o->callback_url;
	p[2] = o->secret;
	p[3] = o->allow_self ? "true" : "false";
	p[4] = o->reason_required ? "true" : "false";
	p[5] = o->editable;
	cr_assert_eq(hub_db_exec(db, &t_table, T_SOURCE, p, &r), HUB_DB_OK, "%s",
	    hub_db_last_error(db));
	snprintf(out, HUB_ID_LEN, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* A normalized request (intake.h shape): steps is JSON text, extra an
 * object whose members replace the defaults. */
static json_object *
mkreq(const char *external_id, const char *steps, const char *extra)
{
	char buf[16384];
	json_object *o, *x;

	snprintf(buf, sizeof(buf),
	    "{\"request_source\": null, \"external_id\": %s%s%s,"
	    " \"idempotency_key\": null, \"title\": \"Laptop\","
	    " \"requester_name\": \"Rita Requester\", \"requester_email\": \"rita@example.com\","
	    " \"requester_slack_id\": \"UREQ\", \"justification\": \"old one broke\","
	    " \"metadata\": {\"amount\": 1200, \"currency\": \"EUR\"}, \"preset\": null,"
	    " \"steps\": %s, \"deadline\": null, \"reminder_every\": null,"
	    " \"valid_for\": null, \"callback_url\": null, \"watchers\": [],"
	    " \"delivery\": null, \"channel\": null, \"connection\": null}",
	    external_id ? "\"" : "", external_id ? external_id : "null",
	    external_id ? "\"" : "", steps);
	o = json_tokener_parse(buf);
	cr_assert_not_null(o, "bad test JSON: %s", buf);
	if (extra != NULL) {
		x = json_tokener_parse(extra);
		cr_assert_not_null(x, "bad extra JSON: %s", extra);
		json_object_object_foreach(x, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(x);
	}
	return o;
}

/* One step: approvers is a JSON array of approvers. */
static char *
step1(const char *rule, int quorum, const char *approvers)
{
	static char buf[8192];

	if (quorum > 0)
		snprintf(buf, sizeof(buf), "[{\"rule\": \"%s\", \"quorum\": %d, \"approvers\": %s,"
		    " \"delivery\": null, \"channel\": null, \"connection\": null}]",
		    rule, quorum, approvers);
	else
		snprintf(buf, sizeof(buf), "[{\"rule\": \"%s\", \"quorum\": null, \"approvers\": %s,"
		    " \"delivery\": null, \"channel\": null, \"connection\": null}]",
		    rule, approvers);
	return buf;
}

static const struct hub_actor api_actor = { "api", "src-key", NULL, "Source key", "api" };

static void
create_ok(json_object *req, struct hub_outcome *o)
{
	struct hub_engine_error err;
	int rc;

	rc = hub_engine_create(db, source_id, req, &api_actor, o, &err);
	json_object_put(req);
	cr_assert_eq(rc, HUB_ENGINE_OK, "create: %s (%s: %s) %s", hub_engine_strerror(rc),
	    err.field, err.message, hub_db_last_error(db));
	cr_assert_eq(o->created, 1);
	cr_assert_str_eq(o->request_status, "Pending");
}

/* Slack actor "User <id>" */
static struct hub_actor
slack(const char *id)
{
	static char names[32][64];
	static int next;
	struct hub_actor a = { "slack", id, "T1", NULL, "slack" };

	snprintf(names[next % 32], sizeof(names[0]), "User %s", id);
	a.display = names[next++ % 32];
	return a;
}

static int
decide(const char *req, const char *who, int approve, const char *comment,
    struct hub_outcome *o)
{
	struct hub_actor a = slack(who);
	struct hub_engine_error err;

	return hub_engine_decide(db, req, 0, &a, approve, comment, NULL, o, &err);
}

/* Status of the assignment of approver `value` (first, not delegate). */
static void
asg_of(const char *req, const char *value, char *status, size_t n, char *by, size_t bn,
    long long *id)
{
	PGresult *r = tq(T_ASG, req, NULL, NULL);
	int i;

	for (i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 4), value) == 0) {
			snprintf(status, n, "%s", PQgetvalue(r, i, 1));
			if (by != NULL)
				snprintf(by, bn, "%s", PQgetvalue(r, i, 2));
			if (id != NULL)
				*id = cell_ll(r, i, 0);
			PQclear(r);
			return;
		}
	}
	PQclear(r);
	cr_assert_fail("no assignment for %s", value);
}

static void
expect_asg(const char *req, const char *value, const char *want)
{
	char st[16];

	asg_of(req, value, st, sizeof(st), NULL, 0, NULL);
	cr_expect_str_eq(st, want, "assignment of %s", value);
}

static int
count_notify(const char *req, const char *kind)
{
	PGresult *r = tq(T_NOTIFY, req, NULL, NULL);
	int i, n = 0;

	for (i = 0; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, 0), kind) == 0)
			n++;
	PQclear(r);
	return n;
}

static long long
count_jobs(const char *req, const char *kind)
{
	return tq_ll(T_JOBS_KIND, req, kind);
}

static void
expect_audit(const char *req, const char *want)
{
	char *s = tq_str(T_AUDIT, req, NULL);

	cr_expect_str_eq(s, want, "audit trail");
	free(s);
}

static void
expect_req(const char *req, const char *status, const char *decided_by)
{
	PGresult *r = tq(T_REQ, req, NULL, NULL);

	cr_assert_eq(PQntuples(r), 1);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), status);
	if (decided_by != NULL)
		cr_expect_str_eq(PQgetvalue(r, 0, 2), decided_by);
	PQclear(r);
}

#define CB_URL "http://127.0.0.1:9/cb"

static void
init_source(void)
{
	struct src_opts o = { CB_URL, "v1.k1.sealedsecret", 0, 0, "[\"amount\"]" };

	make_source("workday", &o, source_id);
}

/* ------------------------------------------------------------ create */

Test(engine, create_one_step_notifies_each_approver)
{
	struct hub_outcome o;
	PGresult *r;
	char key[256];
	int i;

	init_source();
	create_ok(mkreq("PTO-1", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"email\",\"value\":\"bo@example.com\"}]"),
	    NULL), &o);
	r = tq(T_ASG, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2);
	PQclear(r);
	r = tq(T_NOTIFY, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2);
	for (i = 0; i < 2; i++) {
		cr_expect_str_eq(PQgetvalue(r, i, 0), "call_for_action");
		snprintf(key, sizeof(key), "notify:%s:call_for_action:%s:1", o.id,
		    PQgetvalue(r, i, 1));
		cr_expect_str_eq(PQgetvalue(r, i, 2), key);
	}
	PQclear(r);
	cr_expect_eq(count_jobs(o.id, "http_post"), 0);
	expect_audit(o.id, "request.created");
	{
		char *s = tq_str(T_STEPS, o.id, NULL);

		cr_expect_str_eq(s, "active");
		free(s);
	}
}

Test(engine, create_is_idempotent_on_external_id)
{
	struct hub_outcome a, b;
	struct hub_engine_error err;
	char other[HUB_ID_LEN];
	const char *ap = step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]");
	char steps[8192];

	snprintf(steps, sizeof(steps), "%s", ap);
	init_source();
	create_ok(mkreq("EXT-1", steps, NULL), &a);
	json_object *again = mkreq("EXT-1", steps, "{\"title\": \"changed\"}");
	cr_assert_eq(hub_engine_create(db, source_id, again, &api_actor, &b, &err), HUB_ENGINE_OK);
	json_object_put(again);
	cr_expect_eq(b.created, 0);
	cr_expect_str_eq(b.id, a.id);
	cr_expect_eq(tq_ll(T_COUNT_REQ, NULL, NULL), 1);
	cr_expect_eq(count_notify(a.id, "call_for_action"), 1, "no second notification");

	/* another source may use the same external id */
	make_source("concur", NULL, other);
	again = mkreq("EXT-1", steps, NULL);
	cr_assert_eq(hub_engine_create(db, other, again, &api_actor, &b, &err), HUB_ENGINE_OK);
	json_object_put(again);
	cr_expect_eq(b.created, 1);
	cr_expect_str_neq(b.id, a.id);
}

Test(engine, create_is_idempotent_on_idempotency_key)
{
	struct hub_outcome a, b;
	struct hub_engine_error err;
	char steps[8192];
	json_object *req;

	snprintf(steps, sizeof(steps), "%s", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"));
	init_source();
	create_ok(mkreq(NULL, steps, "{\"idempotency_key\": \"idem-77\"}"), &a);
	req = mkreq(NULL, steps, "{\"idempotency_key\": \"idem-77\"}");
	cr_assert_eq(hub_engine_create(db, source_id, req, &api_actor, &b, &err), HUB_ENGINE_OK);
	json_object_put(req);
	cr_expect_eq(b.created, 0);
	cr_expect_str_eq(b.id, a.id);
	/* without a key every call is a new request */
	req = mkreq(NULL, steps, NULL);
	cr_assert_eq(hub_engine_create(db, source_id, req, &api_actor, &b, &err), HUB_ENGINE_OK);
	json_object_put(req);
	cr_expect_eq(b.created, 1);
	cr_expect_eq(tq_ll(T_COUNT_REQ, NULL, NULL), 2);
}

Test(engine, create_concurrent_identical_makes_one_request)
{
	enum { N = 50 };
	pid_t pids[N];
	int go[2], i, st, ok = 0;
	char steps[8192], c;

	init_source();
	snprintf(steps, sizeof(steps), "%s", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"));
	cr_assert_eq(pipe(go), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			struct hub_db *mine = NULL;
			struct hub_outcome o;
			struct hub_engine_error err;
			json_object *req;
			int rc;

			close(go[1]);
			if (hub_db_connect_limits(fresh_url, NULL, &mine) != HUB_DB_OK)
				_exit(10);
			req = mkreq("SAME-1", steps, NULL);
			(void)read(go[0], &c, 1);   /* all start together */
			rc = hub_engine_create(mine, source_id, req, &api_actor, &o, &err);
			_exit(rc == HUB_ENGINE_OK ? (o.created ? 0 : 1) : 20 + rc);
		}
	}
	close(go[0]);
	usleep(300000);
	close(go[1]);
	for (i = 0; i < N; i++) {
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st));
		cr_expect(WEXITSTATUS(st) <= 1, "child %d exit %d", i, WEXITSTATUS(st));
		if (WEXITSTATUS(st) == 0)
			ok++;
	}
	cr_expect_eq(ok, 1, "exactly one creator");
	cr_expect_eq(tq_ll(T_COUNT_REQ, NULL, NULL), 1);
	{
		PGresult *r = tq(T_SNAPSHOT, NULL, NULL, NULL);

		/* 1 request, 1 step, 2 assignments, 1 audit row, 2 jobs */
		cr_expect(strncmp(PQgetvalue(r, 0, 0), "1|1|2|1|2|0|", 12) == 0, "%s",
		    PQgetvalue(r, 0, 0));
		PQclear(r);
	}
}

Test(engine, create_expands_groups_and_records_it)
{
	struct hub_outcome o;
	PGresult *r;
	char gid[HUB_ID_LEN], *detail;

	init_source();
	r = tq(T_GROUP, "finance", NULL, NULL);
	snprintf(gid, sizeof(gid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQclear(tq(T_MEMBER, gid, "slack", "UF1"));
	PQclear(tq(T_MEMBER, gid, "email", "fin@example.com"));
	/* UF1 is also listed directly: one assignment for them */
	create_ok(mkreq("G-1", step1("all", 0,
	    "[{\"kind\":\"group\",\"value\":\"finance\"},{\"kind\":\"slack\",\"value\":\"UF1\"}]"),
	    NULL), &o);
	r = tq(T_ASG, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2);
	/* members in the order they joined the group */
	cr_expect_str_eq(PQgetvalue(r, 0, 6), "slack");
	cr_expect_str_eq(PQgetvalue(r, 0, 4), "UF1");
	cr_expect_str_eq(PQgetvalue(r, 1, 6), "email");
	cr_expect_str_eq(PQgetvalue(r, 1, 4), "fin@example.com");
	PQclear(r);
	r = tq(T_AUDIT_DETAIL, o.id, "request.created", NULL);
	detail = PQgetvalue(r, 0, 0);
	cr_expect(strstr(detail, "\"group\": \"finance\"") != NULL, "%s", detail);
	cr_expect(strstr(detail, "fin@example.com") != NULL, "%s", detail);
	cr_expect_str_eq(PQgetvalue(r, 0, 2), "api");
	PQclear(r);
}

Test(engine, create_refuses_unknown_group_and_big_quorum_writing_nothing)
{
	struct hub_outcome o;
	struct hub_engine_error err;
	json_object *req;
	char *before, *after;

	init_source();
	before = tq_str(T_SNAPSHOT, NULL, NULL);
	req = mkreq("G-2", step1("any", 0, "[{\"kind\":\"group\",\"value\":\"nobody\"}]"), NULL);
	cr_expect_eq(hub_engine_create(db, source_id, req, &api_actor, &o, &err),
	    HUB_ENGINE_INVALID);
	cr_expect_str_eq(err.field, "steps[0]");
	cr_expect_str_eq(o.id, "");
	json_object_put(req);
	req = mkreq("Q-9", step1("quorum", 3,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"), NULL);
	cr_expect_eq(hub_engine_create(db, source_id, req, &api_actor, &o, &err),
	    HUB_ENGINE_INVALID);
	json_object_put(req);
	req = mkreq("S-9", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL);
	cr_expect_eq(hub_engine_create(db, "00000000-0000-0000-0000-000000000000", req,
	    &api_actor, &o, &err), HUB_ENGINE_NOTFOUND);
	json_object_put(req);
	after = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
}

Test(engine, create_applies_source_defaults)
{
	struct hub_outcome o;
	PGresult *r;

	init_source();
	PQclear(tq(T_SOURCE_DEFAULTS, source_id, NULL, NULL));
	create_ok(mkreq("D-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL),
	    &o);
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 5), "t", "deadline from the source");
	cr_expect_str_eq(PQgetvalue(r, 0, 6), "t", "reminder from the source");
	PQclear(r);
}

/* ------------------------------------------------------------ rules */

Test(engine, any_first_approval_decides_and_calls_back)
{
	struct hub_outcome o, d;
	PGresult *r;
	json_object *pl, *body, *v;

	init_source();
	create_ok(mkreq("ANY-1", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    NULL), &o);
	cr_assert_eq(decide(o.id, "U2", 1, "fine", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	cr_expect_eq(d.request_finished, 1);
	cr_expect_str_eq(d.decided_by, "User U2");
	cr_expect_neq(d.decided_at[0], '\0');
	expect_req(o.id, "Approved", "User U2");
	expect_asg(o.id, "U2", "approved");
	expect_asg(o.id, "U1", "skipped");
	expect_audit(o.id, "request.created,assignment.approved,step.approved,request.approved");
	cr_expect_eq(count_notify(o.id, "decision"), 1);
	cr_expect_eq(count_notify(o.id, "watcher"), 0, "no watchers");
	cr_expect_eq(count_jobs(o.id, "sync"), 1);

	/* the callback job: payload, body shape, deadline, delivery row */
	r = tq(T_CALLBACK, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 1);
	cr_expect_str_eq(PQgetvalue(r, 0, 1), "t", "24 h deadline");
	cr_expect_geq(cell_ll(r, 0, 2), 50);
	pl = json_tokener_parse(PQgetvalue(r, 0, 0));
	cr_assert_not_null(pl);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(pl, "url")), CB_URL);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(pl, "sign_secret_sealed")),
	    "v1.k1.sealedsecret");
	body = json_object_object_get(pl, "body");
	cr_assert(json_object_is_type(body, json_type_object));
	cr_expect_str_eq(json_object_get_string(json_object_object_get(body, "id")), o.id);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(body, "external_id")),
	    "ANY-1");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(body, "source")), "workday");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(body, "status")), "Approved");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(body, "decided_by")),
	    "User U2");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(body, "comment")), "fine");
	v = json_object_object_get(body, "decided_at");
	cr_expect(json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) == 20 && json_object_get_string(v)[19] == 'Z',
	    "decided_at ISO-8601 UTC: %s", json_object_get_string(v));
	cr_expect_eq(json_object_object_length(body), 7, "%s", json_object_get_string(body));
	{
		long long job = cell_ll(r, 0, 3);
		PGresult *dl = tq(T_DELIVERY, o.id, NULL, NULL);

		cr_assert_eq(PQntuples(dl), 1);
		cr_expect_eq(cell_ll(dl, 0, 1), job, "delivery_log names the job");
		cr_expect_eq(json_object_get_int64(json_object_object_get(pl, "delivery_id")),
		    cell_ll(dl, 0, 0));
		cr_expect_str_eq(PQgetvalue(dl, 0, 2), "callback");
		cr_expect_str_eq(PQgetvalue(dl, 0, 3), "callback");
		cr_expect_str_eq(PQgetvalue(dl, 0, 4), "queued");
		PQclear(dl);
	}
	json_object_put(pl);
	PQclear(r);
}

Test(engine, any_first_reject_rejects)
{
	struct hub_outcome o, d;

	init_source();
	create_ok(mkreq("ANY-2", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    "{\"watchers\": [{\"kind\":\"slack\",\"value\":\"UW\"}]}"), &o);
	cr_assert_eq(decide(o.id, "U1", 0, "no budget", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Rejected");
	expect_asg(o.id, "U2", "skipped");
	expect_audit(o.id, "request.created,assignment.rejected,step.rejected,request.rejected");
	cr_expect_eq(count_notify(o.id, "watcher"), 1);
	cr_expect_eq(count_jobs(o.id, "http_post"), 1);
}

Test(engine, all_needs_everyone)
{
	struct hub_outcome o, d;

	init_source();
	create_ok(mkreq("ALL-1", step1("all", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"},"
	    "{\"kind\":\"slack\",\"value\":\"U3\"}]"), NULL), &o);
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Pending");
	cr_expect_eq(d.request_finished, 0);
	cr_assert_eq(decide(o.id, "U3", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Pending");
	cr_expect_eq(count_jobs(o.id, "sync"), 2, "progress sync per decision");
	cr_expect_eq(count_jobs(o.id, "http_post"), 0);
	cr_assert_eq(decide(o.id, "U2", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	cr_expect_eq(count_jobs(o.id, "http_post"), 1);
}

Test(engine, all_one_reject_rejects)
{
	struct hub_outcome o, d;

	init_source();
	create_ok(mkreq("ALL-2", step1("all", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    NULL), &o);
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	cr_assert_eq(decide(o.id, "U2", 0, "no", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Rejected");
	expect_asg(o.id, "U1", "approved");
	expect_asg(o.id, "U2", "rejected");
}

Test(engine, quorum_two_of_three_approves)
{
	struct hub_outcome o, d;

	init_source();
	create_ok(mkreq("Q-1", step1("quorum", 2,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"},"
	    "{\"kind\":\"slack\",\"value\":\"U3\"}]"), NULL), &o);
	cr_assert_eq(decide(o.id, "U1", 0, "meh", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Pending", "2 approvals still reachable");
	cr_assert_eq(decide(o.id, "U2", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Pending");
	cr_assert_eq(decide(o.id, "U3", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	expect_asg(o.id, "U1", "rejected");
}

Test(engine, quorum_rejects_when_unreachable)
{
	struct hub_outcome o, d;

	init_source();
	create_ok(mkreq("Q-2", step1("quorum", 2,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"},"
	    "{\"kind\":\"slack\",\"value\":\"U3\"}]"), NULL), &o);
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	cr_assert_eq(decide(o.id, "U2", 0, "no", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Pending");
	cr_assert_eq(decide(o.id, "U3", 0, "no", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Rejected");
	cr_expect_eq(d.request_finished, 1);
}

Test(engine, sequential_steps_notify_step_two_only_after_step_one)
{
	struct hub_outcome o, d;
	const char *steps =
	    "[{\"rule\":\"any\",\"quorum\":null,\"approvers\":[{\"kind\":\"slack\",\"value\":\"U1\"}]},"
	    " {\"rule\":\"any\",\"quorum\":null,\"approvers\":[{\"kind\":\"slack\",\"value\":\"U2\"}]}]";
	long long a2;
	char st[16], key[256];
	PGresult *r;
	int i, found = 0;

	init_source();
	create_ok(mkreq("SEQ-1", steps, NULL), &o);
	asg_of(o.id, "U2", st, sizeof(st), NULL, 0, &a2);
	cr_expect_eq(count_notify(o.id, "call_for_action"), 1, "only step 1 is told");
	cr_expect_eq(decide(o.id, "U2", 1, NULL, &d), HUB_ENGINE_NOT_APPROVER, "not yet");
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_eq(d.step_advanced, 1);
	cr_expect_eq(d.request_finished, 0);
	cr_expect_str_eq(d.request_status, "Pending");
	cr_expect_eq(count_notify(o.id, "call_for_action"), 2);
	snprintf(key, sizeof(key), "notify:%s:call_for_action:%lld:1", o.id, a2);
	r = tq(T_NOTIFY, o.id, NULL, NULL);
	for (i = 0; i < PQntuples(r); i++)
		found += strcmp(PQgetvalue(r, i, 2), key) == 0;
	PQclear(r);
	cr_expect_eq(found, 1, "step 2's approver is called");
	cr_expect_eq(count_jobs(o.id, "http_post"), 0, "no callback mid-way");
	cr_expect_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_ALREADY_DECIDED);
	cr_assert_eq(decide(o.id, "U2", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	expect_audit(o.id, "request.created,assignment.approved,step.approved,step.started,"
	    "assignment.approved,step.approved,request.approved");
	{
		char *s = tq_str(T_STEPS, o.id, NULL);

		cr_expect_str_eq(s, "approved,approved");
		free(s);
	}
}

/* ------------------------------------------------------------ people */

Test(engine, delegate_decides_for_the_original)
{
	struct hub_outcome o, d;
	PGresult *r;
	char by[256], st[16];

	init_source();
	PQclear(tq(T_DELEGATION, "U1", "UD", NULL));
	create_ok(mkreq("DEL-1", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    NULL), &o);
	r = tq(T_ASG, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 3);
	cr_expect_str_eq(PQgetvalue(r, 2, 4), "UD");
	cr_expect_eq(cell_ll(r, 2, 3), cell_ll(r, 0, 0), "delegate_of the original");
	PQclear(r);
	cr_expect_eq(count_notify(o.id, "delegate_call"), 1);
	cr_expect_eq(count_notify(o.id, "call_for_action"), 2);
	cr_assert_eq(decide(o.id, "UD", 1, "on behalf", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	asg_of(o.id, "U1", st, sizeof(st), by, sizeof(by), NULL);
	cr_expect_str_eq(st, "approved", "original marked");
	cr_expect_str_eq(by, "User UD");
	expect_asg(o.id, "UD", "approved");
	expect_asg(o.id, "U2", "skipped");
	r = tq(T_AUDIT_DETAIL, o.id, "assignment.approved", NULL);
	cr_expect(strstr(PQgetvalue(r, 0, 0), "\"delegate_of\"") != NULL, "%s",
	    PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* Revoking a delegation takes the decision away from the delegate at
 * once, also on requests already sent to it; nothing is written. */
Test(engine, revoked_delegation_can_no_longer_decide)
{
	struct hub_outcome o, d;
	char *before, *after;

	init_source();
	PQclear(tq(T_DELEGATION, "U1", "UD", NULL));
	create_ok(mkreq("DEL-3", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"),
	    NULL), &o);
	PQclear(tq(T_DELEGATION_REVOKE, NULL, NULL, NULL));
	before = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_eq(decide(o.id, "UD", 1, NULL, &d), HUB_ENGINE_NOT_APPROVER);
	after = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_str_eq(after, before, "a refused delegate writes nothing");
	free(before);
	free(after);
	cr_expect_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK, "the approver still can");
}

Test(engine, expired_or_revoked_delegation_adds_nobody)
{
	struct hub_outcome o;
	PGresult *r;

	init_source();
	PQclear(tq(T_DELEGATION, "U1", "UD", NULL));
	PQclear(tq(T_DELEGATION_PAST, NULL, NULL, NULL));
	create_ok(mkreq("DEL-2", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"),
	    NULL), &o);
	r = tq(T_ASG, o.id, NULL, NULL);
	cr_expect_eq(PQntuples(r), 1);
	PQclear(r);
	cr_expect_eq(count_notify(o.id, "delegate_call"), 0);
}

Test(engine, reassign_replaces_and_tells_both)
{
	struct hub_outcome o, d;
	struct hub_engine_error err;
	PGresult *r;
	long long old_id, new_id;
	char st[16];

	init_source();
	create_ok(mkreq("RE-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL),
	    &o);
	cr_assert_eq(hub_engine_reassign(db, o.id, "slack", "U1", "slack", "U9", &api_actor, &err),
	    HUB_ENGINE_OK, "%s", err.message);
	asg_of(o.id, "U1", st, sizeof(st), NULL, 0, &old_id);
	cr_expect_str_eq(st, "reassigned");
	asg_of(o.id, "U9", st, sizeof(st), NULL, 0, &new_id);
	cr_expect_str_eq(st, "pending");
	r = tq(T_ASG, o.id, NULL, NULL);
	cr_expect_eq(cell_ll(r, 0, 5), new_id, "reassigned_to");
	PQclear(r);
	cr_expect_eq(count_notify(o.id, "approver_removed"), 1);
	/* the new approver's one card: approver_added, no call_for_action too */
	cr_expect_eq(count_notify(o.id, "approver_added"), 1);
	cr_expect_eq(count_notify(o.id, "call_for_action"), 1);
	cr_expect_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_NOT_APPROVER);
	cr_expect_eq(hub_engine_reassign(db, o.id, "slack", "U1", "slack", "U8", &api_actor, &err),
	    HUB_ENGINE_NOT_APPROVER, "U1 is no longer an approver");
	cr_expect_eq(hub_engine_reassign(db, o.id, "group", "x", "slack", "U8", &api_actor, &err),
	    HUB_ENGINE_INVALID);
	cr_assert_eq(decide(o.id, "U9", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	expect_audit(o.id, "request.created,approver.reassigned,assignment.approved,"
	    "step.approved,request.approved");
}

/* The snapshot with its audit_log count (the 4th field) moved by n. */
static char *
audit_moved(const char *snap, int n)
{
	const char *p = snap;
	char *end, *out;
	long v;
	int i;

	for (i = 0; i < 3; i++)
		p = strchr(p, '|') + 1;
	v = strtol(p, &end, 10);
	cr_assert_not_null(out = malloc(strlen(snap) + 24));
	snprintf(out, strlen(snap) + 24, "%.*s%ld%s", (int)(p - snap), snap, v + n, end);
	return out;
}

/* Nothing of the decision is written; the attempt itself is remembered:
 * the request's self_approval flag and one audit row per attempt
 * (engine.h). */
Test(engine, self_approval_refused_and_nothing_written)
{
	struct hub_outcome o, d;
	char *before, *after, *want;

	init_source();
	/* With someone else in the step (a step of the requester alone is
	 * refused at create). */
	create_ok(mkreq("SELF-1", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"UREQ\"},{\"kind\":\"email\",\"value\":\"Rita@Example.com\"},"
	    "{\"kind\":\"slack\",\"value\":\"UBOSS\"}]"),
	    NULL), &o);
	before = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_eq(decide(o.id, "UREQ", 1, NULL, &d), HUB_ENGINE_SELF_APPROVAL);
	{
		struct hub_actor a = { "email", "rita@example.com", NULL, "Rita", "web" };
		struct hub_engine_error err;

		cr_expect_eq(hub_engine_decide(db, o.id, 0, &a, 1, NULL, NULL, &d, &err),
		    HUB_ENGINE_SELF_APPROVAL, "the requester by email too");
	}
	after = tq_str(T_SNAPSHOT, NULL, NULL);
	want = audit_moved(before, 2);
	cr_expect_str_eq(after, want);
	expect_audit(o.id, "request.created,risk.self_approval_attempt,"
	    "risk.self_approval_attempt");
	free(before);
	free(after);
	free(want);
}

Test(engine, self_approval_allowed_by_source)
{
	struct hub_outcome o, d;
	struct src_opts so = { NULL, NULL, 1, 0, NULL };

	make_source("selfok", &so, source_id);
	create_ok(mkreq("SELF-2", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"UREQ\"}]"),
	    NULL), &o);
	cr_assert_eq(decide(o.id, "UREQ", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	cr_expect_eq(count_jobs(o.id, "http_post"), 0, "no callback URL anywhere");
}

Test(engine, email_approver_decides_case_insensitively)
{
	struct hub_outcome o, d;
	struct hub_actor a = { "email", "Bo@Example.COM", NULL, "Bo", "web" };
	struct hub_engine_error err;

	init_source();
	create_ok(mkreq("EM-1", step1("any", 0, "[{\"kind\":\"email\",\"value\":\"bo@example.com\"}]"),
	    NULL), &o);
	cr_assert_eq(hub_engine_decide(db, o.id, 0, &a, 1, NULL, NULL, &d, &err), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Approved");
	expect_req(o.id, "Approved", "Bo");
}

Test(engine, reason_required_to_reject)
{
	struct hub_outcome o, d;
	struct src_opts so = { NULL, NULL, 0, 1, NULL };
	char *before, *after;
	PGresult *r;

	make_source("strict", &so, source_id);
	create_ok(mkreq("RR-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL),
	    &o);
	before = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_eq(decide(o.id, "U1", 0, NULL, &d), HUB_ENGINE_REASON_REQUIRED);
	cr_expect_eq(decide(o.id, "U1", 0, "  \n", &d), HUB_ENGINE_REASON_REQUIRED);
	after = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_str_eq(after, before);
	cr_assert_eq(decide(o.id, "U1", 0, "over budget", &d), HUB_ENGINE_OK);
	cr_expect_str_eq(d.request_status, "Rejected");
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 7), "over budget");
	PQclear(r);
	free(before);
	free(after);
}

Test(engine, second_decision_reports_who_and_when)
{
	struct hub_outcome o, d;

	init_source();
	create_ok(mkreq("TWICE-1", step1("all", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    NULL), &o);
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	memset(&d, 0, sizeof(d));
	cr_expect_eq(decide(o.id, "U1", 0, "changed my mind", &d), HUB_ENGINE_ALREADY_DECIDED);
	cr_expect_str_eq(d.decided_by, "User U1");
	cr_expect_neq(d.decided_at[0], '\0');
	cr_expect_str_eq(d.request_status, "Pending");
	expect_asg(o.id, "U1", "approved");
	cr_assert_eq(decide(o.id, "U2", 1, NULL, &d), HUB_ENGINE_OK);
	/* the request is decided: any later click is told so */
	memset(&d, 0, sizeof(d));
	cr_expect_eq(decide(o.id, "U2", 1, NULL, &d), HUB_ENGINE_ALREADY_DECIDED);
	cr_expect_str_eq(d.request_status, "Approved");
	cr_expect_str_eq(d.decided_by, "User U2");
	cr_expect_neq(d.decided_at[0], '\0');
}

Test(engine, decide_on_cancelled_is_closed)
{
	struct hub_outcome o, d, c;

	init_source();
	create_ok(mkreq("CAN-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL),
	    &o);
	cr_assert_eq(hub_engine_cancel(db, o.id, &api_actor, "not needed", &c), HUB_ENGINE_OK);
	cr_expect_str_eq(c.request_status, "Cancelled");
	cr_expect_eq(c.request_finished, 1);
	memset(&d, 0, sizeof(d));
	cr_expect_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_CLOSED);
	cr_expect_str_eq(d.request_status, "Cancelled");
	cr_expect_str_eq(d.decided_by, "Source key");
	cr_expect_neq(d.decided_at[0], '\0');
	cr_expect_eq(hub_engine_cancel(db, o.id, &api_actor, NULL, &c), HUB_ENGINE_CONFLICT);
	expect_asg(o.id, "U1", "skipped");
	expect_audit(o.id, "request.created,request.cancelled");
	cr_expect_eq(hub_engine_cancel(db, "00000000-0000-0000-0000-000000000000", &api_actor,
	    NULL, &c), HUB_ENGINE_NOTFOUND);
	cr_expect_eq(hub_engine_cancel(db, "not-a-uuid", &api_actor, NULL, &c),
	    HUB_ENGINE_NOTFOUND);
}

Test(engine, not_approver_writes_nothing)
{
	struct hub_outcome o, d;
	struct hub_engine_error err;
	struct hub_actor a = slack("U1");
	char *before, *after;
	long long aid;
	char st[16];

	init_source();
	create_ok(mkreq("NA-1", step1("any", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    NULL), &o);
	asg_of(o.id, "U2", st, sizeof(st), NULL, 0, &aid);
	before = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_eq(decide(o.id, "U7", 1, NULL, &d), HUB_ENGINE_NOT_APPROVER);
	/* U1 pressing U2's button */
	cr_expect_eq(hub_engine_decide(db, o.id, aid, &a, 1, NULL, NULL, &d, &err),
	    HUB_ENGINE_NOT_APPROVER);
	cr_expect_eq(decide("00000000-0000-0000-0000-000000000000", "U1", 1, NULL, &d),
	    HUB_ENGINE_NOTFOUND);
	after = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
}

Test(engine, edits_merge_into_metadata_and_reach_the_callback)
{
	struct hub_outcome o, d;
	struct hub_engine_error err;
	struct hub_actor a = slack("U1");
	json_object *ed, *pl;
	char *before, *after;
	PGresult *r;

	init_source();
	create_ok(mkreq("ED-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL),
	    &o);
	before = tq_str(T_SNAPSHOT, NULL, NULL);
	ed = json_tokener_parse("{\"currency\": \"USD\"}");
	cr_expect_eq(hub_engine_decide(db, o.id, 0, &a, 1, NULL, ed, &d, &err), HUB_ENGINE_INVALID);
	cr_expect_str_eq(err.field, "edits.currency");
	json_object_put(ed);
	after = tq_str(T_SNAPSHOT, NULL, NULL);
	cr_expect_str_eq(after, before, "a refused edit writes nothing");
	ed = json_tokener_parse("{\"amount\": 999}");
	cr_assert_eq(hub_engine_decide(db, o.id, 0, &a, 1, NULL, ed, &d, &err), HUB_ENGINE_OK);
	json_object_put(ed);
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect(strstr(PQgetvalue(r, 0, 4), "\"amount\": 999") != NULL, "%s", PQgetvalue(r, 0, 4));
	cr_expect(strstr(PQgetvalue(r, 0, 4), "\"currency\": \"EUR\"") != NULL);
	PQclear(r);
	r = tq(T_AUDIT_DETAIL, o.id, "request.edited", NULL);
	cr_assert_eq(PQntuples(r), 1);
	cr_expect(strstr(PQgetvalue(r, 0, 0), "\"previous\": {\"amount\": 1200}") != NULL, "%s",
	    PQgetvalue(r, 0, 0));
	PQclear(r);
	r = tq(T_CALLBACK, o.id, NULL, NULL);
	pl = json_tokener_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_expect_eq(json_object_get_int(json_object_object_get(json_object_object_get(
	    json_object_object_get(pl, "body"), "edits"), "amount")), 999);
	json_object_put(pl);
	free(before);
	free(after);
}

Test(engine, concurrent_decisions_one_winner_one_callback)
{
	enum { N = 20 };
	struct hub_outcome o;
	char approvers[4096], id[HUB_ID_LEN];
	pid_t pids[N];
	int go[2], i, st, won = 0, lost = 0;
	size_t n;
	char c;

	init_source();
	n = (size_t)snprintf(approvers, sizeof(approvers), "[");
	for (i = 0; i < N; i++)
		n += (size_t)snprintf(approvers + n, sizeof(approvers) - n,
		    "%s{\"kind\":\"slack\",\"value\":\"UC%02d\"}", i ? "," : "", i);
	snprintf(approvers + n, sizeof(approvers) - n, "]");
	create_ok(mkreq("RACE-1", step1("any", 0, approvers), NULL), &o);
	snprintf(id, sizeof(id), "%s", o.id);
	cr_assert_eq(pipe(go), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			struct hub_db *mine = NULL;
			struct hub_outcome d;
			struct hub_engine_error err;
			struct hub_actor a = { "slack", NULL, "T1", NULL, "slack" };
			char who[16];
			int rc;

			close(go[1]);
			snprintf(who, sizeof(who), "UC%02d", i);
			a.id = who;
			a.display = who;
			if (hub_db_connect_limits(fresh_url, NULL, &mine) != HUB_DB_OK)
				_exit(10);
			(void)read(go[0], &c, 1);
			rc = hub_engine_decide(mine, id, 0, &a, i % 2, "race", NULL, &d, &err);
			_exit(rc == HUB_ENGINE_OK ? 0 : rc == HUB_ENGINE_ALREADY_DECIDED ? 1 : 20 + rc);
		}
	}
	close(go[0]);
	usleep(300000);
	close(go[1]);
	for (i = 0; i < N; i++) {
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st));
		if (WEXITSTATUS(st) == 0)
			won++;
		else if (WEXITSTATUS(st) == 1)
			lost++;
	}
	cr_expect_eq(won, 1);
	cr_expect_eq(lost, N - 1);
	cr_expect_eq(count_jobs(id, "http_post"), 1, "exactly one callback");
	{
		PGresult *r = tq(T_DELIVERY, id, NULL, NULL);

		cr_expect_eq(PQntuples(r), 1);
		PQclear(r);
	}
	{
		PGresult *r = tq(T_ASG, id, NULL, NULL);
		int decided = 0;

		for (i = 0; i < PQntuples(r); i++)
			decided += strcmp(PQgetvalue(r, i, 1), "skipped") != 0;
		cr_expect_eq(decided, 1, "one decided, the rest skipped");
		PQclear(r);
	}
}

/* ------------------------------------------------------------ sweeps */

/* The worker's sweep (expire, remind, lapse) as bin/approvalhub-worker
 * runs it. */
static void
sweep_now(void)
{
	static volatile sig_atomic_t stop;
	struct hub_job_env env = { .db = db, .stop = &stop };

	cr_assert_eq(hub_engine_sweep(&env), HUB_JOB_SWEEP_OK);
}

Test(engine, sweep_expires_past_deadline)
{
	struct hub_outcome o, keep, d;
	PGresult *r;
	json_object *pl;
	char *s;

	init_source();
	create_ok(mkreq("EXP-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"),
	    "{\"deadline\": \"2099-01-01T00:00:00Z\"}"), &o);
	create_ok(mkreq("EXP-2", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"),
	    "{\"deadline\": \"2099-01-01T00:00:00Z\"}"), &keep);
	sweep_now();
	expect_req(o.id, "Pending", NULL);	/* nothing due yet */
	PQclear(tq(T_DEADLINE_PAST, o.id, NULL, NULL));
	sweep_now();
	expect_req(o.id, "Expired", NULL);
	expect_req(keep.id, "Pending", NULL);
	s = tq_str(T_STEPS, o.id, NULL);
	cr_expect_str_eq(s, "expired");
	free(s);
	expect_asg(o.id, "U1", "skipped");
	cr_expect_eq(count_notify(o.id, "deadline_expired"), 1);
	cr_expect_eq(count_jobs(o.id, "sync"), 1);
	expect_audit(o.id, "request.created,request.expired");
	r = tq(T_AUDIT_DETAIL, o.id, "request.expired", NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 2), "worker");
	PQclear(r);
	r = tq(T_CALLBACK, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 1);
	pl = json_tokener_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(pl, "body"), "status")), "Expired");
	json_object_put(pl);
	cr_expect_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_CLOSED);
	sweep_now();
	cr_expect_eq(count_notify(o.id, "deadline_expired"), 1, "once only");
	expect_audit(o.id, "request.created,request.expired");
}

Test(engine, sweep_reminds_and_throttles)
{
	struct hub_outcome o;
	PGresult *r;
	int manual = -1;

	init_source();
	create_ok(mkreq("REM-1", step1("all", 0,
	    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
	    "{\"reminder_every\": 3600}"), &o);
	sweep_now();
	cr_expect_eq(count_notify(o.id, "reminder"), 0, "first reminder is an hour away");
	PQclear(tq(T_REMIND_PAST, o.id, NULL, NULL));
	sweep_now();
	cr_expect_eq(count_notify(o.id, "reminder"), 2, "one per pending approver");
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 8), "t", "next reminder moved ahead");
	PQclear(r);
	/* due again right away: both were reminded minutes ago */
	PQclear(tq(T_REMIND_PAST, o.id, NULL, NULL));
	sweep_now();
	cr_expect_eq(count_notify(o.id, "reminder"), 2, "throttled");
	expect_audit(o.id, "request.created,request.reminded");
	/* a manual reminder is not throttled */
	cr_assert_eq(hub_engine_remind(db, o.id, &api_actor, &manual), HUB_ENGINE_OK);
	cr_expect_eq(manual, 2);
	cr_expect_eq(count_notify(o.id, "manual_reminder"), 2);
	expect_audit(o.id, "request.created,request.reminded,request.reminded");
}

Test(engine, reminder_stops_before_the_deadline)
{
	struct hub_outcome o;
	PGresult *r;

	init_source();
	/* every 30 minutes, deadline in 40: a first reminder is planned */
	{
		char extra[128];
		time_t t = time(NULL) + 40 * 60;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(extra, sizeof(extra),
		    "{\"reminder_every\": 1800, \"deadline\": \"%Y-%m-%dT%H:%M:%SZ\"}", &tm);
		create_ok(mkreq("REM-2", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"),
		    extra), &o);
	}
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 6), "t");
	PQclear(r);
	/* it is due now and the deadline is 10 minutes away: none after it */
	PQclear(tq(T_DEADLINE_SOON, o.id, NULL, NULL));
	PQclear(tq(T_REMIND_PAST, o.id, NULL, NULL));
	sweep_now();
	cr_expect_eq(count_notify(o.id, "reminder"), 1);
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 6), "f", "no reminder at or past the deadline");
	PQclear(r);
}

Test(engine, remind_refuses_decided_request)
{
	struct hub_outcome o, d;
	int n = -1;

	init_source();
	create_ok(mkreq("REM-3", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"), NULL),
	    &o);
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	cr_expect_eq(hub_engine_remind(db, o.id, &api_actor, &n), HUB_ENGINE_CONFLICT);
	cr_expect_eq(n, 0);
	cr_expect_eq(count_notify(o.id, "manual_reminder"), 0);
}

Test(engine, sweep_lapses_and_calls_back)
{
	struct hub_outcome o, d;
	PGresult *r;
	json_object *pl;

	init_source();
	create_ok(mkreq("LAP-1", step1("any", 0, "[{\"kind\":\"slack\",\"value\":\"U1\"}]"),
	    "{\"valid_for\": 86400}"), &o);
	cr_assert_eq(decide(o.id, "U1", 1, NULL, &d), HUB_ENGINE_OK);
	r = tq(T_REQ, o.id, NULL, NULL);
	cr_expect_str_eq(PQgetvalue(r, 0, 3), "t", "valid_until set");
	PQclear(r);
	sweep_now();
	expect_req(o.id, "Approved", "User U1");	/* valid for a day yet */
	PQclear(tq(T_VALID_PAST, o.id, NULL, NULL));
	sweep_now();
	expect_req(o.id, "Lapsed", "User U1");
	r = tq(T_CALLBACK, o.id, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2, "approved, then lapsed");
	pl = json_tokener_parse(PQgetvalue(r, 1, 0));
	PQclear(r);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(pl, "body"), "status")), "Lapsed");
	json_object_put(pl);
	expect_audit(o.id, "request.created,assignment.approved,step.approved,request.approved,"
	    "request.lapsed");
	sweep_now();
	expect_audit(o.id, "request.created,assignment.approved,step.approved,request.approved,"
	    "request.lapsed");	/* once only */
}

Test(engine, strerror_names_every_code)
{
	int i;

	for (i = HUB_ENGINE_OK; i <= HUB_ENGINE_IDEMPOTENCY; i++)
		cr_expect_str_neq(hub_engine_strerror(i), "unknown error", "code %d", i);
	cr_expect_str_eq(hub_engine_strerror(-1), "unknown error");
}

/*
 * A decision's transaction waits on PostgreSQL only for what it reads:
 * its writes (the assignment, the step, the request, the audit rows, the
 * sync job) go with the next read (hub_db_exec_later), and the outcome
 * comes back with the COMMIT.  It used to take 21 round trips; the
 * second request is counted, the statements prepared by the first.
 */
Test(engine, a_decision_waits_on_postgresql_only_for_what_it_reads)
{
	struct hub_outcome o, d;
	FILE *trace;
	int i, turns = 0;
	char ext[32];

	init_source();
	for (i = 0; i < 2; i++) {
		snprintf(ext, sizeof(ext), "TURNS-%d", i);
		create_ok(mkreq(ext, step1("any", 0,
		    "[{\"kind\":\"slack\",\"value\":\"U1\"},{\"kind\":\"slack\",\"value\":\"U2\"}]"),
		    NULL), &o);
		cr_assert_not_null(trace = tmpfile());
		PQtrace(hub_db_conn(db), trace);
		PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
		cr_assert_eq(decide(o.id, "U2", 1, "fine", &d), HUB_ENGINE_OK);
		PQuntrace(hub_db_conn(db));
		fflush(trace);
		turns = th_trace_turns(trace);
		fclose(trace);
		cr_expect_str_eq(d.request_status, "Approved");
		cr_expect_str_eq(d.decided_by, "User U2");
		expect_req(o.id, "Approved", "User U2");
		expect_asg(o.id, "U1", "skipped");
		expect_audit(o.id, "request.created,assignment.approved,step.approved,"
		    "request.approved");
		cr_expect_eq(count_jobs(o.id, "sync"), 1);
		cr_expect_eq(count_notify(o.id, "decision"), 1);
	}
	/* The lock, the assignment, the tally, the next step, what to
	 * finish, the callback's source, its delivery row, its job, the
	 * outcome with the COMMIT. */
	cr_expect_eq(turns, 9, "round trips: %d", turns);
}
