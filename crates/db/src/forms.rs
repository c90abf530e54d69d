//! Lead-capture forms and the leads they (and the PAUTA `/api/lead`)
//! accept. A form's fields and styling are JSON validated by the web layer;
//! every accepted lead is a `form_submissions` row with a per-workspace
//! lead number (the PAUTA `lead_id`).

use crate::events::{NewEvent, insert_event};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, DealId, FormId, PipelineId, StageId, SubmissionId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

/// A form as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Form {
    #[sqlx(try_from = "Uuid")]
    pub id: FormId,
    #[sqlx(try_from = "Uuid")]
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// JSON array of field definitions.
    pub fields: String,
    /// JSON object.
    pub styling: String,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    /// JSON array of tag names.
    pub tags: String,
    pub consent_text: Option<String>,
    pub active: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl Form {
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
}

macro_rules! form_columns {
    () => {
        "id, workspace_id, name, fields, styling, success_message, redirect_url, pipeline_id, stage_id, tags, \
         consent_text, active, created_at, updated_at"
    };
}

/// A validated form definition (create and full update).
#[derive(Debug, Clone)]
pub struct FormInput {
    pub name: String,
    pub fields: serde_json::Value,
    pub styling: serde_json::Value,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
    pub pipeline_id: Option<PipelineId>,
    pub stage_id: Option<StageId>,
    pub tags: Vec<String>,
    pub consent_text: Option<String>,
    pub active: bool,
}

/// Checks that the stage (and pipeline) belong to the workspace, and fills
/// the pipeline from the stage.
async fn scoped_target(
    tx: &mut Tx,
    ws: WorkspaceId,
    f: &FormInput,
) -> DbResult<(Option<Uuid>, Option<Uuid>)> {
    match (f.stage_id, f.pipeline_id) {
        (Some(s), p) => {
            let stage = crate::pipelines::get_stage_tx(tx, ws, s).await?;
            if p.is_some_and(|p| p != stage.pipeline_id) {
                return Err(DbError::NotFound("stage in that pipeline"));
            }
            Ok((Some(stage.pipeline_id.0), Some(stage.id.0)))
        }
        (None, Some(p)) => {
            crate::pipelines::get_pipeline_tx(tx, ws, p).await?;
            Ok((Some(p.0), None))
        }
        (None, None) => Ok((None, None)),
    }
}

fn form_event<'a>(
    ws: WorkspaceId,
    kind: EventKind,
    id: FormId,
    actor: &'a Actor,
    data: serde_json::Value,
) -> NewEvent<'a> {
    NewEvent {
        workspace: ws,
        kind: kind.as_str(),
        entity_type: "form",
        entity_id: Some(id.to_string()),
        actor,
        data,
    }
}

/// Creates a form; writes `form.created`.
pub async fn insert_form(
    tx: &mut Tx,
    ws: WorkspaceId,
    f: &FormInput,
    actor: &Actor,
    now: Ts,
) -> DbResult<Form> {
    let (pipeline, stage) = scoped_target(tx, ws, f).await?;
    let id = FormId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO forms (id, workspace_id, name, fields, styling, success_message, redirect_url, pipeline_id,
                                stage_id, tags, consent_text, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
        )
        .bind(id.0).bind(ws.0).bind(&f.name).bind(f.fields.to_string()).bind(f.styling.to_string())
        .bind(&f.success_message).bind(&f.redirect_url).bind(pipeline).bind(stage)
        .bind(serde_json::json!(f.tags).to_string()).bind(&f.consent_text).bind(f.active).bind(now)
        .execute(&mut *c).await?;
    });
    let form = get_form_tx(tx, ws, id).await?;
    let e = form_event(
        ws,
        EventKind::FormCreated,
        id,
        actor,
        serde_json::json!({ "name": f.name }),
    );
    insert_event(tx, &e, now).await?;
    Ok(form)
}

/// Replaces a form's definition; writes `form.updated`.
pub async fn update_form(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: FormId,
    f: &FormInput,
    actor: &Actor,
    now: Ts,
) -> DbResult<Form> {
    get_form_tx(tx, ws, id).await?;
    let (pipeline, stage) = scoped_target(tx, ws, f).await?;
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE forms SET name = $3, fields = $4, styling = $5, success_message = $6, redirect_url = $7,
                    pipeline_id = $8, stage_id = $9, tags = $10, consent_text = $11, active = $12, updated_at = $13
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).bind(&f.name).bind(f.fields.to_string()).bind(f.styling.to_string())
        .bind(&f.success_message).bind(&f.redirect_url).bind(pipeline).bind(stage)
        .bind(serde_json::json!(f.tags).to_string()).bind(&f.consent_text).bind(f.active).bind(now)
        .execute(&mut *c).await?;
    });
    let form = get_form_tx(tx, ws, id).await?;
    let e = form_event(
        ws,
        EventKind::FormUpdated,
        id,
        actor,
        serde_json::json!({ "name": f.name }),
    );
    insert_event(tx, &e, now).await?;
    Ok(form)
}

/// Deletes a form and its submissions' link (submissions go with it);
/// writes `form.deleted`. NotFound when the workspace has no such form.
pub async fn delete_form(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: FormId,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    let old = get_form_tx(tx, ws, id).await?;
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM forms WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?;
    });
    let e = form_event(
        ws,
        EventKind::FormDeleted,
        id,
        actor,
        serde_json::json!({ "name": old.name }),
    );
    insert_event(tx, &e, now).await?;
    Ok(())
}

pub async fn get_form_tx(tx: &mut Tx, ws: WorkspaceId, id: FormId) -> DbResult<Form> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Form>(concat!("SELECT ", form_columns!(), " FROM forms WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("form"))
}

pub async fn find_form(db: &crate::Db, ws: WorkspaceId, id: FormId) -> DbResult<Option<Form>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Form>(concat!("SELECT ", form_columns!(), " FROM forms WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// The form with this id in any workspace: the public form URL carries only
/// the (unguessable, UUIDv7) form id, and the form says whose it is.
pub async fn find_public_form(db: &crate::Db, id: FormId) -> DbResult<Option<Form>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Form>(concat!("SELECT ", form_columns!(), " FROM forms WHERE id = $1"))
            .bind(id.0).fetch_optional(p).await?
    }))
}

/// The workspace's forms with their submission counts, newest first.
pub async fn list_forms(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<(Form, i64)>> {
    let forms = with_pool!(db, p => {
        sqlx::query_as::<_, Form>(concat!("SELECT ", form_columns!(), " FROM forms WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC"))
            .bind(ws.0).fetch_all(p).await?
    });
    let counts: Vec<(Uuid, i64)> = with_pool!(db, p => {
        sqlx::query_as("SELECT form_id, COUNT(*) FROM form_submissions WHERE workspace_id = $1 AND form_id IS NOT NULL GROUP BY form_id")
            .bind(ws.0).fetch_all(p).await?
    });
    Ok(forms
        .into_iter()
        .map(|f| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == f.id.0)
                .map_or(0, |(_, n)| *n);
            (f, n)
        })
        .collect())
}

// -------------------------------------------------------------- submissions

/// A stored lead.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Submission {
    #[sqlx(try_from = "Uuid")]
    pub id: SubmissionId,
    pub form_id: Option<Uuid>,
    pub lead_number: i64,
    /// `form` or `api_lead`.
    pub channel: String,
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    /// JSON object of the submitted fields.
    pub data: String,
    /// JSON object: utm_*, referrer, landing_page.
    pub attribution: String,
    pub consent_text: Option<String>,
    pub ip_hash: Option<String>,
    pub created_at: Ts,
}

macro_rules! submission_columns {
    () => {
        "id, form_id, lead_number, channel, contact_id, deal_id, data, attribution, consent_text, ip_hash, created_at"
    };
}

/// What to store of an accepted lead.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    pub form: Option<&'a Form>,
    pub channel: &'a str,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub data: serde_json::Value,
    pub attribution: serde_json::Value,
    pub consent_text: Option<String>,
    pub ip_hash: Option<String>,
    /// A number taken before the transaction ([`reserve_lead_number`]);
    /// `None` takes the next one inside it.
    pub lead_number: Option<i64>,
}

/// The next lead number of the workspace, taken before the lead's
/// transaction where that lets leads commit side by side: on PostgreSQL
/// the counter's upsert locks the workspace's row until COMMIT, so inside
/// the lead's transaction one workspace's leads would queue behind each
/// other for their whole transaction; in a statement of its own the lock
/// lasts that statement. A lead that then fails leaves a gap in the
/// numbers, as a sequence does. On SQLite write transactions are serial
/// anyway and an extra commit costs a sync, so the number is taken inside
/// (`None`).
pub async fn reserve_lead_number(db: &crate::Db, ws: WorkspaceId) -> DbResult<Option<i64>> {
    match db.backend() {
        crate::Backend::Sqlite => Ok(None),
        // One autocommitted statement: one round trip instead of three
        // (BEGIN, upsert, COMMIT).
        crate::Backend::Postgres => Ok(Some(with_pool!(db, p => {
            sqlx::query_scalar::<_, i64>(NEXT_LEAD_NUMBER)
                .bind(ws.0)
                .fetch_one(p)
                .await?
        }))),
    }
}

const NEXT_LEAD_NUMBER: &str =
    "INSERT INTO lead_counters (workspace_id, last_number) VALUES ($1, 1)
     ON CONFLICT (workspace_id) DO UPDATE SET last_number = lead_counters.last_number + 1
     RETURNING last_number";

/// The next lead number of the workspace. The upsert takes the counter
/// row's lock, so concurrent intakes on PostgreSQL get distinct numbers
/// (SQLite write transactions are serial anyway).
async fn next_lead_number(tx: &mut Tx, ws: WorkspaceId) -> DbResult<i64> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar::<_, i64>(NEXT_LEAD_NUMBER)
            .bind(ws.0).fetch_one(&mut *c).await?
    }))
}

/// The submitted values in the form's field order, each with the field's
/// type and labels (`[{name, type, label, label_en, value, maps_to?}]`), so the
/// event reads as the form did even after the form changes.
fn answers_of(form: &Form, data: &serde_json::Value) -> serde_json::Value {
    let specs: Vec<serde_json::Value> = serde_json::from_str(&form.fields).unwrap_or_default();
    let answers = specs
        .iter()
        .filter_map(|f| {
            let name = f.get("name")?.as_str()?;
            let value = data.get(name).filter(|v| !v.is_null())?;
            let text = |k: &str| f.get(k).and_then(serde_json::Value::as_str);
            let mut answer = serde_json::json!({
                "name": name, "type": text("type"), "label": text("label"),
                "label_en": text("label_en"), "value": value,
            });
            // Where the answer went on the contact, when the form says so
            // (the timeline's summary leaves out what fed the contact).
            if let Some(m) = text("maps_to") {
                answer["maps_to"] = m.into();
            }
            Some(answer)
        })
        .collect();
    serde_json::Value::Array(answers)
}

/// Stores a lead; for a form, also writes `form.submitted` (entity: the
/// contact) with the form, the submission, the deal, the fields and the
/// answers under their labels.
pub async fn insert_submission(
    tx: &mut Tx,
    ws: WorkspaceId,
    s: &NewSubmission<'_>,
    actor: &Actor,
    now: Ts,
) -> DbResult<Submission> {
    let id = SubmissionId::new();
    let number = match s.lead_number {
        Some(n) => n,
        None => next_lead_number(tx, ws).await?,
    };
    let form_id = s.form.map(|f| f.id.0);
    // The stored row comes back from the INSERT itself, not a re-read.
    let submission = with_tx!(tx, c => {
        sqlx::query_as::<_, Submission>(concat!(
            "INSERT INTO form_submissions (id, workspace_id, form_id, lead_number, channel, contact_id, deal_id, data,
                                           attribution, consent_text, ip_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             RETURNING ", submission_columns!()),
        )
        .bind(id.0).bind(ws.0).bind(form_id).bind(number).bind(s.channel).bind(s.contact_id.0)
        .bind(s.deal_id.map(|d| d.0)).bind(s.data.to_string()).bind(s.attribution.to_string())
        .bind(&s.consent_text).bind(&s.ip_hash).bind(now)
        .fetch_one(&mut *c).await?
    });
    if let Some(form) = s.form {
        let e = NewEvent {
            workspace: ws,
            kind: EventKind::FormSubmitted.as_str(),
            entity_type: "contact",
            entity_id: Some(s.contact_id.to_string()),
            actor,
            data: serde_json::json!({
                "contact_id": s.contact_id, "form_id": form.id, "form_name": form.name,
                "submission_id": id, "deal_id": s.deal_id, "fields": s.data,
                "answers": answers_of(form, &s.data), "attribution": s.attribution,
            }),
        };
        insert_event(tx, &e, now).await?;
    }
    Ok(submission)
}

/// A form's submissions, newest first.
pub async fn list_submissions(
    db: &crate::Db,
    ws: WorkspaceId,
    form: FormId,
    limit: i64,
) -> DbResult<Vec<Submission>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Submission>(concat!("SELECT ", submission_columns!(),
            " FROM form_submissions WHERE workspace_id = $1 AND form_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3"))
            .bind(ws.0).bind(form.0).bind(limit).fetch_all(p).await?
    }))
}

/// The contact of the lead with this PAUTA number.
pub async fn find_contact_by_lead_number(
    tx: &mut Tx,
    ws: WorkspaceId,
    number: i64,
) -> DbResult<Option<ContactId>> {
    let id: Option<Option<Uuid>> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT contact_id FROM form_submissions WHERE workspace_id = $1 AND lead_number = $2")
            .bind(ws.0).bind(number).fetch_optional(&mut *c).await?
    });
    Ok(id.flatten().map(ContactId))
}
