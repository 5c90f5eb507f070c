/*
 * access.h - who may do what on the web side: the one place every
 * dashboard page and action asks, next to the API's source scoping
 * (apiauth.h).
 *
 * Roles (users.role, `approvalhub user add --role`):
 *   requester  creates requests and sees their own;
 *   viewer     sees every request, read only;
 *   admin      everything (Slack install, settings, every request).
 * A request is "their own" when its requester_user_id is the user, or,
 * for requests a source system sent on their behalf, its requester_email
 * is the user's email.  Anyone may see a request they are an approver (or
 * a delegate) of, and a requester or admin may decide it there; a viewer
 * stays read only everywhere (their emailed decision link still works).
 *
 * Pure: no database, no allocation, no logging.  A NULL user (nobody
 * signed in) may do nothing.
 */
#ifndef HUB_ACCESS_H
#define HUB_ACCESS_H

#define HUB_ACCESS_ID_LEN	37	/* uuid + NUL */
#define HUB_ACCESS_NAME_LEN	201
#define HUB_ACCESS_EMAIL_LEN	321

enum hub_access_role {
	HUB_ROLE_NONE = 0,	/* unknown role text: may do nothing */
	HUB_ROLE_REQUESTER,
	HUB_ROLE_VIEWER,
	HUB_ROLE_ADMIN,
};

/* A signed-in person. */
struct hub_access_user {
	char			id[HUB_ACCESS_ID_LEN];
	char			name[HUB_ACCESS_NAME_LEN];
	char			email[HUB_ACCESS_EMAIL_LEN];
	enum hub_access_role	role;
};

enum hub_access_action {
	HUB_ACCESS_SIGNED_IN,		/* any page that only needs a session */
	HUB_ACCESS_ACCOUNT,		/* change one's own password */
	HUB_ACCESS_REQUEST_CREATE,	/* the web request form */
	HUB_ACCESS_REQUEST_LIST_ALL,	/* every request, not only one's own */
	HUB_ACCESS_REQUEST_VIEW,	/* one request (req needed) */
	HUB_ACCESS_REQUEST_CANCEL,	/* cancel, remind (req needed) */
	HUB_ACCESS_REQUEST_REASSIGN,	/* replace an approver (req needed) */
	HUB_ACCESS_REQUEST_DECIDE,	/* approve / reject as its assignee (req needed) */
	HUB_ACCESS_SLACK_INSTALL,	/* connect a Slack workspace */
	HUB_ACCESS_ADMIN,		/* the admin pages */
	HUB_ACCESS__MAX
};

/* What an action on one request needs to know of it. */
struct hub_access_request {
	const char	*requester_user_id;	/* NULL or "" when none */
	const char	*requester_email;	/* NULL or "" when none */
	int		 assignee;	/* the user is one of its approvers or their
					   delegates (approval/reqview.h finds out) */
};

/* "admin" -> HUB_ROLE_ADMIN ...; anything else HUB_ROLE_NONE. */
enum hub_access_role hub_access_role(const char *text);
const char *hub_access_role_name(enum hub_access_role);
/* 1 when user may do action (on req, for the per-request actions; a
 * per-request action without req is refused). */
int	hub_access_can(const struct hub_access_user *user, enum hub_access_action action,
	    const struct hub_access_request *req);

#endif
