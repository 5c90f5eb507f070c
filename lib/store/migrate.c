/*
 * migrate.c - apply the embedded db/migrations/NNNN_name.sql in order.
 *
 * Every migration runs in its own transaction that first takes a
 * transaction-scoped advisory lock, then (re)checks schema_migrations: a
 * second process starting at the same time waits on the lock and then finds
 * the migration recorded, so nothing is applied twice.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "base/common.h"
#include "store/db.h"
#include "base/embed.h"
#include "base/log.h"
#include "store/migrate.h"

/* "HUBM" - the advisory lock every migrating process takes. */
#define MIGRATE_LOCK_KEY	"1213547085"

enum mig_stmt {
	MIG_LOCK,
	MIG_CREATE,
	MIG_MAX_VERSION,
	MIG_HAS_VERSION,
	MIG_RECORD,
	MIG_TABLE_EXISTS,
	MIG_VERSIONS,
	MIG__MAX
};

static const struct hub_stmt mig_stmts[MIG__MAX] = {
	[MIG_LOCK] = { "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0 },
	[MIG_CREATE] = {
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY CHECK (version > 0),"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0 },
	[MIG_MAX_VERSION] = {
	    "SELECT coalesce(max(version), 0) FROM schema_migrations", 0 },
	[MIG_HAS_VERSION] = {
	    "SELECT 1 FROM schema_migrations WHERE version = $1::integer", 1 },
	[MIG_RECORD] = {
	    "INSERT INTO schema_migrations (version, name) "
	    "VALUES ($1::integer, $2)", 2 },
	[MIG_TABLE_EXISTS] = {
	    "SELECT to_regclass('schema_migrations') IS NOT NULL", 0 },
	[MIG_VERSIONS] = {
	    "SELECT version FROM schema_migrations ORDER BY version", 0 },
};

static const struct hub_stmt_table mig_table = { "hubmig", mig_stmts, MIG__MAX };

const char *
hub_migrate_strerror(int err)
{
	switch (err) {
	case HUB_MIGRATE_OK:		return "ok";
	case HUB_MIGRATE_DB:		return "database error";
	case HUB_MIGRATE_TOO_NEW:	return "database schema is newer than this binary";
	case HUB_MIGRATE_BADNAME:	return "embedded migration name is not NNNN_name.sql";
	case HUB_MIGRATE_PENDING:	return "migrations pending";
	default:			return "unknown migration error";
	}
}

/* NNNN_name.sql with name in [a-z0-9_]+; returns the version or -1. */
HUB_STATIC int
migrate_parse_name(const char *name)
{
	size_t i, len;
	int v = 0;

	if (name == NULL)
		return -1;
	len = strlen(name);
	if (len < 4 + 1 + 1 + 4 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (name[4] != '_' || v == 0)
		return -1;
	for (i = 5; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return -1;
	return v;
}

/* Validate the table: names well formed, versions strictly increasing.
 * *newest gets the last version. */
HUB_STATIC int
migrate_validate(const struct hub_embed *m, int *newest)
{
	int prev = 0, v;

	for (; m->name != NULL; m++) {
		if ((v = migrate_parse_name(m->name)) < 0 || v <= prev) {
			hub_log(HUB_LOG_ERROR, "migrate_bad_name",
			    "name", m->name, NULL);
			return HUB_MIGRATE_BADNAME;
		}
		prev = v;
	}
	*newest = prev;
	return HUB_MIGRATE_OK;
}

static int
get_int(PGresult *r, int *out)
{
	return hub_db_get_int(r, 0, 0, out) == HUB_DB_OK ? 0 : -1;
}

/* Apply one migration in its own transaction.  *did is set when it ran. */
static int
migrate_one(struct hub_db *db, const struct hub_embed *m, int version,
    int newest, int *did)
{
	PGresult *r = NULL;
	char vbuf[16], *sql = NULL;
	const char *params[2];
	int have, dbmax, rc = HUB_MIGRATE_DB;

	*did = 0;
	snprintf(vbuf, sizeof(vbuf), "%d", version);
	if (hub_db_begin(db) != HUB_DB_OK)
		return HUB_MIGRATE_DB;
	if (hub_db_exec(db, &mig_table, MIG_LOCK, NULL, NULL) != HUB_DB_OK ||
	    hub_db_exec(db, &mig_table, MIG_CREATE, NULL, NULL) != HUB_DB_OK ||
	    hub_db_exec(db, &mig_table, MIG_MAX_VERSION, NULL, &r) != HUB_DB_OK)
		goto out;
	if (get_int(r, &dbmax) != 0)
		goto out;
	PQclear(r);
	r = NULL;
	if (dbmax > newest) {
		rc = HUB_MIGRATE_TOO_NEW;
		goto out;
	}
	params[0] = vbuf;
	if (hub_db_exec(db, &mig_table, MIG_HAS_VERSION, params, &r) != HUB_DB_OK)
		goto out;
	have = PQntuples(r) > 0;
	PQclear(r);
	r = NULL;
	if (have) {
		rc = HUB_MIGRATE_OK;
		goto out;
	}
	/* Embedded contents are not NUL-terminated. */
	if ((sql = malloc(m->len + 1)) == NULL)
		goto out;
	memcpy(sql, m->data, m->len);
	sql[m->len] = '\0';
	if (hub_db_exec_script(db, sql) != HUB_DB_OK) {
		hub_log(HUB_LOG_ERROR, "migrate_failed", "name", m->name,
		    "sqlstate", hub_db_last_sqlstate(db),
		    "error", hub_db_last_error(db), NULL);
		goto out;
	}
	params[1] = m->name;
	if (hub_db_exec(db, &mig_table, MIG_RECORD, params, NULL) != HUB_DB_OK)
		goto out;
	if (hub_db_commit(db) != HUB_DB_OK) {
		free(sql);
		return HUB_MIGRATE_DB;
	}
	free(sql);
	hub_log(HUB_LOG_INFO, "migrate_applied", "name", m->name, NULL);
	*did = 1;
	return HUB_MIGRATE_OK;
out:
	PQclear(r);
	free(sql);
	hub_db_rollback(db);
	return rc;
}

int
hub_migrate_run(struct hub_db *db, int *applied)
{
	const struct hub_embed *m;
	int newest, rc, did, n = 0;

	if (applied != NULL)
		*applied = 0;
	if ((rc = migrate_validate(hub_embed_migrations, &newest)) != HUB_MIGRATE_OK)
		return rc;
	for (m = hub_embed_migrations; m->name != NULL; m++) {
		rc = migrate_one(db, m, migrate_parse_name(m->name), newest, &did);
		if (rc == HUB_MIGRATE_TOO_NEW) {
			hub_log(HUB_LOG_ERROR, "migrate_too_new",
			    "error", hub_migrate_strerror(rc), NULL);
			break;
		}
		if (rc != HUB_MIGRATE_OK)
			break;
		n += did;
	}
	if (applied != NULL)
		*applied = n;
	return rc;
}

int
hub_migrate_check(struct hub_db *db, int *db_version, int *binary_version)
{
	const struct hub_embed *m;
	PGresult *r = NULL;
	int64_t v;
	int newest, rc, exists, i, n, dbmax = 0, pending = 0;

	if (db_version != NULL)
		*db_version = 0;
	if ((rc = migrate_validate(hub_embed_migrations, &newest)) != HUB_MIGRATE_OK)
		return rc;
	if (binary_version != NULL)
		*binary_version = newest;
	if (hub_db_exec(db, &mig_table, MIG_TABLE_EXISTS, NULL, &r) != HUB_DB_OK)
		return HUB_MIGRATE_DB;
	exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	r = NULL;
	if (!exists)
		return hub_embed_migrations[0].name != NULL ?
		    HUB_MIGRATE_PENDING : HUB_MIGRATE_OK;
	if (hub_db_exec(db, &mig_table, MIG_VERSIONS, NULL, &r) != HUB_DB_OK)
		return HUB_MIGRATE_DB;
	n = PQntuples(r);
	/* Every embedded version must be present in the (sorted) list. */
	for (m = hub_embed_migrations; m->name != NULL; m++) {
		int want = migrate_parse_name(m->name), found = 0;

		for (i = 0; i < n; i++) {
			if (hub_db_get_int64(r, i, 0, &v) != HUB_DB_OK)
				continue;
			if (v == want) {
				found = 1;
				break;
			}
		}
		if (!found)
			pending = 1;
	}
	if (n > 0) {
		if (hub_db_get_int64(r, n - 1, 0, &v) == HUB_DB_OK && v > 0 &&
		    v <= INT_MAX)
			dbmax = (int)v;
	}
	PQclear(r);
	if (db_version != NULL)
		*db_version = dbmax;
	if (dbmax > newest)
		return HUB_MIGRATE_TOO_NEW;
	return pending ? HUB_MIGRATE_PENDING : HUB_MIGRATE_OK;
}
