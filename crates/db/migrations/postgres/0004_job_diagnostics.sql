-- Job diagnostics: when a job's last attempt started (due → start latency
-- for the admin page, `jobs latency` and the benchmarks), and the table the
-- built-in `diag_record` job writes its effect to, one row per idempotency
-- key, so a crash test can prove no effect happened twice.
-- PostgreSQL types: UUID ids, TIMESTAMPTZ instants.
-- Keep in step with ../sqlite/0004_job_diagnostics.sql (a test compares them).

ALTER TABLE jobs ADD COLUMN started_at TIMESTAMPTZ;

-- Not tenant data: operators' diagnostics (no workspace_id), and no foreign
-- key to jobs, whose finished rows are pruned.
CREATE TABLE job_diag_effects (
    idempotency_key TEXT NOT NULL,
    job_id          UUID NOT NULL,
    -- The job attempt that performed the effect.
    attempt         INTEGER NOT NULL,
    -- Runs that reached the effect: more than 1 means a re-run (after a
    -- crash) found the effect already recorded and did not repeat it.
    runs            INTEGER NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT job_diag_effects_idempotency_key_key UNIQUE (idempotency_key)
);
