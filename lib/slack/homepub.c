/*
 * homepub.c - getting the Home tab to Slack: the home_publish table (the
 * stored view state, the in-flight and dirty marks that coalesce
 * publishes), hub_home_enqueue, and the "home_publish" job that loads
 * (home.c), builds (homeview.c) and calls views.publish.  See homepub.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slack/connections.h"
#include "slack/home.h"
#include "store/jobs.h"
#include "base/json.h"
#include "slack/payload.h"
#include "slack/slackapi.h"

#define HOME_FOLLOWUP_S		2
#define HOME_KEY_MAX		160    /* home_publish:<uuid>:<user>:after:<job> */

enum homepub_stmt {
	HP_ENQUEUE,
	HP_STATE_SAVE,
	HP_JOB_START,
	HP_JOB_DONE,
	HP_JOB_GIVEUP,
	HP__MAX
};

static const struct hub_stmt homepub_stmts[HP__MAX] = {
	/* $1 connection, $2 user.  Mark for a publish; the row says whether a
	 * job must be queued (nothing in flight, or a mark older than 10
	 * minutes) and when: 2 s after the last publish at the earliest. */
	[HP_ENQUEUE] = {
	    "INSERT INTO home_publish AS h (connection_id, slack_user_id, in_flight,"
	    " dirty, updated_at) VALUES ($1::uuid, $2, true, false, now())"
	    " ON CONFLICT (connection_id, slack_user_id) DO UPDATE SET"
	    " dirty = (h.in_flight AND h.updated_at > now() - interval '10 minutes'),"
	    " updated_at = CASE WHEN h.in_flight AND h.updated_at > now() - interval '10 minutes'"
	    "  THEN h.updated_at ELSE now() END,"
	    " in_flight = true"
	    " RETURNING NOT dirty, ceil(extract(epoch FROM greatest(now(),"
	    "  last_published_at + interval '" "2" " seconds')))::bigint", 2 },
	/* $1 connection, $2 user, $3 state */
	[HP_STATE_SAVE] = {
	    "INSERT INTO home_publish (connection_id, slack_user_id, state)"
	    " VALUES ($1::uuid, $2, $3::jsonb)"
	    " ON CONFLICT (connection_id, slack_user_id) DO UPDATE SET state = EXCLUDED.state", 3 },
	/* A publish starts: marks from now on ask for a follow-up. */
	[HP_JOB_START] = {
	    "UPDATE home_publish SET dirty = false, in_flight = true, updated_at = now()"
	    " WHERE connection_id = $1::uuid AND slack_user_id = $2 RETURNING state::text", 2 },
	/* $1 connection, $2 user, $3 the follow-up's dedupe key, $4 its
	 * payload, $5 its delay s (as queue_job writes them).  Published: in
	 * flight again only when marked meanwhile, and then the follow-up is
	 * queued in the same statement. */
	[HP_JOB_DONE] = {
	    "WITH d AS (UPDATE home_publish SET in_flight = dirty, dirty = false,"
	    "  updated_at = now(), last_published_at = now()"
	    "  WHERE connection_id = $1::uuid AND slack_user_id = $2 RETURNING in_flight),"
	    " f AS (" HUB_JOB_INSERT_AT_SQL
	    "  SELECT '" HUB_HOME_PUBLISH_KIND "', $4::jsonb, $3,"
	    "   now() + make_interval(secs => $5::integer)"
	    "  FROM d WHERE d.in_flight" HUB_JOB_ON_DEDUPE_SQL ")"
	    " SELECT in_flight FROM d", 5 },
	/* Failed for good: the next mark starts afresh. */
	[HP_JOB_GIVEUP] = {
	    "UPDATE home_publish SET in_flight = false, dirty = false, updated_at = now()"
	    " WHERE connection_id = $1::uuid AND slack_user_id = $2", 2 },
};

static const struct hub_stmt_table homepub_table = { "homepub", homepub_stmts, HP__MAX };

/* ------------------------------------------------------------ enqueue */

static int
dedupe_key(char *out, size_t len, const char *connection_id, const char *user,
    int64_t after_job)
{
	int n = after_job > 0 ?
	    snprintf(out, len, "home_publish:%s:%s:after:%" PRId64, connection_id, user, after_job) :
	    snprintf(out, len, "home_publish:%s:%s", connection_id, user);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* A publish job's dedupe key (in key, HOME_KEY_MAX bytes) and payload
 * (*p, the caller's to put), as queue_job and HP_JOB_DONE write them. */
static int
job_parts(char *key, const char *connection_id, const char *user, int64_t after_job,
    json_object **p)
{
	if (dedupe_key(key, HOME_KEY_MAX, connection_id, user, after_job) != 0)
		return HUB_HOME_INVALID;
	if ((*p = json_object_new_object()) == NULL)
		return HUB_HOME_NOMEM;
	json_object_object_add(*p, "connection_id", json_object_new_string(connection_id));
	json_object_object_add(*p, "user", json_object_new_string(user));
	return HUB_HOME_OK;
}

static int
queue_job(struct hub_db *db, const char *connection_id, const char *user,
    int64_t after_job, time_t run_at)
{
	char key[HOME_KEY_MAX];
	json_object *p;
	int rc;

	if ((rc = job_parts(key, connection_id, user, after_job, &p)) != HUB_HOME_OK)
		return rc;
	rc = hub_home_from_db(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_HOME_PUBLISH_KIND,
	    .payload = p, .dedupe_key = key, .run_at = run_at }, NULL));
	json_object_put(p);
	return rc;
}

int
hub_home_enqueue(struct hub_db *db, const char *connection_id, const char *user)
{
	const char *params[2] = { connection_id, user };
	PGresult *res = NULL;
	int64_t run_at;
	int rc;

	if (connection_id == NULL || user == NULL || !hub_payload_slack_id_ok(user))
		return HUB_HOME_INVALID;
	if ((rc = hub_home_from_db(hub_db_exec(db, &homepub_table, HP_ENQUEUE, params, &res))) != HUB_HOME_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = HUB_HOME_DB;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto out;   /* one is in flight: it will see the dirty mark */
	if (hub_db_get_int64(res, 0, 1, &run_at) != HUB_DB_OK || run_at < 0)
		run_at = 0;
	rc = queue_job(db, connection_id, user, 0, run_at > time(NULL) ? (time_t)run_at : 0);
out:
	PQclear(res);
	return rc;
}

/* Store the state and mark for a publish, in one transaction. */
int
hub_home_state_save(struct hub_db *db, const char *connection_id, const char *user,
    const struct hub_home_state *st)
{
	json_object *sj;
	const char *params[3];
	int rc;

	if ((sj = hub_home_state_to_json(st)) == NULL)
		return HUB_HOME_NOMEM;
	params[0] = connection_id;
	params[1] = user;
	params[2] = hub_json_str(sj, NULL);
	if ((rc = hub_home_from_db(hub_db_begin(db))) != HUB_HOME_OK)
		goto out;
	if ((rc = hub_home_from_db(hub_db_exec(db, &homepub_table, HP_STATE_SAVE, params,
	    NULL))) != HUB_HOME_OK || (rc = hub_home_enqueue(db, connection_id, user)) !=
	    HUB_HOME_OK)
		goto out;
	rc = hub_home_from_db(hub_db_commit(db));
out:
	if (hub_db_in_tx(db))
		hub_db_rollback(db);
	json_object_put(sj);
	return rc;
}

/* ------------------------------------------------------------ the job */

/* The job's verdict for each class of Slack answer. */
static const int class_verdict[] = {
	[HUB_SLACK_OK] = HUB_JOB_DONE,
	[HUB_SLACK_RATELIMITED] = HUB_JOB_RETRY,
	[HUB_SLACK_AUTH] = HUB_JOB_FAIL,        /* connections.c disabled it */
	[HUB_SLACK_NOT_FOUND_USER] = HUB_JOB_FAIL,
	[HUB_SLACK_CHANNEL] = HUB_JOB_FAIL,
	[HUB_SLACK_INVALID] = HUB_JOB_FAIL,
	[HUB_SLACK_TRANSIENT] = HUB_JOB_RETRY,
	[HUB_SLACK_OTHER] = HUB_JOB_FAIL,
};

/* views.publish with the connection's bot token, behind the shared rate
 * buckets (connections.h; an AUTH answer disables the connection there). */
static void
publish(struct hub_job_env *env, struct hub_slack *sl, const struct hub_conn *c,
    const char *user, json_object *view, struct hub_job_result *r)
{
	struct hub_slack_result res;
	json_object *args;
	int rc, cls;

	hub_slack_result_init(&res);
	if ((args = json_object_new_object()) == NULL) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
		return;
	}
	json_object_object_add(args, "user_id", json_object_new_string(user));
	json_object_object_add(args, "view", json_object_get(view));
	rc = hub_connections_call(env->db, sl, c, "views.publish", NULL, args, &res);
	cls = (int)res.cls;
	if (rc == HUB_CONN_OK)
		hub_job_result_set(r, HUB_JOB_DONE, "published", "", "views.publish ok");
	else if (rc == HUB_CONN_DISABLED)
		hub_job_result_set(r, HUB_JOB_DONE, "connection disabled", "",
		    "connection disabled");
	else if (rc != HUB_CONN_SLACK)
		hub_job_result_set(r, rc == HUB_CONN_DB ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    "connection", "connection", "%s", hub_conn_strerror(rc));
	else if (strcmp(res.error, "local_ratelimit") == 0 && res.wait_ms > 0)
		/* No views.publish token yet: back at our place in line. */
		hub_job_result_defer(r, res.wait_ms, "rate limit");
	else {
		if (cls < 0 || (size_t)cls >= HUB_NELEM(class_verdict))
			cls = HUB_SLACK_OTHER;
		hub_job_result_set(r, class_verdict[cls], hub_slack_class_name(cls),
		    res.error[0] ? res.error : "slack", "%s", res.error);
		if (res.retry_after > 0)
			r->retry_after = res.retry_after;
		else if (res.wait_ms > 0)
			r->retry_after = (int)(res.wait_ms / 1000 + 1);
	}
	json_object_put(args);
	hub_slack_result_free(&res);
}

/* One statement in its own transaction (autocommit). */
static int
exec2(struct hub_db *db, int stmt, const char *a, const char *b, PGresult **res)
{
	const char *params[2] = { a, b };

	return hub_db_exec(db, &homepub_table, stmt, params, res);
}

/* After a publish: clear the mark, or keep it and queue the follow-up
 * when it was marked meanwhile; one statement. */
static int
finish_published(struct hub_db *db, const char *conn, const char *user, int64_t job_id)
{
	char key[HOME_KEY_MAX], delay[16];
	const char *params[5] = { conn, user, key, NULL, delay };
	json_object *p;
	int rc;

	if ((rc = job_parts(key, conn, user, job_id, &p)) != HUB_HOME_OK)
		return rc;
	params[3] = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
	snprintf(delay, sizeof(delay), "%d", HOME_FOLLOWUP_S);
	rc = hub_home_from_db(hub_db_exec(db, &homepub_table, HP_JOB_DONE, params, NULL));
	json_object_put(p);
	return rc;
}

/* Build and publish one view with the connection c (crc: how reading it
 * went); r carries the verdict. */
static void
publish_once(struct hub_job_env *env, const char *conn, const struct hub_conn *c, int crc,
    const char *user, const char *state_text, struct hub_job_result *r)
{
	struct hub_slack sl = { env->http, env->conf ? env->conf->slack_api_url : NULL,
	    0, env->keys, NULL };
	struct hub_slack_result res;
	struct hub_home_state st;
	json_object *data = NULL, *view = NULL;
	int rc;

	if ((rc = crc) != HUB_CONN_OK) {
		if (rc == HUB_CONN_NOTFOUND)
			hub_job_result_set(r, HUB_JOB_DONE, "no connection", "",
			    "connection removed");
		else
			hub_job_result_set(r, HUB_JOB_RETRY, "database", "db",
			    "%s", hub_conn_strerror(rc));
		goto out;
	}
	if (c->disabled || c->type != HUB_CONN_SLACK_APP) {
		hub_job_result_set(r, HUB_JOB_DONE, "no home tab", "",
		    "connection disabled or without a Home tab");
		goto out;
	}
	/* The token first: a publish deferred behind the rate limit must not
	 * have read and built its view for nothing (a burst of decisions
	 * queues more publishes than views.publish's 100 a minute). */
	hub_slack_result_init(&res);
	if (hub_connections_take_token(env->db, &sl, c, "views.publish", NULL, &res) !=
	    HUB_CONN_OK) {
		hub_job_result_defer(r, res.wait_ms > 0 ? res.wait_ms : 1000, "rate limit");
		hub_slack_result_free(&res);
		goto out;
	}
	hub_slack_result_free(&res);
	hub_home_state_parse(state_text, &st);
	if ((rc = hub_home_load(env->db, conn, user, &st, &data)) != HUB_HOME_OK) {
		hub_job_result_set(r, rc == HUB_HOME_INVALID ? HUB_JOB_FAIL : HUB_JOB_RETRY,
		    "load", "db", "%s", hub_home_strerror(rc));
		goto out;
	}
	if ((rc = hub_home_build(data, &view)) != HUB_HOME_OK) {
		hub_job_result_set(r, HUB_JOB_FAIL, "build", "build",
		    "%s", hub_home_strerror(rc));
		goto out;
	}
	publish(env, &sl, c, user, view, r);
out:
	json_object_put(view);
	json_object_put(data);
}

void
hub_job_home_publish(struct hub_job_env *env, const struct hub_job *job,
    struct hub_job_result *r)
{
	const char *conn = NULL, *user = NULL, *params[2];
	struct hub_db_call start = { &homepub_table, HP_JOB_START, NULL, 1, NULL, 0 };
	struct hub_conn c;
	PGresult *res = NULL;
	char *state = NULL;
	int last, crc;

	hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload", "%s", "");
	if (hub_json_get_string(job->payload, "connection_id", 36, &conn) != HUB_JSON_OK ||
	    hub_json_get_string(job->payload, "user", HUB_SLACK_ID_MAX, &user) != HUB_JSON_OK ||
	    !hub_payload_slack_id_ok(user)) {
		snprintf(r->detail, sizeof(r->detail), "connection_id and user are required");
		return;
	}
	params[0] = conn;
	params[1] = user;
	/* The start and the connection in one round trip. */
	start.params = params;
	crc = hub_connections_get_with(env->db, conn, &start, 1, &c);
	res = start.res;
	if (start.err != HUB_DB_OK) {
		hub_job_result_set(r, HUB_JOB_RETRY, "database", "db",
		    "%s", hub_db_last_error(env->db));
		goto out;
	}
	if (PQntuples(res) != 1) {
		hub_job_result_set(r, HUB_JOB_DONE, "gone", "",
		    "no publish mark (connection removed)");
		goto out;
	}
	if ((state = strdup(PQgetvalue(res, 0, 0))) == NULL) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
		goto out;
	}
	publish_once(env, conn, &c, crc, user, state, r);
	if (r->verdict == HUB_JOB_DONE) {
		if (finish_published(env->db, conn, user, job->id) != HUB_HOME_OK)
			hub_job_result_set(r, HUB_JOB_RETRY, "database", "db",
			    "%s", hub_db_last_error(env->db));
		goto out;
	}
	/* Failed for good (or for the last time): let the next mark start a
	 * new job instead of waiting for the stale-mark timeout. */
	last = r->verdict == HUB_JOB_FAIL ||
	    (r->verdict == HUB_JOB_RETRY && job->attempts + 1 >= job->max_attempts);
	if (last)
		(void)exec2(env->db, HP_JOB_GIVEUP, conn, user, NULL);
out:
	free(state);
	PQclear(res);
}
