#include <stdio.h>
#include <time.h>
#include <string.h>

#include "store/cursor.h"
#include "base/json.h"
#include "store/pgjson.h"
#include "approval/reqquery.h"
#include "store/sqlfrag.h"
#include "approval/search.h"
#include "store/db.h"
#include "approval/ai.h"
#include "approval/engine.h"
#include "approval/semantic.h"
#include "base/buf.h"
#include "base/common.h"
#include <stdlib.h>

/* Lengths the filters may have (bytes). */
#define APPROVER_MAX	320
#define Q_MAX		HUB_SEARCH_MAX
#define SOURCE_MAX	100
/* A request document is bounded by intake's limits; this only guards. */
#define REQUEST_JSON_MAX	(64u << 20)
#define REQUEST_JSON_DEPTH	64

#define ISO HUB_SQL_ISO

/*
 * Every list variant takes the same parameters; the unused CTE only gives
 * them their types.
 *   $1 status  $2 source id  $3 approver  $4 q  $5,$6 cursor  $7 limit
 *   $8 the cursor's relevance (search variants)
 *   $9 requester's user id  $10 requester's email (a requester's own rows)
 *   $11 a risk flag (the flagged variants, the second half of the table)
 *   $12 the first day's start  $13 the day after the last one's start
 *   (-infinity and infinity when open)
 *
 * The approver variants start from the approver's assignments, walking
 * assignments_approver_list and assignments_slack_list (0006) in list
 * order, so a LIMIT stops the walk: a busy approver costs no more than a
 * rare one.  request_created_at is the request's created_at, so the keyset
 * (created_at, id) is the same on both sides.  A requester's own rows
 * (without an approver or words) walk requests_requester_user_list and
 * requests_requester_email_list (0015) the same way; with them, they are
 * one more filter.
 *
 * With words (q), the rows are the search's matches (approval/search.h),
 * most relevant first, then newest: the keyset is (relevance, created_at,
 * id) and the page's cursor carries the relevance (store/cursor.h).
 *
 * The dates: the first day is a row comparison, like the keyset's, and the
 * last one a plain bound.  Two plain bounds on created_at would read to a
 * generic plan as a narrow range, and it would trade the ordered index
 * walk for a bitmap and a sort of every row (2.5 s for a search at 300 000
 * requests).
 *
 * Heads take the SELECT list and the join it needs, so the counters
 * (COUNTQ) walk each list's own statement, selecting only the status.
 */
#define LIST_ARGS \
	"WITH args AS (SELECT $1::text, $2::uuid, $3::text, $4::text," \
	" $5::timestamptz, $6::uuid, $7::int, $8::real, $9::uuid, $10::text, $11::text," \
	" $12::timestamptz, $13::timestamptz)"
#define LIST_NPARAMS 13
/* Created (column c, keyset partner id) within the days. */
#define IN_DAYS(c, id) \
	" AND (" c ", " id ") >= ($12, '00000000-0000-0000-0000-000000000000')" \
	" AND " c " < $13"
#define LIST_COLS \
	" SELECT r.id, s.name AS source, r.external_id, r.title, r.requester_name," \
	" r.status, r.current_step, " ISO("r.created_at") " AS created_at, " \
	ISO("r.updated_at") " AS updated_at, " ISO("r.deadline") " AS deadline, " \
	ISO("r.decided_at") " AS decided_at, r.decided_by," \
	" to_jsonb(r.risk_flags) AS risk_flags, " HUB_AI_JSON("r") " AS ai"
#define LIST_JOIN " JOIN sources s ON s.id = r.source_id"
#define LIST_HEAD00(sel, join) \
	LIST_ARGS sel " FROM requests r" join \
	" WHERE (r.created_at, r.id) < ($5, $6)" IN_DAYS("r.created_at", "r.id")
#define LIST_TAIL00(sel, join) " ORDER BY r.created_at DESC, r.id DESC LIMIT $7"
/* The CTEs m and u: the requests of approver $3 (by assigned value, or by
 * the Slack user an email/group approver resolved to, rows where that
 * differs from the value), a request once, newest first; cond narrows the
 * assignments (a). */
#define APPROVER_WALK(cond) \
	" m AS (" \
	"(SELECT a.request_created_at AS c, a.request_id AS id FROM assignments a" \
	"  WHERE a.approver_value = $3" cond \
	"  ORDER BY 1 DESC, 2 DESC)" \
	" UNION ALL" \
	" (SELECT a.request_created_at, a.request_id FROM assignments a" \
	"  WHERE a.slack_user_id = $3 AND a.slack_user_id <> a.approver_value" cond \
	"  ORDER BY 1 DESC, 2 DESC))," \
	" u AS (SELECT DISTINCT ON (c, id) c, id FROM m ORDER BY c DESC, id DESC)"
/* An approver's list: their requests before the cursor. */
#define LIST_HEAD10(sel, join) \
	LIST_ARGS "," APPROVER_WALK(" AND (a.request_created_at, a.request_id) < ($5, $6)" \
	IN_DAYS("a.request_created_at", "a.request_id")) \
	sel " FROM u JOIN requests r ON r.id = u.id" join \
	" WHERE (u.c, u.id) < ($5, $6)"
#define LIST_TAIL10(sel, join) " ORDER BY u.c DESC, u.id DESC LIMIT $7"
/* A requester's own: made by their user, or sent for their email. */
#define LIST_HEAD20(sel, join) \
	LIST_ARGS ", m AS (" \
	"(SELECT r.created_at AS c, r.id FROM requests r" \
	"  WHERE r.requester_user_id = $9 AND (r.created_at, r.id) < ($5, $6)" \
	IN_DAYS("r.created_at", "r.id") \
	"  ORDER BY 1 DESC, 2 DESC)" \
	" UNION ALL" \
	" (SELECT r.created_at, r.id FROM requests r" \
	"  WHERE lower(r.requester_email) = lower($10) AND (r.created_at, r.id) < ($5, $6)" \
	IN_DAYS("r.created_at", "r.id") \
	"  ORDER BY 1 DESC, 2 DESC))," \
	" u AS (SELECT DISTINCT ON (c, id) c, id FROM m ORDER BY c DESC, id DESC)" \
	sel " FROM u JOIN requests r ON r.id = u.id" join \
	" WHERE (u.c, u.id) < ($5, $6)"
#define LIST_TAIL20 LIST_TAIL10
#define LIST_MINE_FILTER \
	" AND (r.requester_user_id = $9 OR lower(r.requester_email) = lower($10))"
/* Search: the matches, ranked.  The candidates are the newest
 * HUB_SEARCH_NEWEST matches the filters leave (c: created_at order, so the
 * planner may walk requests_created and stop, or take the few matches of
 * a rare word from the GIN index and sort them), and only they are
 * ranked: a common word no longer ranks every request it is in.  They do
 * not depend on the cursor, so every page ranks the same set.  Close
 * spellings rank below every word match (their relevance is the
 * similarity minus 2, below 0), so the sign of a cursor's relevance says
 * which of the two a page continues. */
#define LIST_CANDIDATES(match) \
	LIST_ARGS ", c AS (SELECT r.id FROM requests r" \
	" WHERE " match IN_DAYS("r.created_at", "r.id")
#define LIST_RANKED(rank, sel, join) \
	" ORDER BY r.created_at DESC, r.id DESC LIMIT " HUB_SEARCH_NEWEST ")" \
	sel ", k.relevance FROM c JOIN requests r ON r.id = c.id" join \
	" CROSS JOIN LATERAL (SELECT " rank " AS relevance) k" \
	" WHERE (k.relevance, r.created_at, r.id) < ($8, $5, $6)" \
	" ORDER BY k.relevance DESC, r.created_at DESC, r.id DESC LIMIT $7"
#define LIST_BY_APPROVER \
	" AND EXISTS (SELECT 1 FROM assignments a WHERE a.request_id = r.id" \
	"  AND (a.approver_value = $3 OR a.slack_user_id = $3))"
#define WORDS_RANK HUB_SEARCH_RANK("r", "$4")
/* Close spellings: the corrected words ($4, approval/search.h) match
 * as words do, and rank below every word match. */
#define TYPOS_RANK "(" WORDS_RANK " - 2)::real"
#define LIST_HEAD01(sel, join) LIST_CANDIDATES(HUB_SEARCH_WORDS("r", "$4"))
#define LIST_HEAD02 LIST_HEAD01
#define LIST_HEAD11(sel, join) LIST_HEAD01(sel, join) LIST_BY_APPROVER
#define LIST_HEAD12 LIST_HEAD11
#define LIST_TAIL01(sel, join) LIST_RANKED(WORDS_RANK, sel, join)
#define LIST_TAIL02(sel, join) LIST_RANKED(TYPOS_RANK, sel, join)
#define LIST_TAIL11 LIST_TAIL01
#define LIST_TAIL12 LIST_TAIL02
#define F0(s) ""
#define F1(s) s
/* ap: 0 all, 1 by approver, 2 a requester's own; m: 0 no words, 1 words,
 * 2 close spellings; mf: a requester's own as a filter; fl: a risk flag
 * (GIN requests_risk_flags, 0019). */
#define LIST_WHERE(st, so, ap, m, mf, fl, sel, join) LIST_HEAD##ap##m(sel, join) \
	F##st(" AND r.status = $1") \
	F##so(" AND r.source_id = $2") \
	F##mf(LIST_MINE_FILTER) \
	F##fl(" AND r.risk_flags @> ARRAY[$11::text]")
#define LISTQ(st, so, ap, m, mf, fl) { \
	LIST_WHERE(st, so, ap, m, mf, fl, LIST_COLS, LIST_JOIN) \
	LIST_TAIL##ap##m(LIST_COLS, LIST_JOIN), \
	LIST_NPARAMS }
#define LISTQ4(ap, m, mf, fl) LISTQ(0, 0, ap, m, mf, fl), LISTQ(1, 0, ap, m, mf, fl), \
	LISTQ(0, 1, ap, m, mf, fl), LISTQ(1, 1, ap, m, mf, fl)
/* The 48 variants, with or without a flag. */
#define LISTQ48(fl) \
	LISTQ4(0, 0, 0, fl), LISTQ4(1, 0, 0, fl), LISTQ4(0, 1, 0, fl), LISTQ4(1, 1, 0, fl), \
	LISTQ4(0, 2, 0, fl), LISTQ4(1, 2, 0, fl), \
	LISTQ4(2, 0, 0, fl), LISTQ4(1, 0, 1, fl), LISTQ4(0, 1, 1, fl), LISTQ4(1, 1, 1, fl), \
	LISTQ4(0, 2, 1, fl), LISTQ4(1, 2, 1, fl)
/* The statuses of a list's first $7 rows, walked as the list walks them
 * (the same index, in order, stopping at the limit). */
#define COUNTQ(so, ap, m, mf, fl) { "SELECT x.status, count(*) FROM (" \
	LIST_WHERE(0, so, ap, m, mf, fl, " SELECT r.status", "") \
	LIST_TAIL##ap##m(" SELECT r.status", "") \
	") x GROUP BY 1", LIST_NPARAMS }
#define COUNTQ2(ap, m, mf, fl) COUNTQ(0, ap, m, mf, fl), COUNTQ(1, ap, m, mf, fl)
/* Their 24, in the list's order, with or without a flag. */
#define COUNTQ24(fl) \
	COUNTQ2(0, 0, 0, fl), COUNTQ2(1, 0, 0, fl), COUNTQ2(0, 1, 0, fl), COUNTQ2(1, 1, 0, fl), \
	COUNTQ2(0, 2, 0, fl), COUNTQ2(1, 2, 0, fl), \
	COUNTQ2(2, 0, 0, fl), COUNTQ2(1, 0, 1, fl), COUNTQ2(0, 1, 1, fl), COUNTQ2(1, 1, 1, fl), \
	COUNTQ2(0, 2, 1, fl), COUNTQ2(1, 2, 1, fl)

/* Semantic candidates (semantic.h): the newest visible requests with an
 * embedding, filtered as the list is.  $1 status, $2 source id,
 * $3 approver, $4 flag, $5 how many, $6 requester's user id, $7 email,
 * $8 $9 the days (as $12 $13 above). */
#define SEM_ARGS \
	"WITH args AS (SELECT $1::text, $2::uuid, $3::text, $4::text, $5::int," \
	" $6::uuid, $7::text, $8::timestamptz, $9::timestamptz)"
#define SEM_CANDIDATES(src) SEM_ARGS \
	" SELECT e.request_id::text, e.embedding FROM request_embeddings e" \
	" JOIN requests r ON r.id = e.request_id" \
	" WHERE ($1 IS NULL OR r.status = $1)" src \
	" AND ($3 IS NULL OR EXISTS (SELECT 1 FROM assignments a WHERE a.request_id = r.id" \
	"  AND (a.approver_value = $3 OR a.slack_user_id = $3)))" \
	" AND ($4 IS NULL OR r.risk_flags @> ARRAY[$4])" \
	" AND (($6 IS NULL AND $7 IS NULL) OR r.requester_user_id = $6" \
	"  OR lower(r.requester_email) = lower($7))" \
	" AND r.created_at >= $8 AND r.created_at < $9"
#define SEM_ORDER " ORDER BY e.request_created_at DESC, e.request_id DESC LIMIT $5"
/* With an approver: from their assignments, newest first (as LIST_HEAD10
 * walks them), so the walk stops at $5 candidates instead of probing every
 * embedding for an assignment (a median approver has a few hundred
 * requests among a million). */
#define SEM_BY_APPROVER SEM_ARGS "," APPROVER_WALK(IN_DAYS_SEM) \
	" SELECT e.request_id::text, e.embedding FROM u" \
	" JOIN request_embeddings e ON e.request_id = u.id JOIN requests r ON r.id = u.id" \
	" WHERE ($1 IS NULL OR r.status = $1) AND ($2 IS NULL OR r.source_id = $2)" \
	" AND ($4 IS NULL OR r.risk_flags @> ARRAY[$4])" \
	" AND (($6 IS NULL AND $7 IS NULL) OR r.requester_user_id = $6" \
	"  OR lower(r.requester_email) = lower($7))" \
	" ORDER BY u.c DESC, u.id DESC LIMIT $5"
/* The same without a filter on the request's row (status, flag, a
 * requester's own): from request_embeddings alone (its source and
 * creation time), so the walk reads no request.  The requests of a busy
 * approver's newest candidates are scattered over months of the table;
 * probing each of 2 000 was most of a hybrid search's time (0.2 s cold
 * at a million requests). */
#define SEM_BARE(src) SEM_ARGS \
	" SELECT e.request_id::text, e.embedding FROM request_embeddings e" \
	" WHERE e.request_created_at >= $8 AND e.request_created_at < $9" src SEM_ORDER
#define SEM_BARE_BY_APPROVER SEM_ARGS "," APPROVER_WALK(IN_DAYS_SEM) \
	" SELECT e.request_id::text, e.embedding FROM u" \
	" JOIN request_embeddings e ON e.request_id = u.id" \
	" WHERE ($2 IS NULL OR e.source_id = $2)" \
	" ORDER BY u.c DESC, u.id DESC LIMIT $5"
#define IN_DAYS_SEM \
	" AND (a.request_created_at, a.request_id) >= ($8, '00000000-0000-0000-0000-000000000000')" \
	" AND a.request_created_at < $9"

#define LIST_STATUS	1
#define LIST_SOURCE	2
#define LIST_APPROVER	4
#define LIST_WORDS	8
#define LIST_TYPOS	16
#define LIST_MINE	24	/* not a bit: the second half of the table */
#define LIST_FLAGGED	48	/* the same 48 again, with a risk flag */

enum stmt {
	/* 0..23: the list variants, indexed by LIST_* bits; 24..47 the same
	 * for a requester's own rows; 48..95 all of them with a flag */
	STMT_LIST_LAST = 95,
	/* 96..143: their counters, at (variant >> 1), + 12 for a requester's
	 * own, + 24 with a flag */
	STMT_COUNT_FIRST,
	STMT_COUNT_LAST = STMT_COUNT_FIRST + 47,
	STMT_SEM_ALL,
	STMT_SEM_SOURCE,
	STMT_SEM_APPROVER,
	STMT_SEM_BARE_ALL,	/* the three above, no filter on the row */
	STMT_SEM_BARE_SOURCE,
	STMT_SEM_BARE_APPROVER,
	STMT_SEM_ROWS,
	STMT_SOURCE_BY_NAME,
	STMT_REQUEST_JSON,
	STMT_REQUEST_STATE,
	STMT_AUDIT_OWNER,
	STMT_AUDIT_ROWS,
	STMT_COUNTS_TABLE,
	STMT_SOURCE_NAMES,
	STMT_USER_BY_EMAIL,
	STMT__MAX
};

static const struct hub_stmt stmts[STMT__MAX] = {
	LISTQ48(0), LISTQ48(1),
	COUNTQ24(0), COUNTQ24(1),
	[STMT_SEM_ALL] = { SEM_CANDIDATES("") SEM_ORDER, 9 },
	[STMT_SEM_SOURCE] = { SEM_CANDIDATES(" AND e.source_id = $2") SEM_ORDER, 9 },
	[STMT_SEM_APPROVER] = { SEM_BY_APPROVER, 9 },
	[STMT_SEM_BARE_ALL] = { SEM_BARE(""), 9 },
	[STMT_SEM_BARE_SOURCE] = { SEM_BARE(" AND e.source_id = $2"), 9 },
	[STMT_SEM_BARE_APPROVER] = { SEM_BARE_BY_APPROVER, 9 },
	/* The fused page's rows, in any order ($1 uuid[]). */
	[STMT_SEM_ROWS] = { LIST_COLS " FROM requests r JOIN sources s ON s.id = r.source_id"
	    " WHERE r.id = ANY($1::uuid[])", 1 },
	/* Names are one name in any case (0008's unique index on lower(name)). */
	[STMT_SOURCE_BY_NAME] = {
		"SELECT id FROM sources WHERE lower(name) = lower($1) AND NOT disabled", 1 },
	/* $2: the caller's source, NULL for an admin. */
	[STMT_REQUEST_JSON] = {
		"SELECT json_build_object("
		"'id', r.id, 'source', s.name, 'external_id', r.external_id,"
		" 'title', r.title, 'status', r.status, 'current_step', r.current_step,"
		" 'requester_name', r.requester_name, 'requester_email', r.requester_email,"
		" 'requester_slack_id', r.requester_slack_id,"
		" 'justification', r.justification, 'metadata', r.metadata,"
		" 'deadline', " ISO("r.deadline") ","
		" 'reminder_every', extract(epoch FROM r.reminder_every)::bigint,"
		" 'valid_for', extract(epoch FROM r.valid_for)::bigint,"
		" 'valid_until', " ISO("r.valid_until") ","
		" 'callback_url', r.callback_url, 'watchers', r.watchers,"
		" 'delivery', r.delivery_mode, 'channel', r.channel,"
		" 'ai_summary', CASE WHEN r.ai_status = 'done' THEN r.ai_summary END,"
		" 'risk_score', CASE WHEN r.ai_status = 'done' THEN r.risk_score END,"
		" 'ai', " HUB_AI_JSON("r") ", 'risk_flags', to_jsonb(r.risk_flags),"
		" 'created_at', " ISO("r.created_at") ", 'updated_at', " ISO("r.updated_at") ","
		" 'decided_at', " ISO("r.decided_at") ", 'decided_by', r.decided_by,"
		" 'decision_comment', r.decision_comment,"
		" 'steps', (SELECT coalesce(json_agg(json_build_object("
		"  'position', st.position, 'rule', st.rule, 'quorum', st.quorum,"
		"  'status', st.status, 'started_at', " ISO("st.started_at") ","
		"  'decided_at', " ISO("st.decided_at") ","
		"  'assignments', (SELECT coalesce(json_agg(json_build_object("
		"   'id', a.id, 'approver', json_build_object('kind', a.approver_kind,"
		"   'value', a.approver_value), 'slack_user_id', a.slack_user_id,"
		"   'status', a.status, 'decided_by', a.decided_by,"
		"   'decided_at', " ISO("a.decided_at") ", 'comment', a.comment,"
		"   'delegate_of', a.delegate_of, 'reassigned_to', a.reassigned_to)"
		"   ORDER BY a.id), '[]'::json) FROM assignments a WHERE a.step_id = st.id))"
		"  ORDER BY st.position), '[]'::json)"
		"  FROM request_steps st WHERE st.request_id = r.id),"
		" 'audit', (SELECT coalesce(json_agg(json_build_object("
		"  'at', " ISO("al.at") ", 'actor', al.actor, 'action', al.action,"
		"  'via', al.via, 'detail', al.detail) ORDER BY al.at, al.id), '[]'::json)"
		"  FROM audit_log al WHERE al.request_id = r.id)"
		")::text FROM requests r JOIN sources s ON s.id = r.source_id"
		" WHERE r.id = $1 AND ($2::uuid IS NULL OR r.source_id = $2)", 2 },
	[STMT_REQUEST_STATE] = {
		"SELECT r.status, coalesce(r.decided_by, ''), coalesce(" ISO("r.decided_at") ", '')"
		" FROM requests r WHERE r.id = $1 AND ($2::uuid IS NULL OR r.source_id = $2)", 2 },
	/* Whose request it is (access.h), for its audit trail. */
	[STMT_AUDIT_OWNER] = {
		"SELECT coalesce(requester_user_id::text, ''), coalesce(requester_email, '')"
		" FROM requests WHERE id = $1::uuid", 1 },
	[STMT_AUDIT_ROWS] = {
		"SELECT " ISO("al.at") " AS at, al.actor, al.action, al.via, al.detail"
		" FROM audit_log al WHERE al.request_id = $1::uuid ORDER BY al.at, al.id", 1 },
	/* Per status: requests, and the changes that ever touched them
	 * (0021); $1 a source, NULL for all. */
	[STMT_COUNTS_TABLE] = {
		"SELECT status, sum(n)::bigint, sum(changes)::bigint FROM request_counts"
		" WHERE $1::uuid IS NULL OR source_id = $1 GROUP BY status", 1 },
	[STMT_SOURCE_NAMES] = {
		"SELECT name FROM sources WHERE NOT disabled AND ($1::uuid IS NULL OR id = $1)"
		" ORDER BY lower(name) LIMIT 1000", 1 },
	/* users.email is stored lower case (0001). */
	[STMT_USER_BY_EMAIL] = {
		"SELECT id FROM users WHERE email = lower($1)", 1 },
};

static const struct hub_stmt_table reqquery_stmts = { "reqquery", stmts, STMT__MAX };

static const char *const statuses[] = {
	"Pending", "Approved", "Rejected", "Cancelled", "Expired", "Lapsed", NULL,
};

static int
invalid(struct hub_problem *err, const char *field, const char *message)
{
	return hub_problem(err, field, message, HUB_REQQUERY_INVALID);
}

static int
dberr(struct hub_problem *err, int db)
{
	err->db = db;
	return HUB_REQQUERY_DB;
}

/* NULL for an admin (sees every source). */
static const char *
visible_source(const struct hub_principal *who)
{
	return who->is_admin ? NULL : who->source_id;
}

static int
bounded(const char *s, size_t max)
{
	return s == NULL || (s[0] != '\0' && strlen(s) <= max);
}

/* The start of a filter's day (YYYY-MM-DD, UTC) plus days, as the list
 * statements print times; 0 when date is no date. */
static int
day_start(const char *date, long long plus, char out[HUB_CURSOR_PART])
{
	long long days;
	struct tm tm;
	time_t t;

	if (!hub_check_date(date, &days))
		return 0;
	t = (time_t)((days + plus) * 86400);
	return gmtime_r(&t, &tm) != NULL &&
	    strftime(out, HUB_CURSOR_PART, "%Y-%m-%dT00:00:00.000000Z", &tm) > 0;
}

/* A list's parameters, checked and ready for its statement. */
struct prep {
	char		 rank[HUB_CURSOR_PART];
	char		 ts[HUB_CURSOR_PART];
	char		 id[HUB_CURSOR_PART];
	char		 from[HUB_CURSOR_PART];
	char		 to[HUB_CURSOR_PART];
	char		 source_id[HUB_UUID_TEXT_LEN + 1];
	char		 lim[24];
	const char	*params[LIST_NPARAMS];
	unsigned	 variant;	/* LIST_* bits */
	unsigned	 mine;		/* LIST_MINE for a requester's own rows, else 0 */
	unsigned	 flagged;	/* LIST_FLAGGED with a risk flag, else 0 */
	int		 empty;		/* a source nobody may list here: nothing */
	char		 fixed[HUB_SEARCH_FIXED_MAX];	/* corrected words, or "" */
};

/* The filters in the order the API reports them; the cursor last. */
static int
filter_check(const struct hub_reqquery_filter *f, struct prep *pp, struct hub_problem *err)
{
	if (f->status != NULL && !hub_check_oneof(f->status, statuses))
		return invalid(err, "status", "status must be one of Pending, Approved,"
		    " Rejected, Cancelled, Expired, Lapsed");
	if (!bounded(f->approver, APPROVER_MAX))
		return invalid(err, "approver_id", "approver_id must be 1 to 320 characters");
	if (!bounded(f->q, Q_MAX))
		return invalid(err, "q", "q must be 1 to 200 characters");
	if (!bounded(f->source, SOURCE_MAX))
		return invalid(err, "source", "source must be 1 to 100 characters");
	if (f->flag != NULL && !hub_check_oneof(f->flag, hub_engine_flags))
		return invalid(err, "flag", "flag must be one of self_approval, over_threshold,"
		    " duplicate, short_justification, requester_approver, off_hours");
	if (f->from != NULL && !day_start(f->from, 0, pp->from))
		return invalid(err, "from", "from must be a date, YYYY-MM-DD");
	if (f->to != NULL && !day_start(f->to, 1, pp->to))
		return invalid(err, "to", "to must be a date, YYYY-MM-DD");
	if (f->from != NULL && f->to != NULL && strcmp(f->from, f->to) > 0)
		return invalid(err, "to", "to must not be before from");
	/* A search's pages go by relevance: its cursors carry it. */
	if (f->cursor != NULL && (f->q != NULL ?
	    hub_cursor_decode_ranked(f->cursor, pp->rank, pp->ts, pp->id) :
	    hub_cursor_decode(f->cursor, HUB_CURSOR_UUID, pp->ts, pp->id)) != HUB_CURSOR_OK)
		return invalid(err, "cursor", "invalid cursor");
	if (f->mine_user_id != NULL && !hub_check_uuid(f->mine_user_id))
		return invalid(err, "requester", "not a user id");
	return HUB_REQQUERY_OK;
}

int
hub_reqquery_source_id(struct hub_db *db, const char *name, char id[HUB_UUID_TEXT_LEN + 1],
    struct hub_problem *err)
{
	const char *params[1] = { name };
	PGresult *res = NULL;
	int rc;

	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_SOURCE_BY_NAME, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	rc = PQntuples(res) == 1 ? HUB_REQQUERY_OK : HUB_REQQUERY_NOTFOUND;
	if (rc == HUB_REQQUERY_OK)
		snprintf(id, HUB_UUID_TEXT_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

/* The source the list is limited to ("" = every source): the filter's,
 * and a source key's own.  NOTFOUND: the list is empty (an unknown name,
 * or another source's: never a 403, so a key cannot probe names). */
static int
list_source(struct hub_db *db, const struct hub_principal *who,
    const struct hub_reqquery_filter *f, char source_id[HUB_UUID_TEXT_LEN + 1],
    struct hub_problem *err)
{
	int rc;

	if (f->source != NULL) {
		/* The name in any case, as the database compares it. */
		rc = hub_reqquery_source_id(db, f->source, source_id, err);
		if (rc != HUB_REQQUERY_OK)
			return rc;
	}
	if (!who->is_admin) {
		if (source_id[0] != '\0' && strcmp(source_id, who->source_id) != 0)
			return HUB_REQQUERY_NOTFOUND;
		snprintf(source_id, HUB_UUID_TEXT_LEN + 1, "%s", who->source_id);
	}
	return HUB_REQQUERY_OK;
}

/* Statement id, a list or its counter, of pp's variant.  A search is
 * planned for its words each time (store/db.h): the newest matches of a
 * common word are an index walk that stops early, those of a rare one a
 * few GIN hits, and no one generic plan serves both. */
static int
list_exec(struct hub_db *db, unsigned id, const struct prep *pp, PGresult **res,
    struct hub_problem *err)
{
	int rc = (pp->variant & (LIST_WORDS | LIST_TYPOS)) ?
	    hub_db_exec_planned(db, &reqquery_stmts, (int)id, pp->params, res) :
	    hub_db_exec(db, &reqquery_stmts, (int)id, pp->params, res);

	if (rc == HUB_DB_OK)
		return HUB_REQQUERY_OK;
	/* A cursor of the right shape may still be no date. */
	return rc == HUB_DB_CHECK ? invalid(err, "cursor", "invalid cursor") : dberr(err, rc);
}

/* The vector ranking: the candidates' cosine to the query, best first,
 * without those under HUB_SEMANTIC_MIN_SIM, at most max into hits. */
static int
vector_hits(struct hub_db *db, const struct hub_reqquery_filter *f, const struct prep *pp,
    struct hub_semantic_hit *hits, size_t max, size_t *n, struct hub_problem *err)
{
	const char *source_id = pp->source_id;
	struct hub_semantic_hit *all = NULL;
	char lim[HUB_INT_TEXT_SIZE];
	const char *params[9];
	PGresult *res = NULL;
	float *v = NULL;
	size_t m = 0, i;
	double sim;
	int rows, rc, stmt;

	*n = 0;
	snprintf(lim, sizeof(lim), "%d", HUB_SEMANTIC_CANDIDATES);
	params[0] = f->status;
	params[1] = source_id[0] != '\0' ? source_id : NULL;
	params[2] = f->approver;
	params[3] = f->flag;
	params[4] = lim;
	params[5] = f->mine_user_id;
	params[6] = f->mine_email != NULL && f->mine_email[0] != '\0' ? f->mine_email : NULL;
	params[7] = pp->from;
	params[8] = pp->to;
	stmt = f->approver != NULL ? STMT_SEM_APPROVER :
	    source_id[0] != '\0' ? STMT_SEM_SOURCE : STMT_SEM_ALL;
	if (f->status == NULL && f->flag == NULL && params[5] == NULL && params[6] == NULL)
		stmt += STMT_SEM_BARE_ALL - STMT_SEM_ALL;
	if ((rc = hub_db_exec_binary(db, &reqquery_stmts, stmt, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	rows = PQntuples(res);
	rc = HUB_REQQUERY_NOMEM;
	if ((v = malloc((f->qdim + 1) * sizeof(*v))) == NULL ||
	    (all = calloc((size_t)rows + 1, sizeof(*all))) == NULL)
		goto out;
	for (i = 0; i < (size_t)rows; i++) {
		/* another model's vector (other dimensions) is no candidate */
		if (hub_semantic_parse_packed(PQgetvalue(res, (int)i, 1),
		    (size_t)PQgetlength(res, (int)i, 1), v, f->qdim) != (long)f->qdim)
			continue;
		if ((sim = hub_semantic_cosine(f->qvec, v, f->qdim)) < HUB_SEMANTIC_MIN_SIM)
			continue;
		snprintf(all[m].id, sizeof(all[m].id), "%s", PQgetvalue(res, (int)i, 0));
		all[m++].score = sim;
	}
	*n = hub_semantic_top(all, m, max);
	memcpy(hits, all, *n * sizeof(*hits));
	rc = HUB_REQQUERY_OK;
out:
	free(v);
	free(all);
	PQclear(res);
	return rc;
}

/* The fused hits' rows, in the fused order, each with its relevance (the
 * fused score) and what found it. */
static int
fused_rows(struct hub_db *db, const struct hub_semantic_hit *hits, size_t n,
    json_object *arr, struct hub_problem *err)
{
	struct hub_buf ids = HUB_BUF_INIT((size_t)HUB_SEMANTIC_DEPTH * 2 * 40 + 4);
	const char *params[1];
	json_object *row, *by;
	PGresult *res = NULL;
	size_t i;
	int j, rows, rc = HUB_REQQUERY_NOMEM;

	if (hub_buf_addc(&ids, '{') != HUB_BUF_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (hub_buf_printf(&ids, i ? ",%s" : "%s", hits[i].id) != HUB_BUF_OK)
			goto out;
	if (hub_buf_addc(&ids, '}') != HUB_BUF_OK)
		goto out;
	params[0] = hub_buf_str(&ids);
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_SEM_ROWS, params, &res)) != HUB_DB_OK) {
		rc = dberr(err, rc);
		goto out;
	}
	rows = PQntuples(res);
	rc = HUB_REQQUERY_NOMEM;
	for (i = 0; i < n; i++) {
		for (j = 0; j < rows && strcmp(PQgetvalue(res, j, 0), hits[i].id) != 0; j++)
			;
		if (j == rows)
			continue;	/* gone since */
		if ((row = hub_pgjson_row(res, j)) == NULL ||
		    json_object_array_add(arr, row) != 0) {
			json_object_put(row);
			goto out;
		}
		if (hub_json_set(row, "relevance", json_object_new_double(hits[i].score)) !=
		    HUB_JSON_OK || (by = json_object_new_array()) == NULL ||
		    hub_json_set(row, "found_by", by) != HUB_JSON_OK ||
		    (hits[i].ft_rank && json_object_array_add(by,
		    json_object_new_string("words")) != 0) ||
		    (hits[i].vec_rank && json_object_array_add(by,
		    json_object_new_string("meaning")) != 0))
			goto out;
	}
	rc = HUB_REQQUERY_OK;
out:
	hub_buf_release(&ids);
	PQclear(res);
	return rc;
}

/* One page fused by reciprocal rank fusion from the full-text ranking
 * (ft, at most HUB_SEMANTIC_DEPTH rows) and the vector ranking. */
static int
hybrid_page(struct hub_db *db, const struct hub_reqquery_filter *f, const struct prep *pp,
    const PGresult *ft, json_object **out, struct hub_problem *err)
{
	struct hub_semantic_hit vec[HUB_SEMANTIC_DEPTH], fused[2 * HUB_SEMANTIC_DEPTH];
	const char *ids[HUB_SEMANTIC_DEPTH];
	json_object *arr = NULL;
	size_t nft = 0, nvec = 0, n;
	int rc;

	while (nft < HUB_SEMANTIC_DEPTH && nft < (size_t)PQntuples(ft)) {
		ids[nft] = PQgetvalue(ft, (int)nft, 0);
		nft++;
	}
	if ((rc = vector_hits(db, f, pp, vec, HUB_SEMANTIC_DEPTH, &nvec, err)) !=
	    HUB_REQQUERY_OK)
		return rc;
	n = hub_semantic_fuse(ids, nft, vec, nvec, fused);
	if (n > (size_t)f->limit)
		n = (size_t)f->limit;
	if ((*out = json_object_new_object()) == NULL || (arr = json_object_new_array()) == NULL ||
	    hub_json_set(*out, "requests", arr) != HUB_JSON_OK)
		goto nomem;
	if ((rc = fused_rows(db, fused, n, arr, err)) != HUB_REQQUERY_OK) {
		json_object_put(*out);
		*out = NULL;
		return rc;
	}
	/* one page: no cursor (README "Searching") */
	if (hub_json_set_int64(*out, "count", (int64_t)json_object_array_length(arr)) !=
	    HUB_JSON_OK || json_object_object_add(*out, "next_cursor", NULL) != 0 ||
	    (nft == 0 && nvec > 0 && hub_json_set_str(*out, "match", "meaning") != HUB_JSON_OK))
		goto nomem;
	return HUB_REQQUERY_OK;
nomem:
	json_object_put(*out);
	*out = NULL;
	return HUB_REQQUERY_NOMEM;
}

/* "mode" (and "fallback", why semantic search was not used) of a search. */
static int
search_mode(const struct hub_reqquery_filter *f, int hybrid, json_object *o)
{
	if (hub_json_set_str(o, "mode", hybrid ? "hybrid" : "fulltext") != HUB_JSON_OK)
		return HUB_REQQUERY_NOMEM;
	if (!hybrid && f->semantic_down != NULL &&
	    hub_json_set_str(o, "fallback", f->semantic_down) != HUB_JSON_OK)
		return HUB_REQQUERY_NOMEM;
	return HUB_REQQUERY_OK;
}

/* Close spellings of f's words (approval/search.h): when some word was
 * corrected, pp searches the corrected words as LIST_TYPOS and *fixed is
 * 1; else pp is unchanged and *fixed 0. */
static int
use_fixed(struct hub_db *db, const struct hub_reqquery_filter *f, struct prep *pp,
    int *fixed, struct hub_problem *err)
{
	int rc = hub_search_correct(db, f->q, pp->fixed, sizeof(pp->fixed));

	*fixed = 0;
	if (rc != HUB_DB_OK)
		return dberr(err, rc);
	if (pp->fixed[0] != '\0') {
		*fixed = 1;
		pp->params[3] = pp->fixed;
		pp->variant = (pp->variant & ~(unsigned)LIST_WORDS) | LIST_TYPOS;
	}
	return HUB_REQQUERY_OK;
}

/* Check f and fill pp: the variant and its parameters (limit rows). */
static int
prepare(struct hub_db *db, const struct hub_principal *who,
    const struct hub_reqquery_filter *f, long limit, struct prep *pp, struct hub_problem *err)
{
	int rc, fixed;

	memset(pp, 0, sizeof(*pp));
	memset(err, 0, sizeof(*err));
	snprintf(pp->rank, sizeof(pp->rank), "Infinity");
	snprintf(pp->ts, sizeof(pp->ts), "infinity");
	snprintf(pp->id, sizeof(pp->id), "ffffffff-ffff-ffff-ffff-ffffffffffff");
	snprintf(pp->from, sizeof(pp->from), "-infinity");
	snprintf(pp->to, sizeof(pp->to), "infinity");
	if ((rc = filter_check(f, pp, err)) != HUB_REQQUERY_OK)
		return rc;
	if ((rc = list_source(db, who, f, pp->source_id, err)) == HUB_REQQUERY_NOTFOUND)
		pp->empty = 1;
	else if (rc != HUB_REQQUERY_OK)
		return rc;
	pp->variant |= f->status != NULL ? LIST_STATUS : 0;
	pp->variant |= pp->source_id[0] != '\0' ? LIST_SOURCE : 0;
	pp->variant |= f->approver != NULL ? LIST_APPROVER : 0;
	/* A search continues the kind of match its cursor came from: below
	 * 0 are close spellings (see LIST_RANKED). */
	if (f->q != NULL)
		pp->variant |= pp->rank[0] == '-' ? LIST_TYPOS : LIST_WORDS;
	if (f->mine_user_id != NULL || f->mine_email != NULL)
		pp->mine = LIST_MINE;
	if (f->flag != NULL)
		pp->flagged = LIST_FLAGGED;
	snprintf(pp->lim, sizeof(pp->lim), "%ld", limit);
	pp->params[0] = f->status;
	pp->params[1] = pp->source_id[0] != '\0' ? pp->source_id : NULL;
	pp->params[2] = f->approver;
	pp->params[3] = f->q;
	pp->params[4] = pp->ts;
	pp->params[5] = pp->id;
	pp->params[6] = pp->lim;
	pp->params[7] = pp->rank;
	pp->params[8] = f->mine_user_id;
	pp->params[9] = f->mine_email != NULL && f->mine_email[0] != '\0' ? f->mine_email : NULL;
	pp->params[10] = f->flag;
	pp->params[11] = pp->from;
	pp->params[12] = pp->to;
	/* A cursor into close spellings: the same correction again. */
	if ((pp->variant & LIST_TYPOS) && !pp->empty) {
		if ((rc = use_fixed(db, f, pp, &fixed, err)) != HUB_REQQUERY_OK)
			return rc;
		pp->empty = !fixed;
	}
	return HUB_REQQUERY_OK;
}

/* Over 60 lines: one sequence over one set of parameters (check, scope,
 * pick the variant, run, fall back to close spellings, shape the page
 * plain or fused). */
int
hub_reqquery_list(struct hub_db *db, const struct hub_principal *who,
    const struct hub_reqquery_filter *f, json_object **out, struct hub_problem *err)
{
	int hybrid = f->q != NULL && f->qvec != NULL && f->qdim > 0 && f->cursor == NULL;
	struct prep pp;
	PGresult *res = NULL;
	int rc, fixed;

	*out = NULL;
	if ((rc = prepare(db, who, f, hybrid ? (long)HUB_SEMANTIC_DEPTH : f->limit + 1, &pp,
	    err)) != HUB_REQQUERY_OK)
		return rc;
	if (pp.empty) {
		*out = hub_pgjson_page(NULL, "requests", f->limit);
		return *out != NULL ? HUB_REQQUERY_OK : HUB_REQQUERY_NOMEM;
	}
	if ((rc = list_exec(db, pp.variant + pp.mine + pp.flagged, &pp, &res, err)) !=
	    HUB_REQQUERY_OK)
		return rc;
	/* No request has the words: try close spellings (first page only). */
	if ((pp.variant & LIST_WORDS) && f->cursor == NULL && PQntuples(res) == 0) {
		if ((rc = use_fixed(db, f, &pp, &fixed, err)) != HUB_REQQUERY_OK) {
			PQclear(res);
			return rc;
		}
		if (fixed) {
			PQclear(res);
			if ((rc = list_exec(db, pp.variant + pp.mine + pp.flagged, &pp, &res,
			    err)) != HUB_REQQUERY_OK)
				return rc;
		}
	}
	if (hybrid)
		rc = hybrid_page(db, f, &pp, res, out, err);
	else
		rc = (*out = hub_pgjson_page(res, "requests", f->limit)) != NULL ?
		    HUB_REQQUERY_OK : HUB_REQQUERY_NOMEM;
	PQclear(res);
	if (rc != HUB_REQQUERY_OK)
		return rc;
	if (f->q != NULL && ((json_object_object_get(*out, "match") == NULL &&
	    hub_json_set_str(*out, "match", pp.variant & LIST_TYPOS ? "close_spellings" :
	    "words") != HUB_JSON_OK) || search_mode(f, hybrid, *out) != HUB_REQQUERY_OK ||
	    ((pp.variant & LIST_TYPOS) &&
	    hub_json_set_str(*out, "corrected", pp.fixed) != HUB_JSON_OK))) {
		json_object_put(*out);
		*out = NULL;
		return HUB_REQQUERY_NOMEM;
	}
	return HUB_REQQUERY_OK;
}

/* ------------------------------------------------------------ counters */

/* Index of a status in statuses (and in the counters), -1 when none. */
static int
status_index(const char *s)
{
	int i;

	for (i = 0; statuses[i] != NULL; i++)
		if (strcmp(s, statuses[i]) == 0)
			return i;
	return -1;
}

static void
counts_init(struct hub_reqquery_counts *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < HUB_REQQUERY_NSTATUS; i++)
		c->status[i] = statuses[i];
	c->cap = HUB_REQQUERY_COUNT_CAP;
}

/* Rows of (status, n[, ...]) added into c. */
static int
add_counts(PGresult *res, struct hub_reqquery_counts *c, struct hub_problem *err)
{
	int64_t n;
	int i, k;

	for (i = 0; i < PQntuples(res); i++) {
		if (hub_db_get_int64(res, i, 1, &n) != HUB_DB_OK)
			return dberr(err, HUB_DB_QUERY);
		if ((k = status_index(PQgetvalue(res, i, 0))) >= 0) {
			c->n[k] += n;
			c->total += n;
		}
	}
	return HUB_REQQUERY_OK;
}

/* The per-source table: counts into c (when want_counts) and the version. */
static int
counts_table(struct hub_db *db, const struct prep *pp, int want_counts,
    struct hub_reqquery_counts *c, struct hub_problem *err)
{
	const char *params[1] = { pp->source_id[0] != '\0' ? pp->source_id : NULL };
	int64_t changes = 0, n, ch, total = 0;
	PGresult *res = NULL;
	int rc = HUB_REQQUERY_OK, i;

	if ((i = hub_db_exec(db, &reqquery_stmts, STMT_COUNTS_TABLE, params, &res)) != HUB_DB_OK)
		return dberr(err, i);
	for (i = 0; i < PQntuples(res) && rc == HUB_REQQUERY_OK; i++) {
		if (hub_db_get_int64(res, i, 1, &n) != HUB_DB_OK ||
		    hub_db_get_int64(res, i, 2, &ch) != HUB_DB_OK)
			rc = dberr(err, HUB_DB_QUERY);
		changes += ch;
		total += n;
	}
	if (rc == HUB_REQQUERY_OK && want_counts)
		rc = add_counts(res, c, err);
	PQclear(res);
	snprintf(c->version, sizeof(c->version), "%lld.%lld", (long long)changes,
	    (long long)total);
	return rc;
}

/* The counters of pp's list statement, over its first rows (the cap). */
static int
counts_walked(struct hub_db *db, const struct prep *pp, struct hub_reqquery_counts *c,
    struct hub_problem *err)
{
	PGresult *res = NULL;
	int rc, id = STMT_COUNT_FIRST + (int)(pp->variant >> 1) + (pp->mine ? 12 : 0) +
	    (pp->flagged ? 24 : 0);

	if ((rc = list_exec(db, (unsigned)id, pp, &res, err)) != HUB_REQQUERY_OK)
		return rc;
	rc = add_counts(res, c, err);
	PQclear(res);
	return rc;
}

/* Does f narrow the list below what request_counts knows (source, status)? */
static int
narrowed(const struct hub_reqquery_filter *f)
{
	return f->approver != NULL || f->q != NULL || f->flag != NULL ||
	    f->mine_user_id != NULL || f->mine_email != NULL || f->from != NULL || f->to != NULL;
}

int
hub_reqquery_count(struct hub_db *db, const struct hub_principal *who,
    const struct hub_reqquery_filter *f, struct hub_reqquery_counts *c,
    struct hub_problem *err)
{
	struct hub_reqquery_filter first = *f;
	struct prep pp;
	int rc, fixed;

	counts_init(c);
	/* The counters are the same on every page. */
	first.cursor = NULL;
	if ((rc = prepare(db, who, &first, HUB_REQQUERY_COUNT_CAP, &pp, err)) != HUB_REQQUERY_OK)
		return rc;
	if (pp.empty) {
		snprintf(c->version, sizeof(c->version), "none");
		return HUB_REQQUERY_OK;
	}
	if ((rc = counts_table(db, &pp, !narrowed(f), c, err)) != HUB_REQQUERY_OK ||
	    !narrowed(f))
		return rc;
	if ((rc = counts_walked(db, &pp, c, err)) != HUB_REQQUERY_OK)
		return rc;
	/* As the list: no word matches, count the close spellings. */
	if ((pp.variant & LIST_WORDS) && c->total == 0) {
		if ((rc = use_fixed(db, f, &pp, &fixed, err)) != HUB_REQQUERY_OK)
			return rc;
		if (fixed && (rc = counts_walked(db, &pp, c, err)) != HUB_REQQUERY_OK)
			return rc;
	}
	c->capped = c->total >= HUB_REQQUERY_COUNT_CAP;
	return HUB_REQQUERY_OK;
}

int
hub_reqquery_version(struct hub_db *db, const struct hub_principal *who,
    const struct hub_reqquery_filter *f, char version[64], struct hub_problem *err)
{
	struct hub_reqquery_counts c;
	struct prep pp;
	int rc;

	counts_init(&c);
	version[0] = '\0';
	if ((rc = prepare(db, who, f, 1, &pp, err)) != HUB_REQQUERY_OK)
		return rc;
	if (pp.empty)
		snprintf(c.version, sizeof(c.version), "none");
	else if ((rc = counts_table(db, &pp, 0, &c, err)) != HUB_REQQUERY_OK)
		return rc;
	snprintf(version, 64, "%s", c.version);
	return HUB_REQQUERY_OK;
}

int
hub_reqquery_sources(struct hub_db *db, const struct hub_principal *who, json_object **out,
    struct hub_problem *err)
{
	const char *params[1] = { visible_source(who) };
	PGresult *res = NULL;
	json_object *a;
	int rc, i;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_SOURCE_NAMES, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	if ((*out = json_object_new_object()) == NULL || (a = json_object_new_array()) == NULL) {
		json_object_put(*out);
		*out = NULL;
		PQclear(res);
		return HUB_REQQUERY_NOMEM;
	}
	json_object_object_add(*out, "sources", a);
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(a, json_object_new_string(PQgetvalue(res, i, 0)));
	PQclear(res);
	return HUB_REQQUERY_OK;
}

int
hub_reqquery_user_id(struct hub_db *db, const char *email, char id[HUB_UUID_TEXT_LEN + 1],
    struct hub_problem *err)
{
	const char *params[1] = { email };
	PGresult *res = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_USER_BY_EMAIL, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	rc = PQntuples(res) == 1 ? HUB_REQQUERY_OK : HUB_REQQUERY_NOTFOUND;
	if (rc == HUB_REQQUERY_OK)
		snprintf(id, HUB_UUID_TEXT_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

int
hub_reqquery_get(struct hub_db *db, const struct hub_principal *who, const char *id,
    json_object **out, struct hub_problem *err)
{
	const char *params[2] = { id, visible_source(who) }, *s;
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!hub_check_uuid(id))
		return HUB_REQQUERY_NOTFOUND;
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_REQUEST_JSON, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	if (PQntuples(res) != 1) {
		rc = HUB_REQQUERY_NOTFOUND;
	} else {
		s = PQgetvalue(res, 0, 0);
		rc = hub_json_parse(s, strlen(s), REQUEST_JSON_MAX, REQUEST_JSON_DEPTH, out) ==
		    HUB_JSON_OK && *out != NULL ? HUB_REQQUERY_OK : HUB_REQQUERY_NOMEM;
	}
	PQclear(res);
	return rc;
}

int
hub_reqquery_state(struct hub_db *db, const struct hub_principal *who, const char *id,
    struct hub_reqquery_state *st, struct hub_problem *err)
{
	const char *params[2] = { id, visible_source(who) };
	PGresult *res = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(err, 0, sizeof(*err));
	if (!hub_check_uuid(id))
		return HUB_REQQUERY_NOTFOUND;
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_REQUEST_STATE, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	rc = PQntuples(res) == 1 ? HUB_REQQUERY_OK : HUB_REQQUERY_NOTFOUND;
	if (rc == HUB_REQQUERY_OK) {
		snprintf(st->status, sizeof(st->status), "%s", PQgetvalue(res, 0, 0));
		snprintf(st->decided_by, sizeof(st->decided_by), "%s", PQgetvalue(res, 0, 1));
		snprintf(st->decided_at, sizeof(st->decided_at), "%s", PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return rc;
}

int
hub_reqquery_audit(struct hub_db *db, const struct hub_access_user *user, const char *id,
    json_object **out, struct hub_problem *err)
{
	const char *params[1] = { id };
	struct hub_access_request owner;
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!hub_check_uuid(id))
		return HUB_REQQUERY_NOTFOUND;
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_AUDIT_OWNER, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	owner.requester_user_id = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL;
	owner.requester_email = PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : NULL;
	rc = PQntuples(res) == 1 && hub_access_can(user, HUB_ACCESS_REQUEST_VIEW, &owner) ?
	    HUB_REQQUERY_OK : HUB_REQQUERY_NOTFOUND;
	PQclear(res);
	if (rc != HUB_REQQUERY_OK)
		return rc;
	if ((rc = hub_db_exec(db, &reqquery_stmts, STMT_AUDIT_ROWS, params, &res)) != HUB_DB_OK)
		return dberr(err, rc);
	*out = hub_pgjson_rows(res, PQntuples(res));
	PQclear(res);
	return *out != NULL ? HUB_REQQUERY_OK : HUB_REQQUERY_NOMEM;
}
