/*
 * test_ssrf.c - a callback URL cannot reach an internal address: refused
 * at intake in every spelling (through nginx and the API, for a request's
 * callback_url and a source's), and refused again by the worker at the
 * moment it connects, whatever was stored (a row written before the
 * guard, an allowlist removed after intake).  The stack's worker and the
 * loopback callback receiver (t/fakes/callback_receiver.py) do the
 * sending; env.sh allows 127.0.0.1/32 globally, so every test here works
 * on a source of its own whose callback_allow_networks overrides it.
 *
 * Nothing here connects to anything but loopback: refused URLs are
 * refused before any connection, and the only URLs that are sent to point
 * at the receiver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "store/db.h"
#include "testlib.h"

#define POLL_MS	15000

static void
uniq(const char *prefix, char *out, size_t len)
{
	static int n;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%s-%d-%ld-%d", prefix, (int)getpid(), ts.tv_nsec, ++n);
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
	    json_object_to_json_string(o));
	return json_object_get_string(v);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A source made through the admin API with its own allowlist (a JSON
 * value: "\"\"" none, "\"127.0.0.1/32\""...) and the receiver's
 * secret: its key and id. */
static void
source(const char *allow, char key[128], char id[40])
{
	char adm[128], name[64], body[256];
	struct th_resp r;
	json_object *o;

	th_admin_key(adm, sizeof(adm));
	uniq("ssrf", name, sizeof(name));
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"callback_allow_networks\":%s,"
	    "\"callback_secret\":\"%s\"}", name, allow, th_env("HUB_TEST_CALLBACK_SECRET"));
	th_api("POST", "/api/sources", adm, NULL, body, &r);
	o = th_expect(&r, 201, NULL);
	snprintf(key, 128, "%s", jstr(o, "api_key"));
	snprintf(id, 40, "%s", jstr(o, "id"));
	json_object_put(o);
	th_resp_free(&r);
}

static void
patch_source(const char *id, const char *json, long status, const char *field)
{
	char adm[128], path[128];
	struct th_resp r;

	th_admin_key(adm, sizeof(adm));
	snprintf(path, sizeof(path), "/api/sources/%s", id);
	th_api("PATCH", path, adm, NULL, json, &r);
	json_object_put(th_expect(&r, status, field));
	th_resp_free(&r);
}

/* POST /api/new-approval with callback_url (NULL: none): the status;
 * the id in id when created, the answer in out (caller puts). */
static long
create(const char *key, const char *url, char id[40], json_object **out)
{
	char body[1024];
	struct th_resp r;
	json_object *o;
	long status;

	if (url != NULL)
		snprintf(body, sizeof(body), "{\"requester_name\":\"Ana Lopez\","
		    "\"approver_id\":\"U0SSRF\",\"justification_text\":\"x\",\"metadata\":{},"
		    "\"callback_url\":\"%s\"}", url);
	else
		snprintf(body, sizeof(body), "{\"requester_name\":\"Ana Lopez\","
		    "\"approver_id\":\"U0SSRF\",\"justification_text\":\"x\",\"metadata\":{}}");
	th_api("POST", "/api/new-approval", key, NULL, body, &r);
	status = r.status;
	o = th_json(&r);
	if (status == 201)
		snprintf(id, 40, "%s", jstr(o, "id"));
	if (out != NULL)
		*out = o;
	else
		json_object_put(o);
	th_resp_free(&r);
	return status;
}

static void
cancel(const char *key, const char *id)
{
	char path[128];
	struct th_resp r;

	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	th_api("POST", path, key, NULL, "{}", &r);
	json_object_put(th_expect(&r, 200, NULL));
	th_resp_free(&r);
}

static PGresult *
sql(const char *q, int n, const char *const *params)
{
	PGconn *c = PQconnectdb(th_env("DATABASE_URL"));
	PGresult *res;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexecParams(c, q, n, NULL, params, NULL, NULL, 0);
	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", q, PQerrorMessage(c));
	PQfinish(c);
	return res;
}

struct delivery {
	char	status[16];
	char	code[32];
	char	detail[256];
	char	job_state[16];
	int	attempts;
};

/* Wait until the request's callback delivery is `want`. */
static void
await_delivery(const char *req, const char *want, struct delivery *d)
{
	const char *p[1] = { req };
	PGresult *res;
	long waited;

	memset(d, 0, sizeof(*d));
	for (waited = 0; waited < POLL_MS; waited += 100) {
		res = sql("SELECT d.status, coalesce(d.error_code, ''),"
		    " coalesce(d.error_detail, ''), coalesce(j.state, ''),"
		    " (SELECT count(*) FROM job_attempts a WHERE a.job_id = j.id)::int"
		    " FROM delivery_log d LEFT JOIN jobs j ON j.id = d.job_id"
		    " WHERE d.request_id = $1::uuid AND d.kind = 'callback'", 1, p);
		if (PQntuples(res) == 1) {
			snprintf(d->status, sizeof(d->status), "%s", PQgetvalue(res, 0, 0));
			snprintf(d->code, sizeof(d->code), "%s", PQgetvalue(res, 0, 1));
			snprintf(d->detail, sizeof(d->detail), "%s", PQgetvalue(res, 0, 2));
			snprintf(d->job_state, sizeof(d->job_state), "%s", PQgetvalue(res, 0, 3));
			cr_assert_eq(hub_db_get_int(res, 0, 4, &d->attempts), HUB_DB_OK);
		}
		PQclear(res);
		if (strcmp(d->status, want) == 0)
			return;
		sleep_ms(100);
	}
	cr_assert_fail("callback of %s is '%s' (%s) after %d ms, want '%s'", req, d->status,
	    d->detail, POLL_MS, want);
}

/* How many calls the receiver saw on path. */
static size_t
receiver_calls(const char *path)
{
	char q[256];
	json_object *o;
	size_t n;

	snprintf(q, sizeof(q), "/_fake/calls?path=%s", path);
	o = th_fake("FAKE_CALLBACK_URL", "GET", q, NULL);
	cr_assert(o != NULL && json_object_is_type(o, json_type_array), "receiver calls");
	n = json_object_array_length(o);
	json_object_put(o);
	return n;
}

/* The receiver's port, from $FAKE_CALLBACK_URL (http://127.0.0.1:PORT). */
static const char *
receiver_port(void)
{
	const char *u = th_env("FAKE_CALLBACK_URL"), *colon = strrchr(u, ':');

	cr_assert(colon != NULL && colon > u + 6, "FAKE_CALLBACK_URL %s", u);
	return colon + 1;
}

TestSuite(ssrf, .timeout = 90);

/* ------------------------------------------------------------ intake */

Test(ssrf, every_internal_spelling_is_refused_at_intake)
{
	static const char *const urls[] = {
		"http://169.254.169.254/latest/meta-data/",
		"http://2852039166/",
		"http://0xa9fea9fe/",
		"http://0251.0376.0251.0376/",
		"http://169.254.43518/",
		"http://[::ffff:a9fe:a9fe]/",
		"http://[::ffff:169.254.169.254]/",
		"http://127.1/",
		"http://0/",
		"http://[::1]/",
		"http://localhost/",
		"http://[fd00::1]/",
		"http://100.64.0.1/",
		"http://10.1.2.3/",
		"http://172.16.0.1/",
		"http://192.168.1.1/",
		"http://[fe80::1]/",
		"http://224.0.0.1/",
		"http://255.255.255.255/",
		"http://[::]/",
		"http://[::127.0.0.1]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://[2002:a9fe:a9fe::1]/",
		"https://127.0.0.1:443/cb",
		NULL,  /* the hub itself: $HUB_URL */
	};
	char key[128], id[40], sid[40], url[256], body[400];
	json_object *o;
	size_t i;

	source("\"\"", key, sid);
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		snprintf(url, sizeof(url), "%s", urls[i] != NULL ? urls[i] : th_env("HUB_URL"));
		cr_assert_eq(create(key, url, id, &o), 400, "%s accepted: %s", url,
		    json_object_to_json_string(o));
		cr_expect_str_eq(jstr(o, "field"), "callback_url", "%s", url);
		cr_expect(strstr(jstr(o, "error"), "internal") != NULL ||
		    strstr(jstr(o, "error"), "host") != NULL, "%s: %s", url, jstr(o, "error"));
		json_object_put(o);
		/* The same URL as the source's own callback_url. */
		snprintf(body, sizeof(body), "{\"callback_url\":\"%s\"}", url);
		patch_source(sid, body, 400, "callback_url");
	}
	/* A refused request is not created (nor delivered) behind the 400. */
	{
		const char *const p[1] = { sid };
		PGresult *res = sql("SELECT count(*) FROM requests WHERE source_id = $1::uuid",
		    1, p);

		cr_expect_str_eq(PQgetvalue(res, 0, 0), "0", "requests created behind a 400");
		PQclear(res);
	}
}

Test(ssrf, allowlist_admits_its_network_only)
{
	char key[128], id[40], sid[40], url[256];

	source("\"127.0.0.1/32\"", key, sid);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/cb/ssrf-allowed", receiver_port());
	cr_assert_eq(create(key, url, id, NULL), 201);
	snprintf(url, sizeof(url), "http://localhost:%s/cb/ssrf-allowed", receiver_port());
	cr_assert_eq(create(key, url, id, NULL), 201);
	/* 127.0.0.2 is loopback too, but not in the allowlist. */
	cr_assert_eq(create(key, "http://127.0.0.2/cb", id, NULL), 400);
	cr_assert_eq(create(key, "http://169.254.169.254/", id, NULL), 400);
	/* A source that takes the global setting back. */
	patch_source(sid, "{\"callback_allow_networks\":null}", 200, NULL);
	cr_assert_eq(create(key, url, id, NULL), 201);
	patch_source(sid, "{\"callback_allow_networks\":\"10.0.0.0/33\"}", 400,
	    "callback_allow_networks");
	patch_source(sid, "{\"callback_allow_networks\":\"nonsense\"}", 400,
	    "callback_allow_networks");
}

Test(ssrf, setting_is_validated_by_the_cli)
{
	cr_assert_neq(th_sh("\"$top_builddir/bin/approvalhub\" settings set"
	    " callbacks.allow_networks 'not-a-network' >/dev/null 2>&1"), 0);
	cr_assert_neq(th_sh("\"$top_builddir/bin/approvalhub\" settings set"
	    " callbacks.allow_networks '127.0.0.1/40' >/dev/null 2>&1"), 0);
	/* What env.sh set is still there. */
	cr_assert_eq(th_sh("\"$top_builddir/bin/approvalhub\" settings get"
	    " callbacks.allow_networks | grep -qx '127.0.0.1/32'"), 0);
}

/* ------------------------------------------------------------ send time */

/* A callback_url stored before the guard existed (written by SQL here)
 * still cannot reach loopback: the worker refuses the address it would
 * connect to, the delivery fails for good with the reason, no retry. */
Test(ssrf, worker_refuses_a_url_stored_before_the_guard)
{
	char key[128], id[40], sid[40], url[256];
	const char *p[2];
	struct delivery d;

	source("\"\"", key, sid);
	cr_assert_eq(create(key, NULL, id, NULL), 201);
	snprintf(url, sizeof(url), "%s/cb/ssrf-old", th_env("FAKE_CALLBACK_URL"));
	p[0] = id;
	p[1] = url;
	PQclear(sql("UPDATE requests SET callback_url = $2 WHERE id = $1::uuid", 2, p));
	cancel(key, id);
	await_delivery(id, "failed", &d);
	cr_expect_str_eq(d.code, "address_refused");
	cr_expect(strstr(d.detail, "address refused") != NULL, "detail: %s", d.detail);
	cr_expect_str_eq(d.job_state, "failed");
	cr_expect_eq(d.attempts, 1, "tried once, not retried: %d", d.attempts);
	sleep_ms(1500);
	cr_expect_eq(receiver_calls("/cb/ssrf-old"), 0, "the receiver was reached");
}

/* A name accepted at intake while an allowlist admitted it is checked
 * again when it is connected to: the allowlist is gone by then. */
Test(ssrf, worker_checks_the_address_again_at_connect_time)
{
	char key[128], id[40], id2[40], sid[40], url[256];
	struct delivery d;

	source("\"127.0.0.1/32\"", key, sid);
	/* With the allowlist, the same receiver through a name is reached. */
	snprintf(url, sizeof(url), "http://localhost:%s/cb/ssrf-name-ok", receiver_port());
	cr_assert_eq(create(key, url, id, NULL), 201);
	cancel(key, id);
	await_delivery(id, "delivered", &d);
	cr_assert_eq(receiver_calls("/cb/ssrf-name-ok"), 1);

	snprintf(url, sizeof(url), "http://localhost:%s/cb/ssrf-rebind", receiver_port());
	cr_assert_eq(create(key, url, id2, NULL), 201);
	patch_source(sid, "{\"callback_allow_networks\":\"\"}", 200, NULL);
	cancel(key, id2);
	await_delivery(id2, "failed", &d);
	cr_expect_str_eq(d.code, "address_refused");
	cr_expect_eq(d.attempts, 1);
	sleep_ms(1500);
	cr_expect_eq(receiver_calls("/cb/ssrf-rebind"), 0, "the receiver was reached");
}
