/*
 * pagereqform.h - the web request form, /requests/new (and the seed's
 * address /create-request, which leads there).
 *
 * GET shows the form (?type=workday preselects a type, &sample=1 fills it
 * with sample data); POST creates the request through approval/webintake
 * (the API's intake and engine, the signed-in user as the requester) and
 * answers 303 to /requests/{id}.  A form with problems comes back with
 * status 400, every value as typed and each message next to its field;
 * nothing is written.  The form's hidden token makes a second POST of the
 * same form (a reload, a double click) lead to the request the first one
 * made.  Requesters and admins only (HUB_ACCESS_REQUEST_CREATE).
 *
 * No JavaScript: the type's own fields are shown by CSS (:has) and the
 * sample data comes from the server.
 */
#ifndef HUB_PAGEREQFORM_H
#define HUB_PAGEREQFORM_H

#include "web/fcgi.h"

int	hub_pagereqform_show(struct hub_req *, void *app);
int	hub_pagereqform_post(struct hub_req *, void *app);
/* /create-request: 301 to /requests/new. */
int	hub_pagereqform_legacy(struct hub_req *, void *app);

#endif
