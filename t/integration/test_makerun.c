/*
 * `make run` as a new admin uses it: the stack comes up on the port asked
 * for, prints a working admin login and demo key, serves /health, and
 * SIGTERM stops every process it started.  (contrib/stack.sh run, with its
 * state in a directory of this test's own.)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "testlib.h"

static char dir[512];
static pid_t runner;

static void
cleanup(void)
{
	if (runner > 0) {
		kill(-runner, SIGKILL);
	}
	if (dir[0] != '\0')
		th_sh("rm -rf '%s'", dir);
}

TestSuite(makerun, .fini = cleanup, .timeout = 120);

static pid_t
read_pid(const char *d)
{
	char path[600], buf[32] = "";
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/pid", d);
	for (i = 0; i < 50 && (f = fopen(path, "r")) == NULL; i++)
		usleep(20 * 1000);
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return (pid_t)strtol(buf, NULL, 10);
}

static int
free_port(void)
{
	char out[32] = "";
	FILE *p = popen("python3 -c 'import socket; s=socket.socket(); "
	    "s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])'", "r");

	cr_assert_not_null(p);
	cr_assert_not_null(fgets(out, sizeof(out), p));
	pclose(p);
	return (int)strtol(out, NULL, 10);
}

/* Value after "label" on its line of the banner, into out. */
static int
banner_value(const char *log, const char *label, char *out, size_t outlen)
{
	FILE *f = fopen(log, "r");
	char line[1024], *p;
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, label)) == NULL)
			continue;
		p += strlen(label);
		while (*p == ' ')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		snprintf(out, outlen, "%s", p);
		found = 1;
	}
	fclose(f);
	return found;
}

Test(makerun, serves_prints_a_working_login_and_stops_cleanly)
{
	char log[600], url[128], login[256], key[256], auth[300];
	const char *hdrs[2];
	struct th_resp r;
	int port = free_port(), i, up = 0;

	snprintf(dir, sizeof(dir), "%s/t/tmp/makerun.%d", th_env("top_builddir"), (int)getpid());
	cr_assert_eq(th_sh("mkdir -p '%s'", dir), 0);
	snprintf(log, sizeof(log), "%s/out.log", dir);
	/* Started by a shell in a session of its own, as a terminal would. */
	cr_assert_eq(th_sh("cd '%s' && env -u DATABASE_URL -u SECRET_KEY -u PUBLIC_URL "
	    "PORT=%d HUB_RUN_DIR='%s' setsid bash contrib/stack.sh run >'%s' 2>&1 "
	    "</dev/null & echo $! >'%s/pid'", th_env("top_srcdir"), port, dir, log, dir), 0);
	cr_assert_gt(runner = read_pid(dir), 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port);
	for (i = 0; i < 600 && !up; i++) {
		if (th_http("GET", url, NULL, NULL, 0, &r) == 0 && r.status == 200)
			up = 1;
		th_resp_free(&r);
		if (!up)
			usleep(100 * 1000);
	}
	cr_assert(up, "make run did not answer /health on port %d (see %s)", port, log);
	for (i = 0; i < 50 && !banner_value(log, "Demo source key:", key, sizeof(key)); i++)
		usleep(100 * 1000);

	/* The login it printed is complete, and the key it printed works. */
	cr_assert(banner_value(log, "Admin login:", login, sizeof(login)), "no login line");
	cr_assert(strstr(login, "@") != NULL && strstr(login, " / ") != NULL, "login '%s'", login);
	cr_assert_gt(strlen(strstr(login, " / ") + 3), 8, "empty or short password: '%s'", login);
	cr_assert(banner_value(log, "Demo source key:", key, sizeof(key)), "no key line");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	hdrs[0] = auth;
	hdrs[1] = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/requests", port);
	cr_assert_eq(th_http("GET", url, hdrs, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200, "demo key refused: %ld %s", r.status, r.body);
	th_resp_free(&r);
	cr_assert_eq(th_sh("grep -q DATABASE_URL '%s/env' && grep -q SECRET_KEY '%s/env'", dir, dir), 0,
	    "var/env lacks the settings");

	/* SIGTERM (what Ctrl-C's SIGINT also does) stops everything it started. */
	kill(-runner, SIGTERM);
	for (i = 0; i < 300 && kill(runner, 0) == 0; i++)
		usleep(100 * 1000);
	cr_assert_lt(i, 300, "make run did not exit after SIGTERM");
	runner = 0;
	usleep(500 * 1000);
	/* "[m]" keeps pgrep's own shell, whose command line names the
	 * pattern, from matching it. */
	cr_assert_neq(th_sh("pgrep -f 't/tmp/[m]akerun.%d/' >/dev/null", (int)getpid()), 0,
	    "processes of the stack are left");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port);
	cr_assert_neq(th_http("GET", url, NULL, NULL, 0, &r), 0, "something still answers");
	th_resp_free(&r);
}
