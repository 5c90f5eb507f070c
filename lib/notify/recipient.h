/*
 * recipient.h - per-person delivery of the notify job.  A person's Slack
 * id (Slack ids as they are; emails through hub_slack_lookup_email, the
 * id stored in assignments.slack_user_id), their own message (a DM, or a
 * channel or webhook post naming them), and what happens when Slack
 * cannot reach them: settings "delivery.user_not_found" EMAIL (the email
 * form with a decision link), SKIP, or LOG_ONLY (a failed delivery_log
 * row); a dead token or a disabled connection -> email.  A send answered
 * user_not_found drops the cached lookup.
 */
#ifndef HUB_RECIPIENT_H
#define HUB_RECIPIENT_H

#include "notify/notifyjob.h"

/* How a person can be reached in Slack. */
enum hub_reach {
	HUB_REACH_SLACK = 0,	/* p->slack holds the id */
	HUB_REACH_NAME,		/* plain webhook: named in the text only */
	HUB_REACH_NOUSER,
	HUB_REACH_AUTH,
	HUB_REACH_RETRY,	/* recorded */
	HUB_REACH_FAIL,		/* recorded */
};

/* p's Slack id on the job's connection (p->slack set for HUB_REACH_SLACK). */
enum hub_reach	hub_recipient_resolve(struct hub_notify *, struct hub_person *p);
/* After resolve: p's own fallback when Slack cannot reach them.  1 when
 * handled here (nothing to post to them). */
int		hub_recipient_unreachable(struct hub_notify *, struct hub_person *p,
		    enum hub_reach);
/* Slack cannot reach p: why is HUB_UO_NOUSER (not in the workspace),
 * HUB_UO_AUTH (the connection is dead or disabled) or HUB_UO_NOCONN (no
 * connection at all). */
void		hub_recipient_fallback(struct hub_notify *, struct hub_person *p,
		    enum hub_uo why);
/* One message to p: their DM (where NULL), or a post naming them in
 * channel where (webhook: the connection's own channel). */
void		hub_recipient_send(struct hub_notify *, struct hub_person *p,
		    const char *where, int webhook);
/* An approver's decision link by email, as a webhook post cannot carry
 * it; no address known: a failed delivery_log row (no_email). */
void		hub_recipient_link(struct hub_notify *, struct hub_person *p);

#endif
