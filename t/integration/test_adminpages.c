/*
 * test_adminpages.c - the admin pages for sources, users, groups and
 * delegations, settings and the audit log, through nginx and
 * cgi-bin/dashboard as an admin's browser reaches them: every page and
 * form; refusals (no session 303, requester and viewer 403, no CSRF token,
 * a foreign Origin) that change nothing; validation errors shown inline
 * with 400 and the typed values kept (escaped); secrets shown once, then
 * working against the API; a changed setting changing what the running
 * hub does (delivery.user_not_found, seen at the SMTP sink); every change
 * in the audit log and on /admin/audit, whose filters and pages are
 * checked too; hostile markup staying text.
 *
 * Each test signs in its own admin (th_user_add + th_login) and names what
 * it creates with a random tag, so tests do not see each other's rows.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/form.h"
#include "store/settings.h"
#include "testlib.h"

#define PW		"correct horse battery"
#define CK_MAX		256
#define EMAIL_MAX	128
#define KEY_MAX		256
#define ID_MAX		64
#define BODY_MAX	16384
#define XSS_SCRIPT	"<script>alert(1)</script>"
#define XSS_IMG		"\"><img src=x onerror=alert(1)>"

/* ------------------------------------------------------------ helpers */

static char tag[16];

static void
new_tag(void)
{
	unsigned char r[4];

	cr_assert_eq(getrandom(r, sizeof(r), 0), (ssize_t)sizeof(r));
	hub_hex_encode(r, sizeof(r), tag);
}

static long
q1n(const char *sql, const char *p1)
{
	char v[32];

	th_sql_value(sql, p1, v, sizeof(v));
	return strtol(v, NULL, 10);
}

/* "k=v&k=v" of NULL-terminated key, value pairs, URL-encoded (a NULL
 * value leaves the pair out). */
static void
form_v(struct hub_buf *b, va_list ap)
{
	const char *k, *v;

	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		if (b->len > 0)
			hub_buf_adds(b, "&");
		hub_buf_adds(b, k);
		hub_buf_adds(b, "=");
		hub_url_encode(v, strlen(v), b);
	}
}

/* POST path as the session with its CSRF token, and the pairs after r. */
static void
post(const char *path, const char *cookie, const char *csrf, struct th_resp *r, ...)
{
	struct hub_buf b = HUB_BUF_INIT(BODY_MAX);
	va_list ap;

	if (csrf != NULL) {
		hub_buf_adds(&b, "csrf=");
		hub_url_encode(csrf, strlen(csrf), &b);
	}
	va_start(ap, r);
	form_v(&b, ap);
	va_end(ap);
	th_post_form(path, cookie, NULL, hub_buf_str(&b), r);
	hub_buf_release(&b);
}

/* A signed-in user of role: email, session cookie, CSRF token. */
struct who {
	char	email[EMAIL_MAX];
	char	ck[CK_MAX];
	char	csrf[CK_MAX];
};

static void
sign_in(const char *role, struct who *w)
{
	th_user_add(role, PW, w->email, sizeof(w->email));
	cr_assert_eq(th_login(w->email, PW, NULL, w->ck, sizeof(w->ck), NULL), 303);
	th_csrf(w->ck, w->csrf, sizeof(w->csrf));
}

static void
expect_status(const struct th_resp *r, long status)
{
	cr_assert_eq(r->status, status, "wanted %ld, got %ld: %.2000s", status, r->status, r->body);
}

static void
expect_has(const struct th_resp *r, const char *needle)
{
	cr_assert_not_null(strstr(r->body, needle), "'%s' not in: %.4000s", needle, r->body);
}

static void
expect_lacks(const struct th_resp *r, const char *needle)
{
	cr_assert_null(strstr(r->body, needle), "'%s' is in: %.4000s", needle, r->body);
}

/* A 303 to path (on this hub). */
static void
expect_redirect(const struct th_resp *r, const char *path)
{
	char loc[2048], want[2048];

	expect_status(r, 303);
	cr_assert_not_null(th_header(r, "Location", loc, sizeof(loc)), "%s", r->headers);
	snprintf(want, sizeof(want), "%s%s", th_env("PUBLIC_URL"), path);
	cr_assert_str_eq(loc, want);
}

/* The secret a secret-once page shows (<code id="secret">). */
static void
secret_of(const struct th_resp *r, char *out, size_t outlen)
{
	const char *p = strstr(r->body, "<code id=\"secret\">");

	cr_assert_not_null(p, "no secret on the page: %.3000s", r->body);
	p += strlen("<code id=\"secret\">");
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "<"), p);
	cr_assert_gt(strlen(out), 8, "%s", out);
}

/* The inline error of a field: the text of <p ... id="<field>-error">. */
static void
field_error(const struct th_resp *r, const char *field, char *out, size_t outlen)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "id=\"%s-error\">", field);
	cr_assert_not_null(p = strstr(r->body, key), "no inline error for %s: %.4000s", field,
	    r->body);
	p += strlen(key);
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "<"), p);
}

/* /admin/audit, filtered by the actor and the action, lists the action. */
static void
expect_audited(const struct who *w, const char *action, const char *needle)
{
	struct hub_buf path = HUB_BUF_INIT(1024);
	struct th_resp r;
	char want[128];

	hub_buf_adds(&path, "/admin/audit?actor=");
	hub_url_encode(w->email, strlen(w->email), &path);
	hub_buf_printf(&path, "&action=%s", action);
	th_get(hub_buf_str(&path), w->ck, &r);
	expect_status(&r, 200);
	snprintf(want, sizeof(want), ">%s</a></td>", action);
	expect_has(&r, want);
	if (needle != NULL)
		expect_has(&r, needle);
	th_resp_free(&r);
	hub_buf_release(&path);
	cr_assert_gt(q1n("SELECT count(*) FROM audit_log WHERE actor = $1 AND via = 'web'"
	    " AND request_id IS NULL", w->email), 0);
}

/* Create a source through the page: its id and its key. */
static void
create_source(const struct who *w, const char *name, char id[ID_MAX], char key[KEY_MAX])
{
	struct th_resp r;
	const char *p;

	post("/admin/sources", w->ck, w->csrf, &r, "name", name, NULL);
	expect_status(&r, 200);
	secret_of(&r, key, KEY_MAX);
	cr_assert_eq(strncmp(key, "ahk_", 4), 0, "%s", key);
	cr_assert_not_null(p = strstr(r.body, "href=\"/admin/sources/"), "%s", r.body);
	p += strlen("href=\"/admin/sources/");
	snprintf(id, ID_MAX, "%.*s", (int)strcspn(p, "\""), p);
	cr_assert_eq(strlen(id), 36, "%s", id);
	th_resp_free(&r);
}

/* POST /api/new-approval with key: the status; the id into rid (may be NULL). */
static long
new_request(const char *key, const char *approver, char *rid)
{
	char body[1024];
	struct th_resp r;
	json_object *o, *v;
	long status;

	snprintf(body, sizeof(body), "{\"requester_name\": \"Rita\", \"approver_id\": \"%s\","
	    " \"justification_text\": \"Admin pages test %s\", \"metadata\": {}}", approver, tag);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	status = r.status;
	if (rid != NULL && status == 201) {
		cr_assert_not_null(o = th_json(&r));
		cr_assert(json_object_object_get_ex(o, "id", &v));
		snprintf(rid, ID_MAX, "%s", json_object_get_string(v));
		json_object_put(o);
	}
	th_resp_free(&r);
	return status;
}

TestSuite(adminpages, .init = new_tag, .timeout = 120);

/* ------------------------------------------------------------ refusals */

static const char *const get_pages[] = {
	"/admin/sources", "/admin/sources/00000000-0000-0000-0000-000000000000",
	"/admin/users", "/admin/groups", "/admin/groups/nosuch", "/admin/settings",
	"/admin/audit", NULL,
};

static const char *const post_paths[] = {
	"/admin/sources", "/admin/sources/%s", "/admin/sources/%s/rotate-key", "/admin/users",
	"/admin/users/%u", "/admin/users/%u/reset-password", "/admin/groups",
	"/admin/groups/g-%t/delete", "/admin/groups/g-%t/members",
	"/admin/groups/g-%t/members/remove", "/admin/delegations", "/admin/delegations/1/revoke",
	"/admin/settings", NULL,
};

/* A POST path with %s the source, %u the user, %t the tag. */
static void
post_path(const char *pat, const char *src, const char *user, char *out, size_t len)
{
	const char *p = strchr(pat, '%');

	if (p == NULL) {
		snprintf(out, len, "%s", pat);
		return;
	}
	snprintf(out, len, "%.*s%s%s", (int)(p - pat), pat, p[1] == 's' ? src : p[1] == 'u' ?
	    user : tag, p + 2);
}

/* Everything the refused posts below could have changed, as one string. */
static void
state_of(const char *src, const char *user, char *out, size_t len)
{
	char sql[1024];

	snprintf(sql, sizeof(sql), "SELECT concat_ws('|',"
	    " (SELECT count(*) FROM sources), (SELECT count(*) FROM users),"
	    " (SELECT count(*) FROM groups), (SELECT count(*) FROM delegations WHERE revoked_at IS NULL),"
	    " (SELECT count(*) FROM settings),"
	    " (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND source_id = '%s'),"
	    " (SELECT role || disabled::text || password_hash FROM users WHERE id = $1::uuid),"
	    " (SELECT count(*) FROM audit_log WHERE request_id IS NULL))", src);
	th_sql_value(sql, user, out, len);
}

Test(adminpages, every_page_is_for_admins_only)
{
	struct who req, view, adm;
	char src[ID_MAX], key[KEY_MAX], path[256], uid[ID_MAX], before[2048], after[2048];
	char origin[256];
	struct th_resp r;
	const char *role_ck[2];
	size_t i, k;

	sign_in("requester", &req);
	sign_in("viewer", &view);
	sign_in("admin", &adm);
	create_source(&adm, tag, src, key);
	th_sql_value("SELECT id FROM users WHERE email = $1", req.email, uid, sizeof(uid));
	role_ck[0] = req.ck;
	role_ck[1] = view.ck;
	for (i = 0; get_pages[i] != NULL; i++) {
		th_get(get_pages[i], NULL, &r);
		cr_assert_eq(r.status, 303, "%s without a session: %ld", get_pages[i], r.status);
		th_resp_free(&r);
		for (k = 0; k < 2; k++) {
			th_get(get_pages[i], role_ck[k], &r);
			cr_assert_eq(r.status, 403, "%s as %s: %ld", get_pages[i],
			    k ? "viewer" : "requester", r.status);
			expect_lacks(&r, "admin-nav");
			th_resp_free(&r);
		}
		th_get(get_pages[i], adm.ck, &r);
		cr_assert(r.status == 200 || r.status == 404, "%s as admin: %ld", get_pages[i],
		    r.status);
		th_resp_free(&r);
	}
	/* Without a session the way back after signing in is kept. */
	th_get("/admin/settings", NULL, &r);
	expect_redirect(&r, "/login?next=%2Fadmin%2Fsettings");
	th_resp_free(&r);

	state_of(src, uid, before, sizeof(before));
	snprintf(origin, sizeof(origin), "Origin: https://evil.example");
	for (i = 0; post_paths[i] != NULL; i++) {
		post_path(post_paths[i], src, uid, path, sizeof(path));
		/* a requester and a viewer, each with their own valid token */
		post(path, req.ck, req.csrf, &r, "name", "x", "key", "delivery.mode", "value",
		    "channel", "role", "admin", "member", "U123", NULL);
		cr_assert_eq(r.status, 403, "POST %s as requester: %ld", path, r.status);
		th_resp_free(&r);
		post(path, view.ck, view.csrf, &r, "name", "x", NULL);
		cr_assert_eq(r.status, 403, "POST %s as viewer: %ld", path, r.status);
		th_resp_free(&r);
		/* an admin without the token, with another session's, from elsewhere */
		post(path, adm.ck, NULL, &r, "name", "x", "key", "delivery.mode", "value",
		    "channel", NULL);
		cr_assert_eq(r.status, 403, "POST %s without CSRF: %ld", path, r.status);
		th_resp_free(&r);
		post(path, adm.ck, req.csrf, &r, "name", "x", NULL);
		cr_assert_eq(r.status, 403, "POST %s with another's CSRF: %ld", path, r.status);
		th_resp_free(&r);
		th_post_form(path, adm.ck, origin, "csrf=x&name=x", &r);
		cr_assert_eq(r.status, 403, "POST %s from a foreign Origin: %ld", path, r.status);
		th_resp_free(&r);
		post(path, NULL, adm.csrf, &r, "name", "x", NULL);
		cr_assert_eq(r.status, 303, "POST %s without a session: %ld", path, r.status);
		th_resp_free(&r);
	}
	state_of(src, uid, after, sizeof(after));
	cr_assert_str_eq(after, before, "a refused post changed something");
	/* The key still works: nothing was rotated. */
	cr_assert_eq(new_request(key, "U0ADMIN1", NULL), 201);
}

/* ------------------------------------------------------------ sources */

Test(adminpages, new_source_key_is_shown_once_and_works)
{
	struct who adm;
	char src[ID_MAX], key[KEY_MAX], key2[KEY_MAX], name[64], path[128];
	struct th_resp r;

	sign_in("admin", &adm);
	snprintf(name, sizeof(name), "erp-%s", tag);
	create_source(&adm, name, src, key);
	/* Never again: not on the list, not on the source's page. */
	th_get("/admin/sources", adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, name);
	expect_lacks(&r, key);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/admin/sources/%s", src);
	th_get(path, adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, name);
	expect_lacks(&r, key);
	expect_lacks(&r, "ahk_");
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM api_keys WHERE key_hash = $1", key), 0,
	    "only its hash is stored");
	/* It works against the API, as the source's own key. */
	cr_assert_eq(new_request(key, "U0ADMIN2", NULL), 201);

	/* A name taken (in any case) is refused by the form, kept as typed. */
	post("/admin/sources", adm.ck, adm.csrf, &r, "name", name, NULL);
	expect_status(&r, 400);
	{
		char e[256];

		field_error(&r, "name", e, sizeof(e));
		cr_assert(strstr(e, "exists") != NULL, "%s", e);
	}
	th_resp_free(&r);
	post("/admin/sources", adm.ck, adm.csrf, &r, "name", "", NULL);
	expect_status(&r, 400);
	th_resp_free(&r);

	/* Rotating: a new key shown once; the old one stops at once. */
	snprintf(path, sizeof(path), "/admin/sources/%s/rotate-key", src);
	post(path, adm.ck, adm.csrf, &r, NULL);
	expect_status(&r, 200);
	secret_of(&r, key2, sizeof(key2));
	cr_assert_str_neq(key2, key);
	th_resp_free(&r);
	cr_assert_eq(new_request(key, "U0ADMIN3", NULL), 401);
	cr_assert_eq(new_request(key2, "U0ADMIN3", NULL), 201);
	post("/admin/sources/00000000-0000-0000-0000-000000000000/rotate-key", adm.ck, adm.csrf,
	    &r, NULL);
	expect_status(&r, 404);
	th_resp_free(&r);

	expect_audited(&adm, "source.created", name);
	expect_audited(&adm, "source.key_rotated", name);
	cr_assert_eq(q1n("SELECT count(*) FROM audit_log WHERE action = 'source.key_rotated'"
	    " AND detail::text LIKE '%ahk_%' AND detail->>'source_id' = $1", src), 0,
	    "no key in the audit log");
}

Test(adminpages, source_defaults_are_saved_and_checked_like_the_api)
{
	struct who adm;
	char src[ID_MAX], key[KEY_MAX], admin_key[KEY_MAX], path[128], e[512], body[512];
	char api[128];
	struct th_resp r;
	json_object *o, *v;
	const char *api_msg;

	sign_in("admin", &adm);
	create_source(&adm, tag, src, key);
	snprintf(path, sizeof(path), "/admin/sources/%s", src);
	snprintf(api, sizeof(api), "/api/sources/%s", src);
	post(path, adm.ck, adm.csrf, &r, "description", "Finance " XSS_IMG,
	    "connection", "", "channel", "#approvals", "delivery_mode", "channel", "rule", "all",
	    "deadline", "2d", "reminder_every", "4h", "callback_url", th_env("FAKE_CALLBACK_URL"),
	    "callback_secret", "s3cret-callback-value", "callback_allow_networks", "",
	    "allow_self_approval", "1", "reason_required", "1",
	    "editable_fields", "amount, cost_center", NULL);
	expect_status(&r, 200);
	expect_has(&r, "Saved.");
	expect_lacks(&r, "s3cret-callback-value");
	expect_has(&r, "value=\"2d\"");
	expect_has(&r, "value=\"4h\"");
	expect_has(&r, "value=\"amount, cost_center\"");
	expect_has(&r, "Finance &quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	expect_lacks(&r, "<img src=x");
	th_resp_free(&r);

	/* What the admin API now says of the source. */
	th_admin_key(admin_key, sizeof(admin_key));
	th_api("GET", api, admin_key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert(json_object_object_get_ex(o, "delivery_mode", &v));
	cr_assert_str_eq(json_object_get_string(v), "channel");
	cr_assert(json_object_object_get_ex(o, "deadline", &v));
	cr_assert_eq(json_object_get_int64(v), 172800);
	cr_assert(json_object_object_get_ex(o, "reminder_every", &v));
	cr_assert_eq(json_object_get_int64(v), 14400);
	cr_assert(json_object_object_get_ex(o, "callback_secret", &v));
	cr_assert_str_eq(json_object_get_string(v), "set");
	cr_assert(json_object_object_get_ex(o, "reason_required", &v) &&
	    json_object_get_boolean(v));
	cr_assert(json_object_object_get_ex(o, "allow_self_approval", &v) &&
	    json_object_get_boolean(v));
	cr_assert(json_object_object_get_ex(o, "editable_fields", &v) &&
	    json_object_array_length(v) == 2);
	json_object_put(o);
	th_resp_free(&r);

	/* A bad value: 400, the message by its field, the rest as typed. */
	post(path, adm.ck, adm.csrf, &r, "description", "Typed " XSS_SCRIPT, "rule", "all",
	    "delivery_mode", "fax", "deadline", "2d", NULL);
	expect_status(&r, 400);
	field_error(&r, "delivery_mode", e, sizeof(e));
	cr_assert(strstr(e, "must be dm, group_dm, channel or both") != NULL, "%s", e);
	expect_has(&r, "value=\"Typed &lt;script&gt;alert(1)&lt;/script&gt;\"");
	expect_lacks(&r, XSS_SCRIPT);
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "rule", "all", "deadline", "soon", NULL);
	expect_status(&r, 400);
	field_error(&r, "deadline", e, sizeof(e));
	th_resp_free(&r);

	/* An internal callback address: the API's own words (netguard). */
	snprintf(body, sizeof(body), "{\"callback_url\": \"http://10.9.8.7/hook\"}");
	th_api("PATCH", api, admin_key, NULL, body, &r);
	o = th_expect(&r, 400, "callback_url");
	cr_assert(json_object_object_get_ex(o, "error", &v));
	api_msg = json_object_get_string(v);
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "rule", "all", "callback_url", "http://10.9.8.7/hook",
	    NULL);
	expect_status(&r, 400);
	field_error(&r, "callback_url", e, sizeof(e));
	cr_assert_str_eq(e, api_msg, "page and API differ");
	expect_has(&r, "value=\"http://10.9.8.7/hook\"");
	th_resp_free(&r);
	json_object_put(o);
	cr_assert_eq(q1n("SELECT count(*) FROM sources WHERE id = $1::uuid AND delivery_mode ="
	    " 'channel' AND default_deadline = interval '2 days'", src), 1, "refusals kept it");

	/* The API's changes are audited the same way, as the API key. */
	th_api("PATCH", api, admin_key, NULL, "{\"description\": \"via the API\"}", &r);
	json_object_put(th_expect(&r, 200, NULL));
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM audit_log WHERE action = 'source.updated'"
	    " AND via = 'api' AND actor = 'admin API key' AND detail->>'source_id' = $1"
	    " AND detail->'changes'->>'description' = 'via the API'", src), 1);

	/* The audit row names the fields, never the secret. */
	expect_audited(&adm, "source.updated", "delivery_mode");
	cr_assert_eq(q1n("SELECT count(*) FROM audit_log WHERE detail->>'source_id' = $1"
	    " AND detail::text LIKE '%s3cret%'", src), 0);
	cr_assert_eq(q1n("SELECT count(*) FROM audit_log WHERE detail->>'source_id' = $1"
	    " AND detail->'changes'->>'callback_secret' = 'set'", src), 1);

	/* Clearing the secret; disabling the source refuses its requests. */
	post(path, adm.ck, adm.csrf, &r, "rule", "any", "callback_secret_clear", "1",
	    "disabled", "1", NULL);
	expect_status(&r, 200);
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM sources WHERE id = $1::uuid AND disabled"
	    " AND callback_secret_enc IS NULL", src), 1);
	cr_assert_neq(new_request(key, "U0ADMIN4", NULL), 201);
	th_get("/admin/sources/not-a-uuid", adm.ck, &r);
	expect_status(&r, 404);
	th_resp_free(&r);
}

/* The subject of the one email to rcpt (malloc'd). */
static char *
mail_subject(const char *rcpt)
{
	char p[256];
	json_object *m, *v;
	char *out;

	snprintf(p, sizeof(p), "/_fake/messages?rcpt=%s", rcpt);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", p, NULL);
	cr_assert_eq(json_object_array_length(m), 1, "%s", json_object_to_json_string(m));
	cr_assert(json_object_object_get_ex(json_object_array_get_idx(m, 0), "subject", &v));
	out = strdup(json_object_get_string(v));
	json_object_put(m);
	return out;
}

static void settle(const char *rid);

Test(adminpages, source_message_wording_reaches_the_approver)
{
	struct who adm;
	char src[ID_MAX], key[KEY_MAX], path[128], rid[ID_MAX], rcpt[128], words[256], e[512];
	struct th_resp r;
	char *subject;

	sign_in("admin", &adm);
	create_source(&adm, tag, src, key);
	snprintf(path, sizeof(path), "/admin/sources/%s", src);
	/* Kinds and parts the hub does not know are refused by the field. */
	post(path, adm.ck, adm.csrf, &r, "rule", "any", "templates",
	    "{\"nosuch\": {\"title\": \"x\"}}", NULL);
	expect_status(&r, 400);
	field_error(&r, "templates", e, sizeof(e));
	cr_assert(strstr(e, "does not send") != NULL, "%s", e);
	expect_has(&r, "&quot;nosuch&quot;");
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "rule", "any", "templates", "{not json", NULL);
	expect_status(&r, 400);
	field_error(&r, "templates", e, sizeof(e));
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "rule", "any", "templates",
	    "{\"external_approver\": {\"body\": \"x\"}}", NULL);
	expect_status(&r, 400);
	th_resp_free(&r);

	snprintf(words, sizeof(words), "{\"external_approver\": {\"subject\":"
	    " \"Sign-off wanted %s <b>\"}}", tag);
	post(path, adm.ck, adm.csrf, &r, "rule", "any", "templates", words, NULL);
	expect_status(&r, 200);
	expect_has(&r, "Sign-off wanted");
	expect_has(&r, "&lt;b&gt;");
	th_resp_free(&r);
	/* With no Slack connection the approver is emailed: in this wording. */
	snprintf(rcpt, sizeof(rcpt), "words-%s@example.test", tag);
	cr_assert_eq(new_request(key, rcpt, rid), 201);
	settle(rid);
	subject = mail_subject(rcpt);
	cr_assert(strstr(subject, "Sign-off wanted") != NULL, "subject: %s", subject);
	free(subject);
	expect_audited(&adm, "source.updated", "external_approver");
}

/* ------------------------------------------------------------ users */

Test(adminpages, users_are_added_changed_disabled_and_reset)
{
	struct who adm;
	char email[EMAIL_MAX], pw[KEY_MAX], pw2[KEY_MAX], uid[ID_MAX], ck[CK_MAX], path[128];
	char e[512], self[ID_MAX], name[128];
	struct th_resp r;

	sign_in("admin", &adm);
	snprintf(email, sizeof(email), "new-%s@example.test", tag);
	snprintf(name, sizeof(name), "Nina %s " XSS_SCRIPT, tag);
	post("/admin/users", adm.ck, adm.csrf, &r, "name", name, "email", email, "role", "viewer",
	    NULL);
	expect_status(&r, 200);
	secret_of(&r, pw, sizeof(pw));
	th_resp_free(&r);
	th_sql_value("SELECT id FROM users WHERE email = $1", email, uid, sizeof(uid));
	cr_assert_eq(strlen(uid), 36);
	cr_assert_eq(th_login(email, pw, NULL, ck, sizeof(ck), NULL), 303, "the password works");
	th_get("/admin/users", adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, "Nina");
	expect_lacks(&r, pw);
	expect_lacks(&r, XSS_SCRIPT);
	expect_has(&r, "&lt;script&gt;alert(1)&lt;/script&gt;");
	th_resp_free(&r);

	/* Refused additions: inline, typed values kept. */
	post("/admin/users", adm.ck, adm.csrf, &r, "name", "Someone", "email", email, "role",
	    "viewer", NULL);
	expect_status(&r, 400);
	field_error(&r, "email", e, sizeof(e));
	cr_assert(strstr(e, "exists") != NULL, "%s", e);
	th_resp_free(&r);
	post("/admin/users", adm.ck, adm.csrf, &r, "name", "Kept " XSS_IMG, "email", "not-an-email",
	    "role", "viewer", NULL);
	expect_status(&r, 400);
	field_error(&r, "email", e, sizeof(e));
	expect_has(&r, "value=\"Kept &quot;&gt;&lt;img src=x onerror=alert(1)&gt;\"");
	expect_lacks(&r, "<img src=x");
	th_resp_free(&r);
	post("/admin/users", adm.ck, adm.csrf, &r, "name", "R", "role", "root", NULL);
	expect_status(&r, 400);
	field_error(&r, "role", e, sizeof(e));
	th_resp_free(&r);

	/* Role: the new one counts at once for their session. */
	snprintf(path, sizeof(path), "/admin/users/%s", uid);
	post(path, adm.ck, adm.csrf, &r, "role", "admin", NULL);
	expect_redirect(&r, "/admin/users?saved=1");
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM users WHERE id = $1::uuid AND role = 'admin'", uid),
	    1);
	th_get("/admin/users", ck, &r);
	expect_status(&r, 200);
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "role", "wizard", NULL);
	expect_status(&r, 400);
	expect_has(&r, "role must be admin, requester or viewer");
	th_resp_free(&r);

	/* Disabled: their session stops and they cannot sign in. */
	post(path, adm.ck, adm.csrf, &r, "disabled", "1", NULL);
	expect_redirect(&r, "/admin/users?saved=1");
	th_resp_free(&r);
	th_get("/admin/users", ck, &r);
	expect_status(&r, 303);
	th_resp_free(&r);
	cr_assert_eq(th_login(email, pw, NULL, ck, sizeof(ck), NULL), 401);
	post(path, adm.ck, adm.csrf, &r, "disabled", "0", NULL);
	expect_redirect(&r, "/admin/users?saved=1");
	th_resp_free(&r);
	cr_assert_eq(th_login(email, pw, NULL, ck, sizeof(ck), NULL), 303);

	/* Reset: a new password once; the old one and the session end. */
	snprintf(path, sizeof(path), "/admin/users/%s/reset-password", uid);
	post(path, adm.ck, adm.csrf, &r, NULL);
	expect_status(&r, 200);
	secret_of(&r, pw2, sizeof(pw2));
	cr_assert_str_neq(pw2, pw);
	th_resp_free(&r);
	th_get("/account/password", ck, &r);
	expect_status(&r, 303);
	th_resp_free(&r);
	cr_assert_eq(th_login(email, pw, NULL, ck, sizeof(ck), NULL), 401);
	cr_assert_eq(th_login(email, pw2, NULL, ck, sizeof(ck), NULL), 303);
	th_get("/admin/users", adm.ck, &r);
	expect_lacks(&r, pw2);
	th_resp_free(&r);

	/* An admin cannot demote or disable themselves. */
	th_sql_value("SELECT id FROM users WHERE email = $1", adm.email, self, sizeof(self));
	snprintf(path, sizeof(path), "/admin/users/%s", self);
	post(path, adm.ck, adm.csrf, &r, "role", "viewer", NULL);
	expect_status(&r, 400);
	expect_has(&r, "you cannot change your own role");
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "disabled", "1", NULL);
	expect_status(&r, 400);
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM users WHERE id = $1::uuid AND role = 'admin'"
	    " AND NOT disabled", self), 1);
	post("/admin/users/00000000-0000-0000-0000-000000000000", adm.ck, adm.csrf, &r,
	    "role", "viewer", NULL);
	expect_status(&r, 404);
	th_resp_free(&r);

	expect_audited(&adm, "user.created", email);
	expect_audited(&adm, "user.updated", "disabled");
	expect_audited(&adm, "user.password_reset", "Nina");
	cr_assert_eq(q1n("SELECT count(*) FROM audit_log WHERE strpos(detail::text, $1) > 0",
	    pw), 0, "no password in the log");
	cr_assert_eq(q1n("SELECT count(*) FROM audit_log WHERE strpos(detail::text, $1) > 0",
	    pw2), 0, "no password in the log");
}

/* ------------------------------------------------------------ groups */

Test(adminpages, groups_and_delegations_as_the_api_offers_them)
{
	struct who adm;
	char group[64], path[160], e[512], id[ID_MAX];
	struct th_resp r;

	sign_in("admin", &adm);
	snprintf(group, sizeof(group), "g-%s", tag);
	post("/admin/groups", adm.ck, adm.csrf, &r, "name", group, "description",
	    "Desc " XSS_SCRIPT, "members", "ana@example.test\nU0BEN123, cy@example.test", NULL);
	snprintf(path, sizeof(path), "/admin/groups/%s", group);
	expect_redirect(&r, path);
	th_resp_free(&r);
	th_get(path, adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, "ana@example.test");
	expect_has(&r, "U0BEN123");
	expect_has(&r, "Desc &lt;script&gt;");
	expect_lacks(&r, XSS_SCRIPT);
	th_resp_free(&r);

	/* Refusals inline: a bad name, a taken one, a bad member. */
	post("/admin/groups", adm.ck, adm.csrf, &r, "name", "Bad Name!", "members", "", NULL);
	expect_status(&r, 400);
	field_error(&r, "name", e, sizeof(e));
	expect_has(&r, "value=\"Bad Name!\"");
	th_resp_free(&r);
	post("/admin/groups", adm.ck, adm.csrf, &r, "name", group, NULL);
	expect_status(&r, 409);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/admin/groups/%s/members", group);
	post(path, adm.ck, adm.csrf, &r, "member", "not a person", NULL);
	expect_status(&r, 400);
	field_error(&r, "member", e, sizeof(e));
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, "member", "dee@example.test", NULL);
	cr_assert_eq(r.status, 303, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/admin/groups/%s/members/remove", group);
	post(path, adm.ck, adm.csrf, &r, "member", "ana@example.test", NULL);
	cr_assert_eq(r.status, 303, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM group_members m JOIN groups g ON g.id = m.group_id"
	    " WHERE g.name = $1", group), 3);

	/* Delegations: add, overlap refused, revoke. */
	post("/admin/delegations", adm.ck, adm.csrf, &r, "approver", "boss@example.test",
	    "delegate", "deputy@example.test", "valid_from", "2030-01-01", "valid_to",
	    "2030-01-31", NULL);
	expect_redirect(&r, "/admin/groups?done=1#delegations");
	th_resp_free(&r);
	post("/admin/delegations", adm.ck, adm.csrf, &r, "approver", "boss@example.test",
	    "delegate", "other@example.test", "valid_from", "2030-01-15", "valid_to",
	    "2030-02-15", NULL);
	expect_status(&r, 409);
	expect_has(&r, "value=\"other@example.test\"");
	th_resp_free(&r);
	post("/admin/delegations", adm.ck, adm.csrf, &r, "approver", "boss@example.test",
	    "delegate", "boss@example.test", "valid_from", "2030-03-01", "valid_to",
	    "2030-03-02", NULL);
	expect_status(&r, 400);
	th_resp_free(&r);
	th_sql_value("SELECT id FROM delegations WHERE approver_value = 'boss@example.test'"
	    " AND revoked_at IS NULL ORDER BY id DESC LIMIT 1", NULL, id, sizeof(id));
	th_get("/admin/groups", adm.ck, &r);
	expect_has(&r, "deputy@example.test");
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/admin/delegations/%s/revoke", id);
	post(path, adm.ck, adm.csrf, &r, NULL);
	expect_redirect(&r, "/admin/groups?done=1#delegations");
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM delegations WHERE id = $1::bigint AND revoked_at"
	    " IS NOT NULL", id), 1);

	snprintf(path, sizeof(path), "/admin/groups/%s/delete", group);
	post(path, adm.ck, adm.csrf, &r, NULL);
	expect_redirect(&r, "/admin/groups?done=1");
	th_resp_free(&r);
	post(path, adm.ck, adm.csrf, &r, NULL);
	expect_status(&r, 404);
	th_resp_free(&r);

	expect_audited(&adm, "group.created", group);
	expect_audited(&adm, "group.member_added", "dee@example.test");
	expect_audited(&adm, "group.member_removed", "ana@example.test");
	expect_audited(&adm, "group.deleted", group);
	expect_audited(&adm, "delegation.added", "deputy@example.test");
	expect_audited(&adm, "delegation.revoked", "deputy@example.test");
}

/* ------------------------------------------------------------ settings */

Test(adminpages, every_setting_is_shown_and_validated)
{
	const struct hub_setting *st;
	struct who adm;
	char want[256], e[512];
	struct th_resp r;

	sign_in("admin", &adm);
	th_get("/admin/settings", adm.ck, &r);
	expect_status(&r, 200);
	for (st = hub_settings; st->key != NULL; st++) {
		snprintf(want, sizeof(want), "<h2><code>%s</code></h2>", st->key);
		expect_has(&r, want);
		snprintf(want, sizeof(want), "name=\"key\" value=\"%s\"", st->key);
		expect_has(&r, want);
	}
	expect_has(&r, "what to do when an approver&#39;s email has no Slack account");
	expect_has(&r, "<option value=\"LOG_ONLY\">");
	expect_has(&r, "type=\"number\" min=\"1\" max=\"3650\" value=\"30\"");
	th_resp_free(&r);

	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "retention.sent_messages_days",
	    "value", "0", NULL);
	expect_status(&r, 400);
	field_error(&r, "retention.sent_messages_days", e, sizeof(e));
	cr_assert(strstr(e, "must be a whole number from 1 to 3650") != NULL, "%s", e);
	expect_has(&r, "max=\"3650\" value=\"0\" class=\"invalid\"");
	th_resp_free(&r);
	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "callbacks.allow_networks",
	    "value", XSS_IMG, NULL);
	expect_status(&r, 400);
	expect_lacks(&r, "<img src=x");
	expect_has(&r, "value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\"");
	th_resp_free(&r);
	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "no.such.key", "value", "1", NULL);
	expect_status(&r, 400);
	th_resp_free(&r);

	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "retention.sent_messages_days",
	    "value", "45", NULL);
	expect_redirect(&r, "/admin/settings?saved=retention.sent_messages_days"
	    "#retention.sent_messages_days");
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT (value #>> '{}')::int FROM settings"
	    " WHERE key = 'retention.sent_messages_days' AND jsonb_typeof(value) = 'number'",
	    NULL), 45);
	th_get("/admin/settings?saved=retention.sent_messages_days", adm.ck, &r);
	expect_has(&r, "Saved.");
	expect_has(&r, "value=\"45\"");
	th_resp_free(&r);
	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "retention.sent_messages_days",
	    "reset", "1", NULL);
	expect_status(&r, 303);
	th_resp_free(&r);
	cr_assert_eq(q1n("SELECT count(*) FROM settings WHERE key ="
	    " 'retention.sent_messages_days'", NULL), 0);
	expect_audited(&adm, "setting.changed", "retention.sent_messages_days");
	expect_audited(&adm, "setting.reset", "retention.sent_messages_days");
}

/* Wait until the worker has no live notify job left for the request. */
static void
settle(const char *rid)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (q1n("SELECT count(*) FROM jobs WHERE payload->>'request_id' = $1"
		    " AND state IN ('queued', 'running')", rid) == 0 &&
		    q1n("SELECT count(*) FROM jobs WHERE payload->>'request_id' = $1", rid) > 0)
			return;
		usleep(100 * 1000);
	}
	cr_assert_fail("the worker left request %s's jobs unfinished", rid);
}

static long
mails_to(const char *rcpt)
{
	char p[256];
	json_object *m;
	long n;

	snprintf(p, sizeof(p), "/_fake/messages?rcpt=%s", rcpt);
	m = th_fake("FAKE_SMTP_CONTROL_URL", "GET", p, NULL);
	cr_assert_not_null(m);
	n = (long)json_object_array_length(m);
	json_object_put(m);
	return n;
}

Test(adminpages, a_changed_setting_changes_what_the_hub_does)
{
	struct who adm;
	char src[ID_MAX], key[KEY_MAX], rid[ID_MAX], who1[128], who2[128];
	struct th_resp r;

	sign_in("admin", &adm);
	create_source(&adm, tag, src, key);
	snprintf(who1, sizeof(who1), "quiet-%s@example.test", tag);
	snprintf(who2, sizeof(who2), "loud-%s@example.test", tag);
	/* No Slack connection here: delivery.user_not_found decides. */
	cr_assert_eq(q1n("SELECT count(*) FROM slack_connections", NULL), 0);
	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "delivery.user_not_found",
	    "value", "LOG_ONLY", NULL);
	expect_status(&r, 303);
	th_resp_free(&r);
	cr_assert_eq(new_request(key, who1, rid), 201);
	settle(rid);
	cr_assert_eq(q1n("SELECT count(*) FROM delivery_log WHERE request_id = $1::uuid"
	    " AND error_code = 'no_connection'", rid), 1);
	cr_assert_eq(q1n("SELECT count(*) FROM delivery_log WHERE request_id = $1::uuid"
	    " AND transport = 'email'", rid), 0, "LOG_ONLY sends no email");
	cr_assert_eq(mails_to(who1), 0);

	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "delivery.user_not_found",
	    "value", "EMAIL", NULL);
	expect_status(&r, 303);
	th_resp_free(&r);
	cr_assert_eq(new_request(key, who2, rid), 201);
	settle(rid);
	cr_assert_eq(q1n("SELECT count(*) FROM delivery_log WHERE request_id = $1::uuid"
	    " AND transport = 'email' AND status = 'delivered'", rid), 1);
	cr_assert_eq(mails_to(who2), 1);
	post("/admin/settings", adm.ck, adm.csrf, &r, "key", "delivery.user_not_found",
	    "reset", "1", NULL);
	expect_status(&r, 303);
	th_resp_free(&r);
	expect_audited(&adm, "setting.changed", "LOG_ONLY");
}

/* ------------------------------------------------------------ audit */

Test(adminpages, audit_log_filters_and_pages)
{
	struct who adm;
	char actor[128], sql[1024], next[1024], e[512], src[ID_MAX], key[KEY_MAX], rid[ID_MAX];
	struct hub_buf path = HUB_BUF_INIT(1024);
	struct th_resp r;
	const char *p;
	int rows;

	sign_in("admin", &adm);
	/* 55 entries of an actor of this test's own, hostile markup in it. */
	snprintf(actor, sizeof(actor), "bot-%s <script>x</script>", tag);
	snprintf(sql, sizeof(sql), "INSERT INTO audit_log (actor, action, detail, via, at)"
	    " SELECT $1, 'setting.changed', jsonb_build_object('key', 'k' || g, 'value',"
	    " '<img src=x onerror=alert(1)>'), 'cli', now() - g * interval '1 second'"
	    " FROM generate_series(1, 55) g");
	th_sql_value(sql, actor, e, sizeof(e));
	hub_buf_adds(&path, "/admin/audit?actor=");
	hub_url_encode(actor, strlen(actor), &path);
	th_get(hub_buf_str(&path), adm.ck, &r);
	expect_status(&r, 200);
	expect_lacks(&r, "<script>x</script>");
	expect_lacks(&r, "<img src=x");
	expect_has(&r, "&lt;script&gt;x&lt;/script&gt;");
	for (rows = 0, p = r.body; (p = strstr(p, "<code class=\"detail\">")) != NULL; p++)
		rows++;
	cr_assert_eq(rows, 50, "the first page: %d rows", rows);
	expect_has(&r, "&quot;k1&quot;");
	expect_lacks(&r, "&quot;k51&quot;");
	cr_assert_not_null(p = strstr(r.body, "href=\"/admin/audit?actor="), "no links");
	cr_assert_not_null(p = strstr(r.body, "rel=\"next\""), "no next page");
	while (p > r.body && strncmp(p, "href=\"", 6) != 0)
		p--;
	p += 6;
	snprintf(next, sizeof(next), "%.*s", (int)strcspn(p, "\""), p);
	th_resp_free(&r);
	/* &amp; in the markup is & in the link */
	{
		char *a;

		while ((a = strstr(next, "&amp;")) != NULL)
			memmove(a + 1, a + 5, strlen(a + 5) + 1);
	}
	th_get(next, adm.ck, &r);
	expect_status(&r, 200);
	for (rows = 0, p = r.body; (p = strstr(p, "<code class=\"detail\">")) != NULL; p++)
		rows++;
	cr_assert_eq(rows, 5, "the second page: %d rows", rows);
	expect_has(&r, "&quot;k55&quot;");
	expect_lacks(&r, "&quot;k50&quot;");
	expect_lacks(&r, "rel=\"next\"");
	th_resp_free(&r);

	/* By request: its decisions and transitions. */
	create_source(&adm, tag, src, key);
	cr_assert_eq(new_request(key, "U0AUDIT1", rid), 201);
	hub_buf_reset(&path);
	hub_buf_printf(&path, "/admin/audit?request=%s", rid);
	th_get(hub_buf_str(&path), adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, ">request.created</a>");
	expect_lacks(&r, ">source.created</a>");
	th_resp_free(&r);
	hub_buf_reset(&path);
	hub_buf_printf(&path, "/admin/audit?action=request.created&request=%s&from=2000-01-01",
	    rid);
	th_get(hub_buf_str(&path), adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, rid);
	th_resp_free(&r);
	/* A range that holds nothing. */
	hub_buf_reset(&path);
	hub_buf_printf(&path, "/admin/audit?request=%s&to=2000-01-01", rid);
	th_get(hub_buf_str(&path), adm.ck, &r);
	expect_status(&r, 200);
	expect_has(&r, "Nothing matches these filters");
	th_resp_free(&r);

	/* Filters that are not valid: 400, inline, kept. */
	th_get("/admin/audit?request=nope", adm.ck, &r);
	expect_status(&r, 400);
	field_error(&r, "request", e, sizeof(e));
	expect_has(&r, "value=\"nope\"");
	th_resp_free(&r);
	th_get("/admin/audit?from=2026-13-45", adm.ck, &r);
	expect_status(&r, 400);
	field_error(&r, "from", e, sizeof(e));
	th_resp_free(&r);
	th_get("/admin/audit?from=yesterday", adm.ck, &r);
	expect_status(&r, 400);
	th_resp_free(&r);
	th_get("/admin/audit?action=rm.rf", adm.ck, &r);
	expect_status(&r, 400);
	field_error(&r, "action", e, sizeof(e));
	th_resp_free(&r);
	th_get("/admin/audit?cursor=garbage", adm.ck, &r);
	expect_status(&r, 400);
	th_resp_free(&r);
	hub_buf_release(&path);
}
