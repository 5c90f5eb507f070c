/*
 * adminpage.c - what the admin pages of sources, users, groups, settings
 * and the audit log share.  See adminpage.h.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "web/adminpage.h"
#include "base/json.h"
#include "base/log.h"
#include "store/db.h"
#include "web/page.h"

#define ADMINPAGE_ITEM_MAX	320	/* one item of a typed list: an email at most */

/* The admin menu: path and label of each section, in order. */
static const struct {
	const char	*path;
	const char	*label;
} sections[HUB_ADMINPAGE__MAX] = {
	[HUB_ADMINPAGE_SOURCES] = { "/admin/sources", "Sources" },
	[HUB_ADMINPAGE_USERS] = { "/admin/users", "Users" },
	[HUB_ADMINPAGE_GROUPS] = { "/admin/groups", "Groups and delegations" },
	[HUB_ADMINPAGE_SETTINGS] = { "/admin/settings", "Settings" },
	[HUB_ADMINPAGE_AUDIT] = { "/admin/audit", "Audit log" },
};

int
hub_adminpage_get(struct hub_app_ctx *app, struct hub_req *req, struct hub_session *s)
{
	return hub_page_need(app, req, HUB_ACCESS_ADMIN, s);
}

int
hub_adminpage_get_saved(struct hub_app_ctx *app, struct hub_req *req, const char *flag,
    struct hub_session *s, const char **notice)
{
	if (hub_adminpage_get(app, req, s) != 0)
		return -1;
	if (hub_form_get(&req->args, flag) != NULL)
		*notice = "Saved.";
	return 0;
}

int
hub_adminpage_post(struct hub_app_ctx *app, struct hub_req *req, size_t pairs,
    struct hub_session *s, struct hub_form *form)
{
	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, s) != 0)
		return -1;
	if (hub_page_form(app, req, pairs, form) != 0)
		return -1;
	if (hub_page_csrf_refused(app, req, s, form)) {
		hub_form_free(form);
		return -1;
	}
	return 0;
}

int
hub_adminpage_begin(struct hub_app_ctx *app, struct hub_req *req, size_t pairs,
    struct hub_adminpage_action *a)
{
	memset(a, 0, sizeof(*a));
	if (hub_adminpage_post(app, req, pairs, &a->s, &a->form) != 0)
		return -1;
	hub_adminpage_actor(&a->s, &a->actor);
	return 0;
}

void
hub_adminpage_end(struct hub_adminpage_action *a)
{
	json_object_put(a->in);
	json_object_put(a->out);
	hub_form_free(&a->form);
}

int
hub_adminpage_after(struct hub_app_ctx *app, struct hub_req *req, int done, const char *path,
    int status, const struct hub_problem *p, const char *notfound)
{
	if (done)
		return hub_page_redirect(app, req, 303, path);
	return hub_adminpage_refused(app, req, status, p, notfound);
}

void
hub_adminpage_actor(const struct hub_session *s, struct hub_actor *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = "user";
	a->id = s->user.id;
	a->display = s->user.email[0] != '\0' ? s->user.email : s->user.name;
	a->via = "web";
}

json_object *
hub_adminpage_ctx(const struct hub_session *s, const char *title,
    enum hub_adminpage_section section)
{
	json_object *ctx = json_object_new_object(), *nav, *item;
	size_t i;

	if (ctx == NULL || (nav = json_object_new_array()) == NULL) {
		json_object_put(ctx);
		return NULL;
	}
	hub_json_set_str(ctx, "title", title);
	hub_page_user(ctx, s);
	for (i = 0; i < HUB_ADMINPAGE__MAX; i++) {
		if ((item = json_object_new_object()) == NULL)
			break;
		hub_json_set_str(item, "path", sections[i].path);
		hub_json_set_str(item, "label", sections[i].label);
		json_object_object_add(item, "current", json_object_new_boolean(i == section));
		json_object_array_add(nav, item);
	}
	json_object_object_add(ctx, "admin_nav", nav);
	return ctx;
}

int
hub_adminpage_secret(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    enum hub_adminpage_section section, const char *heading, const char *what,
    const char *secret, const char *back, const char *back_text)
{
	json_object *ctx = hub_adminpage_ctx(s, heading, section);
	int rc;

	if (ctx == NULL)
		return 500;
	hub_json_set_str(ctx, "heading", heading);
	hub_json_set_str(ctx, "what", what);
	hub_json_set_str(ctx, "secret", secret);
	hub_json_set_str(ctx, "back", back);
	hub_json_set_str(ctx, "back_text", back_text);
	rc = hub_page_send(app, req, 200, "admin-secret.html", ctx);
	json_object_put(ctx);
	return rc;
}

int
hub_adminpage_refused(struct hub_app_ctx *app, struct hub_req *req, int status,
    const struct hub_problem *p, const char *notfound)
{
	if (status == 404)
		return hub_page_error(app, req, 404, notfound);
	if (status == 400 || status == 409)
		return hub_page_error(app, req, status, p->message);
	if (p->db == HUB_DB_CONN)
		return hub_page_error(app, req, 503, "The database is unavailable; try again"
		    " shortly.");
	hub_log(HUB_LOG_ERROR, "admin_page_failed", "path", req->path, "error",
	    p->message, NULL);
	return hub_page_error(app, req, 500, "Something went wrong; the change was not made.");
}

void
hub_adminpage_field_error(json_object *ctx, const struct hub_problem *p,
    const char *const *known)
{
	json_object *errors;

	if (p->field != NULL && hub_check_oneof(p->field, known)) {
		if (!json_object_object_get_ex(ctx, "errors", &errors)) {
			errors = json_object_new_object();
			json_object_object_add(ctx, "errors", errors);
		}
		hub_json_set_str(errors, p->field, p->message);
		return;
	}
	hub_json_set_str(ctx, "error", p->message);
}

/* Items separated by commas or line breaks, trimmed, empties dropped. */
json_object *
hub_adminpage_list(const char *s)
{
	json_object *a = json_object_new_array();
	char name[ADMINPAGE_ITEM_MAX + 2];
	size_t n;

	while (a != NULL && s != NULL && *s != '\0') {
		s += strspn(s, " \t\r\n,");
		n = strcspn(s, ",\r\n");
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n > 0) {
			/* one byte too long stays too long: the module refuses it */
			snprintf(name, sizeof(name), "%.*s", (int)(n <= ADMINPAGE_ITEM_MAX ? n :
			    ADMINPAGE_ITEM_MAX + 1), s);
			json_object_array_add(a, json_object_new_string(name));
		}
		s += n;
		s += strcspn(s, ",\r\n");
	}
	return a;
}

