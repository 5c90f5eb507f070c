-- 0004_delivery: exactly-once Slack delivery (lib/deliver.c).
--
-- A delivery_log row with a delivery_key is an intent: inserted and
-- committed before the message is posted, carrying the key that also
-- travels in the message's metadata; the ts is stored once Slack answers.
-- A retry that finds the intent without a ts looks the message up by its
-- key (conversations.history) instead of posting it again.  covers lists
-- the assignments a shared message (channel, group DM) speaks to.
--
-- One message may now be recorded once per assignment it reaches (a group
-- DM, a channel post with @mentions): sent_messages is unique per
-- (connection, channel, ts, assignment).  lib/msgsync.c updates each
-- distinct (connection, channel, ts) once.
ALTER TABLE delivery_log
	ADD COLUMN delivery_key		text
		CHECK (length(delivery_key) BETWEEN 1 AND 300),
	ADD COLUMN assignment_id	bigint REFERENCES assignments (id) ON DELETE SET NULL,
	ADD COLUMN covers		bigint[] NOT NULL DEFAULT '{}',
	ADD COLUMN ts			text,
	ADD COLUMN thread_ts		text;
CREATE UNIQUE INDEX delivery_log_key ON delivery_log (delivery_key)
	WHERE delivery_key IS NOT NULL;

ALTER TABLE sent_messages DROP CONSTRAINT sent_messages_connection_id_channel_ts_key;
CREATE UNIQUE INDEX sent_messages_copy
	ON sent_messages (connection_id, channel, ts, coalesce(assignment_id, 0));
CREATE INDEX sent_messages_message ON sent_messages (connection_id, channel, ts);
