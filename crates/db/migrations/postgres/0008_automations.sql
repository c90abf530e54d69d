-- Automation engine: workflows with immutable versions, the event kinds each
-- workflow listens to, enrolments (one contact's run), the step-run log,
-- alerts about failing workflows, reusable message templates, and the
-- message columns that tie a send to its contact and step run.
-- Keep in step with ../sqlite/0008_automations.sql (a test compares them).

CREATE TABLE workflows (
    id              UUID PRIMARY KEY,
    workspace_id    UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    trigger_type    TEXT NOT NULL,
    status          TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    template_key    TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT workflows_status_check CHECK (status IN ('active', 'paused'))
);
CREATE INDEX workflows_workspace_idx ON workflows (workspace_id, name);

-- A running enrolment keeps the version it started with.
CREATE TABLE workflow_versions (
    workflow_id  UUID NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    definition   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

-- Which event kinds reach the engine at all: insert_event enqueues routing
-- only when some workflow of the workspace listens to the kind.
CREATE TABLE automation_listeners (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_kind   TEXT NOT NULL,
    workflow_id  UUID NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, event_kind, workflow_id, role)
);

CREATE TABLE enrollments (
    id               UUID PRIMARY KEY,
    workspace_id     UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    workflow_id      UUID NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version          INTEGER NOT NULL,
    contact_id       UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    current_step     TEXT,
    -- Bumped whenever the enrolment is rescheduled; a step job carries the
    -- value it was enqueued with and does nothing when it is stale.
    seq              INTEGER NOT NULL,
    next_run_at      TIMESTAMPTZ,
    wait_kind        TEXT,
    wait_match       TEXT,
    last_outcome     TEXT,
    exit_reason      TEXT,
    trigger_event_id UUID,
    context          TEXT NOT NULL,
    test_mode        BOOLEAN NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT enrollments_status_check CHECK (status IN ('active', 'waiting', 'paused', 'completed', 'exited', 'failed'))
);
-- One live enrolment per contact and workflow, even under races.
CREATE UNIQUE INDEX enrollments_live_idx ON enrollments (workflow_id, contact_id) WHERE status IN ('active', 'waiting', 'paused');
-- An event enrols a contact at most once per workflow (routing re-runs are no-ops).
CREATE UNIQUE INDEX enrollments_trigger_idx ON enrollments (workflow_id, contact_id, trigger_event_id) WHERE trigger_event_id IS NOT NULL;
CREATE INDEX enrollments_workflow_idx ON enrollments (workspace_id, workflow_id, status, started_at);
CREATE INDEX enrollments_contact_idx ON enrollments (workspace_id, contact_id, status);

CREATE TABLE step_runs (
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    enrollment_id UUID NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    workflow_id   UUID NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    step_id       TEXT NOT NULL,
    step_type     TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    outcome       TEXT,
    detail        TEXT,
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT step_runs_status_check CHECK (status IN ('done', 'skipped', 'failed', 'waiting', 'exited'))
);
CREATE INDEX step_runs_enrollment_idx ON step_runs (workspace_id, enrollment_id, created_at);
CREATE INDEX step_runs_workflow_idx ON step_runs (workspace_id, workflow_id, created_at);

CREATE TABLE automation_alerts (
    id            UUID PRIMARY KEY,
    workspace_id  UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    workflow_id   UUID REFERENCES workflows (id) ON DELETE CASCADE,
    enrollment_id UUID REFERENCES enrollments (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    message       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    resolved_at   TIMESTAMPTZ
);
CREATE INDEX automation_alerts_open_idx ON automation_alerts (workspace_id, resolved_at, created_at);

CREATE TABLE message_templates (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    subject      TEXT,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX message_templates_workspace_idx ON message_templates (workspace_id, name);

ALTER TABLE messages ADD COLUMN contact_id UUID REFERENCES contacts (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN enrollment_id UUID REFERENCES enrollments (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN step_id TEXT;
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
ALTER TABLE messages ADD COLUMN skip_reason TEXT;
CREATE UNIQUE INDEX messages_idempotency_idx ON messages (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_contact_idx ON messages (workspace_id, contact_id, created_at);

-- The contact's own time zone, for "wait until 09:00 in the contact's time".
ALTER TABLE contacts ADD COLUMN time_zone TEXT;
