//! CSV imports of contacts: each row validated (email, phone in the
//! workspace's country, custom fields) and upserted by the upsert rule (so
//! duplicates within the file merge too) in transactions of
//! [`BATCH_ROWS`] rows, with progress and the rejected rows in the `imports`
//! table. A batch is matched, merged and written with a few multi-row
//! statements on both backends (the `bulk` module), not statement by
//! statement per row. The CLI runs an import in process; the web stores the file
//! (`import_files`) and an `import_contacts` job
//! ([`af_core::jobs::ImportContacts`]) runs it.
//!
//! Imports do not look like new leads to automations: every event they
//! write carries `"import": true, "fire_triggers": <bool>` in its data.
//! A job that dies half-way resumes after the last committed batch.

mod bulk;

use crate::contacts::{self, ContactInput};
use crate::custom_fields::{self, FieldDef};
use crate::gdpr::{self, ErasedSet};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::contact_input::{ContactField, Problem, RawContact, validate_contact};
use af_core::csv_io::{self, CsvFile, Field};
use af_core::{Actor, Clock, ImportId, WorkspaceId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Rows per transaction: large enough that SQLite's per-commit cost
/// vanishes, small enough that progress moves and a retry redoes little.
pub const BATCH_ROWS: usize = 500;

/// Rejected rows kept in the report (the counts are always complete).
pub const MAX_REPORTED_REJECTS: usize = 1000;

/// Status of an import.
pub mod status {
    /// Uploaded on the web, waiting for the column mapping.
    pub const UPLOADED: &str = "uploaded";
    /// Mapping confirmed, waiting for a worker.
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    /// The file could not be read at all (the report says why).
    pub const FAILED: &str = "failed";
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Import {
    #[sqlx(try_from = "Uuid")]
    pub id: ImportId,
    /// `af_core::csv_records::ImportKind`: contacts, activities, memberships.
    pub kind: String,
    pub file_name: String,
    pub status: String,
    pub total_rows: i32,
    pub processed_rows: i32,
    pub created_rows: i32,
    pub updated_rows: i32,
    pub rejected_rows: i32,
    pub report: String,
    pub created_by: Option<Uuid>,
    pub created_at: Ts,
    pub finished_at: Option<Ts>,
}

impl Import {
    pub fn report(&self) -> ImportReport {
        serde_json::from_str(&self.report).unwrap_or_default()
    }

    pub fn is_finished(&self) -> bool {
        self.status == status::DONE || self.status == status::FAILED
    }

    /// Progress in whole percent (0 when the size is unknown).
    pub fn percent(&self) -> i32 {
        if self.total_rows <= 0 {
            return if self.is_finished() { 100 } else { 0 };
        }
        ((i64::from(self.processed_rows) * 100) / i64::from(self.total_rows)).clamp(0, 100) as i32
    }
}

macro_rules! import_columns {
    () => {
        "id, kind, file_name, status, total_rows, processed_rows, created_rows, updated_rows, rejected_rows, report, \
         created_by, created_at, finished_at"
    };
}

/// Why a row was not imported. `code` is stable (the web translates it);
/// `message` is English for the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Record number in the file (the header is row 1).
    pub row: usize,
    pub code: String,
    pub field: Option<String>,
    /// The offending value, shortened.
    pub value: Option<String>,
    pub message: String,
}

impl Rejected {
    pub fn new(code: &str, field: Option<&str>, value: Option<&str>, message: String) -> Self {
        Rejected {
            row: 0,
            code: code.into(),
            field: field.map(str::to_string),
            value: value.map(|v| v.chars().take(80).collect()),
            message,
        }
    }
}

/// The report kept with an import.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportReport {
    /// Field name per column.
    pub mapping: Vec<String>,
    pub headers: Vec<String>,
    pub fire_triggers: bool,
    /// The first [`MAX_REPORTED_REJECTS`] rejected rows.
    pub rejected: Vec<Rejected>,
    /// Why the whole file failed, if it did.
    pub error: Option<String>,
}

/// Counts of a run, as the progress callback and the summary see them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub total: usize,
    pub processed: usize,
    pub created: usize,
    pub updated: usize,
    pub rejected: usize,
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Whether the events may start automations (`lead_created` ...).
    pub fire_triggers: bool,
    /// Default country for phone numbers (the workspace's).
    pub country: String,
    pub actor: Actor,
}

// ------------------------------------------------------------ the rows table

/// Creates the imports row.
#[expect(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn insert_import(
    tx: &mut Tx,
    ws: WorkspaceId,
    file_name: &str,
    status: &str,
    total_rows: usize,
    report: &ImportReport,
    created_by: Option<af_core::UserId>,
    now: Ts,
) -> DbResult<ImportId> {
    let id = ImportId::new();
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO imports (id, workspace_id, file_name, status, total_rows, processed_rows, created_rows,
                                  updated_rows, rejected_rows, report, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, $6, $7, $8)",
        )
        .bind(id.0).bind(ws.0).bind(name).bind(status).bind(to_i32(total_rows))
        .bind(serde_json::to_string(report).unwrap_or_else(|_| "{}".into()))
        .bind(created_by.map(|u| u.0)).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(id)
}

fn to_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub async fn find_import(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ImportId,
) -> DbResult<Option<Import>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Import>(concat!("SELECT ", import_columns!(), " FROM imports WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// The workspace's most recent imports.
pub async fn list_imports(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<Import>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Import>(concat!("SELECT ", import_columns!(),
            " FROM imports WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
            .bind(ws.0).bind(limit).fetch_all(p).await?
    }))
}

/// Stores an uploaded file (with the suggested mapping) for a web import.
pub async fn insert_import_file(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ImportId,
    content: &[u8],
    mapping: &[Field],
    now: Ts,
) -> DbResult<()> {
    let mapping = mapping_json(mapping);
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO import_files (import_id, workspace_id, content, mapping, fire_triggers, created_at)
             VALUES ($1, $2, $3, $4, FALSE, $5)",
        )
        .bind(id.0).bind(ws.0).bind(content).bind(mapping).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(())
}

fn mapping_json(mapping: &[Field]) -> String {
    serde_json::to_string(&mapping.iter().map(|f| f.name()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

fn parse_mapping(json: &str) -> Vec<Field> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .map(|f| Field::parse(f).unwrap_or(Field::Ignore))
        .collect()
}

/// A stored upload: the file, its mapping and whether to fire triggers.
pub struct ImportFile {
    pub content: Vec<u8>,
    /// As contact fields (a contacts import).
    pub mapping: Vec<Field>,
    /// The stored names (an activities or memberships import reads its
    /// columns from these: `af_core::csv_records::Column`).
    pub names: Vec<String>,
    pub fire_triggers: bool,
}

pub async fn find_import_file(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ImportId,
) -> DbResult<Option<ImportFile>> {
    let row: Option<(Vec<u8>, String, bool)> = with_pool!(db, p => {
        sqlx::query_as("SELECT content, mapping, fire_triggers FROM import_files WHERE workspace_id = $1 AND import_id = $2")
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    });
    Ok(row.map(|(content, mapping, fire_triggers)| ImportFile {
        content,
        names: serde_json::from_str(&mapping).unwrap_or_default(),
        mapping: parse_mapping(&mapping),
        fire_triggers,
    }))
}

/// Confirms the mapping of an uploaded import and enqueues its job, in one
/// transaction. False when the import is not waiting for a mapping.
pub async fn queue_import(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ImportId,
    mapping: &[Field],
    fire_triggers: bool,
    now: Ts,
) -> DbResult<bool> {
    let moved = with_tx!(tx, c => {
        sqlx::query("UPDATE imports SET status = $3 WHERE workspace_id = $1 AND id = $2 AND status = $4")
            .bind(ws.0).bind(id.0).bind(status::QUEUED).bind(status::UPLOADED)
            .execute(&mut *c).await?.rows_affected()
    }) > 0;
    if !moved {
        return Ok(false);
    }
    with_tx!(tx, c => {
        sqlx::query("UPDATE import_files SET mapping = $3, fire_triggers = $4 WHERE workspace_id = $1 AND import_id = $2")
            .bind(ws.0).bind(id.0).bind(mapping_json(mapping)).bind(fire_triggers)
            .execute(&mut *c).await?;
    });
    let job = af_core::jobs::ImportContacts {
        workspace_id: ws,
        import_id: id,
    };
    crate::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    Ok(true)
}

/// Sets what an import brings in (a new import is `contacts`).
pub async fn set_kind(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ImportId,
    kind: af_core::csv_records::ImportKind,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE imports SET kind = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(kind.as_str()).execute(&mut *c).await?;
    });
    Ok(())
}

/// Confirms the column names of an uploaded activities or memberships
/// import and enqueues its job, in one transaction. False when the import
/// is not waiting for a mapping.
pub async fn queue_record_import(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ImportId,
    names: &[&str],
    now: Ts,
) -> DbResult<bool> {
    let moved = with_tx!(tx, c => {
        sqlx::query("UPDATE imports SET status = $3 WHERE workspace_id = $1 AND id = $2 AND status = $4")
            .bind(ws.0).bind(id.0).bind(status::QUEUED).bind(status::UPLOADED)
            .execute(&mut *c).await?.rows_affected()
    }) > 0;
    if !moved {
        return Ok(false);
    }
    set_record_mapping(tx, ws, id, names).await?;
    let job = af_core::jobs::ImportRecords {
        workspace_id: ws,
        import_id: id,
    };
    crate::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    Ok(true)
}

/// Stores the column names of an activities or memberships import.
pub async fn set_record_mapping(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ImportId,
    names: &[&str],
) -> DbResult<()> {
    let names = serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    with_tx!(tx, c => {
        sqlx::query("UPDATE import_files SET mapping = $3 WHERE workspace_id = $1 AND import_id = $2")
            .bind(ws.0).bind(id.0).bind(names).execute(&mut *c).await?;
    });
    Ok(())
}

/// Deletes an import's stored upload (it is not kept once imported).
pub async fn delete_import_file(tx: &mut Tx, ws: WorkspaceId, id: ImportId) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM import_files WHERE workspace_id = $1 AND import_id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?;
    });
    Ok(())
}

/// Writes an import's counts, report and status.
pub async fn save_progress(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ImportId,
    p: &Progress,
    report: &ImportReport,
    state: &str,
    finished: Option<Ts>,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE imports SET status = $3, total_rows = $4, processed_rows = $5, created_rows = $6, updated_rows = $7,
                    rejected_rows = $8, report = $9, finished_at = $10
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).bind(state).bind(to_i32(p.total)).bind(to_i32(p.processed))
        .bind(to_i32(p.created)).bind(to_i32(p.updated)).bind(to_i32(p.rejected))
        .bind(serde_json::to_string(report).unwrap_or_else(|_| "{}".into())).bind(finished)
        .execute(&mut *c).await?;
    });
    Ok(())
}

// ------------------------------------------------------------- validation

/// Checks and normalises one mapped row with the contact validator every
/// door uses; `Err` says why it is rejected (its first problem, as a
/// stable code). A row also needs an email or a phone even when it has a
/// name: those are the keys the upsert rule merges by, so without one every
/// re-import of the same file would add the person again.
pub fn validate_row(
    raw: RawContact,
    country: &str,
    defs: &[FieldDef],
) -> Result<ContactInput, Rejected> {
    let no_key = || {
        Rejected::new(
            "no_email_or_phone",
            None,
            None,
            "the row has neither an email nor a phone".into(),
        )
    };
    let input = validate_contact(&raw, country, defs).map_err(|errors| {
        let Some(e) = errors.into_iter().next() else {
            return no_key();
        };
        let code = match e.problem {
            Problem::NoContactPoint => return no_key(),
            Problem::TooLong | Problem::ControlCharacters => "invalid_field",
            Problem::Email => "invalid_email",
            Problem::Phone => "invalid_phone",
            Problem::Lifecycle => "invalid_lifecycle",
            Problem::Tag => "invalid_tag",
            Problem::Custom => "invalid_custom",
        };
        // Reports name custom columns `custom:<key>` (the mapping's names).
        let field = match &e.field {
            ContactField::Custom(k) => format!("custom:{k}"),
            f => f.as_str().into_owned(),
        };
        Rejected::new(code, Some(&field), e.value.as_deref(), e.message)
    })?;
    if input.email.is_none() && input.phone.is_none() {
        return Err(no_key());
    }
    Ok(input)
}

// ------------------------------------------------------------------ running

/// Why a row whose email and phone belong to two contacts is rejected.
fn conflict() -> Rejected {
    Rejected::new(
        "conflict",
        None,
        None,
        "the email and the phone belong to two different contacts".into(),
    )
}

/// Reads the headers of a file (for the mapping step).
pub fn read_headers(data: &[u8]) -> Result<Vec<String>, csv_io::CsvError> {
    CsvFile::open(data).map(|f| f.headers)
}

/// The first `n` data rows (for the mapping step's preview).
pub fn preview_rows(data: &[u8], n: usize) -> Vec<Vec<String>> {
    let Ok(mut f) = CsvFile::open(data) else {
        return vec![];
    };
    let mut out = vec![];
    while out.len() < n {
        match f.next_row() {
            Some(Ok((_, cells))) => out.push(cells),
            _ => break,
        }
    }
    out
}

/// Number of data rows of a readable file.
pub fn count_rows(data: &[u8]) -> Result<usize, csv_io::CsvError> {
    CsvFile::open(data).map(CsvFile::count_rows)
}

/// The `(key, label)` of the workspace's custom fields, for mapping
/// suggestions.
pub async fn custom_keys(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<(String, String)>> {
    Ok(custom_fields::list_fields(db, ws)
        .await?
        .into_iter()
        .map(|d| (d.key, d.label))
        .collect())
}

struct Run<'a> {
    db: &'a crate::Db,
    ws: WorkspaceId,
    id: ImportId,
    opts: &'a ImportOptions,
    clock: &'a dyn Clock,
    erased: ErasedSet,
    progress: Progress,
    report: ImportReport,
}

impl Run<'_> {
    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    fn reject(&mut self, r: Rejected) {
        self.progress.rejected += 1;
        self.progress.processed += 1;
        if self.report.rejected.len() < MAX_REPORTED_REJECTS {
            self.report.rejected.push(r);
        }
    }

    fn event_data(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("import".into(), true.into());
        m.insert("import_id".into(), self.id.to_string().into());
        m.insert("fire_triggers".into(), self.opts.fire_triggers.into());
        m
    }

    /// One row's upsert (and opt-outs of erased people) in `tx`.
    async fn upsert(&self, tx: &mut Tx, input: &ContactInput) -> DbResult<bool> {
        let now = self.now();
        let up = contacts::upsert_contact_with_event_data(
            tx,
            self.ws,
            input,
            &self.opts.actor,
            now,
            self.event_data(),
        )
        .await?;
        if !self.erased.is_empty() {
            let o = self
                .erased
                .get(up.contact.email.as_deref(), up.contact.phone.as_deref());
            gdpr::apply_opt_outs(
                tx,
                self.ws,
                up.contact,
                o,
                &self.opts.actor,
                now,
                self.event_data(),
            )
            .await?;
        }
        Ok(up.created)
    }

    /// Writes a batch in one transaction with the progress, through the
    /// chunked path ([`bulk`]: a dozen statements for the whole batch).
    /// Should the database refuse the chunk's statements (a key a
    /// concurrent writer took, or a swap of keys inside one statement),
    /// the batch is redone a row per transaction, rejecting only the rows
    /// the database refuses.
    async fn flush(
        &mut self,
        batch: &mut Vec<(usize, Result<ContactInput, Rejected>)>,
    ) -> DbResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(batch);
        let chunk: Vec<bulk::ChunkRow<'_>> = rows
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .map(|input| bulk::ChunkRow {
                input,
                now: self.now(),
            })
            .collect();
        let extra = self.event_data();
        let ctx = bulk::Ctx {
            ws: self.ws,
            actor: &self.opts.actor,
            extra: &extra,
            erased: &self.erased,
        };
        let mut tx = self.db.begin().await?;
        let written = bulk::write_chunk(&mut tx, &ctx, &chunk).await;
        drop(chunk);
        let outcomes = match written {
            Ok(outcomes) => outcomes,
            Err(e) if e.unique_violation().is_some() => {
                tx.rollback().await?;
                return self.flush_row_by_row(rows).await;
            }
            Err(e) => return Err(e),
        };
        let mut outcomes = outcomes.into_iter();
        for (row, r) in rows {
            match r {
                Err(rej) => self.reject(Rejected { row, ..rej }),
                Ok(_) => match outcomes.next() {
                    Some(bulk::Outcome::Created) => self.count(true),
                    Some(bulk::Outcome::Updated) => self.count(false),
                    Some(bulk::Outcome::Conflict) => self.reject(Rejected { row, ..conflict() }),
                    None => return Err(DbError::NotFound("import row outcome")),
                },
            }
        }
        save_progress(
            &mut tx,
            self.ws,
            self.id,
            &self.progress,
            &self.report,
            status::RUNNING,
            None,
        )
        .await?;
        tx.commit().await
    }

    /// The batch a row per transaction (the per-row upsert), when the
    /// chunked path could not write it.
    async fn flush_row_by_row(
        &mut self,
        rows: Vec<(usize, Result<ContactInput, Rejected>)>,
    ) -> DbResult<()> {
        for (row, r) in rows {
            match r {
                Err(rej) => self.reject(Rejected { row, ..rej }),
                Ok(input) => {
                    let mut tx = self.db.begin().await?;
                    match self.upsert(&mut tx, &input).await {
                        Ok(created) => {
                            tx.commit().await?;
                            self.count(created);
                        }
                        Err(e) if e.unique_violation().is_some() => {
                            tx.rollback().await?;
                            self.reject(Rejected { row, ..conflict() });
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let mut tx = self.db.begin().await?;
        save_progress(
            &mut tx,
            self.ws,
            self.id,
            &self.progress,
            &self.report,
            status::RUNNING,
            None,
        )
        .await?;
        tx.commit().await
    }

    fn count(&mut self, created: bool) {
        self.progress.processed += 1;
        if created {
            self.progress.created += 1;
        } else {
            self.progress.updated += 1;
        }
    }
}

/// PostgreSQL only: refreshes the planner's statistics of the tables an
/// import grows. Prepared statements planned while `contacts` was nearly
/// empty keep sequential scans (the upsert rule's lookups by email and
/// phone) long after the table holds 100k rows, and autovacuum's analyze
/// comes too late for a running import: measured, 50 rows/s before, ten
/// times that after. ANALYZE samples, so it stays cheap on big tables.
async fn refresh_planner_stats(db: &crate::Db) -> DbResult<()> {
    if let crate::Db::Pg(p) = db {
        sqlx::query("ANALYZE contacts, contact_tags, tags")
            .execute(p)
            .await?;
    }
    Ok(())
}

/// Runs (or resumes) import `id` over `data` with `mapping`: see the
/// module doc. `on_progress` is called after each committed batch. A file
/// that cannot be read marks the import failed (the report says why) and
/// is not an `Err`; database errors are.
#[expect(clippy::too_many_arguments, reason = "one call site per front end")]
pub async fn run_import(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ImportId,
    data: &[u8],
    mapping: &[Field],
    opts: &ImportOptions,
    clock: &dyn Clock,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> DbResult<Import> {
    let existing = find_import(db, ws, id)
        .await?
        .ok_or(DbError::NotFound("import"))?;
    if existing.is_finished() {
        return Ok(existing);
    }
    let mut report = existing.report();
    report.mapping = mapping.iter().map(|f| f.name().into_owned()).collect();
    report.fire_triggers = opts.fire_triggers;
    let mut run = Run {
        db,
        ws,
        id,
        opts,
        clock,
        erased: gdpr::load_erased_set(db, ws).await?,
        progress: Progress {
            total: usize::try_from(existing.total_rows).unwrap_or(0),
            processed: usize::try_from(existing.processed_rows).unwrap_or(0),
            created: usize::try_from(existing.created_rows).unwrap_or(0),
            updated: usize::try_from(existing.updated_rows).unwrap_or(0),
            rejected: usize::try_from(existing.rejected_rows).unwrap_or(0),
        },
        report,
    };
    let fail = |run: &mut Run<'_>, message: String| {
        run.report.error = Some(message);
    };
    let file = CsvFile::open(data).and_then(|f| {
        csv_io::check_mapping(mapping, f.headers.len())
            .map_err(csv_io::CsvError::Malformed)
            .map(|()| f)
    });
    let mut file = match file {
        Ok(f) => f,
        Err(e) => {
            fail(&mut run, e.to_string());
            let mut tx = db.begin().await?;
            let now = run.now();
            save_progress(
                &mut tx,
                ws,
                id,
                &run.progress,
                &run.report,
                status::FAILED,
                Some(now),
            )
            .await?;
            tx.commit().await?;
            return find_import(db, ws, id)
                .await?
                .ok_or(DbError::NotFound("import"));
        }
    };
    run.report.headers = file.headers.clone();
    if run.progress.total == 0 {
        run.progress.total = count_rows(data).unwrap_or(0);
    }
    let defs = custom_fields::list_fields(db, ws).await?;
    let skip = run.progress.processed;
    let mut seen = 0usize;
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut batches = 0u32;
    on_progress(&run.progress);
    while let Some(next) = file.next_row() {
        seen += 1;
        if seen <= skip {
            continue;
        }
        match next {
            Ok((row, cells)) => {
                let raw = csv_io::map_row(mapping, &cells);
                batch.push((row, validate_row(raw, &opts.country, &defs)));
            }
            Err((row, message)) => {
                // The reader cannot go on after a broken record.
                batch.push((
                    row,
                    Err(Rejected::new("malformed_row", None, None, message)),
                ));
                break;
            }
        }
        if batch.len() >= BATCH_ROWS {
            run.flush(&mut batch).await?;
            batches += 1;
            if batches.is_power_of_two() || batches.is_multiple_of(20) {
                refresh_planner_stats(db).await?;
            }
            on_progress(&run.progress);
        }
    }
    run.flush(&mut batch).await?;
    run.progress.total = run.progress.processed;
    let now = run.now();
    let mut tx = db.begin().await?;
    save_progress(
        &mut tx,
        ws,
        id,
        &run.progress,
        &run.report,
        status::DONE,
        Some(now),
    )
    .await?;
    // The upload is not kept once imported.
    delete_import_file(&mut tx, ws, id).await?;
    tx.commit().await?;
    on_progress(&run.progress);
    find_import(db, ws, id)
        .await?
        .ok_or(DbError::NotFound("import"))
}

/// Runs a queued web import (the job's work). Idempotent: a finished
/// import is left alone, an interrupted one resumes.
pub async fn run_queued_import(
    db: &crate::Db,
    ws: WorkspaceId,
    id: ImportId,
    clock: &dyn Clock,
) -> DbResult<Option<Import>> {
    let Some(import) = find_import(db, ws, id).await? else {
        return Ok(None);
    };
    if import.is_finished() {
        return Ok(Some(import));
    }
    let Some(file) = find_import_file(db, ws, id).await? else {
        return Ok(Some(import));
    };
    let workspace = crate::workspaces::find_workspace(db, ws)
        .await?
        .ok_or(DbError::NotFound("workspace"))?;
    let actor = match import.created_by {
        Some(u) => match crate::users::find_user(db, af_core::UserId(u)).await? {
            Some(user) => Actor::user(user.id, &user.email),
            None => Actor::system(),
        },
        None => Actor::system(),
    };
    let opts = ImportOptions {
        fire_triggers: file.fire_triggers,
        country: workspace.country,
        actor,
    };
    let done = run_import(
        db,
        ws,
        id,
        &file.content,
        &file.mapping,
        &opts,
        clock,
        &mut |_| {},
    )
    .await?;
    Ok(Some(done))
}
