/*
 * test_browser_walkthrough.c - issue 10's walk-through, end to end, in
 * real browsers (headless Chromium through chromedriver, webdriver.h):
 *
 *   the hub started as README's quick start starts it (`make run`:
 *   contrib/stack.sh run, as test_makerun.c starts it, with its own
 *   PostgreSQL, programs, worker and nginx; its email going to the test
 *   stack's SMTP sink); the admin signs in with the login it printed;
 *   opens the request form, sends it with mistakes, reads each message
 *   next to its field with every value kept, fixes them and sends it;
 *   lands on /requests/{id} (an expense, shown with the expense's labels);
 *   finds the request with the dashboard's search box and opens it; then,
 *   watching the filtered dashboard, sees its status change without a
 *   reload when the approver decides in a second browser through the
 *   decision link the hub emailed them.
 *
 * Screenshots go to $HUB_STATE/screens/<test>-<n>-<what>.png (the
 * approver's browser: <test>-<n>-approver-<what>.png) as in
 * test_browser.c, and the last state of the admin's browser as <test>.png.
 *
 * Cleanup: .fini stops both browsers and make run (whose traps stop its
 * processes; what survives is killed by the pids it records).  A test
 * killed before .fini (Criterion's timeout, a crash) still leaves nothing
 * running: the browsers die with their keepers (webdriver.h), and a guard
 * process of this test's own stops make run when the test process goes
 * away without saying it is done.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "testlib.h"
#include "webdriver.h"

#define CHROMEDRIVER	"/usr/bin/chromedriver"
#define CHROMIUM	"/usr/bin/chromium"
#define WAIT_MS		10000	/* for a page to show what a click led to */
#define LIVE_WAIT_MS	30000	/* several of dashboard.js's polls (5 s apart) */
#define MAIL_WAIT_MS	30000	/* the worker's email to the approver */
#define UP_TRIES	900	/* 100 ms apart: make run's first start (initdb) */
#define PATH_MAX_T	1024
#define URL_MAX_T	2048
#define GUARD_FD_MAX	1024	/* descriptors the guard closes */

/* make run, as test_makerun.c keeps it. */
struct run {
	char	dir[512];
	char	log[600];
	int	port;
	pid_t	runner;
	pid_t	guard;		/* stops make run if this process dies first */
	int	guard_fd;	/* its pipe: "done" written, or EOF on death */
	char	email[256];
	char	password[256];
};

static struct run cur = { .guard_fd = -1 };
static struct wd admin, approver;
static int shots;

/* ------------------------------------------------------------ make run */

/* Stop make run (dir, runner): the runner's traps stop the stack; whatever
 * survives (each process leads its own session) is killed; then its state
 * goes.  Run by .fini and by the guard. */
static void
stop_run(const char *dir, pid_t runner)
{
	int i;

	if (runner > 0) {
		kill(runner, SIGTERM);
		for (i = 0; i < 300 && kill(runner, 0) == 0; i++)
			usleep(100 * 1000);
		kill(-runner, SIGKILL);
		kill(runner, SIGKILL);
	}
	if (dir[0] == '\0')
		return;
	th_sh("[ -f '%s/pids' ] && while read -r n p; do kill -KILL -- -$p 2>/dev/null;"
	    " kill -KILL $p 2>/dev/null; done <'%s/pids'; true", dir, dir);
	if (getenv("HUB_KEEP_STATE") == NULL)
		th_sh("rm -rf '%s'", dir);
}

/*
 * A process of a session of its own (Criterion's timeout kills the test
 * process, maybe its group) that waits on a pipe: "done" means the test
 * cleaned up itself; EOF without it means the test died first, and the
 * guard stops make run.
 */
static void
start_guard(void)
{
	int fds[2], fd;
	char b[8];
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	cr_assert_geq(pid = fork(), 0);
	if (pid == 0) {
		/* Nothing of the test's but the pipe: Criterion's own sockets,
		 * the browsers' connections. */
		for (fd = 3; fd < GUARD_FD_MAX; fd++)
			if (fd != fds[0])
				close(fd);
		setsid();
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		do
			n = read(fds[0], b, sizeof(b));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			stop_run(cur.dir, cur.runner);
		_exit(0);
	}
	close(fds[0]);
	cur.guard = pid;
	cur.guard_fd = fds[1];
}

static void
stop_guard(void)
{
	if (cur.guard_fd >= 0) {
		if (write(cur.guard_fd, "done", 4) != 4)
			cr_log_warn("guard: %s", strerror(errno));
		close(cur.guard_fd);
		cur.guard_fd = -1;
	}
	if (cur.guard > 0) {
		waitpid(cur.guard, NULL, 0);
		cur.guard = 0;
	}
}

/* http://127.0.0.1:PORT + path */
static const char *
at(const char *path)
{
	static char url[2][URL_MAX_T];
	static int k;

	k ^= 1;
	snprintf(url[k], sizeof(url[k]), "http://127.0.0.1:%d%s", cur.port, path);
	return url[k];
}

/*
 * `make run` as the Makefile's run target starts it (the variables it
 * passes, nothing else of this test's environment) plus where email goes
 * (the stack's SMTP sink), in a session of its own as a terminal would;
 * wait for /health and the banner, and read the admin login it prints.
 */
static void
start_run(void)
{
	char login[512];
	const char *sep;
	struct th_resp r;
	int i, up = 0;

	snprintf(cur.dir, sizeof(cur.dir), "%s/t/tmp/walkthrough.%d", th_env("top_builddir"),
	    (int)getpid());
	cr_assert_eq(th_sh("rm -rf '%s' && mkdir -p '%s'", cur.dir, cur.dir), 0);
	snprintf(cur.log, sizeof(cur.log), "%s/out.log", cur.dir);
	cur.port = th_free_port();
	cr_assert_eq(th_sh("cd '%s' && env -i PATH=\"$PATH\" top_srcdir='%s' top_builddir='%s' "
	    "PG_BINDIR=\"${PG_BINDIR:-}\" HUB_NGINX=\"${HUB_NGINX:-}\" "
	    "SMTP_URL='%s' SMTP_FROM='%s' PORT=%d HUB_RUN_DIR='%s' "
	    "setsid bash contrib/stack.sh run >'%s' 2>&1 </dev/null & echo $! >'%s/pid'",
	    th_env("top_srcdir"), th_env("top_srcdir"), th_env("top_builddir"),
	    th_env("SMTP_URL"), th_env("SMTP_FROM"), cur.port, cur.dir, cur.log, cur.dir), 0);
	cr_assert_gt(cur.runner = th_run_pid(cur.dir), 0);
	start_guard();
	for (i = 0; i < UP_TRIES && !up; i++) {
		if (th_http("GET", at("/health"), NULL, NULL, 0, &r) == 0 && r.status == 200)
			up = 1;
		th_resp_free(&r);
		if (!up)
			usleep(100 * 1000);
	}
	cr_assert(up, "make run did not answer /health on port %d (see %s)", cur.port, cur.log);
	for (i = 0; i < 50 && !th_banner_value(cur.log, "Admin login:", login, sizeof(login)); i++)
		usleep(100 * 1000);
	cr_assert(th_banner_value(cur.log, "Admin login:", login, sizeof(login)),
	    "no login line in %s", cur.log);
	/* "admin@hub.localhost / <password>" */
	cr_assert_not_null(sep = strstr(login, " / "), "login line '%s'", login);
	snprintf(cur.email, sizeof(cur.email), "%.*s", (int)(sep - login), login);
	snprintf(cur.password, sizeof(cur.password), "%s", sep + 3);
	cr_assert(strchr(cur.email, '@') != NULL && cur.password[0] != '\0', "login '%s'",
	    login);
}

/* ------------------------------------------------------------ browsers */

static void
shot(struct wd *w, const char *what)
{
	char path[PATH_MAX_T];
	const char *state = getenv("HUB_STATE");

	if (state == NULL || *state == '\0' || w->session[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/screens", state);
	mkdir(path, 0755);
	if (what != NULL)
		snprintf(path, sizeof(path), "%s/screens/%s-%d-%s%s.png", state,
		    criterion_current_test->name, ++shots, w == &approver ? "approver-" : "",
		    what);
	else
		snprintf(path, sizeof(path), "%s/screens/%s.png", state,
		    criterion_current_test->name);
	if (wd_screenshot(w, path) != WD_OK)
		cr_log_info("screenshot %s: %s", path, w->error);
}

static const char *
el(struct wd *w, const char *css, char buf[WD_ELEMENT_MAX])
{
	cr_assert_eq(wd_wait(w, css, WAIT_MS, buf), WD_OK, "no '%s': %s", css, w->error);
	return buf;
}

static void
click(struct wd *w, const char *css)
{
	char e[WD_ELEMENT_MAX];

	cr_assert_eq(wd_click(w, el(w, css, e)), WD_OK, "click %s: %s", css, w->error);
}

/* Select what the field holds and type text over it. */
static void
type_in(struct wd *w, const char *css, const char *text)
{
	char e[WD_ELEMENT_MAX], *keys;
	size_t n = strlen(text) + 8;

	cr_assert_not_null(keys = malloc(n));
	/* Ctrl+A, then the text: what a person does to replace a value. */
	snprintf(keys, n, "\xee\x80\x89" "a" "\xee\x80\x80" "%s", text);
	cr_assert_eq(wd_send_keys(w, el(w, css, e), keys), WD_OK, "type in %s: %s", css,
	    w->error);
	free(keys);
}

/* A script's value as a string (caller frees); args a JSON array or NULL. */
static char *
eval_str(struct wd *w, const char *script, const char *args)
{
	json_object *v;
	char *s;
	int rc;

	v = wd_exec(w, script, args, &rc);
	cr_assert_eq(rc, WD_OK, "script %s: %s", script, w->error);
	s = strdup(v == NULL ? "null" : json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : json_object_to_json_string(v));
	json_object_put(v);
	return s;
}

/* The text of css comes to hold want within WAIT_MS (after a click the
 * old page may still be there for a moment). */
static void
expect_text(struct wd *w, const char *css, const char *want)
{
	char e[WD_ELEMENT_MAX], *t = NULL;
	int waited;

	for (waited = 0; ; waited += 100) {
		free(t);
		t = wd_wait(w, css, WAIT_MS, e) == WD_OK ? wd_text(w, e) : NULL;
		if ((t != NULL && strstr(t, want) != NULL) || waited >= WAIT_MS)
			break;
		usleep(100 * 1000);
	}
	cr_assert_not_null(t, "text of %s: %s", css, w->error);
	cr_assert_not_null(strstr(t, want), "'%s' not in %s: \"%s\"", want, css, t);
	free(t);
}

/* What form field css holds in the browser (caller frees). */
static char *
value_of(struct wd *w, const char *css)
{
	json_object *a = json_object_new_array();
	char e[WD_ELEMENT_MAX], *v;

	el(w, css, e);
	json_object_array_add(a, json_object_new_string(css));
	v = eval_str(w, "return document.querySelector(arguments[0]).value;",
	    json_object_to_json_string(a));
	json_object_put(a);
	return v;
}

static void
expect_value(struct wd *w, const char *css, const char *want)
{
	char *v = value_of(w, css);

	cr_assert_str_eq(v, want, "%s holds \"%s\", typed \"%s\"", css, v, want);
	free(v);
}

/* The browser's address, once it has left a page whose address holds
 * leaving (at most WAIT_MS); caller frees. */
static char *
url_after(struct wd *w, const char *leaving)
{
	char *v = NULL;
	int i;

	for (i = 0; i < WAIT_MS / 100; i++) {
		free(v);
		v = wd_current_url(w);
		if (v != NULL && strstr(v, leaving) == NULL)
			break;
		usleep(100 * 1000);
	}
	cr_assert_not_null(v, "%s", w->error);
	return v;
}

/* The dashboard row of request id: "<badge text>" of its status cell, ""
 * when the row is not there. Caller frees. */
static char *
row_status(const char *id)
{
	char args[128];

	snprintf(args, sizeof(args), "[\"%s\"]", id);
	return eval_str(&admin, "var r = document.querySelector("
	    "'#live tbody tr[data-id=\"' + arguments[0] + '\"] .badge');"
	    " return r ? r.textContent : '';", args);
}

static void
setup(void)
{
	char log[PATH_MAX_T];

	snprintf(log, sizeof(log), "%s/log/chromedriver-%s.log", th_env("HUB_STATE"),
	    criterion_current_test->name);
	cr_assert_eq(wd_start(&admin, CHROMEDRIVER, CHROMIUM, log), WD_OK, "browser: %s",
	    admin.error);
	snprintf(log, sizeof(log), "%s/log/chromedriver-%s-approver.log", th_env("HUB_STATE"),
	    criterion_current_test->name);
	cr_assert_eq(wd_start(&approver, CHROMEDRIVER, CHROMIUM, log), WD_OK, "browser: %s",
	    approver.error);
}

static void
teardown(void)
{
	shot(&admin, NULL);
	wd_stop(&approver);
	wd_stop(&admin);
	stop_run(cur.dir, cur.runner);
	cur.runner = 0;
	stop_guard();
	cur.dir[0] = '\0';
}

TestSuite(walkthrough, .init = setup, .fini = teardown, .timeout = 240);

/* ------------------------------------------------------------ email */

/* The decision link in the newest email to rcpt, waiting up to
 * MAIL_WAIT_MS; into out. */
static void
emailed_link(const char *rcpt, char *out, size_t outlen)
{
	char path[512], prefix[128];
	json_object *all, *m, *v;
	const char *text, *p;
	size_t i;
	int waited;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/_fake/messages?rcpt=%s", rcpt);
	snprintf(prefix, sizeof(prefix), "%s", at("/decide/"));
	for (waited = 0; waited <= MAIL_WAIT_MS && out[0] == '\0'; waited += 250) {
		all = th_fake("FAKE_SMTP_CONTROL_URL", "GET", path, NULL);
		for (i = 0; all != NULL && i < json_object_array_length(all); i++) {
			m = json_object_array_get_idx(all, i);
			if (!json_object_object_get_ex(m, "text", &v) ||
			    (text = json_object_get_string(v)) == NULL ||
			    (p = strstr(text, prefix)) == NULL)
				continue;
			snprintf(out, outlen, "%.*s", (int)(strlen(prefix) + strspn(p +
			    strlen(prefix), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-")), p);
		}
		json_object_put(all);
		if (out[0] == '\0')
			usleep(250 * 1000);
	}
	cr_assert(out[0] != '\0', "no email with a decision link (%s…) reached %s; see %s/log",
	    prefix, rcpt, cur.dir);
}

/* ------------------------------------------------------------ the test */

/* Sign in at the form a page that needs a session sent the browser to. */
static void
sign_in(void)
{
	char e[WD_ELEMENT_MAX];

	cr_assert_eq(wd_navigate(&admin, at("/requests/new")), WD_OK, "%s", admin.error);
	el(&admin, "form[action='/login'] input#email", e);
	shot(&admin, "sign-in");
	type_in(&admin, "form[action='/login'] input#email", cur.email);
	type_in(&admin, "form[action='/login'] input#password", cur.password);
	click(&admin, "form[action='/login'] button[type=submit]");
	/* Back at the page asked for, signed in as the admin. */
	el(&admin, "form[action='/requests/new'] textarea#approvers", e);
	expect_text(&admin, "header.site", "admin");
	shot(&admin, "form");
}

/* The form with two mistakes (a currency in small letters, a name where
 * an email or Slack id belongs): each message next to its field, every
 * value as typed, nothing written; then fixed and sent.  The new
 * request's id into id. */
static void
ask(const char *title, const char *approver_email, char *id, size_t idlen)
{
	char approvers[256], *v, *p;

	click(&admin, "#type option[value=concur]");
	type_in(&admin, "#title", title);
	type_in(&admin, "#concur-amount", "245.80");
	type_in(&admin, "#concur-currency", "eur");
	type_in(&admin, "#concur-category", "Meals");
	type_in(&admin, "#justification", "Quarterly offsite dinner with the support team.");
	snprintf(approvers, sizeof(approvers), "Finance Team");
	type_in(&admin, "#approvers", approvers);
	click(&admin, "form[action='/requests/new'] button[type=submit]");

	expect_text(&admin, ".reqform .notice", "2 fields need your attention");
	expect_text(&admin, "#concur-currency-error", "ISO 4217");
	expect_text(&admin, "#approvers-error", "\u201cFinance\u201d: must be a Slack user id");
	/* Next to its field: the message is what the field says describes it. */
	v = eval_str(&admin, "var f = document.getElementById('concur-currency'),"
	    " m = document.getElementById('concur-currency-error');"
	    " return f.getAttribute('aria-invalid') + '|' + f.getAttribute('aria-describedby')"
	    " + '|' + (f.parentNode === m.parentNode);", NULL);
	cr_assert_str_eq(v, "true|concur-currency-error|true");
	free(v);
	cr_assert_eq(wd_window_size(&admin, 1280, 2300), WD_OK, "%s", admin.error);
	shot(&admin, "inline-errors");
	v = value_of(&admin, "#type");
	cr_assert_str_eq(v, "concur");
	free(v);
	expect_value(&admin, "#title", title);
	expect_value(&admin, "#concur-amount", "245.80");
	expect_value(&admin, "#concur-currency", "eur");
	expect_value(&admin, "#concur-category", "Meals");
	expect_value(&admin, "#justification", "Quarterly offsite dinner with the support team.");
	expect_value(&admin, "#approvers", "Finance Team");
	cr_assert_eq(wd_window_size(&admin, 1280, 1400), WD_OK, "%s", admin.error);

	type_in(&admin, "#concur-currency", "EUR");
	type_in(&admin, "#approvers", approver_email);
	click(&admin, "form[action='/requests/new'] button[type=submit]");
	v = url_after(&admin, "/requests/new");
	shot(&admin, "sent");
	cr_assert_not_null(p = strstr(v, "/requests/"), "not on a request's page: %s", v);
	p += strlen("/requests/");
	cr_assert_eq(strlen(p), 36, "not a request id: %s", v);
	snprintf(id, idlen, "%s", p);
	free(v);
}

/* The request's page: its title, Pending, the expense's fields. */
static void
expect_request_page(const char *title)
{
	expect_text(&admin, ".request-page h1", title);
	expect_text(&admin, ".status-line .badge", "Pending");
	/* Labelled as an expense although the form's source is "web". */
	expect_text(&admin, ".facts", "Amount\n245.80 EUR");
	expect_text(&admin, ".facts", "Category\nMeals");
}

/* Search the dashboard for title and open the request from its row. */
static void
find_and_open(const char *title, const char *id)
{
	char css[160], *v;

	click(&admin, "header.site nav a[href='/requests']");
	el(&admin, "#live table.request-list", css);
	type_in(&admin, "form.filters input#q", title);
	click(&admin, "form.filters button[type=submit]");
	snprintf(css, sizeof(css), "#live tbody tr[data-id='%s'] td.title a", id);
	expect_text(&admin, css, title);
	v = eval_str(&admin, "return document.querySelectorAll('#live tbody tr').length;", NULL);
	cr_assert_str_eq(v, "1", "the search found other requests too");
	free(v);
	v = value_of(&admin, "form.filters input#q");
	cr_assert_str_eq(v, title);
	free(v);
	shot(&admin, "found");
	click(&admin, css);
	v = url_after(&admin, "/requests?");
	cr_assert(strstr(v, id) != NULL, "the row led to %s", v);
	free(v);
	expect_request_page(title);
	shot(&admin, "opened");
}

/* The approver opens the emailed link in their own browser and approves. */
static void
approve_by_link(const char *link, const char *title)
{
	cr_assert_eq(wd_window_size(&approver, 1000, 1400), WD_OK, "%s", approver.error);
	cr_assert_eq(wd_navigate(&approver, link), WD_OK, "%s: %s", link, approver.error);
	expect_text(&approver, "h1", title);
	expect_text(&approver, ".status-line .badge", "Pending");
	expect_text(&approver, ".facts", "Amount\n245.80 EUR");
	shot(&approver, "link");
	type_in(&approver, "textarea#reason", "Within the offsite budget");
	click(&approver, "button[value=approve]");
	expect_text(&approver, ".outcome", "Approved by");
	expect_text(&approver, ".status-line .badge", "Approved");
	shot(&approver, "approved");
}

Test(walkthrough, sign_in_ask_fix_find_and_watch_the_decision_arrive)
{
	char title[128], apv[128], id[64], link[URL_MAX_T], *v;
	unsigned char rnd[4];
	int waited;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(title, sizeof(title), "Offsite dinner %02x%02x%02x%02x", rnd[0], rnd[1],
	    rnd[2], rnd[3]);
	snprintf(apv, sizeof(apv), "finance-%02x%02x%02x%02x@example.test", rnd[0], rnd[1],
	    rnd[2], rnd[3]);
	start_run();
	cr_assert_eq(wd_window_size(&admin, 1280, 1400), WD_OK, "%s", admin.error);

	sign_in();
	ask(title, apv, id, sizeof(id));
	expect_request_page(title);
	find_and_open(title, id);

	/* Back on the search's dashboard, watching; a reload would lose the mark. */
	cr_assert_eq(wd_back(&admin), WD_OK, "%s", admin.error);
	el(&admin, "#live table.request-list", link);
	v = row_status(id);
	cr_assert_str_eq(v, "Pending");
	free(v);
	free(eval_str(&admin, "window.__sameDocument = 'kept'; return 'set';", NULL));
	shot(&admin, "watching");

	emailed_link(apv, link, sizeof(link));
	approve_by_link(link, title);

	for (waited = 0, v = NULL; waited <= LIVE_WAIT_MS; waited += 250) {
		free(v);
		v = row_status(id);
		if (strcmp(v, "Approved") == 0)
			break;
		usleep(250 * 1000);
	}
	shot(&admin, "updated");
	cr_assert_str_eq(v, "Approved", "the dashboard still shows \"%s\" (see %s/log)", v,
	    cur.dir);
	free(v);
	v = eval_str(&admin, "return String(window.__sameDocument);", NULL);
	cr_assert_str_eq(v, "kept", "the dashboard was reloaded, not updated in place");
	free(v);
	v = eval_str(&admin, "var e = document.querySelector('.counters .n[data-status=\"Approved\"]');"
	    " return e ? e.textContent : 'none';", NULL);
	cr_assert_str_eq(v, "1");
	free(v);
	v = eval_str(&admin, "return document.getElementById('live-note').textContent;", NULL);
	cr_assert_not_null(strstr(v, "Updated at"), "%s", v);
	free(v);
}
