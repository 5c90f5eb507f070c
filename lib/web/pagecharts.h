/*
 * pagecharts.h - charts drawn on the server (base/svg.h) from the numbers
 * of approval/stats.h and notify/problems.h: requests per day by source
 * over 30 days, median time to decision by source, approval rate,
 * deliveries by outcome.
 *
 * /charts shows them all (inline, so screen readers get each chart's
 * title and desc); /charts/<name>.svg serves one as image/svg+xml for an
 * <img> elsewhere (the dashboard): daily, median, approval, deliveries,
 * each taking ?source=<name> (all but deliveries).  Viewers and admins
 * only (HUB_ACCESS_REQUEST_LIST_ALL): the charts count every request.
 */
#ifndef HUB_PAGECHARTS_H
#define HUB_PAGECHARTS_H

#include "web/fcgi.h"

int	hub_pagecharts_show(struct hub_req *, void *app);
/* /charts/{name}.svg */
int	hub_pagecharts_svg(struct hub_req *, void *app);

#endif
