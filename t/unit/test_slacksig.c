/*
 * test_slacksig.c - Slack's published signing vector, then one row per way
 * a request can be refused: headers, timestamp window, version, tampering.
 */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/crypto.h"
#include "slack/slacksig.h"

/* DESIGN.md "Slack facts" */
#define SECRET	"8f742231b10e8888abcd99yyyzzz85a5"
#define TS	"1531420618"
#define NOW	((time_t)1531420618)
#define BODY	"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow" \
	"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner" \
	"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F" \
	"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" \
	"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
#define SIG	"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define SIG_UPPER "v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503"
#define SIG_V1	"v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define SIG_NOEQ "v0a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define SIG_HEX	"a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

Test(slacksig, slack_vector_sign)
{
	char out[HUB_SIG_LEN];

	hub_sig_sign("v0", SECRET, TS, BODY, strlen(BODY), out);
	cr_expect_str_eq(out, SIG);
}

struct row {
	const char	*name;
	const char	*secret;
	const char	*ts;
	const char	*sig;
	const char	*body;
	time_t		 now;
	int		 want;
};

static const struct row rows[] = {
	{ "slack vector", SECRET, TS, SIG, BODY, NOW, HUB_SIG_OK },
	{ "tampered body", SECRET, TS, SIG, BODY "x", NOW, HUB_SIG_MISMATCH },
	{ "body one byte short", SECRET, TS, SIG,
	  "token=xyzz0WbapA4vBCDEFasx0q6G", NOW, HUB_SIG_MISMATCH },
	{ "empty body", SECRET, TS, SIG, "", NOW, HUB_SIG_MISMATCH },
	{ "other secret", "8f742231b10e8888abcd99yyyzzz85a6", TS, SIG, BODY, NOW,
	  HUB_SIG_MISMATCH },
	{ "no secret", NULL, TS, SIG, BODY, NOW, HUB_SIG_NO_SECRET },
	{ "empty secret", "", TS, SIG, BODY, NOW, HUB_SIG_NO_SECRET },
	/* the timestamp window: stale and future by 301 fail, 300 passes
	 * the window check (and then fails the MAC, which covers the ts) */
	{ "stale now+301", SECRET, TS, SIG, BODY, NOW + 301, HUB_SIG_STALE },
	{ "future now-301", SECRET, TS, SIG, BODY, NOW - 301, HUB_SIG_STALE },
	{ "edge now+300", SECRET, TS, SIG, BODY, NOW + 300, HUB_SIG_OK },
	{ "edge now-300", SECRET, TS, SIG, BODY, NOW - 300, HUB_SIG_OK },
	{ "ts is zero", SECRET, "0", SIG, BODY, NOW, HUB_SIG_STALE },
	{ "now far negative", SECRET, TS, SIG, BODY, (time_t)INT64_MIN, HUB_SIG_STALE },
	{ "now far positive", SECRET, "9223372036854775807", SIG, BODY, (time_t)INT64_MIN,
	  HUB_SIG_STALE },
	/* headers */
	{ "no timestamp", SECRET, NULL, SIG, BODY, NOW, HUB_SIG_NO_TIMESTAMP },
	{ "empty timestamp", SECRET, "", SIG, BODY, NOW, HUB_SIG_NO_TIMESTAMP },
	{ "no signature", SECRET, TS, NULL, BODY, NOW, HUB_SIG_NO_SIGNATURE },
	{ "empty signature", SECRET, TS, "", BODY, NOW, HUB_SIG_NO_SIGNATURE },
	/* non-numeric timestamps */
	{ "ts letters", SECRET, "abc", SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts trailing junk", SECRET, TS "x", SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts trailing space", SECRET, TS " ", SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts leading space", SECRET, " " TS, SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts plus sign", SECRET, "+" TS, SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts minus sign", SECRET, "-" TS, SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts fraction", SECRET, TS ".5", SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts hex", SECRET, "0x5b4773ca", SIG, BODY, NOW, HUB_SIG_BAD_TIMESTAMP },
	{ "ts overflows", SECRET, "99999999999999999999", SIG, BODY, NOW,
	  HUB_SIG_BAD_TIMESTAMP },
	{ "ts 19 nines", SECRET, "9999999999999999999", SIG, BODY, NOW,
	  HUB_SIG_BAD_TIMESTAMP },
	/* version prefix */
	{ "v1 where v0 expected", SECRET, TS, SIG_V1, BODY, NOW, HUB_SIG_BAD_VERSION },
	{ "no '='", SECRET, TS, SIG_NOEQ, BODY, NOW, HUB_SIG_BAD_VERSION },
	{ "bare hex", SECRET, TS, SIG_HEX, BODY, NOW, HUB_SIG_BAD_VERSION },
	{ "V0 uppercase", SECRET, TS, "V0=" SIG_HEX, BODY, NOW, HUB_SIG_BAD_VERSION },
	{ "v", SECRET, TS, "v", BODY, NOW, HUB_SIG_BAD_VERSION },
	/* the hex itself */
	{ "uppercase hex", SECRET, TS, SIG_UPPER, BODY, NOW, HUB_SIG_MISMATCH },
	{ "prefix only", SECRET, TS, "v0=", BODY, NOW, HUB_SIG_MISMATCH },
	{ "truncated hex", SECRET, TS,
	  "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50", BODY, NOW,
	  HUB_SIG_MISMATCH },
	{ "extra hex", SECRET, TS, SIG "0", BODY, NOW, HUB_SIG_MISMATCH },
	{ "two signatures", SECRET, TS, SIG "," SIG, BODY, NOW, HUB_SIG_MISMATCH },
	{ "last digit changed", SECRET, TS,
	  "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b504", BODY, NOW,
	  HUB_SIG_MISMATCH },
	{ "first digit changed", SECRET, TS,
	  "v0=b2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", BODY, NOW,
	  HUB_SIG_MISMATCH },
};

Test(slacksig, table)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		cr_expect_eq(hub_slacksig_verify(r->secret, r->ts, r->sig, r->body,
		    strlen(r->body), r->now), r->want, "%s: got %s", r->name,
		    hub_sig_strerror(hub_slacksig_verify(r->secret, r->ts, r->sig, r->body,
		    strlen(r->body), r->now)));
	}
}

/* The window boundary with signatures that are valid for their timestamp:
 * exactly 300 s either way is accepted, 301 is not. */
Test(slacksig, window_boundary_signed)
{
	static const struct { long long delta; int want; } d[] = {
		{ 0, HUB_SIG_OK }, { 300, HUB_SIG_OK }, { -300, HUB_SIG_OK },
		{ 301, HUB_SIG_STALE }, { -301, HUB_SIG_STALE },
		{ 86400, HUB_SIG_STALE }, { -86400, HUB_SIG_STALE },
	};
	char ts[32], sig[HUB_SIG_LEN];
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		snprintf(ts, sizeof(ts), "%lld", (long long)NOW + d[i].delta);
		hub_sig_sign("v0", SECRET, ts, BODY, strlen(BODY), sig);
		cr_expect_eq(hub_slacksig_verify(SECRET, ts, sig, BODY, strlen(BODY), NOW),
		    d[i].want, "ts = now %+lld", d[i].delta);
	}
}

/* The timestamp is part of the MAC: a fresh ts on an old signature fails. */
Test(slacksig, replayed_with_new_timestamp)
{
	cr_expect_eq(hub_slacksig_verify(SECRET, "1531420619", SIG, BODY, strlen(BODY), NOW),
	    HUB_SIG_MISMATCH);
}

/* Our own callbacks: "v1", and the two versions do not cross over. */
Test(slacksig, hub_v1_roundtrip)
{
	static const char body[] = "{\"id\":\"r1\",\"status\":\"Approved\"}";
	char sig[HUB_SIG_LEN], sig0[HUB_SIG_LEN];

	hub_sig_sign("v1", "source-secret", "1700000000", body, strlen(body), sig);
	cr_expect_eq(strncmp(sig, "v1=", 3), 0);
	cr_expect_eq(strlen(sig), HUB_SIG_LEN - 1);
	cr_expect_eq(hub_sig_verify("v1", "source-secret", "1700000000", sig, body,
	    strlen(body), 1700000100), HUB_SIG_OK);
	cr_expect_eq(hub_slacksig_verify("source-secret", "1700000000", sig, body,
	    strlen(body), 1700000100), HUB_SIG_BAD_VERSION);
	/* same MAC input except the version: the hex must differ too */
	hub_sig_sign("v0", "source-secret", "1700000000", body, strlen(body), sig0);
	cr_expect_str_neq(sig + 3, sig0 + 3);
	/* body bytes after a NUL count */
	cr_expect_eq(hub_sig_verify("v1", "source-secret", "1700000000", sig, body,
	    strlen(body) + 1, 1700000100), HUB_SIG_MISMATCH);
}

Test(slacksig, sign_refuses_bad_arguments)
{
	char out[HUB_SIG_LEN];

	memset(out, 'x', sizeof(out));
	hub_sig_sign("v10", SECRET, TS, BODY, strlen(BODY), out);
	cr_expect_str_eq(out, "");
	hub_sig_sign(NULL, SECRET, TS, BODY, strlen(BODY), out);
	cr_expect_str_eq(out, "");
	hub_sig_sign("v0", "", TS, BODY, strlen(BODY), out);
	cr_expect_str_eq(out, "");
	hub_sig_sign("v0", SECRET, NULL, BODY, strlen(BODY), out);
	cr_expect_str_eq(out, "");
	cr_expect_eq(hub_sig_verify("v10", SECRET, TS, SIG, BODY, strlen(BODY), NOW),
	    HUB_SIG_BAD_VERSION);
	cr_expect_eq(hub_sig_verify(NULL, SECRET, TS, SIG, BODY, strlen(BODY), NOW),
	    HUB_SIG_BAD_VERSION);
	cr_expect_eq(hub_sig_verify("v0", SECRET, TS, SIG, NULL, 5, NOW), HUB_SIG_MISMATCH);
}

Test(slacksig, parse_ts)
{
	static const struct { const char *s; int rc; long long v; } v[] = {
		{ "0", HUB_SIG_OK, 0 },
		{ "1531420618", HUB_SIG_OK, 1531420618LL },
		{ "9223372036854775807", HUB_SIG_OK, 9223372036854775807LL },
		{ "9223372036854775808", HUB_SIG_BAD_TIMESTAMP, 0 },
		{ "00000000000000000001", HUB_SIG_BAD_TIMESTAMP, 0 },	/* 20 chars */
		{ "", HUB_SIG_BAD_TIMESTAMP, 0 },
		{ "1e9", HUB_SIG_BAD_TIMESTAMP, 0 },
		{ "\t1", HUB_SIG_BAD_TIMESTAMP, 0 },
	};
	long long out;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		out = -1;
		cr_expect_eq(hub_sig_parse_ts(v[i].s, &out), v[i].rc, "%s", v[i].s);
		if (v[i].rc == HUB_SIG_OK)
			cr_expect_eq(out, v[i].v, "%s", v[i].s);
	}
}

Test(slacksig, strerror)
{
	int e;

	for (e = HUB_SIG_OK; e <= HUB_SIG_MISMATCH; e++)
		cr_expect_str_neq(hub_sig_strerror(e), "unknown signature error");
	cr_expect_str_eq(hub_sig_strerror(99), "unknown signature error");
}
