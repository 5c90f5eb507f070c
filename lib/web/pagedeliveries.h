/*
 * pagedeliveries.h - /admin/deliveries: failed and retrying deliveries
 * (Slack messages, webhook posts, emails, source callbacks) with the
 * error, its fix and a Retry button, and the job queue by kind and state
 * (notify/problems.h).  Admins only (HUB_ACCESS_ADMIN); Retry is a form
 * POST with the session's CSRF token, audited as "delivery.retried".
 */
#ifndef HUB_PAGEDELIVERIES_H
#define HUB_PAGEDELIVERIES_H

#include "web/fcgi.h"

int	hub_pagedeliveries_show(struct hub_req *, void *app);
/* POST /admin/deliveries/{id}/retry */
int	hub_pagedeliveries_retry(struct hub_req *, void *app);

#endif
