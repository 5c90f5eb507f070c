-- 0020_worker_lanes: what the worker's lanes need (lib/store/jobs.h,
-- lib/store/worker.h).
--
-- target: where a job goes (an http_post's host:port).  A lane may cap how
-- many jobs of one target run at once, so a slow host holds a few of the
-- lane's places at most.  lane: a lane the producer chose for this job;
-- NULL: the lane of its kind (the worker program's table).
ALTER TABLE jobs ADD COLUMN target text CHECK (length(target) BETWEEN 1 AND 300);
ALTER TABLE jobs ADD COLUMN lane text CHECK (lane ~ '^[a-z][a-z0-9_]{0,30}$');
CREATE INDEX jobs_running_target ON jobs (target)
	WHERE state = 'running' AND target IS NOT NULL;
CREATE INDEX jobs_queued_target ON jobs (target, run_at)
	WHERE state = 'queued' AND target IS NOT NULL;

-- A job put back for later (a retry's backoff, a deferral behind a rate
-- limit or an open circuit) wakes nobody: the idle worker reads the next
-- run_at itself.  Waking every worker for each of hundreds of deferrals
-- would only cost them an empty claim each.
DROP TRIGGER jobs_notify_requeue ON jobs;
CREATE TRIGGER jobs_notify_requeue AFTER UPDATE OF state ON jobs
	FOR EACH ROW WHEN (NEW.state = 'queued' AND OLD.state <> 'queued'
	AND NEW.run_at <= now())
	EXECUTE FUNCTION hub_jobs_notify();

-- Rate buckets hand a refused taker a place in line (lib/slack/ratelimit.c):
-- the next refused taker comes back one token later than this one, so
-- deferred jobs return one at a time instead of all at the next token.
ALTER TABLE rate_buckets ADD COLUMN queued_until timestamptz;

-- Circuit breaker per callback destination (lib/notify/callbacks.c): after
-- a run of failed attempts the host is left alone until open_until, and its
-- queued jobs wait until then instead of being tried into it.
CREATE TABLE callback_hosts (
	target			text PRIMARY KEY CHECK (length(target) BETWEEN 1 AND 300),
	failures		integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	open_until		timestamptz,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
