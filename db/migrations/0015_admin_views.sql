-- 0015_admin_views: indexes for the admin's delivery problems page, the
-- exports and the charts (lib/notify/problems.c, lib/approval/reqquery.c),
-- so none of them reads a whole growing table (t/integration/test_plans.py).
-- The charts' requests (lib/approval/stats.c) walk 0001's
-- requests_source_created.  An index on (source_id, decided_at) was tried
-- and dropped: the planner then read all of it for the Home tab's counts
-- (slack/home.c HS_COUNTS).
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
-- Deliveries that need an admin's eye (failed, retrying), newest first;
-- and outcomes over a time window, one status at a time.
CREATE INDEX delivery_log_problems ON delivery_log (created_at DESC, id DESC)
	WHERE status IN ('failed', 'retrying');
CREATE INDEX delivery_log_status_created ON delivery_log (status, created_at);
-- The live queue by kind: queued and running jobs are few, done ones many.
CREATE INDEX jobs_live_kind ON jobs (state, kind) WHERE state IN ('queued', 'running');
