/*
 * oauth.h - installing the Slack app into a workspace with OAuth v2, and
 * keeping rotating tokens fresh.
 *
 * The install, in three steps, none of which waits on Slack in a request
 * handler (DESIGN.md rule 1):
 *
 *  1. GET /slack/install -> hub_oauth_begin(): a random state and a random
 *     browser nonce; their SHA-256 (hex) go into oauth_states for
 *     HUB_OAUTH_STATE_TTL_S; the answer is a 302 to the authorize URL and
 *     the cookie `hub_oauth=<nonce>` (HttpOnly, SameSite=Lax,
 *     Path=/slack/oauth, Max-Age=600, Secure when PUBLIC_URL is https).
 *     The authorize URL is SLACK_API_URL's origin + "/oauth/v2/authorize"
 *     (https://slack.com/oauth/v2/authorize for the default
 *     https://slack.com/api/; a fake's own origin in tests), with client_id,
 *     scope (hub_slack_scopes(), slackscopes.h), state and redirect_uri =
 *     PUBLIC_URL/slack/oauth/callback.
 *  2. GET /slack/oauth/callback -> hub_oauth_finish(): one transaction
 *     marks the state used (UPDATE ... WHERE used_at IS NULL AND expires_at
 *     > now() AND browser_hash matches the cookie: single use, 10 minutes,
 *     this browser only) and enqueues an "oauth_exchange" job whose payload
 *     holds the code sealed with hub_box_seal, the redirect_uri and the
 *     hash of a random status token.  Nothing is written when the state or
 *     the cookie is wrong.  The caller answers a page that refreshes itself
 *     to /slack/oauth/status/<job id>.<status token>.
 *  3. The worker runs hub_job_oauth_exchange(): oauth.v2.access, then
 *     creates or updates the team's SLACK_APP connection (named after the
 *     team; "<team> (<team id>)" when another connection has that name)
 *     with the bot token sealed, refresh_token_enc + token_expires_at when
 *     token rotation is on, bot_user_id, app_id, scopes and enterprise id.
 *     A new connection becomes the default when there is none.  The job's
 *     done detail is the connection id; hub_oauth_status() reads it back.
 *     In the same transaction: installed_by (the admin who started the
 *     install, kept in oauth_states), the audit row "connection.installed"
 *     as that admin, and a "slack_welcome" job: a DM to the person who
 *     approved the install in Slack (authed_user) saying what the hub does
 *     and how to use /approvals.
 *
 * Token rotation: hub_oauth_refresh_due() (the worker's sweep) refreshes
 * every enabled connection whose token expires in under
 * HUB_OAUTH_REFRESH_BEFORE_S, one at a time, each inside a transaction
 * holding the connection row FOR UPDATE SKIP LOCKED, so two workers never
 * spend the same single-use refresh token.  invalid_refresh_token (or any
 * authentication refusal) disables the connection with the admin banner.
 *
 * Never logs or returns codes, tokens, states or nonces; callers release
 * the buffers they pass.  SLACK_CLIENT_ID and SLACK_CLIENT_SECRET unset:
 * HUB_OAUTH_NOTCONFIGURED.
 */
#ifndef HUB_OAUTH_H
#define HUB_OAUTH_H

#include <stdint.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "store/job.h"

enum hub_oauth_err {
	HUB_OAUTH_OK = 0,
	HUB_OAUTH_NOTCONFIGURED,  /* SLACK_CLIENT_ID / _SECRET / SECRET_KEY missing */
	HUB_OAUTH_BADSTATE,       /* unknown, used or expired state, or no/another cookie */
	HUB_OAUTH_NOTFOUND,       /* status: no such job, or the token does not match */
	HUB_OAUTH_UNAVAILABLE,    /* the database is unreachable */
	HUB_OAUTH_DB,
	HUB_OAUTH_CRYPTO,
	HUB_OAUTH_NOMEM,
};

#define HUB_OAUTH_STATE_TTL_S		600
#define HUB_OAUTH_REFRESH_BEFORE_S	7200
#define HUB_OAUTH_COOKIE		"hub_oauth"
#define HUB_OAUTH_JOB_KIND		"oauth_exchange"
/* The exchange gives up with the code: Slack's codes live 10 minutes. */
#define HUB_OAUTH_JOB_MAX_AGE_S		600

const char	*hub_oauth_strerror(int);

/* SLACK_API_URL's origin + "/oauth/v2/authorize", appended to out. */
int	hub_oauth_authorize_base(const struct hub_conf *, struct hub_buf *out);

/* Step 1.  user_id: the signed-in admin (NULL: none).  location: the
 * whole authorize URL; set_cookie: the Set-Cookie value.  Both appended. */
int	hub_oauth_begin(struct hub_db *, const struct hub_conf *, const char *user_id,
	    struct hub_buf *location, struct hub_buf *set_cookie);
/* The Set-Cookie value that removes the cookie again. */
int	hub_oauth_clear_cookie(const struct hub_conf *, struct hub_buf *set_cookie);
/* The value of cookie `name` in a Cookie header into out (appended);
 * 0 found, -1 absent or malformed. */
int	hub_oauth_cookie_get(const char *header, const char *name, struct hub_buf *out);

/* Step 2.  cookie_header: the request's Cookie header (may be NULL).
 * status_path: "/slack/oauth/status/<job id>.<token>" (appended). */
int	hub_oauth_finish(struct hub_db *, const struct hub_conf *, const char *code,
	    const char *state, const char *cookie_header, struct hub_buf *status_path);
/* error=access_denied (or another error) came back: spend the state when
 * it and the cookie are good, so it cannot be replayed.  Best effort. */
void	hub_oauth_abandon(struct hub_db *, const char *state, const char *cookie_header);

enum hub_oauth_phase {
	HUB_OAUTH_PENDING = 0,    /* queued, running, or waiting for a retry */
	HUB_OAUTH_INSTALLED,
	HUB_OAUTH_FAILED,
};

struct hub_oauth_status {
	enum hub_oauth_phase	 phase;
	char			 team_name[128];     /* INSTALLED */
	char			 team_id[32];
	char			 connection[101];    /* its name */
	char			 error[300];         /* FAILED: "<code>: <what to do>" */
};

/* What became of the exchange behind "<job id>.<token>". */
int	hub_oauth_status(struct hub_db *, const char *id_token, struct hub_oauth_status *);

/* Step 3: the "oauth_exchange" job (bin/approvalhub-worker.c's kinds table). */
void	hub_job_oauth_exchange(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

/* The welcome DM after an install (kinds table): payload {"connection_id",
 * "user"}; chat.postMessage to the user through the connection.  Done
 * detail: the message ts. */
#define HUB_OAUTH_WELCOME_KIND		"slack_welcome"
#define HUB_OAUTH_WELCOME_MAX_AGE_S	86400
void	hub_job_slack_welcome(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

/* The sweep: refresh up to limit connections due; *refreshed counts the
 * new tokens, *disabled the connections given up on.  HUB_OAUTH_OK also
 * when a single refresh failed for a passing reason (logged; the next
 * sweep tries again). */
int	hub_oauth_refresh_due(struct hub_job_env *, int limit, int *refreshed, int *disabled);
/* The worker's sweep (job.h): hub_oauth_refresh_due in one batch of
 * HUB_OAUTH_SWEEP_BATCH, logged; nothing without SECRET_KEY. */
#define HUB_OAUTH_SWEEP_BATCH	100
int	hub_oauth_sweep(struct hub_job_env *);

#endif
