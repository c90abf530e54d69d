-- The audit log, complete (issue 19, SPEC C9): one row per mutating action,
-- written in the transaction that makes the change, append-only.
-- Keep in step with ../postgres/0030_audit_log.sql (a test compares them).

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

-- Append-only. The retention purge inserts the one row of this gate table,
-- deletes, and removes the row again, all in one transaction (PostgreSQL
-- uses `SET LOCAL agencyflow.audit_purge = 'on'` instead). A workspace
-- being deleted takes its rows with it (ON DELETE CASCADE): the workspace
-- row is already gone when the cascade deletes them.
CREATE TABLE audit_log_purge_gate (
    id INTEGER PRIMARY KEY CHECK (id = 1)
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_log_purge_gate)
 AND (OLD.workspace_id IS NULL OR EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id))
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
