//! Configuración → Plantillas de WhatsApp (`/settings/whatsapp-templates`,
//! owners and admins): the approved templates members pick in the reply
//! form outside WhatsApp's 24-hour window — a name, the Twilio Content SID
//! and its placeholders. Approval itself happens in Twilio's console.

use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::conversations::ConversationsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::Role;
use af_db::whatsapp_templates::{self as store, WhatsAppTemplate};
use af_service::conversations::reply;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/whatsapp-templates", get(list_page).post(create))
        .route("/settings/whatsapp-templates/{id}/delete", post(delete))
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/whatsapp_templates.html")]
struct ListPage {
    shell: Shell,
    ct: &'static ConversationsTr,
    templates: Vec<WhatsAppTemplate>,
}

async fn list_page(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    Ok(ListPage {
        shell: Shell::new(&cu, Area::Settings).await?,
        ct: ConversationsTr::get(cu.locale()),
        templates: store::list(&st.db, cu.workspace.id).await?,
    }
    .into_response())
}

#[derive(Deserialize)]
struct NewTemplate {
    #[serde(default)]
    name: String,
    #[serde(default)]
    content_sid: String,
    #[serde(default)]
    variables: String,
}

/// The placeholders as typed (`1, 2` or `nombre fecha`), cleaned:
/// letters, digits and `_`, at most ten.
fn clean_variables(raw: &str) -> Option<String> {
    let names: Vec<&str> = raw
        .split([',', ' '])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let valid = names.len() <= 10
        && names
            .iter()
            .all(|v| v.len() <= 20 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    valid.then(|| names.join(","))
}

async fn create(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<NewTemplate>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let ct = ConversationsTr::get(cu.locale());
    let name = f.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let sid = f.content_sid.trim();
    let variables = clean_variables(&f.variables);
    let problem = if name.is_empty() || name.chars().count() > 100 {
        Some(ct.tpl_err_name)
    } else if !reply::is_content_sid(sid) {
        Some(ct.tpl_err_sid)
    } else if variables.is_none() {
        Some(ct.tpl_err_variables)
    } else {
        None
    };
    if let Some(message) = problem {
        set_flash(&cu.session, false, message).await?;
        return Ok(Redirect::to("/settings/whatsapp-templates").into_response());
    }
    let mut tx = st.db.begin().await?;
    let added = store::insert(
        &mut tx,
        cu.workspace.id,
        &name,
        sid,
        &variables.unwrap_or_default(),
        st.now(),
    )
    .await?;
    tx.commit().await?;
    let message = if added {
        ct.tpl_added
    } else {
        ct.tpl_err_taken
    };
    set_flash(&cu.session, added, message).await?;
    Ok(Redirect::to("/settings/whatsapp-templates").into_response())
}

async fn delete(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<uuid::Uuid>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let mut tx = st.db.begin().await?;
    let gone = store::delete(&mut tx, cu.workspace.id, id).await?;
    tx.commit().await?;
    if !gone {
        return Err(AppError::NotFound);
    }
    set_flash(
        &cu.session,
        true,
        ConversationsTr::get(cu.locale()).tpl_deleted,
    )
    .await?;
    Ok(Redirect::to("/settings/whatsapp-templates").into_response())
}
