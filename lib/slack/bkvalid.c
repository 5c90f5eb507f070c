/*
 * bkvalid.c - the Block Kit validator (bkvalid.h): arbitrary JSON checked
 * against every limit blockkit.h states, with the path of the first break.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"
#include "slack/bkvalid.h"

/* ------------------------------------------------------------ validator */

struct vctx {
	char	*err;
	size_t	 errlen;
	int	 has_input;
};

#define PATHMAX 160

static int vfail(struct vctx *, const char *, const char *, ...)
    HUB_PRINTF(3, 4);

static int
vfail(struct vctx *v, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (v->err != NULL && v->errlen > 0) {
		n = snprintf(v->err, v->errlen, "%s: ", path);
		if (n >= 0 && (size_t)n < v->errlen) {
			va_start(ap, fmt);
			vsnprintf(v->err + n, v->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return HUB_BK_INVALID;
}

static void
subpath(char *dst, const char *path, const char *key, long idx)
{
	if (idx >= 0)
		snprintf(dst, PATHMAX, "%s.%s[%ld]", path, key, idx);
	else
		snprintf(dst, PATHMAX, "%s.%s", path, key);
}

/* Only the keys in `allowed` (NULL-terminated) may appear. */
static int
v_keys(struct vctx *v, json_object *o, const char *path,
    const char *const *allowed)
{
	const char *const *a;

	json_object_object_foreach(o, key, val) {
		(void)val;
		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL)
			return vfail(v, path, "unexpected key \"%s\"", key);
	}
	return HUB_BK_OK;
}

/* o[key] as a string of 1..max code points; *out may be NULL. */
static int
v_str(struct vctx *v, json_object *o, const char *path, const char *key,
    int required, size_t max, const char **out)
{
	json_object *s;
	const char *str;
	size_t n;

	if (out)
		*out = NULL;
	if (!json_object_object_get_ex(o, key, &s)) {
		if (required)
			return vfail(v, path, "missing \"%s\"", key);
		return HUB_BK_OK;
	}
	if (!json_object_is_type(s, json_type_string))
		return vfail(v, path, "\"%s\" is not a string", key);
	str = json_object_get_string(s);
	if (strlen(str) != (size_t)json_object_get_string_len(s) ||
	    !hub_utf8_valid(str, strlen(str)))
		return vfail(v, path, "\"%s\" is not valid UTF-8", key);
	if (*str == '\0')
		return vfail(v, path, "\"%s\" is empty", key);
	if ((n = hub_bk_strlen(str)) > max)
		return vfail(v, path, "\"%s\" has %zu characters, max %zu",
		    key, n, max);
	if (out)
		*out = str;
	return HUB_BK_OK;
}

static int
v_bool(struct vctx *v, json_object *o, const char *path, const char *key)
{
	json_object *b;

	if (json_object_object_get_ex(o, key, &b) &&
	    !json_object_is_type(b, json_type_boolean))
		return vfail(v, path, "\"%s\" is not a boolean", key);
	return HUB_BK_OK;
}

static int
v_url(struct vctx *v, json_object *o, const char *path, const char *key,
    int required)
{
	const char *u;
	int rc;

	if ((rc = v_str(v, o, path, key, required, HUB_BK_MAX_URL, &u)) != 0)
		return rc;
	if (u != NULL && hub_bk_url_check(u) != HUB_BK_OK)
		return vfail(v, path, "\"%s\" is not a usable URL", key);
	return HUB_BK_OK;
}

#define TEXT_PLAIN	1
#define TEXT_ANY	2

static int
v_text(struct vctx *v, json_object *parent, const char *path,
    const char *key, int required, int kind, size_t max)
{
	static const char *const plain_keys[] = { "type", "text", "emoji",
	    NULL };
	static const char *const mrkdwn_keys[] = { "type", "text", "verbatim",
	    NULL };
	char p[PATHMAX];
	json_object *t;
	const char *type;
	int rc;

	if (!json_object_object_get_ex(parent, key, &t)) {
		if (required)
			return vfail(v, path, "missing \"%s\"", key);
		return HUB_BK_OK;
	}
	subpath(p, path, key, -1);
	if (!json_object_is_type(t, json_type_object))
		return vfail(v, p, "not a text object");
	if ((rc = v_str(v, t, p, "type", 1, 32, &type)) != 0)
		return rc;
	if (strcmp(type, "plain_text") == 0)
		rc = v_keys(v, t, p, plain_keys);
	else if (strcmp(type, "mrkdwn") == 0 && kind == TEXT_ANY)
		rc = v_keys(v, t, p, mrkdwn_keys);
	else
		return vfail(v, p, "text type \"%s\" not allowed here", type);
	if (rc != 0 || (rc = v_str(v, t, p, "text", 1, max, NULL)) != 0 ||
	    (rc = v_bool(v, t, p, "emoji")) != 0 ||
	    (rc = v_bool(v, t, p, "verbatim")) != 0)
		return rc;
	return HUB_BK_OK;
}

/* o[key] must be an array of min..max items; *out borrowed. */
static int
v_array(struct vctx *v, json_object *o, const char *path, const char *key,
    int required, size_t min, size_t max, json_object **out)
{
	json_object *a;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &a)) {
		if (required)
			return vfail(v, path, "missing \"%s\"", key);
		return HUB_BK_OK;
	}
	if (!json_object_is_type(a, json_type_array))
		return vfail(v, path, "\"%s\" is not an array", key);
	n = json_object_array_length(a);
	if (n < min)
		return vfail(v, path, "%zu %s, min %zu", n, key, min);
	if (n > max)
		return vfail(v, path, "%zu %s, max %zu", n, key, max);
	*out = a;
	return HUB_BK_OK;
}

static int
v_confirm(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "title", "text", "confirm", "deny",
	    "style", NULL };
	char p[PATHMAX];
	json_object *c;
	const char *style;
	int rc;

	if (!json_object_object_get_ex(o, "confirm", &c))
		return HUB_BK_OK;
	subpath(p, path, "confirm", -1);
	if (!json_object_is_type(c, json_type_object))
		return vfail(v, p, "not an object");
	if ((rc = v_keys(v, c, p, keys)) != 0 ||
	    (rc = v_text(v, c, p, "title", 1, TEXT_PLAIN,
	    HUB_BK_MAX_CONFIRM_TITLE)) != 0 ||
	    (rc = v_text(v, c, p, "text", 1, TEXT_ANY,
	    HUB_BK_MAX_CONFIRM_TEXT)) != 0 ||
	    (rc = v_text(v, c, p, "confirm", 1, TEXT_PLAIN,
	    HUB_BK_MAX_CONFIRM_BUTTON)) != 0 ||
	    (rc = v_text(v, c, p, "deny", 1, TEXT_PLAIN,
	    HUB_BK_MAX_CONFIRM_BUTTON)) != 0 ||
	    (rc = v_str(v, c, p, "style", 0, 16, &style)) != 0)
		return rc;
	if (style && strcmp(style, "primary") != 0 &&
	    strcmp(style, "danger") != 0)
		return vfail(v, p, "style \"%s\"", style);
	return HUB_BK_OK;
}

static int
v_option(struct vctx *v, json_object *o, const char *path, int allow_url)
{
	static const char *const keys[] = { "text", "value", "description",
	    "url", NULL };
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return vfail(v, path, "not an option object");
	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_text(v, o, path, "text", 1, TEXT_PLAIN,
	    HUB_BK_MAX_OPTION_TEXT)) != 0 ||
	    (rc = v_str(v, o, path, "value", 1, HUB_BK_MAX_OPTION_VALUE,
	    NULL)) != 0 ||
	    (rc = v_text(v, o, path, "description", 0, TEXT_PLAIN,
	    HUB_BK_MAX_OPTION_TEXT)) != 0)
		return rc;
	if (json_object_object_get_ex(o, "url", NULL)) {
		if (!allow_url)
			return vfail(v, path, "url only allowed in overflow");
		return v_url(v, o, path, "url", 1);
	}
	return HUB_BK_OK;
}

static int
v_options(struct vctx *v, json_object *o, const char *path, size_t min,
    size_t max, int allow_url, json_object **arr)
{
	char p[PATHMAX];
	size_t i, n;
	int rc;

	if ((rc = v_array(v, o, path, "options", 1, min, max, arr)) != 0)
		return rc;
	n = json_object_array_length(*arr);
	for (i = 0; i < n; i++) {
		subpath(p, path, "options", (long)i);
		if ((rc = v_option(v, json_object_array_get_idx(*arr, i), p,
		    allow_url)) != 0)
			return rc;
	}
	return HUB_BK_OK;
}

static int
v_button(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "type", "text", "action_id",
	    "value", "url", "style", "confirm", "accessibility_label", NULL };
	const char *style;
	int rc;

	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_text(v, o, path, "text", 1, TEXT_PLAIN,
	    HUB_BK_MAX_BUTTON_TEXT)) != 0 ||
	    (rc = v_str(v, o, path, "value", 0, HUB_BK_MAX_BUTTON_VALUE,
	    NULL)) != 0 ||
	    (rc = v_url(v, o, path, "url", 0)) != 0 ||
	    (rc = v_str(v, o, path, "accessibility_label", 0,
	    HUB_BK_MAX_BUTTON_TEXT, NULL)) != 0 ||
	    (rc = v_str(v, o, path, "style", 0, 16, &style)) != 0 ||
	    (rc = v_confirm(v, o, path)) != 0)
		return rc;
	if (style && strcmp(style, "primary") != 0 &&
	    strcmp(style, "danger") != 0)
		return vfail(v, path, "style \"%s\"", style);
	return HUB_BK_OK;
}

static int
v_overflow(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "type", "action_id", "options",
	    "confirm", NULL };
	json_object *arr;
	int rc;

	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_options(v, o, path, HUB_BK_MIN_OVERFLOW,
	    HUB_BK_MAX_OVERFLOW, 1, &arr)) != 0)
		return rc;
	return v_confirm(v, o, path);
}

static int
v_static_select(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "type", "action_id", "options",
	    "placeholder", "initial_option", "confirm", "focus_on_load", NULL };
	json_object *arr, *init;
	size_t i, n;
	int rc;

	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_text(v, o, path, "placeholder", 0, TEXT_PLAIN,
	    HUB_BK_MAX_PLACEHOLDER)) != 0 ||
	    (rc = v_options(v, o, path, 1, HUB_BK_MAX_OPTIONS, 0, &arr)) != 0 ||
	    (rc = v_confirm(v, o, path)) != 0 ||
	    (rc = v_bool(v, o, path, "focus_on_load")) != 0)
		return rc;
	if (json_object_object_get_ex(o, "initial_option", &init)) {
		n = json_object_array_length(arr);
		for (i = 0; i < n; i++)
			if (json_object_equal(init,
			    json_object_array_get_idx(arr, i)))
				break;
		if (i == n)
			return vfail(v, path, "initial_option is not one of "
			    "the options");
	}
	return HUB_BK_OK;
}

static int
v_length(struct vctx *v, json_object *o, const char *path, const char *key,
    int min, int *out)
{
	json_object *n;
	int64_t x;

	*out = -1;
	if (!json_object_object_get_ex(o, key, &n))
		return HUB_BK_OK;
	if (!json_object_is_type(n, json_type_int))
		return vfail(v, path, "\"%s\" is not an integer", key);
	x = json_object_get_int64(n);
	if (x < min || x > HUB_BK_MAX_INPUT_LEN)
		return vfail(v, path, "\"%s\" %lld outside %d..%d", key,
		    (long long)x, min, HUB_BK_MAX_INPUT_LEN);
	*out = (int)x;
	return HUB_BK_OK;
}

static int
v_text_input(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "type", "action_id", "placeholder",
	    "initial_value", "multiline", "min_length", "max_length",
	    "dispatch_action_config", "focus_on_load", NULL };
	static const char *const triggers[] = { "on_enter_pressed",
	    "on_character_entered" };
	json_object *cfg, *arr, *t;
	char p[PATHMAX];
	const char *iv;
	int rc, min, max;
	size_t i, j, n;

	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_text(v, o, path, "placeholder", 0, TEXT_PLAIN,
	    HUB_BK_MAX_PLACEHOLDER)) != 0 ||
	    (rc = v_bool(v, o, path, "multiline")) != 0 ||
	    (rc = v_bool(v, o, path, "focus_on_load")) != 0 ||
	    (rc = v_length(v, o, path, "min_length", 0, &min)) != 0 ||
	    (rc = v_length(v, o, path, "max_length", 1, &max)) != 0)
		return rc;
	if (min >= 0 && max >= 0 && min > max)
		return vfail(v, path, "min_length > max_length");
	if ((rc = v_str(v, o, path, "initial_value", 0,
	    max > 0 ? (size_t)max : HUB_BK_MAX_INPUT_LEN, &iv)) != 0)
		return rc;
	if (!json_object_object_get_ex(o, "dispatch_action_config", &cfg))
		return HUB_BK_OK;
	subpath(p, path, "dispatch_action_config", -1);
	if (!json_object_is_type(cfg, json_type_object))
		return vfail(v, p, "not an object");
	if ((rc = v_array(v, cfg, p, "trigger_actions_on", 0, 0, 2, &arr)) != 0)
		return rc;
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(arr, i);
		for (j = 0; j < HUB_NELEM(triggers); j++)
			if (json_object_is_type(t, json_type_string) &&
			    strcmp(json_object_get_string(t), triggers[j]) == 0)
				break;
		if (j == HUB_NELEM(triggers))
			return vfail(v, p, "unknown trigger");
	}
	return HUB_BK_OK;
}

static int
v_datepicker(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "type", "action_id",
	    "initial_date", "placeholder", "confirm", "focus_on_load", NULL };
	const char *d;
	int rc;

	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_text(v, o, path, "placeholder", 0, TEXT_PLAIN,
	    HUB_BK_MAX_PLACEHOLDER)) != 0 ||
	    (rc = v_str(v, o, path, "initial_date", 0, 10, &d)) != 0 ||
	    (rc = v_confirm(v, o, path)) != 0 ||
	    (rc = v_bool(v, o, path, "focus_on_load")) != 0)
		return rc;
	if (d != NULL && !hub_bk_date_valid(d))
		return vfail(v, path, "initial_date is not YYYY-MM-DD");
	return HUB_BK_OK;
}

static int
v_image_elem(struct vctx *v, json_object *o, const char *path)
{
	static const char *const keys[] = { "type", "image_url", "alt_text",
	    NULL };
	int rc;

	if ((rc = v_keys(v, o, path, keys)) != 0 ||
	    (rc = v_url(v, o, path, "image_url", 1)) != 0)
		return rc;
	return v_str(v, o, path, "alt_text", 1, HUB_BK_MAX_ALT, NULL);
}

#define IN_ACCESSORY	0x1
#define IN_ACTIONS	0x2
#define IN_INPUT	0x4
#define IN_CONTEXT	0x8

static const struct {
	const char	*type;
	int		(*check)(struct vctx *, json_object *, const char *);
	unsigned	 where;
	int		 has_action_id;
} elements[] = {
	{ "button", v_button, IN_ACCESSORY | IN_ACTIONS, 1 },
	{ "overflow", v_overflow, IN_ACCESSORY | IN_ACTIONS, 1 },
	{ "static_select", v_static_select,
	  IN_ACCESSORY | IN_ACTIONS | IN_INPUT, 1 },
	{ "plain_text_input", v_text_input, IN_INPUT, 1 },
	{ "datepicker", v_datepicker, IN_ACCESSORY | IN_ACTIONS | IN_INPUT, 1 },
	{ "image", v_image_elem, IN_ACCESSORY | IN_CONTEXT, 0 },
};

/* One element; action_ids collects the block's ids for uniqueness. */
static int
v_element(struct vctx *v, json_object *o, const char *path, unsigned where,
    const char **ids, size_t *nids)
{
	const char *type, *aid;
	size_t i;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return vfail(v, path, "not an element object");
	if ((rc = v_str(v, o, path, "type", 1, 32, &type)) != 0)
		return rc;
	for (i = 0; i < HUB_NELEM(elements); i++)
		if (strcmp(elements[i].type, type) == 0)
			break;
	if (i == HUB_NELEM(elements) || !(elements[i].where & where))
		return vfail(v, path, "element \"%s\" not allowed here", type);
	if (elements[i].has_action_id) {
		if ((rc = v_str(v, o, path, "action_id", 0, HUB_BK_MAX_ID,
		    &aid)) != 0)
			return rc;
		if (aid != NULL) {
			for (i = 0; i < *nids; i++)
				if (strcmp(ids[i], aid) == 0)
					return vfail(v, path, "action_id "
					    "\"%s\" used twice in the block",
					    aid);
			ids[(*nids)++] = aid;
		}
		for (i = 0; i < HUB_NELEM(elements); i++)
			if (strcmp(elements[i].type, type) == 0)
				break;
	}
	return elements[i].check(v, o, path);
}

static int
v_section(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", "text",
	    "fields", "accessory", NULL };
	const char *ids[1];
	char p[PATHMAX];
	json_object *arr, *acc;
	size_t i, n, nids = 0;
	int rc;

	if ((rc = v_keys(v, b, path, keys)) != 0 ||
	    (rc = v_text(v, b, path, "text", 0, TEXT_ANY,
	    HUB_BK_MAX_TEXT)) != 0 ||
	    (rc = v_array(v, b, path, "fields", 0, 1, HUB_BK_MAX_FIELDS,
	    &arr)) != 0)
		return rc;
	if (!json_object_object_get_ex(b, "text", NULL) && arr == NULL)
		return vfail(v, path, "section needs text or fields");
	n = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		json_object *holder = json_object_new_object();

		/* reuse v_text: it reads a text object from a parent key */
		if (holder == NULL)
			return HUB_BK_NOMEM;
		json_object_object_add(holder, "f",
		    json_object_get(json_object_array_get_idx(arr, i)));
		subpath(p, path, "fields", (long)i);
		rc = v_text(v, holder, p, "f", 1, TEXT_ANY, HUB_BK_MAX_FIELD);
		json_object_put(holder);
		if (rc != 0)
			return rc;
	}
	if (json_object_object_get_ex(b, "accessory", &acc)) {
		subpath(p, path, "accessory", -1);
		return v_element(v, acc, p, IN_ACCESSORY, ids, &nids);
	}
	return HUB_BK_OK;
}

static int
v_header(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", "text", NULL };
	int rc;

	if ((rc = v_keys(v, b, path, keys)) != 0)
		return rc;
	return v_text(v, b, path, "text", 1, TEXT_PLAIN, HUB_BK_MAX_HEADER);
}

static int
v_divider(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", NULL };

	return v_keys(v, b, path, keys);
}

static int
v_context(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", "elements",
	    NULL };
	char p[PATHMAX];
	json_object *arr, *e, *t, *holder;
	size_t i, n;
	int rc;

	if ((rc = v_keys(v, b, path, keys)) != 0 ||
	    (rc = v_array(v, b, path, "elements", 1, 1, HUB_BK_MAX_CONTEXT,
	    &arr)) != 0)
		return rc;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		subpath(p, path, "elements", (long)i);
		if (json_object_object_get_ex(e, "type", &t) &&
		    json_object_is_type(t, json_type_string) &&
		    strcmp(json_object_get_string(t), "image") == 0) {
			if ((rc = v_image_elem(v, e, p)) != 0)
				return rc;
			continue;
		}
		if ((holder = json_object_new_object()) == NULL)
			return HUB_BK_NOMEM;
		json_object_object_add(holder, "e", json_object_get(e));
		rc = v_text(v, holder, p, "e", 1, TEXT_ANY, HUB_BK_MAX_TEXT);
		json_object_put(holder);
		if (rc != 0)
			return rc;
	}
	return HUB_BK_OK;
}

static int
v_actions(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", "elements",
	    NULL };
	const char *ids[HUB_BK_MAX_ACTIONS];
	char p[PATHMAX];
	json_object *arr;
	size_t i, n, nids = 0;
	int rc;

	if ((rc = v_keys(v, b, path, keys)) != 0 ||
	    (rc = v_array(v, b, path, "elements", 1, 1, HUB_BK_MAX_ACTIONS,
	    &arr)) != 0)
		return rc;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		subpath(p, path, "elements", (long)i);
		if ((rc = v_element(v, json_object_array_get_idx(arr, i), p,
		    IN_ACTIONS, ids, &nids)) != 0)
			return rc;
	}
	return HUB_BK_OK;
}

static int
v_input(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", "label",
	    "element", "hint", "optional", "dispatch_action", NULL };
	const char *ids[1];
	char p[PATHMAX];
	json_object *e;
	size_t nids = 0;
	int rc;

	v->has_input = 1;
	if ((rc = v_keys(v, b, path, keys)) != 0 ||
	    (rc = v_text(v, b, path, "label", 1, TEXT_PLAIN,
	    HUB_BK_MAX_LABEL)) != 0 ||
	    (rc = v_text(v, b, path, "hint", 0, TEXT_PLAIN,
	    HUB_BK_MAX_LABEL)) != 0 ||
	    (rc = v_bool(v, b, path, "optional")) != 0 ||
	    (rc = v_bool(v, b, path, "dispatch_action")) != 0)
		return rc;
	if (!json_object_object_get_ex(b, "element", &e))
		return vfail(v, path, "missing \"element\"");
	subpath(p, path, "element", -1);
	return v_element(v, e, p, IN_INPUT, ids, &nids);
}

static int
v_image(struct vctx *v, json_object *b, const char *path)
{
	static const char *const keys[] = { "type", "block_id", "image_url",
	    "alt_text", "title", NULL };
	int rc;

	if ((rc = v_keys(v, b, path, keys)) != 0 ||
	    (rc = v_url(v, b, path, "image_url", 1)) != 0 ||
	    (rc = v_str(v, b, path, "alt_text", 1, HUB_BK_MAX_ALT,
	    NULL)) != 0)
		return rc;
	return v_text(v, b, path, "title", 0, TEXT_PLAIN, HUB_BK_MAX_ALT);
}

static const struct {
	const char	*type;
	int		(*check)(struct vctx *, json_object *, const char *);
} block_rules[] = {
	{ "section", v_section },
	{ "header", v_header },
	{ "divider", v_divider },
	{ "context", v_context },
	{ "actions", v_actions },
	{ "input", v_input },
	{ "image", v_image },
};

static int
v_blocks(struct vctx *v, json_object *arr, const char *path,
    enum hub_bk_surface s)
{
	const char *ids[HUB_BK_MAX_VIEW_BLOCKS], *type, *bid;
	char p[PATHMAX];
	json_object *b;
	size_t i, j, n, nids = 0, max = hub_bk_surface_max(s);
	int rc;

	if (!json_object_is_type(arr, json_type_array))
		return vfail(v, path, "not an array");
	n = json_object_array_length(arr);
	if (n > max)
		return vfail(v, path, "%zu blocks, max %zu", n, max);
	for (i = 0; i < n; i++) {
		b = json_object_array_get_idx(arr, i);
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_object_is_type(b, json_type_object))
			return vfail(v, p, "not a block object");
		if ((rc = v_str(v, b, p, "type", 1, 32, &type)) != 0 ||
		    (rc = v_str(v, b, p, "block_id", 0, HUB_BK_MAX_ID,
		    &bid)) != 0)
			return rc;
		if (bid != NULL) {
			for (j = 0; j < nids; j++)
				if (strcmp(ids[j], bid) == 0)
					return vfail(v, p, "block_id \"%s\" "
					    "used twice", bid);
			ids[nids++] = bid;
		}
		for (j = 0; j < HUB_NELEM(block_rules); j++)
			if (strcmp(block_rules[j].type, type) == 0)
				break;
		if (j == HUB_NELEM(block_rules))
			return vfail(v, p, "unknown block type \"%s\"", type);
		if ((rc = block_rules[j].check(v, b, p)) != 0)
			return rc;
	}
	return HUB_BK_OK;
}

static int
v_view(struct vctx *v, json_object *o, const char *type,
    enum hub_bk_surface s)
{
	static const char *const modal_keys[] = { "type", "title", "blocks",
	    "close", "submit", "private_metadata", "callback_id",
	    "clear_on_close", "notify_on_close", "external_id",
	    "submit_disabled", NULL };
	static const char *const home_keys[] = { "type", "blocks",
	    "private_metadata", "callback_id", "external_id", NULL };
	json_object *arr;
	const char *js;
	int modal = strcmp(type, "modal") == 0, rc;

	if (modal ? s != HUB_BK_MODAL : (strcmp(type, "home") != 0 ||
	    s != HUB_BK_HOME))
		return vfail(v, "view", "type \"%s\" for the wrong surface",
		    type);
	if ((rc = v_keys(v, o, "view", modal ? modal_keys : home_keys)) != 0 ||
	    (rc = v_str(v, o, "view", "callback_id", 0, HUB_BK_MAX_ID,
	    NULL)) != 0 ||
	    (rc = v_str(v, o, "view", "external_id", 0, HUB_BK_MAX_ID,
	    NULL)) != 0 ||
	    (rc = v_str(v, o, "view", "private_metadata", 0,
	    HUB_BK_MAX_METADATA, NULL)) != 0)
		return rc;
	if (modal && ((rc = v_text(v, o, "view", "title", 1, TEXT_PLAIN,
	    HUB_BK_MAX_VIEW_TEXT)) != 0 ||
	    (rc = v_text(v, o, "view", "submit", 0, TEXT_PLAIN,
	    HUB_BK_MAX_VIEW_TEXT)) != 0 ||
	    (rc = v_text(v, o, "view", "close", 0, TEXT_PLAIN,
	    HUB_BK_MAX_VIEW_TEXT)) != 0 ||
	    (rc = v_bool(v, o, "view", "clear_on_close")) != 0 ||
	    (rc = v_bool(v, o, "view", "notify_on_close")) != 0 ||
	    (rc = v_bool(v, o, "view", "submit_disabled")) != 0))
		return rc;
	if (!json_object_object_get_ex(o, "blocks", &arr))
		return vfail(v, "view", "missing \"blocks\"");
	if ((rc = v_blocks(v, arr, "view.blocks", s)) != 0)
		return rc;
	if (modal && v->has_input && !json_object_object_get_ex(o, "submit",
	    NULL))
		return vfail(v, "view", "input blocks need \"submit\"");
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (js == NULL)
		return HUB_BK_NOMEM;
	if (strlen(js) > HUB_BK_MAX_VIEW_BYTES)
		return vfail(v, "view", "%zu bytes of JSON, max %d",
		    strlen(js), HUB_BK_MAX_VIEW_BYTES);
	return HUB_BK_OK;
}

int
hub_bk_validate(json_object *o, enum hub_bk_surface s, char *err,
    size_t errlen)
{
	struct vctx v;
	json_object *t, *arr;
	int rc;

	v.err = err;
	v.errlen = errlen;
	v.has_input = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (o == NULL || (s != HUB_BK_MESSAGE && s != HUB_BK_MODAL &&
	    s != HUB_BK_HOME))
		return HUB_BK_INVAL;
	if (json_object_is_type(o, json_type_array))
		return v_blocks(&v, o, "blocks", s);
	if (!json_object_is_type(o, json_type_object))
		return vfail(&v, "$", "neither blocks nor a view nor a message");
	if (json_object_object_get_ex(o, "type", &t)) {
		if (!json_object_is_type(t, json_type_string))
			return vfail(&v, "view", "\"type\" is not a string");
		return v_view(&v, o, json_object_get_string(t), s);
	}
	if (s != HUB_BK_MESSAGE)
		return vfail(&v, "$", "a message is not a view");
	if ((rc = v_str(&v, o, "message", "text", 0, 40000, NULL)) != 0)
		return rc;
	if (!json_object_object_get_ex(o, "blocks", &arr))
		return json_object_object_get_ex(o, "text", NULL) ? HUB_BK_OK :
		    vfail(&v, "message", "neither text nor blocks");
	return v_blocks(&v, arr, "blocks", s);
}
