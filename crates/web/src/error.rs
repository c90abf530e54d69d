//! The web layer's error types, one per kind of answer. Internal causes are
//! logged once here and never shown.
//!
//! - [`AppError`]: pages. The locale middleware renders it as a page in the
//!   visitor's language.
//! - [`ApiError`]: the JSON API (`/api/v1/...`):
//!   `{"error": {"code": "...", "message": "..."}}` (plus `"fields"` for
//!   `invalid`).
//! - [`PautaError`]: the public intake doors that keep PAUTA's shape
//!   (`/api/lead`, Cal.com, the form endpoint's JSON answers):
//!   `{"ok": false, "error": "...", "field"?: "..."}`, never a 500 for bad
//!   input.

use crate::api::openapi::schemas::{ErrorBody, ErrorDetail, PautaErrorBody};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answered as a page.
#[derive(Debug)]
pub enum AppError {
    NotFound,
    Forbidden,
    /// A message already translated for the user.
    BadRequest(String),
    TooManyRequests {
        retry_after_secs: u64,
    },
    Csrf,
    Internal(anyhow::Error),
}

/// Marker placed on error responses so the locale middleware renders the page.
#[derive(Debug, Clone)]
pub enum ErrorPage {
    NotFound,
    Forbidden,
    BadRequest(String),
    TooManyRequests,
    Csrf,
    Internal,
}

impl From<af_db::DbError> for AppError {
    fn from(e: af_db::DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<af_service::passwords::PasswordError> for AppError {
    fn from(e: af_service::passwords::PasswordError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<af_service::bookings::BookingError> for AppError {
    fn from(e: af_service::bookings::BookingError) -> Self {
        use af_service::bookings::BookingError;
        match e {
            BookingError::NotReplayable => AppError::BadRequest(e.to_string()),
            BookingError::Db(e) => e.into(),
        }
    }
}

/// A page reaches the scoring service after reading its input: "not
/// found" is a 404; a refusal the page did not turn into its own words is
/// a bug, so internal.
impl From<af_service::scoring::ScoringError> for AppError {
    fn from(e: af_service::scoring::ScoringError) -> Self {
        use af_service::scoring::ScoringError;
        match e {
            ScoringError::NotFound => AppError::NotFound,
            ScoringError::Db(e) => e.into(),
            ScoringError::Invalid(f) => AppError::Internal(anyhow::anyhow!("scoring: {f:?}")),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("session: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, page) = match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, ErrorPage::NotFound),
            AppError::Forbidden => (StatusCode::FORBIDDEN, ErrorPage::Forbidden),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, ErrorPage::BadRequest(m)),
            AppError::Csrf => (StatusCode::FORBIDDEN, ErrorPage::Csrf),
            AppError::TooManyRequests { retry_after_secs } => {
                let mut r = (StatusCode::TOO_MANY_REQUESTS, ()).into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r.extensions_mut().insert(ErrorPage::TooManyRequests);
                return r;
            }
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorPage::Internal)
            }
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(page);
        r
    }
}

pub type AppResult<T> = Result<T, AppError>;

// ------------------------------------------------------------- JSON API

/// An error answered by the JSON API (`/api/v1/...`). The codes are part of
/// the API: `unauthorized`, `forbidden`, `not_found`, `conflict`,
/// `bad_request`, `invalid` (with `fields`), `internal`.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden(String),
    NotFound,
    /// The request does not apply to the record's current state.
    Conflict(String),
    /// Malformed request (bad JSON, wrong types).
    BadRequest(String),
    /// Well-formed but invalid: `(field, message)` pairs.
    Invalid(Vec<(String, String)>),
    Internal(anyhow::Error),
}

impl ApiError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![(field.to_string(), message.into())])
    }
}

impl From<af_db::DbError> for ApiError {
    fn from(e: af_db::DbError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API key is required: Authorization: Bearer <key> or X-Api-Key: <key>"
                    .to_string(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource in this workspace".into(),
            ),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::Invalid(fields) => {
                let message = fields
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let body = ErrorBody {
                    error: ErrorDetail {
                        code: "invalid".into(),
                        message,
                        fields: Some(fields.into_iter().collect()),
                    },
                };
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged".into(),
                )
            }
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
                fields: None,
            },
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

// ------------------------------------------------------- PAUTA-shaped doors

/// An error of the public intake doors, answered in PAUTA's shape
/// `{"ok": false, "error": "<part>: <message>"}` (with `"field"` when one
/// field is at fault) and a CORS header, since browsers on other sites call
/// these doors.
#[derive(Debug)]
pub enum PautaError {
    /// Refused with a 4xx; the message names the part at fault
    /// (`"body: not valid JSON"`, `"key: unknown or revoked key"`).
    Refused {
        status: StatusCode,
        message: String,
    },
    /// One field is invalid: 422, `"error": "<field>: <message>"`,
    /// `"field": "<field>"`.
    Field {
        field: String,
        message: String,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    Internal(anyhow::Error),
}

impl PautaError {
    /// A 4xx whose message names the part at fault.
    pub fn refused(status: StatusCode, message: impl Into<String>) -> Self {
        PautaError::Refused {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::UNAUTHORIZED, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::NOT_FOUND, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// One invalid field (422).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        PautaError::Field {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A PAUTA-shaped answer with the CORS header the doors send.
pub fn pauta_json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

impl From<af_db::DbError> for PautaError {
    fn from(e: af_db::DbError) -> Self {
        PautaError::Internal(e.into())
    }
}

impl From<af_service::bookings::BookingError> for PautaError {
    fn from(e: af_service::bookings::BookingError) -> Self {
        PautaError::Internal(e.into())
    }
}

impl From<af_service::intake::IntakeError> for PautaError {
    /// A refused lead names the PAUTA field it came from (`nombre`,
    /// `email`, `telefono`, ...), in 422.
    fn from(e: af_service::intake::IntakeError) -> Self {
        use af_core::contact_input::Problem;
        use af_service::intake::{IntakeError, pauta_field};
        match e {
            IntakeError::Invalid(errs) => {
                let Some(e) = errs.first() else {
                    return PautaError::Internal(anyhow::anyhow!(
                        "a refused lead without a reason"
                    ));
                };
                let field = pauta_field(e);
                let message = if field == "nombre" && e.problem == Problem::NoContactPoint {
                    "se necesita nombre, email o telefono (a lead needs a name, an email or a phone)"
                        .to_string()
                } else {
                    e.message.clone()
                };
                PautaError::field(field, message)
            }
            e @ IntakeError::Taken(_) => PautaError::field("email", e.to_string()),
            IntakeError::Db(e) => e.into(),
        }
    }
}

impl IntoResponse for PautaError {
    fn into_response(self) -> Response {
        let body = |error: String, field: Option<String>| {
            serde_json::to_value(PautaErrorBody {
                ok: false,
                error,
                field,
            })
            .unwrap_or_default()
        };
        let fail = |status, error: String| pauta_json(status, body(error, None));
        match self {
            PautaError::Refused { status, message } => fail(status, message),
            PautaError::Field { field, message } => pauta_json(
                StatusCode::UNPROCESSABLE_ENTITY,
                body(format!("{field}: {message}"), Some(field)),
            ),
            PautaError::TooManyRequests { retry_after_secs } => {
                let mut res = fail(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many submissions; try again later".into(),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
            PautaError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "intake request failed");
                fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it has been logged".into(),
                )
            }
        }
    }
}
