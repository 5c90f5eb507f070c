-- 0007_metric_counters: Prometheus counters that only go up.
--
-- hub_deliveries_total and hub_slack_errors_total used to be counts of
-- delivery_log rows by their current status, so they went down whenever a
-- row moved on (a rate-limited message that was then delivered took its
-- {code="ratelimited"} away; retention deleting rows lowered everything),
-- which Prometheus reads as a counter reset.  A counter counts events:
-- each is a row here, added to in the same transaction as the event, and
-- never lowered or deleted.  lib/metrics.c exposes them; the rows' current
-- state is the gauge hub_delivery_rows{transport,status}.
--
-- Every writer of delivery_log (deliver.c, worker.c, engine.c, connadmin.c)
-- produces the delivery events, so they are counted by a trigger on that
-- table rather than by each writer:
--   hub_deliveries_total{transport,status}  a delivery reached delivered,
--       failed or retrying (one per attempt outcome; queued and sending are
--       not outcomes);
--   hub_slack_errors_total{code}  a Slack delivery ended an attempt with
--       an error code (ratelimited, not_in_channel, no_connection, ...).
CREATE TABLE metric_counters (
	name			text NOT NULL CHECK (name ~ '^[a-z_][a-z0-9_]{0,99}$'),
	labels			jsonb NOT NULL DEFAULT '{}'
				CHECK (jsonb_typeof(labels) = 'object'),
	value			bigint NOT NULL DEFAULT 0 CHECK (value >= 0),
	PRIMARY KEY (name, labels)
);

CREATE FUNCTION hub_counter_add(p_name text, p_labels jsonb, p_by bigint DEFAULT 1)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO metric_counters (name, labels, value) VALUES (p_name, p_labels, p_by)
	ON CONFLICT (name, labels)
	DO UPDATE SET value = metric_counters.value + excluded.value;
$$;

CREATE FUNCTION hub_delivery_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status
	    AND NEW.error_code IS NOT DISTINCT FROM OLD.error_code THEN
		RETURN NULL;
	END IF;
	IF NEW.status NOT IN ('delivered', 'failed', 'retrying') THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
		PERFORM hub_counter_add('hub_deliveries_total',
		    jsonb_build_object('transport', NEW.transport, 'status', NEW.status));
	END IF;
	IF NEW.transport = 'slack' AND NEW.error_code IS NOT NULL
	    AND NEW.status IN ('failed', 'retrying') THEN
		PERFORM hub_counter_add('hub_slack_errors_total',
		    jsonb_build_object('code', NEW.error_code));
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER delivery_log_count AFTER INSERT OR UPDATE OF status, error_code
	ON delivery_log FOR EACH ROW EXECUTE FUNCTION hub_delivery_count();

-- Start from what the old series showed, so the upgrade does not look like
-- a reset of the outcomes already counted.
INSERT INTO metric_counters (name, labels, value)
	SELECT 'hub_deliveries_total', jsonb_build_object('transport', transport,
	    'status', status), count(*)
	FROM delivery_log WHERE status IN ('delivered', 'failed', 'retrying')
	GROUP BY transport, status;
INSERT INTO metric_counters (name, labels, value)
	SELECT 'hub_slack_errors_total', jsonb_build_object('code', error_code), count(*)
	FROM delivery_log WHERE transport = 'slack' AND error_code IS NOT NULL
	GROUP BY error_code;
