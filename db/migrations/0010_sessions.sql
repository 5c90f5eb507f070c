-- 0010_sessions: what signing in to the dashboard needs beyond 0001's
-- sessions table.
--
-- sessions.expires_at (0001) is the absolute end of a session; the idle
-- limit is read against last_seen_at.  remote_addr records where a session
-- was opened (for the admin's eyes, never for a decision).
--
-- login_throttle counts failed sign-ins per account (the lower-cased email
-- typed, whether or not such a user exists, so the counter reveals
-- nothing) and per client address.  Rows live in PostgreSQL so every
-- dashboard process on every host sees the same counts
-- (lib/approval/throttle.c).
ALTER TABLE sessions ADD COLUMN remote_addr text;

CREATE TABLE login_throttle (
	kind			text NOT NULL CHECK (kind IN ('account', 'address')),
	key			text NOT NULL CHECK (length(key) BETWEEN 1 AND 320),
	failures		integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	last_failure_at		timestamptz NOT NULL DEFAULT now(),
	locked_until		timestamptz,
	PRIMARY KEY (kind, key)
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure_at);
