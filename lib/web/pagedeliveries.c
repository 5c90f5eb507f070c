/*
 * pagedeliveries.c - delivery problems and Retry.  See pagedeliveries.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pagedeliveries.h"
#include "base/json.h"
#include "base/log.h"
#include "notify/problems.h"
#include "web/page.h"

#define LIST_ROWS	100
#define FORM_PAIRS	4
#define NOTICE_MAX	96	/* the notice line with a delivery id */

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
}

/* [{"kind", "queued", "running", "done", "failed"}] from [{kind, state, n}]
 * (sorted by kind): one row per kind, the states as columns. */
static json_object *
queue_table(json_object *counts)
{
	json_object *out = json_object_new_array(), *row = NULL, *c, *n;
	const char *kind, *last = "";
	size_t i, len = counts != NULL ? json_object_array_length(counts) : 0;

	for (i = 0; out != NULL && i < len; i++) {
		c = json_object_array_get_idx(counts, i);
		kind = str_of(c, "kind");
		if (row == NULL || strcmp(kind, last) != 0) {
			if ((row = json_object_new_object()) == NULL ||
			    json_object_array_add(out, row) != 0)
				break;
			hub_json_set_str(row, "kind", kind);
			last = kind;
		}
		if (json_object_object_get_ex(c, "n", &n))
			json_object_object_add(row, str_of(c, "state"), json_object_get(n));
	}
	return out;
}

/* The page: problems, the queue, and a notice or an error line. */
static int
show(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s, int status,
    const char *notice, const char *error)
{
	json_object *ctx = json_object_new_object(), *list = NULL, *queue = NULL;
	struct hub_db *db = hub_app_db(app);
	int rc;

	if (ctx == NULL)
		return 500;
	if (hub_problems_list(db, LIST_ROWS, &list) != HUB_DB_OK ||
	    hub_problems_queue(db, &queue) != HUB_DB_OK) {
		json_object_put(ctx);
		json_object_put(list);
		return hub_app_error(app, req, 503, "the database is unavailable, try again shortly",
		    NULL);
	}
	hub_json_set_str(ctx, "title", "Delivery problems");
	hub_json_set(ctx, "problems", list);
	hub_json_set(ctx, "queue", queue_table(queue));
	json_object_put(queue);
	hub_json_set_str(ctx, "notice", notice);
	hub_json_set_str(ctx, "error", error);
	hub_page_user(ctx, s);
	rc = hub_page_send(app, req, status, "admin-deliveries.html", ctx);
	json_object_put(ctx);
	return rc;
}

int
hub_pagedeliveries_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_session s;
	char notice[NOTICE_MAX];
	const char *id;

	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, &s) != 0)
		return 0;
	notice[0] = '\0';
	id = hub_form_get(&req->args, "retried");
	if (id != NULL && strlen(id) <= 20 && strspn(id, "0123456789") == strlen(id) && *id)
		snprintf(notice, sizeof(notice), "Delivery %s was queued to be tried again now.", id);
	return show(app, req, &s, 200, notice[0] ? notice : NULL, NULL);
}

/* A delivery id from the path: digits only, > 0. */
static int64_t
path_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 19)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

int
hub_pagedeliveries_retry(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_form form = { NULL, 0 };
	struct hub_session s;
	struct hub_actor actor;
	char path[64];
	int64_t id, job = 0;
	int rc = 0, prc;

	if (hub_page_need(app, req, HUB_ACCESS_ADMIN, &s) != 0)
		return 0;
	if (hub_page_form(app, req, FORM_PAIRS, &form) != 0 ||
	    hub_page_csrf_refused(app, req, &s, &form) != 0)
		goto out;
	if ((id = path_id(req->captures[0])) == 0) {
		rc = hub_page_error(app, req, 404, "There is no such delivery.");
		goto out;
	}
	actor = (struct hub_actor){ "user", s.user.id, NULL, s.user.name, "web" };
	prc = hub_problems_retry(hub_app_db(app), id, &actor, &job);
	switch (prc) {
	case HUB_PROBLEMS_OK:
		snprintf(path, sizeof(path), "/admin/deliveries?retried=%lld", (long long)id);
		hub_log(HUB_LOG_INFO, "delivery_retried", "user", s.user.id, "delivery",
		    req->captures[0], NULL);
		rc = hub_page_redirect(app, req, 303, path);
		break;
	case HUB_PROBLEMS_NOTFOUND:
		rc = hub_page_error(app, req, 404, "There is no such delivery.");
		break;
	case HUB_PROBLEMS_CONFLICT:
		rc = show(app, req, &s, 409, NULL, "That delivery cannot be retried now: it was"
		    " delivered, is being sent, or its job is already running.");
		break;
	default:
		rc = hub_app_error(app, req, 503, "the database is unavailable, try again shortly",
		    NULL);
		break;
	}
out:
	hub_form_free(&form);
	return rc;
}
