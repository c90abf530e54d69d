//! `agencyflow import contacts|activities|memberships ...` and `agencyflow export contacts|deals
//! ...`, plus the job handler that runs imports uploaded on the web.

use af_core::csv_io::{self, Field};
use af_core::csv_records::{self as records, Column, ImportKind};
use af_core::jobs::{ImportContacts, ImportRecords};
use af_core::{Actor, Clock, SystemClock};
use af_db::exports::{ContactExport, ContactSelection, DealExport, DealExportFilter, ExportFormat};
use af_db::imports::{self, ImportOptions, ImportReport, Progress};
use af_db::{Db, Ts};
use af_jobs::{JobError, typed_handler};
use af_service::provision;
use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// Import contacts from a CSV file (UTF-8; `,` or `;` separated; first
    /// row is the header). Columns are mapped from their names (nombre,
    /// apellido, correo, email, teléfono, empresa, fuente, etiquetas, utm_*...);
    /// override with --map. Rows are de-duplicated by email, then phone.
    Contacts {
        /// Workspace slug.
        #[arg(long)]
        workspace: String,
        /// The CSV file.
        file: PathBuf,
        /// Column mapping override, `header=field` (field: first_name,
        /// last_name, full_name, email, phone, company, source, lifecycle,
        /// tags, utm_source..utm_content, referrer, landing_page,
        /// custom:<key>, ignore). Repeatable.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// Let the imported contacts start automations (off by default).
        #[arg(long)]
        fire_triggers: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import activities (visits, purchases, classes...) from a CSV file.
    /// Columns from their names (correo/email, teléfono/phone, tipo/type,
    /// fecha/date, monto/amount, moneda/currency, nota/note); each row is
    /// checked and scored like `POST /api/v1/activities`.
    Activities {
        #[arg(long)]
        workspace: String,
        file: PathBuf,
        /// Column override, `header=column` (contact_id, email, phone,
        /// type, occurred_at, amount, currency, note, idempotency_key,
        /// ignore). Repeatable.
        #[arg(long = "map", value_name = "HEADER=COLUMN")]
        map: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import memberships (subscriptions) from a CSV file; a row whose
    /// external id was imported before updates that membership.
    Memberships {
        #[arg(long)]
        workspace: String,
        file: PathBuf,
        /// Column override, `header=column` (contact_id, email, phone,
        /// name, plan, status, starts_at, ends_at, amount, currency,
        /// external_id, ignore). Repeatable.
        #[arg(long = "map", value_name = "HEADER=COLUMN")]
        map: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// Export the workspace's contacts to standard output.
    Contacts {
        #[arg(long)]
        workspace: String,
        /// csv (UTF-8 with BOM, formula-safe) or jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// Export the workspace's deals to standard output.
    Deals {
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "csv")]
        format: String,
    },
}

fn now() -> Ts {
    Ts::new(SystemClock.now())
}

fn parse_format(raw: &str) -> anyhow::Result<ExportFormat> {
    ExportFormat::parse(raw).with_context(|| format!("--format: {raw:?} is not csv or jsonl"))
}

pub async fn import(db: &Db, cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::Contacts {
            workspace,
            file,
            map,
            fire_triggers,
            json,
        } => {
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            let data =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let headers = imports::read_headers(&data)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{}", file.display()))?;
            let overrides = map
                .iter()
                .map(|m| {
                    m.split_once('=')
                        .map(|(h, f)| (h.to_string(), f.to_string()))
                        .with_context(|| format!("--map {m:?}: expected header=field"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let custom = imports::custom_keys(db, ws.id).await?;
            let mapping = csv_io::mapping_with_overrides(&headers, &custom, &overrides)
                .map_err(anyhow::Error::msg)
                .context("--map")?;
            csv_io::check_mapping(&mapping, headers.len())
                .map_err(anyhow::Error::msg)
                .context("column mapping (use --map header=email)")?;
            let total = imports::count_rows(&data).map_err(anyhow::Error::msg)?;
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let report = ImportReport {
                headers: headers.clone(),
                mapping: mapping.iter().map(|f| f.name().into_owned()).collect(),
                fire_triggers,
                ..Default::default()
            };
            let mut tx = db.begin().await?;
            let id = imports::insert_import(
                &mut tx,
                ws.id,
                &file_name,
                imports::status::RUNNING,
                total,
                &report,
                None,
                now(),
            )
            .await?;
            tx.commit().await?;
            let bar = progress_bar(total as u64);
            if !json {
                eprintln!("{}", describe_mapping(&headers, &mapping));
            }
            let opts = ImportOptions {
                fire_triggers,
                country: ws.country.clone(),
                actor: Actor {
                    label: "cli import".into(),
                    ..Actor::system()
                },
            };
            let b = bar.clone();
            let mut on_progress = move |p: &Progress| {
                b.set_length(p.total as u64);
                b.set_position(p.processed as u64);
            };
            let done = imports::run_import(
                db,
                ws.id,
                id,
                &data,
                &mapping,
                &opts,
                &SystemClock,
                &mut on_progress,
            )
            .await?;
            bar.finish_and_clear();
            let report = done.report();
            if let Some(err) = &report.error {
                bail!("{}: {err}", file.display());
            }
            print_summary(&done, &report, json)?;
        }
        ImportCmd::Activities {
            workspace,
            file,
            map,
            json,
        } => import_records(db, ImportKind::Activities, &workspace, &file, &map, json).await?,
        ImportCmd::Memberships {
            workspace,
            file,
            map,
            json,
        } => import_records(db, ImportKind::Memberships, &workspace, &file, &map, json).await?,
    }
    Ok(())
}

/// `import activities` / `import memberships`: the file is stored as a
/// web upload is and run in this process by the same code as the job.
async fn import_records(
    db: &Db,
    kind: ImportKind,
    workspace: &str,
    file: &std::path::Path,
    map: &[String],
    json: bool,
) -> anyhow::Result<()> {
    let ws = provision::workspace_by_slug(db, workspace).await?;
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let headers = imports::read_headers(&data)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{}", file.display()))?;
    let mut mapping = records::suggest(kind, &headers);
    for m in map {
        let (h, c) = m
            .split_once('=')
            .with_context(|| format!("--map {m:?}: expected header=column"))?;
        let i = headers
            .iter()
            .position(|x| csv_io::header_key(x) == csv_io::header_key(h))
            .with_context(|| format!("--map {m:?}: no column {h:?} in the file"))?;
        mapping[i] = Column::parse(kind, c.trim())
            .with_context(|| format!("--map {m:?}: {c:?} is not a column of this import"))?;
    }
    if let Err(p) = records::check(kind, &mapping, headers.len()) {
        bail!(
            "column mapping: {p:?} (map an email, phone or contact_id column and the {} with --map header=column)",
            if kind == ImportKind::Memberships {
                "plan"
            } else {
                "type"
            }
        );
    }
    let total = imports::count_rows(&data).map_err(anyhow::Error::msg)?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names: Vec<String> = mapping.iter().map(|c| c.name().to_string()).collect();
    let report = ImportReport {
        headers: headers.clone(),
        mapping: names.clone(),
        ..Default::default()
    };
    let mut tx = db.begin().await?;
    let id = imports::insert_import(
        &mut tx,
        ws.id,
        &file_name,
        imports::status::RUNNING,
        total,
        &report,
        None,
        now(),
    )
    .await?;
    imports::insert_import_file(&mut tx, ws.id, id, &data, &[], now()).await?;
    imports::set_kind(&mut tx, ws.id, id, kind).await?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    imports::set_record_mapping(&mut tx, ws.id, id, &refs).await?;
    tx.commit().await?;
    if !json {
        let cols: Vec<String> = headers
            .iter()
            .zip(&mapping)
            .map(|(h, c)| format!("{h} → {}", c.name()))
            .collect();
        eprintln!("columns: {}", cols.join(", "));
    }
    let bar = progress_bar(total as u64);
    let b = bar.clone();
    let mut on_progress = move |p: &Progress| {
        b.set_length(p.total as u64);
        b.set_position(p.processed as u64);
    };
    let done = af_service::record_imports::run(db, ws.id, id, &SystemClock, &mut on_progress)
        .await?
        .context("the import vanished")?;
    bar.finish_and_clear();
    let report = done.report();
    if let Some(err) = &report.error {
        bail!("{}: {err}", file.display());
    }
    print_summary(&done, &report, json)
}

/// A bar on stderr when it is a terminal; hidden otherwise (CI, pipes).
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec}, {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}

fn describe_mapping(headers: &[String], mapping: &[Field]) -> String {
    let cols: Vec<String> = headers
        .iter()
        .zip(mapping)
        .map(|(h, f)| format!("{h} → {}", f.name()))
        .collect();
    format!("columns: {}", cols.join(", "))
}

fn print_summary(done: &imports::Import, report: &ImportReport, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "import_id": done.id,
            "total": done.processed_rows,
            "created": done.created_rows,
            "updated": done.updated_rows,
            "rejected": done.rejected_rows,
            "rejected_rows": report.rejected,
        });
        writeln!(out, "{v}")?;
        return Ok(());
    }
    writeln!(
        out,
        "imported {} rows: {} created, {} updated, {} rejected",
        done.processed_rows, done.created_rows, done.updated_rows, done.rejected_rows
    )?;
    for r in &report.rejected {
        let value = r
            .value
            .as_deref()
            .map(|v| format!(" ({v:?})"))
            .unwrap_or_default();
        writeln!(out, "  row {}: {}{value}", r.row, r.message)?;
    }
    if usize::try_from(done.rejected_rows).unwrap_or(0) > report.rejected.len() {
        writeln!(
            out,
            "  ... and {} more rejected rows",
            usize::try_from(done.rejected_rows).unwrap_or(0) - report.rejected.len()
        )?;
    }
    Ok(())
}

pub async fn export(db: &Db, cmd: ExportCmd) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match cmd {
        ExportCmd::Contacts { workspace, format } => {
            let format = parse_format(&format)?;
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            let mut export = ContactExport::new(
                db,
                ws.id,
                format,
                ContactSelection::Filter(Default::default()),
            )
            .await?;
            while let Some(chunk) = export.next_chunk().await? {
                write_chunk(&mut out, &chunk)?;
            }
        }
        ExportCmd::Deals { workspace, format } => {
            let format = parse_format(&format)?;
            let ws = provision::workspace_by_slug(db, &workspace).await?;
            let mut export = DealExport::new(db, ws.id, format, DealExportFilter::default());
            while let Some(chunk) = export.next_chunk().await? {
                write_chunk(&mut out, &chunk)?;
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

/// Writes a chunk; a closed pipe (`| head`) ends the export quietly.
fn write_chunk(out: &mut impl Write, chunk: &[u8]) -> anyhow::Result<()> {
    match out.write_all(chunk) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

/// The job that runs an import uploaded on the web
/// ([`af_core::jobs::ImportContacts`]).
pub fn import_job() -> impl af_jobs::JobHandler {
    typed_handler(|ctx, _job, p: ImportContacts| async move {
        imports::run_queued_import(&ctx.db, p.workspace_id, p.import_id, ctx.clock.as_ref())
            .await
            .map_err(JobError::retry)?;
        Ok(())
    })
}

/// The job that runs an import of activities or memberships uploaded on
/// the web ([`af_core::jobs::ImportRecords`]).
pub fn import_records_job() -> impl af_jobs::JobHandler {
    typed_handler(|ctx, _job, p: ImportRecords| async move {
        af_service::record_imports::run(
            &ctx.db,
            p.workspace_id,
            p.import_id,
            ctx.clock.as_ref(),
            &mut |_| {},
        )
        .await
        .map_err(JobError::retry)?;
        Ok(())
    })
}
