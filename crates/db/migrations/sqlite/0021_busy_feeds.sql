-- External busy times of booking hosts (issue 16): a member's calendar
-- feed (the "secret address" of a Google or Outlook calendar, sealed with
-- the server key: it gives read access to the calendar) and the busy
-- intervals last read from it, which the slot engine treats like
-- bookings. Keep in step with ../postgres/0021_busy_feeds.sql.
CREATE TABLE busy_feeds (
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id        BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url_sealed     TEXT NOT NULL,
    -- The address without its secret path, to show which feed it is.
    url_hint       TEXT NOT NULL,
    last_synced_at TEXT,
    last_error     TEXT,
    busy_count     INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT busy_feeds_pkey PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE busy_times (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL
);
CREATE INDEX busy_times_user_idx ON busy_times (workspace_id, user_id, starts_at);
