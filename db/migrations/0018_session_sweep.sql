-- 0018_session_sweep: the worker's sweep of ended sessions
-- (lib/web/session.c, STMT_SWEEP) finds idle ones by last_seen_at as well
-- as ended ones by expires_at (0001's sessions_expires): without this
-- index each sweep read the whole table (t/integration/test_plans.py).
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
