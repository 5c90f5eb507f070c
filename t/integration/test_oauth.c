/*
 * The Slack install through the real nginx, dashboard and worker: the
 * redirect to Slack's authorize page (parameters, the state cookie), the
 * callback with every way its state can be wrong, the exchange in the
 * worker (a sealed token, a reinstall updating the same connection, a code
 * the fake refuses), token rotation by the worker's sweep (refresh, and a
 * refused refresh disabling the connection with the banner that doctor and
 * /metrics show), and the admin API /api/connections.
 *
 * The fake Slack (t/fakes/README.md) issues codes through
 * POST /_fake/oauth_code and rotates tokens; env.sh sets the fake's OAuth
 * client as SLACK_CLIENT_ID/SECRET.  Every test uses its own team ids and
 * names, so tests do not see each other's connections.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/form.h"
#include "testlib.h"

#define CALLBACK_PATH "/slack/oauth/callback"

/* ------------------------------------------------------------ helpers */

static void
uniq(const char *prefix, char *out, size_t len)
{
	static int n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%s%d%ld%d", prefix, (int)getpid() % 1000, ts.tv_nsec % 100000, ++n);
}

static PGconn *
db(void)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	return c;
}

/* One value of a one-row query ("" for NULL) into out. */
static void
q1(const char *sql, const char *p1, char *out, size_t outlen)
{
	PGconn *c = db();
	const char *params[1] = { p1 };
	PGresult *r = PQexecParams(c, sql, p1 ? 1 : 0, NULL, params, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
	cr_assert_eq(PQntuples(r), 1, "%s: %d rows", sql, PQntuples(r));
	snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

static void
exec2(const char *sql, const char *p1, const char *p2)
{
	PGconn *c = db();
	const char *params[2] = { p1, p2 };
	PGresult *r = PQexecParams(c, sql, p2 ? 2 : p1 ? 1 : 0, NULL, params, NULL, NULL, 0);

	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	    "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void
run_capture(const char *cmd, const char *marker, char *out, size_t outlen)
{
	char line[1024], *p;
	FILE *f;

	out[0] = '\0';
	cr_assert_not_null(f = popen(cmd, "r"), "popen %s", cmd);
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, marker)) != NULL) {
			p += strlen(marker);
			p[strcspn(p, "\r\n")] = '\0';
			snprintf(out, outlen, "%s", p);
		}
	}
	pclose(f);
	cr_assert(out[0] != '\0', "%s: no \"%s\" in its output", cmd, marker);
}

static void
admin_key(char *key, size_t keylen)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" key add-admin", th_env("top_builddir"));
	run_capture(cmd, "admin api key: ", key, keylen);
}

static void
source_key(char *key, size_t keylen)
{
	char cmd[512], name[64];

	uniq("src", name, sizeof(name));
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" source add '%s'",
	    th_env("top_builddir"), name);
	run_capture(cmd, "api key: ", key, keylen);
}

static void
api(const char *method, const char *path, const char *key, const char *body, struct th_resp *r)
{
	char auth[512];
	const char *h[3] = { auth, body ? "Content-Type: application/json" : NULL, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	cr_assert_eq(th_http(method, path, h, body, body ? strlen(body) : 0, r), 0,
	    "%s %s: transport error", method, path);
}

static json_object *
expect(struct th_resp *r, long status, const char *field)
{
	json_object *o = th_json(r), *v;

	cr_assert_eq(r->status, status, "expected %ld, got %ld: %s", status, r->status, r->body);
	cr_assert_not_null(o, "not JSON: %s", r->body);
	if (field != NULL) {
		cr_assert(json_object_object_get_ex(o, "field", &v), "no field: %s", r->body);
		cr_assert_str_eq(json_object_get_string(v), field, "%s", r->body);
	}
	return o;
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
	    json_object_to_json_string(o));
	return v != NULL ? json_object_get_string(v) : NULL;
}

/* The value of query parameter k in url, undecoded, into out. */
static int
param(const char *url, const char *k, char *out, size_t outlen)
{
	const char *p = strchr(url, '?');
	size_t kl = strlen(k), n;

	while (p != NULL) {
		p++;
		if (strncmp(p, k, kl) == 0 && p[kl] == '=') {
			p += kl + 1;
			n = strcspn(p, "&");
			snprintf(out, outlen, "%.*s", (int)n, p);
			return 0;
		}
		p = strchr(p, '&');
	}
	return -1;
}

/* GET /slack/install: the state (from Location) and the cookie's nonce. */
struct install {
	char	location[4096];
	char	cookie[512];
	char	state[128];
	char	nonce[128];
};

/* Installing needs a signed-in admin: one per test, signed in through /login. */
static const char *
admin_session(void)
{
	static char cookie[256];
	char email[128];

	if (cookie[0] == '\0') {
		th_user_add("admin", "install-admin-password", email, sizeof(email));
		cr_assert_eq(th_login(email, "install-admin-password", NULL, cookie,
		    sizeof(cookie), NULL), 303);
	}
	return cookie;
}

static void
install_start(struct install *in)
{
	struct th_resp r;
	char ck[320];
	const char *h[2] = { ck, NULL };
	const char *eq;

	memset(in, 0, sizeof(*in));
	snprintf(ck, sizeof(ck), "Cookie: hub_session=%s", admin_session());
	cr_assert_eq(th_http("GET", "/slack/install", h, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 302, "install: %ld %s", r.status, r.body);
	cr_assert_not_null(th_header(&r, "Location", in->location, sizeof(in->location)));
	cr_assert_not_null(th_header(&r, "Set-Cookie", in->cookie, sizeof(in->cookie)));
	cr_assert_eq(param(in->location, "state", in->state, sizeof(in->state)), 0, "%s",
	    in->location);
	cr_assert(strncmp(in->cookie, "hub_oauth=", 10) == 0, "%s", in->cookie);
	eq = in->cookie + 10;
	snprintf(in->nonce, sizeof(in->nonce), "%.*s", (int)strcspn(eq, ";"), eq);
	th_resp_free(&r);
}

/* A code at the fake for team (name), bound to our redirect URI. */
static void
fake_code(const char *team, const char *name, int rotate, int expires_in, char *code,
    size_t codelen)
{
	char body[1024];
	json_object *o;

	snprintf(body, sizeof(body), "{\"team_id\":\"%s\",\"team_name\":\"%s\","
	    "\"bot_user_id\":\"UB%s\",\"scope\":\"chat:write,users:read,commands\","
	    "\"authed_user_id\":\"UI%s\","
	    "\"rotate\":%s,\"expires_in\":%d,\"redirect_uri\":\"%s" CALLBACK_PATH "\"}",
	    team, name, team + 1, team + 1, rotate ? "true" : "false", expires_in,
	    th_env("PUBLIC_URL"));
	o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/oauth_code", body);
	cr_assert_not_null(o);
	snprintf(code, codelen, "%s", jstr(o, "code"));
	json_object_put(o);
}

/* GET the callback; cookie NULL: none. */
static void
callback(const char *query, const char *cookie, struct th_resp *r)
{
	char url[2048], ck[512];
	const char *h[2] = { ck, NULL };

	snprintf(url, sizeof(url), CALLBACK_PATH "?%s", query);
	snprintf(ck, sizeof(ck), "Cookie: hub_oauth=%s", cookie ? cookie : "");
	cr_assert_eq(th_http("GET", url, cookie ? h : NULL, NULL, 0, r), 0);
}

/* The status page the callback's page refreshes to. */
static void
status_url(const struct th_resp *r, char *out, size_t outlen)
{
	const char *p = strstr(r->body, "url=/slack/oauth/status/");

	cr_assert_not_null(p, "no refresh to the status page: %s", r->body);
	p += 4;
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "\""), p);
}

/* Poll the status page until it stops saying "Finishing"; its body. */
static char *
wait_status(const char *url)
{
	struct th_resp r;
	char *body;
	int i;

	for (i = 0; i < 150; i++) {
		cr_assert_eq(th_http("GET", url, NULL, NULL, 0, &r), 0);
		cr_assert_eq(r.status, 200, "%s: %ld %s", url, r.status, r.body);
		if (strstr(r.body, "Finishing the installation") == NULL) {
			body = r.body;
			r.body = NULL;
			th_resp_free(&r);
			return body;
		}
		cr_assert_not_null(strstr(r.body, "http-equiv=\"refresh\""), "%s", r.body);
		th_resp_free(&r);
		usleep(200000);
	}
	cr_assert_fail("%s never finished", url);
	return NULL;
}

/* Install team (name) all the way; the connection id into id. */
static void
install_team(const char *team, const char *name, int rotate, int expires_in, char *id,
    size_t idlen)
{
	struct install in;
	struct th_resp r;
	char code[256], q[1024], st[512], *body;

	install_start(&in);
	fake_code(team, name, rotate, expires_in, code, sizeof(code));
	snprintf(q, sizeof(q), "code=%s&state=%s", code, in.state);
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	status_url(&r, st, sizeof(st));
	th_resp_free(&r);
	body = wait_status(st);
	cr_assert_not_null(strstr(body, "Installed to"), "%s", body);
	cr_assert_not_null(strstr(body, name), "%s", body);
	free(body);
	q1("SELECT id FROM slack_connections WHERE team_id = $1", team, id, idlen);
}

/* Seal text with SECRET_KEY, as the hub does. */
static void
seal(const char *text, char *out, size_t outlen)
{
	struct hub_buf key = HUB_BUF_INIT(64), s = HUB_BUF_INIT(4096);
	struct hub_keyring ring;

	memset(&ring, 0, sizeof(ring));
	cr_assert_eq(hub_base64_decode(th_env("SECRET_KEY"), strlen(th_env("SECRET_KEY")), 0,
	    &key), HUB_CRYPTO_OK);
	cr_assert_eq(key.len, 32);
	cr_assert_eq(hub_keyring_add(&ring, (const unsigned char *)key.data), HUB_CRYPTO_OK);
	cr_assert_eq(hub_box_seal(&ring, text, strlen(text), &s), HUB_CRYPTO_OK);
	snprintf(out, outlen, "%s", s.data);
	hub_buf_release(&key);
	hub_buf_release(&s);
}

/* A worker that sweeps once and exits, so a test need not wait for the
 * stack's worker's next sweep. */
static void
sweep_now(void)
{
	th_sh("\"%s/bin/approvalhub-worker\" --once >/dev/null 2>&1", th_env("top_builddir"));
}

/* ------------------------------------------------------------ install */

Test(install, redirects_to_slack_with_state_and_cookie)
{
	struct install in;
	char want[2048], v[2048], n[8];

	install_start(&in);
	snprintf(want, sizeof(want), "%s/oauth/v2/authorize?", th_env("FAKE_SLACK_URL"));
	cr_assert(strncmp(in.location, want, strlen(want)) == 0, "%s", in.location);
	cr_assert_eq(param(in.location, "client_id", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "1111.2222");
	cr_assert_eq(param(in.location, "scope", v, sizeof(v)), 0);
	cr_assert_str_eq(v, "chat%3Awrite%2Cusers%3Aread%2Cusers%3Aread.email%2Cim%3Awrite"
	    "%2Cmpim%3Awrite%2Cchannels%3Aread%2Cgroups%3Aread%2Cchannels%3Ahistory"
	    "%2Cgroups%3Ahistory%2Cim%3Ahistory%2Cmpim%3Ahistory%2Ccommands");
	cr_assert_eq(param(in.location, "redirect_uri", v, sizeof(v)), 0);
	{
		struct hub_buf enc = HUB_BUF_INIT(4096);

		snprintf(want, sizeof(want), "%s" CALLBACK_PATH, th_env("PUBLIC_URL"));
		cr_assert_eq(hub_url_encode(want, strlen(want), &enc), 0);
		cr_assert_str_eq(v, enc.data);
		hub_buf_release(&enc);
	}
	cr_assert_geq(strlen(in.state), 40);
	cr_assert_geq(strlen(in.nonce), 40);
	cr_assert_str_neq(in.state, in.nonce);
	cr_assert_not_null(strstr(in.cookie, "; HttpOnly"), "%s", in.cookie);
	cr_assert_not_null(strstr(in.cookie, "; SameSite=Lax"), "%s", in.cookie);
	cr_assert_not_null(strstr(in.cookie, "; Path=/slack/oauth"), "%s", in.cookie);
	cr_assert_not_null(strstr(in.cookie, "; Max-Age=600"), "%s", in.cookie);
	cr_assert_null(strstr(in.cookie, "Secure"), "PUBLIC_URL is http: %s", in.cookie);
	/* Only hashes are stored, valid ten minutes. */
	q1("SELECT count(*) FROM oauth_states WHERE state_hash ="
	    " encode(sha256(convert_to($1, 'UTF8')), 'hex')"
	    " AND expires_at BETWEEN now() + interval '9 min' AND now() + interval '11 min'"
	    " AND used_at IS NULL", in.state, n, sizeof(n));
	cr_assert_str_eq(n, "1");
	q1("SELECT count(*) FROM oauth_states WHERE state_hash = $1", in.state, n, sizeof(n));
	cr_assert_str_eq(n, "0");
}

Test(install, callback_installs_through_the_worker_and_reinstall_updates)
{
	char team[32], name[64], id[64], id2[64], v[256], code[256], q[1024], st[512], *body;
	struct install in;
	struct th_resp r;

	uniq("T", team, sizeof(team));
	uniq("Acme ", name, sizeof(name));
	install_team(team, name, 1, 43200, id, sizeof(id));
	q1("SELECT concat_ws('|', name, type, bot_user_id, scopes, is_default OR true,"
	    " disabled, bot_token_enc LIKE 'v1.%', refresh_token_enc LIKE 'v1.%',"
	    " token_expires_at BETWEEN now() + interval '11 hours' AND now() + interval '13 hours')"
	    " FROM slack_connections WHERE id = $1::uuid", id, v, sizeof(v));
	{
		char want[256];

		snprintf(want, sizeof(want), "%s|SLACK_APP|UB%s|chat:write,users:read,commands|"
		    "t|f|t|t|t", name, team + 1);
		cr_assert_str_eq(v, want);
	}
	/* No plaintext secret anywhere in the row. */
	q1("SELECT count(*) FROM slack_connections c WHERE id = $1::uuid"
	    " AND row_to_json(c)::text LIKE '%xox%'", id, v, sizeof(v));
	cr_assert_str_eq(v, "0");
	/* A second install of the same team updates the same connection. */
	install_start(&in);
	fake_code(team, name, 0, 0, code, sizeof(code));
	snprintf(q, sizeof(q), "code=%s&state=%s", code, in.state);
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	status_url(&r, st, sizeof(st));
	th_resp_free(&r);
	body = wait_status(st);
	cr_assert_not_null(strstr(body, "Installed to"), "%s", body);
	free(body);
	q1("SELECT count(*) FROM slack_connections WHERE team_id = $1", team, v, sizeof(v));
	cr_assert_str_eq(v, "1");
	q1("SELECT id FROM slack_connections WHERE team_id = $1", team, id2, sizeof(id2));
	cr_assert_str_eq(id, id2);
	q1("SELECT concat_ws('|', refresh_token_enc IS NULL, token_expires_at IS NULL)"
	    " FROM slack_connections WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "t|t", "rotation off after a reinstall without it");
}

/* ------------------------------------------------------------ scopes */

/*
 * The bot scopes Slack documents for each Web API method ("Required
 * scopes" on docs.slack.dev/reference/methods/<method>), for the kinds of
 * conversation the hub uses: DMs, group DMs, public and private channels.
 * A method the hub calls must be listed here, so a new call makes this
 * test fail until its scopes are looked up.
 */
static const struct {
	const char	*method;
	const char	*scopes;
} documented[] = {
	{ "chat.postMessage",		"chat:write" },
	{ "chat.update",		"chat:write" },
	{ "chat.postEphemeral",		"chat:write" },
	{ "chat.delete",		"chat:write" },
	/* "must be requested at the same time as users:read" */
	{ "users.lookupByEmail",	"users:read.email,users:read" },
	{ "users.info",			"users:read" },
	{ "conversations.open",		"im:write,mpim:write" },
	{ "conversations.info",		"channels:read,groups:read" },
	{ "conversations.history",	"channels:history,groups:history,im:history,"
					"mpim:history" },
	{ "views.open",			"" },
	{ "views.push",			"" },
	{ "views.update",		"" },
	{ "views.publish",		"" },
	{ "auth.test",			"" },
	{ "auth.revoke",		"" },
	{ "oauth.v2.access",		"" },
};

/* Is word in the comma-separated list? */
static int
in_list(const char *list, const char *word, size_t n)
{
	const char *p = list;

	while (*p != '\0') {
		size_t m = strcspn(p, ",");

		if (m == n && strncmp(p, word, n) == 0)
			return 1;
		p += m + (p[m] == ',');
	}
	return 0;
}

static int
method_like(const char *s, size_t n)
{
	size_t i, dots = 0;

	if (n < 3 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.')
			dots++;
		else if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	}
	return dots > 0;
}

/* The method names the code passes to the Web API client, from the .c
 * files of dir, added to found (comma-separated, each once). */
static void
scan_calls(const char *dir, struct hub_buf *found)
{
	static const char *const callers[] = { "hub_connections_call(", "hub_slack_call(",
	    "hub_slack_call_limited(" };
	char path[2048];
	struct hub_buf src = HUB_BUF_INIT(8u << 20);
	struct dirent *e;
	DIR *d;
	FILE *f;
	size_t i, n, len;
	const char *p, *q, *end, *lit;

	snprintf(path, sizeof(path), "%s/%s", th_env("top_srcdir"), dir);
	cr_assert_not_null(d = opendir(path), "%s", path);
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		/* lib/ keeps its modules in one folder per layer. */
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			char sub[512];

			snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
			scan_calls(sub, found);
			continue;
		}
		if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0 ||
		    strncmp(e->d_name, "embed_", 6) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", th_env("top_srcdir"), dir, e->d_name);
		cr_assert_not_null(f = fopen(path, "r"), "%s", path);
		hub_buf_reset(&src);
		while ((n = fread(path, 1, sizeof(path), f)) > 0)
			cr_assert_eq(hub_buf_add(&src, path, n), HUB_BUF_OK);
		fclose(f);
		for (i = 0; i < sizeof(callers) / sizeof(callers[0]); i++)
			for (p = hub_buf_str(&src); (p = strstr(p, callers[i])) != NULL; p++) {
				if (p > src.data && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
					continue;
				/* The call's arguments end at ';' (a definition: '{'). */
				end = p + strcspn(p, ";{");
				if ((lit = memchr(p, '"', (size_t)(end - p))) == NULL)
					continue;
				lit++;
				if ((q = strchr(lit, '"')) == NULL || q > end ||
				    !method_like(lit, (size_t)(q - lit)) ||
				    in_list(hub_buf_str(found), lit, (size_t)(q - lit)))
					continue;
				if (found->len > 0)
					hub_buf_addc(found, ',');
				hub_buf_add(found, lit, (size_t)(q - lit));
			}
	}
	closedir(d);
	hub_buf_release(&src);
}

/* `approvalhub manifest`'s bot scopes, comma-separated, into out. */
static void
manifest_scopes(struct hub_buf *out)
{
	char cmd[1024], chunk[4096];
	struct hub_buf js = HUB_BUF_INIT(1u << 20);
	json_object *m, *bot;
	FILE *p;
	size_t n, i;

	snprintf(cmd, sizeof(cmd), "'%s/bin/approvalhub' manifest", th_env("top_builddir"));
	cr_assert_not_null(p = popen(cmd, "r"));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		cr_assert_eq(hub_buf_add(&js, chunk, n), HUB_BUF_OK);
	cr_assert_eq(pclose(p), 0, "approvalhub manifest failed: %s", hub_buf_str(&js));
	cr_assert_not_null(m = json_tokener_parse(hub_buf_str(&js)), "%s", hub_buf_str(&js));
	cr_assert(json_pointer_get(m, "/oauth_config/scopes/bot", &bot) == 0 &&
	    json_object_is_type(bot, json_type_array), "%s", hub_buf_str(&js));
	for (i = 0; i < json_object_array_length(bot); i++) {
		if (i > 0)
			hub_buf_addc(out, ',');
		hub_buf_adds(out, json_object_get_string(json_object_array_get_idx(bot, i)));
	}
	json_object_put(m);
	hub_buf_release(&js);
}

/* Every Web API method the code calls has its documented scopes both in
 * the app manifest and in the scope= the install asks Slack for. */
/* The person who approved the install gets a welcome DM through the
 * worker; the install is audited as the admin who started it. */
Test(install, welcome_dm_and_audit_after_install)
{
	char team[32], name[64], id[64], user[40], body[256], v[256];
	json_object *calls = NULL, *c, *a, *t;
	int i, found = 0;
	size_t k;

	uniq("T", team, sizeof(team));
	uniq("Welcome ", name, sizeof(name));
	snprintf(user, sizeof(user), "UI%s", team + 1);
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"name\":\"installer\"}]", user);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));
	install_team(team, name, 0, 0, id, sizeof(id));
	for (i = 0; i < 100 && !found; i++) {
		json_object_put(calls);
		calls = th_fake("FAKE_SLACK_URL", "GET", "/_fake/calls?method=chat.postMessage",
		    NULL);
		cr_assert_not_null(calls);
		for (k = 0; k < json_object_array_length(calls) && !found; k++) {
			c = json_object_array_get_idx(calls, k);
			if (json_object_object_get_ex(c, "args", &a) &&
			    json_object_object_get_ex(a, "channel", &t) &&
			    strcmp(json_object_get_string(t), user) == 0 &&
			    json_object_object_get_ex(a, "text", &t) &&
			    strstr(json_object_get_string(t), "`/approvals`") != NULL &&
			    json_object_object_get_ex(c, "response", &t) &&
			    json_object_get_boolean(json_object_object_get(t, "ok")))
				found = 1;
		}
		if (!found)
			usleep(200000);
	}
	cr_assert(found, "no welcome DM to %s: %s", user, json_object_to_json_string(calls));
	json_object_put(calls);
	q1("SELECT concat_ws('|', a.actor <> '', a.detail->>'actor_kind', a.via,"
	    " a.detail->>'actor_id' = c.installed_by::text, a.detail->>'reinstall')"
	    " FROM audit_log a JOIN slack_connections c ON c.id::text = a.detail->>'connection_id'"
	    " WHERE a.action = 'connection.installed' AND c.id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "t|user|web|t|false");
}

Test(install, scopes_cover_every_web_api_method)
{
	struct hub_buf found = HUB_BUF_INIT(8192), manifest = HUB_BUF_INIT(8192),
	    asked = HUB_BUF_INIT(8192);
	struct install in;
	char enc[4096];
	const char *m, *sc;
	size_t i, n, k, methods = 0;

	scan_calls("lib", &found);
	scan_calls("bin", &found);
	scan_calls("cgi-bin", &found);
	manifest_scopes(&manifest);
	install_start(&in);
	cr_assert_eq(param(in.location, "scope", enc, sizeof(enc)), 0, "%s", in.location);
	cr_assert_eq(hub_url_decode(enc, strlen(enc), 0, &asked), 0);
	/* The grep works: the calls every deployment makes are found. */
	cr_assert(in_list(hub_buf_str(&found), "chat.postMessage", 16) &&
	    in_list(hub_buf_str(&found), "conversations.history", 21) &&
	    in_list(hub_buf_str(&found), "users.lookupByEmail", 19), "found: %s",
	    hub_buf_str(&found));
	for (m = hub_buf_str(&found); *m != '\0'; m += n + (m[n] == ',')) {
		n = strcspn(m, ",");
		methods++;
		for (i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
			if (strlen(documented[i].method) == n &&
			    strncmp(documented[i].method, m, n) == 0)
				break;
		cr_assert_lt(i, sizeof(documented) / sizeof(documented[0]),
		    "the hub calls %.*s: add the scopes Slack documents for it to this test "
		    "and to lib/slack/slackscopes.c", (int)n, m);
		for (sc = documented[i].scopes; *sc != '\0'; sc += k + (sc[k] == ',')) {
			k = strcspn(sc, ",");
			cr_expect(in_list(hub_buf_str(&manifest), sc, k),
			    "%s needs %.*s; the manifest has %s", documented[i].method, (int)k, sc,
			    hub_buf_str(&manifest));
			cr_expect(in_list(hub_buf_str(&asked), sc, k),
			    "%s needs %.*s; /slack/install asks for %s", documented[i].method,
			    (int)k, sc, hub_buf_str(&asked));
		}
	}
	cr_expect_geq(methods, 8, "found: %s", hub_buf_str(&found));
	/* One list: the install asks for what the manifest declares. */
	cr_expect_str_eq(hub_buf_str(&asked), hub_buf_str(&manifest));
	hub_buf_release(&found);
	hub_buf_release(&manifest);
	hub_buf_release(&asked);
}

Test(install, state_is_single_use)
{
	char team[32], code[256], q[1024], n1[16], n2[16];
	struct install in;
	struct th_resp r;

	uniq("T", team, sizeof(team));
	install_start(&in);
	fake_code(team, team, 0, 0, code, sizeof(code));
	snprintf(q, sizeof(q), "code=%s&state=%s", code, in.state);
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	q1("SELECT count(*) FROM jobs WHERE kind = 'oauth_exchange'", NULL, n1, sizeof(n1));
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, "cannot be used"), "%s", r.body);
	th_resp_free(&r);
	q1("SELECT count(*) FROM jobs WHERE kind = 'oauth_exchange'", NULL, n2, sizeof(n2));
	cr_assert_str_eq(n1, n2, "a replay queues nothing");
}

Test(install, expired_state_is_refused)
{
	struct install in;
	struct th_resp r;
	char q[1024], n[16];

	install_start(&in);
	exec2("UPDATE oauth_states SET created_at = now() - interval '11 min',"
	    " expires_at = now() - interval '1 min'"
	    " WHERE state_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", in.state, NULL);
	snprintf(q, sizeof(q), "code=whatever-code&state=%s", in.state);
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	q1("SELECT count(*) FROM oauth_states WHERE used_at IS NOT NULL"
	    " AND state_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", in.state, n,
	    sizeof(n));
	cr_assert_str_eq(n, "0");
}

Test(install, cookie_missing_or_from_another_browser_is_refused)
{
	struct install in, other;
	struct th_resp r;
	char team[32], code[256], q[1024];

	uniq("T", team, sizeof(team));
	install_start(&in);
	install_start(&other);
	fake_code(team, team, 0, 0, code, sizeof(code));
	snprintf(q, sizeof(q), "code=%s&state=%s", code, in.state);
	callback(q, NULL, &r);
	cr_assert_eq(r.status, 400, "no cookie: %ld %s", r.status, r.body);
	th_resp_free(&r);
	callback(q, other.nonce, &r);
	cr_assert_eq(r.status, 400, "another browser's cookie: %ld %s", r.status, r.body);
	th_resp_free(&r);
	callback(q, "not-a-nonce", &r);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	/* Nothing was spent: the right browser still finishes. */
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	th_resp_free(&r);
}

Test(install, access_denied_is_a_friendly_page)
{
	struct install in;
	struct th_resp r;
	char q[1024], n[16];

	install_start(&in);
	snprintf(q, sizeof(q), "error=access_denied&state=%s", in.state);
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, "cancelled"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "/slack/install"), "%s", r.body);
	th_resp_free(&r);
	q1("SELECT count(*) FROM oauth_states WHERE used_at IS NOT NULL"
	    " AND state_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", in.state, n,
	    sizeof(n));
	cr_assert_str_eq(n, "1", "the state is spent");
}

Test(install, code_refused_by_slack_shows_the_error)
{
	struct install in;
	struct th_resp r;
	char q[1024], st[512], *body;

	install_start(&in);
	snprintf(q, sizeof(q), "code=1234.not-a-code&state=%s", in.state);
	callback(q, in.nonce, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	status_url(&r, st, sizeof(st));
	th_resp_free(&r);
	body = wait_status(st);
	cr_assert_not_null(strstr(body, "The installation failed"), "%s", body);
	cr_assert_not_null(strstr(body, "invalid_code"), "%s", body);
	cr_assert_not_null(strstr(body, "/slack/install"), "%s", body);
	free(body);
	/* A status token is needed to read it. */
	st[strlen(st) - 3] = st[strlen(st) - 3] == 'A' ? 'B' : 'A';
	cr_assert_eq(th_http("GET", st, NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 404, "%ld", r.status);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ rotation */

/* Wait until sql (one value, $1 = id) reads want. */
static void
wait_value(const char *sql, const char *id, const char *want)
{
	char v[512];
	int i;

	for (i = 0; i < 60; i++) {
		if (i % 10 == 0)
			sweep_now();
		q1(sql, id, v, sizeof(v));
		if (strcmp(v, want) == 0)
			return;
		usleep(500000);
	}
	cr_assert_fail("%s: %s, not %s", sql, v, want);
}

Test(rotation, sweep_refreshes_a_token_with_an_hour_left)
{
	char team[32], id[64], old_tok[4096], old_ref[4096], v[64];

	uniq("T", team, sizeof(team));
	install_team(team, team, 1, 43200, id, sizeof(id));
	q1("SELECT bot_token_enc FROM slack_connections WHERE id = $1::uuid", id, old_tok,
	    sizeof(old_tok));
	q1("SELECT refresh_token_enc FROM slack_connections WHERE id = $1::uuid", id, old_ref,
	    sizeof(old_ref));
	exec2("UPDATE slack_connections SET token_expires_at = now() + interval '1 hour'"
	    " WHERE id = $1::uuid", id, NULL);
	wait_value("SELECT token_expires_at > now() + interval '11 hours'"
	    " FROM slack_connections WHERE id = $1::uuid", id, "t");
	q1("SELECT concat_ws('|', disabled, needs_admin_attention) FROM slack_connections"
	    " WHERE id = $1::uuid", id, v, sizeof(v));
	cr_assert_str_eq(v, "f|f");
	{
		char t[4096], rf[4096];

		q1("SELECT bot_token_enc FROM slack_connections WHERE id = $1::uuid", id, t,
		    sizeof(t));
		q1("SELECT refresh_token_enc FROM slack_connections WHERE id = $1::uuid", id, rf,
		    sizeof(rf));
		cr_assert_str_neq(t, old_tok, "a new access token");
		cr_assert_str_neq(rf, old_ref, "a new refresh token");
	}
}

Test(rotation, refused_refresh_disables_with_the_banner)
{
	char team[32], id[64], sealed[4096], out[256], cmd[512], metric[128];
	struct th_resp r;
	FILE *f;
	char line[1024];
	int warned = 0;

	uniq("T", team, sizeof(team));
	install_team(team, team, 1, 43200, id, sizeof(id));
	seal("xoxe-1-not-a-refresh-token", sealed, sizeof(sealed));
	exec2("UPDATE slack_connections SET refresh_token_enc = $2,"
	    " token_expires_at = now() + interval '1 hour' WHERE id = $1::uuid", id, sealed);
	wait_value("SELECT disabled FROM slack_connections WHERE id = $1::uuid", id, "t");
	q1("SELECT concat_ws('|', needs_admin_attention, disabled_reason LIKE"
	    " 'invalid_refresh_token:%') FROM slack_connections WHERE id = $1::uuid", id, out,
	    sizeof(out));
	cr_assert_str_eq(out, "t|t");

	/* doctor warns, /health stays healthy, /metrics counts it. */
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" doctor 2>&1", th_env("top_builddir"));
	cr_assert_not_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "warn connection ", 16) == 0 && strstr(line, team) != NULL &&
		    strstr(line, "is disabled: invalid_refresh_token") != NULL)
			warned = 1;
	pclose(f);
	cr_assert(warned, "doctor printed no warning for %s", team);
	cr_assert_eq(th_http("GET", "/health", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	cr_assert_eq(th_http("GET", "/metrics", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	snprintf(metric, sizeof(metric), "hub_slack_connections{state=\"disabled\"} ");
	cr_assert_not_null(strstr(r.body, metric), "%s", r.body);
	cr_assert_str_neq(strstr(r.body, metric) + strlen(metric), "0\n");
	cr_assert_not_null(strstr(r.body, "hub_slack_connections{state=\"ok\"} "));
	cr_assert_not_null(strstr(r.body, "hub_slack_connections{state=\"attention\"} "));
	th_resp_free(&r);
}

/* ------------------------------------------------------------ /api/connections */

/* A bot token the fake knows, in team, and a channel the bot is (not) in. */
static void
fake_workspace(const char *team, char *token, size_t toklen, const char *in_ch,
    const char *out_ch)
{
	char body[1024];
	json_object *o;

	snprintf(token, toklen, "xoxb-%s-apitest", team);
	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\",\"team_name\":\"%s\","
	    "\"bot_user_id\":\"UB%s\",\"bot_id\":\"BB%s\"}]", token, team, team, team + 1,
	    team + 1);
	json_object_put(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body));
	cr_assert_not_null(o);
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"name\":\"in-%s\",\"is_member\":true},"
	    "{\"id\":\"%s\",\"name\":\"out-%s\",\"is_member\":false}]", in_ch, team, out_ch, team);
	json_object_put(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/channels", body));
	cr_assert_not_null(o);
}

/* Poll the test job until it finished; its object. */
static json_object *
wait_test(const char *key, const char *url)
{
	struct th_resp r;
	json_object *o, *ok;
	int i;

	for (i = 0; i < 100; i++) {
		api("GET", url, key, NULL, &r);
		o = expect(&r, 200, NULL);
		th_resp_free(&r);
		if (json_object_object_get_ex(o, "ok", &ok) && ok != NULL)
			return o;
		json_object_put(o);
		usleep(200000);
	}
	cr_assert_fail("%s never finished", url);
	return NULL;
}

Test(api, connections_are_admin_only)
{
	char key[256];
	struct th_resp r;

	source_key(key, sizeof(key));
	api("GET", "/api/connections", key, NULL, &r);
	json_object_put(expect(&r, 403, NULL));
	th_resp_free(&r);
	api("POST", "/api/connections", key, "{}", &r);
	json_object_put(expect(&r, 403, NULL));
	th_resp_free(&r);
	api("POST", "/api/connections/00000000-0000-0000-0000-000000000000/test", key, "{}", &r);
	json_object_put(expect(&r, 403, NULL));
	th_resp_free(&r);
}

Test(api, create_list_patch_test_acknowledge)
{
	char key[256], team[32], token[128], in_ch[32], out_ch[32], name[64], body[2048],
	    id[64], path[256], hookurl[512], wname[64], wid[64], url[256];
	struct th_resp r;
	json_object *o, *v;

	admin_key(key, sizeof(key));
	uniq("T", team, sizeof(team));
	uniq("C", in_ch, sizeof(in_ch));
	uniq("C", out_ch, sizeof(out_ch));
	fake_workspace(team, token, sizeof(token), in_ch, out_ch);
	uniq("conn-", name, sizeof(name));

	/* A channel the bot is not in: 400 naming the fix. */
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"SLACK_APP\",\"token\":\"%s\","
	    "\"default_channel\":\"%s\"}", name, token, out_ch);
	api("POST", "/api/connections", key, body, &r);
	o = expect(&r, 400, "default_channel");
	cr_assert_not_null(strstr(jstr(o, "error"), "/invite"), "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	/* Missing token, unknown type, unknown field. */
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"SLACK_APP\"}", name);
	api("POST", "/api/connections", key, body, &r);
	json_object_put(expect(&r, 400, "token"));
	th_resp_free(&r);
	api("POST", "/api/connections", key, "{\"name\":\"x\",\"type\":\"FAX\"}", &r);
	json_object_put(expect(&r, 400, "type"));
	th_resp_free(&r);
	api("POST", "/api/connections", key, "{\"name\":\"x\",\"colour\":1}", &r);
	json_object_put(expect(&r, 400, "colour"));
	th_resp_free(&r);

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"SLACK_APP\",\"token\":\"%s\","
	    "\"default_channel\":\"%s\"}", name, token, in_ch);
	api("POST", "/api/connections", key, body, &r);
	o = expect(&r, 201, NULL);
	cr_assert_null(strstr(r.body, token), "the token came back: %s", r.body);
	cr_assert_null(strstr(r.body, "_enc"), "%s", r.body);
	snprintf(id, sizeof(id), "%s", jstr(o, "id"));
	cr_assert_str_eq(jstr(o, "team_id"), team);
	cr_assert_str_eq(jstr(o, "default_channel"), in_ch);
	cr_assert_str_eq(jstr(o, "type"), "SLACK_APP");
	json_object_put(o);
	th_resp_free(&r);
	api("POST", "/api/connections", key, body, &r);
	json_object_put(expect(&r, 409, "name"));
	th_resp_free(&r);

	/* A webhook connection: its URL is a secret too. */
	{
		json_object *hook = th_fake("FAKE_SLACK_URL", "POST", "/_fake/webhooks",
		    "{\"channel\":\"CWEBHOOK2\"}");

		cr_assert_not_null(hook);
		snprintf(hookurl, sizeof(hookurl), "%s%s", th_env("FAKE_SLACK_URL"),
		    jstr(hook, "path"));
		json_object_put(hook);
	}
	uniq("hook-", wname, sizeof(wname));
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"INCOMING_WEBHOOK\","
	    "\"webhook_url\":\"%s\"}", wname, hookurl);
	api("POST", "/api/connections", key, body, &r);
	o = expect(&r, 201, NULL);
	snprintf(wid, sizeof(wid), "%s", jstr(o, "id"));
	cr_assert_null(strstr(r.body, "/services/"), "the webhook URL came back: %s", r.body);
	json_object_put(o);
	th_resp_free(&r);

	/* The list: both, no secrets. */
	api("GET", "/api/connections", key, NULL, &r);
	o = expect(&r, 200, NULL);
	cr_assert_not_null(strstr(r.body, name));
	cr_assert_not_null(strstr(r.body, wname));
	cr_assert_null(strstr(r.body, "xox"), "%s", r.body);
	cr_assert_null(strstr(r.body, "/services/"), "%s", r.body);
	cr_assert_null(strstr(r.body, "_enc"), "%s", r.body);
	cr_assert(json_object_object_get_ex(o, "count", &v));
	json_object_put(o);
	th_resp_free(&r);

	/* PATCH: default, disable with a reason, banner, acknowledge, enable. */
	snprintf(path, sizeof(path), "/api/connections/%s", id);
	api("PATCH", path, key, "{\"default\":true}", &r);
	o = expect(&r, 200, NULL);
	cr_assert(json_object_get_boolean(json_object_object_get(o, "is_default")));
	json_object_put(o);
	th_resp_free(&r);
	api("PATCH", path, key, "{}", &r);
	json_object_put(expect(&r, 400, NULL));
	th_resp_free(&r);
	api("PATCH", path, key, "{\"reason\":\"x\"}", &r);
	json_object_put(expect(&r, 400, "reason"));
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"default_channel\":\"%s\"}", out_ch);
	api("PATCH", path, key, body, &r);
	json_object_put(expect(&r, 400, "default_channel"));
	th_resp_free(&r);
	api("PATCH", path, key, "{\"disabled\":true,\"reason\":\"maintenance\"}", &r);
	o = expect(&r, 200, NULL);
	cr_assert(json_object_get_boolean(json_object_object_get(o, "disabled")));
	cr_assert_str_eq(jstr(o, "disabled_reason"), "maintenance");
	cr_assert(!json_object_get_boolean(json_object_object_get(o, "needs_admin_attention")));
	json_object_put(o);
	th_resp_free(&r);
	exec2("UPDATE slack_connections SET needs_admin_attention = true WHERE id = $1::uuid", id,
	    NULL);
	api("PATCH", path, key, "{\"acknowledge\":true}", &r);
	o = expect(&r, 200, NULL);
	cr_assert(!json_object_get_boolean(json_object_object_get(o, "needs_admin_attention")));
	cr_assert(json_object_get_boolean(json_object_object_get(o, "disabled")),
	    "acknowledging does not enable");
	json_object_put(o);
	th_resp_free(&r);
	api("PATCH", path, key, "{\"disabled\":false}", &r);
	o = expect(&r, 200, NULL);
	cr_assert(!json_object_get_boolean(json_object_object_get(o, "disabled")));
	cr_assert(json_object_object_get_ex(o, "disabled_reason", &v) && v == NULL);
	json_object_put(o);
	th_resp_free(&r);
	api("PATCH", "/api/connections/00000000-0000-0000-0000-000000000000", key,
	    "{\"acknowledge\":true}", &r);
	json_object_put(expect(&r, 404, NULL));
	th_resp_free(&r);

	/* The test: 202 and a job; the worker posts; the job reports. */
	snprintf(path, sizeof(path), "/api/connections/%s/test", id);
	api("POST", path, key, "{}", &r);
	o = expect(&r, 202, NULL);
	snprintf(url, sizeof(url), "%s", jstr(o, "status_url"));
	json_object_put(o);
	th_resp_free(&r);
	o = wait_test(key, url);
	cr_assert(json_object_get_boolean(json_object_object_get(o, "ok")),
	    "%s", json_object_to_json_string(o));
	cr_assert_not_null(jstr(o, "ts"));
	cr_assert_str_eq(jstr(o, "channel"), in_ch);
	json_object_put(o);
	snprintf(body, sizeof(body), "/_fake/messages?channel=%s", in_ch);
	o = th_fake("FAKE_SLACK_URL", "GET", body, NULL);
	cr_assert(o != NULL && json_object_is_type(o, json_type_array) &&
	    json_object_array_length(o) >= 1, "no test message in %s", in_ch);
	json_object_put(o);
	/* A channel the bot is not in: failed, with the fix. */
	snprintf(body, sizeof(body), "{\"channel\":\"%s\"}", out_ch);
	api("POST", path, key, body, &r);
	o = expect(&r, 202, NULL);
	snprintf(url, sizeof(url), "%s", jstr(o, "status_url"));
	json_object_put(o);
	th_resp_free(&r);
	o = wait_test(key, url);
	cr_assert(!json_object_get_boolean(json_object_object_get(o, "ok")));
	cr_assert_str_eq(jstr(o, "error"), "not_in_channel", "%s", json_object_to_json_string(o));
	cr_assert_not_null(strstr(jstr(o, "fix"), "/invite"), "%s", json_object_to_json_string(o));
	json_object_put(o);
	/* The webhook's test; a channel is refused for it. */
	snprintf(path, sizeof(path), "/api/connections/%s/test", wid);
	api("POST", path, key, "{\"channel\":\"C123\"}", &r);
	json_object_put(expect(&r, 400, "channel"));
	th_resp_free(&r);
	api("POST", path, key, "{}", &r);
	o = expect(&r, 202, NULL);
	snprintf(url, sizeof(url), "%s", jstr(o, "status_url"));
	json_object_put(o);
	th_resp_free(&r);
	o = wait_test(key, url);
	cr_assert(json_object_get_boolean(json_object_object_get(o, "ok")),
	    "%s", json_object_to_json_string(o));
	json_object_put(o);
	/* Another connection's job is not found under this one. */
	snprintf(path, sizeof(path), "/api/connections/%s/test/%s", id, strrchr(url, '/') + 1);
	api("GET", path, key, NULL, &r);
	json_object_put(expect(&r, 404, NULL));
	th_resp_free(&r);
}
