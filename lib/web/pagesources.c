/*
 * pagesources.c - /admin/sources (pagesources.h).
 *
 * The settings form maps onto sourceadmin.h's settable fields through one
 * table (fields[]): how a typed value becomes the JSON the admin API takes,
 * and how a stored value is shown again.  The module validates; this page
 * only shows its verdict next to the field it names, with what was typed
 * kept (a callback secret is never shown, typed or stored).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "web/pagesources.h"
#include "approval/sourceadmin.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/connadmin.h"
#include "web/adminpage.h"
#include "web/page.h"

#define FORM_PAIRS	40

enum fkind {
	FK_TEXT,	/* "" clears (null) */
	FK_WORD,	/* always sent as typed (rule) */
	FK_DURATION,	/* "" clears; digits are seconds; else "4h", "2d", "PT4H" */
	FK_BOOL,	/* a checkbox: present is true */
	FK_LIST,	/* comma- or line-separated names -> array */
	FK_SECRET,	/* "" keeps the stored one; <name>_clear clears it */
	FK_JSON,	/* a JSON object as typed; "" is {} */
};

#define JSON_FIELD_MAX	(64u * 1024u)
#define JSON_DEPTH	4

static const struct {
	const char	*name;
	enum fkind	 kind;
} fields[] = {
	{ "description", FK_TEXT },
	{ "connection", FK_TEXT },
	{ "channel", FK_TEXT },
	{ "delivery_mode", FK_TEXT },
	{ "rule", FK_WORD },
	{ "deadline", FK_DURATION },
	{ "reminder_every", FK_DURATION },
	{ "callback_url", FK_TEXT },
	{ "callback_secret", FK_SECRET },
	{ "callback_allow_networks", FK_TEXT },
	{ "allow_self_approval", FK_BOOL },
	{ "reason_required", FK_BOOL },
	{ "editable_fields", FK_LIST },
	{ "disabled", FK_BOOL },
	{ "templates", FK_JSON },
};

/* The names a module's problem may point at (inline errors). */
static const char *const field_names[] = {
	"name", "description", "connection", "channel", "delivery_mode", "rule", "deadline",
	"reminder_every", "callback_url", "callback_secret", "callback_allow_networks",
	"allow_self_approval", "reason_required", "editable_fields", "disabled", "templates",
	NULL,
};

static const char *const modes[] = { "", "dm", "group_dm", "channel", "both", NULL };
static const char *const mode_labels[] = {
	"Global setting (delivery.mode)", "Direct message", "Group DM", "Channel",
	"Direct message and channel", NULL,
};
static const char *const rules[] = { "any", "all", "quorum", NULL };
static const char *const rule_labels[] = {
	"Any approver decides", "All must approve", "Quorum", NULL,
};

/* ------------------------------------------------------------ values */

/* "2d", "4h", "90m", "45s" for seconds (the largest unit that divides). */
static void
duration_text(long long secs, char *out, size_t len)
{
	if (secs % 86400 == 0)
		snprintf(out, len, "%lldd", secs / 86400);
	else if (secs % 3600 == 0)
		snprintf(out, len, "%lldh", secs / 3600);
	else if (secs % 60 == 0)
		snprintf(out, len, "%lldm", secs / 60);
	else
		snprintf(out, len, "%llds", secs);
}

static int
all_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return i > 0 && i < 16;
}

/* The admin API's body for the typed form: every field of fields[].  A
 * JSON field that does not parse is the page's own refusal (p). */
static json_object *
body_of(const struct hub_form *form, struct hub_problem *p, int *refused)
{
	json_object *in = json_object_new_object(), *o;
	const char *v;
	char clear[64];
	size_t i;

	for (i = 0; in != NULL && i < HUB_NELEM(fields); i++) {
		v = hub_form_get(form, fields[i].name);
		switch (fields[i].kind) {
		case FK_BOOL:
			json_object_object_add(in, fields[i].name,
			    json_object_new_boolean(v != NULL && v[0] != '\0'));
			break;
		case FK_LIST:
			json_object_object_add(in, fields[i].name, hub_adminpage_list(v));
			break;
		case FK_SECRET:
			snprintf(clear, sizeof(clear), "%s_clear", fields[i].name);
			if (hub_form_get(form, clear) != NULL)
				json_object_object_add(in, fields[i].name, NULL);
			else if (v != NULL && v[0] != '\0')
				hub_json_set_str(in, fields[i].name, v);
			break;
		case FK_DURATION:
			if (v != NULL && all_digits(v))
				json_object_object_add(in, fields[i].name,
				    json_object_new_int64(strtoll(v, NULL, 10)));
			else
				json_object_object_add(in, fields[i].name, v != NULL && v[0] != '\0' ?
				    json_object_new_string(v) : NULL);
			break;
		case FK_WORD:
			hub_json_set_str(in, fields[i].name, v != NULL ? v : "");
			break;
		case FK_JSON:
			o = NULL;
			if ((v == NULL || v[strspn(v, " \t\r\n")] == '\0') ?
			    (o = json_object_new_object()) == NULL :
			    hub_json_parse_object(v, strlen(v), JSON_FIELD_MAX, JSON_DEPTH, &o) !=
			    HUB_JSON_OK) {
				*refused = 1;
				hub_problem(p, fields[i].name, "templates must be a JSON object, such"
				    " as {\"call_for_action\": {\"intro\": \"...\"}}", 0);
			}
			json_object_object_add(in, fields[i].name, o);
			break;
		default:
			json_object_object_add(in, fields[i].name, v != NULL && v[0] != '\0' ?
			    json_object_new_string(v) : NULL);
			break;
		}
	}
	return in;
}

/* The form's values as the template shows them, from the stored source. */
static json_object *
form_of_source(json_object *src)
{
	json_object *f = json_object_new_object(), *v, *e;
	char text[64];
	size_t i, j;

	for (i = 0; f != NULL && i < HUB_NELEM(fields); i++) {
		if (!json_object_object_get_ex(src, fields[i].name, &v) || v == NULL)
			continue;
		switch (fields[i].kind) {
		case FK_BOOL:
			json_object_object_add(f, fields[i].name, json_object_get(v));
			break;
		case FK_DURATION:
			duration_text(json_object_get_int64(v), text, sizeof(text));
			hub_json_set_str(f, fields[i].name, text);
			break;
		case FK_LIST: {
			struct hub_buf b = HUB_BUF_INIT(16384);

			for (j = 0; j < json_object_array_length(v); j++) {
				e = json_object_array_get_idx(v, j);
				hub_buf_printf(&b, "%s%s", j > 0 ? ", " : "", json_object_get_string(e));
			}
			hub_json_set_str(f, fields[i].name, hub_buf_str(&b));
			hub_buf_release(&b);
			break;
		}
		case FK_SECRET:
			break;	/* never shown again */
		case FK_JSON:
			if (json_object_object_length(v) > 0)
				hub_json_set_str(f, fields[i].name, json_object_to_json_string_ext(v,
				    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
			break;
		default:
			hub_json_set_str(f, fields[i].name, json_object_get_string(v));
			break;
		}
	}
	return f;
}

/* The form's values as typed (a refused save shows them again). */
static json_object *
form_of_post(const struct hub_form *form)
{
	json_object *f = json_object_new_object();
	const char *v;
	size_t i;

	for (i = 0; f != NULL && i < HUB_NELEM(fields); i++) {
		v = hub_form_get(form, fields[i].name);
		if (fields[i].kind == FK_BOOL)
			json_object_object_add(f, fields[i].name,
			    json_object_new_boolean(v != NULL && v[0] != '\0'));
		else if (fields[i].kind != FK_SECRET)
			hub_json_set_str(f, fields[i].name, v);
	}
	return f;
}

/* ctx.<key>: [{value, label, selected}] of values, current selected. */
static void
options(json_object *ctx, const char *key, const char *const *values,
    const char *const *labels, const char *current)
{
	json_object *a = json_object_new_array(), *o;
	size_t i;

	for (i = 0; a != NULL && values[i] != NULL; i++) {
		if ((o = json_object_new_object()) == NULL)
			break;
		hub_json_set_str(o, "value", values[i]);
		hub_json_set_str(o, "label", labels != NULL ? labels[i] : values[i]);
		json_object_object_add(o, "selected", json_object_new_boolean(
		    strcmp(values[i], current != NULL ? current : "") == 0));
		json_object_array_add(a, o);
	}
	json_object_object_add(ctx, key, a);
}

/* The Slack connections to choose from ("" is the global default). */
static void
connection_options(struct hub_db *db, json_object *ctx, const char *current)
{
	json_object *list = NULL, *arr, *a, *o, *c, *name;
	struct hub_problem p;
	size_t i;

	if ((a = json_object_new_array()) == NULL)
		return;
	if ((o = json_object_new_object()) != NULL) {
		hub_json_set_str(o, "value", "");
		hub_json_set_str(o, "label", "The default connection");
		json_object_object_add(o, "selected", json_object_new_boolean(
		    current == NULL || current[0] == '\0'));
		json_object_array_add(a, o);
	}
	if (hub_connadm_list(db, &list, &p) == HUB_CONNADM_OK &&
	    json_object_object_get_ex(list, "connections", &arr)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			c = json_object_array_get_idx(arr, i);
			if (!json_object_object_get_ex(c, "name", &name) ||
			    (o = json_object_new_object()) == NULL)
				continue;
			hub_json_set_str(o, "value", json_object_get_string(name));
			hub_json_set_str(o, "label", json_object_get_string(name));
			json_object_object_add(o, "selected", json_object_new_boolean(current != NULL &&
			    strcmp(current, json_object_get_string(name)) == 0));
			json_object_array_add(a, o);
		}
	}
	json_object_put(list);
	json_object_object_add(ctx, "connections", a);
}

/* ------------------------------------------------------------ pages */

/* The list with the "new source" form; new_name/err after a refused create. */
static int
list_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    int status, const struct hub_form *form, const struct hub_problem *err)
{
	json_object *ctx = hub_adminpage_ctx(s, "Sources", HUB_ADMINPAGE_SOURCES), *list = NULL;
	struct hub_problem p;
	int rc;

	if (ctx == NULL)
		return 500;
	if ((rc = hub_srcadm_list(hub_app_db(app), &list, &p)) != HUB_SRCADM_OK) {
		json_object_put(ctx);
		return hub_adminpage_refused(app, req, 0, &p, NULL);
	}
	json_object_object_add(ctx, "sources", json_object_get(json_object_object_get(list,
	    "sources")));
	if (form != NULL) {
		hub_json_set_str(ctx, "new_name", hub_form_get(form, "name"));
		hub_json_set_str(ctx, "new_description", hub_form_get(form, "description"));
	}
	if (err != NULL)
		hub_adminpage_field_error(ctx, err, field_names);
	rc = hub_page_send(app, req, status, "admin-sources.html", ctx);
	json_object_put(list);
	json_object_put(ctx);
	return rc;
}

int
hub_pagesources_list(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_session s;

	if (hub_adminpage_get(app, req, &s) != 0)
		return 0;
	return list_page(app, req, &s, 200, NULL, NULL);
}

int
hub_pagesources_create(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_adminpage_action a;
	json_object *id, *key;
	const char *name, *desc;
	char back[64];
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
	if (desc != NULL && desc[0] != '\0')
		hub_json_set_str(a.in, "description", desc);
	rc = hub_srcadm_create(hub_app_db(app), &app->conf, a.in, &a.actor, &a.out, &a.p);
	hub_log(HUB_LOG_INFO, "admin_source_create", "user", a.s.user.id, "result",
	    rc == HUB_SRCADM_OK ? "ok" : "refused", NULL);
	if (rc == HUB_SRCADM_INVALID || rc == HUB_SRCADM_EXISTS) {
		rc = list_page(app, req, &a.s, 400, &a.form, &a.p);
		goto out;
	}
	if (rc != HUB_SRCADM_OK) {
		rc = hub_adminpage_refused(app, req, 0, &a.p, NULL);
		goto out;
	}
	json_object_object_get_ex(a.out, "id", &id);
	json_object_object_get_ex(a.out, "api_key", &key);
	snprintf(back, sizeof(back), "/admin/sources/%s", json_object_get_string(id));
	rc = hub_adminpage_secret(app, req, &a.s, HUB_ADMINPAGE_SOURCES, "Source created",
	    "The source's API key. Copy it into the source system now: it is shown only"
	    " this once and cannot be read again.", json_object_get_string(key), back,
	    "Set up this source's defaults");
out:
	hub_adminpage_end(&a);
	return rc;
}

/* One source's settings form: stored values, or the typed ones with the
 * module's verdict after a refused save. */
static int
source_page(struct hub_app_ctx *app, struct hub_req *req, const struct hub_session *s,
    int status, const struct hub_form *form, const struct hub_problem *err, int saved)
{
	struct hub_db *db = hub_app_db(app);
	json_object *ctx = NULL, *src = NULL, *f, *v;
	struct hub_problem p;
	int rc;

	if ((rc = hub_srcadm_get(db, req->captures[0], &src, &p)) != HUB_SRCADM_OK)
		return hub_adminpage_refused(app, req, rc == HUB_SRCADM_NOTFOUND ? 404 : 0, &p,
		    "There is no such source.");
	if ((ctx = hub_adminpage_ctx(s, "Source", HUB_ADMINPAGE_SOURCES)) == NULL) {
		json_object_put(src);
		return 500;
	}
	f = form != NULL ? form_of_post(form) : form_of_source(src);
	json_object_object_add(ctx, "source", src);
	json_object_object_add(ctx, "form", f);
	json_object_object_add(ctx, "saved", json_object_new_boolean(saved));
	v = json_object_object_get(f, "delivery_mode");
	options(ctx, "modes", modes, mode_labels, v != NULL ? json_object_get_string(v) : "");
	v = json_object_object_get(f, "rule");
	options(ctx, "rules", rules, rule_labels, v != NULL ? json_object_get_string(v) : "any");
	v = json_object_object_get(f, "connection");
	connection_options(db, ctx, v != NULL ? json_object_get_string(v) : NULL);
	if (err != NULL)
		hub_adminpage_field_error(ctx, err, field_names);
	rc = hub_page_send(app, req, status, "admin-source.html", ctx);
	json_object_put(ctx);
	return rc;
}

int
hub_pagesources_show(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_session s;

	if (hub_adminpage_get(app, req, &s) != 0)
		return 0;
	return source_page(app, req, &s, 200, NULL, NULL, 0);
}

int
hub_pagesources_update(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_adminpage_action a;
	int rc, refused = 0;

	if (hub_adminpage_begin(app, req, FORM_PAIRS, &a) != 0)
		return 0;
	if ((a.in = body_of(&a.form, &a.p, &refused)) == NULL) {
		rc = 500;
		goto out;
	}
	if (refused) {
		rc = source_page(app, req, &a.s, 400, &a.form, &a.p, 0);
		goto out;
	}
	rc = hub_srcadm_patch(hub_app_db(app), &app->conf, req->captures[0], a.in, &a.actor,
	    &a.out, &a.p);
	hub_log(HUB_LOG_INFO, "admin_source_update", "user", a.s.user.id, "source",
	    req->captures[0], "result", rc == HUB_SRCADM_OK ? "ok" : "refused", NULL);
	/* p.field may name a key of in: the page is rendered before in goes. */
	if (rc == HUB_SRCADM_INVALID || rc == HUB_SRCADM_EXISTS)
		rc = source_page(app, req, &a.s, 400, &a.form, &a.p, 0);
	else if (rc == HUB_SRCADM_OK)
		rc = source_page(app, req, &a.s, 200, NULL, NULL, 1);
	else
		rc = hub_adminpage_refused(app, req, rc == HUB_SRCADM_NOTFOUND ? 404 : 0, &a.p,
		    "There is no such source.");
out:
	hub_adminpage_end(&a);
	return rc;
}

int
hub_pagesources_rotate(struct hub_req *req, void *arg)
{
	struct hub_app_ctx *app = arg;
	struct hub_adminpage_action a;
	json_object *key;
	char back[64];
	int rc;

	if (hub_adminpage_begin(app, req, 4, &a) != 0)
		return 0;
	rc = hub_srcadm_rotate(hub_app_db(app), req->captures[0], &a.actor, &a.out, &a.p);
	hub_log(HUB_LOG_INFO, "admin_source_rotate", "user", a.s.user.id, "source",
	    req->captures[0], "result", rc == HUB_SRCADM_OK ? "ok" : "refused", NULL);
	if (rc != HUB_SRCADM_OK) {
		rc = hub_adminpage_refused(app, req, rc == HUB_SRCADM_NOTFOUND ? 404 : 0, &a.p,
		    "There is no such source.");
		goto out;
	}
	json_object_object_get_ex(a.out, "api_key", &key);
	snprintf(back, sizeof(back), "/admin/sources/%s", req->captures[0]);
	rc = hub_adminpage_secret(app, req, &a.s, HUB_ADMINPAGE_SOURCES, "New API key",
	    "Every earlier key of this source has stopped working. Put this one into the"
	    " source system now: it is shown only this once.", json_object_get_string(key),
	    back, "Back to the source");
out:
	hub_adminpage_end(&a);
	return rc;
}
