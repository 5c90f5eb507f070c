/*
 * pagesources.h - /admin/sources: the source systems, their API keys and
 * their defaults, for admins (adminpage.h).  Route handlers of
 * cgi-bin/dashboard.c over approval/sourceadmin.h, the functions the admin
 * API's /api/sources uses, so the page and the API validate alike (the
 * callback URL's SSRF rules and their messages included).
 *
 *   GET  /admin/sources                  the list and the "new source" form
 *   POST /admin/sources                  create; the API key is shown once
 *   GET  /admin/sources/<id>             the source's settings form
 *   POST /admin/sources/<id>             save them (inline errors, 400)
 *   POST /admin/sources/<id>/rotate-key  a new key, shown once; the old
 *                                        ones stop working
 */
#ifndef HUB_PAGESOURCES_H
#define HUB_PAGESOURCES_H

#include "web/fcgi.h"

int	hub_pagesources_list(struct hub_req *, void *app);
int	hub_pagesources_create(struct hub_req *, void *app);
int	hub_pagesources_show(struct hub_req *, void *app);
int	hub_pagesources_update(struct hub_req *, void *app);
int	hub_pagesources_rotate(struct hub_req *, void *app);

#endif
