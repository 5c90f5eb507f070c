#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "approval/access.h"
#include "approval/admin.h"
#include "approval/audit.h"
#include "base/check.h"
#include "base/crypto.h"
#include "store/db.h"
#include "base/json.h"
#include "store/pgjson.h"
#include "store/sqlfrag.h"

enum stmt {
	STMT_USER_ADD,
	STMT_SOURCE_ADD,
	STMT_KEY_ADD,
	STMT_SOURCE_BY_NAME,
	STMT_KEYS_REVOKE,
	STMT_USERS,
	STMT_USER,
	STMT_USER_PATCH,
	STMT_USER_PASSWORD,
	STMT__MAX
};

#define USER_COLS \
	"SELECT id, name, email, role, slack_team_id, slack_user_id, disabled, " \
	HUB_SQL_ISO("last_login_at") " AS last_login_at, " \
	HUB_SQL_ISO("created_at") " AS created_at FROM users"

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_USER_ADD] = {
		"INSERT INTO users (name, email, role, password_hash) "
		"VALUES ($1, lower($2), $3, $4) RETURNING id", 4 },
	[STMT_SOURCE_ADD] = {
		"INSERT INTO sources (name) VALUES ($1) RETURNING id", 1 },
	[STMT_KEY_ADD] = {
		"INSERT INTO api_keys (source_id, is_admin, name, prefix, key_hash) "
		"VALUES ($1, $1::uuid IS NULL, $2, $3, $4)", 4 },
	[STMT_SOURCE_BY_NAME] = {
		"SELECT id FROM sources WHERE lower(name) = lower($1)", 1 },
	[STMT_KEYS_REVOKE] = {
		"UPDATE api_keys SET revoked_at = now() "
		"WHERE source_id = $1 AND revoked_at IS NULL", 1 },
	[STMT_USERS] = { USER_COLS " ORDER BY name, id LIMIT 1000", 0 },
	[STMT_USER] = { USER_COLS " WHERE id = $1::uuid", 1 },
	/* $1 id, $2 role (NULL: kept), $3 disabled (NULL: kept) */
	[STMT_USER_PATCH] = {
		"UPDATE users SET role = coalesce($2::text, role),"
		" disabled = coalesce($3::boolean, disabled)"
		" WHERE id = $1::uuid RETURNING id", 3 },
	[STMT_USER_PASSWORD] = {
		"UPDATE users SET password_hash = $2 WHERE id = $1::uuid RETURNING id", 2 },
};

static const struct hub_stmt_table admin_stmts = { "admin", stmts, STMT__MAX };

/* The roles are access.h's: one list for who may be created and who may do what. */
static int
valid_role(const char *role)
{
	return hub_access_role(role) != HUB_ROLE_NONE;
}

const char *
hub_admin_strerror(int err)
{
	switch (err) {
	case HUB_ADMIN_OK:	return "ok";
	case HUB_ADMIN_INVALID:	return "invalid value";
	case HUB_ADMIN_EXISTS:	return "already exists";
	case HUB_ADMIN_NOTFOUND: return "not found";
	case HUB_ADMIN_DB:	return "database error";
	case HUB_ADMIN_CRYPTO:	return "cryptography failure";
	default:		return "unknown error";
	}
}

void
hub_apikey_hash(const char *key, char out[HUB_APIKEY_HASH_LEN])
{
	unsigned char md[HUB_SHA256_LEN];

	hub_sha256(key, strlen(key), md);
	hub_hex_encode(md, sizeof(md), out);
}

static int
map_db(int err)
{
	switch (err) {
	case HUB_DB_OK:		return HUB_ADMIN_OK;
	case HUB_DB_UNIQUE:	return HUB_ADMIN_EXISTS;
	case HUB_DB_CHECK:	return HUB_ADMIN_INVALID;
	default:		return HUB_ADMIN_DB;
	}
}

/* Names are printable text without control bytes, 1..max bytes. */
static int
valid_name(const char *s, size_t max)
{
	return hub_check_text(s, max, 1);
}

/* An optional email: absent is fine, present must be an address. */
static int
valid_email(const char *s)
{
	return s == NULL || hub_check_email(s);
}

int
hub_admin_user_add(struct hub_db *db, const char *name, const char *email,
    const char *role, const char *password, struct hub_buf *password_out,
    char id_out[HUB_UUID_LEN])
{
	struct hub_buf pw = HUB_BUF_INIT(256), hash = HUB_BUF_INIT(512);
	PGresult *res = NULL;
	const char *params[4];
	int rc;

	if (!valid_role(role) || !valid_name(name, 200) || !valid_email(email))
		return HUB_ADMIN_INVALID;
	if (password == NULL) {
		if (hub_random_token(12, &pw) != HUB_CRYPTO_OK) {
			rc = HUB_ADMIN_CRYPTO;
			goto out;
		}
		password = hub_buf_str(&pw);
	} else if (strlen(password) < 8 || strlen(password) > 200) {
		rc = HUB_ADMIN_INVALID;
		goto out;
	}
	if (hub_password_hash(password, &hash) != HUB_CRYPTO_OK) {
		rc = HUB_ADMIN_CRYPTO;
		goto out;
	}
	params[0] = name;
	params[1] = email;
	params[2] = role;
	params[3] = hub_buf_str(&hash);
	if ((rc = map_db(hub_db_exec(db, &admin_stmts, STMT_USER_ADD, params, &res))) != HUB_ADMIN_OK)
		goto out;
	if (id_out)
		snprintf(id_out, HUB_UUID_LEN, "%s", PQgetvalue(res, 0, 0));
	if (pw.len && password_out && hub_buf_add(password_out, pw.data, pw.len) != HUB_BUF_OK)
		rc = HUB_ADMIN_DB;
out:
	if (res)
		PQclear(res);
	hub_buf_release(&pw);
	hub_buf_release(&hash);
	return rc;
}

int
hub_admin_key_add(struct hub_db *db, const char *source_id, const char *name,
    struct hub_buf *key_out)
{
	struct hub_buf key = HUB_BUF_INIT(128);
	char hash[HUB_APIKEY_HASH_LEN], prefix[13];
	const char *params[4];
	int rc;

	if (hub_buf_adds(&key, HUB_APIKEY_PREFIX) != HUB_BUF_OK ||
	    hub_random_token(32, &key) != HUB_CRYPTO_OK) {
		rc = HUB_ADMIN_CRYPTO;
		goto out;
	}
	hub_apikey_hash(key.data, hash);
	snprintf(prefix, sizeof(prefix), "%.12s", key.data);
	params[0] = source_id;
	params[1] = name;
	params[2] = prefix;
	params[3] = hash;
	if ((rc = map_db(hub_db_exec(db, &admin_stmts, STMT_KEY_ADD, params, NULL))) != HUB_ADMIN_OK)
		goto out;
	if (hub_buf_add(key_out, key.data, key.len) != HUB_BUF_OK)
		rc = HUB_ADMIN_DB;
out:
	hub_buf_release(&key);
	return rc;
}

/* Run fn inside a transaction unless the caller already opened one. */
static int
own_tx_begin(struct hub_db *db, int *own)
{
	*own = !hub_db_in_tx(db);
	return *own ? hub_db_begin(db) : HUB_DB_OK;
}

static int
own_tx_end(struct hub_db *db, int own, int rc)
{
	if (!own)
		return rc;
	if (rc != HUB_ADMIN_OK) {
		hub_db_rollback(db);
		return rc;
	}
	return hub_db_commit(db) == HUB_DB_OK ? HUB_ADMIN_OK : HUB_ADMIN_DB;
}

int
hub_admin_source_add(struct hub_db *db, const char *name, struct hub_buf *key_out,
    char id_out[HUB_UUID_LEN])
{
	PGresult *res = NULL;
	const char *params[1] = { name };
	char id[HUB_UUID_LEN];
	int own, rc;

	if (!valid_name(name, 100))
		return HUB_ADMIN_INVALID;
	if (own_tx_begin(db, &own) != HUB_DB_OK)
		return HUB_ADMIN_DB;
	if ((rc = map_db(hub_db_exec(db, &admin_stmts, STMT_SOURCE_ADD, params, &res))) != HUB_ADMIN_OK)
		goto out;
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	rc = hub_admin_key_add(db, id, "initial", key_out);
	if (rc == HUB_ADMIN_OK && id_out)
		memcpy(id_out, id, sizeof(id));
out:
	if (res)
		PQclear(res);
	return own_tx_end(db, own, rc);
}

int
hub_admin_key_rotate(struct hub_db *db, const char *source_name, struct hub_buf *key_out)
{
	PGresult *res = NULL;
	const char *params[1] = { source_name };
	char id[HUB_UUID_LEN];
	int own, rc;

	if (own_tx_begin(db, &own) != HUB_DB_OK)
		return HUB_ADMIN_DB;
	if ((rc = map_db(hub_db_exec(db, &admin_stmts, STMT_SOURCE_BY_NAME, params, &res))) != HUB_ADMIN_OK)
		goto out;
	if (PQntuples(res) != 1) {
		rc = HUB_ADMIN_NOTFOUND;
		goto out;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	params[0] = id;
	if ((rc = map_db(hub_db_exec(db, &admin_stmts, STMT_KEYS_REVOKE, params, NULL))) != HUB_ADMIN_OK)
		goto out;
	rc = hub_admin_key_add(db, id, "rotated", key_out);
out:
	if (res)
		PQclear(res);
	return own_tx_end(db, own, rc);
}

int
hub_admin_users_json(struct hub_db *db, json_object **out, struct hub_problem *p)
{
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = hub_db_exec(db, &admin_stmts, STMT_USERS, NULL, &res)) != HUB_DB_OK) {
		p->db = rc;
		return HUB_ADMIN_DB;
	}
	*out = hub_pgjson_all(res, "users");
	PQclear(res);
	return *out != NULL ? HUB_ADMIN_OK : HUB_ADMIN_DB;
}

/* The audit row of a change to a user: who it is and what changed. */
static int
user_audit(struct hub_db *db, const struct hub_actor *actor, const char *action,
    const char *id, const char *name, const char *key, json_object *value)
{
	json_object *d = json_object_new_object();
	int rc;

	if (d == NULL) {
		json_object_put(value);
		return HUB_ADMIN_DB;
	}
	hub_json_set_str(d, "user_id", id);
	hub_json_set_str(d, "user", name);
	if (key != NULL)
		json_object_object_add(d, key, value);
	rc = hub_audit_admin(db, actor, action, d) == HUB_DB_OK ? HUB_ADMIN_OK : HUB_ADMIN_DB;
	json_object_put(d);
	return rc;
}

/* Long for its field checks, each with its own message, then the insert
 * and its audit row in one transaction. */
int
hub_admin_user_add_json(struct hub_db *db, json_object *in, const struct hub_actor *actor,
    json_object **out, struct hub_problem *p)
{
	struct hub_buf pw = HUB_BUF_INIT(256);
	const char *name = NULL, *email = NULL, *role = "requester";
	char id[HUB_UUID_LEN], lower[321];
	size_t i;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (hub_json_get_string(in, "name", 200, &name) != HUB_JSON_OK || !valid_name(name, 200))
		return hub_problem(p, "name", "name must be 1 to 200 characters", HUB_ADMIN_INVALID);
	rc = hub_json_get_string(in, "email", 320, &email);
	if ((rc != HUB_JSON_OK && rc != HUB_JSON_MISSING) || !valid_email(email))
		return hub_problem(p, "email", "email must be an email address", HUB_ADMIN_INVALID);
	/* Stored lower-cased (STMT_USER_ADD); shown as stored. */
	for (i = 0; email != NULL && email[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)email[i]);
	lower[i] = '\0';
	email = email != NULL ? lower : NULL;
	rc = hub_json_get_string(in, "role", 20, &role);
	if ((rc != HUB_JSON_OK && rc != HUB_JSON_MISSING) || !valid_role(role))
		return hub_problem(p, "role", "role must be admin, requester or viewer",
		    HUB_ADMIN_INVALID);
	if (hub_db_begin(db) != HUB_DB_OK) {
		p->db = HUB_DB_CONN;
		return HUB_ADMIN_DB;
	}
	rc = hub_admin_user_add(db, name, email, role, NULL, &pw, id);
	if (rc == HUB_ADMIN_OK) {
		json_object *what = json_object_new_object();

		hub_json_set_str(what, "email", email);
		hub_json_set_str(what, "role", role);
		rc = user_audit(db, actor, "user.created", id, name, "set", what);
	}
	if (rc != HUB_ADMIN_OK)
		hub_db_rollback(db);
	else if (hub_db_commit(db) != HUB_DB_OK)
		rc = HUB_ADMIN_DB;
	switch (rc) {
	case HUB_ADMIN_OK:
		break;
	case HUB_ADMIN_EXISTS:
		rc = hub_problem(p, "email", "a user with this email exists", rc);
		goto out;
	case HUB_ADMIN_INVALID:
		rc = hub_problem(p, NULL, "invalid user", rc);
		goto out;
	default:
		p->db = HUB_DB_QUERY;
		rc = HUB_ADMIN_DB;
		goto out;
	}
	if ((*out = json_object_new_object()) == NULL) {
		rc = HUB_ADMIN_DB;
		goto out;
	}
	json_object_object_add(*out, "id", json_object_new_string(id));
	json_object_object_add(*out, "name", json_object_new_string(name));
	json_object_object_add(*out, "email", email ? json_object_new_string(email) : NULL);
	json_object_object_add(*out, "role", json_object_new_string(role));
	json_object_object_add(*out, "password", json_object_new_string(hub_buf_str(&pw)));
	json_object_object_add(*out, "message", json_object_new_string(
	    "User created; the password is shown only once."));
out:
	hub_buf_release(&pw);
	return rc;
}

int
hub_admin_user_get(struct hub_db *db, const char *id, json_object **out, struct hub_problem *p)
{
	const char *params[1] = { id };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!hub_check_uuid(id))
		return HUB_ADMIN_NOTFOUND;
	if ((rc = hub_db_exec(db, &admin_stmts, STMT_USER, params, &res)) != HUB_DB_OK) {
		p->db = rc;
		return HUB_ADMIN_DB;
	}
	rc = HUB_ADMIN_NOTFOUND;
	if (PQntuples(res) == 1)
		rc = (*out = hub_pgjson_row(res, 0)) != NULL ? HUB_ADMIN_OK : HUB_ADMIN_DB;
	PQclear(res);
	return rc;
}

/* The one change in of a user patch: its column parameters and the audit
 * detail's key and value. */
static int
user_patch_parse(json_object *in, const char *params[3], const char **key, json_object **value,
    struct hub_problem *p)
{
	const char *role = NULL;
	int rc, disabled = 0;

	params[1] = params[2] = NULL;
	json_object_object_foreach(in, k, v) {
		(void)v;
		if (strcmp(k, "role") != 0 && strcmp(k, "disabled") != 0)
			return hub_problem(p, k, "unknown field", HUB_ADMIN_INVALID);
	}
	rc = hub_json_get_string(in, "role", 20, &role);
	if (rc != HUB_JSON_MISSING && (rc != HUB_JSON_OK || !valid_role(role)))
		return hub_problem(p, "role", "role must be admin, requester or viewer",
		    HUB_ADMIN_INVALID);
	if (rc == HUB_JSON_OK) {
		params[1] = role;
		*key = "role";
		*value = json_object_new_string(role);
	}
	rc = hub_json_get_bool(in, "disabled", &disabled);
	if (rc != HUB_JSON_MISSING && rc != HUB_JSON_OK)
		return hub_problem(p, "disabled", "disabled must be true or false",
		    HUB_ADMIN_INVALID);
	if (rc == HUB_JSON_OK) {
		params[2] = disabled ? "true" : "false";
		json_object_put(*value);
		*key = params[1] != NULL ? "changes" : "disabled";
		*value = params[1] != NULL ? json_object_get(in) : json_object_new_boolean(disabled);
	}
	if (params[1] == NULL && params[2] == NULL)
		return hub_problem(p, NULL, "nothing to change: give role or disabled",
		    HUB_ADMIN_INVALID);
	return HUB_ADMIN_OK;
}

int
hub_admin_user_patch_json(struct hub_db *db, const char *id, json_object *in,
    const struct hub_actor *actor, json_object **out, struct hub_problem *p)
{
	const char *params[3] = { id, NULL, NULL }, *key = NULL;
	json_object *cur = NULL, *value = NULL, *name;
	PGresult *res = NULL;
	int rc;

	if ((rc = hub_admin_user_get(db, id, &cur, p)) != HUB_ADMIN_OK)
		return rc;
	if ((rc = user_patch_parse(in, params, &key, &value, p)) != HUB_ADMIN_OK)
		goto out;
	/* An admin who demotes or disables themselves locks themselves out. */
	if (actor->kind != NULL && strcmp(actor->kind, "user") == 0 && actor->id != NULL &&
	    strcmp(actor->id, id) == 0) {
		rc = hub_problem(p, params[1] != NULL ? "role" : "disabled", "you cannot change"
		    " your own role or disable your own account", HUB_ADMIN_INVALID);
		goto out;
	}
	json_object_object_get_ex(cur, "name", &name);
	if (hub_db_begin(db) != HUB_DB_OK) {
		p->db = HUB_DB_CONN;
		rc = HUB_ADMIN_DB;
		goto out;
	}
	rc = map_db(hub_db_exec(db, &admin_stmts, STMT_USER_PATCH, params, &res));
	if (rc == HUB_ADMIN_OK) {
		rc = user_audit(db, actor, "user.updated", id, json_object_get_string(name), key,
		    value);
		value = NULL;
	}
	if (rc != HUB_ADMIN_OK)
		hub_db_rollback(db);
	else if (hub_db_commit(db) != HUB_DB_OK)
		rc = HUB_ADMIN_DB;
	if (rc == HUB_ADMIN_OK)
		rc = hub_admin_user_get(db, id, out, p);
	else if (rc == HUB_ADMIN_DB)
		p->db = HUB_DB_QUERY;
out:
	if (res != NULL)
		PQclear(res);
	json_object_put(value);
	json_object_put(cur);
	return rc;
}

int
hub_admin_user_reset_password(struct hub_db *db, const char *id, const struct hub_actor *actor,
    json_object **out, struct hub_problem *p)
{
	struct hub_buf pw = HUB_BUF_INIT(256), hash = HUB_BUF_INIT(512);
	const char *params[2] = { id, NULL };
	json_object *cur = NULL, *name;
	int rc;

	if ((rc = hub_admin_user_get(db, id, &cur, p)) != HUB_ADMIN_OK)
		return rc;
	if (hub_random_token(12, &pw) != HUB_CRYPTO_OK ||
	    hub_password_hash(hub_buf_str(&pw), &hash) != HUB_CRYPTO_OK) {
		rc = HUB_ADMIN_CRYPTO;
		goto out;
	}
	params[1] = hub_buf_str(&hash);
	json_object_object_get_ex(cur, "name", &name);
	if (hub_db_begin(db) != HUB_DB_OK) {
		p->db = HUB_DB_CONN;
		rc = HUB_ADMIN_DB;
		goto out;
	}
	rc = map_db(hub_db_exec(db, &admin_stmts, STMT_USER_PASSWORD, params, NULL));
	if (rc == HUB_ADMIN_OK)
		rc = user_audit(db, actor, "user.password_reset", id, json_object_get_string(name),
		    NULL, NULL);
	if (rc != HUB_ADMIN_OK) {
		hub_db_rollback(db);
		p->db = HUB_DB_QUERY;
		goto out;
	}
	if (hub_db_commit(db) != HUB_DB_OK || (*out = json_object_new_object()) == NULL) {
		p->db = HUB_DB_CONN;
		rc = HUB_ADMIN_DB;
		goto out;
	}
	json_object_object_add(*out, "id", json_object_new_string(id));
	json_object_object_add(*out, "name", json_object_get(name));
	json_object_object_add(*out, "password", json_object_new_string(hub_buf_str(&pw)));
	json_object_object_add(*out, "message", json_object_new_string(
	    "New password set; it is shown only once."));
out:
	json_object_put(cur);
	hub_buf_release(&pw);
	hub_buf_release(&hash);
	return rc;
}
