//! The web layer's error type for pages. Handlers return `AppError`; the
//! locale middleware renders it as a page in the visitor's language. Internal
//! causes are logged once here and never shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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
