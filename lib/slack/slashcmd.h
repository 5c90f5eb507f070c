/*
 * slashcmd.h - POST /slack/commands (form fields, after the signature
 * gate, slackreq.h).  The FastCGI program only reads the form and writes
 * out the reply decided here (struct hub_interact_reply, interact.h).
 *
 * The form's fields are checked against Slack's names and limits first (a
 * missing command, user_id or team_id, a field too long, an id that is
 * not a Slack id: 400 naming the field), then the team gate of interact.h
 * ("This workspace is not connected" as an ephemeral text).
 *
 * /approvals [words]: the caller's pending approvals (up to 10, newest
 * first, full-text filtered by words) as an ephemeral Block Kit reply with
 * Approve / Reject buttons; more than 10 adds a dashboard link.  Any other
 * command: "Unknown command".  Nothing is written.
 */
#ifndef HUB_SLASHCMD_H
#define HUB_SLASHCMD_H

#include "base/form.h"
#include "slack/interact.h"

/* A slash command's form.  Always fills reply; returns reply->status. */
int	hub_slashcmd_run(struct hub_interact *, const struct hub_form *,
	    struct hub_interact_reply *);

#endif
