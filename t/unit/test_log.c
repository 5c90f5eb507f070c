/* test_log.c - logfmt lines, quoting, levels and redaction of secrets. */
/* The headers' unit-test declarations, as in the library copy this test
 * links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static FILE *capf;

static void
cap_start(void)
{
	capf = tmpfile();
	cr_assert_not_null(capf);
	hub_log_set_fd(fileno(capf));
	hub_log_init("test", HUB_LOG_DEBUG);
	hub_log_set_request(NULL);
}

/* Everything logged since cap_start(); caller frees. */
static char *
cap_read(size_t *lenp)
{
	long n;
	char *s;

	cr_assert_eq(fseek(capf, 0, SEEK_END), 0);
	n = ftell(capf);
	cr_assert_geq(n, 0);
	rewind(capf);
	s = calloc(1, (size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, capf), (size_t)n);
	if (lenp)
		*lenp = (size_t)n;
	hub_log_set_fd(-1);
	fclose(capf);
	capf = NULL;
	return s;
}

/* The part of the line after "event=", i.e. what the caller controls. */
static const char *
after_event(const char *line)
{
	const char *p = strstr(line, " event=");

	cr_assert_not_null(p, "no event= in '%s'", line);
	return p + 1;
}

Test(log, line_format)
{
	char *s, want[64];

	cap_start();
	hub_log(HUB_LOG_WARN, "request", "method", "POST", "status", "201", NULL);
	s = cap_read(NULL);
	cr_assert_eq(strncmp(s, "ts=", 3), 0, "%s", s);
	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ */
	cr_assert_eq(s[3 + 4], '-');
	cr_assert_eq(s[3 + 10], 'T');
	cr_assert_eq(s[3 + 19], '.');
	cr_assert_eq(s[3 + 23], 'Z');
	snprintf(want, sizeof(want), " level=warn prog=test pid=%ld event=", (long)getpid());
	cr_assert_not_null(strstr(s, want), "%s", s);
	cr_assert_str_eq(after_event(s), "event=request method=POST status=201\n");
	free(s);
}

Test(log, level_filter)
{
	char *s;

	cap_start();
	hub_log_init("test", HUB_LOG_WARN);
	hub_log(HUB_LOG_DEBUG, "d", NULL);
	hub_log(HUB_LOG_INFO, "i", NULL);
	hub_log(HUB_LOG_WARN, "w", NULL);
	hub_log(HUB_LOG_ERROR, "e", NULL);
	s = cap_read(NULL);
	cr_assert_null(strstr(s, "event=d"));
	cr_assert_null(strstr(s, "event=i"));
	cr_assert_not_null(strstr(s, "level=warn prog=test"));
	cr_assert_not_null(strstr(s, "level=error prog=test"));
	free(s);
}

struct quote_case {
	const char *val;
	const char *want;	/* as written after "k=" */
};

static const struct quote_case quote_cases[] = {
	{ "plain", "plain" },
	{ "/api/x?y", "/api/x?y" },
	{ "", "\"\"" },
	{ "two words", "\"two words\"" },
	{ "a=b", "\"a=b\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "line\nbreak", "\"line\\nbreak\"" },
	{ "cr\rtab\t", "\"cr\\rtab\\t\"" },
	{ "bell\x07", "\"bell\\x07\"" },
	{ "del\x7f", "\"del\\x7f\"" },
	{ "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9" },
	/* an attempt to forge a field is contained in one quoted value */
	{ "x level=error", "\"x level=error\"" },
};

Test(log, quoting)
{
	char *s, want[128];
	size_t i;

	for (i = 0; i < HUB_NELEM(quote_cases); i++) {
		cap_start();
		hub_log(HUB_LOG_INFO, "q", "k", quote_cases[i].val, NULL);
		s = cap_read(NULL);
		snprintf(want, sizeof(want), "event=q k=%s\n", quote_cases[i].want);
		cr_assert_str_eq(after_event(s), want, "case %zu", i);
		free(s);
	}
}

Test(log, keys_and_event_are_sanitized)
{
	char *s;

	cap_start();
	hub_log(HUB_LOG_INFO, "two words", "bad name=", "v", NULL);
	s = cap_read(NULL);
	cr_assert_str_eq(after_event(s), "event=\"two words\" bad_name_=v\n");
	free(s);
}

struct secret_case {
	const char	*key;
	const char	*val;
	int		 secret;
};

static const struct secret_case secret_cases[] = {
	/* secret-named keys, any case */
	{ "token", "abc", 1 },
	{ "bot_token", "abc", 1 },
	{ "SLACK_SIGNING_SECRET", "abc", 1 },
	{ "password", "abc", 1 },
	{ "api_key", "abc", 1 },
	{ "Authorization", "abc", 1 },
	{ "cookie", "abc", 1 },
	{ "x_hub_signature", "abc", 1 },
	{ "webhook", "abc", 1 },
	{ "url_secret", "abc", 1 },
	/* values that are credentials whatever the key */
	{ "msg", "xoxb-1234-5678-abcdef", 1 },
	{ "msg", "sent with xoxp-1-2-3 ok", 1 },
	{ "msg", "xoxe.xoxp-1-abc", 1 },
	{ "msg", "xapp-1-A0-123", 1 },
	{ "url", "https://hooks.slack.com/services/T0/B0/XyZ", 1 },
	{ "url", "HTTPS://HOOKS.SLACK.COM/services/T0", 1 },
	{ "hdr", "Bearer abc.def", 1 },
	{ "hdr", "bearer abc", 1 },
	{ "db", "postgres://hub:s3cret@db/hub", 1 },
	/* ordinary values stay */
	{ "method", "POST", 0 },
	{ "path", "/slack/events", 0 },
	{ "url", "https://slack.com/api/chat.postMessage", 0 },
	{ "url", "postgres://db/hub", 0 },
	{ "url", "http://127.0.0.1:8080/x", 0 },
	{ "user", "U123", 0 },
	{ "msg", "xox", 0 },
	{ "msg", "the bearer of news", 0 },
	{ "status", "201", 0 },
};

Test(log, is_secret)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(secret_cases); i++)
		cr_assert_eq(hub_log_is_secret(secret_cases[i].key, secret_cases[i].val),
		    secret_cases[i].secret, "%s=%s", secret_cases[i].key, secret_cases[i].val);
	cr_assert_eq(hub_log_is_secret(NULL, NULL), 0);
	cr_assert_eq(hub_log_is_secret("token", NULL), 1);
}

Test(log, redaction_in_lines)
{
	char *s, want[256];
	size_t i;

	for (i = 0; i < HUB_NELEM(secret_cases); i++) {
		cap_start();
		hub_log(HUB_LOG_ERROR, "e", secret_cases[i].key, secret_cases[i].val, NULL);
		s = cap_read(NULL);
		if (secret_cases[i].secret) {
			cr_assert_null(strstr(s, secret_cases[i].val), "leaked: %s", s);
			cr_assert_not_null(strstr(s, "=[redacted]"), "%s", s);
		} else {
			cr_assert_null(strstr(s, "[redacted]"), "%s", s);
			snprintf(want, sizeof(want), " %s=", secret_cases[i].key);
			cr_assert_not_null(strstr(s, want), "%s", s);
			cr_assert_not_null(strstr(s, secret_cases[i].val), "%s", s);
		}
		free(s);
	}
}

Test(log, redaction_of_event_and_request_id)
{
	char *s;

	cap_start();
	hub_log_set_request("xoxb-forged-request-id");
	hub_log(HUB_LOG_INFO, "Bearer zzz", NULL);
	s = cap_read(NULL);
	cr_assert_null(strstr(s, "xoxb-"), "%s", s);
	cr_assert_null(strstr(s, "zzz"), "%s", s);
	cr_assert_not_null(strstr(s, "req=[redacted] event=[redacted]"), "%s", s);
	free(s);
}

Test(log, request_id_set_and_cleared)
{
	char *s;

	cap_start();
	hub_log_set_request("4f2a");
	hub_log(HUB_LOG_INFO, "one", NULL);
	hub_log_set_request(NULL);
	hub_log(HUB_LOG_INFO, "two", NULL);
	s = cap_read(NULL);
	cr_assert_not_null(strstr(s, " req=4f2a event=one\n"), "%s", s);
	cr_assert_null(strstr(strstr(s, "event=one\n"), "req="), "%s", s);
	cr_assert_not_null(strstr(s, " event=two\n"), "%s", s);
	free(s);
}

Test(log, long_line_is_cut_at_4k)
{
	char *big, *s;
	size_t n, len;

	n = 10000;
	big = malloc(n + 1);
	cr_assert_not_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	big[100] = ' ';	/* forces quoting: the quote must still be closed */
	cap_start();
	hub_log(HUB_LOG_INFO, "big", "v", big, "after", "x", NULL);
	hub_log(HUB_LOG_INFO, "next", NULL);
	s = cap_read(&len);
	n = (size_t)(strchr(s, '\n') - s) + 1;
	cr_assert_leq(n, 4096);
	cr_assert_gt(n, 4000);
	cr_assert_eq(memcmp(s + n - 17, "\" truncated=true\n", 17), 0, "%.40s", s + n - 40);
	cr_assert_null(strstr(s, "after=x"));
	cr_assert_not_null(strstr(s + n, "event=next\n"));
	free(s);
	free(big);
}

Test(log, preserves_errno)
{
	cap_start();
	errno = ENOENT;
	hub_log(HUB_LOG_INFO, "e", "k", "v", NULL);
	cr_assert_eq(errno, ENOENT);
	free(cap_read(NULL));
}

Test(log, level_parse)
{
	static const struct { const char *s; int rc; enum hub_log_level want; } cases[] = {
		{ "debug", 0, HUB_LOG_DEBUG },
		{ "INFO", 0, HUB_LOG_INFO },
		{ "warn", 0, HUB_LOG_WARN },
		{ "Warning", 0, HUB_LOG_WARN },
		{ "error", 0, HUB_LOG_ERROR },
		{ "", -1, HUB_LOG_ERROR },
		{ "verbose", -1, HUB_LOG_ERROR },
		{ "info ", -1, HUB_LOG_ERROR },
		{ "2", -1, HUB_LOG_ERROR },
	};
	enum hub_log_level l;
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		l = HUB_LOG_ERROR;
		cr_assert_eq(hub_log_level_parse(cases[i].s, &l), cases[i].rc, "'%s'", cases[i].s);
		cr_assert_eq(l, cases[i].want, "'%s'", cases[i].s);
	}
	cr_assert_eq(hub_log_level_parse(NULL, &l), -1);
}
