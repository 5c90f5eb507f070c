/*
 * admin.h - creating the hub's principals: users (with scrypt password
 * hashes), sources, and API keys.  Shared by the CLI and the admin API.
 *
 * API keys are "ahk_" + 32 random bytes in base64url.  Only their SHA-256
 * (hex) is stored, with a short prefix for display; the key itself is
 * handed back once, in key_out, and never logged.
 * Each call runs in the caller's transaction if one is open, else on its own.
 */
#ifndef HUB_ADMIN_H
#define HUB_ADMIN_H

#include <json-c/json.h>

#include "base/buf.h"
#include "base/check.h"
#include "store/db.h"
#include "approval/engine.h"

#define HUB_APIKEY_PREFIX "ahk_"
#define HUB_APIKEY_HASH_LEN 65   /* 64 hex + NUL */
#define HUB_UUID_LEN 37

enum hub_admin_err {
	HUB_ADMIN_OK = 0,
	HUB_ADMIN_INVALID,   /* bad name, role or email */
	HUB_ADMIN_EXISTS,    /* name or email already taken */
	HUB_ADMIN_NOTFOUND,
	HUB_ADMIN_DB,        /* see hub_db_last_error */
	HUB_ADMIN_CRYPTO,
};

/* password NULL: a random one is generated and appended to password_out. */
int	hub_admin_user_add(struct hub_db *, const char *name, const char *email,
	    const char *role, const char *password, struct hub_buf *password_out,
	    char id_out[HUB_UUID_LEN]);
/* A new source and its first API key (appended to key_out). */
int	hub_admin_source_add(struct hub_db *, const char *name, struct hub_buf *key_out,
	    char id_out[HUB_UUID_LEN]);
/* A new key for source_id (NULL: an admin key). */
int	hub_admin_key_add(struct hub_db *, const char *source_id, const char *name,
	    struct hub_buf *key_out);
/* Revoke every live key of the source and issue a new one. */
int	hub_admin_key_rotate(struct hub_db *, const char *source_name, struct hub_buf *key_out);
/* SHA-256 hex of a presented key (for lookups). */
void	hub_apikey_hash(const char *key, char out[HUB_APIKEY_HASH_LEN]);
const char *hub_admin_strerror(int);

/*
 * For the admin API.  Objects handed out are the caller's; problems go into
 * struct hub_problem (check.h): HUB_ADMIN_INVALID and HUB_ADMIN_EXISTS with
 * field and message, HUB_ADMIN_DB with the hub_db code in p->db.
 */
/* {"users": [...], "count"}, by name, at most 1000. */
int	hub_admin_users_json(struct hub_db *, json_object **out, struct hub_problem *);
/*
 * Changes to users are audited (audit.h) in the same transaction, by
 * actor: user.created, user.updated (the role or disabled given),
 * user.password_reset (never the password).  Call outside a transaction.
 */
/* in: {"name", "email"?, "role"? (default requester)}; a random password.
 * *out: {"id", "name", "email", "role", "password", "message"}; the
 * password is shown this once. */
int	hub_admin_user_add_json(struct hub_db *, json_object *in, const struct hub_actor *,
	    json_object **out, struct hub_problem *);
/* One user as the list shows it; NOTFOUND (also for a malformed id). */
int	hub_admin_user_get(struct hub_db *, const char *id, json_object **out,
	    struct hub_problem *);
/* in: {"role"?, "disabled"?} (at least one).  A user acting on their own
 * account (actor kind "user", same id) is refused: INVALID.  *out is the
 * user as it now is.  A disabled user's sessions stop at once (session.h
 * reads the user with every request). */
int	hub_admin_user_patch_json(struct hub_db *, const char *id, json_object *in,
	    const struct hub_actor *, json_object **out, struct hub_problem *);
/* A new random password for the user: *out {"id", "name", "password",
 * "message"}, the password shown this once.  The caller ends the user's
 * sessions (session.h). */
int	hub_admin_user_reset_password(struct hub_db *, const char *id,
	    const struct hub_actor *, json_object **out, struct hub_problem *);

#endif
