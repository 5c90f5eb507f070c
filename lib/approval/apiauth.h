/*
 * apiauth.h - who is calling the REST API.
 *
 * "Authorization: Bearer <key>" is hashed (SHA-256 hex, admin.h) and looked
 * up among live keys: not revoked, and for a source key, a source that is
 * not disabled.  Only the hash reaches the database; the key is never
 * logged.  last_used_at is written at most once a minute per key (a
 * conditional UPDATE that touches nothing inside the minute), so intake
 * does not pay a row write per request.
 */
#ifndef HUB_APIAUTH_H
#define HUB_APIAUTH_H

#include "store/db.h"

enum hub_apiauth_err {
	HUB_APIAUTH_OK = 0,
	HUB_APIAUTH_MISSING,     /* no Authorization header, or not "Bearer <key>" */
	HUB_APIAUTH_INVALID,     /* unknown, revoked, or its source is disabled */
	HUB_APIAUTH_UNAVAILABLE, /* database unreachable or failing: 503 */
};

/* Longest key text considered; a longer header is MISSING, not looked up. */
#define HUB_APIAUTH_KEY_MAX 200

struct hub_principal {
	int	is_admin;
	char	key_id[37];
	char	source_id[37];     /* "" for admin keys */
	char	source_name[101];  /* "" for admin keys */
};

/* authorization: the header value (may be NULL).  Fills *p on OK. */
int	hub_apiauth_check(struct hub_db *, const char *authorization, struct hub_principal *p);

#endif
