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
 * Jobs enqueued (kinds, payloads and dedupe keys are outbound.h's):
 *   notify    {"request_id", "kind": <hub_notification_kind>,
 *              "assignment_id"?: n, "step"?: n, "reason"?: "..."}
 *             dedupe "notify:<request>:<kind>:<assignment or step>:<n>"
 *   sync      {"request_id"}  update every sent copy after a change
 *   http_post the decision callback (callbacks.h), body
 *             {id, external_id, source, status, decided_by, comment,
 *              decided_at}, signed with the source's callback secret,
 *              payload "delivery_id" naming its delivery_log row.
 *
 * Details callers and the worker rely on:
 *   - notify kinds: call_for_action / delegate_call (a step starts; the
 *     delegates of a reassigned approver), approver_removed (the old
 *     approver) + approver_added (the new one: their only card, with the
 *     buttons) on reassign,
 *     manual_reminder, reminder, decision (requester: approved, rejected,
 *     cancelled), watcher (on completion, when watchers is not empty),
 *     deadline_expired.  Request-level kinds carry "step" (the current
 *     step) and "reason" = the request's final status; their dedupe key
 *     uses the step.  <n> is 1, or the reminder's epoch time for reminders.
 *   - sync jobs carry no dedupe key (one already running may have read the
 *     old state).  The callback job's dedupe key is
 *     "callback:<request>:<status>"; deadline created_at + 24 h,
 *     max_attempts >= 50; its body may also hold "edits" (the merged
 *     edits made while deciding).  Callbacks go out for Approved,
 *     Rejected, Cancelled, Expired and Lapsed.
 *   - Groups are expanded at creation into one assignment per member
 *     (member's kind); a person listed twice in a step gets one.  Which
 *     assignments came from which group is in the "request.created" audit
 *     detail: "groups": [{"group", "step_id", "members": [{"assignment_id",
 *     "kind", "value"}]}].
 *   - Delegations active today add a delegate assignment (delegate_of =
 *     the original) when the step becomes active (step 1: at creation).
 *     A delegate's decision marks the original too (decided_by = the
 *     delegate); other delegates of that original are skipped.
 *   - Audit actions: request.created, delegate.added, step.started,
 *     request.edited (detail edits + previous values), assignment.approved,
 *     assignment.rejected (detail: rule and the tally), step.approved,
 *     step.rejected, request.approved, request.rejected, request.cancelled,
 *     request.expired, request.lapsed, approver.reassigned,
 *     request.reminded (detail kind + assignment_ids), request.snoozed.  The actor column is
 *     the actor's display (else id); detail has actor_kind and actor_id.
 *   - Automatic reminders skip an approver reminded (automatically or by
 *     hand) about the same request within 4 hours; next_reminder_at moves
 *     on by reminder_every and is cleared when that reaches the deadline.
 *   - A refused call (any code but OK) has written nothing.
 */
#ifndef HUB_ENGINE_H
#define HUB_ENGINE_H

#include <stdint.h>
#include <json-c/json.h>
#include "store/db.h"
#include "store/job.h"

#define HUB_ID_LEN 37   /* uuid text + NUL */

/*
 * Rule-based risk flags (requests.risk_flags), set at creation, always on:
 *   over_threshold       the amount (metadata amount, total, deal_value or
 *                        value: hub_request_amount in 0019) is above the
 *                        source's risk_amount_threshold;
 *   duplicate            the same requester (name, any case) asked the same
 *                        source for the same amount within 30 days;
 *   short_justification  missing, or under 20 characters once trimmed;
 *   requester_approver   the requester (Slack id or email) is an approver
 *                        of one of the steps, groups expanded;
 *   off_hours            created outside the setting risk.working_hours;
 * and later:
 *   self_approval        the requester tried to decide it (the engine
 *                        refused: HUB_ENGINE_SELF_APPROVAL), audited as
 *                        risk.self_approval_attempt.
 */
#define HUB_ENGINE_FLAG_SELF			"self_approval"
#define HUB_ENGINE_FLAG_THRESHOLD		"over_threshold"
#define HUB_ENGINE_FLAG_DUPLICATE		"duplicate"
#define HUB_ENGINE_FLAG_SHORT			"short_justification"
#define HUB_ENGINE_FLAG_REQUESTER_APPROVER	"requester_approver"
#define HUB_ENGINE_FLAG_OFF_HOURS		"off_hours"
#define HUB_ENGINE_DUPLICATE_WINDOW		"30 days"
#define HUB_ENGINE_SHORT_JUSTIFICATION		"20"	/* characters */
/* Every flag, NULL-terminated (the API's ?flag= accepts these). */
extern const char *const hub_engine_flags[];
/* What people read for a flag, the one wording of the Slack card, the
 * Home tab, emails and the dashboard: "likely duplicate" ...; short is
 * the Home tab's tighter form.  An unknown flag reads as itself. */
const char *hub_engine_flag_words(const char *flag, int short_form);

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
	HUB_ENGINE_IDEMPOTENCY,    /* create: the Idempotency-Key came with another body */
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
 * request's id comes back with created = 0 -- but an idempotency_key
 * whose request was made from another body (req compared as jsonb,
 * idempotency_key left out) is IDEMPOTENCY, field "Idempotency-Key".
 * INVALID (field steps[k]) when a step can never be approved: its only
 * approvers are the requester, or rule "all" / a quorum needs the
 * requester, and the source refuses self-approval -- the requester being
 * any identity of theirs (same kind, or an email and a Slack id tied by a
 * hub user or a users.lookupByEmail result); or when the approvers, once
 * groups are their members, are more than intake's cap.  Enqueues notify
 * call_for_action for step 1 (or expires/finishes nothing else), and,
 * when this process's configuration has EMBEDDING_URL / INFERENCE_URL,
 * an ai_embed / ai_analyze job (outbound.h); sets the risk flags above.  An
 * actor of kind "user" (a hub user, the web form) becomes the request's
 * requester_user_id: the request is theirs (access.h).
 */
int	hub_engine_create(struct hub_db *, const char *source_id, json_object *req,
	    const struct hub_actor *, struct hub_outcome *, struct hub_engine_error *);

/*
 * Decide.  assignment_id > 0 names the assignment (a Slack button carries
 * it); 0 finds the actor's pending assignment in the active step, as the
 * actor or as an active delegate.  approve != 0 approves.  comment may be
 * NULL; edits (may be NULL) is an object of edited metadata fields that the
 * source marked editable, merged into metadata and carried by the callback;
 * a key not listed in sources.editable_fields is INVALID (field
 * "edits.<key>").  Actor kinds that can decide: slack (approver Slack id or
 * the resolved slack_user_id), email (case-insensitive), user (a hub user
 * whose email or Slack id matches).  An approver of a step that has not
 * started yet gets NOT_APPROVER; a reassigned-away one too.
 * SELF_APPROVAL also flags the request self_approval (after the refused
 * transaction, in one of its own).
 * Outcome: on OK the request's status; decided_by/decided_at are the
 * request's once it finished, else decided_by is the actor.  On
 * ALREADY_DECIDED: who decided that assignment (for a skipped one, who
 * decided its step) or the request; on CLOSED: the request's.
 */
int	hub_engine_decide(struct hub_db *, const char *request_id, int64_t assignment_id,
	    const struct hub_actor *, int approve, const char *comment, json_object *edits,
	    struct hub_outcome *, struct hub_engine_error *);

/* Cancel a pending request (its source or an admin): CONFLICT when it is
 * not Pending (out holds its state), NOTFOUND when there is none.  The
 * requester is told (decision) and the source called back (Cancelled). */
int	hub_engine_cancel(struct hub_db *, const char *request_id, const struct hub_actor *,
	    const char *reason, struct hub_outcome *);

/* Replace approver (kind, value) of the active step with another; both are
 * told.  Kinds are slack or email.  CONFLICT when not Pending,
 * NOT_APPROVER when from has no pending assignment in the active step,
 * INVALID (field "to") when to already has one. */
int	hub_engine_reassign(struct hub_db *, const char *request_id,
	    const char *from_kind, const char *from_value, const char *to_kind,
	    const char *to_value, const struct hub_actor *, struct hub_engine_error *);

/* Manual reminder to the pending approvers of the active step (never
 * throttled).  CONFLICT when the request is not Pending. */
int	hub_engine_remind(struct hub_db *, const char *request_id, const struct hub_actor *,
	    int *reminded);

/* Snooze the actor's own automatic reminders about a pending request:
 * their pending assignments of the active step get no automatic reminder
 * before option "1h" (an hour from now) or "tomorrow" (09:00 UTC the
 * next day); the other approvers' reminders go on as scheduled.  Audit
 * request.snoozed (detail option, until, assignment_ids).  until gets
 * that time, ISO-8601.  INVALID for another option, CONFLICT when the
 * request is not Pending (or no longer exists) or the actor has no
 * pending assignment in its active step. */
#define HUB_ENGINE_TIME_LEN	40
int	hub_engine_snooze(struct hub_db *, const char *request_id, const char *option,
	    const struct hub_actor *, char until[HUB_ENGINE_TIME_LEN]);

/* The worker's sweep (job.h): expire requests past their deadline, queue
 * automatic reminders that are due, lapse approvals whose valid_for ran
 * out; each in batches of 100 until one comes back short (at most 10 per
 * kind), one log line when anything was swept. */
int	hub_engine_sweep(struct hub_job_env *);

/* Append one audit row for an admin's change that is not one of the
 * above (e.g. "delivery.retried"), INSIDE the caller's transaction (the
 * one exception to "one transaction per call"), so the change and its
 * record commit together.  request_id may be NULL; detail is borrowed
 * (NULL = {}) and gets actor_kind and actor_id added.  A hub_engine_err. */
int	hub_engine_audit(struct hub_db *, const char *request_id, const struct hub_actor *,
	    const char *action, json_object *detail);

const char *hub_engine_strerror(int);

#endif
