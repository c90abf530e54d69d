-- Kommo under load: sync messages claimed together into one batch call, and
-- request pacing shared by every node (a per-process limiter would let N
-- worker processes send N times the vendor's limit).
-- Keep in step with ../sqlite/0011_kommo_pacing.sql (a test compares them).

-- The message whose send job leads the batch this message went out in
-- (a re-run of that job re-sends exactly that batch).
ALTER TABLE messages ADD COLUMN batch_leader UUID;
CREATE INDEX messages_batch_leader_idx ON messages (workspace_id, batch_leader);
-- Finding the queued Kommo messages to batch.
CREATE INDEX messages_channel_status_idx ON messages (workspace_id, channel, status, created_at);

-- One row per paced account ("kommo:https://x.kommo.com"): the earliest
-- instant the next request may go.
CREATE TABLE rate_slots (
    key     TEXT PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);
