//! The public side of forms, outside the session and CSRF layers: the
//! hosted page `/f/{id}` and its stylesheet, the JSON schema embed.js
//! renders from, the submission endpoint and `/embed.js` itself.
//!
//! The hosted page and stylesheet answer pages (a malformed or unknown id
//! is the 404 page); the schema and the submission answer JSON clients in
//! PAUTA's `{"ok": ...}` shape ([`PautaError`]), so they read the id
//! themselves and answer an unknown one in that shape.

use crate::api::openapi::schemas::PautaErrorBody;
use crate::auth::ClientIp;
use crate::error::{AppError, AppResult, PautaError, pauta_json};
use crate::extract::{IdPath, render};
use crate::i18n::forms::FormsTr;
use crate::intake::{self as door, MAX_PUBLIC_BODY};
use crate::state::{AppState, RequestLocale};
use af_core::{FormId, Locale};
use af_db::custom_fields;
use af_db::forms::{self, Form};
use af_db::workspaces::Workspace;
use af_service::forms::{self as form_defs, CONSENT, FieldSpec, Styling};
use af_service::intake::{self, HONEYPOT, Lead, TOKEN};
use af_service::submissions::{self, SubmitError, SubmitProblem, ValidSubmission};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Submitted values as text: urlencoded bodies are text already; JSON
/// values are turned into text (true/false for checkboxes), and nested
/// values are refused.
fn values_from_json(v: serde_json::Value) -> Result<Vec<(String, String)>, &'static str> {
    let serde_json::Value::Object(map) = v else {
        return Err("the body must be a JSON object");
    };
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => if b { "true" } else { "" }.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => String::new(),
            _ => return Err("field values must be text"),
        };
        out.push((k, text));
    }
    Ok(out)
}

/// A refused field and its message in the visitor's language (forms and
/// booking pages; the API passes English).
pub(crate) fn submit_error(t: &'static FormsTr, e: SubmitError) -> (String, String) {
    let message = match e.problem {
        SubmitProblem::Required => t.required.to_string(),
        SubmitProblem::TooLong => t.too_long.to_string(),
        SubmitProblem::InvalidEmail => t.invalid_email.to_string(),
        SubmitProblem::InvalidPhone => t.invalid_phone.to_string(),
        SubmitProblem::InvalidChoice => t.invalid_choice.to_string(),
        SubmitProblem::InvalidNumber => t.invalid_number.to_string(),
        SubmitProblem::InvalidDate => t.invalid_date.to_string(),
        SubmitProblem::ConsentRequired => t.consent_required.to_string(),
        SubmitProblem::NeedContact => t.need_contact.to_string(),
        SubmitProblem::Other(m) => m,
    };
    (e.field, message)
}

fn cors(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

// --------------------------------------------------------------- embed.js

#[derive(rust_embed::RustEmbed)]
#[folder = "../../assets/"]
#[include = "embed/embed.js"]
struct EmbedAsset;

/// `GET /embed.js`: small, dependency-free, for third-party pages. Its URL
/// is fixed (people paste it), so it is cached for minutes, not forever.
pub(super) async fn embed_js() -> Response {
    let Some(file) = EmbedAsset::get("embed/embed.js") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut res = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300, stale-while-revalidate=86400"),
            ),
        ],
        file.data.into_owned(),
    )
        .into_response();
    res.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    cors(res)
}

// ------------------------------------------------------------ public form

/// An active form and its workspace, from the public id.
async fn public_form(
    st: &AppState,
    id: FormId,
) -> Result<Option<(Form, Workspace)>, af_db::DbError> {
    let Some(form) = forms::find_public_form(&st.db, id).await? else {
        return Ok(None);
    };
    if !form.active {
        return Ok(None);
    }
    let ws = af_db::workspaces::find_workspace(&st.db, form.workspace_id).await?;
    Ok(ws.map(|ws| (form, ws)))
}

/// [`public_form`] for the doors that answer JSON clients in their own
/// shape: a malformed id is as unavailable as an unknown one.
async fn public_form_raw(
    st: &AppState,
    raw: &str,
) -> Result<Option<(Form, Workspace)>, af_db::DbError> {
    match raw.parse::<FormId>() {
        Ok(id) => public_form(st, id).await,
        Err(_) => Ok(None),
    }
}

/// The JSON answer to a form that is unknown, inactive or malformed.
fn unavailable(t: &FormsTr) -> PautaError {
    PautaError::not_found(format!("form: {}", t.form_unavailable))
}

/// One field as the hosted page renders it.
pub struct FieldView {
    pub name: String,
    pub kind: String,
    pub label: String,
    pub placeholder: String,
    pub required: bool,
    pub options: Vec<String>,
    pub value: String,
    pub checked: bool,
    pub error: Option<String>,
    pub max_len: usize,
}

fn field_views(
    specs: &[FieldSpec],
    locale: Locale,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> Vec<FieldView> {
    specs
        .iter()
        .map(|f| {
            let value = values
                .get(&f.name)
                .cloned()
                .or_else(|| f.value.clone())
                .unwrap_or_default();
            FieldView {
                name: f.name.clone(),
                kind: f.kind.clone(),
                label: f.label_in(locale).to_string(),
                placeholder: f.placeholder_in(locale).to_string(),
                required: f.required,
                options: f.options.clone(),
                checked: matches!(value.as_str(), "on" | "true" | "1" | "yes"),
                value,
                error: errors.get(&f.name).cloned(),
                max_len: f.max_len(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "forms/hosted.html")]
struct HostedTemplate {
    t: &'static FormsTr,
    lang: &'static str,
    form_id: String,
    name: String,
    fields: Vec<FieldView>,
    button: String,
    consent_text: Option<String>,
    consent_error: Option<String>,
    consent_checked: bool,
    token: String,
    attribution: Vec<(String, String)>,
    errors: Vec<String>,
    done: Option<String>,
    /// Changes when the form's styling changes (cache key of its stylesheet).
    style_version: String,
    /// After a success with a redirect URL: where the page sends the
    /// visitor (a meta refresh, since the page's CSP `form-action 'self'`
    /// would block a redirect answer to a form post).
    redirect: Option<String>,
}

fn hosted(
    st: &AppState,
    form: &Form,
    locale: Locale,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> HostedTemplate {
    let t = FormsTr::get(locale);
    let styling = form_defs::styling_of(form);
    let attribution = form_defs::ATTRIBUTION_KEYS
        .iter()
        .filter_map(|k| {
            values
                .get(*k)
                .map(|v| (k.to_string(), v.chars().take(form_defs::MAX_TEXT).collect()))
        })
        .collect();
    HostedTemplate {
        t,
        lang: locale.as_str(),
        form_id: form.id.to_string(),
        name: form.name.clone(),
        fields: field_views(&form_defs::fields_of(form), locale, values, errors),
        button: styling.button_in(locale, t.submit),
        consent_text: form.consent_text.clone(),
        consent_error: errors.get(CONSENT).cloned(),
        consent_checked: values.get(CONSENT).is_some(),
        token: intake::fill_token(&st.secret, form.id, st.now()),
        attribution,
        errors: errors.values().cloned().collect(),
        done: None,
        redirect: None,
        style_version: form.updated_at.0.as_second().to_string(),
    }
}

#[derive(Template)]
#[template(path = "forms/hosted.css", escape = "none")]
struct HostedCss {
    font: &'static str,
    styling: Styling,
}

/// A colour as CSS may receive it: `#` and 3–8 hex digits, else `fallback`
/// (the stylesheet never carries anything but a colour there).
fn css_color(value: &str, fallback: &str) -> String {
    let hex = value.trim().strip_prefix('#').unwrap_or("");
    if (3..=8).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("#{hex}")
    } else {
        fallback.to_string()
    }
}

/// `GET /f/{id}/style.css`: the hosted form's stylesheet.
pub(super) async fn hosted_style(
    State(st): State<AppState>,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Response> {
    let (form, _) = public_form(&st, id).await?.ok_or(AppError::NotFound)?;
    let mut styling = form_defs::styling_of(&form);
    let d = Styling::default();
    styling.primary_color = css_color(&styling.primary_color, &d.primary_color);
    styling.text_color = css_color(&styling.text_color, &d.text_color);
    styling.background_color = css_color(&styling.background_color, &d.background_color);
    let css = render(&HostedCss {
        font: styling.font_stack(),
        styling,
    })?
    .0;
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response())
}

/// `GET /f/{id}`: the hosted form. UTM parameters of the link are carried
/// in hidden inputs; the landing page is this URL.
pub(super) async fn hosted_form(
    State(st): State<AppState>,
    IdPath(id): IdPath<FormId>,
    RequestLocale(locale): RequestLocale,
    Query(mut q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (form, _) = public_form(&st, id).await?.ok_or(AppError::NotFound)?;
    if !q.contains_key("referrer")
        && let Some(r) = headers.get(header::REFERER).and_then(|v| v.to_str().ok())
    {
        q.insert("referrer".into(), r.to_string());
    }
    q.entry("landing_page".into())
        .or_insert_with(|| st.link(&format!("/f/{}", form.id)));
    Ok(render(&hosted(&st, &form, locale, &q, &HashMap::new()))?.into_response())
}

/// A field as embed.js renders it.
#[derive(Serialize, ToSchema)]
pub struct SchemaFieldOut {
    /// The answer's key.
    #[schema(example = "email")]
    pub name: String,
    /// `text`, `email`, `phone`, `select`, `textarea`, `checkbox` or `hidden`.
    #[serde(rename = "type")]
    #[schema(example = "email")]
    pub kind: String,
    /// The label in the visitor's language.
    #[schema(example = "Correo")]
    pub label: String,
    /// The hint in the visitor's language ("" for none).
    pub placeholder: String,
    /// Whether an answer is required.
    pub required: bool,
    /// Choices of a select.
    pub options: Vec<String>,
    /// Fixed value of a hidden field.
    pub value: Option<String>,
    /// Longest answer accepted, in characters.
    #[schema(example = 254)]
    pub max_length: usize,
}

/// The form's look, ready for CSS.
#[derive(Serialize, ToSchema)]
pub struct SchemaStylingOut {
    /// Buttons and focus, `#rrggbb`.
    #[schema(example = "#4f46e5")]
    pub primary_color: String,
    /// Text, `#rrggbb`.
    #[schema(example = "#111827")]
    pub text_color: String,
    /// Background, `#rrggbb`.
    #[schema(example = "#ffffff")]
    pub background_color: String,
    /// A CSS font stack.
    #[schema(example = "system-ui, sans-serif")]
    pub font: String,
    /// Corner radius in pixels, 0 to 24.
    #[schema(example = 6)]
    pub radius: u8,
}

/// The form's messages in the visitor's language.
#[derive(Serialize, ToSchema)]
pub struct FormTextsOut {
    pub required: String,
    pub too_long: String,
    pub invalid_email: String,
    pub invalid_phone: String,
    pub invalid_choice: String,
    pub consent_required: String,
    pub sending: String,
    pub failed: String,
    /// Shown after a submission: the form's success message or the default.
    pub thanks: String,
}

/// What embed.js needs to render a form.
#[derive(Serialize, ToSchema)]
pub struct FormSchemaOut {
    /// Always true.
    pub ok: bool,
    pub id: FormId,
    /// The language of the texts: `es` or `en`.
    #[schema(example = "es")]
    pub lang: String,
    /// The workspace's ISO 3166 country, to read local phone numbers.
    #[schema(example = "MX")]
    pub country: String,
    /// The fields, in order.
    pub fields: Vec<SchemaFieldOut>,
    pub styling: SchemaStylingOut,
    /// The button's text.
    #[schema(example = "Enviar")]
    pub button: String,
    /// Consent checkbox text; null: no checkbox.
    pub consent_text: Option<String>,
    /// A fresh fill-time token: post it back as `_t` (a submission sent too soon after it is dropped).
    pub token: String,
    /// The honeypot field's name: post it empty.
    #[schema(example = "_hp")]
    pub honeypot: String,
    /// Where to post the submission.
    #[schema(example = "https://app.example.com/f/0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60")]
    pub action: String,
    pub texts: FormTextsOut,
}

/// A body in PAUTA's shape, with its CORS header.
fn pauta_body<T: Serialize>(status: StatusCode, body: &T) -> Response {
    pauta_json(
        status,
        serde_json::to_value(body).unwrap_or(serde_json::Value::Null),
    )
}

/// Get a form's schema
///
/// What embed.js needs to render the form: fields in the visitor's language (`?lang=`), styling, texts and a fresh fill-time token. No key needed.
#[utoipa::path(
    get,
    path = "/f/{id}/schema",
    operation_id = "forms_public_schema",
    tag = "Lead intake",
    params(
        ("id" = Uuid, Path, description = "The form's id."),
        ("lang" = Option<String>, Query, description = "`es` or `en` (default: the browser's language)."),
    ),
    security(()),
    responses(
        (status = 200, description = "The form's schema.", body = FormSchemaOut),
        (status = 404, description = "No such form, or it takes no submissions.", body = PautaErrorBody),
    ),
)]
pub(super) async fn form_schema(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RequestLocale(locale): RequestLocale,
) -> Result<Response, PautaError> {
    let t = FormsTr::get(locale);
    let (form, ws) = public_form_raw(&st, &id)
        .await?
        .ok_or_else(|| unavailable(t))?;
    let styling = form_defs::styling_of(&form);
    let fields = form_defs::fields_of(&form)
        .iter()
        .map(|f| SchemaFieldOut {
            name: f.name.clone(),
            kind: f.kind.clone(),
            label: f.label_in(locale).to_string(),
            placeholder: f.placeholder_in(locale).to_string(),
            required: f.required,
            options: f.options.clone(),
            value: f.value.clone(),
            max_length: f.max_len(),
        })
        .collect();
    let body = FormSchemaOut {
        ok: true,
        id: form.id,
        lang: locale.as_str().to_string(),
        country: ws.country.clone(),
        fields,
        styling: SchemaStylingOut {
            primary_color: styling.primary_color.clone(),
            text_color: styling.text_color.clone(),
            background_color: styling.background_color.clone(),
            font: styling.font_stack().to_string(),
            radius: styling.radius,
        },
        button: styling.button_in(locale, t.submit),
        consent_text: form.consent_text.clone(),
        token: intake::fill_token(&st.secret, form.id, st.now()),
        honeypot: HONEYPOT.to_string(),
        action: st.link(&format!("/f/{}", form.id)),
        texts: FormTextsOut {
            required: t.required.into(),
            too_long: t.too_long.into(),
            invalid_email: t.invalid_email.into(),
            invalid_phone: t.invalid_phone.into(),
            invalid_choice: t.invalid_choice.into(),
            consent_required: t.consent_required.into(),
            sending: t.sending.into(),
            failed: t.failed.into(),
            thanks: form
                .success_message
                .clone()
                .unwrap_or_else(|| t.thanks.to_string()),
        },
    };
    let mut res = pauta_body(StatusCode::OK, &body);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

fn wants_json(headers: &HeaderMap) -> bool {
    let is = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"))
    };
    is(header::CONTENT_TYPE) || is(header::ACCEPT)
}

/// The answer to an accepted (or silently dropped) submission: identical
/// either way, so a bot cannot tell.
fn success(st: &AppState, form: &Form, locale: Locale, json: bool) -> Response {
    let t = FormsTr::get(locale);
    let message = form
        .success_message
        .clone()
        .unwrap_or_else(|| t.thanks.to_string());
    if json {
        return pauta_body(
            StatusCode::OK,
            &SubmittedOut {
                ok: true,
                message,
                redirect_url: form.redirect_url.clone(),
            },
        );
    }
    let mut page = hosted(st, form, locale, &HashMap::new(), &HashMap::new());
    page.done = Some(message);
    page.redirect = form.redirect_url.clone();
    render(&page).into_response()
}

/// A submission taken (or silently dropped: the answer is the same).
#[derive(Serialize, ToSchema)]
pub struct SubmittedOut {
    /// Always true.
    pub ok: bool,
    /// The form's success message.
    #[schema(example = "¡Gracias! Te escribimos pronto.")]
    pub message: String,
    /// Where to send the visitor, when the form says.
    pub redirect_url: Option<String>,
}

/// A submission refused for its values.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"ok": false, "error": "email: Escribe un correo válido.", "fields": {"email": "Escribe un correo válido."}}))]
pub struct SubmissionRefusedOut {
    /// Always false.
    pub ok: bool,
    /// The first field at fault and why: `"<field>: <message>"`.
    pub error: String,
    /// Each field at fault and why, in the visitor's language.
    pub fields: BTreeMap<String, String>,
}

/// A form's answers by field name, plus `_t` (the schema's token), `_hp` (empty), the consent box and attribution (`utm_source` … `landing_page`).
#[derive(serde::Deserialize, ToSchema)]
#[schema(example = json!({"name": "Lucía Pérez", "email": "lucia@example.com", "phone": "+52 55 1234 5678", "_t": "1893456000.3f1c9a7e", "_hp": "", "utm_source": "google"}))]
pub struct SubmissionIn {
    /// The fill-time token of the form's schema (not needed with a full API key).
    #[serde(rename = "_t")]
    pub token: Option<String>,
    /// The honeypot: leave it empty.
    #[serde(rename = "_hp")]
    pub honeypot: Option<String>,
    /// The answers, by each field's `name`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
}

/// Submit a form
///
/// A submission, JSON (embed.js, other systems) or urlencoded (the hosted page, which gets HTML back). Defences in order: rate limits (429), size limits (413), honeypot and fill-time token (a fake success, nothing stored), validation (422); then the lead is taken as the form says (contact, deal, tags). JSON callers send `Content-Type` or `Accept: application/json`.
#[utoipa::path(
    post,
    path = "/f/{id}",
    operation_id = "forms_public_submit",
    tag = "Lead intake",
    params(("id" = Uuid, Path, description = "The form's id.")),
    request_body(content(
        (SubmissionIn = "application/json"),
        (SubmissionIn = "application/x-www-form-urlencoded"),
    )),
    security((), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Taken (JSON callers); the hosted page gets its thank-you page.", body = SubmittedOut),
        (status = 400, description = "Not a JSON object of text values, or not a form submission.", body = PautaErrorBody),
        (status = 404, description = "No such form, or it takes no submissions.", body = PautaErrorBody),
        (status = 413, description = "The body is too large, or has too many fields.", body = PautaErrorBody),
        (status = 422, description = "Refused values, each beside its field.", body = SubmissionRefusedOut),
        (status = 429, description = "Too many submissions from this address or to this form: wait `Retry-After` seconds.", body = PautaErrorBody),
    ),
)]
pub(super) async fn submit_form(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let json = wants_json(&headers);
    let t = FormsTr::get(locale);
    // JSON clients (embed.js, API clients) read PAUTA's shape; the hosted
    // page's own post gets pages.
    let refuse = |json_answer: PautaError, page: AppError| {
        if json {
            json_answer.into_response()
        } else {
            page.into_response()
        }
    };
    let internal = |e: af_db::DbError| {
        let e = anyhow::Error::from(e).context("form submission");
        if json {
            PautaError::Internal(e).into_response()
        } else {
            AppError::Internal(e).into_response()
        }
    };
    let (form, ws) = match public_form_raw(&st, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return refuse(unavailable(t), AppError::NotFound),
        Err(e) => return internal(e),
    };
    let ip_hash = intake::ip_hash(&st.secret, &ip);
    let buckets = [
        (format!("ip:{ip_hash}"), st.config.intake_max_per_ip),
        (format!("form:{}", form.id), st.config.intake_max_per_form),
    ];
    match door::rate_limit(&st, &buckets).await {
        Ok(Ok(())) => {}
        Ok(Err(retry_after_secs)) => {
            return refuse(
                PautaError::TooManyRequests { retry_after_secs },
                AppError::TooManyRequests { retry_after_secs },
            );
        }
        Err(e) => return internal(e),
    }
    let Some(bytes) = door::read_body(body, MAX_PUBLIC_BODY).await else {
        return PautaError::too_large(format!("body: larger than {MAX_PUBLIC_BODY} bytes"))
            .into_response();
    };
    let is_json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    let values: Vec<(String, String)> = if is_json_body {
        match serde_json::from_slice::<serde_json::Value>(&bytes)
            .map_err(|_| "body: not valid JSON")
            .and_then(|v| values_from_json(v).map_err(|_| "body: must be an object of text values"))
        {
            Ok(v) => v,
            Err(m) => return PautaError::bad_request(m).into_response(),
        }
    } else {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
            Ok(v) => v,
            Err(_) => {
                return PautaError::bad_request("body: not a form submission").into_response();
            }
        }
    };
    if values.len() > 100 {
        return PautaError::too_large("body: too many fields").into_response();
    }
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // Bots fill the invisible field, or post faster than a person types:
    // they get the same success as everybody, and nothing is stored.
    if get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!(form.id = %form.id, "honeypot filled; submission dropped");
        return success(&st, &form, locale, json);
    }
    // Only a full API key (the workspace's own server) skips the fill-time
    // check; an intake key is public on landing pages by design, so it
    // proves nothing about who is posting.
    let trusted = match crate::auth::presented_api_key(&headers) {
        Some(key) => matches!(
            af_db::api_keys::find_active_api_key_by_hash(&st.db, &af_core::crypto::sha256_hex(key)).await,
            Ok(Some(k)) if k.workspace_id == ws.id && k.scope() == af_db::api_keys::KeyScope::Full
        ),
        None => false,
    };
    if !trusted
        && !get(TOKEN).is_some_and(|tok| {
            intake::fill_token_ok(
                &st.secret,
                form.id,
                tok,
                st.now(),
                st.config.form_min_fill_secs,
            )
        })
    {
        tracing::info!(form.id = %form.id, "fill-time token missing, bad or too fresh; submission dropped");
        return success(&st, &form, locale, json);
    }
    let defs = match custom_fields::list_fields(&st.db, ws.id).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let valid: ValidSubmission =
        match submissions::validate_submission(&ws.country, &defs, &form, &values) {
            Ok(v) => v,
            Err(errors) => {
                let errors: Vec<(String, String)> =
                    errors.into_iter().map(|e| submit_error(t, e)).collect();
                if json {
                    let first = errors
                        .first()
                        .map(|(f, m)| format!("{f}: {m}"))
                        .unwrap_or_default();
                    let fields: BTreeMap<String, String> = errors.into_iter().collect();
                    return pauta_body(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &SubmissionRefusedOut {
                            ok: false,
                            error: first,
                            fields,
                        },
                    );
                }
                let vals: HashMap<String, String> = values.into_iter().collect();
                let errs: HashMap<String, String> = errors.into_iter().collect();
                let page = render(&hosted(&st, &form, locale, &vals, &errs));
                return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
            }
        };
    let lead = Lead {
        form: Some(form.clone()),
        channel: "form",
        input: valid.input,
        data: serde_json::Value::Object(valid.data),
        attribution: valid.attribution,
        consent_text: if valid.consented {
            form.consent_text.clone()
        } else {
            None
        },
        ip_hash: Some(ip_hash),
        actor: intake::public_actor(&format!("form {}", form.id)),
    };
    match intake::accept_lead(&st.intake, &ws, lead, st.now()).await {
        Ok(_) => success(&st, &form, locale, json),
        Err(e) => internal(e),
    }
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(form_schema, submit_form))]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("A CSS font stack.", "Una lista de fuentes CSS."),
    (
        "A field as embed.js renders it.",
        "Un campo tal como lo muestra embed.js.",
    ),
    (
        "A form's answers by field name, plus `_t` (the schema's token), `_hp` (empty), the consent box and attribution (`utm_source` … `landing_page`).",
        "Las respuestas de un formulario por nombre de campo, más `_t` (el token del esquema), `_hp` (vacío), la casilla de consentimiento y la atribución (`utm_source` … `landing_page`).",
    ),
    (
        "A fresh fill-time token: post it back as `_t` (a submission sent too soon after it is dropped).",
        "Un token de tiempo de llenado nuevo: devuélvelo como `_t` (un envío hecho demasiado pronto se descarta).",
    ),
    (
        "A submission refused for its values.",
        "Un envío rechazado por sus valores.",
    ),
    (
        "A submission taken (or silently dropped: the answer is the same).",
        "Un envío recibido (o descartado en silencio: la respuesta es la misma).",
    ),
    (
        "A submission, JSON (embed.js, other systems) or urlencoded (the hosted page, which gets HTML back). Defences in order: rate limits (429), size limits (413), honeypot and fill-time token (a fake success, nothing stored), validation (422); then the lead is taken as the form says (contact, deal, tags). JSON callers send `Content-Type` or `Accept: application/json`.",
        "Un envío, en JSON (embed.js, otros sistemas) o urlencoded (la página alojada, que recibe HTML). Defensas en orden: límites de frecuencia (429), límites de tamaño (413), honeypot y token de tiempo de llenado (un éxito falso, no se guarda nada), validación (422); después el lead entra como dice el formulario (contacto, negocio, etiquetas). Quien llama con JSON envía `Content-Type` o `Accept: application/json`.",
    ),
    (
        "Consent checkbox text; null: no checkbox.",
        "Texto de la casilla de consentimiento; null: no hay casilla.",
    ),
    (
        "Each field at fault and why, in the visitor's language.",
        "Cada campo con problemas y por qué, en el idioma del visitante.",
    ),
    (
        "Fixed value of a hidden field.",
        "Valor fijo de un campo oculto.",
    ),
    ("Get a form's schema", "Obtener el esquema de un formulario"),
    (
        "Longest answer accepted, in characters.",
        "Respuesta más larga aceptada, en caracteres.",
    ),
    (
        "No such form, or it takes no submissions.",
        "No existe ese formulario, o no acepta envíos.",
    ),
    (
        "Not a JSON object of text values, or not a form submission.",
        "No es un objeto JSON de valores de texto, ni un envío de formulario.",
    ),
    (
        "Refused values, each beside its field.",
        "Valores rechazados, cada uno junto a su campo.",
    ),
    (
        "Shown after a submission: the form's success message or the default.",
        "Se muestra después de un envío: el mensaje de éxito del formulario o el predeterminado.",
    ),
    ("Submit a form", "Enviar un formulario"),
    (
        "Taken (JSON callers); the hosted page gets its thank-you page.",
        "Recibido (quien llama con JSON); la página alojada recibe su página de agradecimiento.",
    ),
    ("The answer's key.", "La clave de la respuesta."),
    (
        "The answers, by each field's `name`.",
        "Las respuestas, por el `name` de cada campo.",
    ),
    (
        "The body is too large, or has too many fields.",
        "El cuerpo es demasiado grande o tiene demasiados campos.",
    ),
    ("The button's text.", "El texto del botón."),
    (
        "The fill-time token of the form's schema (not needed with a full API key).",
        "El token de tiempo de llenado del esquema del formulario (no hace falta con una clave de API completa).",
    ),
    (
        "The first field at fault and why: `\"<field>: <message>\"`.",
        "El primer campo con problemas y por qué: `\"<campo>: <mensaje>\"`.",
    ),
    (
        "The form's look, ready for CSS.",
        "El aspecto del formulario, listo para CSS.",
    ),
    (
        "The form's messages in the visitor's language.",
        "Los mensajes del formulario en el idioma del visitante.",
    ),
    ("The form's schema.", "El esquema del formulario."),
    (
        "The form's success message.",
        "El mensaje de éxito del formulario.",
    ),
    (
        "The hint in the visitor's language (\"\" for none).",
        "La pista en el idioma del visitante (\"\" si no hay).",
    ),
    (
        "The honeypot field's name: post it empty.",
        "El nombre del campo honeypot: envíalo vacío.",
    ),
    (
        "The honeypot: leave it empty.",
        "El honeypot: déjalo vacío.",
    ),
    (
        "The label in the visitor's language.",
        "La etiqueta en el idioma del visitante.",
    ),
    (
        "The language of the texts: `es` or `en`.",
        "El idioma de los textos: `es` o `en`.",
    ),
    (
        "The workspace's ISO 3166 country, to read local phone numbers.",
        "El país ISO 3166 del espacio, para leer los teléfonos locales.",
    ),
    (
        "Too many submissions from this address or to this form: wait `Retry-After` seconds.",
        "Demasiados envíos desde esta dirección o a este formulario: espera `Retry-After` segundos.",
    ),
    (
        "What embed.js needs to render a form.",
        "Lo que embed.js necesita para mostrar un formulario.",
    ),
    (
        "What embed.js needs to render the form: fields in the visitor's language (`?lang=`), styling, texts and a fresh fill-time token. No key needed.",
        "Lo que embed.js necesita para mostrar el formulario: los campos en el idioma del visitante (`?lang=`), el estilo, los textos y un token de tiempo de llenado nuevo. No hace falta clave.",
    ),
    ("Where to post the submission.", "Adónde enviar el envío."),
    (
        "Where to send the visitor, when the form says.",
        "Adónde mandar al visitante, cuando el formulario lo indica.",
    ),
    (
        "`es` or `en` (default: the browser's language).",
        "`es` o `en` (por defecto: el idioma del navegador).",
    ),
    (
        "`text`, `email`, `phone`, `select`, `textarea`, `checkbox` or `hidden`.",
        "`text`, `email`, `phone`, `select`, `textarea`, `checkbox` o `hidden`.",
    ),
];
