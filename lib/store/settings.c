#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/common.h"
#include "base/netguard.h"
#include "store/settings.h"

const struct hub_setting hub_settings[] = {
	{ "delivery.mode", HUB_SETTING_CHOICE, "dm|group_dm|channel|both", 0, 0, "dm",
	  "how approvers are reached when neither the step, the request nor the source says" },
	{ "delivery.channel", HUB_SETTING_TEXT, NULL, 1, 80, NULL,
	  "channel for channel mode when neither the step, the request nor the source names one" },
	{ "delivery.user_not_found", HUB_SETTING_CHOICE, "EMAIL|SKIP|LOG_ONLY", 0, 0, "EMAIL",
	  "what to do when an approver's email has no Slack account" },
	{ "slack.workspace_cap_per_minute", HUB_SETTING_INT, NULL, 1, 100000, "300",
	  "messages per minute the hub posts to one workspace, across all workers" },
	{ "retention.sent_messages_days", HUB_SETTING_INT, NULL, 1, 3650, "30",
	  "days a sent message's record is kept (after that its copy is no longer updated)" },
	{ "session.idle_minutes", HUB_SETTING_INT, NULL, 5, 10080, "720",
	  "minutes a dashboard session lasts without use before it must sign in again" },
	{ "session.absolute_hours", HUB_SETTING_INT, NULL, 1, 2160, "168",
	  "hours after signing in when a dashboard session ends, however busy" },
	{ "auth.trust_remote_user", HUB_SETTING_CHOICE, "off|on", 0, 0, "off",
	  "on: the user whose email nginx passes as REMOTE_USER is signed in without a "
	  "password (single sign-on in front of the hub; README \"Signing in\")" },
	{ "callbacks.allow_networks", HUB_SETTING_NETWORKS, NULL, 1, 1000, NULL,
	  "internal networks (comma-separated CIDRs, e.g. 10.20.0.0/16) callbacks may reach;"
	  " loopback, private, link-local and metadata addresses are refused otherwise" },
	{ HUB_SETTINGS_WORKING_HOURS, HUB_SETTING_HOURS, NULL, 0, 100,
	  HUB_SETTINGS_WORKING_HOURS_DEFAULT,
	  "working hours, e.g. \"08:00-18:00 Mon-Fri Europe/Oslo\" (UTC without a zone):"
	  " a request created outside them is flagged off_hours" },
	{ NULL, 0, NULL, 0, 0, NULL, NULL },
};

enum stmt {
	STMT_GET,
	STMT_SET,
	STMT_UNSET,
	STMT_ZONE,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	[STMT_GET] = { "SELECT value #>> '{}' FROM settings WHERE key = $1", 1 },
	[STMT_SET] = {
		/* numbers stay JSON numbers: the readers in deliver, ratelimit
		 * and msgsync expect them so */
		"INSERT INTO settings (key, value, updated_by) VALUES ($1, "
		"CASE WHEN $4 = 'int' THEN to_jsonb($2::text::bigint) ELSE to_jsonb($2::text) END, $3) "
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
		"updated_by = excluded.updated_by, updated_at = now()", 4 },
	[STMT_UNSET] = { "DELETE FROM settings WHERE key = $1", 1 },
	/* A time zone PostgreSQL knows (22023 otherwise). */
	[STMT_ZONE] = { "SELECT now() AT TIME ZONE $1::text", 1 },
};

static const struct hub_stmt_table settings_stmts = { "settings", stmts, STMT__MAX };

const char *
hub_settings_strerror(int err)
{
	switch (err) {
	case HUB_SETTINGS_OK:		return "ok";
	case HUB_SETTINGS_UNKNOWN:	return "unknown setting";
	case HUB_SETTINGS_INVALID:	return "invalid value";
	case HUB_SETTINGS_DB:		return "database error";
	default:			return "unknown error";
	}
}

const struct hub_setting *
hub_settings_find(const char *key)
{
	const struct hub_setting *s;

	for (s = hub_settings; key != NULL && s->key != NULL; s++)
		if (strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

static int
two_digits(const char *p, int max)
{
	int v;

	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	v = (p[0] - '0') * 10 + (p[1] - '0');
	return v <= max ? v : -1;
}

static int
weekday(const char *p)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	size_t i;

	for (i = 0; i < HUB_NELEM(days); i++)
		if (strncasecmp(p, days[i], 3) == 0)
			return 1;
	return 0;
}

/* "HH:MM-HH:MM Ddd-Ddd" and an optional " Zone" (checked by the database
 * when set): 1 when it has that form, *zone then points at the zone or "". */
HUB_STATIC int
settings_hours_form(const char *v, const char **zone)
{
	const char *z;

	if (strlen(v) < 19 || two_digits(v, 23) < 0 || v[2] != ':' ||
	    two_digits(v + 3, 59) < 0 || v[5] != '-' || two_digits(v + 6, 23) < 0 ||
	    v[8] != ':' || two_digits(v + 9, 59) < 0 || v[11] != ' ' || !weekday(v + 12) ||
	    v[15] != '-' || !weekday(v + 16))
		return 0;
	z = v + 19;
	if (*z == '\0') {
		*zone = z;
		return 1;
	}
	if (*z != ' ' || z[1] == '\0' || strpbrk(z + 1, " \t\n\r") != NULL)
		return 0;
	*zone = z + 1;
	return 1;
}

/* Is value one of the '|'-separated choices? */
static int
one_of(const char *choices, const char *value)
{
	size_t n = strlen(value);
	const char *p = choices, *bar;

	for (;;) {
		bar = strchr(p, '|');
		if ((bar ? (size_t)(bar - p) : strlen(p)) == n && strncmp(p, value, n) == 0)
			return 1;
		if (bar == NULL)
			return 0;
		p = bar + 1;
	}
}

int
hub_settings_check(const struct hub_setting *s, const char *value, char *err, size_t errlen)
{
	char *end;
	long v;

	switch (s->type) {
	case HUB_SETTING_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v < s->min || v > s->max) {
			snprintf(err, errlen, "%s must be a whole number from %ld to %ld",
			    s->key, s->min, s->max);
			return HUB_SETTINGS_INVALID;
		}
		return HUB_SETTINGS_OK;
	case HUB_SETTING_CHOICE:
		if (!one_of(s->choices, value)) {
			snprintf(err, errlen, "%s must be one of %s", s->key, s->choices);
			return HUB_SETTINGS_INVALID;
		}
		return HUB_SETTINGS_OK;
	case HUB_SETTING_NETWORKS: {
		struct hub_netguard g;
		char why[HUB_NETGUARD_ERR_MAX];

		if ((long)strlen(value) < s->min || (long)strlen(value) > s->max) {
			snprintf(err, errlen, "%s must be %ld to %ld characters", s->key,
			    s->min, s->max);
			return HUB_SETTINGS_INVALID;
		}
		if (hub_netguard_parse(&g, value, why, sizeof(why)) != HUB_NETGUARD_OK) {
			snprintf(err, errlen, "%s: %s", s->key, why);
			return HUB_SETTINGS_INVALID;
		}
		return HUB_SETTINGS_OK;
	}
	case HUB_SETTING_HOURS: {
		const char *zone;

		if (strlen(value) > (size_t)s->max || !settings_hours_form(value, &zone)) {
			snprintf(err, errlen, "%s must read like \"08:00-18:00 Mon-Fri\","
			    " optionally followed by a time zone (\"Europe/Oslo\")", s->key);
			return HUB_SETTINGS_INVALID;
		}
		return HUB_SETTINGS_OK;
	}
	case HUB_SETTING_TEXT:
	default:
		if ((long)strlen(value) < s->min || (long)strlen(value) > s->max) {
			snprintf(err, errlen, "%s must be %ld to %ld characters", s->key,
			    s->min, s->max);
			return HUB_SETTINGS_INVALID;
		}
		return HUB_SETTINGS_OK;
	}
}

/* A setting's value from its STMT_GET rows (its default without one). */
static int
settings_value(const struct hub_setting *s, const PGresult *res, struct hub_buf *out)
{
	const char *v = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ?
	    PQgetvalue(res, 0, 0) : s->def;

	return v != NULL && hub_buf_adds(out, v) != HUB_BUF_OK ? HUB_SETTINGS_DB :
	    HUB_SETTINGS_OK;
}

int
hub_settings_get(struct hub_db *db, const char *key, struct hub_buf *out)
{
	const struct hub_setting *s = hub_settings_find(key);
	const char *params[1] = { key };
	PGresult *res = NULL;
	int rc;

	if (s == NULL)
		return HUB_SETTINGS_UNKNOWN;
	if (hub_db_exec(db, &settings_stmts, STMT_GET, params, &res) != HUB_DB_OK)
		return HUB_SETTINGS_DB;
	rc = settings_value(s, res, out);
	PQclear(res);
	return rc;
}

int
hub_settings_get_each(struct hub_db *db, const char *const *keys, struct hub_buf *outs,
    int *errs, size_t n)
{
	struct hub_db_call c[HUB_DB_EACH_MAX];
	const struct hub_setting *s[HUB_DB_EACH_MAX];
	size_t i;
	int rc = HUB_SETTINGS_OK;

	if (n > HUB_DB_EACH_MAX)
		return HUB_SETTINGS_UNKNOWN;
	memset(c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		if ((s[i] = hub_settings_find(keys[i])) == NULL)
			return HUB_SETTINGS_UNKNOWN;
		c[i].table = &settings_stmts;
		c[i].id = STMT_GET;
		c[i].params = &keys[i];
		c[i].res_wanted = 1;
	}
	(void)hub_db_exec_each(db, c, n);
	for (i = 0; i < n; i++) {
		errs[i] = c[i].err != HUB_DB_OK ? HUB_SETTINGS_DB :
		    settings_value(s[i], c[i].res, &outs[i]);
		if (errs[i] != HUB_SETTINGS_OK && rc == HUB_SETTINGS_OK)
			rc = errs[i];
		PQclear(c[i].res);
	}
	return rc;
}

long
hub_settings_get_int(struct hub_db *db, const char *key)
{
	const struct hub_setting *s = hub_settings_find(key);
	struct hub_buf b = HUB_BUF_INIT(64);
	char err[160];
	long v = 0;

	if (s == NULL || s->type != HUB_SETTING_INT)
		return 0;
	/* A stored value that no longer passes (edited by hand) reads as the
	 * default rather than as garbage. */
	if (hub_settings_get(db, key, &b) != HUB_SETTINGS_OK ||
	    hub_settings_check(s, hub_buf_str(&b), err, sizeof(err)) != HUB_SETTINGS_OK) {
		hub_buf_reset(&b);
		hub_buf_adds(&b, s->def);
	}
	v = strtol(hub_buf_str(&b), NULL, 10);
	hub_buf_release(&b);
	return v;
}

/* The zone of a working-hours value is one PostgreSQL knows. */
static int
zone_known(struct hub_db *db, const struct hub_setting *s, const char *value, char *err,
    size_t errlen)
{
	const char *zone = "", *params[1];
	int rc;

	settings_hours_form(value, &zone);
	if (*zone == '\0')
		return HUB_SETTINGS_OK;
	params[0] = zone;
	rc = hub_db_exec(db, &settings_stmts, STMT_ZONE, params, NULL);
	if (rc == HUB_DB_OK)
		return HUB_SETTINGS_OK;
	if (strcmp(hub_db_last_sqlstate(db), "22023") == 0) {
		snprintf(err, errlen, "%s: unknown time zone \"%s\"", s->key, zone);
		return HUB_SETTINGS_INVALID;
	}
	snprintf(err, errlen, "%s", hub_db_last_error(db));
	return HUB_SETTINGS_DB;
}

int
hub_settings_set(struct hub_db *db, const char *key, const char *value, const char *by,
    char *err, size_t errlen)
{
	const struct hub_setting *s = hub_settings_find(key);
	const char *params[4] = { key, value, by, NULL };
	int rc;

	if (s == NULL) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return HUB_SETTINGS_UNKNOWN;
	}
	if ((rc = hub_settings_check(s, value, err, errlen)) != HUB_SETTINGS_OK)
		return rc;
	if (s->type == HUB_SETTING_HOURS && (rc = zone_known(db, s, value, err, errlen)) !=
	    HUB_SETTINGS_OK)
		return rc;
	params[3] = s->type == HUB_SETTING_INT ? "int" : "text";
	if (hub_db_exec(db, &settings_stmts, STMT_SET, params, NULL) != HUB_DB_OK) {
		snprintf(err, errlen, "%s", hub_db_last_error(db));
		return HUB_SETTINGS_DB;
	}
	return HUB_SETTINGS_OK;
}

int
hub_settings_unset(struct hub_db *db, const char *key)
{
	const char *params[1] = { key };

	if (hub_settings_find(key) == NULL)
		return HUB_SETTINGS_UNKNOWN;
	return hub_db_exec(db, &settings_stmts, STMT_UNSET, params, NULL) == HUB_DB_OK ?
	    HUB_SETTINGS_OK : HUB_SETTINGS_DB;
}
