/*
 * migrate.h - schema migrations compiled into the binary (db/migrations/
 * NNNN_name.sql, see embed.h).  Each runs in its own transaction and is
 * recorded in schema_migrations(version, name, applied_at).  Migrations run
 * under a transaction-scoped advisory lock so two processes starting at
 * once do not both apply them.
 */
#ifndef HUB_MIGRATE_H
#define HUB_MIGRATE_H

#include "store/db.h"

enum hub_migrate_err {
	HUB_MIGRATE_OK = 0,
	HUB_MIGRATE_DB,        /* database error (see hub_db_last_error) */
	HUB_MIGRATE_TOO_NEW,   /* the database has a migration this binary does not know */
	HUB_MIGRATE_BADNAME,   /* an embedded file is not NNNN_name.sql */
	HUB_MIGRATE_PENDING,   /* hub_migrate_check: migrations not applied yet */
};

/* Apply what is missing; *applied counts them (may be NULL). */
int	hub_migrate_run(struct hub_db *, int *applied);
/* Check without changing anything: OK when current, PENDING or TOO_NEW. */
int	hub_migrate_check(struct hub_db *, int *db_version, int *binary_version);
const char *hub_migrate_strerror(int);

#ifdef HUB_UNITTEST
/* HUB_STATIC in migrate.c: reachable from the tests through t/libhub_ut.a. */
struct hub_embed;
int	 migrate_parse_name(const char *);
int	 migrate_validate(const struct hub_embed *, int *);
#endif

#endif
