/*
 * test_strict.c - what the API refuses rather than quietly change,
 * through nginx -> cgi-bin/api -> PostgreSQL:
 *   numbers beyond 64 bits (2e19, 18446744073709551616, -1e19, 1e400)
 *   and keys holding \u0000 are a 400 naming the field, and nothing is
 *   stored clamped or cut;
 *   an Idempotency-Key reused with another body is a 422 (the same body
 *   still returns the original request);
 *   the 500-approver cap counts group members (a group of 400 listed
 *   twice over two steps is refused, nothing written);
 *   nginx's own refusals under /api/ (a %00 in the path, a body over its
 *   limit) answer in the API's JSON error shape.
 *
 * Every test makes its own source, so none sees another's rows.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "testlib.h"

static void
uniq(const char *prefix, char *out, size_t len)
{
	static int n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%s-%d-%ld-%d", prefix, (int)getpid(), ts.tv_nsec, ++n);
}

static PGconn *
db(void)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	return c;
}

/* The first cell of a one-row query with one parameter (malloc'd). */
static char *
cell(const char *q, const char *p1)
{
	PGconn *c = db();
	PGresult *r = PQexecParams(c, q, p1 != NULL ? 1 : 0, NULL, &p1, NULL, NULL, 0);
	char *s;

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", q, PQerrorMessage(c));
	cr_assert_eq(PQntuples(r), 1, "%s", q);
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return s;
}

static long long
count(const char *q, const char *p1)
{
	char *s = cell(q, p1);
	long long n = strtoll(s, NULL, 10);

	free(s);
	return n;
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
	    json_object_to_json_string(o));
	return json_object_get_string(v);
}

#define REQUESTS_OF "SELECT count(*) FROM requests r JOIN sources s ON s.id = r.source_id" \
	" WHERE s.name = $1"

/* ------------------------------------------------------------ numbers, keys */

Test(strict, numbers_beyond_64_bits_are_400_naming_the_field)
{
	static const struct { const char *meta, *field; } cases[] = {
		{ "{\"amount\":2e19}", "metadata.amount" },
		{ "{\"amount\":18446744073709551616}", "metadata.amount" },
		{ "{\"amount\":9223372036854775808}", "metadata.amount" },
		{ "{\"amount\":-99999999999999999999}", "metadata.amount" },
		{ "{\"amount\":-1e19}", "metadata.amount" },
		{ "{\"amount\":1e400}", "metadata.amount" },
		{ "{\"lines\":[1,2,{\"cost\":3.5e30}]}", "metadata.lines[2].cost" },
	};
	char name[64], key[128], body[512];
	struct th_resp r;
	json_object *o;
	size_t i;

	uniq("bignum", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
		    "\"justification_text\":\"x\",\"metadata\":%s}", cases[i].meta);
		th_api("POST", "/api/new-approval", key, NULL, body, &r);
		o = th_expect(&r, 400, cases[i].field);
		cr_assert_not_null(strstr(jstr(o, "error"), "64 bits"), "%s", r.body);
		json_object_put(o);
		th_resp_free(&r);
	}
	/* a top-level field too, and the edges of int64 are fine */
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\",\"metadata\":{},"
	    "\"reminder_every\":18446744073709551616}", &r);
	json_object_put(th_expect(&r, 400, "reminder_every"));
	th_resp_free(&r);
	cr_assert_eq(count(REQUESTS_OF, name), 0, "nothing was stored");
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\",\"metadata\":"
	    "{\"hi\":9223372036854775807,\"lo\":-9223372036854775808,\"f\":1.5e18}}", &r);
	json_object_put(th_expect(&r, 201, NULL));
	th_resp_free(&r);
	{
		char *m = cell("SELECT r.metadata->>'hi' FROM requests r JOIN sources s"
		    " ON s.id = r.source_id WHERE s.name = $1", name);

		cr_assert_str_eq(m, "9223372036854775807");
		free(m);
	}
}

Test(strict, nul_in_a_key_is_400_naming_the_key)
{
	char name[64], key[128];
	struct th_resp r;
	json_object *o;

	uniq("nulkey", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	/* "a\u0000b" and "a" would be one key once cut at the NUL */
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\","
	    "\"metadata\":{\"a\":\"1\",\"a\\u0000b\":\"2\"}}", &r);
	o = th_expect(&r, 400, "metadata.a\\u0000b");
	cr_assert_not_null(strstr(jstr(o, "error"), "\\u0000"), "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	/* any key of any body: a top-level one on another endpoint too */
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\",\"metadata\":{},"
	    "\"title\\u0000x\":\"t\"}", &r);
	json_object_put(th_expect(&r, 400, "title\\u0000x"));
	th_resp_free(&r);
	cr_assert_eq(count(REQUESTS_OF, name), 0, "nothing was stored");
}

/* ------------------------------------------------------------ idempotency */

static long
post_idem(const char *key, const char *idem, const char *body, struct th_resp *r)
{
	char auth[200], hk[300];
	const char *h[] = { auth, "Content-Type: application/json", hk, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", idem);
	cr_assert_eq(th_http("POST", "/api/new-approval", h, body, strlen(body), r), 0);
	return r->status;
}

Test(strict, idempotency_key_with_another_body_is_422)
{
	const char *b1 = "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"a laptop\",\"metadata\":{\"amount\":10,\"cur\":\"EUR\"}}";
	/* the same request: other spacing and key order */
	const char *b1again = "{ \"metadata\": {\"cur\":\"EUR\", \"amount\": 10},"
	    " \"justification_text\": \"a laptop\", \"approver_id\": \"U1ABC\","
	    " \"requester_name\": \"A\" }";
	const char *b2 = "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"a laptop\",\"metadata\":{\"amount\":9999,\"cur\":\"EUR\"}}";
	char name[64], key[128], id1[40];
	struct th_resp r;
	json_object *o;

	uniq("idem422", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	post_idem(key, "order-1", b1, &r);
	o = th_expect(&r, 201, NULL);
	snprintf(id1, sizeof(id1), "%s", jstr(o, "id"));
	json_object_put(o);
	th_resp_free(&r);

	post_idem(key, "order-1", b1again, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_str_eq(jstr(o, "id"), id1);
	json_object_put(o);
	th_resp_free(&r);

	post_idem(key, "order-1", b2, &r);
	o = th_expect(&r, 422, "Idempotency-Key");
	cr_assert_not_null(strstr(jstr(o, "error"), "different body"), "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	cr_assert_eq(count(REQUESTS_OF, name), 1);
	{
		char *amount = cell("SELECT r.metadata->>'amount' FROM requests r JOIN sources s"
		    " ON s.id = r.source_id WHERE s.name = $1", name);

		cr_assert_str_eq(amount, "10", "the original request is untouched");
		free(amount);
	}
	/* a new key is a new request */
	post_idem(key, "order-2", b2, &r);
	json_object_put(th_expect(&r, 201, NULL));
	th_resp_free(&r);
}

/* ------------------------------------------------------------ approver cap */

Test(strict, approver_cap_counts_group_members)
{
	char name[64], key[128], group[64], sql[512], body[1024];
	struct th_resp r;
	json_object *o;

	uniq("cap", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	uniq("big", group, sizeof(group));
	/* the group name rule: a-z 0-9 _ . - */
	snprintf(sql, sizeof(sql), "WITH g AS (INSERT INTO groups (name) VALUES ('%s')"
	    " RETURNING id) INSERT INTO group_members (group_id, member_kind, member_value)"
	    " SELECT g.id, 'email', 'm' || i || '@cap.example.test' FROM g,"
	    " generate_series(1, 300) i", group);
	th_admin_sql(sql);
	/* two steps of the group: 600 people once expanded, 2 as listed */
	snprintf(body, sizeof(body), "{\"requester_name\":\"A\",\"justification_text\":\"x\","
	    "\"metadata\":{},\"steps\":[{\"approvers\":[\"group:%s\"]},"
	    "{\"approvers\":[\"group:%s\"]}]}", group, group);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	o = th_expect(&r, 400, "steps[1]");
	cr_assert_not_null(strstr(jstr(o, "error"), "at most 500"), "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	/* one step: named as it was sent, "approvers" */
	snprintf(body, sizeof(body), "{\"requester_name\":\"A\",\"justification_text\":\"x\","
	    "\"metadata\":{},\"approvers\":[\"group:%s\"]}", group);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	json_object_put(th_expect(&r, 201, NULL));
	th_resp_free(&r);
	/* 501 members: the same body is now over the cap */
	snprintf(sql, sizeof(sql), "INSERT INTO group_members (group_id, member_kind,"
	    " member_value) SELECT g.id, 'email', 'n' || i || '@cap.example.test'"
	    " FROM groups g, generate_series(1, 201) i WHERE g.name = '%s'", group);
	th_admin_sql(sql);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	o = th_expect(&r, 400, "approvers");
	cr_assert_not_null(strstr(jstr(o, "error"), "groups are expanded"), "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	cr_assert_eq(count(REQUESTS_OF, name), 1, "only the request within the cap");
	cr_assert_eq(count("SELECT count(*) FROM assignments a JOIN requests r ON"
	    " r.id = a.request_id JOIN sources s ON s.id = r.source_id WHERE s.name = $1", name),
	    300);
}

/* ------------------------------------------------------------ nginx's own */

static void
expect_json_error(struct th_resp *r, long status, const char *field)
{
	char ct[128];

	cr_assert_not_null(th_header(r, "Content-Type", ct, sizeof(ct)));
	cr_assert(strncmp(ct, "application/json", 16) == 0, "%s: %s", ct, r->body);
	json_object_put(th_expect(r, status, field));
}

Test(strict, nginx_refusals_under_api_are_json)
{
	static const char *const paths[] = {
		"/api/%00", "/api/requests/%00x", "/api/requests%2f%00", "/api/%zz",
	};
	struct th_resp r;
	size_t i, n = 5u << 20;
	char *big;
	char ct[128];

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		cr_assert_eq(th_http("GET", paths[i], NULL, NULL, 0, &r), 0);
		expect_json_error(&r, 400, "path");
		th_resp_free(&r);
	}
	/* elsewhere nginx keeps its own page */
	cr_assert_eq(th_http("GET", "/%00", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 400);
	cr_assert_not_null(th_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_assert(strncmp(ct, "text/html", 9) == 0, "%s", ct);
	th_resp_free(&r);
	/* a body past nginx's limit (4 MiB) never reaches the program */
	cr_assert_not_null(big = malloc(n + 1));
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	th_api("POST", "/api/new-approval", "ahk_any", NULL, big, &r);
	free(big);
	expect_json_error(&r, 413, "body");
	th_resp_free(&r);
}
