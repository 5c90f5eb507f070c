/*
 * pagegroups.h - /admin/groups: approver groups and delegations, for
 * admins (adminpage.h), as the admin API offers them (/api/groups,
 * /api/delegations): route handlers of cgi-bin/dashboard.c over
 * approval/groups.h, which audits every change.
 *
 *   GET  /admin/groups                        groups, delegations, both forms
 *   POST /admin/groups                        create (name, description, members)
 *   GET  /admin/groups/<name>                 one group and its members
 *   POST /admin/groups/<name>/delete          delete it
 *   POST /admin/groups/<name>/members         add member=...
 *   POST /admin/groups/<name>/members/remove  remove member=...
 *   POST /admin/delegations                   add (approver, delegate,
 *                                             valid_from, valid_to)
 *   POST /admin/delegations/<id>/revoke       revoke
 * A change that works answers 303 back to its page; a refused one shows
 * the page again with the message by the form (400, 409 for a conflict).
 */
#ifndef HUB_PAGEGROUPS_H
#define HUB_PAGEGROUPS_H

#include "web/fcgi.h"

int	hub_pagegroups_list(struct hub_req *, void *app);
int	hub_pagegroups_create(struct hub_req *, void *app);
int	hub_pagegroups_show(struct hub_req *, void *app);
int	hub_pagegroups_delete(struct hub_req *, void *app);
int	hub_pagegroups_member_add(struct hub_req *, void *app);
int	hub_pagegroups_member_remove(struct hub_req *, void *app);
int	hub_pagegroups_deleg_add(struct hub_req *, void *app);
int	hub_pagegroups_deleg_revoke(struct hub_req *, void *app);

#endif
