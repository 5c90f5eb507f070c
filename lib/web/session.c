/*
 * session.c - dashboard sessions in PostgreSQL.  See session.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/crypto.h"
#include "base/log.h"
#include "store/job.h"
#include "store/settings.h"
#include "approval/throttle.h"
#include "slack/oauth.h"
#include "web/session.h"

#define TOKEN_BYTES	32
#define TOKEN_MAX	128	/* a cookie value longer than this is no token of ours */
#define UA_MAX		300

enum stmt {
	STMT_LOAD,
	STMT_TOUCH,
	STMT_DROP_STALE,
	STMT_OPEN,
	STMT_CLOSE,
	STMT_CLOSE_OTHERS,
	STMT_SWEEP,
	STMT__MAX
};

/* $2 idle minutes: a session unused that long is over. */
static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_LOAD] = {
		"SELECT u.id, u.name, coalesce(u.email, ''), u.role, s.csrf_token"
		" FROM sessions s JOIN users u ON u.id = s.user_id"
		" WHERE s.token_hash = $1 AND NOT u.disabled AND s.expires_at > now()"
		" AND s.last_seen_at > now() - $2::integer * interval '1 minute'", 2 },
	/* At most one write a minute per session. */
	[STMT_TOUCH] = {
		"UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1"
		" AND last_seen_at < now() - interval '1 minute'", 1 },
	[STMT_DROP_STALE] = {
		"DELETE FROM sessions WHERE (token_hash = $1 OR user_id = $3::uuid)"
		" AND (expires_at <= now()"
		" OR last_seen_at <= now() - $2::integer * interval '1 minute')", 3 },
	[STMT_OPEN] = {
		"INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at, user_agent,"
		" remote_addr) VALUES ($1, $2::uuid, $3, now() + $4::integer * interval '1 hour',"
		" $5, $6)", 6 },
	[STMT_CLOSE] = { "DELETE FROM sessions WHERE token_hash = $1", 1 },
	[STMT_CLOSE_OTHERS] = {
		"DELETE FROM sessions WHERE user_id = $1::uuid AND token_hash <> $2", 2 },
	/* $1 idle minutes, $2 batch: what STMT_LOAD would no longer accept.
	 * A batch of keys, then each by its key (the primary key).  The
	 * batch comes through sessions_expires and sessions_last_seen (0018)
	 * while few sessions are due. */
	/* scan-ok: when most rows are due (every session ended), reading the
	 * table in order is cheaper and stops at the batch size. */
	[STMT_SWEEP] = {
		"DELETE FROM sessions WHERE token_hash = ANY (ARRAY(SELECT token_hash FROM sessions"
		" WHERE expires_at <= now()"
		" OR last_seen_at <= now() - $1::integer * interval '1 minute'"
		" LIMIT $2::integer))", 2 },
};

static const struct hub_stmt_table session_stmts = { "session", stmts, STMT__MAX };

static void
token_hash(const char *token, char out[HUB_SESSION_HASH_LEN])
{
	unsigned char md[HUB_SHA256_LEN];

	hub_sha256(token, strlen(token), md);
	hub_hex_encode(md, sizeof(md), out);
}

/* The hash of the session cookie's token; 0, or -1 when there is none. */
static int
cookie_hash(const char *cookie_header, char out[HUB_SESSION_HASH_LEN])
{
	struct hub_buf tok = HUB_BUF_INIT(TOKEN_MAX);
	int rc = -1;

	if (cookie_header != NULL &&
	    hub_oauth_cookie_get(cookie_header, HUB_SESSION_COOKIE, &tok) == 0 && tok.len > 0) {
		token_hash(hub_buf_str(&tok), out);
		rc = 0;
	}
	hub_buf_release(&tok);
	return rc;
}

static int
is_https(const struct hub_conf *conf)
{
	return conf->public_url != NULL && strncmp(conf->public_url, "https://", 8) == 0;
}

static int
cookie(const struct hub_conf *conf, const char *name, const char *value, const char *path,
    long max_age, struct hub_buf *out)
{
	return hub_buf_printf(out, "%s=%s; Path=%s; HttpOnly; SameSite=Lax; Max-Age=%ld%s",
	    name, value, path, max_age, is_https(conf) ? "; Secure" : "") == HUB_BUF_OK ?
	    HUB_SESSION_OK : HUB_SESSION_DB;
}

/* Printable ASCII of s, cut to fit: a truncated multibyte character
 * would be invalid text for PostgreSQL. */
static void
printable(const char *s, char *out, size_t outlen)
{
	size_t i = 0;

	for (; s != NULL && *s != '\0' && i + 1 < outlen; s++)
		out[i++] = *s >= ' ' && *s <= '~' ? *s : '?';
	out[i] = '\0';
}

int
hub_session_load(struct hub_db *db, const char *cookie_header, struct hub_session *s)
{
	char idle[24];
	const char *params[3];
	PGresult *res = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	if (cookie_hash(cookie_header, s->token_hash) != 0)
		return HUB_SESSION_NONE;
	snprintf(idle, sizeof(idle), "%ld", hub_settings_get_int(db, "session.idle_minutes"));
	params[0] = s->token_hash;
	params[1] = idle;
	if (hub_db_exec(db, &session_stmts, STMT_LOAD, params, &res) != HUB_DB_OK)
		return HUB_SESSION_DB;
	if (PQntuples(res) != 1) {
		PQclear(res);
		/* Gone, or over: an expired row goes now rather than lingering. */
		params[2] = NULL;
		(void)hub_db_exec(db, &session_stmts, STMT_DROP_STALE, params, NULL);
		memset(s, 0, sizeof(*s));
		return HUB_SESSION_NONE;
	}
	snprintf(s->user.id, sizeof(s->user.id), "%s", PQgetvalue(res, 0, 0));
	snprintf(s->user.name, sizeof(s->user.name), "%s", PQgetvalue(res, 0, 1));
	snprintf(s->user.email, sizeof(s->user.email), "%s", PQgetvalue(res, 0, 2));
	s->user.role = hub_access_role(PQgetvalue(res, 0, 3));
	snprintf(s->csrf, sizeof(s->csrf), "%s", PQgetvalue(res, 0, 4));
	PQclear(res);
	rc = hub_db_exec(db, &session_stmts, STMT_TOUCH, params, NULL);
	return rc == HUB_DB_OK ? HUB_SESSION_OK : HUB_SESSION_DB;
}

int
hub_session_open(struct hub_db *db, const struct hub_conf *conf,
    const struct hub_access_user *user, const char *old_cookie_header,
    const char *user_agent, const char *address, struct hub_session *s,
    struct hub_buf *set_cookie)
{
	struct hub_buf tok = HUB_BUF_INIT(TOKEN_MAX), csrf = HUB_BUF_INIT(HUB_SESSION_CSRF_LEN - 1);
	char old[HUB_SESSION_HASH_LEN], idle[24], hours[24], ua[UA_MAX + 1];
	const char *params[6];
	long h;
	int rc;

	memset(s, 0, sizeof(*s));
	/* The browser's previous session (if any) ends here, and stale
	 * sessions of this user go with it. */
	params[0] = old;
	if (cookie_hash(old_cookie_header, old) == 0 &&
	    hub_db_exec(db, &session_stmts, STMT_CLOSE, params, NULL) != HUB_DB_OK)
		return HUB_SESSION_DB;
	snprintf(idle, sizeof(idle), "%ld", hub_settings_get_int(db, "session.idle_minutes"));
	params[0] = "";
	params[1] = idle;
	params[2] = user->id;
	if (hub_db_exec(db, &session_stmts, STMT_DROP_STALE, params, NULL) != HUB_DB_OK)
		return HUB_SESSION_DB;
	if (hub_random_token(TOKEN_BYTES, &tok) != HUB_CRYPTO_OK ||
	    hub_random_token(TOKEN_BYTES, &csrf) != HUB_CRYPTO_OK) {
		rc = HUB_SESSION_CRYPTO;
		goto out;
	}
	token_hash(hub_buf_str(&tok), s->token_hash);
	snprintf(s->csrf, sizeof(s->csrf), "%s", hub_buf_str(&csrf));
	s->user = *user;
	h = hub_settings_get_int(db, "session.absolute_hours");
	snprintf(hours, sizeof(hours), "%ld", h);
	printable(user_agent, ua, sizeof(ua));
	params[0] = s->token_hash;
	params[1] = user->id;
	params[2] = s->csrf;
	params[3] = hours;
	params[4] = ua[0] != '\0' ? ua : NULL;
	params[5] = address != NULL && address[0] != '\0' ? address : NULL;
	if (hub_db_exec(db, &session_stmts, STMT_OPEN, params, NULL) != HUB_DB_OK) {
		rc = HUB_SESSION_DB;
		goto out;
	}
	rc = cookie(conf, HUB_SESSION_COOKIE, hub_buf_str(&tok), "/", h * 3600, set_cookie);
out:
	hub_buf_release(&tok);
	hub_buf_release(&csrf);
	return rc;
}

int
hub_session_close(struct hub_db *db, const struct hub_session *s)
{
	const char *params[1] = { s->token_hash };

	return hub_db_exec(db, &session_stmts, STMT_CLOSE, params, NULL) == HUB_DB_OK ?
	    HUB_SESSION_OK : HUB_SESSION_DB;
}

int
hub_session_close_others(struct hub_db *db, const struct hub_session *s)
{
	const char *params[2] = { s->user.id, s->token_hash };

	return hub_db_exec(db, &session_stmts, STMT_CLOSE_OTHERS, params, NULL) == HUB_DB_OK ?
	    HUB_SESSION_OK : HUB_SESSION_DB;
}

/* Every session of the user: no stored hash is empty. */
int
hub_session_close_user(struct hub_db *db, const char *user_id)
{
	const char *params[2] = { user_id, "" };

	return hub_db_exec(db, &session_stmts, STMT_CLOSE_OTHERS, params, NULL) == HUB_DB_OK ?
	    HUB_SESSION_OK : HUB_SESSION_DB;
}

int
hub_session_clear_cookie(const struct hub_conf *conf, struct hub_buf *set_cookie)
{
	return cookie(conf, HUB_SESSION_COOKIE, "", "/", 0, set_cookie);
}

/* Constant time for equal lengths; the length of a token is no secret. */
static int
token_eq(const char *want, const char *got)
{
	size_t n = strlen(want);

	return n > 0 && got != NULL && strlen(got) == n && hub_ct_equal(want, got, n);
}

int
hub_session_csrf_ok(const struct hub_session *s, const char *presented)
{
	return token_eq(s->csrf, presented);
}

int
hub_session_form_cookie(const struct hub_conf *conf, const char *name, const char *path,
    int max_age, struct hub_buf *token, struct hub_buf *set_cookie)
{
	size_t start = token->len;

	if (hub_random_token(TOKEN_BYTES, token) != HUB_CRYPTO_OK)
		return HUB_SESSION_CRYPTO;
	return cookie(conf, name, token->data + start, path, max_age, set_cookie);
}

int
hub_session_form_token_ok(const char *cookie_header, const char *name, const char *presented)
{
	struct hub_buf tok = HUB_BUF_INIT(TOKEN_MAX);
	int ok = 0;

	if (cookie_header != NULL && hub_oauth_cookie_get(cookie_header, name, &tok) == 0)
		ok = token_eq(hub_buf_str(&tok), presented);
	hub_buf_release(&tok);
	return ok;
}

const char *
hub_session_next_path(const char *next)
{
	static const char *const loops[] = { "/login", "/logout" };
	size_t i, n;

	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strlen(next) > HUB_SESSION_NEXT_MAX)
		return "/";
	for (i = 0; next[i] != '\0'; i++)
		if (next[i] <= ' ' || next[i] > '~' || next[i] == '\\')
			return "/";
	for (i = 0; i < HUB_NELEM(loops); i++) {
		n = strlen(loops[i]);
		if (strncmp(next, loops[i], n) == 0 && strchr("/?#", next[n]) != NULL)
			return "/";
	}
	return next;
}

/* ------------------------------------------------------------ sweep */

int
hub_session_sweep(struct hub_job_env *env)
{
	char a[HUB_INT_TEXT_SIZE], b[HUB_INT_TEXT_SIZE];
	char idle[HUB_INT_TEXT_SIZE], batch[HUB_INT_TEXT_SIZE];
	const char *params[2] = { idle, batch };
	int64_t sessions = 0;
	long throttle = 0;
	int rc, trc;

	snprintf(idle, sizeof(idle), "%ld", hub_settings_get_int(env->db, "session.idle_minutes"));
	snprintf(batch, sizeof(batch), "%d", HUB_SESSION_SWEEP_BATCH);
	if ((rc = hub_db_delete_batches(env->db, &session_stmts, STMT_SWEEP, params,
	    HUB_SESSION_SWEEP_BATCH, HUB_SESSION_SWEEP_ROUNDS, &sessions)) == HUB_DB_CONN)
		return HUB_JOB_SWEEP_DB_DOWN;
	if (rc != HUB_DB_OK)
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "sessions",
		    "error", hub_db_strerror(rc), NULL);
	if ((trc = hub_throttle_prune(env->db, &throttle)) == HUB_THROTTLE_UNAVAILABLE)
		return HUB_JOB_SWEEP_DB_DOWN;
	if (trc != HUB_THROTTLE_OK)
		hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", "login_throttle", NULL);
	if (sessions > 0 || throttle > 0) {
		snprintf(a, sizeof(a), "%lld", (long long)sessions);
		snprintf(b, sizeof(b), "%ld", throttle);
		hub_log(HUB_LOG_INFO, "sweep", "sessions_deleted", a, "throttle_deleted", b, NULL);
	}
	return HUB_JOB_SWEEP_OK;
}
