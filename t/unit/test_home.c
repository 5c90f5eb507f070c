/*
 * test_home.c - the Home tab builder on its own (lib/slack/home.c): Slack's
 * limits with far too much data (100 blocks, 250 KB, "Show more"), paging
 * both ways, escaping of user text, the buttons' action ids and values,
 * filters and the search box, and the view state's round trip through
 * private_metadata (lenient on tampered input).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "slack/home.h"
#include "base/json.h"

/* ------------------------------------------------------------ helpers */

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

/* A data object as hub_home_load() makes it, with n items per section
 * (total says how many exist), every text field set to text. */
static json_object *
data_make(size_t n, int64_t total, int64_t offset, const char *text, json_object *state)
{
	static const char *const keys[] = { "waiting", "mine", "decided" };
	json_object *d = json_object_new_object(), *counts = json_object_new_object();
	json_object *sources = json_object_new_array();
	size_t k, i;
	char id[40];

	json_object_object_add(d, "user", json_object_new_string("U0APPROVER"));
	json_object_object_add(d, "now", json_object_new_int64(1700000000));
	json_object_object_add(d, "state", state ? state : json_object_new_object());
	json_object_array_add(sources, json_object_new_string("Concur"));
	json_object_array_add(sources, json_object_new_string("Workday"));
	json_object_object_add(d, "sources", sources);
	json_object_object_add(counts, "waiting", json_object_new_int64(total));
	json_object_object_add(counts, "mine", json_object_new_int64(total));
	json_object_object_add(counts, "approved", json_object_new_int(3));
	json_object_object_add(counts, "rejected", json_object_new_int(1));
	json_object_object_add(d, "counts", counts);
	for (k = 0; k < 3; k++) {
		json_object *sec = json_object_new_object(), *items = json_object_new_array();

		for (i = 0; i < n; i++) {
			json_object *it = json_object_new_object(), *who = json_object_new_array();

			snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012zu", k * 1000 + i);
			json_object_object_add(it, "id", json_object_new_string(id));
			json_object_object_add(it, "a", json_object_new_int64((int64_t)(i + 1)));
			json_object_object_add(it, "title", json_object_new_string(text));
			json_object_object_add(it, "source", json_object_new_string(text));
			json_object_object_add(it, "requester", json_object_new_string(text));
			json_object_object_add(it, "justification", json_object_new_string(text));
			json_object_object_add(it, "status", json_object_new_string(k == 2 ? "Approved" : "Pending"));
			json_object_object_add(it, "decided_by", json_object_new_string(text));
			json_object_object_add(it, "created", json_object_new_int64(1699990000));
			json_object_object_add(it, "decided", json_object_new_int64(1699995000));
			json_object_object_add(it, "deadline", json_object_new_int64(1700100000));
			json_object_object_add(it, "step", json_object_new_int(1));
			json_object_object_add(it, "steps", json_object_new_int(2));
			for (size_t w = 0; w < 8; w++)
				json_object_array_add(who, json_object_new_string(w % 2 ? "U0SOMEONE" : text));
			json_object_object_add(it, "waiting_on", who);
			json_object_array_add(items, it);
		}
		json_object_object_add(sec, "total", json_object_new_int64(total));
		json_object_object_add(sec, "offset", json_object_new_int64(offset));
		json_object_object_add(sec, "items", items);
		json_object_object_add(d, keys[k], sec);
	}
	return d;
}

static json_object *
build_ok(json_object *data)
{
	json_object *view = NULL;
	char err[256] = "";
	int rc = hub_home_build(data, &view);

	cr_assert_eq(rc, HUB_HOME_OK, "build: %s", hub_home_strerror(rc));
	cr_assert_not_null(view);
	cr_assert_eq(hub_bk_validate(view, HUB_BK_HOME, err, sizeof(err)), HUB_BK_OK,
	    "validator: %s", err);
	return view;
}

static json_object *
blocks_of(json_object *view)
{
	json_object *b = NULL;

	cr_assert(json_object_object_get_ex(view, "blocks", &b));
	return b;
}

static size_t
view_bytes(json_object *view)
{
	return strlen(json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN));
}

/* Every element with this action_id, anywhere (actions elements, section
 * accessories, input elements). */
static size_t
find_actions(json_object *view, const char *action_id, json_object **out, size_t max)
{
	json_object *blocks = blocks_of(view), *blk, *els, *e, *acc;
	size_t i, j, n = 0;
	const char *aid;

	for (i = 0; i < json_object_array_length(blocks); i++) {
		blk = json_object_array_get_idx(blocks, i);
		if (json_object_object_get_ex(blk, "elements", &els) &&
		    json_object_is_type(els, json_type_array))
			for (j = 0; j < json_object_array_length(els); j++) {
				e = json_object_array_get_idx(els, j);
				aid = json_object_get_string(json_object_object_get(e, "action_id"));
				if (aid != NULL && strcmp(aid, action_id) == 0 && n < max)
					out[n++] = e;
			}
		if ((json_object_object_get_ex(blk, "accessory", &acc) ||
		    json_object_object_get_ex(blk, "element", &acc)) &&
		    (aid = json_object_get_string(json_object_object_get(acc, "action_id"))) != NULL &&
		    strcmp(aid, action_id) == 0 && n < max)
			out[n++] = acc;
	}
	return n;
}

static json_object *
block_by_id(json_object *view, const char *prefix)
{
	json_object *blocks = blocks_of(view), *blk;
	const char *bid;
	size_t i;

	for (i = 0; i < json_object_array_length(blocks); i++) {
		blk = json_object_array_get_idx(blocks, i);
		bid = json_object_get_string(json_object_object_get(blk, "block_id"));
		if (bid != NULL && strncmp(bid, prefix, strlen(prefix)) == 0)
			return blk;
	}
	return NULL;
}

static const char *
text_of(json_object *blk)
{
	return json_object_get_string(json_object_object_get(
	    json_object_object_get(blk, "text"), "text"));
}

/* ------------------------------------------------------------ limits */

struct limit_case {
	const char	*name;
	const char	*unit;    /* repeated to make each text field */
	size_t		 reps;
	size_t		 items;   /* per section handed to the builder */
	int64_t		 total;
};

static const struct limit_case limit_cases[] = {
	{ "empty", "x", 1, 0, 0 },
	{ "one page exactly", "Laptop", 1, 10, 10 },
	{ "ascii, many items", "a", 3000, 500, 5000 },
	{ "4-byte characters", "\xf0\x9f\x98\x80", 3000, 500, 5000 },
	{ "escape-heavy", "<&>", 1000, 500, 5000 },
};

Test(home_build, stays_within_slack_limits)
{
	size_t i;

	for (i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];
		char *text = rep(c->unit, c->reps);
		json_object *d = data_make(c->items, c->total, 0, text, NULL);
		json_object *view = build_ok(d), *more[4];
		size_t nmore = find_actions(view, "home_more", more, 4);

		cr_assert_leq(json_object_array_length(blocks_of(view)), 100, "%s", c->name);
		cr_assert_leq(view_bytes(view), 250u * 1024u, "%s", c->name);
		/* a "Show more" for each section that has more than a page */
		cr_assert_eq(nmore, c->total > 10 ? 3u : 0u, "%s: %zu show more", c->name, nmore);
		if (nmore > 0)
			cr_assert_str_eq(json_object_get_string(json_object_object_get(more[0],
			    "value")), "w:10", "%s", c->name);
		json_object_put(view);
		json_object_put(d);
		free(text);
	}
}

Test(home_build, paging_from_an_offset)
{
	json_object *d = data_make(10, 34, 10, "Trip", NULL), *view = build_ok(d), *el[4];
	json_object *ctx = block_by_id(view, "home_w_count");

	cr_assert_eq(find_actions(view, "home_more", el, 4), 3);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "value")), "w:20");
	cr_assert_eq(find_actions(view, "home_back", el, 4), 3);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "value")), "w:0");
	cr_assert_not_null(ctx);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(ctx, "elements"), 0), "text")), "Showing 11–20 of 34");
	json_object_put(view);
	json_object_put(d);
}

Test(home_build, past_the_end_offers_the_way_back)
{
	json_object *d = data_make(0, 0, 40, "x", NULL), *view = build_ok(d), *el[4];

	cr_assert_eq(find_actions(view, "home_more", el, 4), 0);
	cr_assert_eq(find_actions(view, "home_back", el, 4), 3);
	cr_assert_not_null(strstr(text_of(block_by_id(view, "home_w_empty")), "No more"));
	json_object_put(view);
	json_object_put(d);
}

/* ------------------------------------------------------------ content */

Test(home_build, buttons_follow_the_render_conventions)
{
	json_object *d = data_make(2, 2, 0, "Laptop", NULL), *view = build_ok(d), *el[8], *v = NULL;
	const char *val;

	cr_assert_eq(find_actions(view, "hub_approve", el, 8), 2);
	val = json_object_get_string(json_object_object_get(el[0], "value"));
	cr_assert_eq(hub_json_parse_object(val, strlen(val), 2000, 4, &v), HUB_JSON_OK);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "r")),
	    "00000000-0000-4000-8000-000000000000");
	cr_assert_eq(json_object_get_int(json_object_object_get(v, "a")), 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "style")), "primary");
	json_object_put(v);
	cr_assert_eq(find_actions(view, "hub_reject", el, 8), 2);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "style")), "danger");
	cr_assert_eq(find_actions(view, "hub_view", el, 8), 2);
	/* Remind on the user's own requests: a = 0 */
	cr_assert_eq(find_actions(view, "hub_remind", el, 8), 2);
	val = json_object_get_string(json_object_object_get(el[1], "value"));
	cr_assert_str_eq(val, "{\"r\":\"00000000-0000-4000-8000-000000001001\",\"a\":0}");
	json_object_put(view);
	json_object_put(d);
}

Test(home_build, user_text_is_escaped)
{
	json_object *d = data_make(1, 1, 0, "<!channel> & <https://evil|click>", NULL);
	json_object *view = build_ok(d);
	const char *t = text_of(block_by_id(view, "home_w_0"));

	cr_assert_not_null(t);
	cr_assert_null(strstr(t, "<!channel>"));
	cr_assert_not_null(strstr(t, "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"));
	cr_assert_not_null(strstr(t, "<!date^1699990000^"), "%s", t);
	json_object_put(view);
	json_object_put(d);
}

Test(home_build, counts_and_empty_sections)
{
	json_object *d = data_make(0, 0, 0, "x", NULL), *view = build_ok(d);
	json_object *counts = block_by_id(view, "home_counts");

	cr_assert_not_null(counts);
	cr_assert_not_null(strstr(json_object_to_json_string(counts), "Approved (30 days)*\\n3"));
	cr_assert_not_null(strstr(text_of(block_by_id(view, "home_w_empty")), "Nothing is waiting"));
	cr_assert_not_null(block_by_id(view, "home_m_empty"));
	cr_assert_not_null(block_by_id(view, "home_d_empty"));
	json_object_put(view);
	json_object_put(d);
}

Test(home_build, garbage_data_still_gives_a_valid_view)
{
	json_object *d = json_object_new_object(), *view;

	json_object_object_add(d, "waiting", json_object_new_string("nope"));
	json_object_object_add(d, "counts", json_object_new_array());
	json_object_object_add(d, "sources", json_object_new_int(3));
	view = build_ok(d);
	json_object_put(view);
	json_object_put(d);
	cr_assert_eq(hub_home_build(NULL, &view), HUB_HOME_INVALID);
}

/* ------------------------------------------------------------ filters */

Test(home_build, filters_show_the_chosen_state)
{
	struct hub_home_state st;
	json_object *d, *view, *el[2], *init, *srcs;
	size_t i;

	hub_home_state_init(&st);
	snprintf(st.source, sizeof(st.source), "Jira");
	snprintf(st.status, sizeof(st.status), "Approved");
	snprintf(st.q, sizeof(st.q), "laptop <b>");
	d = data_make(0, 0, 0, "x", hub_home_state_to_json(&st));
	/* 300 sources: the select still holds at most 100 options */
	srcs = json_object_new_array();
	for (i = 0; i < 300; i++) {
		char name[16];

		snprintf(name, sizeof(name), "src%03zu", i);
		json_object_array_add(srcs, json_object_new_string(name));
	}
	json_object_object_add(d, "sources", srcs);
	view = build_ok(d);

	cr_assert_eq(find_actions(view, "home_filter_source", el, 2), 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "type")), "static_select");
	cr_assert_leq(json_object_array_length(json_object_object_get(el[0], "options")), 100);
	init = json_object_object_get(el[0], "initial_option");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(init, "value")), "Jira");
	cr_assert_eq(find_actions(view, "home_filter_status", el, 2), 1);
	init = json_object_object_get(el[0], "initial_option");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(init, "value")), "Approved");
	cr_assert_eq(find_actions(view, "home_clear", el, 2), 1);

	/* the search box dispatches on Enter and shows the stored text */
	cr_assert_eq(find_actions(view, "home_search", el, 2), 1);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "type")), "plain_text_input");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(el[0], "initial_value")), "laptop <b>");
	cr_assert_not_null(json_object_object_get(el[0], "dispatch_action_config"));
	cr_assert(json_object_get_boolean(json_object_object_get(block_by_id(view, "home_search"),
	    "dispatch_action")));
	cr_assert_not_null(strstr(text_of(block_by_id(view, "home_w_empty")), "matches the filter"));
	cr_assert_not_null(strstr(json_object_to_json_string(block_by_id(view, "home_filter_note")),
	    "laptop &lt;b&gt;"));
	json_object_put(view);
	json_object_put(d);
}

Test(home_build, no_filter_no_clear_button)
{
	json_object *d = data_make(0, 0, 0, "x", NULL), *view = build_ok(d), *el[2];

	cr_assert_eq(find_actions(view, "home_clear", el, 2), 0);
	cr_assert_null(block_by_id(view, "home_filter_note"));
	json_object_put(view);
	json_object_put(d);
}

/* ------------------------------------------------------------ state */

Test(home_state, round_trip_through_private_metadata)
{
	struct hub_home_state st, back;
	json_object *d, *view;
	const char *meta;

	hub_home_state_init(&st);
	snprintf(st.source, sizeof(st.source), "Concur \"EU\"");
	snprintf(st.status, sizeof(st.status), "Rejected");
	snprintf(st.q, sizeof(st.q), "caf\xc3\xa9 & tea");
	st.offset[HUB_HOME_WAITING] = 20;
	st.offset[HUB_HOME_DECIDED] = 10;
	d = data_make(3, 40, 20, "x", hub_home_state_to_json(&st));
	view = build_ok(d);
	meta = json_object_get_string(json_object_object_get(view, "private_metadata"));
	cr_assert_not_null(meta);
	hub_home_state_parse(meta, &back);
	cr_assert_str_eq(back.source, st.source);
	cr_assert_str_eq(back.status, st.status);
	cr_assert_str_eq(back.q, st.q);
	cr_assert_eq(memcmp(back.offset, st.offset, sizeof(st.offset)), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(view, "callback_id")), "hub_home");
	json_object_put(view);
	json_object_put(d);
}

struct lenient_case {
	const char	*meta;
	const char	*source, *status, *q;
	int		 w;
};

static const struct lenient_case lenient_cases[] = {
	{ NULL, "", "", "", 0 },
	{ "", "", "", "", 0 },
	{ "not json", "", "", "", 0 },
	{ "[1,2]", "", "", "", 0 },
	{ "{\"src\":5,\"st\":\"Bogus\",\"q\":[],\"o\":\"x\"}", "", "", "", 0 },
	{ "{\"st\":\"Pending\",\"o\":[-1,2,3]}", "", "Pending", "", 0 },
	{ "{\"o\":[100001]}", "", "", "", 0 },
	{ "{\"o\":[100000]}", "", "", "", 100000 },
	{ "{\"q\":\"a\\u0001b\"}", "", "", "", 0 },
	{ "{\"src\":\"Workday\",\"q\":\"pto\",\"o\":[30]}", "Workday", "", "pto", 30 },
};

Test(home_state, tampered_metadata_falls_back_to_defaults)
{
	struct hub_home_state st;
	char *longq = rep("q", 201), meta[512];
	size_t i;

	for (i = 0; i < sizeof(lenient_cases) / sizeof(lenient_cases[0]); i++) {
		const struct lenient_case *c = &lenient_cases[i];

		hub_home_state_parse(c->meta, &st);
		cr_assert_str_eq(st.source, c->source, "case %zu", i);
		cr_assert_str_eq(st.status, c->status, "case %zu", i);
		cr_assert_str_eq(st.q, c->q, "case %zu", i);
		cr_assert_eq(st.offset[0], c->w, "case %zu", i);
	}
	snprintf(meta, sizeof(meta), "{\"q\":\"%s\"}", longq);
	hub_home_state_parse(meta, &st);
	cr_assert_str_eq(st.q, "", "a search over 200 characters is dropped");
	free(longq);
}

Test(home_state, statuses)
{
	cr_assert(hub_home_status_valid(""));
	cr_assert(hub_home_status_valid("Lapsed"));
	cr_assert_not(hub_home_status_valid("pending"));
	cr_assert_not(hub_home_status_valid(NULL));
}
