/*
 * test_render.c - every notification kind × (app, webhook) × (full,
 * minimal context) renders valid Block Kit, a bounded fallback text and an
 * email; escaping against injection; pagination and truncation; source
 * wording with fallbacks; mention batches; button values; sync variants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "slack/actions.h"
#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "slack/render.h"
#include "approval/sourceadmin.h"

#define RID "3f2b8a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

/* Everything present, and hostile where people type. */
static const char *full_ctx =
	"{\"request\": {\"id\": \"" RID "\", \"title\": \"Trip to Berlin <script>alert(1)</script>\","
	" \"status\": \"Pending\", \"source\": \"Concur\", \"preset\": \"concur_expense\","
	" \"requester_name\": \"Ana <!channel> & >\", \"requester_slack_id\": \"U0ANA\","
	" \"requester_email\": \"ana@example.com\","
	" \"justification\": \"Client visit <@U123|x> & <!here> <script>x</script>\","
	" \"metadata\": {\"amount\": 1234.5, \"currency\": \"EUR\", \"category\": \"<!channel>\","
	"   \"receipt_url\": \"https://receipts.example.com/r/1?a=1&b=2\", \"cost_center\": \"CC-9 > CC-1\"},"
	" \"deadline\": \"2026-11-24T17:00:00Z\", \"created_at\": \"2026-11-20T09:30:00Z\","
	" \"decided_by\": null, \"decided_at\": null, \"decision_comment\": null,"
	" \"ai_summary\": \"Routine travel <b>expense</b>.\", \"risk_score\": 7,"
	" \"current_step\": 1, \"step_count\": 2},"
	" \"step\": {\"position\": 1, \"rule\": \"all\", \"quorum\": null, \"approved\": 2,"
	"   \"rejected\": 0, \"total\": 3},"
	" \"assignment\": {\"id\": 42, \"approver_kind\": \"slack\", \"approver_value\": \"U0BOB\","
	"   \"slack_user_id\": \"U0BOB\", \"display\": \"Bob\", \"delegate_for\": \"Carol <!everyone>\","
	"   \"status\": \"pending\"},"
	" \"links\": {\"view\": \"https://hub.example.com/requests/" RID "\","
	"   \"decide\": \"https://hub.example.com/decide/tok123\"},"
	" \"editable\": true, \"reason\": \"Over <budget> & late\","
	" \"actor_display\": \"Dave <!channel>\","
	" \"mentions\": [\"U0BOB\", \"U0EVE\"]}";

/* Only what is required. */
static const char *min_ctx =
	"{\"request\": {\"id\": \"" RID "\", \"title\": \"PTO\", \"status\": \"Pending\","
	" \"requester_name\": \"Ana <!channel>\", \"justification\": \"\"}}";

static json_object *
parse(const char *js)
{
	json_object *o = json_tokener_parse(js);

	cr_assert_not_null(o, "bad test json %.80s", js);
	return o;
}

/* ctx with mode set */
static json_object *
ctx_mode(const char *js, const char *mode)
{
	json_object *o = parse(js);

	json_object_object_add(o, "mode", json_object_new_string(mode));
	return o;
}

static size_t
cps(const char *s)
{
	return hub_bk_strlen(s);
}

static void
assert_valid(json_object *blocks)
{
	char err[256] = "";

	cr_assert_not_null(blocks);
	cr_assert_eq(hub_bk_validate(blocks, HUB_BK_MESSAGE, err, sizeof(err)),
	    HUB_BK_OK, "invalid blocks: %s", err);
	cr_assert_leq(json_object_array_length(blocks), 50);
}

/* Find the element with action_id anywhere in blocks. */
static json_object *
find_action(json_object *blocks, const char *action_id)
{
	json_object *b, *els, *e, *id;
	size_t i, j;

	for (i = 0; i < json_object_array_length(blocks); i++) {
		b = json_object_array_get_idx(blocks, i);
		if (!json_object_object_get_ex(b, "elements", &els))
			continue;
		for (j = 0; j < json_object_array_length(els); j++) {
			e = json_object_array_get_idx(els, j);
			if (json_object_object_get_ex(e, "action_id", &id) &&
			    strcmp(json_object_get_string(id), action_id) == 0)
				return e;
		}
	}
	return NULL;
}

static int
has_buttons(json_object *blocks)
{
	return find_action(blocks, "hub_approve") != NULL ||
	    find_action(blocks, "hub_reject") != NULL ||
	    find_action(blocks, "hub_edit") != NULL ||
	    find_action(blocks, "hub_snooze") != NULL;
}

/* Every mrkdwn text of o, recursively, passed to fn. */
static void
each_mrkdwn(json_object *o, void (*fn)(const char *, void *), void *arg)
{
	json_object *t, *x;
	size_t i;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			each_mrkdwn(json_object_array_get_idx(o, i), fn, arg);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "type", &t) &&
	    strcmp(json_object_get_string(t), "mrkdwn") == 0 &&
	    json_object_object_get_ex(o, "text", &x))
		fn(json_object_get_string(x), arg);
	json_object_object_foreach(o, k, v) {
		(void)k;
		each_mrkdwn(v, fn, arg);
	}
}

static void
no_injection(const char *s, void *arg)
{
	(void)arg;
	cr_assert_null(strstr(s, "<!channel>"), "unescaped <!channel> in %s", s);
	cr_assert_null(strstr(s, "<!here>"), "unescaped <!here> in %s", s);
	cr_assert_null(strstr(s, "<!everyone>"), "unescaped in %s", s);
	cr_assert_null(strstr(s, "<@U123|x>"), "unescaped mention in %s", s);
	cr_assert_null(strstr(s, "<b>"), "unescaped <b> in %s", s);
	cr_assert_null(strstr(s, "{{"), "raw placeholder in %s", s);
}

/* All mrkdwn texts joined, for searching. */
static void
join(const char *s, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	if (n + strlen(s) + 2 < 1 << 20) {
		memcpy(buf + n, s, strlen(s));
		buf[n + strlen(s)] = '\n';
		buf[n + strlen(s) + 1] = '\0';
	}
}

static char *
all_text(json_object *blocks)
{
	char *buf = calloc(1, 1 << 20);

	cr_assert_not_null(buf);
	each_mrkdwn(blocks, join, buf);
	return buf;
}

static const char *
header_text(json_object *blocks)
{
	json_object *b, *t, *x;
	size_t i;

	for (i = 0; i < json_object_array_length(blocks); i++) {
		b = json_object_array_get_idx(blocks, i);
		if (json_object_object_get_ex(b, "type", &t) &&
		    strcmp(json_object_get_string(t), "header") == 0 &&
		    json_object_object_get_ex(b, "text", &x) &&
		    json_object_object_get_ex(x, "text", &t))
			return json_object_get_string(t);
	}
	return NULL;
}

/* ------------------------------------------------------------ matrix */

Test(render, every_kind_mode_and_context)
{
	static const char *const modes[] = { "app", "webhook" };
	const char *ctxs[] = { full_ctx, min_ctx };
	struct hub_render_out o;
	json_object *ctx;
	size_t k, m, c;
	int rc;

	for (k = 0; k < HUB_RENDER_KIND__MAX; k++)
	for (m = 0; m < 2; m++)
	for (c = 0; c < 2; c++) {
		ctx = ctx_mode(ctxs[c], modes[m]);
		rc = hub_render((enum hub_render_kind)k, ctx, &o);
		cr_assert_eq(rc, HUB_RENDER_OK, "%s/%s/%zu: %s",
		    hub_render_kind_name(k), modes[m], c, hub_render_strerror(rc));
		assert_valid(o.blocks);
		each_mrkdwn(o.blocks, no_injection, NULL);
		cr_assert_not_null(o.text);
		cr_assert_gt(strlen(o.text), 0);
		cr_assert_leq(cps(o.text), 4000);
		no_injection(o.text, NULL);
		cr_assert(o.email_subject && *o.email_subject);
		cr_assert_null(strchr(o.email_subject, '\n'));
		cr_assert(o.email_text && *o.email_text);
		cr_assert(o.email_html && strstr(o.email_html, "<html"));
		cr_assert_null(strstr(o.email_html, "<script>"),
		    "%s: unescaped script in html", hub_render_kind_name(k));
		cr_assert_null(strstr(o.email_html, "{{"));
		cr_assert_null(strstr(o.email_subject, "{{"));
		cr_assert_not_null(header_text(o.blocks));
		hub_render_out_free(&o);
		json_object_put(ctx);
	}
}

Test(render, kind_names_are_the_delivery_log_kinds)
{
	static const char *const names[] = { "call_for_action", "info",
	    "delegate_call", "external_approver", "reminder",
	    "manual_reminder", "decision", "watcher", "approver_added",
	    "approver_removed", "deadline_expired" };
	enum hub_render_kind k;
	size_t i;

	cr_assert_eq(HUB_NELEM(names), HUB_RENDER_KIND__MAX);
	for (i = 0; i < HUB_NELEM(names); i++) {
		cr_assert_str_eq(hub_render_kind_name((enum hub_render_kind)i),
		    names[i]);
		cr_assert_eq(hub_render_kind_from_name(names[i], &k), 0);
		cr_assert_eq((size_t)k, i);
	}
	cr_assert_null(hub_render_kind_name(HUB_RENDER_KIND__MAX));
	cr_assert_eq(hub_render_kind_from_name("mention_batch", &k),
	    HUB_RENDER_INVAL);
}

Test(render, refuses_bad_input)
{
	struct hub_render_out o;
	json_object *noid = parse("{\"request\": {\"title\": \"x\"}}");

	cr_assert_eq(hub_render(HUB_RENDER_INFO, NULL, &o), HUB_RENDER_INVAL);
	cr_assert_eq(hub_render(HUB_RENDER_INFO, noid, &o), HUB_RENDER_INVAL);
	cr_assert_null(o.blocks);
	cr_assert_eq(hub_render(HUB_RENDER_KIND__MAX, noid, &o), HUB_RENDER_INVAL);
	cr_assert_eq(hub_render(HUB_RENDER_INFO, noid, &o), HUB_RENDER_INVAL);
	cr_assert_null(o.text);
	json_object_put(noid);
}

/* ------------------------------------------------------------ layout */

Test(render, call_for_action_layout_app)
{
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "app"), *e, *v, *x, *opts;
	char *all;

	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	all = all_text(o.blocks);
	/* requester is a mention, the rest escaped */
	cr_assert_not_null(strstr(all, "<@U0ANA>"), "%s", all);
	cr_assert_not_null(strstr(all, "Step 1 of 2 · all of 3"), "%s", all);
	cr_assert_not_null(strstr(all, "<!date^1795539600^"), "%s", all);
	cr_assert_not_null(strstr(all, "|Tue 24 Nov 17:00 UTC>"), "%s", all);
	cr_assert_not_null(strstr(all, "1,234.50 EUR"), "%s", all);
	cr_assert_not_null(strstr(all,
	    "<https://receipts.example.com/r/1?a=1&b=2|"), "%s", all);
	cr_assert_not_null(strstr(all, "CC-9 &gt; CC-1"), "%s", all);
	cr_assert_not_null(strstr(all, "&lt;@U123|x&gt; &amp; &lt;!here&gt;"));
	cr_assert_not_null(strstr(all, "🔴 Risk: 7/10 — high"), "%s", all);
	cr_assert_not_null(strstr(all, "Delegating for: *Carol &lt;!everyone&gt;*"));
	/* channel mode mentions head the message */
	cr_assert_not_null(strstr(all, "<@U0BOB> <@U0EVE>"));
	/* buttons */
	cr_assert_not_null(find_action(o.blocks, "hub_edit"));
	cr_assert_not_null(e = find_action(o.blocks, "hub_snooze"));
	cr_assert(json_object_object_get_ex(e, "options", &opts));
	cr_assert_eq(json_object_array_length(opts), 2);
	json_object_object_get_ex(json_object_array_get_idx(opts, 0), "value", &x);
	cr_assert_str_eq(json_object_get_string(x), "1h");
	json_object_object_get_ex(json_object_array_get_idx(opts, 1), "value", &x);
	cr_assert_str_eq(json_object_get_string(x), "tomorrow");
	cr_assert_not_null(e = find_action(o.blocks, "hub_approve"));
	cr_assert_not(json_object_object_get_ex(e, "url", NULL));
	json_object_object_get_ex(e, "style", &x);
	cr_assert_str_eq(json_object_get_string(x), "primary");
	cr_assert_not_null(e = find_action(o.blocks, "hub_view"));
	cr_assert(json_object_object_get_ex(e, "url", &x));
	cr_assert_str_eq(json_object_get_string(x),
	    "https://hub.example.com/requests/" RID);
	/* the value is compact JSON with the ids */
	e = find_action(o.blocks, "hub_reject");
	cr_assert(json_object_object_get_ex(e, "value", &x));
	cr_assert_str_eq(json_object_get_string(x), "{\"r\":\"" RID "\",\"a\":42}");
	v = json_tokener_parse(json_object_get_string(x));
	cr_assert_not_null(v);
	json_object_object_get_ex(v, "a", &x);
	cr_assert_eq(json_object_get_int64(x), 42);
	json_object_put(v);
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, actions_block_id_names_the_request)
{
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "app"), *b, *id;
	size_t i;
	int found = 0;

	cr_assert_eq(hub_render(HUB_RENDER_REMINDER, ctx, &o), 0);
	for (i = 0; i < json_object_array_length(o.blocks); i++) {
		b = json_object_array_get_idx(o.blocks, i);
		if (json_object_object_get_ex(b, "block_id", &id) &&
		    strcmp(json_object_get_string(id), "hub_actions:" RID) == 0)
			found = 1;
	}
	cr_assert(found);
	cr_assert_str_eq(header_text(o.blocks),
	    "⏰ Reminder: Trip to Berlin <script>alert(1)</script>");
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* A webhook post is read by the whole channel: never a decision link,
 * even when the context holds one; it names the approvers instead. */
Test(render, webhook_post_has_no_decision_link_and_names_the_approvers)
{
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "webhook"), *e, *x;
	char *all;

	json_object_object_del(ctx, "mentions");
	json_object_object_add(ctx, "approvers", parse("{\"slack_user_ids\": [\"U0BOB\"],"
	    " \"names\": [\"ann@example.com\", \"<!channel> cy\"]}"));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	assert_valid(o.blocks);
	cr_assert_null(find_action(o.blocks, "hub_edit"));
	cr_assert_null(find_action(o.blocks, "hub_snooze"));
	cr_assert_null(find_action(o.blocks, "hub_approve"));
	cr_assert_null(find_action(o.blocks, "hub_reject"));
	cr_assert_not_null(e = find_action(o.blocks, "hub_view"));
	cr_assert(json_object_object_get_ex(e, "url", &x));
	all = all_text(o.blocks);
	cr_assert_null(strstr(all, "/decide/"), "%s", all);
	cr_assert_null(strstr(o.text, "/decide/"), "%s", o.text);
	cr_assert_not_null(strstr(all, "*Approvers:* <@U0BOB>, ann@example.com, &lt;!channel&gt; cy"
	    " — each was sent a personal link by email."), "%s", all);
	cr_assert_not_null(strstr(o.text, "Approvers: <@U0BOB>, ann@example.com, "
	    "&lt;!channel&gt; cy — each was sent a personal link by email."), "%s", o.text);
	free(all);
	hub_render_out_free(&o);
	/* one approver; and an app message never has the line */
	json_object_object_add(ctx, "approvers", parse("{\"names\": [\"ann@example.com\"]}"));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	cr_assert_not_null(strstr(o.text, "Approver: ann@example.com — was sent a personal link"),
	    "%s", o.text);
	hub_render_out_free(&o);
	json_object_object_add(ctx, "mode", json_object_new_string("app"));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	cr_assert_null(strstr(o.text, "personal link"), "%s", o.text);
	cr_assert_not_null(find_action(o.blocks, "hub_approve"));
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, webhook_without_decide_link_has_only_view)
{
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "webhook"), *links;

	json_object_object_get_ex(ctx, "request", &links);
	json_object_object_get_ex(ctx, "links", &links);
	json_object_object_del(links, "decide");
	json_object_object_add(links, "view", json_object_new_string("javascript:alert(1)"));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	assert_valid(o.blocks);
	cr_assert_not(has_buttons(o.blocks));
	cr_assert_null(find_action(o.blocks, "hub_view"));
	cr_assert_null(strstr(o.email_html, "javascript:"));
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, external_approver_decides_by_link_even_in_app_mode)
{
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "app"), *e;

	cr_assert_eq(hub_render(HUB_RENDER_EXTERNAL_APPROVER, ctx, &o), 0);
	cr_assert_not_null(e = find_action(o.blocks, "hub_approve"));
	cr_assert(json_object_object_get_ex(e, "url", NULL));
	cr_assert_null(find_action(o.blocks, "hub_snooze"));
	cr_assert_null(find_action(o.blocks, "hub_edit"));
	hub_render_out_free(&o);
	cr_assert_eq(hub_render_sync(HUB_SYNC__MAX, ctx, &o), HUB_RENDER_INVAL);
	cr_assert_null(o.blocks);
	json_object_put(ctx);
}

Test(render, not_editable_has_no_edit_and_no_assignment_no_a)
{
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "app"), *e, *x;

	json_object_object_add(ctx, "editable", json_object_new_boolean(0));
	json_object_object_del(ctx, "assignment");
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	cr_assert_null(find_action(o.blocks, "hub_edit"));
	e = find_action(o.blocks, "hub_approve");
	json_object_object_get_ex(e, "value", &x);
	cr_assert_str_eq(json_object_get_string(x), "{\"r\":\"" RID "\"}");
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, info_and_decision_have_no_decision_buttons)
{
	static const enum hub_render_kind kinds[] = { HUB_RENDER_INFO,
	    HUB_RENDER_DECISION, HUB_RENDER_WATCHER,
	    HUB_RENDER_APPROVER_REMOVED, HUB_RENDER_DEADLINE_EXPIRED };
	struct hub_render_out o;
	json_object *ctx = ctx_mode(full_ctx, "app");
	size_t i;

	for (i = 0; i < HUB_NELEM(kinds); i++) {
		cr_assert_eq(hub_render(kinds[i], ctx, &o), 0);
		cr_assert_not(has_buttons(o.blocks), "%s",
		    hub_render_kind_name(kinds[i]));
		cr_assert_not_null(find_action(o.blocks, "hub_view"));
		hub_render_out_free(&o);
	}
	json_object_put(ctx);
}

Test(render, decision_tells_outcome_who_when_reason)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx), *req;
	char *all;

	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "status", json_object_new_string("Rejected"));
	json_object_object_add(req, "decided_by", json_object_new_string("Bob <x>"));
	json_object_object_add(req, "decided_at",
	    json_object_new_string("2026-11-23T10:15:00Z"));
	json_object_object_add(req, "decision_comment",
	    json_object_new_string("Too expensive <!channel>"));
	cr_assert_eq(hub_render(HUB_RENDER_DECISION, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_str_eq(header_text(o.blocks),
	    "❌ Rejected: Trip to Berlin <script>alert(1)</script>");
	cr_assert_not_null(strstr(all, "Your request was rejected by Bob &lt;x&gt;."), "%s", all);
	cr_assert_not_null(strstr(all, "*Decided by*\nBob &lt;x&gt;"), "%s", all);
	cr_assert_not_null(strstr(all, "|Mon 23 Nov 10:15 UTC>"), "%s", all);
	cr_assert_not_null(strstr(all, "*Reason*\nToo expensive &lt;!channel&gt;"), "%s", all);
	cr_assert_not_null(strstr(o.email_subject, "Your request was rejected: Trip"));
	cr_assert_not_null(strstr(o.email_text, "Decided by: Bob <x>"));
	cr_assert_not_null(strstr(o.email_text, "When: Mon 23 Nov 10:15 UTC"));
	cr_assert_not_null(strstr(o.email_html, "Too expensive &lt;!channel&gt;"));
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, decision_ignores_a_reason_that_is_only_the_status)
{
	struct hub_render_out o;
	json_object *ctx = parse(min_ctx), *req;
	char *all;

	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "status", json_object_new_string("Approved"));
	json_object_object_add(ctx, "reason", json_object_new_string("Approved"));
	cr_assert_eq(hub_render(HUB_RENDER_DECISION, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_null(strstr(all, "*Reason*"), "%s", all);
	cr_assert_not_null(strstr(all, "Your request was approved."), "%s", all);
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* ------------------------------------------------------------ limits */

static json_object *
with_metadata(size_t n)
{
	json_object *ctx = parse(full_ctx), *req, *meta = json_object_new_object();
	char k[32], v[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "field_%03zu", i);
		snprintf(v, sizeof(v), "value %zu <!channel>", i);
		json_object_object_add(meta, k, json_object_new_string(v));
	}
	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "metadata", meta);
	return ctx;
}

static size_t
count_fields(json_object *blocks)
{
	json_object *f;
	size_t i, n = 0;

	for (i = 0; i < json_object_array_length(blocks); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(blocks,
		    i), "fields", &f))
			n += json_object_array_length(f);
	return n;
}

Test(render, sixty_fields_paginate_under_fifty_blocks)
{
	struct hub_render_out o;
	json_object *ctx = with_metadata(60);
	char *all;

	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	assert_valid(o.blocks);
	each_mrkdwn(o.blocks, no_injection, NULL);
	/* 60 metadata fields + 4 detail fields, all shown */
	cr_assert_eq(count_fields(o.blocks), 64);
	all = all_text(o.blocks);
	cr_assert_not_null(strstr(all, "*Field 059*\nvalue 59 &lt;!channel&gt;"), "%s", all);
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, too_many_fields_are_counted_not_sent)
{
	struct hub_render_out o;
	json_object *ctx = with_metadata(700);
	char *all;

	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	assert_valid(o.blocks);
	cr_assert_eq(json_object_array_length(o.blocks), 50);
	cr_assert_not_null(find_action(o.blocks, "hub_approve"));
	all = all_text(o.blocks);
	cr_assert_not_null(strstr(all, "more fields"), "%s", all);
	free(all);
	/* the email has them all */
	cr_assert_not_null(strstr(o.email_text, "Field 699: value 699"));
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, long_justification_is_truncated)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx), *req;
	char *j = malloc(5001);
	char *all, *p;

	memset(j, 'x', 5000);
	j[5000] = '\0';
	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "justification", json_object_new_string(j));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	assert_valid(o.blocks);
	all = all_text(o.blocks);
	cr_assert_not_null(p = strstr(all, "*Justification*\nxxx"));
	cr_assert_not_null(strstr(p, "x…\n"));
	cr_assert_null(strstr(all, j));
	cr_assert_leq(cps(o.text), 4000);
	free(all);
	free(j);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, fallback_text_stays_under_4000)
{
	json_object *ctx = parse(full_ctx), *req;
	struct hub_render_out o;
	char *big = malloc(20001), *t;

	memset(big, '<', 20000);
	big[20000] = '\0';
	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "title", json_object_new_string(big));
	json_object_object_add(ctx, "reason", json_object_new_string(big));
	cr_assert_eq(hub_render(HUB_RENDER_APPROVER_REMOVED, ctx, &o), 0);
	t = o.text;
	cr_assert_leq(cps(t), 4000);
	cr_assert_gt(cps(t), 3900);
	/* cut between entities, never inside one */
	cr_assert_not_null(strstr(t, "&lt;…"), "%s", t + strlen(t) - 20);
	hub_render_out_free(&o);
	free(big);
	json_object_put(ctx);
}

/* ------------------------------------------------------------ wording */

struct wcase {
	const char *override;	/* templates JSON */
	const char *header;	/* expected header */
	const char *intro;	/* expected in blocks text, or NULL */
};

Test(render, source_wording_and_fallbacks)
{
	static const struct wcase cases[] = {
		{ "{\"call_for_action\": {\"title\": \"{{requester_name}} spent {{amount}}\"}}",
		  "Ana <!channel> & > spent 1,234.50 EUR", NULL },
		{ "{\"call_for_action\": {\"title\": \"{{ source }}: {{metadata.category}}\"}}",
		  "Concur: <!channel>", NULL },
		/* a missing variable: the built-in wording of that part */
		{ "{\"call_for_action\": {\"title\": \"Pay {{nope}} now\"}}",
		  "Trip to Berlin <script>alert(1)</script>", NULL },
		{ "{\"call_for_action\": {\"title\": \"Broken {{title\"}}",
		  "Trip to Berlin <script>alert(1)</script>", NULL },
		{ "{\"call_for_action\": {\"intro\": \"{{decided_by}} said so\"}}",
		  "Trip to Berlin <script>alert(1)</script>",
		  "Ana &lt;!channel&gt; &amp; &gt; asks for your approval." },
		{ "{\"call_for_action\": {\"intro\": \"Hi {{approver}}, <!channel> {{deadline}}\"}}",
		  "Trip to Berlin <script>alert(1)</script>",
		  "Hi Bob, &lt;!channel&gt; Tue 24 Nov 17:00 UTC" },
		/* another kind's override does not apply */
		{ "{\"info\": {\"title\": \"FYI {{title}}\"}}",
		  "Trip to Berlin <script>alert(1)</script>", NULL },
	};
	struct hub_render_out o;
	json_object *ctx;
	char *all;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		ctx = parse(full_ctx);
		json_object_object_add(ctx, "templates", parse(cases[i].override));
		cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
		cr_assert_str_eq(header_text(o.blocks), cases[i].header, "case %zu", i);
		all = all_text(o.blocks);
		each_mrkdwn(o.blocks, no_injection, NULL);
		if (cases[i].intro != NULL)
			cr_assert_not_null(strstr(all, cases[i].intro),
			    "case %zu: %s", i, all);
		cr_assert_null(strstr(o.email_subject, "{{"));
		free(all);
		hub_render_out_free(&o);
		json_object_put(ctx);
	}
}

Test(render, builtin_wording_falls_back_without_variables)
{
	struct hub_render_out o;
	json_object *ctx = parse("{\"request\": {\"id\": \"r1\"}}");
	char *all;

	cr_assert_eq(hub_render(HUB_RENDER_MANUAL_REMINDER, ctx, &o), 0);
	cr_assert_str_eq(header_text(o.blocks), "⏰ Reminder: approval request");
	all = all_text(o.blocks);
	cr_assert_not_null(strstr(all, "A request is waiting for your decision."), "%s", all);
	cr_assert_str_eq(o.email_subject, "Reminder: approval needed");
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, subject_override_is_one_line)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx);

	json_object_object_add(ctx, "templates", parse(
	    "{\"manual_reminder\": {\"subject\": \"{{actor}}\\r\\nBcc: x@y\"}}"));
	cr_assert_eq(hub_render(HUB_RENDER_MANUAL_REMINDER, ctx, &o), 0);
	cr_assert_str_eq(o.email_subject, "Dave <!channel>  Bcc: x@y");
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* ------------------------------------------------------------ email */

Test(render, email_has_decision_button_and_escapes)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx);

	cr_assert_eq(hub_render(HUB_RENDER_EXTERNAL_APPROVER, ctx, &o), 0);
	cr_assert_not_null(strstr(o.email_html,
	    "href=\"https://hub.example.com/decide/tok123\""));
	cr_assert_not_null(strstr(o.email_html, "Review and decide"));
	cr_assert_not_null(strstr(o.email_html,
	    "&lt;script&gt;alert(1)&lt;/script&gt;"));
	cr_assert_not_null(strstr(o.email_html,
	    "href=\"https://receipts.example.com/r/1?a=1&amp;b=2\""));
	cr_assert_not_null(strstr(o.email_text,
	    "Review and decide: https://hub.example.com/decide/tok123"));
	cr_assert_not_null(strstr(o.email_text, "Risk: 7/10 — high"));
	cr_assert_str_eq(o.email_subject,
	    "Approval needed: Trip to Berlin <script>alert(1)</script>");
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, email_without_decide_link_points_at_the_request)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx), *links;

	json_object_object_get_ex(ctx, "links", &links);
	json_object_object_del(links, "decide");
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	cr_assert_null(strstr(o.email_html, "/decide/"));
	cr_assert_not_null(strstr(o.email_html, "View request"));
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* ------------------------------------------------------------ mentions */

static json_object *
ids(size_t n, const char *prefix)
{
	json_object *a = json_object_new_array();
	char id[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s%06zu", prefix, i);
		json_object_array_add(a, json_object_new_string(id));
	}
	return a;
}

static size_t
count_mentions(const char *s)
{
	size_t n = 0;

	for (; (s = strstr(s, "<@")) != NULL; s++)
		n++;
	return n;
}

Test(render, mentions_split_at_fifty_for_threads)
{
	json_object *a = ids(120, "U"), *out;

	json_object_array_add(a, json_object_new_string("U000001"));	/* dup */
	json_object_array_add(a, json_object_new_string("<!channel>"));
	json_object_array_add(a, json_object_new_int(5));
	cr_assert_eq(hub_render_mentions(a, HUB_RENDER_APP, &out), 0);
	cr_assert_eq(json_object_array_length(out), 3);
	cr_assert_eq(count_mentions(json_object_get_string(
	    json_object_array_get_idx(out, 0))), 50);
	cr_assert_eq(count_mentions(json_object_get_string(
	    json_object_array_get_idx(out, 1))), 50);
	cr_assert_eq(count_mentions(json_object_get_string(
	    json_object_array_get_idx(out, 2))), 20);
	cr_assert(strncmp(json_object_get_string(json_object_array_get_idx(out,
	    0)), "<@U000000> <@U000001> <@U000002>", 32) == 0);
	cr_assert_null(strstr(json_object_get_string(json_object_array_get_idx(out,
	    2)), "channel"));
	json_object_put(out);
	json_object_put(a);
}

Test(render, webhook_mentions_fit_3000)
{
	json_object *a = ids(400, "UABCDEFGH"), *out;
	const char *s;

	cr_assert_eq(hub_render_mentions(a, HUB_RENDER_WEBHOOK, &out), 0);
	cr_assert_eq(json_object_array_length(out), 1);
	s = json_object_get_string(json_object_array_get_idx(out, 0));
	cr_assert_leq(strlen(s), 3000);
	cr_assert_gt(strlen(s), 2900);
	cr_assert_not_null(strstr(s, " more"));
	cr_assert_eq(count_mentions(s) + (size_t)strtoul(strstr(s, " and ") + 5, NULL, 10), 400);
	json_object_put(out);
	json_object_put(a);
	/* a short list is all there, no "more" */
	a = ids(10, "U");
	cr_assert_eq(hub_render_mentions(a, HUB_RENDER_WEBHOOK, &out), 0);
	s = json_object_get_string(json_object_array_get_idx(out, 0));
	cr_assert_eq(count_mentions(s), 10);
	cr_assert_null(strstr(s, "more"));
	json_object_put(out);
	json_object_put(a);
	/* empty */
	a = json_object_new_array();
	cr_assert_eq(hub_render_mentions(a, HUB_RENDER_APP, &out), 0);
	cr_assert_eq(json_object_array_length(out), 0);
	json_object_put(out);
	json_object_put(a);
}

Test(render, channel_message_carries_first_batch_only)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx);
	char *all;

	json_object_object_add(ctx, "mentions", ids(75, "U"));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_eq(count_mentions(all), 50 + 1);	/* + the requester */
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* ------------------------------------------------------------ sync */

struct scase {
	enum hub_render_sync variant;
	const char *req_status;
	const char *asg_status;
	const char *rule;
	int buttons;
	const char *want;	/* in the blocks */
	const char *want_text;	/* in the fallback text */
};

Test(render, sync_variants)
{
	static const struct scase cases[] = {
		{ HUB_SYNC_DECIDED, "Approved", "approved", "any", 0,
		  "✅ *Approved* by Bob · <!date^", "✅ Approved by Bob · Mon 23 Nov" },
		{ HUB_SYNC_DECIDED, "Rejected", "rejected", "any", 0,
		  "❌ *Rejected* by Bob: Over &lt;budget&gt; &amp; late",
		  "❌ Rejected by Bob: Over &lt;budget&gt; &amp; late" },
		{ HUB_SYNC_DECIDED, "Pending", "approved", "all", 0,
		  "*Approved: 2 of 3*", "Approved: 2 of 3" },
		{ HUB_SYNC_NO_ACTION, "Approved", "skipped", "any", 0,
		  "No action required — *Approved* by Eve",
		  "No action required — Approved by Eve" },
		{ HUB_SYNC_NO_ACTION, "Rejected", "skipped", "all", 0,
		  "No action required — *Rejected* by Eve: Over &lt;budget&gt;", NULL },
		{ HUB_SYNC_PROGRESS, "Pending", "pending", "all", 1,
		  "⏳ *Approved: 2 of 3* — waiting for you",
		  "Approved: 2 of 3 — waiting for you" },
		{ HUB_SYNC_CANCELLED, "Cancelled", "pending", "any", 0,
		  "🚫 *Cancelled* by Dave &lt;!channel&gt;: Over", "Cancelled" },
		{ HUB_SYNC_EXPIRED, "Expired", "pending", "any", 0,
		  "⌛ *Expired* — the deadline (<!date^", "Expired" },
		{ HUB_SYNC_REASSIGNED, "Pending", "reassigned", "any", 0,
		  "↪️ *Reassigned to another approver* by Dave", "no action required" },
	};
	struct hub_render_out o;
	json_object *ctx, *req, *asg, *step;
	char *all;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		ctx = parse(full_ctx);
		json_object_object_get_ex(ctx, "request", &req);
		json_object_object_get_ex(ctx, "assignment", &asg);
		json_object_object_get_ex(ctx, "step", &step);
		json_object_object_del(asg, "delegate_for");
		json_object_object_add(req, "status",
		    json_object_new_string(cases[i].req_status));
		json_object_object_add(req, "decided_by", json_object_new_string("Eve"));
		json_object_object_add(asg, "status",
		    json_object_new_string(cases[i].asg_status));
		json_object_object_add(asg, "decided_by", json_object_new_string("Bob"));
		json_object_object_add(asg, "decided_at",
		    json_object_new_string("2026-11-23T10:15:00Z"));
		json_object_object_add(step, "rule",
		    json_object_new_string(cases[i].rule));
		cr_assert_eq(hub_render_sync_pick(ctx), cases[i].variant,
		    "case %zu picks %s", i,
		    hub_render_sync_name(hub_render_sync_pick(ctx)));
		cr_assert_eq(hub_render_sync(cases[i].variant, ctx, &o), 0, "case %zu", i);
		assert_valid(o.blocks);
		each_mrkdwn(o.blocks, no_injection, NULL);
		cr_assert_eq(has_buttons(o.blocks), cases[i].buttons, "case %zu", i);
		cr_assert_null(o.email_html);
		all = all_text(o.blocks);
		cr_assert_not_null(strstr(all, cases[i].want), "case %zu: %s", i, all);
		if (cases[i].want_text != NULL)
			cr_assert_not_null(strstr(o.text, cases[i].want_text),
			    "case %zu: %s", i, o.text);
		cr_assert_leq(cps(o.text), 4000);
		/* a closed copy has no actions block at all; the dashboard
		 * stays one click away */
		if (cases[i].buttons)
			cr_assert_not_null(find_action(o.blocks, "hub_view"));
		else
			cr_assert(find_action(o.blocks, "hub_view") == NULL &&
			    strstr(all, "<https://hub.example.com/requests/" RID
			    "|Open in Approval Hub>") != NULL, "case %zu: %s", i, all);
		free(all);
		hub_render_out_free(&o);
		json_object_put(ctx);
	}
}

/* A live card keeps the words it was sent with; a closed one shows the
 * call's layout and its outcome. */
Test(render, sync_keeps_the_sent_kind_while_the_card_is_live)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx), *asg;
	char *all;

	json_object_object_get_ex(ctx, "assignment", &asg);
	json_object_object_del(asg, "delegate_for");
	json_object_object_del(ctx, "actor_display");
	json_object_object_add(ctx, "sent_kind", json_object_new_string("approver_added"));
	cr_assert_eq(hub_render_sync(HUB_SYNC_PROGRESS, ctx, &o), 0);
	assert_valid(o.blocks);
	all = all_text(o.blocks);
	cr_assert_not_null(strstr(all, "You were added as an approver."), "%s", all);
	cr_assert_not_null(strstr(all, "waiting for you"), "%s", all);
	cr_assert(has_buttons(o.blocks));
	free(all);
	hub_render_out_free(&o);

	json_object_object_add(asg, "status", json_object_new_string("approved"));
	json_object_object_add(asg, "decided_by", json_object_new_string("Bob"));
	json_object_object_get_ex(ctx, "request", &asg);
	json_object_object_add(asg, "status", json_object_new_string("Approved"));
	cr_assert_eq(hub_render_sync(HUB_SYNC_DECIDED, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_null(strstr(all, "added you"), "%s", all);
	cr_assert_not(has_buttons(o.blocks));
	free(all);
	hub_render_out_free(&o);

	/* a kind that decides by link never turns Slack buttons into links */
	json_object_object_add(ctx, "sent_kind", json_object_new_string("external_approver"));
	json_object_object_get_ex(ctx, "assignment", &asg);
	json_object_object_add(asg, "status", json_object_new_string("pending"));
	json_object_object_get_ex(ctx, "request", &asg);
	json_object_object_add(asg, "status", json_object_new_string("Pending"));
	cr_assert_eq(hub_render_sync(HUB_SYNC_PROGRESS, ctx, &o), 0);
	cr_assert_not_null(find_action(o.blocks, "hub_approve"));
	cr_assert_not(json_object_object_get_ex(find_action(o.blocks, "hub_approve"), "url", NULL));
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, sync_quorum_progress_counts_against_quorum)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx), *step;
	char *all;

	json_object_object_get_ex(ctx, "step", &step);
	json_object_object_add(step, "rule", json_object_new_string("quorum"));
	json_object_object_add(step, "quorum", json_object_new_int(2));
	json_object_object_add(step, "approved", json_object_new_int(1));
	cr_assert_eq(hub_render_sync(HUB_SYNC_PROGRESS, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_not_null(strstr(all, "*Approved: 1 of 2* — waiting for you"), "%s", all);
	cr_assert_not_null(strstr(all, "Step 1 of 2 · quorum 2 of 3"), "%s", all);
	cr_assert(has_buttons(o.blocks));
	/* a delegate's copy keeps its context line */
	cr_assert_not_null(strstr(all, "Delegating for:"));
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* ------------------------------------------------------------ time */

Test(render, format_time)
{
	static const struct { const char *in; const char *out; long long e; } cases[] = {
		{ "2026-11-24T17:00:00Z", "Tue 24 Nov 17:00 UTC", 1795539600 },
		{ "2026-11-24T18:00:00+01:00", "Tue 24 Nov 17:00 UTC", 1795539600 },
		{ "2026-11-24 17:00:00.123456+00", "Tue 24 Nov 17:00 UTC", 1795539600 },
		{ "2026-11-24T12:00-05:00", "Tue 24 Nov 17:00 UTC", 1795539600 },
		{ "2026-11-24", "Tue 24 Nov 00:00 UTC", 1795478400 },
	};
	static const char *const bad[] = { "", "tomorrow", "2026-13-01",
	    "2026-11-24T25:00Z", "2026-11-24T17:00:00Zjunk", "2026-11-2" };
	char out[64];
	long long e;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		cr_assert_eq(hub_render_format_time(cases[i].in, out, sizeof(out),
		    &e), 0, "%s", cases[i].in);
		cr_assert_str_eq(out, cases[i].out);
		cr_assert_eq(e, cases[i].e, "%s: %lld", cases[i].in, e);
	}
	for (i = 0; i < HUB_NELEM(bad); i++)
		cr_assert_eq(hub_render_format_time(bad[i], out, sizeof(out), NULL),
		    -1, "%s", bad[i]);
}

Test(render, unparsable_deadline_is_shown_escaped)
{
	struct hub_render_out o;
	json_object *ctx = parse(full_ctx), *req;
	char *all;

	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "deadline", json_object_new_string("soon <!here>"));
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_not_null(strstr(all, "*Deadline*\nsoon &lt;!here&gt;"), "%s", all);
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

Test(render, risk_bands)
{
	static const struct { int score; const char *want; } cases[] = {
		{ 0, "🟢 Risk: 0/10 — low" }, { 3, "🟢 Risk: 3/10 — low" },
		{ 4, "🟡 Risk: 4/10 — medium" }, { 6, "🟡 Risk: 6/10 — medium" },
		{ 7, "🔴 Risk: 7/10 — high" }, { 10, "🔴 Risk: 10/10 — high" },
	};
	struct hub_render_out o;
	json_object *ctx, *req;
	char *all;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		ctx = parse(full_ctx);
		json_object_object_get_ex(ctx, "request", &req);
		json_object_object_add(req, "risk_score",
		    json_object_new_int(cases[i].score));
		cr_assert_eq(hub_render(HUB_RENDER_INFO, ctx, &o), 0);
		all = all_text(o.blocks);
		cr_assert_not_null(strstr(all, cases[i].want), "%s", all);
		free(all);
		hub_render_out_free(&o);
		json_object_put(ctx);
	}
	/* out of range or absent: no risk line */
	ctx = parse(full_ctx);
	json_object_object_get_ex(ctx, "request", &req);
	json_object_object_add(req, "risk_score", json_object_new_int(11));
	cr_assert_eq(hub_render(HUB_RENDER_INFO, ctx, &o), 0);
	all = all_text(o.blocks);
	cr_assert_null(strstr(all, "Risk:"));
	free(all);
	hub_render_out_free(&o);
	json_object_put(ctx);
}

/* The analysis' status instead of a score, and the flags beside it. */
Test(render, ai_status_and_flags)
{
	static const struct { const char *status; const char *want; int risk; } cases[] = {
		{ "pending", "_AI analysis pending_", 0 },
		{ "failed", "_AI analysis failed_", 0 },
		{ "off", "_AI analysis off_", 0 },
		{ "done", "*AI summary*", 1 },
	};
	struct hub_render_out o;
	json_object *ctx, *req, *fl;
	char *all;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		ctx = parse(full_ctx);
		json_object_object_get_ex(ctx, "request", &req);
		json_object_object_add(req, "ai_status", json_object_new_string(cases[i].status));
		fl = json_object_new_array();
		json_object_array_add(fl, json_object_new_string("duplicate"));
		json_object_array_add(fl, json_object_new_string("off_hours"));
		json_object_array_add(fl, json_object_new_string("<!channel>"));
		json_object_object_add(req, "risk_flags", fl);
		cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &o), 0);
		all = all_text(o.blocks);
		cr_expect_not_null(strstr(all, cases[i].want), "%s: %s", cases[i].status, all);
		/* a score only with a finished analysis: never a made-up one */
		cr_expect_eq(strstr(all, "Risk: 7/10") != NULL, cases[i].risk, "%s", all);
		cr_expect_eq(strstr(all, "Routine travel") != NULL, cases[i].risk, "%s", all);
		cr_expect_not_null(strstr(all, "likely duplicate · submitted outside working hours"
		    " · &lt;!channel&gt;"), "%s", all);
		cr_expect_null(strstr(all, "<!channel>"), "%s", all);
		free(all);
		cr_expect_not_null(strstr(o.email_text, "likely duplicate"), "%s", o.email_text);
		hub_render_out_free(&o);
		json_object_put(ctx);
	}
}

/* ------------------------------------------------------------ button value */

Test(render, button_value_codec)
{
	static const struct {
		const char	*value;
		int		 rc;
		int64_t		 a;
	} in[] = {
		{ "{\"r\":\"0a0b0c0d-0000-4000-8000-00000000000a\",\"a\":42}", 0, 42 },
		{ "{\"r\":\"0A0B0C0D-0000-4000-8000-00000000000A\"}", 0, 0 },
		{ "{\"r\":\"0a0b0c0d-0000-4000-8000-00000000000a\",\"a\":-1}", -1, 0 },
		{ "{\"r\":\"0a0b0c0d-0000-4000-8000-00000000000a\",\"a\":\"1\"}", -1, 0 },
		{ "{\"r\":\"not-a-uuid\",\"a\":1}", -1, 0 },
		{ "{\"a\":1}", -1, 0 },
		{ "[1]", -1, 0 },
		{ "", -1, 0 },
	};
	struct hub_action_ref ref;
	char *v;
	size_t i;

	for (i = 0; i < HUB_NELEM(in); i++) {
		cr_expect_eq(hub_action_value_parse(in[i].value, &ref), in[i].rc,
		    "case %zu", i);
		if (in[i].rc == 0)
			cr_expect_eq(ref.assignment_id, in[i].a, "case %zu", i);
	}
	cr_expect_eq(hub_action_value_parse(NULL, &ref), -1);
	v = hub_action_value("0a0b0c0d-0000-4000-8000-00000000000a", 7);
	cr_expect_str_eq(v, "{\"r\":\"0a0b0c0d-0000-4000-8000-00000000000a\",\"a\":7}");
	cr_assert_eq(hub_action_value_parse(v, &ref), 0);
	cr_expect_str_eq(ref.request_id, "0a0b0c0d-0000-4000-8000-00000000000a");
	cr_expect_eq(ref.assignment_id, 7);
	free(v);
	v = hub_action_value("0a0b0c0d-0000-4000-8000-00000000000a", HUB_ACTION_NO_ASSIGNMENT);
	cr_expect_str_eq(v, "{\"r\":\"0a0b0c0d-0000-4000-8000-00000000000a\"}");
	free(v);
}

/* A source may word every kind of message render.h sends (the admin
 * page and API check templates against sourceadmin's list, which the
 * approval layer keeps because it cannot include slack/). */
Test(render, every_kind_may_be_worded_by_a_source)
{
	size_t k, i, n = 0;

	for (k = 0; k < HUB_RENDER_KIND__MAX; k++) {
		const char *name = hub_render_kind_name((enum hub_render_kind)k);

		for (i = 0; hub_srcadm_wording_kinds[i] != NULL; i++)
			if (strcmp(hub_srcadm_wording_kinds[i], name) == 0)
				break;
		cr_assert_not_null(hub_srcadm_wording_kinds[i], "%s cannot be worded", name);
	}
	for (i = 0; hub_srcadm_wording_kinds[i] != NULL; i++)
		n++;
	cr_assert_eq(n, HUB_RENDER_KIND__MAX + 1, "one more: deadline_expired_approver");
}
