/*
 * groupdm.h - the group_dm delivery mode: the undecided approvers of the
 * step (of their hub group when they came from one, by request.created's
 * audit detail), 2..8 of them reachable in Slack, share one
 * conversations.open mpim message (stepmsg.h).  Fewer: each their own DM;
 * more: the step's channel when one is set, else DMs.
 */
#ifndef HUB_GROUPDM_H
#define HUB_GROUPDM_H

#include "notify/notifyjob.h"

void	hub_groupdm_send(struct hub_notify *, struct hub_person *me);

#endif
