/*
 * fanout.h - one notify job turned into per-person work.  Assignment
 * kinds reach that approver in the resolved mode (dm, group_dm, channel,
 * both; webhook connections: their channel, plus the decision link by
 * email); request kinds reach decision -> the requester, watcher -> each
 * watcher, deadline_expired -> the requester and the step's undecided
 * approvers.  Before an approver is first told, the requester's Slack id
 * is looked up (engine.h, self-approval); after a decision the step's
 * approvers' Home tabs are republished (SLACK_APP connections).
 */
#ifndef HUB_FANOUT_H
#define HUB_FANOUT_H

#include <libpq-fe.h>

#include "notify/notifyjob.h"

/* The job's own approver (an assignment kind). */
void	hub_fanout_approver(struct hub_notify *, struct hub_person *me);
/* A request-level notification; req is routing's request row. */
void	hub_fanout_request(struct hub_notify *, PGresult *req);

#endif
