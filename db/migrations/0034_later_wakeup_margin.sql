-- 0034_later_wakeup_margin: a job queued for later wakes the lane's
-- timekeeper only when it would otherwise run late by more than a moment,
-- and says so, so the timekeeper stands again without claiming first.
--
-- 0032 named the timekeeper whenever its wait ended after the new job's
-- due time.  Its wait ends 10 ms past the next due time (the stand's
-- margin, JOB_STAND), and jobs for later are often due at the same
-- second (run_at is whole seconds: a Home tab's publish held back after
-- the user's last one, a rate limit's place in line).  So every such job
-- due at the same time as the one the timekeeper already waited for woke
-- it: a statement log of 20 decisions counted 250 wake-ups of the Home
-- lane's timekeeper, each a claim that found nothing (the job not due
-- yet) and a stand, for a job it would have claimed 10 ms later anyway.
-- Now it is named only when its wait ends more than 100 ms after the
-- job is due (the job then runs at most 100 ms late), and the
-- payload ends in " later": "kind[@lane] worker later".  A worker named
-- that way stands and looks again at once (one round trip) instead of
-- claiming a job that is not due (lib/store/worker.c, idle_wait).
CREATE OR REPLACE FUNCTION hub_jobs_notify_later() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	who text;
BEGIN
	SELECT w.worker INTO who FROM job_waiters w
	 WHERE w.named AND w.timekeeper AND w.until > now()
	   AND w.until - interval '1 second' > NEW.run_at + interval '100 milliseconds'
	   AND hub_job_waiter_takes(w, NEW.kind, NEW.lane)
	 LIMIT 1 FOR UPDATE SKIP LOCKED;
	IF who IS NOT NULL THEN
		DELETE FROM job_waiters WHERE worker = who;
		PERFORM pg_notify('hub_jobs', CASE WHEN NEW.lane IS NULL THEN NEW.kind
		    ELSE NEW.kind || '@' || NEW.lane END || ' ' || who || ' later');
	END IF;
	RETURN NULL;
END
$$;
