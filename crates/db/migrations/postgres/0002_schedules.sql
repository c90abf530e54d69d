-- Periodic jobs: a cron expression evaluated in an IANA time zone. The
-- scheduler moves next_run_at forward with a compare-and-set in the same
-- transaction as the job it enqueues, so several nodes never double-fire.
-- Keep in step with ../sqlite/0002_schedules.sql (a test compares them).

CREATE TABLE schedules (
    id           UUID PRIMARY KEY,
    workspace_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    cron         TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    job_kind     TEXT NOT NULL,
    payload      TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    next_run_at  TIMESTAMPTZ NOT NULL,
    last_run_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
-- Names are unique per workspace, and among system (workspace-less)
-- schedules; two partial indexes because NULLs are distinct in a UNIQUE.
CREATE UNIQUE INDEX schedules_workspace_name_idx ON schedules (workspace_id, name) WHERE workspace_id IS NOT NULL;
CREATE UNIQUE INDEX schedules_system_name_idx ON schedules (name) WHERE workspace_id IS NULL;
CREATE INDEX schedules_due_idx ON schedules (enabled, next_run_at);
