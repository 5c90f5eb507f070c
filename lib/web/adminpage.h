/*
 * adminpage.h - what the admin pages for sources, users, groups,
 * settings and the audit log share (pagesources, pageusers, pagegroups,
 * pagesettings, pageaudit): the admin-only guard, the audit actor of the
 * signed-in admin, the page context with the admin menu, the page that
 * shows a new secret once, one form post from guard to redirect
 * (hub_adminpage_begin/_after/_end), and the answer to a lib module's
 * refusal that is not a form's inline error.
 *
 * Every page here is HUB_ACCESS_ADMIN (403 for other roles, 303 to
 * /login without a session); every POST is a same-origin form with the
 * session's CSRF token (web/page.h).  Nothing here changes anything.
 */
#ifndef HUB_ADMINPAGE_H
#define HUB_ADMINPAGE_H

#include <json-c/json.h>

#include "approval/engine.h"
#include "base/check.h"
#include "base/form.h"
#include "web/app.h"
#include "web/fcgi.h"
#include "web/session.h"

/* The pages of the admin menu (admin-nav.html marks the current one). */
enum hub_adminpage_section {
	HUB_ADMINPAGE_SOURCES,
	HUB_ADMINPAGE_USERS,
	HUB_ADMINPAGE_GROUPS,
	HUB_ADMINPAGE_SETTINGS,
	HUB_ADMINPAGE_AUDIT,
	HUB_ADMINPAGE__MAX
};

/* GET: 0 when an admin is signed in (s filled), else answered. */
int	hub_adminpage_get(struct hub_app_ctx *, struct hub_req *, struct hub_session *s);
/* GET of a page a change redirects back to with flag in its query: as
 * hub_adminpage_get, and *notice = "Saved." when flag is there. */
int	hub_adminpage_get_saved(struct hub_app_ctx *, struct hub_req *, const char *flag,
	    struct hub_session *s, const char **notice);
/* POST: the admin guard, the form (at most pairs fields) and its CSRF
 * token; 0, or answered (form freed). */
int	hub_adminpage_post(struct hub_app_ctx *, struct hub_req *, size_t pairs,
	    struct hub_session *s, struct hub_form *form);
/* One admin form post as its handler holds it: the signed-in admin, the
 * form, the audit actor, the lib module's refusal (zeroed), and the JSON
 * going in and coming out (NULL until the handler sets them). */
struct hub_adminpage_action {
	struct hub_session	 s;
	struct hub_form		 form;
	struct hub_actor	 actor;
	struct hub_problem	 p;
	json_object		*in;
	json_object		*out;
};
/* hub_adminpage_post, then the actor; 0, or answered (nothing to end). */
int	hub_adminpage_begin(struct hub_app_ctx *, struct hub_req *, size_t pairs,
	    struct hub_adminpage_action *);
/* Free the form, in and out. */
void	hub_adminpage_end(struct hub_adminpage_action *);
/* The answer to a change: 303 to path when done, else
 * hub_adminpage_refused(status, p, notfound). */
int	hub_adminpage_after(struct hub_app_ctx *, struct hub_req *, int done, const char *path,
	    int status, const struct hub_problem *, const char *notfound);
/* Who acts, for the audit log: the signed-in user (kind "user", id, their
 * email or else name as display, via "web").  Borrows from s. */
void	hub_adminpage_actor(const struct hub_session *s, struct hub_actor *a);
/* A page context: title, the signed-in user (page.h) and the admin menu
 * with section current.  NULL when out of memory. */
json_object *hub_adminpage_ctx(const struct hub_session *s, const char *title,
	    enum hub_adminpage_section section);
/* A secret shown this once (admin-secret.html): heading, what it is,
 * the secret itself, where to go next (back, a path of this hub, and its
 * link text).  The response is never cached (fcgi.c sends no-store). */
int	hub_adminpage_secret(struct hub_app_ctx *, struct hub_req *, const struct hub_session *s,
	    enum hub_adminpage_section, const char *heading, const char *what,
	    const char *secret, const char *back, const char *back_text);
/* A refusal that is not a field of the form: 404 page with notfound, the
 * problem's message as a 400/409 page, 503 when the database is down,
 * else 500.  status: the module's code mapped by the caller (404, 400,
 * 409) or 0 for a database or other failure. */
int	hub_adminpage_refused(struct hub_app_ctx *, struct hub_req *, int status,
	    const struct hub_problem *, const char *notfound);
/* Set ctx.errors.<field> = message (the inline error of one field), and
 * ctx.error when field is NULL or not one of known (NULL-terminated). */
void	hub_adminpage_field_error(json_object *ctx, const struct hub_problem *,
	    const char *const *known);

/* A typed list (names or people separated by commas or line breaks) as a
 * JSON array of strings: trimmed, empties dropped, each cut at 320 bytes.
 * s may be NULL ([]).  NULL when out of memory. */
json_object *hub_adminpage_list(const char *s);

#endif
