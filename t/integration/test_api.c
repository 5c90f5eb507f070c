/*
 * The REST API through the real nginx: auth (401/403), the refusals in
 * order (405, 413, 415), intake and its idempotency under concurrency,
 * listing with filters and keyset pages, one request in full, cancel /
 * remind / reassign and their conflicts, the admin endpoints, the OpenAPI
 * document against the served routes, /api-docs and /metrics.  503 while
 * PostgreSQL is down is in test_api_outage.c, its own binary, so stopping
 * the database never races these tests.
 *
 * Every test makes its own sources (unique names), so tests do not see
 * each other's requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "testlib.h"

/* ------------------------------------------------------------ helpers */

/* Run a command and keep the text after `marker` on its output. */

static void
uniq(const char *prefix, char *out, size_t len)
{
	static int n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%s-%d-%ld-%d", prefix, (int)getpid(), ts.tv_nsec, ++n);
}

static void
expect_free(struct th_resp *r, long status, const char *field)
{
	json_object_put(th_expect(r, status, field));
	th_resp_free(r);
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
	    json_object_to_json_string(o));
	return json_object_get_string(v);
}

static json_object *
jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
	    json_object_to_json_string(o));
	return v;
}

/* Create a request for the source of key; its id in id (37 bytes). */
static long
create(const char *key, const char *extra, char *id)
{
	struct th_resp r;
	json_object *o;
	char body[4096];
	long status;

	snprintf(body, sizeof(body), "{\"requester_name\":\"Ana Lopez\",\"approver_id\":\"U0APPROVER\","
	    "\"justification_text\":\"a new laptop\",\"metadata\":{}%s%s}",
	    extra ? "," : "", extra ? extra : "");
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	cr_assert(r.status == 201 || r.status == 200, "create: %ld %s", r.status, r.body);
	o = th_json(&r);
	snprintf(id, 37, "%s", jstr(o, "id"));
	status = r.status;
	json_object_put(o);
	th_resp_free(&r);
	return status;
}

static PGconn *
db(void)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	return c;
}

static void
sql(PGconn *c, const char *q, int n, const char *const *params, PGresult **out)
{
	PGresult *res = PQexecParams(c, q, n, NULL, params, NULL, NULL, 0);

	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
	    "%s: %s", q, PQerrorMessage(c));
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
}

/* ------------------------------------------------------------ auth */

Test(auth, missing_key_is_401_with_challenge)
{
	struct th_resp r;
	char v[128];

	th_api("GET", "/api/requests", NULL, NULL, NULL, &r);
	cr_assert_not_null(th_header(&r, "WWW-Authenticate", v, sizeof(v)));
	cr_assert(strncmp(v, "Bearer", 6) == 0, "%s", v);
	expect_free(&r, 401, NULL);
}

Test(auth, malformed_header_is_401)
{
	static const char *const hdrs[] = {
		"Authorization: Basic dXNlcjpwYXNz",
		"Authorization: Bearer",
		"Authorization: Bearer a b",
		"Authorization: ahk_nobearer",
	};
	struct th_resp r;
	size_t i;

	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		const char *h[2] = { hdrs[i], NULL };

		cr_assert_eq(th_http("GET", "/api/requests", h, NULL, 0, &r), 0);
		cr_assert_eq(r.status, 401, "%s: %ld", hdrs[i], r.status);
		expect_free(&r, 401, NULL);
	}
}

Test(auth, unknown_key_is_401)
{
	struct th_resp r;
	char v[128];

	th_api("GET", "/api/requests", "ahk_doesnotexistdoesnotexistdoesnotexist00", NULL, NULL, &r);
	cr_assert_not_null(th_header(&r, "WWW-Authenticate", v, sizeof(v)));
	cr_assert(strstr(v, "invalid_token") != NULL, "%s", v);
	expect_free(&r, 401, NULL);
}

Test(auth, rotated_key_is_revoked)
{
	char name[64], key[128], adm[128], path[128], newkey[128];
	struct th_resp r;
	json_object *o;

	uniq("rot", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	th_api("GET", "/api/sources", adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	th_resp_free(&r);
	{
		json_object *list = jget(o, "sources");
		size_t i;

		path[0] = '\0';
		for (i = 0; i < json_object_array_length(list); i++) {
			json_object *s = json_object_array_get_idx(list, i);

			if (strcmp(jstr(s, "name"), name) == 0)
				snprintf(path, sizeof(path), "/api/sources/%s/rotate-key", jstr(s, "id"));
		}
	}
	json_object_put(o);
	cr_assert(path[0] != '\0', "source %s not listed", name);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
	th_api("POST", path, adm, NULL, "{}", &r);
	o = th_expect(&r, 200, NULL);
	snprintf(newkey, sizeof(newkey), "%s", jstr(o, "api_key"));
	cr_assert(strncmp(newkey, "ahk_", 4) == 0);
	json_object_put(o);
	th_resp_free(&r);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 401, NULL);
	th_api("GET", "/api/requests", newkey, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
}

Test(auth, disabled_source_key_is_401)
{
	char name[64], key[128], adm[128], path[160], id[40];
	struct th_resp r;
	json_object *o;
	PGconn *c = db();
	PGresult *res;
	const char *p[1];

	uniq("dis", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	p[0] = name;
	sql(c, "SELECT id FROM sources WHERE name = $1", 1, p, &res);
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	snprintf(path, sizeof(path), "/api/sources/%s", id);
	th_api("PATCH", path, adm, NULL, "{\"disabled\":true}", &r);
	o = th_expect(&r, 200, NULL);
	cr_assert(json_object_get_boolean(jget(o, "disabled")));
	json_object_put(o);
	th_resp_free(&r);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 401, NULL);
}

/* last_used_at is written on first use, then not again within the minute
 * (the key's lookup and this write go in one round trip), and never for
 * a key the hub refuses. */
Test(auth, last_used_at_is_written_at_most_once_a_minute)
{
	char name[64], key[128], first[64];
	struct th_resp r;
	const char *p[1];
	PGresult *res;
	PGconn *c;

	uniq("touch", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	c = db();
	p[0] = name;
	sql(c, "SELECT k.last_used_at IS NULL FROM api_keys k JOIN sources s ON s.id = k.source_id"
	    " WHERE s.name = $1", 1, p, &res);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
	sql(c, "SELECT k.last_used_at::text FROM api_keys k JOIN sources s ON s.id = k.source_id"
	    " WHERE s.name = $1 AND k.last_used_at IS NOT NULL", 1, p, &res);
	cr_assert_eq(PQntuples(res), 1);
	snprintf(first, sizeof(first), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
	sql(c, "SELECT k.last_used_at::text FROM api_keys k JOIN sources s ON s.id = k.source_id"
	    " WHERE s.name = $1", 1, p, &res);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), first);
	PQclear(res);
	/* an hour-old stamp is renewed */
	sql(c, "UPDATE api_keys k SET last_used_at = now() - interval '1 hour' FROM sources s"
	    " WHERE s.id = k.source_id AND s.name = $1", 1, p, NULL);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
	sql(c, "SELECT k.last_used_at > now() - interval '1 minute' FROM api_keys k"
	    " JOIN sources s ON s.id = k.source_id WHERE s.name = $1", 1, p, &res);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	/* A key the hub refuses (its source disabled) is not marked used. */
	sql(c, "UPDATE api_keys k SET last_used_at = now() - interval '1 hour' FROM sources s"
	    " WHERE s.id = k.source_id AND s.name = $1", 1, p, NULL);
	sql(c, "UPDATE sources SET disabled = true WHERE name = $1", 1, p, NULL);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 401, NULL);
	sql(c, "SELECT k.last_used_at < now() - interval '59 minutes' FROM api_keys k"
	    " JOIN sources s ON s.id = k.source_id WHERE s.name = $1", 1, p, &res);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "t", "a refused key was marked used");
	PQclear(res);
	PQfinish(c);
}

Test(auth, source_key_on_admin_endpoints_is_403)
{
	static const struct { const char *m, *path, *body; } cases[] = {
		{ "GET", "/api/sources", NULL },
		{ "POST", "/api/sources", "{\"name\":\"x\"}" },
		{ "GET", "/api/sources/00000000-0000-0000-0000-000000000000", NULL },
		{ "PATCH", "/api/sources/00000000-0000-0000-0000-000000000000", "{}" },
		{ "POST", "/api/sources/00000000-0000-0000-0000-000000000000/rotate-key", "{}" },
		{ "GET", "/api/users", NULL },
		{ "POST", "/api/users", "{\"name\":\"x\"}" },
		{ "GET", "/api/notifications", NULL },
	};
	char name[64], key[128];
	struct th_resp r;
	size_t i;

	uniq("nonadmin", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_api(cases[i].m, cases[i].path, key, NULL, cases[i].body, &r);
		cr_assert_eq(r.status, 403, "%s %s: %ld %s", cases[i].m, cases[i].path, r.status, r.body);
		expect_free(&r, 403, NULL);
	}
}

/* ------------------------------------------------------------ refusals */

Test(refuse, wrong_method_is_405_with_allow)
{
	struct th_resp r;
	char v[128];

	th_api("DELETE", "/api/requests", NULL, NULL, NULL, &r);
	cr_assert_not_null(th_header(&r, "Allow", v, sizeof(v)));
	cr_assert(strstr(v, "GET") != NULL, "%s", v);
	expect_free(&r, 405, NULL);
	th_api("GET", "/api/new-approval", NULL, NULL, NULL, &r);
	expect_free(&r, 405, NULL);
}

Test(refuse, wrong_content_type_is_415_before_auth)
{
	struct th_resp r;
	char name[64], key[128];

	th_api("POST", "/api/new-approval", NULL, "text/plain", "{}", &r);
	expect_free(&r, 415, NULL);
	uniq("ct", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_api("POST", "/api/new-approval", key, "application/x-www-form-urlencoded", "a=b", &r);
	expect_free(&r, 415, NULL);
}

Test(refuse, body_over_1mib_is_413)
{
	struct th_resp r;
	size_t n = 1024 * 1024 + 10;
	char *body = malloc(n + 1);

	cr_assert_not_null(body);
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	body[n] = '\0';
	th_api("POST", "/api/new-approval", "ahk_any", NULL, body, &r);
	free(body);
	expect_free(&r, 413, NULL);
}

/* ------------------------------------------------------------ intake */

Test(intake, malformed_json_is_400)
{
	static const char *const bodies[] = { "{", "{\"a\":}", "[]", "{} x", "null" };
	char name[64], key[128];
	struct th_resp r;
	size_t i;

	uniq("badjson", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		th_api("POST", "/api/new-approval", key, NULL, bodies[i], &r);
		expect_free(&r, 400, "body");
	}
}

Test(intake, field_errors_name_the_field)
{
	char name[64], key[128], longname[300], body[1024];
	struct th_resp r;

	uniq("fields", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{},\"colour\":\"red\"}", &r);
	expect_free(&r, 400, "colour");
	memset(longname, 'n', 201);
	longname[201] = '\0';
	snprintf(body, sizeof(body), "{\"requester_name\":\"%s\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{}}", longname);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	expect_free(&r, 400, "requester_name");
	th_api("POST", "/api/new-approval", key, NULL, "{\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{}}", &r);
	expect_free(&r, 400, "requester_name");
}

Test(intake, concur_amount_must_be_a_number)
{
	char key[128];
	struct th_resp r;
	json_object *o;

	/* The preset follows the source's name; one "concur" source serves
	 * every run of this test. */
	th_sh("\"$top_builddir/bin/approvalhub\" source add concur >/dev/null 2>&1");
	th_capture("\"$top_builddir/bin/approvalhub\" source rotate-key concur", "api key: ",
	    key, sizeof(key));
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{\"amount\":\"lots\"}}", &r);
	o = th_expect(&r, 400, NULL);
	cr_assert(strstr(jstr(o, "field"), "amount") != NULL, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{\"amount\":12.5}}", &r);
	expect_free(&r, 201, NULL);
}

Test(intake, request_source_must_match_the_key)
{
	char name[64], key[128], body[512];
	struct th_resp r;

	uniq("rs", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_api("POST", "/api/new-approval", key, NULL, "{\"request_source\":\"someone-else\","
	    "\"requester_name\":\"A\",\"approver_id\":\"U1ABC\",\"justification_text\":\"x\","
	    "\"metadata\":{}}", &r);
	expect_free(&r, 400, "request_source");
	snprintf(body, sizeof(body), "{\"request_source\":\"%s\",\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\",\"metadata\":{}}", name);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	expect_free(&r, 201, NULL);
}

static int list_count(const char *key, const char *query);

static void
upper(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
	out[i] = '\0';
}

/* A source's name is one name in any case: "Workday" in request_source is
 * the source "workday", with its key or an admin key; the list filter
 * takes it in any case; a second source differing only by case is 409. */
Test(intake, source_names_match_in_any_case)
{
	char name[64], up[64], key[128], adm[128], rotated[128], body[512], q[200];
	struct th_resp r;
	json_object *o;

	uniq("nocase", name, sizeof(name));
	upper(name, up, sizeof(up));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	snprintf(body, sizeof(body), "{\"request_source\":\"%s\",\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\",\"metadata\":{}}", up);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	expect_free(&r, 201, NULL);
	th_api("POST", "/api/new-approval", adm, NULL, body, &r);
	expect_free(&r, 201, NULL);
	/* both are the source's, whichever case the filter uses */
	snprintf(q, sizeof(q), "source=%s", up);
	cr_assert_eq(list_count(key, q), 2);
	cr_assert_eq(list_count(adm, q), 2);
	snprintf(q, sizeof(q), "source=%s", name);
	cr_assert_eq(list_count(adm, q), 2);
	/* and the name is taken in every case */
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", up);
	th_api("POST", "/api/sources", adm, NULL, body, &r);
	o = th_expect(&r, 409, "name");
	json_object_put(o);
	th_resp_free(&r);
	cr_assert_neq(th_sh("\"$top_builddir/bin/approvalhub\" source add '%s' >/dev/null 2>&1", up),
	    0, "the CLI made a second source %s", up);
	/* the CLI finds it in any case: a new key, the old one revoked */
	snprintf(body, sizeof(body), "\"$top_builddir/bin/approvalhub\" source rotate-key '%s'", up);
	th_capture(body, "api key: ", rotated, sizeof(rotated));
	snprintf(q, sizeof(q), "source=%s", name);
	cr_assert_eq(list_count(rotated, q), 2);
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 401, NULL);
}

/* A step whose every approver is the requester (compared as slack id with
 * slack id, email with email) could never be decided where the source
 * refuses self-approval: 400 naming the step as it was sent. */
Test(intake, requester_as_only_approver_is_400)
{
	static const struct {
		const char *extra, *field;
	} refused[] = {
		{ "\"requester_slack_id\":\"U0SELF\",\"approver_id\":\"U0SELF\"", "approver_id" },
		{ "\"requester_email\":\"Ana@Example.com\",\"approvers\":[\"ana@example.COM\"]",
		    "approvers" },
		{ "\"requester_slack_id\":\"U0SELF\",\"approvers\":[{\"slack\":\"U0SELF\"}],"
		    "\"rule\":\"all\"", "approvers" },
		{ "\"requester_slack_id\":\"U0SELF\",\"steps\":[{\"approvers\":[\"U0BOSS\"]},"
		    "{\"approvers\":[\"U0SELF\"]}]", "steps[1]" },
	}, accepted[] = {
		{ "\"requester_slack_id\":\"U0SELF\",\"approvers\":[\"U0SELF\",\"U0BOSS\"]", NULL },
		/* another kind of identity is not compared */
		{ "\"requester_email\":\"ana@example.com\",\"approver_id\":\"U0SELF\"", NULL },
		{ "\"requester_slack_id\":\"U0SELF\",\"approver_id\":\"U0SELFX\"", NULL },
	};
	char name[64], key[128], adm[128], body[1024], path[200], id[40];
	struct th_resp r;
	json_object *o;
	size_t i;

	uniq("self", name, sizeof(name));
	th_admin_key(adm, sizeof(adm));
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	th_api("POST", "/api/sources", adm, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	snprintf(key, sizeof(key), "%s", jstr(o, "api_key"));
	snprintf(id, sizeof(id), "%s", jstr(o, "id"));
	json_object_put(o);
	th_resp_free(&r);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(body, sizeof(body), "{\"requester_name\":\"Ana\",\"justification_text\":\"x\","
		    "\"metadata\":{},%s}", refused[i].extra);
		th_api("POST", "/api/new-approval", key, NULL, body, &r);
		o = th_expect(&r, 400, refused[i].field);
		cr_assert(strstr(jstr(o, "error"), "self-approval") != NULL, "%s", r.body);
		json_object_put(o);
		th_resp_free(&r);
	}
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		snprintf(body, sizeof(body), "{\"requester_name\":\"Ana\",\"justification_text\":\"x\","
		    "\"metadata\":{},%s}", accepted[i].extra);
		th_api("POST", "/api/new-approval", key, NULL, body, &r);
		expect_free(&r, 201, NULL);
	}
	/* a source that allows self-approval takes it */
	snprintf(path, sizeof(path), "/api/sources/%s", id);
	th_api("PATCH", path, adm, NULL, "{\"allow_self_approval\":true}", &r);
	expect_free(&r, 200, NULL);
	snprintf(body, sizeof(body), "{\"requester_name\":\"Ana\",\"justification_text\":\"x\","
	    "\"metadata\":{},%s}", refused[0].extra);
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	expect_free(&r, 201, NULL);
}

Test(intake, admin_key_needs_an_existing_request_source)
{
	char name[64], key[128], adm[128], body[512];
	struct th_resp r;

	uniq("adm", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	th_api("POST", "/api/new-approval", adm, NULL, "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{}}", &r);
	expect_free(&r, 400, "request_source");
	th_api("POST", "/api/new-approval", adm, NULL, "{\"request_source\":\"no-such-source-xyz\","
	    "\"requester_name\":\"A\",\"approver_id\":\"U1ABC\",\"justification_text\":\"x\","
	    "\"metadata\":{}}", &r);
	expect_free(&r, 400, "request_source");
	snprintf(body, sizeof(body), "{\"request_source\":\"%s\",\"requester_name\":\"A\","
	    "\"approver_id\":\"U1ABC\",\"justification_text\":\"x\",\"metadata\":{}}", name);
	th_api("POST", "/api/new-approval", adm, NULL, body, &r);
	expect_free(&r, 201, NULL);
}

Test(intake, same_external_id_returns_the_same_request)
{
	char name[64], key[128], id1[37], id2[37];
	struct th_resp r;
	json_object *o;

	uniq("ext", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	cr_assert_eq(create(key, "\"external_id\":\"EXP-1\"", id1), 201);
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"Ana Lopez\","
	    "\"approver_id\":\"U0APPROVER\",\"justification_text\":\"a new laptop\","
	    "\"metadata\":{},\"external_id\":\"EXP-1\"}", &r);
	o = th_expect(&r, 200, NULL);
	snprintf(id2, sizeof(id2), "%s", jstr(o, "id"));
	cr_assert_str_eq(jstr(o, "status"), "exists");
	cr_assert_str_eq(id1, id2);
	json_object_put(o);
	th_resp_free(&r);
	/* another external id is another request */
	cr_assert_eq(create(key, "\"external_id\":\"EXP-2\"", id2), 201);
	cr_assert_str_neq(id1, id2);
}

Test(intake, idempotency_key_header)
{
	char name[64], key[128], auth[200], id1[37], long_key[260], hk[300];
	const char *body = "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{}}";
	struct th_resp r;
	json_object *o;
	int i;

	uniq("idem", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	for (i = 0; i < 2; i++) {
		const char *h[] = { auth, "Content-Type: application/json", "Idempotency-Key: order-77", NULL };

		cr_assert_eq(th_http("POST", "/api/new-approval", h, body, strlen(body), &r), 0);
		o = th_expect(&r, i == 0 ? 201 : 200, NULL);
		if (i == 0)
			snprintf(id1, sizeof(id1), "%s", jstr(o, "id"));
		else
			cr_assert_str_eq(jstr(o, "id"), id1);
		json_object_put(o);
		th_resp_free(&r);
	}
	memset(long_key, 'k', 201);
	long_key[201] = '\0';
	snprintf(hk, sizeof(hk), "Idempotency-Key: %s", long_key);
	{
		const char *h[] = { auth, "Content-Type: application/json", hk, NULL };

		cr_assert_eq(th_http("POST", "/api/new-approval", h, body, strlen(body), &r), 0);
		expect_free(&r, 400, "Idempotency-Key");
	}
}

/* 50 identical posts at once: one request, one 201, the rest 200. */
Test(intake, concurrent_identical_posts_make_one_request)
{
	enum { N = 50 };
	char name[64], key[128], path[200];
	pid_t pids[N];
	int i, st, created = 0, existed = 0;
	struct th_resp r;
	json_object *o;

	uniq("conc", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	for (i = 0; i < N; i++) {
		cr_assert((pids[i] = fork()) >= 0);
		if (pids[i] == 0) {
			struct th_resp cr;
			char auth[200];
			const char *body = "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
			    "\"justification_text\":\"x\",\"metadata\":{},\"external_id\":\"SAME-1\"}";
			const char *h[] = { auth, "Content-Type: application/json", NULL };

			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
			if (th_http("POST", "/api/new-approval", h, body, strlen(body), &cr) != 0)
				_exit(9);
			_exit(cr.status == 201 ? 0 : cr.status == 200 ? 1 : 2);
		}
	}
	for (i = 0; i < N; i++) {
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		cr_assert(WIFEXITED(st));
		created += WEXITSTATUS(st) == 0;
		existed += WEXITSTATUS(st) == 1;
	}
	cr_assert_eq(created, 1, "created %d existed %d", created, existed);
	cr_assert_eq(existed, N - 1, "created %d existed %d", created, existed);
	snprintf(path, sizeof(path), "/api/requests?limit=200");
	th_api("GET", path, key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_eq(json_object_get_int(jget(o, "count")), 1, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
}

/* ------------------------------------------------------------ list */

Test(list, pages_of_three_newest_first_without_duplicates)
{
	char name[64], key[128], ids[7][37], path[512], cursor[256] = "", prev[40] = "";
	const char *seen[7];
	struct th_resp r;
	json_object *o, *page, *it, *next;
	int i, pages = 0, total = 0, j, k;

	uniq("page", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	for (i = 0; i < 7; i++)
		cr_assert_eq(create(key, NULL, ids[i]), 201);
	do {
		snprintf(path, sizeof(path), "/api/requests?limit=3%s%s",
		    cursor[0] ? "&cursor=" : "", cursor);
		th_api("GET", path, key, NULL, NULL, &r);
		o = th_expect(&r, 200, NULL);
		page = jget(o, "requests");
		cr_assert_eq(json_object_get_int(jget(o, "count")), (int)json_object_array_length(page));
		cr_assert_eq(json_object_array_length(page), pages < 2 ? 3u : 1u, "%s", r.body);
		for (j = 0; j < (int)json_object_array_length(page); j++) {
			it = json_object_array_get_idx(page, j);
			/* newest first: the order of creation, reversed */
			cr_assert_str_eq(jstr(it, "id"), ids[6 - total], "position %d", total);
			for (k = 0; k < total; k++)
				cr_assert_str_neq(seen[k], jstr(it, "id"));
			seen[total] = ids[6 - total];
			if (prev[0])
				cr_assert(strcmp(jstr(it, "created_at"), prev) <= 0);
			snprintf(prev, sizeof(prev), "%s", jstr(it, "created_at"));
			total++;
		}
		next = jget(o, "next_cursor");
		cursor[0] = '\0';
		if (next != NULL)
			snprintf(cursor, sizeof(cursor), "%s", json_object_get_string(next));
		json_object_put(o);
		th_resp_free(&r);
		pages++;
	} while (cursor[0] != '\0' && pages < 10);
	cr_assert_eq(pages, 3);
	cr_assert_eq(total, 7);
}

static int
list_count(const char *key, const char *query)
{
	char path[512];
	struct th_resp r;
	json_object *o;
	int n;

	snprintf(path, sizeof(path), "/api/requests?%s", query);
	th_api("GET", path, key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	n = json_object_get_int(jget(o, "count"));
	json_object_put(o);
	th_resp_free(&r);
	return n;
}

Test(list, filters_status_approver_source_and_search)
{
	char name[64], other[64], key[128], okey[128], id[37], path[200], q[300];
	struct th_resp r;

	uniq("filt", name, sizeof(name));
	uniq("filt-other", other, sizeof(other));
	th_source_key(name, key, sizeof(key));
	th_source_key(other, okey, sizeof(okey));
	create(key, "\"title\":\"zebracrossing budget\"", id);
	create(key, "\"approver_id\":\"carol@example.com\"", id);
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	th_api("POST", path, key, NULL, "{}", &r);
	expect_free(&r, 200, NULL);
	create(okey, "\"title\":\"zebracrossing other\"", id);

	cr_assert_eq(list_count(key, "limit=200"), 2);
	cr_assert_eq(list_count(key, "status=Pending"), 1);
	cr_assert_eq(list_count(key, "status=Cancelled"), 1);
	cr_assert_eq(list_count(key, "status=Approved"), 0);
	cr_assert_eq(list_count(key, "approver_id=carol%40example.com"), 1);
	cr_assert_eq(list_count(key, "approver_id=U0APPROVER"), 1);
	cr_assert_eq(list_count(key, "approver_id=U0APPROVER&status=Cancelled"), 0);
	cr_assert_eq(list_count(key, "q=zebracrossing"), 1);
	cr_assert_eq(list_count(key, "q=nosuchwordanywhere"), 0);
	/* Search reads every part of the request, words in any order, and
	 * honours exclusion: title, justification, requester, external id
	 * and metadata values. */
	create(key, "\"external_id\":\"ZX-4471\",\"metadata\":{\"vendor\":\"Quaggamart\"}", id);
	cr_assert_eq(list_count(key, "q=budget%20zebracrossing"), 1);
	cr_assert_eq(list_count(key, "q=zebracrossing%20laptop"), 1);
	cr_assert_eq(list_count(key, "q=zebracrossing%20-budget"), 0);
	cr_assert_eq(list_count(key, "q=zebracrossing%20nosuchwordanywhere"), 0);
	cr_assert_eq(list_count(key, "q=quaggamart"), 1);
	cr_assert_eq(list_count(key, "q=ZX-4471"), 1);
	cr_assert_eq(list_count(key, "q=lopez"), 3);
	snprintf(q, sizeof(q), "source=%s", name);
	cr_assert_eq(list_count(key, q), 3);
	/* another source's name: an empty list, not its requests */
	snprintf(q, sizeof(q), "source=%s", other);
	cr_assert_eq(list_count(key, q), 0);
	cr_assert_eq(list_count(okey, "q=zebracrossing"), 1);
}

Test(list, admin_sees_every_source_and_filters_by_source)
{
	char name[64], key[128], adm[128], id[37], q[200];

	uniq("adml", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	create(key, NULL, id);
	create(key, NULL, id);
	snprintf(q, sizeof(q), "source=%s", name);
	cr_assert_eq(list_count(adm, q), 2);
	cr_assert_eq(list_count(adm, "source=no-such-source-xyz"), 0);
	cr_assert_geq(list_count(adm, "limit=200"), 2);
}

Test(list, bad_parameters_are_400)
{
	static const struct { const char *query, *field; } cases[] = {
		{ "status=pending", "status" },
		{ "status=Bogus", "status" },
		{ "limit=0", "limit" },
		{ "limit=201", "limit" },
		{ "limit=abc", "limit" },
		{ "limit=-1", "limit" },
		{ "cursor=!!!", "cursor" },
		{ "cursor=bm90LWEtY3Vyc29y", "cursor" },   /* "not-a-cursor" */
		{ "colour=red", "colour" },
		{ "status=Pending&status=Approved", "status" },
		{ "approver_id=", "approver_id" },
		{ "q=", "q" },
	};
	char name[64], key[128], path[300], longq[260];
	struct th_resp r;
	size_t i;

	uniq("badq", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "/api/requests?%s", cases[i].query);
		th_api("GET", path, key, NULL, NULL, &r);
		cr_assert_eq(r.status, 400, "%s: %ld %s", cases[i].query, r.status, r.body);
		expect_free(&r, 400, cases[i].field);
	}
	memset(longq, 'q', 201);
	longq[201] = '\0';
	snprintf(path, sizeof(path), "/api/requests?q=%s", longq);
	th_api("GET", path, key, NULL, NULL, &r);
	expect_free(&r, 400, "q");
}

/* ------------------------------------------------------------ one request */

Test(get, request_with_steps_assignments_and_audit)
{
	char name[64], key[128], adm[128], id[37], path[200];
	struct th_resp r;
	json_object *o, *steps, *as, *audit;

	uniq("get", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	create(key, "\"external_id\":\"G-1\"", id);
	snprintf(path, sizeof(path), "/api/requests/%s", id);
	th_api("GET", path, key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_str_eq(jstr(o, "id"), id);
	cr_assert_str_eq(jstr(o, "status"), "Pending");
	cr_assert_str_eq(jstr(o, "source"), name);
	cr_assert_str_eq(jstr(o, "external_id"), "G-1");
	steps = jget(o, "steps");
	cr_assert_eq(json_object_array_length(steps), 1);
	as = jget(json_object_array_get_idx(steps, 0), "assignments");
	cr_assert_eq(json_object_array_length(as), 1);
	cr_assert_str_eq(jstr(jget(json_object_array_get_idx(as, 0), "approver"), "value"), "U0APPROVER");
	cr_assert_str_eq(jstr(json_object_array_get_idx(as, 0), "status"), "pending");
	audit = jget(o, "audit");
	cr_assert_geq(json_object_array_length(audit), 1);
	cr_assert_str_eq(jstr(json_object_array_get_idx(audit, 0), "via"), "api");
	json_object_put(o);
	th_resp_free(&r);
	th_api("GET", path, adm, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
}

Test(get, unknown_malformed_and_foreign_ids_are_404)
{
	char name[64], other[64], key[128], okey[128], id[37], path[200];
	struct th_resp r;

	uniq("g404", name, sizeof(name));
	uniq("g404-other", other, sizeof(other));
	th_source_key(name, key, sizeof(key));
	th_source_key(other, okey, sizeof(okey));
	create(okey, NULL, id);
	th_api("GET", "/api/requests/00000000-0000-0000-0000-000000000000", key, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	th_api("GET", "/api/requests/not-a-uuid", key, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	th_api("GET", "/api/requests/00000000-0000-0000-0000-00000000000g", key, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	/* a dot segment names no request either (it was a 400) */
	th_api("GET", "/api/requests/%2e%2e", key, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	th_api("GET", "/api/requests/%2E", key, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	snprintf(path, sizeof(path), "/api/requests/%s", id);
	th_api("GET", path, key, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	/* and no acting on it either */
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	th_api("POST", path, key, NULL, "{}", &r);
	expect_free(&r, 404, NULL);
	snprintf(path, sizeof(path), "/api/requests/%s/remind", id);
	th_api("POST", path, key, NULL, "", &r);
	expect_free(&r, 404, NULL);
	snprintf(path, sizeof(path), "/api/requests/%s", id);
	th_api("GET", path, okey, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
}

/* ------------------------------------------------------------ actions */

Test(actions, cancel_then_cancel_again_is_409)
{
	char name[64], key[128], id[37], path[200];
	struct th_resp r;
	json_object *o;

	uniq("cancel", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	create(key, NULL, id);
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	th_api("POST", path, key, NULL, "{\"reason\":\"not needed\"}", &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_str_eq(jstr(o, "status"), "Cancelled");
	json_object_put(o);
	th_resp_free(&r);
	th_api("POST", path, key, NULL, "{}", &r);
	o = th_expect(&r, 409, NULL);
	cr_assert(strstr(jstr(o, "error"), "Cancelled") != NULL, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/requests/%s", id);
	th_api("GET", path, key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_str_eq(jstr(o, "status"), "Cancelled");
	json_object_put(o);
	th_resp_free(&r);
}

Test(actions, cancel_body_errors)
{
	char name[64], key[128], id[37], path[200];
	struct th_resp r;

	uniq("cbody", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	create(key, NULL, id);
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	th_api("POST", path, key, "text/plain", "why", &r);
	expect_free(&r, 415, NULL);
	th_api("POST", path, key, NULL, "{\"reason\":", &r);
	expect_free(&r, 400, "body");
	th_api("POST", path, key, NULL, "{\"why\":\"x\"}", &r);
	expect_free(&r, 400, "why");
	th_api("POST", path, key, NULL, "{\"reason\":5}", &r);
	expect_free(&r, 400, "reason");
	th_api("POST", "/api/requests/00000000-0000-0000-0000-000000000000/cancel", key, NULL, "{}", &r);
	expect_free(&r, 404, NULL);
	/* an empty body with no type is fine */
	th_api("POST", path, key, "", "", &r);
	cr_assert(r.status == 200 || r.status == 415, "%ld", r.status);
	th_resp_free(&r);
}

Test(actions, remind_pending_then_409_when_closed)
{
	char name[64], key[128], id[37], path[200], cpath[200];
	struct th_resp r;
	json_object *o;

	uniq("remind", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	create(key, NULL, id);
	snprintf(path, sizeof(path), "/api/requests/%s/remind", id);
	th_api("POST", path, key, NULL, "", &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_geq(json_object_get_int(jget(o, "reminded")), 1, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	th_api("POST", path, key, NULL, "{\"x\":1}", &r);
	expect_free(&r, 400, "x");
	snprintf(cpath, sizeof(cpath), "/api/requests/%s/cancel", id);
	th_api("POST", cpath, key, NULL, "{}", &r);
	expect_free(&r, 200, NULL);
	th_api("POST", path, key, NULL, "", &r);
	expect_free(&r, 409, NULL);
}

Test(actions, reassign_replaces_the_approver)
{
	char name[64], key[128], id[37], path[200];
	struct th_resp r;
	json_object *o, *as;
	size_t i;
	int found = 0;

	uniq("reassign", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	create(key, NULL, id);
	snprintf(path, sizeof(path), "/api/requests/%s/reassign", id);
	th_api("POST", path, key, NULL, "{\"from\":\"U0APPROVER\"}", &r);
	expect_free(&r, 400, "to");
	th_api("POST", path, key, NULL, "{\"from\":\"not an approver\",\"to\":\"U0NEW\"}", &r);
	expect_free(&r, 400, "from");
	th_api("POST", path, key, NULL, "{\"from\":{\"phone\":\"1\"},\"to\":\"U0NEW\"}", &r);
	expect_free(&r, 400, "from.phone");
	th_api("POST", path, key, NULL, "{\"from\":\"U0APPROVER\",\"to\":\"U0APPROVER\"}", &r);
	expect_free(&r, 400, "to");
	th_api("POST", path, key, "text/plain", "{}", &r);
	expect_free(&r, 415, NULL);
	th_api("POST", path, key, NULL, "{\"from\":\"U0APPROVER\",\"to\":{\"email\":\"Dana@Example.com\"}}", &r);
	expect_free(&r, 200, NULL);
	snprintf(path, sizeof(path), "/api/requests/%s", id);
	th_api("GET", path, key, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	as = jget(json_object_array_get_idx(jget(o, "steps"), 0), "assignments");
	for (i = 0; i < json_object_array_length(as); i++) {
		json_object *a = json_object_array_get_idx(as, i);

		if (strcmp(jstr(jget(a, "approver"), "value"), "dana@example.com") == 0) {
			cr_assert_str_eq(jstr(a, "status"), "pending");
			found = 1;
		}
		if (strcmp(jstr(jget(a, "approver"), "value"), "U0APPROVER") == 0)
			cr_assert_str_eq(jstr(a, "status"), "reassigned");
	}
	cr_assert(found, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	/* the old approver is no longer there to replace */
	snprintf(path, sizeof(path), "/api/requests/%s/reassign", id);
	th_api("POST", path, key, NULL, "{\"from\":\"U0APPROVER\",\"to\":\"U0OTHER\"}", &r);
	expect_free(&r, 400, "from");
}

/* The pids of the api program's children ("pid pid "), from the master's
 * pid in $HUB_STATE/pids: a child that crashed is replaced by a new pid. */
static void
api_children(char *out, size_t len)
{
	char cmd[512];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "pgrep -P \"$(awk '$1 == \"api\" { print $2 }' "
	    "'%s/pids')\" | sort | tr '\\n' ' '", th_env("HUB_STATE"));
	cr_assert_not_null(f = popen(cmd, "r"));
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	cr_assert_eq(pclose(f), 0, "%s", cmd);
	cr_assert_gt(n, 0, "no api children");
}

/* Every malformed email of from/to is a 400 naming it, before the request
 * is even looked up; it once crashed the api child (a 502 from nginx). */
Test(actions, reassign_bad_emails_are_400_and_crash_nothing)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"from\":\"U0APPROVER\",\"to\":{\"email\":\"bad\"}}", "to.email" },
		{ "{\"from\":{\"email\":\"bad\"},\"to\":\"U0NEW\"}", "from.email" },
		{ "{\"from\":\"U0APPROVER\",\"to\":{\"email\":\"@example.com\"}}", "to.email" },
		{ "{\"from\":\"U0APPROVER\",\"to\":{\"email\":\"dana@\"}}", "to.email" },
		{ "{\"from\":\"U0APPROVER\",\"to\":{\"email\":\"a@b@example.com\"}}", "to.email" },
		{ "{\"from\":\"U0APPROVER\",\"to\":\"dana@localhost\"}", "to" },
		{ "{\"from\":\"U0APPROVER\",\"to\":\"dana@@example.com\"}", "to" },
	};
	char name[64], key[128], id[37], path[200], before[256], after[256];
	struct th_resp r;
	size_t i, j;

	uniq("bademail", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	create(key, NULL, id);
	api_children(before, sizeof(before));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (j = 0; j < 2; j++) {
			snprintf(path, sizeof(path), "/api/requests/%s/reassign",
			    j == 0 ? id : "any-id");
			th_api("POST", path, key, NULL, cases[i].body, &r);
			cr_assert_eq(r.status, 400, "%s %s: %ld %s", path, cases[i].body, r.status,
			    r.body);
			expect_free(&r, 400, cases[i].field);
		}
	}
	api_children(after, sizeof(after));
	cr_assert_str_eq(before, after, "an api child died: %s -> %s", before, after);
}

/* ------------------------------------------------------------ admin */

Test(admin, sources_create_patch_get_and_list)
{
	char name[64], adm[128], key[128], path[200], body[512];
	struct th_resp r;
	json_object *o;
	PGconn *c;
	PGresult *res;
	const char *p[1];
	char id[40];

	th_admin_key(adm, sizeof(adm));
	uniq("crud", name, sizeof(name));
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"rule\":\"all\",\"deadline\":\"2d\","
	    "\"reminder_every\":\"4h\",\"callback_url\":\"http://127.0.0.1:9/cb\","
	    "\"callback_secret\":\"s3cret-s3cret\",\"editable_fields\":[\"amount\"],"
	    "\"delivery_mode\":\"dm\",\"allow_self_approval\":true}", name);
	th_api("POST", "/api/sources", adm, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	snprintf(key, sizeof(key), "%s", jstr(o, "api_key"));
	snprintf(id, sizeof(id), "%s", jstr(o, "id"));
	cr_assert_str_eq(jstr(o, "rule"), "all");
	cr_assert_eq(json_object_get_int(jget(o, "deadline")), 172800);
	cr_assert_eq(json_object_get_int(jget(o, "reminder_every")), 14400);
	cr_assert_str_eq(jstr(o, "callback_secret"), "set");
	cr_assert(strstr(r.body, "s3cret") == NULL, "secret leaked: %s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	/* the secret is stored sealed */
	c = db();
	p[0] = id;
	sql(c, "SELECT callback_secret_enc FROM sources WHERE id = $1", 1, p, &res);
	cr_assert(strncmp(PQgetvalue(res, 0, 0), "v1.", 3) == 0, "%s", PQgetvalue(res, 0, 0));
	cr_assert(strstr(PQgetvalue(res, 0, 0), "s3cret") == NULL);
	PQclear(res);
	PQfinish(c);
	/* its key works */
	th_api("GET", "/api/requests", key, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
	/* the name is taken now */
	th_api("POST", "/api/sources", adm, NULL, body, &r);
	expect_free(&r, 409, "name");
	/* PATCH one field, others stay */
	snprintf(path, sizeof(path), "/api/sources/%s", id);
	th_api("PATCH", path, adm, NULL, "{\"deadline\":null,\"channel\":\"#approvals\","
	    "\"callback_secret\":null}", &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_null(jget(o, "deadline"));
	cr_assert_null(jget(o, "callback_secret"));
	cr_assert_str_eq(jstr(o, "channel"), "#approvals");
	cr_assert_str_eq(jstr(o, "rule"), "all");
	json_object_put(o);
	th_resp_free(&r);
	th_api("GET", path, adm, NULL, NULL, &r);
	expect_free(&r, 200, NULL);
	th_api("GET", "/api/sources", adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert(strstr(r.body, name) != NULL);
	json_object_put(o);
	th_resp_free(&r);
}

Test(admin, source_field_errors)
{
	static const struct { const char *body, *field; } cases[] = {
		{ "{\"rule\":\"sometimes\"}", "rule" },
		{ "{\"rule\":null}", "rule" },
		{ "{\"deadline\":\"soon\"}", "deadline" },
		{ "{\"reminder_every\":30}", "reminder_every" },
		{ "{\"callback_url\":\"ftp://x.test/\"}", "callback_url" },
		{ "{\"callback_secret\":\"short\"}", "callback_secret" },
		{ "{\"delivery_mode\":\"pigeon\"}", "delivery_mode" },
		{ "{\"allow_self_approval\":\"yes\"}", "allow_self_approval" },
		{ "{\"editable_fields\":\"amount\"}", "editable_fields" },
		{ "{\"editable_fields\":[1]}", "editable_fields" },
		{ "{\"connection\":\"no-such-connection\"}", "connection" },
		{ "{\"channel\":\"has space\"}", "channel" },
		{ "{\"colour\":\"red\"}", "colour" },
	};
	char name[64], adm[128], key[128], path[200], id[40];
	struct th_resp r;
	json_object *o;
	size_t i;

	th_admin_key(adm, sizeof(adm));
	uniq("ferr", name, sizeof(name));
	{
		char body[200];

		snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
		th_api("POST", "/api/sources", adm, NULL, body, &r);
		o = th_expect(&r, 201, NULL);
		snprintf(id, sizeof(id), "%s", jstr(o, "id"));
		snprintf(key, sizeof(key), "%s", jstr(o, "api_key"));
		json_object_put(o);
		th_resp_free(&r);
	}
	snprintf(path, sizeof(path), "/api/sources/%s", id);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		th_api("PATCH", path, adm, NULL, cases[i].body, &r);
		cr_assert_eq(r.status, 400, "%s: %ld %s", cases[i].body, r.status, r.body);
		expect_free(&r, 400, cases[i].field);
	}
	th_api("POST", "/api/sources", adm, NULL, "{\"rule\":\"any\"}", &r);
	expect_free(&r, 400, "name");
	th_api("PATCH", "/api/sources/00000000-0000-0000-0000-000000000000", adm, NULL, "{}", &r);
	expect_free(&r, 404, NULL);
	th_api("PATCH", "/api/sources/nope", adm, NULL, "{}", &r);
	expect_free(&r, 404, NULL);
	th_api("GET", "/api/sources/00000000-0000-0000-0000-000000000000", adm, NULL, NULL, &r);
	expect_free(&r, 404, NULL);
	th_api("POST", "/api/sources/00000000-0000-0000-0000-000000000000/rotate-key", adm, NULL, "{}", &r);
	expect_free(&r, 404, NULL);
	th_api("PATCH", path, adm, "text/plain", "{}", &r);
	expect_free(&r, 415, NULL);
}

Test(admin, users_create_once_and_list)
{
	char adm[128], email[128], body[300], uname[64];
	struct th_resp r;
	json_object *o;

	th_admin_key(adm, sizeof(adm));
	uniq("user", uname, sizeof(uname));
	snprintf(email, sizeof(email), "%s@Example.com", uname);
	snprintf(body, sizeof(body), "{\"name\":\"Pat Doe\",\"email\":\"%s\",\"role\":\"viewer\"}", email);
	th_api("POST", "/api/users", adm, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	cr_assert_geq(strlen(jstr(o, "password")), 12);
	cr_assert_str_eq(jstr(o, "role"), "viewer");
	cr_assert(strstr(jstr(o, "email"), "@example.com") != NULL);
	json_object_put(o);
	th_resp_free(&r);
	th_api("POST", "/api/users", adm, NULL, body, &r);
	expect_free(&r, 409, "email");
	th_api("POST", "/api/users", adm, NULL, "{\"name\":\"X\",\"role\":\"god\"}", &r);
	expect_free(&r, 400, "role");
	th_api("POST", "/api/users", adm, NULL, "{\"name\":\"X\",\"email\":\"nope\"}", &r);
	expect_free(&r, 400, "email");
	th_api("POST", "/api/users", adm, NULL, "{\"email\":\"a@b.c\"}", &r);
	expect_free(&r, 400, "name");
	th_api("POST", "/api/users", adm, NULL, "{\"name\":\"X\",\"password\":\"hunter22\"}", &r);
	expect_free(&r, 400, "password");
	th_api("GET", "/api/users", adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert(strstr(r.body, "@example.com") != NULL);
	cr_assert(strstr(r.body, "password") == NULL, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
}

Test(admin, notifications_filters_and_pages)
{
	char name[64], key[128], adm[128], id[37], path[400], cursor[256];
	struct th_resp r;
	json_object *o;
	const char *p[1];
	PGconn *c;
	int i;

	uniq("notif", name, sizeof(name));
	th_source_key(name, key, sizeof(key));
	th_admin_key(adm, sizeof(adm));
	create(key, NULL, id);
	c = db();
	p[0] = id;
	for (i = 0; i < 3; i++)
		sql(c, "INSERT INTO delivery_log (request_id, kind, transport, status, error_code)"
		    " VALUES ($1, 'reminder', 'email', 'failed', 'smtp_550')", 1, p, NULL);
	sql(c, "INSERT INTO delivery_log (request_id, kind, transport, status)"
	    " VALUES ($1, 'decision', 'callback', 'delivered')", 1, p, NULL);
	PQfinish(c);
	snprintf(path, sizeof(path), "/api/notifications?request_id=%s&limit=200", id);
	th_api("GET", path, adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_geq(json_object_get_int(jget(o, "count")), 4, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/notifications?request_id=%s&status=failed&transport=email"
	    "&kind=reminder&limit=2", id);
	th_api("GET", path, adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_eq(json_object_get_int(jget(o, "count")), 2, "%s", r.body);
	cr_assert_not_null(jget(o, "next_cursor"));
	snprintf(cursor, sizeof(cursor), "%s", json_object_get_string(jget(o, "next_cursor")));
	json_object_put(o);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/notifications?request_id=%s&status=failed&transport=email"
	    "&kind=reminder&limit=2&cursor=%s", id, cursor);
	th_api("GET", path, adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_eq(json_object_get_int(jget(o, "count")), 1, "%s", r.body);
	cr_assert_null(jget(o, "next_cursor"));
	json_object_put(o);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/notifications?request_id=%s&transport=callback", id);
	th_api("GET", path, adm, NULL, NULL, &r);
	o = th_expect(&r, 200, NULL);
	cr_assert_eq(json_object_get_int(jget(o, "count")), 1, "%s", r.body);
	json_object_put(o);
	th_resp_free(&r);
	{
		static const struct { const char *q, *field; } bad[] = {
			{ "status=lost", "status" }, { "transport=pigeon", "transport" },
			{ "kind=nope", "kind" }, { "request_id=xyz", "request_id" },
			{ "limit=500", "limit" }, { "cursor=zzz", "cursor" }, { "x=1", "x" },
		};
		size_t j;

		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			snprintf(path, sizeof(path), "/api/notifications?%s", bad[j].q);
			th_api("GET", path, adm, NULL, NULL, &r);
			expect_free(&r, 400, bad[j].field);
		}
	}
}

/* ------------------------------------------------------------ documentation */

/* Every served route is documented and every documented one is served. */
Test(docs, openapi_matches_the_route_table)
{
	char cmd[512], line[512], method[16], lower[16];
	struct th_resp r;
	json_object *doc, *paths, *item, *op;
	int served = 0, documented = 0;
	size_t i;
	FILE *f;

	th_api("GET", "/api/openapi.json", NULL, NULL, NULL, &r);
	doc = th_expect(&r, 200, NULL);
	cr_assert_str_eq(jstr(doc, "openapi"), "3.1.0");
	paths = jget(doc, "paths");
	snprintf(cmd, sizeof(cmd), "\"%s/cgi-bin/api\" --routes", th_env("top_builddir"));
	cr_assert_not_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' ');

		cr_assert_not_null(sp, "%s", line);
		*sp = '\0';
		sp[1 + strcspn(sp + 1, "\r\n")] = '\0';
		snprintf(method, sizeof(method), "%.15s", line);
		for (i = 0; method[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)(method[i] | 0x20);
		lower[i] = '\0';
		cr_assert(json_object_object_get_ex(paths, sp + 1, &item),
		    "%s %s is served but not documented", method, sp + 1);
		cr_assert(json_object_object_get_ex(item, lower, &op),
		    "%s %s is served but not documented", method, sp + 1);
		cr_assert(json_object_object_get_ex(op, "responses", NULL), "%s %s: no responses",
		    method, sp + 1);
		served++;
	}
	cr_assert_eq(pclose(f), 0);
	json_object_object_foreach(paths, path, it) {
		json_object_object_foreach(it, m, o2) {
			(void)o2;
			documented++;
			snprintf(cmd, sizeof(cmd), "\"%s/cgi-bin/api\" --routes | grep -qix '%s %s'",
			    th_env("top_builddir"), m, path);
			cr_assert_eq(th_sh("%s", cmd), 0, "%s %s is documented but not served", m, path);
		}
	}
	cr_assert_eq(served, documented);
	cr_assert_geq(served, 18);
	json_object_put(doc);
	th_resp_free(&r);
}

Test(docs, api_docs_page_lists_every_path)
{
	struct th_resp r, d;
	json_object *doc, *paths;
	char ct[128], esc[512];
	size_t i, j;

	th_api("GET", "/api/openapi.json", NULL, NULL, NULL, &r);
	doc = th_expect(&r, 200, NULL);
	paths = jget(doc, "paths");
	th_api("GET", "/api-docs", NULL, NULL, NULL, &d);
	cr_assert_eq(d.status, 200, "%ld %s", d.status, d.body);
	cr_assert_not_null(th_header(&d, "Content-Type", ct, sizeof(ct)));
	cr_assert(strncmp(ct, "text/html", 9) == 0, "%s", ct);
	cr_assert(strstr(d.body, "<script") == NULL);
	cr_assert(strstr(d.body, "https://") == NULL || strstr(d.body, "src=\"https://") == NULL);
	json_object_object_foreach(paths, path, it) {
		(void)it;
		/* paths hold no HTML specials but & would be escaped: compare escaped */
		for (i = j = 0; path[i] && j + 6 < sizeof(esc); i++) {
			if (path[i] == '&') {
				memcpy(esc + j, "&amp;", 5);
				j += 5;
			} else {
				esc[j++] = path[i];
			}
		}
		esc[j] = '\0';
		cr_assert(strstr(d.body, esc) != NULL, "%s missing from /api-docs", path);
	}
	cr_assert(strstr(d.body, "Idempotency-Key") != NULL);
	cr_assert(strstr(d.body, "justification_text") != NULL);
	/* the description's quotes and angle brackets arrive escaped */
	cr_assert(strstr(d.body, "Bearer &lt;API key&gt;") != NULL);
	json_object_put(doc);
	th_resp_free(&r);
	th_resp_free(&d);
}

/* ------------------------------------------------------------ metrics */

static long long
metric(const char *body, const char *series)
{
	const char *p = strstr(body, series);

	if (p == NULL)
		return 0;
	return strtoll(p + strlen(series), NULL, 10);
}

Test(metrics, counts_a_request_and_reads_the_database)
{
	static const char series[] =
	    "hub_http_requests_total{route=\"/api/requests\",method=\"GET\",status=\"401\"} ";
	struct th_resp r;
	long long before, after;
	char ct[128];
	int i;

	th_api("GET", "/metrics", NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(th_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_assert(strstr(ct, "version=0.0.4") != NULL, "%s", ct);
	before = metric(r.body, series);
	th_resp_free(&r);
	/* Two children share the counters: enough requests to reach both. */
	for (i = 0; i < 4; i++) {
		th_api("GET", "/api/requests", NULL, NULL, NULL, &r);
		th_resp_free(&r);
	}
	th_api("GET", "/metrics", NULL, NULL, NULL, &r);
	after = metric(r.body, series);
	cr_assert_eq(after - before, 4, "before %lld after %lld\n%s", before, after, r.body);
	cr_assert(strstr(r.body, "hub_http_request_duration_seconds_bucket{route=\"/api/requests\","
	    "method=\"GET\",le=\"+Inf\"}") != NULL);
	cr_assert(strstr(r.body, "# TYPE hub_jobs gauge") != NULL);
	cr_assert(strstr(r.body, "hub_requests{status=\"Pending\"}") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "# TYPE hub_deliveries_total counter") != NULL);
	cr_assert(strstr(r.body, "# TYPE hub_slack_errors_total counter") != NULL);
	cr_assert(strstr(r.body, "# TYPE hub_delivery_rows gauge") != NULL);
	cr_assert(strstr(r.body, "hub_database_up 1") != NULL);
	th_resp_free(&r);
}
