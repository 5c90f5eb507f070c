/* test_buf.c - bounded buffers, including the boundary at the maximum. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

Test(buf, empty_is_valid_string)
{
	struct hub_buf b = HUB_BUF_INIT(10);

	cr_assert_null(b.data);
	cr_assert_str_eq(hub_buf_str(&b), "");
	cr_assert_eq(b.len, 0);
	hub_buf_reset(&b);
	hub_buf_release(&b);
	cr_assert_str_eq(hub_buf_str(&b), "");
}

/* Appends of n bytes into a buffer of max m that already holds k bytes. */
struct bound_case {
	size_t	max;
	size_t	have;
	size_t	add;
	int	rc;
};

static const struct bound_case bound_cases[] = {
	{ 0, 0, 0, HUB_BUF_OK },
	{ 0, 0, 1, HUB_BUF_TOOBIG },
	{ 1, 0, 1, HUB_BUF_OK },
	{ 1, 1, 1, HUB_BUF_TOOBIG },
	{ 10, 0, 10, HUB_BUF_OK },
	{ 10, 0, 11, HUB_BUF_TOOBIG },
	{ 10, 9, 1, HUB_BUF_OK },
	{ 10, 9, 2, HUB_BUF_TOOBIG },
	{ 10, 10, 0, HUB_BUF_OK },
	{ 64, 63, 1, HUB_BUF_OK },	/* first allocation is 64 */
	{ 65, 64, 1, HUB_BUF_OK },
	{ 1000, 500, 500, HUB_BUF_OK },
	{ 1000, 500, 501, HUB_BUF_TOOBIG },
	{ 1000, 0, (size_t)-1, HUB_BUF_TOOBIG },	/* no overflow */
};

Test(buf, boundary_at_max)
{
	struct hub_buf b;
	const struct bound_case *c;
	char *src;
	size_t i, addlen;

	src = malloc(2048);
	cr_assert_not_null(src);
	for (i = 0; i < 2048; i++)
		src[i] = (char)('a' + i % 26);
	for (i = 0; i < HUB_NELEM(bound_cases); i++) {
		c = &bound_cases[i];
		hub_buf_init(&b, c->max);
		cr_assert_eq(hub_buf_add(&b, src, c->have), HUB_BUF_OK, "case %zu", i);
		/* A huge add must be refused before anything reads src. */
		addlen = c->add;
		cr_assert_eq(hub_buf_add(&b, src, addlen), c->rc, "case %zu", i);
		if (c->rc == HUB_BUF_OK) {
			cr_assert_eq(b.len, c->have + c->add, "case %zu", i);
		} else {
			cr_assert_eq(b.len, c->have, "case %zu: changed on failure", i);
		}
		cr_assert_leq(b.len, b.max);
		cr_assert_eq(strlen(hub_buf_str(&b)), b.len, "case %zu: NUL", i);
		cr_assert_eq(memcmp(hub_buf_str(&b), src, c->have), 0, "case %zu", i);
		cr_assert_eq(memcmp(hub_buf_str(&b) + c->have, src, b.len - c->have), 0,
		    "case %zu", i);
		if (b.data != NULL)
			cr_assert_leq(b.cap, b.max + 1, "case %zu: cap %zu", i, b.cap);
		hub_buf_release(&b);
	}
	free(src);
}

Test(buf, addc_and_adds_at_max)
{
	struct hub_buf b = HUB_BUF_INIT(3);

	cr_assert_eq(hub_buf_adds(&b, "ab"), HUB_BUF_OK);
	cr_assert_eq(hub_buf_addc(&b, 'c'), HUB_BUF_OK);
	cr_assert_eq(hub_buf_addc(&b, 'd'), HUB_BUF_TOOBIG);
	cr_assert_eq(hub_buf_adds(&b, "x"), HUB_BUF_TOOBIG);
	cr_assert_eq(hub_buf_adds(&b, ""), HUB_BUF_OK);
	cr_assert_str_eq(hub_buf_str(&b), "abc");
	hub_buf_release(&b);
}

Test(buf, printf_at_max)
{
	static const struct { size_t max; const char *want; int rc; } cases[] = {
		{ 7, "n=42 ok", HUB_BUF_OK },
		{ 6, "", HUB_BUF_TOOBIG },
		{ 100, "n=42 ok", HUB_BUF_OK },
	};
	struct hub_buf b;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		hub_buf_init(&b, cases[i].max);
		cr_assert_eq(hub_buf_printf(&b, "n=%d %s", 42, "ok"), cases[i].rc, "case %zu", i);
		cr_assert_str_eq(hub_buf_str(&b), cases[i].want);
		cr_assert_eq(b.len, strlen(cases[i].want));
		hub_buf_release(&b);
	}
	/* Appending with printf after existing content. */
	hub_buf_init(&b, 8);
	cr_assert_eq(hub_buf_adds(&b, "abc"), HUB_BUF_OK);
	cr_assert_eq(hub_buf_printf(&b, "%05d", 7), HUB_BUF_OK);
	cr_assert_str_eq(hub_buf_str(&b), "abc00007");
	cr_assert_eq(hub_buf_printf(&b, "%s", "x"), HUB_BUF_TOOBIG);
	cr_assert_str_eq(hub_buf_str(&b), "abc00007");
	hub_buf_release(&b);
}

Test(buf, binary_content)
{
	struct hub_buf b = HUB_BUF_INIT(16);

	cr_assert_eq(hub_buf_add(&b, "a\0b", 3), HUB_BUF_OK);
	cr_assert_eq(b.len, 3);
	cr_assert_eq(memcmp(b.data, "a\0b", 4), 0);	/* incl. terminating NUL */
	hub_buf_release(&b);
}

Test(buf, growth_many_small_appends)
{
	struct hub_buf b = HUB_BUF_INIT(100000);
	size_t i;

	for (i = 0; i < 100000; i++)
		cr_assert_eq(hub_buf_addc(&b, (char)('0' + i % 10)), HUB_BUF_OK);
	cr_assert_eq(hub_buf_addc(&b, 'x'), HUB_BUF_TOOBIG);
	cr_assert_eq(b.len, 100000);
	cr_assert_eq(b.data[99999], '9');
	cr_assert_eq(b.data[100000], '\0');
	cr_assert_leq(b.cap, 100001);
	hub_buf_release(&b);
}

Test(buf, reset_keeps_allocation)
{
	struct hub_buf b = HUB_BUF_INIT(100);
	char *p;

	cr_assert_eq(hub_buf_adds(&b, "hello"), HUB_BUF_OK);
	p = b.data;
	hub_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.data, p);
	cr_assert_str_eq(hub_buf_str(&b), "");
	cr_assert_eq(hub_buf_adds(&b, "x"), HUB_BUF_OK);
	cr_assert_str_eq(hub_buf_str(&b), "x");
	hub_buf_release(&b);
}

Test(buf, release_then_reuse_same_max)
{
	struct hub_buf b = HUB_BUF_INIT(4);

	cr_assert_eq(hub_buf_adds(&b, "abcd"), HUB_BUF_OK);
	hub_buf_release(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.max, 4);
	cr_assert_eq(hub_buf_adds(&b, "abcde"), HUB_BUF_TOOBIG);
	cr_assert_eq(hub_buf_adds(&b, "wxyz"), HUB_BUF_OK);
	hub_buf_release(&b);
}

Test(buf, detach)
{
	struct hub_buf b = HUB_BUF_INIT(16);
	size_t len = 99;
	char *s;

	/* Empty buffer: a "" copy the caller frees. */
	s = hub_buf_detach(&b, &len);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "");
	cr_assert_eq(len, 0);
	free(s);

	cr_assert_eq(hub_buf_adds(&b, "owned"), HUB_BUF_OK);
	s = hub_buf_detach(&b, &len);
	cr_assert_str_eq(s, "owned");
	cr_assert_eq(len, 5);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	/* The buffer is reusable after detach. */
	cr_assert_eq(hub_buf_adds(&b, "again"), HUB_BUF_OK);
	cr_assert_str_eq(hub_buf_str(&b), "again");
	cr_assert_neq(b.data, s);
	free(s);
	s = hub_buf_detach(&b, NULL);
	cr_assert_str_eq(s, "again");
	free(s);
}
