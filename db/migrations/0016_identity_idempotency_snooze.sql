-- Issue 12: honest idempotency, identity-aware self-approval, snooze per
-- approver.

-- sha256 of the request as intake normalized it, Idempotency-Key left
-- out, in jsonb's own key order: the same key with another body is a 422.
-- NULL on rows made before: those keep answering with the request.
ALTER TABLE requests ADD COLUMN body_hash bytea;

-- The requester's Slack user id as users.lookupByEmail found it for
-- requester_email (the worker resolves it before any approver is told);
-- '' when Slack has no such user.  NULL: not looked up yet.
ALTER TABLE requests ADD COLUMN requester_slack_resolved text;

-- One approver's snooze: no automatic reminder to this assignment before
-- it; the other approvers of the request keep theirs.
ALTER TABLE assignments ADD COLUMN snoozed_until timestamptz;

-- Cross-kind identity reads the cache by email.
CREATE INDEX slack_user_cache_email ON slack_user_cache (email);

-- Is the person (kind, value) the requester (email r_email, Slack ids
-- r_slack and r_resolved)?  Same kind compares directly; across kinds a
-- hub user or a users.lookupByEmail result that ties the email to the
-- Slack id makes them one person.  NULLs match nothing.
CREATE FUNCTION hub_is_requester(kind text, value text, r_email text, r_slack text,
    r_resolved text) RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT coalesce(CASE kind
	WHEN 'slack' THEN value = r_slack OR value = nullif(r_resolved, '')
	    OR EXISTS (SELECT 1 FROM users u WHERE u.email = lower(r_email)
		AND u.slack_user_id = value)
	    OR EXISTS (SELECT 1 FROM slack_user_cache c WHERE c.email = lower(r_email)
		AND c.slack_user_id = value)
	WHEN 'email' THEN lower(value) = lower(r_email)
	    OR EXISTS (SELECT 1 FROM users u WHERE u.email = lower(value)
		AND (u.slack_user_id = r_slack OR u.slack_user_id = nullif(r_resolved, '')))
	    OR EXISTS (SELECT 1 FROM slack_user_cache c WHERE c.email = lower(value)
		AND (c.slack_user_id = r_slack OR c.slack_user_id = nullif(r_resolved, '')))
	END, false)
$$;
