-- The audit log, complete (issue 19, SPEC C9): one row per mutating action,
-- written in the transaction that makes the change, append-only.
-- Keep in step with ../sqlite/0030_audit_log.sql (a test compares them).

-- What the request or job was: its id (one per HTTP request or job run),
-- where it came from (`POST /contacts/{id}`, `job send_message`), the
-- before/after of the changed fields ({"old": {...}, "new": {...}}), and
-- the fields of PAUTA's actions_log: the channel (email, sms, whatsapp,
-- voice, kommo, webhook) and the lead the action concerns.
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
ALTER TABLE audit_log ADD COLUMN origin TEXT;
ALTER TABLE audit_log ADD COLUMN changes TEXT;
ALTER TABLE audit_log ADD COLUMN channel TEXT;
ALTER TABLE audit_log ADD COLUMN contact_id TEXT;

-- Keyset pages over (created_at, id), newest first, plus the filters.
DROP INDEX audit_log_workspace_idx;
CREATE INDEX audit_log_keyset_idx ON audit_log (workspace_id, created_at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (workspace_id, actor_id, created_at, id);
CREATE INDEX audit_log_action_idx ON audit_log (workspace_id, action, created_at, id);
CREATE INDEX audit_log_target_idx ON audit_log (workspace_id, target_type, target_id, created_at, id);
CREATE INDEX audit_log_contact_idx ON audit_log (workspace_id, contact_id, created_at, id);
-- The retention purge walks every workspace's oldest rows.
CREATE INDEX audit_log_created_idx ON audit_log (created_at);

-- How long a workspace keeps its audit log (the daily purge deletes older rows).
ALTER TABLE workspaces ADD COLUMN audit_retention_days INTEGER NOT NULL DEFAULT 400;

-- Append-only. Only the retention purge may delete, and only inside a
-- transaction that said `SET LOCAL agencyflow.audit_purge = 'on'` (SQLite
-- uses a gate table instead). A workspace being deleted takes its rows with
-- it (ON DELETE CASCADE): the workspace row is already gone when the
-- cascade deletes them.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND (
        current_setting('agencyflow.audit_purge', true) = 'on'
        OR (OLD.workspace_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id))
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
