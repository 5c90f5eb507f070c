/*
 * connadmin.h - Slack connections as the admin API shows and changes them
 * (/api/connections).  The rows, their secrets and the Slack checks are
 * connections.h's; this module owns the JSON shapes, the validation of
 * admin bodies, the one UPDATE a PATCH applies, and the connection test
 * job.
 *
 * A connection object never holds a secret: id, name, type, team_id,
 * team_name, enterprise_id, app_id, bot_user_id, default_channel,
 * is_default, disabled, disabled_reason, disabled_at,
 * needs_admin_attention, scopes (array or null), token_rotation,
 * token_expires_at, created_at, updated_at.
 *
 * Saving a connection or its channel waits for Slack (auth.test, then
 * conversations.info for a SLACK_APP channel), because the answer to the
 * admin IS that check: DESIGN.md says channel access is checked when a
 * connection or channel is saved, and an unchecked save would store a
 * connection that cannot post.  That is the one place an API request
 * waits on Slack besides views.open; it is bounded by HUB_CONNADM_SLACK_MS.
 * The connection TEST does not wait: it is a job ("connection_test") and
 * the API answers 202 with the job id; its outcome is read back with
 * hub_connadm_test_get (and shows in /api/notifications as kind "test").
 *
 * Every change is audited (approval/audit.h) as the actor passed in:
 * connection.added, .default_set, .channel_set, .disabled, .enabled,
 * .acknowledged, .tested, .disconnected; each with {"connection" (name),
 * "connection_id"} and what changed.  Changes other than add write their
 * row in the change's own transaction; an add's row follows the add
 * (hub_connections_add commits by itself), a failure to write it is logged.
 *
 * The banner (hub_connadm_banner): a connection is on it while
 * needs_admin_attention is set, or while it is disabled and no admin has
 * acknowledged it since it was disabled (banner_ack_at < disabled_at).
 * Acknowledging clears the flag and stamps banner_ack_at, so the banner
 * stays away until the state changes again.
 *
 * Objects handed out are the caller's.  Problems go into struct
 * hub_problem (check.h); its field is static or a key of the caller's
 * `in`.  Never logs a token or webhook URL.
 */
#ifndef HUB_CONNADMIN_H
#define HUB_CONNADMIN_H

#include <json-c/json.h>

#include "approval/engine.h"
#include "base/check.h"
#include "base/conf.h"
#include "store/db.h"
#include "base/httpc.h"
#include "store/job.h"

enum hub_connadm_err {
	HUB_CONNADM_OK = 0,
	HUB_CONNADM_INVALID,      /* 400: p->field, p->message (the fix, for Slack refusals) */
	HUB_CONNADM_EXISTS,       /* 409: the name is taken */
	HUB_CONNADM_NOTFOUND,     /* 404: no such connection (or job) */
	HUB_CONNADM_UNAVAILABLE,  /* 503: Slack did not answer (p->message says so) */
	HUB_CONNADM_DB,           /* p->db: the hub_db code */
	HUB_CONNADM_NOMEM,
};

#define HUB_CONNADM_TEST_KIND	"connection_test"
#define HUB_CONNADM_TEST_MAX_AGE_S 600
#define HUB_CONNADM_SLACK_MS	5000L

/* {"connections": [...], "count"} by name. */
int	hub_connadm_list(struct hub_db *, json_object **out, struct hub_problem *);
int	hub_connadm_get(struct hub_db *, const char *id, json_object **out, struct hub_problem *);
/* in: {"name", "type", "token" | "webhook_url", "default_channel"?, "default"?}.
 * http is the process's handle (checks with Slack, bounded). */
int	hub_connadm_create(struct hub_db *, const struct hub_conf *, struct hub_httpc *,
	    json_object *in, const struct hub_actor *, json_object **out, struct hub_problem *);
/* in: any of {"default": true}, {"disabled": bool, "reason"?},
 * {"default_channel": "C…" | null} (checked with conversations.info),
 * {"acknowledge": true} (clears the admin banner).  An admin's enable or
 * disable clears needs_admin_attention too: the admin has seen it (a
 * disable still shows on the banner until acknowledged). */
int	hub_connadm_patch(struct hub_db *, const struct hub_conf *, struct hub_httpc *,
	    const char *id, json_object *in, const struct hub_actor *, json_object **out,
	    struct hub_problem *);
/* in: {"channel"?}.  Enqueues the test: *out {"job", "connection",
 * "status": "queued", "status_url"}. */
int	hub_connadm_test_start(struct hub_db *, const char *id, json_object *in,
	    const struct hub_actor *, json_object **out, struct hub_problem *);
/* {"job", "connection", "channel", "status" (queued, sending, retrying,
 * delivered, failed), "ok" (null until finished), "ts", "error", "fix"}. */
int	hub_connadm_test_get(struct hub_db *, const char *id, const char *job,
	    json_object **out, struct hub_problem *);

/* Can the connection's bot post to channel (SLACK_APP only)?  Changes
 * nothing.  *out {"channel", "ok": true}; a refusal is INVALID with the
 * fix ("invite the bot with /invite @…") in p->message, UNAVAILABLE when
 * Slack did not answer. */
int	hub_connadm_channel_check(struct hub_db *, const struct hub_conf *, struct hub_httpc *,
	    const char *id, const char *channel, json_object **out, struct hub_problem *);

/*
 * Disconnect: revoke the connection's token at Slack (auth.revoke; a
 * token Slack already refuses counts as revoked), then delete the
 * connection with its sealed secrets and audit it, in one transaction.
 * A webhook has no token: its URL is deleted (the admin removes the
 * webhook in Slack).  When Slack does not revoke (no answer, an error),
 * nothing is deleted unless force: UNAVAILABLE / INVALID saying so.
 * *out {"connection" (name), "type", "revoked" (bool), "slack_answer"
 * ("ok", Slack's error, or null without a token), "message"}.
 */
int	hub_connadm_disconnect(struct hub_db *, const struct hub_conf *, struct hub_httpc *,
	    const char *id, int force, const struct hub_actor *, json_object **out,
	    struct hub_problem *);

/* hub_connadm_list plus, for each, the newest failed delivery or test
 * through it ("last_error": code, "last_error_detail": the fix,
 * "last_error_at") and "on_banner" (bool): what the admin page shows. */
int	hub_connadm_overview(struct hub_db *, json_object **out, struct hub_problem *);
/* The connections on the banner (at most HUB_CONNADM_BANNER_MAX, by
 * name): [{"id", "name", "disabled", "reason", "needs_admin_attention"}].
 * One small indexed query: every dashboard page asks. */
#define HUB_CONNADM_BANNER_MAX	5
int	hub_connadm_banner(struct hub_db *, json_object **out);

/* The "connection_test" job (bin/approvalhub-worker.c's kinds table): payload
 * {"connection_id", "channel"?, "delivery_id"}.  Tries even a disabled
 * connection (a test is how an admin checks a fix); an authentication
 * refusal disables it.  Done detail: the message ts, or "ok" (webhooks). */
void	hub_job_connection_test(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

#endif
