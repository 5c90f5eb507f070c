/*
 * access.c - the role table of the web side.  See access.h.
 */
#include <string.h>
#include <strings.h>

#include "base/common.h"
#include "approval/access.h"

/* Which roles may do an action on anything; OWN: also a requester on a
 * request of their own; ASG(roles): those roles on a request they are an
 * approver (or delegate) of. */
#define R(role)	(1u << (role))
#define OWN	(1u << 8)
#define ASG(roles)	((roles) << 12)
#define ANY_ROLE	(R(HUB_ROLE_REQUESTER) | R(HUB_ROLE_VIEWER) | R(HUB_ROLE_ADMIN))

static const unsigned rules[HUB_ACCESS__MAX] = {
	[HUB_ACCESS_SIGNED_IN]		= R(HUB_ROLE_REQUESTER) | R(HUB_ROLE_VIEWER) |
					  R(HUB_ROLE_ADMIN),
	[HUB_ACCESS_ACCOUNT]		= R(HUB_ROLE_REQUESTER) | R(HUB_ROLE_VIEWER) |
					  R(HUB_ROLE_ADMIN),
	[HUB_ACCESS_REQUEST_CREATE]	= R(HUB_ROLE_REQUESTER) | R(HUB_ROLE_ADMIN),
	[HUB_ACCESS_REQUEST_LIST_ALL]	= R(HUB_ROLE_VIEWER) | R(HUB_ROLE_ADMIN),
	[HUB_ACCESS_REQUEST_VIEW]	= R(HUB_ROLE_VIEWER) | R(HUB_ROLE_ADMIN) | OWN |
					  ASG(ANY_ROLE),
	[HUB_ACCESS_REQUEST_CANCEL]	= R(HUB_ROLE_ADMIN) | OWN,
	[HUB_ACCESS_REQUEST_REASSIGN]	= R(HUB_ROLE_ADMIN),
	[HUB_ACCESS_REQUEST_DECIDE]	= ASG(R(HUB_ROLE_REQUESTER) | R(HUB_ROLE_ADMIN)),
	[HUB_ACCESS_SLACK_INSTALL]	= R(HUB_ROLE_ADMIN),
	[HUB_ACCESS_ADMIN]		= R(HUB_ROLE_ADMIN),
};

/* Actions that are about one request. */
static const unsigned char per_request[HUB_ACCESS__MAX] = {
	[HUB_ACCESS_REQUEST_VIEW] = 1,
	[HUB_ACCESS_REQUEST_CANCEL] = 1,
	[HUB_ACCESS_REQUEST_REASSIGN] = 1,
	[HUB_ACCESS_REQUEST_DECIDE] = 1,
};

static const char *const role_names[] = {
	[HUB_ROLE_NONE] = "",
	[HUB_ROLE_REQUESTER] = "requester",
	[HUB_ROLE_VIEWER] = "viewer",
	[HUB_ROLE_ADMIN] = "admin",
};

enum hub_access_role
hub_access_role(const char *text)
{
	size_t i;

	for (i = 1; text != NULL && i < HUB_NELEM(role_names); i++)
		if (strcmp(text, role_names[i]) == 0)
			return (enum hub_access_role)i;
	return HUB_ROLE_NONE;
}

const char *
hub_access_role_name(enum hub_access_role r)
{
	return (size_t)r < HUB_NELEM(role_names) ? role_names[r] : "";
}

static int
is_own(const struct hub_access_user *u, const struct hub_access_request *req)
{
	if (req->requester_user_id != NULL && req->requester_user_id[0] != '\0' &&
	    strcmp(req->requester_user_id, u->id) == 0)
		return 1;
	return req->requester_email != NULL && req->requester_email[0] != '\0' &&
	    u->email[0] != '\0' && strcasecmp(req->requester_email, u->email) == 0;
}

int
hub_access_can(const struct hub_access_user *user, enum hub_access_action action,
    const struct hub_access_request *req)
{
	unsigned rule;

	if (user == NULL || user->role == HUB_ROLE_NONE || (int)action < 0 ||
	    action >= HUB_ACCESS__MAX)
		return 0;
	if (per_request[action] && req == NULL)
		return 0;
	rule = rules[action];
	if (rule & R(user->role))
		return 1;
	if ((rule & ASG(R(user->role))) && req != NULL && req->assignee)
		return 1;
	return (rule & OWN) && user->role == HUB_ROLE_REQUESTER && is_own(user, req);
}
