/*
 * sqlfrag.h - SQL fragments more than one statement table shares, so a
 * timestamp or "is this Slack user an assignee" is written once.
 *
 * Each is a string literal (or a macro building one from literals) to paste
 * into a statement table; none takes user text, all take column names or
 * placeholders ($n) the statement owns.
 */
#ifndef HUB_SQLFRAG_H
#define HUB_SQLFRAG_H

/*
 * The hub's one text form of a timestamptz: ISO-8601, UTC, microseconds,
 * "Z" (2026-01-02T03:04:05.123456Z).  Exact, so a keyset cursor built from
 * it finds the same row again; render.h and the Slack texts parse it (the
 * fraction is dropped there).  NULL stays NULL.
 */
#define HUB_SQL_ISO(x) \
	"to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
/* The same, "" for NULL. */
#define HUB_SQL_ISO_OR_EMPTY(x) "coalesce(" HUB_SQL_ISO(x) ", '')"
/*
 * Whole seconds, only where a reader outside the hub already gets this
 * shape: the decision callback's decided_at and the engine outcome the API
 * answers with (cancel, decide).  Changing it would change that wire
 * format; new code uses HUB_SQL_ISO.
 */
#define HUB_SQL_ISO_SECONDS(x) \
	"to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/*
 * The first instant of the UTC day n - 1 days before today (n a
 * placeholder such as "$1", an integer >= 1): "the last n days" of a chart
 * start here, today included.
 */
#define HUB_SQL_UTC_DAYS_AGO(n) \
	"((date_trunc('day', now() AT TIME ZONE 'UTC')" \
	" - make_interval(days => " n "::int - 1)) AT TIME ZONE 'UTC')"

/*
 * Slack user p (a placeholder such as "$1") is assignment a's approver:
 * named as a Slack user, or an email approver resolved to that user.  A
 * delegate's own assignment matches the same way (delegate_of says whose).
 */
#define HUB_SQL_IS_ASSIGNEE(a, p) \
	" ((" a ".approver_kind = 'slack' AND " a ".approver_value = " p ")" \
	" OR " a ".slack_user_id = " p ")"

/*
 * The assignments Slack user p (a placeholder) may decide now: pending,
 * in an active step of a Pending request.  Columns id, request_id,
 * step_id, delegate_of.  Found from the user's own rows, each way of being
 * the assignee (HUB_SQL_IS_ASSIGNEE) through its own index
 * (assignments_approver, assignments_slack_user: both end in status),
 * then the step and the request looked up by key for each.  OFFSET 0
 * keeps those lookups apart: joined, PostgreSQL starts from every Pending
 * request instead whenever its statistics count fewer of them than there
 * are (new requests since the last ANALYZE), and reads them all each time.
 */
#define HUB_SQL_LIVE_ASSIGNED(p) \
	"SELECT a.id, a.request_id, a.step_id, a.delegate_of FROM (" \
	" SELECT a.id, a.request_id, a.step_id, a.delegate_of FROM assignments a" \
	"  WHERE a.approver_kind = 'slack' AND a.approver_value = " p \
	"  AND a.status = 'pending'" \
	" UNION SELECT a.id, a.request_id, a.step_id, a.delegate_of FROM assignments a" \
	"  WHERE a.slack_user_id = " p " AND a.status = 'pending') a" \
	" WHERE EXISTS (SELECT 1 FROM request_steps st WHERE st.id = a.step_id" \
	"  AND st.status = 'active' OFFSET 0)" \
	" AND EXISTS (SELECT 1 FROM requests r WHERE r.id = a.request_id" \
	"  AND r.status = 'Pending' OFFSET 0)"

/*
 * Hub user u (a placeholder holding users.id as text) is assignment a's
 * approver: an email approver with the user's email, or the user's Slack
 * id (named as the approver, or the one an email approver resolved to).
 * A disabled user matches nothing.  The engine lets such a user decide
 * (actor kind "user"); the request page shows them what they may decide.
 */
#define HUB_SQL_USER_IS_ASSIGNEE(a, u) \
	" EXISTS (SELECT 1 FROM users hub_u WHERE hub_u.id::text = " u \
	"  AND NOT hub_u.disabled AND (" \
	"   (" a ".approver_kind = 'email' AND lower(" a ".approver_value) = hub_u.email)" \
	"   OR (hub_u.slack_user_id IS NOT NULL AND (" a ".slack_user_id = hub_u.slack_user_id" \
	"    OR (" a ".approver_kind = 'slack' AND " a ".approver_value = hub_u.slack_user_id)))))"

/* A time as people read it on the dashboard's pages: "2026-01-02 03:04
 * UTC", "" for NULL. */
#define HUB_SQL_SHOWN_TIME(x) \
	"coalesce(to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"'), '')"

#endif
