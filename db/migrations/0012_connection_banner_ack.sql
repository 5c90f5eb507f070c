-- The connection banner shown on every dashboard page (slack/connadmin.h):
-- a connection is on it while disabled or needing attention, until an
-- admin acknowledges it.  The acknowledgement holds until the state
-- changes again: a later disable (disabled_at) brings the banner back.
ALTER TABLE slack_connections ADD COLUMN banner_ack_at timestamptz;
-- What the banner looks at on every page: only the few problem rows.
CREATE INDEX slack_connections_banner ON slack_connections (name)
	WHERE needs_admin_attention OR disabled;
