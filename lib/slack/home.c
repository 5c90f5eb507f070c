/*
 * home.c - the App Home tab: view state, the pure view builder, the loader
 * that feeds it, publish coalescing, the "home_publish" job and the Home
 * tab's own actions.  See home.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "base/buf.h"
#include "slack/connections.h"
#include "approval/engine.h"
#include "slack/home.h"
#include "store/jobs.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/slackapi.h"
#include "store/sqlfrag.h"
#include "approval/search.h"

#define HOME_CALLBACK_ID	"hub_home"
#define HOME_DATA_MAX		(4u * 1024u * 1024u)
#define HOME_JSON_DEPTH		16
#define HOME_TEXT_MAX		(16u * 1024u)
#define HOME_MAX_USER		32
#define HOME_MAX_WAITING_ON	5
#define HOME_FOLLOWUP_S		2

/* Characters of user text shown per item (escaping may add bytes). */
enum {
	LIM_TITLE = 150,
	LIM_NAME = 100,
	LIM_JUSTIFICATION = 280,
};

static const char *const statuses[] = {
	"Pending", "Approved", "Rejected", "Cancelled", "Expired", "Lapsed",
};

static const char section_codes[HUB_HOME__SECTIONS] = { 'w', 'm', 'd' };

const char *
hub_home_strerror(int rc)
{
	static const char *const msg[] = {
		[HUB_HOME_OK] = "ok",
		[HUB_HOME_INVALID] = "invalid input",
		[HUB_HOME_FORBIDDEN] = "not allowed",
		[HUB_HOME_NOTFOUND] = "not found",
		[HUB_HOME_DB] = "database error",
		[HUB_HOME_NOMEM] = "out of memory",
		[HUB_HOME_TOOBIG] = "view too large",
	};

	if (rc < 0 || (size_t)rc >= HUB_NELEM(msg) || msg[rc] == NULL)
		return "unknown error";
	return msg[rc];
}

/* ------------------------------------------------------------ JSON helpers */

/* Borrowed string member, or NULL when absent or not a string. */
static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
jint(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static json_object *
jobj(json_object *o, const char *key, json_type t)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* Slack user / team ids: [A-Z0-9], 1..32. */
static int
valid_slack_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (!isupper((unsigned char)s[n]) && !isdigit((unsigned char)s[n]))
			return 0;
	return n >= 1 && n <= HOME_MAX_USER;
}

/* ------------------------------------------------------------ state */

int
hub_home_status_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	if (*s == '\0')
		return 1;
	for (i = 0; i < HUB_NELEM(statuses); i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

void
hub_home_state_init(struct hub_home_state *st)
{
	memset(st, 0, sizeof(*st));
}

/* Copy s into dst when it has at most max characters and no control
 * bytes; otherwise leave dst as it is. */
static void
state_copy(char *dst, size_t dstlen, const char *s, size_t max)
{
	const unsigned char *p;
	size_t n;

	if (s == NULL || hub_bk_strlen(s) > max || (n = strlen(s)) >= dstlen)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return;
	memcpy(dst, s, n + 1);
}

void
hub_home_state_from_json(json_object *o, struct hub_home_state *st)
{
	json_object *arr, *v;
	const char *s;
	size_t i;
	int64_t off;

	hub_home_state_init(st);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return;
	state_copy(st->source, sizeof(st->source), jstr(o, "src"), HUB_HOME_MAX_SOURCE);
	if ((s = jstr(o, "st")) != NULL && hub_home_status_valid(s))
		state_copy(st->status, sizeof(st->status), s, sizeof(st->status) - 1);
	state_copy(st->q, sizeof(st->q), jstr(o, "q"), HUB_HOME_MAX_Q);
	if ((arr = jobj(o, "o", json_type_array)) == NULL)
		return;
	for (i = 0; i < HUB_HOME__SECTIONS && i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_int))
			continue;
		off = json_object_get_int64(v);
		if (off >= 0 && off <= HUB_HOME_MAX_OFFSET)
			st->offset[i] = (int)off;
	}
}

json_object *
hub_home_state_to_json(const struct hub_home_state *st)
{
	json_object *o, *arr;
	size_t i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if ((arr = json_object_new_array()) == NULL) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "src", json_object_new_string(st->source));
	json_object_object_add(o, "st", json_object_new_string(st->status));
	json_object_object_add(o, "q", json_object_new_string(st->q));
	for (i = 0; i < HUB_HOME__SECTIONS; i++)
		json_object_array_add(arr, json_object_new_int(st->offset[i]));
	json_object_object_add(o, "o", arr);
	return o;
}

void
hub_home_state_parse(const char *s, struct hub_home_state *st)
{
	json_object *o = NULL;

	hub_home_state_init(st);
	if (s == NULL || hub_json_parse_object(s, strlen(s), HUB_BK_MAX_METADATA * 4,
	    4, &o) != HUB_JSON_OK)
		return;
	hub_home_state_from_json(o, st);
	json_object_put(o);
}

static int
state_filtered(const struct hub_home_state *st)
{
	return st->source[0] != '\0' || st->status[0] != '\0' || st->q[0] != '\0';
}

/* ------------------------------------------------------------ builder */

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
	if (valid_slack_id(who) && hub_mrkdwn_mention(out, who) == HUB_BK_OK)
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
	json_object *counts = jobj(b->data, "counts", json_type_object), *blk = NULL;
	char cell[128];
	size_t i;
	int rc;

	if ((rc = hub_bk_section("home_counts", NULL, &blk)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	for (i = 0; i < HUB_NELEM(cells); i++) {
		snprintf(cell, sizeof(cell), "*%s*\n%" PRId64, cells[i].label,
		    jint(counts, cells[i].key, 0));
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
	json_object *arr = jobj(b->data, "sources", json_type_array), *blk = NULL, *v;
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
	if (state_filtered(&b->st))
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

	if (!state_filtered(&b->st))
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
	const char *st = jstr(it, "ai_status"), *f, *w;
	json_object *fl = jobj(it, "risk_flags", json_type_array), *x;
	int64_t score = jint(it, "risk_score", -1);
	size_t i, n;

	if (st == NULL)
		return;
	if (strcmp(st, "done") == 0 && score >= 0 && score <= 10) {
		hub_buf_printf(t, "\n%s AI risk %" PRId64 "/10", score >= 7 ? "🔴" :
		    score >= 4 ? "🟡" : "🟢", score);
		if (jstr(it, "ai_summary") != NULL) {
			hub_buf_adds(t, " — ");
			add_user_text(b, t, jstr(it, "ai_summary"), LIM_JUSTIFICATION, 0);
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
	const char *id = jstr(it, "id"), *title = jstr(it, "title");
	int64_t a = jint(it, "a", 0), steps = jint(it, "steps", 1);
	json_object *blk = NULL;
	char bid[40], *val;
	int rc;

	if (id == NULL)
		return;
	hub_buf_reset(t);
	hub_buf_adds(t, "*");
	add_user_text(b, t, title && *title ? title : "Approval request", LIM_TITLE, 0);
	hub_buf_adds(t, "*\n");
	add_user_text(b, t, jstr(it, "source"), LIM_NAME, 0);
	hub_buf_adds(t, " · from ");
	if (valid_slack_id(jstr(it, "requester_slack_id")))
		add_person(b, t, jstr(it, "requester_slack_id"));
	else
		add_user_text(b, t, jstr(it, "requester"), LIM_NAME, 0);
	hub_buf_adds(t, " · ");
	add_date(t, jint(it, "created", 0));
	if (jint(it, "deadline", 0) > 0) {
		hub_buf_adds(t, " · *due* ");
		add_date(t, jint(it, "deadline", 0));
	}
	if (steps > 1)
		hub_buf_printf(t, " · step %" PRId64 " of %" PRId64, jint(it, "step", 1), steps);
	if (jstr(it, "justification") != NULL && *jstr(it, "justification") != '\0') {
		hub_buf_adds(t, "\n>");
		add_user_text(b, t, jstr(it, "justification"), LIM_JUSTIFICATION, 0);
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
	const char *id = jstr(it, "id"), *title = jstr(it, "title");
	json_object *who = jobj(it, "waiting_on", json_type_array), *blk = NULL, *btn;
	size_t i, n = who ? json_object_array_length(who) : 0;
	char bid[40], *val;
	int rc;

	if (id == NULL)
		return;
	hub_buf_reset(t);
	hub_buf_adds(t, "*");
	add_user_text(b, t, title && *title ? title : "Approval request", LIM_TITLE, 0);
	hub_buf_adds(t, "*\n");
	add_user_text(b, t, jstr(it, "source"), LIM_NAME, 0);
	hub_buf_adds(t, " · ");
	add_user_text(b, t, jstr(it, "status"), 16, 0);
	hub_buf_adds(t, " · sent ");
	add_date(t, jint(it, "created", 0));
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
	if (jint(it, "reminded", 0) > 0) {
		hub_buf_adds(t, "\n_Reminded ");
		add_date(t, jint(it, "reminded", 0));
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
	const char *title = jstr(it, "title"), *status = jstr(it, "status");
	const char *by = jstr(it, "decided_by");
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
	add_date(t, jint(it, "decided", 0));
	hub_buf_adds(t, " · ");
	add_user_text(b, t, jstr(it, "source"), LIM_NAME, 0);
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
		snprintf(bid, sizeof(bid), "home_%c_count", section_codes[sec]);
		context(b, bid, val);
	}
	if (offset + shown >= total && offset == 0)
		return;
	snprintf(bid, sizeof(bid), "home_%c_pager", section_codes[sec]);
	if ((rc = hub_bk_actions(bid, &blk)) != HUB_BK_OK) {
		note(b, rc);
		return;
	}
	if (offset + shown < total) {
		snprintf(val, sizeof(val), "%c:%" PRId64, section_codes[sec], offset + shown);
		actions_add(b, blk, make_button(b, "Show more", "home_more", val,
		    HUB_BK_STYLE_DEFAULT));
	}
	if (offset > 0) {
		snprintf(val, sizeof(val), "%c:0", section_codes[sec]);
		actions_add(b, blk, make_button(b, "Back to first", "home_back", val,
		    HUB_BK_STYLE_DEFAULT));
	}
	put_block(b, HUB_BK_OK, blk);
}

static void
build_section(struct build *b, int sec)
{
	const struct home_section *s = &home_sections[sec];
	json_object *o = jobj(b->data, s->key, json_type_object);
	json_object *items = jobj(o, "items", json_type_array);
	int64_t total = jint(o, "total", 0), offset = jint(o, "offset", 0), shown;
	size_t i, n = items ? json_object_array_length(items) : 0;
	char bid[32];

	if (offset < 0)
		offset = 0;
	snprintf(bid, sizeof(bid), "home_%c_head", section_codes[sec]);
	header(b, bid, s->title);
	shown = (int64_t)(n < (size_t)b->page ? n : (size_t)b->page);
	if (total < offset + shown)
		total = offset + shown;
	if (shown == 0) {
		snprintf(bid, sizeof(bid), "home_%c_empty", section_codes[sec]);
		section_text(b, bid, offset > 0 ? "_No more items._" :
		    state_filtered(&b->st) ? s->empty_filtered : s->empty);
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
	add_date(t, jint(b->data, "now", 0));
	if (jint(b->data, "now", 0) <= 0)
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
	hub_home_state_from_json(jobj(data, "state", json_type_object), &b.st);
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

/* ------------------------------------------------------------ statements */

/* The filters every list shares: $2 source name, $3 status, $4 search
 * ("" = off; the hub's one search, approval/search.h). */
#define HOME_FILTERS \
	" AND ($2::text = '' OR s.name = $2)" \
	" AND ($3::text = '' OR r.status = $3)" \
	" AND ($4::text = '' OR " HUB_SEARCH_MATCH("r", "$4") ")"

/* The user's own pending assignments in active steps ($1 user). */
#define HOME_MINE_ASG \
	"a.status = 'pending' AND" HUB_SQL_IS_ASSIGNEE("a", "$1")

/* Ids of the requests the user ($1) asked for or is an approver of
 * (kind: a further condition on the approver's row, "" or "… AND "),
 * each through its own index (assignments_approver_list,
 * assignments_slack_user, requests_requester_slack). */
#define HOME_USER_REQUESTS(kind) \
	"SELECT a.request_id AS id FROM assignments a WHERE " kind "a.approver_value = $1" \
	" UNION SELECT a.request_id FROM assignments a WHERE a.slack_user_id = $1" \
	" UNION SELECT r.id FROM requests r WHERE r.requester_slack_id = $1"

#define EPOCH(x) "extract(epoch FROM " x ")::bigint"

enum home_stmt {
	HS_WAITING,
	HS_MINE,
	HS_DECIDED,
	HS_COUNTS,
	HS_SOURCES,
	HS_ENQUEUE,
	HS_STATE_SAVE,
	HS_JOB_START,
	HS_JOB_DONE,
	HS_JOB_GIVEUP,
	HS_CONN_BY_TEAM,
	HS_REQUESTER,
	HS__MAX
};

static const struct hub_stmt home_stmts[HS__MAX] = {
	/* $1 user, $2..$4 filters, $5 offset, $6 limit.  One row per
	 * request (a user who is also a delegate there sees it once, own
	 * assignment first); most urgent first. */
	[HS_WAITING] = {
	    "WITH w AS (SELECT DISTINCT ON (r.id) r.id, a.id AS a, r.title, s.name AS source,"
	    " r.requester_name AS requester, r.requester_slack_id,"
	    " left(r.justification, 1000) AS justification,"
	    " " EPOCH("r.created_at") " AS created, " EPOCH("r.deadline") " AS deadline,"
	    " st.position AS step,"
	    " (SELECT count(*) FROM request_steps x WHERE x.request_id = r.id) AS steps,"
	    " r.ai_status, CASE WHEN r.ai_status = 'done' THEN r.risk_score END AS risk_score,"
	    " CASE WHEN r.ai_status = 'done' THEN left(r.ai_summary, 300) END AS ai_summary,"
	    " r.risk_flags, r.created_at AS c, r.deadline AS dl"
	    " FROM assignments a"
	    " JOIN request_steps st ON st.id = a.step_id AND st.status = 'active'"
	    " JOIN requests r ON r.id = a.request_id AND r.status = 'Pending'"
	    " JOIN sources s ON s.id = r.source_id"
	    " WHERE " HOME_MINE_ASG HOME_FILTERS
	    " ORDER BY r.id, a.delegate_of NULLS FIRST, a.id),"
	    " p AS (SELECT w.*, count(*) OVER () AS total FROM w"
	    "  ORDER BY dl NULLS LAST, c, id OFFSET $5::int LIMIT $6::int)"
	    " SELECT json_build_object('total', coalesce(max(total), 0), 'offset', $5::int,"
	    " 'items', coalesce(json_agg(json_build_object('id', id, 'a', a, 'title', title,"
	    "  'source', source, 'requester', requester,"
	    "  'requester_slack_id', requester_slack_id, 'justification', justification,"
	    "  'created', created, 'deadline', deadline, 'step', step, 'steps', steps,"
	    "  'ai_status', ai_status, 'risk_score', risk_score, 'ai_summary', ai_summary,"
	    "  'risk_flags', risk_flags)"
	    "  ORDER BY dl NULLS LAST, c, id), '[]'))::text FROM p", 6 },
	/* $1 user ...: pending requests the user asked for, newest first,
	 * with whom they wait on and the last manual reminder. */
	[HS_MINE] = {
	    "WITH p AS (SELECT r.id, r.title, s.name AS source, r.status,"
	    " " EPOCH("r.created_at") " AS created, r.created_at AS c,"
	    " (SELECT json_agg(coalesce(a.slack_user_id, a.approver_value) ORDER BY a.id)"
	    "  FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    "  AND st.status = 'active' WHERE a.request_id = r.id"
	    "  AND a.status = 'pending' AND a.delegate_of IS NULL) AS waiting_on,"
	    " (SELECT " EPOCH("max(al.at)") " FROM audit_log al WHERE al.request_id = r.id"
	    "  AND al.action = 'request.reminded') AS reminded,"
	    " count(*) OVER () AS total"
	    " FROM requests r JOIN sources s ON s.id = r.source_id"
	    " WHERE r.requester_slack_id = $1 AND r.status = 'Pending'" HOME_FILTERS
	    " ORDER BY r.created_at DESC, r.id DESC OFFSET $5::int LIMIT $6::int)"
	    " SELECT json_build_object('total', coalesce(max(total), 0), 'offset', $5::int,"
	    " 'items', coalesce(json_agg(json_build_object('id', id, 'title', title,"
	    "  'source', source, 'status', status, 'created', created,"
	    "  'waiting_on', coalesce(waiting_on, '[]'), 'reminded', reminded)"
	    "  ORDER BY c DESC, id DESC), '[]'))::text FROM p", 6 },
	/* $1 user ...: finished in the last 30 days, as approver or
	 * requester, newest first.  From the user's own requests
	 * (HOME_USER_REQUESTS), not from every request finished lately:
	 * the cost is the user's, not the hub's. */
	[HS_DECIDED] = {
	    "WITH u AS (" HOME_USER_REQUESTS("a.approver_kind = 'slack' AND ") "),"
	    " p AS (SELECT r.id, r.title, s.name AS source, r.status, r.decided_by,"
	    " " EPOCH("coalesce(r.decided_at, r.updated_at)") " AS decided,"
	    " coalesce(r.decided_at, r.updated_at) AS d, count(*) OVER () AS total"
	    " FROM u JOIN requests r ON r.id = u.id JOIN sources s ON s.id = r.source_id"
	    " WHERE r.status <> 'Pending'"
	    " AND coalesce(r.decided_at, r.updated_at) > now() - interval '30 days'"
	    HOME_FILTERS
	    " ORDER BY d DESC, r.id DESC OFFSET $5::int LIMIT $6::int)"
	    " SELECT json_build_object('total', coalesce(max(total), 0), 'offset', $5::int,"
	    " 'items', coalesce(json_agg(json_build_object('id', id, 'title', title,"
	    "  'source', source, 'status', status, 'decided_by', decided_by,"
	    "  'decided', decided) ORDER BY d DESC, id DESC), '[]'))::text FROM p", 6 },
	/* $1 user: the counts, never filtered.  Approved and rejected in
	 * the last 30 days among the user's own requests (they used to be
	 * counted among every request decided lately: 0.85 s a publish at
	 * 100 000 requests). */
	[HS_COUNTS] = {
	    "WITH u AS (" HOME_USER_REQUESTS("") "),"
	    " d AS (SELECT r.status FROM u JOIN requests r ON r.id = u.id"
	    "  WHERE r.status IN ('Approved', 'Rejected')"
	    "  AND r.decided_at > now() - interval '30 days')"
	    " SELECT json_build_object("
	    " 'waiting', (SELECT count(DISTINCT a.request_id) FROM assignments a"
	    "  JOIN request_steps st ON st.id = a.step_id AND st.status = 'active'"
	    "  JOIN requests r ON r.id = a.request_id AND r.status = 'Pending'"
	    "  WHERE " HOME_MINE_ASG "),"
	    " 'mine', (SELECT count(*) FROM requests r WHERE r.requester_slack_id = $1"
	    "  AND r.status = 'Pending'),"
	    " 'approved', (SELECT count(*) FROM d WHERE status = 'Approved'),"
	    " 'rejected', (SELECT count(*) FROM d WHERE status = 'Rejected'))::text", 1 },
	[HS_SOURCES] = {
	    "SELECT coalesce(json_agg(name ORDER BY name), '[]')::text FROM"
	    " (SELECT name FROM sources WHERE NOT disabled ORDER BY name LIMIT 98) x", 0 },
	/* $1 connection, $2 user.  Mark for a publish; the row says whether a
	 * job must be queued (nothing in flight, or a mark older than 10
	 * minutes) and when: 2 s after the last publish at the earliest. */
	[HS_ENQUEUE] = {
	    "INSERT INTO home_publish AS h (connection_id, slack_user_id, in_flight,"
	    " dirty, updated_at) VALUES ($1::uuid, $2, true, false, now())"
	    " ON CONFLICT (connection_id, slack_user_id) DO UPDATE SET"
	    " dirty = (h.in_flight AND h.updated_at > now() - interval '10 minutes'),"
	    " updated_at = CASE WHEN h.in_flight AND h.updated_at > now() - interval '10 minutes'"
	    "  THEN h.updated_at ELSE now() END,"
	    " in_flight = true"
	    " RETURNING NOT dirty, ceil(extract(epoch FROM greatest(now(),"
	    "  last_published_at + interval '" "2" " seconds')))::bigint", 2 },
	/* $1 connection, $2 user, $3 state */
	[HS_STATE_SAVE] = {
	    "INSERT INTO home_publish (connection_id, slack_user_id, state)"
	    " VALUES ($1::uuid, $2, $3::jsonb)"
	    " ON CONFLICT (connection_id, slack_user_id) DO UPDATE SET state = EXCLUDED.state", 3 },
	/* A publish starts: marks from now on ask for a follow-up. */
	[HS_JOB_START] = {
	    "UPDATE home_publish SET dirty = false, in_flight = true, updated_at = now()"
	    " WHERE connection_id = $1::uuid AND slack_user_id = $2 RETURNING state::text", 2 },
	/* Published: in flight again only when marked meanwhile (the caller
	 * then queues the follow-up in the same transaction). */
	[HS_JOB_DONE] = {
	    "UPDATE home_publish SET in_flight = dirty, dirty = false, updated_at = now(),"
	    " last_published_at = now()"
	    " WHERE connection_id = $1::uuid AND slack_user_id = $2 RETURNING in_flight", 2 },
	/* Failed for good: the next mark starts afresh. */
	[HS_JOB_GIVEUP] = {
	    "UPDATE home_publish SET in_flight = false, dirty = false, updated_at = now()"
	    " WHERE connection_id = $1::uuid AND slack_user_id = $2", 2 },
	[HS_CONN_BY_TEAM] = {
	    "SELECT id FROM slack_connections WHERE team_id = $1 AND type = 'SLACK_APP'"
	    " AND NOT disabled ORDER BY is_default DESC, created_at, id LIMIT 1", 1 },
	/* $1 request, $2 user: may this user remind about it? */
	[HS_REQUESTER] = {
	    "SELECT status FROM requests WHERE id = $1::uuid AND requester_slack_id = $2", 2 },
};

static const struct hub_stmt_table home_table = { "home", home_stmts, HS__MAX };

static int
map_db(int rc)
{
	switch (rc) {
	case HUB_DB_OK:		return HUB_HOME_OK;
	case HUB_DB_NOTFOUND:	return HUB_HOME_NOTFOUND;
	case HUB_DB_NOMEM:	return HUB_HOME_NOMEM;
	case HUB_DB_CHECK:	return HUB_HOME_INVALID;
	default:		return HUB_HOME_DB;
	}
}

/* Run a statement whose one row, one column is JSON text; parse it. */
static int
load_json(struct hub_db *db, int stmt, const char *const *params, json_object **out)
{
	PGresult *res = NULL;
	const char *s;
	int rc;

	*out = NULL;
	if ((rc = hub_db_exec(db, &home_table, stmt, params, &res)) != HUB_DB_OK)
		return map_db(rc);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		rc = HUB_HOME_DB;
		goto out;
	}
	s = PQgetvalue(res, 0, 0);
	rc = hub_json_parse(s, strlen(s), HOME_DATA_MAX, HOME_JSON_DEPTH, out) == HUB_JSON_OK &&
	    *out != NULL ? HUB_HOME_OK : HUB_HOME_DB;
out:
	PQclear(res);
	return rc;
}

int
hub_home_load(struct hub_db *db, const char *connection_id, const char *user,
    const struct hub_home_state *st, json_object **data)
{
	static const struct {
		const char	*key;
		int		 stmt;
		int		 section;   /* -1: not a list */
	} parts[] = {
		{ "counts", HS_COUNTS, -1 },
		{ "sources", HS_SOURCES, -1 },
		{ "waiting", HS_WAITING, HUB_HOME_WAITING },
		{ "mine", HS_MINE, HUB_HOME_MINE },
		{ "decided", HS_DECIDED, HUB_HOME_DECIDED },
	};
	const char *params[6];
	char off[HUB_INT_TEXT_SIZE], lim[HUB_INT_TEXT_SIZE];
	json_object *d, *part = NULL;
	size_t i;
	int rc = HUB_HOME_OK;

	(void)connection_id;
	*data = NULL;
	if (!valid_slack_id(user))
		return HUB_HOME_INVALID;
	if ((d = json_object_new_object()) == NULL)
		return HUB_HOME_NOMEM;
	json_object_object_add(d, "user", json_object_new_string(user));
	json_object_object_add(d, "now", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(d, "state", hub_home_state_to_json(st));
	snprintf(lim, sizeof(lim), "%d", HUB_HOME_PAGE);
	params[0] = user;
	params[1] = st->source;
	params[2] = st->status;
	params[3] = st->q;
	params[4] = off;
	params[5] = lim;
	for (i = 0; i < HUB_NELEM(parts); i++) {
		snprintf(off, sizeof(off), "%d",
		    parts[i].section >= 0 ? st->offset[parts[i].section] : 0);
		if ((rc = load_json(db, parts[i].stmt, params, &part)) != HUB_HOME_OK)
			goto out;
		json_object_object_add(d, parts[i].key, part);
	}
	*data = d;
	d = NULL;
out:
	json_object_put(d);
	return rc;
}

/* ------------------------------------------------------------ enqueue */

static int
dedupe_key(char *out, size_t len, const char *connection_id, const char *user,
    int64_t after_job)
{
	int n = after_job > 0 ?
	    snprintf(out, len, "home_publish:%s:%s:after:%" PRId64, connection_id, user, after_job) :
	    snprintf(out, len, "home_publish:%s:%s", connection_id, user);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

static int
queue_job(struct hub_db *db, const char *connection_id, const char *user,
    int64_t after_job, time_t run_at)
{
	char key[160];
	json_object *p;
	int rc;

	if (dedupe_key(key, sizeof(key), connection_id, user, after_job) != 0)
		return HUB_HOME_INVALID;
	if ((p = json_object_new_object()) == NULL)
		return HUB_HOME_NOMEM;
	json_object_object_add(p, "connection_id", json_object_new_string(connection_id));
	json_object_object_add(p, "user", json_object_new_string(user));
	rc = map_db(hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_HOME_PUBLISH_KIND,
	    .payload = p, .dedupe_key = key, .run_at = run_at }, NULL));
	json_object_put(p);
	return rc;
}

int
hub_home_enqueue(struct hub_db *db, const char *connection_id, const char *user)
{
	const char *params[2] = { connection_id, user };
	PGresult *res = NULL;
	int64_t run_at;
	int rc;

	if (connection_id == NULL || !valid_slack_id(user))
		return HUB_HOME_INVALID;
	if ((rc = map_db(hub_db_exec(db, &home_table, HS_ENQUEUE, params, &res))) != HUB_HOME_OK)
		return rc;
	if (PQntuples(res) != 1) {
		rc = HUB_HOME_DB;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto out;   /* one is in flight: it will see the dirty mark */
	if (hub_db_get_int64(res, 0, 1, &run_at) != HUB_DB_OK || run_at < 0)
		run_at = 0;
	rc = queue_job(db, connection_id, user, 0, run_at > time(NULL) ? (time_t)run_at : 0);
out:
	PQclear(res);
	return rc;
}

/* ------------------------------------------------------------ the job */

/* The job's verdict for each class of Slack answer. */
static const int class_verdict[] = {
	[HUB_SLACK_OK] = HUB_JOB_DONE,
	[HUB_SLACK_RATELIMITED] = HUB_JOB_RETRY,
	[HUB_SLACK_AUTH] = HUB_JOB_FAIL,        /* connections.c disabled it */
	[HUB_SLACK_NOT_FOUND_USER] = HUB_JOB_FAIL,
	[HUB_SLACK_CHANNEL] = HUB_JOB_FAIL,
	[HUB_SLACK_INVALID] = HUB_JOB_FAIL,
	[HUB_SLACK_TRANSIENT] = HUB_JOB_RETRY,
	[HUB_SLACK_OTHER] = HUB_JOB_FAIL,
};

/* views.publish with the connection's bot token, behind the shared rate
 * buckets (connections.h; an AUTH answer disables the connection there). */
static void
publish(struct hub_job_env *env, const struct hub_conn *c, const char *user,
    json_object *view, struct hub_job_result *r)
{
	struct hub_slack sl = { env->http, env->conf ? env->conf->slack_api_url : NULL,
	    0, env->keys };
	struct hub_slack_result res;
	json_object *args;
	int rc, cls;

	hub_slack_result_init(&res);
	if ((args = json_object_new_object()) == NULL) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
		return;
	}
	json_object_object_add(args, "user_id", json_object_new_string(user));
	json_object_object_add(args, "view", json_object_get(view));
	rc = hub_connections_call(env->db, &sl, c, "views.publish", NULL, args, &res);
	cls = (int)res.cls;
	if (rc == HUB_CONN_OK)
		hub_job_result_set(r, HUB_JOB_DONE, "published", "", "views.publish ok");
	else if (rc == HUB_CONN_DISABLED)
		hub_job_result_set(r, HUB_JOB_DONE, "connection disabled", "",
		    "connection disabled");
	else if (rc != HUB_CONN_SLACK)
		hub_job_result_set(r, rc == HUB_CONN_DB ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    "connection", "connection", "%s", hub_conn_strerror(rc));
	else if (strcmp(res.error, "local_ratelimit") == 0 && res.wait_ms > 0)
		/* No views.publish token yet: back at our place in line. */
		hub_job_result_defer(r, res.wait_ms, "rate limit");
	else {
		if (cls < 0 || (size_t)cls >= HUB_NELEM(class_verdict))
			cls = HUB_SLACK_OTHER;
		hub_job_result_set(r, class_verdict[cls], hub_slack_class_name(cls),
		    res.error[0] ? res.error : "slack", "%s", res.error);
		if (res.retry_after > 0)
			r->retry_after = res.retry_after;
		else if (res.wait_ms > 0)
			r->retry_after = (int)(res.wait_ms / 1000 + 1);
	}
	json_object_put(args);
	hub_slack_result_free(&res);
}

/* One statement in its own transaction (autocommit). */
static int
exec2(struct hub_db *db, int stmt, const char *a, const char *b, PGresult **res)
{
	const char *params[2] = { a, b };

	return hub_db_exec(db, &home_table, stmt, params, res);
}

/* After a publish: clear the mark, or keep it and queue the follow-up
 * when it was marked meanwhile; one transaction. */
static int
finish_published(struct hub_db *db, const char *conn, const char *user, int64_t job_id)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		return map_db(rc);
	if ((rc = map_db(exec2(db, HS_JOB_DONE, conn, user, &res))) != HUB_HOME_OK)
		goto out;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0 &&
	    (rc = queue_job(db, conn, user, job_id, time(NULL) + HOME_FOLLOWUP_S)) != HUB_HOME_OK)
		goto out;
	rc = map_db(hub_db_commit(db));
out:
	PQclear(res);
	if (hub_db_in_tx(db))
		hub_db_rollback(db);
	return rc;
}

/* Build and publish one view; r carries the verdict. */
static void
publish_once(struct hub_job_env *env, const char *conn, const char *user,
    const char *state_text, struct hub_job_result *r)
{
	struct hub_home_state st;
	struct hub_conn c;
	json_object *data = NULL, *view = NULL;
	int rc;

	if ((rc = hub_connections_get(env->db, conn, &c)) != HUB_CONN_OK) {
		if (rc == HUB_CONN_NOTFOUND)
			hub_job_result_set(r, HUB_JOB_DONE, "no connection", "",
			    "connection removed");
		else
			hub_job_result_set(r, HUB_JOB_RETRY, "database", "db",
			    "%s", hub_conn_strerror(rc));
		goto out;
	}
	if (c.disabled || c.type != HUB_CONN_SLACK_APP) {
		hub_job_result_set(r, HUB_JOB_DONE, "no home tab", "",
		    "connection disabled or without a Home tab");
		goto out;
	}
	hub_home_state_parse(state_text, &st);
	if ((rc = hub_home_load(env->db, conn, user, &st, &data)) != HUB_HOME_OK) {
		hub_job_result_set(r, rc == HUB_HOME_INVALID ? HUB_JOB_FAIL : HUB_JOB_RETRY,
		    "load", "db", "%s", hub_home_strerror(rc));
		goto out;
	}
	if ((rc = hub_home_build(data, &view)) != HUB_HOME_OK) {
		hub_job_result_set(r, HUB_JOB_FAIL, "build", "build",
		    "%s", hub_home_strerror(rc));
		goto out;
	}
	publish(env, &c, user, view, r);
out:
	json_object_put(view);
	json_object_put(data);
}

void
hub_job_home_publish(struct hub_job_env *env, const struct hub_job *job,
    struct hub_job_result *r)
{
	const char *conn = NULL, *user = NULL;
	PGresult *res = NULL;
	char *state = NULL;
	int last;

	hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload", "%s", "");
	if (hub_json_get_string(job->payload, "connection_id", 36, &conn) != HUB_JSON_OK ||
	    hub_json_get_string(job->payload, "user", HOME_MAX_USER, &user) != HUB_JSON_OK ||
	    !valid_slack_id(user)) {
		snprintf(r->detail, sizeof(r->detail), "connection_id and user are required");
		return;
	}
	if (exec2(env->db, HS_JOB_START, conn, user, &res) != HUB_DB_OK) {
		hub_job_result_set(r, HUB_JOB_RETRY, "database", "db",
		    "%s", hub_db_last_error(env->db));
		goto out;
	}
	if (PQntuples(res) != 1) {
		hub_job_result_set(r, HUB_JOB_DONE, "gone", "",
		    "no publish mark (connection removed)");
		goto out;
	}
	if ((state = strdup(PQgetvalue(res, 0, 0))) == NULL) {
		hub_job_result_set(r, HUB_JOB_RETRY, "out of memory", "nomem", "%s", "");
		goto out;
	}
	publish_once(env, conn, user, state, r);
	if (r->verdict == HUB_JOB_DONE) {
		if (finish_published(env->db, conn, user, job->id) != HUB_HOME_OK)
			hub_job_result_set(r, HUB_JOB_RETRY, "database", "db",
			    "%s", hub_db_last_error(env->db));
		goto out;
	}
	/* Failed for good (or for the last time): let the next mark start a
	 * new job instead of waiting for the stale-mark timeout. */
	last = r->verdict == HUB_JOB_FAIL ||
	    (r->verdict == HUB_JOB_RETRY && job->attempts + 1 >= job->max_attempts);
	if (last)
		(void)exec2(env->db, HS_JOB_GIVEUP, conn, user, NULL);
out:
	free(state);
	PQclear(res);
}

/* ------------------------------------------------------------ actions */

/* The enabled SLACK_APP connection of team. */
static int
connection_of_team(struct hub_db *db, const char *team, char out[HUB_ID_LEN])
{
	PGresult *res = NULL;
	int rc;

	if (!valid_slack_id(team))
		return HUB_HOME_INVALID;
	if ((rc = map_db(exec2(db, HS_CONN_BY_TEAM, team, NULL, &res))) != HUB_HOME_OK)
		return rc;
	if (PQntuples(res) != 1)
		rc = HUB_HOME_NOTFOUND;
	else
		snprintf(out, HUB_ID_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The value an action carries: a select's option value, an input's text,
 * a button's value. */
static const char *
action_value(json_object *action)
{
	json_object *opt = jobj(action, "selected_option", json_type_object);

	if (opt != NULL)
		return jstr(opt, "value");
	return jstr(action, "value");
}

static int
act_source(struct hub_home_state *st, const char *v)
{
	if (v == NULL || hub_bk_strlen(v) > HUB_HOME_MAX_SOURCE ||
	    strlen(v) >= sizeof(st->source))
		return HUB_HOME_INVALID;
	snprintf(st->source, sizeof(st->source), "%s", strcmp(v, "*") == 0 ? "" : v);
	memset(st->offset, 0, sizeof(st->offset));
	return HUB_HOME_OK;
}

static int
act_status(struct hub_home_state *st, const char *v)
{
	if (v == NULL)
		return HUB_HOME_INVALID;
	if (strcmp(v, "*") == 0)
		v = "";
	if (!hub_home_status_valid(v))
		return HUB_HOME_INVALID;
	snprintf(st->status, sizeof(st->status), "%s", v);
	memset(st->offset, 0, sizeof(st->offset));
	return HUB_HOME_OK;
}

/* Search text: trimmed, no control characters (newlines become spaces),
 * at most HUB_HOME_MAX_Q characters; empty clears the search. */
static int
act_search(struct hub_home_state *st, const char *v)
{
	char q[sizeof(st->q)];
	size_t n, i;

	if (v == NULL)
		v = "";
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	if ((n = strlen(v)) >= sizeof(q) || hub_bk_strlen(v) > HUB_HOME_MAX_Q)
		return HUB_HOME_INVALID;
	memcpy(q, v, n + 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			q[i] = ' ';
	while (n > 0 && q[n - 1] == ' ')
		q[--n] = '\0';
	memcpy(st->q, q, n + 1);
	memset(st->offset, 0, sizeof(st->offset));
	return HUB_HOME_OK;
}

/* "w:20": section code, new offset. */
static int
act_page(struct hub_home_state *st, const char *v)
{
	const char *code;
	char *end;
	long off;

	if (v == NULL || v[0] == '\0' || v[1] != ':' ||
	    (code = memchr(section_codes, v[0], sizeof(section_codes))) == NULL)
		return HUB_HOME_INVALID;
	off = strtol(v + 2, &end, 10);
	if (end == v + 2 || *end != '\0' || off < 0 || off > HUB_HOME_MAX_OFFSET)
		return HUB_HOME_INVALID;
	st->offset[code - section_codes] = (int)off;
	return HUB_HOME_OK;
}

static int
act_clear(struct hub_home_state *st, const char *v)
{
	(void)v;
	hub_home_state_init(st);
	return HUB_HOME_OK;
}

static const struct home_action {
	const char	*action_id;
	int		(*apply)(struct hub_home_state *, const char *value);
} home_actions[] = {
	{ "home_filter_source", act_source },
	{ "home_filter_status", act_status },
	{ "home_search", act_search },
	{ "home_more", act_page },
	{ "home_back", act_page },
	{ "home_clear", act_clear },
};

/* Remind: only the requester, only while pending. */
static int
remind(struct hub_db *db, const char *user, const char *team, const char *value)
{
	struct hub_actor actor = { "slack", user, team, user, "slack" };
	struct hub_action_ref ref;
	PGresult *res = NULL;
	const char *id = ref.request_id;
	int rc, n = 0;

	if (hub_action_value_parse(value, &ref) != 0) {
		rc = HUB_HOME_INVALID;
		goto out;
	}
	if ((rc = map_db(exec2(db, HS_REQUESTER, id, user, &res))) != HUB_HOME_OK)
		goto out;
	if (PQntuples(res) != 1) {
		rc = HUB_HOME_FORBIDDEN;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "Pending") != 0) {
		rc = HUB_HOME_OK;   /* decided meanwhile: the republish shows it */
		goto out;
	}
	switch (hub_engine_remind(db, id, &actor, &n)) {
	case HUB_ENGINE_OK:
	case HUB_ENGINE_CONFLICT:
		rc = HUB_HOME_OK;
		break;
	case HUB_ENGINE_NOTFOUND:
		rc = HUB_HOME_NOTFOUND;
		break;
	default:
		rc = HUB_HOME_DB;
		break;
	}
out:
	PQclear(res);
	return rc;
}

int
hub_home_handle_action(struct hub_db *db, const char *connection_id,
    const char *action_id, json_object *payload)
{
	struct hub_home_state st;
	json_object *uo, *view, *actions, *act = NULL, *sj = NULL;
	const char *user, *team, *value;
	char conn[HUB_ID_LEN];
	const struct home_action *ha = NULL;
	const char *params[3];
	size_t i;
	int rc;

	if (db == NULL || action_id == NULL || payload == NULL)
		return HUB_HOME_INVALID;
	uo = jobj(payload, "user", json_type_object);
	user = jstr(uo, "id");
	team = jstr(jobj(payload, "team", json_type_object), "id");
	if (team == NULL)
		team = jstr(uo, "team_id");
	if (!valid_slack_id(user))
		return HUB_HOME_INVALID;
	if ((actions = jobj(payload, "actions", json_type_array)) != NULL)
		for (i = 0; act == NULL && i < json_object_array_length(actions); i++) {
			json_object *a = json_object_array_get_idx(actions, i);
			const char *aid = jstr(a, "action_id");

			if (aid != NULL && strcmp(aid, action_id) == 0)
				act = a;
		}
	if (act == NULL)
		return HUB_HOME_INVALID;
	value = action_value(act);
	if (connection_id != NULL)
		snprintf(conn, sizeof(conn), "%s", connection_id);
	else if ((rc = connection_of_team(db, team, conn)) != HUB_HOME_OK)
		return rc;

	view = jobj(payload, "view", json_type_object);
	hub_home_state_parse(jstr(view, "private_metadata"), &st);
	if (strcmp(action_id, HUB_ACTION_REMIND) == 0) {
		if ((rc = remind(db, user, team, value)) != HUB_HOME_OK)
			return rc;
	} else {
		for (i = 0; i < HUB_NELEM(home_actions); i++)
			if (strcmp(home_actions[i].action_id, action_id) == 0)
				ha = &home_actions[i];
		if (ha == NULL)
			return HUB_HOME_INVALID;
		if ((rc = ha->apply(&st, value)) != HUB_HOME_OK)
			return rc;
	}

	if ((sj = hub_home_state_to_json(&st)) == NULL)
		return HUB_HOME_NOMEM;
	params[0] = conn;
	params[1] = user;
	params[2] = hub_json_str(sj, NULL);
	if ((rc = map_db(hub_db_begin(db))) != HUB_HOME_OK)
		goto out;
	if ((rc = map_db(hub_db_exec(db, &home_table, HS_STATE_SAVE, params, NULL))) != HUB_HOME_OK ||
	    (rc = hub_home_enqueue(db, conn, user)) != HUB_HOME_OK)
		goto out;
	rc = map_db(hub_db_commit(db));
out:
	if (hub_db_in_tx(db))
		hub_db_rollback(db);
	json_object_put(sj);
	return rc;
}
