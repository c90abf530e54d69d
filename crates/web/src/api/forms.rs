//! JSON API for lead-capture forms, their submissions and appointments
//! (`/api/v1/forms`, `/api/v1/appointments`). Full-scope keys only; another
//! workspace's id is 404.

use super::openapi::schemas::Data;
use super::pagination::page_limit;
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::{AppointmentId, ContactId, FormId, SubmissionId};
use af_db::appointments::{self, Appointment};
use af_db::forms::{self, Form, Submission};
use af_db::{DbError, Ts};
use af_service::forms::{FieldSpec, RawForm, Styling, fields_of, styling_of, validate_form};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/forms", get(list_forms).post(create_form))
        .route(
            "/api/v1/forms/{id}",
            get(get_form).put(update_form).delete(delete_form),
        )
        .route("/api/v1/forms/{id}/submissions", get(list_submissions))
        .route("/api/v1/appointments", get(list_appointments))
        .route("/api/v1/appointments/{id}", get(get_appointment))
}

/// One field of a form (or a question of a calendar).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FieldDoc {
    /// The answer's key: lower-case letters, digits and `_`.
    #[schema(example = "company")]
    pub name: String,
    /// `text`, `email`, `phone`, `select`, `textarea`, `checkbox` or `hidden` (calendars also take `multiselect` and `number`).
    #[serde(rename = "type")]
    #[schema(example = "text")]
    pub kind: String,
    /// The label, in the workspace's language.
    #[serde(default)]
    #[schema(example = "Empresa")]
    pub label: String,
    /// The label in English, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    /// Hint shown in the empty field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// The hint in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder_en: Option<String>,
    /// Whether an answer is required.
    #[serde(default)]
    pub required: bool,
    /// Choices of a select.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Fixed value of a hidden field (a URL parameter of the same name wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where the answer is saved on the contact: `first_name`, `last_name`, `name`, `email`, `phone`, `company`, `custom:<key>` or `none`; absent: inferred from the name and type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps_to: Option<String>,
}

impl From<FieldSpec> for FieldDoc {
    fn from(f: FieldSpec) -> Self {
        Self {
            name: f.name,
            kind: f.kind,
            label: f.label,
            label_en: f.label_en,
            placeholder: f.placeholder,
            placeholder_en: f.placeholder_en,
            required: f.required,
            options: f.options,
            value: f.value,
            maps_to: f.maps_to,
        }
    }
}

/// How a form looks.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StylingDoc {
    /// Buttons and focus, `#rrggbb`.
    #[schema(example = "#4f46e5")]
    pub primary_color: String,
    /// Text, `#rrggbb`.
    #[schema(example = "#111827")]
    pub text_color: String,
    /// Background, `#rrggbb`.
    #[schema(example = "#ffffff")]
    pub background_color: String,
    /// `system`, `serif` or `mono`.
    #[schema(example = "system")]
    pub font: String,
    /// Corner radius in pixels, 0 to 24.
    #[schema(maximum = 24, example = 6)]
    pub radius: u8,
    /// The button's text (default: "Enviar").
    pub button_text: Option<String>,
    /// The button's text in English.
    pub button_text_en: Option<String>,
}

impl From<Styling> for StylingDoc {
    fn from(s: Styling) -> Self {
        Self {
            primary_color: s.primary_color,
            text_color: s.text_color,
            background_color: s.background_color,
            font: s.font,
            radius: s.radius,
            button_text: s.button_text,
            button_text_en: s.button_text_en,
        }
    }
}

/// A form's definition, as POST and PUT send it.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "Contacto", "fields": [{"name": "name", "type": "text", "label": "Nombre", "required": true}, {"name": "email", "type": "email", "label": "Correo", "required": true}], "tags": ["web"], "success_message": "¡Gracias! Te escribimos pronto."}))]
pub struct FormIn {
    /// The form's name.
    pub name: String,
    /// The fields, in order.
    pub fields: Vec<FieldDoc>,
    /// How it looks (default: the house style).
    pub styling: Option<StylingDoc>,
    /// Shown after a submission.
    pub success_message: Option<String>,
    /// Where the visitor goes after a submission (https).
    pub redirect_url: Option<String>,
    /// Pipeline of the deal each lead opens.
    pub pipeline_id: Option<Uuid>,
    /// Stage of the deal each lead opens.
    pub stage_id: Option<Uuid>,
    /// Tags given to each lead.
    pub tags: Vec<String>,
    /// Consent checkbox text; none: no checkbox.
    pub consent_text: Option<String>,
    /// Whether it takes submissions (default true).
    pub active: Option<bool>,
}

/// A lead-capture form.
#[derive(Serialize, ToSchema)]
pub struct FormOut {
    pub id: FormId,
    /// The form's name.
    pub name: String,
    /// The fields, in order.
    pub fields: Vec<FieldDoc>,
    /// How it looks.
    pub styling: StylingDoc,
    /// Shown after a submission.
    pub success_message: Option<String>,
    /// Where the visitor goes after a submission (https).
    pub redirect_url: Option<String>,
    /// Pipeline of the deal each lead opens.
    pub pipeline_id: Option<Uuid>,
    /// Stage of the deal each lead opens.
    pub stage_id: Option<Uuid>,
    /// Tags given to each lead.
    pub tags: Vec<String>,
    /// Consent checkbox text; none: no checkbox.
    pub consent_text: Option<String>,
    /// Whether it takes submissions.
    pub active: bool,
    /// The hosted page.
    #[schema(example = "https://app.example.com/f/0190a5b2-7c1e-7d3a-9f00-2b8e4c6d1a10")]
    pub url: String,
    /// The ready-to-paste embed code.
    pub embed: String,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// In lists: how many submissions it has received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submissions: Option<i64>,
}

impl FormOut {
    /// A form in the API's shape.
    pub fn new(form: &Form, base_url: &str) -> Self {
        Self {
            id: form.id,
            name: form.name.clone(),
            fields: fields_of(form).into_iter().map(FieldDoc::from).collect(),
            styling: styling_of(form).into(),
            success_message: form.success_message.clone(),
            redirect_url: form.redirect_url.clone(),
            pipeline_id: form.pipeline_id,
            stage_id: form.stage_id,
            tags: form.tag_list(),
            consent_text: form.consent_text.clone(),
            active: form.active,
            url: format!("{base_url}/f/{}", form.id),
            embed: embed_snippet(base_url, form.id),
            created_at: form.created_at,
            updated_at: form.updated_at,
            submissions: None,
        }
    }
}

/// The ready-to-paste embed code of a form.
pub fn embed_snippet(base_url: &str, id: FormId) -> String {
    format!(
        "<script src=\"{base_url}/embed.js\" async></script>\n<div data-af-form=\"{id}\"></div>"
    )
}

fn not_found_or(e: DbError) -> ApiError {
    match e {
        DbError::NotFound("form") => ApiError::NotFound,
        DbError::NotFound(what) => ApiError::field(
            if what.starts_with("stage") {
                "stage_id"
            } else {
                "pipeline_id"
            },
            format!("no such {what} in this workspace"),
        ),
        e => e.into(),
    }
}

/// List forms
///
/// Every form of the workspace with its count of submissions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/forms",
    operation_id = "forms_list",
    tag = "Forms",
    responses((status = 200, description = "The forms.", body = Data<Vec<FormOut>>)),
)]
async fn list_forms(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<FormOut>>>, ApiError> {
    let all = forms::list_forms(&st.db, auth.workspace.id).await?;
    let data = all
        .iter()
        .map(|(f, n)| FormOut {
            submissions: Some(*n),
            ..FormOut::new(f, &st.config.base_url)
        })
        .collect();
    Ok(Json(Data { data }))
}

/// Create a form
#[utoipa::path(
    post,
    path = "/api/v1/forms",
    operation_id = "forms_create",
    tag = "Forms",
    request_body = FormIn,
    responses((status = 201, description = "The form, created.", body = FormOut)),
)]
async fn create_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(raw): ApiJson<RawForm>,
) -> Result<Response, ApiError> {
    let defs = af_db::custom_fields::list_fields(&st.db, auth.workspace.id).await?;
    let input = validate_form(&raw, &defs).map_err(ApiError::Invalid)?;
    let mut tx = st.db.begin().await?;
    let form = forms::insert_form(&mut tx, auth.workspace.id, &input, &auth.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(FormOut::new(&form, &st.config.base_url)),
    )
        .into_response())
}

/// Get a form
#[utoipa::path(
    get,
    path = "/api/v1/forms/{id}",
    operation_id = "forms_get",
    tag = "Forms",
    params(("id" = Uuid, Path, description = "The form's id.")),
    responses((status = 200, description = "The form.", body = FormOut)),
)]
async fn get_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
) -> Result<Json<FormOut>, ApiError> {
    let form = forms::find_form(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(FormOut::new(&form, &st.config.base_url)))
}

/// Replace a form
///
/// The whole definition is replaced; its submissions stay.
#[utoipa::path(
    put,
    path = "/api/v1/forms/{id}",
    operation_id = "forms_update",
    tag = "Forms",
    params(("id" = Uuid, Path, description = "The form's id.")),
    request_body = FormIn,
    responses((status = 200, description = "The form, updated.", body = FormOut)),
)]
async fn update_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
    ApiJson(raw): ApiJson<RawForm>,
) -> Result<Json<FormOut>, ApiError> {
    forms::find_form(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let defs = af_db::custom_fields::list_fields(&st.db, auth.workspace.id).await?;
    let input = validate_form(&raw, &defs).map_err(ApiError::Invalid)?;
    let mut tx = st.db.begin().await?;
    let form = forms::update_form(
        &mut tx,
        auth.workspace.id,
        id,
        &input,
        &auth.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    Ok(Json(FormOut::new(&form, &st.config.base_url)))
}

/// Delete a form
#[utoipa::path(
    delete,
    path = "/api/v1/forms/{id}",
    operation_id = "forms_delete",
    tag = "Forms",
    params(("id" = Uuid, Path, description = "The form's id.")),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = st.db.begin().await?;
    forms::delete_form(&mut tx, auth.workspace.id, id, &auth.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A received submission (a lead).
#[derive(Serialize, ToSchema)]
pub struct SubmissionOut {
    pub id: SubmissionId,
    /// The form; null for leads from `POST /api/lead`.
    pub form_id: Option<Uuid>,
    /// The workspace's lead number.
    #[schema(example = 42)]
    pub lead_id: i64,
    /// `form` or `api_lead`.
    #[schema(example = "form")]
    pub channel: String,
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    /// The submitted fields by name.
    #[schema(value_type = Object, example = json!({"name": "Lucía Pérez", "email": "lucia@example.com"}))]
    pub data: Value,
    /// `utm_*`, `referrer` and `landing_page`, when captured.
    #[schema(value_type = Object, example = json!({"utm_source": "google"}))]
    pub attribution: Value,
    /// The consent text the visitor accepted.
    pub consent_text: Option<String>,
    pub created_at: Ts,
}

impl From<&Submission> for SubmissionOut {
    fn from(s: &Submission) -> Self {
        Self {
            id: s.id,
            form_id: s.form_id,
            lead_id: s.lead_number,
            channel: s.channel.clone(),
            contact_id: s.contact_id,
            deal_id: s.deal_id,
            data: serde_json::from_str::<Value>(&s.data).unwrap_or(Value::Null),
            attribution: serde_json::from_str::<Value>(&s.attribution).unwrap_or(Value::Null),
            consent_text: s.consent_text.clone(),
            created_at: s.created_at,
        }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct SubmissionsQuery {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// List a form's submissions
///
/// The newest `limit` submissions (default 100).
#[utoipa::path(
    get,
    path = "/api/v1/forms/{id}/submissions",
    operation_id = "forms_submissions_list",
    tag = "Forms",
    params(("id" = Uuid, Path, description = "The form's id."), SubmissionsQuery),
    responses((status = 200, description = "The submissions, newest first.", body = Data<Vec<SubmissionOut>>)),
)]
async fn list_submissions(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
    ApiQuery(q): ApiQuery<SubmissionsQuery>,
) -> Result<Json<Data<Vec<SubmissionOut>>>, ApiError> {
    forms::find_form(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows =
        forms::list_submissions(&st.db, auth.workspace.id, id, page_limit(q.limit, 100)?).await?;
    Ok(Json(Data {
        data: rows.iter().map(SubmissionOut::from).collect(),
    }))
}

/// An appointment: a booking on a calendar or a meeting from Cal.com.
#[derive(Serialize, ToSchema)]
pub struct AppointmentOut {
    pub id: AppointmentId,
    pub contact_id: ContactId,
    pub deal_id: Option<Uuid>,
    /// The meeting's title.
    pub title: String,
    pub start: Option<Ts>,
    pub end: Option<Ts>,
    /// The invitee's IANA zone.
    pub time_zone: Option<String>,
    /// The organiser's IANA zone.
    pub organizer_time_zone: Option<String>,
    /// `pending`, `confirmed`, `cancelled`, `completed` or `no_show`.
    #[schema(example = "confirmed")]
    pub status: String,
    /// Where it came from: `booking_page`, `api`, `calcom`…
    #[schema(example = "calcom")]
    pub source: String,
    /// The vendor's id of the booking (Cal.com's uid).
    pub external_uid: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<&Appointment> for AppointmentOut {
    fn from(a: &Appointment) -> Self {
        Self {
            id: a.id,
            contact_id: a.contact_id,
            deal_id: a.deal_id,
            title: a.title.clone(),
            start: a.starts_at,
            end: a.ends_at,
            time_zone: a.time_zone.clone(),
            organizer_time_zone: a.organizer_time_zone.clone(),
            status: a.status.clone(),
            source: a.source.clone(),
            external_uid: a.external_uid.clone(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct AppointmentsQuery {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Only this contact's appointments.
    #[param(value_type = Option<Uuid>)]
    contact_id: Option<String>,
}

/// List appointments
///
/// The newest `limit` appointments (default 100), of one contact when `contact_id` is given.
#[utoipa::path(
    get,
    path = "/api/v1/appointments",
    operation_id = "appointments_list",
    tag = "Appointments",
    params(AppointmentsQuery),
    responses((status = 200, description = "The appointments.", body = Data<Vec<AppointmentOut>>)),
)]
async fn list_appointments(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<AppointmentsQuery>,
) -> Result<Json<Data<Vec<AppointmentOut>>>, ApiError> {
    let contact = match q
        .contact_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(
            c.parse::<ContactId>()
                .map_err(|_| ApiError::field("contact_id", "contact_id must be a contact id"))?,
        ),
        None => None,
    };
    let rows = appointments::list_appointments(
        &st.db,
        auth.workspace.id,
        contact,
        page_limit(q.limit, 100)?,
    )
    .await?;
    Ok(Json(Data {
        data: rows.iter().map(AppointmentOut::from).collect(),
    }))
}

/// Get an appointment
#[utoipa::path(
    get,
    path = "/api/v1/appointments/{id}",
    operation_id = "appointments_get",
    tag = "Appointments",
    params(("id" = Uuid, Path, description = "The appointment's id.")),
    responses((status = 200, description = "The appointment.", body = AppointmentOut)),
)]
async fn get_appointment(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<AppointmentId>,
) -> Result<Json<AppointmentOut>, ApiError> {
    let a = appointments::find_appointment(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(AppointmentOut::from(&a)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_forms, create_form, get_form, update_form, delete_form, list_submissions, list_appointments, get_appointment),
    tags((name = "Forms", description = "Lead-capture forms and the submissions they receive.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A form's definition, as POST and PUT send it.",
        "La definición de un formulario, tal como la envían POST y PUT.",
    ),
    (
        "A lead-capture form.",
        "Un formulario de captación de leads.",
    ),
    (
        "A received submission (a lead).",
        "Un envío recibido (un lead).",
    ),
    (
        "An appointment: a booking on a calendar or a meeting from Cal.com.",
        "Una cita: una reserva en un calendario o una reunión de Cal.com.",
    ),
    ("Background, `#rrggbb`.", "Fondo, `#rrggbb`."),
    (
        "Buttons and focus, `#rrggbb`.",
        "Botones y foco, `#rrggbb`.",
    ),
    ("Choices of a select.", "Opciones de una selección."),
    (
        "Consent checkbox text; none: no checkbox.",
        "Texto de la casilla de consentimiento; sin él: no hay casilla.",
    ),
    (
        "Corner radius in pixels, 0 to 24.",
        "Radio de las esquinas en píxeles, de 0 a 24.",
    ),
    ("Create a form", "Crear un formulario"),
    ("Delete a form", "Eliminar un formulario"),
    (
        "Every form of the workspace with its count of submissions, newest first.",
        "Todos los formularios del espacio con su número de envíos, lo más reciente primero.",
    ),
    (
        "Fixed value of a hidden field (a URL parameter of the same name wins).",
        "Valor fijo de un campo oculto (gana un parámetro de la URL con el mismo nombre).",
    ),
    ("Get a form", "Obtener un formulario"),
    ("Get an appointment", "Obtener una cita"),
    (
        "Hint shown in the empty field.",
        "Pista que se muestra en el campo vacío.",
    ),
    ("How a form looks.", "Cómo se ve un formulario."),
    (
        "How it looks (default: the house style).",
        "Cómo se ve (por defecto: el estilo de la casa).",
    ),
    ("How it looks.", "Cómo se ve."),
    (
        "In lists: how many submissions it has received.",
        "En las listas: cuántos envíos ha recibido.",
    ),
    (
        "Lead-capture forms and the submissions they receive.",
        "Formularios de captación de leads y los envíos que reciben.",
    ),
    (
        "List a form's submissions",
        "Listar los envíos de un formulario",
    ),
    ("List appointments", "Listar citas"),
    ("List forms", "Listar formularios"),
    (
        "One field of a form (or a question of a calendar).",
        "Un campo de un formulario (o una pregunta de un calendario).",
    ),
    (
        "Only this contact's appointments.",
        "Solo las citas de este contacto.",
    ),
    (
        "Pipeline of the deal each lead opens.",
        "Pipeline del negocio que abre cada lead.",
    ),
    ("Replace a form", "Reemplazar un formulario"),
    (
        "Shown after a submission.",
        "Se muestra después de un envío.",
    ),
    (
        "Stage of the deal each lead opens.",
        "Etapa del negocio que abre cada lead.",
    ),
    (
        "Tags given to each lead.",
        "Etiquetas que recibe cada lead.",
    ),
    ("Text, `#rrggbb`.", "Texto, `#rrggbb`."),
    (
        "The answer's key: lower-case letters, digits and `_`.",
        "La clave de la respuesta: letras minúsculas, dígitos y `_`.",
    ),
    ("The appointment.", "La cita."),
    ("The appointments.", "Las citas."),
    (
        "The button's text (default: \"Enviar\").",
        "El texto del botón (por defecto: \"Enviar\").",
    ),
    (
        "The button's text in English.",
        "El texto del botón en inglés.",
    ),
    (
        "The consent text the visitor accepted.",
        "El texto de consentimiento que aceptó el visitante.",
    ),
    ("The fields, in order.", "Los campos, en orden."),
    ("The form's id.", "El id del formulario."),
    ("The form's name.", "El nombre del formulario."),
    ("The form, created.", "El formulario, creado."),
    ("The form, updated.", "El formulario, actualizado."),
    ("The form.", "El formulario."),
    (
        "The form; null for leads from `POST /api/lead`.",
        "El formulario; null para los leads de `POST /api/lead`.",
    ),
    ("The forms.", "Los formularios."),
    ("The hint in English.", "La pista en inglés."),
    ("The hosted page.", "La página alojada."),
    ("The invitee's IANA zone.", "La zona IANA del invitado."),
    (
        "The label in English, when it differs.",
        "La etiqueta en inglés, cuando es distinta.",
    ),
    (
        "The label, in the workspace's language.",
        "La etiqueta, en el idioma del espacio de trabajo.",
    ),
    ("The meeting's title.", "El título de la reunión."),
    (
        "The newest `limit` appointments (default 100), of one contact when `contact_id` is given.",
        "Las `limit` citas más recientes (por defecto 100), de un contacto cuando se da `contact_id`.",
    ),
    (
        "The newest `limit` submissions (default 100).",
        "Los `limit` envíos más recientes (por defecto 100).",
    ),
    (
        "The organiser's IANA zone.",
        "La zona IANA del organizador.",
    ),
    (
        "The ready-to-paste embed code.",
        "El código para incrustar, listo para pegar.",
    ),
    (
        "The submissions, newest first.",
        "Los envíos, lo más reciente primero.",
    ),
    (
        "The submitted fields by name.",
        "Los campos enviados, por nombre.",
    ),
    (
        "The vendor's id of the booking (Cal.com's uid).",
        "El id de la reserva en el proveedor (el uid de Cal.com).",
    ),
    (
        "The whole definition is replaced; its submissions stay.",
        "Se reemplaza toda la definición; sus envíos se conservan.",
    ),
    (
        "The workspace's lead number.",
        "El número de lead del espacio.",
    ),
    (
        "Where it came from: `booking_page`, `api`, `calcom`…",
        "De dónde vino: `booking_page`, `api`, `calcom`…",
    ),
    (
        "Where the answer is saved on the contact: `first_name`, `last_name`, `name`, `email`, `phone`, `company`, `custom:<key>` or `none`; absent: inferred from the name and type.",
        "Dónde se guarda la respuesta en el contacto: `first_name`, `last_name`, `name`, `email`, `phone`, `company`, `custom:<clave>` o `none`; si falta, se deduce del nombre y el tipo.",
    ),
    (
        "Where the visitor goes after a submission (https).",
        "Adónde va el visitante después de un envío (https).",
    ),
    (
        "Whether an answer is required.",
        "Si la respuesta es obligatoria.",
    ),
    (
        "Whether it takes submissions (default true).",
        "Si acepta envíos (por defecto true).",
    ),
    ("Whether it takes submissions.", "Si acepta envíos."),
    ("`form` or `api_lead`.", "`form` o `api_lead`."),
    (
        "`system`, `serif` or `mono`.",
        "`system`, `serif` o `mono`.",
    ),
    (
        "`text`, `email`, `phone`, `select`, `textarea`, `checkbox` or `hidden` (calendars also take `multiselect` and `number`).",
        "`text`, `email`, `phone`, `select`, `textarea`, `checkbox` o `hidden` (los calendarios también aceptan `multiselect` y `number`).",
    ),
    (
        "`utm_*`, `referrer` and `landing_page`, when captured.",
        "`utm_*`, `referrer` y `landing_page`, cuando se capturaron.",
    ),
];
