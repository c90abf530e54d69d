-- The event spine. Keep in step with ../postgres/0013_event_spine.sql (a
-- test compares them).

-- Who may react to which event kind, per workspace: an index of the
-- listening configuration, kept in step by the code that writes that
-- configuration (workflow listeners, webhook endpoints, Kommo syncs).
-- Writing an event looks here once; when a row matches, one dispatch job
-- decides the rest (crates/engine/src/dispatch.rs).
CREATE TABLE event_subscriptions (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- An event kind, or '*' for every kind.
    event_kind   TEXT NOT NULL,
    -- automations, webhooks or kommo (af_core::events::Subscriber).
    subscriber   TEXT NOT NULL,
    -- Also reacts to events written with fire_triggers = false (quiet
    -- imports): webhooks and Kommo do, automations do not.
    hears_quiet  INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, event_kind, subscriber)
);

INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT DISTINCT workspace_id, event_kind, 'automations', 0 FROM automation_listeners;

INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT DISTINCT e.workspace_id, k.value, 'webhooks', 1
FROM webhook_endpoints e, json_each(e.event_types) k
WHERE e.active = 1 AND json_valid(e.event_types)
ON CONFLICT DO NOTHING;

INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
SELECT DISTINCT workspace_id, 'appointment.booked', 'kommo', 1 FROM messages WHERE channel = 'kommo'
ON CONFLICT DO NOTHING;
