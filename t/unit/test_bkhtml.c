/*
 * test_bkhtml.c - the Block Kit preview (slack/bkhtml): each block type,
 * mrkdwn as HTML (bold, italic, strike, code, pre, links, mentions,
 * entities), hostile text staying text, inert buttons, limits, refusals,
 * and a real rendered message from slack/render.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "base/buf.h"
#include "base/common.h"
#include "slack/bkhtml.h"
#include "slack/render.h"

/* The HTML of one section whose text is mrkdwn (caller frees). */
static char *
html(const char *json)
{
	struct hub_buf b = HUB_BUF_INIT(1u << 20);
	int rc = hub_bkhtml_render(json, strlen(json), &b);

	cr_assert_eq(rc, HUB_BKHTML_OK, "%s: %d", json, rc);
	return hub_buf_detach(&b, NULL);
}

/* mrkdwn text -> the inner HTML of its bk-text div. */
static void
expect_mrkdwn(const char *mrkdwn, const char *want)
{
	json_object *blk = json_object_new_array(), *s = json_object_new_object(),
	    *t = json_object_new_object();
	char *got, *prefix = "<div class=\"bk-message\"><div class=\"bk-section\">"
	    "<div class=\"bk-text\">";
	size_t n;

	json_object_object_add(t, "type", json_object_new_string("mrkdwn"));
	json_object_object_add(t, "text", json_object_new_string(mrkdwn));
	json_object_object_add(s, "type", json_object_new_string("section"));
	json_object_object_add(s, "text", t);
	json_object_array_add(blk, s);
	got = html(json_object_to_json_string(blk));
	n = strlen(prefix);
	cr_assert(strncmp(got, prefix, n) == 0, "%s", got);
	cr_assert(strlen(got) >= n + 18, "%s", got);
	got[strlen(got) - 18] = '\0';  /* </div></div></div> */
	cr_assert_str_eq(got + n, want, "mrkdwn %s", mrkdwn);
	free(got);
	json_object_put(blk);
}

static const struct {
	const char *in, *out;
} md[] = {
	{ "plain", "plain" },
	{ "*bold*", "<b>bold</b>" },
	{ "_it_ and ~gone~", "<i>it</i> and <s>gone</s>" },
	{ "`x < y`", "<code>x &lt; y</code>" },
	{ "*a _b_ a*", "<b>a <i>b</i> a</b>" },
	{ "a*b*c", "a*b*c" },                       /* inside a word: literal */
	{ "* not bold *", "* not bold *" },         /* spaces inside the marks */
	{ "*open only", "*open only" },
	{ "*two\nlines*", "*two<br>lines*" },        /* never across a line */
	{ "line1\nline2", "line1<br>line2" },
	{ "```a *b*\n<c>```", "<pre class=\"bk-pre\">a *b*\n&lt;c&gt;</pre>" },
	{ "&lt;script&gt; &amp; &quot;", "&lt;script&gt; &amp; &amp;quot;" },
	/* Not a link: the words show, no tag. */
	{ "<script>alert(1)</script>", "scriptalert(1)/script" },
	{ "<https://x.test/a?b=1&amp;c=2|the link>",
	    "<a href=\"https://x.test/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">"
	    "the link</a>" },
	{ "<http://x.test>", "<a href=\"http://x.test\" rel=\"noopener noreferrer nofollow\">"
	    "http://x.test</a>" },
	{ "<javascript:alert(1)|click>", "click" },
	{ "<https://x.test/\" onclick=\"y|q>",
	    "<a href=\"https://x.test/&quot; onclick=&quot;y\" rel=\"noopener noreferrer"
	    " nofollow\">q</a>" },
	{ "<@U123>", "<span class=\"bk-mention\">@U123</span>" },
	{ "<@U123|ann>", "<span class=\"bk-mention\">@ann</span>" },
	{ "<#C1|general>", "<span class=\"bk-mention\">#general</span>" },
	{ "<!here>", "<span class=\"bk-mention\">@here</span>" },
	{ "<!date^1700000000^{date}|Nov 14>", "<span class=\"bk-mention\">Nov 14</span>" },
	{ "a < b", "a &lt; b" },
	{ "x=\"1\" 'q'", "x=&quot;1&quot; &#39;q&#39;" },
};

Test(bkhtml, mrkdwn_table)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(md); i++)
		expect_mrkdwn(md[i].in, md[i].out);
}

Test(bkhtml, every_block_type)
{
	char *h = html("{\"blocks\": ["
	    "{\"type\": \"header\", \"text\": {\"type\": \"plain_text\", \"text\": \"Laptop <b>\"}},"
	    "{\"type\": \"section\", \"text\": {\"type\": \"plain_text\", \"text\": \"*not*\\nbold\"},"
	    " \"fields\": [{\"type\": \"mrkdwn\", \"text\": \"*Amount*\"},"
	    "  {\"type\": \"plain_text\", \"text\": \"1,200 EUR\"}],"
	    " \"accessory\": {\"type\": \"overflow\", \"options\": []}},"
	    "{\"type\": \"divider\"},"
	    "{\"type\": \"context\", \"elements\": [{\"type\": \"mrkdwn\", \"text\": \"_src_\"},"
	    " {\"type\": \"image\", \"image_url\": \"https://x/y.png\", \"alt_text\": \"logo\"}]},"
	    "{\"type\": \"actions\", \"elements\": ["
	    " {\"type\": \"button\", \"text\": {\"type\": \"plain_text\", \"text\": \"Approve\"},"
	    "  \"style\": \"primary\", \"value\": \"v\"},"
	    " {\"type\": \"button\", \"text\": {\"type\": \"plain_text\", \"text\": \"Reject\"},"
	    "  \"style\": \"danger\"},"
	    " {\"type\": \"button\", \"text\": {\"type\": \"plain_text\", \"text\": \"View\"},"
	    "  \"url\": \"https://hub/requests/1\"},"
	    " {\"type\": \"static_select\", \"placeholder\": {\"type\": \"plain_text\","
	    "  \"text\": \"Pick\"}}]},"
	    "{\"type\": \"image\", \"image_url\": \"https://x/c.png\", \"alt_text\": \"chart\"},"
	    "{\"type\": \"rich_text\", \"elements\": []},"
	    "{\"type\": \"<img src=x onerror=alert(1)>\"}]}");

	cr_assert_not_null(strstr(h, "<div class=\"bk-header\">Laptop &lt;b&gt;</div>"), "%s", h);
	cr_assert_not_null(strstr(h, "<div class=\"bk-text\">*not*<br>bold</div>"), "%s", h);
	cr_assert_not_null(strstr(h, "<div class=\"bk-fields\"><div class=\"bk-field\"><b>Amount"
	    "</b></div><div class=\"bk-field\">1,200 EUR</div></div>"), "%s", h);
	cr_assert_not_null(strstr(h, "<div class=\"bk-accessory\"><button type=\"button\""
	    " class=\"bk-button bk-overflow\" disabled aria-label=\"More options\">"), "%s", h);
	cr_assert_not_null(strstr(h, "<hr class=\"bk-divider\">"), "%s", h);
	cr_assert_not_null(strstr(h, "<div class=\"bk-context\"><span><i>src</i></span>"
	    "<span class=\"bk-img\">[logo]</span></div>"), "%s", h);
	cr_assert_not_null(strstr(h, "<button type=\"button\" class=\"bk-button bk-primary\""
	    " disabled>Approve</button>"), "%s", h);
	cr_assert_not_null(strstr(h, "<button type=\"button\" class=\"bk-button bk-danger\""
	    " disabled>Reject</button>"), "%s", h);
	cr_assert_not_null(strstr(h, "<button type=\"button\" class=\"bk-button\" disabled>View"
	    "</button>"), "%s", h);
	cr_assert_not_null(strstr(h, "<span class=\"bk-select\">Pick</span>"), "%s", h);
	cr_assert_not_null(strstr(h, "<span class=\"bk-img\">[Image: chart]</span>"), "%s", h);
	cr_assert_not_null(strstr(h, "[rich_text block]"), "%s", h);
	cr_assert_not_null(strstr(h, "[&lt;img src=x onerror=alert(1)&gt; block]"), "%s", h);
	/* Nothing loads and nothing is followed: no img, no URL of a button. */
	cr_assert_null(strstr(h, "<img"), "%s", h);
	cr_assert_null(strstr(h, "https://x/"), "%s", h);
	cr_assert_null(strstr(h, "https://hub/"), "%s", h);
	free(h);
}

Test(bkhtml, fallback_text_and_refusals)
{
	struct hub_buf b = HUB_BUF_INIT(1u << 16);
	char *h = html("{\"text\": \"only *this*\", \"blocks\": []}");

	cr_assert_str_eq(h, "<div class=\"bk-message\"><div class=\"bk-section\">"
	    "<div class=\"bk-text\">only <b>this</b></div></div></div>");
	free(h);
	cr_assert_eq(hub_bkhtml_render("{", 1, &b), HUB_BKHTML_JSON);
	cr_assert_eq(hub_bkhtml_render("42", 2, &b), HUB_BKHTML_SHAPE);
	cr_assert_eq(hub_bkhtml_render("{\"a\": 1}", 8, &b), HUB_BKHTML_SHAPE);
	cr_assert_eq(b.len, 0);
	hub_buf_release(&b);
}

Test(bkhtml, full_buffer_is_left_as_it_was)
{
	struct hub_buf b = HUB_BUF_INIT(40);
	const char *j = "[{\"type\": \"header\", \"text\": {\"type\": \"plain_text\","
	    " \"text\": \"a header longer than the buffer\"}}]";

	cr_assert_eq(hub_buf_adds(&b, "before"), HUB_BUF_OK);
	cr_assert_eq(hub_bkhtml_render(j, strlen(j), &b), HUB_BKHTML_TOOBIG);
	cr_assert_str_eq(hub_buf_str(&b), "before");
	hub_buf_release(&b);
}

Test(bkhtml, limits_cut_blocks_and_text)
{
	struct hub_buf j = HUB_BUF_INIT(1u << 22);
	char *h, *p;
	size_t i, n = 0;

	hub_buf_adds(&j, "[");
	for (i = 0; i < 130; i++)
		hub_buf_printf(&j, "%s{\"type\": \"divider\"}", i ? "," : "");
	hub_buf_adds(&j, ",{\"type\": \"section\", \"text\": {\"type\": \"mrkdwn\", \"text\": \"");
	for (i = 0; i < 5000; i++)
		hub_buf_adds(&j, "*");
	hub_buf_adds(&j, "\"}}]");
	h = html(hub_buf_str(&j));
	for (p = h; (p = strstr(p, "bk-divider")) != NULL; p++)
		n++;
	cr_assert_eq(n, HUB_BKHTML_MAX_BLOCKS);
	cr_assert_not_null(strstr(h, "[31 more blocks]"), "%s", h + strlen(h) - 80);
	free(h);
	hub_buf_release(&j);

	/* A text past 3000 characters ends in an ellipsis. */
	hub_buf_init(&j, 1u << 20);
	hub_buf_adds(&j, "[{\"type\": \"section\", \"text\": {\"type\": \"plain_text\", \"text\": \"");
	for (i = 0; i < 3500; i++)
		hub_buf_adds(&j, "\xc3\xa9");
	hub_buf_adds(&j, "\"}}]");
	h = html(hub_buf_str(&j));
	cr_assert_not_null(strstr(h, "\xc3\xa9\xe2\x80\xa6</div>"));
	cr_assert_eq(strlen(h), strlen("<div class=\"bk-message\"><div class=\"bk-section\">"
	    "<div class=\"bk-text\"></div></div></div>") + 3000 * 2 + 3);
	free(h);
	hub_buf_release(&j);
}

/* What the hub itself sends: a call for action from slack/render. */
Test(bkhtml, a_rendered_call_for_action)
{
	struct hub_render_out out;
	json_object *ctx = json_tokener_parse("{\"request\": {\"id\": "
	    "\"5b0c1c2e-8a4f-4d3e-9a51-0f6a1b2c3d4e\", \"title\": \"Laptop <script>\","
	    " \"status\": \"Pending\", \"source\": \"Concur\", \"requester_name\": \"Rita\","
	    " \"justification\": \"*old* one broke\", \"metadata\": {\"amount\": 1200,"
	    " \"currency\": \"EUR\"}}, \"links\": {\"view\": \"https://hub.test/requests/x\"}}");
	struct hub_buf b = HUB_BUF_INIT(1u << 20);
	const char *j;

	cr_assert_not_null(ctx);
	cr_assert_eq(hub_render(HUB_RENDER_CALL_FOR_ACTION, ctx, &out), HUB_RENDER_OK);
	j = json_object_to_json_string(out.blocks);
	cr_assert_eq(hub_bkhtml_render(j, strlen(j), &b), HUB_BKHTML_OK);
	cr_assert_not_null(strstr(hub_buf_str(&b), "Laptop &lt;script&gt;"), "%s",
	    hub_buf_str(&b));
	cr_assert_null(strstr(hub_buf_str(&b), "<script"));
	cr_assert_not_null(strstr(hub_buf_str(&b), "disabled>Approve</button>"), "%s",
	    hub_buf_str(&b));
	cr_assert_not_null(strstr(hub_buf_str(&b), "<b>Amount</b><br>1200"), "%s", hub_buf_str(&b));
	hub_buf_release(&b);
	hub_render_out_free(&out);
	json_object_put(ctx);
}
