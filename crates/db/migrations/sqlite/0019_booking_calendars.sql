-- Booking calendars (issue 16). Keep in step with
-- ../postgres/0019_booking_calendars.sql (a test compares them; PostgreSQL
-- adds an exclusion constraint as a second guard).
--
-- A calendar's rules are what af_core::booking::BookingRules reads; the
-- weekly windows, overrides, questions and tags are JSON text.
CREATE TABLE calendars (
    id                        BLOB PRIMARY KEY,
    workspace_id              BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                      TEXT NOT NULL,
    slug                      TEXT NOT NULL,
    description               TEXT NOT NULL,
    -- in_person (location = address), phone, video (location = link), none.
    location_kind             TEXT NOT NULL,
    location                  TEXT NOT NULL,
    time_zone                 TEXT NOT NULL,
    duration_minutes          INTEGER NOT NULL,
    -- 0 = the duration.
    slot_interval_minutes     INTEGER NOT NULL,
    -- JSON: [[{"start":"HH:MM","end":"HH:MM"}, ...] x 7], Monday first.
    availability              TEXT NOT NULL,
    -- JSON: {"YYYY-MM-DD": [windows]}; an empty list is a day off.
    overrides                 TEXT NOT NULL,
    buffer_before_minutes     INTEGER NOT NULL,
    buffer_after_minutes      INTEGER NOT NULL,
    min_notice_minutes        INTEGER NOT NULL,
    horizon_days              INTEGER NOT NULL,
    daily_cap                 INTEGER,
    -- JSON array of {"key","type","label","label_en","required","options","maps_to"}.
    questions                 TEXT NOT NULL,
    pipeline_id               BLOB REFERENCES pipelines (id) ON DELETE SET NULL,
    stage_id                  BLOB REFERENCES stages (id) ON DELETE SET NULL,
    -- JSON array of tag names given to the booking's contact.
    tags                      TEXT NOT NULL,
    requires_confirmation     INTEGER NOT NULL,
    cancel_cutoff_minutes     INTEGER NOT NULL,
    reschedule_cutoff_minutes INTEGER NOT NULL,
    max_reschedules           INTEGER NOT NULL,
    -- JSON array of minutes before the start (default [1440, 60]).
    reminders                 TEXT NOT NULL,
    -- owner (the one host), availability, equal_distribution.
    policy                    TEXT NOT NULL,
    active                    INTEGER NOT NULL,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    CONSTRAINT calendars_slug_key UNIQUE (workspace_id, slug),
    CONSTRAINT calendars_policy_check CHECK (policy IN ('owner', 'availability', 'equal_distribution'))
);

-- Who takes a calendar's bookings. `adjustment` credits a host who joined
-- later with the bookings it would have had (round robin never resets).
CREATE TABLE calendar_hosts (
    calendar_id  BLOB NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    priority     INTEGER NOT NULL,
    weight       INTEGER NOT NULL,
    adjustment   INTEGER NOT NULL,
    -- JSON weekly windows of the host's own hours, or NULL.
    weekly       TEXT,
    daily_cap    INTEGER,
    created_at   TEXT NOT NULL,
    CONSTRAINT calendar_hosts_pkey PRIMARY KEY (calendar_id, user_id)
);
CREATE INDEX calendar_hosts_user_idx ON calendar_hosts (workspace_id, user_id);

-- Native bookings are appointments with a calendar and a host.
ALTER TABLE appointments ADD COLUMN calendar_id BLOB REFERENCES calendars (id) ON DELETE SET NULL;
ALTER TABLE appointments ADD COLUMN host_user_id BLOB REFERENCES users (id) ON DELETE SET NULL;
-- The interval the host is held: [starts_at - before, ends_at + after).
ALTER TABLE appointments ADD COLUMN held_from TEXT;
ALTER TABLE appointments ADD COLUMN held_until TEXT;
ALTER TABLE appointments ADD COLUMN reschedules INTEGER NOT NULL DEFAULT 0;
-- The .ics SEQUENCE: 0 when booked, one more on every change.
ALTER TABLE appointments ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
-- JSON answers to the calendar's questions.
ALTER TABLE appointments ADD COLUMN answers TEXT;
CREATE INDEX appointments_host_idx ON appointments (workspace_id, host_user_id, held_from);
CREATE INDEX appointments_calendar_idx ON appointments (workspace_id, calendar_id, starts_at);

-- No double booking, on both backends: a live booking claims every
-- 5-minute cell (cell = epoch seconds / 300) of its held interval for its
-- host. Two bookings whose held intervals overlap share a cell, so the
-- second insert fails on the primary key whatever calendars they came
-- through; a cancellation deletes its claims in its own transaction.
CREATE TABLE booking_claims (
    workspace_id   BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    host_user_id   BLOB NOT NULL,
    cell           INTEGER NOT NULL,
    appointment_id BLOB NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    CONSTRAINT booking_claims_pkey PRIMARY KEY (workspace_id, host_user_id, cell)
);
CREATE INDEX booking_claims_appointment_idx ON booking_claims (appointment_id);
