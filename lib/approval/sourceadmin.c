#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval/admin.h"
#include "approval/audit.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "approval/intake.h"
#include "base/json.h"
#include "store/netpolicy.h"
#include "store/pgjson.h"
#include "approval/sourceadmin.h"
#include "store/sqlfrag.h"

#define ISO HUB_SQL_ISO

#define SOURCE_COLS \
	"SELECT s.id, s.name, s.description, c.name AS connection," \
	" s.default_channel AS channel, s.delivery_mode, s.default_rule AS rule," \
	" extract(epoch FROM s.default_deadline)::bigint AS deadline," \
	" extract(epoch FROM s.default_reminder)::bigint AS reminder_every," \
	" s.callback_url, CASE WHEN s.callback_secret_enc IS NULL THEN NULL" \
	" ELSE 'set' END AS callback_secret, s.allow_self_approval, s.reason_required," \
	" s.editable_fields, s.disabled, s.callback_allow_networks, s.templates," \
	" to_jsonb(s.risk_amount_threshold) AS risk_amount_threshold," \
	" (SELECT count(*) FROM api_keys k WHERE k.source_id = s.id" \
	" AND k.revoked_at IS NULL)::int AS active_keys, " \
	ISO("s.created_at") " AS created_at, " ISO("s.updated_at") " AS updated_at" \
	" FROM sources s LEFT JOIN slack_connections c ON c.id = s.connection_id"

enum stmt {
	STMT_SOURCES,
	STMT_SOURCE,
	STMT_SOURCE_UPDATE,
	STMT_CONNECTION_BY_NAME,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_SOURCES] = { SOURCE_COLS " ORDER BY s.name", 0 },
	[STMT_SOURCE] = { SOURCE_COLS " WHERE s.id = $1", 1 },
	/* Every settable column as (present?, value): absent fields keep
	 * their value, present ones (JSON null included) replace it. */
	[STMT_SOURCE_UPDATE] = {
		"UPDATE sources SET"
		" description = CASE WHEN $2::bool THEN $3::text ELSE description END,"
		" connection_id = CASE WHEN $4::bool THEN $5::uuid ELSE connection_id END,"
		" default_channel = CASE WHEN $6::bool THEN $7::text ELSE default_channel END,"
		" delivery_mode = CASE WHEN $8::bool THEN $9::text ELSE delivery_mode END,"
		" default_rule = CASE WHEN $10::bool THEN $11::text ELSE default_rule END,"
		" default_deadline = CASE WHEN $12::bool THEN $13::bigint * interval '1 second'"
		"  ELSE default_deadline END,"
		" default_reminder = CASE WHEN $14::bool THEN $15::bigint * interval '1 second'"
		"  ELSE default_reminder END,"
		" callback_url = CASE WHEN $16::bool THEN $17::text ELSE callback_url END,"
		" callback_secret_enc = CASE WHEN $18::bool THEN $19::text ELSE callback_secret_enc END,"
		" allow_self_approval = CASE WHEN $20::bool THEN $21::bool ELSE allow_self_approval END,"
		" reason_required = CASE WHEN $22::bool THEN $23::bool ELSE reason_required END,"
		" editable_fields = CASE WHEN $24::bool THEN $25::jsonb ELSE editable_fields END,"
		" disabled = CASE WHEN $26::bool THEN $27::bool ELSE disabled END,"
		" callback_allow_networks = CASE WHEN $28::bool THEN $29::text"
		"  ELSE callback_allow_networks END,"
		" templates = CASE WHEN $30::bool THEN $31::jsonb ELSE templates END,"
		" risk_amount_threshold = CASE WHEN $32::bool THEN $33::numeric"
		"  ELSE risk_amount_threshold END"
		" WHERE id = $1 RETURNING id", 33 },
	[STMT_CONNECTION_BY_NAME] = { "SELECT id FROM slack_connections WHERE name = $1", 1 },
};

static const struct hub_stmt_table srcadm_stmts = { "sourceadmin", stmts, STMT__MAX };

static const char *const delivery_modes[] = { "dm", "group_dm", "channel", "both", NULL };
static const char *const rules[] = { "any", "all", "quorum", NULL };

#define NAME_MAX_LEN	100
#define DURATION_MAX	(366LL * 86400)

enum fkind {
	FK_TEXT,       /* string up to max bytes, no control characters */
	FK_ENUM,       /* one of set */
	FK_CONNECTION, /* the name of a Slack connection -> its id */
	FK_CHANNEL,    /* "#name", "C…"/"G…" id: no spaces */
	FK_DURATION,   /* intake duration, at least max seconds */
	FK_URL,        /* http(s) URL */
	FK_SECRET,     /* sealed with the keyring before storing */
	FK_BOOL,
	FK_NAMES,      /* array of field names */
	FK_NETWORKS,   /* comma-separated CIDRs ("" allowed: none) */
	FK_WORDING,    /* {kind: {title?, intro?, subject?}}, each part at most max */
	FK_AMOUNT,     /* a number >= 0 */
};

/* A settable field: JSON name, what it must be, and its (present, value)
 * parameter pair in STMT_SOURCE_UPDATE. */
struct source_field {
	const char		*name;
	enum fkind		 kind;
	int			 param;    /* index of "present"; value at param + 1 */
	int			 nullable;
	size_t			 max;      /* FK_TEXT/URL/SECRET: bytes; FK_DURATION: min s */
	const char *const	*set;
};

static const struct source_field source_fields[] = {
	{ "description", FK_TEXT, 1, 1, 500, NULL },
	{ "connection", FK_CONNECTION, 3, 1, 100, NULL },
	{ "channel", FK_CHANNEL, 5, 1, 80, NULL },
	{ "delivery_mode", FK_ENUM, 7, 1, 0, delivery_modes },
	{ "rule", FK_ENUM, 9, 0, 0, rules },
	{ "deadline", FK_DURATION, 11, 1, 1, NULL },
	{ "reminder_every", FK_DURATION, 13, 1, 60, NULL },
	{ "callback_url", FK_URL, 15, 1, 2000, NULL },
	{ "callback_secret", FK_SECRET, 17, 1, 200, NULL },
	{ "allow_self_approval", FK_BOOL, 19, 0, 0, NULL },
	{ "reason_required", FK_BOOL, 21, 0, 0, NULL },
	{ "editable_fields", FK_NAMES, 23, 0, 50, NULL },
	{ "disabled", FK_BOOL, 25, 0, 0, NULL },
	{ "callback_allow_networks", FK_NETWORKS, 27, 1, 1000, NULL },
	{ "templates", FK_WORDING, 29, 0, 500, NULL },
	/* risk flag over_threshold (engine.h) */
	{ "risk_amount_threshold", FK_AMOUNT, 31, 1, 0, NULL },
};
#define SOURCE_PARAMS 33
#define AMOUNT_MAX 1e15
#define P_CALLBACK_URL		15
#define P_ALLOW_NETWORKS	27

struct source_update {
	const char	*params[SOURCE_PARAMS];
	char		*owned[SOURCE_PARAMS];  /* values built here, freed after */
	int		 any;
};

static void
update_free(struct source_update *u)
{
	size_t i;

	for (i = 0; i < SOURCE_PARAMS; i++)
		free(u->owned[i]);
}

static int
dberr(struct hub_problem *p, int db)
{
	p->db = db;
	return HUB_SRCADM_DB;
}

const char *const hub_srcadm_wording_kinds[] = {
	"call_for_action", "info", "delegate_call", "external_approver", "reminder",
	"manual_reminder", "decision", "watcher", "approver_added", "approver_removed",
	"deadline_expired", "deadline_expired_approver", NULL,
};

/* A source's message wording (templates): NULL, or what is wrong. */
static const char *
wording_problem(json_object *v, size_t max)
{
	static const char *const parts[] = { "title", "intro", "subject", NULL };

	if (!json_object_is_type(v, json_type_object))
		return "must be an object of message kinds, each {\"title\", \"intro\","
		    " \"subject\"}";
	json_object_object_foreach(v, kind, words) {
		if (!hub_check_oneof(kind, hub_srcadm_wording_kinds))
			return "names a kind of message the hub does not send (call_for_action,"
			    " info, delegate_call, external_approver, reminder, manual_reminder,"
			    " decision, watcher, approver_added, approver_removed, deadline_expired,"
			    " deadline_expired_approver)";
		if (!json_object_is_type(words, json_type_object))
			return "must give each kind an object of title, intro and subject";
		json_object_object_foreach(words, part, text) {
			if (!hub_check_oneof(part, parts))
				return "has a part other than title, intro and subject";
			if (!json_object_is_type(text, json_type_string) ||
			    !hub_check_text(json_object_get_string(text), max, 1))
				return "parts must be 1 to 500 characters of text";
		}
	}
	return NULL;
}

/* The value of a field that is not a string: NULL, or what is wrong. */
static const char *
field_nonstring(const struct source_field *f, json_object *v, struct source_update *u,
    struct hub_buf *b)
{
	long long secs;
	size_t i, n;
	int p = f->param;

	switch (f->kind) {
	case FK_AMOUNT:
		if ((!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double)) ||
		    !(json_object_get_double(v) >= 0 && json_object_get_double(v) <= AMOUNT_MAX))
			return "must be a number from 0 to 10^15, or null";
		if (hub_buf_printf(b, "%.17g", json_object_get_double(v)) != 0)
			return "too large";
		u->owned[p + 1] = hub_buf_detach(b, NULL);
		u->params[p + 1] = u->owned[p + 1];
		return NULL;
	case FK_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return "must be true or false";
		u->params[p + 1] = json_object_get_boolean(v) ? "true" : "false";
		return NULL;
	case FK_DURATION:
		secs = hub_intake_duration(v);
		if (secs < 0 || secs < (long long)f->max || secs > DURATION_MAX)
			return f->max > 1 ? "must be a duration of at least a minute"
			    " (seconds, \"90m\", \"4h\", \"2d\", \"PT4H\")" :
			    "must be a duration (seconds, \"90m\", \"4h\", \"2d\", \"PT4H\")";
		if (hub_buf_printf(b, "%lld", secs) != 0)
			return "too large";
		u->owned[p + 1] = hub_buf_detach(b, NULL);
		u->params[p + 1] = u->owned[p + 1];
		return NULL;
	case FK_WORDING: {
		const char *why = wording_problem(v, f->max);

		if (why != NULL)
			return why;
		u->owned[p + 1] = strdup(hub_json_str(v, NULL));
		u->params[p + 1] = u->owned[p + 1];
		return u->owned[p + 1] != NULL ? NULL : "out of memory";
	}
	default: /* FK_NAMES */
		if (!json_object_is_type(v, json_type_array) ||
		    (n = json_object_array_length(v)) > f->max)
			return "must be an array of at most 50 field names";
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string) ||
			    !hub_check_text(json_object_get_string(e), 100, 0))
				return "must be an array of at most 50 field names";
		}
		u->owned[p + 1] = strdup(hub_json_str(v, NULL));
		u->params[p + 1] = u->owned[p + 1];
		return u->owned[p + 1] != NULL ? NULL : "out of memory";
	}
}

/* A list of networks: NULL, or what is wrong. */
static const char *
networks_problem(const char *s, size_t max)
{
	struct hub_netguard g;
	char why[HUB_NETGUARD_ERR_MAX];

	if (strlen(s) > max)
		return "must be at most 1000 characters";
	if (hub_netguard_parse(&g, s, why, sizeof(why)) != HUB_NETGUARD_OK)
		return "must be comma-separated networks (CIDRs such as 10.1.0.0/16 or fd00::/8)";
	return NULL;
}

/* Kinds whose JSON value is not a string (field_nonstring). */
static int
nonstring(enum fkind k)
{
	return k == FK_BOOL || k == FK_DURATION || k == FK_NAMES || k == FK_WORDING ||
	    k == FK_AMOUNT;
}

/* A secret: sealed with SECRET_KEY into the update's next parameter. */
static const char *
secret_problem(const struct hub_conf *conf, const char *s, size_t max,
    struct source_update *u, int p)
{
	struct hub_keyring ring;
	struct hub_buf b = HUB_BUF_INIT(4096);
	const char *problem = NULL;

	memset(&ring, 0, sizeof(ring));
	if (strlen(s) < 8 || strlen(s) > max)
		problem = "must be 8 to 200 characters";
	else if (!conf->have_secret_key ||
	    hub_keyring_add(&ring, conf->secret_key) != HUB_CRYPTO_OK ||
	    hub_box_seal(&ring, s, strlen(s), &b) != HUB_CRYPTO_OK)
		problem = "could not be sealed";
	else {
		u->owned[p + 1] = hub_buf_detach(&b, NULL);
		u->params[p + 1] = u->owned[p + 1];
	}
	hub_buf_release(&b);
	memset(&ring, 0, sizeof(ring));
	return problem;
}

/* A connection's name: its id into the update's next parameter. */
static const char *
connection_problem(struct hub_db *db, const char *s, size_t max, struct source_update *u,
    int p)
{
	const char *params[1] = { s };
	PGresult *res = NULL;
	const char *problem = NULL;

	if (!hub_check_text(s, max, 1) ||
	    hub_db_exec(db, &srcadm_stmts, STMT_CONNECTION_BY_NAME, params, &res) != HUB_DB_OK ||
	    PQntuples(res) != 1)
		problem = "must name a Slack connection";
	else {
		u->owned[p + 1] = strdup(PQgetvalue(res, 0, 0));
		u->params[p + 1] = u->owned[p + 1];
	}
	if (res != NULL)
		PQclear(res);
	return problem;
}

/* A string field's problem (NULL: none); its value borrowed into the
 * update's next parameter. */
static const char *
string_problem(const struct source_field *f, const char *s, struct source_update *u)
{
	const char *problem = NULL;

	switch (f->kind) {
	case FK_TEXT:
		if (!hub_check_text(s, f->max, 1))
			problem = "must be 1 to 500 characters without control characters";
		break;
	case FK_ENUM:
		if (!hub_check_oneof(s, f->set))
			problem = f->set == rules ? "must be any, all or quorum" :
			    "must be dm, group_dm, channel or both";
		break;
	case FK_CHANNEL:
		if (!hub_check_text(s, f->max, 0))
			problem = "must be a channel name or id (1 to 80 characters, no spaces)";
		break;
	case FK_URL:
		if (!hub_check_text(s, f->max, 0) ||
		    (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) ||
		    strlen(s) <= 8)
			problem = "must be an http(s) URL";
		break;
	case FK_NETWORKS:
		problem = networks_problem(s, f->max);
		break;
	default:
		problem = "unsupported";
		break;
	}
	if (problem == NULL)
		u->params[f->param + 1] = s;	/* the body outlives the update */
	return problem;
}

static const char *
field_problem(const struct hub_conf *conf, struct hub_db *db, const struct source_field *f,
    json_object *v, struct source_update *u)
{
	struct hub_buf b = HUB_BUF_INIT(4096);
	const char *s, *problem;

	u->params[f->param] = "true";
	u->any = 1;
	if (v == NULL)
		return f->nullable ? NULL : "may not be null";
	if (nonstring(f->kind)) {
		problem = field_nonstring(f, v, u, &b);
		hub_buf_release(&b);
		return problem;
	}
	if (!json_object_is_type(v, json_type_string))
		return "must be a string";
	s = json_object_get_string(v);
	if (f->kind == FK_SECRET)
		return secret_problem(conf, s, f->max, u, f->param);
	if (f->kind == FK_CONNECTION)
		return connection_problem(db, s, f->max, u, f->param);
	return string_problem(f, s, u);
}

/* A callback URL being stored must not reach an internal address, judged
 * with the allowlist the source will have: the one in this update, else
 * its stored one (id; NULL when creating), else the global setting. */
static int
callback_url_check(struct hub_db *db, const char *id, const struct source_update *u,
    struct hub_problem *pr)
{
	const char *url = u->params[P_CALLBACK_URL + 1], *override = NULL;
	char why[HUB_NETGUARD_WHY_MAX], msg[HUB_NETGUARD_WHY_MAX + 20];
	int rc;

	if (strcmp(u->params[P_CALLBACK_URL], "true") != 0 || url == NULL)
		return HUB_SRCADM_OK;
	if (strcmp(u->params[P_ALLOW_NETWORKS], "true") == 0) {
		override = u->params[P_ALLOW_NETWORKS + 1];
		id = NULL;	/* null: back to the global setting */
	}
	rc = hub_netpolicy_check_url(db, id, override, url, why, sizeof(why));
	if (rc < 0)
		return dberr(pr, HUB_DB_CONN);
	if (rc != HUB_NETGUARD_OK) {
		snprintf(msg, sizeof(msg), "callback_url %s", why);
		return hub_problem(pr, "callback_url", msg, HUB_SRCADM_INVALID);
	}
	return HUB_SRCADM_OK;
}

/* Every field of in except the names in skip, into u; id is the source
 * being changed (NULL when creating). */
static int
update_parse(const struct hub_conf *conf, struct hub_db *db, json_object *in,
    const char *skip, const char *id, struct source_update *u, struct hub_problem *pr)
{
	const struct source_field *f;
	const char *problem;
	char msg[300];
	size_t i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < HUB_NELEM(source_fields); i++)
		u->params[source_fields[i].param] = "false";
	json_object_object_foreach(in, k, v) {
		if (skip != NULL && strcmp(k, skip) == 0)
			continue;
		for (f = NULL, i = 0; i < HUB_NELEM(source_fields); i++)
			if (strcmp(source_fields[i].name, k) == 0)
				f = &source_fields[i];
		if (f == NULL)
			return hub_problem(pr, k, "unknown field", HUB_SRCADM_INVALID);
		if ((problem = field_problem(conf, db, f, v, u)) != NULL) {
			snprintf(msg, sizeof(msg), "%s %s", k, problem);
			return hub_problem(pr, k, msg, HUB_SRCADM_INVALID);
		}
	}
	return callback_url_check(db, id, u, pr);
}

/* Apply u to source id: NOTFOUND when no row changed. */
static int
update_apply(struct hub_db *db, const char *id, struct source_update *u, struct hub_problem *pr)
{
	PGresult *res = NULL;
	int rc;

	u->params[0] = id;
	if ((rc = hub_db_exec(db, &srcadm_stmts, STMT_SOURCE_UPDATE, u->params, &res)) != HUB_DB_OK)
		return rc == HUB_DB_CHECK ?
		    hub_problem(pr, NULL, "invalid source settings", HUB_SRCADM_INVALID) :
		    dberr(pr, rc);
	rc = PQntuples(res) == 1 ? HUB_SRCADM_OK : HUB_SRCADM_NOTFOUND;
	PQclear(res);
	return rc;
}

/*
 * The audit row of a change to source id: its name and the fields the
 * change named, with their new values; a callback secret only as "set"
 * (or null when cleared).
 */
static int
audit(struct hub_db *db, const struct hub_actor *actor, const char *action, const char *id,
    const char *name, json_object *in, struct hub_problem *pr)
{
	json_object *d = json_object_new_object(), *changes = NULL, *v;
	int rc = HUB_SRCADM_NOMEM;

	if (d == NULL)
		return rc;
	hub_json_set_str(d, "source_id", id);
	hub_json_set_str(d, "source", name);
	if (in != NULL) {
		if (json_object_deep_copy(in, &changes, NULL) != 0)
			goto out;
		json_object_object_del(changes, "name");
		if (json_object_object_get_ex(changes, "callback_secret", &v))
			json_object_object_add(changes, "callback_secret",
			    v != NULL ? json_object_new_string("set") : NULL);
		json_object_object_add(d, "changes", changes);
	}
	rc = hub_audit_admin(db, actor, action, d) == HUB_DB_OK ? HUB_SRCADM_OK :
	    dberr(pr, HUB_DB_QUERY);
out:
	json_object_put(d);
	return rc;
}

int
hub_srcadm_list(struct hub_db *db, json_object **out, struct hub_problem *pr)
{
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(pr, 0, sizeof(*pr));
	if ((rc = hub_db_exec(db, &srcadm_stmts, STMT_SOURCES, NULL, &res)) != HUB_DB_OK)
		return dberr(pr, rc);
	*out = hub_pgjson_all(res, "sources");
	PQclear(res);
	return *out != NULL ? HUB_SRCADM_OK : HUB_SRCADM_NOMEM;
}

int
hub_srcadm_get(struct hub_db *db, const char *id, json_object **out, struct hub_problem *pr)
{
	const char *params[1] = { id };
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(pr, 0, sizeof(*pr));
	if (!hub_check_uuid(id))
		return HUB_SRCADM_NOTFOUND;
	if ((rc = hub_db_exec(db, &srcadm_stmts, STMT_SOURCE, params, &res)) != HUB_DB_OK)
		return dberr(pr, rc);
	if (PQntuples(res) != 1) {
		rc = HUB_SRCADM_NOTFOUND;
	} else {
		*out = hub_pgjson_row(res, 0);
		rc = *out != NULL ? HUB_SRCADM_OK : HUB_SRCADM_NOMEM;
	}
	PQclear(res);
	return rc;
}

int
hub_srcadm_create(struct hub_db *db, const struct hub_conf *conf, json_object *in,
    const struct hub_actor *actor, json_object **out, struct hub_problem *pr)
{
	static const char name_msg[] = "name must be 1 to 100 characters";
	struct hub_buf key = HUB_BUF_INIT(256);
	struct source_update u;
	const char *name = NULL;
	char id[HUB_UUID_LEN];
	int rc, tx = 0;

	*out = NULL;
	memset(pr, 0, sizeof(*pr));
	memset(&u, 0, sizeof(u));
	if (hub_json_get_string(in, "name", NAME_MAX_LEN, &name) != HUB_JSON_OK ||
	    !hub_check_text(name, NAME_MAX_LEN, 1)) {
		rc = hub_problem(pr, "name", name_msg, HUB_SRCADM_INVALID);
		goto out;
	}
	if ((rc = update_parse(conf, db, in, "name", NULL, &u, pr)) != HUB_SRCADM_OK)
		goto out;
	if ((rc = hub_db_begin(db)) != HUB_DB_OK) {
		rc = dberr(pr, rc);
		goto out;
	}
	tx = 1;
	switch (hub_admin_source_add(db, name, &key, id)) {
	case HUB_ADMIN_OK:
		break;
	case HUB_ADMIN_EXISTS:
		rc = hub_problem(pr, "name", "a source with this name exists", HUB_SRCADM_EXISTS);
		goto out;
	case HUB_ADMIN_INVALID:
		rc = hub_problem(pr, "name", name_msg, HUB_SRCADM_INVALID);
		goto out;
	default:
		rc = dberr(pr, HUB_DB_QUERY);
		goto out;
	}
	if (u.any && (rc = update_apply(db, id, &u, pr)) != HUB_SRCADM_OK)
		goto out;
	if ((rc = audit(db, actor, "source.created", id, name, in, pr)) != HUB_SRCADM_OK)
		goto out;
	tx = 0;
	if ((rc = hub_db_commit(db)) != HUB_DB_OK) {
		rc = dberr(pr, rc);
		goto out;
	}
	if ((rc = hub_srcadm_get(db, id, out, pr)) == HUB_SRCADM_OK)
		json_object_object_add(*out, "api_key", json_object_new_string(hub_buf_str(&key)));
out:
	if (tx)
		hub_db_rollback(db);
	update_free(&u);
	hub_buf_release(&key);
	return rc;
}

int
hub_srcadm_patch(struct hub_db *db, const struct hub_conf *conf, const char *id,
    json_object *in, const struct hub_actor *actor, json_object **out,
    struct hub_problem *pr)
{
	struct source_update u;
	json_object *cur = NULL, *name = NULL;
	int rc;

	*out = NULL;
	memset(pr, 0, sizeof(*pr));
	memset(&u, 0, sizeof(u));
	if ((rc = hub_srcadm_get(db, id, &cur, pr)) != HUB_SRCADM_OK)
		return rc;
	json_object_object_get_ex(cur, "name", &name);
	if ((rc = update_parse(conf, db, in, NULL, id, &u, pr)) != HUB_SRCADM_OK)
		goto out;
	/* The change and its audit row commit together. */
	if ((rc = hub_db_begin(db)) != HUB_DB_OK) {
		rc = dberr(pr, rc);
		goto out;
	}
	if ((rc = update_apply(db, id, &u, pr)) == HUB_SRCADM_OK)
		rc = audit(db, actor, "source.updated", id, json_object_get_string(name), in, pr);
	if (rc != HUB_SRCADM_OK)
		hub_db_rollback(db);
	else if ((rc = hub_db_commit(db)) != HUB_DB_OK)
		rc = dberr(pr, rc);
	if (rc == HUB_SRCADM_OK)
		rc = hub_srcadm_get(db, id, out, pr);
out:
	json_object_put(cur);
	update_free(&u);
	return rc;
}

int
hub_srcadm_rotate(struct hub_db *db, const char *id, const struct hub_actor *actor,
    json_object **out, struct hub_problem *pr)
{
	struct hub_buf key = HUB_BUF_INIT(256);
	json_object *src = NULL, *name;
	int rc;

	*out = NULL;
	if ((rc = hub_srcadm_get(db, id, &src, pr)) != HUB_SRCADM_OK)
		goto out;
	if (!json_object_object_get_ex(src, "name", &name)) {
		rc = HUB_SRCADM_NOMEM;
		goto out;
	}
	/* The new key and its audit row commit together. */
	if ((rc = hub_db_begin(db)) != HUB_DB_OK) {
		rc = dberr(pr, rc);
		goto out;
	}
	switch (hub_admin_key_rotate(db, json_object_get_string(name), &key)) {
	case HUB_ADMIN_OK:
		rc = audit(db, actor, "source.key_rotated", id, json_object_get_string(name),
		    NULL, pr);
		break;
	case HUB_ADMIN_NOTFOUND:
		rc = HUB_SRCADM_NOTFOUND;
		break;
	default:
		rc = dberr(pr, HUB_DB_QUERY);
		break;
	}
	if (rc != HUB_SRCADM_OK) {
		hub_db_rollback(db);
		goto out;
	}
	if ((rc = hub_db_commit(db)) != HUB_DB_OK) {
		rc = dberr(pr, rc);
		goto out;
	}
	if ((*out = json_object_new_object()) == NULL) {
		rc = HUB_SRCADM_NOMEM;
		goto out;
	}
	json_object_object_add(*out, "id", json_object_new_string(id));
	json_object_object_add(*out, "api_key", json_object_new_string(hub_buf_str(&key)));
	json_object_object_add(*out, "message", json_object_new_string(
	    "New API key; every earlier key of this source is revoked. It is shown only once."));
out:
	json_object_put(src);
	hub_buf_release(&key);
	return rc;
}
