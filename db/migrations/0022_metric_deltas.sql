-- 0022_metric_deltas: /metrics at a cost that does not grow with the data.
--
-- The scrape used to count every row of requests, jobs and delivery_log
-- (GROUP BY over the whole table), so a hub with a million requests read a
-- million rows every 15 s.  Now:
--
--   hub_requests{status}   the sum of request_counts (0021, kept by a
--       trigger on requests for the dashboard);
--   hub_jobs_failed_total{kind}   a job gave up (new counter);
--   hub_jobs{kind,state}   only queued and running jobs (the live set,
--       read through the partial indexes jobs_due and jobs_lease);
--   hub_delivery_rows{transport,status}   only deliveries still moving
--       (queued, sending, retrying), through delivery_log_status_created.
--
-- Contention.  0007 added to a counter with an upsert on its row, which
-- holds that row's lock until the transaction commits: every transaction
-- that counts the same thing (every delivery of every worker lane adds to
-- hub_deliveries_total{transport="slack",status="delivered"}) would wait
-- for the one before it.  Events are now appended to metric_deltas
-- instead (an insert into a heap with no index: no row is shared, nothing
-- waits, nothing can deadlock), and folded into metric_counters by the
-- scrape before it reads them, and by the worker's sweep so the table
-- stays small without Prometheus (lib/store/counters.c).
CREATE TABLE metric_deltas (
	name			text NOT NULL,
	labels			jsonb NOT NULL,
	delta			bigint NOT NULL
);

CREATE OR REPLACE FUNCTION hub_counter_add(p_name text, p_labels jsonb, p_by bigint DEFAULT 1)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO metric_deltas (name, labels, delta) VALUES (p_name, p_labels, p_by);
$$;

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

-- Start from the failed jobs there are (once, here), so the series goes on
-- from what the old whole-table gauge showed.
INSERT INTO metric_counters (name, labels, value)
	SELECT 'hub_jobs_failed_total', jsonb_build_object('kind', kind), count(*)
	FROM jobs WHERE state = 'failed' GROUP BY kind;
