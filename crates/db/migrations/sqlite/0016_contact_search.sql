-- Contact search through an index instead of a scan of the workspace
-- (issue 15). Keep in step with ../postgres/0016_contact_search.sql (a test
-- compares them; the search structures below are the named exception).
--
-- 1. contacts.search_text now holds folded text (lower case, no accents:
--    af_core::search::contact_text), so "perez" finds "Pérez" on both
--    backends. SQL cannot fold accents, so this migration only records that
--    existing rows must be recomputed; af_db runs that in Rust right after
--    the migrations (crates/db/src/backfills.rs), then deletes the row.
CREATE TABLE pending_backfills (
    name TEXT NOT NULL,
    CONSTRAINT pending_backfills_pkey PRIMARY KEY (name)
);
INSERT INTO pending_backfills (name) VALUES ('contacts.search_text.folded');

-- 2. SQLite only: an FTS5 trigram index over search_text. A trigram phrase
--    matches exactly the rows whose text contains the word, so the index
--    answers the same substring question as LIKE '%word%' did (for words of
--    3+ characters; shorter words stay a LIKE, see af_db::contacts).
--
--    Contentless (the text already lives in contacts.search_text), with
--    deletes allowed. Its rowid cannot be the contacts rowid: contacts has
--    a BLOB primary key, and VACUUM may renumber an implicit rowid. So
--    contact_search_rows gives every contact a stable INTEGER key, and the
--    triggers below keep both in step with contacts on every insert,
--    search_text change and delete (a workspace's cascade delete included).
CREATE TABLE contact_search_rows (
    id           INTEGER PRIMARY KEY,
    -- No foreign key: the rows belong to the triggers, and a cascade
    -- would remove the row before the delete trigger could read it.
    contact_id   BLOB NOT NULL,
    workspace_id BLOB NOT NULL,
    CONSTRAINT contact_search_rows_contact_key UNIQUE (contact_id)
);
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    search_text,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram'
);

INSERT INTO contact_search_rows (contact_id, workspace_id)
    SELECT id, workspace_id FROM contacts ORDER BY created_at, id;
INSERT INTO contacts_fts (rowid, search_text)
    SELECT r.id, c.search_text FROM contact_search_rows r JOIN contacts c ON c.id = r.contact_id;

CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contact_search_rows (contact_id, workspace_id) VALUES (new.id, new.workspace_id);
    INSERT INTO contacts_fts (rowid, search_text)
        SELECT id, new.search_text FROM contact_search_rows WHERE contact_id = new.id;
END;

CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search_text ON contacts
WHEN old.search_text IS NOT new.search_text BEGIN
    DELETE FROM contacts_fts WHERE rowid = (SELECT id FROM contact_search_rows WHERE contact_id = new.id);
    INSERT INTO contacts_fts (rowid, search_text)
        SELECT id, new.search_text FROM contact_search_rows WHERE contact_id = new.id;
END;

CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = (SELECT id FROM contact_search_rows WHERE contact_id = old.id);
    DELETE FROM contact_search_rows WHERE contact_id = old.id;
END;
