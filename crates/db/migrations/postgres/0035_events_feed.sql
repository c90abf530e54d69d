-- The API's change feed (issue 21) reads a workspace's events in the order
-- they were recorded: by id (time-ordered UUIDv7), after a cursor.
-- Keep in step with ../sqlite/0035_events_feed.sql (a test compares them).
CREATE INDEX events_feed_idx ON events (workspace_id, id);
