/*
 * interact.h - what Slack posts when people click or submit a modal:
 * POST /slack/interactions (form payload=<JSON>), after the signature gate
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
 * jobs (slack/respond.h): the handler never waits on Slack.
 * hub_remind from the Home tab also republishes the tab (home.h), which
 * shows when the request was last reminded.
 *
 * The slash command (/approvals) is slack/slashcmd.h; it shares the reply
 * and the team gate declared here.
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
void	hub_interact_reply_free(struct hub_interact_reply *);

/* The gate, shared with the slash command (slashcmd.h). */
struct hub_payload;
struct hub_modal_ref;
/* An error answer: status, static msg, field ("" when NULL). */
void	hub_interact_reply_error(struct hub_interact_reply *, int status, const char *msg,
	    const char *field);
/* The 503 (HUB_DB_CONN) or 500 answer to a database error; returns
 * nonzero (the person has been answered). */
int	hub_interact_db_reply(struct hub_interact_reply *, int rc);
/* Team gate: the payload's team must have a connection and be the team
 * the request (ref, may be NULL) went out through.  HUB_DB_OK with *msg
 * NULL, or set (static) when the person must be refused; else a database
 * error. */
int	hub_interact_team_check(struct hub_interact *, const struct hub_payload *,
	    const struct hub_modal_ref *, const char **msg);

#endif
