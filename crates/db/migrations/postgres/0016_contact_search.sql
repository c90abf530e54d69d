-- Contact search through an index instead of a scan of the workspace
-- (issue 15). Keep in step with ../sqlite/0016_contact_search.sql (a test
-- compares them; the search structures below are the named exception).
--
-- 1. contacts.search_text now holds folded text (lower case, no accents:
--    af_core::search::contact_text), so "perez" finds "Pérez" on both
--    backends without the unaccent extension. SQL cannot fold accents the
--    way Rust does, so this migration only records that existing rows must
--    be recomputed; af_db runs that in Rust right after the migrations
--    (crates/db/src/backfills.rs), then deletes the row.
CREATE TABLE pending_backfills (
    name TEXT NOT NULL,
    CONSTRAINT pending_backfills_pkey PRIMARY KEY (name)
);
INSERT INTO pending_backfills (name) VALUES ('contacts.search_text.folded');

-- 2. PostgreSQL only: a GIN trigram index over search_text, which answers
--    LIKE '%word%' for words of 3+ characters. pg_trgm is a trusted
--    extension (PostgreSQL 13+): the database owner may create it. The
--    index cannot lead with workspace_id (GIN over uuid needs btree_gin);
--    queries still filter by workspace_id on the rows it finds.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_search_trgm_idx ON contacts USING gin (search_text gin_trgm_ops);
