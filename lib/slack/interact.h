/*
 * interact.h - what Slack posts when people click, submit a modal or type
 * /approvals: POST /slack/interactions (form payload=<JSON>) and
 * POST /slack/commands (form fields), after the signature gate
 * (slackreq.h).  The FastCGI program only reads the form and writes out
 * the reply this module decides.
 *
 * Boundary: the payload is parsed by slack/payload.h, with limits, and
 * every field used is type-checked first; a payload that is not JSON, has
 * a field of the wrong type, lacks user.id or a team id is a 400 naming
 * the field, and nothing is written.
 *
 * block_actions, first action only, by action_id (render.h's buttons,
 * value {"r": request id, "a": assignment id}, block "hub_actions:<id>"):
 *   hub_approve  hub_engine_decide(approve) -> 200 empty (the engine's
 *                sync job updates every copy)
 *   hub_reject   views.open of the reason modal (modals.h) with the
 *                trigger_id (DESIGN rule 1's one exception), off the
 *                request's path: the click is answered at once and a
 *                detached process (base/detach.h, its own database
 *                connection) calls views.open within what is left of the
 *                trigger's 3 s counted from the request's arrival at nginx
 *                (2.5 s at most), so a slow Slack never holds a child;
 *                failure, or too little time left -> ephemeral "Could not
 *                open the form, try again"
 *   hub_edit     views.open of the edit modal (the source's editable_fields)
 *   hub_snooze   overflow "1h" (now + 1 hour) or "tomorrow" (09:00 UTC the
 *                next day): the clicker's own assignments get no automatic
 *                reminder before then (hub_engine_snooze; the other
 *                approvers keep theirs), audit "request.snoozed", ephemeral
 *                confirmation
 *   hub_remind   Home tab, requester only: hub_engine_remind ->
 *                "Reminder sent to N approvers"
 *   hub_view     URL button: 200 empty
 *   other        200 empty, logged
 * view_submission, by callback_id: hub_reject (reason; required per
 * source -> {"response_action":"errors","errors":{"reason_block":…}}) and
 * hub_edit (typed edits, then approve with them); success answers
 * {"response_action":"clear"}; engine refusals become errors keyed by the
 * modal's block.  private_metadata is verified (MAC) and never authorises.
 *
 * Authorization: the team of the payload (team.id, else user.team_id) must
 * have a connection ("This workspace is not connected" otherwise) and be
 * the team of the connection the request went out through (its sent
 * messages, else the step / request / source / default connection);
 * the engine then checks the user is an assignee or an active delegate.
 * Refusals change nothing and are told ephemerally.
 *
 * Ephemeral answers and stale-button removal go through "slack_respond"
 * jobs (the handler never waits on Slack): payload
 *   {"response_url": url, "body": {...}}   POST JSON to a response_url; only
 *                                          here does the body carry
 *                                          response_type / replace_original
 *   {"connection_id": id, "user": "U…", "body": {"text"}}
 *                                          Home tab (no response_url, no
 *                                          channel): conversations.open of the
 *                                          user's DM with the app, then
 *                                          chat.postEphemeral there with the
 *                                          body's text and blocks only
 * hub_remind from the Home tab also republishes the tab (home.h), which
 * shows when the request was last reminded.
 * A response_url is accepted only on https://hooks.slack.com/ or on the
 * origin of SLACK_API_URL (the fake in tests); dedupe key
 * "respond:<hash of url and body>" so repeated clicks queue one copy.
 *
 * /approvals [words]: the caller's pending approvals (up to 10, newest
 * first, full-text filtered by words) as an ephemeral Block Kit reply with
 * Approve / Reject buttons; more than 10 adds a dashboard link.
 */
#ifndef HUB_INTERACT_H
#define HUB_INTERACT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "base/form.h"
#include "base/httpc.h"
#include "store/job.h"

#define HUB_INTERACT_VIEWS_OPEN_MS	2500L
#define HUB_INTERACT_TRIGGER_MS		3000L   /* a trigger_id's life */

struct hub_interact {
	int64_t				 arrived_ms; /* epoch ms the request reached nginx
						      * (hub_req.arrived_ms; init: now) */
	struct hub_db			*db;
	const struct hub_conf		*conf;
	struct hub_httpc		*http;   /* views.open only */
	const struct hub_keyring	*keys;   /* opens bot tokens */
	unsigned char			 modal_key[32];
};

/* The answer to Slack: status 200 with body (NULL: empty body), or an
 * error status with a static message and field. */
struct hub_interact_reply {
	int		 status;
	json_object	*body;
	const char	*error;
	char		 field[64];
};

/* All borrowed; conf->secret_key derives the modal MAC key. */
void	hub_interact_init(struct hub_interact *, struct hub_db *, const struct hub_conf *,
	    struct hub_httpc *, const struct hub_keyring *);
/* The payload= form value.  Always fills reply; returns reply->status. */
int	hub_interact_payload(struct hub_interact *, const char *payload, size_t len,
	    struct hub_interact_reply *);
/* A slash command's form. */
int	hub_interact_command(struct hub_interact *, const struct hub_form *,
	    struct hub_interact_reply *);
void	hub_interact_reply_free(struct hub_interact_reply *);

/* Worker kind "slack_respond" (max age 1800 s: a response_url lives 30
 * minutes and takes 5 posts); queued by this module only.  2xx with ok -> done; 429/5xx/timeouts ->
 * retry; 404 (expired/used url), other 4xx, a refused URL, invalid
 * payload -> failed. */
#define HUB_INTERACT_RESPOND_KIND	"slack_respond"
#define HUB_INTERACT_RESPOND_MAX_AGE_S	1800
void	hub_job_slack_respond(struct hub_job_env *, const struct hub_job *,
	    struct hub_job_result *);

#endif
