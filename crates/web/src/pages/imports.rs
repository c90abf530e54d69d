//! The imports area's pages: CSV import (upload → column mapping with
//! suggestions and a preview → background job → live progress and the
//! report of rejected rows), contact and deal exports (CSV / JSON lines,
//! streamed), and the GDPR export and erase of one contact.
//!
//! Routes are mounted in `crate::router` through [`routes`], inside the
//! session + CSRF layers (the upload form sends its token as `?_csrf=`).

use super::shell::{Area, Shell};
use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::imports::ImportsTr;
use crate::state::AppState;
use af_core::csv_io::{self, CsvError, Field};
use af_core::csv_records::{self as records, Column, ImportKind, MappingProblem};
use af_core::{ContactId, ImportId, Role};
use af_db::audit::{NewAudit, insert_audit};
use af_db::contacts::ContactFilter;
use af_db::exports::{
    ContactExport, ContactSelection, DealExport, DealExportFilter, ExportFormat, MAX_SELECTED_IDS,
};
use af_db::imports::{self, Import, ImportReport};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::Form;
use uuid::Uuid;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contacts/import", get(import_page).post(upload_import))
        .route("/contacts/import/{id}", get(show_import))
        .route("/contacts/import/{id}/start", post(start_import))
        .route("/contacts/import/{id}/progress", get(import_progress))
        .route(
            "/contacts/export",
            get(export_contacts).post(export_selected),
        )
        .route("/deals/export", get(export_deals))
        .route("/contacts/{id}/gdpr-export", get(gdpr_export))
        .route("/contacts/{id}/erase", post(erase_contact))
}

/// Rows shown in the mapping step's preview.
const PREVIEW_ROWS: usize = 5;

fn tr(cu: &CurrentUser) -> &'static ImportsTr {
    ImportsTr::get(cu.locale())
}

async fn load_import(st: &AppState, cu: &CurrentUser, id: ImportId) -> AppResult<Import> {
    imports::find_import(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

// ------------------------------------------------------------------ import

/// An import as the list and the progress fragment show it.
pub struct ImportView {
    pub id: String,
    pub kind: &'static str,
    pub file_name: String,
    pub status: &'static str,
    pub finished: bool,
    pub failed: bool,
    pub percent: i32,
    pub total: i32,
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub rejected: i32,
    pub created_at: String,
    pub error: Option<String>,
    pub rejected_rows: Vec<RejectedView>,
    pub more_rejected: bool,
}

pub struct RejectedView {
    pub row: usize,
    pub reason: &'static str,
    pub field: String,
    pub value: String,
}

impl ImportView {
    fn new(i: &Import, t: &'static ImportsTr, time_zone: &str, locale: af_core::Locale) -> Self {
        let report = i.report();
        let error = report.error.as_ref().map(|e| {
            // The reader's message is English; say it in the user's
            // language when we know what it means.
            let known = if e.contains("UTF-8") {
                t.err_not_utf8
            } else if e.contains("empty") || e.contains("header") {
                t.err_empty
            } else if e.contains("columns") {
                t.err_too_many_columns
            } else if e.contains("email or phone") {
                t.err_mapping_key
            } else {
                t.err_malformed
            };
            known.to_string()
        });
        let rejected_rows: Vec<RejectedView> = report
            .rejected
            .iter()
            .map(|r| RejectedView {
                row: r.row,
                reason: t.reason(&r.code),
                field: r.field.clone().unwrap_or_default(),
                value: r.value.clone().unwrap_or_default(),
            })
            .collect();
        ImportView {
            id: i.id.to_string(),
            kind: t.kind_label(&i.kind),
            file_name: i.file_name.clone(),
            status: t.status(&i.status),
            finished: i.is_finished(),
            failed: i.status == imports::status::FAILED,
            percent: i.percent(),
            total: i.total_rows,
            processed: i.processed_rows,
            created: i.created_rows,
            updated: i.updated_rows,
            rejected: i.rejected_rows,
            created_at: super::fmt_when(i.created_at, time_zone, locale),
            error,
            more_rejected: usize::try_from(i.rejected_rows).unwrap_or(0) > rejected_rows.len(),
            rejected_rows,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/index.html")]
struct IndexTemplate {
    shell: Shell,
    it: &'static ImportsTr,
    imports: Vec<ImportView>,
    error: Option<&'static str>,
}

async fn render_index(
    st: &AppState,
    cu: &CurrentUser,
    error: Option<&'static str>,
) -> AppResult<Response> {
    let t = tr(cu);
    let list = imports::list_imports(&st.db, cu.workspace.id, 20).await?;
    let tz = cu.workspace.time_zone.clone();
    let page = IndexTemplate {
        shell: Shell::new(cu, Area::Contacts).await?,
        it: t,
        imports: list
            .iter()
            .map(|i| ImportView::new(i, t, &tz, cu.locale()))
            .collect(),
        error,
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, page).into_response())
}

/// `GET /contacts/import`: the upload form, the export links and recent imports.
pub async fn import_page(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    render_index(&st, &cu, None).await
}

/// `POST /contacts/import` (multipart `file`): stores the upload with the
/// suggested mapping and shows the mapping step.
pub async fn upload_import(
    State(st): State<AppState>,
    cu: CurrentUser,
    mut form: Multipart,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = tr(&cu);
    let mut upload: Option<(String, Bytes)> = None;
    let mut kind = ImportKind::Contacts;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return render_index(&st, &cu, Some(t.err_too_big)).await,
        };
        if field.name() == Some("kind") {
            let raw = field.text().await.unwrap_or_default();
            kind = ImportKind::parse(raw.trim())
                .ok_or(AppError::BadRequest(t.err_mapping_bad.into()))?;
        } else if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("import.csv").to_string();
            match field.bytes().await {
                Ok(b) => upload = Some((name, b)),
                Err(_) => return render_index(&st, &cu, Some(t.err_too_big)).await,
            }
        }
    }
    let Some((file_name, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return render_index(&st, &cu, Some(t.err_no_file)).await;
    };
    let headers = match imports::read_headers(&bytes) {
        Ok(h) => h,
        Err(e) => {
            let msg = match e {
                CsvError::NotUtf8 => t.err_not_utf8,
                CsvError::Empty | CsvError::NoHeader => t.err_empty,
                CsvError::TooManyColumns => t.err_too_many_columns,
                CsvError::Malformed(_) => t.err_malformed,
            };
            return render_index(&st, &cu, Some(msg)).await;
        }
    };
    let total = imports::count_rows(&bytes).unwrap_or(0);
    let (mapping, names): (Vec<Field>, Vec<String>) = if kind == ImportKind::Contacts {
        let custom = imports::custom_keys(&st.db, cu.workspace.id).await?;
        let mapping = csv_io::suggest_mapping(&headers, &custom);
        let names = mapping.iter().map(|f| f.name().into_owned()).collect();
        (mapping, names)
    } else {
        let columns = records::suggest(kind, &headers);
        (
            vec![],
            columns.iter().map(|c| c.name().to_string()).collect(),
        )
    };
    let report = ImportReport {
        headers,
        mapping: names,
        ..Default::default()
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let id = imports::insert_import(
        &mut tx,
        cu.workspace.id,
        &file_name,
        imports::status::UPLOADED,
        total,
        &report,
        Some(cu.user.id),
        now,
    )
    .await?;
    imports::insert_import_file(&mut tx, cu.workspace.id, id, &bytes, &mapping, now).await?;
    if kind != ImportKind::Contacts {
        imports::set_kind(&mut tx, cu.workspace.id, id, kind).await?;
    }
    tx.commit().await?;
    tracing::info!(workspace.id = %cu.workspace.id, import.id = %id, bytes = bytes.len(), rows = total, "import uploaded");
    Ok(Redirect::to(&format!("/contacts/import/{id}")).into_response())
}

pub struct ColumnView {
    pub index: usize,
    pub header: String,
    pub examples: String,
    pub options: Vec<(String, String, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/mapping.html")]
struct MappingTemplate {
    shell: Shell,
    it: &'static ImportsTr,
    /// Contacts (the automations checkbox), else activities / memberships.
    contacts: bool,
    hint: &'static str,
    import: ImportView,
    columns: Vec<ColumnView>,
    headers: Vec<String>,
    preview: Vec<Vec<String>>,
    error: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/show.html")]
struct ShowTemplate {
    shell: Shell,
    it: &'static ImportsTr,
    import: ImportView,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/_progress.html")]
struct ProgressTemplate {
    it: &'static ImportsTr,
    import: ImportView,
}

async fn render_mapping(
    st: &AppState,
    cu: &CurrentUser,
    import: &Import,
    chosen: Option<&[Field]>,
    error: Option<&'static str>,
) -> AppResult<Response> {
    if import.kind != ImportKind::Contacts.as_str() {
        return render_record_mapping(st, cu, import, None, error).await;
    }
    let t = tr(cu);
    let Some(file) = imports::find_import_file(&st.db, cu.workspace.id, import.id).await? else {
        return Err(AppError::NotFound);
    };
    let headers = imports::read_headers(&file.content).unwrap_or_default();
    let preview = imports::preview_rows(&file.content, PREVIEW_ROWS);
    let defs = imports::custom_keys(&st.db, cu.workspace.id).await?;
    let mut targets: Vec<Field> = Field::FIXED.to_vec();
    targets.extend(defs.iter().map(|(k, _)| Field::Custom(k.clone())));
    let mapping = chosen.unwrap_or(&file.mapping);
    let columns = column_views(&headers, &preview, |i| {
        let current = mapping.get(i).cloned().unwrap_or(Field::Ignore);
        targets
            .iter()
            .map(|f| {
                let label = match f {
                    Field::Custom(k) => defs
                        .iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, l)| format!("{}: {l}", t.field_custom))
                        .unwrap_or_else(|| t.field_label(f)),
                    _ => t.field_label(f),
                };
                (f.name().into_owned(), label, *f == current)
            })
            .collect()
    });
    let page = MappingTemplate {
        shell: Shell::new(cu, Area::Contacts).await?,
        it: t,
        contacts: true,
        hint: t.mapping_hint,
        import: ImportView::new(import, t, &cu.workspace.time_zone, cu.locale()),
        columns,
        headers,
        preview,
        error,
    };
    Ok((mapping_status(error), page).into_response())
}

fn mapping_status(error: Option<&'static str>) -> axum::http::StatusCode {
    if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    }
}

/// One row of the mapping table per header: its examples from the
/// preview and the options `options(i)` gives it.
fn column_views(
    headers: &[String],
    preview: &[Vec<String>],
    options: impl Fn(usize) -> Vec<(String, String, bool)>,
) -> Vec<ColumnView> {
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| ColumnView {
            index: i,
            header: h.clone(),
            examples: preview
                .iter()
                .filter_map(|r| r.get(i))
                .filter(|c| !c.is_empty())
                .take(3)
                .map(|c| c.chars().take(40).collect::<String>())
                .collect::<Vec<_>>()
                .join(" · "),
            options: options(i),
        })
        .collect()
}

/// The mapping step of an activities or memberships import.
async fn render_record_mapping(
    st: &AppState,
    cu: &CurrentUser,
    import: &Import,
    chosen: Option<&[Column]>,
    error: Option<&'static str>,
) -> AppResult<Response> {
    let t = tr(cu);
    let Some(file) = imports::find_import_file(&st.db, cu.workspace.id, import.id).await? else {
        return Err(AppError::NotFound);
    };
    let headers = imports::read_headers(&file.content).unwrap_or_default();
    let preview = imports::preview_rows(&file.content, PREVIEW_ROWS);
    let kind = ImportKind::parse(&import.kind).unwrap_or(ImportKind::Activities);
    let chosen: Vec<Column> = match chosen {
        Some(c) => c.to_vec(),
        None => import
            .report()
            .mapping
            .iter()
            .map(|n| Column::parse(kind, n).unwrap_or(Column::Ignore))
            .collect(),
    };
    let mut targets = vec![Column::Ignore];
    targets.extend_from_slice(kind.columns());
    let columns = column_views(&headers, &preview, |i| {
        let current = chosen.get(i).copied().unwrap_or(Column::Ignore);
        targets
            .iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    t.column_label(*c).to_string(),
                    *c == current,
                )
            })
            .collect()
    });
    let hint = match kind {
        ImportKind::Memberships => t.mapping_hint_memberships,
        _ => t.mapping_hint_activities,
    };
    let page = MappingTemplate {
        shell: Shell::new(cu, Area::Contacts).await?,
        it: t,
        contacts: false,
        hint,
        import: ImportView::new(import, t, &cu.workspace.time_zone, cu.locale()),
        columns,
        headers,
        preview,
        error,
    };
    Ok((mapping_status(error), page).into_response())
}

/// `GET /contacts/import/{id}`: the mapping step while the import waits
/// for one, else its progress and report.
pub async fn show_import(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<ImportId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let import = load_import(&st, &cu, id).await?;
    if import.status == imports::status::UPLOADED {
        return render_mapping(&st, &cu, &import, None, None).await;
    }
    let t = tr(&cu);
    Ok(ShowTemplate {
        shell: Shell::new(&cu, Area::Contacts).await?,
        it: t,
        import: ImportView::new(&import, t, &cu.workspace.time_zone, cu.locale()),
    }
    .into_response())
}

/// `GET /contacts/import/{id}/progress`: the progress fragment htmx polls
/// every second until the import is finished.
pub async fn import_progress(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<ImportId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let import = load_import(&st, &cu, id).await?;
    let t = tr(&cu);
    Ok(ProgressTemplate {
        it: t,
        import: ImportView::new(&import, t, &cu.workspace.time_zone, cu.locale()),
    }
    .into_response())
}

/// `POST /contacts/import/{id}/start` (`col_0`..`col_n`, `fire_triggers`):
/// confirms the mapping and queues the job.
pub async fn start_import(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath<ImportId>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = tr(&cu);
    let import = load_import(&st, &cu, id).await?;
    if import.status != imports::status::UPLOADED {
        return Err(AppError::BadRequest(t.err_not_waiting.into()));
    }
    if import.kind != ImportKind::Contacts.as_str() {
        return start_record_import(&st, &cu, &ip, &import, &fields).await;
    }
    let width = import.report().headers.len();
    let mut mapping = vec![Field::Ignore; width];
    let mut fire = false;
    for (k, v) in &fields {
        if k == "fire_triggers" {
            fire = matches!(v.as_str(), "on" | "true" | "1");
        } else if let Some(i) = k.strip_prefix("col_").and_then(|i| i.parse::<usize>().ok()) {
            let (Some(slot), Ok(f)) = (mapping.get_mut(i), Field::parse(v)) else {
                return render_mapping(&st, &cu, &import, None, Some(t.err_mapping_bad)).await;
            };
            *slot = f;
        }
    }
    let defs = imports::custom_keys(&st.db, cu.workspace.id).await?;
    let unknown_custom = mapping
        .iter()
        .any(|f| matches!(f, Field::Custom(k) if !defs.iter().any(|(d, _)| d == k)));
    if unknown_custom {
        return render_mapping(&st, &cu, &import, Some(&mapping), Some(t.err_mapping_bad)).await;
    }
    if let Err(e) = csv_io::check_mapping(&mapping, width) {
        let msg = if e.contains("twice") {
            t.err_mapping_twice
        } else if e.contains("email or phone") {
            t.err_mapping_key
        } else {
            t.err_mapping_bad
        };
        return render_mapping(&st, &cu, &import, Some(&mapping), Some(msg)).await;
    }
    let now = st.now();
    let mut tx = st.db.begin().await?;
    if !imports::queue_import(&mut tx, cu.workspace.id, import.id, &mapping, fire, now).await? {
        return Err(AppError::BadRequest(t.err_not_waiting.into()));
    }
    let actor = cu.actor();
    insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(cu.workspace.id),
            actor: &actor,
            action: "contacts.import_started",
            target_type: Some("import"),
            target_id: Some(import.id.to_string()),
            result: "ok",
            details: serde_json::json!({ "file_name": import.file_name, "rows": import.total_rows, "fire_triggers": fire }),
            ip: Some(&ip),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/contacts/import/{}", import.id)).into_response())
}

/// The start of an activities or memberships import: the columns
/// checked, the job queued.
async fn start_record_import(
    st: &AppState,
    cu: &CurrentUser,
    ip: &str,
    import: &Import,
    fields: &[(String, String)],
) -> AppResult<Response> {
    let t = tr(cu);
    let kind = ImportKind::parse(&import.kind).unwrap_or(ImportKind::Activities);
    let width = import.report().headers.len();
    let mut mapping = vec![Column::Ignore; width];
    for (k, v) in fields {
        if let Some(i) = k.strip_prefix("col_").and_then(|i| i.parse::<usize>().ok()) {
            let (Some(slot), Some(c)) = (mapping.get_mut(i), Column::parse(kind, v)) else {
                return render_record_mapping(st, cu, import, None, Some(t.err_mapping_bad)).await;
            };
            *slot = c;
        }
    }
    if let Err(p) = records::check(kind, &mapping, width) {
        let msg = match p {
            MappingProblem::Twice => t.err_mapping_twice,
            MappingProblem::NoContactKey => t.err_mapping_contact,
            MappingProblem::Missing(Column::Plan) => t.err_mapping_plan,
            MappingProblem::Missing(_) => t.err_mapping_type,
            MappingProblem::Width => t.err_mapping_bad,
        };
        return render_record_mapping(st, cu, import, Some(&mapping), Some(msg)).await;
    }
    let names: Vec<&str> = mapping.iter().map(|c| c.name()).collect();
    let now = st.now();
    let mut tx = st.db.begin().await?;
    if !imports::queue_record_import(&mut tx, cu.workspace.id, import.id, &names, now).await? {
        return Err(AppError::BadRequest(t.err_not_waiting.into()));
    }
    insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(cu.workspace.id),
            actor: &cu.actor(),
            action: "imports.started",
            target_type: Some("import"),
            target_id: Some(import.id.to_string()),
            result: "ok",
            details: serde_json::json!({ "kind": kind.as_str(), "file_name": import.file_name, "rows": import.total_rows }),
            ip: Some(ip),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/contacts/import/{}", import.id)).into_response())
}

// ------------------------------------------------------------------ export

/// The contact list's filter parameters plus `format`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    pub format: String,
    pub q: String,
    pub tag: String,
    pub stage_id: String,
    pub source: String,
    pub owner_id: String,
    pub score_min: String,
    pub score_max: String,
    pub created_from: String,
    pub created_to: String,
    pub pipeline_id: String,
}

fn opt(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

fn opt_uuid(s: &str) -> Result<Option<Uuid>, ()> {
    opt(s)
        .map(|v| v.parse::<Uuid>().map_err(|_| ()))
        .transpose()
}

fn opt_int(s: &str) -> Result<Option<i32>, ()> {
    opt(s).map(|v| v.parse::<i32>().map_err(|_| ())).transpose()
}

/// Midnight at the start of `raw` (a date) in the workspace's zone; with
/// `next`, the following midnight ("until" is inclusive, as in the list).
fn local_midnight(raw: &str, time_zone: &str, next: bool) -> Result<Option<af_db::Ts>, ()> {
    let Some(s) = opt(raw) else { return Ok(None) };
    let d = s.parse::<jiff::civil::Date>().map_err(|_| ())?;
    let d = if next {
        d.tomorrow().map_err(|_| ())?
    } else {
        d
    };
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let z = d.to_zoned(tz).map_err(|_| ())?;
    Ok(Some(af_db::Ts::new(z.timestamp())))
}

impl ExportQuery {
    fn to_filter(&self, time_zone: &str) -> Result<ContactFilter, ()> {
        Ok(ContactFilter {
            q: opt(&self.q).map(|s| s.chars().take(200).collect()),
            tag: opt(&self.tag).map(str::to_string),
            stage_id: opt_uuid(&self.stage_id)?,
            source: opt(&self.source).map(str::to_string),
            owner_id: opt_uuid(&self.owner_id)?,
            score_min: opt_int(&self.score_min)?,
            score_max: opt_int(&self.score_max)?,
            created_from: local_midnight(&self.created_from, time_zone, false)?,
            created_to: local_midnight(&self.created_to, time_zone, true)?,
        })
    }

    fn format(&self, t: &ImportsTr) -> AppResult<ExportFormat> {
        let raw = opt(&self.format).unwrap_or("csv");
        ExportFormat::parse(raw).ok_or_else(|| AppError::BadRequest(t.err_format.into()))
    }
}

/// A download whose body is produced page by page.
fn download<F, Fut>(name: &str, format: ExportFormat, next: F) -> Response
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = af_db::DbResult<Option<Vec<u8>>>> + Send + 'static,
{
    let stream = futures::stream::unfold(next, |mut next| async move {
        match next().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next)),
            Ok(None) => None,
            Err(e) => {
                // Headers are sent already: cut the body so the download
                // fails visibly instead of looking complete.
                tracing::error!(error = %e, "export failed mid-stream");
                Some((Err(std::io::Error::other("export failed")), next))
            }
        }
    });
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn contact_download(name: &str, format: ExportFormat, export: ContactExport) -> Response {
    let export = std::sync::Arc::new(tokio::sync::Mutex::new(export));
    download(name, format, move || {
        let export = export.clone();
        async move { export.lock().await.next_chunk().await }
    })
}

async fn audit_export(
    st: &AppState,
    cu: &CurrentUser,
    ip: &str,
    action: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    let mut tx = st.db.begin().await?;
    let actor = cu.actor();
    insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(cu.workspace.id),
            actor: &actor,
            action,
            target_type: None,
            target_id: None,
            result: "ok",
            details,
            ip: Some(ip),
        },
        st.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /contacts/export?format=csv|jsonl&<list filters>`.
pub async fn export_contacts(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let t = tr(&cu);
    let format = q.format(t)?;
    let filter = q
        .to_filter(&cu.workspace.time_zone)
        .map_err(|()| AppError::BadRequest(t.err_filter.into()))?;
    audit_export(
        &st,
        &cu,
        &ip,
        "contacts.exported",
        serde_json::json!({ "format": format.extension(), "filter": filter }),
    )
    .await?;
    let export = ContactExport::new(
        &st.db,
        cu.workspace.id,
        format,
        ContactSelection::Filter(filter),
    )
    .await?;
    Ok(contact_download("contactos", format, export))
}

/// `POST /contacts/export` (`ids` repeated, optional `format`): the
/// selected contacts. Ids of other workspaces are skipped; none valid is 400.
pub async fn export_selected(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let t = tr(&cu);
    let mut format = "csv".to_string();
    let mut ids: Vec<ContactId> = Vec::new();
    for (k, v) in &fields {
        match k.as_str() {
            "format" => format = v.clone(),
            "ids" | "ids[]" | "id" => {
                if let Ok(u) = v.trim().parse::<Uuid>() {
                    ids.push(ContactId(u));
                }
            }
            _ => {}
        }
    }
    let format =
        ExportFormat::parse(&format).ok_or_else(|| AppError::BadRequest(t.err_format.into()))?;
    if ids.is_empty() || ids.len() > MAX_SELECTED_IDS {
        return Err(AppError::BadRequest(t.err_ids.into()));
    }
    ids.sort();
    ids.dedup();
    // Another workspace's id is "not found", as everywhere.
    if af_db::exports::count_own_contacts(&st.db, cu.workspace.id, &ids).await? != ids.len() {
        return Err(AppError::NotFound);
    }
    audit_export(
        &st,
        &cu,
        &ip,
        "contacts.exported",
        serde_json::json!({ "format": format.extension(), "selected": ids.len() }),
    )
    .await?;
    let export =
        ContactExport::new(&st.db, cu.workspace.id, format, ContactSelection::Ids(ids)).await?;
    Ok(contact_download("contactos", format, export))
}

/// `GET /deals/export?format=csv|jsonl[&pipeline_id=&stage_id=]`.
pub async fn export_deals(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let t = tr(&cu);
    let format = q.format(t)?;
    let bad = |()| AppError::BadRequest(t.err_filter.into());
    let filter = DealExportFilter {
        pipeline_id: opt_uuid(&q.pipeline_id).map_err(bad)?,
        stage_id: opt_uuid(&q.stage_id).map_err(bad)?,
    };
    audit_export(
        &st,
        &cu,
        &ip,
        "deals.exported",
        serde_json::json!({ "format": format.extension() }),
    )
    .await?;
    let export = std::sync::Arc::new(tokio::sync::Mutex::new(DealExport::new(
        &st.db,
        cu.workspace.id,
        format,
        filter,
    )));
    Ok(download("negocios", format, move || {
        let export = export.clone();
        async move { export.lock().await.next_chunk().await }
    }))
}

// -------------------------------------------------------------------- GDPR

/// `GET /contacts/{id}/gdpr-export` (admin+): everything about the contact
/// as a JSON download. Audited.
pub async fn gdpr_export(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath<ContactId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let now = st.now();
    let doc = af_db::gdpr::export_contact(&st.db, cu.workspace.id, id, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = st.db.begin().await?;
    let actor = cu.actor();
    insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(cu.workspace.id),
            actor: &actor,
            action: "contact.gdpr_exported",
            target_type: Some("contact"),
            target_id: Some(id.to_string()),
            result: "ok",
            details: serde_json::json!({}),
            ip: Some(&ip),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.into()))?;
    let disposition = format!("attachment; filename=\"contacto-{id}.json\"");
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// `POST /contacts/{id}/erase` (admin+): erases the person everywhere,
/// keeping only the opt-out hash. Audited in the same transaction.
pub async fn erase_contact(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath<ContactId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = tr(&cu);
    let now = st.now();
    let actor = cu.actor();
    let mut tx = st.db.begin().await?;
    let erased = match af_db::gdpr::erase_contact(&mut tx, cu.workspace.id, id, &actor, now).await {
        Ok(e) => e,
        Err(af_db::DbError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(cu.workspace.id),
            actor: &actor,
            action: "contact.erased",
            target_type: Some("contact"),
            target_id: Some(id.to_string()),
            result: "ok",
            details: serde_json::to_value(&erased).unwrap_or_default(),
            ip: Some(&ip),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(workspace.id = %cu.workspace.id, "contact erased");
    set_flash(&cu.session, true, t.gdpr_erased).await?;
    Ok(Redirect::to("/contacts").into_response())
}
