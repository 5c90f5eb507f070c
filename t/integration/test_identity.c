/*
 * test_identity.c - identity-aware self-approval end to end.
 *
 * The requester is one person whatever identity names them: an email, a
 * Slack id, or both.  Requests go in through nginx -> cgi-bin/api; the
 * stack's worker delivers them to the fake Slack (whose users have
 * emails), resolving the requester's email and every email approver to a
 * Slack id on the way; then the requester tries to decide through every
 * channel a decision takes -- a signed Slack click (nginx ->
 * cgi-bin/interactions) and the emailed decision link (nginx ->
 * cgi-bin/dashboard) -- with each mix of kinds: requester by email or by
 * Slack id, approver listed by Slack id or by email.  Every refusal leaves
 * the request Pending and the other approver can still decide.  At
 * intake, a step that could never be approved without the requester
 * (rule "all", a quorum) is a 400 naming the approvers.
 *
 * Every test makes its own team, connection, source and people.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/form.h"
#include "store/db.h"
#include "approval/decidelink.h"
#include "testlib.h"

static struct hub_db *db;
static unsigned char master[32];

static void
setup(void)
{
	struct hub_buf k = HUB_BUF_INIT(64);
	const char *sk = th_env("SECRET_KEY");

	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &k), HUB_CRYPTO_OK);
	cr_assert_eq(k.len, 32);
	memcpy(master, k.data, 32);
	hub_buf_release(&k);
	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
}

TestSuite(identity, .init = setup, .fini = teardown, .timeout = 180);

/* ------------------------------------------------------------ SQL */

enum t_stmt {
	T_CONN,
	T_SOURCE_CONN,
	T_ASG,
	T_REQ,
	T_RESOLVED,
	T_ASG_SLACK,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	[T_CONN] = {
	    "INSERT INTO slack_connections (name, type, team_id, bot_token_enc, bot_user_id)"
	    " VALUES ($1, 'SLACK_APP', $2, $3, 'UBOT') RETURNING id", 3 },
	[T_SOURCE_CONN] = {
	    "UPDATE sources SET connection_id = $2::uuid WHERE name = $1", 2 },
	/* $1 request, $2 kind, $3 value: the assignment's id */
	[T_ASG] = {
	    "SELECT id FROM assignments WHERE request_id = $1::uuid AND approver_kind = $2"
	    " AND approver_value = $3", 3 },
	/* status and the approved assignments */
	[T_REQ] = {
	    "SELECT r.status || ':' || (SELECT count(*) FROM assignments a"
	    "  WHERE a.request_id = r.id AND a.status = 'approved')"
	    " FROM requests r WHERE r.id = $1::uuid", 1 },
	[T_RESOLVED] = {
	    "SELECT coalesce(requester_slack_resolved, '') FROM requests WHERE id = $1::uuid", 1 },
	[T_ASG_SLACK] = {
	    "SELECT coalesce(slack_user_id, '') FROM assignments WHERE id = $1::bigint", 1 },
};

static const struct hub_stmt_table t_table = { "tident", t_stmts, T__MAX };

static char *
tq_str(int stmt, const char *a, const char *b, const char *c)
{
	const char *p[3] = { a, b, c };
	PGresult *r = NULL;
	char *s;

	cr_assert_eq(hub_db_exec(db, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s", stmt,
	    hub_db_last_error(db));
	cr_assert_eq(PQntuples(r), 1, "stmt %d: %d rows", stmt, PQntuples(r));
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

/* Wait (the stack's worker does it) until stmt's cell is not ''. */
static char *
await_str(int stmt, const char *a)
{
	char *s = NULL;
	int i;

	for (i = 0; i < 300; i++) {
		free(s);
		s = tq_str(stmt, a, NULL, NULL);
		if (*s != '\0')
			return s;
		usleep(100 * 1000);
	}
	cr_assert_fail("stmt %d for %s stayed empty", stmt, a);
	return s;
}

/* ------------------------------------------------------------ fixture */

/* A team in the fake Slack with a connection to it, a source using it,
 * the requester (UR…, rita-…@) and another approver (UO…, otto-…@). */
struct fix {
	char	team[32];
	char	req_slack[32];
	char	req_email[96];
	char	other_slack[32];
	char	other_email[96];
	char	source[64];
	char	key[128];
};

static void
fixture(struct fix *f)
{
	static int k;
	struct hub_buf key = HUB_BUF_INIT(64), sealed = HUB_BUF_INIT(4096);
	struct hub_keyring kr;
	const char *sk = th_env("SECRET_KEY");
	unsigned char rb[4];
	char sfx[24], token[64], body[1024], name[80], conn[40];
	const char *p[3];
	PGresult *r = NULL;

	memset(f, 0, sizeof(*f));
	cr_assert_eq(hub_random_bytes(rb, sizeof(rb)), HUB_CRYPTO_OK);
	snprintf(sfx, sizeof(sfx), "%X%02X%02X%02X%02X%X", (unsigned)getpid() & 0xFFFF, rb[0],
	    rb[1], rb[2], rb[3], ++k);
	snprintf(f->team, sizeof(f->team), "T%s", sfx);
	snprintf(f->req_slack, sizeof(f->req_slack), "UR%s", sfx);
	snprintf(f->other_slack, sizeof(f->other_slack), "UO%s", sfx);
	snprintf(f->req_email, sizeof(f->req_email), "rita-%s@example.test", sfx);
	snprintf(f->other_email, sizeof(f->other_email), "otto-%s@example.test", sfx);
	snprintf(f->source, sizeof(f->source), "ident-%s", sfx);
	snprintf(token, sizeof(token), "xoxb-ident-%s", sfx);
	/* lower case: intake lower-cases emails, the fake compares any case */
	for (char *c = f->req_email; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	for (char *c = f->other_email; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);

	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\","
	    "\"team_name\":\"Team %s\",\"bot_user_id\":\"UBOT\"}]", token, f->team, f->team);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body));
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"team\":\"%s\",\"name\":\"rita\","
	    "\"email\":\"%s\"},{\"id\":\"%s\",\"team\":\"%s\",\"name\":\"otto\","
	    "\"email\":\"%s\"}]", f->req_slack, f->team, f->req_email, f->other_slack, f->team,
	    f->other_email);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));

	memset(&kr, 0, sizeof(kr));
	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &key), HUB_CRYPTO_OK);
	cr_assert_eq(hub_keyring_add(&kr, (const unsigned char *)key.data), HUB_CRYPTO_OK);
	cr_assert_eq(hub_box_seal(&kr, token, strlen(token), &sealed), HUB_CRYPTO_OK);
	snprintf(name, sizeof(name), "conn-%s", f->team);
	p[0] = name;
	p[1] = f->team;
	p[2] = hub_buf_str(&sealed);
	cr_assert_eq(hub_db_exec(db, &t_table, T_CONN, p, &r), HUB_DB_OK, "%s",
	    hub_db_last_error(db));
	snprintf(conn, sizeof(conn), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	hub_buf_release(&key);
	hub_buf_release(&sealed);

	th_source_key(f->source, f->key, sizeof(f->key));
	p[0] = f->source;
	p[1] = conn;
	cr_assert_eq(hub_db_exec(db, &t_table, T_SOURCE_CONN, p, NULL), HUB_DB_OK);
}

/* POST /api/new-approval with requester (a JSON fragment) and approvers
 * (a JSON array); status into *status, the id (or the error) back. */
static json_object *
create(const struct fix *f, const char *requester, const char *approvers, const char *rule,
    long status, const char *field)
{
	char body[2048];
	struct th_resp r;
	json_object *o;

	snprintf(body, sizeof(body), "{\"requester_name\":\"Rita\",%s,"
	    "\"approvers\":%s%s%s,\"justification_text\":\"my own trip\",\"metadata\":{}}",
	    requester, approvers, rule != NULL ? "," : "", rule != NULL ? rule : "");
	th_api("POST", "/api/new-approval", f->key, NULL, body, &r);
	o = th_expect(&r, status, field);
	th_resp_free(&r);
	return o;
}

static void
create_ok(const struct fix *f, const char *requester, const char *approvers, char id[40])
{
	json_object *o = create(f, requester, approvers, NULL, 201, NULL), *v;

	cr_assert(json_object_object_get_ex(o, "id", &v));
	snprintf(id, 40, "%s", json_object_get_string(v));
	json_object_put(o);
}

static char *
asg_of(const char *rid, const char *kind, const char *value)
{
	return tq_str(T_ASG, rid, kind, value);
}

/* ------------------------------------------------------------ deciding */

/* The requester clicks Approve in Slack as user on assignment asg. */
static void
click_approve(const struct fix *f, const char *user, const char *rid, const char *asg)
{
	struct hub_buf b = HUB_BUF_INIT(1u << 16);
	char js[4096];
	struct th_resp r;

	snprintf(js, sizeof(js),
	    "{\"type\":\"block_actions\","
	    "\"user\":{\"id\":\"%s\",\"username\":\"u\",\"name\":\"u\",\"team_id\":\"%s\"},"
	    "\"api_app_id\":\"A1\",\"token\":\"legacy\","
	    "\"team\":{\"id\":\"%s\",\"domain\":\"example\"},\"trigger_id\":\"1.2.3\","
	    "\"actions\":[{\"action_id\":\"hub_approve\",\"block_id\":\"hub_actions:%s\","
	    "\"type\":\"button\",\"value\":\"{\\\"r\\\":\\\"%s\\\",\\\"a\\\":%s}\","
	    "\"text\":{\"type\":\"plain_text\",\"text\":\"Approve\"},"
	    "\"action_ts\":\"1700000001.1\"}],"
	    "\"container\":{\"type\":\"message\",\"message_ts\":\"1700000000.000100\","
	    "\"channel_id\":\"C1\",\"is_ephemeral\":false},"
	    "\"channel\":{\"id\":\"C1\",\"name\":\"approvals\"}}",
	    user, f->team, f->team, rid, rid, asg);
	cr_assert_eq(hub_buf_adds(&b, "payload="), HUB_BUF_OK);
	cr_assert_eq(hub_url_encode(js, strlen(js), &b), HUB_BUF_OK);
	cr_assert_eq(th_slack_post("/slack/interactions", "application/x-www-form-urlencoded",
	    hub_buf_str(&b), b.len, (long)time(NULL), &r), 0);
	cr_assert_eq(r.status, 200, "click: %ld %s", r.status, r.body);
	th_resp_free(&r);
	hub_buf_release(&b);
}

/* The decision link of assignment asg, posted: its HTTP status. */
static long
link_approve(const char *rid, const char *asg, struct th_resp *r)
{
	struct hub_buf b = HUB_BUF_INIT(512);
	unsigned char key[32];
	char o[512];
	const char *h[3] = { "Content-Type: application/x-www-form-urlencoded", o, NULL };

	hub_decidelink_key(master, key);
	cr_assert_eq(hub_buf_adds(&b, "/decide/"), HUB_BUF_OK);
	cr_assert_eq(hub_decidelink_make(key, strtoll(asg, NULL, 10), rid, time(NULL) + 3600,
	    &b), HUB_DECIDELINK_OK);
	snprintf(o, sizeof(o), "Origin: %s", th_env("HUB_URL"));
	cr_assert_eq(th_http("POST", hub_buf_str(&b), h, "decision=approve", 16, r), 0);
	hub_buf_release(&b);
	return r->status;
}

static void
expect_state(const char *rid, const char *want)
{
	char *s = tq_str(T_REQ, rid, NULL, NULL);

	cr_assert_str_eq(s, want, "request %s", rid);
	free(s);
}

/* The requester, through the link, is refused; the request stays open. */
static void
link_refused(const char *rid, const char *asg)
{
	struct th_resp r;

	cr_assert_eq(link_approve(rid, asg, &r), 403, "%ld: %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, "your own request"), "%s", r.body);
	th_resp_free(&r);
	expect_state(rid, "Pending:0");
}

/* The other approver still decides: the refusals above were about who,
 * not a broken path. */
static void
other_approves(const struct fix *f, const char *rid)
{
	char *asg = asg_of(rid, "slack", f->other_slack);
	int i;

	click_approve(f, f->other_slack, rid, asg);
	for (i = 0; i < 100; i++) {
		char *s = tq_str(T_REQ, rid, NULL, NULL);
		int done = strcmp(s, "Approved:1") == 0;

		free(s);
		if (done)
			break;
		usleep(50 * 1000);
	}
	expect_state(rid, "Approved:1");
	free(asg);
}

/* ------------------------------------------------------------ the mixes */

/* Requester by email; they are listed by their Slack id. */
Test(identity, requester_email_approver_slack_id)
{
	struct fix f;
	char rq[256], ap[256], rid[40], *asg, *res;

	fixture(&f);
	snprintf(rq, sizeof(rq), "\"requester_email\":\"%s\"", f.req_email);
	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_slack, f.other_slack);
	create_ok(&f, rq, ap, rid);
	/* the worker looks the requester up before telling anyone */
	res = await_str(T_RESOLVED, rid);
	cr_assert_str_eq(res, f.req_slack);
	free(res);
	asg = asg_of(rid, "slack", f.req_slack);
	click_approve(&f, f.req_slack, rid, asg);
	expect_state(rid, "Pending:0");
	link_refused(rid, asg);
	free(asg);
	other_approves(&f, rid);
}

/* Requester by Slack id; they are listed by their email. */
Test(identity, requester_slack_id_approver_email)
{
	struct fix f;
	char rq[256], ap[256], rid[40], *asg, *sid;

	fixture(&f);
	snprintf(rq, sizeof(rq), "\"requester_slack_id\":\"%s\"", f.req_slack);
	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_email, f.other_slack);
	create_ok(&f, rq, ap, rid);
	asg = asg_of(rid, "email", f.req_email);
	/* the worker resolved the email approver to a Slack user */
	sid = await_str(T_ASG_SLACK, asg);
	cr_assert_str_eq(sid, f.req_slack);
	free(sid);
	click_approve(&f, f.req_slack, rid, asg);
	expect_state(rid, "Pending:0");
	link_refused(rid, asg);
	free(asg);
	other_approves(&f, rid);
}

/* Requester by both; listed once by each kind in two requests. */
Test(identity, requester_both_kinds_listed_either_way)
{
	struct fix f;
	char rq[512], ap[256], rid[40], rid2[40], *asg;

	fixture(&f);
	snprintf(rq, sizeof(rq), "\"requester_email\":\"%s\",\"requester_slack_id\":\"%s\"",
	    f.req_email, f.req_slack);
	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_slack, f.other_slack);
	create_ok(&f, rq, ap, rid);
	asg = asg_of(rid, "slack", f.req_slack);
	click_approve(&f, f.req_slack, rid, asg);
	expect_state(rid, "Pending:0");
	link_refused(rid, asg);
	free(asg);
	other_approves(&f, rid);

	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_email, f.other_slack);
	create_ok(&f, rq, ap, rid2);
	asg = asg_of(rid2, "email", f.req_email);
	link_refused(rid2, asg);
	click_approve(&f, f.req_slack, rid2, asg);
	expect_state(rid2, "Pending:0");
	free(asg);
	other_approves(&f, rid2);
}

/* Same kind both ways, as before. */
Test(identity, same_kind_email_and_slack_id)
{
	struct fix f;
	char rq[256], ap[256], rid[40], *asg;

	fixture(&f);
	snprintf(rq, sizeof(rq), "\"requester_email\":\"%s\"", f.req_email);
	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_email, f.other_slack);
	create_ok(&f, rq, ap, rid);
	asg = asg_of(rid, "email", f.req_email);
	link_refused(rid, asg);
	free(asg);
	other_approves(&f, rid);

	snprintf(rq, sizeof(rq), "\"requester_slack_id\":\"%s\"", f.req_slack);
	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_slack, f.other_slack);
	create_ok(&f, rq, ap, rid);
	asg = asg_of(rid, "slack", f.req_slack);
	click_approve(&f, f.req_slack, rid, asg);
	expect_state(rid, "Pending:0");
	free(asg);
	other_approves(&f, rid);
}

/* ------------------------------------------------------------ intake */

static void
refused_at_intake(const struct fix *f, const char *rq, const char *ap, const char *rule,
    const char *phrase)
{
	json_object *o = create(f, rq, ap, rule, 400, "approvers"), *e;

	cr_assert(json_object_object_get_ex(o, "error", &e));
	cr_assert_not_null(strstr(json_object_get_string(e), phrase), "%s",
	    json_object_get_string(e));
	json_object_put(o);
}

/* A step that needs the requester can never be approved: refused. */
Test(identity, never_decidable_steps_are_400)
{
	struct fix f;
	char rq[256], rqe[256], ap[256], rid[40], *res;

	fixture(&f);
	snprintf(rq, sizeof(rq), "\"requester_slack_id\":\"%s\"", f.req_slack);
	snprintf(ap, sizeof(ap), "[\"%s\",\"%s\"]", f.req_slack, f.other_slack);
	refused_at_intake(&f, rq, ap, "\"rule\":\"all\"", "never be approved");
	refused_at_intake(&f, rq, ap, "\"rule\":\"quorum\",\"quorum\":2", "never be approved");
	/* quorum 1 (the other approver alone) is fine */
	json_object_put(create(&f, rq, ap, "\"rule\":\"quorum\",\"quorum\":1", 201, NULL));

	/* Across kinds, once the requester's email is known to be UR… */
	snprintf(rqe, sizeof(rqe), "\"requester_email\":\"%s\"", f.req_email);
	create_ok(&f, rqe, ap, rid);
	res = await_str(T_RESOLVED, rid);
	free(res);
	refused_at_intake(&f, rqe, ap, "\"rule\":\"all\"", "never be approved");
	snprintf(ap, sizeof(ap), "[\"%s\"]", f.req_slack);
	refused_at_intake(&f, rqe, ap, NULL, "only approver");
}
