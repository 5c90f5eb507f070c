-- list-load.sql - 1 000 000 requests for t/bench/list, in a few set-based
-- statements (psql -v n=1000000 -f list-load.sql).
--
-- Shape: 20 sources; 5 000 approvers with a skewed share (approver k is
-- picked with probability ~ 1/sqrt(k): the busiest has ~1.4 % of the
-- requests, the median one ~0.01 %); one approver of five is an email
-- address, the rest Slack user ids; created_at spread over a year; ~5 %
-- Pending (half of the last 30 days, 1 % of older ones), the rest decided
-- (Approved 80 %, Rejected 12 %, Cancelled 4 %, Expired 4 %); one step and
-- 1 to 3 assignments each (80/15/5 %).  Titles and justifications add
-- words from a vocabulary of 3 000 made-up words with a skewed share
-- (word k ~ 1/sqrt(k)), so a search (t/bench/search) meets common and
-- rare words as it would in real text.  Triggers do not run here
-- (session_replication_role = replica): every column they would fill
-- (assignments.request_created_at) is written explicitly.
--
-- Secondary indexes are dropped during the load and rebuilt from their own
-- definitions (pg_get_indexdef), and foreign-key triggers are skipped
-- (session_replication_role = replica): the rows are consistent by
-- construction and the result is the schema the migrations made.
\set ON_ERROR_STOP on
SET session_replication_role = replica;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';

CREATE TEMP TABLE bench_idx AS
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid IN ('requests'::regclass, 'request_steps'::regclass,
                      'assignments'::regclass)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT name FROM bench_idx LOOP
		EXECUTE format('DROP INDEX %I', r.name);
	END LOOP;
END
$$;

INSERT INTO sources (name, description)
SELECT 'bench-source-' || lpad(g::text, 2, '0'), 'list benchmark'
  FROM generate_series(1, 20) g
    ON CONFLICT (name) DO NOTHING;

CREATE TEMP TABLE bench_gen AS
SELECT g,
       gen_random_uuid() AS id,
       1 + (g % 20) AS src,
       age,
       now() - age * interval '1 day' AS created,
       CASE WHEN (age < 30 AND r1 < 0.5) OR (age >= 30 AND r1 < 0.01) THEN 'Pending'
            WHEN r2 < 0.80 THEN 'Approved'
            WHEN r2 < 0.92 THEN 'Rejected'
            WHEN r2 < 0.96 THEN 'Cancelled'
            ELSE 'Expired' END AS status,
       least(5000, 1 + floor(5000 * power(r3, 2))::int) AS ap,
       CASE WHEN r4 < 0.80 THEN 1 WHEN r4 < 0.95 THEN 2 ELSE 3 END AS napp,
       (r5 * 490000)::int + 2000 AS cents,
       ARRAY[1 + floor(2999 * power(random(), 2))::int, 1 + floor(2999 * power(random(), 2))::int,
             1 + floor(2999 * power(random(), 2))::int, 1 + floor(2999 * power(random(), 2))::int,
             1 + floor(2999 * power(random(), 2))::int] AS words
  FROM (SELECT g, random() * 365 AS age, random() AS r1, random() AS r2,
               random() AS r3, random() AS r4, random() AS r5
          FROM generate_series(1, :n) g) x;

-- The vocabulary: word k is three syllables picked by k's digits in base 20.
CREATE TEMP TABLE bench_words AS
SELECT array_agg(s[1 + k % 20] || s[1 + (k / 20) % 20] || s[1 + (k / 400) % 20] ORDER BY k) AS w
  FROM generate_series(0, 2999) k,
       (SELECT ARRAY['ka', 'lo', 'ten', 'mi', 'ra', 'sol', 'berg', 'vik', 'nor', 'dal',
                     'fjor', 'hav', 'lin', 'tor', 'sen', 'ek', 'ul', 'va', 'rin', 'mar'] AS s) x;

INSERT INTO requests (id, source_id, external_id, title, requester_name,
    requester_email, justification, metadata, status, created_at, updated_at,
    decided_at, decided_by)
SELECT b.id, s.id, 'LIST-' || b.g,
       (ARRAY['Expense report', 'Time off request', 'Deal approval', 'Access request'])[1 + b.g % 4]
         || ' from ' || (ARRAY['Ana Lopez', 'Bruno Silva', 'Chen Wei', 'Dana Cohen', 'Eve Martin',
                               'Farid Haddad', 'Grace Kim', 'Hugo Blanc'])[1 + b.g % 8]
         || ' ' || v.w[b.words[1]] || ' ' || v.w[b.words[2]],
       (ARRAY['Ana Lopez', 'Bruno Silva', 'Chen Wei', 'Dana Cohen', 'Eve Martin',
              'Farid Haddad', 'Grace Kim', 'Hugo Blanc'])[1 + b.g % 8],
       'requester' || (b.g % 20000) || '@example.com',
       (ARRAY['Customer workshop: flights and two nights',
              'Quarterly planning offsite',
              'Renewal with a 12 % discount for a three-year term',
              'Read access to the finance warehouse'])[1 + b.g % 4]
         || ' ' || v.w[b.words[3]] || ' ' || v.w[b.words[4]] || ' ' || v.w[b.words[5]],
       jsonb_build_object('amount', b.cents / 100.0, 'currency', 'USD',
                          'category', (ARRAY['Travel', 'Meals', 'Lodging', 'Software'])[1 + b.g % 4]),
       b.status, b.created, b.created,
       CASE WHEN b.status <> 'Pending' THEN b.created + interval '5 hours' END,
       CASE WHEN b.status IN ('Approved', 'Rejected') THEN 'U' || lpad(b.ap::text, 8, '0') END
  FROM bench_gen b CROSS JOIN bench_words v
  JOIN sources s ON s.name = 'bench-source-' || lpad(b.src::text, 2, '0');

-- One step per request; its id is the row number.
INSERT INTO request_steps (id, request_id, position, rule, status, started_at, decided_at)
SELECT b.g, b.id, 1, 'any',
       CASE b.status WHEN 'Pending' THEN 'active' WHEN 'Approved' THEN 'approved'
            WHEN 'Rejected' THEN 'rejected' WHEN 'Cancelled' THEN 'cancelled'
            ELSE 'expired' END,
       b.created,
       CASE WHEN b.status <> 'Pending' THEN b.created + interval '5 hours' END
  FROM bench_gen b;
SELECT setval(pg_get_serial_sequence('request_steps', 'id'), (SELECT max(id) FROM request_steps));

-- Approver k of a request: the skewed one, then others at offsets
-- 1637..3136 and 3274..4773 (never the same person twice on a step).
-- Approvers k % 5 = 0 are email addresses.
INSERT INTO assignments (request_id, step_id, approver_kind, approver_value,
    slack_user_id, status, decided_by, decided_at, created_at, request_created_at)
SELECT b.id, b.g,
       CASE WHEN a.who % 5 = 0 THEN 'email' ELSE 'slack' END,
       CASE WHEN a.who % 5 = 0 THEN 'approver' || a.who || '@example.com'
            ELSE 'U' || lpad(a.who::text, 8, '0') END,
       CASE WHEN a.who % 5 = 0 THEN NULL ELSE 'U' || lpad(a.who::text, 8, '0') END,
       CASE WHEN b.status = 'Pending' THEN 'pending'
            WHEN a.k = 1 AND b.status = 'Approved' THEN 'approved'
            WHEN a.k = 1 AND b.status = 'Rejected' THEN 'rejected'
            ELSE 'skipped' END,
       CASE WHEN a.k = 1 AND b.status IN ('Approved', 'Rejected') THEN 'U' || lpad(a.who::text, 8, '0') END,
       CASE WHEN b.status <> 'Pending' THEN b.created + interval '5 hours' END,
       b.created, b.created
  FROM bench_gen b
  CROSS JOIN LATERAL (SELECT k, CASE WHEN k = 1 THEN b.ap
                                     ELSE 1 + (b.ap - 1 + (k - 1) * 1637 + b.g % 1500) % 5000 END AS who
                        FROM generate_series(1, b.napp) k) a;

DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT def FROM bench_idx LOOP
		EXECUTE r.def;
	END LOOP;
END
$$;
RESET session_replication_role;
-- The words requests are made of, which the requests_words trigger would
-- have kept (migration 0026): close spellings are corrected against them.
INSERT INTO search_words (word)
SELECT DISTINCT v FROM requests r,
    hub_search_vocabulary(r.search_text || ' ' || left(r.justification, 1000)) v
ON CONFLICT DO NOTHING;
VACUUM ANALYZE search_words;
VACUUM ANALYZE requests;
VACUUM ANALYZE request_steps;
VACUUM ANALYZE assignments;
VACUUM ANALYZE sources;
