-- 0021_dashboard: what the status dashboard (/requests) reads besides
-- the list indexes of 0001, 0006 and 0015.

-- request_counts: how many requests each source has in each status, kept
-- by a trigger, so the dashboard's counters and the ETag of its live
-- refresh cost a read of this small table instead of a count over every
-- request.  changes grows by one with every insert, update or delete of a
-- request: the sum over a source (or over all) changes whenever anything
-- a list of that source could show changes, and never otherwise, whatever
-- order transactions commit in.
--
-- shard spreads the writers: each database connection adds to its own
-- row (its backend pid modulo 8), so concurrent creates of one source do
-- not queue on one row lock.  Readers sum the shards.  Rows are only ever
-- updated in place (n, changes: no index on them, HOT updates).
CREATE TABLE request_counts (
	source_id		uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
	status			text NOT NULL,
	shard			smallint NOT NULL CHECK (shard BETWEEN 0 AND 7),
	n			bigint NOT NULL DEFAULT 0,
	changes			bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (source_id, status, shard)
);

CREATE FUNCTION hub_request_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	sh smallint := pg_backend_pid() % 8;
BEGIN
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
CREATE TRIGGER requests_count AFTER INSERT OR UPDATE OR DELETE ON requests
	FOR EACH ROW EXECUTE FUNCTION hub_request_counts();

INSERT INTO request_counts (source_id, status, shard, n, changes)
SELECT source_id, status, 0, count(*), count(*) FROM requests GROUP BY 1, 2;
