-- Answers to API creates sent with an `Idempotency-Key` header (issue 21):
-- the same key and body within 24 hours get the first answer again; the
-- same key with another body is refused. `status` is NULL while the first
-- request is still running.
-- Keep in step with ../sqlite/0034_idempotency_keys.sql (a test compares them).
CREATE TABLE idempotency_keys (
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    idem_key      TEXT NOT NULL,
    -- SHA-256 of method, path, query and body.
    request_hash  TEXT NOT NULL,
    status        INTEGER,
    content_type  TEXT,
    body          TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, idem_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
