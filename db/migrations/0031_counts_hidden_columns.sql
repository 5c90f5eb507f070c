-- 0031_counts_hidden_columns: updates of a request that change only what no
-- page shows no longer count as changes for the status dashboard.
--
-- request_counts.changes (0021) is the ETag of the dashboard's live
-- refresh: it must grow whenever anything a list could show changes, and
-- never otherwise.  Two updates changed only columns no page shows: the
-- worker's note of the requester's Slack id (requester_slack_resolved,
-- once per request right after its create, for the self-approval check
-- alone) and the reminder schedule (next_reminder_at, at each reminder).
-- Each bumped changes anyway: every open dashboard fetched its list a
-- second time for each new request and once more for each reminder, and
-- each create paid one more row write.  An update that changes nothing
-- but those columns (and the updated_at its BEFORE trigger sets) now
-- leaves the counts alone; any other update counts as before.  The
-- comparison of whole rows runs only when one of those columns changed.
CREATE OR REPLACE FUNCTION hub_request_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	sh smallint := pg_backend_pid() % 8;
	-- what no page shows
	hidden text[] := '{requester_slack_resolved,next_reminder_at,updated_at}';
BEGIN
	IF TG_OP = 'UPDATE'
	    AND (NEW.requester_slack_resolved IS DISTINCT FROM OLD.requester_slack_resolved
		OR NEW.next_reminder_at IS DISTINCT FROM OLD.next_reminder_at)
	    AND to_jsonb(NEW) - hidden = to_jsonb(OLD) - hidden THEN
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
