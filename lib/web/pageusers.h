/*
 * pageusers.h - /admin/users: the people who sign in to the dashboard,
 * for admins (adminpage.h).  Route handlers of cgi-bin/dashboard.c over
 * approval/admin.h (what `approvalhub user add` and /api/users use).
 *
 *   GET  /admin/users                      the list and the "add" form
 *   POST /admin/users                      add; the password is shown once
 *   POST /admin/users/<id>                 role=..., or disabled=1|0
 *   POST /admin/users/<id>/reset-password  a new password, shown once; the
 *                                          user's sessions end
 * An admin cannot change their own role or disable themselves (400).
 */
#ifndef HUB_PAGEUSERS_H
#define HUB_PAGEUSERS_H

#include "web/fcgi.h"

int	hub_pageusers_list(struct hub_req *, void *app);
int	hub_pageusers_create(struct hub_req *, void *app);
int	hub_pageusers_update(struct hub_req *, void *app);
int	hub_pageusers_reset(struct hub_req *, void *app);

#endif
