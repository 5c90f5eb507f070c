/*
 * pagegroups.c - /admin/groups and /admin/delegations (pagegroups.h).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pagegroups.h"
#include "approval/groups.h"
#include "base/json.h"
#include "base/log.h"
#include "web/adminpage.h"
#include "web/page.h"

#define FORM_PAIRS	12
#define PATH_MAX_LEN	(HUB_GROUPS_NAME_MAX + 32)

static const char *const group_fields[] = { "name", "description", "members", NULL };
static const char *const deleg_fields[] = {
	"approver", "delegate", "valid_from", "valid_to", NULL,
};
static const char *const member_fields[] = { "member", NULL };

/* Which form a refusal belongs to, for where its message shows. */
enum which { W_NONE, W_GROUP, W_DELEG, W_MEMBER };

struct groups_view {
	int			 status;
	enum which		 which;
	const struct hub_form	*form;
	const struct hub_problem *err;
	const char		*notice;
};

/* ctx.<prefix>errors / <prefix>error for the form the refusal was about,
 * and the typed values again under ctx.typed. */
static void
view_errors(json_object *ctx, const struct groups_view *v)
{
	static const char *const typed[] = {
		"name", "description", "members", "approver", "delegate", "valid_from",
		"valid_to", "member", NULL,
	};
	json_object *sub, *t;
	size_t i;

	if (v->err == NULL || (sub = json_object_new_object()) == NULL)
		return;
	hub_adminpage_field_error(sub, v->err, v->which == W_GROUP ? group_fields :
	    v->which == W_DELEG ? deleg_fields : member_fields);
	json_object_object_add(ctx, v->which == W_GROUP ? "group_form" :
	    v->which == W_DELEG ? "deleg_form" : "member_form", sub);
	if (v->form == NULL || (t = json_object_new_object()) == NULL)
		return;
	for (i = 0; typed[i] != NULL; i++)
		hub_json_set_str(t, typed[i], hub_form_get(v->form, typed[i]));
	json_object_object_add(ctx, "typed", t);
}

static int
groups_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct groups_view *v)
{
	struct hub_db *db = hub_app_db(app);
	json_object *ctx, *groups = NULL, *delegs = NULL;
	struct hub_problem p;
	int rc;

	if ((ctx = hub_adminpage_ctx(s, "Groups and delegations", HUB_ADMINPAGE_GROUPS)) == NULL)
		return 500;
	if (hub_groups_list(db, &groups, &p) != HUB_GROUPS_OK ||
	    hub_deleg_list(db, NULL, 0, &delegs, &p) != HUB_GROUPS_OK) {
		rc = hub_adminpage_refused(app, req, 0, &p, NULL);
		goto out;
	}
	json_object_object_add(ctx, "groups", json_object_get(json_object_object_get(groups,
	    "groups")));
	json_object_object_add(ctx, "delegations", json_object_get(json_object_object_get(delegs,
	    "delegations")));
	hub_json_set_str(ctx, "notice", v->notice);
	view_errors(ctx, v);
	rc = hub_page_send(app, req, v->status, "admin-groups.html", ctx);
out:
	json_object_put(groups);
	json_object_put(delegs);
	json_object_put(ctx);
	return rc;
}

/* The status a refusal of groups.h answers with, 0 for a failure. */
static int
refusal_status(int rc)
{
	return rc == HUB_GROUPS_INVALID ? 400 : rc == HUB_GROUPS_EXISTS ? 409 :
	    rc == HUB_GROUPS_NOTFOUND ? 404 : 0;
}

int
hub_pagegroups_list(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct groups_view v = { 200, W_NONE, NULL, NULL, NULL };
	struct hub_session s;

	if (hub_adminpage_get_saved(app, req, "done", &s, &v.notice) != 0)
		return 0;
	return groups_page(app, req, &s, &v);
}

int
hub_pagegroups_create(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct groups_view v = { 400, W_GROUP, NULL, NULL, NULL };
	struct hub_adminpage_action a;
	const char *desc, *name;
	char path[PATH_MAX_LEN];
	int rc;

	if (hub_adminpage_begin(app, req, FORM_PAIRS, &a) != 0)
		return 0;
	if ((a.in = json_object_new_object()) == NULL) {
		rc = 500;
		goto out;
	}
	name = hub_form_get(&a.form, "name");
	desc = hub_form_get(&a.form, "description");
	hub_json_set_str(a.in, "name", name != NULL ? name : "");
	hub_json_set_str(a.in, "description", desc != NULL && desc[0] != '\0' ? desc : NULL);
	json_object_object_add(a.in, "members", hub_adminpage_list(hub_form_get(&a.form,
	    "members")));
	rc = hub_groups_create(hub_app_db(app), a.in, &a.actor, &a.out, &a.p);
	if (rc == HUB_GROUPS_OK) {
		snprintf(path, sizeof(path), "/admin/groups/%s", name);
		rc = hub_page_redirect(app, req, 303, path);
	} else if (rc == HUB_GROUPS_INVALID || rc == HUB_GROUPS_EXISTS) {
		v.status = refusal_status(rc);
		v.form = &a.form;
		v.err = &a.p;
		rc = groups_page(app, req, &a.s, &v);
	} else {
		rc = hub_adminpage_refused(app, req, 0, &a.p, NULL);
	}
out:
	hub_adminpage_end(&a);
	return rc;
}

static int
group_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct groups_view *v)
{
	json_object *ctx, *group = NULL;
	struct hub_problem p;
	int rc;

	rc = hub_groups_get(hub_app_db(app), req->captures[0], &group, &p);
	if (rc != HUB_GROUPS_OK)
		return hub_adminpage_refused(app, req, refusal_status(rc), &p,
		    "There is no such group.");
	if ((ctx = hub_adminpage_ctx(s, "Group", HUB_ADMINPAGE_GROUPS)) == NULL) {
		json_object_put(group);
		return 500;
	}
	json_object_object_add(ctx, "group", group);
	hub_json_set_str(ctx, "notice", v->notice);
	view_errors(ctx, v);
	rc = hub_page_send(app, req, v->status, "admin-group.html", ctx);
	json_object_put(ctx);
	return rc;
}

int
hub_pagegroups_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct groups_view v = { 200, W_NONE, NULL, NULL, NULL };
	struct hub_session s;

	if (hub_adminpage_get_saved(app, req, "done", &s, &v.notice) != 0)
		return 0;
	return group_page(app, req, &s, &v);
}

int
hub_pagegroups_delete(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_adminpage_action a;
	int rc;

	if (hub_adminpage_begin(app, req, 4, &a) != 0)
		return 0;
	rc = hub_groups_delete(hub_app_db(app), req->captures[0], &a.actor, &a.p);
	rc = hub_adminpage_after(app, req, rc == HUB_GROUPS_OK, "/admin/groups?done=1",
	    refusal_status(rc), &a.p, "There is no such group.");
	hub_adminpage_end(&a);
	return rc;
}

/* Add or remove the form's member; back to the group's page. */
static int
member_change(struct hub_req *req, struct hub_app_ctx *app, int add)
{
	struct groups_view v = { 400, W_MEMBER, NULL, NULL, NULL };
	struct hub_adminpage_action a;
	const char *member;
	char path[PATH_MAX_LEN];
	int rc;

	if (hub_adminpage_begin(app, req, 4, &a) != 0)
		return 0;
	member = hub_form_get(&a.form, "member");
	if (member == NULL || member[0] == '\0')
		rc = hub_problem(&a.p, "member", "Type a Slack user id or an email address.",
		    HUB_GROUPS_INVALID);
	else if (add)
		rc = hub_groups_member_add(hub_app_db(app), req->captures[0], member, &a.actor,
		    &a.out, &a.p);
	else
		rc = hub_groups_member_remove(hub_app_db(app), req->captures[0], member, &a.actor,
		    &a.p);
	if (rc == HUB_GROUPS_OK) {
		snprintf(path, sizeof(path), "/admin/groups/%s?done=1", req->captures[0]);
		rc = hub_page_redirect(app, req, 303, path);
	} else if (add && (rc == HUB_GROUPS_INVALID || rc == HUB_GROUPS_EXISTS)) {
		v.status = refusal_status(rc);
		v.form = &a.form;
		v.err = &a.p;
		rc = group_page(app, req, &a.s, &v);
	} else {
		rc = hub_adminpage_refused(app, req, refusal_status(rc), &a.p,
		    "There is no such group or member.");
	}
	hub_adminpage_end(&a);
	return rc;
}

int
hub_pagegroups_member_add(struct hub_req *req, void *arg)
{
	return member_change(req, arg, 1);
}

int
hub_pagegroups_member_remove(struct hub_req *req, void *arg)
{
	return member_change(req, arg, 0);
}

int
hub_pagegroups_deleg_add(struct hub_req *req, void *arg)
{
	static const char *const keys[] = { "approver", "delegate", "valid_from", "valid_to" };
	struct hub_app_ctx *app = arg;
	struct groups_view v = { 400, W_DELEG, NULL, NULL, NULL };
	struct hub_adminpage_action a;
	size_t i;
	int rc;

	if (hub_adminpage_begin(app, req, FORM_PAIRS, &a) != 0)
		return 0;
	if ((a.in = json_object_new_object()) == NULL) {
		rc = 500;
		goto out;
	}
	for (i = 0; i < HUB_NELEM(keys); i++)
		hub_json_set_str(a.in, keys[i], hub_form_get(&a.form, keys[i]) != NULL ?
		    hub_form_get(&a.form, keys[i]) : "");
	rc = hub_deleg_add(hub_app_db(app), a.in, &a.actor, &a.out, &a.p);
	if (rc == HUB_GROUPS_OK) {
		rc = hub_page_redirect(app, req, 303, "/admin/groups?done=1#delegations");
	} else if (rc == HUB_GROUPS_INVALID || rc == HUB_GROUPS_EXISTS) {
		v.status = refusal_status(rc);
		v.form = &a.form;
		v.err = &a.p;
		rc = groups_page(app, req, &a.s, &v);
	} else {
		rc = hub_adminpage_refused(app, req, 0, &a.p, NULL);
	}
out:
	hub_adminpage_end(&a);
	return rc;
}

int
hub_pagegroups_deleg_revoke(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_adminpage_action a;
	int rc;

	if (hub_adminpage_begin(app, req, 4, &a) != 0)
		return 0;
	rc = hub_deleg_revoke(hub_app_db(app), req->captures[0], &a.actor, &a.out, &a.p);
	rc = hub_adminpage_after(app, req, rc == HUB_GROUPS_OK,
	    "/admin/groups?done=1#delegations", refusal_status(rc), &a.p,
	    "There is no such delegation.");
	hub_adminpage_end(&a);
	return rc;
}
