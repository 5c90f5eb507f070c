/*
 * dashboard - the HTML side of the hub: a route table over the page
 * modules of lib/web (page.h says what they share).  The landing page,
 * signing in and out, the account page (pageauth), the decision page
 * behind emailed links (pagedecide), the Slack OAuth install (pageslack),
 * the admin index (pageadmhome), the Slack connections pages (pageconn),
 * the request form (pagereqform), a request's own page and its actions
 * (pagerequest).
 * the status dashboard (pagerequests).
 * Who may see or do what is decided by approval/access.h, for every page
 * and action (hub_page_need).  Delivery problems (pagedeliveries), the
 * CSV/JSON exports (pageexport) and the charts (pagecharts).  The admin
 * pages of sources, users, groups and delegations, settings and the audit
 * log (pagesources, pageusers, pagegroups, pagesettings, pageaudit) are
 * admin-only.
 */
#include "web/app.h"
#include "approval/account.h"
#include "base/log.h"
#include "base/tmpl.h"
#include "web/fcgi.h"
#include "web/pageadmhome.h"
#include "web/pageauth.h"
#include "web/pageconn.h"
#include "web/pagecharts.h"
#include "web/pagedeliveries.h"
#include "web/pageexport.h"
#include "web/pagedecide.h"
#include "web/pagereqform.h"
#include "web/pagerequest.h"
#include "web/pagerequests.h"
#include "web/pageslack.h"
#include "web/pagesources.h"
#include "web/pageusers.h"
#include "web/pagegroups.h"
#include "web/pagesettings.h"
#include "web/pageaudit.h"

#define GET_HEAD (HUB_ROUTE_M(HUB_M_GET) | HUB_ROUTE_M(HUB_M_HEAD))
#define POST HUB_ROUTE_M(HUB_M_POST)

static const struct hub_route routes[] = {
	{ GET_HEAD, "/", hub_pageauth_home },
	{ GET_HEAD, "/requests", hub_pagerequests_list },
	{ GET_HEAD, "/login", hub_pageauth_login_show },
	{ POST, "/login", hub_pageauth_login_post },
	{ POST, "/logout", hub_pageauth_logout },
	{ GET_HEAD, "/account/password", hub_pageauth_password_show },
	{ POST, "/account/password", hub_pageauth_password_post },
	/* Before any request-page route (requests/ID): "new" is no id. */
	{ GET_HEAD, "/requests/new", hub_pagereqform_show },
	{ POST, "/requests/new", hub_pagereqform_post },
	{ GET_HEAD, "/create-request", hub_pagereqform_legacy },
	{ GET_HEAD, "/decide/*", hub_pagedecide_show },
	{ POST, "/decide/*", hub_pagedecide_post },
	{ GET_HEAD, "/slack/install", hub_pageslack_install },
	{ GET_HEAD, "/slack/oauth/callback", hub_pageslack_callback },
	{ GET_HEAD, "/slack/oauth/status/*", hub_pageslack_status },
	{ GET_HEAD, "/admin", hub_pageadmhome_show },
	{ GET_HEAD, "/admin/connections", hub_pageconn_list },
	{ POST, "/admin/connections", hub_pageconn_add },
	{ POST, "/admin/connections/*/test", hub_pageconn_test },
	{ GET_HEAD, "/admin/connections/*/test/*", hub_pageconn_test_show },
	{ POST, "/admin/connections/*/channel", hub_pageconn_channel },
	{ POST, "/admin/connections/*/default", hub_pageconn_default },
	{ POST, "/admin/connections/*/disable", hub_pageconn_disable },
	{ POST, "/admin/connections/*/enable", hub_pageconn_enable },
	{ POST, "/admin/connections/*/acknowledge", hub_pageconn_acknowledge },
	{ POST, "/admin/connections/*/disconnect", hub_pageconn_disconnect },
	/* After /requests/new (the form): "*" would take "new" too. */
	{ GET_HEAD, "/requests/*", hub_pagerequest_show },
	{ POST, "/requests/*/decide", hub_pagerequest_decide },
	{ POST, "/requests/*/cancel", hub_pagerequest_cancel },
	{ POST, "/requests/*/remind", hub_pagerequest_remind },
	{ POST, "/requests/*/reassign", hub_pagerequest_reassign },
	{ GET_HEAD, "/admin/deliveries", hub_pagedeliveries_show },
	{ POST, "/admin/deliveries/*/retry", hub_pagedeliveries_retry },
	{ GET_HEAD, "/requests.csv", hub_pageexport_requests_csv },
	{ GET_HEAD, "/requests.json", hub_pageexport_requests_json },
	{ GET_HEAD, "/requests/*/audit.csv", hub_pageexport_audit_csv },
	{ GET_HEAD, "/requests/*/audit.json", hub_pageexport_audit_json },
	{ GET_HEAD, "/charts", hub_pagecharts_show },
	{ GET_HEAD, "/charts/*", hub_pagecharts_svg },
	{ GET_HEAD, "/admin/sources", hub_pagesources_list },
	{ POST, "/admin/sources", hub_pagesources_create },
	{ GET_HEAD, "/admin/sources/*", hub_pagesources_show },
	{ POST, "/admin/sources/*", hub_pagesources_update },
	{ POST, "/admin/sources/*/rotate-key", hub_pagesources_rotate },
	{ GET_HEAD, "/admin/users", hub_pageusers_list },
	{ POST, "/admin/users", hub_pageusers_create },
	{ POST, "/admin/users/*", hub_pageusers_update },
	{ POST, "/admin/users/*/reset-password", hub_pageusers_reset },
	{ GET_HEAD, "/admin/groups", hub_pagegroups_list },
	{ POST, "/admin/groups", hub_pagegroups_create },
	{ GET_HEAD, "/admin/groups/*", hub_pagegroups_show },
	{ POST, "/admin/groups/*/delete", hub_pagegroups_delete },
	{ POST, "/admin/groups/*/members", hub_pagegroups_member_add },
	{ POST, "/admin/groups/*/members/remove", hub_pagegroups_member_remove },
	{ POST, "/admin/delegations", hub_pagegroups_deleg_add },
	{ POST, "/admin/delegations/*/revoke", hub_pagegroups_deleg_revoke },
	{ GET_HEAD, "/admin/settings", hub_pagesettings_show },
	{ POST, "/admin/settings", hub_pagesettings_post },
	{ GET_HEAD, "/admin/audit", hub_pageaudit_show },
};

static int
child_init(struct hub_app_ctx *app)
{
	/* A broken template is a build defect: refuse to serve rather than
	 * fail on the first visitor. */
	if (hub_tmpl_check_all() != HUB_TMPL_OK) {
		hub_log(HUB_LOG_ERROR, "templates_invalid", "error", hub_tmpl_errmsg(), NULL);
		return -1;
	}
	/* The dummy hash unknown emails are checked against, made before the
	 * first sign-in so that one costs what every other does. */
	if (hub_account_prepare() != HUB_ACCOUNT_OK) {
		hub_log(HUB_LOG_ERROR, "account_prepare_failed", NULL);
		return -1;
	}
	return 0;
}

static const struct hub_app app = {
	.name = "dashboard",
	.need = HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	.json_errors = 0,
	.routes = routes,
	.nroutes = HUB_NELEM(routes),
	.child_init = child_init,
};

int
main(int argc, char **argv)
{
	return hub_app_main(&app, argc, argv);
}
