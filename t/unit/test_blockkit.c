/*
 * test_blockkit.c - every Slack limit at its boundary, UTF-8-safe cuts,
 * mrkdwn escaping, full containers, and the validator on built and on
 * crafted JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "base/buf.h"

#define ELL "\xe2\x80\xa6"

/* n copies of the UTF-8 character c; caller frees. */
static char *
rep(const char *c, size_t n)
{
	size_t cl = strlen(c), i;
	char *s = malloc(cl * n + 1);

	cr_assert_not_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * cl, c, cl);
	s[cl * n] = '\0';
	return s;
}

/* Follow "a.b[2].c" from o. */
static json_object *
at(json_object *o, const char *path)
{
	char key[64];
	const char *p = path;
	size_t n;

	while (o != NULL && *p) {
		if (*p == '.')
			p++;
		if (*p == '[') {
			o = json_object_array_get_idx(o, strtoul(p + 1, NULL, 10));
			p = strchr(p, ']') + 1;
			continue;
		}
		n = strcspn(p, ".[");
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p += n;
	}
	return o;
}

static const char *
str_at(json_object *o, const char *path)
{
	json_object *v = at(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static void
expect_valid(json_object *o, enum hub_bk_surface s, const char *what)
{
	char err[256];
	int rc = hub_bk_validate(o, s, err, sizeof(err));

	cr_expect_eq(rc, HUB_BK_OK, "%s: %s", what, err);
}

/* ------------------------------------------------------------ text */

static const struct {
	const char *in;
	size_t limit;
	const char *want;
	int cut;
} cuts[] = {
	{ "", 3, "", 0 },
	{ "abc", 3, "abc", 0 },
	{ "abcd", 3, "ab" ELL, 1 },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9\xc3\xa9", 0 },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9" ELL, 1 },
	/* 4-byte emoji: never split */
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 3,
	  "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 0 },
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 3,
	  "\xf0\x9f\x98\x80\xf0\x9f\x98\x80" ELL, 1 },
	{ "a\xf0\x9f\x98\x80" "bc", 2, "a" ELL, 1 },
	{ "ab", 1, ELL, 1 },
	/* invalid bytes become U+FFFD, one character each */
	{ "a\xff" "b", 10, "a\xef\xbf\xbd" "b", 0 },
	{ "\xe2\x82", 5, "\xef\xbf\xbd\xef\xbf\xbd", 0 },
	{ "\xed\xa0\x80", 5, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 0 }, /* surrogate */
	{ "\xc0\xaf", 5, "\xef\xbf\xbd\xef\xbf\xbd", 0 },	/* overlong */
};

Test(blockkit, utf8_truncation)
{
	struct hub_buf b;
	size_t i;
	int cut;

	for (i = 0; i < HUB_NELEM(cuts); i++) {
		hub_buf_init(&b, 1024);
		cut = -1;
		cr_expect_eq(hub_bk_truncate(&b, cuts[i].in, cuts[i].limit,
		    &cut), HUB_BK_OK, "case %zu", i);
		cr_expect_str_eq(hub_buf_str(&b), cuts[i].want, "case %zu", i);
		cr_expect_eq(cut, cuts[i].cut, "case %zu", i);
		cr_expect_leq(hub_bk_strlen(hub_buf_str(&b)), cuts[i].limit,
		    "case %zu", i);
		hub_buf_release(&b);
	}
	cr_expect_eq(hub_bk_strlen("\xc3\xa9\xf0\x9f\x98\x80" "a"), 3);
	cr_expect_eq(hub_bk_strlen(""), 0);
	/* bounded buffer: unchanged on failure */
	hub_buf_init(&b, 4);
	hub_buf_adds(&b, "xy");
	cr_expect_eq(hub_bk_truncate(&b, "abcdef", 3, NULL), HUB_BK_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "xy");
	hub_buf_release(&b);
}

Test(blockkit, mrkdwn_cut_keeps_markup_whole)
{
	/* A field holds HUB_BK_MAX_FIELD characters: pad so the case's text
	 * meets the limit where its own limit was. */
	static const struct {
		const char *in;
		size_t limit;
		const char *want;
	} c[] = {
		{ "see <https://example.com|the page> now", 10, "see " ELL },
		{ "a &amp; b", 4, "a " ELL },
		{ "a &amp; b", 8, "a &amp;" ELL },
		{ "a &amp; b", 7, "a " ELL },
		{ "<@U1> ok fine", 8, "<@U1> o" ELL },
	};
	char in[HUB_BK_MAX_FIELD + 64], want[HUB_BK_MAX_FIELD + 64];
	json_object *sec, *h, *ctx;
	size_t i, pad;

	for (i = 0; i < HUB_NELEM(c); i++) {
		pad = HUB_BK_MAX_FIELD - c[i].limit;
		memset(in, 'x', pad);
		memset(want, 'x', pad);
		snprintf(in + pad, sizeof(in) - pad, "%s", c[i].in);
		snprintf(want + pad, sizeof(want) - pad, "%s", c[i].want);
		cr_assert_eq(hub_bk_section(NULL, NULL, &sec), HUB_BK_OK);
		cr_assert_eq(hub_bk_section_add_field(sec, in), HUB_BK_OK);
		cr_expect_str_eq(str_at(sec, "fields[0].text"), want, "case %zu", i);
		cr_expect_str_eq(str_at(sec, "fields[0].type"), "mrkdwn");
		json_object_put(sec);
	}
	cr_expect_eq(hub_bk_header(NULL, "", &h), HUB_BK_INVAL);
	cr_assert_eq(hub_bk_context(NULL, &ctx), HUB_BK_OK);
	cr_expect_eq(hub_bk_context_add_mrkdwn(ctx, NULL), HUB_BK_INVAL);
	json_object_put(ctx);
	cr_assert_eq(hub_bk_header(NULL, ":tada: <b>", &h), HUB_BK_OK);
	cr_expect_str_eq(str_at(h, "text.text"), ":tada: <b>");
	cr_expect_str_eq(str_at(h, "text.type"), "plain_text");
	cr_expect(json_object_get_boolean(at(h, "text.emoji")));
	json_object_put(h);
}

/* ------------------------------------------------------------ places */

/* Each builds something holding text s at one place; path finds it. */
typedef int (*mk_fn)(const char *s, json_object **out);

static int
mk_section(const char *s, json_object **o)
{
	return hub_bk_section(NULL, s, o);
}

static int
mk_field(const char *s, json_object **o)
{
	int rc = hub_bk_section(NULL, NULL, o);

	return rc ? rc : hub_bk_section_add_field(*o, s);
}

static int
mk_header(const char *s, json_object **o)
{
	return hub_bk_header(NULL, s, o);
}

static int
mk_context(const char *s, json_object **o)
{
	int rc = hub_bk_context(NULL, o);

	return rc ? rc : hub_bk_context_add_mrkdwn(*o, s);
}

static int
mk_button(const char *s, json_object **o)
{
	struct hub_bk_button b = { .text = s, .action_id = "a" };
	json_object *btn;
	int rc;

	if ((rc = hub_bk_actions(NULL, o)) != 0 ||
	    (rc = hub_bk_button(&b, &btn)) != 0)
		return rc;
	return hub_bk_actions_add(*o, btn);
}

static int
mk_select_placeholder(const char *s, json_object **o)
{
	struct hub_bk_option op = { .text = "t", .value = "v" };
	struct hub_bk_select sel = { "a", s, &op, 1, -1 };
	json_object *e;
	int rc;

	if ((rc = hub_bk_actions(NULL, o)) != 0 ||
	    (rc = hub_bk_static_select(&sel, &e)) != 0)
		return rc;
	return hub_bk_actions_add(*o, e);
}

static int
mk_option_text(const char *s, json_object **o)
{
	struct hub_bk_option op[2] = { { .text = s, .value = "v" },
	    { .text = "x", .value = "w" } };
	json_object *e;
	int rc;

	if ((rc = hub_bk_section(NULL, "s", o)) != 0 ||
	    (rc = hub_bk_overflow("a", op, 2, &e)) != 0)
		return rc;
	return hub_bk_section_accessory(*o, e);
}

static int
mk_input(const char *label, const char *hint, json_object **o)
{
	struct hub_bk_text_input ti = { .action_id = "a" };
	struct hub_bk_input in = { .label = label, .hint = hint };
	json_object *e;
	int rc;

	if ((rc = hub_bk_text_input(&ti, &e)) != 0)
		return rc;
	if ((rc = hub_bk_input(&in, e, o)) != 0)
		json_object_put(e);
	return rc;
}

static int
mk_label(const char *s, json_object **o)
{
	return mk_input(s, NULL, o);
}

static int
mk_hint(const char *s, json_object **o)
{
	return mk_input("l", s, o);
}

static int
mk_modal(const char *title, const char *submit, const char *close,
    json_object **o)
{
	struct hub_bk_modal m = { "cb", title, submit, close, NULL, 0 };
	struct hub_bk_blocks l;
	json_object *b;
	int rc;

	cr_assert_eq(hub_bk_blocks_init(&l, HUB_BK_MODAL), HUB_BK_OK);
	cr_assert_eq(hub_bk_divider(NULL, &b), HUB_BK_OK);
	cr_assert_eq(hub_bk_blocks_add(&l, b), HUB_BK_OK);
	rc = hub_bk_modal(&m, &l, o);
	hub_bk_blocks_release(&l);
	return rc;
}

static int
mk_title(const char *s, json_object **o)
{
	return mk_modal(s, NULL, NULL, o);
}

static int
mk_submit(const char *s, json_object **o)
{
	return mk_modal("t", s, NULL, o);
}

static int
mk_close(const char *s, json_object **o)
{
	return mk_modal("t", NULL, s, o);
}

static const struct {
	const char	*what;
	mk_fn		 make;
	size_t		 limit;
	const char	*path;
	int		 view;	/* validate as a modal, not a block */
} places[] = {
	{ "section text", mk_section, 3000, "text.text", 0 },
	{ "field", mk_field, 2000, "fields[0].text", 0 },
	{ "header", mk_header, 150, "text.text", 0 },
	{ "context", mk_context, 3000, "elements[0].text", 0 },
	{ "button text", mk_button, 75, "elements[0].text.text", 0 },
	{ "placeholder", mk_select_placeholder, 150,
	  "elements[0].placeholder.text", 0 },
	{ "option text", mk_option_text, 75, "accessory.options[0].text.text", 0 },
	{ "input label", mk_label, 2000, "label.text", 0 },
	{ "input hint", mk_hint, 2000, "hint.text", 0 },
	{ "modal title", mk_title, 24, "title.text", 1 },
	{ "modal submit", mk_submit, 24, "submit.text", 1 },
	{ "modal close", mk_close, 24, "close.text", 1 },
};

static void
check_place(size_t i, const char *ch, size_t n)
{
	json_object *o, *arr;
	char *s = rep(ch, n);
	const char *got;
	int rc;

	rc = places[i].make(s, &o);
	cr_assert_eq(rc, HUB_BK_OK, "%s %zu: rc %d", places[i].what, n, rc);
	got = str_at(o, places[i].path);
	cr_assert_not_null(got, "%s: no %s", places[i].what, places[i].path);
	if (n <= places[i].limit)
		cr_expect_str_eq(got, s, "%s at %zu changed", places[i].what, n);
	else {
		cr_expect_eq(hub_bk_strlen(got), places[i].limit, "%s at %zu",
		    places[i].what, n);
		cr_expect_eq(strcmp(got + strlen(got) - 3, ELL), 0,
		    "%s at %zu: no ellipsis", places[i].what, n);
		cr_expect_eq(strncmp(got, s, strlen(got) - 3), 0);
	}
	if (places[i].view)
		expect_valid(o, HUB_BK_MODAL, places[i].what);
	else {
		arr = json_object_new_array();
		json_object_array_add(arr, o);
		expect_valid(arr, HUB_BK_MESSAGE, places[i].what);
		o = arr;
	}
	json_object_put(o);
	free(s);
}

Test(blockkit, text_limits_at_boundary)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(places); i++) {
		check_place(i, "a", places[i].limit);
		check_place(i, "a", places[i].limit + 1);
		check_place(i, "\xc3\xa9", places[i].limit);		/* é */
		check_place(i, "\xc3\xa9", places[i].limit + 1);
		check_place(i, "\xf0\x9f\x98\x80", places[i].limit + 1);	/* emoji */
	}
}

/* ------------------------------------------------------------ identifiers */

static int
id_action(const char *s)
{
	struct hub_bk_button b = { .text = "t", .action_id = s };
	json_object *o = NULL;
	int rc = hub_bk_button(&b, &o);

	json_object_put(o);
	return rc;
}

static int
id_block(const char *s)
{
	json_object *o = NULL;
	int rc = hub_bk_section(s, "t", &o);

	json_object_put(o);
	return rc;
}

static int
id_value(const char *s)
{
	struct hub_bk_button b = { .text = "t", .action_id = "a", .value = s };
	json_object *o = NULL;
	int rc = hub_bk_button(&b, &o);

	json_object_put(o);
	return rc;
}

static int
id_option_value(const char *s)
{
	struct hub_bk_option op[2] = { { .text = "t", .value = s },
	    { .text = "u", .value = "v" } };
	json_object *o = NULL;
	int rc = hub_bk_overflow("a", op, 2, &o);

	json_object_put(o);
	return rc;
}

static int
id_metadata(const char *s)
{
	struct hub_bk_modal m = { .title = "t", .private_metadata = s };
	struct hub_bk_blocks l;
	json_object *o = NULL;
	int rc;

	hub_bk_blocks_init(&l, HUB_BK_MODAL);
	rc = hub_bk_modal(&m, &l, &o);
	json_object_put(o);
	hub_bk_blocks_release(&l);
	return rc;
}

static int
id_callback(const char *s)
{
	struct hub_bk_blocks l;
	json_object *o = NULL;
	int rc;

	hub_bk_blocks_init(&l, HUB_BK_HOME);
	rc = hub_bk_home(s, NULL, &l, &o);
	json_object_put(o);
	hub_bk_blocks_release(&l);
	return rc;
}

static const struct {
	const char	*what;
	int		(*make)(const char *);
	size_t		 limit;
} ids[] = {
	{ "action_id", id_action, 255 },
	{ "block_id", id_block, 255 },
	{ "button value", id_value, 2000 },
	{ "option value", id_option_value, 150 },
	{ "private_metadata", id_metadata, 3000 },
	{ "callback_id", id_callback, 255 },
};

Test(blockkit, identifiers_never_cut)
{
	char *s;
	size_t i;

	for (i = 0; i < HUB_NELEM(ids); i++) {
		s = rep("x", ids[i].limit);
		cr_expect_eq(ids[i].make(s), HUB_BK_OK, "%s at limit", ids[i].what);
		free(s);
		s = rep("x", ids[i].limit + 1);
		cr_expect_eq(ids[i].make(s), HUB_BK_TOOLONG, "%s over", ids[i].what);
		free(s);
		cr_expect_eq(ids[i].make(""), HUB_BK_INVAL, "%s empty", ids[i].what);
	}
	cr_expect_eq(id_action(NULL), HUB_BK_INVAL, "action_id is required");
}

Test(blockkit, button_value_cut_on_request)
{
	char *s = rep("\xc3\xa9", 2001);
	struct hub_bk_button b = { .text = "t", .action_id = "a", .value = s,
	    .truncate_value = 1 };
	json_object *o;

	cr_assert_eq(hub_bk_button(&b, &o), HUB_BK_OK);
	cr_expect_eq(hub_bk_strlen(str_at(o, "value")), 2000);
	json_object_put(o);
	b.truncate_value = 0;
	cr_expect_eq(hub_bk_button(&b, &o), HUB_BK_TOOLONG);
	b.value = "ok";
	b.style = (enum hub_bk_style)7;
	cr_expect_eq(hub_bk_button(&b, &o), HUB_BK_INVAL, "bad style");
	b.style = HUB_BK_STYLE_DANGER;
	b.url = "https://x y";
	cr_expect_eq(hub_bk_button(&b, &o), HUB_BK_INVAL, "url with space");
	free(s);
}

/* ------------------------------------------------------------ counts */

Test(blockkit, container_counts)
{
	struct hub_bk_option ops[HUB_BK_MAX_OPTIONS + 1];
	char vals[HUB_BK_MAX_OPTIONS + 1][8];
	struct hub_bk_select sel;
	struct hub_bk_button b = { .text = "t" };
	json_object *sec, *ctx, *act, *e, *arr;
	char id[16];
	size_t i;

	cr_assert_eq(hub_bk_section(NULL, "s", &sec), HUB_BK_OK);
	for (i = 0; i < HUB_BK_MAX_FIELDS; i++)
		cr_expect_eq(hub_bk_section_add_field(sec, "f"), HUB_BK_OK);
	cr_expect_eq(hub_bk_section_add_field(sec, "f"), HUB_BK_FULL);
	cr_expect_eq(json_object_array_length(at(sec, "fields")), 10);

	cr_assert_eq(hub_bk_context(NULL, &ctx), HUB_BK_OK);
	for (i = 0; i < HUB_BK_MAX_CONTEXT; i++)
		cr_expect_eq(hub_bk_context_add_mrkdwn(ctx, "c"), HUB_BK_OK);
	cr_expect_eq(hub_bk_context_add_mrkdwn(ctx, "c"), HUB_BK_FULL);

	cr_assert_eq(hub_bk_actions("acts", &act), HUB_BK_OK);
	for (i = 0; i <= HUB_BK_MAX_ACTIONS; i++) {
		snprintf(id, sizeof(id), "a%zu", i);
		b.action_id = id;
		cr_assert_eq(hub_bk_button(&b, &e), HUB_BK_OK);
		if (i < HUB_BK_MAX_ACTIONS)
			cr_expect_eq(hub_bk_actions_add(act, e), HUB_BK_OK);
		else {
			/* not taken: still ours */
			cr_expect_eq(hub_bk_actions_add(act, e), HUB_BK_FULL);
			json_object_put(e);
		}
	}
	/* duplicate action_id refused */
	b.action_id = "a0";
	cr_assert_eq(hub_bk_actions(NULL, &e), HUB_BK_OK);
	{
		json_object *b1, *b2;

		cr_assert_eq(hub_bk_button(&b, &b1), HUB_BK_OK);
		cr_assert_eq(hub_bk_button(&b, &b2), HUB_BK_OK);
		cr_expect_eq(hub_bk_actions_add(e, b1), HUB_BK_OK);
		cr_expect_eq(hub_bk_actions_add(e, b2), HUB_BK_INVAL);
		json_object_put(b2);
	}
	json_object_put(e);

	for (i = 0; i <= HUB_BK_MAX_OPTIONS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "v%zu", i);
		ops[i] = (struct hub_bk_option){ .text = vals[i],
		    .value = vals[i] };
	}
	cr_expect_eq(hub_bk_overflow("o", ops, 1, &e), HUB_BK_INVAL);
	cr_expect_eq(hub_bk_overflow("o", ops, 6, &e), HUB_BK_FULL);
	cr_assert_eq(hub_bk_overflow("o", ops, 5, &e), HUB_BK_OK);
	cr_expect_eq(hub_bk_section_accessory(sec, e), HUB_BK_OK);
	sel = (struct hub_bk_select){ "s", "pick", ops, 101, -1 };
	cr_expect_eq(hub_bk_static_select(&sel, &e), HUB_BK_FULL);
	sel.noptions = 0;
	cr_expect_eq(hub_bk_static_select(&sel, &e), HUB_BK_INVAL);
	sel.noptions = 100;
	sel.initial = 100;
	cr_expect_eq(hub_bk_static_select(&sel, &e), HUB_BK_INVAL);
	sel.initial = 99;
	cr_assert_eq(hub_bk_static_select(&sel, &e), HUB_BK_OK);
	cr_expect_str_eq(str_at(e, "initial_option.value"), "v99");
	json_object_put(e);

	arr = json_object_new_array();
	json_object_array_add(arr, sec);
	json_object_array_add(arr, ctx);
	json_object_array_add(arr, act);
	expect_valid(arr, HUB_BK_MESSAGE, "full containers");
	json_object_put(arr);
}

Test(blockkit, blocks_list_full)
{
	static const struct {
		enum hub_bk_surface s;
		size_t max;
	} c[] = {
		{ HUB_BK_MESSAGE, 50 },
		{ HUB_BK_MODAL, 100 },
		{ HUB_BK_HOME, 100 },
	};
	struct hub_bk_blocks l;
	json_object *b, *arr;
	size_t i, k;

	for (k = 0; k < HUB_NELEM(c); k++) {
		cr_assert_eq(hub_bk_blocks_init(&l, c[k].s), HUB_BK_OK);
		for (i = 0; i < c[k].max; i++) {
			cr_expect_eq(hub_bk_blocks_room(&l), c[k].max - i);
			cr_assert_eq(hub_bk_divider(NULL, &b), HUB_BK_OK);
			cr_expect_eq(hub_bk_blocks_add(&l, b), HUB_BK_OK);
		}
		cr_expect_eq(hub_bk_blocks_room(&l), 0);
		cr_assert_eq(hub_bk_divider(NULL, &b), HUB_BK_OK);
		cr_expect_eq(hub_bk_blocks_add(&l, b), HUB_BK_FULL);
		json_object_put(b);	/* not taken */
		arr = hub_bk_blocks_detach(&l);
		cr_expect_eq(json_object_array_length(arr), c[k].max);
		expect_valid(arr, c[k].s, "full list");
		/* one more than the surface allows fails validation */
		json_object_array_add(arr, json_object_get(
		    json_object_array_get_idx(arr, 0)));
		cr_expect_eq(hub_bk_validate(arr, c[k].s, NULL, 0),
		    HUB_BK_INVALID);
		json_object_put(arr);
		cr_expect_eq(hub_bk_blocks_room(&l), c[k].max, "reusable");
		hub_bk_blocks_release(&l);
	}
	/* block_ids are unique */
	hub_bk_blocks_init(&l, HUB_BK_MESSAGE);
	cr_assert_eq(hub_bk_divider("x", &b), HUB_BK_OK);
	cr_expect_eq(hub_bk_blocks_add(&l, b), HUB_BK_OK);
	cr_assert_eq(hub_bk_divider("x", &b), HUB_BK_OK);
	cr_expect_eq(hub_bk_blocks_add(&l, b), HUB_BK_INVAL);
	json_object_put(b);
	hub_bk_blocks_release(&l);
}

Test(blockkit, view_size_cap)
{
	struct hub_bk_modal m = { .title = "Big", .callback_id = "big" };
	char *s = rep("\xc3\xa9", 3000);	/* 6000 bytes a section */
	struct hub_bk_blocks l;
	json_object *b, *view;
	char err[256];
	size_t i;

	hub_bk_blocks_init(&l, HUB_BK_MODAL);
	for (i = 0; i < 40; i++) {
		cr_assert_eq(hub_bk_section(NULL, s, &b), HUB_BK_OK);
		cr_assert_eq(hub_bk_blocks_add(&l, b), HUB_BK_OK);
	}
	/* 40 x ~6 KB: fits under 250 KB */
	cr_assert_eq(hub_bk_modal(&m, &l, &view), HUB_BK_OK);
	expect_valid(view, HUB_BK_MODAL, "240 KB modal");
	json_object_put(view);
	for (i = 0; i < 45; i++) {
		cr_assert_eq(hub_bk_section(NULL, s, &b), HUB_BK_OK);
		cr_assert_eq(hub_bk_blocks_add(&l, b), HUB_BK_OK);
	}
	cr_expect_eq(hub_bk_modal(&m, &l, &view), HUB_BK_TOOBIG);
	cr_expect_eq(json_object_array_length(l.arr), 45, "list kept its blocks");
	/* the validator says the same about the same JSON */
	view = json_tokener_parse("{\"type\":\"modal\",\"title\":{\"type\":"
	    "\"plain_text\",\"text\":\"Big\"}}");
	json_object_object_add(view, "blocks", hub_bk_blocks_detach(&l));
	cr_expect_eq(hub_bk_validate(view, HUB_BK_MODAL, err, sizeof(err)),
	    HUB_BK_INVALID);
	cr_expect(strstr(err, "bytes of JSON"), "%s", err);
	json_object_put(view);
	hub_bk_blocks_release(&l);
	free(s);
}

/* ------------------------------------------------------------ mrkdwn */

Test(blockkit, mrkdwn_escape_mention_link)
{
	static const struct {
		const char *in, *want;
	} esc[] = {
		{ "<!channel> hi", "&lt;!channel&gt; hi" },
		{ "<!here|here>", "&lt;!here|here&gt;" },
		{ "a & b", "a &amp; b" },
		{ "&amp;", "&amp;amp;" },
		{ "<https://evil.example|click>", "&lt;https://evil.example|click&gt;" },
		{ "*bold* _it_ `code` \"q\" 'a'", "*bold* _it_ `code` \"q\" 'a'" },
		{ "", "" },
	};
	static const struct {
		const char *id, *want;
	} men[] = {
		{ "U123ABC", "<@U123ABC>" },
		{ "W0", "<@W0>" },
		{ "u123", NULL },
		{ "U12>", NULL },
		{ "U1|x", NULL },
		{ "", NULL },
		{ "U123456789012345678901234567890123", NULL },	/* 34 */
	};
	static const struct {
		const char *url, *text, *want;
	} links[] = {
		{ "https://hub.example/r/1", "Request <1> & co",
		  "<https://hub.example/r/1|Request &lt;1&gt; &amp; co>" },
		{ "https://hub.example/r/1", NULL, "<https://hub.example/r/1>" },
		{ "mailto:a@b.c", "mail", "<mailto:a@b.c|mail>" },
		{ "https://x/a|b", "t", NULL },
		{ "https://x/a>b", "t", NULL },
		{ "https://x/a b", "t", NULL },
		{ "https://x/a\nb", "t", NULL },
		{ "javascript:alert(1)", "t", NULL },
		{ "https://", "t", NULL },
		{ "", "t", NULL },
	};
	struct hub_buf b;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(esc); i++) {
		hub_buf_init(&b, 256);
		cr_expect_eq(hub_mrkdwn_escape(&b, esc[i].in), HUB_BK_OK);
		cr_expect_str_eq(hub_buf_str(&b), esc[i].want, "esc %zu", i);
		hub_buf_release(&b);
	}
	for (i = 0; i < HUB_NELEM(men); i++) {
		hub_buf_init(&b, 256);
		rc = hub_mrkdwn_mention(&b, men[i].id);
		cr_expect_eq(rc, men[i].want ? HUB_BK_OK : HUB_BK_INVAL,
		    "mention %zu", i);
		cr_expect_str_eq(hub_buf_str(&b), men[i].want ? men[i].want : "",
		    "mention %zu", i);
		hub_buf_release(&b);
	}
	for (i = 0; i < HUB_NELEM(links); i++) {
		hub_buf_init(&b, 256);
		rc = hub_mrkdwn_link(&b, links[i].url, links[i].text);
		cr_expect_eq(rc, links[i].want ? HUB_BK_OK : HUB_BK_INVAL,
		    "link %zu", i);
		cr_expect_str_eq(hub_buf_str(&b),
		    links[i].want ? links[i].want : "", "link %zu", i);
		hub_buf_release(&b);
	}
	/* bounded and all-or-nothing */
	hub_buf_init(&b, 8);
	cr_expect_eq(hub_mrkdwn_escape(&b, "<<"), HUB_BK_OK);
	cr_expect_eq(hub_mrkdwn_escape(&b, "<"), HUB_BK_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "&lt;&lt;");
	hub_buf_release(&b);
}

/* ------------------------------------------------------------ validator */

Test(blockkit, builder_output_validates)
{
	struct hub_bk_confirm conf = { "Sure?", "This *rejects* it.", "Reject",
	    "Back", HUB_BK_STYLE_DANGER };
	struct hub_bk_button approve = { .text = "Approve",
	    .action_id = "approve", .value = "req-1",
	    .style = HUB_BK_STYLE_PRIMARY };
	struct hub_bk_button reject = { .text = "Reject", .action_id = "reject",
	    .value = "req-1", .style = HUB_BK_STYLE_DANGER, .confirm = &conf };
	struct hub_bk_button open = { .text = "Open", .action_id = "open",
	    .url = "https://hub.example/requests/1" };
	struct hub_bk_option ops[] = {
		{ "Remind", "remind", "Nudge the approvers", NULL },
		{ "Web", "web", NULL, "https://hub.example/requests/1" },
	};
	struct hub_bk_text_input ti = { .action_id = "comment",
	    .placeholder = "Why?", .multiline = 1, .min_length = 1,
	    .max_length = 500, .initial_value = "x", .dispatch = HUB_BK_ON_ENTER };
	struct hub_bk_option people[] = {
		{ "Ann", "U1", NULL, NULL },
		{ "Bob", "U2", "Finance", NULL },
	};
	struct hub_bk_select sel = { "who", "Pick", people, 2, 1 };
	struct hub_bk_input in1 = { "b_comment", "Comment", "Shown to the "
	    "requester", 1, 0 };
	struct hub_bk_input in2 = { "b_who", "Who", NULL, 0, 1 };
	struct hub_bk_modal m = { "decide", "Reject request", "Send", "Cancel",
	    "{\"id\":1}", 1 };
	struct hub_bk_blocks l;
	struct hub_buf t;
	json_object *b, *e, *view;

	/* message */
	cr_assert_eq(hub_bk_blocks_init(&l, HUB_BK_MESSAGE), HUB_BK_OK);
	cr_assert_eq(hub_bk_header("h", "New request :wave:", &b), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	hub_buf_init(&t, 4096);
	cr_assert_eq(hub_mrkdwn_mention(&t, "U123"), 0);
	cr_assert_eq(hub_buf_adds(&t, " asks: "), 0);
	cr_assert_eq(hub_mrkdwn_escape(&t, "<!channel> buy a laptop & dock"), 0);
	cr_assert_eq(hub_bk_section("s", hub_buf_str(&t), &b), 0);
	cr_assert_eq(hub_bk_section_add_field(b, "*Amount*\n1 200 €"), 0);
	cr_assert_eq(hub_bk_overflow("more", ops, 2, &e), 0);
	cr_assert_eq(hub_bk_section_accessory(b, e), 0);
	cr_expect_eq(hub_bk_section_accessory(b, e), HUB_BK_INVAL, "only one");
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	cr_assert_eq(hub_bk_divider(NULL, &b), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	cr_assert_eq(hub_bk_actions("act", &b), 0);
	cr_assert_eq(hub_bk_button(&approve, &e), 0);
	cr_assert_eq(hub_bk_actions_add(b, e), 0);
	cr_assert_eq(hub_bk_button(&reject, &e), 0);
	cr_assert_eq(hub_bk_actions_add(b, e), 0);
	cr_assert_eq(hub_bk_button(&open, &e), 0);
	cr_assert_eq(hub_bk_actions_add(b, e), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	cr_assert_eq(hub_bk_context("c", &b), 0);
	cr_assert_eq(hub_bk_context_add_mrkdwn(b, "from *Workday*"), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	cr_assert_eq(hub_bk_message("New request from U123", &l, &view), 0);
	expect_valid(view, HUB_BK_MESSAGE, "message");
	cr_expect(strstr(str_at(view, "blocks[1].text.text"), "&lt;!channel&gt;"));
	cr_expect_null(strstr(str_at(view, "blocks[1].text.text"), "<!channel>"));
	cr_expect_eq(hub_bk_validate(view, HUB_BK_MODAL, NULL, 0),
	    HUB_BK_INVALID, "a message is not a modal");
	json_object_put(view);
	hub_bk_blocks_release(&l);
	hub_buf_release(&t);

	/* modal with inputs */
	cr_assert_eq(hub_bk_blocks_init(&l, HUB_BK_MODAL), 0);
	cr_assert_eq(hub_bk_text_input(&ti, &e), 0);
	cr_assert_eq(hub_bk_input(&in1, e, &b), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	cr_assert_eq(hub_bk_static_select(&sel, &e), 0);
	cr_assert_eq(hub_bk_input(&in2, e, &b), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	sel.options = ops;	/* a url option is overflow-only */
	cr_expect_eq(hub_bk_static_select(&sel, &e), HUB_BK_INVAL);
	m.submit = NULL;
	cr_expect_eq(hub_bk_modal(&m, &l, &view), HUB_BK_INVAL,
	    "inputs need submit");
	m.submit = "Send";
	cr_assert_eq(hub_bk_modal(&m, &l, &view), 0);
	expect_valid(view, HUB_BK_MODAL, "modal");
	cr_expect_eq(hub_bk_validate(view, HUB_BK_HOME, NULL, 0), HUB_BK_INVALID);
	json_object_object_del(view, "submit");
	cr_expect_eq(hub_bk_validate(view, HUB_BK_MODAL, NULL, 0),
	    HUB_BK_INVALID, "validator: inputs need submit");
	json_object_put(view);
	hub_bk_blocks_release(&l);

	/* home */
	cr_assert_eq(hub_bk_blocks_init(&l, HUB_BK_HOME), 0);
	cr_assert_eq(hub_bk_header(NULL, "Your approvals", &b), 0);
	cr_assert_eq(hub_bk_blocks_add(&l, b), 0);
	cr_expect_eq(hub_bk_modal(&m, &l, &view), HUB_BK_INVAL, "wrong surface");
	cr_assert_eq(hub_bk_home("home", "p", &l, &view), 0);
	expect_valid(view, HUB_BK_HOME, "home");
	json_object_put(view);
	hub_bk_blocks_release(&l);

	/* bad lengths */
	ti.min_length = 600;
	cr_expect_eq(hub_bk_text_input(&ti, &e), HUB_BK_INVAL, "min > max");
	ti.min_length = 0;
	ti.max_length = 3001;
	cr_expect_eq(hub_bk_text_input(&ti, &e), HUB_BK_INVAL);
}

static const struct {
	const char *json;
	enum hub_bk_surface s;
	const char *why;	/* substring of the error */
} bad[] = {
	{ "[{\"type\":\"section\"}]", HUB_BK_MESSAGE, "needs text or fields" },
	{ "[{\"type\":\"header\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"}}]",
	  HUB_BK_MESSAGE, "not allowed here" },
	{ "[{\"type\":\"bogus\"}]", HUB_BK_MESSAGE, "unknown block type" },
	{ "[{\"type\":\"divider\",\"foo\":1}]", HUB_BK_MESSAGE, "unexpected key" },
	{ "[{\"type\":\"divider\",\"block_id\":\"a\"},"
	  "{\"type\":\"divider\",\"block_id\":\"a\"}]", HUB_BK_MESSAGE, "used twice" },
	{ "[{\"type\":\"actions\",\"elements\":[]}]", HUB_BK_MESSAGE, "min 1" },
	{ "[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":"
	  "{\"type\":\"plain_text\",\"text\":\"x\"},\"style\":\"green\"}]}]",
	  HUB_BK_MESSAGE, "style" },
	{ "[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":"
	  "{\"type\":\"plain_text\",\"text\":\"\"}}]}]", HUB_BK_MESSAGE, "empty" },
	{ "[{\"type\":\"actions\",\"elements\":["
	  "{\"type\":\"button\",\"action_id\":\"a\",\"text\":{\"type\":\"plain_text\",\"text\":\"x\"}},"
	  "{\"type\":\"button\",\"action_id\":\"a\",\"text\":{\"type\":\"plain_text\",\"text\":\"y\"}}]}]",
	  HUB_BK_MESSAGE, "used twice in the block" },
	{ "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"},"
	  "\"accessory\":{\"type\":\"plain_text_input\",\"action_id\":\"a\"}}]",
	  HUB_BK_MESSAGE, "not allowed here" },
	{ "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"},"
	  "\"accessory\":{\"type\":\"static_select\",\"options\":[{\"text\":{\"type\":"
	  "\"plain_text\",\"text\":\"a\"},\"value\":\"a\"}],\"initial_option\":"
	  "{\"text\":{\"type\":\"plain_text\",\"text\":\"b\"},\"value\":\"b\"}}}]",
	  HUB_BK_MESSAGE, "initial_option" },
	{ "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"x\"},"
	  "\"accessory\":{\"type\":\"overflow\",\"options\":[{\"text\":{\"type\":"
	  "\"plain_text\",\"text\":\"a\"},\"value\":\"a\"}]}}]",
	  HUB_BK_MESSAGE, "min 2" },
	{ "[{\"type\":\"actions\",\"elements\":[{\"type\":\"datepicker\","
	  "\"initial_date\":\"2024-13-01\"}]}]", HUB_BK_MESSAGE, "YYYY-MM-DD" },
	{ "[{\"type\":\"context\",\"elements\":[{\"type\":\"button\"}]}]",
	  HUB_BK_MESSAGE, "not allowed here" },
	{ "[{\"type\":\"input\",\"label\":{\"type\":\"plain_text\",\"text\":\"l\"}}]",
	  HUB_BK_MODAL, "missing \"element\"" },
	{ "{\"type\":\"modal\",\"title\":{\"type\":\"plain_text\",\"text\":"
	  "\"1234567890123456789012345\"},\"blocks\":[]}", HUB_BK_MODAL,
	  "25 characters, max 24" },
	{ "{\"type\":\"modal\",\"blocks\":[]}", HUB_BK_MODAL, "missing \"title\"" },
	{ "{\"type\":\"home\",\"blocks\":[]}", HUB_BK_MODAL, "wrong surface" },
	{ "{\"type\":\"home\",\"title\":{\"type\":\"plain_text\",\"text\":\"t\"},"
	  "\"blocks\":[]}", HUB_BK_HOME, "unexpected key \"title\"" },
	{ "{\"blocks\":[{\"type\":\"divider\"}],\"text\":5}", HUB_BK_MESSAGE,
	  "not a string" },
	{ "{\"channel\":\"C1\"}", HUB_BK_MESSAGE, "neither text nor blocks" },
	{ "42", HUB_BK_MESSAGE, "neither blocks" },
	{ "[{\"type\":\"input\",\"label\":{\"type\":\"plain_text\",\"text\":\"l\"},"
	  "\"element\":{\"type\":\"plain_text_input\",\"min_length\":5,"
	  "\"max_length\":4}}]", HUB_BK_MODAL, "min_length > max_length" },
};

Test(blockkit, validator_rejects_crafted_json)
{
	json_object *o;
	char err[256];
	size_t i;

	for (i = 0; i < HUB_NELEM(bad); i++) {
		o = json_tokener_parse(bad[i].json);
		cr_assert_not_null(o, "case %zu: bad test JSON", i);
		cr_expect_eq(hub_bk_validate(o, bad[i].s, err, sizeof(err)),
		    HUB_BK_INVALID, "case %zu accepted", i);
		cr_expect(strstr(err, bad[i].why) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err, bad[i].why);
		json_object_put(o);
	}
	cr_expect_eq(hub_bk_validate(NULL, HUB_BK_MESSAGE, err, sizeof(err)),
	    HUB_BK_INVAL);
}

/* Text limits seen by the validator: limit passes, limit + 1 fails. */
Test(blockkit, validator_text_limits)
{
	static const struct {
		const char *fmt;	/* %s is the text */
		size_t limit;
	} c[] = {
		{ "[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"%s\"}}]", 3000 },
		{ "[{\"type\":\"section\",\"fields\":[{\"type\":\"mrkdwn\",\"text\":\"%s\"}]}]", 2000 },
		{ "[{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":\"%s\"}}]", 150 },
		{ "[{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":\"%s\"}]}]", 3000 },
		{ "[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":{\"type\":\"plain_text\",\"text\":\"%s\"}}]}]", 75 },
		{ "[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":{\"type\":\"plain_text\",\"text\":\"b\"},\"value\":\"%s\"}]}]", 2000 },
		{ "[{\"type\":\"actions\",\"elements\":[{\"type\":\"button\",\"text\":{\"type\":\"plain_text\",\"text\":\"b\"},\"action_id\":\"%s\"}]}]", 255 },
		{ "[{\"type\":\"divider\",\"block_id\":\"%s\"}]", 255 },
	};
	struct hub_buf js;
	const char *hole;
	json_object *o;
	char *s;
	size_t i, k;

	for (i = 0; i < HUB_NELEM(c); i++)
		for (k = 0; k < 2; k++) {
			s = rep("\xc3\xa9", c[i].limit + k);
			hub_buf_init(&js, 1 << 16);
			/* splice by hand: the pattern is not a format */
			hole = strstr(c[i].fmt, "%s");
			cr_assert_eq(hub_buf_add(&js, c[i].fmt,
			    (size_t)(hole - c[i].fmt)), 0);
			cr_assert_eq(hub_buf_adds(&js, s), 0);
			cr_assert_eq(hub_buf_adds(&js, hole + 2), 0);
			o = json_tokener_parse(hub_buf_str(&js));
			cr_assert_not_null(o);
			cr_expect_eq(hub_bk_validate(o, HUB_BK_MESSAGE, NULL, 0),
			    k ? HUB_BK_INVALID : HUB_BK_OK, "case %zu +%zu", i, k);
			json_object_put(o);
			hub_buf_release(&js);
			free(s);
		}
}
