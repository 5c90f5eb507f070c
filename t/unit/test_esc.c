/*
 * test_esc.c - the escaping writers: HTML (& < > " '), mrkdwn (& < > only),
 * all-or-nothing on a full buffer, and the budgeted variant that never cuts
 * an entity or a character.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/esc.h"

static const struct {
	const char	*in;
	const char	*html;
	const char	*mrkdwn;
} esc[] = {
	{ "", "", "" },
	{ "abc", "abc", "abc" },
	{ "<>&\"'", "&lt;&gt;&amp;&quot;&#39;", "&lt;&gt;&amp;\"'" },
	{ "a<b", "a&lt;b", "a&lt;b" },
	{ "é<é", "é&lt;é", "é&lt;é" },
	{ "&lt;", "&amp;lt;", "&amp;lt;" },
	{ "<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;",
	    "&lt;!channel&gt; &lt;@U123&gt;" },
	{ "<a href=\"x\">'&'</a>",
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
	    "&lt;a href=\"x\"&gt;'&amp;'&lt;/a&gt;" },
	{ "*bold* _it_ `code`", "*bold* _it_ `code`", "*bold* _it_ `code`" },
};

Test(esc, html_and_mrkdwn)
{
	struct hub_buf b;
	size_t i;

	for (i = 0; i < HUB_NELEM(esc); i++) {
		hub_buf_init(&b, 100);
		cr_expect_eq(hub_esc_html(&b, esc[i].in, strlen(esc[i].in)),
		    HUB_BUF_OK);
		cr_expect_str_eq(hub_buf_str(&b), esc[i].html, "case %zu", i);
		hub_buf_reset(&b);
		cr_expect_eq(hub_esc_mrkdwn(&b, esc[i].in, strlen(esc[i].in)),
		    HUB_BUF_OK);
		cr_expect_str_eq(hub_buf_str(&b), esc[i].mrkdwn, "case %zu", i);
		hub_buf_release(&b);
	}
}

Test(esc, nul_is_data)
{
	struct hub_buf b = HUB_BUF_INIT(100);

	cr_expect_eq(hub_esc_html(&b, "a\0<", 3), HUB_BUF_OK);
	cr_expect_eq(b.len, 6);
	cr_expect_eq(memcmp(b.data, "a\0&lt;", 6), 0);
	hub_buf_release(&b);
}

Test(esc, all_or_nothing)
{
	struct hub_buf b = HUB_BUF_INIT(10);

	cr_expect_eq(hub_esc_html(&b, "ab<<", 4), HUB_BUF_OK);
	cr_expect_eq(hub_esc_html(&b, "<", 1), HUB_BUF_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "ab&lt;&lt;");
	cr_expect_eq(hub_esc_mrkdwn(&b, "x", 1), HUB_BUF_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "ab&lt;&lt;");
	hub_buf_release(&b);
}

static const struct {
	enum hub_esc_lang lang;
	const char	*in;
	size_t		 room;
	const char	*want;
	size_t		 left;
	int		 cut;
} budget[] = {
	{ HUB_ESC_MRKDWN, "abc", 10, "abc", 7, 0 },
	{ HUB_ESC_MRKDWN, "abc", 3, "abc", 0, 0 },
	{ HUB_ESC_MRKDWN, "abc", 2, "ab", 0, 1 },
	{ HUB_ESC_MRKDWN, "a<b", 4, "a", 3, 1 },	/* &lt; needs 4 */
	{ HUB_ESC_MRKDWN, "a<b", 5, "a&lt;", 0, 1 },
	{ HUB_ESC_MRKDWN, "a<b", 6, "a&lt;b", 0, 0 },
	{ HUB_ESC_MRKDWN, "&x", 4, "", 4, 1 },		/* &amp; is 5 */
	{ HUB_ESC_MRKDWN, "\"'", 2, "\"'", 0, 0 },
	{ HUB_ESC_HTML, "\"'", 5, "", 5, 1 },	/* &quot; is 6 */
	{ HUB_ESC_HTML, "'x", 6, "&#39;x", 0, 0 },
	{ HUB_ESC_MRKDWN, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 2,
	    "\xc3\xa9\xe2\x82\xac", 0, 1 },		/* characters, not bytes */
	{ HUB_ESC_MRKDWN, "\xff" "a", 1, "\xff", 0, 1 },	/* invalid byte */
	{ HUB_ESC_MRKDWN, "", 0, "", 0, 0 },
	{ HUB_ESC_MRKDWN, "a", 0, "", 0, 1 },
};

Test(esc, budget_keeps_entities_and_characters_whole)
{
	struct hub_buf b;
	size_t i, room;
	int cut;

	for (i = 0; i < HUB_NELEM(budget); i++) {
		hub_buf_init(&b, 100);
		hub_buf_adds(&b, "[");
		room = budget[i].room;
		cut = -1;
		cr_expect_eq(hub_esc_budget(&b, budget[i].lang, budget[i].in,
		    strlen(budget[i].in), &room, &cut), HUB_BUF_OK);
		cr_expect_str_eq(hub_buf_str(&b) + 1, budget[i].want,
		    "case %zu", i);
		cr_expect_eq(room, budget[i].left, "case %zu", i);
		cr_expect_eq(cut, budget[i].cut, "case %zu", i);
		hub_buf_release(&b);
	}
}

Test(esc, budget_on_a_full_buffer_changes_nothing)
{
	struct hub_buf b = HUB_BUF_INIT(6);
	size_t room = 100;

	hub_buf_adds(&b, "ab");
	cr_expect_eq(hub_esc_budget(&b, HUB_ESC_MRKDWN, "c<d", 3, &room, NULL),
	    HUB_BUF_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "ab");
	cr_expect_eq(room, 100);
	hub_buf_release(&b);
}
