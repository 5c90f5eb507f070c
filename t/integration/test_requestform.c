/*
 * test_requestform.c - the web request form, through nginx and
 * cgi-bin/dashboard: /requests/new for each role (and without a session),
 * every validation problem inline next to its field with status 400 and
 * the values kept, nothing written on a refusal, a request created with
 * the signed-in user as requester and the approvers typed (and delivered
 * to the fake Slack by the worker), a double submit that creates one
 * request, CSRF and foreign-Origin refusals, hostile values echoed inert;
 * and the worker's sweep of expired sessions and stale throttle counts.
 * The browser test of the form is in test_browser.c.
 *
 * Each test makes its own users (th_user_add).
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/form.h"
#include "testlib.h"

#define PW "request form pass"
#define CK_MAX 256
#define EMAIL_MAX 128
#define VAL_MAX 4096
#define URL_MAX 4096

/* ------------------------------------------------------------ helpers */

/* One value of a one-row query ($1, $2 may be NULL) on url (NULL: the
 * stack's database) into out ("" when no row). */
static void
q_at(const char *url, const char *sql, const char *p1, const char *p2, char *out,
    size_t outlen)
{
	PGconn *c = PQconnectdb(url != NULL ? url : th_env("DATABASE_URL"));
	const char *params[2] = { p1, p2 };
	PGresult *r;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexecParams(c, sql, p2 ? 2 : p1 ? 1 : 0, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", sql, PQerrorMessage(c));
	snprintf(out, outlen, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
}

static void
q1(const char *sql, const char *p1, const char *p2, char *out, size_t outlen)
{
	q_at(NULL, sql, p1, p2, out, outlen);
}

static long
count_of(const char *sql, const char *p1)
{
	char n[32];

	q1(sql, p1, NULL, n, sizeof(n));
	return strtol(n, NULL, 10);
}

/* Requests whose requester is the user with this email. */
static long
requests_of(const char *email)
{
	return count_of("SELECT count(*) FROM requests r JOIN users u"
	    " ON u.id = r.requester_user_id WHERE u.email = $1", email);
}

/* POST a form body with the session cookie (may be NULL) and an extra
 * header (may be NULL). */
static void
post(const char *cookie, const char *extra, const char *body, struct th_resp *r)
{
	char ck[CK_MAX + 32];
	const char *h[4] = { "Content-Type: application/x-www-form-urlencoded", NULL, NULL, NULL };
	int n = 1;

	if (cookie != NULL) {
		snprintf(ck, sizeof(ck), "Cookie: hub_session=%s", cookie);
		h[n++] = ck;
	}
	if (extra != NULL)
		h[n++] = extra;
	cr_assert_eq(th_http("POST", "/requests/new", h, body, strlen(body), r), 0);
}

/* A user of role, signed in: its email and session cookie. */
static void
signed_in(const char *role, char email[EMAIL_MAX], char ck[CK_MAX])
{
	th_user_add(role, PW, email, EMAIL_MAX);
	cr_assert_eq(th_login(email, PW, NULL, ck, CK_MAX, NULL), 303);
}

/* The value of hidden input name on the page. */
static void
hidden(const char *html, const char *name, char *out, size_t outlen)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "name=\"%s\" value=\"", name);
	cr_assert_not_null(p = strstr(html, key), "no %s in the form: %s", name, html);
	p += strlen(key);
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "\""), p);
}

/* The form's csrf and token, from a fresh GET. */
static void
open_form(const char *ck, char *csrf, size_t clen, char *token, size_t tlen)
{
	struct th_resp r;

	th_get("/requests/new", ck, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	hidden(r.body, "csrf", csrf, clen);
	hidden(r.body, "token", token, tlen);
	th_resp_free(&r);
}

/*
 * A form body: csrf and token first, then name/value pairs (NULL-ended)
 * over a valid base request; a pair's name may repeat a base field to
 * replace it ("" removes it).  Caller frees.
 */
static char *
form_body(const char *csrf, const char *token, const char *const *pairs)
{
	static const char *const base[] = {
		"type", "concur", "title", "Team offsite dinner",
		"justification", "Quarterly offsite; the budget line is TRAVEL-7.",
		"approvers", "approver-one@example.test, approver-two@example.test",
		"rule", "any", "quorum", "", "deadline", "", "reminder", "",
		"concur.amount", "245.80", "concur.currency", "USD", "concur.category", "Meals",
		NULL,
	};
	struct hub_buf b = HUB_BUF_INIT(1 << 20);
	const char *v;
	size_t i, j;

	hub_buf_printf(&b, "csrf=%s&token=%s", csrf, token);
	for (i = 0; base[i] != NULL; i += 2) {
		v = base[i + 1];
		for (j = 0; pairs != NULL && pairs[j] != NULL; j += 2)
			if (strcmp(pairs[j], base[i]) == 0)
				v = pairs[j + 1];
		hub_buf_printf(&b, "&%s=", base[i]);
		hub_url_encode(v, strlen(v), &b);
	}
	for (j = 0; pairs != NULL && pairs[j] != NULL; j += 2) {
		for (i = 0; base[i] != NULL && strcmp(base[i], pairs[j]) != 0; i += 2)
			;
		if (base[i] != NULL)
			continue;
		hub_buf_printf(&b, "&%s=", pairs[j]);
		hub_url_encode(pairs[j + 1], strlen(pairs[j + 1]), &b);
	}
	return hub_buf_detach(&b, NULL);
}

/* POST the base form with pairs over it (form_body) into r. */
static void
send_form(const char *ck, const char *extra, const char *csrf, const char *token,
    const char *const *pairs, struct th_resp *r)
{
	char *body = form_body(csrf, token, pairs);

	post(ck, extra, body, r);
	free(body);
}

/* The inline message of field id ("" when none). */
static void
field_error(const char *html, const char *id, char *out, size_t outlen)
{
	char key[160];
	const char *p;

	out[0] = '\0';
	snprintf(key, sizeof(key), "id=\"%s-error\">", id);
	if ((p = strstr(html, key)) == NULL)
		return;
	p += strlen(key);
	snprintf(out, outlen, "%.*s", (int)(strstr(p, "</p>") - p), p);
}

/* What input or textarea `name` holds on the page, as written in the HTML. */
static void
field_value(const char *html, const char *name, char *out, size_t outlen)
{
	char key[160];
	const char *p, *tag, *end, *v;

	snprintf(key, sizeof(key), "name=\"%s\"", name);
	cr_assert_not_null(p = strstr(html, key), "no field %s: %s", name, html);
	for (tag = p; tag > html && *tag != '<'; tag--)
		;
	end = strchr(p, '>');
	if (strncmp(tag, "<textarea", 9) == 0) {
		v = end + 1;
		snprintf(out, outlen, "%.*s", (int)(strstr(v, "</textarea>") - v), v);
		return;
	}
	v = strstr(p, " value=\"");
	cr_assert(v != NULL && v < end, "no value on %s", name);
	v += 8;
	snprintf(out, outlen, "%.*s", (int)strcspn(v, "\""), v);
}

static void
expect_location(const struct th_resp *r, const char *prefix)
{
	char loc[URL_MAX], want[URL_MAX];

	cr_assert_eq(r->status, 303, "%ld %s", r->status, r->body);
	cr_assert_not_null(th_header(r, "Location", loc, sizeof(loc)), "%s", r->headers);
	snprintf(want, sizeof(want), "%s%s", th_env("PUBLIC_URL"), prefix);
	cr_assert(strncmp(loc, want, strlen(want)) == 0, "Location %s, wanted %s…", loc, want);
}

/* The request id a success's Location names. */
static void
created_id(const struct th_resp *r, char id[64])
{
	char loc[URL_MAX], *p;

	expect_location(r, "/requests/");
	th_header(r, "Location", loc, sizeof(loc));
	p = strrchr(loc, '/') + 1;
	cr_assert_eq(strlen(p), 36, "not a uuid: %s", p);
	snprintf(id, 64, "%s", p);
}

/* ------------------------------------------------------------ roles */

Test(requestform, without_a_session_the_form_sends_to_sign_in)
{
	char loc[URL_MAX], want[URL_MAX];
	struct th_resp r;

	th_get("/requests/new", NULL, &r);
	cr_assert_eq(r.status, 303, "%ld", r.status);
	th_header(&r, "Location", loc, sizeof(loc));
	snprintf(want, sizeof(want), "%s/login?next=%%2Frequests%%2Fnew", th_env("PUBLIC_URL"));
	cr_assert_str_eq(loc, want);
	th_resp_free(&r);
	/* The original form's address leads to the form. */
	th_get("/create-request", NULL, &r);
	cr_assert_eq(r.status, 301, "%ld", r.status);
	th_header(&r, "Location", loc, sizeof(loc));
	snprintf(want, sizeof(want), "%s/requests/new", th_env("PUBLIC_URL"));
	cr_assert_str_eq(loc, want);
	th_resp_free(&r);
	/* A POST without a session creates nothing and goes to sign in. */
	post(NULL, NULL, "csrf=x&token=aaaaaaaaaaaaaaaaaaaa&title=x", &r);
	cr_assert_eq(r.status, 303, "%ld", r.status);
	th_resp_free(&r);
}

Test(requestform, viewers_are_refused_requesters_and_admins_get_the_form)
{
	static const char *const labels[] = {
		"<label for=\"type\">", "<label for=\"title\">", "<label for=\"justification\">",
		"<label for=\"approvers\">", "<label for=\"rule\">", "<label for=\"quorum\">",
		"<label for=\"deadline\">", "<label for=\"reminder\">",
		"<label for=\"concur-amount\">Amount</label>",
		"<label for=\"workday-date_range-start\">From</label>",
		"<label for=\"jira-issue_key\">Issue</label>",
		"<label for=\"extra_label_1\">",
		"<option value=\"quorum\">", "<option value=\"salesforce\">",
	};
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128];
	const char *const roles[] = { "requester", "admin" };
	struct th_resp r;
	size_t i, k;

	signed_in("viewer", email, ck);
	th_get("/requests/new", ck, &r);
	cr_assert_eq(r.status, 403, "%ld %s", r.status, r.body);
	cr_assert_null(strstr(r.body, "name=\"approvers\""));
	th_resp_free(&r);
	/* Nor may a viewer post it, with a good CSRF token. */
	th_get("/account/password", ck, &r);
	hidden(r.body, "csrf", csrf, sizeof(csrf));
	th_resp_free(&r);
	send_form(ck, NULL, csrf, "abcdefghijklmnopqrstuvwx", NULL, &r);
	cr_assert_eq(r.status, 403, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	cr_assert_eq(requests_of(email), 0);

	for (k = 0; k < 2; k++) {
		signed_in(roles[k], email, ck);
		th_get("/requests/new", ck, &r);
		cr_assert_eq(r.status, 200, "%s: %ld", roles[k], r.status);
		for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
			cr_expect_not_null(strstr(r.body, labels[i]), "%s: no %s", roles[k], labels[i]);
		cr_assert_not_null(strstr(r.body, "action=\"/requests/new\""));
		hidden(r.body, "token", token, sizeof(token));
		cr_assert_geq(strlen(token), 16, "%s", token);
		/* No inline script or style (CSP) and no marked field yet. */
		cr_assert_null(strstr(r.body, "<script>"));
		cr_assert_null(strstr(r.body, "style="));
		cr_assert_null(strstr(r.body, "field-error"));
		th_resp_free(&r);
	}
}

Test(requestform, sample_data_fills_the_chosen_type)
{
	char email[EMAIL_MAX], ck[CK_MAX], v[VAL_MAX];
	struct th_resp r;

	signed_in("requester", email, ck);
	th_get("/requests/new?type=salesforce&sample=1", ck, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "<option value=\"salesforce\" selected>"));
	field_value(r.body, "salesforce.customer_name", v, sizeof(v));
	cr_assert_str_eq(v, "Acme Corp");
	field_value(r.body, "salesforce.discount_percent", v, sizeof(v));
	cr_assert_str_eq(v, "15");
	field_value(r.body, "title", v, sizeof(v));
	cr_assert_str_eq(v, "Renewal discount for Acme");
	/* The approvers are the person's to choose. */
	field_value(r.body, "approvers", v, sizeof(v));
	cr_assert_str_eq(v, "");
	th_resp_free(&r);
}

/* ------------------------------------------------------------ validation */

/* One problem: the pairs that cause it, the field marked, its message. */
struct bad_case {
	const char	*pairs[10];
	const char	*field;	/* element id */
	const char	*msg;	/* part of the message */
	const char	*kept;	/* the form name whose value must come back... */
	const char	*as;	/* ...written so in the HTML */
};

static const struct bad_case bad_cases[] = {
	{ { "approvers", "", NULL }, "approvers", "Name at least one approver.", NULL, NULL },
	{ { "approvers", "bob", NULL }, "approvers",
	    "“bob”: must be a Slack user id", "approvers", "bob" },
	{ { "approvers", "ann@example.test\nANN@example.test", NULL }, "approvers",
	    "“ANN@example.test”: is listed twice.", "approvers",
	    "ann@example.test\nANN@example.test" },
	{ { "approvers", "group:no-such-group-here", NULL }, "approvers",
	    "One of the groups named does not exist.", "approvers", "group:no-such-group-here" },
	{ { "justification", "   ", NULL }, "justification", "Fill this in.", NULL, NULL },
	{ { "title", "x\x01y", NULL }, "title", "Must not contain control characters.", NULL,
	    NULL },
	{ { "rule", "quorum", "quorum", "5", NULL }, "quorum",
	    "Must be an integer from 1 to 2 (the number of approvers).", "quorum", "5" },
	{ { "rule", "quorum", NULL }, "quorum", "Say how many of them must approve.", NULL, NULL },
	{ { "rule", "most", NULL }, "rule", "Must be one of any, all, quorum.", NULL, NULL },
	{ { "deadline", "2020-01-31", NULL }, "deadline", "Must be in the future.",
	    "deadline", "2020-01-31" },
	{ { "deadline", "next friday", NULL }, "deadline", "Must be a date (YYYY-MM-DD).",
	    "deadline", "next friday" },
	{ { "reminder", "sometimes", NULL }, "reminder", "Must be a duration", NULL, NULL },
	{ { "type", "sap", NULL }, "type", "Choose one of the listed types.", NULL, NULL },
	{ { "concur.amount", "lots", NULL }, "concur-amount", "Must be a number.",
	    "concur.amount", "lots" },
	{ { "concur.currency", "usd", NULL }, "concur-currency", "ISO 4217",
	    "concur.currency", "usd" },
	{ { "concur.receipt_url", "ftp://files.example.test/r.pdf", NULL }, "concur-receipt_url",
	    "Must be an http:// or https:// URL", "concur.receipt_url",
	    "ftp://files.example.test/r.pdf" },
	{ { "type", "workday", "workday.date_range.start", "2031-05-10",
	    "workday.date_range.end", "2031-05-01", NULL }, "workday-date_range",
	    "Must not end before it starts.", "workday.date_range.end", "2031-05-01" },
	{ { "type", "workday", "workday.date_range.start", "2031-05-10", NULL },
	    "workday-date_range", "End date: fill this in.", "workday.date_range.start",
	    "2031-05-10" },
	{ { "type", "jira", "jira.issue_key", "not a key", NULL }, "jira-issue_key",
	    "Jira issue key like ABC-123", "jira.issue_key", "not a key" },
	{ { "extra_label_1", "Cost center", NULL }, "extra_label_1",
	    "Give this detail a value", "extra_label_1", "Cost center" },
	{ { "extra_value_2", "IT-200", NULL }, "extra_label_2", "Give this detail a name.",
	    "extra_value_2", "IT-200" },
	{ { "extra_label_1", "Site", "extra_value_1", "a", "extra_label_2", "site",
	    "extra_value_2", "b", NULL }, "extra_label_2", "This name is used twice.", NULL, NULL },
	{ { "extra_label_1", "amount", "extra_value_1", "12", NULL }, "extra_label_1",
	    "This name is used twice.", NULL, NULL },
};

/* Every problem alone: 400, the message next to its field, the value
 * kept, the rest of the form kept, nothing written. */
Test(requestform, each_problem_is_inline_with_the_values_kept, .timeout = 120)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], e[VAL_MAX], v[VAL_MAX];
	struct th_resp r;
	size_t i;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		send_form(ck, NULL, csrf, token, c->pairs, &r);
		cr_assert_eq(r.status, 400, "case %zu (%s): %ld %s", i, c->field, r.status, r.body);
		field_error(r.body, c->field, e, sizeof(e));
		cr_expect_not_null(strstr(e, c->msg), "case %zu: %s: \"%s\", wanted \"%s\"", i,
		    c->field, e, c->msg);
		cr_expect_not_null(strstr(r.body, "One field needs your attention"),
		    "case %zu: no summary", i);
		if (c->kept != NULL) {
			field_value(r.body, c->kept, v, sizeof(v));
			cr_expect_str_eq(v, c->as, "case %zu: %s kept as \"%s\"", i, c->kept, v);
		}
		/* The rest of what was typed comes back too, and the same token. */
		if (strcmp(c->field, "justification") != 0) {
			field_value(r.body, "justification", v, sizeof(v));
			cr_expect_str_eq(v, "Quarterly offsite; the budget line is TRAVEL-7.");
		}
		field_value(r.body, "token", v, sizeof(v));
		cr_expect_str_eq(v, token);
		th_resp_free(&r);
	}
	cr_assert_eq(requests_of(email), 0, "a refused form wrote a request");
}

/* Several problems at once are all marked, the form's own (a detail
 * without a value) and intake's alike. */
Test(requestform, every_problem_is_shown_at_once)
{
	static const char *const pairs[] = {
		"approvers", "bob", "deadline", "2020-01-01", "concur.currency", "euro",
		"extra_label_1", "Cost center", "justification", "", NULL,
	};
	static const char *const ids[] = {
		"approvers", "deadline", "concur-currency", "extra_label_1", "justification",
	};
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], e[VAL_MAX];
	struct th_resp r;
	size_t i;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	send_form(ck, NULL, csrf, token, pairs, &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	cr_assert_not_null(strstr(r.body, "5 fields need your attention"), "%s", r.body);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		field_error(r.body, ids[i], e, sizeof(e));
		cr_expect_neq(e[0], '\0', "%s is not marked", ids[i]);
	}
	th_resp_free(&r);
	cr_assert_eq(requests_of(email), 0);
}

/* Requester = only approver: refused by the engine, shown at approvers. */
Test(requestform, the_requester_cannot_be_the_only_approver)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], e[VAL_MAX];
	const char *pairs[] = { "approvers", NULL, NULL };
	struct th_resp r;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	pairs[1] = email;
	send_form(ck, NULL, csrf, token, pairs, &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	field_error(r.body, "approvers", e, sizeof(e));
	cr_assert_not_null(strstr(e, "You cannot be the only approver of your own request"), "%s",
	    e);
	th_resp_free(&r);
	cr_assert_eq(requests_of(email), 0);
}

/* ------------------------------------------------------------ success */

/* The fake Slack's chat.postMessage calls that mention tag. */
static int
slack_posts_with(const char *tag)
{
	json_object *calls = th_fake("FAKE_SLACK_URL", "GET",
	    "/_fake/calls?method=chat.postMessage", NULL);
	size_t i;
	int n = 0;

	cr_assert_not_null(calls);
	for (i = 0; i < json_object_array_length(calls); i++)
		if (strstr(json_object_to_json_string(json_object_array_get_idx(calls, i)), tag))
			n++;
	json_object_put(calls);
	return n;
}

/* A worker holding a bot token of the fake: it saves it as the default
 * Slack connection (as SLACK_BOT_TOKEN does for an admin), then runs
 * jobs beside the stack's worker. */
static pid_t
slack_worker(const char *tag)
{
	char tok[96], env_tok[128], log[1024], body[512], n[16];
	const char *env[] = { env_tok, "WORKER_BACKOFF_BASE_MS=300", NULL };
	static const char *const args[] = { "--id", "formworker", "--sweep-seconds", "0", NULL };
	json_object *o;
	pid_t pid;
	int i;

	snprintf(tok, sizeof(tok), "xoxb-form-%s", tag);
	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"TFORM\",\"team_name\":"
	    "\"Form\",\"bot_user_id\":\"UFORMBOT\",\"bot_id\":\"BFORM\"}]", tok);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body));
	json_object_put(o);
	snprintf(env_tok, sizeof(env_tok), "SLACK_BOT_TOKEN=%s", tok);
	snprintf(log, sizeof(log), "%s/log/formworker.log", th_env("HUB_STATE"));
	pid = th_worker_start(NULL, log, env, args);
	for (i = 0; i < 100; i++) {
		q1("SELECT count(*) FROM slack_connections WHERE name = 'default' AND NOT disabled",
		    NULL, NULL, n, sizeof(n));
		if (strcmp(n, "1") == 0)
			return pid;
		usleep(100 * 1000);
	}
	cr_assert_fail("the worker made no default connection: see %s", log);
	return pid;
}

Test(requestform, success_creates_the_request_and_slack_hears_of_it, .timeout = 60)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], id[64], v[VAL_MAX];
	char tag[16], slack_user[32], title[96], body_users[256], key[1024];
	unsigned char rnd[4];
	const char *pairs[] = { "title", title, "approvers", NULL, "rule", "all",
	    "reminder", "1d", "deadline", "2031-12-31", NULL };
	struct th_resp r;
	json_object *o, *f;
	char approvers[128];
	pid_t worker;
	int i, status;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(tag, sizeof(tag), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	snprintf(slack_user, sizeof(slack_user), "UFORM%02X%02X%02X", rnd[0], rnd[1], rnd[2]);
	snprintf(title, sizeof(title), "Offsite dinner %s", tag);
	snprintf(approvers, sizeof(approvers), "%s\nfinance-%s@example.test", slack_user, tag);
	pairs[3] = approvers;
	snprintf(body_users, sizeof(body_users), "[{\"id\":\"%s\",\"name\":\"approver\"}]",
	    slack_user);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body_users));
	json_object_put(o);
	worker = slack_worker(tag);

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	send_form(ck, NULL, csrf, token, pairs, &r);
	created_id(&r, id);
	th_resp_free(&r);

	/* Exactly one request, the signed-in user's, from the source "web". */
	cr_assert_eq(requests_of(email), 1);
	q1("SELECT concat_ws('|', s.name, r.requester_name, r.requester_email, u.email,"
	    " r.title, r.status, r.idempotency_key = 'web:' || u.id || ':' || $2,"
	    " jsonb_typeof(r.metadata->'amount'), r.metadata->>'amount', r.metadata->>'currency',"
	    " to_char(r.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
	    " extract(epoch FROM r.reminder_every)::bigint)"
	    " FROM requests r JOIN sources s ON s.id = r.source_id"
	    " JOIN users u ON u.id = r.requester_user_id WHERE r.id = $1::uuid", id, token,
	    v, sizeof(v));
	snprintf(key, sizeof(key), "web|Test requester|%s|%s|%s|Pending|t|number|245.80|USD|"
	    "2031-12-31 23:59|86400", email, email, title);
	cr_assert_str_eq(v, key);
	/* One step, rule all, the two approvers as typed (the email lower-cased). */
	q1("SELECT concat_ws('|', (SELECT string_agg(rule, ',') FROM request_steps"
	    " WHERE request_id = $1::uuid), (SELECT string_agg(approver_kind || ':' ||"
	    " approver_value, ',' ORDER BY id) FROM assignments WHERE request_id = $1::uuid))",
	    id, NULL, v, sizeof(v));
	snprintf(key, sizeof(key), "all|slack:%s,email:finance-%s@example.test", slack_user, tag);
	cr_assert_str_eq(v, key);
	/* The API sees the same request. */
	th_admin_key(key, sizeof(key));
	snprintf(v, sizeof(v), "/api/requests/%s", id);
	th_api("GET", v, key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert(json_object_object_get_ex(o, "requester_name", &f));
	cr_assert_str_eq(json_object_get_string(f), "Test requester");
	cr_assert(json_object_object_get_ex(o, "source", &f));
	cr_assert_str_eq(json_object_get_string(f), "web");
	json_object_put(o);
	th_resp_free(&r);

	/* The worker asks the Slack approver. */
	for (i = 0; i < 150 && slack_posts_with(title) == 0; i++)
		usleep(100 * 1000);
	cr_assert_geq(slack_posts_with(title), 1, "no chat.postMessage mentions %s", title);
	kill(worker, SIGTERM);
	waitpid(worker, &status, 0);
	q1("DELETE FROM slack_connections WHERE name = 'default'", NULL, NULL, v, sizeof(v));
}

/*
 * The type chosen on the form is the preset the request is shown with,
 * although its source is "web": an expense's page has the Concur labels
 * (the amount as money with its currency folded in, no separate Currency
 * row), as a request the API gets from Concur does; not the generic
 * labels a source named "web" would give.
 */
/* The email the stack's worker sends the first approver about request id
 * shows the expense's labels too (notify's routing reads the stored
 * preset): the amount with its currency, no row of its own for it. */
static void
expense_email(const char *id)
{
	json_object *m = NULL;
	const char *text = NULL;
	size_t k;
	int i;

	for (i = 0; i < 300 && text == NULL; i++) {
		json_object_put(m);
		usleep(100 * 1000);
		m = th_fake("FAKE_SMTP_CONTROL_URL", "GET",
		    "/_fake/messages?rcpt=approver-one@example.test", NULL);
		for (k = 0; m != NULL && k < json_object_array_length(m); k++) {
			const char *t = json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(m, k), "text"));

			if (t != NULL && strstr(t, id) != NULL)
				text = t;
		}
	}
	cr_assert_not_null(text, "no email about %s", id);
	cr_expect(strstr(text, "Amount: 245.80 USD") != NULL, "%s", text);
	cr_expect(strstr(text, "Category: Meals") != NULL, "%s", text);
	cr_expect(strstr(text, "Currency:") == NULL, "%s", text);
	json_object_put(m);
}

Test(requestform, an_expense_made_with_the_form_shows_the_expense_labels)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], id[64], v[VAL_MAX];
	char path[128];
	struct th_resp r;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	send_form(ck, NULL, csrf, token, NULL, &r);
	created_id(&r, id);
	th_resp_free(&r);
	q1("SELECT s.name || '|' || coalesce(r.preset, 'NULL') FROM requests r"
	    " JOIN sources s ON s.id = r.source_id WHERE r.id = $1::uuid", id, NULL, v,
	    sizeof(v));
	cr_assert_str_eq(v, "web|concur_expense");

	snprintf(path, sizeof(path), "/requests/%s", id);
	th_get(path, ck, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, "<dt>Amount</dt><dd>245.80 USD</dd>"),
	    "no expense amount: %s", r.body);
	cr_assert_not_null(strstr(r.body, "<dt>Category</dt><dd>Meals</dd>"), "%s", r.body);
	cr_assert_null(strstr(r.body, "<dt>Currency</dt>"),
	    "the currency is a row of its own, as for a source without a preset: %s", r.body);
	th_resp_free(&r);
	expense_email(id);

	/* A general request stays general. */
	{
		const char *general[] = { "type", "", "concur.amount", "", "concur.currency", "",
		    "concur.category", "", "extra_label_1", "Cost center", "extra_value_1", "IT-200",
		    NULL };

		open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
		send_form(ck, NULL, csrf, token, general, &r);
		created_id(&r, id);
		th_resp_free(&r);
		q1("SELECT coalesce(r.preset, 'NULL') FROM requests r WHERE r.id = $1::uuid", id,
		    NULL, v, sizeof(v));
		cr_assert_str_eq(v, "NULL");
	}
}

/* A reload of the POST (the same form twice) leads to the one request. */
Test(requestform, a_double_submit_creates_one_request)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], id1[64], id2[64], id3[64];
	char token2[128];
	struct th_resp r;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	send_form(ck, NULL, csrf, token, NULL, &r);
	created_id(&r, id1);
	th_resp_free(&r);
	send_form(ck, NULL, csrf, token, NULL, &r);
	created_id(&r, id2);
	th_resp_free(&r);
	cr_assert_str_eq(id1, id2);
	cr_assert_eq(requests_of(email), 1);
	/* A new form (a new token) is a new request. */
	open_form(ck, csrf, sizeof(csrf), token2, sizeof(token2));
	cr_assert_str_neq(token, token2);
	send_form(ck, NULL, csrf, token2, NULL, &r);
	created_id(&r, id3);
	th_resp_free(&r);
	cr_assert_str_neq(id1, id3);
	cr_assert_eq(requests_of(email), 2);
}

/* ------------------------------------------------------------ refusals */

Test(requestform, csrf_foreign_origin_and_a_bad_token_are_refused)
{
	static const struct {
		const char	*csrf, *token, *origin;	/* NULL: the right one */
		long		 status;
	} cases[] = {
		{ "", NULL, NULL, 403 },
		{ "not-the-token", NULL, NULL, 403 },
		{ NULL, NULL, "Origin: https://evil.example", 403 },
		{ NULL, "short", NULL, 400 },
	};
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], origin[256];
	struct th_resp r;
	size_t i;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	snprintf(origin, sizeof(origin), "Origin: %s", th_env("PUBLIC_URL"));
	/* No CSRF token, a wrong one; the right one from another site; from
	 * this hub, as a browser sends it, but with a form token not ours. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send_form(ck, cases[i].origin ? cases[i].origin : origin,
		    cases[i].csrf ? cases[i].csrf : csrf, cases[i].token ? cases[i].token : token,
		    NULL, &r);
		cr_assert_eq(r.status, cases[i].status, "case %zu: %ld", i, r.status);
		th_resp_free(&r);
	}
	cr_assert_eq(requests_of(email), 0);
	/* Not a form at all. */
	{
		const char *h[3] = { "Content-Type: application/json", NULL, NULL };
		char c[CK_MAX + 32];

		snprintf(c, sizeof(c), "Cookie: hub_session=%s", ck);
		h[1] = c;
		cr_assert_eq(th_http("POST", "/requests/new", h, "{}", 2, &r), 0);
		cr_assert_eq(r.status, 415, "%ld", r.status);
		th_resp_free(&r);
	}
}

/* Hostile values come back as text, never as markup. */
Test(requestform, hostile_values_are_echoed_inert)
{
	static const char script[] = "<script>alert(1)</script>";
	static const char img[] = "\"><img src=x onerror=alert(1)>";
	const char *pairs[] = {
		"title", script, "justification", img, "approvers", img,
		"concur.category", script, "extra_label_1", img, "extra_value_1", script,
		"quorum", img, NULL,
	};
	char email[EMAIL_MAX], ck[CK_MAX], csrf[128], token[128], v[VAL_MAX];
	struct th_resp r;

	signed_in("requester", email, ck);
	open_form(ck, csrf, sizeof(csrf), token, sizeof(token));
	send_form(ck, NULL, csrf, token, pairs, &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	cr_assert_null(strstr(r.body, "<script>alert"), "script echoed raw");
	cr_assert_null(strstr(r.body, "<img src=x"), "img echoed raw");
	cr_assert_null(strstr(r.body, "\"><img"), "attribute broken out of");
	field_value(r.body, "title", v, sizeof(v));
	cr_assert_str_eq(v, "&lt;script&gt;alert(1)&lt;/script&gt;");
	field_value(r.body, "justification", v, sizeof(v));
	cr_assert_str_eq(v, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	/* The approver named in the message is text too. */
	cr_assert_not_null(strstr(r.body, "&lt;img"), "%s", r.body);
	th_resp_free(&r);
	cr_assert_eq(requests_of(email), 0);
}

/* ------------------------------------------------------------ the sweep */

/*
 * The worker's sweep deletes what can no longer be used: sessions past
 * their absolute or idle end, and throttle counts whose last failure is
 * over an hour old and that lock nothing.  It runs on a database of its
 * own, so the stack's worker cannot sweep it first.
 */
Test(requestform, the_worker_sweeps_expired_sessions_and_stale_throttle_rows, .timeout = 60)
{
	static const char *const args[] = { "--once", "--id", "sweeper", "--sweep-seconds", "1",
	    NULL };
	struct th_db db;
	char v[VAL_MAX], log[1024];
	pid_t pid;
	int status;

	th_db_create(&db);
	q_at(db.url, "INSERT INTO users (name, email, role) VALUES ('Sweep', 'sweep@example.test',"
	    " 'requester') RETURNING id", NULL, NULL, v, sizeof(v));
	q_at(db.url, "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
	    " last_seen_at, expires_at) VALUES"
	    " ('live', $1::uuid, 'c', now(), now(), now() + interval '1 day'),"
	    " ('absolute', $1::uuid, 'c', now() - interval '8 days', now() - interval '1 minute',"
	    "  now() - interval '1 day'),"
	    " ('idle', $1::uuid, 'c', now() - interval '2 days', now() - interval '13 hours',"
	    "  now() + interval '5 days')", v, NULL, log, sizeof(log));
	q_at(db.url, "INSERT INTO login_throttle (kind, key, failures, last_failure_at,"
	    " locked_until) VALUES"
	    " ('account', 'fresh@example.test', 3, now() - interval '5 minutes', NULL),"
	    " ('account', 'stale@example.test', 7, now() - interval '2 hours',"
	    "  now() - interval '90 minutes'),"
	    " ('address', '127.9.9.9', 9, now() - interval '2 hours', now() + interval '10 minutes'),"
	    " ('address', '127.8.8.8', 2, now() - interval '3 hours', NULL)", NULL, NULL, v,
	    sizeof(v));

	snprintf(log, sizeof(log), "%s/log/sweeper-%s.log", th_env("HUB_STATE"), db.name);
	pid = th_worker_start(db.url, log, NULL, args);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "worker exit %d: see %s",
	    status, log);

	q_at(db.url, "SELECT string_agg(token_hash, ',' ORDER BY token_hash) FROM sessions",
	    NULL, NULL, v, sizeof(v));
	cr_expect_str_eq(v, "live");
	q_at(db.url, "SELECT string_agg(key, ',' ORDER BY key) FROM login_throttle", NULL, NULL,
	    v, sizeof(v));
	cr_expect_str_eq(v, "127.9.9.9,fresh@example.test", "a locked or recent count stays");
	th_db_drop(&db);
}
