-- 0100_admin_views: indexes for the admin's delivery problems page, the
-- exports and the charts (lib/notify/problems.c, lib/approval/reqquery.c,
-- lib/approval/stats.c), so none of them reads a whole growing table
-- (t/integration/test_plans.py).
--
-- A requester's own requests, newest first (the dashboard's exports): by
-- the hub user that made them, or by the email a source system gave.
-- Emails compare in any case, as approval/access.c does.
CREATE INDEX requests_requester_user_list
	ON requests (requester_user_id, created_at DESC, id DESC)
	WHERE requester_user_id IS NOT NULL;
CREATE INDEX requests_requester_email_list
	ON requests (lower(requester_email), created_at DESC, id DESC)
	WHERE requester_email IS NOT NULL;
-- Decisions of a source, newest first, with what the charts need of each
-- (an index-only walk: approval rate and time to decision).
CREATE INDEX requests_source_decided
	ON requests (source_id, decided_at DESC) INCLUDE (status, created_at)
	WHERE decided_at IS NOT NULL;
-- Deliveries that need an admin's eye (failed, retrying), newest first;
-- and outcomes over a time window, one status at a time.
CREATE INDEX delivery_log_problems ON delivery_log (created_at DESC, id DESC)
	WHERE status IN ('failed', 'retrying');
CREATE INDEX delivery_log_status_created ON delivery_log (status, created_at);
-- The live queue by kind: queued and running jobs are few, done ones many.
CREATE INDEX jobs_live_kind ON jobs (state, kind) WHERE state IN ('queued', 'running');
