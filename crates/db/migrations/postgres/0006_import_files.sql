-- The uploaded CSV of a web import, kept until its background job has run
-- (then deleted: the imports row keeps only counts and rejected rows).
-- Keep in step with ../sqlite/0006_import_files.sql (a test compares them).

CREATE TABLE import_files (
    import_id     UUID PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    content       BYTEA NOT NULL,
    -- JSON array of field names, one per column ("email", "custom:budget", "ignore").
    mapping       TEXT NOT NULL,
    fire_triggers BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX import_files_workspace_idx ON import_files (workspace_id);
