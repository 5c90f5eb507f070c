/*
 * oauth.c - the Slack OAuth v2 install and token rotation (see oauth.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "approval/audit.h"
#include "base/check.h"
#include "slack/connections.h"
#include "base/form.h"
#include "base/json.h"
#include "store/jobs.h"
#include "base/log.h"
#include "slack/oauth.h"
#include "slack/slackapi.h"
#include "slack/slackscopes.h"

#define RANDOM_BYTES	32      /* state, nonce, status token */
#define TOKEN_TEXT_MAX	100     /* what we accept back as a state or nonce */
#define CODE_MAX	256
#define SECRET_MAX	1024
#define HASH_HEX	(2 * HUB_SHA256_LEN + 1)
#define DEFAULT_EXPIRES_S 43200 /* Slack's rotation default, when expires_in is absent */
#define STORE_TRIES	3

enum stmt {
	STMT_STATE_INSERT,
	STMT_STATE_PURGE,
	STMT_STATE_USE,
	STMT_JOB_STATUS,
	STMT_CONN_NAME,
	STMT_INSTALL_LOCK,
	STMT_FIND_TEAM,
	STMT_UPDATE_INSTALL,
	STMT_INSERT_INSTALL,
	STMT_REFRESH_PICK,
	STMT_REFRESH_STORE,
	STMT_REFRESH_DISABLE,
	STMT_INSTALLED_BY,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/* $1 state hash, $2 browser hash, $3 ttl s, $4 the admin (NULL: none) */
	[STMT_STATE_INSERT] = {
		"INSERT INTO oauth_states (state_hash, browser_hash, expires_at, user_id)"
		" VALUES ($1, $2, now() + make_interval(secs => $3::int), $4::uuid)", 4 },
	/* Old states are useless; keep the table small as installs come. */
	[STMT_STATE_PURGE] = {
		"DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'", 0 },
	/* Single use, unexpired, this browser: all or nothing.  Columns: the
	 * admin who started the install, their name ("" when none). */
	[STMT_STATE_USE] = {
		"UPDATE oauth_states s SET used_at = now()"
		" WHERE state_hash = $1 AND browser_hash = $2 AND used_at IS NULL"
		" AND expires_at > now() RETURNING coalesce(s.user_id::text, ''),"
		" coalesce((SELECT u.name FROM users u WHERE u.id = s.user_id), '')", 2 },
	[STMT_JOB_STATUS] = {
		"SELECT j.state, coalesce(j.last_error, ''),"
		" coalesce(j.payload->>'status_hash', ''),"
		" coalesce((SELECT a.detail FROM job_attempts a WHERE a.job_id = j.id AND a.ok"
		"  ORDER BY a.attempt DESC LIMIT 1), '')"
		" FROM jobs j WHERE j.id = $1::bigint AND j.kind = '" HUB_OAUTH_JOB_KIND "'", 1 },
	[STMT_CONN_NAME] = {
		"SELECT name, coalesce(team_name, ''), coalesce(team_id, '')"
		" FROM slack_connections WHERE id = $1::uuid", 1 },
	/* Installs are rare: one at a time, so two installs of one team (or
	 * two first installs racing for the default) cannot both insert. */
	[STMT_INSTALL_LOCK] = {
		"SELECT pg_advisory_xact_lock(hashtext('approvalhub:oauth_install'))", 0 },
	/* The team's app connection; a rotating (OAuth-made) one first. */
	[STMT_FIND_TEAM] = {
		"SELECT id FROM slack_connections WHERE type = 'SLACK_APP' AND team_id = $1"
		" ORDER BY (refresh_token_enc IS NOT NULL) DESC, created_at LIMIT 1"
		" FOR UPDATE", 1 },
	/* $1 id, $2 team name, $3 enterprise, $4 app, $5 bot user, $6 token,
	 * $7 refresh token (NULL: no rotation), $8 expires_in s, $9 scopes.
	 * A reinstall is the fix for a disabled connection: enable it. */
	[STMT_UPDATE_INSTALL] = {
		"UPDATE slack_connections SET team_name = $2, enterprise_id = nullif($3, ''),"
		" app_id = nullif($4, ''), bot_user_id = nullif($5, ''), bot_token_enc = $6,"
		" refresh_token_enc = $7::text,"
		" token_expires_at = CASE WHEN $7::text IS NULL THEN NULL"
		"  ELSE now() + make_interval(secs => $8::int) END,"
		" scopes = nullif($9, ''), disabled = false, disabled_reason = NULL,"
		" disabled_at = NULL, needs_admin_attention = false"
		" WHERE id = $1::uuid RETURNING id", 9 },
	/* $1 name, $2 team id, then as above from $3. */
	[STMT_INSERT_INSTALL] = {
		"INSERT INTO slack_connections (name, type, team_id, team_name, enterprise_id,"
		" app_id, bot_user_id, bot_token_enc, refresh_token_enc, token_expires_at, scopes,"
		" is_default)"
		" VALUES ($1, 'SLACK_APP', $2, $3, nullif($4, ''), nullif($5, ''), nullif($6, ''),"
		" $7, $8::text, CASE WHEN $8::text IS NULL THEN NULL"
		"  ELSE now() + make_interval(secs => $9::int) END, nullif($10, ''),"
		" NOT EXISTS (SELECT 1 FROM slack_connections WHERE is_default))"
		" ON CONFLICT (name) DO NOTHING RETURNING id", 10 },
	/* $1 seconds ahead, $2 ids already tried in this sweep ("{}" none). */
	[STMT_REFRESH_PICK] = {
		"SELECT id, name, refresh_token_enc FROM slack_connections"
		" WHERE refresh_token_enc IS NOT NULL AND NOT disabled"
		" AND token_expires_at < now() + make_interval(secs => $1::int)"
		" AND NOT (id = ANY ($2::uuid[]))"
		" ORDER BY token_expires_at LIMIT 1 FOR UPDATE SKIP LOCKED", 2 },
	[STMT_REFRESH_STORE] = {
		"UPDATE slack_connections SET bot_token_enc = $2, refresh_token_enc = $3,"
		" token_expires_at = now() + make_interval(secs => $4::int)"
		" WHERE id = $1::uuid", 4 },
	[STMT_REFRESH_DISABLE] = {
		"UPDATE slack_connections SET disabled = true, disabled_reason = $2,"
		" disabled_at = now(), needs_admin_attention = true WHERE id = $1::uuid", 2 },
	[STMT_INSTALLED_BY] = {
		"UPDATE slack_connections SET installed_by = $2::uuid"
		" WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM users WHERE id = $2::uuid)", 2 },
};

static const struct hub_stmt_table oauth_stmts = { "oauth", stmts, STMT__MAX };

const char *
hub_oauth_strerror(int err)
{
	switch (err) {
	case HUB_OAUTH_OK:		return "ok";
	case HUB_OAUTH_NOTCONFIGURED:	return "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set";
	case HUB_OAUTH_BADSTATE:	return "unknown, used or expired state, or another browser";
	case HUB_OAUTH_NOTFOUND:	return "not found";
	case HUB_OAUTH_UNAVAILABLE:	return "database unavailable";
	case HUB_OAUTH_DB:		return "database error";
	case HUB_OAUTH_CRYPTO:		return "cannot seal or open a secret";
	case HUB_OAUTH_NOMEM:		return "out of memory";
	default:			return "unknown error";
	}
}

static int
map_db(int err)
{
	switch (err) {
	case HUB_DB_OK:		return HUB_OAUTH_OK;
	case HUB_DB_CONN:	return HUB_OAUTH_UNAVAILABLE;
	case HUB_DB_NOMEM:	return HUB_OAUTH_NOMEM;
	default:		return HUB_OAUTH_DB;
	}
}

static int
configured(const struct hub_conf *conf)
{
	return conf != NULL && conf->slack_client_id != NULL && *conf->slack_client_id &&
	    conf->slack_client_secret != NULL && *conf->slack_client_secret &&
	    conf->have_secret_key && conf->public_url != NULL;
}

static void
secret_release(struct hub_buf *b)
{
	if (b->data != NULL)
		memset(b->data, 0, b->cap);
	hub_buf_release(b);
}

/* Hex SHA-256 of s. */
static void
hash_hex(const char *s, char out[HASH_HEX])
{
	unsigned char d[HUB_SHA256_LEN];

	hub_sha256(s, strlen(s), d);
	hub_hex_encode(d, sizeof(d), out);
}

/* A state, nonce or status token as we issue them: base64url. */
static int
token_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n < 16 || n > TOKEN_TEXT_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int
hub_oauth_authorize_base(const struct hub_conf *conf, struct hub_buf *out)
{
	const char *api = conf->slack_api_url, *p;
	size_t n;

	if (api == NULL || (p = strstr(api, "://")) == NULL)
		return HUB_OAUTH_NOTCONFIGURED;
	p += 3;
	n = (size_t)(p - api) + strcspn(p, "/?#");
	if (hub_buf_add(out, api, n) != HUB_BUF_OK ||
	    hub_buf_adds(out, "/oauth/v2/authorize") != HUB_BUF_OK)
		return HUB_OAUTH_NOMEM;
	return HUB_OAUTH_OK;
}

static int
redirect_uri(const struct hub_conf *conf, struct hub_buf *out)
{
	return hub_buf_printf(out, "%s/slack/oauth/callback", conf->public_url) == HUB_BUF_OK ?
	    HUB_OAUTH_OK : HUB_OAUTH_NOMEM;
}

static int
cookie(const struct hub_conf *conf, const char *value, int max_age, struct hub_buf *out)
{
	int secure = conf->public_url != NULL && strncmp(conf->public_url, "https://", 8) == 0;

	return hub_buf_printf(out, "%s=%s; HttpOnly; SameSite=Lax; Path=/slack/oauth; "
	    "Max-Age=%d%s", HUB_OAUTH_COOKIE, value, max_age, secure ? "; Secure" : "") ==
	    HUB_BUF_OK ? HUB_OAUTH_OK : HUB_OAUTH_NOMEM;
}

int
hub_oauth_clear_cookie(const struct hub_conf *conf, struct hub_buf *out)
{
	return cookie(conf, "", 0, out);
}

/* name=value pairs separated by ';' (RFC 6265 cookie-string). */
int
hub_oauth_cookie_get(const char *h, const char *name, struct hub_buf *out)
{
	size_t nl = strlen(name), vl;
	const char *p = h;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		vl = strcspn(p, ";");
		if (vl > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t n = vl - nl - 1;

			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			return hub_buf_add(out, v, n) == HUB_BUF_OK ? 0 : -1;
		}
		p += vl;
	}
	return -1;
}

int
hub_oauth_begin(struct hub_db *db, const struct hub_conf *conf, const char *user_id,
    struct hub_buf *location, struct hub_buf *set_cookie)
{
	struct hub_buf state = HUB_BUF_INIT(128), nonce = HUB_BUF_INIT(128),
	    redir = HUB_BUF_INIT(4096), scopes = HUB_BUF_INIT(1024);
	char sh[HASH_HEX], bh[HASH_HEX], ttl[16];
	const char *params[4];
	int rc;

	if (!configured(conf))
		return HUB_OAUTH_NOTCONFIGURED;
	if (hub_random_token(RANDOM_BYTES, &state) != HUB_CRYPTO_OK ||
	    hub_random_token(RANDOM_BYTES, &nonce) != HUB_CRYPTO_OK) {
		rc = HUB_OAUTH_CRYPTO;
		goto out;
	}
	hash_hex(hub_buf_str(&state), sh);
	hash_hex(hub_buf_str(&nonce), bh);
	snprintf(ttl, sizeof(ttl), "%d", HUB_OAUTH_STATE_TTL_S);
	params[0] = sh;
	params[1] = bh;
	params[2] = ttl;
	params[3] = user_id != NULL && hub_check_uuid(user_id) ? user_id : NULL;
	/* Purging is housekeeping: its failure must not stop an install. */
	hub_db_exec(db, &oauth_stmts, STMT_STATE_PURGE, NULL, NULL);
	if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_STATE_INSERT, params, NULL))) !=
	    HUB_OAUTH_OK)
		goto out;
	if ((rc = redirect_uri(conf, &redir)) != HUB_OAUTH_OK ||
	    (rc = hub_oauth_authorize_base(conf, location)) != HUB_OAUTH_OK)
		goto out;
	rc = HUB_OAUTH_NOMEM;
	if (hub_slack_scopes(&scopes) != HUB_BUF_OK ||
	    hub_buf_adds(location, "?client_id=") != HUB_BUF_OK ||
	    hub_url_encode(conf->slack_client_id, strlen(conf->slack_client_id), location) ||
	    hub_buf_adds(location, "&scope=") != HUB_BUF_OK ||
	    hub_url_encode(hub_buf_str(&scopes), scopes.len, location) ||
	    hub_buf_adds(location, "&state=") != HUB_BUF_OK ||
	    hub_buf_adds(location, hub_buf_str(&state)) != HUB_BUF_OK ||
	    hub_buf_adds(location, "&redirect_uri=") != HUB_BUF_OK ||
	    hub_url_encode(redir.data, redir.len, location))
		goto out;
	rc = cookie(conf, hub_buf_str(&nonce), HUB_OAUTH_STATE_TTL_S, set_cookie);
	if (rc == HUB_OAUTH_OK)
		hub_log(HUB_LOG_INFO, "oauth_install_started", NULL);
out:
	secret_release(&state);
	secret_release(&nonce);
	hub_buf_release(&redir);
	hub_buf_release(&scopes);
	return rc;
}

/* Who started an install: the admin's user id and name ("" when none). */
struct installer {
	char	id[HUB_CONN_ID_LEN];
	char	name[HUB_CONN_NAME_MAX * 2 + 1];
};

/* The admin who started the install, for the exchange job's payload
 * (payload may be NULL): "installed_by" {id, name}, the actor of its
 * audit row. */
static int
installer_add(json_object *payload, const PGresult *r)
{
	json_object *by;

	if (payload == NULL || PQgetvalue(r, 0, 0)[0] == '\0')
		return HUB_OAUTH_OK;
	if ((by = json_object_new_object()) == NULL)
		return HUB_OAUTH_NOMEM;
	json_object_object_add(by, "id", json_object_new_string(PQgetvalue(r, 0, 0)));
	json_object_object_add(by, "name", json_object_new_string(PQgetvalue(r, 0, 1)));
	json_object_object_add(payload, "installed_by", by);
	return HUB_OAUTH_OK;
}

/* What installer_add put in the payload (all "" when nothing). */
static void
installer_of(json_object *payload, struct installer *who)
{
	json_object *by = NULL;
	const char *v;

	memset(who, 0, sizeof(*who));
	if (hub_json_get_object(payload, "installed_by", &by) != HUB_JSON_OK)
		return;
	if (hub_json_get_string(by, "id", HUB_UUID_TEXT_LEN, &v) == HUB_JSON_OK &&
	    hub_check_uuid(v))
		snprintf(who->id, sizeof(who->id), "%s", v);
	if (hub_json_get_string(by, "name", sizeof(who->name) - 1, &v) == HUB_JSON_OK)
		snprintf(who->name, sizeof(who->name), "%s", v);
}

/* Spend the state in the caller's transaction (or alone); who started the
 * install goes into payload (may be NULL).  OK, BADSTATE or a database
 * code. */
static int
use_state(struct hub_db *db, const char *state, const char *cookie_header,
    json_object *payload)
{
	struct hub_buf nonce = HUB_BUF_INIT(TOKEN_TEXT_MAX + 1);
	char sh[HASH_HEX], bh[HASH_HEX];
	const char *params[2];
	PGresult *r = NULL;
	int rc;

	if (!token_ok(state) || hub_oauth_cookie_get(cookie_header, HUB_OAUTH_COOKIE, &nonce) != 0 ||
	    !token_ok(hub_buf_str(&nonce))) {
		rc = HUB_OAUTH_BADSTATE;
		goto out;
	}
	hash_hex(state, sh);
	hash_hex(hub_buf_str(&nonce), bh);
	params[0] = sh;
	params[1] = bh;
	if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_STATE_USE, params, &r))) !=
	    HUB_OAUTH_OK)
		goto out;
	rc = PQntuples(r) == 1 ? installer_add(payload, r) : HUB_OAUTH_BADSTATE;
out:
	PQclear(r);
	secret_release(&nonce);
	return rc;
}

static int
code_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > CODE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* In one transaction: the state spent (it must match the cookie) and the
 * exchange job queued (*id). */
static int
enqueue_exchange(struct hub_db *db, const char *state, const char *cookie_header,
    json_object *payload, int64_t *id)
{
	int rc;

	if ((rc = map_db(hub_db_begin(db))) != HUB_OAUTH_OK)
		return rc;
	if ((rc = use_state(db, state, cookie_header, payload)) != HUB_OAUTH_OK ||
	    (rc = map_db(hub_job_enqueue(db, &(struct hub_job_spec){
	    .kind = HUB_OAUTH_JOB_KIND, .payload = payload }, id))) != HUB_OAUTH_OK ||
	    (rc = map_db(hub_db_commit(db))) != HUB_OAUTH_OK)
		hub_db_rollback(db);
	return rc;
}

int
hub_oauth_finish(struct hub_db *db, const struct hub_conf *conf, const char *code,
    const char *state, const char *cookie_header, struct hub_buf *status_path)
{
	struct hub_keyring ring;
	struct hub_buf sealed = HUB_BUF_INIT(4096), redir = HUB_BUF_INIT(4096),
	    token = HUB_BUF_INIT(128);
	json_object *payload = NULL;
	char th[HASH_HEX];
	int64_t id = 0;
	int rc;

	memset(&ring, 0, sizeof(ring));
	if (!configured(conf)) {
		rc = HUB_OAUTH_NOTCONFIGURED;
		goto out;
	}
	if (!code_ok(code) || !token_ok(state)) {
		rc = HUB_OAUTH_BADSTATE;
		goto out;
	}
	if (hub_keyring_add(&ring, conf->secret_key) != HUB_CRYPTO_OK ||
	    hub_box_seal(&ring, code, strlen(code), &sealed) != HUB_CRYPTO_OK ||
	    hub_random_token(RANDOM_BYTES, &token) != HUB_CRYPTO_OK) {
		rc = HUB_OAUTH_CRYPTO;
		goto out;
	}
	if ((rc = redirect_uri(conf, &redir)) != HUB_OAUTH_OK)
		goto out;
	hash_hex(hub_buf_str(&token), th);
	if ((payload = json_object_new_object()) == NULL) {
		rc = HUB_OAUTH_NOMEM;
		goto out;
	}
	json_object_object_add(payload, "code_sealed", json_object_new_string(sealed.data));
	json_object_object_add(payload, "redirect_uri", json_object_new_string(redir.data));
	json_object_object_add(payload, "status_hash", json_object_new_string(th));

	if ((rc = enqueue_exchange(db, state, cookie_header, payload, &id)) !=
	    HUB_OAUTH_OK)
		goto out;
	if (hub_buf_printf(status_path, "/slack/oauth/status/%lld.%s", (long long)id,
	    hub_buf_str(&token)) != HUB_BUF_OK)
		rc = HUB_OAUTH_NOMEM;
out:
	json_object_put(payload);
	memset(&ring, 0, sizeof(ring));
	hub_buf_release(&sealed);
	hub_buf_release(&redir);
	secret_release(&token);
	return rc;
}

void
hub_oauth_abandon(struct hub_db *db, const char *state, const char *cookie_header)
{
	if (state != NULL)
		use_state(db, state, cookie_header, NULL);
}

/* Bounded copy; what does not fit is cut. */
static void
copy(char *dst, size_t n, const char *src)
{
	size_t l = src != NULL ? strnlen(src, n - 1) : 0;

	if (l > 0)
		memcpy(dst, src, l);
	dst[l] = '\0';
}

int
hub_oauth_status(struct hub_db *db, const char *id_token, struct hub_oauth_status *st)
{
	const char *dot, *params[1], *state;
	char idbuf[24], th[HASH_HEX];
	PGresult *r = NULL;
	size_t n;
	int rc;

	memset(st, 0, sizeof(*st));
	if (id_token == NULL || (dot = strchr(id_token, '.')) == NULL ||
	    (n = (size_t)(dot - id_token)) == 0 || n >= 19 ||
	    strspn(id_token, "0123456789") != n || !token_ok(dot + 1))
		return HUB_OAUTH_NOTFOUND;
	memcpy(idbuf, id_token, n);
	idbuf[n] = '\0';
	params[0] = idbuf;
	if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_JOB_STATUS, params, &r))) !=
	    HUB_OAUTH_OK)
		goto out;
	hash_hex(dot + 1, th);
	if (PQntuples(r) != 1 || strlen(PQgetvalue(r, 0, 2)) != HASH_HEX - 1 ||
	    !hub_ct_equal(th, PQgetvalue(r, 0, 2), HASH_HEX - 1)) {
		rc = HUB_OAUTH_NOTFOUND;
		goto out;
	}
	state = PQgetvalue(r, 0, 0);
	if (strcmp(state, "done") == 0) {
		const char *cid = PQgetvalue(r, 0, 3);
		PGresult *c = NULL;

		st->phase = HUB_OAUTH_INSTALLED;
		params[0] = cid;
		if (hub_check_uuid(cid) && hub_db_exec(db, &oauth_stmts, STMT_CONN_NAME, params,
		    &c) == HUB_DB_OK && PQntuples(c) == 1) {
			copy(st->connection, sizeof(st->connection), PQgetvalue(c, 0, 0));
			copy(st->team_name, sizeof(st->team_name), PQgetvalue(c, 0, 1));
			copy(st->team_id, sizeof(st->team_id), PQgetvalue(c, 0, 2));
		}
		PQclear(c);
	} else if (strcmp(state, "failed") == 0) {
		st->phase = HUB_OAUTH_FAILED;
		copy(st->error, sizeof(st->error), PQgetvalue(r, 0, 1));
	} else
		st->phase = HUB_OAUTH_PENDING;
	rc = HUB_OAUTH_OK;
out:
	PQclear(r);
	return rc;
}

/* ------------------------------------------------------------ the worker */

/* What to do after a refused call: wait and retry, or give up naming the
 * error and its fix. */
static void
slack_failed(const struct hub_slack_result *res, struct hub_job_result *r)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "%s: %s", res->error[0] ? res->error : "slack",
	    hub_slack_fix(res->error));
	if (res->cls == HUB_SLACK_TRANSIENT || res->cls == HUB_SLACK_RATELIMITED) {
		hub_job_result_set(r, HUB_JOB_RETRY, "slack unavailable", res->error,
		    "%s", detail);
		if (res->retry_after > 0)
			r->retry_after = res->retry_after;
	} else
		hub_job_result_set(r, HUB_JOB_FAIL, "slack refused", res->error, "%s", detail);
}

static void
slack_client(struct hub_job_env *e, struct hub_slack *s)
{
	memset(s, 0, sizeof(*s));
	s->http = e->http;
	s->api_url = e->conf->slack_api_url;
	s->keyring = e->keys;
	s->timeout_ms = HUB_SLACK_TIMEOUT_MS;
	/* Never hold a job (or a locked row) past the lease. */
	if (e->lease_s > 10 && s->timeout_ms > (long)(e->lease_s - 5) * 1000)
		s->timeout_ms = (long)(e->lease_s - 5) * 1000;
}

/* What oauth.v2.access answered, borrowed from its JSON. */
struct grant {
	const char	*access_token;
	const char	*refresh_token;   /* NULL without rotation */
	int64_t		 expires_in;
	const char	*bot_user_id;
	const char	*app_id;
	const char	*scope;
	const char	*team_id;
	const char	*team_name;
	const char	*enterprise_id;
	const char	*authed_user_id;  /* who approved the install in Slack */
};

static int
grant_parse(json_object *resp, struct grant *g)
{
	json_object *team = NULL, *ent = NULL, *who = NULL;

	memset(g, 0, sizeof(*g));
	g->expires_in = DEFAULT_EXPIRES_S;
	if (hub_json_get_string(resp, "access_token", 512, &g->access_token) != HUB_JSON_OK ||
	    !hub_conn_token_ok(g->access_token))
		return -1;
	if (hub_json_get_string(resp, "refresh_token", 512, &g->refresh_token) != HUB_JSON_OK)
		g->refresh_token = NULL;
	else if (!hub_conn_token_ok(g->refresh_token))
		return -1;
	if (hub_json_get_int64(resp, "expires_in", 60, 366LL * 86400, &g->expires_in) !=
	    HUB_JSON_OK)
		g->expires_in = DEFAULT_EXPIRES_S;
	hub_json_get_string(resp, "bot_user_id", HUB_SLACK_ID_LEN - 1, &g->bot_user_id);
	hub_json_get_string(resp, "app_id", 64, &g->app_id);
	hub_json_get_string(resp, "scope", 2000, &g->scope);
	if (hub_json_get_object(resp, "team", &team) == HUB_JSON_OK) {
		hub_json_get_string(team, "id", HUB_SLACK_ID_LEN - 1, &g->team_id);
		hub_json_get_string(team, "name", 127, &g->team_name);
	}
	if (hub_json_get_object(resp, "enterprise", &ent) == HUB_JSON_OK)
		hub_json_get_string(ent, "id", HUB_SLACK_ID_LEN - 1, &g->enterprise_id);
	if (hub_json_get_object(resp, "authed_user", &who) == HUB_JSON_OK &&
	    hub_json_get_string(who, "id", HUB_SLACK_ID_LEN - 1, &g->authed_user_id) ==
	    HUB_JSON_OK && !hub_check_slack_user(g->authed_user_id))
		g->authed_user_id = NULL;
	return 0;
}

/* At most max bytes of s, not cutting a UTF-8 sequence, controls as spaces. */
static void
name_from(const char *s, size_t max, char *out, size_t outlen)
{
	size_t n = strlen(s), i;

	if (n > max)
		n = max;
	if (n >= outlen)
		n = outlen - 1;
	if (s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	for (i = 0; i < n; i++)
		out[i] = iscntrl((unsigned char)s[i]) ? ' ' : s[i];
	out[n] = '\0';
}

/*
 * What follows an install, in its transaction: who installed it
 * (installed_by), the audit row (as the admin who started the install),
 * and the welcome DM to the person who approved it in Slack.
 */
static int
after_install(struct hub_db *db, const struct grant *g, json_object *payload,
    const char *cid, int reinstall)
{
	struct hub_actor a = { "user", NULL, NULL, NULL, "web" };
	struct installer who;
	const char *params[2] = { cid, who.id };
	json_object *d = NULL, *wp = NULL;
	int rc = HUB_OAUTH_NOMEM;

	installer_of(payload, &who);
	if (who.id[0] != '\0') {
		a.id = who.id;
		a.display = who.name[0] ? who.name : who.id;
		if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_INSTALLED_BY, params,
		    NULL))) != HUB_OAUTH_OK)
			return rc;
	} else {
		a.kind = "slack";
		a.display = "Slack install";
	}
	if ((d = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(d, "connection_id", json_object_new_string(cid));
	json_object_object_add(d, "team_id", json_object_new_string(g->team_id));
	json_object_object_add(d, "team", json_object_new_string(g->team_name));
	json_object_object_add(d, "reinstall", json_object_new_boolean(reinstall));
	if ((rc = map_db(hub_audit_admin(db, &a, "connection.installed", d))) != HUB_OAUTH_OK)
		goto out;
	if (g->authed_user_id == NULL)
		goto out;
	rc = HUB_OAUTH_NOMEM;
	if ((wp = json_object_new_object()) == NULL)
		goto out;
	json_object_object_add(wp, "connection_id", json_object_new_string(cid));
	json_object_object_add(wp, "user", json_object_new_string(g->authed_user_id));
	rc = map_db(hub_job_enqueue(db, &(struct hub_job_spec){
	    .kind = HUB_OAUTH_WELCOME_KIND, .payload = wp,
	    .max_age_s = HUB_OAUTH_WELCOME_MAX_AGE_S }, NULL));
out:
	json_object_put(d);
	json_object_put(wp);
	return rc;
}

/* Create or update the team's connection; its id into cid. */
static int
store_install(struct hub_db *db, const struct hub_keyring *ring, const struct grant *g,
    json_object *payload, char cid[HUB_CONN_ID_LEN])
{
	struct hub_buf tok = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1),
	    ref = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1);
	char expires[24], name[HUB_CONN_NAME_MAX + 1], alt[HUB_CONN_NAME_MAX + 1];
	const char *params[10];
	PGresult *r = NULL;
	int rc, in_tx = 0, reinstall;

	if (hub_box_seal(ring, g->access_token, strlen(g->access_token), &tok) != HUB_CRYPTO_OK ||
	    (g->refresh_token != NULL && hub_box_seal(ring, g->refresh_token,
	    strlen(g->refresh_token), &ref) != HUB_CRYPTO_OK)) {
		rc = HUB_OAUTH_CRYPTO;
		goto out;
	}
	snprintf(expires, sizeof(expires), "%lld", (long long)g->expires_in);
	if ((rc = map_db(hub_db_begin(db))) != HUB_OAUTH_OK)
		goto out;
	in_tx = 1;
	if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_INSTALL_LOCK, NULL, NULL))) !=
	    HUB_OAUTH_OK)
		goto out;
	params[0] = g->team_id;
	if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_FIND_TEAM, params, &r))) !=
	    HUB_OAUTH_OK)
		goto out;
	if ((reinstall = PQntuples(r) == 1)) {
		copy(cid, HUB_CONN_ID_LEN, PQgetvalue(r, 0, 0));
		PQclear(r);
		r = NULL;
		params[0] = cid;
		params[1] = g->team_name;
		params[2] = g->enterprise_id ? g->enterprise_id : "";
		params[3] = g->app_id ? g->app_id : "";
		params[4] = g->bot_user_id ? g->bot_user_id : "";
		params[5] = tok.data;
		params[6] = g->refresh_token != NULL ? ref.data : NULL;
		params[7] = expires;
		params[8] = g->scope ? g->scope : "";
		if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_UPDATE_INSTALL, params,
		    NULL))) != HUB_OAUTH_OK)
			goto out;
	} else {
		PQclear(r);
		r = NULL;
		/* Named after the team; another connection may hold that name. */
		name_from(g->team_name, HUB_CONN_NAME_MAX, name, sizeof(name));
		name_from(g->team_name, HUB_CONN_NAME_MAX - strlen(g->team_id) - 3, alt,
		    sizeof(alt));
		snprintf(alt + strlen(alt), sizeof(alt) - strlen(alt), " (%s)", g->team_id);
		params[1] = g->team_id;
		params[2] = g->team_name;
		params[3] = g->enterprise_id ? g->enterprise_id : "";
		params[4] = g->app_id ? g->app_id : "";
		params[5] = g->bot_user_id ? g->bot_user_id : "";
		params[6] = tok.data;
		params[7] = g->refresh_token != NULL ? ref.data : NULL;
		params[8] = expires;
		params[9] = g->scope ? g->scope : "";
		params[0] = name[0] ? name : alt;
		if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_INSERT_INSTALL, params,
		    &r))) != HUB_OAUTH_OK)
			goto out;
		if (PQntuples(r) == 0) {
			PQclear(r);
			r = NULL;
			params[0] = alt;
			if ((rc = map_db(hub_db_exec(db, &oauth_stmts, STMT_INSERT_INSTALL,
			    params, &r))) != HUB_OAUTH_OK)
				goto out;
		}
		if (PQntuples(r) != 1) {
			rc = HUB_OAUTH_DB;
			goto out;
		}
		copy(cid, HUB_CONN_ID_LEN, PQgetvalue(r, 0, 0));
	}
	if ((rc = after_install(db, g, payload, cid, reinstall)) != HUB_OAUTH_OK ||
	    (rc = map_db(hub_db_commit(db))) != HUB_OAUTH_OK)
		goto out;
	in_tx = 0;
out:
	if (in_tx)
		hub_db_rollback(db);
	PQclear(r);
	hub_buf_release(&tok);
	hub_buf_release(&ref);
	return rc;
}

static json_object *
client_args(const struct hub_conf *conf)
{
	json_object *a = json_object_new_object();

	if (a == NULL)
		return NULL;
	json_object_object_add(a, "client_id", json_object_new_string(conf->slack_client_id));
	json_object_object_add(a, "client_secret",
	    json_object_new_string(conf->slack_client_secret));
	return a;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The job's code, opened with the worker's keys, and its redirect_uri:
 * 0, or -1 with the outcome already in r. */
static int
exchange_input(struct hub_job_env *e, const struct hub_job *job, struct hub_buf *code,
    const char **redir, struct hub_job_result *r)
{
	const char *sealed;

	if (!configured(e->conf) || e->keys == NULL || e->keys->n == 0) {
		hub_job_result_set(r, HUB_JOB_FAIL, "not configured", "not_configured", "%s",
		    "not_configured: set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SECRET_KEY "
		    "for the worker");
		return -1;
	}
	if (hub_json_get_string(job->payload, "code_sealed", 4096, &sealed) != HUB_JSON_OK ||
	    hub_json_get_string(job->payload, "redirect_uri", 2048, redir) != HUB_JSON_OK) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: code_sealed and redirect_uri are required");
		return -1;
	}
	if (hub_box_open(e->keys, sealed, strlen(sealed), code) != HUB_CRYPTO_OK ||
	    !code_ok(hub_buf_str(code))) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: the code cannot be opened with SECRET_KEY");
		return -1;
	}
	return 0;
}

/* The code is spent: try hard to keep what it bought (STORE_TRIES, a
 * crypto failure is final). */
static int
store_grant(struct hub_job_env *e, const struct grant *g, json_object *payload,
    char cid[HUB_CONN_ID_LEN])
{
	int rc = HUB_OAUTH_DB, tries;

	for (tries = 0; tries < STORE_TRIES; tries++) {
		if ((rc = store_install(e->db, e->keys, g, payload, cid)) == HUB_OAUTH_OK ||
		    rc == HUB_OAUTH_CRYPTO)
			break;
		nap_ms(200L << tries);
	}
	return rc;
}

void
hub_job_oauth_exchange(struct hub_job_env *e, const struct hub_job *job,
    struct hub_job_result *r)
{
	struct hub_buf code = HUB_BUF_INIT(CODE_MAX + 1);
	struct hub_slack_result res;
	struct hub_slack s;
	struct grant g;
	json_object *args = NULL;
	const char *redir;
	char cid[HUB_CONN_ID_LEN];
	int rc;

	hub_slack_result_init(&res);
	if (exchange_input(e, job, &code, &redir, r) != 0)
		goto out;
	if ((args = client_args(e->conf)) == NULL) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "out of memory");
		goto out;
	}
	json_object_object_add(args, "code", json_object_new_string(code.data));
	json_object_object_add(args, "redirect_uri", json_object_new_string(redir));
	slack_client(e, &s);
	if (hub_slack_call(&s, "oauth.v2.access", NULL, args, &res) != HUB_SLACK_OK) {
		slack_failed(&res, r);
		goto out;
	}
	if (grant_parse(res.resp, &g) != 0 || g.team_id == NULL || g.team_name == NULL ||
	    *g.team_id == '\0') {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad answer", "invalid_response", "%s",
		    "invalid_response: oauth.v2.access answered without a bot token or team "
		    "(is this a bot install?)");
		goto out;
	}
	if ((rc = store_grant(e, &g, job->payload, cid)) != HUB_OAUTH_OK) {
		hub_job_result_set(r, rc == HUB_OAUTH_CRYPTO ? HUB_JOB_FAIL : HUB_JOB_RETRY,
		    "not stored", "database", "%s", hub_oauth_strerror(rc));
		goto out;
	}
	hub_log(HUB_LOG_INFO, "oauth_installed", "team", g.team_id, "connection", cid,
	    "rotation", g.refresh_token != NULL ? "on" : "off", NULL);
	hub_job_result_set(r, HUB_JOB_DONE, "installed", "", "%s", cid);
out:
	json_object_put(args);
	if (code.data != NULL)
		memset(code.data, 0, code.cap);
	hub_buf_release(&code);
	hub_slack_result_free(&res);
}

/* ------------------------------------------------------------ welcome */

/* The welcome DM's text (mrkdwn).  %s: the person's id, then PUBLIC_URL. */
#define WELCOME_TEXT \
	"Hi <@%s>, the Approval Hub is now installed in this workspace.\n\n" \
	"It brings approval requests from your company's systems (expenses, purchases, " \
	"access, deployments…) to the people who decide them: an approver gets a message " \
	"here with *Approve* and *Reject* buttons, every copy is updated once someone " \
	"decides, and the requester and the system that asked are told the outcome.\n\n" \
	"*How to use it*\n" \
	"• Type `/approvals` in any channel or DM to see the requests waiting for you, " \
	"with buttons to decide; `/approvals laptop` shows only those matching the words.\n" \
	"• The app's *Home* tab lists them too.\n" \
	"• Admins manage the Slack connections on the hub's admin pages: <%s/admin/connections>"

void
hub_job_slack_welcome(struct hub_job_env *e, const struct hub_job *job,
    struct hub_job_result *r)
{
	struct hub_buf text = HUB_BUF_INIT(4096);
	struct hub_slack_result res;
	struct hub_slack s;
	struct hub_conn c;
	json_object *msg = NULL;
	const char *id, *user, *ts = NULL;
	int rc;

	hub_slack_result_init(&res);
	if (hub_json_get_string(job->payload, "connection_id", HUB_UUID_TEXT_LEN, &id) !=
	    HUB_JSON_OK || hub_json_get_string(job->payload, "user", HUB_SLACK_ID_LEN - 1,
	    &user) != HUB_JSON_OK || !hub_check_slack_user(user)) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: connection_id and user are required");
		goto out;
	}
	if ((rc = hub_connections_get(e->db, id, &c)) != HUB_CONN_OK) {
		hub_job_result_set(r, rc == HUB_CONN_NOTFOUND ? HUB_JOB_FAIL : HUB_JOB_RETRY,
		    "no connection", rc == HUB_CONN_NOTFOUND ? "connection_gone" : "database",
		    "%s", hub_conn_strerror(rc));
		goto out;
	}
	if (hub_buf_printf(&text, WELCOME_TEXT, user, e->conf->public_url) != HUB_BUF_OK ||
	    (msg = json_object_new_object()) == NULL) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "out of memory");
		goto out;
	}
	json_object_object_add(msg, "channel", json_object_new_string(user));
	json_object_object_add(msg, "text", json_object_new_string(hub_buf_str(&text)));
	slack_client(e, &s);
	rc = hub_connections_call(e->db, &s, &c, "chat.postMessage", user, msg, &res);
	if (rc == HUB_CONN_SLACK) {
		slack_failed(&res, r);
		if (res.cls == HUB_SLACK_RATELIMITED && res.wait_ms > 0)
			r->retry_after = (int)((res.wait_ms + 999) / 1000);
		goto out;
	}
	if (rc != HUB_CONN_OK) {
		hub_job_result_set(r, rc == HUB_CONN_DB ? HUB_JOB_RETRY : HUB_JOB_FAIL, "failed",
		    rc == HUB_CONN_DISABLED ? "disabled" : "error", "%s", hub_conn_strerror(rc));
		goto out;
	}
	hub_json_get_string(res.resp, "ts", 64, &ts);
	hub_log(HUB_LOG_INFO, "slack_welcome_sent", "connection", c.name, NULL);
	hub_job_result_set(r, HUB_JOB_DONE, "delivered", "", "%s", ts != NULL ? ts : "ok");
out:
	json_object_put(msg);
	hub_buf_release(&text);
	hub_slack_result_free(&res);
}

/* ------------------------------------------------------------ rotation */

enum refresh_outcome {
	REFRESH_DONE,
	REFRESH_DISABLED,
	REFRESH_SKIPPED,   /* a passing failure: leave it to the next sweep */
	REFRESH_NONE,      /* nothing due */
	REFRESH_DBFAIL,
};

/* One connection: pick, call, store, all under the row lock.  tried
 * collects the ids picked in this sweep, comma-separated, so a passing
 * failure does not pick the same row again. */
static enum refresh_outcome
refresh_one(struct hub_job_env *e, struct hub_slack *s, struct hub_buf *tried)
{
	struct hub_buf lit = HUB_BUF_INIT(64 * 1024), rt = HUB_BUF_INIT(SECRET_MAX), tok = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1),
	    ref = HUB_BUF_INIT(HUB_CONN_SEALED_MAX - 1);
	struct hub_slack_result res;
	struct grant g;
	json_object *args = NULL;
	enum refresh_outcome out = REFRESH_DBFAIL;
	char ahead[16], id[HUB_CONN_ID_LEN], name[HUB_CONN_NAME_MAX + 1], expires[24],
	    why[256];
	const char *params[4], *sealed;
	PGresult *r = NULL;
	int in_tx = 0, rc;

	hub_slack_result_init(&res);
	snprintf(ahead, sizeof(ahead), "%d", HUB_OAUTH_REFRESH_BEFORE_S);
	if (hub_db_begin(e->db) != HUB_DB_OK)
		goto done;
	in_tx = 1;
	if (hub_buf_printf(&lit, "{%s}", hub_buf_str(tried)) != HUB_BUF_OK)
		goto done;
	params[0] = ahead;
	params[1] = hub_buf_str(&lit);
	if (hub_db_exec(e->db, &oauth_stmts, STMT_REFRESH_PICK, params, &r) != HUB_DB_OK)
		goto done;
	if (PQntuples(r) != 1) {
		out = REFRESH_NONE;
		goto done;
	}
	copy(id, sizeof(id), PQgetvalue(r, 0, 0));
	copy(name, sizeof(name), PQgetvalue(r, 0, 1));
	sealed = PQgetvalue(r, 0, 2);
	if (hub_buf_printf(tried, "%s%s", tried->len ? "," : "", id) != HUB_BUF_OK)
		goto done;
	out = REFRESH_SKIPPED;
	if (!configured(e->conf)) {
		hub_log(HUB_LOG_WARN, "token_refresh_unconfigured", "connection", name,
		    "fix", "set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the worker", NULL);
		goto done;
	}
	if (hub_box_open(e->keys, sealed, strlen(sealed), &rt) != HUB_CRYPTO_OK) {
		hub_log(HUB_LOG_ERROR, "token_refresh_failed", "connection", name,
		    "error", "the refresh token cannot be opened (SECRET_KEY changed?)", NULL);
		goto done;
	}
	if ((args = client_args(e->conf)) == NULL)
		goto done;
	json_object_object_add(args, "grant_type", json_object_new_string("refresh_token"));
	json_object_object_add(args, "refresh_token", json_object_new_string(rt.data));
	if (hub_slack_call(s, "oauth.v2.access", NULL, args, &res) != HUB_SLACK_OK) {
		if (res.cls == HUB_SLACK_AUTH) {
			snprintf(why, sizeof(why), "%s: %s", res.error, hub_slack_fix(res.error));
			params[0] = id;
			params[1] = why;
			out = REFRESH_DBFAIL;
			if (hub_db_exec(e->db, &oauth_stmts, STMT_REFRESH_DISABLE, params, NULL) !=
			    HUB_DB_OK)
				goto done;
			in_tx = 0;
			if (hub_db_commit(e->db) != HUB_DB_OK)
				goto done;
			hub_log(HUB_LOG_WARN, "connection_disabled", "connection", name,
			    "reason", why, NULL);
			out = REFRESH_DISABLED;
			goto done;
		}
		hub_log(HUB_LOG_WARN, "token_refresh_failed", "connection", name,
		    "error", res.error, "class", hub_slack_class_name(res.cls), NULL);
		goto done;
	}
	if (grant_parse(res.resp, &g) != 0) {
		hub_log(HUB_LOG_WARN, "token_refresh_failed", "connection", name,
		    "error", "invalid_response", NULL);
		goto done;
	}
	if (hub_box_seal(e->keys, g.access_token, strlen(g.access_token), &tok) !=
	    HUB_CRYPTO_OK || hub_box_seal(e->keys, g.refresh_token ? g.refresh_token : rt.data,
	    g.refresh_token ? strlen(g.refresh_token) : rt.len, &ref) != HUB_CRYPTO_OK)
		goto done;
	snprintf(expires, sizeof(expires), "%lld", (long long)g.expires_in);
	params[0] = id;
	params[1] = tok.data;
	params[2] = ref.data;
	params[3] = expires;
	out = REFRESH_DBFAIL;
	rc = hub_db_exec(e->db, &oauth_stmts, STMT_REFRESH_STORE, params, NULL);
	if (rc == HUB_DB_OK) {
		in_tx = 0;
		rc = hub_db_commit(e->db);
	}
	if (rc != HUB_DB_OK) {
		/* The old refresh token is spent: only a reinstall helps now,
		 * and the next failed call will say so. */
		hub_log(HUB_LOG_ERROR, "token_refresh_unstored", "connection", name, NULL);
		goto done;
	}
	hub_log(HUB_LOG_INFO, "token_refreshed", "connection", name, "expires_in", expires, NULL);
	out = REFRESH_DONE;
done:
	if (in_tx)
		hub_db_rollback(e->db);
	PQclear(r);
	json_object_put(args);
	hub_buf_release(&lit);
	secret_release(&rt);
	hub_buf_release(&tok);
	hub_buf_release(&ref);
	hub_slack_result_free(&res);
	return out;
}

int
hub_oauth_refresh_due(struct hub_job_env *e, int limit, int *refreshed, int *disabled)
{
	struct hub_buf tried = HUB_BUF_INIT(64 * 1024);
	struct hub_slack s;
	enum refresh_outcome o;
	int i, rc = HUB_OAUTH_OK;

	*refreshed = *disabled = 0;
	if (e == NULL || e->db == NULL || e->conf == NULL || e->keys == NULL)
		return HUB_OAUTH_NOTCONFIGURED;
	slack_client(e, &s);
	for (i = 0; i < limit && (e->stop == NULL || !*e->stop); i++) {
		o = refresh_one(e, &s, &tried);
		if (o == REFRESH_NONE)
			break;
		if (o == REFRESH_DBFAIL) {
			rc = HUB_OAUTH_DB;
			break;
		}
		if (o == REFRESH_DONE)
			(*refreshed)++;
		else if (o == REFRESH_DISABLED)
			(*disabled)++;
	}
	hub_buf_release(&tried);
	return rc;
}

/* The worker's token sweep (job.h): rotating tokens with under two hours
 * left, one connection at a time, each under its row lock. */
int
hub_oauth_sweep(struct hub_job_env *env)
{
	char nr[16], nd[16];
	int refreshed = 0, disabled = 0, rc;

	if (env->conf == NULL || env->keys == NULL || env->keys->n == 0)
		return HUB_JOB_SWEEP_OK;
	rc = hub_oauth_refresh_due(env, HUB_OAUTH_SWEEP_BATCH, &refreshed, &disabled);
	if (rc != HUB_OAUTH_OK)
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "token_refresh",
		    "error", hub_oauth_strerror(rc), NULL);
	if (refreshed > 0 || disabled > 0) {
		snprintf(nr, sizeof(nr), "%d", refreshed);
		snprintf(nd, sizeof(nd), "%d", disabled);
		hub_log(HUB_LOG_INFO, "sweep", "tokens_refreshed", nr, "connections_disabled", nd,
		    NULL);
	}
	return HUB_JOB_SWEEP_OK;
}
