/*
 * pageadmhome.h - the admin landing page (/admin): an index of the admin
 * pages (Slack connections, sources, users, groups, settings, delivery
 * problems, audit).  Admins only (HUB_ACCESS_ADMIN).  A route handler
 * (web/fcgi.h) of cgi-bin/dashboard.c.
 */
#ifndef HUB_PAGEADMHOME_H
#define HUB_PAGEADMHOME_H

#include "web/fcgi.h"

int	hub_pageadmhome_show(struct hub_req *, void *app);

#endif
