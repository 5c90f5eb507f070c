/*
 * approvalhub - the admin command line.  A table of commands; each one is a
 * thin call into lib/.  Reads the same configuration as the programs
 * (environment, then APPROVALHUB_CONF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approval/admin.h"
#include "approval/adminlog.h"
#include "approval/ai.h"
#include "approval/reqquery.h"
#include "approval/sourceadmin.h"
#include "base/buf.h"
#include "base/conf.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/groups.h"
#include "base/httpc.h"
#include "base/inference.h"
#include "base/json.h"
#include "base/log.h"
#include "slack/manifest.h"
#include "store/settings.h"
#include "store/migrate.h"
#include "base/tmpl.h"

struct cli {
	struct hub_conf	 conf;
	struct hub_db	*db;
};

struct cmd {
	const char	*words;     /* "user add" */
	int		 nwords;
	unsigned	 need;      /* HUB_CONF_NEED_* */
	int		 needs_db;
	int		(*run)(struct cli *, int argc, char **argv);
	const char	*usage;
};

/* Value of "--name VALUE" among argv, or NULL. */
static const char *
opt(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int
has_flag(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int
cmd_migrate(struct cli *c, int argc, char **argv)
{
	int applied = 0, dbv = 0, binv = 0, rc;

	if (has_flag(argc, argv, "--check")) {
		rc = hub_migrate_check(c->db, &dbv, &binv);
		printf("database schema %d, this binary %d: %s\n", dbv, binv,
		    rc == HUB_MIGRATE_OK ? "current" : hub_migrate_strerror(rc));
		return rc == HUB_MIGRATE_OK ? 0 : 1;
	}
	if ((rc = hub_migrate_run(c->db, &applied)) != HUB_MIGRATE_OK) {
		fprintf(stderr, "approvalhub: migrate: %s: %s\n", hub_migrate_strerror(rc),
		    hub_db_last_error(c->db));
		return 1;
	}
	hub_migrate_check(c->db, &dbv, &binv);
	printf("migrations applied: %d (schema version %d)\n", applied, dbv);
	return 0;
}

static int
cmd_user_add(struct cli *c, int argc, char **argv)
{
	struct hub_buf pw = HUB_BUF_INIT(256), given = HUB_BUF_INIT(256);
	const char *role = opt(argc, argv, "--role");
	const char *email = opt(argc, argv, "--email");
	const char *password = NULL;
	char id[HUB_UUID_LEN], line[256];
	int rc;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "approvalhub: user add: a NAME is required\n");
		return 2;
	}
	if (role == NULL)
		role = "requester";
	if (has_flag(argc, argv, "--password-stdin")) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			fprintf(stderr, "approvalhub: user add: no password on standard input\n");
			return 2;
		}
		line[strcspn(line, "\r\n")] = '\0';
		hub_buf_adds(&given, line);
		password = hub_buf_str(&given);
	}
	rc = hub_admin_user_add(c->db, argv[0], email, role, password, &pw, id);
	if (rc != HUB_ADMIN_OK) {
		fprintf(stderr, "approvalhub: user add: %s%s\n", hub_admin_strerror(rc),
		    rc == HUB_ADMIN_INVALID ? " (role admin|requester|viewer, a valid email, "
		    "password of 8 to 200 characters)" : "");
		rc = 1;
		goto out;
	}
	printf("user %s created (role %s, id %s)", argv[0], role, id);
	if (pw.len)
		printf("; password: %s", pw.data);
	printf("\n");
	rc = 0;
out:
	hub_buf_release(&pw);
	hub_buf_release(&given);
	return rc;
}

static int
cmd_source_add(struct cli *c, int argc, char **argv)
{
	struct hub_buf key = HUB_BUF_INIT(256);
	char id[HUB_UUID_LEN];
	int rc;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "approvalhub: source add: a NAME is required\n");
		return 2;
	}
	if ((rc = hub_admin_source_add(c->db, argv[0], &key, id)) != HUB_ADMIN_OK) {
		fprintf(stderr, "approvalhub: source add: %s\n", hub_admin_strerror(rc));
		hub_buf_release(&key);
		return 1;
	}
	printf("source %s created (id %s); api key: %s\n", argv[0], id, key.data);
	printf("(the key is shown only now; store it in the source system)\n");
	hub_buf_release(&key);
	return 0;
}

static int
cmd_source_rotate(struct cli *c, int argc, char **argv)
{
	struct hub_buf key = HUB_BUF_INIT(256);
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: source rotate-key: a NAME is required\n");
		return 2;
	}
	if ((rc = hub_admin_key_rotate(c->db, argv[0], &key)) != HUB_ADMIN_OK) {
		fprintf(stderr, "approvalhub: source rotate-key: %s\n", hub_admin_strerror(rc));
		hub_buf_release(&key);
		return 1;
	}
	printf("source %s: old keys revoked; api key: %s\n", argv[0], key.data);
	hub_buf_release(&key);
	return 0;
}

/* Who runs the CLI, for audit rows (cli_actor below). */
#define CLI_WHO_MAX	80
static void cli_actor(struct hub_actor *, char *display, size_t len);

/* source set-threshold NAME AMOUNT|none: the risk flag over_threshold
 * (audited as the admin API's change is). */
static int
cmd_source_threshold(struct cli *c, int argc, char **argv)
{
	char id[HUB_UUID_TEXT_LEN + 1], who[CLI_WHO_MAX], *end;
	struct hub_actor actor;
	struct hub_problem p;
	json_object *in, *out = NULL;
	double v = 0;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "approvalhub: source set-threshold: NAME and AMOUNT (or none)"
		    " are required\n");
		return 2;
	}
	if (strcmp(argv[1], "none") != 0 && ((v = strtod(argv[1], &end)) < 0 ||
	    end == argv[1] || *end != '\0')) {
		fprintf(stderr, "approvalhub: source set-threshold: AMOUNT must be a number"
		    " >= 0, or none\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	if (hub_reqquery_source_id(c->db, argv[0], id, &p) != HUB_REQQUERY_OK) {
		fprintf(stderr, "approvalhub: source set-threshold: no source named %s\n", argv[0]);
		return 1;
	}
	if ((in = json_object_new_object()) == NULL ||
	    json_object_object_add(in, "risk_amount_threshold", strcmp(argv[1], "none") == 0 ?
	    NULL : json_object_new_double(v)) != 0) {
		json_object_put(in);
		return 1;
	}
	cli_actor(&actor, who, sizeof(who));
	rc = hub_srcadm_patch(c->db, &c->conf, id, in, &actor, &out, &p);
	json_object_put(in);
	json_object_put(out);
	if (rc != HUB_SRCADM_OK) {
		fprintf(stderr, "approvalhub: source set-threshold: %s\n",
		    p.message[0] ? p.message : "failed");
		return 1;
	}
	printf("source %s: risk amount threshold %s\n", argv[0], argv[1]);
	return 0;
}

static void
embed_progress(void *arg, long done, long total)
{
	(void)arg;
	/* one line, rewritten in place on a terminal */
	fprintf(stderr, "\rembedded %ld of %ld", done, total);
	fflush(stderr);
}

/* embed --missing: every request without an embedding, with progress. */
static int
cmd_embed(struct cli *c, int argc, char **argv)
{
	struct hub_httpc *http;
	char why[HUB_INFERENCE_DETAIL_MAX + 40] = "";
	long done = 0;
	int rc;

	if (!has_flag(argc, argv, "--missing")) {
		fprintf(stderr, "approvalhub: embed: only --missing is supported\n");
		return 2;
	}
	if (c->conf.embedding_url == NULL) {
		fprintf(stderr, "approvalhub: embed: EMBEDDING_URL is not set\n");
		return 1;
	}
	if ((http = hub_httpc_new()) == NULL)
		return 1;
	rc = hub_ai_embed_missing(c->db, &c->conf, http, embed_progress, NULL, &done, why,
	    sizeof(why));
	hub_httpc_free(http);
	fprintf(stderr, "%s", done > 0 ? "\n" : "");
	if (rc != HUB_AI_OK) {
		fprintf(stderr, "approvalhub: embed: stopped after %ld: %s\n", done,
		    rc == HUB_AI_SERVICE ? why : hub_db_last_error(c->db));
		return 1;
	}
	printf("embedded %ld requests\n", done);
	return 0;
}

static int
cmd_key_add_admin(struct cli *c, int argc, char **argv)
{
	struct hub_buf key = HUB_BUF_INIT(256);
	int rc;

	rc = hub_admin_key_add(c->db, NULL, argc > 0 ? argv[0] : "admin", &key);
	if (rc != HUB_ADMIN_OK) {
		fprintf(stderr, "approvalhub: key add-admin: %s\n", hub_admin_strerror(rc));
		hub_buf_release(&key);
		return 1;
	}
	printf("admin api key: %s\n", key.data);
	hub_buf_release(&key);
	return 0;
}

/* The admin banner, as doctor lines: a connection disabled (token revoked,
 * refresh refused...) or flagged for an admin is a warning, not a failure:
 * the hub runs on with its other connections.  So is having no (enabled)
 * connection or no default: requests are then reached by email only. */
static void
doctor_connections(struct hub_db *db)
{
	struct hub_conn *v = NULL;
	size_t n = 0, i, bad = 0, enabled = 0, dflt = 0;

	if (hub_connections_list(db, &v, &n) != HUB_CONN_OK) {
		printf("warn Slack connections could not be read\n");
		return;
	}
	for (i = 0; i < n; i++) {
		enabled += !v[i].disabled;
		dflt += v[i].is_default;
	}
	if (enabled == 0)
		printf("warn no %sSlack connection: nobody is reached in Slack, only by email "
		    "(setting delivery.user_not_found). %s\n", n > 0 ? "enabled " : "",
		    hub_slack_fix("no_connection"));
	else if (dflt == 0)
		printf("warn no default Slack connection: requests whose step, request and source "
		    "name none are reached by email only. Run: approvalhub connection set-default "
		    "NAME\n");
	for (i = 0; i < n; i++) {
		if (!v[i].disabled && !v[i].needs_admin_attention)
			continue;
		bad++;
		printf("warn connection %s %s: %s\n", v[i].name,
		    v[i].disabled ? "is disabled" : "needs attention",
		    v[i].disabled_reason[0] ? v[i].disabled_reason : "see approvalhub connection list");
	}
	if (n > 0 && bad == 0 && dflt > 0)
		printf("ok   Slack connections (%zu)\n", n);
	free(v);
}

/* Slack's {"ok": true}, however it is spaced. */
static int
slack_ok(const struct hub_buf *body)
{
	json_object *o = NULL;
	int ok = 0;

	if (body->len == 0 || hub_json_parse_object(body->data, body->len, body->len,
	    HUB_JSON_DEFAULT_DEPTH, &o) != HUB_JSON_OK || hub_json_get_bool(o, "ok", &ok) !=
	    HUB_JSON_OK)
		ok = 0;
	json_object_put(o);
	return ok;
}

/* doctor: each check prints one line; exit 1 when any failed. */
static int
cmd_doctor(struct cli *c, int argc, char **argv)
{
	char err[512];
	struct hub_httpc *http = NULL;
	struct hub_httpc_resp resp;
	struct hub_buf url = HUB_BUF_INIT(2048);
	struct hub_db_limits lim;
	int fails = 0, dbv = 0, binv = 0, rc;

	if (hub_conf_load(&c->conf, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET,
	    err, sizeof(err)) != 0) {
		printf("FAIL configuration: %s\n", err);
		return 1;
	}
	printf("ok   configuration\n");
	if (hub_tmpl_check_all() != HUB_TMPL_OK) {
		printf("FAIL templates: %s\n", hub_tmpl_errmsg());
		fails++;
	} else
		printf("ok   templates\n");
	hub_db_limits(&lim, HUB_DB_ROLE_ADMIN, &c->conf);
	if (hub_db_connect_limits(c->conf.database_url, &lim, &c->db) != HUB_DB_OK) {
		printf("FAIL database: %s\n", hub_db_last_error(c->db));
		fails++;
	} else {
		printf("ok   database\n");
		rc = hub_migrate_check(c->db, &dbv, &binv);
		if (rc == HUB_MIGRATE_OK) {
			printf("ok   migrations (schema version %d)\n", dbv);
			doctor_connections(c->db);
		} else {
			printf("FAIL migrations: database %d, binary %d: %s%s\n", dbv, binv,
			    hub_migrate_strerror(rc),
			    rc == HUB_MIGRATE_PENDING ? " (run: approvalhub migrate)" : "");
			fails++;
		}
	}
	if (c->conf.slack_signing_secret == NULL)
		printf("warn SLACK_SIGNING_SECRET is not set: Slack's requests will be refused\n");
	hub_buf_printf(&url, "%sapi.test", c->conf.slack_api_url);
	hub_httpc_resp_init(&resp, 64 * 1024);
	if ((http = hub_httpc_new()) == NULL ||
	    (rc = hub_httpc_post(http, url.data, NULL, "", 0, 5000, &resp)) != HUB_HTTPC_OK) {
		printf("FAIL Slack API at %s: %s\n", c->conf.slack_api_url,
		    http ? resp.error : "no HTTP client");
		fails++;
	} else if (resp.status != 200 || !slack_ok(&resp.body)) {
		printf("FAIL Slack API at %s: HTTP %ld\n", c->conf.slack_api_url, resp.status);
		fails++;
	} else
		printf("ok   Slack API reachable (%s)\n", c->conf.slack_api_url);
	hub_httpc_resp_free(&resp);
	hub_httpc_free(http);
	hub_buf_release(&url);
	printf("%s\n", fails ? "doctor: problems found" : "doctor: all checks passed");
	return fails ? 1 : 0;
}

/* ---------------------------------------------------------- connection */

/* The Slack client the connection commands share: this process's HTTP
 * handle and the keyring that seals and opens connection secrets. */
struct cli_slack {
	struct hub_keyring	 keyring;
	struct hub_slack	 slack;
};

static int
cli_slack_open(struct cli *c, struct cli_slack *cs)
{
	memset(cs, 0, sizeof(*cs));
	if (hub_keyring_add(&cs->keyring, c->conf.secret_key) != HUB_CRYPTO_OK ||
	    (cs->slack.http = hub_httpc_new()) == NULL) {
		fprintf(stderr, "approvalhub: cannot set up the Slack client\n");
		return -1;
	}
	cs->slack.api_url = c->conf.slack_api_url;
	cs->slack.keyring = &cs->keyring;
	return 0;
}

static void
cli_slack_close(struct cli_slack *cs)
{
	hub_httpc_free(cs->slack.http);
	memset(&cs->keyring, 0, sizeof(cs->keyring));
}

/* One line from standard input into b (secrets stay out of shell history
 * and ps). */
static int
read_secret_line(struct hub_buf *b, const char *what)
{
	char line[2048];

	if (fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "approvalhub: connection add: no %s on standard input\n", what);
		return -1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	hub_buf_reset(b);
	hub_buf_adds(b, line);
	memset(line, 0, sizeof(line));
	return 0;
}

static void
print_slack_failure(const char *cmd, const struct hub_slack_result *res, const char *fix)
{
	fprintf(stderr, "approvalhub: %s: Slack answered %s (%s)%s%s\n", cmd,
	    res->error[0] ? res->error : "nothing", hub_slack_class_name(res->cls),
	    res->detail[0] ? ": " : "", res->detail);
	fprintf(stderr, "fix: %s\n", fix != NULL && *fix ? fix : hub_slack_fix(res->error));
}

/* The NAME and options of `connection add` as a spec (secrets read from
 * stdin into tok and hook when asked): 0, or -1 after saying what is
 * missing. */
static int
add_spec(int argc, char **argv, struct hub_conn_spec *spec, struct hub_buf *tok,
    struct hub_buf *hook)
{
	int t;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "approvalhub: connection add: a NAME is required\n");
		return -1;
	}
	if ((t = hub_conn_type_parse(opt(argc, argv, "--type"))) < 0) {
		fprintf(stderr, "approvalhub: connection add: --type SLACK_APP, INCOMING_WEBHOOK "
		    "or INCOMING_WEBHOOK_LOOKUP is required\n");
		return -1;
	}
	spec->name = argv[0];
	spec->type = (enum hub_conn_type)t;
	spec->token = opt(argc, argv, "--token");
	spec->webhook_url = opt(argc, argv, "--webhook-url");
	spec->channel = opt(argc, argv, "--channel");
	spec->is_default = has_flag(argc, argv, "--default");
	if (has_flag(argc, argv, "--token-stdin")) {
		if (read_secret_line(tok, "token") != 0)
			return -1;
		spec->token = hub_buf_str(tok);
	}
	if (has_flag(argc, argv, "--webhook-url-stdin")) {
		if (read_secret_line(hook, "webhook URL") != 0)
			return -1;
		spec->webhook_url = hub_buf_str(hook);
	}
	return 0;
}

/* hub_connections_add's answer rc as the command's output and exit
 * status. */
static int
add_report(int rc, const struct hub_slack_result *res, const struct hub_buf *fix,
    const struct hub_conn *conn)
{
	if (rc == HUB_CONN_SLACK) {
		print_slack_failure("connection add", res, hub_buf_str(fix));
		return 1;
	}
	if (rc != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection add: %s%s%s\n", hub_conn_strerror(rc),
		    fix->len ? ": " : "", hub_buf_str(fix));
		return rc == HUB_CONN_INVALID ? 2 : 1;
	}
	printf("connection %s added (%s%s%s%s%s, id %s)%s\n", conn->name,
	    hub_conn_type_name(conn->type), conn->team_id[0] ? ", team " : "", conn->team_id,
	    conn->default_channel[0] ? ", channel " : "", conn->default_channel, conn->id,
	    conn->is_default ? "; it is the default" : "");
	return 0;
}

static int
cmd_connection_add(struct cli *c, int argc, char **argv)
{
	struct hub_buf tok = HUB_BUF_INIT(1024), hook = HUB_BUF_INIT(1024),
	    fix = HUB_BUF_INIT(1024);
	struct hub_slack_result res;
	struct hub_conn_spec spec;
	struct hub_conn conn;
	struct cli_slack cs;
	int rc = 2;

	hub_slack_result_init(&res);
	memset(&spec, 0, sizeof(spec));
	if (add_spec(argc, argv, &spec, &tok, &hook) != 0)
		goto out;
	if (cli_slack_open(c, &cs) != 0) {
		rc = 1;
		goto out;
	}
	rc = hub_connections_add(c->db, &cs.slack, &spec, &conn, &res, &fix);
	rc = add_report(rc, &res, &fix, &conn);
	cli_slack_close(&cs);
out:
	if (tok.data != NULL)
		memset(tok.data, 0, tok.cap);
	if (hook.data != NULL)
		memset(hook.data, 0, hook.cap);
	hub_buf_release(&tok);
	hub_buf_release(&hook);
	hub_buf_release(&fix);
	hub_slack_result_free(&res);
	return rc;
}

static int
cmd_connection_list(struct cli *c, int argc, char **argv)
{
	struct hub_conn *v = NULL;
	char team[200];
	size_t n = 0, i;
	int rc;

	if ((rc = hub_connections_list(c->db, &v, &n)) != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection list: %s\n", hub_conn_strerror(rc));
		return 1;
	}
	printf("%-24s %-24s %-28s %-12s %-8s %s\n", "NAME", "TYPE", "TEAM", "CHANNEL", "DEFAULT",
	    "STATUS");
	for (i = 0; i < n; i++) {
		if (v[i].team_name[0])
			snprintf(team, sizeof(team), "%s (%s)", v[i].team_name, v[i].team_id);
		else
			snprintf(team, sizeof(team), "%s", v[i].team_id[0] ? v[i].team_id : "-");
		printf("%-24s %-24s %-28s %-12s %-8s %s%s%s\n", v[i].name,
		    hub_conn_type_name(v[i].type), team,
		    v[i].default_channel[0] ? v[i].default_channel : "-",
		    v[i].is_default ? "yes" : "-", v[i].disabled ? "disabled: " : "enabled",
		    v[i].disabled ? v[i].disabled_reason : "",
		    v[i].needs_admin_attention && !v[i].disabled ? " (needs attention)" : "");
	}
	free(v);
	return 0;
}

/* The test message through conn (a post to channel, or the webhook and,
 * for a lookup webhook, auth.test on its token): a HUB_CONN_* code. */
static int
test_send(struct cli *c, struct cli_slack *cs, struct hub_conn *conn, const char *channel,
    struct hub_slack_result *res)
{
	static const char text[] = "Approval hub connection test";
	json_object *msg = json_object_new_object();
	int rc;

	json_object_object_add(msg, "text", json_object_new_string(text));
	if (conn->type == HUB_CONN_SLACK_APP) {
		json_object_object_add(msg, "channel", json_object_new_string(channel));
		rc = hub_connections_call(c->db, &cs->slack, conn, "chat.postMessage", channel,
		    msg, res);
	} else {
		rc = hub_connections_webhook_post(c->db, &cs->slack, conn, msg, res);
		/* The lookup token is only used for users.lookupByEmail: check it
		 * answers for the workspace too. */
		if (rc == HUB_CONN_OK && conn->type == HUB_CONN_INCOMING_WEBHOOK_LOOKUP)
			rc = hub_connections_call(c->db, &cs->slack, conn, "auth.test", NULL, NULL,
			    res);
	}
	json_object_put(msg);
	return rc;
}

/* What Slack said to the test (rc from test_send), and the exit status. */
static int
test_report(struct cli *c, struct cli_slack *cs, const struct hub_conn *conn,
    const char *channel, int rc, struct hub_slack_result *res, int was_disabled)
{
	struct hub_buf fix = HUB_BUF_INIT(1024);
	const char *ts = NULL;

	if (rc == HUB_CONN_SLACK) {
		if (res->cls == HUB_SLACK_CHANNEL && conn->type == HUB_CONN_SLACK_APP)
			hub_connections_check_channel(c->db, &cs->slack, conn, channel, res, &fix);
		print_slack_failure("connection test", res, hub_buf_str(&fix));
		if (res->cls == HUB_SLACK_AUTH)
			fprintf(stderr, "the connection is now disabled\n");
		hub_buf_release(&fix);
		return 1;
	}
	if (rc != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection test: %s\n", hub_conn_strerror(rc));
		return 1;
	}
	if (conn->type == HUB_CONN_SLACK_APP) {
		hub_json_get_string(res->resp, "ts", 64, &ts);
		printf("ok: Slack accepted the test message in %s (ts %s)\n", channel,
		    ts ? ts : "?");
	} else
		printf("ok: the webhook accepted the test message (Slack answered \"ok\")%s\n",
		    conn->type == HUB_CONN_INCOMING_WEBHOOK_LOOKUP ? "; the lookup token is valid" :
		    "");
	if (was_disabled)
		printf("the connection is disabled; enable it with: approvalhub connection "
		    "enable %s\n", conn->name);
	return 0;
}

static int
cmd_connection_test(struct cli *c, int argc, char **argv)
{
	struct hub_slack_result res;
	struct hub_conn conn;
	struct cli_slack cs;
	const char *channel = opt(argc, argv, "--channel");
	int rc, was_disabled;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "approvalhub: connection test: a NAME is required\n");
		return 2;
	}
	if ((rc = hub_connections_get(c->db, argv[0], &conn)) != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection test: %s: %s\n", argv[0],
		    hub_conn_strerror(rc));
		return 1;
	}
	if (channel == NULL && conn.default_channel[0])
		channel = conn.default_channel;
	if (conn.type == HUB_CONN_SLACK_APP && channel == NULL) {
		fprintf(stderr, "approvalhub: connection test: %s has no default channel: "
		    "give --channel C...\n", conn.name);
		return 2;
	}
	if (cli_slack_open(c, &cs) != 0)
		return 1;
	hub_slack_result_init(&res);
	/* A test is how an admin checks a fix: try even a disabled one. */
	was_disabled = conn.disabled;
	conn.disabled = 0;
	rc = test_send(c, &cs, &conn, channel, &res);
	rc = test_report(c, &cs, &conn, channel, rc, &res, was_disabled);
	cli_slack_close(&cs);
	hub_slack_result_free(&res);
	return rc;
}

static int
cmd_connection_set_default(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: connection set-default: a NAME is required\n");
		return 2;
	}
	if ((rc = hub_connections_set_default(c->db, argv[0])) != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection set-default: %s: %s\n", argv[0],
		    hub_conn_strerror(rc));
		return 1;
	}
	printf("connection %s is the default\n", argv[0]);
	return 0;
}

static int
cmd_connection_disable(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "approvalhub: connection disable: a NAME is required\n");
		return 2;
	}
	rc = hub_connections_disable(c->db, argv[0], opt(argc, argv, "--reason"));
	if (rc != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection disable: %s: %s\n", argv[0],
		    hub_conn_strerror(rc));
		return 1;
	}
	printf("connection %s disabled\n", argv[0]);
	return 0;
}

static int
cmd_connection_enable(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: connection enable: a NAME is required\n");
		return 2;
	}
	if ((rc = hub_connections_enable(c->db, argv[0])) != HUB_CONN_OK) {
		fprintf(stderr, "approvalhub: connection enable: %s: %s\n", argv[0],
		    hub_conn_strerror(rc));
		return 1;
	}
	printf("connection %s enabled\n", argv[0]);
	return 0;
}

static int
cmd_settings_list(struct cli *c, int argc, char **argv)
{
	const struct hub_setting *s;
	struct hub_buf v = HUB_BUF_INIT(1024);

	for (s = hub_settings; s->key != NULL; s++) {
		hub_buf_reset(&v);
		if (hub_settings_get(c->db, s->key, &v) != HUB_SETTINGS_OK) {
			fprintf(stderr, "approvalhub: settings: %s\n", hub_db_last_error(c->db));
			hub_buf_release(&v);
			return 1;
		}
		printf("%-32s %-12s %s\n", s->key, v.len ? v.data : "(unset)", s->help);
	}
	hub_buf_release(&v);
	return 0;
}

static int
cmd_settings_get(struct cli *c, int argc, char **argv)
{
	struct hub_buf v = HUB_BUF_INIT(1024);
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: settings get: a KEY is required\n");
		return 2;
	}
	if ((rc = hub_settings_get(c->db, argv[0], &v)) != HUB_SETTINGS_OK) {
		fprintf(stderr, "approvalhub: settings get %s: %s\n", argv[0], hub_settings_strerror(rc));
		hub_buf_release(&v);
		return 1;
	}
	printf("%s\n", hub_buf_str(&v));
	hub_buf_release(&v);
	return 0;
}

#define SETTING_ERR_MAX	256

/* settings set / unset: the change and its audit row (adminlog.h). */
static int
cmd_settings_set(struct cli *c, int argc, char **argv)
{
	struct hub_actor actor;
	char err[SETTING_ERR_MAX], who[CLI_WHO_MAX];

	if (argc < 2) {
		fprintf(stderr, "approvalhub: settings set: KEY and VALUE are required\n");
		return 2;
	}
	cli_actor(&actor, who, sizeof(who));
	if (hub_adminlog_setting(c->db, &actor, argv[0], argv[1], err, sizeof(err)) !=
	    HUB_ADMINLOG_OK) {
		fprintf(stderr, "approvalhub: settings set: %s\n", err);
		return 1;
	}
	printf("%s = %s\n", argv[0], argv[1]);
	return 0;
}

static int
cmd_settings_unset(struct cli *c, int argc, char **argv)
{
	struct hub_actor actor;
	char err[SETTING_ERR_MAX], who[CLI_WHO_MAX];

	if (argc < 1) {
		fprintf(stderr, "approvalhub: settings unset: a KEY is required\n");
		return 2;
	}
	cli_actor(&actor, who, sizeof(who));
	if (hub_adminlog_setting(c->db, &actor, argv[0], NULL, err, sizeof(err)) !=
	    HUB_ADMINLOG_OK) {
		fprintf(stderr, "approvalhub: settings unset %s: %s\n", argv[0], err);
		return 1;
	}
	printf("%s is back to its default\n", argv[0]);
	return 0;
}

/* manifest: the Slack app manifest for this hub, as JSON on stdout. */
static int
cmd_manifest(struct cli *c, int argc, char **argv)
{
	const char *name = opt(argc, argv, "--name");
	json_object *m = hub_manifest(c->conf.public_url, name);

	if (m == NULL) {
		fprintf(stderr, "approvalhub: manifest: PUBLIC_URL must be an http(s) URL\n");
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(m);
	return 0;
}

/* ---------------------------------------------------------- groups, delegations */

/* The audit log's actor for CLI changes: the login that ran the command. */
static void
cli_actor(struct hub_actor *a, char *display, size_t len)
{
	const char *u = getenv("SUDO_USER");

	if (u == NULL || *u == '\0')
		u = getenv("USER");
	if (u == NULL || *u == '\0')
		u = "unknown";
	snprintf(display, len, "cli:%.64s", u);
	memset(a, 0, sizeof(*a));
	a->kind = "cli";
	a->id = display + 4;
	a->display = display;
	a->via = "cli";
}

/* A refusal from groups.h as one line on stderr (field: message); exit 1. */
static int
groups_fail(const char *cmd, int rc, const struct hub_problem *p, struct hub_db *db)
{
	if (rc == HUB_GROUPS_DB)
		fprintf(stderr, "approvalhub: %s: database error: %s\n", cmd, hub_db_last_error(db));
	else if (p->field != NULL && p->message[0] != '\0' && rc != HUB_GROUPS_NOTFOUND)
		fprintf(stderr, "approvalhub: %s: %s: %s\n", cmd, p->field, p->message);
	else
		fprintf(stderr, "approvalhub: %s: %s\n", cmd,
		    p->message[0] ? p->message : hub_groups_strerror(rc));
	return 1;
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

/* The value of a {kind, value} person member of o ("U123", "a@b.c"). */
static const char *
jperson(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return jstr(v, "value");
}

static int
cmd_group_add(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	struct hub_actor actor;
	json_object *in, *members, *out = NULL;
	char who[80];
	int i, rc;

	if (argc < 1 || argv[0][0] == '-') {
		fprintf(stderr, "approvalhub: group add: a NAME is required\n");
		return 2;
	}
	in = json_object_new_object();
	members = json_object_new_array();
	json_object_object_add(in, "name", json_object_new_string(argv[0]));
	json_object_object_add(in, "members", members);
	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--member") == 0) {
			json_object_array_add(members, json_object_new_string(argv[++i]));
		} else if (i + 1 < argc && strcmp(argv[i], "--description") == 0) {
			json_object_object_add(in, "description", json_object_new_string(argv[++i]));
		} else {
			fprintf(stderr, "approvalhub: group add: unexpected '%s' "
			    "(--member M, --description D)\n", argv[i]);
			json_object_put(in);
			return 2;
		}
	}
	cli_actor(&actor, who, sizeof(who));
	if ((rc = hub_groups_create(c->db, in, &actor, &out, &p)) != HUB_GROUPS_OK) {
		rc = groups_fail("group add", rc, &p, c->db);
		json_object_put(in);
		return rc;
	}
	printf("group %s created with %s member(s)\n", argv[0], jstr(out, "member_count"));
	json_object_put(out);
	json_object_put(in);
	return 0;
}

static int
cmd_group_list(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	json_object *out, *arr, *g;
	size_t i;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = hub_groups_list(c->db, &out, &p)) != HUB_GROUPS_OK)
		return groups_fail("group list", rc, &p, c->db);
	json_object_object_get_ex(out, "groups", &arr);
	printf("%-32s %-8s %s\n", "NAME", "MEMBERS", "DESCRIPTION");
	for (i = 0; i < json_object_array_length(arr); i++) {
		g = json_object_array_get_idx(arr, i);
		printf("%-32s %-8s %s\n", jstr(g, "name"), jstr(g, "member_count"),
		    jstr(g, "description"));
	}
	json_object_put(out);
	return 0;
}

static int
cmd_group_show(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	json_object *out, *arr, *m;
	size_t i;
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: group show: a NAME is required\n");
		return 2;
	}
	if ((rc = hub_groups_get(c->db, argv[0], &out, &p)) != HUB_GROUPS_OK)
		return groups_fail("group show", rc, &p, c->db);
	printf("group %s (%s members, created %s)\n", jstr(out, "name"), jstr(out, "member_count"),
	    jstr(out, "created_at"));
	if (strcmp(jstr(out, "description"), "-") != 0)
		printf("description: %s\n", jstr(out, "description"));
	json_object_object_get_ex(out, "members", &arr);
	for (i = 0; i < json_object_array_length(arr); i++) {
		m = json_object_array_get_idx(arr, i);
		printf("  %-6s %s\n", jstr(m, "kind"), jstr(m, "value"));
	}
	json_object_put(out);
	return 0;
}

static int
cmd_group_member_add(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	struct hub_actor actor;
	char who[80];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "approvalhub: group member add: NAME and MEMBER are required\n");
		return 2;
	}
	cli_actor(&actor, who, sizeof(who));
	rc = hub_groups_member_add(c->db, argv[0], argv[1], &actor, NULL, &p);
	if (rc != HUB_GROUPS_OK)
		return groups_fail("group member add", rc, &p, c->db);
	printf("%s added to group %s\n", argv[1], argv[0]);
	return 0;
}

static int
cmd_group_member_remove(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	struct hub_actor actor;
	char who[80];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "approvalhub: group member remove: NAME and MEMBER are required\n");
		return 2;
	}
	cli_actor(&actor, who, sizeof(who));
	rc = hub_groups_member_remove(c->db, argv[0], argv[1], &actor, &p);
	if (rc != HUB_GROUPS_OK)
		return groups_fail("group member remove", rc, &p, c->db);
	printf("%s removed from group %s\n", argv[1], argv[0]);
	return 0;
}

static int
cmd_group_delete(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	struct hub_actor actor;
	char who[80];
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: group delete: a NAME is required\n");
		return 2;
	}
	cli_actor(&actor, who, sizeof(who));
	if ((rc = hub_groups_delete(c->db, argv[0], &actor, &p)) != HUB_GROUPS_OK)
		return groups_fail("group delete", rc, &p, c->db);
	printf("group %s deleted (requests already created keep their approvers)\n", argv[0]);
	return 0;
}

static void
print_delegation(json_object *d)
{
	printf("%-8s %-32s %-32s %-10s %-10s %s\n", jstr(d, "id"), jperson(d, "approver"),
	    jperson(d, "delegate"), jstr(d, "valid_from"), jstr(d, "valid_to"), jstr(d, "status"));
}

static int
cmd_delegate_add(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	struct hub_actor actor;
	json_object *in, *out = NULL;
	const char *from = opt(argc, argv, "--from"), *to = opt(argc, argv, "--to");
	char who[80];
	int rc;

	if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-' || from == NULL || to == NULL) {
		fprintf(stderr, "approvalhub: delegate add: APPROVER DELEGATE --from YYYY-MM-DD "
		    "--to YYYY-MM-DD\n");
		return 2;
	}
	in = json_object_new_object();
	json_object_object_add(in, "approver", json_object_new_string(argv[0]));
	json_object_object_add(in, "delegate", json_object_new_string(argv[1]));
	json_object_object_add(in, "valid_from", json_object_new_string(from));
	json_object_object_add(in, "valid_to", json_object_new_string(to));
	cli_actor(&actor, who, sizeof(who));
	if ((rc = hub_deleg_add(c->db, in, &actor, &out, &p)) != HUB_GROUPS_OK) {
		rc = groups_fail("delegate add", rc, &p, c->db);
		json_object_put(in);
		return rc;
	}
	printf("delegation %s: %s decides for %s from %s to %s (%s)\n", jstr(out, "id"),
	    jperson(out, "delegate"), jperson(out, "approver"), jstr(out, "valid_from"),
	    jstr(out, "valid_to"), jstr(out, "status"));
	json_object_put(out);
	json_object_put(in);
	return 0;
}

static int
cmd_delegate_list(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	json_object *out, *arr;
	const char *approver = argc > 0 && argv[0][0] != '-' ? argv[0] : NULL;
	size_t i;
	int rc;

	rc = hub_deleg_list(c->db, approver, has_flag(argc, argv, "--active"), &out, &p);
	if (rc != HUB_GROUPS_OK)
		return groups_fail("delegate list", rc, &p, c->db);
	json_object_object_get_ex(out, "delegations", &arr);
	printf("%-8s %-32s %-32s %-10s %-10s %s\n", "ID", "APPROVER", "DELEGATE", "FROM", "TO",
	    "STATUS");
	for (i = 0; i < json_object_array_length(arr); i++)
		print_delegation(json_object_array_get_idx(arr, i));
	json_object_put(out);
	return 0;
}

static int
cmd_delegate_revoke(struct cli *c, int argc, char **argv)
{
	struct hub_problem p;
	struct hub_actor actor;
	char who[80];
	int rc;

	if (argc < 1) {
		fprintf(stderr, "approvalhub: delegate revoke: an ID is required\n");
		return 2;
	}
	cli_actor(&actor, who, sizeof(who));
	if ((rc = hub_deleg_revoke(c->db, argv[0], &actor, NULL, &p)) != HUB_GROUPS_OK)
		return groups_fail("delegate revoke", rc, &p, c->db);
	printf("delegation %s revoked (requests created from now on do not get the delegate)\n",
	    argv[0]);
	return 0;
}

static const struct cmd cmds[] = {
	{ "migrate", 1, HUB_CONF_NEED_DATABASE, 1, cmd_migrate,
	  "migrate [--check]            apply (or check) database migrations" },
	{ "user add", 2, HUB_CONF_NEED_DATABASE, 1, cmd_user_add,
	  "user add NAME [--role admin|requester|viewer] [--email E] [--password-stdin]" },
	{ "source add", 2, HUB_CONF_NEED_DATABASE, 1, cmd_source_add,
	  "source add NAME              create a source; prints its API key once" },
	{ "source rotate-key", 2, HUB_CONF_NEED_DATABASE, 1, cmd_source_rotate,
	  "source rotate-key NAME       revoke a source's keys, print a new one" },
	{ "source set-threshold", 2, HUB_CONF_NEED_DATABASE, 1, cmd_source_threshold,
	  "source set-threshold NAME AMOUNT|none   flag requests above this amount" },
	{ "embed", 1, HUB_CONF_NEED_DATABASE, 1, cmd_embed,
	  "embed --missing              embed requests that have no embedding (semantic search)" },
	{ "key add-admin", 2, HUB_CONF_NEED_DATABASE, 1, cmd_key_add_admin,
	  "key add-admin [NAME]         create an admin API key; prints it once" },
	{ "settings set", 2, HUB_CONF_NEED_DATABASE, 1, cmd_settings_set,
	  "settings set KEY VALUE       change a setting (see settings list)" },
	{ "settings get", 2, HUB_CONF_NEED_DATABASE, 1, cmd_settings_get,
	  "settings get KEY             print a setting's current value" },
	{ "settings unset", 2, HUB_CONF_NEED_DATABASE, 1, cmd_settings_unset,
	  "settings unset KEY           back to the default" },
	{ "settings", 1, HUB_CONF_NEED_DATABASE, 1, cmd_settings_list,
	  "settings                     list every setting, its value and meaning" },
	{ "manifest", 1, HUB_CONF_NEED_PUBLIC, 0, cmd_manifest,
	  "manifest [--name NAME]       the Slack app manifest for this hub (JSON)" },
	{ "doctor", 1, 0, 0, cmd_doctor,
	  "doctor                       check configuration, database, migrations, Slack" },
	{ "connection add", 2, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET, 1, cmd_connection_add,
	  "connection add NAME --type SLACK_APP|INCOMING_WEBHOOK|INCOMING_WEBHOOK_LOOKUP\n"
	  "      [--token xoxb-... | --token-stdin] [--webhook-url URL | --webhook-url-stdin]\n"
	  "      [--channel C...] [--default]   add a Slack connection (secrets sealed)" },
	{ "connection list", 2, HUB_CONF_NEED_DATABASE, 1, cmd_connection_list,
	  "connection list              connections with type, team, default, status" },
	{ "connection test", 2, HUB_CONF_NEED_DATABASE | HUB_CONF_NEED_SECRET, 1,
	  cmd_connection_test,
	  "connection test NAME [--channel C...]   post a test message, print Slack's answer" },
	{ "connection set-default", 2, HUB_CONF_NEED_DATABASE, 1, cmd_connection_set_default,
	  "connection set-default NAME  make it the default connection" },
	{ "connection disable", 2, HUB_CONF_NEED_DATABASE, 1, cmd_connection_disable,
	  "connection disable NAME [--reason R]   stop delivering through it" },
	{ "connection enable", 2, HUB_CONF_NEED_DATABASE, 1, cmd_connection_enable,
	  "connection enable NAME       deliver through it again, clear the admin banner" },
	{ "group add", 2, HUB_CONF_NEED_DATABASE, 1, cmd_group_add,
	  "group add NAME [--member M ...] [--description D]   an approver group (group:NAME)" },
	{ "group list", 2, HUB_CONF_NEED_DATABASE, 1, cmd_group_list,
	  "group list                   groups with their member counts" },
	{ "group show", 2, HUB_CONF_NEED_DATABASE, 1, cmd_group_show,
	  "group show NAME              a group and its members" },
	{ "group member add", 3, HUB_CONF_NEED_DATABASE, 1, cmd_group_member_add,
	  "group member add NAME MEMBER   add a Slack user id or an email" },
	{ "group member remove", 3, HUB_CONF_NEED_DATABASE, 1, cmd_group_member_remove,
	  "group member remove NAME MEMBER" },
	{ "group delete", 2, HUB_CONF_NEED_DATABASE, 1, cmd_group_delete,
	  "group delete NAME            delete a group (existing requests keep their approvers)" },
	{ "delegate add", 2, HUB_CONF_NEED_DATABASE, 1, cmd_delegate_add,
	  "delegate add APPROVER DELEGATE --from YYYY-MM-DD --to YYYY-MM-DD" },
	{ "delegate list", 2, HUB_CONF_NEED_DATABASE, 1, cmd_delegate_list,
	  "delegate list [APPROVER] [--active]   delegations, newest first" },
	{ "delegate revoke", 2, HUB_CONF_NEED_DATABASE, 1, cmd_delegate_revoke,
	  "delegate revoke ID           revoke a delegation" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: approvalhub COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < HUB_NELEM(cmds); i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "\nConfiguration comes from the environment and the file named by "
	    "APPROVALHUB_CONF.\n");
}

/* Does argv start with the command's words? */
static int
matches(const struct cmd *cmd, int argc, char **argv)
{
	char words[64];
	char *w, *save = NULL;
	int i = 0;

	snprintf(words, sizeof(words), "%s", cmd->words);
	for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), i++)
		if (i >= argc || strcmp(argv[i], w) != 0)
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	struct hub_db_limits lim;
	struct cli c;
	char err[512];
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < HUB_NELEM(cmds); i++)
		if (matches(&cmds[i], argc - 1, argv + 1))
			break;
	if (i == HUB_NELEM(cmds)) {
		fprintf(stderr, "approvalhub: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (cmds[i].need) {
		if (hub_conf_load(&c.conf, cmds[i].need, err, sizeof(err)) != 0) {
			fprintf(stderr, "approvalhub: %s\n", err);
			return 1;
		}
		hub_log_init("approvalhub", c.conf.log_level);
	} else
		hub_log_init("approvalhub", HUB_LOG_WARN);
	hub_db_limits(&lim, HUB_DB_ROLE_ADMIN, &c.conf);
	if (cmds[i].needs_db && hub_db_connect_limits(c.conf.database_url, &lim, &c.db) !=
	    HUB_DB_OK) {
		fprintf(stderr, "approvalhub: cannot connect to the database: %s\n",
		    hub_db_last_error(c.db));
		hub_conf_free(&c.conf);
		return 1;
	}
	rc = cmds[i].run(&c, argc - 1 - cmds[i].nwords, argv + 1 + cmds[i].nwords);
	hub_db_close(c.db);
	hub_conf_free(&c.conf);
	return rc;
}
