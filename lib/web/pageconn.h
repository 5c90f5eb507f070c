/*
 * pageconn.h - the Slack connections admin pages (/admin/connections...),
 * admins only (HUB_ACCESS_ADMIN).  Route handlers (web/fcgi.h) of
 * cgi-bin/dashboard.c; each passes hub_page_need() first, and every POST
 * hub_page_form() (same origin) and the session's CSRF token.
 *
 *   GET  /admin/connections                  the list, the add forms
 *   POST /admin/connections                  add a webhook or a bot token
 *   POST /admin/connections/<id>/test        queue a test message
 *   GET  /admin/connections/<id>/test/<job>  the test and Slack's answer
 *   POST /admin/connections/<id>/channel     check a channel (action=check),
 *                                            or check and save it (save)
 *   POST /admin/connections/<id>/default     make it the default
 *   POST /admin/connections/<id>/disable     (reason optional)
 *   POST /admin/connections/<id>/enable
 *   POST /admin/connections/<id>/acknowledge the banner (back to next)
 *   POST /admin/connections/<id>/disconnect  auth.revoke, then delete
 *                                            (force=1: even when Slack
 *                                            does not revoke)
 *
 * The work is slack/connadmin.h's, which audits every change as the
 * signed-in admin (via "web").  A change answers 303 back to the list with
 * ?done=<what>&c=<id>, so a reload does not post again; a refusal renders
 * the list with the reason and Slack's fix inline (400, 409, 503).
 */
#ifndef HUB_PAGECONN_H
#define HUB_PAGECONN_H

#include "web/fcgi.h"

int	hub_pageconn_list(struct hub_req *, void *app);
int	hub_pageconn_add(struct hub_req *, void *app);
int	hub_pageconn_test(struct hub_req *, void *app);
int	hub_pageconn_test_show(struct hub_req *, void *app);
int	hub_pageconn_channel(struct hub_req *, void *app);
int	hub_pageconn_default(struct hub_req *, void *app);
int	hub_pageconn_disable(struct hub_req *, void *app);
int	hub_pageconn_enable(struct hub_req *, void *app);
int	hub_pageconn_acknowledge(struct hub_req *, void *app);
int	hub_pageconn_disconnect(struct hub_req *, void *app);

#endif
