/*
 * test_adminconn.c - the admin index (/admin) and the Slack connections
 * pages (/admin/connections...) through nginx, cgi-bin/dashboard, the
 * worker and the fake Slack: who may open them (no session 303, requester
 * and viewer 403), CSRF and foreign-Origin refusals, adding a webhook and
 * a bot token, the test message with Slack's answer, the channel check
 * with its fix, default / disable / enable, disconnect (auth.revoke at the
 * fake, the token dead afterwards, the secrets gone), the banner on every
 * page until acknowledged or fixed, hostile names kept inert, and an audit
 * row (who, what, via web) for every change.
 *
 * Every test makes its own users, team ids and connection names, so
 * tests do not see each other's rows (the banner lookups filter by name).
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
#include "base/form.h"
#include "testlib.h"

#define PW "admin pages password"
#define CK_MAX 256
#define TEXT_MAX 4096

/* ------------------------------------------------------------ helpers */

static void
uniq(const char *prefix, char *out, size_t len)
{
	static int n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%s%d%ld%d", prefix, (int)getpid() % 1000, ts.tv_nsec % 100000, ++n);
}

/* One value of a query ($1, $2 may be NULL) into out; "" without a row. */
static void
q2(const char *sql, const char *p1, const char *p2, char *out, size_t outlen)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));
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

/* A signed-in user of role: the session cookie, and the email. */
struct who {
	char	email[128];
	char	ck[CK_MAX];
	char	csrf[128];
};

static void
sign_in(const char *role, struct who *w)
{
	struct th_resp r;
	const char *h[2] = { NULL, NULL }, *p;
	char hdr[CK_MAX + 32];

	memset(w, 0, sizeof(*w));
	th_user_add(role, PW, w->email, sizeof(w->email));
	cr_assert_eq(th_login(w->email, PW, NULL, w->ck, sizeof(w->ck), NULL), 303);
	/* Every signed-in page carries the session's CSRF token. */
	snprintf(hdr, sizeof(hdr), "Cookie: hub_session=%s", w->ck);
	h[0] = hdr;
	cr_assert_eq(th_http("GET", "/account/password", h, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(p = strstr(r.body, "name=\"csrf\" value=\""), "%s", r.body);
	p += 19;
	snprintf(w->csrf, sizeof(w->csrf), "%.*s", (int)strcspn(p, "\""), p);
	th_resp_free(&r);
}

/* GET path as w (NULL: no session). */
static void
get(const char *path, const struct who *w, struct th_resp *r)
{
	char hdr[CK_MAX + 32];
	const char *h[2] = { hdr, NULL };

	if (w != NULL)
		snprintf(hdr, sizeof(hdr), "Cookie: hub_session=%s", w->ck);
	cr_assert_eq(th_http("GET", path, w != NULL ? h : NULL, NULL, 0, r), 0);
}

/* POST a form as w (NULL: no session); "csrf=<w's token>&" is put in
 * front of fields unless nocsrf; extra: one more header (NULL: none). */
static void
post(const char *path, const struct who *w, int nocsrf, const char *extra,
    const char *fields, struct th_resp *r)
{
	char hdr[CK_MAX + 32], body[TEXT_MAX];
	const char *h[4] = { "Content-Type: application/x-www-form-urlencoded", NULL, NULL,
	    NULL };
	int n = 1;

	if (w != NULL) {
		snprintf(hdr, sizeof(hdr), "Cookie: hub_session=%s", w->ck);
		h[n++] = hdr;
	}
	if (extra != NULL)
		h[n++] = extra;
	snprintf(body, sizeof(body), "%s%s%s%s", w != NULL && !nocsrf ? "csrf=" : "",
	    w != NULL && !nocsrf ? w->csrf : "", w != NULL && !nocsrf ? "&" : "", fields);
	cr_assert_eq(th_http("POST", path, h, body, strlen(body), r), 0);
}

/* s form-encoded into out. */
static void
enc(const char *s, char *out, size_t outlen)
{
	struct hub_buf b = HUB_BUF_INIT(TEXT_MAX);

	cr_assert_eq(hub_url_encode(s, strlen(s), &b), 0);
	snprintf(out, outlen, "%s", hub_buf_str(&b));
	hub_buf_release(&b);
}

/* A 303 whose Location (on PUBLIC_URL) starts with want; the path into
 * path (may be NULL). */
static void
expect_303(const struct th_resp *r, const char *want, char *path, size_t plen)
{
	char loc[TEXT_MAX];
	size_t pl = strlen(th_env("PUBLIC_URL"));

	cr_assert_eq(r->status, 303, "expected 303 to %s, got %ld: %s", want, r->status, r->body);
	cr_assert_not_null(th_header(r, "Location", loc, sizeof(loc)));
	cr_assert(strncmp(loc, th_env("PUBLIC_URL"), pl) == 0, "%s", loc);
	cr_assert(strncmp(loc + pl, want, strlen(want)) == 0, "Location %s, wanted %s…", loc,
	    want);
	if (path != NULL)
		snprintf(path, plen, "%s", loc + pl);
}

static void
expect_in(const struct th_resp *r, const char *text)
{
	cr_assert_not_null(strstr(r->body, text), "'%s' not on the page: %s", text, r->body);
}

/* The connection id in a "?done=…&c=<id>#…" location. */
static void
id_of(const char *path, char *id, size_t idlen)
{
	const char *p = strstr(path, "&c=");

	cr_assert_not_null(p, "%s", path);
	p += 3;
	snprintf(id, idlen, "%.*s", (int)strcspn(p, "#&"), p);
	cr_assert_eq(strlen(id), 36, "%s", path);
}

/* How many audit rows say w did action to connection id through the web. */
static long
audited(const struct who *w, const char *action, const char *id)
{
	char n[16], sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_log WHERE request_id IS NULL"
	    " AND action = $1 AND detail->>'connection_id' = $2 AND via = 'web'"
	    " AND detail->>'actor_kind' = 'user' AND actor = '%s'", w->email);
	q2(sql, action, id, n, sizeof(n));
	return strtol(n, NULL, 10);
}

/* A webhook at the fake posting to channel; its URL into url. */
static void
fake_webhook(const char *channel, char *url, size_t len)
{
	char body[256];
	json_object *o, *p;

	snprintf(body, sizeof(body), "{\"channel\":\"%s\"}", channel);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/webhooks", body));
	cr_assert(json_object_object_get_ex(o, "path", &p));
	snprintf(url, len, "%s%s", th_env("FAKE_SLACK_URL"), json_object_get_string(p));
	json_object_put(o);
}

/* A bot token the fake knows in team; channels in_ch (the bot is a
 * member) and out_ch (it is not). */
static void
fake_workspace(const char *team, char *token, size_t toklen, const char *in_ch,
    const char *out_ch)
{
	char body[1024];

	snprintf(token, toklen, "xoxb-%s-adminpages", team);
	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\",\"team_name\":"
	    "\"Team %s\",\"bot_user_id\":\"UB%s\",\"bot_id\":\"BB%s\"}]", token, team, team,
	    team + 1, team + 1);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body));
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"name\":\"in-%s\",\"is_member\":true},"
	    "{\"id\":\"%s\",\"name\":\"out-%s\",\"is_member\":false}]", in_ch, team, out_ch, team);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/channels", body));
}

/* Add a webhook connection named name through the page; its id. */
static void
add_webhook(const struct who *w, const char *name, const char *channel, char *id, size_t idlen)
{
	char url[512], eurl[1024], ename[512], fields[2048], path[TEXT_MAX];
	struct th_resp r;

	fake_webhook(channel, url, sizeof(url));
	enc(url, eurl, sizeof(eurl));
	enc(name, ename, sizeof(ename));
	snprintf(fields, sizeof(fields), "kind=webhook&name=%s&webhook_url=%s", ename, eurl);
	post("/admin/connections", w, 0, NULL, fields, &r);
	expect_303(&r, "/admin/connections?done=added&c=", path, sizeof(path));
	id_of(path, id, idlen);
	th_resp_free(&r);
}

/* Add a bot token connection; its id. */
static void
add_bot(const struct who *w, const char *name, const char *token, char *id, size_t idlen)
{
	char fields[1024], path[TEXT_MAX];
	struct th_resp r;

	snprintf(fields, sizeof(fields), "kind=bot&name=%s&token=%s&channel=", name, token);
	post("/admin/connections", w, 0, NULL, fields, &r);
	expect_303(&r, "/admin/connections?done=added&c=", path, sizeof(path));
	id_of(path, id, idlen);
	th_resp_free(&r);
}

/* POST /admin/connections/<id>/<what> with fields ("" for none). */
static void
act(const struct who *w, const char *id, const char *what, const char *fields,
    struct th_resp *r)
{
	char path[256];

	snprintf(path, sizeof(path), "/admin/connections/%s/%s", id, what);
	post(path, w, 0, NULL, fields, r);
}

/* The test page after POST .../test, polled until it is no longer
 * pending; its body (caller frees). */
static char *
test_result(const struct who *w, const char *id, const char *fields)
{
	char path[TEXT_MAX], *body;
	struct th_resp r;
	int i;

	act(w, id, "test", fields, &r);
	expect_303(&r, "/admin/connections/", path, sizeof(path));
	cr_assert_not_null(strstr(path, "/test/"), "%s", path);
	th_resp_free(&r);
	for (i = 0; i < 150; i++) {
		get(path, w, &r);
		cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
		if (strstr(r.body, "class=\"test-pending\"") == NULL) {
			body = r.body;
			r.body = NULL;
			th_resp_free(&r);
			return body;
		}
		expect_in(&r, "http-equiv=\"refresh\"");
		th_resp_free(&r);
		usleep(200000);
	}
	cr_assert_fail("the test at %s never finished", path);
	return NULL;
}

/* Is connection name on the banner of path, as w sees it? */
static int
on_banner(const struct who *w, const char *path, const char *name)
{
	struct th_resp r;
	const char *b, *end;
	int yes;

	get(path, w, &r);
	cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
	b = strstr(r.body, "class=\"conn-banner\"");
	end = b != NULL ? strstr(b, "</section>") : NULL;
	yes = b != NULL && end != NULL && memmem(b, (size_t)(end - b), name, strlen(name)) != NULL;
	th_resp_free(&r);
	return yes;
}

/* ------------------------------------------------------------ who may */

Test(adminconn, pages_need_an_admin_session)
{
	static const char *const pages[] = { "/admin", "/admin/connections" };
	static const char *const roles[] = { "requester", "viewer" };
	char id[64], name[64];
	struct who admin, w;
	struct th_resp r;
	size_t i, k;

	for (i = 0; i < 2; i++) {
		get(pages[i], NULL, &r);
		expect_303(&r, i == 0 ? "/login?next=%2Fadmin" :
		    "/login?next=%2Fadmin%2Fconnections", NULL, 0);
		th_resp_free(&r);
	}
	post("/admin/connections", NULL, 1, NULL, "kind=webhook&name=x&webhook_url=y", &r);
	expect_303(&r, "/login", NULL, 0);
	th_resp_free(&r);

	sign_in("admin", &admin);
	uniq("who-", name, sizeof(name));
	add_webhook(&admin, name, "CWHO1", id, sizeof(id));
	for (k = 0; k < 2; k++) {
		sign_in(roles[k], &w);
		for (i = 0; i < 2; i++) {
			get(pages[i], &w, &r);
			cr_assert_eq(r.status, 403, "%s as %s: %ld", pages[i], roles[k], r.status);
			th_resp_free(&r);
		}
		/* Their own valid CSRF token does not make them an admin. */
		post("/admin/connections", &w, 0, NULL, "kind=webhook&name=x&webhook_url=y", &r);
		cr_assert_eq(r.status, 403, "add as %s: %ld", roles[k], r.status);
		th_resp_free(&r);
		act(&w, id, "disable", "", &r);
		cr_assert_eq(r.status, 403, "disable as %s: %ld", roles[k], r.status);
		th_resp_free(&r);
		act(&w, id, "disconnect", "", &r);
		cr_assert_eq(r.status, 403, "disconnect as %s: %ld", roles[k], r.status);
		th_resp_free(&r);
		/* Installing a workspace is an admin's act too. */
		get("/slack/install", &w, &r);
		cr_assert_eq(r.status, 403, "install as %s: %ld", roles[k], r.status);
		th_resp_free(&r);
	}
	get("/slack/install", NULL, &r);
	expect_303(&r, "/login?next=%2Fslack%2Finstall", NULL, 0);
	th_resp_free(&r);
	q2("SELECT concat(disabled, '|', count(*) OVER ()) FROM slack_connections WHERE id = $1",
	    id, NULL, name, sizeof(name));
	cr_assert_str_eq(name, "f|1", "nothing changed: %s", name);
}

Test(adminconn, csrf_and_foreign_origin_are_refused)
{
	char id[64], name[64], v[16], origin[256];
	struct who admin;
	struct th_resp r;

	sign_in("admin", &admin);
	uniq("csrf-", name, sizeof(name));
	add_webhook(&admin, name, "CCSRF1", id, sizeof(id));
	snprintf(origin, sizeof(origin), "/admin/connections/%s/disable", id);
	post(origin, &admin, 1, NULL, "", &r);
	cr_assert_eq(r.status, 403, "no token: %ld", r.status);
	expect_in(&r, "This form has expired");
	th_resp_free(&r);
	post(origin, &admin, 1, NULL, "csrf=not-the-token", &r);
	cr_assert_eq(r.status, 403, "wrong token: %ld", r.status);
	th_resp_free(&r);
	post(origin, &admin, 0, "Origin: https://evil.example", "", &r);
	cr_assert_eq(r.status, 403, "foreign Origin: %ld", r.status);
	expect_in(&r, "another site");
	th_resp_free(&r);
	post("/admin/connections", &admin, 1, NULL, "kind=webhook&name=sneaky&webhook_url=x", &r);
	cr_assert_eq(r.status, 403, "add without token: %ld", r.status);
	th_resp_free(&r);
	q2("SELECT disabled::text FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "false");
	q2("SELECT count(*) FROM slack_connections WHERE name = 'sneaky'", NULL, NULL, v,
	    sizeof(v));
	cr_assert_str_eq(v, "0");
	cr_assert_eq(audited(&admin, "connection.disabled", id), 0);
	/* The hub's own origin, with the token: it works. */
	{
		char own[256], path[256];

		snprintf(own, sizeof(own), "Origin: %s", th_env("PUBLIC_URL"));
		snprintf(path, sizeof(path), "/admin/connections/%s/disable", id);
		post(path, &admin, 0, own, "", &r);
	}
	expect_303(&r, "/admin/connections?done=disabled", NULL, 0);
	th_resp_free(&r);
	cr_assert_eq(audited(&admin, "connection.disabled", id), 1);
}

/* ------------------------------------------------------------ pages */

Test(adminconn, index_links_every_admin_page)
{
	static const char *const links[] = {
		"/admin/connections", "/admin/sources", "/admin/users", "/admin/groups",
		"/admin/settings", "/admin/deliveries", "/admin/audit",
	};
	char want[128];
	struct who admin;
	struct th_resp r;
	size_t i;

	sign_in("admin", &admin);
	get("/admin", &admin, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(want, sizeof(want), "<a href=\"%s\">", links[i]);
		expect_in(&r, want);
	}
	th_resp_free(&r);
}

Test(adminconn, add_webhook_and_test_message_shows_slacks_answer)
{
	char id[64], name[64], chan[32], *body, q[256];
	struct who admin;
	struct th_resp r;
	json_object *msgs;

	sign_in("admin", &admin);
	uniq("hook-", name, sizeof(name));
	uniq("CW", chan, sizeof(chan));
	add_webhook(&admin, name, chan, id, sizeof(id));
	cr_assert_eq(audited(&admin, "connection.added", id), 1);

	get("/admin/connections", &admin, &r);
	cr_assert_eq(r.status, 200);
	expect_in(&r, name);
	expect_in(&r, "Incoming webhook");
	cr_assert_null(strstr(r.body, "/services/T"), "the webhook URL is on the page");
	th_resp_free(&r);
	/* The notice after the add names it. */
	snprintf(q, sizeof(q), "/admin/connections?done=added&c=%s", id);
	get(q, &admin, &r);
	expect_in(&r, "was added");
	expect_in(&r, name);
	th_resp_free(&r);

	body = test_result(&admin, id, "");
	cr_assert_not_null(strstr(body, "Slack answered: ok."), "%s", body);
	cr_assert_not_null(strstr(body, "The webhook took the message"), "%s", body);
	free(body);
	cr_assert_eq(audited(&admin, "connection.tested", id), 1);
	snprintf(q, sizeof(q), "/_fake/messages?channel=%s", chan);
	cr_assert_not_null(msgs = th_fake("FAKE_SLACK_URL", "GET", q, NULL));
	cr_assert_not_null(strstr(json_object_to_json_string(msgs),
	    "Approval hub connection test"), "%s", json_object_to_json_string(msgs));
	json_object_put(msgs);

	/* A webhook Slack refuses: the test says so, with the fix. */
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/fail",
	    "{\"method\":\"webhook\",\"error\":\"channel_is_archived\",\"count\":1}"));
	body = test_result(&admin, id, "");
	cr_assert_not_null(strstr(body, "Slack answered: <code>channel_is_archived</code>"), "%s",
	    body);
	cr_assert_not_null(strstr(body, "class=\"fix\""), "%s", body);
	free(body);
	/* The list shows it as the last error, with its fix. */
	get("/admin/connections", &admin, &r);
	expect_in(&r, "<code>channel_is_archived</code>");
	th_resp_free(&r);
}

Test(adminconn, bad_add_forms_say_why_inline)
{
	char name[64], token[128], team[32], in_ch[32], out_ch[32], fields[512];
	struct who admin;
	struct th_resp r;

	sign_in("admin", &admin);
	uniq("bad-", name, sizeof(name));
	post("/admin/connections", &admin, 0, NULL,
	    "kind=webhook&name=x&webhook_url=ftp%3A%2F%2Fexample.com%2Fhook", &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	expect_in(&r, "hooks.slack.com");
	th_resp_free(&r);
	uniq("T", team, sizeof(team));
	uniq("C", in_ch, sizeof(in_ch));
	uniq("C", out_ch, sizeof(out_ch));
	fake_workspace(team, token, sizeof(token), in_ch, out_ch);
	/* A default channel the bot is not in: the fix, the name kept, the token not. */
	snprintf(fields, sizeof(fields), "kind=bot&name=%s&token=%s&channel=%s", name, token,
	    out_ch);
	post("/admin/connections", &admin, 0, NULL, fields, &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	expect_in(&r, "/invite @");
	expect_in(&r, name);
	cr_assert_null(strstr(r.body, token), "the token came back on the page");
	th_resp_free(&r);
	snprintf(fields, sizeof(fields), "kind=bot&name=%s&token=xoxb-unknown-token", name);
	post("/admin/connections", &admin, 0, NULL, fields, &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	expect_in(&r, "invalid_auth");
	th_resp_free(&r);
	q2("SELECT count(*) FROM slack_connections WHERE name = $1", name, NULL, fields,
	    sizeof(fields));
	cr_assert_str_eq(fields, "0");
}

Test(adminconn, bot_token_channel_check_names_the_fix)
{
	char id[64], name[64], team[32], token[128], in_ch[32], out_ch[32], fields[256], v[64],
	    *body;
	struct who admin;
	struct th_resp r;

	sign_in("admin", &admin);
	uniq("T", team, sizeof(team));
	uniq("C", in_ch, sizeof(in_ch));
	uniq("C", out_ch, sizeof(out_ch));
	fake_workspace(team, token, sizeof(token), in_ch, out_ch);
	uniq("bot-", name, sizeof(name));
	add_bot(&admin, name, token, id, sizeof(id));
	get("/admin/connections", &admin, &r);
	expect_in(&r, "Slack app (bot token)");
	expect_in(&r, team);
	cr_assert_null(strstr(r.body, token), "the token is on the page");
	th_resp_free(&r);

	/* The bot is not in out_ch: the page says how to fix it. */
	snprintf(fields, sizeof(fields), "action=check&channel=%s", out_ch);
	act(&admin, id, "channel", fields, &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	expect_in(&r, "invite the bot with /invite @");
	th_resp_free(&r);
	/* A test message there: Slack's answer and the same fix. */
	snprintf(fields, sizeof(fields), "channel=%s", out_ch);
	body = test_result(&admin, id, fields);
	cr_assert_not_null(strstr(body, "Slack answered: <code>not_in_channel</code>"), "%s",
	    body);
	cr_assert_not_null(strstr(body, "/invite @"), "%s", body);
	free(body);

	snprintf(fields, sizeof(fields), "action=check&channel=%s", in_ch);
	act(&admin, id, "channel", fields, &r);
	expect_303(&r, "/admin/connections?done=channel_ok", NULL, 0);
	th_resp_free(&r);
	q2("SELECT coalesce(default_channel, '') FROM slack_connections WHERE id = $1", id, NULL,
	    v, sizeof(v));
	cr_assert_str_eq(v, "", "a check saves nothing");
	snprintf(fields, sizeof(fields), "action=save&channel=%s", in_ch);
	act(&admin, id, "channel", fields, &r);
	expect_303(&r, "/admin/connections?done=channel_saved", NULL, 0);
	th_resp_free(&r);
	q2("SELECT default_channel FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, in_ch);
	cr_assert_eq(audited(&admin, "connection.channel_set", id), 1);

	body = test_result(&admin, id, "");
	cr_assert_not_null(strstr(body, "Slack answered: ok."), "%s", body);
	cr_assert_not_null(strstr(body, "The message is in Slack (ts"), "%s", body);
	free(body);
}

Test(adminconn, default_disable_enable_are_audited)
{
	char a[64], b[64], na[64], nb[64], v[64];
	struct who admin;
	struct th_resp r;

	sign_in("admin", &admin);
	uniq("one-", na, sizeof(na));
	uniq("two-", nb, sizeof(nb));
	add_webhook(&admin, na, "CDEF1", a, sizeof(a));
	add_webhook(&admin, nb, "CDEF2", b, sizeof(b));
	act(&admin, b, "default", "", &r);
	expect_303(&r, "/admin/connections?done=default", NULL, 0);
	th_resp_free(&r);
	q2("SELECT id FROM slack_connections WHERE is_default", NULL, NULL, v, sizeof(v));
	cr_assert_str_eq(v, b);
	cr_assert_eq(audited(&admin, "connection.default_set", b), 1);

	act(&admin, a, "disable", "reason=maintenance+window", &r);
	expect_303(&r, "/admin/connections?done=disabled", NULL, 0);
	th_resp_free(&r);
	q2("SELECT disabled || '|' || disabled_reason FROM slack_connections WHERE id = $1", a,
	    NULL, v, sizeof(v));
	cr_assert_str_eq(v, "true|maintenance window");
	cr_assert_eq(audited(&admin, "connection.disabled", a), 1);
	get("/admin/connections", &admin, &r);
	expect_in(&r, "Disabled");
	expect_in(&r, "maintenance window");
	th_resp_free(&r);

	act(&admin, a, "enable", "", &r);
	expect_303(&r, "/admin/connections?done=enabled", NULL, 0);
	th_resp_free(&r);
	q2("SELECT disabled::text FROM slack_connections WHERE id = $1", a, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "false");
	cr_assert_eq(audited(&admin, "connection.enabled", a), 1);
	/* An unknown connection is a 404, not a change. */
	act(&admin, "00000000-0000-0000-0000-000000000000", "enable", "", &r);
	cr_assert_eq(r.status, 404, "%ld", r.status);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ banner */

Test(adminconn, banner_on_every_page_until_acknowledged_or_fixed)
{
	char id[64], name[64], v[16];
	struct who admin, req;
	struct th_resp r;

	sign_in("admin", &admin);
	sign_in("requester", &req);
	uniq("banner-", name, sizeof(name));
	add_webhook(&admin, name, "CBAN1", id, sizeof(id));
	cr_assert(!on_banner(&admin, "/requests", name));

	act(&admin, id, "disable", "", &r);
	th_resp_free(&r);
	/* Every page, every signed-in role; the fix link and the button for admins. */
	cr_assert(on_banner(&admin, "/requests", name), "not on the dashboard");
	cr_assert(on_banner(&admin, "/account/password", name));
	cr_assert(on_banner(&admin, "/admin", name));
	cr_assert(on_banner(&req, "/requests", name), "a requester does not see it");
	get("/requests", &admin, &r);
	expect_in(&r, "href=\"/admin/connections#conn-");
	expect_in(&r, "/acknowledge\"");
	th_resp_free(&r);
	get("/requests", &req, &r);
	cr_assert_null(strstr(r.body, "/acknowledge\""), "a requester may not acknowledge");
	th_resp_free(&r);
	/* Nobody signed in sees nothing of it. */
	get("/login", NULL, &r);
	cr_assert_null(strstr(r.body, "conn-banner"), "%s", r.body);
	th_resp_free(&r);
	/* A requester cannot acknowledge it. */
	act(&req, id, "acknowledge", "next=%2F", &r);
	cr_assert_eq(r.status, 403);
	th_resp_free(&r);

	/* Acknowledged from the banner: back where the admin was, banner gone. */
	act(&admin, id, "acknowledge", "next=%2Faccount%2Fpassword", &r);
	expect_303(&r, "/account/password", NULL, 0);
	th_resp_free(&r);
	cr_assert(!on_banner(&admin, "/requests", name), "still on the banner after acknowledging");
	cr_assert(!on_banner(&req, "/requests", name));
	cr_assert_eq(audited(&admin, "connection.acknowledged", id), 1);
	q2("SELECT disabled::text FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "true", "acknowledging does not enable");
	/* next= never leaves the hub. */
	act(&admin, id, "acknowledge", "next=https%3A%2F%2Fevil.example%2F", &r);
	{
		char loc[512], want[512];

		th_header(&r, "Location", loc, sizeof(loc));
		snprintf(want, sizeof(want), "%s/", th_env("PUBLIC_URL"));
		cr_assert_str_eq(loc, want);
	}
	th_resp_free(&r);

	/* The state changes again (Slack revoked the token): back on the banner. */
	q2("UPDATE slack_connections SET needs_admin_attention = true,"
	    " disabled_reason = 'token_revoked: Reinstall the app', disabled_at = now()"
	    " WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert(on_banner(&admin, "/requests", name), "a new problem is not on the banner");
	get("/requests", &admin, &r);
	expect_in(&r, "token_revoked: Reinstall the app");
	th_resp_free(&r);
	/* Fixed (enabled): gone without acknowledging. */
	act(&admin, id, "enable", "", &r);
	th_resp_free(&r);
	cr_assert(!on_banner(&admin, "/requests", name), "still on the banner once fixed");
}

Test(adminconn, hostile_names_stay_text)
{
	static const char hostile[] = "\"><img src=x onerror=alert(1)><script>alert(2)</script>";
	char id[64], name[128], v[8];
	struct who admin;
	struct th_resp r;

	sign_in("admin", &admin);
	uniq(hostile, name, sizeof(name));
	add_webhook(&admin, name, "CXSS1", id, sizeof(id));
	act(&admin, id, "disable", "", &r);
	th_resp_free(&r);
	get("/admin/connections", &admin, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_null(strstr(r.body, "<script>alert"), "raw script on the page");
	cr_assert_null(strstr(r.body, "<img src=x"), "raw img on the page");
	expect_in(&r, "&lt;script&gt;alert(2)&lt;/script&gt;");
	th_resp_free(&r);
	get("/requests", &admin, &r);
	cr_assert_null(strstr(r.body, "<script>alert"), "raw script in the banner");
	expect_in(&r, "&quot;&gt;&lt;img src=x");
	th_resp_free(&r);
	act(&admin, id, "enable", "", &r);
	th_resp_free(&r);
	q2("SELECT count(*) FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "1");
}

/* ------------------------------------------------------------ disconnect */

Test(adminconn, disconnect_revokes_the_token_and_deletes_the_secrets)
{
	char id[64], name[64], team[32], token[128], in_ch[32], out_ch[32], v[256], q[256],
	    auth[200];
	const char *h[2] = { auth, NULL };
	struct who admin;
	struct th_resp r;
	json_object *calls;

	sign_in("admin", &admin);
	uniq("T", team, sizeof(team));
	uniq("C", in_ch, sizeof(in_ch));
	uniq("C", out_ch, sizeof(out_ch));
	fake_workspace(team, token, sizeof(token), in_ch, out_ch);
	uniq("gone-", name, sizeof(name));
	add_bot(&admin, name, token, id, sizeof(id));

	/* Slack does not answer: nothing is deleted unless asked to. */
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/fail",
	    "{\"method\":\"auth.revoke\",\"error\":\"internal_error\",\"http_status\":503,"
	    "\"count\":1}"));
	act(&admin, id, "disconnect", "", &r);
	cr_assert_eq(r.status, 503, "%ld %s", r.status, r.body);
	expect_in(&r, "Slack did not revoke the token");
	th_resp_free(&r);
	q2("SELECT count(*) FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "1");

	act(&admin, id, "disconnect", "", &r);
	expect_303(&r, "/admin/connections?done=disconnected_revoked", NULL, 0);
	th_resp_free(&r);
	/* The fake got auth.revoke with the token... */
	snprintf(q, sizeof(q), "/_fake/calls?method=auth.revoke");
	cr_assert_not_null(calls = th_fake("FAKE_SLACK_URL", "GET", q, NULL));
	snprintf(v, sizeof(v), "Bearer %s", token);
	cr_assert_not_null(strstr(json_object_to_json_string_ext(calls,
	    JSON_C_TO_STRING_NOSLASHESCAPE), v), "no auth.revoke with the token: %s",
	    json_object_to_json_string(calls));
	json_object_put(calls);
	/* ...and the token is dead from then on. */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	snprintf(q, sizeof(q), "%s/api/auth.test", th_env("FAKE_SLACK_URL"));
	cr_assert_eq(th_http("POST", q, h, NULL, 0, &r), 0);
	expect_in(&r, "token_revoked");
	th_resp_free(&r);
	/* The row and its sealed secrets are gone; the audit row says so. */
	q2("SELECT count(*) FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "0");
	cr_assert_eq(audited(&admin, "connection.disconnected", id), 1);
	q2("SELECT detail->>'revoked' FROM audit_log WHERE action = 'connection.disconnected'"
	    " AND detail->>'connection_id' = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "true");
	q2("SELECT count(*) FROM audit_log WHERE detail::text LIKE '%' || $1 || '%'", token, NULL,
	    v, sizeof(v));
	cr_assert_str_eq(v, "0", "the token is in the audit log");
	get("/admin/connections?done=disconnected_revoked", &admin, &r);
	expect_in(&r, "Slack revoked its token");
	cr_assert_null(strstr(r.body, name), "still listed");
	th_resp_free(&r);
}

Test(adminconn, disconnect_a_webhook_or_anyway)
{
	char id[64], name[64], team[32], token[128], in_ch[32], out_ch[32], v[16];
	struct who admin;
	struct th_resp r;

	sign_in("admin", &admin);
	uniq("wgone-", name, sizeof(name));
	add_webhook(&admin, name, "CGONE1", id, sizeof(id));
	act(&admin, id, "disconnect", "", &r);
	expect_303(&r, "/admin/connections?done=disconnected_webhook", NULL, 0);
	th_resp_free(&r);
	q2("SELECT count(*) FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "0");
	cr_assert_eq(audited(&admin, "connection.disconnected", id), 1);

	uniq("T", team, sizeof(team));
	uniq("C", in_ch, sizeof(in_ch));
	uniq("C", out_ch, sizeof(out_ch));
	fake_workspace(team, token, sizeof(token), in_ch, out_ch);
	uniq("force-", name, sizeof(name));
	add_bot(&admin, name, token, id, sizeof(id));
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/fail",
	    "{\"method\":\"auth.revoke\",\"error\":\"internal_error\",\"http_status\":503,"
	    "\"count\":1}"));
	act(&admin, id, "disconnect", "force=1", &r);
	expect_303(&r, "/admin/connections?done=disconnected_kept", NULL, 0);
	th_resp_free(&r);
	q2("SELECT count(*) FROM slack_connections WHERE id = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "0");
	q2("SELECT detail->>'revoked' FROM audit_log WHERE action = 'connection.disconnected'"
	    " AND detail->>'connection_id' = $1", id, NULL, v, sizeof(v));
	cr_assert_str_eq(v, "false");
}
