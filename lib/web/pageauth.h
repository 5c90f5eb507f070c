/*
 * pageauth.h - signing in and out, one's own account, the landing page.
 * Route handlers (web/fcgi.h) of cgi-bin/dashboard.c; every one passes
 * hub_page_need() (web/page.h) before it shows or changes anything.
 */
#ifndef HUB_PAGEAUTH_H
#define HUB_PAGEAUTH_H

#include "web/fcgi.h"

int	hub_pageauth_login_show(struct hub_req *, void *app);
int	hub_pageauth_login_post(struct hub_req *, void *app);
int	hub_pageauth_logout(struct hub_req *, void *app);
int	hub_pageauth_password_show(struct hub_req *, void *app);
int	hub_pageauth_password_post(struct hub_req *, void *app);
int	hub_pageauth_home(struct hub_req *, void *app);

#endif
