-- Daily roll-ups of the dashboard's and reports' measures (issue 19).
-- Keep in step with ../postgres/0031_report_days.sql (a test compares them).
--
-- A closed local day of a workspace, counted once by a job
-- (af_service::reports::refresh) from the raw tables with the same
-- statements the live reports run: a report reads the days computed here
-- and counts only the others (today, recent days not computed yet) live.
-- measure is af_db::reports::Measure; k1..k3 its keys ('' for none).
CREATE TABLE report_days (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    measure      TEXT NOT NULL,
    day          TEXT NOT NULL,
    k1           TEXT NOT NULL,
    k2           TEXT NOT NULL,
    k3           TEXT NOT NULL,
    n            INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, measure, day, k1, k2, k3)
);

-- Which days of a workspace report_days holds, in which zone (a day
-- counted in another zone is not that day: a zone change makes the
-- reports count those days live again until they are recomputed).
CREATE TABLE report_days_done (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    computed_at  TEXT NOT NULL,
    PRIMARY KEY (workspace_id, day)
);

-- What the live part of a report (today) and the storing of a day read:
-- each table's rows of a span of days, by workspace.
CREATE INDEX appointments_created_idx ON appointments (workspace_id, created_at);
CREATE INDEX enrollments_started_idx ON enrollments (workspace_id, started_at);
CREATE INDEX step_runs_created_idx ON step_runs (workspace_id, created_at);
-- The funnel's time in stage reads the entry instant of every deal of a
-- pipeline: from the index alone.
CREATE INDEX deals_stage_age_idx ON deals (workspace_id, pipeline_id, stage_id, stage_entered_at);
