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

/* Duration text or number -> seconds (> 0); -1 when malformed. */
long long hub_intake_duration(json_object *);

#endif
