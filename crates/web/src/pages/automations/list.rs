//! `/automations`: the workflow list with enrolment counts, open alerts,
//! the shipped templates (one click installs), pause / activate, delete,
//! and the new-workflow form.

use super::{at, can_edit, engine_err, event_label, status_label};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::automations::AutoTr;
use crate::pages::fmt_when;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::vocab::{Channel, EnrollmentStatus};
use af_core::{AlertId, Locale, Role, WorkflowId};
use af_db::automations as store;
use af_engine::{EngineError, library, ops};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub struct WorkflowRow {
    pub id: WorkflowId,
    pub name: String,
    pub trigger: &'static str,
    pub active: bool,
    pub status: &'static str,
    pub version: i32,
    pub running: i64,
    pub completed: i64,
    pub failed: i64,
}

pub struct AlertRow {
    pub id: AlertId,
    pub when: String,
    pub message: String,
    pub enrollment_id: Option<String>,
}

pub struct LibraryRow {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// How many workflows were installed from it.
    pub installed: usize,
}

/// One warning line: these workflows would each message one contact.
pub struct OverlapRow {
    pub ids: Vec<WorkflowId>,
    pub names: Vec<String>,
    pub text: String,
}

/// The channel's name in a sentence (lower case, unlike the labels of
/// `VocabTr`, which head table cells). Only the four sendable channels
/// overlap; anything else reads as email, as it always has.
pub(super) fn channel_word(t: &'static AutoTr, channel: &str) -> &'static str {
    match Channel::parse(channel) {
        Some(Channel::Sms) => t.ch_sms,
        Some(Channel::WhatsApp) => t.ch_whatsapp,
        Some(Channel::Voice) => t.ch_voice,
        _ => t.ch_email,
    }
}

/// The overlaps among `all`, as sentences.
pub(super) fn overlap_rows(t: &'static AutoTr, all: &[store::Workflow]) -> Vec<OverlapRow> {
    af_engine::overlaps::find(all)
        .into_iter()
        .map(|o| OverlapRow {
            ids: o.workflows.iter().map(|(id, _)| *id).collect(),
            names: o.workflows.into_iter().map(|(_, n)| n).collect(),
            text: t
                .overlap_line
                .replace("{trigger}", event_label(t, &o.trigger_type))
                .replace("{channel}", channel_word(t, o.channel)),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/list.html")]
struct ListPage {
    shell: Shell,
    t: &'static AutoTr,
    can_edit: bool,
    workflows: Vec<WorkflowRow>,
    alerts: Vec<AlertRow>,
    library: Vec<LibraryRow>,
    overlaps: Vec<OverlapRow>,
}

/// GET /automations
pub async fn list_workflows(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    let t = at(&cu);
    let ws = cu.workspace.id;
    let counts = store::enrollment_counts(&st.db, ws).await?;
    let all = store::list_workflows(&st.db, ws).await?;
    let overlaps = overlap_rows(t, &all);
    let installed = |key: &str| {
        all.iter()
            .filter(|w| w.template_key.as_deref() == Some(key))
            .count()
    };
    let library = library::TEMPLATES
        .iter()
        .map(|l| LibraryRow {
            key: l.key,
            name: if cu.locale() == Locale::En {
                l.name_en
            } else {
                l.name_es
            },
            description: if cu.locale() == Locale::En {
                l.description_en
            } else {
                l.description_es
            },
            installed: installed(l.key),
        })
        .collect();
    let workflows = all
        .into_iter()
        .map(|w| {
            let n = |statuses: &[EnrollmentStatus]| -> i64 {
                counts
                    .iter()
                    .filter(|c| {
                        c.workflow_id == w.id
                            && EnrollmentStatus::parse(&c.status)
                                .is_some_and(|s| statuses.contains(&s))
                    })
                    .map(|c| c.n)
                    .sum()
            };
            WorkflowRow {
                id: w.id,
                trigger: event_label(t, &w.trigger_type),
                active: w.status == "active",
                status: status_label(t, &w.status),
                version: w.current_version,
                running: n(&EnrollmentStatus::LIVE),
                completed: n(&[EnrollmentStatus::Completed]),
                failed: n(&[EnrollmentStatus::Failed]),
                name: w.name,
            }
        })
        .collect();
    let tz = &cu.workspace.time_zone;
    let alerts = store::list_open_alerts(&st.db, ws, 50)
        .await?
        .into_iter()
        .map(|a| AlertRow {
            id: a.id,
            when: fmt_when(a.created_at, tz, cu.locale()),
            message: crate::i18n::details::alert(cu.locale(), &a.kind, &a.message),
            enrollment_id: a.enrollment_id.map(|e| e.to_string()),
        })
        .collect();
    Ok(ListPage {
        shell: Shell::new(&cu, Area::Automations).await?,
        t,
        can_edit: can_edit(&cu),
        workflows,
        alerts,
        library,
        overlaps,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/new.html")]
struct NewPage {
    shell: Shell,
    t: &'static AutoTr,
    name: String,
    trigger_types: Vec<(&'static str, &'static str, bool)>,
    errors: Vec<String>,
}

fn trigger_options(t: &'static AutoTr, selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    super::steps::TRIGGER_TYPES
        .iter()
        .map(|ty| (*ty, event_label(t, ty), *ty == selected))
        .collect()
}

/// GET /automations/new
pub async fn new_workflow_page(cu: CurrentUser) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    Ok(NewPage {
        shell: Shell::new(&cu, Area::Automations).await?,
        t,
        name: String::new(),
        trigger_types: trigger_options(t, "lead_created"),
        errors: vec![],
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    trigger_type: String,
}

/// POST /automations: a new, paused workflow without steps; then the builder.
pub async fn create_workflow(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<NewForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    // Parameters the trigger needs get a usable default; the builder edits them.
    let mut trigger = serde_json::json!({ "type": f.trigger_type });
    match f.trigger_type.as_str() {
        "score_reached" => trigger["threshold"] = 70.into(),
        "contact_inactive" => trigger["days"] = 30.into(),
        // The daily membership check tells 7 days before the end.
        "subscription_expiring" => trigger["days"] = 7.into(),
        "appointment_relative" => trigger["offset_minutes"] = (-1440).into(),
        _ => {}
    }
    let def = serde_json::json!({
        "name": f.name.trim(), "trigger": trigger, "steps": [], "active": false,
    });
    match ops::save_workflow(
        &st.db,
        cu.workspace.id,
        None,
        &def,
        None,
        st.config.channels.ssrf(),
        st.now(),
    )
    .await
    {
        Ok(saved) => Ok(Redirect::to(&format!("/automations/{}", saved.id)).into_response()),
        Err(EngineError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            NewPage {
                shell: Shell::new(&cu, Area::Automations).await?,
                t,
                name: f.name,
                trigger_types: trigger_options(t, &f.trigger_type),
                errors,
            },
        )
            .into_response()),
        Err(e) => Err(engine_err(e)),
    }
}

#[derive(Deserialize)]
pub struct InstallForm {
    key: String,
    /// `yes` to install a template that is already installed.
    #[serde(default)]
    again: String,
}

/// POST /automations/install: installs a shipped template, paused, so
/// nothing is sent before the user has looked at it. A template already
/// installed is installed again only with `again=yes` (the card asks), so a
/// second click never doubles the messages a lead gets.
pub async fn install_template(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<InstallForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    let Some(tpl) = library::TEMPLATES.iter().find(|x| x.key == f.key) else {
        return Err(AppError::NotFound);
    };
    let already = store::list_workflows(&st.db, cu.workspace.id)
        .await?
        .iter()
        .any(|w| w.template_key.as_deref() == Some(tpl.key));
    if already && f.again != "yes" {
        set_flash(&cu.session, false, t.install_again_needed).await?;
        return Ok(Redirect::to("/automations").into_response());
    }
    match library::install(&st.db, cu.workspace.id, tpl.key, false, st.now()).await {
        Ok(saved) => {
            let name = if cu.locale() == Locale::En {
                tpl.name_en
            } else {
                tpl.name_es
            };
            set_flash(
                &cu.session,
                true,
                &format!("{} {name}. {}", t.installed, t.installed_paused),
            )
            .await?;
            let to = match saved.as_slice() {
                [one] => format!("/automations/{}", one.id),
                _ => "/automations".into(),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(EngineError::Invalid(errors)) => {
            set_flash(
                &cu.session,
                false,
                &format!("{} {}", t.not_saved, errors.join("; ")),
            )
            .await?;
            Ok(Redirect::to("/automations").into_response())
        }
        Err(e) => Err(engine_err(e)),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

/// POST /automations/{id}/active: pause (`active=false`) or activate.
pub async fn set_active(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Form(f): Form<ActiveForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let active = f.active == "true";
    ops::set_active(&st.db, cu.workspace.id, id, active, st.now())
        .await
        .map_err(engine_err)?;
    set_flash(&cu.session, true, at(&cu).done).await?;
    Ok(Redirect::to("/automations").into_response())
}

/// POST /automations/{id}/delete
pub async fn delete_workflow(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    ops::delete_workflow(&st.db, cu.workspace.id, id)
        .await
        .map_err(engine_err)?;
    set_flash(&cu.session, true, at(&cu).deleted).await?;
    Ok(Redirect::to("/automations").into_response())
}

/// POST /automations/alerts/{id}/resolve
pub async fn resolve_alert(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<AlertId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let mut tx = st.db.begin().await?;
    let n = store::resolve_alerts(&mut tx, cu.workspace.id, None, Some(id), st.now()).await?;
    tx.commit().await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    set_flash(&cu.session, true, at(&cu).resolved).await?;
    Ok(Redirect::to("/automations").into_response())
}
