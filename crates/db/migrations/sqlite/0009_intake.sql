-- Lead capture and intake (issue 7): forms and their submissions, the
-- PAUTA lead numbers, appointments (Cal.com for now), every inbound webhook
-- delivery, per-workspace intake settings and public rate-limit counters.
-- Keep in step with ../postgres/0009_intake.sql (a test compares them).

CREATE TABLE forms (
    id              BLOB PRIMARY KEY,
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    -- JSON array of {"name","type","label","label_en","placeholder","placeholder_en","required","options"}.
    fields          TEXT NOT NULL,
    -- JSON object: colours, font, radius, button text.
    styling         TEXT NOT NULL,
    success_message TEXT,
    redirect_url    TEXT,
    pipeline_id     BLOB REFERENCES pipelines (id) ON DELETE SET NULL,
    stage_id        BLOB REFERENCES stages (id) ON DELETE SET NULL,
    -- JSON array of tag names.
    tags            TEXT NOT NULL,
    consent_text    TEXT,
    active          INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX forms_workspace_idx ON forms (workspace_id, created_at);

-- Every accepted lead: a form submission, or a PAUTA `POST /api/lead`
-- (form_id NULL). lead_number is the PAUTA `lead_id`, per workspace.
CREATE TABLE form_submissions (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    form_id      BLOB REFERENCES forms (id) ON DELETE CASCADE,
    lead_number  INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    -- Erasing a contact (GDPR) erases what it submitted.
    contact_id   BLOB REFERENCES contacts (id) ON DELETE CASCADE,
    deal_id      BLOB REFERENCES deals (id) ON DELETE SET NULL,
    data         TEXT NOT NULL,
    attribution  TEXT NOT NULL,
    consent_text TEXT,
    ip_hash      TEXT,
    created_at   TEXT NOT NULL,
    CONSTRAINT form_submissions_lead_number_key UNIQUE (workspace_id, lead_number)
);
CREATE INDEX form_submissions_form_idx ON form_submissions (workspace_id, form_id, created_at);
CREATE INDEX form_submissions_contact_idx ON form_submissions (workspace_id, contact_id);

-- The last lead number handed out per workspace (an upsert on this row
-- serialises concurrent intakes on PostgreSQL).
CREATE TABLE lead_counters (
    workspace_id BLOB PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    last_number  INTEGER NOT NULL
);

CREATE TABLE appointments (
    id                  BLOB PRIMARY KEY,
    workspace_id        BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id          BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    deal_id             BLOB REFERENCES deals (id) ON DELETE SET NULL,
    title               TEXT NOT NULL,
    starts_at           TEXT,
    ends_at             TEXT,
    time_zone           TEXT,
    organizer_time_zone TEXT,
    status              TEXT NOT NULL,
    source              TEXT NOT NULL,
    external_uid        TEXT,
    -- JSON: what the source sent that we do not model (organizer, location, ids).
    metadata            TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    CONSTRAINT appointments_external_uid_key UNIQUE (workspace_id, source, external_uid),
    CONSTRAINT appointments_status_check CHECK (status IN ('booked', 'pending', 'cancelled', 'rescheduled', 'completed', 'no_show'))
);
CREATE INDEX appointments_contact_idx ON appointments (workspace_id, contact_id, starts_at);

-- Every authenticated inbound delivery, with what was done with it. The
-- unique dedupe key makes a repeated delivery (even a concurrent one) a no-op.
CREATE TABLE inbound_webhooks (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source       TEXT NOT NULL,
    event        TEXT NOT NULL,
    external_id  TEXT,
    dedupe_key   TEXT NOT NULL,
    body         TEXT NOT NULL,
    signature_ok INTEGER NOT NULL,
    -- processed, ignored, stale, unmatched, failed
    result       TEXT NOT NULL,
    detail       TEXT,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    CONSTRAINT inbound_webhooks_dedupe_key UNIQUE (workspace_id, source, dedupe_key)
);
CREATE INDEX inbound_webhooks_workspace_idx ON inbound_webhooks (workspace_id, received_at);

-- Per-workspace intake settings: the Cal.com webhook secret, sealed with
-- the server key (NULL: the server's CALCOM_WEBHOOK_SECRET applies).
CREATE TABLE intake_settings (
    workspace_id         BLOB PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    calcom_secret_sealed TEXT,
    updated_at           TEXT NOT NULL
);

-- Fixed-window hit counters of the public endpoints (per IP, per form),
-- in the database so the limit holds across every server process.
CREATE TABLE rate_limit_hits (
    bucket       TEXT NOT NULL,
    window_start TEXT NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
