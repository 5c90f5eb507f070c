/*
 * pageaudit.c - /admin/audit (pageaudit.h).
 */
#include <string.h>

#include <json-c/json.h>

#include "web/pageaudit.h"
#include "approval/adminlog.h"
#include "base/buf.h"
#include "base/form.h"
#include "base/json.h"
#include "web/adminpage.h"
#include "web/page.h"

#define PAGE_ROWS	50
#define LINK_MAX	2048

/* The query parameters of the filter form, in the order links carry them. */
static const char *const params[] = { "actor", "action", "request", "from", "to", NULL };

/* A parameter's value, NULL when absent or empty (an empty form field). */
static const char *
param(struct hub_req *req, const char *k)
{
	const char *v = hub_form_get(&req->args, k);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* /admin/audit?<the filters>&cursor=<next>: the next page's link. */
static int
next_link(struct hub_req *req, const char *cursor, struct hub_buf *out)
{
	const char *v;
	size_t i;
	int rc = hub_buf_adds(out, "/admin/audit?");

	for (i = 0; rc == 0 && params[i] != NULL; i++) {
		if ((v = param(req, params[i])) == NULL)
			continue;
		rc = hub_buf_printf(out, "%s=", params[i]);
		if (rc == 0)
			rc = hub_url_encode(v, strlen(v), out);
		if (rc == 0)
			rc = hub_buf_adds(out, "&");
	}
	if (rc == 0)
		rc = hub_buf_adds(out, "cursor=");
	if (rc == 0)
		rc = hub_url_encode(cursor, strlen(cursor), out);
	return rc;
}

/* Each entry's actor URL-encoded (actor_q), for its "only this actor" link. */
static void
actor_links(json_object *entries)
{
	struct hub_buf q = HUB_BUF_INIT(LINK_MAX);
	json_object *e, *a;
	size_t i;

	for (i = 0; i < json_object_array_length(entries); i++) {
		e = json_object_array_get_idx(entries, i);
		hub_buf_reset(&q);
		if (json_object_object_get_ex(e, "actor", &a) && a != NULL &&
		    hub_url_encode(json_object_get_string(a), (size_t)json_object_get_string_len(a),
		    &q) == 0)
			hub_json_set_str(e, "actor_q", hub_buf_str(&q));
	}
	hub_buf_release(&q);
}

/* The actions to filter by, the one asked for selected. */
static json_object *
action_options(const char *current)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; a != NULL && hub_adminlog_actions[i] != NULL; i++) {
		if ((o = json_object_new_object()) == NULL)
			break;
		hub_json_set_str(o, "value", hub_adminlog_actions[i]);
		json_object_object_add(o, "selected", json_object_new_boolean(current != NULL &&
		    strcmp(current, hub_adminlog_actions[i]) == 0));
		json_object_array_add(a, o);
	}
	return a;
}

int
hub_pageaudit_show(struct hub_req *req, void *arg)
{
	static const char *const known[] = { "actor", "action", "request", "from", "to",
	    "cursor", NULL };
	struct hub_app_ctx *app = arg;
	struct hub_buf link = HUB_BUF_INIT(LINK_MAX);
	struct hub_adminlog_filter f;
	json_object *ctx = NULL, *page = NULL, *filter, *next;
	struct hub_session s;
	struct hub_problem p;
	size_t i;
	int rc, status = 200;

	if (hub_adminpage_get(app, req, &s) != 0)
		return 0;
	if ((ctx = hub_adminpage_ctx(&s, "Audit log", HUB_ADMINPAGE_AUDIT)) == NULL ||
	    (filter = json_object_new_object()) == NULL) {
		json_object_put(ctx);
		return 500;
	}
	json_object_object_add(ctx, "filter", filter);
	for (i = 0; params[i] != NULL; i++)
		hub_json_set_str(filter, params[i], param(req, params[i]));
	json_object_object_add(ctx, "actions", action_options(param(req, "action")));
	memset(&f, 0, sizeof(f));
	f.actor = param(req, "actor");
	f.action = param(req, "action");
	f.request_id = param(req, "request");
	f.from = param(req, "from");
	f.to = param(req, "to");
	f.cursor = param(req, "cursor");
	f.limit = PAGE_ROWS;
	rc = hub_adminlog_list(hub_app_db(app), &f, &page, &p);
	if (rc == HUB_ADMINLOG_INVALID) {
		status = 400;
		hub_adminpage_field_error(ctx, &p, known);
	} else if (rc != HUB_ADMINLOG_OK) {
		rc = hub_adminpage_refused(app, req, 0, &p, NULL);
		goto out;
	} else {
		actor_links(json_object_object_get(page, "entries"));
		json_object_object_add(ctx, "entries", json_object_get(json_object_object_get(page,
		    "entries")));
		next = json_object_object_get(page, "next_cursor");
		if (next != NULL && next_link(req, json_object_get_string(next), &link) == 0)
			hub_json_set_str(ctx, "next", hub_buf_str(&link));
	}
	json_object_object_add(ctx, "filtered", json_object_new_boolean(f.actor != NULL ||
	    f.action != NULL || f.request_id != NULL || f.from != NULL || f.to != NULL));
	rc = hub_page_send(app, req, status, "admin-audit.html", ctx);
out:
	hub_buf_release(&link);
	json_object_put(page);
	json_object_put(ctx);
	return rc;
}
