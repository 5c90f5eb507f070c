-- 0017_admin_audit: the admin pages' audit view (/admin/audit,
-- lib/approval/adminlog.c) filters the audit log by who acted and by what
-- was done, newest first, a page at a time (keyset on (at, id)).  Without
-- these indexes each filter read the whole of a table that grows with
-- every decision.  A request's entries use audit_log_request (0001), an
-- unfiltered page audit_log_at.
--
-- Admin actions are audit_log rows like any other (request_id NULL, via
-- 'web', 'api' or 'cli'); their action names (source.created,
-- user.role_changed, setting.changed ...) fit 0001's CHECK, so no new
-- column or constraint is needed.
CREATE INDEX audit_log_actor ON audit_log (actor, at, id);
CREATE INDEX audit_log_action ON audit_log (action, at, id);
