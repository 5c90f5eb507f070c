/*
 * problems.c - delivery problems, the job queue, Retry.  See problems.h.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "approval/engine.h"
#include "base/common.h"
#include "notify/problems.h"
#include "slack/slackapi.h"
#include "store/jobs.h"
#include "store/pgjson.h"
#include "store/sqlfrag.h"

#define ISO HUB_SQL_ISO

enum stmt {
	STMT_LIST,
	STMT_QUEUE,
	STMT_OUTCOMES,
	STMT_LOCK,
	STMT_MARK,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 limit */
	[STMT_LIST] = {
	    "SELECT d.id, d.request_id, coalesce(r.title, '') AS title, d.job_id, d.kind,"
	    " d.transport, d.channel, d.recipient, d.status, d.retries, d.error_code,"
	    " d.error_detail, " ISO("d.created_at") " AS created_at, "
	    ISO("d.updated_at") " AS updated_at, j.state AS job_state, j.attempts,"
	    " j.max_attempts, " ISO("j.run_at") " AS run_at, j.last_error"
	    " FROM delivery_log d LEFT JOIN jobs j ON j.id = d.job_id"
	    " LEFT JOIN requests r ON r.id = d.request_id"
	    " WHERE d.status IN ('failed', 'retrying')"
	    " ORDER BY d.created_at DESC, d.id DESC LIMIT $1::int", 1 },
	[STMT_QUEUE] = {
	    "SELECT kind, state, n FROM ("
	    " SELECT j.kind, j.state, count(*) AS n FROM jobs j"
	    "  WHERE j.state IN ('queued', 'running') GROUP BY 1, 2"
	    " UNION ALL"
	    " SELECT j.kind, j.state, count(*) FROM jobs j WHERE j.state IN ('done', 'failed')"
	    "  AND j.updated_at > now() - interval '24 hours' GROUP BY 1, 2) q"
	    " ORDER BY kind, state", 0 },
	/* $1 days */
	[STMT_OUTCOMES] = {
	    "SELECT v.status, (SELECT count(*) FROM delivery_log d WHERE d.status = v.status"
	    "  AND d.created_at >= " HUB_SQL_UTC_DAYS_AGO("$1") ") AS n"
	    " FROM (VALUES (1, 'delivered'), (2, 'failed'), (3, 'retrying'), (4, 'queued'),"
	    "  (5, 'sending')) v(o, status) ORDER BY v.o", 1 },
	/* $1 delivery id */
	[STMT_LOCK] = {
	    "SELECT d.job_id, coalesce(d.request_id::text, ''), d.status, d.kind, d.transport,"
	    " coalesce(d.error_code, '') FROM delivery_log d WHERE d.id = $1::bigint FOR UPDATE", 1 },
	/* $1 job id: its failures are to be sent again, not replayed */
	[STMT_MARK] = {
	    "UPDATE delivery_log SET status = 'retrying'"
	    " WHERE job_id = $1::bigint AND status = 'failed'", 1 },
};

static const struct hub_stmt_table problems_stmts = { "problems", stmts, STMT__MAX };

/* ------------------------------------------------------------ fixes */

/* What to do about a callback's answer (notify/callbacks.c's codes). */
static const struct {
	const char	*code;
	const char	*fix;
} callback_fixes[] = {
	{ "http_401", "The source system refused the signature: give it the source's callback"
	  " secret and check that it verifies X-Hub-Signature as the README describes" },
	{ "http_403", "The source system refused the signature: give it the source's callback"
	  " secret and check that it verifies X-Hub-Signature as the README describes" },
	{ "http_404", "The source system has nothing at the callback URL: correct the source's"
	  " callback URL" },
	{ "http_405", "The callback URL does not take POST: correct the source's callback URL" },
	{ "http_410", "The callback URL is gone: correct the source's callback URL" },
	{ "connect", "The source system could not be reached: check the callback URL's host,"
	  " DNS and firewall; the hub retries for 24 hours" },
	{ "timeout", "The source system did not answer in time: check that it is up; the hub"
	  " retries for 24 hours" },
	{ "address_refused", "The callback URL points to a network the hub may not call: allow"
	  " it with the setting callbacks.allow_networks, or correct the URL" },
	{ "bad_url", "The callback URL is malformed: correct the source's callback URL" },
};

#define FIX_CALLBACK_4XX "The source system refused the callback: see its logs for why"
#define FIX_CALLBACK_5XX "The source system failed while taking the callback: see its logs;" \
	" the hub retries for 24 hours, or press Retry once it is fixed"
#define FIX_CALLBACK "See the attempts of the job below; press Retry once the cause is fixed"
#define FIX_EMAIL "The mail server refused the message or could not be reached: check" \
	" SMTP_URL and SMTP_FROM where the worker runs, and the recipient's address"

static const char *
callback_fix(const char *code)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(callback_fixes); i++)
		if (strcmp(code, callback_fixes[i].code) == 0)
			return callback_fixes[i].fix;
	if (strncmp(code, "http_4", 6) == 0 && strcmp(code, "http_408") != 0 &&
	    strcmp(code, "http_429") != 0)
		return FIX_CALLBACK_4XX;
	if (strncmp(code, "http_", 5) == 0)
		return FIX_CALLBACK_5XX;
	return FIX_CALLBACK;
}

const char *
hub_problems_fix(const char *transport, const char *code)
{
	if (code == NULL)
		code = "";
	if (transport != NULL && strcmp(transport, "callback") == 0)
		return callback_fix(code);
	if (transport != NULL && strcmp(transport, "email") == 0)
		return FIX_EMAIL;
	return hub_slack_fix(code);
}

/* ------------------------------------------------------------ reads */

static int
rows(struct hub_db *db, int stmt, const char *const *params, json_object **out)
{
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	if ((rc = hub_db_exec(db, &problems_stmts, stmt, params, &res)) != HUB_DB_OK)
		return rc;
	*out = hub_pgjson_rows(res, PQntuples(res));
	PQclear(res);
	return *out != NULL ? HUB_DB_OK : HUB_DB_NOMEM;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

int
hub_problems_list(struct hub_db *db, int limit, json_object **out)
{
	char lim[HUB_INT_TEXT_SIZE];
	const char *params[1] = { lim };
	const char *state;
	json_object *row;
	size_t i, n;
	int rc;

	if (limit < 1 || limit > HUB_PROBLEMS_LIST_MAX)
		limit = HUB_PROBLEMS_LIST_MAX;
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((rc = rows(db, STMT_LIST, params, out)) != HUB_DB_OK)
		return rc;
	n = json_object_array_length(*out);
	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(*out, i);
		state = str_of(row, "job_state");
		json_object_object_add(row, "fix", json_object_new_string(
		    hub_problems_fix(str_of(row, "transport"), str_of(row, "error_code"))));
		json_object_object_add(row, "can_retry", json_object_new_boolean(state != NULL &&
		    (strcmp(state, "failed") == 0 || strcmp(state, "queued") == 0)));
	}
	return HUB_DB_OK;
}

int
hub_problems_queue(struct hub_db *db, json_object **out)
{
	return rows(db, STMT_QUEUE, NULL, out);
}

int
hub_problems_outcomes(struct hub_db *db, int days, json_object **out)
{
	char d[HUB_INT_TEXT_SIZE];
	const char *params[1] = { d };

	*out = NULL;
	if (days < 1 || days > 366)
		return HUB_DB_CHECK;
	snprintf(d, sizeof(d), "%d", days);
	return rows(db, STMT_OUTCOMES, params, out);
}

/* ------------------------------------------------------------ retry */

static int
problems_dberr(int rc)
{
	return rc == HUB_DB_CONN ? HUB_PROBLEMS_UNAVAILABLE : HUB_PROBLEMS_DB;
}

/* The audit row: which delivery, which job, what it had failed with. */
static int
retried(struct hub_db *db, const PGresult *res, const char *id, int64_t job,
    const struct hub_actor *actor)
{
	json_object *d = json_object_new_object();
	const char *req = PQgetvalue(res, 0, 1);
	int rc;

	if (d == NULL)
		return HUB_PROBLEMS_DB;
	json_object_object_add(d, "delivery_id", json_object_new_string(id));
	json_object_object_add(d, "job_id", json_object_new_int64(job));
	json_object_object_add(d, "status", json_object_new_string(PQgetvalue(res, 0, 2)));
	json_object_object_add(d, "kind", json_object_new_string(PQgetvalue(res, 0, 3)));
	json_object_object_add(d, "transport", json_object_new_string(PQgetvalue(res, 0, 4)));
	json_object_object_add(d, "error_code", json_object_new_string(PQgetvalue(res, 0, 5)));
	rc = hub_engine_audit(db, req[0] != '\0' ? req : NULL, actor, "delivery.retried", d);
	json_object_put(d);
	return rc == HUB_ENGINE_OK ? HUB_PROBLEMS_OK :
	    rc == HUB_ENGINE_UNAVAILABLE ? HUB_PROBLEMS_UNAVAILABLE : HUB_PROBLEMS_DB;
}

int
hub_problems_retry(struct hub_db *db, int64_t id, const struct hub_actor *actor,
    int64_t *job_id)
{
	char idbuf[HUB_INT64_TEXT_SIZE], jobbuf[HUB_INT64_TEXT_SIZE];
	const char *params[1] = { idbuf }, *status;
	PGresult *res = NULL;
	int64_t job = 0;
	int rc;

	if (job_id != NULL)
		*job_id = 0;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		return problems_dberr(rc);
	if ((rc = hub_db_exec(db, &problems_stmts, STMT_LOCK, params, &res)) != HUB_DB_OK) {
		rc = problems_dberr(rc);
		goto out;
	}
	if (PQntuples(res) != 1) {
		rc = HUB_PROBLEMS_NOTFOUND;
		goto out;
	}
	status = PQgetvalue(res, 0, 2);
	if ((strcmp(status, "failed") != 0 && strcmp(status, "retrying") != 0) ||
	    hub_db_get_int64(res, 0, 0, &job) != HUB_DB_OK) {
		rc = HUB_PROBLEMS_CONFLICT;
		goto out;
	}
	if ((rc = hub_job_retry(db, job)) != HUB_DB_OK) {
		rc = rc == HUB_DB_NOTFOUND || rc == HUB_DB_UNIQUE ? HUB_PROBLEMS_CONFLICT :
		    problems_dberr(rc);
		goto out;
	}
	snprintf(jobbuf, sizeof(jobbuf), "%lld", (long long)job);
	params[0] = jobbuf;
	if ((rc = hub_db_exec(db, &problems_stmts, STMT_MARK, params, NULL)) != HUB_DB_OK) {
		rc = problems_dberr(rc);
		goto out;
	}
	if ((rc = retried(db, res, idbuf, job, actor)) != HUB_PROBLEMS_OK)
		goto out;
	rc = hub_db_commit(db) == HUB_DB_OK ? HUB_PROBLEMS_OK : HUB_PROBLEMS_DB;
	if (rc == HUB_PROBLEMS_OK && job_id != NULL)
		*job_id = job;
out:
	PQclear(res);
	if (hub_db_in_tx(db))
		hub_db_rollback(db);
	return rc;
}
