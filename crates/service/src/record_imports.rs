//! CSV imports of activities and memberships (issue 17): the file stored
//! by the web's upload step, its columns mapped to
//! `af_core::csv_records::Column`, each row turned into the request the
//! API takes and recorded through the API's use cases
//! ([`crate::scoring::record_batch`], [`crate::memberships::save`]) — so a
//! row is checked, matched to its contact (an unknown email or phone
//! creates one), scored and announced exactly like a posted one.
//!
//! Progress and the rejected rows go to the `imports` row after each
//! batch. A run that dies half-way resumes after the last saved batch:
//! activities without an idempotency column get the key
//! `import:{import}:{row}`, so a batch recorded but not yet counted is not
//! recorded twice; memberships update by their external id (rows without
//! one may repeat the batch that was cut, at most [`MEMBERSHIP_BATCH`]
//! rows).

use crate::memberships::{self, MembershipError, MembershipRequest};
use crate::scoring::{self, RawActivity, ScoringError};
use af_core::csv_io::{self, CsvFile};
use af_core::csv_records::{self as records, Column, ImportKind};
use af_core::{Actor, Clock, ImportId, WorkspaceId, money};
use af_db::imports::{
    self, Import, ImportReport, MAX_REPORTED_REJECTS, Progress, Rejected, status,
};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, Ts};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Activity rows per batch (one transaction of `record_batch`).
pub const ACTIVITY_BATCH: usize = 500;

/// Membership rows between two progress saves (each row is its own
/// transaction, as through the API).
pub const MEMBERSHIP_BATCH: usize = 50;

/// Runs (or resumes) import `id` of the workspace over its stored file;
/// `on_progress` is called after each saved batch. A finished import is
/// left alone; `Ok(None)` when there is no such import.
pub async fn run(
    db: &Db,
    ws: WorkspaceId,
    id: ImportId,
    clock: &dyn Clock,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Option<Import>, DbError> {
    let Some(import) = imports::find_import(db, ws, id).await? else {
        return Ok(None);
    };
    if import.is_finished() {
        return Ok(Some(import));
    }
    let Some(kind) = ImportKind::parse(&import.kind).filter(|k| *k != ImportKind::Contacts) else {
        return Ok(Some(import));
    };
    let Some(file) = imports::find_import_file(db, ws, id).await? else {
        return Ok(Some(import));
    };
    let workspace = af_db::workspaces::find_workspace(db, ws)
        .await?
        .ok_or(DbError::NotFound("workspace"))?;
    let actor = match import.created_by {
        Some(u) => match af_db::users::find_user(db, af_core::UserId(u)).await? {
            Some(user) => Actor::user(user.id, &user.email),
            None => Actor::system(),
        },
        None => Actor::system(),
    };
    let mapping: Vec<Column> = file
        .names
        .iter()
        .map(|n| Column::parse(kind, n).unwrap_or(Column::Ignore))
        .collect();
    let mut run = Run {
        db,
        workspace: &workspace,
        import: &import,
        kind,
        actor,
        clock,
        progress: Progress {
            total: usize::try_from(import.total_rows).unwrap_or(0),
            processed: usize::try_from(import.processed_rows).unwrap_or(0),
            created: usize::try_from(import.created_rows).unwrap_or(0),
            updated: usize::try_from(import.updated_rows).unwrap_or(0),
            rejected: usize::try_from(import.rejected_rows).unwrap_or(0),
        },
        report: import.report(),
    };
    run.report.mapping = mapping.iter().map(|c| c.name().to_string()).collect();
    let mut file_rows = match CsvFile::open(&file.content) {
        Ok(f) => match records::check(kind, &mapping, f.headers.len()) {
            Ok(()) => f,
            Err(p) => {
                return run
                    .fail(format!("the column mapping is not valid: {p:?}"))
                    .await;
            }
        },
        Err(e) => return run.fail(e.to_string()).await,
    };
    run.report.headers = file_rows.headers.clone();
    if run.progress.total == 0 {
        run.progress.total = imports::count_rows(&file.content).unwrap_or(0);
    }
    let per_batch = match kind {
        ImportKind::Memberships => MEMBERSHIP_BATCH,
        _ => ACTIVITY_BATCH,
    };
    let skip = run.progress.processed;
    let mut seen = 0usize;
    let mut batch: Vec<(usize, Vec<String>)> = Vec::with_capacity(per_batch);
    let mut broken: Option<(usize, String)> = None;
    while let Some(next) = file_rows.next_row() {
        seen += 1;
        if seen <= skip {
            continue;
        }
        match next {
            Ok(row) => batch.push(row),
            Err(e) => {
                // The reader cannot go on after a broken record.
                broken = Some(e);
                break;
            }
        }
        if batch.len() >= per_batch {
            run.flush(&mapping, &mut batch).await?;
            on_progress(&run.progress);
        }
    }
    run.flush(&mapping, &mut batch).await?;
    if let Some((row, message)) = broken {
        run.progress.processed += 1;
        run.reject(row, Rejected::new("malformed_row", None, None, message));
    }
    run.progress.total = run.progress.processed;
    let now = run.now();
    let mut tx = db.begin().await?;
    imports::save_progress(
        &mut tx,
        ws,
        id,
        &run.progress,
        &run.report,
        status::DONE,
        Some(now),
    )
    .await?;
    imports::delete_import_file(&mut tx, ws, id).await?;
    tx.commit().await?;
    on_progress(&run.progress);
    tracing::info!(
        workspace.id = %ws, import.id = %id, kind = kind.as_str(),
        created = run.progress.created, updated = run.progress.updated,
        rejected = run.progress.rejected, "import finished"
    );
    imports::find_import(db, ws, id).await
}

struct Run<'a> {
    db: &'a Db,
    workspace: &'a Workspace,
    import: &'a Import,
    kind: ImportKind,
    actor: Actor,
    clock: &'a dyn Clock,
    progress: Progress,
    report: ImportReport,
}

impl Run<'_> {
    fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    fn reject(&mut self, row: usize, mut r: Rejected) {
        self.progress.rejected += 1;
        if self.report.rejected.len() < MAX_REPORTED_REJECTS {
            r.row = row;
            self.report.rejected.push(r);
        }
    }

    /// Marks the import failed: the file cannot be read at all.
    async fn fail(&mut self, message: String) -> Result<Option<Import>, DbError> {
        self.report.error = Some(message);
        let now = self.now();
        let (ws, id) = (self.workspace.id, self.import.id);
        let mut tx = self.db.begin().await?;
        imports::save_progress(
            &mut tx,
            ws,
            id,
            &self.progress,
            &self.report,
            status::FAILED,
            Some(now),
        )
        .await?;
        tx.commit().await?;
        imports::find_import(self.db, ws, id).await
    }

    /// Records a batch and saves the progress after it.
    async fn flush(
        &mut self,
        mapping: &[Column],
        batch: &mut Vec<(usize, Vec<String>)>,
    ) -> Result<(), DbError> {
        if batch.is_empty() {
            return Ok(());
        }
        match self.kind {
            ImportKind::Memberships => self.flush_memberships(mapping, batch).await?,
            _ => self.flush_activities(mapping, batch).await?,
        }
        self.progress.processed += batch.len();
        batch.clear();
        let mut tx = self.db.begin().await?;
        imports::save_progress(
            &mut tx,
            self.workspace.id,
            self.import.id,
            &self.progress,
            &self.report,
            status::RUNNING,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn flush_activities(
        &mut self,
        mapping: &[Column],
        batch: &[(usize, Vec<String>)],
    ) -> Result<(), DbError> {
        let tz = zone(self.workspace);
        let mut items = Vec::with_capacity(batch.len());
        let mut rows = Vec::with_capacity(batch.len());
        for (row, cells) in batch {
            let cells = records::cells_by_column(mapping, cells);
            match activity_request(&cells, self.workspace, &tz, self.import.id, *row) {
                Ok(raw) => {
                    items.push(raw);
                    rows.push(*row);
                }
                Err(r) => self.reject(*row, r),
            }
        }
        let now = self.now();
        let out = scoring::record_batch(self.db, self.workspace, &items, &self.actor, now)
            .await
            .map_err(|e| match e {
                ScoringError::Db(e) => e,
                other => DbError::Config(other.to_string()),
            })?;
        for ((row, item), result) in rows.into_iter().zip(&items).zip(out) {
            match result {
                Ok(r) if r.created => self.progress.created += 1,
                Ok(_) => self.progress.updated += 1,
                Err(ScoringError::Invalid(fields)) => {
                    let r = rejected_for(&fields, item);
                    self.reject(row, r);
                }
                Err(ScoringError::NotFound) => self.reject(
                    row,
                    Rejected::new(
                        "unknown_contact",
                        Some("contact_id"),
                        item.contact_id.as_deref(),
                        "no contact of this workspace has this id".into(),
                    ),
                ),
                Err(ScoringError::Db(e)) => return Err(e),
            }
        }
        Ok(())
    }

    async fn flush_memberships(
        &mut self,
        mapping: &[Column],
        batch: &[(usize, Vec<String>)],
    ) -> Result<(), DbError> {
        let tz = zone(self.workspace);
        for (row, cells) in batch {
            let cells = records::cells_by_column(mapping, cells);
            let req = match membership_request(&cells, self.workspace, &tz) {
                Ok(r) => r,
                Err(r) => {
                    self.reject(*row, r);
                    continue;
                }
            };
            let now = self.now();
            match memberships::save(self.db, self.workspace, &req, &self.actor, now).await {
                Ok(s) if s.created => self.progress.created += 1,
                Ok(_) => self.progress.updated += 1,
                Err(MembershipError::Invalid(fields)) => {
                    let (field, message) = fields.into_iter().next().unwrap_or_default();
                    let value = cell_of_field(&cells, &field);
                    self.reject(
                        *row,
                        Rejected::new(
                            code_of_field(&field, &message),
                            Some(&field),
                            value,
                            message,
                        ),
                    );
                }
                Err(MembershipError::ContactTaken) => {
                    self.reject(
                        *row,
                        Rejected::new(
                            "conflict",
                            None,
                            None,
                            "the email and the phone belong to two different contacts".into(),
                        ),
                    );
                }
                Err(MembershipError::NotFound) => self.reject(
                    *row,
                    Rejected::new(
                        "unknown_contact",
                        Some("contact_id"),
                        req.contact_id.as_deref(),
                        "no contact of this workspace has this id".into(),
                    ),
                ),
                // Another writer changed the membership meanwhile: the row
                // is reported, not retried (the import goes on).
                Err(MembershipError::Conflict) => self.reject(
                    *row,
                    Rejected::new(
                        "conflict",
                        Some("external_id"),
                        req.external_id.as_deref(),
                        "the membership changed while importing".into(),
                    ),
                ),
                Err(MembershipError::Db(e)) => return Err(e),
            }
        }
        Ok(())
    }
}

fn zone(ws: &Workspace) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&ws.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The stable code of a refused field (the web translates it).
fn code_of_field(field: &str, message: &str) -> &'static str {
    match field {
        "email" => "invalid_email",
        "phone" => "invalid_phone",
        "contact_id" if message.contains("required") => "no_email_or_phone",
        "contact_id" => "unknown_contact",
        "type" => "invalid_type",
        "occurred_at" | "starts_at" | "ends_at" => "invalid_date",
        "data.amount" | "amount" => "invalid_amount",
        "data.currency" | "currency" => "invalid_currency",
        "plan" => "invalid_plan",
        "status" => "invalid_status",
        _ => "invalid_field",
    }
}

fn cell_of_field<'a>(cells: &HashMap<Column, &'a str>, field: &str) -> Option<&'a str> {
    let column = match field {
        "email" => Column::Email,
        "phone" => Column::Phone,
        "contact_id" => Column::ContactId,
        "type" => Column::Type,
        "occurred_at" => Column::OccurredAt,
        "data.amount" | "amount" => Column::Amount,
        "data.currency" | "currency" => Column::Currency,
        "plan" => Column::Plan,
        "status" => Column::Status,
        "starts_at" => Column::StartsAt,
        "ends_at" => Column::EndsAt,
        "external_id" => Column::ExternalId,
        _ => return None,
    };
    cells.get(&column).copied()
}

fn rejected_for(fields: &[(String, String)], item: &RawActivity) -> Rejected {
    let (field, message) = fields.first().cloned().unwrap_or_default();
    let value = match field.as_str() {
        "email" => item.email.clone(),
        "phone" => item.phone.clone(),
        "contact_id" => item.contact_id.clone(),
        "type" => item.kind.clone(),
        _ => None,
    };
    Rejected::new(
        code_of_field(&field, &message),
        Some(&field),
        value.as_deref(),
        message,
    )
}

/// The amount cell in minor units of `currency`.
fn amount_of(cell: &str, currency: &str) -> Result<i64, Rejected> {
    money::parse(cell, currency)
        .filter(|a| *a >= 0)
        .ok_or_else(|| {
            Rejected::new(
                "invalid_amount",
                Some("amount"),
                Some(cell),
                "amount must be a number zero or more (e.g. 499.00)".into(),
            )
        })
}

fn currency_of(cells: &HashMap<Column, &str>, ws: &Workspace) -> String {
    cells
        .get(&Column::Currency)
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or_else(|| money::currency_for_country(&ws.country).to_string())
}

fn instant_of(
    cells: &HashMap<Column, &str>,
    column: Column,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<String>, Rejected> {
    match cells.get(&column) {
        None => Ok(None),
        Some(cell) => records::parse_instant(cell, tz)
            .map(|t| Some(t.to_string()))
            .ok_or_else(|| {
                Rejected::new(
                    "invalid_date",
                    Some(column.name()),
                    Some(cell),
                    "a date (2026-12-01 or 01/12/2026, optionally with a time 18:30) or an RFC 3339 instant".into(),
                )
            }),
    }
}

/// The API request a row of an activities file stands for.
fn activity_request(
    cells: &HashMap<Column, &str>,
    ws: &Workspace,
    tz: &jiff::tz::TimeZone,
    import: ImportId,
    row: usize,
) -> Result<RawActivity, Rejected> {
    let get = |c: Column| cells.get(&c).map(|v| v.to_string());
    let mut data = Map::new();
    if let Some(cell) = cells.get(&Column::Amount) {
        let currency = currency_of(cells, ws);
        data.insert("amount".into(), Value::from(amount_of(cell, &currency)?));
        data.insert("currency".into(), Value::from(currency));
    } else if let Some(c) = cells.get(&Column::Currency) {
        data.insert("currency".into(), Value::from(c.to_ascii_uppercase()));
    }
    if let Some(note) = cells.get(&Column::Note) {
        data.insert(
            "note".into(),
            Value::from(note.chars().take(500).collect::<String>()),
        );
    }
    Ok(RawActivity {
        contact_id: get(Column::ContactId),
        email: get(Column::Email),
        phone: get(Column::Phone),
        kind: cells.get(&Column::Type).map(|t| records::activity_type(t)),
        occurred_at: instant_of(cells, Column::OccurredAt, tz)?,
        data: Some(Value::Object(data)),
        idempotency_key: Some(
            get(Column::IdempotencyKey).unwrap_or_else(|| format!("import:{import}:{row}")),
        ),
        source: Some("import".into()),
    })
}

/// The API request a row of a memberships file stands for.
fn membership_request(
    cells: &HashMap<Column, &str>,
    ws: &Workspace,
    tz: &jiff::tz::TimeZone,
) -> Result<MembershipRequest, Rejected> {
    let get = |c: Column| cells.get(&c).map(|v| v.to_string());
    let status = match cells.get(&Column::Status) {
        None => None,
        Some(cell) => Some(
            records::membership_status(cell)
                .ok_or_else(|| {
                    Rejected::new(
                        "invalid_status",
                        Some("status"),
                        Some(cell),
                        "status must be active, trial, past_due, cancelled or expired".into(),
                    )
                })?
                .to_string(),
        ),
    };
    let currency = currency_of(cells, ws);
    let amount = match cells.get(&Column::Amount) {
        None => None,
        Some(cell) => Some(Some(Value::from(amount_of(cell, &currency)?))),
    };
    Ok(MembershipRequest {
        contact_id: get(Column::ContactId),
        email: get(Column::Email),
        phone: get(Column::Phone),
        name: get(Column::Name),
        plan: get(Column::Plan),
        status,
        starts_at: instant_of(cells, Column::StartsAt, tz)?,
        ends_at: instant_of(cells, Column::EndsAt, tz)?.map(Some),
        currency: amount.as_ref().map(|_| Some(currency.clone())),
        amount,
        external_id: get(Column::ExternalId),
    })
}

/// Headers of a file as the mapping step shows them, with the suggested
/// column per header.
pub fn suggest(
    kind: ImportKind,
    data: &[u8],
) -> Result<(Vec<String>, Vec<Column>), csv_io::CsvError> {
    let headers = imports::read_headers(data)?;
    let mapping = records::suggest(kind, &headers);
    Ok((headers, mapping))
}
