/*
 * The API while PostgreSQL is down: JSON 503s for keyed routes (the keys
 * live in the database), /metrics still answers with hub_database_up 0,
 * and the same children serve 200 again once it is back.  Its own binary:
 * stopping the database must not race other tests.  The fini restarts
 * PostgreSQL whatever happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testlib.h"

static void
source_key(const char *name, char *key, size_t keylen)
{
	char cmd[512], line[512], *p;
	FILE *f;

	key[0] = '\0';
	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" source add '%s'",
	    th_env("top_builddir"), name);
	cr_assert_not_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, "api key: ")) != NULL) {
			p += 9;
			p[strcspn(p, "\r\n")] = '\0';
			snprintf(key, keylen, "%s", p);
		}
	}
	cr_assert_eq(pclose(f), 0);
	cr_assert(key[0] != '\0');
}

static void
call(const char *method, const char *path, const char *key, const char *body, long status)
{
	char auth[300];
	const char *h[] = { auth, "Content-Type: application/json", NULL };
	struct th_resp r;
	json_object *o, *e;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	cr_assert_eq(th_http(method, path, h, body, body ? strlen(body) : 0, &r), 0);
	cr_assert_eq(r.status, status, "%s %s: %ld %s", method, path, r.status, r.body);
	if (status >= 400) {
		cr_assert_not_null(o = th_json(&r), "not JSON: %s", r.body);
		cr_assert(json_object_object_get_ex(o, "error", &e));
		json_object_put(o);
	}
	th_resp_free(&r);
}

static void
pg_restart(void)
{
	th_sh("bash \"$top_srcdir/t/integration/pgctl.sh\" start >/dev/null 2>&1");
}

Test(outage, database_down_is_503_json, .fini = pg_restart)
{
	static const char body[] = "{\"requester_name\":\"A\",\"approver_id\":\"U1ABC\","
	    "\"justification_text\":\"x\",\"metadata\":{}}";
	char key[128];
	struct th_resp r;
	int i;

	source_key("outage", key, sizeof(key));
	call("POST", "/api/new-approval", key, body, 201);
	cr_assert_eq(th_sh("bash \"$top_srcdir/t/integration/pgctl.sh\" stop"), 0);
	/* two children per program: enough requests to reach both */
	for (i = 0; i < 4; i++) {
		call("GET", "/api/requests", key, NULL, 503);
		call("POST", "/api/new-approval", key, body, 503);
		call("GET", "/api/requests/00000000-0000-0000-0000-000000000000", key, NULL, 503);
	}
	cr_assert_eq(th_http("GET", "/metrics", NULL, NULL, 0, &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "hub_database_up 0") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "status=\"503\"") != NULL, "%s", r.body);
	th_resp_free(&r);
	cr_assert_eq(th_sh("bash \"$top_srcdir/t/integration/pgctl.sh\" start"), 0);
	for (i = 0; i < 4; i++)
		call("GET", "/api/requests", key, NULL, 200);
}
