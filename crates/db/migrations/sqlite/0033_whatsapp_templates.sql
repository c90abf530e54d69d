-- A workspace's approved WhatsApp templates (issue 20): what members pick
-- in the reply form outside WhatsApp's 24-hour window.
-- Keep in step with ../postgres/0033_whatsapp_templates.sql (a test compares them).
CREATE TABLE whatsapp_templates (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- Twilio Content SID (HX + 32 hex).
    content_sid  TEXT NOT NULL,
    -- Placeholders, comma-separated, in the order the form asks for them.
    variables    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CONSTRAINT whatsapp_templates_sid_key UNIQUE (workspace_id, content_sid)
);
