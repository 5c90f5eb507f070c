/*
 * test_csv.c - the CSV writer: RFC 4180 quoting (commas, quotes doubled,
 * CR and LF), CRLF records, formula cells neutralised with a quote,
 * UTF-8 passed through, empty and NULL fields, all-or-nothing on a full
 * buffer.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/common.h"
#include "base/csv.h"

static const struct {
	const char	*in;
	const char	*out;
} fields[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "two\nlines", "\"two\nlines\"" },
	{ "cr\rhere", "\"cr\rhere\"" },
	{ "crlf\r\n", "\"crlf\r\n\"" },
	{ "=1+2", "\"'=1+2\"" },
	{ "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
	{ "+33 6", "\"'+33 6\"" },
	{ "-2", "\"'-2\"" },
	{ "@SUM(A1:A2)", "\"'@SUM(A1:A2)\"" },
	{ "\t=cmd", "\"'\t=cmd\"" },
	{ "\r=cmd", "\"'\r=cmd\"" },
	{ "a=b", "a=b" },
	{ " =x", " =x" },
	{ "'quoted", "'quoted" },
	{ "Zoë — 日本語 ✓", "Zoë — 日本語 ✓" },
	{ "Zoë, 日本", "\"Zoë, 日本\"" },
};

Test(csv, fields_are_quoted_and_neutralised)
{
	struct hub_buf b;
	size_t i;

	for (i = 0; i < HUB_NELEM(fields); i++) {
		hub_buf_init(&b, 200);
		cr_assert_eq(hub_csv_field(&b, fields[i].in, strlen(fields[i].in)), HUB_BUF_OK);
		cr_expect_str_eq(hub_buf_str(&b), fields[i].out, "field %zu: %s", i, fields[i].in);
		hub_buf_release(&b);
	}
}

Test(csv, risky_first_bytes)
{
	cr_expect(hub_csv_risky("=", 1));
	cr_expect(hub_csv_risky("+", 1));
	cr_expect(hub_csv_risky("-", 1));
	cr_expect(hub_csv_risky("@", 1));
	cr_expect(hub_csv_risky("\t", 1));
	cr_expect(hub_csv_risky("\r", 1));
	cr_expect_not(hub_csv_risky("a=", 2));
	cr_expect_not(hub_csv_risky("", 0));
	cr_expect_not(hub_csv_risky(NULL, 0));
	cr_expect_not(hub_csv_risky("\0=", 2));
}

Test(csv, a_record_ends_in_crlf_with_commas_between)
{
	const char *row[] = { "id", NULL, "a,b", "=x", "" };
	struct hub_buf b = HUB_BUF_INIT(200);

	cr_assert_eq(hub_csv_row(&b, row, HUB_NELEM(row)), HUB_BUF_OK);
	cr_expect_str_eq(hub_buf_str(&b), "id,,\"a,b\",\"'=x\",\r\n");
	cr_assert_eq(hub_csv_row(&b, row, 1), HUB_BUF_OK);
	cr_expect_str_eq(hub_buf_str(&b), "id,,\"a,b\",\"'=x\",\r\nid\r\n");
	hub_buf_release(&b);
}

Test(csv, a_full_buffer_keeps_what_it_had)
{
	const char *row[] = { "first", "say \"a long thing\", twice" };
	struct hub_buf b = HUB_BUF_INIT(16);

	cr_assert_eq(hub_buf_adds(&b, "kept"), HUB_BUF_OK);
	cr_expect_eq(hub_csv_row(&b, row, 2), HUB_BUF_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "kept");
	cr_expect_eq(hub_csv_field(&b, row[1], strlen(row[1])), HUB_BUF_TOOBIG);
	cr_expect_str_eq(hub_buf_str(&b), "kept");
	hub_buf_release(&b);
}
