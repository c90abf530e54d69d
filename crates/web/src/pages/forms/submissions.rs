//! A form's received submissions (the latest 200), every value escaped by
//! the template: form data is hostile.

use super::load_form;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::{IdPath, render};
use crate::i18n::forms::FormsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::FormId;
use af_db::forms::{self, Submission};
use askama::Template;
use axum::extract::State;
use axum::response::Html;

/// A submission as the list shows it (every value is escaped by the template).
pub struct SubmissionRow {
    pub created_at: String,
    pub lead_id: i64,
    pub contact_id: Option<String>,
    pub data: Vec<(String, String)>,
    pub attribution: Vec<(String, String)>,
}

fn pairs(json: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect(),
        _ => vec![],
    }
}

impl SubmissionRow {
    fn new(s: &Submission, tz: &str, locale: af_core::Locale) -> Self {
        Self {
            created_at: crate::pages::fmt_when(s.created_at, tz, locale),
            lead_id: s.lead_number,
            contact_id: s.contact_id.map(|c| c.to_string()),
            data: pairs(&s.data),
            attribution: pairs(&s.attribution),
        }
    }
}

#[derive(Template)]
#[template(path = "forms/submissions.html")]
struct SubmissionsTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    id: String,
    name: String,
    rows: Vec<SubmissionRow>,
}

/// `GET /forms/{id}/submissions`
pub(super) async fn submissions_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Html<String>> {
    let form = load_form(&st, &cu, id).await?;
    let subs = forms::list_submissions(&st.db, cu.workspace.id, form.id, 200).await?;
    render(&SubmissionsTemplate {
        ft: FormsTr::get(cu.locale()),
        rows: subs
            .iter()
            .map(|s| SubmissionRow::new(s, &cu.workspace.time_zone, cu.locale()))
            .collect(),
        id: form.id.to_string(),
        name: form.name,
        shell: Shell::new(&cu, Area::Forms).await?,
    })
}
