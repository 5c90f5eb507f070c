-- 0027_notify_lane: a job's notification names its lane when its
-- producer chose one (lib/store/jobs.h).
--
-- Every waiting worker process hears every NOTIFY hub_jobs.  A worker
-- of one lane woken by another lane's job only ran an empty claim and
-- went back to waiting: with the default ten lane processes, one create
-- cost about twenty claims.  The payload lets a lane drop what is not
-- its own without a statement: the job's kind, or "kind@lane" for a job
-- moved to a lane (jobs.lane; "@" is in no kind and no lane name).
CREATE OR REPLACE FUNCTION hub_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM job_waiters WHERE until > now()) THEN
		PERFORM pg_notify('hub_jobs', CASE WHEN NEW.lane IS NULL THEN NEW.kind
			ELSE NEW.kind || '@' || NEW.lane END);
	END IF;
	RETURN NULL;
END
$$;
