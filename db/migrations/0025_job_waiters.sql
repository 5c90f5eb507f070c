-- 0025_job_waiters: NOTIFY hub_jobs only while a worker waits for one
-- (lib/store/jobs.h).
--
-- A transaction that sends a NOTIFY takes one lock for the whole cluster
-- while it commits, so creates and decisions that each queue a job
-- commit one at a time; under load every worker is busy anyway and claims
-- the next job without waiting, so the notification wakes nobody.  A
-- worker about to wait writes its row here (until: when its wait ends at
-- the latest), looks for a due job once more, then waits; it deletes the
-- row when it wakes.  A job whose transaction commits after that second
-- look sees the row and notifies.  A row whose until has passed (a worker
-- killed while waiting) counts for nothing.  Unlogged: after a crash the
-- table is empty, and every worker writes its row again before it waits.
CREATE UNLOGGED TABLE job_waiters (
	worker			text PRIMARY KEY CHECK (length(worker) BETWEEN 1 AND 200),
	until			timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION hub_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM job_waiters WHERE until > now()) THEN
		PERFORM pg_notify('hub_jobs', NEW.kind);
	END IF;
	RETURN NULL;
END
$$;

-- The triggers run when the producer commits rather than at its INSERT,
-- so a worker that registered while the producer's transaction was still
-- open is seen: the window in which a commit can miss a waiter that also
-- missed its job is the commit itself, and the waiter's own timeout
-- bounds it.
DROP TRIGGER jobs_notify_insert ON jobs;
DROP TRIGGER jobs_notify_requeue ON jobs;
CREATE CONSTRAINT TRIGGER jobs_notify_insert AFTER INSERT ON jobs
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.state = 'queued') EXECUTE FUNCTION hub_jobs_notify();
CREATE CONSTRAINT TRIGGER jobs_notify_requeue AFTER UPDATE OF state ON jobs
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state <> 'queued'
	AND NEW.run_at <= now())
	EXECUTE FUNCTION hub_jobs_notify();
