/*
 * test_dblimits.c - a row lock held elsewhere never pins a FastCGI child:
 * through nginx, a cancel that needs a request row this test holds
 * FOR UPDATE answers 503 with the JSON error within about the lock
 * timeout (5 s by default for the programs), the rest of the site stays
 * fast meanwhile, and once the lock is gone the same call works.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include "testlib.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
must(PGconn *c, const char *q, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, q, n, NULL, params, NULL, NULL, 0);

	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	    "%s: %s", q, PQerrorMessage(c));
	PQclear(r);
}

/* One request of a fresh source: its key and id. */
static void
request(char key[128], char id[40])
{
	char name[64];
	struct th_resp r;
	json_object *o, *v;

	snprintf(name, sizeof(name), "locks-%d-%ld", (int)getpid(), (long)time(NULL));
	th_source_key(name, key, 128);
	th_api("POST", "/api/new-approval", key, NULL, "{\"requester_name\":\"Ana Lopez\","
	    "\"approver_id\":\"U0LOCK\",\"justification_text\":\"x\",\"metadata\":{}}", &r);
	o = th_expect(&r, 201, NULL);
	cr_assert(json_object_object_get_ex(o, "id", &v));
	snprintf(id, 40, "%s", json_object_get_string(v));
	json_object_put(o);
	th_resp_free(&r);
}

Test(dblimits, held_row_lock_is_a_quick_503_not_a_pinned_child, .timeout = 90)
{
	char key[128], id[40], path[128], line[4200];
	const char *p[1];
	struct th_resp r;
	struct pollfd pfd;
	json_object *o, *v;
	double t0, took, waited;
	long status;
	int fds[2], ws;
	ssize_t n;
	pid_t pid;
	PGconn *c;

	request(key, id);
	snprintf(path, sizeof(path), "/api/requests/%s/cancel", id);
	c = PQconnectdb(th_env("DATABASE_URL"));
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	p[0] = id;
	must(c, "BEGIN", 0, NULL);
	must(c, "SELECT id FROM requests WHERE id = $1::uuid FOR UPDATE", 1, p);

	cr_assert_eq(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		t0 = now_s();
		th_api("POST", path, key, NULL, "{}", &r);
		n = snprintf(line, sizeof(line), "%ld %.3f %s", r.status, now_s() - t0,
		    r.body ? r.body : "");
		if (write(fds[1], line, (size_t)n) != n)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);

	/* Meanwhile the site answers at once. */
	usleep(300 * 1000);
	t0 = now_s();
	th_http("GET", "/", NULL, NULL, 0, &r);
	took = now_s() - t0;
	cr_expect(r.status > 0 && r.status < 500, "GET / %ld", r.status);
	cr_expect_lt(took, 2.0, "GET / took %.1f s while a row was locked", took);
	th_resp_free(&r);
	t0 = now_s();
	th_api("GET", "/health", NULL, NULL, NULL, &r);
	took = now_s() - t0;
	cr_expect_eq(r.status, 200);
	cr_expect_lt(took, 2.0, "GET /health took %.1f s while a row was locked", took);
	th_resp_free(&r);

	/* The cancel gives up within the lock timeout (5 s) -- the lock is
	 * held for 15 s here, so a child that waits for it is seen. */
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	waited = now_s();
	n = poll(&pfd, 1, 15000) == 1 ? read(fds[0], line, sizeof(line) - 1) : -1;
	waited = now_s() - waited;
	must(c, "ROLLBACK", 0, NULL);
	PQfinish(c);
	waitpid(pid, &ws, 0);
	close(fds[0]);
	cr_assert_gt(n, 0, "cancel still waiting after %.1f s of a held lock", waited);
	line[n] = '\0';
	{
		char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

		cr_assert(sp2 != NULL, "child said: %s", line);
		*sp1 = '\0';
		*sp2 = '\0';
		status = strtol(line, NULL, 10);
		took = strtod(sp1 + 1, NULL);
		cr_assert_eq(status, 503, "cancel under a held lock: %ld %s", status, sp2 + 1);
		cr_expect_lt(took, 9.0, "503 after %.1f s", took);
		o = json_tokener_parse(sp2 + 1);
		cr_assert_not_null(o, "not JSON: %s", sp2 + 1);
		cr_expect(json_object_object_get_ex(o, "error", &v) &&
		    json_object_is_type(v, json_type_string), "no error: %s", sp2 + 1);
		json_object_put(o);
	}

	/* The lock is gone: the same child-free call goes through. */
	th_api("POST", path, key, NULL, "{}", &r);
	json_object_put(th_expect(&r, 200, NULL));
	th_resp_free(&r);
}
