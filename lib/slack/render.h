/*
 * render.h - everything a person reads about a request: the Slack message
 * (Block Kit blocks + fallback text) and the email (subject, text/plain,
 * text/html) of every notification kind, the updated copies of a sent
 * call-for-action after a change (sync), and @mention batches.
 *
 * Pure: no database, no network, no clock, no logging.  The worker loads
 * the rows, builds the context below and sends what comes out.
 *
 * Guarantees:
 *   - blocks always pass hub_bk_validate(HUB_BK_MESSAGE): texts are cut to
 *     their place's limit ("…"), metadata fields are paginated 10 per
 *     section and never past 50 blocks (the rest is counted in a "…and N
 *     more fields" line), an unusable URL drops its button instead of
 *     failing the message;
 *   - text (fallback, push preview) is 1..4000 characters, mrkdwn;
 *   - all user text is mrkdwn-escaped (& < > only, hub_mrkdwn_escape) in
 *     Slack output and HTML-escaped by the template engine in email; only
 *     mentions (<@U…>), links (<url|text>) and date tokens are raw, built by
 *     their helpers;
 *   - email subject is one line (control characters become spaces), at
 *     most 200 characters.
 *
 * The context (a json object, borrowed, never modified; every key optional
 * unless marked required; null = absent):
 *
 *   {"request": {"id": s (required), "title": s, "status": "Pending" |
 *      "Approved" | "Rejected" | "Cancelled" | "Expired" | "Lapsed",
 *      "source": s, "preset": s, "requester_name": s,
 *      "requester_slack_id": "U…", "requester_email": s,
 *      "justification": s, "metadata": {}, "deadline": ISO-8601,
 *      "created_at": ISO, "decided_by": s, "decided_at": ISO,
 *      "decision_comment": s, "ai_summary": s, "risk_score": 0..100,
 *      "current_step": n, "step_count": n},
 *    "step": {"position": n, "rule": "any"|"all"|"quorum", "quorum": n,
 *      "approved": n, "rejected": n, "total": n},
 *    "assignment": {"id": n, "approver_kind": s, "approver_value": s,
 *      "slack_user_id": s, "display": s, "delegate_for": s,
 *      "status": "pending"|"approved"|"rejected"|"skipped"|"reassigned",
 *      "decided_by": s, "decided_at": ISO, "comment": s},
 *    "links": {"view": url, "decide": url, "approve": url, "reject": url},
 *      (http(s) only; approve/reject default to decide)
 *    "mode": "app" (default: interactive buttons) | "webhook" (a post the
 *      whole channel reads: no decision buttons or links, whatever links
 *      holds — a decision link is its approver's alone; only View),
 *    "approvers": {"slack_user_ids": ["U…"], "names": [s]} (webhook mode,
 *      kinds that ask to decide: the post names them — mentions, then names
 *      escaped, the list cut near 3000 characters with "and N more" — and
 *      says each was sent a personal link by email),
 *    "editable": bool (adds Edit in app mode; hub_render_editable says
 *      whether a source's fields make it true),
 *    "audience": "approver" (the message is for an approver; a
 *      request-level kind with words of its own for them uses those:
 *      deadline_expired says "… expired before a decision; no action
 *      needed" instead of the requester's "Your request expired",
 *      templates key "deadline_expired_approver"),
 *    "sent_kind": s (hub_render_sync: the kind the copy was sent as; a
 *      copy that still asks to decide (PROGRESS) keeps that kind's words —
 *      "You were added as an approver", "⏰ Reminder" — while a closed one
 *      shows the call for action's layout with its outcome),
 *    "reason": s (reject / cancel / expire / reassign text),
 *    "actor_display": s (who decided, reminded, reassigned),
 *    "mentions": ["U…", …] (channel mode: the first batch of
 *      hub_render_mentions goes at the top of the message),
 *    "templates": {"<kind>": {"title": s, "intro": s, "subject": s}}}
 *
 * Source wording: templates.<kind>.title / intro / subject replace the
 * built-in wording of that part; {{name}} placeholders take request fields
 * (id, title, status, source, requester_name, requester_email,
 * justification, deadline (formatted), created_at, decided_by,
 * decided_at, decision_comment, ai_summary, risk_score, current_step,
 * step_count), approver, delegate_for, actor, reason, outcome, and any
 * metadata key in its display form ("amount" -> "1,234.50 USD", also as
 * "metadata.amount").  A part whose placeholder has no value (absent, null
 * or "") or is malformed falls back to the built-in wording, then to a
 * fixed one: never a blank or a raw "{{x}}".  Substituted text is plain and
 * escaped by each output like any user text.
 *
 * Button values (app and webhook): compact JSON {"r":"<request id>",
 * "a":<assignment id>} ("a" absent without an assignment).  The actions
 * block id is "hub_actions:<request id>"; action ids hub_approve,
 * hub_reject, hub_edit, hub_snooze (overflow, values "1h" and "tomorrow"),
 * hub_view.
 */
#ifndef HUB_RENDER_H
#define HUB_RENDER_H

#include <json-c/json.h>

enum hub_render_err {
	HUB_RENDER_OK = 0,
	HUB_RENDER_NOMEM,
	HUB_RENDER_INVAL,	/* NULL argument, unknown kind, no request.id */
	HUB_RENDER_FAILED,	/* output broke a limit (a bug): nothing out */
};

/* One row per kind; the names are delivery_log's kind column. */
enum hub_render_kind {
	HUB_RENDER_CALL_FOR_ACTION = 0,	/* "call_for_action" */
	HUB_RENDER_INFO,		/* "info" */
	HUB_RENDER_DELEGATE_CALL,	/* "delegate_call" */
	HUB_RENDER_EXTERNAL_APPROVER,	/* "external_approver" */
	HUB_RENDER_REMINDER,		/* "reminder" (automatic) */
	HUB_RENDER_MANUAL_REMINDER,	/* "manual_reminder" */
	HUB_RENDER_DECISION,		/* "decision" (to the requester) */
	HUB_RENDER_WATCHER,		/* "watcher" (on completion) */
	HUB_RENDER_APPROVER_ADDED,	/* "approver_added" */
	HUB_RENDER_APPROVER_REMOVED,	/* "approver_removed" */
	HUB_RENDER_DEADLINE_EXPIRED,	/* "deadline_expired" */
	HUB_RENDER_KIND__MAX
};

/* The copy of a sent call-for-action (or delegate call) after a change,
 * for chat.update: the same layout with a status line in place of the
 * intro.  Every variant but PROGRESS drops the whole actions block (View
 * becomes a link in the footer) and the @mention line. */
enum hub_render_sync {
	HUB_SYNC_DECIDED = 0,	/* this approver decided: "✅ Approved by X" /
				   "❌ Rejected by X: reason"; no buttons */
	HUB_SYNC_NO_ACTION,	/* decided by someone else: "No action
				   required — Approved by X"; no buttons */
	HUB_SYNC_PROGRESS,	/* all/quorum, still pending: "Approved: 2 of
				   3 — waiting for you"; buttons kept */
	HUB_SYNC_CANCELLED,	/* no buttons */
	HUB_SYNC_EXPIRED,	/* no buttons */
	HUB_SYNC_REASSIGNED,	/* reassigned away from this approver */
	HUB_SYNC__MAX
};

/* Everything one notification says.  Owned by the caller:
 * hub_render_out_free().  Sync renders leave the email fields NULL. */
struct hub_render_out {
	json_object	*blocks;	/* array, valid for a message */
	char		*text;		/* fallback / preview, ≤ 4000 chars */
	char		*email_subject;
	char		*email_text;	/* text/plain body */
	char		*email_html;	/* text/html body (templates/email.html) */
};

int		 hub_render(enum hub_render_kind, json_object *ctx,
		    struct hub_render_out *out);
int		 hub_render_sync(enum hub_render_sync, json_object *ctx,
		    struct hub_render_out *out);
void		 hub_render_out_free(struct hub_render_out *);

/* The sync variant a sent copy needs, from request.status,
 * assignment.status, step.rule and step.approved: reassigned ->
 * REASSIGNED; approved/rejected by this approver -> DECIDED; Cancelled ->
 * CANCELLED; Expired -> EXPIRED; skipped or the request finished ->
 * NO_ACTION; otherwise PROGRESS. */
enum hub_render_sync hub_render_sync_pick(json_object *ctx);

/* 1 when a source's editable_fields (a JSON array of field names, NULL
 * allowed) names a field: the context's "editable".  Delivery and sync
 * both ask here, so the first card and its updates agree on Edit. */
int		 hub_render_editable(json_object *editable_fields);

/* "call_for_action", …; NULL past the table. */
const char	*hub_render_kind_name(enum hub_render_kind);
/* HUB_RENDER_OK and *kind, or HUB_RENDER_INVAL for an unknown name. */
int		 hub_render_kind_from_name(const char *, enum hub_render_kind *);
const char	*hub_render_sync_name(enum hub_render_sync);

enum hub_render_mode {
	HUB_RENDER_APP = 0,	/* chat.postMessage: thread replies possible */
	HUB_RENDER_WEBHOOK,	/* one message, no ts */
};

#define HUB_RENDER_MENTIONS_PER_MESSAGE	50
#define HUB_RENDER_WEBHOOK_MENTION_CHARS	3000

/*
 * @mention texts for a list of Slack user ids (json array of strings;
 * ids that are not [A-Z0-9]+ are skipped, duplicates kept once).
 * *out (caller puts) is an array of strings: APP mode, batches of at most
 * 50 "<@U…>" separated by spaces — the first goes in the message, each
 * further one is a thread reply; WEBHOOK mode, one text of at most 3000
 * characters, ending in "and N more" when the list does not fit.  An empty
 * list gives [].
 */
int		 hub_render_mentions(json_object *ids, enum hub_render_mode,
		    json_object **out);

/* "Tue 24 Nov 17:00 UTC" from ISO-8601 (Z, ±hh[:mm], space or T, a bare
 * date is midnight UTC); -1 when it does not parse.  *epoch may be NULL. */
int		 hub_render_format_time(const char *iso, char *out,
		    size_t outlen, long long *epoch);

const char	*hub_render_strerror(int);

#endif
