/*
 * test_browser.c - the hub's pages in a real browser: headless Chromium
 * driven through chromedriver (webdriver.h), against the stack env.sh
 * runs.  Each test asserts on what a person sees: rendered text, visible
 * controls, computed styles, where a click leads; and on the database
 * where a click should (or must not) have changed something.
 *
 * One browser per test (Criterion runs each test in its own process):
 * started in .init, stopped in .fini whatever the outcome.  Every page
 * visited is saved as $HUB_STATE/screens/<test>-<n>-<what>.png, and the
 * last state of each test as <test>.png, so a failure can be looked at.
 *
 * Requests are created with hub_engine_create on $DATABASE_URL, links made
 * with decidelink.h, as in test_decide.c; or with the request form, as a
 * person does (docs/screenshots/request-form.png is that test's
 * "inline-error" screen).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/decidelink.h"
#include "approval/engine.h"
#include "testlib.h"
#include "webdriver.h"

#define CHROMEDRIVER "/usr/bin/chromedriver"
#define CHROMIUM     "/usr/bin/chromium"
#define WAIT_MS      8000   /* for a page to show what a click led to */

static struct wd wd;
static struct hub_db *db;
static unsigned char master[32];
static char tag[16];

/* ------------------------------------------------------------ database */

enum t_stmt {
	T_SOURCE,
	T_SOURCE_NAMED,
	T_ASG,
	T_REQ,
	T_AUDIT_COUNT,
	T_FORM_COUNT,
	T_FORM_REQ,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	[T_SOURCE] = {
	    "INSERT INTO sources (name, reason_required) VALUES ($1, $2::boolean)"
	    " RETURNING id", 2 },
	[T_SOURCE_NAMED] = {
	    "INSERT INTO sources (name) VALUES ($1) ON CONFLICT (name)"
	    " DO UPDATE SET reason_required = false RETURNING id", 1 },
	/* id, status, decided_by, comment */
	[T_ASG] = {
	    "SELECT id, status, coalesce(decided_by, ''), coalesce(comment, '')"
	    " FROM assignments WHERE request_id = $1::uuid ORDER BY id", 1 },
	/* status, decided_by, decision_comment */
	[T_REQ] = {
	    "SELECT status, coalesce(decided_by, ''), coalesce(decision_comment, '')"
	    " FROM requests WHERE id = $1::uuid", 1 },
	[T_AUDIT_COUNT] = {
	    "SELECT count(*) FROM audit_log WHERE request_id = $1::uuid", 1 },
	/* requests of the user with email $1 */
	[T_FORM_COUNT] = {
	    "SELECT count(*) FROM requests r JOIN users u ON u.id = r.requester_user_id"
	    " WHERE u.email = $1", 1 },
	/* title|amount|approvers|the requester's requests */
	[T_FORM_REQ] = {
	    "SELECT concat_ws('|', r.title, r.metadata->>'amount',"
	    " (SELECT string_agg(approver_value, ',') FROM assignments a"
	    "  WHERE a.request_id = r.id), (SELECT count(*) FROM requests x"
	    "  WHERE x.requester_user_id = r.requester_user_id))"
	    " FROM requests r WHERE r.id::text = $1", 1 },
};

static const struct hub_stmt_table t_table = { "tbrowser", t_stmts, T__MAX };

static char *
cell(int stmt, const char *a, const char *b, int row, int col)
{
	const char *p[2] = { a, b };
	PGresult *r = NULL;
	char *s;

	cr_assert_eq(hub_db_exec(db, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s", stmt,
	    hub_db_last_error(db));
	cr_assert_gt(PQntuples(r), row, "stmt %d: %d rows", stmt, PQntuples(r));
	s = strdup(PQgetvalue(r, row, col));
	PQclear(r);
	return s;
}

static void
make_source(int reason_required, char *out)
{
	char name[64], *id;

	snprintf(name, sizeof(name), "browser-%s-%d-%ld", tag, reason_required, random());
	id = cell(T_SOURCE, name, reason_required ? "true" : "false", 0, 0);
	snprintf(out, HUB_ID_LEN, "%s", id);
	free(id);
}

/* The source whose name selects a preset (intake.h). */
static void
preset_source(const char *name, char *out)
{
	char *id = cell(T_SOURCE_NAMED, name, NULL, 0, 0);

	snprintf(out, HUB_ID_LEN, "%s", id);
	free(id);
}

/* A pending request (intake.h's normalized shape) with one email approver,
 * requested by Rita; returns its id in rid. */
static void
create(const char *source_id, const char *title, const char *approver, const char *metadata,
    char *rid)
{
	static const struct hub_actor api = { "api", "test", NULL, "Test", "api" };
	struct hub_engine_error err;
	struct hub_outcome o;
	json_object *req;
	char buf[8192];
	int rc;

	snprintf(buf, sizeof(buf),
	    "{\"request_source\": null, \"external_id\": null, \"idempotency_key\": null,"
	    " \"title\": \"\", \"requester_name\": \"Rita Requester\","
	    " \"requester_email\": \"rita@example.test\", \"requester_slack_id\": null,"
	    " \"justification\": \"Old laptop broke.\\nNeeds a new one before the audit.\","
	    " \"metadata\": %s, \"preset\": null,"
	    " \"steps\": [{\"rule\": \"any\", \"quorum\": null,"
	    "  \"approvers\": [{\"kind\": \"email\", \"value\": \"%s\"}],"
	    "  \"delivery\": null, \"channel\": null, \"connection\": null}],"
	    " \"deadline\": null, \"reminder_every\": null, \"valid_for\": null,"
	    " \"callback_url\": null, \"watchers\": [], \"delivery\": null,"
	    " \"channel\": null, \"connection\": null}", metadata, approver);
	cr_assert_not_null(req = json_tokener_parse(buf), "bad JSON %s", buf);
	json_object_object_add(req, "title", json_object_new_string(title));
	rc = hub_engine_create(db, source_id, req, &api, &o, &err);
	json_object_put(req);
	cr_assert_eq(rc, HUB_ENGINE_OK, "create: %s (%s %s) %s", hub_engine_strerror(rc),
	    err.field, err.message, hub_db_last_error(db));
	snprintf(rid, HUB_ID_LEN, "%s", o.id);
}

/* The absolute decision link of the request's first assignment. */
static char *
link_url(const char *rid, time_t expires)
{
	struct hub_buf b = HUB_BUF_INIT(1024);
	unsigned char key[32];
	char *aid = cell(T_ASG, rid, NULL, 0, 0);

	hub_decidelink_key(master, key);
	cr_assert_eq(hub_buf_printf(&b, "%s/decide/", th_env("HUB_URL")), HUB_BUF_OK);
	cr_assert_eq(hub_decidelink_make(key, strtoll(aid, NULL, 10), rid, expires, &b),
	    HUB_DECIDELINK_OK);
	free(aid);
	return hub_buf_detach(&b, NULL);
}

static void
expect_state(const char *rid, const char *req_status, const char *asg_status)
{
	char *s = cell(T_REQ, rid, NULL, 0, 0), *a = cell(T_ASG, rid, NULL, 0, 1);

	cr_assert_str_eq(s, req_status, "request %s, wanted %s", s, req_status);
	cr_assert_str_eq(a, asg_status, "assignment %s, wanted %s", a, asg_status);
	free(s);
	free(a);
}

#define FAR (time(NULL) + 3600)

/* ------------------------------------------------------------ browser helpers */

static void
go(const char *url, const char *what)
{
	char full[4096];

	if (url[0] == '/')
		snprintf(full, sizeof(full), "%s%s", th_env("HUB_URL"), url);
	else
		snprintf(full, sizeof(full), "%s", url);
	cr_assert_eq(wd_navigate(&wd, full), WD_OK, "navigate %s: %s", full, wd.error);
	wd_shot(&wd, what);
}

/* The element matching css, waiting for it to appear. */
static const char *
el(const char *css, char buf[WD_ELEMENT_MAX])
{
	int rc = wd_wait(&wd, css, WAIT_MS, buf);

	cr_assert_eq(rc, WD_OK, "no element '%s' on the page: %s", css, wd.error);
	return buf;
}

/* Rendered text of css (caller frees). */
static char *
text(const char *css)
{
	char e[WD_ELEMENT_MAX];
	char *t = wd_text(&wd, el(css, e));

	cr_assert_not_null(t, "text of %s: %s", css, wd.error);
	return t;
}

/*
 * The text of css comes to hold want.  After a click the old page may
 * still be there, and its element goes stale while being read: look
 * again, a little later, until the new page shows it (at most WAIT_MS).
 */
static void
expect_text(const char *css, const char *want)
{
	char e[WD_ELEMENT_MAX], *t = NULL;
	int waited;

	for (waited = 0; ; waited += 100) {
		free(t);
		t = wd_wait(&wd, css, WAIT_MS, e) == WD_OK ? wd_text(&wd, e) : NULL;
		if ((t != NULL && strstr(t, want) != NULL) || waited >= WAIT_MS)
			break;
		usleep(100 * 1000);
	}
	cr_assert_not_null(t, "text of %s: %s", css, wd.error);
	cr_assert_not_null(strstr(t, want), "'%s' not in %s: \"%s\"", want, css, t);
	free(t);
}

static void
expect_no(const char *css)
{
	int n = wd_count(&wd, css);

	cr_assert_eq(n, 0, "'%s' is on the page (%d): %s", css, n, wd.error);
}

/* css comes to be gone from the page (at most WAIT_MS): after a click
 * that leads to a page like the one it left, the old page is still
 * there for a moment, with the element. */
static void
expect_gone(const char *css)
{
	int n, waited;

	for (waited = 0; ; waited += 100) {
		if ((n = wd_count(&wd, css)) == 0 || waited >= WAIT_MS)
			break;
		usleep(100 * 1000);
	}
	cr_assert_eq(n, 0, "'%s' is still on the page (%d): %s", css, n, wd.error);
}

/* Whether the element is shown to a person: laid out, not hidden. */
static int
visible(const char *css)
{
	json_object *a = json_object_new_array(), *v;
	int rc, yes;

	json_object_array_add(a, json_object_new_string(css));
	v = wd_exec(&wd, "var e = document.querySelector(arguments[0]);"
	    " if (!e) return false; var r = e.getBoundingClientRect(), s = getComputedStyle(e);"
	    " return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'"
	    " && s.display !== 'none';", json_object_to_json_string(a), &rc);
	json_object_put(a);
	cr_assert_eq(rc, WD_OK, "script: %s", wd.error);
	yes = json_object_get_boolean(v);
	json_object_put(v);
	return yes;
}

/* A script's value as a string or number (caller frees). */
static char *
eval_str(const char *script)
{
	json_object *v;
	char *s;
	int rc;

	v = wd_exec(&wd, script, NULL, &rc);
	cr_assert_eq(rc, WD_OK, "script %s: %s", script, wd.error);
	s = strdup(v == NULL ? "null" : json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : json_object_to_json_string(v));
	json_object_put(v);
	return s;
}

/* A script's value that must be a number. */
static long long
eval_num(const char *script)
{
	json_object *v;
	long long n;
	int rc;

	v = wd_exec(&wd, script, NULL, &rc);
	cr_assert_eq(rc, WD_OK, "script %s: %s", script, wd.error);
	cr_assert(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double),
	    "script %s: not a number: %s", script, json_object_to_json_string(v));
	n = json_object_get_int64(v);
	json_object_put(v);
	return n;
}

/* Nothing sticks out sideways: the page needs no horizontal scrolling. */
static void
fits_width(void)
{
	long long sw = eval_num("return document.documentElement.scrollWidth;"),
	    cw = eval_num("return document.documentElement.clientWidth;");

	cr_assert(cw > 0 && sw <= cw, "page is %lld px wide in a %lld px window", sw, cw);
}

/* ------------------------------------------------------------ fixtures */

static void
setup(void)
{
	struct hub_buf k = HUB_BUF_INIT(64);
	unsigned char rnd[4];
	const char *sk = th_env("SECRET_KEY");
	char log[1024];
	int rc;

	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &k), HUB_CRYPTO_OK);
	cr_assert_eq(k.len, 32);
	memcpy(master, k.data, 32);
	hub_buf_release(&k);
	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	hub_hex_encode(rnd, sizeof(rnd), tag);
	srandom((unsigned)rnd[0] << 8 | rnd[1]);
	snprintf(log, sizeof(log), "%s/log/chromedriver-%s.log", th_env("HUB_STATE"),
	    criterion_current_test->name);
	rc = wd_start(&wd, CHROMEDRIVER, CHROMIUM, log);
	cr_assert_eq(rc, WD_OK, "browser: %s", wd.error);
}

static void
teardown(void)
{
	wd_shot(&wd, NULL);
	wd_stop(&wd);
	if (db != NULL)
		hub_db_close(db);
	db = NULL;
}

TestSuite(browser, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------ decision page */

Test(browser, approver_reads_the_request_and_approves)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], e[WD_ELEMENT_MAX], *url, *t;

	preset_source("Concur", src);
	create(src, "New laptop for the field team", "ann@example.test",
	    "{\"amount\": 1234.5, \"currency\": \"EUR\", \"category\": \"Hardware\"}", rid);
	url = link_url(rid, FAR);
	go(url, "pending");

	t = wd_title(&wd);
	cr_assert_not_null(t, "%s", wd.error);
	cr_assert_not_null(strstr(t, "Approval Hub"), "title: %s", t);
	free(t);
	expect_text("h1", "New laptop for the field team");
	expect_text(".status-line .badge", "Pending");
	expect_text(".facts", "Rita Requester");
	expect_text(".facts", "1,234.50 EUR");
	expect_text(".facts", "Hardware");
	expect_text(".justification", "Old laptop broke.");
	expect_text(".justification", "before the audit");
	cr_assert(visible("button[value=approve]"), "Approve button not visible");
	cr_assert(visible("button[value=reject]"), "Reject button not visible");
	cr_assert(visible("textarea#reason"), "reason box not visible");
	expect_text("button[value=approve]", "Approve");
	expect_text("button[value=reject]", "Reject");
	expect_text("label[for=reason]", "Reason");
	/* The two buttons look different: approve is not the danger colour. */
	{
		char a[WD_ELEMENT_MAX], r[WD_ELEMENT_MAX], *ca, *cr;

		ca = wd_css(&wd, el("button[value=approve]", a), "background-color");
		cr = wd_css(&wd, el("button[value=reject]", r), "background-color");
		cr_assert(ca != NULL && cr != NULL && strcmp(ca, cr) != 0, "buttons: %s / %s",
		    ca ? ca : "?", cr ? cr : "?");
		free(ca);
		free(cr);
	}

	fits_width();

	/* On a phone (where emailed links are often opened) it still fits. */
	cr_assert_eq(wd_window_size(&wd, 390, 844), WD_OK, "%s", wd.error);
	wd_shot(&wd, "phone");
	fits_width();
	cr_assert(visible("button[value=approve]"));
	cr_assert(visible("button[value=reject]"));
	cr_assert_eq(wd_window_size(&wd, 1280, 900), WD_OK, "%s", wd.error);

	cr_assert_eq(wd_click(&wd, el("button[value=approve]", e)), WD_OK, "%s", wd.error);
	expect_text(".outcome", "Approved by ann@example.test");
	wd_shot(&wd, "approved");
	expect_no("form");
	expect_no("textarea");
	expect_text(".status-line .badge", "Approved");
	/* After the 303 the browser is back on the link itself (a reload is a GET). */
	t = wd_current_url(&wd);
	cr_assert_str_eq(t, url);
	free(t);
	expect_state(rid, "Approved", "approved");
	free(url);
}

Test(browser, reject_with_a_reason_typed_in)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], e[WD_ELEMENT_MAX], *url, *c;

	make_source(0, src);
	create(src, "Team offsite in Lisbon", "bea@example.test", "{\"amount\": 900}", rid);
	url = link_url(rid, FAR);
	go(url, "pending");
	cr_assert_eq(wd_send_keys(&wd, el("textarea#reason", e),
	    "Over budget this quarter <try Q3>"), WD_OK, "%s", wd.error);
	wd_shot(&wd, "typed");
	cr_assert_eq(wd_click(&wd, el("button[value=reject]", e)), WD_OK, "%s", wd.error);
	expect_text(".outcome", "Rejected by bea@example.test");
	expect_text(".outcome blockquote", "Over budget this quarter <try Q3>");
	expect_text(".status-line .badge", "Rejected");
	expect_no("form");
	wd_shot(&wd, "rejected");
	expect_state(rid, "Rejected", "rejected");
	c = cell(T_REQ, rid, NULL, 0, 2);
	cr_assert_str_eq(c, "Over budget this quarter <try Q3>");
	free(c);
	free(url);
}

Test(browser, reject_without_the_required_reason_is_marked_inline)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], e[WD_ELEMENT_MAX], *url, *audit, *audit2, *v;

	make_source(1, src);
	create(src, "Vendor contract renewal", "cy@example.test", "{}", rid);
	url = link_url(rid, FAR);
	go(url, "pending");
	audit = cell(T_AUDIT_COUNT, rid, NULL, 0, 0);

	cr_assert_eq(wd_click(&wd, el("button[value=reject]", e)), WD_OK, "%s", wd.error);
	el("#reason-error", e);
	wd_shot(&wd, "reason-missing");
	expect_text("#reason-error", "reason");
	cr_assert(visible("#reason-error"), "the error is not shown");
	/* Next to the field: right after the textarea, described by it. */
	v = eval_str("var t = document.getElementById('reason'),"
	    " m = document.getElementById('reason-error');"
	    " return [t.getAttribute('aria-invalid'), t.getAttribute('aria-describedby'),"
	    " String(t.nextElementSibling === m)].join('|');");
	cr_assert_str_eq(v, "true|reason-error|true");
	free(v);
	cr_assert_lt(eval_num("return Math.round("
	    "document.getElementById('reason-error').getBoundingClientRect().top -"
	    " document.getElementById('reason').getBoundingClientRect().bottom);"), 40,
	    "the error is far below the field");
	/* The form is still there to try again. */
	cr_assert(visible("button[value=approve]"));
	cr_assert(visible("textarea#reason"));
	expect_state(rid, "Pending", "pending");
	audit2 = cell(T_AUDIT_COUNT, rid, NULL, 0, 0);
	cr_assert_str_eq(audit, audit2, "audit log grew");
	free(audit);
	free(audit2);

	/* And a reason makes it go through. */
	cr_assert_eq(wd_send_keys(&wd, el("textarea#reason", e), "No budget left"), WD_OK);
	cr_assert_eq(wd_click(&wd, el("button[value=reject]", e)), WD_OK, "%s", wd.error);
	expect_text(".outcome", "Rejected by cy@example.test");
	expect_state(rid, "Rejected", "rejected");
	free(url);
}

/* Mail scanners and chat unfurlers fetch links: looking must never decide. */
Test(browser, opening_the_link_does_not_decide)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *url, *audit, *audit2, *cur;

	make_source(0, src);
	create(src, "Conference ticket", "dee@example.test", "{}", rid);
	url = link_url(rid, FAR);
	audit = cell(T_AUDIT_COUNT, rid, NULL, 0, 0);
	go("/", "home");
	go(url, "pending");
	expect_text(".status-line .badge", "Pending");
	cr_assert_eq(wd_back(&wd), WD_OK, "%s", wd.error);
	cur = wd_current_url(&wd);
	cr_assert(cur != NULL && strstr(cur, "/decide/") == NULL, "still on %s", cur ? cur : wd.error);
	free(cur);
	expect_text("main h1", "Universal Approval Hub");
	cr_assert_eq(wd_forward(&wd), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_refresh(&wd), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_refresh(&wd), WD_OK, "%s", wd.error);
	wd_shot(&wd, "reloaded");
	expect_text(".status-line .badge", "Pending");
	cr_assert(visible("button[value=approve]"));
	expect_no(".outcome");
	expect_state(rid, "Pending", "pending");
	audit2 = cell(T_AUDIT_COUNT, rid, NULL, 0, 0);
	cr_assert_str_eq(audit, audit2, "audit log grew");
	free(audit);
	free(audit2);
	free(url);
}

Test(browser, expired_and_tampered_links)
{
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *url;
	size_t n;

	make_source(0, src);
	create(src, "Old request", "eli@example.test", "{}", rid);
	url = link_url(rid, time(NULL) - 1);
	go(url, "expired");
	expect_text("h1", "410");
	expect_text("main", "expired");
	expect_text("main", "new one");
	expect_no("form");
	expect_no("button");
	free(url);

	url = link_url(rid, FAR);
	n = strlen(url);
	url[n - 3] = url[n - 3] == 'A' ? 'B' : 'A';
	go(url, "tampered");
	expect_text("h1", "404");
	expect_text("main", "not valid");
	expect_no("form");
	expect_no("button");
	expect_state(rid, "Pending", "pending");
	free(url);
}

Test(browser, injected_markup_is_text_and_never_runs)
{
	static const char title[] =
	    "<script>window.__hubPwned = 1</script><img src=x onerror=\"window.__hubPwned = 2\">";
	char src[HUB_ID_LEN], rid[HUB_ID_LEN], *url, *v;

	make_source(0, src);
	create(src, title, "fox@example.test",
	    "{\"note\": \"<b onmouseover=\\\"window.__hubPwned = 3\\\">bold</b>\"}", rid);
	url = link_url(rid, FAR);
	go(url, "pending");
	expect_text("h1", title);
	v = eval_str("return String(window.__hubPwned);");
	cr_assert_str_eq(v, "undefined", "injected script ran: %s", v);
	free(v);
	v = eval_str("return String(document.querySelectorAll('main script, main img').length);");
	cr_assert_str_eq(v, "0", "injected elements in the DOM");
	free(v);
	v = eval_str("return document.title;");
	cr_assert_not_null(strstr(v, "<script>"), "document title: %s", v);
	free(v);
	free(url);
}

/* ------------------------------------------------------------ other pages */

Test(browser, landing_page_is_styled_and_its_links_answer)
{
	char e[WD_ELEMENT_MAX], *v, *t;
	json_object *o, *s;

	go("/", "home");
	expect_text("h1", "Approval Hub");
	/* The stylesheet loaded and applies. */
	cr_assert_eq(eval_num("return document.styleSheets.length;"), 1);
	v = eval_str("return document.styleSheets[0].href;");
	cr_assert(strlen(v) > 15 && strcmp(v + strlen(v) - 15, "/static/hub.css") == 0, "%s", v);
	free(v);
	cr_assert_gt(eval_num("return document.styleSheets[0].cssRules.length;"), 10,
	    "the stylesheet is empty");
	t = wd_css(&wd, el("header.site", e), "background-color");
	cr_assert_not_null(t, "%s", wd.error);
	/* #f8f8f8, however this Chromium spells it; the default is transparent. */
	cr_assert(strstr(t, "(248, 248, 248") != NULL, "header background: %s", t);
	free(t);
	t = wd_css(&wd, el("header.site", e), "display");
	cr_assert_str_eq(t, "flex");
	free(t);
	t = wd_css(&wd, el("body", e), "margin-top");
	cr_assert_str_eq(t, "0px", "body margin: %s", t);
	free(t);
	/* Links in the page read as the hub's, not the browser's default blue. */
	t = wd_css(&wd, el("main a[href='/health']", e), "color");
	cr_assert(t != NULL && strstr(t, "(18, 100, 163") != NULL, "link colour: %s", t);
	free(t);
	fits_width();

	/* API documentation: a heading per endpoint group. */
	cr_assert_eq(wd_click(&wd, el("main a[href='/api-docs']", e)), WD_OK, "%s", wd.error);
	el("article.api-docs h2", e);
	wd_shot(&wd, "api-docs");
	v = eval_str("return document.querySelectorAll('article.api-docs nav li').length + '|' +"
	    " document.querySelectorAll('article.api-docs h2').length;");
	cr_assert(strcmp(v, "0|0") != 0 && v[0] != '0', "groups: %s", v);
	{
		char *bar = strchr(v, '|');

		cr_assert_not_null(bar);
		*bar = '\0';
		cr_assert_str_eq(v, bar + 1, "nav entries vs headings");
	}
	free(v);

	/* Health: JSON that says healthy. */
	cr_assert_eq(wd_back(&wd), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("main a[href='/health']", e)), WD_OK, "%s", wd.error);
	el("body pre", e);
	wd_shot(&wd, "health");
	t = text("body");
	cr_assert_not_null(o = json_tokener_parse(t), "health is not JSON: %s", t);
	cr_assert(json_object_object_get_ex(o, "status", &s));
	cr_assert_str_eq(json_object_get_string(s), "healthy");
	json_object_put(o);
	free(t);

	/* Add to Slack answers with a page of the hub (not a browser error). */
	cr_assert_eq(wd_back(&wd), WD_OK, "%s", wd.error);
	el("main a[href='/slack/install']", e);
	v = eval_str("return document.querySelector(\"main a[href='/slack/install']\").href;");
	{
		struct th_resp r;

		cr_assert_eq(th_http("GET", v, NULL, NULL, 0, &r), 0);
		cr_assert(r.status < 500, "%s: %ld", v, r.status);
		th_resp_free(&r);
	}
	free(v);
}

Test(browser, api_docs_list_new_approval_and_its_fields)
{
	static const char *const fields[] = {
		"request_source", "requester_name", "approver_id", "justification_text",
		"metadata", "approvers", "callback_url", "deadline",
	};
	char *t, *v;
	size_t i;

	go("/api-docs", "api-docs");
	t = wd_title(&wd);
	cr_assert(t != NULL && strstr(t, "API reference") != NULL, "title: %s", t ? t : wd.error);
	free(t);
	expect_text("article.api-docs h1", "Approval Hub");
	v = eval_str("var hs = document.querySelectorAll('section.endpoint h3');"
	    " for (var i = 0; i < hs.length; i++)"
	    "  if (hs[i].textContent.trim() === 'POST /api/new-approval') {"
	    "   hs[i].parentNode.id = 'under-test'; hs[i].scrollIntoView(); return 'found'; }"
	    " return 'missing';");
	cr_assert_str_eq(v, "found", "no POST /api/new-approval heading");
	free(v);
	wd_shot(&wd, "new-approval");
	cr_assert(visible("#under-test"));
	t = text("#under-test");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		cr_assert_not_null(strstr(t, fields[i]), "field %s not listed: %s", fields[i], t);
	cr_assert_not_null(strstr(t, "201"), "no 201 response: %s", t);
	free(t);
	fits_width();
	expect_text("main", "GET /api/requests");
	expect_text("main", "GET /health");
}

/* ------------------------------------------------------------ admin settings */

/* The value of a setting as the database holds it ("" when unset). */
static char *
stored_setting(const char *key)
{
	static const struct hub_stmt st[1] = {
		{ "SELECT coalesce((SELECT value #>> '{}' FROM settings WHERE key = $1), '')", 1 },
	};
	static const struct hub_stmt_table t = { "tbrowser_set", st, 1 };
	const char *p[1] = { key };
	PGresult *r = NULL;
	char *s;

	cr_assert_eq(hub_db_exec(db, &t, 0, p, &r), HUB_DB_OK, "%s", hub_db_last_error(db));
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

Test(browser, admin_changes_a_setting_and_sees_it_audited)
{
#define SETTING "section[id='delivery.user_not_found']"
	char e[WD_ELEMENT_MAX], email[128], *v;

	th_user_add("admin", "browser pass 123", email, sizeof(email));
	go("/admin/settings", "needs-session");
	cr_assert_eq(wd_send_keys(&wd, el("input#email", e), email), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, el("input#password", e), "browser pass 123"), WD_OK,
	    "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("form[action='/login'] button[type=submit]", e)), WD_OK,
	    "%s", wd.error);
	expect_text("main h1", "Settings");
	expect_text(".admin-nav [aria-current=page]", "Settings");
	expect_text(SETTING, "what to do when an approver's email has no Slack account");
	expect_text(SETTING " .current", "EMAIL");
	fits_width();
	wd_shot(&wd, "settings");
	/* Choose SKIP and save: the page says so and the hub holds it. */
	cr_assert_eq(wd_click(&wd, el(SETTING " option[value=SKIP]", e)), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el(SETTING " button.primary", e)), WD_OK, "%s", wd.error);
	expect_text(SETTING " .notice-ok", "Saved.");
	expect_text(SETTING " .current", "SKIP");
	wd_shot(&wd, "saved");
	/* The page from its top (README's screenshot, docs/screenshots). */
	go("/admin/settings?saved=delivery.user_not_found", "settings-saved");
	expect_text(SETTING " .notice-ok", "Saved.");
	v = stored_setting("delivery.user_not_found");
	cr_assert_str_eq(v, "SKIP");
	free(v);
	/* A value out of range is refused next to its field, nothing saved. */
	/* (the browser's own min check is lifted: the hub's is the one shown) */
	(void)eval_str("document.querySelector(\"section[id='slack.workspace_cap_per_minute']"
	    " input[name=value]\").value = '0';"
	    " document.querySelector(\"section[id='slack.workspace_cap_per_minute']"
	    " input[name=value]\").removeAttribute('min'); return 'ok';");
	cr_assert_eq(wd_click(&wd, el("section[id='slack.workspace_cap_per_minute'] button.primary",
	    e)), WD_OK, "%s", wd.error);
	expect_text("section[id='slack.workspace_cap_per_minute'] .field-error",
	    "must be a whole number from 1 to 100000");
	wd_shot(&wd, "refused");
	v = stored_setting("slack.workspace_cap_per_minute");
	cr_assert_str_eq(v, "");
	free(v);
	v = eval_str("return document.querySelector(\"section[id='slack.workspace_cap_per_minute']"
	    " input[name=value]\").value;");
	cr_assert_str_eq(v, "0", "the typed value is kept");
	free(v);
	/* The audit log shows who changed what. */
	go("/admin/audit?action=setting.changed", "audit");
	expect_text("table.audit tbody tr:first-child", email);
	expect_text("table.audit tbody tr:first-child", "delivery.user_not_found");
	expect_text("table.audit tbody tr:first-child", "SKIP");
	/* Back to the default. */
	go("/admin/settings", "again");
	cr_assert_eq(wd_click(&wd, el(SETTING " button[name=reset]", e)), WD_OK, "%s", wd.error);
	expect_text(SETTING " .current", "EMAIL");
	v = stored_setting("delivery.user_not_found");
	cr_assert_str_eq(v, "");
	free(v);
#undef SETTING
}

/* ------------------------------------------------------------ signing in */

Test(browser, signs_in_through_the_form_and_back_to_the_page_asked_for)
{
	char e[WD_ELEMENT_MAX], email[128], *v;

	th_user_add("admin", "browser pass 123", email, sizeof(email));
	cr_assert_eq(wd_window_size(&wd, 390, 844), WD_OK, "%s", wd.error);   /* a phone */
	/* A page that needs a session sends the browser to the sign-in form. */
	go("/account/password", "needs-session");
	el("form[action='/login'] input#email", e);
	v = wd_current_url(&wd);
	cr_assert_not_null(strstr(v, "/login?next=%2Faccount%2Fpassword"), "%s", v);
	free(v);
	fits_width();
	/* A wrong password: the form comes back with the email kept. */
	cr_assert_eq(wd_send_keys(&wd, el("input#email", e), email), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, el("input#password", e), "not it"), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("form[action='/login'] button[type=submit]", e)), WD_OK,
	    "%s", wd.error);
	expect_text(".login .notice", "The email or password is not right.");
	wd_shot(&wd, "wrong-password");
	v = wd_attribute(&wd, el("input#email", e), "value");
	cr_assert_str_eq(v, email);
	free(v);
	/* The right one: back to the page asked for, signed in. */
	cr_assert_eq(wd_send_keys(&wd, el("input#password", e), "browser pass 123"), WD_OK,
	    "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("form[action='/login'] button[type=submit]", e)), WD_OK,
	    "%s", wd.error);
	el("form[action='/account/password'] input#current", e);
	wd_shot(&wd, "signed-in");
	v = wd_current_url(&wd);
	cr_assert(strlen(v) > 17 && strcmp(v + strlen(v) - 17, "/account/password") == 0, "%s", v);
	free(v);
	expect_text("header.site .user", "Test admin");
	expect_text(".account .facts", email);
	fits_width();
	/* Scripts never see the session cookie. */
	v = eval_str("return document.cookie;");
	cr_assert_null(strstr(v, "hub_session"), "%s", v);
	free(v);
	/* Signing out is the header's button (a POST with the page's token). */
	cr_assert_eq(wd_click(&wd, el("header.site form[action='/logout'] button", e)), WD_OK,
	    "%s", wd.error);
	expect_text(".login", "You are signed out.");
	wd_shot(&wd, "signed-out");
	go("/account/password", "after-sign-out");
	el("form[action='/login'] input#email", e);
}

/* ------------------------------------------------------------ admin: Slack connections */

/* The browser's current URL (caller frees). */
static char *
here(void)
{
	char *u = wd_current_url(&wd);

	cr_assert_not_null(u, "%s", wd.error);
	return u;
}

/* Type text into the field css. */
static void
type_in(const char *css, const char *text)
{
	char e[WD_ELEMENT_MAX];

	cr_assert_eq(wd_send_keys(&wd, el(css, e), text), WD_OK, "%s: %s", css, wd.error);
}

static void
click(const char *css)
{
	char e[WD_ELEMENT_MAX];

	cr_assert_eq(wd_click(&wd, el(css, e)), WD_OK, "%s: %s", css, wd.error);
}

Test(browser, admin_adds_a_webhook_tests_it_and_clears_the_banner)
{
	char email[128], name[64], hook[512], id[64], css[256], e[WD_ELEMENT_MAX], *u, *p;
	json_object *o, *path;

	th_user_add("admin", "browser pass 123", email, sizeof(email));
	snprintf(name, sizeof(name), "Ops alerts %s", tag);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/webhooks",
	    "{\"channel\":\"CBROWSER1\"}"));
	cr_assert(json_object_object_get_ex(o, "path", &path));
	snprintf(hook, sizeof(hook), "%s%s", th_env("FAKE_SLACK_URL"), json_object_get_string(path));
	json_object_put(o);

	/* Signed in on the way to the page. */
	go("/admin/connections", "sign-in");
	type_in("input#email", email);
	type_in("input#password", "browser pass 123");
	click("form[action='/login'] button[type=submit]");
	expect_text("h1", "Slack connections");
	wd_shot(&wd, "connections");

	/* Add an incoming webhook. */
	type_in("input#wh-name", name);
	type_in("input#wh-url", hook);
	click("section.add-webhook button[type=submit]");
	expect_text(".notice-ok", "was added");
	expect_text(".notice-ok", name);
	u = here();
	cr_assert_not_null(p = strstr(u, "&c="), "%s", u);
	snprintf(id, sizeof(id), "%.36s", p + 3);
	free(u);
	snprintf(css, sizeof(css), "tr#conn-%s", id);
	expect_text(css, name);
	expect_text(css, "Incoming webhook");
	expect_text(css, "Enabled");
	wd_shot(&wd, "added");
	fits_width();

	/* A test message: the page waits for the worker, then shows Slack's answer. */
	snprintf(css, sizeof(css), "form[action='/admin/connections/%s/test'] button", id);
	click(css);
	cr_assert_eq(wd_wait(&wd, ".test-result", 20000, e), WD_OK, "no answer: %s", wd.error);
	expect_text(".test-result", "Slack answered: ok.");
	wd_shot(&wd, "test-answered");

	/* Disabled: the banner is on every page, with a link to the fix. */
	click(".conn-test a[href^='/admin/connections']");
	snprintf(css, sizeof(css), "form[action='/admin/connections/%s/disable'] button", id);
	click(css);
	expect_text(".notice-ok", "is disabled");
	expect_text(".conn-banner", name);
	wd_shot(&wd, "banner");
	go("/admin/connections", "banner-list");
	expect_text(".conn-banner", name);
	go("/requests", "banner-home");
	expect_text(".conn-banner", name);
	expect_text(".conn-banner", "is disabled");
	snprintf(css, sizeof(css), ".conn-banner a[href='/admin/connections#conn-%s']", id);
	cr_assert(visible(css), "no link to the fix");

	/* Acknowledged from the banner: back on the same page, banner gone. */
	snprintf(css, sizeof(css), ".conn-banner form[action='/admin/connections/%s/acknowledge']"
	    " button", id);
	click(css);
	/* the list it came from, again: the old one is there until the
	 * banner goes */
	expect_gone(".conn-banner");
	el("section.requests", e);
	u = here();
	cr_assert(strlen(u) > 9 && strcmp(u + strlen(u) - 9, "/requests") == 0, "%s", u);
	free(u);
	wd_shot(&wd, "acknowledged");

	/* Disabled again: it is back; fixed (enabled): gone. */
	go("/admin/connections", "list-again");
	snprintf(css, sizeof(css), "form[action='/admin/connections/%s/enable'] button", id);
	click(css);
	snprintf(css, sizeof(css), "form[action='/admin/connections/%s/disable'] button", id);
	click(css);
	expect_text(".conn-banner", name);
	snprintf(css, sizeof(css), "form[action='/admin/connections/%s/enable'] button", id);
	click(css);
	expect_text(".notice-ok", "is enabled again");
	expect_no(".conn-banner");
	wd_shot(&wd, "fixed");
}

/* ------------------------------------------------------------ the request form */

/* The value of a form field as the browser holds it (caller frees). */
static char *
value_of(const char *css)
{
	char e[WD_ELEMENT_MAX], script[512];

	el(css, e);
	snprintf(script, sizeof(script), "return document.querySelector(\"%s\").value;", css);
	return eval_str(script);
}

/*
 * A person signs in through the form, chooses a type (its own fields
 * appear, the others' go), fills the form with a mistake, reads the
 * message next to the field, corrects it and sends the request; the
 * database then holds exactly that request.
 */
Test(browser, request_form_mistake_shown_inline_corrected_and_sent, .timeout = 90)
{
	char e[WD_ELEMENT_MAX], email[128], *v, *id;
	int i;

	th_user_add("requester", "browser form pass", email, sizeof(email));
	cr_assert_eq(wd_window_size(&wd, 1000, 1400), WD_OK, "%s", wd.error);
	/* The menu's "New request" needs signing in first. */
	go("/requests/new", "form-sign-in");
	type_in("form[action='/login'] input#email", email);
	type_in("input#password", "browser form pass");
	click("form[action='/login'] button[type=submit]");
	el("form[action='/requests/new'] textarea#approvers", e);
	wd_shot(&wd, "form");
	expect_text("header.site nav", "New request");

	/* A type's own fields show once it is chosen, and no other's. */
	cr_assert(!visible("#concur-amount"), "expense fields before choosing the type");
	click("#type option[value=concur]");
	cr_assert(visible("#concur-amount"), "the expense fields did not appear");
	cr_assert(!visible("#workday-date_range-start"), "time-off fields show for an expense");
	type_in("#title", "Team offsite dinner");
	type_in("#concur-amount", "245.80");
	type_in("#concur-currency", "USD");
	type_in("#concur-category", "Meals");
	type_in("#justification", "Quarterly offsite with the support team.");
	/* The mistake: a name, where an email or a Slack id belongs. */
	type_in("#approvers", "Finance Team");
	click("form[action='/requests/new'] button[type=submit]");

	/* Back with the message next to the field, everything typed kept. */
	expect_text("#approvers-error", "\u201cFinance\u201d: must be a Slack user id");
	expect_text(".reqform .notice", "One field needs your attention");
	cr_assert_eq(wd_window_size(&wd, 1000, 2300), WD_OK, "%s", wd.error);	/* all of it */
	wd_shot(&wd, "inline-error");
	v = value_of("#approvers");
	cr_assert_str_eq(v, "Finance Team");
	free(v);
	v = value_of("#concur-amount");
	cr_assert_str_eq(v, "245.80");
	free(v);
	cr_assert(visible("#concur-amount"), "the chosen type's fields went away");
	v = cell(T_FORM_COUNT, email, NULL, 0, 0);
	cr_assert_str_eq(v, "0", "a refused form wrote a request");
	free(v);
	/* On a phone it still fits. */
	cr_assert_eq(wd_window_size(&wd, 390, 844), WD_OK, "%s", wd.error);
	fits_width();
	wd_shot(&wd, "form-phone");
	cr_assert_eq(wd_window_size(&wd, 1000, 1400), WD_OK, "%s", wd.error);

	/* Corrected (selected and typed over), it is sent: the browser goes
	 * to the request's page. */
	type_in("#approvers", "\xee\x80\x89" "a" "\xee\x80\x80" "finance@example.test");
	click("form[action='/requests/new'] button[type=submit]");
	for (i = 0, v = NULL; i < 80; i++) {
		free(v);
		v = wd_current_url(&wd);
		if (v != NULL && strstr(v, "/requests/new") == NULL)
			break;
		usleep(100 * 1000);
	}
	wd_shot(&wd, "sent");
	cr_assert(v != NULL && (id = strstr(v, "/requests/")) != NULL, "%s", v ? v : "?");
	id += strlen("/requests/");
	cr_assert_eq(strlen(id), 36, "not a request id: %s", v);
	{
		char *got = cell(T_FORM_REQ, id, NULL, 0, 0);

		cr_assert_str_eq(got, "Team offsite dinner|245.80|finance@example.test|1");
		free(got);
	}
	free(v);
}
