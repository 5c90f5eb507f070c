/*
 * test_exports.c - the admin's delivery problems, the CSV and JSON
 * exports and the charts, through nginx and cgi-bin/dashboard:
 *
 *   - CSV: hostile cells (formulas, quotes, newlines, commas, unicode) come
 *     out RFC 4180 and neutralised, read back by Python's csv module
 *     (exportcheck.py); the list's filters hold; a requester exports only
 *     their own rows and gets 404 for another's audit trail; the audit
 *     trail as CSV and JSON;
 *   - charts: every /charts/<name>.svg parses as XML (exportcheck.py) and
 *     shows the numbers of a data set written for the test; /charts for
 *     viewers, 403 for requesters;
 *   - /admin/deliveries: a Slack post that failed with channel_not_found
 *     is listed with Slack's error and the fix; Retry (a form POST with
 *     CSRF) requeues it, the stack's worker delivers it, the audit log
 *     says who retried; refusals for roles, no session, CSRF and a foreign
 *     Origin;
 *   - a browser screenshot of /charts (docs/screenshots/charts.png is a
 *     copy of it).
 *
 * Each test makes its own source, users and requests with unique names.
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
#include <libpq-fe.h>

#include "testlib.h"
#include "webdriver.h"

#define PW "correct horse battery"
#define CK_MAX 256
#define EMAIL_MAX 128
#define KEY_MAX 256
#define WAIT_TRIES 150   /* x 200 ms: the worker's turn */

/* ------------------------------------------------------------ helpers */

static void
uniq(const char *prefix, char *out, size_t outlen)
{
	unsigned char r[4];

	cr_assert_eq(getrandom(r, sizeof(r), 0), (ssize_t)sizeof(r));
	snprintf(out, outlen, "%s%02X%02X%02X%02X", prefix, r[0], r[1], r[2], r[3]);
}

/* One value of a one-row query ($1..$3 may be NULL) into out ("" without a row). */
static void
q3(const char *sql, const char *p1, const char *p2, const char *p3, char *out, size_t outlen)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));
	const char *params[3] = { p1, p2, p3 };
	int n = p3 ? 3 : p2 ? 2 : p1 ? 1 : 0;
	PGresult *r;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", sql, PQerrorMessage(c));
	if (out != NULL)
		snprintf(out, outlen, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
}

/* A user of role, signed in: the session cookie into ck, email into email. */
static void
signed_in(const char *role, char *ck, char *email)
{
	th_user_add(role, PW, email, EMAIL_MAX);
	cr_assert_eq(th_login(email, PW, NULL, ck, CK_MAX, NULL), 303);
}

/* POST /api/new-approval with source src's key; extra JSON members (may be "").  The id. */
static void
create(const char *key, const char *src, const char *title, const char *requester_email, const char *extra,
    char *id)
{
	json_object *o = json_object_new_object(), *v, *res;
	struct th_resp r;
	const char *body;
	char *full;
	size_t len;

	json_object_object_add(o, "request_source", json_object_new_string(src));
	json_object_object_add(o, "requester_name", json_object_new_string("Rita Requester"));
	json_object_object_add(o, "approver_id", json_object_new_string("UAPPROVER1"));
	json_object_object_add(o, "justification_text", json_object_new_string("needed"));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "metadata", json_object_new_object());
	if (requester_email != NULL)
		json_object_object_add(o, "requester_email", json_object_new_string(requester_email));
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(body) + strlen(extra) + 2;
	cr_assert_not_null(full = malloc(len));
	if (extra[0] != '\0')
		snprintf(full, len, "%.*s,%s}", (int)strlen(body) - 1, body, extra);
	else
		snprintf(full, len, "%s", body);
	th_api("POST", "/api/new-approval", key, NULL, full, &r);
	cr_assert_eq(r.status, 201, "create: %ld %s (%s)", r.status, r.body, full);
	cr_assert_not_null(res = th_json(&r));
	cr_assert(json_object_object_get_ex(res, "id", &v));
	snprintf(id, 40, "%s", json_object_get_string(v));
	json_object_put(res);
	json_object_put(o);
	free(full);
	th_resp_free(&r);
}

/* Run exportcheck.py on a response body: its JSON output (caller puts). */
static json_object *
check(const char *what, const struct th_resp *r)
{
	char path[1024], cmd[2048];
	struct th_resp out = { 0 };
	FILE *f, *p;
	json_object *o;
	size_t n;

	snprintf(path, sizeof(path), "%s/export-%d-%ld.%s", th_env("HUB_STATE"), (int)getpid(),
	    random(), what);
	cr_assert_not_null(f = fopen(path, "wb"));
	cr_assert_eq(fwrite(r->body, 1, r->len, f), r->len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/t/integration/exportcheck.py %s %s",
	    th_env("top_srcdir"), what, path);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(out.body = calloc(1, 1 << 20));
	n = fread(out.body, 1, (1 << 20) - 1, p);
	cr_assert_eq(pclose(p), 0, "%s rejected the %s export:\n%s", cmd, what, r->body);
	out.body[n] = '\0';
	cr_assert_not_null(o = json_tokener_parse(out.body), "%s", out.body);
	free(out.body);
	return o;
}

static const char *
row_cell(json_object *rows, size_t row, size_t col)
{
	json_object *r = json_object_array_get_idx(rows, row);

	cr_assert_not_null(r, "no row %zu", row);
	return json_object_get_string(json_object_array_get_idx(r, col));
}

/* The row of rows whose column col is want; -1 when none. */
static int
find_row(json_object *rows, size_t col, const char *want)
{
	size_t i, n = json_object_array_length(rows);

	for (i = 0; i < n; i++)
		if (strcmp(row_cell(rows, i, col), want) == 0)
			return (int)i;
	return -1;
}

/* A CSV export read back: its records (caller puts), the header checked. */
static json_object *
csv_rows(const char *path, const char *cookie)
{
	struct th_resp r;
	char ct[128], cd[256];
	json_object *rows;

	th_get(path, cookie, &r);
	cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
	cr_assert_str_eq(th_header(&r, "Content-Type", ct, sizeof(ct)),
	    "text/csv; charset=utf-8; header=present");
	cr_assert_not_null(th_header(&r, "Content-Disposition", cd, sizeof(cd)));
	cr_assert_not_null(strstr(cd, "attachment; filename=\""), "%s", cd);
	rows = check("csv", &r);
	th_resp_free(&r);
	return rows;
}

#define COL_ID 0
#define COL_SOURCE 1
#define COL_TITLE 3
#define COL_STATUS 5

/* ------------------------------------------------------------ CSV */

Test(exports, csv_keeps_hostile_cells_as_text)
{
	/* The API refuses control characters in a title; the last three come
	 * straight from the database (an older hub, a hand-made row). */
	static const char *const hostile[] = {
		"=HYPERLINK(\"http://evil.example/\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)",
		"a,b,c", "say \"hi\"", "Zoë — 日本語 ✓ 🙂", "plain title",
		"two\nlines", "cr\r\nlf", "\t=tabbed",
	};
	char src[64], key[KEY_MAX], ck[CK_MAX], email[EMAIL_MAX], id[40], path[256], want[256],
	    sid[64];
	json_object *rows;
	size_t i;
	int at;
	struct th_resp r;

	uniq("hostile-", src, sizeof(src));
	th_source_key(src, key, sizeof(key));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]) - 3; i++)
		create(key, src, hostile[i], NULL, "", id);
	q3("SELECT id FROM sources WHERE name = $1", src, NULL, NULL, sid, sizeof(sid));
	for (; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		q3("INSERT INTO requests (source_id, requester_name, title) VALUES ($1::uuid, $2, $3)",
		    sid, hostile[i], hostile[i], NULL, 0);
	signed_in("viewer", ck, email);
	snprintf(path, sizeof(path), "/requests.csv?source=%s", src);
	rows = csv_rows(path, ck);
	cr_assert_eq(json_object_array_length(rows), 1 + sizeof(hostile) / sizeof(hostile[0]));
	cr_expect_str_eq(row_cell(rows, 0, 0), "id");
	cr_expect_str_eq(row_cell(rows, 0, COL_TITLE), "title");
	cr_expect_str_eq(row_cell(rows, 0, 11), "decided_by");
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		/* A cell a spreadsheet would run comes back behind a quote. */
		snprintf(want, sizeof(want), "%s%s", strchr("=+-@\t", hostile[i][0]) ? "'" : "",
		    hostile[i]);
		at = find_row(rows, COL_TITLE, want);
		cr_expect_geq(at, 1, "title %s not read back as %s", hostile[i], want);
		if (at >= 1)
			cr_expect_str_eq(row_cell(rows, (size_t)at, COL_SOURCE), src);
	}
	json_object_put(rows);
	/* The raw bytes: quotes doubled, the formula quoted. */
	th_get(path, ck, &r);
	cr_expect_not_null(strstr(r.body, "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"click\"\")\""),
	    "%s", r.body);
	cr_expect_not_null(strstr(r.body, "\"say \"\"hi\"\"\""));
	cr_expect_not_null(strstr(r.body, "\"a,b,c\""));
	cr_expect_eq(strncmp(r.body, "id,source,external_id,title,requester_name,status,"
	    "current_step,created_at,updated_at,deadline,decided_at,decided_by\r\n", 103), 0,
	    "%s", r.body);
	th_resp_free(&r);
}

Test(exports, json_export_is_the_same_list)
{
	char src[64], key[KEY_MAX], ck[CK_MAX], email[EMAIL_MAX], id[40], path[256];
	json_object *o, *list, *v;
	struct th_resp r;
	int i;

	uniq("json-", src, sizeof(src));
	th_source_key(src, key, sizeof(key));
	for (i = 0; i < 3; i++)
		create(key, src, i == 0 ? "=1+2 <script>" : "plain", NULL, "", id);
	signed_in("admin", ck, email);
	snprintf(path, sizeof(path), "/requests.json?source=%s", src);
	th_get(path, ck, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(o = th_json(&r), "%s", r.body);
	cr_assert(json_object_object_get_ex(o, "requests", &list));
	cr_expect_eq(json_object_array_length(list), 3);
	cr_assert(json_object_object_get_ex(o, "count", &v));
	cr_expect_eq(json_object_get_int(v), 3);
	/* Newest first; JSON needs no neutralising: the value is as sent. */
	v = json_object_array_get_idx(list, 2);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(v, "title")),
	    "=1+2 <script>");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(v, "source")), src);
	json_object_put(o);
	th_resp_free(&r);
}

Test(exports, filters_are_those_of_the_list)
{
	char src[64], key[KEY_MAX], ck[CK_MAX], email[EMAIL_MAX], a[40], b[40], c[40],
	    path[256];
	json_object *rows;
	struct th_resp r;

	uniq("filters-", src, sizeof(src));
	th_source_key(src, key, sizeof(key));
	create(key, src, "Laptop for Ana", NULL, "", a);
	create(key, src, "Conference travel", NULL, "", b);
	create(key, src, "Laptop bag", NULL, "", c);
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", b);
	th_api("POST", path, key, "application/json", "{}", &r);
	cr_assert_eq(r.status, 200, "cancel: %ld %s", r.status, r.body);
	th_resp_free(&r);
	signed_in("viewer", ck, email);

	snprintf(path, sizeof(path), "/requests.csv?source=%s&status=Cancelled", src);
	rows = csv_rows(path, ck);
	cr_expect_eq(json_object_array_length(rows), 2);
	cr_expect_str_eq(row_cell(rows, 1, COL_ID), b);
	cr_expect_str_eq(row_cell(rows, 1, COL_STATUS), "Cancelled");
	json_object_put(rows);
	/* q, and empty values (a form's untouched fields) filter nothing. */
	snprintf(path, sizeof(path), "/requests.csv?source=%s&q=laptop&status=&approver=", src);
	rows = csv_rows(path, ck);
	cr_expect_eq(json_object_array_length(rows), 3);
	cr_expect_lt(find_row(rows, COL_ID, b), 0, "the travel request matched 'laptop'");
	json_object_put(rows);
	snprintf(path, sizeof(path), "/requests.csv?source=%s&approver_id=UAPPROVER1&status=Pending",
	    src);
	rows = csv_rows(path, ck);
	cr_expect_eq(json_object_array_length(rows), 3);
	json_object_put(rows);
	snprintf(path, sizeof(path), "/requests.csv?source=%s&approver_id=UNOBODY", src);
	rows = csv_rows(path, ck);
	cr_expect_eq(json_object_array_length(rows), 1, "only the header");
	json_object_put(rows);
	/* A wrong filter is a clear 400, not a silently bigger file. */
	th_get("/requests.csv?status=Maybe", ck, &r);
	cr_expect_eq(r.status, 400);
	cr_expect_not_null(strstr(r.body, "status must be one of"), "%s", r.body);
	th_resp_free(&r);
	th_get("/requests.json?colour=red", ck, &r);
	cr_expect_eq(r.status, 400);
	cr_expect_not_null(strstr(r.body, "colour"), "%s", r.body);
	th_resp_free(&r);
}

Test(exports, a_requester_exports_only_their_own)
{
	char src[64], key[KEY_MAX], ck[CK_MAX], email[EMAIL_MAX], other_ck[CK_MAX],
	    other[EMAIL_MAX], mine[40], theirs[40], path[256], upper[EMAIL_MAX];
	json_object *rows, *o, *list;
	struct th_resp r;
	size_t i;

	uniq("own-", src, sizeof(src));
	th_source_key(src, key, sizeof(key));
	signed_in("requester", ck, email);
	signed_in("requester", other_ck, other);
	/* A source sent it for the requester's email, in another case. */
	for (i = 0; email[i] != '\0' && i + 1 < sizeof(upper); i++)
		upper[i] = (char)(email[i] >= 'a' && email[i] <= 'z' ? email[i] - 32 : email[i]);
	upper[i] = '\0';
	create(key, src, "Mine", upper, "", mine);
	create(key, src, "Theirs", other, "", theirs);

	snprintf(path, sizeof(path), "/requests.csv?source=%s", src);
	rows = csv_rows(path, ck);
	cr_expect_eq(json_object_array_length(rows), 2, "header and one row");
	cr_expect_str_eq(row_cell(rows, 1, COL_ID), mine);
	json_object_put(rows);
	/* Without filters too: nothing of anybody else. */
	rows = csv_rows("/requests.csv", ck);
	cr_expect_lt(find_row(rows, COL_ID, theirs), 0);
	cr_expect_geq(find_row(rows, COL_ID, mine), 1);
	cr_expect_eq(json_object_array_length(rows), 2);
	json_object_put(rows);
	th_get("/requests.json", other_ck, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(o = th_json(&r));
	cr_assert(json_object_object_get_ex(o, "requests", &list));
	cr_expect_eq(json_object_array_length(list), 1);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(list, 0), "id")), theirs);
	json_object_put(o);
	th_resp_free(&r);
	/* Another's audit trail is not there for them. */
	snprintf(path, sizeof(path), "/requests/%s/audit.csv", theirs);
	th_get(path, ck, &r);
	cr_expect_eq(r.status, 404, "%ld", r.status);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/requests/%s/audit.json", mine);
	th_get(path, ck, &r);
	cr_expect_eq(r.status, 200, "%ld %s", r.status, r.body);
	th_resp_free(&r);
	/* No session: to the sign-in page. */
	th_get("/requests.csv", NULL, &r);
	cr_expect_eq(r.status, 303);
	th_resp_free(&r);
}

Test(exports, audit_trail_as_csv_and_json)
{
	char src[64], key[KEY_MAX], ck[CK_MAX], email[EMAIL_MAX], id[40], path[256];
	json_object *rows, *o, *list, *v;
	struct th_resp r;

	uniq("audit-", src, sizeof(src));
	th_source_key(src, key, sizeof(key));
	create(key, src, "Audited", NULL, "", id);
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	th_api("POST", path, key, "application/json", "{\"reason\":\"=cmd|' /C calc'!A0\"}", &r);
	cr_assert_eq(r.status, 200, "cancel: %ld %s", r.status, r.body);
	th_resp_free(&r);
	signed_in("viewer", ck, email);

	snprintf(path, sizeof(path), "/requests/%s/audit.csv", id);
	rows = csv_rows(path, ck);
	cr_assert_eq(json_object_array_length(rows), 3, "header, created, cancelled");
	cr_expect_str_eq(row_cell(rows, 0, 0), "at");
	cr_expect_str_eq(row_cell(rows, 0, 4), "detail");
	cr_expect_str_eq(row_cell(rows, 1, 2), "request.created");
	cr_expect_str_eq(row_cell(rows, 2, 2), "request.cancelled");
	cr_expect_str_eq(row_cell(rows, 2, 3), "api");
	cr_expect_eq(row_cell(rows, 2, 4)[0], '{', "detail is JSON: %s", row_cell(rows, 2, 4));
	json_object_put(rows);

	snprintf(path, sizeof(path), "/requests/%s/audit.json", id);
	th_get(path, ck, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(o = th_json(&r), "%s", r.body);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(o, "request_id")), id);
	cr_assert(json_object_object_get_ex(o, "audit", &list));
	cr_assert_eq(json_object_array_length(list), 2);
	v = json_object_array_get_idx(list, 1);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(v, "action")),
	    "request.cancelled");
	cr_expect(json_object_is_type(json_object_object_get(v, "detail"), json_type_object));
	json_object_put(o);
	th_resp_free(&r);

	th_get("/requests/00000000-0000-0000-0000-000000000000/audit.csv", ck, &r);
	cr_expect_eq(r.status, 404);
	th_resp_free(&r);
	th_get("/requests/not-a-uuid/audit.json", ck, &r);
	cr_expect_eq(r.status, 404);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ charts */

/* A known data set, written straight into the tables: 3 requests today,
 * 2 two days ago (approved after 1 h, rejected after 3 h), 1 ten days ago
 * (approved after 2 h), 1 forty days ago (outside the charts). */
static void
chart_data(const char *src)
{
	static const char *const rows[] = {
		"0 days|0|Pending|", "0 days|0|Pending|", "0 days|0|Pending|",
		"2 days|12|Approved|1 hour", "2 days|12|Rejected|3 hours",
		"10 days|12|Approved|2 hours", "40 days|12|Approved|1 hour",
	};
	char id[64];
	size_t i;

	q3("INSERT INTO sources (name) VALUES ($1) RETURNING id", src, NULL, NULL, id, sizeof(id));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		q3("WITH p AS (SELECT split_part($2, '|', 1)::interval AS ago,"
		    "  split_part($2, '|', 2)::int AS hour, split_part($2, '|', 3) AS status,"
		    "  nullif(split_part($2, '|', 4), '')::interval AS took),"
		    " t AS (SELECT CASE WHEN p.hour = 0 THEN now() ELSE"
		    "  (date_trunc('day', now() AT TIME ZONE 'UTC') - p.ago"
		    "   + make_interval(hours => p.hour)) AT TIME ZONE 'UTC' END AS at, p.* FROM p)"
		    " INSERT INTO requests (source_id, requester_name, title, status, created_at,"
		    "  decided_at)"
		    " SELECT $1::uuid, 'Chart Data', 'chart', t.status, t.at, t.at + t.took FROM t",
		    id, rows[i], NULL, NULL, 0);
}

/* GET /charts/<name>.svg as cookie: exportcheck.py's reading of it. */
static json_object *
svg_of(const char *name, const char *src, const char *cookie)
{
	char path[256], ct[128], csp[128];
	struct th_resp r;
	json_object *o;

	snprintf(path, sizeof(path), "/charts/%s.svg%s%s", name, src ? "?source=" : "",
	    src ? src : "");
	th_get(path, cookie, &r);
	cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
	cr_assert_str_eq(th_header(&r, "Content-Type", ct, sizeof(ct)),
	    "image/svg+xml; charset=utf-8");
	cr_assert_str_eq(th_header(&r, "Content-Security-Policy", csp, sizeof(csp)),
	    "default-src 'none'");
	o = check("svg", &r);
	th_resp_free(&r);
	return o;
}

/* Does the chart have an element titled want? */
static int
has_title(json_object *chart, const char *want)
{
	json_object *titles = json_object_object_get(chart, "titles");
	size_t i, n = json_object_array_length(titles);

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(titles, i)), want) == 0)
			return 1;
	return 0;
}

static void
utc_day(int ago, char *out, size_t outlen)
{
	time_t t = time(NULL) - (time_t)ago * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%d", &tm);
}

Test(exports, charts_draw_the_numbers_of_a_known_data_set)
{
	char src[64], ck[CK_MAX], email[EMAIL_MAX], want[256], day[16];
	json_object *c;

	uniq("Charts <&> ", src, sizeof(src));
	chart_data(src);
	signed_in("viewer", ck, email);

	c = svg_of("daily", NULL, ck);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(c, "title")),
	    "Requests per day by source");
	json_object_put(c);
	{
		char enc[128];
		size_t i, j = 0;

		for (i = 0; src[i] != '\0' && j + 4 < sizeof(enc); i++) {
			if (src[i] == ' ' || src[i] == '<' || src[i] == '&' || src[i] == '>')
				j += (size_t)snprintf(enc + j, sizeof(enc) - j, "%%%02X",
				    (unsigned char)src[i]);
			else
				enc[j++] = src[i];
		}
		enc[j] = '\0';
		c = svg_of("daily", enc, ck);
		utc_day(0, day, sizeof(day));
		snprintf(want, sizeof(want), "%s \xc2\xb7 %s: 3 requests", src, day);
		cr_expect(has_title(c, want), "no '%s' in %s", want, json_object_to_json_string(c));
		utc_day(2, day, sizeof(day));
		snprintf(want, sizeof(want), "%s \xc2\xb7 %s: 2 requests", src, day);
		cr_expect(has_title(c, want), "no '%s'", want);
		utc_day(10, day, sizeof(day));
		snprintf(want, sizeof(want), "%s \xc2\xb7 %s: 1 requests", src, day);
		cr_expect(has_title(c, want), "no '%s'", want);
		cr_expect_eq(json_object_array_length(json_object_object_get(c, "titles")), 3,
		    "the request of 40 days ago is outside: %s", json_object_to_json_string(c));
		snprintf(want, sizeof(want), "%s 6. Total 6.", src);
		cr_expect_not_null(strstr(json_object_get_string(json_object_object_get(c, "desc")),
		    want), "%s", json_object_to_json_string(c));
		json_object_put(c);

		/* Median of 1 h, 3 h, 2 h is 2 h; 2 of 3 decisions approved. */
		c = svg_of("median", enc, ck);
		snprintf(want, sizeof(want), "%s: 2.0 h", src);
		cr_expect(has_title(c, want), "no '%s' in %s", want, json_object_to_json_string(c));
		json_object_put(c);
		c = svg_of("approval", enc, ck);
		snprintf(want, sizeof(want), "%s: 67%%", src);
		cr_expect(has_title(c, want), "no '%s' in %s", want, json_object_to_json_string(c));
		cr_expect(has_title(c, "All sources: 67%"), "%s", json_object_to_json_string(c));
		json_object_put(c);
	}
	c = svg_of("deliveries", NULL, ck);
	cr_expect_eq(json_object_array_length(json_object_object_get(c, "titles")), 4);
	cr_expect_not_null(strstr(json_object_to_json_string(c), "Delivered: "));
	json_object_put(c);
}

Test(exports, charts_are_for_viewers_and_admins)
{
	char ck[CK_MAX], email[EMAIL_MAX];
	struct th_resp r;
	const char *p;
	int n = 0;

	signed_in("viewer", ck, email);
	th_get("/charts", ck, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	for (p = r.body; (p = strstr(p, "<svg xmlns")) != NULL; p++)
		n++;
	cr_expect_eq(n, 4, "%s", r.body);
	cr_expect_null(strstr(r.body, "<script"));
	cr_expect_not_null(strstr(r.body, "<desc id=\"daily-desc\">"));
	th_resp_free(&r);
	th_get("/charts/nope.svg", ck, &r);
	cr_expect_eq(r.status, 404);
	th_resp_free(&r);
	th_get("/charts/daily.svg?days=9", ck, &r);
	cr_expect_eq(r.status, 400);
	th_resp_free(&r);
	signed_in("requester", ck, email);
	th_get("/charts", ck, &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
	th_get("/charts/daily.svg", ck, &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
	th_get("/charts/daily.svg", NULL, &r);
	cr_expect_eq(r.status, 303);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ deliveries */

/* The delivery_log row of request rid's Slack post: "id|status|code". */
static void
delivery_of(const char *rid, char *out, size_t outlen)
{
	q3("SELECT concat_ws('|', id, status, coalesce(error_code, '')) FROM delivery_log"
	    " WHERE request_id = $1::uuid AND transport = 'slack' ORDER BY id LIMIT 1",
	    rid, NULL, NULL, out, outlen);
}

/* Wait until the request's Slack post has status want ("id|want|..."). */
static void
wait_delivery(const char *rid, const char *want, char *out, size_t outlen)
{
	char st[64];
	int i;

	snprintf(st, sizeof(st), "|%s|", want);
	for (i = 0; i < WAIT_TRIES; i++) {
		delivery_of(rid, out, outlen);
		if (strstr(out, st) != NULL)
			return;
		usleep(200000);
	}
	cr_assert_fail("the delivery of %s is \"%s\", not %s", rid, out, want);
}

Test(exports, a_failed_post_shows_its_fix_and_retry_delivers_it)
{
	char src[64], key[KEY_MAX], admin[KEY_MAX], team[32], token[64], conn[64], chan[32],
	    body[1024], rid[40], row[128], did[32], ck[CK_MAX], email[EMAIL_MAX], csrf[128],
	    path[128], v[256];
	struct th_resp r;
	json_object *o;

	uniq("T", team, sizeof(team));
	uniq("CGONE", chan, sizeof(chan));
	snprintf(token, sizeof(token), "xoxb-%s-exports", team);
	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\",\"team_name\":\"%s\","
	    "\"bot_user_id\":\"UB%s\",\"bot_id\":\"BB%s\"}]", token, team, team, team + 1,
	    team + 1);
	json_object_put(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body));
	cr_assert_not_null(o);
	th_admin_key(admin, sizeof(admin));
	uniq("conn-", conn, sizeof(conn));
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"type\":\"SLACK_APP\",\"token\":\"%s\"}",
	    conn, token);
	th_api("POST", "/api/connections", admin, NULL, body, &r);
	cr_assert_eq(r.status, 201, "connection: %ld %s", r.status, r.body);
	th_resp_free(&r);

	/* A channel post to a channel Slack does not know. */
	uniq("deliveries-", src, sizeof(src));
	th_source_key(src, key, sizeof(key));
	snprintf(body, sizeof(body), "\"delivery\":\"channel\",\"channel\":\"%s\","
	    "\"connection\":\"%s\"", chan, conn);
	create(key, src, "Post me <b>", NULL, body, rid);
	wait_delivery(rid, "failed", row, sizeof(row));
	cr_assert_not_null(strstr(row, "|channel_not_found"), "%s", row);
	snprintf(did, sizeof(did), "%.*s", (int)strcspn(row, "|"), row);

	/* The page names Slack's error and the fix, with a Retry button. */
	signed_in("admin", ck, email);
	th_get("/admin/deliveries", ck, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	snprintf(path, sizeof(path), "id=\"delivery-%s\"", did);
	cr_assert_not_null(strstr(r.body, path), "delivery %s not listed: %s", did, r.body);
	{
		const char *tr = strstr(r.body, path), *end = strstr(tr, "</tr>");
		char *one = strndup(tr, (size_t)(end - tr));

		cr_expect_not_null(strstr(one, "channel_not_found"), "%s", one);
		cr_expect_not_null(strstr(one, "Check the channel id (channel details, it starts"
		    " with C or G)"), "%s", one);
		cr_expect_not_null(strstr(one, chan), "%s", one);
		cr_expect_not_null(strstr(one, "Post me &lt;b&gt;"), "%s", one);
		snprintf(v, sizeof(v), "action=\"/admin/deliveries/%s/retry\"", did);
		cr_expect_not_null(strstr(one, v), "no Retry form: %s", one);
		free(one);
	}
	cr_expect_not_null(strstr(r.body, "id=\"queue-notify\""), "the queue by kind: %s",
	    r.body);
	th_resp_free(&r);

	/* The admin fixes the cause (the channel now exists, the bot in it)... */
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"name\":\"fixed-%s\",\"is_member\":true,"
	    "\"team\":\"%s\"}]", chan, chan, team);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/channels", body));
	/* ... and presses Retry: refused without the form's token or from elsewhere. */
	th_csrf(ck, csrf, sizeof(csrf));
	snprintf(path, sizeof(path), "/admin/deliveries/%s/retry", did);
	th_post_form(path, ck, NULL, "csrf=wrong", &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	th_post_form(path, ck, "Origin: https://evil.example", body, &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
	th_get(path, ck, &r);
	cr_expect_eq(r.status, 405, "no change on GET");
	th_resp_free(&r);
	delivery_of(rid, row, sizeof(row));
	cr_expect_not_null(strstr(row, "|failed|"), "a refused retry changed it: %s", row);
	th_post_form(path, ck, NULL, body, &r);
	cr_assert_eq(r.status, 303, "%ld %s", r.status, r.body);
	cr_expect_not_null(th_header(&r, "Location", v, sizeof(v)));
	cr_expect_not_null(strstr(v, "/admin/deliveries?retried="), "%s", v);
	th_resp_free(&r);

	/* The worker sends it; the message is in the channel. */
	wait_delivery(rid, "delivered", row, sizeof(row));
	snprintf(path, sizeof(path), "/_fake/messages?channel=%s", chan);
	o = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
	cr_assert_not_null(o);
	cr_expect_eq(json_object_array_length(o), 1, "%s", json_object_to_json_string(o));
	json_object_put(o);
	/* Who retried it is on record. */
	q3("SELECT concat_ws('|', actor, via, detail->>'delivery_id', detail->>'error_code',"
	    " detail->>'actor_kind') FROM audit_log WHERE request_id = $1::uuid"
	    " AND action = 'delivery.retried'", rid, NULL, NULL, v, sizeof(v));
	snprintf(body, sizeof(body), "Test admin|web|%s|channel_not_found|user", did);
	cr_expect_str_eq(v, body);
	/* Delivered: nothing left to retry. */
	snprintf(path, sizeof(path), "/admin/deliveries/%s/retry", did);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	th_post_form(path, ck, NULL, body, &r);
	cr_expect_eq(r.status, 409, "%ld", r.status);
	th_resp_free(&r);
	th_post_form("/admin/deliveries/999999999999/retry", ck, NULL, body, &r);
	cr_expect_eq(r.status, 404, "%ld", r.status);
	th_resp_free(&r);
}

Test(exports, deliveries_are_for_admins)
{
	char ck[CK_MAX], email[EMAIL_MAX], csrf[128], body[256];
	struct th_resp r;

	th_get("/admin/deliveries", NULL, &r);
	cr_expect_eq(r.status, 303);
	cr_expect_not_null(strstr(r.headers, "/login?next=%2Fadmin%2Fdeliveries"), "%s", r.headers);
	th_resp_free(&r);
	th_post_form("/admin/deliveries/1/retry", NULL, NULL, "csrf=x", &r);
	cr_expect_eq(r.status, 303);
	th_resp_free(&r);
	signed_in("viewer", ck, email);
	th_get("/admin/deliveries", ck, &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
	th_csrf(ck, csrf, sizeof(csrf));
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	th_post_form("/admin/deliveries/1/retry", ck, NULL, body, &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
	signed_in("requester", ck, email);
	th_get("/admin/deliveries", ck, &r);
	cr_expect_eq(r.status, 403);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ browser */

Test(exports, charts_page_in_a_browser, .timeout = 90)
{
	char email[EMAIL_MAX], e[WD_ELEMENT_MAX], url[512], shot[1024], src[64], log[1024];
	struct wd wd;
	json_object *v;
	int rc;

	uniq("Browser charts ", src, sizeof(src));
	chart_data(src);
	th_user_add("viewer", PW, email, sizeof(email));
	snprintf(log, sizeof(log), "%s/log/chromedriver-charts.log", th_env("HUB_STATE"));
	cr_assert_eq(wd_start(&wd, "/usr/bin/chromedriver", "/usr/bin/chromium", log), WD_OK,
	    "browser: %s", wd.error);
	cr_assert_eq(wd_window_size(&wd, 1100, 1400), WD_OK, "%s", wd.error);
	snprintf(url, sizeof(url), "%s/login?next=%%2Fcharts", th_env("HUB_URL"));
	cr_assert_eq(wd_navigate(&wd, url), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_wait(&wd, "input#email", 8000, e), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, e, email), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_wait(&wd, "input#password", 8000, e), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_send_keys(&wd, e, PW), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_wait(&wd, "form[action='/login'] button[type=submit]", 8000, e), WD_OK);
	cr_assert_eq(wd_click(&wd, e), WD_OK, "%s", wd.error);
	cr_assert_eq(wd_wait(&wd, ".charts figure svg", 8000, e), WD_OK, "%s", wd.error);
	/* Four charts, drawn: each laid out with a size, no script on the page. */
	v = wd_exec(&wd, "var s = document.querySelectorAll('.charts figure svg'), n = 0;"
	    " for (var i = 0; i < s.length; i++) { var r = s[i].getBoundingClientRect();"
	    " if (r.width > 300 && r.height > 50) n++; }"
	    " return n * 10 + document.scripts.length;", NULL, &rc);
	cr_assert_eq(rc, WD_OK, "%s", wd.error);
	cr_expect_eq(json_object_get_int(v), 40, "charts drawn * 10 + scripts");
	json_object_put(v);
	snprintf(shot, sizeof(shot), "%s/screens", th_env("HUB_STATE"));
	mkdir(shot, 0755);
	snprintf(shot, sizeof(shot), "%s/screens/charts.png", th_env("HUB_STATE"));
	cr_expect_eq(wd_screenshot(&wd, shot), WD_OK, "%s", wd.error);
	cr_log_info("screenshot: %s", shot);
	wd_stop(&wd);
}
