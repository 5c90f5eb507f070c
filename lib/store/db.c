/*
 * db.c - the process's one PostgreSQL connection: lazily prepared statements,
 * reconnect after the server went away, SQLSTATE classification and
 * transaction tracking.  Parameters are never logged (they may be secrets).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "base/common.h"
#include "base/conf.h"
#include "store/db.h"
#include "base/log.h"

/* A prepared statement's name: "<table tag>_<index>". */
#define DB_STMT_NAME_SIZE	96

/* Which statements of one table are prepared on the current connection. */
struct hub_db_prep {
	const struct hub_stmt_table	*table;
	unsigned char			*done;	/* table->n flags */
};

struct hub_db {
	PGconn			*conn;
	struct hub_db_prep	*preps;
	size_t			 npreps;
	int			 in_tx;
	int			 begin_pending;	/* BEGIN not sent yet (hub_db_begin) */
	int			 tx_lost;	/* connection died inside the transaction */
	int			 tx_err;	/* first error inside the transaction */
	/* Sent by hub_db_exec_later, answers not read yet (pipeline mode,
	 * no Sync): the transaction's BEGIN first when it went with them,
	 * then each statement, its prepare before it when prepping. */
	int			 q_begin;
	size_t			 nq;
	struct db_queued {
		const struct hub_stmt_table	*t;
		int				 id;
		int				 prepping;
	}			 q[HUB_DB_LATER_MAX];
	char			 sqlstate[6];
	char			 errmsg[512];
};

/* Statements the module itself needs (transaction control, ping). */
enum db_stmt {
	DB_BEGIN,
	DB_COMMIT,
	DB_ROLLBACK,
	DB_PING,
	DB__MAX
};

static const struct hub_stmt db_stmts[DB__MAX] = {
	[DB_BEGIN]    = { "BEGIN", 0 },
	[DB_COMMIT]   = { "COMMIT", 0 },
	[DB_ROLLBACK] = { "ROLLBACK", 0 },
	[DB_PING]     = { "SELECT 1", 0 },
};

static const struct hub_stmt_table db_table = { "hubdb", db_stmts, DB__MAX };

const char *
hub_db_strerror(int err)
{
	switch (err) {
	case HUB_DB_OK:		return "ok";
	case HUB_DB_CONN:	return "database unavailable";
	case HUB_DB_UNIQUE:	return "unique violation";
	case HUB_DB_FKEY:	return "foreign key violation";
	case HUB_DB_CHECK:	return "constraint or data violation";
	case HUB_DB_SERIALIZE:	return "serialization failure";
	case HUB_DB_NOTFOUND:	return "not found";
	case HUB_DB_QUERY:	return "query failed";
	case HUB_DB_NOMEM:	return "out of memory";
	default:		return "unknown database error";
	}
}

/* Notices (e.g. "relation already exists, skipping") go to the log at debug
 * level instead of libpq's raw stderr line. */
static void
db_notice(void *arg, const PGresult *res)
{
	const char *st, *msg;

	(void)arg;
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	hub_log(HUB_LOG_DEBUG, "db_notice", "sqlstate", st ? st : "",
	    "msg", msg ? msg : "", NULL);
}

static void
db_set_error(struct hub_db *db, const char *state, const char *msg)
{
	size_t n;

	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
	/* libpq messages end in a newline; keep log lines single. */
	n = strlen(db->errmsg);
	while (n > 0 && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
		db->errmsg[--n] = '\0';
}

static void
db_clear_error(struct hub_db *db)
{
	db->sqlstate[0] = '\0';
	db->errmsg[0] = '\0';
}

int
hub_db_classify(const PGresult *res)
{
	const char *st;

	if (res == NULL)
		return HUB_DB_NOMEM;
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		return HUB_DB_OK;
	case PGRES_FATAL_ERROR:
		break;
	default:
		return HUB_DB_QUERY;
	}
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* libpq's own errors (connection lost) carry no SQLSTATE. */
	if (st == NULL || strlen(st) != 5)
		return HUB_DB_CONN;
	if (strcmp(st, "23505") == 0)
		return HUB_DB_UNIQUE;
	if (strcmp(st, "23503") == 0)
		return HUB_DB_FKEY;
	if (strcmp(st, "23514") == 0 || strcmp(st, "23502") == 0 ||
	    strncmp(st, "22", 2) == 0)
		return HUB_DB_CHECK;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		return HUB_DB_SERIALIZE;
	/* 08: connection exception; 57P01-57P03: admin/crash shutdown,
	 * cannot connect now. */
	if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	    strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0)
		return HUB_DB_CONN;
	/* 55P03 lock_not_available (lock_timeout), 57014 query_canceled
	 * (statement_timeout): the server could not serve this in time --
	 * to the caller the same as a server that is away for a moment. */
	if (strcmp(st, "55P03") == 0 || strcmp(st, "57014") == 0)
		return HUB_DB_CONN;
	return HUB_DB_QUERY;
}

const char *
hub_db_last_sqlstate(const struct hub_db *db)
{
	return db ? db->sqlstate : "";
}

const char *
hub_db_last_error(const struct hub_db *db)
{
	return db ? db->errmsg : "";
}

static int db_flush_begin(struct hub_db *);

/* The raw connection: a transaction begun without a statement yet gets its
 * BEGIN now, and statements queued by hub_db_exec_later are run, so that
 * what the caller runs on it is inside, after them. */
PGconn *
hub_db_conn(struct hub_db *db)
{
	if (db == NULL)
		return NULL;
	(void)db_flush_begin(db);
	return db->conn;
}

int
hub_db_in_tx(const struct hub_db *db)
{
	return db ? db->in_tx : 0;
}

static void
db_forget_prepared(struct hub_db *db)
{
	size_t i;

	for (i = 0; i < db->npreps; i++)
		memset(db->preps[i].done, 0, db->preps[i].table->n);
}

/* Forget the statements queued by hub_db_exec_later (answered, or lost
 * with the connection). */
static void
db_queue_clear(struct hub_db *db)
{
	db->nq = 0;
	db->q_begin = 0;
}

/* Reset a dead connection once; every statement is prepared again after. */
static int
db_reset(struct hub_db *db)
{
	db_forget_prepared(db);
	db_queue_clear(db);	/* the queued statements go with the connection */
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, "08006", PQerrorMessage(db->conn));
		hub_log(HUB_LOG_ERROR, "db_reconnect_failed",
		    "error", db->errmsg, NULL);
		return HUB_DB_CONN;
	}
	hub_log(HUB_LOG_INFO, "db_reconnected", NULL);
	return HUB_DB_OK;
}

static const struct hub_db_limits role_limits[] = {
	[HUB_DB_ROLE_WEB]    = { 5, 15000, 5000, 60000, 0 },
	[HUB_DB_ROLE_WORKER] = { 5, 30000, 10000, 60000, 1 },
	[HUB_DB_ROLE_ADMIN]  = { 10, 0, 10000, 60000, 0 },
};

void
hub_db_limits(struct hub_db_limits *l, enum hub_db_role role, const struct hub_conf *c)
{
	*l = role_limits[(size_t)role < HUB_NELEM(role_limits) ? role : HUB_DB_ROLE_WEB];
	if (c == NULL)
		return;
	if (c->db_connect_timeout_s >= 0)
		l->connect_s = c->db_connect_timeout_s;
	if (c->db_statement_timeout_ms >= 0)
		l->statement_ms = c->db_statement_timeout_ms;
	if (c->db_lock_timeout_ms >= 0)
		l->lock_ms = c->db_lock_timeout_ms;
	if (c->db_idle_tx_timeout_ms >= 0)
		l->idle_tx_ms = c->db_idle_tx_timeout_ms;
}

/* The server settings every connection carries (options=). */
static void
db_options(const struct hub_db_limits *lim, char *out, size_t n)
{
	/* pg_trgm's word similarity threshold is the search's typo
	 * tolerance (approval/search.h): 0.5 lets one swapped pair of letters
	 * in a name through ("Solbreg" finds "Solberg"); the default 0.6 does
	 * not. */
	snprintf(out, n, "-c statement_timeout=%ld -c lock_timeout=%ld"
	    " -c idle_in_transaction_session_timeout=%ld"
	    " -c pg_trgm.word_similarity_threshold=0.5%s",
	    lim->statement_ms, lim->lock_ms, lim->idle_tx_ms,
	    lim->generic_plans ? " -c plan_cache_mode=force_generic_plan" : "");
}

/* Which program (and worker lane) a backend serves, for an admin reading
 * pg_stat_activity or the server's log: lim's, or "approvalhub-" and the
 * program's name. */
static void
db_app_name(const struct hub_db_limits *lim, char *out, size_t n)
{
	if (lim->app_name != NULL)
		snprintf(out, n, "%s", lim->app_name);
	else
		snprintf(out, n, "%s%s",
		    strncmp(program_invocation_short_name, "approvalhub", 11) == 0 ? "" :
		    "approvalhub-", program_invocation_short_name);
}

int
hub_db_connect_limits(const char *url, const struct hub_db_limits *lim,
    struct hub_db **dbp)
{
	/* Ours first, then the URL expanded from "dbname": what the admin
	 * wrote in DATABASE_URL is processed last and wins. */
	const char *keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "options",
	    "fallback_application_name", "dbname", NULL };
	const char *vals[HUB_NELEM(keys)];
	char ct[24], opts[256], app[64];
	struct hub_db *db;

	*dbp = NULL;
	if (url == NULL)
		url = getenv("DATABASE_URL");
	if (url == NULL || *url == '\0') {
		hub_log(HUB_LOG_ERROR, "db_connect_failed", "error", "DATABASE_URL not set", NULL);
		return HUB_DB_CONN;
	}
	if (lim == NULL)
		lim = &role_limits[HUB_DB_ROLE_WEB];
	snprintf(ct, sizeof(ct), "%ld", lim->connect_s);
	db_options(lim, opts, sizeof(opts));
	/* A dead peer (host gone, cable cut) is noticed in about a minute,
	 * not after the kernel's two hours. */
	vals[0] = ct;
	vals[1] = "1";
	vals[2] = "30";
	vals[3] = "10";
	vals[4] = "3";
	vals[5] = opts;
	db_app_name(lim, app, sizeof(app));
	vals[6] = app;
	vals[7] = url;
	vals[8] = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return HUB_DB_NOMEM;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL) {
		free(db);
		return HUB_DB_NOMEM;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_set_error(db, "08006", PQerrorMessage(db->conn));
		/* The message names host/db, never the password. */
		hub_log(HUB_LOG_ERROR, "db_connect_failed",
		    "error", db->errmsg, NULL);
		PQfinish(db->conn);
		free(db);
		return HUB_DB_CONN;
	}
	PQsetNoticeReceiver(db->conn, db_notice, NULL);
	*dbp = db;
	return HUB_DB_OK;
}

void
hub_db_close(struct hub_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	for (i = 0; i < db->npreps; i++)
		free(db->preps[i].done);
	free(db->preps);
	free(db);
}

static struct hub_db_prep *
db_prep_for(struct hub_db *db, const struct hub_stmt_table *t)
{
	struct hub_db_prep *p;
	size_t i;

	for (i = 0; i < db->npreps; i++)
		if (db->preps[i].table == t)
			return &db->preps[i];
	p = realloc(db->preps, (db->npreps + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	db->preps = p;
	p = &db->preps[db->npreps];
	p->table = t;
	if ((p->done = calloc(t->n ? t->n : 1, 1)) == NULL)
		return NULL;
	db->npreps++;
	return p;
}

/* Record and log a failed result; returns its class. */
static int
db_fail(struct hub_db *db, const struct hub_stmt_table *t, int id,
    PGresult *res)
{
	char idx[32];
	int err;

	err = hub_db_classify(res);
	if (err == HUB_DB_OK)
		err = HUB_DB_QUERY;
	if (res == NULL && PQstatus(db->conn) == CONNECTION_BAD)
		err = HUB_DB_CONN;
	if (res != NULL && PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL)
		db_set_error(db, PQresultErrorField(res, PG_DIAG_SQLSTATE),
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	else
		db_set_error(db, err == HUB_DB_CONN ? "08006" : "",
		    PQerrorMessage(db->conn));
	snprintf(idx, sizeof(idx), "%d", id);
	/* Constraint violations are expected outcomes callers branch on. */
	hub_log(err == HUB_DB_QUERY || err == HUB_DB_CONN ||
	    err == HUB_DB_NOMEM ? HUB_LOG_ERROR : HUB_LOG_DEBUG,
	    "db_error", "stmt", t ? t->tag : "script", "idx", idx,
	    "sqlstate", db->sqlstate,
	    /* Data exceptions quote the offending input, which may be a
	     * parameter: keep it for the caller, out of the log. */
	    "error", strncmp(db->sqlstate, "22", 2) == 0 ?
	    "invalid input value" : db->errmsg, NULL);
	return err;
}

/* How db_exec runs a statement (bits). */
#define DB_EACH_TIME	1	/* planned for these parameters, unnamed */
#define DB_BINARY	2	/* results in binary format */
#define DB_COMMIT_AFTER	4	/* the transaction's COMMIT in the same round trip */

/* The next result of a pipeline; *cmd counts the commands whose results
 * have ended (one NULL ends each).  NULL when the connection gave out or
 * two NULLs came in a row: no Sync is coming. */
static PGresult *
db_pipe_result(PGconn *conn, int *cmd)
{
	PGresult *r;
	int nulls = 0;

	while ((r = PQgetResult(conn)) == NULL) {
		if (PQstatus(conn) == CONNECTION_BAD || ++nulls > 1)
			return NULL;
		(*cmd)++;
	}
	return r;
}

/* What one command of a round trip is, to read its answer. */
enum db_role {
	DB_CMD_BEGIN,		/* the transaction's BEGIN */
	DB_CMD_PREPARE,		/* this statement's prepare */
	DB_CMD_STMT,		/* this statement */
	DB_CMD_COMMIT,		/* the COMMIT after it */
	DB_CMD_QPREPARE,	/* a queued statement's prepare (hub_db_exec_later) */
	DB_CMD_QSTMT,		/* a queued statement */
};

struct db_cmd {
	const struct hub_stmt_table	*t;
	int				 id;
	int				 role;
};

#define DB_PIPE_CMDS	(2 * HUB_DB_LATER_MAX + 4)

/* The queued statements' commands (with their BEGIN) into cmds; their
 * number. */
static int
db_queue_cmds(const struct hub_db *db, struct db_cmd *cmds)
{
	size_t i;
	int n = 0;

	if (db->q_begin)
		cmds[n++] = (struct db_cmd){ &db_table, DB_BEGIN, DB_CMD_BEGIN };
	for (i = 0; i < db->nq; i++) {
		if (db->q[i].prepping)
			cmds[n++] = (struct db_cmd){ db->q[i].t, db->q[i].id, DB_CMD_QPREPARE };
		cmds[n++] = (struct db_cmd){ db->q[i].t, db->q[i].id, DB_CMD_QSTMT };
	}
	return n;
}

/* A queued prepare that failed or did not run: prepare it next time. */
static void
db_unprepare(struct hub_db *db, const struct db_cmd *c)
{
	struct hub_db_prep *p;

	if (c->role == DB_CMD_QPREPARE && (p = db_prep_for(db, c->t)) != NULL)
		p->done[c->id] = 0;
}

/*
 * A statement with what goes with it in one round trip (libpq's pipeline
 * mode, one Sync): first the statements queued by hub_db_exec_later, or
 * the transaction's BEGIN when hub_db_begin has not sent it yet
 * (db->begin_pending); then its prepare when this connection has not
 * prepared it, itself, and with DB_COMMIT_AFTER the transaction's COMMIT.
 * t NULL: only what is queued.  Most transactions are short, and on an
 * idle server a round trip costs more than a short statement
 * (t/bench/README.md).  As db_try, the first error among them all; -1
 * when pipeline mode could not start (nothing sent).  When the BEGIN went
 * through, the transaction is open whatever became of the statement (a
 * failed one aborts it; the COMMIT after it is then not run).  A
 * connection lost before the answer leaves a BEGIN without a COMMIT
 * pending: nothing of the transaction ran, and db_run tries again on a
 * fresh connection; with its COMMIT or queued statements, what became of
 * them is unknown, and the transaction is lost.
 */
static int
db_try_piped(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res, int mode)
{
	PGconn *conn = db->conn;
	struct hub_db_prep *p = NULL;
	struct db_cmd cmds[DB_PIPE_CMDS];
	const struct db_cmd *c, *badc = NULL;
	PGresult *r, *got = NULL, *bad = NULL;
	char name[DB_STMT_NAME_SIZE];
	int fmt = (mode & DB_BINARY) ? 1 : 0, begin = db->begin_pending;
	int commit = (mode & DB_COMMIT_AFTER) != 0, queued = db->nq > 0, prepping = 0;
	int n, cmd = 0, sent, synced = 0, begun = 0, prepared = 0, err;

	if (t != NULL && !(mode & DB_EACH_TIME)) {
		if ((p = db_prep_for(db, t)) == NULL)
			return HUB_DB_NOMEM;
		prepping = !p->done[id];
	}
	n = db_queue_cmds(db, cmds);
	if (begin)
		cmds[n++] = (struct db_cmd){ &db_table, DB_BEGIN, DB_CMD_BEGIN };
	if (prepping)
		cmds[n++] = (struct db_cmd){ t, id, DB_CMD_PREPARE };
	if (t != NULL)
		cmds[n++] = (struct db_cmd){ t, id, DB_CMD_STMT };
	if (commit)
		cmds[n++] = (struct db_cmd){ &db_table, DB_COMMIT, DB_CMD_COMMIT };
	if (t != NULL)
		snprintf(name, sizeof(name), "%s_%d", t->tag, id);
	if (PQenterPipelineMode(conn) != 1)
		return -1;
	db_queue_clear(db);	/* answered below, or lost */
	if (commit)
		db->begin_pending = 0;	/* never started afresh: see above */
	sent = (!begin || PQsendQueryParams(conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) &&
	    (!prepping || PQsendPrepare(conn, name, t->stmts[id].sql, t->stmts[id].nparams,
	    NULL)) &&
	    (t == NULL || ((mode & DB_EACH_TIME) ?
	    PQsendQueryParams(conn, t->stmts[id].sql, t->stmts[id].nparams, NULL, params,
	    NULL, NULL, fmt) :
	    PQsendQueryPrepared(conn, name, t->stmts[id].nparams, params, NULL, NULL, fmt))) &&
	    (!commit || PQsendQueryParams(conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) &&
	    PQpipelineSync(conn);
	while (sent && !synced && (r = db_pipe_result(conn, &cmd)) != NULL) {
		c = cmd < n ? &cmds[cmd] : NULL;
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			synced = 1;
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (c == NULL)
				break;
			if (c->role == DB_CMD_BEGIN)
				begun = 1;
			else if (c->role == DB_CMD_PREPARE)
				prepared = 1;
			else if (c->role == DB_CMD_STMT && got == NULL) {
				got = r;
				r = NULL;
			}
			break;
		default:	/* failed, or not run after a failure */
			if (c != NULL)
				db_unprepare(db, c);
			if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED && bad == NULL) {
				bad = r;
				badc = c;
				r = NULL;
			}
			break;
		}
		PQclear(r);
	}
	/* A connection lost before the answer took the transaction with it:
	 * nothing of it is kept, so it may start afresh (db_run). */
	if (begun && PQstatus(conn) != CONNECTION_BAD)
		db->begin_pending = 0;
	if (prepared)
		p->done[id] = 1;
	if ((PQexitPipelineMode(conn) != 1 || !synced) && PQstatus(conn) == CONNECTION_OK) {
		/* Out of step (a bug): start afresh, the transaction with it. */
		hub_log(HUB_LOG_ERROR, "db_error", "error", "pipeline cut short", NULL);
		db_reset(db);
		if (begun || commit || queued)
			db->tx_lost = 1;
		synced = 0;
	}
	if (synced && bad == NULL && (t == NULL || got != NULL)) {
		if (res != NULL)
			*res = got;
		else
			PQclear(got);
		return HUB_DB_OK;
	}
	PQclear(got);
	if (badc != NULL)
		err = db_fail(db, badc->t, badc->id, bad);
	else
		err = db_fail(db, t != NULL ? t : &db_table, t != NULL ? id : DB_PING, bad);
	PQclear(bad);
	if (err == HUB_DB_OK || (!synced && err != HUB_DB_CONN))
		err = HUB_DB_CONN;
	return err;
}

/* One attempt: prepare if needed, execute; or, with DB_EACH_TIME, plan it
 * for these parameters (an unnamed statement). */
static int
db_try(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res, int mode)
{
	struct hub_db_prep *p;
	PGresult *r;
	char name[DB_STMT_NAME_SIZE];
	int err, fmt = (mode & DB_BINARY) ? 1 : 0;

	if (db->begin_pending || db->nq > 0 || (mode & DB_COMMIT_AFTER)) {
		if ((err = db_try_piped(db, t, id, params, res, mode)) != -1)
			return err;
		/* No pipeline: BEGIN on its own, the statement, COMMIT. */
		if ((err = db_flush_begin(db)) != HUB_DB_OK)
			return err;
		if (mode & DB_COMMIT_AFTER) {
			if ((err = db_try(db, t, id, params, res, mode & ~DB_COMMIT_AFTER)) ==
			    HUB_DB_OK &&
			    (err = db_try(db, &db_table, DB_COMMIT, NULL, NULL, 0)) != HUB_DB_OK &&
			    res != NULL) {
				PQclear(*res);
				*res = NULL;
			}
			return err;
		}
	}
	if (mode & DB_EACH_TIME) {
		r = PQexecParams(db->conn, t->stmts[id].sql, t->stmts[id].nparams, NULL,
		    params, NULL, NULL, fmt);
		goto done;
	}
	if ((p = db_prep_for(db, t)) == NULL)
		return HUB_DB_NOMEM;
	snprintf(name, sizeof(name), "%s_%d", t->tag, id);
	if (!p->done[id]) {
		r = PQprepare(db->conn, name, t->stmts[id].sql,
		    t->stmts[id].nparams, NULL);
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
			err = db_fail(db, t, id, r);
			PQclear(r);
			return err;
		}
		PQclear(r);
		p->done[id] = 1;
	}
	r = PQexecPrepared(db->conn, name, t->stmts[id].nparams, params,
	    NULL, NULL, fmt);
done:
	if (r == NULL || (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)) {
		err = db_fail(db, t, id, r);
		PQclear(r);
		return err;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return HUB_DB_OK;
}

/* Before a statement: is the connection there, or can it come back? */
static int
db_ready(struct hub_db *db)
{
	if (db->in_tx && !db->begin_pending &&
	    (db->tx_lost || PQstatus(db->conn) != CONNECTION_OK)) {
		db->tx_lost = 1;
		db_set_error(db, "08006", "connection lost inside a transaction");
		return HUB_DB_CONN;
	}
	if (PQstatus(db->conn) != CONNECTION_OK)
		return db_reset(db);
	return HUB_DB_OK;
}

/* Outside a transaction a statement that failed because the server went
 * away is run once more on a fresh connection. */
static int
db_run(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res, int mode)
{
	int err;

	if ((err = db_ready(db)) != HUB_DB_OK)
		return err;
	err = db_try(db, t, id, params, res, mode);
	if (err != HUB_DB_OK && PQstatus(db->conn) == CONNECTION_BAD) {
		/* A pending BEGIN: nothing of the transaction ran yet. */
		if (db->in_tx && !db->begin_pending) {
			db->tx_lost = 1;
			return HUB_DB_CONN;
		}
		if (db_reset(db) != HUB_DB_OK)
			return HUB_DB_CONN;
		err = db_try(db, t, id, params, res, mode);
	}
	return err;
}

static int
db_exec(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res, int mode)
{
	int err;

	if (res != NULL)
		*res = NULL;
	if (db == NULL || db->conn == NULL)
		return HUB_DB_CONN;
	if (t == NULL || id < 0 || (size_t)id >= t->n)
		return HUB_DB_QUERY;
	db_clear_error(db);
	err = db_run(db, t, id, params, res, mode);
	if (err != HUB_DB_OK && db->in_tx && db->tx_err == HUB_DB_OK)
		db->tx_err = err;
	return err;
}

int
hub_db_exec(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res)
{
	return db_exec(db, t, id, params, res, 0);
}

int
hub_db_exec_planned(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res)
{
	return db_exec(db, t, id, params, res, DB_EACH_TIME);
}

int
hub_db_exec_binary(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res)
{
	return db_exec(db, t, id, params, res, DB_BINARY);
}

/* Send statement id of t in pipeline mode, its prepare first when this
 * connection has not prepared it.  Marked prepared now, so the same
 * statement later in the pipeline is not prepared twice; a prepare that
 * fails or does not run is unmarked by whoever reads its answer.
 * *prepping: whether the prepare went.  0 when libpq would not send. */
static int
db_send_prepared(PGconn *conn, struct hub_db_prep *p, const struct hub_stmt_table *t, int id,
    const char *const *params, int *prepping)
{
	const struct hub_stmt *st = &t->stmts[id];
	char name[DB_STMT_NAME_SIZE];

	snprintf(name, sizeof(name), "%s_%d", t->tag, id);
	*prepping = !p->done[id];
	p->done[id] = 1;
	return (!*prepping || PQsendPrepare(conn, name, st->sql, st->nparams, NULL)) &&
	    PQsendQueryPrepared(conn, name, st->nparams, params, NULL, NULL, 0);
}

/* A queued statement could not be sent: the pipeline is out of step and
 * the transaction lost. */
static int
db_queue_failed(struct hub_db *db)
{
	db_set_error(db, "08006", PQerrorMessage(db->conn));
	hub_log(HUB_LOG_ERROR, "db_error", "error", db->errmsg, NULL);
	if (PQstatus(db->conn) == CONNECTION_OK)
		db_reset(db);
	db_queue_clear(db);
	db->begin_pending = 0;
	db->tx_lost = 1;
	return HUB_DB_CONN;
}

int
hub_db_exec_later(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params)
{
	struct hub_db_prep *p;
	struct db_queued *q;
	int err = HUB_DB_OK;

	if (db == NULL || db->conn == NULL || !db->in_tx)
		return hub_db_exec(db, t, id, params, NULL);
	if (t == NULL || id < 0 || (size_t)id >= t->n)
		return HUB_DB_QUERY;
	if (db->nq == HUB_DB_LATER_MAX)
		err = db_flush_begin(db);	/* the queue is full: answer it */
	if (err == HUB_DB_OK && (err = db_ready(db)) == HUB_DB_OK &&
	    (p = db_prep_for(db, t)) == NULL)
		err = HUB_DB_NOMEM;
	if (err != HUB_DB_OK)
		goto out;
	if (db->nq == 0 && PQenterPipelineMode(db->conn) != 1)
		return db_exec(db, t, id, params, NULL, 0);	/* no pipeline: now */
	q = &db->q[db->nq];
	q->t = t;
	q->id = id;
	/* A prepare that fails or does not run is unmarked by db_unprepare. */
	if ((db->begin_pending &&
	    !PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) ||
	    !db_send_prepared(db->conn, p, t, id, params, &q->prepping)) {
		err = db_queue_failed(db);
		goto out;
	}
	if (db->begin_pending) {
		db->begin_pending = 0;
		db->q_begin = 1;
	}
	db->nq++;
out:
	if (err != HUB_DB_OK && db->tx_err == HUB_DB_OK)
		db->tx_err = err;
	return err;
}

/* The results of one Sync'd statement of a pipeline, up to its
 * PGRES_PIPELINE_SYNC: the prepare's (when prepping), then the
 * statement's.  -1 when the connection gave out before the Sync. */
static int
db_each_read(struct hub_db *db, struct hub_db_call *c, struct hub_db_prep *p, int prepping)
{
	PGconn *conn = db->conn;
	PGresult *r;
	int cmd = prepping ? 0 : 1;

	while ((r = db_pipe_result(conn, &cmd)) != NULL) {
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(r);
			return 0;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (cmd > 0 && c->err == HUB_DB_OK && c->res_wanted && c->res == NULL) {
				c->res = r;
				r = NULL;
			}
			break;
		case PGRES_PIPELINE_ABORTED:	/* after a failed prepare */
			if (c->err == HUB_DB_OK)
				c->err = HUB_DB_QUERY;
			break;
		default:
			if (cmd == 0)
				p->done[c->id] = 0;
			if (c->err == HUB_DB_OK)
				c->err = db_fail(db, c->table, c->id, r);
			break;
		}
		PQclear(r);
	}
	if (c->err == HUB_DB_OK)
		c->err = HUB_DB_CONN;
	return -1;
}

/* hub_db_exec_each's one round trip; -1 when pipeline mode could not
 * even start (nothing was sent: run them one by one). */
static int
db_each_pipeline(struct hub_db *db, struct hub_db_call *c, size_t n)
{
	PGconn *conn = db->conn;
	struct hub_db_prep *p[HUB_DB_EACH_MAX];
	int prepping[HUB_DB_EACH_MAX];
	size_t i, sent = 0;
	int lost = 0;

	for (i = 0; i < n; i++)
		if ((p[i] = db_prep_for(db, c[i].table)) == NULL)
			return -1;
	if (PQenterPipelineMode(conn) != 1)
		return -1;
	for (i = 0; i < n; i++) {
		if (!db_send_prepared(conn, p[i], c[i].table, c[i].id, c[i].params,
		    &prepping[i]) || !PQpipelineSync(conn))
			break;
		sent++;
	}
	for (i = 0; i < sent && !lost; i++)
		lost = db_each_read(db, &c[i], p[i], prepping[i]) != 0;
	for (; i < n; i++)
		if (c[i].err == HUB_DB_OK)
			c[i].err = db_fail(db, c[i].table, c[i].id, NULL);
	/* A batch cut short on a connection that still stands (a failed
	 * send, results out of step: a bug) leaves statements marked
	 * prepared that may not be, or results unread: start afresh.  A
	 * dead connection is reset by the next statement (db_ready). */
	if ((PQexitPipelineMode(conn) != 1 || lost || sent < n) &&
	    PQstatus(conn) == CONNECTION_OK) {
		hub_log(HUB_LOG_ERROR, "db_error", "error", "pipeline cut short", NULL);
		db_reset(db);
	}
	return 0;
}

/* Did the server go away before answering any of them? */
static int
db_each_lost(struct hub_db *db, const struct hub_db_call *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].err != HUB_DB_CONN)
			return 0;
	return PQstatus(db->conn) == CONNECTION_BAD;
}

int
hub_db_exec_each(struct hub_db *db, struct hub_db_call *c, size_t n)
{
	size_t i;
	int err = HUB_DB_OK, piped = -1;

	for (i = 0; i < n; i++) {
		c[i].res = NULL;
		c[i].err = HUB_DB_OK;
		if (c[i].table == NULL || c[i].id < 0 || (size_t)c[i].id >= c[i].table->n)
			return c[i].err = HUB_DB_QUERY;
	}
	if (db == NULL || db->conn == NULL)
		return HUB_DB_CONN;
	db_clear_error(db);
	if (!db->in_tx && n <= HUB_DB_EACH_MAX && db_ready(db) == HUB_DB_OK &&
	    (piped = db_each_pipeline(db, c, n)) == 0 && db_each_lost(db, c, n) &&
	    db_reset(db) == HUB_DB_OK) {
		/* As db_run: once more on a fresh connection. */
		for (i = 0; i < n; i++)
			c[i].err = HUB_DB_OK;
		db_clear_error(db);
		piped = db_each_pipeline(db, c, n);
	}
	if (piped != 0)
		for (i = 0; i < n; i++)
			c[i].err = db_exec(db, c[i].table, c[i].id, c[i].params,
			    c[i].res_wanted ? &c[i].res : NULL, 0);
	for (i = 0; i < n; i++) {
		if (c[i].err != HUB_DB_OK) {
			PQclear(c[i].res);
			c[i].res = NULL;
			if (err == HUB_DB_OK)
				err = c[i].err;
		}
	}
	return err;
}

int
hub_db_exec_script(struct hub_db *db, const char *sql)
{
	PGresult *r;
	int err, tries;

	if (db == NULL || db->conn == NULL)
		return HUB_DB_CONN;
	db_clear_error(db);
	if ((err = db_flush_begin(db)) != HUB_DB_OK)
		return err;
	for (tries = 0; tries < 2; tries++) {
		if ((err = db_ready(db)) != HUB_DB_OK)
			return err;
		r = PQexec(db->conn, sql);
		if (r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK ||
		    PQresultStatus(r) == PGRES_TUPLES_OK ||
		    PQresultStatus(r) == PGRES_EMPTY_QUERY)) {
			PQclear(r);
			return HUB_DB_OK;
		}
		err = db_fail(db, NULL, 0, r);
		PQclear(r);
		if (PQstatus(db->conn) != CONNECTION_BAD)
			break;
		if (db->in_tx) {
			db->tx_lost = 1;
			err = HUB_DB_CONN;
			break;
		}
	}
	if (err != HUB_DB_OK && db->in_tx && db->tx_err == HUB_DB_OK)
		db->tx_err = err;
	return err;
}

int
hub_db_ping(struct hub_db *db)
{
	if (db == NULL || db->conn == NULL)
		return HUB_DB_CONN;
	if (db->in_tx)
		return db->tx_lost || PQstatus(db->conn) != CONNECTION_OK ?
		    HUB_DB_CONN : HUB_DB_OK;
	return hub_db_exec(db, &db_table, DB_PING, NULL, NULL) == HUB_DB_OK ?
	    HUB_DB_OK : HUB_DB_CONN;
}

int
hub_db_begin(struct hub_db *db)
{
	if (db == NULL || db->conn == NULL)
		return HUB_DB_CONN;
	if (db->in_tx) {
		db_set_error(db, "25001", "transaction already open");
		hub_log(HUB_LOG_ERROR, "db_error", "error", db->errmsg, NULL);
		return HUB_DB_QUERY;
	}
	/* Sent with the first statement (db_try_piped): one round trip
	 * less per transaction, none for one that runs nothing. */
	db_clear_error(db);
	db->in_tx = 1;
	db->begin_pending = 1;
	db->tx_lost = 0;
	db->tx_err = HUB_DB_OK;
	return HUB_DB_OK;
}

/* Send a pending BEGIN on its own (a raw use of the connection, a script,
 * or no pipeline mode), or the statements queued with it (their first
 * error); a fresh connection once when the server went away,
 * since nothing of the transaction ran.  A BEGIN that fails leaves the
 * transaction lost: its statements fail, its COMMIT reports it. */
static int
db_flush_begin(struct hub_db *db)
{
	int err;

	if (db->nq > 0) {	/* the BEGIN went with them */
		if ((err = db_try_piped(db, NULL, 0, NULL, NULL, 0)) != HUB_DB_OK &&
		    db->tx_err == HUB_DB_OK)
			db->tx_err = err;
		return err;
	}
	if (!db->begin_pending)
		return HUB_DB_OK;
	if ((err = db_ready(db)) == HUB_DB_OK) {
		db->begin_pending = 0;
		err = db_try(db, &db_table, DB_BEGIN, NULL, NULL, 0);
		if (err != HUB_DB_OK && PQstatus(db->conn) == CONNECTION_BAD &&
		    db_reset(db) == HUB_DB_OK)
			err = db_try(db, &db_table, DB_BEGIN, NULL, NULL, 0);
	}
	db->begin_pending = 0;
	if (err != HUB_DB_OK) {
		db->tx_lost = 1;
		if (db->tx_err == HUB_DB_OK)
			db->tx_err = err;
	}
	return err;
}

static void
db_end_tx(struct hub_db *db)
{
	/* Queued statements left unanswered (a lost transaction): their
	 * answers must not meet the next statement. */
	if (db->nq > 0 && PQstatus(db->conn) == CONNECTION_OK)
		db_reset(db);
	db_queue_clear(db);
	db->in_tx = 0;
	db->begin_pending = 0;
	db->tx_lost = 0;
	db->tx_err = HUB_DB_OK;
}

/* What hub_db_commit and hub_db_exec_commit look at first: 1, with *err,
 * when no COMMIT is to be sent (no transaction, a lost one, or a failed
 * one, which is rolled back). */
static int
db_commit_refused(struct hub_db *db, int *err)
{
	if (db == NULL || db->conn == NULL) {
		*err = HUB_DB_CONN;
		return 1;
	}
	if (!db->in_tx) {
		db_set_error(db, "25P01", "no transaction open");
		hub_log(HUB_LOG_ERROR, "db_error", "error", db->errmsg, NULL);
		*err = HUB_DB_QUERY;
		return 1;
	}
	if (db->tx_lost) {
		db_end_tx(db);
		*err = HUB_DB_CONN;
		return 1;
	}
	/* COMMIT of a failed transaction "succeeds" as ROLLBACK: report the
	 * error that broke it instead. */
	if (!db->begin_pending && PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
		*err = db->tx_err != HUB_DB_OK ? db->tx_err : HUB_DB_QUERY;
		hub_db_rollback(db);
		return 1;
	}
	return 0;
}

/* After a COMMIT sent (err its outcome): a statement that failed before
 * it (one of the transaction's, or queued) left the transaction open and
 * aborted, and the COMMIT did not run: roll it back.  The transaction is
 * over either way. */
static int
db_commit_end(struct hub_db *db, int err)
{
	PGresult *r;

	if (err != HUB_DB_OK && !db->tx_lost && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
	    db_try(db, &db_table, DB_ROLLBACK, NULL, &r, 0) == HUB_DB_OK)
		PQclear(r);
	db_end_tx(db);
	return err;
}

int
hub_db_commit(struct hub_db *db)
{
	int err;

	if (db_commit_refused(db, &err))
		return err;
	if (db->begin_pending) {	/* nothing ran: nothing to commit */
		db_end_tx(db);
		return HUB_DB_OK;
	}
	return db_commit_end(db, hub_db_exec(db, &db_table, DB_COMMIT, NULL, NULL));
}

int
hub_db_exec_commit(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, PGresult **res)
{
	int err;

	if (res != NULL)
		*res = NULL;
	if (db_commit_refused(db, &err))
		return err;
	return db_commit_end(db, db_exec(db, t, id, params, res, DB_COMMIT_AFTER));
}

void
hub_db_rollback(struct hub_db *db)
{
	PGresult *r;

	if (db == NULL || db->conn == NULL || !db->in_tx)
		return;
	if (db->nq > 0 && !db->tx_lost && PQstatus(db->conn) == CONNECTION_OK)
		(void)db_try_piped(db, NULL, 0, NULL, NULL, 0);	/* their answers first */
	if (!db->tx_lost && !db->begin_pending && PQstatus(db->conn) == CONNECTION_OK) {
		/* Run directly: a failed ROLLBACK must not be retried on a
		 * fresh connection (there is nothing to roll back there). */
		if (db_try(db, &db_table, DB_ROLLBACK, NULL, &r, 0) == HUB_DB_OK)
			PQclear(r);
	}
	db_end_tx(db);
}

/* ------------------------------------------------------------ cells */

static int
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return HUB_DB_QUERY;
	*out = v;
	return HUB_DB_OK;
}

static int
get_cell(const PGresult *r, int row, int col, int64_t min, int64_t max,
    int64_t *out)
{
	int rc;

	if (r == NULL || row < 0 || col < 0 || row >= PQntuples(r) ||
	    col >= PQnfields(r) || PQgetisnull(r, row, col))
		return HUB_DB_NOTFOUND;
	if ((rc = parse_int64(PQgetvalue(r, row, col), min, max, out)) != 0)
		hub_log(HUB_LOG_ERROR, "db_bad_cell", "column",
		    PQfname(r, col) != NULL ? PQfname(r, col) : "", NULL);
	return rc;
}

int
hub_db_get_int64(const PGresult *r, int row, int col, int64_t *out)
{
	return get_cell(r, row, col, INT64_MIN, INT64_MAX, out);
}

int
hub_db_get_int(const PGresult *r, int row, int col, int *out)
{
	int64_t v;
	int rc;

	if ((rc = get_cell(r, row, col, INT_MIN, INT_MAX, &v)) == HUB_DB_OK)
		*out = (int)v;
	return rc;
}

int
hub_db_cmd_rows(const PGresult *r, int64_t *out)
{
	if (r == NULL)
		return HUB_DB_QUERY;
	return parse_int64(PQcmdTuples((PGresult *)r), 0, INT64_MAX, out);
}

int
hub_db_delete_batches(struct hub_db *db, const struct hub_stmt_table *t, int id,
    const char *const *params, int64_t batch, int rounds, int64_t *deleted)
{
	PGresult *res = NULL;
	int64_t n = 0;
	int round, rc = HUB_DB_OK;

	*deleted = 0;
	for (round = 0; round < rounds; round++) {
		if ((rc = hub_db_exec(db, t, id, params, &res)) != HUB_DB_OK)
			break;
		rc = hub_db_cmd_rows(res, &n);
		PQclear(res);
		if (rc != HUB_DB_OK)
			break;
		*deleted += n;
		if (n < batch)
			break;
	}
	return rc;
}
