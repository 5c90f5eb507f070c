/* test_form.c - urlencoded decoding, encoding and form parsing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/form.h"

struct dec_case {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	int		 plus;
	int		 rc;
	const char	*out;
	size_t		 outlen;
};

#define S(s) s, sizeof(s) - 1

static const struct dec_case dec_cases[] = {
	{ S(""), 1, HUB_FORM_OK, S("") },
	{ S("abc"), 1, HUB_FORM_OK, S("abc") },
	{ S("a+b"), 1, HUB_FORM_OK, S("a b") },
	{ S("a+b"), 0, HUB_FORM_OK, S("a+b") },
	{ S("%41%62%7e"), 1, HUB_FORM_OK, S("Ab~") },
	{ S("%2B%2b"), 1, HUB_FORM_OK, S("++") },
	{ S("%e2%9c%93"), 1, HUB_FORM_OK, S("\xe2\x9c\x93") },
	{ S("%FF"), 1, HUB_FORM_OK, S("\xff") },
	{ S("%01"), 1, HUB_FORM_OK, S("\x01") },
	{ S("x%25y"), 1, HUB_FORM_OK, S("x%y") },
	/* malformed escapes: the whole input is refused */
	{ S("%"), 1, HUB_FORM_BADESC, S("") },
	{ S("abc%"), 1, HUB_FORM_BADESC, S("") },
	{ S("%4"), 1, HUB_FORM_BADESC, S("") },
	{ S("abc%4"), 1, HUB_FORM_BADESC, S("") },
	{ S("%zz"), 1, HUB_FORM_BADESC, S("") },
	{ S("%4g"), 1, HUB_FORM_BADESC, S("") },
	{ S("%g4"), 1, HUB_FORM_BADESC, S("") },
	{ S("% 1"), 1, HUB_FORM_BADESC, S("") },
	{ S("%-1"), 1, HUB_FORM_BADESC, S("") },
	{ S("%00"), 1, HUB_FORM_BADESC, S("") },
	{ S("ok%00tail"), 1, HUB_FORM_BADESC, S("") },
	/* a raw NUL inside the input is refused too */
	{ S("a\0b"), 1, HUB_FORM_BADESC, S("") },
};

static void
check_url_decode(const struct dec_case *c)
{
	struct hub_buf b = HUB_BUF_INIT(1024);
	int rc;

	/* Prefix proves decode appends and, on error, restores the buffer. */
	cr_assert_eq(hub_buf_adds(&b, "P:"), HUB_BUF_OK);
	rc = hub_url_decode(c->in, c->len, c->plus, &b);
	cr_assert_eq(rc, c->rc, "input '%s': rc %d want %d", c->in, rc, c->rc);
	cr_assert_eq(b.len, 2 + c->outlen, "input '%s': len %zu", c->in, b.len);
	cr_assert_eq(memcmp(b.data, "P:", 2), 0);
	cr_assert_eq(memcmp(b.data + 2, c->out, c->outlen), 0, "input '%s'", c->in);
	cr_assert_eq(b.data[b.len], '\0');
	hub_buf_release(&b);
}

Test(form, url_decode)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(dec_cases); i++)
		check_url_decode(&dec_cases[i]);
}

Test(form, url_decode_respects_buffer_max)
{
	struct hub_buf b = HUB_BUF_INIT(3);

	cr_assert_eq(hub_url_decode(S("%41%42%43"), 1, &b), HUB_FORM_OK);
	cr_assert_str_eq(hub_buf_str(&b), "ABC");
	hub_buf_reset(&b);
	cr_assert_eq(hub_url_decode(S("%41%42%43%44"), 1, &b), HUB_FORM_TOOBIG);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(hub_buf_str(&b), "");
	hub_buf_release(&b);
}

struct enc_case {
	const char	*in;
	size_t		 len;
	const char	*out;
};

static const struct enc_case enc_cases[] = {
	{ S(""), "" },
	{ S("AZaz09-._~"), "AZaz09-._~" },
	{ S("a b"), "a%20b" },
	{ S("a+b&c=d/e?f#g%"), "a%2Bb%26c%3Dd%2Fe%3Ff%23g%25" },
	{ S("\xe2\x9c\x93"), "%E2%9C%93" },
	{ S("\0\x01\xff"), "%00%01%FF" },
	{ S("https://hooks.example/x?y=1"), "https%3A%2F%2Fhooks.example%2Fx%3Fy%3D1" },
};

static void
check_url_encode(const struct enc_case *c)
{
	struct hub_buf b = HUB_BUF_INIT(1024);
	struct hub_buf d = HUB_BUF_INIT(1024);

	cr_assert_eq(hub_url_encode(c->in, c->len, &b), HUB_FORM_OK);
	cr_assert_str_eq(hub_buf_str(&b), c->out);
	/* Round trip, except for the NUL that decoding refuses by design. */
	if (memchr(c->in, '\0', c->len) == NULL) {
		cr_assert_eq(hub_url_decode(b.data ? b.data : "", b.len, 0, &d), HUB_FORM_OK);
		cr_assert_eq(d.len, c->len);
		cr_assert_eq(memcmp(hub_buf_str(&d), c->in, c->len), 0);
	}
	hub_buf_release(&b);
	hub_buf_release(&d);
}

Test(form, url_encode)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(enc_cases); i++)
		check_url_encode(&enc_cases[i]);
}

Test(form, url_encode_too_big_leaves_buffer)
{
	struct hub_buf b = HUB_BUF_INIT(5);

	cr_assert_eq(hub_buf_adds(&b, "x"), HUB_BUF_OK);
	cr_assert_eq(hub_url_encode(S("a b"), &b), HUB_FORM_TOOBIG);
	cr_assert_str_eq(hub_buf_str(&b), "x");
	hub_buf_release(&b);
}

/* Parse cases: expected pairs written "k=v|k=v" after decoding. */
struct parse_case {
	const char	*in;
	size_t		 len;
	size_t		 max;
	int		 rc;
	size_t		 n;
	const char	*pairs[4][2];
};

static const struct parse_case parse_cases[] = {
	{ S(""), 10, HUB_FORM_OK, 0, { { 0 } } },
	{ S("a=1"), 10, HUB_FORM_OK, 1, { { "a", "1" } } },
	{ S("a=1&b=x+y&c"), 10, HUB_FORM_OK, 3, { { "a", "1" }, { "b", "x y" }, { "c", "" } } },
	{ S("a=1&&b=2&"), 10, HUB_FORM_OK, 2, { { "a", "1" }, { "b", "2" } } },
	{ S("k%20ey=v%3Dw=z"), 10, HUB_FORM_OK, 1, { { "k ey", "v=w=z" } } },
	{ S("=v&e="), 10, HUB_FORM_OK, 2, { { "", "v" }, { "e", "" } } },
	{ S("payload=%7B%22a%22%3A1%7D"), 10, HUB_FORM_OK, 1, { { "payload", "{\"a\":1}" } } },
	{ S("a=1&a=2"), 10, HUB_FORM_OK, 2, { { "a", "1" }, { "a", "2" } } },
	{ S("a=1&b=2&c=3"), 3, HUB_FORM_OK, 3, { { "a", "1" }, { "b", "2" }, { "c", "3" } } },
	/* bad cases */
	{ S("a=1&b=2&c=3&d=4"), 3, HUB_FORM_TOOMANY, 0, { { 0 } } },
	{ S("a=1"), 0, HUB_FORM_TOOMANY, 0, { { 0 } } },
	{ S("a=1&b=%zz"), 10, HUB_FORM_BADESC, 0, { { 0 } } },
	{ S("a=1&b=%4"), 10, HUB_FORM_BADESC, 0, { { 0 } } },
	{ S("a=1&b=%"), 10, HUB_FORM_BADESC, 0, { { 0 } } },
	{ S("a%00=1"), 10, HUB_FORM_BADESC, 0, { { 0 } } },
	{ S("a=%00"), 10, HUB_FORM_BADESC, 0, { { 0 } } },
	{ S("a=1\0&b=2"), 10, HUB_FORM_BADESC, 0, { { 0 } } },
};

static void
check_parse(const struct parse_case *c)
{
	struct hub_form f;
	size_t i;
	int rc;

	rc = hub_form_parse(c->in, c->len, c->max, &f);
	cr_assert_eq(rc, c->rc, "'%s': rc %d (%s) want %d", c->in, rc,
	    hub_form_strerror(rc), c->rc);
	cr_assert_eq(f.n, c->n, "'%s': n %zu want %zu", c->in, f.n, c->n);
	if (rc != HUB_FORM_OK)
		cr_assert_null(f.kv);
	for (i = 0; i < c->n; i++) {
		cr_assert_str_eq(f.kv[i].key, c->pairs[i][0]);
		cr_assert_str_eq(f.kv[i].val, c->pairs[i][1]);
		cr_assert_eq(f.kv[i].vlen, strlen(c->pairs[i][1]));
	}
	hub_form_free(&f);
	cr_assert_eq(f.n, 0);
}

Test(form, parse)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(parse_cases); i++)
		check_parse(&parse_cases[i]);
}

Test(form, get_returns_first_value_or_null)
{
	struct hub_form f;

	cr_assert_eq(hub_form_parse(S("a=1&b=2&a=3&empty="), 10, &f), HUB_FORM_OK);
	cr_assert_str_eq(hub_form_get(&f, "a"), "1");
	cr_assert_str_eq(hub_form_get(&f, "b"), "2");
	cr_assert_str_eq(hub_form_get(&f, "empty"), "");
	cr_assert_null(hub_form_get(&f, "A"));
	cr_assert_null(hub_form_get(&f, "missing"));
	cr_assert_null(hub_form_get(&f, NULL));
	hub_form_free(&f);
	hub_form_free(&f);	/* idempotent */
}

Test(form, many_pairs_grow)
{
	struct hub_buf in = HUB_BUF_INIT(1 << 20);
	struct hub_form f;
	char key[16];
	int i;

	for (i = 0; i < 1000; i++)
		cr_assert_eq(hub_buf_printf(&in, "%sk%d=%d", i ? "&" : "", i, i), HUB_BUF_OK);
	cr_assert_eq(hub_form_parse(in.data, in.len, 1000, &f), HUB_FORM_OK);
	cr_assert_eq(f.n, 1000);
	for (i = 0; i < 1000; i += 97) {
		snprintf(key, sizeof(key), "k%d", i);
		cr_assert_eq(strtol(hub_form_get(&f, key), NULL, 10), i);
	}
	hub_form_free(&f);
	cr_assert_eq(hub_form_parse(in.data, in.len, 999, &f), HUB_FORM_TOOMANY);
	hub_buf_release(&in);
}

Test(form, oversized_input)
{
	size_t n = HUB_FORM_MAX_INPUT + 1;
	char *big = malloc(n);
	struct hub_form f;
	struct hub_buf b = HUB_BUF_INIT(n);

	cr_assert_not_null(big);
	memset(big, 'a', n);
	cr_assert_eq(hub_form_parse(big, n, 10, &f), HUB_FORM_TOOBIG);
	cr_assert_eq(f.n, 0);
	cr_assert_eq(hub_url_decode(big, n, 1, &b), HUB_FORM_TOOBIG);
	cr_assert_eq(b.len, 0);
	/* exactly at the limit is fine */
	cr_assert_eq(hub_form_parse(big, n - 1, 10, &f), HUB_FORM_OK);
	cr_assert_eq(f.n, 1);
	cr_assert_eq(strlen(f.kv[0].key), n - 1);
	hub_form_free(&f);
	free(big);
}

Test(form, strerror)
{
	cr_assert_str_eq(hub_form_strerror(HUB_FORM_OK), "ok");
	cr_assert_str_neq(hub_form_strerror(HUB_FORM_BADESC), hub_form_strerror(HUB_FORM_TOOBIG));
	cr_assert_str_eq(hub_form_strerror(-1), "unknown form error");
	cr_assert_str_eq(hub_form_strerror(999), "unknown form error");
}
