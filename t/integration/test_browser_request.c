/*
 * test_browser_request.c - a request's own page in a real browser
 * (headless Chromium through chromedriver, webdriver.h), against the stack
 * env.sh runs with its worker and fake Slack: an approver signs in, opens
 * the request, sees the Slack message's preview (Block Kit as HTML, its
 * buttons shown but disabled), types a reason and approves; the page then
 * shows the outcome, and the Slack copy is updated.
 *
 * Screenshots go to $HUB_STATE/screens/<test>-<n>-<what>.png as in
 * test_browser.c; README's docs/screenshots/request-page.png is one of
 * them ("pending").
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "testlib.h"
#include "webdriver.h"

#define CHROMEDRIVER "/usr/bin/chromedriver"
#define CHROMIUM     "/usr/bin/chromium"
#define WAIT_MS      8000
#define PW           "correct horse battery"
#define TOKEN        "xoxb-browser-request-token"

static struct wd wd;

static const char *
el(const char *css, char buf[WD_ELEMENT_MAX])
{
	cr_assert_eq(wd_wait(&wd, css, WAIT_MS, buf), WD_OK, "no '%s': %s", css, wd.error);
	return buf;
}

static void
expect_text(const char *css, const char *want)
{
	char e[WD_ELEMENT_MAX], *t = wd_text(&wd, el(css, e));

	cr_assert(t != NULL && strstr(t, want) != NULL, "'%s' not in %s: \"%s\"", want, css,
	    t ? t : wd.error);
	free(t);
}

static void
go(const char *path)
{
	char url[2048];

	snprintf(url, sizeof(url), "%s%s", th_env("HUB_URL"), path);
	cr_assert_eq(wd_navigate(&wd, url), WD_OK, "navigate %s: %s", url, wd.error);
}

static void
setup(void)
{
	char log[1024];

	snprintf(log, sizeof(log), "%s/log/chromedriver-%s.log", th_env("HUB_STATE"),
	    criterion_current_test->name);
	cr_assert_eq(wd_start(&wd, CHROMEDRIVER, CHROMIUM, log), WD_OK, "browser: %s", wd.error);
}

static void
teardown(void)
{
	wd_shot(&wd, NULL);
	wd_stop(&wd);
}

TestSuite(browser_request, .init = setup, .fini = teardown, .timeout = 90);

/* A request for approver (an email the fake Slack knows as uid), sent
 * through the API with an admin key: its id. */
static void
request_for(const char *approver, const char *uid, char *id, size_t idlen)
{
	char key[256], body[2048];
	struct th_resp r;
	json_object *o, *v;

	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", "[{\"token\": \""
	    TOKEN "\", \"team_id\": \"TBRQ\", \"team_name\": \"Acme\","
	    " \"bot_user_id\": \"UBOTBRQ\"}]"));
	snprintf(body, sizeof(body), "[{\"id\": \"%s\", \"email\": \"%s\", \"name\": \"ann\"}]",
	    uid, approver);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));
	th_sh("printf '%%s\\n' '" TOKEN "' | \"%s/bin/approvalhub\" connection add acme"
	    " --type SLACK_APP --token-stdin --default >/dev/null 2>&1", th_env("top_builddir"));
	th_sh("\"%s/bin/approvalhub\" source add Concur >/dev/null 2>&1",
	    th_env("top_builddir"));
	th_admin_key(key, sizeof(key));
	snprintf(body, sizeof(body), "{\"request_source\": \"Concur\", \"requester_name\":"
	    " \"Rita Requester\", \"requester_email\": \"rita@example.test\","
	    " \"title\": \"New laptop for the field team\", \"approvers\": [\"%s\"],"
	    " \"justification_text\": \"Old laptop broke.\\nNeeds a new one before the audit.\","
	    " \"metadata\": {\"amount\": 1234.5, \"currency\": \"EUR\", \"category\": \"Hardware\","
	    " \"receipt_url\": \"https://receipts.example.test/r/881\"}}", approver);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	o = th_json(&r);
	cr_assert(o != NULL && json_object_object_get_ex(o, "id", &v));
	snprintf(id, idlen, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

Test(browser_request, approver_sees_the_preview_and_approves_with_a_reason)
{
	char email[128], uid[32], id[64], path[128], e[WD_ELEMENT_MAX], v[256];
	unsigned char rnd[4];
	int i;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(uid, sizeof(uid), "UBR%02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3]);
	th_user_add("requester", PW, email, sizeof(email));
	request_for(email, uid, id, sizeof(id));
	th_sql_await("SELECT count(*) > 0 FROM sent_messages WHERE request_id = $1::uuid", id,
	    "t");

	/* Signing in on the way to the page brings the approver back to it. */
	snprintf(path, sizeof(path), "/requests/%s", id);
	go(path);
	cr_assert_eq(wd_send_keys(&wd, el("input#email", e), email), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, el("input#password", e), PW), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("form button[type=submit].primary", e)), WD_OK, "%s",
	    wd.error);
	expect_text(".request-page h1", "New laptop for the field team");
	cr_assert_eq(wd_window_size(&wd, 1280, 2100), WD_OK, "%s", wd.error);
	expect_text(".status-line .badge", "Pending");
	expect_text(".facts", "1,234.50 EUR");
	expect_text(".req-step", "(you)");
	/* The Slack message's preview: its header, fields and disabled buttons. */
	expect_text(".slack-message .bk-preview .bk-header", "New laptop for the field team");
	expect_text(".slack-message .meta", "acme");
	expect_text(".slack-message .meta", "delivered");
	{
		json_object *d = wd_exec(&wd, "var b = document.querySelector("
		    "'.bk-preview .bk-button.bk-primary'); return b.disabled && b.textContent;",
		    NULL, &i);

		cr_assert_eq(i, WD_OK, "%s", wd.error);
		cr_assert_str_eq(json_object_get_string(d), "Approve");
		json_object_put(d);
	}
	expect_text(".timeline", "Request created");
	wd_shot(&wd, "pending");

	cr_assert_eq(wd_send_keys(&wd, el("textarea#reason", e), "Fine, within the budget"),
	    WD_OK, "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("button[value=approve]", e)), WD_OK, "%s", wd.error);
	expect_text(".notice-ok", "Your approval is recorded");
	expect_text(".status-line .badge", "Approved");
	expect_text(".outcome blockquote", "Fine, within the budget");
	cr_assert_eq(wd_count(&wd, "button[value=approve]"), 0, "the form is still there");
	wd_shot(&wd, "approved");
	th_sql_value("SELECT status || '|' || decision_comment FROM requests WHERE id = $1::uuid", id, v,
	    sizeof(v));
	cr_assert_str_eq(v, "Approved|Fine, within the budget");
	/* The worker updates the Slack copy: the page then shows it without buttons. */
	th_sql_await("SELECT count(*) > 0 FROM sent_messages WHERE request_id = $1::uuid"
	    " AND shown IS NOT NULL", id, "t");
	cr_assert_eq(wd_refresh(&wd), WD_OK, "%s", wd.error);
	expect_text(".slack-message .meta", "as last updated");
	cr_assert_eq(wd_count(&wd, ".bk-preview .bk-button.bk-primary"), 0);
	wd_shot(&wd, "synced");
}
