/* test_intake.c - request validation, normalization, presets, display rows. */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "base/json.h"
#include "approval/intake.h"
#include "approval/metadisplay.h"
#include "base/utf8.h"

#define NOW 1735689600	/* 2025-01-01T00:00:00Z */

/* The required fields and one approver; cases append to it. */
#define B "\"requester_name\":\"Jo\",\"justification_text\":\"j\""
#define A "\"approver_id\":\"U123\""

static void
setup(void)
{
	intake_now = NOW;
}

TestSuite(intake, .init = setup);

static json_object *
parse(const char *text)
{
	json_object *o = NULL;
	int rc = hub_json_parse(text, strlen(text), 1 << 20, 32, &o);

	cr_assert_eq(rc, HUB_JSON_OK, "test JSON does not parse (%s): %s",
	    hub_json_strerror(rc), text);
	return o;
}

static int
run_obj(json_object *in, const char *key, json_object **out, struct hub_intake_error *err)
{
	int rc = hub_intake_validate(in, key, out, err);

	if (rc != HUB_INTAKE_OK)
		cr_assert_null(*out, "no output on error");
	return rc;
}

/* Validate text; the result must be OK. */
static json_object *
ok(const char *text)
{
	struct hub_intake_error err;
	json_object *in = parse(text), *out = NULL;
	int rc = run_obj(in, NULL, &out, &err);

	cr_assert_eq(rc, HUB_INTAKE_OK, "%s\n  rejected: %s: %s", text, err.field, err.message);
	json_object_put(in);
	return out;
}

static const char *
sget(json_object *o, const char *path)
{
	json_object *v = o;
	char key[64];
	const char *p = path, *e;
	size_t n;

	while (*p != '\0') {
		e = p + strcspn(p, ".");
		n = (size_t)(e - p);
		cr_assert_lt(n, sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, (size_t)strtoul(key, NULL, 10));
		else if (!json_object_object_get_ex(v, key, &v))
			cr_assert_fail("no %s in output", path);
		p = *e ? e + 1 : e;
	}
	return v == NULL ? NULL : json_object_get_string(v);
}

static int
has_key(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

/* ------------------------------------------------------------ good */

Test(intake, seed_body_shape)
{
	json_object *out = ok("{\"request_source\":\"Workday\",\"requester_name\":\"John Doe\","
	    "\"approver_id\":\"U123456\",\"justification_text\":\"Request justification...\","
	    "\"metadata\":{\"date_range\":\"2024-01-01 to 2024-01-05\",\"amount\":500.00}}");

	cr_expect_str_eq(sget(out, "request_source"), "Workday");
	cr_expect_str_eq(sget(out, "requester_name"), "John Doe");
	cr_expect_str_eq(sget(out, "justification"), "Request justification...");
	cr_expect_str_eq(sget(out, "preset"), "workday_pto");
	cr_expect_str_eq(sget(out, "title"), "Time off request from John Doe");
	cr_expect_str_eq(sget(out, "steps.0.rule"), "any");
	cr_expect_null(sget(out, "steps.0.quorum"));
	cr_expect_str_eq(sget(out, "steps.0.approvers.0.kind"), "slack");
	cr_expect_str_eq(sget(out, "steps.0.approvers.0.value"), "U123456");
	cr_expect_eq(json_object_array_length(json_object_object_get(out, "steps")), 1);
	cr_expect_str_eq(sget(out, "metadata.date_range"), "2024-01-01 to 2024-01-05");
	cr_expect_str_eq(sget(out, "metadata.amount"), "500.00");
	cr_expect_eq(json_object_array_length(json_object_object_get(out, "watchers")), 0);
	{
		static const char *const nulls[] = { "external_id", "idempotency_key",
		    "requester_email", "requester_slack_id", "deadline", "reminder_every",
		    "valid_for", "callback_url", "delivery", "channel", "connection",
		    "steps.0.delivery", "steps.0.channel", "steps.0.connection" };
		size_t i;

		for (i = 0; i < HUB_NELEM(nulls); i++)
			cr_expect_null(sget(out, nulls[i]), "%s should be null", nulls[i]);
	}
	json_object_put(out);
}

Test(intake, every_documented_field_is_accepted)
{
	json_object *out = ok("{\"request_source\":\"api\",\"requester_name\":\"Jo\","
	    "\"justification_text\":\"a\\r\\nb\\tc\",\"metadata\":{},\"external_id\":\"E-1\","
	    "\"title\":\"T\",\"requester_email\":\"Jo@Example.COM\","
	    "\"requester_slack_id\":\"W0JO\",\"approvers\":[\"U1A\",\"U2B\",\"U3C\"],"
	    "\"rule\":\"quorum\",\"quorum\":3,\"deadline\":\"2030-01-01T00:00:00Z\","
	    "\"reminder_every\":\"4h\",\"valid_for\":\"P2D\","
	    "\"callback_url\":\"https://cb.example.com/x\",\"watchers\":[\"w@x.io\"],"
	    "\"delivery\":\"group_dm\",\"channel\":\"C0123\",\"connection\":\"main\"}");

	cr_expect_str_eq(sget(out, "justification"), "a\nb\tc");
	cr_expect_str_eq(sget(out, "requester_email"), "jo@example.com");
	cr_expect_str_eq(sget(out, "steps.0.rule"), "quorum");
	cr_expect_str_eq(sget(out, "steps.0.quorum"), "3");
	cr_expect_str_eq(sget(out, "reminder_every"), "14400");
	cr_expect_str_eq(sget(out, "valid_for"), "172800");
	cr_expect_str_eq(sget(out, "watchers.0.kind"), "email");
	cr_expect_str_eq(sget(out, "delivery"), "group_dm");
	cr_expect_str_eq(sget(out, "channel"), "C0123");
	cr_expect_str_eq(sget(out, "connection"), "main");
	cr_expect_str_eq(sget(out, "title"), "T");
	cr_expect_null(sget(out, "preset"));
	cr_expect(has_key(out, "idempotency_key"), "keys absent from input are null, not missing");
	cr_expect_not(has_key(out, "justification_text"), "stored as justification");
	json_object_put(out);
}

Test(intake, idempotency_key_and_defaults)
{
	struct hub_intake_error err;
	json_object *in = parse("{" B "," A "}"), *out = NULL;

	cr_assert_eq(run_obj(in, "abc-123", &out, &err), HUB_INTAKE_OK);
	cr_expect_str_eq(sget(out, "idempotency_key"), "abc-123");
	cr_expect_str_eq(sget(out, "title"), "Approval request from Jo");
	cr_expect_null(sget(out, "request_source"));
	cr_expect(json_object_is_type(json_object_object_get(out, "metadata"), json_type_object));
	json_object_put(out);
	json_object_put(in);
}

Test(intake, output_does_not_share_metadata_with_input)
{
	struct hub_intake_error err;
	json_object *in = parse("{" B "," A ",\"metadata\":{\"k\":\"v\"}}"), *out = NULL;

	cr_assert_eq(run_obj(in, NULL, &out, &err), HUB_INTAKE_OK);
	json_object_object_add(json_object_object_get(in, "metadata"), "k",
	    json_object_new_string("changed"));
	json_object_put(in);
	cr_expect_str_eq(sget(out, "metadata.k"), "v");
	json_object_put(out);
}

struct party_case {
	const char	*json;	/* one approver */
	const char	*kind;
	const char	*value;
};

static const struct party_case party_cases[] = {
	{ "\"U123\"", "slack", "U123" },
	{ "\"W0ABC9\"", "slack", "W0ABC9" },
	{ "\"Ann.Lee+x@Example.co.UK\"", "email", "ann.lee+x@example.co.uk" },
	{ "\"group:finance-team_2.eu\"", "group", "finance-team_2.eu" },
	{ "{\"slack\":\"U777\"}", "slack", "U777" },
	{ "{\"email\":\"BOSS@X.IO\"}", "email", "boss@x.io" },
	{ "{\"group\":\"execs\"}", "group", "execs" },
	{ "{\"group\":\"group:execs\"}", "group", "execs" },
};

Test(intake, approver_forms)
{
	char text[512];
	json_object *out;
	size_t i;
	static const char *const shapes[][2] = {
		{ "{" B ",\"approver_id\":", "}" },
		{ "{" B ",\"approvers\":[", "]}" },
		{ "{" B ",\"steps\":[{\"approvers\":[", "]}]}" },
	};
	size_t s;

	for (s = 0; s < HUB_NELEM(shapes); s++)
		for (i = 0; i < HUB_NELEM(party_cases); i++) {
			snprintf(text, sizeof(text), "%s%s%s", shapes[s][0], party_cases[i].json,
			    shapes[s][1]);
			out = ok(text);
			cr_expect_str_eq(sget(out, "steps.0.approvers.0.kind"), party_cases[i].kind,
			    "%s", text);
			cr_expect_str_eq(sget(out, "steps.0.approvers.0.value"),
			    party_cases[i].value, "%s", text);
			cr_expect_str_eq(sget(out, "steps.0.rule"), "any");
			json_object_put(out);
		}
}

Test(intake, steps_carry_rule_quorum_and_overrides)
{
	json_object *out = ok("{" B ",\"steps\":["
	    "{\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"all\"},"
	    "{\"approvers\":[\"U1A\",\"a@b.co\",\"group:g\"],\"rule\":\"quorum\",\"quorum\":2,"
	    "\"delivery\":\"channel\",\"channel\":\"#deals\",\"connection\":\"eu\"}]}");

	cr_expect_eq(json_object_array_length(json_object_object_get(out, "steps")), 2);
	cr_expect_str_eq(sget(out, "steps.0.rule"), "all");
	cr_expect_null(sget(out, "steps.0.quorum"));
	cr_expect_str_eq(sget(out, "steps.1.rule"), "quorum");
	cr_expect_str_eq(sget(out, "steps.1.quorum"), "2");
	cr_expect_str_eq(sget(out, "steps.1.delivery"), "channel");
	cr_expect_str_eq(sget(out, "steps.1.channel"), "#deals");
	cr_expect_str_eq(sget(out, "steps.1.connection"), "eu");
	cr_expect_str_eq(sget(out, "steps.1.approvers.2.kind"), "group");
	json_object_put(out);
}

/* ------------------------------------------------------------ bad */

struct bad_case {
	const char	*json;
	const char	*field;
	const char	*message;	/* a substring of the message */
};

#define TOO(n) "must be a string of at most " #n " characters"
#define PARTY "must be a Slack user id (U…/W…), an email address"

static const struct bad_case bad_cases[] = {
	/* body */
	{ "[]", "body", "must be a JSON object" },
	{ "\"x\"", "body", "must be a JSON object" },
	/* unknown keys */
	{ "{" B "," A ",\"approver\":\"U1\"}", "approver", "unknown field" },
	{ "{" B "," A ",\"Title\":\"x\"}", "Title", "unknown field" },
	{ "{" B "," A ",\"\":1}", "\"\"", "unknown field" },
	/* required */
	{ "{\"justification_text\":\"j\"," A "}", "requester_name", "required" },
	{ "{\"requester_name\":null,\"justification_text\":\"j\"," A "}", "requester_name",
	    "required" },
	{ "{\"requester_name\":\"Jo\"," A "}", "justification_text", "required" },
	{ "{" B "}", "approver_id", "required" },
	/* types */
	{ "{\"requester_name\":5,\"justification_text\":\"j\"," A "}", "requester_name", TOO(200) },
	{ "{\"requester_name\":[\"Jo\"],\"justification_text\":\"j\"," A "}", "requester_name",
	    TOO(200) },
	{ "{\"requester_name\":\"Jo\",\"justification_text\":1," A "}", "justification_text",
	    TOO(10000) },
	{ "{" B "," A ",\"request_source\":true}", "request_source", TOO(100) },
	{ "{" B "," A ",\"external_id\":42}", "external_id", TOO(200) },
	{ "{" B "," A ",\"title\":{}}", "title", TOO(300) },
	{ "{" B "," A ",\"connection\":1}", "connection", TOO(100) },
	/* empty and control characters */
	{ "{\"requester_name\":\"\",\"justification_text\":\"j\"," A "}", "requester_name",
	    "must not be empty" },
	{ "{\"requester_name\":\"  \",\"justification_text\":\"j\"," A "}", "requester_name",
	    "must not be empty" },
	{ "{" B "," A ",\"title\":\"\"}", "title", "must not be empty" },
	{ "{" B "," A ",\"request_source\":\"\"}", "request_source", "must not be empty" },
	{ "{\"requester_name\":\"J\\u0001o\",\"justification_text\":\"j\"," A "}",
	    "requester_name", "control characters" },
	{ "{\"requester_name\":\"J\\u0000o\",\"justification_text\":\"j\"," A "}",
	    "requester_name", "control characters" },
	{ "{\"requester_name\":\"J\\to\",\"justification_text\":\"j\"," A "}", "requester_name",
	    "control characters" },
	{ "{\"requester_name\":\"J\\no\",\"justification_text\":\"j\"," A "}", "requester_name",
	    "control characters" },
	{ "{\"requester_name\":\"J\\u007fo\",\"justification_text\":\"j\"," A "}",
	    "requester_name", "control characters" },
	{ "{\"requester_name\":\"J\\u0085o\",\"justification_text\":\"j\"," A "}",
	    "requester_name", "control characters" },
	{ "{\"requester_name\":\"Jo\",\"justification_text\":\"a\\u0007\"," A "}",
	    "justification_text", "control characters" },
	{ "{\"requester_name\":\"Jo\",\"justification_text\":\"a\\rb\"," A "}",
	    "justification_text", "control characters" },
	{ "{\"requester_name\":\"Jo\",\"justification_text\":\"a\\u0000\"," A "}",
	    "justification_text", "control characters" },
	/* approver forms */
	{ "{" B ",\"approver_id\":\"U1\",\"approvers\":[\"U2B\"]}", "approvers",
	    "cannot be combined with approver_id" },
	{ "{" B "," A ",\"steps\":[{\"approvers\":[\"U2B\"]}]}", "steps", "cannot be combined" },
	{ "{" B ",\"approvers\":[\"U1A\"],\"steps\":[{\"approvers\":[\"U2B\"]}]}", "steps",
	    "cannot be combined" },
	{ "{" B ",\"rule\":\"all\",\"steps\":[{\"approvers\":[\"U2B\"]}]}", "rule",
	    "in each step" },
	{ "{" B ",\"quorum\":1,\"steps\":[{\"approvers\":[\"U2B\"]}]}", "quorum",
	    "in each step" },
	{ "{" B ",\"approver_id\":123}", "approver_id", PARTY },
	{ "{" B ",\"approver_id\":\"bob\"}", "approver_id", PARTY },
	{ "{" B ",\"approver_id\":\"u123\"}", "approver_id", PARTY },
	{ "{" B ",\"approver_id\":\"U1\"}", "approver_id", PARTY },
	{ "{" B ",\"approver_id\":\"U12-3\"}", "approver_id", PARTY },
	{ "{" B ",\"approver_id\":\"C123\"}", "approver_id", PARTY },
	{ "{" B ",\"approver_id\":\"\"}", "approver_id", PARTY },
	{ "{" B ",\"approvers\":[\"U1A\",\"a b@x.com\"]}", "approvers[1]", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@b\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@b.c\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"@b.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a..b@x.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\".a@x.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a.@x.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@x..com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@-x.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@x.c0\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@@x.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"a@x_y.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"\\u00e9@x.com\"}", "approver_id", "not a valid email" },
	{ "{" B ",\"approver_id\":\"group:\"}", "approver_id", "must be group:NAME" },
	{ "{" B ",\"approver_id\":\"group:Finance\"}", "approver_id", "must be group:NAME" },
	{ "{" B ",\"approver_id\":\"group:a b\"}", "approver_id", "must be group:NAME" },
	{ "{" B ",\"approver_id\":\"group:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	    "approver_id", "must be group:NAME" },
	{ "{" B ",\"approvers\":[{\"slack\":\"U1A\",\"email\":\"a@b.co\"}]}", "approvers[0]",
	    "exactly one of slack, email, group" },
	{ "{" B ",\"approvers\":[{}]}", "approvers[0]", "exactly one of slack, email, group" },
	{ "{" B ",\"approvers\":[{\"user\":\"U1A\"}]}", "approvers[0].user", "unknown field" },
	{ "{" B ",\"approvers\":[{\"slack\":5}]}", "approvers[0].slack", TOO(32) },
	{ "{" B ",\"approvers\":[{\"slack\":\"a@b.co\"}]}", "approvers[0].slack",
	    "must be a Slack user id" },
	{ "{" B ",\"approvers\":[{\"email\":\"U123\"}]}", "approvers[0].email",
	    "not a valid email" },
	{ "{" B ",\"approvers\":[{\"group\":\"A\"}]}", "approvers[0].group", "group:NAME" },
	{ "{" B ",\"approvers\":[]}", "approvers", "non-empty array" },
	{ "{" B ",\"approvers\":\"U1A\"}", "approvers", "non-empty array" },
	{ "{" B ",\"approvers\":[5]}", "approvers[0]", PARTY },
	{ "{" B ",\"approvers\":[null]}", "approvers[0]", PARTY },
	/* duplicates within a step */
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\",\"U1A\"]}", "approvers[2]",
	    "duplicates approvers[0]" },
	{ "{" B ",\"approvers\":[\"a@b.co\",\"A@B.CO\"]}", "approvers[1]", "duplicates" },
	{ "{" B ",\"approvers\":[\"group:g\",{\"group\":\"g\"}]}", "approvers[1]", "duplicates" },
	{ "{" B ",\"approvers\":[\"U1A\",{\"slack\":\"U1A\"}]}", "approvers[1]", "duplicates" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"]},{\"approvers\":[\"U2B\",\"U2B\"]}]}",
	    "steps[1].approvers[1]", "duplicates" },
	/* rule and quorum */
	{ "{" B "," A ",\"rule\":\"most\"}", "rule", "must be one of any, all, quorum" },
	{ "{" B "," A ",\"rule\":\"ANY\"}", "rule", "must be one of any, all, quorum" },
	{ "{" B "," A ",\"rule\":1}", "rule", "must be one of any, all, quorum" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\"}", "quorum",
	    "required when rule is quorum" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\",\"quorum\":0}", "quorum",
	    "must be an integer from 1 to 2" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\",\"quorum\":3}", "quorum",
	    "must be an integer from 1 to 2" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\",\"quorum\":-1}", "quorum",
	    "must be an integer from 1 to 2" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\",\"quorum\":\"2\"}",
	    "quorum", "must be an integer from 1 to 2" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\",\"quorum\":1.5}", "quorum",
	    "must be an integer from 1 to 2" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"all\",\"quorum\":1}", "quorum",
	    "only allowed when rule is quorum" },
	{ "{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"quorum\":1}", "quorum",
	    "only allowed when rule is quorum" },
	{ "{" B ",\"approver_id\":\"U1A\",\"rule\":\"quorum\",\"quorum\":2}", "quorum",
	    "from 1 to 1" },
	/* steps */
	{ "{" B ",\"steps\":{}}", "steps", "array of 1 to 20 steps" },
	{ "{" B ",\"steps\":[]}", "steps", "array of 1 to 20 steps" },
	{ "{" B ",\"steps\":[5]}", "steps[0]", "must be an object" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"]},{\"rule\":\"all\"}]}",
	    "steps[1].approvers", "required" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"],\"name\":\"x\"}]}", "steps[0].name",
	    "unknown field" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"]},{\"approvers\":[\"U2B\"],\"rule\":\"x\"}]}",
	    "steps[1].rule", "must be one of any, all, quorum" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"],\"rule\":\"quorum\"}]}", "steps[0].quorum",
	    "required when rule is quorum" },
	{ "{" B ",\"steps\":[{\"approvers\":[]}]}", "steps[0].approvers", "non-empty array" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\",\"x\"]}]}", "steps[0].approvers[1]", PARTY },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"],\"delivery\":\"sms\"}]}",
	    "steps[0].delivery", "must be one of dm, group_dm, channel, both" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"],\"channel\":\"general\"}]}",
	    "steps[0].channel", "channel id" },
	{ "{" B ",\"steps\":[{\"approvers\":[\"U1A\"],\"connection\":\"\"}]}",
	    "steps[0].connection", "must not be empty" },
	/* watchers */
	{ "{" B "," A ",\"watchers\":\"U1A\"}", "watchers", "array of at most 50" },
	{ "{" B "," A ",\"watchers\":[\"U1A\",\"nobody\"]}", "watchers[1]", PARTY },
	{ "{" B "," A ",\"watchers\":[\"U1A\",\"U1A\"]}", "watchers[1]", "duplicates watchers[0]" },
	/* delivery, channel, callback_url */
	{ "{" B "," A ",\"delivery\":\"email\"}", "delivery",
	    "must be one of dm, group_dm, channel, both" },
	{ "{" B "," A ",\"delivery\":\"DM\"}", "delivery", "must be one of" },
	{ "{" B "," A ",\"channel\":\"general\"}", "channel", "channel id" },
	{ "{" B "," A ",\"channel\":\"#General\"}", "channel", "channel id" },
	{ "{" B "," A ",\"channel\":\"#\"}", "channel", "channel id" },
	{ "{" B "," A ",\"channel\":\"#a b\"}", "channel", "channel id" },
	{ "{" B "," A ",\"channel\":\"C1\"}", "channel", "channel id" },
	{ "{" B "," A ",\"channel\":\"c123\"}", "channel", "channel id" },
	{ "{" B "," A ",\"callback_url\":\"ftp://x.com/\"}", "callback_url", "http:// or https://" },
	{ "{" B "," A ",\"callback_url\":\"https://\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"https:///path\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"https://u:p@host/\"}", "callback_url", "user info" },
	{ "{" B "," A ",\"callback_url\":\"https://u@host/\"}", "callback_url", "user info" },
	{ "{" B "," A ",\"callback_url\":\"https://ho st/\"}", "callback_url", "spaces" },
	{ "{" B "," A ",\"callback_url\":\"https://host/a b\"}", "callback_url", "spaces" },
	{ "{" B "," A ",\"callback_url\":\"https://host:0/\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"https://host:99999/\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"https://host:/\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"https://host:8x/\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"javascript:alert(1)\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"https://h\\u00e9.com/\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":\"//host/x\"}", "callback_url", "http" },
	{ "{" B "," A ",\"callback_url\":5}", "callback_url", TOO(2000) },
	/* requester contact */
	{ "{" B "," A ",\"requester_email\":\"jo\"}", "requester_email", "not a valid email" },
	{ "{" B "," A ",\"requester_email\":\"jo @x.com\"}", "requester_email",
	    "not a valid email" },
	{ "{" B "," A ",\"requester_slack_id\":\"jo\"}", "requester_slack_id",
	    "must be a Slack user id" },
	{ "{" B "," A ",\"requester_slack_id\":\"U1\"}", "requester_slack_id",
	    "must be a Slack user id" },
	/* deadline and durations (details in their own tests) */
	{ "{" B "," A ",\"deadline\":\"tomorrow\"}", "deadline", "must be an ISO-8601 date-time" },
	{ "{" B "," A ",\"deadline\":1893456000}", "deadline", "must be an ISO-8601 date-time" },
	{ "{" B "," A ",\"deadline\":\"2024-06-01T00:00:00Z\"}", "deadline",
	    "must be in the future" },
	{ "{" B "," A ",\"reminder_every\":59}", "reminder_every", "at least 60 seconds" },
	{ "{" B "," A ",\"reminder_every\":\"30s\"}", "reminder_every", "at least 60 seconds" },
	{ "{" B "," A ",\"reminder_every\":\"366d\"}", "reminder_every", "at most 365 days" },
	{ "{" B "," A ",\"reminder_every\":\"soon\"}", "reminder_every", "must be a duration" },
	{ "{" B "," A ",\"reminder_every\":1.5}", "reminder_every", "must be a duration" },
	{ "{" B "," A ",\"valid_for\":0}", "valid_for", "must be a duration" },
	{ "{" B "," A ",\"valid_for\":\"P1Y\"}", "valid_for", "must be a duration" },
	{ "{" B "," A ",\"valid_for\":31536001}", "valid_for", "at most 365 days" },
	/* metadata */
	{ "{" B "," A ",\"metadata\":[]}", "metadata", "must be an object" },
	{ "{" B "," A ",\"metadata\":\"x\"}", "metadata", "must be an object" },
	{ "{" B "," A ",\"metadata\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{}}}}}}}", "metadata",
	    "deeper than 5" },
	{ "{" B "," A ",\"metadata\":{\"a\":[[[[[]]]]]}}", "metadata", "deeper than 5" },
	{ "{" B "," A ",\"metadata\":{\"note\":\"a\\u0000b\"}}", "metadata.note",
	    "control characters" },
	{ "{" B "," A ",\"metadata\":{\"a\":{\"b\":\"\\u0001\"}}}", "metadata.a.b",
	    "control characters" },
	{ "{" B "," A ",\"metadata\":{\"a\":[1,\"\\u0002\"]}}", "metadata.a[1]",
	    "control characters" },
	{ "{" B "," A ",\"metadata\":{\"\":1}}", "metadata.\"\"", "must not be empty" },
	{ "{" B "," A ",\"metadata\":{\"a\\u0001\":1}}", "metadata.a\001", "control characters" },
	/* the Idempotency-Key header is checked in its own test */
};

Test(intake, bad_cases)
{
	struct hub_intake_error err;
	json_object *in, *out;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(bad_cases); i++) {
		in = parse(bad_cases[i].json);
		out = NULL;
		memset(&err, 0, sizeof(err));
		rc = run_obj(in, NULL, &out, &err);
		cr_expect_eq(rc, HUB_INTAKE_INVALID, "accepted: %s", bad_cases[i].json);
		cr_expect_str_eq(err.field, bad_cases[i].field, "%s\n  message: %s",
		    bad_cases[i].json, err.message);
		cr_expect(strstr(err.message, bad_cases[i].message) != NULL,
		    "%s\n  message \"%s\" lacks \"%s\"", bad_cases[i].json, err.message,
		    bad_cases[i].message);
		json_object_put(out);
		json_object_put(in);
	}
}

Test(intake, invalid_utf8_built_by_hand)
{
	static const char *const bad[] = {
		"\xff", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xc3", "\xe2\x82", "a\x80",
	};
	struct hub_intake_error err;
	json_object *in, *out = NULL;
	size_t i;

	for (i = 0; i < HUB_NELEM(bad); i++) {
		in = parse("{" B "," A "}");
		json_object_object_add(in, "title", json_object_new_string(bad[i]));
		cr_expect_eq(run_obj(in, NULL, &out, &err), HUB_INTAKE_INVALID, "case %zu", i);
		cr_expect_str_eq(err.field, "title");
		cr_expect_str_eq(err.message, "must be valid UTF-8");
		json_object_put(in);
		cr_expect_eq(hub_utf8_count(bad[i], strlen(bad[i])), -1, "case %zu", i);
	}
	cr_expect_eq(hub_utf8_count("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 4);
}

Test(intake, idempotency_key_checked)
{
	static const char *const bad[] = { "", "a b", "tab\there", "\xc3\xa9" };
	struct hub_intake_error err;
	json_object *in = parse("{" B "," A "}"), *out = NULL;
	char long_key[202];
	size_t i;

	for (i = 0; i < HUB_NELEM(bad); i++) {
		cr_expect_eq(run_obj(in, bad[i], &out, &err), HUB_INTAKE_INVALID, "%zu", i);
		cr_expect_str_eq(err.field, "Idempotency-Key");
	}
	memset(long_key, 'k', 200);
	long_key[200] = '\0';
	cr_expect_eq(run_obj(in, long_key, &out, &err), HUB_INTAKE_OK);
	json_object_put(out);
	out = NULL;
	long_key[200] = 'k';
	long_key[201] = '\0';
	cr_expect_eq(run_obj(in, long_key, &out, &err), HUB_INTAKE_INVALID);
	cr_expect_str_eq(err.field, "Idempotency-Key");
	json_object_put(in);
}

Test(intake, long_unknown_key_is_cut_on_a_character)
{
	struct hub_intake_error err;
	json_object *in = parse("{" B "," A "}"), *out = NULL;
	char key[200];
	size_t i;

	for (i = 0; i + 2 < sizeof(key); i += 2)
		memcpy(key + i, "\xc3\xa9", 2);
	key[i] = '\0';
	json_object_object_add(in, key, json_object_new_int(1));
	cr_assert_eq(run_obj(in, NULL, &out, &err), HUB_INTAKE_INVALID);
	cr_expect_str_eq(err.message, "unknown field");
	cr_expect_eq(strlen(err.field), 62);	/* 31 é: 63 would split one */
	cr_expect_geq(hub_utf8_count(err.field, strlen(err.field)), 0);
	json_object_put(in);
}

/* ------------------------------------------------------------ lengths */

static char *
rep(const char *unit, size_t n)
{
	size_t u = strlen(unit), i;
	char *s = malloc(u * n + 1);

	cr_assert_not_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

struct len_case {
	const char	*key;
	const char	*prefix;	/* before the repeated unit */
	const char	*unit;
	const char	*suffix;
	size_t		 max;		/* units that make exactly the maximum */
	const char	*field;		/* where the error is reported */
};

static const struct len_case len_cases[] = {
	{ "requester_name", "", "a", "", 200, "requester_name" },
	{ "requester_name", "", "\xc3\xa9", "", 200, "requester_name" },	/* é */
	{ "requester_name", "", "\xf0\x9f\x98\x80", "", 200, "requester_name" },	/* 😀 */
	{ "title", "", "\xe2\x82\xac", "", 300, "title" },	/* € */
	{ "justification_text", "", "\xe2\x82\xac", "", 10000, "justification_text" },
	{ "justification_text", "", "a", "", 10000, "justification_text" },
	{ "external_id", "", "\xc3\xa9", "", 200, "external_id" },
	{ "request_source", "", "s", "", 100, "request_source" },
	{ "connection", "", "\xc3\xa9", "", 100, "connection" },
	{ "channel", "#", "a", "", 79, "channel" },
	{ "callback_url", "https://example.com/", "a", "", 1980, "callback_url" },
	{ "requester_email", "", "a", "@x.io", 64, NULL },	/* local part ≤ 64 */
};

Test(intake, lengths_at_and_past_the_maximum)
{
	struct hub_intake_error err;
	json_object *in, *out;
	char *unit, *val;
	size_t i, extra;
	int rc;

	for (i = 0; i < HUB_NELEM(len_cases); i++)
		for (extra = 0; extra <= 1; extra++) {
			unit = rep(len_cases[i].unit, len_cases[i].max + extra);
			cr_assert_neq(asprintf(&val, "%s%s%s", len_cases[i].prefix, unit,
			    len_cases[i].suffix), -1);
			in = parse("{" B "," A "}");
			json_object_object_add(in, len_cases[i].key, json_object_new_string(val));
			out = NULL;
			rc = run_obj(in, NULL, &out, &err);
			if (extra == 0) {
				cr_expect_eq(rc, HUB_INTAKE_OK, "%s at max: %s", len_cases[i].key,
				    err.message);
			} else {
				cr_expect_eq(rc, HUB_INTAKE_INVALID, "%s past max",
				    len_cases[i].key);
				cr_expect_str_eq(err.field, len_cases[i].key);
			}
			json_object_put(out);
			json_object_put(in);
			free(unit);
			free(val);
		}
}

Test(intake, email_of_320_characters)
{
	struct hub_intake_error err;
	json_object *in, *out = NULL;
	char *local = rep("a", 64), *l63 = rep("b", 63), *l60 = rep("c", 60), *email;

	/* 64 + 1 + (63+1)*3 + 60 + 1 + 2 = 320 */
	cr_assert_neq(asprintf(&email, "%s@%s.%s.%s.%s.co", local, l63, l63, l63, l60), -1);
	cr_assert_eq(strlen(email), 320);
	in = parse("{" B "," A "}");
	json_object_object_add(in, "requester_email", json_object_new_string(email));
	cr_expect_eq(run_obj(in, NULL, &out, &err), HUB_INTAKE_OK, "%s", err.message);
	json_object_put(out);
	out = NULL;
	free(email);
	cr_assert_neq(asprintf(&email, "%s@%s.%s.%s.%sc.co", local, l63, l63, l63, l60), -1);
	json_object_object_add(in, "requester_email", json_object_new_string(email));
	cr_expect_eq(run_obj(in, NULL, &out, &err), HUB_INTAKE_INVALID);
	cr_expect_str_eq(err.field, "requester_email");
	cr_expect_str_eq(err.message, TOO(320));
	json_object_put(in);
	free(email);
	free(local);
	free(l63);
	free(l60);
}

/* n approvers U<i> spread over `steps` steps (as evenly as possible). */
static json_object *
many(size_t steps, size_t n, const char *where)
{
	json_object *in = parse("{" B "}"), *arr = json_object_new_array(), *list, *st;
	char id[32];
	size_t s, i;

	for (s = 0; s < steps; s++) {
		list = json_object_new_array();
		for (i = s; i < n; i += steps) {
			snprintf(id, sizeof(id), "U%zu", 100 + i);
			json_object_array_add(list, json_object_new_string(id));
		}
		if (strcmp(where, "approvers") == 0 || strcmp(where, "watchers") == 0) {
			json_object_object_add(in, where, list);
			if (strcmp(where, "watchers") == 0)
				json_object_object_add(in, "approver_id", json_object_new_string("U1A"));
			json_object_put(arr);
			return in;
		}
		st = json_object_new_object();
		json_object_object_add(st, "approvers", list);
		json_object_array_add(arr, st);
	}
	json_object_object_add(in, "steps", arr);
	return in;
}

struct count_case {
	size_t		 steps;
	size_t		 n;
	const char	*where;
	int		 rc;
	const char	*field;
};

static const struct count_case count_cases[] = {
	{ 1, 500, "approvers", HUB_INTAKE_OK, NULL },
	{ 1, 501, "approvers", HUB_INTAKE_INVALID, "approvers" },
	{ 20, 500, "steps", HUB_INTAKE_OK, NULL },
	{ 20, 501, "steps", HUB_INTAKE_INVALID, "steps[19].approvers" },
	{ 2, 501, "steps", HUB_INTAKE_INVALID, "steps[1].approvers" },
	{ 20, 20, "steps", HUB_INTAKE_OK, NULL },
	{ 21, 21, "steps", HUB_INTAKE_INVALID, "steps" },
	{ 1, 50, "watchers", HUB_INTAKE_OK, NULL },
	{ 1, 51, "watchers", HUB_INTAKE_INVALID, "watchers" },
};

Test(intake, counts_at_and_past_the_maximum)
{
	struct hub_intake_error err;
	json_object *in, *out;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(count_cases); i++) {
		in = many(count_cases[i].steps, count_cases[i].n, count_cases[i].where);
		out = NULL;
		memset(&err, 0, sizeof(err));
		rc = run_obj(in, NULL, &out, &err);
		cr_expect_eq(rc, count_cases[i].rc, "case %zu: %s %s", i, err.field, err.message);
		if (count_cases[i].field != NULL)
			cr_expect_str_eq(err.field, count_cases[i].field, "case %zu", i);
		json_object_put(out);
		json_object_put(in);
	}
}

Test(intake, quorum_may_equal_the_number_of_approvers)
{
	json_object *out = ok("{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\","
	    "\"quorum\":2}");

	cr_expect_str_eq(sget(out, "steps.0.quorum"), "2");
	json_object_put(out);
	out = ok("{" B ",\"approvers\":[\"U1A\",\"U2B\"],\"rule\":\"quorum\",\"quorum\":1}");
	cr_expect_str_eq(sget(out, "steps.0.quorum"), "1");
	json_object_put(out);
}

static json_object *
meta_with_keys(size_t keys, size_t depth, size_t strlen_)
{
	json_object *in = parse("{" B "," A "}"), *m = json_object_new_object(), *o, *n;
	char k[32];
	size_t i;
	char *s;

	for (i = 0; i < keys; i++) {
		snprintf(k, sizeof(k), "k%zu", i);
		json_object_object_add(m, k, json_object_new_int(1));
	}
	for (o = m, i = 1; i < depth; i++) {
		n = json_object_new_object();
		json_object_object_add(o, "d", n);
		o = n;
	}
	if (strlen_ > 0) {
		s = rep("x", strlen_);
		json_object_object_add(m, "s", json_object_new_string(s));
		free(s);
	}
	json_object_object_add(in, "metadata", m);
	return in;
}

struct meta_case {
	size_t	keys, depth, strlen_;
	int	rc;
};

static const struct meta_case meta_cases[] = {
	{ 100, 1, 0, HUB_INTAKE_OK },
	{ 101, 1, 0, HUB_INTAKE_INVALID },
	{ 0, 5, 0, HUB_INTAKE_OK },
	{ 0, 6, 0, HUB_INTAKE_INVALID },
	{ 0, 1, 32760, HUB_INTAKE_OK },		/* {"s":"…"} is exactly 32768 bytes */
	{ 0, 1, 32761, HUB_INTAKE_INVALID },
};

Test(intake, metadata_limits)
{
	struct hub_intake_error err;
	json_object *in, *out;
	size_t i;

	for (i = 0; i < HUB_NELEM(meta_cases); i++) {
		in = meta_with_keys(meta_cases[i].keys, meta_cases[i].depth, meta_cases[i].strlen_);
		out = NULL;
		cr_expect_eq(run_obj(in, NULL, &out, &err), meta_cases[i].rc, "case %zu: %s", i,
		    err.message);
		if (meta_cases[i].rc != HUB_INTAKE_OK)
			cr_expect_str_eq(err.field, "metadata", "case %zu", i);
		json_object_put(out);
		json_object_put(in);
	}
}

/* ------------------------------------------------------------ durations */

struct dur_case {
	const char	*json;
	long long	 secs;
};

static const struct dur_case dur_cases[] = {
	{ "60", 60 }, { "1", 1 }, { "31536000", 31536000 },
	{ "\"30s\"", 30 }, { "\"90m\"", 5400 }, { "\"4h\"", 14400 }, { "\"2d\"", 172800 },
	{ "\"1w\"", 604800 }, { "\"PT4H\"", 14400 }, { "\"P2D\"", 172800 },
	{ "\"P1DT12H\"", 129600 }, { "\"PT1H30M\"", 5400 }, { "\"PT45S\"", 45 },
	{ "\"P1W\"", 604800 }, { "\"P1DT1H1M1S\"", 90061 }, { "\"999999999s\"", 999999999 },
	/* malformed */
	{ "0", -1 }, { "-5", -1 }, { "1.5", -1 }, { "60.0", -1 }, { "true", -1 },
	{ "null", -1 }, { "[60]", -1 }, { "{}", -1 },
	{ "\"4\"", -1 }, { "\"4x\"", -1 }, { "\"h\"", -1 }, { "\"\"", -1 }, { "\"4H\"", -1 },
	{ "\" 4h\"", -1 }, { "\"4h \"", -1 }, { "\"4h30m\"", -1 }, { "\"0s\"", -1 },
	{ "\"-4h\"", -1 }, { "\"1234567890s\"", -1 },
	{ "\"P\"", -1 }, { "\"PT\"", -1 }, { "\"P1DT\"", -1 }, { "\"P1Y\"", -1 },
	{ "\"P1M\"", -1 }, { "\"PT1H2H\"", -1 }, { "\"PT1M1H\"", -1 }, { "\"P1H\"", -1 },
	{ "\"PT1D\"", -1 }, { "\"P1W1D\"", -1 }, { "\"PT1.5H\"", -1 }, { "\"pt4h\"", -1 },
	{ "\"P0D\"", -1 }, { "\"PTT1H\"", -1 }, { "\"P1DTT1H\"", -1 },
	{ "18446744073709551615", -1 },
};

Test(intake, durations)
{
	json_object *v;
	size_t i;

	for (i = 0; i < HUB_NELEM(dur_cases); i++) {
		v = parse(dur_cases[i].json);
		cr_expect_eq(hub_intake_duration(v), dur_cases[i].secs, "%s -> %lld",
		    dur_cases[i].json, hub_intake_duration(v));
		json_object_put(v);
	}
	cr_expect_eq(hub_intake_duration(NULL), -1);
	v = json_object_new_string_len("4h\0", 3);
	cr_expect_eq(hub_intake_duration(v), -1);
	json_object_put(v);
}

/* ------------------------------------------------------------ deadline */

struct deadline_case {
	const char	*in;
	const char	*out;	/* NULL: rejected */
	const char	*message;
};

#define NOTDT "must be an ISO-8601 date-time"
#define PAST "must be in the future"

static const struct deadline_case deadline_cases[] = {
	{ "2030-01-31T17:00:00Z", "2030-01-31T17:00:00Z", NULL },
	{ "2030-01-31T17:00:00+01:00", "2030-01-31T16:00:00Z", NULL },
	{ "2030-01-31T23:30:00-01:00", "2030-02-01T00:30:00Z", NULL },
	{ "2030-12-31T23:30:00-05:30", "2031-01-01T05:00:00Z", NULL },
	{ "2030-01-31T17:00Z", "2030-01-31T17:00:00Z", NULL },
	{ "2030-01-31T17:00:05.123456Z", "2030-01-31T17:00:05Z", NULL },
	{ "2030-01-31T17:00:05.123456789+00:00", "2030-01-31T17:00:05Z", NULL },
	{ "2030-01-31", "2030-01-31T23:59:59Z", NULL },
	{ "2028-02-29T00:00:00Z", "2028-02-29T00:00:00Z", NULL },
	{ "2400-02-29", "2400-02-29T23:59:59Z", NULL },
	{ "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", NULL },
	{ "2025-01-01T00:00:01Z", "2025-01-01T00:00:01Z", NULL },
	{ "2025-01-01", "2025-01-01T23:59:59Z", NULL },
	/* not in the future (now is 2025-01-01T00:00:00Z) */
	{ "2025-01-01T00:00:00Z", NULL, PAST },
	{ "2024-12-31T23:59:59Z", NULL, PAST },
	{ "2024-12-31", NULL, PAST },
	{ "2025-01-01T00:30:00+01:00", NULL, PAST },
	{ "1970-01-01T00:00:00Z", NULL, PAST },
	/* malformed */
	{ "2029-02-29T00:00:00Z", NULL, NOTDT },
	{ "2100-02-29", NULL, NOTDT },
	{ "2030-01-31T17:00:00", NULL, NOTDT },
	{ "2030-01-31 17:00:00Z", NULL, NOTDT },
	{ "2030-01-31t17:00:00z", NULL, NOTDT },
	{ "2030-1-31T17:00:00Z", NULL, NOTDT },
	{ "2030-01-31T24:00:00Z", NULL, NOTDT },
	{ "2030-01-31T17:60:00Z", NULL, NOTDT },
	{ "2030-01-31T17:00:60Z", NULL, NOTDT },
	{ "2030-01-31T17:00:00+0100", NULL, NOTDT },
	{ "2030-01-31T17:00:00+01", NULL, NOTDT },
	{ "2030-01-31T17:00:00+24:00", NULL, NOTDT },
	{ "2030-01-31T17:00:00+01:60", NULL, NOTDT },
	{ "2030-13-01T00:00:00Z", NULL, NOTDT },
	{ "2030-00-01", NULL, NOTDT },
	{ "2030-04-31", NULL, NOTDT },
	{ "2030-01-32", NULL, NOTDT },
	{ "2030-01-31T17:00:00.Z", NULL, NOTDT },
	{ "2030-01-31T17:00:00.1234567890Z", NULL, NOTDT },
	{ "2030-01-31T17:00:00Zx", NULL, NOTDT },
	{ "2030-01-31T17Z", NULL, NOTDT },
	{ "2030-01-31T", NULL, NOTDT },
	{ "20300131T170000Z", NULL, NOTDT },
	{ "+2030-01-31", NULL, NOTDT },
	{ "9999-12-31T23:59:59-00:01", NULL, NOTDT },	/* past year 9999 in UTC */
	{ "", NULL, NOTDT },
};

Test(intake, deadlines)
{
	struct hub_intake_error err;
	json_object *in, *out;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(deadline_cases); i++) {
		in = parse("{" B "," A "}");
		json_object_object_add(in, "deadline", json_object_new_string(deadline_cases[i].in));
		out = NULL;
		rc = run_obj(in, NULL, &out, &err);
		if (deadline_cases[i].out != NULL) {
			cr_expect_eq(rc, HUB_INTAKE_OK, "%s: %s", deadline_cases[i].in, err.message);
			if (rc == HUB_INTAKE_OK)
				cr_expect_str_eq(sget(out, "deadline"), deadline_cases[i].out,
				    "%s", deadline_cases[i].in);
		} else {
			cr_expect_eq(rc, HUB_INTAKE_INVALID, "accepted %s", deadline_cases[i].in);
			cr_expect_str_eq(err.field, "deadline");
			cr_expect(strstr(err.message, deadline_cases[i].message) != NULL,
			    "%s: %s", deadline_cases[i].in, err.message);
		}
		json_object_put(out);
		json_object_put(in);
	}
}

Test(intake, deadline_uses_the_clock_when_not_pinned)
{
	struct hub_intake_error err;
	json_object *in = parse("{" B "," A ",\"deadline\":\"2025-06-01T00:00:00Z\"}"), *out = NULL;

	intake_now = 0;	/* real time: 2025-06-01 has passed on any machine running this */
	cr_expect_eq(run_obj(in, NULL, &out, &err), time(NULL) < 1748736000 ?
	    HUB_INTAKE_OK : HUB_INTAKE_INVALID);
	json_object_put(out);
	json_object_put(in);
}

/* ------------------------------------------------------------ presets */

struct preset_case {
	const char	*source;
	const char	*metadata;
	const char	*field;		/* NULL: accepted */
	const char	*message;
};

#define NUM "must be a number"
#define DATE "must be a date YYYY-MM-DD"
#define CUR "must be an ISO 4217 currency code"
#define RANGE "must be \"YYYY-MM-DD to YYYY-MM-DD\""

static const struct preset_case preset_cases[] = {
	/* Workday */
	{ "Workday", "{\"date_range\":\"2024-02-15 to 2024-02-22\",\"days_requested\":5,"
	    "\"remaining_pto\":-2.5,\"leave_type\":\"vacation\"}", NULL, NULL },
	{ "workday", "{\"date_range\":{\"start\":\"2024-02-15\",\"end\":\"2024-02-15\"},"
	    "\"days_requested\":0}", NULL, NULL },
	{ "WORKDAY", "{\"date_range\":\"2024-02-15\"}", "metadata.date_range", RANGE },
	{ "Workday", "{\"date_range\":\"2024-02-22 to 2024-02-15\"}", "metadata.date_range",
	    "must not end before it starts" },
	{ "Workday", "{\"date_range\":\"2024-02-30 to 2024-03-01\"}", "metadata.date_range",
	    RANGE },
	{ "Workday", "{\"date_range\":\"2024-02-15 - 2024-02-22\"}", "metadata.date_range",
	    RANGE },
	{ "Workday", "{\"date_range\":5}", "metadata.date_range", RANGE },
	{ "Workday", "{\"date_range\":{\"start\":\"2024-02-15\"}}", "metadata.date_range.end",
	    "required" },
	{ "Workday", "{\"date_range\":{\"start\":\"15/02/2024\",\"end\":\"2024-02-22\"}}",
	    "metadata.date_range.start", DATE },
	{ "Workday", "{\"date_range\":{\"start\":\"2024-02-22\",\"end\":\"2024-02-15\"}}",
	    "metadata.date_range", "must not end before it starts" },
	{ "Workday", "{\"date_range\":{\"start\":\"2024-02-15\",\"end\":\"2024-02-16\","
	    "\"tz\":\"UTC\"}}", "metadata.date_range.tz", "unknown field" },
	{ "Workday", "{\"days_requested\":\"5\"}", "metadata.days_requested", NUM },
	{ "Workday", "{\"days_requested\":-1}", "metadata.days_requested", "at least 0" },
	{ "Workday", "{\"remaining_pto\":\"ten\"}", "metadata.remaining_pto", NUM },
	{ "Workday", "{\"remaining_pto\":true}", "metadata.remaining_pto", NUM },
	/* Concur */
	{ "Concur", "{\"amount\":1234.5,\"currency\":\"EUR\",\"category\":\"Travel\","
	    "\"trip_dates\":\"2024-03-01 to 2024-03-04\",\"date\":\"2024-03-05\","
	    "\"receipt_url\":\"https://r.example.com/1\"}", NULL, NULL },
	{ "concur", "{\"amount\":0,\"trip_dates\":\"2024-03-01\"}", NULL, NULL },
	{ "concur", "{\"trip_dates\":{\"start\":\"2024-03-01\",\"end\":\"2024-03-04\"}}", NULL, NULL },
	{ "Concur", "{\"amount\":\"500.00\"}", "metadata.amount", NUM },
	{ "Concur", "{\"amount\":null,\"currency\":null}", NULL, NULL },
	{ "Concur", "{\"amount\":[500]}", "metadata.amount", NUM },
	{ "Concur", "{\"amount\":1e400}", "metadata.amount", "finite" },
	{ "Concur", "{\"currency\":\"usd\"}", "metadata.currency", CUR },
	{ "Concur", "{\"currency\":\"US\"}", "metadata.currency", CUR },
	{ "Concur", "{\"currency\":\"EURO\"}", "metadata.currency", CUR },
	{ "Concur", "{\"currency\":840}", "metadata.currency", CUR },
	{ "Concur", "{\"category\":5}", "metadata.category", TOO(200) },
	{ "Concur", "{\"trip_dates\":\"2024-13-01\"}", "metadata.trip_dates",
	    "must be a date YYYY-MM-DD, \"YYYY-MM-DD to" },
	{ "Concur", "{\"date\":\"2024-03-05T10:00:00Z\"}", "metadata.date", DATE },
	{ "Concur", "{\"date\":20240305}", "metadata.date", DATE },
	{ "Concur", "{\"receipt_url\":\"ftp://r.example.com/1\"}", "metadata.receipt_url",
	    "http:// or https://" },
	{ "Concur", "{\"receipt_url\":\"https://u:p@r.example.com/1\"}", "metadata.receipt_url",
	    "http:// or https://" },
	/* Salesforce */
	{ "Salesforce", "{\"customer_name\":\"Acme\",\"deal_value\":250000,\"currency\":\"USD\","
	    "\"close_date\":\"2030-06-30\",\"stage\":\"Negotiation\",\"discount_percent\":100}",
	    NULL, NULL },
	{ "salesforce", "{\"discount_percent\":0}", NULL, NULL },
	{ "Salesforce", "{\"deal_value\":\"1M\"}", "metadata.deal_value", NUM },
	{ "Salesforce", "{\"discount_percent\":100.01}", "metadata.discount_percent",
	    "from 0 to 100" },
	{ "Salesforce", "{\"discount_percent\":-1}", "metadata.discount_percent", "from 0 to 100" },
	{ "Salesforce", "{\"discount_percent\":\"10\"}", "metadata.discount_percent", NUM },
	{ "Salesforce", "{\"close_date\":\"30/06/2030\"}", "metadata.close_date", DATE },
	{ "Salesforce", "{\"currency\":\"dollars\"}", "metadata.currency", CUR },
	{ "Salesforce", "{\"stage\":5}", "metadata.stage", TOO(100) },
	{ "Salesforce", "{\"customer_name\":\"\\u0001\"}", "metadata.customer_name",
	    "control characters" },
	/* Jira */
	{ "Jira", "{\"issue_key\":\"REL-42\",\"summary\":\"Release 4.2\","
	    "\"url\":\"https://jira.example.com/browse/REL-42\"}", NULL, NULL },
	{ "jira", "{\"issue_key\":\"A1-1\"}", NULL, NULL },
	{ "Jira", "{\"issue_key\":\"rel-42\"}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"issue_key\":\"REL42\"}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"issue_key\":\"R-1\"}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"issue_key\":\"REL-\"}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"issue_key\":\"REL-4a\"}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"issue_key\":\"1EL-4\"}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"issue_key\":42}", "metadata.issue_key", "Jira issue key" },
	{ "Jira", "{\"url\":\"jira.example.com/x\"}", "metadata.url", "http:// or https://" },
	{ "Jira", "{\"summary\":[]}", "metadata.summary", TOO(300) },
	/* no preset: any metadata within the limits */
	{ "Workday Inc", "{\"amount\":\"whatever\",\"date_range\":5}", NULL, NULL },
	{ "github", "{\"amount\":\"12\",\"issue_key\":\"nope\"}", NULL, NULL },
	{ NULL, "{\"amount\":\"12\"}", NULL, NULL },
};

Test(intake, preset_fields_checked)
{
	struct hub_intake_error err;
	json_object *in, *out;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(preset_cases); i++) {
		in = parse("{" B "," A "}");
		if (preset_cases[i].source != NULL)
			json_object_object_add(in, "request_source",
			    json_object_new_string(preset_cases[i].source));
		json_object_object_add(in, "metadata", parse(preset_cases[i].metadata));
		out = NULL;
		memset(&err, 0, sizeof(err));
		rc = run_obj(in, NULL, &out, &err);
		if (preset_cases[i].field == NULL) {
			cr_expect_eq(rc, HUB_INTAKE_OK, "%s %s: %s: %s", preset_cases[i].source,
			    preset_cases[i].metadata, err.field, err.message);
		} else {
			cr_expect_eq(rc, HUB_INTAKE_INVALID, "accepted %s %s",
			    preset_cases[i].source, preset_cases[i].metadata);
			cr_expect_str_eq(err.field, preset_cases[i].field, "%s: %s",
			    preset_cases[i].metadata, err.message);
			cr_expect(strstr(err.message, preset_cases[i].message) != NULL,
			    "%s: %s", preset_cases[i].metadata, err.message);
		}
		json_object_put(out);
		json_object_put(in);
	}
}

struct detect_case {
	const char	*source;
	const char	*preset;	/* NULL: none */
	const char	*title;
};

static const struct detect_case detect_cases[] = {
	{ "Workday", "workday_pto", "Time off request from Jo" },
	{ "wOrKdAy", "workday_pto", "Time off request from Jo" },
	{ "Concur", "concur_expense", "Expense report from Jo" },
	{ "SALESFORCE", "salesforce_deal", "Deal approval from Jo" },
	{ "jira", "jira_issue", "Jira issue from Jo" },
	{ "Workday ", NULL, "Approval request from Jo" },
	{ "workdays", NULL, "Approval request from Jo" },
	{ "GitHub", NULL, "Approval request from Jo" },
};

Test(intake, preset_detection_by_request_source)
{
	struct hub_intake_error err;
	json_object *in, *out;
	size_t i;

	for (i = 0; i < HUB_NELEM(detect_cases); i++) {
		in = parse("{" B "," A ",\"metadata\":{\"type\":\"concur\"}}");
		json_object_object_add(in, "request_source",
		    json_object_new_string(detect_cases[i].source));
		out = NULL;
		cr_assert_eq(run_obj(in, NULL, &out, &err), HUB_INTAKE_OK);
		if (detect_cases[i].preset == NULL) {
			cr_expect_null(sget(out, "preset"), "%s", detect_cases[i].source);
			cr_expect_null(hub_intake_preset_of(NULL, detect_cases[i].source));
		} else {
			cr_expect_str_eq(sget(out, "preset"), detect_cases[i].preset);
			cr_expect_str_eq(hub_intake_preset_of(NULL, detect_cases[i].source),
			    detect_cases[i].preset);
		}
		cr_expect_str_eq(sget(out, "title"), detect_cases[i].title);
		/* request_source is carried exactly as given */
		cr_expect_str_eq(sget(out, "request_source"), detect_cases[i].source);
		json_object_put(out);
		json_object_put(in);
	}
	cr_expect_null(hub_intake_preset_of(NULL, NULL));
}

/* A stored request: the preset stored with it wins over its source's name
 * (the web form's "web"); none or an unknown one falls back to the name. */
Test(intake, preset_of_a_stored_request)
{
	static const struct { const char *stored, *source, *want; } cases[] = {
		{ "concur_expense", "web", "concur_expense" },
		{ "jira_issue", "Concur", "jira_issue" },
		{ "", "Concur", "concur_expense" },
		{ NULL, "workday", "workday_pto" },
		{ "no_such_preset", "Salesforce", "salesforce_deal" },
		{ "", "web", NULL },
		{ NULL, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		if (cases[i].want == NULL)
			cr_expect_null(hub_intake_preset_of(cases[i].stored, cases[i].source),
			    "case %zu", i);
		else
			cr_expect_str_eq(hub_intake_preset_of(cases[i].stored, cases[i].source),
			    cases[i].want, "case %zu", i);
	}
}

/* ------------------------------------------------------------ display */

struct number_case {
	double		 v;
	int		 money;
	const char	*out;
};

static const struct number_case number_cases[] = {
	{ 0, 1, "0.00" }, { 1234.5, 1, "1,234.50" }, { 1234567.891, 1, "1,234,567.89" },
	{ -1234.5, 1, "-1,234.50" }, { 999.999, 1, "1,000.00" }, { 100, 1, "100.00" },
	{ 1000000, 1, "1,000,000.00" }, { 999, 1, "999.00" }, { -0.001, 1, "0.00" },
	{ 5, 0, "5" }, { 2.5, 0, "2.5" }, { 12.25, 0, "12.25" }, { 12.5, 0, "12.5" },
	{ 1234, 0, "1,234" }, { 0.001, 0, "0" }, { -3, 0, "-3" },
	{ 1e300, 1, "1e+300" },
};

Test(intake, number_formatting)
{
	char buf[96];
	size_t i;

	for (i = 0; i < HUB_NELEM(number_cases); i++) {
		metadisplay_format_number(number_cases[i].v, number_cases[i].money, buf, sizeof(buf));
		cr_expect_str_eq(buf, number_cases[i].out, "%g", number_cases[i].v);
	}
}

struct row {
	const char	*label;
	const char	*value;
	const char	*url;
};

struct fields_case {
	const char	*preset;
	const char	*metadata;
	struct row	 rows[10];	/* ends with a NULL label */
};

static const struct fields_case fields_cases[] = {
	{ "concur_expense", "{\"project_code\":\"P-7\",\"amount\":1234.5,\"currency\":\"USD\","
	    "\"category\":\"Travel\",\"trip_dates\":{\"start\":\"2030-01-02\",\"end\":\"2030-01-05\"},"
	    "\"receipt_url\":\"https://r.example.com/1\",\"billable\":true,\"tags\":[\"a\",2],"
	    "\"gone\":null}", {
		{ "Amount", "1,234.50 USD", NULL },
		{ "Category", "Travel", NULL },
		{ "Trip dates", "2030-01-02 to 2030-01-05", NULL },
		{ "Receipt", "https://r.example.com/1", "https://r.example.com/1" },
		{ "Project code", "P-7", NULL },
		{ "Billable", "Yes", NULL },
		{ "Tags", "a, 2", NULL },
		{ NULL, NULL, NULL } } },
	{ "concur_expense", "{\"amount\":99}", {
		{ "Amount", "99.00", NULL }, { NULL, NULL, NULL } } },
	{ "concur_expense", "{\"currency\":\"EUR\",\"amount\":\"12\"}", {
		{ "Amount", "12", NULL }, { "Currency", "EUR", NULL }, { NULL, NULL, NULL } } },
	{ "workday_pto", "{\"days_requested\":2.5,\"date_range\":\"2024-02-15 to 2024-02-22\","
	    "\"remaining_pto\":12}", {
		{ "Dates", "2024-02-15 to 2024-02-22", NULL },
		{ "Days requested", "2.5", NULL },
		{ "Remaining PTO", "12", NULL },
		{ NULL, NULL, NULL } } },
	{ "salesforce_deal", "{\"customer_name\":\"Acme\",\"deal_value\":250000,"
	    "\"currency\":\"EUR\",\"close_date\":\"2030-06-30\",\"stage\":\"Closed Won\","
	    "\"discount_percent\":12.5}", {
		{ "Customer", "Acme", NULL },
		{ "Deal value", "250,000.00 EUR", NULL },
		{ "Close date", "2030-06-30", NULL },
		{ "Stage", "Closed Won", NULL },
		{ "Discount", "12.5%", NULL },
		{ NULL, NULL, NULL } } },
	{ "jira_issue", "{\"url\":\"https://j.example.com/browse/A-1\",\"issue_key\":\"A-1\","
	    "\"summary\":\"Fix\"}", {
		{ "Issue", "A-1", NULL },
		{ "Summary", "Fix", NULL },
		{ "Link", "https://j.example.com/browse/A-1", "https://j.example.com/browse/A-1" },
		{ NULL, NULL, NULL } } },
	{ NULL, "{\"trip_dates\":\"x\",\"dealValue\":3,\"cost-center\":\"42\",\"x\":false,"
	    "\"nested\":{\"a\":1},\"list\":[{\"a\":1}],\"doc\":\"http://d.example.com\","
	    "\"amount\":1234.5,\"ratio\":0.5}", {
		{ "Trip dates", "x", NULL },
		{ "Deal value", "3", NULL },
		{ "Cost center", "42", NULL },
		{ "X", "No", NULL },
		{ "Nested", "{\"a\":1}", NULL },
		{ "List", "[{\"a\":1}]", NULL },
		{ "Doc", "http://d.example.com", "http://d.example.com" },
		{ "Amount", "1234.5", NULL },
		{ "Ratio", "0.5", NULL },
		{ NULL, NULL, NULL } } },
	{ "no_such_preset", "{\"amount\":1}", {
		{ "Amount", "1", NULL }, { NULL, NULL, NULL } } },
	{ "concur_expense", "{}", { { NULL, NULL, NULL } } },
};

Test(intake, preset_fields_for_display)
{
	json_object *meta, *rows, *row, *url;
	size_t i, j, n;

	for (i = 0; i < HUB_NELEM(fields_cases); i++) {
		meta = parse(fields_cases[i].metadata);
		cr_assert_eq(hub_metadisplay_fields(fields_cases[i].preset, meta, &rows),
		    HUB_INTAKE_OK);
		for (n = 0; fields_cases[i].rows[n].label != NULL; n++)
			;
		cr_expect_eq(json_object_array_length(rows), n, "case %zu: %s", i,
		    json_object_to_json_string(rows));
		for (j = 0; j < n && j < json_object_array_length(rows); j++) {
			row = json_object_array_get_idx(rows, j);
			cr_expect_str_eq(sget(row, "label"), fields_cases[i].rows[j].label,
			    "case %zu row %zu", i, j);
			cr_expect_str_eq(sget(row, "value"), fields_cases[i].rows[j].value,
			    "case %zu row %zu", i, j);
			if (fields_cases[i].rows[j].url != NULL)
				cr_expect_str_eq(sget(row, "url"), fields_cases[i].rows[j].url);
			else
				cr_expect_not(json_object_object_get_ex(row, "url", &url),
				    "case %zu row %zu has a url", i, j);
		}
		json_object_put(rows);
		json_object_put(meta);
	}
}

Test(intake, preset_fields_edges)
{
	json_object *rows = NULL, *arr = parse("[]");

	cr_expect_eq(hub_metadisplay_fields("concur_expense", NULL, &rows), HUB_INTAKE_OK);
	cr_expect_eq(json_object_array_length(rows), 0);
	json_object_put(rows);
	cr_expect_eq(hub_metadisplay_fields("concur_expense", arr, &rows), HUB_INTAKE_INVALID);
	cr_expect_null(rows);
	json_object_put(arr);
}
