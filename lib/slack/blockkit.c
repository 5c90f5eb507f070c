/*
 * blockkit.c - build Block Kit that Slack accepts, and check JSON that
 * claims to be Block Kit.  Limits are in blockkit.h; the builder and the
 * validator read the same constants so they cannot drift apart.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "slack/blockkit.h"

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

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), 0 if the byte at
 * s does not start one (overlong, surrogate, past U+10FFFF, cut short).
 */
HUB_STATIC size_t
bk_u8len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

size_t
hub_bk_strlen(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, left, cps = 0, l;

	if (s == NULL)
		return 0;
	n = strlen(s);
	for (left = n; left > 0; cps++) {
		l = bk_u8len(p, left);
		if (l == 0)
			l = 1;
		p += l;
		left -= l;
	}
	return cps;
}

static int
u8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), l;

	while (left > 0) {
		if ((l = bk_u8len(p, left)) == 0)
			return 0;
		p += l;
		left -= l;
	}
	return 1;
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
	const unsigned char *p = (const unsigned char *)s;
	size_t start = out->len, left, l, total, keep, i;
	int rc = HUB_BK_OK, over;

	total = hub_bk_strlen(s);
	over = total > limit;
	keep = over ? (limit > 0 ? limit - 1 : 0) : total;
	left = strlen(s);
	for (i = 0; i < keep; i++) {
		if ((l = bk_u8len(p, left)) == 0)
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

static int
put(json_object *o, const char *key, json_object *v)
{
	if (v == NULL)
		return HUB_BK_NOMEM;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return HUB_BK_NOMEM;
	}
	return HUB_BK_OK;
}

static int
put_str(json_object *o, const char *key, const char *s)
{
	return put(o, key, json_object_new_string(s));
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
	if (*s == '\0' || !u8_valid(s))
		return HUB_BK_INVAL;
	return hub_bk_strlen(s) > max ? HUB_BK_TOOLONG : HUB_BK_OK;
}

static int
check_url(const char *u)
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

int
hub_bk_plain(const char *s, size_t limit, json_object **out)
{
	if (out == NULL)
		return HUB_BK_INVAL;
	return make_text("plain_text", s, limit, out);
}

int
hub_bk_mrkdwn(const char *s, size_t limit, json_object **out)
{
	if (out == NULL)
		return HUB_BK_INVAL;
	return make_text("mrkdwn", s, limit, out);
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
	if (b->url != NULL && ((rc = check_url(b->url)) != 0 ||
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
		else if ((rc = check_url(op->url)) == 0)
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

static int
valid_date(const char *d)
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

int
hub_bk_datepicker(const char *action_id, const char *initial_date,
    const char *placeholder, json_object **out)
{
	json_object *o;
	int rc;

	if (out == NULL || (initial_date != NULL && !valid_date(initial_date)))
		return HUB_BK_INVAL;
	if ((rc = new_typed("datepicker", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_id(o, "action_id", action_id, HUB_BK_MAX_ID, 1)) == 0 &&
	    (rc = put_plain(o, "placeholder", placeholder,
	    HUB_BK_MAX_PLACEHOLDER, 0)) == 0 && initial_date != NULL)
		rc = put_str(o, "initial_date", initial_date);
	return finish(rc, o, out);
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

static int
make_image(const char *url, const char *alt, json_object **out)
{
	json_object *o, *v;
	int rc;

	if (alt == NULL || *alt == '\0')
		return HUB_BK_INVAL;
	if ((rc = check_url(url)) != HUB_BK_OK)
		return rc;
	if ((rc = new_typed("image", &o)) != HUB_BK_OK)
		return rc;
	if ((rc = put_str(o, "image_url", url)) == 0 &&
	    (rc = cut_string(alt, HUB_BK_MAX_ALT, 0, &v)) == 0)
		rc = put(o, "alt_text", v);
	return finish(rc, o, out);
}

int
hub_bk_context_add_image(json_object *context, const char *url,
    const char *alt)
{
	json_object *a, *img;
	int rc;

	if (!is_block(context, "context"))
		return HUB_BK_INVAL;
	if (json_object_object_get_ex(context, "elements", &a) &&
	    json_object_array_length(a) >= HUB_BK_MAX_CONTEXT)
		return HUB_BK_FULL;
	if ((rc = make_image(url, alt, &img)) != HUB_BK_OK)
		return rc;
	return append_limited(context, "elements", HUB_BK_MAX_CONTEXT, img);
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

int
hub_bk_image(const char *block_id, const char *url, const char *alt,
    const char *title, json_object **out)
{
	json_object *o, *v;
	int rc;

	if (out == NULL)
		return HUB_BK_INVAL;
	if ((rc = check_id(block_id, HUB_BK_MAX_ID, 0)) != HUB_BK_OK ||
	    (rc = make_image(url, alt, &o)) != HUB_BK_OK)
		return rc;
	if (block_id != NULL && (rc = put_str(o, "block_id", block_id)) != 0)
		goto out;
	if (title != NULL && ((rc = make_text("plain_text", title,
	    HUB_BK_MAX_ALT, &v)) != 0 || (rc = put(o, "title", v)) != 0))
		goto out;
out:
	return finish(rc, o, out);
}

/* ------------------------------------------------------------ lists, views */

static size_t
surface_max(enum hub_bk_surface s)
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
	l->max = surface_max(s);
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
	size_t start, i, run = 0;
	const char *ent;
	int rc = HUB_BK_OK;

	if (out == NULL || s == NULL)
		return HUB_BK_INVAL;
	start = out->len;
	for (i = 0; s[i] != '\0'; i++) {
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		default: continue;
		}
		if ((rc = buf_rc(hub_buf_add(out, s + run, i - run))) != 0 ||
		    (rc = buf_rc(hub_buf_adds(out, ent))) != 0)
			goto out;
		run = i + 1;
	}
	rc = buf_rc(hub_buf_add(out, s + run, i - run));
out:
	if (rc != HUB_BK_OK)
		buf_rollback(out, start);
	return rc;
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
	if ((rc = check_url(url)) != HUB_BK_OK)
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
	    !u8_valid(str))
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
	if (u != NULL && check_url(u) != HUB_BK_OK)
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
	if (d != NULL && !valid_date(d))
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
	size_t i, j, n, nids = 0, max = surface_max(s);
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
