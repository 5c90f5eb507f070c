/*
 * webintake.c - requests from the web form.  See webintake.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/common.h"
#include "base/buf.h"
#include "approval/intake.h"
#include "approval/webintake.h"

#define IDEM_MAX	(5 + HUB_ACCESS_ID_LEN + HUB_WEBINTAKE_TOKEN_MAX + 1)
#define SLACK_ID_MAX	64
/* An approver that passes intake, for checking the other fields alone. */
#define PLACEHOLDER_APPROVER	"UWEBFORM0"

enum stmt {
	STMT_SOURCE,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	/*
	 * The source "web" (any case), made on first use, with the user's
	 * Slack id: id, disabled, slack_user_id.  A CTE does not see the row
	 * its own INSERT made, hence the UNION; when a concurrent first use
	 * wins the insert this returns nothing and is run once more.
	 */
	[STMT_SOURCE] = {
	    "WITH ins AS (INSERT INTO sources (name, description)"
	    " SELECT $1::text, $2::text WHERE NOT EXISTS"
	    "  (SELECT 1 FROM sources WHERE lower(name) = lower($1::text))"
	    " ON CONFLICT DO NOTHING RETURNING id, disabled),"
	    " src AS (SELECT id, disabled FROM ins UNION ALL"
	    "  SELECT id, disabled FROM sources WHERE lower(name) = lower($1::text))"
	    " SELECT src.id, src.disabled, (SELECT coalesce(slack_user_id, '') FROM users"
	    "  WHERE id::text = $3::text) FROM src LIMIT 1", 3 },
};

static const struct hub_stmt_table webintake_stmts = { "webintake", stmts, STMT__MAX };

const char *
hub_webintake_strerror(int rc)
{
	static const char *const msgs[] = {
		[HUB_WEBINTAKE_OK] = "ok",
		[HUB_WEBINTAKE_INVALID] = "invalid",
		[HUB_WEBINTAKE_BADTOKEN] = "bad form token",
		[HUB_WEBINTAKE_DISABLED] = "web source disabled",
		[HUB_WEBINTAKE_UNAVAILABLE] = "database unavailable",
		[HUB_WEBINTAKE_DB] = "database error",
		[HUB_WEBINTAKE_NOMEM] = "out of memory",
	};

	return rc >= 0 && (size_t)rc < HUB_NELEM(msgs) ? msgs[rc] : "unknown error";
}

int
hub_webintake_token_ok(const char *t)
{
	size_t i, n = t != NULL ? strlen(t) : 0;

	if (n < HUB_WEBINTAKE_TOKEN_MIN || n > HUB_WEBINTAKE_TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '-' && t[i] != '_')
			return 0;
	return 1;
}

static int
db_err(int rc)
{
	return rc == HUB_DB_CONN ? HUB_WEBINTAKE_UNAVAILABLE :
	    rc == HUB_DB_NOMEM ? HUB_WEBINTAKE_NOMEM : HUB_WEBINTAKE_DB;
}

/* The web source's id and state, and the user's Slack id ("" when none). */
static int
source_of(struct hub_db *db, const char *user_id, char source_id[HUB_ID_LEN], int *disabled,
    char slack[SLACK_ID_MAX])
{
	const char *p[3] = { HUB_WEBINTAKE_SOURCE,
	    "Requests made by signed-in people with the hub's web form (/requests/new).",
	    user_id };
	PGresult *r = NULL;
	int rc = HUB_DB_OK, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = hub_db_exec(db, &webintake_stmts, STMT_SOURCE, p, &r)) != HUB_DB_OK)
			return db_err(rc);
		if (PQntuples(r) == 1)
			break;
		PQclear(r);
		r = NULL;
	}
	if (r == NULL)
		return HUB_WEBINTAKE_DB;
	snprintf(source_id, HUB_ID_LEN, "%s", PQgetvalue(r, 0, 0));
	*disabled = PQgetvalue(r, 0, 1)[0] == 't';
	snprintf(slack, SLACK_ID_MAX, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	return HUB_WEBINTAKE_OK;
}

/* ------------------------------------------------------------ errors */

/* errors[field] = message, unless the field has one already. */
static int
note(json_object *errors, const char *field, const char *message)
{
	json_object *m;

	if (json_object_object_get_ex(errors, field, NULL))
		return HUB_WEBINTAKE_OK;
	if ((m = json_object_new_string(message)) == NULL ||
	    json_object_object_add(errors, field, m) != 0) {
		json_object_put(m);
		return HUB_WEBINTAKE_NOMEM;
	}
	return HUB_WEBINTAKE_OK;
}

/* Add in[key] (a new reference) to probe, when in has it. */
static int
copy_key(json_object *probe, json_object *in, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(in, key, &v) || v == NULL)
		return 0;
	return json_object_object_add(probe, key, json_object_get(v));
}

/* A valid request but for nothing: the requester of in, an empty
 * justification, a placeholder approver. */
static json_object *
skeleton(json_object *in)
{
	json_object *s = json_object_new_object();

	if (s == NULL || copy_key(s, in, "requester_name") != 0 ||
	    copy_key(s, in, "requester_email") != 0 ||
	    copy_key(s, in, "requester_slack_id") != 0 ||
	    json_object_object_add(s, "justification_text", json_object_new_string("")) != 0 ||
	    json_object_object_add(s, "approver_id",
	    json_object_new_string(PLACEHOLDER_APPROVER)) != 0) {
		json_object_put(s);
		return NULL;
	}
	return s;
}

/* Validate probe (taken) and note its problem. */
static int
probe_run(json_object *probe, json_object *errors)
{
	struct hub_intake_error ie;
	json_object *out = NULL;
	int rc;

	if (probe == NULL)
		return HUB_WEBINTAKE_NOMEM;
	rc = hub_intake_validate(probe, NULL, &out, &ie);
	json_object_put(probe);
	json_object_put(out);
	if (rc == HUB_INTAKE_NOMEM)
		return HUB_WEBINTAKE_NOMEM;
	return rc == HUB_INTAKE_INVALID ? note(errors, ie.field, ie.message) : HUB_WEBINTAKE_OK;
}

/* Each key of metadata alone, with the request_source that picks the preset. */
static int
probe_metadata(json_object *in, json_object *meta, json_object *errors)
{
	json_object *probe, *one;
	int rc;

	if (!json_object_is_type(meta, json_type_object)) {
		if ((probe = skeleton(in)) != NULL &&
		    json_object_object_add(probe, "metadata", json_object_get(meta)) != 0) {
			json_object_put(probe);
			probe = NULL;
		}
		return probe_run(probe, errors);
	}
	json_object_object_foreach(meta, key, val) {
		probe = skeleton(in);
		one = json_object_new_object();
		if (probe == NULL || one == NULL ||
		    json_object_object_add(one, key, json_object_get(val)) != 0 ||
		    json_object_object_add(probe, "metadata", one) != 0 ||
		    copy_key(probe, in, "request_source") != 0) {
			json_object_put(probe);
			json_object_put(one);
			return HUB_WEBINTAKE_NOMEM;
		}
		if ((rc = probe_run(probe, errors)) != HUB_WEBINTAKE_OK)
			return rc;
	}
	return HUB_WEBINTAKE_OK;
}

/*
 * Every field's first problem into errors: each top-level key of in alone
 * on the skeleton (approvers with rule and quorum instead of the
 * placeholder, metadata key by key).  When no field alone is wrong, the
 * whole request's problem (full).
 */
static int
collect(json_object *in, const struct hub_intake_error *full, json_object *errors)
{
	static const char *const alone[] = {
		"requester_name", "requester_email", "requester_slack_id", "request_source",
		"rule", "quorum",
	};
	json_object *probe;
	size_t i;
	int rc, skip;

	json_object_object_foreach(in, key, val) {
		for (i = 0, skip = 0; i < HUB_NELEM(alone); i++)
			skip |= strcmp(key, alone[i]) == 0;
		if (skip || val == NULL)
			continue;
		if (strcmp(key, "metadata") == 0) {
			if ((rc = probe_metadata(in, val, errors)) != HUB_WEBINTAKE_OK)
				return rc;
			continue;
		}
		if ((probe = skeleton(in)) == NULL)
			return HUB_WEBINTAKE_NOMEM;
		if (strcmp(key, "approvers") == 0 || strcmp(key, "approver_id") == 0 ||
		    strcmp(key, "steps") == 0) {
			json_object_object_del(probe, "approver_id");
			if (copy_key(probe, in, "rule") != 0 || copy_key(probe, in, "quorum") != 0) {
				json_object_put(probe);
				return HUB_WEBINTAKE_NOMEM;
			}
		}
		if (json_object_object_add(probe, key, json_object_get(val)) != 0) {
			json_object_put(probe);
			return HUB_WEBINTAKE_NOMEM;
		}
		if ((rc = probe_run(probe, errors)) != HUB_WEBINTAKE_OK)
			return rc;
	}
	if (json_object_object_length(errors) == 0)
		return note(errors, full->field, full->message);
	return HUB_WEBINTAKE_OK;
}

/* The web form's own rule: a justification that says something. */
static int
justification_blank(json_object *in)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(in, "justification_text", &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	for (s = json_object_get_string(v); *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ create */

static int
set_requester(json_object *in, const struct hub_access_user *u, const char *slack)
{
	int bad = 0;

	json_object_object_del(in, "requester_slack_id");
	json_object_object_del(in, "requester_email");
	bad |= json_object_object_add(in, "requester_name", json_object_new_string(u->name));
	if (u->email[0] != '\0')
		bad |= json_object_object_add(in, "requester_email",
		    json_object_new_string(u->email));
	if (slack[0] != '\0')
		bad |= json_object_object_add(in, "requester_slack_id",
		    json_object_new_string(slack));
	return bad != 0 ? HUB_WEBINTAKE_NOMEM : HUB_WEBINTAKE_OK;
}

/* What the engine refused, as a field of the form: its single step is the
 * approvers field; a disabled source is the form switched off. */
static int
engine_refusal(int erc, const struct hub_engine_error *ee, struct hub_webintake_result *res)
{
	const char *field = ee->field;

	if (erc == HUB_ENGINE_UNAVAILABLE)
		return HUB_WEBINTAKE_UNAVAILABLE;
	if (erc != HUB_ENGINE_INVALID && erc != HUB_ENGINE_SELF_APPROVAL)
		return HUB_WEBINTAKE_DB;
	if (strcmp(field, "source") == 0)
		return HUB_WEBINTAKE_DISABLED;
	if (strncmp(field, "steps[0]", 8) == 0)
		field = "approvers";
	if ((res->errors = json_object_new_object()) == NULL)
		return HUB_WEBINTAKE_NOMEM;
	if (note(res->errors, field, ee->message[0] != '\0' ? ee->message :
	    "was refused") != HUB_WEBINTAKE_OK)
		return HUB_WEBINTAKE_NOMEM;
	return HUB_WEBINTAKE_INVALID;
}

/*
 * Validate in (requester keys set): OK with *norm (the caller puts), or
 * INVALID with *errors (the caller puts) naming every field's problem.
 */
static int
check(json_object *in, const char *idem, json_object **norm, json_object **errors)
{
	struct hub_intake_error ie;
	int rc, blank = justification_blank(in);

	*norm = NULL;
	*errors = NULL;
	rc = hub_intake_validate(in, idem, norm, &ie);
	if (rc == HUB_INTAKE_NOMEM)
		return HUB_WEBINTAKE_NOMEM;
	if (rc == HUB_INTAKE_OK && !blank)
		return HUB_WEBINTAKE_OK;
	json_object_put(*norm);
	*norm = NULL;
	if ((*errors = json_object_new_object()) == NULL)
		return HUB_WEBINTAKE_NOMEM;
	if (blank && note(*errors, "justification_text", "required") != HUB_WEBINTAKE_OK)
		return HUB_WEBINTAKE_NOMEM;
	if (rc != HUB_INTAKE_OK && (rc = collect(in, &ie, *errors)) != HUB_WEBINTAKE_OK)
		return rc;
	return HUB_WEBINTAKE_INVALID;
}

int
hub_webintake_check(const struct hub_access_user *user, json_object *in, json_object **errors)
{
	json_object *norm = NULL;
	int rc;

	*errors = NULL;
	if ((rc = set_requester(in, user, "")) != HUB_WEBINTAKE_OK)
		return rc;
	rc = check(in, NULL, &norm, errors);
	json_object_put(norm);
	return rc;
}

int
hub_webintake_create(struct hub_db *db, const struct hub_access_user *user, json_object *in,
    const char *token, struct hub_webintake_result *res)
{
	struct hub_actor actor = { "user", user->id, NULL, user->name, "web" };
	struct hub_engine_error ee;
	struct hub_outcome oc;
	char source_id[HUB_ID_LEN], slack[SLACK_ID_MAX], idem[IDEM_MAX];
	json_object *norm = NULL;
	int rc, disabled = 0;

	memset(res, 0, sizeof(*res));
	if (!hub_webintake_token_ok(token))
		return HUB_WEBINTAKE_BADTOKEN;
	snprintf(idem, sizeof(idem), "web:%s:%s", user->id, token);
	if ((rc = source_of(db, user->id, source_id, &disabled, slack)) != HUB_WEBINTAKE_OK)
		return rc;
	if (disabled)
		return HUB_WEBINTAKE_DISABLED;
	if ((rc = set_requester(in, user, slack)) != HUB_WEBINTAKE_OK ||
	    (rc = check(in, idem, &norm, &res->errors)) != HUB_WEBINTAKE_OK)
		return rc;
	memset(&ee, 0, sizeof(ee));
	rc = hub_engine_create(db, source_id, norm, &actor, &oc, &ee);
	json_object_put(norm);
	if (rc != HUB_ENGINE_OK)
		return engine_refusal(rc, &ee, res);
	snprintf(res->id, sizeof(res->id), "%s", oc.id);
	res->created = oc.created;
	return HUB_WEBINTAKE_OK;
}
