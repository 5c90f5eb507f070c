-- 0014_message_preview: what each message said, for the request page
-- (lib/notify/reqhistory.c).  delivery_log.preview is written when the
-- message goes out: {"blocks": [...], "text": "..."} for a Slack post or
-- webhook, {"subject": "..."} for an email.  sent_messages.shown is the
-- same for the copy as the last chat.update left it (lib/notify/msgsync.c).
-- NULL: nothing stored (older rows, or a message over the size limit).
ALTER TABLE delivery_log ADD COLUMN preview jsonb
	CHECK (jsonb_typeof(preview) = 'object');
ALTER TABLE sent_messages ADD COLUMN shown jsonb
	CHECK (jsonb_typeof(shown) = 'object');
