-- Activities and the lead-scoring ledger (issue 17, SPEC C7).
-- Keep in step with ../postgres/0022_activities_scoring.sql (a test compares them).

-- What a contact did, append-only: a visit, a purchase, an email opened...
-- (af_core::scoring::ActivityType). A repeated idempotency key is a no-op.
CREATE TABLE activities (
    id              BLOB PRIMARY KEY,
    workspace_id    BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id      BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    occurred_at     TEXT NOT NULL,
    source          TEXT NOT NULL,
    data            TEXT NOT NULL,
    idempotency_key TEXT,
    created_at      TEXT NOT NULL,
    CONSTRAINT activities_idempotency_key UNIQUE (workspace_id, idempotency_key)
);
CREATE INDEX activities_contact_idx ON activities (workspace_id, contact_id, occurred_at);

-- Scoring rules: an activity type (or 'inactivity' for decay) with an
-- optional filter on its data gives points, at most as often as frequency
-- says. Edits apply forward (the ledger keeps what was applied).
CREATE TABLE scoring_rules (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    on_type      TEXT NOT NULL,
    filter       TEXT NOT NULL,
    points       INTEGER NOT NULL,
    frequency    TEXT NOT NULL,
    every_days   INTEGER,
    grp          TEXT NOT NULL,
    active       INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT scoring_rules_frequency_check CHECK (frequency IN ('always', 'once', 'every_days')),
    CONSTRAINT scoring_rules_grp_check CHECK (grp IN ('fit', 'engagement'))
);
CREATE INDEX scoring_rules_type_idx ON scoring_rules (workspace_id, on_type);

CREATE TABLE scoring_settings (
    workspace_id   BLOB PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    fit_cap        INTEGER,
    engagement_cap INTEGER,
    total_cap      INTEGER,
    floor          INTEGER NOT NULL DEFAULT 0,
    updated_at     TEXT NOT NULL
);

-- Every change of a contact's score, under a unique (contact, rule, source)
-- so a replay scores once. rule_key: a rule id, 'workflow', 'manual' or
-- 'decay:<rule id>'; points as applied (after caps and floor), so the
-- cached contacts.score is always SUM(points). batch_id marks the rows of
-- one set-based decay run (the cached scores are updated from them).
CREATE TABLE score_ledger (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    rule_key     TEXT NOT NULL,
    source_key   TEXT NOT NULL,
    points       INTEGER NOT NULL,
    grp          TEXT NOT NULL,
    reason       TEXT NOT NULL,
    activity_id  BLOB,
    batch_id     BLOB,
    at           TEXT NOT NULL,
    CONSTRAINT score_ledger_key UNIQUE (workspace_id, contact_id, rule_key, source_key)
);
CREATE INDEX score_ledger_rule_idx ON score_ledger (workspace_id, rule_key, contact_id, at);
CREATE INDEX score_ledger_batch_idx ON score_ledger (workspace_id, batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX score_ledger_at_idx ON score_ledger (workspace_id, at);

ALTER TABLE contacts ADD COLUMN score_fit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN score_engagement INTEGER NOT NULL DEFAULT 0;
DROP INDEX contacts_score_idx;
CREATE INDEX contacts_score_idx ON contacts (workspace_id, score DESC);

-- Scores given before the ledger existed (workflows, the demo) become one
-- opening line each, so the cache equals the ledger's sum from the start.
UPDATE contacts SET score_engagement = score;
INSERT INTO score_ledger (workspace_id, contact_id, rule_key, source_key, points, grp, reason, at)
SELECT workspace_id, id, 'manual', 'opening', score, 'engagement', 'score before the ledger', updated_at
FROM contacts WHERE score <> 0;

-- Thresholds with hysteresis: a contact enters at score >= enter_score
-- and leaves at score <= exit_score (enter > exit).
CREATE TABLE score_thresholds (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    enter_score  INTEGER NOT NULL,
    exit_score   INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    CONSTRAINT score_thresholds_check CHECK (enter_score > exit_score)
);
CREATE UNIQUE INDEX score_thresholds_name_idx ON score_thresholds (workspace_id, name);

CREATE TABLE score_threshold_members (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    threshold_id BLOB NOT NULL REFERENCES score_thresholds (id) ON DELETE CASCADE,
    contact_id   BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    entered_at   TEXT NOT NULL,
    CONSTRAINT score_threshold_members_pkey PRIMARY KEY (workspace_id, threshold_id, contact_id)
);

-- The product's own events become activities (form submitted, appointment
-- booked and attended, inbound replies): scoring listens to them in every
-- workspace (af_core::events::Subscriber::Scoring).
INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT w.id, k.kind, 'scoring', 1
FROM workspaces w CROSS JOIN (
    SELECT 'form.submitted' AS kind UNION ALL SELECT 'appointment.booked'
    UNION ALL SELECT 'appointment.completed' UNION ALL SELECT 'message.inbound'
) k
WHERE w.id IS NOT NULL
ON CONFLICT DO NOTHING;
