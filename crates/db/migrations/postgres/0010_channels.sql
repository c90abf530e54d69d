-- Channels: per-workspace provider credentials (sealed), inbound messages,
-- Kommo ids on sync messages, and outbound webhook endpoints with their
-- delivery log.
-- Keep in step with ../sqlite/0010_channels.sql (a test compares them).

CREATE TABLE channel_settings (
    workspace_id       UUID PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    -- af_channels::WorkspaceCredentials as JSON, sealed with the server key.
    credentials_sealed TEXT,
    -- HH:MM-HH:MM; NULL means the server default (08:00-21:00).
    quiet_hours        TEXT,
    updated_at         TIMESTAMPTZ NOT NULL
);

-- 'outbound' (sends) or 'inbound' (SMS / WhatsApp received through Twilio).
ALTER TABLE messages ADD COLUMN direction TEXT NOT NULL DEFAULT 'outbound';
-- Kommo sync results: the ids Kommo returned (JSON) and whether it merged
-- the contact into an existing one.
ALTER TABLE messages ADD COLUMN external_ids TEXT;
ALTER TABLE messages ADD COLUMN merged BOOLEAN;
-- Status callbacks find their message by the vendor's id.
CREATE INDEX messages_provider_id_idx ON messages (workspace_id, provider_id);

CREATE TABLE webhook_endpoints (
    id                   UUID PRIMARY KEY,
    workspace_id         UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                  TEXT NOT NULL,
    secret_sealed        TEXT NOT NULL,
    -- JSON array of event kinds ("contact.created", ...); ["*"] for all.
    event_types          TEXT NOT NULL,
    active               BOOLEAN NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    disabled_at          TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, created_at);

CREATE TABLE webhook_deliveries (
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    endpoint_id   UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type    TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    response_code INTEGER,
    error         TEXT,
    next_retry_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (workspace_id, endpoint_id, created_at);
