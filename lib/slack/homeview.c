/*
 * homeview.c - the pure builder of the App Home tab: Block Kit from the
 * data hub_home_load() read (header, counts, filters, search, the three
 * sections with their pagers, footer), under Slack's limits.  No
 * database, no network: test_home calls it on its own.  See homeview.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "base/buf.h"
#include "slack/home.h"
#include "base/json.h"
#include "slack/payload.h"

#define HOME_CALLBACK_ID	"hub_home"
#define HOME_TEXT_MAX		(16u * 1024u)
#define HOME_MAX_WAITING_ON	5
#define HOME_CELL_MAX		128    /* one count: "*Waiting for you*\n12" */

/* Characters of user text shown per item (escaping may add bytes). */
enum {
	LIM_TITLE = 150,
	LIM_NAME = 100,
	LIM_JUSTIFICATION = 280,
};

static const char *const statuses[] = { HUB_HOME_STATUSES };

/* A Slack user / team id (payload.h's rule; NULL is none). */
static int
home_slack_id_ok(const char *s)
{
	return s != NULL && hub_payload_slack_id_ok(s);
}

struct build {
	struct hub_bk_blocks	 blocks;
	json_object		*data;
	struct hub_home_state	 st;
	int			 page;   /* items per section this pass */
	int			 err;    /* first hub_bk error */
	struct hub_buf		 t;      /* scratch text */
};

/* Append a block made by a hub_bk_* call that returned rc (call it first:
 * argument order is unspecified); a failure is remembered and the block
 * (if any) dropped. */
static void
put_block(struct build *b, int rc, json_object *blk)
{
	if (rc == HUB_BK_OK && (rc = hub_bk_blocks_add(&b->blocks, blk)) != HUB_BK_OK)
		json_object_put(blk);
	if (rc != HUB_BK_OK && b->err == HUB_BK_OK)
		b->err = rc;
}

static void
note(struct build *b, int rc)
{
	if (rc != HUB_BK_OK && b->err == HUB_BK_OK)
		b->err = rc;
}

/* User text: at most limit characters, on one line unless multiline, then
 * mrkdwn-escaped onto out. */
static void
add_user_text(struct build *b, struct hub_buf *out, const char *s, size_t limit,
    int multiline)
{
	struct hub_buf cut = HUB_BUF_INIT(HOME_TEXT_MAX);
	char *p;

	if (s == NULL || hub_bk_truncate(&cut, s, limit, NULL) != HUB_BK_OK) {
		hub_buf_release(&cut);
		return;
	}
	for (p = cut.data; p != NULL && *p != '\0'; p++)
		if (*p == '\r' || *p == '\t' || (*p == '\n' && !multiline))
			*p = ' ';
	note(b, hub_mrkdwn_escape(out, hub_buf_str(&cut)) == HUB_BUF_OK ?
	    HUB_BK_OK : HUB_BK_TOOBIG);
	hub_buf_release(&cut);
}

/* A Slack id as a mention, anything else (an email) as escaped text. */
static void
add_person(struct build *b, struct hub_buf *out, const char *who)
{
	if (who == NULL || *who == '\0')
		return;
	if (home_slack_id_ok(who) && hub_mrkdwn_mention(out, who) == HUB_BK_OK)
		return;
	add_user_text(b, out, who, LIM_NAME, 0);
}

/* <!date^…|fallback>: the reader's own time zone, a UTC fallback. */
static void
add_date(struct hub_buf *out, int64_t epoch)
{
	char fb[32];
	struct tm tm;
	time_t t = (time_t)epoch;

	if (epoch <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(fb, sizeof(fb), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		return;
	hub_buf_printf(out, "<!date^%" PRId64 "^{date_short_pretty} {time}|%s>", epoch, fb);
}

static json_object *
make_button(struct build *b, const char *text, const char *action_id,
    const char *value, enum hub_bk_style style)
{
	struct hub_bk_button bt = { text, action_id, value, NULL, style, NULL, 0 };
	json_object *e = NULL;
	int rc;

	if ((rc = hub_bk_button(&bt, &e)) != HUB_BK_OK) {
		note(b, rc);
		return NULL;
	}
	return e;
}

static void
actions_add(struct build *b, json_object *actions, json_object *e)
{
	int rc;

	if (e == NULL)
		return;
	if ((rc = hub_bk_actions_add(actions, e)) != HUB_BK_OK) {
		json_object_put(e);
		note(b, rc);
	}
}

static void
section_text(struct build *b, const char *block_id, const char *mrkdwn)
{
	json_object *blk = NULL;
	int rc = hub_bk_section(block_id, mrkdwn, &blk);

	put_block(b, rc, blk);
}

static void
header(struct build *b, const char *block_id, const char *text)
{
	json_object *blk = NULL;
	int rc = hub_bk_header(block_id, text, &blk);

	put_block(b, rc, blk);
}

static void
divider(struct build *b)
{
	json_object *blk = NULL;
	int rc = hub_bk_divider(NULL, &blk);

	put_block(b, rc, blk);
}

static void
context(struct build *b, const char *block_id, const char *mrkdwn)
{
	json_object *blk = NULL;
	int rc;

	if ((rc = hub_bk_context(block_id, &blk)) == HUB_BK_OK &&
	    (rc = hub_bk_context_add_mrkdwn(blk, mrkdwn)) != HUB_BK_OK) {
		json_object_put(blk);
		blk = NULL;
	}
	put_block(b, rc, blk);
}

static void
build_counts(struct build *b)
{
	static const struct {
		const char *key, *label;
	} cells[] = {
		{ "waiting", "Waiting for you" },
		{ "mine", "Your pending requests" },
		{ "approved", "Approved (30 days)" },
		{ "rejected", "Rejected (30 days)" },
	};
	json_object *counts = hub_json_member(b->data, "counts", json_type_object), *blk = NULL;
	char cell[HOME_CELL_MAX];
	size_t i;
	int rc;

	if ((rc = hub_bk_section("home_counts", NULL, &blk)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	for (i = 0; i < HUB_NELEM(cells); i++) {
		snprintf(cell, sizeof(cell), "*%s*\n%" PRId64, cells[i].label,
		    hub_json_member_int(counts, cells[i].key, 0));
		if ((rc = hub_bk_section_add_field(blk, cell)) != HUB_BK_OK)
			break;
	}
	if (rc != HUB_BK_OK) {
		json_object_put(blk);
		note(b, rc);
		return;
	}
	put_block(b, rc, blk);
}

/* A static_select: "all" (value "*") then values; selected "" = all. */
static json_object *
make_select(struct build *b, const char *action_id, const char *all_text,
    const char *const *values, size_t n, const char *selected)
{
	struct hub_bk_option opts[HUB_BK_MAX_OPTIONS];
	struct hub_bk_select sel = { action_id, NULL, opts, 0, 0 };
	json_object *e = NULL;
	size_t i;
	int rc;

	opts[sel.noptions++] = (struct hub_bk_option){ all_text, "*", NULL, NULL };
	for (i = 0; i < n && sel.noptions < HUB_BK_MAX_OPTIONS; i++) {
		/* a value is never cut (the text is): skip what cannot be one */
		if (values[i] == NULL || *values[i] == '\0' ||
		    hub_bk_strlen(values[i]) > HUB_BK_MAX_OPTION_VALUE)
			continue;
		if (strcmp(values[i], selected) == 0)
			sel.initial = (int)sel.noptions;
		opts[sel.noptions++] = (struct hub_bk_option){ values[i], values[i], NULL, NULL };
	}
	if ((rc = hub_bk_static_select(&sel, &e)) != HUB_BK_OK) {
		note(b, rc);
		return NULL;
	}
	return e;
}

static void
build_filters(struct build *b)
{
	const char *srcs[HUB_BK_MAX_OPTIONS];
	json_object *arr = hub_json_member(b->data, "sources", json_type_array), *blk = NULL, *v;
	size_t i, n = 0, len = arr ? json_object_array_length(arr) : 0;
	int rc;

	/* the select shows the chosen source even when it is not listed */
	if (b->st.source[0] != '\0')
		srcs[n++] = b->st.source;
	for (i = 0; i < len && n < HUB_BK_MAX_OPTIONS - 1; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string))
			continue;
		if (b->st.source[0] != '\0' && strcmp(json_object_get_string(v), b->st.source) == 0)
			continue;
		srcs[n++] = json_object_get_string(v);
	}
	if ((rc = hub_bk_actions("home_filters", &blk)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	actions_add(b, blk, make_select(b, "home_filter_source", "All sources",
	    srcs, n, b->st.source));
	actions_add(b, blk, make_select(b, "home_filter_status", "All statuses",
	    statuses, HUB_NELEM(statuses), b->st.status));
	if (hub_home_state_filtered(&b->st))
		actions_add(b, blk, make_button(b, "Clear filters", "home_clear", "clear",
		    HUB_BK_STYLE_DEFAULT));
	put_block(b, HUB_BK_OK, blk);
}

/* The search box.  Its block_id follows the stored text, so Slack shows
 * the stored text rather than what was last typed into an older view. */
static void
build_search(struct build *b)
{
	struct hub_bk_text_input ti = { "home_search", "Search title, requester, text…",
	    b->st.q, 0, 0, HUB_HOME_MAX_Q, HUB_BK_ON_ENTER };
	struct hub_bk_input in = { NULL, "Search", "Press Enter to search.", 1, 1 };
	json_object *e = NULL, *blk = NULL;
	uint32_t h = 2166136261u;
	const char *p;
	char bid[32];
	int rc;

	for (p = b->st.q; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(bid, sizeof(bid), "home_search.%08x", (unsigned)h);
	in.block_id = bid;
	if ((rc = hub_bk_text_input(&ti, &e)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	if ((rc = hub_bk_input(&in, e, &blk)) != HUB_BK_OK)
		json_object_put(e);
	put_block(b, rc, blk);
}

static void
build_filter_note(struct build *b)
{
	struct hub_buf *t = &b->t;

	if (!hub_home_state_filtered(&b->st))
		return;
	hub_buf_reset(t);
	hub_buf_adds(t, "Filtered:");
	if (b->st.source[0] != '\0') {
		hub_buf_adds(t, " source *");
		add_user_text(b, t, b->st.source, LIM_NAME, 0);
		hub_buf_adds(t, "*");
	}
	if (b->st.status[0] != '\0')
		hub_buf_printf(t, " · status *%s*", b->st.status);
	if (b->st.q[0] != '\0') {
		hub_buf_adds(t, " · matching “");
		add_user_text(b, t, b->st.q, HUB_HOME_MAX_Q, 0);
		hub_buf_adds(t, "”");
	}
	context(b, "home_filter_note", hub_buf_str(t));
}

/* ---- one item per section */

/* "\nAI: 🟡 5/10 — summary · ⚠️ likely duplicate", or the analysis'
 * status ("AI analysis pending", failed, off): never a made-up score. */
#define HOME_FLAGS_MAX	8	/* flags a Home item names at most */

static void
add_ai_line(struct build *b, struct hub_buf *t, json_object *it)
{
	const char *st = hub_json_member_str(it, "ai_status"), *f, *w;
	json_object *fl = hub_json_member(it, "risk_flags", json_type_array), *x;
	int64_t score = hub_json_member_int(it, "risk_score", -1);
	size_t i, n;

	if (st == NULL)
		return;
	if (strcmp(st, "done") == 0 && score >= 0 && score <= 10) {
		hub_buf_printf(t, "\n%s AI risk %" PRId64 "/10", score >= 7 ? "🔴" :
		    score >= 4 ? "🟡" : "🟢", score);
		if (hub_json_member_str(it, "ai_summary") != NULL) {
			hub_buf_adds(t, " — ");
			add_user_text(b, t, hub_json_member_str(it, "ai_summary"), LIM_JUSTIFICATION, 0);
		}
	} else
		hub_buf_printf(t, "\n_AI analysis %s_", strcmp(st, "pending") == 0 ? "pending" :
		    strcmp(st, "failed") == 0 ? "failed" : "off");
	n = fl != NULL ? json_object_array_length(fl) : 0;
	for (i = 0; i < n && i < HOME_FLAGS_MAX; i++) {
		x = json_object_array_get_idx(fl, i);
		if (!json_object_is_type(x, json_type_string))
			continue;
		/* Only the flags the engine knows (their words differ). */
		f = json_object_get_string(x);
		if ((w = hub_engine_flag_words(f, 1)) != f)
			hub_buf_printf(t, "%s%s", i == 0 ? " · ⚠️ " : ", ", w);
	}
}

static void
item_waiting(struct build *b, json_object *it, int idx)
{
	struct hub_buf *t = &b->t;
	const char *id = hub_json_member_str(it, "id"), *title = hub_json_member_str(it, "title");
	int64_t a = hub_json_member_int(it, "a", 0), steps = hub_json_member_int(it, "steps", 1);
	json_object *blk = NULL;
	char bid[40], *val;
	int rc;

	if (id == NULL)
		return;
	hub_buf_reset(t);
	hub_buf_adds(t, "*");
	add_user_text(b, t, title && *title ? title : "Approval request", LIM_TITLE, 0);
	hub_buf_adds(t, "*\n");
	add_user_text(b, t, hub_json_member_str(it, "source"), LIM_NAME, 0);
	hub_buf_adds(t, " · from ");
	if (home_slack_id_ok(hub_json_member_str(it, "requester_slack_id")))
		add_person(b, t, hub_json_member_str(it, "requester_slack_id"));
	else
		add_user_text(b, t, hub_json_member_str(it, "requester"), LIM_NAME, 0);
	hub_buf_adds(t, " · ");
	add_date(t, hub_json_member_int(it, "created", 0));
	if (hub_json_member_int(it, "deadline", 0) > 0) {
		hub_buf_adds(t, " · *due* ");
		add_date(t, hub_json_member_int(it, "deadline", 0));
	}
	if (steps > 1)
		hub_buf_printf(t, " · step %" PRId64 " of %" PRId64, hub_json_member_int(it, "step", 1), steps);
	if (hub_json_member_str(it, "justification") != NULL && *hub_json_member_str(it, "justification") != '\0') {
		hub_buf_adds(t, "\n>");
		add_user_text(b, t, hub_json_member_str(it, "justification"), LIM_JUSTIFICATION, 0);
	}
	add_ai_line(b, t, it);
	snprintf(bid, sizeof(bid), "home_w_%d", idx);
	section_text(b, bid, hub_buf_str(t));

	if ((val = hub_action_value(id, a)) == NULL) {
		note(b, HUB_BK_NOMEM);
		return;
	}
	snprintf(bid, sizeof(bid), "home_wa_%d", idx);
	if ((rc = hub_bk_actions(bid, &blk)) == HUB_BK_OK) {
		actions_add(b, blk, make_button(b, "Approve", HUB_ACTION_APPROVE, val, HUB_BK_STYLE_PRIMARY));
		actions_add(b, blk, make_button(b, "Reject", HUB_ACTION_REJECT, val, HUB_BK_STYLE_DANGER));
		actions_add(b, blk, make_button(b, "View details", HUB_ACTION_VIEW, val, HUB_BK_STYLE_DEFAULT));
	}
	put_block(b, rc, blk);
	free(val);
}

static void
item_mine(struct build *b, json_object *it, int idx)
{
	struct hub_buf *t = &b->t;
	const char *id = hub_json_member_str(it, "id"), *title = hub_json_member_str(it, "title");
	json_object *who = hub_json_member(it, "waiting_on", json_type_array), *blk = NULL, *btn;
	size_t i, n = who ? json_object_array_length(who) : 0;
	char bid[40], *val;
	int rc;

	if (id == NULL)
		return;
	hub_buf_reset(t);
	hub_buf_adds(t, "*");
	add_user_text(b, t, title && *title ? title : "Approval request", LIM_TITLE, 0);
	hub_buf_adds(t, "*\n");
	add_user_text(b, t, hub_json_member_str(it, "source"), LIM_NAME, 0);
	hub_buf_adds(t, " · ");
	add_user_text(b, t, hub_json_member_str(it, "status"), 16, 0);
	hub_buf_adds(t, " · sent ");
	add_date(t, hub_json_member_int(it, "created", 0));
	if (n > 0) {
		hub_buf_adds(t, "\nWaiting on ");
		for (i = 0; i < n && i < HOME_MAX_WAITING_ON; i++) {
			if (i > 0)
				hub_buf_adds(t, ", ");
			add_person(b, t, json_object_get_string(json_object_array_get_idx(who, i)));
		}
		if (n > HOME_MAX_WAITING_ON)
			hub_buf_printf(t, " and %zu more", n - HOME_MAX_WAITING_ON);
	}
	if (hub_json_member_int(it, "reminded", 0) > 0) {
		hub_buf_adds(t, "\n_Reminded ");
		add_date(t, hub_json_member_int(it, "reminded", 0));
		hub_buf_adds(t, "_");
	}
	snprintf(bid, sizeof(bid), "home_m_%d", idx);
	if ((rc = hub_bk_section(bid, hub_buf_str(t), &blk)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	if ((val = hub_action_value(id, 0)) != NULL &&
	    (btn = make_button(b, "Remind", HUB_ACTION_REMIND, val, HUB_BK_STYLE_DEFAULT)) != NULL &&
	    (rc = hub_bk_section_accessory(blk, btn)) != HUB_BK_OK) {
		json_object_put(btn);
		note(b, rc);
	}
	free(val);
	put_block(b, HUB_BK_OK, blk);
}

static void
item_decided(struct build *b, json_object *it, int idx)
{
	static const struct {
		const char *status, *emoji;
	} marks[] = {
		{ "Approved", ":white_check_mark:" }, { "Rejected", ":x:" },
		{ "Cancelled", ":no_entry_sign:" }, { "Expired", ":hourglass:" },
		{ "Lapsed", ":hourglass_flowing_sand:" },
	};
	struct hub_buf *t = &b->t;
	const char *title = hub_json_member_str(it, "title"), *status = hub_json_member_str(it, "status");
	const char *by = hub_json_member_str(it, "decided_by");
	char bid[40];
	size_t i;

	hub_buf_reset(t);
	for (i = 0; status != NULL && i < HUB_NELEM(marks); i++)
		if (strcmp(status, marks[i].status) == 0)
			hub_buf_printf(t, "%s ", marks[i].emoji);
	hub_buf_adds(t, "*");
	add_user_text(b, t, title && *title ? title : "Approval request", LIM_TITLE, 0);
	hub_buf_adds(t, "*\n");
	add_user_text(b, t, status ? status : "Decided", 16, 0);
	if (by != NULL && *by != '\0') {
		hub_buf_adds(t, " by ");
		add_person(b, t, by);
	}
	hub_buf_adds(t, " · ");
	add_date(t, hub_json_member_int(it, "decided", 0));
	hub_buf_adds(t, " · ");
	add_user_text(b, t, hub_json_member_str(it, "source"), LIM_NAME, 0);
	snprintf(bid, sizeof(bid), "home_d_%d", idx);
	section_text(b, bid, hub_buf_str(t));
}

static const struct home_section {
	const char	*key;
	const char	*title;
	const char	*empty;
	const char	*empty_filtered;
	void		(*item)(struct build *, json_object *, int);
} home_sections[HUB_HOME__SECTIONS] = {
	[HUB_HOME_WAITING] = { "waiting", "Waiting for you",
	    "_Nothing is waiting for you._",
	    "_Nothing waiting for you matches the filter._", item_waiting },
	[HUB_HOME_MINE] = { "mine", "Your requests",
	    "_None of your requests is waiting on anyone._",
	    "_None of your pending requests matches the filter._", item_mine },
	[HUB_HOME_DECIDED] = { "decided", "Recently decided",
	    "_Nothing decided in the last 30 days._",
	    "_Nothing decided recently matches the filter._", item_decided },
};

static void
build_pager(struct build *b, int sec, int64_t offset, int64_t shown, int64_t total)
{
	json_object *blk = NULL;
	char bid[32], val[96];
	int rc;

	if (shown > 0) {
		snprintf(val, sizeof(val), "Showing %" PRId64 "–%" PRId64 " of %" PRId64,
		    offset + 1, offset + shown, total);
		snprintf(bid, sizeof(bid), "home_%c_count", hub_home_section_code(sec));
		context(b, bid, val);
	}
	if (offset + shown >= total && offset == 0)
		return;
	snprintf(bid, sizeof(bid), "home_%c_pager", hub_home_section_code(sec));
	if ((rc = hub_bk_actions(bid, &blk)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	if (offset + shown < total) {
		hub_home_page_value(val, sizeof(val), sec, offset + shown);
		actions_add(b, blk, make_button(b, "Show more", "home_more", val,
		    HUB_BK_STYLE_DEFAULT));
	}
	if (offset > 0) {
		hub_home_page_value(val, sizeof(val), sec, 0);
		actions_add(b, blk, make_button(b, "Back to first", "home_back", val,
		    HUB_BK_STYLE_DEFAULT));
	}
	put_block(b, HUB_BK_OK, blk);
}

static void
build_section(struct build *b, int sec)
{
	const struct home_section *s = &home_sections[sec];
	json_object *o = hub_json_member(b->data, s->key, json_type_object);
	json_object *items = hub_json_member(o, "items", json_type_array);
	int64_t total = hub_json_member_int(o, "total", 0), offset = hub_json_member_int(o, "offset", 0), shown;
	size_t i, n = items ? json_object_array_length(items) : 0;
	char bid[32];

	if (offset < 0)
		offset = 0;
	snprintf(bid, sizeof(bid), "home_%c_head", hub_home_section_code(sec));
	header(b, bid, s->title);
	shown = (int64_t)(n < (size_t)b->page ? n : (size_t)b->page);
	if (total < offset + shown)
		total = offset + shown;
	if (shown == 0) {
		snprintf(bid, sizeof(bid), "home_%c_empty", hub_home_section_code(sec));
		section_text(b, bid, offset > 0 ? "_No more items._" :
		    hub_home_state_filtered(&b->st) ? s->empty_filtered : s->empty);
	}
	for (i = 0; i < (size_t)shown; i++)
		s->item(b, json_object_array_get_idx(items, i), (int)(offset + (int64_t)i));
	build_pager(b, sec, offset, shown, total);
}

static void
build_footer(struct build *b)
{
	struct hub_buf *t = &b->t;

	hub_buf_reset(t);
	hub_buf_adds(t, "Updated ");
	add_date(t, hub_json_member_int(b->data, "now", 0));
	if (hub_json_member_int(b->data, "now", 0) <= 0)
		hub_buf_adds(t, "just now");
	context(b, "home_footer", hub_buf_str(t));
}

/* One pass at a given page size. */
static int
build_once(struct build *b, json_object **view)
{
	json_object *meta = NULL;
	const char *ms;
	int sec, rc;

	b->err = HUB_BK_OK;
	if ((rc = hub_bk_blocks_init(&b->blocks, HUB_BK_HOME)) != HUB_BK_OK)
		return rc;
	header(b, "home_title", "Approvals");
	build_counts(b);
	build_filters(b);
	build_search(b);
	build_filter_note(b);
	for (sec = 0; sec < HUB_HOME__SECTIONS; sec++) {
		divider(b);
		build_section(b, sec);
	}
	divider(b);
	build_footer(b);
	if ((rc = b->err) != HUB_BK_OK)
		goto out;
	if ((meta = hub_home_state_to_json(&b->st)) == NULL ||
	    (ms = hub_json_str(meta, NULL)) == NULL) {
		rc = HUB_BK_NOMEM;
		goto out;
	}
	rc = hub_bk_home(HOME_CALLBACK_ID, ms, &b->blocks, view);
out:
	json_object_put(meta);
	hub_bk_blocks_release(&b->blocks);
	return rc;
}

int
hub_home_build(json_object *data, json_object **view)
{
	struct build b;
	int rc = HUB_BK_INVAL;

	if (data == NULL || view == NULL)
		return HUB_HOME_INVALID;
	memset(&b, 0, sizeof(b));
	b.data = data;
	hub_buf_init(&b.t, HOME_TEXT_MAX);
	hub_home_state_from_json(hub_json_member(data, "state", json_type_object), &b.st);
	/* Fewer items per page until the view fits in 250 KB. */
	for (b.page = HUB_HOME_PAGE; b.page >= 1; b.page /= 2)
		if ((rc = build_once(&b, view)) != HUB_BK_TOOBIG && rc != HUB_BK_FULL)
			break;
	hub_buf_release(&b.t);
	switch (rc) {
	case HUB_BK_OK:		return HUB_HOME_OK;
	case HUB_BK_NOMEM:	return HUB_HOME_NOMEM;
	case HUB_BK_TOOBIG:
	case HUB_BK_FULL:	return HUB_HOME_TOOBIG;
	default:		return HUB_HOME_INVALID;
	}
}
