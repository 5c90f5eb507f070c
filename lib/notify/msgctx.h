/*
 * msgctx.h - the render context of one message of the notify job
 * (notifyjob.h's ctx, what slack/render.h reads): whom the message speaks
 * to, the mode (app or webhook), the mentions, the approvers a webhook post
 * names, and the decision link, which only a message read by its approver
 * alone may carry (email).  Owns the "assignment", "audience", "mode",
 * "mentions", "approvers" and "links.decide" keys of that context; the
 * request-wide keys are deliver.c's and routing.c's.
 */
#ifndef HUB_MSGCTX_H
#define HUB_MSGCTX_H

#include <json-c/json.h>

#include "slack/render.h"
#include "notify/notifyjob.h"

/* The context for one message: who it is for (p; NULL: shared), the name
 * shown for a shared message (display), mentions and approvers (both
 * borrowed, NULL: none), with_decide: the decision link when the kind
 * asks to decide.  0, or -1 out of memory (nothing noted). */
int		 hub_msgctx_set(struct hub_notify *, const struct hub_person *p,
		    const char *display, int webhook, json_object *mentions,
		    json_object *approvers, int with_decide);
/* {"slack_user_ids": [], "names": []}: whom a webhook post asking to
 * decide names (render.h "approvers"); NULL when out of memory. */
json_object	*hub_msgctx_approvers_new(void);
/* p in that list: a mention when Slack knows them, else their name. */
void		 hub_msgctx_approvers_add(json_object *, const struct hub_person *p,
		    int in_slack);
/* Render kind k from the context into out (the caller frees it with
 * hub_render_out_free); -1 with the retry or failure noted. */
int		 hub_msgctx_render(struct hub_notify *, enum hub_render_kind k,
		    struct hub_render_out *out);

#endif
