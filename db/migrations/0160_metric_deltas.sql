-- 0160_metric_deltas: /metrics at a cost that does not grow with the data.
--
-- The scrape used to count every row of requests, jobs and delivery_log
-- (GROUP BY over the whole table), so a hub with a million requests read a
-- million rows every 15 s.  Now:
--
--   hub_requests{status}   kept as events happen: +1 when a request is
--       made, -1/+1 when its status changes, -1 when it is deleted;
--   hub_jobs_failed_total{kind}   a job gave up (new counter);
--   hub_jobs{kind,state}   only queued and running jobs (the live set,
--       read through the partial indexes jobs_due and jobs_lease);
--   hub_delivery_rows{transport,status}   only deliveries still moving
--       (queued, sending, retrying), through delivery_log_status_created.
--
-- Contention.  0007 added to a counter with an upsert on its row, which
-- holds that row's lock until the transaction commits: every transaction
-- that counts the same thing (every create would add to
-- hub_requests{status="Pending"}) would wait for the one before it.  Events
-- are now appended to metric_deltas instead (an insert into a heap with no
-- index: no row is shared, nothing waits, nothing can deadlock), and
-- folded into metric_counters by whoever reads them: the scrape, and the
-- worker's sweep so the table stays small without Prometheus
-- (lib/store/counters.c).  Readers see metric_counters + metric_deltas.
CREATE TABLE metric_deltas (
	name			text NOT NULL,
	labels			jsonb NOT NULL,
	delta			bigint NOT NULL
);

-- A gauge's rows go down as well as up; a fold adds a negative delta
-- (Pending -1 of a decision) to its row, which the upsert checks as a
-- proposed row of its own.  Counters (names ending _total) still only go
-- up: their deltas are all +1.
ALTER TABLE metric_counters DROP CONSTRAINT metric_counters_value_check;

CREATE OR REPLACE FUNCTION hub_counter_add(p_name text, p_labels jsonb, p_by bigint DEFAULT 1)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO metric_deltas (name, labels, delta) VALUES (p_name, p_labels, p_by);
$$;

-- ------------------------------------------------------------ hub_requests
-- Statement-level for inserts and deletes: a bulk load or a retention
-- delete adds one row per status, not one per request.
CREATE FUNCTION hub_requests_count_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO metric_deltas (name, labels, delta)
	SELECT 'hub_requests', jsonb_build_object('status', status), count(*)
	FROM hub_new GROUP BY status;
	RETURN NULL;
END
$$;
CREATE TRIGGER requests_count_insert AFTER INSERT ON requests
	REFERENCING NEW TABLE AS hub_new
	FOR EACH STATEMENT EXECUTE FUNCTION hub_requests_count_insert();

CREATE FUNCTION hub_requests_count_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO metric_deltas (name, labels, delta)
	SELECT 'hub_requests', jsonb_build_object('status', status), -count(*)
	FROM hub_old GROUP BY status;
	RETURN NULL;
END
$$;
CREATE TRIGGER requests_count_delete AFTER DELETE ON requests
	REFERENCING OLD TABLE AS hub_old
	FOR EACH STATEMENT EXECUTE FUNCTION hub_requests_count_delete();

-- Row-level for status changes: the WHEN clause keeps every other update
-- of a request (reminders, AI summary, touch) free of it.
CREATE FUNCTION hub_requests_count_status() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO metric_deltas (name, labels, delta) VALUES
	    ('hub_requests', jsonb_build_object('status', OLD.status), -1),
	    ('hub_requests', jsonb_build_object('status', NEW.status), 1);
	RETURN NULL;
END
$$;
CREATE TRIGGER requests_count_status AFTER UPDATE OF status ON requests
	FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
	EXECUTE FUNCTION hub_requests_count_status();

CREATE FUNCTION hub_requests_count_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM metric_deltas WHERE name = 'hub_requests';
	DELETE FROM metric_counters WHERE name = 'hub_requests';
	RETURN NULL;
END
$$;
CREATE TRIGGER requests_count_truncate AFTER TRUNCATE ON requests
	FOR EACH STATEMENT EXECUTE FUNCTION hub_requests_count_truncate();

-- ------------------------------------------------------------ hub_jobs_failed_total
CREATE FUNCTION hub_jobs_count_failed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM hub_counter_add('hub_jobs_failed_total', jsonb_build_object('kind', NEW.kind));
	RETURN NULL;
END
$$;
CREATE TRIGGER jobs_count_failed AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.state = 'failed' AND OLD.state IS DISTINCT FROM 'failed')
	EXECUTE FUNCTION hub_jobs_count_failed();

-- Start from the rows as they are (once, here), so the series go on from
-- what the old whole-table counts showed.
INSERT INTO metric_counters (name, labels, value)
	SELECT 'hub_requests', jsonb_build_object('status', status), count(*)
	FROM requests GROUP BY status;
INSERT INTO metric_counters (name, labels, value)
	SELECT 'hub_jobs_failed_total', jsonb_build_object('kind', kind), count(*)
	FROM jobs WHERE state = 'failed' GROUP BY kind;
