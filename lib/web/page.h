/*
 * page.h - what every HTML page of the dashboard program shares.
 *
 * A page handler is a route handler (web/fcgi.h) living in a page module
 * of lib/web (pageauth, pagedecide, pageslack, ...); cgi-bin/dashboard.c is
 * only the route table.  The shape of a handler:
 *
 *   struct hub_session s;
 *   if (hub_page_need(app, req, HUB_ACCESS_..., &s) != 0)
 *           return 0;                      (answered: 303 to /login, 403, 503)
 *   POST: if (hub_page_form(app, req, PAIRS, &form) != 0 ||
 *             hub_page_csrf_refused(app, req, &s, &form)) ... answered
 *   ... build a json context, hub_page_user(ctx, &s), then
 *   return hub_page_send(app, req, 200, "name.html", ctx);
 *
 * Pages come from templates/ (base/tmpl.h: escaping by default) inside
 * layout.html.  No state changes on GET.
 */
#ifndef HUB_PAGE_H
#define HUB_PAGE_H

#include <stddef.h>

#include <json-c/json.h>

#include "approval/access.h"
#include "base/form.h"
#include "web/app.h"
#include "web/fcgi.h"
#include "web/session.h"

/* Render body template name inside the layout and send it with status;
 * 0, or 500 when the template failed (nothing sent). */
int	hub_page_send(struct hub_app_ctx *, struct hub_req *, int status, const char *name,
	    json_object *ctx);
/* error.html inside the layout: status, its reason phrase, message. */
int	hub_page_error(struct hub_app_ctx *, struct hub_req *, int status, const char *message);
/* status (303...) to path ("/..."), a path of this hub (PUBLIC_URL + path). */
int	hub_page_redirect(struct hub_app_ctx *, struct hub_req *, int status, const char *path);
/* The request's session: HUB_SESSION_OK (s filled), _NONE, or _DB.  With
 * the setting auth.trust_remote_user on, nginx's REMOTE_USER signs in. */
int	hub_page_session(struct hub_app_ctx *, struct hub_req *, struct hub_session *s);
/* The signed-in person for the layout: user {name, email, role}, csrf,
 * and nav {requests, create, admin} (what the menu offers this role). */
void	hub_page_user(json_object *ctx, const struct hub_session *s);
/* The guard every page and action passes: 0 when the signed-in user may
 * do action (s filled), else answered (303 to /login?next=<this page>
 * without a session, 403 page for a role that may not, 503). */
int	hub_page_need(struct hub_app_ctx *, struct hub_req *, enum hub_access_action,
	    struct hub_session *s);
/* A browser form's POST: same origin, urlencoded, at most pairs fields,
 * parsed into form.  0, or answered (415, 403, 400). */
int	hub_page_form(struct hub_app_ctx *, struct hub_req *, size_t pairs,
	    struct hub_form *form);
/* 0 when the form carries the session's CSRF token, else the 403 page
 * was sent (-1). */
int	hub_page_csrf_refused(struct hub_app_ctx *, struct hub_req *,
	    const struct hub_session *s, const struct hub_form *form);
/* A reason typed in a form (a decision's, a cancellation's): NULL when
 * fine, else the inline message.  Valid UTF-8, at most
 * HUB_PAGE_REASON_MAX_CHARS characters, no control characters but tab and
 * line breaks. */
#define HUB_PAGE_REASON_MAX_CHARS 2000
const char	*hub_page_reason_problem(const char *s);

#endif
