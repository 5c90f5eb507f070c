/*
 * pagesettings.h - /admin/settings: every global setting of the hub
 * (store/settings.h's table: key, meaning, type, allowed values, default)
 * with its current value, one form each, for admins (adminpage.h).
 *
 *   GET  /admin/settings   the table
 *   POST /admin/settings   key=..., value=... sets it; key=..., reset=1
 *                          returns it to its default.  Validated by
 *                          settings.h (400 with the message by the
 *                          setting, the typed value kept); audited
 *                          (approval/adminlog.h) in the same transaction.
 * The programs read settings from the database as they need them: a
 * change counts from the next request or job, no restart.
 */
#ifndef HUB_PAGESETTINGS_H
#define HUB_PAGESETTINGS_H

#include "web/fcgi.h"

int	hub_pagesettings_show(struct hub_req *, void *app);
int	hub_pagesettings_post(struct hub_req *, void *app);

#endif
