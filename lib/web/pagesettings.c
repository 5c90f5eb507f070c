/*
 * pagesettings.c - /admin/settings (pagesettings.h), driven by the one
 * table of settings in store/settings.c.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pagesettings.h"
#include "approval/adminlog.h"
#include "base/json.h"
#include "base/log.h"
#include "store/settings.h"
#include "web/adminpage.h"
#include "web/page.h"

#define FORM_PAIRS	8
#define VALUE_MAX	4096
#define CHOICE_MAX	64
#define ERR_MAX		256

/* What one POST changed or was refused: shown by its setting. */
struct settings_view {
	int		 status;
	const char	*key;
	const char	*typed;
	const char	*error;
	const char	*notice;
};

/* The choices of a CHOICE setting ("a|b|c") as options, value selected. */
static json_object *
choice_options(const char *choices, const char *value)
{
	json_object *a = json_object_new_array(), *o;
	const char *p = choices;
	char one[CHOICE_MAX];
	size_t n;

	while (a != NULL && p != NULL && *p != '\0') {
		n = strcspn(p, "|");
		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		if ((o = json_object_new_object()) != NULL) {
			hub_json_set_str(o, "value", one);
			json_object_object_add(o, "selected", json_object_new_boolean(
			    strcmp(one, value) == 0));
			json_object_array_add(a, o);
		}
		p += n;
		if (*p == '|')
			p++;
	}
	return a;
}

/* One row of the table: the setting, its value now, its form. */
static json_object *
setting_row(struct hub_db *db, const struct hub_setting *st, const struct settings_view *v)
{
	struct hub_buf cur = HUB_BUF_INIT(VALUE_MAX);
	json_object *o = json_object_new_object();
	const char *shown;
	int mine = v->key != NULL && strcmp(v->key, st->key) == 0;

	if (o == NULL || hub_settings_get(db, st->key, &cur) != HUB_SETTINGS_OK) {
		json_object_put(o);
		hub_buf_release(&cur);
		return NULL;
	}
	shown = mine && v->typed != NULL ? v->typed : hub_buf_str(&cur);
	hub_json_set_str(o, "key", st->key);
	hub_json_set_str(o, "help", st->help);
	hub_json_set_str(o, "current", hub_buf_str(&cur));
	hub_json_set_str(o, "default", st->def);
	json_object_object_add(o, "is_default", json_object_new_boolean(
	    st->def != NULL ? strcmp(st->def, hub_buf_str(&cur)) == 0 : cur.len == 0));
	hub_json_set_str(o, "value", shown);
	hub_json_set_str(o, "anchor", st->key);
	if (st->type == HUB_SETTING_CHOICE) {
		json_object_object_add(o, "choices", choice_options(st->choices, shown));
	} else if (st->type == HUB_SETTING_INT) {
		json_object_object_add(o, "number", json_object_new_boolean(1));
		json_object_object_add(o, "min", json_object_new_int64(st->min));
		json_object_object_add(o, "max", json_object_new_int64(st->max));
		hub_json_set_str(o, "rule", "a whole number");
	} else {
		json_object_object_add(o, "maxlength", json_object_new_int64(st->max));
		hub_json_set_str(o, "rule", st->type == HUB_SETTING_NETWORKS ?
		    "comma-separated networks (CIDR)" : "text");
	}
	if (mine) {
		hub_json_set_str(o, "row_error", v->error);
		hub_json_set_str(o, "row_notice", v->notice);
	}
	hub_buf_release(&cur);
	return o;
}

static int
settings_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    const struct settings_view *v)
{
	json_object *ctx = hub_adminpage_ctx(s, "Settings", HUB_ADMINPAGE_SETTINGS), *rows, *row;
	const struct hub_setting *st;
	struct hub_problem p;
	int rc;

	if (ctx == NULL || (rows = json_object_new_array()) == NULL) {
		json_object_put(ctx);
		return 500;
	}
	json_object_object_add(ctx, "settings", rows);
	for (st = hub_settings; st->key != NULL; st++) {
		if ((row = setting_row(hub_app_db(app), st, v)) == NULL) {
			json_object_put(ctx);
			memset(&p, 0, sizeof(p));
			p.db = HUB_DB_CONN;
			return hub_adminpage_refused(app, req, 0, &p, NULL);
		}
		json_object_array_add(rows, row);
	}
	rc = hub_page_send(app, req, v->status, "admin-settings.html", ctx);
	json_object_put(ctx);
	return rc;
}

int
hub_pagesettings_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct settings_view v = { 200, NULL, NULL, NULL, NULL };
	struct hub_session s;

	if (hub_adminpage_get(app, req, &s) != 0)
		return 0;
	v.key = hub_form_get(&req->args, "saved");
	if (v.key != NULL)
		v.notice = "Saved. It counts from the next request.";
	return settings_page(app, req, &s, &v);
}

int
hub_pagesettings_post(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct settings_view v = { 400, NULL, NULL, NULL, NULL };
	struct hub_form form = { NULL, 0 };
	struct hub_buf path = HUB_BUF_INIT(512);
	struct hub_session s;
	struct hub_actor actor;
	char err[ERR_MAX];
	int reset, rc;

	if (hub_adminpage_post(app, req, FORM_PAIRS, &s, &form) != 0)
		return 0;
	v.key = hub_form_get(&form, "key");
	v.typed = hub_form_get(&form, "value");
	reset = hub_form_get(&form, "reset") != NULL;
	if (v.key == NULL || hub_settings_find(v.key) == NULL) {
		rc = hub_page_error(app, req, 400, "There is no such setting.");
		goto out;
	}
	hub_adminpage_actor(&s, &actor);
	rc = hub_adminlog_setting(hub_app_db(app), &actor, v.key,
	    reset ? NULL : v.typed != NULL ? v.typed : "", err, sizeof(err));
	hub_log(HUB_LOG_INFO, "admin_setting", "user", s.user.id, "key", v.key, "result",
	    hub_adminlog_strerror(rc), NULL);
	if (rc == HUB_ADMINLOG_INVALID) {
		v.error = err;
		rc = settings_page(app, req, &s, &v);
	} else if (rc != HUB_ADMINLOG_OK) {
		rc = hub_page_error(app, req, 503, "The setting could not be saved; try again"
		    " shortly.");
	} else if (hub_buf_adds(&path, "/admin/settings?saved=") != HUB_BUF_OK ||
	    hub_url_encode(v.key, strlen(v.key), &path) != 0 ||
	    hub_buf_adds(&path, "#") != HUB_BUF_OK || hub_buf_adds(&path, v.key) != HUB_BUF_OK) {
		rc = 500;
	} else {
		rc = hub_page_redirect(app, req, 303, hub_buf_str(&path));
	}
out:
	hub_buf_release(&path);
	hub_form_free(&form);
	return rc;
}
