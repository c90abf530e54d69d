//! Who is asking: the signed-in user extractor, the API key extractor, and
//! the client address. (Password hashing is `af_service::passwords`.)

use crate::error::AppError;
use crate::session_store::USER_KEY;
use crate::state::AppState;
use af_core::crypto;
use af_core::{Role, UserId, WorkspaceId};
use af_db::api_keys::{ApiKey, KeyScope};
use af_db::users::User;
use af_db::workspaces::{Workspace, WorkspaceWithRole};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

/// Session key of the workspace the user is working in.
pub const WORKSPACE_KEY: &str = "workspace_id";
/// Session key of the CSRF token.
pub const CSRF_KEY: &str = "csrf";

/// The client's address: the socket peer, or the first `X-Forwarded-For`
/// hop when the server is configured to trust its proxy.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(first) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
        {
            return Ok(ClientIp(first.trim().to_string()));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientIp(peer.unwrap_or_else(|| "unknown".into())))
    }
}

/// A signed-in user working in one of their workspaces.
pub struct CurrentUser {
    pub user: User,
    pub workspace: Workspace,
    pub role: Role,
    /// Every workspace the user belongs to (for the switcher).
    pub workspaces: Vec<WorkspaceWithRole>,
    pub session: Session,
    /// The database, for what every page shows (the bell's unread count).
    pub db: af_db::Db,
}

impl CurrentUser {
    /// Fails with 403 unless the user's role is at least `min`.
    pub fn require(&self, min: Role) -> Result<(), AppError> {
        if self.role >= min {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn actor(&self) -> af_core::Actor {
        af_core::Actor::user(self.user.id, &self.user.email)
    }

    pub fn locale(&self) -> af_core::Locale {
        self.user
            .locale()
            .unwrap_or_else(|| self.workspace.locale())
    }
}

/// Where an anonymous visitor is sent: the login page, coming back here after.
fn login_redirect(parts: &Parts) -> Response {
    let back = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let target = if parts.method == axum::http::Method::GET {
        format!("/login?next={}", urlencoding::encode(back))
    } else {
        "/login".to_string()
    };
    if crate::extract::HxRequest::from_headers(&parts.headers).0 {
        (StatusCode::OK, [("hx-redirect", target)]).into_response()
    } else {
        Redirect::to(&target).into_response()
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|e| e.into_response())?;
        let user_id: Option<UserId> = session
            .get(USER_KEY)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        let Some(user_id) = user_id else {
            return Err(login_redirect(parts));
        };
        let Some(user) = af_db::users::find_user(&state.db, user_id)
            .await
            .map_err(|e| AppError::from(e).into_response())?
        else {
            // The account is gone: end the session rather than loop.
            let _ = session.flush().await;
            return Err(login_redirect(parts));
        };
        let workspaces = af_db::workspaces::list_workspaces_for_user(&state.db, user.id)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        let wanted: Option<WorkspaceId> = session
            .get(WORKSPACE_KEY)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        let chosen = wanted
            .and_then(|w| workspaces.iter().find(|m| m.workspace.id == w))
            .or_else(|| workspaces.first())
            .cloned();
        let Some(chosen) = chosen else {
            return Err(AppError::BadRequest(
                crate::i18n::tr(user.locale().unwrap_or_default())
                    .no_workspace
                    .into(),
            )
            .into_response());
        };
        if wanted != Some(chosen.workspace.id) {
            session
                .insert(WORKSPACE_KEY, chosen.workspace.id)
                .await
                .map_err(|e| AppError::from(e).into_response())?;
        }
        let role = chosen.role();
        af_db::audit::AuditScope::set_actor(
            af_core::Actor::user(user.id, &user.email),
            Some(chosen.workspace.id),
        );
        Ok(CurrentUser {
            user,
            workspace: chosen.workspace,
            role,
            workspaces,
            session,
            db: state.db.clone(),
        })
    }
}

/// A request authenticated by a full-scope API key
/// (`Authorization: Bearer <key>` or `X-Api-Key: <key>`).
pub struct ApiAuth {
    pub key: ApiKey,
    pub workspace: Workspace,
}

impl ApiAuth {
    pub fn actor(&self) -> af_core::Actor {
        af_core::Actor::api_key(self.key.id, &self.key.name)
    }
}

/// The key presented on a request, if any.
pub fn presented_api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let mut parts = v.splitn(2, ' ');
        if parts
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
        {
            return parts.next().map(str::trim).filter(|k| !k.is_empty());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = crate::api::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use crate::api::ApiError;
        // Usually already found by the API's guard layer (rate limits).
        let checked = parts
            .extensions
            .get::<crate::middleware::api_guard::CheckedKey>()
            .map(|k| k.0.clone());
        let key = match checked {
            Some(k) => k,
            None => {
                let key = presented_api_key(&parts.headers).ok_or(ApiError::Unauthorized)?;
                af_db::api_keys::find_active_api_key_by_hash(&state.db, &crypto::sha256_hex(key))
                    .await?
                    .ok_or(ApiError::Unauthorized)?
            }
        };
        if key.scope() != KeyScope::Full {
            return Err(ApiError::Forbidden("this key may only create leads".into()));
        }
        let workspace = af_db::workspaces::find_workspace(&state.db, key.workspace_id)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        af_db::api_keys::touch_api_key(&state.db, &key, state.now()).await?;
        af_db::audit::AuditScope::set_actor(
            af_core::Actor::api_key(key.id, &key.name),
            Some(workspace.id),
        );
        Ok(ApiAuth { key, workspace })
    }
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await? {
        return Ok(t);
    }
    let t = crypto::random_token(32);
    session.insert(CSRF_KEY, &t).await?;
    Ok(t)
}

/// A one-time message shown on the next page.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Flash {
    pub ok: bool,
    pub message: String,
}

const FLASH_KEY: &str = "flash";

pub async fn set_flash(session: &Session, ok: bool, message: &str) -> Result<(), AppError> {
    session
        .insert(
            FLASH_KEY,
            Flash {
                ok,
                message: message.to_string(),
            },
        )
        .await?;
    Ok(())
}

pub async fn take_flash(session: &Session) -> Result<Option<Flash>, AppError> {
    Ok(session.remove::<Flash>(FLASH_KEY).await?)
}

/// Signs `user` in on this session: a new session id (so an id planted
/// before sign-in is useless), the user, and their working workspace.
pub async fn sign_in(
    session: &Session,
    user: UserId,
    workspace: Option<WorkspaceId>,
) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(USER_KEY, user).await?;
    if let Some(w) = workspace {
        session.insert(WORKSPACE_KEY, w).await?;
    }
    // A fresh CSRF token for the signed-in session.
    session.insert(CSRF_KEY, crypto::random_token(32)).await?;
    Ok(())
}
