/*
 * session.h - dashboard sessions: a cookie holding a random token, and a
 * row in `sessions` holding only the token's SHA-256.
 *
 * - Opening a session always makes a new token (a token the browser had
 *   before signing in never becomes a session: no fixation).
 * - The cookie `hub_session` is HttpOnly, SameSite=Lax, Path=/, and
 *   Secure when PUBLIC_URL is https.
 * - A session ends after `session.idle_minutes` without use (default
 *   12 h) and `session.absolute_hours` after it opened (default 7 days),
 *   settings.h; signing out deletes its row.
 * - Each session has its own CSRF token for the forms it posts; it is
 *   compared in constant time (hub_session_csrf_ok).
 * Tokens are never logged.  The session's user is re-read with every
 * load, so a disabled user or a changed role counts at once.
 */
#ifndef HUB_SESSION_H
#define HUB_SESSION_H

#include "base/buf.h"
#include "base/conf.h"
#include "approval/access.h"
#include "store/db.h"

#define HUB_SESSION_COOKIE	"hub_session"
#define HUB_SESSION_HASH_LEN	65	/* SHA-256 hex + NUL */
#define HUB_SESSION_CSRF_LEN	64	/* base64url of 32 bytes is 43 */
#define HUB_SESSION_NEXT_MAX	2048

enum hub_session_err {
	HUB_SESSION_OK = 0,
	HUB_SESSION_NONE,	/* no cookie, or an unknown or expired session */
	HUB_SESSION_DB,
	HUB_SESSION_CRYPTO,
};

struct hub_session {
	struct hub_access_user	user;
	char			token_hash[HUB_SESSION_HASH_LEN];
	char			csrf[HUB_SESSION_CSRF_LEN];
};

/* The session of a request's Cookie header (may be NULL): OK fills *s and
 * marks it used; NONE when there is none (an expired one is deleted). */
int	hub_session_load(struct hub_db *, const char *cookie_header, struct hub_session *s);
/* A new session for user; set_cookie gets the Set-Cookie value.  The
 * session of old_cookie_header (may be NULL), if any, is deleted. */
int	hub_session_open(struct hub_db *, const struct hub_conf *,
	    const struct hub_access_user *user, const char *old_cookie_header,
	    const char *user_agent, const char *address, struct hub_session *s,
	    struct hub_buf *set_cookie);
/* Delete the session (sign out). */
int	hub_session_close(struct hub_db *, const struct hub_session *s);
/* Delete the user's other sessions (after a password change). */
int	hub_session_close_others(struct hub_db *, const struct hub_session *s);
/* Delete every session of user_id (an admin reset their password). */
int	hub_session_close_user(struct hub_db *, const char *user_id);
/* The Set-Cookie value that removes the cookie. */
int	hub_session_clear_cookie(const struct hub_conf *, struct hub_buf *set_cookie);
/* 1 when presented is the session's CSRF token (constant time). */
int	hub_session_csrf_ok(const struct hub_session *s, const char *presented);
/* A cookie of its own for a form posted before any session exists (the
 * sign-in form): name=token, HttpOnly, SameSite=Lax, path, max_age.  The
 * form carries the same token; hub_session_form_token_ok() compares. */
int	hub_session_form_cookie(const struct hub_conf *, const char *name, const char *path,
	    int max_age, struct hub_buf *token, struct hub_buf *set_cookie);
int	hub_session_form_token_ok(const char *cookie_header, const char *name,
	    const char *presented);
/* Where to send a browser after signing in: next when it is a path of
 * this hub ("/..." of printable ASCII, not "//", no backslash, not the
 * sign-in pages themselves), else "/".  Never an absolute URL: no open
 * redirect, however next is encoded. */
const char *hub_session_next_path(const char *next);

/*
 * The worker's sweep (store/job.h, bin/approvalhub-worker.c): deletes the
 * sessions past their absolute or idle end (a browser that never comes
 * back leaves its row behind) and the sign-in throttle's counts that no
 * longer count (hub_throttle_prune), in batches of
 * HUB_SESSION_SWEEP_BATCH rows, at most HUB_SESSION_SWEEP_ROUNDS a sweep.
 */
#define HUB_SESSION_SWEEP_BATCH		1000
#define HUB_SESSION_SWEEP_ROUNDS	10
struct hub_job_env;
int	hub_session_sweep(struct hub_job_env *);

#endif
