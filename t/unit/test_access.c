/*
 * test_access.c - the web side's role table (approval/access.h) and where
 * a browser may be sent after signing in (web/session.h), table-driven.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "approval/access.h"
#include "web/session.h"

static const char uid[] = "5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e";

static struct hub_access_user
user(enum hub_access_role role)
{
	struct hub_access_user u;

	memset(&u, 0, sizeof(u));
	memcpy(u.id, uid, sizeof(uid));
	memcpy(u.email, "pat@example.test", 17);
	u.role = role;
	return u;
}

Test(access, roles_parse_and_name)
{
	cr_assert_eq(hub_access_role("admin"), HUB_ROLE_ADMIN);
	cr_assert_eq(hub_access_role("viewer"), HUB_ROLE_VIEWER);
	cr_assert_eq(hub_access_role("requester"), HUB_ROLE_REQUESTER);
	cr_assert_eq(hub_access_role("Admin"), HUB_ROLE_NONE);
	cr_assert_eq(hub_access_role(""), HUB_ROLE_NONE);
	cr_assert_eq(hub_access_role(NULL), HUB_ROLE_NONE);
	cr_assert_str_eq(hub_access_role_name(HUB_ROLE_VIEWER), "viewer");
}

Test(access, table)
{
	static const struct hub_access_request mine = { uid, NULL, 0 };
	static const struct hub_access_request mine_by_email = { NULL, "PAT@example.test", 0 };
	static const struct hub_access_request theirs = { "00000000-0000-0000-0000-000000000000",
	    "someone@example.test", 0 };
	static const struct hub_access_request assigned = { "00000000-0000-0000-0000-000000000000",
	    "someone@example.test", 1 };
	static const struct {
		enum hub_access_role		 role;
		enum hub_access_action		 action;
		const struct hub_access_request	*req;
		int				 want;
	} cases[] = {
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_SIGNED_IN, NULL, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_ACCOUNT, NULL, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_CREATE, NULL, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_LIST_ALL, NULL, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_VIEW, &mine, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_VIEW, &mine_by_email, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_VIEW, &theirs, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_VIEW, NULL, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_CANCEL, &mine, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_CANCEL, &theirs, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_SLACK_INSTALL, NULL, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_ADMIN, NULL, 0 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_SIGNED_IN, NULL, 1 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_CREATE, NULL, 0 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_LIST_ALL, NULL, 1 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_VIEW, &theirs, 1 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_CANCEL, &theirs, 0 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_CANCEL, &mine, 0 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_SLACK_INSTALL, NULL, 0 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_REQUEST_CREATE, NULL, 1 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_REQUEST_CANCEL, &theirs, 1 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_SLACK_INSTALL, NULL, 1 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_ADMIN, NULL, 1 },
		/* An approver sees the request and, unless a viewer, decides it. */
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_VIEW, &assigned, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_DECIDE, &assigned, 1 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_DECIDE, &mine, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_CANCEL, &assigned, 0 },
		{ HUB_ROLE_REQUESTER, HUB_ACCESS_REQUEST_REASSIGN, &mine, 0 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_DECIDE, &assigned, 0 },
		{ HUB_ROLE_VIEWER, HUB_ACCESS_REQUEST_REASSIGN, &theirs, 0 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_REQUEST_DECIDE, &assigned, 1 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_REQUEST_DECIDE, &theirs, 0 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_REQUEST_REASSIGN, &theirs, 1 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS_REQUEST_REASSIGN, NULL, 0 },
		{ HUB_ROLE_NONE, HUB_ACCESS_REQUEST_VIEW, &assigned, 0 },
		{ HUB_ROLE_NONE, HUB_ACCESS_SIGNED_IN, NULL, 0 },
		{ HUB_ROLE_ADMIN, HUB_ACCESS__MAX, NULL, 0 },
	};
	struct hub_access_user u;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = user(cases[i].role);
		cr_expect_eq(hub_access_can(&u, cases[i].action, cases[i].req), cases[i].want,
		    "case %zu: role %d action %d", i, cases[i].role, cases[i].action);
	}
	cr_expect_eq(hub_access_can(NULL, HUB_ACCESS_SIGNED_IN, NULL), 0, "nobody signed in");
}

Test(access, next_path_stays_on_the_hub)
{
	static const struct {
		const char	*next;
		const char	*want;
	} cases[] = {
		{ "/account/password", "/account/password" },
		{ "/requests/1?x=%2F%2F#a", "/requests/1?x=%2F%2F#a" },
		{ "/", "/" },
		{ NULL, "/" },
		{ "", "/" },
		{ "//evil.example/", "/" },
		{ "/\\evil.example", "/" },
		{ "/a\\b", "/" },
		{ "https://evil.example/", "/" },
		{ "evil.example", "/" },
		{ " /a", "/" },
		{ "/a b", "/" },
		{ "/a\tb", "/" },
		{ "/caf\xc3\xa9", "/" },
		{ "/login", "/" },
		{ "/login?next=/x", "/" },
		{ "/logout", "/" },
		{ "/loginx", "/loginx" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(hub_session_next_path(cases[i].next), cases[i].want, "case %zu",
		    i);
}
