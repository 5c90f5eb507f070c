/*
 * connections.c - slack_connections rows, their sealed secrets, the email
 * lookup cache and the channel check.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/check.h"
#include "base/common.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "base/json.h"
#include "base/log.h"

/* seconds, as statement parameters */
#define CACHE_HIT_S	"86400"   /* 24 h */
#define CACHE_MISS_S	"3600"    /* 1 h for users_not_found */
#define SECRET_MAX	1024
/* The channel check waits this long at most for a local bucket. */
#define CHECK_WAIT_MAX_MS 5000L

#define CONN_COLS "id, name, type, coalesce(team_id, ''), coalesce(team_name, ''), " \
	"coalesce(bot_user_id, ''), coalesce(default_channel, ''), is_default, disabled, " \
	"needs_admin_attention, coalesce(disabled_reason, ''), " \
	"coalesce(webhook_url_enc, ''), coalesce(bot_token_enc, '')"
/* A name wins over an id that happens to equal it. */
#define BY_NAME_OR_ID "WHERE name = $1 OR id::text = lower($1) ORDER BY name = $1 DESC LIMIT 1"

enum stmt {
	STMT_INSERT,
	STMT_GET,
	STMT_GET_DEFAULT,
	STMT_UNRESOLVED,
	STMT_LIST,
	STMT_CLEAR_DEFAULT,
	STMT_SET_DEFAULT,
	STMT_DISABLE,
	STMT_ENABLE,
	STMT_SET_TOKEN,
	STMT_CACHE_GET,
	STMT_CACHE_PUT,
	STMT_CACHE_DROP,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $9: default asked for; without one yet, the first connection is it. */
	[STMT_INSERT] = {
		"INSERT INTO slack_connections (name, type, team_id, team_name, bot_user_id, "
		"    webhook_url_enc, bot_token_enc, default_channel, is_default) "
		"VALUES ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), $6, $7, "
		"    nullif($8, ''), $9::boolean OR NOT EXISTS "
		"    (SELECT 1 FROM slack_connections WHERE is_default)) "
		"RETURNING " CONN_COLS, 9 },
	[STMT_GET] = {
		"SELECT " CONN_COLS " FROM slack_connections " BY_NAME_OR_ID, 1 },
	[STMT_GET_DEFAULT] = {
		"SELECT " CONN_COLS " FROM slack_connections WHERE is_default", 0 },
	/* $1 request: has it a step that names no connection (step,
	 * request, source) while there is no default either?  The ids are
	 * foreign keys, so one that is set exists. */
	/* Each step's connection as the notify job picks it (step -> request
	 * -> source -> the default): is one missing, and the first disabled
	 * one's name and reason. */
	[STMT_UNRESOLVED] = {
		"SELECT coalesce(bool_or(c.id IS NULL), false),"
		" coalesce((array_agg(c.name ORDER BY st.position) FILTER (WHERE c.disabled))[1], ''),"
		" coalesce((array_agg(c.disabled_reason ORDER BY st.position)"
		"  FILTER (WHERE c.disabled))[1], '')"
		" FROM request_steps st"
		" JOIN requests r ON r.id = st.request_id JOIN sources s ON s.id = r.source_id"
		" LEFT JOIN slack_connections c ON c.id = coalesce(st.connection_id, r.connection_id,"
		"  s.connection_id, (SELECT d.id FROM slack_connections d WHERE d.is_default))"
		" WHERE st.request_id = $1::uuid", 1 },
	[STMT_LIST] = {
		"SELECT " CONN_COLS " FROM slack_connections ORDER BY name", 0 },
	/* Two statements in one transaction: the one-default index is checked
	 * row by row, so the old default must go first. */
	[STMT_CLEAR_DEFAULT] = {
		"UPDATE slack_connections SET is_default = false "
		"WHERE is_default AND id::text <> $1", 1 },
	[STMT_SET_DEFAULT] = {
		"UPDATE slack_connections SET is_default = true WHERE id = $1::uuid", 1 },
	[STMT_DISABLE] = {
		"UPDATE slack_connections SET disabled = true, disabled_reason = $2, "
		"    disabled_at = now(), needs_admin_attention = true WHERE id = $1::uuid", 2 },
	[STMT_ENABLE] = {
		"UPDATE slack_connections SET disabled = false, disabled_reason = NULL, "
		"    disabled_at = NULL, needs_admin_attention = false WHERE id = $1::uuid", 1 },
	[STMT_SET_TOKEN] = {
		"UPDATE slack_connections SET bot_token_enc = $2, team_id = nullif($3, ''), "
		"    team_name = nullif($4, ''), bot_user_id = nullif($5, ''), "
		"    disabled = false, disabled_reason = NULL, disabled_at = NULL, "
		"    needs_admin_attention = false WHERE id = $1::uuid", 5 },
	/* A row with a NULL id is a cached users_not_found. */
	[STMT_CACHE_GET] = {
		"SELECT slack_user_id FROM slack_user_cache "
		"WHERE connection_id = $1::uuid AND email = lower($2) AND expires_at > now()", 2 },
	[STMT_CACHE_PUT] = {
		"INSERT INTO slack_user_cache (connection_id, email, slack_user_id, fetched_at, "
		"    expires_at) "
		"VALUES ($1::uuid, lower($2), $3, now(), now() + make_interval(secs => $4::int)) "
		"ON CONFLICT (connection_id, email) DO UPDATE SET "
		"    slack_user_id = EXCLUDED.slack_user_id, fetched_at = EXCLUDED.fetched_at, "
		"    expires_at = EXCLUDED.expires_at", 4 },
	[STMT_CACHE_DROP] = {
		"DELETE FROM slack_user_cache WHERE connection_id = $1::uuid AND email = lower($2)", 2 },
};

static const struct hub_stmt_table conn_stmts = { "connections", stmts, STMT__MAX };

static const char *const type_names[HUB_CONN_TYPE__MAX] = {
	[HUB_CONN_INCOMING_WEBHOOK] = "INCOMING_WEBHOOK",
	[HUB_CONN_INCOMING_WEBHOOK_LOOKUP] = "INCOMING_WEBHOOK_LOOKUP",
	[HUB_CONN_SLACK_APP] = "SLACK_APP",
};

/* Which secrets each type carries. */
static const struct {
	int	webhook;
	int	token;
} type_needs[HUB_CONN_TYPE__MAX] = {
	[HUB_CONN_INCOMING_WEBHOOK] = { 1, 0 },
	[HUB_CONN_INCOMING_WEBHOOK_LOOKUP] = { 1, 1 },
	[HUB_CONN_SLACK_APP] = { 0, 1 },
};

const char *
hub_conn_strerror(int err)
{
	switch (err) {
	case HUB_CONN_OK:	return "ok";
	case HUB_CONN_INVALID:	return "invalid value";
	case HUB_CONN_EXISTS:	return "a connection with that name exists";
	case HUB_CONN_NOTFOUND:	return "not found";
	case HUB_CONN_DISABLED:	return "the connection is disabled";
	case HUB_CONN_SLACK:	return "Slack refused";
	case HUB_CONN_DB:	return "database error";
	case HUB_CONN_CRYPTO:	return "cannot open or seal the secret (SECRET_KEY changed?)";
	case HUB_CONN_NOMEM:	return "out of memory";
	default:		return "unknown error";
	}
}

const char *
hub_conn_type_name(enum hub_conn_type t)
{
	if ((int)t < 0 || t >= HUB_CONN_TYPE__MAX)
		return "?";
	return type_names[t];
}

int
hub_conn_type_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < HUB_CONN_TYPE__MAX; i++)
		if (strcmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

static int
map_db(int err)
{
	switch (err) {
	case HUB_DB_OK:		return HUB_CONN_OK;
	case HUB_DB_UNIQUE:	return HUB_CONN_EXISTS;
	case HUB_DB_CHECK:	return HUB_CONN_INVALID;
	case HUB_DB_NOMEM:	return HUB_CONN_NOMEM;
	default:		return HUB_CONN_DB;
	}
}

/* Zero a buffer that held a secret, then free it. */
static void
secret_release(struct hub_buf *b)
{
	if (b->data != NULL)
		memset(b->data, 0, b->cap);
	hub_buf_release(b);
}

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void
row_to_conn(const PGresult *res, int row, struct hub_conn *c)
{
	memset(c, 0, sizeof(*c));
	copy(c->id, sizeof(c->id), PQgetvalue(res, row, 0));
	copy(c->name, sizeof(c->name), PQgetvalue(res, row, 1));
	c->type = (enum hub_conn_type)hub_conn_type_parse(PQgetvalue(res, row, 2));
	copy(c->team_id, sizeof(c->team_id), PQgetvalue(res, row, 3));
	copy(c->team_name, sizeof(c->team_name), PQgetvalue(res, row, 4));
	copy(c->bot_user_id, sizeof(c->bot_user_id), PQgetvalue(res, row, 5));
	copy(c->default_channel, sizeof(c->default_channel), PQgetvalue(res, row, 6));
	c->is_default = strcmp(PQgetvalue(res, row, 7), "t") == 0;
	c->disabled = strcmp(PQgetvalue(res, row, 8), "t") == 0;
	c->needs_admin_attention = strcmp(PQgetvalue(res, row, 9), "t") == 0;
	copy(c->disabled_reason, sizeof(c->disabled_reason), PQgetvalue(res, row, 10));
	copy(c->webhook_url_enc, sizeof(c->webhook_url_enc), PQgetvalue(res, row, 11));
	copy(c->bot_token_enc, sizeof(c->bot_token_enc), PQgetvalue(res, row, 12));
}

/* Printable text without control bytes, 1..max bytes. */
static int
valid_text(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return 0;
	return 1;
}

int
hub_conn_token_ok(const char *t)
{
	const char *p;

	if (t == NULL || strncmp(t, "xox", 3) != 0 || strlen(t) > 512)
		return 0;
	for (p = t; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

static int
valid_webhook(const char *u)
{
	const char *p;

	if (u == NULL || strlen(u) > 1000 ||
	    (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0))
		return 0;
	for (p = u; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

/* Conversation ids: C..., G..., D... — upper-case letters and digits. */
static int
valid_channel(const char *c)
{
	size_t n = 0;

	if (c == NULL)
		return 0;
	for (; c[n]; n++)
		if (!isupper((unsigned char)c[n]) && !isdigit((unsigned char)c[n]))
			return 0;
	return n >= 2 && n < HUB_SLACK_ID_LEN;
}

/* hooks.slack.com/services/T.../B.../secret: the team id is the first
 * segment after /services/.  "" when the URL has another shape. */
static void
webhook_team(const char *url, char out[HUB_SLACK_ID_LEN])
{
	const char *p = strstr(url, "/services/");
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen("/services/");
	while (n < HUB_SLACK_ID_LEN - 1 && (isupper((unsigned char)p[n]) ||
	    isdigit((unsigned char)p[n])))
		n++;
	if (n > 1 && p[0] == 'T' && p[n] == '/') {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

static int
seal(const struct hub_slack *s, const char *pt, struct hub_buf *out)
{
	if (s->keyring == NULL || s->keyring->n == 0)
		return HUB_CONN_CRYPTO;
	return hub_box_seal(s->keyring, pt, strlen(pt), out) == HUB_CRYPTO_OK ?
	    HUB_CONN_OK : HUB_CONN_CRYPTO;
}

static int
open_sealed(const struct hub_slack *s, const char *sealed, struct hub_buf *out)
{
	if (sealed[0] == '\0')
		return HUB_CONN_INVALID;
	if (s->keyring == NULL)
		return HUB_CONN_CRYPTO;
	return hub_box_open(s->keyring, sealed, strlen(sealed), out) == HUB_CRYPTO_OK ?
	    HUB_CONN_OK : HUB_CONN_CRYPTO;
}

int
hub_connections_open_token(const struct hub_slack *s, const struct hub_conn *c,
    struct hub_buf *out)
{
	return open_sealed(s, c->bot_token_enc, out);
}

int
hub_connections_open_webhook(const struct hub_slack *s, const struct hub_conn *c,
    struct hub_buf *out)
{
	return open_sealed(s, c->webhook_url_enc, out);
}

/* Fill the fix buffer (may be NULL). */
static void
fix_set(struct hub_buf *fix, const char *fmt, ...) HUB_PRINTF(2, 3);

static void
fix_set(struct hub_buf *fix, const char *fmt, ...)
{
	va_list ap;

	if (fix == NULL)
		return;
	hub_buf_reset(fix);
	va_start(ap, fmt);
	hub_buf_vprintf(fix, fmt, ap);
	va_end(ap);
}

/* auth.test: who is this token?  Fills team id/name and bot user id, and
 * the bot's user name when name != NULL. */
struct whoami {
	char	team_id[HUB_SLACK_ID_LEN];
	char	team_name[128];
	char	user_id[HUB_SLACK_ID_LEN];
	char	user[128];
};

static int
auth_test(struct hub_slack *s, const char *token, struct whoami *w,
    struct hub_slack_result *res, struct hub_buf *fix)
{
	const char *v;

	memset(w, 0, sizeof(*w));
	if (hub_slack_call(s, "auth.test", token, NULL, res) != HUB_SLACK_OK) {
		fix_set(fix, "auth.test: %s: %s", res->error, hub_slack_fix(res->error));
		return HUB_CONN_SLACK;
	}
	if (hub_json_get_string(res->resp, "team_id", 100, &v) == HUB_JSON_OK)
		copy(w->team_id, sizeof(w->team_id), v);
	if (hub_json_get_string(res->resp, "team", 120, &v) == HUB_JSON_OK)
		copy(w->team_name, sizeof(w->team_name), v);
	if (hub_json_get_string(res->resp, "user_id", 100, &v) == HUB_JSON_OK)
		copy(w->user_id, sizeof(w->user_id), v);
	if (hub_json_get_string(res->resp, "user", 120, &v) == HUB_JSON_OK)
		copy(w->user, sizeof(w->user), v);
	if (!valid_channel(w->team_id)) {
		fix_set(fix, "auth.test did not name the workspace");
		return HUB_CONN_SLACK;
	}
	return HUB_CONN_OK;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The rate-bucket team of a connection: its workspace, or its id when the
 * workspace is unknown (a plain webhook). */
static const char *
bucket_team(const struct hub_conn *c)
{
	return c->team_id[0] ? c->team_id : c->id;
}

/* conversations.info with a plaintext token; bot_name for the fix. */
static int
check_channel_token(struct hub_db *db, struct hub_slack *s, const char *team,
    const char *token, const char *bot_name, const char *channel,
    struct hub_slack_result *res, struct hub_buf *fix)
{
	json_object *args = NULL, *ch;
	struct whoami w;
	const char *name = NULL;
	int member = 0, archived = 0, is_im = 0, is_mpim = 0, tries, rc;

	if (!valid_channel(channel)) {
		fix_set(fix, "'%s' is not a channel id: copy the id (C..., G...) from the "
		    "channel's details", channel ? channel : "");
		return HUB_CONN_INVALID;
	}
	if ((args = json_object_new_object()) == NULL)
		return HUB_CONN_NOMEM;
	json_object_object_add(args, "channel", json_object_new_string(channel));
	/* An admin is waiting for this answer: wait out a short local bucket
	 * refusal rather than report it. */
	for (tries = 0; hub_slack_call_limited(db, s, team, "conversations.info", NULL, token,
	    args, res) == HUB_SLACK_RATELIMITED && res->wait_ms > 0 &&
	    res->wait_ms <= CHECK_WAIT_MAX_MS && tries < 3; tries++)
		sleep_ms(res->wait_ms);
	if (res->cls != HUB_SLACK_OK) {
		if (strcmp(res->error, "channel_not_found") == 0)
			fix_set(fix, "Channel %s was not found: check the channel id (a private "
			    "channel needs the bot invited with /invite @%s first)", channel,
			    bot_name && *bot_name ? bot_name : "YourApp");
		else
			fix_set(fix, "%s: %s", res->error, hub_slack_fix(res->error));
		rc = HUB_CONN_SLACK;
		goto out;
	}
	if (hub_json_get_object(res->resp, "channel", &ch) != HUB_JSON_OK) {
		fix_set(fix, "conversations.info answered without a channel");
		rc = HUB_CONN_SLACK;
		goto out;
	}
	hub_json_get_bool(ch, "is_member", &member);
	hub_json_get_bool(ch, "is_archived", &archived);
	hub_json_get_bool(ch, "is_im", &is_im);
	hub_json_get_bool(ch, "is_mpim", &is_mpim);
	hub_json_get_string(ch, "name", 200, &name);
	if (archived) {
		fix_set(fix, "Channel %s%s is archived: unarchive it or choose another channel",
		    name ? "#" : "", name ? name : channel);
		rc = HUB_CONN_SLACK;
		goto out;
	}
	if (!member && !is_im && !is_mpim) {
		/* Its own result: name points into res's answer. */
		struct hub_slack_result who;

		hub_slack_result_init(&who);
		if ((bot_name == NULL || *bot_name == '\0') &&
		    auth_test(s, token, &w, &who, NULL) == HUB_CONN_OK && w.user[0])
			bot_name = w.user;
		fix_set(fix, "The bot is not in %s%s: invite the bot with /invite @%s "
		    "(type it in the channel)", name ? "#" : "channel ", name ? name : channel,
		    bot_name && *bot_name ? bot_name : "YourApp");
		hub_slack_result_free(&who);
		rc = HUB_CONN_SLACK;
		goto out;
	}
	rc = HUB_CONN_OK;
out:
	json_object_put(args);
	return rc;
}

/* Does spec name a connection and carry exactly what its type needs,
 * well formed?  OK, or INVALID with the fix. */
static int
spec_problem(const struct hub_conn_spec *spec, struct hub_buf *fix)
{
	if (spec == NULL || !valid_text(spec->name, HUB_CONN_NAME_MAX) ||
	    (int)spec->type < 0 || spec->type >= HUB_CONN_TYPE__MAX) {
		fix_set(fix, "a name of 1 to %d characters and a type are required",
		    HUB_CONN_NAME_MAX);
		return HUB_CONN_INVALID;
	}
	if (type_needs[spec->type].webhook != (spec->webhook_url != NULL) ||
	    type_needs[spec->type].token != (spec->token != NULL)) {
		fix_set(fix, "%s takes %s", type_names[spec->type],
		    spec->type == HUB_CONN_SLACK_APP ? "a bot token and no webhook URL" :
		    spec->type == HUB_CONN_INCOMING_WEBHOOK ? "a webhook URL and no token" :
		    "a webhook URL and a bot token");
		return HUB_CONN_INVALID;
	}
	if (spec->token != NULL && !hub_conn_token_ok(spec->token)) {
		fix_set(fix, "the token must be a Slack bot token (xoxb-...)");
		return HUB_CONN_INVALID;
	}
	if (spec->webhook_url != NULL && !valid_webhook(spec->webhook_url)) {
		fix_set(fix, "the webhook URL must be https://hooks.slack.com/services/...");
		return HUB_CONN_INVALID;
	}
	if (spec->channel != NULL && !valid_channel(spec->channel)) {
		fix_set(fix, "'%s' is not a channel id: copy the id (C..., G...) from the "
		    "channel's details", spec->channel);
		return HUB_CONN_INVALID;
	}
	return HUB_CONN_OK;
}

/* The new row (and, for a new default, the old default cleared) in one
 * transaction; hook and tok are the sealed secrets. */
static int
insert_conn(struct hub_db *db, const struct hub_conn_spec *spec, const struct whoami *w,
    const char *hook, const char *tok, struct hub_conn *out, struct hub_buf *fix)
{
	static const char *const none[1] = { "" };
	const char *params[9];
	PGresult *r = NULL;
	int rc;

	params[0] = spec->name;
	params[1] = type_names[spec->type];
	params[2] = w->team_id;
	params[3] = w->team_name;
	params[4] = w->user_id;
	params[5] = hook;
	params[6] = tok;
	params[7] = spec->channel != NULL ? spec->channel : "";
	params[8] = spec->is_default ? "true" : "false";
	if ((rc = map_db(hub_db_begin(db))) != HUB_CONN_OK)
		return rc;
	if (spec->is_default && (rc = map_db(hub_db_exec(db, &conn_stmts,
	    STMT_CLEAR_DEFAULT, none, NULL))) != HUB_CONN_OK)
		goto fail;
	if ((rc = map_db(hub_db_exec(db, &conn_stmts, STMT_INSERT, params, &r))) !=
	    HUB_CONN_OK) {
		if (rc == HUB_CONN_EXISTS)
			fix_set(fix, "a connection named '%s' exists", spec->name);
		goto fail;
	}
	if ((rc = map_db(hub_db_commit(db))) != HUB_CONN_OK)
		goto fail;
	if (out != NULL)
		row_to_conn(r, 0, out);
	PQclear(r);
	return HUB_CONN_OK;
fail:
	hub_db_rollback(db);
	PQclear(r);
	return rc;
}

int
hub_connections_add(struct hub_db *db, struct hub_slack *s, const struct hub_conn_spec *spec,
    struct hub_conn *out, struct hub_slack_result *res, struct hub_buf *fix)
{
	struct hub_buf hook = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1),
	    tok = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1);
	struct hub_slack_result local;
	struct whoami w;
	int rc;

	hub_slack_result_init(&local);
	if (res == NULL)
		res = &local;
	memset(&w, 0, sizeof(w));
	if ((rc = spec_problem(spec, fix)) != HUB_CONN_OK)
		goto out;
	if (spec->token != NULL &&
	    (rc = auth_test(s, spec->token, &w, res, fix)) != HUB_CONN_OK)
		goto out;
	if (spec->webhook_url != NULL && w.team_id[0] == '\0')
		webhook_team(spec->webhook_url, w.team_id);
	if (spec->channel != NULL && spec->type == HUB_CONN_SLACK_APP &&
	    (rc = check_channel_token(db, s, w.team_id, spec->token, w.user, spec->channel,
	    res, fix)) != HUB_CONN_OK)
		goto out;
	if ((spec->webhook_url != NULL && (rc = seal(s, spec->webhook_url, &hook)) != HUB_CONN_OK) ||
	    (spec->token != NULL && (rc = seal(s, spec->token, &tok)) != HUB_CONN_OK))
		goto out;
	rc = insert_conn(db, spec, &w, spec->webhook_url != NULL ? hook.data : NULL,
	    spec->token != NULL ? tok.data : NULL, out, fix);
out:
	hub_buf_release(&hook);
	hub_buf_release(&tok);
	hub_slack_result_free(&local);
	return rc;
}

static int
get_one(struct hub_db *db, int stmt, const char *const *params, struct hub_conn *c)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = map_db(hub_db_exec(db, &conn_stmts, stmt, params, &r))) != HUB_CONN_OK)
		goto out;
	if (PQntuples(r) < 1) {
		rc = HUB_CONN_NOTFOUND;
		goto out;
	}
	row_to_conn(r, 0, c);
out:
	PQclear(r);
	return rc;
}

int
hub_connections_get(struct hub_db *db, const char *name_or_id, struct hub_conn *c)
{
	const char *params[1] = { name_or_id };

	if (!valid_text(name_or_id, HUB_CONN_NAME_MAX))
		return HUB_CONN_NOTFOUND;
	return get_one(db, STMT_GET, params, c);
}

int
hub_connections_get_with(struct hub_db *db, const char *id, struct hub_db_call *calls,
    size_t n, struct hub_conn *c)
{
	const char *params[1] = { id };
	struct hub_db_call all[HUB_DB_EACH_MAX];
	int rc;

	if (n + 1 > HUB_NELEM(all)) {
		(void)hub_db_exec_each(db, calls, n);
		return hub_connections_get(db, id, c);
	}
	if (!valid_text(id, HUB_CONN_NAME_MAX)) {
		(void)hub_db_exec_each(db, calls, n);
		return HUB_CONN_NOTFOUND;
	}
	all[0] = (struct hub_db_call){ &conn_stmts, STMT_GET, params, 1, NULL, 0 };
	memcpy(all + 1, calls, n * sizeof(*calls));
	(void)hub_db_exec_each(db, all, n + 1);
	memcpy(calls, all + 1, n * sizeof(*calls));
	if ((rc = map_db(all[0].err)) == HUB_CONN_OK) {
		if (PQntuples(all[0].res) < 1)
			rc = HUB_CONN_NOTFOUND;
		else
			row_to_conn(all[0].res, 0, c);
	}
	PQclear(all[0].res);
	return rc;
}

int
hub_connections_get_default(struct hub_db *db, struct hub_conn *c)
{
	return get_one(db, STMT_GET_DEFAULT, NULL, c);
}

int
hub_connections_unresolved(struct hub_db *db, const char *request_id,
    struct hub_conn_reach *out)
{
	const char *params[1] = { request_id };
	PGresult *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (request_id == NULL || !hub_check_uuid(request_id))
		return HUB_CONN_INVALID;
	rc = map_db(hub_db_exec(db, &conn_stmts, STMT_UNRESOLVED, params, &r));
	if (rc == HUB_CONN_OK && PQntuples(r) == 1) {
		out->missing = *PQgetvalue(r, 0, 0) == 't';
		snprintf(out->disabled_name, sizeof(out->disabled_name), "%s", PQgetvalue(r, 0, 1));
		snprintf(out->disabled_reason, sizeof(out->disabled_reason), "%s",
		    PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return rc;
}

int
hub_connections_list(struct hub_db *db, struct hub_conn **out, size_t *n)
{
	PGresult *r = NULL;
	struct hub_conn *v = NULL;
	int i, rows, rc;

	*out = NULL;
	*n = 0;
	if ((rc = map_db(hub_db_exec(db, &conn_stmts, STMT_LIST, NULL, &r))) != HUB_CONN_OK)
		goto out;
	rows = PQntuples(r);
	if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
		rc = HUB_CONN_NOMEM;
		goto out;
	}
	for (i = 0; i < rows; i++)
		row_to_conn(r, i, &v[i]);
	*out = v;
	*n = (size_t)rows;
out:
	PQclear(r);
	return rc;
}

int
hub_connections_set_default(struct hub_db *db, const char *name_or_id)
{
	struct hub_conn c;
	const char *params[1];
	int rc, in_tx = 0;

	if ((rc = map_db(hub_db_begin(db))) != HUB_CONN_OK)
		goto out;
	in_tx = 1;
	if ((rc = hub_connections_get(db, name_or_id, &c)) != HUB_CONN_OK)
		goto out;
	params[0] = c.id;
	if ((rc = map_db(hub_db_exec(db, &conn_stmts, STMT_CLEAR_DEFAULT, params, NULL))) !=
	    HUB_CONN_OK ||
	    (rc = map_db(hub_db_exec(db, &conn_stmts, STMT_SET_DEFAULT, params, NULL))) !=
	    HUB_CONN_OK)
		goto out;
	rc = map_db(hub_db_commit(db));
	in_tx = 0;
out:
	if (in_tx)
		hub_db_rollback(db);
	return rc;
}

int
hub_connections_disable(struct hub_db *db, const char *name_or_id, const char *reason)
{
	struct hub_conn c;
	const char *params[2];
	char why[256];
	int rc;

	if ((rc = hub_connections_get(db, name_or_id, &c)) != HUB_CONN_OK)
		return rc;
	copy(why, sizeof(why), reason != NULL && *reason ? reason : "disabled by an admin");
	params[0] = c.id;
	params[1] = why;
	rc = map_db(hub_db_exec(db, &conn_stmts, STMT_DISABLE, params, NULL));
	if (rc == HUB_CONN_OK)
		hub_log(HUB_LOG_WARN, "connection_disabled", "connection", c.name,
		    "reason", why, NULL);
	return rc;
}

int
hub_connections_enable(struct hub_db *db, const char *name_or_id)
{
	struct hub_conn c;
	const char *params[1];
	int rc;

	if ((rc = hub_connections_get(db, name_or_id, &c)) != HUB_CONN_OK)
		return rc;
	params[0] = c.id;
	return map_db(hub_db_exec(db, &conn_stmts, STMT_ENABLE, params, NULL));
}

/* Slack said the credentials are dead: disable, banner, log. */
static void
disable_for(struct hub_db *db, const struct hub_conn *c, const struct hub_slack_result *res)
{
	char why[256];

	snprintf(why, sizeof(why), "%s: %s", res->error, hub_slack_fix(res->error));
	hub_connections_disable(db, c->id, why);
}

int
hub_connections_call(struct hub_db *db, struct hub_slack *s, const struct hub_conn *c,
    const char *method, const char *channel, json_object *args, struct hub_slack_result *res)
{
	struct hub_buf tok = HUB_BUF_INIT(SECRET_MAX);
	int rc;

	hub_slack_result_free(res);
	if (c->disabled) {
		rc = HUB_CONN_DISABLED;
		goto out;
	}
	if ((rc = hub_connections_open_token(s, c, &tok)) != HUB_CONN_OK)
		goto out;
	if (hub_slack_call_limited(db, s, bucket_team(c), method, channel, tok.data, args,
	    res) == HUB_SLACK_OK) {
		rc = HUB_CONN_OK;
		goto out;
	}
	if (res->cls == HUB_SLACK_AUTH)
		disable_for(db, c, res);
	rc = HUB_CONN_SLACK;
out:
	secret_release(&tok);
	return rc;
}

int
hub_connections_take_token(struct hub_db *db, struct hub_slack *s, const struct hub_conn *c,
    const char *method, const char *channel, struct hub_slack_result *res)
{
	return hub_slack_take_token(db, s, bucket_team(c), method, channel, res) ==
	    HUB_SLACK_OK ? HUB_CONN_OK : HUB_CONN_SLACK;
}

int
hub_connections_webhook_post(struct hub_db *db, struct hub_slack *s, const struct hub_conn *c,
    json_object *body, struct hub_slack_result *res)
{
	struct hub_buf url = HUB_BUF_INIT(SECRET_MAX);
	struct hub_ratelimit_bucket b;
	long wait_ms = 0;
	int rc;

	hub_slack_result_free(res);
	if (c->disabled) {
		rc = HUB_CONN_DISABLED;
		goto out;
	}
	if ((rc = hub_connections_open_webhook(s, c, &url)) != HUB_CONN_OK)
		goto out;
	hub_slack_webhook_bucket(c->id, &b);
	if (hub_ratelimit_acquire_all(db, &b, 1, &wait_ms) ==
	    HUB_RATELIMIT_WAIT) {
		res->cls = HUB_SLACK_RATELIMITED;
		res->wait_ms = wait_ms;
		snprintf(res->error, sizeof(res->error), "local_ratelimit");
		rc = HUB_CONN_SLACK;
		goto out;
	}
	if (hub_slack_webhook_post(s, url.data, body, res) == HUB_SLACK_OK) {
		rc = HUB_CONN_OK;
		goto out;
	}
	if (res->cls == HUB_SLACK_RATELIMITED && res->status == 429)
		hub_ratelimit_penalize(db, b.key, res->retry_after);
	if (res->cls == HUB_SLACK_AUTH)
		disable_for(db, c, res);
	rc = HUB_CONN_SLACK;
out:
	secret_release(&url);
	return rc;
}

int
hub_connections_check_channel(struct hub_db *db, struct hub_slack *s, const struct hub_conn *c,
    const char *channel, struct hub_slack_result *res, struct hub_buf *fix)
{
	struct hub_buf tok = HUB_BUF_INIT(SECRET_MAX);
	int rc;

	hub_slack_result_free(res);
	if (c->type != HUB_CONN_SLACK_APP) {
		/* A webhook is bound to its channel; only a post can tell. */
		fix_set(fix, "a webhook connection posts to its own channel; test it with "
		    "approvalhub connection test");
		rc = HUB_CONN_INVALID;
		goto out;
	}
	if ((rc = hub_connections_open_token(s, c, &tok)) != HUB_CONN_OK)
		goto out;
	rc = check_channel_token(db, s, bucket_team(c), tok.data, NULL, channel, res, fix);
	if (rc == HUB_CONN_SLACK && res->cls == HUB_SLACK_AUTH)
		disable_for(db, c, res);
out:
	secret_release(&tok);
	return rc;
}

int
hub_connections_bootstrap_env(struct hub_db *db, struct hub_slack *s, const struct hub_conf *conf,
    struct hub_slack_result *res)
{
	static const char *const name = "default";
	struct hub_buf old = HUB_BUF_INIT(SECRET_MAX), sealed = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1);
	struct hub_conn_spec spec;
	struct hub_conn c;
	struct whoami w;
	const char *params[5];
	const char *token = conf->slack_bot_token;
	int rc;

	if (token == NULL || *token == '\0')
		return HUB_CONN_OK;
	if (!hub_conn_token_ok(token))
		return HUB_CONN_INVALID;
	rc = hub_connections_get(db, name, &c);
	if (rc == HUB_CONN_NOTFOUND) {
		memset(&spec, 0, sizeof(spec));
		spec.name = name;
		spec.type = HUB_CONN_SLACK_APP;
		spec.token = token;
		/* Default only when there is none: an admin's choice stays. */
		rc = hub_connections_add(db, s, &spec, NULL, res, NULL);
		if (rc == HUB_CONN_EXISTS)   /* another process was first */
			rc = HUB_CONN_OK;
		goto out;
	}
	if (rc != HUB_CONN_OK)
		goto out;
	if (c.type != HUB_CONN_SLACK_APP) {
		rc = HUB_CONN_EXISTS;
		goto out;
	}
	if (hub_connections_open_token(s, &c, &old) == HUB_CONN_OK && old.len == strlen(token) &&
	    hub_ct_equal(old.data, token, old.len)) {
		rc = HUB_CONN_OK;
		goto out;
	}
	/* The environment's token changed: it replaces the stored one. */
	if ((rc = auth_test(s, token, &w, res, NULL)) != HUB_CONN_OK ||
	    (rc = seal(s, token, &sealed)) != HUB_CONN_OK)
		goto out;
	params[0] = c.id;
	params[1] = sealed.data;
	params[2] = w.team_id;
	params[3] = w.team_name;
	params[4] = w.user_id;
	rc = map_db(hub_db_exec(db, &conn_stmts, STMT_SET_TOKEN, params, NULL));
	if (rc == HUB_CONN_OK)
		hub_log(HUB_LOG_INFO, "connection_token_replaced", "connection", name,
		    "from", "SLACK_BOT_TOKEN", NULL);
out:
	secret_release(&old);
	hub_buf_release(&sealed);
	return rc;
}

/* users.lookupByEmail for email, its answer (a user id or "no such
 * user") cached either way: OK with out_id, NOTFOUND, or the failure. */
static int
lookup_slack(struct hub_db *db, struct hub_slack *s, const struct hub_conn *c,
    const char *email, char out_id[HUB_SLACK_ID_LEN], struct hub_slack_result *res)
{
	const char *params[4] = { c->id, email, NULL, NULL }, *id;
	json_object *args, *user;
	int rc;

	if ((args = json_object_new_object()) == NULL)
		return HUB_CONN_NOMEM;
	json_object_object_add(args, "email", json_object_new_string(email));
	rc = hub_connections_call(db, s, c, "users.lookupByEmail", NULL, args, res);
	json_object_put(args);
	if (rc == HUB_CONN_SLACK && res->cls == HUB_SLACK_NOT_FOUND_USER) {
		params[3] = CACHE_MISS_S;
		hub_db_exec(db, &conn_stmts, STMT_CACHE_PUT, params, NULL);
		return HUB_CONN_NOTFOUND;
	}
	if (rc != HUB_CONN_OK)
		return rc;
	if (hub_json_get_object(res->resp, "user", &user) != HUB_JSON_OK ||
	    hub_json_get_string(user, "id", HUB_SLACK_ID_LEN - 1, &id) != HUB_JSON_OK ||
	    !valid_channel(id)) {
		snprintf(res->error, sizeof(res->error), "invalid_response");
		res->cls = HUB_SLACK_TRANSIENT;
		return HUB_CONN_SLACK;
	}
	copy(out_id, HUB_SLACK_ID_LEN, id);
	params[2] = out_id;
	params[3] = CACHE_HIT_S;
	/* A cache write failing costs one more lookup later, nothing else. */
	hub_db_exec(db, &conn_stmts, STMT_CACHE_PUT, params, NULL);
	return HUB_CONN_OK;
}

int
hub_slack_lookup_email(struct hub_db *db, struct hub_slack *s, const struct hub_conn *c,
    const char *email, char out_id[HUB_SLACK_ID_LEN], struct hub_slack_result *res)
{
	struct hub_slack_result local;
	PGresult *r = NULL;
	const char *params[2];
	int rc;

	hub_slack_result_init(&local);
	if (res == NULL)
		res = &local;
	out_id[0] = '\0';
	if (!hub_check_email(email) || !type_needs[c->type].token) {
		rc = HUB_CONN_INVALID;
		goto out;
	}
	params[0] = c->id;
	params[1] = email;
	if ((rc = map_db(hub_db_exec(db, &conn_stmts, STMT_CACHE_GET, params, &r))) !=
	    HUB_CONN_OK)
		goto out;
	if (PQntuples(r) == 1) {
		if (PQgetisnull(r, 0, 0))
			rc = HUB_CONN_NOTFOUND;
		else
			copy(out_id, HUB_SLACK_ID_LEN, PQgetvalue(r, 0, 0));
		goto out;
	}
	rc = lookup_slack(db, s, c, email, out_id, res);
out:
	PQclear(r);
	hub_slack_result_free(&local);
	return rc;
}

int
hub_slack_cache_drop(struct hub_db *db, const struct hub_conn *c, const char *email)
{
	const char *params[2] = { c->id, email };

	if (email == NULL)
		return HUB_CONN_INVALID;
	return map_db(hub_db_exec(db, &conn_stmts, STMT_CACHE_DROP, params, NULL));
}

/* ------------------------------------------------------------ worker setup */

/* SLACK_BOT_TOKEN's connection: retried up to a minute apart while Slack
 * (or the database) does not answer; each call is short so the job loop
 * is never held for long. */
#define ENV_CONN_RETRY_MAX_S	60
#define ENV_CONN_TIMEOUT_MS	5000L

int
hub_connections_env_setup(struct hub_job_env *env, int delay_s)
{
	struct hub_slack s;
	struct hub_slack_result res;
	char delay[16];
	const char *why;
	int rc, again;

	memset(&s, 0, sizeof(s));
	s.http = env->http;
	s.api_url = env->conf->slack_api_url;
	s.timeout_ms = ENV_CONN_TIMEOUT_MS;
	s.keyring = env->keys;
	hub_slack_result_init(&res);
	rc = hub_connections_bootstrap_env(env->db, &s, env->conf, &res);
	if (rc == HUB_CONN_OK) {
		hub_log(HUB_LOG_INFO, "env_connection_ready", "connection", "default",
		    "from", "SLACK_BOT_TOKEN", NULL);
		delay_s = 0;
		goto out;
	}
	again = rc == HUB_CONN_DB || rc == HUB_CONN_NOMEM || (rc == HUB_CONN_SLACK &&
	    (res.cls == HUB_SLACK_TRANSIENT || res.cls == HUB_SLACK_RATELIMITED));
	why = rc == HUB_CONN_SLACK && res.error[0] != '\0' ? res.error : hub_conn_strerror(rc);
	if (!again) {
		hub_log(HUB_LOG_ERROR, "env_connection_failed", "connection", "default",
		    "from", "SLACK_BOT_TOKEN", "error", why, "detail", res.detail,
		    "fix", rc == HUB_CONN_EXISTS ? "a connection named default that is not a "
		    "SLACK_APP exists: rename or remove it, then restart the worker" :
		    "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...), then "
		    "restart the worker", NULL);
		delay_s = 0;
		goto out;
	}
	if (res.cls == HUB_SLACK_RATELIMITED && res.retry_after > delay_s)
		delay_s = res.retry_after;
	if (delay_s > ENV_CONN_RETRY_MAX_S)
		delay_s = ENV_CONN_RETRY_MAX_S;
	if (delay_s < 1)
		delay_s = 1;
	snprintf(delay, sizeof(delay), "%ds", delay_s);
	hub_log(HUB_LOG_WARN, "env_connection_failed", "connection", "default",
	    "from", "SLACK_BOT_TOKEN", "error", why, "detail", res.detail,
	    "retry_in", delay, NULL);
out:
	hub_slack_result_free(&res);
	return delay_s;
}
