/*
 * pageusers.c - /admin/users (pageusers.h).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pageusers.h"
#include "approval/admin.h"
#include "base/json.h"
#include "base/log.h"
#include "web/adminpage.h"
#include "web/page.h"

#define FORM_PAIRS	8

static const char *const field_names[] = { "name", "email", "role", NULL };
static const char *const roles[] = { "requester", "viewer", "admin", NULL };

/* ctx.<key>: the roles as options, current selected. */
static json_object *
role_options(const char *current)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; a != NULL && roles[i] != NULL; i++) {
		if ((o = json_object_new_object()) == NULL)
			break;
		hub_json_set_str(o, "value", roles[i]);
		json_object_object_add(o, "selected", json_object_new_boolean(current != NULL &&
		    strcmp(roles[i], current) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

/* What a refused change says, next to the user it was about (row_id) or
 * by the "add" form (form). */
struct users_view {
	int			 status;
	const struct hub_form	*form;
	const char		*row_id;
	const struct hub_problem *err;
	const char		*notice;
};

static int
users_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct users_view *v)
{
	json_object *ctx = hub_adminpage_ctx(s, "Users", HUB_ADMINPAGE_USERS), *list = NULL,
	    *users, *u, *id, *role;
	struct hub_problem p;
	size_t i;
	int rc;

	if (ctx == NULL)
		return 500;
	if (hub_admin_users_json(hub_app_db(app), &list, &p) != HUB_ADMIN_OK) {
		json_object_put(ctx);
		return hub_adminpage_refused(app, req, 0, &p, NULL);
	}
	users = json_object_object_get(list, "users");
	for (i = 0; i < json_object_array_length(users); i++) {
		u = json_object_array_get_idx(users, i);
		json_object_object_get_ex(u, "id", &id);
		json_object_object_get_ex(u, "role", &role);
		json_object_object_add(u, "roles", role_options(json_object_get_string(role)));
		json_object_object_add(u, "self", json_object_new_boolean(
		    strcmp(json_object_get_string(id), s->user.id) == 0));
		if (v->row_id != NULL && v->err != NULL &&
		    strcmp(json_object_get_string(id), v->row_id) == 0)
			hub_json_set_str(u, "row_error", v->err->message);
	}
	json_object_object_add(ctx, "users", json_object_get(users));
	json_object_object_add(ctx, "new_roles", role_options(v->form != NULL ?
	    hub_form_get(v->form, "role") : "requester"));
	if (v->form != NULL) {
		hub_json_set_str(ctx, "new_name", hub_form_get(v->form, "name"));
		hub_json_set_str(ctx, "new_email", hub_form_get(v->form, "email"));
	}
	if (v->row_id == NULL && v->err != NULL)
		hub_adminpage_field_error(ctx, v->err, field_names);
	hub_json_set_str(ctx, "notice", v->notice);
	rc = hub_page_send(app, req, v->status, "admin-users.html", ctx);
	json_object_put(list);
	json_object_put(ctx);
	return rc;
}

int
hub_pageusers_list(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct users_view v = { 200, NULL, NULL, NULL, NULL };
	struct hub_session s;

	if (hub_adminpage_get_saved(app, req, "saved", &s, &v.notice) != 0)
		return 0;
	return users_page(app, req, &s, &v);
}

int
hub_pageusers_create(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct users_view v = { 400, NULL, NULL, NULL, NULL };
	struct hub_adminpage_action a;
	json_object *pw;
	const char *email, *name;
	int rc;

	if (hub_adminpage_begin(app, req, FORM_PAIRS, &a) != 0)
		return 0;
	if ((a.in = json_object_new_object()) == NULL) {
		rc = 500;
		goto out;
	}
	email = hub_form_get(&a.form, "email");
	name = hub_form_get(&a.form, "name");
	hub_json_set_str(a.in, "name", name != NULL ? name : "");
	hub_json_set_str(a.in, "email", email != NULL && email[0] != '\0' ? email : NULL);
	hub_json_set_str(a.in, "role", hub_form_get(&a.form, "role"));
	rc = hub_admin_user_add_json(hub_app_db(app), a.in, &a.actor, &a.out, &a.p);
	hub_log(HUB_LOG_INFO, "admin_user_add", "user", a.s.user.id, "result",
	    hub_admin_strerror(rc), NULL);
	if (rc == HUB_ADMIN_INVALID || rc == HUB_ADMIN_EXISTS) {
		v.form = &a.form;
		v.err = &a.p;
		rc = users_page(app, req, &a.s, &v);
		goto out;
	}
	if (rc != HUB_ADMIN_OK) {
		rc = hub_adminpage_refused(app, req, 0, &a.p, NULL);
		goto out;
	}
	json_object_object_get_ex(a.out, "password", &pw);
	rc = hub_adminpage_secret(app, req, &a.s, HUB_ADMINPAGE_USERS, "User added",
	    "Their password. Give it to them now (they can change it under their name at the"
	    " top of any page): it is shown only this once.", json_object_get_string(pw),
	    "/admin/users", "Back to the users");
out:
	hub_adminpage_end(&a);
	return rc;
}

int
hub_pageusers_update(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct users_view v = { 400, NULL, NULL, NULL, NULL };
	struct hub_adminpage_action a;
	const char *disabled;
	int rc;

	if (hub_adminpage_begin(app, req, FORM_PAIRS, &a) != 0)
		return 0;
	if ((a.in = json_object_new_object()) == NULL) {
		rc = 500;
		goto out;
	}
	disabled = hub_form_get(&a.form, "disabled");
	hub_json_set_str(a.in, "role", hub_form_get(&a.form, "role"));
	if (disabled != NULL)
		json_object_object_add(a.in, "disabled", json_object_new_boolean(
		    strcmp(disabled, "1") == 0));
	rc = hub_admin_user_patch_json(hub_app_db(app), req->captures[0], a.in, &a.actor,
	    &a.out, &a.p);
	hub_log(HUB_LOG_INFO, "admin_user_update", "user", a.s.user.id, "target",
	    req->captures[0], "result", hub_admin_strerror(rc), NULL);
	if (rc == HUB_ADMIN_INVALID) {
		v.row_id = req->captures[0];
		v.err = &a.p;
		rc = users_page(app, req, &a.s, &v);
	} else {
		rc = hub_adminpage_after(app, req, rc == HUB_ADMIN_OK, "/admin/users?saved=1",
		    rc == HUB_ADMIN_NOTFOUND ? 404 : 0, &a.p, "There is no such user.");
	}
out:
	hub_adminpage_end(&a);
	return rc;
}

int
hub_pageusers_reset(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_adminpage_action a;
	json_object *pw;
	int rc;

	if (hub_adminpage_begin(app, req, 4, &a) != 0)
		return 0;
	rc = hub_admin_user_reset_password(hub_app_db(app), req->captures[0], &a.actor, &a.out,
	    &a.p);
	hub_log(HUB_LOG_INFO, "admin_password_reset", "user", a.s.user.id, "target",
	    req->captures[0], "result", hub_admin_strerror(rc), NULL);
	if (rc != HUB_ADMIN_OK) {
		rc = hub_adminpage_refused(app, req, rc == HUB_ADMIN_NOTFOUND ? 404 : 0, &a.p,
		    "There is no such user.");
		goto out;
	}
	/* Whoever held their sessions (the old password) is out now. */
	if (hub_session_close_user(hub_app_db(app), req->captures[0]) != HUB_SESSION_OK)
		hub_log(HUB_LOG_WARN, "sessions_close_failed", "target", req->captures[0], NULL);
	json_object_object_get_ex(a.out, "password", &pw);
	rc = hub_adminpage_secret(app, req, &a.s, HUB_ADMINPAGE_USERS, "New password",
	    "The user's new password; their old one and their open sessions no longer work."
	    " Give it to them now: it is shown only this once.", json_object_get_string(pw),
	    "/admin/users", "Back to the users");
out:
	hub_adminpage_end(&a);
	return rc;
}
