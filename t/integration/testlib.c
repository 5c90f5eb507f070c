#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>

#include <libpq-fe.h>

#include <curl/curl.h>
#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "approval/outbound.h"
#include "store/db.h"
#include "base/form.h"
#include "store/migrate.h"
#include "store/settings.h"
#include "slack/slacksig.h"
#include "testlib.h"

const char *
th_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		cr_assert_fail("environment variable %s is not set (run under t/integration/env.sh)", name);
	return v;
}

/* th_http_source(): the local address connections are made from. */
static char http_source[64];

void
th_http_source(const char *addr)
{
	snprintf(http_source, sizeof(http_source), "%s", addr != NULL ? addr : "");
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct hub_buf *b = arg;

	return hub_buf_add(b, p, size * n) == HUB_BUF_OK ? size * n : 0;
}

static size_t
collect_header(char *p, size_t size, size_t n, void *arg)
{
	struct hub_buf *b = arg;
	size_t i, len = size * n, colon = len;

	for (i = 0; i < len && colon == len; i++)
		if (p[i] == ':')
			colon = i;
	for (i = 0; i < len; i++)
		if (hub_buf_addc(b, i < colon ? (char)tolower((unsigned char)p[i]) : p[i]) != HUB_BUF_OK)
			return 0;
	return len;
}

int
th_http(const char *method, const char *url, const char *const *headers,
    const char *body, size_t len, struct th_resp *r)
{
	struct hub_buf full = HUB_BUF_INIT(8192), b = HUB_BUF_INIT(64u << 20), h = HUB_BUF_INIT(1u << 20);
	struct curl_slist *hl = NULL;
	CURL *c;
	CURLcode cc;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (url[0] == '/')
		hub_buf_printf(&full, "%s%s", th_env("HUB_URL"), url);
	else
		hub_buf_adds(&full, url);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, full.data);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (http_source[0] != '\0') {
		char iface[80];

		snprintf(iface, sizeof(iface), "host!%s", http_source);
		curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	hl = curl_slist_append(hl, "Expect:");
	for (i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	hub_buf_release(&full);
	r->body = hub_buf_detach(&b, &r->len);
	r->headers = hub_buf_detach(&h, NULL);
	if (cc != CURLE_OK) {
		/* info, not warn: Criterion 2.4 exits 1 after any warning, and
		 * callers that poll expect refused connections. */
		cr_log_info("HTTP %s %s: %s", method, url, curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

void
th_resp_free(struct th_resp *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

const char *
th_header(const struct th_resp *r, const char *name, char *out, size_t outlen)
{
	char key[128];
	const char *p, *e;
	size_t i, n;

	n = strlen(name);
	if (n + 3 > sizeof(key))
		return NULL;
	key[0] = '\n';
	for (i = 0; i < n; i++)
		key[i + 1] = (char)tolower((unsigned char)name[i]);
	key[n + 1] = ':';
	key[n + 2] = '\0';
	if ((p = strstr(r->headers, key)) == NULL)
		return NULL;
	p += n + 2;
	while (*p == ' ')
		p++;
	for (e = p; *e && *e != '\r' && *e != '\n'; e++)
		;
	snprintf(out, outlen, "%.*s", (int)(e - p), p);
	return out;
}

json_object *
th_json(const struct th_resp *r)
{
	return r->body ? json_tokener_parse(r->body) : NULL;
}

int
th_slack_post(const char *url, const char *content_type, const char *body,
    size_t len, long ts, struct th_resp *r)
{
	char tsbuf[32], sig[HUB_SIG_LEN], h_ct[128], h_ts[64], h_sig[128];
	const char *hdrs[4];

	snprintf(tsbuf, sizeof(tsbuf), "%ld", ts);
	hub_sig_sign("v0", th_env("SLACK_SIGNING_SECRET"), tsbuf, body, len, sig);
	snprintf(h_ct, sizeof(h_ct), "Content-Type: %s", content_type);
	snprintf(h_ts, sizeof(h_ts), "X-Slack-Request-Timestamp: %s", tsbuf);
	snprintf(h_sig, sizeof(h_sig), "X-Slack-Signature: %s", sig);
	hdrs[0] = h_ct;
	hdrs[1] = h_ts;
	hdrs[2] = h_sig;
	hdrs[3] = NULL;
	return th_http("POST", url, hdrs, body, len, r);
}

json_object *
th_fake(const char *env_base, const char *method, const char *path, const char *json_body)
{
	struct hub_buf url = HUB_BUF_INIT(4096);
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	struct th_resp r;
	json_object *o = NULL;

	hub_buf_printf(&url, "%s%s", th_env(env_base), path);
	if (th_http(method, url.data, hdrs, json_body, json_body ? strlen(json_body) : 0, &r) == 0)
		o = th_json(&r);
	th_resp_free(&r);
	hub_buf_release(&url);
	return o;
}

int
th_sh(const char *fmt, ...)
{
	struct hub_buf cmd = HUB_BUF_INIT(65536);
	va_list ap;
	int st;

	va_start(ap, fmt);
	hub_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	st = system(cmd.data);
	hub_buf_release(&cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static PGconn *
admin_conn(void)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "admin connect: %s", PQerrorMessage(c));
	return c;
}

void
th_admin_sql(const char *sql)
{
	PGconn *c = admin_conn();
	PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);

	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

void
th_db_url(const char *name, char *out, size_t outlen)
{
	static const char *const keep[] = { "host", "hostaddr", "port", "user", "password",
	    "sslmode" };
	struct hub_buf b = HUB_BUF_INIT(outlen - 1);
	PQconninfoOption *opts, *o;
	char *err = NULL;
	size_t i;

	opts = PQconninfoParse(th_env("DATABASE_URL"), &err);
	cr_assert_not_null(opts, "DATABASE_URL: %s", err ? err : "?");
	hub_buf_printf(&b, "postgresql:///%s", name);
	for (o = opts; o->keyword != NULL; o++)
		for (i = 0; i < HUB_NELEM(keep); i++)
			if (o->val != NULL && *o->val && strcmp(o->keyword, keep[i]) == 0) {
				hub_buf_printf(&b, "%s%s=", strchr(hub_buf_str(&b), '?') ? "&" : "?",
				    o->keyword);
				cr_assert_eq(hub_url_encode(o->val, strlen(o->val), &b), 0);
			}
	PQconninfoFree(opts);
	cr_assert_lt(b.len, outlen, "database URL too long");
	snprintf(out, outlen, "%s", hub_buf_str(&b));
	hub_buf_release(&b);
}

void
th_db_create(struct th_db *t)
{
	unsigned char rnd[6];
	char sql[128];
	struct hub_db *db = NULL;
	size_t i;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	memcpy(t->name, "t_", 3);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(t->name + 2 + 2 * i, 3, "%02x", rnd[i]);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->name);
	th_admin_sql(sql);
	th_db_url(t->name, t->url, sizeof(t->url));
	cr_assert_eq(hub_db_connect_limits(t->url, NULL, &db), HUB_DB_OK);
	cr_assert_eq(hub_migrate_run(db, NULL), HUB_MIGRATE_OK, "%s", hub_db_last_error(db));
	th_allow_loopback_callbacks(db);
	hub_db_close(db);
}

void
th_allow_loopback_callbacks(struct hub_db *db)
{
	char err[160];

	cr_assert_eq(hub_settings_set(db, "callbacks.allow_networks", "127.0.0.1/32", "test",
	    err, sizeof(err)), HUB_SETTINGS_OK, "%s", err);
}

void
th_db_drop(struct th_db *t)
{
	char sql[128];

	if (t->name[0] == '\0')
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
	th_admin_sql(sql);
	t->name[0] = '\0';
}

void
th_capture(const char *cmd, const char *marker, char *out, size_t outlen)
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
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
	cr_assert(out[0] != '\0', "%s: no \"%s\" in its output", cmd, marker);
}

void
th_source_key(const char *name, char *key, size_t keylen)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" source add '%s'",
	    th_env("top_builddir"), name);
	th_capture(cmd, "api key: ", key, keylen);
}

void
th_admin_key(char *key, size_t keylen)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" key add-admin", th_env("top_builddir"));
	th_capture(cmd, "admin api key: ", key, keylen);
}

void
th_api(const char *method, const char *path, const char *key, const char *ctype,
    const char *body, struct th_resp *r)
{
	char auth[512], ct[128];
	const char *h[4];
	int n = 0;

	if (key != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
		h[n++] = auth;
	}
	if (body != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "application/json");
		h[n++] = ct;
	}
	h[n] = NULL;
	cr_assert_eq(th_http(method, path, h, body, body ? strlen(body) : 0, r), 0,
	    "%s %s: transport error", method, path);
}

json_object *
th_expect(struct th_resp *r, long status, const char *field)
{
	json_object *o = th_json(r), *v;

	cr_assert_eq(r->status, status, "expected %ld, got %ld: %s", status, r->status, r->body);
	cr_assert_not_null(o, "not JSON: %s", r->body);
	if (status >= 400) {
		cr_assert(json_object_object_get_ex(o, "error", &v), "no error: %s", r->body);
		cr_assert(json_object_is_type(v, json_type_string));
		if (field != NULL) {
			cr_assert(json_object_object_get_ex(o, "field", &v),
			    "no field (wanted %s): %s", field, r->body);
			cr_assert_str_eq(json_object_get_string(v), field, "%s", r->body);
		}
	}
	return o;
}

pid_t
th_worker_start(const char *url, const char *log, const char *const *env,
    const char *const *args)
{
	const char *argv[32];
	char path[1024];
	size_t n = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/bin/approvalhub-worker", th_env("top_builddir"));
	argv[n++] = path;
	for (; args != NULL && *args != NULL && n < sizeof(argv) / sizeof(argv[0]) - 1; args++)
		argv[n++] = *args;
	cr_assert(args == NULL || *args == NULL, "too many worker arguments");
	argv[n] = NULL;
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int fd;

		/* Never outlive the test, whatever becomes of it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (log != NULL && (fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (url != NULL)
			setenv("DATABASE_URL", url, 1);
		for (; env != NULL && *env != NULL; env++)
			putenv((char *)*env);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* ------------------------------------------------------------ browser sessions */

const char *
th_cookie(const struct th_resp *r, const char *name, char *value, size_t vlen,
    char *attrs, size_t alen)
{
	const char *p = r->headers, *v, *e;
	size_t n = strlen(name);

	while (p != NULL && (p = strstr(p, "\nset-cookie:")) != NULL) {
		p += 12;
		p += strspn(p, " ");
		if (strncmp(p, name, n) != 0 || p[n] != '=')
			continue;
		v = p + n + 1;
		e = v + strcspn(v, ";\r\n");
		snprintf(value, vlen, "%.*s", (int)(e - v), v);
		if (attrs != NULL)
			snprintf(attrs, alen, "%.*s", (int)strcspn(e, "\r\n"), e);
		return value;
	}
	return NULL;
}

void
th_user_add(const char *role, const char *password, char *email, size_t emaillen)
{
	unsigned char rnd[6];
	char cmd[1024], id[64];
	size_t i;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(email, emaillen, "%s-", role);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(email + strlen(email), emaillen - strlen(email), "%02x", rnd[i]);
	snprintf(email + strlen(email), emaillen - strlen(email), "@example.test");
	snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | \"%s/bin/approvalhub\" user add"
	    " 'Test %s' --role %s --email %s --password-stdin", password, th_env("top_builddir"),
	    role, role, email);
	th_capture(cmd, "user ", id, sizeof(id));
}

/* The value of hidden input `name` in an HTML form into out. */
static void
hidden(const char *html, const char *name, char *out, size_t outlen)
{
	char key[128];
	const char *p, *v;

	snprintf(key, sizeof(key), "name=\"%s\" value=\"", name);
	cr_assert_not_null(p = strstr(html, key), "no %s in the form: %s", name, html);
	v = p + strlen(key);
	snprintf(out, outlen, "%.*s", (int)strcspn(v, "\""), v);
}

long
th_login(const char *email, const char *password, const char *next, char *cookie,
    size_t cookielen, struct th_resp *out)
{
	return th_login_at(NULL, email, password, next, cookie, cookielen, out);
}

long
th_login_at(const char *base, const char *email, const char *password, const char *next,
    char *cookie, size_t cookielen, struct th_resp *out)
{
	struct hub_buf body = HUB_BUF_INIT(8192);
	struct th_resp r;
	char csrf[256], form_ck[256], hdr[512], url[1024];
	const char *h[4] = { "Content-Type: application/x-www-form-urlencoded", hdr, NULL, NULL };
	long status;

	cookie[0] = '\0';
	snprintf(url, sizeof(url), "%s/login", base != NULL ? base : th_env("HUB_URL"));
	cr_assert_eq(th_http("GET", url, NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "GET /login: %ld %s", r.status, r.body);
	hidden(r.body, "csrf", csrf, sizeof(csrf));
	cr_assert_not_null(th_cookie(&r, "hub_login", form_ck, sizeof(form_ck), NULL, 0),
	    "no form cookie: %s", r.headers);
	th_resp_free(&r);
	snprintf(hdr, sizeof(hdr), "Cookie: hub_login=%s", form_ck);
	hub_buf_adds(&body, "csrf=");
	hub_url_encode(csrf, strlen(csrf), &body);
	hub_buf_adds(&body, "&email=");
	hub_url_encode(email, strlen(email), &body);
	hub_buf_adds(&body, "&password=");
	hub_url_encode(password, strlen(password), &body);
	if (next != NULL) {
		hub_buf_adds(&body, "&next=");
		hub_url_encode(next, strlen(next), &body);
	}
	cr_assert_eq(th_http("POST", url, h, body.data, body.len, &r), 0);
	hub_buf_release(&body);
	status = r.status;
	if (status == 303)
		cr_assert_not_null(th_cookie(&r, "hub_session", cookie, cookielen, NULL, 0),
		    "signed in without a session cookie: %s", r.headers);
	if (out != NULL)
		*out = r;
	else
		th_resp_free(&r);
	return status;
}

/* Room for "Cookie: hub_session=" and a session token. */
#define TH_COOKIE_HEADER_MAX	288

void
th_get(const char *path, const char *cookie, struct th_resp *r)
{
	char ck[TH_COOKIE_HEADER_MAX];
	const char *h[2] = { ck, NULL };

	snprintf(ck, sizeof(ck), "Cookie: hub_session=%s", cookie ? cookie : "");
	cr_assert_eq(th_http("GET", path, cookie ? h : NULL, NULL, 0, r), 0);
}

void
th_post_form(const char *path, const char *cookie, const char *extra, const char *body,
    struct th_resp *r)
{
	char ck[TH_COOKIE_HEADER_MAX];
	const char *h[4] = { "Content-Type: application/x-www-form-urlencoded", NULL, NULL, NULL };
	int n = 1;

	if (cookie != NULL) {
		snprintf(ck, sizeof(ck), "Cookie: hub_session=%s", cookie);
		h[n++] = ck;
	}
	if (extra != NULL)
		h[n++] = extra;
	cr_assert_eq(th_http("POST", path, h, body, strlen(body), r), 0);
}

void
th_csrf(const char *cookie, char *out, size_t outlen)
{
	static const char mark[] = "name=\"csrf\" value=\"";
	struct th_resp r;
	const char *p;

	th_get("/account/password", cookie, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(p = strstr(r.body, mark), "%s", r.body);
	p += sizeof(mark) - 1;
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "\""), p);
	th_resp_free(&r);
}

void
th_sql_value(const char *sql, const char *p1, char *out, size_t outlen)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));
	const char *params[1] = { p1 };
	PGresult *r;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexecParams(c, sql, p1 ? 1 : 0, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", sql, PQerrorMessage(c));
	snprintf(out, outlen, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
}

void
th_sql_await(const char *sql, const char *p1, const char *want)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char v[256] = "";
	int i;

	for (i = 0; i < 300; i++) {
		th_sql_value(sql, p1, v, sizeof(v));
		if (strcmp(v, want) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	cr_assert_fail("%s: '%s', wanted '%s'", sql, v, want);
}

void
th_seal(const char *secret, struct hub_buf *out)
{
	const char *b64 = th_env("SECRET_KEY");
	struct hub_buf raw = HUB_BUF_INIT(64);
	struct hub_keyring keys;

	memset(&keys, 0, sizeof(keys));
	cr_assert_eq(hub_base64_decode(b64, strlen(b64), 0, &raw), HUB_CRYPTO_OK);
	cr_assert_eq(raw.len, 32);
	cr_assert_eq(hub_keyring_add(&keys, (const unsigned char *)raw.data), HUB_CRYPTO_OK);
	cr_assert_eq(hub_box_seal(&keys, secret, strlen(secret), out), HUB_CRYPTO_OK);
	hub_buf_release(&raw);
}

void
th_callback_queue(struct hub_db *db, const char *url, json_object *body, const char *secret)
{
	struct hub_buf sealed = HUB_BUF_INIT(4096);

	if (secret != NULL)
		th_seal(secret, &sealed);
	cr_assert_eq(hub_outbound_http_post(db, url, body, secret != NULL ?
	    hub_buf_str(&sealed) : NULL, 0, NULL, NULL, NULL), HUB_DB_OK, "%s",
	    hub_db_last_error(db));
	hub_buf_release(&sealed);
}

/* ------------------------------------------------------------ make run */

int
th_free_port(void)
{
	char out[32] = "";
	FILE *p = popen("python3 -c 'import socket; s=socket.socket(); "
	    "s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'", "r");

	cr_assert_not_null(p);
	cr_assert_not_null(fgets(out, sizeof(out), p));
	pclose(p);
	return (int)strtol(out, NULL, 10);
}

pid_t
th_run_pid(const char *dir)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/pid", dir);
	for (i = 0; i < 50 && (f = fopen(path, "r")) == NULL; i++)
		usleep(20 * 1000);
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return (pid_t)strtol(buf, NULL, 10);
}

int
th_banner_value(const char *log, const char *label, char *out, size_t outlen)
{
	FILE *f = fopen(log, "r");
	char line[1024], *p;
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, label)) == NULL)
			continue;
		p += strlen(label);
		while (*p == ' ')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		snprintf(out, outlen, "%s", p);
		found = 1;
	}
	fclose(f);
	return found;
}

int
th_trace_turns(FILE *f)
{
	char line[512], last = 0;
	int turns = 0;

	rewind(f);
	/* "F\t<length>\tParse..." (PQTRACE_SUPPRESS_TIMESTAMPS) */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] != 'F' && line[0] != 'B')
			continue;
		if (line[0] == 'B' && last == 'F')
			turns++;
		last = line[0];
	}
	return turns;
}
