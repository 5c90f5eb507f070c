/*
 * pageslack.h - Add to Slack: the OAuth v2 install, admins only.
 * Route handlers (web/fcgi.h) of cgi-bin/dashboard.c; every one passes
 * hub_page_need() (web/page.h) before it shows or changes anything.
 */
#ifndef HUB_PAGESLACK_H
#define HUB_PAGESLACK_H

#include "web/fcgi.h"

int	hub_pageslack_install(struct hub_req *, void *app);
int	hub_pageslack_callback(struct hub_req *, void *app);
int	hub_pageslack_status(struct hub_req *, void *app);

#endif
