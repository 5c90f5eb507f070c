-- 0003_home_state: the Home tab's per-user view state (filter by source and
-- status, search text, paging offsets), kept next to the publish
-- coalescing flags so every republish (app_home_opened, a decision, a
-- filter change) shows the user the view they chose.  The shape is owned
-- by lib/home.c: {"src": "", "st": "", "q": "", "o": [w, m, d]}.
ALTER TABLE home_publish
	ADD COLUMN state jsonb NOT NULL DEFAULT '{}'
		CHECK (jsonb_typeof(state) = 'object' AND octet_length(state::text) <= 2048);
