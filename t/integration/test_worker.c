/*
 * test_worker.c - httpc against a loopback server, and approvalhub-worker
 * running http_post jobs against it.
 *
 * Each test gets its own receiver (a small Python server started here, so
 * every response can be scripted: status, Retry-After, stall, size) and, for
 * the worker tests, its own freshly migrated database next to DATABASE_URL
 * (the worker env.sh starts works on the main one and must not take our
 * jobs).  The worker binary runs with --once and WORKER_BACKOFF_BASE_MS=0
 * so retries are due at once.
 */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "base/httpc.h"
#include "store/jobs.h"
#include "base/json.h"
#include "store/migrate.h"
#include "slack/slacksig.h"
#include "testlib.h"

/* ------------------------------------------------------------ receiver */

/*
 * POST /_ctl/script [actions]  queue actions for the next requests:
 *                               {status, headers{}, stall_ms, body_size}
 * GET  /_ctl/calls             [{method, path, headers{lowercase}, body}]
 * anything else                recorded, answered by the next action (200 "ok")
 */
static const char receiver_py[] =
"import json, os, sys, threading, time\n"
"from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler\n"
"calls, script, lock = [], [], threading.Lock()\n"
"class H(BaseHTTPRequestHandler):\n"
"    protocol_version = 'HTTP/1.1'\n"
"    def log_message(self, *a): pass\n"
"    def send(self, status, body=b'', headers=()):\n"
"        self.send_response(status)\n"
"        for k, v in headers: self.send_header(k, v)\n"
"        self.send_header('Content-Length', str(len(body)))\n"
"        self.end_headers()\n"
"        self.wfile.write(body)\n"
"    def body(self):\n"
"        n = int(self.headers.get('Content-Length') or 0)\n"
"        return self.rfile.read(n) if n else b''\n"
"    def do_GET(self):\n"
"        if self.path == '/_ctl/calls':\n"
"            with lock: b = json.dumps(calls).encode()\n"
"            return self.send(200, b, [('Content-Type', 'application/json')])\n"
"        self.any(b'')\n"
"    def do_POST(self):\n"
"        b = self.body()\n"
"        if self.path == '/_ctl/script':\n"
"            with lock: script.extend(json.loads(b))\n"
"            return self.send(200, b'ok')\n"
"        self.any(b)\n"
"    def any(self, b):\n"
"        with lock:\n"
"            calls.append({'method': self.command, 'path': self.path,\n"
"                'headers': {k.lower(): v for k, v in self.headers.items()},\n"
"                'body': b.decode('utf-8', 'replace')})\n"
"            act = script.pop(0) if script else {}\n"
"        if act.get('stall_ms'): time.sleep(act['stall_ms'] / 1000)\n"
"        out = b'x' * act['body_size'] if 'body_size' in act else b'ok'\n"
"        hdrs = list(act.get('headers', {}).items())\n"
"        if not any(k.lower() == 'content-type' for k, v in hdrs):\n"
"            hdrs.append(('Content-Type', 'text/plain'))\n"
"        try: self.send(act.get('status', 200), out, hdrs)\n"
"        except OSError: pass\n"
"srv = ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
"srv.daemon_threads = True\n"
"with open(sys.argv[1] + '.tmp', 'w') as f: f.write(str(srv.server_address[1]))\n"
"os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
"srv.serve_forever()\n";

struct receiver {
	pid_t	pid;
	char	dir[64];
	char	url[64];   /* http://127.0.0.1:PORT */
};

static struct receiver rcv;
static struct hub_httpc *ctl;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
receiver_start(struct receiver *r)
{
	char pf[128], buf[16];
	const char *py = getenv("PYTHON3");
	FILE *f;
	int i;

	snprintf(r->dir, sizeof(r->dir), "/tmp/hubw.XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	snprintf(pf, sizeof(pf), "%s/port", r->dir);
	if (py == NULL || *py == '\0')
		py = "python3";
	r->pid = fork();
	cr_assert_neq(r->pid, -1);
	if (r->pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		/* Never outlive a test that timed out, never hold its TAP pipe. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0)
			dup2(fd, 1);
		execlp(py, py, "-c", receiver_py, pf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if ((f = fopen(pf, "r")) != NULL) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			snprintf(r->url, sizeof(r->url), "http://127.0.0.1:%s", buf);
			return;
		}
		sleep_ms(25);
	}
	cr_assert_fail("receiver did not start");
}

static void
receiver_stop(struct receiver *r)
{
	char pf[128];

	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
	snprintf(pf, sizeof(pf), "%s/port", r->dir);
	unlink(pf);
	rmdir(r->dir);
}

static void
receiver_script(const char *json)
{
	struct hub_httpc_resp resp;
	char url[128];
	int rc;

	snprintf(url, sizeof(url), "%s/_ctl/script", rcv.url);
	hub_httpc_resp_init(&resp, 4096);
	rc = hub_httpc_post(ctl, url, NULL, json, strlen(json), 5000, &resp);
	cr_assert_eq(rc, HUB_HTTPC_OK, "script: %s", resp.error);
	cr_assert_eq(resp.status, 200);
	hub_httpc_resp_free(&resp);
}

/* The calls so far; caller json_object_put()s. */
static json_object *
receiver_calls(void)
{
	struct th_resp r;
	json_object *calls = NULL;
	char url[128];

	snprintf(url, sizeof(url), "%s/_ctl/calls", rcv.url);
	cr_assert_eq(th_http("GET", url, NULL, NULL, 0, &r), 0, "calls");
	cr_assert_eq(r.status, 200);
	cr_assert_eq(hub_json_parse(r.body, r.len, 1 << 20, 8, &calls), HUB_JSON_OK);
	cr_assert(json_object_is_type(calls, json_type_array));
	th_resp_free(&r);
	return calls;
}

static size_t
receiver_ncalls(void)
{
	json_object *c = receiver_calls();
	size_t n = json_object_array_length(c);

	json_object_put(c);
	return n;
}

static const char *
call_header(json_object *call, const char *name)
{
	json_object *h, *v;

	if (!json_object_object_get_ex(call, "headers", &h) ||
	    !json_object_object_get_ex(h, name, &v))
		return NULL;
	return json_object_get_string(v);
}

static const char *
call_body(json_object *call)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(call, "body", &v));
	return json_object_get_string(v);
}

/* A loopback port nobody listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ------------------------------------------------------------ httpc */

static void
httpc_setup(void)
{
	ctl = hub_httpc_new();
	cr_assert_not_null(ctl);
	receiver_start(&rcv);
}

static void
httpc_teardown(void)
{
	receiver_stop(&rcv);
	hub_httpc_free(ctl);
	ctl = NULL;
}

TestSuite(httpc, .init = httpc_setup, .fini = httpc_teardown, .timeout = 30);

Test(httpc, retry_after_forms)
{
	static const struct {
		const char	*v;
		int		 want;
	} t[] = {
		{ "0", 0 },
		{ "120", 120 },
		{ "99999999999999999999", 7 * 86400 },
		{ "12x", -1 },
		{ "soon", -1 },
		{ "", -1 },
		{ "Wed, 21 Oct 2015 07:28:30 GMT", 30 },   /* now is 07:28:00 */
		{ "Wed, 21 Oct 2015 07:27:00 GMT", 0 },    /* in the past */
	};
	time_t now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(httpc_parse_retry_after(t[i].v, now), t[i].want,
		    "Retry-After \"%s\": got %d, want %d", t[i].v,
		    httpc_parse_retry_after(t[i].v, now), t[i].want);
}

Test(httpc, post_200_sends_headers_and_body)
{
	const char *hdrs[] = { "X-Test: yes", NULL };
	struct hub_httpc_resp resp;
	json_object *calls, *c;
	char url[128];

	snprintf(url, sizeof(url), "%s/hook", rcv.url);
	hub_httpc_resp_init(&resp, 1024);
	cr_assert_eq(hub_httpc_post(ctl, url, hdrs, "{\"a\":1}", 7, 5000, &resp), HUB_HTTPC_OK);
	cr_expect_eq(resp.status, 200);
	cr_expect_str_eq(hub_buf_str(&resp.body), "ok");
	cr_expect_str_eq(resp.content_type, "text/plain");
	cr_expect_eq(resp.retry_after, -1);
	cr_expect_not(hub_httpc_is_transient(HUB_HTTPC_OK, resp.status));
	hub_httpc_resp_free(&resp);

	calls = receiver_calls();
	cr_assert_eq(json_object_array_length(calls), 1);
	c = json_object_array_get_idx(calls, 0);
	cr_expect_str_eq(call_header(c, "user-agent"), "approvalhub/0.1");
	cr_expect_str_eq(call_header(c, "x-test"), "yes");
	cr_expect_null(call_header(c, "expect"));
	cr_expect_str_eq(call_body(c), "{\"a\":1}");
	json_object_put(calls);
}

Test(httpc, statuses_and_retry_after)
{
	static const struct {
		const char	*script;
		long		 status;
		int		 retry_after;
		int		 transient;
	} t[] = {
		{ "[{\"status\":503,\"headers\":{\"Retry-After\":\"7\"}}]", 503, 7, 1 },
		{ "[{\"status\":429,\"headers\":{\"Retry-After\":\"3\"}}]", 429, 3, 1 },
		{ "[{\"status\":408}]", 408, -1, 1 },
		{ "[{\"status\":500}]", 500, -1, 1 },
		{ "[{\"status\":404}]", 404, -1, 0 },
		{ "[{\"status\":400}]", 400, -1, 0 },
		{ "[{\"status\":301,\"headers\":{\"Location\":\"http://127.0.0.1:1/\"}}]", 301, -1, 0 },
		{ "[{\"status\":204,\"body_size\":0}]", 204, -1, 0 },
	};
	struct hub_httpc_resp resp;
	char url[128];
	size_t i;

	snprintf(url, sizeof(url), "%s/x", rcv.url);
	hub_httpc_resp_init(&resp, 1024);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		receiver_script(t[i].script);
		cr_assert_eq(hub_httpc_post(ctl, url, NULL, "x", 1, 5000, &resp), HUB_HTTPC_OK,
		    "%s: %s", t[i].script, resp.error);
		cr_expect_eq(resp.status, t[i].status, "%s", t[i].script);
		cr_expect_eq(resp.retry_after, t[i].retry_after, "%s", t[i].script);
		cr_expect_eq(hub_httpc_is_transient(HUB_HTTPC_OK, resp.status), t[i].transient,
		    "%s", t[i].script);
	}
	hub_httpc_resp_free(&resp);
	/* The redirect was not followed: only our 8 requests arrived. */
	cr_expect_eq(receiver_ncalls(), 8);
}

Test(httpc, body_over_cap_is_toobig)
{
	struct hub_httpc_resp resp;
	char url[128];

	snprintf(url, sizeof(url), "%s/big", rcv.url);
	hub_httpc_resp_init(&resp, 1000);
	receiver_script("[{\"body_size\":100000}]");
	cr_expect_eq(hub_httpc_post(ctl, url, NULL, "x", 1, 5000, &resp), HUB_HTTPC_TOOBIG);
	cr_expect_leq(resp.body.len, 1000);
	cr_expect_not(hub_httpc_is_transient(HUB_HTTPC_TOOBIG, 0));
	/* The handle is still good afterwards. */
	receiver_script("[{\"body_size\":1000}]");
	cr_expect_eq(hub_httpc_post(ctl, url, NULL, "x", 1, 5000, &resp), HUB_HTTPC_OK);
	cr_expect_eq(resp.body.len, 1000);
	hub_httpc_resp_free(&resp);
}

Test(httpc, stalled_server_times_out)
{
	struct hub_httpc_resp resp;
	struct timespec t0;
	char url[128];
	int rc;

	snprintf(url, sizeof(url), "%s/slow", rcv.url);
	hub_httpc_resp_init(&resp, 1000);
	receiver_script("[{\"stall_ms\":3000}]");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = hub_httpc_post(ctl, url, NULL, "x", 1, 300, &resp);
	cr_expect_eq(rc, HUB_HTTPC_TIMEOUT, "got %s", hub_httpc_strerror(rc));
	cr_expect_lt(elapsed_ms(&t0), 2000);
	cr_expect(hub_httpc_is_transient(rc, 0));
	hub_httpc_resp_free(&resp);
}

Test(httpc, abort_flag)
{
	static volatile sig_atomic_t flag = 1;
	struct hub_httpc_resp resp;
	char url[128];

	snprintf(url, sizeof(url), "%s/x", rcv.url);
	hub_httpc_resp_init(&resp, 1000);
	hub_httpc_set_abort(ctl, &flag);
	cr_expect_eq(hub_httpc_post(ctl, url, NULL, "x", 1, 5000, &resp), HUB_HTTPC_ABORTED);
	hub_httpc_set_abort(ctl, NULL);
	cr_expect_eq(hub_httpc_post(ctl, url, NULL, "x", 1, 5000, &resp), HUB_HTTPC_OK);
	hub_httpc_resp_free(&resp);
}

Test(httpc, bad_urls_and_refused_connections)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1/x", "", "http://a b/",
		"gopher://127.0.0.1/",
	};
	struct hub_httpc_resp resp;
	char url[128];
	size_t i;
	int rc;

	hub_httpc_resp_init(&resp, 1000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = hub_httpc_post(ctl, bad[i], NULL, "x", 1, 1000, &resp);
		cr_expect_eq(rc, HUB_HTTPC_BADURL, "\"%s\": %s", bad[i], hub_httpc_strerror(rc));
		cr_expect_not(hub_httpc_is_transient(rc, 0));
	}
	cr_expect_eq(hub_httpc_post(ctl, NULL, NULL, "x", 1, 1000, &resp), HUB_HTTPC_BADURL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
	rc = hub_httpc_post(ctl, url, NULL, "x", 1, 2000, &resp);
	cr_expect_eq(rc, HUB_HTTPC_CONNECT, "got %s", hub_httpc_strerror(rc));
	cr_expect(hub_httpc_is_transient(rc, 0));
	hub_httpc_resp_free(&resp);
}

/* ------------------------------------------------------------ worker */

static PGconn *admin;
static struct hub_db *db;
static char dbname[64];
static char dburl[1024];

static void
admin_exec(const char *sql)
{
	PGresult *r = PQexec(admin, sql);

	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(admin));
	PQclear(r);
}

static void
worker_setup(void)
{
	const char *base = getenv("DATABASE_URL");
	unsigned char key[32];
	struct hub_buf k = HUB_BUF_INIT(64);
	char sql[128];
	static int n;

	if (base == NULL || *base == '\0')
		cr_skip_test("DATABASE_URL not set (run under t/integration/env.sh)");
	/* The worker and th_callback_queue both need SECRET_KEY. */
	if (getenv("SECRET_KEY") == NULL) {
		cr_assert_eq(hub_random_bytes(key, sizeof(key)), HUB_CRYPTO_OK);
		cr_assert_eq(hub_base64_encode(key, sizeof(key), 0, &k), HUB_CRYPTO_OK);
		setenv("SECRET_KEY", hub_buf_str(&k), 1);
		hub_buf_release(&k);
	}
	unsetenv("APPROVALHUB_CONF");
	httpc_setup();

	admin = PQconnectdb(base);
	cr_assert(PQstatus(admin) == CONNECTION_OK, "%s", PQerrorMessage(admin));
	snprintf(dbname, sizeof(dbname), "hub_worker_%ld_%d", (long)getpid(), n++);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
	admin_exec(sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
	admin_exec(sql);
	th_db_url(dbname, dburl, sizeof(dburl));
	cr_assert_eq(hub_db_connect_limits(dburl, NULL, &db), HUB_DB_OK);
	cr_assert_eq(hub_migrate_run(db, NULL), HUB_MIGRATE_OK, "%s", hub_db_last_error(db));
	th_allow_loopback_callbacks(db);
}

static void
worker_teardown(void)
{
	char sql[128];
	PGresult *r;

	hub_db_close(db);
	db = NULL;
	if (admin != NULL) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		r = PQexec(admin, sql);
		PQclear(r);
		PQfinish(admin);
		admin = NULL;
	}
	httpc_teardown();
}

TestSuite(worker, .init = worker_setup, .fini = worker_teardown, .timeout = 60);

/* Start the worker; returns its pid. */
static pid_t
worker_spawn_ex(int once, const char *url, const char *log)
{
	static const char *const env[] = { "WORKER_BACKOFF_BASE_MS=0", NULL };
	static const char *const once_args[] = { "--once", "--id", "test-worker", NULL };
	static const char *const args[] = { "--id", "test-worker", NULL };

	if (log != NULL)
		unlink(log);
	return th_worker_start(url, log, env, once ? once_args : args);
}

static pid_t
worker_spawn(int once)
{
	return worker_spawn_ex(once, dburl, NULL);
}

/* Wait up to ms for pid; its exit status, -1 on timeout (then killed). */
static int
worker_wait(pid_t pid, long ms)
{
	int st;
	long waited;

	for (waited = 0; waited <= ms; waited += 20) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void
worker_once(void)
{
	int rc = worker_wait(worker_spawn(1), 30000);

	cr_assert_eq(rc, 0, "worker --once failed: exit %d", rc);
}

/* One value of a query with $1 = the job id. */
static char *
job_query(int64_t id, const char *sql)
{
	char ids[24];
	const char *p[1] = { ids };
	PGresult *r;
	char *v;

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	r = PQexecParams(hub_db_conn(db), sql, 1, NULL, p, NULL, NULL, 0);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(hub_db_conn(db)));
	cr_assert_eq(PQntuples(r), 1, "%s: %d rows", sql, PQntuples(r));
	v = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static long
job_query_long(int64_t id, const char *sql)
{
	char *v = job_query(id, sql), *end;
	long n = strtol(v, &end, 10);

	cr_assert(*v != '\0' && *end == '\0', "%s: not a number: %s", sql, v);
	free(v);
	return n;
}

static int64_t
last_job_id(void)
{
	PGresult *r = PQexec(hub_db_conn(db), "SELECT max(id) FROM jobs");
	int64_t id;

	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

static int64_t
enqueue(const char *path, const char *secret)
{
	json_object *body = json_object_new_object();
	char url[128];

	json_object_object_add(body, "id", json_object_new_string("req-1"));
	json_object_object_add(body, "status", json_object_new_string("Approved"));
	json_object_object_add(body, "comment", json_object_new_string("ok \"quoted\" é"));
	snprintf(url, sizeof(url), "%s%s", rcv.url, path);
	th_callback_queue(db, url, body, secret);
	json_object_put(body);
	return last_job_id();
}

static void
expect_status(int64_t id, const char *want)
{
	char *s = job_query(id, "SELECT state FROM jobs WHERE id = $1");

	cr_expect_str_eq(s, want, "job %lld: status %s, want %s", (long long)id, s, want);
	free(s);
}

static long
attempts(int64_t id)
{
	return job_query_long(id, "SELECT count(*) FROM job_attempts WHERE job_id = $1");
}

/*
 * A backlog is claimed a few jobs per statement (jobs claimed together
 * share their started_at, the claim's transaction time), and every job
 * still runs once, with one attempt.
 */
Test(worker, backlog_is_claimed_in_batches)
{
	json_object *calls;
	int64_t first = 0, id;
	PGresult *r;
	int i;

	for (i = 0; i < 8; i++) {
		id = enqueue("/callback", "callback-secret");
		if (first == 0)
			first = id;
	}
	worker_once();
	calls = receiver_calls();
	cr_expect_eq(json_object_array_length(calls), 8);
	json_object_put(calls);
	cr_expect_eq(job_query_long(first, "SELECT count(*) FROM jobs WHERE id >= $1"
	    " AND state = 'done'"), 8);
	cr_expect_eq(job_query_long(first, "SELECT count(*) FROM job_attempts WHERE job_id >= $1"
	    " AND ok"), 8);
	r = PQexec(hub_db_conn(db), "SELECT count(DISTINCT started_at) FROM jobs");
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
	/* One, two, four, then the last one: four claims for eight jobs. */
	cr_expect_leq(strtol(PQgetvalue(r, 0, 0), NULL, 10), 4, "claims: %s",
	    PQgetvalue(r, 0, 0));
	PQclear(r);
}

Test(worker, delivers_with_valid_signature)
{
	json_object *calls, *c;
	const char *ts, *sig, *body;
	int64_t id = enqueue("/callback", "callback-secret");

	worker_once();
	calls = receiver_calls();
	cr_assert_eq(json_object_array_length(calls), 1);
	c = json_object_array_get_idx(calls, 0);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(c, "path")), "/callback");
	body = call_body(c);
	ts = call_header(c, "x-hub-request-timestamp");
	sig = call_header(c, "x-hub-signature");
	cr_assert_not_null(ts);
	cr_assert_not_null(sig);
	cr_expect_eq(strncmp(sig, "v1=", 3), 0);
	cr_expect_eq(hub_sig_verify("v1", "callback-secret", ts, sig, body, strlen(body), time(NULL)),
	    HUB_SIG_OK, "signature does not verify");
	cr_expect_neq(hub_sig_verify("v1", "other-secret", ts, sig, body, strlen(body), time(NULL)),
	    HUB_SIG_OK);
	cr_expect_str_eq(call_header(c, "content-type"), "application/json");
	cr_expect_not_null(strstr(body, "\"status\":\"Approved\""));
	json_object_put(calls);

	expect_status(id, "done");
	cr_expect_eq(attempts(id), 1);
	/* Retried for a day at most. */
	cr_expect_eq(job_query_long(id, "SELECT extract(epoch FROM deadline - created_at)::bigint"
	    " FROM jobs WHERE id = $1"), 86400);
	/* The secret is not stored in the clear. */
	cr_expect_eq(job_query_long(id,
	    "SELECT count(*) FROM jobs WHERE id = $1 AND payload::text LIKE '%callback-secret%'"), 0);
}

Test(worker, unsigned_string_body_and_headers)
{
	json_object *pl, *calls, *c, *h;
	char url[128];
	int64_t id;

	snprintf(url, sizeof(url), "%s/plain", rcv.url);
	pl = json_object_new_object();
	json_object_object_add(pl, "url", json_object_new_string(url));
	json_object_object_add(pl, "body", json_object_new_string("raw text"));
	h = json_object_new_object();
	json_object_object_add(h, "X-Custom", json_object_new_string("v"));
	json_object_object_add(pl, "headers", h);
	cr_assert_eq(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = "http_post",
	    .payload = pl }, &id), HUB_DB_OK);
	json_object_put(pl);

	worker_once();
	calls = receiver_calls();
	cr_assert_eq(json_object_array_length(calls), 1);
	c = json_object_array_get_idx(calls, 0);
	cr_expect_str_eq(call_body(c), "raw text");
	cr_expect_str_eq(call_header(c, "x-custom"), "v");
	cr_expect_null(call_header(c, "x-hub-signature"));
	json_object_put(calls);
	expect_status(id, "done");
}

Test(worker, retries_after_two_failures)
{
	int64_t id;

	receiver_script("[{\"status\":503},{\"status\":500}]");
	id = enqueue("/flaky", "s");
	worker_once();
	cr_expect_eq(receiver_ncalls(), 3);
	expect_status(id, "done");
	cr_expect_eq(attempts(id), 3);
}

Test(worker, permanent_4xx_is_not_retried)
{
	int64_t id;

	receiver_script("[{\"status\":404}]");
	id = enqueue("/gone", "s");
	worker_once();
	worker_once();
	cr_expect_eq(receiver_ncalls(), 1);
	expect_status(id, "failed");
	cr_expect_eq(attempts(id), 1);
}

Test(worker, honours_retry_after_on_429)
{
	int64_t id;
	long delay;

	receiver_script("[{\"status\":429,\"headers\":{\"Retry-After\":\"120\"}}]");
	id = enqueue("/limited", NULL);
	worker_once();
	cr_expect_eq(receiver_ncalls(), 1);
	delay = job_query_long(id,
	    "SELECT round(extract(epoch FROM run_at - now()))::bigint FROM jobs WHERE id = $1");
	cr_expect(delay >= 110 && delay <= 120, "run_at moved by %ld s, want ~120", delay);
	cr_expect_eq(attempts(id), 1);
}

Test(worker, bad_payload_fails_for_good)
{
	json_object *pl = json_object_new_object();
	int64_t id;

	json_object_object_add(pl, "url", json_object_new_string("ftp://127.0.0.1/x"));
	json_object_object_add(pl, "body", json_object_new_string("x"));
	cr_assert_eq(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = "http_post",
	    .payload = pl }, &id), HUB_DB_OK);
	json_object_put(pl);
	worker_once();
	expect_status(id, "failed");
	cr_expect_eq(receiver_ncalls(), 0);
}

Test(worker, sigterm_during_stalled_call_keeps_the_job)
{
	struct hub_job job;
	struct timespec t0;
	pid_t pid;
	int64_t id;
	int i, rc;

	receiver_script("[{\"stall_ms\":20000}]");
	id = enqueue("/stall", "s");
	pid = worker_spawn(0);
	for (i = 0; i < 500 && receiver_ncalls() == 0; i++)
		sleep_ms(20);
	cr_assert_eq(receiver_ncalls(), 1, "the worker never called");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGTERM);
	rc = worker_wait(pid, 10000);
	cr_expect_eq(rc, 0, "worker exit %d", rc);
	/* 2 s of grace for the transfer, then it is given up. */
	cr_expect_lt(elapsed_ms(&t0), 5000, "shutdown took too long");

	/* Released, not lost: claimable now, and no attempt was counted. */
	memset(&job, 0, sizeof(job));
	cr_assert_eq(hub_job_claim_in(db, "test", 30, NULL, &job), HUB_DB_OK, "job not claimable");
	cr_expect_eq(job.id, id);
	cr_expect_eq(job.attempts, 0);
	hub_job_clear(&job);
}

static int
count_in_file(const char *path, const char *needle)
{
	char buf[65536], *p;
	size_t n;
	int count = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		count++;
	return count;
}

/*
 * Start the worker on a database that does not exist yet: it keeps trying,
 * logs the outage once, and runs the job as soon as the database is there.
 */
/* The processes whose parent is pid (from /proc), up to max of them. */
static int
children_of(pid_t pid, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[64], buf[512], *p;
	int n = 0;
	FILE *f;

	cr_assert(d != NULL);
	while ((e = readdir(d)) != NULL && n < max) {
		char *end;
		long id, ppid;

		errno = 0;
		id = strtol(e->d_name, &end, 10);
		if (errno != 0 || end == e->d_name || *end != '\0' || id <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", id);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* pid (comm) state ppid ...: comm may hold spaces */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0' ||
		    p[3] != ' ')
			continue;
		ppid = strtol(p + 4, &end, 10);
		if (end == p + 4 || ppid != pid)
			continue;
		out[n++] = (pid_t)id;
	}
	closedir(d);
	return n;
}

/* voluntary_ctxt_switches of pid: how often it went to sleep. */
static long
sleeps_of(pid_t pid)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0) {
			v = strtol(line + 24, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Start the worker with its lanes; once every lane has started, its
 * children into kids (*n of them). */
static pid_t
worker_spawn_lanes(pid_t *kids, int max, int *n)
{
	pid_t pid = worker_spawn(0);
	int i;

	for (i = 0; i < 250 && (*n = children_of(pid, kids, max)) < 2; i++)
		sleep_ms(20);
	cr_assert_geq(*n, 2, "the worker started no lanes");
	sleep_ms(1000);	/* every lane started (they start at once) */
	*n = children_of(pid, kids, max);
	return pid;
}

/*
 * The lanes' parent sleeps until a child ends or a signal comes: a lane
 * process that dies is started again after its pause, the parent does
 * not wake in between (it used to look five times a second), and
 * SIGTERM stops the whole pool at once.
 */
Test(worker, lane_parent_sleeps_until_a_child_ends)
{
	pid_t pid, kids[64], again[64], gone;
	struct timespec t0;
	long before, after;
	int n, m = 0, i, j, fresh = 0, rc;

	pid = worker_spawn_lanes(kids, 64, &n);

	before = sleeps_of(pid);
	sleep_ms(2000);
	after = sleeps_of(pid);
	cr_expect_leq(after - before, 2, "the idle parent woke %ld times in 2 s", after - before);

	gone = kids[0];
	cr_assert_eq(kill(gone, SIGKILL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 250; i++) {
		m = children_of(pid, again, 64);
		for (j = 0, fresh = 0; j < m; j++)
			fresh |= again[j] == gone;
		if (m == n && !fresh)
			break;
		sleep_ms(20);
	}
	cr_expect_eq(m, n, "%d lane processes after one died, %d before", m, n);
	cr_expect(!fresh, "the killed process is still a child");
	cr_expect_geq(elapsed_ms(&t0), 900, "started again before its pause");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(pid, SIGTERM);
	rc = worker_wait(pid, 10000);
	cr_expect_eq(rc, 0, "worker exit %d", rc);
	cr_expect_lt(elapsed_ms(&t0), 3000, "SIGTERM took %ld ms", elapsed_ms(&t0));
}

/* A callback job queued now (the callbacks lane's) is delivered within
 * 3 s. */
static void
callback_delivered(void)
{
	int64_t id = enqueue("/callback", "callback-secret");
	int i;

	for (i = 0; i < 150 && attempts(id) == 0; i++)
		sleep_ms(20);
	expect_status(id, "done");
}

/* Until the n lane processes stand (a waiter row each). */
static void
lanes_stand(int n)
{
	PGresult *r;
	int i, rows = 0;

	for (i = 0; i < 100 && rows < n; i++) {
		sleep_ms(50);
		r = PQexec(hub_db_conn(db), "SELECT count(*) FROM job_waiters");
		cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
		rows = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	cr_assert_eq(rows, n, "every lane process stands: %d of %d", rows, n);
}

/*
 * An idle worker wakes one process per lane: the lane's first one (its
 * watcher) stands for the idle wait (5 s, its waiter row a second
 * longer), the others, with nothing of their lane queued, for 30 s.  A
 * job still reaches a sleeper: its commit names a waiter of its lane.
 */
Test(worker, an_idle_lane_wakes_one_process)
{
	PGresult *r;
	pid_t pid, kids[64];
	int i, n = 0, watchers = 0, sleepers = 0;
	long secs;
	const char *w;

	pid = worker_spawn_lanes(kids, 64, &n);
	lanes_stand(n);
	r = PQexec(hub_db_conn(db), "SELECT worker, extract(epoch FROM until - now())::integer"
	    " FROM job_waiters ORDER BY worker");
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
	for (i = 0; i < PQntuples(r); i++) {
		w = PQgetvalue(r, i, 0);
		secs = strtol(PQgetvalue(r, i, 1), NULL, 10);
		if (strlen(w) > 2 && strcmp(w + strlen(w) - 2, ".0") == 0) {
			watchers++;
			cr_expect(secs <= 6, "%s: the idle wait at most (%ld s)", w, secs);
		} else {
			sleepers++;
			cr_expect(secs >= 25 && secs <= 31, "%s: asleep for 30 s (%ld s)", w, secs);
		}
	}
	PQclear(r);
	cr_expect_geq(watchers, 2, "a watcher per lane");
	cr_expect_geq(sleepers, 1, "a lane with more than one process");

	/* A callback, the callbacks lane's: delivered at once. */
	callback_delivered();
	kill(pid, SIGTERM);
	cr_expect_eq(worker_wait(pid, 10000), 0);
}

/* Once the n lane processes stand, the pids of their backends into
 * lanes (*nl), and of the parent's (the relay). */
static pid_t
lane_backends(int n, pid_t *lanes, int max, int *nl)
{
	PGresult *r;
	pid_t relay = 0;
	int i;

	lanes_stand(n);
	r = PQexec(hub_db_conn(db), "SELECT pid, application_name FROM pg_stat_activity"
	    " WHERE application_name LIKE 'approvalhub-worker%' AND datname = current_database()");
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
	*nl = 0;
	for (i = 0; i < PQntuples(r); i++) {
		if (strcmp(PQgetvalue(r, i, 1), "approvalhub-worker relay") == 0) {
			cr_expect_eq(relay, 0, "one relay connection");
			relay = (pid_t)strtol(PQgetvalue(r, i, 0), NULL, 10);
		} else if (*nl < max)
			lanes[(*nl)++] = (pid_t)strtol(PQgetvalue(r, i, 0), NULL, 10);
	}
	PQclear(r);
	cr_assert_neq(relay, 0, "the lanes' parent has its own connection");
	cr_assert_geq(*nl, n, "a connection per lane process");
	return relay;
}

/*
 * PostgreSQL wakes every listening backend at each commit that notifies,
 * whatever the channel, and each passes the notification on to its
 * client.  Only the lanes' parent listens (jobrelay.h), and it passes a
 * notification only to the children it concerns.  Forty notifications
 * for another host's worker wake the parent's backend, and neither the
 * lane processes nor their backends (each heard all forty before); a job
 * still reaches its lane at once.
 */
Test(worker, only_the_lanes_parent_hears_notifications)
{
	PGresult *r;
	pid_t pid, kids[64], lanes[64], relay;
	long kb[64], lb[64], rb, d;
	int i, n = 0, nl = 0;

	pid = worker_spawn_lanes(kids, 64, &n);
	relay = lane_backends(n, lanes, 64, &nl);
	for (i = 0; i < n; i++)
		kb[i] = sleeps_of(kids[i]);
	for (i = 0; i < nl; i++)
		lb[i] = sleeps_of(lanes[i]);
	rb = sleeps_of(relay);
	for (i = 0; i < 40; i++) {
		r = PQexec(hub_db_conn(db),
		    "NOTIFY hub_jobs, 'callback@callbacks elsewhere/1/callbacks.0'");
		cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK);
		PQclear(r);
		sleep_ms(5);
	}
	sleep_ms(300);
	d = sleeps_of(relay) - rb;
	cr_expect_geq(d, 20, "the relay's backend woke %ld times for 40 notifications", d);
	for (i = 0; i < n; i++) {
		d = sleeps_of(kids[i]) - kb[i];
		cr_expect_lt(d, 10, "lane process %d woke %ld times", (int)kids[i], d);
	}
	for (i = 0; i < nl; i++) {
		d = sleeps_of(lanes[i]) - lb[i];
		cr_expect_lt(d, 10, "a lane process's backend (%d) woke %ld times",
		    (int)lanes[i], d);
	}

	callback_delivered();
	kill(pid, SIGTERM);
	cr_expect_eq(worker_wait(pid, 10000), 0);
}

/*
 * The parent's connection lost: it connects again and listens at once,
 * and wakes every child to look (what was notified meanwhile is lost).
 * A job queued after that is run at once, not at the next idle look of
 * its lane's watcher (5 s) or of a sleeper (30 s).
 */
Test(worker, the_relay_connects_again)
{
	PGresult *r;
	pid_t pid, kids[64], lanes[64], relay, again = 0;
	struct timespec t0;
	char sql[128];
	int i, n = 0, nl = 0;

	pid = worker_spawn_lanes(kids, 64, &n);
	relay = lane_backends(n, lanes, 64, &nl);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", (int)relay);
	r = PQexec(hub_db_conn(db), sql);
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	for (i = 0; i < 100 && (again == 0 || again == relay); i++) {
		sleep_ms(50);
		r = PQexec(hub_db_conn(db), "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
		    " WHERE application_name = 'approvalhub-worker relay'"
		    " AND datname = current_database()");
		cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
		again = (pid_t)strtol(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	cr_assert(again != 0 && again != relay, "the parent connected again");
	sleep_ms(200);	/* it listens, and the children looked */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	callback_delivered();
	cr_expect_lt(elapsed_ms(&t0), 2000, "the job ran %ld ms after its commit",
	    elapsed_ms(&t0));
	kill(pid, SIGTERM);
	cr_expect_eq(worker_wait(pid, 10000), 0);
}

/*
 * A job queued for later runs when it falls due, even while its lane's
 * timekeeper is in the middle of a longer wait: the job's commit names
 * that timekeeper alone (0032), which then waits just past the due time.
 * The Home lane has one process; the job (a Home publish without a
 * payload) fails at once, which records the moment it ran.
 */
Test(worker, a_job_for_later_runs_on_time)
{
	PGresult *r;
	pid_t pid, kids[64];
	struct timespec t0;
	int i, n = 0;
	long left = 0, ran;
	int64_t id;

	pid = worker_spawn_lanes(kids, 64, &n);
	/* The Home lane's process has just begun a wait of 5 s. */
	for (i = 0; i < 200 && left < 4500; i++) {
		sleep_ms(25);
		r = PQexec(hub_db_conn(db), "SELECT coalesce(max(extract(epoch FROM until - now())"
		    " * 1000 - 1000), 0)::bigint FROM job_waiters WHERE lane = 'home'");
		cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
		left = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	cr_assert_geq(left, 4500, "the Home lane's process stands for its idle wait");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = PQexec(hub_db_conn(db), "INSERT INTO jobs (kind, payload, run_at)"
	    " VALUES ('home_publish', '{}', now() + interval '2 seconds') RETURNING id");
	cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	for (i = 0; i < 300 && attempts(id) == 0; i++)
		sleep_ms(20);
	ran = elapsed_ms(&t0);
	cr_assert_eq(attempts(id), 1, "the job ran once");
	cr_expect(ran >= 1800 && ran <= 3200, "ran %ld ms after its commit, due at 2000", ran);
	kill(pid, SIGTERM);
	cr_expect_eq(worker_wait(pid, 10000), 0);
}

Test(worker, waits_for_the_database_and_recovers)
{
	char sql[200], log[160], later[96];
	struct hub_db *db2;
	json_object *body;
	char url[128];
	pid_t pid;
	int i;

	snprintf(later, sizeof(later), "%s_later", dbname);
	snprintf(log, sizeof(log), "%s/worker.log", rcv.dir);
	th_db_url(later, dburl, sizeof(dburl));
	pid = worker_spawn_ex(0, dburl, log);
	sleep_ms(1500);
	cr_expect_eq(waitpid(pid, NULL, WNOHANG), 0, "the worker gave up");

	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", later);
	admin_exec(sql);
	cr_assert_eq(hub_db_connect_limits(dburl, NULL, &db2), HUB_DB_OK);
	cr_assert_eq(hub_migrate_run(db2, NULL), HUB_MIGRATE_OK);
	th_allow_loopback_callbacks(db2);
	body = json_object_new_object();
	snprintf(url, sizeof(url), "%s/late", rcv.url);
	th_callback_queue(db2, url, body, NULL);
	json_object_put(body);
	for (i = 0; i < 750 && receiver_ncalls() == 0; i++)
		sleep_ms(20);
	cr_expect_eq(receiver_ncalls(), 1, "the job did not run after the database came");
	/* Every process of every lane gets back in its own time (each backs
	 * off on its own): wait until each streak it logged has ended. */
	for (i = 0; i < 750 && count_in_file(log, "event=db_unavailable") !=
	    count_in_file(log, "event=db_recovered"); i++)
		sleep_ms(20);
	kill(pid, SIGTERM);
	cr_expect_eq(worker_wait(pid, 10000), 0);
	hub_db_close(db2);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", later);
	PQclear(PQexec(admin, sql));

	/* Once per failure streak in each of the worker's processes (one per
	 * lane place): every streak logged once when it began, once when it
	 * ended. */
	cr_expect_geq(count_in_file(log, "event=db_unavailable"), 1);
	cr_expect_eq(count_in_file(log, "event=db_unavailable"),
	    count_in_file(log, "event=db_recovered"));
	unlink(log);
}
