/* test_cursor.c - keyset cursors: what hub_cursor_decode accepts and
 * refuses, and that decode(encode(x)) gives x back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "store/cursor.h"

#define TS	"2026-01-02T03:04:05.123456Z"
#define UUID	"0f8fad5b-d9cb-469f-a165-70867728950e"

struct dec_case {
	const char		*name;
	const char		*raw;     /* base64url-encoded here; NULL: use enc */
	const char		*enc;     /* given to decode as is */
	enum hub_cursor_kind	 kind;
	int			 rc;
	const char		*ts, *id; /* expected on OK */
};

static const struct dec_case cases[] = {
	/* valid */
	{ "uuid", TS "|" UUID, NULL, HUB_CURSOR_UUID, HUB_CURSOR_OK, TS, UUID },
	{ "upper-case uuid", TS "|0F8FAD5B-D9CB-469F-A165-70867728950E", NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_OK, TS, "0F8FAD5B-D9CB-469F-A165-70867728950E" },
	{ "numeric id", TS "|42", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_OK, TS, "42" },
	{ "unpadded, by hand", NULL, "MjAyNi0wMS0wMlQwMzowNDowNS4xMjM0NTZafDQy", HUB_CURSOR_NUMERIC,
	    HUB_CURSOR_OK, TS, "42" },
	{ "padded", NULL, "MjAyNi0wMS0wMlQwMzowNDowNS4xMjM0NTZafDQ=", HUB_CURSOR_NUMERIC,
	    HUB_CURSOR_OK, TS, "4" },
	/* bad base64 */
	{ "empty", NULL, "", HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "not base64", NULL, "not*base64", HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "standard alphabet", NULL, "+/+/", HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "dangling bits", NULL, "MjAyNi0wMS0wMlQwMzowNDowNS4xMjM0NTZafDQy" "A",
	    HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID, NULL, NULL },
	/* missing bar */
	{ "no bar", TS UUID, NULL, HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "empty id", TS "|", NULL, HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "empty ts", "|" UUID, NULL, HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	/* bad timestamp shape */
	{ "no microseconds", "2026-01-02T03:04:05Z|" UUID, NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "space for T", "2026-01-02 03:04:05.123456Z|" UUID, NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "offset for Z", "2026-01-02T03:04:05.12345+0|" UUID, NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "letter for digit", "2026-0a-02T03:04:05.123456Z|" UUID, NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "infinity", "infinity|" UUID, NULL, HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "sql in ts", "2026-01-02T03:04:05.123456Z'|" UUID, NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	/* non-uuid */
	{ "short uuid", TS "|0f8fad5b-d9cb-469f-a165-70867728950", NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "non-hex uuid", TS "|0f8fad5b-d9cb-469f-a165-70867728950g", NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "dashes moved", TS "|0f8fad5bd-9cb-469f-a165-70867728950e", NULL, HUB_CURSOR_UUID,
	    HUB_CURSOR_INVALID, NULL, NULL },
	{ "numeric where uuid", TS "|42", NULL, HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	{ "uuid where numeric", TS "|" UUID, NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID,
	    NULL, NULL },
	{ "second bar", TS "|" UUID "|x", NULL, HUB_CURSOR_UUID, HUB_CURSOR_INVALID, NULL, NULL },
	/* numeric id bounds: 1 to 18 digits, nothing else */
	{ "zero", TS "|0", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_OK, TS, "0" },
	{ "18 digits", TS "|999999999999999999", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_OK,
	    TS, "999999999999999999" },
	{ "19 digits", TS "|9223372036854775807", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID,
	    NULL, NULL },
	{ "negative", TS "|-1", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID, NULL, NULL },
	{ "plus sign", TS "|+1", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID, NULL, NULL },
	{ "trailing space", TS "|1 ", NULL, HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID, NULL, NULL },
	{ "id of 40 bytes", TS "|1234567890123456789012345678901234567890", NULL,
	    HUB_CURSOR_NUMERIC, HUB_CURSOR_INVALID, NULL, NULL },
};

static void
check(const struct dec_case *c)
{
	struct hub_buf enc = HUB_BUF_INIT(1024);
	char ts[HUB_CURSOR_PART] = "unchanged", id[HUB_CURSOR_PART] = "unchanged";
	const char *in = c->enc;
	int rc;

	if (c->raw != NULL) {
		cr_assert_eq(hub_base64_encode(c->raw, strlen(c->raw), 1, &enc), HUB_CRYPTO_OK);
		in = hub_buf_str(&enc);
	}
	rc = hub_cursor_decode(in, c->kind, ts, id);
	cr_assert_eq(rc, c->rc, "%s: rc %d want %d", c->name, rc, c->rc);
	if (rc == HUB_CURSOR_OK) {
		cr_assert_str_eq(ts, c->ts, "%s", c->name);
		cr_assert_str_eq(id, c->id, "%s", c->name);
	} else {
		cr_assert_str_eq(ts, "unchanged", "%s: ts written on error", c->name);
		cr_assert_str_eq(id, "unchanged", "%s: id written on error", c->name);
	}
	hub_buf_release(&enc);
}

Test(cursor, decode_table)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
}

Test(cursor, a_NUL_inside_is_refused)
{
	static const char raw[] = TS "|42\0" "0";
	struct hub_buf enc = HUB_BUF_INIT(256);
	char ts[HUB_CURSOR_PART], id[HUB_CURSOR_PART];

	cr_assert_eq(hub_base64_encode(raw, sizeof(raw) - 1, 1, &enc), HUB_CRYPTO_OK);
	cr_assert_eq(hub_cursor_decode(hub_buf_str(&enc), HUB_CURSOR_NUMERIC, ts, id),
	    HUB_CURSOR_INVALID);
	hub_buf_release(&enc);
}

Test(cursor, too_long_is_refused_before_decoding)
{
	char big[HUB_CURSOR_MAX + 2], ts[HUB_CURSOR_PART], id[HUB_CURSOR_PART];

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(hub_cursor_decode(big, HUB_CURSOR_UUID, ts, id), HUB_CURSOR_INVALID);
	cr_assert_eq(hub_cursor_decode(NULL, HUB_CURSOR_UUID, ts, id), HUB_CURSOR_INVALID);
}

Test(cursor, round_trip)
{
	static const struct { const char *ts, *id; enum hub_cursor_kind kind; } rt[] = {
		{ TS, UUID, HUB_CURSOR_UUID },
		{ "1999-12-31T23:59:59.999999Z", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
		    HUB_CURSOR_UUID },
		{ TS, "1", HUB_CURSOR_NUMERIC },
		{ TS, "123456789012345678", HUB_CURSOR_NUMERIC },
	};
	char ts[HUB_CURSOR_PART], id[HUB_CURSOR_PART];
	size_t i;

	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		struct hub_buf enc = HUB_BUF_INIT(2 * HUB_CURSOR_MAX);

		cr_assert_eq(hub_cursor_encode(rt[i].ts, rt[i].id, &enc), HUB_CURSOR_OK);
		cr_assert_eq(strpbrk(hub_buf_str(&enc), "+/="), NULL, "url-safe, unpadded");
		cr_assert_eq(hub_cursor_decode(hub_buf_str(&enc), rt[i].kind, ts, id),
		    HUB_CURSOR_OK, "case %zu", i);
		cr_assert_str_eq(ts, rt[i].ts);
		cr_assert_str_eq(id, rt[i].id);
		hub_buf_release(&enc);
	}
}

Test(cursor, encode_appends_and_reports_a_full_buffer)
{
	struct hub_buf enc = HUB_BUF_INIT(8);

	cr_assert_eq(hub_buf_adds(&enc, "x"), HUB_BUF_OK);
	cr_assert_eq(hub_cursor_encode(TS, UUID, &enc), HUB_CURSOR_NOMEM);
	cr_assert_str_eq(hub_buf_str(&enc), "x", "unchanged on error");
	hub_buf_release(&enc);
}

/* Search pages: "<rank>|<ts>|<id>", the rank as PostgreSQL prints a real. */
Test(cursor, ranked_round_trip_and_refusals)
{
	static const char *const ranks[] = { "0", "0.5124363", "1e-05", "3.4028235e+38",
	    "-0.25" };
	static const char *const bad[] = {
		"", "x", ".5", "Infinity", "NaN", "1 ", "0.5|x", "1234567890123456789012345",
		"0.5\n",
	};
	char rank[HUB_CURSOR_PART], ts[HUB_CURSOR_PART], id[HUB_CURSOR_PART];
	struct hub_buf enc = HUB_BUF_INIT(2 * HUB_CURSOR_MAX), raw = HUB_BUF_INIT(512);
	size_t i;

	for (i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++) {
		hub_buf_reset(&enc);
		cr_assert_eq(hub_cursor_encode_ranked(ranks[i], TS, UUID, &enc), HUB_CURSOR_OK);
		cr_assert_eq(hub_cursor_decode_ranked(hub_buf_str(&enc), rank, ts, id),
		    HUB_CURSOR_OK, "%s", ranks[i]);
		cr_assert_str_eq(rank, ranks[i]);
		cr_assert_str_eq(ts, TS);
		cr_assert_str_eq(id, UUID);
		/* A search's cursor is no plain list's, and the other way round. */
		cr_assert_eq(hub_cursor_decode(hub_buf_str(&enc), HUB_CURSOR_UUID, ts, id),
		    HUB_CURSOR_INVALID);
	}
	hub_buf_reset(&enc);
	cr_assert_eq(hub_cursor_encode(TS, UUID, &enc), HUB_CURSOR_OK);
	cr_assert_eq(hub_cursor_decode_ranked(hub_buf_str(&enc), rank, ts, id),
	    HUB_CURSOR_INVALID);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hub_buf_reset(&raw);
		hub_buf_reset(&enc);
		cr_assert_eq(hub_buf_printf(&raw, "%s|%s|%s", bad[i], TS, UUID), HUB_BUF_OK);
		cr_assert_eq(hub_base64_encode(raw.data, raw.len, 1, &enc), HUB_CRYPTO_OK);
		cr_assert_eq(hub_cursor_decode_ranked(hub_buf_str(&enc), rank, ts, id),
		    HUB_CURSOR_INVALID, "rank %s", bad[i]);
	}
	/* A bad timestamp or id behind a good rank. */
	hub_buf_reset(&enc);
	cr_assert_eq(hub_cursor_encode_ranked("0.5", "2026-01-02 03:04:05", UUID, &enc),
	    HUB_CURSOR_OK);
	cr_assert_eq(hub_cursor_decode_ranked(hub_buf_str(&enc), rank, ts, id),
	    HUB_CURSOR_INVALID);
	hub_buf_release(&enc);
	hub_buf_release(&raw);
}
