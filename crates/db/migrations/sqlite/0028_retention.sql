-- Retention alerts (issue 18, SPEC C8): rules that say what puts a client
-- at risk, the alerts a daily set-based check opens, escalates and
-- resolves, and each alert's history. Keep in step with
-- ../postgres/0028_retention.sql (a test compares them).

-- One rule: a type with its parameters (af_core::retention::RuleParams),
-- a risk and escalation steps (JSON [{days, risk}]). Several rules of one
-- type share its alerts: the higher risk wins.
CREATE TABLE retention_rules (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    days         BIGINT,
    count        BIGINT,
    rate         BIGINT,
    window_days  BIGINT,
    min_bookings BIGINT,
    risk         BIGINT NOT NULL,
    escalations  TEXT NOT NULL,
    notify       TEXT NOT NULL,
    quiet_days   BIGINT NOT NULL,
    -- Who gets an alert when the contact has no owner and no member has
    -- the retention duty.
    assignee_id  BLOB REFERENCES users (id) ON DELETE SET NULL,
    active       INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT retention_rules_type_check CHECK (type IN ('no_attendance', 'membership_expiring', 'low_bookings', 'payment_failed', 'high_cancellation_rate')),
    CONSTRAINT retention_rules_risk_check CHECK (risk BETWEEN 0 AND 100),
    CONSTRAINT retention_rules_notify_check CHECK (notify IN ('in_app', 'email', 'whatsapp'))
);
CREATE INDEX retention_rules_workspace_idx ON retention_rules (workspace_id, type);

-- Per workspace: the local hour of the daily check, the local date it
-- last ran for, and the round-robin cursor over the retention staff.
-- A workspace's row and its default rules are written together the first
-- time anything asks (af_db::retention::ensure_setup).
CREATE TABLE retention_settings (
    workspace_id   BLOB PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    check_hour     INTEGER NOT NULL,
    last_check_on  TEXT,
    last_check_at  TEXT,
    rr_cursor      BIGINT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT retention_settings_hour_check CHECK (check_hour BETWEEN 0 AND 23)
);

-- A client at risk for one reason. At most one active (open or in
-- progress) alert per contact and type: the check's INSERT … ON CONFLICT
-- raises that alert's risk instead of opening another. `since`: the last
-- time the contact was seen when a no-attendance alert opened (attendance
-- after it resolves the alert).
CREATE TABLE retention_alerts (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    rule_id      BLOB REFERENCES retention_rules (id) ON DELETE SET NULL,
    risk         BIGINT NOT NULL,
    status       TEXT NOT NULL,
    assignee_id  BLOB REFERENCES users (id) ON DELETE SET NULL,
    since        TEXT,
    opened_at    TEXT NOT NULL,
    escalated_at TEXT,
    updated_at   TEXT NOT NULL,
    closed_at    TEXT,
    resolution   TEXT,
    quiet_until  TEXT,
    CONSTRAINT retention_alerts_type_check CHECK (type IN ('no_attendance', 'membership_expiring', 'low_bookings', 'payment_failed', 'high_cancellation_rate')),
    CONSTRAINT retention_alerts_status_check CHECK (status IN ('open', 'in_progress', 'resolved', 'dismissed')),
    CONSTRAINT retention_alerts_risk_check CHECK (risk BETWEEN 0 AND 100)
);
CREATE UNIQUE INDEX retention_alerts_active_idx ON retention_alerts (workspace_id, contact_id, type) WHERE status IN ('open', 'in_progress');
CREATE INDEX retention_alerts_contact_idx ON retention_alerts (workspace_id, contact_id, type, status);
CREATE INDEX retention_alerts_list_idx ON retention_alerts (workspace_id, status, risk, id);
CREATE INDEX retention_alerts_type_idx ON retention_alerts (workspace_id, type, status);
CREATE INDEX retention_alerts_assignee_idx ON retention_alerts (workspace_id, assignee_id, status);

-- What happened to an alert: opened, escalated, assigned, moved, resolved
-- by itself; who did it and their note.
CREATE TABLE retention_alert_history (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    alert_id     BLOB NOT NULL REFERENCES retention_alerts (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    action       TEXT NOT NULL,
    risk         BIGINT NOT NULL,
    status       TEXT NOT NULL,
    assignee_id  BLOB,
    actor_type   TEXT NOT NULL,
    actor_id     BLOB,
    note         TEXT,
    reason       TEXT
);
CREATE INDEX retention_alert_history_alert_idx ON retention_alert_history (workspace_id, alert_id, at);

-- Members with the retention duty share the alerts of unowned contacts
-- (round robin).
ALTER TABLE memberships ADD COLUMN retention_duty INTEGER NOT NULL DEFAULT 0;

-- The check reads each contact's last attendance and bookings by type:
-- an index that holds them in order, so the GROUP BY walks only those rows.
CREATE INDEX activities_type_contact_idx ON activities (workspace_id, type, contact_id, occurred_at);
CREATE INDEX appointments_workspace_start_idx ON appointments (workspace_id, starts_at, contact_id, status);
