//! Switching between workspaces and creating new ones.

use super::shell::{Area, Shell};
use crate::auth::{ClientIp, CurrentUser, WORKSPACE_KEY, set_flash};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use af_core::{Role, WorkspaceId, validate};
use af_db::audit::{NewAudit, insert_audit};
use af_db::workspaces::{self, NewWorkspace};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SwitchForm {
    workspace_id: String,
}

/// Makes another of the user's workspaces the working one; 404 for a
/// workspace the user does not belong to.
pub async fn switch_workspace(cu: CurrentUser, Form(f): Form<SwitchForm>) -> AppResult<Redirect> {
    let id: WorkspaceId = f.workspace_id.parse().map_err(|_| AppError::NotFound)?;
    if !cu.workspaces.iter().any(|w| w.workspace.id == id) {
        return Err(AppError::NotFound);
    }
    cu.session.insert(WORKSPACE_KEY, id).await?;
    Ok(Redirect::to("/dashboard"))
}

#[derive(Template, WebTemplate)]
#[template(path = "workspace_new.html")]
struct NewWorkspaceTemplate {
    shell: Shell,
    name: String,
    slug: String,
    error: Option<String>,
}

pub async fn new_workspace_page(cu: CurrentUser) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    let shell = Shell::new(&cu, Area::Settings).await?;
    Ok(NewWorkspaceTemplate {
        shell,
        name: String::new(),
        slug: String::new(),
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewWorkspaceForm {
    name: String,
    slug: String,
}

/// Creates a workspace owned by the current user (an agency adding a client
/// account). Settings start as copies of the current workspace's.
pub async fn create_workspace(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(f): Form<NewWorkspaceForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let shell = Shell::new(&cu, Area::Settings).await?;
    let t = shell.t;
    let invalid = |shell, error: &str| {
        let body = NewWorkspaceTemplate {
            shell,
            name: f.name.clone(),
            slug: f.slug.clone(),
            error: Some(error.into()),
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
    };
    let Ok(name) = validate::name(&f.name, 120) else {
        return invalid(shell, t.err_invalid_name);
    };
    let Ok(slug) = validate::slug(&f.slug) else {
        return invalid(shell, t.err_invalid_slug);
    };
    let new = NewWorkspace {
        slug,
        name,
        time_zone: cu.workspace.time_zone.clone(),
        locale: cu.workspace.locale(),
        country: cu.workspace.country.clone(),
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let ws = match workspaces::insert_workspace(&mut tx, &new, now).await {
        Ok(ws) => ws,
        Err(e) if e.is_unique_on("workspaces", "slug") => return invalid(shell, t.err_slug_taken),
        Err(e) => return Err(e.into()),
    };
    workspaces::upsert_membership(&mut tx, ws.id, cu.user.id, Role::Owner, now).await?;
    let actor = cu.actor();
    let audit = NewAudit {
        workspace: Some(ws.id),
        actor: &actor,
        action: "workspace.created",
        target_type: Some("workspace"),
        target_id: Some(ws.id.to_string()),
        result: "ok",
        details: serde_json::json!({ "slug": ws.slug, "from_workspace": cu.workspace.id }),
        ip: Some(&ip),
    };
    insert_audit(&mut tx, &audit, now).await?;
    tx.commit().await?;
    cu.session.insert(WORKSPACE_KEY, ws.id).await?;
    set_flash(&cu.session, true, t.flash_workspace_created).await?;
    Ok(Redirect::to("/settings").into_response())
}
