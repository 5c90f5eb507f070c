/*
 * test_db.c - lib/store/db.c and lib/store/migrate.c against a real PostgreSQL.
 *
 * DATABASE_URL names a server we may create databases on (env.sh); every
 * test works in its own fresh database t_<random>, dropped at the end.
 */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/db.h"
#include "base/embed.h"
#include "store/migrate.h"
#include "testlib.h"

/* ------------------------------------------------------------ fixtures */

/* Checked integer from a result cell. */
static long long
cell_ll(const PGresult *r, int row, int col)
{
	const char *s = PQgetvalue(r, row, col);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	cr_assert(errno == 0 && end != s && *end == '\0', "not an integer: '%s'", s);
	return v;
}

static char fresh_name[32];
static char fresh_url[2048];

static PGconn *
admin_conn(void)
{
	const char *url = getenv("DATABASE_URL");
	PGconn *c;

	cr_assert_not_null(url, "DATABASE_URL is not set (run under t/integration/env.sh)");
	c = PQconnectdb(url);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "admin connect: %s", PQerrorMessage(c));
	return c;
}

static void
admin_sql(const char *sql)
{
	PGconn *c = admin_conn();
	PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* Append key='value' with ' and \ escaped as libpq wants. */
static void
append_kv(char *dst, size_t cap, const char *k, const char *v)
{
	size_t n = strlen(dst);

	n += (size_t)snprintf(dst + n, n < cap ? cap - n : 0, "%s='", k);
	for (; *v != '\0' && n + 3 < cap; v++) {
		if (*v == '\'' || *v == '\\')
			dst[n++] = '\\';
		dst[n++] = *v;
	}
	if (n + 3 < cap) {
		dst[n++] = '\'';
		dst[n++] = ' ';
		dst[n] = '\0';
	}
	cr_assert_lt(n + 3, cap, "conninfo too long");
}

static void
fresh_setup(void)
{
	unsigned char rnd[6];
	char sql[128];
	PQconninfoOption *opts, *o;
	PGconn *c;
	size_t i;

	cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	memcpy(fresh_name, "t_", 3);
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(fresh_name + 2 + 2 * i, 3, "%02x", rnd[i]);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", fresh_name);
	admin_sql(sql);

	c = admin_conn();
	opts = PQconninfo(c);
	fresh_url[0] = '\0';
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL && *o->val != '\0' && strcmp(o->keyword, "dbname") != 0)
			append_kv(fresh_url, sizeof(fresh_url), o->keyword, o->val);
	append_kv(fresh_url, sizeof(fresh_url), "dbname", fresh_name);
	PQconninfoFree(opts);
	PQfinish(c);
}

static void
fresh_teardown(void)
{
	char sql[128];

	if (fresh_name[0] == '\0')
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", fresh_name);
	admin_sql(sql);
}

static struct hub_db *
fresh_connect(void)
{
	struct hub_db *db = NULL;

	cr_assert_eq(hub_db_connect_limits(fresh_url, NULL, &db), HUB_DB_OK, "connect %s", fresh_name);
	cr_assert_not_null(db);
	return db;
}

static int
n_embedded(void)
{
	int n = 0;

	while (hub_embed_migrations[n].name != NULL)
		n++;
	return n;
}

/* ------------------------------------------------------------ statements */

enum t_stmt {
	T_CREATE,
	T_INSERT,
	T_INSERT_CHILD,
	T_SELECT,
	T_COUNT,
	T_PID,
	T_SYNTAX,
	T_UNDEFINED,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	[T_CREATE] = { "CREATE TABLE t (id integer PRIMARY KEY,"
	    " name text NOT NULL CHECK (name <> 'bad'), note text)", 0 },
	[T_INSERT] = { "INSERT INTO t (id, name, note) VALUES ($1::integer, $2, $3)", 3 },
	[T_INSERT_CHILD] = { "INSERT INTO c (t_id) VALUES ($1::integer)", 1 },
	[T_SELECT] = { "SELECT name, note FROM t WHERE id = $1::integer", 1 },
	[T_COUNT] = { "SELECT count(*) FROM t", 0 },
	[T_PID] = { "SELECT pg_backend_pid()", 0 },
	[T_SYNTAX] = { "SELEC 1", 0 },
	[T_UNDEFINED] = { "SELECT * FROM no_such_table", 0 },
};

static const struct hub_stmt_table t_table = { "tdb", t_stmts, T__MAX };

static void
make_tables(struct hub_db *db)
{
	cr_assert_eq(hub_db_exec(db, &t_table, T_CREATE, NULL, NULL), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	cr_assert_eq(hub_db_exec_script(db,
	    "CREATE TABLE c (t_id integer NOT NULL REFERENCES t (id))"), HUB_DB_OK);
}

static long
count_t(struct hub_db *db)
{
	PGresult *r = NULL;
	long n;

	cr_assert_eq(hub_db_exec(db, &t_table, T_COUNT, NULL, &r), HUB_DB_OK);
	n = cell_ll(r, 0, 0);
	PQclear(r);
	return n;
}

static int
backend_pid(struct hub_db *db)
{
	PGresult *r = NULL;
	int pid;

	cr_assert_eq(hub_db_exec(db, &t_table, T_PID, NULL, &r), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	pid = (int)cell_ll(r, 0, 0);
	PQclear(r);
	return pid;
}

static void
terminate(int pid)
{
	char sql[96];
	PGconn *c = admin_conn();
	PGresult *r;

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	PQfinish(c);
	/* pg_terminate_backend only signals; let the backend go. */
	usleep(200 * 1000);
}

TestSuite(db, .init = fresh_setup, .fini = fresh_teardown, .timeout = 60);

/* ------------------------------------------------------------ connect */

Test(db, connect_failure_is_conn)
{
	static const char *bad[] = {
		"host=/nonexistent/socket/dir user=postgres dbname=x connect_timeout=2",
		"host=127.0.0.1 port=1 user=postgres dbname=x connect_timeout=2",
		"this is not a conninfo",
	};
	struct hub_db *db;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		db = (struct hub_db *)&db;	/* must be reset to NULL */
		cr_expect_eq(hub_db_connect_limits(bad[i], NULL, &db), HUB_DB_CONN, "%s", bad[i]);
		cr_expect_null(db, "%s", bad[i]);
	}
}

Test(db, connect_missing_database_is_conn)
{
	char url[2200];
	struct hub_db *db = NULL;
	char *p;

	snprintf(url, sizeof(url), "%s", fresh_url);
	p = strstr(url, "dbname='t_");
	cr_assert_not_null(p);
	memcpy(p + 8, "z", 1);	/* t_... -> z_..., which does not exist */
	cr_expect_eq(hub_db_connect_limits(url, NULL, &db), HUB_DB_CONN);
	cr_expect_null(db);
}

/* A connection's application_name: the program's own ("approvalhub-"
 * and its name), or what the caller chose; DATABASE_URL's own wins. */
Test(db, connections_carry_the_programs_name)
{
	struct hub_db_limits lim;
	struct hub_db *db = NULL;
	char url[2200], want[96];
	PGresult *r;

	/* Criterion runs the test in a process of its own name. */
	snprintf(want, sizeof(want), "approvalhub-%s", program_invocation_short_name);
	cr_assert_eq(hub_db_connect_limits(fresh_url, NULL, &db), HUB_DB_OK);
	r = PQexec(hub_db_conn(db), "SELECT current_setting('application_name')");
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), want);
	PQclear(r);
	hub_db_close(db);

	hub_db_limits(&lim, HUB_DB_ROLE_WORKER, NULL);
	lim.app_name = "approvalhub-worker slack.2";
	cr_assert_eq(hub_db_connect_limits(fresh_url, &lim, &db), HUB_DB_OK);
	r = PQexec(hub_db_conn(db), "SELECT current_setting('application_name')");
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "approvalhub-worker slack.2");
	PQclear(r);
	hub_db_close(db);

	snprintf(url, sizeof(url), "%s application_name='mine'", fresh_url);
	cr_assert_eq(hub_db_connect_limits(url, &lim, &db), HUB_DB_OK);
	r = PQexec(hub_db_conn(db), "SELECT current_setting('application_name')");
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "mine", "DATABASE_URL's own wins");
	PQclear(r);
	hub_db_close(db);
}

Test(db, connect_and_ping)
{
	struct hub_db *db = fresh_connect();

	cr_expect_eq(hub_db_ping(db), HUB_DB_OK);
	cr_expect_not_null(hub_db_conn(db));
	cr_expect_eq(hub_db_in_tx(db), 0);
	hub_db_close(db);
}

/* ------------------------------------------------------------ statements */

Test(db, exec_params_and_null)
{
	struct hub_db *db = fresh_connect();
	const char *ins[3] = { "1", "alice", NULL };
	const char *sel[1] = { "1" };
	PGresult *r = NULL;
	int i;

	make_tables(db);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, ins, NULL), HUB_DB_OK);
	/* Twice: the second run reuses the prepared statement. */
	for (i = 0; i < 2; i++) {
		cr_assert_eq(hub_db_exec(db, &t_table, T_SELECT, sel, &r), HUB_DB_OK);
		cr_assert_eq(PQntuples(r), 1);
		cr_expect_str_eq(PQgetvalue(r, 0, 0), "alice");
		cr_expect(PQgetisnull(r, 0, 1), "NULL parameter stored as SQL NULL");
		PQclear(r);
	}
	sel[0] = "2";
	cr_assert_eq(hub_db_exec(db, &t_table, T_SELECT, sel, &r), HUB_DB_OK);
	cr_expect_eq(PQntuples(r), 0);
	PQclear(r);
	/* Out-of-range statement ids are refused, not run. */
	r = (PGresult *)&r;
	cr_expect_eq(hub_db_exec(db, &t_table, T__MAX, NULL, &r), HUB_DB_QUERY);
	cr_expect_null(r);
	cr_expect_eq(hub_db_exec(db, &t_table, -1, NULL, NULL), HUB_DB_QUERY);
	hub_db_close(db);
}

Test(db, errors_classified_by_sqlstate)
{
	static const struct {
		int		 stmt;
		const char	*p[3];
		int		 err;
		const char	*sqlstate;
	} cases[] = {
		{ T_INSERT, { "1", "dup", NULL }, HUB_DB_UNIQUE, "23505" },
		{ T_INSERT, { "2", "bad", NULL }, HUB_DB_CHECK, "23514" },
		{ T_INSERT, { "3", NULL, NULL }, HUB_DB_CHECK, "23502" },
		{ T_INSERT, { "x", "a", NULL }, HUB_DB_CHECK, "22P02" },
		{ T_INSERT, { "99999999999", "a", NULL }, HUB_DB_CHECK, "22003" },
		{ T_INSERT_CHILD, { "42" }, HUB_DB_FKEY, "23503" },
		{ T_SYNTAX, { NULL }, HUB_DB_QUERY, "42601" },
		{ T_UNDEFINED, { NULL }, HUB_DB_QUERY, "42P01" },
	};
	struct hub_db *db = fresh_connect();
	const char *first[3] = { "1", "first", "n" };
	PGresult *r;
	size_t i;

	make_tables(db);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, first, NULL), HUB_DB_OK);
	cr_expect_str_eq(hub_db_last_sqlstate(db), "");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = (PGresult *)&r;
		cr_expect_eq(hub_db_exec(db, &t_table, cases[i].stmt, cases[i].p, &r),
		    cases[i].err, "case %zu: %s", i, hub_db_last_error(db));
		cr_expect_null(r, "case %zu: no result on error", i);
		cr_expect_str_eq(hub_db_last_sqlstate(db), cases[i].sqlstate, "case %zu", i);
		cr_expect_neq(hub_db_last_error(db)[0], '\0', "case %zu", i);
	}
	/* The connection is still fine after all that. */
	cr_expect_eq(count_t(db), 1);
	cr_expect_eq(hub_db_classify(NULL), HUB_DB_NOMEM);
	cr_expect_str_neq(hub_db_strerror(HUB_DB_UNIQUE), hub_db_strerror(HUB_DB_CHECK));
	hub_db_close(db);
}

/* ------------------------------------------------------------ reconnect */

Test(db, reconnects_after_backend_killed)
{
	struct hub_db *db = fresh_connect();
	const char *ins[3] = { "1", "a", NULL };
	const char *sel[1] = { "1" };
	PGresult *r = NULL;
	int pid, pid2;

	make_tables(db);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, ins, NULL), HUB_DB_OK);
	pid = backend_pid(db);
	terminate(pid);
	/* A prepared statement on the lost connection: reset, re-prepare, retry. */
	cr_assert_eq(hub_db_exec(db, &t_table, T_SELECT, sel, &r), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	cr_expect_eq(PQntuples(r), 1);
	PQclear(r);
	pid2 = backend_pid(db);
	cr_expect_neq(pid, pid2, "a new backend serves us");
	/* And once more with a script. */
	terminate(pid2);
	cr_expect_eq(hub_db_exec_script(db, "SELECT 1"), HUB_DB_OK);
	terminate(backend_pid(db));
	cr_expect_eq(hub_db_ping(db), HUB_DB_OK);
	hub_db_close(db);
}

Test(db, connection_lost_inside_transaction_is_not_retried)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL };
	const char *b[3] = { "2", "b", NULL };

	make_tables(db);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK);
	terminate(backend_pid(db));
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_CONN);
	/* Still "in" the lost transaction: nothing runs in autocommit. */
	cr_expect_eq(hub_db_in_tx(db), 1);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_CONN);
	cr_expect_eq(hub_db_commit(db), HUB_DB_CONN);
	cr_expect_eq(hub_db_in_tx(db), 0);
	/* Outside the transaction the connection comes back; nothing was kept. */
	cr_expect_eq(count_t(db), 0);
	hub_db_close(db);
}

/* ------------------------------------------------------------ transactions */

Test(db, rollback_leaves_nothing_commit_keeps)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL };
	const char *b[3] = { "2", "b", NULL };

	make_tables(db);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_expect_eq(hub_db_in_tx(db), 1);
	cr_expect_eq(hub_db_begin(db), HUB_DB_QUERY, "no nested BEGIN");
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_OK);
	hub_db_rollback(db);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_eq(count_t(db), 0);

	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK);
	cr_expect_eq(hub_db_commit(db), HUB_DB_OK);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_eq(count_t(db), 1);
	cr_expect_eq(hub_db_commit(db), HUB_DB_QUERY, "COMMIT without BEGIN");
	hub_db_close(db);
}

Test(db, commit_of_failed_transaction_reports_the_error)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL };
	const char *b[3] = { "2", "b", NULL };

	make_tables(db);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_UNIQUE);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_QUERY,
	    "25P02: transaction aborted");
	cr_expect_eq(hub_db_commit(db), HUB_DB_UNIQUE);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_eq(count_t(db), 0);
	hub_db_close(db);
}

/*
 * hub_db_exec_each: each statement its own transaction, a later one seeing
 * what the earlier ones committed, a failed one stopping none of the
 * others, statements prepared on first use inside the batch and reused
 * after; all of it sent before the first answer is read (libpq's trace:
 * every message of ours, then the server's).  Inside a transaction they
 * run one by one and roll back with it.
 */
static void
each_call(struct hub_db_call *c, int id, const char *const *params)
{
	memset(c, 0, sizeof(*c));
	c->table = &t_table;
	c->id = id;
	c->params = params;
	c->res_wanted = 1;
}

/* What pg_stat_activity says the backend pid is doing ("idle",
 * "idle in transaction", …), from another connection. */
static char *
backend_state(int pid)
{
	char sql[128], *out;
	PGconn *c = admin_conn();
	PGresult *r;

	snprintf(sql, sizeof(sql), "SELECT state FROM pg_stat_activity WHERE pid = %d", pid);
	r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	cr_assert_eq(PQntuples(r), 1, "backend %d not found", pid);
	cr_assert_not_null(out = strdup(PQgetvalue(r, 0, 0)));
	PQclear(r);
	PQfinish(c);
	return out;
}

static void
expect_backend_state(int pid, const char *want)
{
	char *st = backend_state(pid);

	cr_expect_str_eq(st, want, "backend %d is %s, not %s", pid, st, want);
	free(st);
}

/*
 * hub_db_begin sends nothing: the BEGIN goes with the transaction's first
 * statement, in one round trip with it (and its prepare), which saves a
 * round trip per transaction.  Until then the backend is idle, not in a
 * transaction; after it, the statements are the transaction's.
 */
Test(db, begin_goes_with_the_first_statement_in_one_round_trip)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL }, *b[3] = { "2", "b", NULL };
	const char *c3[3] = { "3", "c", NULL };
	FILE *trace;
	int pid;

	make_tables(db);
	/* COMMIT prepared (its own round trip, once per connection). */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	pid = backend_pid(db);
	cr_assert_eq(hub_db_commit(db), HUB_DB_OK);
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	expect_backend_state(pid, "idle");
	/* T_INSERT is not prepared yet: BEGIN, its Parse and its Execute. */
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	expect_backend_state(pid, "idle in transaction");
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_commit(db), HUB_DB_OK);
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 3, "BEGIN with the first INSERT, the second, COMMIT");
	cr_expect_eq(count_t(db), 2);

	/* Prepared already; rolled back with the transaction. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, c3, NULL), HUB_DB_OK);
	expect_backend_state(pid, "idle in transaction");
	hub_db_rollback(db);
	expect_backend_state(pid, "idle");
	cr_expect_eq(count_t(db), 2);
	PQuntrace(hub_db_conn(db));
	fclose(trace);
	hub_db_close(db);
}

/* A transaction that runs nothing costs no round trip at all. */
Test(db, empty_transaction_sends_nothing)
{
	struct hub_db *db = fresh_connect();
	FILE *trace;

	make_tables(db);
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_expect_eq(hub_db_in_tx(db), 1);
	cr_expect_eq(hub_db_commit(db), HUB_DB_OK);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	hub_db_rollback(db);
	cr_expect_eq(hub_db_in_tx(db), 0);
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 0, "nothing sent");
	PQuntrace(hub_db_conn(db));
	fclose(trace);
	hub_db_close(db);
}

/* The first statement failing (to run, or to prepare) aborts the
 * transaction its BEGIN opened, as when BEGIN went on its own: the next
 * statement is refused and COMMIT reports the first error. */
Test(db, first_statement_failing_aborts_its_transaction)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL }, *bad[3] = { "2", "bad", NULL };

	make_tables(db);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, bad, NULL), HUB_DB_CHECK);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_QUERY,
	    "25P02: transaction aborted");
	cr_expect_eq(hub_db_commit(db), HUB_DB_CHECK);
	cr_expect_eq(count_t(db), 0);

	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_expect_eq(hub_db_exec(db, &t_table, T_SYNTAX, NULL, NULL), HUB_DB_QUERY);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_QUERY);
	cr_expect_neq(hub_db_commit(db), HUB_DB_OK);
	cr_expect_eq(count_t(db), 0);
	/* The connection is as good as ever, and the failed prepare is
	 * not taken for done. */
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK);
	cr_expect_eq(hub_db_exec(db, &t_table, T_SYNTAX, NULL, NULL), HUB_DB_QUERY);
	cr_expect_eq(count_t(db), 1);
	hub_db_close(db);
}

/* The server gone before the first statement: nothing of the transaction
 * ran, so it starts on a fresh connection; the raw connection inside a
 * transaction is inside it. */
Test(db, server_gone_before_first_statement_starts_afresh)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL };
	PGresult *r;
	int pid;

	make_tables(db);
	pid = backend_pid(db);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	terminate(pid);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	cr_expect_neq(backend_pid(db), pid, "a new backend");
	cr_expect_eq(hub_db_commit(db), HUB_DB_OK);
	cr_expect_eq(count_t(db), 1);

	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	r = PQexec(hub_db_conn(db), "INSERT INTO t (id, name) VALUES (9, 'raw')");
	cr_expect_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
	PQclear(r);
	hub_db_rollback(db);
	cr_expect_eq(count_t(db), 1, "the raw INSERT went with the rollback");
	hub_db_close(db);
}

/*
 * hub_db_exec_commit: the transaction's last statement and its COMMIT in
 * one round trip (with the BEGIN too, when it is the only statement).  A
 * failing statement rolls the whole transaction back and leaves the
 * connection ready; no transaction open is an error.
 */
Test(db, exec_commit_ends_the_transaction_in_the_statements_round_trip)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL }, *b[3] = { "2", "b", NULL };
	const char *c3[3] = { "3", "c", NULL }, *bad[3] = { "4", "bad", NULL };
	const char *e[3] = { "5", "e", NULL }, *one[1] = { "2" };
	PGresult *r = NULL;
	FILE *trace;

	make_tables(db);
	/* Every statement prepared first: the trace counts turns only. */
	cr_assert_eq(hub_db_exec(db, &t_table, T_SELECT, one, &r), HUB_DB_OK);
	PQclear(r);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, e, NULL), HUB_DB_OK);
	hub_db_rollback(db);
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK);
	cr_expect_eq(hub_db_exec_commit(db, &t_table, T_INSERT, b, NULL), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	cr_expect_eq(hub_db_in_tx(db), 0);
	/* Alone: BEGIN, the statement and COMMIT together; its rows back. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_expect_eq(hub_db_exec_commit(db, &t_table, T_SELECT, one, &r), HUB_DB_OK);
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 3, "BEGIN+INSERT, INSERT+COMMIT, BEGIN+SELECT+COMMIT");
	fclose(trace);
	cr_assert_not_null(r);
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "b");
	PQclear(r);
	cr_expect_eq(count_t(db), 2);

	/* The last statement failing: nothing of the transaction is kept. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, c3, NULL), HUB_DB_OK);
	cr_expect_eq(hub_db_exec_commit(db, &t_table, T_INSERT, bad, NULL), HUB_DB_CHECK);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_eq(count_t(db), 2, "row 3 went with the rollback");
	/* An earlier one failing: its error, and no COMMIT sent. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_UNIQUE);
	cr_expect_eq(hub_db_exec_commit(db, &t_table, T_INSERT, c3, NULL), HUB_DB_UNIQUE);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_eq(count_t(db), 2);
	cr_expect_eq(hub_db_exec_commit(db, &t_table, T_INSERT, c3, NULL), HUB_DB_QUERY,
	    "no transaction open");
	cr_expect_eq(count_t(db), 2);
	hub_db_close(db);
}

/* A fresh connection's count of t: what another session sees. */
static long
count_t_elsewhere(void)
{
	struct hub_db *other = fresh_connect();
	long n = count_t(other);

	hub_db_close(other);
	return n;
}

/*
 * hub_db_exec_later: statements whose rows nobody reads go with the
 * transaction's next statement, in its round trip, the BEGIN with them;
 * the next statement sees what they did.  The same statement queued
 * twice is prepared once; more than HUB_DB_LATER_MAX cost one round trip
 * more; outside a transaction the statement runs at once.
 */
Test(db, exec_later_goes_with_the_next_statement)
{
	struct hub_db *db = fresh_connect();
	const char *p[HUB_DB_LATER_MAX + 2][3];
	char ids[HUB_DB_LATER_MAX + 2][8];
	const char *one[1] = { "1" }, *z[3] = { "99", "z", NULL };
	PGresult *r = NULL;
	FILE *trace;
	int i;

	make_tables(db);
	for (i = 0; i < HUB_DB_LATER_MAX + 2; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%d", i + 1);
		p[i][0] = ids[i];
		p[i][1] = "x";
		p[i][2] = NULL;
	}
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	/* T_INSERT not prepared yet: prepared once, run three times. */
	for (i = 0; i < 3; i++)
		cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, p[i]), HUB_DB_OK,
		    "%s", hub_db_last_error(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 0, "nothing answered yet");
	cr_assert_eq(hub_db_exec(db, &t_table, T_COUNT, NULL, &r), HUB_DB_OK,
	    "%s", hub_db_last_error(db));
	cr_expect_str_eq(PQgetvalue(r, 0, 0), "3", "the count sees the queued rows");
	PQclear(r);
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 1, "BEGIN, three INSERTs and the count together");
	cr_expect_eq(count_t_elsewhere(), 0, "not committed yet");
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, p[3]), HUB_DB_OK);
	cr_expect_eq(hub_db_commit(db), HUB_DB_OK, "%s", hub_db_last_error(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 2, "the fourth INSERT went with the COMMIT");
	cr_expect_eq(count_t_elsewhere(), 4);

	/* A full queue is answered before the next one joins it. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	for (i = 4; i < HUB_DB_LATER_MAX + 2; i++)
		cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, p[i]), HUB_DB_OK);
	cr_expect_eq(hub_db_exec_commit(db, &t_table, T_SELECT, one, &r), HUB_DB_OK);
	PQclear(r);
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 3, "one round trip: the queue was not full");
	cr_expect_eq(count_t_elsewhere(), HUB_DB_LATER_MAX + 2);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	for (i = 0; i < HUB_DB_LATER_MAX + 1; i++)
		cr_assert_eq(hub_db_exec_later(db, &t_table, T_SELECT, one), HUB_DB_OK);
	cr_expect_eq(hub_db_commit(db), HUB_DB_OK);
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 5, "a full queue, then the rest with the COMMIT");

	/* Outside a transaction: at once, committed. */
	cr_expect_eq(hub_db_exec_later(db, &t_table, T_INSERT, z), HUB_DB_OK);
	cr_expect_eq(count_t_elsewhere(), HUB_DB_LATER_MAX + 3);
	PQuntrace(hub_db_conn(db));
	fclose(trace);
	hub_db_close(db);
}

/*
 * A queued statement that fails reports its error with the next
 * statement (the first error among them), the transaction aborted as
 * ever: COMMIT reports it, nothing of it is kept, the connection is
 * ready.  A rollback with statements queued, a failed prepare queued,
 * and the server gone with statements queued (the transaction lost,
 * never replayed).
 */
Test(db, exec_later_failure_comes_with_the_next_statement)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL }, *b[3] = { "2", "b", NULL };
	const char *bad[3] = { "3", "bad", NULL }, *c3[3] = { "4", "c", NULL };
	PGresult *r = NULL;
	int pid;

	make_tables(db);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, a, NULL), HUB_DB_OK);
	/* Queued: a duplicate key, then a good row; read: the count. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, b), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, a), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, c3), HUB_DB_OK);
	cr_expect_eq(hub_db_exec(db, &t_table, T_COUNT, NULL, &r), HUB_DB_UNIQUE,
	    "the queued INSERT's error");
	cr_expect_null(r);
	cr_expect_str_eq(hub_db_last_sqlstate(db), "23505");
	cr_expect_eq(hub_db_commit(db), HUB_DB_UNIQUE);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_eq(count_t(db), 1, "rows 2 and 4 went with the rollback");

	/* Failing with the COMMIT itself. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, bad), HUB_DB_OK);
	cr_expect_eq(hub_db_commit(db), HUB_DB_CHECK);
	cr_expect_eq(count_t(db), 1);
	cr_expect_eq(count_t_elsewhere(), 1);

	/* Rolled back with statements queued; a prepare that fails. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, b), HUB_DB_OK);
	hub_db_rollback(db);
	cr_expect_eq(count_t(db), 1);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_SYNTAX, NULL), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_SYNTAX, NULL), HUB_DB_OK);
	cr_expect_eq(hub_db_commit(db), HUB_DB_QUERY);
	cr_expect_eq(hub_db_exec(db, &t_table, T_SYNTAX, NULL, NULL), HUB_DB_QUERY,
	    "not taken for prepared");
	cr_expect_eq(hub_db_exec(db, &t_table, T_INSERT, b, NULL), HUB_DB_OK,
	    "the connection is as good as ever");
	cr_expect_eq(count_t(db), 2);

	/* The server gone with a statement queued: lost, not replayed. */
	pid = backend_pid(db);
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	cr_assert_eq(hub_db_exec_later(db, &t_table, T_INSERT, c3), HUB_DB_OK);
	terminate(pid);
	cr_expect_eq(hub_db_exec(db, &t_table, T_COUNT, NULL, &r), HUB_DB_CONN);
	cr_expect_eq(hub_db_exec_later(db, &t_table, T_INSERT, c3), HUB_DB_CONN);
	cr_expect_eq(hub_db_commit(db), HUB_DB_CONN);
	cr_expect_eq(count_t(db), 2, "a fresh connection, row 4 not there");
	cr_expect_neq(backend_pid(db), pid);
	hub_db_close(db);
}

Test(db, exec_each_runs_each_in_its_own_transaction_in_one_round_trip)
{
	struct hub_db *db = fresh_connect();
	const char *a[3] = { "1", "a", NULL }, *b[3] = { "2", "bad", NULL };
	const char *c3[3] = { "3", "c", "note" }, *one[1] = { "1" };
	struct hub_db_call c[5];
	FILE *trace;
	int i;

	make_tables(db);
	cr_assert_not_null(trace = tmpfile());
	PQtrace(hub_db_conn(db), trace);	/* then its flags: PQtrace clears them */
	PQsetTraceFlags(hub_db_conn(db), PQTRACE_SUPPRESS_TIMESTAMPS);
	each_call(&c[0], T_INSERT, a);
	each_call(&c[1], T_SELECT, one);	/* sees row 1, committed before it */
	each_call(&c[2], T_INSERT, b);		/* CHECK violation: its own failure */
	each_call(&c[3], T_INSERT, c3);		/* runs anyway */
	each_call(&c[4], T_SYNTAX, NULL);	/* fails to prepare */
	cr_expect_eq(hub_db_exec_each(db, c, 5), HUB_DB_CHECK, "the first error");
	PQuntrace(hub_db_conn(db));
	fflush(trace);
	cr_expect_eq(th_trace_turns(trace), 1, "one round trip for five statements");
	fclose(trace);
	cr_expect_eq(c[0].err, HUB_DB_OK);
	cr_expect_eq(c[1].err, HUB_DB_OK);
	cr_assert_not_null(c[1].res);
	cr_expect_eq(PQntuples(c[1].res), 1, "the SELECT saw the INSERT before it");
	cr_expect_str_eq(PQgetvalue(c[1].res, 0, 0), "a");
	cr_expect_eq(c[2].err, HUB_DB_CHECK);
	cr_expect_null(c[2].res);
	cr_expect_eq(c[3].err, HUB_DB_OK);
	cr_expect_eq(c[4].err, HUB_DB_QUERY);
	cr_expect_str_eq(hub_db_last_sqlstate(db), "42601");
	for (i = 0; i < 5; i++)
		PQclear(c[i].res);
	cr_expect_eq(count_t(db), 2, "rows 1 and 3 committed, 2 not");

	/* Prepared inside the batch, reused after; the connection is
	 * usable as ever. */
	each_call(&c[0], T_SELECT, c3);
	each_call(&c[1], T_COUNT, NULL);
	cr_expect_eq(hub_db_exec_each(db, c, 2), HUB_DB_OK);
	cr_expect_str_eq(PQgetvalue(c[0].res, 0, 0), "c");
	cr_expect_str_eq(PQgetvalue(c[1].res, 0, 0), "2");
	PQclear(c[0].res);
	PQclear(c[1].res);

	/* Inside a transaction: one by one, and gone with its rollback. */
	cr_assert_eq(hub_db_begin(db), HUB_DB_OK);
	each_call(&c[0], T_INSERT, (const char *[3]){ "4", "d", NULL });
	each_call(&c[1], T_COUNT, NULL);
	cr_expect_eq(hub_db_exec_each(db, c, 2), HUB_DB_OK);
	cr_expect_str_eq(PQgetvalue(c[1].res, 0, 0), "3");
	PQclear(c[0].res);
	PQclear(c[1].res);
	hub_db_rollback(db);
	cr_expect_eq(count_t(db), 2);
	hub_db_close(db);
}

/* The server gone between two batches: the next one reconnects first,
 * as hub_db_exec does. */
Test(db, exec_each_reconnects_after_backend_killed)
{
	struct hub_db *db = fresh_connect();
	struct hub_db_call c[2];
	int pid;

	make_tables(db);
	pid = backend_pid(db);
	terminate(pid);
	each_call(&c[0], T_PID, NULL);
	each_call(&c[1], T_COUNT, NULL);
	cr_expect_eq(hub_db_exec_each(db, c, 2), HUB_DB_OK, "%s", hub_db_last_error(db));
	cr_assert_not_null(c[0].res);
	cr_expect_neq(strtol(PQgetvalue(c[0].res, 0, 0), NULL, 10), pid, "a new backend");
	cr_expect_str_eq(PQgetvalue(c[1].res, 0, 0), "0");
	PQclear(c[0].res);
	PQclear(c[1].res);
	hub_db_close(db);
}

/* ------------------------------------------------------------ migrations */

TestSuite(migrate, .init = fresh_setup, .fini = fresh_teardown, .timeout = 60);

Test(migrate, names)
{
	static const struct { const char *name; int v; } cases[] = {
		{ "0001_core.sql", 1 },
		{ "0002_slack.sql", 2 },
		{ "0123_a_b9.sql", 123 },
		{ "9999_x.sql", 9999 },
		{ "0000_zero.sql", -1 },
		{ "001_short.sql", -1 },
		{ "0001core.sql", -1 },
		{ "0001_.sql", -1 },
		{ "0001_Core.sql", -1 },
		{ "0001_co-re.sql", -1 },
		{ "0001_core.sql.bak", -1 },
		{ "0001_core.SQL", -1 },
		{ "abcd_core.sql", -1 },
		{ "", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(migrate_parse_name(cases[i].name), cases[i].v, "%s", cases[i].name);
	cr_expect_eq(migrate_parse_name(NULL), -1);
}

Test(migrate, validate_tables)
{
	static const struct hub_embed ok[] = {
		{ "0001_a.sql", "", 0 }, { "0003_b.sql", "", 0 }, { NULL, NULL, 0 } };
	static const struct hub_embed unordered[] = {
		{ "0002_a.sql", "", 0 }, { "0001_b.sql", "", 0 }, { NULL, NULL, 0 } };
	static const struct hub_embed dup[] = {
		{ "0001_a.sql", "", 0 }, { "0001_b.sql", "", 0 }, { NULL, NULL, 0 } };
	static const struct hub_embed badname[] = {
		{ "0001_a.sql", "", 0 }, { "2_b.sql", "", 0 }, { NULL, NULL, 0 } };
	static const struct hub_embed empty[] = { { NULL, NULL, 0 } };
	static const struct { const struct hub_embed *t; int rc, newest; } cases[] = {
		{ ok, HUB_MIGRATE_OK, 3 },
		{ unordered, HUB_MIGRATE_BADNAME, -1 },
		{ dup, HUB_MIGRATE_BADNAME, -1 },
		{ badname, HUB_MIGRATE_BADNAME, -1 },
		{ empty, HUB_MIGRATE_OK, 0 },
		{ hub_embed_migrations, HUB_MIGRATE_OK, -2 },
	};
	size_t i;
	int newest;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		newest = -1;
		cr_expect_eq(migrate_validate(cases[i].t, &newest), cases[i].rc, "case %zu", i);
		if (cases[i].newest >= -1)
			cr_expect_eq(newest, cases[i].newest, "case %zu", i);
	}
}

Test(migrate, check_reports_missing_migration)
{
	struct hub_db *db = fresh_connect();
	int dbv = 0, binv = 0, applied = 0;

	cr_assert_eq(hub_migrate_run(db, NULL), HUB_MIGRATE_OK);
	cr_assert_eq(hub_db_exec_script(db,
	    "DELETE FROM schema_migrations WHERE version = 1"), HUB_DB_OK);
	cr_expect_eq(hub_migrate_check(db, &dbv, &binv), HUB_MIGRATE_PENDING);
	cr_expect_eq(dbv, binv);
	/* Re-running 0001 on an existing schema fails cleanly, in its own
	 * transaction: nothing half-applied, the error is reported. */
	cr_expect_eq(hub_migrate_run(db, &applied), HUB_MIGRATE_DB);
	cr_expect_eq(applied, 0);
	cr_expect_eq(hub_db_in_tx(db), 0);
	cr_expect_str_eq(hub_db_last_sqlstate(db), "42723", "%s", hub_db_last_error(db));
	hub_db_close(db);
}

Test(migrate, applies_once)
{
	struct hub_db *db = fresh_connect();
	int applied = -1, dbv = -1, binv = -1;

	cr_assert_gt(n_embedded(), 0);
	cr_expect_eq(hub_migrate_check(db, &dbv, &binv), HUB_MIGRATE_PENDING);
	cr_expect_eq(dbv, 0);
	cr_expect_eq(binv, migrate_parse_name(hub_embed_migrations[n_embedded() - 1].name));

	cr_assert_eq(hub_migrate_run(db, &applied), HUB_MIGRATE_OK, "%s", hub_db_last_error(db));
	cr_expect_eq(applied, n_embedded());
	cr_assert_eq(hub_migrate_run(db, &applied), HUB_MIGRATE_OK);
	cr_expect_eq(applied, 0);
	cr_expect_eq(hub_migrate_check(db, &dbv, &binv), HUB_MIGRATE_OK);
	cr_expect_eq(dbv, binv);
	cr_expect_eq(hub_db_in_tx(db), 0);
	hub_db_close(db);
}

Test(migrate, refuses_newer_database)
{
	struct hub_db *db = fresh_connect();
	int applied = -1, dbv = 0, binv = 0;

	cr_assert_eq(hub_migrate_run(db, &applied), HUB_MIGRATE_OK);
	cr_assert_eq(hub_db_exec_script(db,
	    "INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')"),
	    HUB_DB_OK);
	cr_expect_eq(hub_migrate_run(db, &applied), HUB_MIGRATE_TOO_NEW);
	cr_expect_eq(applied, 0);
	cr_expect_eq(hub_migrate_check(db, &dbv, &binv), HUB_MIGRATE_TOO_NEW);
	cr_expect_eq(dbv, 9999);
	cr_expect_eq(hub_db_in_tx(db), 0, "lock transaction closed");
	hub_db_close(db);
}

Test(migrate, concurrent_processes)
{
	enum { NPROC = 4 };
	pid_t pids[NPROC];
	int i, status, total = 0, applied;
	struct hub_db *db;
	PGresult *r = NULL;
	static const struct hub_stmt st[] = {
		{ "SELECT count(*) FROM schema_migrations", 0 },
	};
	static const struct hub_stmt_table tt = { "tmc", st, 1 };

	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		cr_assert_neq(pids[i], -1);
		if (pids[i] == 0) {
			struct hub_db *cdb = NULL;
			int n = 0;

			if (hub_db_connect_limits(fresh_url, NULL, &cdb) != HUB_DB_OK)
				_exit(100);
			if (hub_migrate_run(cdb, &n) != HUB_MIGRATE_OK)
				_exit(101);
			hub_db_close(cdb);
			_exit(n);	/* how many this process applied */
		}
	}
	for (i = 0; i < NPROC; i++) {
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status));
		cr_expect_lt(WEXITSTATUS(status), 100, "child %d failed: %d", i,
		    WEXITSTATUS(status));
		total += WEXITSTATUS(status);
	}
	cr_expect_eq(total, n_embedded(), "each migration applied exactly once");
	db = fresh_connect();
	cr_assert_eq(hub_db_exec(db, &tt, 0, NULL, &r), HUB_DB_OK);
	cr_expect_eq(cell_ll(r, 0, 0), n_embedded());
	PQclear(r);
	cr_expect_eq(hub_migrate_run(db, &applied), HUB_MIGRATE_OK);
	cr_expect_eq(applied, 0);
	hub_db_close(db);
}

/* ------------------------------------------------------------ schema */

enum s_stmt {
	S_SOURCE,
	S_REQUEST,
	S_CONN_WEBHOOK,
	S_JOB,
	S_STEP,
	S_ASSIGN,
	S_AUDIT,
	S_USER,
	S_DELIVERY,
	S_SEARCH,
	S_EXT_DUP,
	S__MAX
};

static const struct hub_stmt s_stmts[S__MAX] = {
	[S_SOURCE] = { "INSERT INTO sources (name) VALUES ($1) RETURNING id", 1 },
	[S_REQUEST] = { "INSERT INTO requests (source_id, requester_name, status,"
	    " title, justification) VALUES ($1::uuid, 'Ann', $2, $3, $4) RETURNING id", 4 },
	[S_CONN_WEBHOOK] = { "INSERT INTO slack_connections (name, type,"
	    " webhook_url_enc, bot_token_enc, is_default) VALUES ($1, $2, 'enc', $3,"
	    " $4::boolean) RETURNING id", 4 },
	[S_JOB] = { "INSERT INTO jobs (kind, state, locked_by, locked_until)"
	    " VALUES ($1, $2, 'w', now())", 2 },
	[S_STEP] = { "INSERT INTO request_steps (request_id, position, rule, quorum)"
	    " VALUES ($1::uuid, $2::integer, $3, $4::integer) RETURNING id", 4 },
	[S_ASSIGN] = { "INSERT INTO assignments (request_id, step_id, approver_kind,"
	    " approver_value, status, decided_at)"
	    " VALUES ($1::uuid, $2::bigint, $3, 'U1', $4, now())", 4 },
	[S_AUDIT] = { "INSERT INTO audit_log (actor, action, via) VALUES ('a', 'created', $1)", 1 },
	[S_USER] = { "INSERT INTO users (name, email, role) VALUES ('u', $1, $2)", 2 },
	[S_DELIVERY] = { "INSERT INTO delivery_log (kind, transport, status)"
	    " VALUES ($1, $2, $3)", 3 },
	[S_SEARCH] = { "SELECT count(*) FROM requests"
	    " WHERE search @@ plainto_tsquery('english', $1)", 1 },
	[S_EXT_DUP] = { "INSERT INTO requests (source_id, requester_name, external_id)"
	    " VALUES ($1::uuid, 'Ann', 'EXT-1')", 1 },
};

static const struct hub_stmt_table s_table = { "tschema", s_stmts, S__MAX };

static char *
returning(struct hub_db *db, int stmt, const char *const *p)
{
	PGresult *r = NULL;
	char *v;

	cr_assert_eq(hub_db_exec(db, &s_table, stmt, p, &r), HUB_DB_OK,
	    "stmt %d: %s", stmt, hub_db_last_error(db));
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

Test(migrate, schema_constraints)
{
	struct hub_db *db = fresh_connect();
	char *src, *req, *step;
	const char *p[4];
	size_t i;
	static const struct {
		int		 stmt;
		const char	*p[4];
		int		 err;
	} cases[] = {
		/* good rows first, then the bad ones each column must refuse */
		{ S_JOB, { "slack.post", "queued" }, HUB_DB_OK },
		{ S_JOB, { "slack.post", "running" }, HUB_DB_OK },
		{ S_JOB, { "slack.post", "sleeping" }, HUB_DB_CHECK },
		{ S_JOB, { "Bad Kind!", "queued" }, HUB_DB_CHECK },
		{ S_AUDIT, { "slack" }, HUB_DB_OK },
		{ S_AUDIT, { "email" }, HUB_DB_CHECK },
		{ S_USER, { "a@example.com", "admin" }, HUB_DB_OK },
		{ S_USER, { "b@example.com", "root" }, HUB_DB_CHECK },
		{ S_USER, { "a@example.com", "viewer" }, HUB_DB_UNIQUE },
		{ S_USER, { "A@example.com", "viewer" }, HUB_DB_CHECK },
		{ S_DELIVERY, { "reminder", "slack", "delivered" }, HUB_DB_OK },
		{ S_DELIVERY, { "reminder", "slack", "lost" }, HUB_DB_CHECK },
		{ S_DELIVERY, { "reminder", "pigeon", "queued" }, HUB_DB_CHECK },
		{ S_DELIVERY, { "spam", "slack", "queued" }, HUB_DB_CHECK },
		{ S_CONN_WEBHOOK, { "c1", "INCOMING_WEBHOOK", NULL, "true" }, HUB_DB_OK },
		{ S_CONN_WEBHOOK, { "c2", "INCOMING_WEBHOOK", NULL, "true" }, HUB_DB_UNIQUE },
		{ S_CONN_WEBHOOK, { "c3", "INCOMING_WEBHOOK", NULL, "false" }, HUB_DB_OK },
		{ S_CONN_WEBHOOK, { "c1", "INCOMING_WEBHOOK", NULL, "false" }, HUB_DB_UNIQUE },
		{ S_CONN_WEBHOOK, { "c4", "TEAMS", NULL, "false" }, HUB_DB_CHECK },
		{ S_CONN_WEBHOOK, { "c5", "INCOMING_WEBHOOK_LOOKUP", NULL, "false" }, HUB_DB_CHECK },
		{ S_CONN_WEBHOOK, { "c6", "INCOMING_WEBHOOK_LOOKUP", "tok", "false" }, HUB_DB_OK },
	};

	cr_assert_eq(hub_migrate_run(db, NULL), HUB_MIGRATE_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		PGresult *r = NULL;

		cr_expect_eq(hub_db_exec(db, &s_table, cases[i].stmt, cases[i].p, &r),
		    cases[i].err, "case %zu: %s", i, hub_db_last_error(db));
		PQclear(r);
	}

	/* requests: status CHECK, (source, external_id) unique, search */
	p[0] = "Workday";
	src = returning(db, S_SOURCE, p);
	cr_expect_eq(hub_db_exec(db, &s_table, S_SOURCE, p, NULL), HUB_DB_UNIQUE);
	p[0] = src; p[1] = "Pending"; p[2] = "Laptop purchase";
	p[3] = "Needed for the new hire in accounting";
	req = returning(db, S_REQUEST, p);
	p[1] = "Bogus";
	cr_expect_eq(hub_db_exec(db, &s_table, S_REQUEST, p, NULL), HUB_DB_CHECK);
	p[1] = "pending";
	cr_expect_eq(hub_db_exec(db, &s_table, S_REQUEST, p, NULL), HUB_DB_CHECK);
	p[0] = "00000000-0000-0000-0000-000000000000"; p[1] = "Pending";
	cr_expect_eq(hub_db_exec(db, &s_table, S_REQUEST, p, NULL), HUB_DB_FKEY);
	p[0] = src;
	cr_expect_eq(hub_db_exec(db, &s_table, S_EXT_DUP, p, NULL), HUB_DB_OK);
	cr_expect_eq(hub_db_exec(db, &s_table, S_EXT_DUP, p, NULL), HUB_DB_UNIQUE);
	{
		static const struct { const char *q; const char *n; } sq[] = {
			{ "laptop", "1" }, { "hire", "1" }, { "accounting", "1" },
			{ "spaceship", "0" },
		};
		PGresult *r = NULL;

		for (i = 0; i < sizeof(sq) / sizeof(sq[0]); i++) {
			p[0] = sq[i].q;
			cr_assert_eq(hub_db_exec(db, &s_table, S_SEARCH, p, &r), HUB_DB_OK);
			cr_expect_str_eq(PQgetvalue(r, 0, 0), sq[i].n, "search %s", sq[i].q);
			PQclear(r);
		}
	}

	/* steps: rule CHECK and quorum coherence; assignments: status CHECK */
	p[0] = req; p[1] = "1"; p[2] = "any"; p[3] = NULL;
	step = returning(db, S_STEP, p);
	p[1] = "2"; p[2] = "quorum"; p[3] = NULL;
	cr_expect_eq(hub_db_exec(db, &s_table, S_STEP, p, NULL), HUB_DB_CHECK);
	p[2] = "majority"; p[3] = NULL;
	cr_expect_eq(hub_db_exec(db, &s_table, S_STEP, p, NULL), HUB_DB_CHECK);
	p[0] = req; p[1] = step; p[2] = "slack"; p[3] = "approved";
	cr_expect_eq(hub_db_exec(db, &s_table, S_ASSIGN, p, NULL), HUB_DB_OK);
	p[3] = "maybe";
	cr_expect_eq(hub_db_exec(db, &s_table, S_ASSIGN, p, NULL), HUB_DB_CHECK);
	p[2] = "fax"; p[3] = "pending";
	cr_expect_eq(hub_db_exec(db, &s_table, S_ASSIGN, p, NULL), HUB_DB_CHECK);
	free(src);
	free(req);
	free(step);
	hub_db_close(db);
}
