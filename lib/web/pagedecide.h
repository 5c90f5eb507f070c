/*
 * pagedecide.h - the decision page behind emailed links, /decide/<token>.
 * Route handlers (web/fcgi.h) of cgi-bin/dashboard.c.  The signed link
 * (approval/decidelink.h) is the authority here, not a session: it names
 * one assignment, and only that approver's decision can be posted.
 */
#ifndef HUB_PAGEDECIDE_H
#define HUB_PAGEDECIDE_H

#include "web/fcgi.h"

int	hub_pagedecide_show(struct hub_req *, void *app);
int	hub_pagedecide_post(struct hub_req *, void *app);

#endif
