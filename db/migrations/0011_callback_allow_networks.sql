-- 0011_callback_allow_networks: a source's own allowlist of networks its
-- callbacks may reach although they are internal (loopback, private,
-- link-local...).  NULL: the global setting callbacks.allow_networks
-- applies; '' : no internal network, whatever the global setting says.
-- Comma-separated CIDRs, validated by the hub before they are stored.
ALTER TABLE sources ADD COLUMN callback_allow_networks text
	CHECK (length(callback_allow_networks) <= 1000);
