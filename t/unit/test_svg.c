/*
 * test_svg.c - charts as SVG: the root is an image labelled by its title
 * and desc, each column and bar carries its value in a <title>, stacked
 * columns add up, hostile names are escaped (and control characters and
 * invalid UTF-8 cannot break the document), an empty chart says so, a
 * full buffer keeps what it had.  Well-formedness as XML is checked by
 * the integration test, which parses the served charts.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/svg.h"

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
		n++;
	return n;
}

Test(svg, stacked_columns_carry_every_value)
{
	static const char *const labels[] = { "12-01", "12-02", "12-03" };
	static const double a[] = { 1, 0, 3 }, b[] = { 2, 2, 0 };
	const struct hub_svg_series series[] = { { "Workday", a }, { "Jira", b } };
	struct hub_svg_chart c = { HUB_SVG_COLUMNS, "daily", "Requests per day",
	    "Workday 4, Jira 4", labels, 3, series, 2, " requests", 0, 1 };
	struct hub_buf out = HUB_BUF_INIT(1 << 16);
	const char *s;

	cr_assert_eq(hub_svg_chart(&out, &c), HUB_BUF_OK);
	s = hub_buf_str(&out);
	cr_expect_eq(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0, "%s", s);
	cr_expect_not_null(strstr(s, "role=\"img\""));
	cr_expect_not_null(strstr(s, "aria-labelledby=\"daily-title daily-desc\""));
	cr_expect_not_null(strstr(s, "<title id=\"daily-title\">Requests per day</title>"));
	cr_expect_not_null(strstr(s, "<desc id=\"daily-desc\">Workday 4, Jira 4</desc>"));
	cr_expect_not_null(strstr(s, "<title>Workday \xc2\xb7 12-01: 1 requests</title>"), "%s", s);
	cr_expect_not_null(strstr(s, "<title>Jira \xc2\xb7 12-02: 2 requests</title>"));
	cr_expect_not_null(strstr(s, "<title>Workday \xc2\xb7 12-03: 3 requests</title>"));
	/* zero segments are not drawn: 4 bars plus 2 legend squares and the
	 * background */
	cr_expect_eq(count(s, "<rect"), 4 + 2 + 1, "%s", s);
	cr_expect_null(strstr(s, "12-02: 0"));
	cr_expect_not_null(strstr(s, ">Jira</text>"), "legend");
	cr_expect_eq(strcmp(s + out.len - 6, "</svg>"), 0);
	cr_expect_null(strstr(s, "<script"));
	hub_buf_release(&out);
}

Test(svg, bars_show_the_value_after_each_bar)
{
	static const char *const labels[] = { "Workday", "Jira" };
	static const double v[] = { 1.5, 26.3 };
	const struct hub_svg_series series[] = { { "median", v } };
	struct hub_svg_chart c = { HUB_SVG_BARS, "median", "Median time to decision",
	    "Workday 1.5 h, Jira 26.3 h", labels, 2, series, 1, " h", 1, 0 };
	struct hub_buf out = HUB_BUF_INIT(1 << 16);
	const char *s;

	cr_assert_eq(hub_svg_chart(&out, &c), HUB_BUF_OK);
	s = hub_buf_str(&out);
	cr_expect_not_null(strstr(s, "<title>Workday: 1.5 h</title>"), "%s", s);
	cr_expect_not_null(strstr(s, "<title>Jira: 26.3 h</title>"), "%s", s);
	cr_expect_not_null(strstr(s, ">Workday</text>"));
	cr_expect_not_null(strstr(s, ">1.5 h</text>"));
	cr_expect_eq(count(s, "<rect"), 2 + 1);
	hub_buf_release(&out);
}

Test(svg, hostile_names_are_text)
{
	static const char *const labels[] = { "<script>alert(1)</script>", "a&b\"'\x01\xff" };
	static const double v[] = { 1, 2 };
	const struct hub_svg_series series[] = { { "\"><img src=x onerror=alert(1)>", v } };
	struct hub_svg_chart c = { HUB_SVG_COLUMNS, "x\"><script>", "<b>t</b>", "d&d",
	    labels, 2, series, 1, "<u>", 0, 0 };
	struct hub_buf out = HUB_BUF_INIT(1 << 16);
	const char *s;

	cr_assert_eq(hub_svg_chart(&out, &c), HUB_BUF_OK);
	s = hub_buf_str(&out);
	cr_expect_null(strstr(s, "<script"), "%s", s);
	cr_expect_null(strstr(s, "<img"));
	cr_expect_null(strstr(s, "<b>"));
	cr_expect_null(strstr(s, "<u>"));
	cr_expect_null(strstr(s, "\x01"));
	cr_expect_null(strstr(s, "\xff"));
	cr_expect_not_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	cr_expect_not_null(strstr(s, "a&amp;b&quot;&#39; \xef\xbf\xbd"), "%s", s);
	cr_expect_not_null(strstr(s, "aria-labelledby=\"chart-title chart-desc\""),
	    "a bad id falls back");
	hub_buf_release(&out);
}

Test(svg, long_labels_are_cut_on_a_character)
{
	char label[300];
	const char *labels[1] = { label };
	static const double v[] = { 1 };
	const struct hub_svg_series series[] = { { "s", v } };
	struct hub_svg_chart c = { HUB_SVG_BARS, "l", "t", "d", labels, 1, series, 1, "", 0, 0 };
	struct hub_buf out = HUB_BUF_INIT(1 << 16);
	size_t i;

	for (i = 0; i + 2 < sizeof(label); i += 2)
		memcpy(label + i, "\xc3\xa9", 2);
	label[i] = '\0';
	cr_assert_eq(hub_svg_chart(&out, &c), HUB_BUF_OK);
	cr_expect_not_null(strstr(hub_buf_str(&out), "\xc3\xa9\xe2\x80\xa6</text>"));
	cr_expect_null(strstr(hub_buf_str(&out), label));
	hub_buf_release(&out);
}

Test(svg, no_data_says_so)
{
	static const char *const labels[] = { "a", "b" };
	static const double z[] = { 0, 0 };
	const struct hub_svg_series series[] = { { "s", z } };
	struct hub_svg_chart c = { HUB_SVG_COLUMNS, "e", "Empty", "Nothing yet", labels, 2,
	    series, 1, "", 0, 0 };
	struct hub_buf out = HUB_BUF_INIT(1 << 16);

	cr_assert_eq(hub_svg_chart(&out, &c), HUB_BUF_OK);
	cr_expect_not_null(strstr(hub_buf_str(&out), "No data in this period."));
	hub_buf_reset(&out);
	c.kind = HUB_SVG_BARS;
	c.nlabels = 0;
	cr_assert_eq(hub_svg_chart(&out, &c), HUB_BUF_OK);
	cr_expect_not_null(strstr(hub_buf_str(&out), "No data in this period."));
	hub_buf_release(&out);
}

Test(svg, a_full_buffer_keeps_what_it_had)
{
	static const char *const labels[] = { "a" };
	static const double v[] = { 1 };
	const struct hub_svg_series series[] = { { "s", v } };
	struct hub_svg_chart c = { HUB_SVG_BARS, "f", "t", "d", labels, 1, series, 1, "", 0, 0 };
	struct hub_buf out = HUB_BUF_INIT(300);

	cr_assert_eq(hub_buf_adds(&out, "kept"), HUB_BUF_OK);
	cr_expect_eq(hub_svg_chart(&out, &c), HUB_BUF_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&out), "kept");
	hub_buf_release(&out);
}
