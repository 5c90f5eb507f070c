/*
 * engine.h - the approval model (DESIGN.md "Approval model"): requests with
 * ordered steps, assignments, rules any / all / quorum N, delegation,
 * reassignment, cancel, remind, expiry, and the audit log.
 *
 * Every function here runs ONE transaction (it must be called outside one)
 * that changes state, appends the audit log and enqueues the jobs that
 * follow (notifications, message updates, the decision callback), so they
 * commit together or not at all.  Decisions on one request are serialised
 * with SELECT ... FOR UPDATE on the request row: concurrent clicks cannot
 * both win.  Nothing here talks to Slack or any remote service.
 *
 * Jobs enqueued (kinds and payloads, consumed by the worker):
 *   notify    {"request_id", "kind": <hub_notification_kind>,
 *              "assignment_id"?: n, "step"?: n, "reason"?: "..."}
 *             dedupe "notify:<request>:<kind>:<assignment or step>:<n>"
 *   sync      {"request_id"}  update every sent copy after a change
 *   http_post the decision callback (worker.h), body
 *             {id, external_id, source, status, decided_by, comment,
 *              decided_at}, signed with the source's callback secret,
 *              payload "delivery_id" naming its delivery_log row.
 */
#ifndef HUB_ENGINE_H
#define HUB_ENGINE_H

#include <stdint.h>
#include <json-c/json.h>
#include "db.h"

#define HUB_ID_LEN 37   /* uuid text + NUL */

enum hub_engine_err {
	HUB_ENGINE_OK = 0,
	HUB_ENGINE_DB,             /* database error (hub_db_last_error) */
	HUB_ENGINE_UNAVAILABLE,    /* database unreachable: 503 */
	HUB_ENGINE_INVALID,        /* input refused; see the error's field/message */
	HUB_ENGINE_NOTFOUND,       /* no such request (or not visible to the caller) */
	HUB_ENGINE_NOT_APPROVER,   /* actor is not an assignee or active delegate */
	HUB_ENGINE_ALREADY_DECIDED,/* the assignment or request is decided already */
	HUB_ENGINE_CLOSED,         /* cancelled / expired / lapsed: nothing to decide */
	HUB_ENGINE_SELF_APPROVAL,  /* requester = approver and the source forbids it */
	HUB_ENGINE_REASON_REQUIRED,/* reject without a reason where the source wants one */
	HUB_ENGINE_CONFLICT,       /* e.g. cancel of a decided request */
};

/* Who acts.  kind: "slack" (id = Slack user id, team = team id), "email",
 * "user" (a hub user id, web), "api" (a source or admin key), "worker",
 * "cli".  display is what people read ("Ana Lopez"). */
struct hub_actor {
	const char *kind;
	const char *id;
	const char *team;
	const char *display;
	const char *via;   /* audit "via": api|slack|web|worker|cli */
};

/* The outcome a caller shows ("Already approved by X at T"). */
struct hub_outcome {
	char	request_status[16];   /* Pending, Approved, ... after the call */
	char	decided_by[256];      /* who decided the request or the assignment */
	char	decided_at[40];       /* ISO-8601, "" when undecided */
	int	request_finished;     /* this call moved the request out of Pending */
	int	step_advanced;        /* this call started the next step */
	int	created;              /* create: 1 new, 0 the existing one came back */
	char	id[HUB_ID_LEN];       /* create: the request id */
};

/* Field-level error for INVALID (validation happens before any write). */
struct hub_engine_error {
	char	field[64];
	char	message[256];
};

/*
 * Create a request from a normalized, validated JSON object (see intake.h
 * for the shape).  source_id is the caller's source.  Idempotent on
 * (source, external_id) and on (source, idempotency_key): the existing
 * request's id comes back with created = 0.  Enqueues notify
 * call_for_action for step 1 (or expires/finishes nothing else).
 */
int	hub_engine_create(struct hub_db *, const char *source_id, json_object *req,
	    const struct hub_actor *, struct hub_outcome *, struct hub_engine_error *);

/*
 * Decide.  assignment_id > 0 names the assignment (a Slack button carries
 * it); 0 finds the actor's pending assignment in the active step, as the
 * actor or as an active delegate.  approve != 0 approves.  comment may be
 * NULL; edits (may be NULL) is an object of edited metadata fields that the
 * source marked editable, merged into metadata and carried by the callback.
 */
int	hub_engine_decide(struct hub_db *, const char *request_id, int64_t assignment_id,
	    const struct hub_actor *, int approve, const char *comment, json_object *edits,
	    struct hub_outcome *, struct hub_engine_error *);

/* Cancel a pending request (its source or an admin). */
int	hub_engine_cancel(struct hub_db *, const char *request_id, const struct hub_actor *,
	    const char *reason, struct hub_outcome *);

/* Replace approver (kind, value) of the active step with another; both are
 * told. */
int	hub_engine_reassign(struct hub_db *, const char *request_id,
	    const char *from_kind, const char *from_value, const char *to_kind,
	    const char *to_value, const struct hub_actor *, struct hub_engine_error *);

/* Manual reminder to the pending approvers of the active step. */
int	hub_engine_remind(struct hub_db *, const char *request_id, const struct hub_actor *,
	    int *reminded);

/* Worker sweeps: expire requests past their deadline, queue automatic
 * reminders that are due, lapse approvals whose valid_for ran out.  Each
 * handles at most `limit` requests per call and returns how many. */
int	hub_engine_expire_due(struct hub_db *, int limit, int *count);
int	hub_engine_remind_due(struct hub_db *, int limit, int *count);
int	hub_engine_lapse_due(struct hub_db *, int limit, int *count);

const char *hub_engine_strerror(int);

#endif
