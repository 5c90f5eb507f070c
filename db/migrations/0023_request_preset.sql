-- 0023_request_preset: the preset (typed metadata and its labels) a
-- request was made with, stored on the request.
--
-- Until now every reader derived the preset from the source's name
-- ("Concur" -> concur_expense).  A request made with the web form belongs
-- to the hub's own source "web", so an expense asked for in the browser
-- was shown with generic labels although the form had checked its fields
-- as an expense.  The preset intake chose (approval/intake.h: from
-- request_source for the API, from the form's type for the web form) is
-- now kept here; NULL (rows made before this migration, or a request with
-- no preset) means "derive it from the source's name" as before, so old
-- rows keep showing what they showed.
ALTER TABLE requests ADD COLUMN preset text
	CHECK (preset IS NULL OR preset ~ '^[a-z][a-z_]{0,39}$');
