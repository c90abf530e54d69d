-- Email engagement (issue 17): the events SendGrid's and Brevo's webhooks
-- report, one row per vendor event so a replay is a no-op (SendGrid's
-- sg_event_id; a hash of Brevo's message id, event, time and link), and
-- the addresses a workspace no longer sends marketing email to because
-- they hard-bounced or reported spam (checked where unsubscribes are).
-- Keep in step with ../sqlite/0024_email_events.sql.
CREATE TABLE email_events (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    event_key    TEXT NOT NULL,
    -- Our message, when the event names one of ours.
    message_id   UUID,
    event        TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT email_events_pkey PRIMARY KEY (workspace_id, provider, event_key)
);
CREATE INDEX email_events_message_idx ON email_events (workspace_id, message_id);

CREATE TABLE email_suppressions (
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Lower-cased address.
    email        TEXT NOT NULL,
    -- `hard_bounce` or `spam`.
    reason       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    -- The vendor's words (bounce reason), for people to read.
    detail       TEXT,
    message_id   UUID,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT email_suppressions_pkey PRIMARY KEY (workspace_id, email),
    CONSTRAINT email_suppressions_reason_check CHECK (reason IN ('hard_bounce', 'spam'))
);
