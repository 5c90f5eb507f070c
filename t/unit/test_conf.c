/* test_conf.c - configuration from the environment and APPROVALHUB_CONF. */
/* The headers' unit-test declarations (HUB_STATIC functions), as in the
 * library copy this test links (t/libhub_ut.a, built with -DHUB_UNITTEST). */
#define HUB_UNITTEST 1
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"

#define KEY32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static const char *const all_vars[] = {
	"APPROVALHUB_CONF", "DATABASE_URL", "SECRET_KEY", "PUBLIC_URL",
	"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID",
	"SLACK_CLIENT_SECRET", "SLACK_API_URL", "SMTP_URL", "SMTP_FROM",
	"INFERENCE_URL", "INFERENCE_KEY", "INFERENCE_MODEL_ID", "EMBEDDING_URL",
	"EMBEDDING_KEY", "EMBEDDING_MODEL_ID", "LOG_LEVEL", "PORT",
};

static char conf_path[64];

static void
clean_env(void)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(all_vars); i++)
		unsetenv(all_vars[i]);
}

static void
cleanup(void)
{
	if (conf_path[0] != '\0')
		unlink(conf_path);
	conf_path[0] = '\0';
}

/* Write a config file and point APPROVALHUB_CONF at it. */
static void
write_conf(const char *text)
{
	FILE *f;
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/hubconf.XXXXXX");
	fd = mkstemp(conf_path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
	setenv("APPROVALHUB_CONF", conf_path, 1);
}

TestSuite(conf, .init = clean_env, .fini = cleanup);

Test(conf, defaults)
{
	struct hub_conf c;
	char err[256];

	cr_assert_eq(hub_conf_load(&c, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.port, 8080);
	cr_assert_eq(c.log_level, HUB_LOG_INFO);
	cr_assert_str_eq(c.public_url, "http://127.0.0.1:8080");
	cr_assert_str_eq(c.slack_api_url, "https://slack.com/api/");
	cr_assert_null(c.database_url);
	cr_assert_null(c.slack_bot_token);
	cr_assert_eq(c.have_secret_key, 0);
	hub_conf_free(&c);
	cr_assert_null(c.public_url);
}

Test(conf, port_sets_default_public_url)
{
	struct hub_conf c;
	char err[256];

	setenv("PORT", "9123", 1);
	cr_assert_eq(hub_conf_load(&c, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.port, 9123);
	cr_assert_str_eq(c.public_url, "http://127.0.0.1:9123");
	hub_conf_free(&c);
}

Test(conf, missing_required_names_the_variable)
{
	static const struct { unsigned need; const char *name; } cases[] = {
		{ HUB_CONF_NEED_DATABASE, "DATABASE_URL" },
		{ HUB_CONF_NEED_SECRET, "SECRET_KEY" },
		{ HUB_CONF_NEED_SIGNING, "SLACK_SIGNING_SECRET" },
		{ HUB_CONF_NEED_PUBLIC, "PUBLIC_URL" },
	};
	struct hub_conf c;
	char err[256];
	size_t i, n;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		cr_assert_eq(hub_conf_load(&c, cases[i].need, err, sizeof(err)), -1);
		n = strlen(cases[i].name);
		cr_assert_eq(strncmp(err, cases[i].name, n), 0, "%s", err);
		cr_assert_eq(err[n], ' ', "%s", err);
		cr_assert_null(strchr(err, '\n'));
	}
	/* Empty counts as missing. */
	setenv("DATABASE_URL", "", 1);
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_DATABASE, err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, "DATABASE_URL ", 13), 0, "%s", err);
	/* All present: fine. */
	setenv("DATABASE_URL", "postgresql:///hub", 1);
	setenv("SECRET_KEY", KEY32, 1);
	setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5", 1);
	setenv("PUBLIC_URL", "https://hub.example.com/", 1);
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET |
	    HUB_CONF_NEED_SIGNING | HUB_CONF_NEED_PUBLIC, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.database_url, "postgresql:///hub");
	cr_assert_str_eq(c.slack_signing_secret, "8f742231b10e8888abcd99yyyzzz85a5");
	cr_assert_str_eq(c.public_url, "https://hub.example.com");
	hub_conf_free(&c);
}

Test(conf, secret_key_decodes)
{
	struct hub_conf c;
	char err[256];
	int i;

	setenv("SECRET_KEY", KEY32, 1);
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_SECRET, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.have_secret_key, 1);
	for (i = 0; i < 32; i++)
		cr_assert_eq(c.secret_key[i], i);
	hub_conf_free(&c);
	cr_assert_eq(c.have_secret_key, 0);
	cr_assert_eq(c.secret_key[31], 0);
	/* Unpadded and URL-safe forms of 32 bytes are accepted too. */
	setenv("SECRET_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 1);
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_SECRET, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.secret_key[31], 31);
	hub_conf_free(&c);
	setenv("SECRET_KEY", "yMnKy8zNzs_Q0dLT1NXW19jZ2tvc3d7f4OHi4-Tl5uc=", 1);
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_SECRET, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.secret_key[0], 200);
	cr_assert_eq(c.secret_key[31], 231);
	hub_conf_free(&c);
}

Test(conf, secret_key_malformed)
{
	static const char *const bad[] = {
		"AAECAwQFBgcICQoLDA0ODw==",			/* 16 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",	/* 33 bytes */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",	/* unpadded, stray bits */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",	/* bad padding */
		"AAECAwQFBgcICQoLDA0ODx AREhMUFRYXGBkaGxwdHh8=",	/* space */
		"AAECAwQFBgcICQoLDA0ODx*AREhMUFRYXGBkaGxwdHh8=",	/* bad char */
		"0123456789abcdef0123456789abcdef",		/* hex text, 24 bytes */
		"not base64 at all",
		"====",
	};
	struct hub_conf c;
	char err[256];
	size_t i;

	for (i = 0; i < HUB_NELEM(bad); i++) {
		setenv("SECRET_KEY", bad[i], 1);
		/* Validated when present even if not needed. */
		cr_assert_eq(hub_conf_load(&c, 0, err, sizeof(err)), -1, "'%s' accepted", bad[i]);
		cr_assert_str_eq(err, "SECRET_KEY is malformed: must be 32 bytes of base64 "
		    "(openssl rand -base64 32)");
	}
}

Test(conf, b64decode)
{
	static const struct { const char *in; int want; } cases[] = {
		{ "", 0 },
		{ "Zg==", 1 },
		{ "Zg", 1 },
		{ "Zm8=", 2 },
		{ "Zm9v", 3 },
		{ "-_-_", 3 },		/* URL-safe alphabet */
		{ "+/+/", 3 },
		{ "Zh==", -1 },		/* non-zero leftover bits */
		{ "Z===", -1 },
		{ "Zg=", -1 },
		{ "Z", -1 },
		{ "Zg=a", -1 },
		{ "Zm9v\n", -1 },
	};
	unsigned char out[8];
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++)
		cr_assert_eq(conf_b64decode(cases[i].in, out, sizeof(out)), cases[i].want,
		    "'%s'", cases[i].in);
	cr_assert_eq(conf_b64decode("Zm9v", out, 2), -1);	/* output too small */
	cr_assert_eq(conf_b64decode("Zm9v", out, 3), 3);
	cr_assert_eq(memcmp(out, "foo", 3), 0);
}

Test(conf, file_syntax)
{
	struct hub_conf c;
	char err[256];

	write_conf(
	    "# comment\n"
	    "\n"
	    "   # indented comment\n"
	    "DATABASE_URL=postgresql://hub@localhost/hub\n"
	    "SLACK_BOT_TOKEN=\"xoxb-1-2-3\"\n"
	    "SLACK_CLIENT_ID='123.456'\n"
	    "  SMTP_FROM = Hub <hub@example.com>  \r\n"
	    "export LOG_LEVEL=debug\n"
	    "SLACK_SIGNING_SECRET=a#not-a-comment\n"
	    "INFERENCE_MODEL_ID=first\n"
	    "INFERENCE_MODEL_ID=second\n"
	    "SLACK_CLIENT_SECRET=\"\"\n"
	    "PORT=8443");	/* no final newline */
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_DATABASE, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.database_url, "postgresql://hub@localhost/hub");
	cr_assert_str_eq(c.slack_bot_token, "xoxb-1-2-3");
	cr_assert_str_eq(c.slack_client_id, "123.456");
	cr_assert_str_eq(c.smtp_from, "Hub <hub@example.com>");
	cr_assert_eq(c.log_level, HUB_LOG_DEBUG);
	cr_assert_str_eq(c.slack_signing_secret, "a#not-a-comment");
	cr_assert_str_eq(c.inference_model_id, "second");
	cr_assert_null(c.slack_client_secret);	/* empty is unset */
	cr_assert_eq(c.port, 8443);
	cr_assert_str_eq(hub_conf_get("SLACK_CLIENT_ID"), "123.456");
	cr_assert_null(hub_conf_get("SLACK_CLIENT_SECRET"));
	cr_assert_null(hub_conf_get("NOT_THERE"));
	hub_conf_free(&c);
	/* After free the file's values are gone; the environment remains. */
	cr_assert_null(hub_conf_get("SLACK_CLIENT_ID"));
}

Test(conf, environment_wins_over_file)
{
	struct hub_conf c;
	char err[256];

	write_conf("DATABASE_URL=postgresql:///from-file\nPORT=1234\nSMTP_FROM=file\n");
	setenv("DATABASE_URL", "postgresql:///from-env", 1);
	setenv("SMTP_FROM", "", 1);	/* empty env falls back to the file */
	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_DATABASE, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.database_url, "postgresql:///from-env");
	cr_assert_str_eq(hub_conf_get("DATABASE_URL"), "postgresql:///from-env");
	cr_assert_eq(c.port, 1234);
	cr_assert_str_eq(c.smtp_from, "file");
	hub_conf_free(&c);
}

Test(conf, file_malformed_line_is_named)
{
	static const char *const bad[] = {
		"JUST_A_WORD",
		"=value",
		"1BAD=x",
		"BAD-NAME=x",
		"TWO WORDS=x",
		"Q=\"unterminated",
		"Q='mixed\"",
		"Q=\"in\"side\"",
		"Q=\"",
	};
	struct hub_conf c;
	char err[256], text[128], want[128];
	size_t i;

	for (i = 0; i < HUB_NELEM(bad); i++) {
		snprintf(text, sizeof(text), "# ok\nDATABASE_URL=postgresql:///x\n%s\nPORT=1\n", bad[i]);
		write_conf(text);
		cr_assert_eq(hub_conf_load(&c, 0, err, sizeof(err)), -1, "'%s' accepted", bad[i]);
		snprintf(want, sizeof(want), "APPROVALHUB_CONF: %s line 3 is malformed "
		    "(expected KEY=VALUE)", conf_path);
		cr_assert_str_eq(err, want, "'%s'", bad[i]);
		cleanup();
	}
}

Test(conf, file_missing)
{
	struct hub_conf c;
	char err[256];

	setenv("APPROVALHUB_CONF", "/nonexistent/approvalhub.conf", 1);
	cr_assert_eq(hub_conf_load(&c, 0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "APPROVALHUB_CONF: cannot open /nonexistent/approvalhub.conf: "
	    "No such file or directory");
}

Test(conf, parse_line)
{
	static const struct { const char *in; int rc; const char *k, *v; } cases[] = {
		{ "", 0, NULL, NULL },
		{ "   \t", 0, NULL, NULL },
		{ "#x=y", 0, NULL, NULL },
		{ "A=b", 0, "A", "b" },
		{ "A=", 0, "A", "" },
		{ "A = b c ", 0, "A", "b c" },
		{ "A=b=c", 0, "A", "b=c" },
		{ "A='b c'", 0, "A", "b c" },
		{ "A=\"'\"", 0, "A", "'" },
		{ "export A=1", 0, "A", "1" },
		{ "_a1=1", 0, "_a1", "1" },
		{ "export=1", 0, "export", "1" },
		{ "A", 1, NULL, NULL },
		{ "A b=1", 1, NULL, NULL },
		{ "A='", 1, NULL, NULL },
	};
	char *k, *v;
	size_t i;
	int rc;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		rc = conf_parse_line(cases[i].in, strlen(cases[i].in), &k, &v);
		cr_assert_eq(rc, cases[i].rc, "'%s': %d", cases[i].in, rc);
		if (cases[i].k == NULL) {
			cr_assert_null(k, "'%s'", cases[i].in);
		} else {
			cr_assert_str_eq(k, cases[i].k, "'%s'", cases[i].in);
			cr_assert_str_eq(v, cases[i].v, "'%s'", cases[i].in);
		}
		free(k);
		free(v);
	}
	/* A NUL inside a line is malformed. */
	cr_assert_eq(conf_parse_line("A=b\0c", 5, &k, &v), 1);
}

struct val_case {
	const char	*name;
	const char	*value;
	int		 ok;
};

static const struct val_case val_cases[] = {
	{ "PUBLIC_URL", "https://hub.example.com", 1 },
	{ "PUBLIC_URL", "HTTP://hub:8080/base", 1 },
	{ "PUBLIC_URL", "ftp://hub", 0 },
	{ "PUBLIC_URL", "hub.example.com", 0 },
	{ "PUBLIC_URL", "https://", 0 },
	{ "PUBLIC_URL", "https:///path", 0 },
	{ "PUBLIC_URL", "https://hub example", 0 },
	{ "PUBLIC_URL", "javascript:alert(1)", 0 },
	{ "SLACK_API_URL", "http://127.0.0.1:9999/api", 1 },
	{ "SLACK_API_URL", "slack.com/api", 0 },
	{ "INFERENCE_URL", "https://us.inference.heroku.com", 1 },
	{ "INFERENCE_URL", "file:///etc/passwd", 0 },
	{ "EMBEDDING_URL", "https://us.inference.heroku.com", 1 },
	{ "EMBEDDING_URL", "gopher://x", 0 },
	{ "SMTP_URL", "smtps://user:pw@mail.example.com:465", 1 },
	{ "SMTP_URL", "smtp://localhost", 1 },
	{ "SMTP_URL", "http://mail", 0 },
	{ "LOG_LEVEL", "warning", 1 },
	{ "LOG_LEVEL", "ERROR", 1 },
	{ "LOG_LEVEL", "loud", 0 },
	{ "PORT", "1", 1 },
	{ "PORT", "65535", 1 },
	{ "PORT", "0", 0 },
	{ "PORT", "65536", 0 },
	{ "PORT", "-1", 0 },
	{ "PORT", "+80", 0 },
	{ "PORT", " 80", 0 },
	{ "PORT", "80x", 0 },
	{ "PORT", "99999999999999999999", 0 },
	{ "PORT", "http", 0 },
};

Test(conf, validation)
{
	struct hub_conf c;
	char err[256], err2[256];
	size_t i, n;
	int rc;

	for (i = 0; i < HUB_NELEM(val_cases); i++) {
		clean_env();
		setenv(val_cases[i].name, val_cases[i].value, 1);
		rc = hub_conf_load(&c, 0, err, sizeof(err));
		cr_assert_eq(rc, val_cases[i].ok ? 0 : -1, "%s=%s: %s", val_cases[i].name,
		    val_cases[i].value, err);
		if (rc == 0) {
			hub_conf_free(&c);
			continue;
		}
		n = strlen(val_cases[i].name);
		cr_assert_eq(strncmp(err, val_cases[i].name, n), 0, "%s", err);
		cr_assert_eq(strncmp(err + n, " is malformed: ", 15), 0, "%s", err);
		/* The message does not depend on (so never repeats) the value. */
		setenv(val_cases[i].name, "\x01other bad value", 1);
		cr_assert_eq(hub_conf_load(&c, 0, err2, sizeof(err2)), -1);
		cr_assert_str_eq(err, err2);
	}
}

Test(conf, url_normalization)
{
	static const struct { const char *pub, *api, *want_pub, *want_api; } cases[] = {
		{ "https://hub.example.com/", "http://127.0.0.1:9/api", "https://hub.example.com",
		  "http://127.0.0.1:9/api/" },
		{ "https://hub.example.com///", "http://fake/api/", "https://hub.example.com",
		  "http://fake/api/" },
		{ "https://hub.example.com/base", "http://fake", "https://hub.example.com/base",
		  "http://fake/" },
	};
	struct hub_conf c;
	char err[256];
	size_t i;

	for (i = 0; i < HUB_NELEM(cases); i++) {
		setenv("PUBLIC_URL", cases[i].pub, 1);
		setenv("SLACK_API_URL", cases[i].api, 1);
		cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_PUBLIC, err, sizeof(err)), 0, "%s", err);
		cr_assert_str_eq(c.public_url, cases[i].want_pub);
		cr_assert_str_eq(c.slack_api_url, cases[i].want_api);
		hub_conf_free(&c);
	}
}

Test(conf, error_is_truncated_safely)
{
	struct hub_conf c;
	char err[8];

	cr_assert_eq(hub_conf_load(&c, HUB_CONF_NEED_DATABASE, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "DATABAS");
}
