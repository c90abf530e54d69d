//! The forms area: the public side (hosted page `/f/{id}`, the JSON schema
//! embed.js renders from, the submission endpoint, `/embed.js` itself) and
//! the signed-in side (form list, builder with live preview, submissions).
//!
//! Public routes are mounted outside the session and CSRF layers through
//! [`public_routes`]; the builder's through [`routes`], inside them.

use super::shell::{Area, Shell};
use crate::api::intake::{fail, ok_json, preflight};
use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::i18n::forms::FormsTr;
use crate::intake::{self as door, MAX_PUBLIC_BODY};
use crate::state::{AppState, RequestLocale};
use af_core::{FormId, Locale, Role};
use af_db::custom_fields;
use af_db::forms::{self, Form, Submission};
use af_db::workspaces::Workspace;
use af_service::forms::{self as form_defs, CONSENT, FieldSpec, RawForm, Styling};
use af_service::intake::{self, HONEYPOT, Lead, TOKEN};
use af_service::submissions::{self, SubmitError, SubmitProblem, ValidSubmission};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use uuid::Uuid;

/// Routes reachable by anyone (no session, no CSRF).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/embed.js", get(embed_js))
        .route(
            "/f/{id}",
            get(hosted_form).post(submit_form).options(preflight),
        )
        .route("/f/{id}/schema", get(form_schema))
        .route("/f/{id}/style.css", get(hosted_style))
}

/// The builder's routes (signed in, CSRF-checked).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/forms", get(list_forms_page))
        .route("/forms/new", get(new_form_page).post(create_form))
        .route("/forms/{id}", get(edit_form_page).post(save_form))
        .route("/forms/{id}/delete", post(delete_form))
        .route("/forms/{id}/submissions", get(submissions_page))
}

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

/// A refused field and its message in the visitor's language.
fn submit_error(t: &'static FormsTr, e: SubmitError) -> (String, String) {
    let message = match e.problem {
        SubmitProblem::Required => t.required.to_string(),
        SubmitProblem::TooLong => t.too_long.to_string(),
        SubmitProblem::InvalidEmail => t.invalid_email.to_string(),
        SubmitProblem::InvalidPhone => t.invalid_phone.to_string(),
        SubmitProblem::InvalidChoice => t.invalid_choice.to_string(),
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
async fn embed_js() -> Response {
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
    raw: &str,
) -> Result<Option<(Form, Workspace)>, af_db::DbError> {
    let Ok(id) = raw.parse::<Uuid>() else {
        return Ok(None);
    };
    let Some(form) = forms::find_public_form(&st.db, FormId(id)).await? else {
        return Ok(None);
    };
    if !form.active {
        return Ok(None);
    }
    let ws = af_db::workspaces::find_workspace(&st.db, form.workspace_id).await?;
    Ok(ws.map(|ws| (form, ws)))
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

#[derive(Template, WebTemplate)]
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
async fn hosted_style(State(st): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let (form, _) = public_form(&st, &id).await?.ok_or(AppError::NotFound)?;
    let mut styling = form_defs::styling_of(&form);
    let d = Styling::default();
    styling.primary_color = css_color(&styling.primary_color, &d.primary_color);
    styling.text_color = css_color(&styling.text_color, &d.text_color);
    styling.background_color = css_color(&styling.background_color, &d.background_color);
    let css = HostedCss {
        font: styling.font_stack(),
        styling,
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
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
async fn hosted_form(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RequestLocale(locale): RequestLocale,
    Query(mut q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (form, _) = public_form(&st, &id).await?.ok_or(AppError::NotFound)?;
    if !q.contains_key("referrer")
        && let Some(r) = headers.get(header::REFERER).and_then(|v| v.to_str().ok())
    {
        q.insert("referrer".into(), r.to_string());
    }
    q.entry("landing_page".into())
        .or_insert_with(|| st.link(&format!("/f/{}", form.id)));
    Ok(hosted(&st, &form, locale, &q, &HashMap::new()).into_response())
}

/// `GET /f/{id}/schema`: what embed.js needs to render the form (fields in
/// the visitor's language, styling, texts, a fresh fill-time token).
async fn form_schema(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RequestLocale(locale): RequestLocale,
) -> Response {
    let found = match public_form(&st, &id).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "form schema failed");
            return fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let t = FormsTr::get(locale);
    let Some((form, ws)) = found else {
        return fail(
            StatusCode::NOT_FOUND,
            format!("form: {}", t.form_unavailable),
        );
    };
    let styling = form_defs::styling_of(&form);
    let fields: Vec<serde_json::Value> = form_defs::fields_of(&form)
        .iter()
        .map(|f| {
            serde_json::json!({
                "name": f.name, "type": f.kind, "label": f.label_in(locale),
                "placeholder": f.placeholder_in(locale), "required": f.required,
                "options": f.options, "value": f.value, "max_length": f.max_len(),
            })
        })
        .collect();
    let mut res = ok_json(
        StatusCode::OK,
        serde_json::json!({
            "ok": true,
            "id": form.id,
            "lang": locale.as_str(),
            "country": ws.country,
            "fields": fields,
            "styling": {
                "primary_color": styling.primary_color, "text_color": styling.text_color,
                "background_color": styling.background_color, "font": styling.font_stack(),
                "radius": styling.radius,
            },
            "button": styling.button_in(locale, t.submit),
            "consent_text": form.consent_text,
            "token": intake::fill_token(&st.secret, form.id, st.now()),
            "honeypot": HONEYPOT,
            "action": st.link(&format!("/f/{}", form.id)),
            "texts": {
                "required": t.required, "too_long": t.too_long, "invalid_email": t.invalid_email,
                "invalid_phone": t.invalid_phone, "invalid_choice": t.invalid_choice,
                "consent_required": t.consent_required, "sending": t.sending, "failed": t.failed,
                "thanks": form.success_message.clone().unwrap_or_else(|| t.thanks.to_string()),
            },
        }),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
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
        return ok_json(
            StatusCode::OK,
            serde_json::json!({ "ok": true, "message": message, "redirect_url": form.redirect_url }),
        );
    }
    let mut page = hosted(st, form, locale, &HashMap::new(), &HashMap::new());
    page.done = Some(message);
    page.redirect = form.redirect_url.clone();
    page.into_response()
}

/// `POST /f/{id}`: a submission, urlencoded (the hosted page) or JSON
/// (embed.js, API clients). Defences in order: rate limits (429), size
/// limits (413), honeypot and fill-time token (fake success, nothing
/// stored), validation (422), then the lead is accepted.
async fn submit_form(
    State(st): State<AppState>,
    Path(id): Path<String>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let json = wants_json(&headers);
    let t = FormsTr::get(locale);
    let internal = |e: af_db::DbError| {
        tracing::error!(error = %e, "form submission failed");
        if json {
            fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; it has been logged",
            )
        } else {
            AppError::Internal(e.into()).into_response()
        }
    };
    let (form, ws) = match public_form(&st, &id).await {
        Ok(Some(found)) => found,
        Ok(None) if json => {
            return fail(
                StatusCode::NOT_FOUND,
                format!("form: {}", t.form_unavailable),
            );
        }
        Ok(None) => return AppError::NotFound.into_response(),
        Err(e) => return internal(e),
    };
    let ip_hash = intake::ip_hash(&st.secret, &ip);
    let buckets = [
        (format!("ip:{ip_hash}"), st.config.intake_max_per_ip),
        (format!("form:{}", form.id), st.config.intake_max_per_form),
    ];
    match door::rate_limit(&st, &buckets).await {
        Ok(Ok(())) => {}
        Ok(Err(retry)) if json => {
            let mut res = fail(
                StatusCode::TOO_MANY_REQUESTS,
                "too many submissions; try again later",
            );
            if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
        Ok(Err(retry)) => {
            return AppError::TooManyRequests {
                retry_after_secs: retry,
            }
            .into_response();
        }
        Err(e) => return internal(e),
    }
    let Some(bytes) = door::read_body(body, MAX_PUBLIC_BODY).await else {
        return cors(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body: larger than {MAX_PUBLIC_BODY} bytes"),
        ));
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
            Err(m) => return fail(StatusCode::BAD_REQUEST, m),
        }
    } else {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
            Ok(v) => v,
            Err(_) => return fail(StatusCode::BAD_REQUEST, "body: not a form submission"),
        }
    };
    if values.len() > 100 {
        return fail(StatusCode::PAYLOAD_TOO_LARGE, "body: too many fields");
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
                    let fields: serde_json::Map<String, serde_json::Value> = errors
                        .into_iter()
                        .map(|(f, m)| (f, serde_json::Value::String(m)))
                        .collect();
                    return ok_json(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        serde_json::json!({ "ok": false, "error": first, "fields": fields }),
                    );
                }
                let vals: HashMap<String, String> = values.into_iter().collect();
                let errs: HashMap<String, String> = errors.into_iter().collect();
                let mut res = hosted(&st, &form, locale, &vals, &errs).into_response();
                *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                return res;
            }
        };
    let lead = Lead {
        form: Some(&form),
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
    match intake::accept_lead(&st.db, &ws, lead, st.now()).await {
        Ok(_) => success(&st, &form, locale, json),
        Err(e) => internal(e),
    }
}

// --------------------------------------------------------------- builder

fn parse_form_id(raw: &str) -> AppResult<FormId> {
    raw.parse::<Uuid>()
        .map(FormId)
        .map_err(|_| AppError::NotFound)
}

async fn load_form(st: &AppState, cu: &CurrentUser, raw: &str) -> AppResult<Form> {
    forms::find_form(&st.db, cu.workspace.id, parse_form_id(raw)?)
        .await?
        .ok_or(AppError::NotFound)
}

pub struct FormRow {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub submissions: i64,
    pub url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/list.html")]
struct ListTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    forms: Vec<FormRow>,
    can_edit: bool,
}

/// `GET /forms`
async fn list_forms_page(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    let rows = forms::list_forms(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|(f, n)| FormRow {
            url: st.link(&format!("/f/{}", f.id)),
            id: f.id.to_string(),
            name: f.name,
            active: f.active,
            submissions: n,
        })
        .collect();
    Ok(ListTemplate {
        can_edit: cu.role >= Role::Admin,
        ft: FormsTr::get(cu.locale()),
        shell: Shell::new(&cu, Area::Forms).await?,
        forms: rows,
    })
}

/// A stage choice of the builder.
pub struct StageChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/edit.html")]
struct EditTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    /// None for a new form.
    id: Option<String>,
    name: String,
    /// The field list as JSON for the builder script (in a data attribute).
    fields_json: String,
    styling: Styling,
    success_message: String,
    redirect_url: String,
    tags: String,
    consent_text: String,
    active: bool,
    stages: Vec<StageChoice>,
    errors: Vec<String>,
    embed: String,
    hosted_url: String,
    fonts: [&'static str; 3],
    js: String,
}

async fn stage_choices(
    st: &AppState,
    cu: &CurrentUser,
    selected: Option<Uuid>,
) -> AppResult<Vec<StageChoice>> {
    let pipelines = af_db::pipelines::list_pipelines(&st.db, cu.workspace.id).await?;
    let mut out = Vec::new();
    for p in pipelines {
        for s in p.stages {
            out.push(StageChoice {
                label: format!("{} → {}", p.pipeline.name, s.name),
                selected: selected == Some(s.id.0),
                id: s.id.to_string(),
            });
        }
    }
    Ok(out)
}

fn default_fields() -> String {
    serde_json::json!([
        {"name": "name", "type": "text", "label": "Nombre", "label_en": "Name", "required": true},
        {"name": "email", "type": "email", "label": "Correo", "label_en": "Email", "required": true},
        {"name": "phone", "type": "phone", "label": "Teléfono", "label_en": "Phone", "required": false}
    ])
    .to_string()
}

async fn edit_page(
    st: &AppState,
    cu: &CurrentUser,
    form: Option<&Form>,
    raw: Option<&RawForm>,
    errors: Vec<String>,
) -> AppResult<EditTemplate> {
    let ft = FormsTr::get(cu.locale());
    let stage = raw
        .and_then(|r| r.stage_id)
        .or_else(|| form.and_then(|f| f.stage_id));
    let (name, fields_json, styling, success, redirect, tags, consent, active) = match (raw, form) {
        (Some(r), _) => (
            r.name.clone(),
            serde_json::to_string(&r.fields).unwrap_or_else(|_| "[]".into()),
            r.styling.clone().unwrap_or_default(),
            r.success_message.clone().unwrap_or_default(),
            r.redirect_url.clone().unwrap_or_default(),
            r.tags.join(", "),
            r.consent_text.clone().unwrap_or_default(),
            r.active.unwrap_or(true),
        ),
        (None, Some(f)) => (
            f.name.clone(),
            serde_json::to_string(&form_defs::fields_of(f)).unwrap_or_else(|_| "[]".into()),
            form_defs::styling_of(f),
            f.success_message.clone().unwrap_or_default(),
            f.redirect_url.clone().unwrap_or_default(),
            f.tag_list().join(", "),
            f.consent_text.clone().unwrap_or_default(),
            f.active,
        ),
        (None, None) => (
            String::new(),
            default_fields(),
            Styling::default(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            true,
        ),
    };
    Ok(EditTemplate {
        ft,
        id: form.map(|f| f.id.to_string()),
        embed: form
            .map(|f| crate::api::forms::embed_snippet(&st.config.base_url, f.id))
            .unwrap_or_default(),
        hosted_url: form
            .map(|f| st.link(&format!("/f/{}", f.id)))
            .unwrap_or_default(),
        name,
        fields_json,
        styling,
        success_message: success,
        redirect_url: redirect,
        tags,
        consent_text: consent,
        active,
        stages: stage_choices(st, cu, stage).await?,
        errors,
        fonts: form_defs::FONTS,
        js: crate::assets::url_of("js/forms.js"),
        shell: Shell::new(cu, Area::Forms).await?,
    })
}

/// `GET /forms/new`
async fn new_form_page(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    edit_page(&st, &cu, None, None, vec![]).await
}

/// `GET /forms/{id}`
async fn edit_form_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let form = load_form(&st, &cu, &id).await?;
    edit_page(&st, &cu, Some(&form), None, vec![]).await
}

/// The builder's form post: plain fields plus the field list as JSON
/// (kept up to date by the builder script; without script, as typed).
fn raw_from_post(post: &[(String, String)]) -> Result<RawForm, String> {
    let get = |k: &str| post.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let opt = |k: &str| get(k).filter(|v| !v.trim().is_empty());
    let fields: Vec<FieldSpec> = serde_json::from_str(&get("fields_json").unwrap_or_default())
        .map_err(|e| format!("fields: {e}"))?;
    Ok(RawForm {
        name: get("name").unwrap_or_default(),
        fields,
        styling: Some(Styling {
            primary_color: get("primary_color").unwrap_or_default(),
            text_color: get("text_color").unwrap_or_default(),
            background_color: get("background_color").unwrap_or_default(),
            font: get("font").unwrap_or_default(),
            radius: get("radius")
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(255),
            button_text: opt("button_text"),
            button_text_en: opt("button_text_en"),
        }),
        success_message: opt("success_message"),
        redirect_url: opt("redirect_url"),
        pipeline_id: None,
        stage_id: opt("stage_id").and_then(|s| s.parse().ok()),
        tags: get("tags")
            .unwrap_or_default()
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        consent_text: opt("consent_text"),
        active: Some(get("active").is_some()),
    })
}

async fn save(
    st: &AppState,
    cu: &CurrentUser,
    existing: Option<Form>,
    post: Vec<(String, String)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let raw = match raw_from_post(&post) {
        Ok(r) => r,
        Err(m) => {
            let mut res = edit_page(st, cu, existing.as_ref(), None, vec![m])
                .await?
                .into_response();
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    let input = match form_defs::validate_form(&raw) {
        Ok(i) => i,
        Err(errs) => {
            let msgs = errs.into_iter().map(|(_, m)| m).collect();
            let mut res = edit_page(st, cu, existing.as_ref(), Some(&raw), msgs)
                .await?
                .into_response();
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(res);
        }
    };
    let mut tx = st.db.begin().await?;
    let saved = match &existing {
        Some(f) => {
            forms::update_form(
                &mut tx,
                cu.workspace.id,
                f.id,
                &input,
                &cu.actor(),
                st.now(),
            )
            .await
        }
        None => forms::insert_form(&mut tx, cu.workspace.id, &input, &cu.actor(), st.now()).await,
    };
    let form = match saved {
        Ok(f) => f,
        Err(af_db::DbError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    set_flash(&cu.session, true, FormsTr::get(cu.locale()).saved).await?;
    Ok(Redirect::to(&format!("/forms/{}", form.id)).into_response())
}

/// `POST /forms/new`
async fn create_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    save(&st, &cu, None, post).await
}

/// `POST /forms/{id}`
async fn save_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = load_form(&st, &cu, &id).await?;
    save(&st, &cu, Some(form), post).await
}

/// `POST /forms/{id}/delete`
async fn delete_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let form = load_form(&st, &cu, &id).await?;
    cu.require(Role::Admin)?;
    let mut tx = st.db.begin().await?;
    forms::delete_form(&mut tx, cu.workspace.id, form.id, &cu.actor(), st.now()).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, FormsTr::get(cu.locale()).deleted).await?;
    Ok(Redirect::to("/forms").into_response())
}

/// A submission as the list shows it (every value is escaped by the template).
pub struct SubmissionRow {
    pub created_at: String,
    pub lead_id: i64,
    pub contact_id: Option<String>,
    pub data: Vec<(String, String)>,
    pub attribution: Vec<(String, String)>,
}

fn pairs(json: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        _ => vec![],
    }
}

impl SubmissionRow {
    fn new(s: &Submission, tz: &str) -> Self {
        Self {
            created_at: super::fmt_time(s.created_at, tz),
            lead_id: s.lead_number,
            contact_id: s.contact_id.map(|c| c.to_string()),
            data: pairs(&s.data),
            attribution: pairs(&s.attribution),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "forms/submissions.html")]
struct SubmissionsTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    id: String,
    name: String,
    rows: Vec<SubmissionRow>,
}

/// `GET /forms/{id}/submissions`
async fn submissions_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let form = load_form(&st, &cu, &id).await?;
    let subs = forms::list_submissions(&st.db, cu.workspace.id, form.id, 200).await?;
    Ok(SubmissionsTemplate {
        ft: FormsTr::get(cu.locale()),
        rows: subs
            .iter()
            .map(|s| SubmissionRow::new(s, &cu.workspace.time_zone))
            .collect(),
        id: form.id.to_string(),
        name: form.name,
        shell: Shell::new(&cu, Area::Forms).await?,
    })
}

// ------------------------------------------------------- Settings → Intake

/// The Settings tab of lead intake: intake keys, the ready-to-paste
/// snippets (embed, lead API cURL, Cal.com URL), the workspace's Cal.com
/// secret and the received deliveries (failed or unmatched ones can be
/// replayed).
pub fn settings_routes() -> Router<AppState> {
    Router::new()
        .route("/settings/intake", get(intake_settings))
        .route("/settings/intake/keys", post(create_intake_key))
        .route("/settings/intake/calcom-secret", post(set_calcom_secret))
        .route(
            "/settings/intake/calcom-unsigned",
            post(set_calcom_unsigned),
        )
        .route(
            "/settings/intake/deliveries/{id}/replay",
            post(replay_delivery),
        )
}

pub struct IntakeKeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub revoked: bool,
}

pub struct DeliveryRow {
    pub id: String,
    pub received: String,
    pub event: String,
    pub result: String,
    pub detail: String,
    pub signed: bool,
    pub replayable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/intake.html")]
struct IntakeTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    keys: Vec<IntakeKeyRow>,
    new_key: Option<String>,
    embed: String,
    curl: String,
    calcom_url: String,
    calcom_shared_url: String,
    calcom_secret: String,
    allow_unsigned: bool,
    deliveries: Vec<DeliveryRow>,
}

const NEW_INTAKE_KEY: &str = "new_intake_key";

/// `GET /settings/intake` (admins).
async fn intake_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    let tz = &cu.workspace.time_zone;
    let new_key = cu.session.remove::<String>(NEW_INTAKE_KEY).await?;
    let keys = af_db::api_keys::list_api_keys(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .filter(|k| k.scope() == af_db::api_keys::KeyScope::Intake)
        .map(|k| IntakeKeyRow {
            id: k.id.to_string(),
            created: super::fmt_time(k.created_at, tz),
            revoked: k.revoked_at.is_some(),
            name: k.name,
            prefix: k.prefix,
        })
        .collect();
    let first_form = forms::list_forms(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .next()
        .map(|(f, _)| f.id.to_string())
        .unwrap_or_else(|| "FORM_ID".into());
    let shown_key = new_key.clone().unwrap_or_else(|| "INTAKE_KEY".into());
    let curl = format!(
        "curl -X POST {}/api/lead \\\n  -H \"Content-Type: application/json\" \\\n  -H \"X-Api-Key: {shown_key}\" \\\n  -d '{{\"nombre\": \"Ana Test\", \"email\": \"ana.test@example.com\", \"telefono\": \"8112345678\", \"empresa\": \"Demo SA\", \"servicio\": \"Consultoría IA\", \"fuente\": \"Landing 1\"}}'",
        st.config.base_url
    );
    let deliveries = af_db::inbound_webhooks::list_deliveries(&st.db, cu.workspace.id, 50)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id.to_string(),
            received: super::fmt_time(d.received_at, tz),
            replayable: matches!(d.result.as_str(), "failed" | "unmatched"),
            event: d.event,
            result: d.result,
            detail: d.detail.unwrap_or_default(),
            signed: d.signature_ok,
        })
        .collect();
    Ok(IntakeTemplate {
        ft: FormsTr::get(cu.locale()),
        keys,
        new_key,
        embed: format!(
            "<script src=\"{}/embed.js\" async></script>\n<div data-af-form=\"{first_form}\"></div>",
            st.config.base_url
        ),
        curl,
        calcom_url: st.link(&format!("/webhooks/calcom/{}", cu.workspace.slug)),
        calcom_shared_url: st.link("/api/calcom?key=INTAKE_KEY"),
        calcom_secret: calcom_secret(&st, cu.workspace.id).await?,
        allow_unsigned: af_db::inbound_webhooks::calcom_allows_unsigned(&st.db, cu.workspace.id)
            .await?,
        deliveries,
        shell: Shell::new(&cu, Area::Settings).await?,
    })
}

/// The workspace's Cal.com secret, generated the first time it is asked
/// for: Cal.com deliveries are signed by default.
async fn calcom_secret(st: &AppState, ws: af_core::WorkspaceId) -> AppResult<String> {
    if let Some(sealed) = af_db::inbound_webhooks::find_calcom_secret(&st.db, ws).await? {
        return st
            .secret
            .open(&sealed)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("sealed Cal.com secret: {e}")));
    }
    let secret = af_core::crypto::random_token(24);
    let mut tx = st.db.begin().await?;
    af_db::inbound_webhooks::set_calcom_secret(
        &mut tx,
        ws,
        Some(&st.secret.seal(&secret)),
        st.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NameForm {
    name: String,
}

/// `POST /settings/intake/keys`: an intake key, shown once.
async fn create_intake_key(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    axum::Form(f): axum::Form<NameForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let name = af_core::validate::name(&f.name, 80).unwrap_or_else(|_| "landing".into());
    let key = af_core::crypto::new_api_key();
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let id = af_db::api_keys::insert_api_key(
        &mut tx,
        cu.workspace.id,
        &name,
        &key.prefix,
        &key.hash,
        af_db::api_keys::KeyScope::Intake,
        Some(cu.user.id),
        now,
    )
    .await?;
    super::settings::audit(
        &mut tx,
        &cu,
        &ip,
        "api_key.created",
        ("api_key", id.to_string()),
        serde_json::json!({ "name": name, "prefix": key.prefix, "scope": "intake" }),
        now,
    )
    .await?;
    tx.commit().await?;
    cu.session.insert(NEW_INTAKE_KEY, key.key).await?;
    Ok(Redirect::to("/settings/intake").into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SecretForm {
    secret: String,
}

/// `POST /settings/intake/calcom-secret`: sets the workspace's Cal.com
/// secret (sealed), or a newly generated one when left empty.
async fn set_calcom_secret(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    axum::Form(f): axum::Form<SecretForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let secret = f.secret.trim();
    if secret.len() > 500 {
        return Err(AppError::BadRequest("secret: too long".into()));
    }
    let generated = secret.is_empty();
    let secret = if generated {
        af_core::crypto::random_token(24)
    } else {
        secret.to_string()
    };
    let sealed = st.secret.seal(&secret);
    let now = st.now();
    let mut tx = st.db.begin().await?;
    af_db::inbound_webhooks::set_calcom_secret(&mut tx, cu.workspace.id, Some(&sealed), now)
        .await?;
    super::settings::audit(
        &mut tx,
        &cu,
        &ip,
        "calcom_secret.updated",
        ("workspace", cu.workspace.id.to_string()),
        serde_json::json!({ "set": true, "generated": generated }),
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(
        &cu.session,
        true,
        FormsTr::get(cu.locale()).calcom_secret_saved,
    )
    .await?;
    Ok(Redirect::to("/settings/intake").into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct UnsignedForm {
    allow: bool,
}

/// `POST /settings/intake/calcom-unsigned`: whether unsigned Cal.com
/// deliveries are accepted (testing only).
async fn set_calcom_unsigned(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    axum::Form(f): axum::Form<UnsignedForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    af_db::inbound_webhooks::set_calcom_allow_unsigned(&mut tx, cu.workspace.id, f.allow, now)
        .await?;
    super::settings::audit(
        &mut tx,
        &cu,
        &ip,
        "calcom_unsigned.updated",
        ("workspace", cu.workspace.id.to_string()),
        serde_json::json!({ "allow": f.allow }),
        now,
    )
    .await?;
    tx.commit().await?;
    set_flash(
        &cu.session,
        true,
        FormsTr::get(cu.locale()).calcom_unsigned_saved,
    )
    .await?;
    Ok(Redirect::to("/settings/intake").into_response())
}

/// `POST /settings/intake/deliveries/{id}/replay`: runs a failed or
/// unmatched delivery again (the lead may exist by now).
async fn replay_delivery(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let id: af_core::InboundWebhookId = id
        .parse::<Uuid>()
        .map(af_core::InboundWebhookId)
        .map_err(|_| AppError::NotFound)?;
    let d = af_db::inbound_webhooks::find_delivery(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    af_service::bookings::replay_calcom(&st.db, &cu.workspace, &d, st.now()).await?;
    set_flash(&cu.session, true, FormsTr::get(cu.locale()).replayed).await?;
    Ok(Redirect::to("/settings/intake").into_response())
}
