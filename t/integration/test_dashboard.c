/*
 * test_dashboard.c - the status dashboard (/requests) through nginx and
 * cgi-bin/dashboard: every filter (status, source, approver_id,
 * requester, from, to, q) and the counters, keyset paging, a requester
 * seeing only their own requests and a viewer every one, the live
 * fragment's conditional GET (304 while nothing changed, 200 with a new
 * ETag after a new request), bad filters answered 400 with the message
 * next to the field, hostile text inert, and no session sent to
 * /login?next=.
 *
 * Requests are created through the API (a source of each test's own, so
 * the counters are the test's); people through `approvalhub user add`.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <json-c/json.h>

#include "base/crypto.h"
#include "testlib.h"

#define PW		"dashboard pass 1"
#define CK_MAX		256
#define EMAIL_MAX	128
#define KEY_MAX		256
#define ID_MAX		64
#define URL_MAX		4096
#define PAGE_ROWS	50	/* lib/web/pagerequests.c */

/* ------------------------------------------------------------ helpers */

/* A source of this test's own ("dash-<hex>") and its API key. */
static void
own_source(char name[64], char key[KEY_MAX])
{
	unsigned char r[5];
	char hex[11];

	cr_assert_eq(getrandom(r, sizeof(r), 0), (ssize_t)sizeof(r));
	hub_hex_encode(r, sizeof(r), hex);
	snprintf(name, 64, "dash-%s", hex);
	th_source_key(name, key, KEY_MAX);
}

/* A person of role, signed in: the session cookie's value into ck. */
static void
person(const char *role, char email[EMAIL_MAX], char ck[CK_MAX])
{
	th_user_add(role, PW, email, EMAIL_MAX);
	cr_assert_eq(th_login(email, PW, NULL, ck, CK_MAX, NULL), 303, "sign-in as %s", role);
}

/* POST /api/new-approval for source; the new id into id (may be NULL). */
static void
create(const char *key, const char *source, const char *title, const char *requester_name,
    const char *requester_email, const char *approver, char *id)
{
	json_object *o = json_object_new_object(), *res, *v;
	struct th_resp r;

	json_object_object_add(o, "request_source", json_object_new_string(source));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "requester_name", json_object_new_string(requester_name));
	if (requester_email != NULL)
		json_object_object_add(o, "requester_email",
		    json_object_new_string(requester_email));
	json_object_object_add(o, "approver_id", json_object_new_string(approver));
	json_object_object_add(o, "justification_text",
	    json_object_new_string("Needed for the dashboard test"));
	json_object_object_add(o, "metadata", json_object_new_object());
	th_api("POST", "/api/new-approval", key, NULL, json_object_to_json_string(o), &r);
	res = th_expect(&r, 201, NULL);
	cr_assert(json_object_object_get_ex(res, "id", &v));
	if (id != NULL)
		snprintf(id, ID_MAX, "%s", json_object_get_string(v));
	json_object_put(res);
	json_object_put(o);
	th_resp_free(&r);
}

/* GET path with the session cookie ck (NULL: none) and one more header
 * (NULL: none). */
static void
get(const char *path, const char *ck, const char *extra, struct th_resp *r)
{
	char cookie[CK_MAX + 32];
	const char *h[3] = { NULL, NULL, NULL };
	int n = 0;

	if (ck != NULL) {
		snprintf(cookie, sizeof(cookie), "Cookie: hub_session=%s", ck);
		h[n++] = cookie;
	}
	if (extra != NULL)
		h[n++] = extra;
	cr_assert_eq(th_http("GET", path, h, NULL, 0, r), 0, "GET %s", path);
}

/* GET path as ck, expecting status; the body stays in r. */
static void
page(const char *path, const char *ck, long status, struct th_resp *r)
{
	get(path, ck, NULL, r);
	cr_assert_eq(r->status, status, "GET %s: %ld %s", path, r->status, r->body);
}

static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
		n++;
	return n;
}

/* Rows of the list on the page. */
static int
rows(const struct th_resp *r)
{
	return count_of(r->body, "<tr data-id=");
}

/* GET path as ck: 200 and exactly n rows. */
static void
expect_rows(const char *path, const char *ck, int n)
{
	struct th_resp r;

	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), n, "GET %s: %d rows, wanted %d", path, rows(&r), n);
	th_resp_free(&r);
}

static void
expect_in(const struct th_resp *r, const char *s)
{
	cr_assert_not_null(strstr(r->body, s), "'%s' not in: %s", s, r->body);
}

/* The counter of status (or "all") on the page reads n. */
static void
expect_counter(const struct th_resp *r, const char *status, long n)
{
	char want[128];

	snprintf(want, sizeof(want), "data-status=\"%s\">%ld</span>", status, n);
	expect_in(r, want);
}

/* The value of attribute attr (attr="...") after marker, the entities
 * for & and " undone, into out. */
static void
attr_after(const char *html, const char *marker, const char *attr, char *out, size_t len)
{
	const char *p = strstr(html, marker), *e;
	char key[64];
	size_t i, j;

	cr_assert_not_null(p, "no %s in: %s", marker, html);
	snprintf(key, sizeof(key), "%s=\"", attr);
	cr_assert_not_null(p = strstr(p, key), "no %s after %s", attr, marker);
	p += strlen(key);
	cr_assert_not_null(e = strchr(p, '"'));
	for (i = 0, j = 0; p + i < e && j + 1 < len; j++) {
		if (strncmp(p + i, "&amp;", 5) == 0) {
			out[j] = '&';
			i += 5;
		} else if (strncmp(p + i, "&quot;", 6) == 0) {
			out[j] = '"';
			i += 6;
		} else {
			out[j] = p[i++];
		}
	}
	out[j] = '\0';
}

/* today + delta days, UTC, as YYYY-MM-DD. */
static void
day(int delta, char out[16])
{
	time_t t = time(NULL) + (time_t)delta * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* ------------------------------------------------------------ access */

Test(dashboard, no_session_goes_to_sign_in_and_back)
{
	char loc[URL_MAX], want[URL_MAX];
	struct th_resp r;

	get("/requests?status=Pending&q=laptop", NULL, NULL, &r);
	cr_assert_eq(r.status, 303, "%ld %s", r.status, r.body);
	cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
	snprintf(want, sizeof(want), "%s/login?next=%%2Frequests%%3Fstatus%%3DPending%%26q%%3Dlaptop",
	    th_env("PUBLIC_URL"));
	cr_assert_str_eq(loc, want);
	th_resp_free(&r);
	/* The script's fragment too: it never shows a signed-out visitor data. */
	get("/requests?live=1", NULL, NULL, &r);
	cr_assert_eq(r.status, 303);
	cr_assert_null(strstr(r.body, "data-id"));
	th_resp_free(&r);
	/* The landing page stays for visitors, and leads a signed-in person on. */
	page("/", NULL, 200, &r);
	expect_in(&r, "href=\"/login\"");
	th_resp_free(&r);
	{
		char email[EMAIL_MAX], ck[CK_MAX];

		person("viewer", email, ck);
		get("/", ck, NULL, &r);
		cr_assert_eq(r.status, 303);
		cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
		snprintf(want, sizeof(want), "%s/requests", th_env("PUBLIC_URL"));
		cr_assert_str_eq(loc, want);
		th_resp_free(&r);
	}
}

Test(dashboard, requester_sees_own_viewer_and_admin_see_all)
{
	char src[64], key[KEY_MAX], ann[EMAIL_MAX], ann_ck[CK_MAX], bob[EMAIL_MAX],
	    bob_ck[CK_MAX], vee[EMAIL_MAX], vee_ck[CK_MAX], adm[EMAIL_MAX], adm_ck[CK_MAX],
	    upper[EMAIL_MAX], path[URL_MAX];
	struct th_resp r;
	size_t i;

	own_source(src, key);
	person("requester", ann, ann_ck);
	person("requester", bob, bob_ck);
	person("viewer", vee, vee_ck);
	person("admin", adm, adm_ck);
	/* A source may spell the email in any case: it is still Ann's. */
	for (i = 0; ann[i] != '\0'; i++)
		upper[i] = (char)(ann[i] >= 'a' && ann[i] <= 'z' ? ann[i] - 32 : ann[i]);
	upper[i] = '\0';
	create(key, src, "Ann's monitor", "Ann", ann, "U0DASH01", NULL);
	create(key, src, "Ann's chair", "Ann", upper, "U0DASH01", NULL);
	create(key, src, "Bob's trip", "Bob", bob, "U0DASH01", NULL);
	create(key, src, "Nobody's licence", "Someone", NULL, "U0DASH01", NULL);

	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ann_ck, 200, &r);
	cr_assert_eq(rows(&r), 2, "%s", r.body);
	expect_in(&r, "Ann&#39;s monitor");
	expect_in(&r, "Ann&#39;s chair");
	cr_assert_null(strstr(r.body, "Bob&#39;s trip"));
	expect_counter(&r, "all", 2);
	expect_counter(&r, "Pending", 2);
	/* No requester filter is offered to a requester ... */
	cr_assert_null(strstr(r.body, "id=\"requester\""));
	expect_in(&r, "You see the requests you made.");
	th_resp_free(&r);
	/* ... and asking for someone else's still shows only one's own. */
	snprintf(path, sizeof(path), "/requests?source=%s&requester=%s", src, bob);
	page(path, ann_ck, 200, &r);
	cr_assert_eq(rows(&r), 2);
	cr_assert_null(strstr(r.body, "Bob&#39;s trip"));
	th_resp_free(&r);
	/* The live fragment is scoped the same way. */
	snprintf(path, sizeof(path), "/requests?source=%s&live=1", src);
	page(path, bob_ck, 200, &r);
	cr_assert_eq(rows(&r), 1);
	expect_in(&r, "Bob&#39;s trip");
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests?source=%s", src);
	expect_rows(path, vee_ck, 4);
	expect_rows(path, adm_ck, 4);
	page(path, vee_ck, 200, &r);
	expect_in(&r, "id=\"requester\"");
	expect_counter(&r, "all", 4);
	th_resp_free(&r);
	/* A viewer's requester filter: the email in any case. */
	snprintf(path, sizeof(path), "/requests?source=%s&requester=%s", src, upper);
	expect_rows(path, vee_ck, 2);
}

/* ------------------------------------------------------------ filters */

Test(dashboard, every_filter_narrows_the_list_and_the_counters)
{
	char src[64], key[KEY_MAX], vee[EMAIL_MAX], ck[CK_MAX], path[URL_MAX], id[ID_MAX],
	    old[ID_MAX], sql[640], today[16], yesterday[16];
	struct th_resp r;

	own_source(src, key);
	person("viewer", vee, ck);
	create(key, src, "Flights to Lisbon", "Carla", "carla@example.test", "U0FILT01", id);
	create(key, src, "Hotel in Porto", "Carla", "carla@example.test", "U0FILT02", NULL);
	create(key, src, "Team dinner zebrafish", "Dario", "dario@example.test",
	    "approver@example.test", NULL);
	create(key, src, "Old printer", "Dario", "dario@example.test", "U0FILT02", old);
	/* Cancel one: the status filter and counters see it. */
	{
		char p[256];

		snprintf(p, sizeof(p), "/api/requests/%s/cancel", id);
		th_api("POST", p, key, NULL, "{}", &r);
		cr_assert_eq(r.status, 200, "cancel: %ld %s", r.status, r.body);
		th_resp_free(&r);
	}
	/* One request from long ago, for the dates (its assignments carry a
	 * copy of created_at that triggers keep; replica mode lets it move). */
	snprintf(sql, sizeof(sql), "DO $$ BEGIN SET LOCAL session_replication_role = replica;"
	    " UPDATE requests SET created_at = '2020-03-15 12:00:00Z' WHERE id = '%s';"
	    " UPDATE assignments SET request_created_at = '2020-03-15 12:00:00Z'"
	    " WHERE request_id = '%s'; END $$", old, old);
	th_admin_sql(sql);

	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 4);
	expect_counter(&r, "all", 4);
	expect_counter(&r, "Pending", 3);
	expect_counter(&r, "Cancelled", 1);
	expect_counter(&r, "Approved", 0);
	/* Newest first: the old one last. */
	cr_assert(strstr(r.body, "Hotel in Porto") < strstr(r.body, "Flights to Lisbon"));
	cr_assert(strstr(r.body, "Flights to Lisbon") < strstr(r.body, "Old printer"));
	/* Source names are the choices, this one chosen. */
	{
		char want[128];

		snprintf(want, sizeof(want), "<option value=\"%s\" selected>", src);
		expect_in(&r, want);
	}
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests?source=%s&status=Cancelled", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 1);
	expect_in(&r, "Flights to Lisbon");
	/* The counters keep every status, the chosen one marked. */
	expect_counter(&r, "Pending", 3);
	expect_in(&r, "<li class=\"current\"><a href=\"/requests?status=Cancelled&amp;source=");
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests?source=%s&approver_id=U0FILT02", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 2);
	expect_in(&r, "Hotel in Porto");
	expect_in(&r, "Old printer");
	expect_counter(&r, "all", 2);
	expect_counter(&r, "Cancelled", 0);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/requests?source=%s&approver_id=approver%%40example.test", src);
	expect_rows(path, ck, 1);

	snprintf(path, sizeof(path), "/requests?source=%s&requester=dario%%40example.test", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 2);
	expect_in(&r, "Team dinner");
	th_resp_free(&r);

	/* The API's search: a word of the title, the requester's name. */
	snprintf(path, sizeof(path), "/requests?source=%s&q=zebrafish", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 1);
	expect_in(&r, "Team dinner zebrafish");
	expect_counter(&r, "all", 1);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/requests?source=%s&q=Carla", src);
	expect_rows(path, ck, 2);

	day(0, today);
	day(-1, yesterday);
	snprintf(path, sizeof(path), "/requests?source=%s&from=2020-03-15&to=2020-03-15", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 1);
	expect_in(&r, "Old printer");
	expect_counter(&r, "all", 1);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/requests?source=%s&from=%s", src, yesterday);
	expect_rows(path, ck, 3);
	snprintf(path, sizeof(path), "/requests?source=%s&to=2020-03-14", src);
	expect_rows(path, ck, 0);
	snprintf(path, sizeof(path), "/requests?source=%s&to=%s", src, today);
	expect_rows(path, ck, 4);
	/* Several at once, and the blank fields a GET form sends. */
	snprintf(path, sizeof(path), "/requests?q=&status=Pending&source=%s&approver_id=U0FILT02"
	    "&requester=dario%%40example.test&from=%s&to=", src, yesterday);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 0, "%s", r.body);
	expect_in(&r, "No requests match these filters.");
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/requests?q=&status=Pending&source=%s&approver_id=U0FILT02"
	    "&requester=dario%%40example.test&from=2020-01-01&to=", src);
	expect_rows(path, ck, 1);
}

Test(dashboard, pages_newest_first_with_a_cursor)
{
	char src[64], key[KEY_MAX], vee[EMAIL_MAX], ck[CK_MAX], path[URL_MAX], next[URL_MAX],
	    title[64];
	struct th_resp r;
	int i, total = PAGE_ROWS + 5;

	own_source(src, key);
	person("viewer", vee, ck);
	for (i = 1; i <= total; i++) {
		snprintf(title, sizeof(title), "Paged request %03d", i);
		create(key, src, title, "Pia", "pia@example.test", "U0PAGE01", NULL);
	}
	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), PAGE_ROWS);
	snprintf(title, sizeof(title), "Paged request %03d", total);
	cr_assert(strstr(r.body, title) != NULL && strstr(r.body, title) <
	    strstr(r.body, "Paged request 054"), "not newest first");
	cr_assert_null(strstr(r.body, "Paged request 005<"));
	cr_assert_null(strstr(r.body, ">Newest<"), "a first page links to itself");
	expect_counter(&r, "all", total);
	attr_after(r.body, "<a rel=\"next\"", "href", next, sizeof(next));
	th_resp_free(&r);
	cr_assert_not_null(strstr(next, "cursor="), "%s", next);
	cr_assert_not_null(strstr(next, src), "the next page keeps the filter: %s", next);

	page(next, ck, 200, &r);
	cr_assert_eq(rows(&r), 5, "%s", r.body);
	expect_in(&r, "Paged request 005<");
	expect_in(&r, "Paged request 001<");
	cr_assert_null(strstr(r.body, "Paged request 006<"));
	cr_assert_null(strstr(r.body, "rel=\"next\""), "the last page has no next");
	expect_in(&r, ">Newest</a>");
	/* The counters do not page. */
	expect_counter(&r, "all", total);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ live refresh */

Test(dashboard, unchanged_list_is_a_304_and_a_new_request_a_new_etag)
{
	char src[64], key[KEY_MAX], other[64], okey[KEY_MAX], vee[EMAIL_MAX], ck[CK_MAX],
	    path[URL_MAX], etag[256], etag2[256], inm[300], data_etag[256], live[URL_MAX];
	struct th_resp r;

	own_source(src, key);
	own_source(other, okey);
	person("viewer", vee, ck);
	create(key, src, "First of the list", "Ed", "ed@example.test", "U0LIVE01", NULL);

	/* The page says where its fragment is and which ETag it has now. */
	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ck, 200, &r);
	attr_after(r.body, "id=\"live\"", "data-live", live, sizeof(live));
	attr_after(r.body, "id=\"live\"", "data-etag", data_etag, sizeof(data_etag));
	expect_in(&r, "<script src=\"/static/dashboard.js\" defer></script>");
	/* The page itself is not kept: its layout (banner, menu) may change. */
	cr_assert_null(th_header(&r, "ETag", etag, sizeof(etag)), "the page has an ETag");
	th_resp_free(&r);
	cr_assert_not_null(strstr(live, "live=1"), "%s", live);
	cr_assert_not_null(strstr(live, src), "%s", live);

	page(live, ck, 200, &r);
	cr_assert_not_null(th_header(&r, "ETag", etag, sizeof(etag)), "the fragment has an ETag");
	cr_assert_str_eq(etag, data_etag);
	cr_assert_null(strstr(r.body, "<html"), "the fragment is not a page");
	expect_in(&r, "First of the list");
	{
		char cc[128];

		cr_assert_not_null(th_header(&r, "Cache-Control", cc, sizeof(cc)));
		cr_assert_str_eq(cc, "private, no-cache");
	}
	th_resp_free(&r);

	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	get(live, ck, inm, &r);
	cr_assert_eq(r.status, 304, "%ld %s", r.status, r.body);
	cr_assert_eq(r.len, 0);
	cr_assert_not_null(th_header(&r, "ETag", etag2, sizeof(etag2)));
	cr_assert_str_eq(etag2, etag);
	th_resp_free(&r);
	/* A weak comparison or a list of tags matches as well. */
	snprintf(inm, sizeof(inm), "If-None-Match: \"x\", W/%s", etag);
	get(live, ck, inm, &r);
	cr_assert_eq(r.status, 304);
	th_resp_free(&r);

	/* Another source's new request is not this list's change. */
	create(okey, other, "Elsewhere", "Ed", "ed@example.test", "U0LIVE01", NULL);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	get(live, ck, inm, &r);
	cr_assert_eq(r.status, 304, "%ld", r.status);
	th_resp_free(&r);

	/* A new request of this source: 200, the row, a new ETag. */
	create(key, src, "Second of the list", "Ed", "ed@example.test", "U0LIVE01", NULL);
	get(live, ck, inm, &r);
	cr_assert_eq(r.status, 200, "%ld", r.status);
	expect_in(&r, "Second of the list");
	expect_counter(&r, "all", 2);
	cr_assert_not_null(th_header(&r, "ETag", etag2, sizeof(etag2)));
	cr_assert_str_neq(etag2, etag);
	th_resp_free(&r);
	/* The new ETag holds until the next change. */
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag2);
	get(live, ck, inm, &r);
	cr_assert_eq(r.status, 304);
	th_resp_free(&r);

	/* Someone else holds their own ETag: the same tag is no 304 for them. */
	{
		char vee2[EMAIL_MAX], ck2[CK_MAX];

		person("viewer", vee2, ck2);
		get(live, ck2, inm, &r);
		cr_assert_eq(r.status, 200);
		th_resp_free(&r);
	}
}

/* ------------------------------------------------------------ refusals */

/* UPDATE requests SET set WHERE id = id (as the admin), then GET live
 * with the extra header; the answer in r. */
static void
update_then_get(const char *id, const char *set, const char *live, const char *ck,
    const char *extra, struct th_resp *r)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "UPDATE requests SET %s WHERE id = '%s'", set, id);
	th_admin_sql(sql);
	get(live, ck, extra, r);
}

/* The worker notes the requester's Slack id once per request (for the
 * self-approval check: lib/notify/fanout.c) and moves the reminder
 * schedule at each reminder; no page shows either, so the live fragment
 * stays a 304 (0031, 0033).  Any other change of the row is a change,
 * with those columns or without. */
Test(dashboard, hidden_columns_are_no_change_of_the_list)
{
	char src[64], key[KEY_MAX], vee[EMAIL_MAX], ck[CK_MAX], id[ID_MAX],
	    path[URL_MAX], live[URL_MAX], etag[256], etag2[256], inm[300];
	struct th_resp r;

	own_source(src, key);
	person("viewer", vee, ck);
	create(key, src, "Noted quietly", "Ed", "ed@example.test", "U0LIVE02", id);
	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ck, 200, &r);
	attr_after(r.body, "id=\"live\"", "data-live", live, sizeof(live));
	th_resp_free(&r);
	page(live, ck, 200, &r);
	cr_assert_not_null(th_header(&r, "ETag", etag, sizeof(etag)));
	th_resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);

	/* The worker's statement (fanout.c), as it runs it. */
	update_then_get(id, "requester_slack_resolved = 'U0EDRES'", live, ck, inm, &r);
	cr_assert_eq(r.status, 304, "noting the Slack id changed the list: %ld", r.status);
	th_resp_free(&r);
	update_then_get(id, "next_reminder_at = now() + interval '1 day'", live, ck, inm, &r);
	cr_assert_eq(r.status, 304, "the reminder schedule changed the list: %ld", r.status);
	th_resp_free(&r);

	update_then_get(id, "title = 'Noted, then renamed'", live, ck, inm, &r);
	cr_assert_eq(r.status, 200, "%ld", r.status);
	expect_in(&r, "Noted, then renamed");
	cr_assert_not_null(th_header(&r, "ETag", etag2, sizeof(etag2)));
	cr_assert_str_neq(etag2, etag);
	th_resp_free(&r);

	/* A hidden column and a shown one in one update: a change (0033
	 * compares the rest of the row). */
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag2);
	update_then_get(id, "next_reminder_at = now() + interval '2 days',"
	    " justification = 'Renamed with the schedule'", live, ck, inm, &r);
	cr_assert_eq(r.status, 200, "a shown column changed with a hidden one: %ld", r.status);
	th_resp_free(&r);
}

Test(dashboard, bad_filters_are_a_400_with_the_message_next_to_the_field)
{
	static const struct {
		const char	*query;
		const char	*field;
		const char	*says;
	} bad[] = {
		{ "from=2026-02-30", "from", "Type a date as YYYY-MM-DD" },
		{ "to=yesterday", "to", "Type a date as YYYY-MM-DD" },
		{ "from=2026-03-02&to=2026-03-01", "to", "The end date is before the start date." },
		{ "status=Done", "status", "Choose one of the statuses" },
		{ "requester=not-an-email", "requester", "email address" },
		{ "source=no-such-source-anywhere", "source", "Choose one of the sources" },
		{ "q=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "q", "at most 200 characters" },
	};
	char vee[EMAIL_MAX], ck[CK_MAX], path[URL_MAX], want[128];
	struct th_resp r;
	size_t i;

	person("viewer", vee, ck);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/requests?%s", bad[i].query);
		page(path, ck, 400, &r);
		snprintf(want, sizeof(want), "<p class=\"field-error\" id=\"%s-error\">", bad[i].field);
		expect_in(&r, want);
		expect_in(&r, bad[i].says);
		snprintf(want, sizeof(want), "aria-describedby=\"%s-error\"", bad[i].field);
		expect_in(&r, want);
		/* The form is there to correct it; no list, nothing polls. */
		expect_in(&r, "<form class=\"filters\"");
		cr_assert_null(strstr(r.body, "id=\"live\""));
		cr_assert_null(strstr(r.body, "dashboard.js"));
		th_resp_free(&r);
	}
	/* The value typed comes back, escaped. */
	page("/requests?from=%22%3E%3Cscript%3Ex()%3C%2Fscript%3E", ck, 400, &r);
	expect_in(&r, "value=\"&quot;&gt;&lt;script&gt;x()&lt;/script&gt;\"");
	cr_assert_null(strstr(r.body, "<script>x()"));
	th_resp_free(&r);
	/* A forged page link. */
	page("/requests?cursor=bm90LWEtY3Vyc29y", ck, 400, &r);
	expect_in(&r, "This page link is no longer valid.");
	th_resp_free(&r);
	page("/requests?cursor=MjAyNi0xMy00MFQwMDowMDowMC4wMDAwMDBafDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA",
	    ck, 400, &r);
	expect_in(&r, "This page link is no longer valid.");
	th_resp_free(&r);
	/* And the fragment refuses the same way. */
	page("/requests?status=Done&live=1", ck, 400, &r);
	th_resp_free(&r);
}

Test(dashboard, hostile_text_stays_text)
{
	static const char title[] = "<script>alert(1)</script><img src=x onerror=alert(2)>";
	static const char name[] = "\"><img src=x onerror=alert(3)>";
	char src[64], key[KEY_MAX], vee[EMAIL_MAX], ck[CK_MAX], path[URL_MAX];
	struct th_resp r;

	own_source(src, key);
	person("viewer", vee, ck);
	create(key, src, title, name, "mal@example.test", "U0XSS001", NULL);
	snprintf(path, sizeof(path), "/requests?source=%s&q=%%22%%3E%%3Cscript%%3Ealert(4)%%3C%%2Fscript%%3E",
	    src);
	page(path, ck, 200, &r);
	cr_assert_null(strstr(r.body, "<script>alert"), "%s", r.body);
	cr_assert_null(strstr(r.body, "<img src=x"), "%s", r.body);
	cr_assert_null(strstr(r.body, "\"><script"), "%s", r.body);
	/* The search typed is echoed as text, and carried in links encoded. */
	expect_in(&r, "value=\"&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;\"");
	expect_in(&r, "q=%22%3E%3Cscript%3Ealert%284%29%3C%2Fscript%3E");
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ck, 200, &r);
	expect_in(&r, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
	expect_in(&r, "&quot;&gt;&lt;img src=x onerror=alert(3)&gt;");
	cr_assert_null(strstr(r.body, "<img src=x"), "%s", r.body);
	/* One script on the page, the hub's own. */
	cr_assert_eq(count_of(r.body, "<script"), 1, "%s", r.body);
	expect_in(&r, "<script src=\"/static/dashboard.js\" defer></script>");
	{
		char csp[512];

		cr_assert_not_null(th_header(&r, "Content-Security-Policy", csp, sizeof(csp)));
		cr_assert_null(strstr(csp, "unsafe-inline"), "%s", csp);
	}
	th_resp_free(&r);
}

/* A request of source (with key) whose justification is just, via the API. */
static void
create_justified(const char *key, const char *source, const char *title, const char *just)
{
	char body[512];
	struct th_resp r;

	snprintf(body, sizeof(body), "{\"request_source\":\"%s\",\"title\":\"%s\","
	    "\"requester_name\":\"Erin\",\"approver_id\":\"U0RISK01\","
	    "\"justification_text\":\"%s\",\"metadata\":{}}", source, title, just);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	th_resp_free(&r);
}

/*
 * The risk column shows the engine's flags in its words and the AI's
 * status (none configured: "AI analysis off", never a score); the flag
 * filter narrows the list; the download links carry the filters, and the
 * export honours them.
 */
Test(dashboard, risk_flags_show_filter_and_export)
{
	char src[64], key[KEY_MAX], vee[EMAIL_MAX], ck[CK_MAX], path[URL_MAX], want[URL_MAX];
	struct th_resp r;

	own_source(src, key);
	person("viewer", vee, ck);
	create_justified(key, src, "Terse request", "ok");
	create_justified(key, src, "Explained request",
	    "The annual renewal of the design licences, as budgeted in March.");

	snprintf(path, sizeof(path), "/requests?source=%s", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 2);
	expect_in(&r, "<span class=\"flag\">⚠ short justification</span>");
	expect_in(&r, "<span class=\"muted\">AI analysis off</span>");
	cr_assert_null(strstr(r.body, "AI risk "), "a score without an analysis");
	expect_in(&r, "<option value=\"short_justification\">missing or short justification"
	    "</option>");
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests?source=%s&flag=short_justification", src);
	page(path, ck, 200, &r);
	cr_assert_eq(rows(&r), 1);
	expect_in(&r, "Terse request");
	snprintf(want, sizeof(want), "<a href=\"/requests.csv?source=%s&amp;flag="
	    "short_justification\" download>CSV</a>", src);
	expect_in(&r, want);
	expect_in(&r, "<a href=\"/charts\">Charts</a>");
	/* Viewers and admins get the charts on the dashboard itself. */
	expect_in(&r, "<img src=\"/charts/daily.svg\" loading=\"lazy\"");
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests.csv?source=%s&flag=short_justification", src);
	page(path, ck, 200, &r);
	cr_assert_not_null(strstr(r.body, "Terse request"), "%s", r.body);
	cr_assert_null(strstr(r.body, "Explained request"), "%s", r.body);
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/requests?source=%s&flag=bogus", src);
	page(path, ck, 400, &r);
	expect_in(&r, "Choose one of the risk flags in the list.");
	th_resp_free(&r);
}
