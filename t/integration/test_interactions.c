/*
 * test_interactions.c - POST /slack/interactions and /slack/commands
 * through the real nginx, with signed, Slack-shaped payloads: approve and
 * its idempotence (a second click, 100 concurrent clicks), refusals that
 * change nothing (not an approver, wrong or unknown team), the reject and
 * edit modals (views.open recorded by the fake, expired trigger, errors
 * and clear on submission, edits carried by the callback), snooze,
 * remind from the Home tab, URL buttons, /approvals with search, the
 * signature gate and malformed payloads.
 *
 * Every test makes its own team, connection, source and users, so tests
 * never see each other's rows.  The stack's worker runs meanwhile; the
 * slack_respond jobs are checked as rows (and one is run by hand).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "slack/blockkit.h"
#include "slack/bkvalid.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "store/db.h"
#include "approval/engine.h"
#include "base/form.h"
#include "base/httpc.h"
#include "approval/intake.h"
#include "slack/interact.h"
#include "slack/respond.h"
#include "store/jobs.h"
#include "slack/slacksig.h"
#include "testlib.h"
#include "store/job.h"

static struct hub_db *db;

static void
setup(void)
{
	cr_assert_eq(hub_db_connect_limits(th_env("DATABASE_URL"), NULL, &db), HUB_DB_OK);
}

static void
teardown(void)
{
	hub_db_close(db);
	db = NULL;
}

TestSuite(interactions, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ SQL */

enum t_stmt {
	T_CONN,
	T_SOURCE,
	T_ASG,
	T_REQ,
	T_JOBS,
	T_RESPOND,
	T_RESPOND_DM,
	T_SNAPSHOT,
	T_AUDIT,
	T_CALLBACK_EDIT,
	T_TOMORROW9,
	T_GLOBAL,
	T_SNOOZED,
	T_REMIND_NOW,
	T_REMINDERS,
	T__MAX
};

static const struct hub_stmt t_stmts[T__MAX] = {
	[T_CONN] = {
	    "INSERT INTO slack_connections (name, type, team_id, bot_token_enc, bot_user_id)"
	    " VALUES ($1, 'SLACK_APP', $2, $3, 'UBOT') RETURNING id", 3 },
	/* name, connection, callback url, reason required, editable */
	[T_SOURCE] = {
	    "INSERT INTO sources (name, connection_id, callback_url, reason_required,"
	    " editable_fields) VALUES ($1, $2::uuid, $3, $4::boolean, $5::jsonb)"
	    " RETURNING id", 5 },
	[T_ASG] = { "SELECT id FROM assignments WHERE request_id = $1::uuid ORDER BY id", 1 },
	/* status, decided_by, metadata, comment, next reminder */
	[T_REQ] = {
	    "SELECT status, coalesce(decided_by, ''), metadata::text,"
	    " coalesce(decision_comment, ''),"
	    " coalesce(to_char(next_reminder_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '')"
	    " FROM requests WHERE id = $1::uuid", 1 },
	[T_JOBS] = {
	    "SELECT count(*) FROM jobs WHERE kind = $2"
	    " AND (payload->>'request_id' = $1 OR payload->'body'->>'id' = $1)", 2 },
	/* slack_respond jobs to a response_url, in order */
	[T_RESPOND] = {
	    "SELECT payload->'body'->>'text', coalesce(payload->'body'->>'response_type', ''),"
	    " coalesce(payload->'body'->>'replace_original', ''),"
	    " coalesce((payload->'body'->'blocks')::text, ''), payload::text"
	    " FROM jobs WHERE kind = 'slack_respond' AND payload->>'response_url' = $1"
	    " ORDER BY id", 1 },
	[T_RESPOND_DM] = {
	    "SELECT payload->'body'->>'text', payload->>'connection_id'"
	    " FROM jobs WHERE kind = 'slack_respond' AND payload->>'user' = $1"
	    " ORDER BY id", 1 },
	/* what a refused click must leave as it was */
	[T_SNAPSHOT] = {
	    "SELECT concat_ws('|', (SELECT status || coalesce(decided_by, '') FROM requests"
	    "  WHERE id = $1::uuid),"
	    " (SELECT string_agg(status || coalesce(decided_by, ''), ',' ORDER BY id)"
	    "  FROM assignments WHERE request_id = $1::uuid),"
	    " (SELECT count(*) FROM audit_log WHERE request_id = $1::uuid),"
	    " (SELECT count(*) FROM jobs WHERE kind <> 'slack_respond'"
	    "  AND (payload->>'request_id' = $1::text OR payload->'body'->>'id' = $1::text)))", 1 },
	[T_AUDIT] = {
	    "SELECT count(*) FROM audit_log WHERE request_id = $1::uuid AND action = $2", 2 },
	[T_CALLBACK_EDIT] = {
	    "SELECT jsonb_typeof(payload->'body'->'edits'->'amount'),"
	    " payload->'body'->'edits'->>'amount', payload->'body'->>'status'"
	    " FROM jobs WHERE kind = 'http_post' AND payload->'body'->>'id' = $1", 1 },
	[T_TOMORROW9] = {
	    "SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC')"
	    " + interval '33 hours', 'YYYY-MM-DD HH24:MI')", 0 },
	/* rows a malformed payload must not add */
	[T_GLOBAL] = {
	    "SELECT concat_ws('|', (SELECT count(*) FROM audit_log),"
	    " (SELECT count(*) FROM jobs WHERE kind = 'slack_respond'),"
	    " (SELECT count(*) FROM requests WHERE status <> 'Pending'))", 0 },
	/* an assignment's snooze, as T_REQ shows times */
	[T_SNOOZED] = {
	    "SELECT coalesce(to_char(snoozed_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '')"
	    " FROM assignments WHERE id = $1::bigint", 1 },
	/* the reminder sweep's due time, now */
	[T_REMIND_NOW] = {
	    "UPDATE requests SET next_reminder_at = now() - interval '1 second'"
	    " WHERE id = $1::uuid", 1 },
	/* automatic reminder jobs for one assignment */
	[T_REMINDERS] = {
	    "SELECT count(*) FROM jobs WHERE kind = 'notify' AND payload->>'kind' = 'reminder'"
	    " AND payload->>'request_id' = $1 AND payload->>'assignment_id' = $2", 2 },
};

static const struct hub_stmt_table t_table = { "tinteract", t_stmts, T__MAX };

static PGresult *
tq(int stmt, const char *a, const char *b, const char *c, const char *d, const char *e)
{
	const char *p[5] = { a, b, c, d, e };
	PGresult *r = NULL;

	cr_assert_eq(hub_db_exec(db, &t_table, stmt, p, &r), HUB_DB_OK, "stmt %d: %s", stmt,
	    hub_db_last_error(db));
	return r;
}

/* First cell of a one-row statement, malloc'd. */
static char *
tq_str(int stmt, const char *a, const char *b)
{
	PGresult *r = tq(stmt, a, b, NULL, NULL, NULL);
	char *s;

	cr_assert_eq(PQntuples(r), 1, "stmt %d rows", stmt);
	s = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

static long long
tq_ll(int stmt, const char *a, const char *b)
{
	char *s = tq_str(stmt, a, b), *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	cr_assert(errno == 0 && end != s && *end == '\0', "not an integer: %s", s);
	free(s);
	return v;
}

/* ------------------------------------------------------------ fixtures */

struct fix {
	char	sfx[24];
	char	team[32];
	char	user[32];       /* the approver */
	char	requester[32];
	char	token[64];
	char	conn[40];
	char	source[40];
	char	source_name[64];
};

static void
suffix(char *out, size_t n)
{
	static int k;
	unsigned char rb[4];

	cr_assert_eq(hub_random_bytes(rb, sizeof(rb)), HUB_CRYPTO_OK);
	snprintf(out, n, "%X%02X%02X%02X%02X%X", (unsigned)getpid() & 0xFFFF, rb[0], rb[1],
	    rb[2], rb[3], ++k);
}

/* A connection for team with a sealed token the fake knows. */
static void
make_conn(const char *team, const char *token, char id[40])
{
	struct hub_buf key = HUB_BUF_INIT(64), sealed = HUB_BUF_INIT(4096);
	struct hub_keyring kr;
	const char *sk = th_env("SECRET_KEY");
	char name[80], body[512];
	json_object *o;
	PGresult *r;

	snprintf(body, sizeof(body), "[{\"token\":\"%s\",\"team_id\":\"%s\","
	    "\"team_name\":\"Team %s\",\"bot_user_id\":\"UBOT\"}]", token, team, team);
	o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/tokens", body);
	cr_assert_not_null(o, "fake tokens");
	json_object_put(o);
	memset(&kr, 0, sizeof(kr));
	cr_assert_eq(hub_base64_decode(sk, strlen(sk), 0, &key), HUB_CRYPTO_OK);
	cr_assert_eq(key.len, 32);
	cr_assert_eq(hub_keyring_add(&kr, (const unsigned char *)key.data), HUB_CRYPTO_OK);
	cr_assert_eq(hub_box_seal(&kr, token, strlen(token), &sealed), HUB_CRYPTO_OK);
	snprintf(name, sizeof(name), "conn-%s", team);
	r = tq(T_CONN, name, team, hub_buf_str(&sealed), NULL, NULL);
	snprintf(id, 40, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	hub_buf_release(&key);
	hub_buf_release(&sealed);
}

static void
fixture(struct fix *f, int reason_required, const char *editable)
{
	char cb[512];
	PGresult *r;

	memset(f, 0, sizeof(*f));
	suffix(f->sfx, sizeof(f->sfx));
	snprintf(f->team, sizeof(f->team), "T%s", f->sfx);
	snprintf(f->user, sizeof(f->user), "UA%s", f->sfx);
	snprintf(f->requester, sizeof(f->requester), "UR%s", f->sfx);
	snprintf(f->token, sizeof(f->token), "xoxb-test-%s", f->sfx);
	snprintf(f->source_name, sizeof(f->source_name), "src-%s", f->sfx);
	make_conn(f->team, f->token, f->conn);
	snprintf(cb, sizeof(cb), "%s/cb/%s", th_env("FAKE_CALLBACK_URL"), f->sfx);
	r = tq(T_SOURCE, f->source_name, f->conn, cb, reason_required ? "true" : "false",
	    editable != NULL ? editable : "[]");
	snprintf(f->source, sizeof(f->source), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* The fake knows the approver, so the worker's DM to them goes through. */
static void
fake_user(const struct fix *f)
{
	char body[256];

	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"team\":\"%s\",\"name\":\"pat\"}]",
	    f->user, f->team);
	json_object_put(th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));
}

/* A pending request for f->user; its id and the assignment id. */
static void
make_request(const struct fix *f, const char *title, char id[40], char asg[24])
{
	struct hub_actor actor = { "api", "test", NULL, "test", "api" };
	struct hub_intake_error ierr;
	struct hub_engine_error eerr;
	struct hub_outcome out;
	json_object *in, *norm = NULL;
	char body[2048];
	PGresult *r;

	snprintf(body, sizeof(body),
	    "{\"request_source\":\"%s\",\"requester_name\":\"Ana Requester\","
	    "\"requester_slack_id\":\"%s\",\"approver_id\":\"%s\","
	    "\"justification_text\":\"Team offsite\",\"title\":\"%s\","
	    "\"metadata\":{\"amount\":1250,\"vendor\":\"Acme\"}}",
	    f->source_name, f->requester, f->user, title);
	cr_assert_not_null(in = json_tokener_parse(body));
	cr_assert_eq(hub_intake_validate(in, NULL, &norm, &ierr), HUB_INTAKE_OK, "%s %s",
	    ierr.field, ierr.message);
	cr_assert_eq(hub_engine_create(db, f->source, norm, &actor, &out, &eerr),
	    HUB_ENGINE_OK, "%s %s", eerr.field, eerr.message);
	snprintf(id, 40, "%s", out.id);
	r = tq(T_ASG, id, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), 1);
	snprintf(asg, 24, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	json_object_put(in);
	json_object_put(norm);
}

/* A response_url the fake accepts (5 uses, 30 minutes). */
static void
response_url(char *out, size_t n)
{
	json_object *o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/response_url",
	    "{\"channel\":\"C1\",\"message_ts\":\"1700000000.000100\",\"user\":\"U1\"}");
	json_object *p;

	cr_assert(o != NULL && json_object_object_get_ex(o, "path", &p), "response_url");
	snprintf(out, n, "%s%s", th_env("FAKE_SLACK_URL"), json_object_get_string(p));
	json_object_put(o);
}

static void
trigger(const char *body, char *out, size_t n)
{
	json_object *o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/trigger", body), *t;

	cr_assert(o != NULL && json_object_object_get_ex(o, "trigger_id", &t), "trigger");
	snprintf(out, n, "%s", json_object_get_string(t));
	json_object_put(o);
}

/* POST a form body to path, signed now. */
static void
post_form(const char *path, const char *body, struct th_resp *r)
{
	cr_assert_eq(th_slack_post(path, "application/x-www-form-urlencoded", body,
	    strlen(body), (long)time(NULL), r), 0, "transport");
}

/* payload=<json> */
static void
post_payload(json_object *payload, struct th_resp *r)
{
	struct hub_buf b = HUB_BUF_INIT(4u << 20);
	const char *s = json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);

	cr_assert_eq(hub_buf_adds(&b, "payload="), HUB_BUF_OK);
	cr_assert_eq(hub_url_encode(s, strlen(s), &b), HUB_BUF_OK);
	post_form("/slack/interactions", hub_buf_str(&b), r);
	hub_buf_release(&b);
}

struct click {
	const char	*user;
	const char	*team;
	const char	*action_id;
	const char	*request;
	const char	*asg;        /* NULL: no "a" */
	const char	*response_url;
	const char	*trigger;
	const char	*option;     /* overflow selected value */
	int		 home;       /* from the Home tab: a view, no message */
};

/* A block_actions payload as Slack sends it for a click in our message. */
static json_object *
click_payload(const struct click *c)
{
	char value[160], blk[80], js[4096];
	json_object *o;

	if (c->asg != NULL)
		snprintf(value, sizeof(value), "{\\\"r\\\":\\\"%s\\\",\\\"a\\\":%s}", c->request,
		    c->asg);
	else
		snprintf(value, sizeof(value), "{\\\"r\\\":\\\"%s\\\"}", c->request);
	snprintf(blk, sizeof(blk), "hub_actions:%s", c->request);
	snprintf(js, sizeof(js),
	    "{\"type\":\"block_actions\","
	    "\"user\":{\"id\":\"%s\",\"username\":\"pat\",\"name\":\"pat\",\"team_id\":\"%s\"},"
	    "\"api_app_id\":\"A1\",\"token\":\"legacy\","
	    "\"team\":{\"id\":\"%s\",\"domain\":\"example\"},"
	    "\"trigger_id\":\"%s\","
	    "\"actions\":[{\"action_id\":\"%s\",\"block_id\":\"%s\",\"type\":\"%s\","
	    "%s%s%s"
	    "\"text\":{\"type\":\"plain_text\",\"text\":\"Click\"},\"action_ts\":\"1700000001.1\"}]}",
	    c->user, c->team, c->team, c->trigger ? c->trigger : "1.2.3",
	    c->action_id, blk, c->option ? "overflow" : "button",
	    c->option ? "" : "\"value\":\"", c->option ? "" : value, c->option ? "" : "\",");
	cr_assert_not_null(o = json_tokener_parse(js), "payload json: %s", js);
	if (c->option != NULL) {
		json_object *a = json_object_array_get_idx(json_object_object_get(o, "actions"), 0);
		json_object *so = json_object_new_object();

		json_object_object_add(so, "value", json_object_new_string(c->option));
		json_object_object_add(a, "selected_option", so);
	}
	if (c->home) {
		json_object_object_add(o, "view", json_tokener_parse(
		    "{\"id\":\"V1\",\"type\":\"home\",\"private_metadata\":\"\","
		    "\"callback_id\":\"\",\"state\":{\"values\":{}}}"));
		json_object_object_add(o, "container", json_tokener_parse(
		    "{\"type\":\"view\",\"view_id\":\"V1\"}"));
	} else {
		snprintf(js, sizeof(js),
		    "{\"type\":\"message\",\"text\":\"Approval request\",\"ts\":\"1700000000.000100\","
		    "\"blocks\":[{\"type\":\"section\",\"block_id\":\"s1\",\"text\":{\"type\":"
		    "\"mrkdwn\",\"text\":\"*Offsite*\"}},{\"type\":\"actions\",\"block_id\":\"%s\","
		    "\"elements\":[{\"type\":\"button\",\"action_id\":\"hub_approve\",\"text\":"
		    "{\"type\":\"plain_text\",\"text\":\"Approve\"},\"value\":\"x\"}]}]}", blk);
		json_object_object_add(o, "message", json_tokener_parse(js));
		json_object_object_add(o, "container", json_tokener_parse(
		    "{\"type\":\"message\",\"message_ts\":\"1700000000.000100\","
		    "\"channel_id\":\"C1\",\"is_ephemeral\":false}"));
		json_object_object_add(o, "channel", json_tokener_parse(
		    "{\"id\":\"C1\",\"name\":\"approvals\"}"));
		if (c->response_url != NULL)
			json_object_object_add(o, "response_url",
			    json_object_new_string(c->response_url));
	}
	return o;
}

static void
do_click(const struct click *c, struct th_resp *r)
{
	json_object *p = click_payload(c);

	post_payload(p, r);
	json_object_put(p);
}

/* The click answered 200 with an empty body (what Slack wants). */
static void
click_ok(const struct click *c)
{
	struct th_resp r;

	do_click(c, &r);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, r.body);
	cr_assert_eq(r.len, 0, "body: %s", r.body);
	th_resp_free(&r);
}

/* The n-th slack_respond job text to url (-1: the last one), waited for:
 * a modal's "try again" comes from views.open's own process. */
static char *
respond_text(const char *url, int n)
{
	PGresult *r = tq(T_RESPOND, url, NULL, NULL, NULL, NULL);
	char *s;
	int i;

	for (i = 0; i < 200 && PQntuples(r) == 0; i++) {
		PQclear(r);
		usleep(25 * 1000);
		r = tq(T_RESPOND, url, NULL, NULL, NULL, NULL);
	}
	cr_assert(PQntuples(r) > 0, "no slack_respond job for the response_url");
	if (n < 0)
		n = PQntuples(r) - 1;
	cr_assert(n < PQntuples(r));
	s = strdup(PQgetvalue(r, n, 0));
	PQclear(r);
	return s;
}

/* The view of the views.open call with this trigger_id, waited for (it is
 * made off the click's path, interact.h); caller puts. */
static json_object *
view_opened(const char *trigger)
{
	json_object *calls = NULL, *c, *args, *view = NULL, *t;
	size_t i;
	int tries;

	for (tries = 0; tries < 200 && view == NULL; tries++) {
		json_object_put(calls);
		if (tries > 0)
			usleep(25 * 1000);
		calls = th_fake("FAKE_SLACK_URL", "GET", "/_fake/calls?method=views.open", NULL);
		cr_assert(calls != NULL && json_object_is_type(calls, json_type_array));
		for (i = 0; i < json_object_array_length(calls) && view == NULL; i++) {
			c = json_object_array_get_idx(calls, i);
			if (json_object_object_get_ex(c, "args", &args) &&
			    json_object_object_get_ex(args, "trigger_id", &t) &&
			    strcmp(json_object_get_string(t), trigger) == 0 &&
			    json_object_object_get_ex(args, "view", &view))
				json_object_get(view);
		}
	}
	json_object_put(calls);
	cr_assert_not_null(view, "no views.open call with trigger %s", trigger);
	return view;
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The button with action_id in the message the worker posted to user (the
 * fake's record of chat.postMessage), waited for; caller puts.  NULL when
 * the message came without that button. */
static json_object *
delivered_button(const char *user, const char *action_id)
{
	json_object *calls, *call, *args, *blocks, *b, *els, *el, *found = NULL;
	const char *ch, *aid;
	size_t i, j, k;
	int tries, seen = 0;

	for (tries = 0; tries < 300 && !seen; tries++) {
		calls = th_fake("FAKE_SLACK_URL", "GET", "/_fake/calls?method=chat.postMessage",
		    NULL);
		cr_assert(calls != NULL && json_object_is_type(calls, json_type_array));
		for (i = 0; i < json_object_array_length(calls) && !seen; i++) {
			call = json_object_array_get_idx(calls, i);
			if (!json_object_object_get_ex(call, "args", &args) ||
			    (ch = jstr(args, "channel")) == NULL || strcmp(ch, user) != 0 ||
			    !json_object_object_get_ex(args, "blocks", &blocks))
				continue;
			seen = 1;
			for (j = 0; j < json_object_array_length(blocks); j++) {
				b = json_object_array_get_idx(blocks, j);
				if (!json_object_object_get_ex(b, "elements", &els))
					continue;
				for (k = 0; k < json_object_array_length(els); k++) {
					el = json_object_array_get_idx(els, k);
					if ((aid = jstr(el, "action_id")) != NULL &&
					    strcmp(aid, action_id) == 0 && found == NULL)
						found = json_object_get(el);
				}
			}
		}
		json_object_put(calls);
		if (!seen)
			usleep(100 * 1000);
	}
	cr_assert(seen, "no message was delivered to %s", user);
	return found;
}

/* A view_submission of view (from views.open) with values {block: text}. */
static void
submit(const char *user, const char *team, json_object *view, const char *const *kv,
    struct th_resp *r)
{
	json_object *p = json_object_new_object(), *u = json_object_new_object();
	json_object *t = json_object_new_object(), *v = json_object_new_object();
	json_object *state = json_object_new_object(), *values = json_object_new_object();
	json_object *b, *a;
	size_t i;

	json_object_object_add(p, "type", json_object_new_string("view_submission"));
	json_object_object_add(u, "id", json_object_new_string(user));
	json_object_object_add(u, "username", json_object_new_string("pat"));
	json_object_object_add(u, "team_id", json_object_new_string(team));
	json_object_object_add(p, "user", u);
	json_object_object_add(t, "id", json_object_new_string(team));
	json_object_object_add(p, "team", t);
	json_object_object_add(v, "id", json_object_new_string("V123"));
	json_object_object_add(v, "type", json_object_new_string("modal"));
	json_object_object_add(v, "callback_id", json_object_new_string(jstr(view, "callback_id")));
	json_object_object_add(v, "private_metadata",
	    json_object_new_string(jstr(view, "private_metadata")));
	json_object_object_add(v, "blocks", json_object_get(json_object_object_get(view, "blocks")));
	for (i = 0; kv != NULL && kv[i] != NULL; i += 3) {
		b = json_object_new_object();
		a = json_object_new_object();
		json_object_object_add(a, "type", json_object_new_string("plain_text_input"));
		json_object_object_add(a, "value", kv[i + 2] ? json_object_new_string(kv[i + 2]) :
		    NULL);
		json_object_object_add(b, kv[i + 1], a);
		json_object_object_add(values, kv[i], b);
	}
	json_object_object_add(state, "values", values);
	json_object_object_add(v, "state", state);
	json_object_object_add(p, "view", v);
	post_payload(p, r);
	json_object_put(p);
}

/* ------------------------------------------------------------ approve */

Test(interactions, approve_once)
{
	struct fix f;
	char id[40], asg[24], url[512];
	struct click c;
	PGresult *r;

	fixture(&f, 0, NULL);
	make_request(&f, "Offsite budget", id, asg);
	response_url(url, sizeof(url));
	c = (struct click){ f.user, f.team, "hub_approve", id, asg, url, NULL, NULL, 0 };
	click_ok(&c);
	r = tq(T_REQ, id, NULL, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "Approved");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "pat");
	PQclear(r);
	cr_assert_eq(tq_ll(T_JOBS, id, "http_post"), 1);
	cr_assert_eq(tq_ll(T_JOBS, id, "sync"), 1);

	/* The second click changes nothing and is told, stale buttons dropped. */
	click_ok(&c);
	cr_assert_eq(tq_ll(T_JOBS, id, "http_post"), 1);
	cr_assert_eq(tq_ll(T_JOBS, id, "sync"), 1);
	cr_assert_eq(tq_ll(T_AUDIT, id, "request.approved"), 1);
	r = tq(T_RESPOND, url, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2, "ephemeral + replace_original");
	cr_assert(strncmp(PQgetvalue(r, 0, 0), "Already approved by pat at ", 27) == 0,
	    "%s", PQgetvalue(r, 0, 0));
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "ephemeral");
	cr_assert_str_eq(PQgetvalue(r, 1, 2), "true");
	cr_assert_null(strstr(PQgetvalue(r, 1, 3), "hub_actions:"), "buttons kept: %s",
	    PQgetvalue(r, 1, 3));
	cr_assert_not_null(strstr(PQgetvalue(r, 1, 3), "*Offsite*"));
	PQclear(r);
}

Test(interactions, slack_respond_job_posts_to_response_url)
{
	struct fix f;
	char id[40], asg[24], url[512];
	struct click c;
	struct hub_job_env env;
	struct hub_job_result res;
	struct hub_conf conf;
	struct hub_job job;
	json_object *eph;
	PGresult *r;

	fixture(&f, 0, NULL);
	make_request(&f, "Run by hand", id, asg);
	response_url(url, sizeof(url));
	c = (struct click){ f.user, f.team, "hub_approve", id, asg, url, NULL, NULL, 0 };
	click_ok(&c);
	click_ok(&c);
	r = tq(T_RESPOND, url, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2);
	memset(&job, 0, sizeof(job));
	cr_assert_not_null(job.payload = json_tokener_parse(PQgetvalue(r, 0, 4)));
	PQclear(r);
	memset(&conf, 0, sizeof(conf));
	conf.slack_api_url = (char *)th_env("SLACK_API_URL");
	memset(&env, 0, sizeof(env));
	env.db = db;
	env.conf = &conf;
	cr_assert_not_null(env.http = hub_httpc_new());
	memset(&res, 0, sizeof(res));
	hub_job_slack_respond(&env, &job, &res);
	cr_assert_eq(res.verdict, HUB_JOB_DONE, "%s %s", res.code, res.detail);
	eph = th_fake("FAKE_SLACK_URL", "GET", "/_fake/ephemeral", NULL);
	cr_assert_not_null(strstr(json_object_to_json_string(eph), "Already approved by pat"));
	json_object_put(eph);

	/* A response_url elsewhere is never posted to. */
	json_object_object_add(job.payload, "response_url",
	    json_object_new_string("http://192.0.2.1/steal"));
	hub_job_slack_respond(&env, &job, &res);
	cr_assert_eq(res.verdict, HUB_JOB_FAIL);
	json_object_put(job.payload);
	hub_httpc_free(env.http);
}

Test(interactions, hundred_concurrent_clicks_decide_once)
{
	struct fix f;
	char id[40], asg[24], url[512];
	struct click c;
	pid_t pids[100];
	int i, st, ok = 0;

	fixture(&f, 0, NULL);
	make_request(&f, "Concurrent", id, asg);
	response_url(url, sizeof(url));
	c = (struct click){ f.user, f.team, "hub_approve", id, asg, url, NULL, NULL, 0 };
	for (i = 0; i < 100; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			json_object *p = click_payload(&c);
			struct hub_buf b = HUB_BUF_INIT(1u << 20);
			const char *s = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
			struct th_resp r;

			hub_buf_adds(&b, "payload=");
			hub_url_encode(s, strlen(s), &b);
			if (th_slack_post("/slack/interactions", "application/x-www-form-urlencoded",
			    b.data, b.len, (long)time(NULL), &r) != 0)
				_exit(2);
			_exit(r.status == 200 && r.len == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < 100; i++) {
		cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	cr_assert_eq(ok, 100, "%d of 100 clicks answered 200 empty", ok);
	cr_assert_eq(tq_ll(T_AUDIT, id, "assignment.approved"), 1);
	cr_assert_eq(tq_ll(T_AUDIT, id, "request.approved"), 1);
	cr_assert_eq(tq_ll(T_JOBS, id, "http_post"), 1);
	cr_assert_eq(tq_ll(T_JOBS, id, "sync"), 1);
}

/* ------------------------------------------------------------ refusals */

Test(interactions, not_an_approver_changes_nothing)
{
	struct fix f;
	char id[40], asg[24], url[512], other[40], *before, *after, *t;
	struct click c;

	fixture(&f, 0, NULL);
	make_request(&f, "Not yours", id, asg);
	response_url(url, sizeof(url));
	snprintf(other, sizeof(other), "UX%s", f.sfx);
	before = tq_str(T_SNAPSHOT, id, NULL);
	c = (struct click){ other, f.team, "hub_approve", id, asg, url, NULL, NULL, 0 };
	click_ok(&c);
	c.action_id = "hub_reject";
	click_ok(&c);
	after = tq_str(T_SNAPSHOT, id, NULL);
	cr_assert_str_eq(before, after);
	t = respond_text(url, 0);
	cr_assert_str_eq(t, "You are not an approver of this request");
	free(t);
	free(before);
	free(after);
}

Test(interactions, wrong_team_refused)
{
	struct fix f;
	char id[40], asg[24], url[512], team2[40], tok2[64], conn2[40], *before, *after, *t;
	struct click c;

	fixture(&f, 0, NULL);
	make_request(&f, "Other workspace", id, asg);
	snprintf(team2, sizeof(team2), "TO%s", f.sfx);
	snprintf(tok2, sizeof(tok2), "xoxb-other-%s", f.sfx);
	make_conn(team2, tok2, conn2);
	before = tq_str(T_SNAPSHOT, id, NULL);

	/* Connected, but not the workspace the request went to. */
	response_url(url, sizeof(url));
	c = (struct click){ f.user, team2, "hub_approve", id, asg, url, NULL, NULL, 0 };
	click_ok(&c);
	t = respond_text(url, 0);
	cr_assert_str_eq(t, "You are not an approver of this request");
	free(t);

	/* Not connected at all. */
	response_url(url, sizeof(url));
	c.team = "TNOTCONNECTED";
	click_ok(&c);
	t = respond_text(url, 0);
	cr_assert_str_eq(t, "This workspace is not connected");
	free(t);

	after = tq_str(T_SNAPSHOT, id, NULL);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
}

/* ------------------------------------------------------------ reject */

Test(interactions, reject_modal_reason_required)
{
	struct fix f;
	char id[40], asg[24], url[512], trig[128], *before;
	const char *empty[] = { "reason_block", "reason", NULL, NULL };
	const char *reason[] = { "reason_block", "reason", "Over budget", NULL };
	struct click c;
	struct th_resp r;
	json_object *view, *o, *e;
	PGresult *q;

	fixture(&f, 1, NULL);
	make_request(&f, "Reject me", id, asg);
	response_url(url, sizeof(url));
	trigger("{}", trig, sizeof(trig));
	c = (struct click){ f.user, f.team, "hub_reject", id, asg, url, trig, NULL, 0 };
	click_ok(&c);
	view = view_opened(trig);
	cr_assert_str_eq(jstr(view, "callback_id"), "hub_reject");
	cr_assert_not_null(strstr(json_object_to_json_string(view), "reason_block"));
	cr_assert_not_null(strstr(jstr(view, "private_metadata"), id));
	q = tq(T_REQ, id, NULL, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Pending");
	PQclear(q);

	/* No reason: the form says so, nothing changes. */
	before = tq_str(T_SNAPSHOT, id, NULL);
	submit(f.user, f.team, view, empty, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(o = th_json(&r), "%s", r.body);
	cr_assert_str_eq(jstr(o, "response_action"), "errors");
	cr_assert(json_object_object_get_ex(o, "errors", &e));
	cr_assert_str_eq(jstr(e, "reason_block"), "A reason is required");
	json_object_put(o);
	th_resp_free(&r);
	{
		char *after = tq_str(T_SNAPSHOT, id, NULL);

		cr_assert_str_eq(before, after);
		free(after);
	}
	free(before);

	/* Someone else submitting the same view: its MAC names another user. */
	submit("UINTRUDER", f.team, view, reason, &r);
	cr_assert_eq(r.status, 400, "%s", r.body);
	th_resp_free(&r);

	submit(f.user, f.team, view, reason, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(o = th_json(&r), "%s", r.body);
	cr_assert_str_eq(jstr(o, "response_action"), "clear");
	json_object_put(o);
	th_resp_free(&r);
	q = tq(T_REQ, id, NULL, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Rejected");
	cr_assert_str_eq(PQgetvalue(q, 0, 3), "Over budget");
	PQclear(q);
	cr_assert_eq(tq_ll(T_JOBS, id, "http_post"), 1);
	json_object_put(view);
}

Test(interactions, expired_trigger_told)
{
	struct fix f;
	char id[40], asg[24], url[512], trig[128], *t;
	struct click c;

	fixture(&f, 0, NULL);
	make_request(&f, "Slow hands", id, asg);
	response_url(url, sizeof(url));
	trigger("{\"ttl\": 0.05}", trig, sizeof(trig));
	usleep(200 * 1000);
	c = (struct click){ f.user, f.team, "hub_reject", id, asg, url, trig, NULL, 0 };
	click_ok(&c);
	t = respond_text(url, 0);
	cr_assert_str_eq(t, "Could not open the form, try again");
	free(t);
}

/* ------------------------------------------------------------ edit */

Test(interactions, edit_then_approve_carries_the_edit)
{
	struct fix f;
	char id[40], asg[24], url[512], trig[128];
	const char *bad[] = { "edit:amount", "value", "lots", "edit:vendor", "value", "Acme",
	    NULL };
	const char *good[] = { "edit:amount", "value", "1400.50", "edit:vendor", "value", "Acme",
	    "comment_block", "comment", "trimmed the venue", NULL };
	struct click c;
	struct th_resp r;
	json_object *view, *o, *e, *button, *p;
	PGresult *q;

	fixture(&f, 0, "[\"amount\", \"vendor\"]");
	fake_user(&f);
	make_request(&f, "Edit me", id, asg);
	/* The Edit button of the card the worker delivered, clicked as is. */
	button = delivered_button(f.user, "hub_edit");
	cr_assert_not_null(button, "the delivered card has no Edit button");
	response_url(url, sizeof(url));
	trigger("{}", trig, sizeof(trig));
	c = (struct click){ f.user, f.team, jstr(button, "action_id"), id, asg, url, trig, NULL,
	    0 };
	cr_assert_not_null(jstr(button, "value"), "Edit without a value");
	p = click_payload(&c);
	json_object_object_add(json_object_array_get_idx(json_object_object_get(p, "actions"), 0),
	    "value", json_object_new_string(jstr(button, "value")));
	post_payload(p, &r);
	json_object_put(p);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, r.body);
	cr_assert_eq(r.len, 0, "body: %s", r.body);
	th_resp_free(&r);
	view = view_opened(trig);
	cr_assert_str_eq(jstr(view, "callback_id"), "hub_edit");
	cr_assert_not_null(strstr(json_object_to_json_string(view), "edit:amount"));
	cr_assert_not_null(strstr(json_object_to_json_string_ext(view, JSON_C_TO_STRING_PLAIN),
	    "\"initial_value\":\"1250\""), "%s", json_object_to_json_string(view));

	submit(f.user, f.team, view, bad, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(o = th_json(&r));
	cr_assert_str_eq(jstr(o, "response_action"), "errors");
	cr_assert(json_object_object_get_ex(o, "errors", &e));
	cr_assert_str_eq(jstr(e, "edit:amount"), "Must be a number");
	json_object_put(o);
	th_resp_free(&r);
	q = tq(T_REQ, id, NULL, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Pending");
	PQclear(q);

	submit(f.user, f.team, view, good, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(o = th_json(&r));
	cr_assert_str_eq(jstr(o, "response_action"), "clear");
	json_object_put(o);
	th_resp_free(&r);
	q = tq(T_REQ, id, NULL, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Approved");
	cr_assert_not_null(strstr(PQgetvalue(q, 0, 2), "\"amount\": 1400.5"), "%s",
	    PQgetvalue(q, 0, 2));
	cr_assert_str_eq(PQgetvalue(q, 0, 3), "trimmed the venue");
	PQclear(q);
	q = tq(T_CALLBACK_EDIT, id, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(q), 1);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "number");
	cr_assert_str_eq(PQgetvalue(q, 0, 1), "1400.5");
	cr_assert_str_eq(PQgetvalue(q, 0, 2), "Approved");
	PQclear(q);
	json_object_put(view);
	json_object_put(button);
}

/* ------------------------------------------------------------ snooze, remind, view */

Test(interactions, snooze_until_tomorrow)
{
	struct fix f;
	char id[40], asg[24], url[512], *t, *want;
	struct click c;
	PGresult *q;

	fixture(&f, 0, NULL);
	make_request(&f, "Later", id, asg);
	response_url(url, sizeof(url));
	c = (struct click){ f.user, f.team, "hub_snooze", id, NULL, url, NULL, "tomorrow", 0 };
	click_ok(&c);
	want = tq_str(T_TOMORROW9, NULL, NULL);
	q = tq(T_REQ, id, NULL, NULL, NULL, NULL);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Pending");
	PQclear(q);
	t = tq_str(T_SNOOZED, asg, NULL);
	cr_assert_str_eq(t, want, "the approver's own reminders wait");
	free(t);
	cr_assert_eq(tq_ll(T_AUDIT, id, "request.snoozed"), 1);
	t = respond_text(url, 0);
	cr_assert(strncmp(t, "Snoozed", 7) == 0, "%s", t);
	cr_assert_not_null(strstr(t, "09:00 UTC"), "%s", t);
	free(t);
	free(want);

	/* Someone who is not an approver cannot snooze it. */
	response_url(url, sizeof(url));
	c.user = "UNOBODY";
	c.option = "1h";
	click_ok(&c);
	cr_assert_eq(tq_ll(T_AUDIT, id, "request.snoozed"), 1);
}

/* One approver's snooze silences their reminders only: the sweep still
 * reminds the other approver of the same request. */
static struct fix f_snooze;

Test(interactions, snooze_is_per_approver)
{
	struct hub_actor actor = { "api", "test", NULL, "test", "api" };
	struct hub_intake_error ierr;
	struct hub_engine_error eerr;
	struct hub_outcome out;
	json_object *in, *norm = NULL;
	char body[1024], other[40], url[512], a_asg[24], b_asg[24];
	struct click c;
	PGresult *r;
	static volatile sig_atomic_t stop;
	struct hub_job_env env = { .db = db, .stop = &stop };
	int tries;

	fixture(&f_snooze, 0, NULL);
	snprintf(other, sizeof(other), "UB%s", f_snooze.sfx);
	snprintf(body, sizeof(body),
	    "{\"request_source\":\"%s\",\"requester_name\":\"Ana\","
	    "\"requester_slack_id\":\"%s\",\"approvers\":[\"%s\",\"%s\"],"
	    "\"justification_text\":\"x\",\"reminder_every\":\"1h\",\"metadata\":{}}",
	    f_snooze.source_name, f_snooze.requester, f_snooze.user, other);
	cr_assert_not_null(in = json_tokener_parse(body));
	cr_assert_eq(hub_intake_validate(in, NULL, &norm, &ierr), HUB_INTAKE_OK, "%s %s",
	    ierr.field, ierr.message);
	cr_assert_eq(hub_engine_create(db, f_snooze.source, norm, &actor, &out, &eerr),
	    HUB_ENGINE_OK, "%s %s", eerr.field, eerr.message);
	json_object_put(in);
	json_object_put(norm);
	r = tq(T_ASG, out.id, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(r), 2);
	snprintf(a_asg, sizeof(a_asg), "%s", PQgetvalue(r, 0, 0));
	snprintf(b_asg, sizeof(b_asg), "%s", PQgetvalue(r, 1, 0));
	PQclear(r);

	response_url(url, sizeof(url));
	c = (struct click){ f_snooze.user, f_snooze.team, "hub_snooze", out.id, NULL, url, NULL,
	    "1h", 0 };
	click_ok(&c);
	PQclear(tq(T_REMIND_NOW, out.id, NULL, NULL, NULL, NULL));
	/* The worker's sweep (the stack's worker may run it first, or hold
	 * the row while ours passes it by: sweep until the reminder is out;
	 * a reminder sent moves next_reminder_at on, so none goes twice). */
	for (tries = 0; tries < 100 && tq_ll(T_REMINDERS, out.id, b_asg) == 0; tries++) {
		cr_assert_eq(hub_engine_sweep(&env), HUB_JOB_SWEEP_OK);
		if (tq_ll(T_REMINDERS, out.id, b_asg) == 0)
			usleep(50 * 1000);
	}
	cr_assert_eq(tq_ll(T_REMINDERS, out.id, b_asg), 1, "the other approver is reminded");
	cr_assert_eq(tq_ll(T_REMINDERS, out.id, a_asg), 0, "the snoozer is not");
}

/* The fake's last call sequence number so far. */
static long long
fake_seq(void)
{
	json_object *calls = th_fake("FAKE_SLACK_URL", "GET", "/_fake/calls", NULL), *v;
	size_t n;
	long long seq = 0;

	cr_assert(calls != NULL && json_object_is_type(calls, json_type_array));
	n = json_object_array_length(calls);
	if (n > 0 && json_object_object_get_ex(json_object_array_get_idx(calls, n - 1), "seq",
	    &v))
		seq = json_object_get_int64(v);
	json_object_put(calls);
	return seq;
}

/* The first call of method after seq whose args[key] is value, waited for
 * (the stack's worker makes it); caller puts. */
static json_object *
await_call(const char *method, long long since, const char *key, const char *value)
{
	char path[160];
	json_object *calls, *call, *args, *found = NULL;
	const char *v;
	size_t i;
	int tries;

	snprintf(path, sizeof(path), "/_fake/calls?method=%s&since=%lld", method, since);
	for (tries = 0; tries < 200 && found == NULL; tries++) {
		if (tries > 0)
			usleep(50 * 1000);
		calls = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
		cr_assert(calls != NULL && json_object_is_type(calls, json_type_array));
		for (i = 0; i < json_object_array_length(calls) && found == NULL; i++) {
			call = json_object_array_get_idx(calls, i);
			if (json_object_object_get_ex(call, "args", &args) &&
			    (v = jstr(args, key)) != NULL && strcmp(v, value) == 0)
				found = json_object_get(call);
		}
		json_object_put(calls);
	}
	cr_assert_not_null(found, "no %s with %s=%s", method, key, value);
	return found;
}

/* No Web API call since seq carried an argument its method does not take
 * (response_type / replace_original belong to a response_url only). */
static void
no_unknown_args_since(long long since)
{
	char path[64];
	json_object *calls, *call, *extra, *args;
	size_t i;

	snprintf(path, sizeof(path), "/_fake/calls?since=%lld", since);
	calls = th_fake("FAKE_SLACK_URL", "GET", path, NULL);
	cr_assert(calls != NULL && json_object_is_type(calls, json_type_array));
	for (i = 0; i < json_object_array_length(calls); i++) {
		call = json_object_array_get_idx(calls, i);
		if (json_object_object_get_ex(call, "unknown_args", &extra))
			cr_expect_eq(json_object_array_length(extra), 0, "%s got %s",
			    jstr(call, "method"), json_object_to_json_string(extra));
		if (json_object_object_get_ex(call, "args", &args) &&
		    strncmp(jstr(call, "method"), "chat.", 5) == 0)
			cr_expect(!json_object_object_get_ex(args, "response_type", NULL) &&
			    !json_object_object_get_ex(args, "replace_original", NULL),
			    "%s got response_url fields: %s", jstr(call, "method"),
			    json_object_to_json_string(args));
	}
	json_object_put(calls);
}

/* A Home tab click has no response_url and no channel: the answer is an
 * ephemeral message in the user's DM with the app (never a permanent
 * chat.postMessage), and Remind republishes the tab, which shows it. */
Test(interactions, remind_from_home_tab)
{
	struct fix f;
	char id[40], asg[24], body[256];
	struct click c;
	json_object *call, *args, *o;
	long long since = fake_seq();
	const char *ch;
	PGresult *q;
	size_t i;

	fixture(&f, 0, NULL);
	make_request(&f, "Nudge", id, asg);
	snprintf(body, sizeof(body), "[{\"id\":\"%s\",\"team\":\"%s\"},"
	    "{\"id\":\"%s\",\"team\":\"%s\"}]", f.user, f.team, f.requester, f.team);
	cr_assert_not_null(o = th_fake("FAKE_SLACK_URL", "POST", "/_fake/users", body));
	json_object_put(o);
	/* Not the requester: refused, told privately. */
	c = (struct click){ f.user, f.team, "hub_remind", id, "0", NULL, NULL, NULL, 1 };
	click_ok(&c);
	cr_assert_eq(tq_ll(T_AUDIT, id, "request.reminded"), 0);
	q = tq(T_RESPOND_DM, f.user, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(q), 1);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Only the requester can send a reminder");
	PQclear(q);
	call = await_call("chat.postEphemeral", since, "user", f.user);
	args = json_object_object_get(call, "args");
	cr_expect_str_eq(jstr(args, "text"), "Only the requester can send a reminder");
	json_object_put(call);

	c.user = f.requester;
	click_ok(&c);
	cr_assert_eq(tq_ll(T_AUDIT, id, "request.reminded"), 1);
	q = tq(T_RESPOND_DM, f.requester, NULL, NULL, NULL, NULL);
	cr_assert_eq(PQntuples(q), 1);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "Reminder sent to 1 approver");
	cr_assert_str_eq(PQgetvalue(q, 0, 1), f.conn);
	PQclear(q);
	call = await_call("chat.postEphemeral", since, "user", f.requester);
	args = json_object_object_get(call, "args");
	cr_expect_str_eq(jstr(args, "text"), "Reminder sent to 1 approver");
	cr_assert_not_null(ch = jstr(args, "channel"));
	cr_expect_eq(ch[0], 'D', "not the app's DM with the user: %s", ch);
	cr_expect(json_object_get_boolean(json_object_object_get(json_object_object_get(call,
	    "response"), "ok")), "%s", json_object_to_json_string(call));
	json_object_put(call);
	/* The Home tab itself shows the reminder. */
	call = await_call("views.publish", since, "user_id", f.requester);
	cr_expect_not_null(strstr(json_object_to_json_string(json_object_object_get(
	    json_object_object_get(call, "args"), "view")), "Reminded "), "%s",
	    json_object_to_json_string(call));
	json_object_put(call);
	/* ... and no note became a permanent message (the approver's own
	 * call for action and reminder are DMs, as they should be). */
	snprintf(body, sizeof(body), "/_fake/calls?method=chat.postMessage&since=%lld", since);
	o = th_fake("FAKE_SLACK_URL", "GET", body, NULL);
	cr_assert_not_null(o);
	for (i = 0; i < json_object_array_length(o); i++) {
		args = json_object_object_get(json_object_array_get_idx(o, i), "args");
		ch = jstr(args, "text");
		cr_expect(ch == NULL || (strcmp(ch, "Reminder sent to 1 approver") != 0 &&
		    strcmp(ch, "Only the requester can send a reminder") != 0),
		    "a note as a permanent DM: %s", json_object_to_json_string(args));
	}
	json_object_put(o);
	no_unknown_args_since(since);
}

Test(interactions, view_button_and_unknown_action_answer_empty)
{
	struct fix f;
	char id[40], asg[24];
	struct click c;

	fixture(&f, 0, NULL);
	make_request(&f, "Look", id, asg);
	c = (struct click){ f.user, f.team, "hub_view", id, asg, NULL, NULL, NULL, 0 };
	click_ok(&c);
	c.action_id = "something_else";
	click_ok(&c);
}

/* ------------------------------------------------------------ /approvals */

static json_object *
command(const struct fix *f, const char *text)
{
	struct hub_buf b = HUB_BUF_INIT(8192);
	struct th_resp r;
	json_object *o;
	char err[256];

	hub_buf_printf(&b, "token=legacy&team_id=%s&team_domain=example&channel_id=C1"
	    "&channel_name=approvals&user_id=%s&user_name=pat&command=%%2Fapprovals&text=",
	    f->team, f->user);
	hub_url_encode(text, strlen(text), &b);
	hub_buf_adds(&b, "&api_app_id=A1&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
	    "%2FT1%2F1%2Fx&trigger_id=1.2.3");
	post_form("/slack/commands", hub_buf_str(&b), &r);
	hub_buf_release(&b);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_not_null(o = th_json(&r), "%s", r.body);
	th_resp_free(&r);
	cr_assert_str_eq(jstr(o, "response_type"), "ephemeral");
	cr_assert_eq(hub_bk_validate(o, HUB_BK_MESSAGE, err, sizeof(err)), HUB_BK_OK, "%s", err);
	return o;
}

static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay += strlen(needle))
		n++;
	return n;
}

Test(interactions, approvals_command_lists_and_searches)
{
	struct fix f;
	char id1[40], id2[40], asg[24], block[80], title[64];
	const char *s;
	json_object *o;
	int i;

	fixture(&f, 0, NULL);
	make_request(&f, "Laptop refresh", id1, asg);
	make_request(&f, "Conference travel", id2, asg);
	o = command(&f, "");
	s = json_object_to_json_string(o);
	snprintf(block, sizeof(block), "hub_actions:%s", id1);
	cr_assert_not_null(strstr(s, block), "%s", s);
	snprintf(block, sizeof(block), "hub_actions:%s", id2);
	cr_assert_not_null(strstr(s, block), "%s", s);
	cr_assert_not_null(strstr(s, "hub_approve"));
	cr_assert_not_null(strstr(s, "hub_reject"));
	cr_assert_null(strstr(s, "dashboard"));
	json_object_put(o);

	o = command(&f, "laptop");
	s = json_object_to_json_string(o);
	cr_assert_eq(count_str(s, "hub_actions:"), 1, "%s", s);
	snprintf(block, sizeof(block), "hub_actions:%s", id1);
	cr_assert_not_null(strstr(s, block), "%s", s);
	json_object_put(o);

	o = command(&f, "nothing-matches-this");
	cr_assert_eq(count_str(json_object_to_json_string(o), "hub_actions:"), 0);
	json_object_put(o);

	/* a close spelling finds the request ("laptpo" is no word of any
	 * request; "laptop" is) */
	o = command(&f, "laptpo refresh");
	s = json_object_to_json_string(o);
	cr_assert_eq(count_str(s, "hub_actions:"), 1, "%s", s);
	cr_assert_not_null(strstr(s, "Laptop refresh"), "%s", s);
	json_object_put(o);
	/* ... but not when the words are quoted: they mean what they say */
	o = command(&f, "\"laptpo refresh\"");
	cr_assert_eq(count_str(json_object_to_json_string(o), "hub_actions:"), 0);
	json_object_put(o);

	for (i = 0; i < 10; i++) {
		snprintf(title, sizeof(title), "Bulk %d", i);
		make_request(&f, title, id1, asg);
	}
	o = command(&f, "");
	s = json_object_to_json_string(o);
	cr_assert_eq(count_str(s, "hub_actions:"), 10, "%s", s);
	cr_assert_not_null(strstr(s, "View all on the dashboard"), "%s", s);
	json_object_put(o);
}

/* ------------------------------------------------------------ the gate */

Test(interactions, signatures_refused)
{
	const char *body = "payload=%7B%7D";
	const char *hdr_ct = "Content-Type: application/x-www-form-urlencoded";
	char ts[32], sig[HUB_SIG_LEN], h_ts[64], h_sig[128];
	const char *h[4];
	struct th_resp r;
	char *before = tq_str(T_GLOBAL, NULL, NULL), *after;

	/* unsigned */
	h[0] = hdr_ct;
	h[1] = NULL;
	cr_assert_eq(th_http("POST", "/slack/interactions", h, body, strlen(body), &r), 0);
	cr_assert_eq(r.status, 401, "%s", r.body);
	th_resp_free(&r);
	/* stale */
	cr_assert_eq(th_slack_post("/slack/interactions", "application/x-www-form-urlencoded",
	    body, strlen(body), (long)time(NULL) - 600, &r), 0);
	cr_assert_eq(r.status, 401);
	th_resp_free(&r);
	/* tampered / replayed with another body: a signature over one body */
	snprintf(ts, sizeof(ts), "%ld", (long)time(NULL));
	hub_sig_sign("v0", th_env("SLACK_SIGNING_SECRET"), ts, body, strlen(body), sig);
	snprintf(h_ts, sizeof(h_ts), "X-Slack-Request-Timestamp: %s", ts);
	snprintf(h_sig, sizeof(h_sig), "X-Slack-Signature: %s", sig);
	h[1] = h_ts;
	h[2] = h_sig;
	h[3] = NULL;
	cr_assert_eq(th_http("POST", "/slack/interactions", h, "payload=%7B%7D%20",
	    strlen(body) + 3, &r), 0);
	cr_assert_eq(r.status, 401);
	th_resp_free(&r);
	cr_assert_eq(th_http("POST", "/slack/commands", h, "command=%2Fapprovals", 20, &r), 0);
	cr_assert_eq(r.status, 401);
	th_resp_free(&r);
	after = tq_str(T_GLOBAL, NULL, NULL);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
}

Test(interactions, malformed_payloads_refused)
{
	static const struct {
		const char	*form;
		long		 status;
		const char	*field;
	} cases[] = {
		{ "payload=not+json", 400, "payload" },
		{ "payload=%5B1%5D", 400, "payload" },
		{ "nopayload=1", 400, "payload" },
		{ "payload=%7B%22type%22%3A%22block_actions%22%7D", 400, "user" },
		{ "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A5%7D%7D",
		  400, "user.id" },
		{ "payload=%7B%22type%22%3A7%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D",
		  400, "type" },
		{ "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A"
		  "%22U1%22%7D%2C%22team%22%3A%7B%22id%22%3A%22T1%22%7D%2C%22actions%22%3A%22x%22%7D",
		  400, "actions" },
		{ "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A"
		  "%22U1%22%7D%2C%22team%22%3A%7B%22id%22%3A%22T1%22%7D%2C%22actions%22%3A%5B%7B"
		  "%22action_id%22%3A%22hub_approve%22%2C%22value%22%3A%22%7Bbad%22%7D%5D%7D",
		  400, "actions[0].value" },
		{ "payload=%7B%22type%22%3A%22view_submission%22%2C%22user%22%3A%7B%22id%22%3A"
		  "%22U1%22%7D%2C%22team%22%3A%7B%22id%22%3A%22T1%22%7D%2C%22view%22%3A%7B"
		  "%22callback_id%22%3A%22hub_reject%22%2C%22private_metadata%22%3A%22%7B%7D%22%7D%7D",
		  400, "view.private_metadata" },
		{ "payload=%25zz", 400, NULL },
	};
	char *before = tq_str(T_GLOBAL, NULL, NULL), *after;
	struct th_resp r;
	json_object *o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post_form("/slack/interactions", cases[i].form, &r);
		cr_assert_eq(r.status, cases[i].status, "case %zu: %ld %s", i, r.status, r.body);
		if (cases[i].field != NULL) {
			cr_assert_not_null(o = th_json(&r), "case %zu: %s", i, r.body);
			cr_assert_str_eq(jstr(o, "field"), cases[i].field, "case %zu: %s", i, r.body);
			json_object_put(o);
		}
		th_resp_free(&r);
	}
	/* Slash command without its user. */
	post_form("/slack/commands", "command=%2Fapprovals&team_id=T1", &r);
	cr_assert_eq(r.status, 400, "%s", r.body);
	th_resp_free(&r);
	after = tq_str(T_GLOBAL, NULL, NULL);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
}

Test(interactions, two_megabyte_body_is_413)
{
	size_t n = 2u * 1024 * 1024;
	char *body = malloc(n + 1);
	struct th_resp r;

	cr_assert_not_null(body);
	memcpy(body, "payload=", 8);
	memset(body + 8, 'a', n - 8);
	body[n] = '\0';
	cr_assert_eq(th_slack_post("/slack/interactions", "application/x-www-form-urlencoded",
	    body, n, (long)time(NULL), &r), 0);
	cr_assert_eq(r.status, 413, "%ld", r.status);
	th_resp_free(&r);
	free(body);
}
