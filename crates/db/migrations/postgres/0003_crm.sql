-- CRM core: contacts (with attribution, consent, custom fields, tags),
-- pipelines and stages, deals, notes, tasks, saved filters, imports, and the
-- one-way hashes that keep honouring opt-outs after an erase.
-- Keep in step with ../sqlite/0003_crm.sql (a test compares them).

CREATE TABLE contacts (
    id                  UUID PRIMARY KEY,
    workspace_id        UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    email               TEXT,
    email_key           TEXT,
    phone               TEXT,
    company             TEXT,
    source              TEXT,
    owner_id            UUID REFERENCES users (id) ON DELETE SET NULL,
    lifecycle           TEXT NOT NULL,
    score               INTEGER NOT NULL,
    email_unsubscribed  BOOLEAN NOT NULL,
    sms_opted_out       BOOLEAN NOT NULL,
    custom              TEXT NOT NULL,
    first_utm_source    TEXT,
    first_utm_medium    TEXT,
    first_utm_campaign  TEXT,
    first_utm_term      TEXT,
    first_utm_content   TEXT,
    first_referrer      TEXT,
    first_landing_page  TEXT,
    first_touch_at      TIMESTAMPTZ,
    last_utm_source     TEXT,
    last_utm_medium     TEXT,
    last_utm_campaign   TEXT,
    last_utm_term       TEXT,
    last_utm_content    TEXT,
    last_referrer       TEXT,
    last_landing_page   TEXT,
    last_touch_at       TIMESTAMPTZ,
    -- lower-cased name, email, phone digits and company, for search.
    search_text         TEXT NOT NULL,
    last_activity_at    TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT contacts_lifecycle_check CHECK (lifecycle IN ('lead', 'qualified', 'customer', 'churned', 'other'))
);
-- Never a twin: one contact per email and per phone in a workspace.
CREATE UNIQUE INDEX contacts_email_key_idx ON contacts (workspace_id, email_key) WHERE email_key IS NOT NULL;
CREATE UNIQUE INDEX contacts_phone_idx ON contacts (workspace_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX contacts_created_idx ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_owner_idx ON contacts (workspace_id, owner_id);
CREATE INDEX contacts_source_idx ON contacts (workspace_id, source);
CREATE INDEX contacts_score_idx ON contacts (workspace_id, score);

CREATE TABLE tags (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    color        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT tags_name_key UNIQUE (workspace_id, name_key)
);

CREATE TABLE contact_tags (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id       UUID NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT contact_tags_pkey PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag_idx ON contact_tags (workspace_id, tag_id);

CREATE TABLE custom_fields (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    label        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    options      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT custom_fields_key_key UNIQUE (workspace_id, key),
    CONSTRAINT custom_fields_kind_check CHECK (kind IN ('text', 'number', 'date', 'select'))
);

CREATE TABLE pipelines (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    is_default   BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX pipelines_workspace_idx ON pipelines (workspace_id, position);

CREATE TABLE stages (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    pipeline_id  UUID NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    is_booked    BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT stages_kind_check CHECK (kind IN ('open', 'won', 'lost'))
);
CREATE INDEX stages_pipeline_idx ON stages (workspace_id, pipeline_id, position);
-- At most one "booked" stage per pipeline (bookings move deals there).
CREATE UNIQUE INDEX stages_booked_idx ON stages (pipeline_id) WHERE is_booked;

CREATE TABLE deals (
    id               UUID PRIMARY KEY,
    workspace_id     UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    pipeline_id      UUID NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    stage_id         UUID NOT NULL REFERENCES stages (id),
    contact_id       UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    title            TEXT NOT NULL,
    value_minor      BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    owner_id         UUID REFERENCES users (id) ON DELETE SET NULL,
    -- Order within the stage's column: fractional, so a move writes one row.
    position         DOUBLE PRECISION NOT NULL,
    stage_entered_at TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX deals_stage_idx ON deals (workspace_id, stage_id, position);
CREATE INDEX deals_contact_idx ON deals (workspace_id, contact_id);
CREATE INDEX deals_pipeline_idx ON deals (workspace_id, pipeline_id);

CREATE TABLE notes (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    author_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX notes_contact_idx ON notes (workspace_id, contact_id, created_at);

CREATE TABLE tasks (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   UUID REFERENCES contacts (id) ON DELETE CASCADE,
    deal_id      UUID REFERENCES deals (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    due_at       TIMESTAMPTZ,
    assignee_id  UUID REFERENCES users (id) ON DELETE SET NULL,
    created_by   UUID REFERENCES users (id) ON DELETE SET NULL,
    done_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_assignee_idx ON tasks (workspace_id, assignee_id, done_at, due_at);
CREATE INDEX tasks_contact_idx ON tasks (workspace_id, contact_id);

CREATE TABLE saved_filters (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      UUID REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    query        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX saved_filters_workspace_idx ON saved_filters (workspace_id, name);

-- CSV imports, with progress for the UI and the rejected rows' reasons.
CREATE TABLE imports (
    id             UUID PRIMARY KEY,
    workspace_id   UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    file_name      TEXT NOT NULL,
    status         TEXT NOT NULL,
    total_rows     INTEGER NOT NULL,
    processed_rows INTEGER NOT NULL,
    created_rows   INTEGER NOT NULL,
    updated_rows   INTEGER NOT NULL,
    rejected_rows  INTEGER NOT NULL,
    report         TEXT NOT NULL,
    created_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ
);
CREATE INDEX imports_workspace_idx ON imports (workspace_id, created_at);

-- After a GDPR erase only these one-way hashes remain, so an erased person
-- who had opted out is never messaged again if they reappear.
CREATE TABLE erased_contacts (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email_hash   TEXT,
    phone_hash   TEXT,
    email_unsubscribed BOOLEAN NOT NULL,
    sms_opted_out      BOOLEAN NOT NULL,
    erased_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX erased_contacts_email_idx ON erased_contacts (workspace_id, email_hash);
CREATE INDEX erased_contacts_phone_idx ON erased_contacts (workspace_id, phone_hash);
