//! Settings → Lead intake (admins): intake keys (shown once), the
//! ready-to-paste snippets (embed, lead API cURL, Cal.com URL), the
//! workspace's Cal.com secret and whether unsigned deliveries are accepted,
//! and the received deliveries (failed or unmatched ones can be replayed).

use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::forms::FormsTr;
use crate::pages::settings::audit;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{InboundWebhookId, Role};
use af_db::forms;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};

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

#[derive(Template)]
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
pub(super) async fn intake_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Html<String>> {
    cu.require(Role::Admin)?;
    let tz = &cu.workspace.time_zone;
    let new_key = cu.session.remove::<String>(NEW_INTAKE_KEY).await?;
    let keys = af_db::api_keys::list_api_keys(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .filter(|k| k.scope() == af_db::api_keys::KeyScope::Intake)
        .map(|k| IntakeKeyRow {
            id: k.id.to_string(),
            created: crate::pages::fmt_when(k.created_at, tz, cu.locale()),
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
            received: crate::pages::fmt_when(d.received_at, tz, cu.locale()),
            replayable: matches!(d.result.as_str(), "failed" | "unmatched"),
            event: d.event,
            result: d.result,
            detail: d.detail.unwrap_or_default(),
            signed: d.signature_ok,
        })
        .collect();
    render(&IntakeTemplate {
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
pub(super) struct NameForm {
    name: String,
}

/// `POST /settings/intake/keys`: an intake key, shown once.
pub(super) async fn create_intake_key(
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
    audit(
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
pub(super) struct SecretForm {
    secret: String,
}

/// `POST /settings/intake/calcom-secret`: sets the workspace's Cal.com
/// secret (sealed), or a newly generated one when left empty.
pub(super) async fn set_calcom_secret(
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
    audit(
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
pub(super) struct UnsignedForm {
    allow: bool,
}

/// `POST /settings/intake/calcom-unsigned`: whether unsigned Cal.com
/// deliveries are accepted (testing only).
pub(super) async fn set_calcom_unsigned(
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
    audit(
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
pub(super) async fn replay_delivery(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<InboundWebhookId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let d = af_db::inbound_webhooks::find_delivery(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    af_service::bookings::replay_calcom(&st.db, &cu.workspace, &d, st.now()).await?;
    set_flash(&cu.session, true, FormsTr::get(cu.locale()).replayed).await?;
    Ok(Redirect::to("/settings/intake").into_response())
}
