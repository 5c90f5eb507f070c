-- 0019_ai_risk: AI analysis, rule-based risk flags and embeddings for
-- semantic search (README "AI analysis and risk flags", "Searching").
--
-- AI analysis (lib/approval/ai.c): the worker asks the inference service
-- for {summary, risk_score 0-10, risk_reasons[]} and stores the checked
-- answer with the model and the time; ai_status says where it stands, so
-- nothing ever shows a made-up score: off (INFERENCE_URL unset when the
-- request came in), pending, done, failed (ai_error says why).
ALTER TABLE requests
	ADD COLUMN ai_status text NOT NULL DEFAULT 'off'
		CHECK (ai_status IN ('off', 'pending', 'done', 'failed')),
	ADD COLUMN ai_model text CHECK (length(ai_model) <= 200),
	ADD COLUMN ai_reasons jsonb CHECK (jsonb_typeof(ai_reasons) = 'array'),
	ADD COLUMN ai_error text CHECK (length(ai_error) <= 300),
	-- rule-based flags (engine.c computes them at creation; the engine
	-- adds self_approval when it refuses one): see hub_risk_flags below
	ADD COLUMN risk_flags text[] NOT NULL DEFAULT '{}';
-- The score is 0-10 now (it was never written before).
ALTER TABLE requests DROP CONSTRAINT requests_risk_score_check;
ALTER TABLE requests ADD CONSTRAINT requests_risk_score_check
	CHECK (risk_score BETWEEN 0 AND 10);
-- ?flag=duplicate (lib/approval/reqquery.c)
CREATE INDEX requests_risk_flags ON requests USING gin (risk_flags);

-- A source's amount threshold: a request whose amount is above it is
-- flagged over_threshold (NULL: no threshold).
ALTER TABLE sources ADD COLUMN risk_amount_threshold numeric
	CHECK (risk_amount_threshold >= 0);

-- The amount of a request: the first number among the metadata keys
-- amount, total, deal_value, value (NULL: none).  Immutable, so the
-- duplicate check below can use an index on it.
CREATE FUNCTION hub_request_amount(m jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN jsonb_typeof(m->'amount') = 'number' THEN (m->>'amount')::numeric
		WHEN jsonb_typeof(m->'total') = 'number' THEN (m->>'total')::numeric
		WHEN jsonb_typeof(m->'deal_value') = 'number' THEN (m->>'deal_value')::numeric
		WHEN jsonb_typeof(m->'value') = 'number' THEN (m->>'value')::numeric
	END
$$;
-- A likely duplicate: same source, same requester (name, any case), same
-- amount, within 30 days.  The index makes that one short range read.
CREATE INDEX requests_duplicate ON requests
	(source_id, lower(requester_name), hub_request_amount(metadata), created_at)
	WHERE hub_request_amount(metadata) IS NOT NULL;

-- Outside working hours: spec is the setting risk.working_hours,
-- "HH:MM-HH:MM Ddd-Ddd [Time/Zone]" (store/settings.c checks its form;
-- a window may run past midnight, days may wrap: "Sun-Thu", and the same
-- start and end mean the whole day: "00:00-00:00 Mon-Sun" is always).  A spec
-- that does not parse never flags.
CREATE FUNCTION hub_off_hours(spec text, at timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
	m text[];
	days text[] := ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
	loc timestamp;
	d1 int; d2 int; dow int; t time; t1 time; t2 time;
	in_day boolean; in_time boolean;
BEGIN
	m := regexp_match(spec,
	    '^([0-2][0-9]:[0-5][0-9])-([0-2][0-9]:[0-5][0-9]) ([A-Za-z]{3})-([A-Za-z]{3})(?: (\S+))?$');
	IF m IS NULL THEN
		RETURN false;
	END IF;
	loc := at AT TIME ZONE coalesce(m[5], 'UTC');
	d1 := array_position(days, lower(m[3]));
	d2 := array_position(days, lower(m[4]));
	IF d1 IS NULL OR d2 IS NULL THEN
		RETURN false;
	END IF;
	dow := extract(isodow FROM loc)::int;
	in_day := CASE WHEN d1 <= d2 THEN dow BETWEEN d1 AND d2 ELSE dow >= d1 OR dow <= d2 END;
	t := loc::time;
	t1 := m[1]::time;
	t2 := m[2]::time;
	-- the same start and end: the whole day
	in_time := CASE WHEN t1 = t2 THEN true WHEN t1 < t2 THEN t >= t1 AND t < t2
	    ELSE t >= t1 OR t < t2 END;
	RETURN NOT (in_day AND in_time);
END
$$;

-- Embeddings for semantic search, one per request (lib/approval/ai.c
-- writes them, lib/approval/semantic.c ranks the newest visible ones in
-- C).  request_created_at and source_id copy the request's so the
-- candidates (newest N, one source's or all) are one index range.
CREATE TABLE request_embeddings (
	request_id		uuid PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
	source_id		uuid NOT NULL,
	request_created_at	timestamptz NOT NULL,
	model			text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
	embedding		real[] NOT NULL
				CHECK (cardinality(embedding) BETWEEN 1 AND 8192),
	embedded_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_embeddings_recent ON request_embeddings
	(request_created_at DESC, request_id DESC);
CREATE INDEX request_embeddings_source_recent ON request_embeddings
	(source_id, request_created_at DESC, request_id DESC);
