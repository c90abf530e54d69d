//! Small extractors and helpers every handler shares, defined once:
//! typed ids from the path ([`IdPath`] for pages, [`ApiIdPath`] for the
//! JSON API), whether htmx sent the request ([`HxRequest`]), JSON bodies
//! that fail in the API's shape ([`ApiJson`]) and rendering a template
//! ([`render`], [`render_fragment`]).

use crate::error::{ApiError, AppError, AppResult};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Html;
use serde::de::DeserializeOwned;
use std::convert::Infallible;

/// Why the path's ids could not be read.
enum PathIds {
    /// The URL names nothing: a malformed id is as unknown as a missing one.
    Malformed,
    /// The route and the extractor disagree (a bug, not a visitor's doing).
    Misrouted(anyhow::Error),
}

/// Reads the path's parameters as `T`: one typed id (`ContactId`), a tuple
/// of them (`(PipelineId, StageId)`) or ids mixed with text
/// (`(WorkflowId, String)`).
async fn path_ids<T, S>(parts: &mut Parts, state: &S) -> Result<T, PathIds>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    use axum::extract::path::ErrorKind;
    match Path::<T>::from_request_parts(parts, state).await {
        Ok(Path(v)) => Ok(v),
        Err(PathRejection::FailedToDeserializePathParams(e)) => match e.kind() {
            ErrorKind::WrongNumberOfParameters { .. } | ErrorKind::UnsupportedType { .. } => Err(
                PathIds::Misrouted(anyhow::anyhow!("path: {}", e.body_text())),
            ),
            _ => Err(PathIds::Malformed),
        },
        Err(e) => Err(PathIds::Misrouted(anyhow::anyhow!(
            "path: {}",
            e.body_text()
        ))),
    }
}

/// Typed ids from a page's path. A malformed id answers the normal 404
/// page (not axum's 400 "Invalid URL" text): to a visitor it names
/// nothing, like another workspace's id.
#[derive(Debug, Clone, Copy)]
pub struct IdPath<T>(pub T);

impl<T, S> FromRequestParts<S> for IdPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match path_ids(parts, state).await {
            Ok(v) => Ok(IdPath(v)),
            Err(PathIds::Malformed) => Err(AppError::NotFound),
            Err(PathIds::Misrouted(e)) => Err(AppError::Internal(e)),
        }
    }
}

/// Typed ids from a JSON API path: a malformed id answers the API's 404
/// (`{"error": {"code": "not_found", ...}}`).
#[derive(Debug, Clone, Copy)]
pub struct ApiIdPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiIdPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match path_ids(parts, state).await {
            Ok(v) => Ok(ApiIdPath(v)),
            Err(PathIds::Malformed) => Err(ApiError::NotFound),
            Err(PathIds::Misrouted(e)) => Err(ApiError::Internal(e)),
        }
    }
}

/// Whether htmx sent the request (its `HX-Request` header): such requests
/// get a fragment, others a page or a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HxRequest(pub bool);

impl HxRequest {
    /// From headers at hand (for code that is not a handler).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        HxRequest(headers.contains_key("hx-request"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for HxRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// `Json<T>` whose rejections answer in the API's error shape instead of
/// plain text.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// `Query<T>` whose rejections (a wrong type, a malformed query string)
/// answer in the API's error shape instead of plain text.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Renders a template as an HTML answer; a template that fails is a logged
/// 500 with the normal error page.
pub fn render(t: &impl askama::Template) -> AppResult<Html<String>> {
    render_fragment(t).map(Html)
}

/// Renders a template to text, for fragments composed into a page or an
/// htmx answer.
pub fn render_fragment(t: &impl askama::Template) -> AppResult<String> {
    t.render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))
}
