/*
 * `make run` as a new admin uses it (contrib/stack.sh run, started the way
 * the Makefile's run target starts it, with its state in a directory of
 * this test's own):
 *
 *   - it comes up on the port asked for, prints an admin login that signs in and a
 *     working demo key, writes var/env so that `. var/env` gives bin/approvalhub
 *     what the programs got (doctor passes against the fakes), and
 *     SIGTERM stops every process it started;
 *   - the README's first curl example works verbatim with the printed key;
 *   - a process that dies is restarted and the hub keeps serving;
 *   - the quick start end to end: only SLACK_BOT_TOKEN,
 *     SLACK_SIGNING_SECRET and SLACK_API_URL (the fake) set, a request
 *     reaches the approver in Slack and the Approve click comes back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/form.h"
#include "testlib.h"

#define MAX_PIDS 32

struct run {
	char	dir[512];
	char	log[600];
	int	port;
	pid_t	runner;
	char	key[256];
	char	login[256];
};

static struct run cur;

/* Stop what a failed test left running: the runner's traps stop the stack;
 * whatever survives (each process leads its own session) is killed. */
static void
cleanup(void)
{
	int i;

	if (cur.runner > 0) {
		kill(cur.runner, SIGTERM);
		for (i = 0; i < 300 && kill(cur.runner, 0) == 0; i++)
			usleep(100 * 1000);
		kill(-cur.runner, SIGKILL);
		th_sh("[ -f '%s/pids' ] && while read -r n p; do kill -KILL -- -$p; done "
		    "<'%s/pids' 2>/dev/null", cur.dir, cur.dir);
		cur.runner = 0;
	}
	if (cur.dir[0] != '\0' && getenv("HUB_KEEP_STATE") == NULL)
		th_sh("rm -rf '%s' '%s.conf'", cur.dir, cur.dir);
	cur.dir[0] = '\0';
}

TestSuite(makerun, .fini = cleanup, .timeout = 180);

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Does file hold needle? */
static int
file_has(const char *file, const char *needle)
{
	char line[4096];
	FILE *f = fopen(file, "r");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* http://127.0.0.1:PORT + path */
static const char *
at(const char *path)
{
	static char url[2][512];
	static int k;

	k ^= 1;
	snprintf(url[k], sizeof(url[k]), "http://127.0.0.1:%d%s", cur.port, path);
	return url[k];
}

/*
 * Start `stack.sh run` as `make run` does (PORT, HUB_RUN_DIR and the rest
 * of the environment given by env_prefix, an `env ...` command), in a
 * session of its own as a terminal would; wait for /health and the banner.
 */
static void
start(const char *name, const char *env_prefix)
{
	struct th_resp r;
	int i, up = 0;

	snprintf(cur.dir, sizeof(cur.dir), "%s/t/tmp/makerun.%d.%s", th_env("top_builddir"),
	    (int)getpid(), name);
	cr_assert_eq(th_sh("rm -rf '%s' && mkdir -p '%s'", cur.dir, cur.dir), 0);
	snprintf(cur.log, sizeof(cur.log), "%s/out.log", cur.dir);
	cur.port = th_free_port();
	cr_assert_eq(th_sh("cd '%s' && %s PORT=%d HUB_RUN_DIR='%s' setsid bash contrib/stack.sh run "
	    ">'%s' 2>&1 </dev/null & echo $! >'%s/pid'", th_env("top_srcdir"), env_prefix,
	    cur.port, cur.dir, cur.log, cur.dir), 0);
	cr_assert_gt(cur.runner = th_run_pid(cur.dir), 0);
	for (i = 0; i < 600 && !up; i++) {
		if (th_http("GET", at("/health"), NULL, NULL, 0, &r) == 0 && r.status == 200)
			up = 1;
		th_resp_free(&r);
		if (!up)
			usleep(100 * 1000);
	}
	cr_assert(up, "make run did not answer /health on port %d (see %s)", cur.port, cur.log);
	for (i = 0; i < 50 && !th_banner_value(cur.log, "Demo source key:", cur.key, sizeof(cur.key));
	    i++)
		usleep(100 * 1000);
	cr_assert(th_banner_value(cur.log, "Demo source key:", cur.key, sizeof(cur.key)),
	    "no key line");
	cr_assert(th_banner_value(cur.log, "Admin login:", cur.login, sizeof(cur.login)),
	    "no login line");
}

/* The pid $HUB_RUN_DIR/pids records for name now; 0 when none. */
static pid_t
pid_of(const char *name)
{
	char path[600], line[256], n[64];
	FILE *f;
	pid_t pid = 0;
	char *sp;

	snprintf(path, sizeof(path), "%s/pids", cur.dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		snprintf(n, sizeof(n), "%.*s", (int)(sp - line), line);
		if (strcmp(n, name) == 0)
			pid = (pid_t)strtol(sp + 1, NULL, 10);
	}
	fclose(f);
	return pid;
}

/* Every pid of $HUB_RUN_DIR/pids. */
static size_t
all_pids(pid_t *out, size_t max)
{
	static const char *const names[] = { "events", "interactions", "api", "dashboard",
	    "worker", "nginx" };
	size_t i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < max; i++)
		if ((out[n] = pid_of(names[i])) > 0)
			n++;
	return n;
}

/* Is pid running (a zombie waiting for init to reap it is not)? */
static int
alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int live = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL)
		live = p[1] == ' ' && p[2] != 'Z';
	fclose(f);
	return live;
}

/* Is any process of session sid running? */
static int
session_alive(pid_t sid)
{
	return th_sh("ps -o stat= -s %d | grep -qv '^Z'", (int)sid) == 0;
}

/* SIGTERM (what Ctrl-C's SIGINT also does) stops everything it started:
 * every recorded process, its children, the database cluster. */
static void
stop_and_expect_nothing_left(void)
{
	pid_t pids[MAX_PIDS];
	size_t n = all_pids(pids, MAX_PIDS), i;
	struct th_resp r;
	int k;

	cr_assert_eq(n, 6, "not every process is recorded in %s/pids", cur.dir);
	kill(cur.runner, SIGTERM);
	for (k = 0; k < 300 && kill(cur.runner, 0) == 0; k++)
		usleep(100 * 1000);
	cr_assert_lt(k, 300, "make run did not exit after SIGTERM");
	cur.runner = 0;
	usleep(500 * 1000);
	for (i = 0; i < n; i++) {
		cr_expect(!alive(pids[i]), "process %d is left", (int)pids[i]);
		cr_expect(!session_alive(pids[i]), "processes of session %d are left",
		    (int)pids[i]);
	}
	/* "[.]" keeps pgrep's own shell, whose command line names the
	 * pattern, from matching it. */
	cr_expect_neq(th_sh("pgrep -f '%s[/]' >/dev/null", cur.dir), 0,
	    "processes of the stack are left");
	cr_expect_neq(th_http("GET", at("/health"), NULL, NULL, 0, &r), 0,
	    "something still answers");
	th_resp_free(&r);
}

/* A unique suffix for ids in the fake. */
static const char *
sfx(void)
{
	static char s[32];

	snprintf(s, sizeof(s), "%X%lX", (unsigned)getpid(), (unsigned long)time(NULL) & 0xFFFFF);
	return s;
}

/* A workspace in the fake: a bot token for team and one approver user. */
static void
fake_workspace(const char *token, const char *team, const char *user)
{
	char body[1024];
	json_object *o;

	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\","
	    "\"team_name\":\"Quick %s\",\"bot_user_id\":\"UB%s\"}]", token, team, team, team);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body));
	json_object_put(o);
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"email\":\"%s@example.com\","
	    "\"name\":\"dana\",\"real_name\":\"Dana Chen\"}]", user, user);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));
	json_object_put(o);
}

/* POST /api/new-approval with the demo key: 201, the new id into id. */
static void
create_request(const char *approver, char *id, size_t idlen)
{
	char body[1024], auth[300];
	const char *hdrs[] = { auth, "Content-Type: application/json", NULL };
	struct th_resp r;
	json_object *o, *v;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cur.key);
	snprintf(body, sizeof(body), "{\"request_source\":\"demo\",\"requester_name\":\"Ana Lopez\","
	    "\"approver_id\":\"%s\",\"justification_text\":\"Team offsite\","
	    "\"title\":\"Offsite venue\",\"metadata\":{\"amount\":1250,\"currency\":\"EUR\"}}",
	    approver);
	cr_assert_eq(th_http("POST", at("/api/new-approval"), hdrs, body, strlen(body), &r), 0);
	cr_assert_eq(r.status, 201, "create: %ld %s", r.status, r.body);
	cr_assert_not_null(o = th_json(&r));
	cr_assert(json_object_object_get_ex(o, "id", &v));
	snprintf(id, idlen, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

/* The request's status through GET /api/requests/{id} with the demo key. */
static void
request_status(const char *id, char *out, size_t outlen)
{
	char auth[300], path[160];
	const char *hdrs[] = { auth, NULL };
	struct th_resp r;
	json_object *o, *v;

	out[0] = '\0';
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cur.key);
	snprintf(path, sizeof(path), "/api/requests/%s", id);
	cr_assert_eq(th_http("GET", at(path), hdrs, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "get: %ld %s", r.status, r.body);
	if ((o = th_json(&r)) != NULL && json_object_object_get_ex(o, "status", &v))
		snprintf(out, outlen, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

/* The message the fake holds with the request's buttons (block
 * "hub_actions:<id>"), waiting up to ms; NULL when none came. */
static json_object *
await_message(const char *id, long ms)
{
	char bid[128];
	json_object *all, *m, *blocks, *b, *v, *found = NULL;
	size_t i, j;
	long waited;

	snprintf(bid, sizeof(bid), "hub_actions:%s", id);
	for (waited = 0; waited <= ms && found == NULL; waited += 200) {
		all = th_fake("FAKE_SLACK_URL", "GET", "/_fake/messages", NULL);
		for (i = 0; all != NULL && found == NULL && i < json_object_array_length(all); i++) {
			m = json_object_array_get_idx(all, i);
			if (!json_object_object_get_ex(m, "blocks", &blocks))
				continue;
			for (j = 0; j < json_object_array_length(blocks); j++) {
				b = json_object_array_get_idx(blocks, j);
				if (json_object_object_get_ex(b, "block_id", &v) &&
				    strcmp(json_object_get_string(v), bid) == 0) {
					found = json_object_get(m);
					break;
				}
			}
		}
		json_object_put(all);
		if (found == NULL)
			sleep_ms(200);
	}
	return found;
}

/* In message m, the button action_id of block "hub_actions:<id>": its
 * block id and value. */
static int
find_button(json_object *m, const char *id, const char *action_id, const char **block_id,
    const char **value)
{
	char bid[128];
	json_object *blocks, *b, *els, *e, *v;
	size_t i, j;

	snprintf(bid, sizeof(bid), "hub_actions:%s", id);
	if (!json_object_object_get_ex(m, "blocks", &blocks))
		return 0;
	for (i = 0; i < json_object_array_length(blocks); i++) {
		b = json_object_array_get_idx(blocks, i);
		if (!json_object_object_get_ex(b, "block_id", &v) ||
		    strcmp(json_object_get_string(v), bid) != 0 ||
		    !json_object_object_get_ex(b, "elements", &els))
			continue;
		for (j = 0; j < json_object_array_length(els); j++) {
			e = json_object_array_get_idx(els, j);
			if (json_object_object_get_ex(e, "action_id", &v) &&
			    strcmp(json_object_get_string(v), action_id) == 0 &&
			    json_object_object_get_ex(e, "value", &v)) {
				*block_id = json_object_get_string(json_object_object_get(b,
				    "block_id"));
				*value = json_object_get_string(v);
				return 1;
			}
		}
	}
	return 0;
}

/* Has the fake's message (channel, ts) been updated (chat.update) into a
 * copy without an Approve button, within ms? */
static int
await_decided_copy(const char *channel, const char *ts, long ms)
{
	char path[160];
	json_object *all, *e, *v, *blocks;
	size_t k;
	long waited;
	int done = 0;

	snprintf(path, sizeof(path), "/_fake/messages?channel=%s", channel);
	for (waited = 0; waited <= ms && !done; waited += 200) {
		all = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
		for (k = 0; all != NULL && k < json_object_array_length(all); k++) {
			e = json_object_array_get_idx(all, k);
			if (json_object_object_get_ex(e, "ts", &v) &&
			    strcmp(json_object_get_string(v), ts) == 0 &&
			    json_object_object_get_ex(e, "edited", NULL) &&
			    (!json_object_object_get_ex(e, "blocks", &blocks) ||
			    strstr(json_object_to_json_string(blocks), "hub_approve") == NULL))
				done = 1;
		}
		json_object_put(all);
		if (!done)
			sleep_ms(200);
	}
	return done;
}

/* ------------------------------------------------------------ tests */

/* Every setting README's "Configuration" lists, and what make run got. */
static const char *const conf_vars =
    "DATABASE_URL SECRET_KEY PUBLIC_URL PORT APPROVALHUB_CONF LOG_LEVEL "
    "SLACK_SIGNING_SECRET SLACK_BOT_TOKEN SLACK_CLIENT_ID SLACK_CLIENT_SECRET SLACK_API_URL "
    "SMTP_URL SMTP_FROM INFERENCE_URL INFERENCE_KEY INFERENCE_MODEL_ID "
    "EMBEDDING_URL EMBEDDING_KEY EMBEDDING_MODEL_ID DB_LOCK_TIMEOUT_MS";

/* Compares, for every name given, the value `. var/env` sets in an empty
 * environment with the one in a process's environment; every name must be
 * set in both. */
static const char *const compare_py =
    "import os, sys\n"
    "pid, names = sys.argv[1], sys.argv[2].split()\n"
    "with open('/proc/%s/environ' % pid, 'rb') as f:\n"
    "    prog = dict(e.split(b'=', 1) for e in f.read().split(b'\\0') if b'=' in e)\n"
    "bad = 0\n"
    "for n in names:\n"
    "    mine, theirs = os.environb.get(n.encode()), prog.get(n.encode())\n"
    "    if theirs is None or mine != theirs:\n"
    "        print('%s: var/env %r, the worker %r' % (n, mine, theirs))\n"
    "        bad = 1\n"
    "sys.exit(bad)\n";

/*
 * The printed login signs in through nginx: POST /login with the printed
 * email and password answers 303 with a session cookie, and that cookie
 * opens the landing page as the admin.
 */
Test(makerun, serves_signs_in_with_the_printed_login_key_works_env_matches_and_stops_cleanly)
{
	char auth[300], env[4096], tok[96], conf[600], py[600], out[4096];
	const char *hdrs[2];
	struct th_resp r;
	FILE *f;
	int i;

	/* Every configuration variable set, one with quotes and $ in it,
	 * Slack and SMTP pointing at the fakes. */
	snprintf(tok, sizeof(tok), "xoxb-makerun-%s", sfx());
	fake_workspace(tok, "TMKR", "UMKR1");
	snprintf(conf, sizeof(conf), "%s/t/tmp/makerun.%d.serve.conf", th_env("top_builddir"),
	    (int)getpid());
	cr_assert_not_null(f = fopen(conf, "w"));
	fputs("# read by make run's programs\nWORKER_SWEEP_SECONDS=15\n", f);
	fclose(f);
	snprintf(env, sizeof(env), "env -u DATABASE_URL -u SECRET_KEY -u PUBLIC_URL "
	    "SLACK_BOT_TOKEN='%s' APPROVALHUB_CONF='%s' LOG_LEVEL=info "
	    "INFERENCE_URL=http://127.0.0.1:9/ INFERENCE_KEY=inf-key "
	    "INFERENCE_MODEL_ID=\"it's a \\$model \\`x\\`\" "
	    "EMBEDDING_URL=http://127.0.0.1:9/ EMBEDDING_KEY=emb-key EMBEDDING_MODEL_ID=emb "
	    "DB_LOCK_TIMEOUT_MS=7000",
	    tok, conf);
	start("serve", env);

	/* The login it printed signs in, and the key it printed works. */
	{
		char email[256], ck[256], base[128], hdr[320], loc[512];
		const char *pw = strstr(cur.login, " / ");
		const char *h[2] = { hdr, NULL };

		cr_assert_not_null(pw, "login '%s'", cur.login);
		snprintf(email, sizeof(email), "%.*s", (int)(pw - cur.login), cur.login);
		snprintf(base, sizeof(base), "%s", at(""));
		cr_assert_eq(th_login_at(base, email, pw + 3, NULL, ck, sizeof(ck), &r), 303,
		    "printed login '%s' refused: %ld %s", cur.login, r.status, r.body);
		cr_assert_not_null(th_header(&r, "Location", loc, sizeof(loc)));
		cr_assert(strlen(loc) > 0 && loc[strlen(loc) - 1] == '/', "%s", loc);
		th_resp_free(&r);
		snprintf(hdr, sizeof(hdr), "Cookie: hub_session=%s", ck);
		/* Signed in, the landing page leads to the dashboard. */
		cr_assert_eq(th_http("GET", at("/"), h, NULL, 0, &r), 0);
		cr_assert_eq(r.status, 303, "%ld", r.status);
		th_resp_free(&r);
		cr_assert_eq(th_http("GET", at("/requests"), h, NULL, 0, &r), 0);
		cr_assert_eq(r.status, 200, "%ld", r.status);
		cr_assert_not_null(strstr(r.body, "<span class=\"role\">admin</span>"),
		    "the dashboard shows nobody: %s", r.body);
		th_resp_free(&r);
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cur.key);
	hdrs[0] = auth;
	hdrs[1] = NULL;
	cr_assert_eq(th_http("GET", at("/api/requests"), hdrs, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "demo key refused: %ld %s", r.status, r.body);
	th_resp_free(&r);

	/* Started as root, the programs and the worker (every process of
	 * their sessions: the prefork children too) run as the unprivileged
	 * user make run made for them, never as root. */
	if (geteuid() == 0) {
		static const char *const progs[] = { "worker", "api", "dashboard", "events",
		    "interactions" };
		size_t k;

		for (k = 0; k < sizeof(progs) / sizeof(progs[0]); k++)
			cr_assert_eq(th_sh("u=$(ps -o user= -s %d | sort -u); "
			    "[ \"$u\" = approvalhub ] || { echo \"%s runs as: $u\" >&2; exit 1; }",
			    (int)pid_of(progs[k]), progs[k]), 0, "%s does not run as approvalhub",
			    progs[k]);
	}

	/* `. var/env` in an empty environment gives exactly what the
	 * programs got... */
	cr_assert_eq(th_sh("test \"$(stat -c %%a '%s/env')\" = 600", cur.dir), 0,
	    "var/env is readable by others");
	snprintf(py, sizeof(py), "%s/compare.py", cur.dir);
	cr_assert_not_null(f = fopen(py, "w"));
	fputs(compare_py, f);
	fclose(f);
	cr_assert_eq(th_sh("env -i PATH=\"$PATH\" sh -c '. \"$1/env\" && exec python3 \"$1/compare.py\" "
	    "\"$2\" \"$3\"' sh '%s' %d '%s' >'%s/compare.out' 2>&1", cur.dir, (int)pid_of("worker"),
	    conf_vars, cur.dir), 0, "var/env differs from the programs' environment: see %s/compare.out",
	    cur.dir);
	/* ...so doctor passes against the fakes, with nothing to warn about
	 * once the worker has made SLACK_BOT_TOKEN the default connection. */
	snprintf(out, sizeof(out), "%s/log/worker.log", cur.dir);
	for (i = 0; i < 100 && !file_has(out, "event=env_connection_ready"); i++)
		sleep_ms(100);
	cr_assert(file_has(out, "event=env_connection_ready"), "see %s", out);
	cr_assert_eq(th_sh("env -i PATH=\"$PATH\" sh -c '. \"$1/env\" && exec \"$2/bin/approvalhub\" "
	    "doctor' sh '%s' '%s' >'%s/doctor.out' 2>&1", cur.dir, th_env("top_builddir"), cur.dir),
	    0, "doctor failed: see %s/doctor.out", cur.dir);
	snprintf(out, sizeof(out), "%s/doctor.out", cur.dir);
	cr_expect(file_has(out, "doctor: all checks passed"), "see %s", out);
	cr_expect(!file_has(out, "warn"), "doctor warns: see %s", out);
	cr_expect(file_has(out, th_env("SLACK_API_URL")), "doctor did not ask the fake: see %s", out);

	stop_and_expect_nothing_left();
}

/* README's "REST API" section: its first code block, run as it is written
 * with the printed key as $KEY and the port make run was given. */
Test(makerun, readme_first_curl_example_works_verbatim)
{
	char path[600], *readme = NULL, *sec, *beg, *end, *doc, *p;
	char script[600], outf[600], port8080[64], portn[64];
	struct hub_buf block = HUB_BUF_INIT(65536), out = HUB_BUF_INIT(65536);
	json_object *got, *want, *v;
	size_t len = 0;
	FILE *f;
	long status;

	snprintf(path, sizeof(path), "%s/README.md", th_env("top_srcdir"));
	cr_assert_not_null(f = fopen(path, "r"));
	cr_assert_eq(getdelim(&readme, &len, '\0', f) > 0, 1);
	fclose(f);
	cr_assert_not_null(sec = strstr(readme, "\n## REST API\n"), "no REST API section");
	cr_assert_not_null(beg = strstr(sec, "\n```sh\n"), "no sh block in REST API");
	beg += strlen("\n```sh\n");
	cr_assert_not_null(end = strstr(beg, "\n```\n"));
	*end = '\0';
	cr_assert(strstr(beg, "curl ") != NULL && strstr(beg, "$KEY") != NULL, "%s", beg);
	/* The port is the only change (the key goes in through $KEY). */
	start("readme", "env -u DATABASE_URL -u SECRET_KEY -u PUBLIC_URL");
	snprintf(port8080, sizeof(port8080), "127.0.0.1:8080");
	snprintf(portn, sizeof(portn), "127.0.0.1:%d", cur.port);
	cr_assert_not_null(strstr(beg, port8080), "the example names no 127.0.0.1:8080");
	for (p = beg; (doc = strstr(p, port8080)) != NULL; p = doc + strlen(port8080)) {
		hub_buf_add(&block, p, (size_t)(doc - p));
		hub_buf_adds(&block, portn);
	}
	hub_buf_adds(&block, p);
	hub_buf_addc(&block, '\n');

	/* curl is wrapped only to print the HTTP status after the answer. */
	snprintf(script, sizeof(script), "%s/readme.sh", cur.dir);
	cr_assert_not_null(f = fopen(script, "w"));
	fputs("curl() { command curl -w '\\nHTTP_STATUS %{http_code}\\n' \"$@\"; }\n", f);
	fputs(hub_buf_str(&block), f);
	fclose(f);
	snprintf(outf, sizeof(outf), "%s/readme.out", cur.dir);
	cr_assert_eq(th_sh("KEY='%s' bash '%s' >'%s' 2>&1", cur.key, script, outf), 0,
	    "the example failed: see %s", outf);
	cr_assert_not_null(f = fopen(outf, "r"));
	{
		char line[4096];

		while (fgets(line, sizeof(line), f) != NULL)
			hub_buf_adds(&out, line);
	}
	fclose(f);
	cr_assert_not_null(p = strstr(hub_buf_str(&out), "\nHTTP_STATUS "), "%s",
	    hub_buf_str(&out));
	*p = '\0';
	status = strtol(p + strlen("\nHTTP_STATUS "), NULL, 10);

	/* The answer the README documents: "# 201 {...}" under the command. */
	cr_assert_not_null(doc = strstr(beg, "\n# "), "no documented answer");
	doc += 3;
	cr_assert_eq(status, strtol(doc, &doc, 10), "status %ld, answer %s", status,
	    hub_buf_str(&out));
	cr_assert_eq(status, 201);
	cr_assert_not_null(want = json_tokener_parse(doc), "documented answer: %s", doc);
	cr_assert_not_null(got = json_tokener_parse(hub_buf_str(&out)), "answer: %s",
	    hub_buf_str(&out));
	json_object_object_foreach(want, k, wv) {
		cr_assert(json_object_object_get_ex(got, k, &v), "answer lacks %s: %s", k,
		    hub_buf_str(&out));
		cr_expect_eq(json_object_get_type(v), json_object_get_type(wv), "%s", k);
		if (strcmp(k, "id") != 0)
			cr_expect_str_eq(json_object_get_string(v), json_object_get_string(wv),
			    "%s", k);
	}
	/* Nothing else, but the "warnings" README documents as optional
	 * (here: no Slack connection, plain `make run`). */
	json_object_object_foreach(got, gk, gv) {
		(void)gv;
		cr_expect(json_object_object_get_ex(want, gk, NULL) || strcmp(gk, "warnings") == 0,
		    "undocumented %s in %s", gk, hub_buf_str(&out));
	}
	cr_assert(json_object_object_get_ex(got, "id", &v));
	cr_expect_gt(json_object_get_string_len(v), 30, "id %s", json_object_get_string(v));

	json_object_put(got);
	json_object_put(want);
	hub_buf_release(&block);
	hub_buf_release(&out);
	free(readme);
	stop_and_expect_nothing_left();
}

/* Wait until name has a live pid other than old; returns it (0: none). */
static pid_t
await_restart(const char *name, pid_t old, int *health_fails)
{
	struct th_resp r;
	pid_t now = 0;
	int i;

	for (i = 0; i < 100; i++) {
		/* /health (cgi-bin/api) is never down meanwhile. */
		if (th_http("GET", at("/health"), NULL, NULL, 0, &r) != 0 || r.status != 200)
			(*health_fails)++;
		th_resp_free(&r);
		now = pid_of(name);
		if (now > 0 && now != old && alive(now))
			return now;
		sleep_ms(100);
	}
	return 0;
}

Test(makerun, restarts_a_process_that_dies_and_keeps_serving)
{
	char env[1024], tok[96], user[40], team[40], id[64], line[128];
	pid_t worker, dashboard, w2, d2;
	json_object *m;
	struct th_resp r;
	int health_fails = 0, i, ok = 0;

	snprintf(tok, sizeof(tok), "xoxb-restart-%s", sfx());
	snprintf(team, sizeof(team), "TR%s", sfx());
	snprintf(user, sizeof(user), "UR%s", sfx());
	fake_workspace(tok, team, user);
	snprintf(env, sizeof(env), "env -u DATABASE_URL -u SECRET_KEY -u PUBLIC_URL "
	    "SLACK_BOT_TOKEN='%s'", tok);
	start("restart", env);
	cr_assert_gt(worker = pid_of("worker"), 0);
	cr_assert_gt(dashboard = pid_of("dashboard"), 0);

	cr_assert_eq(kill(worker, SIGKILL), 0);
	cr_assert_eq(kill(dashboard, SIGKILL), 0);
	w2 = await_restart("worker", worker, &health_fails);
	d2 = await_restart("dashboard", dashboard, &health_fails);
	cr_assert_gt(w2, 0, "the worker was not restarted (see %s)", cur.log);
	cr_assert_gt(d2, 0, "cgi-bin/dashboard was not restarted (see %s)", cur.log);
	cr_expect_eq(health_fails, 0, "/health failed %d times meanwhile", health_fails);
	snprintf(line, sizeof(line), "stack: worker exited (status %d); restarting in 1s",
	    128 + SIGKILL);
	cr_expect(file_has(cur.log, line), "no '%s' in %s", line, cur.log);
	snprintf(line, sizeof(line), "stack: dashboard exited (status %d); restarting in 1s",
	    128 + SIGKILL);
	cr_expect(file_has(cur.log, line), "no '%s' in %s", line, cur.log);
	/* The killed master's children went with it. */
	cr_expect(!session_alive(dashboard), "children of the killed dashboard are left");

	/* The restarted dashboard serves through nginx. */
	for (i = 0; i < 50 && !ok; i++) {
		ok = th_http("GET", at("/"), NULL, NULL, 0, &r) == 0 && r.status == 200;
		th_resp_free(&r);
		if (!ok)
			sleep_ms(100);
	}
	cr_expect(ok, "the dashboard does not answer after its restart");

	/* A request made after the kill still reaches its approver. */
	create_request(user, id, sizeof(id));
	m = await_message(id, 20000);
	cr_expect_not_null(m, "the request was not delivered after the restart (see %s/log)",
	    cur.dir);
	json_object_put(m);

	stop_and_expect_nothing_left();
}

/* Lines of file holding needle. */
static int
count_lines(const char *file, const char *needle)
{
	char line[4096];
	FILE *f = fopen(file, "r");
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* Slack does not answer when make run starts: the worker keeps trying the
 * token, and a request made meanwhile is delivered once Slack answers
 * (not dropped for want of a connection). */
Test(makerun, slack_unreachable_at_start_delivers_once_it_answers)
{
	char env[1024], tok[96], user[40], team[40], id[64], wlog[600];
	json_object *m;

	snprintf(tok, sizeof(tok), "xoxb-late-%s", sfx());
	snprintf(team, sizeof(team), "TL%s", sfx());
	snprintf(user, sizeof(user), "UL%s", sfx());
	fake_workspace(tok, team, user);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/fail",
	    "{\"method\":\"auth.test\",\"error\":\"service_unavailable\","
	    "\"http_status\":503,\"count\":4}"));
	snprintf(env, sizeof(env), "env -u DATABASE_URL -u SECRET_KEY -u PUBLIC_URL "
	    "SLACK_BOT_TOKEN='%s' WORKER_BACKOFF_BASE_MS=300", tok);
	start("late", env);
	snprintf(wlog, sizeof(wlog), "%s/log/worker.log", cur.dir);
	/* Tries at 0, 1, 3 and 7 s fail, the one at 15 s succeeds. */
	cr_assert_eq(count_lines(wlog, "event=env_connection_ready"), 0,
	    "Slack answered before the request was made: see %s", wlog);
	create_request(user, id, sizeof(id));
	m = await_message(id, 45000);
	cr_expect_not_null(m, "the request made while Slack did not answer was not delivered "
	    "(see %s)", wlog);
	json_object_put(m);
	cr_expect_eq(count_lines(wlog, "event=env_connection_failed"), 4, "see %s", wlog);
	cr_expect_eq(count_lines(wlog, "event=env_connection_ready"), 1, "see %s", wlog);
	cr_expect_eq(count_lines(wlog, "no connection"), 0, "see %s", wlog);
	stop_and_expect_nothing_left();
}

/*
 * The definition of done: README's quick start, literally, with
 * only SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL (the fake)
 * set: a request reaches the approver as a DM with buttons, and the
 * approver's signed Approve click decides it.
 */
Test(makerun, quick_start_delivers_to_slack_and_takes_the_decision_back)
{
	char env[4096], tok[96], user[40], team[40], id[64], status[32], rurl[512], ts[40];
	const char *bid = NULL, *value = NULL, *ch, *mts, *js;
	struct hub_buf form = HUB_BUF_INIT(1u << 20);
	json_object *m, *o, *p, *a, *acts, *tx, *v;
	struct th_resp r;
	int i;

	snprintf(tok, sizeof(tok), "xoxb-quick-%s", sfx());
	snprintf(team, sizeof(team), "TQ%s", sfx());
	snprintf(user, sizeof(user), "UQ%s", sfx());
	fake_workspace(tok, team, user);
	/* What the Makefile's run target passes, and the three settings. */
	snprintf(env, sizeof(env), "env -i PATH=\"$PATH\" top_srcdir='%s' top_builddir='%s' "
	    "PG_BINDIR=\"${PG_BINDIR:-}\" HUB_NGINX=\"${HUB_NGINX:-}\" "
	    "SLACK_BOT_TOKEN='%s' SLACK_SIGNING_SECRET='%s' SLACK_API_URL='%s'",
	    th_env("top_srcdir"), th_env("top_builddir"), tok, th_env("SLACK_SIGNING_SECRET"),
	    th_env("SLACK_API_URL"));
	start("quick", env);

	create_request(user, id, sizeof(id));
	m = await_message(id, 20000);
	cr_assert_not_null(m, "no Slack message for the request (see %s/log)", cur.dir);
	cr_assert(find_button(m, id, "hub_approve", &bid, &value), "no Approve button: %s",
	    json_object_to_json_string(m));
	cr_assert(json_object_object_get_ex(m, "channel", &v));
	ch = json_object_get_string(v);
	cr_expect_eq(ch[0], 'D', "not a direct message: %s", ch);
	cr_assert(json_object_object_get_ex(m, "ts", &v));
	mts = json_object_get_string(v);

	/* The click as Slack sends it for that button of that message. */
	snprintf(rurl, sizeof(rurl), "{\"channel\":\"%s\",\"message_ts\":\"%s\",\"user\":\"%s\"}",
	    ch, mts, user);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/response_url", rurl));
	cr_assert(json_object_object_get_ex(o, "path", &v));
	snprintf(rurl, sizeof(rurl), "%s%s", th_env("FAKE_SLACK_URL"), json_object_get_string(v));
	json_object_put(o);
	snprintf(ts, sizeof(ts), "%ld.000200", (long)time(NULL));
	p = json_object_new_object();
	json_object_object_add(p, "type", json_object_new_string("block_actions"));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(user));
	json_object_object_add(o, "username", json_object_new_string("dana"));
	json_object_object_add(o, "name", json_object_new_string("dana"));
	json_object_object_add(o, "team_id", json_object_new_string(team));
	json_object_object_add(p, "user", o);
	json_object_object_add(p, "api_app_id", json_object_new_string("A1"));
	json_object_object_add(p, "token", json_object_new_string("legacy-verification"));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(team));
	json_object_object_add(o, "domain", json_object_new_string("quick"));
	json_object_object_add(p, "team", o);
	json_object_object_add(p, "trigger_id", json_object_new_string("1.2.3"));
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("message"));
	json_object_object_add(o, "message_ts", json_object_new_string(mts));
	json_object_object_add(o, "channel_id", json_object_new_string(ch));
	json_object_object_add(o, "is_ephemeral", json_object_new_boolean(0));
	json_object_object_add(p, "container", o);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(ch));
	json_object_object_add(o, "name", json_object_new_string("directmessage"));
	json_object_object_add(p, "channel", o);
	json_object_object_add(p, "message", json_object_get(m));
	json_object_object_add(p, "response_url", json_object_new_string(rurl));
	a = json_object_new_object();
	json_object_object_add(a, "action_id", json_object_new_string("hub_approve"));
	json_object_object_add(a, "block_id", json_object_new_string(bid));
	json_object_object_add(a, "type", json_object_new_string("button"));
	json_object_object_add(a, "value", json_object_new_string(value));
	tx = json_object_new_object();
	json_object_object_add(tx, "type", json_object_new_string("plain_text"));
	json_object_object_add(tx, "text", json_object_new_string("Approve"));
	json_object_object_add(a, "text", tx);
	json_object_object_add(a, "action_ts", json_object_new_string(ts));
	acts = json_object_new_array();
	json_object_array_add(acts, a);
	json_object_object_add(p, "actions", acts);
	js = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
	cr_assert_eq(hub_buf_adds(&form, "payload="), HUB_BUF_OK);
	cr_assert_eq(hub_url_encode(js, strlen(js), &form), HUB_BUF_OK);
	/* Signed with SLACK_SIGNING_SECRET, the value make run was given. */
	cr_assert_eq(th_slack_post(at("/slack/interactions"), "application/x-www-form-urlencoded",
	    hub_buf_str(&form), form.len, (long)time(NULL), &r), 0);
	cr_assert_eq(r.status, 200, "click: %ld %s", r.status, r.body);
	th_resp_free(&r);

	for (i = 0; i < 100; i++) {
		request_status(id, status, sizeof(status));
		if (strcmp(status, "Pending") != 0)
			break;
		sleep_ms(100);
	}
	cr_expect_str_eq(status, "Approved", "see %s/log", cur.dir);
	/* ...and the approver's message shows it: updated, its buttons gone. */
	cr_expect(await_decided_copy(ch, mts, 20000),
	    "the approver's message was not updated without its buttons");

	json_object_put(p);
	json_object_put(m);
	hub_buf_release(&form);
	stop_and_expect_nothing_left();
}
