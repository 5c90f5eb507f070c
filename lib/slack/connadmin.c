/*
 * connadmin.c - /api/connections (see connadmin.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval/audit.h"
#include "base/buf.h"
#include "slack/connadmin.h"
#include "slack/connections.h"
#include "base/crypto.h"
#include "store/jobs.h"
#include "base/json.h"
#include "base/log.h"
#include "store/pgjson.h"
#include "slack/slackapi.h"
#include "store/sqlfrag.h"

#define ISO HUB_SQL_ISO
#define CHANNEL_MAX	(HUB_SLACK_ID_LEN - 1)
#define REASON_MAX	200
#define JOB_ID_DIGITS	18
#define STATUS_URL_MAX	128	/* "/api/connections/<uuid>/test/<job>" */

#define CONN_JSON \
	"SELECT id, name, type, team_id, team_name, enterprise_id, app_id, bot_user_id," \
	" default_channel, is_default, disabled, disabled_reason, " \
	ISO("disabled_at") " AS disabled_at, needs_admin_attention," \
	" CASE WHEN scopes IS NULL THEN NULL" \
	"  ELSE to_jsonb(string_to_array(scopes, ',')) END AS scopes," \
	" refresh_token_enc IS NOT NULL AS token_rotation, " \
	ISO("token_expires_at") " AS token_expires_at, " \
	ISO("created_at") " AS created_at, " ISO("updated_at") " AS updated_at" \
	" FROM slack_connections"

/* On the banner: see connadmin.h.  t: the table's alias with its dot. */
#define BANNER_PRED(t) \
	"(" t "needs_admin_attention OR (" t "disabled AND (" t "banner_ack_at IS NULL" \
	" OR " t "banner_ack_at < " t "disabled_at)))"

enum stmt {
	STMT_LIST,
	STMT_OVERVIEW,
	STMT_BANNER,
	STMT_DELETE,
	STMT_GET,
	STMT_CLEAR_DEFAULT,
	STMT_SET_DEFAULT,
	STMT_UPDATE,
	STMT_TEST_DELIVERY,
	STMT_TEST_JOB,
	STMT_TEST_GET,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_LIST] = { CONN_JSON " ORDER BY name", 0 },
	[STMT_GET] = { CONN_JSON " WHERE id = $1::uuid", 1 },
	/* The newest failure uses the partial index delivery_log_failed. */
	[STMT_OVERVIEW] = {
		"SELECT x.*, le.error_code AS last_error, le.error_detail AS last_error_detail,"
		" " ISO("le.created_at") " AS last_error_at,"
		" EXISTS (SELECT 1 FROM slack_connections s WHERE s.id = x.id AND "
		BANNER_PRED("s.") ") AS on_banner"
		" FROM (" CONN_JSON ") x LEFT JOIN LATERAL ("
		"  SELECT d.error_code, d.error_detail, d.created_at FROM delivery_log d"
		"  WHERE d.status = 'failed' AND d.connection_id = x.id"
		"  ORDER BY d.created_at DESC LIMIT 1) le ON true"
		" ORDER BY x.name", 0 },
	/* Every page asks: the partial index slack_connections_banner. */
	[STMT_BANNER] = {
		"SELECT id, name, disabled, coalesce(disabled_reason, '') AS reason,"
		" needs_admin_attention FROM slack_connections"
		" WHERE (needs_admin_attention OR disabled) AND " BANNER_PRED("")
		" ORDER BY name LIMIT $1::int", 1 },
	/* The row holds the sealed secrets: they go with it. */
	[STMT_DELETE] = {
		"DELETE FROM slack_connections WHERE id = $1::uuid RETURNING name", 1 },
	/* The one-default index is checked row by row: the old one first. */
	[STMT_CLEAR_DEFAULT] = {
		"UPDATE slack_connections SET is_default = false"
		" WHERE is_default AND id <> $1::uuid", 1 },
	[STMT_SET_DEFAULT] = {
		"UPDATE slack_connections SET is_default = true WHERE id = $1::uuid", 1 },
	/* $2/$3 channel (present, value; '' clears), $4 disabled (NULL: keep),
	 * $5 reason, $6 acknowledge. */
	[STMT_UPDATE] = {
		"UPDATE slack_connections SET"
		" default_channel = CASE WHEN $2::bool THEN nullif($3, '') ELSE default_channel END,"
		" disabled = coalesce($4::bool, disabled),"
		" disabled_reason = CASE WHEN $4::bool THEN $5"
		"  WHEN NOT $4::bool THEN NULL ELSE disabled_reason END,"
		" disabled_at = CASE WHEN $4::bool THEN now()"
		"  WHEN NOT $4::bool THEN NULL ELSE disabled_at END,"
		" needs_admin_attention = CASE WHEN $6::bool OR $4::bool IS NOT NULL THEN false"
		"  ELSE needs_admin_attention END,"
		" banner_ack_at = CASE WHEN $6::bool THEN now() ELSE banner_ack_at END"
		" WHERE id = $1::uuid RETURNING id", 6 },
	/* $1 connection, $2 transport, $3 channel */
	[STMT_TEST_DELIVERY] = {
		"INSERT INTO delivery_log (connection_id, kind, transport, channel, status)"
		" VALUES ($1::uuid, 'test', $2, nullif($3, ''), 'queued') RETURNING id", 3 },
	[STMT_TEST_JOB] = {
		"UPDATE delivery_log SET job_id = $2::bigint WHERE id = $1::bigint", 2 },
	[STMT_TEST_GET] = {
		"SELECT j.id AS job, d.connection_id AS connection, d.channel, d.status,"
		" CASE d.status WHEN 'delivered' THEN true WHEN 'failed' THEN false END AS ok,"
		" CASE WHEN d.status = 'delivered' THEN (SELECT a.detail FROM job_attempts a"
		"  WHERE a.job_id = j.id AND a.ok ORDER BY a.attempt DESC LIMIT 1) END AS result,"
		" d.error_code AS error, d.error_detail AS fix, " ISO("d.created_at") " AS created_at,"
		" " ISO("d.updated_at") " AS updated_at"
		" FROM jobs j JOIN delivery_log d ON d.job_id = j.id"
		" WHERE j.id = $1::bigint AND j.kind = '" HUB_CONNADM_TEST_KIND "'"
		" AND d.connection_id = $2::uuid AND d.kind = 'test'", 2 },
};

static const struct hub_stmt_table connadm_stmts = { "connadmin", stmts, STMT__MAX };

static int
dberr(struct hub_problem *p, int rc)
{
	p->db = rc;
	snprintf(p->message, sizeof(p->message), "database error");
	return rc == HUB_DB_NOMEM ? HUB_CONNADM_NOMEM : HUB_CONNADM_DB;
}

/* Conversation ids: C…, G…, D… — upper-case letters and digits. */
static int
channel_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n < 2 || n > CHANNEL_MAX || (s[0] != 'C' && s[0] != 'G' && s[0] != 'D'))
		return 0;
	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Every key of in is one of allowed. */
static int
only(json_object *in, const char *const *allowed, struct hub_problem *p)
{
	json_object_object_foreach(in, k, v) {
		(void)v;
		if (!hub_check_oneof(k, allowed))
			return hub_problem(p, k, "unknown field", HUB_CONNADM_INVALID);
	}
	return HUB_CONNADM_OK;
}

/* A string field: OK, MISSING (absent or null) or INVALID (answered in p). */
static int
str_field(json_object *in, const char *key, size_t max, const char **out,
    struct hub_problem *p, const char *what)
{
	int rc = hub_json_get_string(in, key, max, out);

	if (rc == HUB_JSON_OK || rc == HUB_JSON_MISSING)
		return rc;
	hub_problem(p, key, what, 0);
	return -1;
}

static void
slack_client(const struct hub_conf *conf, struct hub_httpc *http, struct hub_keyring *ring,
    struct hub_slack *s)
{
	memset(s, 0, sizeof(*s));
	s->http = http;
	s->api_url = conf->slack_api_url;
	s->timeout_ms = HUB_CONNADM_SLACK_MS;
	s->keyring = ring;
}

static int
keyring(const struct hub_conf *conf, struct hub_keyring *ring, struct hub_problem *p)
{
	memset(ring, 0, sizeof(*ring));
	if (!conf->have_secret_key || hub_keyring_add(ring, conf->secret_key) != HUB_CRYPTO_OK) {
		snprintf(p->message, sizeof(p->message), "SECRET_KEY is not usable");
		p->db = HUB_DB_QUERY;
		return HUB_CONNADM_DB;
	}
	return HUB_CONNADM_OK;
}

/* A Slack refusal as the admin's answer: Slack down is 503, anything
 * else 400 naming the error and its fix. */
static int
slack_refused(const struct hub_slack_result *res, const struct hub_buf *fix,
    const char *field, struct hub_problem *p)
{
	char msg[sizeof(p->message)];

	if (res->cls == HUB_SLACK_TRANSIENT || res->cls == HUB_SLACK_RATELIMITED) {
		snprintf(msg, sizeof(msg), "Slack did not answer (%s): try again shortly",
		    res->error[0] ? res->error : "no answer");
		hub_problem(p, NULL, msg, 0);
		return HUB_CONNADM_UNAVAILABLE;
	}
	if (fix != NULL && fix->len > 0)
		snprintf(msg, sizeof(msg), "%s", hub_buf_str(fix));
	else
		snprintf(msg, sizeof(msg), "Slack answered %s: %s",
		    res->error[0] ? res->error : "an error", hub_slack_fix(res->error));
	return hub_problem(p, field, msg, HUB_CONNADM_INVALID);
}

/* One audit row about connection c: {"connection", "connection_id"} and
 * one more key k (when not NULL) with value v (NULL: JSON null). */
static int
audit_conn(struct hub_db *db, const struct hub_actor *a, const char *action,
    const struct hub_conn *c, const char *k, const char *v)
{
	json_object *d = json_object_new_object();
	int rc;

	if (d == NULL)
		return HUB_DB_NOMEM;
	json_object_object_add(d, "connection", json_object_new_string(c->name));
	json_object_object_add(d, "connection_id", json_object_new_string(c->id));
	if (k != NULL)
		json_object_object_add(d, k, v != NULL ? json_object_new_string(v) : NULL);
	rc = hub_audit_admin(db, a, action, d);
	json_object_put(d);
	return rc;
}

/* The connection behind id: OK, NOTFOUND, or DB. */
static int
conn_of(struct hub_db *db, const char *id, struct hub_conn *c, struct hub_problem *p)
{
	if (!hub_check_uuid(id))
		return HUB_CONNADM_NOTFOUND;
	switch (hub_connections_get(db, id, c)) {
	case HUB_CONN_OK:
		return HUB_CONNADM_OK;
	case HUB_CONN_NOTFOUND:
		return HUB_CONNADM_NOTFOUND;
	default:
		return dberr(p, HUB_DB_CONN);
	}
}

/* May c's bot post to channel (conversations.info, bounded)?  OK, or
 * the refusal in p under field: Slack's fix, or Slack down (UNAVAILABLE). */
static int
channel_access(struct hub_db *db, const struct hub_conf *conf, struct hub_httpc *http,
    const struct hub_conn *c, const char *channel, const char *field, struct hub_problem *p)
{
	struct hub_buf fix = HUB_BUF_INIT(1024);
	struct hub_slack_result res;
	struct hub_keyring ring;
	struct hub_slack s;
	int rc;

	hub_slack_result_init(&res);
	if ((rc = keyring(conf, &ring, p)) != HUB_CONNADM_OK)
		goto out;
	slack_client(conf, http, &ring, &s);
	switch (hub_connections_check_channel(db, &s, c, channel, &res, &fix)) {
	case HUB_CONN_OK:
		rc = HUB_CONNADM_OK;
		break;
	case HUB_CONN_SLACK:
		rc = slack_refused(&res, &fix, field, p);
		break;
	case HUB_CONN_CRYPTO:
		rc = hub_problem(p, NULL, "the stored token cannot be opened (SECRET_KEY "
		    "changed?): reinstall the app", HUB_CONNADM_INVALID);
		break;
	default:
		rc = dberr(p, HUB_DB_QUERY);
		break;
	}
out:
	memset(&ring, 0, sizeof(ring));
	hub_buf_release(&fix);
	hub_slack_result_free(&res);
	return rc;
}

static const char *
via_of(const struct hub_actor *a)
{
	return a != NULL && a->via != NULL ? a->via : "api";
}

/* An add committed by itself (hub_connections_add): log it, and its audit
 * row follows. */
static void
added(struct hub_db *db, const struct hub_actor *a, const struct hub_conn *c)
{
	hub_log(HUB_LOG_INFO, "connection_added", "connection", c->name,
	    "type", hub_conn_type_name(c->type), "via", via_of(a), NULL);
	if (audit_conn(db, a, "connection.added", c, "type", hub_conn_type_name(c->type)) !=
	    HUB_DB_OK)
		hub_log(HUB_LOG_ERROR, "audit_failed", "action", "connection.added",
		    "connection", c->name, NULL);
}

int
hub_connadm_list(struct hub_db *db, json_object **out, struct hub_problem *p)
{
	PGresult *r = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_LIST, NULL, &r)) != HUB_DB_OK)
		return dberr(p, rc);
	*out = hub_pgjson_all(r, "connections");
	PQclear(r);
	return *out != NULL ? HUB_CONNADM_OK : HUB_CONNADM_NOMEM;
}

int
hub_connadm_get(struct hub_db *db, const char *id, json_object **out, struct hub_problem *p)
{
	const char *params[1] = { id };
	PGresult *r = NULL;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!hub_check_uuid(id))
		return HUB_CONNADM_NOTFOUND;
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_GET, params, &r)) != HUB_DB_OK)
		return dberr(p, rc);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return HUB_CONNADM_NOTFOUND;
	}
	*out = hub_pgjson_row(r, 0);
	PQclear(r);
	return *out != NULL ? HUB_CONNADM_OK : HUB_CONNADM_NOMEM;
}

/* Does the spec carry what its type needs, and nothing the type refuses?
 * OK, or INVALID answered in p. */
static int
spec_fits_type(const struct hub_conn_spec *spec, struct hub_problem *p)
{
	if ((spec->type != HUB_CONN_INCOMING_WEBHOOK) != (spec->token != NULL))
		return hub_problem(p, "token", spec->token == NULL ?
		    "this type needs a bot token (xoxb-…)" :
		    "an INCOMING_WEBHOOK connection takes no token", HUB_CONNADM_INVALID);
	if ((spec->type != HUB_CONN_SLACK_APP) != (spec->webhook_url != NULL))
		return hub_problem(p, "webhook_url", spec->webhook_url == NULL ?
		    "this type needs a webhook_url (https://hooks.slack.com/services/…)" :
		    "a SLACK_APP connection takes no webhook_url", HUB_CONNADM_INVALID);
	if (spec->channel != NULL && !channel_ok(spec->channel))
		return hub_problem(p, "default_channel", "not a channel id: copy the id "
		    "(C…, G…) from the channel's details", HUB_CONNADM_INVALID);
	if (spec->channel != NULL && spec->type != HUB_CONN_SLACK_APP)
		return hub_problem(p, "default_channel", "a webhook posts to its own channel: "
		    "default_channel is for SLACK_APP connections", HUB_CONNADM_INVALID);
	return HUB_CONNADM_OK;
}

/* The create body as a spec (borrowing in's strings): OK, or the refusal
 * in p. */
static int
create_spec(json_object *in, struct hub_conn_spec *spec, struct hub_problem *p)
{
	static const char *const allowed[] = {
		"name", "type", "token", "webhook_url", "default_channel", "default", NULL,
	};
	const char *type = NULL;
	int t, rc, b = 0;

	if ((rc = only(in, allowed, p)) != HUB_CONNADM_OK)
		return rc;
	if (str_field(in, "name", HUB_CONN_NAME_MAX, &spec->name, p,
	    "a name of 1 to 100 characters") != HUB_JSON_OK ||
	    !hub_check_text(spec->name, HUB_CONN_NAME_MAX, 1))
		return hub_problem(p, "name", "a name of 1 to 100 characters is required",
		    HUB_CONNADM_INVALID);
	if (str_field(in, "type", 64, &type, p, "type must be a string") < 0)
		return HUB_CONNADM_INVALID;
	if ((t = hub_conn_type_parse(type)) < 0)
		return hub_problem(p, "type", "type must be SLACK_APP, INCOMING_WEBHOOK or "
		    "INCOMING_WEBHOOK_LOOKUP", HUB_CONNADM_INVALID);
	spec->type = (enum hub_conn_type)t;
	if (str_field(in, "token", 512, &spec->token, p, "token must be a string") < 0 ||
	    str_field(in, "webhook_url", 1000, &spec->webhook_url, p,
	    "webhook_url must be a string") < 0 ||
	    str_field(in, "default_channel", CHANNEL_MAX, &spec->channel, p,
	    "default_channel must be a channel id (C…, G…)") < 0)
		return HUB_CONNADM_INVALID;
	if ((rc = spec_fits_type(spec, p)) != HUB_CONNADM_OK)
		return rc;
	switch (hub_json_get_bool(in, "default", &b)) {
	case HUB_JSON_OK:
	case HUB_JSON_MISSING:
		break;
	default:
		return hub_problem(p, "default", "default must be true or false",
		    HUB_CONNADM_INVALID);
	}
	spec->is_default = b;
	return HUB_CONNADM_OK;
}

/* hub_connections_add's answer (crc) as the admin's: the new connection
 * in *out, or the refusal in p under the field it is about. */
static int
create_answer(struct hub_db *db, const struct hub_actor *actor,
    const struct hub_conn_spec *spec, int crc, const struct hub_conn *c,
    const struct hub_slack_result *res, const struct hub_buf *fix,
    json_object **out, struct hub_problem *p)
{
	const char *cred = spec->token != NULL ? "token" : "webhook_url";

	switch (crc) {
	case HUB_CONN_OK:
		added(db, actor, c);
		return hub_connadm_get(db, c->id, out, p);
	case HUB_CONN_INVALID:
		return hub_problem(p, cred, fix->len ? hub_buf_str(fix) : "invalid value",
		    HUB_CONNADM_INVALID);
	case HUB_CONN_EXISTS:
		return hub_problem(p, "name", "a connection with this name exists",
		    HUB_CONNADM_EXISTS);
	case HUB_CONN_SLACK:
		return slack_refused(res, fix, res->cls == HUB_SLACK_AUTH ||
		    spec->channel == NULL ? cred : "default_channel", p);
	case HUB_CONN_NOMEM:
		return HUB_CONNADM_NOMEM;
	default:
		return dberr(p, HUB_DB_QUERY);
	}
}

int
hub_connadm_create(struct hub_db *db, const struct hub_conf *conf, struct hub_httpc *http,
    json_object *in, const struct hub_actor *actor, json_object **out, struct hub_problem *p)
{
	struct hub_buf fix = HUB_BUF_INIT(1024);
	struct hub_slack_result res;
	struct hub_conn_spec spec;
	struct hub_keyring ring;
	struct hub_slack s;
	struct hub_conn c;
	int rc, crc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	memset(&spec, 0, sizeof(spec));
	memset(&ring, 0, sizeof(ring));
	hub_slack_result_init(&res);
	if ((rc = create_spec(in, &spec, p)) != HUB_CONNADM_OK ||
	    (rc = keyring(conf, &ring, p)) != HUB_CONNADM_OK)
		goto out;
	slack_client(conf, http, &ring, &s);
	crc = hub_connections_add(db, &s, &spec, &c, &res, &fix);
	rc = create_answer(db, actor, &spec, crc, &c, &res, &fix, out, p);
out:
	memset(&ring, 0, sizeof(ring));
	hub_buf_release(&fix);
	hub_slack_result_free(&res);
	return rc;
}

/* What one PATCH asks: dis -1 keeps disabled as it is. */
struct patch {
	int		 def, dis, ack, has_channel;
	const char	*reason, *channel;	/* borrowed from the body */
};

/* The audit rows of one patch, in its transaction. */
static int
audit_patch(struct hub_db *db, const struct hub_actor *a, const struct hub_conn *c,
    const struct patch *pt, const char *reason)
{
	int rc = HUB_DB_OK;

	if (pt->def)
		rc = audit_conn(db, a, "connection.default_set", c, NULL, NULL);
	if (rc == HUB_DB_OK && pt->has_channel)
		rc = audit_conn(db, a, "connection.channel_set", c, "channel", pt->channel);
	if (rc == HUB_DB_OK && pt->dis == 1)
		rc = audit_conn(db, a, "connection.disabled", c, "reason", reason);
	if (rc == HUB_DB_OK && pt->dis == 0)
		rc = audit_conn(db, a, "connection.enabled", c, NULL, NULL);
	if (rc == HUB_DB_OK && pt->ack)
		rc = audit_conn(db, a, "connection.acknowledged", c, NULL, NULL);
	return rc;
}

/* The flags of a PATCH body (default, disabled, reason, acknowledge):
 * OK, or INVALID answered in p. */
static int
patch_flags(json_object *in, struct patch *pt, struct hub_problem *p)
{
	int x;

	if (json_object_object_get_ex(in, "default", NULL) &&
	    (hub_json_get_bool(in, "default", &pt->def) != HUB_JSON_OK || !pt->def))
		return hub_problem(p, "default", "default can only be set to true (make "
		    "another connection the default to change it)", HUB_CONNADM_INVALID);
	if (json_object_object_get_ex(in, "disabled", NULL)) {
		if (hub_json_get_bool(in, "disabled", &x) != HUB_JSON_OK)
			return hub_problem(p, "disabled", "disabled must be true or false",
			    HUB_CONNADM_INVALID);
		pt->dis = x;
	}
	if (str_field(in, "reason", REASON_MAX, &pt->reason, p,
	    "reason must be a string of at most 200 bytes") < 0)
		return HUB_CONNADM_INVALID;
	if (pt->reason != NULL && (pt->dis != 1 ||
	    !hub_check_text(pt->reason, REASON_MAX, 1)))
		return hub_problem(p, "reason", pt->dis != 1 ?
		    "reason goes with \"disabled\": true" :
		    "reason must be 1 to 200 characters without control characters",
		    HUB_CONNADM_INVALID);
	if (json_object_object_get_ex(in, "acknowledge", NULL) &&
	    (hub_json_get_bool(in, "acknowledge", &pt->ack) != HUB_JSON_OK || !pt->ack))
		return hub_problem(p, "acknowledge", "acknowledge must be true",
		    HUB_CONNADM_INVALID);
	return HUB_CONNADM_OK;
}

/* A PATCH body as a patch: OK, or the refusal in p. */
static int
patch_read(json_object *in, struct patch *pt, struct hub_problem *p)
{
	static const char *const allowed[] = {
		"default", "disabled", "reason", "default_channel", "acknowledge", NULL,
	};
	json_object *v;
	int rc;

	memset(pt, 0, sizeof(*pt));
	pt->dis = -1;
	if ((rc = only(in, allowed, p)) != HUB_CONNADM_OK)
		return rc;
	if (json_object_object_length(in) == 0)
		return hub_problem(p, NULL, "nothing to change: give default, disabled, "
		    "default_channel or acknowledge", HUB_CONNADM_INVALID);
	if ((rc = patch_flags(in, pt, p)) != HUB_CONNADM_OK)
		return rc;
	if (json_object_object_get_ex(in, "default_channel", &v)) {
		pt->has_channel = 1;
		if (v != NULL && (!json_object_is_type(v, json_type_string) ||
		    !channel_ok(json_object_get_string(v))))
			return hub_problem(p, "default_channel", "not a channel id: copy the "
			    "id (C…, G…) from the channel's details, or null to clear it",
			    HUB_CONNADM_INVALID);
		pt->channel = v != NULL ? json_object_get_string(v) : NULL;
	}
	return HUB_CONNADM_OK;
}

/* The patch's one transaction: the default moved, the row updated, the
 * audit rows. */
static int
patch_apply(struct hub_db *db, const struct hub_actor *actor, const struct hub_conn *c,
    const struct patch *pt, struct hub_problem *p)
{
	const char *params[6];
	PGresult *r = NULL;
	int rc;

	params[0] = c->id;
	params[1] = pt->has_channel ? "true" : "false";
	params[2] = pt->channel != NULL ? pt->channel : "";
	params[3] = pt->dis < 0 ? NULL : pt->dis ? "true" : "false";
	params[4] = pt->reason != NULL ? pt->reason : "disabled by an admin";
	params[5] = pt->ack ? "true" : "false";
	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		return dberr(p, rc);
	if ((pt->def && ((rc = hub_db_exec(db, &connadm_stmts, STMT_CLEAR_DEFAULT, params,
	    NULL)) != HUB_DB_OK || (rc = hub_db_exec(db, &connadm_stmts, STMT_SET_DEFAULT,
	    params, NULL)) != HUB_DB_OK)) ||
	    (rc = hub_db_exec(db, &connadm_stmts, STMT_UPDATE, params, &r)) != HUB_DB_OK ||
	    (rc = audit_patch(db, actor, c, pt, params[4])) != HUB_DB_OK ||
	    (rc = hub_db_commit(db)) != HUB_DB_OK) {
		hub_db_rollback(db);
		PQclear(r);
		return dberr(p, rc);
	}
	PQclear(r);
	return HUB_CONNADM_OK;
}

int
hub_connadm_patch(struct hub_db *db, const struct hub_conf *conf, struct hub_httpc *http,
    const char *id, json_object *in, const struct hub_actor *actor, json_object **out,
    struct hub_problem *p)
{
	struct hub_conn c;
	struct patch pt;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!hub_check_uuid(id))
		return HUB_CONNADM_NOTFOUND;
	if ((rc = patch_read(in, &pt, p)) != HUB_CONNADM_OK ||
	    (rc = conn_of(db, id, &c, p)) != HUB_CONNADM_OK)
		return rc;
	if (pt.channel != NULL) {
		if (c.type != HUB_CONN_SLACK_APP)
			return hub_problem(p, "default_channel", "a webhook posts to its own "
			    "channel: default_channel is for SLACK_APP connections",
			    HUB_CONNADM_INVALID);
		if ((rc = channel_access(db, conf, http, &c, pt.channel, "default_channel",
		    p)) != HUB_CONNADM_OK)
			return rc;
	}
	if ((rc = patch_apply(db, actor, &c, &pt, p)) != HUB_CONNADM_OK)
		return rc;
	hub_log(HUB_LOG_INFO, "connection_changed", "connection", c.name, "via", via_of(actor),
	    "disabled", pt.dis < 0 ? "unchanged" : pt.dis ? "true" : "false", NULL);
	return hub_connadm_get(db, c.id, out, p);
}

/* The connection a test is for and the channel it posts to (the body's,
 * else the connection's default; none for a webhook): OK, or the refusal
 * in p. */
static int
test_target(struct hub_db *db, const char *id, json_object *in, struct hub_conn *c,
    const char **channel, struct hub_problem *p)
{
	static const char *const allowed[] = { "channel", NULL };
	int rc;

	*channel = NULL;
	if (!hub_check_uuid(id))
		return HUB_CONNADM_NOTFOUND;
	if ((rc = only(in, allowed, p)) != HUB_CONNADM_OK)
		return rc;
	if (str_field(in, "channel", CHANNEL_MAX, channel, p,
	    "channel must be a channel id (C…, G…)") < 0)
		return HUB_CONNADM_INVALID;
	if (*channel != NULL && !channel_ok(*channel))
		return hub_problem(p, "channel", "not a channel id: copy the id (C…, G…) from the "
		    "channel's details", HUB_CONNADM_INVALID);
	if ((rc = conn_of(db, id, c, p)) != HUB_CONNADM_OK)
		return rc;
	if (c->type != HUB_CONN_SLACK_APP && *channel != NULL)
		return hub_problem(p, "channel", "a webhook posts to its own channel: give no "
		    "channel", HUB_CONNADM_INVALID);
	if (c->type == HUB_CONN_SLACK_APP && *channel == NULL) {
		if (c->default_channel[0] == '\0')
			return hub_problem(p, "channel", "the connection has no default channel: "
			    "give a channel id", HUB_CONNADM_INVALID);
		*channel = c->default_channel;
	}
	return HUB_CONNADM_OK;
}

/* In one transaction: the test's delivery_log row, its job, the row
 * pointing at the job, the audit row.  *job: the job's id. */
static int
test_enqueue(struct hub_db *db, const struct hub_actor *actor, const struct hub_conn *c,
    const char *channel, int64_t *job, struct hub_problem *p)
{
	json_object *payload = NULL;
	const char *params[3];
	char jid[HUB_INT64_TEXT_SIZE];
	PGresult *r = NULL;
	int64_t delivery;
	int rc;

	params[0] = c->id;
	params[1] = c->type == HUB_CONN_SLACK_APP ? "slack" : "webhook";
	params[2] = channel != NULL ? channel : "";
	if ((rc = hub_db_begin(db)) != HUB_DB_OK)
		return dberr(p, rc);
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_TEST_DELIVERY, params, &r)) != HUB_DB_OK)
		goto dbfail;
	if ((payload = json_object_new_object()) == NULL) {
		rc = HUB_CONNADM_NOMEM;
		goto fail;
	}
	json_object_object_add(payload, "connection_id", json_object_new_string(c->id));
	if (channel != NULL)
		json_object_object_add(payload, "channel", json_object_new_string(channel));
	if ((rc = hub_db_get_int64(r, 0, 0, &delivery)) != HUB_DB_OK)
		goto dbfail;
	json_object_object_add(payload, "delivery_id", json_object_new_int64(delivery));
	if ((rc = hub_job_enqueue(db, &(struct hub_job_spec){ .kind = HUB_CONNADM_TEST_KIND,
	    .payload = payload }, job)) != HUB_DB_OK)
		goto dbfail;
	snprintf(jid, sizeof(jid), "%lld", (long long)*job);
	params[0] = PQgetvalue(r, 0, 0);
	params[1] = jid;
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_TEST_JOB, params, NULL)) != HUB_DB_OK ||
	    (rc = audit_conn(db, actor, "connection.tested", c, "channel", channel)) !=
	    HUB_DB_OK || (rc = hub_db_commit(db)) != HUB_DB_OK)
		goto dbfail;
	rc = HUB_CONNADM_OK;
	goto out;
dbfail:
	rc = dberr(p, rc);
fail:
	hub_db_rollback(db);
out:
	json_object_put(payload);
	PQclear(r);
	return rc;
}

int
hub_connadm_test_start(struct hub_db *db, const char *id, json_object *in,
    const struct hub_actor *actor, json_object **out, struct hub_problem *p)
{
	struct hub_conn c;
	const char *channel;
	char url[STATUS_URL_MAX];
	int64_t job = 0;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = test_target(db, id, in, &c, &channel, p)) != HUB_CONNADM_OK ||
	    (rc = test_enqueue(db, actor, &c, channel, &job, p)) != HUB_CONNADM_OK)
		return rc;
	if ((*out = json_object_new_object()) == NULL)
		return HUB_CONNADM_NOMEM;
	snprintf(url, sizeof(url), "/api/connections/%s/test/%lld", c.id, (long long)job);
	json_object_object_add(*out, "job", json_object_new_int64(job));
	json_object_object_add(*out, "connection", json_object_new_string(c.id));
	json_object_object_add(*out, "status", json_object_new_string("queued"));
	json_object_object_add(*out, "status_url", json_object_new_string(url));
	return HUB_CONNADM_OK;
}

int
hub_connadm_test_get(struct hub_db *db, const char *id, const char *job, json_object **out,
    struct hub_problem *p)
{
	const char *params[2] = { job, id };
	json_object *res;
	PGresult *r = NULL;
	size_t n = job != NULL ? strlen(job) : 0;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if (!hub_check_uuid(id) || n == 0 || n > JOB_ID_DIGITS ||
	    strspn(job, "0123456789") != n)
		return HUB_CONNADM_NOTFOUND;
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_TEST_GET, params, &r)) != HUB_DB_OK)
		return dberr(p, rc);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return HUB_CONNADM_NOTFOUND;
	}
	*out = hub_pgjson_row(r, 0);
	PQclear(r);
	if (*out == NULL)
		return HUB_CONNADM_NOMEM;
	/* The success detail is the message ts ("ok" for a webhook). */
	if (json_object_object_get_ex(*out, "result", &res)) {
		const char *t = res != NULL ? json_object_get_string(res) : NULL;

		json_object_object_add(*out, "ts", t != NULL && strcmp(t, "ok") != 0 ?
		    json_object_new_string(t) : NULL);
		json_object_object_del(*out, "result");
	}
	return HUB_CONNADM_OK;
}

/* ------------------------------------------------------------ admin pages */

int
hub_connadm_channel_check(struct hub_db *db, const struct hub_conf *conf, struct hub_httpc *http,
    const char *id, const char *channel, json_object **out, struct hub_problem *p)
{
	struct hub_conn c;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = conn_of(db, id, &c, p)) != HUB_CONNADM_OK)
		return rc;
	if (channel == NULL || !channel_ok(channel))
		return hub_problem(p, "channel", "not a channel id: copy the id (C…, G…) from "
		    "the channel's details", HUB_CONNADM_INVALID);
	if (c.type != HUB_CONN_SLACK_APP)
		return hub_problem(p, "channel", "a webhook posts to its own channel: there is "
		    "no channel to check", HUB_CONNADM_INVALID);
	if ((rc = channel_access(db, conf, http, &c, channel, "channel", p)) != HUB_CONNADM_OK)
		return rc;
	if ((*out = json_object_new_object()) == NULL)
		return HUB_CONNADM_NOMEM;
	json_object_object_add(*out, "channel", json_object_new_string(channel));
	json_object_object_add(*out, "ok", json_object_new_boolean(1));
	return HUB_CONNADM_OK;
}

/*
 * auth.revoke with the connection's token.  *revoked 1 when Slack revoked
 * it or no longer accepts it; answer: "ok", Slack's error, or "" (no
 * token).  OK, or (unless force) UNAVAILABLE / INVALID saying why nothing
 * was deleted.
 */
static int
revoke_token(const struct hub_conf *conf, struct hub_httpc *http, const struct hub_conn *c,
    int force, int *revoked, char *answer, size_t alen, struct hub_problem *p)
{
	struct hub_buf tok = HUB_BUF_INIT(HUB_CONN_SEALED_MAX);
	struct hub_slack_result res;
	struct hub_keyring ring;
	struct hub_slack s;
	char msg[sizeof(p->message)];
	int rc = HUB_CONNADM_OK;

	*revoked = 0;
	answer[0] = '\0';
	hub_slack_result_init(&res);
	memset(&ring, 0, sizeof(ring));
	if (c->bot_token_enc[0] == '\0')
		goto out;
	if ((rc = keyring(conf, &ring, p)) != HUB_CONNADM_OK)
		goto out;
	slack_client(conf, http, &ring, &s);
	if (hub_connections_open_token(&s, c, &tok) != HUB_CONN_OK) {
		/* Nobody can use a token that cannot be opened, the hub included. */
		snprintf(answer, alen, "%s", "token_unreadable");
		goto out;
	}
	hub_slack_call(&s, "auth.revoke", hub_buf_str(&tok), NULL, &res);
	if (res.cls == HUB_SLACK_OK || res.cls == HUB_SLACK_AUTH) {
		*revoked = 1;
		snprintf(answer, alen, "%s", res.cls == HUB_SLACK_OK ? "ok" : res.error);
		goto out;
	}
	snprintf(answer, alen, "%s", res.error[0] ? res.error : "no_answer");
	if (force)
		goto out;
	snprintf(msg, sizeof(msg), "Slack did not revoke the token (%s): nothing was deleted. "
	    "Try again, or disconnect anyway to delete it from the hub only.", answer);
	rc = hub_problem(p, NULL, msg, res.cls == HUB_SLACK_TRANSIENT ||
	    res.cls == HUB_SLACK_RATELIMITED ? HUB_CONNADM_UNAVAILABLE : HUB_CONNADM_INVALID);
out:
	if (tok.data != NULL)
		memset(tok.data, 0, tok.cap);
	hub_buf_release(&tok);
	memset(&ring, 0, sizeof(ring));
	hub_slack_result_free(&res);
	return rc;
}

/* What a disconnect did, in the words the admin reads. */
static json_object *
disconnect_answer(const struct hub_conn *c, int revoked, const char *answer)
{
	json_object *o = json_object_new_object();
	const char *msg;

	if (o == NULL)
		return NULL;
	if (c->bot_token_enc[0] == '\0')
		msg = "The webhook URL was deleted from the hub. Remove the webhook in the "
		    "Slack app's settings (Incoming Webhooks) if it should stop working.";
	else if (revoked)
		msg = "Slack revoked the token, and the hub deleted it.";
	else
		msg = "Slack did not revoke the token; the hub deleted its copy. Revoke it in "
		    "the Slack app's settings (OAuth & Permissions).";
	json_object_object_add(o, "connection", json_object_new_string(c->name));
	json_object_object_add(o, "type", json_object_new_string(hub_conn_type_name(c->type)));
	json_object_object_add(o, "revoked", json_object_new_boolean(revoked));
	json_object_object_add(o, "slack_answer", answer[0] ? json_object_new_string(answer) :
	    NULL);
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

int
hub_connadm_disconnect(struct hub_db *db, const struct hub_conf *conf, struct hub_httpc *http,
    const char *id, int force, const struct hub_actor *actor, json_object **out,
    struct hub_problem *p)
{
	const char *params[1];
	json_object *d = NULL;
	struct hub_conn c;
	PGresult *r = NULL;
	char answer[64];
	int rc, revoked, in_tx = 0;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = conn_of(db, id, &c, p)) != HUB_CONNADM_OK ||
	    (rc = revoke_token(conf, http, &c, force, &revoked, answer, sizeof(answer), p)) !=
	    HUB_CONNADM_OK)
		return rc;
	if ((d = json_object_new_object()) == NULL)
		return HUB_CONNADM_NOMEM;
	json_object_object_add(d, "connection", json_object_new_string(c.name));
	json_object_object_add(d, "connection_id", json_object_new_string(c.id));
	json_object_object_add(d, "type", json_object_new_string(hub_conn_type_name(c.type)));
	json_object_object_add(d, "team_id", c.team_id[0] ? json_object_new_string(c.team_id) :
	    NULL);
	json_object_object_add(d, "revoked", json_object_new_boolean(revoked));
	json_object_object_add(d, "slack_answer", answer[0] ? json_object_new_string(answer) :
	    NULL);
	params[0] = c.id;
	if ((rc = hub_db_begin(db)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	in_tx = 1;
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_DELETE, params, &r)) != HUB_DB_OK ||
	    (rc = hub_audit_admin(db, actor, "connection.disconnected", d)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	if (PQntuples(r) != 1) {
		rc = HUB_CONNADM_NOTFOUND;   /* gone meanwhile */
		goto out;
	}
	if ((rc = hub_db_commit(db)) != HUB_DB_OK) {
		rc = dberr(p, rc);
		goto out;
	}
	in_tx = 0;
	hub_log(HUB_LOG_INFO, "connection_disconnected", "connection", c.name,
	    "revoked", revoked ? "true" : "false", NULL);
	rc = (*out = disconnect_answer(&c, revoked, answer)) != NULL ? HUB_CONNADM_OK :
	    HUB_CONNADM_NOMEM;
out:
	if (in_tx)
		hub_db_rollback(db);
	PQclear(r);
	json_object_put(d);
	return rc;
}

int
hub_connadm_overview(struct hub_db *db, json_object **out, struct hub_problem *p)
{
	PGresult *r = NULL;
	int rc;

	*out = NULL;
	memset(p, 0, sizeof(*p));
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_OVERVIEW, NULL, &r)) != HUB_DB_OK)
		return dberr(p, rc);
	*out = hub_pgjson_all(r, "connections");
	PQclear(r);
	return *out != NULL ? HUB_CONNADM_OK : HUB_CONNADM_NOMEM;
}

int
hub_connadm_banner(struct hub_db *db, json_object **out)
{
	char max[HUB_INT64_TEXT_SIZE];
	const char *params[1] = { max };
	PGresult *r = NULL;
	int rc;

	*out = NULL;
	snprintf(max, sizeof(max), "%d", HUB_CONNADM_BANNER_MAX);
	if ((rc = hub_db_exec(db, &connadm_stmts, STMT_BANNER, params, &r)) != HUB_DB_OK)
		return rc == HUB_DB_NOMEM ? HUB_CONNADM_NOMEM : HUB_CONNADM_DB;
	*out = hub_pgjson_rows(r, HUB_CONNADM_BANNER_MAX);
	PQclear(r);
	return *out != NULL ? HUB_CONNADM_OK : HUB_CONNADM_NOMEM;
}

/* ------------------------------------------------------------ the job */

/* The test job's connection and channel (the payload's, else the
 * connection's default): 0, or -1 with the outcome already in r. */
static int
test_job_target(struct hub_job_env *e, const struct hub_job *job, struct hub_conn *c,
    const char **channel, struct hub_job_result *r)
{
	const char *id;
	int rc;

	*channel = NULL;
	if (hub_json_get_string(job->payload, "connection_id", 36, &id) != HUB_JSON_OK ||
	    (hub_json_get_string(job->payload, "channel", CHANNEL_MAX, channel) != HUB_JSON_OK &&
	    *channel != NULL)) {
		hub_job_result_set(r, HUB_JOB_FAIL, "bad payload", "bad_payload",
		    "bad payload: connection_id is required");
		return -1;
	}
	if ((rc = hub_connections_get(e->db, id, c)) != HUB_CONN_OK) {
		if (rc == HUB_CONN_NOTFOUND)
			hub_job_result_set(r, HUB_JOB_FAIL, "connection gone", "connection_gone",
			    "the connection was deleted");
		else
			hub_job_result_set(r, HUB_JOB_RETRY, "database", "database",
			    "database: %s",
			    hub_conn_strerror(rc));
		return -1;
	}
	if (c->type == HUB_CONN_SLACK_APP && *channel == NULL)
		*channel = c->default_channel[0] ? c->default_channel : NULL;
	if (c->type == HUB_CONN_SLACK_APP && *channel == NULL) {
		hub_job_result_set(r, HUB_JOB_FAIL, "no channel", "no_channel",
		    "the connection has no default channel: give a channel");
		return -1;
	}
	return 0;
}

/* The test message through c (a post, or the webhook and, for a lookup
 * webhook, auth.test on its token): a HUB_CONN_* code, Slack's answer in
 * res. */
static int
test_job_send(struct hub_job_env *e, struct hub_slack *s, struct hub_conn *c,
    const char *channel, struct hub_slack_result *res)
{
	static const char text[] = "Approval hub connection test";
	json_object *msg;
	int rc;

	memset(s, 0, sizeof(*s));
	s->http = e->http;
	s->api_url = e->conf->slack_api_url;
	s->keyring = e->keys;
	s->timeout_ms = HUB_SLACK_TIMEOUT_MS;
	if (e->lease_s > 10 && s->timeout_ms > (long)(e->lease_s - 5) * 1000)
		s->timeout_ms = (long)(e->lease_s - 5) * 1000;
	/* A test is how an admin checks a fix: try even a disabled one. */
	c->disabled = 0;
	msg = json_object_new_object();
	json_object_object_add(msg, "text", json_object_new_string(text));
	if (c->type == HUB_CONN_SLACK_APP) {
		json_object_object_add(msg, "channel", json_object_new_string(channel));
		rc = hub_connections_call(e->db, s, c, "chat.postMessage", channel, msg, res);
	} else {
		rc = hub_connections_webhook_post(e->db, s, c, msg, res);
		/* The lookup token only serves users.lookupByEmail: check it too. */
		if (rc == HUB_CONN_OK && c->type == HUB_CONN_INCOMING_WEBHOOK_LOOKUP)
			rc = hub_connections_call(e->db, s, c, "auth.test", NULL, NULL, res);
	}
	json_object_put(msg);
	return rc;
}

/* Slack refused the test: retry what may pass later, else fail naming
 * the fix (for a channel, what check_channel says is wrong with it). */
static void
test_job_refused(struct hub_job_env *e, struct hub_slack *s, const struct hub_conn *c,
    const char *channel, const struct hub_slack_result *res, struct hub_job_result *r)
{
	struct hub_buf fix = HUB_BUF_INIT(1024);
	struct hub_slack_result chk;

	if (res->cls == HUB_SLACK_RATELIMITED) {
		hub_job_result_set(r, HUB_JOB_RETRY, "rate limited", res->error,
		    "%s: %s", res->error,
		    "Slack is rate limiting; the test is retried");
		r->retry_after = res->retry_after > 0 ? res->retry_after :
		    res->wait_ms > 0 ? (int)((res->wait_ms + 999) / 1000) : -1;
		return;
	}
	if (res->cls == HUB_SLACK_TRANSIENT) {
		hub_job_result_set(r, HUB_JOB_RETRY, "slack unavailable", res->error,
		    "%s: %s", res->error, hub_slack_fix(res->error));
		return;
	}
	if (res->cls == HUB_SLACK_CHANNEL && c->type == HUB_CONN_SLACK_APP) {
		/* The fix names the remedy; the error stays the send's. */
		hub_slack_result_init(&chk);
		hub_connections_check_channel(e->db, s, c, channel, &chk, &fix);
		hub_slack_result_free(&chk);
	}
	if (fix.len > 0)
		hub_job_result_set(r, HUB_JOB_FAIL, "slack refused", res->error[0] ?
		    res->error : "slack", "%s", hub_buf_str(&fix));
	else
		hub_job_result_set(r, HUB_JOB_FAIL, "slack refused", res->error,
		    "%s: %s", res->error, hub_slack_fix(res->error));
	if (res->cls == HUB_SLACK_AUTH) {
		size_t n = strlen(r->detail);

		snprintf(r->detail + n, sizeof(r->detail) - n,
		    " (the connection is now disabled)");
	}
	hub_buf_release(&fix);
}

void
hub_job_connection_test(struct hub_job_env *e, const struct hub_job *job,
    struct hub_job_result *r)
{
	struct hub_slack_result res;
	struct hub_slack s;
	struct hub_conn c;
	const char *channel, *ts = NULL;
	int rc;

	hub_slack_result_init(&res);
	if (test_job_target(e, job, &c, &channel, r) != 0)
		goto out;
	rc = test_job_send(e, &s, &c, channel, &res);
	if (rc == HUB_CONN_SLACK)
		test_job_refused(e, &s, &c, channel, &res, r);
	else if (rc != HUB_CONN_OK)
		hub_job_result_set(r, rc == HUB_CONN_DB ? HUB_JOB_RETRY : HUB_JOB_FAIL,
		    "failed",
		    rc == HUB_CONN_CRYPTO ? "crypto" : "error", "%s", hub_conn_strerror(rc));
	else {
		if (c.type == HUB_CONN_SLACK_APP)
			hub_json_get_string(res.resp, "ts", 64, &ts);
		hub_job_result_set(r, HUB_JOB_DONE, "delivered", "", "%s",
		    ts != NULL ? ts : "ok");
	}
out:
	hub_slack_result_free(&res);
}
