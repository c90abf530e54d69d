-- Conversations (issue 20): one thread per contact across channels, with
-- who it is assigned to, whether it is open, and how many inbound messages
-- nobody has read. The messages themselves stay in `messages` (a thread is
-- the contact's messages); this row is what the inbox lists and sorts.
-- Keep in step with ../sqlite/0032_conversations.sql (a test compares them).
CREATE TABLE conversations (
    workspace_id    UUID NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id      UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- 'open' or 'closed' (af_core::vocab::ConversationStatus); an inbound
    -- message opens a closed conversation again.
    status          TEXT NOT NULL,
    assignee_id     UUID REFERENCES users (id) ON DELETE SET NULL,
    -- Inbound messages since someone last opened the thread.
    unread          INTEGER NOT NULL,
    last_message_at TIMESTAMPTZ NOT NULL,
    -- The latest message's channel, direction and first characters, so the
    -- list needs no second query per row.
    last_channel    TEXT,
    last_direction  TEXT,
    last_preview    TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT conversations_pkey PRIMARY KEY (workspace_id, contact_id)
);
-- The inbox walks (last_message_at, contact_id) backwards.
CREATE INDEX conversations_list_idx ON conversations (workspace_id, last_message_at DESC, contact_id DESC);
CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, assignee_id, last_message_at DESC);

-- A message written by a member from the inbox: who sent it, whether she
-- overrode quiet hours (audited), a WhatsApp template (Twilio Content SID
-- and its variables as JSON) and the email threading headers.
ALTER TABLE messages ADD COLUMN sent_by UUID REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN quiet_override BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN content_sid TEXT;
ALTER TABLE messages ADD COLUMN content_variables TEXT;
-- Our Message-ID header (outbound email) or the sender's (inbound email),
-- and the Message-ID this one answers.
ALTER TABLE messages ADD COLUMN email_message_id TEXT;
ALTER TABLE messages ADD COLUMN in_reply_to TEXT;
CREATE INDEX messages_email_message_id_idx ON messages (workspace_id, email_message_id);

-- Every contact that already has messages gets its conversation.
INSERT INTO conversations (workspace_id, contact_id, status, unread, last_message_at, created_at, updated_at)
SELECT workspace_id, contact_id, 'open', 0, MAX(created_at), MIN(created_at), MAX(created_at)
FROM messages
WHERE contact_id IS NOT NULL AND channel IN ('email', 'sms', 'whatsapp', 'voice') AND category <> 'system'
GROUP BY workspace_id, contact_id;

-- The bell hears replies (the contact's owner or the conversation's
-- assignee) and assignments in every workspace.
INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT w.id, k.kind, 'notifications', TRUE
FROM workspaces w CROSS JOIN (
    SELECT 'message.inbound' AS kind UNION ALL SELECT 'conversation.assigned'
) k
WHERE w.id IS NOT NULL
ON CONFLICT DO NOTHING;
