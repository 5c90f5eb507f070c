/*
 * Approver groups and delegations as admins manage them, through the real
 * nginx (/api/groups, /api/delegations) and the CLI: every refusal (bad
 * names and members, duplicates, overlapping and backwards delegations,
 * self-delegation, 403 for a source key, 404s), the audit rows, and what
 * the engine makes of them: a "group:NAME" request gets one assignment per
 * member; a delegation in force today adds the delegate's assignment
 * (delegate_of), who may decide; once revoked, new requests no longer get
 * it.
 *
 * Names, Slack ids and emails are unique per test, so tests never see each
 * other's groups or delegations.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "store/db.h"
#include "approval/engine.h"
#include "testlib.h"

/* ------------------------------------------------------------ helpers */


static unsigned long
seq(void)
{
	static unsigned long n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((unsigned long)getpid() * 1000003UL + (unsigned long)ts.tv_nsec / 1000) * 100 + ++n;
}

/* A group name, a Slack id (U + digits) and an email, each unique. */
static void
uname_(const char *prefix, char *out, size_t len)
{
	snprintf(out, len, "%s-%lu", prefix, seq());
}

static void
uslack(char *out, size_t len)
{
	snprintf(out, len, "U%lu", seq());
}

static void
uemail(const char *who, char *out, size_t len)
{
	snprintf(out, len, "%s.%lu@example.com", who, seq());
}

static void
source_add(char *key, size_t keylen)
{
	char name[64];

	uname_("grpsrc", name, sizeof(name));
	th_source_key(name, key, keylen);
}


/* One call, its status and field checked; the body is dropped. */
static void
call(const char *method, const char *path, const char *key, const char *body, long status,
    const char *field)
{
	struct th_resp r;

	th_api(method, path, key, NULL, body, &r);
	json_object_put(th_expect(&r, status, field));
	th_resp_free(&r);
}

/* One call whose JSON answer the caller keeps (json_object_put). */
static json_object *
call_json(const char *method, const char *path, const char *key, const char *body, long status)
{
	struct th_resp r;
	json_object *o;

	th_api(method, path, key, NULL, body, &r);
	o = th_expect(&r, status, NULL);
	th_resp_free(&r);
	return o;
}

static json_object *
jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
	    json_object_to_json_string(o));
	return v;
}

static const char *
jstr(json_object *o, const char *k)
{
	return json_object_get_string(jget(o, k));
}

/* Run the CLI with args; its stdout and stderr into out; the exit code. */
static int
cli(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
cli(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[2048], args[1536];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" %s 2>&1", th_env("top_builddir"), args);
	cr_assert_not_null(p = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static PGconn *
pg(void)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	return c;
}

/* The first value of a one-parameter query, as text (into out). */
static void
sql1(const char *q, const char *param, char *out, size_t len)
{
	const char *params[1] = { param };
	PGconn *c = pg();
	PGresult *res = PQexecParams(c, q, param ? 1 : 0, NULL, params, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", q, PQerrorMessage(c));
	cr_assert_eq(PQntuples(res), 1, "%s", q);
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
}

/* The database's today plus days, YYYY-MM-DD (the engine's clock). */
static void
day(int days, char out[11])
{
	char d[16];

	snprintf(d, sizeof(d), "%d", days);
	sql1("SELECT to_char(current_date + $1::int, 'YYYY-MM-DD')", d, out, 11);
}

/* Audit rows of action whose detail mentions needle. */
static long
audited(const char *action, const char *needle, const char *via)
{
	const char *params[3] = { action, needle, via };
	PGconn *c = pg();
	PGresult *res = PQexecParams(c, "SELECT count(*) FROM audit_log WHERE request_id IS NULL"
	    " AND action = $1 AND strpos(detail::text, $2) > 0 AND via = $3", 3, NULL, params,
	    NULL, NULL, 0);
	long n;

	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(c);
	return n;
}

/* ------------------------------------------------------------ groups, API */

Test(groups_api, create_show_change_delete_and_audit)
{
	char adm[128], name[64], path[256], u1[40], u2[40], e1[96], body[1024], mpath[384];
	json_object *o, *members, *m;
	size_t i;
	int found = 0;

	th_admin_key(adm, sizeof(adm));
	uname_("team", name, sizeof(name));
	uslack(u1, sizeof(u1));
	uslack(u2, sizeof(u2));
	uemail("Carol", e1, sizeof(e1));
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"description\":\"Team leads\","
	    "\"members\":[\"%s\",\"%s\"]}", name, u1, e1);
	o = call_json("POST", "/api/groups", adm, body, 201);
	cr_assert_str_eq(jstr(o, "name"), name);
	cr_assert_str_eq(jstr(o, "description"), "Team leads");
	cr_assert_eq(json_object_get_int(jget(o, "member_count")), 2);
	members = jget(o, "members");
	cr_assert_str_eq(jstr(json_object_array_get_idx(members, 0), "value"), u1);
	cr_assert_str_eq(jstr(json_object_array_get_idx(members, 0), "kind"), "slack");
	m = json_object_array_get_idx(members, 1);
	cr_assert_str_eq(jstr(m, "kind"), "email");
	for (i = 0; e1[i]; i++)
		e1[i] = (char)(e1[i] >= 'A' && e1[i] <= 'Z' ? e1[i] + 32 : e1[i]);
	cr_assert_str_eq(jstr(m, "value"), e1, "emails are stored lower-cased");
	json_object_put(o);

	/* the same name again */
	call("POST", "/api/groups", adm, body, 409, "name");

	o = call_json("GET", "/api/groups", adm, NULL, 200);
	for (i = 0; i < json_object_array_length(jget(o, "groups")); i++) {
		m = json_object_array_get_idx(jget(o, "groups"), i);
		if (strcmp(jstr(m, "name"), name) == 0) {
			found = 1;
			cr_assert_eq(json_object_get_int(jget(m, "member_count")), 2);
		}
	}
	cr_assert(found, "the group is listed");
	json_object_put(o);

	snprintf(path, sizeof(path), "/api/groups/%s/members", name);
	snprintf(body, sizeof(body), "{\"member\":\"%s\"}", u2);
	o = call_json("POST", path, adm, body, 201);
	cr_assert_eq(json_object_get_int(jget(o, "member_count")), 3);
	json_object_put(o);
	call("POST", path, adm, body, 409, "member");
	/* the same email in another case is the same member */
	snprintf(body, sizeof(body), "{\"member\":\"%c%s\"}", e1[0] - 32, e1 + 1);
	call("POST", path, adm, body, 409, "member");

	snprintf(mpath, sizeof(mpath), "/api/groups/%s/members/%s", name, u1);
	o = call_json("DELETE", mpath, adm, NULL, 200);
	cr_assert_eq(json_object_get_int(jget(o, "member_count")), 2);
	json_object_put(o);
	call("DELETE", mpath, adm, NULL, 404, NULL);

	snprintf(path, sizeof(path), "/api/groups/%s", name);
	o = call_json("GET", path, adm, NULL, 200);
	cr_assert_str_eq(jstr(json_object_array_get_idx(jget(o, "members"), 0), "value"), e1);
	cr_assert_str_eq(jstr(json_object_array_get_idx(jget(o, "members"), 1), "value"), u2);
	json_object_put(o);

	o = call_json("DELETE", path, adm, NULL, 200);
	json_object_put(o);
	call("GET", path, adm, NULL, 404, NULL);
	call("DELETE", path, adm, NULL, 404, NULL);

	/* every change, with request_id NULL, via api */
	cr_assert_eq(audited("group.created", name, "api"), 1);
	cr_assert_eq(audited("group.member_added", u2, "api"), 1);
	cr_assert_eq(audited("group.member_removed", u1, "api"), 1);
	cr_assert_eq(audited("group.deleted", name, "api"), 1);
}

Test(groups_api, refusals)
{
	static const char *const bad_names[] = {
		"\"Finance\"", "\"fin ance\"", "\"\"", "\"group:fin\"", "\"fin/ance\"", "17",
		"null", "\"caf\\u00e9\"",
	};
	static const char *const bad_members[] = {
		"\"X123\"", "\"U1\"", "\"uabc\"", "\"U12-3\"", "\"bob@\"", "\"@example.com\"",
		"\"bob@localhost\"", "\"group:finance\"", "42", "\"\"",
	};
	char adm[128], src[128], name[64], body[40000], path[256], longname[128], u1[40];
	size_t i, n;

	th_admin_key(adm, sizeof(adm));
	source_add(src, sizeof(src));
	uname_("refuse", name, sizeof(name));
	uslack(u1, sizeof(u1));

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":%s}", bad_names[i]);
		call("POST", "/api/groups", adm, body, 400, "name");
	}
	memset(longname, 'a', 101);
	longname[101] = '\0';
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", longname);
	call("POST", "/api/groups", adm, body, 400, "name");
	call("POST", "/api/groups", adm, "{}", 400, "name");
	for (i = 0; i < sizeof(bad_members) / sizeof(bad_members[0]); i++) {
		snprintf(body, sizeof(body), "{\"name\":\"%s\",\"members\":[%s]}", name,
		    bad_members[i]);
		call("POST", "/api/groups", adm, body, 400, "members");
	}
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"members\":\"%s\"}", name, u1);
	call("POST", "/api/groups", adm, body, 400, "members");
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"members\":[\"%s\",\"%s\"]}", name, u1, u1);
	call("POST", "/api/groups", adm, body, 400, "members");
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"colour\":\"red\"}", name);
	call("POST", "/api/groups", adm, body, 400, "colour");
	/* 501 members */
	n = (size_t)snprintf(body, sizeof(body), "{\"name\":\"%s\",\"members\":[", name);
	for (i = 0; i < 501; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"U9%05zu\"", i ? "," : "", i);
	snprintf(body + n, sizeof(body) - n, "]}");
	call("POST", "/api/groups", adm, body, 400, "members");
	/* nothing was written by any of those */
	snprintf(path, sizeof(path), "/api/groups/%s", name);
	call("GET", path, adm, NULL, 404, NULL);

	/* 500 is the most: the 501st member is refused */
	n = (size_t)snprintf(body, sizeof(body), "{\"name\":\"%s\",\"members\":[", name);
	for (i = 0; i < 500; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"U9%05zu\"", i ? "," : "", i);
	snprintf(body + n, sizeof(body) - n, "]}");
	json_object_put(call_json("POST", "/api/groups", adm, body, 201));
	snprintf(path, sizeof(path), "/api/groups/%s/members", name);
	snprintf(body, sizeof(body), "{\"member\":\"%s\"}", u1);
	call("POST", path, adm, body, 400, "member");

	/* members of a group that exists */
	for (i = 0; i < sizeof(bad_members) / sizeof(bad_members[0]); i++) {
		snprintf(body, sizeof(body), "{\"member\":%s}", bad_members[i]);
		call("POST", path, adm, body, 400, "member");
	}
	call("POST", path, adm, "{}", 400, "member");
	call("POST", path, adm, "{\"member\":\"U123\",\"x\":1}", 400, "x");
	call("POST", path, adm, "{\"member\":", 400, "body");
	{
		struct th_resp r;

		th_api("POST", path, adm, "text/plain", "{\"member\":\"U123\"}", &r);
		json_object_put(th_expect(&r, 415, NULL));
		th_resp_free(&r);
	}

	/* no such group */
	call("GET", "/api/groups/no-such-group-here", adm, NULL, 404, NULL);
	call("GET", "/api/groups/NOT%20A%20NAME", adm, NULL, 404, NULL);
	call("DELETE", "/api/groups/no-such-group-here", adm, NULL, 404, NULL);
	snprintf(body, sizeof(body), "{\"member\":\"%s\"}", u1);
	call("POST", "/api/groups/no-such-group-here/members", adm, body, 404, NULL);
	call("DELETE", "/api/groups/no-such-group-here/members/U123", adm, NULL, 404, NULL);

	/* a source key may not manage groups; no key is 401 */
	call("GET", "/api/groups", src, NULL, 403, NULL);
	snprintf(body, sizeof(body), "{\"name\":\"%s-x\"}", name);
	call("POST", "/api/groups", src, body, 403, NULL);
	snprintf(path, sizeof(path), "/api/groups/%s", name);
	call("GET", path, src, NULL, 403, NULL);
	call("DELETE", path, src, NULL, 403, NULL);
	snprintf(path, sizeof(path), "/api/groups/%s/members", name);
	snprintf(body, sizeof(body), "{\"member\":\"%s\"}", u1);
	call("POST", path, src, body, 403, NULL);
	snprintf(path, sizeof(path), "/api/groups/%s/members/U900000", name);
	call("DELETE", path, src, NULL, 403, NULL);
	call("GET", "/api/groups", NULL, NULL, 401, NULL);
	/* the group is untouched */
	snprintf(path, sizeof(path), "/api/groups/%s", name);
	{
		json_object *o = call_json("GET", path, adm, NULL, 200);

		cr_assert_eq(json_object_get_int(jget(o, "member_count")), 500);
		json_object_put(o);
	}
	call("PUT", path, adm, "{}", 405, NULL);
}

/* ------------------------------------------------------------ delegations, API */

static json_object *
deleg(const char *adm, const char *approver, const char *delegate, const char *from,
    const char *to, long status, const char *field)
{
	struct th_resp r;
	char body[1024];
	json_object *o;

	snprintf(body, sizeof(body), "{\"approver\":\"%s\",\"delegate\":\"%s\","
	    "\"valid_from\":\"%s\",\"valid_to\":\"%s\"}", approver, delegate, from, to);
	th_api("POST", "/api/delegations", adm, NULL, body, &r);
	o = th_expect(&r, status, field);
	th_resp_free(&r);
	return o;
}

static long
count_of(json_object *o)
{
	return (long)json_object_get_int(jget(o, "count"));
}

Test(delegations_api, add_list_overlap_and_revoke)
{
	char adm[128], boss[96], bossuc[96], dep[40], dep2[40], path[256], q[512], id[32];
	char today[11], d1[11], d5[11], d6[11], d9[11], past[11], past2[11];
	json_object *o, *first;

	th_admin_key(adm, sizeof(adm));
	uemail("boss", boss, sizeof(boss));
	snprintf(bossuc, sizeof(bossuc), "B%s", boss + 1);
	uslack(dep, sizeof(dep));
	uslack(dep2, sizeof(dep2));
	day(0, today);
	day(1, d1);
	day(5, d5);
	day(6, d6);
	day(9, d9);
	day(-10, past);
	day(-2, past2);

	first = deleg(adm, bossuc, dep, today, d5, 201, NULL);
	cr_assert_str_eq(jstr(jget(first, "approver"), "kind"), "email");
	cr_assert_str_eq(jstr(jget(first, "approver"), "value"), boss, "lower-cased");
	cr_assert_str_eq(jstr(jget(first, "delegate"), "value"), dep);
	cr_assert_str_eq(jstr(first, "valid_from"), today);
	cr_assert_str_eq(jstr(first, "valid_to"), d5);
	cr_assert_str_eq(jstr(first, "status"), "active");
	snprintf(id, sizeof(id), "%s", jstr(first, "id"));

	/* overlapping dates of the same approver, whatever the delegate */
	o = deleg(adm, boss, dep2, d5, d9, 409, "valid_from");
	cr_assert(strstr(jstr(o, "error"), "overlaps") != NULL, "%s", jstr(o, "error"));
	cr_assert(strstr(jstr(o, "error"), id) != NULL, "names the delegation: %s",
	    jstr(o, "error"));
	json_object_put(o);
	json_object_put(deleg(adm, boss, dep2, d1, d1, 409, "valid_from"));
	/* the days after are free */
	o = deleg(adm, boss, dep2, d6, d9, 201, NULL);
	cr_assert_str_eq(jstr(o, "status"), "upcoming");
	json_object_put(o);

	/* refusals */
	json_object_put(deleg(adm, boss, dep2, d9, d6, 400, "valid_to"));
	json_object_put(deleg(adm, boss, bossuc, today, d1, 400, "delegate"));
	json_object_put(deleg(adm, dep, dep, today, d1, 400, "delegate"));
	json_object_put(deleg(adm, boss, dep2, past, past2, 400, "valid_to"));
	json_object_put(deleg(adm, boss, dep2, "2031-02-30", "2031-03-01", 400, "valid_from"));
	json_object_put(deleg(adm, boss, dep2, "2031-3-1", "2031-03-02", 400, "valid_from"));
	json_object_put(deleg(adm, boss, dep2, "2031-03-01", "tomorrow", 400, "valid_to"));
	json_object_put(deleg(adm, "group:finance", dep2, today, d1, 400, "approver"));
	json_object_put(deleg(adm, "not-a-person", dep2, today, d1, 400, "approver"));
	json_object_put(deleg(adm, boss, "u123", today, d1, 400, "delegate"));
	call("POST", "/api/delegations", adm, "{\"delegate\":\"U123\",\"valid_from\":\"2031-01-01\","
	    "\"valid_to\":\"2031-01-02\"}", 400, "approver");
	call("POST", "/api/delegations", adm, "{\"approver\":\"U123\",\"delegate\":\"U456\","
	    "\"valid_to\":\"2031-01-02\"}", 400, "valid_from");
	call("POST", "/api/delegations", adm, "{\"approver\":\"U123\",\"delegate\":\"U456\","
	    "\"valid_from\":\"2031-01-01\",\"valid_to\":\"2031-01-02\",\"note\":\"x\"}", 400, "note");

	/* listing: by approver (either case), active only */
	snprintf(q, sizeof(q), "/api/delegations?approver=%s", bossuc);
	o = call_json("GET", q, adm, NULL, 200);
	cr_assert_eq(count_of(o), 2);
	json_object_put(o);
	snprintf(q, sizeof(q), "/api/delegations?approver=%s&active=true", boss);
	o = call_json("GET", q, adm, NULL, 200);
	cr_assert_eq(count_of(o), 2, "active and upcoming");
	json_object_put(o);
	call("GET", "/api/delegations?active=maybe", adm, NULL, 400, "active");
	call("GET", "/api/delegations?approver=nobody", adm, NULL, 400, "approver");
	call("GET", "/api/delegations?who=U123", adm, NULL, 400, "who");

	/* revoke: then it no longer blocks its dates, and is not active */
	snprintf(path, sizeof(path), "/api/delegations/%s", id);
	o = call_json("DELETE", path, adm, NULL, 200);
	cr_assert_str_eq(jstr(o, "status"), "revoked");
	cr_assert(!json_object_is_type(jget(o, "revoked_at"), json_type_null));
	json_object_put(o);
	call("DELETE", path, adm, NULL, 409, NULL);
	o = call_json("GET", path, adm, NULL, 200);
	cr_assert_str_eq(jstr(o, "status"), "revoked");
	json_object_put(o);
	snprintf(q, sizeof(q), "/api/delegations?approver=%s&active=true", boss);
	o = call_json("GET", q, adm, NULL, 200);
	cr_assert_eq(count_of(o), 1);
	json_object_put(o);
	json_object_put(deleg(adm, boss, dep2, today, d1, 201, NULL));

	call("DELETE", "/api/delegations/999999999999", adm, NULL, 404, NULL);
	call("DELETE", "/api/delegations/abc", adm, NULL, 404, NULL);
	call("DELETE", "/api/delegations/-1", adm, NULL, 404, NULL);
	call("GET", "/api/delegations/999999999999", adm, NULL, 404, NULL);

	cr_assert_eq(audited("delegation.added", boss, "api"), 3);
	cr_assert_eq(audited("delegation.revoked", boss, "api"), 1);
	json_object_put(first);
}

Test(delegations_api, source_key_is_403)
{
	char adm[128], src[128], a[40], b[40], today[11], d1[11], path[64];
	json_object *o;

	th_admin_key(adm, sizeof(adm));
	source_add(src, sizeof(src));
	uslack(a, sizeof(a));
	uslack(b, sizeof(b));
	day(0, today);
	day(1, d1);
	json_object_put(deleg(src, a, b, today, d1, 403, NULL));
	call("GET", "/api/delegations", src, NULL, 403, NULL);
	o = deleg(adm, a, b, today, d1, 201, NULL);
	snprintf(path, sizeof(path), "/api/delegations/%s", jstr(o, "id"));
	call("GET", path, src, NULL, 403, NULL);
	call("DELETE", path, src, NULL, 403, NULL);
	call("DELETE", path, NULL, NULL, 401, NULL);
	json_object_put(o);
	o = call_json("GET", path, adm, NULL, 200);
	cr_assert_str_eq(jstr(o, "status"), "active", "untouched by the refused calls");
	json_object_put(o);
}

/* ------------------------------------------------------------ CLI */

Test(cli, groups_and_delegations)
{
	char out[16384], name[64], u1[40], u2[40], e1[96], today[11], d3[11], id[32], *p;

	uname_("cli", name, sizeof(name));
	uslack(u1, sizeof(u1));
	uslack(u2, sizeof(u2));
	uemail("dana", e1, sizeof(e1));
	day(0, today);
	day(3, d3);

	cr_assert_eq(cli(out, sizeof(out), "group add %s --member %s --member %s", name, u1, e1), 0,
	    "%s", out);
	cr_assert(strstr(out, "2 member") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group add %s", name), 1, "%s", out);
	cr_assert(strstr(out, "exists") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group add Bad_Name"), 1, "%s", out);
	cr_assert(strstr(out, "name:") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group add %s-b --member nobody", name), 1, "%s", out);
	cr_assert(strstr(out, "members:") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group add %s-b --colour red", name), 2, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group add"), 2, "%s", out);

	cr_assert_eq(cli(out, sizeof(out), "group member add %s %s", name, u2), 0, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group member add %s %s", name, u2), 1, "%s", out);
	cr_assert(strstr(out, "already") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group member add %s u-lower", name), 1, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group member remove %s %s", name, u1), 0, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group member remove %s %s", name, u1), 1, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group member add no-such-group-cli %s", u1), 1);
	cr_assert(strstr(out, "no such group") != NULL, "%s", out);

	cr_assert_eq(cli(out, sizeof(out), "group show %s", name), 0, "%s", out);
	cr_assert(strstr(out, u2) != NULL && strstr(out, e1) != NULL, "%s", out);
	cr_assert(strstr(out, u1) == NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group list"), 0, "%s", out);
	cr_assert(strstr(out, name) != NULL, "%s", out);

	cr_assert_eq(cli(out, sizeof(out), "delegate add %s %s --from %s --to %s", u1, u2, today,
	    d3), 0, "%s", out);
	cr_assert_not_null(p = strstr(out, "delegation "), "%s", out);
	snprintf(id, sizeof(id), "%.*s", (int)strcspn(p + 11, ":"), p + 11);
	cr_assert_eq(cli(out, sizeof(out), "delegate add %s %s --from %s --to %s", u1, e1, d3, d3),
	    1, "%s", out);
	cr_assert(strstr(out, "overlaps") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate add %s %s --from %s --to %s", u1, e1, d3,
	    today), 1, "%s", out);
	cr_assert(strstr(out, "valid_to") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate add %s %s --from %s --to %s", u1, u1, today,
	    d3), 1, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate add %s %s --from %s", u1, e1, today), 2);
	cr_assert_eq(cli(out, sizeof(out), "delegate list %s", u1), 0, "%s", out);
	cr_assert(strstr(out, u2) != NULL && strstr(out, "active") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate revoke %s", id), 0, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate revoke %s", id), 1, "%s", out);
	cr_assert(strstr(out, "already revoked") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate revoke 999999999999"), 1, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "delegate list %s --active", u1), 0, "%s", out);
	cr_assert(strstr(out, u2) == NULL, "a revoked one is not active: %s", out);

	cr_assert_eq(cli(out, sizeof(out), "group delete %s", name), 0, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group delete %s", name), 1, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "group show %s", name), 1, "%s", out);

	cr_assert_eq(audited("group.created", name, "cli"), 1);
	cr_assert_eq(audited("group.member_added", u2, "cli"), 1);
	cr_assert_eq(audited("delegation.added", u1, "cli"), 1);
	cr_assert_eq(audited("delegation.revoked", u1, "cli"), 1);
	cr_assert_eq(audited("group.deleted", name, "cli"), 1);
}

/* ------------------------------------------------------------ end to end */

/* A request from the source of key with approver_id approver; its id. */
static void
new_request(const char *key, const char *approver, char id[37])
{
	char body[1024];
	json_object *o;

	snprintf(body, sizeof(body), "{\"requester_name\":\"Ana Lopez\","
	    "\"requester_slack_id\":\"U0REQUESTER\",\"approver_id\":\"%s\","
	    "\"justification_text\":\"a new laptop\",\"metadata\":{}}", approver);
	o = call_json("POST", "/api/new-approval", key, body, 201);
	snprintf(id, 37, "%s", jstr(o, "id"));
	json_object_put(o);
}

/* The first step's assignments of request id (caller puts the request). */
static json_object *
assignments(const char *key, const char *id, json_object **req)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/requests/%s", id);
	*req = call_json("GET", path, key, NULL, 200);
	return jget(json_object_array_get_idx(jget(*req, "steps"), 0), "assignments");
}

Test(e2e, a_group_request_gets_one_assignment_per_member)
{
	char adm[128], src[128], u1[40], u2[40], e1[96], body[1024], id[37];
	json_object *req, *asg, *a, *grp, *members;
	size_t i;

	th_admin_key(adm, sizeof(adm));
	source_add(src, sizeof(src));
	uslack(u1, sizeof(u1));
	uslack(u2, sizeof(u2));
	uemail("fin", e1, sizeof(e1));
	{
		struct th_resp r;

		/* a rerun in the same database starts from no "finance" */
		th_api("DELETE", "/api/groups/finance", adm, NULL, NULL, &r);
		th_resp_free(&r);
	}
	snprintf(body, sizeof(body), "{\"name\":\"finance\",\"members\":[\"%s\",\"%s\",\"%s\"]}",
	    u1, e1, u2);
	grp = call_json("POST", "/api/groups", adm, body, 201);
	members = jget(grp, "members");
	cr_assert_eq(json_object_array_length(members), 3);

	/* one assignment per member, in the order the group shows them */
	new_request(src, "group:finance", id);
	asg = assignments(src, id, &req);
	cr_assert_eq(json_object_array_length(asg), 3, "%s", json_object_to_json_string(asg));
	for (i = 0; i < 3; i++) {
		a = json_object_array_get_idx(asg, i);
		cr_assert_str_eq(jstr(jget(a, "approver"), "value"),
		    jstr(json_object_array_get_idx(members, i), "value"));
		cr_assert_str_eq(jstr(jget(a, "approver"), "kind"),
		    jstr(json_object_array_get_idx(members, i), "kind"));
		cr_assert_str_eq(jstr(a, "status"), "pending");
		cr_assert(json_object_is_type(jget(a, "delegate_of"), json_type_null));
	}
	json_object_put(req);
	json_object_put(grp);

	/* a group that does not exist is refused at intake, nothing written */
	snprintf(body, sizeof(body), "{\"requester_name\":\"Ana Lopez\","
	    "\"approver_id\":\"group:no-such-group-e2e\",\"justification_text\":\"x\","
	    "\"metadata\":{}}");
	{
		struct th_resp r;

		th_api("POST", "/api/new-approval", src, NULL, body, &r);
		cr_assert(r.status == 400 || r.status == 422, "%ld %s", r.status, r.body);
		th_resp_free(&r);
	}
}

Test(e2e, a_delegation_in_force_adds_the_delegate_who_may_decide)
{
	char adm[128], src[128], boss[40], dep[40], today[11], d2[11], id[37], id2[37], path[64];
	json_object *req, *asg, *a, *b, *o;
	struct hub_db *db = NULL;
	struct hub_actor actor = { "slack", NULL, "T1", NULL, "slack" };
	struct hub_outcome oc;
	struct hub_engine_error ee;
	char display[64];

	th_admin_key(adm, sizeof(adm));
	source_add(src, sizeof(src));
	uslack(boss, sizeof(boss));
	uslack(dep, sizeof(dep));
	day(0, today);
	day(2, d2);
	o = deleg(adm, boss, dep, today, d2, 201, NULL);
	snprintf(path, sizeof(path), "/api/delegations/%s", jstr(o, "id"));
	json_object_put(o);

	new_request(src, boss, id);
	asg = assignments(src, id, &req);
	cr_assert_eq(json_object_array_length(asg), 2, "%s", json_object_to_json_string(asg));
	a = json_object_array_get_idx(asg, 0);
	b = json_object_array_get_idx(asg, 1);
	cr_assert_str_eq(jstr(jget(a, "approver"), "value"), boss);
	cr_assert(json_object_is_type(jget(a, "delegate_of"), json_type_null));
	cr_assert_str_eq(jstr(jget(b, "approver"), "value"), dep);
	cr_assert_eq(json_object_get_int64(jget(b, "delegate_of")),
	    json_object_get_int64(jget(a, "id")), "the delegate stands in for the approver");
	json_object_put(req);

	/* the delegate decides, as the engine lets an assignee's delegate */
	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
	snprintf(display, sizeof(display), "User %s", dep);
	actor.id = dep;
	actor.display = display;
	memset(&oc, 0, sizeof(oc));
	memset(&ee, 0, sizeof(ee));
	cr_assert_eq(hub_engine_decide(db, id, 0, &actor, 1, "approved for the boss", NULL, &oc,
	    &ee), HUB_ENGINE_OK, "%s %s", ee.field, ee.message);
	cr_assert_str_eq(oc.request_status, "Approved");
	hub_db_close(db);
	{
		char p2[128];

		snprintf(p2, sizeof(p2), "/api/requests/%s", id);
		req = call_json("GET", p2, src, NULL, 200);
		cr_assert_str_eq(jstr(req, "status"), "Approved");
		json_object_put(req);
	}

	/* revoked: a new request for the approver has no delegate */
	json_object_put(call_json("DELETE", path, adm, NULL, 200));
	new_request(src, boss, id2);
	asg = assignments(src, id2, &req);
	cr_assert_eq(json_object_array_length(asg), 1, "%s", json_object_to_json_string(asg));
	cr_assert_str_eq(jstr(jget(json_object_array_get_idx(asg, 0), "approver"), "value"), boss);
	json_object_put(req);
}

Test(e2e, an_upcoming_delegation_adds_nobody_yet)
{
	char adm[128], src[128], boss[96], dep[40], d3[11], d5[11], id[37];
	json_object *req, *asg;

	th_admin_key(adm, sizeof(adm));
	source_add(src, sizeof(src));
	uemail("chief", boss, sizeof(boss));
	uslack(dep, sizeof(dep));
	day(3, d3);
	day(5, d5);
	json_object_put(deleg(adm, boss, dep, d3, d5, 201, NULL));
	new_request(src, boss, id);
	asg = assignments(src, id, &req);
	cr_assert_eq(json_object_array_length(asg), 1, "%s", json_object_to_json_string(asg));
	json_object_put(req);
}
