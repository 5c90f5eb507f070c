/*
 * test_requestpage.c - a request's own page, /requests/{id}, through nginx
 * and cgi-bin/dashboard, with the stack's worker and fakes running.
 *
 * What each role sees (requester: their own; viewer: all, no actions;
 * admin: all with reassign; an approver: what is assigned to them, with
 * the decision form); 404 for what one may not see, 403 for what one's
 * role may not do, 303 to /login without a session; each action's effect
 * (cancel, remind, reassign, approve and reject with a reason), the
 * decision reaching every Slack copy (the fake receives chat.update) and
 * the source (the callback and its answer on the page); inline errors;
 * CSRF and foreign-Origin refusals; hostile text in every field and in a
 * stored Block Kit preview staying text; the emailed decision page in the
 * same look, linking here.
 *
 * Requests come in through the REST API as a source system sends them.
 * Each test makes its own users, request and addresses.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "approval/decidelink.h"
#include "testlib.h"

#define PW	"correct horse battery"
#define CK_MAX	256
#define EMAIL_MAX	128
#define ID_MAX	64
#define TOKEN	"xoxb-requestpage-token"
#define TEAM	"TRQP"
#define WAIT_STEPS	300	/* of 100 ms: the worker's jobs */

static char admin_key[256];

/* ------------------------------------------------------------ helpers */

/* POST a form as the signed-in browser does: cookie, this hub's Origin
 * (extra replaces it, e.g. a foreign one; "" sends none). */
static void
post(const char *path, const char *cookie, const char *extra, const char *body,
    struct th_resp *r)
{
	char ck[CK_MAX + 32], origin[512];
	const char *h[4] = { "Content-Type: application/x-www-form-urlencoded", ck, origin, NULL };

	snprintf(ck, sizeof(ck), "Cookie: hub_session=%s", cookie);
	if (extra != NULL)
		snprintf(origin, sizeof(origin), "%s", extra);
	else
		snprintf(origin, sizeof(origin), "Origin: %s", th_env("PUBLIC_URL"));
	if (origin[0] == '\0')
		h[2] = NULL;
	cr_assert_eq(th_http("POST", path, h, body, strlen(body), r), 0);
}

/* A user of role signed in: email and session cookie. */
static void
user(const char *role, char *email, char *cookie)
{
	th_user_add(role, PW, email, EMAIL_MAX);
	cr_assert_eq(th_login(email, PW, NULL, cookie, CK_MAX, NULL), 303, "sign-in of %s", email);
}

/* The page of request id as cookie's user; status checked, body kept. */
static void
page(const char *id, const char *cookie, long status, struct th_resp *r)
{
	char path[128];

	snprintf(path, sizeof(path), "/requests/%s", id);
	th_get(path, cookie, r);
	cr_assert_eq(r->status, status, "GET %s: %ld %.600s", path, r->status, r->body);
}

/* The page an action sent the browser to (its Location). */
static void
follow(const struct th_resp *done, const char *cookie, struct th_resp *r)
{
	char loc[1024];
	size_t n = strlen(th_env("PUBLIC_URL"));

	cr_assert_not_null(th_header(done, "Location", loc, sizeof(loc)));
	cr_assert(strncmp(loc, th_env("PUBLIC_URL"), n) == 0, "%s", loc);
	th_get(loc + n, cookie, r);
	cr_assert_eq(r->status, 200, "GET %s: %ld", loc, r->status);
}

static void
has(const struct th_resp *r, const char *s)
{
	cr_assert_not_null(strstr(r->body, s), "'%s' not on the page: %s", s, r->body);
}

static void
hasnt(const struct th_resp *r, const char *s)
{
	cr_assert_null(strstr(r->body, s), "'%s' is on the page", s);
}

/* The CSRF token of the page's forms. */
static void
csrf_of(const struct th_resp *r, char *out, size_t outlen)
{
	const char *p = strstr(r->body, "name=\"csrf\" value=\"");

	cr_assert_not_null(p, "no csrf on the page");
	p += 19;
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "\""), p);
}

/* POST action on request id with fields (urlencoded, after the token). */
static void
act(const char *id, const char *action, const char *cookie, const char *fields,
    struct th_resp *r)
{
	struct th_resp pg;
	char path[128], body[4096], csrf[128];

	th_get("/account/password", cookie, &pg);
	cr_assert_eq(pg.status, 200);
	csrf_of(&pg, csrf, sizeof(csrf));
	th_resp_free(&pg);
	snprintf(path, sizeof(path), "/requests/%s/%s", id, action);
	snprintf(body, sizeof(body), "csrf=%s%s%s", csrf, fields[0] ? "&" : "", fields);
	post(path, cookie, NULL, body, r);
}

static void
expect_done(const struct th_resp *r, const char *id, const char *done)
{
	char loc[1024], want[1024];

	cr_assert_eq(r->status, 303, "%ld %.800s", r->status, r->body);
	cr_assert_not_null(th_header(r, "Location", loc, sizeof(loc)));
	snprintf(want, sizeof(want), "%s/requests/%s?done=%s", th_env("PUBLIC_URL"), id, done);
	cr_assert_str_eq(loc, want);
}

/* A request through the API (admin key): its id. */
static void
create(const char *json, char id[ID_MAX])
{
	struct th_resp r;
	json_object *o, *v;

	th_api("POST", "/api/new-approval", admin_key, NULL, json, &r);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	o = th_json(&r);
	cr_assert(o != NULL && json_object_object_get_ex(o, "id", &v));
	snprintf(id, ID_MAX, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

/* A plain request: requester_email and one approver. */
static void
create_simple(const char *requester_email, const char *approver, const char *title,
    char id[ID_MAX])
{
	char body[4096];

	snprintf(body, sizeof(body), "{\"request_source\": \"Concur\", \"requester_name\":"
	    " \"Rita Requester\", \"requester_email\": \"%s\", \"title\": \"%s\","
	    " \"approvers\": [\"%s\"], \"justification_text\": \"Old laptop broke.\","
	    " \"metadata\": {\"amount\": 1234.5, \"currency\": \"EUR\","
	    " \"category\": \"Hardware\"}}", requester_email, title, approver);
	create(body, id);
}

static void
setup(void)
{
	unsigned char r[3];
	char a[32];

	/* Sign-in throttling counts per address: one of our own. */
	cr_assert_eq(getrandom(r, sizeof(r), 0), (ssize_t)sizeof(r));
	snprintf(a, sizeof(a), "127.%u.%u.%u", r[0] % 250 + 2, r[1], r[2] % 250 + 2);
	th_http_source(a);
	/* The preset's source; it stays for the next test (the add fails then). */
	th_sh("\"%s/bin/approvalhub\" source add Concur >/dev/null 2>&1",
	    th_env("top_builddir"));
	th_admin_key(admin_key, sizeof(admin_key));
}

TestSuite(requestpage, .init = setup, .timeout = 90);

/* ------------------------------------------------------------ roles */

Test(requestpage, the_requester_sees_their_request_formatted)
{
	char email[EMAIL_MAX], ck[CK_MAX], id[ID_MAX];
	struct th_resp r;

	user("requester", email, ck);
	create_simple(email, "ann@example.test", "New laptop", id);
	page(id, ck, 200, &r);
	has(&r, "<h1>New laptop</h1>");
	has(&r, "from Concur");
	has(&r, "<span class=\"badge status-Pending\">Pending</span>");
	/* Fields per preset: money with its currency. */
	has(&r, "<dt>Amount</dt><dd>1,234.50 EUR</dd>");
	has(&r, "<dt>Category</dt><dd>Hardware</dd>");
	has(&r, "<p class=\"justification\">Old laptop broke.</p>");
	/* Risk: the engine's flag in its words; no AI configured, and no
	 * made-up score. */
	has(&r, "<span class=\"flag\">missing or short justification</span>");
	has(&r, "<p class=\"muted ai-status\">AI analysis off</p>");
	hasnt(&r, "AI risk score");
	has(&r, "Step 1 <span class=\"muted\">· Any one approver · active");
	has(&r, "<td>ann@example.test</td><td><span class=\"badge status-Pending\">pending</span>");
	/* The timeline from the audit log. */
	has(&r, "<strong>Request created</strong>");
	/* Their own: cancel and remind, not reassign, no decision form. */
	has(&r, "action=\"/requests/");
	has(&r, "/cancel\"");
	has(&r, "/remind\"");
	hasnt(&r, "/reassign\"");
	hasnt(&r, "value=\"approve\"");
	/* Nothing went out yet, or the worker's messages: either way a section. */
	has(&r, "<h2 id=\"messages\">Slack messages</h2>");
	has(&r, "<h2 id=\"emails\">Emails</h2>");
	has(&r, "<h2 id=\"callbacks\">Callbacks to the source</h2>");
	th_resp_free(&r);
}

Test(requestpage, who_may_see_and_who_may_act)
{
	char req[EMAIL_MAX], rck[CK_MAX], other[EMAIL_MAX], ock[CK_MAX], viewer[EMAIL_MAX],
	    vck[CK_MAX], adm[EMAIL_MAX], ack[CK_MAX], id[ID_MAX], loc[1024], path[128],
	    audit[16], audit2[16];
	struct th_resp r;

	user("requester", req, rck);
	user("requester", other, ock);
	user("viewer", viewer, vck);
	user("admin", adm, ack);
	create_simple(req, "bob@example.test", "Team dinner", id);
	th_sql_value("SELECT count(*) FROM audit_log WHERE request_id = $1::uuid", id, audit,
	    sizeof(audit));

	/* Another requester: as if it did not exist. */
	page(id, ock, 404, &r);
	hasnt(&r, "Team dinner");
	th_resp_free(&r);
	page("00000000-0000-4000-8000-000000000000", ack, 404, &r);
	th_resp_free(&r);
	page("not-a-request", ack, 404, &r);
	th_resp_free(&r);
	/* Without a session: to the sign-in page and back. */
	snprintf(path, sizeof(path), "/requests/%s", id);
	th_get(path, NULL, &r);
	cr_assert_eq(r.status, 303);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	cr_assert_not_null(strstr(loc, "/login?next=%2Frequests%2F"), "%s", loc);
	th_resp_free(&r);

	/* A viewer sees everything, acts on nothing. */
	page(id, vck, 200, &r);
	has(&r, "Team dinner");
	hasnt(&r, "/cancel\"");
	hasnt(&r, "/remind\"");
	hasnt(&r, "/reassign\"");
	th_resp_free(&r);
	act(id, "cancel", vck, "reason=x", &r);
	cr_assert_eq(r.status, 403, "%ld", r.status);
	th_resp_free(&r);
	act(id, "remind", vck, "", &r);
	cr_assert_eq(r.status, 403, "%ld", r.status);
	th_resp_free(&r);
	/* Another requester's action on it: 404 (it is not theirs to see). */
	act(id, "cancel", ock, "", &r);
	cr_assert_eq(r.status, 404, "%ld", r.status);
	th_resp_free(&r);
	/* The requester may not reassign nor decide; the admin may reassign. */
	act(id, "reassign", rck, "from=1&to=carl%40example.test", &r);
	cr_assert_eq(r.status, 403, "%ld", r.status);
	th_resp_free(&r);
	act(id, "decide", rck, "decision=approve", &r);
	cr_assert_eq(r.status, 403, "%ld", r.status);
	th_resp_free(&r);
	page(id, ack, 200, &r);
	has(&r, "/reassign\"");
	has(&r, "<option value=\"");
	has(&r, ">bob@example.test</option>");
	th_resp_free(&r);
	th_sql_value("SELECT count(*) FROM audit_log WHERE request_id = $1::uuid", id, audit2,
	    sizeof(audit2));
	cr_assert_str_eq(audit, audit2, "a refused action wrote to the audit log");
	th_sql_value("SELECT status FROM requests WHERE id = $1::uuid", id, audit2, sizeof(audit2));
	cr_assert_str_eq(audit2, "Pending");
}

/* ------------------------------------------------------------ actions */

Test(requestpage, cancel_remind_reassign)
{
	char req[EMAIL_MAX], rck[CK_MAX], adm[EMAIL_MAX], ack[CK_MAX], id[ID_MAX], id2[ID_MAX],
	    v[256], body[512];
	struct th_resp r, r2;

	user("requester", req, rck);
	user("admin", adm, ack);
	create_simple(req, "dan@example.test", "Conference ticket", id);

	/* Remind (the requester's own). */
	act(id, "remind", rck, "", &r2);
	expect_done(&r2, id, "reminded");
	follow(&r2, rck, &r);
	th_resp_free(&r2);
	th_sql_value("SELECT count(*) FROM audit_log WHERE request_id = $1::uuid"
	    " AND action = 'request.reminded' AND via = 'web'", id, v, sizeof(v));
	cr_assert_str_eq(v, "1");
	has(&r, "The pending approvers are being reminded.");
	has(&r, "<strong>Approvers reminded</strong>");
	th_resp_free(&r);

	/* Reassign (admin): a bad address is marked inline, then a good one. */
	th_sql_value("SELECT id FROM assignments WHERE request_id = $1::uuid", id, v, sizeof(v));
	snprintf(body, sizeof(body), "from=%s&to=not+an+address", v);
	act(id, "reassign", ack, body, &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	has(&r, "id=\"reassign-error\"");
	has(&r, "value=\"not an address\"");
	th_resp_free(&r);
	snprintf(body, sizeof(body), "from=%s&to=erin%%40example.test", v);
	act(id, "reassign", ack, body, &r);
	expect_done(&r, id, "reassigned");
	th_resp_free(&r);
	th_sql_value("SELECT string_agg(approver_value || ':' || status, ',' ORDER BY id) FROM assignments"
	    " WHERE request_id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "dan@example.test:reassigned,erin@example.test:pending");
	page(id, ack, 200, &r);
	has(&r, "dan@example.test → erin@example.test");
	th_resp_free(&r);

	/* Cancel with a reason (the requester's own), then again: 409. */
	act(id, "cancel", rck, "reason=Bought+one+myself", &r);
	expect_done(&r, id, "cancelled");
	th_resp_free(&r);
	th_sql_value("SELECT status || '|' || coalesce(decided_by, '') FROM requests WHERE id = $1::uuid",
	    id, v, sizeof(v));
	cr_assert_str_eq(v, "Cancelled|Test requester");
	page(id, rck, 200, &r);
	has(&r, "<span class=\"badge status-Closed\">Cancelled</span>");
	has(&r, "<strong>Request cancelled</strong> by Test requester");
	has(&r, "Bought one myself");
	hasnt(&r, "/cancel\"");
	th_resp_free(&r);
	act(id, "cancel", ack, "", &r);
	cr_assert_eq(r.status, 409, "%ld", r.status);
	has(&r, "already decided or closed");
	th_resp_free(&r);

	/* The admin cancels someone else's. */
	create_simple("someone@example.test", "fay@example.test", "Desk", id2);
	act(id2, "cancel", ack, "", &r);
	expect_done(&r, id2, "cancelled");
	th_resp_free(&r);
}

Test(requestpage, csrf_and_foreign_origin_are_refused)
{
	char req[EMAIL_MAX], rck[CK_MAX], id[ID_MAX], path[128], v[64];
	struct th_resp r;

	user("requester", req, rck);
	create_simple(req, "gil@example.test", "Monitor", id);
	snprintf(path, sizeof(path), "/requests/%s/cancel", id);
	post(path, rck, NULL, "reason=x", &r);
	cr_assert_eq(r.status, 403, "no token: %ld", r.status);
	th_resp_free(&r);
	post(path, rck, NULL, "csrf=wrong&reason=x", &r);
	cr_assert_eq(r.status, 403, "wrong token: %ld", r.status);
	th_resp_free(&r);
	{
		struct th_resp pg;
		char csrf[128], body[256];

		page(id, rck, 200, &pg);
		csrf_of(&pg, csrf, sizeof(csrf));
		th_resp_free(&pg);
		snprintf(body, sizeof(body), "csrf=%s", csrf);
		post(path, rck, "Origin: https://evil.example", body, &r);
		cr_assert_eq(r.status, 403, "foreign origin: %ld", r.status);
		th_resp_free(&r);
	}
	/* GET on an action's URL changes nothing. */
	th_get(path, rck, &r);
	cr_assert(r.status == 404 || r.status == 405, "%ld", r.status);
	th_resp_free(&r);
	th_sql_value("SELECT status FROM requests WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "Pending");
}

Test(requestpage, reject_needs_a_reason_where_the_source_wants_one)
{
	char appr[EMAIL_MAX], ack[CK_MAX], id[ID_MAX], v[64], body[4096];
	struct th_resp r, r2;

	th_sh("\"%s/bin/approvalhub\" source add Strict-rp >/dev/null 2>&1",
	    th_env("top_builddir"));
	th_sql_value("UPDATE sources SET reason_required = true WHERE name = $1", "Strict-rp", v, sizeof(v));
	user("requester", appr, ack);
	snprintf(body, sizeof(body), "{\"request_source\": \"Strict-rp\", \"requester_name\":"
	    " \"Rita\", \"requester_email\": \"rita@example.test\", \"title\": \"Vendor\","
	    " \"approvers\": [\"%s\"], \"justification_text\": \"x\", \"metadata\": {}}", appr);
	create(body, id);
	page(id, ack, 200, &r);
	has(&r, "value=\"approve\"");
	has(&r, "(you)");
	th_resp_free(&r);
	act(id, "decide", ack, "decision=reject&reason=+", &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	has(&r, "<p class=\"field-error\" id=\"reason-error\">A reason is required");
	has(&r, "value=\"reject\"");
	th_resp_free(&r);
	act(id, "decide", ack, "decision=maybe", &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	has(&r, "Choose Approve or Reject.");
	th_resp_free(&r);
	th_sql_value("SELECT status FROM requests WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "Pending");
	act(id, "decide", ack, "decision=reject&reason=Not+this+vendor", &r2);
	expect_done(&r2, id, "rejected");
	th_sql_value("SELECT status || '|' || decided_by || '|' || decision_comment FROM requests"
	    " WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "Rejected|Test requester|Not this vendor");
	follow(&r2, ack, &r);
	th_resp_free(&r2);
	has(&r, "Your rejection is recorded.");
	has(&r, "<span class=\"badge status-Rejected\">Rejected</span>");
	has(&r, "<td class=\"comment\">Not this vendor</td>");
	hasnt(&r, "value=\"approve\"");
	th_resp_free(&r);
	/* Deciding again: 409, nothing changes. */
	act(id, "decide", ack, "decision=approve", &r);
	cr_assert_eq(r.status, 409, "%ld", r.status);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ Slack */

/* The fake knows the approver; the hub has a default Slack connection. */
static void
slack_ready(const char *email, const char *uid)
{
	char body[512];

	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", "[{\"token\": \""
	    TOKEN "\", \"team_id\": \"" TEAM "\", \"team_name\": \"RP\","
	    " \"bot_user_id\": \"UBOTRP\"}]"));
	snprintf(body, sizeof(body), "[{\"id\": \"%s\", \"email\": \"%s\", \"name\": \"ann\"}]",
	    uid, email);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));
	/* Once per stack: a second add of the same name fails harmlessly. */
	th_sh("printf '%%s\\n' '" TOKEN "' | \"%s/bin/approvalhub\" connection add rpage"
	    " --type SLACK_APP --token-stdin --default >/dev/null 2>&1", th_env("top_builddir"));
}

/* chat.update calls the fake got for channel. */
static int
updates(const char *channel)
{
	json_object *list, *call, *args, *ch;
	size_t i;
	int n = 0;

	list = th_fake("FAKE_SLACK_URL", "GET", "/_fake/calls?method=chat.update", NULL);
	cr_assert(list != NULL && json_object_is_type(list, json_type_array));
	for (i = 0; i < json_object_array_length(list); i++) {
		call = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(call, "args", &args) &&
		    json_object_object_get_ex(args, "channel", &ch) &&
		    strcmp(json_object_get_string(ch), channel) == 0)
			n++;
	}
	json_object_put(list);
	return n;
}

Test(requestpage, an_approver_decides_on_the_page_and_slack_hears_of_it)
{
	char appr[EMAIL_MAX], ack[CK_MAX], id[ID_MAX], uid[32], channel[64], v[256],
	    body[4096];
	unsigned char rnd[4];
	struct th_resp r;
	int i;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(uid, sizeof(uid), "URP%02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3]);
	user("requester", appr, ack);
	slack_ready(appr, uid);
	/* The source signs its callbacks with the secret the receiver checks. */
	th_sql_value("SELECT id FROM sources WHERE name = 'Concur'", NULL, v, sizeof(v));
	snprintf(body, sizeof(body), "/api/sources/%s", v);
	{
		char patch[256];

		snprintf(patch, sizeof(patch), "{\"callback_secret\": \"%s\"}",
		    th_env("HUB_TEST_CALLBACK_SECRET"));
		th_api("PATCH", body, admin_key, NULL, patch, &r);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		th_resp_free(&r);
	}
	snprintf(body, sizeof(body), "{\"request_source\": \"Concur\", \"requester_name\":"
	    " \"Rita Requester\", \"requester_email\": \"rita@example.test\","
	    " \"title\": \"Laptop for Ann\", \"approvers\": [\"%s\"],"
	    " \"justification_text\": \"Old one broke.\", \"metadata\": {\"amount\": 900,"
	    " \"currency\": \"EUR\"}, \"callback_url\": \"%s/hook\"}", appr,
	    th_env("FAKE_CALLBACK_URL"));
	create(body, id);
	/* The worker sends the call for action to the approver's DM. */
	th_sql_await("SELECT count(*) > 0 FROM sent_messages WHERE request_id = $1::uuid", id,
	    "t");
	th_sql_value("SELECT channel FROM sent_messages WHERE request_id = $1::uuid ORDER BY id LIMIT 1",
	    id, channel, sizeof(channel));

	page(id, ack, 200, &r);
	has(&r, "(you)");
	has(&r, "value=\"approve\"");
	/* The message, where it went, and its Block Kit as inert HTML. */
	has(&r, "<article class=\"slack-message\">");
	has(&r, "<dd>call_for_action");
	has(&r, "<dd>rpage <span class=\"muted\">(slack)</span></dd>");
	has(&r, channel);
	has(&r, "<span class=\"delivery-delivered\">delivered</span>");
	has(&r, "<div class=\"bk-header\">Laptop for Ann</div>");
	has(&r, "<button type=\"button\" class=\"bk-button bk-primary\" disabled>Approve</button>");
	has(&r, "<button type=\"button\" class=\"bk-button bk-danger\" disabled>Reject</button>");
	th_resp_free(&r);

	act(id, "decide", ack, "decision=approve&reason=Go+ahead", &r);
	expect_done(&r, id, "approved");
	th_resp_free(&r);
	th_sql_value("SELECT status || '|' || decided_by || '|' || decision_comment FROM requests"
	    " WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "Approved|Test requester|Go ahead");
	th_sql_value("SELECT via FROM audit_log WHERE request_id = $1::uuid"
	    " AND action = 'assignment.approved'", id, v, sizeof(v));
	cr_assert_str_eq(v, "web");

	/* Every Slack copy is updated by the worker, and the source called back. */
	for (i = 0; i < WAIT_STEPS && updates(channel) == 0; i++)
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	cr_assert_gt(updates(channel), 0, "no chat.update for %s", channel);
	th_sql_await("SELECT status FROM delivery_log WHERE request_id = $1::uuid"
	    " AND transport = 'callback'", id, "delivered");
	th_sql_await("SELECT count(*) > 0 FROM sent_messages WHERE request_id = $1::uuid"
	    " AND shown IS NOT NULL", id, "t");

	page(id, ack, 200, &r);
	has(&r, "<span class=\"badge status-Approved\">Approved</span>");
	has(&r, "Approved by Test requester");
	has(&r, "<blockquote>Go ahead</blockquote>");
	hasnt(&r, "value=\"approve\"");
	/* The copy as the update left it: no buttons any more. */
	has(&r, "(as last updated)");
	hasnt(&r, "disabled>Approve</button>");
	/* The callback and its answer. */
	has(&r, "answered <code>HTTP 200</code>");
	has(&r, th_env("FAKE_CALLBACK_URL"));
	hasnt(&r, "/hook");
	th_resp_free(&r);
}

/* ------------------------------------------------------------ escaping */

Test(requestpage, hostile_text_stays_text)
{
	static const char x[] = "<script>alert(1)</script>\\\"><img src=x onerror=alert(2)>";
	char req[EMAIL_MAX], rck[CK_MAX], appr[EMAIL_MAX], ack[CK_MAX], id[ID_MAX], v[64],
	    body[8192];
	PGconn *c;
	PGresult *res;
	const char *params[2];
	struct th_resp r;

	user("requester", req, rck);
	user("requester", appr, ack);
	snprintf(body, sizeof(body), "{\"request_source\": \"Concur\", \"requester_name\":"
	    " \"%s\", \"requester_email\": \"%s\", \"title\": \"%s\", \"approvers\": [\"%s\"],"
	    " \"justification_text\": \"%s\", \"metadata\": {\"%s\": \"%s\","
	    " \"link\": \"javascript:alert(3)\"}}", x, req, x, appr, x, x, x);
	create(body, id);

	/* A stored Block Kit preview with hostile text in every place. */
	c = PQconnectdb(th_env("DATABASE_URL"));
	cr_assert_eq(PQstatus(c), CONNECTION_OK);
	params[0] = id;
	params[1] = "{\"blocks\": [{\"type\": \"header\", \"text\": {\"type\": \"plain_text\","
	    " \"text\": \"<script>alert(4)</script>\"}}, {\"type\": \"section\", \"text\":"
	    " {\"type\": \"mrkdwn\", \"text\": \"*<javascript:alert(5)|click>* <https://x.test/\\\""
	    " onmouseover=\\\"alert(6)|y> &lt;img src=x onerror=alert(7)&gt;\"},"
	    " \"accessory\": {\"type\": \"image\", \"image_url\": \"javascript:alert(8)\","
	    " \"alt_text\": \"<img src=x onerror=alert(9)>\"}},"
	    " {\"type\": \"actions\", \"elements\": [{\"type\": \"button\", \"text\":"
	    " {\"type\": \"plain_text\", \"text\": \"<b>Go</b>\"}, \"url\": \"javascript:alert(10)\"}]},"
	    " {\"type\": \"<script>\"}], \"text\": \"x\"}";
	res = PQexecParams(c, "INSERT INTO delivery_log (request_id, kind, transport, channel,"
	    " status, preview) VALUES ($1::uuid, 'info', 'webhook', 'C1', 'delivered', $2::jsonb)",
	    2, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);

	act(id, "decide", ack, "decision=reject&reason=%3Cscript%3Ealert(11)%3C%2Fscript%3E", &r);
	expect_done(&r, id, "rejected");
	th_resp_free(&r);

	page(id, rck, 200, &r);
	hasnt(&r, "<script");
	hasnt(&r, "<img");
	hasnt(&r, "href=\"javascript:");
	hasnt(&r, "alert(8)");
	hasnt(&r, "alert(10)");
	has(&r, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
	has(&r, "<h1>&lt;script&gt;alert(1)");
	has(&r, "<div class=\"bk-header\">&lt;script&gt;alert(4)&lt;/script&gt;</div>");
	has(&r, "<b>click</b>");
	has(&r, "<a href=\"https://x.test/&quot; onmouseover=&quot;alert(6)\" rel=\"noopener"
	    " noreferrer nofollow\">y</a>");
	has(&r, "&lt;img src=x onerror=alert(7)&gt;");
	has(&r, "[&lt;img src=x onerror=alert(9)&gt;]");
	has(&r, "disabled>&lt;b&gt;Go&lt;/b&gt;</button>");
	has(&r, "[&lt;script&gt; block]");
	has(&r, "&lt;script&gt;alert(11)&lt;/script&gt;");
	/* The metadata key is a label, escaped too. */
	has(&r, "<dt>&lt;script&gt;alert(1)");
	th_resp_free(&r);
	th_sql_value("SELECT status FROM requests WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "Rejected");
}

/* ------------------------------------------------------------ decision page */

Test(requestpage, the_decision_page_shares_the_look_and_links_here)
{
	struct hub_buf k = HUB_BUF_INIT(64), url = HUB_BUF_INIT(1024);
	char id[ID_MAX], aid[32], want[128];
	const char *sk = th_env("SECRET_KEY");
	unsigned char master[32];
	struct th_resp r;
	size_t n = strlen(th_env("PUBLIC_URL"));

	create_simple("rita@example.test", "hal@example.test", "Standing desk", id);
	th_sql_value("SELECT id FROM assignments WHERE request_id = $1::uuid", id, aid, sizeof(aid));
	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &k), HUB_CRYPTO_OK);
	cr_assert_eq(k.len, 32);
	memcpy(master, k.data, 32);
	cr_assert_eq(hub_decidelink_make_url(master, th_env("PUBLIC_URL"), strtoll(aid, NULL, 10),
	    id, time(NULL), 0, &url), HUB_DECIDELINK_OK);
	th_get(hub_buf_str(&url) + n, NULL, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	/* The request page's partials: head, facts, decision form. */
	has(&r, "<section class=\"req decide\">");
	has(&r, "<span class=\"badge status-Pending\">Pending</span>");
	has(&r, "<dt>Amount</dt><dd>1,234.50 EUR</dd>");
	has(&r, "<form class=\"decision\" method=\"post\"");
	hasnt(&r, "name=\"csrf\"");
	snprintf(want, sizeof(want), "<a href=\"/requests/%s\">", id);
	has(&r, want);
	th_resp_free(&r);
	hub_buf_release(&k);
	hub_buf_release(&url);
}
