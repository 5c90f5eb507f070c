/*
 * apiauth.c - Bearer API keys.  See apiauth.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/common.h"
#include "approval/admin.h"
#include "approval/apiauth.h"
#include "base/log.h"

enum stmt {
	STMT_LOOKUP,
	STMT_TOUCH,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_LOOKUP] = {
		"SELECT k.id, k.is_admin, coalesce(s.id::text, ''), coalesce(s.name, '')"
		" FROM api_keys k LEFT JOIN sources s ON s.id = k.source_id"
		" WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
		" AND (k.is_admin OR NOT s.disabled)", 1 },
	/* The key STMT_LOOKUP accepts, by the same hash (so both go in one
	 * round trip); writes only when the last write is over a minute
	 * old. */
	[STMT_TOUCH] = {
		"UPDATE api_keys k SET last_used_at = now()"
		" WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
		" AND (k.is_admin OR EXISTS (SELECT 1 FROM sources s"
		"  WHERE s.id = k.source_id AND NOT s.disabled))"
		" AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')", 1 },
};

static const struct hub_stmt_table auth_stmts = { "apiauth", stmts, STMT__MAX };


/* "Bearer <token68>": scheme case-insensitive, one or more spaces. */
static const char *
bearer_key(const char *h)
{
	size_t i, n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && h[n - 1] == ' ')
		n--;
	if (n == 0 || n > HUB_APIAUTH_KEY_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (h[i] <= ' ' || h[i] > '~')
			return NULL;
	if (h[n] != '\0')
		return NULL;	/* trailing spaces: refuse rather than copy */
	return h;
}

int
hub_apiauth_check(struct hub_db *db, const char *authorization, struct hub_principal *p)
{
	struct hub_db_call calls[2];
	PGresult *res = NULL;
	char hash[HUB_APIKEY_HASH_LEN];
	const char *key, *params[1];
	int rc;

	memset(p, 0, sizeof(*p));
	if ((key = bearer_key(authorization)) == NULL)
		return HUB_APIAUTH_MISSING;
	if (db == NULL)
		return HUB_APIAUTH_UNAVAILABLE;
	hub_apikey_hash(key, hash);
	params[0] = hash;
	/* The lookup and the use's bookkeeping in one round trip, each on
	 * its own: a failed touch must not refuse a valid key. */
	calls[0] = (struct hub_db_call){ &auth_stmts, STMT_LOOKUP, params, 1, NULL, 0 };
	calls[1] = (struct hub_db_call){ &auth_stmts, STMT_TOUCH, params, 0, NULL, 0 };
	(void)hub_db_exec_each(db, calls, HUB_NELEM(calls));
	res = calls[0].res;
	if (calls[1].err != HUB_DB_OK && calls[0].err == HUB_DB_OK)
		hub_log(HUB_LOG_WARN, "apikey_touch_failed", NULL);
	if (calls[0].err != HUB_DB_OK) {
		rc = HUB_APIAUTH_UNAVAILABLE;
		goto out;
	}
	if (PQntuples(res) != 1) {
		rc = HUB_APIAUTH_INVALID;
		goto out;
	}
	p->is_admin = PQgetvalue(res, 0, 1)[0] == 't';
	snprintf(p->key_id, sizeof(p->key_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(p->source_id, sizeof(p->source_id), "%s", PQgetvalue(res, 0, 2));
	snprintf(p->source_name, sizeof(p->source_name), "%s", PQgetvalue(res, 0, 3));
	rc = HUB_APIAUTH_OK;
out:
	if (res != NULL)
		PQclear(res);
	return rc;
}
