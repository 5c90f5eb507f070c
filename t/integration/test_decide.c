/*
 * test_decide.c - the emailed decision link end to end.
 *
 * decidelink: tokens round-trip; every altered character, a wrong key, a
 * passed expiry and malformed shapes are refused; URLs join cleanly.
 * /decide/<token> through nginx: GET and HEAD show the request and change
 * nothing; POST approves (303, then the outcome), a second POST is 409;
 * reject with a reason, reason required, bad forms, self-approval, foreign
 * Origin/Referer, tampered / expired / cross-request tokens, escaping.
 * smtp: a message to the sink with a non-ASCII subject and both parts;
 * 4xx -> TRANSIENT, 5xx -> PERMANENT, refused connection, header injection.
 *
 * Requests are created with hub_engine_create on $DATABASE_URL (the stack's
 * own database), each test with its own source and addresses.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/decidelink.h"
#include "approval/engine.h"
#include "base/smtp.h"
#include "testlib.h"

/* ------------------------------------------------------------ decidelink units */

static const unsigned char key1[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "fedcba9876543210fedcba9876543210";
static const char rid1[] = "5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e";

static char *
mk(const unsigned char *key, int64_t aid, const char *rid, time_t exp)
{
	struct hub_buf b = HUB_BUF_INIT(HUB_DECIDELINK_TOKEN_MAX);

	cr_assert_eq(hub_decidelink_make(key, aid, rid, exp, &b), HUB_DECIDELINK_OK);
	return hub_buf_detach(&b, NULL);
}

Test(decidelink, round_trip)
{
	char *t = mk(key1, 42, "5B0C1C2E-8A4F-4D3E-9A51-0F6A1B2C3D4E", 2000000000);
	char rid[HUB_DECIDELINK_RID_LEN];
	int64_t aid;
	time_t exp;

	cr_assert(strncmp(t, "42.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.", 51) == 0,
	    "%s", t);
	cr_assert_eq(strlen(t), 51 + 43);
	cr_assert_eq(hub_decidelink_parse(key1, t, 1999999999, &aid, rid, &exp),
	    HUB_DECIDELINK_OK);
	cr_assert_eq(aid, 42);
	cr_assert_str_eq(rid, rid1);
	cr_assert_eq(exp, 2000000000);
	/* At the expiry second it is over; another key never verifies. */
	cr_assert_eq(hub_decidelink_parse(key1, t, 2000000000, &aid, rid, &exp),
	    HUB_DECIDELINK_EXPIRED);
	cr_assert_eq(aid, 0);
	cr_assert_str_eq(rid, "");
	cr_assert_eq(hub_decidelink_parse(key2, t, 0, NULL, NULL, NULL), HUB_DECIDELINK_BADSIG);
	free(t);
}

/* Any single character changed (to another token character) is refused. */
Test(decidelink, every_altered_character_is_refused)
{
	char *t = mk(key1, 7, rid1, 2000000000);
	size_t i, n = strlen(t);
	const char *repl = "0a-_.Z9";
	int rc;

	for (i = 0; i < n; i++) {
		char orig = t[i];
		size_t k;

		for (k = 0; repl[k] != '\0'; k++) {
			if (repl[k] == orig)
				continue;
			t[i] = repl[k];
			rc = hub_decidelink_parse(key1, t, 1000, NULL, NULL, NULL);
			cr_assert(rc == HUB_DECIDELINK_MALFORMED || rc == HUB_DECIDELINK_BADSIG,
			    "pos %zu -> %c accepted (%d): %s", i, repl[k], rc, t);
		}
		t[i] = orig;
	}
	free(t);
}

Test(decidelink, malformed_shapes)
{
	static const char *const bad[] = {
		"", ".", "...", "1.2.3.4", "abc",
		"0.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"01.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"-1.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1.5B0C1C2E-8A4F-4D3E-9A51-0F6A1B2C3D4E.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1.5b0c1c2e8a4f-4d3e-9a51-0f6a1b2c3d4e0.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"1.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"1.5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e.2000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(hub_decidelink_parse(key1, bad[i], 0, NULL, NULL, NULL),
		    HUB_DECIDELINK_MALFORMED, "accepted: '%s'", bad[i]);
	cr_assert_eq(hub_decidelink_parse(key1, NULL, 0, NULL, NULL, NULL),
	    HUB_DECIDELINK_MALFORMED);
}

Test(decidelink, make_refuses_bad_input_and_urls_join)
{
	struct hub_buf b = HUB_BUF_INIT(4096);

	cr_assert_eq(hub_decidelink_make(key1, 0, rid1, 5, &b), HUB_DECIDELINK_INVAL);
	cr_assert_eq(hub_decidelink_make(key1, 1, "not-a-uuid", 5, &b), HUB_DECIDELINK_INVAL);
	cr_assert_eq(hub_decidelink_make(key1, 1, rid1, 0, &b), HUB_DECIDELINK_INVAL);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(hub_decidelink_url("https://hub.example.com/", "T", &b), HUB_DECIDELINK_OK);
	cr_assert_str_eq(hub_buf_str(&b), "https://hub.example.com/decide/T");
	hub_buf_reset(&b);
	cr_assert_eq(hub_decidelink_url("http://h:8080/x", "T", &b), HUB_DECIDELINK_OK);
	cr_assert_str_eq(hub_buf_str(&b), "http://h:8080/x/decide/T");
	cr_assert_eq(hub_decidelink_url("ftp://h", "T", &b), HUB_DECIDELINK_INVAL);
	cr_assert_eq(hub_decidelink_url("http://h", "", &b), HUB_DECIDELINK_INVAL);
	cr_assert_eq(hub_decidelink_expiry(1000, 0), 1000 + 14 * 86400);
	cr_assert_eq(hub_decidelink_expiry(1000, 5000), 5000);
	cr_assert_eq(hub_decidelink_expiry(1000, 999), 1000 + 14 * 86400);
	hub_buf_release(&b);
}

/* ------------------------------------------------------------ fixtures */

static struct hub_db *db;
static unsigned char master[32];
static char tag[16];

enum t_stmt {
	T_SOURCE,
	T_SOURCE_NAMED,
	T_ASG,
	T_REQ,
	T_AUDIT_COUNT,
	T_JOBS_COUNT,
	T_DEADLINE_PAST,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	[T_SOURCE] = {
	    "INSERT INTO sources (name, reason_required) VALUES ($1, $2::boolean)"
	    " RETURNING id", 2 },
	[T_SOURCE_NAMED] = {
	    "INSERT INTO sources (name) VALUES ($1) ON CONFLICT (name)"
	    " DO UPDATE SET reason_required = false RETURNING id", 1 },
	/* id, status, approver value, decided_by, comment */
	[T_ASG] = {
	    "SELECT id, status, approver_value, coalesce(decided_by, ''),"
	    " coalesce(comment, '') FROM assignments WHERE request_id = $1::uuid"
	    " ORDER BY id", 1 },
	[T_REQ] = {
	    "SELECT status, coalesce(decided_by, ''), coalesce(decision_comment, ''),"
	    " coalesce(extract(epoch FROM deadline)::bigint, 0)"
	    " FROM requests WHERE id = $1::uuid", 1 },
	[T_AUDIT_COUNT] = {
	    "SELECT count(*) FROM audit_log WHERE request_id = $1::uuid", 1 },
	[T_JOBS_COUNT] = {
	    "SELECT count(*) FROM jobs WHERE payload->>'request_id' = $1"
	    " OR payload->'body'->>'id' = $1", 1 },
	[T_DEADLINE_PAST] = {
	    "UPDATE requests SET deadline = now() - interval '1 minute'"
	    " WHERE id = $1::uuid", 1 },
};

static const struct hub_stmt_table t_table = { "tdecide", t_stmts, T__MAX };

static void
setup(void)
{
	struct hub_buf k = HUB_BUF_INIT(64);
	unsigned char rnd[4];
	const char *sk = th_env("SECRET_KEY");

	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &k), HUB_CRYPTO_OK);
	cr_assert_eq(k.len, 32);
	memcpy(master, k.data, 32);
	hub_buf_release(&k);
	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	hub_hex_encode(rnd, sizeof(rnd), tag);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
}

TestSuite(decide, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(smtp, .timeout = 60);

static PGresult *
tq(int stmt, const char *a, const char *b)
{
	const char *p[2] = { a, b };
	PGresult *r = NULL;

	cr_assert_eq(hub_db_exec(db, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s", stmt,
	    hub_db_last_error(db));
	return r;
}

static char *
cell(int stmt, const char *a, int row, int col)
{
	PGresult *r = tq(stmt, a, NULL);
	char *s;

	cr_assert_gt(PQntuples(r), row, "stmt %d: %d rows", stmt, PQntuples(r));
	s = strdup(PQgetvalue(r, row, col));
	PQclear(r);
	return s;
}

static void
make_source(int reason_required, char *out)
{
	char name[64];
	PGresult *r;

	snprintf(name, sizeof(name), "decide-%s-%d-%ld", tag, reason_required, random());
	r = tq(T_SOURCE, name, reason_required ? "true" : "false");
	snprintf(out, HUB_ID_LEN, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* The source whose name selects a preset (intake.h). */
static void
preset_source(const char *name, char *out)
{
	PGresult *r = tq(T_SOURCE_NAMED, name, NULL);

	snprintf(out, HUB_ID_LEN, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* A request (intake.h's normalized shape) with email approvers in one
 * step; returns its id in rid. */
static void
create(const char *source_id, const char *title, const char *approvers, const char *rule,
    const char *requester_email, char *rid)
{
	static const struct hub_actor api = { "api", "test", NULL, "Test", "api" };
	struct hub_engine_error err;
	struct hub_outcome o;
	json_object *req, *t;
	char buf[8192];
	int rc;

	snprintf(buf, sizeof(buf),
	    "{\"request_source\": null, \"external_id\": null, \"idempotency_key\": null,"
	    " \"title\": \"\", \"requester_name\": \"Rita Requester\","
	    " \"requester_email\": \"%s\", \"requester_slack_id\": null,"
	    " \"justification\": \"Old laptop broke.\\nNeeds a new one.\","
	    " \"metadata\": {\"amount\": 1200, \"currency\": \"EUR\", \"cost_center\": \"R&D <7>\","
	    "  \"receipt_url\": \"https://receipts.example/r/1?a=1&b=2\"},"
	    " \"preset\": null,"
	    " \"steps\": [{\"rule\": \"%s\", \"quorum\": null, \"approvers\": %s,"
	    "  \"delivery\": null, \"channel\": null, \"connection\": null}],"
	    " \"deadline\": null, \"reminder_every\": null, \"valid_for\": null,"
	    " \"callback_url\": null, \"watchers\": [], \"delivery\": null,"
	    " \"channel\": null, \"connection\": null}",
	    requester_email, rule, approvers);
	cr_assert_not_null(req = json_tokener_parse(buf), "bad JSON %s", buf);
	cr_assert_not_null(t = json_object_new_string(title));
	json_object_object_add(req, "title", t);
	rc = hub_engine_create(db, source_id, req, &api, &o, &err);
	json_object_put(req);
	cr_assert_eq(rc, HUB_ENGINE_OK, "create: %s (%s %s) %s", hub_engine_strerror(rc),
	    err.field, err.message, hub_db_last_error(db));
	snprintf(rid, HUB_ID_LEN, "%s", o.id);
}

static int64_t
asg_id(const char *rid, int row)
{
	char *s = cell(T_ASG, rid, row, 0);
	int64_t v = strtoll(s, NULL, 10);

	free(s);
	return v;
}

static char *
link_path(int64_t aid, const char *rid, time_t expires)
{
	struct hub_buf b = HUB_BUF_INIT(512);
	unsigned char key[32];

	hub_decidelink_key(master, key);
	cr_assert_eq(hub_buf_adds(&b, "/decide/"), HUB_BUF_OK);
	cr_assert_eq(hub_decidelink_make(key, aid, rid, expires, &b), HUB_DECIDELINK_OK);
	return hub_buf_detach(&b, NULL);
}

static long
get(const char *path, struct th_resp *r)
{
	cr_assert_eq(th_http("GET", path, NULL, NULL, 0, r), 0);
	return r->status;
}

/* POST a form from the hub's own origin (origin NULL) or another one. */
static long
post(const char *path, const char *body, const char *origin, struct th_resp *r)
{
	char o[512];
	const char *h[3] = { "Content-Type: application/x-www-form-urlencoded", o, NULL };

	snprintf(o, sizeof(o), "Origin: %s", origin != NULL ? origin : th_env("HUB_URL"));
	cr_assert_eq(th_http("POST", path, h, body, strlen(body), r), 0);
	return r->status;
}

static void
expect_state(const char *rid, const char *req_status, const char *asg0_status)
{
	char *s = cell(T_REQ, rid, 0, 0), *a = cell(T_ASG, rid, 0, 1);

	cr_assert_str_eq(s, req_status);
	cr_assert_str_eq(a, asg0_status);
	free(s);
	free(a);
}

static char *
snapshot(const char *rid)
{
	char buf[256], *a = cell(T_AUDIT_COUNT, rid, 0, 0), *j = cell(T_JOBS_COUNT, rid, 0, 0),
	    *s = cell(T_REQ, rid, 0, 0), *st = cell(T_ASG, rid, 0, 1);

	snprintf(buf, sizeof(buf), "%s|%s|%s|%s", a, j, s, st);
	free(a);
	free(j);
	free(s);
	free(st);
	return strdup(buf);
}

#define FAR (time(NULL) + 3600)

/* ------------------------------------------------------------ the page */

Test(decide, get_and_head_show_the_request_and_change_nothing)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, *before, *after;
	struct th_resp r;
	char v[256];

	preset_source("Concur", src);
	create(src, "New laptop", "[{\"kind\":\"email\",\"value\":\"ann@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	before = snapshot(rid);

	cr_assert_eq(get(path, &r), 200, "%ld: %s", r.status, r.body);
	cr_assert_not_null(th_header(&r, "Content-Type", v, sizeof(v)));
	cr_assert(strncmp(v, "text/html", 9) == 0, "%s", v);
	cr_assert_null(th_header(&r, "Set-Cookie", v, sizeof(v)), "cookie set: %s", v);
	cr_assert_not_null(strstr(r.body, "New laptop"));
	cr_assert_not_null(strstr(r.body, "Rita Requester"));
	cr_assert_not_null(strstr(r.body, "Old laptop broke."));
	cr_assert_not_null(strstr(r.body, "1,200.00 EUR"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "R&amp;D &lt;7&gt;"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "<a href=\"https://receipts.example/r/1?a=1&amp;b=2\""),
	    "%s", r.body);
	cr_assert_not_null(strstr(r.body, "<form class=\"decision\" method=\"post\""));
	cr_assert_not_null(strstr(r.body, "name=\"decision\" value=\"approve\""));
	cr_assert_not_null(strstr(r.body, "name=\"decision\" value=\"reject\""));
	cr_assert_not_null(strstr(r.body, "<textarea id=\"reason\" name=\"reason\""));
	cr_assert_not_null(strstr(r.body, "Pending"));
	th_resp_free(&r);

	cr_assert_eq(th_http("HEAD", path, NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.len, 0);
	th_resp_free(&r);

	after = snapshot(rid);
	cr_assert_str_eq(before, after, "GET/HEAD changed state");
	expect_state(rid, "Pending", "pending");
	free(before);
	free(after);
	free(path);
}

Test(decide, approve_redirects_then_shows_the_outcome_and_a_second_post_is_409)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, loc[1024], want[1024];
	struct th_resp r;

	make_source(0, src);
	create(src, "Conference trip", "[{\"kind\":\"email\",\"value\":\"bob@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);

	cr_assert_eq(post(path, "decision=approve&reason=", NULL, &r), 303, "%ld: %s",
	    r.status, r.body);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	snprintf(want, sizeof(want), "%s%s", th_env("PUBLIC_URL"), path);
	cr_assert_str_eq(loc, want);
	th_resp_free(&r);
	expect_state(rid, "Approved", "approved");

	cr_assert_eq(get(path, &r), 200);
	cr_assert_not_null(strstr(r.body, "Approved by bob@example.test at "), "%s", r.body);
	cr_assert_null(strstr(r.body, "<form"), "form still shown");
	th_resp_free(&r);

	cr_assert_eq(post(path, "decision=reject&reason=changed+my+mind", NULL, &r), 409);
	cr_assert_not_null(strstr(r.body, "already decided"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "Approved by bob@example.test"));
	cr_assert_null(strstr(r.body, "<form"));
	th_resp_free(&r);
	expect_state(rid, "Approved", "approved");
	free(path);
}

Test(decide, reject_with_a_reason)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, *comment;
	struct th_resp r;

	make_source(0, src);
	create(src, "Team dinner", "[{\"kind\":\"email\",\"value\":\"cat@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	cr_assert_eq(post(path, "decision=reject&reason=Over+budget+%3Cthis+quarter%3E", NULL,
	    &r), 303, "%ld: %s", r.status, r.body);
	th_resp_free(&r);
	expect_state(rid, "Rejected", "rejected");
	comment = cell(T_REQ, rid, 0, 2);
	cr_assert_str_eq(comment, "Over budget <this quarter>");
	free(comment);
	cr_assert_eq(get(path, &r), 200);
	cr_assert_not_null(strstr(r.body, "Rejected by cat@example.test"));
	cr_assert_not_null(strstr(r.body, "Over budget &lt;this quarter&gt;"), "%s", r.body);
	th_resp_free(&r);
	free(path);
}

Test(decide, reason_required_by_the_source_is_marked_inline)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path;
	struct th_resp r;

	make_source(1, src);
	create(src, "Vendor contract", "[{\"kind\":\"email\",\"value\":\"dan@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	cr_assert_eq(post(path, "decision=reject&reason=+++", NULL, &r), 400, "%ld", r.status);
	cr_assert_not_null(strstr(r.body, "id=\"reason-error\""), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "aria-invalid=\"true\""));
	cr_assert_not_null(strstr(r.body, "<form"), "form must stay");
	th_resp_free(&r);
	expect_state(rid, "Pending", "pending");
	cr_assert_eq(post(path, "decision=reject&reason=No+budget", NULL, &r), 303);
	th_resp_free(&r);
	expect_state(rid, "Rejected", "rejected");
	free(path);
}

Test(decide, bad_forms_are_400_or_415_and_change_nothing)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, *before, *after, *big;
	const char *h[] = { "Content-Type: application/json", NULL };
	struct th_resp r;
	size_t i;

	make_source(0, src);
	create(src, "Software licence", "[{\"kind\":\"email\",\"value\":\"eve@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	before = snapshot(rid);

	cr_assert_eq(post(path, "decision=maybe", NULL, &r), 400);
	cr_assert_not_null(strstr(r.body, "id=\"decision-error\""), "%s", r.body);
	th_resp_free(&r);
	cr_assert_eq(post(path, "reason=x", NULL, &r), 400);
	cr_assert_not_null(strstr(r.body, "id=\"decision-error\""));
	th_resp_free(&r);
	cr_assert_eq(post(path, "decision=approve&reason=%zz", NULL, &r), 400);
	th_resp_free(&r);
	cr_assert_eq(post(path, "decision=approve&reason=%01", NULL, &r), 400);
	cr_assert_not_null(strstr(r.body, "id=\"reason-error\""));
	th_resp_free(&r);
	cr_assert_not_null(big = calloc(1, 2100 + 64));
	i = (size_t)snprintf(big, 64, "decision=approve&reason=");
	memset(big + i, 'x', 2001);
	cr_assert_eq(post(path, big, NULL, &r), 400);
	cr_assert_not_null(strstr(r.body, "at most 2000 characters"), "%s", r.body);
	th_resp_free(&r);
	free(big);
	cr_assert_eq(th_http("POST", path, h, "{}", 2, &r), 0);
	cr_assert_eq(r.status, 415);
	th_resp_free(&r);

	after = snapshot(rid);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
	free(path);
}

Test(decide, exactly_2000_characters_of_reason_are_fine)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, *body;
	struct th_resp r;
	size_t i, n;

	make_source(0, src);
	create(src, "Long reason", "[{\"kind\":\"email\",\"value\":\"lea@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	/* 2000 characters of two bytes each ("é"). */
	cr_assert_not_null(body = malloc(64 + 2000 * 6));
	n = (size_t)snprintf(body, 64, "decision=reject&reason=");
	for (i = 0; i < 2000; i++, n += 6)
		memcpy(body + n, "%C3%A9", 6);
	body[n] = '\0';
	cr_assert_eq(post(path, body, NULL, &r), 303, "%ld: %s", r.status, r.body);
	th_resp_free(&r);
	free(body);
	free(path);
}

Test(decide, self_approval_is_403)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path;
	struct th_resp r;

	make_source(0, src);
	/* With someone else in the step (a step of the requester alone is
	 * refused at create). */
	create(src, "My own bonus", "[{\"kind\":\"email\",\"value\":\"rita@example.test\"},"
	    "{\"kind\":\"email\",\"value\":\"fay@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	cr_assert_eq(post(path, "decision=approve", NULL, &r), 403, "%ld: %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, "your own request"));
	th_resp_free(&r);
	expect_state(rid, "Pending", "pending");
	free(path);
}

Test(decide, foreign_origin_or_referer_is_403)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, ref[1024];
	const char *h[3] = { "Content-Type: application/x-www-form-urlencoded", ref, NULL };
	struct th_resp r;

	make_source(0, src);
	create(src, "Cross site", "[{\"kind\":\"email\",\"value\":\"fay@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	cr_assert_eq(post(path, "decision=approve", "https://evil.example", &r), 403);
	th_resp_free(&r);
	cr_assert_eq(post(path, "decision=approve", "null", &r), 403);
	th_resp_free(&r);
	snprintf(ref, sizeof(ref), "Referer: %s.evil.example/x", th_env("HUB_URL"));
	cr_assert_eq(th_http("POST", path, h, "decision=approve", 16, &r), 0);
	cr_assert_eq(r.status, 403);
	th_resp_free(&r);
	expect_state(rid, "Pending", "pending");
	/* Our own page as Referer (no Origin) is fine. */
	snprintf(ref, sizeof(ref), "Referer: %s%s", th_env("HUB_URL"), path);
	cr_assert_eq(th_http("POST", path, h, "decision=approve", 16, &r), 0);
	cr_assert_eq(r.status, 303, "%ld: %s", r.status, r.body);
	th_resp_free(&r);
	expect_state(rid, "Approved", "approved");
	free(path);
}

Test(decide, tampered_and_expired_links)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path, *old;
	struct th_resp r;
	size_t n;

	make_source(0, src);
	create(src, "Tamper", "[{\"kind\":\"email\",\"value\":\"gus@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	n = strlen(path);
	path[n - 5] = path[n - 5] == 'A' ? 'B' : 'A';
	cr_assert_eq(get(path, &r), 404);
	cr_assert_not_null(strstr(r.body, "not valid"));
	th_resp_free(&r);
	cr_assert_eq(post(path, "decision=approve", NULL, &r), 404);
	th_resp_free(&r);
	cr_assert_eq(get("/decide/garbage", &r), 404);
	th_resp_free(&r);

	old = link_path(asg_id(rid, 0), rid, time(NULL) - 1);
	cr_assert_eq(get(old, &r), 410, "%ld", r.status);
	cr_assert_not_null(strstr(r.body, "expired"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "new one"));
	th_resp_free(&r);
	cr_assert_eq(post(old, "decision=approve", NULL, &r), 410);
	th_resp_free(&r);
	expect_state(rid, "Pending", "pending");
	free(old);
	free(path);
}

/* A link decides its own assignment only: not another request's, not its
 * co-approver's. */
Test(decide, a_link_is_bound_to_its_assignment)
{
	char src[HUB_ID_LEN], r1[HUB_ID_LEN], r2[HUB_ID_LEN], *cross, *mine, *st;
	struct th_resp r;

	make_source(0, src);
	create(src, "Two approvers", "[{\"kind\":\"email\",\"value\":\"hal@example.test\"},"
	    " {\"kind\":\"email\",\"value\":\"ivy@example.test\"}]", "all",
	    "rita@example.test", r1);
	create(src, "Another", "[{\"kind\":\"email\",\"value\":\"jon@example.test\"}]",
	    "any", "rita@example.test", r2);
	/* r1's assignment with r2's id: validly signed, but no such pair. */
	cross = link_path(asg_id(r1, 0), r2, FAR);
	cr_assert_eq(post(cross, "decision=approve", NULL, &r), 404, "%ld", r.status);
	th_resp_free(&r);
	cr_assert_eq(get(cross, &r), 404);
	th_resp_free(&r);
	expect_state(r2, "Pending", "pending");

	mine = link_path(asg_id(r1, 0), r1, FAR);
	cr_assert_eq(post(mine, "decision=approve", NULL, &r), 303);
	th_resp_free(&r);
	expect_state(r1, "Pending", "approved");
	st = cell(T_ASG, r1, 1, 1);
	cr_assert_str_eq(st, "pending", "co-approver decided too");
	free(st);
	cr_assert_eq(get(mine, &r), 200);
	cr_assert_not_null(strstr(r.body, "Approved by hal@example.test"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "still pending"));
	cr_assert_null(strstr(r.body, "<form"));
	th_resp_free(&r);
	free(cross);
	free(mine);
}

/* The link outlives the request's deadline only to say what happened. */
Test(decide, an_expired_request_shows_its_outcome)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path;
	struct th_resp r;
	static volatile sig_atomic_t stop;
	struct hub_job_env env = { .db = db, .stop = &stop };
	int i;

	make_source(0, src);
	create(src, "Too late", "[{\"kind\":\"email\",\"value\":\"max@example.test\"}]",
	    "any", "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	PQclear(tq(T_DEADLINE_PAST, rid, NULL));
	/* The stack's worker sweeps the same database: when one of its sweeps
	 * holds the row (a reminder, say), ours skips it; sweep again until
	 * one of the two has expired it. */
	for (i = 0; i < 100; i++) {
		char *s;
		int done;

		cr_assert_eq(hub_engine_sweep(&env), HUB_JOB_SWEEP_OK);
		s = cell(T_REQ, rid, 0, 0);
		done = strcmp(s, "Expired") == 0;
		free(s);
		if (done)
			break;
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	expect_state(rid, "Expired", "skipped");
	cr_assert_eq(get(path, &r), 200);
	cr_assert_not_null(strstr(r.body, "<p>Expired at "), "%s", r.body);
	cr_assert_null(strstr(r.body, "<form"));
	th_resp_free(&r);
	cr_assert_eq(post(path, "decision=approve", NULL, &r), 409);
	cr_assert_not_null(strstr(r.body, "Expired at "));
	th_resp_free(&r);
	expect_state(rid, "Expired", "skipped");
	free(path);
}

Test(decide, values_are_html_escaped)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *path;
	struct th_resp r;

	make_source(0, src);
	create(src, "<script>alert(1)</script> & \"quotes\"",
	    "[{\"kind\":\"email\",\"value\":\"kim@example.test\"}]", "any",
	    "rita@example.test", rid);
	path = link_path(asg_id(rid, 0), rid, FAR);
	cr_assert_eq(get(path, &r), 200);
	cr_assert_null(strstr(r.body, "<script>"), "unescaped title");
	cr_assert_not_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
	    "%s", r.body);
	th_resp_free(&r);
	free(path);
}

/* ------------------------------------------------------------ smtp */

static json_object *
sink_messages(const char *rcpt)
{
	char path[512];

	snprintf(path, sizeof(path), "/_fake/messages?rcpt=%s", rcpt);
	return th_fake("FAKE_SMTP_CONTROL_URL", "GET", path, NULL);
}

static const char *
jget(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* MIME text is CRLF on the wire; compare with LF line ends. */
static char *
lf(const char *s)
{
	char *out, *w;

	cr_assert_not_null(s);
	cr_assert_not_null(out = strdup(s));
	w = out;
	for (; *s != '\0'; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			*w++ = *s;
	*w = '\0';
	return out;
}

static void
expect_lf(const char *got, const char *want)
{
	char *g = lf(got);

	cr_assert_str_eq(g, want);
	free(g);
}

static void
rcpt_addr(const char *who, char *out, size_t n)
{
	unsigned char rnd[4];
	char hex[9];

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	hub_hex_encode(rnd, sizeof(rnd), hex);
	snprintf(out, n, "%s-%s@example.test", who, hex);
}

Test(smtp, a_message_reaches_the_sink_with_both_parts)
{
	static const char subject[] =
	    "Approval needed: caf\xc3\xa9 \xe2\x98\x95 for the Z\xc3\xbcrich offsite and a"
	    " rather long title that needs folding";
	static const char text[] =
	    "Hello,\n\n.a line starting with a dot\nCaf\xc3\xa9 = coffee\n"
	    "a very long line xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx end\n"
	    "trailing space \nDecide: http://hub.example/decide/T\n";
	static const char html[] = "<p>Caf\xc3\xa9 <a href=\"http://hub.example/decide/T\">Decide</a></p>\n";
	char to[128], err[256];
	json_object *msgs, *m, *h;
	const char *v;
	int rc;

	rcpt_addr("smtp", to, sizeof(to));
	rc = hub_smtp_send(NULL, th_env("SMTP_URL"), "Approval Hub <hub@example.test>", to, subject,
	    text, html, err, sizeof(err));
	cr_assert_eq(rc, HUB_SMTP_OK, "rc %d: %s", rc, err);
	cr_assert_not_null(msgs = sink_messages(to));
	cr_assert_eq(json_object_array_length(msgs), 1);
	m = json_object_array_get_idx(msgs, 0);
	cr_assert_str_eq(jget(m, "mail_from"), "hub@example.test");
	cr_assert_str_eq(jget(m, "subject"), subject);
	cr_assert_str_eq(jget(m, "to"), to);
	cr_assert_str_eq(jget(m, "from"), "Approval Hub <hub@example.test>");
	expect_lf(jget(m, "text"), text);
	expect_lf(jget(m, "html"), html);
	cr_assert(json_object_object_get_ex(m, "headers", &h));
	cr_assert_not_null(v = jget(h, "Message-ID"));
	cr_assert(strlen(v) > 20 && strstr(v, "@example.test>") != NULL, "%s", v);
	cr_assert_not_null(v = jget(h, "Date"));
	cr_assert(strstr(v, " +0000") != NULL, "%s", v);
	cr_assert_str_eq(jget(h, "MIME-Version"), "1.0");
	cr_assert_not_null(v = jget(h, "Content-Type"));
	cr_assert(strncmp(v, "multipart/alternative", 21) == 0, "%s", v);
	/* Raw: CRLF everywhere, the subject encoded, no 8-bit bytes. */
	cr_assert_not_null(v = jget(m, "data"));
	cr_assert_not_null(strstr(v, "Subject: =?UTF-8?B?"));
	cr_assert_null(strstr(v, "\xc3\xa9"), "8-bit byte on the wire");
	{
		const char *p;

		for (p = v; (p = strchr(p, '\n')) != NULL; p++)
			cr_assert(p > v && p[-1] == '\r', "bare LF at %ld", (long)(p - v));
	}
	json_object_put(msgs);
}

Test(smtp, text_only_and_ascii_subject)
{
	char to[128], err[256];
	json_object *msgs, *m;

	rcpt_addr("plain", to, sizeof(to));
	cr_assert_eq(hub_smtp_send(NULL, th_env("SMTP_URL"), "hub@example.test", to, "Reminder",
	    "Just text.\r\n", NULL, err, sizeof(err)), HUB_SMTP_OK, "%s", err);
	cr_assert_not_null(msgs = sink_messages(to));
	cr_assert_eq(json_object_array_length(msgs), 1);
	m = json_object_array_get_idx(msgs, 0);
	cr_assert_str_eq(jget(m, "subject"), "Reminder");
	expect_lf(jget(m, "text"), "Just text.\n");
	cr_assert_null(jget(m, "html"));
	cr_assert_not_null(strstr(jget(m, "data"), "Subject: Reminder\r\n"));
	json_object_put(msgs);
}

struct fail_case {
	int		 code;
	const char	*stage;
	int		 want;
};

Test(smtp, replies_are_classified)
{
	static const struct fail_case cases[] = {
		{ 451, "rcpt", HUB_SMTP_TRANSIENT },
		{ 550, "rcpt", HUB_SMTP_PERMANENT },
		{ 421, "mail", HUB_SMTP_TRANSIENT },
		{ 553, "mail", HUB_SMTP_PERMANENT },
		{ 452, "data", HUB_SMTP_TRANSIENT },
		{ 554, "data", HUB_SMTP_PERMANENT },
	};
	char to[128], from[128], err[256], body[256], code[8];
	json_object *o;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rcpt_addr("fail", to, sizeof(to));
		/* Armed for our sender only: the stack's worker emails too. */
		rcpt_addr("sender", from, sizeof(from));
		snprintf(body, sizeof(body), "{\"count\": 1, \"code\": %d, \"stage\": \"%s\","
		    " \"mail_from\": \"%s\"}", cases[i].code, cases[i].stage, from);
		json_object_put(th_fake("FAKE_SMTP_CONTROL_URL", "POST", "/_fake/fail", body));
		rc = hub_smtp_send(NULL, th_env("SMTP_URL"), from, to, "x", "y", NULL,
		    err, sizeof(err));
		cr_assert_eq(rc, cases[i].want, "%d at %s: got %d (%s)", cases[i].code,
		    cases[i].stage, rc, err);
		snprintf(code, sizeof(code), "%d", cases[i].code);
		cr_assert_not_null(strstr(err, code), "error does not name the reply: %s", err);
		cr_assert_not_null(o = sink_messages(to));
		cr_assert_eq(json_object_array_length(o), 0);
		json_object_put(o);
	}
}

Test(smtp, refused_connection_is_transient_and_bad_input_is_invalid)
{
	char err[256];
	int rc;

	/* Port 9 on loopback: nothing listens there in the test machine. */
	rc = hub_smtp_send(NULL, "smtp://127.0.0.1:9", "hub@example.test", "a@example.test", "s", "t",
	    NULL, err, sizeof(err));
	cr_assert_eq(rc, HUB_SMTP_TRANSIENT, "rc %d: %s", rc, err);
	rc = hub_smtp_send(NULL, "smtp://user:s3cret@127.0.0.1:9", "hub@example.test",
	    "a@example.test", "s", "t", NULL, err, sizeof(err));
	cr_assert_eq(rc, HUB_SMTP_TRANSIENT);
	cr_assert_null(strstr(err, "s3cret"), "password in error: %s", err);
	cr_assert_eq(hub_smtp_send(NULL, "http://127.0.0.1:9", "hub@example.test", "a@example.test",
	    "s", "t", NULL, err, sizeof(err)), HUB_SMTP_INVALID);
	cr_assert_null(strstr(err, "127.0.0.1"), "URL in error: %s", err);
}

Test(smtp, header_injection_is_refused)
{
	static const struct { const char *from, *to, *subject; } bad[] = {
		{ "hub@example.test", "a@example.test", "Hi\r\nBcc: victim@example.test" },
		{ "hub@example.test", "a@example.test", "Hi\nX-Evil: 1" },
		{ "hub@example.test", "a@example.test\r\nBcc: v@example.test", "s" },
		{ "hub@example.test\r\nBcc: v@example.test", "a@example.test", "s" },
		{ "hub@example.test", "a@example.test>\r\nRCPT TO:<v@example.test", "s" },
		{ "hub@example.test", "Name <a@example.test>", "s" },
		{ "hub@example.test", "no-at-sign", "s" },
		{ "hub@example.test", "a b@example.test", "s" },
		{ "Evil\" <x@y> \"<hub@example.test>", "a@example.test", "s" },
	};
	char err[256];
	json_object *o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(hub_smtp_send(NULL, th_env("SMTP_URL"), bad[i].from, bad[i].to,
		    bad[i].subject, "t", NULL, err, sizeof(err)), HUB_SMTP_INVALID,
		    "case %zu accepted", i);
	cr_assert_not_null(o = sink_messages("v@example.test"));
	cr_assert_eq(json_object_array_length(o), 0);
	json_object_put(o);
	cr_assert_not_null(o = sink_messages("victim@example.test"));
	cr_assert_eq(json_object_array_length(o), 0);
	json_object_put(o);
}
