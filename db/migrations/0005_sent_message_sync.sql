-- 0005_sent_message_sync: what each sent copy of a call-for-action shows
-- now, so the "sync" job (lib/msgsync.c) calls chat.update only for the
-- copies whose rendering changed: a retried or duplicate sync costs no
-- Slack call.  A copy Slack no longer has (message_not_found,
-- cant_update_message, channel gone) is marked gone and never tried again;
-- the row stays for the team checks of lib/interact.c until retention
-- deletes it (settings 'retention.sent_messages_days', default 30).

ALTER TABLE sent_messages
	-- hex SHA-256 of the blocks and text last sent by chat.update
	ADD COLUMN shown_hash	text CHECK (shown_hash ~ '^[0-9a-f]{64}$'),
	ADD COLUMN synced_at	timestamptz,
	ADD COLUMN gone_at	timestamptz,
	ADD COLUMN gone_reason	text CHECK (length(gone_reason) <= 64);
