-- In-app notifications, the bell (issue 18, SPEC C9).
-- Keep in step with ../postgres/0029_notifications.sql (a test compares them).

-- One notification for one member in one workspace. kind is
-- af_core::vocab::NotificationKind; params a small JSON object the page
-- turns into text in the viewer's language (never stored prose); link a
-- path inside the product.
CREATE TABLE notifications (
    id           BLOB PRIMARY KEY,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    params       TEXT NOT NULL,
    link         TEXT NOT NULL,
    -- What caused it (e.g. 'event:<id>'), when its writer may run twice
    -- (a retried job): a second push with the same key adds nothing.
    source_key   TEXT,
    created_at   TEXT NOT NULL,
    read_at      TEXT
);
-- The bell's unread count is one COUNT over this partial index. read_at
-- is in it (always NULL) so SQLite's planner, which has no statistics,
-- sees three equalities here against two on the list index and takes this
-- one (tested: notifications::the_unread_count_and_the_list_walk_their_indexes).
CREATE INDEX notifications_unread_idx ON notifications (workspace_id, user_id, read_at) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_source_idx ON notifications (workspace_id, user_id, source_key);
-- The dropdown and the list page walk (created_at, id) backwards.
CREATE INDEX notifications_list_idx ON notifications (workspace_id, user_id, created_at DESC, id DESC);

-- What a member wants per kind. No row means the default: in the app yes,
-- by email no.
CREATE TABLE notification_preferences (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    in_app       INTEGER NOT NULL,
    email        INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT notification_preferences_pkey PRIMARY KEY (workspace_id, user_id, kind)
);

-- A member's daily digest email (off unless a row says on).
CREATE TABLE notification_settings (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    daily_digest INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    CONSTRAINT notification_settings_pkey PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX notification_settings_digest_idx ON notification_settings (workspace_id) WHERE daily_digest = 1;

-- Digests queued, one per member and local date: the insert decides, so a
-- second run of the hourly check (or a second node) queues nothing.
CREATE TABLE notification_digests (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    local_date   TEXT NOT NULL,
    queued_at    TEXT NOT NULL,
    CONSTRAINT notification_digests_pkey PRIMARY KEY (workspace_id, user_id, local_date)
);

-- The bell hears tasks, hot leads and bookings in every workspace
-- (af_core::events::Subscriber::Notifications).
INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT w.id, k.kind, 'notifications', 1
FROM workspaces w CROSS JOIN (
    SELECT 'task.created' AS kind UNION ALL SELECT 'score.threshold_entered'
    UNION ALL SELECT 'appointment.booked'
) k
WHERE w.id IS NOT NULL
ON CONFLICT DO NOTHING;
