-- 0006_list_index: GET /api/requests?approver_id= walks an index that holds
-- both the approver and the list's order (newest first, keyset
-- (created_at, id)), instead of probing every request of a busy approver
-- or every recent request for a rare one (t/bench/README.md, "What limits
-- list").
--
-- assignments.request_created_at is its request's created_at, copied when
-- the assignment is inserted and never changed (requests.created_at never
-- changes either).  lib/engine.c sets it in its INSERTs; the trigger fills
-- it for any other writer that leaves it out.
ALTER TABLE assignments ADD COLUMN request_created_at timestamptz;
UPDATE assignments a SET request_created_at = r.created_at
	FROM requests r WHERE r.id = a.request_id;
ALTER TABLE assignments ALTER COLUMN request_created_at SET NOT NULL;

CREATE FUNCTION hub_assignment_request_created_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	SELECT r.created_at INTO NEW.request_created_at
		FROM requests r WHERE r.id = NEW.request_id;
	RETURN NEW;
END
$$;
CREATE TRIGGER assignments_request_created_at BEFORE INSERT ON assignments
	FOR EACH ROW WHEN (NEW.request_created_at IS NULL)
	EXECUTE FUNCTION hub_assignment_request_created_at();

-- Immutable: an UPDATE keeps the value the row was inserted with.
CREATE FUNCTION hub_assignment_keep_created_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.request_created_at := OLD.request_created_at;
	RETURN NEW;
END
$$;
CREATE TRIGGER assignments_keep_created_at BEFORE UPDATE OF request_created_at
	ON assignments FOR EACH ROW
	WHEN (NEW.request_created_at IS DISTINCT FROM OLD.request_created_at)
	EXECUTE FUNCTION hub_assignment_keep_created_at();

-- An approver by the value it was assigned with (Slack id, email, group
-- member), in list order.
CREATE INDEX assignments_approver_list
	ON assignments (approver_value, request_created_at DESC, request_id DESC);
-- An approver by the Slack user an email (or group) approver resolved to;
-- rows where that is the assigned value already are in the index above.
CREATE INDEX assignments_slack_list
	ON assignments (slack_user_id, request_created_at DESC, request_id DESC)
	WHERE slack_user_id IS NOT NULL AND slack_user_id <> approver_value;
