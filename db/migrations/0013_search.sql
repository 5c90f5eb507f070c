-- 0013_search: search that finds what people type (lib/approval/search.h).
--
-- The old document indexed the justification with the `english`
-- configuration but every caller queried it with `simple`, so inflected
-- words ("flights", "booking") found nothing.  The new document carries
-- every field twice where it matters: stemmed (`english`, for words) and
-- as written (`simple`, for names, ids and words English would drop), and
-- callers query both through one fragment.  Weights: A title, B people
-- and ids, C justification, D metadata values (strings and numbers).
--
-- search_people holds what the document cannot reach through other
-- tables: the source's name and every approver as given (emails, Slack
-- ids, group names); the engine fills it at creation and on reassign.
--
-- search_text is a short lower-case line of the identifying fields (title,
-- requester, external id, people) for pg_trgm's word similarity: typos and
-- partial names ("Lofoton" finds "Lofoten", "jane" finds
-- jane.doe@example.com).  It is bounded (300 characters) so the trigram
-- index and its rechecks stay cheap.
--
-- Rewriting the column rewrites the table once (about a minute per
-- million requests on a small machine).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE requests ADD COLUMN search_people text NOT NULL DEFAULT ''
	CHECK (length(search_people) <= 20000);

UPDATE requests r SET search_people = left(concat_ws(' ',
	(SELECT s.name FROM sources s WHERE s.id = r.source_id),
	(SELECT string_agg(DISTINCT a.approver_value, ' ') FROM assignments a
	    WHERE a.request_id = r.id)), 20000);

DROP INDEX requests_search;
ALTER TABLE requests DROP COLUMN search;
ALTER TABLE requests ADD COLUMN search tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
	setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') ||
	setweight(to_tsvector('simple'::regconfig,
	    coalesce(requester_name, '') || ' ' || coalesce(requester_email, '') || ' ' ||
	    coalesce(requester_slack_id, '') || ' ' || coalesce(external_id, '') || ' ' ||
	    regexp_replace(coalesce(requester_email, '') || ' ' || search_people,
	        '[@._+-]', ' ', 'g') || ' ' || search_people), 'B') ||
	setweight(to_tsvector('english'::regconfig, coalesce(justification, '')), 'C') ||
	setweight(to_tsvector('simple'::regconfig, coalesce(justification, '')), 'C') ||
	setweight(jsonb_to_tsvector('english'::regconfig, metadata, '["string", "numeric"]'), 'D') ||
	setweight(jsonb_to_tsvector('simple'::regconfig, metadata, '["string", "numeric"]'), 'D')
) STORED;
CREATE INDEX requests_search ON requests USING gin (search);

ALTER TABLE requests ADD COLUMN search_text text GENERATED ALWAYS AS (
	left(lower(coalesce(title, '') || ' ' || coalesce(requester_name, '') || ' ' ||
	    coalesce(requester_email, '') || ' ' || coalesce(external_id, '') || ' ' ||
	    search_people), 300)
) STORED;
CREATE INDEX requests_search_trgm ON requests USING gin (search_text gin_trgm_ops);
