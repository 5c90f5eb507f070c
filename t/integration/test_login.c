/*
 * test_login.c - signing in to the dashboard, through nginx and
 * cgi-bin/dashboard: /login with a good password, a wrong one and an
 * unknown user (one message), the session cookie's flags, no session
 * fixation, idle and absolute expiry, /logout deleting the row, the
 * throttle (per account and per address), next= and every open-redirect
 * shape, the roles at /slack/install, CSRF refusals, REMOTE_USER single
 * sign-on (through a second nginx doing HTTP basic auth, as README says)
 * and the password change page.
 *
 * Each test makes its own users (th_user_add) and, where the per-address
 * throttle could count them, connects from a loopback address of its own.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "base/form.h"
#include "testlib.h"

#define PW "correct horse battery"
#define CK_MAX 256
#define EMAIL_MAX 128
#define URL_MAX 4096

/* ------------------------------------------------------------ helpers */

/* A loopback address of this test's own (127.x.y.z), for th_http_source. */
static void
own_address(void)
{
	unsigned char r[3];
	char a[32];

	cr_assert_eq(getrandom(r, sizeof(r), 0), (ssize_t)sizeof(r));
	snprintf(a, sizeof(a), "127.%u.%u.%u", r[0] % 250 + 2, r[1], r[2] % 250 + 2);
	th_http_source(a);
}

static void
exec1(const char *sql, const char *p1)
{
	char ignored[8];

	th_sql_value(sql, p1, ignored, sizeof(ignored));
}

/* SHA-256 hex of a cookie's token: how the sessions table knows it. */
static void
hash_of(const char *token, char out[65])
{
	unsigned char md[HUB_SHA256_LEN];

	hub_sha256(token, strlen(token), md);
	hub_hex_encode(md, sizeof(md), out);
}

static long
session_rows(const char *cookie)
{
	char h[65], n[16];

	hash_of(cookie, h);
	th_sql_value("SELECT count(*) FROM sessions WHERE token_hash = $1", h, n, sizeof(n));
	return strtol(n, NULL, 10);
}

/* The text of the sign-in page's error box ("" when none). */
static void
login_error(const struct th_resp *r, char *out, size_t outlen)
{
	const char *p = strstr(r->body, "role=\"alert\"><p>");

	out[0] = '\0';
	if (p != NULL) {
		p += 16;
		snprintf(out, outlen, "%.*s", (int)(strstr(p, "</p>") - p), p);
	}
}

static void
expect_location(const struct th_resp *r, const char *path)
{
	char loc[URL_MAX], want[URL_MAX];

	cr_assert_eq(r->status, 303, "%ld %s", r->status, r->body);
	cr_assert_not_null(th_header(r, "Location", loc, sizeof(loc)), "%s", r->headers);
	snprintf(want, sizeof(want), "%s%s", th_env("PUBLIC_URL"), path);
	cr_assert_str_eq(loc, want);
}

/* ------------------------------------------------------------ sign in */

Test(login, good_password_opens_a_session_with_a_safe_cookie)
{
	char email[EMAIL_MAX], ck[CK_MAX], attrs[256], h[65], v[256];
	struct th_resp r;

	th_user_add("viewer", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), &r), 303);
	expect_location(&r, "/");
	cr_assert_not_null(th_cookie(&r, "hub_session", ck, sizeof(ck), attrs, sizeof(attrs)));
	cr_assert_geq(strlen(ck), 40, "%s", ck);
	cr_assert_not_null(strstr(attrs, "; HttpOnly"), "%s", attrs);
	cr_assert_not_null(strstr(attrs, "; SameSite=Lax"), "%s", attrs);
	cr_assert_not_null(strstr(attrs, "; Path=/"), "%s", attrs);
	cr_assert_null(strstr(attrs, "Secure"), "PUBLIC_URL is http: %s", attrs);
	th_resp_free(&r);
	/* Only the token's hash is stored, with both expiries. */
	hash_of(ck, h);
	th_sql_value("SELECT concat_ws('|', u.email, s.expires_at BETWEEN now() + interval '167 hours'"
	    " AND now() + interval '169 hours', s.csrf_token <> '')"
	    " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
	    h, v, sizeof(v));
	cr_assert_eq(strlen(v) > 0 ? 0 : 1, 0, "no session row for the cookie's hash");
	{
		char want[256];

		snprintf(want, sizeof(want), "%s|t|t", email);
		cr_assert_str_eq(v, want);
	}
	th_sql_value("SELECT count(*) FROM sessions WHERE token_hash = $1", ck, v, sizeof(v));
	cr_assert_str_eq(v, "0", "the token itself is never stored");
	/* The landing page sends a signed-in person on to the dashboard,
	 * which knows who is signed in, with the sign-out form. */
	th_get("/", ck, &r);
	expect_location(&r, "/requests");
	th_resp_free(&r);
	th_get("/requests", ck, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "Test viewer"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "<span class=\"role\">viewer</span>"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "action=\"/logout\""), "%s", r.body);
	th_resp_free(&r);
	th_get("/", NULL, &r);
	cr_assert_null(strstr(r.body, email), "signed out visitors see nobody");
	cr_assert_not_null(strstr(r.body, "href=\"/login\""), "%s", r.body);
	th_resp_free(&r);
}

Test(login, wrong_password_and_unknown_user_read_the_same)
{
	char email[EMAIL_MAX], ck[CK_MAX], e1[512], e2[512];
	struct th_resp r1, r2;

	own_address();
	th_user_add("requester", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, "not the password", NULL, ck, sizeof(ck), &r1), 401);
	cr_assert_eq(th_login("nobody-here@example.test", "not the password", NULL, ck,
	    sizeof(ck), &r2), 401);
	cr_assert_null(th_cookie(&r1, "hub_session", ck, sizeof(ck), NULL, 0));
	cr_assert_null(th_cookie(&r2, "hub_session", ck, sizeof(ck), NULL, 0));
	login_error(&r1, e1, sizeof(e1));
	login_error(&r2, e2, sizeof(e2));
	cr_assert_str_eq(e1, "The email or password is not right.");
	cr_assert_str_eq(e1, e2);
	/* The email typed is kept, the password never. */
	cr_assert_not_null(strstr(r1.body, email), "%s", r1.body);
	cr_assert_null(strstr(r1.body, "not the password"), "%s", r1.body);
	th_resp_free(&r1);
	th_resp_free(&r2);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * An unknown email costs a password check too (against a dummy scrypt
 * hash), so the answer's time does not tell which emails have accounts.
 * Without it an unknown email answers in a few milliseconds against
 * scrypt's tens; the bound is loose for a busy machine.
 */
Test(login, an_unknown_email_takes_as_long_as_a_wrong_password)
{
	char email[EMAIL_MAX], unknown[EMAIL_MAX + 16], ck[CK_MAX];
	double known_t[5], unknown_t[5], t0;
	int i;

	th_user_add("viewer", PW, email, sizeof(email));
	for (i = 0; i < 5; i++) {
		own_address();
		t0 = now_s();
		cr_assert_eq(th_login(email, "wrong", NULL, ck, sizeof(ck), NULL), 401);
		known_t[i] = now_s() - t0;
		own_address();
		snprintf(unknown, sizeof(unknown), "nobody%d-%s", i, email);
		t0 = now_s();
		cr_assert_eq(th_login(unknown, "wrong", NULL, ck, sizeof(ck), NULL), 401);
		unknown_t[i] = now_s() - t0;
		/* Stay under the account's free failures. */
		exec1("DELETE FROM login_throttle WHERE key = $1", email);
	}
	qsort(known_t, 5, sizeof(double), by_value);
	qsort(unknown_t, 5, sizeof(double), by_value);
	cr_assert_geq(unknown_t[2], known_t[2] * 0.4, "unknown %.1f ms, wrong password %.1f ms",
	    unknown_t[2] * 1000, known_t[2] * 1000);
}

Test(login, pages_send_a_csp_without_unsafe_inline)
{
	static const char *const paths[] = { "/login", "/" };
	char csp[1024];
	struct th_resp r;
	size_t i;

	for (i = 0; i < 2; i++) {
		cr_assert_eq(th_http("GET", paths[i], NULL, NULL, 0, &r), 0);
		cr_assert_not_null(th_header(&r, "Content-Security-Policy", csp, sizeof(csp)),
		    "%s: no CSP", paths[i]);
		cr_assert_null(strstr(csp, "unsafe-inline"), "%s", csp);
		cr_assert_not_null(strstr(csp, "script-src 'self'"), "%s", csp);
		cr_assert_not_null(strstr(csp, "form-action 'self'"), "%s", csp);
		cr_assert_null(strstr(r.body, "<script"), "%s", r.body);
		cr_assert_null(strstr(r.body, " style="), "inline style: %s", r.body);
		th_resp_free(&r);
	}
}

Test(login, a_session_cookie_from_before_is_never_the_session_after)
{
	char email[EMAIL_MAX], ck[CK_MAX], ck2[CK_MAX], csrf[256], form_ck[256], hdr[512],
	    body[1024];
	const char *h[3] = { "Content-Type: application/x-www-form-urlencoded", hdr, NULL };
	struct th_resp r;
	const char *p;

	th_user_add("viewer", PW, email, sizeof(email));
	/* An attacker's chosen token rides along with the sign-in. */
	cr_assert_eq(th_http("GET", "/login", NULL, NULL, 0, &r), 0);
	cr_assert_not_null(th_cookie(&r, "hub_login", form_ck, sizeof(form_ck), NULL, 0));
	cr_assert_not_null(p = strstr(r.body, "name=\"csrf\" value=\""));
	p += 19;
	snprintf(csrf, sizeof(csrf), "%.*s", (int)strcspn(p, "\""), p);
	th_resp_free(&r);
	snprintf(hdr, sizeof(hdr), "Cookie: hub_login=%s; hub_session=attacker-fixed-token-0123",
	    form_ck);
	snprintf(body, sizeof(body), "csrf=%s&email=%s&password=correct+horse+battery", csrf,
	    email);
	cr_assert_eq(th_http("POST", "/login", h, body, strlen(body), &r), 0);
	cr_assert_eq(r.status, 303, "%ld %s", r.status, r.body);
	cr_assert_not_null(th_cookie(&r, "hub_session", ck, sizeof(ck), NULL, 0));
	th_resp_free(&r);
	cr_assert_str_neq(ck, "attacker-fixed-token-0123");
	cr_assert_eq(session_rows("attacker-fixed-token-0123"), 0);
	th_get("/account/password", "attacker-fixed-token-0123", &r);
	cr_assert_eq(r.status, 303, "the fixed token is no session: %ld", r.status);
	th_resp_free(&r);
	/* Signing in again from a signed-in browser replaces its session. */
	cr_assert_eq(th_login(email, PW, NULL, ck2, sizeof(ck2), NULL), 303);
	cr_assert_str_neq(ck, ck2);
	cr_assert_eq(session_rows(ck2), 1);
}

Test(login, idle_and_absolute_expiry)
{
	char email[EMAIL_MAX], ck[CK_MAX], h[65];
	struct th_resp r;

	th_user_add("viewer", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	th_get("/account/password", ck, &r);
	cr_assert_eq(r.status, 200, "fresh session: %ld", r.status);
	th_resp_free(&r);
	/* 12 hours and a minute without use (the default idle limit is 12 h). */
	hash_of(ck, h);
	exec1("UPDATE sessions SET created_at = now() - interval '13 hours',"
	    " last_seen_at = now() - interval '721 minutes' WHERE token_hash = $1", h);
	th_get("/account/password", ck, &r);
	expect_location(&r, "/login?next=%2Faccount%2Fpassword");
	th_resp_free(&r);
	cr_assert_eq(session_rows(ck), 0, "an expired session is deleted");
	/* Busy all along, but 7 days old: over too. */
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	hash_of(ck, h);
	exec1("UPDATE sessions SET created_at = now() - interval '7 days 1 minute',"
	    " expires_at = now() - interval '1 minute', last_seen_at = now()"
	    " WHERE token_hash = $1", h);
	th_get("/account/password", ck, &r);
	expect_location(&r, "/login?next=%2Faccount%2Fpassword");
	th_resp_free(&r);
	/* Just inside both limits still works. */
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	hash_of(ck, h);
	exec1("UPDATE sessions SET created_at = now() - interval '6 days',"
	    " last_seen_at = now() - interval '11 hours' WHERE token_hash = $1", h);
	th_get("/account/password", ck, &r);
	cr_assert_eq(r.status, 200, "%ld", r.status);
	th_resp_free(&r);
}

Test(login, logout_is_a_post_that_deletes_the_session)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[256], body[512], v[256], attrs[256];
	struct th_resp r;

	th_user_add("requester", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	cr_assert_eq(session_rows(ck), 1);
	cr_assert_eq(th_http("GET", "/logout", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 405, "no sign-out by GET: %ld", r.status);
	th_resp_free(&r);
	th_csrf(ck, csrf, sizeof(csrf));
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	th_post_form("/logout", ck, NULL, body, &r);
	expect_location(&r, "/login?signed_out=1");
	cr_assert_not_null(th_cookie(&r, "hub_session", v, sizeof(v), attrs, sizeof(attrs)));
	cr_assert_str_eq(v, "");
	cr_assert_not_null(strstr(attrs, "Max-Age=0"), "%s", attrs);
	th_resp_free(&r);
	cr_assert_eq(session_rows(ck), 0);
	th_get("/account/password", ck, &r);
	cr_assert_eq(r.status, 303);
	th_resp_free(&r);
	cr_assert_eq(th_http("GET", "/login?signed_out=1", NULL, NULL, 0, &r), 0);
	cr_assert_not_null(strstr(r.body, "You are signed out."), "%s", r.body);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ throttling */

Test(login, five_failures_for_an_account_then_a_wait_and_success_resets)
{
	char email[EMAIL_MAX], ck[CK_MAX], e[512], ra[32], n[16];
	struct th_resp r;
	int i;

	th_user_add("viewer", PW, email, sizeof(email));
	for (i = 0; i < 5; i++) {
		/* Each try from another address: the account's count does it. */
		own_address();
		cr_assert_eq(th_login(email, "wrong password", NULL, ck, sizeof(ck), &r), 401);
		login_error(&r, e, sizeof(e));
		if (i < 4)
			cr_assert_str_eq(e, "The email or password is not right.", "try %d", i + 1);
		else
			cr_assert_str_eq(e, "The email or password is not right. Too many failed"
			    " sign-ins: wait 30 seconds before trying again.");
		th_resp_free(&r);
	}
	/* Even the right password waits now, and the page says how long. */
	own_address();
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), &r), 429);
	login_error(&r, e, sizeof(e));
	cr_assert(strncmp(e, "Too many failed sign-ins: wait ", 31) == 0 &&
	    strstr(e, " seconds before trying again.") != NULL, "%s", e);
	cr_assert_not_null(th_header(&r, "Retry-After", ra, sizeof(ra)));
	cr_assert(strtol(ra, NULL, 10) > 0 && strtol(ra, NULL, 10) <= 30, "%s", ra);
	cr_assert_null(th_cookie(&r, "hub_session", ck, sizeof(ck), NULL, 0));
	th_resp_free(&r);
	/* The wait is over: a wrong one doubles it ... */
	exec1("UPDATE login_throttle SET locked_until = now() - interval '1 second'"
	    " WHERE kind = 'account' AND key = $1", email);
	cr_assert_eq(th_login(email, "wrong again", NULL, ck, sizeof(ck), &r), 401);
	login_error(&r, e, sizeof(e));
	cr_assert_not_null(strstr(e, "wait 1 minute before"), "%s", e);
	th_resp_free(&r);
	/* ... and, once that is over, the right one signs in and resets it. */
	exec1("UPDATE login_throttle SET locked_until = now() - interval '1 second'"
	    " WHERE kind = 'account' AND key = $1", email);
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	th_sql_value("SELECT count(*) FROM login_throttle WHERE kind = 'account' AND key = $1", email, n,
	    sizeof(n));
	cr_assert_str_eq(n, "0");
	cr_assert_eq(th_login(email, "one wrong try", NULL, ck, sizeof(ck), &r), 401);
	login_error(&r, e, sizeof(e));
	cr_assert_str_eq(e, "The email or password is not right.", "the count started over");
	th_resp_free(&r);
}

Test(login, five_failures_from_one_address_lock_every_account_there)
{
	char email[EMAIL_MAX], ck[CK_MAX], e[512], unknown[64];
	struct th_resp r;
	int i;

	own_address();
	th_user_add("viewer", PW, email, sizeof(email));
	for (i = 0; i < 5; i++) {
		snprintf(unknown, sizeof(unknown), "guess%d-%d@example.test", i, (int)getpid());
		cr_assert_eq(th_login(unknown, "guess", NULL, ck, sizeof(ck), NULL), 401);
	}
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), &r), 429);
	login_error(&r, e, sizeof(e));
	cr_assert_not_null(strstr(e, "Too many failed sign-ins"), "%s", e);
	th_resp_free(&r);
	/* Another address is not held up by it. */
	own_address();
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
}

/* ------------------------------------------------------------ next= */

Test(login, next_brings_the_visitor_back_and_never_elsewhere)
{
	static const char *const evil[] = {
		"//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
		"%2F%2Fevil.example", "/\\/evil.example", "http:/evil.example",
		" //evil.example", "/login", "/logout", "javascript:alert(1)",
	};
	char email[EMAIL_MAX], ck[CK_MAX], loc[URL_MAX], pub[URL_MAX];
	struct th_resp r;
	size_t i;

	th_user_add("viewer", PW, email, sizeof(email));
	th_get("/account/password", NULL, &r);
	expect_location(&r, "/login?next=%2Faccount%2Fpassword");
	th_resp_free(&r);
	/* The form carries next; signing in goes there. */
	cr_assert_eq(th_http("GET", "/login?next=%2Faccount%2Fpassword", NULL, NULL, 0, &r), 0);
	cr_assert_not_null(strstr(r.body, "name=\"next\" value=\"/account/password\""), "%s",
	    r.body);
	th_resp_free(&r);
	cr_assert_eq(th_login(email, PW, "/account/password", ck, sizeof(ck), &r), 303);
	expect_location(&r, "/account/password");
	th_resp_free(&r);
	snprintf(pub, sizeof(pub), "%s/", th_env("PUBLIC_URL"));
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		cr_assert_eq(th_login(email, PW, evil[i], ck, sizeof(ck), &r), 303, "%s", evil[i]);
		cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
		cr_assert_str_eq(loc, pub, "next=%s went to %s", evil[i], loc);
		th_resp_free(&r);
	}
	/* Encoded once more on the way in: still only this hub's paths. */
	cr_assert_eq(th_login(email, PW, "/%2F/evil.example", ck, sizeof(ck), &r), 303);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	cr_assert(strncmp(loc, pub, strlen(pub)) == 0 && loc[strlen(pub)] != '/' &&
	    loc[strlen(pub)] != '\\', "%s", loc);
	th_resp_free(&r);
	/* Signed in already, /login?next= redirects the same way. */
	th_get("/login?next=%2F%2Fevil.example", ck, &r);
	cr_assert_eq(r.status, 303);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	cr_assert_str_eq(loc, pub);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ roles */

Test(login, only_an_admin_may_install_slack)
{
	static const char *const roles[] = { "viewer", "requester" };
	char email[EMAIL_MAX], ck[CK_MAX], loc[URL_MAX];
	struct th_resp r;
	size_t i;

	th_get("/slack/install", NULL, &r);
	expect_location(&r, "/login?next=%2Fslack%2Finstall");
	cr_assert_null(th_cookie(&r, "hub_oauth", loc, sizeof(loc), NULL, 0));
	th_resp_free(&r);
	for (i = 0; i < 2; i++) {
		th_user_add(roles[i], PW, email, sizeof(email));
		cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
		th_get("/slack/install", ck, &r);
		cr_assert_eq(r.status, 403, "%s: %ld", roles[i], r.status);
		cr_assert_not_null(strstr(r.body, "may not open this page"), "%s", r.body);
		cr_assert_null(th_cookie(&r, "hub_oauth", loc, sizeof(loc), NULL, 0));
		th_resp_free(&r);
	}
	th_user_add("admin", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, PW, "/slack/install", ck, sizeof(ck), &r), 303);
	expect_location(&r, "/slack/install");
	th_resp_free(&r);
	th_get("/slack/install", ck, &r);
	cr_assert_eq(r.status, 302, "%ld %s", r.status, r.body);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	cr_assert_not_null(strstr(loc, "/oauth/v2/authorize?"), "%s", loc);
	cr_assert_not_null(th_cookie(&r, "hub_oauth", loc, sizeof(loc), NULL, 0));
	th_resp_free(&r);
}

/* ------------------------------------------------------------ CSRF */

Test(login, forms_without_their_token_or_from_elsewhere_are_refused)
{
	char email[EMAIL_MAX], ck[CK_MAX], csrf[256], body[512], origin[URL_MAX];
	struct th_resp r;

	th_user_add("viewer", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	th_csrf(ck, csrf, sizeof(csrf));
	th_post_form("/logout", ck, NULL, "", &r);
	cr_assert_eq(r.status, 403, "no token: %ld", r.status);
	th_resp_free(&r);
	th_post_form("/logout", ck, NULL, "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &r);
	cr_assert_eq(r.status, 403, "wrong token: %ld", r.status);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	th_post_form("/logout", ck, "Origin: https://evil.example", body, &r);
	cr_assert_eq(r.status, 403, "foreign Origin: %ld", r.status);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&current=%s&fresh=xxxxxxxxxx&confirm=xxxxxxxxxx",
	    "nope", "correct+horse+battery");
	th_post_form("/account/password", ck, NULL, body, &r);
	cr_assert_eq(r.status, 403, "password change without its token: %ld", r.status);
	th_resp_free(&r);
	cr_assert_eq(session_rows(ck), 1, "nothing was signed out");
	/* The sign-in form has its own token (cookie + field). */
	snprintf(body, sizeof(body), "email=%s&password=correct+horse+battery", email);
	th_post_form("/login", NULL, NULL, body, &r);
	cr_assert_eq(r.status, 403, "sign-in without its token: %ld", r.status);
	cr_assert_null(th_cookie(&r, "hub_session", csrf, sizeof(csrf), NULL, 0));
	th_resp_free(&r);
	/* With the right one it works, from the hub's own origin only. */
	snprintf(origin, sizeof(origin), "Origin: %s", th_env("PUBLIC_URL"));
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	th_post_form("/logout", ck, origin, body, &r);
	cr_assert_eq(r.status, 303, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	cr_assert_eq(session_rows(ck), 0);
}

/* ------------------------------------------------------------ password change */

Test(login, password_change_checks_and_signs_out_other_sessions)
{
	char email[EMAIL_MAX], ck[CK_MAX], other[CK_MAX], csrf[256], body[1024];
	struct th_resp r;

	th_user_add("requester", PW, email, sizeof(email));
	cr_assert_eq(th_login(email, PW, NULL, other, sizeof(other), NULL), 303);
	cr_assert_eq(th_login(email, PW, NULL, ck, sizeof(ck), NULL), 303);
	th_get("/account/password", ck, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "<label for=\"current\">"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "<label for=\"confirm\">"), "%s", r.body);
	th_resp_free(&r);
	th_csrf(ck, csrf, sizeof(csrf));
	snprintf(body, sizeof(body), "csrf=%s&current=wrong+one&fresh=new+password+1"
	    "&confirm=new+password+1", csrf);
	th_post_form("/account/password", ck, NULL, body, &r);
	cr_assert_eq(r.status, 400, "%ld", r.status);
	cr_assert_not_null(strstr(r.body, "id=\"current-error\">Your current password is not"
	    " right."), "%s", r.body);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&current=correct+horse+battery&fresh=short"
	    "&confirm=short", csrf);
	th_post_form("/account/password", ck, NULL, body, &r);
	cr_assert_eq(r.status, 400);
	cr_assert_not_null(strstr(r.body, "id=\"fresh-error\">The new password is too short"),
	    "%s", r.body);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&current=correct+horse+battery&fresh=new+password+1"
	    "&confirm=new+password+2", csrf);
	th_post_form("/account/password", ck, NULL, body, &r);
	cr_assert_eq(r.status, 400);
	cr_assert_not_null(strstr(r.body, "id=\"confirm-error\">The two new passwords differ."),
	    "%s", r.body);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&current=correct+horse+battery&fresh=new+password+1"
	    "&confirm=new+password+1", csrf);
	th_post_form("/account/password", ck, NULL, body, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, "Your password was changed."), "%s", r.body);
	th_resp_free(&r);
	cr_assert_eq(session_rows(ck), 1, "this session goes on");
	cr_assert_eq(session_rows(other), 0, "the other session is signed out");
	own_address();
	cr_assert_eq(th_login(email, PW, NULL, other, sizeof(other), NULL), 401);
	cr_assert_eq(th_login(email, "new password 1", NULL, other, sizeof(other), NULL), 303);
}

/* ------------------------------------------------------------ REMOTE_USER */

/* A loopback port nobody listens on now. */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(s, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* A child that dies with the test. */
static pid_t
child(char *const argv[], const char *public_url)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (public_url != NULL)
			setenv("PUBLIC_URL", public_url, 1);
		execvp(argv[0], argv);
		if (strcmp(argv[0], "nginx") == 0)
			execv("/usr/sbin/nginx", argv);
		_exit(127);
	}
	return pid;
}

/* The stack's dashboard socket (env.sh puts the sockets in a directory of
 * their own when www-data cannot reach the state directory). */
static void
stack_socket(char *out, size_t outlen)
{
	char path[URL_MAX], rundir[URL_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/rundir", th_env("HUB_STATE"));
	rundir[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(rundir, sizeof(rundir), f) != NULL)
			rundir[strcspn(rundir, "\n")] = '\0';
		fclose(f);
	}
	snprintf(out, outlen, "%s/run/dashboard.sock", rundir[0] ? rundir : th_env("HUB_STATE"));
}

/*
 * Another nginx in dir (a fresh 0755 directory) in front of the dashboard
 * at sock, with `extra` inside its location (e.g. basic auth and
 * REMOTE_USER, as README "Signing in" shows).  Its port into *port; the
 * nginx is a child that dies with the test.
 */
static pid_t
front_nginx(const char *dir, const char *sock, const char *extra, int *port)
{
	char conf[URL_MAX];
	char *argv[] = { "nginx", "-p", (char *)dir, "-c", conf, "-g", "daemon off;", NULL };
	FILE *f;
	pid_t pid;
	int i;

	cr_assert_eq(th_sh("mkdir -p %s/tmp", dir), 0);
	*port = free_port();
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	cr_assert_not_null(f = fopen(conf, "w"));
	fprintf(f, "%s\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
	    "events { worker_connections 64; }\nhttp {\n access_log off;\n"
	    " client_body_temp_path %s/tmp/body;\n fastcgi_temp_path %s/tmp/fastcgi;\n"
	    " proxy_temp_path %s/tmp/proxy;\n uwsgi_temp_path %s/tmp/uwsgi;\n"
	    " scgi_temp_path %s/tmp/scgi;\n"
	    " server {\n  listen 127.0.0.1:%d;\n  location / {\n"
	    "   fastcgi_pass unix:%s;\n   include %s/nginx/fastcgi.conf;\n%s  }\n }\n}\n",
	    getuid() == 0 ? "user www-data;" : "", dir, dir, dir, dir, dir, dir, dir, *port,
	    sock, th_env("top_srcdir"), extra);
	fclose(f);
	pid = child(argv, NULL);
	for (i = 0; i < 100; i++) {
		struct th_resp r;
		char url[128];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/login", *port);
		if (th_http("GET", url, NULL, NULL, 0, &r) == 0 && r.status != 502) {
			th_resp_free(&r);
			return pid;
		}
		th_resp_free(&r);
		usleep(50000);
	}
	cr_assert_fail("the test's nginx did not come up (%s/error.log)", dir);
	return pid;
}

static void
stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void
settings(const char *args)
{
	cr_assert_eq(th_sh("\"%s/bin/approvalhub\" settings %s >/dev/null",
	    th_env("top_builddir"), args), 0, "settings %s", args);
}

Test(login, remote_user_is_trusted_only_when_switched_on)
{
	char email[EMAIL_MAX], url[URL_MAX], auth[512], ck[CK_MAX];
	struct hub_buf b64 = HUB_BUF_INIT(512), cred = HUB_BUF_INIT(512);
	const char *h[2] = { auth, NULL };
	struct th_resp r;
	pid_t pid;
	int port;

	char dir[] = "/tmp/hub-sso-XXXXXX", sock[URL_MAX], extra[URL_MAX];

	th_user_add("viewer", PW, email, sizeof(email));
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	cr_assert_eq(th_sh("printf '%%s:%%s\\n' '%s' \"$(openssl passwd -apr1 sso-secret)\""
	    " >%s/htpasswd && chmod 644 %s/htpasswd", email, dir, dir), 0);
	snprintf(extra, sizeof(extra), "   auth_basic \"Approval Hub\";\n"
	    "   auth_basic_user_file %s/htpasswd;\n"
	    "   fastcgi_param REMOTE_USER $remote_user;\n", dir);
	stack_socket(sock, sizeof(sock));
	pid = front_nginx(dir, sock, extra, &port);
	hub_buf_printf(&cred, "%s:sso-secret", email);
	cr_assert_eq(hub_base64_encode(cred.data, cred.len, 0, &b64), 0);
	snprintf(auth, sizeof(auth), "Authorization: Basic %s", b64.data);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/account/password", port);
	/* nginx checks the password either way. */
	cr_assert_eq(th_http("GET", url, NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 401, "%ld", r.status);
	th_resp_free(&r);
	/* Off by default: REMOTE_USER alone signs nobody in. */
	cr_assert_eq(th_http("GET", url, h, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 303, "trusted while off: %ld %s", r.status, r.body);
	cr_assert_null(th_cookie(&r, "hub_session", ck, sizeof(ck), NULL, 0));
	th_resp_free(&r);
	settings("set auth.trust_remote_user on");
	cr_assert_eq(th_http("GET", url, h, NULL, 0, &r), 0);
	settings("unset auth.trust_remote_user");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(strstr(r.body, email), "%s", r.body);
	cr_assert_not_null(th_cookie(&r, "hub_session", ck, sizeof(ck), NULL, 0));
	cr_assert_eq(session_rows(ck), 1);
	th_resp_free(&r);
	stop(pid);
	th_sh("rm -rf %s", dir);
	hub_buf_release(&b64);
	hub_buf_release(&cred);
}

/* ------------------------------------------------------------ https */

/* Behind TLS (PUBLIC_URL https://...) the cookies are Secure: a dashboard
 * of the test's own with such a PUBLIC_URL, behind an nginx of its own. */
Test(login, cookies_are_secure_when_public_url_is_https)
{
	char dir[] = "/tmp/hub-tls-XXXXXX", sock[URL_MAX], prog[URL_MAX], base[128],
	    email[EMAIL_MAX], ck[CK_MAX], attrs[256], loc[URL_MAX];
	char *argv[] = { prog, "--socket", sock, "--socket-mode", "0666", "--children", "1",
	    NULL };
	struct th_resp r;
	pid_t dash, web;
	int port, i;

	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(sock, sizeof(sock), "%s/dashboard.sock", dir);
	snprintf(prog, sizeof(prog), "%s/cgi-bin/dashboard", th_env("top_builddir"));
	dash = child(argv, "https://hub.example.test");
	for (i = 0; i < 200 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	cr_assert_eq(access(sock, F_OK), 0, "the test's dashboard did not start");
	web = front_nginx(dir, sock, "", &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	th_user_add("viewer", PW, email, sizeof(email));
	cr_assert_eq(th_login_at(base, email, PW, NULL, ck, sizeof(ck), &r), 303);
	cr_assert_not_null(th_cookie(&r, "hub_session", ck, sizeof(ck), attrs, sizeof(attrs)));
	cr_assert_not_null(strstr(attrs, "; Secure"), "%s", attrs);
	cr_assert_not_null(strstr(attrs, "; HttpOnly"), "%s", attrs);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	cr_assert_str_eq(loc, "https://hub.example.test/");
	th_resp_free(&r);
	snprintf(loc, sizeof(loc), "%s/login", base);
	cr_assert_eq(th_http("GET", loc, NULL, NULL, 0, &r), 0);
	cr_assert_not_null(th_cookie(&r, "hub_login", ck, sizeof(ck), attrs, sizeof(attrs)));
	cr_assert_not_null(strstr(attrs, "; Secure"), "the form's cookie too: %s", attrs);
	th_resp_free(&r);
	stop(web);
	stop(dash);
	th_sh("rm -rf %s", dir);
}
