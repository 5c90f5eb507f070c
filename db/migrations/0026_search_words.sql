-- 0026_search_words: close spellings by correcting the words, not by
-- comparing the query with every request (lib/approval/search.h).
--
-- Until now a search no request matched compared the words, by trigram
-- similarity, with the identifying line (search_text) of the newest
-- 10 000 requests the filters left: about 25 us of CPU per request, so a
-- pair of words within one approver's requests took a second at a
-- million requests.  The hub now keeps the words requests are made of
-- (search_words, one row per distinct word, with a trigram index), and a
-- query word that no request has is replaced by the closest of them;
-- the corrected words then go through the ordinary word search and its
-- indexes.  The cost no longer depends on how many requests there are.
--
-- The words: those of search_text (title, requester, email, external id,
-- approvers) and of the first 1 000 characters of the justification,
-- lower case, split at spaces, punctuation and digits (numbers and ids
-- are not spelling; an id is found as it is written), 3 to 40 characters.
-- A word stays when its requests are purged: it is a spelling the hub has
-- seen, and correcting to it finds nothing at worst.
--
-- Kept as requests are written: an insert adds its new words in one
-- statement per insert (a transition table), in sorted order so two
-- creates bringing the same new words wait for each other, never
-- deadlock; an update adds them only when search_text or the
-- justification changed (a reassign).  Requests the hub already holds
-- are read once here (about 20 s per million on a small machine).
--
-- The trigram index on search_text served only the old comparison and
-- cost every create a GIN insert of some hundred trigrams: dropped.
CREATE TABLE search_words (
	word text PRIMARY KEY CHECK (length(word) BETWEEN 3 AND 40)
);
CREATE INDEX search_words_trgm ON search_words USING gin (word gin_trgm_ops);

CREATE FUNCTION hub_search_vocabulary(t text) RETURNS SETOF text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT w FROM regexp_split_to_table(lower(t), '[[:space:][:punct:][:digit:]]+') w
	WHERE length(w) BETWEEN 3 AND 40
$$;

CREATE FUNCTION hub_search_words_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO search_words (word)
	SELECT DISTINCT v FROM new_rows n,
	    hub_search_vocabulary(n.search_text || ' ' || left(n.justification, 1000)) v
	ORDER BY v
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;

CREATE FUNCTION hub_search_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO search_words (word)
	SELECT DISTINCT v FROM
	    hub_search_vocabulary(NEW.search_text || ' ' || left(NEW.justification, 1000)) v
	ORDER BY v
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;

-- After requests_count (row triggers fire first, then by name), so every
-- writer takes its counter row before any word.
CREATE TRIGGER requests_words AFTER INSERT ON requests
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION hub_search_words_added();
CREATE TRIGGER requests_words_changed AFTER UPDATE ON requests
	FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text OR
	    OLD.justification IS DISTINCT FROM NEW.justification)
	EXECUTE FUNCTION hub_search_words_changed();

INSERT INTO search_words (word)
SELECT DISTINCT v FROM requests r,
    hub_search_vocabulary(r.search_text || ' ' || left(r.justification, 1000)) v;

DROP INDEX requests_search_trgm;
