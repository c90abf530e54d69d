-- Score recalculations and imports of activities and memberships (issue 17).
-- Keep in step with ../postgres/0025_recalculations_import_kinds.sql.

-- "Recalculate": a background job scores every contact's activities again
-- under the current rules, a batch of contacts per transaction, keyset by
-- contact id (`cursor`), so progress shows and a crash resumes after the
-- last committed batch. One queued or running per workspace.
CREATE TABLE scoring_recalculations (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    total        INTEGER NOT NULL,
    processed    INTEGER NOT NULL,
    changed      INTEGER NOT NULL,
    cursor       BLOB,
    created_by   BLOB,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    CONSTRAINT scoring_recalculations_status_check CHECK (status IN ('queued', 'running', 'done'))
);
CREATE UNIQUE INDEX scoring_recalculations_one_live ON scoring_recalculations (workspace_id)
    WHERE status IN ('queued', 'running');
CREATE INDEX scoring_recalculations_recent ON scoring_recalculations (workspace_id, created_at);

-- What an import brings in: contacts (all imports before this one),
-- activities or memberships. The mapping of the last two names their
-- columns (af_core::csv_io::records).
ALTER TABLE imports ADD COLUMN kind TEXT NOT NULL DEFAULT 'contacts';
