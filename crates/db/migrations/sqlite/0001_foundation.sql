-- Foundation: tenants, people, access, and the two outboxes (domain events
-- and jobs) every later capability writes to in the same transaction.
-- SQLite types: ids are 16-byte BLOBs, instants fixed-width UTC TEXT (af_db::Ts).
-- Keep in step with ../postgres/0001_foundation.sql (a test compares them).

CREATE TABLE workspaces (
    id                BLOB PRIMARY KEY,
    slug              TEXT NOT NULL,
    name              TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    locale            TEXT NOT NULL,
    country           TEXT NOT NULL,
    brand_color       TEXT,
    sender_name       TEXT,
    logo              BLOB,
    logo_content_type TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CONSTRAINT workspaces_slug_key UNIQUE (slug),
    CONSTRAINT workspaces_locale_check CHECK (locale IN ('es', 'en'))
);

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    locale        TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT,
    CONSTRAINT users_email_key_key UNIQUE (email_key)
);

CREATE TABLE memberships (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (workspace_id, user_id),
    CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'admin', 'member'))
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    BLOB REFERENCES users (id) ON DELETE CASCADE,
    data       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at);

CREATE TABLE invitations (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    invited_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    accepted_by  BLOB REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   TEXT,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX invitations_workspace_idx ON invitations (workspace_id, created_at);

CREATE TABLE password_resets (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    CONSTRAINT password_resets_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- Failed and successful sign-ins, for a login rate limit every node agrees on.
CREATE TABLE login_attempts (
    id         BLOB PRIMARY KEY,
    email_key  TEXT NOT NULL,
    ip         TEXT NOT NULL,
    succeeded  INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email_key, created_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, created_at);

-- Who did what. workspace_id is null only for actions outside any workspace
-- (signing in, password reset).
CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_type   TEXT NOT NULL,
    actor_id     BLOB,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    result       TEXT NOT NULL,
    details      TEXT NOT NULL,
    ip           TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX audit_log_workspace_idx ON audit_log (workspace_id, created_at);

-- Domain events: written in the same transaction as the change they describe.
CREATE TABLE events (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT,
    actor_type   TEXT NOT NULL,
    actor_id     BLOB,
    data         TEXT NOT NULL,
    occurred_at  TEXT NOT NULL
);
CREATE INDEX events_workspace_idx ON events (workspace_id, occurred_at);
CREATE INDEX events_entity_idx ON events (workspace_id, entity_type, entity_id);

-- The job queue is an outbox too: a job exists iff its transaction committed.
CREATE TABLE jobs (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    priority     INTEGER NOT NULL,
    state        TEXT NOT NULL,
    run_at       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    dedupe_key   TEXT,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT,
    CONSTRAINT jobs_state_check CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'dead'))
);
CREATE INDEX jobs_due_idx ON jobs (state, priority, run_at);
CREATE INDEX jobs_workspace_idx ON jobs (workspace_id, created_at);
CREATE UNIQUE INDEX jobs_dedupe_key_idx ON jobs (dedupe_key) WHERE state IN ('pending', 'running');

-- Every message sent or recorded by a channel. The built-in outbox provider
-- only records; later providers fill provider_id and delivery status.
CREATE TABLE messages (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    provider     TEXT NOT NULL,
    to_address   TEXT NOT NULL,
    from_address TEXT,
    subject      TEXT,
    body_text    TEXT NOT NULL,
    body_html    TEXT,
    category     TEXT NOT NULL,
    status       TEXT NOT NULL,
    provider_id  TEXT,
    error        TEXT,
    attempts     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX messages_workspace_idx ON messages (workspace_id, created_at);
