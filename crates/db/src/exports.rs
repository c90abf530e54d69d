//! Exports of contacts and deals as CSV or JSON lines, produced a page at a
//! time (keyset pagination) so 100k rows never sit in memory: the web
//! streams the chunks as the response body, the CLI writes them to stdout.
//!
//! CSV choices, for spreadsheets: UTF-8 with a byte order mark (without it
//! Excel reads UTF-8 as the local code page and mangles "Pérez"), `,` as
//! delimiter, CRLF line ends, quotes only where needed, and every cell that
//! starts with `= + - @`, tab or CR prefixed with `'` so it is never run as a
//! formula (our importer strips that prefix again). Columns are named as the
//! importer's mapping suggests, so an export imports back unchanged.

use crate::contacts::{self, Contact, ContactFilter, Cursor};
use crate::custom_fields::{self, FieldDef};
use crate::{DbResult, Ts, with_pool};
use af_core::csv_io::{UTF8_BOM, csv_line};
use af_core::{ContactId, WorkspaceId};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows fetched per page (and per chunk of output).
pub const PAGE_ROWS: i64 = 500;

/// Most ids a bulk export of selected contacts accepts.
pub const MAX_SELECTED_IDS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> Option<ExportFormat> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "jsonl" | "ndjson" | "json" => Some(ExportFormat::Jsonl),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Jsonl => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// Which contacts to export.
#[derive(Debug, Clone)]
pub enum ContactSelection {
    /// Everything the contact list's filter matches, newest first.
    Filter(ContactFilter),
    /// These ids (of this workspace; others are skipped), in this order.
    Ids(Vec<ContactId>),
}

const CONTACT_COLUMNS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "source",
    "lifecycle",
    "score",
    "email_unsubscribed",
    "sms_opted_out",
    "tags",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
    "last_utm_source",
    "last_utm_medium",
    "last_utm_campaign",
    "last_utm_term",
    "last_utm_content",
    "last_referrer",
    "last_landing_page",
    "created_at",
    "updated_at",
    "last_activity_at",
];

/// A contacts export in progress: call [`ContactExport::next_chunk`] until
/// it returns `None`.
pub struct ContactExport {
    db: crate::Db,
    ws: WorkspaceId,
    format: ExportFormat,
    selection: ContactSelection,
    defs: Vec<FieldDef>,
    cursor: Option<Cursor>,
    offset: usize,
    started: bool,
    done: bool,
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn ts_text(t: Option<Ts>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

fn custom_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

impl ContactExport {
    pub async fn new(
        db: &crate::Db,
        ws: WorkspaceId,
        format: ExportFormat,
        mut selection: ContactSelection,
    ) -> DbResult<Self> {
        if let ContactSelection::Ids(ids) = &mut selection {
            ids.truncate(MAX_SELECTED_IDS);
            let mut seen = std::collections::HashSet::new();
            ids.retain(|id| seen.insert(*id));
        }
        Ok(ContactExport {
            db: db.clone(),
            ws,
            format,
            selection,
            defs: custom_fields::list_fields(db, ws).await?,
            cursor: None,
            offset: 0,
            started: false,
            done: false,
        })
    }

    fn header(&self) -> Vec<u8> {
        match self.format {
            ExportFormat::Jsonl => vec![],
            ExportFormat::Csv => {
                let mut cols: Vec<String> = CONTACT_COLUMNS.iter().map(|c| c.to_string()).collect();
                cols.extend(self.defs.iter().map(|d| format!("custom:{}", d.key)));
                let mut out = UTF8_BOM.to_vec();
                out.extend(csv_line(&cols));
                out
            }
        }
    }

    async fn next_page(&mut self) -> DbResult<Vec<Contact>> {
        match &self.selection {
            ContactSelection::Filter(f) => {
                let page =
                    contacts::list_contacts(&self.db, self.ws, f, self.cursor, PAGE_ROWS).await?;
                if let Some(last) = page.last() {
                    self.cursor = Some(Cursor {
                        created_at: last.created_at,
                        id: last.id.0,
                    });
                }
                if page.len() < usize::try_from(PAGE_ROWS).unwrap_or(0) {
                    self.done = true;
                }
                Ok(page)
            }
            ContactSelection::Ids(ids) => {
                let end = (self.offset + 100).min(ids.len());
                let chunk: Vec<ContactId> = ids[self.offset..end].to_vec();
                self.offset = end;
                if self.offset >= ids.len() {
                    self.done = true;
                }
                let mut out = Vec::with_capacity(chunk.len());
                for id in chunk {
                    if let Some(c) = contacts::find_contact(&self.db, self.ws, id).await? {
                        out.push(c);
                    }
                }
                Ok(out)
            }
        }
    }

    /// The next piece of the file (the first one starts with the header),
    /// or `None` at the end.
    pub async fn next_chunk(&mut self) -> DbResult<Option<Vec<u8>>> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out = self.header();
        }
        if self.done {
            return Ok((!out.is_empty()).then_some(out));
        }
        let page = self.next_page().await?;
        let ids: Vec<ContactId> = page.iter().map(|c| c.id).collect();
        let mut tags: HashMap<ContactId, Vec<String>> = HashMap::new();
        for (id, name) in contacts::tags_of(&self.db, self.ws, &ids).await? {
            tags.entry(id).or_default().push(name);
        }
        for c in &page {
            let t = tags.remove(&c.id).unwrap_or_default();
            match self.format {
                ExportFormat::Csv => out.extend(csv_line(&self.csv_cells(c, &t))),
                ExportFormat::Jsonl => {
                    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                    if let Value::Object(m) = &mut v {
                        m.insert("custom".into(), Value::Object(c.custom_map()));
                        m.insert("tags".into(), json!(t));
                    }
                    out.extend(v.to_string().as_bytes());
                    out.push(b'\n');
                }
            }
        }
        Ok(Some(out))
    }

    fn csv_cells(&self, c: &Contact, tags: &[String]) -> Vec<String> {
        let custom = c.custom_map();
        let mut cells = vec![
            c.id.to_string(),
            c.first_name.clone(),
            c.last_name.clone(),
            opt(&c.email),
            opt(&c.phone),
            opt(&c.company),
            opt(&c.source),
            c.lifecycle.clone(),
            c.score.to_string(),
            c.email_unsubscribed.to_string(),
            c.sms_opted_out.to_string(),
            tags.join("|"),
            opt(&c.first_utm_source),
            opt(&c.first_utm_medium),
            opt(&c.first_utm_campaign),
            opt(&c.first_utm_term),
            opt(&c.first_utm_content),
            opt(&c.first_referrer),
            opt(&c.first_landing_page),
            opt(&c.last_utm_source),
            opt(&c.last_utm_medium),
            opt(&c.last_utm_campaign),
            opt(&c.last_utm_term),
            opt(&c.last_utm_content),
            opt(&c.last_referrer),
            opt(&c.last_landing_page),
            c.created_at.to_string(),
            c.updated_at.to_string(),
            c.last_activity_at.to_string(),
        ];
        cells.extend(self.defs.iter().map(|d| custom_text(custom.get(&d.key))));
        cells
    }
}

/// How many of `ids` (distinct) are contacts of this workspace, so a bulk
/// export naming another workspace's contact can answer 404.
pub async fn count_own_contacts(
    db: &crate::Db,
    ws: WorkspaceId,
    ids: &[ContactId],
) -> DbResult<usize> {
    let mut unique: Vec<Uuid> = ids.iter().map(|c| c.0).collect();
    unique.sort();
    unique.dedup();
    let mut n = 0usize;
    for chunk in unique.chunks(500) {
        let mut q =
            String::from("SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND id IN (");
        for i in 0..chunk.len() {
            if i > 0 {
                q.push_str(", ");
            }
            q.push_str(&format!("${}", i + 2));
        }
        q.push(')');
        let count: i64 = with_pool!(db, p => {
            // Only placeholders are formatted into the text; ids are bound.
            let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q.clone())).bind(ws.0);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_one(p).await?
        });
        n += usize::try_from(count).unwrap_or(0);
    }
    Ok(n)
}

// ---------------------------------------------------------------------- deals

/// Filters of a deals export (all optional).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DealExportFilter {
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct DealRow {
    pub id: Uuid,
    pub title: String,
    pub value_minor: i64,
    pub currency: String,
    pub pipeline_id: Uuid,
    pub pipeline: String,
    pub stage_id: Uuid,
    pub stage: String,
    pub stage_kind: String,
    pub contact_id: Uuid,
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub owner_id: Option<Uuid>,
    pub stage_entered_at: Ts,
    pub created_at: Ts,
    pub updated_at: Ts,
}

const DEAL_COLUMNS: &[&str] = &[
    "id",
    "title",
    "value",
    "value_minor",
    "currency",
    "pipeline",
    "stage",
    "stage_kind",
    "contact_id",
    "contact_name",
    "contact_email",
    "contact_phone",
    "owner_id",
    "stage_entered_at",
    "created_at",
    "updated_at",
    "pipeline_id",
    "stage_id",
];

/// A deals export in progress, oldest first.
pub struct DealExport {
    db: crate::Db,
    ws: WorkspaceId,
    format: ExportFormat,
    filter: DealExportFilter,
    after: Option<(Ts, Uuid)>,
    started: bool,
    done: bool,
}

impl DealExport {
    pub fn new(
        db: &crate::Db,
        ws: WorkspaceId,
        format: ExportFormat,
        filter: DealExportFilter,
    ) -> Self {
        DealExport {
            db: db.clone(),
            ws,
            format,
            filter,
            after: None,
            started: false,
            done: false,
        }
    }

    async fn page(&self) -> DbResult<Vec<DealRow>> {
        Ok(with_pool!(&self.db, p => {
            sqlx::query_as::<_, DealRow>(
                "SELECT d.id, d.title, d.value_minor, d.currency, d.pipeline_id, p.name AS pipeline, d.stage_id,
                        s.name AS stage, s.kind AS stage_kind, d.contact_id, c.first_name AS contact_first_name,
                        c.last_name AS contact_last_name, c.email AS contact_email, c.phone AS contact_phone,
                        d.owner_id, d.stage_entered_at, d.created_at, d.updated_at
                 FROM deals d
                 JOIN pipelines p ON p.id = d.pipeline_id
                 JOIN stages s ON s.id = d.stage_id
                 JOIN contacts c ON c.id = d.contact_id
                 WHERE d.workspace_id = $1
                   AND ($2 IS NULL OR d.pipeline_id = $2)
                   AND ($3 IS NULL OR d.stage_id = $3)
                   AND ($4 IS NULL OR d.created_at > $4 OR (d.created_at = $4 AND d.id > $5))
                 ORDER BY d.created_at, d.id
                 LIMIT $6",
            )
            .bind(self.ws.0).bind(self.filter.pipeline_id).bind(self.filter.stage_id)
            .bind(self.after.map(|a| a.0)).bind(self.after.map(|a| a.1)).bind(PAGE_ROWS)
            .fetch_all(p).await?
        }))
    }

    /// The next piece of the file, or `None` at the end.
    pub async fn next_chunk(&mut self) -> DbResult<Option<Vec<u8>>> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            if self.format == ExportFormat::Csv {
                out.extend(UTF8_BOM);
                out.extend(csv_line(DEAL_COLUMNS));
            }
        }
        if self.done {
            return Ok((!out.is_empty()).then_some(out));
        }
        let page = self.page().await?;
        if page.len() < usize::try_from(PAGE_ROWS).unwrap_or(0) {
            self.done = true;
        }
        if let Some(last) = page.last() {
            self.after = Some((last.created_at, last.id));
        }
        for d in &page {
            match self.format {
                ExportFormat::Csv => {
                    let name = format!("{} {}", d.contact_first_name, d.contact_last_name);
                    out.extend(csv_line(&[
                        d.id.to_string(),
                        d.title.clone(),
                        af_core::money::major_units(d.value_minor, &d.currency),
                        d.value_minor.to_string(),
                        d.currency.clone(),
                        d.pipeline.clone(),
                        d.stage.clone(),
                        d.stage_kind.clone(),
                        d.contact_id.to_string(),
                        name.trim().to_string(),
                        opt(&d.contact_email),
                        opt(&d.contact_phone),
                        d.owner_id.map(|o| o.to_string()).unwrap_or_default(),
                        ts_text(Some(d.stage_entered_at)),
                        ts_text(Some(d.created_at)),
                        ts_text(Some(d.updated_at)),
                        d.pipeline_id.to_string(),
                        d.stage_id.to_string(),
                    ]));
                }
                ExportFormat::Jsonl => {
                    out.extend(serde_json::to_string(d).unwrap_or_default().as_bytes());
                    out.push(b'\n');
                }
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(ExportFormat::parse("CSV"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("jsonl"), Some(ExportFormat::Jsonl));
        assert_eq!(ExportFormat::parse("xlsx"), None);
    }
}
