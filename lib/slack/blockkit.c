/*
 * blockkit.c - build Block Kit that Slack accepts.  Limits are in
 * blockkit.h; the builder and the validator (bkvalid.c) read the same
 * constants and predicates so they cannot drift apart.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "slack/blockkit.h"
#include "base/esc.h"
#include "base/json.h"
#include "base/utf8.h"

#define ELLIPSIS	"\xe2\x80\xa6"	/* U+2026 */
#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */
#define MAX_USER_ID	32

const char *
hub_bk_strerror(int rc)
{
	static const char *const msg[] = {
		[HUB_BK_OK] = "ok",
		[HUB_BK_NOMEM] = "out of memory",
		[HUB_BK_INVAL] = "invalid argument",
		[HUB_BK_TOOLONG] = "identifier or value too long",
		[HUB_BK_FULL] = "container full",
		[HUB_BK_TOOBIG] = "too large",
		[HUB_BK_INVALID] = "invalid Block Kit",
	};

	if (rc < 0 || (size_t)rc >= HUB_NELEM(msg) || msg[rc] == NULL)
		return "unknown error";
	return msg[rc];
}

static int
buf_rc(int brc)
{
	if (brc == HUB_BUF_OK)
		return HUB_BK_OK;
	return brc == HUB_BUF_TOOBIG ? HUB_BK_TOOBIG : HUB_BK_NOMEM;
}

static void
buf_rollback(struct hub_buf *b, size_t len)
{
	if (b->data != NULL) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* ------------------------------------------------------------ UTF-8 */

size_t
hub_bk_strlen(const char *s)
{
	return s != NULL ? hub_utf8_count_lax(s, strlen(s)) : 0;
}

/* Move the end of a cut mrkdwn prefix before an unclosed <…> or &…;
 * (entities are at most "&amp;" long). */
static size_t
mrkdwn_safe_cut(const char *s, size_t len)
{
	size_t i;

	for (i = len; i > 0; i--) {
		if (s[i - 1] == '>')
			break;
		if (s[i - 1] == '<')
			return i - 1;
	}
	for (i = len; i > 0 && i + 5 > len; i--) {
		if (s[i - 1] == ';')
			break;
		if (s[i - 1] == '&')
			return i - 1;
	}
	return len;
}

static int
truncate_impl(struct hub_buf *out, const char *s, size_t limit, int *cut,
    int mrkdwn)
{
	const char *p = s;
	size_t start = out->len, left, l, total, keep, i;
	int rc = HUB_BK_OK, over;

	total = hub_bk_strlen(s);
	over = total > limit;
	keep = over ? (limit > 0 ? limit - 1 : 0) : total;
	left = strlen(s);
	for (i = 0; i < keep; i++) {
		if ((l = hub_utf8_seq(p, left, NULL)) == 0)
			rc = buf_rc(hub_buf_adds(out, REPLACEMENT)), l = 1;
		else
			rc = buf_rc(hub_buf_add(out, p, l));
		if (rc != HUB_BK_OK)
			goto out;
		p += l;
		left -= l;
	}
	if (over && limit > 0) {
		if (mrkdwn)
			buf_rollback(out, start + mrkdwn_safe_cut(out->data +
			    start, out->len - start));
		rc = buf_rc(hub_buf_adds(out, ELLIPSIS));
	}
out:
	if (rc != HUB_BK_OK)
		buf_rollback(out, start);
	else if (cut != NULL)
		*cut = over;
	return rc;
}

int
hub_bk_truncate(struct hub_buf *out, const char *s, size_t limit, int *cut)
{
	if (out == NULL || s == NULL)
		return HUB_BK_INVAL;
	return truncate_impl(out, s, limit, cut, 0);
}

/* A fresh json string of s cut to limit. */
static int
cut_string(const char *s, size_t limit, int mrkdwn, json_object **out)
{
	struct hub_buf b;
	int rc;

	*out = NULL;
	hub_buf_init(&b, limit * 4 + 8);
	if ((rc = truncate_impl(&b, s, limit, NULL, mrkdwn)) != HUB_BK_OK)
		goto out;
	if ((*out = json_object_new_string_len(hub_buf_str(&b),
	    (int)b.len)) == NULL)
		rc = HUB_BK_NOMEM;
out:
	hub_buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------ json helpers */

/* base/json's writers (v taken in every case), in this module's codes. */
static int
put(json_object *o, const char *key, json_object *v)
{
	return hub_json_set(o, key, v) == HUB_JSON_OK ? HUB_BK_OK : HUB_BK_NOMEM;
}

static int
put_str(json_object *o, const char *key, const char *s)
{
	return hub_json_set_str(o, key, s) == HUB_JSON_OK ? HUB_BK_OK : HUB_BK_NOMEM;
}

static int
new_typed(const char *type, json_object **out)
{
	int rc;

	if ((*out = json_object_new_object()) == NULL)
		return HUB_BK_NOMEM;
	if ((rc = put_str(*out, "type", type)) != HUB_BK_OK) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* Identifier check: NULL is fine unless required; never cut. */
static int
check_id(const char *s, size_t max, int required)
{
	if (s == NULL)
		return required ? HUB_BK_INVAL : HUB_BK_OK;
	if (*s == '\0' || !hub_utf8_valid(s, strlen(s)))
		return HUB_BK_INVAL;
	return hub_bk_strlen(s) > max ? HUB_BK_TOOLONG : HUB_BK_OK;
}

int
hub_bk_url_check(const char *u)
{
	const unsigned char *p;

	if (u == NULL || *u == '\0')
		return HUB_BK_INVAL;
	for (p = (const unsigned char *)u; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return HUB_BK_INVAL;
	return strlen(u) > HUB_BK_MAX_URL ? HUB_BK_TOOLONG : HUB_BK_OK;
}

static int
put_id(json_object *o, const char *key, const char *s, size_t max,
    int required)
{
	int rc;

	if ((rc = check_id(s, max, required)) != HUB_BK_OK || s == NULL)
		return rc;
	return put_str(o, key, s);
}

static int
make_text(const char *type, const char *s, size_t limit, json_object **out)
{
	json_object *o = NULL, *str = NULL;
	int mrkdwn = strcmp(type, "mrkdwn") == 0, rc;

	*out = NULL;
	if (s == NULL || *s == '\0' || limit == 0)
		return HUB_BK_INVAL;
	if ((rc = new_typed(type, &o)) != HUB_BK_OK)
		goto out;
	if ((rc = cut_string(s, limit, mrkdwn, &str)) != HUB_BK_OK ||
	    (rc = put(o, "text", str)) != HUB_BK_OK)
		goto out;
	if (!mrkdwn && (rc = put(o, "emoji", json_object_new_boolean(1))) !=
	    HUB_BK_OK)
		goto out;
	*out = o;
	o = NULL;
out:
	json_object_put(o);
	return rc;
}

/* o[key] = plain text of s cut to limit; NULL s skipped unless required. */
static int
put_plain(json_object *o, const char *key, const char *s, size_t limit,
    int required)
{
	json_object *t;
	int rc;

	if (s == NULL && !required)
		return HUB_BK_OK;
	if ((rc = make_text("plain_text", s, limit, &t)) != HUB_BK_OK)
		return rc;
	return put(o, key, t);
}

static int
put_style(json_object *o, enum hub_bk_style style)
{
	switch (style) {
	case HUB_BK_STYLE_DEFAULT:
		return HUB_BK_OK;
	case HUB_BK_STYLE_PRIMARY:
		return put_str(o, "style", "primary");
	case HUB_BK_STYLE_DANGER:
		return put_str(o, "style", "danger");
	}
	return HUB_BK_INVAL;
}

/* Finish a builder: hand o out on success, free it otherwise. */
static int
finish(int rc, json_object *o, json_object **out)
{
	if (rc == HUB_BK_OK)
		*out = o;
	else
		json_object_put(o);
	return rc;
}

/* ------------------------------------------------------------ elements */

static int
make_confirm(const struct hub_bk_confirm *c, json_object **out)
{
	json_object *o;
	int rc;

	if ((o = json_object_new_object()) == NULL)
		return HUB_BK_NOMEM;
	if ((rc = put_plain(o, "title", c->title, HUB_BK_MAX_CONFIRM_TITLE,
	    1)) == 0 &&
	    (rc = put_plain(o, "text", c->text, HUB_BK_MAX_CONFIRM_TEXT, 1)) == 0 &&
	    (rc = put_plain(o, "confirm", c->confirm,
	    HUB_BK_MAX_CONFIRM_BUTTON, 1)) == 0 &&
	    (rc = put_plain(o, "deny", c->deny, HUB_BK_MAX_CONFIRM_BUTTON,
	    1)) == 0)
		rc = put_style(o, c->style);
	return finish(rc, o, out);
}

int
hub_bk_button(const struct hub_bk_button *b, json_object **out)
{
	json_object *o = NULL, *v;
	int rc;

	if (b == NULL || out == NULL)
		return HUB_BK_INVAL;
	if ((rc = new_typed("button", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_plain(o, "text", b->text, HUB_BK_MAX_BUTTON_TEXT,
	    1)) != 0 ||
	    (rc = put_id(o, "action_id", b->action_id, HUB_BK_MAX_ID, 1)) != 0)
		goto out;
	if (b->value != NULL) {
		if (b->truncate_value) {
			if (*b->value == '\0') {
				rc = HUB_BK_INVAL;
				goto out;
			}
			if ((rc = cut_string(b->value,
			    HUB_BK_MAX_BUTTON_VALUE, 0, &v)) != 0 ||
			    (rc = put(o, "value", v)) != 0)
				goto out;
		} else if ((rc = put_id(o, "value", b->value,
		    HUB_BK_MAX_BUTTON_VALUE, 1)) != 0)
			goto out;
	}
	if (b->url != NULL && ((rc = hub_bk_url_check(b->url)) != 0 ||
	    (rc = put_str(o, "url", b->url)) != 0))
		goto out;
	if ((rc = put_style(o, b->style)) != 0)
		goto out;
	if (b->confirm != NULL && ((rc = make_confirm(b->confirm, &v)) != 0 ||
	    (rc = put(o, "confirm", v)) != 0))
		goto out;
out:
	return finish(rc, o, out);
}

static int
make_option(const struct hub_bk_option *op, int allow_url, json_object **out)
{
	json_object *o;
	int rc;

	if ((o = json_object_new_object()) == NULL)
		return HUB_BK_NOMEM;
	if ((rc = put_plain(o, "text", op->text, HUB_BK_MAX_OPTION_TEXT,
	    1)) != 0 ||
	    (rc = put_id(o, "value", op->value, HUB_BK_MAX_OPTION_VALUE,
	    1)) != 0 ||
	    (rc = put_plain(o, "description", op->description,
	    HUB_BK_MAX_OPTION_TEXT, 0)) != 0)
		goto out;
	if (op->url != NULL) {
		if (!allow_url)
			rc = HUB_BK_INVAL;
		else if ((rc = hub_bk_url_check(op->url)) == 0)
			rc = put_str(o, "url", op->url);
	}
out:
	return finish(rc, o, out);
}

static int
put_options(json_object *o, const char *key, const struct hub_bk_option *ops,
    size_t n, int allow_url)
{
	json_object *arr, *op;
	size_t i;
	int rc = HUB_BK_OK;

	if ((arr = json_object_new_array()) == NULL)
		return HUB_BK_NOMEM;
	for (i = 0; i < n; i++) {
		if ((rc = make_option(&ops[i], allow_url, &op)) != 0)
			goto out;
		if (json_object_array_add(arr, op) != 0) {
			json_object_put(op);
			rc = HUB_BK_NOMEM;
			goto out;
		}
	}
	rc = put(o, key, arr);
	arr = NULL;	/* put() took it, or freed it */
out:
	json_object_put(arr);
	return rc;
}

int
hub_bk_overflow(const char *action_id, const struct hub_bk_option *ops,
    size_t n, json_object **out)
{
	json_object *o;
	int rc;

	if (out == NULL || (ops == NULL && n > 0) || n < HUB_BK_MIN_OVERFLOW)
		return HUB_BK_INVAL;
	if (n > HUB_BK_MAX_OVERFLOW)
		return HUB_BK_FULL;
	if ((rc = new_typed("overflow", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_id(o, "action_id", action_id, HUB_BK_MAX_ID, 1)) == 0)
		rc = put_options(o, "options", ops, n, 1);
	return finish(rc, o, out);
}

int
hub_bk_static_select(const struct hub_bk_select *s, json_object **out)
{
	json_object *o, *init;
	int rc;

	if (s == NULL || out == NULL || s->options == NULL ||
	    s->noptions == 0 || s->initial < -1 ||
	    (s->initial >= 0 && (size_t)s->initial >= s->noptions))
		return HUB_BK_INVAL;
	if (s->noptions > HUB_BK_MAX_OPTIONS)
		return HUB_BK_FULL;
	if ((rc = new_typed("static_select", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_id(o, "action_id", s->action_id, HUB_BK_MAX_ID, 1)) != 0 ||
	    (rc = put_plain(o, "placeholder", s->placeholder,
	    HUB_BK_MAX_PLACEHOLDER, 0)) != 0 ||
	    (rc = put_options(o, "options", s->options, s->noptions, 0)) != 0)
		goto out;
	/* Slack wants initial_option to equal one of the options exactly. */
	if (s->initial >= 0 && ((rc = make_option(&s->options[s->initial], 0,
	    &init)) != 0 || (rc = put(o, "initial_option", init)) != 0))
		goto out;
out:
	return finish(rc, o, out);
}

int
hub_bk_text_input(const struct hub_bk_text_input *t, json_object **out)
{
	json_object *o, *cfg = NULL, *trig, *v;
	size_t maxv;
	int rc;

	if (t == NULL || out == NULL || t->min_length < 0 ||
	    t->min_length > HUB_BK_MAX_INPUT_LEN || t->max_length < 0 ||
	    t->max_length > HUB_BK_MAX_INPUT_LEN ||
	    (t->max_length > 0 && t->min_length > t->max_length) ||
	    (t->dispatch & ~(unsigned)(HUB_BK_ON_ENTER | HUB_BK_ON_CHAR)))
		return HUB_BK_INVAL;
	if ((rc = new_typed("plain_text_input", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_id(o, "action_id", t->action_id, HUB_BK_MAX_ID, 1)) != 0 ||
	    (rc = put_plain(o, "placeholder", t->placeholder,
	    HUB_BK_MAX_PLACEHOLDER, 0)) != 0)
		goto out;
	if (t->initial_value != NULL && *t->initial_value != '\0') {
		maxv = t->max_length > 0 ? (size_t)t->max_length :
		    HUB_BK_MAX_INPUT_LEN;
		if ((rc = cut_string(t->initial_value, maxv, 0, &v)) != 0 ||
		    (rc = put(o, "initial_value", v)) != 0)
			goto out;
	}
	if (t->multiline && (rc = put(o, "multiline",
	    json_object_new_boolean(1))) != 0)
		goto out;
	if (t->min_length > 0 && (rc = put(o, "min_length",
	    json_object_new_int(t->min_length))) != 0)
		goto out;
	if (t->max_length > 0 && (rc = put(o, "max_length",
	    json_object_new_int(t->max_length))) != 0)
		goto out;
	if (t->dispatch) {
		rc = HUB_BK_NOMEM;
		if ((cfg = json_object_new_object()) == NULL ||
		    (trig = json_object_new_array()) == NULL)
			goto out;
		if ((rc = put(cfg, "trigger_actions_on", trig)) != 0)
			goto out;
		if ((t->dispatch & HUB_BK_ON_ENTER) && json_object_array_add(trig,
		    json_object_new_string("on_enter_pressed")) != 0)
			rc = HUB_BK_NOMEM;
		if ((t->dispatch & HUB_BK_ON_CHAR) && json_object_array_add(trig,
		    json_object_new_string("on_character_entered")) != 0)
			rc = HUB_BK_NOMEM;
		if (rc != 0)
			goto out;
		rc = put(o, "dispatch_action_config", cfg);
		cfg = NULL;
	}
out:
	json_object_put(cfg);
	return finish(rc, o, out);
}

int
hub_bk_date_valid(const char *d)
{
	static const char shape[] = "dddd-dd-dd";
	long m, day;
	size_t i;

	if (strlen(d) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (d[i] < '0' || d[i] > '9') : d[i] != '-')
			return 0;
	m = (d[5] - '0') * 10 + (d[6] - '0');
	day = (d[8] - '0') * 10 + (d[9] - '0');
	return m >= 1 && m <= 12 && day >= 1 && day <= 31;
}

/* ------------------------------------------------------------ blocks */

static int
new_block(const char *type, const char *block_id, json_object **o)
{
	int rc;

	if ((rc = check_id(block_id, HUB_BK_MAX_ID, 0)) != HUB_BK_OK)
		return rc;
	if ((rc = new_typed(type, o)) != HUB_BK_OK)
		return rc;
	if (block_id != NULL && (rc = put_str(*o, "block_id", block_id)) != 0) {
		json_object_put(*o);
		*o = NULL;
	}
	return rc;
}

static int
is_block(json_object *o, const char *type)
{
	json_object *t;

	return json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "type", &t) &&
	    json_object_is_type(t, json_type_string) &&
	    strcmp(json_object_get_string(t), type) == 0;
}

/* The array o[key], created on first use; NULL on allocation failure. */
static json_object *
get_array(json_object *o, const char *key)
{
	json_object *a;

	if (json_object_object_get_ex(o, key, &a))
		return json_object_is_type(a, json_type_array) ? a : NULL;
	if ((a = json_object_new_array()) == NULL)
		return NULL;
	return put(o, key, a) == HUB_BK_OK ? a : NULL;
}

/* Append v (ours) to o[key] if fewer than max; v freed on failure. */
static int
append_limited(json_object *o, const char *key, size_t max, json_object *v)
{
	json_object *a;

	if ((a = get_array(o, key)) == NULL) {
		json_object_put(v);
		return HUB_BK_NOMEM;
	}
	if (json_object_array_length(a) >= max) {
		json_object_put(v);
		return HUB_BK_FULL;
	}
	if (json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return HUB_BK_NOMEM;
	}
	return HUB_BK_OK;
}

/* Like append_limited, for a caller's object: not freed on failure. */
static int
adopt_limited(json_object *o, const char *key, size_t max, json_object *v)
{
	json_object *a;

	if (!json_object_is_type(v, json_type_object))
		return HUB_BK_INVAL;
	if ((a = get_array(o, key)) == NULL)
		return HUB_BK_NOMEM;
	if (json_object_array_length(a) >= max)
		return HUB_BK_FULL;
	return json_object_array_add(a, v) == 0 ? HUB_BK_OK : HUB_BK_NOMEM;
}

int
hub_bk_section(const char *block_id, const char *mrkdwn, json_object **out)
{
	json_object *o, *t;
	int rc;

	if (out == NULL || (mrkdwn != NULL && *mrkdwn == '\0'))
		return HUB_BK_INVAL;
	if ((rc = new_block("section", block_id, &o)) != HUB_BK_OK)
		return rc;
	if (mrkdwn != NULL && ((rc = make_text("mrkdwn", mrkdwn,
	    HUB_BK_MAX_TEXT, &t)) != 0 || (rc = put(o, "text", t)) != 0))
		goto out;
out:
	return finish(rc, o, out);
}

/* Append a mrkdwn text of at most len characters to array key of a block of
 * type, which holds at most items: FULL is answered before any text is
 * built, so a caller paginating loses nothing. */
static int
add_mrkdwn(json_object *block, const char *type, const char *key, size_t items,
    size_t len, const char *mrkdwn)
{
	json_object *a, *t;
	int rc;

	if (!is_block(block, type))
		return HUB_BK_INVAL;
	if (json_object_object_get_ex(block, key, &a) && json_object_array_length(a) >= items)
		return HUB_BK_FULL;
	if ((rc = make_text("mrkdwn", mrkdwn, len, &t)) != 0)
		return rc;
	return append_limited(block, key, items, t);
}

int
hub_bk_section_add_field(json_object *section, const char *mrkdwn)
{
	return add_mrkdwn(section, "section", "fields", HUB_BK_MAX_FIELDS, HUB_BK_MAX_FIELD, mrkdwn);
}

int
hub_bk_section_accessory(json_object *section, json_object *element)
{
	if (!is_block(section, "section") ||
	    !json_object_is_type(element, json_type_object) ||
	    json_object_object_get_ex(section, "accessory", NULL))
		return HUB_BK_INVAL;
	return json_object_object_add(section, "accessory", element) == 0 ?
	    HUB_BK_OK : HUB_BK_NOMEM;
}

int
hub_bk_header(const char *block_id, const char *text, json_object **out)
{
	json_object *o;
	int rc;

	if (out == NULL)
		return HUB_BK_INVAL;
	if ((rc = new_block("header", block_id, &o)) != HUB_BK_OK)
		return rc;
	rc = put_plain(o, "text", text, HUB_BK_MAX_HEADER, 1);
	return finish(rc, o, out);
}

int
hub_bk_divider(const char *block_id, json_object **out)
{
	if (out == NULL)
		return HUB_BK_INVAL;
	return new_block("divider", block_id, out);
}

int
hub_bk_context(const char *block_id, json_object **out)
{
	json_object *o;
	int rc;

	if (out == NULL)
		return HUB_BK_INVAL;
	if ((rc = new_block("context", block_id, &o)) != HUB_BK_OK)
		return rc;
	rc = get_array(o, "elements") ? HUB_BK_OK : HUB_BK_NOMEM;
	return finish(rc, o, out);
}

int
hub_bk_context_add_mrkdwn(json_object *context, const char *mrkdwn)
{
	return add_mrkdwn(context, "context", "elements", HUB_BK_MAX_CONTEXT, HUB_BK_MAX_TEXT,
	    mrkdwn);
}

int
hub_bk_actions(const char *block_id, json_object **out)
{
	json_object *o;
	int rc;

	if (out == NULL)
		return HUB_BK_INVAL;
	if ((rc = new_block("actions", block_id, &o)) != HUB_BK_OK)
		return rc;
	rc = get_array(o, "elements") ? HUB_BK_OK : HUB_BK_NOMEM;
	return finish(rc, o, out);
}

/* 1 if some object of arr has o's value for key (a string). */
static int
dup_key(json_object *arr, json_object *o, const char *key)
{
	json_object *want, *have;
	size_t i, n;

	if (arr == NULL || !json_object_object_get_ex(o, key, &want) ||
	    !json_object_is_type(want, json_type_string))
		return 0;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i),
		    key, &have) && json_object_is_type(have, json_type_string) &&
		    strcmp(json_object_get_string(have),
		    json_object_get_string(want)) == 0)
			return 1;
	return 0;
}

int
hub_bk_actions_add(json_object *actions, json_object *element)
{
	json_object *arr = NULL;

	if (!is_block(actions, "actions"))
		return HUB_BK_INVAL;
	/* Slack wants action_ids unique within a block */
	json_object_object_get_ex(actions, "elements", &arr);
	if (dup_key(arr, element, "action_id"))
		return HUB_BK_INVAL;
	return adopt_limited(actions, "elements", HUB_BK_MAX_ACTIONS, element);
}

int
hub_bk_input(const struct hub_bk_input *in, json_object *element,
    json_object **out)
{
	json_object *o;
	int rc;

	if (in == NULL || out == NULL ||
	    !json_object_is_type(element, json_type_object))
		return HUB_BK_INVAL;
	if ((rc = new_block("input", in->block_id, &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_plain(o, "label", in->label, HUB_BK_MAX_LABEL, 1)) != 0 ||
	    (rc = put_plain(o, "hint", in->hint, HUB_BK_MAX_LABEL, 0)) != 0)
		goto out;
	if (in->optional && (rc = put(o, "optional",
	    json_object_new_boolean(1))) != 0)
		goto out;
	if (in->dispatch_action && (rc = put(o, "dispatch_action",
	    json_object_new_boolean(1))) != 0)
		goto out;
	/* last, so that a failure leaves element with the caller */
	if (json_object_object_add(o, "element", element) != 0)
		rc = HUB_BK_NOMEM;
out:
	return finish(rc, o, out);
}

/* ------------------------------------------------------------ lists, views */

size_t
hub_bk_surface_max(enum hub_bk_surface s)
{
	return s == HUB_BK_MESSAGE ? HUB_BK_MAX_MESSAGE_BLOCKS :
	    HUB_BK_MAX_VIEW_BLOCKS;
}

int
hub_bk_blocks_init(struct hub_bk_blocks *l, enum hub_bk_surface s)
{
	if (l == NULL || (s != HUB_BK_MESSAGE && s != HUB_BK_MODAL &&
	    s != HUB_BK_HOME))
		return HUB_BK_INVAL;
	l->surface = s;
	l->max = hub_bk_surface_max(s);
	if ((l->arr = json_object_new_array()) == NULL)
		return HUB_BK_NOMEM;
	return HUB_BK_OK;
}

int
hub_bk_blocks_add(struct hub_bk_blocks *l, json_object *block)
{
	if (l == NULL || l->arr == NULL ||
	    !json_object_is_type(block, json_type_object))
		return HUB_BK_INVAL;
	if (json_object_array_length(l->arr) >= l->max)
		return HUB_BK_FULL;
	if (dup_key(l->arr, block, "block_id"))
		return HUB_BK_INVAL;	/* block_ids are unique per surface */
	return json_object_array_add(l->arr, block) == 0 ? HUB_BK_OK :
	    HUB_BK_NOMEM;
}

size_t
hub_bk_blocks_room(const struct hub_bk_blocks *l)
{
	size_t n;

	if (l == NULL || l->arr == NULL)
		return 0;
	n = json_object_array_length(l->arr);
	return n >= l->max ? 0 : l->max - n;
}

json_object *
hub_bk_blocks_detach(struct hub_bk_blocks *l)
{
	json_object *a = l->arr;

	l->arr = json_object_new_array();
	return a;
}

void
hub_bk_blocks_release(struct hub_bk_blocks *l)
{
	if (l == NULL)
		return;
	json_object_put(l->arr);
	l->arr = NULL;
}

static int
has_input_block(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
		if (is_block(json_object_array_get_idx(arr, i), "input"))
			return 1;
	return 0;
}

/* Give the list's array to view (or message) o under "blocks", if the
 * result fits in 250 KB; on failure the list keeps it. */
static int
view_take_blocks(json_object *o, struct hub_bk_blocks *l)
{
	json_object *fresh;
	const char *js;
	int rc;

	if ((fresh = json_object_new_array()) == NULL)
		return HUB_BK_NOMEM;
	/* the view holds a second reference until we know it fits */
	if ((rc = put(o, "blocks", json_object_get(l->arr))) != HUB_BK_OK)
		goto out;
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (js == NULL)
		rc = HUB_BK_NOMEM;
	else if (strlen(js) > HUB_BK_MAX_VIEW_BYTES)
		rc = HUB_BK_TOOBIG;
	else {
		json_object_put(l->arr);
		l->arr = fresh;
		fresh = NULL;
	}
out:
	json_object_put(fresh);
	return rc;
}

int
hub_bk_modal(const struct hub_bk_modal *m, struct hub_bk_blocks *l,
    json_object **out)
{
	json_object *o;
	int rc;

	if (m == NULL || l == NULL || out == NULL || l->arr == NULL ||
	    l->surface != HUB_BK_MODAL ||
	    (m->submit == NULL && has_input_block(l->arr)))
		return HUB_BK_INVAL;
	if ((rc = check_id(m->private_metadata, HUB_BK_MAX_METADATA, 0)) != 0)
		return rc;
	if ((rc = new_typed("modal", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_id(o, "callback_id", m->callback_id, HUB_BK_MAX_ID,
	    0)) != 0 ||
	    (rc = put_plain(o, "title", m->title, HUB_BK_MAX_VIEW_TEXT, 1)) != 0 ||
	    (rc = put_plain(o, "submit", m->submit, HUB_BK_MAX_VIEW_TEXT,
	    0)) != 0 ||
	    (rc = put_plain(o, "close", m->close, HUB_BK_MAX_VIEW_TEXT, 0)) != 0)
		goto out;
	if (m->private_metadata != NULL && (rc = put_str(o,
	    "private_metadata", m->private_metadata)) != 0)
		goto out;
	if (m->notify_on_close && (rc = put(o, "notify_on_close",
	    json_object_new_boolean(1))) != 0)
		goto out;
	rc = view_take_blocks(o, l);
out:
	return finish(rc, o, out);
}

int
hub_bk_home(const char *callback_id, const char *private_metadata,
    struct hub_bk_blocks *l, json_object **out)
{
	json_object *o;
	int rc;

	if (l == NULL || out == NULL || l->arr == NULL ||
	    l->surface != HUB_BK_HOME)
		return HUB_BK_INVAL;
	if ((rc = check_id(private_metadata, HUB_BK_MAX_METADATA, 0)) != 0)
		return rc;
	if ((rc = new_typed("home", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_id(o, "callback_id", callback_id, HUB_BK_MAX_ID, 0)) != 0)
		goto out;
	if (private_metadata != NULL && (rc = put_str(o, "private_metadata",
	    private_metadata)) != 0)
		goto out;
	rc = view_take_blocks(o, l);
out:
	return finish(rc, o, out);
}

int
hub_bk_message(const char *text, struct hub_bk_blocks *l, json_object **out)
{
	json_object *o, *t;
	int rc;

	if (text == NULL || *text == '\0' || l == NULL || out == NULL ||
	    l->arr == NULL || l->surface != HUB_BK_MESSAGE)
		return HUB_BK_INVAL;
	if ((o = json_object_new_object()) == NULL)
		return HUB_BK_NOMEM;
	if ((rc = cut_string(text, HUB_BK_MAX_MSG_TEXT, 1, &t)) != 0 ||
	    (rc = put(o, "text", t)) != 0)
		goto out;
	rc = view_take_blocks(o, l);
out:
	return finish(rc, o, out);
}

/* ------------------------------------------------------------ mrkdwn */

int
hub_mrkdwn_escape(struct hub_buf *out, const char *s)
{
	if (out == NULL || s == NULL)
		return HUB_BK_INVAL;
	return buf_rc(hub_esc_mrkdwn(out, s, strlen(s)));
}

int
hub_mrkdwn_mention(struct hub_buf *out, const char *id)
{
	size_t i;
	int rc;

	if (out == NULL || id == NULL || *id == '\0')
		return HUB_BK_INVAL;
	for (i = 0; id[i] != '\0'; i++)
		if (i >= MAX_USER_ID || !((id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9')))
			return HUB_BK_INVAL;
	rc = buf_rc(hub_buf_printf(out, "<@%s>", id));
	return rc;
}

int
hub_mrkdwn_link(struct hub_buf *out, const char *url, const char *text)
{
	static const char *const schemes[] = { "https://", "http://",
	    "mailto:" };
	size_t start, i;
	int rc;

	if (out == NULL || url == NULL)
		return HUB_BK_INVAL;
	for (i = 0; i < HUB_NELEM(schemes); i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0 &&
		    url[strlen(schemes[i])] != '\0')
			break;
	if (i == HUB_NELEM(schemes) || strpbrk(url, "|<>") != NULL)
		return HUB_BK_INVAL;
	if ((rc = hub_bk_url_check(url)) != HUB_BK_OK)
		return rc == HUB_BK_TOOLONG ? rc : HUB_BK_INVAL;
	start = out->len;
	if ((rc = buf_rc(hub_buf_addc(out, '<'))) != 0 ||
	    (rc = buf_rc(hub_buf_adds(out, url))) != 0)
		goto out;
	if (text != NULL && *text != '\0' &&
	    ((rc = buf_rc(hub_buf_addc(out, '|'))) != 0 ||
	    (rc = hub_mrkdwn_escape(out, text)) != 0))
		goto out;
	rc = buf_rc(hub_buf_addc(out, '>'));
out:
	if (rc != HUB_BK_OK)
		buf_rollback(out, start);
	return rc;
}
