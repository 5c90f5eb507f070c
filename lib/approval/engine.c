/*
 * engine.c - the approval model (see engine.h).
 *
 * Every public function is one transaction: lock what it changes, write the
 * new state, the audit rows and the jobs that follow, commit.  Any failure
 * rolls everything back, so a refused call writes nothing.  Rules are
 * evaluated over the original assignments of a step (delegate rows carry
 * their decision onto the original they stand in for).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "base/common.h"
#include "base/check.h"
#include "base/conf.h"
#include "store/db.h"
#include "approval/engine.h"
#include "approval/intake.h"
#include "approval/outbound.h"
#include "store/job.h"
#include "store/jobs.h"
#include "base/json.h"
#include "base/log.h"
#include "store/sqlfrag.h"
#include "store/settings.h"

#define ENG_ISO(col) "coalesce(" HUB_SQL_ISO_SECONDS(col) ", '')"

#define ENG_MAX_STEPS		20
#define ENG_BODY_MAX		(256 * 1024)
#define CREATE_INT_TEXT		24	/* an interval in seconds, as text */

enum eng_stmt {
	ST_CONNECTION,
	ST_CREATE,
	ST_REQ_EXISTING,
	ST_ASG_INSERT,
	ST_ADD_DELEGATES,
	ST_STEP_PENDING,
	ST_AUDIT,
	ST_OUTCOME,
	ST_LOCK_REQ,
	ST_FIND_ASG,
	ST_ASG_DECIDE,
	ST_ASG_SKIP_DELEGATES,
	ST_STEP_TALLY,
	ST_STEP_FINISH,
	ST_STEP_SKIP_PENDING,
	ST_STEP_ACTIVATE,
	ST_REQ_SET_STEP,
	ST_REQ_DECIDED,
	ST_REQ_CLOSE_STEPS,
	ST_REQ_SKIP_PENDING,
	ST_EDIT_AUDIT,
	ST_EDIT_APPLY,
	ST_FINISH_INFO,
	ST_CALLBACK_INFO,
	ST_DELIVERY_INSERT,
	ST_DELIVERY_JOB,
	ST_EXPIRE_PICK,
	ST_REQ_EXPIRE,
	ST_LAPSE_PICK,
	ST_REQ_LAPSE,
	ST_REMIND_PICK,
	ST_REMIND_TARGETS,
	ST_REMIND_NEXT,
	ST_ACTIVE_PENDING,
	ST_REASSIGN_FIND,
	ST_ASG_REASSIGNED,
	ST_ASG_REASSIGNED_TO,
	ST_SNOOZE,
	ST_FLAG_SELF,
	ST__MAX
};

/* The request as intake normalized it, without its Idempotency-Key, in
 * jsonb's key order: what an Idempotency-Key promises to repeat. */
#define ENG_BODY_HASH(p) \
	"sha256(convert_to((" p "::jsonb - 'idempotency_key')::text, 'UTF8'))"

/* An actor matches an assignment: $3 actor kind, $4 actor id. */
#define ENG_MATCH \
	" (($3::text = 'slack' AND" HUB_SQL_IS_ASSIGNEE("a", "$4::text") ")" \
	"  OR ($3::text = 'email' AND a.approver_kind = 'email'" \
	"    AND lower(a.approver_value) = lower($4::text))" \
	"  OR ($3::text = 'user' AND" HUB_SQL_USER_IS_ASSIGNEE("a", "$4::text") "))"

static const struct hub_stmt eng_stmts[ST__MAX] = {
	[ST_CONNECTION] = { "SELECT id FROM slack_connections"
	    " WHERE name = $1 OR id::text = $1 ORDER BY (name = $1) DESC LIMIT 1", 1 },
	/*
	 * A whole create in one statement (one round trip; t/bench/README.md):
	 * the request, its steps, their assignments (a group becomes one per
	 * member, a person listed twice gets one), the first step's delegates,
	 * a notify job per pending assignment of the first step, and the
	 * audit rows (delegate.added, then request.created with the groups
	 * the delivery reads back).
	 *
	 * $1 source, $2 external_id, $3 idempotency_key, $4 title,
	 * $5 requester_name, $6 email, $7 slack id, $8 justification,
	 * $9 metadata, $10 deadline, $11 valid_for s, $12 callback_url,
	 * $13 watchers, $14 delivery, $15 connection id, $16 channel,
	 * $17 reminder_every s (source defaults fill deadline and reminder),
	 * $18 steps [{rule, quorum, delivery, connection (id), channel,
	 * approvers [{kind, value}]}], $19 actor, $20 actor kind,
	 * $21 actor id, $22 via, $23 the body (idempotency), $24 queue an
	 * embedding job, $25 queue an AI analysis job (ai_status pending,
	 * else off), $26 the preset intake chose (NULL: none; 0023).
	 *
	 * Nothing is written unless the source is enabled and every step can
	 * be built; the result says why not: request id (NULL: not written),
	 * source disabled (NULL: no such source), first step that cannot be
	 * built (1-based) and why: group (no such group), empty, self (its
	 * only approver is the requester, and the source refuses
	 * self-approval), quorum.
	 */
	[ST_CREATE] = {
	    "WITH sj AS ("
	    " SELECT x.ord::integer AS pos, x.v AS st"
	    " FROM jsonb_array_elements($18::jsonb) WITH ORDINALITY x(v, ord)),"
	    /* every approver listed, groups as their members, in order */
	    " lst AS ("
	    " SELECT sj.pos, a.ord AS o1, a.v->>'kind' AS kind, a.v->>'value' AS value"
	    " FROM sj, jsonb_array_elements(sj.st->'approvers') WITH ORDINALITY a(v, ord)),"
	    " ap AS ("
	    " SELECT l.pos, l.o1, 0::bigint AS o2, l.kind, l.value FROM lst l"
	    "  WHERE l.kind <> 'group'"
	    " UNION ALL"
	    " SELECT l.pos, l.o1, m.o2, m.member_kind, m.member_value"
	    "  FROM lst l JOIN groups g ON g.name = l.value"
	    "  CROSS JOIN LATERAL (SELECT gm.member_kind, gm.member_value,"
	    "   row_number() OVER (ORDER BY gm.added_at, gm.member_value) AS o2"
	    "   FROM group_members gm WHERE gm.group_id = g.id) m"
	    "  WHERE l.kind = 'group'),"
	    " src AS (SELECT allow_self_approval AS self_ok FROM sources WHERE id = $1::uuid),"
	    " bad AS ("
	    " SELECT sj.pos, CASE"
	    "  WHEN EXISTS (SELECT 1 FROM lst l WHERE l.pos = sj.pos AND l.kind = 'group'"
	    "   AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.name = l.value)) THEN 'group'"
	    "  WHEN n.n = 0 THEN 'empty'"
	    /* intake's cap of people in all, counted once groups are members */
	    "  WHEN n.upto > " HUB_INTAKE_MAX_APPROVERS_SQL " THEN 'toomany'"
	    /* the requester (any identity: hub_is_requester) may not decide:
	     * a step they are needed for could never be approved */
	    "  WHEN NOT (SELECT self_ok FROM src) AND n.others = 0 THEN 'self'"
	    "  WHEN (sj.st->>'quorum')::integer > n.n THEN 'quorum'"
	    "  WHEN NOT (SELECT self_ok FROM src) AND sj.st->>'rule' = 'all'"
	    "   AND n.others < n.n THEN 'all_self'"
	    "  WHEN NOT (SELECT self_ok FROM src)"
	    "   AND (sj.st->>'quorum')::integer > n.others THEN 'quorum_self' END AS why"
	    " FROM sj CROSS JOIN LATERAL (SELECT count(DISTINCT (ap.kind, ap.value)) AS n,"
	    "  count(DISTINCT (ap.kind, ap.value)) FILTER (WHERE NOT"
	    "   hub_is_requester(ap.kind, ap.value, $6::text, $7::text, NULL)) AS others,"
	    "  (SELECT count(DISTINCT (a2.pos, a2.kind, a2.value)) FROM ap a2"
	    "   WHERE a2.pos <= sj.pos) AS upto"
	    "  FROM ap WHERE ap.pos = sj.pos) n),"
	    " chk AS (SELECT (SELECT disabled FROM sources WHERE id = $1::uuid) AS disabled,"
	    "  (SELECT min(pos) FROM bad WHERE why IS NOT NULL) AS bad_pos),"
	    /* the rule-based risk flags (engine.h, HUB_ENGINE_FLAG_*) */
	    " flg AS (SELECT array_remove(ARRAY["
	    "  CASE WHEN hub_request_amount(coalesce($9::jsonb, '{}')) >"
	    "   (SELECT risk_amount_threshold FROM sources WHERE id = $1::uuid)"
	    "   THEN '" HUB_ENGINE_FLAG_THRESHOLD "' END,"
	    /* requests_duplicate (0019) reads this as one short range */
	    "  CASE WHEN EXISTS (SELECT 1 FROM requests x WHERE x.source_id = $1::uuid"
	    "   AND lower(x.requester_name) = lower($5::text)"
	    "   AND hub_request_amount(x.metadata) IS NOT NULL"
	    "   AND hub_request_amount(x.metadata) = hub_request_amount(coalesce($9::jsonb, '{}'))"
	    "   AND x.created_at > now() - interval '" HUB_ENGINE_DUPLICATE_WINDOW "')"
	    "   THEN '" HUB_ENGINE_FLAG_DUPLICATE "' END,"
	    "  CASE WHEN char_length(btrim(coalesce($8::text, ''))) < "
	    HUB_ENGINE_SHORT_JUSTIFICATION " THEN '" HUB_ENGINE_FLAG_SHORT "' END,"
	    "  CASE WHEN EXISTS (SELECT 1 FROM ap WHERE (ap.kind = 'slack' AND ap.value = $7::text)"
	    "   OR (ap.kind = 'email' AND lower(ap.value) = lower($6::text)))"
	    "   THEN '" HUB_ENGINE_FLAG_REQUESTER_APPROVER "' END,"
	    "  CASE WHEN hub_off_hours(coalesce((SELECT value #>> '{}' FROM settings"
	    "   WHERE key = '" HUB_SETTINGS_WORKING_HOURS "'), '" HUB_SETTINGS_WORKING_HOURS_DEFAULT "'),"
	    "   now()) THEN '" HUB_ENGINE_FLAG_OFF_HOURS "' END], NULL) AS f),"
	    " req AS ("
	    " INSERT INTO requests (source_id, external_id, idempotency_key, title,"
	    "  requester_name, requester_email, requester_slack_id, justification,"
	    "  metadata, deadline, reminder_every, next_reminder_at, valid_for,"
	    "  callback_url, watchers, delivery_mode, connection_id, channel, search_people,"
	    "  requester_user_id, body_hash, risk_flags, ai_status, preset)"
	    " SELECT s.id, $2::text, $3::text, coalesce($4::text, ''), $5::text, $6::text,"
	    "  $7::text, coalesce($8::text, ''), coalesce($9::jsonb, '{}'), d.deadline, d.every,"
	    "  CASE WHEN d.every IS NOT NULL AND (d.deadline IS NULL"
	    "   OR now() + d.every < d.deadline) THEN now() + d.every END,"
	    "  make_interval(secs => $11::double precision), $12::text,"
	    "  coalesce($13::jsonb, '[]'), $14::text, $15::uuid, $16::text,"
	    /* what search finds the request by beyond its own fields
	     * (approval/search.h): the source, every approver as listed and
	     * every group member */
	    "  left(s.name || ' ' || coalesce((SELECT string_agg(DISTINCT x.v, ' ') FROM"
	    "   (SELECT value AS v FROM lst UNION SELECT value FROM ap) x), ''), 20000),"
	    /* a signed-in hub user creating (the web form) is the requester */
	    "  CASE WHEN $20::text = 'user' THEN (SELECT u.id FROM users u"
	    "   WHERE u.id::text = $21::text) END,"
	    "  " ENG_BODY_HASH("$23") ","
	    "  (SELECT f FROM flg), CASE WHEN $25::boolean THEN 'pending' ELSE 'off' END,"
	    "  $26::text"
	    " FROM sources s CROSS JOIN LATERAL (SELECT"
	    "  coalesce($10::timestamptz, now() + s.default_deadline) AS deadline,"
	    "  coalesce(make_interval(secs => $17::double precision), s.default_reminder)"
	    "   AS every) d"
	    " WHERE s.id = $1::uuid AND NOT s.disabled AND (SELECT bad_pos FROM chk) IS NULL"
	    " ON CONFLICT DO NOTHING RETURNING id, created_at),"
	    " stp AS ("
	    " INSERT INTO request_steps (request_id, position, rule, quorum, status,"
	    "  delivery_mode, connection_id, channel, started_at)"
	    " SELECT req.id, sj.pos, sj.st->>'rule', (sj.st->>'quorum')::integer,"
	    "  CASE WHEN sj.pos = 1 THEN 'active' ELSE 'waiting' END,"
	    "  sj.st->>'delivery', (sj.st->>'connection')::uuid, sj.st->>'channel',"
	    "  CASE WHEN sj.pos = 1 THEN now() END"
	    " FROM req, sj ORDER BY sj.pos RETURNING id, position),"
	    " asg AS ("
	    " INSERT INTO assignments (request_id, step_id, approver_kind,"
	    "  approver_value, slack_user_id, request_created_at)"
	    " SELECT req.id, stp.id, ap.kind, ap.value,"
	    "  CASE WHEN ap.kind = 'slack' THEN ap.value END, req.created_at"
	    " FROM req, stp JOIN ap ON ap.pos = stp.position"
	    " ORDER BY stp.position, ap.o1, ap.o2"
	    " ON CONFLICT DO NOTHING RETURNING id, step_id, approver_kind, approver_value),"
	    " dl AS ("
	    " INSERT INTO assignments (request_id, step_id, approver_kind,"
	    "  approver_value, slack_user_id, delegate_of, request_created_at)"
	    " SELECT DISTINCT req.id, a.step_id, d.delegate_kind, d.delegate_value,"
	    "  CASE WHEN d.delegate_kind = 'slack' THEN d.delegate_value END, a.id,"
	    "  req.created_at"
	    " FROM req, asg a JOIN stp ON stp.id = a.step_id AND stp.position = 1"
	    " JOIN delegations d ON d.approver_kind = a.approver_kind"
	    "  AND lower(d.approver_value) = lower(a.approver_value)"
	    "  AND d.revoked_at IS NULL"
	    "  AND current_date BETWEEN d.valid_from AND d.valid_to"
	    " RETURNING id, delegate_of, approver_kind, approver_value),"
	    " jb AS ("
	    " " HUB_JOB_INSERT_SQL
	    " SELECT '" HUB_OUTBOUND_NOTIFY "', jsonb_build_object('request_id', req.id, 'kind', p.kind,"
	    "  'assignment_id', p.id, 'step', 1),"
	    "  " HUB_OUTBOUND_NOTIFY_KEY_SQL("req.id", "p.kind", "p.id", "1")
	    " FROM req, (SELECT a.id, 'call_for_action' AS kind FROM asg a"
	    "   JOIN stp ON stp.id = a.step_id AND stp.position = 1"
	    "  UNION ALL SELECT id, 'delegate_call' FROM dl) p"
	    " ORDER BY p.id"
	    HUB_JOB_ON_DEDUPE_SQL " RETURNING id),"
	    /* embedding and AI analysis, when this process has them configured */
	    " aj AS ("
	    " " HUB_JOB_INSERT_SQL
	    " SELECT k.kind, jsonb_build_object('request_id', req.id), k.kind || ':' || req.id"
	    " FROM req, (VALUES ('" HUB_OUTBOUND_AI_EMBED "', $24::boolean),"
	    "  ('" HUB_OUTBOUND_AI_ANALYZE "', $25::boolean)) k(kind, wanted) WHERE k.wanted"
	    HUB_JOB_ON_DEDUPE_SQL " RETURNING id),"
	    " adl AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT req.id, $19::text, 'delegate.added', jsonb_build_object("
	    "  'assignment_id', dl.id, 'delegate_of', dl.delegate_of,"
	    "  'delegate_kind', dl.approver_kind, 'delegate', dl.approver_value,"
	    "  'actor_kind', $20::text, 'actor_id', $21::text), $22::text"
	    " FROM req, dl ORDER BY dl.id RETURNING id),"
	    /* a member is its group's when the group is where it was first
	     * listed in the step */
	    " fst AS ("
	    " SELECT DISTINCT ON (pos, kind, value) pos, o1, o2, kind, value FROM ap"
	    " ORDER BY pos, kind, value, o1, o2),"
	    " grp AS ("
	    " SELECT coalesce(jsonb_agg(jsonb_build_object('group', l.value,"
	    "  'step_id', stp.id::text, 'members', coalesce(m.members, '[]'::jsonb))"
	    "  ORDER BY l.pos, l.o1), '[]'::jsonb) AS j"
	    " FROM lst l JOIN stp ON stp.position = l.pos"
	    " LEFT JOIN LATERAL (SELECT jsonb_agg(jsonb_build_object('assignment_id', a.id,"
	    "   'kind', a.approver_kind, 'value', a.approver_value) ORDER BY f.o2) AS members"
	    "  FROM asg a JOIN fst f ON f.pos = l.pos AND f.o1 = l.o1"
	    "   AND f.kind = a.approver_kind AND f.value = a.approver_value"
	    "  WHERE a.step_id = stp.id) m ON true"
	    " WHERE l.kind = 'group'),"
	    /* after the delegate rows (counting adl runs it first) */
	    " acr AS ("
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT req.id, $19::text, 'request.created', jsonb_build_object("
	    "  'external_id', $2::text, 'steps', (SELECT count(*) FROM sj),"
	    "  'groups', (SELECT j FROM grp),"
	    "  'actor_kind', $20::text, 'actor_id', $21::text), $22::text"
	    " FROM req WHERE (SELECT count(*) FROM adl) >= 0 RETURNING id)"
	    " SELECT (SELECT id FROM req), chk.disabled, chk.bad_pos,"
	    "  (SELECT why FROM bad WHERE bad.pos = chk.bad_pos),"
	    "  (SELECT count(*) FROM acr) + (SELECT count(*) FROM jb) + (SELECT count(*) FROM aj)"
	    " FROM chk", 26 },
	/* $4 the request: does the Idempotency-Key come with another body? */
	[ST_REQ_EXISTING] = {
	    "SELECT id, coalesce(idempotency_key = $3::text AND body_hash <> " ENG_BODY_HASH("$4")
	    ", false) FROM requests WHERE source_id = $1::uuid"
	    " AND (external_id = $2::text OR idempotency_key = $3::text)"
	    " ORDER BY (external_id IS NOT DISTINCT FROM $2::text) DESC LIMIT 1", 4 },
	/* A person listed twice (directly and through a group) gets one. */
	/* A new approver: search finds the request by them too
	 * (approval/search.h), once the row is in. */
	[ST_ASG_INSERT] = {
	    "WITH ins AS (INSERT INTO assignments (request_id, step_id, approver_kind,"
	    " approver_value, slack_user_id, request_created_at)"
	    " SELECT r.id, $2::bigint, $3::text, $4::text,"
	    "  CASE WHEN $3::text = 'slack' THEN $4::text END, r.created_at"
	    " FROM requests r WHERE r.id = $1::uuid"
	    " ON CONFLICT DO NOTHING RETURNING id),"
	    " srch AS (UPDATE requests SET search_people ="
	    "  left(search_people || ' ' || $4::text, 20000)"
	    " WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM ins)"
	    "  AND position(lower($4::text) IN lower(search_people)) = 0)"
	    " SELECT id FROM ins", 4 },
	/* Today's delegations of the step's pending approvers ($2 = 0: all,
	 * else only that assignment) that have no delegate row yet. */
	[ST_ADD_DELEGATES] = {
	    "INSERT INTO assignments (request_id, step_id, approver_kind,"
	    " approver_value, slack_user_id, delegate_of, request_created_at)"
	    " SELECT DISTINCT a.request_id, a.step_id, d.delegate_kind, d.delegate_value,"
	    "  CASE WHEN d.delegate_kind = 'slack' THEN d.delegate_value END, a.id,"
	    "  a.request_created_at"
	    " FROM assignments a JOIN delegations d"
	    "  ON d.approver_kind = a.approver_kind"
	    "  AND lower(d.approver_value) = lower(a.approver_value)"
	    "  AND d.revoked_at IS NULL"
	    "  AND current_date BETWEEN d.valid_from AND d.valid_to"
	    " WHERE a.step_id = $1::bigint AND a.delegate_of IS NULL"
	    "  AND a.status = 'pending' AND ($2::bigint = 0 OR a.id = $2::bigint)"
	    "  AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.delegate_of = a.id"
	    "   AND x.approver_kind = d.delegate_kind"
	    "   AND x.approver_value = d.delegate_value)"
	    " RETURNING id, delegate_of, approver_kind, approver_value", 2 },
	[ST_STEP_PENDING] = {
	    "SELECT id, delegate_of IS NOT NULL FROM assignments"
	    " WHERE step_id = $1::bigint AND status = 'pending'"
	    " AND ($2::bigint = 0 OR id = $2::bigint OR delegate_of = $2::bigint)"
	    " ORDER BY id", 2 },
	[ST_AUDIT] = {
	    "INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " VALUES ($1::uuid, $2, $3, $4::jsonb, $5)", 5 },
	[ST_OUTCOME] = {
	    "SELECT status, coalesce(decided_by, ''), " ENG_ISO("decided_at")
	    " FROM requests WHERE id = $1::uuid", 1 },
	[ST_LOCK_REQ] = {
	    "SELECT r.status, r.current_step, coalesce(r.decided_by, ''),"
	    " " ENG_ISO("r.decided_at") ", s.allow_self_approval, s.reason_required,"
	    " s.editable_fields::text"
	    " FROM requests r JOIN sources s ON s.id = r.source_id"
	    " WHERE r.id = $1::uuid FOR UPDATE OF r", 1 },
	/* $1 request, $2 assignment id or 0, $3 actor kind, $4 actor id.
	 * Best match first: pending in the active step, then anything in the
	 * active step, then earlier steps; originals before delegate rows.
	 * Columns: id, status, delegate_of, position, step status, who, when,
	 * step id, self-approval. */
	[ST_FIND_ASG] = {
	    "SELECT a.id, a.status, coalesce(a.delegate_of, 0), st.position, st.status,"
	    " coalesce(a.decided_by, (SELECT b.decided_by FROM assignments b"
	    "  WHERE b.step_id = a.step_id AND b.status IN ('approved', 'rejected')"
	    "  ORDER BY b.decided_at DESC, b.id DESC LIMIT 1), ''),"
	    " " ENG_ISO("a.decided_at") ", st.id,"
	    /* self: any identity of the assignment or of the actor is the
	     * requester's, across kinds (hub_is_requester) */
	    " coalesce((SELECT bool_or(hub_is_requester(i.k, i.v, r.requester_email,"
	    "   r.requester_slack_id, r.requester_slack_resolved))"
	    "  FROM (VALUES (a.approver_kind, a.approver_value), ('slack', a.slack_user_id),"
	    "   ($3::text, $4::text)) i(k, v)), false)"
	    " OR ($3::text = 'user' AND (r.requester_user_id::text = $4::text"
	    "  OR EXISTS (SELECT 1 FROM users u WHERE u.id::text = $4::text"
	    "   AND (hub_is_requester('email', u.email, r.requester_email,"
	    "    r.requester_slack_id, r.requester_slack_resolved)"
	    "   OR hub_is_requester('slack', u.slack_user_id, r.requester_email,"
	    "    r.requester_slack_id, r.requester_slack_resolved)))))"
	    " FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    " JOIN requests r ON r.id = a.request_id"
	    " WHERE a.request_id = $1::uuid AND ($2::bigint = 0 OR a.id = $2::bigint)"
	    " AND" ENG_MATCH
	    /* A delegate decides only while its delegation is still in force:
	     * revoked or ended, the delegate row no longer matches. */
	    " AND (a.delegate_of IS NULL OR EXISTS (SELECT 1 FROM delegations dg"
	    "  JOIN assignments o ON o.id = a.delegate_of"
	    "  WHERE dg.revoked_at IS NULL"
	    "  AND current_date BETWEEN dg.valid_from AND dg.valid_to"
	    "  AND dg.approver_kind = o.approver_kind"
	    "  AND lower(dg.approver_value) = lower(o.approver_value)"
	    "  AND dg.delegate_kind = a.approver_kind"
	    "  AND lower(dg.delegate_value) = lower(a.approver_value)))"
	    " ORDER BY CASE WHEN a.status = 'pending' AND st.status = 'active' THEN 0"
	    "  WHEN st.status = 'active' THEN 1"
	    "  WHEN st.position < r.current_step THEN 2 ELSE 3 END,"
	    "  (a.delegate_of IS NOT NULL), a.id LIMIT 1", 4 },
	/* $1 id, $2 status, $3 decided_by, $4 comment */
	[ST_ASG_DECIDE] = {
	    "UPDATE assignments SET status = $2, decided_by = $3, decided_at = now(),"
	    " comment = $4 WHERE id = $1::bigint AND status = 'pending'", 4 },
	[ST_ASG_SKIP_DELEGATES] = {
	    "UPDATE assignments SET status = 'skipped', decided_at = now()"
	    " WHERE delegate_of = $1::bigint AND status = 'pending'", 1 },
	/* rule, quorum, total, approved, rejected over the originals */
	[ST_STEP_TALLY] = {
	    "SELECT st.rule, coalesce(st.quorum, 0),"
	    " count(a.id) FILTER (WHERE a.status <> 'reassigned'),"
	    " count(a.id) FILTER (WHERE a.status = 'approved'),"
	    " count(a.id) FILTER (WHERE a.status = 'rejected')"
	    " FROM request_steps st LEFT JOIN assignments a"
	    "  ON a.step_id = st.id AND a.delegate_of IS NULL"
	    " WHERE st.id = $1::bigint GROUP BY st.id", 1 },
	[ST_STEP_FINISH] = {
	    "UPDATE request_steps SET status = $2, decided_at = now()"
	    " WHERE id = $1::bigint", 2 },
	[ST_STEP_SKIP_PENDING] = {
	    "UPDATE assignments SET status = 'skipped', decided_at = now()"
	    " WHERE step_id = $1::bigint AND status = 'pending'", 1 },
	[ST_STEP_ACTIVATE] = {
	    "UPDATE request_steps SET status = 'active', started_at = now()"
	    " WHERE request_id = $1::uuid AND position = $2::integer"
	    " AND status = 'waiting' RETURNING id", 2 },
	[ST_REQ_SET_STEP] = {
	    "UPDATE requests SET current_step = $2::integer WHERE id = $1::uuid", 2 },
	/* $1 id, $2 status, $3 decided_by, $4 comment */
	[ST_REQ_DECIDED] = {
	    "UPDATE requests SET status = $2::text, decided_at = now(), decided_by = $3,"
	    " decision_comment = $4,"
	    " valid_until = CASE WHEN $2::text = 'Approved' THEN now() + valid_for END,"
	    " next_reminder_at = NULL"
	    " WHERE id = $1::uuid AND status = 'Pending'", 4 },
	[ST_REQ_CLOSE_STEPS] = {
	    "UPDATE request_steps SET status = $2, decided_at = now()"
	    " WHERE request_id = $1::uuid AND status IN ('waiting', 'active')", 2 },
	[ST_REQ_SKIP_PENDING] = {
	    "UPDATE assignments SET status = 'skipped', decided_at = now()"
	    " WHERE request_id = $1::uuid AND status = 'pending'", 1 },
	/* $1 request, $2 actor, $3 edits, $4 via: the previous values too */
	[ST_EDIT_AUDIT] = {
	    "INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT r.id, $2::text, 'request.edited', jsonb_build_object('edits', $3::jsonb,"
	    "  'previous', (SELECT coalesce(jsonb_object_agg(k, r.metadata -> k), '{}')"
	    "   FROM jsonb_object_keys($3::jsonb) k)), $4::text"
	    " FROM requests r WHERE r.id = $1::uuid", 4 },
	[ST_EDIT_APPLY] = {
	    "UPDATE requests SET metadata = metadata || $2::jsonb WHERE id = $1::uuid", 2 },
	/* ... and whether the requester is reached by email only: no Slack
	 * id from the source, and none found for their email when the first
	 * approver was told (notify/fanout.c) */
	[ST_FINISH_INFO] = {
	    "SELECT jsonb_array_length(watchers), current_step, status,"
	    " coalesce(requester_slack_id, '') = '' AND requester_slack_resolved = ''"
	    "  AND requester_email IS NOT NULL"
	    " FROM requests WHERE id = $1::uuid", 1 },
	/* url, sealed secret, body (with the edits made while deciding) */
	[ST_CALLBACK_INFO] = {
	    "SELECT coalesce(r.callback_url, s.callback_url), s.callback_secret_enc,"
	    " (jsonb_build_object('id', r.id, 'external_id', r.external_id,"
	    "  'source', s.name, 'status', r.status, 'decided_by', r.decided_by,"
	    "  'comment', r.decision_comment, 'decided_at',"
	    "  " HUB_SQL_ISO_SECONDS("r.decided_at") ")"
	    "  || (SELECT CASE WHEN count(*) > 0 THEN jsonb_build_object('edits',"
	    "    jsonb_object_agg(e.key, e.value ORDER BY al.id)) ELSE '{}'::jsonb END"
	    "   FROM audit_log al, jsonb_each(al.detail -> 'edits') e"
	    "   WHERE al.request_id = r.id AND al.action = 'request.edited'))::text,"
	    " r.source_id"
	    " FROM requests r JOIN sources s ON s.id = r.source_id"
	    " WHERE r.id = $1::uuid", 1 },
	[ST_DELIVERY_INSERT] = {
	    "INSERT INTO delivery_log (request_id, kind, transport, status)"
	    " VALUES ($1::uuid, 'callback', 'callback', 'queued') RETURNING id", 1 },
	[ST_DELIVERY_JOB] = {
	    "UPDATE delivery_log SET job_id = $2::bigint WHERE id = $1::bigint", 2 },
	[ST_EXPIRE_PICK] = {
	    "SELECT id FROM requests WHERE status = 'Pending' AND deadline <= now()"
	    " ORDER BY deadline LIMIT $1::integer FOR UPDATE SKIP LOCKED", 1 },
	[ST_REQ_EXPIRE] = {
	    "UPDATE requests SET status = 'Expired', decided_at = now(),"
	    " next_reminder_at = NULL WHERE id = $1::uuid AND status = 'Pending'", 1 },
	[ST_LAPSE_PICK] = {
	    "SELECT id FROM requests WHERE status = 'Approved' AND valid_until <= now()"
	    " ORDER BY valid_until LIMIT $1::integer FOR UPDATE SKIP LOCKED", 1 },
	[ST_REQ_LAPSE] = {
	    "UPDATE requests SET status = 'Lapsed' WHERE id = $1::uuid"
	    " AND status = 'Approved'", 1 },
	[ST_REMIND_PICK] = {
	    "SELECT id, extract(epoch FROM next_reminder_at)::bigint FROM requests"
	    " WHERE status = 'Pending' AND next_reminder_at <= now()"
	    " ORDER BY next_reminder_at LIMIT $1::integer FOR UPDATE SKIP LOCKED", 1 },
	/* Pending approvers of the active step not reminded (automatically
	 * or by hand) about this request in the last 4 hours. */
	[ST_REMIND_TARGETS] = {
	    "SELECT a.id FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    " WHERE a.request_id = $1::uuid AND st.status = 'active'"
	    " AND a.status = 'pending'"
	    " AND (a.snoozed_until IS NULL OR a.snoozed_until <= now())"
	    " AND NOT EXISTS (SELECT 1 FROM audit_log al"
	    "  WHERE al.request_id = a.request_id AND al.action = 'request.reminded'"
	    "  AND al.at > now() - interval '4 hours'"
	    "  AND al.detail -> 'assignment_ids' @> to_jsonb(a.id))"
	    " ORDER BY a.id", 1 },
	/* next += every; catch up if the sweep fell behind; none at or past
	 * the deadline. */
	[ST_REMIND_NEXT] = {
	    "UPDATE requests SET next_reminder_at = CASE"
	    " WHEN reminder_every IS NULL THEN NULL"
	    " WHEN deadline IS NOT NULL AND greatest(next_reminder_at + reminder_every,"
	    "  now() + reminder_every) >= deadline THEN NULL"
	    " WHEN next_reminder_at + reminder_every > now()"
	    "  THEN next_reminder_at + reminder_every"
	    " ELSE now() + reminder_every END WHERE id = $1::uuid", 1 },
	[ST_ACTIVE_PENDING] = {
	    "SELECT a.id FROM assignments a JOIN request_steps st ON st.id = a.step_id"
	    " WHERE a.request_id = $1::uuid AND st.status = 'active'"
	    " AND a.status = 'pending' ORDER BY a.id", 1 },
	/* $1 request, $2 kind, $3 value: assignment id, step id */
	[ST_REASSIGN_FIND] = {
	    "SELECT a.id, st.id FROM assignments a"
	    " JOIN request_steps st ON st.id = a.step_id"
	    " WHERE a.request_id = $1::uuid AND st.status = 'active'"
	    " AND a.status = 'pending' AND a.delegate_of IS NULL"
	    " AND ((a.approver_kind = $2::text AND lower(a.approver_value) = lower($3::text))"
	    "  OR ($2::text = 'slack' AND a.slack_user_id = $3::text))"
	    " ORDER BY a.id LIMIT 1", 3 },
	[ST_ASG_REASSIGNED] = {
	    "UPDATE assignments SET status = 'reassigned' WHERE id = $1::bigint", 1 },
	[ST_ASG_REASSIGNED_TO] = {
	    "UPDATE assignments SET reassigned_to = $2::bigint WHERE id = $1::bigint", 2 },
	/* $1 request, $2 "1h" | "tomorrow" (09:00 UTC the next day), $3 actor
	 * kind, $4 actor id: the actor's own pending assignments of the
	 * active step, never the other approvers'. */
	[ST_SNOOZE] = {
	    "WITH t AS (SELECT CASE $2"
	    "  WHEN '1h' THEN now() + interval '1 hour'"
	    "  ELSE (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '33 hours')"
	    "   AT TIME ZONE 'UTC' END AS until)"
	    " UPDATE assignments a SET snoozed_until = t.until"
	    " FROM t, requests r, request_steps st"
	    " WHERE a.request_id = $1::uuid AND r.id = a.request_id AND r.status = 'Pending'"
	    " AND st.id = a.step_id AND st.status = 'active' AND a.status = 'pending'"
	    " AND" ENG_MATCH
	    " RETURNING a.id, " ENG_ISO("t.until"), 4 },
	/* A refused self-approval, remembered outside the refused
	 * transaction: the flag once, an audit row each time.
	 * $1 request, $2 actor, $3 actor kind, $4 actor id, $5 via. */
	[ST_FLAG_SELF] = {
	    "WITH f AS (UPDATE requests SET risk_flags = risk_flags || '" HUB_ENGINE_FLAG_SELF "'::text"
	    "  WHERE id = $1::uuid AND NOT risk_flags @> ARRAY['" HUB_ENGINE_FLAG_SELF "'::text])"
	    " INSERT INTO audit_log (request_id, actor, action, detail, via)"
	    " SELECT r.id, $2::text, 'risk.self_approval_attempt', jsonb_build_object("
	    "  'actor_kind', $3::text, 'actor_id', $4::text), $5::text"
	    " FROM requests r WHERE r.id = $1::uuid", 5 },
};

static const struct hub_stmt_table eng_table = { "hubeng", eng_stmts, ST__MAX };

/* What one call works with. */
struct eng {
	struct hub_db	*db;
	const char	*actor;   /* what people read in the audit log */
	const char	*via;
	const char	*kind;
	const char	*id;
	time_t		 now;
};

/* ------------------------------------------------------------ small helpers */

static int
eng_dberr(int rc)
{
	switch (rc) {
	case HUB_DB_OK:
		return HUB_ENGINE_OK;
	case HUB_DB_CONN:
		return HUB_ENGINE_UNAVAILABLE;
	default:
		return HUB_ENGINE_DB;
	}
}

/* A statement of the engine's; with no rows wanted, inside the
 * transaction it goes with the next one that has rows to read (an audit
 * row, an update the tally then reads): a decision's writes cost no
 * round trips of their own (hub_db_exec_later). */
static int
q(struct eng *e, int id, const char *const *p, PGresult **r)
{
	if (r == NULL)
		return eng_dberr(hub_db_exec_later(e->db, &eng_table, id, p));
	return eng_dberr(hub_db_exec(e->db, &eng_table, id, p, r));
}

static void
set_err(struct hub_engine_error *err, const char *field, const char *msg)
{
	if (err == NULL)
		return;
	snprintf(err->field, sizeof(err->field), "%s", field);
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

static int
cell_i64(const PGresult *r, int row, int col, int64_t *out)
{
	return hub_db_get_int64(r, row, col, out) == HUB_DB_OK ? 0 : -1;
}

static const char *
via_for(const struct hub_actor *a)
{
	static const struct { const char *kind, *via; } map[] = {
		{ "slack", "slack" }, { "email", "web" }, { "user", "web" },
		{ "api", "api" }, { "worker", "worker" }, { "cli", "cli" },
	};
	static const char *const vias[] = { "api", "slack", "web", "worker", "cli" };
	size_t i;

	if (a->via != NULL) {
		for (i = 0; i < HUB_NELEM(vias); i++)
			if (strcmp(a->via, vias[i]) == 0)
				return vias[i];
		return NULL;
	}
	for (i = 0; a->kind != NULL && i < HUB_NELEM(map); i++)
		if (strcmp(a->kind, map[i].kind) == 0)
			return map[i].via;
	return NULL;
}

/* 0 ok, -1 the actor cannot be used. */
static int
eng_init(struct eng *e, struct hub_db *db, const struct hub_actor *a)
{
	memset(e, 0, sizeof(*e));
	e->db = db;
	e->now = time(NULL);
	if (a == NULL || a->kind == NULL || (e->via = via_for(a)) == NULL)
		return -1;
	e->kind = a->kind;
	e->id = a->id != NULL ? a->id : "";
	if (a->display != NULL && *a->display != '\0')
		e->actor = a->display;
	else if (a->id != NULL && *a->id != '\0')
		e->actor = a->id;
	else
		e->actor = a->kind;
	return 0;
}

static const struct hub_actor eng_worker_actor = {
	"worker", "worker", NULL, "worker", "worker"
};

/* Audit details: base/json's writers (v taken in every case; a NULL
 * string stays as null), nonzero on failure. */
static int
jadd(json_object *o, const char *k, json_object *v)
{
	return hub_json_set(o, k, v);
}

static int
jadd_str(json_object *o, const char *k, const char *v)
{
	return hub_json_put_str(o, k, v);
}

/* Append an audit row.  detail is borrowed (NULL = {}); the actor's kind
 * and id go into it. */
static int
audit(struct eng *e, const char *req, const char *action, json_object *detail)
{
	json_object *d = NULL;
	const char *p[5];
	int rc = HUB_ENGINE_DB;

	if (detail == NULL) {
		if ((d = json_object_new_object()) == NULL)
			goto out;
		detail = d;
	}
	if (jadd_str(detail, "actor_kind", e->kind) != 0 ||
	    jadd_str(detail, "actor_id", e->id) != 0)
		goto out;
	p[0] = req;
	p[1] = e->actor;
	p[2] = action;
	p[3] = hub_json_str(detail, NULL);
	p[4] = e->via;
	rc = q(e, ST_AUDIT, p, NULL);
out:
	json_object_put(d);
	return rc;
}

/* An admin's change outside a request's life (a delivery retried...), in
 * the caller's transaction: the same row the engine's own changes write. */
int
hub_engine_audit(struct hub_db *db, const char *request_id, const struct hub_actor *a,
    const char *action, json_object *detail)
{
	struct eng e;

	if (eng_init(&e, db, a) != 0 || action == NULL)
		return HUB_ENGINE_INVALID;
	return audit(&e, request_id, action, detail);
}

/* Audit with one integer and one optional string field. */
static int
audit_kv(struct eng *e, const char *req, const char *action, const char *ik, int64_t iv,
    const char *sk, const char *sv)
{
	json_object *d = json_object_new_object();
	int rc = HUB_ENGINE_DB;

	if (d == NULL)
		return rc;
	if (ik != NULL && jadd(d, ik, json_object_new_int64(iv)) != 0)
		goto out;
	if (sk != NULL && jadd_str(d, sk, sv) != 0)
		goto out;
	rc = audit(e, req, action, d);
out:
	json_object_put(d);
	return rc;
}

/* notify job (outbound.h); assignment 0 = none, step 0 = none; n is the
 * notification's generation. */
static int
notify(struct eng *e, const char *req, const char *kind, int64_t asg, int step,
    const char *reason, long long n)
{
	return eng_dberr(hub_outbound_notify(e->db, req, kind, asg, step, reason, n, NULL));
}

/* Update every sent copy (outbound.h). */
static int
sync_job(struct eng *e, const char *req)
{
	return eng_dberr(hub_outbound_sync(e->db, req));
}

/* The request's state into o; commit: the transaction's last statement,
 * read with its COMMIT in one round trip (eng_end then has nothing to
 * do). */
static int
outcome_fill(struct eng *e, const char *req, struct hub_outcome *o, int commit)
{
	const char *p[1] = { req };
	PGresult *r = NULL;
	int rc;

	if (commit)
		rc = eng_dberr(hub_db_exec_commit(e->db, &eng_table, ST_OUTCOME, p, &r));
	else
		rc = q(e, ST_OUTCOME, p, &r);
	if (rc != HUB_ENGINE_OK)
		return rc;
	if (PQntuples(r) == 1) {
		snprintf(o->request_status, sizeof(o->request_status), "%s", PQgetvalue(r, 0, 0));
		snprintf(o->decided_by, sizeof(o->decided_by), "%s", PQgetvalue(r, 0, 1));
		snprintf(o->decided_at, sizeof(o->decided_at), "%s", PQgetvalue(r, 0, 2));
	} else
		rc = HUB_ENGINE_NOTFOUND;
	PQclear(r);
	return rc;
}

/* ------------------------------------------------------------ shared steps */

/* Create delegate rows for pending originals of a step (asg 0: all). */
static int
add_delegates(struct eng *e, const char *req, int64_t step_id, int64_t asg)
{
	char sb[24], ab[24];
	const char *p[2] = { sb, ab };
	PGresult *r = NULL;
	json_object *d = NULL;
	int64_t id, of;
	int i, rc;

	snprintf(sb, sizeof(sb), "%lld", (long long)step_id);
	snprintf(ab, sizeof(ab), "%lld", (long long)asg);
	if ((rc = q(e, ST_ADD_DELEGATES, p, &r)) != HUB_ENGINE_OK)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		rc = HUB_ENGINE_DB;
		if (cell_i64(r, i, 0, &id) != 0 || cell_i64(r, i, 1, &of) != 0)
			goto out;
		if ((d = json_object_new_object()) == NULL ||
		    jadd(d, "assignment_id", json_object_new_int64(id)) != 0 ||
		    jadd(d, "delegate_of", json_object_new_int64(of)) != 0 ||
		    jadd_str(d, "delegate_kind", PQgetvalue(r, i, 2)) != 0 ||
		    jadd_str(d, "delegate", PQgetvalue(r, i, 3)) != 0)
			goto out;
		if ((rc = audit(e, req, "delegate.added", d)) != HUB_ENGINE_OK)
			goto out;
		json_object_put(d);
		d = NULL;
	}
	rc = HUB_ENGINE_OK;
out:
	json_object_put(d);
	PQclear(r);
	return rc;
}

/* One call for each pending assignment of a step: delegate_call for a
 * delegate, call_for_action for the others; asg != 0: only that one (as
 * kind, which carries the buttons in its place) and its delegates.  One
 * kind per assignment, so nobody gets two cards to decide from. */
static int
notify_step(struct eng *e, const char *req, int64_t step_id, int position, int64_t asg,
    const char *kind)
{
	char sb[24], ab[24];
	const char *p[2] = { sb, ab };
	PGresult *r = NULL;
	int64_t id;
	int i, rc;

	snprintf(sb, sizeof(sb), "%lld", (long long)step_id);
	snprintf(ab, sizeof(ab), "%lld", (long long)asg);
	if ((rc = q(e, ST_STEP_PENDING, p, &r)) != HUB_ENGINE_OK)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		if (cell_i64(r, i, 0, &id) != 0) {
			rc = HUB_ENGINE_DB;
			goto out;
		}
		rc = notify(e, req, *PQgetvalue(r, i, 1) == 't' ? "delegate_call" :
		    id == asg && kind != NULL ? kind : "call_for_action", id, position, NULL, 1);
		if (rc != HUB_ENGINE_OK)
			goto out;
	}
out:
	PQclear(r);
	return rc;
}

/* The decision callback: delivery_log row + http_post job with a 24 h
 * deadline.  Nothing when neither the request nor the source has a URL. */
static int
callback(struct eng *e, const char *req)
{
	const char *p[2];
	PGresult *r = NULL, *r2 = NULL;
	json_object *body = NULL;
	char db[24], jb[24], status[16];
	int64_t did, jid;
	int rc;

	p[0] = req;
	if ((rc = q(e, ST_CALLBACK_INFO, p, &r)) != HUB_ENGINE_OK)
		goto out;
	rc = HUB_ENGINE_DB;
	if (PQntuples(r) != 1)
		goto out;
	if (PQgetisnull(r, 0, 0)) {
		rc = HUB_ENGINE_OK;
		goto out;
	}
	if (hub_json_parse_object(PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2),
	    ENG_BODY_MAX, HUB_JSON_DEFAULT_DEPTH, &body) != HUB_JSON_OK)
		goto out;
	snprintf(status, sizeof(status), "%s",
	    json_object_get_string(json_object_object_get(body, "status")));
	if ((rc = q(e, ST_DELIVERY_INSERT, p, &r2)) != HUB_ENGINE_OK)
		goto out;
	rc = HUB_ENGINE_DB;
	if (PQntuples(r2) != 1 || cell_i64(r2, 0, 0, &did) != 0)
		goto out;
	if ((rc = eng_dberr(hub_outbound_callback(e->db, req, status, PQgetvalue(r, 0, 0), body,
	    PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1), did, PQgetvalue(r, 0, 3),
	    &jid))) != HUB_ENGINE_OK)
		goto out;
	snprintf(db, sizeof(db), "%lld", (long long)did);
	snprintf(jb, sizeof(jb), "%lld", (long long)jid);
	p[0] = db;
	p[1] = jb;
	rc = q(e, ST_DELIVERY_JOB, p, NULL);
out:
	json_object_put(body);
	PQclear(r);
	PQclear(r2);
	return rc;
}

/* The request left Pending (or lapsed): update the copies, tell the
 * requester (notify_kind, may be NULL) and the watchers, call the source
 * back. */
static int
finish(struct eng *e, const char *req, const char *notify_kind, int watchers)
{
	const char *p[1] = { req };
	PGresult *r = NULL;
	int64_t nw = 0, step = 0;
	int rc;

	if ((rc = q(e, ST_FINISH_INFO, p, &r)) != HUB_ENGINE_OK)
		goto out;
	rc = HUB_ENGINE_DB;
	if (PQntuples(r) != 1 || cell_i64(r, 0, 0, &nw) != 0 || cell_i64(r, 0, 1, &step) != 0)
		goto out;
	if ((rc = sync_job(e, req)) != HUB_ENGINE_OK)
		goto out;
	/* A decision's note goes to the requester alone: when that can only
	 * be an email, it starts in the email lane instead of being handed
	 * over there by the slack lane after reading the request for it. */
	if (notify_kind != NULL && (rc = eng_dberr(hub_outbound_notify(e->db, req, notify_kind,
	    0, (int)step, PQgetvalue(r, 0, 2), 1, strcmp(notify_kind, "decision") == 0 &&
	    *PQgetvalue(r, 0, 3) == 't' ? HUB_OUTBOUND_LANE_EMAIL : NULL))) != HUB_ENGINE_OK)
		goto out;
	if (watchers && nw > 0 && (rc = notify(e, req, "watcher", 0, (int)step,
	    PQgetvalue(r, 0, 2), 1)) != HUB_ENGINE_OK)
		goto out;
	rc = callback(e, req);
out:
	PQclear(r);
	return rc;
}

/* Everything still open is closed: steps get step_status, pending
 * assignments are skipped. */
static int
close_open(struct eng *e, const char *req, const char *step_status)
{
	const char *p[2] = { req, step_status };
	int rc;

	if ((rc = q(e, ST_REQ_CLOSE_STEPS, p, NULL)) != HUB_ENGINE_OK)
		return rc;
	return q(e, ST_REQ_SKIP_PENDING, p, NULL);
}

/* Run body inside one transaction; commit on OK, roll back otherwise.
 * A refusal (NOT_APPROVER, ...) is not an error for the database. */
static int
eng_end(struct eng *e, int rc)
{
	int c;

	if (!hub_db_in_tx(e->db))	/* ended already (outcome_fill) */
		return rc;
	if (rc != HUB_ENGINE_OK) {
		hub_db_rollback(e->db);
		return rc;
	}
	if ((c = hub_db_commit(e->db)) != HUB_DB_OK)
		return eng_dberr(c);
	return HUB_ENGINE_OK;
}

/* ------------------------------------------------------------ create */

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Integer member as text (NULL when absent or null); -1 when malformed. */
static int
jint_text(json_object *o, const char *k, char *buf, size_t n, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
		return -1;
	snprintf(buf, n, "%lld", (long long)json_object_get_int64(v));
	*out = buf;
	return 0;
}

/* Connection name (or id) -> id; NULL in, NULL out. */
static int
resolve_connection(struct eng *e, const char *name, char *out, size_t n, const char **res)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	int rc;

	*res = NULL;
	if (name == NULL)
		return HUB_ENGINE_OK;
	if ((rc = q(e, ST_CONNECTION, p, &r)) != HUB_ENGINE_OK)
		return rc;
	if (PQntuples(r) == 1) {
		snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
		*res = out;
	} else
		rc = HUB_ENGINE_INVALID;
	PQclear(r);
	return rc;
}

/* The steps as ST_CREATE takes them: checked, connections resolved to
 * ids.  Groups are looked up by the statement. */
static int
create_plan(struct eng *e, json_object *steps, json_object **plan,
    struct hub_engine_error *err)
{
	static const char *const kinds[] = { "slack", "email", "group", NULL };
	char qb[24], cb[HUB_ID_LEN], field[64];
	json_object *st, *aps, *ap, *ps = NULL, *pa, *one;
	const char *rule, *qs, *conn, *k, *v;
	size_t i, j, n;
	int rc = HUB_ENGINE_INVALID;

	*plan = NULL;
	n = json_object_array_length(steps);
	if (n == 0 || n > ENG_MAX_STEPS) {
		set_err(err, "steps", "1 to 20 steps");
		goto out;
	}
	rc = HUB_ENGINE_DB;
	if ((*plan = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "steps[%zu]", i);
		st = json_object_array_get_idx(steps, i);
		rule = st != NULL ? jstr(st, "rule") : NULL;
		rc = HUB_ENGINE_INVALID;
		if (rule == NULL || (strcmp(rule, "any") != 0 && strcmp(rule, "all") != 0 &&
		    strcmp(rule, "quorum") != 0)) {
			set_err(err, field, "rule must be any, all or quorum");
			goto out;
		}
		qs = NULL;
		if (strcmp(rule, "quorum") == 0 &&
		    (jint_text(st, "quorum", qb, sizeof(qb), &qs) != 0 || qs == NULL)) {
			set_err(err, field, "quorum needs a positive count");
			goto out;
		}
		if (!json_object_object_get_ex(st, "approvers", &aps) ||
		    !json_object_is_type(aps, json_type_array)) {
			set_err(err, field, "approvers missing");
			goto out;
		}
		for (j = 0; j < json_object_array_length(aps); j++) {
			ap = json_object_array_get_idx(aps, j);
			k = ap != NULL ? jstr(ap, "kind") : NULL;
			v = ap != NULL ? jstr(ap, "value") : NULL;
			if (k == NULL || v == NULL || *v == '\0') {
				set_err(err, field, "approver needs kind and value");
				goto out;
			}
			if (!hub_check_oneof(k, kinds)) {
				set_err(err, field, "approver kind must be slack, email or group");
				goto out;
			}
		}
		if ((rc = resolve_connection(e, jstr(st, "connection"), cb, sizeof(cb),
		    &conn)) != HUB_ENGINE_OK) {
			if (rc == HUB_ENGINE_INVALID)
				set_err(err, field, "no such connection");
			goto out;
		}
		rc = HUB_ENGINE_DB;
		if ((ps = json_object_new_object()) == NULL ||
		    jadd_str(ps, "rule", rule) != 0 ||
		    (qs != NULL && jadd(ps, "quorum", json_object_new_int64(strtoll(qs,
		    NULL, 10))) != 0) ||
		    jadd_str(ps, "delivery", jstr(st, "delivery")) != 0 ||
		    jadd_str(ps, "connection", conn) != 0 ||
		    jadd_str(ps, "channel", jstr(st, "channel")) != 0 ||
		    (pa = json_object_new_array()) == NULL ||
		    json_object_object_add(ps, "approvers", pa) != 0)
			goto out;
		for (j = 0; j < json_object_array_length(aps); j++) {
			ap = json_object_array_get_idx(aps, j);
			if ((one = json_object_new_object()) == NULL || json_object_array_add(pa, one) != 0) {
				json_object_put(one);
				goto out;
			}
			if (jadd_str(one, "kind", jstr(ap, "kind")) != 0 ||
			    jadd_str(one, "value", jstr(ap, "value")) != 0)
				goto out;
		}
		if (json_object_array_add(*plan, ps) != 0)
			goto out;
		ps = NULL;
	}
	rc = HUB_ENGINE_OK;
out:
	json_object_put(ps);
	if (rc != HUB_ENGINE_OK) {
		json_object_put(*plan);
		*plan = NULL;
	}
	return rc;
}

/* Why ST_CREATE wrote nothing, as the caller reads it. */
static int
create_refused(const PGresult *r, struct hub_engine_error *err)
{
	static const struct { const char *why, *msg; } whys[] = {
		{ "group", "no such group" },
		{ "empty", "step has no approvers (empty group?)" },
		{ "self", "the requester is this step's only approver, and this source does not"
		    " allow self-approval" },
		{ "quorum", "quorum larger than the number of approvers" },
		{ "toomany", "too many approvers once groups are expanded: at most "
		    HUB_INTAKE_MAX_APPROVERS_SQL " in all" },
		{ "all_self", "rule \"all\" needs every approver, and the requester is one of"
		    " them: this source does not allow self-approval, so the request could"
		    " never be approved" },
		{ "quorum_self", "quorum needs more approvers than there are besides the"
		    " requester (this source does not allow self-approval), so the request"
		    " could never be approved" },
	};
	char field[64];
	int64_t pos;
	size_t i;

	if (PQgetisnull(r, 0, 1)) {
		set_err(err, "source", "no such source");
		return HUB_ENGINE_NOTFOUND;
	}
	if (*PQgetvalue(r, 0, 1) == 't') {
		set_err(err, "source", "source is disabled");
		return HUB_ENGINE_INVALID;
	}
	if (PQgetisnull(r, 0, 2))
		return HUB_ENGINE_OK;	/* written before: the caller looks it up */
	if (hub_db_get_int64(r, 0, 2, &pos) != HUB_DB_OK)
		return HUB_ENGINE_DB;
	snprintf(field, sizeof(field), "steps[%" PRId64 "]", pos - 1);
	for (i = 0; i < HUB_NELEM(whys); i++)
		if (strcmp(PQgetvalue(r, 0, 3), whys[i].why) == 0)
			set_err(err, field, whys[i].msg);
	return HUB_ENGINE_INVALID;
}

/* The request ST_CREATE found already there (p: its parameters): its id,
 * or IDEMPOTENCY when its Idempotency-Key came with another body. */
static int
create_existing(struct eng *e, const char *const *p, struct hub_outcome *o,
    struct hub_engine_error *err)
{
	const char *ex[4] = { p[0], p[1], p[2], p[22] };
	PGresult *r = NULL;
	int rc;

	if ((rc = q(e, ST_REQ_EXISTING, ex, &r)) != HUB_ENGINE_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = HUB_ENGINE_DB;
		goto out;
	}
	if (*PQgetvalue(r, 0, 1) == 't') {
		set_err(err, "Idempotency-Key", "this Idempotency-Key was already used with a"
		    " different body: send the same body again to get that request, or use a"
		    " new key for a new request");
		rc = HUB_ENGINE_IDEMPOTENCY;
		goto out;
	}
	snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(r, 0, 0));
out:
	PQclear(r);
	return rc;
}

/* What create_tx checks before its plan: the requester, the steps, the
 * intervals (p[10], p[16], text in vf and re) and the connection (p[14],
 * its id in cb).  *steps borrows req's. */
static int
create_check(struct eng *e, json_object *req, char *vf, char *re, char *cb,
    const char **p, json_object **steps, struct hub_engine_error *err)
{
	int rc;

	if (jstr(req, "requester_name") == NULL) {
		set_err(err, "requester_name", "required");
		return HUB_ENGINE_INVALID;
	}
	if (!json_object_object_get_ex(req, "steps", steps) ||
	    !json_object_is_type(*steps, json_type_array)) {
		set_err(err, "steps", "required");
		return HUB_ENGINE_INVALID;
	}
	if (jint_text(req, "valid_for", vf, CREATE_INT_TEXT, &p[10]) != 0) {
		set_err(err, "valid_for", "seconds > 0");
		return HUB_ENGINE_INVALID;
	}
	if (jint_text(req, "reminder_every", re, CREATE_INT_TEXT, &p[16]) != 0) {
		set_err(err, "reminder_every", "seconds > 0");
		return HUB_ENGINE_INVALID;
	}
	if ((rc = resolve_connection(e, jstr(req, "connection"), cb, HUB_ID_LEN, &p[14])) ==
	    HUB_ENGINE_INVALID)
		set_err(err, "connection", "no such connection");
	return rc;
}

/* ST_CREATE's other parameters, from the body, the plan and the actor. */
static void
create_params(struct eng *e, const char *source_id, json_object *req, json_object *plan,
    const char **p)
{
	json_object *meta = json_object_object_get(req, "metadata");
	json_object *watchers = json_object_object_get(req, "watchers");

	p[0] = source_id;
	p[1] = jstr(req, "external_id");
	p[2] = jstr(req, "idempotency_key");
	p[3] = jstr(req, "title");
	p[4] = jstr(req, "requester_name");
	p[5] = jstr(req, "requester_email");
	p[6] = jstr(req, "requester_slack_id");
	p[7] = jstr(req, "justification");
	p[8] = json_object_is_type(meta, json_type_object) ? hub_json_str(meta, NULL) : NULL;
	p[9] = jstr(req, "deadline");
	p[11] = jstr(req, "callback_url");
	p[12] = json_object_is_type(watchers, json_type_array) ?
	    hub_json_str(watchers, NULL) : NULL;
	p[13] = jstr(req, "delivery");
	p[15] = jstr(req, "channel");
	p[17] = hub_json_str(plan, NULL);
	p[18] = e->actor;
	p[19] = e->kind;
	p[20] = e->id;
	p[21] = e->via;
	p[22] = hub_json_str(req, NULL);
	/* The jobs that follow only when this process can run them. */
	p[23] = hub_conf_get("EMBEDDING_URL") != NULL ? "t" : "f";
	p[24] = hub_conf_get("INFERENCE_URL") != NULL ? "t" : "f";
	p[25] = jstr(req, "preset");
}

static int
create_tx(struct eng *e, const char *source_id, json_object *req, struct hub_outcome *o,
    struct hub_engine_error *err)
{
	char vf[CREATE_INT_TEXT], re[CREATE_INT_TEXT], cb[HUB_ID_LEN];
	const char *p[26];
	PGresult *r = NULL;
	json_object *steps, *plan = NULL;
	int rc;

	if ((rc = create_check(e, req, vf, re, cb, p, &steps, err)) != HUB_ENGINE_OK ||
	    (rc = create_plan(e, steps, &plan, err)) != HUB_ENGINE_OK)
		goto out;
	create_params(e, source_id, req, plan, p);
	if ((rc = q(e, ST_CREATE, p, &r)) != HUB_ENGINE_OK) {
		/* 22xxx / 23xxx: a value intake let through but a CHECK refused. */
		if (rc == HUB_ENGINE_DB && (strncmp(hub_db_last_sqlstate(e->db), "22", 2) == 0 ||
		    strncmp(hub_db_last_sqlstate(e->db), "23", 2) == 0)) {
			rc = HUB_ENGINE_INVALID;
			set_err(err, "", "a value was refused by the database");
		}
		goto out;
	}
	if (PQntuples(r) != 1) {
		rc = HUB_ENGINE_DB;
		goto out;
	}
	if (!PQgetisnull(r, 0, 0)) {
		snprintf(o->id, sizeof(o->id), "%s", PQgetvalue(r, 0, 0));
		o->created = 1;
		/* What outcome_fill would read back from the new row. */
		snprintf(o->request_status, sizeof(o->request_status), "Pending");
		goto out;
	}
	if ((rc = create_refused(r, err)) != HUB_ENGINE_OK)
		goto out;
	/* Someone created it first (or earlier): hand back that one, unless
	 * its Idempotency-Key came with another body. */
	PQclear(r);
	r = NULL;
	if ((rc = create_existing(e, p, o, err)) != HUB_ENGINE_OK)
		goto out;
	o->created = 0;
	rc = outcome_fill(e, o->id, o, 0);
out:
	json_object_put(plan);
	PQclear(r);
	return rc;
}

int
hub_engine_create(struct hub_db *db, const char *source_id, json_object *req,
    const struct hub_actor *actor, struct hub_outcome *out, struct hub_engine_error *err)
{
	struct hub_outcome local;
	struct eng e;
	int rc;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (eng_init(&e, db, actor) != 0) {
		set_err(err, "actor", "unknown actor");
		return HUB_ENGINE_INVALID;
	}
	if (!hub_check_uuid(source_id)) {
		set_err(err, "source", "no such source");
		return HUB_ENGINE_NOTFOUND;
	}
	if (req == NULL || !json_object_is_type(req, json_type_object)) {
		set_err(err, "", "request must be an object");
		return HUB_ENGINE_INVALID;
	}
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	rc = create_tx(&e, source_id, req, out, err);
	if ((rc = eng_end(&e, rc)) != HUB_ENGINE_OK) {
		out->id[0] = '\0';
		out->created = 0;
	}
	return rc;
}

/* ------------------------------------------------------------ decide */

struct locked {
	char	status[16];
	int64_t	step;
	int	allow_self;
	int	reason_required;
	char	editable[4096];
};

/* Lock the request row; fills o with its current state. */
static int
lock_request(struct eng *e, const char *req, struct locked *l, struct hub_outcome *o)
{
	const char *p[1] = { req };
	PGresult *r = NULL;
	int rc;

	if ((rc = q(e, ST_LOCK_REQ, p, &r)) != HUB_ENGINE_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = HUB_ENGINE_NOTFOUND;
		goto out;
	}
	rc = HUB_ENGINE_DB;
	snprintf(l->status, sizeof(l->status), "%s", PQgetvalue(r, 0, 0));
	if (cell_i64(r, 0, 1, &l->step) != 0)
		goto out;
	l->allow_self = *PQgetvalue(r, 0, 4) == 't';
	l->reason_required = *PQgetvalue(r, 0, 5) == 't';
	snprintf(l->editable, sizeof(l->editable), "%s", PQgetvalue(r, 0, 6));
	snprintf(o->request_status, sizeof(o->request_status), "%s", l->status);
	snprintf(o->decided_by, sizeof(o->decided_by), "%s", PQgetvalue(r, 0, 2));
	snprintf(o->decided_at, sizeof(o->decided_at), "%s", PQgetvalue(r, 0, 3));
	rc = HUB_ENGINE_OK;
out:
	PQclear(r);
	return rc;
}

/* Not Pending: ALREADY_DECIDED for a decision, CLOSED otherwise. */
static int
closed_code(const char *status)
{
	if (strcmp(status, "Approved") == 0 || strcmp(status, "Rejected") == 0)
		return HUB_ENGINE_ALREADY_DECIDED;
	return HUB_ENGINE_CLOSED;
}

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* Every key of edits is listed in the source's editable_fields. */
static int
check_edits(const char *editable, json_object *edits, struct hub_engine_error *err)
{
	json_object *list = NULL;
	size_t i;
	int ok, rc = HUB_ENGINE_INVALID;

	if (!json_object_is_type(edits, json_type_object)) {
		set_err(err, "edits", "must be an object");
		return rc;
	}
	if (hub_json_parse(editable, strlen(editable), sizeof(((struct locked *)0)->editable),
	    HUB_JSON_DEFAULT_DEPTH, &list) != HUB_JSON_OK ||
	    !json_object_is_type(list, json_type_array)) {
		rc = HUB_ENGINE_DB;
		goto out;
	}
	json_object_object_foreach(edits, key, val) {
		(void)val;
		ok = 0;
		for (i = 0; i < json_object_array_length(list) && !ok; i++) {
			json_object *f = json_object_array_get_idx(list, i);

			ok = json_object_is_type(f, json_type_string) &&
			    strcmp(json_object_get_string(f), key) == 0;
		}
		if (!ok) {
			char field[64];

			snprintf(field, sizeof(field), "edits.%s", key);
			set_err(err, field, "this field is not editable");
			goto out;
		}
	}
	rc = HUB_ENGINE_OK;
out:
	json_object_put(list);
	return rc;
}

struct found {
	int64_t	id;
	int64_t	delegate_of;
	int64_t	position;
	int64_t	step_id;
	char	status[16];
	char	step_status[16];
	int	self;
};

static int
find_assignment(struct eng *e, const char *req, int64_t asg, struct found *f,
    struct hub_outcome *o)
{
	char ab[24];
	const char *p[4];
	PGresult *r = NULL;
	int rc;

	snprintf(ab, sizeof(ab), "%lld", (long long)asg);
	p[0] = req;
	p[1] = ab;
	p[2] = e->kind;
	p[3] = e->id;
	if ((rc = q(e, ST_FIND_ASG, p, &r)) != HUB_ENGINE_OK)
		goto out;
	if (PQntuples(r) != 1) {
		rc = HUB_ENGINE_NOT_APPROVER;
		goto out;
	}
	rc = HUB_ENGINE_DB;
	if (cell_i64(r, 0, 0, &f->id) != 0 || cell_i64(r, 0, 2, &f->delegate_of) != 0 ||
	    cell_i64(r, 0, 3, &f->position) != 0 || cell_i64(r, 0, 7, &f->step_id) != 0)
		goto out;
	snprintf(f->status, sizeof(f->status), "%s", PQgetvalue(r, 0, 1));
	snprintf(f->step_status, sizeof(f->step_status), "%s", PQgetvalue(r, 0, 4));
	f->self = *PQgetvalue(r, 0, 8) == 't';
	if (strcmp(f->status, "reassigned") == 0) {
		rc = HUB_ENGINE_NOT_APPROVER;
		goto out;
	}
	if (strcmp(f->status, "pending") != 0) {
		snprintf(o->decided_by, sizeof(o->decided_by), "%s", PQgetvalue(r, 0, 5));
		snprintf(o->decided_at, sizeof(o->decided_at), "%s", PQgetvalue(r, 0, 6));
		rc = HUB_ENGINE_ALREADY_DECIDED;
		goto out;
	}
	/* A later step's approver has nothing to decide yet. */
	rc = strcmp(f->step_status, "active") == 0 ? HUB_ENGINE_OK : HUB_ENGINE_NOT_APPROVER;
out:
	PQclear(r);
	return rc;
}

/* Outcome of a step after a decision: 1 approved, -1 rejected, 0 open. */
static int
tally(struct eng *e, int64_t step_id, int *verdict, json_object *detail)
{
	char sb[24];
	const char *p[1] = { sb };
	PGresult *r = NULL;
	int64_t quorum, total, yes, no;
	const char *rule;
	int rc;

	snprintf(sb, sizeof(sb), "%lld", (long long)step_id);
	if ((rc = q(e, ST_STEP_TALLY, p, &r)) != HUB_ENGINE_OK)
		goto out;
	rc = HUB_ENGINE_DB;
	if (PQntuples(r) != 1 || cell_i64(r, 0, 1, &quorum) != 0 ||
	    cell_i64(r, 0, 2, &total) != 0 || cell_i64(r, 0, 3, &yes) != 0 ||
	    cell_i64(r, 0, 4, &no) != 0)
		goto out;
	rule = PQgetvalue(r, 0, 0);
	*verdict = 0;
	if (strcmp(rule, "any") == 0) {
		if (no > 0)
			*verdict = -1;
		else if (yes > 0)
			*verdict = 1;
	} else if (strcmp(rule, "all") == 0) {
		if (no > 0)
			*verdict = -1;
		else if (yes >= total)
			*verdict = 1;
	} else {
		if (yes >= quorum)
			*verdict = 1;
		else if (total - no < quorum)
			*verdict = -1;
	}
	if (jadd_str(detail, "rule", rule) != 0 ||
	    jadd(detail, "approved", json_object_new_int64(yes)) != 0 ||
	    jadd(detail, "rejected", json_object_new_int64(no)) != 0 ||
	    jadd(detail, "total", json_object_new_int64(total)) != 0 ||
	    (quorum > 0 && jadd(detail, "quorum", json_object_new_int64(quorum)) != 0))
		goto out;
	rc = HUB_ENGINE_OK;
out:
	PQclear(r);
	return rc;
}

/* Activate step `position`; 0 with *started = 0 when there is none. */
static int
start_step(struct eng *e, const char *req, int64_t position, int *started)
{
	char pb[24];
	const char *p[2] = { req, pb };
	PGresult *r = NULL;
	int64_t sid;
	int rc;

	*started = 0;
	snprintf(pb, sizeof(pb), "%lld", (long long)position);
	if ((rc = q(e, ST_STEP_ACTIVATE, p, &r)) != HUB_ENGINE_OK)
		goto out;
	if (PQntuples(r) == 0)
		goto out;
	rc = HUB_ENGINE_DB;
	if (cell_i64(r, 0, 0, &sid) != 0)
		goto out;
	*started = 1;
	if ((rc = q(e, ST_REQ_SET_STEP, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = add_delegates(e, req, sid, 0)) != HUB_ENGINE_OK ||
	    (rc = notify_step(e, req, sid, (int)position, 0, NULL)) != HUB_ENGINE_OK ||
	    (rc = audit_kv(e, req, "step.started", "step", position, NULL, NULL)) !=
	    HUB_ENGINE_OK)
		goto out;
out:
	PQclear(r);
	return rc;
}

/* May this decision be taken?  The request locked and still Pending,
 * the assignment found (f) and the actor's; a self-approval or a reject
 * without a required reason refused; the edits checked and applied. */
static int
decide_allowed(struct eng *e, const char *req, int64_t asg, int approve,
    const char *comment, json_object *edits, struct found *f, struct hub_outcome *o,
    struct hub_engine_error *err)
{
	struct locked l;
	const char *p[4];
	int rc;

	memset(f, 0, sizeof(*f));
	if ((rc = lock_request(e, req, &l, o)) != HUB_ENGINE_OK)
		return rc;
	if (strcmp(l.status, "Pending") != 0)
		return closed_code(l.status);
	o->decided_by[0] = o->decided_at[0] = '\0';
	if ((rc = find_assignment(e, req, asg, f, o)) != HUB_ENGINE_OK)
		return rc;
	if (f->self && !l.allow_self) {
		set_err(err, "actor", "requesters cannot approve their own request");
		return HUB_ENGINE_SELF_APPROVAL;
	}
	if (!approve && l.reason_required && blank(comment)) {
		set_err(err, "comment", "a reason is required to reject");
		return HUB_ENGINE_REASON_REQUIRED;
	}
	if (edits == NULL || json_object_object_length(edits) == 0)
		return HUB_ENGINE_OK;
	if ((rc = check_edits(l.editable, edits, err)) != HUB_ENGINE_OK)
		return rc;
	p[0] = req;
	p[1] = e->actor;
	p[2] = hub_json_str(edits, NULL);
	p[3] = e->via;
	if ((rc = q(e, ST_EDIT_AUDIT, p, NULL)) != HUB_ENGINE_OK)
		return rc;
	p[1] = p[2];
	return q(e, ST_EDIT_APPLY, p, NULL);
}

/* The assignment, the original it stands in for, and the other
 * delegates who no longer need to act; then the step's tally (*verdict)
 * and the audit row. */
static int
decide_assignment(struct eng *e, const char *req, const struct found *f, int approve,
    const char *comment, int *verdict)
{
	char ab[24], ob[24];
	const char *p[4];
	json_object *d = NULL;
	int rc;

	snprintf(ab, sizeof(ab), "%lld", (long long)f->id);
	snprintf(ob, sizeof(ob), "%lld", (long long)f->delegate_of);
	p[0] = ab;
	p[1] = approve ? "approved" : "rejected";
	p[2] = e->actor;
	p[3] = comment;
	if ((rc = q(e, ST_ASG_DECIDE, p, NULL)) != HUB_ENGINE_OK)
		return rc;
	if (f->delegate_of > 0) {
		p[0] = ob;
		if ((rc = q(e, ST_ASG_DECIDE, p, NULL)) != HUB_ENGINE_OK)
			return rc;
	}
	p[0] = f->delegate_of > 0 ? ob : ab;
	if ((rc = q(e, ST_ASG_SKIP_DELEGATES, p, NULL)) != HUB_ENGINE_OK)
		return rc;
	rc = HUB_ENGINE_DB;
	if ((d = json_object_new_object()) == NULL ||
	    jadd(d, "assignment_id", json_object_new_int64(f->id)) != 0 ||
	    jadd(d, "step", json_object_new_int64(f->position)) != 0 ||
	    jadd_str(d, "comment", comment) != 0 ||
	    (f->delegate_of > 0 && jadd(d, "delegate_of",
	    json_object_new_int64(f->delegate_of)) != 0))
		goto out;
	if ((rc = tally(e, f->step_id, verdict, d)) == HUB_ENGINE_OK)
		rc = audit(e, req, approve ? "assignment.approved" : "assignment.rejected", d);
out:
	json_object_put(d);
	return rc;
}

/* The step's verdict is in: finish it and, approved, start the next
 * (*started); none left, or rejected, decides the request. */
static int
decide_step(struct eng *e, const char *req, const struct found *f, int verdict,
    int *started)
{
	char sb[24];
	const char *p[2];
	int rc;

	*started = 0;
	snprintf(sb, sizeof(sb), "%lld", (long long)f->step_id);
	p[0] = sb;
	p[1] = verdict > 0 ? "approved" : "rejected";
	if ((rc = q(e, ST_STEP_FINISH, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = q(e, ST_STEP_SKIP_PENDING, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = audit_kv(e, req, verdict > 0 ? "step.approved" : "step.rejected", "step",
	    f->position, NULL, NULL)) != HUB_ENGINE_OK)
		return rc;
	return verdict > 0 ? start_step(e, req, f->position + 1, started) : HUB_ENGINE_OK;
}

/* The request is decided: its row, its open assignments (rejected), the
 * audit row, and what follows a finished request. */
static int
decide_request(struct eng *e, const char *req, int verdict, const char *comment,
    struct hub_outcome *o)
{
	const char *p[4];
	int rc;

	p[0] = req;
	p[1] = verdict > 0 ? "Approved" : "Rejected";
	p[2] = e->actor;
	p[3] = comment;
	if ((rc = q(e, ST_REQ_DECIDED, p, NULL)) != HUB_ENGINE_OK)
		return rc;
	if (verdict < 0 && (rc = close_open(e, req, "cancelled")) != HUB_ENGINE_OK)
		return rc;
	if ((rc = audit_kv(e, req, verdict > 0 ? "request.approved" : "request.rejected",
	    NULL, 0, "comment", comment)) != HUB_ENGINE_OK)
		return rc;
	o->request_finished = 1;
	return finish(e, req, "decision", 1);
}

static int
decide_tx(struct eng *e, const char *req, int64_t asg, int approve, const char *comment,
    json_object *edits, struct hub_outcome *o, struct hub_engine_error *err)
{
	struct found f;
	int verdict = 0, started = 0, rc;

	if ((rc = decide_allowed(e, req, asg, approve, comment, edits, &f, o, err)) !=
	    HUB_ENGINE_OK ||
	    (rc = decide_assignment(e, req, &f, approve, comment, &verdict)) != HUB_ENGINE_OK)
		return rc;
	/* Progress under all / quorum: "Approved: 2 of 3". */
	if (verdict == 0)
		return sync_job(e, req);
	if ((rc = decide_step(e, req, &f, verdict, &started)) != HUB_ENGINE_OK)
		return rc;
	if (started) {
		o->step_advanced = 1;
		return sync_job(e, req);
	}
	return decide_request(e, req, verdict, comment, o);
}

const char *const hub_engine_flags[] = {
	HUB_ENGINE_FLAG_SELF, HUB_ENGINE_FLAG_THRESHOLD, HUB_ENGINE_FLAG_DUPLICATE,
	HUB_ENGINE_FLAG_SHORT, HUB_ENGINE_FLAG_REQUESTER_APPROVER, HUB_ENGINE_FLAG_OFF_HOURS,
	NULL,
};

static const struct { const char *flag, *words, *short_words; } flag_words[] = {
	{ HUB_ENGINE_FLAG_SELF, "self-approval attempt", "self-approval attempt" },
	{ HUB_ENGINE_FLAG_THRESHOLD, "amount above the source's threshold", "above threshold" },
	{ HUB_ENGINE_FLAG_DUPLICATE, "likely duplicate", "likely duplicate" },
	{ HUB_ENGINE_FLAG_SHORT, "missing or short justification", "short justification" },
	{ HUB_ENGINE_FLAG_REQUESTER_APPROVER, "requester is also an approver",
	    "requester approves" },
	{ HUB_ENGINE_FLAG_OFF_HOURS, "submitted outside working hours", "outside working hours" },
};

const char *
hub_engine_flag_words(const char *flag, int short_form)
{
	size_t i;

	for (i = 0; i < HUB_NELEM(flag_words); i++)
		if (strcmp(flag, flag_words[i].flag) == 0)
			return short_form ? flag_words[i].short_words : flag_words[i].words;
	return flag;
}

/* The refused self-approval flags the request (its own transaction, the
 * refusal's was rolled back); the refusal stands whatever happens here. */
static int
flag_self(struct eng *e, const char *request_id)
{
	const char *p[5] = { request_id, e->actor, e->kind, e->id, e->via };

	if (q(e, ST_FLAG_SELF, p, NULL) != HUB_ENGINE_OK)
		hub_log(HUB_LOG_WARN, "self_approval_flag_failed", "request_id", request_id,
		    NULL);
	return HUB_ENGINE_SELF_APPROVAL;
}

int
hub_engine_decide(struct hub_db *db, const char *request_id, int64_t assignment_id,
    const struct hub_actor *actor, int approve, const char *comment, json_object *edits,
    struct hub_outcome *out, struct hub_engine_error *err)
{
	struct hub_outcome local;
	struct eng e;
	int rc;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (eng_init(&e, db, actor) != 0 || actor->id == NULL || *actor->id == '\0')
		return HUB_ENGINE_NOT_APPROVER;
	if (!hub_check_uuid(request_id))
		return HUB_ENGINE_NOTFOUND;
	if (assignment_id < 0) {
		set_err(err, "assignment_id", "must be positive");
		return HUB_ENGINE_INVALID;
	}
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	rc = decide_tx(&e, request_id, assignment_id, approve, comment, edits, out, err);
	if (rc == HUB_ENGINE_SELF_APPROVAL) {
		eng_end(&e, rc);
		return flag_self(&e, request_id);
	}
	if (rc == HUB_ENGINE_OK) {
		struct hub_outcome now;

		memset(&now, 0, sizeof(now));
		if ((rc = outcome_fill(&e, request_id, &now, 1)) == HUB_ENGINE_OK) {
			memcpy(out->request_status, now.request_status, sizeof(now.request_status));
			memcpy(out->decided_by, now.decided_by, sizeof(now.decided_by));
			memcpy(out->decided_at, now.decided_at, sizeof(now.decided_at));
			if (!out->request_finished)
				snprintf(out->decided_by, sizeof(out->decided_by), "%s", e.actor);
		}
	}
	return eng_end(&e, rc);
}

/* ------------------------------------------------------------ cancel */

int
hub_engine_cancel(struct hub_db *db, const char *request_id, const struct hub_actor *actor,
    const char *reason, struct hub_outcome *out)
{
	struct hub_outcome local;
	struct locked l;
	struct eng e;
	const char *p[4];
	int rc;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if (eng_init(&e, db, actor) != 0)
		return HUB_ENGINE_INVALID;
	if (!hub_check_uuid(request_id))
		return HUB_ENGINE_NOTFOUND;
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	if ((rc = lock_request(&e, request_id, &l, out)) != HUB_ENGINE_OK)
		goto out;
	if (strcmp(l.status, "Pending") != 0) {
		rc = HUB_ENGINE_CONFLICT;
		goto out;
	}
	p[0] = request_id;
	p[1] = "Cancelled";
	p[2] = e.actor;
	p[3] = reason;
	if ((rc = q(&e, ST_REQ_DECIDED, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = close_open(&e, request_id, "cancelled")) != HUB_ENGINE_OK ||
	    (rc = audit_kv(&e, request_id, "request.cancelled", NULL, 0, "reason", reason)) !=
	    HUB_ENGINE_OK ||
	    (rc = finish(&e, request_id, "decision", 1)) != HUB_ENGINE_OK ||
	    (rc = outcome_fill(&e, request_id, out, 1)) != HUB_ENGINE_OK)
		goto out;
	out->request_finished = 1;
out:
	return eng_end(&e, rc);
}

/* ------------------------------------------------------------ reassign */

/* The request locked and Pending; the pending assignment of fk/fv in
 * its active step (*old_id, *step_id) and the step's position (*pos). */
static int
reassign_from(struct eng *e, const char *req, const char *fk, const char *fv,
    int64_t *pos, int64_t *old_id, int64_t *step_id, struct hub_engine_error *err)
{
	struct hub_outcome o;
	struct locked l;
	const char *p[3] = { req, fk, fv };
	PGresult *r = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = lock_request(e, req, &l, &o)) != HUB_ENGINE_OK)
		return rc;
	if (strcmp(l.status, "Pending") != 0) {
		set_err(err, "", "request is not pending");
		return HUB_ENGINE_CONFLICT;
	}
	*pos = l.step;
	if ((rc = q(e, ST_REASSIGN_FIND, p, &r)) != HUB_ENGINE_OK)
		return rc;
	if (PQntuples(r) != 1) {
		rc = HUB_ENGINE_NOT_APPROVER;
		set_err(err, "from", "not a pending approver of the active step");
	} else if (cell_i64(r, 0, 0, old_id) != 0 || cell_i64(r, 0, 1, step_id) != 0)
		rc = HUB_ENGINE_DB;
	PQclear(r);
	return rc;
}

/* The old assignment (ob) marked reassigned with its delegates skipped,
 * the new one (tk/tv) in the same step: *new_id. */
static int
reassign_to(struct eng *e, const char *req, const char *ob, int64_t step_id,
    const char *tk, const char *tv, int64_t *new_id, struct hub_engine_error *err)
{
	char sb[24], nb[24];
	const char *p[4] = { ob, NULL, NULL, NULL };
	PGresult *r = NULL;
	int rc;

	if ((rc = q(e, ST_ASG_REASSIGNED, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = q(e, ST_ASG_SKIP_DELEGATES, p, NULL)) != HUB_ENGINE_OK)
		return rc;
	snprintf(sb, sizeof(sb), "%lld", (long long)step_id);
	p[0] = req;
	p[1] = sb;
	p[2] = tk;
	p[3] = tv;
	if ((rc = q(e, ST_ASG_INSERT, p, &r)) != HUB_ENGINE_OK)
		return rc;
	if (PQntuples(r) != 1) {
		rc = HUB_ENGINE_INVALID;
		set_err(err, "to", "already an approver of this step");
	} else if (cell_i64(r, 0, 0, new_id) != 0)
		rc = HUB_ENGINE_DB;
	PQclear(r);
	if (rc != HUB_ENGINE_OK)
		return rc;
	snprintf(nb, sizeof(nb), "%lld", (long long)*new_id);
	p[0] = ob;
	p[1] = nb;
	return q(e, ST_ASG_REASSIGNED_TO, p, NULL);
}

static int
reassign_tx(struct eng *e, const char *req, const char *fk, const char *fv, const char *tk,
    const char *tv, struct hub_engine_error *err)
{
	json_object *d = NULL;
	char ob[24];
	int64_t pos, old_id, step_id, new_id;
	int rc;

	if ((rc = reassign_from(e, req, fk, fv, &pos, &old_id, &step_id, err)) !=
	    HUB_ENGINE_OK)
		return rc;
	snprintf(ob, sizeof(ob), "%lld", (long long)old_id);
	if ((rc = reassign_to(e, req, ob, step_id, tk, tv, &new_id, err)) != HUB_ENGINE_OK ||
	    (rc = add_delegates(e, req, step_id, new_id)) != HUB_ENGINE_OK ||
	    (rc = notify(e, req, "approver_removed", old_id, (int)pos, NULL, 1)) !=
	    HUB_ENGINE_OK ||
	    (rc = notify_step(e, req, step_id, (int)pos, new_id, "approver_added")) !=
	    HUB_ENGINE_OK)
		return rc;
	rc = HUB_ENGINE_DB;
	if ((d = json_object_new_object()) == NULL ||
	    jadd(d, "assignment_id", json_object_new_int64(old_id)) != 0 ||
	    jadd(d, "new_assignment_id", json_object_new_int64(new_id)) != 0 ||
	    jadd_str(d, "from_kind", fk) != 0 || jadd_str(d, "from", fv) != 0 ||
	    jadd_str(d, "to_kind", tk) != 0 || jadd_str(d, "to", tv) != 0)
		goto out;
	if ((rc = audit(e, req, "approver.reassigned", d)) == HUB_ENGINE_OK)
		rc = sync_job(e, req);
out:
	json_object_put(d);
	return rc;
}

static int
approver_kind_ok(const char *k)
{
	return k != NULL && (strcmp(k, "slack") == 0 || strcmp(k, "email") == 0);
}

int
hub_engine_reassign(struct hub_db *db, const char *request_id, const char *from_kind,
    const char *from_value, const char *to_kind, const char *to_value,
    const struct hub_actor *actor, struct hub_engine_error *err)
{
	struct eng e;
	int rc;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (eng_init(&e, db, actor) != 0) {
		set_err(err, "actor", "unknown actor");
		return HUB_ENGINE_INVALID;
	}
	if (!hub_check_uuid(request_id))
		return HUB_ENGINE_NOTFOUND;
	if (!approver_kind_ok(from_kind) || from_value == NULL || *from_value == '\0') {
		set_err(err, "from", "a slack or email approver");
		return HUB_ENGINE_INVALID;
	}
	if (!approver_kind_ok(to_kind) || to_value == NULL || *to_value == '\0' ||
	    strlen(to_value) > 320) {
		set_err(err, "to", "a slack or email approver");
		return HUB_ENGINE_INVALID;
	}
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	rc = reassign_tx(&e, request_id, from_kind, from_value, to_kind, to_value, err);
	return eng_end(&e, rc);
}

/* ------------------------------------------------------------ reminders */

/* Remind the given assignments (rows of r, column 0); audit them. */
static int
remind_rows(struct eng *e, const char *req, PGresult *r, const char *kind, long long gen,
    int *n)
{
	json_object *d = NULL, *ids = NULL;
	int64_t id;
	int i, rc = HUB_ENGINE_DB;

	*n = 0;
	if ((ids = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		if (cell_i64(r, i, 0, &id) != 0 ||
		    json_object_array_add(ids, json_object_new_int64(id)) != 0)
			goto out;
		if ((rc = notify(e, req, kind, id, 0, NULL, gen)) != HUB_ENGINE_OK)
			goto out;
		rc = HUB_ENGINE_DB;
	}
	*n = PQntuples(r);
	if (*n == 0) {
		rc = HUB_ENGINE_OK;
		goto out;
	}
	if ((d = json_object_new_object()) == NULL ||
	    jadd_str(d, "kind", kind) != 0 ||
	    json_object_object_add(d, "assignment_ids", ids) != 0)
		goto out;
	ids = NULL;
	rc = audit(e, req, "request.reminded", d);
out:
	json_object_put(ids);
	json_object_put(d);
	return rc;
}

int
hub_engine_remind(struct hub_db *db, const char *request_id, const struct hub_actor *actor,
    int *reminded)
{
	struct hub_outcome o;
	struct locked l;
	struct eng e;
	const char *p[1] = { request_id };
	PGresult *r = NULL;
	int n = 0, rc;

	if (reminded != NULL)
		*reminded = 0;
	if (eng_init(&e, db, actor) != 0)
		return HUB_ENGINE_INVALID;
	if (!hub_check_uuid(request_id))
		return HUB_ENGINE_NOTFOUND;
	memset(&o, 0, sizeof(o));
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	if ((rc = lock_request(&e, request_id, &l, &o)) != HUB_ENGINE_OK)
		goto out;
	if (strcmp(l.status, "Pending") != 0) {
		rc = HUB_ENGINE_CONFLICT;
		goto out;
	}
	if ((rc = q(&e, ST_ACTIVE_PENDING, p, &r)) != HUB_ENGINE_OK)
		goto out;
	rc = remind_rows(&e, request_id, r, "manual_reminder", (long long)e.now, &n);
out:
	PQclear(r);
	rc = eng_end(&e, rc);
	if (rc == HUB_ENGINE_OK && reminded != NULL)
		*reminded = n;
	return rc;
}

int
hub_engine_snooze(struct hub_db *db, const char *request_id, const char *option,
    const struct hub_actor *actor, char until[HUB_ENGINE_TIME_LEN])
{
	struct eng e;
	const char *p[4];
	PGresult *r = NULL;
	json_object *d = NULL, *ids = NULL;
	int64_t id;
	int i, rc;

	until[0] = '\0';
	if (eng_init(&e, db, actor) != 0 || option == NULL ||
	    (strcmp(option, "1h") != 0 && strcmp(option, "tomorrow") != 0))
		return HUB_ENGINE_INVALID;
	if (!hub_check_uuid(request_id))
		return HUB_ENGINE_NOTFOUND;
	p[0] = request_id;
	p[1] = option;
	p[2] = e.kind;
	p[3] = e.id;
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	if ((rc = q(&e, ST_SNOOZE, p, &r)) != HUB_ENGINE_OK)
		goto out;
	if (PQntuples(r) == 0) {
		rc = HUB_ENGINE_CONFLICT;
		goto out;
	}
	snprintf(until, HUB_ENGINE_TIME_LEN, "%s", PQgetvalue(r, 0, 1));
	rc = HUB_ENGINE_DB;
	if ((d = json_object_new_object()) == NULL || jadd_str(d, "option", option) != 0 ||
	    jadd_str(d, "until", until) != 0 || (ids = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		if (cell_i64(r, i, 0, &id) != 0 ||
		    json_object_array_add(ids, json_object_new_int64(id)) != 0)
			goto out;
	if (jadd(d, "assignment_ids", ids) != 0) {
		ids = NULL;
		goto out;
	}
	ids = NULL;
	rc = audit(&e, request_id, "request.snoozed", d);
out:
	json_object_put(ids);
	json_object_put(d);
	PQclear(r);
	rc = eng_end(&e, rc);
	if (rc != HUB_ENGINE_OK)
		until[0] = '\0';
	return rc;
}

/* ------------------------------------------------------------ sweeps */

typedef int (*sweep_fn)(struct eng *, const char *req, const PGresult *pick, int row);

static int
sweep(struct hub_db *db, int pick, int limit, sweep_fn fn, int *count)
{
	struct eng e;
	char lb[16];
	const char *p[1] = { lb };
	PGresult *r = NULL;
	int i, rc;

	if (count != NULL)
		*count = 0;
	if (limit <= 0)
		return HUB_ENGINE_INVALID;
	(void)eng_init(&e, db, &eng_worker_actor);
	snprintf(lb, sizeof(lb), "%d", limit);
	if ((rc = eng_dberr(hub_db_begin(db))) != HUB_ENGINE_OK)
		return rc;
	if ((rc = q(&e, pick, p, &r)) != HUB_ENGINE_OK)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		if ((rc = fn(&e, PQgetvalue(r, i, 0), r, i)) != HUB_ENGINE_OK)
			goto out;
out:
	i = PQntuples(r);
	PQclear(r);
	rc = eng_end(&e, rc);
	if (rc == HUB_ENGINE_OK && count != NULL)
		*count = i;
	return rc;
}

static int
expire_one(struct eng *e, const char *req, const PGresult *pick, int row)
{
	const char *p[1] = { req };
	int rc;

	(void)pick;
	(void)row;
	if ((rc = q(e, ST_REQ_EXPIRE, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = close_open(e, req, "expired")) != HUB_ENGINE_OK ||
	    (rc = audit(e, req, "request.expired", NULL)) != HUB_ENGINE_OK)
		return rc;
	return finish(e, req, "deadline_expired", 1);
}

static int
lapse_one(struct eng *e, const char *req, const PGresult *pick, int row)
{
	const char *p[1] = { req };
	int rc;

	(void)pick;
	(void)row;
	if ((rc = q(e, ST_REQ_LAPSE, p, NULL)) != HUB_ENGINE_OK ||
	    (rc = audit(e, req, "request.lapsed", NULL)) != HUB_ENGINE_OK)
		return rc;
	return finish(e, req, NULL, 0);
}

static int
remind_one(struct eng *e, const char *req, const PGresult *pick, int row)
{
	const char *p[1] = { req };
	PGresult *r = NULL;
	int64_t gen;
	int n, rc;

	if (cell_i64(pick, row, 1, &gen) != 0)
		return HUB_ENGINE_DB;
	if ((rc = q(e, ST_REMIND_TARGETS, p, &r)) != HUB_ENGINE_OK)
		goto out;
	if ((rc = remind_rows(e, req, r, "reminder", (long long)gen, &n)) != HUB_ENGINE_OK)
		goto out;
	rc = q(e, ST_REMIND_NEXT, p, NULL);
out:
	PQclear(r);
	return rc;
}

static int
expire_due(struct hub_db *db, int limit, int *count)
{
	return sweep(db, ST_EXPIRE_PICK, limit, expire_one, count);
}

static int
remind_due(struct hub_db *db, int limit, int *count)
{
	return sweep(db, ST_REMIND_PICK, limit, remind_one, count);
}

static int
lapse_due(struct hub_db *db, int limit, int *count)
{
	return sweep(db, ST_LAPSE_PICK, limit, lapse_one, count);
}

const char *
hub_engine_strerror(int e)
{
	static const char *const msgs[] = {
		[HUB_ENGINE_OK] = "ok",
		[HUB_ENGINE_DB] = "database error",
		[HUB_ENGINE_UNAVAILABLE] = "database unavailable",
		[HUB_ENGINE_INVALID] = "invalid input",
		[HUB_ENGINE_NOTFOUND] = "no such request",
		[HUB_ENGINE_NOT_APPROVER] = "not an approver of this request",
		[HUB_ENGINE_ALREADY_DECIDED] = "already decided",
		[HUB_ENGINE_CLOSED] = "request is closed",
		[HUB_ENGINE_SELF_APPROVAL] = "requesters cannot approve their own request",
		[HUB_ENGINE_REASON_REQUIRED] = "a reason is required to reject",
		[HUB_ENGINE_CONFLICT] = "conflict with the request's state",
		[HUB_ENGINE_IDEMPOTENCY] = "Idempotency-Key reused with a different body",
	};

	if (e < 0 || (size_t)e >= HUB_NELEM(msgs) || msgs[e] == NULL)
		return "unknown error";
	return msgs[e];
}

/* ------------------------------------------------------------ the sweep */

/* Requests per call, and calls per sweep so a backlog cannot starve the
 * job queue. */
#define ENG_SWEEP_BATCH		100
#define ENG_SWEEP_MAX_ROUNDS	10

static const struct {
	const char	*name;      /* log key */
	int		(*run)(struct hub_db *, int limit, int *count);
} eng_sweeps[] = {
	{ "expired",  expire_due },
	{ "reminded", remind_due },
	{ "lapsed",   lapse_due },
};

/*
 * Expire, remind, lapse.  Each runs in batches until a batch comes back
 * short (or ENG_SWEEP_MAX_ROUNDS, the rest waits for the next sweep);
 * every batch is its own transaction, so other workers sweeping at the
 * same time take other rows.
 */
int
hub_engine_sweep(struct hub_job_env *env)
{
	_Static_assert(HUB_NELEM(eng_sweeps) == 3, "the log line below names three counts");
	char counts[HUB_NELEM(eng_sweeps)][16];
	int total[HUB_NELEM(eng_sweeps)], any = 0, down = 0, n, rc, round;
	size_t i;

	for (i = 0; i < HUB_NELEM(eng_sweeps); i++) {
		total[i] = 0;
		for (round = 0; round < ENG_SWEEP_MAX_ROUNDS && !*env->stop; round++) {
			n = 0;
			rc = eng_sweeps[i].run(env->db, ENG_SWEEP_BATCH, &n);
			if (rc == HUB_ENGINE_UNAVAILABLE) {
				down = 1;
				break;
			}
			if (rc != HUB_ENGINE_OK) {
				hub_log(HUB_LOG_ERROR, "sweep_failed", "sweep", eng_sweeps[i].name,
				    "error", hub_engine_strerror(rc), NULL);
				break;
			}
			total[i] += n;
			if (n < ENG_SWEEP_BATCH)
				break;
		}
		snprintf(counts[i], sizeof(counts[i]), "%d", total[i]);
		any |= total[i] > 0;
	}
	if (any)
		hub_log(HUB_LOG_INFO, "sweep", eng_sweeps[0].name, counts[0], eng_sweeps[1].name,
		    counts[1], eng_sweeps[2].name, counts[2], NULL);
	return down ? HUB_JOB_SWEEP_DB_DOWN : HUB_JOB_SWEEP_OK;
}
