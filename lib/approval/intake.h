/*
 * intake.h - validation of a new approval request from an untrusted JSON
 * body (POST /api/new-approval, the web form), into the normalized object
 * hub_engine_create() takes.  Nothing is written; the first problem is
 * reported with its field.
 *
 * Input (the seed's shape stays valid):
 *   request_source, requester_name, approver_id, justification_text,
 *   metadata, and optional external_id, title, requester_email,
 *   requester_slack_id, approvers[], rule, quorum, steps[], deadline,
 *   reminder_every, valid_for, callback_url, watchers[], delivery, channel,
 *   connection.
 *   An approver is "U…"/"W…" (Slack user id), an email, "group:NAME", or
 *   {"slack": "U…"} / {"email": "…"} / {"group": "…"}.
 *   approver_id alone = one step, rule any.  approvers[] + rule (+ quorum) =
 *   one step.  steps[] = [{approvers[], rule, quorum, delivery, channel,
 *   connection}, …] (1..20 steps).  Durations: integer seconds, "90m",
 *   "4h", "2d", or ISO-8601 "PT4H" / "P2D".
 *
 * Normalized output (caller puts it):
 *   {"request_source": s|null, "external_id": s|null, "idempotency_key": s|null, "title": s,
 *    "requester_name": s, "requester_email": s|null,
 *    "requester_slack_id": s|null, "justification": s, "metadata": {},
 *    "preset": "workday_pto"|"concur_expense"|"salesforce_deal"|"jira_issue"|null,
 *    "steps": [{"rule": "any"|"all"|"quorum", "quorum": n|null,
 *               "approvers": [{"kind": "slack"|"email"|"group", "value": s}],
 *               "delivery": s|null, "channel": s|null, "connection": s|null}],
 *    "deadline": "ISO-8601 UTC"|null, "reminder_every": seconds|null,
 *    "valid_for": seconds|null, "callback_url": s|null,
 *    "watchers": [{"kind", "value"}], "delivery": s|null,
 *    "channel": s|null, "connection": s|null}
 *
 * Limits: names 200, title 300, justification 10 000, metadata an object of
 * at most 32 KB serialized, at most 500 approvers in all, typed preset
 * fields checked (amount is a number, dates are dates, URLs are http(s)).
 *
 * Rules, in detail (the first problem found is reported):
 * - Unknown keys are errors ("unknown field"), at the top level, in a step,
 *   in an approver object and in a {start, end} date range.  JSON null is
 *   the same as an absent key.  Types are strict: 5 is not "5" and back.
 * - Strings: valid UTF-8, lengths counted in characters (code points), no
 *   control characters (C0, DEL, C1); justification_text alone may hold
 *   \n, \t and \r\n (stored as \n), and may be "" but is required.
 *   Limits: request_source 100, names and external_id 200, title 300,
 *   emails 320, channel 80, connection 100, callback_url 2000.
 * - Exactly one approver form: approver_id, approvers[] or steps[] (1..20).
 *   rule any|all|quorum (default any); quorum is required with rule quorum
 *   and refused otherwise, 1..the step's approvers (a group counts as one).
 *   Duplicates within a step are refused; ≤ 500 approvers in all.
 *   Emails are stored lower-cased; {"group": "x"} and "group:x" are alike.
 *   watchers[]: ≤ 50, same forms, no duplicates.
 * - deadline: "YYYY-MM-DDTHH:MM[:SS[.frac]]" with Z or ±hh:mm, or a bare
 *   date "YYYY-MM-DD" meaning the end of that day (23:59:59Z); it must be
 *   in the future; stored as "YYYY-MM-DDTHH:MM:SSZ".
 * - reminder_every 60 s..365 d, valid_for 1 s..365 d.
 * - delivery dm|group_dm|channel|both; channel "C…"/"G…" or "#name";
 *   callback_url http(s)://host[:port]… without spaces or user info.
 * - title defaults to "<Approval request|preset title> from <requester>".
 * - metadata: ≤ 100 keys per object, nesting ≤ 5, ≤ 32768 bytes as JSON.
 * - Preset: chosen by request_source alone, case-insensitive, whole value
 *   (workday, concur, salesforce, jira); not by a metadata field, which a
 *   client could set on anything.  The engine stores it with the request
 *   (requests.preset), so a request whose stored source is another (the
 *   web form's "web") keeps the preset its type picked.  Its typed
 *   fields are checked when present (see the tables in intake.c); other
 *   keys are free.
 *
 * Errors: field is a path ("approvers[3]", "steps[1].rule",
 * "metadata.amount", "Idempotency-Key", "body"); message is a phrase to
 * follow it ("required", "must be a number", "unknown field").  The input
 * is never quoted in a message.
 */
#ifndef HUB_INTAKE_H
#define HUB_INTAKE_H

#include <json-c/json.h>

enum hub_intake_err {
	HUB_INTAKE_OK = 0,
	HUB_INTAKE_INVALID,   /* field + message set */
	HUB_INTAKE_NOMEM,
};

struct hub_intake_error {
	char	field[64];
	char	message[256];
};

/* in: the parsed body; idempotency_key: the Idempotency-Key header or NULL.
 * The output also carries "request_source": s|null as given, which the API
 * checks against the key's source (a source key: absent or equal; an admin
 * key: required). */
int	hub_intake_validate(json_object *in, const char *idempotency_key,
	    json_object **out, struct hub_intake_error *);

/* One approver in any form above (reassign's "from" and "to"), checked and
 * normalized as in steps[]: *out (the caller puts) is {"kind", "value"};
 * field names it in errors ("to", "to.email"); v NULL is "required". */
int	hub_intake_party(json_object *v, const char *field, json_object **out,
	    struct hub_intake_error *);

/* Duration text or number -> seconds (> 0); -1 when malformed.  Integer
 * seconds, "<n>s|m|h|d|w" (n ≤ 9 digits), ISO-8601 "PnW" or
 * "P[nD][T[nH][nM][nS]]" (no years or months: their length varies). */
long long hub_intake_duration(json_object *);

/* The preset a stored request is shown with: the one stored with it
 * (requests.preset, 0023: what intake chose, e.g. the web form's type)
 * when it names a preset, else the one its source's name picks (rows from
 * before 0023, and a "" or NULL column).  Every reader of a stored request
 * (request page, decision page, Slack card, email) goes through this.
 * hub_intake_preset_of(NULL, "Workday") is "workday_pto"; NULL for a
 * source no preset names. */
const char *hub_intake_preset_of(const char *stored, const char *request_source);

/* Metadata, serialized, is at most this many bytes. */
#define HUB_INTAKE_META_MAX	32768
/* People on a request in all, steps together; the engine counts it again
 * once groups are their members (a string for its SQL, and the number). */
#define HUB_INTAKE_MAX_APPROVERS_SQL	"500"
#define HUB_INTAKE_MAX_APPROVERS	500

/*
 * The presets: per source system, the metadata fields intake checks by
 * type and the display (metadisplay.h) shows first, with their labels.
 */
enum hub_meta_type {
	HUB_META_TEXT,		/* string of at most max characters */
	HUB_META_NUMBER,	/* finite number in [min, max] */
	HUB_META_CURRENCY,	/* ISO 4217: three capital letters */
	HUB_META_DATE,		/* YYYY-MM-DD */
	HUB_META_RANGE,	/* "YYYY-MM-DD to YYYY-MM-DD" or {"start", "end"} */
	HUB_META_DATES,	/* a date or a range */
	HUB_META_URL,		/* http(s) */
	HUB_META_JIRA_KEY,	/* ABC-123 */
};

enum hub_meta_show { HUB_SHOW_TEXT, HUB_SHOW_MONEY, HUB_SHOW_NUMBER, HUB_SHOW_PERCENT, HUB_SHOW_LINK };

struct hub_preset_field {
	const char	*key;
	const char	*label;
	enum hub_meta_type	 type;
	enum hub_meta_show	 show;
	size_t		 max;		/* HUB_META_TEXT */
	double		 min, maxv;	/* HUB_META_NUMBER */
};


struct hub_preset {
	const char			*source;
	const char			*name;
	const char			*title;	/* default title: "<title> from <requester>" */
	const struct hub_preset_field	*fields;
	size_t				 nfields;
};

/* The preset named name ("workday_pto"), or NULL. */
const struct hub_preset *hub_intake_preset_def(const char *name);
/* ISO 4217 shape: three ASCII capital letters. */
int	hub_intake_is_currency(const char *);
/* An http:// or https:// URL intake accepts (callback_url, URL fields). */
int	hub_intake_is_url(const char *);

#ifdef HUB_UNITTEST
#include <time.h>
/* HUB_STATIC in intake.c: reachable from the tests through t/libhub_ut.a. */
extern time_t intake_now;	/* 0: the real clock */
#endif

#endif
