-- Security hardening. Keep in step with ../postgres/0012_hardening.sql (a
-- test compares them).

-- Password resets and invitations are system mail: they never rest in a
-- workspace outbox, where members and API keys could read their links.
-- Drop the ones earlier versions left there.
DELETE FROM messages WHERE category = 'system';

-- Cal.com deliveries must be signed; a workspace may accept unsigned ones
-- only by ticking this (for testing).
ALTER TABLE intake_settings ADD COLUMN calcom_allow_unsigned INTEGER NOT NULL DEFAULT 0;

-- More addresses of one person: a lead that matched a contact by phone but
-- brought another email keeps the contact's email and adds this one.
CREATE TABLE contact_emails (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (contact_id, email_key)
);
CREATE INDEX contact_emails_key_idx ON contact_emails (workspace_id, email_key);
