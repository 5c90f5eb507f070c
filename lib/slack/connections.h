/*
 * connections.h - Slack connections (slack_connections): many, named, one
 * default; types INCOMING_WEBHOOK (webhook only), INCOMING_WEBHOOK_LOOKUP
 * (webhook + a token used only for users.lookupByEmail) and SLACK_APP (bot
 * token).  Secrets (webhook URL, bot token) are stored sealed with
 * hub_box_seal (slack->keyring) and opened only when a call needs them,
 * into a buffer the caller releases; they are never logged or printed.
 *
 * Also: the email -> Slack user id cache (slack_user_cache: 24 h for a
 * hit, 1 h for users_not_found, keyed (connection, lower(email))), the
 * channel-access check and the SLACK_BOT_TOKEN bootstrap.
 *
 * Calls that reach Slack block for up to slack->timeout_ms and go through
 * the shared rate buckets (ratelimit.h).
 */
#ifndef HUB_CONNECTIONS_H
#define HUB_CONNECTIONS_H

#include "base/buf.h"
#include "base/conf.h"
#include "store/db.h"
#include "store/job.h"
#include "slack/slackapi.h"

enum hub_conn_err {
	HUB_CONN_OK = 0,
	HUB_CONN_INVALID,    /* bad name, type, URL, token or channel shape */
	HUB_CONN_EXISTS,     /* name taken */
	HUB_CONN_NOTFOUND,   /* no such connection; lookup: users_not_found */
	HUB_CONN_DISABLED,   /* the connection is disabled */
	HUB_CONN_SLACK,      /* Slack refused or failed: see the hub_slack_result */
	HUB_CONN_DB,
	HUB_CONN_CRYPTO,     /* sealing/opening failed (SECRET_KEY changed?) */
	HUB_CONN_NOMEM,
};

enum hub_conn_type {
	HUB_CONN_INCOMING_WEBHOOK = 0,
	HUB_CONN_INCOMING_WEBHOOK_LOOKUP,
	HUB_CONN_SLACK_APP,
	HUB_CONN_TYPE__MAX
};

#define HUB_CONN_ID_LEN		37   /* uuid + NUL */
#define HUB_CONN_NAME_MAX	100
#define HUB_CONN_SEALED_MAX	2048
#define HUB_SLACK_ID_LEN	32   /* U..., C..., T... + NUL, generous */

/* One row.  Plain data: copy freely; the *_enc fields are sealed text. */
struct hub_conn {
	char	id[HUB_CONN_ID_LEN];
	char	name[HUB_CONN_NAME_MAX + 1];
	enum hub_conn_type type;
	char	team_id[HUB_SLACK_ID_LEN];
	char	team_name[128];
	char	bot_user_id[HUB_SLACK_ID_LEN];
	char	default_channel[HUB_SLACK_ID_LEN];
	int	is_default;
	int	disabled;
	int	needs_admin_attention;
	char	disabled_reason[256];
	char	webhook_url_enc[HUB_CONN_SEALED_MAX];  /* "" when none */
	char	bot_token_enc[HUB_CONN_SEALED_MAX];    /* "" when none */
};

/* What `connection add` supplies; secrets are borrowed, sealed on insert. */
struct hub_conn_spec {
	const char		*name;
	enum hub_conn_type	 type;
	const char		*token;        /* xoxb-/xoxe.xoxb-..., SLACK_APP and _LOOKUP */
	const char		*webhook_url;  /* http(s)://..., webhook types */
	const char		*channel;      /* optional default channel id (C/G/D...) */
	int			 is_default;
};

const char	*hub_conn_strerror(int);
/* A Slack token as we store it (bot, user or refresh): "xox" + printable
 * ASCII without spaces, at most 512 bytes. */
int		 hub_conn_token_ok(const char *);
const char	*hub_conn_type_name(enum hub_conn_type);
/* "SLACK_APP" -> HUB_CONN_SLACK_APP; -1 when unknown. */
int		 hub_conn_type_parse(const char *);

/* Validate, auth.test the token (learns team id/name and bot user id;
 * res says why Slack refused), check the channel with conversations.info
 * for SLACK_APP (a refusal is HUB_CONN_SLACK and *fix names the remedy),
 * seal the secrets, insert; with is_default (or when no default exists yet)
 * it becomes the default in the same transaction.  fix may be NULL. */
int	hub_connections_add(struct hub_db *, struct hub_slack *, const struct hub_conn_spec *,
	    struct hub_conn *out, struct hub_slack_result *res, struct hub_buf *fix);
/* All connections, by name; *out is malloc'ed (free()), *n its length. */
int	hub_connections_list(struct hub_db *, struct hub_conn **out, size_t *n);
/* By name, or by id when the text is a uuid. */
int	hub_connections_get(struct hub_db *, const char *name_or_id, struct hub_conn *);
/* As hub_connections_get, in the round trip of other statements that do
 * not depend on it (hub_db_exec_each: each in its own transaction, their
 * outcomes in calls[i].err and .res, the caller's to PQclear). */
int	hub_connections_get_with(struct hub_db *, const char *name_or_id,
	    struct hub_db_call *calls, size_t n, struct hub_conn *);
int	hub_connections_get_default(struct hub_db *, struct hub_conn *);
/* Make it the default, clearing the old one, in one transaction. */
int	hub_connections_set_default(struct hub_db *, const char *name_or_id);
/* disabled + reason + needs_admin_attention (the admin banner).  reason
 * may be NULL ("disabled by an admin"). */
int	hub_connections_disable(struct hub_db *, const char *name_or_id, const char *reason);
/* Clears disabled, reason and the banner flag. */
int	hub_connections_enable(struct hub_db *, const char *name_or_id);

/* Open a secret into out (release it yourself, soon). */
int	hub_connections_open_token(const struct hub_slack *, const struct hub_conn *,
	    struct hub_buf *out);
int	hub_connections_open_webhook(const struct hub_slack *, const struct hub_conn *,
	    struct hub_buf *out);

/* A Web API call with the connection's token, behind the shared buckets
 * (hub_slack_call_limited); an AUTH answer disables the connection with
 * the fix as reason.  HUB_CONN_OK, HUB_CONN_SLACK (see res->cls),
 * HUB_CONN_DISABLED, HUB_CONN_INVALID (no token: a plain webhook). */
int	hub_connections_call(struct hub_db *, struct hub_slack *, const struct hub_conn *,
	    const char *method, const char *channel, json_object *args,
	    struct hub_slack_result *res);
/* hub_slack_take_token for the connection's workspace: HUB_CONN_OK (the
 * next hub_connections_call of method on s spends it) or HUB_CONN_SLACK
 * with res "local_ratelimit" and its wait_ms. */
int	hub_connections_take_token(struct hub_db *, struct hub_slack *, const struct hub_conn *,
	    const char *method, const char *channel, struct hub_slack_result *res);
/* A post to the connection's webhook behind "webhook:<id>"; AUTH disables. */
int	hub_connections_webhook_post(struct hub_db *, struct hub_slack *, const struct hub_conn *,
	    json_object *body, struct hub_slack_result *res);

/* Can the bot post to channel?  conversations.info: OK when the channel
 * exists, is not archived and is_member is true (a DM/mpim counts).
 * Otherwise HUB_CONN_SLACK with *fix ("Invite the app ... /invite @<bot>",
 * "check the channel id", ...) and res holding the answer.  An admin
 * waits for it: a refusal by the local Tier 3 bucket is waited out (up to
 * 5 s, a few times) instead of reported. */
int	hub_connections_check_channel(struct hub_db *, struct hub_slack *, const struct hub_conn *,
	    const char *channel, struct hub_slack_result *res, struct hub_buf *fix);

/* SLACK_BOT_TOKEN (conf->slack_bot_token) becomes the SLACK_APP
 * connection "default" (auth.test for the team), the default connection
 * unless another one already is.  Idempotent: an existing "default" is
 * kept, its token replaced when the environment's differs.  OK without
 * doing anything when the variable is unset. */
int	hub_connections_bootstrap_env(struct hub_db *, struct hub_slack *,
	    const struct hub_conf *, struct hub_slack_result *res);

/*
 * The worker's setup step (worker.h) for SLACK_BOT_TOKEN: one try of
 * hub_connections_bootstrap_env with a short timeout.  The single-workspace
 * setup has no other connection, so until this succeeds every Slack
 * delivery would find none.  0 when done, or when it will not get better
 * by itself (a token Slack refuses, a "default" connection of another
 * type: logged once as an error, env_connection_failed with the fix);
 * while Slack or the database does not answer, the seconds until the next
 * try: delay_s, or Slack's Retry-After when longer, at most a minute
 * (logged as env_connection_failed ... retry_in=).
 */
int	hub_connections_env_setup(struct hub_job_env *, int delay_s);
#define HUB_CONN_ENV_REASON	"slack unreachable"
#define HUB_CONN_ENV_CODE	"slack_env_pending"
#define HUB_CONN_ENV_DETAIL	"SLACK_BOT_TOKEN is not a connection yet: " \
	"Slack did not answer (see env_connection_failed in the worker's log)"

/* Email -> Slack user id through slack_user_cache, users.lookupByEmail on a
 * miss (Tier 3 bucket).  HUB_CONN_OK with out_id; HUB_CONN_NOTFOUND for
 * users_not_found (cached for an hour); HUB_CONN_SLACK otherwise (res, may
 * be NULL, says why: RATELIMITED with wait_ms/retry_after, AUTH...). */
int	hub_slack_lookup_email(struct hub_db *, struct hub_slack *, const struct hub_conn *,
	    const char *email, char out_id[HUB_SLACK_ID_LEN], struct hub_slack_result *res);
/* How a request's steps reach Slack, as the notify job picks each step's
 * connection (step -> request -> source -> the default).  missing: some
 * step resolves to no connection; disabled_name: the first step whose
 * connection is disabled ("" when none).  Either way those people are
 * reached by email only (deliver.h). */
struct hub_conn_reach {
	int	missing;
	char	disabled_name[HUB_CONN_NAME_MAX + 1];
	char	disabled_reason[sizeof(((struct hub_conn *)0)->disabled_reason)];
};
int	hub_connections_unresolved(struct hub_db *, const char *request_id,
	    struct hub_conn_reach *);
/* A send answered users_not_found: forget what we cached for the email. */
int	hub_slack_cache_drop(struct hub_db *, const struct hub_conn *, const char *email);

#endif
