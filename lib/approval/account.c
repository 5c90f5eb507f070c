/*
 * account.c - password sign-in and password change.  See account.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "approval/account.h"
#include "approval/throttle.h"

#define EMAIL_MAX	320
#define DUMMY_MAX	256

enum stmt {
	STMT_BY_EMAIL,
	STMT_BY_ID,
	STMT_LOGGED_IN,
	STMT_SET_HASH,
	STMT__MAX
};

#define USER_COLS "id, name, coalesce(email, ''), role, coalesce(password_hash, '')"

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_BY_EMAIL] = {
		"SELECT " USER_COLS " FROM users WHERE email = $1 AND NOT disabled", 1 },
	[STMT_BY_ID] = {
		"SELECT " USER_COLS " FROM users WHERE id = $1::uuid AND NOT disabled", 1 },
	[STMT_LOGGED_IN] = {
		"UPDATE users SET last_login_at = now() WHERE id = $1::uuid", 1 },
	[STMT_SET_HASH] = {
		"UPDATE users SET password_hash = $2 WHERE id = $1::uuid AND NOT disabled", 2 },
};

static const struct hub_stmt_table account_stmts = { "account", stmts, STMT__MAX };

static char dummy_hash[DUMMY_MAX];

const char *
hub_account_strerror(int err)
{
	switch (err) {
	case HUB_ACCOUNT_OK:		return "ok";
	case HUB_ACCOUNT_BADLOGIN:	return "unknown user or wrong password";
	case HUB_ACCOUNT_THROTTLED:	return "too many failed sign-ins";
	case HUB_ACCOUNT_NOTFOUND:	return "no such user";
	case HUB_ACCOUNT_INVALID:	return "invalid password";
	case HUB_ACCOUNT_DB:		return "database error";
	case HUB_ACCOUNT_CRYPTO:	return "cryptography failure";
	default:			return "unknown error";
	}
}

int
hub_account_prepare(void)
{
	struct hub_buf pw = HUB_BUF_INIT(64), h = HUB_BUF_INIT(DUMMY_MAX - 1);
	int rc = HUB_ACCOUNT_CRYPTO;

	if (dummy_hash[0] != '\0')
		return HUB_ACCOUNT_OK;
	if (hub_random_token(16, &pw) == HUB_CRYPTO_OK &&
	    hub_password_hash(hub_buf_str(&pw), &h) == HUB_CRYPTO_OK) {
		snprintf(dummy_hash, sizeof(dummy_hash), "%s", hub_buf_str(&h));
		rc = HUB_ACCOUNT_OK;
	}
	hub_buf_release(&pw);
	hub_buf_release(&h);
	return rc;
}

/* Trimmed, lower-cased email into out; "" when it cannot be one. */
static void
norm_email(const char *in, char out[EMAIL_MAX + 1])
{
	size_t n, i;

	out[0] = '\0';
	if (in == NULL)
		return;
	in += strspn(in, " \t");
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0 || n > EMAIL_MAX)
		return;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
}

/* The user row of res into *u; its hash into hash. */
static void
fill_user(PGresult *res, struct hub_access_user *u, char *hash, size_t hashlen)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(u->name, sizeof(u->name), "%s", PQgetvalue(res, 0, 1));
	snprintf(u->email, sizeof(u->email), "%s", PQgetvalue(res, 0, 2));
	u->role = hub_access_role(PQgetvalue(res, 0, 3));
	if (hash != NULL)
		snprintf(hash, hashlen, "%s", PQgetvalue(res, 0, 4));
}

/* One user by STMT_BY_EMAIL or STMT_BY_ID: OK, NOTFOUND or DB. */
static int
load_user(struct hub_db *db, int stmt, const char *arg, struct hub_access_user *u,
    char *hash, size_t hashlen)
{
	const char *params[1] = { arg };
	PGresult *res = NULL;
	int rc;

	if (hub_db_exec(db, &account_stmts, stmt, params, &res) != HUB_DB_OK)
		return HUB_ACCOUNT_DB;
	rc = PQntuples(res) == 1 ? HUB_ACCOUNT_OK : HUB_ACCOUNT_NOTFOUND;
	if (rc == HUB_ACCOUNT_OK)
		fill_user(res, u, hash, hashlen);
	PQclear(res);
	return rc;
}

/* Does password match hash?  Without a usable hash the dummy is checked,
 * so the time spent is the same. */
static int
password_ok(const char *password, const char *hash)
{
	int real = hash != NULL && hash[0] != '\0';
	int rc;

	if (dummy_hash[0] == '\0')
		(void)hub_account_prepare();
	rc = hub_password_verify(password != NULL ? password : "", real ? hash : dummy_hash);
	return real && rc == HUB_CRYPTO_OK;
}

int
hub_account_login(struct hub_db *db, const char *email, const char *password,
    const char *address, struct hub_access_user *user, long *wait_s)
{
	char account[EMAIL_MAX + 1], hash[DUMMY_MAX * 2];
	const char *params[1];
	int rc, found;

	memset(user, 0, sizeof(*user));
	hash[0] = '\0';
	norm_email(email, account);
	if (hub_throttle_wait(db, account, address, wait_s) != HUB_THROTTLE_OK)
		return HUB_ACCOUNT_DB;
	if (*wait_s > 0)
		return HUB_ACCOUNT_THROTTLED;
	found = account[0] != '\0' ? load_user(db, STMT_BY_EMAIL, account, user, hash,
	    sizeof(hash)) : HUB_ACCOUNT_NOTFOUND;
	if (found == HUB_ACCOUNT_DB)
		return HUB_ACCOUNT_DB;
	if (found != HUB_ACCOUNT_OK || user->role == HUB_ROLE_NONE)
		hash[0] = '\0';
	if (!password_ok(password, hash)) {
		memset(user, 0, sizeof(*user));
		rc = hub_throttle_fail(db, account, address, wait_s);
		return rc == HUB_THROTTLE_OK ? HUB_ACCOUNT_BADLOGIN : HUB_ACCOUNT_DB;
	}
	*wait_s = 0;
	if (hub_throttle_reset(db, account, address) != HUB_THROTTLE_OK)
		return HUB_ACCOUNT_DB;
	params[0] = user->id;
	if (hub_db_exec(db, &account_stmts, STMT_LOGGED_IN, params, NULL) != HUB_DB_OK)
		return HUB_ACCOUNT_DB;
	return HUB_ACCOUNT_OK;
}

int
hub_account_by_email(struct hub_db *db, const char *email, struct hub_access_user *user)
{
	char account[EMAIL_MAX + 1];
	int rc;

	memset(user, 0, sizeof(*user));
	norm_email(email, account);
	if (account[0] == '\0')
		return HUB_ACCOUNT_NOTFOUND;
	rc = load_user(db, STMT_BY_EMAIL, account, user, NULL, 0);
	if (rc == HUB_ACCOUNT_OK && user->role == HUB_ROLE_NONE)
		rc = HUB_ACCOUNT_NOTFOUND;
	return rc;
}

int
hub_account_set_password(struct hub_db *db, const char *user_id, const char *current,
    const char *fresh)
{
	struct hub_buf h = HUB_BUF_INIT(DUMMY_MAX - 1);
	struct hub_access_user u;
	char hash[DUMMY_MAX * 2];
	const char *params[2];
	size_t n = fresh != NULL ? strlen(fresh) : 0;
	int rc;

	hash[0] = '\0';
	rc = load_user(db, STMT_BY_ID, user_id, &u, hash, sizeof(hash));
	if (rc == HUB_ACCOUNT_DB)
		return rc;
	if (rc != HUB_ACCOUNT_OK)
		hash[0] = '\0';
	if (!password_ok(current, hash))
		return HUB_ACCOUNT_BADLOGIN;
	if (n < HUB_ACCOUNT_PASSWORD_MIN || n > HUB_ACCOUNT_PASSWORD_MAX)
		return HUB_ACCOUNT_INVALID;
	if (hub_password_hash(fresh, &h) != HUB_CRYPTO_OK) {
		rc = HUB_ACCOUNT_CRYPTO;
		goto out;
	}
	params[0] = user_id;
	params[1] = hub_buf_str(&h);
	rc = hub_db_exec(db, &account_stmts, STMT_SET_HASH, params, NULL) == HUB_DB_OK ?
	    HUB_ACCOUNT_OK : HUB_ACCOUNT_DB;
out:
	hub_buf_release(&h);
	return rc;
}
