/*
 * test_utf8.c - the one UTF-8 decoder: sequence lengths, validity (overlong,
 * surrogates, past U+10FFFF, cut short), counting, cutting on a character.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "base/common.h"
#include "base/utf8.h"

static const struct {
	const char	*in;
	size_t		 len;
	long		 chars;		/* -1: invalid */
	size_t		 lax;		/* count_lax */
} count[] = {
	{ "", 0, 0, 0 },
	{ "abc", 3, 3, 3 },
	{ "a\0b", 3, 3, 3 },				/* NUL is a character */
	{ "\xc3\xa9", 2, 1, 1 },			/* é */
	{ "\xe2\x82\xac", 3, 1, 1 },			/* € */
	{ "\xf0\x9f\x98\x80", 4, 1, 1 },		/* 😀 */
	{ "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, 4, 4 },
	{ "\xef\xbf\xbf", 3, 1, 1 },			/* U+FFFF */
	{ "\xf4\x8f\xbf\xbf", 4, 1, 1 },		/* U+10FFFF */
	{ "\xc2\x80", 2, 1, 1 },			/* U+0080, a C1 control */
	{ "\xff", 1, -1, 1 },
	{ "\xc0\x80", 2, -1, 2 },			/* overlong NUL */
	{ "\xc1\xbf", 2, -1, 2 },			/* overlong */
	{ "\xe0\x80\x80", 3, -1, 3 },			/* overlong */
	{ "\xf0\x8f\xbf\xbf", 4, -1, 4 },		/* overlong */
	{ "\xed\xa0\x80", 3, -1, 3 },			/* surrogate */
	{ "\xf4\x90\x80\x80", 4, -1, 4 },		/* past U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, -1, 4 },
	{ "\xc3", 1, -1, 1 },				/* cut short */
	{ "\xe2\x82", 2, -1, 2 },
	{ "a\x80", 2, -1, 2 },				/* lone continuation */
	{ "\xc3\xa9\xc3", 3, -1, 2 },
};

Test(utf8, count_and_valid)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(count); i++) {
		cr_expect_eq(hub_utf8_count(count[i].in, count[i].len),
		    count[i].chars, "case %zu", i);
		cr_expect_eq(hub_utf8_valid(count[i].in, count[i].len),
		    count[i].chars >= 0, "case %zu", i);
		cr_expect_eq(hub_utf8_count_lax(count[i].in, count[i].len),
		    count[i].lax, "case %zu", i);
	}
}

static const struct {
	const char	*in;
	size_t		 len;		/* bytes left */
	size_t		 seq;		/* 0: invalid */
	unsigned	 cp;
} seqs[] = {
	{ "A", 1, 1, 0x41 },
	{ "\0", 1, 1, 0 },
	{ "\xc3\xa9z", 3, 2, 0xe9 },
	{ "\xe2\x82\xac", 3, 3, 0x20ac },
	{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
	{ "\xf0\x9f\x98\x80", 3, 0, 0 },	/* the rest is past n */
	{ "\x80", 1, 0, 0 },
	{ "\xed\x9f\xbf", 3, 3, 0xd7ff },	/* last before the surrogates */
	{ "\xee\x80\x80", 3, 3, 0xe000 },	/* first after them */
	{ "", 0, 0, 0 },
};

Test(utf8, one_sequence)
{
	unsigned cp;
	size_t i;

	for (i = 0; i < HUB_NELEM(seqs); i++) {
		cp = 0;
		cr_expect_eq(hub_utf8_seq(seqs[i].in, seqs[i].len, &cp),
		    seqs[i].seq, "case %zu", i);
		if (seqs[i].seq > 0)
			cr_expect_eq(cp, seqs[i].cp, "case %zu", i);
	}
	cr_expect_eq(hub_utf8_seq("\xc3\xa9", 2, NULL), 2);
}

static const struct {
	const char	*in;
	size_t		 max;
	size_t		 want;
} cuts[] = {
	{ "abcdef", 3, 3 },
	{ "abc", 10, 3 },
	{ "abc", 0, 0 },
	{ "a\xc3\xa9", 2, 1 },			/* would split é */
	{ "a\xc3\xa9", 3, 3 },
	{ "\xe2\x82\xac\xe2\x82\xac", 4, 3 },
	{ "\xe2\x82\xac\xe2\x82\xac", 5, 3 },
	{ "\xe2\x82\xac\xe2\x82\xac", 6, 6 },
	{ "\xf0\x9f\x98\x80x", 1, 0 },
	{ "\xf0\x9f\x98\x80x", 3, 0 },
	{ "\xf0\x9f\x98\x80x", 4, 4 },
	{ "ab\xe2\x82", 10, 2 },		/* already cut short at the end */
	{ "ab\xc3", 10, 2 },
};

Test(utf8, cut_on_a_character)
{
	size_t i, got;

	for (i = 0; i < HUB_NELEM(cuts); i++) {
		got = hub_utf8_cut(cuts[i].in, strlen(cuts[i].in), cuts[i].max);
		cr_expect_eq(got, cuts[i].want, "case %zu: %zu", i, got);
		cr_expect(hub_utf8_valid(cuts[i].in, got), "case %zu", i);
	}
}
