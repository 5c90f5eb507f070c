/*
 * slackevents.c - Events API dispatch: envelope checks, once-only
 * handling on event_id, and the table of events the hub acts on.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slack/home.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/slackenvelope.h"
#include "slack/slackevents.h"

#define SEV_MAX_SLACKID	32
#define SEV_MAX_TOKENS	100	/* tokens_revoked ids per kind */

enum sev_stmt {
	SEV_SEEN,
	SEV_CONN_BY_TEAM,
	SEV_DISABLE_APP,
	SEV_DISABLE_BOTS,
	SEV_PURGE,
	SEV__MAX
};

static const struct hub_stmt sev_stmts[SEV__MAX] = {
	/* $1 event id, $2 team: a row back means first time. */
	[SEV_SEEN] = {
	    "INSERT INTO slack_events_seen (event_id, team_id) VALUES ($1, $2)"
	    " ON CONFLICT (event_id) DO NOTHING RETURNING event_id", 2 },
	/* $1 team, $2 app id (may be NULL): the connection whose Home tab it is. */
	[SEV_CONN_BY_TEAM] = {
	    "SELECT id FROM slack_connections WHERE team_id = $1 AND type = 'SLACK_APP'"
	    " AND NOT disabled AND ($2::text IS NULL OR app_id IS NULL OR app_id = $2)"
	    " ORDER BY is_default DESC, created_at, id LIMIT 1", 2 },
	/* $1 team, $2 app id, $3 reason.  Uninstalled: the tokens of the
	 * team are dead, and the webhooks this very app made. */
	[SEV_DISABLE_APP] = {
	    "UPDATE slack_connections SET disabled = true, disabled_reason = $3,"
	    " disabled_at = now(), needs_admin_attention = true"
	    " WHERE team_id = $1 AND NOT disabled"
	    " AND ((type <> 'INCOMING_WEBHOOK'"
	    "   AND ($2::text IS NULL OR app_id IS NULL OR app_id = $2))"
	    "  OR (type = 'INCOMING_WEBHOOK' AND app_id = $2))"
	    " RETURNING id", 3 },
	/* $1 team, $2 app id, $3 reason, $4 bot user ids as a JSON array. */
	[SEV_DISABLE_BOTS] = {
	    "UPDATE slack_connections SET disabled = true, disabled_reason = $3,"
	    " disabled_at = now(), needs_admin_attention = true"
	    " WHERE team_id = $1 AND NOT disabled AND type <> 'INCOMING_WEBHOOK'"
	    " AND ($2::text IS NULL OR app_id IS NULL OR app_id = $2)"
	    " AND (bot_user_id IS NULL OR bot_user_id IN"
	    "  (SELECT jsonb_array_elements_text($4::jsonb)))"
	    " RETURNING id", 4 },
	/* The oldest first, by the seen_at index (without an order a scan
	 * would wade through the dead rows of earlier purges), and the batch
	 * as an array: one key probe per event, not a hash join against the
	 * whole table (t/integration/test_plans.py). */
	[SEV_PURGE] = {
	    "DELETE FROM slack_events_seen WHERE event_id = ANY (ARRAY(SELECT event_id"
	    " FROM slack_events_seen WHERE seen_at < now() - interval '1 day'"
	    " ORDER BY seen_at LIMIT 1000))", 0 },
};

static const struct hub_stmt_table sev_table = { "sev", sev_stmts, SEV__MAX };

const char *
hub_slackevents_strerror(int rc)
{
	static const char *const msg[] = {
		[HUB_SEV_OK] = "ok",
		[HUB_SEV_INVALID] = "invalid event",
		[HUB_SEV_UNAVAILABLE] = "database unavailable",
		[HUB_SEV_DB] = "database error",
	};

	if (rc < 0 || (size_t)rc >= HUB_NELEM(msg) || msg[rc] == NULL)
		return "unknown error";
	return msg[rc];
}

static int
map_db(int rc)
{
	switch (rc) {
	case HUB_DB_OK:		return HUB_SEV_OK;
	case HUB_DB_CONN:	return HUB_SEV_UNAVAILABLE;
	default:		return HUB_SEV_DB;
	}
}

/* What one event carries, checked before anything is written. */
struct sev_event {
	const char	*event_id;
	const char	*team;
	const char	*app;       /* may be NULL */
	const char	*type;
	json_object	*event;
};

static int
invalid(struct hub_sev_result *r, const char *field, const char *message)
{
	r->field = field;
	r->message = message;
	return HUB_SEV_INVALID;
}

/* ------------------------------------------------------------ handlers */

/* A handler's check runs first (pure: INVALID or IGNORED or OK); run does
 * the work inside the transaction that records the event id. */
struct sev_handler {
	const char	*type;
	int		(*check)(const struct sev_event *, struct hub_sev_result *);
	int		(*run)(struct hub_db *, const struct sev_event *);
};

static int
check_home_opened(const struct sev_event *e, struct hub_sev_result *r)
{
	const char *user = NULL, *tab = NULL;

	if (hub_json_get_string(e->event, "user", SEV_MAX_SLACKID, &user) != HUB_JSON_OK ||
	    !hub_slackenvelope_id_ok(user, SEV_MAX_SLACKID, 1))
		return invalid(r, "event.user", "must be a Slack user id");
	if (hub_json_get_string(e->event, "tab", 16, &tab) == HUB_JSON_OK &&
	    strcmp(tab, "home") != 0) {
		r->outcome = HUB_SEV_IGNORED;   /* the Messages tab */
		return HUB_SEV_OK;
	}
	return HUB_SEV_OK;
}

static int
run_home_opened(struct hub_db *db, const struct sev_event *e)
{
	const char *params[2] = { e->team, e->app };
	const char *user = NULL;
	PGresult *res = NULL;
	int rc;

	(void)hub_json_get_string(e->event, "user", SEV_MAX_SLACKID, &user);
	if ((rc = map_db(hub_db_exec(db, &sev_table, SEV_CONN_BY_TEAM, params, &res))) != HUB_SEV_OK)
		return rc;
	if (PQntuples(res) == 1)
		rc = hub_home_enqueue(db, PQgetvalue(res, 0, 0), user) == HUB_HOME_OK ?
		    HUB_SEV_OK : HUB_SEV_DB;
	else
		hub_log(HUB_LOG_INFO, "home_no_connection", "team", e->team, NULL);
	PQclear(res);
	return rc;
}

static int
check_none(const struct sev_event *e, struct hub_sev_result *r)
{
	(void)e;
	(void)r;
	return HUB_SEV_OK;
}

static int
log_disabled(PGresult *res, const struct sev_event *e, const char *reason)
{
	char n[16];

	snprintf(n, sizeof(n), "%d", PQntuples(res));
	hub_log(HUB_LOG_WARN, "connection_disabled", "team", e->team, "reason", reason,
	    "connections", n, NULL);
	return HUB_SEV_OK;
}

static int
run_uninstalled(struct hub_db *db, const struct sev_event *e)
{
	const char *params[3] = { e->team, e->app, "app_uninstalled" };
	PGresult *res = NULL;
	int rc;

	if ((rc = map_db(hub_db_exec(db, &sev_table, SEV_DISABLE_APP, params, &res))) == HUB_SEV_OK)
		rc = log_disabled(res, e, params[2]);
	PQclear(res);
	return rc;
}

/* tokens.bot: a list of bot user ids (tokens.oauth are user tokens,
 * which the hub does not hold). */
static int
check_tokens_revoked(const struct sev_event *e, struct hub_sev_result *r)
{
	json_object *tokens, *bot, *v;
	size_t i, n;

	if (hub_json_get_object(e->event, "tokens", &tokens) != HUB_JSON_OK)
		return invalid(r, "event.tokens", "must be an object");
	if (hub_json_get_array(tokens, "bot", &bot) != HUB_JSON_OK ||
	    (n = json_object_array_length(bot)) == 0) {
		r->outcome = HUB_SEV_IGNORED;   /* user tokens only */
		return HUB_SEV_OK;
	}
	if (n > SEV_MAX_TOKENS)
		return invalid(r, "event.tokens.bot", "too many ids");
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(bot, i);
		if (!json_object_is_type(v, json_type_string) ||
		    !hub_slackenvelope_id_ok(json_object_get_string(v), SEV_MAX_SLACKID, 1))
			return invalid(r, "event.tokens.bot", "must hold Slack user ids");
	}
	return HUB_SEV_OK;
}

static int
run_tokens_revoked(struct hub_db *db, const struct sev_event *e)
{
	json_object *tokens = NULL, *bot = NULL;
	const char *params[4] = { e->team, e->app, "tokens_revoked", NULL };
	PGresult *res = NULL;
	int rc;

	(void)hub_json_get_object(e->event, "tokens", &tokens);
	(void)hub_json_get_array(tokens, "bot", &bot);
	if ((params[3] = hub_json_str(bot, NULL)) == NULL)
		return HUB_SEV_DB;
	if ((rc = map_db(hub_db_exec(db, &sev_table, SEV_DISABLE_BOTS, params, &res))) == HUB_SEV_OK)
		rc = log_disabled(res, e, params[2]);
	PQclear(res);
	return rc;
}

static const struct sev_handler handlers[] = {
	{ "app_home_opened", check_home_opened, run_home_opened },
	{ "app_uninstalled", check_none, run_uninstalled },
	{ "tokens_revoked", check_tokens_revoked, run_tokens_revoked },
};

int
hub_slackevents_handle(struct hub_db *db, const struct hub_slackenvelope *env,
    struct hub_sev_result *r)
{
	const struct sev_handler *h = NULL;
	struct sev_event e;
	PGresult *res = NULL;
	const char *params[2];
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	r->outcome = HUB_SEV_IGNORED;
	if (env->kind != HUB_SLACKENVELOPE_EVENT_CALLBACK)
		return invalid(r, "type", "must be event_callback");
	e.event_id = env->event_id;
	e.team = env->team;
	e.app = env->app;
	e.type = env->event_type;
	e.event = env->event;
	snprintf(r->type, sizeof(r->type), "%s", e.type);
	for (i = 0; i < HUB_NELEM(handlers); i++)
		if (strcmp(handlers[i].type, e.type) == 0)
			h = &handlers[i];
	if (h == NULL)
		return HUB_SEV_OK;
	r->outcome = HUB_SEV_HANDLED;
	if ((rc = h->check(&e, r)) != HUB_SEV_OK || r->outcome == HUB_SEV_IGNORED)
		return rc;

	params[0] = e.event_id;
	params[1] = e.team;
	if ((rc = map_db(hub_db_begin(db))) != HUB_SEV_OK)
		return rc;
	if ((rc = map_db(hub_db_exec(db, &sev_table, SEV_SEEN, params, &res))) != HUB_SEV_OK)
		goto out;
	if (PQntuples(res) == 0) {
		r->outcome = HUB_SEV_DUPLICATE;   /* a retry, or a concurrent copy */
		rc = map_db(hub_db_commit(db));
		goto out;
	}
	if ((rc = h->run(db, &e)) != HUB_SEV_OK)
		goto out;
	rc = map_db(hub_db_commit(db));
out:
	PQclear(res);
	if (hub_db_in_tx(db))
		hub_db_rollback(db);
	return rc;
}

int
hub_slackevents_purge(struct hub_db *db, int *n)
{
	PGresult *res = NULL;
	int64_t v;
	int rc;

	if ((rc = map_db(hub_db_exec(db, &sev_table, SEV_PURGE, NULL, &res))) == HUB_SEV_OK &&
	    n != NULL) {
		*n = hub_db_cmd_rows(res, &v) == HUB_DB_OK && v <= 1000 ? (int)v : 0;
	}
	PQclear(res);
	return rc;
}
