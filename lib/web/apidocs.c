#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "web/apidocs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/tmpl.h"
#include "base/esc.h"

#define DOC_MAX		(4u << 20)
#define DOC_DEPTH	64
#define REF_MAX		(4u << 20)

const struct hub_embed *
hub_apidocs_openapi(void)
{
	return hub_embed_find(hub_embed_templates, "openapi.json");
}

struct docs {
	struct hub_buf	*out;
	json_object	*root;
	int		 err;
};

static void
d_raw(struct docs *d, const char *s)
{
	if (d->err == 0)
		d->err = hub_buf_adds(d->out, s);
}

static void
d_esc(struct docs *d, const char *s)
{
	if (d->err == 0 && s != NULL)
		d->err = hub_esc_html(d->out, s, strlen(s));
}

static const char *
d_str(json_object *o, const char *k)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static json_object *
d_obj(json_object *o, const char *k)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_object))
		return v;
	return NULL;
}

/* Follow a local "$ref": "#/components/schemas/X" once. */
static json_object *
d_deref(struct docs *d, json_object *o)
{
	const char *ref = d_str(o, "$ref"), *p;
	json_object *cur = d->root;
	char seg[128];
	size_t n;

	if (ref == NULL || strncmp(ref, "#/", 2) != 0)
		return o;
	for (p = ref + 2; cur != NULL && *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = d_obj(cur, seg);
	}
	return cur;
}

static void
d_type(struct docs *d, json_object *schema)
{
	json_object *s = d_deref(d, schema), *t;
	const char *ref = d_str(schema, "$ref");

	if (ref != NULL && strrchr(ref, '/') != NULL) {
		d_esc(d, strrchr(ref, '/') + 1);
		return;
	}
	if (s == NULL)
		return;
	if (json_object_object_get_ex(s, "type", &t)) {
		if (json_object_is_type(t, json_type_array))
			d_esc(d, json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
		else
			d_esc(d, json_object_get_string(t));
		if (json_object_is_type(t, json_type_string) &&
		    strcmp(json_object_get_string(t), "array") == 0 && d_obj(s, "items") != NULL) {
			d_raw(d, " of ");
			d_type(d, d_obj(s, "items"));
		}
	}
	if (json_object_object_get_ex(s, "enum", &t)) {
		d_raw(d, " <code>");
		d_esc(d, json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		d_raw(d, "</code>");
	}
}

/* The properties of an object schema as a table. */
static void
d_fields(struct docs *d, json_object *schema)
{
	json_object *s = d_deref(d, schema), *props = d_obj(s, "properties"), *req = NULL;
	size_t i;

	if (props == NULL)
		return;
	json_object_object_get_ex(s, "required", &req);
	d_raw(d, "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>\n");
	json_object_object_foreach(props, k, v) {
		int required = 0;

		for (i = 0; req != NULL && json_object_is_type(req, json_type_array) &&
		    i < json_object_array_length(req); i++)
			required |= strcmp(json_object_get_string(
			    json_object_array_get_idx(req, i)), k) == 0;
		d_raw(d, "<tr><td><code>");
		d_esc(d, k);
		d_raw(d, "</code></td><td>");
		d_type(d, v);
		d_raw(d, required ? "</td><td>yes</td><td>" : "</td><td></td><td>");
		d_esc(d, d_str(d_deref(d, v), "description"));
		d_raw(d, "</td></tr>\n");
	}
	d_raw(d, "</table>\n");
}

/* The operation's parameters table (none: nothing). */
static void
d_params(struct docs *d, json_object *op)
{
	json_object *params, *p;
	size_t i;

	if (!json_object_object_get_ex(op, "parameters", &params) ||
	    !json_object_is_type(params, json_type_array) ||
	    json_object_array_length(params) == 0)
		return;
	d_raw(d, "<h4>Parameters</h4>\n<table><tr><th>name</th><th>in</th>"
	    "<th>type</th><th>description</th></tr>\n");
	for (i = 0; i < json_object_array_length(params); i++) {
		p = d_deref(d, json_object_array_get_idx(params, i));
		d_raw(d, "<tr><td><code>");
		d_esc(d, d_str(p, "name"));
		d_raw(d, "</code></td><td>");
		d_esc(d, d_str(p, "in"));
		d_raw(d, "</td><td>");
		d_type(d, d_obj(p, "schema"));
		d_raw(d, "</td><td>");
		d_esc(d, d_str(p, "description"));
		d_raw(d, "</td></tr>\n");
	}
	d_raw(d, "</table>\n");
}

/* The responses table: status, description, each media type and its
 * body's type. */
static void
d_responses(struct docs *d, json_object *resp)
{
	json_object *rr, *content, *media;

	d_raw(d, "<h4>Responses</h4>\n<table><tr><th>status</th><th>description</th>"
	    "<th>body</th></tr>\n");
	json_object_object_foreach(resp, code, r) {
		rr = d_deref(d, r);
		d_raw(d, "<tr><td>");
		d_esc(d, code);
		d_raw(d, "</td><td>");
		d_esc(d, d_str(rr, "description"));
		d_raw(d, "</td><td>");
		if ((content = d_obj(rr, "content")) != NULL) {
			json_object_object_foreach(content, mt, m) {
				d_esc(d, mt);
				if ((media = d_obj(m, "schema")) != NULL) {
					d_raw(d, ": ");
					d_type(d, media);
				}
			}
		}
		d_raw(d, "</td></tr>\n");
	}
	d_raw(d, "</table>\n");
}

static void
d_operation(struct docs *d, const char *path, const char *method, json_object *op)
{
	json_object *body, *resp, *content;
	char upper[16];
	size_t i;

	for (i = 0; method[i] != '\0' && i + 1 < sizeof(upper); i++)
		upper[i] = (char)toupper((unsigned char)method[i]);
	upper[i] = '\0';
	d_raw(d, "<section class=\"endpoint\"><h3><code>");
	d_esc(d, upper);
	d_raw(d, " ");
	d_esc(d, path);
	d_raw(d, "</code></h3>\n<p><strong>");
	d_esc(d, d_str(op, "summary"));
	d_raw(d, "</strong></p>\n<p>");
	d_esc(d, d_str(op, "description"));
	d_raw(d, "</p>\n");
	d_params(d, op);
	body = d_deref(d, d_obj(op, "requestBody"));
	if ((content = d_obj(body, "content")) != NULL) {
		d_raw(d, "<h4>Request body</h4>\n");
		json_object_object_foreach(content, mt, m) {
			d_raw(d, "<p><code>");
			d_esc(d, mt);
			d_raw(d, "</code></p>\n");
			d_fields(d, d_obj(m, "schema"));
		}
	}
	if ((resp = d_obj(op, "responses")) != NULL)
		d_responses(d, resp);
	d_raw(d, "</section>\n");
}

/* The endpoints grouped by their first tag, in the order the tags are
 * listed; the page around them is templates/api-docs.html. */
static int
docs_render(json_object *root, struct hub_buf *out)
{
	static const char *const methods[] = { "get", "post", "patch", "put", "delete", NULL };
	struct docs d = { out, root, 0 };
	json_object *paths = d_obj(root, "paths"), *tags;
	char anchor[64];
	size_t t, ntags;
	int m;

	if (!json_object_object_get_ex(root, "tags", &tags) ||
	    !json_object_is_type(tags, json_type_array))
		tags = NULL;
	ntags = tags != NULL ? json_object_array_length(tags) : 0;
	for (t = 0; t < ntags; t++) {
		json_object *tag = json_object_array_get_idx(tags, t);
		const char *tname = d_str(tag, "name");

		if (tname == NULL || paths == NULL)
			continue;
		snprintf(anchor, sizeof(anchor), "<h2 id=\"tag-%zu\">", t);
		d_raw(&d, anchor);
		d_esc(&d, tname);
		d_raw(&d, "</h2>\n");
		json_object_object_foreach(paths, path, item) {
			for (m = 0; methods[m] != NULL; m++) {
				json_object *op = d_obj(item, methods[m]), *otags;
				const char *first;

				if (op == NULL || !json_object_object_get_ex(op, "tags", &otags) ||
				    !json_object_is_type(otags, json_type_array) ||
				    json_object_array_length(otags) == 0)
					continue;
				first = json_object_get_string(json_object_array_get_idx(otags, 0));
				if (first != NULL && strcmp(first, tname) == 0)
					d_operation(&d, path, methods[m], op);
			}
		}
	}
	return d.err;
}

/* The page's context: the document's info around the rendered reference. */
static json_object *
page_context(json_object *root, const char *reference)
{
	json_object *ctx = json_object_new_object(), *info = d_obj(root, "info"), *v;

	if (ctx == NULL)
		return NULL;
	json_object_object_add(ctx, "title", json_object_new_string("API reference"));
	json_object_object_add(ctx, "api_title", json_object_new_string(d_str(info, "title") ?
	    d_str(info, "title") : "API"));
	json_object_object_add(ctx, "version", json_object_new_string(d_str(info, "version") ?
	    d_str(info, "version") : ""));
	json_object_object_add(ctx, "description", json_object_new_string(
	    d_str(info, "description") ? d_str(info, "description") : ""));
	json_object_object_add(ctx, "openapi", json_object_new_string(d_str(root, "openapi") ?
	    d_str(root, "openapi") : ""));
	if (json_object_object_get_ex(root, "tags", &v))
		json_object_object_add(ctx, "tags", json_object_get(v));
	json_object_object_add(ctx, "reference", json_object_new_string(reference));
	return ctx;
}

int
hub_apidocs_page(struct hub_buf *page)
{
	const struct hub_embed *e = hub_apidocs_openapi();
	struct hub_buf ref = HUB_BUF_INIT(REF_MAX);
	json_object *root = NULL, *ctx = NULL;
	int rc = HUB_APIDOCS_FAILED;

	if (e == NULL)
		return HUB_APIDOCS_NOTBUILT;
	if (hub_json_parse_object(e->data, e->len, DOC_MAX, DOC_DEPTH, &root) != HUB_JSON_OK) {
		hub_log(HUB_LOG_ERROR, "openapi_unparsable", NULL);
		goto out;
	}
	if (docs_render(root, &ref) != 0 || (ctx = page_context(root, hub_buf_str(&ref))) == NULL)
		goto out;
	if (hub_tmpl_render_page("api-docs.html", ctx, page) != HUB_TMPL_OK) {
		hub_log(HUB_LOG_ERROR, "api_docs_render_failed", "error", hub_tmpl_errmsg(), NULL);
		goto out;
	}
	rc = HUB_APIDOCS_OK;
out:
	json_object_put(ctx);
	json_object_put(root);
	hub_buf_release(&ref);
	return rc;
}
