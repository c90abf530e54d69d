-- Memberships (subscriptions) of contacts (issue 17; `memberships` is
-- taken by the users of a workspace since 0001): a plan with a status,
-- a period and an amount, created and updated by the API (by id or by the
-- caller's external id), the contact page and the daily check, which
-- sends one "expiring" notice per period and expires what ended. The
-- retention alerts of issue 18 read this table (membership expiring,
-- payment failed). Keep in step with ../postgres/0023_memberships.sql.
CREATE TABLE contact_memberships (
    id                 BLOB NOT NULL,
    workspace_id       BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id         BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- The billing system's id (Stripe, a gym system...): unique per
    -- workspace when set, so a repeated POST updates instead of duplicating.
    external_id        TEXT,
    plan               TEXT NOT NULL,
    status             TEXT NOT NULL,
    starts_at          TEXT NOT NULL,
    -- End of the period, or its renewal date; NULL = open-ended.
    ends_at            TEXT,
    amount_minor       BIGINT,
    currency           TEXT,
    cancelled_at       TEXT,
    -- The ends_at the "expiring" notice was sent for: a renewal moves
    -- ends_at, so the next period gets its own notice.
    expiring_notice_for TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CONSTRAINT contact_memberships_pkey PRIMARY KEY (id),
    CONSTRAINT contact_memberships_status_check CHECK (status IN ('trial', 'active', 'past_due', 'cancelled', 'expired')),
    CONSTRAINT contact_memberships_amount_check CHECK (amount_minor IS NULL OR (amount_minor >= 0 AND currency IS NOT NULL))
);
CREATE UNIQUE INDEX contact_memberships_external_idx ON contact_memberships (workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX contact_memberships_contact_idx ON contact_memberships (workspace_id, contact_id, created_at);
CREATE INDEX contact_memberships_due_idx ON contact_memberships (workspace_id, status, ends_at);
CREATE INDEX contact_memberships_list_idx ON contact_memberships (workspace_id, created_at, id);

-- The subscription triggers now listen to the membership events
-- (subscription_created and trial_started to membership.created,
-- subscription_expiring to membership.expiring). Workflows saved from now
-- on list these themselves; these are the ones saved before.
INSERT INTO automation_listeners (workspace_id, event_kind, workflow_id, role)
SELECT workspace_id, 'membership.created', workflow_id, role
FROM automation_listeners WHERE event_kind IN ('subscription.created', 'trial.started')
ON CONFLICT DO NOTHING;
DELETE FROM automation_listeners WHERE event_kind IN ('subscription.created', 'trial.started');
INSERT INTO automation_listeners (workspace_id, event_kind, workflow_id, role)
SELECT workspace_id, 'membership.expiring', id, 'trigger'
FROM workflows WHERE trigger_type = 'subscription_expiring'
ON CONFLICT DO NOTHING;
INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT DISTINCT workspace_id, event_kind, 'automations', 0
FROM automation_listeners WHERE event_kind IN ('membership.created', 'membership.expiring')
ON CONFLICT DO NOTHING;
DELETE FROM event_subscriptions WHERE event_kind IN ('subscription.created', 'trial.started');
