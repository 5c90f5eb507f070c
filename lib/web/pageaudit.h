/*
 * pageaudit.h - /admin/audit: the audit log for admins (adminpage.h):
 * every decision and transition of requests and every admin action (who,
 * what, when, from where), newest first, filtered by actor, action,
 * request and a range of dates, a page at a time (approval/adminlog.h).
 *
 *   GET /admin/audit?actor=&action=&request=&from=&to=&cursor=
 * A filter that is not valid is shown by its field (400).
 */
#ifndef HUB_PAGEAUDIT_H
#define HUB_PAGEAUDIT_H

#include "web/fcgi.h"

int	hub_pageaudit_show(struct hub_req *, void *app);

#endif
