/*
 * db.h - the process's one PostgreSQL connection.
 *
 * SQL is only run through statement tables: each module keeps a
 * `static const struct hub_stmt` array indexed by an enum ending in __MAX.
 * A statement is prepared on its first use on a connection (named
 * "<table tag>_<index>") and reused; after a reconnect everything is
 * prepared again.  Parameters are text (NULL = SQL NULL).
 *
 * When the server goes away (restart, network), the next call notices
 * CONNECTION_BAD, resets the connection once and retries the statement if
 * no transaction was open; inside a transaction the error is returned
 * (HUB_DB_CONN) and the transaction is lost, as it must be.
 * Errors are classified by SQLSTATE, never by message text.
 */
#ifndef HUB_DB_H
#define HUB_DB_H

#include <stdint.h>

#include <libpq-fe.h>

enum hub_db_err {
	HUB_DB_OK = 0,
	HUB_DB_CONN,        /* cannot reach the server, or it gave up on a lock
	                     * or a statement in time: 55P03, 57014 (-> 503) */
	HUB_DB_UNIQUE,      /* 23505 unique_violation */
	HUB_DB_FKEY,        /* 23503 foreign_key_violation */
	HUB_DB_CHECK,       /* 23514 check_violation, 23502 not_null, 22xxx data */
	HUB_DB_SERIALIZE,   /* 40001 / 40P01: retry the transaction */
	HUB_DB_NOTFOUND,    /* statement ran, but returned no row when one was needed */
	HUB_DB_QUERY,       /* anything else (a bug): logged with SQLSTATE */
	HUB_DB_NOMEM,
};

struct hub_stmt {
	const char *sql;
	int         nparams;
};

/* A statement table: tag must be unique per table (it names prepared
 * statements), n its length. */
struct hub_stmt_table {
	const char             *tag;
	const struct hub_stmt  *stmts;
	size_t                  n;
};

struct hub_db;

/*
 * Limits every connection carries, so one held lock or slow statement
 * answers with an error (HUB_DB_CONN -> 503) instead of pinning the
 * process: connect timeout, statement_timeout, lock_timeout,
 * idle_in_transaction_session_timeout (0 = none) and TCP keepalives.
 * Defaults by program (DB_* variables in conf.h override them):
 *   WEB    (FastCGI programs)  connect 5 s, statement 15 s, lock 5 s
 *   WORKER                     connect 5 s, statement 30 s, lock 10 s
 *   ADMIN  (CLI, migrate)      connect 10 s, statement none, lock 10 s
 * and idle in a transaction 60 s for all.  The worker's connections plan
 * every prepared statement once, for any parameters (plan_cache_mode =
 * force_generic_plan): its statements run thousands of times a minute
 * with parameters that change nothing in their plan (a lane's kinds, a
 * job's id), and PostgreSQL would otherwise plan a job claim anew on
 * each run (0.15 ms of 0.35).  t/integration/test_plans.py checks every
 * statement's generic plan.
 */
enum hub_db_role { HUB_DB_ROLE_WEB, HUB_DB_ROLE_WORKER, HUB_DB_ROLE_ADMIN };

struct hub_db_limits {
	long	connect_s;
	long	statement_ms;
	long	lock_ms;
	long	idle_tx_ms;
	int	generic_plans;	/* plan_cache_mode = force_generic_plan */
	/* What pg_stat_activity and the server's log (%a) call the
	 * connection; NULL: "approvalhub-" and the program's name.  An
	 * application_name in DATABASE_URL wins. */
	const char *app_name;
};

struct hub_conf;
/* The limits for role, with conf's DB_* values (conf may be NULL). */
void		 hub_db_limits(struct hub_db_limits *, enum hub_db_role, const struct hub_conf *);
/* Connect (DATABASE_URL or libpq conninfo) with limits (NULL: WEB's
 * defaults).  NULL *db on failure with err.  Limits written in the URL
 * itself (?connect_timeout=, ?options=) win over these. */
int		 hub_db_connect_limits(const char *url, const struct hub_db_limits *,
		    struct hub_db **db);
void		 hub_db_close(struct hub_db *);
PGconn		*hub_db_conn(struct hub_db *);
/* Is the connection usable right now (reconnecting if needed)? */
int		 hub_db_ping(struct hub_db *);

/* Run statement `id` of `table`.  On HUB_DB_OK *res holds the result
 * (PGRES_TUPLES_OK or PGRES_COMMAND_OK) and the caller PQclear()s it; on
 * error *res is NULL. res may be NULL when the rows are not wanted. */
int		 hub_db_exec(struct hub_db *, const struct hub_stmt_table *, int id,
		    const char *const *params, PGresult **res);
/* As hub_db_exec, planned for these parameters each time instead of
 * prepared once: for a statement whose best plan depends on the values
 * (a search: a common word walks the newest requests and stops, a rare
 * one takes its few matches from the GIN index), where the generic plan
 * a prepared statement settles on would be right for one and slow for
 * the other.  Costs a planning per call.  Not on the worker's
 * connections, whose plans are always generic (hub_db_limits). */
int		 hub_db_exec_planned(struct hub_db *, const struct hub_stmt_table *, int id,
		    const char *const *params, PGresult **res);
/* As hub_db_exec, the rows in PostgreSQL's binary format (PQgetvalue
 * gives each type's send bytes, PQgetlength their length): for many
 * numbers, which as text cost a print and a parse each. */
int		 hub_db_exec_binary(struct hub_db *, const struct hub_stmt_table *, int id,
		    const char *const *params, PGresult **res);
/*
 * Several statements, each in its own transaction as if run one after the
 * other by hub_db_exec outside a transaction, sent together: one round
 * trip to the server instead of one each (libpq's pipeline mode, a Sync
 * after each statement).  A later statement sees what the earlier ones
 * committed; one that fails does not stop the others.  On an idle
 * server most of a short statement's CPU is the waking of the backend
 * and of this process (t/bench/README.md), so this is for statements
 * the caller runs back to back anyway.  Inside a transaction they run
 * one by one, as do more than HUB_DB_EACH_MAX.  Each call's err is its
 * outcome and its res (on HUB_DB_OK, when res_wanted) is the caller's to
 * PQclear(); a connection lost midway is HUB_DB_CONN for the calls not
 * answered, which are not retried (they may have run).  Returns the
 * first error among the calls.
 */
#define HUB_DB_EACH_MAX	8
struct hub_db_call {
	const struct hub_stmt_table	*table;
	int				 id;
	const char *const		*params;
	int				 res_wanted;
	PGresult			*res;	/* out */
	int				 err;	/* out */
};
int		 hub_db_exec_each(struct hub_db *, struct hub_db_call *calls, size_t n);
/* One-off SQL with no parameters for migrations and admin tools only. */
int		 hub_db_exec_script(struct hub_db *, const char *sql);

int		 hub_db_begin(struct hub_db *);
int		 hub_db_commit(struct hub_db *);
/* The transaction's last statement and its COMMIT in one round trip: as
 * hub_db_exec then hub_db_commit, for a statement whose answer does not
 * decide whether to commit.  The statement's error when it failed (the
 * transaction is then rolled back), else COMMIT's; either way the
 * transaction is over.  *res: the statement's rows when all went well. */
int		 hub_db_exec_commit(struct hub_db *, const struct hub_stmt_table *, int id,
		    const char *const *params, PGresult **res);
/*
 * Inside a transaction, a statement whose rows the caller does not want
 * and whose failure only means the transaction fails (an audit row, a
 * write whose outcome the next statements do not branch on): sent now,
 * its answer read in the round trip of the transaction's next statement
 * (hub_db_exec, hub_db_exec_commit, hub_db_commit...), which carries
 * every statement queued before it.  The deciding statements of a
 * transaction then cost a round trip each and the writes between them
 * none.  Its error is reported by that next statement (the first error
 * among them all, logged with the statement that failed); the
 * transaction is aborted as it would have been.  A connection lost with
 * statements queued loses the transaction (HUB_DB_CONN).  Outside a
 * transaction it is hub_db_exec with no rows wanted.  At most
 * HUB_DB_LATER_MAX wait; one more sends them first (a round trip).
 */
#define HUB_DB_LATER_MAX	16
int		 hub_db_exec_later(struct hub_db *, const struct hub_stmt_table *, int id,
		    const char *const *params);
void		 hub_db_rollback(struct hub_db *);
int		 hub_db_in_tx(const struct hub_db *);

/* Classify a failed result (used by hub_db_exec, exposed for tests). */
int		 hub_db_classify(const PGresult *);
/* SQLSTATE and message of the last error ("" when none). */
const char	*hub_db_last_sqlstate(const struct hub_db *);
const char	*hub_db_last_error(const struct hub_db *);
const char	*hub_db_strerror(int);

/*
 * Checked decoders of one cell, for numbers the SQL itself produces: the
 * cell must be a whole base-10 integer in range.  HUB_DB_OK with *out set;
 * HUB_DB_NOTFOUND when (row, col) is outside the result or the cell is SQL
 * NULL; HUB_DB_QUERY when the text is not such a number (a bug in the SQL,
 * logged).  *out is left alone on error.
 */
int		 hub_db_get_int64(const PGresult *, int row, int col, int64_t *out);
int		 hub_db_get_int(const PGresult *, int row, int col, int *out);
/* Rows the command touched (PQcmdTuples); HUB_DB_QUERY when it does not
 * say (not an INSERT, UPDATE, DELETE, …). */
int		 hub_db_cmd_rows(const PGresult *, int64_t *out);

/*
 * A retention sweep's bounded delete: run statement id (a DELETE of at
 * most batch rows; batch is among its params) again while it takes batch
 * rows, at most rounds times, so one sweep never holds the table long.
 * *deleted: the rows taken in all, also on error.  HUB_DB_OK or the first
 * error.
 */
int		 hub_db_delete_batches(struct hub_db *, const struct hub_stmt_table *, int id,
		    const char *const *params, int64_t batch, int rounds, int64_t *deleted);

#endif
