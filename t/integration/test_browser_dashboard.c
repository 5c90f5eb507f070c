/*
 * test_browser_dashboard.c - the status dashboard in a real browser
 * (headless Chromium through chromedriver, webdriver.h), in the style of
 * test_browser.c: a person signs in through the form, watches /requests,
 * and a request created through the API meanwhile shows up in the list
 * and the counters without the page being reloaded (the page's own
 * script, templates/static/dashboard.js, under the hub's CSP).
 *
 * Every page is saved as $HUB_STATE/screens/<test>-<n>-<what>.png and the
 * last state as <test>.png (docs/screenshots/dashboard.png is one).
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

#include "base/crypto.h"
#include "testlib.h"
#include "webdriver.h"

#define CHROMEDRIVER	"/usr/bin/chromedriver"
#define CHROMIUM	"/usr/bin/chromium"
#define WAIT_MS		8000	/* for a page to show what a click led to */
#define LIVE_WAIT_MS	30000	/* several of the script's polls (5 s apart) */
#define PW		"browser dash 123"

static struct wd wd;

static const char *
el(const char *css, char buf[WD_ELEMENT_MAX])
{
	cr_assert_eq(wd_wait(&wd, css, WAIT_MS, buf), WD_OK, "no '%s': %s", css, wd.error);
	return buf;
}

/* A script's value as a string (caller frees). */
static char *
eval_str(const char *script, const char *args)
{
	json_object *v;
	char *s;
	int rc;

	v = wd_exec(&wd, script, args, &rc);
	cr_assert_eq(rc, WD_OK, "script %s: %s", script, wd.error);
	s = strdup(v == NULL ? "null" : json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : json_object_to_json_string(v));
	json_object_put(v);
	return s;
}

/* The text of the dashboard's counter for status ("all", "Pending"...). */
static char *
counter(const char *status)
{
	char args[128];

	snprintf(args, sizeof(args), "[\"%s\"]", status);
	return eval_str("var e = document.querySelector('.counters .n[data-status=\"' +"
	    " arguments[0] + '\"]'); return e ? e.textContent : 'none';", args);
}

/* Wait until a row of the list reads title; 1 when it does. */
static int
row_appears(const char *title, int timeout_ms)
{
	json_object *a = json_object_new_array();
	char *v;
	int waited, found = 0;

	json_object_array_add(a, json_object_new_string(title));
	for (waited = 0; waited <= timeout_ms && !found; waited += 250) {
		v = eval_str("var rows = document.querySelectorAll('#live tbody tr');"
		    " for (var i = 0; i < rows.length; i++)"
		    "  if (rows[i].textContent.indexOf(arguments[0]) >= 0) return 'yes';"
		    " return 'no';", json_object_to_json_string(a));
		found = strcmp(v, "yes") == 0;
		free(v);
		if (!found)
			usleep(250 * 1000);
	}
	json_object_put(a);
	return found;
}

static void
create(const char *key, const char *source, const char *title, const char *who,
    const char *email, char *id)
{
	char body[1024];
	struct th_resp r;
	json_object *o, *v;

	snprintf(body, sizeof(body), "{\"request_source\": \"%s\", \"title\": \"%s\","
	    " \"requester_name\": \"%s\", \"requester_email\": \"%s\","
	    " \"approver_id\": \"U0BROWSE1\", \"justification_text\": \"For the dashboard\","
	    " \"metadata\": {\"amount\": 120, \"currency\": \"EUR\"}}", source, title, who, email);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	if (id != NULL && json_object_object_get_ex(o, "id", &v))
		snprintf(id, 64, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
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

TestSuite(browser_dashboard, .init = setup, .fini = teardown, .timeout = 120);

Test(browser_dashboard, a_new_request_appears_without_a_reload)
{
	char src[64], key[256], email[128], e[WD_ELEMENT_MAX], url[1024], id[64], *v;
	unsigned char rnd[4];
	struct th_resp r;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(src, sizeof(src), "Expenses-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	th_source_key(src, key, sizeof(key));
	create(key, src, "Team offsite in Lisbon", "Ana Lopez", "ana@example.test", NULL);
	create(key, src, "Conference tickets", "Bruno Silva", "bruno@example.test", NULL);
	create(key, src, "New laptop for the field team", "Chen Wei", "chen@example.test", id);
	{
		char p[128];

		snprintf(p, sizeof(p), "/api/requests/%s/cancel", id);
		th_api("POST", p, key, NULL, "{}", &r);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		th_resp_free(&r);
	}
	create(key, src, "<script>window.__hubPwned = 1</script> Client dinner", "Dana Cohen",
	    "dana@example.test", NULL);
	th_user_add("viewer", PW, email, sizeof(email));

	/* Sign in through the form; it comes back to the filtered dashboard. */
	cr_assert_eq(wd_window_size(&wd, 1280, 900), WD_OK, "%s", wd.error);
	snprintf(url, sizeof(url), "%s/requests?source=%s", th_env("HUB_URL"), src);
	cr_assert_eq(wd_navigate(&wd, url), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, el("input#email", e), email), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, el("input#password", e), PW), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_click(&wd, el("form[action='/login'] button[type=submit]", e)), WD_OK,
	    "%s", wd.error);
	el("#live table.request-list", e);
	wd_shot(&wd, "dashboard");
	v = wd_current_url(&wd);
	cr_assert_str_eq(v, url);
	free(v);
	cr_assert(row_appears("Team offsite in Lisbon", 0));
	v = counter("all");
	cr_assert_str_eq(v, "4");
	free(v);
	v = counter("Cancelled");
	cr_assert_str_eq(v, "1");
	free(v);
	v = eval_str("return String(window.__hubPwned);", NULL);
	cr_assert_str_eq(v, "undefined", "a title ran as script");
	free(v);

	/* Mark this very page: a reload would lose the mark. */
	v = eval_str("window.__sameDocument = 'kept'; return 'set';", NULL);
	free(v);
	create(key, src, "Arrived while you were watching", "Eve Martin", "eve@example.test",
	    NULL);
	cr_assert(row_appears("Arrived while you were watching", LIVE_WAIT_MS),
	    "the new request never showed up");
	wd_shot(&wd, "updated");
	v = eval_str("return String(window.__sameDocument);", NULL);
	cr_assert_str_eq(v, "kept", "the page was reloaded");
	free(v);
	v = counter("all");
	cr_assert_str_eq(v, "5");
	free(v);
	v = counter("Pending");
	cr_assert_str_eq(v, "4");
	free(v);
	/* Newest first: the new one is the first row. */
	v = eval_str("return document.querySelector('#live tbody tr td.title a').textContent;",
	    NULL);
	cr_assert_str_eq(v, "Arrived while you were watching");
	free(v);
	v = eval_str("return document.getElementById('live-note').textContent;", NULL);
	cr_assert_not_null(strstr(v, "Updated at"), "%s", v);
	free(v);
	/* Its row links to the request's own page. */
	v = eval_str("return document.querySelector('#live tbody tr td.title a')"
	    ".getAttribute('href');", NULL);
	cr_assert(strncmp(v, "/requests/", 10) == 0 && strlen(v) == 46, "%s", v);
	free(v);

	/* A plain reload shows the same, without the script's help. */
	cr_assert_eq(wd_refresh(&wd), WD_OK, "%s", wd.error);
	cr_assert(row_appears("Arrived while you were watching", 0));
	v = counter("all");
	cr_assert_str_eq(v, "5");
	free(v);
	wd_shot(&wd, "reloaded");
}
