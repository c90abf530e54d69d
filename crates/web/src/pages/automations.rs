//! The automations area's pages: the workflow list (counts, alerts, shipped
//! templates), the builder (settings, the step tree, a JSON tab, test
//! mode), the per-workflow log with its enrolments, enrolment pages and
//! message templates. Routes are mounted in `crate::router` through
//! [`routes`], inside the session + CSRF layers.
//!
//! Members see everything; owners and admins change things. Every query
//! takes the signed-in workspace, so another workspace's id is a 404. The
//! builder keeps nothing in memory: each edit loads the stored definition,
//! changes it and saves it through `af_engine::ops::save_workflow` (a new
//! version, or a 422 with the reasons and nothing saved).

mod builder;
mod describe;
mod list;
mod runs;
pub mod steps;
mod templates;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::automations::AutoTr;
use crate::state::AppState;
use af_core::Role;
use af_engine::EngineError;
use axum::Router;
use axum::routing::{get, post};
use std::sync::OnceLock;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/automations",
            get(list::list_workflows).post(list::create_workflow),
        )
        .route("/automations/new", get(list::new_workflow_page))
        .route("/automations/install", post(list::install_template))
        .route(
            "/automations/alerts/{id}/resolve",
            post(list::resolve_alert),
        )
        .route(
            "/automations/templates",
            get(templates::list_templates).post(templates::create_template),
        )
        .route(
            "/automations/templates/{id}/delete",
            post(templates::delete_template),
        )
        .route(
            "/automations/templates/{id}/preview",
            get(templates::preview_template),
        )
        .route("/automations/enrollments/{id}", get(runs::show_enrollment))
        .route(
            "/automations/enrollments/{id}/skip-wait",
            post(runs::skip_wait),
        )
        .route("/automations/enrollments/{id}/retry", post(runs::retry))
        .route(
            "/automations/enrollments/{id}/exit",
            post(runs::exit_enrollment),
        )
        .route("/automations/{id}", get(builder::show_builder))
        .route("/automations/{id}/settings", post(builder::save_settings))
        .route(
            "/automations/{id}/trigger-fields",
            get(builder::trigger_fields),
        )
        .route("/automations/{id}/json", post(builder::save_json))
        .route("/automations/{id}/active", post(list::set_active))
        .route("/automations/{id}/delete", post(list::delete_workflow))
        .route("/automations/{id}/steps", post(builder::add_step))
        .route("/automations/{id}/steps/new", get(builder::new_step_form))
        .route(
            "/automations/{id}/steps/reorder",
            post(builder::reorder_steps),
        )
        .route("/automations/{id}/steps/{step}", post(builder::update_step))
        .route(
            "/automations/{id}/steps/{step}/edit",
            get(builder::edit_step_form),
        )
        .route(
            "/automations/{id}/steps/{step}/delete",
            post(builder::delete_step),
        )
        .route(
            "/automations/{id}/steps/{step}/move",
            post(builder::move_step),
        )
        .route("/automations/{id}/test", post(runs::enroll_test))
        .route(
            "/automations/{id}/test/contacts",
            get(runs::search_contacts),
        )
        .route("/automations/{id}/log", get(runs::show_log))
        .route(
            "/automations/{id}/retry-failed",
            post(runs::retry_all_failed),
        )
}

/// The area's strings for the signed-in user.
fn at(cu: &CurrentUser) -> &'static AutoTr {
    AutoTr::get(cu.locale())
}

/// Whether the user may change workflows (owners and admins).
fn can_edit(cu: &CurrentUser) -> bool {
    cu.role >= Role::Admin
}

/// Sections are rendered to text and composed into pages and htmx answers.
use crate::extract::render_fragment as render;

/// An engine error as a page error; validation and state conflicts are
/// shown to the user by the callers that expect them.
fn engine_err(e: EngineError) -> AppError {
    match e {
        EngineError::NotFound(_) | EngineError::Db(af_db::DbError::NotFound(_)) => {
            AppError::NotFound
        }
        EngineError::Db(e) => e.into(),
        EngineError::Invalid(m) => AppError::BadRequest(m.join("; ")),
        EngineError::Conflict(c) => AppError::BadRequest(c.to_string()),
    }
}

/// A state conflict as the reader's language says it.
fn conflict_text(locale: af_core::Locale, c: &af_engine::Conflict) -> String {
    use af_engine::Conflict as C;
    let t = AutoTr::get(locale);
    let v = crate::i18n::vocab::VocabTr::get(locale);
    match c {
        C::AlreadyEnrolled(_) => t.cf_already_enrolled.into(),
        C::NotEnrolled => t.cf_not_enrolled.into(),
        C::NoSteps => t.cf_no_steps.into(),
        C::NotWaiting(s) => t.cf_not_waiting.replace("{status}", v.enrollment_status(s)),
        C::NotFailed(s) => t.cf_not_failed.replace("{status}", v.enrollment_status(s)),
        C::OtherLive(_) => t.cf_other_live.into(),
        C::AlreadyEnded(s) => t
            .cf_already_ended
            .replace("{status}", v.enrollment_status(s)),
    }
}

/// The step type's label.
fn step_label(t: &'static AutoTr, ty: &str) -> &'static str {
    match ty {
        "send_email" => t.ty_send_email,
        "send_sms" => t.ty_send_sms,
        "send_whatsapp" => t.ty_send_whatsapp,
        "voice_call" => t.ty_voice_call,
        "add_tag" => t.ty_add_tag,
        "remove_tag" => t.ty_remove_tag,
        "move_to_stage" => t.ty_move_to_stage,
        "create_task" => t.ty_create_task,
        "notify_team" => t.ty_notify_team,
        "webhook" => t.ty_webhook,
        "change_score" => t.ty_change_score,
        "set_field" => t.ty_set_field,
        "enroll_in" => t.ty_enroll_in,
        "remove_from" => t.ty_remove_from,
        "kommo_sync" => t.ty_kommo_sync,
        "wait" => t.ty_wait,
        "if_else" => t.ty_if_else,
        "wait_for_event" => t.ty_wait_for_event,
        _ => "?",
    }
}

/// A trigger or event type's label.
fn event_label(t: &'static AutoTr, ty: &str) -> &'static str {
    match ty {
        "lead_created" => t.ev_lead_created,
        "stage_changed" => t.ev_stage_changed,
        "form_submitted" => t.ev_form_submitted,
        "appointment_booked" => t.ev_appointment_booked,
        "appointment_cancelled" => t.ev_appointment_cancelled,
        "tag_added" => t.ev_tag_added,
        "tag_removed" => t.ev_tag_removed,
        "score_reached" => t.ev_score_reached,
        "contact_inactive" => t.ev_contact_inactive,
        "subscription_created" => t.ev_subscription_created,
        "subscription_expiring" => t.ev_subscription_expiring,
        "trial_started" => t.ev_trial_started,
        "membership_renewed" => t.ev_membership_renewed,
        "membership_cancelled" => t.ev_membership_cancelled,
        "membership_expired" => t.ev_membership_expired,
        "payment_failed" => t.ev_payment_failed,
        "first_visit" => t.ev_first_visit,
        "inbound_message" => t.ev_inbound_message,
        "call_outcome" => t.ev_call_outcome,
        "custom_event" => t.ev_custom_event,
        "appointment_relative" => t.ev_appointment_relative,
        "retention_alert_opened" => t.ev_retention_opened,
        "retention_alert_escalated" => t.ev_retention_escalated,
        "retention_alert_resolved" => t.ev_retention_resolved,
        "retention_alert_dismissed" => t.ev_retention_dismissed,
        _ => "?",
    }
}

/// A form field's label.
fn field_label(t: &'static AutoTr, name: &str) -> &'static str {
    match name {
        "subject" => t.f_subject,
        "body" => t.f_body,
        "html" => t.f_html,
        "template_id" => t.f_template_id,
        "transactional" => t.f_transactional,
        "fallback_sms" => t.f_fallback_sms,
        "say" => t.f_say,
        "play_url" => t.f_play_url,
        "machine_detection" => t.f_machine_detection,
        "timeout_minutes" => t.f_timeout_minutes,
        "timeout_hours" => t.f_timeout_hours,
        "timeout_days" => t.f_timeout_days,
        "tag" => t.f_tag,
        "stage_id" => t.f_stage_id,
        "title" => t.f_title,
        "due_in_hours" => t.f_due_in_hours,
        "message" => t.f_message,
        "email" => t.f_email,
        "url" => t.f_url,
        "delta" => t.f_delta,
        "field" => t.f_field,
        "value" => t.f_value,
        "workflow_id" => t.f_workflow_id,
        "minutes" => t.f_minutes,
        "hours" => t.f_hours,
        "days" => t.f_days,
        "until_time" => t.f_until_time,
        "time_zone" => t.f_time_zone,
        "business_hours" => t.f_business_hours,
        "event" => t.f_event,
        "event_custom" => t.f_event_custom,
        "cond_type" => t.f_cond_type,
        "cond_field" => t.f_cond_field,
        "cond_op" => t.f_cond_op,
        "cond_value" => t.f_cond_value,
        "cond_json" => t.f_cond_json,
        "pipeline_id" => t.f_pipeline_id,
        "from_stage_id" => t.f_from_stage_id,
        "to_stage_id" => t.f_to_stage_id,
        "form_id" => t.f_form_id,
        "threshold" => t.f_threshold,
        "threshold_name" => t.f_threshold_name,
        "channel" => t.f_channel,
        "outcome" => t.f_outcome,
        "alert_type" => t.f_alert_type,
        "event_name" => t.f_event_name,
        "offset_minutes" => t.f_offset_minutes,
        _ => "?",
    }
}

/// The status label of a workflow.
fn status_label(t: &'static AutoTr, status: &str) -> &'static str {
    if status == "active" {
        t.active
    } else {
        t.paused
    }
}

/// The URL of the area's script under its hashed name (see
/// `crate::assets`; `AssetUrls` has no field for area scripts).
fn automations_js() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let data = include_bytes!("../../../../assets/js/automations.js");
        let hash = hex::encode(&Sha256::digest(data)[..5]);
        format!("/assets/js/automations.{hash}.js")
    })
}

/// First `n` characters of a text on one line.
fn excerpt(s: &str, n: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n {
        let mut out: String = one.chars().take(n).collect();
        out.push('…');
        out
    } else {
        one
    }
}

/// A keyset cursor `(instant, id)` as one query value, and back.
fn encode_cursor(ts: af_db::Ts, id: uuid::Uuid) -> String {
    format!("{}_{}", ts.0, id)
}

fn decode_cursor(raw: Option<&str>) -> Option<(af_db::Ts, uuid::Uuid)> {
    let (ts, id) = raw?.split_once('_')?;
    Some((af_db::Ts::new(ts.parse().ok()?), id.parse().ok()?))
}
