/*
 * slackapi.h - Slack Web API calls and incoming-webhook posts, with every
 * answer sorted into one class that says what the caller must do.
 *
 * hub_slack_call() POSTs SLACK_API_URL + method: JSON
 * ("application/json; charset=utf-8") with "Authorization: Bearer token"
 * for methods that accept JSON, form-encoded for those Slack only takes as
 * a form (users.lookupByEmail, users.info, conversations.info, auth.test,
 * oauth.v2.access — the latter with client_id/client_secret in args and no
 * token).  One method table holds encoding and rate tier.
 *
 * Blocking: each call waits for Slack up to slack->timeout_ms.  Never logs
 * tokens, webhook URLs or bodies; the result's error/detail never hold
 * them either.
 */
#ifndef HUB_SLACKAPI_H
#define HUB_SLACKAPI_H

#include <json-c/json.h>

#include "base/crypto.h"
#include "base/httpc.h"
#include "slack/ratelimit.h"

/* What the caller does next.  0 is success. */
enum hub_slack_class {
	HUB_SLACK_OK = 0,
	HUB_SLACK_RATELIMITED,   /* wait retry_after s (429) or wait_ms (our bucket) */
	HUB_SLACK_AUTH,          /* invalid_auth, token_revoked, ...: disable the connection */
	HUB_SLACK_NOT_FOUND_USER,/* users_not_found, user_not_found: fall back */
	HUB_SLACK_CHANNEL,       /* not_in_channel, channel_not_found, is_archived: admin fix */
	HUB_SLACK_INVALID,       /* invalid_blocks, no_text, ...: a bug on our side, permanent */
	HUB_SLACK_TRANSIENT,     /* 5xx, timeout, connect, fatal_error...: retry with backoff */
	HUB_SLACK_OTHER,         /* anything else: permanent */
};

/* The client: all borrowed, set by the caller.  keyring opens connection
 * secrets (connections.h); http is the process's one libcurl handle. */
struct hub_slack {
	struct hub_httpc		*http;
	const char			*api_url;    /* ends with '/' (conf.slack_api_url) */
	long				 timeout_ms; /* 0 = HUB_SLACK_TIMEOUT_MS */
	const struct hub_keyring	*keyring;
	const char			*taken;      /* hub_slack_take_token's method */
};

#define HUB_SLACK_TIMEOUT_MS	10000L
#define HUB_SLACK_BODY_MAX	(2 * 1024 * 1024)

struct hub_slack_result {
	enum hub_slack_class cls;
	int		 ok;            /* {"ok":true} / webhook "ok" */
	long		 status;        /* HTTP status, 0 when no response arrived */
	int		 retry_after;   /* s, from a 429's Retry-After; -1 absent */
	long		 wait_ms;       /* refused by our own bucket (no call made) */
	char		 error[64];     /* Slack's code ("users_not_found"), or ours:
					 * "http_503", "timeout", "connect", "transport",
					 * "invalid_response", "local_ratelimit" */
	char		 detail[512];   /* response_metadata.messages, transport text */
	json_object	*resp;          /* parsed answer, owned; NULL for webhooks */
};

void	hub_slack_result_init(struct hub_slack_result *);
/* Frees resp; the result may be reused. */
void	hub_slack_result_free(struct hub_slack_result *);

/* Call a Web API method.  args is borrowed (may be NULL); token may be NULL
 * for oauth.v2.access.  Returns res->cls.  res must be initialised; a
 * previous answer in it is freed first. */
int	hub_slack_call(struct hub_slack *, const char *method, const char *token,
	    json_object *args, struct hub_slack_result *res);
/* Post body to an incoming webhook.  200 "ok" is OK; 400 invalid_payload /
 * no_text / invalid_blocks -> INVALID; 403 action_prohibited, 404
 * channel_not_found, 410 channel_is_archived -> CHANNEL; 403 invalid_token,
 * 404 no_service (hook removed) -> AUTH; 429 -> RATELIMITED; 5xx ->
 * TRANSIENT.  error holds Slack's text. */
int	hub_slack_webhook_post(struct hub_slack *, const char *url, json_object *body,
	    struct hub_slack_result *res);

/* Class of a Web API error code (ok=false). */
enum hub_slack_class hub_slack_classify(const char *error);
/* An admin-readable fix for an error code ("Invite the app to the channel
 * ..."), or a generic sentence; never NULL. */
const char	*hub_slack_fix(const char *error);
const char	*hub_slack_class_name(int);

/* The buckets a call of `method` in workspace `team` must take, scarcest
 * first: chat.postMessage -> "<team>:chat.postMessage:<channel>" (1/s,
 * burst 3) then "<team>:chat.postMessage" (workspace_cap/min; <= 0 means
 * HUB_RATELIMIT_WORKSPACE_CAP); any other method -> "<team>:<method>" at
 * its tier.  Returns how many were written (0..max), 0 for oauth.v2.access
 * or a key that would be too long. */
size_t	hub_slack_method_bucket(const char *method, const char *team, const char *channel,
	    int workspace_cap, struct hub_ratelimit_bucket *out, size_t max);
/* The bucket of an incoming webhook: "webhook:<connection id>", 1/s. */
void	hub_slack_webhook_bucket(const char *connection_id, struct hub_ratelimit_bucket *out);

/* hub_slack_call behind the shared buckets: take them (a refusal is
 * RATELIMITED with wait_ms and no HTTP call), call, and on a 429 block the
 * method's scarcest bucket for Retry-After. */
int	hub_slack_call_limited(struct hub_db *, struct hub_slack *, const char *team,
	    const char *method, const char *channel, const char *token, json_object *args,
	    struct hub_slack_result *res);
/* Take the method's buckets now, before work only the call needs (a Home
 * view read from the database): HUB_SLACK_OK, and the next limited call
 * of that method on s spends them; or RATELIMITED with wait_ms, as that
 * call would have answered. */
int	hub_slack_take_token(struct hub_db *, struct hub_slack *, const char *team,
	    const char *method, const char *channel, struct hub_slack_result *res);

#endif
