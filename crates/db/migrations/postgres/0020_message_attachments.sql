-- Files sent with a message (issue 16: a booking's .ics invitation; later
-- the inbox's images and PDFs). Keep in step with
-- ../sqlite/0020_message_attachments.sql (a test compares them).
CREATE TABLE message_attachments (
    message_id   UUID NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    workspace_id UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    -- MIME type with its parameters: text/calendar; method=REQUEST.
    content_type TEXT NOT NULL,
    content      BYTEA NOT NULL,
    CONSTRAINT message_attachments_pkey PRIMARY KEY (message_id, position)
);
CREATE INDEX message_attachments_workspace_idx ON message_attachments (workspace_id, message_id);

-- Workflows triggered relative to an appointment follow it when it is
-- rescheduled (their pending step moves with the start). Workflows saved
-- from now on list this themselves; these are the ones saved before.
INSERT INTO automation_listeners (workspace_id, event_kind, workflow_id, role)
SELECT workspace_id, 'appointment.rescheduled', workflow_id, 'follow'
FROM automation_listeners
WHERE event_kind = 'appointment.booked' AND role = 'trigger'
  AND workflow_id IN (SELECT id FROM workflows WHERE trigger_type = 'appointment_relative')
ON CONFLICT DO NOTHING;

INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT DISTINCT workspace_id, 'appointment.rescheduled', 'automations', FALSE
FROM automation_listeners WHERE event_kind = 'appointment.rescheduled'
ON CONFLICT DO NOTHING;
