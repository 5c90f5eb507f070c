-- 0029_named_wakeup: a job's commit wakes one waiting process of its
-- lane, by name (lib/store/jobs.h).
--
-- Every listener hears every NOTIFY hub_jobs.  With 0027 a lane drops
-- another lane's jobs unread, but all of a lane's waiting processes woke
-- for each of its jobs, and all but one ran an empty claim: with four
-- slack processes and three callbacks ones, a decision's five jobs cost
-- about fifteen claims that found nothing.  A waiter's row now says which
-- jobs it takes (the lane filter: its lane, its kinds, whether it also
-- takes kinds no lane names, and every kind a lane names).  The commit
-- picks one such waiter whose row no other commit holds, deletes the row
-- (that process is no longer waiting for anyone else) and names it in
-- the payload: "kind[@lane] worker".  The others hear it and go on
-- waiting without a statement.
--
-- The commit-order argument of 0025 is unchanged: the trigger still
-- runs at the producer's commit and sees every waiter registered before.
-- When every waiter of the job's lane is held by another commit (two
-- producers at once), or a waiter's row does not say its lane (named is
-- false: a worker of an older version during an upgrade), the payload
-- names nobody and wakes every listener of the lane, as before.  While
-- no process of the lane waits (all busy: each claims again when its job
-- is done), nothing is sent.
ALTER TABLE job_waiters
	ADD COLUMN named	boolean NOT NULL DEFAULT false,
	ADD COLUMN lane		text,		-- NULL: every job (a worker without lanes)
	ADD COLUMN kinds	text[],
	ADD COLUMN others	boolean NOT NULL DEFAULT false,
	ADD COLUMN all_kinds	text[];

-- Does a job (its kind and lane) belong to a waiter's lane?  As the
-- claim's JOB_IN_LANE (lib/store/jobs.c).
CREATE OR REPLACE FUNCTION hub_job_waiter_takes(w job_waiters, j_kind text, j_lane text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT w.lane IS NULL OR coalesce(CASE WHEN j_lane IS NOT NULL THEN j_lane = w.lane
		ELSE j_kind = ANY (w.kinds) OR (w.others AND NOT j_kind = ANY (w.all_kinds)) END,
		false)
$$;

CREATE OR REPLACE FUNCTION hub_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	what text := CASE WHEN NEW.lane IS NULL THEN NEW.kind ELSE NEW.kind || '@' || NEW.lane END;
	who text;
BEGIN
	SELECT w.worker INTO who FROM job_waiters w
	 WHERE w.named AND w.until > now() AND hub_job_waiter_takes(w, NEW.kind, NEW.lane)
	 LIMIT 1 FOR UPDATE SKIP LOCKED;
	IF who IS NOT NULL THEN
		DELETE FROM job_waiters WHERE worker = who;
		PERFORM pg_notify('hub_jobs', what || ' ' || who);
	ELSIF EXISTS (SELECT 1 FROM job_waiters w WHERE w.until > now()
	    AND (NOT w.named OR hub_job_waiter_takes(w, NEW.kind, NEW.lane))) THEN
		PERFORM pg_notify('hub_jobs', what);
	END IF;
	RETURN NULL;
END
$$;
