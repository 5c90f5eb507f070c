-- 0031_counts_skip_resolve: the worker's note of the requester's Slack id
-- no longer counts as a change for the status dashboard.
--
-- request_counts.changes (0021) is the ETag of the dashboard's live
-- refresh: it must grow whenever anything a list could show changes.  The
-- worker sets requests.requester_slack_resolved once per request, right
-- after its create, for the self-approval check alone (hub_is_requester);
-- no page shows it.  That update bumped changes anyway, so every open
-- dashboard fetched its list twice per new request, and each create paid
-- one more row write.  An update that changes only that column (and the
-- updated_at its BEFORE trigger sets) now leaves the counts alone; any
-- other update counts as before.
CREATE OR REPLACE FUNCTION hub_request_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	sh smallint := pg_backend_pid() % 8;
BEGIN
	IF TG_OP = 'UPDATE'
	    AND NEW.requester_slack_resolved IS DISTINCT FROM OLD.requester_slack_resolved
	    AND to_jsonb(NEW) - 'requester_slack_resolved' - 'updated_at'
		= to_jsonb(OLD) - 'requester_slack_resolved' - 'updated_at' THEN
		RETURN NULL;
	END IF;
	-- One statement per row, rows in a fixed order (source, status), so
	-- two connections sharing a shard take the row locks in one order.
	INSERT INTO request_counts AS c (source_id, status, shard, n, changes)
	SELECT d.source_id, d.status, sh, sum(d.n), 1
	  FROM (SELECT OLD.source_id, OLD.status, -1 WHERE TG_OP IN ('UPDATE', 'DELETE')
		UNION ALL
		SELECT NEW.source_id, NEW.status, 1 WHERE TG_OP IN ('UPDATE', 'INSERT'))
	       AS d (source_id, status, n)
	 GROUP BY d.source_id, d.status
	 ORDER BY d.source_id, d.status
	ON CONFLICT (source_id, status, shard)
	DO UPDATE SET n = c.n + EXCLUDED.n, changes = c.changes + 1;
	RETURN NULL;
END
$$;
