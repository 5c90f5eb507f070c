-- cost-grow.sql - grow the hub t/bench/cost measures to :n requests
-- (psql -v n=N -v src=SOURCE_ID -v conn=CONNECTION_ID -f cost-grow.sql):
-- the requests missing, each decided, with its step, an assignment, a
-- finished notify job and its attempt, a delivery, a sent message and two
-- audit rows, as a hub that has run a while has them.  Set-based; the
-- triggers and foreign-key checks are skipped (replica session), the rows
-- are consistent by construction.  Then VACUUM ANALYZE.
\set ON_ERROR_STOP on
SET session_replication_role = replica;
SET synchronous_commit = off;
BEGIN;
CREATE TEMP TABLE grow ON COMMIT DROP AS
SELECT g AS i, gen_random_uuid() AS id,
    now() - interval '30 days' + make_interval(secs => g) AS at
FROM generate_series((SELECT count(*) FROM requests) + 1, :n) g;
INSERT INTO requests (id, source_id, external_id, title, requester_name,
    justification, status, connection_id, created_at, updated_at, decided_at, decided_by)
SELECT id, :'src', 'grow-' || i, 'Grown request ' || i, 'requester ' || (i % 5000),
    'grown', CASE WHEN i % 7 = 0 THEN 'Rejected' ELSE 'Approved' END, :'conn',
    at, at, at, 'UG' || (i % 5000)
FROM grow;
WITH st AS (
    INSERT INTO request_steps (request_id, position, rule, status, started_at, decided_at)
    SELECT id, 1, 'any', 'approved', at, at FROM grow RETURNING id, request_id),
asg AS (
    INSERT INTO assignments (request_id, step_id, approver_kind, approver_value,
        slack_user_id, status, decided_by, decided_at, request_created_at)
    SELECT g.id, st.id, 'slack', 'UG' || (g.i % 5000), 'UG' || (g.i % 5000),
        'approved', 'UG' || (g.i % 5000), g.at, g.at
    FROM grow g JOIN st ON st.request_id = g.id RETURNING id, request_id),
jb AS (
    INSERT INTO jobs (kind, payload, state, attempts, created_at, updated_at)
    SELECT 'notify', jsonb_build_object('request_id', request_id, 'assignment_id', id),
        'done', 1, now() - interval '30 days', now() - interval '30 days'
    FROM asg RETURNING id, (payload->>'request_id')::uuid AS request_id,
        (payload->>'assignment_id')::bigint AS assignment_id),
att AS (
    INSERT INTO job_attempts (job_id, attempt, ok) SELECT id, 1, true FROM jb),
dl AS (
    INSERT INTO delivery_log (request_id, job_id, connection_id, kind, transport,
        channel, recipient, status, assignment_id, ts)
    SELECT request_id, id, :'conn', 'call_for_action', 'slack', 'DG', 'UG',
        'delivered', assignment_id, id || '.000100' FROM jb)
INSERT INTO sent_messages (request_id, assignment_id, connection_id, channel, ts, kind)
SELECT request_id, assignment_id, :'conn', 'DG', id || '.000100', 'call_for_action'
FROM jb;
INSERT INTO audit_log (request_id, actor, action, via, at)
SELECT id, 'grow', a, 'api', at FROM grow,
    unnest(ARRAY['request.created', 'request.approved']) a;
COMMIT;
-- Vacuumed now, so autovacuum does not run during the measurement.
VACUUM ANALYZE;
