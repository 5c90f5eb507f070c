/*
 * The admin CLI as an admin runs it: settings (validation, types as the
 * readers expect them, defaults), the Slack app manifest, and refusals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "testlib.h"

/* Run the CLI with args, capturing stdout into out; returns the exit code. */
static int
cli(char *out, size_t outlen, const char *args)
{
	char cmd[1024];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "\"%s/bin/approvalhub\" %s 2>&1", th_env("top_builddir"), args);
	cr_assert_not_null(p = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(cli, settings_validate_store_and_reset)
{
	char out[8192];

	cr_assert_eq(cli(out, sizeof(out), "settings set delivery.mode chan"), 1, "%s", out);
	cr_assert(strstr(out, "must be one of") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "settings set no.such.key 1"), 1, "%s", out);
	cr_assert(strstr(out, "unknown setting") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "settings set retention.sent_messages_days 0"), 1);
	cr_assert_eq(cli(out, sizeof(out), "settings set retention.sent_messages_days 12x"), 1);

	cr_assert_eq(cli(out, sizeof(out), "settings set delivery.mode channel"), 0, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "settings set retention.sent_messages_days 45"), 0, "%s", out);
	/* Numbers are stored as JSON numbers, text as JSON strings: the
	 * delivery, rate-limit and retention readers rely on it. */
	cr_assert_eq(th_sh("test \"$(psql -X -tAc \"SELECT jsonb_typeof(value) FROM settings "
	    "WHERE key = 'retention.sent_messages_days'\" approvalhub)\" = number"), 0);
	cr_assert_eq(th_sh("test \"$(psql -X -tAc \"SELECT value #>> '{}' FROM settings "
	    "WHERE key = 'delivery.mode'\" approvalhub)\" = channel"), 0);
	cr_assert_eq(cli(out, sizeof(out), "settings get retention.sent_messages_days"), 0);
	cr_assert_str_eq(out, "45\n");
	/* Each change is in the audit log, by the login that ran it. */
	cr_assert_eq(th_sh("test \"$(psql -X -tAc \"SELECT count(*) FROM audit_log"
	    " WHERE action = 'setting.changed' AND via = 'cli' AND actor LIKE 'cli:%%'"
	    " AND detail->>'key' = 'retention.sent_messages_days'"
	    " AND detail->>'value' = '45'\" approvalhub)\" = 1"), 0);
	cr_assert_eq(cli(out, sizeof(out), "settings"), 0);
	cr_assert(strstr(out, "delivery.mode") != NULL && strstr(out, "channel") != NULL, "%s", out);

	cr_assert_eq(cli(out, sizeof(out), "settings unset delivery.mode"), 0);
	cr_assert_eq(cli(out, sizeof(out), "settings get delivery.mode"), 0);
	cr_assert_str_eq(out, "dm\n", "the default comes back");
	cr_assert_eq(cli(out, sizeof(out), "settings unset retention.sent_messages_days"), 0);
}

Test(cli, manifest_points_slack_at_this_hub)
{
	char out[16384];
	json_object *m, *v;
	const char *pub = th_env("PUBLIC_URL");
	char want[512];

	cr_assert_eq(cli(out, sizeof(out), "manifest --name 'Test Hub'"), 0, "%s", out);
	cr_assert_not_null(m = json_tokener_parse(out), "not JSON: %s", out);
	cr_assert(json_pointer_get(m, "/settings/event_subscriptions/request_url", &v) == 0);
	snprintf(want, sizeof(want), "%s/slack/events", pub);
	cr_assert_str_eq(json_object_get_string(v), want);
	cr_assert(json_pointer_get(m, "/settings/interactivity/request_url", &v) == 0);
	snprintf(want, sizeof(want), "%s/slack/interactions", pub);
	cr_assert_str_eq(json_object_get_string(v), want);
	cr_assert(json_pointer_get(m, "/features/slash_commands/0/url", &v) == 0);
	snprintf(want, sizeof(want), "%s/slack/commands", pub);
	cr_assert_str_eq(json_object_get_string(v), want);
	cr_assert(json_pointer_get(m, "/oauth_config/redirect_urls/0", &v) == 0);
	snprintf(want, sizeof(want), "%s/slack/oauth/callback", pub);
	cr_assert_str_eq(json_object_get_string(v), want);
	cr_assert(json_pointer_get(m, "/display_information/name", &v) == 0);
	cr_assert_str_eq(json_object_get_string(v), "Test Hub");
	cr_assert(json_pointer_get(m, "/settings/event_subscriptions/bot_events", &v) == 0);
	cr_assert(strstr(json_object_to_json_string(v), "app_home_opened") != NULL);
	cr_assert(json_pointer_get(m, "/oauth_config/scopes/bot", &v) == 0);
	cr_assert(strstr(json_object_to_json_string(v), "\"chat:write\"") != NULL);
	json_object_put(m);
}

Test(cli, unknown_command_and_missing_configuration)
{
	char out[4096];

	cr_assert_eq(cli(out, sizeof(out), "frobnicate"), 2);
	cr_assert(strstr(out, "unknown command") != NULL, "%s", out);
	cr_assert_eq(cli(out, sizeof(out), "--help"), 0);
	cr_assert(strstr(out, "settings set KEY VALUE") != NULL, "%s", out);
	cr_assert_eq(th_sh("env -u DATABASE_URL APPROVALHUB_CONF= \"%s/bin/approvalhub\" migrate "
	    "2>&1 | grep -q DATABASE_URL", th_env("top_builddir")), 0,
	    "a missing DATABASE_URL is named");
}
