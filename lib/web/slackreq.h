/*
 * slackreq.h - the gate every request from Slack passes first: read the
 * body (capped), then check Slack's signature over the raw bytes before
 * anything in it is looked at.  On refusal it answers the request itself
 * (503 when no signing secret is configured, 401 for a bad or stale
 * signature, 411/413/400 for the body) and returns non-zero; nothing is
 * written anywhere.
 */
#ifndef HUB_SLACKREQ_H
#define HUB_SLACKREQ_H

#include <stddef.h>
#include "web/app.h"

int	hub_slackreq_accept(struct hub_app_ctx *, struct hub_req *, size_t body_max,
	    const char *media_type);

#endif
