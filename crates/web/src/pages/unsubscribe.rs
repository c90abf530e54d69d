//! One-click unsubscribe (RFC 8058) for marketing email. The link carries a
//! signed token (`af_channels::unsubscribe`), so neither page needs a
//! session: `GET /u/{token}` only shows a confirmation (mail scanners
//! follow links), `POST /u/{token}` — the mail client's one-click request
//! or the page's button — unsubscribes. A forged token is a 404.

use crate::error::{AppError, AppResult};
use crate::i18n::channels::ChannelsTr;
use crate::pages::public::PublicPage;
use crate::state::{AppState, RequestLocale};
use af_core::{Actor, ContactId, WorkspaceId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;

/// Mounted outside the session / CSRF router (see `lib.rs`).
pub fn routes() -> Router<AppState> {
    Router::new().route("/u/{token}", get(unsubscribe_page).post(unsubscribe))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/unsubscribe.html")]
pub struct UnsubscribeTemplate {
    page: PublicPage,
    c: &'static ChannelsTr,
    token: String,
    workspace_name: String,
    done: bool,
}

/// The workspace and contact of a genuine token whose contact still exists.
async fn resolve(st: &AppState, token: &str) -> AppResult<(WorkspaceId, ContactId, String)> {
    let (ws, contact) =
        af_channels::unsubscribe::verify(&st.secret, token).ok_or(AppError::NotFound)?;
    let workspace = af_db::workspaces::find_workspace(&st.db, ws)
        .await?
        .ok_or(AppError::NotFound)?;
    af_db::contacts::find_contact(&st.db, ws, contact)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((ws, contact, workspace.name))
}

pub async fn unsubscribe_page(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    Path(token): Path<String>,
) -> AppResult<UnsubscribeTemplate> {
    let (_, _, workspace_name) = resolve(&st, &token).await?;
    Ok(UnsubscribeTemplate {
        page: PublicPage::bare(locale),
        c: ChannelsTr::get(locale),
        token,
        workspace_name,
        done: false,
    })
}

pub async fn unsubscribe(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    Path(token): Path<String>,
) -> AppResult<UnsubscribeTemplate> {
    let (ws, contact, workspace_name) = resolve(&st, &token).await?;
    let mut tx = st.db.begin().await?;
    let patch = af_db::contacts::ContactPatch {
        email_unsubscribed: Some(true),
        ..Default::default()
    };
    let mut actor = Actor::system();
    actor.label = "unsubscribe link".into();
    af_db::contacts::update_contact(&mut tx, ws, contact, &patch, &actor, st.now()).await?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, contact.id = %contact, "unsubscribed by link");
    Ok(UnsubscribeTemplate {
        page: PublicPage::bare(locale),
        c: ChannelsTr::get(locale),
        token,
        workspace_name,
        done: true,
    })
}
