/*
 * reqview.h - one request as its page on the dashboard shows it
 * (/requests/{id}): the request, its fields formatted per preset, its
 * steps and assignments with who decided, when and with what comment, the
 * delegations in force for its approvers, and the timeline from the audit
 * log; plus what the page needs to know of the signed-in user (are they
 * an approver of it, may they decide it now).  The Slack messages, emails
 * and callbacks are notify/reqhistory.h's.  Nothing here writes.
 *
 * The model (view, a json object the caller frees with hub_reqview_free):
 *   id, title ("Approval request" when none), source, preset (stored with
 *   the request, "" when none; fields[] use intake.h's
 *   hub_intake_preset_of), external_id, status,
 *   outcome_class ("status-Approved" ...), requester, requester_email,
 *   justification, fields[] {label, value, url?} (metadisplay.h), created,
 *   updated, deadline, decided_by, decided_at, decision_comment,
 *   valid_until, step (the current one), steps (how many), multi_step,
 *   step_list[] {position, rule_text, status, active, started, decided,
 *     assignments[] {id, kind, value, slack_user_id, status, status_class,
 *     decided_by, decided_at, comment, delegate_for, mine, pending}},
 *   delegations[] {approver, delegate, from, to},
 *   timeline[] {at, actor, action, what, via, note},
 *   reassignable[] {id, label} (pending approvers of the active step),
 *   ai (ai.h HUB_AI_JSON), risk_flags[], risk {flags[] (the engine's
 *   words for them), analysed (ai holds the answer), words ("AI analysis
 *   pending" / failed / off when not analysed)}.
 * Times read "2026-01-02 03:04 UTC" (the timeline's with seconds).
 */
#ifndef HUB_REQVIEW_H
#define HUB_REQVIEW_H

#include <stdint.h>

#include <json-c/json.h>

#include "approval/access.h"
#include "store/db.h"

enum hub_reqview_err {
	HUB_REQVIEW_OK = 0,
	HUB_REQVIEW_NOTFOUND,	/* no such request (a malformed id too) */
	HUB_REQVIEW_DB,		/* *dbrc says which (HUB_DB_CONN: unreachable) */
	HUB_REQVIEW_NOMEM,
};

#define HUB_REQVIEW_TIMELINE_MAX	500	/* audit rows shown, oldest first */

struct hub_reqview {
	json_object			*view;
	/* For approval/access.h; the strings belong to view. */
	struct hub_access_request	 access;
	int				 pending;	/* the request is Pending */
	int				 can_decide;	/* the user has a pending assignment
							   of the active step */
};

/* Load request id for hub user user_id (NULL: nobody's assignments are
 * "mine").  On OK rv is filled; free it with hub_reqview_free. */
int	hub_reqview_load(struct hub_db *, const char *id, const char *user_id,
	    struct hub_reqview *rv, int *dbrc);
void	hub_reqview_free(struct hub_reqview *);
/* The (kind, value) of reassignable assignment id of a loaded view: 0, or
 * -1 when it is not one of view's reassignable[]. */
int	hub_reqview_reassignable(const struct hub_reqview *, int64_t id, const char **kind,
	    const char **value);

#endif
