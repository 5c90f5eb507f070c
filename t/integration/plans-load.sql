-- plans-load.sql - a grown hub for t/integration/test_plans.py: :n
-- requests, each with a step, two assignments (one in a hundred with a
-- delegate), two jobs with an attempt each, a delivery, a sent message,
-- two audit rows, an event seen and an embedding; a session per ten
-- requests.  Most requests are decided and most jobs done, as on a hub
-- that has run for a while.  Deterministic (no random()), so plans are the same each run.
--
-- Loaded as a replica session: no triggers and no foreign-key checks, the
-- rows are consistent by construction.  ANALYZE at the end gives the
-- planner the statistics a running hub's autovacuum would.
\set ON_ERROR_STOP 1
-- Rows are spread over the same 120 days whatever :n, so the share of
-- rows older than a day (what the cleanups read) does not depend on it.
\set span 10368000.0
SET session_replication_role = replica;
SET synchronous_commit = off;
SET maintenance_work_mem = '128MB';

BEGIN;
-- Secondary indexes are dropped for the load and built again from their
-- own definitions at the end: building one is several times faster than
-- updating it row by row, and the schema ends as the migrations made it.
CREATE TEMP TABLE plans_idx AS
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = ANY (ARRAY['requests', 'request_steps', 'assignments', 'jobs',
    'job_attempts', 'delivery_log', 'sent_messages', 'audit_log',
    'slack_events_seen', 'sessions', 'request_embeddings']::regclass[])
AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT name FROM plans_idx LOOP
		EXECUTE format('DROP INDEX %I', r.name);
	END LOOP;
END
$$;

INSERT INTO slack_connections (id, name, type, team_id, bot_token_enc, is_default)
VALUES ('00000000-0000-0000-0000-00000000c001', 'plans', 'SLACK_APP', 'TPLANS',
    'x', true);

INSERT INTO sources (id, name)
SELECT ('00000000-0000-0000-0000-0000000005' || lpad(s::text, 2, '0'))::uuid,
    'plans-source-' || s
FROM generate_series(1, 10) s;

INSERT INTO users (id, name, email, slack_team_id, slack_user_id, role)
SELECT ('00000000-0000-0000-0001-' || lpad(u::text, 12, '0'))::uuid,
    'user ' || u, 'user' || u || '@plans.example', 'TPLANS', 'UP' || u,
    CASE WHEN u % 50 = 0 THEN 'admin' ELSE 'requester' END
FROM generate_series(1, 5000) u;

INSERT INTO requests (id, source_id, external_id, title, requester_name,
    requester_email, requester_slack_id, justification, metadata, status,
    deadline, reminder_every, next_reminder_at, valid_for, valid_until,
    connection_id, created_at, updated_at, decided_at, decided_by)
SELECT md5('r' || i)::uuid,
    ('00000000-0000-0000-0000-0000000005' || lpad((1 + i % 10)::text, 2, '0'))::uuid,
    'ext-' || i, 'Request ' || i, 'requester ' || (i % 5000),
    'user' || (i % 5000) || '@plans.example', 'UP' || (i % 5000),
    'needed for work ' || (i % 1000), jsonb_build_object('n', i % 100),
    CASE WHEN i % 20 = 0 THEN 'Pending' WHEN i % 7 = 0 THEN 'Rejected'
        ELSE 'Approved' END,
    CASE WHEN i % 20 = 0 THEN now() + interval '1 day' END,
    CASE WHEN i % 40 = 0 THEN interval '1 hour' END,
    CASE WHEN i % 40 = 0 THEN now() + interval '1 hour' END,
    CASE WHEN i % 100 = 1 THEN interval '30 days' END,
    CASE WHEN i % 100 = 1 THEN now() + interval '30 days' END,
    '00000000-0000-0000-0000-00000000c001',
    now() - make_interval(secs => (:n - i) * :span / :n), now() - make_interval(secs => (:n - i) * :span / :n),
    CASE WHEN i % 20 <> 0 THEN now() - make_interval(secs => (:n - i) * :span / :n) END,
    CASE WHEN i % 20 <> 0 THEN 'UP' || (i % 4999 + 1) END
FROM generate_series(1, :n) i;

INSERT INTO request_steps (id, request_id, position, rule, status, started_at, decided_at)
SELECT i, md5('r' || i)::uuid, 1, 'any',
    CASE WHEN i % 20 = 0 THEN 'active' WHEN i % 7 = 0 THEN 'rejected'
        ELSE 'approved' END,
    now() - make_interval(secs => (:n - i) * :span / :n),
    CASE WHEN i % 20 <> 0 THEN now() - make_interval(secs => (:n - i) * :span / :n) END
FROM generate_series(1, :n) i;

-- Assignment 2i-1 is the approver, 2i a second approver, or for one
-- request in a hundred the first approver's delegate.
INSERT INTO assignments (id, request_id, step_id, approver_kind, approver_value,
    slack_user_id, status, decided_by, decided_at, delegate_of, request_created_at,
    created_at)
SELECT 2 * i - 1 + k, md5('r' || i)::uuid, i, 'slack',
    'UP' || ((i + k * 7) % 4999 + 1), 'UP' || ((i + k * 7) % 4999 + 1),
    CASE WHEN i % 20 = 0 THEN 'pending' WHEN k = 1 THEN 'skipped'
        WHEN i % 7 = 0 THEN 'rejected' ELSE 'approved' END,
    CASE WHEN i % 20 <> 0 AND k = 0 THEN 'UP' || (i % 4999 + 1) END,
    CASE WHEN i % 20 <> 0 THEN now() - make_interval(secs => (:n - i) * :span / :n) END,
    CASE WHEN k = 1 AND i % 100 = 0 THEN 2 * i - 1 END,
    now() - make_interval(secs => (:n - i) * :span / :n), now() - make_interval(secs => (:n - i) * :span / :n)
FROM generate_series(1, :n) i, generate_series(0, 1) k;

-- Job 2i-1 delivered the call for action, 2i the callback; the newest
-- requests' jobs are still queued.
INSERT INTO jobs (id, kind, payload, dedupe_key, state, run_at, attempts,
    created_at, updated_at)
SELECT 2 * i - 1 + k, CASE k WHEN 0 THEN 'notify' ELSE 'callback' END,
    jsonb_build_object('request_id', md5('r' || i)::uuid, 'assignment_id', 2 * i - 1),
    CASE k WHEN 0 THEN 'notify:' ELSE 'callback:' END || (2 * i - 1),
    CASE WHEN i > :n - 50 THEN 'queued' ELSE 'done' END,
    now() - make_interval(secs => (:n - i) * :span / :n), 1,
    now() - make_interval(secs => (:n - i) * :span / :n), now() - make_interval(secs => (:n - i) * :span / :n)
FROM generate_series(1, :n) i, generate_series(0, 1) k;

INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, ok)
SELECT j, 1, 'plans', now() - make_interval(secs => (:n - (j + 1) / 2) * :span / :n),
    now() - make_interval(secs => (:n - (j + 1) / 2) * :span / :n), true
FROM generate_series(1, 2 * :n - 100) j;

INSERT INTO delivery_log (id, request_id, job_id, connection_id, kind, transport,
    channel, recipient, status, delivery_key, assignment_id, ts, created_at, updated_at)
SELECT i, md5('r' || i)::uuid, 2 * i - 1, '00000000-0000-0000-0000-00000000c001',
    'call_for_action', 'slack', 'DP' || (i % 4999 + 1), 'UP' || (i % 4999 + 1),
    CASE WHEN i % 500 = 0 THEN 'failed' ELSE 'delivered' END,
    'cfa:' || (2 * i - 1), 2 * i - 1, i || '.000100',
    now() - make_interval(secs => (:n - i) * :span / :n), now() - make_interval(secs => (:n - i) * :span / :n)
FROM generate_series(1, :n) i;

INSERT INTO sent_messages (id, request_id, assignment_id, connection_id, channel,
    ts, kind, shown_hash, synced_at, created_at, updated_at)
SELECT i, md5('r' || i)::uuid, 2 * i - 1, '00000000-0000-0000-0000-00000000c001',
    'DP' || (i % 4999 + 1), i || '.000100', 'call_for_action', md5('shown' || i) || md5('h' || i),
    now() - make_interval(secs => (:n - i) * :span / :n),
    now() - make_interval(secs => (:n - i) * :span / :n), now() - make_interval(secs => (:n - i) * :span / :n)
FROM generate_series(1, :n) i;

INSERT INTO audit_log (id, request_id, actor, action, via, at)
SELECT 2 * i - 1 + k, md5('r' || i)::uuid, 'UP' || (i % 4999 + 1),
    CASE k WHEN 0 THEN 'request.created' ELSE 'request.approved' END,
    CASE k WHEN 0 THEN 'api' ELSE 'slack' END,
    now() - make_interval(secs => (:n - i) * :span / :n)
FROM generate_series(1, :n) i, generate_series(0, 1) k;

INSERT INTO slack_events_seen (event_id, team_id, seen_at)
SELECT 'EvP' || i, 'TPLANS', now() - make_interval(secs => (:n - i) * :span / :n)
FROM generate_series(1, :n) i;

-- Every request embedded (semantic search), as `approvalhub embed
-- --missing` leaves a hub; 16 dimensions stand in for a model's hundreds.
INSERT INTO request_embeddings (request_id, source_id, request_created_at, model, embedding)
SELECT md5('r' || i)::uuid,
    ('00000000-0000-0000-0000-0000000005' || lpad((1 + i % 10)::text, 2, '0'))::uuid,
    now() - make_interval(secs => (:n - i) * :span / :n), 'plans-embed',
    ARRAY(SELECT ((i * k) % 97 / 97.0)::real FROM generate_series(1, 16) k)
FROM generate_series(1, :n) i;

INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
SELECT md5('s' || i), ('00000000-0000-0000-0001-' || lpad((i % 5000 + 1)::text, 12, '0'))::uuid,
    md5('c' || i), now() - make_interval(secs => (:n - i * 10) * :span / :n),
    now() - make_interval(secs => (:n - i * 10) * :span / :n),
    now() - make_interval(secs => (:n - i * 10) * :span / :n) + interval '12 hours'
FROM generate_series(1, :n / 10) i;

SELECT setval(pg_get_serial_sequence('request_steps', 'id'), :n + 1),
    setval(pg_get_serial_sequence('assignments', 'id'), 2 * :n + 1),
    setval(pg_get_serial_sequence('jobs', 'id'), 2 * :n + 1),
    setval(pg_get_serial_sequence('delivery_log', 'id'), :n + 1),
    setval(pg_get_serial_sequence('sent_messages', 'id'), :n + 1),
    setval(pg_get_serial_sequence('audit_log', 'id'), 2 * :n + 1);
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT def FROM plans_idx LOOP
		EXECUTE r.def;
	END LOOP;
END
$$;
COMMIT;

-- The words the requests_words trigger would have kept (0026).
INSERT INTO search_words (word)
SELECT DISTINCT v FROM requests r,
    hub_search_vocabulary(r.search_text || ' ' || left(r.justification, 1000)) v
ON CONFLICT DO NOTHING;

ANALYZE;
