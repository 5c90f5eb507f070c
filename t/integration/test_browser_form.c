/*
 * test_browser_form.c - the request form (/requests/new) in a real
 * browser, as test_browser.c drives the other pages: headless Chromium
 * through chromedriver (webdriver.h), against the stack env.sh runs.  A
 * person signs in through the form, chooses a type (its own fields
 * appear, the others' go), fills the form with a mistake, reads the
 * message next to the field, corrects it and sends the request; the
 * database then holds exactly that request.
 *
 * Every step is saved as $HUB_STATE/screens/<test>-<n>-<what>.png (kept
 * with HUB_KEEP_STATE=1); docs/screenshots/request-form.png is the
 * "inline-error" one.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "testlib.h"
#include "webdriver.h"

#define CHROMEDRIVER "/usr/bin/chromedriver"
#define CHROMIUM     "/usr/bin/chromium"
#define WAIT_MS      8000
#define PW           "browser form pass"

static struct wd wd;
static int shots;

/* ------------------------------------------------------------ helpers */

static void
shot(const char *what)
{
	char path[1024];
	const char *state = getenv("HUB_STATE");

	if (state == NULL || *state == '\0' || wd.session[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/screens", state);
	mkdir(path, 0755);
	if (what != NULL)
		snprintf(path, sizeof(path), "%s/screens/%s-%d-%s.png", state,
		    criterion_current_test->name, ++shots, what);
	else
		snprintf(path, sizeof(path), "%s/screens/%s.png", state,
		    criterion_current_test->name);
	if (wd_screenshot(&wd, path) != WD_OK)
		cr_log_info("screenshot %s: %s", path, wd.error);
}

static void
go(const char *path, const char *what)
{
	char full[4096];

	snprintf(full, sizeof(full), "%s%s", th_env("HUB_URL"), path);
	cr_assert_eq(wd_navigate(&wd, full), WD_OK, "navigate %s: %s", full, wd.error);
	shot(what);
}

static const char *
el(const char *css, char buf[WD_ELEMENT_MAX])
{
	cr_assert_eq(wd_wait(&wd, css, WAIT_MS, buf), WD_OK, "no '%s' on the page: %s", css,
	    wd.error);
	return buf;
}

static void
type_into(const char *css, const char *text)
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

static void
expect_text(const char *css, const char *want)
{
	char e[WD_ELEMENT_MAX], *t;

	t = wd_text(&wd, el(css, e));
	cr_assert_not_null(t, "%s: %s", css, wd.error);
	cr_assert_not_null(strstr(t, want), "'%s' not in %s: \"%s\"", want, css, t);
	free(t);
}

/* Whether the element is laid out and not hidden. */
static int
visible(const char *css)
{
	json_object *a = json_object_new_array(), *v;
	int rc, yes;

	json_object_array_add(a, json_object_new_string(css));
	v = wd_exec(&wd, "var e = document.querySelector(arguments[0]);"
	    " if (!e) return false; var r = e.getBoundingClientRect();"
	    " return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';",
	    json_object_to_json_string(a), &rc);
	json_object_put(a);
	cr_assert_eq(rc, WD_OK, "script: %s", wd.error);
	yes = json_object_get_boolean(v);
	json_object_put(v);
	return yes;
}

static char *
value_of(const char *css)
{
	char e[WD_ELEMENT_MAX];
	json_object *a = json_object_new_array(), *v;
	char *s;
	int rc;

	el(css, e);
	json_object_array_add(a, json_object_new_string(css));
	v = wd_exec(&wd, "return document.querySelector(arguments[0]).value;",
	    json_object_to_json_string(a), &rc);
	json_object_put(a);
	cr_assert_eq(rc, WD_OK, "script: %s", wd.error);
	s = strdup(json_object_get_string(v));
	json_object_put(v);
	return s;
}

/* Empty a text field as a person selecting its text and typing over it. */
static void
clear(const char *css)
{
	type_into(css, "\xee\x80\x89" "a" "\xee\x80\x80" "\xee\x80\x83");	/* Ctrl+A, Delete */
}

static void
fits_width(void)
{
	json_object *v;
	int rc, fits;

	v = wd_exec(&wd, "return document.documentElement.scrollWidth <="
	    " document.documentElement.clientWidth;", NULL, &rc);
	cr_assert_eq(rc, WD_OK, "%s", wd.error);
	fits = json_object_get_boolean(v);
	json_object_put(v);
	cr_assert(fits, "the page needs horizontal scrolling");
}

/* One value of a one-row query on the stack's database. */
static char *
q1(const char *sql, const char *p1)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));
	const char *params[1] = { p1 };
	PGresult *r;
	char *s;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	s = strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return s;
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
	shot(NULL);
	wd_stop(&wd);
}

TestSuite(browser_form, .init = setup, .fini = teardown, .timeout = 90);

/* ------------------------------------------------------------ the form */

Test(browser_form, sign_in_fill_with_a_mistake_correct_it_and_send)
{
	char email[128], e[WD_ELEMENT_MAX], *v, *url;
	int i;

	th_user_add("requester", PW, email, sizeof(email));
	cr_assert_eq(wd_window_size(&wd, 1100, 1500), WD_OK, "%s", wd.error);

	/* The menu's "New request" needs signing in first. */
	go("/requests/new", "sign-in");
	type_into("form[action='/login'] input#email", email);
	type_into("input#password", PW);
	click("form[action='/login'] button[type=submit]");
	el("form[action='/requests/new'] textarea#approvers", e);
	shot("form");
	expect_text("header.site nav", "New request");

	/* A type's own fields show once it is chosen, and no other's. */
	cr_assert(!visible("#concur-amount"), "expense fields before choosing the type");
	click("#type option[value=concur]");
	cr_assert(visible("#concur-amount"), "the expense fields did not appear");
	cr_assert(!visible("#workday-date_range-start"), "time-off fields show for an expense");

	type_into("#title", "Team offsite dinner");
	type_into("#concur-amount", "245.80");
	type_into("#concur-currency", "USD");
	type_into("#concur-category", "Meals");
	type_into("#justification", "Quarterly offsite with the support team.");
	/* The mistake: a name, where an email or a Slack id belongs. */
	type_into("#approvers", "Finance Team");
	click("form[action='/requests/new'] button[type=submit]");

	/* The form comes back with the message next to the field and
	 * everything typed still there. */
	expect_text("#approvers-error", "“Finance”: must be a Slack user id");
	expect_text(".reqform .notice", "One field needs your attention");
	cr_assert_eq(wd_window_size(&wd, 1000, 2300), WD_OK, "%s", wd.error);	/* all of it */
	shot("inline-error");
	v = value_of("#approvers");
	cr_assert_str_eq(v, "Finance Team");
	free(v);
	v = value_of("#concur-amount");
	cr_assert_str_eq(v, "245.80");
	free(v);
	cr_assert(visible("#concur-amount"), "the chosen type's fields went away");
	v = q1("SELECT count(*) FROM requests r JOIN users u ON u.id = r.requester_user_id"
	    " WHERE u.email = $1", email);
	cr_assert_str_eq(v, "0", "a refused form wrote a request");
	free(v);

	/* On a phone it still fits. */
	cr_assert_eq(wd_window_size(&wd, 390, 844), WD_OK, "%s", wd.error);
	fits_width();
	shot("phone");
	cr_assert_eq(wd_window_size(&wd, 1100, 1500), WD_OK, "%s", wd.error);

	/* Corrected, it is sent: the browser goes to the request's page. */
	clear("#approvers");
	type_into("#approvers", "finance@example.test");
	click("form[action='/requests/new'] button[type=submit]");
	v = NULL;
	for (i = 0; i < 80; i++) {
		free(v);
		v = wd_current_url(&wd);
		if (v != NULL && strstr(v, "/requests/new") == NULL)
			break;
		usleep(100 * 1000);
	}
	shot("sent");
	cr_assert_not_null(v);
	cr_assert_not_null(url = strstr(v, "/requests/"), "%s", v);
	url += strlen("/requests/");
	cr_assert_eq(strlen(url), 36, "not a request id: %s", v);
	{
		char *got = q1("SELECT concat_ws('|', r.title, r.metadata->>'amount',"
		    " (SELECT string_agg(approver_value, ',') FROM assignments a"
		    "  WHERE a.request_id = r.id), (SELECT count(*) FROM requests x"
		    "  WHERE x.requester_user_id = r.requester_user_id))"
		    " FROM requests r WHERE r.id::text = $1", url);

		cr_assert_str_eq(got, "Team offsite dinner|245.80|finance@example.test|1");
		free(got);
	}
	free(v);
}
