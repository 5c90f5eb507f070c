/*
 * slackpost.h - one Slack message of the notify job, exactly once
 * (incoming webhooks and thread replies: at least once).  The intent is
 * committed before the post (outbox.h); the post carries metadata
 * {"event_type":"hub_delivery","event_payload":{"key"}}, so a run that
 * finds its own intent without a ts asks conversations.history (from 60 s
 * before the intent) for a message with that key and adopts it instead of
 * posting again.  Owns the sorting of Slack's answers into outcomes
 * (deliver.h, "Verdicts").
 */
#ifndef HUB_SLACKPOST_H
#define HUB_SLACKPOST_H

#include <json-c/json.h>

#include "notify/notifyjob.h"
#include "notify/outbox.h"

/* Set a string argument of a Web API call; NULL v: left out. */
void		hub_slackpost_arg(json_object *args, const char *k, const char *v);
/* The outcome an intent that ended in failure already stands for. */
enum hub_uo	hub_slackpost_replay(struct hub_notify *, const struct hub_intent *);
/* Send po once (po->ts and po->channel set when it went out). */
enum hub_uo	hub_slackpost_send(struct hub_notify *, struct hub_post *po);

#endif
