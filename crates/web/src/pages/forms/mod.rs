//! The forms area:
//!
//! - [`public`]: the public side, mounted outside the session and CSRF
//!   layers through [`public_routes`]: the hosted page `/f/{id}` and its
//!   stylesheet, the JSON schema embed.js renders from, the submission
//!   endpoint and `/embed.js` itself;
//! - [`builder`]: the signed-in form list and builder with live preview,
//!   where answers are saved on the contact, and its "new custom field"
//!   action ([`routes`]);
//! - [`submissions`]: a form's received submissions ([`routes`]);
//! - [`intake_settings`]: Settings → Lead intake: intake keys, snippets,
//!   the Cal.com secret and received deliveries ([`settings_routes`]).

mod builder;
mod intake_settings;
pub mod public;
mod submissions;

pub use builder::{FormRow, StageChoice, builder_json_for, stage_choices};
pub use intake_settings::{DeliveryRow, IntakeKeyRow};
pub use public::FieldView;
pub use submissions::SubmissionRow;

use crate::api::intake::preflight;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use af_core::FormId;
use af_db::forms::Form;
use axum::Router;
use axum::routing::{get, post};

/// Routes reachable by anyone (no session, no CSRF).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/embed.js", get(public::embed_js))
        .route(
            "/f/{id}",
            get(public::hosted_form)
                .post(public::submit_form)
                .options(preflight),
        )
        .route("/f/{id}/schema", get(public::form_schema))
        .route("/f/{id}/style.css", get(public::hosted_style))
}

/// The builder's routes (signed in, CSRF-checked).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/forms", get(builder::list_forms_page))
        .route(
            "/forms/new",
            get(builder::new_form_page).post(builder::create_form),
        )
        .route(
            "/forms/{id}",
            get(builder::edit_form_page).post(builder::save_form),
        )
        .route("/forms/{id}/delete", post(builder::delete_form))
        .route("/forms/custom-fields", post(builder::create_custom_field))
        .route(
            "/forms/{id}/submissions",
            get(submissions::submissions_page),
        )
        .route(
            "/forms/{id}/submissions.csv",
            get(submissions::submissions_csv_download),
        )
}

/// The Settings tab of lead intake: intake keys, the ready-to-paste
/// snippets (embed, lead API cURL, Cal.com URL), the workspace's Cal.com
/// secret and the received deliveries (failed or unmatched ones can be
/// replayed).
pub fn settings_routes() -> Router<AppState> {
    Router::new()
        .route("/settings/intake", get(intake_settings::intake_settings))
        .route(
            "/settings/intake/keys",
            post(intake_settings::create_intake_key),
        )
        .route(
            "/settings/intake/calcom-secret",
            post(intake_settings::set_calcom_secret),
        )
        .route(
            "/settings/intake/calcom-unsigned",
            post(intake_settings::set_calcom_unsigned),
        )
        .route(
            "/settings/intake/deliveries/{id}/replay",
            post(intake_settings::replay_delivery),
        )
}

/// The signed-in workspace's form, or 404.
async fn load_form(st: &AppState, cu: &CurrentUser, id: FormId) -> AppResult<Form> {
    af_db::forms::find_form(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)
}
