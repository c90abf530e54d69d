//! JSON API of the bell (issue 18): `GET /api/v1/notifications?unread=true
//! &limit=&cursor=` and `POST /api/v1/notifications/read` (`{"ids": [...]}`
//! or `{"all": true}`).
//!
//! Whose notifications: the key's user — the member who created the key
//! (`api_keys.created_by`), while they still belong to the workspace. A key
//! without one (made by the CLI, or its creator removed) is answered 403
//! `forbidden`: notifications are personal, and no member can be assumed.
//! Signed-in browsers use the pages (`/notifications`, the bell), since
//! `/api/v1` never reads cookies.

use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiJson};
use crate::auth::ApiAuth;
use crate::i18n::notifications::text;
use crate::state::AppState;
use af_core::{NotificationId, UserId};
use af_db::notifications as store;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/read", post(mark_read))
}

/// The member whose notifications the key reads.
async fn key_user(st: &AppState, auth: &ApiAuth) -> Result<UserId, ApiError> {
    let no_user = || {
        ApiError::Forbidden(
            "this API key has no user (create a key while signed in as the member whose notifications it should read)"
                .into(),
        )
    };
    let user = UserId(auth.key.created_by.ok_or_else(no_user)?);
    af_db::workspaces::find_membership_role(&st.db, auth.workspace.id, user)
        .await?
        .ok_or_else(no_user)?;
    Ok(user)
}

#[derive(Deserialize)]
struct ListQuery {
    unread: Option<bool>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/notifications`: newest first, keyset pages. Each row has
/// its kind, params, link and the text in the workspace's language.
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let user = key_user(&st, &auth).await?;
    let limit = page_limit(q.limit, 50)?;
    let after = q
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|(at, id)| (at, NotificationId(id)));
    let ws = &auth.workspace;
    let rows = store::list(
        &st.db,
        ws.id,
        user,
        q.unread.unwrap_or(false),
        after,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = if more {
        rows.last().map(|n| encode_cursor(n.created_at, n.id.0))
    } else {
        None
    };
    let data: Vec<Value> = rows
        .iter()
        .map(|n| {
            let params = n.params_json();
            json!({
                "id": n.id, "kind": n.kind,
                "text": text(&n.kind, &params, ws.locale(), &ws.time_zone),
                "params": params, "link": n.link,
                "created_at": n.created_at.to_string(),
                "read_at": n.read_at.map(|t| t.to_string()),
            })
        })
        .collect();
    let unread = store::unread_count(&st.db, ws.id, user).await?;
    Ok(Json(
        json!({ "data": data, "next_cursor": next, "unread_count": unread }),
    ))
}

#[derive(Deserialize)]
struct ReadRequest {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
}

/// `POST /api/v1/notifications/read`: marks the given ids (at most 500;
/// others' ids change nothing) or all of them read. Answers
/// `{"marked": n, "unread_count": m}`.
async fn mark_read(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<ReadRequest>,
) -> Result<Json<Value>, ApiError> {
    let user = key_user(&st, &auth).await?;
    let ws = auth.workspace.id;
    let now = st.now();
    let marked = if req.all {
        store::mark_all_read(&st.db, ws, user, now).await?
    } else {
        if req.ids.is_empty() || req.ids.len() > 500 {
            return Err(ApiError::field(
                "ids",
                "give 1 to 500 notification ids, or \"all\": true",
            ));
        }
        let ids = req
            .ids
            .iter()
            .map(|s| s.parse::<NotificationId>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::field("ids", "ids must be notification ids"))?;
        store::mark_read(&st.db, ws, user, &ids, now).await?
    };
    let unread = store::unread_count(&st.db, ws, user).await?;
    Ok(Json(json!({ "marked": marked, "unread_count": unread })))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
