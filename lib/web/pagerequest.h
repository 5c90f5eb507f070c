/*
 * pagerequest.h - a request's own page, /requests/{id}, and the actions on
 * it (route handlers for cgi-bin/dashboard.c; page.h says what pages share).
 *
 *   GET  /requests/{id}            the page (approval/reqview.h,
 *                                  notify/reqhistory.h: fields, steps,
 *                                  delegations, timeline, Slack messages
 *                                  with previews, emails, callbacks)
 *   POST /requests/{id}/decide     decision=approve|reject, reason
 *   POST /requests/{id}/cancel     reason (optional)
 *   POST /requests/{id}/remind
 *   POST /requests/{id}/reassign   from (an assignment id), to (Slack id
 *                                  or email)
 *
 * Every POST needs the session's CSRF token and this hub's Origin, and
 * goes through approval/engine.h as the API and Slack do (actor kind
 * "user", via "web"), so every Slack copy, the requester and the source
 * hear about it.  Success: 303 back to the page with ?done=<what>.  A
 * refusal shows the page again with the message inline and its status
 * (400 reason required or bad input, 409 already decided or closed).
 * Who may do what: approval/access.h; a request the user may not see is
 * 404, an action their role may not do is 403.  The route table must list
 * /requests/new (the form) before /requests/{id}.
 */
#ifndef HUB_PAGEREQUEST_H
#define HUB_PAGEREQUEST_H

#include "web/fcgi.h"

int	hub_pagerequest_show(struct hub_req *, void *app);
int	hub_pagerequest_decide(struct hub_req *, void *app);
int	hub_pagerequest_cancel(struct hub_req *, void *app);
int	hub_pagerequest_remind(struct hub_req *, void *app);
int	hub_pagerequest_reassign(struct hub_req *, void *app);

#endif
