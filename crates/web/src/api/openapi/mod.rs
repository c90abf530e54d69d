//! The OpenAPI 3.1 document of everything other systems call: the
//! versioned JSON API (`/api/v1/...`), the intake doors (`POST /api/lead`,
//! `POST /api/calcom`, forms, booking) and the vendor webhooks.
//!
//! The document is generated from the handlers' `#[utoipa::path]`
//! annotations and the typed request / response structs: each API module
//! declares its own `Doc` (an `#[derive(OpenApi)]` listing its handlers), and
//! [`build`] merges them. What is the same for every operation is added
//! here once instead of on each handler:
//!
//! - security (Bearer key or `X-Api-Key`) and the error answers every
//!   `/api/v1` operation can give (400, 401, 404 on ids, 422, 429);
//! - an example for every request body and response that lacks a written
//!   one, built from the schema ([`examples`]), so examples never drift from
//!   the types;
//! - the Spanish text of every summary and description ([`spanish`]): the
//!   document speaks Spanish unless `?lang=en`.
//!
//! The document is built once per language and kept: it is a function of
//! the binary, the same on every node.

pub mod examples;
pub mod schemas;
pub mod spanish;

use crate::state::RequestLocale;
use af_core::Locale;
use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::OnceLock;
use utoipa::OpenApi;

/// The parts of the document that belong to no one module: info, the
/// workspace and API-key routes, the security schemes, the tags' order.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AgencyFlow API",
        version = "1",
        description = "The JSON API of AgencyFlow: contacts, deals, workflows, calendars, conversations and the rest of a workspace, plus the doors that take leads in. Authenticate with a workspace API key (Settings → API keys) sent as `Authorization: Bearer <key>` or `X-Api-Key: <key>`. Lists are paged by `limit` (1–500) and `cursor` (the `next_cursor` of the previous page). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
    ),
    paths(super::get_workspace, super::list_api_keys, super::get_api_key),
    components(schemas(schemas::ErrorBody, schemas::PautaErrorBody)),
    tags((name = "Workspace", description = "The workspace and its API keys.")),
)]
struct Core;

/// Every part, merged. Modules add their `Doc` here.
pub fn build() -> utoipa::openapi::OpenApi {
    let mut doc = Core::openapi();
    for part in [
        super::crm::Doc::openapi(),
        super::events::Doc::openapi(),
        super::scoring::Doc::openapi(),
        super::automations::Doc::openapi(),
        super::forms::Doc::openapi(),
        super::calendars::Doc::openapi(),
        super::memberships::Doc::openapi(),
        super::conversations::Doc::openapi(),
        super::retention::Doc::openapi(),
        super::reports::Doc::openapi(),
        super::notifications::Doc::openapi(),
        super::webhooks::Doc::openapi(),
        super::audit::Doc::openapi(),
        super::intake::Doc::openapi(),
        super::twilio::Doc::openapi(),
        super::email_events::Doc::openapi(),
        super::inbound_email::Doc::openapi(),
        super::twilio_media::Doc::openapi(),
        crate::pages::forms::public::Doc::openapi(),
        crate::pages::booking::public::Doc::openapi(),
        crate::pages::booking::manage::Doc::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

/// The finished document in one language, as JSON.
pub fn document(locale: Locale) -> &'static Value {
    static ES: OnceLock<Value> = OnceLock::new();
    static EN: OnceLock<Value> = OnceLock::new();
    let cell = if locale == Locale::En { &EN } else { &ES };
    cell.get_or_init(|| finish(build(), locale))
}

/// The same document, serialised once.
fn document_text(locale: Locale) -> &'static str {
    static ES: OnceLock<String> = OnceLock::new();
    static EN: OnceLock<String> = OnceLock::new();
    let cell = if locale == Locale::En { &EN } else { &ES };
    cell.get_or_init(|| serde_json::to_string_pretty(document(locale)).unwrap_or_default())
}

/// The shared parts added, examples filled, the text translated.
pub fn finish(doc: utoipa::openapi::OpenApi, locale: Locale) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or(Value::Null);
    add_security_schemes(&mut v);
    add_common_answers(&mut v);
    error_examples(&mut v);
    examples::fill(&mut v);
    if locale != Locale::En {
        spanish::translate(&mut v);
    }
    v
}

/// `GET /api/openapi.json` — no key needed; `?lang=en` for English.
pub async fn openapi_json(Extension(RequestLocale(locale)): Extension<RequestLocale>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        document_text(locale),
    )
        .into_response()
}

/// The ways a caller proves who it is.
fn add_security_schemes(v: &mut Value) {
    let schemes = json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key: `Authorization: Bearer af_live_…` (Settings → API keys).",
        },
        "api_key": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "The same workspace API key in the `X-Api-Key` header.",
        },
        "intake_key": {
            "type": "apiKey",
            "in": "query",
            "name": "key",
            "description": "The workspace's intake key (Settings → Intake): it can only create leads, so it may sit in a landing page.",
        },
    });
    let components = v
        .as_object_mut()
        .map(|o| o.entry("components").or_insert_with(|| json!({})));
    if let Some(Value::Object(c)) = components {
        c.insert("securitySchemes".into(), schemes);
    }
}

/// An example of the JSON API's error for each status it answers with.
fn error_example(status: &str) -> Option<Value> {
    let (code, message) = match status {
        "400" => (
            "bad_request",
            "Failed to parse the request body as JSON: expected value at line 1 column 1",
        ),
        "401" => (
            "unauthorized",
            "a valid API key is required: Authorization: Bearer <key> or X-Api-Key: <key>",
        ),
        "403" => ("forbidden", "this key may only create leads"),
        "404" => ("not_found", "no such resource in this workspace"),
        "409" => (
            "conflict",
            "the request does not apply to the resource's current state",
        ),
        "429" => (
            "rate_limited",
            "this key made more than 600 requests this minute: retry after 12 seconds",
        ),
        "422" => {
            return Some(
                json!({"error": {"code": "invalid", "message": "email is not a valid address",
                "fields": {"email": "email is not a valid address"}}}),
            );
        }
        _ => return None,
    };
    Some(json!({"error": {"code": code, "message": message}}))
}

/// Gives each error answer in the API's shape the example of its status
/// (the shared schema's own example is a 422).
fn error_examples(v: &mut Value) {
    let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut() {
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (status, r) in responses.iter_mut() {
                let Some(body) = r.pointer_mut("/content/application~1json") else {
                    continue;
                };
                let is_error_body = body.pointer("/schema/$ref").and_then(Value::as_str)
                    == Some("#/components/schemas/ErrorBody");
                if is_error_body
                    && body.get("example").is_none()
                    && let (Some(ex), Some(b)) = (error_example(status), body.as_object_mut())
                {
                    b.insert("example".into(), ex);
                }
            }
        }
    }
}

/// What every `/api/v1` operation shares: its keys, and the errors any of
/// them can answer.
fn add_common_answers(v: &mut Value) {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })
    };
    let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let has_id = path.contains('{');
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            op.entry("security")
                .or_insert_with(|| json!([{"bearer": []}, {"api_key": []}]));
            let writes = matches!(method.as_str(), "post" | "patch" | "put");
            if method == "post" {
                let params = op.entry("parameters").or_insert_with(|| json!([]));
                if let Some(params) = params.as_array_mut() {
                    params.push(json!({
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": false,
                        "description": "Any unique text (1–255 visible ASCII characters): a retry with the same key and body within 24 hours gets the first answer instead of acting twice; the same key with another body is refused.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "example": "9f1c2d4e-lead-1842",
                    }));
                }
            }
            let Some(Value::Object(responses)) = op.get_mut("responses") else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description));
            };
            add(
                "400",
                "Malformed request: bad JSON, a wrong type or an unknown parameter.",
            );
            add("401", "No valid API key.");
            add("422", "Invalid values: `fields` names each one.");
            add(
                "429",
                "Too many requests for this key: wait `Retry-After` seconds.",
            );
            if has_id {
                add("404", "No such resource in this workspace.");
            }
            if writes {
                add(
                    "409",
                    "The request does not apply to the resource's current state.",
                );
            }
        }
    }
}
