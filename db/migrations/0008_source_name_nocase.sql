-- 0008_source_name_nocase: a source's name is one name in any case.  A
-- source system writes "Workday" or "workday" as it likes in
-- request_source; the API, the list filter and the admin lookups match
-- names case-insensitively (lower(name) = lower($1)), and this index keeps
-- two sources from differing only by case, so such a lookup finds one row
-- at most.  Creating or renaming to a name taken in another case is then a
-- unique violation: 409 from the API, "exists" from the CLI.
--
-- An install that already has two such sources stops here with both names,
-- rather than guessing which one the keys and requests mean: rename one
-- (UPDATE sources SET name = … WHERE id = …) and migrate again.
DO $$
DECLARE
	dup text;
BEGIN
	SELECT string_agg(name, ', ' ORDER BY name) INTO dup
		FROM sources WHERE lower(name) IN
			(SELECT lower(name) FROM sources GROUP BY 1 HAVING count(*) > 1);
	IF dup IS NOT NULL THEN
		RAISE EXCEPTION 'source names differ only by case: %; rename all but one of each', dup;
	END IF;
END
$$;
CREATE UNIQUE INDEX sources_name_nocase ON sources (lower(name));
