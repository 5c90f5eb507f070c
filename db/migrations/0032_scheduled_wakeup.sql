-- 0032_scheduled_wakeup: a job queued for later wakes nobody, unless the
-- lane's timekeeper would sleep past its due time.
--
-- The insert trigger named a waiter for every queued job, due now or not.
-- A job queued for later (a Home tab's publish held back a few seconds
-- after the user's last one) woke a process that found nothing to claim,
-- stood again and looked once more: three statements and a notification
-- every listener hears, for nothing.  Who runs a job when it falls due is
-- the lane's timekeeper (lib/store/worker.c): its stand waits until just
-- past the lane's next due time.  So a job due later now names only a
-- waiting timekeeper of its lane whose wait ends after the job is due
-- (its row lasts its wait and a second more: until - 1 s is when it
-- wakes); it stands again and waits for the new job.  A timekeeper that
-- wakes sooner finds the job on its own, and a busy one stands again when
-- its job is done.  A job due now is named as before (0029), by the same
-- trigger, which now fires for those only.
ALTER TABLE job_waiters ADD COLUMN timekeeper boolean NOT NULL DEFAULT false;

CREATE FUNCTION hub_jobs_notify_later() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	who text;
BEGIN
	SELECT w.worker INTO who FROM job_waiters w
	 WHERE w.named AND w.timekeeper AND w.until > now()
	   AND w.until - interval '1 second' > NEW.run_at
	   AND hub_job_waiter_takes(w, NEW.kind, NEW.lane)
	 LIMIT 1 FOR UPDATE SKIP LOCKED;
	IF who IS NOT NULL THEN
		DELETE FROM job_waiters WHERE worker = who;
		PERFORM pg_notify('hub_jobs', CASE WHEN NEW.lane IS NULL THEN NEW.kind
		    ELSE NEW.kind || '@' || NEW.lane END || ' ' || who);
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER jobs_notify_insert ON jobs;
CREATE CONSTRAINT TRIGGER jobs_notify_insert AFTER INSERT ON jobs
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.state = 'queued' AND NEW.run_at <= now())
	EXECUTE FUNCTION hub_jobs_notify();
CREATE CONSTRAINT TRIGGER jobs_notify_later AFTER INSERT ON jobs
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.state = 'queued' AND NEW.run_at > now())
	EXECUTE FUNCTION hub_jobs_notify_later();
